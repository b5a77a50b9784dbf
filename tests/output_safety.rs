//! Result folders are never overwritten by accident: two runs writing one `--out` at once cannot replace
//! each other, and `--force` replaces only a folder fracture wrote.

mod common;

use common::{command, fracture, text};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn force_refuses_a_folder_fracture_did_not_write_and_keeps_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("thesis.txt"), "years of work").unwrap();
    let out = fracture(
        &["run", "--months", "2", "--out", "d", "--force", "-q"],
        tmp.path(),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("not a fracture result"), "{err}");
    assert_eq!(names(&d), ["thesis.txt"]);
    assert_eq!(
        std::fs::read_to_string(d.join("thesis.txt")).unwrap(),
        "years of work"
    );
    assert_eq!(names(tmp.path()), ["d"], "nothing else written");
}

#[test]
fn force_onto_a_file_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("FILE"), "notes").unwrap();
    let out = fracture(
        &["run", "--months", "2", "--out", "FILE", "--force", "-q"],
        tmp.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is a file"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        names(tmp.path()),
        ["FILE"],
        "no staging or aside folders left"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("FILE")).unwrap(),
        "notes"
    );
}

#[test]
fn force_replaces_a_previous_result() {
    let tmp = tempfile::tempdir().unwrap();
    let first = fracture(&["run", "--months", "2", "--out", "r", "-q"], tmp.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    let again = fracture(
        &["run", "--months", "3", "--out", "r", "--force", "-q"],
        tmp.path(),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    let manifest = std::fs::read_to_string(tmp.path().join("r/manifest.json")).unwrap();
    assert!(manifest.contains("\"months\": 3"));
    assert_eq!(names(tmp.path()), ["r"]);
}

/// Starts `fracture run --out res` with the installation barrier; the child waits there once staged.
fn start_at_barrier(cwd: &Path, barrier: &Path, seed: &str, force: bool) -> std::process::Child {
    let mut args = vec!["run", "--months", "2", "--seed", seed, "--out", "res", "-q"];
    if force {
        args.push("--force");
    }
    command()
        .args(&args)
        .current_dir(cwd)
        .env(fracture::fsutil::INSTALL_BARRIER_ENV, barrier)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Waits until `n` writers have announced themselves at the barrier, then lets them all go at once.
fn release(barrier: &Path, n: usize) {
    let started = Instant::now();
    while names(barrier)
        .iter()
        .filter(|n| n.starts_with("ready-"))
        .count()
        < n
    {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "writers never reached the barrier"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(barrier.join("go"), b"").unwrap();
}

#[test]
fn two_runs_writing_one_folder_at_once_never_replace_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let barrier = tmp.path().join("barrier");
    std::fs::create_dir(&barrier).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    // Both have checked that `res` does not exist and staged their result before either installs.
    let a = start_at_barrier(&work, &barrier, "1", false);
    let b = start_at_barrier(&work, &barrier, "2", false);
    release(&barrier, 2);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_ne!(
        a.status.success(),
        b.status.success(),
        "exactly one wins:\n{}\n{}",
        text(&a.stderr),
        text(&b.stderr)
    );
    let (winner, loser) = if a.status.success() {
        ("1", &b)
    } else {
        ("2", &a)
    };
    assert!(
        text(&loser.stderr).contains("appeared while"),
        "{}",
        text(&loser.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("res/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["seed"].to_string(),
        winner,
        "the winner's result is intact"
    );
    assert_eq!(names(&work), ["res"], "the loser leaves no staging folder");
}

#[test]
fn two_forced_runs_at_once_both_install_one_after_the_other() {
    let tmp = tempfile::tempdir().unwrap();
    let barrier = tmp.path().join("barrier");
    std::fs::create_dir(&barrier).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let a = start_at_barrier(&work, &barrier, "1", true);
    let b = start_at_barrier(&work, &barrier, "2", true);
    release(&barrier, 2);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert!(b.status.success(), "{}", text(&b.stderr));
    let manifest = std::fs::read_to_string(work.join("res/manifest.json")).unwrap();
    assert!(manifest.contains("\"seed\": 1") || manifest.contains("\"seed\": 2"));
    assert_eq!(names(&work), ["res"], "the replaced result is removed");
}

/// `--force` replaces only what fracture wrote: a run folder where the user put notes or a folder of
/// their own is refused, naming them; a hand-written manifest, a linked one and one copied from another
/// run (its tables' hashes do not match) do not qualify; files a later command wrote into the folder
/// (`report`) are recorded and replaced with it.
#[test]
fn force_replaces_nothing_fracture_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let run = |out: &str, force: bool| {
        let mut args = vec![
            "run", "--months", "3", "--detail", "summary", "-q", "--out", out,
        ];
        if force {
            args.push("--force");
        }
        common::fracture(&args, cwd)
    };
    assert!(run("a", false).status.success());
    assert!(
        run("a", true).status.success(),
        "a fracture result is replaced"
    );
    std::fs::write(cwd.join("a/notes.txt"), "mine").unwrap();
    std::fs::create_dir(cwd.join("a/mydata")).unwrap();
    let refused = run("a", true);
    assert!(!refused.status.success());
    let err = common::text(&refused.stderr);
    assert!(err.contains("`mydata`, `notes.txt`"), "{err}");
    assert_eq!(
        std::fs::read_to_string(cwd.join("a/notes.txt")).unwrap(),
        "mine"
    );
    std::fs::remove_file(cwd.join("a/notes.txt")).unwrap();
    std::fs::remove_dir(cwd.join("a/mydata")).unwrap();
    // What `report` adds is recorded, and replaced with the rest.
    assert!(common::fracture(&["report", "a"], cwd).status.success());
    assert!(run("a", true).status.success());

    let hand = cwd.join("b");
    std::fs::create_dir(&hand).unwrap();
    std::fs::write(hand.join("manifest.json"), "{\"program\":\"fracture\"}").unwrap();
    assert!(common::text(&run("b", true).stderr).contains("lists no entries"));
    #[cfg(unix)]
    {
        let linked = cwd.join("c");
        std::fs::create_dir(&linked).unwrap();
        std::os::unix::fs::symlink(cwd.join("a/manifest.json"), linked.join("manifest.json"))
            .unwrap();
        assert!(common::text(&run("c", true).stderr).contains("is a link"));
    }
    // Another run's manifest over this run's tables: the hashes do not match.
    let mut other = vec![
        "run", "--months", "4", "--detail", "summary", "-q", "--out", "d",
    ];
    assert!(common::fracture(&other, cwd).status.success());
    std::fs::copy(cwd.join("a/manifest.json"), cwd.join("d/manifest.json")).unwrap();
    other.push("--force");
    let err = common::text(&common::fracture(&other, cwd).stderr);
    assert!(err.contains("does not match its tables"), "{err}");
    assert!(
        cwd.join("d/global.parquet").is_file(),
        "nothing was removed"
    );
}

/// Results are not replaced without being asked: `compare --out` into a run's folder (which holds its
/// own compare.parquet) or into a folder of the user's is refused, and so is `sweep export --out` over
/// a file that exists, unless `--force`.
#[test]
fn compare_and_export_refuse_to_write_over_what_is_not_theirs() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let ok = |args: &[&str]| {
        let out = common::fracture(args, cwd);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            common::text(&out.stderr)
        );
    };
    ok(&[
        "run",
        "alibaba-ban",
        "--months",
        "3",
        "--detail",
        "summary",
        "-q",
        "--out",
        "r",
    ]);
    let before = std::fs::read(cwd.join("r/compare.parquet")).unwrap();
    let into_run = common::fracture(&["compare", "r", "--out", "r"], cwd);
    assert!(!into_run.status.success());
    assert!(common::text(&into_run.stderr).contains("run's or a sweep's folder"));
    assert_eq!(
        std::fs::read(cwd.join("r/compare.parquet")).unwrap(),
        before
    );
    std::fs::create_dir(cwd.join("mine")).unwrap();
    std::fs::write(cwd.join("mine/thesis.tex"), "mine").unwrap();
    let into_mine = common::fracture(&["compare", "r", "--out", "mine"], cwd);
    assert!(!into_mine.status.success());
    assert!(common::text(&into_mine.stderr).contains("thesis.tex"));
    // A folder compare wrote is its own to write again.
    ok(&["compare", "r", "--out", "c"]);
    ok(&["compare", "r", "--out", "c"]);

    let spec = cwd.join("sweep.toml");
    std::fs::write(
        &spec,
        "[sweep]\nname = \"s\"\nscenario = \"baseline\"\nset = [\"scenario.months=3\"]\n\
         design = \"grid\"\n[[parameter]]\nkey = \"parameters.beta\"\nvalues = [1.5, 2.5]\n",
    )
    .unwrap();
    ok(&["sweep", "run", "sweep.toml", "--out", "sw"]);
    std::fs::write(cwd.join("mine.csv"), "mine").unwrap();
    let over = common::fracture(&["sweep", "export", "sw", "--out", "mine.csv"], cwd);
    assert!(!over.status.success());
    assert!(common::text(&over.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(cwd.join("mine.csv")).unwrap(),
        "mine"
    );
    ok(&["sweep", "export", "sw", "--out", "mine.csv", "--force"]);
}

/// A FIFO or a device where a run folder's table should be (a hostile or broken folder) is refused at
/// once by every reader — `plot`, `report`, `compare`, and a sweep's `status`, `dump` and `verify` —
/// instead of blocking on the pipe or reading /dev/zero without end.
#[cfg(unix)]
#[test]
fn readers_refuse_a_pipe_or_a_device_in_place_of_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = fracture(&["run", "--months", "1", "--out", "r", "-q"], dir);
    assert!(run.status.success(), "{}", text(&run.stderr));
    std::fs::remove_file(dir.join("r/global.parquet")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("r/global.parquet"))
        .status()
        .unwrap();
    assert!(fifo.success());
    std::fs::remove_file(dir.join("r/nations.parquet")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("r/nations.parquet")).unwrap();
    let spec = "[sweep]\nname = \"t\"\nscenario = \"baseline\"\nset = [\"scenario.months=1\"]\n\
                design = \"grid\"\n[[parameter]]\nkey = \"parameters.beta\"\nvalues = [1.5]\n";
    std::fs::write(dir.join("s.toml"), spec).unwrap();
    let sweep = fracture(&["sweep", "run", "s.toml", "--out", "sw", "-q"], dir);
    assert!(sweep.status.success(), "{}", text(&sweep.stderr));
    let part = dir.join("sw/sweep=t/shard=0/part-00000.parquet");
    std::fs::remove_file(&part).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &part).unwrap();
    for args in [
        &["plot", "r"][..],
        &["report", "r"][..],
        &["compare", "r", "r", "--out", "c"][..],
        &["sweep", "status", "sw"][..],
        &["sweep", "dump", "sw"][..],
        &["sweep", "verify", "sw"][..],
    ] {
        let mut child = command()
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("{args:?} blocked on a pipe or a device");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(!status.success(), "{args:?} succeeded");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
}

//! The command line as a user meets it: run, refuse to overwrite, validate, list, and bad input that
//! writes nothing.

mod common;

use common::{TABLES, command, fails_saying, fracture, text};
use std::path::Path;
use std::process::Command;

#[test]
fn run_writes_tables_and_manifest_and_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &["run", "--months", "6", "--seed", "3", "--out", "res", "-q"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let res = tmp.path().join("res");
    for f in TABLES {
        assert!(res.join(format!("{f}.parquet")).is_file(), "{f}.parquet");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 3);
    assert_eq!(manifest["months"], 6);
    assert_eq!(
        manifest["scenario"]["parameters"]["beta"], 2.0,
        "defaults are filled in"
    );
    assert_eq!(manifest["scenario_hash"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["rows"]["global"], 6);

    let again = fracture(&["run", "--months", "6", "--out", "res", "-q"], tmp.path());
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("--force"),
        "{}",
        text(&again.stderr)
    );

    let forced = fracture(
        &["run", "--months", "4", "--out", "res", "--force", "-q"],
        tmp.path(),
    );
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["months"], 4);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".fracture"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary folders left behind: {leftovers:?}"
    );
}

#[test]
fn no_charts_writes_the_same_tables_without_charts_and_plot_draws_them_later() {
    let tmp = tempfile::tempdir().unwrap();
    let charts_in = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".png") || n.ends_with(".svg"))
            .collect()
    };
    for (out, extra) in [("plain", None), ("bare", Some("--no-charts"))] {
        let mut args = vec!["run", "alibaba-ban", "--months", "6", "--out", out, "-q"];
        args.extend(extra);
        let done = fracture(&args, tmp.path());
        assert!(done.status.success(), "{}", text(&done.stderr));
    }
    let (plain, bare) = (tmp.path().join("plain"), tmp.path().join("bare"));
    assert!(!charts_in(&plain).is_empty());
    assert_eq!(
        charts_in(&bare),
        Vec::<String>::new(),
        "--no-charts drew charts"
    );
    for f in TABLES.iter().copied().chain(["compare"]) {
        let file = format!("{f}.parquet");
        assert_eq!(
            std::fs::read(plain.join(&file)).unwrap(),
            std::fs::read(bare.join(&file)).unwrap(),
            "{file} differs without charts"
        );
    }
    let plot = fracture(&["plot", "bare"], tmp.path());
    assert!(plot.status.success(), "{}", text(&plot.stderr));
    let mut drawn = charts_in(&bare);
    let mut expected = charts_in(&plain);
    drawn.sort();
    expected.sort();
    assert_eq!(drawn, expected, "plot draws what run would have drawn");
}

#[test]
fn run_with_no_arguments_runs_the_embedded_baseline_from_any_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture::<&str>(&[], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tmp.path().join("output/baseline/global.parquet").is_file());
    let summary = text(&out.stdout);
    for needle in [
        "bifurcation index",
        "capability gap",
        "compute share, US-led bloc",
        "KE: H100e per 1000 people",
    ] {
        assert!(
            summary.contains(needle),
            "summary lacks {needle}:\n{summary}"
        );
    }
}

#[test]
fn an_invalid_scenario_exits_non_zero_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("bad.toml"),
        "extends = \"baseline\"\n[scenario]\nname = \"bad\"\n[parameters]\nbeta = \"x\"\ntau = -1\n",
    )
    .unwrap();
    let out = fracture(&["run", "bad.toml", "--out", "res"], tmp.path());
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml:5:1: `parameters.beta`"), "{err}");
    assert!(!tmp.path().join("res").exists());
    assert!(!tmp.path().join("output").exists());

    let v = fracture(&["validate", "bad.toml", "baseline"], tmp.path());
    assert!(!v.status.success());
    assert!(text(&v.stdout).contains("ok: baseline"));
    assert!(text(&v.stderr).contains("1 of 2 files are invalid"));
}

#[test]
fn list_names_the_shipped_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(&["list"], tmp.path());
    assert!(out.status.success());
    let listing = text(&out.stdout);
    assert!(listing.starts_with("baseline"));
    for s in fracture::scenario::SHIPPED {
        assert!(
            listing.lines().any(|l| l.starts_with(s.name)),
            "{} is not listed",
            s.name
        );
    }
    assert!(
        listing.lines().all(|l| l.chars().count() <= 100),
        "descriptions wrap to 100 columns:\n{listing}"
    );
}

#[test]
fn set_overrides_reach_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run",
            "--months",
            "3",
            "--out",
            "r",
            "-q",
            "--set",
            "parameters.beta=3.5",
            "--set",
            "scenario.name=tuned",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("r/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["scenario"]["parameters"]["beta"], 3.5);
    assert_eq!(manifest["scenario_name"], "tuned");
}

#[test]
fn focus_nations_are_checked_in_any_case_and_unknown_ones_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run",
            "--months",
            "3",
            "--out",
            "lower",
            "--focus",
            "ke,Brazil",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("KE: H100e per 1000 people")
            && stdout.contains("BR: H100e per 1000 people"),
        "{stdout}"
    );
    let svg = std::fs::read_to_string(tmp.path().join("lower/compute_per_capita.svg")).unwrap();
    assert!(svg.contains("Kenya (KE)") && svg.contains("Brazil (BR)"));

    // An unknown code is an error naming it and the close codes, before anything runs or is written.
    let bad = fracture(
        &["run", "--months", "3", "--out", "bad", "--focus", "KE,ZZ"],
        tmp.path(),
    );
    assert!(!bad.status.success());
    let err = text(&bad.stderr);
    assert!(
        err.contains("--focus") && err.contains("`ZZ`") && err.contains("ZA (South Africa)"),
        "{err}"
    );
    assert!(!tmp.path().join("bad").exists());

    // `plot`, `report` and `compare` check theirs against the run's nations, naming the flag.
    for cmd in [
        &["plot", "lower"][..],
        &["report", "lower"],
        &["compare", "lower", "lower"],
    ] {
        let out = fracture(&[cmd, &["--focus", "kenia"]].concat(), tmp.path());
        assert!(!out.status.success(), "{cmd:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("--focus: unknown focus nation `kenia`: did you mean KE (Kenya)?"),
            "{cmd:?}: {err}"
        );
    }
    let out = fracture(&["plot", "lower", "--focus", "ng"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The progress lines of the sweep `p`'s only shard in `err`.
fn shard_lines(err: &str) -> Vec<&str> {
    err.lines()
        .filter(|l| l.starts_with("sweep p shard 0/1: "))
        .collect()
}

#[test]
fn without_a_terminal_progress_is_one_plain_line_at_a_time() {
    // FRACTURE_PROGRESS_SECONDS=0 prints a line per step (the default is one every 10 s); the test's
    // stderr is a pipe, as in a Slurm log.
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        command()
            .args(args)
            .current_dir(tmp.path())
            .env("FRACTURE_PROGRESS_SECONDS", "0")
            .output()
            .unwrap()
    };
    let out = run(&["run", "--months", "3", "--out", "res"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.lines().any(|l| l.starts_with("baseline: ")
            && l.contains("/3 months (")
            && l.contains("months/s")),
        "{err}"
    );
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "no terminal controls: {err:?}"
    );

    std::fs::write(
        tmp.path().join("s.toml"),
        "[sweep]\nname = \"p\"\nscenario = \"baseline\"\nset = [\"scenario.months=2\"]\ndesign = \"grid\"\n\
         [[parameter]]\nkey = \"parameters.beta\"\nvalues = [1.5, 2.5, 3.5]\n[outputs]\nfocus = []\n",
    )
    .unwrap();
    let out = run(&["sweep", "run", "s.toml", "--out", "sw", "--threads", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines = shard_lines(&err);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("3/3 runs (100.0 %)") && l.ends_with("done")),
        "{err}"
    );
    assert!(lines.iter().all(|l| l.contains("runs/s")), "{err}");
    let quiet = run(&["sweep", "run", "s.toml", "--out", "sw2", "-q"]);
    assert!(quiet.status.success());
    assert!(
        !text(&quiet.stderr).contains("runs/s"),
        "--quiet prints no progress"
    );

    // At the default interval (10 s) a short sweep still logs its start and its end.
    let out = command()
        .args(["sweep", "run", "s.toml", "--out", "sw3", "--threads", "1"])
        .current_dir(tmp.path())
        .env_remove("FRACTURE_PROGRESS_SECONDS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines = shard_lines(&err);
    assert_eq!(lines.len(), 2, "a start line and an end line: {err}");
    assert!(lines[0].contains("0/3 runs (0.0 %)"), "{err}");
    assert!(
        lines[1].contains("3/3 runs (100.0 %)") && lines[1].ends_with("done"),
        "{err}"
    );
}

#[test]
fn seeds_above_the_largest_signed_64_bit_integer_are_refused_on_the_command_line_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run",
            "--months",
            "1",
            "--seed",
            "9223372036854775808",
            "--out",
            "r",
        ],
        tmp.path(),
    );
    fails_saying(&out, "--seed");
    assert!(!tmp.path().join("r").exists());
    let max = i64::MAX.to_string();
    let out = fracture(
        &["run", "--months", "1", "--seed", &max, "--out", "r", "-q"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = fracture(&["run", "--months", "1201", "--out", "r2"], tmp.path());
    fails_saying(&out, "--months");
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_refused_without_waiting_or_reading_forever() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let made = Command::new("mkfifo")
        .arg(tmp.path().join("fifo.toml"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for args in [
        &["validate", "fifo.toml"][..],
        &["run", "fifo.toml", "--out", "r"],
        &["validate", "/dev/zero"],
        &["run", "/dev/zero", "--out", "r"],
    ] {
        let mut child = command()
            .args(args)
            .current_dir(tmp.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(30) {
                child.kill().unwrap();
                panic!("fracture {} hangs", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("not a regular file"),
            "{}",
            text(&out.stderr)
        );
    }
    assert!(!tmp.path().join("r").exists());
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn detail_and_a_sample_of_labs_are_chosen_on_the_command_line_and_told_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["run", "--months", "3", "-q"];
        all.extend_from_slice(args);
        fracture(&all, tmp.path())
    };
    let out = run(&["--detail", "summary", "--out", "summary"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m = manifest(&tmp.path().join("summary"));
    assert_eq!(m["detail"], "summary");
    assert_eq!(m["rows"]["labs"], 0);
    assert_eq!(m["rows"]["usage"], 0);
    assert_eq!(
        m["rows"]["nations"],
        m["rows"]["global"].as_u64().unwrap() * 48
    );
    // Every table file is there, with its columns.
    let labs = fracture::output::read_parquet(&tmp.path().join("summary/labs.parquet")).unwrap();
    assert_eq!(labs.height(), 0);
    assert!(labs.column("population").is_ok() && labs.column("member").is_ok());

    let out = run(&["--detail", "nations", "--out", "nations"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m = manifest(&tmp.path().join("nations"));
    assert_eq!(
        (m["detail"].as_str(), m["rows"]["labs"].as_u64()),
        (Some("nations"), Some(0))
    );
    assert!(m["rows"]["usage"].as_u64().unwrap() > 0);

    let out = run(&["--lab-sample", "2", "--out", "sampled"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m = manifest(&tmp.path().join("sampled"));
    let recorded = &m["labs_recorded"];
    assert_eq!(recorded["per_population"], 2);
    let (labs, of) = (
        recorded["labs"].as_u64().unwrap(),
        recorded["of"].as_u64().unwrap(),
    );
    assert!(labs > 0 && labs < of, "{recorded}");
    assert_eq!(m["rows"]["labs"].as_u64(), Some(3 * labs));
    assert_eq!(m["rows"]["lab_ids"].as_u64(), Some(labs));

    let out = run(&["--detail", "nations", "--lab-sample", "2", "--out", "never"]);
    fails_saying(&out, "--detail full");
    assert!(!tmp.path().join("never").exists());
}

#[test]
fn a_run_beyond_max_memory_is_refused_before_it_starts_naming_estimate_limit_and_remedies() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run",
            "--months",
            "3",
            "--max-memory",
            "16M",
            "--out",
            "res",
        ],
        tmp.path(),
    );
    assert!(!out.status.success());
    let e = text(&out.stderr);
    for needle in [
        "would need ≈",
        "more than the 16 MiB given by --max-memory",
        "--lab-sample",
        "--detail summary",
    ] {
        assert!(e.contains(needle), "`{needle}` not in: {e}");
    }
    assert!(!tmp.path().join("res").exists());
    let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(leftovers, 0, "nothing is written");

    let out = fracture(&["run", "--max-memory", "8X", "--out", "res"], tmp.path());
    fails_saying(&out, "unknown unit");

    // Enough memory: the run goes ahead.
    let out = fracture(
        &[
            "run",
            "--months",
            "3",
            "--max-memory",
            "4G",
            "--out",
            "res",
            "-q",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The ids a story is written with are a command away, each with what a story needs of it.
#[test]
fn list_prints_a_scenarios_ids_with_their_details() {
    let tmp = tempfile::tempdir().unwrap();
    let list = |args: &[&str]| {
        let out = fracture(args, tmp.path());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let providers = list(&["list", "providers"]);
    let huawei = providers
        .lines()
        .find(|l| l.starts_with("huawei-cloud "))
        .expect("huawei-cloud is listed");
    assert!(
        huawei.contains("Huawei Cloud · china · CN · CN, HK"),
        "{huawei}"
    );
    let coalitions = list(&["list", "coalitions"]);
    let board = coalitions
        .lines()
        .find(|l| l.starts_with("uk-board-signatories "))
        .expect("uk-board-signatories is listed");
    assert!(
        board.contains("GB, FR, DE") && board.contains("KE, BR"),
        "{board}"
    );
    // A story's own entries: its trigger, with the policy it puts in force.
    let triggers = list(&["list", "triggers", "alibaba-ban"]);
    assert!(
        triggers.contains("board-ban") && triggers.contains("cloud_ban"),
        "{triggers}"
    );
    assert_eq!(
        list(&["list", "triggers"]),
        "triggers: none in scenario `baseline`\n",
        "the baseline has none, and says so"
    );
    let chips = list(&["list", "chips"]);
    assert!(
        chips
            .lines()
            .any(|l| l.starts_with("h20 ") && l.contains("from 2024-01"))
    );
    // The shipped scenarios, as before.
    assert!(
        list(&["list"])
            .lines()
            .any(|l| l.starts_with("alibaba-ban "))
    );
    let wrong = fracture(&["list", "provider"], tmp.path());
    assert!(!wrong.status.success());
    assert!(text(&wrong.stderr).contains("did you mean `providers`"));
}

/// `run` is the default command: `fracture STORY` runs it; a misspelt command is not taken for a file.
#[test]
fn a_scenario_as_the_first_word_runs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "alibaba-ban",
            "--months",
            "3",
            "--detail",
            "summary",
            "--out",
            "a",
            "-q",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tmp.path().join("a/counterfactual/manifest.json").is_file());
    let typo = fracture(&["lsit"], tmp.path());
    assert!(!typo.status.success());
    assert!(
        text(&typo.stderr).contains("'list'"),
        "{}",
        text(&typo.stderr)
    );
    let scenario = fracture(&["alibaba-bna"], tmp.path());
    assert!(!scenario.status.success());
    assert!(text(&scenario.stderr).contains("did you mean `alibaba-ban`"));
}

/// Whatever a file says reaches the terminal with its control characters escaped: a manifest edited to
/// carry escape sequences (window title, clear screen, clipboard) in a story's text prints them as
/// text, not as commands.
#[test]
fn escape_sequences_from_files_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run",
            "alibaba-ban",
            "--months",
            "6",
            "--detail",
            "summary",
            "--out",
            "a",
            "-q",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = tmp.path().join("a/manifest.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let hostile = "Story \u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7} K\u{202e}E";
    json["scenario"]["scenario"]["story"] = serde_json::Value::String(hostile.into());
    std::fs::write(&manifest, serde_json::to_string(&json).unwrap()).unwrap();
    let out = fracture(&["compare", "a", "--out", "c"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = out.stdout;
    assert!(
        !printed.contains(&0x1b) && !printed.contains(&0x07),
        "an escape sequence reached the terminal"
    );
    let printed = text(&printed);
    assert!(printed.contains("Story \\u{1b}]0;pwned\\u{7}"), "{printed}");
    assert!(printed.contains("K\\u{202e}E"), "{printed}");
}

/// Command-line values that would silently do nothing are refused with a plain message: a `--focus`
/// naming no nation, `--threads 0`.
#[test]
fn options_that_name_nothing_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for focus in ["", ","] {
        let out = fracture(
            &[
                "run", "--months", "2", "--detail", "summary", "--out", "f", "--focus", focus,
            ],
            tmp.path(),
        );
        assert!(!out.status.success(), "--focus {focus:?}");
        assert!(
            text(&out.stderr).contains("names no nation"),
            "{}",
            text(&out.stderr)
        );
        assert!(!tmp.path().join("f").exists());
    }
    let out = fracture(&["sweep", "run", "s.toml", "--threads", "0"], tmp.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least 1 thread"));
}

/// A run folder's manifest is read, not trusted: a focus list repeated 100 000 times is read as the
/// distinct nations the run has, at most a chart's worth, so report and plot stay quick and small.
#[test]
fn a_manifest_focus_list_is_bounded_and_deduplicated() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run", "baseline", "--months", "4", "--detail", "summary", "--out", "a", "-q",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = tmp.path().join("a/manifest.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let focus: Vec<serde_json::Value> = ["KE", "XX", "BR"]
        .iter()
        .cycle()
        .take(100_000)
        .map(|s| serde_json::Value::String((*s).into()))
        .collect();
    json["scenario"]["scenario"]["focus"] = serde_json::Value::Array(focus);
    std::fs::write(&manifest, serde_json::to_string(&json).unwrap()).unwrap();
    let data = fracture::charts::RunData::read(&tmp.path().join("a"), &[]).unwrap();
    assert_eq!(
        data.focus,
        ["KE", "BR"],
        "unknown XX dropped, repeats read once"
    );
    let out = fracture(&["report", "a"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(tmp.path().join("a/report.html")).unwrap();
    assert!(html.len() < 2_000_000, "report of {} bytes", html.len());

    let many: Vec<&str> = vec![
        "KE", "BR", "IN", "US", "CN", "DE", "FR", "JP", "KR", "GB", "SA", "AE", "TW", "NG", "ID",
        "ZA", "MX",
    ];
    let out = fracture(&["plot", "a", "--focus", &many.join(",")], tmp.path());
    fails_saying(&out, "names 17 nations: at most 16");

    // A manifest far larger than any fracture writes (a sparse file: no disk is used) is refused by
    // its size, not read until memory runs out.
    std::fs::File::options()
        .write(true)
        .open(&manifest)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    for cmd in ["report", "plot"] {
        let out = fracture(&[cmd, "a"], tmp.path());
        fails_saying(&out, "manifest.json: is larger than the limit of 64 MB");
    }
}

/// A world of 1000 nations and 100 inputs: the policy rules' nation × nation grids (two per input)
/// take ≈ 1.5 GiB before the first month. The memory estimate counts them, so `--max-memory 1G` refuses
/// before allocating, naming the grids; one nation or input more is refused by validation.
#[test]
fn the_memory_estimate_counts_the_nation_by_nation_grids() {
    let world = |nations: usize, inputs: usize| {
        let mut t =
            String::from("extends = \"baseline\"\n[scenario]\nname = \"big\"\nmonths = 1\n");
        for i in 0..nations - 48 {
            t += &format!(
                "[[nation]]\nid = \"N{i:04}\"\npopulation = 1\ngdp = 1\nalignment = {{ west = 1.0 }}\n"
            );
        }
        for i in 0..inputs - 4 {
            t += &format!(
                "[[input]]\nid = \"I{i:03}\"\nkind = \"tool\"\nsuppliers = {{ US = 1.0 }}\n"
            );
        }
        t
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("big.toml"), world(1000, 100)).unwrap();
    let out = fracture(
        &[
            "run",
            "big.toml",
            "--detail",
            "summary",
            "--out",
            "r",
            "-q",
            "--max-memory",
            "1G",
        ],
        tmp.path(),
    );
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("fewer nations or inputs") && e.contains("1000 nations, 100 inputs"),
        "{e}"
    );
    assert!(!tmp.path().join("r").exists(), "nothing is written");

    std::fs::write(tmp.path().join("bigger.toml"), world(1001, 101)).unwrap();
    let out = fracture(&["validate", "bigger.toml"], tmp.path());
    assert!(!out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("expected at most 1000 [[nation]] entries, found 1001")
            && e.contains("expected at most 100 [[input]] entries, found 101"),
        "{e}"
    );
}

/// A shard index from the environment that is not one (`SLURM_ARRAY_TASK_ID=x`) or names a shard the
/// sweep does not have is refused before anything is written, the plan included; `validate` checks a
/// sweep file as `sweep plan` would, with a suggestion for a misspelt key.
#[test]
fn sweep_files_are_validated_and_a_bad_task_id_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = "[sweep]\nname = \"env\"\nscenario = \"baseline\"\nset = [\"scenario.months=2\"]\n\
                design = \"grid\"\n[[parameter]]\nkey = \"parameters.beta\"\nvalues = [1.5, 3.0]\n";
    std::fs::write(tmp.path().join("s.toml"), spec).unwrap();
    for id in ["x", "-1", "3"] {
        let out = common::command()
            .args(["sweep", "run", "s.toml", "--out", "out", "--quiet"])
            .env("SLURM_ARRAY_TASK_ID", id)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "SLURM_ARRAY_TASK_ID={id}");
        assert!(
            !tmp.path().join("out").exists(),
            "SLURM_ARRAY_TASK_ID={id} wrote something"
        );
    }
    let out = fracture(&["validate", "s.toml"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("ok: s.toml: sweep env, 2 runs (2 points × 1 replicates)"),
        "{}",
        text(&out.stdout)
    );
    std::fs::write(
        tmp.path().join("bad.toml"),
        spec.replace("design", "desing"),
    )
    .unwrap();
    let out = fracture(&["validate", "bad.toml"], tmp.path());
    fails_saying(&out, "did you mean `design`?");
}

/// A sweep file's mistakes come out in one pass, each at its line with its key path and a suggestion:
/// first those of its shape (unknown keys, wrong types, unknown designs), then, once its shape is
/// right, those the base scenario refuses (keys it lacks, metrics and nations it does not have),
/// blamed on the sweep file, never on `--set`.
#[test]
fn a_sweep_files_mistakes_are_reported_together_at_their_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let shape = "[sweep]\nname = \"bad\"\nscenario = \"baseline\"\nmonths = 24\ndesign = \"latin\"\n\
                 samples = 4\nreplicate = 2\n\n[[sweep.parameter]]\nkey = \"parameters.beta\"\n\n\
                 [[parameter]]\nkey = \"parameters.beta\"\ndistribution = \"unifrom\"\nmin = \"1\"\n";
    std::fs::write(tmp.path().join("shape.toml"), shape).unwrap();
    let out = fracture(&["validate", "shape.toml"], tmp.path());
    let e = text(&out.stderr);
    assert!(!out.status.success());
    for says in [
        "invalid sweep file: 6 problems",
        "shape.toml:4:1: `sweep.months`: `months` is the scenario's",
        "shape.toml:5:1: `sweep.design`: unknown `latin`",
        "did you mean `lhs`?",
        "shape.toml:7:1: `sweep.replicate`: unknown key",
        "did you mean `replicates`?",
        "shape.toml:9:9: `sweep.parameter`: [[parameter]] tables stand at the top level",
        "shape.toml:14:1: `parameter[0].distribution`: unknown `unifrom`",
        "did you mean `uniform`?",
        "shape.toml:15:1: `parameter[0].min`: expected a number",
    ] {
        assert!(e.contains(says), "stderr lacks {says:?}:\n{e}");
    }
    // The lines come in the file's order.
    let lines: Vec<usize> = e
        .lines()
        .filter_map(|l| l.trim().strip_prefix("shape.toml:"))
        .map(|l| l.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert!(lines.is_sorted() && lines.len() == 6, "{lines:?}");

    let refused = "[sweep]\nname = \"bad\"\nscenario = \"baseline\"\ndesign = \"lhs\"\nsamples = 2\n\n\
                   [[parameter]]\nkey = \"parameters.betta\"\ndistribution = \"uniform\"\nmin = 1\nmax = 3\n\n\
                   [[parameter]]\nkey = \"policy.nope.strength\"\nvalues = [0, 1]\n\n\
                   [outputs]\nmetrics = [\"compute_share_chna\"]\nfocus = [\"KE\", \"KEN\"]\n";
    std::fs::write(tmp.path().join("refused.toml"), refused).unwrap();
    for args in [
        &["validate", "refused.toml"][..],
        &["sweep", "plan", "refused.toml", "--out", "p"][..],
    ] {
        let out = fracture(args, tmp.path());
        let e = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        for says in [
            "invalid sweep file: 4 problems",
            "refused.toml:8:1: `parameter[0].key`: `baseline` refuses it: unknown field `betta`; did you mean `beta`?",
            "refused.toml:14:1: `parameter[1].key`: `baseline` refuses it: no policy with name `nope`",
            "refused.toml:18:12: `outputs.metrics[0]`: `compute_share_chna` is not a numeric global column; did you mean `compute_share_china`?",
            "refused.toml:19:16: `outputs.focus[1]`: no nation `KEN` in the base scenario",
        ] {
            assert!(e.contains(says), "{args:?}: stderr lacks {says:?}:\n{e}");
        }
        assert!(!e.contains("--set"), "{args:?}: blames --set:\n{e}");
    }
    assert!(
        !tmp.path().join("p").exists(),
        "a refused plan wrote nothing"
    );
}

/// `run --report` over a run already there is refused (nothing replaced without --force) with the
/// command that adds the report without running again.
#[test]
fn run_report_over_a_run_suggests_fracture_report() {
    let tmp = tempfile::tempdir().unwrap();
    let first = fracture(&["run", "--months", "2", "--out", "r", "-q"], tmp.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    let again = fracture(
        &["run", "--months", "2", "--out", "r", "--report", "-q"],
        tmp.path(),
    );
    fails_saying(&again, "fracture report r");
    assert!(!tmp.path().join("r/report.html").exists());
    let report = fracture(&["report", "r"], tmp.path());
    assert!(report.status.success(), "{}", text(&report.stderr));
    assert!(tmp.path().join("r/report.html").is_file());
}

/// Command-line values a careless user types get a plain message, not clap's tip about `-- -1`; a
/// `--set` with an index names elements the way `--set` does; a base file that is a device, a FIFO or
/// not TOML is blamed on the `extends` naming it, without quoting its text.
#[test]
fn careless_values_and_bases_get_plain_messages() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &["run", "--seed", "-1"][..],
            "a seed is a whole number from 0 to",
        ),
        (
            &["run", "--months", "-1"][..],
            "months are a whole number from 1 to 1200",
        ),
        (&["run", "--max-memory", "-5G"][..], "is not a size"),
        (&["run", "--seeds", "101"][..], "101 is not in 1..=100"),
    ] {
        let out = fracture(args, tmp.path());
        let e = text(&out.stderr);
        assert!(!out.status.success() && e.contains(says), "{args:?}: {e}");
        assert!(!e.contains("-- -1"), "{args:?}: clap's tip: {e}");
    }
    let out = fracture(
        &[
            "run",
            "--set",
            "nation[0].gdp=1",
            "--months",
            "1",
            "--out",
            "r",
        ],
        tmp.path(),
    );
    let e = text(&out.stderr);
    assert!(
        e.contains("--set: `nation[0].gdp`") && e.contains("nation.ID.FIELD"),
        "{e}"
    );
    assert!(
        !e.contains("baseline.toml"),
        "blamed on the command line: {e}"
    );

    std::fs::write(tmp.path().join("secret.txt"), "TOKEN=hunter2 and more\n").unwrap();
    for (base, says) in [
        ("/dev/zero", "is not a regular file"),
        ("secret.txt", "is not TOML (line 1)"),
    ] {
        std::fs::write(
            tmp.path().join("x.toml"),
            format!("extends = \"{base}\"\n[scenario]\nname = \"x\"\n"),
        )
        .unwrap();
        let out = fracture(&["validate", "x.toml"], tmp.path());
        let e = text(&out.stderr);
        assert!(
            e.contains("x.toml:1:1: `extends`:") && e.contains(says),
            "{base}: {e}"
        );
        assert!(
            !e.contains("TOKEN") && !e.contains("hunter2"),
            "{base}: quoted: {e}"
        );
    }
}

/// The shipped sweep runs by name from any directory, as shipped scenarios do; `validate` and `list`
/// know it, and a misspelt name gets a suggestion.
#[test]
fn shipped_sweeps_run_by_name_from_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &["sweep", "plan", "controls-sensitivity", "--out", "p"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("controls-sensitivity: 3072 runs (1536 points × 2 replicates)"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        tmp.path()
            .join("p/sweep=controls-sensitivity/_plan.json")
            .is_file()
    );
    let out = fracture(&["validate", "controls-sensitivity"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = fracture(&["list"], tmp.path());
    assert!(text(&out.stdout).contains("Shipped sweeps"));
    let out = fracture(
        &["sweep", "plan", "controls-sensitivty", "--out", "q"],
        tmp.path(),
    );
    fails_saying(&out, "did you mean `controls-sensitivity`?");
    assert!(!tmp.path().join("q").exists());
}

/// Every range `fracture parameters` prints can be typed back: each bound reads as a TOML number (the
/// upper end of `flop_per_h100e_month` was printed with 25 digits, which TOML refuses as too large an
/// integer and `--set` took for a string), and setting it passes validation.
#[test]
fn printed_parameter_ranges_can_be_typed_back() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(&["parameters"], tmp.path());
    assert!(out.status.success());
    let listing = text(&out.stdout);
    let mut checked = 0;
    for line in listing.lines().skip(1) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(to) = words.iter().position(|w| *w == "to") else {
            continue;
        };
        let name = words[0];
        for bound in [words[to - 1], words[to + 1]] {
            let v: toml::Value = toml::from_str::<toml::Table>(&format!("x = {bound}"))
                .unwrap_or_else(|e| panic!("{name}: `{bound}` is not TOML: {e}"))["x"]
                .clone();
            assert!(v.is_float() || v.is_integer(), "{name}: `{bound}`");
        }
        checked += 1;
    }
    assert!(checked > 50, "{listing}");
    let out = fracture(
        &[
            "validate",
            "baseline",
            "--set",
            "parameters.flop_per_h100e_month=1e24",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

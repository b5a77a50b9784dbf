//! Sweeps of impossible size are refused before anything is allocated, and a plan read from disk is
//! checked before it is believed: a damaged or edited `_plan.json` gives an error, never a panic, an
//! abort or a file written outside the dataset.

use fracture::sweep::{Plan, Prepared, SweepSpec, dataset};
use std::path::Path;
use std::time::Instant;

const SPEC: &str = r#"
[sweep]
name = "small"
scenario = "baseline"
set = ["scenario.months=2"]
design = "grid"

[[parameter]]
key = "parameters.beta"
values = [1.5, 3.0]
"#;

#[test]
fn a_grid_of_ten_quadrillion_points_is_refused_before_it_is_built() {
    let values: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
    let mut spec =
        "[sweep]\nname = \"huge\"\nscenario = \"baseline\"\ndesign = \"grid\"\n".to_string();
    for k in ["beta", "tau", "eta", "lambda"] {
        spec.push_str(&format!(
            "[[parameter]]\nkey = \"parameters.{k}\"\nvalues = [{}]\n",
            values.join(", ")
        ));
    }
    let started = Instant::now();
    let e = SweepSpec::parse("huge.toml", &spec)
        .unwrap_err()
        .to_string();
    assert!(e.contains("10000000000000000 points, at most 1e7"), "{e}");
    assert!(
        started.elapsed().as_secs() < 60,
        "refused without building the grid"
    );
}

#[test]
fn samples_and_runs_are_bounded() {
    let spec = |samples: &str, replicates: &str| {
        format!(
            "[sweep]\nname = \"s\"\nscenario = \"baseline\"\ndesign = \"random\"\nsamples = {samples}\n\
             replicates = {replicates}\n[[parameter]]\nkey = \"parameters.beta\"\nmin = 1.0\nmax = 2.0\n\
             distribution = \"uniform\"\n"
        )
    };
    let e = SweepSpec::parse("s.toml", &spec("1000000000000", "1"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`sweep.samples`: at most 1e9"), "{e}");
    let e = SweepSpec::parse("s.toml", &spec("10000000", "1000"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("10000000000 runs (10000000 points × 1000 replicates), at most 1e9"),
        "{e}"
    );
    assert!(SweepSpec::parse("s.toml", &spec("1000", "10")).is_ok());
}

/// A planned sweep in `root`; returns its folder.
fn planned(root: &Path) -> std::path::PathBuf {
    let spec = SweepSpec::parse("small.toml", SPEC).unwrap();
    let prepared = Prepared::from_spec(spec, "baseline".into()).unwrap();
    prepared.plan(1).write_or_check(root).unwrap();
    dataset::sweep_dir(root, "small")
}

/// Rewrites one field of the plan's JSON.
fn tamper(sweep: &Path, field: &str, value: serde_json::Value) {
    let path = sweep.join(dataset::PLAN);
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    plan[field] = value;
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
}

#[test]
fn a_short_spec_hash_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = planned(tmp.path());
    tamper(&sweep, "spec_hash", "abc".into());
    let e = Plan::read(&sweep).unwrap_err().to_string();
    assert!(e.contains("`spec_hash` is not a SHA-256"), "{e}");
    // And the message comparing two hashes never slices past a short one.
    let plan: Plan =
        serde_json::from_str(&std::fs::read_to_string(sweep.join(dataset::PLAN)).unwrap()).unwrap();
    let e = plan.check("0123456789abcdef").unwrap_err().to_string();
    assert!(e.contains("plan hash abc"), "{e}");
}

#[test]
fn a_plan_of_a_quintillion_runs_does_not_abort_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = planned(tmp.path());
    tamper(&sweep, "runs", 1_000_000_000_000_000_000u64.into());
    let e = dataset::verify(&sweep).unwrap_err().to_string();
    assert!(e.contains("`runs` is 1000000000000000000"), "{e}");
    assert!(dataset::status(&sweep).is_err());
}

#[test]
fn paths_from_a_plan_stay_inside_the_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    std::fs::create_dir(&root).unwrap();
    let sweep = planned(&root);
    tamper(&sweep, "sweep", "x/../../../ESCAPED".into());
    let options = fracture::sweep::analysis::AnalyzeOptions::default();
    let e = fracture::sweep::analysis::analyze(&sweep, &options)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a plain folder name"), "{e}");
    let mut everything: Vec<String> = walk(tmp.path());
    everything.sort();
    assert_eq!(
        everything,
        ["data", "data/sweep=small", "data/sweep=small/_plan.json"]
    );
    // Nor may a plan name another sweep than its folder's.
    tamper(&sweep, "sweep", "other".into());
    assert!(Plan::read(&sweep).is_err());
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

/// A design file is a regular file of at most 64 MB: a FIFO is refused at once (reading it would wait
/// for a writer), a device such as `/dev/zero` without reading from it, a larger file by its size.
#[cfg(unix)]
#[test]
fn design_files_are_regular_files_of_at_most_64_mb() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |file: &str| {
        format!(
            "[sweep]\nname = \"f\"\nscenario = \"baseline\"\ndesign = \"file\"\nfile = \"{file}\"\n"
        )
    };
    let read = |name: &str, file: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, spec(file)).unwrap();
        format!("{:#}", SweepSpec::read(&path).unwrap_err())
    };
    let fifo = dir.path().join("points.csv");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let e = read("fifo.toml", "points.csv");
    assert!(e.contains("not a regular file"), "{e}");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.csv")).unwrap();
    let e = read("zero.toml", "zero.csv");
    assert!(
        e.contains("zero.csv") && e.contains("not a regular file"),
        "{e}"
    );
    let big = dir.path().join("big.csv");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len((64 << 20) + 1).unwrap();
    let e = read("big.toml", "big.csv");
    assert!(e.contains("larger than the limit of 64 MB"), "{e}");
}

/// `sweep analyze --bootstrap` is bounded: each resample holds a copy of the indices.
#[test]
fn bootstrap_resamples_are_bounded() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fracture"))
        .args(["sweep", "analyze", ".", "--bootstrap", "100000000"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("100000000 is not in 1..=100000"), "{e}");
}

//! `fracture list | head -1` and friends: a reader that closes standard output early ends the command
//! quietly with success — no panic, no exit code 101, no error message.

mod common;

use common::{command, fracture, text};
use std::io::Read;
use std::path::Path;
use std::process::{Output, Stdio};

/// Runs fracture with standard output a real pipe whose reading end is already closed, so that its
/// first write fails with EPIPE.
fn with_closed_stdout(args: &[&str], cwd: &Path) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    command()
        .args(args)
        .current_dir(cwd)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

fn assert_quiet_success(args: &[&str], cwd: &Path) {
    let out = with_closed_stdout(args, cwd);
    let err = String::from_utf8_lossy(&out.stderr);
    // `sweep status` and `verify` also write notes to standard error, on purpose.
    assert!(
        out.status.success()
            && !err.contains("panicked")
            && !err.contains("error")
            && !err.contains("Broken pipe"),
        "fracture {}: {:?}\n{err}",
        args.join(" "),
        out.status
    );
}

fn sweep(dir: &Path) {
    std::fs::write(
        dir.join("s.toml"),
        r#"[sweep]
name = "p"
scenario = "baseline"
set = ["scenario.months=2"]
design = "grid"

[[parameter]]
key = "parameters.beta"
values = [1.0, 2.0]
"#,
    )
    .unwrap();
    let out = fracture(&["sweep", "run", "s.toml", "--out", "ds", "-q"], dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn every_printing_command_exits_quietly_when_its_reader_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    sweep(tmp.path());
    for args in [
        &["list"][..],
        &["parameters"],
        &["validate", "baseline", "reciprocity"],
        &["sweep", "dump", "ds"],
        &["sweep", "status", "ds"],
        &["sweep", "verify", "ds"],
        &["run", "--months", "1", "--out", "r"],
    ] {
        assert_quiet_success(args, tmp.path());
    }
    assert!(
        tmp.path().join("r/manifest.json").is_file(),
        "the run's results are written before its summary is printed"
    );
}

#[test]
fn a_reader_that_takes_one_line_and_leaves_ends_the_listing_quietly() {
    // As `fracture parameters | head -1`: the reader leaves after the first line, while fracture is
    // still writing (the listing is longer than one line).
    let tmp = tempfile::tempdir().unwrap();
    let mut child = command()
        .arg("parameters")
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

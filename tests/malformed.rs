//! A corpus of malformed scenarios, `tests/malformed/*.toml`, one defect each. Each file says what is
//! wrong (`# defect:`), the key path the error must name (`# expect:`, `[*]` for any index), and marks
//! the line the error must point at with `# <-`. For every file, both `fracture validate` and
//! `fracture run` must exit non-zero with `FILE:LINE:COLUMN: `KEY``, and the run must write nothing.

mod common;

use std::path::{Path, PathBuf};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// `lab[12].count` → `lab[*].count`.
fn wildcard(key: &str) -> String {
    let mut out = String::new();
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[*");
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

struct Case {
    name: String,
    expect: String,
    line: usize,
}

fn case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let header = |tag: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(tag))
            .unwrap_or_else(|| panic!("{name} has no `{tag}` line"))
            .trim()
            .to_string()
    };
    header("# defect:");
    let expect = header("# expect:");
    let line = text
        .lines()
        .position(|l| l.contains("# <-"))
        .unwrap_or_else(|| panic!("{name} marks no line with `# <-`"))
        + 1;
    Case { name, expect, line }
}

/// Whether `stderr` has a diagnostic `NAME:LINE:COL: `KEY`` with KEY matching the expected pattern.
fn located(stderr: &str, c: &Case) -> bool {
    let prefix = format!("{}:{}:", c.name, c.line);
    stderr.lines().map(str::trim).any(|l| {
        let Some(rest) = l.strip_prefix(&prefix) else {
            return false;
        };
        let Some((column, rest)) = rest.split_once(": `") else {
            return false;
        };
        let Some((key, _)) = rest.split_once('`') else {
            return false;
        };
        column.parse::<usize>().is_ok() && wildcard(key) == c.expect
    })
}

#[test]
fn every_malformed_scenario_is_refused_with_its_file_line_and_key_and_writes_nothing() {
    let files = corpus();
    assert!(files.len() >= 50, "the corpus has {} files", files.len());
    let dir = files[0].parent().unwrap().to_path_buf();
    let out_root = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for path in &files {
        let c = case(path);
        let out = out_root.path().join(c.name.trim_end_matches(".toml"));
        for args in [
            vec!["validate".to_string(), c.name.clone()],
            vec![
                "run".into(),
                c.name.clone(),
                "--out".into(),
                out.display().to_string(),
                "-q".into(),
            ],
        ] {
            let result = common::fracture(&args, &dir);
            let stderr = String::from_utf8_lossy(&result.stderr);
            if result.status.success() {
                failures.push(format!("fracture {}: exit 0", args.join(" ")));
            } else if result.status.code() != Some(1) {
                failures.push(format!(
                    "fracture {}: {:?} (a crash?)\n{stderr}",
                    args.join(" "),
                    result.status
                ));
            } else if !located(&stderr, &c) {
                failures.push(format!(
                    "fracture {}: no `{}:{}:COLUMN: `{}``\n{stderr}",
                    args.join(" "),
                    c.name,
                    c.line,
                    c.expect
                ));
            }
        }
    }
    let written: Vec<_> = std::fs::read_dir(out_root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(written.is_empty(), "runs wrote {written:?}");
    assert!(
        failures.is_empty(),
        "{} of {} checks failed:\n{}",
        failures.len(),
        2 * files.len(),
        failures.join("\n")
    );
}

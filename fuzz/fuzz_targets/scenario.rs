//! Scenario text, then optionally a NUL byte and `--set` strings one per line, through loading and
//! validation. Loading must not panic, abort or hang, and every problem of a rejection must be located:
//! a file and a line, or `--set`.
#![no_main]

use fracture_scenario::scenario::{Override, load_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (scenario, sets) = text.split_once('\0').unwrap_or((&text, ""));
    let sets: Vec<String> = sets
        .lines()
        .filter(|l| !l.is_empty())
        .take(8)
        .map(str::to_string)
        .collect();
    // Read as `--set` reads them: a malformed one is kept, to be reported with the file's problems.
    let sets = Override::parse_all(&sets);
    if let Err(e) = load_str("fuzz.toml", scenario, &sets) {
        assert!(!e.diagnostics.is_empty(), "an error without problems");
        for d in &e.diagnostics {
            assert!(
                d.file == "--set" || (!d.file.is_empty() && d.line.is_some()),
                "an unlocated problem: {d}"
            );
        }
    }
});

//! `--set` strings, one per line, on the baseline read once (as a sweep applies its points): loading must
//! not panic, and every problem of a rejection must be located (a file and a line, or `--set`).
#![no_main]

use fracture_scenario::scenario::{Base, Override};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static BASE: LazyLock<Base> = LazyLock::new(|| Base::read("baseline").expect("the baseline loads"));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let sets: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .take(16)
        .map(str::to_string)
        .collect();
    // Read as `--set` reads them: a malformed one is kept, to be reported with the file's problems.
    let sets = Override::parse_all(&sets);
    if let Err(e) = BASE.load(&sets) {
        assert!(!e.diagnostics.is_empty(), "an error without problems");
        for d in &e.diagnostics {
            assert!(
                d.file == "--set" || (!d.file.is_empty() && d.line.is_some()),
                "an unlocated problem: {d}"
            );
        }
    }
});

//! Speed of reading scenarios with long entity lists (run with `cargo bench --bench loading`): a file
//! that extends the baseline with N `[[coalition]]` entries, N `[[lab]]` entries, or N `[[coalition]]`
//! entries that a second file then removes one by one, for N = 5 000, 10 000, 20 000 and 40 000; and the
//! same files with a bad reference in every entry, so that validation reports N problems. Loading must
//! grow linearly: the time per entry is printed and should stay flat as N doubles.
//!
//! Numbers are printed, never asserted.

use std::fmt::Write;
use std::time::Instant;

fn coalitions(n: usize, member: &str) -> String {
    let mut s = String::from("extends = \"baseline\"\n[scenario]\nname = \"bench\"\n");
    for i in 0..n {
        let _ = write!(
            s,
            "[[coalition]]\nid = \"c{i}\"\nmembers = [\"US\", \"{member}\"]\n"
        );
    }
    s
}

fn labs(n: usize, nation: &str) -> String {
    let mut s = String::from("extends = \"baseline\"\n[scenario]\nname = \"bench\"\n");
    for i in 0..n {
        let _ = write!(
            s,
            "[[lab]]\nid = \"lab{i}\"\nnation = \"{nation}\"\nkind = \"startup\"\nbudget = 1\n"
        );
    }
    s
}

/// The fastest of three loads, in seconds, and the number of problems reported.
fn time(dir: &std::path::Path, text: &str) -> (f64, usize) {
    let path = dir.join("bench.toml");
    std::fs::write(&path, text).unwrap();
    let mut best = f64::INFINITY;
    let mut problems = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let result = fracture::scenario::load(path.to_str().unwrap(), &[]);
        best = best.min(start.elapsed().as_secs_f64());
        problems = result.err().map_or(0, |e| e.diagnostics.len());
    }
    (best, problems)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    for n in [5_000, 10_000, 20_000, 40_000] {
        let mut removal = coalitions(n, "KE");
        std::fs::write(dir.path().join("base.toml"), &removal).unwrap();
        removal = String::from("extends = \"base.toml\"\n[remove]\ncoalition = [");
        for i in 0..n {
            let _ = write!(removal, "\"c{i}\", ");
        }
        removal.push_str("]\n");
        for (what, text) in [
            ("coalitions", coalitions(n, "KE")),
            ("labs", labs(n, "KE")),
            ("coalitions removed", removal),
            ("coalitions, each a bad member", coalitions(n, "Atlantis")),
            ("labs, each a bad nation", labs(n, "Atlantis")),
        ] {
            let (secs, problems) = time(dir.path(), &text);
            println!(
                "{n:>6} {what:<30} {:>8.1} ms  {:>6.2} µs per entry  ({problems} problems)",
                secs * 1e3,
                secs * 1e6 / n as f64
            );
        }
    }
}

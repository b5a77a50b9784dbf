//! The limits every scenario is held to, checked on the merged TOML document before it is typed, so that
//! they apply to every field — present, renamed or added later — without a line of code per field:
//!
//! - every number is finite (TOML's `nan` and `inf` are refused);
//! - every number is within ±[`MAX_MAGNITUDE`], unless [`LIMITS`] gives its key another range: no
//!   quantity in the model's units (H100e, chips a month, millions of people, billions of USD, USD per
//!   unit or hour) comes near it, and it keeps sums and products of several such quantities far from
//!   overflowing to infinity (and from there to NaN);
//! - the keys in [`LIMITS`] are held to their own range: mostly lengths of time and counts, which size
//!   the run's memory and time.
//!
//! A key's range in [`LIMITS`] is the first pattern that matches its path: `lab[*].count` (any element),
//! `parameters.*_months` (any key of that form), `**.capacity` (that key anywhere). Adding a bound for a
//! new field is one line here; the README's table lists the same bounds.

use toml::{Table, Value};

/// Longest run, in months (100 years); also the bound of every other length of time in months.
pub const MAX_MONTHS: u32 = 1200;
/// Most labs a scenario may hold, summed over its `[[lab]]` entries' `count` (a lab costs ≈ 1.2 KB
/// of memory, and every month writes a row per lab).
pub const MAX_LABS: u64 = 100_000_000;
/// Bound of the magnitude of any number no entry of [`LIMITS`] covers.
pub const MAX_MAGNITUDE: f64 = 1e15;
/// Most files an `extends` chain may hold.
pub const MAX_EXTENDS_DEPTH: usize = 32;

/// A range for the numbers at the key paths matching `pattern`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub pattern: &'static str,
    pub min: f64,
    pub max: f64,
    /// What the number is, for the error message.
    pub what: &'static str,
}

const fn limit(pattern: &'static str, min: f64, max: f64, what: &'static str) -> Limit {
    Limit {
        pattern,
        min,
        max,
        what,
    }
}

const MONTHS: f64 = MAX_MONTHS as f64;

/// The ranges, the first matching pattern winning. (Lower bounds the semantic checks already make with
/// a more specific message, such as "at least 1", are repeated here only where they size memory.)
pub const LIMITS: &[Limit] = &[
    limit(
        "scenario.months",
        1.0,
        MONTHS,
        "months of the run (at most 100 years)",
    ),
    limit(
        "scenario.seed",
        0.0,
        i64::MAX as f64,
        "a seed (a 64-bit signed integer, as on the command line)",
    ),
    limit(
        "parameters.*_months",
        0.0,
        MONTHS,
        "months (no longer than the longest run)",
    ),
    limit(
        "parameters.reoffer_rounds",
        0.0,
        1000.0,
        "re-offer rounds a month",
    ),
    limit(
        "parameters.flop_per_h100e_month",
        0.0,
        1e30,
        "FLOP an H100e delivers in a month",
    ),
    limit(
        "lab[*].count",
        1.0,
        MAX_LABS as f64,
        "labs an entry stands for",
    ),
    limit(
        "trigger[*].delay_months",
        1.0,
        MONTHS,
        "months from the event to the response (no longer than the longest run)",
    ),
    limit(
        "trigger[*].duration_months",
        1.0,
        MONTHS,
        "months the response lasts (no longer than the longest run; leave it out for \"to the end\")",
    ),
    limit("nation[*].population", 0.0, 1e5, "millions of people"),
    limit(
        "**.capacity",
        0.0,
        1e12,
        "capacity (H100e installed, or chips a month)",
    ),
];

type Problems = Vec<(String, String)>;

/// How the message of a NaN or infinity starts.
pub(crate) const NOT_FINITE: &str = "expected a finite number";

/// Checks every number of the merged document; problems as (key path, what was expected).
pub(crate) fn check(doc: &Table, problems: &mut Problems) {
    for (key, value) in doc {
        walk(value, key, problems);
    }
}

fn walk(value: &Value, path: &str, problems: &mut Problems) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                walk(v, &format!("{path}.{k}"), problems);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), problems);
            }
        }
        Value::Float(x) => check_number(path, *x, &shown(*x), problems),
        Value::Integer(i) => check_number(path, *i as f64, &i.to_string(), problems),
        _ => {}
    }
}

fn check_number(path: &str, x: f64, shown: &str, problems: &mut Problems) {
    if !x.is_finite() {
        problems.push((path.to_string(), format!("{NOT_FINITE}, found {shown}")));
        return;
    }
    match limit_of(path) {
        Some(l) => {
            if !(l.min..=l.max).contains(&x) {
                problems.push((
                    path.to_string(),
                    format!(
                        "expected {} in [{}, {}], found {shown}",
                        l.what,
                        number(l.min),
                        number(l.max)
                    ),
                ));
            }
        }
        None => {
            if x.abs() > MAX_MAGNITUDE {
                problems.push((
                    path.to_string(),
                    format!(
                        "expected a number within ±{} (no quantity in the model's units comes near it), \
                         found {shown}",
                        number(MAX_MAGNITUDE)
                    ),
                ));
            }
        }
    }
}

/// A float as found, without three hundred digits: 1.5, 4e9, 1.7e308, NaN.
fn shown(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-4..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Numbers as people write them: 1200, 1e8, 9223372036854775807.
fn number(x: f64) -> String {
    if x == i64::MAX as f64 {
        i64::MAX.to_string()
    } else if x.abs() >= 1e6 && x.fract() == 0.0 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// The limit of a key path (`lab[3].count`), if [`LIMITS`] has one.
pub fn limit_of(path: &str) -> Option<&'static Limit> {
    let segments: Vec<String> = path.split('.').map(wildcard_indices).collect();
    LIMITS.iter().find(|l| {
        let pattern: Vec<&str> = l.pattern.split('.').collect();
        matches(&pattern, &segments)
    })
}

/// `lab[3]` → `lab[*]`.
fn wildcard_indices(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut in_index = false;
    for c in segment.chars() {
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

fn matches(pattern: &[&str], path: &[String]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => (0..=path.len()).any(|skip| matches(&pattern[1..], &path[skip..])),
        (Some(p), Some(s)) => segment_matches(p, s) && matches(&pattern[1..], &path[1..]),
        _ => false,
    }
}

/// One segment: `*` matches any, `*_months` any with that suffix, else equal.
fn segment_matches(pattern: &str, segment: &str) -> bool {
    match pattern.strip_prefix('*') {
        Some(suffix) => segment.ends_with(suffix) && !segment.contains('['),
        None => pattern == segment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Problems {
        let doc: Table = toml::from_str(text).unwrap();
        let mut p = Problems::new();
        check(&doc, &mut p);
        p
    }

    #[test]
    fn patterns_match_paths() {
        assert_eq!(limit_of("lab[12].count").unwrap().pattern, "lab[*].count");
        assert_eq!(
            limit_of("parameters.initial_age_months").unwrap().pattern,
            "parameters.*_months"
        );
        assert_eq!(
            limit_of("provider[0].region[3].capacity").unwrap().pattern,
            "**.capacity"
        );
        assert_eq!(limit_of("fab[1].capacity").unwrap().pattern, "**.capacity");
        assert!(limit_of("lab[1].demand").is_none());
        assert!(limit_of("parameters.beta").is_none());
    }

    #[test]
    fn out_of_range_and_non_finite_numbers_are_named() {
        let p = problems(
            "[scenario]\nmonths = 5000\nseed = 1\n[parameters]\nbeta = nan\ninitial_age_months = 4000000000\n\
             [[lab]]\ncount = 4000000000\n[[provider]]\nregion = [{ capacity = 1.7e308 }, { capacity = 1.0 }]\n\
             [[nation]]\ngdp = -inf\nalignment = { west = 1e300 }\n",
        );
        let paths: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            paths,
            [
                "lab[0].count",
                "nation[0].alignment.west",
                "nation[0].gdp",
                "parameters.beta",
                "parameters.initial_age_months",
                "provider[0].region[0].capacity",
                "scenario.months"
            ]
        );
        let months = &p.iter().find(|(k, _)| k == "scenario.months").unwrap().1;
        assert_eq!(
            months,
            "expected months of the run (at most 100 years) in [1, 1200], found 5000"
        );
        let beta = &p.iter().find(|(k, _)| k == "parameters.beta").unwrap().1;
        assert_eq!(beta, "expected a finite number, found NaN");
        let count = &p.iter().find(|(k, _)| k == "lab[0].count").unwrap().1;
        assert!(count.contains("[1, 1e8]"), "{count}");
    }
}

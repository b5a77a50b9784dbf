//! The limits every scenario is held to, checked on the merged TOML document before it is typed, so that
//! they apply to every field — present, renamed or added later — without a line of code per field:
//!
//! - every number is finite (TOML's `nan` and `inf` are refused), and 0 or at least [`MIN_MAGNITUDE`]
//!   in magnitude;
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
/// Most nations a world may hold (the policy rules hold nation × nation grids).
pub const MAX_NATIONS: usize = 1000;
/// Most inputs (tools, materials): the rules hold two nation × nation grids for each.
pub const MAX_INPUTS: usize = 100;
/// Most chip classes, providers and blocs a world may hold.
pub const MAX_CHIPS: usize = 200;
pub const MAX_PROVIDERS: usize = 1000;
pub const MAX_BLOCS: usize = 16;
/// Bound of the magnitude of any number no entry of [`LIMITS`] covers.
pub const MAX_MAGNITUDE: f64 = 1e15;
/// Smallest magnitude of a number other than 0: below it a number is rounding noise, and dividing by
/// it (a price of 1e-300 raised to −β) overflows.
pub const MIN_MAGNITUDE: f64 = 1e-15;
/// Most policies a run's triggers may put in force in all: a template named after the accused lab
/// (`$lab`) in a world where every lab is accused every month would otherwise add a policy per lab and
/// month, each compiled every month. When it is reached, triggers stop firing and an event says so.
pub const MAX_TRIGGERED_POLICIES: u32 = 1000;
/// Most bytes of a scenario's files together (the file given and those it extends): parsing and
/// locating every key costs up to ≈ 60 times a file's size in memory, so a 16 MB file of tiny values
/// peaks near 1 GB. A world of 100 000 lab entries takes ≈ 13 MB.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// Most files an `extends` chain may hold.
pub const MAX_EXTENDS_DEPTH: usize = 32;

/// Most entries of each array section, and why: checked before an entry is typed, so that a file of a
/// million entries is refused without typing them (only the first this many are typed and checked).
/// Nations, inputs, chip classes, providers and blocs size the policy rules' and the market's grids;
/// the others size the work of every month (a lab entry is a market segment of its own; a population
/// of labs is one entry with `count`).
pub const MAX_ENTRIES: &[(&str, usize, &str)] = &[
    (
        "nation",
        MAX_NATIONS,
        "the policy rules and the market hold a grid over them",
    ),
    (
        "input",
        MAX_INPUTS,
        "the policy rules hold two nation × nation grids for each",
    ),
    (
        "chip",
        MAX_CHIPS,
        "the policy rules hold a chip × nation grid for each",
    ),
    (
        "provider",
        MAX_PROVIDERS,
        "the policy rules and the market hold a grid over them",
    ),
    ("bloc", MAX_BLOCS, "every nation holds a weight for each"),
    (
        "lab",
        100_000,
        "each entry is a market segment of its own; a population of labs is one entry with `count`",
    ),
    (
        "policy",
        10_000,
        "the policies in force are compiled every month",
    ),
    (
        "trigger",
        1_000,
        "every accusation is matched against each trigger",
    ),
    (
        "intermediary",
        10_000,
        "each routes smuggled chips every month",
    ),
    ("coalition", 1_000, "each is resolved every month"),
    ("fab", 10_000, "each produces every month"),
];

/// Most regions all providers hold together (each is a market seller every month).
pub const MAX_REGIONS: usize = 20_000;

/// The bound on entries of `section` (usize::MAX for one without).
pub fn max_entries(section: &str) -> (usize, &'static str) {
    MAX_ENTRIES
        .iter()
        .find(|(s, ..)| *s == section)
        .map_or((usize::MAX, ""), |&(_, max, why)| (max, why))
}

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
        "capacity (H100e installed in a region)",
    ),
];

type Problems = Vec<(String, String)>;

/// How the message of a NaN or infinity starts.
pub(crate) const NOT_FINITE: &str = "expected a finite number";

/// Most elements of a list inside an entry (`members`, `targets`, `providers`, `region`, `sources`, …):
/// far above any the model reads (a list of nations or providers holds at most 1000), and what keeps a
/// file of 16 million unknown ids from costing a problem each.
pub const MAX_LIST: usize = 10_000;

/// Cuts every list of the merged document to its bound, saying so once per list: an array section to
/// [`max_entries`], a list inside an entry to [`MAX_LIST`]. What lies past a bound is never checked
/// (each of a million mistaken entries would otherwise cost a problem, memory and time).
pub(crate) fn cut_long_lists(doc: &mut Table, problems: &mut Problems) {
    for (section, value) in doc.iter_mut() {
        let Value::Array(items) = value else {
            if let Value::Table(t) = value {
                cut_within(t, &|| section.to_string(), problems);
            }
            continue;
        };
        let (max, why) = max_entries(section);
        if items.len() > max {
            problems.push((
                section.to_string(),
                format!(
                    "expected at most {max} [[{section}]] entries, found {}: {why} (see README, \
                     \"Limits\"); only the first {max} are checked",
                    items.len()
                ),
            ));
            items.truncate(max);
        }
        for (i, item) in items.iter_mut().enumerate() {
            if let Value::Table(t) = item {
                cut_within(t, &|| format!("{section}[{i}]"), problems);
            }
        }
    }
}

/// `at` spells out the table's key path, called only for a problem: a sweep loads its scenario once a
/// run, and formatting a path for each of its thousands of keys was most of this walk's time.
fn cut_within(table: &mut Table, at: &dyn Fn() -> String, problems: &mut Problems) {
    for (key, value) in table.iter_mut() {
        let path = || format!("{}.{key}", at());
        match value {
            Value::Array(items) => {
                if items.len() > MAX_LIST {
                    problems.push((
                        path(),
                        format!(
                            "expected a list of at most {MAX_LIST} elements, found {}; only the \
                             first {MAX_LIST} are checked",
                            items.len()
                        ),
                    ));
                    items.truncate(MAX_LIST);
                }
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Table(t) = item {
                        cut_within(t, &|| format!("{}[{i}]", path()), problems);
                    }
                }
            }
            Value::Table(t) => cut_within(t, &path, problems),
            _ => {}
        }
    }
}

/// Checks every number of the merged document; problems as (key path, what was expected).
pub(crate) fn check(doc: &Table, problems: &mut Problems) {
    let mut tokens = Vec::new();
    for (key, value) in doc {
        tokens.push(Token::Key(key));
        walk(value, &mut tokens, problems);
        tokens.pop();
    }
}

/// One step of a key path: a key, or an array's element.
#[derive(Clone, Copy, Debug)]
enum Token<'a> {
    Key(&'a str),
    Index(usize),
}

/// `lab[3].count` from its tokens.
fn path_of(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for t in tokens {
        match t {
            Token::Key(k) if out.is_empty() => out.push_str(k),
            Token::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Token::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn walk<'a>(value: &'a Value, tokens: &mut Vec<Token<'a>>, problems: &mut Problems) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                tokens.push(Token::Key(k));
                walk(v, tokens, problems);
                tokens.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                tokens.push(Token::Index(i));
                walk(v, tokens, problems);
                tokens.pop();
            }
        }
        Value::Float(x) => check_number(tokens, *x, || shown(*x), problems),
        Value::Integer(i) => check_number(tokens, *i as f64, || i.to_string(), problems),
        _ => {}
    }
}

fn check_number(tokens: &[Token<'_>], x: f64, shown: impl Fn() -> String, problems: &mut Problems) {
    if !x.is_finite() {
        problems.push((path_of(tokens), format!("{NOT_FINITE}, found {}", shown())));
        return;
    }
    if x != 0.0 && x.abs() < MIN_MAGNITUDE {
        problems.push((
            path_of(tokens),
            format!(
                "expected 0 or a number of magnitude at least {MIN_MAGNITUDE:e} (smaller ones are \
                 rounding noise, and dividing by them overflows), found {}",
                shown()
            ),
        ));
        return;
    }
    match limit_of_tokens(tokens) {
        Some(l) => {
            if !(l.min..=l.max).contains(&x) {
                problems.push((
                    path_of(tokens),
                    format!(
                        "expected {} in [{}, {}], found {}",
                        l.what,
                        number(l.min),
                        number(l.max),
                        shown()
                    ),
                ));
            }
        }
        None => {
            if x.abs() > MAX_MAGNITUDE {
                problems.push((
                    path_of(tokens),
                    format!(
                        "expected a number within ±{} (no quantity in the model's units comes near it), \
                         found {}",
                        number(MAX_MAGNITUDE),
                        shown()
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

/// A pattern's steps: `lab[*].count` is `lab`, any index, `count`.
#[derive(Debug)]
enum Step {
    /// `*` (any key), `*_months` (any key so ending) or a key.
    Key(&'static str),
    Index,
    /// `**`: any number of steps.
    Any,
}

/// The patterns of [`LIMITS`], split into steps once.
static PATTERNS: std::sync::LazyLock<Vec<Vec<Step>>> = std::sync::LazyLock::new(|| {
    LIMITS
        .iter()
        .map(|l| {
            let mut steps = Vec::new();
            for segment in l.pattern.split('.') {
                if segment == "**" {
                    steps.push(Step::Any);
                    continue;
                }
                let (key, indices) = segment.split_once('[').unwrap_or((segment, ""));
                steps.push(Step::Key(key));
                steps.extend(indices.matches('*').map(|_| Step::Index));
            }
            steps
        })
        .collect()
});

/// The limit of a key path (`lab[3].count`), if [`LIMITS`] has one.
pub fn limit_of(path: &str) -> Option<&'static Limit> {
    let mut tokens = Vec::new();
    for segment in path.split('.') {
        let (key, rest) = segment.split_once('[').unwrap_or((segment, ""));
        tokens.push(Token::Key(key));
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                tokens.push(Token::Index(i));
            }
        }
    }
    limit_of_tokens(&tokens)
}

fn limit_of_tokens(tokens: &[Token<'_>]) -> Option<&'static Limit> {
    PATTERNS
        .iter()
        .position(|p| matches(p, tokens))
        .map(|i| &LIMITS[i])
}

fn matches(pattern: &[Step], path: &[Token<'_>]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(Step::Any), _) => (0..=path.len()).any(|skip| matches(&pattern[1..], &path[skip..])),
        (Some(Step::Index), Some(Token::Index(_))) => matches(&pattern[1..], &path[1..]),
        (Some(Step::Key(p)), Some(Token::Key(k))) => {
            let hit = match p.strip_prefix('*') {
                Some(suffix) => k.ends_with(suffix),
                None => p == k,
            };
            hit && matches(&pattern[1..], &path[1..])
        }
        _ => false,
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

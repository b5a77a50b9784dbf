//! Property tests of loading and validation: thousands of mutations of the shipped scenarios (keys
//! deleted, entries duplicated, values retyped, numbers made huge, tiny, negative, NaN or infinite, keys
//! misspelt, text truncated or lines doubled) and of `--set` strings. Whatever the input, loading must
//! not panic, and a rejection must be located: every problem names a file and a line, or `--set`.
//!
//! `FRACTURE_FUZZ_CASES` sets the number of cases per property (default: a few seconds' worth).

use fracture::scenario::{Base, Diagnostic, Override, SHIPPED, ScenarioError, load_str};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use std::sync::LazyLock;
use toml::{Table, Value};

fn cases(default: u32) -> u32 {
    std::env::var("FRACTURE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        // Failures are kept in the test's source instead, as regression cases.
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// The shipped scenarios as documents.
static DOCS: LazyLock<Vec<Table>> = LazyLock::new(|| {
    SHIPPED
        .iter()
        .map(|s| toml::from_str(s.text).expect("shipped scenarios parse"))
        .collect()
});

/// One step of a key path in a document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every key path of `value` (tables' keys and arrays' elements), depth first.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                prefix.push(Step::Key(k.clone()));
                out.push(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                out.push(prefix.clone());
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// The parent of the value at `path`, and the last step.
fn parent<'a>(root: &'a mut Value, path: &'a [Step]) -> Option<(&'a mut Value, &'a Step)> {
    let (last, init) = path.split_last()?;
    let mut node = root;
    for s in init {
        node = match (s, node) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some((node, last))
}

fn at<'a>(root: &'a mut Value, path: &'a [Step]) -> Option<&'a mut Value> {
    match parent(root, path)? {
        (Value::Table(t), Step::Key(k)) => t.get_mut(k),
        (Value::Array(a), Step::Index(i)) => a.get_mut(*i),
        _ => None,
    }
}

/// Numbers that have broken things: huge, tiny, negative, non-finite, past u32 and i32.
const FLOATS: [f64; 12] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1.7e308,
    1e300,
    -1.0,
    0.0,
    -0.0,
    1e-300,
    4e9,
    0.5,
    1e15,
];
const INTS: [i64; 9] = [
    i64::MAX,
    i64::MIN,
    -1,
    0,
    1,
    4_000_000_000,
    2_147_483_648,
    1 << 40,
    1201,
];

/// What to do to the document.
#[derive(Clone, Debug)]
enum Mutation {
    Delete,
    /// Appends a copy of the array element (or of the table's parent array's element) at the path.
    Duplicate,
    Retype(u8),
    Float(usize),
    Int(usize),
    /// Scales a number by 10^k.
    Scale(i32),
    Rename(String),
    Insert(String, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        Just(Mutation::Duplicate),
        (0u8..10).prop_map(Mutation::Retype),
        (0..FLOATS.len()).prop_map(Mutation::Float),
        (0..INTS.len()).prop_map(Mutation::Int),
        (-320i32..320).prop_map(Mutation::Scale),
        "[a-z_]{1,12}".prop_map(Mutation::Rename),
        ("[a-z_]{1,12}", 0u8..10).prop_map(|(k, v)| Mutation::Insert(k, v)),
    ]
}

fn retyped(kind: u8) -> Value {
    match kind {
        0 => Value::String("x".into()),
        1 => Value::Boolean(true),
        2 => Value::Integer(7),
        3 => Value::Float(0.5),
        4 => Value::Array(Vec::new()),
        5 => Value::Table(Table::new()),
        6 => Value::Array(vec![Value::Integer(1), Value::String("KE".into())]),
        7 => Value::String("$lab".into()),
        8 => Value::String("2025-13".into()),
        _ => Value::String(String::new()),
    }
}

fn mutate(doc: &mut Value, path: &[Step], m: &Mutation) {
    match m {
        Mutation::Delete => {
            if let Some((p, last)) = parent(doc, path) {
                match (p, last) {
                    (Value::Table(t), Step::Key(k)) => {
                        t.remove(k);
                    }
                    (Value::Array(a), Step::Index(i)) if *i < a.len() => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::Duplicate => {
            if let Some((Value::Array(a), Step::Index(i))) = parent(doc, path)
                && let Some(v) = a.get(*i).cloned()
            {
                a.push(v);
            }
        }
        Mutation::Retype(kind) => {
            if let Some(v) = at(doc, path) {
                *v = retyped(*kind);
            }
        }
        Mutation::Float(i) => {
            if let Some(v) = at(doc, path) {
                *v = Value::Float(FLOATS[*i]);
            }
        }
        Mutation::Int(i) => {
            if let Some(v) = at(doc, path) {
                *v = Value::Integer(INTS[*i]);
            }
        }
        Mutation::Scale(k) => {
            if let Some(v) = at(doc, path) {
                let factor = 10f64.powi(*k);
                match v {
                    Value::Float(x) => *x *= factor,
                    Value::Integer(n) => *v = Value::Float(*n as f64 * factor),
                    _ => {}
                }
            }
        }
        Mutation::Rename(new) => {
            if let Some((Value::Table(t), Step::Key(k))) = parent(doc, path)
                && let Some(v) = t.remove(k)
            {
                t.insert(new.clone(), v);
            }
        }
        Mutation::Insert(key, kind) => {
            if let Some(Value::Table(t)) = at(doc, path) {
                t.insert(key.clone(), retyped(*kind));
            }
        }
    }
}

/// What to do to the text after the document is written out.
#[derive(Clone, Debug)]
enum Edit {
    None,
    Truncate(usize),
    DoubleLine(usize),
    DeleteLine(usize),
    Insert(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => Just(Edit::None),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => any::<usize>().prop_map(Edit::DoubleLine),
        1 => any::<usize>().prop_map(Edit::DeleteLine),
        1 => (any::<usize>(), "[\\[\\]{}=\".,#a-z0-9 \n]{1,8}").prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn apply_edit(text: &str, e: &Edit) -> String {
    let boundary = |i: usize| {
        let mut i = i % (text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let lines: Vec<&str> = text.lines().collect();
    match e {
        Edit::None => text.to_string(),
        Edit::Truncate(i) => text[..boundary(*i)].to_string(),
        Edit::DoubleLine(i) if !lines.is_empty() => {
            let i = i % lines.len();
            let mut out: Vec<&str> = lines.clone();
            out.insert(i, lines[i]);
            out.join("\n")
        }
        Edit::DeleteLine(i) if !lines.is_empty() => {
            let mut out = lines.clone();
            out.remove(i % lines.len());
            out.join("\n")
        }
        Edit::Insert(i, s) => {
            let i = boundary(*i);
            format!("{}{s}{}", &text[..i], &text[i..])
        }
        _ => text.to_string(),
    }
}

/// A `--set` string: realistic keys and values, mixed with garbage.
fn set_string() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "parameters.beta",
        "parameters.initial_age_months",
        "parameters.max_run_months",
        "scenario.months",
        "scenario.seed",
        "scenario.start",
        "scenario.name",
        "scenario.focus",
        "nation.KE.population",
        "nation.KE.alignment.west",
        "nation.KEE.population",
        "nation.KE",
        "nation",
        "lab.us-startup.count",
        "lab.openai.nation",
        "policy.us-chip-controls.strength",
        "policy.us-chip-controls.targets",
        "provider.aws.region",
        "fab.tsmc.capacity",
        "trigger.x.delay_months",
        "foo.bar",
        "extends",
        "remove.policy",
        "a..b",
        ".",
        "",
    ]);
    let values = prop::sample::select(vec![
        "nan",
        "inf",
        "-inf",
        "-1",
        "0",
        "1e308",
        "4000000000",
        "9223372036854775807",
        "99999999999999999999",
        "\"x\"",
        "[1, 2]",
        "{ a = 1 }",
        "true",
        "",
        "=",
        "2025-13",
        "\"$lab\"",
        "[\"$lab\"]",
        "[]",
        "{}",
        "0.5",
        "1200",
        "1201",
    ]);
    prop_oneof![
        4 => (keys.clone(), values).prop_map(|(k, v)| format!("{k}={v}")),
        1 => (keys, "[ -~]{0,16}").prop_map(|(k, v)| format!("{k}={v}")),
        1 => "[ -~]{0,24}",
    ]
}

/// A rejection must be located: a file and a line, or `--set`.
fn located(result: Result<fracture::scenario::Loaded, ScenarioError>) -> Result<(), TestCaseError> {
    let Err(e) = result else {
        return Ok(());
    };
    prop_assert!(!e.diagnostics.is_empty(), "an error without problems");
    for d in &e.diagnostics {
        let Diagnostic { file, line, .. } = d;
        prop_assert!(
            file == "--set" || (!file.is_empty() && line.is_some()),
            "an unlocated problem: {d}"
        );
    }
    Ok(())
}

fn all_paths(doc: &Table) -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    paths(&Value::Table(doc.clone()), &mut Vec::new(), &mut out);
    out
}

proptest! {
    #![proptest_config(config(400))]

    /// A shipped scenario with up to three mutations of its document and an edit of its text.
    #[test]
    fn mutated_scenarios_never_panic_and_every_rejection_is_located(
        which in 0..SHIPPED.len(),
        mutations in prop::collection::vec((any::<usize>(), mutation()), 1..4),
        edit in edit(),
        sets in prop::collection::vec(set_string(), 0..2),
    ) {
        let mut doc = Value::Table(DOCS[which].clone());
        for (pick, m) in &mutations {
            let Value::Table(t) = &doc else { break };
            let all = all_paths(t);
            if all.is_empty() {
                break;
            }
            let path = all[pick % all.len()].clone();
            mutate(&mut doc, &path, m);
        }
        let Ok(text) = toml::to_string(&doc) else {
            return Ok(());
        };
        let text = apply_edit(&text, &edit);
        located(load_str(SHIPPED[which].file, &text, &Override::parse_all(&sets)))?;
    }
}

/// The baseline read once, as a sweep reads it.
static BASE: LazyLock<Base> = LazyLock::new(|| Base::read("baseline").expect("the baseline loads"));

proptest! {
    #![proptest_config(config(1500))]

    /// Up to four `--set` strings on the baseline.
    #[test]
    fn random_overrides_never_panic_and_every_rejection_is_located(
        sets in prop::collection::vec(set_string(), 1..5),
    ) {
        located(BASE.load(&Override::parse_all(&sets)))?;
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// What validation accepts, the engine runs: a mutated scenario that loads simulates a few months
    /// without panicking or failing, and a table holding NaN or infinity is caught as `run` catches it
    /// (`check_finite`: the table, column, month and entity named, nothing written) — the documented
    /// refusal, never a silent number. A dozen cases by default, as the debug build is slow;
    /// `FRACTURE_FUZZ_CASES=2000` for a longer search.
    #[test]
    fn accepted_mutations_simulate_without_panicking(
        which in 0..SHIPPED.len(),
        mutations in prop::collection::vec((any::<usize>(), mutation()), 1..4),
        months in 1u32..6,
    ) {
        let mut doc = Value::Table(DOCS[which].clone());
        for (pick, m) in &mutations {
            let Value::Table(t) = &doc else { break };
            let all = all_paths(t);
            if all.is_empty() {
                break;
            }
            let path = all[pick % all.len()].clone();
            mutate(&mut doc, &path, m);
        }
        let Ok(text) = toml::to_string(&doc) else {
            return Ok(());
        };
        let sets = Override::parse_all(&[format!("scenario.months={months}")]);
        let Ok(loaded) = load_str(SHIPPED[which].file, &text, &sets) else {
            return Ok(());
        };
        let out = fracture::simulate_with(&loaded.scenario, 1, fracture::Detail::Full, |_| {});
        let out = out.map_err(|e| TestCaseError::fail(format!("the engine failed: {e}")))?;
        if let Err(e) = fracture::output::check_finite(&out) {
            let e = e.to_string();
            prop_assert!(
                e.contains("overflowed") && e.contains("nothing was written") && e.contains('`'),
                "a non-finite table is refused with the documented message naming it: {e}"
            );
        }
    }
}

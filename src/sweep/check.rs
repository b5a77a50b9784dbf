//! The sweep file's shape, checked before serde reads it: every unknown key, value of the wrong type and
//! unknown design or distribution in one pass, each with its file, line, column and key path — as
//! `validate` does for scenarios — instead of serde's first error alone.

use crate::scenario::{Diagnostic, LineIndex, nearest, suggest};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;
use toml::{Table, Value};

/// What a key holds.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Strs,
    /// A whole number ≥ 0.
    Count,
    Num,
    Nums,
    Bool,
    /// Numbers or strings (grid levels, choices).
    Values,
    OneOf(&'static [&'static str]),
}

impl Kind {
    fn expected(self) -> String {
        match self {
            Kind::Str => "a string".into(),
            Kind::Strs => "a list of strings".into(),
            Kind::Count => "a whole number, 0 or more".into(),
            Kind::Num => "a number".into(),
            Kind::Nums => "a list of numbers".into(),
            Kind::Bool => "true or false".into(),
            Kind::Values => "a list of numbers, strings or booleans".into(),
            Kind::OneOf(names) => format!(
                "one of {}",
                names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn accepts(self, v: &Value) -> bool {
        let number = |v: &Value| matches!(v, Value::Integer(_) | Value::Float(_));
        match self {
            Kind::Str => v.is_str(),
            Kind::Strs => v.as_array().is_some_and(|a| a.iter().all(Value::is_str)),
            Kind::Count => v.as_integer().is_some_and(|i| i >= 0),
            Kind::Num => number(v),
            Kind::Nums => v.as_array().is_some_and(|a| a.iter().all(number)),
            Kind::Bool => v.is_bool(),
            Kind::Values => v
                .as_array()
                .is_some_and(|a| a.iter().all(|x| number(x) || x.is_str() || x.is_bool())),
            Kind::OneOf(names) => v.as_str().is_some_and(|s| names.contains(&s)),
        }
    }
}

/// The designs, as `sweep.design` spells them.
pub const DESIGNS: &[&str] = &["grid", "random", "lhs", "sobol", "morris", "file"];
/// The distributions, as `parameter.distribution` spells them.
pub const DISTRIBUTIONS: &[&str] = &["uniform", "log-uniform", "normal", "triangular", "choice"];

/// Other names users reach for, and the one the file means.
const ALIASES: &[(&str, &str)] = &[
    ("latin", "lhs"),
    ("latin-hypercube", "lhs"),
    ("latin_hypercube", "lhs"),
    ("monte-carlo", "random"),
    ("montecarlo", "random"),
    ("saltelli", "sobol"),
    ("full-factorial", "grid"),
    ("factorial", "grid"),
    ("elementary-effects", "morris"),
    ("loguniform", "log-uniform"),
    ("log_uniform", "log-uniform"),
    ("gaussian", "normal"),
    ("categorical", "choice"),
];

/// The keys of `[sweep]`, `[[parameter]]` and `[outputs]` (held to the structs by a test).
pub(crate) const SWEEP: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("scenario", Kind::Str),
    ("set", Kind::Strs),
    ("design", Kind::OneOf(DESIGNS)),
    ("file", Kind::Str),
    ("samples", Kind::Count),
    ("levels", Kind::Count),
    ("replicates", Kind::Count),
    ("seed", Kind::Count),
    ("chunk", Kind::Count),
];
pub(crate) const PARAMETER: &[(&str, Kind)] = &[
    ("key", Kind::Str),
    ("name", Kind::Str),
    ("values", Kind::Values),
    ("distribution", Kind::OneOf(DISTRIBUTIONS)),
    ("min", Kind::Num),
    ("max", Kind::Num),
    ("mode", Kind::Num),
    ("mean", Kind::Num),
    ("sd", Kind::Num),
    ("weights", Kind::Nums),
    ("integer", Kind::Bool),
];
pub(crate) const OUTPUTS: &[(&str, Kind)] = &[
    ("series", Kind::Bool),
    ("metrics", Kind::Strs),
    ("focus", Kind::Strs),
];
const TOP: &[&str] = &["sweep", "parameter", "outputs"];
/// `[scenario]` keys a sweep file may be given by mistake.
const SCENARIO_KEYS: &[&str] = &["months", "start", "focus", "data_month"];

/// Every problem of a sweep file, not only the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::scenario::write_problems(f, "invalid sweep file", &self.diagnostics)
    }
}

impl std::error::Error for SweepError {}

/// Where each key path of a sweep file is written, to put line and column on its problems.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    pub file: String,
    text: String,
    at: HashMap<String, usize>,
    lines: std::sync::Arc<OnceLock<LineIndex>>,
}

impl Positions {
    pub(crate) fn new(file: &str, text: &str, at: HashMap<String, usize>) -> Positions {
        Positions {
            file: file.to_string(),
            text: text.to_string(),
            at,
            lines: Default::default(),
        }
    }

    /// A problem at `path` (or, when the path is not written, at the nearest written key above it).
    pub fn diagnostic(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        let (line, column) = match nearest(&self.at, path) {
            Some(o) => {
                let lines = self.lines.get_or_init(|| LineIndex::new(&self.text));
                let (l, c) = lines.locate(&self.text, o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            key_path: path.to_string(),
            message: message.into(),
        }
    }
}

/// Every shape problem of a parsed sweep file, as (key path, message).
pub(crate) fn shape(table: &Table) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in table {
        match key.as_str() {
            "sweep" => match value.as_table() {
                Some(t) => keys(t, "sweep", SWEEP, &mut out),
                None => out.push((key.clone(), "expected a table: [sweep]".into())),
            },
            "outputs" => match value.as_table() {
                Some(t) => keys(t, "outputs", OUTPUTS, &mut out),
                None => out.push((key.clone(), "expected a table: [outputs]".into())),
            },
            "parameter" => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("parameter[{i}]");
                        match item.as_table() {
                            Some(t) => {
                                keys(t, &at, PARAMETER, &mut out);
                                if !t.contains_key("key") {
                                    out.push((
                                        at,
                                        "missing `key`, the --set key path it sweeps".into(),
                                    ));
                                }
                            }
                            None => out.push((at, "expected a [[parameter]] table".into())),
                        }
                    }
                }
                None => out.push((
                    key.clone(),
                    "expected [[parameter]] tables, one per swept key".into(),
                )),
            },
            other => {
                let message = if SWEEP.iter().any(|(k, _)| *k == other) {
                    format!("`{other}` belongs under [sweep]")
                } else if OUTPUTS.iter().any(|(k, _)| *k == other) {
                    format!("`{other}` belongs under [outputs]")
                } else if SCENARIO_KEYS.contains(&other) {
                    scenario_key(other)
                } else {
                    format!(
                        "unknown table or key; a sweep file has [sweep], [[parameter]] and \
                         [outputs]{}",
                        suggest::hint(other, TOP.iter().copied())
                    )
                };
                out.push((other.to_string(), message));
            }
        }
    }
    match table.get("sweep") {
        Some(Value::Table(t)) => {
            for required in ["name", "scenario", "design"] {
                if !t.contains_key(required) {
                    out.push(("sweep".into(), format!("missing `{required}`")));
                }
            }
        }
        Some(_) => {}
        None => out.push((
            String::new(),
            "missing the [sweep] table (name, scenario, design)".into(),
        )),
    }
    out
}

/// The problems of one table's keys against what it may hold.
fn keys(table: &Table, at: &str, known: &[(&str, Kind)], out: &mut Vec<(String, String)>) {
    for (key, value) in table {
        let path = format!("{at}.{key}");
        let Some(&(_, kind)) = known.iter().find(|(k, _)| k == key) else {
            let message = if at == "sweep" && key == "parameter" {
                "[[parameter]] tables stand at the top level of the file, not under [sweep]".into()
            } else if at == "sweep" && key == "outputs" {
                "[outputs] stands at the top level of the file, not under [sweep]".into()
            } else if SCENARIO_KEYS.contains(&key.as_str()) {
                scenario_key(key)
            } else if ["outcome", "outcomes"].contains(&key.as_str()) {
                "outcomes are chosen when the sweep is analysed (`sweep analyze --outcome`); \
                 [outputs] metrics = […] picks the global columns kept"
                    .into()
            } else {
                format!(
                    "unknown key; expected one of {}{}",
                    known
                        .iter()
                        .map(|(k, _)| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    suggest::hint(key, known.iter().map(|(k, _)| *k))
                )
            };
            out.push((path, message));
            continue;
        };
        if kind.accepts(value) {
            continue;
        }
        let mut message = format!("expected {}", kind.expected());
        if let (Kind::OneOf(names), Some(word)) = (kind, value.as_str()) {
            message = format!("unknown `{word}`; {message}");
            // A name, or another name for one (`latin` for `lhs`), misspelt or not.
            let aliases = ALIASES.iter().filter(|(_, m)| names.contains(m));
            let meant = aliases
                .clone()
                .find(|(a, _)| a.eq_ignore_ascii_case(word))
                .map(|(_, m)| *m)
                .or_else(|| {
                    let all = names
                        .iter()
                        .copied()
                        .chain(aliases.clone().map(|(a, _)| *a));
                    let near = suggest::closest(word, all)?;
                    Some(
                        aliases
                            .clone()
                            .find(|(a, _)| *a == near)
                            .map_or(near, |(_, m)| *m),
                    )
                });
            match meant {
                Some(m) => message.push_str(&format!("; did you mean `{m}`?")),
                None => message.push_str(&suggest::hint(word, names.iter().copied())),
            }
        } else if matches!(kind, Kind::Count) && value.as_integer().is_some() {
            message.push_str(", not a negative one");
        }
        out.push((path, message));
    }
}

/// What to say of a `[scenario]` key written in a sweep file.
fn scenario_key(key: &str) -> String {
    format!(
        "`{key}` is the scenario's: fix it for every run with set = [\"scenario.{key}=…\"] under \
         [sweep], or sweep it as a [[parameter]] with key = \"scenario.{key}\""
    )
}

/// A sweep error of `problems`, located in `positions`, in the order of the file.
pub(crate) fn error(positions: &Positions, problems: Vec<(String, String)>) -> SweepError {
    let mut diagnostics: Vec<Diagnostic> = problems
        .into_iter()
        .map(|(path, message)| positions.diagnostic(&path, message))
        .collect();
    diagnostics.sort_by_key(|d| (d.line.unwrap_or(0), d.column.unwrap_or(0)));
    SweepError { diagnostics }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::spec::{OutputsSpec, ParameterSpec, SweepSpec};

    /// The key lists here are the structs' fields, so a field added there cannot be refused here.
    #[test]
    fn the_key_lists_are_the_structs_fields() {
        let spec: SweepSpec = toml::from_str(
            r#"[sweep]
name = "a"
scenario = "baseline"
design = "file"
file = "x.csv"
samples = 1
[[parameter]]
key = "parameters.beta"
values = [1]
distribution = "uniform"
min = 0
max = 1
mode = 0.5
mean = 0.5
sd = 1
weights = [1]
name = "b"
[outputs]
metrics = ["m"]
focus = ["KE"]
"#,
        )
        .unwrap();
        let fields = |v: serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let listed = |l: &[(&str, Kind)]| {
            let mut k: Vec<String> = l.iter().map(|(k, _)| k.to_string()).collect();
            k.sort();
            k
        };
        assert_eq!(
            fields(serde_json::to_value(&spec.sweep).unwrap()),
            listed(SWEEP)
        );
        let p: &ParameterSpec = &spec.parameters[0];
        assert_eq!(fields(serde_json::to_value(p).unwrap()), listed(PARAMETER));
        let o: &OutputsSpec = &spec.outputs;
        assert_eq!(fields(serde_json::to_value(o).unwrap()), listed(OUTPUTS));
    }

    #[test]
    fn every_shape_problem_is_found_in_one_pass() {
        let table: Table = toml::from_str(
            r#"replicates = 2
[sweep]
months = 24
name = "a"
scenario = "baseline"
design = "latin"
replicate = 2
samples = -3
[[sweep.parameter]]
key = "x.y"
[[parameter]]
key = "parameters.beta"
distribution = "gausian"
min = "one"
[outputs]
metrcs = ["x"]
"#,
        )
        .unwrap();
        let problems = shape(&table);
        let text = |path: &str| {
            problems
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, m)| m.clone())
                .unwrap_or_else(|| panic!("no problem at {path}: {problems:?}"))
        };
        assert!(text("replicates").contains("belongs under [sweep]"));
        assert!(text("sweep.months").contains("set = [\"scenario.months=…\"]"));
        assert!(text("sweep.parameter").contains("[[parameter]] tables stand at the top level"));
        assert!(text("sweep.design").contains("did you mean `lhs`"));
        assert!(text("sweep.replicate").contains("did you mean `replicates`"));
        assert!(text("sweep.samples").contains("not a negative one"));
        assert!(text("parameter[0].distribution").contains("did you mean `normal`"));
        assert!(text("parameter[0].min").contains("expected a number"));
        assert!(text("outputs.metrcs").contains("did you mean `metrics`"));
        assert_eq!(problems.len(), 9, "{problems:?}");
    }
}

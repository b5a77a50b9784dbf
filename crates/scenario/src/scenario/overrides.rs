//! Overrides of scenario values: a key path and a TOML value, set on the merged scenario document.
//!
//! The command line reads each `--set KEY=VALUE` once into an [`Override`]; a sweep makes its points'
//! overrides from their values directly, so that a number reaches the scenario as it was drawn. KEY is a
//! [`KeyPath`]: `parameters.beta=2.5`, `scenario.months=24`, `policy.us-chip-controls.strength=0.5`,
//! `nation.KE.population=60`. VALUE is a TOML value; anything that does not parse as one is taken as a
//! string.
//!
//! A `--set` that names no key path is kept as [`Override::Malformed`] rather than refused on reading:
//! loading reports it in its place among the other overrides' problems, after the files' own, so that
//! one pass still shows every problem of a scenario and its command line.

use super::keys::{KeyPath, id_key};
use toml::{Table, Value};

/// One value set over what the scenario's files say.
#[derive(Clone, Debug, PartialEq)]
pub enum Override {
    /// `key` set to `value`.
    Set { key: KeyPath, value: Value },
    /// A `--set` that is no `KEY=VALUE` with a key path: its key as written (the whole text when there
    /// is no `=`), trimmed, and what is wrong with it.
    Malformed { key: String, problem: String },
}

impl Override {
    pub fn new(key: KeyPath, value: impl Into<Value>) -> Override {
        Override::Set {
            key,
            value: value.into(),
        }
    }

    /// Reads a `KEY=VALUE` as `--set` gives it.
    pub fn parse(set: &str) -> Override {
        let Some((key, raw)) = set.split_once('=') else {
            return Override::Malformed {
                key: set.trim().to_string(),
                problem: format!("`{set}` is not KEY=VALUE"),
            };
        };
        match Override::parse_key(key) {
            Ok(key) => Override::new(key, parse_value(raw.trim())),
            Err(malformed) => malformed,
        }
    }

    /// Reads the KEY of a `--set` (a sweep's parameter names one); one that is no key path as the
    /// override that reports it.
    pub fn parse_key(key: &str) -> Result<KeyPath, Override> {
        KeyPath::parse(key).map_err(|problem| Override::Malformed {
            key: key.trim().to_string(),
            problem,
        })
    }

    /// Reads every `KEY=VALUE`, in order.
    pub fn parse_all<S: AsRef<str>>(sets: &[S]) -> Vec<Override> {
        sets.iter()
            .map(|set| Override::parse(set.as_ref()))
            .collect()
    }

    /// The key path set; `None` for a malformed `--set`.
    pub fn key(&self) -> Option<&KeyPath> {
        match self {
            Override::Set { key, .. } => Some(key),
            Override::Malformed { .. } => None,
        }
    }

    /// The key as diagnostics name it: the key path, or a malformed key as written.
    pub(crate) fn key_text(&self) -> String {
        match self {
            Override::Set { key, .. } => key.to_string(),
            Override::Malformed { key, .. } => key.clone(),
        }
    }

    /// Sets the value in the merged document; returns the key path it set, in the `section[i].key`
    /// form used by diagnostics, or what stands in the way (a malformed `--set`, no such element, a
    /// value that is not a table on the way).
    pub(crate) fn apply(&self, doc: &mut Table) -> Result<String, String> {
        let (key, value) = match self {
            Override::Set { key, value } => (key, value.clone()),
            Override::Malformed { problem, .. } => return Err(problem.clone()),
        };
        let section = key.section();
        if let Some((selector, keys)) = key.element() {
            let id = id_key(section).expect("an element is in an entity section");
            let items = doc
                .get_mut(section)
                .and_then(Value::as_array_mut)
                .ok_or_else(|| format!("the scenario has no {section} entries"))?;
            let index = items
                .iter()
                .position(|t| t.get(id).and_then(Value::as_str) == Some(selector))
                .ok_or_else(|| {
                    let known = items
                        .iter()
                        .filter_map(|t| t.get(id).and_then(Value::as_str));
                    format!(
                        "no {section} with {id} `{selector}`{}",
                        super::suggest::hint(selector, known)
                    )
                })?;
            return set_in(
                &mut items[index],
                keys,
                value,
                format!("{section}[{index}]"),
                |path, _| format!("`{path}` is inside a value that is not a table"),
            );
        }
        let node = doc
            .entry(section.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        set_in(node, key.keys(), value, section.to_string(), |_, seg| {
            format!("`{key}`: `{seg}` is inside a value that is not a table")
        })
    }
}

/// Sets `keys` (at least one) under `node`, making the tables on the way; `path` is `node`'s.
fn set_in(
    node: &mut Value,
    keys: &[String],
    value: Value,
    mut path: String,
    not_table: impl Fn(&str, &str) -> String,
) -> Result<String, String> {
    let (last, parents) = keys.split_last().expect("a key path names a key");
    let mut node = node;
    for seg in parents {
        path = format!("{path}.{seg}");
        node = node
            .as_table_mut()
            .ok_or_else(|| not_table(&path, seg))?
            .entry(seg.clone())
            .or_insert_with(|| Value::Table(Table::new()));
    }
    path = format!("{path}.{last}");
    node.as_table_mut()
        .ok_or_else(|| not_table(&path, last))?
        .insert(last.clone(), value);
    Ok(path)
}

fn parse_value(raw: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .or_else(|| whole_beyond_i64(raw).map(Value::Float))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

/// A whole number too large for TOML's 64-bit integers, as a float: `fracture parameters` prints
/// `flop_per_h100e_month`'s range up to 10^24, and a range printed must be a value `--set` takes.
fn whole_beyond_i64(raw: &str) -> Option<f64> {
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse::<f64>().ok())
        .flatten()
        .filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        toml::from_str(
            r#"
            [parameters]
            beta = 2.0
            [[policy]]
            name = "ban"
            strength = 1.0
            "#,
        )
        .unwrap()
    }

    fn apply(doc: &mut Table, set: &str) -> Result<String, String> {
        Override::parse(set).apply(doc)
    }

    #[test]
    fn a_whole_number_beyond_64_bits_is_a_float() {
        assert_eq!(parse_value("1000000000000000000000000"), Value::Float(1e24));
        assert_eq!(parse_value("-20000000000000000000"), Value::Float(-2e19));
        assert_eq!(parse_value("12"), Value::Integer(12));
        assert_eq!(parse_value("1_0x"), Value::String("1_0x".into()));
    }

    #[test]
    fn sets_table_keys_and_named_elements() {
        let mut d = doc();
        assert_eq!(
            apply(&mut d, "parameters.beta=3.5").unwrap(),
            "parameters.beta"
        );
        assert_eq!(d["parameters"]["beta"].as_float(), Some(3.5));
        assert_eq!(
            apply(&mut d, "policy.ban.strength=0.25").unwrap(),
            "policy[0].strength"
        );
        assert_eq!(d["policy"][0]["strength"].as_float(), Some(0.25));
        apply(&mut d, "scenario.name=hello world").unwrap();
        assert_eq!(d["scenario"]["name"].as_str(), Some("hello world"));
    }

    #[test]
    fn unknown_elements_and_malformed_sets_are_errors() {
        let mut d = doc();
        assert!(
            apply(&mut d, "policy.nope.strength=1")
                .unwrap_err()
                .contains("no policy")
        );
        assert!(
            apply(&mut d, "parameters.beta")
                .unwrap_err()
                .contains("KEY=VALUE")
        );
        assert!(apply(&mut d, "policy.ban=1").is_err());
        assert_eq!(
            apply(&mut d, "parameters.beta.x=1").unwrap_err(),
            "`parameters.beta.x`: `x` is inside a value that is not a table"
        );
        assert_eq!(
            apply(&mut d, "policy.ban.strength.x=1").unwrap_err(),
            "`policy[0].strength.x` is inside a value that is not a table"
        );
    }

    #[test]
    fn a_malformed_set_is_kept_to_be_reported_and_changes_nothing() {
        let set = Override::parse(" foo =1");
        assert_eq!(set.key(), None);
        assert_eq!(set.key_text(), "foo");
        let mut d = doc();
        assert_eq!(
            set.apply(&mut d).unwrap_err(),
            "`foo`: name a key inside `foo`"
        );
        assert_eq!(d, doc());
        let sets = Override::parse_all(&["parameters.beta=1", "x", "a..b=2"]);
        let keys: Vec<String> = sets.iter().map(Override::key_text).collect();
        assert_eq!(keys, ["parameters.beta", "x", "a..b"]);
        assert!(sets[0].key().is_some() && sets[1].key().is_none() && sets[2].key().is_none());
    }

    #[test]
    fn a_value_made_in_the_program_is_set_bit_for_bit() {
        let x: f64 = 0.1 + 0.2;
        let mut d = doc();
        let key = KeyPath::parse("parameters.beta").unwrap();
        Override::new(key, x).apply(&mut d).unwrap();
        assert_eq!(
            d["parameters"]["beta"].as_float().map(f64::to_bits),
            Some(x.to_bits())
        );
        // As written on the command line, the same number.
        let Override::Set { value, .. } = Override::parse(&format!("parameters.beta={x:?}")) else {
            panic!("a well-formed --set");
        };
        assert_eq!(value.as_float().map(f64::to_bits), Some(x.to_bits()));
    }
}

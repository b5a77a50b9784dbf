//! `--set KEY=VALUE` overrides on the merged scenario document.
//!
//! KEY is a dotted path; inside an entity section the segment after the section name selects an element by
//! its id (or name, for policies and triggers): `parameters.beta=2.5`, `scenario.months=24`,
//! `policy.us-chip-controls.strength=0.5`, `nation.KE.population=60`. VALUE is a TOML value; anything that
//! does not parse as one is taken as a string.

use super::load::id_key;
use toml::{Table, Value};

/// Applies one override; returns the key path it set, in the `section[i].key` form used by diagnostics.
pub(crate) fn apply(doc: &mut Table, set: &str) -> Result<String, String> {
    let (key, raw) = set
        .split_once('=')
        .ok_or_else(|| format!("`{set}` is not KEY=VALUE"))?;
    let key = key.trim();
    let value = parse_value(raw.trim());
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!("`{key}` is not a dotted key path"));
    }
    let (section, rest) = segments.split_first().expect("split yields one segment");
    let mut path = section.to_string();
    let mut node: &mut Value = match id_key(section) {
        Some(id) => {
            let Some((selector, rest_after)) = rest.split_first() else {
                return Err(format!(
                    "`{key}`: name the {section} to change, e.g. `{section}.ID.FIELD=…`"
                ));
            };
            if rest_after.is_empty() {
                return Err(format!(
                    "`{key}`: name the field of {section} `{selector}` to set"
                ));
            }
            let items = doc
                .get_mut(*section)
                .and_then(Value::as_array_mut)
                .ok_or_else(|| format!("the scenario has no {section} entries"))?;
            let index = items
                .iter()
                .position(|t| t.get(id).and_then(Value::as_str) == Some(*selector))
                .ok_or_else(|| {
                    let known = items
                        .iter()
                        .filter_map(|t| t.get(id).and_then(Value::as_str));
                    format!(
                        "no {section} with {id} `{selector}`{}",
                        super::suggest::hint(selector, known)
                    )
                })?;
            path = format!("{section}[{index}]");
            return set_in(&mut items[index], rest_after, value, path);
        }
        None => doc
            .entry(section.to_string())
            .or_insert_with(|| Value::Table(Table::new())),
    };
    for (i, seg) in rest.iter().enumerate() {
        path = format!("{path}.{seg}");
        let table = node
            .as_table_mut()
            .ok_or_else(|| format!("`{key}`: `{seg}` is inside a value that is not a table"))?;
        if i + 1 == rest.len() {
            table.insert(seg.to_string(), value);
            return Ok(path);
        }
        node = table
            .entry(seg.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
    }
    Err(format!("`{key}`: name a key inside `{section}`"))
}

fn set_in(
    node: &mut Value,
    rest: &[&str],
    value: Value,
    mut path: String,
) -> Result<String, String> {
    let mut node = node;
    for (i, seg) in rest.iter().enumerate() {
        path = format!("{path}.{seg}");
        let table = node
            .as_table_mut()
            .ok_or_else(|| format!("`{path}` is inside a value that is not a table"))?;
        if i + 1 == rest.len() {
            table.insert(seg.to_string(), value);
            return Ok(path);
        }
        node = table
            .entry(seg.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
    }
    Ok(path)
}

fn parse_value(raw: &str) -> Value {
    toml::from_str::<Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
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
    }
}

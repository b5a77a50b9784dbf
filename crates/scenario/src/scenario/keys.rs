//! The layout of a scenario document, and the dotted key paths that `--set` and a sweep's parameters
//! name its values by.
//!
//! A document has tables (`[scenario]`, `[parameters]`), which hold keys, and entity sections
//! (`[[nation]]`, `[[policy]]`, …), whose elements are told apart by a key of their own: `id`, or `name`
//! for policies and triggers. A key path names a key of a table (`parameters.beta`, `scenario.months`)
//! or of one element, selected by its id (`policy.us-chip-controls.strength`, `nation.KE.population`).

use std::fmt;

/// Entity sections and the key that identifies their elements.
pub(crate) const ARRAY_SECTIONS: [(&str, &str); 11] = [
    ("bloc", "id"),
    ("nation", "id"),
    ("coalition", "id"),
    ("input", "id"),
    ("chip", "id"),
    ("fab", "id"),
    ("provider", "id"),
    ("lab", "id"),
    ("intermediary", "id"),
    ("policy", "name"),
    ("trigger", "name"),
];

/// Sections that are tables of keys.
pub(crate) const TABLE_SECTIONS: [&str; 2] = ["scenario", "parameters"];

/// The key that identifies the elements of an entity section; `None` for any other key.
pub(crate) fn id_key(section: &str) -> Option<&'static str> {
    ARRAY_SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, k)| *k)
}

/// A dotted path to one value of a scenario document: a section, then in an entity section the
/// element's id, then the keys down to the value. Whether the section, the element and the keys exist
/// is for the document to say ([`super::Override`] is applied to one); the path only has their shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyPath {
    segments: Vec<String>,
}

impl KeyPath {
    /// Reads `section.key…` or `section.ID.key…`; what is wrong with it, in words, if it is no such path.
    pub fn parse(key: &str) -> Result<KeyPath, String> {
        let key = key.trim();
        let segments: Vec<&str> = key.split('.').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!("`{key}` is not a dotted key path"));
        }
        // `nation[0].gdp` reads like an error message's key path, but `--set` names elements by id.
        if let Some(bracketed) = segments.iter().find(|s| s.contains('[') || s.contains(']')) {
            let section = bracketed.split('[').next().unwrap_or(bracketed);
            return Err(format!(
                "`--set` names an element by its id, not by its place: e.g. \
                 `{section}.ID.FIELD=…` (`fracture list` shows the ids)"
            ));
        }
        let (section, rest) = segments.split_first().expect("split yields one segment");
        match (id_key(section), rest) {
            (Some(_), []) => {
                return Err(format!(
                    "`{key}`: name the {section} to change, e.g. `{section}.ID.FIELD=…`"
                ));
            }
            (Some(_), [selector]) => {
                return Err(format!(
                    "`{key}`: name the field of {section} `{selector}` to set"
                ));
            }
            (None, []) => return Err(format!("`{key}`: name a key inside `{section}`")),
            _ => {}
        }
        Ok(KeyPath {
            segments: segments.into_iter().map(str::to_string).collect(),
        })
    }

    /// The section: `parameters`, `policy`.
    pub fn section(&self) -> &str {
        &self.segments[0]
    }

    /// In an entity section: the element's id and the keys inside it (at least one); `None` in a table.
    pub fn element(&self) -> Option<(&str, &[String])> {
        id_key(self.section()).map(|_| (self.segments[1].as_str(), &self.segments[2..]))
    }

    /// The keys under the section (for an entity section, the element's id first).
    pub fn keys(&self) -> &[String] {
        &self.segments[1..]
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments.join("."))
    }
}

impl std::str::FromStr for KeyPath {
    type Err = String;

    fn from_str(key: &str) -> Result<KeyPath, String> {
        KeyPath::parse(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_a_table_key_or_an_elements_key() {
        let p = KeyPath::parse(" parameters.beta ").unwrap();
        assert_eq!((p.section(), p.element()), ("parameters", None));
        assert_eq!(p.keys(), ["beta"]);
        assert_eq!(p.to_string(), "parameters.beta");
        let p = KeyPath::parse("nation.KE.alignment.west").unwrap();
        let (id, keys) = p.element().unwrap();
        assert_eq!((id, keys), ("KE", &["alignment".into(), "west".into()][..]));
        assert_eq!(p.to_string(), "nation.KE.alignment.west");
    }

    #[test]
    fn a_path_without_a_key_to_set_says_what_is_missing() {
        let e = |k: &str| KeyPath::parse(k).unwrap_err();
        assert_eq!(e("a..b"), "`a..b` is not a dotted key path");
        assert_eq!(e(""), "`` is not a dotted key path");
        assert!(
            e("policy").contains("name the policy to change"),
            "{}",
            e("policy")
        );
        assert!(e("nation.KE").contains("name the field of nation `KE`"));
        assert_eq!(
            e("parameters"),
            "`parameters`: name a key inside `parameters`"
        );
        assert_eq!(e("foo"), "`foo`: name a key inside `foo`");
    }
}

//! Reading a scenario: TOML parsing, the `extends` chain, `[remove]`, `--set` overrides, and the typed
//! structs, while remembering where every key came from so that each error names file, line and column.
//!
//! Merge rules: tables (`[scenario]`, `[parameters]`) merge key by key, the extending file winning; arrays of
//! entities (`[[nation]]`, `[[policy]]`, …) merge element by element on `id` (`name` for policies and
//! triggers): an element with a known id overrides that element's keys, a new one is appended;
//! `[remove] policy = ["name"]` drops inherited elements first.

use super::error::{Diagnostic, ScenarioError, line_column};
use super::library::{self, ShippedScenario};
use super::overrides;
use super::validate;
use super::{
    Bloc, ChipClass, Coalition, Fab, Input, Intermediary, Lab, Nation, Policy, Provider, Scenario,
    ScenarioMeta, Trigger,
};
use crate::parameters::Parameters;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table, Value};

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
const TABLE_SECTIONS: [&str; 2] = ["scenario", "parameters"];

pub(crate) fn id_key(section: &str) -> Option<&'static str> {
    ARRAY_SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, k)| *k)
}

/// Loads a scenario from a file path or, failing that, a shipped scenario of that name.
pub fn load(name_or_path: &str, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_origin(origin_of(name_or_path)?, sets)
}

/// A file path if there is such a file, else a shipped scenario of that name.
fn origin_of(name_or_path: &str) -> Result<Origin, ScenarioError> {
    let path = Path::new(name_or_path);
    if path.exists() {
        return Ok(Origin::Path(path.to_path_buf()));
    }
    match library::shipped(name_or_path) {
        Some(s) => Ok(Origin::Shipped(s)),
        None => Err(ScenarioError::single(
            name_or_path,
            format!(
                "no such file, and no shipped scenario of that name (shipped: {})",
                library::SHIPPED
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

pub fn load_path(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_origin(Origin::Path(path.to_path_buf()), sets)
}

pub fn load_shipped(s: &'static ShippedScenario, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_origin(Origin::Shipped(s), sets)
}

/// Loads a scenario from text; `extends` resolves against the shipped scenarios.
pub fn load_str(name: &str, text: &str, sets: &[String]) -> Result<Loaded, ScenarioError> {
    load_origin(
        Origin::Text {
            name: name.to_string(),
            text: text.to_string(),
        },
        sets,
    )
}

/// A scenario ready to run, with the files it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    /// The files of the `extends` chain, base first.
    pub files: Vec<String>,
}

enum Origin {
    Path(PathBuf),
    Shipped(&'static ShippedScenario),
    Text { name: String, text: String },
}

#[derive(Debug)]
struct SourceFile {
    name: String,
    text: String,
    /// Byte offset of every key path in the file.
    positions: HashMap<String, usize>,
}

impl SourceFile {
    /// The position of `path`, or of its nearest ancestor present in this file.
    fn nearest(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(&pos) = self.positions.get(p) {
                return Some(pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

/// Where the keys of the merged document came from.
#[derive(Debug, Default)]
struct Sources {
    files: Vec<SourceFile>,
    /// For each entity section, per merged element, the (file, index in that file) it was written in,
    /// most derived first.
    elements: BTreeMap<String, Vec<Vec<(usize, usize)>>>,
    /// Whether the file's own policies and triggers were dropped (a counterfactual).
    dropped: bool,
}

impl Sources {
    /// Where `path` was written: in a file, or on the command line if it is under one of `set_keys`.
    fn diagnostic(&self, set_keys: &[String], path: &str, message: String) -> Diagnostic {
        let (file, offset) = self.locate(set_keys, path);
        let (line, column) = match (file, offset) {
            (Some(f), Some(off)) => {
                let (l, c) = line_column(&self.files[f].text, off);
                (Some(l), Some(c))
            }
            _ => (None, None),
        };
        Diagnostic {
            file: file.map_or_else(|| "--set".to_string(), |f| self.files[f].name.clone()),
            line,
            column,
            key_path: path.to_string(),
            message,
        }
    }

    /// (file, byte offset); file `None` means the command line.
    fn locate(&self, set_keys: &[String], path: &str) -> (Option<usize>, Option<usize>) {
        let from_set = set_keys.iter().any(|k| {
            path == k
                || path
                    .strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        if from_set {
            return (None, None);
        }
        if let Some((section, index, rest)) = split_element(path)
            && let Some(cands) = self.elements.get(section).and_then(|e| e.get(index))
        {
            for &(f, j) in cands {
                let p = format!("{section}[{j}]{rest}");
                if let Some(&pos) = self.files[f].positions.get(&p) {
                    return (Some(f), Some(pos));
                }
            }
            if let Some(&(f, j)) = cands.first() {
                let p = format!("{section}[{j}]{rest}");
                return (Some(f), self.files[f].nearest(&p));
            }
        }
        // Files are numbered in reading order, so the extending file (the most derived) is file 0.
        let most_derived = (!self.files.is_empty()).then_some(0);
        for f in 0..self.files.len() {
            if let Some(&pos) = self.files[f].positions.get(path) {
                return (Some(f), Some(pos));
            }
        }
        match most_derived {
            Some(f) => (Some(f), self.files[f].nearest(path)),
            None => (None, None),
        }
    }
}

/// Splits `section[3].rest` into (`section`, 3, `.rest`).
fn split_element(path: &str) -> Option<(&str, usize, &str)> {
    let open = path.find('[')?;
    let close = open + path[open..].find(']')?;
    let section = &path[..open];
    if section.contains('.') {
        return None;
    }
    let index = path[open + 1..close].parse().ok()?;
    Some((section, index, &path[close + 1..]))
}

/// A scenario's files read and merged once, to be finished many times with different `--set`s: a
/// sweep's runs differ only in their overrides, so they skip re-reading and re-parsing the files.
#[derive(Debug)]
pub struct Base {
    merged: Table,
    sources: Sources,
}

impl Base {
    /// Reads and merges a scenario (a file path or a shipped scenario's name) and the files it extends.
    pub fn read(name_or_path: &str) -> Result<Base, ScenarioError> {
        Base::from_origin(origin_of(name_or_path), false)
    }

    /// As [`Base::read`], for the scenario's counterfactual: the file itself without the policies and
    /// triggers it adds, changes or removes (`[[policy]]`, `[[trigger]]`, and `[remove]`'s `policy` and
    /// `trigger`), everything else held. `None` when the file extends nothing (it is a world, not a story
    /// over one) or has no policies or triggers of its own.
    pub fn read_counterfactual(name_or_path: &str) -> Result<Option<Base>, ScenarioError> {
        let base = Base::from_origin(origin_of(name_or_path), true)?;
        Ok(base.sources.dropped.then_some(base))
    }

    fn from_origin(
        origin: Result<Origin, ScenarioError>,
        counterfactual: bool,
    ) -> Result<Base, ScenarioError> {
        let mut sources = Sources::default();
        let mut chain = read_chain(origin?, &mut sources, &mut Vec::new())?;
        // A counterfactual is of a story told over another scenario (one that `extends`).
        if counterfactual
            && chain.len() > 1
            && let Some((_, own)) = chain.last_mut()
        {
            sources.dropped = drop_own_policies(own);
        }
        let mut merged = Table::new();
        let mut located: Vec<Diagnostic> = Vec::new();
        for (file, table) in chain {
            merge_file(&mut merged, file, table, &mut sources, &mut located);
        }
        if !located.is_empty() {
            return Err(ScenarioError {
                diagnostics: located,
            });
        }
        Ok(Base { merged, sources })
    }

    /// The scenario with `sets` applied, typed and validated, exactly as [`load`] gives it.
    pub fn load(&self, sets: &[String]) -> Result<Loaded, ScenarioError> {
        finish(self.merged.clone(), &self.sources, sets)
    }
}

fn load_origin(origin: Origin, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let Base { merged, sources } = Base::from_origin(Ok(origin), false)?;
    finish(merged, &sources, sets)
}

/// The counterfactual of a scenario (a file path or a shipped scenario's name) with `sets` applied: the
/// file without the policies and triggers it adds, changes or removes. `None` when it has none.
pub fn load_counterfactual(
    name_or_path: &str,
    sets: &[String],
) -> Result<Option<Loaded>, ScenarioError> {
    Base::read_counterfactual(name_or_path)?
        .map(|base| base.load(sets))
        .transpose()
}

/// Removes a file's own policy and trigger entries (and its removals of inherited ones); whether there
/// were any.
fn drop_own_policies(table: &mut Table) -> bool {
    let mut dropped = false;
    for section in ["policy", "trigger"] {
        dropped |= table.remove(section).is_some();
    }
    if let Some(Value::Table(remove)) = table.get_mut("remove") {
        for section in ["policy", "trigger"] {
            dropped |= remove.remove(section).is_some();
        }
    }
    dropped
}

fn finish(mut merged: Table, sources: &Sources, sets: &[String]) -> Result<Loaded, ScenarioError> {
    // Merged key paths set from the command line, so that problems there point at `--set`.
    let mut set_keys: Vec<String> = Vec::new();
    let mut problems: Vec<(String, String)> = Vec::new();
    {
        for set in sets {
            match overrides::apply(&mut merged, set) {
                Ok(path) => set_keys.push(path),
                Err(message) => {
                    return Err(ScenarioError {
                        diagnostics: vec![Diagnostic {
                            file: "--set".into(),
                            line: None,
                            column: None,
                            key_path: set.split('=').next().unwrap_or("").trim().to_string(),
                            message,
                        }],
                    });
                }
            }
        }
    }
    let scenario = typed_scenario(merged, &mut problems);
    if let Some(scenario) = &scenario {
        problems.extend(validate::validate(scenario));
    }
    if !problems.is_empty() || scenario.is_none() {
        let diagnostics = problems
            .into_iter()
            .map(|(path, message)| sources.diagnostic(&set_keys, &path, message))
            .collect();
        return Err(ScenarioError { diagnostics });
    }
    Ok(Loaded {
        scenario: scenario.expect("checked above"),
        files: sources.files.iter().map(|f| f.name.clone()).collect(),
    })
}

/// Reads a file and, recursively, the files it extends; returns (file index, table), base first.
fn read_chain(
    origin: Origin,
    sources: &mut Sources,
    seen: &mut Vec<String>,
) -> Result<Vec<(usize, Table)>, ScenarioError> {
    let (name, text, dir, shipped) = match origin {
        Origin::Path(p) => {
            let text = std::fs::read_to_string(&p).map_err(|e| {
                ScenarioError::single(p.display().to_string(), format!("cannot read: {e}"))
            })?;
            let dir = p.parent().map(Path::to_path_buf);
            (p.display().to_string(), text, dir, false)
        }
        Origin::Shipped(s) => (
            format!("scenarios/{}", s.file),
            s.text.to_string(),
            None,
            true,
        ),
        Origin::Text { name, text } => (name, text, None, false),
    };
    if seen.contains(&name) {
        seen.push(name.clone());
        return Err(ScenarioError::single(
            name,
            format!("`extends` forms a cycle: {}", seen.join(" → ")),
        ));
    }
    seen.push(name.clone());

    let spanned = DeTable::parse(&text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(&text, s.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ScenarioError {
            diagnostics: vec![Diagnostic {
                file: name.clone(),
                line,
                column,
                key_path: String::new(),
                message: format!("not valid TOML: {}", e.message().trim()),
            }],
        }
    })?;
    let mut positions = HashMap::new();
    index_table(spanned.get_ref(), "", &mut positions);
    let mut table: Table = toml::from_str(&text)
        .map_err(|e| ScenarioError::single(name.clone(), format!("not valid TOML: {e}")))?;

    let extends = table.remove("extends");
    sources.files.push(SourceFile {
        name: name.clone(),
        text,
        positions,
    });
    let index = sources.files.len() - 1;

    let mut chain = Vec::new();
    if let Some(extends) = extends {
        let here = |message: String| {
            let d = sources.diagnostic_in(index, "extends", message);
            ScenarioError {
                diagnostics: vec![d],
            }
        };
        let Value::String(base) = extends else {
            return Err(here(
                "expected a string: the file or shipped scenario this one extends".into(),
            ));
        };
        let base_origin = resolve_base(&base, dir.as_deref(), shipped).ok_or_else(|| {
            here(format!(
                "cannot find `{base}` beside this file nor among the shipped scenarios"
            ))
        })?;
        chain = read_chain(base_origin, sources, seen)?;
    }
    chain.push((index, table));
    Ok(chain)
}

impl Sources {
    fn diagnostic_in(&self, file: usize, path: &str, message: String) -> Diagnostic {
        let f = &self.files[file];
        let (line, column) = f
            .nearest(path)
            .map(|off| line_column(&f.text, off))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        Diagnostic {
            file: f.name.clone(),
            line,
            column,
            key_path: path.into(),
            message,
        }
    }
}

fn resolve_base(base: &str, dir: Option<&Path>, from_shipped: bool) -> Option<Origin> {
    if !from_shipped {
        let candidate = match dir {
            Some(d) => d.join(base),
            None => PathBuf::from(base),
        };
        if candidate.is_file() {
            return Some(Origin::Path(candidate));
        }
    }
    library::shipped(base).map(Origin::Shipped)
}

fn index_table(table: &DeTable<'_>, prefix: &str, out: &mut HashMap<String, usize>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        out.entry(path.clone()).or_insert(key.span().start);
        index_value(value, &path, out);
    }
}

fn index_value(value: &Spanned<DeValue<'_>>, path: &str, out: &mut HashMap<String, usize>) {
    match value.get_ref() {
        DeValue::Table(t) => index_table(t, path, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                out.entry(p.clone()).or_insert(item.span().start);
                index_value(item, &p, out);
            }
        }
        _ => {}
    }
}

fn element_key(value: &Value, key: &str) -> Option<String> {
    value
        .as_table()
        .and_then(|t| t.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn merge_file(
    merged: &mut Table,
    file: usize,
    mut table: Table,
    sources: &mut Sources,
    located: &mut Vec<Diagnostic>,
) {
    // Removals apply to what was inherited, before this file adds its own elements.
    if let Some(remove) = table.remove("remove") {
        apply_removals(merged, file, remove, sources, located);
    }
    let mut duplicates: Vec<(String, String)> = Vec::new();
    for (key, value) in table {
        match id_key(&key) {
            Some(id) => {
                let Value::Array(items) = value else {
                    // Let typed deserialization report the wrong shape with its position.
                    merged.insert(key, value);
                    continue;
                };
                let target = merged
                    .entry(key.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(target) = target else {
                    continue;
                };
                let origins = sources.elements.entry(key.clone()).or_default();
                for (j, item) in items.into_iter().enumerate() {
                    let existing = element_key(&item, id).and_then(|k| {
                        target
                            .iter()
                            .position(|t| element_key(t, id).as_deref() == Some(&k))
                    });
                    match existing {
                        Some(i) if origins[i].iter().any(|&(f, _)| f == file) => {
                            duplicates.push((format!("{key}[{j}].{id}"), key.clone()));
                        }
                        Some(i) => {
                            deep_merge(&mut target[i], item);
                            origins[i].insert(0, (file, j));
                        }
                        None => {
                            target.push(item);
                            origins.push(vec![(file, j)]);
                        }
                    }
                }
            }
            None => match merged.get_mut(&key) {
                Some(existing) => deep_merge(existing, value),
                None => {
                    merged.insert(key, value);
                }
            },
        }
    }
    for (path, section) in duplicates {
        let id = id_key(&section).unwrap_or("id");
        located.push(sources.diagnostic_in(
            file,
            &path,
            format!("duplicate {section} {id}: each {section} may appear once in a file"),
        ));
    }
}

fn deep_merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Table(b), Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn apply_removals(
    merged: &mut Table,
    file: usize,
    remove: Value,
    sources: &mut Sources,
    located: &mut Vec<Diagnostic>,
) {
    // Removal errors belong to this file whatever else was merged.
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut fail = |path: String, message: String| failures.push((path, message));
    let Value::Table(remove) = remove else {
        fail(
            "remove".into(),
            "expected a table such as `[remove] policy = [\"name\"]`".into(),
        );
        located.extend(
            failures
                .into_iter()
                .map(|(p, m)| sources.diagnostic_in(file, &p, m)),
        );
        return;
    };
    for (section, ids) in remove {
        let path = format!("remove.{section}");
        let Some(id) = id_key(&section) else {
            fail(
                path,
                format!(
                    "unknown section `{section}`, expected one of {}",
                    ARRAY_SECTIONS.map(|(s, _)| s).join(", ")
                ),
            );
            continue;
        };
        let Some(ids) = ids.as_array() else {
            fail(path, "expected a list of ids".into());
            continue;
        };
        for (k, victim) in ids.iter().enumerate() {
            let Some(victim) = victim.as_str() else {
                fail(format!("{path}[{k}]"), "expected an id (a string)".into());
                continue;
            };
            let items = merged.get_mut(&section).and_then(Value::as_array_mut);
            let position = items.as_ref().and_then(|items| {
                items
                    .iter()
                    .position(|t| element_key(t, id).as_deref() == Some(victim))
            });
            match (items, position) {
                (Some(items), Some(i)) => {
                    items.remove(i);
                    if let Some(origins) = sources.elements.get_mut(&section) {
                        origins.remove(i);
                    }
                }
                _ => fail(
                    format!("{path}[{k}]"),
                    format!("no inherited {section} with {id} `{victim}` to remove"),
                ),
            }
        }
    }
    located.extend(
        failures
            .into_iter()
            .map(|(p, m)| sources.diagnostic_in(file, &p, m)),
    );
}

/// Deserializes one value into `T`, recording the failing key path and serde's message.
fn typed<T: DeserializeOwned>(
    value: Value,
    path: &str,
    problems: &mut Vec<(String, String)>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let inner = e.path().to_string();
            let message = e.inner().to_string();
            let mut full = join_path(path, &inner);
            // Point an unknown key at the key itself, not at its table.
            if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|s| s.split('`').next())
                && !full.ends_with(field)
            {
                full = join_path(&full, field);
            }
            let message = match message
                .strip_prefix("unknown field `")
                .and_then(|s| s.split('`').next())
                .and_then(super::validate::replaced_key_hint)
            {
                Some(hint) => format!("{}; {hint}", message.trim_end()),
                None => message,
            };
            problems.push((full, message));
            None
        }
    }
}

fn join_path(prefix: &str, inner: &str) -> String {
    if inner.is_empty() || inner == "." || inner == "?" {
        prefix.to_string()
    } else if prefix.is_empty() {
        inner.to_string()
    } else if inner.starts_with('[') {
        format!("{prefix}{inner}")
    } else {
        format!("{prefix}.{inner}")
    }
}

fn typed_list<T: DeserializeOwned>(
    merged: &mut Table,
    section: &str,
    problems: &mut Vec<(String, String)>,
) -> Vec<T> {
    match merged.remove(section) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| typed(v, &format!("{section}[{i}]"), problems))
            .collect(),
        Some(_) => {
            problems.push((
                section.to_string(),
                format!("expected an array of tables: write each entry as [[{section}]]"),
            ));
            Vec::new()
        }
    }
}

fn typed_scenario(mut merged: Table, problems: &mut Vec<(String, String)>) -> Option<Scenario> {
    let before = problems.len();
    for key in merged.keys() {
        if id_key(key).is_none() && !TABLE_SECTIONS.contains(&key.as_str()) {
            problems.push((
                key.clone(),
                format!(
                    "unknown key, expected one of extends, remove, {}, {}",
                    TABLE_SECTIONS.join(", "),
                    ARRAY_SECTIONS.map(|(s, _)| s).join(", ")
                ),
            ));
        }
    }
    let meta: Option<ScenarioMeta> = match merged.remove("scenario") {
        Some(v) => typed(v, "scenario", problems),
        None => {
            problems.push((
                "scenario".into(),
                "missing `[scenario]` table (at least `name = \"…\"`)".into(),
            ));
            None
        }
    };
    let parameters: Option<Parameters> = match merged.remove("parameters") {
        Some(v) => typed(v, "parameters", problems),
        None => Some(Parameters::default()),
    };
    let bloc: Vec<Bloc> = typed_list(&mut merged, "bloc", problems);
    let nation: Vec<Nation> = typed_list(&mut merged, "nation", problems);
    let coalition: Vec<Coalition> = typed_list(&mut merged, "coalition", problems);
    let input: Vec<Input> = typed_list(&mut merged, "input", problems);
    let chip: Vec<ChipClass> = typed_list(&mut merged, "chip", problems);
    let fab: Vec<Fab> = typed_list(&mut merged, "fab", problems);
    let provider: Vec<Provider> = typed_list(&mut merged, "provider", problems);
    let lab: Vec<Lab> = typed_list(&mut merged, "lab", problems);
    let intermediary: Vec<Intermediary> = typed_list(&mut merged, "intermediary", problems);
    let mut policy: Vec<Policy> = typed_list(&mut merged, "policy", problems);
    let trigger: Vec<Trigger> = typed_list(&mut merged, "trigger", problems);
    if problems.len() > before {
        return None;
    }
    for (i, p) in policy.iter_mut().enumerate() {
        if p.name.is_empty() {
            p.name = format!("policy-{}", i + 1);
        }
    }
    Some(Scenario {
        scenario: meta?,
        parameters: parameters?,
        bloc,
        nation,
        coalition,
        input,
        chip,
        fab,
        provider,
        lab,
        intermediary,
        policy,
        trigger,
    })
}

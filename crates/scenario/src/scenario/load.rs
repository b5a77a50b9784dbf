//! Reading a scenario: TOML parsing, the `extends` chain, `[remove]`, `--set` overrides, and the typed
//! structs, while remembering where every key came from so that each error names file, line and column.
//!
//! Merge rules: tables (`[scenario]`, `[parameters]`) merge key by key, the extending file winning; arrays of
//! entities (`[[nation]]`, `[[policy]]`, …) merge element by element on `id` (`name` for policies and
//! triggers): an element with a known id overrides that element's keys, a new one is appended;
//! `[remove] policy = ["name"]` drops inherited elements first.

use super::error::{Diagnostic, LineIndex, ScenarioError, line_column};
use super::keys::{ARRAY_SECTIONS, TABLE_SECTIONS, id_key};
use super::library::{self, ShippedScenario};
use super::limits::{self, MAX_EXTENDS_DEPTH};
use super::overrides::Override;
use super::suggest;
use super::validate;
use super::{
    Bloc, ChipClass, Coalition, Fab, Input, Intermediary, Lab, Nation, Policy, Provider, Scenario,
    ScenarioMeta, Trigger,
};
use crate::parameters::Parameters;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Table, Value};

/// Loads a scenario from a file path or, failing that, a shipped scenario of that name.
pub fn load(name_or_path: &str, sets: &[Override]) -> Result<Loaded, ScenarioError> {
    load_origin(origin_of(name_or_path)?, sets)
}

/// A file path if there is such a file, else a shipped scenario of that name.
fn origin_of(name_or_path: &str) -> Result<Origin, ScenarioError> {
    let path = Path::new(name_or_path);
    // A folder of that name (say, a run's output folder `baseline`) does not hide a shipped scenario.
    if path.exists() && !(path.is_dir() && library::shipped(name_or_path).is_some()) {
        return Ok(Origin::Path(path.to_path_buf()));
    }
    match library::shipped(name_or_path) {
        Some(s) => Ok(Origin::Shipped(s)),
        None => Err(ScenarioError::single(
            name_or_path,
            format!(
                "no such file, and no shipped scenario of that name{} (shipped: {})",
                super::suggest::closest(name_or_path, library::SHIPPED.iter().map(|s| s.name))
                    .map_or_else(String::new, |s| format!("; did you mean `{s}`?")),
                library::SHIPPED
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

pub fn load_path(path: &Path, sets: &[Override]) -> Result<Loaded, ScenarioError> {
    load_origin(Origin::Path(path.to_path_buf()), sets)
}

pub fn load_shipped(
    s: &'static ShippedScenario,
    sets: &[Override],
) -> Result<Loaded, ScenarioError> {
    load_origin(Origin::Shipped(s), sets)
}

/// Loads a scenario from text; `extends` resolves against the shipped scenarios.
pub fn load_str(name: &str, text: &str, sets: &[Override]) -> Result<Loaded, ScenarioError> {
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
    /// The files of the `extends` chain: the file named, then the files it extends, as they were read.
    pub files: Vec<String>,
    /// Where each `scenario.expect[i].metric` was written (file, line and column, or `--set`): a
    /// metric is checked against the tables the engine records, which this module does not know, so
    /// the engine blames an unknown one here.
    pub expect_metric_at: Vec<Diagnostic>,
}

enum Origin {
    Path(PathBuf),
    Shipped(&'static ShippedScenario),
    Text { name: String, text: String },
}

impl Origin {
    /// What makes two origins the same file: a file's canonical path (`../bad/x.toml` from `bad/` is
    /// `bad/x.toml`), a shipped scenario's name.
    fn identity(&self) -> String {
        match self {
            Origin::Path(p) => format!(
                "file:{}",
                std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
            ),
            Origin::Shipped(s) => format!("shipped:{}", s.name),
            Origin::Text { name, .. } => format!("text:{name}"),
        }
    }
}

#[derive(Debug)]
struct SourceFile {
    name: String,
    text: String,
    /// Byte offset of every key path in the file.
    positions: HashMap<String, usize>,
    /// Where its lines start, made when the first problem is located.
    lines: OnceLock<LineIndex>,
}

impl SourceFile {
    fn new(name: String, text: String, positions: HashMap<String, usize>) -> SourceFile {
        SourceFile {
            name,
            text,
            positions,
            lines: OnceLock::new(),
        }
    }

    /// 1-based (line, column) of a byte offset ([`LineIndex`]).
    fn line_column(&self, offset: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| LineIndex::new(&self.text))
            .locate(&self.text, offset)
    }

    /// The position of `path`, or of its nearest ancestor present in this file.
    fn nearest(&self, path: &str) -> Option<usize> {
        super::error::nearest(&self.positions, path)
    }
}

/// Where the keys of the merged document came from.
#[derive(Debug)]
struct Sources {
    /// The files read, the file named first.
    files: Arc<[SourceFile]>,
    /// For each entity section, per merged element, the (file, index in that file) it was written in,
    /// most derived first.
    elements: BTreeMap<String, Vec<Vec<(usize, usize)>>>,
}

impl Sources {
    /// Where `path` was written: in a file, or on the command line if it is under one of `set_keys`.
    fn diagnostic(&self, set_keys: &[String], path: &str, message: String) -> Diagnostic {
        let (file, offset) = self.locate(set_keys, path);
        let (line, column) = match (file, offset) {
            (Some(f), Some(off)) => {
                let (l, c) = self.files[f].line_column(off);
                (Some(l), Some(c))
            }
            // Something missing that no file writes (say, a `[scenario]` table): the file's start.
            (Some(_), None) => (Some(1), Some(1)),
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
        // Under a key set on the command line, or above one that no file writes (`--set foo.bar=1`
        // makes the unknown table `foo`).
        let written = || self.files.iter().any(|f| f.positions.contains_key(path));
        let from_set = set_keys
            .iter()
            .any(|k| within(path, k) || (within(k, path) && !written()));
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

/// Whether key path `path` is `ancestor` or under it.
fn within(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
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

/// A scenario's files, read and parsed once: the file named and the files it extends, with where each
/// key of each file is written. The scenario and, for a story, its counterfactual are merged from them.
#[derive(Debug)]
pub struct Files {
    files: Arc<[SourceFile]>,
    /// Each file's document without its `extends`, as (file, table), base first.
    tables: Vec<(usize, Table)>,
}

impl Files {
    /// Reads a scenario (a file path or a shipped scenario's name) and the files it extends.
    pub fn read(name_or_path: &str) -> Result<Files, ScenarioError> {
        Files::from_origin(origin_of(name_or_path)?)
    }

    fn from_origin(origin: Origin) -> Result<Files, ScenarioError> {
        let mut files = Vec::new();
        let tables = read_chain(origin, &mut files, &mut Vec::new())?;
        Ok(Files {
            files: files.into(),
            tables,
        })
    }

    /// The files merged.
    pub fn base(&self) -> Result<Base, ScenarioError> {
        merge(&self.files, self.tables.clone())
    }

    fn into_base(self) -> Result<Base, ScenarioError> {
        merge(&self.files, self.tables)
    }

    /// The scenario's counterfactual, merged: the file named without the policies and triggers it adds,
    /// changes or removes (`[[policy]]`, `[[trigger]]`, and `[remove]`'s `policy` and `trigger`),
    /// everything else held. `None` when the file extends nothing (it is a world, not a story over one)
    /// or has no policies or triggers of its own.
    pub fn counterfactual(&self) -> Result<Option<Base>, ScenarioError> {
        if self.tables.len() < 2 {
            return Ok(None);
        }
        let mut tables = self.tables.clone();
        let (_, own) = tables.last_mut().expect("two tables");
        let world = own
            .get("scenario")
            .and_then(|s| s.get("world"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if world || !drop_own_policies(own) {
            return Ok(None);
        }
        merge(&self.files, tables).map(Some)
    }
}

/// Merges the files' tables (base first) into one document.
fn merge(files: &Arc<[SourceFile]>, tables: Vec<(usize, Table)>) -> Result<Base, ScenarioError> {
    let mut sources = Sources {
        files: Arc::clone(files),
        elements: BTreeMap::new(),
    };
    let mut merged = Table::new();
    let mut located: Vec<Diagnostic> = Vec::new();
    for (file, table) in tables {
        merge_file(&mut merged, file, table, &mut sources, &mut located);
    }
    if !located.is_empty() {
        return Err(ScenarioError {
            diagnostics: located,
        });
    }
    Ok(Base { merged, sources })
}

/// A scenario's files merged once, to be finished many times with different `--set`s: a sweep's runs
/// differ only in their overrides, so they skip re-reading, re-parsing and re-merging the files.
#[derive(Debug)]
pub struct Base {
    merged: Table,
    sources: Sources,
}

impl Base {
    /// Reads and merges a scenario (a file path or a shipped scenario's name) and the files it extends.
    pub fn read(name_or_path: &str) -> Result<Base, ScenarioError> {
        Files::read(name_or_path)?.into_base()
    }

    /// The scenario with `sets` applied, typed and validated, exactly as [`load`] gives it.
    pub fn load(&self, sets: &[Override]) -> Result<Loaded, ScenarioError> {
        finish(self.merged.clone(), &self.sources, sets)
    }
}

fn load_origin(origin: Origin, sets: &[Override]) -> Result<Loaded, ScenarioError> {
    let Base { merged, sources } = Files::from_origin(origin)?.into_base()?;
    finish(merged, &sources, sets)
}

/// The counterfactual of a scenario (a file path or a shipped scenario's name) with `sets` applied: the
/// file without the policies and triggers it adds, changes or removes. `None` when it has none.
pub fn load_counterfactual(
    name_or_path: &str,
    sets: &[Override],
) -> Result<Option<Loaded>, ScenarioError> {
    Files::read(name_or_path)?
        .counterfactual()?
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

/// Problems as (merged key path, what was expected).
type Problems = Vec<(String, String)>;

/// Applies the overrides, then checks everything at once: the limits on every number, the types entry
/// by entry (every type error of an entry, not only its first), and the semantic checks on whatever
/// typed — so that one pass reports every problem of the file.
fn finish(
    mut merged: Table,
    sources: &Sources,
    sets: &[Override],
) -> Result<Loaded, ScenarioError> {
    // Merged key paths set from the command line, so that problems there point at `--set`.
    let mut set_keys: Vec<String> = Vec::new();
    let mut set_errors: Vec<Diagnostic> = Vec::new();
    for set in sets {
        match set.apply(&mut merged) {
            Ok(path) => set_keys.push(path),
            Err(message) => set_errors.push(Diagnostic {
                file: "--set".into(),
                line: None,
                column: None,
                key_path: set.key_text(),
                message,
            }),
        }
    }
    let mut bounds = Problems::new();
    limits::cut_long_lists(&mut merged, &mut bounds);
    let ids = validate::Ids::from_doc(&merged);
    limits::check(&merged, &mut bounds);
    // A NaN or infinity is said to be one before any check says what it is not.
    let (mut problems, bounds): (Problems, Problems) = bounds
        .into_iter()
        .partition(|(_, m)| m.starts_with(limits::NOT_FINITE));
    let (scenario, typed_ok, positions) = typed_scenario(&merged, &mut problems);
    let semantic = validate::validate(&scenario, &ids);
    problems.extend(
        semantic
            .into_iter()
            .map(|(path, message)| (positions.merged_path(&path), message)),
    );
    problems.extend(bounds);
    // One problem per key: the first, the most specific (not finite, a type error, a semantic check,
    // then a bound).
    let mut seen = HashSet::new();
    problems.retain(|(path, _)| seen.insert(path.clone()));
    if problems.is_empty() && set_errors.is_empty() && typed_ok {
        let expect_metric_at = (0..scenario.scenario.expect.len())
            .map(|i| {
                let path = format!("scenario.expect[{i}].metric");
                sources.diagnostic(&set_keys, &path, String::new())
            })
            .collect();
        return Ok(Loaded {
            scenario,
            files: sources.files.iter().map(|f| f.name.clone()).collect(),
            expect_metric_at,
        });
    }
    let mut diagnostics: Vec<Diagnostic> = problems
        .into_iter()
        .map(|(path, message)| sources.diagnostic(&set_keys, &path, message))
        .collect();
    // In reading order: file by file (the file given first, then the files it extends, as they were
    // read), line by line; the command line last.
    let order: HashMap<&str, usize> = sources
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    diagnostics.sort_by_key(|d| {
        (
            order.get(d.file.as_str()).copied().unwrap_or(usize::MAX),
            d.line.unwrap_or(0),
            d.column.unwrap_or(0),
        )
    });
    diagnostics.extend(set_errors);
    Err(ScenarioError { diagnostics })
}

/// A file that is not TOML, located where the parser stopped (nowhere, without a span: the parser's
/// recursion limit), with a hint for the two refusals users meet.
fn not_toml(e: &toml::de::Error, name: &str, text: &str) -> ScenarioError {
    let mut message = format!("not valid TOML: {}", e.message().trim());
    if message.contains("recursion limit") {
        message.push_str(" (keys or tables nested too deeply)");
    }
    if message.contains("as i128") {
        message.push_str(
            " (TOML's integers are 64-bit, up to 9223372036854775807: write a larger number as a \
             float, e.g. 1e24)",
        );
    }
    // Without a span no line or key is known: none is named, rather than the file's first key.
    let (line, column, key_path) = match e.span() {
        Some(span) => {
            let (l, c) = line_column(text, span.start);
            (Some(l), Some(c), key_at(text, span.start))
        }
        None => (None, None, String::new()),
    };
    ScenarioError {
        diagnostics: vec![Diagnostic {
            file: name.to_string(),
            line,
            column,
            key_path,
            message,
        }],
    }
}

/// Reads and parses a file and, recursively, the files it extends, each once: pushes them to `files`
/// and returns (file index, table), base first. `seen` is the chain so far as (identity, name): a
/// file's identity is its canonical path, so that a file extending itself by another path
/// (`../bad/x.toml` from `bad/`) is a cycle too.
fn read_chain(
    origin: Origin,
    files: &mut Vec<SourceFile>,
    seen: &mut Vec<(String, String)>,
) -> Result<Vec<(usize, Table)>, ScenarioError> {
    let identity = origin.identity();
    let (name, text, dir, shipped) = match origin {
        Origin::Path(p) => {
            // The files of a chain together: each costs memory as it is parsed and located.
            let read: usize = files.iter().map(|f| f.text.len()).sum();
            let room = super::limits::MAX_SCENARIO_BYTES.saturating_sub(read as u64);
            let text = crate::fsutil::read_text(&p, room).map_err(|e| {
                let chain = if read > 0 {
                    format!(
                        " (a scenario's files together hold at most {} MB; the files it extends \
                         already hold {read} bytes)",
                        super::limits::MAX_SCENARIO_BYTES >> 20
                    )
                } else {
                    String::new()
                };
                ScenarioError::single(p.display().to_string(), format!("cannot read: {e}{chain}"))
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
    seen.push((identity, name.clone()));

    let (mut table, positions) =
        parse_with_positions(&text).map_err(|e| not_toml(&e, &name, &text))?;

    let extends = table.remove("extends");
    files.push(SourceFile::new(name.clone(), text, positions));
    let index = files.len() - 1;

    let mut chain = Vec::new();
    if let Some(extends) = extends {
        let here = |message: String| {
            let d = files[index].diagnostic("extends", message);
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
                "cannot find `{base}` beside this file nor among the shipped scenarios{}",
                suggest::hint(&base, library::SHIPPED.iter().map(|s| s.name))
            ))
        })?;
        // A cycle is reported at the `extends` that closes it, with the chain of files.
        let base_identity = base_origin.identity();
        if seen.iter().any(|(id, _)| *id == base_identity) {
            let again = seen
                .iter()
                .find(|(id, _)| *id == base_identity)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            let chain: Vec<&str> = seen
                .iter()
                .map(|(_, n)| n.as_str())
                .chain([again.as_str()])
                .collect();
            return Err(here(format!(
                "`extends` forms a cycle: {}",
                chain.join(" → ")
            )));
        }
        if seen.len() >= MAX_EXTENDS_DEPTH {
            return Err(here(format!(
                "the `extends` chain is longer than {MAX_EXTENDS_DEPTH} files"
            )));
        }
        // A base that cannot be read or is not TOML (a device, a FIFO, `/etc/passwd`) is blamed on
        // the `extends` that names it, and none of its text is quoted (it may be anything).
        let at = files[index].diagnostic("extends", String::new());
        let base_name = match &base_origin {
            Origin::Path(p) => Some(p.display().to_string()),
            _ => None,
        };
        chain = read_chain(base_origin, files, seen).map_err(|e| match e.diagnostics.as_slice() {
            [d] if Some(&d.file) == base_name.as_ref()
                && (d.message.starts_with("cannot read") || d.message.starts_with("not valid TOML")) =>
            {
                let why = if d.message.starts_with("cannot read") {
                    d.message.trim_start_matches("cannot read: ").to_string()
                } else {
                    format!("is not TOML (line {})", d.line.unwrap_or(0))
                };
                ScenarioError {
                    diagnostics: vec![Diagnostic {
                        message: format!(
                            "`{base}` {why}: `extends` names a scenario file or a shipped scenario"
                        ),
                        ..at.clone()
                    }],
                }
            }
            _ => e,
        })?;
    }
    chain.push((index, table));
    Ok(chain)
}

/// The key path a TOML syntax error is at, read from the text around it (the file did not parse, so
/// there is no document to ask): the table header above, and the key of the line if it has one.
fn key_at(text: &str, offset: usize) -> String {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let lines_before = || before[..line_start].lines().map(str::trim);
    let header = std::iter::once(line.trim())
        .filter(|l| l.starts_with('['))
        .chain(lines_before().rev())
        .find(|l| l.starts_with('['))
        .map(|l| {
            let name = l
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            if l.starts_with("[[") {
                // The element of this file's array of tables: count its headers so far.
                let n = lines_before()
                    .chain(std::iter::once(line.trim()))
                    .filter(|h| {
                        h.strip_prefix("[[")
                            .and_then(|h| h.split(']').next())
                            .is_some_and(|h| h.trim() == name)
                    })
                    .count();
                format!("{name}[{}]", n.saturating_sub(1))
            } else {
                name.to_string()
            }
        });
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.starts_with('[') && !k.starts_with('#'));
    match (header, key) {
        (Some(h), Some(k)) if !h.is_empty() => format!("{h}.{k}"),
        (Some(h), None) => h,
        (_, Some(k)) => k.to_string(),
        _ => String::new(),
    }
}

impl Sources {
    fn diagnostic_in(&self, file: usize, path: &str, message: String) -> Diagnostic {
        self.files[file].diagnostic(path, message)
    }
}

impl SourceFile {
    /// A problem at `path` in this file (at its nearest ancestor written here).
    fn diagnostic(&self, path: &str, message: String) -> Diagnostic {
        let (line, column) = self
            .nearest(path)
            .map(|off| self.line_column(off))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        Diagnostic {
            file: self.name.clone(),
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
        // Anything there but a folder is read (and refused with its reason if it is not a regular
        // file); a folder of a shipped scenario's name does not hide it.
        if candidate.exists() && !candidate.is_dir() {
            return Some(Origin::Path(candidate));
        }
    }
    library::shipped(base).map(Origin::Shipped)
}

/// TOML text parsed once: the spanned document gives each key path's byte offset, then becomes the
/// plain table.
pub fn parse_with_positions(
    text: &str,
) -> Result<(Table, HashMap<String, usize>), toml::de::Error> {
    let spanned = DeTable::parse(text)?;
    let mut positions = HashMap::new();
    index_table(spanned.get_ref(), "", &mut positions);
    let table = Table::deserialize(toml::de::Deserializer::from(spanned))?;
    Ok((table, positions))
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

/// Positions of a merged section's elements by id, for linear-time merging.
fn index_by_id(items: &[Value], id: &str) -> HashMap<String, usize> {
    let mut index = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(k) = element_key(item, id) {
            index.entry(k).or_insert(i);
        }
    }
    index
}

/// The keys `[scale]` may multiply: amounts of a world (money, stocks, capacities, power) that an
/// earlier or later world has in other proportions. Each is `table.key` over every entry of the table
/// (`provider.region.capacity` over every region of every provider).
pub const SCALABLE: &[&str] = &[
    "lab.budget",
    "lab.owned",
    "provider.capex",
    "provider.region.capacity",
    "fab.wafers",
    "fab.packaging",
    "fab.banked_dies",
    "nation.power_gw",
    "nation.power_build_gw_yr",
    "nation.gdp",
];

/// The largest factor `[scale]` takes: a world a thousand times larger or smaller is another world.
pub const MAX_SCALE: f64 = 1e3;

/// `[scale]`: multiplies a key of every inherited entry (written in the files this one extends) by a
/// factor, so that a world of another year can be the shipped one in other proportions (the hindcast's
/// 2022 world is the 2025 one with 2022's budgets, stocks and capacities). This file's own entries,
/// merged after, are not scaled.
fn apply_scale(
    merged: &mut Table,
    file: usize,
    scale: Value,
    sources: &Sources,
    located: &mut Vec<Diagnostic>,
) {
    let Value::Table(scale) = scale else {
        located.push(sources.diagnostic_in(
            file,
            "scale",
            "expected a table of factors, e.g. [scale] with `\"lab.budget\" = 0.3`".into(),
        ));
        return;
    };
    for (key, factor) in scale {
        let path = format!("scale.{key}");
        if !SCALABLE.contains(&key.as_str()) {
            located.push(sources.diagnostic_in(
                file,
                &path,
                format!(
                    "`{key}` cannot be scaled{}; the keys [scale] takes are {}",
                    suggest::hint(&key, SCALABLE.iter().copied()),
                    SCALABLE.join(", ")
                ),
            ));
            continue;
        }
        let factor = match factor {
            Value::Float(x) => x,
            Value::Integer(i) => i as f64,
            _ => {
                located.push(sources.diagnostic_in(file, &path, "expected a number".into()));
                continue;
            }
        };
        if !(factor.is_finite() && (1.0 / MAX_SCALE..=MAX_SCALE).contains(&factor)) {
            located.push(sources.diagnostic_in(
                file,
                &path,
                format!(
                    "expected a factor from 1/{MAX_SCALE} to {MAX_SCALE} (a world that much larger \
                     or smaller), got {factor}"
                ),
            ));
            continue;
        }
        let parts: Vec<&str> = key.split('.').collect();
        if let Some(value) = merged.get_mut(parts[0]) {
            scale_in(value, &parts[1..], factor);
        }
    }
}

/// Multiplies the number at `path` in every entry of `value` (an array of tables, or a table).
fn scale_in(value: &mut Value, path: &[&str], factor: f64) {
    match value {
        Value::Array(items) => {
            for item in items {
                scale_in(item, path, factor);
            }
        }
        Value::Table(t) => {
            let Some((first, rest)) = path.split_first() else {
                return;
            };
            let Some(v) = t.get_mut(*first) else {
                return;
            };
            if rest.is_empty() {
                match v {
                    Value::Float(x) => *x *= factor,
                    Value::Integer(i) => *v = Value::Float(*i as f64 * factor),
                    _ => {}
                }
            } else {
                scale_in(v, rest, factor);
            }
        }
        _ => {}
    }
}

fn merge_file(
    merged: &mut Table,
    file: usize,
    mut table: Table,
    sources: &mut Sources,
    located: &mut Vec<Diagnostic>,
) {
    // `world` is said of one file, not inherited: a story over a world is a story.
    if let Some(Value::Table(meta)) = merged.get_mut("scenario") {
        meta.remove("world");
    }
    // Removals and scaling apply to what was inherited, before this file adds its own elements.
    if let Some(remove) = table.remove("remove") {
        apply_removals(merged, file, remove, sources, located);
    }
    if let Some(scale) = table.remove("scale") {
        apply_scale(merged, file, scale, sources, located);
    }
    let mut duplicates: Vec<(String, String)> = Vec::new();
    for (key, value) in table {
        match id_key(&key) {
            Some(id) => {
                let Value::Array(items) = value else {
                    // Reported here, keeping what was inherited: replaced by a table, every
                    // reference to an inherited entity would be reported unknown too.
                    located.push(sources.diagnostic_in(
                        file,
                        &key,
                        format!("expected an array of tables: write each entry as [[{key}]]"),
                    ));
                    continue;
                };
                let target = merged
                    .entry(key.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(target) = target else {
                    continue;
                };
                let mut index = index_by_id(target, id);
                let origins = sources.elements.entry(key.clone()).or_default();
                for (j, item) in items.into_iter().enumerate() {
                    let existing = element_key(&item, id).and_then(|k| index.get(&k).copied());
                    match existing {
                        Some(i) if origins[i].iter().any(|&(f, _)| f == file) => {
                            duplicates.push((format!("{key}[{j}].{id}"), key.clone()));
                        }
                        Some(i) => {
                            deep_merge(&mut target[i], item);
                            origins[i].insert(0, (file, j));
                        }
                        None => {
                            if let Some(k) = element_key(&item, id) {
                                index.insert(k, target.len());
                            }
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
    // Removal errors belong to this file whatever else was merged. Past a page of them the rest are
    // counted, not located (locating each in a list of 100 000 names would take seconds).
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut unlisted = 0usize;
    let mut fail = |path: String, message: String| {
        if failures.len() + 1 < super::error::MAX_SHOWN {
            failures.push((path, message));
        } else {
            unlisted += 1;
        }
    };
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
            let hint = suggest::hint(&section, ARRAY_SECTIONS.map(|(s, _)| s));
            fail(
                path,
                format!(
                    "unknown section `{section}`{hint}, expected one of {}",
                    ARRAY_SECTIONS.map(|(s, _)| s).join(", ")
                ),
            );
            continue;
        };
        let Some(ids) = ids.as_array() else {
            fail(path, "expected a list of ids".into());
            continue;
        };
        let items = merged.get_mut(&section).and_then(Value::as_array_mut);
        let index = items
            .as_ref()
            .map(|items| index_by_id(items, id))
            .unwrap_or_default();
        let mut doomed: HashSet<usize> = HashSet::new();
        for (k, victim) in ids.iter().enumerate() {
            let Some(victim) = victim.as_str() else {
                fail(format!("{path}[{k}]"), "expected an id (a string)".into());
                continue;
            };
            match index.get(victim) {
                Some(&i) if doomed.insert(i) => {}
                Some(_) => fail(
                    format!("{path}[{k}]"),
                    format!("{section} `{victim}` is already removed above"),
                ),
                None => fail(
                    format!("{path}[{k}]"),
                    format!(
                        "no inherited {section} with {id} `{victim}` to remove{}",
                        suggest::hint(victim, index.keys().map(String::as_str))
                    ),
                ),
            }
        }
        if doomed.is_empty() {
            continue;
        }
        if let Some(items) = items {
            let mut i = 0;
            items.retain(|_| {
                i += 1;
                !doomed.contains(&(i - 1))
            });
        }
        if let Some(origins) = sources.elements.get_mut(&section) {
            let mut i = 0;
            origins.retain(|_| {
                i += 1;
                !doomed.contains(&(i - 1))
            });
        }
    }
    if unlisted > 0 {
        failures.push((
            "remove".into(),
            format!("and {unlisted} more problems like those above"),
        ));
    }
    located.extend(
        failures
            .into_iter()
            .map(|(p, m)| sources.diagnostic_in(file, &p, m)),
    );
}

/// Most type errors reported per entry.
const MAX_TYPE_ERRORS_PER_ENTRY: usize = 32;

/// Deserializes one value into `T`, recording each failing key path with serde's message: after an
/// error the offending key is taken out and the entry tried again, so that every type error of the entry
/// is reported, and the entry still types if the keys taken out were optional.
fn typed<T: DeserializeOwned>(value: &Value, path: &str, problems: &mut Problems) -> Option<T> {
    // Most entries type at once: one copy for them.
    if let Ok(v) = T::deserialize(value.clone()) {
        return Some(v);
    }
    let mut value = value.clone();
    // Keys taken out, with a stand-in of the type their error expected.
    let mut removed: Vec<(String, Option<Value>)> = Vec::new();
    for _ in 0..MAX_TYPE_ERRORS_PER_ENTRY {
        let e = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        let mut segments: Vec<Segment> = e.path().iter().cloned().collect();
        let message = e.inner().message().trim().to_string();
        let inner = e.path().to_string();
        let inner = if inner == "." { String::new() } else { inner };
        // A required key missing because it was taken out after its error: nothing new to say. Put a
        // stand-in of the expected type there (a problem at that key is already reported, so whatever
        // the checks say of the stand-in is dropped), to check the rest of the entry.
        if let Some(field) = quoted_after(&message, "missing field `") {
            let mut at = segments.clone();
            at.push(Segment::Map {
                key: field.to_string(),
            });
            let key = segments_key(&at);
            if let Some(i) = removed.iter().position(|(s, _)| *s == key) {
                let inserted = removed[i]
                    .1
                    .take()
                    .is_some_and(|stand_in| insert_at(&mut value, &at, stand_in));
                if !inserted {
                    return None;
                }
                continue;
            }
        }
        let mut full = join_path(path, &inner);
        // A missing key is a problem of that key (located at its table).
        if let Some(field) = quoted_after(&message, "missing field `") {
            full = join_path(&full, field);
        }
        // Point an unknown key at the key itself, not at its table.
        if let Some(field) = quoted_after(&message, "unknown field `") {
            if !full.ends_with(field) {
                full = join_path(&full, field);
            }
            // serde_path_to_error's path may already end at the key (it records a key as it reads it).
            let at_key = matches!(segments.last(), Some(Segment::Map { key }) if key == field);
            if !at_key {
                segments.push(Segment::Map {
                    key: field.to_string(),
                });
            }
        }
        let mut said = suggest::serde_message(&message);
        // A number where a whole number is expected: say so, and the key's range if it has one.
        if message.starts_with("invalid type: floating point")
            && [
                "expected u32",
                "expected u64",
                "expected i32",
                "expected i64",
            ]
            .iter()
            .any(|e| message.ends_with(e))
        {
            // A model parameter's range is declared with it; other keys' in `limits`.
            let parameter = full.strip_prefix("parameters.").and_then(|name| {
                crate::parameters::PARAMETER_DOCS
                    .iter()
                    .find(|d| d.name == name)
            });
            said = match (parameter, super::limits::limit_of(&full)) {
                (Some(d), _) => format!(
                    "{said} (a whole number from {} to {}, {})",
                    d.min, d.max, d.unit
                ),
                (None, Some(l)) => format!(
                    "{said} (a whole number from {} to {}: {})",
                    l.min, l.max, l.what
                ),
                (None, None) => format!("{said} (a whole number)"),
            };
        }
        // A key an earlier version of the format had: say what replaced it.
        if let Some(hint) =
            quoted_after(&message, "unknown field `").and_then(super::validate::replaced_key_hint)
        {
            said = format!("{}; {hint}", said.trim_end());
        }
        problems.push((full, said));
        // Take the key out (an array's element: the whole array, so that its other indices hold).
        let in_array = matches!(segments.last(), Some(Segment::Seq { .. }));
        while matches!(segments.last(), Some(Segment::Seq { .. })) {
            segments.pop();
        }
        if segments.is_empty() || !remove_at(&mut value, &segments) {
            return None;
        }
        let stand_in = if in_array {
            Some(Value::Array(Vec::new()))
        } else {
            stand_in(&message)
        };
        removed.push((segments_key(&segments), stand_in));
    }
    None
}

/// A key path of segments, comparable (serde_path_to_error's segments are not).
fn segments_key(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Map { key } => format!(".{key}"),
            other => other.to_string(),
        })
        .collect()
}

/// A value of the type serde's message says was expected ("…, expected f64", "unknown variant `x`,
/// expected one of `a`, `b`").
fn stand_in(message: &str) -> Option<Value> {
    // An unknown name stands in as the one it was likely meant to be (`cloud_bam` as `cloud_ban`), so
    // the rest of the entry is checked as that kind; else as the first expected.
    if let Some(rest) = message
        .split_once("expected one of `")
        .map(|(_, rest)| rest)
    {
        let expected: Vec<&str> = std::iter::once(rest)
            .chain(rest.split(", `").skip(1))
            .filter_map(|e| e.split('`').next())
            .collect();
        let meant = quoted_after(message, "unknown variant `")
            .and_then(|word| suggest::closest(word, expected.iter().copied()));
        if let Some(name) = meant.or(expected.first().copied()) {
            return Some(Value::String(name.to_string()));
        }
    }
    let expected = message.rsplit_once("expected ")?.1.trim();
    Some(match expected {
        "f64" | "f32" => Value::Float(1.0),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" => Value::Integer(1),
        "a string" | "string" | "a borrowed string" => Value::String(String::new()),
        "a boolean" | "bool" => Value::Boolean(false),
        "a sequence" => Value::Array(Vec::new()),
        _ => return None,
    })
}

/// The value at `segments` (map keys and array indices), if it is there.
fn node_at<'a>(mut node: &'a mut Value, segments: &[Segment]) -> Option<&'a mut Value> {
    for s in segments {
        node = match (s, node) {
            (Segment::Map { key }, Value::Table(t)) => t.get_mut(key)?,
            (Segment::Seq { index }, Value::Array(a)) => a.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Puts `stand_in` at `segments` (whose parents exist); false if it cannot.
fn insert_at(value: &mut Value, segments: &[Segment], stand_in: Value) -> bool {
    let Some((Segment::Map { key }, parents)) = segments.split_last() else {
        return false;
    };
    let Some(node) = node_at(value, parents) else {
        return false;
    };
    match node {
        Value::Table(t) => t.insert(key.clone(), stand_in).is_none(),
        _ => false,
    }
}

/// The text between `prefix` and the next backtick, if `message` starts with `prefix`.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// Removes the key at `segments` (map keys and array indices) from `value`; false if it is not there.
fn remove_at(value: &mut Value, segments: &[Segment]) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let Some(node) = node_at(value, parents) else {
        return false;
    };
    match (last, node) {
        (Segment::Map { key }, Value::Table(t)) => t.remove(key).is_some(),
        _ => false,
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

/// For each entity section, the merged index of each typed element (an element that did not type is
/// skipped, so the typed list's indices can lag behind the merged document's).
#[derive(Debug, Default)]
struct Positions {
    sections: HashMap<&'static str, Vec<usize>>,
}

impl Positions {
    /// A key path of the typed scenario (`lab[3].nation`) as a path of the merged document.
    fn merged_path(&self, path: &str) -> String {
        if let Some((section, index, rest)) = split_element(path)
            && let Some(map) = self.sections.get(section)
            && let Some(&merged) = map.get(index)
        {
            return format!("{section}[{merged}]{rest}");
        }
        path.to_string()
    }
}

fn typed_list<T: DeserializeOwned>(
    merged: &Table,
    section: &'static str,
    problems: &mut Problems,
    positions: &mut Positions,
) -> (Vec<T>, bool) {
    match merged.get(section) {
        None => (Vec::new(), true),
        Some(Value::Array(items)) => {
            let before = problems.len();
            let mut typed_items = Vec::with_capacity(items.len());
            let map = positions.sections.entry(section).or_default();
            for (i, v) in items.iter().enumerate() {
                if let Some(t) = typed(v, &format!("{section}[{i}]"), problems) {
                    typed_items.push(t);
                    map.push(i);
                }
            }
            let ok = typed_items.len() == items.len() && problems.len() == before;
            (typed_items, ok)
        }
        Some(_) => {
            problems.push((
                section.to_string(),
                format!("expected an array of tables: write each entry as [[{section}]]"),
            ));
            (Vec::new(), false)
        }
    }
}

/// Types the merged document section by section and entry by entry. Always returns a scenario, with
/// what did not type left out (or defaults where a table did not type), so that the semantic checks run
/// on the rest; the flag says whether everything typed.
fn typed_scenario(merged: &Table, problems: &mut Problems) -> (Scenario, bool, Positions) {
    let before = problems.len();
    for key in merged.keys() {
        if id_key(key).is_none() && !TABLE_SECTIONS.contains(&key.as_str()) {
            let known = ["extends", "remove"]
                .into_iter()
                .chain(TABLE_SECTIONS)
                .chain(ARRAY_SECTIONS.map(|(s, _)| s));
            problems.push((
                key.clone(),
                format!(
                    "unknown key, expected one of extends, remove, {}, {}{}",
                    TABLE_SECTIONS.join(", "),
                    ARRAY_SECTIONS.map(|(s, _)| s).join(", "),
                    suggest::hint(key, known)
                ),
            ));
        }
    }
    let meta: Option<ScenarioMeta> = match merged.get("scenario") {
        Some(v) => typed(v, "scenario", problems),
        None => {
            problems.push((
                "scenario".into(),
                "missing `[scenario]` table (at least `name = \"…\"`)".into(),
            ));
            None
        }
    };
    let parameters: Option<Parameters> = match merged.get("parameters") {
        Some(v) => typed(v, "parameters", problems),
        None => Some(Parameters::default()),
    };
    let mut positions = Positions::default();
    let mut all = true;
    macro_rules! list {
        ($section:literal) => {{
            let (items, ok) = typed_list(merged, $section, problems, &mut positions);
            all &= ok;
            items
        }};
    }
    let bloc: Vec<Bloc> = list!("bloc");
    let nation: Vec<Nation> = list!("nation");
    let coalition: Vec<Coalition> = list!("coalition");
    let input: Vec<Input> = list!("input");
    let chip: Vec<ChipClass> = list!("chip");
    let fab: Vec<Fab> = list!("fab");
    let provider: Vec<Provider> = list!("provider");
    let lab: Vec<Lab> = list!("lab");
    let intermediary: Vec<Intermediary> = list!("intermediary");
    let mut policy: Vec<Policy> = list!("policy");
    let trigger: Vec<Trigger> = list!("trigger");
    let typed_ok = all && problems.len() == before && meta.is_some() && parameters.is_some();
    let policy_positions = positions
        .sections
        .get("policy")
        .cloned()
        .unwrap_or_default();
    for (p, &i) in policy.iter_mut().zip(&policy_positions) {
        if p.name.is_empty() {
            p.name = format!("policy-{}", i + 1);
        }
    }
    // Stand-ins for tables that did not type: valid, so that they add no problems of their own.
    let meta = meta.unwrap_or_else(|| ScenarioMeta {
        name: "scenario".into(),
        description: String::new(),
        start: crate::month::YearMonth::new(2025, 1).expect("a valid month"),
        data_month: None,
        world: false,
        months: 1,
        seed: 0,
        focus: Vec::new(),
        story: String::new(),
        sources: Vec::new(),
        expect: Vec::new(),
    });
    let scenario = Scenario {
        scenario: meta,
        parameters: parameters.unwrap_or_default(),
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
    };
    (scenario, typed_ok, positions)
}

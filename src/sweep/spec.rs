//! The sweep file: which scenario, which parameters (by `--set` key path) with which values or
//! distributions, which design, how many replicates, and which outputs to keep.
//!
//! ```toml
//! [sweep]
//! name = "controls-vs-beta"
//! scenario = "baseline"             # a shipped scenario's name, or a path relative to this file
//! set = ["scenario.months=24"]      # fixed overrides for every run
//! design = "sobol"                  # grid | random | lhs | sobol | morris | file
//! samples = 64                      # random/lhs: points; sobol: base size N; morris: trajectories r
//! replicates = 2                    # seeds per point
//! seed = 7
//!
//! [[parameter]]
//! key = "parameters.beta"
//! distribution = "uniform"          # uniform | log-uniform | normal | triangular | choice
//! min = 1.0
//! max = 4.0
//!
//! [[parameter]]
//! key = "policy.us-chip-controls.strength"
//! values = [0.0, 0.5, 1.0]          # grid levels; a discrete uniform choice in the other designs
//!
//! [outputs]
//! series = false                    # also keep each run's global time series (list columns)
//! focus = ["KE", "BR"]              # nations whose compute per capita is summarised
//! ```
//!
//! `design = "file"` runs the points of a CSV or Parquet file instead (`file = "points.csv"`, relative
//! to the sweep file; see [`super::points_file`]): its columns are `--set` key paths, its rows the
//! points. `[[parameter]]` entries are then optional: without any, every column is a parameter; with
//! some, they pick columns by `key` (other columns are ignored) and may give each a `name` or
//! `integer = true`, but no values or distribution.

use super::check::{self, Positions, SweepError};
use super::points_file::PointsFile;
use super::value::Value as PointValue;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Most runs a sweep may have (points × replicates).
pub const MAX_RUNS: u64 = 1_000_000_000;
/// Most `samples` a design may ask for.
pub const MAX_SAMPLES: usize = 1_000_000_000;
/// Most points a design may have: every shard builds the whole design in memory.
pub const MAX_POINTS: u64 = 10_000_000;
/// Most parameter values a design may hold (points × parameters; ≈ 40 bytes each in memory).
pub const MAX_DESIGN_VALUES: u64 = 50_000_000;
/// Most shards a sweep may be cut into.
pub const MAX_SHARDS: u32 = 1_000_000;

/// A parsed and checked sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    pub sweep: SweepMeta,
    #[serde(default, rename = "parameter")]
    pub parameters: Vec<ParameterSpec>,
    #[serde(default)]
    pub outputs: OutputsSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepMeta {
    /// Names the dataset partition `sweep=NAME`.
    pub name: String,
    /// The base scenario: a shipped scenario's name or a path (relative to the sweep file).
    pub scenario: String,
    /// `--set` overrides applied to every run before the sweep's own parameters.
    #[serde(default)]
    pub set: Vec<String>,
    pub design: DesignKind,
    /// `design = "file"`: the CSV or Parquet file of points, relative to the sweep file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Random and Latin hypercube: points; Sobol: base sample size N (runs N·(k+2) points); Morris:
    /// trajectories r (runs r·(k+1) points). Unused by the grid.
    #[serde(default)]
    pub samples: Option<usize>,
    /// Morris: levels p of the grid (even, ≥ 2).
    #[serde(default = "default_levels")]
    pub levels: usize,
    /// Seeds per point.
    #[serde(default = "default_replicates")]
    pub replicates: u32,
    #[serde(default)]
    pub seed: u64,
    /// Runs per Parquet part file. Part boundaries depend on this alone, never on threads or shards.
    #[serde(default = "default_chunk")]
    pub chunk: usize,
}

fn default_levels() -> usize {
    4
}
fn default_replicates() -> u32 {
    1
}
fn default_chunk() -> usize {
    64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DesignKind {
    Grid,
    Random,
    Lhs,
    Sobol,
    Morris,
    /// The points of a CSV or Parquet file (`sweep.file`).
    File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistributionKind {
    Uniform,
    LogUniform,
    Normal,
    Triangular,
    Choice,
}

/// One swept parameter: a `--set` key path and its values or distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// Any `--set` key path: `parameters.beta`, `policy.NAME.strength`, `nation.KE.population`.
    pub key: String,
    /// Column name in the dataset and label in `analyze` (default: the key path itself, so that an
    /// input has one name in the dataset, the analysis and the export).
    #[serde(default)]
    pub name: Option<String>,
    /// Grid levels, or the options of a discrete choice.
    #[serde(default)]
    pub values: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub distribution: Option<DistributionKind>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub mode: Option<f64>,
    #[serde(default)]
    pub mean: Option<f64>,
    #[serde(default)]
    pub sd: Option<f64>,
    /// Choice: relative weights of `values` (default: equal).
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
    /// Whole numbers (for integer-valued keys such as `scenario.months`): a uniform parameter draws
    /// each whole number from ⌈min⌉ to ⌊max⌋ with equal chance; other distributions round.
    #[serde(default)]
    pub integer: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputsSpec {
    /// Also keep every run's global time series, one list column per metric.
    #[serde(default)]
    pub series: bool,
    /// Global metric columns to summarise (default: every numeric column).
    #[serde(default)]
    pub metrics: Option<Vec<String>>,
    /// Nations whose compute per capita is summarised (default: the scenario's `focus`).
    #[serde(default)]
    pub focus: Option<Vec<String>>,
}

impl ParameterSpec {
    /// The dataset column of this parameter.
    pub fn column(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.key.clone())
    }

    /// The distribution, `choice` when only `values` is given.
    pub fn kind(&self) -> DistributionKind {
        self.distribution.unwrap_or(DistributionKind::Choice)
    }

    /// True when every value the parameter can take is a number (stored as a Float64 column).
    pub fn numeric(&self) -> bool {
        match &self.values {
            Some(vs) if self.kind() == DistributionKind::Choice => vs
                .iter()
                .all(|v| matches!(v, toml::Value::Integer(_) | toml::Value::Float(_))),
            _ => true,
        }
    }
}

/// The sweeps shipped inside the binary, by name, so that `sweep run controls-sensitivity` works from
/// any directory (their scenarios are shipped ones, and they read no design file).
pub static SHIPPED: &[(&str, &str)] = &[(
    "controls-sensitivity",
    include_str!("../../scenarios/sweeps/controls-sensitivity.toml"),
)];

/// A shipped sweep by name, with or without `.toml`.
pub fn shipped(name: &str) -> Option<&'static (&'static str, &'static str)> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    SHIPPED.iter().find(|s| s.0 == name)
}

/// A sweep file read from disk, with the folder its relative paths resolve against.
#[derive(Clone, Debug)]
pub struct SpecFile {
    /// The spec; for `design = "file"`, with one `[[parameter]]` per column used.
    pub spec: SweepSpec,
    pub path: PathBuf,
    /// `design = "file"`: the file's points, one value per parameter of `spec`, in its order.
    pub points: Option<std::sync::Arc<FilePoints>>,
    /// Where each key is written, for problems found against the base scenario.
    pub positions: Positions,
}

/// The points of a design file, as the sweep uses them.
#[derive(Clone, Debug, PartialEq)]
pub struct FilePoints {
    /// The file, as problems name it.
    pub file: String,
    /// Whether it is CSV (its rows have lines: the header is line 1), else Parquet.
    pub csv: bool,
    /// Whether the parameters are the file's columns (the sweep file names none), so that a key the
    /// base scenario refuses is the header's to mend.
    pub keys_from_header: bool,
    /// Each parameter's key and column in the file (1-based), for messages.
    pub keys: Vec<String>,
    pub columns: Vec<usize>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// `points[point][parameter]`, shared with the design made from it.
    pub points: std::sync::Arc<Vec<Vec<PointValue>>>,
    /// Whether each parameter's values are all numbers.
    pub numeric: Vec<bool>,
    /// For a parameter whose whole numbers are read as floats: the row (0-based) of the first value
    /// that is not whole, the reason.
    pub floats_from: Vec<Option<usize>>,
}

impl SweepSpec {
    /// Reads and checks a sweep file (and its design file, for `design = "file"`); errors name the
    /// file, and line/column or the key path.
    pub fn read(path: &Path) -> Result<SpecFile> {
        // A shipped sweep by name (`controls-sensitivity`), when no such file is there.
        if !path.exists()
            && let Some(shipped) = path.to_str().and_then(shipped)
        {
            let name = format!("scenarios/sweeps/{}.toml", shipped.0);
            let (spec, positions) = Self::parse_located(&name, shipped.1)?;
            return Ok(SpecFile {
                spec,
                path: PathBuf::from(name),
                points: None,
                positions,
            });
        }
        let text = crate::fsutil::read_text(path, crate::scenario::limits::MAX_SCENARIO_BYTES)
            .with_context(|| {
                let known: Vec<&str> = SHIPPED.iter().map(|s| s.0).collect();
                format!(
                    "cannot read the sweep file {} (shipped sweeps: {}{})",
                    path.display(),
                    known.join(", "),
                    path.to_str()
                        .and_then(|p| crate::scenario::did_you_mean(p, &known))
                        .map_or_else(String::new, |s| format!("; did you mean `{s}`?"))
                )
            })?;
        let (mut spec, positions) = Self::parse_located(&path.display().to_string(), &text)?;
        let points = match (&spec.sweep.design, &spec.sweep.file) {
            (DesignKind::File, Some(file)) => {
                let at = match path.parent() {
                    Some(dir) if Path::new(file).is_relative() => dir.join(file),
                    _ => PathBuf::from(file),
                };
                // Blamed on the key that names the file, and the design file's own line, if any,
                // after it.
                let read = PointsFile::read(&at).map_err(|e| SweepError {
                    diagnostics: vec![positions.diagnostic("sweep.file", format!("{e:#}"))],
                })?;
                Some(std::sync::Arc::new(file_points(
                    &path.display().to_string(),
                    &mut spec,
                    read,
                )?))
            }
            _ => None,
        };
        Ok(SpecFile {
            spec,
            path: path.to_path_buf(),
            points,
            positions,
        })
    }

    /// Parses and checks sweep text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<SweepSpec> {
        Ok(Self::parse_located(file, text)?.0)
    }

    /// Parses and checks sweep text, with where each key is written (for the checks that need the
    /// base scenario). Every problem of the file's shape, then every problem of its values, is
    /// reported at once ([`SweepError`]), each with its line, column and key path.
    pub fn parse_located(file: &str, text: &str) -> Result<(SweepSpec, Positions)> {
        let (table, at) = crate::scenario::parse_with_positions(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::scenario::line_column(text, s.start))
                .unwrap_or((1, 1));
            SweepError {
                diagnostics: vec![crate::scenario::Diagnostic {
                    file: file.to_string(),
                    line: Some(line),
                    column: Some(column),
                    key_path: String::new(),
                    message: format!("not valid TOML: {}", e.message().trim()),
                }],
            }
        })?;
        let positions = Positions::new(file, text, at);
        let shape = check::shape(&table);
        if !shape.is_empty() {
            return Err(check::error(&positions, shape).into());
        }
        // The shape is checked, so serde's own error is a backstop for what the lists above miss.
        let spec: SweepSpec =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let path = e.path().to_string();
                check::error(
                    &positions,
                    vec![(
                        path,
                        crate::scenario::suggest::serde_message(&e.inner().to_string()),
                    )],
                )
            })?;
        let problems = spec.problems();
        if !problems.is_empty() {
            return Err(check::error(&positions, problems).into());
        }
        Ok((spec, positions))
    }

    /// Points of the design, counted without building it; `None` if the count overflows.
    pub fn point_count(&self) -> Option<u64> {
        let k = self.parameters.len() as u64;
        let n = self.sweep.samples.unwrap_or(0) as u64;
        match self.sweep.design {
            DesignKind::Grid => self.parameters.iter().try_fold(1u64, |acc, p| {
                acc.checked_mul(p.values.as_ref().map_or(0, Vec::len) as u64)
            }),
            DesignKind::Random | DesignKind::Lhs => Some(n),
            DesignKind::Sobol => n.checked_mul(k + 2),
            DesignKind::Morris => n.checked_mul(k + 1),
            // Known once the points file is read (`file_points`, which bounds it).
            DesignKind::File => None,
        }
    }

    /// Runs of the sweep (points × replicates); `None` if the count overflows.
    pub fn run_count(&self) -> Option<u64> {
        self.point_count()?
            .checked_mul(u64::from(self.sweep.replicates))
    }

    /// Every problem, each as (key path, what is wrong).
    pub(crate) fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |path: &str, message: String| out.push((path.to_string(), message));
        let s = &self.sweep;
        if let Some(why) = crate::scenario::text::scenario_name_problem(&s.name) {
            push(
                "sweep.name",
                format!("{why} (it names the folder `sweep=NAME`)"),
            );
        }
        if s.samples.is_some_and(|n| n > MAX_SAMPLES) {
            push("sweep.samples", format!("at most {MAX_SAMPLES:e}"));
        }
        if s.chunk as u64 > MAX_RUNS {
            push("sweep.chunk", format!("at most {MAX_RUNS:e}"));
        }
        // The design's size, before anything builds it: every shard holds it in memory.
        match self.point_count() {
            _ if self.parameters.is_empty() || s.design == DesignKind::File => {}
            Some(points) if points <= MAX_POINTS => {
                let values = points.saturating_mul(self.parameters.len() as u64);
                if values > MAX_DESIGN_VALUES {
                    push(
                        "sweep",
                        format!(
                            "the design would hold {values} parameter values ({points} points × {} \
                             parameters), at most {MAX_DESIGN_VALUES:e}",
                            self.parameters.len()
                        ),
                    );
                }
                match self.run_count() {
                    Some(runs) if runs <= MAX_RUNS => {}
                    runs => push(
                        "sweep.replicates",
                        format!(
                            "the sweep would have {} runs ({points} points × {} replicates), at \
                             most {MAX_RUNS:e}",
                            runs.map_or("more than 2^64".into(), |r| r.to_string()),
                            s.replicates
                        ),
                    ),
                }
            }
            points => push(
                "sweep",
                format!(
                    "the {:?} design would have {} points, at most {MAX_POINTS:e}{}",
                    s.design,
                    points.map_or("more than 2^64".into(), |p| p.to_string()),
                    if s.design == DesignKind::Grid {
                        " (a grid has the product of its parameters' numbers of values)"
                    } else {
                        ""
                    }
                ),
            ),
        }
        if s.replicates == 0 {
            push("sweep.replicates", "must be at least 1".into());
        }
        if s.chunk == 0 {
            push("sweep.chunk", "must be at least 1".into());
        }
        if self.parameters.is_empty() && s.design != DesignKind::File {
            push(
                "parameter",
                "a sweep needs at least one [[parameter]]".into(),
            );
        }
        match (s.design, &s.file) {
            (DesignKind::File, None) => push(
                "sweep.file",
                "the file design needs `file`, a CSV or Parquet file of points".into(),
            ),
            (DesignKind::File, Some(_)) => {}
            (_, Some(_)) => push(
                "sweep.file",
                format!("only for design = \"file\", not {:?}", s.design),
            ),
            _ => {}
        }
        match s.design {
            DesignKind::Grid | DesignKind::File => {}
            _ if s.samples.unwrap_or(0) == 0 => push(
                "sweep.samples",
                format!("the {:?} design needs `samples` ≥ 1", s.design),
            ),
            _ => {}
        }
        if s.design == DesignKind::Sobol {
            if s.samples.unwrap_or(0) > 1 << 16 {
                push("sweep.samples", "at most 65536 for the Sobol design".into());
            }
            if self.parameters.len() > 128 {
                push(
                    "parameter",
                    "at most 128 parameters for the Sobol design".into(),
                );
            }
        }
        if s.design == DesignKind::Morris && (s.levels < 2 || !s.levels.is_multiple_of(2)) {
            push(
                "sweep.levels",
                "Morris needs an even number of levels ≥ 2".into(),
            );
        }
        let mut columns = std::collections::BTreeSet::new();
        for (i, p) in self.parameters.iter().enumerate() {
            let at = |k: &str| format!("parameter[{i}].{k}");
            if !p.key.contains('.') {
                push(&at("key"), format!("`{}` is not a dotted key path", p.key));
            }
            if !columns.insert(p.column()) {
                push(
                    &at("name"),
                    format!("column `{}` is used twice; give one a `name`", p.column()),
                );
            }
            parameter_problems(p, s.design, &at, &mut push);
        }
        out
    }

    /// SHA-256 of the spec's canonical JSON (key order fixed by the structs, so comments and layout of
    /// the file do not count).
    pub fn canonical_hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("a sweep spec always serialises");
        super::hex(&Sha256::digest(&json))
    }
}

impl SpecFile {
    /// The base scenario as `scenario::load` takes it: a path relative to the sweep file when such a
    /// file exists, else the name as written (a shipped scenario or a path from the working folder).
    pub fn base(&self) -> String {
        let name = &self.spec.sweep.scenario;
        if let Some(dir) = self.path.parent() {
            let candidate = dir.join(name);
            if Path::new(name).is_relative() && candidate.is_file() {
                return candidate.display().to_string();
            }
        }
        name.clone()
    }
}

/// Matches the spec's parameters to the design file's columns (every column when the spec names none,
/// and then writes them into the spec) and takes each point's values in parameter order.
/// The file is consumed row by row, so a design of millions of points is held once, not twice.
fn file_points(spec_name: &str, spec: &mut SweepSpec, file: PointsFile) -> Result<FilePoints> {
    let keys_from_header = spec.parameters.is_empty();
    if keys_from_header {
        for c in &file.columns {
            if !c.contains('.') {
                bail!(
                    "{}: column `{c}` is not a --set key path (e.g. parameters.beta); name the \
                     columns to run by [[parameter]] keys in {spec_name}",
                    file.path.display()
                );
            }
        }
        spec.parameters = file
            .columns
            .iter()
            .map(|c| ParameterSpec {
                key: c.clone(),
                name: None,
                values: None,
                distribution: None,
                min: None,
                max: None,
                mode: None,
                mean: None,
                sd: None,
                weights: None,
                integer: false,
            })
            .collect();
        let problems = spec.problems();
        if !problems.is_empty() {
            bail!(
                "invalid sweep file with the columns of {}: {}",
                file.path.display(),
                flat(&problems).join("; ")
            );
        }
    }
    if file.rows.len() as u64 > MAX_POINTS {
        bail!(
            "{}: {} points, at most {MAX_POINTS:e}",
            file.path.display(),
            file.rows.len()
        );
    }
    let columns = spec
        .parameters
        .iter()
        .map(|p| file.column_of(&p.key))
        .collect::<Result<Vec<usize>>>()?;
    // Every row's value of a model parameter within its documented range, named by file and line.
    let csv = file
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    for (p, &j) in spec.parameters.iter().zip(&columns) {
        let Some((lo, hi)) = parameter_range(&p.key) else {
            continue;
        };
        for (i, row) in file.rows.iter().enumerate() {
            let x = match row[j] {
                PointValue::Float(x) => x,
                PointValue::Int(n) => n as f64,
                _ => continue,
            };
            if !(lo..=hi).contains(&x) {
                let at = if csv {
                    format!("{}:{}", file.path.display(), i + 2)
                } else {
                    format!("{} row {}", file.path.display(), i + 1)
                };
                // An integer as itself: 2^63 − 1 read as a float prints rounded.
                let x = match row[j] {
                    PointValue::Int(n) => n.to_string(),
                    _ => x.to_string(),
                };
                bail!(
                    "{at}: `{}` = {x} is outside its range [{lo}, {hi}] (`fracture parameters` lists \
                     the ranges)",
                    p.key
                );
            }
        }
    }
    let numeric = columns.iter().map(|&j| file.numeric[j]).collect();
    // An `integer = true` parameter's floats are rounded: nothing is read as a float.
    let floats_from = columns
        .iter()
        .zip(&spec.parameters)
        .map(|(&j, p)| file.floats_from[j].filter(|_| !p.integer))
        .collect();
    let points = file
        .rows
        .into_iter()
        .map(|mut row| {
            columns
                .iter()
                .zip(&spec.parameters)
                .map(
                    |(&j, p)| match std::mem::replace(&mut row[j], PointValue::Int(0)) {
                        PointValue::Float(x) if p.integer => PointValue::Int(x.round() as i64),
                        v => v,
                    },
                )
                .collect()
        })
        .collect();
    Ok(FilePoints {
        file: file.path.display().to_string(),
        csv,
        keys_from_header,
        keys: spec.parameters.iter().map(|p| p.key.clone()).collect(),
        columns: columns.iter().map(|&j| j + 1).collect(),
        sha256: file.sha256,
        points: std::sync::Arc::new(points),
        numeric,
        floats_from,
    })
}

/// The documented range of a model parameter swept by its key (`parameters.beta`), if it is one.
fn parameter_range(key: &str) -> Option<(f64, f64)> {
    let name = key.strip_prefix("parameters.")?;
    crate::parameters::PARAMETER_DOCS
        .iter()
        .find(|d| d.name == name)
        .map(|d| (d.min, d.max))
}

/// A `[[parameter]]`'s own problems under `design`: the keys its distribution needs, and their values'
/// consistency; `at(key)` is the key's path.
fn parameter_problems(
    p: &ParameterSpec,
    design: DesignKind,
    at: &dyn Fn(&str) -> String,
    push: &mut dyn FnMut(&str, String),
) {
    let s_design = design;
    if s_design == DesignKind::File {
        let given = p.values.is_some()
            || p.distribution.is_some()
            || p.min.is_some()
            || p.max.is_some()
            || p.mode.is_some()
            || p.mean.is_some()
            || p.sd.is_some()
            || p.weights.is_some();
        if given {
            push(
                &at("key"),
                "the file design takes the values from the file: give only `key` (and \
                     `name`, `integer`)"
                    .into(),
            );
        }
        return;
    }
    let mut need = |k: &str, v: Option<f64>| {
        if v.is_none_or(|x| !x.is_finite()) {
            push(
                &at(k),
                format!("required by the {:?} distribution", p.kind()),
            );
        }
    };
    match p.kind() {
        DistributionKind::Choice => {}
        DistributionKind::Uniform | DistributionKind::LogUniform => {
            need("min", p.min);
            need("max", p.max);
        }
        DistributionKind::Normal => {
            need("mean", p.mean);
            need("sd", p.sd);
        }
        DistributionKind::Triangular => {
            need("min", p.min);
            need("mode", p.mode);
            need("max", p.max);
        }
    }
    match p.kind() {
        DistributionKind::Choice => match &p.values {
            None => {
                let bounds = p.min.is_some() || p.max.is_some();
                push(
                    &at("values"),
                    if bounds {
                        "give `values`, or a `distribution` for `min` and `max` (say \
                             distribution = \"uniform\")"
                            .into()
                    } else {
                        "give `values` or a `distribution`".into()
                    },
                )
            }
            Some(v) if v.is_empty() => push(&at("values"), "is empty".into()),
            Some(v) => {
                if let Some(w) = &p.weights
                    && (w.len() != v.len()
                        || w.iter().any(|x| x.is_nan() || *x < 0.0)
                        || w.iter().sum::<f64>() <= 0.0)
                {
                    push(
                        &at("weights"),
                        "one non-negative weight per value, not all zero".into(),
                    );
                }
            }
        },
        DistributionKind::Uniform | DistributionKind::LogUniform => {
            if let (Some(a), Some(b)) = (p.min, p.max)
                && a >= b
            {
                push(&at("max"), "must be greater than min".into());
            }
            if p.kind() == DistributionKind::LogUniform && p.min.is_some_and(|a| a <= 0.0) {
                push(&at("min"), "log-uniform needs min > 0".into());
            }
        }
        DistributionKind::Normal => {
            if p.sd.is_some_and(|s| s <= 0.0) {
                push(&at("sd"), "must be positive".into());
            }
        }
        DistributionKind::Triangular => {
            if let (Some(a), Some(c), Some(b)) = (p.min, p.mode, p.max)
                && !(a <= c && c <= b && a < b)
            {
                push(&at("mode"), "needs min ≤ mode ≤ max, min < max".into());
            }
        }
    }
    if p.distribution.is_some() && p.kind() != DistributionKind::Choice && p.values.is_some() {
        push(
            &at("values"),
            "give either `values` or a continuous `distribution`, not both".into(),
        );
    }
    if s_design == DesignKind::Grid && p.values.is_none() {
        push(&at("values"), "the grid design needs `values`".into());
    }
    if p.integer
        && matches!(p.kind(), DistributionKind::Uniform)
        && let (Some(a), Some(b)) = (p.min, p.max)
        && a.ceil() > b.floor()
    {
        push(
            &at("integer"),
            format!("no whole number lies between min = {a} and max = {b}"),
        );
    }
    if let Some((path, message)) = beyond_range(p) {
        push(&at(path), message);
    }
}

/// A swept model parameter whose values or distribution reach outside its documented range: every
/// point is checked, not only the first one the base scenario is probed with (a normal distribution
/// reaches ±3.09 sd, where the design clamps it).
fn beyond_range(p: &ParameterSpec) -> Option<(&'static str, String)> {
    let (lo, hi) = parameter_range(&p.key)?;
    let outside = |x: f64| !(lo..=hi).contains(&x);
    let says = |what: String| format!("{what} is outside `{}`'s range [{lo}, {hi}]", p.key);
    match p.kind() {
        DistributionKind::Choice => p.values.as_ref()?.iter().find_map(|v| {
            let x = v.as_float().or_else(|| v.as_integer().map(|i| i as f64))?;
            outside(x).then(|| ("values", says(format!("the value {x}"))))
        }),
        DistributionKind::Uniform | DistributionKind::LogUniform | DistributionKind::Triangular => {
            let (a, b) = (p.min?, p.max?);
            if outside(a) {
                Some(("min", says(format!("min = {a}"))))
            } else if outside(b) {
                Some(("max", says(format!("max = {b}"))))
            } else {
                None
            }
        }
        DistributionKind::Normal => {
            let (m, sd) = (p.mean?, p.sd?);
            let (a, b) = (m - 3.0902 * sd, m + 3.0902 * sd);
            (outside(a) || outside(b)).then(|| {
                (
                    "sd",
                    says(format!(
                        "mean ± 3.09 sd ({a:.4} to {b:.4}, where the design clamps the draws)"
                    )),
                )
            })
        }
    }
}

/// Problems as "`key.path`: what is wrong", for messages that have no file to point into.
pub(crate) fn flat(problems: &[(String, String)]) -> Vec<String> {
    problems
        .iter()
        .map(|(path, message)| format!("`{path}`: {message}"))
        .collect()
}

/// A sweep name, which names the folder `sweep=NAME`: a portable file name, as a scenario's is.
pub(crate) fn valid_name(name: &str) -> bool {
    crate::scenario::text::scenario_name_problem(name).is_none()
}

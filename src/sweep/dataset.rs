//! The sweep dataset on disk (the contract of `shared/DISTRIBUTED.md`):
//!
//! ```text
//! OUT/sweep=NAME/_plan.json                 spec, spec hash, shards N, run count, version, seed rule
//! OUT/sweep=NAME/shard=I/part-NNNNN.parquet one row per run, run_id % N == I, written whole and renamed
//! OUT/sweep=NAME/shard=I/_SUCCESS           rows, runs, spec hash: the shard is complete
//! ```
//!
//! Readers skip `_`-prefixed files, so pyarrow, DuckDB and polars read the parts as one hive-partitioned
//! table. Part k of a shard holds that shard's k-th chunk of run_ids, so a resumed shard rewrites exactly
//! the parts an uninterrupted one would have written, byte for byte.

use super::spec::SweepSpec;
use crate::month::YearMonth;
use anyhow::{Context, Result, bail};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const PLAN: &str = "_plan.json";
pub const SUCCESS: &str = "_SUCCESS";

/// What a sweep is, fixed once for all its shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub program: String,
    pub version: String,
    pub sweep: String,
    /// SHA-256 of the canonical spec and the resolved base scenario.
    pub spec_hash: String,
    pub shards: u32,
    pub runs: u64,
    pub points: u64,
    pub replicates: u32,
    pub seed_rule: String,
    /// The base scenario as resolved when planned.
    pub base: String,
    /// The base scenario's first month, where each run's kept time series starts.
    pub start: YearMonth,
    pub summary_columns: Vec<String>,
    pub spec: SweepSpec,
}

/// The `_SUCCESS` marker of a complete shard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Success {
    pub rows: u64,
    pub runs: u64,
    pub spec_hash: String,
    pub shard: u32,
    pub shards: u32,
    pub parts: usize,
    /// SHA-256 of each part file, in part order: a part changed, truncated or removed after the shard
    /// completed is found by `status`, `verify` and `run --resume`.
    #[serde(default)]
    pub part_sha256: Vec<String>,
}

/// A shard as found on disk against its plan.
#[derive(Clone, Debug, PartialEq)]
pub enum ShardState {
    /// `_SUCCESS` is there and every part it lists matches it.
    Complete,
    /// No `_SUCCESS`: not run, or interrupted.
    Incomplete,
    /// `_SUCCESS` is there but disagrees with the plan or the parts: why, and the parts that are
    /// damaged (to re-run), if the damage is in parts and not in the plan.
    Damaged { why: String, parts: Vec<usize> },
}

/// The shape of shard `shard` of `shards` of a sweep of `runs` runs in chunks of `chunk`: its runs and
/// its parts.
pub(crate) fn shard_shape(runs: u64, shard: u32, shards: u32, chunk: usize) -> (u64, usize) {
    let (i, n) = (u64::from(shard), u64::from(shards.max(1)));
    let ids = if i < runs { (runs - i).div_ceil(n) } else { 0 };
    (ids, (ids as usize).div_ceil(chunk.max(1)))
}

/// Checks shard `shard` in `dir` against the plan's spec hash, runs, shards and chunk size, and its
/// `_SUCCESS` marker against its parts (each part's SHA-256).
pub(crate) fn check_shard(
    dir: &Path,
    spec_hash: &str,
    runs: u64,
    shard: u32,
    shards: u32,
    chunk: usize,
) -> Result<ShardState> {
    let path = dir.join(SUCCESS);
    if !path.exists() {
        return Ok(ShardState::Incomplete);
    }
    let damaged = |why: String| {
        Ok(ShardState::Damaged {
            why,
            parts: Vec::new(),
        })
    };
    let Ok(text) = crate::fsutil::read_text(&path, crate::fsutil::MAX_INPUT_BYTES) else {
        return damaged("its _SUCCESS cannot be read".into());
    };
    let Ok(marker) = serde_json::from_str::<Success>(&text) else {
        return damaged("its _SUCCESS is not a marker fracture wrote".into());
    };
    if marker.shards != shards || marker.shard != shard {
        return damaged(format!(
            "its _SUCCESS was written as shard {} of {}, and the plan has {shards} shards (was the \
             plan edited? restore it, or plan into a new folder)",
            marker.shard, marker.shards
        ));
    }
    if marker.spec_hash != spec_hash {
        return damaged("its _SUCCESS was written for another spec".into());
    }
    let (ids, parts) = shard_shape(runs, shard, shards, chunk);
    if marker.rows != ids || marker.parts != parts {
        return damaged(format!(
            "its _SUCCESS counts {} runs in {} parts, the plan {ids} in {parts}",
            marker.rows, marker.parts
        ));
    }
    let present = complete_parts(dir)?;
    let mut bad: Vec<usize> = Vec::new();
    let mut why: Vec<String> = Vec::new();
    for k in 0..parts {
        if !present.contains(&k) {
            bad.push(k);
            why.push(format!("part {k} is missing"));
        } else if let Some(expected) = marker.part_sha256.get(k)
            && crate::fsutil::sha256_of(&part_path(dir, k))? != *expected
        {
            bad.push(k);
            why.push(format!("part {k} has changed since it was written"));
        }
    }
    for &k in present.iter().filter(|&&k| k >= parts) {
        bad.push(k);
        why.push(format!("part {k} is not one of the shard's {parts}"));
    }
    if bad.is_empty() {
        return Ok(ShardState::Complete);
    }
    Ok(ShardState::Damaged {
        why: why.join("; "),
        parts: bad,
    })
}

/// What running a shard did.
#[derive(Clone, Debug, PartialEq)]
pub enum ShardOutcome {
    /// `_SUCCESS` was already there: nothing to do.
    AlreadyComplete,
    /// Every run is written; `ran` of them in this invocation, `failed` of those recorded as errors.
    Completed { runs: u64, ran: u64, failed: u64 },
    /// Stopped on request after writing `parts` parts (tests of resuming).
    Stopped { parts: usize },
}

pub fn sweep_dir(root: &Path, name: &str) -> PathBuf {
    root.join(format!("sweep={name}"))
}

pub fn shard_dir(root: &Path, name: &str, shard: u32) -> PathBuf {
    sweep_dir(root, name).join(format!("shard={shard}"))
}

pub fn part_path(dir: &Path, k: usize) -> PathBuf {
    dir.join(format!("part-{k:05}.parquet"))
}

impl Plan {
    /// Reads `_plan.json` from a sweep folder, and checks it as a plan fracture could have written:
    /// a plan is data from disk, and what it says (the sweep's name, its size) decides where files go
    /// and what is allocated.
    pub fn read(sweep_dir: &Path) -> Result<Plan> {
        let path = sweep_dir.join(PLAN);
        let text = crate::fsutil::read_text(&path, crate::fsutil::MAX_INPUT_BYTES)
            .with_context(|| format!("cannot read the plan {}", path.display()))?;
        let plan: Plan = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a sweep plan", path.display()))?;
        let problems = plan.problems(sweep_dir);
        if !problems.is_empty() {
            bail!(
                "{} is not a plan fracture wrote (edited or damaged?): {}",
                path.display(),
                problems.join("; ")
            );
        }
        Ok(plan)
    }

    /// What is wrong with a plan read from `sweep_dir`.
    fn problems(&self, sweep_dir: &Path) -> Vec<String> {
        use super::spec::{MAX_RUNS, MAX_SHARDS, valid_name};
        let mut out = Vec::new();
        if !valid_name(&self.sweep) {
            out.push(format!(
                "`sweep` is `{}`, not a plain folder name",
                self.sweep.escape_debug()
            ));
        } else if let Some(folder) = sweep_dir.file_name().and_then(|f| f.to_str())
            && folder.starts_with("sweep=")
            && folder != format!("sweep={}", self.sweep)
        {
            out.push(format!(
                "`sweep` is `{}` in the folder {folder}",
                self.sweep
            ));
        }
        if self.spec.sweep.name != self.sweep {
            out.push("`sweep` and `spec.sweep.name` differ".into());
        }
        if self.spec_hash.len() != 64 || !self.spec_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push("`spec_hash` is not a SHA-256 (64 hex digits)".into());
        }
        if !(1..=MAX_SHARDS).contains(&self.shards) {
            out.push(format!(
                "`shards` is {}, not in [1, {MAX_SHARDS}]",
                self.shards
            ));
        }
        if self.runs > MAX_RUNS {
            out.push(format!("`runs` is {}, more than {MAX_RUNS}", self.runs));
        }
        out.extend(
            super::spec::flat(&self.spec.problems())
                .into_iter()
                .map(|p| format!("spec: {p}")),
        );
        // A file design's points are counted in its file, which the plan's hash covers.
        let from_file = self.spec.sweep.design == super::spec::DesignKind::File;
        let points = if from_file {
            Some(self.points).filter(|&n| n <= super::spec::MAX_POINTS)
        } else {
            self.spec.point_count()
        };
        if points != Some(self.points) {
            out.push(format!(
                "`points` is {}, not the spec's number of points",
                self.points
            ));
        }
        let runs = points.and_then(|n| n.checked_mul(u64::from(self.spec.sweep.replicates)));
        if runs != Some(self.runs) || self.replicates != self.spec.sweep.replicates {
            out.push(format!(
                "`runs` is {}, not the spec's points × replicates",
                self.runs
            ));
        }
        out
    }

    /// Writes the plan into `root/sweep=NAME/`, or checks an existing one agrees. Shards started at
    /// once may race here: the first plan written stays (it is never replaced), and the others are
    /// checked against it.
    pub fn write_or_check(&self, root: &Path) -> Result<()> {
        let dir = sweep_dir(root, &self.sweep);
        if !dir.join(PLAN).exists() {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let text = serde_json::to_string_pretty(self)? + "\n";
            if crate::fsutil::write_new(&dir.join(PLAN), text.as_bytes())? {
                return Ok(());
            }
        }
        let old = Plan::read(&dir)?;
        old.check(&self.spec_hash)?;
        if old.shards != self.shards {
            bail!(
                "{} is planned with {} shards, not {}: keep its shard count, or plan into another folder",
                dir.display(),
                old.shards,
                self.shards
            );
        }
        Ok(())
    }

    /// Refuses a spec that is not the one planned.
    pub fn check(&self, spec_hash: &str) -> Result<()> {
        if self.spec_hash != spec_hash {
            bail!(
                "the sweep `{}` was planned from another spec (plan hash {}, spec on disk {}): results would \
                 mix; plan the changed spec into a new folder",
                self.sweep,
                short(&self.spec_hash),
                short(spec_hash)
            );
        }
        Ok(())
    }
}

/// The first 12 characters of a hash, for messages (all of it if shorter).
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    crate::fsutil::write_atomic(path, text.as_bytes())
}

pub(crate) fn write_success(dir: &Path, marker: &Success) -> Result<()> {
    write_atomic(
        &dir.join(SUCCESS),
        &(serde_json::to_string_pretty(marker)? + "\n"),
    )
}

/// The chunk numbers of the parts already complete in a shard folder (a part exists only once renamed).
pub(crate) fn complete_parts(dir: &Path) -> Result<BTreeSet<usize>> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(k) = name
            .strip_prefix("part-")
            .and_then(|s| s.strip_suffix(".parquet"))
            .and_then(|s| s.parse().ok())
        {
            out.insert(k);
        }
    }
    Ok(out)
}

/// Removes temporary files an interrupted writer left behind.
pub(crate) fn remove_temporaries(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// The sweep folder under `dir`: `dir` itself when it holds a plan, else its only `sweep=*` child.
pub fn locate(dir: &Path) -> Result<PathBuf> {
    if dir.join(PLAN).exists() {
        return Ok(dir.to_path_buf());
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with("sweep=")
            && entry.path().join(PLAN).exists()
        {
            found.push(entry.path());
        }
    }
    match found.len() {
        1 => Ok(found.pop().expect("one")),
        0 => bail!(
            "{} holds no planned sweep (no sweep=NAME/{PLAN})",
            dir.display()
        ),
        _ => {
            found.sort();
            bail!(
                "{} holds several sweeps; name one: {}",
                dir.display(),
                found
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// Which shards are complete.
#[derive(Clone, Debug)]
pub struct ShardStatus {
    pub shards: u32,
    /// Shards to run: those without `_SUCCESS` and the damaged.
    pub missing: Vec<u32>,
    /// Shards whose `_SUCCESS` disagrees with the plan or the parts, and why.
    pub damaged: Vec<(u32, String)>,
}

impl ShardStatus {
    /// The missing shards as sbatch's `--array` wants them: `2,7,19`, runs of three or more as `4-9`.
    pub fn array_spec(&self) -> String {
        let mut parts = Vec::new();
        let mut i = 0;
        let m = &self.missing;
        while i < m.len() {
            let mut j = i;
            while j + 1 < m.len() && m[j + 1] == m[j] + 1 {
                j += 1;
            }
            if j >= i + 2 {
                parts.push(format!("{}-{}", m[i], m[j]));
            } else {
                parts.extend(m[i..=j].iter().map(u32::to_string));
            }
            i = j + 1;
        }
        parts.join(",")
    }
}

/// Which shards of the sweep in `dir` lack `_SUCCESS` or are damaged (their marker disagrees with the
/// plan, or a part with the marker).
pub fn status(dir: &Path) -> Result<ShardStatus> {
    let sweep = locate(dir)?;
    let plan = Plan::read(&sweep)?;
    let mut status = ShardStatus {
        shards: plan.shards,
        missing: Vec::new(),
        damaged: Vec::new(),
    };
    for i in 0..plan.shards {
        match plan.check_shard(&sweep, i)? {
            ShardState::Complete => {}
            ShardState::Incomplete => status.missing.push(i),
            ShardState::Damaged { why, parts } => {
                status.missing.push(i);
                let remedy = if parts.is_empty() {
                    ""
                } else {
                    "; `sweep run --resume` runs the damaged parts again"
                };
                status.damaged.push((i, format!("{why}{remedy}")));
            }
        }
    }
    status.damaged.extend(plan.stray_shards(&sweep)?);
    Ok(status)
}

impl Plan {
    /// Checks shard `i` of this plan in the sweep folder `sweep`.
    pub fn check_shard(&self, sweep: &Path, i: u32) -> Result<ShardState> {
        check_shard(
            &sweep.join(format!("shard={i}")),
            &self.spec_hash,
            self.runs,
            i,
            self.shards,
            self.spec.sweep.chunk,
        )
    }

    /// Shard folders the plan does not have (`shard=3` of a plan of two: the plan was edited).
    pub fn stray_shards(&self, sweep: &Path) -> Result<Vec<(u32, String)>> {
        stray_shards(sweep, self.shards)
    }
}

/// Shard folders in `sweep` beyond a plan of `shards` shards, each with why it is wrong.
pub(crate) fn stray_shards(sweep: &Path, shards: u32) -> Result<Vec<(u32, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(sweep)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(i) = name
            .strip_prefix("shard=")
            .and_then(|s| s.parse::<u32>().ok())
            && i >= shards
        {
            out.push((
                i,
                format!("the plan has {shards} shards, so no shard {i} (was the plan edited?)"),
            ));
        }
    }
    out.sort();
    Ok(out)
}

/// Every part file of a sweep folder, sorted by shard then part.
pub fn parts(sweep: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(sweep)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(i) = name
            .strip_prefix("shard=")
            .and_then(|s| s.parse::<u32>().ok())
        {
            for k in complete_parts(&entry.path())? {
                out.push((i, k, part_path(&entry.path(), k)));
            }
        }
    }
    out.sort();
    Ok(out.into_iter().map(|(_, _, p)| p).collect())
}

/// The whole dataset as one frame, sorted by run_id.
pub fn read_all(sweep: &Path) -> Result<DataFrame> {
    let mut frames = parts(sweep)?
        .iter()
        .map(|p| crate::output::read_parquet(p))
        .collect::<Result<Vec<_>>>()?;
    let Some(mut all) = frames.first().cloned() else {
        bail!("{} holds no part files", sweep.display());
    };
    for f in frames.drain(1..) {
        all.vstack_mut(&f)?;
    }
    Ok(all.sort(["run_id"], Default::default())?)
}

fn run_ids(path: &Path) -> Result<Vec<u64>> {
    let file = crate::fsutil::open_regular(path, u64::MAX)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let frame = ParquetReader::new(file)
        .with_columns(Some(vec!["run_id".into()]))
        .finish()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(frame.column("run_id")?.u64()?.into_no_null_iter().collect())
}

/// Most run ids [`Verification`] lists of each kind (the counts are complete).
pub const LISTED: usize = 1000;

/// What `verify` found: the first [`LISTED`] run ids of each kind, and how many there are.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    pub runs: u64,
    pub missing: Vec<u64>,
    pub missing_count: u64,
    pub duplicated: Vec<u64>,
    pub duplicated_count: u64,
    /// Run ids in a shard that does not own them (run_id % N ≠ I), or beyond the plan's runs.
    pub misplaced: Vec<u64>,
    pub misplaced_count: u64,
    pub incomplete_shards: Vec<u32>,
    /// Shards whose `_SUCCESS` disagrees with the plan or the parts, and why.
    pub damaged_shards: Vec<(u32, String)>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.missing_count == 0
            && self.duplicated_count == 0
            && self.misplaced_count == 0
            && self.damaged_shards.is_empty()
    }
}

/// One bit per run id: a plan's runs are bounded ([`super::spec::MAX_RUNS`]), so at most 125 MB.
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: u64) -> Bits {
        Bits(vec![0; n.div_ceil(64) as usize])
    }
    /// Sets bit `i`; returns whether it was set before.
    fn set(&mut self, i: u64) -> bool {
        let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        let was = self.0[word] & bit != 0;
        self.0[word] |= bit;
        was
    }
    fn get(&self, i: u64) -> bool {
        self.0[(i / 64) as usize] & (1 << (i % 64)) != 0
    }
}

fn note(list: &mut Vec<u64>, count: &mut u64, id: u64) {
    *count += 1;
    if list.len() < LISTED {
        list.push(id);
    }
}

/// Checks that every run_id of the plan is present exactly once, in the shard that owns it.
pub fn verify(dir: &Path) -> Result<Verification> {
    let sweep = locate(dir)?;
    let plan = Plan::read(&sweep)?;
    let mut seen = Bits::new(plan.runs);
    let mut twice = Bits::new(plan.runs);
    let mut v = Verification {
        runs: plan.runs,
        ..Default::default()
    };
    for i in 0..plan.shards {
        let shard = sweep.join(format!("shard={i}"));
        // A damaged part is not read (it may not be Parquet any more): its runs count as missing.
        let mut skip = Vec::new();
        match plan.check_shard(&sweep, i)? {
            ShardState::Complete => {}
            ShardState::Incomplete => v.incomplete_shards.push(i),
            ShardState::Damaged { why, parts } => {
                skip = parts;
                v.damaged_shards.push((i, why));
            }
        }
        if !shard.exists() {
            continue;
        }
        for k in complete_parts(&shard)?
            .into_iter()
            .filter(|k| !skip.contains(k))
        {
            for id in run_ids(&part_path(&shard, k))? {
                if id >= plan.runs || id % u64::from(plan.shards) != u64::from(i) {
                    note(&mut v.misplaced, &mut v.misplaced_count, id);
                }
                if id < plan.runs && seen.set(id) && !twice.set(id) {
                    note(&mut v.duplicated, &mut v.duplicated_count, id);
                }
            }
        }
    }
    for id in 0..plan.runs {
        if !seen.get(id) {
            note(&mut v.missing, &mut v.missing_count, id);
        }
    }
    v.damaged_shards.extend(plan.stray_shards(&sweep)?);
    v.duplicated.sort_unstable();
    Ok(v)
}

/// The dataset as tab-separated text, a header and one line per run in run_id order: for diffing two
/// sweeps with ordinary tools (the Slurm test compares a sharded sweep with a local one this way).
pub fn to_text(frame: &DataFrame) -> Result<String> {
    // A cell on one line (an error row's message may hold a newline or a tab), so a row stays a line.
    let one_line = crate::scenario::text::one_line;
    delimited(frame, "\t", one_line, |v| match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => one_line(s),
        AnyValue::Float64(x) => format!("{x:?}"),
        v => v.to_string(),
    })
}

/// A frame as lines of fields joined by `separator`: a header of the column names as `name` writes them,
/// then a line per row of its cells as `field` writes them.
pub fn delimited(
    frame: &DataFrame,
    separator: &str,
    name: impl Fn(&str) -> String,
    field: impl Fn(AnyValue) -> String,
) -> Result<String> {
    use std::fmt::Write;
    let cols = frame.columns();
    let mut out = cols
        .iter()
        .map(|c| name(c.name()))
        .collect::<Vec<_>>()
        .join(separator);
    out.push('\n');
    for i in 0..frame.height() {
        let mut line = Vec::with_capacity(cols.len());
        for c in cols {
            line.push(field(c.get(i)?));
        }
        writeln!(out, "{}", line.join(separator))?;
    }
    Ok(out)
}

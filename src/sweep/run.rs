//! Running a sweep's runs: a run is the base scenario with the point's values `--set`, simulated with the
//! run's own seed and boiled down to summary statistics (final, mean and max of each global metric, and
//! of each focus nation's compute per capita), optionally with the global time series.
//!
//! Runs are independent, so a shard's runs go through rayon in chunks of `sweep.chunk` run_ids: each
//! chunk's results are collected in run_id order and written as one part file, whatever the number of
//! threads. A run that fails (a value the scenario rejects, an error or a panic in the engine) becomes a
//! row with `status = "error"` and its message, and the others go on.

use super::check::Positions;
use super::dataset::{self, Plan};
use super::design::{Design, Value};
use super::run_seed;
use super::spec::{DesignKind, FilePoints, SpecFile, SweepSpec};
use crate::output::Manifest;
use crate::scenario::{self, KeyPath, Override};
use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::Path;

/// A sweep ready to run: the spec, its design, and the columns every run's row will have.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub spec: SweepSpec,
    /// The base scenario as `scenario::load` takes it.
    pub base: String,
    /// The base scenario's files, read once for all runs.
    files: std::sync::Arc<scenario::Base>,
    /// The spec's fixed overrides (`sweep.set`), read once.
    fixed: Vec<Override>,
    /// Each parameter's key path, read once (or the override that reports a key that is none).
    keys: Vec<Result<KeyPath, Override>>,
    pub design: Design,
    pub runs: u64,
    /// Global metric columns summarised.
    pub metrics: Vec<String>,
    /// Nations whose compute per capita is summarised.
    pub focus: Vec<String>,
    /// The base scenario's first month: where the kept time series start.
    pub start: crate::month::YearMonth,
    /// SHA-256 of the canonical spec and the resolved base scenario: what a plan is checked against.
    pub spec_hash: String,
}

/// What one run gave.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub run_id: u64,
    pub point: u64,
    pub replicate: u32,
    pub seed: u64,
    pub outcome: std::result::Result<RunSummary, String>,
}

#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Aligned with [`Prepared::summary_columns`].
    pub stats: Vec<f64>,
    /// One time series per metric, when the spec keeps them.
    pub series: Vec<Vec<f64>>,
}

/// How to run a shard.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads (default: `SLURM_CPUS_PER_TASK`, else the available parallelism).
    pub threads: Option<usize>,
    /// Finish an interrupted shard: keep its complete parts, run the rest.
    pub resume: bool,
    /// Stop after writing this many parts, as if killed (for tests of `--resume`).
    pub stop_after_parts: Option<usize>,
    /// Show progress on standard error: a bar on a terminal, else a plain line every few seconds.
    pub progress: bool,
}

impl Prepared {
    /// Prepares a sweep file: builds the design and probes the base scenario for its metric columns.
    /// Every key, metric and nation the base scenario does not have is reported at once, each at its
    /// line in the sweep file.
    pub fn new(file: &SpecFile) -> Result<Prepared> {
        Self::build(
            file.spec.clone(),
            file.base(),
            file.points.as_deref(),
            Some(&file.positions),
        )
    }

    /// Prepares a spec given as text (`base`: the base scenario as `scenario::load` takes it). A
    /// `design = "file"` spec needs its file: read it with [`SweepSpec::read`] and use [`Prepared::new`].
    pub fn from_spec(spec: SweepSpec, base: String) -> Result<Prepared> {
        Self::build(spec, base, None, None)
    }

    fn build(
        spec: SweepSpec,
        base: String,
        points: Option<&FilePoints>,
        positions: Option<&Positions>,
    ) -> Result<Prepared> {
        // The design is built in memory: its size is checked first, whoever made the spec.
        let problems = spec.problems();
        if !problems.is_empty() {
            bail!("invalid sweep: {}", super::spec::flat(&problems).join("; "));
        }
        let design = match points {
            Some(points) => Design::from_file(points),
            None if spec.sweep.design == DesignKind::File => bail!(
                "the sweep `{}` takes its points from a file: read it with SweepSpec::read",
                spec.sweep.name
            ),
            None => Design::new(&spec),
        };
        let runs = design.points.len() as u64 * spec.sweep.replicates as u64;
        if design.points.is_empty() {
            bail!("the sweep `{}` has no points", spec.sweep.name);
        }
        let cannot_load = || format!("cannot load the base scenario `{base}`");
        let files = scenario::Base::read(&base)
            .map_err(|e| anyhow!("{e}"))
            .with_context(cannot_load)?;
        // What the base scenario refuses, as (key path in the sweep file, message), all at once.
        let mut problems: Vec<(String, String)> = Vec::new();
        // Rows of a design file whose value is refused, by problem path.
        let mut value_rows: Vec<(String, usize)> = Vec::new();
        let fixed = Override::parse_all(&spec.sweep.set);
        let loaded = match files.load(&fixed) {
            Ok(loaded) => loaded,
            Err(all) => {
                for (j, set) in fixed.iter().enumerate() {
                    if let Err(e) = files.load(std::slice::from_ref(set)) {
                        problems.push((format!("sweep.set[{j}]"), refused(&base, &e)));
                    }
                }
                if problems.is_empty() {
                    problems.push(("sweep.set".into(), refused(&base, &all)));
                }
                return Err(located(positions, problems, points, &value_rows));
            }
        };
        let base_hash = Manifest::new(&loaded.scenario, 0, vec![]).scenario_hash;
        // A key the scenario does not have would fail every run: refuse now, on the first point.
        let keys: Vec<Result<KeyPath, Override>> = spec
            .parameters
            .iter()
            .map(|p| Override::parse_key(&p.key))
            .collect();
        let probe = probe_first_point((&files, &base), (&fixed, &keys), &design, &mut problems)?;
        probe_extremes(
            (&spec, &design),
            (&files, &base),
            (&fixed, &keys),
            &mut problems,
            &mut value_rows,
        );
        let (metrics, focus) =
            output_problems(&spec, &probe.scenario, &loaded.scenario, &mut problems)?;
        if !problems.is_empty() {
            return Err(located(positions, problems, points, &value_rows));
        }
        let mut h = Sha256::new();
        h.update(spec.canonical_hash().as_bytes());
        h.update(b"\n");
        h.update(base_hash.as_bytes());
        if let Some(points) = points {
            // The design file's bytes, so that a changed file is refused like a changed spec.
            h.update(b"\n");
            h.update(points.sha256.as_bytes());
        }
        let spec_hash = super::hex(&h.finalize());
        Ok(Prepared {
            spec,
            base,
            files: std::sync::Arc::new(files),
            fixed,
            keys,
            design,
            runs,
            metrics,
            focus,
            start: loaded.scenario.scenario.start,
            spec_hash,
        })
    }

    /// The sweep's plan in `shards` shards: what it is, fixed once for all of them. (Made here, not by
    /// the dataset, which reads and writes plans and knows nothing of running them.)
    pub fn plan(&self, shards: u32) -> Plan {
        Plan {
            program: crate::fsutil::PROGRAM.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            sweep: self.spec.sweep.name.clone(),
            spec_hash: self.spec_hash.clone(),
            shards,
            runs: self.runs,
            points: self.design.points.len() as u64,
            replicates: self.spec.sweep.replicates,
            seed_rule: super::SEED_RULE.into(),
            base: self.base.clone(),
            start: self.start,
            summary_columns: self.summary_columns(),
            spec: self.spec.clone(),
        }
    }

    /// The summary columns, in row order: `METRIC_final`, `METRIC_mean`, `METRIC_max` per metric, then
    /// for each of [`FOCUS_METRICS`], `COLUMN_NATION_{final,mean,max}` per focus nation.
    pub fn summary_columns(&self) -> Vec<String> {
        let mut cols = Vec::new();
        for m in &self.metrics {
            for s in ["final", "mean", "max"] {
                cols.push(format!("{m}_{s}"));
            }
        }
        for column in FOCUS_METRICS {
            for n in &self.focus {
                for s in ["final", "mean", "max"] {
                    cols.push(format!("{column}_{n}_{s}"));
                }
            }
        }
        cols
    }

    /// Runs one run; never panics and never fails: a failure is in the outcome.
    pub fn run(&self, run_id: u64) -> RunResult {
        let reps = self.spec.sweep.replicates as u64;
        let point = run_id / reps;
        let seed = run_seed(self.spec.sweep.seed, run_id);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.simulate_point(point as usize, seed)
        }))
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("panic: {msg}"))
        });
        RunResult {
            run_id,
            point,
            replicate: (run_id % reps) as u32,
            seed,
            outcome,
        }
    }

    fn simulate_point(&self, point: usize, seed: u64) -> std::result::Result<RunSummary, String> {
        let sets = point_overrides(&self.fixed, &self.keys, &self.design.points[point]);
        let loaded = self
            .files
            .load(&sets)
            .map_err(|e| e.to_string().trim().to_string())?;
        // Summaries need the global and nation tables only, read as recorded: no DataFrame is made
        // unless a value is not finite, to say which (as `fracture run` does).
        let recorded = crate::simulation::simulate_and_record(
            &loaded.scenario,
            seed,
            crate::Detail::Summary,
            |_| {},
            crate::simulation::Chunks::Here(&mut |_, _| Ok(())),
        )
        .map_err(|e| e.to_string())?;
        let tables = [
            &recorded.global,
            &recorded.nations,
            &recorded.providers,
            &recorded.fabs,
        ];
        if !tables.iter().all(|t| t.all_finite()) {
            let out = crate::Outputs::from_recorded(recorded, Default::default())
                .map_err(|e| e.to_string())?;
            crate::output::check_finite(&out).map_err(|e| e.to_string())?;
            return Err("a value is not finite".into());
        }
        summarise(
            &recorded,
            &self.metrics,
            &self.focus,
            self.spec.outputs.series,
        )
    }

    /// The rows of `results` (already in run_id order) as a DataFrame with the dataset's schema.
    pub fn frame(&self, results: &[RunResult]) -> Result<DataFrame> {
        let n = results.len();
        let mut cols: Vec<Column> = vec![
            Column::new(
                "run_id".into(),
                results.iter().map(|r| r.run_id).collect::<Vec<u64>>(),
            ),
            Column::new(
                "point".into(),
                results.iter().map(|r| r.point).collect::<Vec<u64>>(),
            ),
            Column::new(
                "replicate".into(),
                results.iter().map(|r| r.replicate).collect::<Vec<u32>>(),
            ),
            Column::new(
                "seed".into(),
                results.iter().map(|r| r.seed).collect::<Vec<u64>>(),
            ),
            Column::new(
                "status".into(),
                results
                    .iter()
                    .map(|r| if r.outcome.is_ok() { "ok" } else { "error" })
                    .collect::<Vec<&str>>(),
            ),
            Column::new(
                "error".into(),
                results
                    .iter()
                    .map(|r| r.outcome.as_ref().err().map(String::as_str))
                    .collect::<Vec<Option<&str>>>(),
            ),
        ];
        for (i, p) in self.spec.parameters.iter().enumerate() {
            let values = results
                .iter()
                .map(|r| &self.design.points[r.point as usize][i]);
            let col = if self.design.numeric[i] {
                Column::new(
                    p.column().into(),
                    values.map(Value::as_f64).collect::<Vec<_>>(),
                )
            } else {
                Column::new(
                    p.column().into(),
                    values.map(Value::to_toml).collect::<Vec<_>>(),
                )
            };
            cols.push(col);
        }
        for (j, name) in self.summary_columns().iter().enumerate() {
            let v: Vec<Option<f64>> = results
                .iter()
                .map(|r| r.outcome.as_ref().ok().map(|s| s.stats[j]))
                .collect();
            cols.push(Column::new(name.as_str().into(), v));
        }
        if self.spec.outputs.series {
            for (j, m) in self.metrics.iter().enumerate() {
                let series: Vec<Option<Series>> = results
                    .iter()
                    .map(|r| {
                        r.outcome
                            .as_ref()
                            .ok()
                            .map(|s| Series::new("".into(), &s.series[j]))
                    })
                    .collect();
                let mut list: ListChunked = series.into_iter().collect();
                list.rename(format!("series_{m}").into());
                cols.push(list.into_series().into());
            }
        }
        Ok(DataFrame::new(n, cols)?)
    }

    /// Every other shard's marker must agree with this plan's shard count, and no shard beyond it may
    /// exist: a plan edited after shards ran would otherwise run its runs again under other shard
    /// numbers.
    fn check_other_shards(&self, root: &Path, shard: u32, shards: u32) -> Result<()> {
        let sweep_dir = dataset::sweep_dir(root, &self.spec.sweep.name);
        for i in (0..shards).filter(|&i| i != shard) {
            let other = dataset::shard_dir(root, &self.spec.sweep.name, i);
            if let dataset::ShardState::Damaged { why, parts } = dataset::check_shard(
                &other,
                &self.spec_hash,
                self.runs,
                i,
                shards,
                self.spec.sweep.chunk,
            )? && parts.is_empty()
            {
                bail!(
                    "shard {i} of {}: {why}; nothing was run",
                    sweep_dir.display()
                );
            }
        }
        if sweep_dir.is_dir()
            && let Some((i, why)) = dataset::stray_shards(&sweep_dir, shards)?
                .into_iter()
                .next()
        {
            bail!("{}: shard {i}: {why}; nothing was run", sweep_dir.display());
        }
        Ok(())
    }

    /// Readies shard `shard`'s folder `dir`: `None` if the shard is complete; otherwise the parts
    /// already written (with `--resume`; a damaged shard's damaged parts and marker removed first).
    fn prepare_shard(
        &self,
        dir: &Path,
        shard: u32,
        shards: u32,
        options: &RunOptions,
    ) -> Result<Option<std::collections::BTreeSet<usize>>> {
        match dataset::check_shard(
            dir,
            &self.spec_hash,
            self.runs,
            shard,
            shards,
            self.spec.sweep.chunk,
        )? {
            dataset::ShardState::Complete => return Ok(None),
            dataset::ShardState::Incomplete => {}
            dataset::ShardState::Damaged { why, parts } => {
                if parts.is_empty() {
                    bail!("{}: {why}; nothing was run", dir.display());
                }
                if !options.resume {
                    bail!(
                        "{} is damaged: {why}; pass --resume to run its damaged parts again",
                        dir.display()
                    );
                }
                // The marker no longer vouches for the shard: it goes first, then the damaged parts,
                // which the loop below writes again.
                std::fs::remove_file(dir.join(dataset::SUCCESS))
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
                for k in parts {
                    let part = dataset::part_path(dir, k);
                    if part.exists() {
                        std::fs::remove_file(&part)
                            .with_context(|| format!("cannot remove {}", part.display()))?;
                    }
                }
            }
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let done = dataset::complete_parts(dir)?;
        if !done.is_empty() && !options.resume {
            bail!(
                "{} holds {} parts of an interrupted run: pass --resume to finish it",
                dir.display(),
                done.len()
            );
        }
        Ok(Some(done))
    }

    /// Runs shard `shard` of `shards` into `root` (the dataset folder holding `sweep=NAME`). A
    /// damaged shard (its `_SUCCESS` disagreeing with a part) is refused, or with `--resume` has its
    /// damaged parts run again; a shard whose marker disagrees with the plan is refused.
    pub fn run_shard(
        &self,
        root: &Path,
        shard: u32,
        shards: u32,
        options: &RunOptions,
    ) -> Result<dataset::ShardOutcome> {
        let dir = dataset::shard_dir(root, &self.spec.sweep.name, shard);
        self.check_other_shards(root, shard, shards)?;
        let Some(done) = self.prepare_shard(&dir, shard, shards, options)? else {
            return Ok(dataset::ShardOutcome::AlreadyComplete);
        };
        dataset::remove_temporaries(&dir)?;
        let ids: Vec<u64> = (shard as u64..self.runs).step_by(shards as usize).collect();
        let chunks: Vec<&[u64]> = ids.chunks(self.spec.sweep.chunk).collect();
        let todo: usize = chunks
            .iter()
            .enumerate()
            .filter(|(k, _)| !done.contains(k))
            .map(|(_, c)| c.len())
            .sum();
        let threads = options.threads.unwrap_or_else(default_threads).max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .context("cannot start the worker threads")?;
        let bar = crate::progress::Progress::new(
            format!("sweep {} shard {shard}/{shards}", self.spec.sweep.name),
            "runs",
            todo as u64,
            options.progress,
            None,
        );
        let mut written = 0;
        let mut failed = 0;
        // A part is written on its own thread while the workers run the next chunk, so that they do not
        // wait for Parquet encoding and fsync; at most one write is in flight.
        let stopped = std::thread::scope(|scope| -> Result<bool> {
            let mut writing: Option<std::thread::ScopedJoinHandle<Result<()>>> = None;
            let finish = |w: Option<std::thread::ScopedJoinHandle<Result<()>>>| -> Result<()> {
                w.map_or(Ok(()), |w| w.join().expect("a part writer panicked"))
            };
            for (k, chunk) in chunks.iter().enumerate() {
                if done.contains(&k) {
                    continue;
                }
                if options.stop_after_parts.is_some_and(|s| written >= s) {
                    finish(writing.take())?;
                    return Ok(true);
                }
                let results: Vec<RunResult> = pool.install(|| {
                    chunk
                        .par_iter()
                        .map(|&id| {
                            let r = self.run(id);
                            bar.inc();
                            r
                        })
                        .collect()
                });
                failed += results.iter().filter(|r| r.outcome.is_err()).count();
                finish(writing.take())?;
                let path = dataset::part_path(&dir, k);
                writing = Some(scope.spawn(move || {
                    let frame = self.frame(&results)?;
                    crate::output::write_parquet(&path, &frame)
                }));
                written += 1;
            }
            finish(writing.take())?;
            Ok(false)
        })?;
        if stopped {
            bar.finish();
            return Ok(dataset::ShardOutcome::Stopped { parts: written });
        }
        bar.finish();
        let part_sha256 = (0..chunks.len())
            .map(|k| crate::fsutil::sha256_of(&dataset::part_path(&dir, k)))
            .collect::<Result<Vec<String>>>()?;
        let marker = dataset::Success {
            rows: ids.len() as u64,
            runs: ids.len() as u64,
            spec_hash: self.spec_hash.clone(),
            shard,
            shards,
            parts: chunks.len(),
            part_sha256,
        };
        dataset::write_success(&dir, &marker)?;
        Ok(dataset::ShardOutcome::Completed {
            runs: ids.len() as u64,
            ran: todo as u64,
            failed: failed as u64,
        })
    }
}

/// The base scenario with the design's first point applied, for one month; when it is refused, each
/// parameter key that the base refuses is a problem, and the base alone is returned (the column names do
/// not depend on the point).
fn probe_first_point(
    (files, base): (&scenario::Base, &str),
    (fixed, keys): (&[Override], &[Result<KeyPath, Override>]),
    design: &Design,
    problems: &mut Vec<(String, String)>,
) -> Result<scenario::Loaded> {
    let one_month = || Override::new(KeyPath::parse("scenario.months").expect("a key path"), 1);
    let mut probe_sets = point_overrides(fixed, keys, &design.points[0]);
    probe_sets.push(one_month());
    Ok(match files.load(&probe_sets) {
        Ok(probe) => probe,
        Err(all) => {
            for (i, key) in keys.iter().enumerate() {
                let mut sets = point_overrides(fixed, &keys[i..=i], &design.points[0][i..=i]);
                sets.push(one_month());
                if let Err(e) = files.load(&sets) {
                    problems.push((format!("parameter[{i}].key"), refused(base, &e)));
                } else if key.is_err() {
                    problems.push((format!("parameter[{i}].key"), "not a key path".into()));
                }
            }
            if problems.is_empty() {
                problems.push((
                    "parameter".into(),
                    format!(
                        "the first point does not apply to `{base}`: {}",
                        refused(base, &all)
                    ),
                ));
            }
            // The column names below do not depend on the point: probe the base alone.
            let mut sets = fixed.to_vec();
            sets.push(one_month());
            files.load(&sets).map_err(|e| anyhow!("{e}"))?
        }
    })
}

/// The metrics and focus nations the sweep records (`[outputs]`, or every numeric global column and the
/// base's focus), with a problem for each that the base scenario does not have.
fn output_problems(
    spec: &SweepSpec,
    probe: &scenario::Scenario,
    base: &scenario::Scenario,
    problems: &mut Vec<(String, String)>,
) -> Result<(Vec<String>, Vec<String>)> {
    let out = crate::simulate_with(probe, 0, crate::Detail::Summary, |_| {})?;
    let numeric: Vec<String> = out
        .global
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Float64 | DataType::UInt32) && c.name() != "t")
        .map(|c| c.name().to_string())
        .collect();
    if let Some(ms) = &spec.outputs.metrics {
        for (j, m) in ms.iter().enumerate() {
            if !numeric.contains(m) {
                problems.push((
                    format!("outputs.metrics[{j}]"),
                    format!(
                        "`{m}` is not a numeric global column{} (the README lists the `global` \
                         columns)",
                        scenario::suggest::hint(m, numeric.iter().map(String::as_str))
                    ),
                ));
            }
        }
    }
    let metrics = spec.outputs.metrics.clone().unwrap_or(numeric);
    let focus = spec
        .outputs
        .focus
        .clone()
        .unwrap_or_else(|| base.scenario.focus.clone());
    let nations: Vec<&str> = base.nation.iter().map(|x| x.id.as_str()).collect();
    for (j, n) in focus.iter().enumerate() {
        if !nations.contains(&n.as_str()) {
            problems.push((
                format!("outputs.focus[{j}]"),
                format!(
                    "no nation `{n}` in the base scenario{}",
                    scenario::suggest::hint(n, nations.iter().copied())
                ),
            ));
        }
    }
    Ok((metrics, focus))
}

/// The overrides of one point: the spec's fixed ones, then each parameter's value as drawn.
/// What the base scenario said of an override it refused, in a line: the file to blame is the sweep
/// file (not `--set`), and a long list of what was expected gives way to its suggestion.
fn refused(base: &str, e: &scenario::ScenarioError) -> String {
    let said: Vec<String> = e
        .diagnostics
        .iter()
        .map(|d| {
            let message = match (
                d.message.find(", expected one of"),
                d.message.find("; did you mean"),
            ) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &d.message[..a], &d.message[b..]),
                _ => d.message.clone(),
            };
            if d.file == "--set" {
                message
            } else {
                format!("{d}")
            }
        })
        .collect();
    format!("`{base}` refuses it: {}", said.join("; "))
}

/// The smallest and the largest of `values` that are numbers (none for text), each with its place
/// among them (the first, if several are equal).
fn extremes<'a>(values: impl Iterator<Item = &'a Value>) -> [Option<(usize, &'a Value)>; 2] {
    let mut lo: Option<(usize, &Value)> = None;
    let mut hi: Option<(usize, &Value)> = None;
    for (i, v) in values.enumerate() {
        let Some(x) = v.as_f64() else { continue };
        if lo.and_then(|(_, l)| l.as_f64()).is_none_or(|l| x < l) {
            lo = Some((i, v));
        }
        if hi.and_then(|(_, h)| h.as_f64()).is_none_or(|h| x > h) {
            hi = Some((i, v));
        }
    }
    [lo, hi]
}

/// Every point's value of a parameter lies between its smallest and its largest: probing those two
/// (and the smallest and largest the spec lists or bounds) finds a value the base scenario refuses
/// anywhere in the design (`scenario.months = 1201` in one row of a file, a strength of 1.5 in a
/// grid), before a run of it fails. Adds each refusal to `problems` (and a design file's row to
/// `value_rows`); parameters already refused are skipped.
fn probe_extremes(
    (spec, design): (&SweepSpec, &Design),
    (files, base): (&scenario::Base, &str),
    (fixed, keys): (&[Override], &[Result<KeyPath, Override>]),
    problems: &mut Vec<(String, String)>,
    value_rows: &mut Vec<(String, usize)>,
) {
    for (i, key) in keys.iter().enumerate() {
        let at = format!("parameter[{i}].key");
        if key.is_err() || problems.iter().any(|(p, _)| *p == at) {
            continue;
        }
        // The values a spec lists or bounds may be drawn though these points missed them.
        let p = &spec.parameters[i];
        let listed: Vec<Value> = p
            .values
            .iter()
            .flatten()
            .map(|v| super::design::from_toml(v, p.integer))
            .chain(p.min.into_iter().chain(p.max).map(|x| {
                if p.integer {
                    Value::Int(x.round() as i64)
                } else {
                    Value::Float(x)
                }
            }))
            .collect();
        let [lo, hi] = extremes(design.points.iter().map(|point| &point[i]));
        let [listed_lo, listed_hi] = extremes(listed.iter());
        // A design point's row, for a design file's messages; a listed value has none.
        let candidates = [
            ("smallest", lo.map(|(row, v)| (Some(row), v))),
            ("largest", hi.map(|(row, v)| (Some(row), v))),
            ("smallest possible", listed_lo.map(|(_, v)| (None, v))),
            ("largest possible", listed_hi.map(|(_, v)| (None, v))),
        ];
        for (which, (row, value)) in candidates
            .into_iter()
            .filter_map(|(w, v)| v.map(|v| (w, v)))
        {
            let sets = point_overrides(fixed, &keys[i..=i], std::slice::from_ref(value));
            if let Err(e) = files.load(&sets) {
                let path = format!("parameter[{i}].values");
                if let Some(row) = row {
                    value_rows.push((path.clone(), row));
                }
                problems.push((
                    path,
                    format!(
                        "the design's {which} value, {}: {}",
                        value.to_toml(),
                        refused(base, &e)
                    ),
                ));
                break;
            }
        }
    }
}

/// Problems located in the sweep file — and a parameter's, when its points come from a design file,
/// in that file: the header's column when the sweep file names no parameters (the key is the
/// header's), else the sweep file's key with the row its value came from.
fn located(
    positions: Option<&Positions>,
    mut problems: Vec<(String, String)>,
    points: Option<&FilePoints>,
    value_rows: &[(String, usize)],
) -> anyhow::Error {
    let mut in_points = Vec::new();
    if let Some(points) = points {
        let first_row = if points.csv {
            format!("{}:2", points.file)
        } else {
            format!("{} row 1", points.file)
        };
        let value_at = if points.csv { "line 2" } else { "row 1" };
        for (path, message) in &mut problems {
            let Some((i, field)) = path
                .strip_prefix("parameter[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, field)| Some((i.parse::<usize>().ok()?, field)))
            else {
                continue;
            };
            let Some(&column) = points.columns.get(i) else {
                continue;
            };
            if field == "values" {
                // A value in the file's column: the file's, whoever names the key, at its row.
                let row = value_rows.iter().find(|(p, _)| p == path).map(|r| r.1);
                let (line, at) = match row {
                    Some(r) if points.csv => (Some(r + 2), String::new()),
                    Some(r) => (None, format!(", row {}", r + 1)),
                    None => (None, String::new()),
                };
                in_points.push(scenario::Diagnostic {
                    file: points.file.clone(),
                    line,
                    column: None,
                    key_path: points.keys.get(i).cloned().unwrap_or_default(),
                    message: format!("column {column}{at}: {message}"),
                });
                path.clear();
            } else if let Some(row) = points.floats_from.get(i).copied().flatten() {
                // The first value was whole, but a later one is not, so the column is read as
                // floats: that later value is the one to mend (or the key's, if it takes floats).
                let (line, at) = if points.csv {
                    (Some(row + 2), format!("line {}", row + 2))
                } else {
                    (None, format!("row {}", row + 1))
                };
                in_points.push(scenario::Diagnostic {
                    file: points.file.clone(),
                    line,
                    column: None,
                    key_path: points.keys.get(i).cloned().unwrap_or_default(),
                    message: format!(
                        "column {column} holds a number that is not whole ({at}), so all its values \
                         are read as floats: {message}"
                    ),
                });
                path.clear();
            } else if points.keys_from_header {
                in_points.push(scenario::Diagnostic {
                    file: points.file.clone(),
                    line: points.csv.then_some(1),
                    column: None,
                    key_path: points.keys.get(i).cloned().unwrap_or_default(),
                    message: format!(
                        "the header's column {column}, with its first value ({value_at}): {message}"
                    ),
                });
                path.clear();
            } else {
                *message = format!("{message} (the value tried is the first row's, {first_row})");
            }
        }
        problems.retain(|(path, _)| !path.is_empty());
    }
    match positions {
        Some(p) => {
            let mut e = super::check::error(p, problems);
            e.diagnostics.extend(in_points);
            e.into()
        }
        None => {
            let mut said = super::spec::flat(&problems);
            said.extend(in_points.iter().map(ToString::to_string));
            anyhow!("invalid sweep: {}", said.join("; "))
        }
    }
}

fn point_overrides(
    fixed: &[Override],
    keys: &[Result<KeyPath, Override>],
    values: &[Value],
) -> Vec<Override> {
    let point = keys.iter().zip(values).map(|(key, v)| match key {
        Ok(key) => Override::new(key.clone(), v.toml()),
        Err(malformed) => malformed.clone(),
    });
    fixed.iter().cloned().chain(point).collect()
}

/// Threads per shard: `SLURM_CPUS_PER_TASK` (under task/none every core is visible, so the allocation
/// must be asked), else the machine's available parallelism.
pub fn default_threads() -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn stats(xs: &[f64]) -> [f64; 3] {
    if xs.is_empty() {
        return [f64::NAN; 3];
    }
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    [xs[xs.len() - 1], mean, max]
}

/// The nations columns a sweep summarises for each focus nation: its compute per person, and what the
/// open cloud market is worth to its labs (the price index, which counts the options a policy closes).
pub const FOCUS_METRICS: [&str; 2] = ["compute_per_capita", "price_index"];

/// A run's summary statistics (and series) from its recorded tables.
pub fn summarise(
    recorded: &crate::simulation::Recorded,
    metrics: &[String],
    focus: &[String],
    series: bool,
) -> std::result::Result<RunSummary, String> {
    let mut values = Vec::new();
    let mut all_series = Vec::new();
    for m in metrics {
        let xs = recorded
            .global
            .numbers(m)
            .ok_or_else(|| format!("no numeric global column `{m}`"))?;
        values.extend(stats(&xs));
        if series {
            all_series.push(xs);
        }
    }
    for column in FOCUS_METRICS.iter().filter(|_| !focus.is_empty()) {
        let nations = &recorded.nations;
        let nation = nations
            .key_words("nation")
            .ok_or("the nations table has no nation column")?;
        let numbers = nations
            .numbers(column)
            .ok_or_else(|| format!("the nations table has no {column} column"))?;
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); focus.len()];
        // Rows are month-major, so each nation's values come out in month order.
        for (n, x) in nation.zip(numbers) {
            if let Some(i) = focus.iter().position(|f| f == n) {
                per[i].push(x);
            }
        }
        for xs in per {
            values.extend(stats(&xs));
        }
    }
    Ok(RunSummary {
        stats: values,
        series: all_series,
    })
}

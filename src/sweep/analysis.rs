//! Analysis of a finished sweep: sensitivity indices with their tornado chart, and fan charts of the
//! kept time series.
//!
//! - Sobol (variance-based) indices from a Saltelli design, per outcome and parameter: first-order S1
//!   with Saltelli et al. (2010)'s estimator `mean(f(B)·(f(AB_i) − f(A))) / V`, total ST with Jansen's
//!   `mean((f(A) − f(AB_i))²) / 2V`, V the variance of f over A and B together, f standardised with the
//!   mean and standard deviation of all outputs first — exactly SALib's `sobol.analyze` without second
//!   order; 95 % percentile bootstrap intervals over the base rows (SALib reports a normal-theory
//!   half-width instead).
//! - Morris elementary effects `(f(x + Δe_i) − f(x)) / Δ` (Δ in unit coordinates) per trajectory step,
//!   summarised as μ, μ* (mean of |EE|, Campolongo et al. 2007) and σ.
//! - Fans: month by month, the 5, 25, 50, 75 and 95 % quantiles (linear interpolation) of a metric over
//!   the successful runs, or over one point's replicates.
//!
//! A point's outcome is the mean over its replicates that ran; base rows or steps that touch a point
//! with no successful run are left out. The estimators are pure functions, tested on the Ishigami
//! function in `tests/sweep.rs`.

use super::dataset::{self, Plan};
use super::design::{Design, Layout};
use crate::charts::{
    self,
    fan::Fan,
    tornado::{Tornado, TornadoBar, TornadoPanel},
};
use anyhow::{Context, Result, bail};
use polars::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// First-order and total Sobol indices of one parameter, with 95 % bootstrap intervals.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndex {
    pub s1: f64,
    pub s1_low: f64,
    pub s1_high: f64,
    pub st: f64,
    pub st_low: f64,
    pub st_high: f64,
    /// The 95 % bootstrap interval of S1 − ST, from the same resamples (S1 ≤ ST for exact indices, so
    /// an interval above zero means the estimates cannot be trusted yet).
    pub excess_low: f64,
    pub excess_high: f64,
}

impl SobolIndex {
    /// S1 exceeds ST beyond sampling noise: the bootstrap interval of S1 − ST lies above zero.
    pub fn s1_above_st(&self) -> bool {
        self.excess_low > 0.0
    }

    /// Sampling noise makes the index unreliable: S1 or ST outside [0, 1] (beyond 0.01 of rounding),
    /// where exact indices never are, or a bootstrap interval wider than 0.5.
    pub fn unreliable(&self) -> bool {
        let outside = |x: f64| !(-0.01..=1.01).contains(&x);
        outside(self.s1)
            || outside(self.st)
            || self.s1_high - self.s1_low > 0.5
            || self.st_high - self.st_low > 0.5
    }
}

/// Morris statistics of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub sigma: f64,
    pub effects: usize,
}

/// First-order and total estimates over the base rows `rows`, on outcomes already standardised.
fn point_estimates(ya: &[f64], yb: &[f64], yab: &[f64], rows: &[usize]) -> (f64, f64) {
    let n = rows.len() as f64;
    let all: Vec<f64> = rows.iter().flat_map(|&j| [ya[j], yb[j]]).collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let var = all.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / all.len() as f64;
    let first = rows.iter().map(|&j| yb[j] * (yab[j] - ya[j])).sum::<f64>() / n;
    let total = rows.iter().map(|&j| (ya[j] - yab[j]).powi(2)).sum::<f64>() / (2.0 * n);
    (first / var, total / var)
}

/// The outcomes standardised with the mean and (population) standard deviation of every model output
/// (A, B and every AB_i), as SALib's `sobol.analyze` does before its estimators.
///
/// The first-order estimator `mean(f(B)·(f(AB_i) − f(A)))` is only unbiased for a centred f: with an
/// uncentred one it picks up `mean(f)·mean(f(AB_i) − f(A))`, sampling noise multiplied by the mean, which
/// swamps the index whenever the mean is large against the spread. Scaling changes no index (they are
/// ratios) but keeps the sums well conditioned.
fn standardised(ya: &[f64], yb: &[f64], yab: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let every = || ya.iter().chain(yb).chain(yab.iter().flatten());
    let count = (ya.len() + yb.len() + yab.iter().map(Vec::len).sum::<usize>()) as f64;
    let mean = every().sum::<f64>() / count;
    let sd = (every().map(|y| (y - mean).powi(2)).sum::<f64>() / count).sqrt();
    // A constant outcome has no variance to share out: its indices come out NaN either way.
    let scale = if sd > 0.0 && sd.is_finite() { sd } else { 1.0 };
    let z = |ys: &[f64]| -> Vec<f64> { ys.iter().map(|y| (y - mean) / scale).collect() };
    (z(ya), z(yb), yab.iter().map(|y| z(y)).collect())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Sobol indices from outcomes at A, B and each AB_i (`yab[i][j]`), with `resamples` bootstrap
/// resamples of the base rows drawn from `seed`. The outcomes are first standardised over all of them
/// (see [`standardised`]), and the bootstrap resamples rows of the standardised outcomes, as SALib does;
/// the indices do not change when an outcome is shifted or scaled.
pub fn sobol_indices(
    ya: &[f64],
    yb: &[f64],
    yab: &[Vec<f64>],
    resamples: usize,
    seed: u64,
) -> Vec<SobolIndex> {
    let (ya, yb, yab) = standardised(ya, yb, yab);
    let (ya, yb) = (ya.as_slice(), yb.as_slice());
    let n = ya.len();
    let all: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The same resampled rows for every parameter, as one would resample whole runs.
    let boots: Vec<Vec<usize>> = (0..resamples)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    yab.iter()
        .map(|y| {
            let (s1, st) = point_estimates(ya, yb, y, &all);
            let (mut b1, mut bt): (Vec<f64>, Vec<f64>) = boots
                .iter()
                .map(|rows| point_estimates(ya, yb, y, rows))
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .unzip();
            let mut excess: Vec<f64> = b1.iter().zip(&bt).map(|(a, b)| a - b).collect();
            b1.sort_by(f64::total_cmp);
            bt.sort_by(f64::total_cmp);
            excess.sort_by(f64::total_cmp);
            SobolIndex {
                s1,
                s1_low: percentile(&b1, 0.025),
                s1_high: percentile(&b1, 0.975),
                st,
                st_low: percentile(&bt, 0.025),
                st_high: percentile(&bt, 0.975),
                excess_low: percentile(&excess, 0.025),
                excess_high: percentile(&excess, 0.975),
            }
        })
        .collect()
}

/// Morris μ, μ* and σ from each parameter's elementary effects.
pub fn morris_indices(effects: &[Vec<f64>]) -> Vec<MorrisIndex> {
    effects
        .iter()
        .map(|ee| {
            let r = ee.len() as f64;
            let mu = ee.iter().sum::<f64>() / r;
            let mu_star = ee.iter().map(|e| e.abs()).sum::<f64>() / r;
            let sigma = if ee.len() > 1 {
                (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (r - 1.0)).sqrt()
            } else {
                f64::NAN
            };
            MorrisIndex {
                mu,
                mu_star,
                sigma,
                effects: ee.len(),
            }
        })
        .collect()
}

/// The outcome column's mean over each point's successful runs (NaN where none succeeded).
fn point_means(frame: &DataFrame, outcome: &str, points: usize) -> Result<Vec<f64>> {
    let point = frame.column("point")?.u64()?;
    let status = frame.column("status")?.str()?;
    let y = frame
        .column(outcome)
        .map_err(|_| anyhow::anyhow!("no outcome column `{outcome}` in the sweep"))?
        .cast(&DataType::Float64)?;
    let y = y.f64()?;
    let mut sum = vec![0.0; points];
    let mut count = vec![0u32; points];
    for ((p, s), v) in point.iter().zip(status.iter()).zip(y.iter()) {
        if let (Some(p), Some("ok"), Some(v)) = (p, s, v)
            && v.is_finite()
        {
            sum[p as usize] += v;
            count[p as usize] += 1;
        }
    }
    Ok(sum
        .iter()
        .zip(&count)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect())
}

/// The outcomes analysed when none are named.
pub const DEFAULT_OUTCOMES: [&str; 4] = [
    "bifurcation_index_final",
    "compute_share_china_final",
    "capability_gap_oom_final",
    "unmet_share_final",
];

/// The global metrics drawn as fan charts when none are named (those the sweep kept as series).
pub const DEFAULT_FANS: [&str; 8] = [
    "bifurcation_index",
    "cross_bloc_share",
    "capability_gap_oom",
    "capability_lag_months",
    "compute_gini",
    "unmet_share",
    "stranded_labs",
    "smuggled_h100e",
];

/// What `sweep analyze` computes and draws.
#[derive(Clone, Debug)]
pub struct AnalyzeOptions {
    /// Summary columns analysed for sensitivity (default: [`DEFAULT_OUTCOMES`] the sweep has).
    pub outcomes: Vec<String>,
    /// Bootstrap resamples for the Sobol intervals.
    pub resamples: usize,
    /// Global metrics drawn as fan charts (default: [`DEFAULT_FANS`] the sweep kept as series).
    pub fans: Vec<String>,
    /// Fan bands over this design point's replicates only (default: every successful run).
    pub point: Option<u64>,
}

impl Default for AnalyzeOptions {
    /// The default outcomes and fans, 1000 bootstrap resamples, bands over every run.
    fn default() -> Self {
        AnalyzeOptions {
            outcomes: Vec::new(),
            resamples: 1000,
            fans: Vec::new(),
            point: None,
        }
    }
}

/// What an analysis wrote, and what it could not do and why.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub written: Vec<PathBuf>,
    pub notes: Vec<String>,
    /// The sensitivity indices as a plain-text table, one block per outcome (empty when the design has
    /// no sensitivity estimator).
    pub table: String,
    /// What makes the indices doubtful: a Sobol base size that is not a power of two, S1 above ST
    /// beyond the bootstrap interval.
    pub warnings: Vec<String>,
}

/// One row of a sensitivity table: an outcome, a parameter and its indices.
struct Row<I> {
    outcome: String,
    parameter: usize,
    index: I,
    used: usize,
}

/// Analyses the sweep in `dir` and writes into `OUT/_analysis-NAME/` (beside the dataset, `_`-prefixed so
/// dataset readers skip it): `sobol.parquet` or `morris.parquet` and `tornado.png/svg` for sensitivity
/// designs; `fan.parquet` and `fan_METRIC.png/svg` when the sweep kept time series.
pub fn analyze(dir: &Path, options: &AnalyzeOptions) -> Result<Analysis> {
    let sweep = dataset::locate(dir)?;
    let plan = Plan::read(&sweep)?;
    let design = Design::new(&plan.spec);
    let frame = dataset::read_all(&sweep)?;
    let kept = kept_series(&frame);
    let has_series = !kept.is_empty();
    // Every option is checked before anything is written, so a typo leaves no partial analysis.
    for o in &options.outcomes {
        if frame.column(o).is_err() {
            bail!(
                "--outcome `{o}`: no such summary column in the sweep (e.g. bifurcation_index_final)"
            );
        }
    }
    for m in &options.fans {
        if !kept.contains(m) {
            bail!(
                "--fan {m}: the sweep kept no series of `{m}` (kept: {})",
                if kept.is_empty() {
                    "none".into()
                } else {
                    kept.join(", ")
                }
            );
        }
    }
    if let Some(p) = options.point
        && p >= plan.points
    {
        bail!("--point {p}: the sweep has points 0 to {}", plan.points - 1);
    }
    if matches!(design.layout, Layout::Plain) && !has_series {
        bail!(
            "nothing to analyse: the `{}` design has no sensitivity estimator (use `design = \"sobol\"` \
             or \"morris\") and the sweep kept no time series for fan charts (set `outputs.series = \
             true`); read the dataset directly",
            serde_json::to_string(&plan.spec.sweep.design)?.trim_matches('"')
        );
    }
    let root = sweep.parent().unwrap_or(Path::new("."));
    let out_dir = root.join(format!("_analysis-{}", plan.sweep));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut analysis = Analysis::default();
    if !matches!(design.layout, Layout::Plain) {
        sensitivity(&plan, &design, &frame, options, &out_dir, &mut analysis)?;
    }
    if has_series {
        fan_charts(&plan, &frame, &kept, options, &out_dir, &mut analysis)?;
    } else {
        analysis.notes.push(
            "no fan charts: the sweep kept no time series (set `outputs.series = true` in its \
             [outputs])"
                .into(),
        );
    }
    Ok(analysis)
}

/// A parameter as readers know it: its dataset column (its key path unless the spec names it).
fn parameter_label(plan: &Plan, i: usize) -> String {
    plan.spec.parameters[i].column()
}

/// What the sensitivity analysis of one sweep reads: its plan, its runs' table, the outcomes analysed,
/// the number of points and the parameters' column names.
struct Sensitivity<'a> {
    plan: &'a Plan,
    frame: &'a DataFrame,
    outcomes: &'a [String],
    points: usize,
    columns: Vec<String>,
}

impl Sensitivity<'_> {
    fn subtitle(&self, what: &str) -> String {
        format!(
            "Sweep \u{201c}{}\u{201d} \u{00b7} {} \u{00b7} {} runs",
            self.plan.sweep, what, self.plan.runs
        )
    }
}

fn sensitivity(
    plan: &Plan,
    design: &Design,
    frame: &DataFrame,
    options: &AnalyzeOptions,
    out_dir: &Path,
    analysis: &mut Analysis,
) -> Result<()> {
    // The plan counts the points: a file design's are not in the spec.
    let points = plan.points as usize;
    let outcomes = varying_outcomes(plan, frame, options, points, analysis)?;
    if outcomes.is_empty() {
        analysis.table = "no outcome varies over this sweep: nothing to analyse\n".into();
        return Ok(());
    }
    let s = Sensitivity {
        plan,
        frame,
        outcomes: &outcomes,
        points,
        columns: plan.spec.parameters.iter().map(|p| p.column()).collect(),
    };
    let (df, tornado, file) = match &design.layout {
        Layout::Saltelli { n, k } => {
            let (df, tornado) = sobol(&s, *n, *k, options.resamples, analysis)?;
            (df, tornado, "sobol.parquet")
        }
        Layout::Morris { k, steps } => {
            let (df, tornado) = morris(&s, *k, steps, analysis)?;
            (df, tornado, "morris.parquet")
        }
        Layout::Plain => unreachable!("only sensitivity designs come here"),
    };
    let path = out_dir.join(file);
    crate::output::write_parquet(&path, &df)?;
    analysis.written.push(path);
    analysis
        .written
        .extend(charts::write_figure(out_dir, "tornado", &tornado)?);
    Ok(())
}

/// The outcomes to analyse (the asked-for ones, or the default ones the runs recorded) that vary over
/// the sweep, with a note for each that does not or whose variance is largely seed noise.
fn varying_outcomes(
    plan: &Plan,
    frame: &DataFrame,
    options: &AnalyzeOptions,
    points: usize,
    analysis: &mut Analysis,
) -> Result<Vec<String>> {
    let outcomes: Vec<String> = if options.outcomes.is_empty() {
        DEFAULT_OUTCOMES
            .iter()
            .filter(|c| frame.column(c).is_ok())
            .map(|c| c.to_string())
            .collect()
    } else {
        options.outcomes.clone()
    };
    // An outcome that does not vary over the sweep has no variance to share out: its indices would
    // be rounding noise divided by rounding noise. It gets a note instead.
    let mut outcomes_kept = Vec::new();
    for outcome in outcomes {
        let y = point_means(frame, &outcome, points)?;
        match noise_note(&y) {
            Some(note) => analysis.notes.push(format!("{outcome}: {note}")),
            None => {
                if let Some(note) = spread_note(&y) {
                    analysis.notes.push(format!("{outcome}: {note}"));
                }
                let share = seed_noise_share(frame, &outcome, points)?;
                if let Some(share) = share.filter(|&s| s >= 0.1) {
                    analysis.notes.push(format!(
                        "{outcome}: {:.0} % of its run-to-run variance is seed noise (the replicates \
                         of one point differ by that much): it adds to every parameter's ST, so the STs \
                         sum above 1 while the S1s stay small; the indices use each point's mean over \
                         its {} replicates, and more replicates average the noise down",
                        share * 100.0,
                        plan.replicates
                    ));
                }
                outcomes_kept.push(outcome)
            }
        }
    }
    Ok(outcomes_kept)
}

/// Sobol indices of a Saltelli design (`n` base rows, `k` parameters): their table, notes and
/// warnings, their rows as a DataFrame and their tornado chart.
fn sobol(
    s: &Sensitivity,
    n: usize,
    k: usize,
    resamples: usize,
    analysis: &mut Analysis,
) -> Result<(DataFrame, Tornado)> {
    let mut rows = Vec::new();
    for outcome in s.outcomes {
        let y = point_means(s.frame, outcome, s.points)?;
        let base: Vec<usize> = (0..n)
            .filter(|j| (0..k + 2).all(|b| y[j * (k + 2) + b].is_finite()))
            .collect();
        let ya: Vec<f64> = base.iter().map(|j| y[j * (k + 2)]).collect();
        let yb: Vec<f64> = base.iter().map(|j| y[j * (k + 2) + 1]).collect();
        let yab: Vec<Vec<f64>> = (0..k)
            .map(|i| base.iter().map(|j| y[j * (k + 2) + 2 + i]).collect())
            .collect();
        let seed = super::stream_seed(s.plan.spec.sweep.seed, 2);
        for (i, index) in sobol_indices(&ya, &yb, &yab, resamples, seed)
            .into_iter()
            .enumerate()
        {
            rows.push(Row {
                outcome: outcome.clone(),
                parameter: i,
                index,
                used: base.len(),
            });
        }
    }
    sobol_doubts(s, n, &rows, analysis);
    analysis.table = sobol_table(s.plan, s.outcomes, &rows, resamples);
    let get = |f: fn(&SobolIndex) -> f64| rows.iter().map(|r| f(&r.index)).collect::<Vec<f64>>();
    let df = DataFrame::new(
        rows.len(),
        vec![
            Column::new("outcome".into(), outcome_column(&rows)),
            Column::new("parameter".into(), parameter_column(&rows, &s.columns)),
            Column::new("s1".into(), get(|s| s.s1)),
            Column::new("s1_low".into(), get(|s| s.s1_low)),
            Column::new("s1_high".into(), get(|s| s.s1_high)),
            Column::new("st".into(), get(|s| s.st)),
            Column::new("st_low".into(), get(|s| s.st_low)),
            Column::new("st_high".into(), get(|s| s.st_high)),
            Column::new(
                "base_rows".into(),
                rows.iter().map(|r| r.used as u64).collect::<Vec<u64>>(),
            ),
        ],
    )?;
    let tornado = Tornado {
        title: "Which inputs drive the results? (Sobol indices)".into(),
        subtitle: s.subtitle("total effect with 95 % bootstrap interval"),
        bar_label: "Total effect ST (share of variance, with interactions)".into(),
        dot_label: "First-order effect S1 (alone)".into(),
        panels: panels(s.outcomes, &rows, s.plan, |s| {
            (s.st, Some((s.st_low, s.st_high)), s.s1)
        }),
    };
    Ok((df, tornado))
}

/// The warnings and notes that say when Sobol indices should not be trusted: a base size that is not
/// a power of two, indices outside [0, 1] or with wide intervals, S1 above ST.
fn sobol_doubts(s: &Sensitivity, n: usize, rows: &[Row<SobolIndex>], analysis: &mut Analysis) {
    if !n.is_power_of_two() {
        analysis.warnings.push(format!(
            "the Sobol base size N = {n} (`sweep.samples`) is not a power of two: the Sobol \
             sequence is balanced only for N = 2^m, so the indices converge more slowly; use \
             N = {} or {} next time",
            n.next_power_of_two() / 2,
            n.next_power_of_two()
        ));
    }
    for outcome in s.outcomes {
        let odd: Vec<String> = rows
            .iter()
            .filter(|r| &r.outcome == outcome && r.index.unreliable())
            .map(|r| parameter_label(s.plan, r.parameter))
            .collect();
        if !odd.is_empty() {
            analysis.notes.push(format!(
                "{outcome}: the indices of {} fall outside [0, 1] or have intervals wider \
                 than 0.5: N = {n} base rows are too few for this outcome; raise \
                 `samples` (4 × N or more) or `replicates`, and read these indices as a \
                 ranking at most",
                odd.join(", ")
            ));
        }
    }
    for r in rows.iter().filter(|r| r.index.s1_above_st()) {
        let i = &r.index;
        analysis.warnings.push(format!(
            "{} on {}: S1 = {} exceeds ST = {} beyond the bootstrap interval (S1 − ST in \
             [{}, {}]), which exact indices never do: too few base rows for this outcome, or \
             seed noise that swamps the parameters' effect; raise `samples` or `replicates`",
            parameter_label(s.plan, r.parameter),
            r.outcome,
            num(i.s1),
            num(i.st),
            num(i.excess_low),
            num(i.excess_high)
        ));
    }
}

/// Morris indices of `k` parameters from the design's trajectories (`steps`): their table, their rows
/// as a DataFrame and their tornado chart.
fn morris(
    s: &Sensitivity,
    k: usize,
    steps: &[Vec<(usize, f64)>],
    analysis: &mut Analysis,
) -> Result<(DataFrame, Tornado)> {
    let mut rows = Vec::new();
    for outcome in s.outcomes {
        let y = point_means(s.frame, outcome, s.points)?;
        let mut effects = vec![Vec::new(); k];
        for (t, trajectory) in steps.iter().enumerate() {
            for (step, &(i, delta)) in trajectory.iter().enumerate() {
                let (a, b) = (y[t * (k + 1) + step], y[t * (k + 1) + step + 1]);
                if a.is_finite() && b.is_finite() {
                    effects[i].push((b - a) / delta);
                }
            }
        }
        for (i, index) in morris_indices(&effects).into_iter().enumerate() {
            rows.push(Row {
                outcome: outcome.clone(),
                parameter: i,
                used: index.effects,
                index,
            });
        }
    }
    analysis.table = morris_table(s.plan, s.outcomes, &rows, steps.len());
    let get = |f: fn(&MorrisIndex) -> f64| rows.iter().map(|r| f(&r.index)).collect::<Vec<f64>>();
    let df = DataFrame::new(
        rows.len(),
        vec![
            Column::new("outcome".into(), outcome_column(&rows)),
            Column::new("parameter".into(), parameter_column(&rows, &s.columns)),
            Column::new("mu".into(), get(|m| m.mu)),
            Column::new("mu_star".into(), get(|m| m.mu_star)),
            Column::new("sigma".into(), get(|m| m.sigma)),
            Column::new(
                "effects".into(),
                rows.iter().map(|r| r.used as u64).collect::<Vec<u64>>(),
            ),
        ],
    )?;
    let tornado = Tornado {
        title: "Which inputs drive the results? (Morris screening)".into(),
        subtitle: s.subtitle("mean absolute elementary effect"),
        bar_label: "\u{03bc}* (mean absolute effect, in the outcome's units)".into(),
        dot_label: "\u{03c3} (spread: non-linearity and interactions)".into(),
        panels: panels(s.outcomes, &rows, s.plan, |m| (m.mu_star, None, m.sigma)),
    };
    Ok((df, tornado))
}

/// Why an outcome gets a note instead of indices, if it does: every point gives the same value, or
/// values that differ only by rounding noise (a range of at most 1e-9 × max(1, |mean|)).
pub fn noise_note(y: &[f64]) -> Option<String> {
    let finite: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return Some("no run gave a finite value: no indices".into());
    }
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    if hi == lo {
        Some(format!(
            "the same value ({}) in every run: it does not vary over this sweep, so no input explains \
             any of it; no indices",
            num(mean)
        ))
    } else if hi - lo <= 1e-9 * mean.abs().max(1.0) {
        Some(format!(
            "varies only by rounding noise (from {} to {}): no input explains it; no indices",
            num(lo),
            num(hi)
        ))
    } else {
        None
    }
}

/// A note for an outcome that varies, but by less than 1 % of its mean over the whole sweep: its
/// indices are real, but they share out differences too small to matter.
pub fn spread_note(y: &[f64]) -> Option<String> {
    let finite: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
    (hi > lo && hi - lo < 1e-2 * mean.abs()).then(|| {
        format!(
            "varies only from {} to {} over the whole sweep ({:.2} % of its mean): none of these \
             inputs moves it by much, and its indices share out differences too small to matter",
            num(lo),
            num(hi),
            (hi - lo) / mean.abs() * 100.0
        )
    })
}

/// The share of an outcome's run-to-run variance that lies between the replicates of one point (seed
/// noise): the mean within-point variance over the variance of all successful runs. `None` without
/// replicates.
fn seed_noise_share(frame: &DataFrame, outcome: &str, points: usize) -> Result<Option<f64>> {
    let point = frame.column("point")?.u64()?;
    let status = frame.column("status")?.str()?;
    let y = frame.column(outcome)?.cast(&DataType::Float64)?;
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); points];
    for ((p, s), v) in point.iter().zip(status.iter()).zip(y.f64()?.iter()) {
        if let (Some(p), Some("ok"), Some(v)) = (p, s, v)
            && v.is_finite()
            && (p as usize) < points
        {
            runs[p as usize].push(v);
        }
    }
    let variance = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
    };
    let within: Vec<f64> = runs
        .iter()
        .filter(|r| r.len() >= 2)
        .map(|r| variance(r))
        .collect();
    let all: Vec<f64> = runs.concat();
    if within.is_empty() || all.len() < 2 {
        return Ok(None);
    }
    let total = variance(&all);
    Ok((total > 0.0).then(|| (within.iter().sum::<f64>() / within.len() as f64 / total).min(1.0)))
}

/// A number for the terminal: three decimals for indices near 0–1, else four significant digits.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a == 0.0 || (0.001..10.0).contains(&a) {
        format!("{v:.3}")
    } else if (10.0..1e5).contains(&a) {
        format!("{v:.1}")
    } else {
        format!("{v:.3e}")
    }
}

/// Lines of left-aligned columns, the widths fitted to the widest cell.
fn aligned(rows: &[Vec<String>], indent: &str) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = indent.to_string();
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The Sobol indices as text: per outcome, one line per parameter (largest ST first) with S1 and ST and
/// their 95 % bootstrap intervals.
fn sobol_table(
    plan: &Plan,
    outcomes: &[String],
    rows: &[Row<SobolIndex>],
    resamples: usize,
) -> String {
    let mut out = format!(
        "Sobol indices of sweep \u{201c}{}\u{201d}, as shares of each outcome's variance: S1 the \
         parameter alone,\nST with all its interactions; 95 % bootstrap intervals ({resamples} \
         resamples)\n",
        plan.sweep
    );
    for o in outcomes {
        let mut these: Vec<&Row<SobolIndex>> = rows.iter().filter(|r| &r.outcome == o).collect();
        these.sort_by(|a, b| b.index.st.total_cmp(&a.index.st));
        let used = these.first().map_or(0, |r| r.used);
        out.push_str(&format!("\n{o} ({used} base rows)\n"));
        let mut lines = vec![vec![
            "parameter".to_string(),
            "S1".into(),
            "[95 % interval]".into(),
            "ST".into(),
            "[95 % interval]".into(),
        ]];
        for r in these {
            let i = &r.index;
            lines.push(vec![
                parameter_label(plan, r.parameter),
                num(i.s1),
                format!("[{}, {}]", num(i.s1_low), num(i.s1_high)),
                num(i.st),
                format!("[{}, {}]", num(i.st_low), num(i.st_high)),
            ]);
        }
        out.push_str(&aligned(&lines, "  "));
    }
    out
}

/// The Morris statistics as text: per outcome, one line per parameter (largest μ* first).
fn morris_table(
    plan: &Plan,
    outcomes: &[String],
    rows: &[Row<MorrisIndex>],
    trajectories: usize,
) -> String {
    let mut out = format!(
        "Morris screening of sweep \u{201c}{}\u{201d} ({trajectories} trajectories): \u{03bc}* the mean \
         absolute\nelementary effect, \u{03c3} their spread, \u{03bc} their mean (outcome units per \
         unit of the input's range)\n",
        plan.sweep
    );
    for o in outcomes {
        let mut these: Vec<&Row<MorrisIndex>> = rows.iter().filter(|r| &r.outcome == o).collect();
        these.sort_by(|a, b| b.index.mu_star.total_cmp(&a.index.mu_star));
        out.push_str(&format!("\n{o}\n"));
        let mut lines = vec![vec![
            "parameter".to_string(),
            "\u{03bc}*".into(),
            "\u{03c3}".into(),
            "\u{03bc}".into(),
            "effects".into(),
        ]];
        for r in these {
            let m = &r.index;
            lines.push(vec![
                parameter_label(plan, r.parameter),
                num(m.mu_star),
                num(m.sigma),
                num(m.mu),
                m.effects.to_string(),
            ]);
        }
        out.push_str(&aligned(&lines, "  "));
    }
    out
}

fn outcome_column<I>(rows: &[Row<I>]) -> Vec<String> {
    rows.iter().map(|r| r.outcome.clone()).collect()
}

fn parameter_column<I>(rows: &[Row<I>], columns: &[String]) -> Vec<String> {
    rows.iter().map(|r| columns[r.parameter].clone()).collect()
}

/// One tornado panel per outcome from the rows: `bar` gives (bar, interval, dot) of an index.
fn panels<I>(
    outcomes: &[String],
    rows: &[Row<I>],
    plan: &Plan,
    bar: impl Fn(&I) -> (f64, Option<(f64, f64)>, f64),
) -> Vec<TornadoPanel> {
    outcomes
        .iter()
        .map(|o| TornadoPanel {
            outcome: o.clone(),
            bars: rows
                .iter()
                .filter(|r| &r.outcome == o)
                .map(|r| {
                    let (value, interval, dot) = bar(&r.index);
                    TornadoBar {
                        parameter: parameter_label(plan, r.parameter),
                        value,
                        interval,
                        dot,
                    }
                })
                .collect(),
        })
        .collect()
}

const SERIES_PREFIX: &str = "series_";

/// Quantiles over runs of one metric's series, month by month (t = 0 is the scenario's start).
#[derive(Clone, Debug, PartialEq)]
pub struct FanQuantiles {
    pub metric: String,
    pub runs: Vec<u32>,
    pub q05: Vec<f64>,
    pub q25: Vec<f64>,
    pub median: Vec<f64>,
    pub q75: Vec<f64>,
    pub q95: Vec<f64>,
}

/// Month-by-month quantiles of `series` (one time series per run; runs may differ in length).
pub fn fan_quantiles(metric: &str, series: &[Vec<f64>]) -> FanQuantiles {
    let months = series.iter().map(Vec::len).max().unwrap_or(0);
    let mut q = FanQuantiles {
        metric: metric.into(),
        runs: Vec::with_capacity(months),
        q05: Vec::with_capacity(months),
        q25: Vec::with_capacity(months),
        median: Vec::with_capacity(months),
        q75: Vec::with_capacity(months),
        q95: Vec::with_capacity(months),
    };
    let mut at = Vec::with_capacity(series.len());
    for t in 0..months {
        at.clear();
        at.extend(
            series
                .iter()
                .filter_map(|s| s.get(t).copied())
                .filter(|v| v.is_finite()),
        );
        at.sort_by(f64::total_cmp);
        q.runs.push(at.len() as u32);
        q.q05.push(percentile(&at, 0.05));
        q.q25.push(percentile(&at, 0.25));
        q.median.push(percentile(&at, 0.5));
        q.q75.push(percentile(&at, 0.75));
        q.q95.push(percentile(&at, 0.95));
    }
    q
}

/// The kept series of `metric` for the successful runs (of `point` only, when given).
fn run_series(frame: &DataFrame, metric: &str, point: Option<u64>) -> Result<Vec<Vec<f64>>> {
    let status = frame.column("status")?.str()?;
    let points = frame.column("point")?.u64()?;
    let list = frame.column(&format!("{SERIES_PREFIX}{metric}"))?.list()?;
    let mut out = Vec::new();
    for ((s, p), xs) in status.iter().zip(points.iter()).zip(list.series_iter()) {
        if s != Some("ok") || (point.is_some() && p != point) {
            continue;
        }
        if let Some(xs) = xs {
            let xs = xs.cast(&DataType::Float64)?;
            out.push(xs.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect());
        }
    }
    Ok(out)
}

/// The global metrics whose time series the sweep kept.
fn kept_series(frame: &DataFrame) -> Vec<String> {
    frame
        .get_column_names()
        .iter()
        .filter_map(|c| c.strip_prefix(SERIES_PREFIX).map(str::to_string))
        .collect()
}

fn fan_charts(
    plan: &Plan,
    frame: &DataFrame,
    kept: &[String],
    options: &AnalyzeOptions,
    out_dir: &Path,
    analysis: &mut Analysis,
) -> Result<()> {
    let quantiles = kept
        .iter()
        .map(|m| Ok(fan_quantiles(m, &run_series(frame, m, options.point)?)))
        .collect::<Result<Vec<_>>>()?;
    let label = |t: usize| plan.start.plus(t as i32).to_string();
    let mut cols: [Vec<f64>; 5] = Default::default();
    let (mut metric, mut month, mut t_col, mut runs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for q in &quantiles {
        for t in 0..q.runs.len() {
            metric.push(q.metric.clone());
            month.push(label(t));
            t_col.push(t as u32);
            runs.push(q.runs[t]);
            for (c, v) in cols
                .iter_mut()
                .zip([&q.q05, &q.q25, &q.median, &q.q75, &q.q95])
            {
                c.push(v[t]);
            }
        }
    }
    let mut columns = vec![
        Column::new("metric".into(), metric),
        Column::new("month".into(), month),
        Column::new("t".into(), t_col),
        Column::new("runs".into(), runs),
    ];
    for (name, c) in ["q05", "q25", "median", "q75", "q95"].iter().zip(cols) {
        columns.push(Column::new((*name).into(), c));
    }
    let df = DataFrame::new(columns[0].len(), columns)?;
    let path = out_dir.join("fan.parquet");
    crate::output::write_parquet(&path, &df)?;
    analysis.written.push(path);

    let drawn: Vec<&String> = if options.fans.is_empty() {
        kept.iter()
            .filter(|m| DEFAULT_FANS.contains(&m.as_str()))
            .collect()
    } else {
        options.fans.iter().collect()
    };
    let over = match options.point {
        Some(p) => format!("the {} replicates of point {p}", plan.replicates),
        None => "all runs".into(),
    };
    let first = (plan.start.year() * 12) as f64 + plan.start.month() as f64 - 1.0;
    for m in drawn {
        let q = quantiles
            .iter()
            .find(|q| &q.metric == m)
            .expect("every drawn metric was kept");
        let fan = Fan {
            title: format!("{}: how much it varies across the sweep", metric_label(m)),
            subtitle: format!(
                "Sweep \u{201c}{}\u{201d} \u{00b7} median and bands over {over} (up to {} runs)",
                plan.sweep,
                q.runs.iter().max().copied().unwrap_or(0)
            ),
            y_desc: metric_label(m),
            months: (0..q.runs.len()).map(|t| first + t as f64).collect(),
            q05: q.q05.clone(),
            q25: q.q25.clone(),
            median: q.median.clone(),
            q75: q.q75.clone(),
            q95: q.q95.clone(),
        };
        analysis
            .written
            .extend(charts::write_figure(out_dir, &format!("fan_{m}"), &fan)?);
    }
    Ok(())
}

/// A global metric's name for a chart: the headline ones in words, others from their column name.
fn metric_label(metric: &str) -> String {
    match metric {
        "bifurcation_index" => "Bifurcation index".into(),
        "cross_bloc_share" => "Cross-bloc share of compute".into(),
        "capability_gap_oom" => "Capability gap (orders of magnitude)".into(),
        "capability_lag_months" => "Capability lag (months)".into(),
        "compute_gini" => "Gini of compute per capita".into(),
        "unmet_share" => "Unmet share of compute demand".into(),
        "stranded_labs" => "Stranded labs".into(),
        "smuggled_h100e" => "Smuggled chips (H100e a month)".into(),
        other => {
            let words = other.replace('_', " ");
            let mut chars = words.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_at_noise_level_get_a_note_instead_of_indices() {
        assert!(
            noise_note(&[0.25; 8])
                .unwrap()
                .contains("the same value (0.250)")
        );
        let noise = [1e-18, 1.9e-14, 3e-16, 0.0];
        assert!(noise_note(&noise).unwrap().contains("rounding noise"));
        let big = [1e9, 1e9 + 0.5];
        assert!(noise_note(&big).unwrap().contains("rounding noise"));
        assert!(noise_note(&[0.1, 0.2, f64::NAN]).is_none());
        assert!(noise_note(&[f64::NAN; 3]).unwrap().contains("no run"));
        // Two points, two replicates each: replicates differ by 2 (within-point variance 2), points by
        // 10 (total variance of 1, 3, 11, 13 = 104/3): seed noise is 2 / (104/3) of the variance.
        let frame = df!(
            "point" => [0u64, 0, 1, 1],
            "status" => ["ok", "ok", "ok", "ok"],
            "y" => [1.0, 3.0, 11.0, 13.0],
        )
        .unwrap();
        let share = seed_noise_share(&frame, "y", 2).unwrap().unwrap();
        assert!((share - 2.0 / (104.0 / 3.0)).abs() < 1e-12, "{share}");
        let one = df!("point" => [0u64, 1], "status" => ["ok", "ok"], "y" => [1.0, 2.0]).unwrap();
        assert_eq!(
            seed_noise_share(&one, "y", 2).unwrap(),
            None,
            "no replicates"
        );
        // Varies, but by less than 1 % of its mean: a note, the indices kept.
        let flat: Vec<f64> = (0..8).map(|i| 0.56 + 1e-5 * i as f64).collect();
        assert!(spread_note(&flat).unwrap().contains("too small to matter"));
        assert!(spread_note(&[0.1, 0.2, 0.3]).is_none());
    }
}

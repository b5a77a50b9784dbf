//! Sensitivity analysis of a finished sweep.
//!
//! - Sobol (variance-based) indices from a Saltelli design, per outcome and parameter: first-order S1
//!   with Saltelli et al. (2010)'s estimator `mean(f(B)·(f(AB_i) − f(A))) / V`, total ST with Jansen's
//!   `mean((f(A) − f(AB_i))²) / 2V`, V the variance of f over A and B together; 95 % percentile
//!   bootstrap intervals over the base rows.
//! - Morris elementary effects `(f(x + Δe_i) − f(x)) / Δ` (Δ in unit coordinates) per trajectory step,
//!   summarised as μ, μ* (mean of |EE|, Campolongo et al. 2007) and σ.
//!
//! A point's outcome is the mean over its replicates that ran; base rows or steps that touch a point
//! with no successful run are left out. The estimators are pure functions, tested on the Ishigami
//! function in `tests/sweep.rs`.

use super::dataset::{self, Plan};
use super::design::{Design, Layout};
use anyhow::{Result, bail};
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
}

/// Morris statistics of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub sigma: f64,
    pub effects: usize,
}

fn point_estimates(ya: &[f64], yb: &[f64], yab: &[f64], rows: &[usize]) -> (f64, f64) {
    let n = rows.len() as f64;
    let all: Vec<f64> = rows.iter().flat_map(|&j| [ya[j], yb[j]]).collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let var = all.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / all.len() as f64;
    let first = rows.iter().map(|&j| yb[j] * (yab[j] - ya[j])).sum::<f64>() / n;
    let total = rows.iter().map(|&j| (ya[j] - yab[j]).powi(2)).sum::<f64>() / (2.0 * n);
    (first / var, total / var)
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
/// resamples of the base rows drawn from `seed`.
pub fn sobol_indices(
    ya: &[f64],
    yb: &[f64],
    yab: &[Vec<f64>],
    resamples: usize,
    seed: u64,
) -> Vec<SobolIndex> {
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
            b1.sort_by(f64::total_cmp);
            bt.sort_by(f64::total_cmp);
            SobolIndex {
                s1,
                s1_low: percentile(&b1, 0.025),
                s1_high: percentile(&b1, 0.975),
                st,
                st_low: percentile(&bt, 0.025),
                st_high: percentile(&bt, 0.975),
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
pub const DEFAULT_OUTCOMES: [&str; 3] = [
    "bifurcation_index_final",
    "capability_gap_oom_final",
    "unmet_share_final",
];

/// Analyses the sweep in `dir` for `outcomes` and writes `sobol.parquet` or `morris.parquet` into
/// `OUT/_analysis-NAME/` (beside the dataset, `_`-prefixed so dataset readers skip it). Returns the
/// files written.
pub fn analyze(dir: &Path, outcomes: &[String], resamples: usize) -> Result<Vec<PathBuf>> {
    let sweep = dataset::locate(dir)?;
    let plan = Plan::read(&sweep)?;
    let design = Design::new(&plan.spec);
    let frame = dataset::read_all(&sweep)?;
    let outcomes: Vec<String> = if outcomes.is_empty() {
        DEFAULT_OUTCOMES
            .iter()
            .filter(|c| frame.column(c).is_ok())
            .map(|c| c.to_string())
            .collect()
    } else {
        outcomes.to_vec()
    };
    let names: Vec<String> = plan.spec.parameters.iter().map(|p| p.column()).collect();
    let root = sweep.parent().unwrap_or(Path::new("."));
    let out_dir = root.join(format!("_analysis-{}", plan.sweep));
    std::fs::create_dir_all(&out_dir)?;
    let points = design.points.len();
    let mut written = Vec::new();
    match &design.layout {
        Layout::Saltelli { n, k } => {
            let (mut o, mut p, mut cols) = (Vec::new(), Vec::new(), vec![Vec::new(); 6]);
            let mut used = Vec::new();
            for outcome in &outcomes {
                let y = point_means(&frame, outcome, points)?;
                let rows: Vec<usize> = (0..*n)
                    .filter(|j| (0..k + 2).all(|b| y[j * (k + 2) + b].is_finite()))
                    .collect();
                let ya: Vec<f64> = rows.iter().map(|j| y[j * (k + 2)]).collect();
                let yb: Vec<f64> = rows.iter().map(|j| y[j * (k + 2) + 1]).collect();
                let yab: Vec<Vec<f64>> = (0..*k)
                    .map(|i| rows.iter().map(|j| y[j * (k + 2) + 2 + i]).collect())
                    .collect();
                let idx = sobol_indices(
                    &ya,
                    &yb,
                    &yab,
                    resamples,
                    super::stream_seed(plan.spec.sweep.seed, 2),
                );
                for (i, s) in idx.iter().enumerate() {
                    o.push(outcome.clone());
                    p.push(names[i].clone());
                    used.push(rows.len() as u64);
                    for (c, v) in cols
                        .iter_mut()
                        .zip([s.s1, s.s1_low, s.s1_high, s.st, s.st_low, s.st_high])
                    {
                        c.push(v);
                    }
                }
            }
            let mut columns = vec![
                Column::new("outcome".into(), o),
                Column::new("parameter".into(), p),
            ];
            for (name, c) in ["s1", "s1_low", "s1_high", "st", "st_low", "st_high"]
                .iter()
                .zip(cols)
            {
                columns.push(Column::new((*name).into(), c));
            }
            columns.push(Column::new("base_rows".into(), used));
            let mut df = DataFrame::new(names.len() * outcomes.len(), columns)?;
            let path = out_dir.join("sobol.parquet");
            crate::output::write_parquet(&path, &mut df)?;
            written.push(path);
        }
        Layout::Morris { k, steps } => {
            let (mut o, mut p, mut cols, mut r) =
                (Vec::new(), Vec::new(), vec![Vec::new(); 3], Vec::new());
            for outcome in &outcomes {
                let y = point_means(&frame, outcome, points)?;
                let mut effects = vec![Vec::new(); *k];
                for (t, trajectory) in steps.iter().enumerate() {
                    for (s, &(i, delta)) in trajectory.iter().enumerate() {
                        let (a, b) = (y[t * (k + 1) + s], y[t * (k + 1) + s + 1]);
                        if a.is_finite() && b.is_finite() {
                            effects[i].push((b - a) / delta);
                        }
                    }
                }
                for (i, m) in morris_indices(&effects).iter().enumerate() {
                    o.push(outcome.clone());
                    p.push(names[i].clone());
                    r.push(m.effects as u64);
                    for (c, v) in cols.iter_mut().zip([m.mu, m.mu_star, m.sigma]) {
                        c.push(v);
                    }
                }
            }
            let mut columns = vec![
                Column::new("outcome".into(), o),
                Column::new("parameter".into(), p),
            ];
            for (name, c) in ["mu", "mu_star", "sigma"].iter().zip(cols) {
                columns.push(Column::new((*name).into(), c));
            }
            columns.push(Column::new("effects".into(), r));
            let mut df = DataFrame::new(names.len() * outcomes.len(), columns)?;
            let path = out_dir.join("morris.parquet");
            crate::output::write_parquet(&path, &mut df)?;
            written.push(path);
        }
        Layout::Plain => bail!(
            "the `{}` design has no sensitivity estimator here: use `design = \"sobol\"` or \"morris\", or \
             read the dataset directly",
            serde_json::to_string(&plan.spec.sweep.design)?.trim_matches('"')
        ),
    }
    Ok(written)
}

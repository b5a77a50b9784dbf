//! A story over several seeds (`run --seeds N`): each seed's run against its own counterfactual, and
//! over the seeds each comparison row's mean with its range and how many seeds agree on the sign of
//! its cumulative difference — the spread that tells an effect from noise, which one seed cannot.
//!
//! The ensemble's `compare.parquet` holds every seed's rows (`row_kind = "seed"`, with their
//! `run_seed`) and, for each nation and metric, three summary rows (`row_kind = "summary"`,
//! `statistic` = `mean`, `min` or `max`): amounts are the mean, least and greatest over the seeds;
//! month columns and month counts are the median month (count) in the `mean` row, the earliest and
//! latest in the others. Nothing here writes.

use crate::comparison::{self, Largest, Metric, Peak, Row, Stats};
use crate::run_data::RunData;
use crate::run_data::month_number;
use polars::prelude::*;

/// The prefix of a seed's run folder inside an ensemble's folder: `seed=3/`.
pub const SEED_PREFIX: &str = "seed=";

/// The folder name of seed `seed`'s run.
pub fn seed_folder(seed: u64) -> String {
    format!("{SEED_PREFIX}{seed}")
}

/// Which statistic over the seeds a summary row holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    Mean,
    Min,
    Max,
}

impl Statistic {
    pub const ALL: [Statistic; 3] = [Statistic::Mean, Statistic::Min, Statistic::Max];

    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::Min => "min",
            Statistic::Max => "max",
        }
    }
}

/// One nation's (or the world's) metric over the seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub nation: String,
    pub metric: Metric,
    /// The rows of the mean, min and max, in that order (see the module's doc for months and counts).
    pub rows: [Row; 3],
    /// How many seeds have the row.
    pub seeds: usize,
    /// How many of them have a cumulative difference of the mean's sign (0 counts as its own sign).
    pub same_sign: usize,
}

impl Summary {
    pub fn mean(&self) -> &Row {
        &self.rows[0]
    }

    pub fn min(&self) -> &Row {
        &self.rows[1]
    }

    pub fn max(&self) -> &Row {
        &self.rows[2]
    }
}

/// The sign of a cumulative difference, with differences at rounding level counted as 0.
fn sign(x: f64, scale: f64) -> i8 {
    if x.abs() <= 1e-9 * scale.max(1e-300) {
        0
    } else if x > 0.0 {
        1
    } else {
        -1
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

/// The statistic of amounts.
fn amount(xs: &[f64], s: Statistic) -> f64 {
    match s {
        Statistic::Mean => mean(xs),
        Statistic::Min => xs.iter().copied().fold(f64::INFINITY, f64::min),
        Statistic::Max => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

/// The statistic of months or counts: the median (the lower of the middle two) for the mean row.
fn ordinal(xs: &[usize], s: Statistic) -> Option<usize> {
    let mut v = xs.to_vec();
    v.sort_unstable();
    match s {
        Statistic::Mean => v.get((v.len().max(1) - 1) / 2).copied(),
        Statistic::Min => v.first().copied(),
        Statistic::Max => v.last().copied(),
    }
}

fn amounts(rows: &[&Row], f: impl Fn(&Stats) -> f64, s: Statistic) -> f64 {
    let xs: Vec<f64> = rows.iter().map(|r| f(&r.stats)).collect();
    amount(&xs, s)
}

fn some_amounts(rows: &[&Row], f: impl Fn(&Stats) -> Option<f64>, s: Statistic) -> Option<f64> {
    let xs: Vec<f64> = rows.iter().filter_map(|r| f(&r.stats)).collect();
    (!xs.is_empty()).then(|| amount(&xs, s))
}

fn months(rows: &[&Row], f: impl Fn(&Stats) -> Option<usize>, s: Statistic) -> Option<usize> {
    let xs: Vec<usize> = rows.iter().filter_map(|r| f(&r.stats)).collect();
    ordinal(&xs, s)
}

fn counts(rows: &[&Row], f: impl Fn(&Stats) -> usize, s: Statistic) -> usize {
    let xs: Vec<usize> = rows.iter().map(|r| f(&r.stats)).collect();
    ordinal(&xs, s).unwrap_or(0)
}

/// The statistic `s` of one nation's metric over the seeds' rows (at least one).
fn summary_row(rows: &[&Row], s: Statistic) -> Row {
    let first = rows[0];
    let n = rows.len();
    let ends_within = rows.iter().filter(|r| r.stats.ends_within).count();
    let largest = if rows.iter().any(|r| r.stats.largest.is_some()) {
        Some(Largest {
            t: months(rows, |x| x.largest.map(|l| l.t), s).unwrap_or(0),
            difference: amounts(rows, |x| x.largest.map_or(0.0, |l| l.difference), s),
            relative: some_amounts(rows, |x| x.largest.and_then(|l| l.relative), s),
        })
    } else {
        None
    };
    let peak = |f: fn(&Stats) -> &Peak| Peak {
        value: amounts(rows, |x| f(x).value, s),
        t: months(rows, |x| Some(f(x).t), s).unwrap_or(0),
        months_above_zero: counts(rows, |x| f(x).months_above_zero, s),
    };
    Row {
        run: first.run.clone(),
        run_seed: None,
        reference: first.reference.clone(),
        reference_seed: None,
        nation: first.nation.clone(),
        metric: first.metric.clone(),
        stats: Stats {
            months: first.stats.months,
            run_mean: amounts(rows, |x| x.run_mean, s),
            reference_mean: amounts(rows, |x| x.reference_mean, s),
            largest,
            cumulative: amounts(rows, |x| x.cumulative, s),
            cumulative_relative: some_amounts(rows, |x| x.cumulative_relative, s),
            months_below: counts(rows, |x| x.months_below, s),
            months_above: counts(rows, |x| x.months_above, s),
            first_below: months(rows, |x| x.first_below, s),
            last_below: months(rows, |x| x.last_below, s),
            recovery: months(rows, |x| x.recovery, s),
            // Most seeds for the mean; all for the min; any for the max.
            ends_within: match s {
                Statistic::Mean => 2 * ends_within > n,
                Statistic::Min => ends_within == n,
                Statistic::Max => ends_within > 0,
            },
            run_peak: peak(|x| &x.run_peak),
            reference_peak: peak(|x| &x.reference_peak),
        },
        month_labels: first.month_labels.clone(),
    }
}

/// Each nation's metric over the seeds' comparison rows (`per_seed[i]` is seed i's rows), in the order
/// of the first seed's rows.
pub fn summarise(per_seed: &[Vec<Row>]) -> Vec<Summary> {
    let Some(first) = per_seed.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|r0| {
            let rows: Vec<&Row> = per_seed
                .iter()
                .filter_map(|rows| {
                    rows.iter()
                        .find(|r| r.nation == r0.nation && r.metric.column == r0.metric.column)
                })
                .collect();
            let [mean, min, max] = Statistic::ALL.map(|s| summary_row(&rows, s));
            let scale = rows
                .iter()
                .map(|r| r.stats.reference_mean.abs() * r.stats.months as f64)
                .fold(0.0, f64::max);
            let wanted = sign(mean.stats.cumulative, scale);
            let same_sign = rows
                .iter()
                .filter(|r| sign(r.stats.cumulative, scale) == wanted)
                .count();
            Summary {
                nation: r0.nation.clone(),
                metric: r0.metric.clone(),
                seeds: rows.len(),
                same_sign,
                rows: [mean, min, max],
            }
        })
        .collect()
}

/// The ensemble's `compare.parquet`: [`comparison::frame`]'s columns for every seed's rows and then
/// the summary rows, with `row_kind` (`seed` or `summary`), `statistic` (null on seed rows), `seeds`
/// and `seeds_same_sign` (null on seed rows).
pub fn frame(per_seed: &[Vec<Row>], summaries: &[Summary]) -> PolarsResult<DataFrame> {
    let seed_rows = per_seed.iter().flatten().cloned();
    let summary_rows = summaries.iter().flat_map(|s| s.rows.iter().cloned());
    let rows: Vec<Row> = seed_rows.chain(summary_rows).collect();
    let n_seed = per_seed.iter().map(Vec::len).sum::<usize>();
    let mut df = comparison::frame(&rows)?;
    let kind: Vec<&str> = (0..rows.len())
        .map(|i| if i < n_seed { "seed" } else { "summary" })
        .collect();
    let statistic: Vec<Option<&str>> = (0..n_seed)
        .map(|_| None)
        .chain(
            summaries
                .iter()
                .flat_map(|_| Statistic::ALL.map(|s| Some(s.as_str()))),
        )
        .collect();
    let per_summary = |f: fn(&Summary) -> usize| -> Vec<Option<u32>> {
        (0..n_seed)
            .map(|_| None)
            .chain(summaries.iter().flat_map(|s| [Some(f(s) as u32); 3]))
            .collect()
    };
    df.with_column(Column::new("row_kind".into(), kind))?;
    df.with_column(Column::new("statistic".into(), statistic))?;
    df.with_column(Column::new("seeds".into(), per_summary(|s| s.seeds)))?;
    df.with_column(Column::new(
        "seeds_same_sign".into(),
        per_summary(|s| s.same_sign),
    ))?;
    Ok(df)
}

/// A nation's (or the world's) compute in the story against its counterfactual, month by month over
/// the seeds: the difference in per cent of the counterfactual, its mean and range.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// An ISO code, or [`comparison::WORLD`].
    pub nation: String,
    pub label: String,
    /// Month numbers (`year * 12 + month - 1`), as on every time axis.
    pub months: Vec<f64>,
    pub mean: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

/// The compute bands of the world and the focus nations over the seeds' runs (each with its
/// counterfactual; a run without one is left out).
pub fn bands(runs: &[RunData]) -> Vec<Band> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    let metric = Metric {
        column: "compute_h100e".into(),
        label: "compute (H100e)".into(),
        measure: comparison::Measure::Quantity,
    };
    let mut out = Vec::new();
    for nation in comparison::nations_with_world(&first.focus) {
        // Per seed: calendar month → difference in per cent.
        let per_seed: Vec<std::collections::BTreeMap<String, f64>> = runs
            .iter()
            .filter_map(|run| {
                let cf = run.counterfactual.as_deref()?;
                let a = comparison::series(run, &metric, &nation)?;
                let b = comparison::series(cf, &metric, &nation)?;
                Some(
                    a.iter()
                        .filter_map(|(m, x)| {
                            let y = *b.get(m)?;
                            (y > 0.0).then(|| (m.clone(), 100.0 * (x / y - 1.0)))
                        })
                        .collect(),
                )
            })
            .collect();
        let Some(months) = per_seed
            .first()
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
        else {
            continue;
        };
        let mut band = Band {
            label: if nation == comparison::WORLD {
                "World".into()
            } else {
                first.nation_label(&nation)
            },
            nation: nation.clone(),
            months: Vec::new(),
            mean: Vec::new(),
            min: Vec::new(),
            max: Vec::new(),
        };
        for m in months {
            let xs: Vec<f64> = per_seed.iter().filter_map(|s| s.get(&m).copied()).collect();
            if xs.len() != per_seed.len() {
                continue;
            }
            let Ok(number) = month_number(&m) else {
                continue;
            };
            band.months.push(number);
            band.mean.push(amount(&xs, Statistic::Mean));
            band.min.push(amount(&xs, Statistic::Min));
            band.max.push(amount(&xs, Statistic::Max));
        }
        if !band.months.is_empty() {
            out.push(band);
        }
    }
    out
}

/// A story (or any scenario) run on several seeds: each seed's run with its counterfactual, its
/// comparison, and the summaries over the seeds.
#[derive(Clone, Debug)]
pub struct Ensemble {
    pub seeds: Vec<u64>,
    /// Each seed's run, with its counterfactual for a story.
    pub runs: Vec<RunData>,
    /// Each seed's story against its counterfactual (empty for a scenario that is no story).
    pub views: Vec<comparison::StoryComparison>,
    pub summaries: Vec<Summary>,
    /// The compute bands of its runs (see [`bands`]), drawn by the spread chart and the report.
    pub bands: Vec<Band>,
}

impl Ensemble {
    /// The ensemble of `runs`, seed `seeds[i]`'s run being `runs[i]`.
    pub fn new(seeds: Vec<u64>, runs: Vec<RunData>) -> Self {
        let views: Vec<comparison::StoryComparison> = runs
            .iter()
            .filter_map(comparison::against_counterfactual)
            .collect();
        let per_seed: Vec<Vec<Row>> = views.iter().map(|v| v.rows.clone()).collect();
        let summaries = if views.len() == runs.len() {
            summarise(&per_seed)
        } else {
            Vec::new()
        };
        let bands = bands(&runs);
        Ensemble {
            seeds,
            runs,
            views,
            summaries,
            bands,
        }
    }

    /// Reads the folder `run --seeds` wrote: its `seed=S/` run folders, in order of seed.
    pub fn read(dir: &std::path::Path, focus: &[String]) -> anyhow::Result<Self> {
        let seeds = seed_folders(dir)?;
        if seeds.is_empty() {
            anyhow::bail!(
                "{} holds no {SEED_PREFIX}S/ run folders: it is not the folder of `run --seeds`",
                dir.display()
            );
        }
        let mut runs = Vec::with_capacity(seeds.len());
        for (i, seed) in seeds.iter().enumerate() {
            let folder = dir.join(seed_folder(*seed));
            // The first seed's nations check --focus; the others report the same nations.
            let focus = if i == 0 {
                focus.to_vec()
            } else {
                runs.first()
                    .map_or_else(Vec::new, |r: &RunData| r.focus.clone())
            };
            runs.push(RunData::read(&folder, &focus)?);
        }
        Ok(Ensemble::new(seeds, runs))
    }

    /// Every seed's comparison rows, seed by seed.
    pub fn per_seed(&self) -> Vec<Vec<Row>> {
        self.views.iter().map(|v| v.rows.clone()).collect()
    }

    /// The ensemble's `compare.parquet` (see [`frame`]); `None` for a scenario that is no story.
    pub fn frame(&self) -> Option<PolarsResult<DataFrame>> {
        (!self.summaries.is_empty()).then(|| frame(&self.per_seed(), &self.summaries))
    }
}

/// The seeds of the `seed=S/` run folders in `dir`, in order.
pub fn seed_folders(dir: &std::path::Path) -> anyhow::Result<Vec<u64>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?;
    let mut seeds: Vec<u64> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let seed = name.strip_prefix(SEED_PREFIX)?.parse::<u64>().ok()?;
            e.path().join("manifest.json").is_file().then_some(seed)
        })
        .collect();
    seeds.sort_unstable();
    Ok(seeds)
}

/// Whether `dir` is the folder of `run --seeds`: it holds `seed=S/` run folders.
pub fn is_ensemble(dir: &std::path::Path) -> bool {
    seed_folders(dir).is_ok_and(|s| !s.is_empty())
}

/// A story's expectation over the seeds: the first seed's judgement with the mean effect, and how
/// many seeds met it.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// The first seed's judgement, its effect replaced by the mean over the seeds that judged it.
    pub judgement: crate::story::Judgement,
    /// The least and greatest effect over the seeds that judged it.
    pub range: Option<(f64, f64)>,
    pub met: usize,
    pub judged: usize,
}

/// The expectations of each seed's story comparison, over the seeds.
pub fn expectations(views: &[comparison::StoryComparison]) -> Vec<Expectation> {
    let Some(first) = views.first() else {
        return Vec::new();
    };
    (0..first.judgements.len())
        .map(|i| {
            let js: Vec<&crate::story::Judgement> =
                views.iter().filter_map(|v| v.judgements.get(i)).collect();
            let effects: Vec<f64> = js.iter().filter_map(|j| j.effect).collect();
            let mut judgement = first.judgements[i].clone();
            if !effects.is_empty() {
                judgement.effect = Some(mean(&effects));
            }
            Expectation {
                judgement,
                range: (!effects.is_empty()).then(|| {
                    (
                        amount(&effects, Statistic::Min),
                        amount(&effects, Statistic::Max),
                    )
                }),
                met: js.iter().filter(|j| j.met() == Some(true)).count(),
                judged: effects.len(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::{Measure, stats};

    fn row(seed: u64, run: &[f64], reference: &[f64]) -> Row {
        Row {
            run: "story".into(),
            run_seed: Some(seed),
            reference: "cf".into(),
            reference_seed: Some(seed),
            nation: "KE".into(),
            metric: Metric {
                column: "compute_h100e".into(),
                label: "compute".into(),
                measure: Measure::Quantity,
            },
            stats: stats(run, reference, Measure::Quantity),
            month_labels: (1..=run.len()).map(|m| format!("2025-{m:02}")).collect(),
        }
    }

    #[test]
    fn summary_rows_hold_the_mean_and_range_and_count_the_seeds_that_agree() {
        let reference = [10.0, 10.0, 10.0, 10.0];
        let seeds = vec![
            vec![row(1, &[10.0, 8.0, 9.0, 10.0], &reference)],
            vec![row(2, &[10.0, 9.0, 8.0, 9.0], &reference)],
            vec![row(3, &[10.0, 10.0, 10.5, 10.5], &reference)],
        ];
        let s = &summarise(&seeds)[0];
        assert_eq!(s.seeds, 3);
        // Cumulative differences −3, −4, +1: the mean (−2) is negative, two seeds agree.
        assert_eq!(s.same_sign, 2);
        assert!((s.mean().stats.cumulative - (-2.0)).abs() < 1e-12);
        assert_eq!(s.min().stats.cumulative, -4.0);
        assert_eq!(s.max().stats.cumulative, 1.0);
        // Largest differences −2 (month 1), −2 (month 2), +0.5 (month 2): the median month is 2.
        assert_eq!(s.min().stats.largest.unwrap().difference, -2.0);
        assert_eq!(s.max().stats.largest.unwrap().difference, 0.5);
        assert_eq!(s.mean().stats.largest.unwrap().t, 2);
        // Months below: 2, 3, 0 → median 2, range 0–3.
        assert_eq!(s.mean().stats.months_below, 2);
        assert_eq!(s.min().stats.months_below, 0);
        assert_eq!(s.max().stats.months_below, 3);
        let df = frame(&seeds, std::slice::from_ref(s)).unwrap();
        assert_eq!(df.height(), 3 + 3);
        let kinds: Vec<String> = crate::run_data::strings(&df, "row_kind").unwrap();
        assert_eq!(
            kinds,
            ["seed", "seed", "seed", "summary", "summary", "summary"]
        );
    }

    #[test]
    fn seeds_with_no_difference_agree_with_a_mean_of_zero() {
        let same = [5.0, 5.0, 5.0];
        let seeds = vec![vec![row(1, &same, &same)], vec![row(2, &same, &same)]];
        let s = &summarise(&seeds)[0];
        assert_eq!((s.seeds, s.same_sign), (2, 2));
        assert!(s.mean().stats.largest.is_none());
    }
}

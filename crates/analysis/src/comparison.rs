//! A run against a reference run — a story against its counterfactual, or a scenario against another —
//! month by month: for the focus nations and the world, and the headline metrics, the largest difference
//! and its month, the cumulative difference, the months more than 1 % below (and above) the reference,
//! the month from which the run stays within 1 % of it (recovery), and each run's peak (for stranded
//! labs: how many at most, and in how many months).
//!
//! [`stats`] is the arithmetic, on two plain series; [`compare`] applies it to two runs' tables, lined
//! up by calendar month; [`frame`] makes the rows the `compare.parquet` table. Nothing here writes.

use crate::resources::EventKind;
use crate::run_data::RunData;
use crate::run_data::{floats, rows_equal, strings, strings_at};
use crate::scenario::{Aggregate, Direction};
use crate::story::{Judgement, Tables};
use anyhow::Result;
use polars::prelude::*;
use std::collections::BTreeMap;

/// How far from the reference counts as a difference: 1 % of the reference's value that month.
pub const TOLERANCE: f64 = 0.01;

/// Below this share of the series' largest magnitude a difference is rounding, not a difference (a
/// reference of 0 would otherwise make every last bit count).
const NOISE: f64 = 1e-9;

/// For shares, a difference under 0.01 percentage points is no difference, whatever 1 % of the
/// reference is: 1 % of a share near 0 (unmet demand in a world that meets it) is noise.
pub const SHARE_FLOOR: f64 = 1e-4;

/// The statistics of a run's series against the reference's, month by month (`t` is the position in
/// the series).
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub months: usize,
    pub run_mean: f64,
    pub reference_mean: f64,
    /// The largest difference, run minus reference: by its share of the reference for quantities, by
    /// its size for shares, levels and counts. `None` when the runs never differ.
    pub largest: Option<Largest>,
    /// The sum over the months of run minus reference (unit × months).
    pub cumulative: f64,
    /// [`Stats::cumulative`] over the sum of the reference's magnitudes; `None` when that is 0.
    pub cumulative_relative: Option<f64>,
    /// Months the run is more than [`TOLERANCE`] below the reference, and above it.
    pub months_below: usize,
    pub months_above: usize,
    /// The first and last month more than [`TOLERANCE`] below.
    pub first_below: Option<usize>,
    pub last_below: Option<usize>,
    /// The first month from which the run stays within [`TOLERANCE`] of the reference to the end:
    /// `None` when it never left it, or is still off in the final month.
    pub recovery: Option<usize>,
    /// Whether the run is within [`TOLERANCE`] of the reference in the final month.
    pub ends_within: bool,
    pub run_peak: Peak,
    pub reference_peak: Peak,
}

/// The largest difference: run minus reference, as a share of the reference (when it is not 0), in
/// month `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Largest {
    pub t: usize,
    pub difference: f64,
    pub relative: Option<f64>,
}

/// A series' largest value and its first month, and the months it is above zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peak {
    pub value: f64,
    pub t: usize,
    pub months_above_zero: usize,
}

/// How a metric's differences are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// An amount (H100e, USD): differences read as shares of the reference.
    Quantity,
    /// A share between 0 and 1: differences read in percentage points.
    Share,
    /// A level in its own unit (an index, orders of magnitude).
    Level,
    /// A count (stranded labs).
    Count,
}

fn peak(xs: &[f64]) -> Peak {
    let mut best = Peak {
        value: xs.first().copied().unwrap_or(0.0),
        t: 0,
        months_above_zero: 0,
    };
    for (t, &x) in xs.iter().enumerate() {
        if x > best.value {
            best.value = x;
            best.t = t;
        }
        best.months_above_zero += usize::from(x > 0.0);
    }
    best
}

/// The statistics of `run` against `reference` (the same months, in order). Panics if their lengths
/// differ.
pub fn stats(run: &[f64], reference: &[f64], measure: Measure) -> Stats {
    assert_eq!(run.len(), reference.len(), "series of the same months");
    let n = run.len();
    let scale = run
        .iter()
        .chain(reference)
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let noise = NOISE * scale;
    let floor = if measure == Measure::Share {
        noise.max(SHARE_FLOOR)
    } else {
        noise
    };
    let mut s = Stats {
        months: n,
        run_mean: run.iter().sum::<f64>() / n.max(1) as f64,
        reference_mean: reference.iter().sum::<f64>() / n.max(1) as f64,
        largest: None,
        cumulative: 0.0,
        cumulative_relative: None,
        months_below: 0,
        months_above: 0,
        first_below: None,
        last_below: None,
        recovery: None,
        ends_within: true,
        run_peak: peak(run),
        reference_peak: peak(reference),
    };
    let mut last_off = None;
    let mut magnitude = 0.0;
    // The key the largest difference is chosen by, and whether it was measured against the
    // reference (quantities, where the reference is not 0) or by size.
    let mut best: Option<(bool, f64)> = None;
    for t in 0..n {
        let (x, r) = (run[t], reference[t]);
        let d = x - r;
        s.cumulative += d;
        magnitude += r.abs();
        let tolerance = (TOLERANCE * r.abs()).max(floor);
        if d < -tolerance {
            s.months_below += 1;
            s.first_below.get_or_insert(t);
            s.last_below = Some(t);
            last_off = Some(t);
        } else if d > tolerance {
            s.months_above += 1;
            last_off = Some(t);
        }
        if d.abs() <= noise {
            continue;
        }
        let relative = (r != 0.0).then(|| d / r.abs());
        let key = match (measure, relative) {
            (Measure::Quantity, Some(rel)) => (true, rel.abs()),
            _ => (false, d.abs()),
        };
        // A difference against the reference outranks one by size alone (a quantity whose reference
        // is 0 in some months), then the larger wins; ties go to the earlier month.
        if best.is_none_or(|b| (key.0 && !b.0) || (key.0 == b.0 && key.1 > b.1)) {
            best = Some(key);
            s.largest = Some(Largest {
                t,
                difference: d,
                relative,
            });
        }
    }
    s.cumulative_relative = (magnitude > 0.0).then(|| s.cumulative / magnitude);
    match last_off {
        Some(t) if t + 1 == n => s.ends_within = false,
        Some(t) => s.recovery = Some(t + 1),
        None => {}
    }
    s
}

/// A metric the comparison reports: a column of the global table (for the world) or of the nations
/// table (per nation), or unmet demand over demand per nation.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// The column's name (`compute_h100e`, `compute_share_china`); `unmet_share` per nation is
    /// `unmet_h100e / demand_h100e`.
    pub column: String,
    /// In words, for tables: `compute (H100e)`, `compute share, China-led bloc`.
    pub label: String,
    pub measure: Measure,
}

impl Metric {
    /// What a month's difference is counted in, for the cumulative difference of a level.
    fn unit(&self) -> &'static str {
        match self.column.as_str() {
            "capability_gap_oom" => "OOM",
            _ => "index",
        }
    }
}

impl Metric {
    fn new(column: impl Into<String>, label: impl Into<String>, measure: Measure) -> Self {
        Metric {
            column: column.into(),
            label: label.into(),
            measure,
        }
    }
}

/// The world's headline metrics for runs with these blocs (id, name).
pub fn world_metrics(blocs: &[(String, String)]) -> Vec<Metric> {
    let mut m = vec![Metric::new(
        "compute_h100e",
        "compute (H100e)",
        Measure::Quantity,
    )];
    for (id, name) in blocs {
        m.push(Metric::new(
            format!("compute_share_{id}"),
            format!("compute share, {name}"),
            Measure::Share,
        ));
    }
    m.extend([
        Metric::new("unmet_share", "unmet demand", Measure::Share),
        Metric::new("capability_gap_oom", "capability gap (OOM)", Measure::Level),
        Metric::new("bifurcation_index", "bifurcation index", Measure::Level),
        Metric::new("stranded_labs", "stranded labs", Measure::Count),
    ]);
    m
}

/// A focus nation's headline metrics for runs with these blocs (id, name).
pub fn nation_metrics(blocs: &[(String, String)]) -> Vec<Metric> {
    let mut m = vec![
        Metric::new("compute_h100e", "compute (H100e)", Measure::Quantity),
        Metric::new("unmet_share", "unmet demand", Measure::Share),
        Metric::new("price_paid", "cloud price paid", Measure::Quantity),
        Metric::new("price_index", "cloud price index", Measure::Quantity),
    ];
    for (id, name) in blocs {
        m.push(Metric::new(
            format!("supplied_share_{id}"),
            format!("supply from {name}"),
            Measure::Share,
        ));
    }
    m.push(Metric::new(
        "stranded_labs",
        "stranded labs",
        Measure::Count,
    ));
    m
}

/// What the world's rows name as their nation.
pub const WORLD: &str = "world";

/// One row of a comparison: a run against its reference for one nation (or the world) and metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub run: String,
    pub run_seed: Option<u64>,
    pub reference: String,
    pub reference_seed: Option<u64>,
    /// An ISO code, or [`WORLD`].
    pub nation: String,
    pub metric: Metric,
    pub stats: Stats,
    /// The calendar months (`YYYY-MM`) of the series' positions.
    pub month_labels: Vec<String>,
}

impl Row {
    /// The calendar month of position `t`.
    pub fn month(&self, t: usize) -> &str {
        self.month_labels.get(t).map_or("", String::as_str)
    }
}

/// A run's series of `metric` for `nation` (or the world), keyed by calendar month.
pub fn series(data: &RunData, metric: &Metric, nation: &str) -> Option<BTreeMap<String, f64>> {
    if nation == WORLD {
        let months = strings(&data.global, "month").ok()?;
        let values = floats(&data.global, &metric.column).ok()?;
        return Some(months.into_iter().zip(values).collect());
    }
    let rows = rows_equal(&data.nations, "nation", nation).ok()?;
    if rows.is_empty() {
        return None;
    }
    let months = strings_at(&data.nations, "month", &rows).ok()?;
    let values: Vec<f64> = if metric.column == "unmet_share" {
        let unmet = floats(&data.nations, "unmet_h100e").ok()?;
        let demand = floats(&data.nations, "demand_h100e").ok()?;
        unmet
            .iter()
            .zip(&demand)
            .map(|(u, d)| if *d > 0.0 { u / d } else { 0.0 })
            .collect()
    } else {
        floats(&data.nations, &metric.column).ok()?
    };
    Some(
        months
            .into_iter()
            .zip(rows.iter().map(|&i| values[i]))
            .collect(),
    )
}

/// `run` against `reference` for `nations` (ISO codes; [`WORLD`] for the global metrics) and the
/// headline metrics of both runs' blocs, on the calendar months both runs have. A nation or metric
/// one of the runs lacks is left out.
pub fn compare(run: &RunData, reference: &RunData, nations: &[String]) -> Vec<Row> {
    compare_labelled(run, &run.name, reference, &reference.name, nations)
}

/// As [`compare`], with the labels the rows give the runs.
pub fn compare_labelled(
    run: &RunData,
    run_label: &str,
    reference: &RunData,
    reference_label: &str,
    nations: &[String],
) -> Vec<Row> {
    let mut blocs: Vec<(String, String)> = Vec::new();
    for b in run.blocs.iter().chain(&reference.blocs) {
        if !blocs.iter().any(|(id, _)| *id == b.id) {
            blocs.push((b.id.clone(), b.name.clone()));
        }
    }
    let mut rows = Vec::new();
    for nation in nations {
        let metrics = if nation == WORLD {
            world_metrics(&blocs)
        } else {
            nation_metrics(&blocs)
        };
        for metric in metrics {
            let (Some(a), Some(b)) = (
                series(run, &metric, nation),
                series(reference, &metric, nation),
            ) else {
                continue;
            };
            let months: Vec<String> = a.keys().filter(|m| b.contains_key(*m)).cloned().collect();
            if months.is_empty() {
                continue;
            }
            let x: Vec<f64> = months.iter().map(|m| a[m]).collect();
            let r: Vec<f64> = months.iter().map(|m| b[m]).collect();
            rows.push(Row {
                run: run_label.to_string(),
                run_seed: run.seed,
                reference: reference_label.to_string(),
                reference_seed: reference.seed,
                nation: nation.clone(),
                stats: stats(&x, &r, metric.measure),
                metric,
                month_labels: months,
            });
        }
    }
    rows
}

/// The rows as the `compare.parquet` table: one row per run × nation × metric, with plain string id
/// columns (so that the tables of several comparisons concatenate and join as they are) and months
/// as `YYYY-MM` (null where there is none).
pub fn frame(rows: &[Row]) -> PolarsResult<DataFrame> {
    fn text(name: &str, rows: &[Row], f: impl Fn(&Row) -> String) -> Column {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<String>>())
    }
    fn month(name: &str, rows: &[Row], f: impl Fn(&Row) -> Option<usize>) -> Column {
        Column::new(
            name.into(),
            rows.iter()
                .map(|r| f(r).map(|t| r.month(t).to_string()))
                .collect::<Vec<Option<String>>>(),
        )
    }
    fn number(name: &str, rows: &[Row], f: impl Fn(&Row) -> Option<f64>) -> Column {
        Column::new(
            name.into(),
            rows.iter().map(f).collect::<Vec<Option<f64>>>(),
        )
    }
    fn count(name: &str, rows: &[Row], f: impl Fn(&Row) -> usize) -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r) as u32).collect::<Vec<u32>>(),
        )
    }
    fn seed(name: &str, rows: &[Row], f: impl Fn(&Row) -> Option<u64>) -> Column {
        Column::new(
            name.into(),
            rows.iter().map(f).collect::<Vec<Option<u64>>>(),
        )
    }
    let columns = vec![
        text("run", rows, |r| r.run.clone()),
        seed("run_seed", rows, |r| r.run_seed),
        text("reference", rows, |r| r.reference.clone()),
        seed("reference_seed", rows, |r| r.reference_seed),
        text("nation", rows, |r| r.nation.clone()),
        text("metric", rows, |r| r.metric.column.clone()),
        count("months", rows, |r| r.stats.months),
        month("first_month", rows, |r| (r.stats.months > 0).then_some(0)),
        month("last_month", rows, |r| r.stats.months.checked_sub(1)),
        number("run_mean", rows, |r| Some(r.stats.run_mean)),
        number("reference_mean", rows, |r| Some(r.stats.reference_mean)),
        number("largest_difference", rows, |r| {
            Some(r.stats.largest.map_or(0.0, |l| l.difference))
        }),
        number("largest_difference_relative", rows, |r| {
            r.stats.largest.and_then(|l| l.relative)
        }),
        month("largest_difference_month", rows, |r| {
            r.stats.largest.map(|l| l.t)
        }),
        number("cumulative_difference", rows, |r| Some(r.stats.cumulative)),
        number("cumulative_difference_relative", rows, |r| {
            r.stats.cumulative_relative
        }),
        count("months_below_1pct", rows, |r| r.stats.months_below),
        count("months_above_1pct", rows, |r| r.stats.months_above),
        month("first_month_below", rows, |r| r.stats.first_below),
        month("last_month_below", rows, |r| r.stats.last_below),
        month("recovery_month", rows, |r| r.stats.recovery),
        Column::new(
            "ends_within_1pct".into(),
            rows.iter()
                .map(|r| r.stats.ends_within)
                .collect::<Vec<bool>>(),
        ),
        number("run_peak", rows, |r| Some(r.stats.run_peak.value)),
        month("run_peak_month", rows, |r| {
            (r.stats.months > 0).then_some(r.stats.run_peak.t)
        }),
        count("run_months_above_zero", rows, |r| {
            r.stats.run_peak.months_above_zero
        }),
        number("reference_peak", rows, |r| {
            Some(r.stats.reference_peak.value)
        }),
        count("reference_months_above_zero", rows, |r| {
            r.stats.reference_peak.months_above_zero
        }),
    ];
    DataFrame::new(rows.len(), columns)
}

/// The file a comparison is written to, in a run folder (against its counterfactual) and in the
/// folder of `fracture compare`.
pub const FILE: &str = "compare.parquet";

/// The nations a comparison reports: the world, then `focus`.
pub fn nations_with_world(focus: &[String]) -> Vec<String> {
    std::iter::once(WORLD.to_string())
        .chain(focus.iter().cloned())
        .collect()
}

/// Checks that `rows` is not empty, naming the runs when it is.
pub fn ensure_rows(rows: &[Row], run: &str, reference: &str) -> Result<()> {
    if rows.is_empty() {
        anyhow::bail!("{run} and {reference} have no calendar month in common: nothing to compare");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// A story against its counterfactual, as `run` prints it and the report shows it.

/// A story's run against its counterfactual.
#[derive(Clone, Debug)]
pub struct StoryComparison {
    /// The story's paragraph and sources (`[scenario]`'s `story` and `sources`).
    pub story: String,
    pub sources: Vec<String>,
    /// The month (`t`) the story's own policies first came into force in the run, if they did.
    pub start: Option<usize>,
    /// The first month (`t`) whose recorded numbers differ between the story and its counterfactual:
    /// when the story acts, which may follow `start` (a policy that binds only later) or never come.
    pub differs_from: Option<usize>,
    /// Its expectations, judged on this pair of runs.
    pub judgements: Vec<Judgement>,
    /// The world and the focus nations, each headline metric.
    pub rows: Vec<Row>,
    /// The calendar months of the run.
    pub month_labels: Vec<String>,
    /// The events of the story's own policies and triggers, in order: triggers fired, policies
    /// switched on and off.
    pub events: Vec<crate::run_data::Event>,
}

impl StoryComparison {
    /// The calendar month of position `t` of the run.
    pub fn month(&self, t: usize) -> &str {
        self.month_labels.get(t).map_or("?", String::as_str)
    }
}

fn tables(data: &RunData) -> Tables<'_> {
    Tables {
        global: &data.global,
        nations: &data.nations,
        events: &data.events,
    }
}

/// A story's run against its counterfactual (`None` when the run has none): the comparison rows for
/// the world and the focus nations, and its expectations judged.
pub fn against_counterfactual(data: &RunData) -> Option<StoryComparison> {
    let cf = data.counterfactual.as_deref()?;
    let rows = compare(data, cf, &nations_with_world(&data.focus));
    let (start, judgements) = match (&data.scenario, &cf.scenario) {
        (Some(story), Some(counterfactual)) => {
            crate::story::judge(story, counterfactual, tables(data), tables(cf))
        }
        _ => (None, Vec::new()),
    };
    let meta = data.scenario.as_ref().map(|s| &s.scenario);
    let events = match (&data.scenario, &cf.scenario) {
        (Some(story), Some(counterfactual)) => own_events(data, story, counterfactual),
        _ => Vec::new(),
    };
    Some(StoryComparison {
        story: meta.map(|m| m.story.trim().to_string()).unwrap_or_default(),
        sources: meta.map(|m| m.sources.clone()).unwrap_or_default(),
        start,
        differs_from: first_difference(data, cf),
        judgements,
        rows,
        month_labels: strings(&data.global, "month").unwrap_or_default(),
        events,
    })
}

/// The first month in which any number of the global or nations table differs between two runs of the
/// same world (beyond rounding: a relative 1e-12).
pub fn first_difference(a: &RunData, b: &RunData) -> Option<usize> {
    let mut first: Option<usize> = None;
    for (x, y) in [(&a.global, &b.global), (&a.nations, &b.nations)] {
        if x.height() != y.height() {
            continue;
        }
        let Ok(t) = floats(x, "t") else { continue };
        for column in x.get_column_names() {
            if column.as_str() == "t" || !x.column(column).is_ok_and(|c| c.dtype().is_float()) {
                continue;
            }
            let (Ok(u), Ok(v)) = (floats(x, column), floats(y, column)) else {
                continue;
            };
            let found = u.iter().zip(&v).zip(&t).find_map(|((p, q), &t)| {
                let differs = (p - q).abs() > 1e-12 * p.abs().max(q.abs()).max(1e-300);
                (differs && !(p.is_nan() && q.is_nan())).then_some(t as usize)
            });
            if let Some(t) = found {
                first = Some(first.map_or(t, |f| f.min(t)));
            }
        }
    }
    first
}

/// The events of a story's own policies — those its counterfactual lacks or has otherwise, and those
/// its own triggers put in force — and of its own triggers firing, in the run's order.
fn own_events(
    data: &RunData,
    story: &crate::scenario::Scenario,
    counterfactual: &crate::scenario::Scenario,
) -> Vec<crate::run_data::Event> {
    let triggers: Vec<&str> = story
        .trigger
        .iter()
        .filter(|t| !counterfactual.trigger.contains(t))
        .map(|t| t.name.as_str())
        .collect();
    let Ok(events) = data.events_of(&[
        EventKind::TriggerFired.as_str(),
        EventKind::PolicyOn.as_str(),
        EventKind::PolicyOff.as_str(),
    ]) else {
        return Vec::new();
    };
    let actors = strings(&data.events, "actor").unwrap_or_default();
    let kinds = strings(&data.events, "kind").unwrap_or_default();
    // The policies its triggers created are named by their `trigger_fired` events' targets.
    let mut names: Vec<String> = story
        .policy
        .iter()
        .filter(|p| !counterfactual.policy.contains(p))
        .map(|p| p.name.clone())
        .collect();
    let targets = strings(&data.events, "target").unwrap_or_default();
    for ((kind, actor), target) in kinds.iter().zip(&actors).zip(&targets) {
        if EventKind::parse(kind) == Some(EventKind::TriggerFired)
            && triggers.contains(&actor.as_str())
        {
            names.push(target.clone());
        }
    }
    let quoted: Vec<String> = names
        .iter()
        .map(|n| format!("\u{201c}{n}\u{201d}"))
        .collect();
    events
        .into_iter()
        .filter(|e| quoted.iter().any(|q| e.detail.contains(q.as_str())))
        .collect()
}

/// An event kind of a story's own policies in words.
pub fn event_words(kind: &str) -> &str {
    match EventKind::parse(kind) {
        Some(EventKind::TriggerFired) => "trigger fired",
        Some(EventKind::PolicyOn) => "switched on",
        Some(EventKind::PolicyOff) => "switched off",
        _ => kind,
    }
}

/// At most this many of a story's own policy events are listed; the rest are in `events.parquet`.
pub const MAX_EVENTS: usize = 6;

/// The metric a column is, among the headline metrics and the others stories state expectations
/// about; `None` for a column not named here.
pub fn known_metric(column: &str, blocs: &[(String, String)]) -> Option<Metric> {
    let mut extra = vec![
        Metric::new("cross_bloc_share", "cross-bloc share", Measure::Share),
        Metric::new(
            "smuggled_h100e",
            "smuggled chips (H100e)",
            Measure::Quantity,
        ),
        Metric::new("polarization", "polarization", Measure::Level),
        Metric::new(
            "compute_per_capita",
            "compute per person (H100e)",
            Measure::Quantity,
        ),
    ];
    for (id, name) in blocs {
        extra.push(Metric::new(
            format!("chip_production_h100e_{id}"),
            format!("chip output (H100e), {name}"),
            Measure::Quantity,
        ));
        extra.push(Metric::new(
            format!("unmet_share_{id}"),
            format!("unmet demand, {name}"),
            Measure::Share,
        ));
    }
    world_metrics(blocs)
        .into_iter()
        .chain(nation_metrics(blocs))
        .chain(extra)
        .find(|m| m.column == column)
}

/// A metric's name in words (else the column's name with spaces).
pub fn metric_words(column: &str, blocs: &[(String, String)]) -> String {
    known_metric(column, blocs).map_or_else(|| column.replace('_', " "), |m| m.label)
}

/// An expectation's size in its metric's terms: a percentage when relative, percentage points for a
/// share, else the number.
fn effect_size(x: f64, relative: bool, column: &str, blocs: &[(String, String)]) -> String {
    if relative {
        percent(x)
    } else if known_metric(column, blocs).is_some_and(|m| m.measure == Measure::Share) {
        format!("{} pts", points(100.0 * x))
    } else {
        crate::numbers::fmt_num(x)
    }
}

/// An expectation in words: `compute (H100e) of KE + BR lower by at least 0.2 %, 2025-05 to 2027-04`.
pub fn claim(j: &Judgement, blocs: &[(String, String)], month: impl Fn(usize) -> String) -> String {
    let e = &j.expectation;
    let mut what = metric_words(&e.metric, blocs);
    if !e.nations.is_empty() {
        let joined = match e.aggregate {
            Aggregate::Sum => e.nations.join(" + "),
            Aggregate::Mean => format!("the mean of {}", e.nations.join(", ")),
        };
        what = format!("{what} of {joined}");
    }
    let min = effect_size(e.min_effect, e.relative, &e.metric, blocs);
    let window = j
        .window
        .map(|(a, b)| format!(", {} to {}", month(a), month(b)))
        .unwrap_or_default();
    format!("{what} {} by at least {min}{window}", e.direction.as_str())
}

/// What a judged expectation found: `4.9 % lower` (or why it was not judged).
pub fn finding(j: &Judgement, blocs: &[(String, String)]) -> String {
    let Some(x) = j.effect else {
        return j.problem.clone().unwrap_or_else(|| "not judged".into());
    };
    let e = &j.expectation;
    let size = effect_size(x.abs(), e.relative, &e.metric, blocs);
    let way = match (e.direction, x >= 0.0) {
        (Direction::Higher, true) | (Direction::Lower, false) => "higher",
        _ => "lower",
    };
    if x == 0.0 {
        "no difference".into()
    } else {
        format!("{size} {way}")
    }
}

/// A share as a percentage with the precision small shares need: `25.9 %`, `0.31 %`.
pub fn percent(x: f64) -> String {
    let p = 100.0 * x;
    if p.abs() >= 1.0 || p == 0.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.2} %")
    }
}

/// A signed number with a real minus sign: `+3.1`, `−0.42`.
fn signed(text: String) -> String {
    match text.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => format!("+{text}"),
    }
}

/// A row's statistics as short texts, for the printed table and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Cells {
    /// The largest difference and its month: `−25.9 % (2025-05)`.
    pub largest: String,
    /// The cumulative difference: `+3.1 %` of the reference's total, or in the metric's unit × months.
    pub cumulative: String,
    /// Months more than 1 % below: `21 to 2026-12`, or `0`.
    pub below: String,
    /// Months more than 1 % above.
    pub above: String,
    /// From which month it stays within 1 %: a month, `never (below)`, `–` (never left).
    pub recovery: String,
}

/// A difference of `row`'s metric in words: for amounts a share of the reference (`relative`), for
/// shares percentage points, for counts whole numbers.
pub fn difference_text(row: &Row, d: f64, relative: Option<f64>) -> String {
    match (row.metric.measure, relative) {
        (Measure::Quantity, Some(r)) => signed(percent(r)),
        (Measure::Share, _) => signed(format!("{} pts", points(100.0 * d))),
        (Measure::Count, _) => signed(format!("{d:.0}")),
        _ => signed(crate::numbers::fmt_num(d)),
    }
}

/// A row's cumulative difference in words: a share of the reference's total for amounts, else in the
/// metric's unit × months.
pub fn cumulative_text(row: &Row) -> String {
    let (s, m) = (&row.stats, &row.metric);
    match (m.measure, s.cumulative_relative) {
        _ if s.cumulative == 0.0 => "0".into(),
        (Measure::Quantity, Some(r)) => signed(percent(r)),
        (Measure::Share, _) => signed(format!("{} pt-months", points(100.0 * s.cumulative))),
        (Measure::Count, _) => signed(format!("{:.0} lab-months", s.cumulative)),
        _ => signed(format!(
            "{} {}-months",
            crate::numbers::fmt_num(s.cumulative),
            m.unit()
        )),
    }
}

/// The texts of a row's statistics.
pub fn cells(row: &Row) -> Cells {
    let s = &row.stats;
    let largest = s.largest.map_or_else(
        || "none".to_string(),
        |l| {
            format!(
                "{} ({})",
                difference_text(row, l.difference, l.relative),
                row.month(l.t)
            )
        },
    );
    let cumulative = cumulative_text(row);
    let below = match s.last_below {
        Some(t) => format!("{} to {}", s.months_below, row.month(t)),
        None => "0".into(),
    };
    let recovery = match (s.recovery, s.ends_within) {
        (Some(t), _) => row.month(t).to_string(),
        (None, true) => "\u{2013}".into(),
        // Off in the final month: below it, or above.
        (None, false) if s.last_below == s.months.checked_sub(1) => "never (below)".into(),
        (None, false) => "never (above)".into(),
    };
    Cells {
        largest,
        cumulative,
        below,
        above: s.months_above.to_string(),
        recovery,
    }
}

/// Percentage points: two decimals below 1, one below 100, whole (with thousands) above.
fn points(p: f64) -> String {
    if p.abs() >= 100.0 {
        crate::numbers::fmt_num(p)
    } else if p.abs() >= 1.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.2}")
    }
}

/// Whether a row moved at all: more than 1 % off the reference in some month (for counts: any in
/// either run).
pub fn moved(row: &Row) -> bool {
    if row.metric.measure == Measure::Count {
        row.stats.run_peak.value > 0.0 || row.stats.reference_peak.value > 0.0
    } else {
        row.stats.months_below + row.stats.months_above > 0
    }
}

/// The rows worth showing, nation by nation in the rows' order: those that [`moved`], with the nations
/// (ISO codes or [`WORLD`]) none of whose rows did.
pub fn moved_by_nation(rows: &[Row]) -> (Vec<(String, Vec<&Row>)>, Vec<String>) {
    let mut shown: Vec<(String, Vec<&Row>)> = Vec::new();
    let mut quiet: Vec<String> = Vec::new();
    for row in rows {
        if shown.iter().any(|(n, _)| *n == row.nation) || quiet.contains(&row.nation) {
            continue;
        }
        let moved: Vec<&Row> = rows
            .iter()
            .filter(|r| r.nation == row.nation && moved(r))
            .collect();
        if moved.is_empty() {
            quiet.push(row.nation.clone());
        } else {
            shown.push((row.nation.clone(), moved));
        }
    }
    (shown, quiet)
}

/// Stranded labs (a count) at their peak and for how long, with the reference's (named `against`):
/// `peak 80 in 2025-05, stranded in 6 months (counterfactual: none)`.
pub fn peak_text(r: &Row, against: &str) -> String {
    let s = &r.stats;
    let months = |n: usize| format!("{n} month{}", if n == 1 { "" } else { "s" });
    let own = if s.run_peak.value > 0.0 {
        format!(
            "peak {} in {}, stranded in {}",
            crate::numbers::fmt_num(s.run_peak.value),
            r.month(s.run_peak.t),
            months(s.run_peak.months_above_zero)
        )
    } else {
        "none".into()
    };
    let reference = if s.reference_peak.value > 0.0 {
        format!(
            "peak {}, {}",
            crate::numbers::fmt_num(s.reference_peak.value),
            months(s.reference_peak.months_above_zero)
        )
    } else {
        "none".into()
    };
    format!("{own} ({against}: {reference})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(run: &[f64], reference: &[f64], metric: Metric) -> Row {
        Row {
            run: "story".into(),
            run_seed: Some(42),
            reference: "story-counterfactual".into(),
            reference_seed: Some(42),
            nation: "KE".into(),
            stats: stats(run, reference, metric.measure),
            metric,
            month_labels: (1..=run.len()).map(|m| format!("2025-{m:02}")).collect(),
        }
    }

    #[test]
    fn the_table_texts_and_the_parquet_rows_say_the_same() {
        let loss = row(
            &[100.0, 80.0, 90.0, 100.0],
            &[100.0; 4],
            Metric::new("compute_h100e", "compute (H100e)", Measure::Quantity),
        );
        let c = cells(&loss);
        assert_eq!(c.largest, "\u{2212}20.0 % (2025-02)");
        assert_eq!(c.cumulative, "\u{2212}7.5 %");
        assert_eq!((c.below.as_str(), c.above.as_str()), ("2 to 2025-03", "0"));
        assert_eq!(c.recovery, "2025-04");
        let share = row(
            &[0.5, 0.7, 0.7],
            &[0.5, 0.5, 0.5],
            Metric::new("unmet_share", "unmet demand", Measure::Share),
        );
        let c = cells(&share);
        assert_eq!(c.largest, "+20.0 pts (2025-02)");
        assert_eq!(c.cumulative, "+40.0 pt-months");
        assert_eq!(c.recovery, "never (above)");
        let stranded = row(
            &[0.0, 80.0, 80.0, 0.0],
            &[0.0; 4],
            Metric::new("stranded_labs", "stranded labs", Measure::Count),
        );
        assert_eq!(
            peak_text(&stranded, "counterfactual"),
            "peak 80 in 2025-02, stranded in 2 months (counterfactual: none)"
        );
        let never = row(
            &[1.0, 1.0],
            &[1.0, 1.0],
            Metric::new("compute_h100e", "compute (H100e)", Measure::Quantity),
        );
        assert!(!moved(&never) && moved(&loss) && moved(&stranded));
        assert_eq!(cells(&never).recovery, "\u{2013}");

        let df = frame(&[loss, never]).unwrap();
        assert_eq!(df.height(), 2);
        for id in ["run", "reference", "nation", "metric", "recovery_month"] {
            assert_eq!(df.column(id).unwrap().dtype(), &DataType::String, "{id}");
        }
        let recovery = df.column("recovery_month").unwrap().str().unwrap().clone();
        assert_eq!(recovery.get(0), Some("2025-04"));
        assert_eq!(recovery.get(1), None, "never left: no recovery month");
        let largest = df
            .column("largest_difference_relative")
            .unwrap()
            .f64()
            .unwrap()
            .clone();
        assert_eq!(largest.get(0), Some(-0.2));
        assert_eq!(largest.get(1), None);
    }

    #[test]
    fn a_loss_that_recovers() {
        // Down 20 % in month 2, back within 1 % from month 5.
        let reference = [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0];
        let run = [100.0, 99.5, 80.0, 90.0, 98.0, 99.2, 100.5];
        let s = stats(&run, &reference, Measure::Quantity);
        let largest = s.largest.unwrap();
        assert_eq!(largest.t, 2);
        assert!((largest.difference + 20.0).abs() < 1e-12);
        assert!((largest.relative.unwrap() + 0.2).abs() < 1e-12);
        assert!((s.cumulative - (-0.5 - 20.0 - 10.0 - 2.0 - 0.8 + 0.5)).abs() < 1e-9);
        assert!((s.cumulative_relative.unwrap() - s.cumulative / 700.0).abs() < 1e-15);
        // 99.5 and 99.2 are within 1 %; 80, 90 and 98 are not.
        assert_eq!(s.months_below, 3);
        assert_eq!(s.months_above, 0);
        assert_eq!((s.first_below, s.last_below), (Some(2), Some(4)));
        assert_eq!(s.recovery, Some(5));
        assert!(s.ends_within);
    }

    #[test]
    fn a_run_that_ends_above_never_recovers_and_one_that_never_left_needs_no_recovery() {
        let reference = [10.0, 10.0, 10.0, 10.0];
        let s = stats(&[10.0, 8.0, 10.0, 10.5], &reference, Measure::Quantity);
        assert_eq!((s.months_below, s.months_above), (1, 1));
        assert_eq!(s.recovery, None);
        assert!(!s.ends_within);
        assert_eq!(s.last_below, Some(1));

        let s = stats(
            &[10.0, 10.0625, 9.9375, 10.0],
            &reference,
            Measure::Quantity,
        );
        assert_eq!((s.months_below, s.months_above), (0, 0));
        assert_eq!((s.recovery, s.first_below), (None, None));
        assert!(s.ends_within);
        assert_eq!(s.largest.unwrap().t, 1, "ties go to the earlier month");

        let same = stats(&reference, &reference, Measure::Quantity);
        assert_eq!(same.largest, None);
        assert_eq!(same.cumulative, 0.0);
    }

    #[test]
    fn quantities_are_ranked_by_their_share_of_the_reference_others_by_size() {
        // A growing reference: −50 % early is the larger loss, though −100 late is more H100e.
        let reference = [10.0, 20.0, 1000.0];
        let run = [5.0, 20.0, 900.0];
        let q = stats(&run, &reference, Measure::Quantity);
        assert_eq!(q.largest.unwrap().t, 0);
        assert!((q.largest.unwrap().relative.unwrap() + 0.5).abs() < 1e-12);
        let l = stats(&run, &reference, Measure::Level);
        assert_eq!(l.largest.unwrap().t, 2);
        assert_eq!(l.largest.unwrap().difference, -100.0);
    }

    #[test]
    fn a_reference_of_zero_counts_any_difference_and_the_peak_counts_months() {
        // Stranded labs: none without the story; 80 for two months with it.
        let reference = [0.0, 0.0, 0.0, 0.0, 0.0];
        let run = [0.0, 80.0, 80.0, 3.0, 0.0];
        let s = stats(&run, &reference, Measure::Count);
        assert_eq!(s.months_above, 3);
        assert_eq!(s.recovery, Some(4));
        let largest = s.largest.unwrap();
        assert_eq!(
            (largest.t, largest.difference, largest.relative),
            (1, 80.0, None)
        );
        assert_eq!(s.cumulative_relative, None);
        assert_eq!(
            s.run_peak,
            Peak {
                value: 80.0,
                t: 1,
                months_above_zero: 3
            }
        );
        assert_eq!(s.reference_peak.months_above_zero, 0);
        // Shares: 1 % of a share near 0 is no threshold; 0.01 points is.
        let s = stats(&[0.0, 0.00005, 0.0003], &[0.0, 0.0, 0.0001], Measure::Share);
        assert_eq!(
            (s.months_above, s.recovery, s.ends_within),
            (1, None, false)
        );
        assert_eq!(s.largest.unwrap().t, 2);
        // A difference at the level of rounding is none.
        let s = stats(&[1.0, 1.0 + 1e-12], &[1.0, 1.0], Measure::Quantity);
        assert_eq!(s.largest, None);
    }
}

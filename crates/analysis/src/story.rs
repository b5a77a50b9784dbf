//! Stories against their counterfactual: what a story scenario claims (`[[scenario.expect]]`), measured
//! as paired differences from the same file without its own policies and triggers, run with the same
//! seed. The tests hold the shipped stories to their claims with this code, and `run`, `compare` and the
//! report tell the same numbers.

use crate::Outputs;
use crate::resources::EventKind;
use crate::scenario::{Aggregate, Direction, Expectation, Scenario};
use crate::tables::{Columns, GlobalColumns, NationColumns};
use polars::prelude::*;

/// The tables of a run that stories are measured on: `global`, `nations` and `events`.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    pub global: &'a DataFrame,
    pub nations: &'a DataFrame,
    pub events: &'a DataFrame,
}

impl<'a> From<&'a Outputs> for Tables<'a> {
    fn from(out: &'a Outputs) -> Self {
        Tables {
            global: &out.global,
            nations: &out.nations,
            events: &out.events,
        }
    }
}

/// The month (`t`) a story starts to act in a run: the first month one of its own policies — one its
/// counterfactual lacks or has otherwise — is in force, the first month one its counterfactual has and
/// it removed would have been, or the first a trigger of its own puts a policy in force. `None` when
/// nothing of its own came into force within the run.
pub fn story_start(story: &Scenario, counterfactual: &Scenario, out: &Outputs) -> Option<usize> {
    story_start_in(story, counterfactual, out.into())
}

/// [`story_start`] on a run's tables.
pub fn story_start_in(story: &Scenario, counterfactual: &Scenario, out: Tables) -> Option<usize> {
    let start = story.scenario.start;
    let months = story.scenario.months as i32;
    let scheduled = story
        .policy
        .iter()
        .filter(|p| !counterfactual.policy.contains(p))
        .map(|p| start.months_until(story.policy_start(p)).max(0));
    // A policy the story removes acts, by its absence, from when it would have been in force.
    let removed = counterfactual
        .policy
        .iter()
        .filter(|p| !story.policy.iter().any(|s| s.name == p.name))
        .filter(|p| p.end.is_none_or(|end| start.months_until(end) >= 0))
        .map(|p| start.months_until(counterfactual.policy_start(p)).max(0));
    let scheduled = scheduled.chain(removed);
    let own_triggers: Vec<&crate::scenario::Trigger> = story
        .trigger
        .iter()
        .filter(|t| !counterfactual.trigger.contains(t))
        .collect();
    // A trigger fires the month after the accusation it answers, and its policy is in force
    // `delay_months` after the accusation.
    let fired = trigger_events(out.events)
        .into_iter()
        .filter_map(|(t, actor)| {
            own_triggers
                .iter()
                .find(|tr| tr.name == actor)
                .map(|tr| t as i32 - 1 + tr.delay_months as i32)
        });
    scheduled
        .chain(fired)
        .filter(|&t| t < months)
        .min()
        .map(|t| t as usize)
}

/// `(t, actor)` of every `trigger_fired` event. The events table always has these columns (in every
/// detail; summary keeps no rows), so one missing is a bug to stop at, not a story with no triggers.
fn trigger_events(e: &DataFrame) -> Vec<(u32, String)> {
    let column = |name: &str| {
        e.column(name)
            .unwrap_or_else(|_| panic!("the events table has a `{name}` column"))
    };
    let (kind, t, actor) = (column("kind"), column("t"), column("actor"));
    let (kind, t, actor) = (
        kind.str().expect("events.kind is text"),
        t.u32().expect("events.t is a month index"),
        actor.str().expect("events.actor is text"),
    );
    kind.iter()
        .zip(t.iter())
        .zip(actor.iter())
        .filter(|((k, _), _)| *k == Some(EventKind::TriggerFired.as_str()))
        .filter_map(|((_, t), a)| Some((t?, a?.to_string())))
        .collect()
}

/// A metric's monthly series: a column of the global table, or, with `nations`, the sum (or mean) over
/// those nations of a column of the nations table.
pub fn series(
    out: &Outputs,
    metric: &str,
    nations: &[String],
    aggregate: Aggregate,
) -> Result<Vec<f64>, String> {
    series_in(out.into(), metric, nations, aggregate)
}

/// [`series`] on a run's tables.
pub fn series_in(
    out: Tables,
    metric: &str,
    nations: &[String],
    aggregate: Aggregate,
) -> Result<Vec<f64>, String> {
    let numbers = |c: &Column| -> Result<Vec<f64>, String> {
        let c = c
            .cast(&DataType::Float64)
            .map_err(|e| format!("`{metric}` is not numeric: {e}"))?;
        Ok(c.f64()
            .map_err(|e| e.to_string())?
            .into_no_null_iter()
            .collect())
    };
    if nations.is_empty() {
        let c = out
            .global
            .column(metric)
            .map_err(|_| format!("no column `{metric}` in the global table"))?;
        return numbers(c);
    }
    let months = out.global.height();
    let mut total = vec![0.0; months];
    let names = out
        .nations
        .column("nation")
        .and_then(|c| c.cast(&DataType::String))
        .map_err(|e| e.to_string())?;
    let names = names.str().map_err(|e| e.to_string())?;
    let t = out
        .nations
        .column("t")
        .map_err(|e| e.to_string())?
        .u32()
        .map_err(|e| e.to_string())?
        .clone();
    let values = numbers(
        out.nations
            .column(metric)
            .map_err(|_| format!("no column `{metric}` in the nations table"))?,
    )?;
    for ((name, t), v) in names.iter().zip(t.iter()).zip(values) {
        if let (Some(name), Some(t)) = (name, t)
            && nations.iter().any(|n| n == name)
        {
            total[t as usize] += v;
        }
    }
    if aggregate == Aggregate::Mean {
        for x in total.iter_mut() {
            *x /= nations.len() as f64;
        }
    }
    Ok(total)
}

/// The months (`t`, inclusive) an expectation is judged over, for a run whose story started in month
/// `start`: `from`/`to` where given, else from the start for `months` months, or to the end of the run.
pub fn window(e: &Expectation, scenario: &Scenario, start: usize) -> (usize, usize) {
    let first = scenario.scenario.start;
    let last = scenario.scenario.months as usize - 1;
    let month = |m: crate::month::YearMonth| first.months_until(m).clamp(0, last as i32) as usize;
    let from = e.from.map_or(start, month);
    let to = match (e.to, e.months) {
        (Some(to), _) => month(to),
        (None, Some(n)) => (from + n as usize).saturating_sub(1).min(last),
        (None, None) => last,
    };
    (from, to.max(from))
}

/// The effect an expectation claims, in a pair of runs with the same seed: the mean over the window of
/// story minus counterfactual (as a share of the counterfactual's mean when `relative`), signed so that
/// a positive number goes the claimed way.
pub fn effect(
    e: &Expectation,
    story: &Outputs,
    counterfactual: &Outputs,
    window: (usize, usize),
) -> Result<f64, String> {
    effect_in(e, story.into(), counterfactual.into(), window)
}

/// [`effect`] on two runs' tables.
pub fn effect_in(
    e: &Expectation,
    story: Tables,
    counterfactual: Tables,
    (from, to): (usize, usize),
) -> Result<f64, String> {
    let a = series_in(story, &e.metric, &e.nations, e.aggregate)?;
    let b = series_in(counterfactual, &e.metric, &e.nations, e.aggregate)?;
    if to >= a.len().min(b.len()) {
        return Err(format!(
            "the window ends in month {to}, beyond the runs' {} and {} months",
            a.len(),
            b.len()
        ));
    }
    let n = (to - from + 1) as f64;
    let mean = |x: &[f64]| x[from..=to].iter().sum::<f64>() / n;
    let (ma, mb) = (mean(&a), mean(&b));
    let diff = if e.relative {
        if mb.abs() > 0.0 {
            (ma - mb) / mb.abs()
        } else {
            0.0
        }
    } else {
        ma - mb
    };
    Ok(match e.direction {
        Direction::Higher => diff,
        Direction::Lower => -diff,
    })
}

/// Mean and standard error of a sample.
pub fn mean_and_error(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// A story's expectation judged on one pair of runs (the story and its counterfactual, one seed).
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub expectation: Expectation,
    /// The months (`t`, inclusive) it is judged over; `None` when the story never acted in the run.
    pub window: Option<(usize, usize)>,
    /// The effect, signed so that a positive number goes the claimed way (a share of the
    /// counterfactual's mean when the expectation is `relative`).
    pub effect: Option<f64>,
    /// Why it could not be judged, when it could not.
    pub problem: Option<String>,
}

impl Judgement {
    /// Whether the effect reaches the claimed minimum; `None` when it could not be judged. (One seed:
    /// `tests/stories.rs` holds the shipped stories to their claims over several.)
    pub fn met(&self) -> Option<bool> {
        self.effect.map(|e| e >= self.expectation.min_effect)
    }

    /// [`Judgement::met`] in words.
    pub fn verdict(&self) -> &'static str {
        match self.met() {
            Some(true) => "met",
            Some(false) => "not met",
            None => "not judged",
        }
    }
}

/// The month (`t`) the story started to act in `story`'s run, and each of its expectations judged
/// against the counterfactual's run with the same seed.
pub fn judge(
    story: &Scenario,
    counterfactual: &Scenario,
    a: Tables,
    b: Tables,
) -> (Option<usize>, Vec<Judgement>) {
    let start = story_start_in(story, counterfactual, a);
    let judged = story
        .scenario
        .expect
        .iter()
        .map(|e| {
            let Some(start) = start else {
                return Judgement {
                    expectation: e.clone(),
                    window: None,
                    effect: None,
                    problem: Some("the story did not act within the run".into()),
                };
            };
            let w = window(e, story, start);
            match effect_in(e, a, b, w) {
                Ok(x) => Judgement {
                    expectation: e.clone(),
                    window: Some(w),
                    effect: Some(x),
                    problem: None,
                },
                Err(problem) => Judgement {
                    expectation: e.clone(),
                    window: Some(w),
                    effect: None,
                    problem: Some(problem),
                },
            }
        })
        .collect();
    (start, judged)
}

/// The expectations whose metric no run records (a misspelt column), as (key path, what was expected):
/// `validate` and `run` refuse them before anything runs, rather than a story judged "not judged".
pub fn unknown_metrics(scenario: &Scenario) -> Vec<(String, String)> {
    let blocs: Vec<String> = scenario.bloc.iter().map(|b| b.id.clone()).collect();
    let global = GlobalColumns::names(&blocs);
    let nations = NationColumns::names(&blocs);
    let mut problems = Vec::new();
    for (i, e) in scenario.scenario.expect.iter().enumerate() {
        let known: &[String] = if e.nations.is_empty() {
            &global
        } else {
            &nations
        };
        if known.contains(&e.metric) {
            continue;
        }
        let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = crate::scenario::did_you_mean(&e.metric, &candidates)
            .map_or_else(String::new, |c| format!("; did you mean `{c}`?"));
        problems.push((
            format!("scenario.expect[{i}].metric"),
            format!(
                "no run records `{}` as a {} column{hint}",
                crate::scenario::text::printable(&e.metric),
                if e.nations.is_empty() {
                    "global"
                } else {
                    "nations"
                }
            ),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(global: DataFrame, events: DataFrame) -> (DataFrame, DataFrame, DataFrame) {
        let nations = df!(
            "nation" => ["KE", "BR", "KE", "BR", "KE", "BR"],
            "t" => [0u32, 0, 1, 1, 2, 2],
            "compute_h100e" => [10.0, 20.0, 10.0, 20.0, 10.0, 20.0],
        )
        .unwrap();
        (global, nations, events)
    }

    fn no_events() -> DataFrame {
        df!(
            "kind" => Vec::<&str>::new(),
            "t" => Vec::<u32>::new(),
            "actor" => Vec::<&str>::new()
        )
        .unwrap()
    }

    #[test]
    fn expectations_are_judged_from_the_story_start_on_both_runs() {
        let sets = crate::scenario::Override::parse_all(&["scenario.months=3"]);
        let files = crate::scenario::Files::read("alibaba-ban").unwrap();
        let mut story = files.base().unwrap().load(&sets).unwrap().scenario;
        let counterfactual = files
            .counterfactual()
            .unwrap()
            .unwrap()
            .load(&sets)
            .unwrap()
            .scenario;
        story.scenario.expect.truncate(1);
        story.scenario.expect[0].months = Some(2);
        // The trigger fires in month 1, answering an accusation of month 0: its ban is in force from
        // month 0 + delay_months (2).
        let events =
            df!("kind" => ["trigger_fired"], "t" => [1u32], "actor" => ["board-ban"]).unwrap();
        let (g, n, e) = tables(df!("t" => [0u32, 1, 2]).unwrap(), events);
        let mut lower = n.clone();
        lower
            .with_column(Column::new(
                "compute_h100e".into(),
                [10.0, 20.0, 10.0, 20.0, 9.0, 18.0],
            ))
            .unwrap();
        let a = Tables {
            global: &g,
            nations: &lower,
            events: &e,
        };
        let b = Tables {
            global: &g,
            nations: &n,
            events: &no_events(),
        };
        let (start, judged) = judge(&story, &counterfactual, a, b);
        assert_eq!(start, Some(2));
        assert_eq!(
            judged[0].window,
            Some((2, 2)),
            "two months, cut at the run's end"
        );
        // KE + BR: 27 against 30, 10 % lower.
        assert!((judged[0].effect.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(judged[0].met(), Some(true));

        // Without the trigger's event nothing of the story acted: nothing is judged.
        let a = Tables {
            events: b.events,
            ..a
        };
        let (start, judged) = judge(&story, &counterfactual, a, b);
        assert_eq!(start, None);
        assert_eq!(judged[0].met(), None);
        assert!(
            judged[0]
                .problem
                .as_deref()
                .unwrap()
                .contains("did not act")
        );
    }
}

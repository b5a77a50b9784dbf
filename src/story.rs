//! Stories against their counterfactual: what a story scenario claims (`[[scenario.expect]]`), measured
//! as paired differences from the same file without its own policies and triggers, run with the same
//! seed. The tests hold the shipped stories to their claims with this code, and `run`, `compare` and the
//! report tell the same numbers.

use crate::Outputs;
use crate::scenario::{Aggregate, Direction, Expectation, Scenario};
use polars::prelude::*;

/// The month (`t`) a story starts to act in a run: the first month one of its own policies — one its
/// counterfactual lacks or has otherwise — is in force, or the first a trigger of its own puts a policy
/// in force. `None` when nothing of its own came into force within the run.
pub fn story_start(story: &Scenario, counterfactual: &Scenario, out: &Outputs) -> Option<usize> {
    let start = story.scenario.start;
    let months = story.scenario.months as i32;
    let scheduled = story
        .policy
        .iter()
        .filter(|p| !counterfactual.policy.contains(p))
        .map(|p| start.months_until(story.policy_start(p)).max(0));
    let own_triggers: Vec<&crate::scenario::Trigger> = story
        .trigger
        .iter()
        .filter(|t| !counterfactual.trigger.contains(t))
        .collect();
    let fired = trigger_events(out).into_iter().filter_map(|(t, actor)| {
        own_triggers
            .iter()
            .find(|tr| tr.name == actor)
            .map(|tr| t as i32 + tr.delay_months as i32)
    });
    scheduled
        .chain(fired)
        .filter(|&t| t < months)
        .min()
        .map(|t| t as usize)
}

/// `(t, actor)` of every `trigger_fired` event.
fn trigger_events(out: &Outputs) -> Vec<(u32, String)> {
    let e = &out.events;
    let (Ok(kind), Ok(t), Ok(actor)) = (e.column("kind"), e.column("t"), e.column("actor")) else {
        return Vec::new();
    };
    let (Ok(kind), Ok(t), Ok(actor)) = (kind.str(), t.u32(), actor.str()) else {
        return Vec::new();
    };
    kind.iter()
        .zip(t.iter())
        .zip(actor.iter())
        .filter(|((k, _), _)| *k == Some("trigger_fired"))
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
    (from, to): (usize, usize),
) -> Result<f64, String> {
    let a = series(story, &e.metric, &e.nations, e.aggregate)?;
    let b = series(counterfactual, &e.metric, &e.nations, e.aggregate)?;
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

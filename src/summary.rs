//! The short table `run` prints at the end: the key metrics of the final month.

use crate::tables::Outputs;
use polars::prelude::*;
use std::fmt::Write;

fn last_f64(frame: &DataFrame, column: &str) -> Option<f64> {
    let c = frame.column(column).ok()?;
    let n = c.len();
    if n == 0 {
        return None;
    }
    match c.dtype() {
        DataType::Float64 => c.f64().ok()?.get(n - 1),
        DataType::UInt32 => c.u32().ok()?.get(n - 1).map(f64::from),
        _ => None,
    }
}

/// Key numbers of the final month, formatted as a two-column table.
pub fn final_month(outputs: &Outputs, blocs: &[String], focus: &[String]) -> String {
    let g = &outputs.global;
    let mut rows: Vec<(String, String)> = Vec::new();
    let month = g
        .column("month")
        .ok()
        .and_then(|c| c.cast(&DataType::String).ok())
        .and_then(|c| {
            c.str()
                .ok()
                .and_then(|s| s.get(s.len().saturating_sub(1)).map(str::to_string))
        })
        .unwrap_or_default();
    let num = |c: &str, digits: usize| {
        last_f64(g, c).map_or("–".to_string(), |x| format!("{x:.digits$}"))
    };
    rows.push(("bifurcation index".into(), num("bifurcation_index", 3)));
    rows.push(("cross-bloc share".into(), num("cross_bloc_share", 3)));
    rows.push((
        "capability gap".into(),
        format!(
            "{} OOM ({} months)",
            num("capability_gap_oom", 2),
            num("capability_lag_months", 1)
        ),
    ));
    for b in blocs {
        let share = last_f64(g, &format!("compute_share_{b}")).unwrap_or(0.0);
        rows.push((
            format!("compute share, {b}"),
            format!("{:.1} %", 100.0 * share),
        ));
    }
    rows.push(("unmet demand share".into(), num("unmet_share", 3)));
    rows.push(("stranded labs".into(), num("stranded_labs", 0)));
    rows.push((
        "smuggled this month (H100e)".into(),
        num("smuggled_h100e", 0),
    ));
    rows.push((
        "installed compute (H100e)".into(),
        num("installed_h100e", 0),
    ));

    // Focus nations: H100e per 1000 people in the final month.
    let n = &outputs.nations;
    if let (Ok(nation), Ok(t), Ok(pc)) = (
        n.column("nation").and_then(|c| c.cast(&DataType::String)),
        n.column("t"),
        n.column("compute_per_capita"),
    ) && let (Ok(nation), Ok(t), Ok(pc)) = (nation.str(), t.u32(), pc.f64())
    {
        {
            let last_t = t.max().unwrap_or(0);
            for f in focus {
                let value = (0..n.height())
                    .find(|&i| t.get(i) == Some(last_t) && nation.get(i) == Some(f.as_str()))
                    .and_then(|i| pc.get(i));
                if let Some(v) = value {
                    rows.push((
                        format!("{f}: H100e per 1000 people"),
                        format!("{:.3}", v * 1000.0),
                    ));
                }
            }
        }
    }

    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "final month {month}");
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<width$}  {v}");
    }
    out
}

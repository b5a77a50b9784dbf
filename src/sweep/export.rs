//! `sweep export`: a sweep as one flat table for scenario discovery (EMA Workbench's PRIM and feature
//! scoring, pandas, a spreadsheet): the inputs, one column per parameter named by its `--set` key path
//! (key paths always hold a dot; outcome columns never do), then the summary outcomes — one row per
//! design point (the mean over its successful replicates) or one per run.
//!
//! The inputs of a per-point export are a valid points file for `design = "file"`, so a region that
//! PRIM finds can be sampled again.

use super::dataset::{self, Plan};
use anyhow::{Context, Result, bail};
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One row per design point, or one per run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Per {
    /// One row per design point: `point`, the inputs, `runs` (successful replicates) and each outcome's
    /// mean over them (empty where none succeeded).
    #[default]
    Point,
    /// One row per run: `run_id`, `point`, `replicate`, `seed`, `status`, the inputs and the outcomes
    /// (empty for failed runs).
    Run,
}

/// The input column of each parameter: its key path; its dataset column where two share a key.
pub fn input_columns(plan: &Plan) -> Vec<String> {
    let keys: Vec<&str> = plan
        .spec
        .parameters
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    plan.spec
        .parameters
        .iter()
        .map(|p| {
            if keys.iter().filter(|k| **k == p.key).count() > 1 {
                p.column()
            } else {
                p.key.clone()
            }
        })
        .collect()
}

/// The sweep in `dir` (the `--out` of `sweep run`, or its `sweep=NAME` folder) as one flat table.
pub fn table(dir: &Path, per: Per) -> Result<DataFrame> {
    let sweep = dataset::locate(dir)?;
    let plan = Plan::read(&sweep)?;
    let frame = dataset::read_all(&sweep)?;
    let inputs = input_columns(&plan);
    let outcomes: Vec<&String> = plan
        .summary_columns
        .iter()
        .filter(|c| frame.column(c).is_ok())
        .collect();
    let mut columns: Vec<Column> = Vec::new();
    match per {
        Per::Run => {
            for c in ["run_id", "point", "replicate", "seed", "status"] {
                columns.push(frame.column(c)?.clone());
            }
            for (p, name) in plan.spec.parameters.iter().zip(&inputs) {
                let mut c = frame.column(&p.column())?.clone();
                c.rename(name.as_str().into());
                columns.push(c);
            }
            for o in &outcomes {
                columns.push(frame.column(o)?.cast(&DataType::Float64)?);
            }
        }
        Per::Point => {
            let points = plan.points as usize;
            let point = frame.column("point")?.u64()?;
            let status = frame.column("status")?.str()?;
            // The first row of each point carries its inputs (every replicate has the same).
            let mut first: Vec<Option<usize>> = vec![None; points];
            let mut ok = vec![0u32; points];
            for (i, (p, s)) in point.iter().zip(status.iter()).enumerate() {
                let Some(p) = p.map(|p| p as usize).filter(|&p| p < points) else {
                    bail!("{}: row {i} has no valid point", sweep.display());
                };
                first[p].get_or_insert(i);
                if s == Some("ok") {
                    ok[p] += 1;
                }
            }
            let rows: Vec<usize> = first.iter().flatten().copied().collect();
            let present: Vec<u64> = (0..points as u64)
                .filter(|&p| first[p as usize].is_some())
                .collect();
            let idx = IdxCa::from_vec(
                "idx".into(),
                rows.iter().map(|&r| r as IdxSize).collect::<Vec<_>>(),
            );
            columns.push(Column::new("point".into(), present.clone()));
            for (p, name) in plan.spec.parameters.iter().zip(&inputs) {
                let mut c = frame.column(&p.column())?.take(&idx)?;
                c.rename(name.as_str().into());
                columns.push(c);
            }
            columns.push(Column::new(
                "runs".into(),
                present
                    .iter()
                    .map(|&p| ok[p as usize])
                    .collect::<Vec<u32>>(),
            ));
            for o in &outcomes {
                let y = frame.column(o)?.cast(&DataType::Float64)?;
                let y = y.f64()?;
                let mut sum = vec![0.0; points];
                let mut n = vec![0u32; points];
                for ((p, s), v) in point.iter().zip(status.iter()).zip(y.iter()) {
                    if let (Some(p), Some("ok"), Some(v)) = (p, s, v)
                        && v.is_finite()
                    {
                        sum[p as usize] += v;
                        n[p as usize] += 1;
                    }
                }
                let means: Vec<Option<f64>> = present
                    .iter()
                    .map(|&p| {
                        let p = p as usize;
                        (n[p] > 0).then(|| sum[p] / n[p] as f64)
                    })
                    .collect();
                columns.push(Column::new(o.as_str().into(), means));
            }
        }
    }
    let height = columns.first().map_or(0, Column::len);
    Ok(DataFrame::new(height, columns)?)
}

/// The default export file: `_export-NAME.csv` beside the sweep's folder (readers of the dataset skip
/// `_`-prefixed files).
pub fn default_path(dir: &Path) -> Result<PathBuf> {
    let sweep = dataset::locate(dir)?;
    let plan = Plan::read(&sweep)?;
    let root = sweep.parent().unwrap_or(Path::new("."));
    Ok(root.join(format!("_export-{}.csv", plan.sweep)))
}

/// Writes `frame` as CSV or Parquet, by `path`'s extension.
pub fn write(frame: &DataFrame, path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    match ext.as_str() {
        "csv" => crate::fsutil::write_atomic(path, to_csv(frame)?.as_bytes()),
        "parquet" => crate::output::write_parquet(path, frame),
        _ => bail!(
            "{}: the export is written as .csv or .parquet, not `.{ext}`",
            path.display()
        ),
    }
}

/// The frame as CSV (RFC 4180): a header, numbers as Rust prints them (shortest round-trip form), empty
/// fields for missing values, text quoted where it must be.
pub fn to_csv(frame: &DataFrame) -> Result<String> {
    fn quote(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) || s != s.trim() {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    dataset::delimited(frame, ",", quote, |v| match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(x) if !x.is_finite() => String::new(),
        AnyValue::Float64(x) => format!("{x:?}"),
        AnyValue::Float32(x) => format!("{x:?}"),
        AnyValue::String(s) => quote(s),
        AnyValue::StringOwned(s) => quote(&s),
        AnyValue::Boolean(b) => b.to_string(),
        v => quote(&v.to_string()),
    })
}

/// The outcome columns of an export: every column that is not an input (no dot) nor an id.
pub fn outcome_columns(frame: &DataFrame) -> Vec<String> {
    let ids: BTreeSet<&str> = ["point", "runs", "run_id", "replicate", "seed", "status"]
        .into_iter()
        .collect();
    frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| !c.contains('.') && !ids.contains(c.as_str()))
        .collect()
}

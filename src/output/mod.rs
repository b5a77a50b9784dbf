//! Writing a run to disk: the Parquet tables and `manifest.json` — and whatever else the caller adds
//! (the CLI adds the charts and the report) — all in a staging folder beside the destination that is
//! moved into place only when everything is written and on disk, so a failed or interrupted run never
//! leaves a half-written result, and two runs writing one folder never replace each other
//! ([`crate::fsutil`]).

mod manifest;
mod parquet;

pub use manifest::Manifest;
pub use parquet::{RowGroupCache, read_parquet, write_parquet, write_parquet_files};

use crate::fsutil::{self, Staging};
use crate::tables::Outputs;
use anyhow::Result;
use std::path::Path;

/// The folder inside a story's run folder that holds its counterfactual: the same file without its own
/// policies and triggers, run with the same seed (`global.parquet`, `nations.parquet`, `manifest.json`).
pub const COUNTERFACTUAL_DIR: &str = "counterfactual";

/// Fails unless `dir` may be written: it must not exist, or `force` must be given and `dir` must be a
/// fracture result (see [`fsutil::check_destination`]).
pub fn check_destination(dir: &Path, force: bool) -> Result<()> {
    fsutil::check_destination(dir, force)
}

/// Writes the tables and the manifest to `dir` atomically, replacing an existing result if `force`.
pub fn write_run(dir: &Path, outputs: &Outputs, manifest: &Manifest, force: bool) -> Result<()> {
    write_run_with(dir, outputs, manifest, force, None, |_| Ok(()))
}

/// As [`write_run`], taking the row groups `cache` has encoded already, and `extra` writes more files
/// into the staging folder (its argument) before the folder is moved into place; if `extra` fails,
/// nothing appears at `dir`. The folder appears whole or not at all, and never replaces what another
/// process wrote at `dir` meanwhile ([`fsutil::Staging`]).
pub fn write_run_with(
    dir: &Path,
    outputs: &Outputs,
    manifest: &Manifest,
    force: bool,
    cache: Option<&RowGroupCache>,
    extra: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let staging = Staging::new(dir, force)?;
    let files: Vec<_> = outputs
        .tables()
        .into_iter()
        .map(|(name, frame)| (name, staging.path().join(format!("{name}.parquet")), frame))
        .collect();
    write_parquet_files(&files, cache)?;
    let json = serde_json::to_string_pretty(manifest)?;
    fsutil::write_atomic(
        &staging.path().join("manifest.json"),
        (json + "\n").as_bytes(),
    )?;
    extra(staging.path())?;
    staging.install()
}

/// Writes a story's counterfactual into `dir` (created; inside a run's staging folder): the tables a
/// comparison needs, `global` and `nations`, and its manifest.
pub fn write_counterfactual(dir: &Path, outputs: &Outputs, manifest: &Manifest) -> Result<()> {
    std::fs::create_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let files = [
        ("global", dir.join("global.parquet"), &outputs.global),
        ("nations", dir.join("nations.parquet"), &outputs.nations),
    ];
    write_parquet_files(&files, None)?;
    let json = serde_json::to_string_pretty(manifest)?;
    fsutil::write_atomic(&dir.join("manifest.json"), (json + "\n").as_bytes())
}

/// Fails if any number in the tables is NaN or infinite, naming the first: its table and column, the
/// month and the entity of the row. A run whose arithmetic overflowed (the bounds on inputs make it
/// rare, but combinations of extreme values can still) is refused rather than written or summarised.
pub fn check_finite(outputs: &Outputs) -> Result<()> {
    use polars::prelude::*;
    for (table, frame) in outputs.tables() {
        for column in frame.columns() {
            let Ok(values) = column.f64() else {
                continue;
            };
            let Some(row) = values
                .iter()
                .position(|x| x.is_some_and(|x| !x.is_finite()))
            else {
                continue;
            };
            let cell = |name: &str| -> Option<String> {
                let c = frame.column(name).ok()?.cast(&DataType::String).ok()?;
                c.str().ok()?.get(row).map(str::to_string)
            };
            let value = values.get(row).unwrap_or(f64::NAN);
            let entity: Vec<String> = ["lab", "nation", "provider"]
                .into_iter()
                .filter_map(|k| cell(k).map(|v| format!("{k} {v}")))
                .collect();
            anyhow::bail!(
                "the run produced {value} for `{table}.{}` in month {}{}: the model's arithmetic \
                 overflowed; some input is beyond the range the model handles (nothing was written)",
                column.name(),
                cell("month").unwrap_or_else(|| "?".into()),
                if entity.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", entity.join(", "))
                }
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn outputs(providers: DataFrame) -> Outputs {
        let empty = DataFrame::empty();
        Outputs {
            global: df!("month" => ["2025-01"], "t" => [0u32], "x" => [1.0]).unwrap(),
            nations: empty.clone(),
            labs: empty.clone(),
            providers,
            usage: empty.clone(),
            fabs: empty.clone(),
            events: empty,
        }
    }

    #[test]
    fn a_non_finite_number_is_named_with_its_table_column_month_and_entity() {
        let fine = df!(
            "month" => ["2025-01", "2025-02"],
            "provider" => ["aws", "aws"],
            "requested_h100e" => [1.0, 2.0]
        )
        .unwrap();
        assert!(check_finite(&outputs(fine)).is_ok());
        let overflowed = df!(
            "month" => ["2025-01", "2025-02"],
            "provider" => ["aws", "azure"],
            "requested_h100e" => [1.0, f64::INFINITY]
        )
        .unwrap();
        let e = check_finite(&outputs(overflowed)).unwrap_err().to_string();
        assert!(
            e.contains("inf for `providers.requested_h100e` in month 2025-02 (provider azure)"),
            "{e}"
        );
    }
}

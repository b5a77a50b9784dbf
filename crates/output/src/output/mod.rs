//! Writing a run to disk: the Parquet tables and `manifest.json` — and whatever else the caller adds
//! (the CLI adds the charts and the report) — all in a staging folder beside the destination that is
//! moved into place only when everything is written and on disk, so a failed or interrupted run never
//! leaves a half-written result, and two runs writing one folder never replace each other
//! ([`crate::fsutil`]).

pub mod frames;
mod manifest;
mod pages;
mod parquet;
mod simulate;

pub use frames::Outputs;
pub use manifest::Manifest;
pub use parquet::{
    MAX_ROW_GROUP_ROWS, ParquetFile, parquet_schema, read_parquet, write_parquet,
    write_parquet_files,
};
pub use simulate::{LargeTables, simulate, simulate_into, simulate_with, simulate_with_progress};

use crate::fsutil::{self, Staging};
use crate::scenario::Scenario;
use crate::tables::{Recording, Table};
use anyhow::Result;
use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use std::path::{Path, PathBuf};

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
    write_run_with(dir, outputs, manifest, force, |_| Ok(()))
}

/// As [`write_run`], and `extra` writes more files into the staging folder (its argument) before the
/// folder is moved into place; if `extra` fails, nothing appears at `dir`. The folder appears whole or
/// not at all, and never replaces what another process wrote at `dir` meanwhile ([`fsutil::Staging`]).
pub fn write_run_with(
    dir: &Path,
    outputs: &Outputs,
    manifest: &Manifest,
    force: bool,
    extra: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let staging = Staging::new(dir, force)?;
    finish_run(staging, outputs, &[], manifest, extra)
}

/// Writes the tables of `outputs` but those already written (`streamed`), the manifest and `extra`'s
/// files into `staging`, and installs it.
fn finish_run(
    staging: Staging,
    outputs: &Outputs,
    streamed: &[&str],
    manifest: &Manifest,
    extra: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let files: Vec<(PathBuf, &DataFrame)> = outputs
        .tables()
        .into_iter()
        .filter(|(name, _)| !streamed.contains(name))
        .map(|(name, frame)| (staging.path().join(format!("{name}.parquet")), frame))
        .collect();
    write_parquet_files(&files)?;
    extra(staging.path())?;
    // The manifest last, recording every entry of the folder and its tables' hashes (what `--force`
    // checks before it replaces the folder).
    write_manifest(staging.path(), manifest)?;
    staging.install()
}

/// Writes `manifest` into the result folder `dir` with the entries `dir` holds and the hashes of its
/// tables ([`fsutil::record_folder`]): the last file a result's writer writes.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let mut json = serde_json::to_value(manifest)?;
    fsutil::record_folder(dir, &mut json)?;
    let text = serde_json::to_string_pretty(&json)?;
    fsutil::write_atomic(&dir.join("manifest.json"), (text + "\n").as_bytes())
}

/// Writes a story's counterfactual into `dir` (created; inside a run's staging folder): the tables a
/// comparison needs, `global` and `nations`, and its manifest.
pub fn write_counterfactual(dir: &Path, outputs: &Outputs, manifest: &Manifest) -> Result<()> {
    std::fs::create_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    write_parquet_files(&[
        (dir.join("global.parquet"), &outputs.global),
        (dir.join("nations.parquet"), &outputs.nations),
    ])?;
    let json = serde_json::to_string_pretty(manifest)?;
    fsutil::write_atomic(&dir.join("manifest.json"), (json + "\n").as_bytes())
}

/// A run simulated into a staging folder beside its destination, as `fracture run` does it: the
/// large tables, `labs` and `usage`, were written there as the months ran, a Parquet row group per
/// chunk of months, so the run never held more than a chunk or two of their rows. [`StagedRun::install`]
/// writes the rest and moves the folder into place; dropped, the staging folder is removed.
pub struct StagedRun {
    staging: Staging,
    /// The run's tables; `labs` and `usage` without rows (they are in the staging folder).
    pub outputs: Outputs,
}

/// The tables [`simulate_to`] writes as the months run.
const STREAMED: [&str; 2] = ["labs", "usage"];

/// Simulates `scenario` with `seed` into a staging folder beside `dir` (checked as
/// [`check_destination`] does), writing the large tables as the months run. Every chunk is checked for
/// numbers that are not finite before it is written: such a run fails naming the first, and writes
/// nothing.
pub fn simulate_to(
    dir: &Path,
    force: bool,
    scenario: &Scenario,
    seed: u64,
    recording: impl Into<Recording>,
    on_month: impl FnMut(u32),
) -> Result<StagedRun> {
    let staging = Staging::new(dir, force)?;
    let month_labels: Vec<String> = (0..scenario.scenario.months)
        .map(|m| scenario.scenario.start.plus(m as i32).to_string())
        .collect();
    let mut files: Vec<(&'static str, ParquetFile)> = Vec::new();
    let mut write = |table: &'static str, rows: Table| -> Result<()> {
        let schema = frames::schema(&rows);
        let arrays = frames::arrays(rows)?;
        check_finite_arrays(table, &arrays, &month_labels)?;
        let file = match files.iter().position(|(name, _)| *name == table) {
            Some(i) => &mut files[i].1,
            None => {
                let path = staging.path().join(format!("{table}.parquet"));
                files.push((table, ParquetFile::create(&path, &schema)?));
                &mut files.last_mut().expect("just pushed").1
            }
        };
        let columns: Vec<ArrayRef> = arrays.columns.into_iter().map(|(_, a)| a).collect();
        file.write(arrays.rows, &columns)
    };
    let outputs = crate::simulate_into(
        scenario,
        seed,
        recording,
        on_month,
        LargeTables::Stream(&mut write),
    )?;
    for (_, file) in files {
        file.finish()?;
    }
    Ok(StagedRun { staging, outputs })
}

impl StagedRun {
    /// The staging folder.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Writes the small tables, the manifest and `extra`'s files (given the staging folder) and moves
    /// the folder into place ([`fsutil::Staging::install`]).
    pub fn install(
        self,
        manifest: &Manifest,
        extra: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        finish_run(self.staging, &self.outputs, &STREAMED, manifest, extra)
    }
}

/// The columns that name a row's entity, in the order they are reported.
const ENTITY_COLUMNS: [&str; 5] = ["population", "member", "lab", "nation", "provider"];

/// A string or number cell of an Arrow column, as text.
fn cell_text(array: &dyn Array, row: usize) -> Option<String> {
    if let Some(d) = array.as_any().downcast_ref::<DictionaryArray<u32>>() {
        let words: &Utf8ViewArray = d.values().as_any().downcast_ref()?;
        return Some(words.value(d.keys().value(row) as usize).to_string());
    }
    if let Some(s) = array.as_any().downcast_ref::<Utf8ViewArray>() {
        return Some(s.value(row).to_string());
    }
    array
        .as_any()
        .downcast_ref::<PrimitiveArray<u32>>()
        .map(|n| n.value(row).to_string())
}

/// The first value that is NaN or infinite, if any. Blocks of values are tested without branching (a
/// value is not finite when its exponent bits are all ones), so the test runs at memory speed over the
/// labs table's every chunk; only a block with such a value is searched.
fn first_non_finite(values: &[f64]) -> Option<usize> {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    const BLOCK: usize = 256;
    for (k, block) in values.chunks(BLOCK).enumerate() {
        let any = block.iter().fold(0u64, |a, x| {
            a | u64::from(x.to_bits() & EXPONENT == EXPONENT)
        });
        if any != 0 {
            return block
                .iter()
                .position(|x| !x.is_finite())
                .map(|i| k * BLOCK + i);
        }
    }
    None
}

/// [`check_finite`] for a chunk of a table about to be written.
fn check_finite_arrays(
    table: &str,
    arrays: &frames::Arrays,
    month_labels: &[String],
) -> Result<()> {
    for (name, array) in &arrays.columns {
        let Some(values) = array.as_any().downcast_ref::<PrimitiveArray<f64>>() else {
            continue;
        };
        let Some(row) = first_non_finite(values.values()) else {
            continue;
        };
        let column = |wanted: &str| {
            arrays
                .columns
                .iter()
                .find(|(n, _)| n == wanted)
                .and_then(|(_, a)| cell_text(a.as_ref(), row))
        };
        let month = column("t")
            .and_then(|t| t.parse::<usize>().ok())
            .and_then(|t| month_labels.get(t).cloned());
        let entity: Vec<String> = ENTITY_COLUMNS
            .into_iter()
            .filter_map(|k| column(k).map(|v| format!("{k} {v}")))
            .collect();
        return Err(not_finite(
            values.value(row),
            table,
            name,
            month.as_deref(),
            &entity,
        ));
    }
    Ok(())
}

fn not_finite(
    value: f64,
    table: &str,
    column: &str,
    month: Option<&str>,
    entity: &[String],
) -> anyhow::Error {
    anyhow::anyhow!(
        "the run produced {value} for `{table}.{column}` in month {}{}: the model's arithmetic \
         overflowed; some input is beyond the range the model handles (nothing was written)",
        month.unwrap_or("?"),
        if entity.is_empty() {
            String::new()
        } else {
            format!(" ({})", entity.join(", "))
        }
    )
}

/// Fails if any number in the tables is NaN or infinite, naming the first: its table and column, the
/// month and the entity of the row. A run whose arithmetic overflowed (the bounds on inputs make it
/// rare, but combinations of extreme values can still) is refused rather than written or summarised.
pub fn check_finite(outputs: &Outputs) -> Result<()> {
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
            let entity: Vec<String> = ENTITY_COLUMNS
                .into_iter()
                .filter_map(|k| cell(k).map(|v| format!("{k} {v}")))
                .collect();
            return Err(not_finite(
                value,
                table,
                column.name(),
                cell("month").as_deref(),
                &entity,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(providers: DataFrame) -> Outputs {
        let empty = DataFrame::empty();
        Outputs {
            global: df!("month" => ["2025-01"], "t" => [0u32], "x" => [1.0]).unwrap(),
            nations: empty.clone(),
            labs: empty.clone(),
            providers,
            usage: empty.clone(),
            fabs: empty.clone(),
            events: empty.clone(),
            lab_ids: empty,
            rows: Default::default(),
            sample: Default::default(),
        }
    }

    #[test]
    fn the_first_non_finite_value_is_found_in_any_block() {
        let mut values = vec![1.5; 1000];
        assert_eq!(first_non_finite(&values), None);
        assert_eq!(first_non_finite(&[]), None);
        values[700] = f64::NEG_INFINITY;
        values[300] = f64::NAN;
        assert_eq!(first_non_finite(&values), Some(300));
        values[5] = f64::INFINITY;
        assert_eq!(first_non_finite(&values), Some(5));
        // The largest and smallest finite numbers, and -0, are finite.
        let edge = [f64::MAX, f64::MIN, f64::MIN_POSITIVE, -0.0, 5e-324];
        assert_eq!(first_non_finite(&edge), None);
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

    #[test]
    fn a_streamed_chunk_with_a_non_finite_number_is_named_with_its_month_and_lab() {
        use polars_arrow::datatypes::IntegerType;
        let words = |w: &[&str], keys: Vec<u32>| -> ArrayRef {
            DictionaryArray::try_new(
                ArrowDataType::Dictionary(
                    IntegerType::UInt32,
                    Box::new(ArrowDataType::Utf8View),
                    false,
                ),
                PrimitiveArray::from_vec(keys),
                Utf8ViewArray::from_slice_values(w).boxed(),
            )
            .unwrap()
            .boxed()
        };
        let chunk = |compute: Vec<f64>| frames::Arrays {
            rows: 4,
            columns: vec![
                (
                    "month".into(),
                    words(&["2025-01", "2025-02"], vec![0, 0, 1, 1]),
                ),
                (
                    "t".into(),
                    PrimitiveArray::from_vec(vec![0u32, 0, 1, 1]).boxed(),
                ),
                ("population".into(), words(&["ke-academic"], vec![0; 4])),
                (
                    "member".into(),
                    PrimitiveArray::from_vec(vec![1u32, 2, 1, 2]).boxed(),
                ),
                (
                    "compute_h100e".into(),
                    PrimitiveArray::from_vec(compute).boxed(),
                ),
            ],
        };
        let months = ["2025-01".to_string(), "2025-02".to_string()];
        assert!(check_finite_arrays("labs", &chunk(vec![1.0, 2.0, 3.0, 4.0]), &months).is_ok());
        let e = check_finite_arrays("labs", &chunk(vec![1.0, 2.0, 3.0, f64::NAN]), &months)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "NaN for `labs.compute_h100e` in month 2025-02 (population ke-academic, member 2)"
            ),
            "{e}"
        );
    }
}

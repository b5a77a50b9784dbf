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

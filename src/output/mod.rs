//! Writing a run to disk: the Parquet tables and `manifest.json` — and whatever else the caller adds
//! (the CLI adds the charts and the report) — all in a temporary folder beside the destination that is
//! renamed into place only when everything is written, so a failed or interrupted run never leaves a
//! half-written result.

mod manifest;
mod parquet;

pub use manifest::Manifest;
pub use parquet::{RowGroupCache, read_parquet, write_parquet, write_parquet_files};

use crate::tables::Outputs;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// Temporary files are private to their owner; results are for everyone who can read the folder.
pub(crate) fn readable_by_all(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Fails unless `dir` may be written: it must not exist, or `force` must be given.
pub fn check_destination(dir: &Path, force: bool) -> Result<()> {
    if dir.exists() && !force {
        bail!(
            "{} already exists: pass --force to replace it, or --out to write elsewhere",
            dir.display()
        );
    }
    Ok(())
}

/// Writes the tables and the manifest to `dir` atomically, replacing an existing folder if `force`.
pub fn write_run(dir: &Path, outputs: &Outputs, manifest: &Manifest, force: bool) -> Result<()> {
    write_run_with(dir, outputs, manifest, force, None, |_| Ok(()))
}

/// As [`write_run`], taking the row groups `cache` has encoded already, and `extra` writes more files
/// into the staging folder (its argument) before the folder is renamed into place; if `extra` fails,
/// nothing appears at `dir`.
pub fn write_run_with(
    dir: &Path,
    outputs: &Outputs,
    manifest: &Manifest,
    force: bool,
    cache: Option<&RowGroupCache>,
    extra: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    check_destination(dir, force)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".fracture-staging-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a temporary folder in {}", parent.display()))?;
    readable_by_all(staging.path(), 0o755)?;
    let files: Vec<_> = outputs
        .tables()
        .into_iter()
        .map(|(name, frame)| (name, staging.path().join(format!("{name}.parquet")), frame))
        .collect();
    write_parquet_files(&files, cache)?;
    let json = serde_json::to_string_pretty(manifest)?;
    std::fs::write(staging.path().join("manifest.json"), json + "\n")?;
    extra(staging.path())?;

    let staged = staging.keep();
    if dir.exists() {
        // Move the old result aside first so that the new one appears in a single rename.
        let trash = tempfile::Builder::new()
            .prefix(".fracture-replaced-")
            .tempdir_in(&parent)?
            .keep();
        std::fs::remove_dir(&trash)?;
        std::fs::rename(dir, &trash)
            .with_context(|| format!("cannot move the old {} aside", dir.display()))?;
        std::fs::rename(&staged, dir)
            .with_context(|| format!("cannot move the new result to {}", dir.display()))?;
        std::fs::remove_dir_all(&trash)?;
    } else {
        std::fs::rename(&staged, dir)
            .with_context(|| format!("cannot move the result to {}", dir.display()))?;
    }
    Ok(())
}

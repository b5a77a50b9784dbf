//! Putting results on disk so that nothing is lost, half-written or overwritten: every file and folder
//! fracture writes (runs, charts, reports, sweep parts, plans and markers) goes through here.
//!
//! **Files** ([`AtomicFile`], [`write_atomic`], [`write_new`]) are written under a temporary name in the
//! destination's folder, flushed to disk (`fsync`), renamed over the destination, and then the folder
//! itself is flushed. A reader sees the old file or the new one, never part of one. After a crash (power
//! loss, kernel panic) a file whose writer returned is on disk under its final name: the rename is a
//! change to the folder, and only the folder's `fsync` makes it durable. Without it a sweep could keep a
//! shard's `_SUCCESS` marker (written last) and lose the rename of a part file written before it; with
//! it, every write that returned before the marker was written survives with the marker.
//!
//! **Result folders** ([`Staging`]) are written into a staging folder beside the destination,
//! `.fracture-staging-HOST-PID-RANDOM`, whose files are flushed before the folder is moved into place
//! in one rename, and the parent folder flushed after. The rename never replaces what another process
//! put there meanwhile: on Linux it is `renameat2(RENAME_NOREPLACE)`, which fails if the destination
//! exists (elsewhere, or on a file system that does not support the flag, creating the destination folder
//! claims it first — `mkdir` fails if it exists — and the staging folder is renamed over the empty claim).
//! So of two runs writing one `--out` at once, exactly one installs its result and the other fails,
//! whatever the timing. With `--force` an existing folder is replaced only if it is a fracture result (it
//! holds a `manifest.json` or a sweep's `_plan.json` written by fracture), by swapping the two folders in
//! one `renameat2(RENAME_EXCHANGE)`, so the destination is never missing, and the folder swapped out is
//! checked again before it is deleted.
//!
//! A staging folder whose process died (killed, out of memory, power loss) is removed by the next write
//! into the same parent folder: its name records the host and the process id, and a process that no
//! longer exists on this host cannot be writing it. Folders of other hosts (a shared file system on a
//! cluster) are left alone.
//!
//! [`read_text`] reads the files fracture is given (scenarios, sweep files, plans, manifests) with a size
//! limit, and refuses anything that is not a regular file without blocking on it (a FIFO, a device).

use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The program named in every manifest a run or sweep writes, and looked for before `--force` replaces
/// a folder (the package name of the command-line program, whichever crate writes the manifest).
pub const PROGRAM: &str = "fracture";

/// Prefix of the staging folders beside a destination.
pub const STAGING_PREFIX: &str = ".fracture-staging-";
/// Prefix of the aside folders of the versions before this module (removed when old enough).
const OLD_REPLACED_PREFIX: &str = ".fracture-replaced-";
/// Staging folders without a host and process id in their name (older versions) are removed once this
/// old: those versions only staged a result for the seconds it took to write it.
const OLD_STAGING_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Set to a folder, makes every installation wait there (see [`Staging::install`]): for tests that need
/// two writers to reach the installation at the same time.
pub const INSTALL_BARRIER_ENV: &str = "FRACTURE_TEST_INSTALL_BARRIER";
/// The largest file [`read_text`] reads by default: scenario, sweep and plan files.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// The folder a path is in (`.` for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a folder's entries (creations, renames, removals) to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot flush the folder {} to disk", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Results are for everyone who can read the folder; temporary files are private to their owner.
pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------------
// Files.

/// A file being written under a temporary name beside `path`; [`AtomicFile::commit`] puts it in place.
/// Dropped uncommitted, the temporary file is removed.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// A temporary file `.tmp-RANDOM{suffix}` in `path`'s folder (some encoders pick the format from
    /// the suffix).
    pub fn new(path: &Path, suffix: &str) -> Result<AtomicFile> {
        let dir = parent_of(path);
        let tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .suffix(suffix)
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// The open temporary file.
    pub fn file(&self) -> &File {
        self.tmp.as_file()
    }

    /// Where the temporary file is, for writers that open files by name.
    pub fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// Whether the file goes into a staging folder, which [`Staging::install`] flushes whole before
    /// anyone can see it: its files need no flush of their own.
    fn staged(&self) -> bool {
        parent_of(&self.path)
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(STAGING_PREFIX))
    }

    fn flush(&self) -> Result<()> {
        if !self.staged() {
            // fsync writes the file's data whichever descriptor wrote it.
            self.tmp
                .as_file()
                .sync_all()
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        set_mode(self.tmp.path(), 0o644)
    }

    /// Flushes the file, renames it over the destination and flushes the folder (in a staging folder,
    /// [`Staging::install`] does both for every file at once).
    pub fn commit(self) -> Result<()> {
        self.flush()?;
        let staged = self.staged();
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| anyhow!(e.error))
            .with_context(|| format!("cannot rename into {}", path.display()))?;
        if staged {
            return Ok(());
        }
        sync_dir(parent_of(&path))
    }

    /// As [`AtomicFile::commit`], but never replaces an existing file: returns `false` (and removes the
    /// temporary file) if the destination exists.
    pub fn commit_new(self) -> Result<bool> {
        self.flush()?;
        let path = self.path;
        match self.tmp.persist_noclobber(&path) {
            Ok(_) => {
                sync_dir(parent_of(&path))?;
                Ok(true)
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => {
                Err(anyhow!(e.error)).with_context(|| format!("cannot create {}", path.display()))
            }
        }
    }
}

/// Writes `bytes` to `path` atomically and durably (see the module documentation).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let file = AtomicFile::new(path, "")?;
    file.file()
        .write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.commit()
}

/// Writes `bytes` to `path` atomically and durably unless `path` exists; returns whether it wrote.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<bool> {
    use std::io::Write;
    let file = AtomicFile::new(path, "")?;
    file.file()
        .write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.commit_new()
}

// ---------------------------------------------------------------------------------------------------
// Reading input files.

/// Reads a text file of at most `max` bytes. Anything but a regular file (a folder, a FIFO, a device
/// such as `/dev/zero`) is refused without reading from it or waiting for a writer.
pub fn read_text(path: &Path, max: u64) -> std::io::Result<String> {
    let bytes = read_bytes(path, max)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// Reads a file of at most `max` bytes, refusing anything but a regular file as [`read_text`] does.
pub fn read_bytes(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind};
    let file = open_regular(path, max)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        // It grew while being read.
        return Err(Error::new(ErrorKind::InvalidData, too_big(max)));
    }
    Ok(bytes)
}

/// Opens a regular file of at most `max` bytes for reading: a folder, a FIFO, a device or a socket is
/// refused without reading from it or waiting for a writer, and so is a larger file.
pub fn open_regular(path: &Path, max: u64) -> std::io::Result<File> {
    use std::io::{Error, ErrorKind};
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading would wait for a writer; non-blocking, it returns at once.
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a pipe, a device or a socket)"
        };
        return Err(Error::new(ErrorKind::InvalidInput, format!("is {what}")));
    }
    if meta.len() > max {
        return Err(Error::new(ErrorKind::InvalidData, too_big(max)));
    }
    Ok(file)
}

fn too_big(max: u64) -> String {
    if max.is_multiple_of(1 << 20) {
        format!("is larger than the limit of {} MB", max >> 20)
    } else {
        format!("is larger than the limit of {max} bytes")
    }
}

// ---------------------------------------------------------------------------------------------------
// Result folders.

/// Whether `dir` is a folder fracture wrote: it holds a `manifest.json` (a run) or a `_plan.json` (a
/// sweep) whose `program` is fracture.
pub fn is_fracture_output(dir: &Path) -> bool {
    ["manifest.json", "_plan.json"].iter().any(|name| {
        read_text(&dir.join(name), MAX_INPUT_BYTES)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|v| v.get("program").and_then(|p| p.as_str()) == Some(PROGRAM))
    })
}

/// The tables whose SHA-256 a run's manifest records (`sha256`), checked before `--force` replaces
/// the folder: small, and written by every run.
pub const HASHED: [&str; 2] = ["global.parquet", "nations.parquet"];

/// The largest table [`sha256_of`] reads: far above any [`HASHED`] table a run writes (1000 nations ×
/// 1200 months is under 1 GB), so that a terabyte put in a run folder is refused at once instead of
/// read for minutes.
pub const MAX_HASHED_BYTES: u64 = 4 << 30;

/// The SHA-256 of a file of at most [`MAX_HASHED_BYTES`], as hex.
pub fn sha256_of(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = open_regular(path, MAX_HASHED_BYTES)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The names in `dir` (its top level), sorted.
pub fn entries_of(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// What a run's manifest records of its folder, so that `--force` replaces only what fracture wrote:
/// `entries`, every name in the folder but the manifest itself, and `sha256`, the hashes of its
/// [`HASHED`] tables. Adds them to the manifest `json` (an object) from `dir` as it now is.
pub fn record_folder(dir: &Path, json: &mut serde_json::Value) -> Result<()> {
    let entries: Vec<serde_json::Value> = entries_of(dir)?
        .into_iter()
        .filter(|n| n != "manifest.json")
        .map(serde_json::Value::String)
        .collect();
    let mut hashes = serde_json::Map::new();
    for name in HASHED {
        let path = dir.join(name);
        if path.is_file() {
            hashes.insert(name.into(), serde_json::Value::String(sha256_of(&path)?));
        }
    }
    if let Some(object) = json.as_object_mut() {
        object.insert("entries".into(), serde_json::Value::Array(entries));
        object.insert("sha256".into(), serde_json::Value::Object(hashes));
    }
    Ok(())
}

/// Adds `names`, written into a result folder after it was made (`report`, `plot`), to the entries
/// its manifest records, so that `--force` may later replace them too. A folder whose manifest records
/// no entries is left as it is.
pub fn record_entries(dir: &Path, names: &[&str]) -> Result<()> {
    let path = dir.join("manifest.json");
    let Ok(text) = read_text(&path, MAX_INPUT_BYTES) else {
        return Ok(());
    };
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(entries) = json.get_mut("entries").and_then(|e| e.as_array_mut()) else {
        return Ok(());
    };
    let mut changed = false;
    for name in names {
        if !entries.iter().any(|e| e.as_str() == Some(name)) {
            entries.push(serde_json::Value::String(name.to_string()));
            changed = true;
        }
    }
    if changed {
        let text = serde_json::to_string_pretty(&json)? + "\n";
        write_atomic(&path, text.as_bytes())?;
    }
    Ok(())
}

/// Why `dir` may not be replaced by `--force`, if it may not: a run folder qualifies only when its
/// `manifest.json` is a file fracture wrote (not a link), every entry in the folder is one the manifest
/// records, and the tables it hashed are those in the folder; a sweep folder, when its `_plan.json`
/// is fracture's.
pub fn not_replaceable(dir: &Path) -> Option<String> {
    let manifest = dir.join("manifest.json");
    let is_link = std::fs::symlink_metadata(&manifest).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return Some("its manifest.json is a link, not a manifest fracture wrote".into());
    }
    let json = read_text(&manifest, MAX_INPUT_BYTES)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    let Some(json) = json else {
        return (!is_fracture_output(dir))
            .then(|| "it holds no manifest.json or _plan.json written by fracture".to_string());
    };
    if json.get("program").and_then(|p| p.as_str()) != Some(PROGRAM) {
        return Some("its manifest.json was not written by fracture".into());
    }
    let Some(entries) = json.get("entries").and_then(|e| e.as_array()) else {
        return Some(
            "its manifest.json lists no entries (written by hand, or by an older fracture), so \
             nothing says which files in it are fracture's"
                .into(),
        );
    };
    let listed: HashSet<&str> = entries.iter().filter_map(|e| e.as_str()).collect();
    let foreign: Vec<String> = match entries_of(dir) {
        Ok(names) => names
            .into_iter()
            .filter(|n| n != "manifest.json" && !listed.contains(n.as_str()))
            .collect(),
        Err(e) => return Some(format!("{e:#}")),
    };
    if !foreign.is_empty() {
        let shown: Vec<String> = foreign.iter().take(5).map(|n| format!("`{n}`")).collect();
        return Some(format!(
            "it holds {} fracture did not write: {}{}",
            if foreign.len() == 1 {
                "an entry"
            } else {
                "entries"
            },
            shown.join(", "),
            if foreign.len() > 5 {
                format!(" and {} more", foreign.len() - 5)
            } else {
                String::new()
            }
        ));
    }
    if let Some(hashes) = json.get("sha256").and_then(|h| h.as_object()) {
        for (name, hash) in hashes {
            let path = dir.join(name);
            let matches = sha256_of(&path).is_ok_and(|h| Some(h.as_str()) == hash.as_str());
            if !matches {
                return Some(format!(
                    "its manifest does not match its tables (`{name}` differs from the one the \
                     manifest hashed): it is not the manifest of this folder's run"
                ));
            }
        }
    }
    None
}

/// Fails unless a result may be written at `dir`: it must not exist, or `force` must be given and `dir`
/// must be a folder fracture wrote.
pub fn check_destination(dir: &Path, force: bool) -> Result<()> {
    if dir.file_name().is_none() {
        bail!(
            "`{}` does not name a folder to write into: give --out a folder name such as output/run1",
            dir.display()
        );
    }
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(anyhow!(e)).with_context(|| format!("cannot inspect {}", dir.display()));
        }
    };
    if !force {
        bail!(
            "{} already exists: pass --force to replace it, or --out to write elsewhere",
            dir.display()
        );
    }
    if meta.file_type().is_symlink() {
        bail!(
            "{} is a symbolic link: --force replaces only a result folder itself; remove the link or \
             choose another --out",
            dir.display()
        );
    }
    if !meta.is_dir() {
        bail!(
            "{} is a file, not a result folder: --force replaces only folders fracture wrote; choose \
             another --out",
            dir.display()
        );
    }
    if let Some(why) = not_replaceable(dir) {
        bail!(
            "{} is not a fracture result that --force may replace ({why}): --force replaces only \
             folders fracture wrote and nothing else, to keep other files safe; remove it yourself \
             or choose another --out",
            dir.display()
        );
    }
    Ok(())
}

/// A result being written: a staging folder beside the destination, moved into place by
/// [`Staging::install`] (see the module documentation). Dropped uninstalled, the staging folder is
/// removed.
pub struct Staging {
    path: PathBuf,
    target: PathBuf,
    force: bool,
    done: bool,
}

impl Staging {
    /// Checks the destination ([`check_destination`]), removes dead processes' staging folders beside
    /// it, and creates a staging folder.
    pub fn new(target: &Path, force: bool) -> Result<Staging> {
        check_destination(target, force)?;
        let parent = parent_of(target);
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        remove_stale_staging(parent);
        let path = tempfile::Builder::new()
            .prefix(&format!(
                "{STAGING_PREFIX}{}-{}-",
                host(),
                std::process::id()
            ))
            .rand_bytes(8)
            .tempdir_in(parent)
            .with_context(|| format!("cannot create a temporary folder in {}", parent.display()))?
            .keep();
        let staging = Staging {
            path,
            target: target.to_path_buf(),
            force,
            done: false,
        };
        set_mode(&staging.path, 0o755)?;
        Ok(staging)
    }

    /// The staging folder, to write the result into.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the staged result to disk and moves it to the destination in one rename, never over
    /// something another process put there meanwhile; with `force`, replaces a fracture result.
    pub fn install(mut self) -> Result<()> {
        sync_tree(&self.path)?;
        wait_at_test_barrier();
        let parent = parent_of(&self.target).to_path_buf();
        let swapped = match rename_no_replace(&self.path, &self.target) {
            Ok(()) => false,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !self.force {
                    bail!(
                        "{} appeared while this result was being written (another run writing the \
                         same --out?): it is left as it is and this result is discarded; pass --force \
                         to replace it, or --out to write elsewhere",
                        self.target.display()
                    );
                }
                check_destination(&self.target, true)?;
                exchange(&self.path, &self.target).with_context(|| {
                    format!("cannot move the new result to {}", self.target.display())
                })?;
                // What was swapped out is now at the staging path: put it back unless it is a fracture
                // result (another process may have put something else there since the check).
                if !is_fracture_output(&self.path) {
                    let back = exchange(&self.path, &self.target);
                    bail!(
                        "{} changed while this result was being written and is no longer a fracture \
                         result: {}",
                        self.target.display(),
                        match back {
                            Ok(()) => "it is left as it was".to_string(),
                            Err(e) => format!(
                                "it could not be put back ({e}); it is at {}",
                                self.path.display()
                            ),
                        }
                    );
                }
                true
            }
            Err(e) => {
                return Err(anyhow!(e)).with_context(|| {
                    format!("cannot move the result to {}", self.target.display())
                });
            }
        };
        sync_dir(&parent)?;
        self.done = true;
        if swapped {
            // The old result; if it cannot be removed now, the next write here removes it.
            let _ = std::fs::remove_dir_all(&self.path);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Flushes every file under `dir`, and the folders, to disk.
fn sync_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&path)?;
        } else if kind.is_file() {
            File::open(&path)
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot flush {} to disk", path.display()))?;
        }
    }
    sync_dir(dir)
}

/// Renames `from` to `to` unless `to` exists (then fails with `AlreadyExists`).
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // File systems without the flag: fall back to claiming the destination.
            Err(Errno::INVAL) | Err(Errno::NOSYS) | Err(Errno::OPNOTSUPP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    rename_claiming(from, to)
}

/// [`rename_no_replace`] where the kernel or file system cannot: `mkdir` fails if anything exists at
/// `to`; once it succeeded the destination is ours, and renaming a folder over an empty folder replaces it.
fn rename_claiming(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    std::fs::rename(from, to).inspect_err(|_| {
        let _ = std::fs::remove_dir(to);
    })
}

/// Swaps two folders: `a` takes `b`'s place and `b` takes `a`'s.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(Errno::INVAL) | Err(Errno::NOSYS) | Err(Errno::OPNOTSUPP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    exchange_by_renames(a, b)
}

/// [`exchange`] without the kernel's help: `b` moved aside, `a` into its place, the old `b` to `a`.
fn exchange_by_renames(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_file_name(format!(
        "{}-aside",
        a.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::rename(b, &aside)?;
    if let Err(e) = std::fs::rename(a, b) {
        let _ = std::fs::rename(&aside, b);
        return Err(e);
    }
    std::fs::rename(&aside, a)
}

/// This host's name as it goes into staging folder names (no `/`).
fn host() -> String {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() { "host".into() } else { name }
}

/// Whether process `pid` exists on this host.
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // EPERM: it exists, under another user.
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes, from `parent`, the staging folders of processes of this host that no longer exist, and
/// those of older versions once a day old. Best effort: what cannot be removed stays.
fn remove_stale_staging(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let me = host();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = if let Some(rest) = name.strip_prefix(STAGING_PREFIX) {
            // HOST-PID-RANDOM; HOST may hold `-`, so split from the right.
            let mut parts = rest.rsplitn(3, '-');
            let (_random, pid, host) = (parts.next(), parts.next(), parts.next());
            match (pid.and_then(|p| p.parse::<u32>().ok()), host) {
                (Some(pid), Some(host)) => host == me && pid != std::process::id() && !alive(pid),
                _ => older_than(&entry, OLD_STAGING_AGE),
            }
        } else {
            name.starts_with(OLD_REPLACED_PREFIX) && older_than(&entry, OLD_STAGING_AGE)
        };
        if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn older_than(entry: &std::fs::DirEntry, age: std::time::Duration) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|e| e > age)
}

/// The test hook of [`INSTALL_BARRIER_ENV`]: announces `ready-PID` in the barrier folder and waits
/// (at most two minutes) for a file `go` there.
fn wait_at_test_barrier() {
    let Some(dir) = std::env::var_os(INSTALL_BARRIER_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let _ = std::fs::write(dir.join(format!("ready-{}", std::process::id())), b"");
    let started = std::time::Instant::now();
    while !dir.join("go").exists() && started.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_result(dir: &Path, months: u32) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            format!("{{\"program\": \"fracture\", \"months\": {months}, \"entries\": []}}"),
        )
        .unwrap();
    }

    fn months(dir: &Path) -> u64 {
        let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["months"]
            .as_u64()
            .unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_destination_created_while_staging_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("res");
        let staging = Staging::new(&target, false).unwrap();
        fake_result(staging.path(), 1);
        // Another writer installs first, between our check and our installation.
        fake_result(&target, 2);
        let err = staging.install().unwrap_err().to_string();
        assert!(err.contains("appeared while"), "{err}");
        assert_eq!(months(&target), 2, "the other result is untouched");
        assert_eq!(names(tmp.path()), ["res"], "no staging folder left");
    }

    #[test]
    fn an_empty_folder_created_while_staging_is_not_replaced_either() {
        // A plain rename(2) would silently replace an empty folder.
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("res");
        let staging = Staging::new(&target, false).unwrap();
        fake_result(staging.path(), 1);
        std::fs::create_dir(&target).unwrap();
        assert!(staging.install().is_err());
        assert!(names(&target).is_empty());
    }

    #[test]
    fn force_replaces_a_fracture_result_and_only_that() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("res");
        fake_result(&target, 1);
        let staging = Staging::new(&target, true).unwrap();
        fake_result(staging.path(), 2);
        staging.install().unwrap();
        assert_eq!(months(&target), 2);
        assert_eq!(names(tmp.path()), ["res"]);

        // The folder turns into a user's folder between the check and the installation.
        let staging = Staging::new(&target, true).unwrap();
        fake_result(staging.path(), 3);
        std::fs::remove_file(target.join("manifest.json")).unwrap();
        std::fs::write(target.join("thesis.txt"), "mine").unwrap();
        assert!(staging.install().is_err());
        assert_eq!(names(&target), ["thesis.txt"]);
        assert_eq!(names(tmp.path()), ["res"]);
    }

    #[test]
    fn force_refuses_user_folders_files_and_links() {
        let tmp = tempfile::tempdir().unwrap();
        let user = tmp.path().join("d");
        std::fs::create_dir(&user).unwrap();
        std::fs::write(user.join("thesis.txt"), "mine").unwrap();
        let err = check_destination(&user, true).unwrap_err().to_string();
        assert!(err.contains("not a fracture result"), "{err}");
        // A manifest of another program does not count.
        std::fs::write(user.join("manifest.json"), "{\"program\": \"other\"}").unwrap();
        assert!(check_destination(&user, true).is_err());

        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = Staging::new(&file, true).err().unwrap().to_string();
        assert!(err.contains("is a file"), "{err}");
        #[cfg(unix)]
        {
            let result = tmp.path().join("r");
            fake_result(&result, 1);
            let link = tmp.path().join("l");
            std::os::unix::fs::symlink(&result, &link).unwrap();
            assert!(check_destination(&link, true).is_err());
        }
        assert!(check_destination(Path::new("."), true).is_err());
        assert_eq!(names(tmp.path()), ["d", "f", "l", "r"]);
    }

    #[test]
    fn staging_folders_of_dead_processes_are_removed_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let me = host();
        // A pid that does not exist: above the kernel's pid_max.
        let dead = tmp
            .path()
            .join(format!("{STAGING_PREFIX}{me}-4194305-abcdefgh"));
        let live = tmp.path().join(format!(
            "{STAGING_PREFIX}{me}-{}-abcdefgh",
            std::process::id()
        ));
        let other_host = tmp
            .path()
            .join(format!("{STAGING_PREFIX}elsewhere-4194305-abcdefgh"));
        for d in [&dead, &live, &other_host] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("x.parquet"), "x").unwrap();
        }
        let staging = Staging::new(&tmp.path().join("res"), false).unwrap();
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(other_host.exists());
        drop(staging);
    }

    #[test]
    fn the_portable_fallbacks_keep_the_same_promises() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("c"),
        );
        fake_result(&a, 1);
        fake_result(&b, 2);
        let err = rename_claiming(&a, &b).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(months(&b), 2);
        rename_claiming(&a, &c).unwrap();
        assert_eq!(months(&c), 1);
        exchange_by_renames(&b, &c).unwrap();
        assert_eq!((months(&b), months(&c)), (1, 2));
        assert_eq!(names(tmp.path()), ["b", "c"]);
    }

    #[test]
    fn write_new_never_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("_plan.json");
        assert!(write_new(&path, b"one").unwrap());
        assert!(!write_new(&path, b"two").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
        write_atomic(&path, b"three").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three");
        assert_eq!(names(tmp.path()), ["_plan.json"]);
    }

    #[test]
    fn read_text_refuses_devices_folders_and_big_files() {
        let tmp = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            let err = read_text(Path::new("/dev/zero"), MAX_INPUT_BYTES).unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
        assert!(read_text(tmp.path(), MAX_INPUT_BYTES).is_err());
        let big = tmp.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 2000]).unwrap();
        let err = read_text(&big, 1000).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        assert_eq!(read_text(&big, 2000).unwrap().len(), 2000);
    }
}

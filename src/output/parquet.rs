//! Parquet files: zstd-compressed (level 1: within 1 % of level 3 on these tables, the labs table 5 %
//! smaller, and faster to write), one row group per polars chunk of the table, written to a temporary
//! name beside the target and renamed.
//!
//! Columns go through polars' own Parquet encoder, but one column at a time rather than through its
//! writer, for three reasons:
//! - float columns are written plain. polars' writer tries a dictionary for every numeric column and,
//!   for floats, first estimates their cardinality over every row; these are measured quantities that
//!   rarely repeat except in runs, which zstd compresses anyway, so the estimate (a third of the labs
//!   table's encoding time) bought nothing: the files are the same size;
//! - the columns of all of a run's tables are independent work, spread here over rayon's threads;
//! - row groups of the large tables can be encoded while the run is still going ([`RowGroupCache`]).
//!
//! The bytes depend only on the tables and their chunks: a column is encoded the same way on any thread,
//! early or late, and the pages are written in schema order.

use anyhow::{Context, Result};
use polars::prelude::*;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::page::{CompressedDataPage, CompressedDictPage, DataPageHeader};
use polars_parquet::write::{
    CompressedPage, CompressionOptions, DynIter, DynStreamingIterator, Encoding, FileWriter, Page,
    ParquetType, StatisticsOptions, Version, WriteOptions, ZstdLevel, array_to_columns,
    fallible_streaming_iterator, get_dtype_encoding, to_parquet_schema,
};
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const ZSTD_LEVEL: i32 = 1;

/// Rows in a row group at most (polars' default): a reader can skip parts of a large table.
const MAX_ROW_GROUP_ROWS: usize = 512 * 512;

fn write_options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: CompressionOptions::Zstd(Some(
            ZstdLevel::try_new(ZSTD_LEVEL).expect("a zstd level"),
        )),
        data_page_size: None,
    }
}

thread_local! {
    /// A zstd context per thread, reused from page to page.
    static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// `bytes` zstd-compressed. polars' own page compressor makes a zstd context for every page and
/// zero-fills an output buffer the size of the input first: for the many small pages of a run's tables
/// that was a tenth of the encoding time. The output is the same.
fn zstd(bytes: &[u8]) -> PolarsResult<Vec<u8>> {
    ZSTD.with_borrow_mut(|context| {
        let compressor = match context {
            Some(c) => c,
            None => context.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
        };
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(bytes.len()));
        compressor.compress_to_buffer(bytes, &mut out)?;
        out.shrink_to_fit();
        Ok(out)
    })
}

/// An encoded page, compressed with [`zstd`].
fn compress(page: Page) -> PolarsResult<CompressedPage> {
    Ok(match page {
        Page::Data(data) => {
            // Version 1 pages compress the whole buffer, levels included.
            assert!(matches!(data.header(), DataPageHeader::V1(_)));
            CompressedPage::Data(CompressedDataPage::new(
                data.header().clone(),
                CowBuffer::Owned(zstd(data.buffer())?),
                Compression::Zstd,
                data.buffer().len(),
                data.descriptor.clone(),
                data.num_rows()
                    .expect("pages being written know their rows"),
            ))
        }
        Page::Dict(dict) => CompressedPage::Dict(CompressedDictPage::new(
            CowBuffer::Owned(zstd(&dict.buffer)?),
            Compression::Zstd,
            dict.buffer.len(),
            dict.num_values,
            dict.is_sorted,
        )),
    })
}

/// One column of one row group, compressed: its pages for each Parquet leaf column (one, for the flat
/// columns written here).
type EncodedColumn = Vec<Vec<CompressedPage>>;

fn encode_column(array: &ArrayRef, parquet_type: &ParquetType) -> PolarsResult<EncodedColumn> {
    let options = write_options();
    let dtype = array.dtype();
    let encoding = match dtype {
        ArrowDataType::Float64 | ArrowDataType::Float32 => vec![Encoding::Plain],
        _ => get_dtype_encoding(dtype),
    };
    array_to_columns(array, parquet_type.clone(), options, &encoding)?
        .into_iter()
        .map(|pages| pages.map(|page| compress(page?)).collect())
        .collect()
}

/// A row group: its rows and columns, and the columns encoded once that is done.
struct RowGroup {
    rows: usize,
    arrays: Vec<ArrayRef>,
    encoded: Option<Vec<EncodedColumn>>,
}

/// A table cut into row groups, one per polars chunk.
struct Plan {
    arrow_schema: ArrowSchema,
    parquet_types: Vec<ParquetType>,
    row_groups: Vec<RowGroup>,
}

impl Plan {
    fn new(frame: &DataFrame) -> PolarsResult<Plan> {
        let arrow_schema = frame.schema().to_arrow(CompatLevel::newest());
        let parquet_types = to_parquet_schema(&arrow_schema)?.fields().to_vec();
        let mut aligned;
        let mut frame = frame;
        if frame.should_rechunk() {
            aligned = frame.clone();
            aligned.rechunk_mut();
            frame = &aligned;
        }
        let mut row_groups = Vec::new();
        for batch in frame.iter_chunks(CompatLevel::newest(), false) {
            let (rows, arrays) = (batch.len(), batch.into_arrays());
            // A chunk larger than a row group is cut, as polars' writer does.
            for offset in (0..rows).step_by(MAX_ROW_GROUP_ROWS) {
                let len = MAX_ROW_GROUP_ROWS.min(rows - offset);
                row_groups.push(RowGroup {
                    rows: len,
                    arrays: arrays.iter().map(|a| a.sliced(offset, len)).collect(),
                    encoded: None,
                });
            }
        }
        Ok(Plan {
            arrow_schema,
            parquet_types,
            row_groups,
        })
    }

    /// The columns still to encode, as (row group, column) positions.
    fn pending(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.row_groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.encoded.is_none())
            .flat_map(|(g, group)| (0..group.arrays.len()).map(move |c| (g, c)))
    }

    fn encode(&self, (g, c): (usize, usize)) -> PolarsResult<EncodedColumn> {
        encode_column(&self.row_groups[g].arrays[c], &self.parquet_types[c])
    }

    /// Encodes every column still to encode, on the calling thread.
    fn encode_pending(&mut self) -> PolarsResult<()> {
        let pending: Vec<_> = self.pending().collect();
        let encoded = pending
            .iter()
            .map(|&at| self.encode(at))
            .collect::<PolarsResult<Vec<_>>>()?;
        fill(self, &pending, encoded);
        Ok(())
    }

    /// Takes the row groups `cached` has for this table, where they match this table's chunks.
    fn use_cached(&mut self, cached: Vec<EncodedRowGroup>) {
        for (group, early) in self.row_groups.iter_mut().zip(cached) {
            if group.rows == early.rows && group.arrays.len() == early.columns.len() {
                group.encoded = Some(early.columns);
            }
        }
    }

    fn write(&self, out: impl Write) -> PolarsResult<()> {
        let mut writer = FileWriter::try_new(out, self.arrow_schema.clone(), write_options())?;
        for group in &self.row_groups {
            let encoded = group.encoded.as_ref().expect("every row group encoded");
            let columns = encoded.iter().flatten().map(|pages| {
                Ok(DynStreamingIterator::new(
                    fallible_streaming_iterator::convert(pages.iter().map(Ok)),
                ))
            });
            writer.write(group.rows as u64, DynIter::new(columns))?;
        }
        writer.end(None)?;
        Ok(())
    }

    /// Writes the file atomically and durably ([`crate::fsutil::AtomicFile`]).
    fn persist(&self, path: &Path) -> Result<()> {
        let tmp = crate::fsutil::AtomicFile::new(path, ".parquet")?;
        // The encoder writes many small pieces (page headers, metadata): buffered, they are a few
        // system calls instead of thousands.
        let mut out = BufWriter::with_capacity(1 << 20, tmp.file());
        self.write(&mut out).map_err(|e| cannot_write(path, e))?;
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        drop(out);
        tmp.commit()
    }
}

fn cannot_write(path: &Path, e: PolarsError) -> anyhow::Error {
    anyhow::anyhow!("cannot write {}: {e}", path.display())
}

/// A row group encoded ahead of writing.
struct EncodedRowGroup {
    rows: usize,
    columns: Vec<EncodedColumn>,
}

/// Row groups of tables encoded while a run is still going: give [`RowGroupCache::encode`] to
/// [`crate::simulate_observed`] as its `on_chunk`, then the cache to [`super::write_run_with`], which
/// encodes only what is not here. Keyed by table name; chunks are expected in order.
#[derive(Default)]
pub struct RowGroupCache {
    tables: Mutex<HashMap<String, Option<Vec<EncodedRowGroup>>>>,
}

impl RowGroupCache {
    /// Encodes `chunk`, the next chunk of `table`. If that fails, nothing of the table is kept, and
    /// writing it encodes it all and reports the error there.
    pub fn encode(&self, table: &str, chunk: &DataFrame) {
        let encoded = Plan::new(chunk).and_then(|mut plan| {
            plan.encode_pending()?;
            Ok(plan.row_groups.into_iter().map(|group| EncodedRowGroup {
                rows: group.rows,
                columns: group.encoded.expect("every row group encoded"),
            }))
        });
        let mut tables = self.tables.lock().expect("no encoder panicked");
        let kept = tables
            .entry(table.to_string())
            .or_insert_with(|| Some(Vec::new()));
        match (kept.as_mut(), encoded) {
            (Some(groups), Ok(more)) => groups.extend(more),
            _ => *kept = None,
        }
    }

    fn take(&self, table: &str) -> Vec<EncodedRowGroup> {
        let mut tables = self.tables.lock().expect("no encoder panicked");
        tables.remove(table).flatten().unwrap_or_default()
    }
}

/// Writes `frame` to `path` atomically, encoding on the calling thread.
pub fn write_parquet(path: &Path, frame: &DataFrame) -> Result<()> {
    let mut plan = Plan::new(frame).map_err(|e| cannot_write(path, e))?;
    plan.encode_pending().map_err(|e| cannot_write(path, e))?;
    plan.persist(path)
}

/// Writes tables to files as [`write_parquet`] does, `(table name, path, table)`, taking the row groups
/// `cache` already has and encoding the other columns of all the tables in parallel on rayon's threads.
pub fn write_parquet_files(
    files: &[(&str, PathBuf, &DataFrame)],
    cache: Option<&RowGroupCache>,
) -> Result<()> {
    let mut plans = files
        .iter()
        .map(|(name, path, frame)| {
            let mut plan = Plan::new(frame).map_err(|e| cannot_write(path, e))?;
            if let Some(cache) = cache {
                plan.use_cached(cache.take(name));
            }
            Ok(plan)
        })
        .collect::<Result<Vec<_>>>()?;
    let pending: Vec<Vec<(usize, usize)>> = plans.iter().map(|p| p.pending().collect()).collect();
    let jobs: Vec<(usize, (usize, usize))> = pending
        .iter()
        .enumerate()
        .flat_map(|(f, at)| at.iter().map(move |&at| (f, at)))
        .collect();
    let mut encoded = jobs
        .par_iter()
        .map(|&(f, at)| plans[f].encode(at))
        .collect::<Vec<_>>()
        .into_iter();
    for ((plan, at), (_, path, _)) in plans.iter_mut().zip(&pending).zip(files) {
        let columns = encoded
            .by_ref()
            .take(at.len())
            .collect::<PolarsResult<Vec<_>>>()
            .map_err(|e| cannot_write(path, e))?;
        fill(plan, at, columns);
    }
    // Writing is mostly waiting for the disk (fsync), so every file gets a thread.
    std::thread::scope(|scope| {
        let writers: Vec<_> = plans
            .iter()
            .zip(files)
            .map(|(plan, (_, path, _))| scope.spawn(move || plan.persist(path)))
            .collect();
        writers
            .into_iter()
            .try_for_each(|w| w.join().expect("a Parquet writer panicked"))
    })
}

/// Puts the columns encoded for the `pending` positions into their row groups.
fn fill(plan: &mut Plan, pending: &[(usize, usize)], encoded: Vec<EncodedColumn>) {
    let mut encoded = encoded.into_iter();
    for &(g, _) in pending {
        let group = &mut plan.row_groups[g];
        group
            .encoded
            .get_or_insert_with(Vec::new)
            .push(encoded.next().expect("one encoded column per position"));
    }
}

/// Reads a Parquet file into a DataFrame.
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_groups(path: &Path) -> Vec<usize> {
        let mut file = File::open(path).unwrap();
        let meta = polars_parquet::read::read_metadata(&mut file).unwrap();
        meta.row_groups.iter().map(|g| g.num_rows()).collect()
    }

    #[test]
    fn row_groups_follow_the_chunks_and_large_chunks_are_cut() {
        let tmp = tempfile::tempdir().unwrap();
        let n = 2 * MAX_ROW_GROUP_ROWS + 10;
        let mut frame = df!(
            "id" => (0..n as u32).collect::<Vec<_>>(),
            "x" => (0..n).map(|i| i as f64 / 7.0).collect::<Vec<_>>(),
        )
        .unwrap();
        let tail = df!("id" => [7u32, 8, 9], "x" => [0.5, f64::NAN, -1.0]).unwrap();
        frame.vstack_mut(&tail).unwrap();
        let path = tmp.path().join("t.parquet");
        write_parquet(&path, &frame).unwrap();
        assert_eq!(
            row_groups(&path),
            [MAX_ROW_GROUP_ROWS, MAX_ROW_GROUP_ROWS, 10, 3]
        );
        assert!(read_parquet(&path).unwrap().equals_missing(&frame));
        // No rows: a file with the columns and no row group.
        let empty = frame.head(Some(0));
        write_parquet(&path, &empty).unwrap();
        assert_eq!(row_groups(&path), Vec::<usize>::new());
        assert_eq!(read_parquet(&path).unwrap().schema(), empty.schema());
    }

    #[test]
    fn the_same_tables_give_the_same_bytes_in_parallel_and_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let a = df!("x" => (0..5000).map(f64::from).collect::<Vec<_>>()).unwrap();
        let b = df!("s" => (0..5000).map(|i| format!("v{}", i % 13)).collect::<Vec<_>>()).unwrap();
        let files = [
            ("a", tmp.path().join("a.parquet"), &a),
            ("b", tmp.path().join("b.parquet"), &b),
        ];
        write_parquet_files(&files, None).unwrap();
        for (name, path, frame) in &files {
            let alone = tmp.path().join(format!("{name}-alone.parquet"));
            write_parquet(&alone, frame).unwrap();
            assert!(std::fs::read(path).unwrap() == std::fs::read(&alone).unwrap());
        }
    }
}

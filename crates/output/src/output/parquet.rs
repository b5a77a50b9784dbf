//! Parquet files: zstd-compressed (level 1: within 1 % of level 3 on these tables, and faster to
//! write), one row group per chunk of a table — a polars chunk of a DataFrame, or a chunk of months of a
//! large table written as the run goes — cut at [`MAX_ROW_GROUP_ROWS`] rows, written to a temporary
//! name beside the target and renamed.
//!
//! Columns go through polars' own Parquet encoder, but one column at a time rather than through its
//! writer, choosing each column's encoding:
//! - float columns are written plain. polars' writer tries a dictionary for every numeric column and,
//!   for floats, first estimates their cardinality over every row; these are measured quantities that
//!   rarely repeat except in runs, which zstd compresses anyway, so the estimate bought nothing;
//!   their pages' statistics (null count, minimum, maximum) are found in one vectorisable pass and put
//!   in the page headers as polars' writer would put them ([`pages::float_statistics`]);
//! - string columns are dictionary-encoded (unless more than half of a row group's values are
//!   distinct, then plain), the dictionary holding the row group's distinct values in order of first
//!   appearance — the same whether the column comes as polars strings, hashed here, or as positions
//!   in a list of words, as the tables record their ids (no string is hashed, or even made, per row).
//!   So a table gives the same bytes from a DataFrame as streamed from its recorded chunks. The file's
//!   Arrow schema says plain strings: polars, pyarrow, pandas and DuckDB read plain strings, and the
//!   tables of two runs concatenate and join without casts;
//! - `t` and `member`, numbers that mostly repeat or count up, are DELTA_BINARY_PACKED: a run of a
//!   million labs' `member` (1, 2, 3, …) takes a few bytes;
//! - flat columns of floats, `u32` and booleans without nulls are made into pages by
//!   [`super::pages`], byte for byte as polars' encoder makes them but slice by slice rather than value
//!   by value;
//! - the columns of all of a run's tables are independent work, spread here over rayon's threads.
//!
//! The bytes depend only on the tables and their chunks: a column is encoded the same way on any thread,
//! early or late, and the pages are written in schema order.

use super::pages::{self, Values};
use anyhow::{Context, Result};
use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::IntegerType;
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
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

const ZSTD_LEVEL: i32 = 1;

/// Rows in a row group at most: a reader can skip parts of a large table, and a row group is encoded
/// and written while the next is recorded. A chunk of a large table is at most as long
/// ([`crate::tables::CHUNK_ROWS`]) unless one month has more rows.
pub const MAX_ROW_GROUP_ROWS: usize = 1 << 20;

/// Integer columns written DELTA_BINARY_PACKED.
const DELTA_COLUMNS: [&str; 2] = ["t", "member"];

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
            let header = data.header().clone();
            assert!(
                matches!(header, DataPageHeader::V1(_)),
                "pages are written as version 1"
            );
            CompressedPage::Data(CompressedDataPage::new(
                header,
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

fn encode_column(
    name: &str,
    array: &ArrayRef,
    parquet_type: &ParquetType,
) -> PolarsResult<EncodedColumn> {
    let (array, encoding) = prepare(name, array)?;
    if let Some(values) = Values::of(array.as_ref(), &encoding)
        && let Some(pages) = pages::pages(values, parquet_type, encoding[0], compress)?
    {
        return Ok(vec![pages]);
    }
    array_to_columns(&array, parquet_type.clone(), write_options(), &encoding)?
        .into_iter()
        .map(|pages| pages.map(|page| compress(page?)).collect())
        .collect()
}

/// The array to encode for a column, and its encoding (see the module documentation).
fn prepare(name: &str, array: &ArrayRef) -> PolarsResult<(ArrayRef, Vec<Encoding>)> {
    let plain = || (array.clone(), vec![Encoding::Plain]);
    let no_nulls = array.null_count() == 0;
    Ok(match array.dtype() {
        ArrowDataType::Float64 | ArrowDataType::Float32 => plain(),
        ArrowDataType::UInt32 if no_nulls && DELTA_COLUMNS.contains(&name) => {
            (array.clone(), vec![Encoding::DeltaBinaryPacked])
        }
        ArrowDataType::Utf8View if no_nulls => {
            let strings: &Utf8ViewArray = array.as_any().downcast_ref().expect("a string array");
            let mut seen: PlHashMap<&str, u32> = PlHashMap::default();
            let mut distinct: Vec<&str> = Vec::new();
            let keys = strings
                .values_iter()
                .map(|s| {
                    *seen.entry(s).or_insert_with(|| {
                        distinct.push(s);
                        distinct.len() as u32 - 1
                    })
                })
                .collect();
            string_dictionary(keys, &distinct)?
        }
        ArrowDataType::Dictionary(IntegerType::UInt32, values, _)
            if no_nulls && **values == ArrowDataType::Utf8View =>
        {
            let dictionary: &DictionaryArray<u32> =
                array.as_any().downcast_ref().expect("a dictionary array");
            let words: &Utf8ViewArray = dictionary
                .values()
                .as_any()
                .downcast_ref()
                .expect("string values");
            polars_ensure!(
                words.null_count() == 0,
                ComputeError: "a dictionary of strings with nulls"
            );
            // The words used, in order of first appearance, found with a table by position.
            const UNSEEN: u32 = u32::MAX;
            let mut renumbered = vec![UNSEEN; words.len()];
            let mut distinct: Vec<&str> = Vec::new();
            let keys = dictionary
                .keys()
                .values_iter()
                .map(|&k| {
                    let slot = &mut renumbered[k as usize];
                    if *slot == UNSEEN {
                        *slot = distinct.len() as u32;
                        distinct.push(words.value(k as usize));
                    }
                    *slot
                })
                .collect();
            string_dictionary(keys, &distinct)?
        }
        dtype => (array.clone(), get_dtype_encoding(dtype)),
    })
}

/// A string column given as each row's position in `distinct`, its distinct values in order of first
/// appearance: a dictionary array, or plain strings when more than half of the values are distinct.
fn string_dictionary(keys: Vec<u32>, distinct: &[&str]) -> PolarsResult<(ArrayRef, Vec<Encoding>)> {
    let rows = keys.len();
    if rows > 128 && 2 * distinct.len() > rows {
        let plain = Utf8ViewArray::from_slice_values(
            keys.iter()
                .map(|&k| distinct[k as usize])
                .collect::<Vec<_>>(),
        );
        return Ok((plain.boxed(), vec![Encoding::Plain]));
    }
    let dictionary = DictionaryArray::try_new(
        ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        ),
        PrimitiveArray::from_vec(keys),
        Utf8ViewArray::from_slice_values(distinct).boxed(),
    )?;
    Ok((dictionary.boxed(), vec![Encoding::RleDictionary]))
}

/// A row group: its rows and columns, and the columns encoded once that is done.
struct RowGroup {
    rows: usize,
    arrays: Vec<ArrayRef>,
    encoded: Option<Vec<EncodedColumn>>,
}

/// Row groups of `rows` rows of `arrays`, cut at [`MAX_ROW_GROUP_ROWS`].
fn row_groups(rows: usize, arrays: &[ArrayRef]) -> Vec<RowGroup> {
    (0..rows)
        .step_by(MAX_ROW_GROUP_ROWS)
        .map(|offset| {
            let len = MAX_ROW_GROUP_ROWS.min(rows - offset);
            RowGroup {
                rows: len,
                arrays: arrays.iter().map(|a| a.sliced(offset, len)).collect(),
                encoded: None,
            }
        })
        .collect()
}

/// A Parquet file being written, row group by row group, under a temporary name beside its path.
pub struct ParquetFile {
    path: PathBuf,
    tmp: crate::fsutil::AtomicFile,
    writer: FileWriter<BufWriter<File>>,
    names: Vec<PlSmallStr>,
    parquet_types: Vec<ParquetType>,
    rows: usize,
}

impl ParquetFile {
    /// Starts the file of a table with `schema`.
    pub fn create(path: &Path, schema: &Schema) -> Result<ParquetFile> {
        let arrow_schema = schema.to_arrow(CompatLevel::newest());
        let parquet_types = parquet_types(schema).map_err(|e| cannot_write(path, e))?;
        let tmp = crate::fsutil::AtomicFile::new(path, ".parquet")?;
        let file = tmp
            .file()
            .try_clone()
            .with_context(|| format!("cannot write {}", path.display()))?;
        // The encoder writes many small pieces (page headers, metadata): buffered, they are a few
        // system calls instead of thousands.
        let out = BufWriter::with_capacity(1 << 20, file);
        let writer = FileWriter::try_new(out, arrow_schema, write_options())
            .map_err(|e| cannot_write(path, e))?;
        Ok(ParquetFile {
            path: path.to_path_buf(),
            tmp,
            writer,
            names: schema.iter_names().cloned().collect(),
            parquet_types,
            rows: 0,
        })
    }

    fn encode(&self, group: &RowGroup, c: usize) -> PolarsResult<EncodedColumn> {
        encode_column(&self.names[c], &group.arrays[c], &self.parquet_types[c])
    }

    /// Encodes `rows` rows of `arrays` (the table's columns in schema order) on the calling thread
    /// and writes them as the next row groups.
    pub fn write(&mut self, rows: usize, arrays: &[ArrayRef]) -> Result<()> {
        for mut group in row_groups(rows, arrays) {
            let encoded = (0..group.arrays.len())
                .map(|c| self.encode(&group, c))
                .collect::<PolarsResult<Vec<_>>>()
                .map_err(|e| cannot_write(&self.path, e))?;
            group.encoded = Some(encoded);
            self.write_encoded(&group)?;
        }
        Ok(())
    }

    fn write_encoded(&mut self, group: &RowGroup) -> Result<()> {
        let encoded = group.encoded.as_ref().expect("every row group encoded");
        let columns = encoded.iter().flatten().map(|pages| {
            Ok(DynStreamingIterator::new(
                fallible_streaming_iterator::convert(pages.iter().map(Ok)),
            ))
        });
        self.writer
            .write(group.rows as u64, DynIter::new(columns))
            .map_err(|e| cannot_write(&self.path, e))?;
        self.rows += group.rows;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the footer and puts the file in place, atomically and durably
    /// ([`crate::fsutil::AtomicFile`]); returns the rows written.
    pub fn finish(mut self) -> Result<usize> {
        self.writer
            .end(None)
            .map_err(|e| cannot_write(&self.path, e))?;
        self.writer
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.tmp.commit()?;
        Ok(self.rows)
    }
}

/// A DataFrame cut into row groups, one per polars chunk (cut at [`MAX_ROW_GROUP_ROWS`]).
struct Plan {
    schema: Schema,
    parquet_types: Vec<ParquetType>,
    row_groups: Vec<RowGroup>,
}

impl Plan {
    fn new(frame: &DataFrame) -> PolarsResult<Plan> {
        let mut aligned;
        let mut frame = frame;
        if frame.should_rechunk() {
            aligned = frame.clone();
            aligned.rechunk_mut();
            frame = &aligned;
        }
        let mut groups = Vec::new();
        for batch in frame.iter_chunks(CompatLevel::newest(), false) {
            let (rows, arrays) = (batch.len(), batch.into_arrays());
            groups.extend(row_groups(rows, &arrays));
        }
        let schema = (**frame.schema()).clone();
        Ok(Plan {
            parquet_types: parquet_types(&schema)?,
            schema,
            row_groups: groups,
        })
    }

    /// The columns to encode, as (row group, column) positions.
    fn columns(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.row_groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| (0..group.arrays.len()).map(move |c| (g, c)))
    }

    /// Writes the file, its columns encoded already.
    fn persist(&self, path: &Path) -> Result<()> {
        let mut file = ParquetFile::create(path, &self.schema)?;
        for group in &self.row_groups {
            file.write_encoded(group)?;
        }
        file.finish()?;
        Ok(())
    }
}

fn cannot_write(path: &Path, e: PolarsError) -> anyhow::Error {
    anyhow::anyhow!("cannot write {}: {e}", path.display())
}

/// Writes `frame` to `path` atomically, encoding on the calling thread.
pub fn write_parquet(path: &Path, frame: &DataFrame) -> Result<()> {
    write_parquet_files(&[(path.to_path_buf(), frame)])
}

/// Writes tables to files as [`write_parquet`] does, `(path, table)`, encoding the columns of all the
/// tables in parallel on rayon's threads.
pub fn write_parquet_files(files: &[(PathBuf, &DataFrame)]) -> Result<()> {
    let mut plans = files
        .iter()
        .map(|(path, frame)| Plan::new(frame).map_err(|e| cannot_write(path, e)))
        .collect::<Result<Vec<_>>>()?;
    let jobs: Vec<(usize, (usize, usize))> = plans
        .iter()
        .enumerate()
        .flat_map(|(f, plan)| plan.columns().map(move |at| (f, at)))
        .collect();
    let encoded = jobs
        .par_iter()
        .map(|&(f, (g, c))| {
            let plan = &plans[f];
            let name = plan.schema.get_at_index(c).expect("a column").0;
            encode_column(name, &plan.row_groups[g].arrays[c], &plan.parquet_types[c])
                .map_err(|e| cannot_write(&files[f].0, e))
        })
        .collect::<Vec<_>>();
    for ((f, (g, _)), column) in jobs.into_iter().zip(encoded) {
        plans[f].row_groups[g]
            .encoded
            .get_or_insert_with(Vec::new)
            .push(column?);
    }
    // Writing is mostly waiting for the disk (fsync), so every file gets a thread.
    std::thread::scope(|scope| {
        let writers: Vec<_> = plans
            .iter()
            .zip(files)
            .map(|(plan, (path, _))| scope.spawn(move || plan.persist(path)))
            .collect();
        writers
            .into_iter()
            .try_for_each(|w| w.join().expect("a Parquet writer panicked"))
    })
}

/// The Parquet types of the columns of a table with `schema`.
fn parquet_types(schema: &Schema) -> PolarsResult<Vec<ParquetType>> {
    Ok(to_parquet_schema(&schema.to_arrow(CompatLevel::newest()))?
        .fields()
        .to_vec())
}

/// Reads a Parquet file into a DataFrame.
/// The columns of a Parquet file as its footer declares them (name, Arrow type), read without decoding
/// a page: a reader can refuse a type before polars meets it (a Decimal column panics a build without
/// polars' `dtype-decimal`).
pub fn parquet_schema(
    path: &Path,
) -> Result<Vec<(String, polars_arrow::datatypes::ArrowDataType)>> {
    let mut file = crate::fsutil::open_regular(path, u64::MAX)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let meta = polars_parquet::read::read_metadata(&mut file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let schema = polars_parquet::read::infer_schema(&meta)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(schema
        .iter_values()
        .map(|f| (f.name.to_string(), f.dtype.clone()))
        .collect())
}

pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    // A regular file only: a FIFO or a device in a run folder would block or never end.
    let file = crate::fsutil::open_regular(path, u64::MAX)
        .with_context(|| format!("cannot open {}", path.display()))?;
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
    fn float_pages_carry_the_statistics_polars_would_write() {
        // Zeros of both signs, NaN, infinities, one value, none, and a column of several pages (ten
        // million values; a page holds about a million): each page's header as polars' own
        // statistics make it, so the files' bytes do not change.
        let many: Vec<f64> = (0..10_000_000u64)
            .map(|i| ((i * 7919) % 10_007) as f64 - 5_000.5)
            .collect();
        let columns: [Vec<f64>; 8] = [
            vec![0.0, -0.0, 1.5],
            vec![1.0, f64::NAN, -2.0],
            vec![-0.0, 0.0, -0.0],
            vec![f64::INFINITY, -3.0, f64::NEG_INFINITY, 2.0],
            vec![4.25],
            vec![],
            (0..37).map(|i| f64::from(i) * -0.5).collect(),
            many,
        ];
        let schema = Schema::from_iter([Field::new("x".into(), DataType::Float64)]);
        let parquet_type = &parquet_types(&schema).unwrap()[0];
        for values in columns {
            let array = PrimitiveArray::from_vec(values.clone()).boxed();
            let ours = encode_column("x", &array, parquet_type).unwrap();
            let theirs: EncodedColumn = array_to_columns(
                &array,
                parquet_type.clone(),
                write_options(),
                &[Encoding::Plain],
            )
            .unwrap()
            .into_iter()
            .map(|pages| pages.map(|page| compress(page.unwrap())).collect())
            .collect::<PolarsResult<_>>()
            .unwrap();
            let headers = |column: &EncodedColumn| -> Vec<_> {
                column
                    .iter()
                    .flatten()
                    .map(|page| match page {
                        CompressedPage::Data(data) => match data.header() {
                            DataPageHeader::V1(v1) => Some((v1.num_values, v1.statistics.clone())),
                            DataPageHeader::V2(_) => None,
                        },
                        CompressedPage::Dict(_) => None,
                    })
                    .collect()
            };
            assert_eq!(headers(&ours), headers(&theirs), "{} values", values.len());
            if values.len() == 10_000_000 {
                assert!(headers(&ours).len() > 1, "several pages");
            }
        }
    }

    #[test]
    fn the_same_tables_give_the_same_bytes_in_parallel_and_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let a = df!("x" => (0..5000).map(f64::from).collect::<Vec<_>>()).unwrap();
        let b = df!("s" => (0..5000).map(|i| format!("v{}", i % 13)).collect::<Vec<_>>()).unwrap();
        let files = [
            (tmp.path().join("a.parquet"), &a),
            (tmp.path().join("b.parquet"), &b),
        ];
        write_parquet_files(&files).unwrap();
        for (i, (path, frame)) in files.iter().enumerate() {
            let alone = tmp.path().join(format!("{i}-alone.parquet"));
            write_parquet(&alone, frame).unwrap();
            assert!(std::fs::read(path).unwrap() == std::fs::read(&alone).unwrap());
        }
    }

    /// Per column of the first row group: its name, whether it has a dictionary page, and its bytes
    /// before compression.
    fn layout(path: &Path) -> Vec<(String, bool, i64)> {
        let mut file = File::open(path).unwrap();
        let meta = polars_parquet::read::read_metadata(&mut file).unwrap();
        meta.row_groups[0]
            .parquet_columns()
            .iter()
            .map(|c| {
                (
                    c.descriptor().path_in_schema[0].to_string(),
                    c.dictionary_page_offset().is_some(),
                    c.uncompressed_size(),
                )
            })
            .collect()
    }

    #[test]
    fn strings_from_codes_give_the_bytes_of_the_same_strings_hashed() {
        let tmp = tempfile::tempdir().unwrap();
        let words = [
            "zeta",
            "alpha",
            "a-much-longer-word-than-twelve-bytes",
            "beta",
            "unused",
        ];
        // Two chunks: in the second, the words appear in another order and one is missing.
        let chunks: [Vec<u32>; 2] = [
            (0..3000u32)
                .map(|i| [1, 0, 2, 3][(i / 7 % 4) as usize])
                .collect(),
            (0..1000u32).map(|i| [3, 1][(i % 2) as usize]).collect(),
        ];
        // Many distinct ids: written plain.
        let ids = |n: usize, from: usize| -> Vec<String> {
            (from..from + n).map(|i| format!("lab-{i:07}")).collect()
        };
        let member = |n: usize| -> Vec<u32> { (1..=n as u32).collect() };

        let mut frame: Option<DataFrame> = None;
        let schema = Schema::from_iter([
            Field::new("kind".into(), DataType::String),
            Field::new("member".into(), DataType::UInt32),
            Field::new("id".into(), DataType::String),
        ]);
        let streamed = tmp.path().join("streamed.parquet");
        let mut file = ParquetFile::create(&streamed, &schema).unwrap();
        let mut from = 0;
        for codes in &chunks {
            let n = codes.len();
            let strings: Vec<&str> = codes.iter().map(|&c| words[c as usize]).collect();
            let part = df!(
                "kind" => strings,
                "member" => member(n),
                "id" => ids(n, from),
            )
            .unwrap();
            match &mut frame {
                Some(f) => {
                    f.vstack_mut_owned(part).unwrap();
                }
                None => frame = Some(part),
            }
            let dictionary = DictionaryArray::try_new(
                ArrowDataType::Dictionary(
                    IntegerType::UInt32,
                    Box::new(ArrowDataType::Utf8View),
                    false,
                ),
                PrimitiveArray::from_vec(codes.clone()),
                Utf8ViewArray::from_slice_values(words).boxed(),
            )
            .unwrap();
            let arrays: Vec<ArrayRef> = vec![
                dictionary.boxed(),
                PrimitiveArray::from_vec(member(n)).boxed(),
                Utf8ViewArray::from_slice_values(ids(n, from)).boxed(),
            ];
            file.write(n, &arrays).unwrap();
            from += n;
        }
        assert_eq!(file.finish().unwrap(), 4000);
        let frame = frame.unwrap();
        let hashed = tmp.path().join("hashed.parquet");
        write_parquet(&hashed, &frame).unwrap();
        assert!(std::fs::read(&streamed).unwrap() == std::fs::read(&hashed).unwrap());
        assert_eq!(row_groups(&streamed), [3000, 1000]);

        // Read back as plain strings, equal to what was written.
        let back = read_parquet(&streamed).unwrap();
        assert_eq!(back.column("kind").unwrap().dtype(), &DataType::String);
        assert!(back.equals(&frame));
        // Strings with few distinct values have a dictionary, ids do not; members counting up take
        // next to nothing (DELTA_BINARY_PACKED), where plain they would take 4 bytes a row.
        let layout = layout(&streamed);
        let of = |name: &str| layout.iter().find(|(n, ..)| n == name).unwrap();
        assert!(of("kind").1, "{layout:?}");
        assert!(!of("id").1, "{layout:?}");
        assert!(!of("member").1 && of("member").2 < 3000 / 10, "{layout:?}");
    }
}

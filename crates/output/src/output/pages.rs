//! Data pages of flat columns without nulls — `f64`, `u32` and booleans — made here as polars' encoder
//! makes them (the same pages, headers, statistics and bytes) but slice by slice: polars turns each
//! value into bytes through an iterator, a boolean bit by bit, and finds each delta's bit width value by
//! value. On the labs table of a million labs that was about a third of the writer's work, and the
//! writer's thread a third of a full-detail run's CPU. A validity bitmap with no nulls changes nothing
//! here: polars counts its bytes when it sizes pages, but an eighth of a byte a row is lost in the
//! rounding, and its definition levels are a run of ones either way (the tests hold both). Anything
//! else (nulls, other types, a float NaN, a boolean column not starting on a byte) goes to polars.

use polars::prelude::PolarsResult;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::parquet::encoding::{bitpacked, uleb128, zigzag_leb128};
use polars_parquet::parquet::metadata::Descriptor;
use polars_parquet::parquet::page::{DataPage, DataPageHeader, DataPageHeaderV1};
use polars_parquet::parquet::schema::Repetition;
use polars_parquet::parquet::schema::types::PrimitiveType;
use polars_parquet::parquet::statistics::{
    BooleanStatistics, ParquetStatistics, PrimitiveStatistics,
};
use polars_parquet::parquet::types::NativeType as _;
use polars_parquet::write::{Encoding, Page, ParquetType, Version, write_def_levels};

/// The values of a flat column without nulls, as polars writes them.
#[derive(Clone)]
pub(super) enum Values<'a> {
    /// Written plain as `f64`.
    Floats(&'a [f64]),
    /// Written as Parquet's `INT32` (polars' cast), plain or DELTA_BINARY_PACKED.
    Counts(&'a [u32]),
    /// Written plain, a bit each.
    Flags(Bitmap),
}

impl<'a> Values<'a> {
    /// The column's values, if it is one this module encodes with `encoding`.
    pub(super) fn of(array: &'a dyn Array, encoding: &[Encoding]) -> Option<Values<'a>> {
        if array.null_count() > 0 {
            return None;
        }
        match (array.dtype(), encoding) {
            (ArrowDataType::Float64, [Encoding::Plain]) => array
                .as_any()
                .downcast_ref::<PrimitiveArray<f64>>()
                .map(|a| Values::Floats(a.values().as_slice())),
            (ArrowDataType::UInt32, [Encoding::Plain | Encoding::DeltaBinaryPacked]) => array
                .as_any()
                .downcast_ref::<PrimitiveArray<u32>>()
                .map(|a| Values::Counts(a.values().as_slice())),
            (ArrowDataType::Boolean, [Encoding::Plain]) => array
                .as_any()
                .downcast_ref::<BooleanArray>()
                .map(|a| Values::Flags(a.values().clone())),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Floats(v) => v.len(),
            Values::Counts(v) => v.len(),
            Values::Flags(v) => v.len(),
        }
    }

    /// The bytes the values take in memory (a bitmap's from the byte its first bit is in): what polars
    /// sizes its pages by.
    fn bytes(&self) -> usize {
        match self {
            Values::Floats(v) => size_of_val(*v),
            Values::Counts(v) => size_of_val(*v),
            Values::Flags(v) => v.as_slice().0.len(),
        }
    }

    fn slice(&self, offset: usize, len: usize) -> Values<'a> {
        match self {
            Values::Floats(v) => Values::Floats(&v[offset..offset + len]),
            Values::Counts(v) => Values::Counts(&v[offset..offset + len]),
            Values::Flags(v) => Values::Flags(v.clone().sliced(offset, len)),
        }
    }
}

/// The column's data pages as polars would make them with `encoding` and its default statistics, each
/// passed to `finish` (which compresses it); `None` if polars must make them (a float NaN, whose
/// statistics polars handles; a page of booleans not starting on a byte).
pub(super) fn pages<T>(
    values: Values,
    parquet_type: &ParquetType,
    encoding: Encoding,
    mut finish: impl FnMut(Page) -> PolarsResult<T>,
) -> PolarsResult<Option<Vec<T>>> {
    let ParquetType::PrimitiveType(primitive_type) = parquet_type else {
        return Ok(None);
    };
    // polars' page size: a page holds about 1 MiB of values, counting a byte more per row.
    const PAGE_BYTES: usize = 1024 * 1024;
    let rows = values.len();
    let bytes_per_row = if rows == 0 {
        0
    } else {
        (values.bytes() as f64 / rows as f64) as usize
    };
    let rows_per_page = (PAGE_BYTES / (bytes_per_row + 1)).max(1);
    let optional = primitive_type.field_info.repetition == Repetition::Optional;
    let mut pages = Vec::new();
    for offset in (0..rows).step_by(rows_per_page) {
        let len = rows_per_page.min(rows - offset);
        let page = values.slice(offset, len);
        let Some(statistics) = statistics(&page, primitive_type.clone()) else {
            return Ok(None);
        };
        let mut buffer = Vec::new();
        write_def_levels(&mut buffer, optional, None, len, Version::V1)?;
        match (&page, encoding) {
            (Values::Counts(values), Encoding::DeltaBinaryPacked) => {
                delta_binary_packed(values, &mut buffer);
            }
            (Values::Counts(values), _) => plain(values, &mut buffer, |v| (v as i32).to_le_bytes()),
            (Values::Floats(values), _) => plain(values, &mut buffer, f64::to_le_bytes),
            (Values::Flags(bits), _) => {
                if !packed_bits(bits, &mut buffer) {
                    return Ok(None);
                }
            }
        }
        let header = DataPageHeader::V1(DataPageHeaderV1 {
            num_values: len as i32,
            encoding: encoding.into(),
            definition_level_encoding: Encoding::Rle.into(),
            repetition_level_encoding: Encoding::Rle.into(),
            statistics: Some(statistics),
        });
        let descriptor = Descriptor {
            primitive_type: primitive_type.clone(),
            max_def_level: 0,
            max_rep_level: 0,
        };
        pages.push(finish(Page::Data(DataPage::new(
            header,
            CowBuffer::Owned(buffer),
            descriptor,
            len,
        )))?);
    }
    Ok(Some(pages))
}

/// `values` appended as their little-endian bytes: on a little-endian machine, their memory.
fn plain<T: bytemuck::Pod, const N: usize>(
    values: &[T],
    buffer: &mut Vec<u8>,
    bytes: impl Fn(T) -> [u8; N],
) {
    if cfg!(target_endian = "little") {
        buffer.extend_from_slice(bytemuck::cast_slice(values));
        return;
    }
    let start = buffer.len();
    buffer.resize(start + values.len() * N, 0);
    for (out, &v) in buffer[start..].chunks_exact_mut(N).zip(values) {
        out.copy_from_slice(&bytes(v));
    }
}

/// `bits` appended a bit each, the first in the lowest bit of the first byte and the last byte's unused
/// bits 0, as polars packs booleans: the bitmap's own bytes when it starts on a byte; `false` (nothing
/// appended) when it does not.
fn packed_bits(bits: &Bitmap, buffer: &mut Vec<u8>) -> bool {
    let (bytes, offset, len) = bits.as_slice();
    if offset != 0 {
        return false;
    }
    let bytes = &bytes[..len.div_ceil(8)];
    buffer.extend_from_slice(bytes);
    if len % 8 != 0
        && let Some(last) = buffer.last_mut()
    {
        *last &= (1u8 << (len % 8)) - 1;
    }
    true
}

/// A page's statistics as polars writes them — its null count (0), minimum and maximum — or `None` if
/// a float is NaN.
fn statistics(values: &Values, primitive_type: PrimitiveType) -> Option<ParquetStatistics> {
    match values {
        Values::Floats(values) => float_statistics(values, primitive_type),
        Values::Flags(bits) => {
            let found = !bits.is_empty();
            let statistics = BooleanStatistics {
                null_count: Some(0),
                distinct_count: None,
                max_value: found.then(|| bits.set_bits() > 0),
                min_value: found.then(|| bits.unset_bits() == 0),
            };
            Some(statistics.serialize())
        }
        Values::Counts(values) => {
            // polars finds the extremes as `u32` and then casts them to Parquet's `INT32`.
            let (min, max) = extremes(values);
            let found = !values.is_empty();
            let statistics = PrimitiveStatistics::<i32> {
                primitive_type,
                null_count: Some(0),
                distinct_count: None,
                min_value: found.then_some(min as i32),
                max_value: found.then_some(max as i32),
            };
            Some(statistics.serialize())
        }
    }
}

/// A page's statistics as polars writes them for a float column without nulls — its null count (0),
/// its minimum and maximum (a zero as −0 and +0, the Parquet specification's normal form), which are
/// the same whatever order the values are compared in — or `None` if a value is NaN.
pub(super) fn float_statistics(
    values: &[f64],
    primitive_type: PrimitiveType,
) -> Option<ParquetStatistics> {
    const LANES: usize = 8;
    let (mut lo, mut hi) = ([f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES]);
    let mut nan = [false; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for i in 0..LANES {
            lo[i] = if chunk[i] < lo[i] { chunk[i] } else { lo[i] };
            hi[i] = if chunk[i] > hi[i] { chunk[i] } else { hi[i] };
            nan[i] |= chunk[i].is_nan();
        }
    }
    if nan.contains(&true) || rest.iter().any(|v| v.is_nan()) {
        return None;
    }
    let fold = |xs: &[f64], first: f64, pick: fn(f64, f64) -> f64| {
        xs.iter().fold(first, |a, &b| pick(a, b))
    };
    let min = fold(rest, fold(&lo, f64::INFINITY, f64::min), f64::min);
    let max = fold(rest, fold(&hi, f64::NEG_INFINITY, f64::max), f64::max);
    let found = !values.is_empty();
    let statistics = PrimitiveStatistics::<f64> {
        primitive_type,
        null_count: Some(0),
        distinct_count: None,
        min_value: found.then(|| min.norm_min()),
        max_value: found.then(|| max.norm_max()),
    };
    Some(statistics.serialize())
}

/// The least and the greatest of `values` (`u32::MAX` and 0 if there are none), in lanes that the
/// compiler can vectorise.
fn extremes(values: &[u32]) -> (u32, u32) {
    const LANES: usize = 8;
    let (mut lo, mut hi) = ([u32::MAX; LANES], [0; LANES]);
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for i in 0..LANES {
            lo[i] = lo[i].min(chunk[i]);
            hi[i] = hi[i].max(chunk[i]);
        }
    }
    let lo = lo.iter().chain(rest).copied().min().unwrap_or(u32::MAX);
    let hi = hi.iter().chain(rest).copied().max().unwrap_or(0);
    (lo, hi)
}

/// `values` DELTA_BINARY_PACKED as polars' encoder writes them: blocks of 256 values in one miniblock,
/// each value cast to `INT32` and widened; the last block's unused slots are packed with what the block
/// before left in them, as polars' reused buffer has them.
fn delta_binary_packed(values: &[u32], buffer: &mut Vec<u8>) {
    const BLOCK: usize = 256;
    let mut container = [0u8; 10];
    for n in [BLOCK as u64, 1, values.len() as u64] {
        let len = uleb128::encode(n, &mut container);
        buffer.extend_from_slice(&container[..len]);
    }
    let integer = |v: u32| i64::from(v as i32);
    let first = values.first().map_or(0, |&v| integer(v));
    let (bytes, len) = zigzag_leb128::encode(first);
    buffer.extend_from_slice(&bytes[..len]);
    let mut block_deltas = [0i64; BLOCK];
    let mut packed = [0u64; BLOCK];
    let mut previous = first;
    for block in values.get(1..).unwrap_or_default().chunks(BLOCK) {
        let deltas = &mut block_deltas[..block.len()];
        for (d, &v) in deltas.iter_mut().zip(block) {
            let v = integer(v);
            *d = v.wrapping_sub(previous);
            previous = v;
        }
        // Most blocks of these columns step evenly (a month's `t`, a population's `member`).
        let step = deltas[0];
        let (min, max) = if deltas.iter().fold(0, |acc, &d| acc | (d ^ step)) == 0 {
            (step, step)
        } else {
            let min = deltas.iter().copied().min().expect("a block has values");
            (
                min,
                deltas.iter().copied().max().expect("a block has values"),
            )
        };
        let bits = 64 - max.abs_diff(min).leading_zeros() as usize;
        for (p, &d) in packed.iter_mut().zip(deltas.iter()) {
            *p = d.wrapping_sub(min) as u64;
        }
        let (bytes, len) = zigzag_leb128::encode(min);
        buffer.extend_from_slice(&bytes[..len]);
        buffer.push(bits as u8);
        if bits > 0 {
            let start = buffer.len();
            buffer.resize(start + (BLOCK * bits).div_ceil(8), 0);
            bitpacked::encode(&packed, bits, &mut buffer[start..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow::datatypes::Field;
    use polars_parquet::write::{
        StatisticsOptions, WriteOptions, array_to_columns, to_parquet_type,
    };

    /// Each data page as (header, bytes, descriptor, rows), to compare.
    fn described(pages: Vec<Page>) -> Vec<(String, Vec<u8>, String, Option<usize>)> {
        pages
            .into_iter()
            .map(|page| match page {
                Page::Data(data) => (
                    format!("{:?}", data.header()),
                    data.buffer().to_vec(),
                    format!("{:?}", data.descriptor),
                    data.num_rows(),
                ),
                Page::Dict(_) => panic!("no dictionary pages here"),
            })
            .collect()
    }

    /// Our pages and polars' for `array` with `encoding`, in a nullable and a required field.
    fn assert_same_pages(array: &dyn Array, encoding: Encoding, what: &str) {
        for nullable in [true, false] {
            let field = Field::new("x".into(), array.dtype().clone(), nullable);
            let parquet_type = to_parquet_type(&field).unwrap();
            let values = Values::of(array, &[encoding]).expect("a column encoded here");
            let ours = pages(values, &parquet_type, encoding, Ok)
                .unwrap()
                .expect("no NaN");
            let options = WriteOptions {
                statistics: StatisticsOptions::default(),
                version: Version::V1,
                compression: polars_parquet::write::CompressionOptions::Uncompressed,
                data_page_size: None,
            };
            let theirs: Vec<Page> = array_to_columns(array, parquet_type, options, &[encoding])
                .unwrap()
                .into_iter()
                .flatten()
                .map(Result::unwrap)
                .collect();
            assert_eq!(
                described(ours),
                described(theirs),
                "{what} (nullable: {nullable})"
            );
        }
    }

    /// A small deterministic generator (SplitMix64), so the cases need no random crate.
    fn numbers(n: usize, seed: u64) -> impl Iterator<Item = u64> {
        (0..n as u64).map(move |i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    }

    #[test]
    fn floats_give_polars_own_pages() {
        let many: Vec<f64> = numbers(300_000, 1)
            .map(|x| (x % 20_001) as f64 - 10_000.25)
            .collect();
        let cases: Vec<(&str, Vec<f64>)> = vec![
            ("empty", vec![]),
            ("one", vec![4.25]),
            ("zeros of both signs", vec![0.0, -0.0, 1.5, -0.0]),
            ("infinities", vec![f64::INFINITY, -3.0, f64::NEG_INFINITY]),
            ("several pages", many.clone()),
        ];
        for (what, values) in cases {
            assert_same_pages(&PrimitiveArray::from_vec(values), Encoding::Plain, what);
        }
        let whole = PrimitiveArray::from_vec(many);
        assert_same_pages(
            &whole.clone().sliced(12_345, 200_000),
            Encoding::Plain,
            "a slice",
        );
        let valid = Bitmap::new_with_value(true, whole.len());
        let whole = whole.with_validity(Some(valid));
        assert_same_pages(&whole, Encoding::Plain, "several pages, a validity bitmap");
        assert_same_pages(&whole.sliced(3, 250_001), Encoding::Plain, "its slice");
        let nan = PrimitiveArray::from_vec(vec![1.0, f64::NAN]);
        let values = Values::of(&nan, &[Encoding::Plain]).unwrap();
        let parquet_type = to_parquet_type(&Field::new("x".into(), nan.dtype().clone(), true));
        assert!(
            pages(values, &parquet_type.unwrap(), Encoding::Plain, Ok)
                .unwrap()
                .is_none(),
            "a NaN goes to polars"
        );
    }

    #[test]
    fn counts_give_polars_own_pages_plain_and_delta_packed() {
        // A month's `t` (constant), a population's `member` (counting, restarting), random values of
        // every width (above 2^31 too: polars casts them to negative INT32), short last blocks whose
        // unused slots hold the block before's deltas, and pages beyond the first.
        let members: Vec<u32> = (0..1_000_000u32).map(|i| i % 9_000 + 1).collect();
        let mixed: Vec<u32> = numbers(5_000, 7)
            .enumerate()
            .map(|(i, x)| match (i / 300) % 4 {
                0 => 42,
                1 => (x % 16) as u32,
                2 => i as u32 * 3,
                _ => x as u32,
            })
            .collect();
        let cases: Vec<(&str, Vec<u32>)> = vec![
            ("empty", vec![]),
            ("one", vec![7]),
            ("two", vec![7, u32::MAX]),
            ("a block and one", (0..258).map(|i| i * i).collect()),
            ("constant", vec![120; 600_000]),
            ("members", members.clone()),
            ("mixed widths", mixed),
            ("wide", numbers(2_000, 3).map(|x| x as u32).collect()),
            (
                "short last block",
                (0..600)
                    .map(|i| if i < 512 { i * 1000 } else { 5 })
                    .collect(),
            ),
        ];
        for (what, values) in cases {
            let array = PrimitiveArray::from_vec(values);
            assert_same_pages(&array, Encoding::DeltaBinaryPacked, what);
            assert_same_pages(&array, Encoding::Plain, what);
        }
        let whole = PrimitiveArray::from_vec(members);
        let slice = whole.sliced(777, 500_000);
        assert_same_pages(&slice, Encoding::DeltaBinaryPacked, "a slice");
        assert_same_pages(&slice, Encoding::Plain, "a slice");
    }

    #[test]
    fn booleans_give_polars_own_pages() {
        let many: Vec<bool> = numbers(3_000_000, 11).map(|x| x % 3 == 0).collect();
        let cases: Vec<(&str, Vec<bool>)> = vec![
            ("empty", vec![]),
            ("one", vec![true]),
            ("all false", vec![false; 13]),
            ("all true", vec![true; 64]),
            ("a last byte in part", many[..1001].to_vec()),
            ("several pages", many.clone()),
        ];
        for (what, values) in cases {
            assert_same_pages(&BooleanArray::from_slice(values), Encoding::Plain, what);
        }
        let whole = BooleanArray::from_slice(&many);
        assert_same_pages(
            &whole.clone().sliced(1 << 20, 70_001),
            Encoding::Plain,
            "a slice on a byte",
        );
        // A slice that does not start on a byte goes to polars.
        let odd = whole.sliced(3, 100);
        let values = Values::of(&odd, &[Encoding::Plain]).unwrap();
        let parquet_type = to_parquet_type(&Field::new("x".into(), odd.dtype().clone(), true));
        assert!(
            pages(values, &parquet_type.unwrap(), Encoding::Plain, Ok)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn random_columns_give_polars_own_pages() {
        // Many small columns of random lengths, each a mix of runs, steps and noise of random widths, and
        // booleans sliced at random whole bytes: every page as polars makes it.
        for seed in 0..60u64 {
            let mut draws = numbers(4_096, seed * 7_919 + 13);
            let mut draw = move || draws.next().expect("enough draws");
            let len = (draw() % 2_000) as usize;
            let mut counts = Vec::with_capacity(len);
            let mut value = (draw() % 1_000) as u32;
            while counts.len() < len {
                let run = 1 + (draw() % 300) as usize;
                let (kind, width) = (draw() % 4, 1 + draw() % 32);
                for _ in 0..run.min(len - counts.len()) {
                    value = match kind {
                        0 => value,
                        1 => value.wrapping_add(1),
                        2 => (draw() & ((1u64 << width) - 1)) as u32,
                        _ => value.wrapping_sub((draw() % 3) as u32),
                    };
                    counts.push(value);
                }
            }
            let array = PrimitiveArray::from_vec(counts);
            let what = format!("counts, seed {seed}");
            assert_same_pages(&array, Encoding::DeltaBinaryPacked, &what);
            assert_same_pages(&array, Encoding::Plain, &what);
            let floats: Vec<f64> = array
                .values()
                .iter()
                .map(|&v| f64::from(v) * if v % 3 == 0 { -0.5 } else { 1.25 })
                .collect();
            assert_same_pages(&PrimitiveArray::from_vec(floats), Encoding::Plain, &what);
            let flags: Vec<bool> = array.values().iter().map(|&v| v % 5 < 2).collect();
            let flags = BooleanArray::from_slice(flags);
            let from = 8 * (draw() as usize % (len / 8 + 1));
            let flags = flags.sliced(from, len - from);
            assert_same_pages(&flags, Encoding::Plain, &format!("flags, seed {seed}"));
            // The same columns with a validity bitmap and no nulls (and, below, a large one).
            let valid = Some(Bitmap::new_with_value(true, len));
            let what = format!("with a validity bitmap, seed {seed}");
            let array = array.with_validity(valid.clone());
            assert_same_pages(&array, Encoding::DeltaBinaryPacked, &what);
            assert_same_pages(&array, Encoding::Plain, &what);
            let floats: Vec<f64> = array.values().iter().map(|&v| f64::from(v)).collect();
            let floats = PrimitiveArray::from_vec(floats).with_validity(valid.clone());
            assert_same_pages(&floats, Encoding::Plain, &what);
            let flags: Vec<bool> = array.values().iter().map(|&v| v % 2 == 0).collect();
            let flags = BooleanArray::from_slice(flags).with_validity(valid);
            assert_same_pages(&flags, Encoding::Plain, &what);
        }
    }
}

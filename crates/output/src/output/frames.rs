//! The recorded tables as Arrow arrays and polars DataFrames: the one place where a run's rows
//! ([`crate::tables`]) and events meet polars. Chunks of the large tables become arrays for the Parquet
//! writer as the months run; the small tables, and the large ones when a run keeps them, become
//! DataFrames ([`Outputs`]).
//!
//! String columns recorded as positions in a list of words become dictionary arrays over the whole
//! list, which the Parquet writer writes dictionary-encoded, keeping only the words used; in
//! DataFrames they are plain polars Strings.

use crate::components::orders_of_magnitude;
use crate::simulation::Recorded;
use crate::tables::{Column as Stored, KeyColumn, LabIds, LabSample, Table, Words};
use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::IntegerType;

/// Rows of a table as Arrow arrays, one per column in schema order. String columns are dictionary
/// arrays over their whole list of words; the Parquet writer keeps only the words used.
pub struct Arrays {
    pub rows: usize,
    pub columns: Vec<(PlSmallStr, ArrayRef)>,
}

/// The column of `codes`, positions in `words`: a dictionary array over the whole list.
fn dictionary(words: &Words, codes: Vec<u32>) -> PolarsResult<ArrayRef> {
    // Checked here: polars-arrow 0.55's check lets a code equal to the list's length through.
    if let Some(&largest) = codes.iter().max() {
        polars_ensure!(
            (largest as usize) < words.len(),
            ComputeError: "code {largest} out of {} words", words.len()
        );
    }
    let keys = PrimitiveArray::from_vec(codes);
    // SAFETY: every code is below the list's length (checked above), which is what `try_new` would
    // check again, row by row, on every chunk of the labs table.
    Ok(Box::new(unsafe {
        DictionaryArray::try_new_unchecked(
            ArrowDataType::Dictionary(
                IntegerType::UInt32,
                Box::new(ArrowDataType::Utf8View),
                false,
            ),
            keys,
            Utf8ViewArray::from_slice_values(words.list()).boxed(),
        )
    }?))
}

/// Bytes of 0 or 1 packed eight to a byte, the first in the lowest bit (Arrow's order). Eight bytes
/// read as one little-endian word and multiplied by `0x0102040810204080` put byte `i`'s bit at bit
/// `56 + i`, with every other product term below bit 56 or above bit 63 and no carry between them: one
/// multiplication a byte of output. (polars' comparison kernel, which this replaces, packed bit by bit:
/// 1.4 % of a 1 M-lab run in full detail.)
fn pack_bits(bytes: &[u8]) -> Vec<u8> {
    debug_assert!(
        bytes.iter().all(|&b| b <= 1),
        "a boolean column holds 0 or 1"
    );
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let chunks = bytes.chunks_exact(8);
    let rest = chunks.remainder();
    let mut packed: Vec<u8> = chunks
        .map(|chunk| {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            (word.wrapping_mul(GATHER) >> 56) as u8
        })
        .collect();
    if !rest.is_empty() {
        packed.push(
            rest.iter()
                .enumerate()
                .fold(0, |acc, (i, &b)| acc | (b << i)),
        );
    }
    packed
}

/// The polars type of a recorded column.
fn dtype(column: &Stored) -> DataType {
    match column {
        Stored::F64(_) | Stored::OrdersOfMagnitude(_) => DataType::Float64,
        Stored::U32(_) => DataType::UInt32,
        Stored::Bool(_) => DataType::Boolean,
        Stored::Dict(..) | Stored::Text(_) => DataType::String,
    }
}

/// A recorded column as an Arrow array; numbers handed over without a copy.
fn array(column: Stored) -> PolarsResult<ArrayRef> {
    Ok(match column {
        Stored::F64(x) => PrimitiveArray::from_vec(x).boxed(),
        Stored::U32(x) => PrimitiveArray::from_vec(x).boxed(),
        Stored::Bool(x) => {
            let len = x.len();
            BooleanArray::new(
                ArrowDataType::Boolean,
                Bitmap::from_u8_vec(pack_bits(&x), len),
                None,
            )
            .boxed()
        }
        Stored::Dict(words, codes) => dictionary(&words, codes)?,
        Stored::Text(x) => Utf8ViewArray::from_slice_values(&x).boxed(),
        Stored::OrdersOfMagnitude(mut x) => {
            // Alike labs share their capability, so a value often repeats the row before: the
            // logarithm is taken once for the run.
            let mut last = (f64::NAN, f64::NAN);
            for v in &mut x {
                if v.to_bits() != last.0.to_bits() {
                    last = (*v, orders_of_magnitude(*v));
                }
                *v = last.1;
            }
            PrimitiveArray::from_vec(x).boxed()
        }
    })
}

/// The columns' names and polars types, in order: `month`, `t`, the entity columns, the recorded
/// ones. The same whether the table has rows or not, and in every run of the same world.
pub fn schema(table: &Table) -> Schema {
    let mut fields = vec![
        Field::new("month".into(), DataType::String),
        Field::new("t".into(), DataType::UInt32),
    ];
    for (name, column) in &table.keys.entities {
        let dtype = match column {
            KeyColumn::Words(..) => DataType::String,
            KeyColumn::Numbers(_) => DataType::UInt32,
        };
        fields.push(Field::new(name.into(), dtype));
    }
    for (name, column) in table.names.iter().zip(&table.columns) {
        fields.push(Field::new(name.into(), dtype(column)));
    }
    Schema::from_iter(fields)
}

/// The rows as Arrow arrays: the key columns made, then the recorded ones, numeric columns handed
/// over without a copy.
pub fn arrays(table: Table) -> PolarsResult<Arrays> {
    let Table {
        keys,
        first_month,
        names,
        columns: recorded,
        rows,
    } = table;
    let per_month = keys.per_month;
    let months_here = if per_month == 0 {
        0
    } else {
        assert_eq!(rows % per_month, 0, "a month's rows are incomplete");
        rows / per_month
    };
    // Made with bulk copies, not per-row iterator chains: this runs on every chunk of the labs table.
    let month_of_row = match &keys.row_months {
        Some(months) => months.to_vec(),
        None => {
            let mut month_of_row = Vec::with_capacity(rows);
            for m in first_month..first_month + months_here {
                month_of_row.extend(std::iter::repeat_n(m as u32, per_month));
            }
            month_of_row
        }
    };
    let tile = |codes: &[u32]| {
        let mut tiled = Vec::with_capacity(rows);
        for _ in 0..months_here {
            tiled.extend_from_slice(codes);
        }
        tiled
    };
    let mut columns: Vec<(PlSmallStr, ArrayRef)> = vec![
        (
            "month".into(),
            dictionary(&keys.months, month_of_row.clone())?,
        ),
        ("t".into(), PrimitiveArray::from_vec(month_of_row).boxed()),
    ];
    for (name, column) in &keys.entities {
        let array = match column {
            KeyColumn::Words(words, codes) => dictionary(words, tile(codes))?,
            KeyColumn::Numbers(values) => PrimitiveArray::from_vec(tile(values)).boxed(),
        };
        columns.push((name.into(), array));
    }
    for (name, column) in names.iter().zip(recorded) {
        columns.push((name.into(), array(column)?));
    }
    Ok(Arrays { rows, columns })
}

/// The rows as a DataFrame, string columns as polars Strings.
pub fn frame(table: Table) -> PolarsResult<DataFrame> {
    let schema = schema(&table);
    let arrays = arrays(table)?;
    let columns = arrays
        .columns
        .into_iter()
        .zip(schema.iter_values())
        .map(|((name, array), dtype)| {
            let array = if dtype == &DataType::String {
                strings(array.as_ref())?
            } else {
                array
            };
            Ok(Series::from_arrow(name, array)?.into_column())
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(arrays.rows, columns)
}

/// A dictionary array of strings as a plain string array: its values' views gathered by the keys (no
/// string copied). Any other array is returned as it is.
pub(crate) fn strings(array: &dyn Array) -> PolarsResult<ArrayRef> {
    let Some(dictionary) = array.as_any().downcast_ref::<DictionaryArray<u32>>() else {
        return Ok(array.to_boxed());
    };
    let keys = dictionary.keys();
    let values = dictionary.values();
    polars_ensure!(
        keys.null_count() == 0 && keys.values_iter().all(|&k| (k as usize) < values.len()),
        ComputeError: "a dictionary key out of its values"
    );
    // SAFETY: every key is within the values (checked above), and the keys have no nulls.
    Ok(unsafe { polars::polars_compute::gather::take_unchecked(values.as_ref(), keys) })
}

/// The labs table's dimension table `lab_ids` ([`crate::tables::Recorder::lab_ids`]).
pub fn lab_ids_frame(ids: LabIds) -> PolarsResult<DataFrame> {
    let LabIds {
        rows,
        keys,
        lab,
        weight,
    } = ids;
    let mut columns = Vec::new();
    for (name, column) in keys {
        let array = match column {
            KeyColumn::Words(words, codes) => {
                strings(dictionary(&words, codes.to_vec())?.as_ref())?
            }
            KeyColumn::Numbers(values) => PrimitiveArray::from_vec(values.to_vec()).boxed(),
        };
        columns.push(Series::from_arrow(name.into(), array)?.into_column());
    }
    columns.insert(2, Column::new("lab".into(), lab));
    columns.push(Column::new("weight".into(), weight));
    DataFrame::new(rows, columns)
}

/// The tables of a finished run. The large tables, `labs` and `usage`, are here only when the run kept
/// them ([`crate::LargeTables::Keep`]); a run that streamed them to files as the months ran
/// has them here without rows, and their row counts in `rows`.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub global: DataFrame,
    pub nations: DataFrame,
    pub labs: DataFrame,
    pub providers: DataFrame,
    pub fabs: DataFrame,
    pub usage: DataFrame,
    pub events: DataFrame,
    /// The labs table's dimension table: one row per lab it has rows for ([`crate::tables::Recorder::lab_ids`]).
    pub lab_ids: DataFrame,
    /// Rows of each table, by file stem, wherever the rows went.
    pub rows: std::collections::BTreeMap<String, usize>,
    /// What the labs table holds.
    pub sample: LabSample,
}

impl Outputs {
    /// From what a run recorded, with the large tables (labs, usage) as `large` when it kept them
    /// (else they are here without rows).
    pub fn from_recorded(
        recorded: Recorded,
        large: crate::simulation::Large<Option<DataFrame>>,
    ) -> PolarsResult<Outputs> {
        let Recorded {
            global,
            nations,
            providers,
            fabs,
            events,
            lab_ids,
            large: empty,
            large_rows,
            sample,
        } = recorded;
        let (labs, usage) = match (large.labs, large.usage) {
            (Some(labs), Some(usage)) => (labs, usage),
            _ => (frame(empty.labs)?, frame(empty.usage)?),
        };
        let mut outputs = Outputs {
            global: frame(global)?,
            nations: frame(nations)?,
            labs,
            providers: frame(providers)?,
            fabs: frame(fabs)?,
            usage,
            events: frame(events)?,
            lab_ids: lab_ids_frame(lab_ids)?,
            rows: Default::default(),
            sample,
        };
        let mut rows: std::collections::BTreeMap<String, usize> = outputs
            .tables()
            .into_iter()
            .map(|(name, frame)| (name.to_string(), frame.height()))
            .collect();
        rows.insert("labs".into(), large_rows.labs);
        rows.insert("usage".into(), large_rows.usage);
        outputs.rows = rows;
        Ok(outputs)
    }

    /// (file stem, table) pairs, in the order they are written.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 8] {
        [
            ("global", &self.global),
            ("nations", &self.nations),
            ("labs", &self.labs),
            ("lab_ids", &self.lab_ids),
            ("providers", &self.providers),
            ("fabs", &self.fabs),
            ("usage", &self.usage),
            ("events", &self.events),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{Keys, Rows, Vocabulary, table};

    fn strs<'a>(frame: &'a DataFrame, name: &str) -> Vec<&'a str> {
        frame
            .column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect()
    }

    fn u32s(frame: &DataFrame, name: &str) -> Vec<u32> {
        let c = frame.column(name).unwrap().u32().unwrap();
        c.into_no_null_iter().collect()
    }

    fn f64s(frame: &DataFrame, name: &str) -> Vec<f64> {
        let c = frame.column(name).unwrap().f64().unwrap();
        c.into_no_null_iter().collect()
    }

    fn words(n: usize) -> Words {
        Words::new((0..n).map(|i| format!("w{i}")).collect())
    }

    table! {
        /// A table of every kind of column.
        pub struct TestRow<'a> in TestColumns {
            x: flop,
            odd: bool,
            side: code(sides),
            share_: per_bloc,
        }
    }

    #[test]
    fn a_dictionary_column_refuses_a_code_outside_its_words() {
        assert!(dictionary(&words(3), vec![0, 2, 1]).is_ok());
        assert!(dictionary(&words(3), vec![0, 3]).is_err());
        assert!(dictionary(&words(300), vec![299]).is_ok());
        assert!(dictionary(&words(300), vec![300]).is_err());
        // No rows: nothing to check, even with no words.
        assert!(dictionary(&words(0), vec![]).is_ok());
        // As plain strings: the words of the codes.
        let plain = strings(dictionary(&words(3), vec![2, 0, 2]).unwrap().as_ref()).unwrap();
        let plain: &Utf8ViewArray = plain.as_any().downcast_ref().unwrap();
        assert_eq!(plain.values_iter().collect::<Vec<_>>(), ["w2", "w0", "w2"]);
    }

    /// The events are a log: any number of rows a month, each keyed by its own month.
    #[test]
    fn the_events_log_is_keyed_by_each_event_month() {
        use crate::resources::{EventKind, EventRecord};
        let months = Words::new(["2025-01", "2025-02", "2025-03"].map(String::from).into());
        let event = |month, kind, actor: &str, false_positive| EventRecord {
            month,
            kind,
            actor: actor.into(),
            target: String::new(),
            nation: "CN".into(),
            provider: String::new(),
            detail: format!("{actor} in {month}"),
            false_positive,
        };
        let events = [
            event(0, EventKind::PolicyOn, "US", false),
            event(2, EventKind::TheftDetected, "lab-a", true),
            event(2, EventKind::Ban, "US", false),
        ];
        let df = frame(crate::tables::events_table(&events, &months)).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "month",
                "t",
                "kind",
                "actor",
                "target",
                "nation",
                "provider",
                "detail",
                "false_positive"
            ]
        );
        assert_eq!(strs(&df, "month"), ["2025-01", "2025-03", "2025-03"]);
        let t: Vec<u32> = df
            .column("t")
            .unwrap()
            .u32()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(t, [0, 2, 2]);
        assert_eq!(strs(&df, "kind"), ["policy_on", "theft_detected", "ban"]);
        assert_eq!(strs(&df, "detail"), ["US in 0", "lab-a in 2", "US in 2"]);
        let flags: Vec<bool> = df
            .column("false_positive")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(flags, [false, true, false]);
        // No events: the same columns, no rows.
        let empty = frame(crate::tables::events_table(&[], &months)).unwrap();
        assert_eq!(empty.height(), 0);
        assert_eq!(empty.schema(), df.schema());
    }

    #[test]
    fn a_table_in_chunks_keeps_its_months_and_keys() {
        let months = words(5);
        let keys = Keys::new(&months, 2)
            .entity("e", &words(2), Keys::each(2))
            .number("n", vec![7, 9]);
        let vocabulary = Vocabulary {
            sides: words(3),
            main_providers: words(1),
            bounds: words(1),
        };
        let blocs = ["a".to_string(), "b".to_string()];
        let mut table = Rows::<TestColumns>::new(keys, &blocs, &vocabulary);
        let schema = super::schema(&table.empty());
        let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "month", "t", "e", "n", "x", "odd", "side", "share_a", "share_b"
            ]
        );
        let mut chunks = Vec::new();
        for m in 0..5 {
            for e in 0..2 {
                let x = m * 2 + e as i32;
                let row = TestRow {
                    x: 10f64.powi(x),
                    odd: x % 2 == 1,
                    side: e,
                    share_: &[f64::from(x), -f64::from(x)],
                };
                table.push(e, row);
            }
            if m % 2 == 1 || m == 4 {
                chunks.push(frame(table.take()).unwrap());
            }
        }
        let heights: Vec<usize> = chunks.iter().map(DataFrame::height).collect();
        assert_eq!(heights, [4, 4, 2]);
        let mut all = chunks[0].clone();
        for c in &chunks[1..] {
            all.vstack_mut(c).unwrap();
        }
        let t = u32s(&all, "t");
        assert_eq!(t, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        // Strings are plain strings, and every chunk has the table's schema.
        assert_eq!(**all.schema(), schema);
        assert_eq!(all.column("month").unwrap().dtype(), &DataType::String);
        let month = strs(&all, "month");
        assert_eq!(
            month,
            ["w0", "w0", "w1", "w1", "w2", "w2", "w3", "w3", "w4", "w4"]
        );
        let e = strs(&all, "e");
        assert_eq!(e, ["w0", "w1"].repeat(5));
        let n = u32s(&all, "n");
        assert_eq!(n, [7, 9].repeat(5));
        // FLOP counts recorded, orders of magnitude reported.
        let x = f64s(&all, "x");
        let expected: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(x, expected);
        let odd = all.column("odd").unwrap().bool().unwrap();
        assert_eq!(odd.null_count(), 0);
        let odd: Vec<bool> = odd.iter().flatten().collect();
        assert_eq!(odd, [false, true].repeat(5));
        let side = strs(&all, "side");
        assert_eq!(side, ["w0", "w1"].repeat(5));
        let b = f64s(&all, "share_b");
        assert_eq!(b, expected.iter().map(|x| -x).collect::<Vec<_>>());
    }

    /// Every byte of eight 0/1 values, and every length of tail, packs as the rule says: value `i` at
    /// bit `i % 8` of byte `i / 8`.
    #[test]
    fn booleans_pack_eight_to_a_byte_lowest_bit_first() {
        let naive = |bytes: &[u8]| -> Vec<u8> {
            let mut out = vec![0u8; bytes.len().div_ceil(8)];
            for (i, &b) in bytes.iter().enumerate() {
                out[i / 8] |= b << (i % 8);
            }
            out
        };
        for pattern in 0u32..256 {
            let bytes: Vec<u8> = (0..8).map(|i| ((pattern >> i) & 1) as u8).collect();
            assert_eq!(super::pack_bits(&bytes), [pattern as u8], "{bytes:?}");
        }
        let long: Vec<u8> = (0..1000u32)
            .map(|i| u8::from(i % 3 == 0 || i % 7 == 1))
            .collect();
        for len in 0..long.len() {
            assert_eq!(
                super::pack_bits(&long[..len]),
                naive(&long[..len]),
                "length {len}"
            );
        }
    }
}

//! The output tables as the metrics system records them: column stores with a fixed schema per table,
//! turned into Arrow arrays (for the Parquet writer, chunk by chunk as the months run) or polars
//! DataFrames at the end of a run. The column names are the ones documented in the README and used in
//! charts and sweeps.
//!
//! Id columns (month, nation, population, kind, provider, side, bound, …) are plain strings, the same
//! type in every run, so that the tables of two runs concatenate and join without casts. They are
//! recorded as positions in a fixed list of words, with no string made per row, and handed to the
//! Parquet writer as dictionary arrays over that list, which writes them dictionary-encoded.

use crate::components::orders_of_magnitude;
use crate::resources::EventRecord;
use crate::scenario::LabKind;
use bevy_ecs::prelude::*;
use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::IntegerType;
use std::sync::Arc;

/// A fixed list of strings that a column draws from, shared (not copied) by the tables that use it,
/// with the same list as an Arrow array for the dictionary arrays made from it.
#[derive(Clone, Debug)]
pub struct Words {
    list: Arc<[String]>,
    array: Utf8ViewArray,
}

impl Words {
    pub fn new(list: Arc<[String]>) -> Words {
        let array = Utf8ViewArray::from_slice_values(&*list);
        Words { list, array }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, code: usize) -> &str {
        &self.list[code]
    }

    /// The column of `codes`, positions in the list: a dictionary array over the whole list.
    fn column(&self, codes: Vec<u32>) -> PolarsResult<ArrayRef> {
        // Checked here: polars-arrow 0.55's check lets a code equal to the list's length through.
        if let Some(&largest) = codes.iter().max() {
            polars_ensure!(
                (largest as usize) < self.len(),
                ComputeError: "code {largest} out of {} words", self.len()
            );
        }
        let keys = PrimitiveArray::from_vec(codes);
        Ok(Box::new(DictionaryArray::try_new(
            ArrowDataType::Dictionary(
                IntegerType::UInt32,
                Box::new(ArrowDataType::Utf8View),
                false,
            ),
            keys,
            self.array.clone().boxed(),
        )?))
    }
}

/// The type of a recorded column.
#[derive(Clone, Debug)]
pub enum Kind {
    F64,
    U32,
    Bool,
    /// Strings from a fixed list (ids, sides), pushed as their position in it: no allocation per row.
    Dict(Words),
    /// A FLOP count, reported in orders of magnitude (log10): the log is taken when the table is
    /// finished, off the simulation's thread for the large tables.
    OrdersOfMagnitude,
}

impl Kind {
    /// The polars type of the column.
    fn dtype(&self) -> DataType {
        match self {
            Kind::F64 | Kind::OrdersOfMagnitude => DataType::Float64,
            Kind::U32 => DataType::UInt32,
            Kind::Bool => DataType::Boolean,
            Kind::Dict(_) => DataType::String,
        }
    }
}

#[derive(Clone, Debug)]
enum Values {
    F64(Vec<f64>),
    U32(Vec<u32>),
    /// 0 or 1, packed into bits when the table is finished.
    Bool(Vec<u8>),
    Dict(Words, Vec<u32>),
    OrdersOfMagnitude(Vec<f64>),
}

impl Values {
    fn new(kind: Kind) -> Values {
        match kind {
            Kind::F64 => Values::F64(Vec::new()),
            Kind::U32 => Values::U32(Vec::new()),
            Kind::Bool => Values::Bool(Vec::new()),
            Kind::Dict(words) => Values::Dict(words, Vec::new()),
            Kind::OrdersOfMagnitude => Values::OrdersOfMagnitude(Vec::new()),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Values::F64(_) => Kind::F64,
            Values::U32(_) => Kind::U32,
            Values::Bool(_) => Kind::Bool,
            Values::Dict(words, _) => Kind::Dict(words.clone()),
            Values::OrdersOfMagnitude(_) => Kind::OrdersOfMagnitude,
        }
    }

    fn reserve(&mut self, rows: usize) {
        match self {
            Values::F64(x) | Values::OrdersOfMagnitude(x) => x.reserve(rows),
            Values::U32(x) => x.reserve(rows),
            Values::Bool(x) => x.reserve(rows),
            Values::Dict(_, x) => x.reserve(rows),
        }
    }

    /// The column as an Arrow array; numbers handed over without a copy.
    fn into_array(self) -> PolarsResult<ArrayRef> {
        Ok(match self {
            Values::F64(x) => PrimitiveArray::from_vec(x).boxed(),
            Values::U32(x) => PrimitiveArray::from_vec(x).boxed(),
            // polars packs bits from bytes with its vectorised comparison kernel, several times
            // faster than from a Vec<bool>.
            Values::Bool(x) => {
                let bits = UInt8Chunked::from_vec(PlSmallStr::EMPTY, x).equal(1);
                let array: &BooleanArray = bits.downcast_iter().next().expect("one chunk");
                array.clone().boxed()
            }
            Values::Dict(words, codes) => words.column(codes)?,
            Values::OrdersOfMagnitude(mut x) => {
                for v in &mut x {
                    *v = orders_of_magnitude(*v);
                }
                PrimitiveArray::from_vec(x).boxed()
            }
        })
    }
}

/// A key column: made from the rows' positions within a month, not recorded.
#[derive(Clone, Debug)]
enum KeyColumn {
    /// Strings from a fixed list: each row's position in it.
    Words(Words, Arc<[u32]>),
    /// A number for each row.
    Numbers(Arc<[u32]>),
}

/// What the rows of a table are keyed by: the month, and the entity (or pair of entities) of each row
/// within a month, always the same and in the same order — one row per entity per month, as MODEL.md
/// has it. These columns are not recorded row by row: they are made from the rows' positions when the
/// table is finished.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Labels of the run's months, for the `month` column (`t` is the position).
    months: Words,
    /// Rows per month.
    per_month: usize,
    /// The entity columns after `month` and `t`, each with its values for the rows of a month.
    entities: Vec<(String, KeyColumn)>,
}

impl Keys {
    fn new(months: &Words, per_month: usize) -> Keys {
        Keys {
            months: months.clone(),
            per_month,
            entities: Vec::new(),
        }
    }

    /// Adds an entity column of strings: `codes` gives the row's word for each row of a month.
    fn entity(mut self, name: &str, words: &Words, codes: Vec<u32>) -> Keys {
        debug_assert_eq!(codes.len(), self.per_month);
        self.entities.push((
            name.to_string(),
            KeyColumn::Words(words.clone(), codes.into()),
        ));
        self
    }

    /// Adds an entity column of numbers, one for each row of a month.
    fn number(mut self, name: &str, values: Vec<u32>) -> Keys {
        debug_assert_eq!(values.len(), self.per_month);
        self.entities
            .push((name.to_string(), KeyColumn::Numbers(values.into())));
        self
    }

    /// One per row: 0, 1, … `per_month - 1`.
    fn each(n: usize) -> Vec<u32> {
        (0..n as u32).collect()
    }

    /// Rows per month.
    pub fn per_month(&self) -> usize {
        self.per_month
    }
}

/// A table recorded month by month: each month, one row per key in key order, pushing the recorded
/// columns in schema order.
#[derive(Clone, Debug)]
pub struct Table {
    keys: Keys,
    /// The month of the first row (a chunk of a large table starts later than month 0).
    first_month: usize,
    names: Vec<String>,
    values: Vec<Values>,
    rows: usize,
}

/// Rows of a table as Arrow arrays, one per column in schema order. String columns are dictionary
/// arrays over their whole list of words; the Parquet writer keeps only the words used.
pub struct Arrays {
    pub rows: usize,
    pub columns: Vec<(PlSmallStr, ArrayRef)>,
}

impl Table {
    pub fn new(keys: Keys, schema: Vec<(String, Kind)>) -> Self {
        let (names, values) = schema.into_iter().map(|(n, k)| (n, Values::new(k))).unzip();
        Table {
            keys,
            first_month: 0,
            names,
            values,
            rows: 0,
        }
    }

    /// Starts the row of the entity at position `at` in the month's key order; push every recorded
    /// column in schema order, then `end`.
    pub fn row(&mut self, at: usize) -> Row<'_> {
        debug_assert_eq!(
            self.rows % self.keys.per_month.max(1),
            at,
            "rows recorded out of key order"
        );
        Row {
            table: self,
            col: 0,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Rows per month.
    pub fn per_month(&self) -> usize {
        self.keys.per_month
    }

    /// The month of the first row.
    pub fn first_month(&self) -> usize {
        self.first_month
    }

    /// Moves the rows recorded so far into a table of their own, and leaves this one empty, with the
    /// same columns and room for as many rows, to go on from the next month.
    pub fn take_rows(&mut self) -> Table {
        let rows = self.rows;
        let mut rest = Table {
            keys: self.keys.clone(),
            first_month: self.first_month + rows / self.keys.per_month.max(1),
            names: self.names.clone(),
            values: self.values.iter().map(|v| Values::new(v.kind())).collect(),
            rows: 0,
        };
        rest.reserve(rows);
        std::mem::replace(self, rest)
    }

    /// Makes room for `rows` more rows at once, instead of growing as they come.
    pub fn reserve(&mut self, rows: usize) {
        for v in &mut self.values {
            v.reserve(rows);
        }
    }

    /// The columns' names and polars types, in order: `month`, `t`, the entity columns, the recorded
    /// ones. The same whether the table has rows or not, and in every run of the same world.
    pub fn schema(&self) -> Schema {
        let mut fields = vec![
            Field::new("month".into(), DataType::String),
            Field::new("t".into(), DataType::UInt32),
        ];
        for (name, column) in &self.keys.entities {
            let dtype = match column {
                KeyColumn::Words(..) => DataType::String,
                KeyColumn::Numbers(_) => DataType::UInt32,
            };
            fields.push(Field::new(name.into(), dtype));
        }
        for (name, v) in self.names.iter().zip(&self.values) {
            fields.push(Field::new(name.into(), v.kind().dtype()));
        }
        Schema::from_iter(fields)
    }

    /// The finished rows as Arrow arrays: the key columns made, then the recorded ones, numeric columns
    /// handed over without a copy.
    pub fn into_arrays(self) -> PolarsResult<Arrays> {
        let Keys {
            months,
            per_month,
            entities,
        } = self.keys;
        let months_here = if per_month == 0 {
            0
        } else {
            assert_eq!(self.rows % per_month, 0, "a month's rows are incomplete");
            self.rows / per_month
        };
        // Made with bulk copies, not per-row iterator chains: this runs on every chunk of the labs table.
        let mut month_of_row = Vec::with_capacity(self.rows);
        for m in self.first_month..self.first_month + months_here {
            month_of_row.extend(std::iter::repeat_n(m as u32, per_month));
        }
        let tile = |codes: &[u32]| {
            let mut tiled = Vec::with_capacity(self.rows);
            for _ in 0..months_here {
                tiled.extend_from_slice(codes);
            }
            tiled
        };
        let mut columns: Vec<(PlSmallStr, ArrayRef)> = vec![
            ("month".into(), months.column(month_of_row.clone())?),
            ("t".into(), PrimitiveArray::from_vec(month_of_row).boxed()),
        ];
        for (name, column) in entities {
            let array = match column {
                KeyColumn::Words(words, codes) => words.column(tile(&codes))?,
                KeyColumn::Numbers(values) => PrimitiveArray::from_vec(tile(&values)).boxed(),
            };
            columns.push((name.into(), array));
        }
        for (name, v) in self.names.into_iter().zip(self.values) {
            columns.push((name.into(), v.into_array()?));
        }
        Ok(Arrays {
            rows: self.rows,
            columns,
        })
    }

    /// The finished table as a DataFrame, string columns as polars Strings.
    pub fn into_frame(self) -> PolarsResult<DataFrame> {
        let schema = self.schema();
        let arrays = self.into_arrays()?;
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

/// One row being written.
pub struct Row<'a> {
    table: &'a mut Table,
    col: usize,
}

impl Row<'_> {
    fn next(&mut self, name: &str) -> &mut Values {
        debug_assert_eq!(
            self.table.names[self.col], name,
            "columns pushed out of schema order"
        );
        let v = &mut self.table.values[self.col];
        self.col += 1;
        v
    }
    pub fn f64(mut self, name: &str, x: f64) -> Self {
        match self.next(name) {
            Values::F64(v) => v.push(x),
            _ => panic!("column {name} is not f64"),
        }
        self
    }
    /// A FLOP count, for a column of orders of magnitude.
    pub fn flop(mut self, name: &str, x: f64) -> Self {
        match self.next(name) {
            Values::OrdersOfMagnitude(v) => v.push(x),
            _ => panic!("column {name} is not in orders of magnitude"),
        }
        self
    }
    pub fn u32(mut self, name: &str, x: u32) -> Self {
        match self.next(name) {
            Values::U32(v) => v.push(x),
            _ => panic!("column {name} is not u32"),
        }
        self
    }
    /// A string from the column's fixed list, given by its position.
    pub fn code(mut self, name: &str, code: usize) -> Self {
        match self.next(name) {
            Values::Dict(words, v) => {
                debug_assert!(code < words.len());
                v.push(code as u32)
            }
            _ => panic!("column {name} is not a dictionary column"),
        }
        self
    }
    pub fn bool(mut self, name: &str, x: bool) -> Self {
        match self.next(name) {
            Values::Bool(v) => v.push(u8::from(x)),
            _ => panic!("column {name} is not bool"),
        }
        self
    }
    /// One f64 column per bloc, named `{prefix}_{bloc}`.
    pub fn per_bloc(mut self, prefix: &str, blocs: &[String], xs: &[f64]) -> Self {
        for (b, x) in blocs.iter().zip(xs) {
            // The name is only checked in debug builds, so only built there: this runs every row.
            debug_assert_eq!(self.table.names[self.col], format!("{prefix}_{b}"));
            match &mut self.table.values[self.col] {
                Values::F64(v) => v.push(*x),
                _ => panic!("column {prefix}_{b} is not f64"),
            }
            self.col += 1;
        }
        self
    }
    pub fn end(self) {
        assert_eq!(
            self.col,
            self.table.names.len(),
            "row ended before its last column"
        );
        self.table.rows += 1;
    }
}

fn schema(
    fixed: &[(&str, Kind)],
    per_bloc: &[&str],
    blocs: &[String],
    tail: &[(&str, Kind)],
) -> Vec<(String, Kind)> {
    let mut s: Vec<(String, Kind)> = fixed
        .iter()
        .map(|(n, k)| (n.to_string(), k.clone()))
        .collect();
    for prefix in per_bloc {
        for b in blocs {
            s.push((format!("{prefix}_{b}"), Kind::F64));
        }
    }
    s.extend(tail.iter().map(|(n, k)| (n.to_string(), k.clone())));
    s
}

/// Per-bloc columns of the global table, in order.
pub const GLOBAL_PER_BLOC: [&str; 7] = [
    "compute_share",
    "unmet_share",
    "chip_production_h100e",
    "indigenous_share",
    "frontier_capability",
    "smuggled_share",
    "chip_price_usd",
];

/// The large tables, `labs` and `usage`, are handed over in chunks of months as the run goes on, to
/// become Parquet row groups (or DataFrames) on a second thread, so that a run holds only a chunk or
/// two of their rows whatever its length. A chunk is at most this many rows (but at least one month)…
pub const CHUNK_ROWS: usize = 1 << 20;
/// … and at most this many months: two years of the baseline's labs is 50 000 rows, of a million labs
/// one month is a chunk.
pub const CHUNK_MONTHS: u32 = 24;

/// Months in a chunk of a table with `rows_per_month` rows a month.
pub fn chunk_months(rows_per_month: usize) -> u32 {
    (CHUNK_ROWS / rows_per_month.max(1)).clamp(1, CHUNK_MONTHS as usize) as u32
}

/// The tables of a run being recorded.
#[derive(Resource, Clone, Debug)]
pub struct Recorder {
    pub detail: Detail,
    pub blocs: Vec<String>,
    pub global: Table,
    pub nations: Table,
    pub labs: Table,
    pub providers: Table,
    pub fabs: Table,
    pub usage: Table,
    /// Months in a chunk of the labs and of the usage table ([`chunk_months`]).
    pub chunk_months: [u32; 2],
    /// With a sample of labs, each lab's row within a month, or [`NOT_RECORDED`]; none when the labs
    /// table has a row for every lab.
    lab_rows: Option<Vec<u32>>,
    /// Labs in each population (`[[lab]]` entry), by position.
    population_sizes: Vec<u32>,
    /// What the labs table holds.
    pub sample: LabSample,
}

/// A lab with no row in a sampled labs table.
const NOT_RECORDED: u32 = u32::MAX;

/// Which tables a run records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every table.
    #[default]
    Full,
    /// Every table but the labs': no rows in `labs` (it keeps its columns), every row of `usage` and
    /// `events`.
    Nations,
    /// No rows in `labs`, `usage` nor `events` (all keep their columns): what a sweep's summary
    /// statistics need, at a fraction of the cost. `global`, `nations`, `providers` and `fabs` are whole.
    Summary,
}

impl Detail {
    pub const ALL: [Detail; 3] = [Detail::Summary, Detail::Nations, Detail::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Full => "full",
            Detail::Nations => "nations",
            Detail::Summary => "summary",
        }
    }

    /// Whether the labs table has rows.
    pub fn labs(self) -> bool {
        self == Detail::Full
    }

    /// Whether the usage and events tables have rows.
    pub fn usage(self) -> bool {
        self != Detail::Summary
    }

    pub fn events(self) -> bool {
        self != Detail::Summary
    }
}

/// What a run records: the detail, and for the labs table a sample of labs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub detail: Detail,
    /// With `Some(n)`, the labs table has rows for every lab of its own (a `[[lab]]` entry with
    /// `count = 1`) and `n` members of each population, spread evenly over it ([`sampled_members`]).
    pub lab_sample: Option<u32>,
}

impl From<Detail> for Recording {
    fn from(detail: Detail) -> Recording {
        Recording {
            detail,
            lab_sample: None,
        }
    }
}

/// What the labs table of a run holds: how many labs it has rows for, of how many, and the sample asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LabSample {
    /// Members per population asked for (`--lab-sample`), if any.
    pub per_population: Option<u32>,
    /// Labs with rows each month (0 when the detail records no labs).
    pub labs: usize,
    /// Labs in the world.
    pub of: usize,
}

/// The members (1 to `count`) of a population of `count` labs that a sample of `n` keeps: all of them
/// when `n ≥ count`, else `⌊(2i + 1)·count / 2n⌋ + 1` for `i = 0 … n − 1` — the middles of `n` equal
/// slices of the population, in order. They depend only on `count` and `n`, never on the seed.
pub fn sampled_members(count: u32, n: u32) -> Vec<u32> {
    if n >= count {
        return (1..=count).collect();
    }
    let (count, n) = (u64::from(count), u64::from(n));
    (0..n)
        .map(|i| ((2 * i + 1) * count / (2 * n)) as u32 + 1)
        .collect()
}

/// The fixed lists the dictionary columns draw from, and the keys of each lab and provider.
#[derive(Clone, Debug, Default)]
pub struct Dictionaries {
    pub months: Arc<[String]>,
    pub blocs: Arc<[String]>,
    pub nations: Arc<[String]>,
    /// The `[[lab]]` entries' ids, in scenario order: the labs' populations.
    pub populations: Arc<[String]>,
    pub providers: Arc<[String]>,
    /// Per lab, in index order: its population's position, its member number within the population
    /// (1 to `count`, as in its id `{population}-{member:04}`; 0 for a lab of its own, whose id is the
    /// entry's), its nation's position and its kind's ([`LabKind::ALL`]).
    pub lab_populations: Vec<u32>,
    pub lab_members: Vec<u32>,
    pub lab_nations: Vec<u32>,
    pub lab_kinds: Vec<u32>,
    /// Per provider, in index order: its bloc's position.
    pub provider_blocs: Vec<u32>,
    pub fabs: Arc<[String]>,
    /// Per fab, in index order: its owner nation's position.
    pub fab_nations: Vec<u32>,
}

/// What bound a fab's output, the `fabs` table's `bound` column.
pub const BOUNDS: [&str; 4] = ["wafers", "memory", "packaging", "sales"];

/// Codes of the `side` column beyond the blocs, and of `main_provider` before the providers.
pub const NON_ALIGNED: &str = "non_aligned";
pub const NO_PROVIDER: &str = "";

impl Recorder {
    pub fn new(d: Dictionaries, recording: Recording) -> Self {
        use Kind::*;
        let detail = recording.detail;
        let blocs = d.blocs.to_vec();
        let (nn, nl, np) = (d.nations.len(), d.lab_nations.len(), d.providers.len());
        let mut sides = d.blocs.to_vec();
        sides.push(NON_ALIGNED.into());
        let sides = Words::new(sides.into());
        let mut main_providers = vec![NO_PROVIDER.to_string()];
        main_providers.extend(d.providers.iter().cloned());
        let main_providers = Words::new(main_providers.into());
        let kinds = Words::new(LabKind::ALL.map(|k| k.as_str().to_string()).into());
        let [
            months,
            bloc_words,
            nations_words,
            populations,
            providers_words,
            fabs_words,
        ] = [
            &d.months,
            &d.blocs,
            &d.nations,
            &d.populations,
            &d.providers,
            &d.fabs,
        ]
        .map(|list| Words::new(list.clone()));
        let global = schema(
            &[
                ("bifurcation_index", F64),
                ("cross_bloc_share", F64),
                ("capability_gap_oom", F64),
                ("capability_lag_months", F64),
                ("compute_gini", F64),
                ("unmet_share", F64),
                ("smuggled_h100e", F64),
                ("seized_h100e", F64),
                ("stranded_labs", U32),
                ("polarization", F64),
                ("compute_h100e", F64),
                ("installed_h100e", F64),
                ("frozen_h100e", F64),
                ("frontier_capability", F64),
                ("largest_run_flop", F64),
                ("produced_h100e_cum", F64),
                ("delivered_h100e_cum", F64),
                ("seized_h100e_cum", F64),
                ("stock_h100e", F64),
                ("compute_share_non_aligned", F64),
                ("chip_price_usd", F64),
                ("cloud_price_usd", F64),
                ("chip_spend_busd", F64),
                ("datacentre_spend_busd", F64),
                ("budget_busd", F64),
                ("gdp_busd", F64),
                ("power_gw", F64),
                ("power_capacity_gw", F64),
            ],
            &GLOBAL_PER_BLOC,
            &blocs,
            &[],
        );
        let mut nations = schema(
            &[("side", Dict(sides))],
            &["alignment"],
            &blocs,
            &[
                ("compute_h100e", F64),
                ("compute_per_capita", F64),
                ("demand_h100e", F64),
                ("unmet_h100e", F64),
                ("own_cluster_h100e", F64),
                ("stranded_labs", U32),
            ],
        );
        nations.extend(schema(
            &[],
            &["supplied_share"],
            &blocs,
            &[("price_paid", F64)],
        ));
        nations.extend(schema(
            &[],
            &["received_h100e"],
            &blocs,
            &[
                ("smuggled_received_h100e", F64),
                ("budget_busd", F64),
                ("chip_spend_busd", F64),
                ("power_gw", F64),
                ("power_capacity_gw", F64),
            ],
        ));
        let labs = schema(
            &[
                ("budget_busd", F64),
                ("compute_h100e", F64),
                ("training_h100e", F64),
                ("demand_h100e", F64),
                ("unmet_h100e", F64),
                ("capability", OrdersOfMagnitude),
                ("providers_used", U32),
                ("main_provider", Dict(main_providers)),
                ("kyc_refused", Bool),
                ("uses_sanctioned_provider", Bool),
                ("stranded", Bool),
                ("accused", Bool),
            ],
            &[],
            &blocs,
            &[],
        );
        let providers = schema(
            &[
                ("capacity_h100e", F64),
                ("frozen_h100e", F64),
                ("frozen_regions", U32),
                ("requested_h100e", F64),
                ("served_h100e", F64),
                ("utilization", F64),
                ("revenue_busd", F64),
                ("price_usd", F64),
                ("cost_usd", F64),
                ("capex_busd", F64),
            ],
            &[],
            &blocs,
            &[],
        );
        let usage = schema(&[("compute_h100e", F64)], &[], &blocs, &[]);
        let bounds = Words::new(BOUNDS.map(String::from).into());
        let fabs = schema(
            &[
                ("capacity_units", F64),
                ("packaging_wafers", F64),
                ("produced_units", F64),
                ("produced_h100e", F64),
                ("bound", Dict(bounds)),
                ("input_availability", F64),
                ("die_bank_units", F64),
            ],
            &[],
            &blocs,
            &[],
        );
        let nf = d.fabs.len();

        let m = &months;
        let global_keys = Keys::new(m, 1);
        let nation_keys = Keys::new(m, nn).entity("nation", &nations_words, Keys::each(nn));
        // The labs with rows: every lab, or a sample.
        let mut population_sizes = vec![0u32; d.populations.len()];
        for &p in &d.lab_populations {
            population_sizes[p as usize] += 1;
        }
        let (recorded, lab_rows): (Vec<u32>, Option<Vec<u32>>) = match recording.lab_sample {
            Some(n) if detail.labs() => {
                let kept: Vec<Vec<u32>> = population_sizes
                    .iter()
                    .map(|&count| sampled_members(count, n))
                    .collect();
                let mut recorded = Vec::new();
                let mut rows = vec![NOT_RECORDED; nl];
                for (lab, row) in rows.iter_mut().enumerate() {
                    let member = d.lab_members[lab];
                    let population = d.lab_populations[lab] as usize;
                    if member == 0 || kept[population].binary_search(&member).is_ok() {
                        *row = recorded.len() as u32;
                        recorded.push(lab as u32);
                    }
                }
                (recorded, Some(rows))
            }
            // No rows, no keys: a summary run of a big world holds nothing per lab here.
            _ if detail.labs() => ((0..nl as u32).collect(), None),
            _ => (Vec::new(), None),
        };
        let of = |column: &[u32]| -> Vec<u32> {
            recorded.iter().map(|&lab| column[lab as usize]).collect()
        };
        let lab_keys = Keys::new(m, recorded.len())
            .entity("population", &populations, of(&d.lab_populations))
            .number("member", of(&d.lab_members))
            .entity("nation", &nations_words, of(&d.lab_nations))
            .entity("kind", &kinds, of(&d.lab_kinds));
        let fab_keys = Keys::new(m, nf)
            .entity("fab", &fabs_words, Keys::each(nf))
            .entity("nation", &nations_words, d.fab_nations.clone());
        let provider_keys = Keys::new(m, np)
            .entity("provider", &providers_words, Keys::each(np))
            .entity("bloc", &bloc_words, d.provider_blocs.clone());
        // Usage: every (nation, provider) pair, providers within nations.
        let usage_keys = Keys::new(m, nn * np)
            .entity(
                "nation",
                &nations_words,
                (0..nn * np).map(|i| (i / np) as u32).collect(),
            )
            .entity(
                "provider",
                &providers_words,
                (0..nn * np).map(|i| (i % np) as u32).collect(),
            );

        let months = d.months.len();
        let lab_rows_per_month = if detail.labs() { recorded.len() } else { 0 };
        let usage_rows_per_month = if detail.usage() { nn * np } else { 0 };
        let chunk_months = [
            chunk_months(lab_rows_per_month),
            chunk_months(usage_rows_per_month),
        ];
        let [lab_chunk, usage_chunk] = chunk_months.map(|c| months.min(c as usize));
        let table = |keys: Keys, schema, months: usize| {
            let rows = months * keys.per_month;
            let mut t = Table::new(keys, schema);
            t.reserve(rows);
            t
        };
        let sample = LabSample {
            per_population: recording.lab_sample.filter(|_| detail.labs()),
            labs: lab_rows_per_month,
            of: nl,
        };
        Recorder {
            detail,
            global: table(global_keys, global, months),
            nations: table(nation_keys, nations, months),
            labs: table(lab_keys, labs, lab_chunk * usize::from(detail.labs())),
            providers: table(provider_keys, providers, months),
            fabs: table(fab_keys, fabs, months),
            usage: table(usage_keys, usage, usage_chunk * usize::from(detail.usage())),
            blocs,
            chunk_months,
            lab_rows,
            population_sizes,
            sample,
        }
    }

    /// The row of lab `lab` within a month of the labs table, if it has one (it may not in a sample).
    #[inline]
    pub fn lab_row(&self, lab: usize) -> Option<usize> {
        match &self.lab_rows {
            None => Some(lab),
            Some(rows) => {
                let row = rows[lab];
                (row != NOT_RECORDED).then_some(row as usize)
            }
        }
    }

    /// The labs table's dimension table `lab_ids`: for each lab it has rows for, in row order, its key
    /// (`population`, `member`), its id as in events and scenario files (`lab`, `id` gives it for a
    /// lab's index), `nation`, `kind`, and `weight`, the labs of its population that each row stands
    /// for (1 unless sampled). No rows when the labs table has none.
    pub fn lab_ids(&self, id: impl Fn(usize) -> String) -> PolarsResult<DataFrame> {
        let Keys {
            per_month,
            entities,
            ..
        } = &self.labs.keys;
        let per_month = if self.detail.labs() { *per_month } else { 0 };
        let mut columns = Vec::new();
        let mut population_codes: &[u32] = &[];
        for (name, column) in entities {
            let array = match column {
                KeyColumn::Words(words, codes) => {
                    if name == "population" {
                        population_codes = &codes[..per_month];
                    }
                    strings(words.column(codes[..per_month].to_vec())?.as_ref())?
                }
                KeyColumn::Numbers(values) => {
                    PrimitiveArray::from_vec(values[..per_month].to_vec()).boxed()
                }
            };
            columns.push(Series::from_arrow(name.into(), array)?.into_column());
        }
        let rows: Vec<usize> = match &self.lab_rows {
            None => (0..per_month).collect(),
            Some(rows) => {
                let mut labs = vec![0; per_month];
                for (lab, &row) in rows.iter().enumerate() {
                    if row != NOT_RECORDED && (row as usize) < per_month {
                        labs[row as usize] = lab;
                    }
                }
                labs
            }
        };
        let lab: Vec<String> = rows.iter().map(|&i| id(i)).collect();
        columns.insert(2, Column::new("lab".into(), lab));
        let mut sampled = vec![0u32; self.population_sizes.len()];
        for &p in population_codes {
            sampled[p as usize] += 1;
        }
        let weight: Vec<f64> = population_codes
            .iter()
            .map(|&p| f64::from(self.population_sizes[p as usize]) / f64::from(sampled[p as usize]))
            .collect();
        columns.push(Column::new("weight".into(), weight));
        DataFrame::new(per_month, columns)
    }

    /// After `done` months of a run of `months`: the rows of each large table whose chunk of months
    /// ends here, recorded since its last chunk, as (table name, rows) — every table after the last
    /// month.
    pub fn take_due(&mut self, done: u32, months: u32) -> Vec<(&'static str, Table)> {
        let due = |chunk: u32| done.is_multiple_of(chunk) || done == months;
        let mut chunks = Vec::new();
        if due(self.chunk_months[0]) {
            chunks.push(("labs", self.labs.take_rows()));
        }
        if due(self.chunk_months[1]) {
            chunks.push(("usage", self.usage.take_rows()));
        }
        chunks
    }
}

/// The tables of a finished run. The large tables, `labs` and `usage`, are here only when the run kept
/// them ([`crate::simulation::LargeTables::Keep`]); a run that streamed them to files as the months ran
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
    /// The labs table's dimension table: one row per lab it has rows for ([`Recorder::lab_ids`]).
    pub lab_ids: DataFrame,
    /// Rows of each table, by file stem, wherever the rows went.
    pub rows: std::collections::BTreeMap<String, usize>,
    /// What the labs table holds.
    pub sample: LabSample,
}

impl Outputs {
    /// From the small tables (global, nations, providers, fabs, events, lab_ids) and the large (labs,
    /// usage), with the number of rows the large tables had (they may have gone elsewhere).
    pub(crate) fn from_parts(
        small: [DataFrame; 6],
        large: [DataFrame; 2],
        large_rows: [usize; 2],
        sample: LabSample,
    ) -> Outputs {
        let [global, nations, providers, fabs, events, lab_ids] = small;
        let [labs, usage] = large;
        let mut outputs = Outputs {
            global,
            nations,
            labs,
            providers,
            fabs,
            usage,
            events,
            lab_ids,
            rows: Default::default(),
            sample,
        };
        let mut rows: std::collections::BTreeMap<String, usize> = outputs
            .tables()
            .into_iter()
            .map(|(name, frame)| (name.to_string(), frame.height()))
            .collect();
        rows.insert("labs".into(), large_rows[0]);
        rows.insert("usage".into(), large_rows[1]);
        outputs.rows = rows;
        outputs
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

/// The events table, with its month labels.
pub fn events_frame(
    events: &[EventRecord],
    month_label: impl Fn(u32) -> String,
) -> PolarsResult<DataFrame> {
    let n = events.len();
    // Borrowed, not cloned: the columns copy the bytes once.
    let col = |name: &str, f: &dyn Fn(&EventRecord) -> &str| {
        Column::new(name.into(), events.iter().map(f).collect::<Vec<&str>>())
    };
    // Each month's label made once, not once per event.
    let last = events
        .iter()
        .map(|e| e.month)
        .max()
        .map_or(0, |m| m as usize + 1);
    let labels: Vec<String> = (0..last as u32).map(&month_label).collect();
    let months: Vec<&str> = events
        .iter()
        .map(|e| labels[e.month as usize].as_str())
        .collect();
    DataFrame::new(
        n,
        vec![
            Column::new("month".into(), months),
            Column::new(
                "t".into(),
                events.iter().map(|e| e.month).collect::<Vec<u32>>(),
            ),
            col("kind", &|e| e.kind.as_str()),
            col("actor", &|e| &e.actor),
            col("target", &|e| &e.target),
            col("nation", &|e| &e.nation),
            col("provider", &|e| &e.provider),
            col("detail", &|e| &e.detail),
            Column::new(
                "false_positive".into(),
                events
                    .iter()
                    .map(|e| e.false_positive)
                    .collect::<Vec<bool>>(),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Words {
        Words::new((0..n).map(|i| format!("w{i}")).collect())
    }

    #[test]
    fn a_dictionary_column_refuses_a_code_outside_its_words() {
        assert!(words(3).column(vec![0, 2, 1]).is_ok());
        assert!(words(3).column(vec![0, 3]).is_err());
        assert!(words(300).column(vec![299]).is_ok());
        assert!(words(300).column(vec![300]).is_err());
        // No rows: nothing to check, even with no words.
        assert!(words(0).column(vec![]).is_ok());
        // As plain strings: the words of the codes.
        let plain = strings(words(3).column(vec![2, 0, 2]).unwrap().as_ref()).unwrap();
        let plain: &Utf8ViewArray = plain.as_any().downcast_ref().unwrap();
        assert_eq!(plain.values_iter().collect::<Vec<_>>(), ["w2", "w0", "w2"]);
    }

    #[test]
    fn a_sample_takes_the_middles_of_equal_slices() {
        assert_eq!(sampled_members(10, 2), [3, 8]);
        assert_eq!(sampled_members(10, 5), [2, 4, 6, 8, 10]);
        assert_eq!(sampled_members(3, 5), [1, 2, 3]);
        assert_eq!(sampled_members(1_000_000, 1), [500_001]);
        assert_eq!(sampled_members(7, 0), Vec::<u32>::new());
        let many = sampled_members(100_000_000, 1000);
        assert_eq!(many.len(), 1000);
        assert!(many.windows(2).all(|w| w[0] < w[1]));
        assert!(*many.last().unwrap() <= 100_000_000);
    }

    #[test]
    fn chunks_are_a_million_rows_or_two_years() {
        assert_eq!(chunk_months(2096), 24);
        assert_eq!(chunk_months(0), 24);
        assert_eq!(chunk_months(100_000), 10);
        assert_eq!(chunk_months(999_920), 1);
        assert_eq!(chunk_months(10_000_000), 1);
    }

    #[test]
    fn a_table_in_chunks_keeps_its_months_and_keys() {
        let months = words(5);
        let keys = Keys::new(&months, 2)
            .entity("e", &words(2), Keys::each(2))
            .number("n", vec![7, 9]);
        let schema = vec![
            ("x".into(), Kind::OrdersOfMagnitude),
            ("odd".into(), Kind::Bool),
        ];
        let mut table = Table::new(keys, schema);
        let schema = table.schema();
        let mut chunks = Vec::new();
        for m in 0..5 {
            for e in 0..2 {
                let x = m * 2 + e as i32;
                table
                    .row(e)
                    .flop("x", 10f64.powi(x))
                    .bool("odd", x % 2 == 1)
                    .end();
            }
            if m % 2 == 1 || m == 4 {
                chunks.push(table.take_rows().into_frame().unwrap());
            }
        }
        let heights: Vec<usize> = chunks.iter().map(DataFrame::height).collect();
        assert_eq!(heights, [4, 4, 2]);
        let mut all = chunks[0].clone();
        for c in &chunks[1..] {
            all.vstack_mut(c).unwrap();
        }
        let t: Vec<u32> = all
            .column("t")
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(t, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        // Strings are plain strings, and every chunk has the table's schema.
        assert_eq!(**all.schema(), schema);
        assert_eq!(all.column("month").unwrap().dtype(), &DataType::String);
        let month: Vec<&str> = all
            .column("month")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(
            month,
            ["w0", "w0", "w1", "w1", "w2", "w2", "w3", "w3", "w4", "w4"]
        );
        let e: Vec<&str> = all
            .column("e")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(e, ["w0", "w1"].repeat(5));
        let n: Vec<u32> = all
            .column("n")
            .unwrap()
            .u32()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(n, [7, 9].repeat(5));
        // FLOP counts recorded, orders of magnitude reported.
        let x: Vec<f64> = all
            .column("x")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let expected: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(x, expected);
        let odd = all.column("odd").unwrap().bool().unwrap();
        assert_eq!(odd.null_count(), 0);
        let odd: Vec<bool> = odd.iter().flatten().collect();
        assert_eq!(odd, [false, true].repeat(5));
    }
}

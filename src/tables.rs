//! The output tables as the metrics system records them: column stores with a fixed schema per table,
//! turned into polars DataFrames at the end of a run. The column names are the ones documented in the
//! README and used in charts and sweeps.

use crate::components::orders_of_magnitude;
use crate::resources::EventRecord;
use crate::scenario::LabKind;
use bevy_ecs::prelude::*;
use polars::prelude::*;
use std::sync::Arc;

/// The type of a recorded column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    F64,
    U32,
    Bool,
    /// Strings from a fixed list (ids, sides), pushed as their position in it: no allocation per row. The
    /// list is shared, not copied, by the tables that use it.
    Dict(Arc<[String]>),
    /// A FLOP count, reported in orders of magnitude (log10): the log is taken when the table is
    /// finished, off the simulation's thread for the large tables.
    OrdersOfMagnitude,
}

#[derive(Clone, Debug)]
enum Values {
    F64(Vec<f64>),
    U32(Vec<u32>),
    /// 0 or 1, packed into bits when the table is finished.
    Bool(Vec<u8>),
    Dict(Arc<[String]>, Vec<u32>),
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

    fn into_column(self, name: PlSmallStr) -> PolarsResult<Column> {
        Ok(match self {
            Values::F64(x) => Float64Chunked::from_vec(name, x).into_column(),
            Values::U32(x) => UInt32Chunked::from_vec(name, x).into_column(),
            // polars packs bits from bytes with its vectorised comparison kernel, several times
            // faster than from a Vec<bool>.
            Values::Bool(x) => UInt8Chunked::from_vec(name.clone(), x)
                .equal(1)
                .with_name(name)
                .into_column(),
            Values::Dict(words, codes) => enum_column(name, &words, codes)?,
            Values::OrdersOfMagnitude(mut x) => {
                for v in &mut x {
                    *v = orders_of_magnitude(*v);
                }
                Float64Chunked::from_vec(name, x).into_column()
            }
        })
    }
}

/// What the rows of a table are keyed by: the month, and the entity (or pair of entities) of each row
/// within a month, always the same and in the same order — one row per entity per month, as MODEL.md
/// has it. These columns are not recorded row by row: they are made from the rows' positions when the
/// table is finished.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Labels of the run's months, for the `month` column (`t` is the position).
    months: Arc<[String]>,
    /// Rows per month.
    per_month: usize,
    /// The entity columns after `month` and `t`: name, the words, and each row's code within a month.
    entities: Vec<(String, Arc<[String]>, Arc<[u32]>)>,
}

impl Keys {
    fn new(months: &Arc<[String]>, per_month: usize) -> Keys {
        Keys {
            months: months.clone(),
            per_month,
            entities: Vec::new(),
        }
    }

    /// Adds an entity column: `codes` gives the row's word for each row of a month.
    fn entity(mut self, name: &str, words: &Arc<[String]>, codes: Vec<u32>) -> Keys {
        debug_assert_eq!(codes.len(), self.per_month);
        self.entities
            .push((name.to_string(), words.clone(), codes.into()));
        self
    }

    /// One per row: 0, 1, … `per_month - 1`.
    fn each(n: usize) -> Vec<u32> {
        (0..n as u32).collect()
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
            self.rows % self.keys.per_month,
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

    /// Moves the rows recorded so far into a table of their own, and leaves this one empty, with the
    /// same columns and room for as many rows, to go on from the next month.
    pub fn take_rows(&mut self) -> Table {
        let rows = self.rows;
        let mut rest = Table {
            keys: self.keys.clone(),
            first_month: self.first_month + rows / self.keys.per_month,
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

    /// The finished table: the key columns made, then the recorded ones, numeric columns handed to
    /// polars without a copy.
    pub fn into_frame(self) -> PolarsResult<DataFrame> {
        let Keys {
            months,
            per_month,
            entities,
        } = self.keys;
        assert_eq!(self.rows % per_month, 0, "a month's rows are incomplete");
        let months_here = self.rows / per_month;
        // Made with bulk copies, not per-row iterator chains: this runs on every chunk of the labs table.
        let mut month_of_row = Vec::with_capacity(self.rows);
        for m in self.first_month..self.first_month + months_here {
            month_of_row.extend(std::iter::repeat_n(m as u32, per_month));
        }
        let t = UInt32Chunked::from_vec("t".into(), month_of_row.clone()).into_column();
        let mut columns = vec![enum_column("month".into(), &months, month_of_row)?, t];
        for (name, words, codes) in entities {
            let mut tiled = Vec::with_capacity(self.rows);
            for _ in 0..months_here {
                tiled.extend_from_slice(&codes);
            }
            columns.push(enum_column(name.into(), &words, tiled)?);
        }
        for (name, v) in self.names.into_iter().zip(self.values) {
            columns.push(v.into_column(name.into())?);
        }
        DataFrame::new(self.rows, columns)
    }
}

/// A column of strings from a fixed list as a polars Enum: the codes become the category ids as they
/// are, with no string built per row, and Parquet stores them as a dictionary column (read back as Enum
/// by polars, as dictionary-encoded strings by pyarrow and DuckDB).
fn enum_column(name: PlSmallStr, words: &[String], codes: Vec<u32>) -> PolarsResult<Column> {
    let categories = FrozenCategories::new(words.iter().map(String::as_str))?;
    let physical = categories.physical();
    let dtype = DataType::from_frozen_categories(categories);
    // polars' checked constructor looks every id up in the categories' hash map, a fifth of the time
    // it takes to make the labs table; the largest id proves the same.
    check_ids(codes.iter().copied().max(), words.len())?;
    // The category ids' width follows the number of categories; the codes are narrowed to fit it.
    let series = match physical {
        CategoricalPhysical::U8 => {
            let ids = UInt8Chunked::from_vec(name, codes.iter().map(|&c| c as u8).collect());
            // SAFETY: every id is a category of `dtype` (checked above), and the physical type is
            // the one `dtype` has.
            unsafe { Categorical8Chunked::from_cats_and_dtype_unchecked(ids, dtype) }.into_series()
        }
        CategoricalPhysical::U16 => {
            let ids = UInt16Chunked::from_vec(name, codes.iter().map(|&c| c as u16).collect());
            // SAFETY: as above.
            unsafe { Categorical16Chunked::from_cats_and_dtype_unchecked(ids, dtype) }.into_series()
        }
        CategoricalPhysical::U32 => {
            let ids = UInt32Chunked::from_vec(name, codes);
            // SAFETY: as above.
            unsafe { Categorical32Chunked::from_cats_and_dtype_unchecked(ids, dtype) }.into_series()
        }
    };
    Ok(series.into())
}

fn check_ids(largest: Option<u32>, words: usize) -> PolarsResult<()> {
    if let Some(id) = largest {
        polars_ensure!(
            (id as usize) < words,
            ComputeError: "category id {id} out of {words} categories"
        );
    }
    Ok(())
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

/// The large tables, `labs` and `usage`, are handed over in chunks of this many months, so that they
/// become DataFrames (and, for `fracture run`, Parquet) on a second thread while the run goes on. Each
/// chunk is one Parquet row group: two years of the baseline's labs is 50 000 rows.
pub const CHUNK_MONTHS: u32 = 24;

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
}

/// Which tables a run records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every table.
    #[default]
    Full,
    /// No rows in the two large tables, `labs` and `usage`, nor in `events` (all keep their columns): what
    /// a sweep's summary statistics need, at a fraction of the cost.
    Summary,
}

/// The fixed lists the dictionary columns draw from, and the keys of each lab and provider.
#[derive(Clone, Debug, Default)]
pub struct Dictionaries {
    pub months: Arc<[String]>,
    pub blocs: Arc<[String]>,
    pub nations: Arc<[String]>,
    pub labs: Arc<[String]>,
    pub providers: Arc<[String]>,
    /// Per lab, in index order: its nation's position and its kind's ([`LabKind::ALL`]).
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
    pub fn new(d: Dictionaries, detail: Detail) -> Self {
        use Kind::*;
        let blocs = d.blocs.to_vec();
        let (nn, nl, np) = (d.nations.len(), d.labs.len(), d.providers.len());
        let mut sides = d.blocs.to_vec();
        sides.push(NON_ALIGNED.into());
        let mut main_providers = vec![NO_PROVIDER.to_string()];
        main_providers.extend(d.providers.iter().cloned());
        let kinds: Arc<[String]> = LabKind::ALL.map(|k| k.as_str().to_string()).into();
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
            &[("side", Dict(sides.into()))],
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
                ("main_provider", Dict(main_providers.into())),
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
        let bounds: Arc<[String]> = BOUNDS.map(String::from).into();
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

        let m = &d.months;
        let global_keys = Keys::new(m, 1);
        let nation_keys = Keys::new(m, nn).entity("nation", &d.nations, Keys::each(nn));
        let lab_keys = Keys::new(m, nl)
            .entity("lab", &d.labs, Keys::each(nl))
            .entity("nation", &d.nations, d.lab_nations.clone())
            .entity("kind", &kinds, d.lab_kinds.clone());
        let fab_keys = Keys::new(m, nf)
            .entity("fab", &d.fabs, Keys::each(nf))
            .entity("nation", &d.nations, d.fab_nations.clone());
        let provider_keys = Keys::new(m, np)
            .entity("provider", &d.providers, Keys::each(np))
            .entity("bloc", &d.blocs, d.provider_blocs.clone());
        // Usage: every (nation, provider) pair, providers within nations.
        let usage_keys = Keys::new(m, nn * np)
            .entity(
                "nation",
                &d.nations,
                (0..nn * np).map(|i| (i / np) as u32).collect(),
            )
            .entity(
                "provider",
                &d.providers,
                (0..nn * np).map(|i| (i % np) as u32).collect(),
            );

        let months = d.months.len();
        let chunk = months.min(CHUNK_MONTHS as usize);
        let table = |keys: Keys, schema, months: usize| {
            let rows = months * keys.per_month;
            let mut t = Table::new(keys, schema);
            t.reserve(rows);
            t
        };
        let full = usize::from(detail == Detail::Full);
        Recorder {
            detail,
            global: table(global_keys, global, months),
            nations: table(nation_keys, nations, months),
            labs: table(lab_keys, labs, chunk * full),
            providers: table(provider_keys, providers, months),
            fabs: table(fab_keys, fabs, months),
            usage: table(usage_keys, usage, chunk * full),
            blocs,
        }
    }

    /// The rows of the large tables recorded since the last chunk, as (table name, rows).
    pub fn take_chunk(&mut self) -> [(&'static str, Table); 2] {
        [
            ("labs", self.labs.take_rows()),
            ("usage", self.usage.take_rows()),
        ]
    }
}

/// The tables of a finished run.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub global: DataFrame,
    pub nations: DataFrame,
    pub labs: DataFrame,
    pub providers: DataFrame,
    pub fabs: DataFrame,
    pub usage: DataFrame,
    pub events: DataFrame,
}

impl Outputs {
    /// From the small tables (global, nations, providers, fabs, events) and the large (labs, usage).
    pub(crate) fn from_parts(small: [DataFrame; 5], large: [DataFrame; 2]) -> Outputs {
        let [global, nations, providers, fabs, events] = small;
        let [labs, usage] = large;
        Outputs {
            global,
            nations,
            labs,
            providers,
            fabs,
            usage,
            events,
        }
    }

    /// (file stem, table) pairs, in the order they are written.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 7] {
        [
            ("global", &self.global),
            ("nations", &self.nations),
            ("labs", &self.labs),
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

    fn words(n: usize) -> Arc<[String]> {
        (0..n).map(|i| format!("w{i}")).collect()
    }

    #[test]
    fn an_enum_column_refuses_a_code_outside_its_words() {
        assert!(enum_column("x".into(), &words(3), vec![0, 2, 1]).is_ok());
        let err = enum_column("x".into(), &words(3), vec![0, 3]).unwrap_err();
        assert!(err.to_string().contains("category id 3 out of 3"), "{err}");
        // Wide dictionaries take the wider physical types, checked the same way.
        assert!(enum_column("x".into(), &words(300), vec![299]).is_ok());
        assert!(enum_column("x".into(), &words(300), vec![300]).is_err());
        // No rows: nothing to check, even with no words.
        assert!(enum_column("x".into(), &words(0), vec![]).is_ok());
    }

    #[test]
    fn a_table_in_chunks_keeps_its_months_and_keys() {
        let months = words(5);
        let keys = Keys::new(&months, 2).entity("e", &words(2), Keys::each(2));
        let schema = vec![
            ("x".into(), Kind::OrdersOfMagnitude),
            ("odd".into(), Kind::Bool),
        ];
        let mut table = Table::new(keys, schema);
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
        let month = all
            .column("month")
            .unwrap()
            .cast(&DataType::String)
            .unwrap();
        let month: Vec<&str> = month.str().unwrap().iter().flatten().collect();
        assert_eq!(
            month,
            ["w0", "w0", "w1", "w1", "w2", "w2", "w3", "w3", "w4", "w4"]
        );
        let e = all.column("e").unwrap().cast(&DataType::String).unwrap();
        let e: Vec<&str> = e.str().unwrap().iter().flatten().collect();
        assert_eq!(e, ["w0", "w1"].repeat(5));
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

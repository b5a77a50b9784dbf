//! The output tables as the metrics system records them: column stores with a fixed schema per table,
//! turned into polars DataFrames at the end of a run. The column names are the ones documented in the
//! README and used in charts and sweeps.

use crate::resources::EventRecord;
use crate::scenario::LabKind;
use bevy_ecs::prelude::*;
use polars::prelude::*;
use std::sync::Arc;

/// The type of a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    F64,
    U32,
    Str,
    Bool,
    /// Strings from a fixed list (ids, months), pushed as their position in it: no allocation per row. The
    /// list is shared, not copied, by the tables that use it.
    Dict(Arc<[String]>),
}

#[derive(Clone, Debug)]
enum Values {
    F64(Vec<f64>),
    U32(Vec<u32>),
    Str(Vec<String>),
    Bool(Vec<bool>),
    Dict(Arc<[String]>, Vec<u32>),
}

/// A table built row by row, columns pushed in schema order.
#[derive(Clone, Debug)]
pub struct Table {
    names: Vec<String>,
    values: Vec<Values>,
    rows: usize,
}

impl Table {
    pub fn new(schema: Vec<(String, Kind)>) -> Self {
        let (names, values) = schema
            .into_iter()
            .map(|(n, k)| {
                let v = match k {
                    Kind::F64 => Values::F64(Vec::new()),
                    Kind::U32 => Values::U32(Vec::new()),
                    Kind::Str => Values::Str(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                    Kind::Dict(words) => Values::Dict(words, Vec::new()),
                };
                (n, v)
            })
            .unzip();
        Table {
            names,
            values,
            rows: 0,
        }
    }

    /// Starts a row; push every column in schema order, then `end`.
    pub fn row(&mut self) -> Row<'_> {
        Row {
            table: self,
            col: 0,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Makes room for `rows` more rows at once, instead of growing as they come.
    pub fn reserve(&mut self, rows: usize) {
        for v in &mut self.values {
            match v {
                Values::F64(x) => x.reserve(rows),
                Values::U32(x) => x.reserve(rows),
                Values::Str(x) => x.reserve(rows),
                Values::Bool(x) => x.reserve(rows),
                Values::Dict(_, x) => x.reserve(rows),
            }
        }
    }

    /// The finished table; numeric columns are handed to polars without a copy.
    pub fn into_frame(self) -> PolarsResult<DataFrame> {
        let columns = self
            .names
            .into_iter()
            .zip(self.values)
            .map(|(name, v)| {
                let name = PlSmallStr::from(name);
                Ok(match v {
                    Values::F64(x) => Float64Chunked::from_vec(name, x).into_column(),
                    Values::U32(x) => UInt32Chunked::from_vec(name, x).into_column(),
                    Values::Str(x) => Column::new(name, x),
                    Values::Bool(x) => Column::new(name, x),
                    Values::Dict(words, codes) => enum_column(name, &words, codes)?,
                })
            })
            .collect::<PolarsResult<Vec<Column>>>()?;
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
    // The category ids' width follows the number of categories; the codes are narrowed to fit it.
    let series = match physical {
        CategoricalPhysical::U8 => Categorical8Chunked::from_cats_and_dtype(
            UInt8Chunked::from_vec(name, codes.iter().map(|&c| c as u8).collect()),
            dtype,
        )
        .into_series(),
        CategoricalPhysical::U16 => Categorical16Chunked::from_cats_and_dtype(
            UInt16Chunked::from_vec(name, codes.iter().map(|&c| c as u16).collect()),
            dtype,
        )
        .into_series(),
        CategoricalPhysical::U32 => {
            Categorical32Chunked::from_cats_and_dtype(UInt32Chunked::from_vec(name, codes), dtype)
                .into_series()
        }
    };
    Ok(series.into())
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
    pub fn u32(mut self, name: &str, x: u32) -> Self {
        match self.next(name) {
            Values::U32(v) => v.push(x),
            _ => panic!("column {name} is not u32"),
        }
        self
    }
    pub fn str(mut self, name: &str, x: &str) -> Self {
        match self.next(name) {
            Values::Str(v) => v.push(x.to_string()),
            _ => panic!("column {name} is not a string"),
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
            Values::Bool(v) => v.push(x),
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
pub const GLOBAL_PER_BLOC: [&str; 6] = [
    "compute_share",
    "unmet_share",
    "chip_production_h100e",
    "indigenous_share",
    "frontier_capability",
    "smuggled_share",
];

/// The tables of a run being recorded.
#[derive(Resource, Clone, Debug)]
pub struct Recorder {
    pub detail: Detail,
    pub blocs: Vec<String>,
    pub global: Table,
    pub nations: Table,
    pub labs: Table,
    pub providers: Table,
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

/// The fixed lists the dictionary columns draw from.
#[derive(Clone, Debug, Default)]
pub struct Dictionaries {
    pub months: Arc<[String]>,
    pub blocs: Arc<[String]>,
    pub nations: Arc<[String]>,
    pub labs: Arc<[String]>,
    pub providers: Arc<[String]>,
}

/// Codes of the `side` column beyond the blocs, and of `main_provider` before the providers.
pub const NON_ALIGNED: &str = "non_aligned";
pub const NO_PROVIDER: &str = "";

impl Recorder {
    pub fn new(d: Dictionaries, detail: Detail) -> Self {
        use Kind::*;
        let blocs = d.blocs.to_vec();
        let month = || ("month", Dict(d.months.clone()));
        let nation = || ("nation", Dict(d.nations.clone()));
        let mut sides = d.blocs.to_vec();
        sides.push(NON_ALIGNED.into());
        let mut main_providers = vec![NO_PROVIDER.to_string()];
        main_providers.extend(d.providers.iter().cloned());
        let global = schema(
            &[
                month(),
                ("t", U32),
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
            ],
            &GLOBAL_PER_BLOC,
            &blocs,
            &[],
        );
        let mut nations = schema(
            &[month(), ("t", U32), nation(), ("side", Dict(sides.into()))],
            &["alignment"],
            &blocs,
            &[
                ("compute_h100e", F64),
                ("compute_per_capita", F64),
                ("demand_h100e", F64),
                ("unmet_h100e", F64),
                ("own_cluster_h100e", F64),
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
            &[("smuggled_received_h100e", F64)],
        ));
        let labs = schema(
            &[
                month(),
                ("t", U32),
                ("lab", Dict(d.labs.clone())),
                nation(),
                (
                    "kind",
                    Dict(LabKind::ALL.map(|k| k.as_str().to_string()).into()),
                ),
                ("compute_h100e", F64),
                ("training_h100e", F64),
                ("demand_h100e", F64),
                ("unmet_h100e", F64),
                ("capability", F64),
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
        let provider = || ("provider", Dict(d.providers.clone()));
        let providers = schema(
            &[
                month(),
                ("t", U32),
                provider(),
                ("bloc", Dict(d.blocs.clone())),
                ("capacity_h100e", F64),
                ("frozen_h100e", F64),
                ("frozen_regions", U32),
                ("requested_h100e", F64),
                ("served_h100e", F64),
                ("utilization", F64),
                ("revenue_busd", F64),
            ],
            &[],
            &blocs,
            &[],
        );
        let usage = schema(
            &[
                month(),
                ("t", U32),
                nation(),
                provider(),
                ("compute_h100e", F64),
            ],
            &[],
            &blocs,
            &[],
        );
        let months = d.months.len();
        let table = |schema, per_month: usize| {
            let mut t = Table::new(schema);
            t.reserve(months * per_month);
            t
        };
        let full = usize::from(detail == Detail::Full);
        Recorder {
            detail,
            global: table(global, 1),
            nations: table(nations, d.nations.len()),
            labs: table(labs, full * d.labs.len()),
            providers: table(providers, d.providers.len()),
            usage: table(usage, full * d.nations.len() * d.providers.len()),
            blocs,
        }
    }
}

/// The tables of a finished run.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub global: DataFrame,
    pub nations: DataFrame,
    pub labs: DataFrame,
    pub providers: DataFrame,
    pub usage: DataFrame,
    pub events: DataFrame,
}

impl Outputs {
    /// (file stem, table) pairs, in the order they are written.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 6] {
        [
            ("global", &self.global),
            ("nations", &self.nations),
            ("labs", &self.labs),
            ("providers", &self.providers),
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
            col("kind", &|e| e.kind),
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

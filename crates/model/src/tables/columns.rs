//! The column stores the output tables are recorded into, and [`table!`], which declares a table once:
//! a plain row struct whose field names are the table's column names, from which the column names
//! and types, the stores and the push of a row are all made. Nothing here knows about Arrow or
//! polars: `output::frames` turns a finished [`Table`] into arrays and DataFrames.
//!
//! Id columns (month, nation, population, kind, provider, side, bound, …) are recorded as positions
//! in a fixed list of words, with no string made per row.

use std::sync::Arc;

/// A fixed list of strings that a column draws from, shared (not copied) by the tables that use it.
#[derive(Clone, Debug, Default)]
pub struct Words(Arc<[String]>);

impl Words {
    pub fn new(list: Arc<[String]>) -> Words {
        Words(list)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, code: usize) -> &str {
        &self.0[code]
    }

    pub fn list(&self) -> &[String] {
        &self.0
    }
}

/// The lists of words the recorded (not key) string columns draw from, by the name a declaration
/// gives them in `code(…)`.
#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    /// A nation's side: the blocs, then `non_aligned`.
    pub sides: Words,
    /// A lab's main provider: none (`""`), then the providers.
    pub main_providers: Words,
    /// What bound a fab's output.
    pub bounds: Words,
}

/// The values of a recorded column, in row order, as the table's consumer receives them.
#[derive(Clone, Debug)]
pub enum Column {
    F64(Vec<f64>),
    U32(Vec<u32>),
    /// 0 or 1: packed into bits only when the table is finished, off the simulation's thread for the
    /// large tables.
    Bool(Vec<u8>),
    /// Strings from a fixed list, as positions in it.
    Dict(Words, Vec<u32>),
    /// FLOP counts, reported in orders of magnitude (log10): the log is taken when the table is
    /// finished, off the simulation's thread for the large tables.
    OrdersOfMagnitude(Vec<f64>),
    /// Free text, one string a row (the events' actors and details: few rows, no fixed list).
    Text(Vec<String>),
}

/// The column stores of one table, with its row type: what [`table!`] makes from a declaration.
pub trait Columns: Sized {
    /// One row, as the metrics system fills it.
    type Row<'a>;
    /// Empty stores, for a world of `blocs` blocs whose string columns draw from `words`.
    fn new(blocs: usize, words: &Vocabulary) -> Self;
    /// The recorded columns' names, in order, per-bloc columns expanded to one per bloc.
    fn names(blocs: &[String]) -> Vec<String>;
    fn reserve(&mut self, rows: usize);
    fn push(&mut self, row: Self::Row<'_>);
    /// The columns, in the order of [`Columns::names`].
    fn into_columns(self) -> Vec<Column>;
}

/// Declares an output table once: a row struct, whose fields are the recorded columns in order and
/// named as them, and its [`Columns`] store. The kinds of field:
/// - `f64`, `u32`, `bool`: one column of that type;
/// - `flop`: a FLOP count, recorded as it is and reported in orders of magnitude;
/// - `code(list)`: a string from the [`Vocabulary`]'s `list`, given by its position;
/// - `text`: free text, a `&str` in the row (for small tables: each row's string is copied);
/// - `per_bloc`: one f64 column per bloc, the field's name followed by the bloc's (so the field is
///   named with a trailing underscore: `compute_share_` makes `compute_share_us`, `compute_share_cn`);
///   the row holds a slice of one value per bloc, which is why a table with such columns has a
///   lifetime.
// Exported (at the crate root, re-exported as `tables::table`) so the output layer's tests declare tables too.
#[macro_export]
macro_rules! table {
    (
        $(#[doc = $doc:literal])*
        pub struct $row:ident<$lt:lifetime> in $store:ident { $($fields:tt)* }
    ) => {
        $crate::tables::table!(
            @table [$(#[doc = $doc])*] $row [<$lt>] [$lt] [$lt] [$row<$lt>] $store {$($fields)*}
        );
    };
    (
        $(#[doc = $doc:literal])*
        pub struct $row:ident in $store:ident { $($fields:tt)* }
    ) => {
        $crate::tables::table!(
            @table [$(#[doc = $doc])*] $row [] ['static] ['r] [$row] $store {$($fields)*}
        );
    };
    (
        @table [$($attr:tt)*] $row:ident [$($generics:tt)*] [$lt:lifetime] [$gat:lifetime]
        [$($row_type:tt)*] $store:ident {
            $( $(#[doc = $fdoc:literal])* $field:ident : $kind:ident $(($words:ident))? ),* $(,)?
        }
    ) => {
        $($attr)*
        #[derive(Clone, Copy, Debug)]
        pub struct $row $($generics)* {
            $( $(#[doc = $fdoc])* pub $field: $crate::tables::table!(@type $kind $lt), )*
        }

        #[doc = concat!("The column stores of [`", stringify!($row), "`]s.")]
        #[derive(Clone, Debug)]
        pub struct $store {
            $( $field: $crate::tables::table!(@store $kind), )*
        }

        impl $crate::tables::Columns for $store {
            type Row<$gat> = $($row_type)*;

            #[allow(unused_variables)]
            fn new(blocs: usize, words: &$crate::tables::Vocabulary) -> Self {
                $store { $( $field: $crate::tables::table!(@new $kind $(($words))? blocs words), )* }
            }

            // One push per field, as the declaration lists them.
            #[allow(unused_variables, clippy::vec_init_then_push)]
            fn names(blocs: &[String]) -> Vec<String> {
                let mut names = Vec::new();
                $( $crate::tables::table!(@name $kind names blocs stringify!($field)); )*
                names
            }

            fn reserve(&mut self, rows: usize) {
                $( $crate::tables::table!(@reserve $kind self.$field, rows); )*
            }

            #[inline]
            fn push(&mut self, row: Self::Row<'_>) {
                $( $crate::tables::table!(@push $kind self.$field, row.$field); )*
            }

            #[allow(clippy::vec_init_then_push)]
            fn into_columns(self) -> Vec<$crate::tables::Column> {
                let mut columns = Vec::new();
                $( $crate::tables::table!(@column $kind columns self.$field); )*
                columns
            }
        }
    };

    (@type f64 $lt:lifetime) => { f64 };
    (@type u32 $lt:lifetime) => { u32 };
    (@type bool $lt:lifetime) => { bool };
    (@type flop $lt:lifetime) => { f64 };
    (@type code $lt:lifetime) => { usize };
    (@type per_bloc $lt:lifetime) => { &$lt [f64] };
    (@type text $lt:lifetime) => { &$lt str };

    (@store f64) => { Vec<f64> };
    (@store u32) => { Vec<u32> };
    (@store bool) => { Vec<u8> };
    (@store flop) => { Vec<f64> };
    (@store code) => { ($crate::tables::Words, Vec<u32>) };
    (@store per_bloc) => { Vec<Vec<f64>> };
    (@store text) => { Vec<String> };

    (@new code ($list:ident) $blocs:ident $words:ident) => { ($words.$list.clone(), Vec::new()) };
    (@new per_bloc $blocs:ident $words:ident) => { vec![Vec::new(); $blocs] };
    (@new $kind:ident $blocs:ident $words:ident) => { Vec::new() };

    (@name per_bloc $names:ident $blocs:ident $name:expr) => {
        $names.extend($blocs.iter().map(|bloc| format!("{}{bloc}", $name)))
    };
    (@name $kind:ident $names:ident $blocs:ident $name:expr) => { $names.push($name.to_string()) };

    (@reserve code $store:expr, $rows:ident) => { $store.1.reserve($rows) };
    (@reserve per_bloc $store:expr, $rows:ident) => {
        for column in &mut $store {
            column.reserve($rows);
        }
    };
    (@reserve $kind:ident $store:expr, $rows:ident) => { $store.reserve($rows) };

    (@push bool $store:expr, $x:expr) => { $store.push(u8::from($x)) };
    (@push code $store:expr, $x:expr) => {{
        debug_assert!($x < $store.0.len(), "a code beyond its words");
        $store.1.push($x as u32)
    }};
    (@push text $store:expr, $x:expr) => { $store.push($x.to_string()) };
    (@push per_bloc $store:expr, $x:expr) => {{
        assert_eq!($x.len(), $store.len(), "one value per bloc");
        for (column, &x) in $store.iter_mut().zip($x) {
            column.push(x);
        }
    }};
    (@push $kind:ident $store:expr, $x:expr) => { $store.push($x) };

    (@column f64 $columns:ident $store:expr) => { $columns.push($crate::tables::Column::F64($store)) };
    (@column u32 $columns:ident $store:expr) => { $columns.push($crate::tables::Column::U32($store)) };
    (@column bool $columns:ident $store:expr) => { $columns.push($crate::tables::Column::Bool($store)) };
    (@column flop $columns:ident $store:expr) => {
        $columns.push($crate::tables::Column::OrdersOfMagnitude($store))
    };
    (@column code $columns:ident $store:expr) => {{
        let (words, codes) = $store;
        $columns.push($crate::tables::Column::Dict(words, codes))
    }};
    (@column text $columns:ident $store:expr) => { $columns.push($crate::tables::Column::Text($store)) };
    (@column per_bloc $columns:ident $store:expr) => {
        $columns.extend($store.into_iter().map($crate::tables::Column::F64))
    };
}

/// A key column: made from the rows' positions within a month, not recorded.
#[derive(Clone, Debug)]
pub enum KeyColumn {
    /// Strings from a fixed list: each row's position in it.
    Words(Words, Arc<[u32]>),
    /// A number for each row.
    Numbers(Arc<[u32]>),
}

/// What the rows of a table are keyed by: the month, and the entity (or pair of entities) of each row
/// within a month, always the same and in the same order — one row per entity per month, as MODEL.md
/// has it. These columns are not recorded row by row: they are made from the rows' positions when the
/// table is finished. A log (the events) is keyed by each row's month alone ([`Keys::logged`]).
#[derive(Clone, Debug)]
pub struct Keys {
    /// Labels of the run's months, for the `month` column (`t` is the position).
    pub months: Words,
    /// Rows per month.
    pub per_month: usize,
    /// The entity columns after `month` and `t`, each with its values for the rows of a month.
    pub entities: Vec<(String, KeyColumn)>,
    /// For a log, whose months have any number of rows (the events): each row's month, and no entity
    /// columns; `per_month` is then 0.
    pub row_months: Option<Arc<[u32]>>,
}

impl Keys {
    pub fn new(months: &Words, per_month: usize) -> Keys {
        Keys {
            months: months.clone(),
            per_month,
            entities: Vec::new(),
            row_months: None,
        }
    }

    /// The keys of a log: each row's month, in `row_months`.
    pub fn logged(months: &Words, row_months: Vec<u32>) -> Keys {
        Keys {
            months: months.clone(),
            per_month: 0,
            entities: Vec::new(),
            row_months: Some(row_months.into()),
        }
    }

    /// Adds an entity column of strings: `codes` gives the row's word for each row of a month.
    pub fn entity(mut self, name: &str, words: &Words, codes: Vec<u32>) -> Keys {
        debug_assert_eq!(codes.len(), self.per_month);
        self.entities.push((
            name.to_string(),
            KeyColumn::Words(words.clone(), codes.into()),
        ));
        self
    }

    /// Adds an entity column of numbers, one for each row of a month.
    pub fn number(mut self, name: &str, values: Vec<u32>) -> Keys {
        debug_assert_eq!(values.len(), self.per_month);
        self.entities
            .push((name.to_string(), KeyColumn::Numbers(values.into())));
        self
    }

    /// One per row: 0, 1, … `per_month - 1`.
    pub fn each(n: usize) -> Vec<u32> {
        (0..n as u32).collect()
    }
}

/// A table being recorded month by month: each month, one row per key, in key order.
#[derive(Clone, Debug)]
pub struct Rows<C> {
    keys: Keys,
    /// The month of the first row (rows handed over in chunks start later than month 0).
    first_month: usize,
    names: Arc<[String]>,
    blocs: usize,
    words: Vocabulary,
    columns: C,
    rows: usize,
}

impl<C: Columns> Rows<C> {
    pub fn new(keys: Keys, blocs: &[String], words: &Vocabulary) -> Self {
        Rows {
            keys,
            first_month: 0,
            names: C::names(blocs).into(),
            blocs: blocs.len(),
            words: words.clone(),
            columns: C::new(blocs.len(), words),
            rows: 0,
        }
    }

    /// Records the row of the entity at position `at` in the month's key order.
    #[inline]
    pub fn push(&mut self, at: usize, row: C::Row<'_>) {
        debug_assert_eq!(
            self.rows % self.keys.per_month.max(1),
            at,
            "rows recorded out of key order"
        );
        self.columns.push(row);
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Rows per month.
    pub fn per_month(&self) -> usize {
        self.keys.per_month
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Makes room for `rows` more rows at once, instead of growing as they come.
    pub fn reserve(&mut self, rows: usize) {
        self.columns.reserve(rows);
    }

    /// Moves the rows recorded so far into a table of their own, and leaves these empty, with room
    /// for as many rows, to go on from the next month.
    pub fn take(&mut self) -> Table {
        let rows = self.rows;
        let mut columns = C::new(self.blocs, &self.words);
        columns.reserve(rows);
        let taken = std::mem::replace(&mut self.columns, columns);
        let table = Table {
            keys: self.keys.clone(),
            first_month: self.first_month,
            names: self.names.clone(),
            columns: taken.into_columns(),
            rows,
        };
        self.first_month += rows / self.keys.per_month.max(1);
        self.rows = 0;
        table
    }

    /// A table with these columns and no rows.
    pub fn empty(&self) -> Table {
        Table {
            keys: self.keys.clone(),
            first_month: self.first_month,
            names: self.names.clone(),
            columns: C::new(self.blocs, &self.words).into_columns(),
            rows: 0,
        }
    }

    /// The rows recorded, as a table.
    pub fn finish(self) -> Table {
        Table {
            keys: self.keys,
            first_month: self.first_month,
            names: self.names,
            columns: self.columns.into_columns(),
            rows: self.rows,
        }
    }
}

/// Rows of a table, finished: the key columns to be made, then the recorded columns, named.
#[derive(Clone, Debug)]
pub struct Table {
    pub keys: Keys,
    /// The month of the first row.
    pub first_month: usize,
    /// The recorded columns' names, in order.
    pub names: Arc<[String]>,
    pub columns: Vec<Column>,
    pub rows: usize,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Recorded column `name` as the output reports it, as numbers: FLOP counts in orders of
    /// magnitude, counts as they are; `None` for a key column, a string or flag column, or no column of
    /// that name. For readers that need no DataFrame (a sweep's run summaries).
    pub fn numbers(&self, name: &str) -> Option<Vec<f64>> {
        let at = self.names.iter().position(|n| n == name)?;
        match &self.columns[at] {
            Column::F64(x) => Some(x.clone()),
            Column::OrdersOfMagnitude(x) => Some(
                x.iter()
                    .map(|&v| crate::components::orders_of_magnitude(v))
                    .collect(),
            ),
            Column::U32(x) => Some(x.iter().map(|&v| f64::from(v)).collect()),
            Column::Bool(_) | Column::Dict(..) | Column::Text(_) => None,
        }
    }

    /// Key column `name`'s word for each row, in row order; `None` if it has no such column of words.
    pub fn key_words(&self, name: &str) -> Option<impl Iterator<Item = &str>> {
        let (_, column) = self.keys.entities.iter().find(|(n, _)| n == name)?;
        let KeyColumn::Words(words, codes) = column else {
            return None;
        };
        let per_month = codes.len().max(1);
        Some((0..self.rows).map(move |row| words.get(codes[row % per_month] as usize)))
    }

    /// Whether every number it reports is finite (FLOP counts once in orders of magnitude).
    pub fn all_finite(&self) -> bool {
        self.columns.iter().all(|column| match column {
            Column::F64(x) => x.iter().all(|v| v.is_finite()),
            Column::OrdersOfMagnitude(x) => x
                .iter()
                .all(|&v| crate::components::orders_of_magnitude(v).is_finite()),
            Column::U32(_) | Column::Bool(_) | Column::Dict(..) | Column::Text(_) => true,
        })
    }
}

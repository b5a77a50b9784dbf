//! The output tables, each declared once ([`table!`]): the row the metrics system fills each month
//! for each entity, whose fields are the table's columns in order and named as them. The recorder
//! holds a run's tables as column stores; `output::frames` turns them into Arrow arrays (for the
//! Parquet writer, chunk by chunk as the months run) or polars DataFrames. The column names are the
//! ones documented in the README and used in charts and sweeps.
//!
//! Each table's first columns are its keys — `month`, `t`, and the entity of the row (nation, lab,
//! provider, …) — which are not recorded but made from the rows' positions ([`Keys`]); the declared
//! columns follow. Strings are recorded as positions in fixed lists of words, with no string made per
//! row; the tables of two runs still concatenate and join without casts, as the Parquet files hold
//! plain strings.

mod columns;

pub use crate::table;
pub use columns::{Column, Columns, KeyColumn, Keys, Rows, Table, Vocabulary, Words};

use crate::resources::EventRecord;
use crate::scenario::LabKind;
use bevy_ecs::prelude::*;
use std::sync::Arc;

table! {
    /// `global`: one row a month, the world's measures.
    pub struct GlobalRow<'a> in GlobalColumns {
        bifurcation_index: f64,
        cross_bloc_share: f64,
        capability_gap_oom: f64,
        capability_lag_months: f64,
        compute_gini: f64,
        unmet_share: f64,
        smuggled_h100e: f64,
        seized_h100e: f64,
        stranded_labs: u32,
        extractions: u32,
        polarization: f64,
        compute_h100e: f64,
        installed_h100e: f64,
        frozen_h100e: f64,
        frontier_capability: f64,
        largest_run_flop: f64,
        produced_h100e_cum: f64,
        delivered_h100e_cum: f64,
        seized_h100e_cum: f64,
        stock_h100e: f64,
        compute_share_non_aligned: f64,
        chip_price_usd: f64,
        cloud_price_usd: f64,
        chip_spend_busd: f64,
        datacentre_spend_busd: f64,
        budget_busd: f64,
        spend_busd: f64,
        unspent_busd: f64,
        parent_busd: f64,
        smuggling_busd: f64,
        smuggling_margin_busd: f64,
        licence_fees_busd: f64,
        operating_busd: f64,
        gdp_busd: f64,
        power_gw: f64,
        power_capacity_gw: f64,
        compute_share_: per_bloc,
        unmet_share_: per_bloc,
        chip_production_h100e_: per_bloc,
        indigenous_share_: per_bloc,
        frontier_capability_: per_bloc,
        smuggled_share_: per_bloc,
        chip_price_usd_: per_bloc,
        chip_markup_: per_bloc,
        cloud_utilization_: per_bloc,
    }
}

table! {
    /// `nations`: one row a month per nation.
    pub struct NationRow<'a> in NationColumns {
        side: code(sides),
        alignment_: per_bloc,
        compute_h100e: f64,
        compute_per_capita: f64,
        demand_h100e: f64,
        unmet_h100e: f64,
        own_cluster_h100e: f64,
        stranded_labs: u32,
        supplied_share_: per_bloc,
        price_paid: f64,
        price_index: f64,
        received_h100e_: per_bloc,
        smuggled_received_h100e: f64,
        budget_busd: f64,
        spend_busd: f64,
        unspent_busd: f64,
        chip_spend_busd: f64,
        datacentre_spend_busd: f64,
        licence_fees_busd: f64,
        power_gw: f64,
        power_capacity_gw: f64,
    }
}

table! {
    /// `labs`: one row a month per lab (or per lab of a sample).
    pub struct LabRow in LabColumns {
        budget_busd: f64,
        compute_h100e: f64,
        training_h100e: f64,
        demand_h100e: f64,
        unmet_h100e: f64,
        capability: flop,
        providers_used: u32,
        main_provider: code(main_providers),
        kyc_refused: bool,
        uses_sanctioned_provider: bool,
        stranded: bool,
        accused: bool,
    }
}

table! {
    /// `providers`: one row a month per cloud provider.
    pub struct ProviderRow in ProviderColumns {
        capacity_h100e: f64,
        frozen_h100e: f64,
        frozen_regions: u32,
        requested_h100e: f64,
        served_h100e: f64,
        utilization: f64,
        revenue_busd: f64,
        price_usd: f64,
        cost_usd: f64,
        capex_busd: f64,
        chip_spend_busd: f64,
        datacentre_spend_busd: f64,
        unspent_busd: f64,
        operating_busd: f64,
        parent_busd: f64,
    }
}

table! {
    /// `fabs`: one row a month per fab.
    pub struct FabRow in FabColumns {
        wafers: f64,
        capacity_dies: f64,
        packaging_wafers: f64,
        produced_units: f64,
        produced_h100e: f64,
        bound: code(bounds),
        input_availability: f64,
        banked_dies: f64,
    }
}

table! {
    /// `usage`: one row a month per (nation, provider) pair, providers within nations.
    pub struct UsageRow in UsageColumns {
        compute_h100e: f64,
    }
}

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

table! {
    /// A row of the events table: a policy switched on, a ban imposed, a trigger fired or skipped, an
    /// accusation, a KYC evasion caught, a seizure, contracts dropped — in the order they happened, each
    /// keyed by its own month (a log: no row per entity).
    pub struct EventRow<'a> in EventColumns {
        kind: text,
        actor: text,
        target: text,
        nation: text,
        provider: text,
        detail: text,
        false_positive: bool,
    }
}

/// The events table of a run: `events` in order, each row keyed by its month's label in `months`.
pub fn events_table(events: &[EventRecord], months: &Words) -> Table {
    let mut store = EventColumns::new(0, &Vocabulary::default());
    store.reserve(events.len());
    for e in events {
        store.push(EventRow {
            kind: e.kind.as_str(),
            actor: &e.actor,
            target: &e.target,
            nation: &e.nation,
            provider: &e.provider,
            detail: &e.detail,
            false_positive: e.false_positive,
        });
    }
    Table {
        keys: Keys::logged(months, events.iter().map(|e| e.month).collect()),
        first_month: 0,
        names: EventColumns::names(&[]).into(),
        columns: store.into_columns(),
        rows: events.len(),
    }
}

/// The tables of a run being recorded.
#[derive(Resource, Clone, Debug)]
pub struct Recorder {
    pub detail: Detail,
    pub global: Rows<GlobalColumns>,
    pub nations: Rows<NationColumns>,
    pub labs: Rows<LabColumns>,
    pub providers: Rows<ProviderColumns>,
    pub fabs: Rows<FabColumns>,
    pub usage: Rows<UsageColumns>,
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
    /// No rows in `labs` nor `usage`, and in `events` only the policies' and triggers' (policies
    /// switched on and off, bans, triggers fired or skipped: what tells when a story acts), all tables
    /// with their columns: what a sweep's summary statistics need, at a fraction of the cost.
    /// `global`, `nations`, `providers` and `fabs` are whole.
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

    /// Whether the events table has the labs' events (accusations, KYC evasions, seizures, dropped
    /// contracts); the policies' and triggers' are always kept.
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

/// The labs with rows in the labs table, by index, and each lab's row within a month (`NOT_RECORDED`
/// for one without): every lab, a sample of `lab_sample` members of each population (`member` 0, a lab
/// of its own, always), or none without lab rows.
fn recorded_labs(
    d: &Dictionaries,
    recording: Recording,
    population_sizes: &[u32],
) -> (Vec<u32>, Option<Vec<u32>>) {
    let detail = recording.detail;
    let nl = d.lab_nations.len();
    match recording.lab_sample {
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
    }
}

impl Recorder {
    pub fn new(d: Dictionaries, recording: Recording) -> Self {
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
        let words = Vocabulary {
            sides,
            main_providers,
            bounds: Words::new(BOUNDS.map(String::from).into()),
        };
        let nf = d.fabs.len();

        let m = &months;
        let global_keys = Keys::new(m, 1);
        let nation_keys = Keys::new(m, nn).entity("nation", &nations_words, Keys::each(nn));
        // The labs with rows: every lab, or a sample.
        let mut population_sizes = vec![0u32; d.populations.len()];
        for &p in &d.lab_populations {
            population_sizes[p as usize] += 1;
        }
        let (recorded, lab_rows) = recorded_labs(&d, recording, &population_sizes);
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
        fn table<C: Columns>(
            keys: Keys,
            blocs: &[String],
            words: &Vocabulary,
            months: usize,
        ) -> Rows<C> {
            let rows = months * keys.per_month;
            let mut t = Rows::new(keys, blocs, words);
            t.reserve(rows);
            t
        }
        let sample = LabSample {
            per_population: recording.lab_sample.filter(|_| detail.labs()),
            labs: lab_rows_per_month,
            of: nl,
        };
        Recorder {
            detail,
            global: table(global_keys, &blocs, &words, months),
            nations: table(nation_keys, &blocs, &words, months),
            labs: table(
                lab_keys,
                &blocs,
                &words,
                lab_chunk * usize::from(detail.labs()),
            ),
            providers: table(provider_keys, &blocs, &words, months),
            fabs: table(fab_keys, &blocs, &words, months),
            usage: table(
                usage_keys,
                &blocs,
                &words,
                usage_chunk * usize::from(detail.usage()),
            ),
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
    pub fn lab_ids(&self, id: impl Fn(usize) -> String) -> LabIds {
        let keys = self.labs.keys();
        let per_month = if self.detail.labs() {
            keys.per_month
        } else {
            0
        };
        let mut population_codes: &[u32] = &[];
        let keys: Vec<(String, KeyColumn)> = keys
            .entities
            .iter()
            .map(|(name, column)| {
                let column = match column {
                    KeyColumn::Words(words, codes) => {
                        if name == "population" {
                            population_codes = &codes[..per_month];
                        }
                        KeyColumn::Words(words.clone(), codes[..per_month].into())
                    }
                    KeyColumn::Numbers(values) => KeyColumn::Numbers(values[..per_month].into()),
                };
                (name.clone(), column)
            })
            .collect();
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
        let mut sampled = vec![0u32; self.population_sizes.len()];
        for &p in population_codes {
            sampled[p as usize] += 1;
        }
        let weight: Vec<f64> = population_codes
            .iter()
            .map(|&p| f64::from(self.population_sizes[p as usize]) / f64::from(sampled[p as usize]))
            .collect();
        LabIds {
            rows: per_month,
            keys,
            lab,
            weight,
        }
    }

    /// After `done` months of a run of `months`: the rows of each large table whose chunk of months
    /// ends here, recorded since its last chunk, as (table name, rows) — every table after the last
    /// month.
    pub fn take_due(&mut self, done: u32, months: u32) -> Vec<(&'static str, Table)> {
        let due = |chunk: u32| done.is_multiple_of(chunk) || done == months;
        let mut chunks = Vec::new();
        if due(self.chunk_months[0]) {
            chunks.push(("labs", self.labs.take()));
        }
        if due(self.chunk_months[1]) {
            chunks.push(("usage", self.usage.take()));
        }
        chunks
    }
}

/// The labs table's dimension table, [`Recorder::lab_ids`]: its columns are the labs table's entity
/// keys with `lab` after the first two (`population`, `member`), then `weight`.
#[derive(Clone, Debug)]
pub struct LabIds {
    pub rows: usize,
    /// The labs table's entity keys, one value per row.
    pub keys: Vec<(String, KeyColumn)>,
    /// Each row's lab id.
    pub lab: Vec<String>,
    /// The labs of its population each row stands for.
    pub weight: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_has_its_fields_as_columns_in_order_with_one_per_bloc_where_declared() {
        let blocs = ["us".to_string(), "cn".to_string()];
        let names = NationColumns::names(&blocs);
        assert_eq!(
            names[..5],
            [
                "side",
                "alignment_us",
                "alignment_cn",
                "compute_h100e",
                "compute_per_capita"
            ]
        );
        assert_eq!(names.last().map(String::as_str), Some("power_capacity_gw"));
        assert_eq!(LabColumns::names(&blocs).len(), 12);
        assert_eq!(UsageColumns::names(&blocs), ["compute_h100e"]);
        // A measure and its per-bloc columns are distinct columns.
        let global = GlobalColumns::names(&blocs);
        for name in [
            "frontier_capability",
            "frontier_capability_us",
            "chip_price_usd_cn",
        ] {
            assert_eq!(global.iter().filter(|n| *n == name).count(), 1, "{name}");
        }
        assert_eq!(global.len(), 36 + 9 * blocs.len());
        // No table repeats a column.
        for names in [
            global,
            names,
            LabColumns::names(&blocs),
            ProviderColumns::names(&blocs),
            FabColumns::names(&blocs),
        ] {
            let unique: std::collections::BTreeSet<&String> = names.iter().collect();
            assert_eq!(unique.len(), names.len(), "{names:?}");
        }
    }

    #[test]
    fn a_table_reads_back_as_reported_without_a_dataframe() {
        let months = Words::new(["2025-01", "2025-02"].map(String::from).into());
        let nations = Words::new(["US", "CN", "KE"].map(String::from).into());
        // Two months of two nations, CN then KE (codes 1 and 2).
        let keys = Keys::new(&months, 2).entity("nation", &nations, vec![1, 2]);
        let table = |flop: f64, x: f64| Table {
            keys: keys.clone(),
            first_month: 0,
            names: ["capability", "count", "share", "flag"]
                .map(String::from)
                .into(),
            columns: vec![
                Column::OrdersOfMagnitude(vec![1e26, 1e25, 1e27, flop]),
                Column::U32(vec![1, 2, 3, 4]),
                Column::F64(vec![0.5, x, 0.25, 0.125]),
                Column::Bool(vec![0, 1, 0, 1]),
            ],
            rows: 4,
        };
        let fine = table(1e24, 0.75);
        let capability = fine.numbers("capability").unwrap();
        assert_eq!(capability.len(), 4);
        for (got, want) in capability.iter().zip([26.0, 25.0, 27.0, 24.0]) {
            assert!((got - want).abs() < 1e-12, "{got} against {want}");
        }
        assert_eq!(fine.numbers("count"), Some(vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!(fine.numbers("share"), Some(vec![0.5, 0.75, 0.25, 0.125]));
        // Flags and unknown names are not numbers; the nation key repeats each month.
        assert_eq!(fine.numbers("flag"), None);
        assert_eq!(fine.numbers("nation"), None);
        let nation: Vec<&str> = fine.key_words("nation").unwrap().collect();
        assert_eq!(nation, ["CN", "KE", "CN", "KE"]);
        assert!(fine.key_words("provider").is_none());
        // Not finite: a NaN, or a FLOP count of zero (minus infinity in orders of magnitude).
        assert!(fine.all_finite());
        assert!(!table(1e24, f64::NAN).all_finite());
        assert!(!table(0.0, 0.75).all_finite());
    }

    #[test]
    fn a_row_pushed_lands_in_its_columns() {
        let words = Vocabulary {
            sides: Words::new(["us", "cn", NON_ALIGNED].map(String::from).into()),
            main_providers: Words::new([NO_PROVIDER.to_string()].into()),
            bounds: Words::new(BOUNDS.map(String::from).into()),
        };
        let mut columns = NationColumns::new(2, &words);
        let row = NationRow {
            side: 2,
            alignment_: &[0.25, 0.75],
            compute_h100e: 1.0,
            compute_per_capita: 2.0,
            demand_h100e: 3.0,
            unmet_h100e: 4.0,
            own_cluster_h100e: 5.0,
            stranded_labs: 6,
            supplied_share_: &[0.5, 0.5],
            price_paid: 7.0,
            price_index: 7.5,
            received_h100e_: &[8.0, 9.0],
            smuggled_received_h100e: 10.0,
            budget_busd: 11.0,
            spend_busd: 0.5,
            unspent_busd: 0.25,
            chip_spend_busd: 12.0,
            datacentre_spend_busd: 1.5,
            licence_fees_busd: 0.0,
            power_gw: 13.0,
            power_capacity_gw: 14.0,
        };
        columns.push(row);
        let columns = columns.into_columns();
        assert_eq!(
            columns.len(),
            NationColumns::names(&["us".into(), "cn".into()]).len()
        );
        assert!(
            matches!(&columns[0], Column::Dict(w, codes) if w.get(codes[0] as usize) == NON_ALIGNED)
        );
        assert!(matches!(&columns[2], Column::F64(x) if x == &[0.75]));
        assert!(matches!(&columns[8], Column::U32(x) if x == &[6]));
        assert!(matches!(&columns[12], Column::F64(x) if x == &[7.5]));
        assert!(matches!(&columns[14], Column::F64(x) if x == &[9.0]));
        assert!(matches!(columns.last(), Some(Column::F64(x)) if x == &[14.0]));
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
}

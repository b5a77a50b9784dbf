//! ECS resources: the clock, parameters, the world's index, the rules in force this month, the chip
//! ledger, random streams, and the event log — state that belongs to the world rather than to one agent.

use crate::month::YearMonth;
use crate::parameters::Parameters;
use bevy_ecs::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// The model's parameters.
#[derive(Resource, Clone, Debug)]
pub struct Params(pub Parameters);

/// Simulation time: `t` months after `start`.
#[derive(Resource, Clone, Debug)]
pub struct Clock {
    pub t: u32,
    pub start: YearMonth,
    pub months: u32,
    /// Months from the world's data month to the run's start.
    pub since_data: u32,
}

impl Clock {
    /// Months since the world's data month: the clock every trend runs on.
    pub fn trend_month(&self) -> u32 {
        self.t + self.since_data
    }

    pub fn month(&self) -> YearMonth {
        self.start.plus(self.t as i32)
    }
}

/// A dense row-major matrix of numbers, e.g. [provider][nation].
#[derive(Debug, Default, PartialEq)]
pub struct Grid {
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Clone for Grid {
    fn clone(&self) -> Self {
        Grid {
            cols: self.cols,
            data: self.data.clone(),
        }
    }

    /// Copies into the grid's own storage: a grid copied every month (the market's record of where
    /// policy blocked) would otherwise be allocated anew, and a large one's fresh pages faulted in.
    fn clone_from(&mut self, source: &Self) {
        self.cols = source.cols;
        self.data.clone_from(&source.data);
    }
}

impl Grid {
    pub fn new(rows: usize, cols: usize, value: f64) -> Self {
        Grid {
            cols,
            data: vec![value; rows * cols],
        }
    }
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }
    pub fn set(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] = v;
    }
    /// Keeps the larger of the current and the new value.
    pub fn raise(&mut self, r: usize, c: usize, v: f64) {
        let x = &mut self.data[r * self.cols + c];
        *x = x.max(v);
    }
    /// Keeps the smaller of the current and the new value.
    pub fn lower(&mut self, r: usize, c: usize, v: f64) {
        let x = &mut self.data[r * self.cols + c];
        *x = x.min(v);
    }
    pub fn fill(&mut self, v: f64) {
        self.data.fill(v);
    }
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
    pub fn row_mut(&mut self, r: usize) -> &mut [f64] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }
    pub fn add(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] += v;
    }
    pub fn add_row(&mut self, r: usize, values: &[f64]) {
        debug_assert_eq!(values.len(), self.cols);
        for (cell, v) in self.row_mut(r).iter_mut().zip(values) {
            *cell += v;
        }
    }
}

/// The kinds of index a rule's grid is read by. A grid over (rows, columns) takes only its own kinds, so
/// swapped arguments — a target nation for an owner, a nation for a chip — do not compile: write
/// `rules.weights_strength.get(Owner(owner), Recipient(nation))`.
pub trait Axis: Copy {
    fn at(self) -> usize;
}

macro_rules! axes {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        $(
            $(#[doc = $doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct $name(pub usize);

            impl Axis for $name {
                fn at(self) -> usize {
                    self.0
                }
            }
        )*
    };
}

axes! {
    /// A chip class, by index.
    ChipIx,
    /// A nation a rule applies to (whose buyers, labs or clouds' customers it binds), by index.
    NationIx,
    /// A cloud provider, by index.
    ProviderIx,
    /// The nation whose models' weights a weights control protects, by index.
    Owner,
    /// The nation that supplies an input, by index.
    Supplier,
    /// The nation that would receive weights or an input, by index.
    Recipient,
    /// A market segment (pool × 2 + large-training flag), by index.
    SegmentIx,
    /// A bloc (a supplier bloc of compute or chips), by index.
    BlocIx,
}

/// A value for each pair of a row kind `R` and a column kind `C` ([`Axis`]), stored row-major: a rule's
/// strength by chip and nation, a segment's use of each provider.
#[derive(Debug)]
pub struct TypedGrid<R, C> {
    grid: Grid,
    axes: std::marker::PhantomData<(R, C)>,
}

impl<R, C> Clone for TypedGrid<R, C> {
    fn clone(&self) -> Self {
        TypedGrid {
            grid: self.grid.clone(),
            axes: std::marker::PhantomData,
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.grid.clone_from(&source.grid);
    }
}

impl<R, C> Default for TypedGrid<R, C> {
    fn default() -> Self {
        TypedGrid {
            grid: Grid::default(),
            axes: std::marker::PhantomData,
        }
    }
}

impl<R: Axis, C: Axis> TypedGrid<R, C> {
    pub fn new(rows: usize, cols: usize, value: f64) -> Self {
        TypedGrid {
            grid: Grid::new(rows, cols, value),
            axes: std::marker::PhantomData,
        }
    }
    pub fn get(&self, r: R, c: C) -> f64 {
        self.grid.get(r.at(), c.at())
    }
    pub fn set(&mut self, r: R, c: C, v: f64) {
        self.grid.set(r.at(), c.at(), v);
    }
    /// Adds `v` to the cell.
    pub fn add(&mut self, r: R, c: C, v: f64) {
        self.grid.add(r.at(), c.at(), v);
    }
    /// Adds `values`, one per column, to the row's cells.
    pub fn add_row(&mut self, r: R, values: &[f64]) {
        self.grid.add_row(r.at(), values);
    }
    /// Keeps the larger of the current and the new value.
    pub fn raise(&mut self, r: R, c: C, v: f64) {
        self.grid.raise(r.at(), c.at(), v);
    }
    /// Keeps the smaller of the current and the new value.
    pub fn lower(&mut self, r: R, c: C, v: f64) {
        self.grid.lower(r.at(), c.at(), v);
    }
    pub fn fill(&mut self, v: f64) {
        self.grid.fill(v);
    }
    /// The number of columns (of kind `C`).
    pub fn cols(&self) -> usize {
        self.grid.cols
    }
    /// The number of cells.
    pub fn cells(&self) -> usize {
        self.grid.data.len()
    }
    /// Row `r`'s cells, in column order.
    pub fn row(&self, r: R) -> &[f64] {
        self.grid.row(r.at())
    }
    pub fn row_mut(&mut self, r: R) -> &mut [f64] {
        self.grid.row_mut(r.at())
    }
    /// Every cell, row by row: for kernels that walk several rows at once by offset (the market's
    /// clearing lanes), where an index per cell would hide the arithmetic from the compiler.
    pub fn flat(&self) -> &[f64] {
        &self.grid.data
    }
    pub fn flat_mut(&mut self) -> &mut [f64] {
        &mut self.grid.data
    }
}

/// A provider × nation table kept nation by nation: the market reads one nation's cell of every
/// provider for each segment it prepares (in a world of a thousand providers and nations, a strided
/// read of a provider-major grid was a fifth of the run), while policies write a cell at a time.
#[derive(Clone, Debug, Default)]
pub struct ProviderNation(Grid);

impl ProviderNation {
    pub fn new(providers: usize, nations: usize, value: f64) -> Self {
        ProviderNation(Grid::new(nations, providers, value))
    }
    pub fn get(&self, provider: ProviderIx, nation: NationIx) -> f64 {
        self.0.get(nation.0, provider.0)
    }
    pub fn set(&mut self, provider: ProviderIx, nation: NationIx, v: f64) {
        self.0.set(nation.0, provider.0, v);
    }
    /// Keeps the larger of the current and the new value.
    pub fn raise(&mut self, provider: ProviderIx, nation: NationIx, v: f64) {
        self.0.raise(nation.0, provider.0, v);
    }
    pub fn fill(&mut self, v: f64) {
        self.0.fill(v);
    }
    /// Every provider's cell for `nation`, in provider order.
    pub fn for_nation(&self, nation: NationIx) -> &[f64] {
        self.0.row(nation.0)
    }
}

/// Static facts about the world that systems look up by index: ids, memberships, entity order.
#[derive(Resource, Clone, Debug, Default)]
pub struct WorldIndex {
    pub bloc_ids: Vec<String>,
    pub bloc_leaders: Vec<usize>,
    pub nation_ids: Vec<String>,
    pub nation_index: HashMap<String, usize>,
    pub coalitions: HashMap<String, Vec<usize>>,
    pub chip_ids: Vec<String>,
    pub chip_index: HashMap<String, usize>,
    /// Per chip class: h100e per unit, the designer nation and its market (the designer's home bloc).
    pub chip_h100e: Vec<f64>,
    pub chip_designer: Vec<usize>,
    pub chip_origin: Vec<usize>,
    pub chip_fab_nations: Vec<Vec<usize>>,
    pub input_ids: Vec<String>,
    pub input_index: HashMap<String, usize>,
    /// Per input: (supplier nation, share of supply), its kind, its world supply at the start and yearly
    /// growth (`memory` inputs), and how far and how fast a withheld supply is substituted.
    pub input_suppliers: Vec<Vec<(usize, f64)>>,
    pub input_kind: Vec<crate::scenario::InputKind>,
    pub input_supply: Vec<(f64, f64)>,
    pub input_substitution: Vec<(f64, u32)>,
    /// Per input: the share of a fab's output that needs it (`material` inputs), and the domestic
    /// supplies of `memory` inputs by nation.
    pub input_exposure: Vec<f64>,
    pub input_domestic: Vec<Vec<DomesticFlow>>,
    pub provider_ids: Vec<String>,
    pub provider_index: HashMap<String, usize>,
    pub provider_bloc: Vec<usize>,
    /// Per lab, in index order: its population (position among the `[[lab]]` entries) and member
    /// number (1 to `count`; 0 for a lab of its own). Its id is made from them ([`WorldIndex::lab_id`]):
    /// a million ids kept as strings would take more memory than the rest of the index.
    pub lab_population: Vec<u32>,
    pub lab_member: Vec<u32>,
    /// Per `[[lab]]` entry: its id, and the digits of its members' numbers in their ids.
    pub population_ids: Vec<String>,
    pub population_digits: Vec<usize>,
    pub lab_nation: Vec<usize>,
    /// Entities of each kind in index order.
    pub nations: Vec<Entity>,
    pub labs: Vec<Entity>,
    /// The labs with an own cluster to grow (own share and capex above 0), in index order.
    pub own_cluster_labs: Vec<Entity>,
    /// The labs that can hold chips ([`crate::components::Lab::holds_chips`]), in index order.
    pub chip_holding_labs: Vec<Entity>,
    pub regions: Vec<Entity>,
    pub fabs: Vec<Entity>,
    pub intermediaries: Vec<Entity>,
    /// Number of market pools (nation, contracts) the labs fall into.
    pub pools: usize,
    /// Per pool: its nation and its allowed providers (none = all).
    pub pool_nation: Vec<usize>,
    pub pool_contracts: Vec<Option<Vec<bool>>>,
}

impl WorldIndex {
    pub fn blocs(&self) -> usize {
        self.bloc_ids.len()
    }

    /// Lab `lab`'s id, as scenario files and events name it: its entry's id for a lab of its own, else
    /// `{entry}-{member}` with the member's number zero-padded to at least four digits.
    pub fn lab_id(&self, lab: usize) -> String {
        let population = self.lab_population[lab] as usize;
        let id = &self.population_ids[population];
        match self.lab_member[lab] {
            0 => id.clone(),
            member => format!(
                "{id}-{member:0width$}",
                width = self.population_digits[population]
            ),
        }
    }

    /// Every lab's id, in index order.
    pub fn lab_ids(&self) -> Vec<String> {
        (0..self.lab_population.len())
            .map(|i| self.lab_id(i))
            .collect()
    }

    /// Providers named directly or through their bloc.
    pub fn providers_named(&self, names: &[String]) -> Vec<bool> {
        let mut set = vec![false; self.provider_ids.len()];
        for name in names {
            if let Some(&p) = self.provider_index.get(name) {
                set[p] = true;
            } else if let Some(b) = self.bloc_ids.iter().position(|b| b == name) {
                for (p, &pb) in self.provider_bloc.iter().enumerate() {
                    if pb == b {
                        set[p] = true;
                    }
                }
            }
        }
        set
    }

    pub fn blocs_named(&self, names: &[String]) -> Vec<bool> {
        self.bloc_ids.iter().map(|b| names.contains(b)).collect()
    }
}

/// A nation's own supply of a `memory` input (CXMT's HBM for China): `supply` units a month from trend
/// month `from`, growing by `growth` a year — `(1 + push)` times as fast under an indigenous push of
/// strength `push` (the programme funds domestic memory as it funds fabs).
#[derive(Clone, Debug, PartialEq)]
pub struct DomesticFlow {
    pub nation: usize,
    pub supply: f64,
    pub growth: f64,
    pub from: i32,
}

impl DomesticFlow {
    /// Units a month in trend month `month` (months since the world's data month), given last month's
    /// (`last`, 0 before it began) and the push toward its nation.
    pub fn next(&self, month: u32, last: f64, push: f64) -> f64 {
        let since = month as i32 - self.from;
        if since < 0 {
            0.0
        } else if last <= 0.0 {
            // Begun before the run: the months since at the base pace.
            self.supply * (1.0 + self.growth).powf(f64::from(since) / 12.0)
        } else {
            last * (1.0 + self.growth * (1.0 + push)).powf(1.0 / 12.0)
        }
    }
}

/// Each nation's side — the bloc it weighs at least 0.5 to, if any — in nation order: set when the
/// world is built and by the alignment system at the end of each month, and read by the other systems
/// (a bloc named in a policy stands for the nations on its side).
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq)]
pub struct Sides(pub Vec<Option<usize>>);

/// What the policies in force mean this month, compiled by the policy system for the others to read.
#[derive(Resource, Clone, Debug, Default)]
pub struct Rules {
    /// [chip][nation]: share of sales blocked by export controls.
    pub chip_block: TypedGrid<ChipIx, NationIx>,
    /// [chip][nation]: share of sales blocked to firms headquartered in the nation wherever they buy
    /// (a control that covers headquarters: a cloud's regions abroad).
    pub chip_block_headquartered: TypedGrid<ChipIx, NationIx>,
    /// [chip][nation]: secondary-sanction strength on buying the chip.
    pub chip_sanction: TypedGrid<ChipIx, NationIx>,
    /// [chip][nation]: the share of the chip its own government closes to the nation's buyers
    /// (discouragement).
    pub chip_discouraged: TypedGrid<ChipIx, NationIx>,
    /// [chip][nation]: the share of a sale's price paid to the licensing governments on legal sales of
    /// the chip to buyers in the nation.
    pub licence_fee: TypedGrid<ChipIx, NationIx>,
    /// [nation]: under any chip export control (indigenous fabs invest more), and the strongest one's
    /// strength (labs' budget plans follow it).
    pub under_chip_control: Vec<bool>,
    pub chip_pressure: Vec<f64>,
    /// [nation]: H100e it may receive per year.
    pub import_cap: Vec<Option<f64>>,
    /// Per input, [supplier][nation]: share withheld, and the month the earliest control in force that
    /// withholds it began (substitution runs from then; +∞ where nothing is withheld).
    pub input_block: Vec<TypedGrid<Supplier, Recipient>>,
    pub input_since: Vec<TypedGrid<Supplier, Recipient>>,
    /// [owner nation][target nation]: weights-control strength, the capability above which closed
    /// weights are covered, and the open-release cap (log10 FLOP; +∞ where none).
    pub weights_strength: TypedGrid<Owner, Recipient>,
    pub weights_threshold: TypedGrid<Owner, Recipient>,
    pub weights_cap: TypedGrid<Owner, Recipient>,
    /// [provider][nation]: KYC strength on large training; [nation]: smallest training threshold.
    pub kyc: ProviderNation,
    pub kyc_threshold: Vec<f64>,
    /// [provider][nation]: 1 where the provider is banned or closed (customers lose it, regions freeze).
    pub closed: ProviderNation,
    /// [provider][nation]: secondary-sanction strength on using the provider.
    pub sanction: ProviderNation,
    /// [nation]: strength of indigenous-push programmes.
    pub indigenous_push: Vec<f64>,
}

impl Rules {
    pub fn new(chips: usize, nations: usize, inputs: usize, providers: usize) -> Self {
        Rules {
            chip_block: TypedGrid::new(chips, nations, 0.0),
            chip_block_headquartered: TypedGrid::new(chips, nations, 0.0),
            chip_sanction: TypedGrid::new(chips, nations, 0.0),
            chip_discouraged: TypedGrid::new(chips, nations, 0.0),
            licence_fee: TypedGrid::new(chips, nations, 0.0),
            under_chip_control: vec![false; nations],
            chip_pressure: vec![0.0; nations],
            import_cap: vec![None; nations],
            input_block: vec![TypedGrid::new(nations, nations, 0.0); inputs],
            input_since: vec![TypedGrid::new(nations, nations, f64::INFINITY); inputs],
            weights_strength: TypedGrid::new(nations, nations, 0.0),
            weights_threshold: TypedGrid::new(nations, nations, f64::INFINITY),
            weights_cap: TypedGrid::new(nations, nations, f64::INFINITY),
            kyc: ProviderNation::new(providers, nations, 0.0),
            kyc_threshold: vec![f64::INFINITY; nations],
            closed: ProviderNation::new(providers, nations, 0.0),
            sanction: ProviderNation::new(providers, nations, 0.0),
            indigenous_push: vec![0.0; nations],
        }
    }

    pub fn reset(&mut self) {
        self.chip_block.fill(0.0);
        self.chip_block_headquartered.fill(0.0);
        self.chip_sanction.fill(0.0);
        self.under_chip_control.fill(false);
        self.chip_pressure.fill(0.0);
        self.import_cap.fill(None);
        for g in &mut self.input_block {
            g.fill(0.0);
        }
        for g in &mut self.input_since {
            g.fill(f64::INFINITY);
        }
        self.weights_strength.fill(0.0);
        self.weights_threshold.fill(f64::INFINITY);
        self.weights_cap.fill(f64::INFINITY);
        self.kyc.fill(0.0);
        self.kyc_threshold.fill(f64::INFINITY);
        self.closed.fill(0.0);
        self.sanction.fill(0.0);
        self.indigenous_push.fill(0.0);
    }

    /// Whether a provider is closed to a nation's labs (ban or reciprocity).
    pub fn is_closed(&self, provider: ProviderIx, nation: NationIx) -> bool {
        self.closed.get(provider, nation) > 0.0
    }
}

/// Chips in stock and the month's and run's flows, in units and H100e; the conservation law
/// `produced = delivered + seized + stock` holds on the cumulative H100e columns.
#[derive(Resource, Clone, Debug, Default)]
pub struct ChipLedger {
    /// Unsold units by chip class.
    pub stock: Vec<f64>,
    /// Units of each class sold last month (legal sales, smugglers included): the fabs' demand signal.
    pub sold_last_month: Vec<f64>,
    /// Units of each class sold a month recently: an average over about three months.
    pub sold_recently: Vec<f64>,
    pub produced_cum: f64,
    pub delivered_cum: f64,
    pub seized_cum: f64,
    /// This month.
    pub produced_by_bloc: Vec<f64>,
    pub new_compute_by_bloc: Vec<f64>,
    pub indigenous_new_by_bloc: Vec<f64>,
    pub smuggled: f64,
    pub seized: f64,
    /// Smuggled H100e still in service, by the receiving nation's side (retired at 1/lifetime a month).
    pub smuggled_stock_by_bloc: Vec<f64>,
    /// This month: H100e each nation installed by chip origin bloc (legal and smuggled).
    pub received: TypedGrid<NationIx, BlocIx>,
    /// This month, [nation]: smuggled H100e delivered.
    pub smuggled_received: Vec<f64>,
    /// H100e received legally by each nation in the current simulation year (import caps).
    pub received_this_year: Vec<f64>,
    /// Per `memory` input, [nation]: units held in the nation (stockpiles), drawn on when supply is withheld.
    pub memory_stock: Vec<Vec<f64>>,
    /// Per input, [nation]: how far substitutes for a withheld supply have come (0 to 1), once begun.
    pub substitution: Vec<Vec<Option<f64>>>,
    /// Per `memory` input, per domestic flow: units a month this month.
    pub domestic: Vec<Vec<f64>>,
}

/// The chip markets, one per origin bloc (where the chips' designers sit): a trend price falling with
/// price-performance, times a mark-up that moves with money offered against supply.
#[derive(Resource, Clone, Debug, Default)]
pub struct ChipMarket {
    /// Mark-up over the trend price, per market (its classes', weighted by what they sold and had left)
    /// and per chip class.
    pub markup: Vec<f64>,
    pub class_markup: Vec<f64>,
    /// This month, per chip class: H100e wanted at its price, and sold.
    pub class_wanted: Vec<f64>,
    pub class_sold: Vec<f64>,
    /// This month's price of an H100e, USD, per market.
    pub price: Vec<f64>,
    /// H100e on offer this month (stock and output), wanted at the posted price, and sold, per market.
    pub supply: Vec<f64>,
    pub wanted: Vec<f64>,
    pub sold: Vec<f64>,
    /// USD chip sellers received this month (legal sales, smugglers' purchases included).
    pub spend: f64,
    /// H100e installed this month, and what their buyers paid for them (smuggled ones at the premium).
    pub installed: f64,
    pub installed_value: f64,
    /// USD paid for datacentres built this month.
    pub datacentre_spend: f64,
    /// USD of `spend` the sellers paid on to licensing governments (licence fees), in all and by the
    /// nation of the buyers whose purchases paid them.
    pub licence_fees: f64,
    pub licence_fees_by_nation: Vec<f64>,
    /// USD paid to smugglers, and the smugglers' margin on it.
    pub smuggling: f64,
    pub smuggling_margin: f64,
}

impl ChipLedger {
    pub fn stock_h100e(&self, h100e: &[f64]) -> f64 {
        self.stock.iter().zip(h100e).map(|(u, h)| u * h).sum()
    }
}

/// Purposes of random draws; each has its own stream so that draws in one system never shift another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    Smuggling = 1,
    Seizure = 2,
    Kyc = 3,
    Extraction = 4,
    FalsePositive = 5,
    Alignment = 6,
    Trigger = 7,
}

/// One seeded ChaCha8 generator per purpose, all derived from the run's seed.
#[derive(Resource, Clone, Debug)]
pub struct Rngs {
    pub smuggling: ChaCha8Rng,
    pub seizure: ChaCha8Rng,
    pub kyc: ChaCha8Rng,
    pub extraction: ChaCha8Rng,
    pub false_positive: ChaCha8Rng,
    pub alignment: ChaCha8Rng,
    pub trigger: ChaCha8Rng,
}

impl Rngs {
    pub fn new(seed: u64) -> Self {
        let stream = |s: Stream| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(s as u64);
            rng
        };
        Rngs {
            smuggling: stream(Stream::Smuggling),
            seizure: stream(Stream::Seizure),
            kyc: stream(Stream::Kyc),
            extraction: stream(Stream::Extraction),
            false_positive: stream(Stream::FalsePositive),
            alignment: stream(Stream::Alignment),
            trigger: stream(Stream::Trigger),
        }
    }
}

/// What happened, the `events` table's `kind` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A policy came into force (`actor`: its `by`, `target`: its targets, `detail`: kind and name).
    PolicyOn,
    /// A policy ended.
    PolicyOff,
    /// A `cloud_ban` came into force (also recorded as `policy_on`).
    Ban,
    /// A trigger answered an accusation with a policy (`actor`: the trigger, `target`: the policy).
    TriggerFired,
    /// A trigger matched but could not name the provider its template bans.
    TriggerSkipped,
    /// A lab was accused of extracting a rival's model (`false_positive` when it did not).
    TheftDetected,
    /// A lab evading cloud KYC was found out.
    KycEvasionDetected,
    /// Smuggled chips were seized on an intermediary route.
    Seizure,
    /// A lab stranded by policy dropped its provider contracts.
    ContractsDropped,
}

impl EventKind {
    /// Whether the event is a policy's or a trigger's (kept in every run), not a lab's.
    pub fn is_policy(self) -> bool {
        matches!(
            self,
            EventKind::PolicyOn
                | EventKind::PolicyOff
                | EventKind::Ban
                | EventKind::TriggerFired
                | EventKind::TriggerSkipped
        )
    }

    pub const ALL: [EventKind; 9] = [
        EventKind::PolicyOn,
        EventKind::PolicyOff,
        EventKind::Ban,
        EventKind::TriggerFired,
        EventKind::TriggerSkipped,
        EventKind::TheftDetected,
        EventKind::KycEvasionDetected,
        EventKind::Seizure,
        EventKind::ContractsDropped,
    ];

    /// The value in the `kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::PolicyOn => "policy_on",
            EventKind::PolicyOff => "policy_off",
            EventKind::Ban => "ban",
            EventKind::TriggerFired => "trigger_fired",
            EventKind::TriggerSkipped => "trigger_skipped",
            EventKind::TheftDetected => "theft_detected",
            EventKind::KycEvasionDetected => "kyc_evasion_detected",
            EventKind::Seizure => "seizure",
            EventKind::ContractsDropped => "contracts_dropped",
        }
    }

    /// The kind a `kind` column's value names.
    pub fn parse(kind: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == kind)
    }
}

/// What happened: one row of `events.parquet`.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub month: u32,
    pub kind: EventKind,
    pub actor: String,
    pub target: String,
    pub nation: String,
    pub provider: String,
    pub detail: String,
    /// For `theft_detected`: the accused lab did not in fact extract. Never read by the rules.
    pub false_positive: bool,
}

/// Every lab's recent training runs: the effective training compute (FLOP) of each of its last
/// `window` (`max_run_months`) months, as a ring indexed by month modulo `window` — lab after lab in
/// index order, in one array rather than an allocation per lab, so that research walks them in order.
#[derive(Resource, Clone, Debug, Default)]
pub struct TrainingRuns {
    pub window: usize,
    pub flop: Vec<f64>,
}

impl TrainingRuns {
    /// Lab `lab`'s ring.
    pub fn of(&self, lab: usize) -> &[f64] {
        &self.flop[lab * self.window..(lab + 1) * self.window]
    }

    pub fn of_mut(&mut self, lab: usize) -> &mut [f64] {
        &mut self.flop[lab * self.window..(lab + 1) * self.window]
    }
}

/// Every event of the run, in order — or, for runs that keep no lab-level events (`--detail
/// summary`), only the policies' and triggers' own: few, and what tells when a story acts.
#[derive(Resource, Clone, Debug)]
pub struct EventLog {
    pub events: Vec<EventRecord>,
    /// Whether lab-level events (accusations, KYC evasions, seizures, dropped contracts) are kept; when
    /// not, `record` hands out nothing to fill in for them, so nothing is formatted.
    pub keep: bool,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            events: Vec::new(),
            keep: true,
        }
    }
}

impl EventLog {
    /// Whether events of `kind` are kept: always a policy's or a trigger's, lab-level ones if `keep`.
    pub fn keeps(&self, kind: EventKind) -> bool {
        self.keep || kind.is_policy()
    }

    /// As [`EventLog::record`], the actor made only if the log keeps events.
    pub fn record_with(
        &mut self,
        month: u32,
        kind: EventKind,
        actor: impl FnOnce() -> String,
    ) -> Option<&mut EventRecord> {
        if !self.keeps(kind) {
            return None;
        }
        let event = self.record(month, kind, "")?;
        event.actor = actor();
        Some(event)
    }

    /// Appends an event with the given month, kind and actor for the caller to fill in what else
    /// applies; `None` when the log keeps no events.
    pub fn record(&mut self, month: u32, kind: EventKind, actor: &str) -> Option<&mut EventRecord> {
        if !self.keeps(kind) {
            return None;
        }
        self.events.push(EventRecord {
            month,
            kind,
            actor: actor.to_string(),
            target: String::new(),
            nation: String::new(),
            provider: String::new(),
            detail: String::new(),
            false_positive: false,
        });
        self.events.last_mut()
    }
}

/// An accusation waiting for the triggers (read by the policy system next month).
#[derive(Clone, Debug)]
pub struct Accusation {
    pub month: u32,
    pub lab: usize,
    pub nation: usize,
    /// The lab's main provider, and its market segments (inference, training) this month.
    pub provider: Option<usize>,
    pub segments: (usize, usize),
}

/// Which providers served each market segment in the latest month the market ran, as shares of the segment's cloud compute
/// ([segment][provider]): the market writes it, the triggers (whose cloud an accused lab relies on) and
/// the stranded-lab measure (which providers a lab lost) read it.
#[derive(Resource, Clone, Debug, Default)]
pub struct SegmentUse {
    pub share: TypedGrid<SegmentIx, ProviderIx>,
    /// The month before's shares.
    pub previous: TypedGrid<SegmentIx, ProviderIx>,
    /// [segment][provider]: 1 where a policy (ban, closure, full KYC refusal) keeps the segment from the
    /// provider this month.
    pub policy_blocked: TypedGrid<SegmentIx, ProviderIx>,
}

/// The scenario's triggers, in scenario order.
#[derive(Resource, Clone, Debug, Default)]
pub struct Triggers(pub Vec<crate::scenario::Trigger>);

/// Accusations of the month just simulated, and how often each trigger has fired.
/// What research recorded this month: successful extractions of rival models (theft or distillation).
#[derive(Resource, Clone, Debug, Default)]
pub struct ResearchBook {
    pub extractions: u32,
}

#[derive(Resource, Clone, Debug, Default)]
pub struct TriggerState {
    pub pending: Vec<Accusation>,
    pub fires: Vec<u32>,
    /// Policies all triggers have put in force (at most `MAX_TRIGGERED_POLICIES`), and whether the
    /// event saying the bound was reached is logged.
    pub fired: u32,
    pub full_said: bool,
    pub next_policy_idx: usize,
}

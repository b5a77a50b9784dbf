//! The scenario: the world (blocs, nations, fabs, chips, clouds, labs, intermediaries), the policies in
//! force and the triggers that add more, as read from a TOML file.
//!
//! The structs here are the schema: each TOML key is the Rust field of the same name, and the systems read
//! these values (through the ECS components built from them) under the same names.

mod error;
mod keys;
mod library;
pub mod limits;
mod load;
mod overrides;
mod policy;
#[doc(hidden)]
pub mod suggest;
pub mod text;

/// The candidate closest to `word`, if close enough to be a misspelling of it ("did you mean").
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    suggest::closest(word, candidates.iter().copied())
}
mod validate;

// For the sweep file's errors (the sweeps are part of the engine).
pub use error::{Diagnostic, MAX_SHOWN, ScenarioError};
#[doc(hidden)]
pub use error::{LineIndex, line_column, nearest, write_problems};
pub use keys::KeyPath;
pub use library::{SHIPPED, ShippedScenario, shipped};
#[doc(hidden)]
pub use load::parse_with_positions;
pub use load::{Base, Files, Loaded, load, load_counterfactual, load_path, load_shipped, load_str};
pub use overrides::Override;
pub use policy::{POLICY_KEYS, Policy, PolicyKind};

use crate::month::YearMonth;
use crate::parameters::Parameters;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A resolved scenario: every file it extends merged, overrides applied, defaults filled in, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub scenario: ScenarioMeta,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(default)]
    pub bloc: Vec<Bloc>,
    #[serde(default)]
    pub nation: Vec<Nation>,
    #[serde(default)]
    pub coalition: Vec<Coalition>,
    #[serde(default)]
    pub input: Vec<Input>,
    #[serde(default)]
    pub chip: Vec<ChipClass>,
    #[serde(default)]
    pub fab: Vec<Fab>,
    #[serde(default)]
    pub provider: Vec<Provider>,
    #[serde(default)]
    pub lab: Vec<Lab>,
    #[serde(default)]
    pub intermediary: Vec<Intermediary>,
    #[serde(default)]
    pub policy: Vec<Policy>,
    #[serde(default)]
    pub trigger: Vec<Trigger>,
}

/// `[scenario]`: what the run is called, when it starts and how long it lasts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_start")]
    pub start: YearMonth,
    /// The month the world's numbers describe (its stock, budgets, prices, fabs): every trend — prices
    /// falling with price-performance, watts per H100e, budget growth, GDP, algorithmic progress — runs
    /// on the calendar from it, so one world run from a later start follows the same calendar. Default:
    /// `start`. A run may not start before it.
    #[serde(default)]
    pub data_month: Option<YearMonth>,
    /// The file is a world of its own, not a story over the file it extends (a hindcast that rewrites
    /// its base's numbers and policies): it runs without a counterfactual. Read from the file that
    /// says it only; a story over it has its counterfactual as usual.
    #[serde(default)]
    pub world: bool,
    #[serde(default = "default_months")]
    pub months: u32,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Nations whose compute per capita the summary and charts single out.
    #[serde(default)]
    pub focus: Vec<String>,
    /// For a story: the mechanism it tells, in a paragraph (the report shows it).
    #[serde(default)]
    pub story: String,
    /// For a story: what it should do against its counterfactual — the same file without the policies
    /// and triggers it adds or changes, everything else held (see [`Scenario::counterfactual`]).
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// For a story: where its mechanism and numbers come from.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Which way a story moves a metric against its counterfactual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

/// How an expectation combines the values of several nations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    #[default]
    Sum,
    Mean,
}

/// `[[scenario.expect]]`: a story's stated expectation, checked as paired runs (story minus
/// counterfactual, same seeds) by the tests, and shown by `run`, `compare` and the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// A column of `global.parquet`, or of `nations.parquet` when `nations` is given.
    pub metric: String,
    /// Nations whose values are combined (nation metrics only), by `aggregate`.
    #[serde(default)]
    pub nations: Vec<String>,
    /// How the nations' values combine: `sum` (quantities such as compute) or `mean` (shares).
    #[serde(default)]
    pub aggregate: Aggregate,
    pub direction: Direction,
    /// First and last month of the window the difference is averaged over; default: the month the
    /// story starts to act (the first of its own policies in force, or the first a trigger puts in force)
    /// and `months` later, or the end of the run.
    #[serde(default)]
    pub from: Option<YearMonth>,
    #[serde(default)]
    pub to: Option<YearMonth>,
    /// Length of the window from the story's start, when `to` is not given.
    #[serde(default)]
    pub months: Option<u32>,
    /// The smallest mean difference the story claims: in the metric's unit, or as a share of the
    /// counterfactual's mean when `relative`.
    pub min_effect: f64,
    #[serde(default)]
    pub relative: bool,
}

fn default_start() -> YearMonth {
    YearMonth::new(2025, 1).expect("valid month")
}
fn default_months() -> u32 {
    120
}
fn default_seed() -> u64 {
    42
}

/// `[[bloc]]`: a pole of the contest, led by one nation whose alignment never moves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bloc {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub leader: String,
    /// Mark-up of the chip market of the bloc's designs over the trend price at the world's data month
    /// (1: normal margins; a market already short of chips starts higher); then it moves with what
    /// buyers want against what is on offer, within `chip_markup_min` and `chip_markup_max`.
    #[serde(default = "one")]
    pub chip_markup: f64,
}

/// `[[nation]]`: a state, its people and economy, and where it leans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nation {
    /// ISO 3166 alpha-2 code.
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Millions of people.
    pub population: f64,
    /// Billions of USD.
    pub gdp: f64,
    /// Weight over blocs (bloc id → weight), summing to 1.
    pub alignment: BTreeMap<String, f64>,
    /// Share of the nation's trade with each bloc (bloc id → share in [0, 1]); the rest is with non-aligned partners.
    #[serde(default)]
    pub trade: BTreeMap<String, f64>,
    /// Power available to AI datacentres at the start, GW (facility power); none = what the chips installed
    /// at the start draw, plus `default_power_headroom`.
    #[serde(default)]
    pub power_gw: Option<f64>,
    /// Power added to AI datacentres each year on the nation's own build path, GW a year; none =
    /// `default_power_build` of its starting power. More is ordered when its datacentres run full.
    #[serde(default)]
    pub power_build_gw_yr: Option<f64>,
    /// Whether clouds' regions hosted here serve labs of other nations (false where real-name rules
    /// keep foreigners out); labs choosing a provider see only the capacity open to them.
    #[serde(default = "yes")]
    pub open_to_foreign_users: bool,
    /// What AI datacentres here pay for electricity, USD per kWh; none = `electricity_usd_kwh`.
    #[serde(default)]
    pub electricity_usd_kwh: Option<f64>,
}

/// `[[coalition]]`: a named set of nations that acts together (a ban's signatories, an export-control club).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coalition {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub members: Vec<String>,
}

/// How an input limits the fabs that need it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Equipment (lithography tools): a stock. Withholding it limits a fab's *new* capacity; the tools
    /// already installed keep producing.
    Tool,
    /// A material consumed as chips are made (gallium, rare earths): withholding it cuts the share of
    /// output the fab can make.
    #[default]
    Material,
    /// A component counted per chip (HBM stacks, `hbm_stacks` of each chip class): a flow of `supply`
    /// units a month shared among the fabs that need it.
    Memory,
}

/// `[[input]]`: something fabs need that few nations supply (EUV tools, HBM, gallium).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: InputKind,
    /// Supplier nation → share of world supply, summing to 1.
    pub suppliers: BTreeMap<String, f64>,
    /// `memory`: world supply at the start, units a month.
    #[serde(default)]
    pub supply: Option<f64>,
    /// `memory`: yearly growth of the supply (0.5 = +50 % a year).
    #[serde(default)]
    pub supply_growth: f64,
    /// `memory`: units held in a nation at the start (nation → units), which its fabs draw on when
    /// supply is withheld.
    #[serde(default)]
    pub stocks: BTreeMap<String, f64>,
    /// `material`: the share of a fab's output that needs it (gallium and germanium go into RF, power
    /// electronics and optics far more than into accelerators themselves); default all.
    #[serde(default)]
    pub exposure: Option<f64>,
    /// `memory`: nations' own supplies, nation → `{ supply = units a month, growth = a year, from =
    /// "YYYY-MM" }` (CXMT's HBM for China): they go to that nation's fabs whatever others withhold.
    #[serde(default)]
    pub domestic: BTreeMap<String, Domestic>,
    /// Share of a withheld supply that substitutes (domestic tools, materials) replace in the end;
    /// default: the `substitution_ceiling` parameter. (A `memory` input is replaced by its `domestic`
    /// supply instead.)
    #[serde(default)]
    pub substitution_ceiling: Option<f64>,
    /// Months from the start of a control to full substitution; default: `months_to_substitute`.
    #[serde(default)]
    pub months_to_substitute: Option<u32>,
}

/// `[input.domestic.NATION]`: a nation's own supply of a `memory` input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domestic {
    /// Units a month from `from`.
    pub supply: f64,
    /// Yearly growth of the supply (1.0 = doubling a year).
    #[serde(default)]
    pub growth: f64,
    /// First month of supply; default: the world's data month.
    #[serde(default)]
    pub from: Option<YearMonth>,
}

/// Who may buy a chip class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoldTo {
    #[default]
    All,
    /// Only buyers in nations on the designer nation's side.
    HomeBloc,
    /// Only buyers in the designer nation.
    HomeNation,
}

/// `[[chip]]`: an accelerator class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipClass {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Nation whose firm designs the chip (its export controls apply).
    pub designer: String,
    /// H100-equivalents per unit.
    pub h100e: f64,
    /// HBM stacks per unit (units of a `memory` input its fab needs); 0 = none.
    #[serde(default)]
    pub hbm_stacks: f64,
    /// Dies per unit: a two-die package (Ascend 910C, B200) takes two of its fab's dies.
    #[serde(default = "one")]
    pub dies: f64,
    /// First month it can be produced; default: the scenario start.
    #[serde(default)]
    pub available: Option<YearMonth>,
    /// Last month it is produced (its successor takes over); none = to the end.
    #[serde(default)]
    pub until: Option<YearMonth>,
    #[serde(default)]
    pub sold_to: SoldTo,
}

/// `[[fab]]`: a fabrication (and packaging) line making chip classes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fab {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Nation whose jurisdiction the fab is in.
    pub owner: String,
    /// Chip class → its weight in the output; the weights of the classes in production that month are
    /// its shares.
    pub chips: BTreeMap<String, f64>,
    /// Wafer starts a month on the fab's node at the world's data month (the whole node: `ai_share` of it
    /// makes AI accelerators).
    pub wafers: f64,
    /// Gross dies a wafer of the fab's accelerator die (≈ 80 for a 665 mm² die on a 300 mm wafer).
    pub dies_per_wafer: f64,
    /// Share of the node's wafers that make AI accelerators; default all.
    #[serde(default = "one")]
    pub ai_share: f64,
    /// Share of dies that work.
    #[serde(rename = "yield")]
    pub yield_rate: f64,
    /// Yearly growth of capacity the owner plans at today's margins (0.3 = +30 % a year); it scales with
    /// the margin of the chips' market and is capped by `fab_growth_max` and tool controls.
    #[serde(default)]
    pub target_growth: f64,
    /// Advanced-packaging (CoWoS-class) wafers a month available to the line at the start; none = not
    /// binding. Each packages `h100e_per_cowos_wafer` H100e.
    #[serde(default)]
    pub packaging: Option<f64>,
    /// Good dies banked before the start (dies, not packages: a two-die chip takes two), drawn on at
    /// most a `die_bank_months`-th of what is left a month.
    #[serde(default)]
    pub banked_dies: f64,
    /// Inputs the fab cannot run without.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// An indigenous programme: invests more when its nation is cut off, or under `indigenous_push`.
    #[serde(default)]
    pub indigenous: bool,
}

/// `[[provider]]`: a cloud provider and its regions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Nation of the headquarters.
    pub home: String,
    /// Bloc the provider belongs to; default: the bloc its home nation leans to most.
    #[serde(default)]
    pub bloc: Option<String>,
    /// USD per H100e-hour at the start; it then moves with requested against available capacity.
    pub price: f64,
    /// Share of KYC refusals the provider actually enforces (1 = every one).
    #[serde(default = "one")]
    pub kyc_compliance: f64,
    /// Billions of USD a year spent on accelerators at the start; later it follows revenue, expected
    /// growth and margins (ODD 7.4).
    pub capex: f64,
    pub region: Vec<Region>,
}

fn one() -> f64 {
    1.0
}

/// `[[provider.region]]`: a provider's datacentres in one host nation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    pub host: String,
    /// Installed H100e at the start.
    pub capacity: f64,
}

/// What a lab is, which decides who it is and whether it tries extraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabKind {
    Frontier,
    NationalChampion,
    Startup,
    Academic,
}

impl LabKind {
    /// Every kind, in declaration order (their `as usize` codes).
    pub const ALL: [LabKind; 4] = [
        LabKind::Frontier,
        LabKind::NationalChampion,
        LabKind::Startup,
        LabKind::Academic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabKind::Frontier => "frontier",
            LabKind::NationalChampion => "national_champion",
            LabKind::Startup => "startup",
            LabKind::Academic => "academic",
        }
    }
}

/// Whether a lab publishes its weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    Open,
    #[default]
    Closed,
}

/// `[[lab]]`: an AI developer, or with `count` a population of alike ones (`id-0001`, `id-0002`, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub nation: String,
    pub kind: LabKind,
    /// How many alike labs this entry stands for.
    #[serde(default = "one_u32")]
    pub count: u32,
    /// Billions of USD a year one lab spends on compute at the start (an annual rate): `own_share` of it
    /// on chips for its own cluster, the rest on cloud rental. Compute demanded is what it buys at the
    /// prices it faces.
    pub budget: f64,
    /// Yearly growth of the budget at the start (0.8 = +80 % a year); the excess over `gdp_growth` decays
    /// by `budget_growth_decay` a year, and growth slows as the nation's AI budgets near
    /// `budget_gdp_ceiling` of its GDP.
    #[serde(default = "default_budget_growth")]
    pub budget_growth: f64,
    /// Yearly growth of the budget at the start were no chip controls in force toward its nation: a lab
    /// whose plans are held back by controls (China's, whose 2025–26 capex was limited by what chips it
    /// could buy) plans `budget_growth` under controls of full strength, this without any, and in between
    /// in proportion to the strongest control's strength. Default: `budget_growth`.
    #[serde(default)]
    pub budget_growth_without_controls: Option<f64>,
    /// Share of its cloud compute that is training (the rest is inference).
    #[serde(default = "half")]
    pub training_share: f64,
    /// Own cluster at the start, H100e.
    #[serde(default)]
    pub owned: f64,
    /// The bloc whose chips make up that cluster (a Chinese lab's NVIDIA cluster is `west`); default: the
    /// bloc its nation leans to most.
    #[serde(default)]
    pub owned_origin: Option<String>,
    /// Share of the budget spent on chips for its own cluster.
    #[serde(default)]
    pub own_share: f64,
    #[serde(default)]
    pub weights: Weights,
    /// Providers it may use (contracts); empty = any it is allowed.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Whether it attempts extraction from rival frontier labs; default: frontier labs and national champions.
    #[serde(default)]
    pub extraction: Option<bool>,
}

impl Lab {
    /// Whether it attempts extraction: as `extraction` says, else frontier labs and national champions.
    pub fn attempts_extraction(&self) -> bool {
        self.extraction.unwrap_or(matches!(
            self.kind,
            LabKind::Frontier | LabKind::NationalChampion
        ))
    }
}

fn one_u32() -> u32 {
    1
}
fn default_budget_growth() -> f64 {
    0.5
}
fn half() -> f64 {
    0.5
}

/// `[[intermediary]]`: a trans-shipment route for chips a buyer is not allowed to buy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intermediary {
    pub id: String,
    pub nation: String,
    /// Share of blocked demand that leaks through when unenforced.
    pub leakage_rate: f64,
    /// Enforcement: the probability that each smuggled chip shipped through the route is seized.
    pub enforcement: f64,
    /// Share of blocked demand routed through here; default: an equal split over all intermediaries.
    #[serde(default)]
    pub share: Option<f64>,
}

fn yes() -> bool {
    true
}

/// Events a trigger can listen to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    TheftDetected,
}

/// `[[trigger]]`: a policy that comes into force when an event happens (an accusation → a ban).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub name: String,
    pub on: TriggerEvent,
    /// Fire only for events whose accused lab is in one of these nations (empty = any).
    #[serde(default)]
    pub nations: Vec<String>,
    /// Fire only for events whose accused lab's nation is on one of these blocs' side (empty = any).
    #[serde(default)]
    pub blocs: Vec<String>,
    /// Fire only for events whose accused lab's main provider is one of these (empty = any).
    #[serde(default)]
    pub providers: Vec<String>,
    /// Chance that a matching event sets the response in motion.
    #[serde(default = "one")]
    pub probability: f64,
    /// Months from the event to the policy coming into force (at least 1).
    #[serde(default = "one_u32")]
    pub delay_months: u32,
    /// How long the policy lasts; none = to the end.
    #[serde(default)]
    pub duration_months: Option<u32>,
    /// Most times the trigger fires; none = unlimited (an identical policy is never added twice).
    #[serde(default)]
    pub max_fires: Option<u32>,
    /// The policy to put in force; strings may use `$provider`, `$nation`, `$lab` from the event.
    pub policy: Policy,
}

impl Scenario {
    /// Months from the world's `data_month` to the run's start: where the trends stand in the first
    /// month.
    pub fn months_since_data(&self) -> u32 {
        let meta = &self.scenario;
        meta.data_month
            .map_or(0, |d| d.months_until(meta.start).max(0) as u32)
    }

    /// The start month of a policy, defaulting to the scenario's start.
    pub fn policy_start(&self, policy: &Policy) -> YearMonth {
        policy.start.unwrap_or(self.scenario.start)
    }
}

/// Focus nations a scenario or `--focus` may name: each is a line in the per-capita charts and a block
/// in the report, so more would draw nothing a reader can tell apart.
pub const MAX_FOCUS: usize = 16;

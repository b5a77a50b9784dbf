//! ECS components: the state of each agent of MODEL.md (bloc, nation, fab, chip class, cloud provider,
//! region, lab, intermediary, policy), as the systems read and write it.
//!
//! Every agent kind carries `idx`, its position in the sorted order of its kind, so that systems can keep
//! per-agent numbers in plain vectors and iterate in a fixed order whatever the query order.

use crate::measure::{Measure, Parties};
use crate::resources::WorldIndex;
use crate::scenario::{Policy, PolicyKind, SoldTo, Weights};
use bevy_ecs::prelude::*;
use smallvec::SmallVec;
use std::collections::VecDeque;

/// A pole of the contest.
#[derive(Component, Clone, Debug)]
pub struct Bloc {
    pub idx: usize,
    pub id: String,
    pub leader: usize,
}

/// A nation's fixed traits.
#[derive(Component, Clone, Debug)]
pub struct Nation {
    pub idx: usize,
    pub id: String,
    pub population: f64,
    pub gdp: f64,
    /// Trade share with each bloc, by bloc index.
    pub trade: Vec<f64>,
    /// The bloc this nation leads, if any: its alignment never moves.
    pub leads: Option<usize>,
    /// Whether clouds' regions hosted here serve labs of other nations.
    pub open_to_foreign_users: bool,
    /// What datacentres here pay for electricity, USD per kWh.
    pub electricity_usd_kwh: f64,
}

impl Nation {
    /// GDP (billions USD) in month `t`, growing at `gdp_growth` a year.
    pub fn gdp_at(&self, t: u32, gdp_growth: f64) -> f64 {
        self.gdp * gdp_factor(t, gdp_growth)
    }
}

/// GDP growth since the first month, as a factor, `(1 + gdp_growth)^(t/12)`: the same for every nation,
/// so a system that needs every nation's GDP computes it once ([`Nation::gdp_at`] is `gdp` times this).
pub fn gdp_factor(t: u32, gdp_growth: f64) -> f64 {
    (1.0 + gdp_growth).powf(t as f64 / 12.0)
}

/// A nation's alignment weights over blocs (summing to 1) and its side (weight ≥ 0.5), if any.
#[derive(Component, Clone, Debug)]
pub struct Alignment {
    pub weights: Vec<f64>,
    pub side: Option<usize>,
    /// Per bloc, the constant that makes the scenario's alignment the rest point of the first month's
    /// state (set in month 0): `tau ln a0_k − U_k(0)`.
    pub affinity: Option<Vec<f64>>,
}

/// A nation's AI datacentre power: what it has, what its chips draw, what is on order.
#[derive(Component, Clone, Debug, Default)]
pub struct Power {
    /// GW available this month.
    pub capacity_gw: f64,
    /// GW drawn by the chips installed (after this month's installs).
    pub in_use_gw: f64,
    /// GW a year the nation can build on its own build path (and was building at the start): its
    /// builders order at most this plus `power_order_max` of its power a year.
    pub build_gw_yr: f64,
    /// GW ordered, by month of arrival: the front arrives next month.
    pub on_order: VecDeque<f64>,
    /// GW this month's chip buyers wanted (at this month's watts per H100e), before power limited them,
    /// and the GW built (and paid for) this month.
    pub wanted_gw: f64,
    pub built_gw: f64,
    /// Monthly growth of `wanted_gw`, smoothed over about a year (1 = flat): builders extrapolate it
    /// over the lead time of an order.
    pub wanted_growth: f64,
}

impl Alignment {
    pub fn side_of(weights: &[f64]) -> Option<usize> {
        weights.iter().position(|&w| w >= 0.5)
    }
}

/// What a nation's labs used this month, summed by the market.
#[derive(Component, Clone, Debug, Default)]
pub struct NationCompute {
    pub compute: f64,
    pub demand: f64,
    pub unmet: f64,
    /// Compute by supplier bloc (provider's bloc; own clusters by the chips' origin).
    pub by_bloc: Vec<f64>,
    /// Compute from providers under secondary sanctions, by the sanctioned provider's bloc, times strength.
    pub sanctioned_by_bloc: Vec<f64>,
    /// Cloud compute by provider (provider index).
    pub by_provider: Vec<f64>,
    /// Compute from the labs' own clusters.
    pub own_cluster: f64,
    /// USD its labs spent on cloud compute this month (paid to providers), and what of their cloud money
    /// they left unspent.
    pub spend: f64,
    pub cloud_unspent: f64,
    pub cloud: f64,
    /// The price index of its labs' open cloud market, USD per H100e-hour: the money-weighted mean over
    /// its contract-free segments (0 without such money or an open provider); see
    /// [`crate::systems::market::equations::price_index`].
    pub price_index: f64,
    /// The nation's labs' budgets, USD a year.
    pub budget: f64,
}

/// An accelerator class.
#[derive(Component, Clone, Debug)]
pub struct ChipClass {
    pub idx: usize,
    pub id: String,
    pub designer: usize,
    /// The bloc the chip counts toward when a buyer's own cluster runs it (its designer's bloc).
    pub origin: usize,
    pub h100e: f64,
    /// HBM stacks per unit, and dies per unit (a two-die package takes two of its fab's dies).
    pub hbm_stacks: f64,
    pub dies: f64,
    /// First and last month (simulation months, may be negative) it is produced.
    pub available: i32,
    pub until: Option<i32>,
    pub sold_to: SoldTo,
    /// Nations of the fabs that make it (for foreign-direct-product reach).
    pub fab_nations: Vec<usize>,
}

impl ChipClass {
    /// Whether it is produced in month `t`.
    pub fn in_production(&self, t: i32) -> bool {
        self.available <= t && self.until.is_none_or(|u| t <= u)
    }
}

/// A fab line, from wafers to packaged accelerators.
#[derive(Component, Clone, Debug)]
pub struct Fab {
    pub idx: usize,
    pub id: String,
    pub owner: usize,
    /// The chip market (origin bloc) its output sells in: its chips' designer's bloc.
    pub market: usize,
    /// (chip class, share of output).
    pub chips: Vec<(usize, f64)>,
    /// Wafer starts a month on the fab's node, gross dies a wafer, the share of the node's wafers that
    /// goes to AI accelerators, and the share of dies that work.
    pub wafers: f64,
    pub dies_per_wafer: f64,
    pub ai_share: f64,
    pub yield_rate: f64,
    /// Planned yearly capacity growth at the start's margins.
    pub target_growth: f64,
    /// Advanced-packaging wafers a month, if packaging binds this line.
    pub packaging: Option<f64>,
    /// Good dies banked before the start, left.
    pub banked_dies: f64,
    /// Wafer capacity decided and on its way, wafers a month, by month of arrival (front: next month).
    pub capacity_pipeline: VecDeque<f64>,
    pub packaging_pipeline: VecDeque<f64>,
    pub inputs: Vec<usize>,
    pub indigenous: bool,
    /// Output this month, units and H100e; and the share of its materials it could get.
    pub produced: f64,
    pub produced_h100e: f64,
    pub input_availability: f64,
    /// What bound this month's output: logic (wafers and materials), memory or packaging.
    pub bound: Bound,
}

/// Which supply bound a fab's output this month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bound {
    #[default]
    Wafers,
    Memory,
    Packaging,
    /// It made only what sells (stock on hand).
    Sales,
}

/// A cloud provider's fixed traits.
#[derive(Component, Clone, Debug)]
pub struct Provider {
    pub idx: usize,
    pub id: String,
    pub home: usize,
    pub bloc: usize,
    /// USD per H100e-hour at the start.
    pub price0: f64,
    pub kyc_compliance: f64,
    /// USD a year on accelerators at the start.
    pub capex0: f64,
}

/// A provider's books: its price, capacity and demand this month, and the history its investment reads.
#[derive(Component, Clone, Debug, Default)]
pub struct ProviderBook {
    /// List price this month, USD per H100e-hour.
    pub price: f64,
    /// Open capacity by host nation (H100e).
    pub open_by_host: Vec<f64>,
    /// User cost of an H100e-hour this month (the price's floor), USD.
    pub cost: f64,
    pub open_capacity: f64,
    pub frozen_capacity: f64,
    pub frozen_regions: u32,
    /// Demand directed at the provider before rationing, at this month's prices.
    pub requested: f64,
    /// Expected yearly growth of the H100e its customers request: their budget growth over the fall of
    /// prices with price-performance.
    pub expected_growth: f64,
    pub served: f64,
    /// Served over open capacity, as a moving mean over about a year (what `idle_utilisation` reads).
    pub utilisation_trend: f64,
    /// Revenue this month, USD.
    pub revenue: f64,
    /// The last 12 months' revenue, USD (a ring indexed by month), and its sum.
    pub revenue_ring: Vec<f64>,
    /// Capex this month, USD a year; and its inputs at the start (first month's revenue, expected growth
    /// and return), which it is measured against.
    pub capex: f64,
    pub start: Option<CapexFactors>,
    /// Its open regions' chips: the USD paid for them, the watts they draw, and those watts times the
    /// host's electricity price (W × USD/kWh): what its cost of an H100e-hour is made of.
    pub capital: f64,
    pub watts: f64,
    pub electricity: f64,
    /// This month's books, USD: paid for chips (smuggled included) and datacentres, capex money not
    /// spent, electricity for what it served, and what its parent put in (negative: what it took out) —
    /// `revenue + parent = chips + datacentres + operating`.
    pub chip_spend: f64,
    pub datacentre_spend: f64,
    pub unspent: f64,
    pub operating: f64,
    pub parent: f64,
}

/// What a provider's capex follows ([`crate::systems::market::equations::capex`]), this month and in
/// its first month, against which it is measured: trailing revenue (a year's worth), the growth term
/// and the return on capacity `q`.
#[derive(Clone, Copy, Debug)]
pub struct CapexFactors {
    pub revenue: f64,
    pub growth: f64,
    pub q: f64,
}

/// A provider's datacentres in one host nation.
#[derive(Component, Clone, Debug)]
pub struct Region {
    pub idx: usize,
    pub id: String,
    pub provider: usize,
    pub host: usize,
    pub frozen: bool,
}

/// A block of accelerators installed in one month.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Vintage {
    pub month: i32,
    pub h100e: f64,
    /// Bloc of the chips' origin.
    pub origin: usize,
    /// Facility watts per H100e.
    pub watts: f64,
    /// USD paid per H100e (what its owner's capital in it is).
    pub price: f64,
}

/// Installed accelerators of a region or of a lab's own cluster, by vintage.
#[derive(Component, Clone, Debug, Default)]
pub struct Capacity {
    pub vintages: VecDeque<Vintage>,
    pub total: f64,
    /// Total by origin bloc (held inline for up to two blocs: no allocation per lab).
    pub by_origin: SmallVec<[f64; 2]>,
    /// Facility watts the installed chips draw, and the USD paid for them.
    pub watts: f64,
    pub capital: f64,
}

/// A buyer of chips (a region or a lab with its own cluster): what it had to spend this month, where it
/// went (`money = facility + chips + smuggling + unspent`) and what it got.
#[derive(Component, Clone, Debug, Default)]
pub struct Purchase {
    /// USD it brought this month; paid for datacentres; for chips bought legally;
    /// to smugglers; and left unspent.
    pub money: f64,
    pub facility: f64,
    pub chips: f64,
    pub smuggling: f64,
    pub unspent: f64,
    /// H100e received this month by origin bloc (legal and smuggled; inline for up to two blocs).
    pub bought: SmallVec<[f64; 2]>,
    pub smuggled: f64,
    /// USD paid for what it received: chips and smugglers.
    pub spend: f64,
}

/// A lab's identity and the fixed traits that most of the systems walking the labs read: kept small, as
/// every such walk streams it (its budget plan, which only the budgets read, is [`LabPlan`]).
#[derive(Component, Clone, Debug)]
pub struct Lab {
    pub idx: usize,
    pub nation: usize,
    /// Share of its cloud compute that is training.
    pub training_share: f64,
    /// Share of the budget spent on its own cluster's chips.
    pub own_share: f64,
    pub weights: Weights,
    pub extraction: bool,
    /// Whether it can hold chips of its own: it buys them (an own share of a budget) or had some at the
    /// start. The others' clusters and purchases stay empty, and the systems do not read them.
    pub holds_chips: bool,
}

/// A lab's budget plan: the yearly growth of its budget at the start, as planned under the chip
/// controls then in force and as it would be without any (only the budgets read it).
#[derive(Component, Clone, Debug)]
pub struct LabPlan {
    pub budget_growth: f64,
    pub budget_growth_without_controls: f64,
}

// A lab's month is held in components by use, each a column of its own in the ECS's storage, so that a
// system walking a million labs reads only what it uses: its budget (the budgets system writes it), its
// place in the compute market (the market's demand), what the market served it (the market's books),
// its research, and whether it is stranded.

/// A lab's budget: USD a year, and its yearly growth this month.
#[derive(Component, Clone, Debug, Default)]
pub struct LabBudget {
    pub budget: f64,
    pub budget_growth: f64,
}

/// Where a lab competes in the compute market, and its own-cluster money the market rents with.
#[derive(Component, Clone, Debug, Default)]
pub struct LabMarket {
    /// The market pool it competes in (its nation and, if any, its provider contracts); a lab whose every
    /// contracted provider is shut to it for `switching_months` drops its contracts and joins its
    /// nation's contract-free pool.
    pub pool: u32,
    /// Consecutive months all its contracted providers have been shut to it.
    pub stuck_months: u32,
    /// Market segment used this month and last (pool × 2 + large-training flag), and last month's pool.
    pub segment: u32,
    pub prev_segment: Option<u32>,
    pub prev_pool: u32,
    /// This month's own-cluster money left unspent (what did not go to the cloud), USD.
    pub own_unspent: f64,
}

/// What the compute market served a lab this month, in H100e and USD: what the later systems read
/// (research, stranding, the books), kept small because every one of them reads it for every lab.
#[derive(Component, Clone, Debug, Default)]
pub struct LabCompute {
    /// H100e: its own cluster and the cloud compute its budget buys at this month's prices.
    pub compute: f64,
    pub training: f64,
    pub prev_compute: f64,
    pub main_provider: Option<u32>,
    /// This month's cloud money spent and left unspent, USD.
    pub cloud_spend: f64,
    pub cloud_unspent: f64,
}

/// What the labs table reports of a lab's month in the market and no system reads: written only when
/// the run records the labs table's rows (`--detail full`), so that a summary run does not carry it.
#[derive(Component, Clone, Debug, Default)]
pub struct LabOutcome {
    /// H100e it demanded (what it got and what its unspent money would have bought) and did not get.
    pub demand: f64,
    pub unmet: f64,
    /// USD per H100e-hour paid to providers on average for cloud compute.
    pub price_paid: f64,
    pub providers_used: u32,
    pub kyc_refused: bool,
    pub uses_sanctioned_provider: bool,
}

/// A lab's research: its largest run, its capability, and whether it was accused of extraction this
/// month (its recent runs are in [`crate::resources::TrainingRuns`]).
#[derive(Component, Clone, Debug, Default)]
pub struct LabResearch {
    /// FLOP of its largest run to date: what it can do on its own.
    pub largest_run: f64,
    /// Capability as FLOP, `10^capability`: capability (orders of magnitude, the labs table's `capability`)
    /// is log10 of the largest run it has — trained, adopted as open weights or extracted. Kept as FLOP so
    /// that the monthly comparisons need no logarithm; it is taken where capability is reported.
    pub capability_flop: f64,
    pub accused: bool,
}

/// Whether a lab is stranded ([`crate::systems::stranded`]).
#[derive(Component, Clone, Debug, Default)]
pub struct LabStranding {
    pub stranded: bool,
    /// While stranded, the compute it had before the policy cut it off (0 when not stranded).
    pub stranded_from: f64,
}

/// Capability of a run of `flop` FLOP: its order of magnitude, log10. Computed as log2 × log10(2), which
/// agrees to within a few units in the last place and is several times faster than glibc's `log10` —
/// the labs table takes one for every lab every month.
pub fn orders_of_magnitude(flop: f64) -> f64 {
    flop.log2() * std::f64::consts::LOG10_2
}

/// The FLOP of a run `length` months long that ends with the month at `newest` in the ring `runs`: whole
/// months back from the newest, and a part of the oldest when the length is fractional.
pub fn run_flop(runs: &[f64], newest: usize, length: f64) -> f64 {
    let w = runs.len();
    let whole = (length.floor() as usize).min(w);
    // Walk back with a wrapping index rather than `% w`: this runs for every lab every month.
    let (mut total, mut i) = (0.0, newest);
    for _ in 0..whole {
        total += runs[i];
        i = if i == 0 { w - 1 } else { i - 1 };
    }
    let part = length - whole as f64;
    if part > 0.0 && whole < w {
        total += part * runs[i];
    }
    total
}

/// A trans-shipment route.
#[derive(Component, Clone, Debug)]
pub struct Intermediary {
    pub idx: usize,
    pub id: String,
    pub nation: usize,
    pub leakage_rate: f64,
    pub enforcement: f64,
    pub share: f64,
}

/// A policy, from the scenario or put in force by a trigger: its measure and parties resolved once
/// (`measure.rs`), and what the events say of it.
#[derive(Component, Clone, Debug)]
pub struct PolicyRule {
    pub idx: usize,
    pub name: String,
    pub kind: PolicyKind,
    pub by: Parties,
    pub targets: Parties,
    pub measure: Measure,
    /// The kind in words with the name (`cloud ban “board-ban-alibaba-cloud”`), and the `by`,
    /// `targets` and `providers` ids as written, for the events.
    pub label: String,
    pub written: WrittenParties,
    /// First and last simulation month in force.
    pub start: i32,
    pub end: Option<i32>,
    /// `scenario`, or the name of the trigger that created it.
    pub origin: String,
    pub active: bool,
}

/// A policy's parties and providers as its file names them.
#[derive(Clone, Debug, Default)]
pub struct WrittenParties {
    pub by: Vec<String>,
    pub targets: Vec<String>,
    pub providers: Vec<String>,
}

impl PolicyRule {
    /// The rule of a validated policy in force from month `start` to `end` (months since the run's
    /// first; `end` the last month in force).
    pub fn new(
        idx: usize,
        policy: &Policy,
        (start, end): (i32, Option<i32>),
        origin: String,
        index: &WorldIndex,
    ) -> PolicyRule {
        PolicyRule {
            idx,
            name: policy.name.clone(),
            kind: policy.kind,
            by: Parties::resolve(&policy.by, index),
            targets: Parties::resolve(&policy.targets, index),
            measure: Measure::of(policy, index),
            label: policy.label(),
            written: WrittenParties {
                by: policy.by.clone(),
                targets: policy.targets.clone(),
                providers: policy.providers.clone(),
            },
            start,
            end,
            origin,
            active: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{orders_of_magnitude, run_flop};

    #[test]
    fn orders_of_magnitude_is_log10() {
        for x in [1e-3, 1.0, 2.0, 7.5e9, 1e25, 3.3e27] {
            let c = orders_of_magnitude(x);
            assert!(
                (c - x.log10()).abs() <= 4.0 * f64::EPSILON * c.abs().max(1.0),
                "{x}: {c}"
            );
        }
    }

    #[test]
    fn a_run_sums_whole_months_back_from_the_newest_and_part_of_the_oldest() {
        // Ring of 4: month m sits at m % 4; the newest is month 5 (position 1).
        let runs = [40.0, 50.0, 20.0, 30.0]; // months 4, 5, 2, 3
        assert_eq!(run_flop(&runs, 1, 2.0), 50.0 + 40.0);
        assert_eq!(run_flop(&runs, 1, 2.5), 50.0 + 40.0 + 0.5 * 30.0);
        assert_eq!(run_flop(&runs, 1, 3.5), 50.0 + 40.0 + 30.0 + 0.5 * 20.0);
        assert_eq!(run_flop(&runs, 3, 2.5), 30.0 + 20.0 + 0.5 * 50.0);
        assert_eq!(run_flop(&runs, 1, 4.0), 140.0);
        assert_eq!(
            run_flop(&runs, 1, 9.0),
            140.0,
            "never more than the ring holds"
        );
    }
}

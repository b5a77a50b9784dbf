//! ECS components: the state of each agent of MODEL.md (bloc, nation, fab, chip class, cloud provider,
//! region, lab, intermediary, policy), as the systems read and write it.
//!
//! Every agent kind carries `idx`, its position in the sorted order of its kind, so that systems can keep
//! per-agent numbers in plain vectors and iterate in a fixed order whatever the query order.

use crate::scenario::{LabKind, Policy, SoldTo, Weights};
use bevy_ecs::prelude::*;
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
    pub datacentre_headroom: Option<f64>,
    /// The bloc this nation leads, if any: its alignment never moves.
    pub leads: Option<usize>,
}

/// A nation's alignment weights over blocs (summing to 1) and its side (weight ≥ 0.5), if any.
#[derive(Component, Clone, Debug)]
pub struct Alignment {
    pub weights: Vec<f64>,
    pub side: Option<usize>,
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
    /// USD spent on cloud compute this month.
    pub spend: f64,
    pub cloud: f64,
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
    pub price: f64,
    /// First month (simulation month, may be negative) it can be produced.
    pub available: i32,
    pub sold_to: SoldTo,
    /// Nations of the fabs that make it (for foreign-direct-product reach).
    pub fab_nations: Vec<usize>,
}

/// A fab line.
#[derive(Component, Clone, Debug)]
pub struct Fab {
    pub idx: usize,
    pub id: String,
    pub owner: usize,
    /// (chip class, share of output).
    pub chips: Vec<(usize, f64)>,
    /// Units per month.
    pub capacity: f64,
    pub target: f64,
    pub yield_rate: f64,
    pub ramp: f64,
    pub target_growth: f64,
    pub inputs: Vec<usize>,
    pub indigenous: bool,
    /// Per input, the month its supply was first cut (substitution runs from then).
    pub shortage_since: Vec<Option<u32>>,
    /// Output this month, units.
    pub produced: f64,
    pub input_availability: f64,
}

/// A cloud provider's fixed traits.
#[derive(Component, Clone, Debug)]
pub struct Provider {
    pub idx: usize,
    pub id: String,
    pub home: usize,
    pub bloc: usize,
    /// USD per H100e-hour.
    pub price: f64,
    pub kyc_compliance: f64,
    /// USD billions a year on accelerators, at the start.
    pub capex: f64,
    pub capex_growth: f64,
}

/// A provider's books this month.
#[derive(Component, Clone, Debug, Default)]
pub struct ProviderBook {
    pub open_capacity: f64,
    pub frozen_capacity: f64,
    pub frozen_regions: u32,
    /// Demand directed at the provider before rationing.
    pub requested: f64,
    /// The first month's requested demand, the base its capex scales from.
    pub first_requested: f64,
    /// Demand-weighted monthly growth factor of the labs that requested it.
    pub requested_growth: f64,
    pub served: f64,
    /// USD billions.
    pub revenue: f64,
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
}

/// Installed accelerators of a region or of a lab's own cluster, by vintage.
#[derive(Component, Clone, Debug, Default)]
pub struct Capacity {
    pub vintages: VecDeque<Vintage>,
    pub total: f64,
    /// Total by origin bloc.
    pub by_origin: Vec<f64>,
}

/// A buyer of chips (a region or a lab with its own cluster): what it wants this month and what it got.
#[derive(Component, Clone, Debug, Default)]
pub struct Purchase {
    pub want: f64,
    /// H100e received this month by origin bloc (legal and smuggled).
    pub bought: Vec<f64>,
    pub smuggled: f64,
}

/// A lab's fixed traits.
#[derive(Component, Clone, Debug)]
pub struct Lab {
    pub idx: usize,
    pub id: String,
    pub nation: usize,
    pub kind: LabKind,
    pub demand0: f64,
    /// Yearly growth factor of demand at the start (it decays with `demand_growth_decay`).
    pub demand_growth: f64,
    pub training_share: f64,
    /// USD a month it may spend on cloud compute per H100e of demand: its cloud budget (USD billions a
    /// year at the start) over its demand at the start, so that the budget grows with demand; none =
    /// unconstrained.
    pub budget_per_demand: Option<f64>,
    pub own_share: f64,
    /// USD billions a year for its own cluster.
    pub capex: f64,
    pub weights: Weights,
    pub extraction: bool,
}

impl Lab {
    /// Monthly growth factor of demand in month `t`.
    pub fn monthly_growth(&self, t: u32, decay: f64) -> f64 {
        let yearly = 1.0 + (self.demand_growth - 1.0) * (1.0 - decay).powf(t as f64 / 12.0);
        yearly.max(0.0).powf(1.0 / 12.0)
    }
}

/// A lab's month: demand, what it got and where from, capability.
#[derive(Component, Clone, Debug, Default)]
pub struct LabState {
    pub demand: f64,
    pub compute: f64,
    pub training: f64,
    pub unmet: f64,
    pub prev_compute: f64,
    /// The market pool it competes in (its nation and, if any, its provider contracts); a lab whose every
    /// contracted provider is shut to it for `switching_months` drops its contracts and joins its
    /// nation's contract-free pool.
    pub pool: usize,
    /// Consecutive months all its contracted providers have been shut to it.
    pub stuck_months: u32,
    /// Market segment used this month and last (pool × 2 + large-training flag).
    pub segment: usize,
    pub prev_segment: Option<usize>,
    pub main_provider: Option<usize>,
    pub providers_used: u32,
    pub kyc_refused: bool,
    pub uses_sanctioned_provider: bool,
    pub stranded: bool,
    /// While stranded, the compute it had before the policy cut it off (0 when not stranded).
    pub stranded_from: f64,
    pub accused: bool,
    /// USD per H100e-hour paid on average for cloud compute.
    pub price_paid: f64,
    /// Effective training compute (FLOP) of each of the last `max_run_months`, as a ring indexed by
    /// month modulo its length.
    pub runs: Vec<f64>,
    /// FLOP of its largest run to date: what it can do on its own.
    pub largest_run: f64,
    /// Capability as FLOP, `10^capability`: capability (orders of magnitude, the labs table's `capability`)
    /// is log10 of the largest run it has — trained, adopted as open weights or extracted. Kept as FLOP so
    /// that the monthly comparisons need no logarithm; it is taken where capability is reported.
    pub capability_flop: f64,
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

/// A policy, from the scenario or put in force by a trigger.
#[derive(Component, Clone, Debug)]
pub struct PolicyRule {
    pub idx: usize,
    pub spec: Policy,
    /// First and last simulation month in force.
    pub start: i32,
    pub end: Option<i32>,
    /// `scenario`, or the name of the trigger that created it.
    pub origin: String,
    pub active: bool,
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

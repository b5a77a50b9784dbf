//! Demand: a segment's demand for cloud compute is what its labs' money buys at the prices they face
//! (the budgets themselves grow in [`crate::systems::budgets`]).
//!
//! A lab spends `own_share` of its budget on chips for its own cluster and the datacentres that house
//! them (the chip market, step 3) and the rest on cloud compute, split into training and inference by
//! `training_share`; of what its own-cluster money could not buy this month (chips rationed or blocked by
//! controls, power short), `rent_when_short` rents cloud compute instead and the rest is unspent.

use super::{LabSplit, Labs, MarketScratch};
use crate::components::*;
use crate::resources::*;
use rand::RngExt;

/// Demand of consecutive labs with the same segments, not yet added to the segment totals.
#[derive(Default)]
struct SegmentRun {
    inference_segment: usize,
    training_segment: usize,
    inference: f64,
    training: f64,
    inference_growth: f64,
    training_growth: f64,
}

impl SegmentRun {
    /// Adds the run's sums to the segment totals and starts a new run for segments `(s0, st)`.
    fn restart(&mut self, m: &mut MarketScratch, s0: usize, st: usize) {
        m.money[self.inference_segment] += self.inference;
        m.money[self.training_segment] += self.training;
        m.money_growth[self.inference_segment] += self.inference_growth;
        m.money_growth[self.training_segment] += self.training_growth;
        *self = SegmentRun {
            inference_segment: s0,
            training_segment: st,
            ..SegmentRun::default()
        };
    }
}

/// Pass 1 over the labs: each lab's own cluster, and its cloud money into its segments.
#[inline(never)]
pub(crate) fn place_demand(
    m: &mut MarketScratch,
    month: &crate::systems::Month,
    chance: &mut crate::systems::Chance,
    labs: &mut Labs,
) {
    let (p, t, index, rules) = (month.p(), month.t(), &*month.index, &*month.rules);
    let (rngs, log) = (&mut *chance.rngs, &mut *chance.log);
    m.money.fill(0.0);
    m.money_growth.fill(0.0);
    let mut splits = std::mem::take(&mut m.splits);
    splits.clear();
    m.nation_sums.clear();
    // A pool is stuck when every provider it has contracts with is shut by policy to its nation.
    m.stuck.clear();
    m.stuck.extend((0..index.pools).map(|pool| {
        super::contracted(&m.columns, pool * 2).is_some_and(|providers| {
            providers
                .iter()
                .all(|&v| rules.is_closed(ProviderIx(v), NationIx(index.pool_nation[pool])))
        })
    }));
    let hours = p.hours_per_month;
    let term = p.contract_months.max(1) as usize;
    // Neighbouring labs mostly share their segments: their money is summed here and added to the
    // segment totals when the segments change, not lab by lab into the same slots, where each addition
    // would wait for the one before to be stored.
    let mut run = SegmentRun::default();
    for_each_in_order!(labs, &index.labs, |(
        lab,
        capacity,
        purchase,
        budget,
        state,
        _,
        _,
    )| {
        // One change mark per lab, not one per field written.
        let state = state.into_inner();
        // Contracts with providers that are all shut by policy are dropped after `switching_months`;
        // at renewal (every `contract_months`, staggered by lab) a lab whose contracted providers cost
        // more, discount included, than the open market leaves them.
        state.prev_pool = state.pool;
        if index.pool_contracts[state.pool as usize].is_some() {
            let stuck = m.stuck[state.pool as usize];
            state.stuck_months = if stuck { state.stuck_months + 1 } else { 0 };
            let renewal = t > 0 && (t as usize + lab.idx).is_multiple_of(term);
            if stuck && state.stuck_months > p.switching_months {
                state.pool = lab.nation as u32;
                state.stuck_months = 0;
                record_contracts_dropped(
                    log,
                    t,
                    lab,
                    index,
                    "every contracted provider shut by policy",
                );
            } else if renewal && cheaper_elsewhere(m, state.pool as usize, lab.nation) {
                state.pool = lab.nation as u32;
                state.stuck_months = 0;
                record_contracts_dropped(log, t, lab, index, "cheaper elsewhere at renewal");
            }
        }
        let s0 = state.pool as usize * 2;
        // Its cloud money: its cloud share of the budget, and what its own-cluster money could not buy
        // this month (chips rationed, blocked or short of power), which rents instead.
        // A lab that holds no chips has an empty cluster and no purchases: its zeros are not read.
        let (own_used, own_unspent) = if lab.holds_chips {
            (capacity.total, purchase.unspent)
        } else {
            (0.0, 0.0)
        };
        let money = (1.0 - lab.own_share) * budget.budget / 12.0 + p.rent_when_short * own_unspent;
        state.own_unspent = (1.0 - p.rent_when_short) * own_unspent;
        let training = money * lab.training_share;
        let inference = money - training;
        // KYC looks at the training compute the money buys at the prices the lab expects.
        let expected = m.expected_price[s0];
        let threshold = rules.kyc_threshold[lab.nation];
        let training_h100e = if expected > 0.0 && threshold != f64::INFINITY {
            training / (expected * hours)
        } else {
            // No H100e is above an infinite threshold (no KYC rule): the division is skipped.
            0.0
        };
        let mut large = training_h100e > threshold;
        if large && rngs.kyc.random_bool(p.kyc_evasion_rate) {
            large = false;
            // The detection draw comes first, whether or not the log keeps events.
            if rngs.kyc.random_bool(p.kyc_detection_rate) {
                record_kyc_evasion(log, t, lab, index, training_h100e);
            }
        }
        let st = s0 + usize::from(large);
        if (s0, st) != (run.inference_segment, run.training_segment) {
            run.restart(m, s0, st);
        }
        run.inference += inference;
        run.training += training;
        run.inference_growth += inference * budget.budget_growth;
        run.training_growth += training * budget.budget_growth;
        state.prev_segment = (t > 0).then_some(state.segment);
        state.segment = st as u32;
        m.nation_sums.own[lab.nation] += own_used;
        splits.push(LabSplit {
            own_used,
            training_money: training,
            inference_money: inference,
            large,
        });
    });
    run.restart(m, 0, 0);
    m.splits = splits;
}

// The lab loop's rare events, out of line so that the loop's registers are not spent on them.

#[cold]
fn record_contracts_dropped(log: &mut EventLog, t: u32, lab: &Lab, index: &WorldIndex, why: &str) {
    if let Some(event) = log.record_with(t, EventKind::ContractsDropped, || index.lab_id(lab.idx)) {
        event.nation = index.nation_ids[lab.nation].clone();
        event.detail = why.into();
    }
}

/// Whether the open market (its nation's contract-free pool) costs a lab of `pool` less than its
/// contracted providers, discount included, as its choice sees prices (bloc friction and the sanction
/// premium weigh in, so a secondary sanction on its provider can end a contract at renewal): the
/// logit-expected prices of the two pools' inference segments this month. A pool whose contracted
/// providers are all out of reach costs nothing to leave.
fn cheaper_elsewhere(m: &MarketScratch, pool: usize, nation: usize) -> bool {
    let contracted = m.choice_price[pool * 2];
    let open = m.choice_price[nation * 2];
    open > 0.0 && (contracted <= 0.0 || open < contracted)
}

#[cold]
fn record_kyc_evasion(log: &mut EventLog, t: u32, lab: &Lab, index: &WorldIndex, training: f64) {
    if let Some(event) = log.record_with(t, EventKind::KycEvasionDetected, || index.lab_id(lab.idx))
    {
        event.nation = index.nation_ids[lab.nation].clone();
        event.detail = format!("{training:.0} H100e of training through shell companies");
    }
}

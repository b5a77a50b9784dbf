//! Compute market (step 5): every lab serves its demand from its own cluster first, then splits the rest
//! over the providers it may use by logit shares on effective price
//! `price × (1 + sanction premium + bloc friction)`; oversubscribed providers ration pro rata and unmet
//! demand is re-offered to the capacity left for `reoffer_rounds` rounds.
//!
//! Labs that face the same choice — same nation, same provider contracts, same KYC standing — form a
//! *segment*; shares, rationing and re-offers are solved per segment, and each lab gets its segment's
//! fulfilled fraction. That is exactly the per-lab rule (pro-rata rationing treats alike demands alike) at
//! O(labs + segments × providers × rounds) a month, with no allocation per lab.
//!
//! Access: a provider is closed to a nation's labs when banned there or closed by reciprocity; under KYC,
//! large training demand (above the rule's threshold) is refused in proportion to the rule's strength and
//! the provider's compliance, inference passes, and a refused lab evades through shell companies with
//! `kyc_evasion_rate` (detected with `kyc_detection_rate`).

use crate::components::*;
use crate::resources::*;
use bevy_ecs::prelude::*;
use rand::RngExt;

/// Per-segment and per-provider working memory, allocated once for the run.
#[derive(Resource, Clone, Debug)]
pub struct MarketScratch {
    segments: usize,
    providers: usize,
    blocs: usize,
    demand: Vec<f64>,
    remaining_demand: Vec<f64>,
    growth: Vec<f64>,
    capacity: Vec<f64>,
    remaining_capacity: Vec<f64>,
    expected_price: Vec<f64>,
    requests: Vec<f64>,
    /// Demand directed at each provider, and the shares, in the first round (before re-offers).
    first_requests: Vec<f64>,
    first_share: Grid,
    served: Vec<f64>,
    share: Grid,
    alloc: Grid,
    eff_price: Grid,
    /// 1 where a policy (ban, closure, full KYC refusal) keeps the segment from the provider.
    policy_blocked: Grid,
    leak: Grid,
    /// This month's part of the attraction that does not change between rounds:
    /// `−beta ln(effective price) + ln(share let through)`, or −∞ where the provider is out of reach.
    static_attraction: Grid,
    log_capacity: Vec<f64>,
    prev_share: Grid,
    fraction: Vec<f64>,
    by_bloc: Grid,
    sanctioned_by_bloc: Grid,
    price: Vec<f64>,
    main: Vec<Option<usize>>,
    used: Vec<u32>,
    splits: Vec<LabSplit>,
}

impl MarketScratch {
    pub fn new(pools: usize, providers: usize, blocs: usize) -> Self {
        let s = pools * 2;
        MarketScratch {
            segments: s,
            providers,
            blocs,
            demand: vec![0.0; s],
            remaining_demand: vec![0.0; s],
            growth: vec![0.0; s],
            capacity: vec![0.0; providers],
            remaining_capacity: vec![0.0; providers],
            expected_price: vec![0.0; s],
            requests: vec![0.0; providers],
            first_requests: vec![0.0; providers],
            first_share: Grid::new(s, providers, 0.0),
            served: vec![0.0; providers],
            share: Grid::new(s, providers, 0.0),
            alloc: Grid::new(s, providers, 0.0),
            eff_price: Grid::new(s, providers, 0.0),
            policy_blocked: Grid::new(s, providers, 0.0),
            leak: Grid::new(s, providers, 0.0),
            static_attraction: Grid::new(s, providers, f64::NEG_INFINITY),
            log_capacity: vec![0.0; providers],
            prev_share: Grid::new(s, providers, 0.0),
            fraction: vec![0.0; s],
            by_bloc: Grid::new(s, blocs, 0.0),
            sanctioned_by_bloc: Grid::new(s, blocs, 0.0),
            price: vec![0.0; s],
            main: vec![None; s],
            used: vec![0; s],
            splits: Vec::new(),
        }
    }
}

/// A lab's demand this month and how it splits before the market.
#[derive(Clone, Debug)]
struct LabSplit {
    own_used: f64,
    own_scale: f64,
    training: f64,
    inference: f64,
    large: bool,
}

pub fn market(
    clock: Res<Clock>,
    params: Res<Params>,
    index: Res<WorldIndex>,
    rules: Res<Rules>,
    mut scratch: ResMut<MarketScratch>,
    mut rngs: ResMut<Rngs>,
    mut log: ResMut<EventLog>,
    mut providers: Query<(&Provider, &mut ProviderBook)>,
    mut nations: Query<(&Nation, &Alignment, &mut NationCompute)>,
    mut labs: Query<(&Lab, &Capacity, &mut LabState)>,
) {
    let p = &params.0;
    let t = clock.t;
    let m = &mut *scratch;
    let np = m.providers;
    let k = m.blocs;

    // Provider facts in index order.
    let mut price = vec![0.0; np];
    let mut compliance = vec![1.0; np];
    let mut bloc = vec![0usize; np];
    for (provider, book) in &providers {
        price[provider.idx] = provider.price;
        compliance[provider.idx] = provider.kyc_compliance;
        bloc[provider.idx] = provider.bloc;
        m.capacity[provider.idx] = book.open_capacity;
    }
    let mut weights: Vec<Vec<f64>> = vec![Vec::new(); index.nation_ids.len()];
    for (nation, alignment, _) in &nations {
        weights[nation.idx] = alignment.weights.clone();
    }

    // Effective prices and access of every pool's inference segment; a pool's large-training segment
    // is prepared below only if a lab lands in it (most nations have no KYC rule, so most never fill).
    let ln_price: Vec<f64> = price.iter().map(|x| x.ln()).collect();
    let facts = SegmentFacts {
        params: p,
        index: &index,
        rules: &rules,
        price: &price,
        ln_price: &ln_price,
        compliance: &compliance,
        bloc: &bloc,
        weights: &weights,
    };
    for pool in 0..m.segments / 2 {
        facts.prepare(m, pool * 2);
    }

    // What a segment expects to pay: first-round shares on this month's capacity and prices.
    m.remaining_capacity.copy_from_slice(&m.capacity);
    logit_shares(m, p.capacity_weight, Segments::Inference);
    for pool in 0..m.segments / 2 {
        let s = pool * 2;
        m.expected_price[s] = (0..np)
            .map(|v| m.share.get(s, v) * m.eff_price.get(s, v))
            .sum();
    }

    // Pass 1: each lab's demand, own cluster first, the rest (what its budget affords) into its segments.
    m.demand.fill(0.0);
    m.growth.fill(0.0);
    let mut splits = std::mem::take(&mut m.splits);
    splits.clear();
    // Populations share a growth rate, so remember the last one computed.
    let mut growth_memo = (f64::NAN, 1.0);
    for_each_in_order!(labs, &index.labs, |(lab, capacity, mut state)| {
        if lab.demand_growth != growth_memo.0 {
            growth_memo = (
                lab.demand_growth,
                lab.monthly_growth(t, p.demand_growth_decay),
            );
        }
        let growth = growth_memo.1;
        let demand = if t == 0 {
            lab.demand0
        } else {
            state.demand * growth
        };
        let own_used = capacity.total.min(demand);
        let mut residual = demand - own_used;
        // Contracts with providers that are all shut by policy are dropped after `switching_months`.
        if let Some(allowed) = index.pool_contracts[state.pool].as_ref() {
            let stuck = (0..np).all(|v| !allowed[v] || rules.is_closed(v, lab.nation));
            state.stuck_months = if stuck { state.stuck_months + 1 } else { 0 };
            if stuck && state.stuck_months > p.switching_months {
                state.pool = lab.nation;
                state.stuck_months = 0;
                if let Some(event) = log.record(t, "contracts_dropped", &lab.id) {
                    event.nation = index.nation_ids[lab.nation].clone();
                    event.detail = "every contracted provider shut by policy".into();
                }
            }
        }
        let s0 = state.pool * 2;
        if let Some(budget) = lab.budget {
            let price = m.expected_price[s0];
            if price > 0.0 {
                let usd_month = budget * 1e9 / 12.0 * demand / lab.demand0.max(1e-12);
                residual = residual.min(usd_month / (price * p.hours_per_month));
            }
        }
        let training = residual * lab.training_share;
        let inference = residual - training;
        let mut large = training > rules.kyc_threshold[lab.nation];
        if large && rngs.kyc.random_bool(p.kyc_evasion_rate) {
            large = false;
            // The detection draw comes first, whether or not the log keeps events.
            if rngs.kyc.random_bool(p.kyc_detection_rate)
                && let Some(event) = log.record(t, "kyc_evasion_detected", &lab.id)
            {
                event.nation = index.nation_ids[lab.nation].clone();
                event.detail = format!("{training:.0} H100e of training through shell companies");
            }
        }
        let st = s0 + usize::from(large);
        m.demand[s0] += inference;
        m.demand[st] += training;
        m.growth[s0] += inference * growth;
        m.growth[st] += training * growth;
        state.prev_segment = (t > 0).then_some(state.segment);
        state.segment = st;
        state.demand = demand;
        splits.push(LabSplit {
            own_used,
            own_scale: if capacity.total > 0.0 {
                own_used / capacity.total
            } else {
                0.0
            },
            training,
            inference,
            large,
        });
    });

    for pool in 0..m.segments / 2 {
        if m.demand[pool * 2 + 1] > 0.0 {
            facts.prepare(m, pool * 2 + 1);
        }
    }
    solve(m, p.capacity_weight, p.reoffer_rounds);

    // Segment summaries.
    for s in 0..m.segments {
        let n = index.pool_nation[s / 2];
        let got: f64 = m.alloc.row(s).iter().sum();
        m.fraction[s] = if m.demand[s] > 0.0 {
            got / m.demand[s]
        } else {
            0.0
        };
        let mut spend = 0.0;
        let mut best: Option<usize> = None;
        let mut used = 0;
        for kk in 0..k {
            m.by_bloc.set(s, kk, 0.0);
            m.sanctioned_by_bloc.set(s, kk, 0.0);
        }
        for v in 0..np {
            let a = m.alloc.get(s, v);
            if a <= 0.0 {
                continue;
            }
            used += 1;
            spend += a * m.eff_price.get(s, v);
            if best.is_none_or(|b| a > m.alloc.get(s, b)) {
                best = Some(v);
            }
            let d = m.demand[s];
            m.by_bloc.set(s, bloc[v], m.by_bloc.get(s, bloc[v]) + a / d);
            let sanc = rules.sanction.get(v, n);
            if sanc > 0.0 {
                m.sanctioned_by_bloc.set(
                    s,
                    bloc[v],
                    m.sanctioned_by_bloc.get(s, bloc[v]) + a * sanc / d,
                );
            }
        }
        m.price[s] = if got > 0.0 { spend / got } else { 0.0 };
        m.main[s] = best;
        m.used[s] = used;
    }

    // Pass 2: each lab's compute, and the nations' sums.
    let nn = index.nation_ids.len();
    let mut n_compute = vec![0.0; nn];
    let mut n_own = vec![0.0; nn];
    let mut n_demand = vec![0.0; nn];
    let mut n_cloud = vec![0.0; nn];
    let mut n_spend = vec![0.0; nn];
    let mut n_by_bloc = vec![0.0; nn * k];
    let mut n_sanctioned = vec![0.0; nn * k];
    let mut i = 0;
    for_each_in_order!(labs, &index.labs, |(lab, capacity, mut state)| {
        let split = &splits[i];
        i += 1;
        let s0 = state.pool * 2;
        let st = state.segment;
        let cloud_inf = split.inference * m.fraction[s0];
        let cloud_train = split.training * m.fraction[st];
        let compute = split.own_used + cloud_inf + cloud_train;
        state.prev_compute = state.compute;
        state.compute = compute;
        state.training = split.own_used * lab.training_share + cloud_train;
        state.unmet = (state.demand - compute).max(0.0);
        state.kyc_refused = split.large;
        let n = lab.nation;
        let mut sanctioned = 0.0;
        for kk in 0..k {
            let own = if split.own_scale > 0.0 {
                capacity.by_origin[kk] * split.own_scale
            } else {
                0.0
            };
            let b = own
                + split.inference * m.by_bloc.get(s0, kk)
                + split.training * m.by_bloc.get(st, kk);
            n_by_bloc[n * k + kk] += b;
            let sb = split.inference * m.sanctioned_by_bloc.get(s0, kk)
                + split.training * m.sanctioned_by_bloc.get(st, kk);
            n_sanctioned[n * k + kk] += sb;
            sanctioned += sb;
        }
        state.uses_sanctioned_provider = sanctioned > 0.0;
        let cloud = cloud_inf + cloud_train;
        let spend = cloud_inf * m.price[s0] + cloud_train * m.price[st];
        state.price_paid = if cloud > 0.0 { spend / cloud } else { 0.0 };
        state.main_provider = if split.inference >= split.training {
            m.main[s0]
        } else {
            m.main[st]
        };
        state.providers_used = if st == s0 {
            m.used[s0]
        } else {
            (0..np)
                .filter(|&v| m.alloc.get(s0, v) > 0.0 || m.alloc.get(st, v) > 0.0)
                .count() as u32
        };
        // Stranded: lost most of last month's compute while a provider it used is now shut by policy;
        // it stays stranded until it gets back above that share of what it had.
        if state.stranded_from > 0.0 {
            if compute >= (1.0 - p.stranded_loss) * state.stranded_from {
                state.stranded_from = 0.0;
            }
        } else if let Some(prev) = state.prev_segment
            && compute < (1.0 - p.stranded_loss) * state.prev_compute
        {
            let shut = (0..np).any(|v| {
                let used_before = m.prev_share.get(prev, v) > 0.0 || m.prev_share.get(s0, v) > 0.0;
                used_before
                    && (m.policy_blocked.get(st, v) > 0.0 || m.policy_blocked.get(s0, v) > 0.0)
            });
            if shut {
                state.stranded_from = state.prev_compute;
            }
        }
        state.stranded = state.stranded_from > 0.0;
        n_compute[n] += compute;
        n_own[n] += split.own_used;
        n_demand[n] += state.demand;
        n_cloud[n] += cloud;
        n_spend[n] += spend * p.hours_per_month;
    });
    m.splits = splits;
    for (nation, _, mut nc) in nations.iter_mut() {
        let n = nation.idx;
        nc.own_cluster = n_own[n];
        // Segments belong to one nation each, so their allocations add up to the nation's use.
        nc.by_provider.fill(0.0);
        for pool in (0..index.pools).filter(|&pool| index.pool_nation[pool] == n) {
            for s in [pool * 2, pool * 2 + 1] {
                for v in 0..np {
                    nc.by_provider[v] += m.alloc.get(s, v);
                }
            }
        }
        nc.compute = n_compute[n];
        nc.demand = n_demand[n];
        nc.unmet = (n_demand[n] - n_compute[n]).max(0.0);
        nc.cloud = n_cloud[n];
        nc.spend = n_spend[n];
        nc.by_bloc.copy_from_slice(&n_by_bloc[n * k..(n + 1) * k]);
        nc.sanctioned_by_bloc
            .copy_from_slice(&n_sanctioned[n * k..(n + 1) * k]);
    }

    for (provider, mut book) in providers.iter_mut() {
        let v = provider.idx;
        let served: f64 = (0..m.segments).map(|s| m.alloc.get(s, v)).sum();
        book.served = served;
        book.revenue = served * provider.price * p.hours_per_month / 1e9;
        book.requested = m.first_requests[v];
        if book.first_requested <= 0.0 {
            book.first_requested = book.requested;
        }
        book.requested_growth = if m.first_requests[v] > 0.0 {
            let num: f64 = (0..m.segments)
                .map(|s| m.first_share.get(s, v) * m.growth[s])
                .sum();
            (num / m.first_requests[v]).max(1.0)
        } else {
            1.0
        };
    }

    // Remember who served each segment, for next month's stranded test.
    for s in 0..m.segments {
        let got: f64 = m.alloc.row(s).iter().sum();
        for v in 0..np {
            let share = if got > 0.0 {
                m.alloc.get(s, v) / got
            } else {
                0.0
            };
            m.prev_share.set(s, v, share);
        }
    }
}

/// What preparing a segment reads: the month's prices, access rules and alignments.
struct SegmentFacts<'a> {
    params: &'a crate::parameters::Parameters,
    index: &'a WorldIndex,
    rules: &'a Rules,
    price: &'a [f64],
    ln_price: &'a [f64],
    compliance: &'a [f64],
    bloc: &'a [usize],
    weights: &'a [Vec<f64>],
}

impl SegmentFacts<'_> {
    /// Segment `s`'s effective prices, the share of its demand each provider may take (`leak`), whether a
    /// policy blocks it, and the month's fixed part of its attraction.
    fn prepare(&self, m: &mut MarketScratch, s: usize) {
        let p = self.params;
        let pool = s / 2;
        let large = s % 2 == 1;
        let n = self.index.pool_nation[pool];
        let contracts = self.index.pool_contracts[pool].as_ref();
        // `ln(1 + friction)` per bloc: without a sanction premium the markup depends on the supplier's
        // bloc only, so one logarithm a bloc serves every provider.
        let ln_friction: Vec<f64> = self.weights[n]
            .iter()
            .map(|w| (1.0 + p.bloc_friction * (1.0 - w)).ln())
            .collect();
        for v in 0..m.providers {
            let mut leak = 1.0;
            let mut blocked = false;
            if contracts.is_some_and(|c| !c[v]) {
                leak = 0.0;
            } else if self.rules.is_closed(v, n) {
                leak = 0.0;
                blocked = true;
            } else if large && self.rules.kyc.get(v, n) > 0.0 {
                leak = 1.0 - self.rules.kyc.get(v, n) * self.compliance[v];
                blocked = leak <= 0.0;
            }
            let leak = leak.max(0.0);
            m.leak.set(s, v, leak);
            m.policy_blocked.set(s, v, if blocked { 1.0 } else { 0.0 });
            let friction = p.bloc_friction * (1.0 - self.weights[n][self.bloc[v]]);
            let premium = p.sanction_premium * self.rules.sanction.get(v, n);
            let markup = 1.0 + premium + friction;
            m.eff_price.set(s, v, self.price[v] * markup);
            let u = if leak <= 0.0 {
                f64::NEG_INFINITY
            } else {
                let ln_markup = if premium == 0.0 {
                    ln_friction[self.bloc[v]]
                } else {
                    markup.ln()
                };
                let ln_leak = if leak == 1.0 { 0.0 } else { leak.ln() };
                -p.beta * (self.ln_price[v] + ln_markup) + ln_leak
            };
            m.static_attraction.set(s, v, u);
        }
    }
}

/// Logit shares, pro-rata rationing and re-offer rounds over segments. Fills `alloc` and, from the first
/// round, `first_requests` (demand directed at each provider before rationing) and `first_share`.
fn solve(m: &mut MarketScratch, capacity_weight: f64, reoffer_rounds: u32) {
    let np = m.providers;
    m.alloc.fill(0.0);
    m.remaining_demand.copy_from_slice(&m.demand);
    m.remaining_capacity.copy_from_slice(&m.capacity);
    for round in 0..=reoffer_rounds {
        // Segments without demand (left) keep stale shares; nothing reads them.
        logit_shares(m, capacity_weight, Segments::WithDemandLeft);
        m.requests.fill(0.0);
        for s in 0..m.segments {
            let d = m.remaining_demand[s];
            if d > 0.0 {
                for v in 0..np {
                    m.requests[v] += d * m.share.get(s, v);
                }
            }
        }
        if round == 0 {
            m.first_requests.copy_from_slice(&m.requests);
            m.first_share.data.copy_from_slice(&m.share.data);
        }
        m.served.fill(0.0);
        for s in 0..m.segments {
            let d = m.remaining_demand[s];
            if d <= 0.0 {
                continue;
            }
            let mut got = 0.0;
            for v in 0..np {
                let r = m.requests[v];
                if r <= 0.0 {
                    continue;
                }
                let fill = (m.remaining_capacity[v] / r).min(1.0);
                let a = d * m.share.get(s, v) * fill;
                if a > 0.0 {
                    m.alloc.set(s, v, m.alloc.get(s, v) + a);
                    m.served[v] += a;
                    got += a;
                }
            }
            m.remaining_demand[s] = (d - got).max(0.0);
        }
        for v in 0..np {
            m.remaining_capacity[v] = (m.remaining_capacity[v] - m.served[v]).max(0.0);
        }
        let left: f64 = m.remaining_demand.iter().sum();
        if left <= 1e-9 || m.remaining_capacity.iter().all(|&c| c <= 1e-9) {
            break;
        }
    }
}

/// Which segments [`logit_shares`] updates; the others keep stale shares that nothing reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Segments {
    /// Every pool's inference segment: what labs expect to pay, before they place their demand.
    Inference,
    /// The segments with demand left in the current round.
    WithDemandLeft,
}

/// Logit shares of the chosen segments over the providers with capacity left: attraction `−beta ln(effective price) + ln(share KYC lets through) + capacity_weight ln(capacity
/// left)`.
fn logit_shares(m: &mut MarketScratch, capacity_weight: f64, which: Segments) {
    let np = m.providers;
    for v in 0..np {
        let cap = m.remaining_capacity[v];
        m.log_capacity[v] = if cap > 1e-9 {
            capacity_weight * cap.ln()
        } else {
            f64::NEG_INFINITY
        };
    }
    for s in 0..m.segments {
        let chosen = match which {
            Segments::Inference => s % 2 == 0,
            Segments::WithDemandLeft => m.remaining_demand[s] > 0.0,
        };
        if !chosen {
            continue;
        }
        let base = s * np;
        let mut max_u = f64::NEG_INFINITY;
        for v in 0..np {
            let u = m.static_attraction.data[base + v] + m.log_capacity[v];
            m.share.data[base + v] = u;
            max_u = max_u.max(u);
        }
        let mut sum = 0.0;
        for v in 0..np {
            let e = if max_u.is_finite() {
                (m.share.data[base + v] - max_u).exp()
            } else {
                0.0
            };
            m.share.data[base + v] = e;
            sum += e;
        }
        let scale = if sum > 0.0 { 1.0 / sum } else { 0.0 };
        for v in 0..np {
            m.share.data[base + v] *= scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pool (two segments) and two providers at the given prices and capacities.
    fn market(prices: [f64; 2], capacity: [f64; 2], demand: [f64; 2]) -> MarketScratch {
        let mut m = MarketScratch::new(1, 2, 1);
        for s in 0..2 {
            for v in 0..2 {
                m.eff_price.set(s, v, prices[v]);
                m.leak.set(s, v, 1.0);
            }
        }
        m.capacity.copy_from_slice(&capacity);
        m.demand.copy_from_slice(&demand);
        m
    }

    /// The month's fixed attraction, as the market system computes it from prices and access.
    fn prepare(m: &mut MarketScratch, beta: f64) {
        for s in 0..2 {
            for v in 0..2 {
                let leak = m.leak.get(s, v);
                let u = if leak > 0.0 {
                    -beta * m.eff_price.get(s, v).ln() + leak.ln()
                } else {
                    f64::NEG_INFINITY
                };
                m.static_attraction.set(s, v, u);
            }
        }
    }

    fn total(m: &MarketScratch, s: usize) -> f64 {
        m.alloc.row(s).iter().sum()
    }

    #[test]
    fn ample_capacity_serves_all_demand_by_logit_shares() {
        let mut m = market([1.0, 2.0], [1e6, 1e6], [100.0, 0.0]);
        prepare(&mut m, 2.0);
        solve(&mut m, 1.0, 3);
        assert!((total(&m, 0) - 100.0).abs() < 1e-9);
        // Equal capacity: shares ∝ price^-beta = 1 : 1/4.
        assert!((m.alloc.get(0, 0) / m.alloc.get(0, 1) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn scarce_capacity_is_rationed_pro_rata() {
        let mut m = market([1.0, 1.0], [40.0, 0.0], [300.0, 100.0]);
        prepare(&mut m, 2.0);
        solve(&mut m, 1.0, 3);
        assert!(
            (total(&m, 0) + total(&m, 1) - 40.0).abs() < 1e-9,
            "all capacity is used"
        );
        assert!(
            (total(&m, 0) / total(&m, 1) - 3.0).abs() < 1e-9,
            "alike demands alike"
        );
    }

    #[test]
    fn unmet_demand_is_re_offered_to_capacity_left() {
        let once = {
            let mut m = market([1.0, 3.0], [50.0, 1000.0], [200.0, 0.0]);
            prepare(&mut m, 4.0);
            solve(&mut m, 0.0, 0);
            total(&m, 0)
        };
        let mut m = market([1.0, 3.0], [50.0, 1000.0], [200.0, 0.0]);
        prepare(&mut m, 4.0);
        solve(&mut m, 0.0, 3);
        assert!(
            total(&m, 0) > once,
            "re-offers serve more: {} vs {once}",
            total(&m, 0)
        );
        assert!(
            (m.alloc.get(0, 0) - 50.0).abs() < 1e-9,
            "the cheap provider is full"
        );
        assert!((total(&m, 0) - 200.0).abs() < 1e-6);
    }

    #[test]
    fn a_closed_provider_gets_nothing() {
        let mut m = market([1.0, 1.0], [1e6, 1e6], [100.0, 0.0]);
        m.leak.set(0, 0, 0.0);
        prepare(&mut m, 2.0);
        solve(&mut m, 1.0, 3);
        assert_eq!(m.alloc.get(0, 0), 0.0);
        assert!((m.alloc.get(0, 1) - 100.0).abs() < 1e-9);
    }
}

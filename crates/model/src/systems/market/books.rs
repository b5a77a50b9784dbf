//! Books: what each lab, nation and provider got, paid and earned this month, and what providers will
//! invest next month.
//!
//! A lab gets, per USD of its money in each of its segments, what the segment got and spent; what it
//! did not spend is unspent, and its H100e at the prices the lab expected are its unmet demand (demand
//! is what was got plus what the unspent money would have bought). A nation's compute by supplier bloc
//! counts the provider's bloc for cloud compute and the chips' origin for own clusters. A provider earns
//! what the lab pays: the list price times what the lab pays per USD of it (contract discounts), per
//! H100e-hour served. (Bloc friction and the sanction risk premium weigh in a lab's choice of provider,
//! not in what it pays.)
//!
//! Providers invest from revenue ([`equations::capex`]): capex follows trailing revenue, the growth term
//! of the H100e its customers will request (their budget growth over the fall of prices with
//! price-performance) and its return on capacity, each against its first month.

use super::{Labs, MarketScratch, SegmentOutcome, contracted, equations, providers_of};
use crate::components::*;
use crate::parameters::Parameters;
use crate::resources::*;
use bevy_ecs::prelude::*;

/// Each segment's served fraction, spend, average list price paid, main provider, providers used, and
/// what it got by supplier bloc (and from sanctioned providers, times the sanction's strength).
#[inline(never)]
pub(crate) fn summarize_segments(
    m: &mut MarketScratch,
    index: &WorldIndex,
    rules: &Rules,
    bloc: &[usize],
) {
    for s in 0..m.segments {
        let n = index.pool_nation[s / 2];
        let providers = providers_of(&m.columns, &m.every_provider, s);
        let alloc = m.alloc.row(SegmentIx(s));
        let got: f64 = providers.iter().map(|&v| alloc[v]).sum();
        let per_usd = |x: f64| {
            if m.money[s] > 0.0 {
                x / m.money[s]
            } else {
                0.0
            }
        };
        let mut paid = 0.0;
        let mut best: Option<usize> = None;
        let mut used = 0;
        let by_bloc = m.by_bloc.row_mut(SegmentIx(s));
        let sanctioned = m.sanctioned_by_bloc.row_mut(SegmentIx(s));
        by_bloc.fill(0.0);
        sanctioned.fill(0.0);
        for &v in providers {
            let a = alloc[v];
            if a <= 0.0 {
                continue;
            }
            used += 1;
            paid += a * m.pay_factor[s] * m.price[v];
            if best.is_none_or(|b| a > alloc[b]) {
                best = Some(v);
            }
            by_bloc[bloc[v]] += a;
            sanctioned[bloc[v]] += a * rules.sanction.get(ProviderIx(v), NationIx(n));
        }
        m.outcome[s] = SegmentOutcome {
            demand_per_usd: m.outcome[s].demand_per_usd,
            got_per_usd: per_usd(got),
            spent_share: per_usd(m.spent[s]),
            got,
            spend: m.spent[s],
            price: if got > 0.0 { paid / got } else { 0.0 },
            sanctioned: sanctioned.iter().any(|&x| x > 0.0),
            main: best,
            used,
        };
    }
}

/// Pass 2 over the labs: each lab's demand and compute from its segments, and what its own cluster
/// adds to its nation's compute by the chips' origin.
#[inline(never)]
pub(crate) fn serve_labs(m: &mut MarketScratch, index: &WorldIndex, labs: &mut Labs) {
    let np = m.providers;
    let sums = &mut m.nation_sums;
    let splits = &m.splits;
    let mut i = 0;
    for_each_in_order!(labs, &index.labs, |(
        lab,
        capacity,
        _,
        _,
        market,
        state,
        outcome,
    )| {
        // One change mark per lab, not one per field written.
        let state = state.into_inner();
        let split = &splits[i];
        i += 1;
        let s0 = market.pool as usize * 2;
        let st = market.segment as usize;
        let (inf, train) = (&m.outcome[s0], &m.outcome[st]);
        let (money_inf, money_train) = (split.inference_money, split.training_money);
        let want_inf = money_inf * inf.demand_per_usd;
        let want_train = money_train * train.demand_per_usd;
        let cloud_inf = money_inf * inf.got_per_usd;
        let cloud_train = money_train * train.got_per_usd;
        let spent = money_inf * inf.spent_share + money_train * train.spent_share;
        let unspent = (money_inf + money_train - spent).max(0.0);
        // Unmet: what the unspent money — cloud money, and own-cluster money that could neither buy
        // chips nor rent — would have bought at the prices the lab expected.
        let unmet = (money_inf * (1.0 - inf.spent_share) * inf.demand_per_usd
            + money_train * (1.0 - train.spent_share) * train.demand_per_usd
            + market.own_unspent * inf.demand_per_usd)
            .max(0.0);
        let compute = split.own_used + cloud_inf + cloud_train;
        let demand = compute + unmet;
        state.prev_compute = state.compute;
        state.compute = compute;
        state.training = split.own_used * lab.training_share + cloud_train;
        state.cloud_spend = spent;
        state.cloud_unspent = unspent;
        sums.demand[lab.nation] += demand;
        sums.unmet[lab.nation] += unmet;
        sums.unspent[lab.nation] += unspent;
        if split.own_used > 0.0 {
            sums.by_bloc
                .add_row(NationIx(lab.nation), &capacity.by_origin);
        }
        state.main_provider = if want_inf >= want_train {
            inf.main
        } else {
            train.main
        }
        .map(|v| v as u32);
        if m.lab_outcomes {
            let outcome = outcome.into_inner();
            outcome.demand = demand;
            outcome.unmet = unmet;
            outcome.kyc_refused = split.large;
            outcome.uses_sanctioned_provider =
                (cloud_inf > 0.0 && inf.sanctioned) || (cloud_train > 0.0 && train.sanctioned);
            let cloud = cloud_inf + cloud_train;
            let paid = cloud_inf * inf.price + cloud_train * train.price;
            outcome.price_paid = if cloud > 0.0 { paid / cloud } else { 0.0 };
            outcome.providers_used = if st == s0 {
                inf.used
            } else {
                // Both segments belong to the lab's pool, and so have the same providers.
                let (inf, train) = (m.alloc.row(SegmentIx(s0)), m.alloc.row(SegmentIx(st)));
                let used = |v: &&usize| inf[**v] > 0.0 || train[**v] > 0.0;
                match contracted(&m.columns, s0) {
                    Some(providers) => providers.iter().filter(used).count() as u32,
                    None => (0..np).filter(|v| used(&v)).count() as u32,
                }
            };
        }
    });
}

/// Each nation's compute, demand, spend and suppliers: its labs' own clusters (summed lab by lab) and its
/// segments' allocations (segments belong to one nation each).
#[inline(never)]
pub(crate) fn book_nations(
    m: &mut MarketScratch,
    index: &WorldIndex,
    p: &Parameters,
    nations: &mut Query<(&Nation, &Alignment, &mut NationCompute)>,
) {
    let norm = price_index_norm(&m.capacity, p.capacity_weight);
    for s in 0..m.segments {
        let n = index.pool_nation[s / 2];
        let contract = contracted(&m.columns, s);
        // The open market's index: a contract narrows a pool's choice to the providers it signed with,
        // which no logit chose.
        let price_index = (m.money[s] > 0.0 && contract.is_none())
            .then(|| segment_price_index(m, s, norm, p.beta))
            .flatten();
        let sums = &mut m.nation_sums;
        if let Some(x) = price_index {
            sums.indexed_money[n] += m.money[s];
            sums.price_index[n] += m.money[s] * x;
        }
        sums.cloud[n] += m.outcome[s].got;
        sums.spend[n] += m.outcome[s].spend;
        let (segment, nation) = (SegmentIx(s), NationIx(n));
        sums.by_bloc.add_row(nation, m.by_bloc.row(segment));
        sums.sanctioned
            .add_row(nation, m.sanctioned_by_bloc.row(segment));
        match contract {
            Some(providers) => {
                for &v in providers {
                    let cloud = ProviderIx(v);
                    sums.by_provider
                        .add(nation, cloud, m.alloc.get(segment, cloud));
                }
            }
            None => sums.by_provider.add_row(nation, m.alloc.row(segment)),
        }
    }
    let sums = &m.nation_sums;
    for (nation, _, mut nc) in nations.iter_mut() {
        let n = nation.idx;
        let compute = sums.own[n] + sums.cloud[n];
        nc.own_cluster = sums.own[n];
        nc.by_provider
            .copy_from_slice(sums.by_provider.row(NationIx(n)));
        nc.compute = compute;
        nc.demand = sums.demand[n];
        nc.unmet = sums.unmet[n];
        nc.cloud = sums.cloud[n];
        nc.spend = sums.spend[n];
        nc.cloud_unspent = sums.unspent[n];
        let money = sums.indexed_money[n];
        nc.price_index = if money > 0.0 {
            sums.price_index[n] / money
        } else {
            0.0
        };
        nc.by_bloc.copy_from_slice(sums.by_bloc.row(NationIx(n)));
        nc.sanctioned_by_bloc
            .copy_from_slice(sums.sanctioned.row(NationIx(n)));
    }
}

/// The factor that turns a month's logit sums, whose capacities are over the largest, into the price
/// index's, whose capacities are over the total: `(largest / total)^capacity_weight`.
pub(crate) fn price_index_norm(capacity: &[f64], capacity_weight: f64) -> f64 {
    let largest = capacity.iter().copied().fold(0.0, f64::max);
    let total: f64 = capacity.iter().sum();
    if total > 0.0 {
        super::clearing::pow_weight(largest / total, capacity_weight)
    } else {
        0.0
    }
}

/// Segment `s`'s price index ([`equations::price_index`]) from the logit sum of its choice at the
/// final prices; `None` when no provider is open to it.
pub(crate) fn segment_price_index(
    m: &MarketScratch,
    s: usize,
    norm: f64,
    beta: f64,
) -> Option<f64> {
    equations::index_of_sum(m.logit_sum[s] * norm, beta)
}

/// Each provider's price, requests, service and revenue; the growth its customers' requests are
/// expected to have; and its capex for next month.
#[inline(never)]
pub(crate) fn book_providers(
    m: &MarketScratch,
    p: &Parameters,
    t: u32,
    providers: &mut Query<(&Provider, &mut ProviderBook)>,
) {
    // Each segment's expected yearly growth of the H100e it requests: its money's growth over the fall
    // of prices with price-performance.
    let segment_growth: Vec<f64> = (0..m.segments)
        .map(|s| {
            if m.money[s] > 0.0 {
                (1.0 + m.money_growth[s] / m.money[s]) / (1.0 - p.price_performance) - 1.0
            } else {
                0.0
            }
        })
        .collect();
    // Each provider's sums over the segments, in segment order (as a loop over one provider's column
    // would add them, bit for bit), read row by row: a column of a segment × provider grid is strided,
    // and a world of a thousand providers spent half its time here reading columns.
    let np = m.providers;
    let (mut served_by, mut revenue_by, mut growth_by) =
        (vec![0.0; np], vec![0.0; np], vec![0.0; np]);
    for (s, (&demand, &segment_growth)) in m.demand.iter().zip(&segment_growth).enumerate() {
        let segment = SegmentIx(s);
        let (alloc, pay) = (m.alloc.row(segment), m.pay_factor[s]);
        let first = m.first_share.row(segment);
        let mut add = |v: usize| {
            let a = alloc[v];
            served_by[v] += a;
            revenue_by[v] += a * pay;
            growth_by[v] += first[v] * demand * segment_growth;
        };
        match contracted(&m.columns, s) {
            Some(providers) => providers.iter().for_each(|&v| add(v)),
            None => (0..np).for_each(add),
        }
    }
    for (provider, book) in providers.iter_mut() {
        let book = book.into_inner();
        let v = provider.idx;
        let (served, revenue, growth) = (served_by[v], revenue_by[v], growth_by[v]);
        book.price = m.price[v];
        book.cost = m.cost[v];
        book.served = served;
        book.revenue = revenue * m.price[v] * p.hours_per_month;
        // Electricity for what it served (its regions' draw at their hosts' prices, per H100e open),
        // and what its parent put in to pay for the month's chips, datacentres and power.
        book.operating = if book.open_capacity > 0.0 {
            served * book.electricity / book.open_capacity / 1000.0 * p.hours_per_month
        } else {
            0.0
        };
        book.parent = book.chip_spend + book.datacentre_spend + book.operating - book.revenue;
        book.requested = m.first_requests[v];
        if book.requested > 0.0 {
            book.expected_growth = growth / book.requested;
        }
        let ring = book.revenue_ring.len();
        book.revenue_ring[t as usize % ring] = book.revenue;
        let months = (t as usize + 1).min(ring) as f64;
        let trailing = book.revenue_ring.iter().sum::<f64>() * 12.0 / months;
        let utilisation = if book.open_capacity > 0.0 {
            served / book.open_capacity
        } else {
            0.0
        };
        book.utilisation_trend = if book.start.is_some() {
            book.utilisation_trend + (utilisation - book.utilisation_trend) / 12.0
        } else {
            utilisation
        };
        let now = CapexFactors {
            revenue: trailing,
            growth: equations::growth_term(book.expected_growth, p),
            q: equations::return_on_capacity(book.price, utilisation, book.cost, p),
        };
        match book.start {
            None if trailing > 0.0 => book.start = Some(now),
            None => {}
            Some(start) => {
                let used = book.utilisation_trend;
                book.capex = equations::capex(provider.capex0, book.capex, (now, start), used, p);
            }
        }
    }
}

/// Who served each segment this month (shares of its cloud compute) and where policy blocked it, for
/// next month's triggers and this month's stranded-lab measure.
#[inline(never)]
pub(crate) fn remember_use(m: &MarketScratch, usage: &mut SegmentUse) {
    let np = m.providers;
    if usage.share.cells() != m.alloc.cells() {
        usage.share = TypedGrid::new(m.segments, np, 0.0);
        usage.previous = TypedGrid::new(m.segments, np, 0.0);
        usage.policy_blocked = TypedGrid::new(m.segments, np, 0.0);
    }
    std::mem::swap(&mut usage.share, &mut usage.previous);
    for s in 0..m.segments {
        let providers = providers_of(&m.columns, &m.every_provider, s);
        let segment = SegmentIx(s);
        let alloc = m.alloc.row(segment);
        let got: f64 = providers.iter().map(|&v| alloc[v]).sum();
        for &v in providers {
            let share = if got > 0.0 { alloc[v] / got } else { 0.0 };
            let provider = ProviderIx(v);
            usage.share.set(segment, provider, share);
            usage
                .policy_blocked
                .set(segment, provider, m.policy_blocked.get(segment, provider));
        }
    }
}

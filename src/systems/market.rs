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
use crate::parameters::Parameters;
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
    /// H100e-months one USD buys at the expected price.
    affordable_per_usd: Vec<f64>,
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
    /// This month's part of the logit weight that does not change between rounds, `exp(−beta ln(effective
    /// price) + ln(share let through))` = `effective price^−beta × share let through` (0 out of reach).
    static_weight: Grid,
    /// `(capacity left / largest capacity left)^capacity_weight`, or 0 where none is left.
    capacity_factor: Vec<f64>,
    prev_share: Grid,
    outcome: Vec<SegmentOutcome>,
    /// What each segment got by supplier bloc, and from sanctioned providers times the sanction's strength.
    by_bloc: Grid,
    sanctioned_by_bloc: Grid,
    splits: Vec<LabSplit>,
    /// By pool: every contracted provider is shut by policy this month.
    stuck: Vec<bool>,
    nation_sums: NationSums,
}

/// A segment's month in the market, as its labs read it: kept together so that a lab finds its
/// segments' facts in one place.
#[derive(Clone, Copy, Debug, Default)]
struct SegmentOutcome {
    /// Share of the demand served.
    fraction: f64,
    /// What it got, and paid (USD an hour), and the average effective price.
    got: f64,
    spend: f64,
    price: f64,
    /// Whether any of it came from a sanctioned provider.
    sanctioned: bool,
    /// The provider that served most, and how many served it.
    main: Option<usize>,
    used: u32,
}

/// What each nation used this month: its labs' demand and own clusters, summed lab by lab, and its
/// segments' allocations.
#[derive(Clone, Debug)]
struct NationSums {
    /// Compute from the labs' own clusters.
    own: Vec<f64>,
    demand: Vec<f64>,
    cloud: Vec<f64>,
    spend: Vec<f64>,
    /// [nation × bloc]
    by_bloc: Vec<f64>,
    sanctioned: Vec<f64>,
    /// [nation × provider]
    by_provider: Vec<f64>,
}

impl NationSums {
    fn new(nations: usize, blocs: usize, providers: usize) -> Self {
        NationSums {
            own: vec![0.0; nations],
            demand: vec![0.0; nations],
            cloud: vec![0.0; nations],
            spend: vec![0.0; nations],
            by_bloc: vec![0.0; nations * blocs],
            sanctioned: vec![0.0; nations * blocs],
            by_provider: vec![0.0; nations * providers],
        }
    }

    fn clear(&mut self) {
        for v in [
            &mut self.own,
            &mut self.demand,
            &mut self.cloud,
            &mut self.spend,
            &mut self.by_bloc,
            &mut self.sanctioned,
            &mut self.by_provider,
        ] {
            v.fill(0.0);
        }
    }
}

impl MarketScratch {
    pub fn new(pools: usize, providers: usize, blocs: usize, nations: usize) -> Self {
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
            affordable_per_usd: vec![0.0; s],
            requests: vec![0.0; providers],
            first_requests: vec![0.0; providers],
            first_share: Grid::new(s, providers, 0.0),
            served: vec![0.0; providers],
            share: Grid::new(s, providers, 0.0),
            alloc: Grid::new(s, providers, 0.0),
            eff_price: Grid::new(s, providers, 0.0),
            policy_blocked: Grid::new(s, providers, 0.0),
            static_weight: Grid::new(s, providers, 0.0),
            capacity_factor: vec![0.0; providers],
            prev_share: Grid::new(s, providers, 0.0),
            outcome: vec![SegmentOutcome::default(); s],
            by_bloc: Grid::new(s, blocs, 0.0),
            sanctioned_by_bloc: Grid::new(s, blocs, 0.0),
            splits: Vec::new(),
            stuck: Vec::with_capacity(pools),
            nation_sums: NationSums::new(nations, blocs, providers),
        }
    }
}

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
        m.demand[self.inference_segment] += self.inference;
        m.demand[self.training_segment] += self.training;
        m.growth[self.inference_segment] += self.inference_growth;
        m.growth[self.training_segment] += self.training_growth;
        *self = SegmentRun {
            inference_segment: s0,
            training_segment: st,
            ..SegmentRun::default()
        };
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

// The phases below are kept out of line (`#[inline(never)]`) so that profiles show which of them a month
// spends its time in; each runs once a month, so the calls cost nothing.

/// The labs' query: fixed traits, own cluster, and the month's state the market writes.
type Labs<'w, 's> = Query<'w, 's, (&'static Lab, &'static Capacity, &'static mut LabState)>;

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
    mut labs: Labs,
) {
    let p = &params.0;
    let m = &mut *scratch;
    let np = m.providers;

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
    // Alignment weights, [nation × bloc].
    let k = m.blocs;
    let mut weights = vec![0.0; index.nation_ids.len() * k];
    for (nation, alignment, _) in &nations {
        weights[nation.idx * k..(nation.idx + 1) * k].copy_from_slice(&alignment.weights);
    }

    // Effective prices and access of every pool's inference segment; a pool's large-training segment
    // is prepared below only if a lab lands in it (most nations have no KYC rule, so most never fill).
    let price_weight: Vec<f64> = price.iter().map(|x| x.powf(-p.beta)).collect();
    let friction_weight: Vec<f64> = weights
        .iter()
        .map(|w| (1.0 + p.bloc_friction * (1.0 - w)).powf(-p.beta))
        .collect();
    let facts = SegmentFacts {
        params: p,
        index: &index,
        rules: &rules,
        price: &price,
        price_weight: &price_weight,
        compliance: &compliance,
        bloc: &bloc,
        weights: &weights,
        friction_weight: &friction_weight,
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
        // Divided once here rather than for every lab of the pool.
        m.affordable_per_usd[s] = 1.0 / (m.expected_price[s] * p.hours_per_month);
    }

    place_demand(
        m, p, clock.t, &index, &rules, &mut rngs, &mut log, &mut labs,
    );
    for pool in 0..m.segments / 2 {
        if m.demand[pool * 2 + 1] > 0.0 {
            facts.prepare(m, pool * 2 + 1);
        }
    }
    solve(m, p.capacity_weight, p.reoffer_rounds);
    summarize_segments(m, &index, &rules, &bloc);
    serve_labs(m, p, &index, &mut labs);
    book_nations(m, p, &index, &mut nations);
    book_providers(m, p, &mut providers);
    remember_shares(m);
}

/// Pass 1: each lab's demand, own cluster first, the rest (what its budget affords) into its segments.
#[inline(never)]
fn place_demand(
    m: &mut MarketScratch,
    p: &Parameters,
    t: u32,
    index: &WorldIndex,
    rules: &Rules,
    rngs: &mut Rngs,
    log: &mut EventLog,
    labs: &mut Labs,
) {
    m.demand.fill(0.0);
    m.growth.fill(0.0);
    let mut splits = std::mem::take(&mut m.splits);
    splits.clear();
    m.nation_sums.clear();
    // A pool is stuck when every provider it has contracts with is shut by policy to its nation.
    let np = m.providers;
    m.stuck.clear();
    m.stuck.extend((0..index.pools).map(|pool| {
        index.pool_contracts[pool].as_ref().is_some_and(|allowed| {
            (0..np).all(|v| !allowed[v] || rules.is_closed(v, index.pool_nation[pool]))
        })
    }));
    // Populations share a growth rate, so remember the last one computed.
    let mut growth_memo = (f64::NAN, 1.0);
    // Neighbouring labs mostly share their segments: their demand is summed here and added to the
    // segment totals when the segments change, not lab by lab into the same slots, where each addition
    // would wait for the one before to be stored.
    let mut run = SegmentRun::default();
    for_each_in_order!(labs, &index.labs, |(lab, capacity, state)| {
        // One change mark per lab, not one per field written.
        let state = state.into_inner();
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
        if index.pool_contracts[state.pool].is_some() {
            let stuck = m.stuck[state.pool];
            state.stuck_months = if stuck { state.stuck_months + 1 } else { 0 };
            if stuck && state.stuck_months > p.switching_months {
                state.pool = lab.nation;
                state.stuck_months = 0;
                record_contracts_dropped(log, t, lab, index);
            }
        }
        let s0 = state.pool * 2;
        if let Some(per_demand) = lab.budget_per_demand
            && m.expected_price[s0] > 0.0
        {
            residual = residual.min(demand * per_demand * m.affordable_per_usd[s0]);
        }
        let training = residual * lab.training_share;
        let inference = residual - training;
        let mut large = training > rules.kyc_threshold[lab.nation];
        if large && rngs.kyc.random_bool(p.kyc_evasion_rate) {
            large = false;
            // The detection draw comes first, whether or not the log keeps events.
            if rngs.kyc.random_bool(p.kyc_detection_rate) {
                record_kyc_evasion(log, t, lab, index, training);
            }
        }
        let st = s0 + usize::from(large);
        if (s0, st) != (run.inference_segment, run.training_segment) {
            run.restart(m, s0, st);
        }
        run.inference += inference;
        run.training += training;
        run.inference_growth += inference * growth;
        run.training_growth += training * growth;
        state.prev_segment = (t > 0).then_some(state.segment);
        state.segment = st;
        state.demand = demand;
        m.nation_sums.demand[lab.nation] += demand;
        m.nation_sums.own[lab.nation] += own_used;
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
    run.restart(m, 0, 0);
    m.splits = splits;
}

// The lab loop's rare events, out of line so that the loop's registers are not spent on them.

#[cold]
fn record_contracts_dropped(log: &mut EventLog, t: u32, lab: &Lab, index: &WorldIndex) {
    if let Some(event) = log.record(t, "contracts_dropped", &lab.id) {
        event.nation = index.nation_ids[lab.nation].clone();
        event.detail = "every contracted provider shut by policy".into();
    }
}

#[cold]
fn record_kyc_evasion(log: &mut EventLog, t: u32, lab: &Lab, index: &WorldIndex, training: f64) {
    if let Some(event) = log.record(t, "kyc_evasion_detected", &lab.id) {
        event.nation = index.nation_ids[lab.nation].clone();
        event.detail = format!("{training:.0} H100e of training through shell companies");
    }
}

/// Each segment's fulfilled fraction, average price, main provider, providers used, and what it got by
/// supplier bloc (and from sanctioned providers, times the sanction's strength).
#[inline(never)]
fn summarize_segments(m: &mut MarketScratch, index: &WorldIndex, rules: &Rules, bloc: &[usize]) {
    let np = m.providers;
    let k = m.blocs;
    for s in 0..m.segments {
        let n = index.pool_nation[s / 2];
        let got: f64 = m.alloc.row(s).iter().sum();
        let fraction = if m.demand[s] > 0.0 {
            got / m.demand[s]
        } else {
            0.0
        };
        let mut spend = 0.0;
        let mut best: Option<usize> = None;
        let mut used = 0;
        let by_bloc = &mut m.by_bloc.data[s * k..(s + 1) * k];
        let sanctioned = &mut m.sanctioned_by_bloc.data[s * k..(s + 1) * k];
        by_bloc.fill(0.0);
        sanctioned.fill(0.0);
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
            by_bloc[bloc[v]] += a;
            sanctioned[bloc[v]] += a * rules.sanction.get(v, n);
        }
        m.outcome[s] = SegmentOutcome {
            fraction,
            got,
            spend,
            price: if got > 0.0 { spend / got } else { 0.0 },
            sanctioned: sanctioned.iter().any(|&x| x > 0.0),
            main: best,
            used,
        };
    }
}

/// Pass 2: each lab's compute from its segments' fractions, and what its own cluster adds to its
/// nation's compute by the chips' origin.
#[inline(never)]
fn serve_labs(m: &mut MarketScratch, p: &Parameters, index: &WorldIndex, labs: &mut Labs) {
    let np = m.providers;
    let k = m.blocs;
    let sums = &mut m.nation_sums;
    let splits = &m.splits;
    let mut i = 0;
    for_each_in_order!(labs, &index.labs, |(lab, capacity, state)| {
        // One change mark per lab, not one per field written.
        let state = state.into_inner();
        let split = &splits[i];
        i += 1;
        let s0 = state.pool * 2;
        let st = state.segment;
        let (inf, train) = (&m.outcome[s0], &m.outcome[st]);
        let cloud_inf = split.inference * inf.fraction;
        let cloud_train = split.training * train.fraction;
        let compute = split.own_used + cloud_inf + cloud_train;
        state.prev_compute = state.compute;
        state.compute = compute;
        state.training = split.own_used * lab.training_share + cloud_train;
        state.unmet = (state.demand - compute).max(0.0);
        state.kyc_refused = split.large;
        if split.own_scale > 0.0 {
            let n = lab.nation;
            for (sum, origin) in sums.by_bloc[n * k..(n + 1) * k]
                .iter_mut()
                .zip(&capacity.by_origin)
            {
                *sum += origin * split.own_scale;
            }
        }
        state.uses_sanctioned_provider =
            (split.inference > 0.0 && inf.sanctioned) || (split.training > 0.0 && train.sanctioned);
        let cloud = cloud_inf + cloud_train;
        let spend = cloud_inf * inf.price + cloud_train * train.price;
        state.price_paid = if cloud > 0.0 { spend / cloud } else { 0.0 };
        state.main_provider = if split.inference >= split.training {
            inf.main
        } else {
            train.main
        };
        state.providers_used = if st == s0 {
            inf.used
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
    });
}

/// Each nation's compute, demand, spend and suppliers: its labs' own clusters (summed lab by lab) and its
/// segments' allocations (segments belong to one nation each).
#[inline(never)]
fn book_nations(
    m: &mut MarketScratch,
    p: &Parameters,
    index: &WorldIndex,
    nations: &mut Query<(&Nation, &Alignment, &mut NationCompute)>,
) {
    let np = m.providers;
    let k = m.blocs;
    let sums = &mut m.nation_sums;
    for s in 0..m.segments {
        let n = index.pool_nation[s / 2];
        sums.cloud[n] += m.outcome[s].got;
        sums.spend[n] += m.outcome[s].spend * p.hours_per_month;
        for kk in 0..k {
            sums.by_bloc[n * k + kk] += m.by_bloc.get(s, kk);
            sums.sanctioned[n * k + kk] += m.sanctioned_by_bloc.get(s, kk);
        }
        for (sum, a) in sums.by_provider[n * np..(n + 1) * np]
            .iter_mut()
            .zip(m.alloc.row(s))
        {
            *sum += a;
        }
    }
    for (nation, _, mut nc) in nations.iter_mut() {
        let n = nation.idx;
        let compute = sums.own[n] + sums.cloud[n];
        nc.own_cluster = sums.own[n];
        nc.by_provider
            .copy_from_slice(&sums.by_provider[n * np..(n + 1) * np]);
        nc.compute = compute;
        nc.demand = sums.demand[n];
        nc.unmet = (sums.demand[n] - compute).max(0.0);
        nc.cloud = sums.cloud[n];
        nc.spend = sums.spend[n];
        nc.by_bloc
            .copy_from_slice(&sums.by_bloc[n * k..(n + 1) * k]);
        nc.sanctioned_by_bloc
            .copy_from_slice(&sums.sanctioned[n * k..(n + 1) * k]);
    }
}

/// Each provider's served and requested demand, revenue, and the growth of the demand it saw.
#[inline(never)]
fn book_providers(
    m: &MarketScratch,
    p: &Parameters,
    providers: &mut Query<(&Provider, &mut ProviderBook)>,
) {
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
}

/// Remembers who served each segment, for next month's stranded test.
#[inline(never)]
fn remember_shares(m: &mut MarketScratch) {
    let np = m.providers;
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
    params: &'a Parameters,
    index: &'a WorldIndex,
    rules: &'a Rules,
    price: &'a [f64],
    /// `price^−beta` per provider.
    price_weight: &'a [f64],
    compliance: &'a [f64],
    bloc: &'a [usize],
    /// Alignment weights, [nation × bloc].
    weights: &'a [f64],
    /// `(1 + bloc friction)^−beta`, [nation × supplier bloc]: without a sanction premium the markup
    /// depends on the supplier's bloc only, so one power per nation and bloc serves every provider.
    friction_weight: &'a [f64],
}

impl SegmentFacts<'_> {
    /// Segment `s`'s effective prices, whether a policy blocks each provider, and the month's fixed part of
    /// its logit weights (which carries the share of its demand each provider may take).
    fn prepare(&self, m: &mut MarketScratch, s: usize) {
        let p = self.params;
        let pool = s / 2;
        let large = s % 2 == 1;
        let n = self.index.pool_nation[pool];
        let contracts = self.index.pool_contracts[pool].as_ref();
        let k = m.blocs;
        let weights = &self.weights[n * k..(n + 1) * k];
        let friction_weight = &self.friction_weight[n * k..(n + 1) * k];
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
            m.policy_blocked.set(s, v, if blocked { 1.0 } else { 0.0 });
            let friction = p.bloc_friction * (1.0 - weights[self.bloc[v]]);
            let premium = p.sanction_premium * self.rules.sanction.get(v, n);
            let markup = 1.0 + premium + friction;
            m.eff_price.set(s, v, self.price[v] * markup);
            let weight = if leak <= 0.0 {
                0.0
            } else {
                let markup_weight = if premium == 0.0 {
                    friction_weight[self.bloc[v]]
                } else {
                    markup.powf(-p.beta)
                };
                self.price_weight[v] * markup_weight * leak
            };
            m.static_weight.set(s, v, weight);
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

/// Logit shares of the chosen segments over the providers with capacity left: attraction `−beta
/// ln(effective price) + ln(share KYC lets through) + capacity_weight ln(capacity left)`, evaluated as the
/// segment's static weight times the provider's capacity factor.
fn logit_shares(m: &mut MarketScratch, capacity_weight: f64, which: Segments) {
    let np = m.providers;
    let largest = m.remaining_capacity.iter().copied().fold(0.0, f64::max);
    for v in 0..np {
        let cap = m.remaining_capacity[v];
        m.capacity_factor[v] = if cap > 1e-9 {
            (cap / largest).powf(capacity_weight)
        } else {
            0.0
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
        let weights = &m.static_weight.data[base..base + np];
        let shares = &mut m.share.data[base..base + np];
        let mut sum = 0.0;
        for v in 0..np {
            let w = weights[v] * m.capacity_factor[v];
            shares[v] = w;
            sum += w;
        }
        let scale = if sum > 0.0 { 1.0 / sum } else { 0.0 };
        for share in shares.iter_mut() {
            *share *= scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pool (two segments) and two providers at the given prices and capacities.
    fn market(prices: [f64; 2], capacity: [f64; 2], demand: [f64; 2]) -> MarketScratch {
        let mut m = MarketScratch::new(1, 2, 1, 1);
        for s in 0..2 {
            for v in 0..2 {
                m.eff_price.set(s, v, prices[v]);
            }
        }
        m.capacity.copy_from_slice(&capacity);
        m.demand.copy_from_slice(&demand);
        m
    }

    /// The month's fixed logit weights, as the market system computes them from prices (all access open).
    fn prepare(m: &mut MarketScratch, beta: f64) {
        for s in 0..2 {
            for v in 0..2 {
                let weight = m.eff_price.get(s, v).powf(-beta);
                m.static_weight.set(s, v, weight);
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
        prepare(&mut m, 2.0);
        // Nothing of the segment's demand may go to provider 0, as under a ban.
        m.static_weight.set(0, 0, 0.0);
        solve(&mut m, 1.0, 3);
        assert_eq!(m.alloc.get(0, 0), 0.0);
        assert!((m.alloc.get(0, 1) - 100.0).abs() < 1e-9);
    }
}

//! Compute market (step 5): labs' budgets buy compute at the prices they face.
//!
//! Every lab runs its own cluster first. Its cloud budget for the month is split over the providers it
//! may use by logit shares on effective price `price × (1 + sanction premium + bloc friction)`, and buys
//! `money ÷ (expected effective price × hours)` H100e. Each provider's price moves with requested over
//! available capacity — a bounded step, taken a fixed number of times on the month's demand — between
//! the user cost of compute and a cap; what is still oversubscribed at the final prices is rationed pro
//! rata and the unmet part re-offered for `reoffer_rounds` rounds. Rationing is then what a policy (or
//! a capacity shock beyond what a month's price move absorbs) causes, not the market's normal state.
//!
//! The submodels, one file each: [`demand`] (the money and demand of each segment; the budgets grow in
//! [`crate::systems::budgets`]),
//! [`access`] (who may use which provider, at what effective price), [`clearing`] (price steps, logit
//! shares, rationing) and [`books`] (what labs, nations and providers got, paid and earned, and the
//! providers' investment). [`equations`] holds each equation as a plain function that the fast path is
//! tested against.
//!
//! Labs that face the same choice — same nation, same provider contracts, same KYC standing — form a
//! *segment*; prices, shares, rationing and re-offers are solved per segment, and each lab gets its
//! segment's fulfilled fraction. That is the per-lab rule exactly (demand is linear in money, pro-rata
//! rationing treats alike demands alike) at O(labs + (open segments × providers + contracted segments ×
//! their providers) × rounds) a month.

pub mod access;
pub mod books;
pub mod clearing;
pub mod demand;
pub mod equations;

use crate::components::*;
use crate::parameters::Parameters;
use crate::resources::*;
use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;

/// Installs the compute market: its working space (kept from month to month), what each segment used
/// last month (which the triggers read), and its system.
pub fn install(world: &mut World, setup: &super::Setup) {
    let index = world.resource::<WorldIndex>();
    let mut scratch = MarketScratch::new(
        &index.pool_contracts,
        index.provider_ids.len(),
        index.blocs(),
        index.nation_ids.len(),
    );
    scratch.lab_outcomes = setup.recording.detail.labs();
    world.insert_resource(scratch);
    world.insert_resource(SegmentUse::default());
    super::add_systems(world, super::Submodel::Market, market);
}

/// Per-segment and per-provider working memory, allocated once for the run.
#[derive(Resource, Clone, Debug)]
pub struct MarketScratch {
    /// Whether the labs' [`LabOutcome`]s are written: only when the labs table records them.
    pub(crate) lab_outcomes: bool,
    pub(crate) segments: usize,
    pub(crate) providers: usize,
    pub(crate) blocs: usize,
    /// USD a month each segment brings, and the money-weighted yearly budget growth of its labs.
    pub(crate) money: Vec<f64>,
    pub(crate) money_growth: Vec<f64>,
    /// H100e each segment demands at this month's prices, and what its money left demands in the
    /// current rationing round.
    pub(crate) demand: Vec<f64>,
    pub(crate) remaining_demand: Vec<f64>,
    /// USD each segment still has while rationing, and what it spent.
    pub(crate) remaining_money: Vec<f64>,
    pub(crate) spent: Vec<f64>,
    /// Open capacity of each provider, and what is left while rationing.
    pub(crate) capacity: Vec<f64>,
    pub(crate) remaining_capacity: Vec<f64>,
    /// Each provider's list price (the current iterate while prices step), the month's starting price,
    /// its floor (user cost), its cap and `price^−beta`.
    pub(crate) price: Vec<f64>,
    pub(crate) start_price: Vec<f64>,
    pub(crate) cost: Vec<f64>,
    pub(crate) cap: Vec<f64>,
    pub(crate) price_weight: Vec<f64>,
    /// The price and `beta` (as bits) each `price_weight` was computed for.
    pub(crate) price_weight_of: Vec<Option<(u64, u64)>>,
    /// Logit-expected effective price of each segment, USD per H100e-hour; and the same with the bloc
    /// friction and sanction premium its choice weighs (what a lab compares at a contract's renewal).
    pub(crate) expected_price: Vec<f64>,
    pub(crate) choice_price: Vec<f64>,
    /// Each segment's sum of logit weights at the prices [`clearing::expected_prices`] last saw, with
    /// capacities over the largest: its price index's ([`equations::price_index`]) sum, up to a factor
    /// common to the month.
    pub(crate) logit_sum: Vec<f64>,
    pub(crate) requests: Vec<f64>,
    /// Demand directed at each provider, and the shares, in the first round (before re-offers).
    pub(crate) first_requests: Vec<f64>,
    pub(crate) first_share: TypedGrid<SegmentIx, ProviderIx>,
    pub(crate) served: Vec<f64>,
    pub(crate) share: TypedGrid<SegmentIx, ProviderIx>,
    pub(crate) alloc: TypedGrid<SegmentIx, ProviderIx>,
    /// [segment]: what the segment pays per USD of list price, at every provider it may use (1, or
    /// less under a contract: a contracted pool uses only its contracted providers).
    pub(crate) pay_factor: Vec<f64>,
    /// Each segment's effective price per USD of list price at each provider, as its choice sees it
    /// (what it pays, times the friction and sanction mark-ups, which weigh in the choice but are not
    /// paid).
    pub(crate) eff_factor: TypedGrid<SegmentIx, ProviderIx>,
    /// 1 where a policy (ban, closure, full KYC refusal) keeps the segment from the provider.
    pub(crate) policy_blocked: TypedGrid<SegmentIx, ProviderIx>,
    /// The month's price-independent part of the logit weight, `eff_factor^−beta × share let through`
    /// (0 out of reach); times `price^−beta` it is the static weight.
    pub(crate) base_weight: TypedGrid<SegmentIx, ProviderIx>,
    pub(crate) static_weight: TypedGrid<SegmentIx, ProviderIx>,
    /// While preparing a segment: its effective-price factor and weight for each supplier bloc.
    pub(crate) bloc_factor: Vec<f64>,
    pub(crate) bloc_weight: Vec<f64>,
    /// `(capacity left / largest capacity left)^capacity_weight`, or 0 where none is left.
    pub(crate) capacity_factor: Vec<f64>,
    /// A few segments' logit weights while a price step works on them (`LANES` rows).
    pub(crate) lane_rows: Vec<f64>,
    /// By pool: the providers a pool with contracts may use, in provider order (`None`: every
    /// provider). Its segments' cells for other providers hold nothing — no weight, share or
    /// allocation — in every month, so the market's passes over a contracted segment read only its
    /// contracted providers' cells: in a world of a thousand providers and two thousand contracted
    /// labs, most rows of the segment × provider grids are all but empty.
    pub(crate) columns: Vec<Option<Vec<usize>>>,
    /// Every provider, in order: the providers of a segment without contracts ([`providers_of`]).
    pub(crate) every_provider: Vec<usize>,
    /// The share of each provider's open capacity in regions each nation's labs may use, this month.
    pub(crate) reach: TypedGrid<NationIx, ProviderIx>,
    /// The segments a clearing phase works on ([`clearing::Segments`]), in order.
    pub(crate) chosen: Vec<usize>,
    pub(crate) outcome: Vec<SegmentOutcome>,
    /// What each segment got by supplier bloc, and from sanctioned providers times the sanction's strength.
    pub(crate) by_bloc: TypedGrid<SegmentIx, BlocIx>,
    pub(crate) sanctioned_by_bloc: TypedGrid<SegmentIx, BlocIx>,
    pub(crate) splits: Vec<LabSplit>,
    /// By pool: every contracted provider is shut by policy this month.
    pub(crate) stuck: Vec<bool>,
    pub(crate) nation_sums: NationSums,
}

/// A segment's month in the market, as its labs read it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SegmentOutcome {
    /// H100e demanded per USD of the month's money, at the prices the segment expected.
    pub(crate) demand_per_usd: f64,
    /// H100e got, and the share of its money spent, per USD of the month's money.
    pub(crate) got_per_usd: f64,
    pub(crate) spent_share: f64,
    /// What it got (H100e), spent (USD this month, paid to providers), and the average price it paid per
    /// H100e-hour.
    pub(crate) got: f64,
    pub(crate) spend: f64,
    pub(crate) price: f64,
    /// Whether any of it came from a sanctioned provider.
    pub(crate) sanctioned: bool,
    /// The provider that served most, and how many served it.
    pub(crate) main: Option<usize>,
    pub(crate) used: u32,
}

/// What each nation used this month: its labs' own clusters, summed lab by lab, and its segments'
/// allocations.
#[derive(Clone, Debug)]
pub(crate) struct NationSums {
    pub(crate) own: Vec<f64>,
    pub(crate) demand: Vec<f64>,
    pub(crate) unmet: Vec<f64>,
    pub(crate) cloud: Vec<f64>,
    /// USD its labs spent on cloud compute, and left unspent.
    pub(crate) spend: Vec<f64>,
    pub(crate) unspent: Vec<f64>,
    pub(crate) by_bloc: TypedGrid<NationIx, BlocIx>,
    pub(crate) sanctioned: TypedGrid<NationIx, BlocIx>,
    pub(crate) by_provider: TypedGrid<NationIx, ProviderIx>,
    /// Cloud money of its segments whose choice had a provider open, and that money times their price
    /// index.
    pub(crate) indexed_money: Vec<f64>,
    pub(crate) price_index: Vec<f64>,
}

impl NationSums {
    fn new(nations: usize, blocs: usize, providers: usize) -> Self {
        NationSums {
            own: vec![0.0; nations],
            demand: vec![0.0; nations],
            unmet: vec![0.0; nations],
            cloud: vec![0.0; nations],
            spend: vec![0.0; nations],
            unspent: vec![0.0; nations],
            by_bloc: TypedGrid::new(nations, blocs, 0.0),
            sanctioned: TypedGrid::new(nations, blocs, 0.0),
            by_provider: TypedGrid::new(nations, providers, 0.0),
            indexed_money: vec![0.0; nations],
            price_index: vec![0.0; nations],
        }
    }

    pub(crate) fn clear(&mut self) {
        for v in [
            &mut self.own,
            &mut self.demand,
            &mut self.unmet,
            &mut self.cloud,
            &mut self.spend,
            &mut self.unspent,
            &mut self.indexed_money,
            &mut self.price_index,
        ] {
            v.fill(0.0);
        }
        self.by_bloc.fill(0.0);
        self.sanctioned.fill(0.0);
        self.by_provider.fill(0.0);
    }
}

/// A lab's month before the market solves: its own cluster, and its cloud money by segment.
#[derive(Clone, Debug)]
pub(crate) struct LabSplit {
    pub(crate) own_used: f64,
    /// USD a month for training and for inference (and small training).
    pub(crate) training_money: f64,
    pub(crate) inference_money: f64,
    /// Whether its training is large enough for KYC (and it did not evade).
    pub(crate) large: bool,
}

impl MarketScratch {
    /// The market of a world's pools (by pool, the providers a pool with contracts may use, a flag per
    /// provider; `None` for every provider), providers, blocs and nations.
    pub fn new(
        pool_contracts: &[Option<Vec<bool>>],
        providers: usize,
        blocs: usize,
        nations: usize,
    ) -> Self {
        let pools = pool_contracts.len();
        let s = pools * 2;
        let columns = pool_contracts
            .iter()
            .map(|allowed| {
                allowed.as_ref().map(|a| {
                    a.iter()
                        .enumerate()
                        .filter_map(|(v, &yes)| yes.then_some(v))
                        .collect()
                })
            })
            .collect();
        MarketScratch {
            lab_outcomes: true,
            segments: s,
            providers,
            blocs,
            money: vec![0.0; s],
            money_growth: vec![0.0; s],
            demand: vec![0.0; s],
            remaining_demand: vec![0.0; s],
            remaining_money: vec![0.0; s],
            spent: vec![0.0; s],
            capacity: vec![0.0; providers],
            remaining_capacity: vec![0.0; providers],
            price: vec![0.0; providers],
            start_price: vec![0.0; providers],
            cost: vec![0.0; providers],
            cap: vec![0.0; providers],
            price_weight: vec![0.0; providers],
            price_weight_of: vec![None; providers],
            expected_price: vec![0.0; s],
            choice_price: vec![0.0; s],
            logit_sum: vec![0.0; s],
            requests: vec![0.0; providers],
            first_requests: vec![0.0; providers],
            first_share: TypedGrid::new(s, providers, 0.0),
            served: vec![0.0; providers],
            share: TypedGrid::new(s, providers, 0.0),
            alloc: TypedGrid::new(s, providers, 0.0),
            pay_factor: vec![1.0; s],
            eff_factor: TypedGrid::new(s, providers, 1.0),
            policy_blocked: TypedGrid::new(s, providers, 0.0),
            base_weight: TypedGrid::new(s, providers, 0.0),
            static_weight: TypedGrid::new(s, providers, 0.0),
            bloc_factor: Vec::with_capacity(blocs),
            bloc_weight: Vec::with_capacity(blocs),
            capacity_factor: vec![0.0; providers],
            lane_rows: vec![0.0; clearing::LANES * providers],
            columns,
            every_provider: (0..providers).collect(),
            reach: TypedGrid::default(),
            chosen: Vec::with_capacity(s),
            outcome: vec![SegmentOutcome::default(); s],
            by_bloc: TypedGrid::new(s, blocs, 0.0),
            sanctioned_by_bloc: TypedGrid::new(s, blocs, 0.0),
            splits: Vec::new(),
            stuck: Vec::with_capacity(pools),
            nation_sums: NationSums::new(nations, blocs, providers),
        }
    }
}

impl MarketScratch {
    /// The providers segment `s` may use, in provider order, when its pool has contracts; `None` when
    /// it may use every provider.
    #[inline]
    pub(crate) fn contracted(&self, s: usize) -> Option<&[usize]> {
        contracted(&self.columns, s)
    }
}

/// The providers segment `s` may use, in provider order: its pool's contracted ones, else `every` (a
/// scratch's `every_provider`). Its cells for other providers hold nothing.
#[inline]
pub(crate) fn providers_of<'a>(
    columns: &'a [Option<Vec<usize>>],
    every: &'a [usize],
    s: usize,
) -> &'a [usize] {
    contracted(columns, s).unwrap_or(every)
}

/// [`MarketScratch::contracted`] from its `columns` alone, for loops that write its other fields.
#[inline]
pub(crate) fn contracted(columns: &[Option<Vec<usize>>], s: usize) -> Option<&[usize]> {
    columns.get(s / 2).and_then(|c| c.as_deref())
}

/// A provider's cost of an H100e-hour, the floor of its price: what it paid for the chips it runs, by
/// vintage, and the buildings that house them, as capital ([`Parameters::capital_cost`] per H100e of
/// its open capacity), and the electricity its regions draw at their hosts' prices. A provider with
/// nothing open yet is costed at new chips from its bloc's market (`chip_price`, `watts`). With
/// `idle_utilisation` above 0, a provider used less than that (a year's moving mean) keeps only that
/// share of the capital charge: sunk capital earns what it can.
pub fn provider_cost(book: &ProviderBook, chip_price: f64, watts: f64, p: &Parameters) -> f64 {
    let k = book.open_capacity;
    if k > 0.0 && book.watts > 0.0 {
        // Before its first month's books it has no utilisation to read.
        let idle = if book.start.is_some() {
            equations::idle_share(book.utilisation_trend, p)
        } else {
            1.0
        };
        idle * p.capital_cost(book.capital / k, book.watts / k) + book.electricity / k / 1000.0
    } else {
        p.user_cost(chip_price, watts)
    }
}

/// The labs' query: fixed traits, own cluster, budget, and the month's state the market writes: where
/// each lab competes (the demand phase) and what it was served (the books).
pub(crate) type Labs<'w, 's> = Query<
    'w,
    's,
    (
        &'static Lab,
        &'static Capacity,
        &'static Purchase,
        &'static LabBudget,
        &'static mut LabMarket,
        &'static mut LabCompute,
        &'static mut LabOutcome,
    ),
>;

// The phases are kept out of line (`#[inline(never)]`) so that profiles show which of them a month spends
// its time in; each runs once a month, so the calls cost nothing.

/// The market's working arrays, and its memory of which segments used which providers.
#[derive(SystemParam)]
pub struct MarketState<'w> {
    scratch: ResMut<'w, MarketScratch>,
    usage: ResMut<'w, SegmentUse>,
}

pub fn market(
    month: crate::systems::Month,
    mut chance: crate::systems::Chance,
    chips: Res<ChipMarket>,
    state: MarketState,
    mut providers: Query<(&Provider, &mut ProviderBook)>,
    mut nations: Query<(&Nation, &Alignment, &mut NationCompute)>,
    mut labs: Labs,
) {
    let MarketState {
        mut scratch,
        mut usage,
    } = state;
    let (p, t) = (month.p(), month.t());
    let (index, rules) = (&*month.index, &*month.rules);
    let m = &mut *scratch;
    let np = m.providers;

    // Provider facts in index order; prices start from last month's, between this month's user cost at
    // the provider's chip market's price (the floor) and the cap, a multiple of the user cost at the
    // trend price.
    let mut compliance = vec![1.0; np];
    let mut bloc = vec![0usize; np];
    let trend_month = month.trend_month();
    let watts = p.watts_at(trend_month as i32);
    let trend_cost = p.user_cost(p.chip_trend_price(trend_month), watts);
    for (provider, book) in &providers {
        let v = provider.idx;
        compliance[v] = provider.kyc_compliance;
        bloc[v] = provider.bloc;
        m.capacity[v] = book.open_capacity;
        m.cost[v] = provider_cost(book, chips.price[provider.bloc], watts, p);
        m.cap[v] = (p.price_cap_ratio * trend_cost).max(m.cost[v]);
        m.price[v] = equations::within(book.price, m.cost[v], m.cap[v]);
        m.start_price[v] = m.price[v];
    }
    // Alignment weights, [nation × bloc], and which nations' regions serve foreign labs.
    let k = m.blocs;
    let nn = index.nation_ids.len();
    let mut weights = TypedGrid::new(nn, k, 0.0);
    let mut open_to_foreign = vec![true; nn];
    for (nation, alignment, _) in &nations {
        weights
            .row_mut(NationIx(nation.idx))
            .copy_from_slice(&alignment.weights);
        open_to_foreign[nation.idx] = nation.open_to_foreign_users;
    }
    // The share of each provider's open capacity in regions each nation's labs may use (kept from month
    // to month: a fresh grid of a thousand nations and providers each month was faulted in anew).
    let mut reach = std::mem::take(&mut m.reach);
    if reach.cells() == nn * np {
        reach.fill(1.0);
    } else {
        reach = TypedGrid::new(nn, np, 1.0);
    }
    for (provider, book) in &providers {
        let v = provider.idx;
        if book.open_capacity <= 0.0 {
            continue;
        }
        let foreign: f64 = (0..nn)
            .filter(|&h| open_to_foreign[h])
            .map(|h| book.open_by_host[h])
            .sum();
        for (n, (&open, &hosted)) in open_to_foreign.iter().zip(&book.open_by_host).enumerate() {
            let own = if open { 0.0 } else { hosted };
            reach.set(
                NationIx(n),
                ProviderIx(v),
                ((foreign + own) / book.open_capacity).min(1.0),
            );
        }
    }

    let facts = access::SegmentFacts {
        params: p,
        rules,
        index,
        compliance: &compliance,
        bloc: &bloc,
        weights: &weights,
        reach: &reach,
    };
    // Every pool's inference segment first: its expected price tells labs whether their training is
    // large enough for KYC. A pool's large-training segment is prepared only if a lab lands in it.
    for pool in 0..m.segments / 2 {
        facts.prepare(m, pool * 2);
    }
    clearing::expected_prices(m, p.beta, p.capacity_weight, clearing::Segments::Inference);
    clearing::choice_prices(m);

    demand::place_demand(m, &month, &mut chance, &mut labs);
    for pool in 0..m.segments / 2 {
        if m.money[pool * 2 + 1] > 0.0 {
            facts.prepare(m, pool * 2 + 1);
        }
    }
    clearing::clear_prices(m, p, t == 0);
    clearing::solve(m, p.capacity_weight, p.reoffer_rounds, p.hours_per_month);
    books::summarize_segments(m, index, rules, &bloc);
    books::serve_labs(m, index, &mut labs);
    books::book_nations(m, index, p, &mut nations);
    books::book_providers(m, p, t, &mut providers);
    books::remember_use(m, &mut usage);
    m.reach = reach;
}

#[cfg(test)]
mod tests;

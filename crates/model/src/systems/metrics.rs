//! Metrics (step 8): the month's rows of every output table, and the summary measures of MODEL.md —
//! bifurcation index, cross-bloc share, capability gap and lag, compute Gini, stranded labs,
//! polarization — computed from the state the other systems left (whether a lab is stranded is the
//! rule of [`super::stranded`], applied here as each lab's row is made).

use crate::components::*;
use crate::indices;
use crate::resources::*;
use crate::tables::{
    Dictionaries, FabRow, GlobalRow, LabRow, NationRow, ProviderRow, Recorder, UsageRow,
};
use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;

/// Installs the metrics submodel: the history the indices look back on, the recorder of the output
/// tables with their words (months, ids, kinds), and its system.
pub fn install(world: &mut World, setup: &super::Setup) {
    let index = world.resource::<WorldIndex>();
    let start = setup.scenario.scenario.start;
    let words = Dictionaries {
        months: (0..setup.scenario.scenario.months)
            .map(|t| start.plus(t as i32).to_string())
            .collect(),
        blocs: index.bloc_ids.as_slice().into(),
        nations: index.nation_ids.as_slice().into(),
        populations: setup.scenario.lab.iter().map(|l| l.id.clone()).collect(),
        providers: index.provider_ids.as_slice().into(),
        lab_nations: index.lab_nation.iter().map(|&n| n as u32).collect(),
        lab_kinds: setup.lab_kinds.iter().map(|&k| k as u32).collect(),
        lab_populations: index.lab_population.clone(),
        lab_members: index.lab_member.clone(),
        provider_blocs: index.provider_bloc.iter().map(|&b| b as u32).collect(),
        fabs: setup.fab_ids.into(),
        fab_nations: setup.fab_owners.iter().map(|&n| n as u32).collect(),
    };
    world.insert_resource(History::default());
    world.insert_resource(Recorder::new(words, setup.recording));
    super::add_systems(world, super::Submodel::Metrics, metrics);
}

/// What the metrics need from earlier months: the global frontier capability, month by month.
#[derive(Resource, Clone, Debug, Default)]
pub struct History {
    pub frontier: Vec<f64>,
}

/// What the month's trade and market booked: chips, chip markets, and who used which cloud.
#[derive(SystemParam)]
pub struct Books<'w> {
    ledger: Res<'w, ChipLedger>,
    research: Res<'w, ResearchBook>,
    market: Res<'w, ChipMarket>,
    usage: Res<'w, SegmentUse>,
}

/// The labs as the metrics read them (and mark stranded).
type LabsObserved<'w, 's> = Query<
    'w,
    's,
    (
        &'static Lab,
        &'static mut LabStranding,
        (
            &'static LabBudget,
            &'static LabMarket,
            &'static LabCompute,
            &'static LabResearch,
            &'static LabOutcome,
        ),
        &'static Capacity,
        &'static Purchase,
    ),
>;

/// The providers' regions, with their chips.
type RegionsObserved<'w, 's> =
    Query<'w, 's, (&'static Region, &'static Capacity, &'static Purchase), Without<Lab>>;

/// The entities whose rows the metrics write.
#[derive(SystemParam)]
pub struct Observed<'w, 's> {
    nations: Query<
        'w,
        's,
        (
            &'static Nation,
            &'static Alignment,
            &'static NationCompute,
            &'static Power,
        ),
    >,
    labs: LabsObserved<'w, 's>,
    regions: RegionsObserved<'w, 's>,
    providers: Query<'w, 's, (&'static Provider, &'static ProviderBook)>,
    fabs: Query<'w, 's, &'static Fab>,
}

/// A nation as the metrics read it.
type NationView<'a> = (&'a Nation, &'a Alignment, &'a NationCompute, &'a Power);

pub fn metrics(
    month: super::Month,
    books: Books,
    mut history: ResMut<History>,
    mut recorder: ResMut<Recorder>,
    observed: Observed,
) {
    let Books {
        ledger,
        research,
        market,
        usage,
    } = books;
    let Observed {
        nations,
        mut labs,
        regions,
        providers,
        fabs,
    } = observed;
    let rec = &mut *recorder;

    let mut ordered: Vec<NationView> = nations.iter().collect();
    ordered.sort_by_key(|(n, _, _, _)| n.idx);
    let world = NationTotals::of(&ordered, &month);
    let labs = LabTotals::of(&mut labs, &regions, &month, &usage, rec);
    // The providers' books, in provider order.
    let mut books: Vec<(&Provider, &ProviderBook)> = providers.iter().collect();
    books.sort_by_key(|(v, _)| v.idx);
    let facts = MonthFacts {
        ledger: &ledger,
        research: &research,
        market: &market,
        books: &books,
    };
    record_global(rec, &month, &ordered, &world, &labs, &facts, &mut history);
    record_nations(rec, &month, &ordered, &labs, &facts);
    record_fabs(rec, &fabs);
    record_providers(rec, &books);
}

/// What the month's trade, research and market booked, as the global and nations rows read it.
struct MonthFacts<'a> {
    ledger: &'a ChipLedger,
    research: &'a ResearchBook,
    market: &'a ChipMarket,
    books: &'a [(&'a Provider, &'a ProviderBook)],
}

/// The nations' compute, demand, money and power summed, in nation order: compute flows by (user bloc,
/// supplier bloc), and shares by the user nation's side.
struct NationTotals {
    flows: Vec<Vec<f64>>,
    compute_by_side: Vec<f64>,
    demand_by_side: Vec<f64>,
    unmet_by_side: Vec<f64>,
    compute: f64,
    demand: f64,
    unmet: f64,
    non_aligned: f64,
    per_capita: Vec<f64>,
    population: Vec<f64>,
    cloud_spend: f64,
    cloud_hours: f64,
    budget: f64,
    gdp: f64,
    power: f64,
    power_capacity: f64,
}

impl NationTotals {
    fn of(ordered: &[NationView], month: &super::Month) -> Self {
        let p = month.p();
        let k = month.index.blocs();
        let nn = ordered.len();
        let mut t = NationTotals {
            flows: vec![vec![0.0; k]; k],
            compute_by_side: vec![0.0; k],
            demand_by_side: vec![0.0; k],
            unmet_by_side: vec![0.0; k],
            compute: 0.0,
            demand: 0.0,
            unmet: 0.0,
            non_aligned: 0.0,
            per_capita: Vec::with_capacity(nn),
            population: Vec::with_capacity(nn),
            cloud_spend: 0.0,
            cloud_hours: 0.0,
            budget: 0.0,
            gdp: 0.0,
            power: 0.0,
            power_capacity: 0.0,
        };
        let gdp_factor = gdp_factor(month.trend_month(), p.gdp_growth);
        for (nation, alignment, c, pw) in ordered {
            t.cloud_spend += c.spend;
            t.cloud_hours += c.cloud * p.hours_per_month;
            t.budget += c.budget;
            t.gdp += nation.gdp * gdp_factor;
            t.power += pw.in_use_gw;
            t.power_capacity += pw.capacity_gw;
            for (row, &weight) in t.flows.iter_mut().zip(&alignment.weights) {
                for (flow, &supplied) in row.iter_mut().zip(&c.by_bloc) {
                    *flow += weight * supplied;
                }
            }
            t.compute += c.compute;
            t.demand += c.demand;
            t.unmet += c.unmet;
            match alignment.side {
                Some(s) => {
                    t.compute_by_side[s] += c.compute;
                    t.demand_by_side[s] += c.demand;
                    t.unmet_by_side[s] += c.unmet;
                }
                None => t.non_aligned += c.compute,
            }
            t.per_capita.push(c.compute / (nation.population * 1e6));
            t.population.push(nation.population);
        }
        t
    }
}

/// The labs' and regions' sums: capability frontiers (of each bloc, labs by their nation's side, and of
/// the world, as capability FLOP), stranded labs, installed chips, and the labs' money by nation.
struct LabTotals {
    frontier_by_bloc: Vec<f64>,
    frontier: f64,
    stranded_labs: u32,
    stranded_by_nation: Vec<u32>,
    largest_training: f64,
    installed: f64,
    installed_by_side: Vec<f64>,
    frozen: f64,
    chip_spend: Vec<f64>,
    datacentre_spend: Vec<f64>,
    /// Labs' money this month, by nation: spent (cloud, own chips and datacentres, smugglers) and not.
    spend: Vec<f64>,
    unspent: Vec<f64>,
}

impl LabTotals {
    /// The sums over the labs, lab by lab in order — deciding whether each is stranded and recording its
    /// row as it goes — and over the regions.
    fn of(
        labs: &mut LabsObserved,
        regions: &RegionsObserved,
        month: &super::Month,
        usage: &SegmentUse,
        rec: &mut Recorder,
    ) -> Self {
        let p = month.p();
        let (index, sides) = (&*month.index, &month.sides.0);
        let (k, nn) = (index.blocs(), index.nation_ids.len());
        let mut t = LabTotals {
            frontier_by_bloc: vec![f64::NAN; k],
            frontier: 0.0,
            stranded_labs: 0,
            stranded_by_nation: vec![0; nn],
            largest_training: 0.0,
            installed: 0.0,
            installed_by_side: vec![0.0; k],
            frozen: 0.0,
            chip_spend: vec![0.0; nn],
            datacentre_spend: vec![0.0; nn],
            spend: vec![0.0; nn],
            unspent: vec![0.0; nn],
        };
        let record_labs = rec.detail.labs();
        for_each_in_order!(labs, &index.labs, |(
            lab,
            stranding,
            state,
            capacity,
            purchase,
        )| {
            let (budget, market, served, research, outcome) = state;
            let stranding = stranding.into_inner();
            stranding.stranded =
                super::stranded::stranded(stranding, (market, served), usage, p.stranded_loss);
            t.frontier = t.frontier.max(research.capability_flop);
            t.largest_training = t.largest_training.max(served.training);
            if let Some(s) = sides[lab.nation]
                && (t.frontier_by_bloc[s].is_nan()
                    || research.capability_flop > t.frontier_by_bloc[s])
            {
                t.frontier_by_bloc[s] = research.capability_flop;
            }
            t.stranded_labs += u32::from(stranding.stranded);
            t.stranded_by_nation[lab.nation] += u32::from(stranding.stranded);
            // A lab that holds no chips has an empty cluster and no purchases: its zeros are not read.
            let (installed, facility, chips) = if lab.holds_chips {
                (capacity.total, purchase.facility, purchase.spend)
            } else {
                debug_assert!(capacity.total == 0.0 && purchase.money == 0.0);
                (0.0, 0.0, 0.0)
            };
            t.installed += installed;
            t.chip_spend[lab.nation] += chips;
            t.datacentre_spend[lab.nation] += facility;
            // Part of what its own-cluster money could not buy went to the cloud market, and is in its
            // cloud books; the rest is unspent.
            t.spend[lab.nation] += served.cloud_spend + facility + chips;
            t.unspent[lab.nation] += served.cloud_unspent + market.own_unspent;
            if let Some(s) = sides[lab.nation] {
                t.installed_by_side[s] += installed;
            }
            if record_labs && let Some(at) = rec.lab_row(lab.idx) {
                rec.labs
                    .push(at, lab_row(budget, (served, outcome), research, stranding));
            }
        });
        for (region, capacity, purchase) in regions {
            t.installed += capacity.total;
            t.chip_spend[region.host] += purchase.spend;
            t.datacentre_spend[region.host] += purchase.facility;
            if region.frozen {
                t.frozen += capacity.total;
            }
            if let Some(s) = sides[region.host] {
                t.installed_by_side[s] += capacity.total;
            }
        }
        t
    }
}

/// A lab's row.
fn lab_row(
    budget: &LabBudget,
    (served, outcome): (&LabCompute, &LabOutcome),
    research: &LabResearch,
    stranding: &LabStranding,
) -> LabRow {
    LabRow {
        budget_busd: budget.budget / 1e9,
        compute_h100e: served.compute,
        training_h100e: served.training,
        demand_h100e: outcome.demand,
        unmet_h100e: outcome.unmet,
        capability: research.capability_flop,
        providers_used: outcome.providers_used,
        // The list starts with "no provider".
        main_provider: served.main_provider.map_or(0, |v| v as usize + 1),
        kyc_refused: outcome.kyc_refused,
        uses_sanctioned_provider: outcome.uses_sanctioned_provider,
        stranded: stranding.stranded,
        accused: research.accused,
    }
}

fn share(x: f64, of: f64) -> f64 {
    if of > 0.0 { x / of } else { 0.0 }
}

/// The global row: the summary measures of MODEL.md, the world's sums and each bloc's columns. The
/// frontier goes into `history` (as orders of magnitude) for the lag's growth rate.
fn record_global(
    rec: &mut Recorder,
    month: &super::Month,
    ordered: &[NationView],
    world: &NationTotals,
    labs: &LabTotals,
    facts: &MonthFacts,
    history: &mut History,
) {
    let p = month.p();
    let index = &*month.index;
    let k = index.blocs();
    let MonthFacts {
        ledger,
        research,
        market,
        books,
    } = *facts;
    let frontier = if labs.frontier > 0.0 {
        orders_of_magnitude(labs.frontier)
    } else {
        0.0
    };
    let mut frontier_by_bloc = labs.frontier_by_bloc.clone();
    for f in frontier_by_bloc.iter_mut().filter(|f| !f.is_nan()) {
        *f = orders_of_magnitude(*f);
    }
    history.frontier.push(frontier);
    let gap = if k >= 2 && frontier_by_bloc[0].is_finite() && frontier_by_bloc[1].is_finite() {
        frontier_by_bloc[0] - frontier_by_bloc[1]
    } else {
        0.0
    };
    let growth_per_month = frontier_growth(&history.frontier, p.reference_frontier_growth);

    let by_bloc = |value: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..k).map(value).collect() };
    let compute_share = by_bloc(&|b| share(world.compute_by_side[b], world.compute));
    let unmet_share = by_bloc(&|b| share(world.unmet_by_side[b], world.demand_by_side[b]));
    let chip_production = by_bloc(&|b| ledger.produced_by_bloc[b]);
    let indigenous_share = by_bloc(&|b| {
        share(
            ledger.indigenous_new_by_bloc[b],
            ledger.new_compute_by_bloc[b],
        )
    });
    // A bloc with no labs has no frontier: 0 in the table.
    let frontier_capability = by_bloc(&|b| {
        if frontier_by_bloc[b].is_finite() {
            frontier_by_bloc[b]
        } else {
            0.0
        }
    });
    let smuggled_share =
        by_bloc(&|b| share(ledger.smuggled_stock_by_bloc[b], labs.installed_by_side[b]).min(1.0));
    let chip_price_usd = by_bloc(&|b| market.price[b]);
    let chip_markup = by_bloc(&|b| market.markup[b]);
    let chip_price = if market.installed > 0.0 {
        market.installed_value / market.installed
    } else {
        market.price[0]
    };
    let clouds = CloudTotals::of(books, k);
    let row = GlobalRow {
        bifurcation_index: indices::bifurcation_index(&world.flows),
        cross_bloc_share: indices::cross_bloc_share(&world.flows),
        capability_gap_oom: gap,
        capability_lag_months: gap / growth_per_month,
        compute_gini: indices::gini(&world.per_capita, &world.population),
        unmet_share: share(world.unmet, world.demand),
        smuggled_h100e: ledger.smuggled,
        seized_h100e: ledger.seized,
        stranded_labs: labs.stranded_labs,
        extractions: research.extractions,
        polarization: indices::polarization(
            ordered.iter().map(|(_, a, _, _)| a.weights.as_slice()),
        ),
        compute_h100e: world.compute,
        installed_h100e: labs.installed,
        frozen_h100e: labs.frozen,
        frontier_capability: frontier,
        largest_run_flop: (labs.largest_training
            * p.run_share
            * p.flop_per_h100e_month
            * p.run_length(month.trend_month()))
        .max(1.0)
        .log10(),
        produced_h100e_cum: ledger.produced_cum,
        delivered_h100e_cum: ledger.delivered_cum,
        seized_h100e_cum: ledger.seized_cum,
        stock_h100e: ledger.stock_h100e(&index.chip_h100e),
        compute_share_non_aligned: share(world.non_aligned, world.compute),
        chip_price_usd: chip_price,
        cloud_price_usd: share(world.cloud_spend, world.cloud_hours),
        chip_spend_busd: market.spend / 1e9,
        datacentre_spend_busd: market.datacentre_spend / 1e9,
        budget_busd: world.budget / 1e9,
        spend_busd: labs.spend.iter().sum::<f64>() / 1e9,
        unspent_busd: labs.unspent.iter().sum::<f64>() / 1e9,
        parent_busd: clouds.parent / 1e9,
        smuggling_busd: market.smuggling / 1e9,
        smuggling_margin_busd: market.smuggling_margin / 1e9,
        licence_fees_busd: market.licence_fees / 1e9,
        operating_busd: clouds.operating / 1e9,
        gdp_busd: world.gdp,
        power_gw: world.power,
        power_capacity_gw: world.power_capacity,
        compute_share_: &compute_share,
        unmet_share_: &unmet_share,
        chip_production_h100e_: &chip_production,
        indigenous_share_: &indigenous_share,
        frontier_capability_: &frontier_capability,
        smuggled_share_: &smuggled_share,
        chip_price_usd_: &chip_price_usd,
        chip_markup_: &chip_markup,
        cloud_utilization_: &clouds.utilization,
    };
    rec.global.push(0, row);
}

/// The clouds' month, summed: what their parents put in, the electricity they paid, and each bloc's
/// clouds' utilisation (served over open capacity, all of the bloc's clouds together; 0 without any).
struct CloudTotals {
    parent: f64,
    operating: f64,
    utilization: Vec<f64>,
}

impl CloudTotals {
    fn of(books: &[(&Provider, &ProviderBook)], blocs: usize) -> Self {
        let (mut served, mut open) = (vec![0.0; blocs], vec![0.0; blocs]);
        let (mut parent, mut operating) = (0.0, 0.0);
        for (provider, book) in books {
            parent += book.parent;
            operating += book.operating;
            served[provider.bloc] += book.served;
            open[provider.bloc] += book.open_capacity;
        }
        let utilization = served
            .iter()
            .zip(&open)
            .map(|(&s, &k)| share(s, k))
            .collect();
        CloudTotals {
            parent,
            operating,
            utilization,
        }
    }
}

/// Each nation's row, in nation order, and (in full detail) its compute by provider.
fn record_nations(
    rec: &mut Recorder,
    month: &super::Month,
    ordered: &[NationView],
    labs: &LabTotals,
    facts: &MonthFacts,
) {
    let p = month.p();
    let index = &*month.index;
    let k = index.blocs();
    let (ledger, market) = (facts.ledger, facts.market);
    for (nation, alignment, c, pw) in ordered {
        let supplied: Vec<f64> = c.by_bloc.iter().map(|x| share(*x, c.compute)).collect();
        let row = NationRow {
            // The list of sides is the blocs', then non-aligned.
            side: alignment.side.unwrap_or(k),
            alignment_: &alignment.weights,
            compute_h100e: c.compute,
            compute_per_capita: c.compute / (nation.population * 1e6),
            demand_h100e: c.demand,
            unmet_h100e: c.unmet,
            own_cluster_h100e: c.own_cluster,
            stranded_labs: labs.stranded_by_nation[nation.idx],
            supplied_share_: &supplied,
            price_paid: share(c.spend, c.cloud * p.hours_per_month),
            price_index: c.price_index,
            received_h100e_: ledger.received.row(NationIx(nation.idx)),
            smuggled_received_h100e: ledger.smuggled_received[nation.idx],
            budget_busd: c.budget / 1e9,
            spend_busd: labs.spend[nation.idx] / 1e9,
            unspent_busd: labs.unspent[nation.idx] / 1e9,
            chip_spend_busd: labs.chip_spend[nation.idx] / 1e9,
            datacentre_spend_busd: labs.datacentre_spend[nation.idx] / 1e9,
            licence_fees_busd: market.licence_fees_by_nation[nation.idx] / 1e9,
            power_gw: pw.in_use_gw,
            power_capacity_gw: pw.capacity_gw,
        };
        rec.nations.push(nation.idx, row);
        let np = index.provider_ids.len();
        for v in (0..np).filter(|_| rec.detail.usage()) {
            let row = UsageRow {
                compute_h100e: c.by_provider[v],
            };
            rec.usage.push(nation.idx * np + v, row);
        }
    }
}

/// The world frontier's growth, orders of magnitude a month: its mean over the last twelve months (as
/// many as there are), or the reference growth when it is flat or falling, so that a lag in months stays
/// finite:
///
/// `g = (F_t − F_{t−s}) / s` with `s = min(t, 12)`, or `reference / 12` when `g ≤ 10⁻⁹`.
pub fn frontier_growth(frontier: &[f64], reference: f64) -> f64 {
    let t = frontier.len().saturating_sub(1);
    let span = t.min(12);
    let growth = if span > 0 {
        (frontier[t] - frontier[t - span]) / span as f64
    } else {
        0.0
    };
    if growth > 1e-9 {
        growth
    } else {
        reference / 12.0
    }
}

/// The fabs' rows, in index order.
fn record_fabs(rec: &mut Recorder, fabs: &Query<&Fab>) {
    let mut lines: Vec<&Fab> = fabs.iter().collect();
    lines.sort_by_key(|f| f.idx);
    for fab in lines {
        let row = FabRow {
            wafers: fab.wafers,
            capacity_dies: fab.wafers * fab.ai_share * fab.dies_per_wafer * fab.yield_rate,
            packaging_wafers: fab.packaging.unwrap_or(0.0),
            produced_units: fab.produced,
            produced_h100e: fab.produced_h100e,
            bound: fab.bound as usize,
            input_availability: fab.input_availability,
            banked_dies: fab.banked_dies,
        };
        rec.fabs.push(fab.idx, row);
    }
}

/// The providers' rows, in index order.
fn record_providers(rec: &mut Recorder, books: &[(&Provider, &ProviderBook)]) {
    let share = |x: f64, of: f64| if of > 0.0 { x / of } else { 0.0 };
    for &(provider, book) in books {
        let row = ProviderRow {
            capacity_h100e: book.open_capacity,
            frozen_h100e: book.frozen_capacity,
            frozen_regions: book.frozen_regions,
            requested_h100e: book.requested,
            served_h100e: book.served,
            utilization: share(book.served, book.open_capacity),
            revenue_busd: book.revenue / 1e9,
            price_usd: book.price,
            cost_usd: book.cost,
            capex_busd: book.capex / 1e9,
            chip_spend_busd: book.chip_spend / 1e9,
            datacentre_spend_busd: book.datacentre_spend / 1e9,
            unspent_busd: book.unspent / 1e9,
            operating_busd: book.operating / 1e9,
            parent_busd: book.parent / 1e9,
        };
        rec.providers.push(provider.idx, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_grows_by_its_mean_over_a_year_or_the_reference_when_flat() {
        // Month 0: no history, the reference (1.2 OOM a year).
        assert_eq!(frontier_growth(&[26.0], 1.2), 1.2 / 12.0);
        // Month 3: the mean over three months.
        assert!((frontier_growth(&[26.0, 26.1, 26.2, 26.6], 1.2) - 0.2).abs() < 1e-12);
        // Month 20: over the last twelve only.
        let mut f: Vec<f64> = (0..=20).map(|m| 26.0 + 0.5 * f64::from(m.min(8))).collect();
        f[20] = 30.4;
        assert!((frontier_growth(&f, 1.2) - 0.4 / 12.0).abs() < 1e-12);
        // Flat or falling: the reference, so the lag in months stays finite.
        assert_eq!(frontier_growth(&[26.0, 26.0, 25.0], 1.2), 1.2 / 12.0);
    }
}

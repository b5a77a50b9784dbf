//! Metrics (step 8): the month's rows of every output table, and the summary measures of MODEL.md —
//! bifurcation index, cross-bloc share, capability gap and lag, compute Gini, stranded labs,
//! polarization — computed from the state the other systems left.

use crate::components::*;
use crate::indices;
use crate::resources::*;
use crate::tables::{Detail, Recorder};
use bevy_ecs::prelude::*;

/// What the metrics need from earlier months: the global frontier capability, month by month.
#[derive(Resource, Clone, Debug, Default)]
pub struct History {
    pub frontier: Vec<f64>,
}

pub fn metrics(
    clock: Res<Clock>,
    params: Res<Params>,
    index: Res<WorldIndex>,
    ledger: Res<ChipLedger>,
    mut history: ResMut<History>,
    mut recorder: ResMut<Recorder>,
    nations: Query<(&Nation, &Alignment, &NationCompute)>,
    mut labs: Query<(&Lab, &LabState, &Capacity)>,
    regions: Query<(&Region, &Capacity), Without<Lab>>,
    providers: Query<(&Provider, &ProviderBook)>,
) {
    let p = &params.0;
    let t = clock.t;
    let k = index.blocs();
    let nn = index.nation_ids.len();
    let rec = &mut *recorder;
    let blocs = rec.blocs.clone();

    let mut ordered: Vec<(&Nation, &Alignment, &NationCompute)> = nations.iter().collect();
    ordered.sort_by_key(|(n, _, _)| n.idx);
    let mut sides = vec![None; nn];
    for (n, a, _) in &ordered {
        sides[n.idx] = a.side;
    }

    // Compute flows by (user bloc, supplier bloc), and shares by the user nation's side.
    let mut flows = vec![vec![0.0; k]; k];
    let mut compute_by_side = vec![0.0; k];
    let mut demand_by_side = vec![0.0; k];
    let mut unmet_by_side = vec![0.0; k];
    let (mut total_compute, mut total_demand, mut total_unmet, mut non_aligned) =
        (0.0, 0.0, 0.0, 0.0);
    let mut per_capita = Vec::with_capacity(nn);
    let mut population = Vec::with_capacity(nn);
    for (nation, alignment, c) in &ordered {
        for i in 0..k {
            for j in 0..k {
                flows[i][j] += alignment.weights[i] * c.by_bloc[j];
            }
        }
        total_compute += c.compute;
        total_demand += c.demand;
        total_unmet += c.unmet;
        match alignment.side {
            Some(s) => {
                compute_by_side[s] += c.compute;
                demand_by_side[s] += c.demand;
                unmet_by_side[s] += c.unmet;
            }
            None => non_aligned += c.compute,
        }
        per_capita.push(c.compute / (nation.population * 1e6));
        population.push(nation.population);
    }
    let share = |x: f64, of: f64| if of > 0.0 { x / of } else { 0.0 };

    // Capability: frontier of each bloc (labs by their nation's side) and of the world.
    // As capability FLOP first, orders of magnitude below.
    let mut frontier_by_bloc = vec![f64::NAN; k];
    let mut frontier: f64 = 0.0;
    let mut stranded = 0u32;
    let mut largest_training: f64 = 0.0;
    let mut installed = 0.0;
    let mut installed_by_side = vec![0.0; k];
    for (lab, state, capacity) in &labs {
        frontier = frontier.max(state.capability_flop);
        largest_training = largest_training.max(state.training);
        if let Some(s) = sides[lab.nation]
            && (frontier_by_bloc[s].is_nan() || state.capability_flop > frontier_by_bloc[s])
        {
            frontier_by_bloc[s] = state.capability_flop;
        }
        stranded += u32::from(state.stranded);
        installed += capacity.total;
        if let Some(s) = sides[lab.nation] {
            installed_by_side[s] += capacity.total;
        }
    }
    let mut frozen = 0.0;
    for (region, capacity) in &regions {
        installed += capacity.total;
        if region.frozen {
            frozen += capacity.total;
        }
        if let Some(s) = sides[region.host] {
            installed_by_side[s] += capacity.total;
        }
    }
    let frontier = if frontier > 0.0 {
        orders_of_magnitude(frontier)
    } else {
        0.0
    };
    for f in frontier_by_bloc.iter_mut().filter(|f| !f.is_nan()) {
        *f = orders_of_magnitude(*f);
    }
    history.frontier.push(frontier);
    let gap = if k >= 2 && frontier_by_bloc[0].is_finite() && frontier_by_bloc[1].is_finite() {
        frontier_by_bloc[0] - frontier_by_bloc[1]
    } else {
        0.0
    };
    let span = (t as usize).min(12);
    let growth_per_month = if span > 0 {
        (frontier - history.frontier[t as usize - span]) / span as f64
    } else {
        0.0
    };
    let growth_per_month = if growth_per_month > 1e-9 {
        growth_per_month
    } else {
        p.reference_frontier_growth / 12.0
    };

    let mut per_bloc: Vec<Vec<f64>> = vec![Vec::new(); 6];
    for b in 0..k {
        per_bloc[0].push(share(compute_by_side[b], total_compute));
        per_bloc[1].push(share(unmet_by_side[b], demand_by_side[b]));
        per_bloc[2].push(ledger.produced_by_bloc[b]);
        per_bloc[3].push(share(
            ledger.indigenous_new_by_bloc[b],
            ledger.new_compute_by_bloc[b],
        ));
        per_bloc[4].push(if frontier_by_bloc[b].is_finite() {
            frontier_by_bloc[b]
        } else {
            0.0
        });
        per_bloc[5].push(share(ledger.smuggled_stock_by_bloc[b], installed_by_side[b]).min(1.0));
    }
    let mut row = rec
        .global
        .row(0)
        .f64("bifurcation_index", indices::bifurcation_index(&flows))
        .f64("cross_bloc_share", indices::cross_bloc_share(&flows))
        .f64("capability_gap_oom", gap)
        .f64("capability_lag_months", gap / growth_per_month)
        .f64("compute_gini", indices::gini(&per_capita, &population))
        .f64("unmet_share", share(total_unmet, total_demand))
        .f64("smuggled_h100e", ledger.smuggled)
        .f64("seized_h100e", ledger.seized)
        .u32("stranded_labs", stranded)
        .f64(
            "polarization",
            indices::polarization(ordered.iter().map(|(_, a, _)| a.weights.as_slice())),
        )
        .f64("compute_h100e", total_compute)
        .f64("installed_h100e", installed)
        .f64("frozen_h100e", frozen)
        .f64("frontier_capability", frontier)
        .f64(
            "largest_run_flop",
            (largest_training * p.flop_per_h100e_month * p.run_length(t))
                .max(1.0)
                .log10(),
        )
        .f64("produced_h100e_cum", ledger.produced_cum)
        .f64("delivered_h100e_cum", ledger.delivered_cum)
        .f64("seized_h100e_cum", ledger.seized_cum)
        .f64("stock_h100e", ledger.stock_h100e(&index.chip_h100e))
        .f64(
            "compute_share_non_aligned",
            share(non_aligned, total_compute),
        );
    for (prefix, xs) in crate::tables::GLOBAL_PER_BLOC.iter().zip(&per_bloc) {
        row = row.per_bloc(prefix, &blocs, xs);
    }
    row.end();

    for (nation, alignment, c) in &ordered {
        let supplied: Vec<f64> = c.by_bloc.iter().map(|x| share(*x, c.compute)).collect();
        rec.nations
            .row(nation.idx)
            .code("side", alignment.side.unwrap_or(k))
            .per_bloc("alignment", &blocs, &alignment.weights)
            .f64("compute_h100e", c.compute)
            .f64("compute_per_capita", c.compute / (nation.population * 1e6))
            .f64("demand_h100e", c.demand)
            .f64("unmet_h100e", c.unmet)
            .f64("own_cluster_h100e", c.own_cluster)
            .per_bloc("supplied_share", &blocs, &supplied)
            .f64("price_paid", share(c.spend, c.cloud * p.hours_per_month))
            .per_bloc(
                "received_h100e",
                &blocs,
                &ledger.received[nation.idx * k..(nation.idx + 1) * k],
            )
            .f64(
                "smuggled_received_h100e",
                ledger.smuggled_received[nation.idx],
            )
            .end();
        let np = index.provider_ids.len();
        for v in (0..np).filter(|_| rec.detail == Detail::Full) {
            rec.usage
                .row(nation.idx * np + v)
                .f64("compute_h100e", c.by_provider[v])
                .end();
        }
    }

    if rec.detail == Detail::Full {
        for_each_in_order!(labs, &index.labs, |(lab, state, _)| {
            rec.labs
                .row(lab.idx)
                .f64("compute_h100e", state.compute)
                .f64("training_h100e", state.training)
                .f64("demand_h100e", state.demand)
                .f64("unmet_h100e", state.unmet)
                .flop("capability", state.capability_flop)
                .u32("providers_used", state.providers_used)
                .code("main_provider", state.main_provider.map_or(0, |v| v + 1))
                .bool("kyc_refused", state.kyc_refused)
                .bool("uses_sanctioned_provider", state.uses_sanctioned_provider)
                .bool("stranded", state.stranded)
                .bool("accused", state.accused)
                .end();
        });
    }

    let mut books: Vec<(&Provider, &ProviderBook)> = providers.iter().collect();
    books.sort_by_key(|(v, _)| v.idx);
    for (provider, book) in books {
        rec.providers
            .row(provider.idx)
            .f64("capacity_h100e", book.open_capacity)
            .f64("frozen_h100e", book.frozen_capacity)
            .u32("frozen_regions", book.frozen_regions)
            .f64("requested_h100e", book.requested)
            .f64("served_h100e", book.served)
            .f64("utilization", share(book.served, book.open_capacity))
            .f64("revenue_busd", book.revenue)
            .end();
    }
}

//! Chip trade (step 3): this month's chips and the unsold stock go to buyers — providers' regions and labs
//! with their own clusters — best chips first, pro rata to what each buyer wants within its capex. A sale
//! of a controlled class to a targeted nation is blocked (at the control's strength).
//!
//! Blocked demand tries diversion: through each intermediary route a smuggler buys, in the route's own
//! nation and on the open market, a LogNormal volume around `leakage_rate × route share × blocked ×
//! (1 − enforcement)` (the blocked budget shrunk by the smuggling premium); each unit shipped on is seized
//! with probability `enforcement` (Binomial), the rest reaches the blocked buyers. Import caps bound what a
//! nation — intermediary nations included — receives legally in a year; datacentre headroom bounds what a
//! nation installs in a month.

use crate::components::*;
use crate::resources::*;
use crate::scenario::SoldTo;
use bevy_ecs::prelude::*;
use rand_distr::{Binomial, Distribution, LogNormal};
// Buyers' receipts by origin bloc: a handful of blocs, kept inline rather than allocated per buyer.
use smallvec::{SmallVec, smallvec};

/// One buyer's month in the chip market.
struct Buyer {
    /// Nation the chips are delivered to (for a smuggler, the route's nation).
    nation: usize,
    /// What it still wants (H100e).
    want: f64,
    /// What it may still buy legally (want within import caps).
    legal: f64,
    /// Want that export controls keep from it.
    blocked: f64,
    /// H100e received by origin bloc.
    bought: SmallVec<[f64; 4]>,
    smuggled: f64,
    /// For a smuggler: (route, nation it ships to) and what it bought, in units by chip class.
    route: Option<(usize, usize)>,
    units: Vec<(usize, f64)>,
}

impl Buyer {
    fn new(nation: usize, want: f64, blocs: usize) -> Self {
        Buyer {
            nation,
            want,
            legal: want,
            blocked: 0.0,
            bought: smallvec![0.0; blocs],
            smuggled: 0.0,
            route: None,
            units: Vec::new(),
        }
    }
}

pub fn trade(
    clock: Res<Clock>,
    params: Res<Params>,
    index: Res<WorldIndex>,
    rules: Res<Rules>,
    mut ledger: ResMut<ChipLedger>,
    mut rngs: ResMut<Rngs>,
    mut log: ResMut<EventLog>,
    chips: Query<&ChipClass>,
    nations: Query<(&Nation, &Alignment)>,
    providers: Query<(&Provider, &ProviderBook)>,
    intermediaries: Query<&Intermediary>,
    mut regions: Query<(&Region, &Capacity, &mut Purchase), Without<Lab>>,
    mut labs: Query<(&Lab, &LabState, &Capacity, &mut Purchase), Without<Region>>,
) {
    let p = &params.0;
    let t = clock.t;
    let k = index.blocs();
    let nn = index.nation_ids.len();
    let sides = sides_of(nations.iter().map(|(n, a)| (n.idx, a)), nn);
    if t.is_multiple_of(12) {
        ledger.received_this_year.fill(0.0);
    }
    ledger.new_compute_by_bloc.fill(0.0);
    ledger.indigenous_new_by_bloc.fill(0.0);
    ledger.smuggled = 0.0;
    ledger.seized = 0.0;
    ledger.received.fill(0.0);
    ledger.sold_last_month.fill(0.0);
    ledger.smuggled_received.fill(0.0);
    let h100e_budget = |capex_busd_year: f64| capex_busd_year * 1e9 / 12.0 / p.chip_price_per_h100e;
    let horizon = p.planning_months as i32;

    // Providers plan: the demand they saw, grown over the planning horizon, plus a margin, less what they
    // have open; within capex. The purchase is spread over open regions by size.
    let np = index.provider_ids.len();
    let mut open_capacity = vec![0.0; np];
    let mut region_rows: Vec<(usize, Mut<Purchase>, usize, usize, f64)> = Vec::new();
    for (region, capacity, purchase) in regions.iter_mut() {
        if !rules.is_closed(region.provider, region.host) {
            open_capacity[region.provider] += capacity.total;
        }
        region_rows.push((
            region.idx,
            purchase,
            region.provider,
            region.host,
            capacity.total,
        ));
    }
    region_rows.sort_by_key(|r| r.0);
    let mut provider_want = vec![0.0; np];
    for (provider, book) in &providers {
        let target =
            book.requested * book.requested_growth.powi(horizon) * (1.0 + p.capacity_margin);
        // Investment follows the business: capex scales with the demand the provider sees relative to
        // its first month, times its own exogenous growth.
        let business = if book.first_requested > 0.0 {
            (book.requested / book.first_requested).max(1.0)
        } else {
            1.0
        };
        let capex = provider.capex * business * (1.0 + provider.capex_growth).powf(t as f64 / 12.0);
        provider_want[provider.idx] = (target - open_capacity[provider.idx])
            .max(0.0)
            .min(h100e_budget(capex));
    }
    // New regions (no capacity yet) still get a small part, so a provider can grow where it is new.
    let mean_region =
        region_rows.iter().map(|r| r.4).sum::<f64>() / region_rows.len().max(1) as f64;
    let region_weight = |cap: f64| cap + 0.05 * mean_region;
    let mut provider_weight = vec![0.0; np];
    for (_, _, provider, host, cap) in &region_rows {
        if !rules.is_closed(*provider, *host) {
            provider_weight[*provider] += region_weight(*cap);
        }
    }
    let mut buyers: Vec<Buyer> = Vec::with_capacity(region_rows.len());
    for (_, _, provider, host, cap) in &region_rows {
        let want = if rules.is_closed(*provider, *host) || provider_weight[*provider] <= 0.0 {
            0.0
        } else {
            provider_want[*provider] * region_weight(*cap) / provider_weight[*provider]
        };
        buyers.push(Buyer::new(*host, want, k));
    }
    // Labs with their own clusters plan the same way for the share of demand they serve themselves.
    let mut lab_rows: Vec<(Entity, f64, usize)> = Vec::with_capacity(index.own_cluster_labs.len());
    for &e in &index.own_cluster_labs {
        let (lab, state, capacity, _) = labs.get(e).expect("every indexed lab exists");
        let growth = lab.monthly_growth(t, p.demand_growth_decay);
        let demand = state.demand.max(lab.demand0) * growth.powi(horizon);
        let target = lab.own_share * demand * (1.0 + p.capacity_margin);
        let capex = lab.capex * (demand / lab.demand0.max(1e-12)).max(1.0);
        let want = (target - capacity.total).max(0.0).min(h100e_budget(capex));
        lab_rows.push((e, want, lab.nation));
    }
    for (_, want, nation) in &lab_rows {
        buyers.push(Buyer::new(*nation, *want, k));
    }
    let installers = buyers.len();

    // Datacentre headroom, per nation.
    let mut nation_want = vec![0.0; nn];
    for b in &buyers {
        nation_want[b.nation] += b.want;
    }
    for (nation, _) in &nations {
        if let Some(h) = nation.datacentre_headroom
            && nation_want[nation.idx] > h
        {
            let scale = h / nation_want[nation.idx];
            for b in buyers.iter_mut().filter(|b| b.nation == nation.idx) {
                b.want *= scale;
                b.legal = b.want;
            }
        }
    }

    // What export controls keep from each buyer: its want times the strongest control on a class on sale.
    let mut classes: Vec<&ChipClass> = chips.iter().collect();
    classes.sort_by(|a, b| b.h100e.total_cmp(&a.h100e).then(a.idx.cmp(&b.idx)));
    let sold_to_ok = |c: &ChipClass, n: usize| match c.sold_to {
        SoldTo::All => true,
        SoldTo::HomeNation => n == c.designer,
        SoldTo::HomeBloc => sides[c.designer].is_some() && sides[n] == sides[c.designer],
    };
    let mut blocked_nation = vec![0.0; nn];
    for b in &mut buyers {
        let block = classes
            .iter()
            .filter(|c| ledger.stock[c.idx] > 0.0 && sold_to_ok(c, b.nation))
            .map(|c| rules.chip_block.get(c.idx, b.nation))
            .fold(0.0, f64::max);
        b.blocked = b.want * block;
        blocked_nation[b.nation] += b.blocked;
    }

    // Smugglers: one buyer per (blocked nation, route), in the route's nation.
    let mut routes: Vec<&Intermediary> = intermediaries.iter().collect();
    routes.sort_by_key(|r| r.idx);
    for (n, &blocked) in blocked_nation.iter().enumerate() {
        if blocked <= 0.0 {
            continue;
        }
        let budget = blocked / (1.0 + p.smuggling_premium);
        for route in &routes {
            let mean = route.leakage_rate * route.share * budget * (1.0 - route.enforcement);
            if mean <= 0.0 || route.nation == n {
                continue;
            }
            let sigma = p.smuggling_sigma;
            let volume = match LogNormal::new(mean.ln() - sigma * sigma / 2.0, sigma) {
                Ok(d) if sigma > 0.0 => d.sample(&mut rngs.smuggling),
                _ => mean,
            };
            let mut smuggler = Buyer::new(route.nation, volume.min(budget), k);
            smuggler.route = Some((route.idx, n));
            buyers.push(smuggler);
        }
    }

    // Import caps on legal receipts, per nation.
    let mut legal_want = vec![0.0; nn];
    for b in &buyers {
        legal_want[b.nation] += b.legal;
    }
    for n in 0..nn {
        if let Some(cap) = rules.import_cap[n] {
            let room = (cap - ledger.received_this_year[n]).max(0.0);
            if legal_want[n] > room {
                let scale = room / legal_want[n];
                for b in buyers.iter_mut().filter(|b| b.nation == n) {
                    b.legal *= scale;
                }
            }
        }
    }

    // Sales, best chips first, pro rata to eligible want. A smuggler only seeks chips controlled toward
    // the nation it ships to.
    let mut weights = vec![0.0; buyers.len()];
    for c in &classes {
        let supply = ledger.stock[c.idx] * c.h100e;
        if supply <= 0.0 {
            continue;
        }
        let mut total = 0.0;
        for (w, b) in weights.iter_mut().zip(&buyers) {
            let wanted = match b.route {
                Some((_, target)) => {
                    rules.chip_block.get(c.idx, target) > 0.0 && sold_to_ok(c, target)
                }
                None => sold_to_ok(c, b.nation),
            };
            *w = if wanted {
                b.legal * (1.0 - rules.chip_block.get(c.idx, b.nation))
                    / (1.0 + p.sanction_premium * rules.chip_sanction.get(c.idx, b.nation))
            } else {
                0.0
            };
            total += *w;
        }
        if total <= 0.0 {
            continue;
        }
        let ratio = (supply / total).min(1.0);
        let mut sold = 0.0;
        for (w, b) in weights.iter().zip(buyers.iter_mut()) {
            let got = w * ratio;
            if got <= 0.0 {
                continue;
            }
            b.legal -= got;
            b.want -= got;
            ledger.received_this_year[b.nation] += got;
            if b.route.is_some() {
                b.units.push((c.idx, got / c.h100e));
            } else {
                b.bought[c.origin] += got;
            }
            sold += got;
        }
        ledger.stock[c.idx] = (ledger.stock[c.idx] - sold / c.h100e).max(0.0);
        ledger.sold_last_month[c.idx] = sold / c.h100e;
    }

    // Smuggled chips are shipped on: seizures, then delivery to the blocked buyers pro rata.
    let origin_of = |c: usize| classes.iter().find(|x| x.idx == c).map_or(0, |x| x.origin);
    // [nation × origin bloc]
    let mut delivered_to = vec![0.0; nn * k];
    for b in &buyers {
        let Some((route, target)) = b.route else {
            continue;
        };
        let enforcement = routes[route].enforcement;
        for &(c, units) in &b.units {
            let h = index.chip_h100e[c];
            let whole = units.floor();
            let seized = match Binomial::new(whole as u64, enforcement) {
                Ok(d) if whole >= 1.0 => d.sample(&mut rngs.seizure) as f64,
                _ => 0.0,
            };
            let delivered = (units - seized) * h;
            ledger.seized += seized * h;
            ledger.seized_cum += seized * h;
            ledger.smuggled += delivered;
            delivered_to[target * k + origin_of(c)] += delivered;
            if seized > 0.0
                && let Some(event) = log.record(t, "seizure", &routes[route].id)
            {
                event.target = index.nation_ids[target].clone();
                event.nation = index.nation_ids[routes[route].nation].clone();
                event.detail = format!("{seized} of {whole} units of {} seized", index.chip_ids[c]);
            }
        }
    }
    for b in buyers[..installers].iter_mut() {
        if b.blocked > 0.0 {
            let n = b.nation;
            for (origin, &h) in delivered_to[n * k..(n + 1) * k].iter().enumerate() {
                let got = h * b.blocked / blocked_nation[b.nation];
                b.bought[origin] += got;
                b.smuggled += got;
            }
        }
    }

    // Book what each installer received.
    let retire = 1.0 / p.lifetime_months as f64;
    for stock in ledger.smuggled_stock_by_bloc.iter_mut() {
        *stock *= 1.0 - retire;
    }
    for b in &buyers[..installers] {
        let total: f64 = b.bought.iter().sum();
        ledger.delivered_cum += total;
        for (origin, &h) in b.bought.iter().enumerate() {
            ledger.received[b.nation * k + origin] += h;
        }
        ledger.smuggled_received[b.nation] += b.smuggled;
        if let Some(side) = sides[b.nation] {
            ledger.smuggled_stock_by_bloc[side] += b.smuggled;
            ledger.new_compute_by_bloc[side] += total;
            ledger.indigenous_new_by_bloc[side] += b.bought[side];
        }
    }
    let book = |purchase: &mut Purchase, b: &Buyer| {
        purchase.want = b.want;
        purchase.bought.copy_from_slice(&b.bought);
        purchase.smuggled = b.smuggled;
    };
    let regions_buying = region_rows.len();
    for (row, b) in region_rows.into_iter().zip(&buyers) {
        book(row.1.into_inner(), b);
    }
    for ((e, _, _), b) in lab_rows.iter().zip(&buyers[regions_buying..]) {
        let (_, _, _, purchase) = labs.get_mut(*e).expect("every indexed lab exists");
        book(purchase.into_inner(), b);
    }
}

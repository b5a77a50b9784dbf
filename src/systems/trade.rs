//! Chip trade (step 3): this month's chips and the unsold stock are sold for money — providers' capex
//! and labs' own-cluster budgets — in one market per origin bloc, at the trend price (falling with
//! price-performance) times the market's mark-up.
//!
//! Each buyer's money is split over the classes it may buy by the value of each on offer, and each class
//! goes pro rata to the H100e wanted of it, within what the buyer's nation's power and import caps let it
//! install; what is left is offered again (three rounds). A sale of a controlled class to a targeted
//! nation is blocked at the control's strength. The mark-up then moves with the H100e wanted at the
//! posted price over those sold plus the stock left beyond sellers' working stock,
//! `m ← m × clamp(ratio^η_c × m^−ρ, 1/(1+δ_c), 1+δ_c)` within `[chip_markup_min, chip_markup_max]`: with
//! unit-elastic money it halves the gap each month at η_c = ½, and `ρ` returns margins toward normal
//! when the market clears (fabs then sell what sells at normal margins rather than cut prices).
//!
//! Blocked money — a buyer's money times the strongest control it meets — tries diversion: through each
//! intermediary route a smuggler buys, in the route's own nation and alongside its buyers, a LogNormal
//! volume of money around `leakage_rate × route share × blocked money / (1 + smuggling_premium)`; each
//! unit shipped on is seized once, with probability `enforcement` (Binomial), and the rest reaches the
//! blocked buyers, within what their nation's power leaves.

use crate::components::*;
use crate::parameters::Parameters;
use crate::resources::*;
use crate::scenario::SoldTo;
use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use rand_distr::{Binomial, Distribution, LogNormal};
// Buyers' receipts by origin bloc: a handful of blocs, kept inline rather than allocated per buyer.
use smallvec::{SmallVec, smallvec};

/// One buyer's month in the chip market.
struct Buyer {
    /// Nation the chips are delivered to (for a smuggler, the route's nation).
    nation: usize,
    /// USD it still has to spend.
    money: f64,
    /// H100e it may still receive legally (its nation's power and import caps).
    legal: f64,
    /// Money export controls keep from it.
    blocked: f64,
    /// H100e received by origin bloc, and what it paid.
    bought: SmallVec<[f64; 4]>,
    spend: f64,
    smuggled: f64,
    /// For a smuggler: (route, nation it ships to) and what it bought, in units by chip class.
    route: Option<(usize, usize)>,
    units: Vec<(usize, f64)>,
}

impl Buyer {
    fn new(nation: usize, money: f64, blocs: usize) -> Self {
        Buyer {
            nation,
            money,
            legal: f64::INFINITY,
            blocked: 0.0,
            bought: smallvec![0.0; blocs],
            spend: 0.0,
            smuggled: 0.0,
            route: None,
            units: Vec::new(),
        }
    }
}

/// Who buys chips: the clouds' regions, spending their providers' capex, and the labs with clusters of
/// their own.
#[derive(SystemParam)]
pub struct Buyers<'w, 's> {
    providers: Query<'w, 's, (&'static Provider, &'static ProviderBook)>,
    regions:
        Query<'w, 's, (&'static Region, &'static Capacity, &'static mut Purchase), Without<Lab>>,
    labs: Query<
        'w,
        's,
        (
            &'static Lab,
            &'static LabState,
            &'static Capacity,
            &'static mut Purchase,
        ),
        Without<Region>,
    >,
}

/// What is sold and through where: the chip classes, and the intermediary routes smugglers buy along.
#[derive(SystemParam)]
pub struct Goods<'w, 's> {
    chips: Query<'w, 's, &'static ChipClass>,
    routes: Query<'w, 's, &'static Intermediary>,
}

pub fn trade(
    month: super::Month,
    chance: super::Chance,
    mut ledger: ResMut<ChipLedger>,
    mut market: ResMut<ChipMarket>,
    mut nations: Query<(&Nation, &mut Power)>,
    buyers: Buyers,
    goods: Goods,
) {
    let (t, p) = (month.t(), month.p());
    let trend_month = month.trend_month();
    let (index, rules, sides) = (&*month.index, &*month.rules, &month.sides.0);
    let super::Chance { mut rngs, mut log } = chance;
    let Buyers {
        providers,
        mut regions,
        mut labs,
    } = buyers;
    open_month(&mut ledger, &mut market, p, (t, trend_month));
    let price = market.price.clone();
    let room_gw = power_arrives(&mut nations, t, index.nation_ids.len());

    // The buyers: regions with their providers' capex, then labs with their own clusters; the price
    // each expects (its bloc's market) turns its money into H100e for power and caps.
    let mut region_rows: Vec<RegionRow> = regions
        .iter_mut()
        .map(|(region, capacity, purchase)| RegionRow {
            idx: region.idx,
            purchase,
            provider: region.provider,
            host: region.host,
            capacity: capacity.total,
        })
        .collect();
    region_rows.sort_by_key(|r| r.idx);
    let (mut buyers, mut expected) = region_buyers(&region_rows, &providers, rules, &price, index);
    let lab_rows = lab_buyers(&labs, index, sides, &price, &mut buyers, &mut expected);
    let installers = buyers.len();
    let fit = fit_to_power(
        &mut buyers,
        &expected,
        &mut nations,
        &room_gw,
        (p, trend_month),
    );

    let mut classes: Vec<&ChipClass> = goods.chips.iter().collect();
    classes.sort_by_key(|c| c.idx);
    let sold_to_ok = |c: &ChipClass, n: usize| match c.sold_to {
        SoldTo::All => true,
        SoldTo::HomeNation => n == c.designer,
        SoldTo::HomeBloc => sides[c.designer].is_some() && sides[n] == sides[c.designer],
    };
    let k = index.blocs();
    let blocked_nation = block_controlled(&mut buyers, &classes, &ledger, rules, &sold_to_ok);
    for b in 0..k {
        market.supply[b] = classes
            .iter()
            .filter(|c| c.origin == b)
            .map(|c| ledger.stock[c.idx] * c.h100e)
            .sum();
    }
    market.sold.fill(0.0);
    market.wanted.fill(0.0);
    let mut routes: Vec<&Intermediary> = goods.routes.iter().collect();
    routes.sort_by_key(|r| r.idx);
    add_smugglers(
        &mut buyers,
        (&routes, k),
        &blocked_nation,
        &fit,
        p,
        &mut rngs.smuggling,
    );
    cap_imports(&mut buyers, rules, &ledger, &price);

    // The sale, of the classes with stock (most of the roadmap is not yet made, or sold out).
    let on_sale: Vec<&ChipClass> = classes
        .iter()
        .copied()
        .filter(|c| ledger.stock[c.idx] > 0.0)
        .collect();
    sell(
        &on_sale,
        &mut buyers,
        &mut ledger,
        &mut market,
        rules,
        p,
        &sold_to_ok,
    );
    move_markups(&mut market, &classes, &ledger, p);
    // Fabs watch recent sales: an exponential average over about three months.
    let ChipLedger {
        sold_recently,
        sold_last_month,
        ..
    } = &mut *ledger;
    for (recent, &sold) in sold_recently.iter_mut().zip(sold_last_month.iter()) {
        *recent += (sold - *recent) / 3.0;
    }

    let (installing, smugglers) = buyers.split_at_mut(installers);
    let shipment = Shipment {
        routes: &routes,
        classes: &classes,
        price: &price,
        t,
    };
    let smuggled_value = ship_smuggled(
        smugglers,
        &shipment,
        index,
        &mut ledger,
        &mut rngs,
        &mut log,
    );
    deliver_smuggled(installing, &smuggled_value.1, &blocked_nation, k);
    book_installed(
        installing,
        &mut ledger,
        &mut market,
        sides,
        smuggled_value.0,
        p,
    );
    record_purchases(region_rows, &lab_rows, installing, &mut labs);
}

/// A region buying chips, in the order of the regions' ids.
struct RegionRow<'a> {
    idx: usize,
    purchase: Mut<'a, Purchase>,
    provider: usize,
    host: usize,
    /// H100e installed.
    capacity: f64,
}

/// The month's books opened: the month's flows reset (the year's receipts in January) and the markets'
/// prices posted, the trend price times each market's mark-up.
fn open_month(
    ledger: &mut ChipLedger,
    market: &mut ChipMarket,
    p: &Parameters,
    (t, trend_month): (u32, u32),
) {
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
    let trend = p.chip_trend_price(trend_month);
    for (price, markup) in market.price.iter_mut().zip(&market.markup) {
        *price = trend * markup;
    }
}

/// Power arrives (from the second month: the first month's is the scenario's). Returns each nation's
/// room left, in GW.
fn power_arrives(nations: &mut Query<(&Nation, &mut Power)>, t: u32, nn: usize) -> Vec<f64> {
    let mut room_gw = vec![0.0; nn];
    for (nation, mut power) in nations.iter_mut() {
        if t > 0 {
            let arrived = power.on_order.pop_front().unwrap_or(0.0);
            power.on_order.push_back(0.0);
            power.capacity_gw += power.build_gw_yr / 12.0 + arrived;
        }
        room_gw[nation.idx] = (power.capacity_gw - power.in_use_gw).max(0.0);
    }
    room_gw
}

/// Providers spend a twelfth of their capex, over their open regions by size (plus
/// [`NEW_REGION_WEIGHT`] of the mean region, so that a provider can grow where it is new). Returns a
/// buyer per region, and the price each expects: its provider's bloc's market.
fn region_buyers(
    rows: &[RegionRow],
    providers: &Query<(&Provider, &ProviderBook)>,
    rules: &Rules,
    price: &[f64],
    index: &WorldIndex,
) -> (Vec<Buyer>, Vec<f64>) {
    let (np, k) = (index.provider_ids.len(), index.blocs());
    let mean_region = rows.iter().map(|r| r.capacity).sum::<f64>() / rows.len().max(1) as f64;
    let region_weight = |cap: f64| cap + NEW_REGION_WEIGHT * mean_region;
    let mut provider_weight = vec![0.0; np];
    for r in rows {
        if !rules.is_closed(r.provider, r.host) {
            provider_weight[r.provider] += region_weight(r.capacity);
        }
    }
    let mut provider_money = vec![0.0; np];
    let mut provider_bloc = vec![0; np];
    for (provider, book) in providers {
        provider_money[provider.idx] = book.capex / 12.0;
        provider_bloc[provider.idx] = provider.bloc;
    }
    let mut buyers: Vec<Buyer> = Vec::with_capacity(rows.len());
    let mut expected: Vec<f64> = Vec::with_capacity(rows.len());
    for r in rows {
        let money = if rules.is_closed(r.provider, r.host) || provider_weight[r.provider] <= 0.0 {
            0.0
        } else {
            provider_money[r.provider] * region_weight(r.capacity) / provider_weight[r.provider]
        };
        buyers.push(Buyer::new(r.host, money, k));
        expected.push(price[provider_bloc[r.provider]]);
    }
    (buyers, expected)
}

/// Labs with their own clusters spend their own share of the budget; they expect their side's market's
/// price. Returns the labs, in the order of their buyers.
fn lab_buyers(
    labs: &Query<(&Lab, &LabState, &Capacity, &mut Purchase), Without<Region>>,
    index: &WorldIndex,
    sides: &[Option<usize>],
    price: &[f64],
    buyers: &mut Vec<Buyer>,
    expected: &mut Vec<f64>,
) -> Vec<Entity> {
    let k = index.blocs();
    let mut rows: Vec<Entity> = Vec::with_capacity(index.own_cluster_labs.len());
    for &e in &index.own_cluster_labs {
        let (lab, state, _, _) = labs.get(e).expect("every indexed lab exists");
        buyers.push(Buyer::new(
            lab.nation,
            lab.own_share * state.budget / 12.0,
            k,
        ));
        expected.push(price[sides[lab.nation].unwrap_or(0).min(k - 1)]);
        rows.push(e);
    }
    rows
}

/// What each nation's buyers want, in H100e at the prices they expect, and the H100e its power has
/// room for.
struct PowerFit {
    want: Vec<f64>,
    room: Vec<f64>,
}

/// Power: what a nation's buyers want, at this month's watts per H100e, within the room it has. The
/// money power keeps from chips would build datacentres instead, at `facility_usd_per_w` (the capacity
/// system orders them); a buyer's money and legal H100e shrink to its share of the room.
fn fit_to_power(
    buyers: &mut [Buyer],
    expected: &[f64],
    nations: &mut Query<(&Nation, &mut Power)>,
    room_gw: &[f64],
    (p, trend_month): (&Parameters, u32),
) -> PowerFit {
    let nn = room_gw.len();
    let watts = p.watts_at(trend_month as i32);
    let mut want = vec![0.0; nn];
    let mut money = vec![0.0; nn];
    for (b, &x) in buyers.iter().zip(expected) {
        want[b.nation] += b.money / x;
        money[b.nation] += b.money;
    }
    let mut room = vec![0.0; nn];
    for (nation, mut power) in nations.iter_mut() {
        let n = nation.idx;
        let wanted = want[n] * watts / 1e9;
        if power.wanted_gw > 0.0 && wanted > 0.0 {
            power.wanted_growth = smoothed_growth(power.wanted_growth, wanted / power.wanted_gw);
        }
        power.wanted_gw = wanted;
        room[n] = room_gw[n] * 1e9 / watts;
        power.funded_gw = if want[n] > room[n] {
            money[n] * (1.0 - room[n] / want[n]) / (p.facility_usd_per_w * 1e9)
        } else {
            0.0
        };
    }
    for (b, &x) in buyers.iter_mut().zip(expected) {
        let n = b.nation;
        if want[n] > room[n] {
            b.legal = b.money / x * room[n] / want[n];
            // What power keeps from it goes to datacentres, or is not spent.
            b.money *= room[n] / want[n];
        }
    }
    PowerFit { want, room }
}

/// What export controls keep from each buyer: its money times the strongest control on a class on sale
/// that it may otherwise buy. Returns the money blocked in each nation.
fn block_controlled(
    buyers: &mut [Buyer],
    classes: &[&ChipClass],
    ledger: &ChipLedger,
    rules: &Rules,
    sold_to_ok: &dyn Fn(&ChipClass, usize) -> bool,
) -> Vec<f64> {
    let mut blocked_nation = vec![0.0; rules.under_chip_control.len()];
    for b in buyers.iter_mut() {
        let block = classes
            .iter()
            .filter(|c| ledger.stock[c.idx] > 0.0 && sold_to_ok(c, b.nation))
            .map(|c| rules.chip_block.get(c.idx, b.nation))
            .fold(0.0, f64::max);
        b.blocked = b.money * block;
        blocked_nation[b.nation] += b.blocked;
    }
    blocked_nation
}

/// Smugglers: one buyer per (blocked nation, route), in the route's nation, buying alongside the
/// others a LogNormal volume of money around `leakage_rate × route share × blocked money / (1 +
/// smuggling_premium)`, for what the blocked nation's power leaves after its own buyers' wants.
fn add_smugglers(
    buyers: &mut Vec<Buyer>,
    (routes, k): (&[&Intermediary], usize),
    blocked_nation: &[f64],
    fit: &PowerFit,
    p: &Parameters,
    rng: &mut impl rand::Rng,
) {
    for (n, &blocked) in blocked_nation.iter().enumerate() {
        if blocked <= 0.0 {
            continue;
        }
        let budget = blocked / (1.0 + p.smuggling_premium);
        let room_left = (fit.room[n] - fit.want[n]).max(0.0);
        for route in routes {
            let mean = route.leakage_rate * route.share * budget;
            if mean <= 0.0 || route.nation == n {
                continue;
            }
            let sigma = p.smuggling_sigma;
            let volume = match LogNormal::new(mean.ln() - sigma * sigma / 2.0, sigma) {
                Ok(d) if sigma > 0.0 => d.sample(rng),
                _ => mean,
            };
            let mut smuggler = Buyer::new(route.nation, volume.min(budget), k);
            smuggler.legal = room_left * route.share;
            smuggler.route = Some((route.idx, n));
            buyers.push(smuggler);
        }
    }
}

/// Import caps on legal receipts, per nation, over the calendar year: they bind everyone who buys
/// there, smugglers included (they buy legally where they sit).
fn cap_imports(buyers: &mut [Buyer], rules: &Rules, ledger: &ChipLedger, price: &[f64]) {
    let cheapest = price.iter().copied().fold(f64::INFINITY, f64::min);
    for (n, cap) in rules.import_cap.iter().enumerate() {
        let Some(cap) = *cap else {
            continue;
        };
        let left = (cap - ledger.received_this_year[n]).max(0.0);
        let wanted: f64 = buyers
            .iter()
            .filter(|b| b.nation == n)
            .map(|b| b.legal.min(b.money / cheapest))
            .sum();
        if wanted > left {
            for b in buyers.iter_mut().filter(|b| b.nation == n) {
                b.legal = b.legal.min(b.money / cheapest) * left / wanted;
            }
        }
    }
}

/// The markets' mark-ups move with the H100e wanted at the posted price over those sold plus the stock
/// left beyond the `max_stock_months` of sales sellers keep: up when buyers wanted more than there was,
/// down when chips are left over; when the market clears they return toward normal margins (a mark-up
/// of 1).
fn move_markups(
    market: &mut ChipMarket,
    classes: &[&ChipClass],
    ledger: &ChipLedger,
    p: &Parameters,
) {
    let k = market.markup.len();
    let mut left = vec![0.0; k];
    for c in classes {
        left[c.origin] += ledger.stock[c.idx] * c.h100e;
    }
    for (b, &left) in left.iter().enumerate() {
        let excess = (left - p.max_stock_months * market.sold[b]).max(0.0);
        let offered = market.sold[b] + excess;
        let ratio = if offered > 0.0 {
            market.wanted[b] / offered
        } else if market.wanted[b] > 0.0 {
            f64::INFINITY
        } else {
            1.0
        };
        market.markup[b] = reference_markup(market.markup[b], ratio, p);
    }
}

/// What smuggled chips are shipped along and valued at.
struct Shipment<'a> {
    routes: &'a [&'a Intermediary],
    classes: &'a [&'a ChipClass],
    price: &'a [f64],
    t: u32,
}

/// Smuggled chips are shipped on: each unit is seized once, with the route's `enforcement` probability
/// (Binomial). Returns the value of what got through, and the H100e delivered by [nation × origin
/// bloc].
fn ship_smuggled(
    smugglers: &[Buyer],
    shipment: &Shipment,
    index: &WorldIndex,
    ledger: &mut ChipLedger,
    rngs: &mut Rngs,
    log: &mut EventLog,
) -> (f64, Vec<f64>) {
    let (nn, k) = (index.nation_ids.len(), index.blocs());
    let Shipment {
        routes,
        classes,
        price,
        t,
    } = *shipment;
    let origin_of = |c: usize| classes.iter().find(|x| x.idx == c).map_or(0, |x| x.origin);
    let mut delivered_to = vec![0.0; nn * k];
    let mut smuggled_value = 0.0;
    for b in smugglers {
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
            smuggled_value += delivered * price[origin_of(c)];
            if seized > 0.0
                && let Some(event) = log.record(t, EventKind::Seizure, &routes[route].id)
            {
                event.target = index.nation_ids[target].clone();
                event.nation = index.nation_ids[routes[route].nation].clone();
                event.detail = format!("{seized} of {whole} units of {} seized", index.chip_ids[c]);
            }
        }
    }
    (smuggled_value, delivered_to)
}

/// What got through reaches the blocked buyers of each nation, pro rata to the money blocked.
fn deliver_smuggled(
    installers: &mut [Buyer],
    delivered_to: &[f64],
    blocked_nation: &[f64],
    k: usize,
) {
    for b in installers.iter_mut() {
        if b.blocked > 0.0 {
            let n = b.nation;
            for (origin, &h) in delivered_to[n * k..(n + 1) * k].iter().enumerate() {
                let got = h * b.blocked / blocked_nation[b.nation];
                b.bought[origin] += got;
                b.smuggled += got;
            }
        }
    }
}

/// Books what each installer received, and what was paid for the chips installed (smuggled chips at
/// their value); smuggled stock in service retires at 1/lifetime a month.
fn book_installed(
    installers: &[Buyer],
    ledger: &mut ChipLedger,
    market: &mut ChipMarket,
    sides: &[Option<usize>],
    smuggled_value: f64,
    p: &Parameters,
) {
    let k = market.markup.len();
    let retire = 1.0 / p.lifetime_months as f64;
    for stock in ledger.smuggled_stock_by_bloc.iter_mut() {
        *stock *= 1.0 - retire;
    }
    market.spend = smuggled_value;
    market.installed = 0.0;
    for b in installers {
        let total: f64 = b.bought.iter().sum();
        ledger.delivered_cum += total;
        market.spend += b.spend;
        market.installed += total;
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
}

/// Each region's and own-cluster lab's purchase this month: the money it offered, what it left
/// unspent, what it received (smuggled included) and paid.
fn record_purchases(
    regions: Vec<RegionRow>,
    labs_buying: &[Entity],
    installers: &[Buyer],
    labs: &mut Query<(&Lab, &LabState, &Capacity, &mut Purchase), Without<Region>>,
) {
    let book = |purchase: &mut Purchase, b: &Buyer| {
        purchase.money = b.money + b.spend;
        purchase.unspent = b.money;
        purchase.bought.copy_from_slice(&b.bought);
        purchase.smuggled = b.smuggled;
        purchase.spend = b.spend;
    };
    let regions_buying = regions.len();
    for (row, b) in regions.into_iter().zip(installers) {
        book(row.purchase.into_inner(), b);
    }
    for (e, b) in labs_buying.iter().zip(&installers[regions_buying..]) {
        let (_, _, _, purchase) = labs.get_mut(*e).expect("every indexed lab exists");
        book(purchase.into_inner(), b);
    }
}

/// A market's mark-up after a month in which `ratio` H100e were wanted per H100e on offer:
/// `m × clamp(ratio^η_c × m^−ρ, 1/(1 + δ_c), 1 + δ_c)`, within `[chip_markup_min, chip_markup_max]`,
/// where `ρ = chip_markup_reversion` pulls margins back toward normal (1) when the market clears.
pub fn reference_markup(markup: f64, ratio: f64, p: &Parameters) -> f64 {
    let step = (ratio.powf(p.chip_eta) * markup.powf(-p.chip_markup_reversion))
        .clamp(1.0 / (1.0 + p.chip_step_max), 1.0 + p.chip_step_max);
    (markup * step).clamp(p.chip_markup_min, p.chip_markup_max)
}

/// A provider's capex goes to its open regions by size, each counted this share of the mean region
/// larger, so that a provider can grow where it is new or small.
const NEW_REGION_WEIGHT: f64 = 0.05;

/// Rounds in which stock left unsold is offered again to the money left (as the compute market re-offers
/// unmet demand): a buyer whose share of one class was short spends the rest on others.
const SALE_ROUNDS: usize = 3;

/// Sells the stock of every class to `buyers`. Within a round, each buyer splits its money over the
/// classes it may buy in proportion to the value on offer of each (stock × its market's price, open
/// share after controls, weighted down by secondary sanctions), within its legal room; each class goes
/// pro rata to the H100e wanted of it. Classes of one market cost the same per H100e, so no class is
/// preferred: what one buyer may not buy, or what is left after a round, goes to the others. A smuggler
/// seeks only the classes controlled toward the nation it ships to. Sales are booked in the ledger and
/// the market.
fn sell(
    classes: &[&ChipClass],
    buyers: &mut [Buyer],
    ledger: &mut ChipLedger,
    market: &mut ChipMarket,
    rules: &Rules,
    p: &Parameters,
    sold_to_ok: &dyn Fn(&ChipClass, usize) -> bool,
) {
    let nc = classes.len();
    // [buyer × class]: how much a buyer may take of a class, as a share (0 where it may not buy it).
    // A buyer's share depends on its nation alone unless it smuggles, so each nation's row is worked
    // out once and copied (a nation has many regions and labs buying).
    let nations = ledger.received_this_year.len();
    let share_of = |c: &ChipClass, nation: usize, wanted: bool| {
        let share = 1.0 - rules.chip_block.get(c.idx, nation);
        if wanted && share > 0.0 {
            share / (1.0 + p.sanction_premium * rules.chip_sanction.get(c.idx, nation))
        } else {
            0.0
        }
    };
    let mut by_nation: Vec<Option<usize>> = vec![None; nations];
    let mut open = vec![0.0; buyers.len() * nc];
    for (bi, b) in buyers.iter().enumerate() {
        match b.route {
            Some((_, target)) => {
                for (ci, c) in classes.iter().enumerate() {
                    let wanted = rules.chip_block.get(c.idx, target) > 0.0 && sold_to_ok(c, target);
                    open[bi * nc + ci] = share_of(c, b.nation, wanted);
                }
            }
            None => match by_nation[b.nation] {
                Some(first) => open.copy_within(first * nc..(first + 1) * nc, bi * nc),
                None => {
                    for (ci, c) in classes.iter().enumerate() {
                        open[bi * nc + ci] = share_of(c, b.nation, sold_to_ok(c, b.nation));
                    }
                    by_nation[b.nation] = Some(bi);
                }
            },
        }
    }
    let mut want = vec![0.0; buyers.len() * nc];
    let mut total = vec![0.0; nc];
    // Each class's H100e on offer, and their value at its price, as the round starts.
    let mut offered = vec![0.0; nc];
    let mut offered_value = vec![0.0; nc];
    for round in 0..SALE_ROUNDS {
        for (ci, c) in classes.iter().enumerate() {
            offered[ci] = ledger.stock[c.idx] * c.h100e;
            offered_value[ci] = offered[ci] * market.price[c.origin];
        }
        // Each buyer's split of its money, as H100e wanted of each class.
        total.fill(0.0);
        for (bi, b) in buyers.iter_mut().enumerate() {
            let row = &mut want[bi * nc..(bi + 1) * nc];
            if b.money <= 0.0 || b.legal <= 0.0 {
                row.fill(0.0);
                continue;
            }
            let open = &open[bi * nc..(bi + 1) * nc];
            let mut value = 0.0;
            for (v, o) in offered_value.iter().zip(open) {
                value += v * o;
            }
            if value <= 0.0 {
                row.fill(0.0);
                continue;
            }
            let mut h100e = 0.0;
            for ((w, supply), o) in row.iter_mut().zip(&offered).zip(open) {
                // USD for this class, over its price: H100e.
                *w = b.money * (supply * o) / value;
                h100e += *w;
            }
            if h100e > b.legal {
                for w in row.iter_mut() {
                    *w *= b.legal / h100e;
                }
            }
            for (t, w) in total.iter_mut().zip(row.iter()) {
                *t += w;
            }
        }
        if round == 0 {
            // What the market saw wanted at its price: the mark-up's signal.
            for (ci, c) in classes.iter().enumerate() {
                market.wanted[c.origin] += total[ci];
            }
        }
        let mut any = false;
        for (ci, c) in classes.iter().enumerate() {
            // Still the class's stock: a class's stock changes only here, once its buyers are served.
            let supply = offered[ci];
            if total[ci] <= 0.0 || supply <= 0.0 {
                continue;
            }
            let price = market.price[c.origin];
            let ratio = (supply / total[ci]).min(1.0);
            let mut sold = 0.0;
            for (bi, b) in buyers.iter_mut().enumerate() {
                let got = want[bi * nc + ci] * ratio;
                if got <= 0.0 {
                    continue;
                }
                b.legal -= got;
                b.money = (b.money - got * price).max(0.0);
                b.spend += got * price;
                ledger.received_this_year[b.nation] += got;
                if b.route.is_some() {
                    b.units.push((c.idx, got / c.h100e));
                } else {
                    b.bought[c.origin] += got;
                }
                sold += got;
            }
            any |= sold > 0.0;
            ledger.stock[c.idx] = (ledger.stock[c.idx] - sold / c.h100e).max(0.0);
            ledger.sold_last_month[c.idx] += sold / c.h100e;
            market.sold[c.origin] += sold;
        }
        if !any {
            break;
        }
    }
}

/// The growth a builder plans with: a geometric average over about a year of the monthly ratios, each
/// held within ±10 % a month so that one month's jump (a ban, a new chip generation) does not drive it.
pub fn smoothed_growth(trend: f64, ratio: f64) -> f64 {
    const WEIGHT: f64 = 1.0 / 12.0;
    let trend = if trend > 0.0 { trend } else { 1.0 };
    trend.powf(1.0 - WEIGHT) * ratio.clamp(1.0 / 1.1, 1.1).powf(WEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(idx: usize, origin: usize, h100e: f64) -> ChipClass {
        ChipClass {
            idx,
            id: format!("chip{idx}"),
            designer: origin,
            origin,
            h100e,
            hbm_stacks: 0.0,
            available: 0,
            until: None,
            sold_to: SoldTo::All,
            fab_nations: Vec::new(),
        }
    }

    /// A market of `classes` with `stock` units each, at a price of 1 USD per H100e in every bloc, for
    /// two nations and two blocs.
    fn setup(classes: &[ChipClass], stock: &[f64]) -> (ChipLedger, ChipMarket, Rules) {
        let ledger = ChipLedger {
            stock: stock.to_vec(),
            sold_last_month: vec![0.0; classes.len()],
            received_this_year: vec![0.0; 2],
            ..Default::default()
        };
        let market = ChipMarket {
            price: vec![1.0; 2],
            sold: vec![0.0; 2],
            wanted: vec![0.0; 2],
            ..Default::default()
        };
        (ledger, market, Rules::new(classes.len(), 2, 0, 0))
    }

    fn sell_all(
        classes: &[ChipClass],
        buyers: &mut [Buyer],
        ledger: &mut ChipLedger,
        market: &mut ChipMarket,
        rules: &Rules,
    ) {
        let refs: Vec<&ChipClass> = classes.iter().collect();
        sell(
            &refs,
            buyers,
            ledger,
            market,
            rules,
            &Parameters::default(),
            &|_, _| true,
        );
    }

    #[test]
    fn scarce_chips_go_pro_rata_to_the_money_wanting_them() {
        let classes = [class(0, 0, 1.0)];
        let (mut ledger, mut market, rules) = setup(&classes, &[10.0]);
        let mut buyers = vec![Buyer::new(0, 12.0, 2), Buyer::new(1, 4.0, 2)];
        sell_all(&classes, &mut buyers, &mut ledger, &mut market, &rules);
        // 16 H100e wanted of 10: three quarters to the first buyer, a quarter to the second.
        assert!((buyers[0].bought[0] - 7.5).abs() < 1e-9);
        assert!((buyers[1].bought[0] - 2.5).abs() < 1e-9);
        assert!(ledger.stock[0].abs() < 1e-9);
        assert!((market.sold[0] - 10.0).abs() < 1e-9);
        assert!(
            (market.wanted[0] - 16.0).abs() < 1e-9,
            "the mark-up's signal"
        );
        // Money is spent at the price and not beyond.
        assert!((buyers[0].spend - 7.5).abs() < 1e-9 && (buyers[0].money - 4.5).abs() < 1e-9);
    }

    #[test]
    fn a_buyer_short_of_one_class_spends_the_rest_on_others_in_later_rounds() {
        let classes = [class(0, 0, 1.0), class(1, 0, 1.0)];
        let (mut ledger, mut market, rules) = setup(&classes, &[5.0, 20.0]);
        // Nation 0's buyer may buy only class 0; nation 1's either.
        let mut buyers = vec![Buyer::new(0, 10.0, 2), Buyer::new(1, 10.0, 2)];
        let refs: Vec<&ChipClass> = classes.iter().collect();
        sell(
            &refs,
            &mut buyers,
            &mut ledger,
            &mut market,
            &rules,
            &Parameters::default(),
            &|c: &ChipClass, n: usize| n == 1 || c.idx == 0,
        );
        // Class 0 is short and rationed pro rata; what the second buyer could not get of it, it
        // spends on class 1 in the next round, so all its money buys chips.
        assert!((buyers[1].spend - 10.0).abs() < 1e-9, "{}", buyers[1].spend);
        assert!(ledger.stock[0].abs() < 1e-9, "class 0 sold out");
        // What was bought is what left the stock.
        let sold = 25.0 - ledger.stock[0] - ledger.stock[1];
        assert!((buyers[0].bought[0] + buyers[1].bought[0] - sold).abs() < 1e-9);
        // The first buyer got most of class 0, and within its money.
        assert!(buyers[0].bought[0] > 4.0 && buyers[0].bought[0] <= 5.0);
        // A buyer never takes more than its nation's power lets it install.
        let (mut ledger, mut market, rules) = setup(&classes, &[50.0, 50.0]);
        let mut capped = Buyer::new(0, 100.0, 2);
        capped.legal = 2.0;
        let mut buyers = vec![capped];
        sell_all(&classes, &mut buyers, &mut ledger, &mut market, &rules);
        assert!((buyers[0].bought[0] - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_controlled_class_is_blocked_to_its_targets_at_the_controls_strength() {
        let classes = [class(0, 0, 2.0)];
        let (mut ledger, mut market, mut rules) = setup(&classes, &[100.0]);
        // Nation 1 may buy only 30 % of what it otherwise would of class 0.
        rules.chip_block.raise(0, 1, 0.7);
        let mut buyers = vec![Buyer::new(1, 10.0, 2)];
        sell_all(&classes, &mut buyers, &mut ledger, &mut market, &rules);
        assert!(buyers[0].bought[0] > 0.0);
        let mut free = vec![Buyer::new(0, 10.0, 2)];
        let (mut ledger, mut market, rules) = setup(&classes, &[100.0]);
        sell_all(&classes, &mut free, &mut ledger, &mut market, &rules);
        assert!(
            (free[0].bought[0] - 10.0).abs() < 1e-9,
            "unblocked: all its money"
        );
        // Fully blocked: nothing at all, and its money is left.
        let (mut ledger, mut market, mut rules) = setup(&classes, &[100.0]);
        rules.chip_block.raise(0, 1, 1.0);
        let mut blocked = vec![Buyer::new(1, 10.0, 2)];
        sell_all(&classes, &mut blocked, &mut ledger, &mut market, &rules);
        assert_eq!(blocked[0].bought[0], 0.0);
        assert_eq!(blocked[0].money, 10.0);
    }

    #[test]
    fn a_smuggler_seeks_only_the_classes_controlled_toward_where_it_ships() {
        let classes = [class(0, 0, 1.0), class(1, 0, 1.0)];
        let (mut ledger, mut market, mut rules) = setup(&classes, &[50.0, 50.0]);
        rules.chip_block.raise(1, 1, 1.0);
        let mut smuggler = Buyer::new(0, 10.0, 2);
        smuggler.route = Some((0, 1));
        let mut buyers = vec![smuggler];
        sell_all(&classes, &mut buyers, &mut ledger, &mut market, &rules);
        let units: f64 = buyers[0].units.iter().map(|(_, u)| u).sum();
        assert!((units - 10.0).abs() < 1e-9);
        assert!(buyers[0].units.iter().all(|&(c, _)| c == 1));
        assert_eq!(
            buyers[0].bought[0], 0.0,
            "smuggled chips are shipped on, not installed"
        );
    }

    #[test]
    fn mark_ups_rise_when_buyers_want_more_than_there_is_and_fall_toward_normal_when_they_do_not() {
        let p = Parameters::default();
        let up = reference_markup(1.0, 3.0, &p);
        assert!(up > 1.0 && up <= 1.0 + p.chip_step_max + 1e-12);
        let down = reference_markup(1.0, 0.2, &p);
        assert!(down < 1.0 && down >= 1.0 / (1.0 + p.chip_step_max) - 1e-12);
        // A market that clears returns a high margin toward normal.
        let high = reference_markup(1.8, 1.0, &p);
        assert!(high < 1.8 && high > 1.0);
        // Within bounds whatever the signal.
        assert_eq!(
            reference_markup(p.chip_markup_max, f64::INFINITY, &p),
            p.chip_markup_max
        );
        assert_eq!(
            reference_markup(p.chip_markup_min, 0.0, &p),
            p.chip_markup_min
        );
    }
}

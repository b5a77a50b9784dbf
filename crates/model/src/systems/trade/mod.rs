//! Chip trade (step 3): this month's chips and the unsold stock are sold for money — providers' capex and
//! labs' own-cluster budgets — in one market per origin bloc, at the trend price (falling with
//! price-performance) times the market's mark-up.
//!
//! The month, in order:
//! - power ordered earlier arrives and the nation's buyers pay for it as it is built ([`power`]); power
//!   no one can pay for is not built;
//! - each nation's buyers may install only what its power has room for; beyond it their money is kept;
//! - buyers choose among the classes they may buy by price ([`sale`]); the money their first split puts
//!   on classes controls close to them is their blocked money;
//! - blocked buyers pay smugglers out of their own money ([`smuggling`]), who buy in the routes' nations,
//!   and hold back `1 − blocked_substitution` of the rest of their blocked money (left unspent);
//! - import caps bound what a nation's buyers (smugglers there included) receive in a calendar year;
//! - the classes are sold, scarce ones pro rata, in up to `chip_sale_rounds` rounds; what a buyer could
//!   not buy is left unspent (the money its labs or its provider's parent did not spend);
//! - each class's mark-up moves with what was wanted of it at its price (summed over the rounds) over what
//!   was on offer (sold, and stock beyond `max_stock_months` of its sales),
//!   `m ← m × clamp(ratio^η_c × m^−ρ, 1/(1+δ_c), 1+δ_c)` within `[chip_markup_min, chip_markup_max]`, so
//!   markets clear by price up to the cap and controls ration the rest; a market's mark-up is its
//!   classes', weighted by what each sold and had left;
//! - smuggled chips are shipped (seized or delivered) and every buyer's purchase is booked.
//!
//! Every USD a buyer brings is paid for datacentres, chips (to their sellers), smugglers (to the sellers
//! they buy from, and their margin), or left unspent.

mod sale;
mod smuggling;

pub use sale::reference_markup;

use super::power;
use crate::components::*;
use crate::parameters::Parameters;
use crate::resources::*;
use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use sale::{Buyer, Shelf};

/// Installs the trade submodel: the chip market (each bloc's price, mark-up, supply and sales) and its
/// system.
pub fn install(world: &mut World, setup: &super::Setup) {
    let index = world.resource::<WorldIndex>();
    let (n, k, chips) = (index.nation_ids.len(), index.blocs(), index.chip_ids.len());
    let markup: Vec<f64> = setup.scenario.bloc.iter().map(|b| b.chip_markup).collect();
    let market = ChipMarket {
        class_markup: (0..chips).map(|c| markup[index.chip_origin[c]]).collect(),
        markup,
        class_wanted: vec![0.0; chips],
        class_sold: vec![0.0; chips],
        price: vec![setup.scenario.parameters.chip_price_per_h100e; k],
        supply: vec![0.0; k],
        wanted: vec![0.0; k],
        sold: vec![0.0; k],
        spend: 0.0,
        installed: 0.0,
        installed_value: 0.0,
        datacentre_spend: 0.0,
        licence_fees: 0.0,
        licence_fees_by_nation: vec![0.0; n],
        smuggling: 0.0,
        smuggling_margin: 0.0,
    };
    world.insert_resource(market);
    super::add_systems(world, super::Submodel::Trade, trade);
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
            &'static LabBudget,
            &'static Capacity,
            &'static mut Purchase,
        ),
        Without<Region>,
    >,
}

/// What is sold and through where: the chip classes, the intermediary routes smugglers buy along, and
/// the sale's working memory (kept from month to month for its buffers).
#[derive(SystemParam)]
pub struct Goods<'w, 's> {
    chips: Query<'w, 's, &'static ChipClass>,
    routes: Query<'w, 's, &'static Intermediary>,
    scratch: Local<'s, SaleScratch>,
}

/// The sale's working memory.
#[derive(Default)]
pub struct SaleScratch(sale::Accesses);

pub fn trade(
    month: super::Month,
    chance: super::Chance,
    mut ledger: ResMut<ChipLedger>,
    mut market: ResMut<ChipMarket>,
    mut nations: Query<(&Nation, &mut Power)>,
    buyers: Buyers,
    mut goods: Goods,
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
    let nn = index.nation_ids.len();
    let k = index.blocs();
    // Import caps count a calendar year: receipts start again each January (and in a run's first month).
    let january = t == 0 || month.clock.month().month() == 1;
    open_month(&mut ledger, &mut market, p, (january, trend_month));
    let price = market.price.clone();

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
    let (mut buyers, mut expected) = region_buyers(
        &region_rows,
        &providers,
        rules,
        &price,
        (index, p.new_region_weight),
    );
    let lab_rows = lab_buyers(&labs, index, sides, &price, &mut buyers, &mut expected);
    let installers = buyers.len();

    let fit = within_power(
        &mut buyers,
        &expected,
        (&mut nations, nn),
        &mut market,
        p,
        (t, trend_month),
    );

    let mut classes: Vec<&ChipClass> = goods.chips.iter().collect();
    classes.sort_by_key(|c| c.idx);
    for b in 0..k {
        market.supply[b] = classes
            .iter()
            .filter(|c| c.origin == b)
            .map(|c| ledger.stock[c.idx] * c.h100e)
            .sum();
    }
    market.sold.fill(0.0);
    market.wanted.fill(0.0);
    market.class_sold.fill(0.0);
    market.class_wanted.fill(0.0);
    let trend = p.chip_trend_price(trend_month);
    let shelf = Shelf::new(
        &classes,
        classes.iter().map(|c| c.in_production(t as i32)).collect(),
        classes
            .iter()
            .map(|c| trend * market.class_markup[c.idx])
            .collect(),
        k,
        p.chip_beta,
    );
    let accesses = &mut goods.scratch.0;
    accesses.new_month(nn);
    sale::first_round(&shelf, &mut buyers, &ledger, accesses, (rules, sides, p));
    let mut routes: Vec<&Intermediary> = goods.routes.iter().collect();
    routes.sort_by_key(|r| r.idx);
    let room_left: Vec<f64> = (0..nn)
        .map(|n| (fit.room[n] - fit.want[n]).max(0.0))
        .collect();
    smuggling::add_smugglers(&mut buyers, &routes, &room_left, p, &mut rngs.smuggling);
    cap_imports(&mut buyers, rules, &ledger, &price);
    sale::hold_back(&mut buyers, p.blocked_substitution);
    sale::sell(
        &shelf,
        &mut buyers,
        &mut ledger,
        &mut market,
        accesses,
        (rules, sides, p),
        p.chip_sale_rounds,
    );
    sale::release_held_back(&mut buyers);
    sale::move_markups(&mut market, &classes, &ledger, p);
    remember_sales(&mut ledger, t, p);

    let (installing, smugglers) = buyers.split_at_mut(installers);
    let shipment = smuggling::Shipment {
        routes: &routes,
        classes: &classes,
        t,
    };
    let delivered = smuggling::ship(
        smugglers,
        &shipment,
        index,
        &mut ledger,
        (&mut rngs, &mut log),
    );
    smuggling::deliver(installing, &delivered);
    market.smuggling_margin = delivered.margin;
    market.smuggling = installing.iter().map(|b| b.smuggling).sum();
    book_installed(installing, &mut ledger, &mut market, sides, p);
    record_purchases(region_rows, &lab_rows, installing, &mut labs);
}

/// The nation's buyers pay for the power under construction (their datacentre spend); then each keeps of
/// its money what buys chips within the power its nation has room for ([`power::fit_to_power`]).
fn within_power(
    buyers: &mut [sale::Buyer],
    expected: &[f64],
    (nations, nn): (&mut Query<(&Nation, &mut Power)>, usize),
    market: &mut ChipMarket,
    p: &Parameters,
    (t, trend_month): (u32, u32),
) -> power::PowerFit {
    let lead = f64::from(p.dc_lead_months);
    let building = power::under_construction(nations, nn);
    let plan: Vec<f64> = buyers.iter().map(|b| b.money).collect();
    let nation: Vec<usize> = buyers.iter().map(|b| b.nation).collect();
    let (payments, paid_share) =
        power::pay_for_construction(&plan, &nation, &building, (p.facility_usd_per_w, lead));
    market.datacentre_spend = 0.0;
    for (b, pay) in buyers.iter_mut().zip(&payments) {
        let pay = pay.min(b.money);
        b.facility = pay;
        b.money -= pay;
        market.datacentre_spend += pay;
    }
    let room_gw = power::build(nations, &paid_share, (t, lead));
    let money: Vec<f64> = buyers.iter().map(|b| b.money).collect();
    let (fit, fitted) = power::fit_to_power(
        (&money, &plan, expected, &nation),
        nations,
        &room_gw,
        (p.watts_at(trend_month as i32), p.facility_usd_per_w),
        (p.power_trend_months, p.power_trend_step_max),
    );
    for (b, (money, legal)) in buyers.iter_mut().zip(fitted) {
        b.kept_by_power = b.money - money;
        b.money = money;
        b.legal = legal;
    }
    fit
}

/// Fabs watch recent sales: an exponential average over `fab_sales_memory_months` (the first month's
/// sales are the first month's average).
fn remember_sales(ledger: &mut ChipLedger, t: u32, p: &Parameters) {
    let ChipLedger {
        sold_recently,
        sold_last_month,
        ..
    } = ledger;
    for (recent, &sold) in sold_recently.iter_mut().zip(sold_last_month.iter()) {
        *recent = if t == 0 {
            sold
        } else {
            *recent + (sold - *recent) / p.fab_sales_memory_months
        };
    }
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
    (new_year, trend_month): (bool, u32),
) {
    if new_year {
        ledger.received_this_year.fill(0.0);
    }
    ledger.new_compute_by_bloc.fill(0.0);
    ledger.indigenous_new_by_bloc.fill(0.0);
    ledger.smuggled = 0.0;
    ledger.seized = 0.0;
    ledger.received.fill(0.0);
    ledger.sold_last_month.fill(0.0);
    ledger.smuggled_received.fill(0.0);
    market.spend = 0.0;
    market.licence_fees = 0.0;
    let nations = ledger.smuggled_received.len();
    market.licence_fees_by_nation.clear();
    market.licence_fees_by_nation.resize(nations, 0.0);
    let trend = p.chip_trend_price(trend_month);
    for (price, markup) in market.price.iter_mut().zip(&market.markup) {
        *price = trend * markup;
    }
}

/// Providers spend a twelfth of their capex, over their open regions by size (plus `new_region_weight`
/// of the mean region, so that a provider can grow where it is new). Returns a
/// buyer per region (headquartered in its provider's home), and the price each expects: its provider's
/// bloc's market.
fn region_buyers(
    rows: &[RegionRow],
    providers: &Query<(&Provider, &ProviderBook)>,
    rules: &Rules,
    price: &[f64],
    (index, new_region_weight): (&WorldIndex, f64),
) -> (Vec<Buyer>, Vec<f64>) {
    let (np, k) = (index.provider_ids.len(), index.blocs());
    let mean_region = rows.iter().map(|r| r.capacity).sum::<f64>() / rows.len().max(1) as f64;
    let region_weight = |cap: f64| cap + new_region_weight * mean_region;
    let mut provider_weight = vec![0.0; np];
    for r in rows {
        if !rules.is_closed(ProviderIx(r.provider), NationIx(r.host)) {
            provider_weight[r.provider] += region_weight(r.capacity);
        }
    }
    let mut provider_money = vec![0.0; np];
    let mut provider_bloc = vec![0; np];
    let mut provider_home = vec![0; np];
    for (provider, book) in providers {
        provider_money[provider.idx] = book.capex / 12.0;
        provider_bloc[provider.idx] = provider.bloc;
        provider_home[provider.idx] = provider.home;
    }
    let mut buyers: Vec<Buyer> = Vec::with_capacity(rows.len());
    let mut expected: Vec<f64> = Vec::with_capacity(rows.len());
    for r in rows {
        let money = if rules.is_closed(ProviderIx(r.provider), NationIx(r.host))
            || provider_weight[r.provider] <= 0.0
        {
            0.0
        } else {
            provider_money[r.provider] * region_weight(r.capacity) / provider_weight[r.provider]
        };
        buyers.push(Buyer::new(r.host, provider_home[r.provider], money, k));
        expected.push(price[provider_bloc[r.provider]]);
    }
    (buyers, expected)
}

/// Labs with their own clusters spend their own share of the budget; they expect their side's market's
/// price. Returns the labs, in the order of their buyers.
fn lab_buyers(
    labs: &Query<(&Lab, &LabBudget, &Capacity, &mut Purchase), Without<Region>>,
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
            lab.nation,
            lab.own_share * state.budget / 12.0,
            k,
        ));
        expected.push(price[sides[lab.nation].unwrap_or(0).min(k - 1)]);
        rows.push(e);
    }
    rows
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

/// Books what each installer received and paid; smuggled stock in service retires at 1/lifetime a
/// month.
fn book_installed(
    installers: &[Buyer],
    ledger: &mut ChipLedger,
    market: &mut ChipMarket,
    sides: &[Option<usize>],
    p: &Parameters,
) {
    let retire = 1.0 / p.lifetime_months as f64;
    for stock in ledger.smuggled_stock_by_bloc.iter_mut() {
        *stock *= 1.0 - retire;
    }
    market.installed = 0.0;
    market.installed_value = 0.0;
    for b in installers {
        let total: f64 = b.bought.iter().sum();
        ledger.delivered_cum += total;
        market.installed += total;
        market.installed_value += b.chips + b.smuggling;
        for (origin, &h) in b.bought.iter().enumerate() {
            ledger.received.add(NationIx(b.nation), BlocIx(origin), h);
        }
        ledger.smuggled_received[b.nation] += b.smuggled;
        if let Some(side) = sides[b.nation] {
            ledger.smuggled_stock_by_bloc[side] += b.smuggled;
            ledger.new_compute_by_bloc[side] += total;
            ledger.indigenous_new_by_bloc[side] += b.bought[side];
        }
    }
}

/// Each region's and own-cluster lab's purchase this month: the money it brought and where it went —
/// datacentres, chips, smugglers, or unspent — and what it received (smuggled included).
fn record_purchases(
    regions: Vec<RegionRow>,
    labs_buying: &[Entity],
    installers: &[Buyer],
    labs: &mut Query<(&Lab, &LabBudget, &Capacity, &mut Purchase), Without<Region>>,
) {
    let book = |purchase: &mut Purchase, b: &Buyer| {
        purchase.money = b.offered;
        purchase.facility = b.facility;
        purchase.chips = b.chips;
        purchase.smuggling = b.smuggling;
        purchase.unspent = (b.money + b.kept_by_power).max(0.0);
        purchase.bought.copy_from_slice(&b.bought);
        purchase.smuggled = b.smuggled;
        purchase.spend = b.chips + b.smuggling;
        debug_assert!(
            (purchase.money
                - purchase.facility
                - purchase.chips
                - purchase.smuggling
                - purchase.unspent)
                .abs()
                <= 1e-6 * purchase.money.max(1.0),
            "a buyer's books close"
        );
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

#[cfg(test)]
mod tests;

//! Capacity (step 4): regions and labs' own clusters install what they bought as this month's vintage,
//! drawing this month's watts per H100e; vintages older than `lifetime_months` retire; a region in a
//! nation where its provider is banned or closed is frozen (its capacity stays installed, and draws
//! power, but cannot be used).
//!
//! Once the month's chips are installed, each nation orders the power it will need after the lead time
//! ([`super::power::order`]).

use crate::components::*;
use crate::resources::{NationIx, ProviderIx, TypedGrid};
use bevy_ecs::prelude::*;

/// Installs the capacity submodel: its system (each region's capacity is its own state).
pub fn install(world: &mut World) {
    super::add_systems(world, super::Submodel::Capacity, capacity);
}

/// Whether there is nothing to install, retire or recount: most labs own no cluster and buy nothing.
fn idle(capacity: &Capacity, purchase: &Purchase) -> bool {
    capacity.vintages.is_empty() && purchase.bought.iter().all(|&h| h <= 0.0)
}

/// Installs this month's purchases at `watts` per H100e, valued at what was paid for them, and retires
/// worn-out vintages; updates totals.
pub fn install_purchase(
    capacity: &mut Capacity,
    purchase: &Purchase,
    month: i32,
    lifetime: i32,
    watts: f64,
) {
    if idle(capacity, purchase) {
        return;
    }
    let bought: f64 = purchase.bought.iter().sum();
    let price = if bought > 0.0 {
        purchase.spend / bought
    } else {
        0.0
    };
    for (origin, &h) in purchase.bought.iter().enumerate() {
        if h > 0.0 {
            capacity.vintages.push_back(Vintage {
                month,
                h100e: h,
                origin,
                watts,
                price,
            });
            capacity.by_origin[origin] += h;
            capacity.watts += h * watts;
            capacity.capital += h * price;
        }
    }
    // Totals follow what comes and goes rather than being summed over every vintage each month.
    while let Some(v) = capacity
        .vintages
        .front()
        .filter(|v| v.month <= month - lifetime)
        .copied()
    {
        capacity.vintages.pop_front();
        capacity.by_origin[v.origin] -= v.h100e;
        capacity.watts -= v.h100e * v.watts;
        capacity.capital -= v.h100e * v.price;
    }
    if capacity.vintages.is_empty() {
        // Exactly nothing left, whatever rounding the subtractions left behind.
        capacity.by_origin.fill(0.0);
        capacity.watts = 0.0;
        capacity.capital = 0.0;
    }
    for x in capacity.by_origin.iter_mut() {
        *x = x.max(0.0);
    }
    capacity.watts = capacity.watts.max(0.0);
    capacity.capital = capacity.capital.max(0.0);
    capacity.total = capacity.by_origin.iter().sum();
}

pub fn capacity(
    month: super::Month,
    mut regions: Query<(&mut Region, &mut Capacity, &Purchase), Without<Lab>>,
    mut labs: Query<(&Lab, &mut Capacity, &Purchase), Without<Region>>,
    mut providers: Query<(&Provider, &mut ProviderBook)>,
    mut nations: Query<(&Nation, &mut Power)>,
) {
    let (p, rules, index) = (month.p(), &month.rules, &month.index);
    let watts = p.watts_at(month.trend_month() as i32);
    let month = month.t() as i32;
    let lifetime = p.lifetime_months as i32;
    let mut open = vec![0.0; providers.iter().len()];
    let mut frozen = vec![0.0; open.len()];
    let mut frozen_regions = vec![0u32; open.len()];
    let nn = nations.iter().len();
    let mut by_host: TypedGrid<ProviderIx, NationIx> = TypedGrid::new(open.len(), nn, 0.0);
    let mut drawn = vec![0.0; nn];
    let mut electricity = vec![0.0; nn];
    for (nation, _) in nations.iter() {
        electricity[nation.idx] = nation.electricity_usd_kwh;
    }
    // Per provider: its open regions' capital, watts and electricity bill, and this month's books.
    let mut books = vec![ProviderSums::default(); open.len()];
    for (mut region, mut capacity, purchase) in regions.iter_mut() {
        install_purchase(&mut capacity, purchase, month, lifetime, watts);
        drawn[region.host] += capacity.watts;
        region.frozen = rules.is_closed(ProviderIx(region.provider), NationIx(region.host));
        let sums = &mut books[region.provider];
        sums.chip_spend += purchase.spend;
        sums.datacentre_spend += purchase.facility;
        sums.unspent += purchase.unspent;
        if region.frozen {
            frozen[region.provider] += capacity.total;
            frozen_regions[region.provider] += 1;
        } else {
            open[region.provider] += capacity.total;
            by_host.add(
                ProviderIx(region.provider),
                NationIx(region.host),
                capacity.total,
            );
            sums.capital += capacity.capital;
            sums.watts += capacity.watts;
            sums.electricity += capacity.watts * electricity[region.host];
        }
    }
    // Only the labs that can hold chips have clusters to tend: a million startups renting their compute
    // are not walked.
    let mut holders = labs.iter_many_mut(&index.chip_holding_labs);
    while let Some(holder) = holders.fetch_next() {
        let (lab, capacity, purchase) = holder.expect("every indexed lab exists");
        // Checked before borrowing mutably, so that idle labs' clusters are not marked changed.
        if !idle(&capacity, purchase) {
            let capacity = capacity.into_inner();
            install_purchase(capacity, purchase, month, lifetime, watts);
            drawn[lab.nation] += capacity.watts;
        }
    }
    for (provider, mut book) in providers.iter_mut() {
        let sums = &books[provider.idx];
        book.capital = sums.capital;
        book.watts = sums.watts;
        book.electricity = sums.electricity;
        book.chip_spend = sums.chip_spend;
        book.datacentre_spend = sums.datacentre_spend;
        book.unspent = sums.unspent;
        book.open_capacity = open[provider.idx];
        book.frozen_capacity = frozen[provider.idx];
        book.frozen_regions = frozen_regions[provider.idx];
        book.open_by_host
            .copy_from_slice(by_host.row(ProviderIx(provider.idx)));
    }
    let drawn_gw: Vec<f64> = drawn.iter().map(|w| w / 1e9).collect();
    super::power::order(&mut nations, &drawn_gw, p);
}

/// A provider's regions summed: capital, watts and electricity bill of the open ones, and the month's
/// purchases of all.
#[derive(Clone, Default)]
struct ProviderSums {
    capital: f64,
    watts: f64,
    electricity: f64,
    chip_spend: f64,
    datacentre_spend: f64,
    unspent: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vintages_retire_after_their_lifetime_and_take_their_power_with_them() {
        let mut c = Capacity {
            by_origin: smallvec::smallvec![0.0; 2],
            ..Default::default()
        };
        let buy = |h: f64| Purchase {
            bought: smallvec::smallvec![h, 0.0],
            ..Default::default()
        };
        install_purchase(&mut c, &buy(10.0), 0, 3, 1000.0);
        install_purchase(&mut c, &buy(5.0), 1, 3, 500.0);
        assert_eq!(c.total, 15.0);
        assert_eq!(c.watts, 12_500.0);
        install_purchase(&mut c, &buy(0.0), 2, 3, 400.0);
        assert_eq!(c.total, 15.0);
        install_purchase(&mut c, &buy(0.0), 3, 3, 400.0);
        assert_eq!(c.total, 5.0, "the month-0 vintage retires at month 3");
        assert_eq!(c.watts, 2_500.0);
        install_purchase(&mut c, &buy(0.0), 4, 3, 400.0);
        assert_eq!(c.total, 0.0);
        assert_eq!(c.watts, 0.0);
    }
}

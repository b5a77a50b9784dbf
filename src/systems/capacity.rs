//! Capacity (step 4): regions and labs' own clusters install what they bought as this month's vintage,
//! drawing this month's watts per H100e; vintages older than `lifetime_months` retire; a region in a
//! nation where its provider is banned or closed is frozen (its capacity stays installed, and draws
//! power, but cannot be used).
//!
//! Each nation's AI power grows on its build path and by orders, which arrive `dc_lead_months` later (the
//! chip trade adds them in at the start of that month). Builders look ahead: when the chips installed and
//! those its buyers want each month over the lead time would use more than `power_order_threshold` of
//! the power it has, has ordered and will build, the nation orders the difference (at most
//! `power_order_max` of its power a year). The money power kept chip buyers from spending on chips
//! orders more within the same limit, at `facility_usd_per_w` (reported as datacentre spend).

use crate::components::*;
use crate::resources::*;
use bevy_ecs::prelude::*;

/// Whether there is nothing to install, retire or recount: most labs own no cluster and buy nothing.
fn idle(capacity: &Capacity, purchase: &Purchase) -> bool {
    capacity.vintages.is_empty() && purchase.bought.iter().all(|&h| h <= 0.0)
}

/// Installs this month's purchases at `watts` per H100e and retires worn-out vintages; updates totals.
pub fn install(
    capacity: &mut Capacity,
    purchase: &Purchase,
    month: i32,
    lifetime: i32,
    watts: f64,
) {
    if idle(capacity, purchase) {
        return;
    }
    for (origin, &h) in purchase.bought.iter().enumerate() {
        if h > 0.0 {
            capacity.vintages.push_back(Vintage {
                month,
                h100e: h,
                origin,
                watts,
            });
            capacity.by_origin[origin] += h;
            capacity.watts += h * watts;
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
    }
    if capacity.vintages.is_empty() {
        // Exactly nothing left, whatever rounding the subtractions left behind.
        capacity.by_origin.fill(0.0);
        capacity.watts = 0.0;
    }
    for x in capacity.by_origin.iter_mut() {
        *x = x.max(0.0);
    }
    capacity.watts = capacity.watts.max(0.0);
    capacity.total = capacity.by_origin.iter().sum();
}

/// GW a nation orders this month beyond its build path: enough that the power its chips draw, plus
/// `wanted` GW a month growing by `growth` a month over the `lead` months until the order arrives, stays
/// within `threshold` of what it has, has on order and will build (`coming`), at most `most` GW.
pub fn power_order(
    in_use: f64,
    (wanted, growth): (f64, f64),
    lead: f64,
    (capacity, coming): (f64, f64),
    threshold: f64,
    most: f64,
) -> f64 {
    // Σ_{i<lead} growth^i, the months of wanted power the lead time holds.
    let months = if (growth - 1.0).abs() < 1e-9 {
        lead
    } else {
        (growth.powf(lead) - 1.0) / (growth - 1.0)
    };
    ((in_use + wanted * months) / threshold - capacity - coming).clamp(0.0, most)
}

pub fn capacity(
    month: super::Month,
    mut regions: Query<(&mut Region, &mut Capacity, &Purchase), Without<Lab>>,
    mut labs: Query<(&Lab, &mut Capacity, &Purchase), Without<Region>>,
    mut providers: Query<(&Provider, &mut ProviderBook)>,
    mut nations: Query<(&Nation, &mut Power)>,
    mut market: ResMut<ChipMarket>,
) {
    let (p, rules) = (month.p(), &month.rules);
    let watts = p.watts_at(month.trend_month() as i32);
    let month = month.t() as i32;
    let lifetime = p.lifetime_months as i32;
    let mut open = vec![0.0; providers.iter().len()];
    let mut frozen = vec![0.0; open.len()];
    let mut frozen_regions = vec![0u32; open.len()];
    let nn = nations.iter().len();
    let mut by_host = vec![0.0; open.len() * nn];
    let mut drawn = vec![0.0; nn];
    for (mut region, mut capacity, purchase) in regions.iter_mut() {
        install(&mut capacity, purchase, month, lifetime, watts);
        drawn[region.host] += capacity.watts;
        region.frozen = rules.is_closed(region.provider, region.host);
        if region.frozen {
            frozen[region.provider] += capacity.total;
            frozen_regions[region.provider] += 1;
        } else {
            open[region.provider] += capacity.total;
            by_host[region.provider * nn + region.host] += capacity.total;
        }
    }
    for (lab, capacity, purchase) in labs.iter_mut() {
        // Checked before borrowing mutably, so that idle labs' clusters are not marked changed.
        if !idle(&capacity, purchase) {
            let capacity = capacity.into_inner();
            install(capacity, purchase, month, lifetime, watts);
            drawn[lab.nation] += capacity.watts;
        }
    }
    for (provider, mut book) in providers.iter_mut() {
        book.open_capacity = open[provider.idx];
        book.frozen_capacity = frozen[provider.idx];
        book.frozen_regions = frozen_regions[provider.idx];
        book.open_by_host
            .copy_from_slice(&by_host[provider.idx * nn..(provider.idx + 1) * nn]);
    }
    let lead = p.dc_lead_months as f64;
    market.datacentre_spend = 0.0;
    let mut funded: Vec<(usize, f64)> = Vec::with_capacity(nn);
    for (nation, mut power) in nations.iter_mut() {
        let n = nation.idx;
        power.in_use_gw = drawn[n] / 1e9;
        let coming = power.on_order.iter().sum::<f64>() + power.build_gw_yr * lead / 12.0;
        let most = power.capacity_gw * p.power_order_max / 12.0;
        let planned = power_order(
            power.in_use_gw,
            (power.wanted_gw, power.wanted_growth),
            lead,
            (power.capacity_gw, coming),
            p.power_order_threshold,
            most,
        );
        // Money that power kept from chips orders more, within the same limit.
        let order = planned.max(power.funded_gw.min(most));
        funded.push((n, power.funded_gw.min(order)));
        if let Some(last) = power.on_order.back_mut() {
            *last += order;
        }
    }
    // Summed in nation order: query order follows allocation history.
    funded.sort_by_key(|&(nation, _)| nation);
    market.datacentre_spend = funded
        .iter()
        .map(|&(_, funded_gw)| funded_gw * p.facility_usd_per_w * 1e9)
        .sum();
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
        install(&mut c, &buy(10.0), 0, 3, 1000.0);
        install(&mut c, &buy(5.0), 1, 3, 500.0);
        assert_eq!(c.total, 15.0);
        assert_eq!(c.watts, 12_500.0);
        install(&mut c, &buy(0.0), 2, 3, 400.0);
        assert_eq!(c.total, 15.0);
        install(&mut c, &buy(0.0), 3, 3, 400.0);
        assert_eq!(c.total, 5.0, "the month-0 vintage retires at month 3");
        assert_eq!(c.watts, 2_500.0);
        install(&mut c, &buy(0.0), 4, 3, 400.0);
        assert_eq!(c.total, 0.0);
        assert_eq!(c.watts, 0.0);
    }

    #[test]
    fn power_is_ordered_for_what_buyers_want_over_the_lead_time() {
        // 8 GW drawn of 10, nothing more wanted: below 0.9, nothing ordered.
        assert_eq!(
            power_order(8.0, (0.0, 1.0), 24.0, (10.0, 0.0), 0.9, 1.0),
            0.0
        );
        // 0.1 GW a month wanted over 24 months: (8 + 2.4) / 0.9 − 10 ≈ 1.56, capped at 1.
        assert_eq!(
            power_order(8.0, (0.1, 1.0), 24.0, (10.0, 0.0), 0.9, 1.0),
            1.0
        );
        assert!(
            (power_order(8.0, (0.1, 1.0), 24.0, (10.0, 0.0), 0.9, 5.0) - (10.4 / 0.9 - 10.0)).abs()
                < 1e-12
        );
        // What is on order or will be built counts.
        assert_eq!(
            power_order(8.0, (0.1, 1.0), 24.0, (10.0, 2.0), 0.9, 5.0),
            0.0
        );
        // Wanted power growing 3 % a month: Σ 1.03^i over 24 months ≈ 34.4 months of it, not 24.
        let months = (1.03f64.powi(24) - 1.0) / 0.03;
        assert!(
            (power_order(8.0, (0.1, 1.03), 24.0, (10.0, 0.0), 0.9, 5.0)
                - ((8.0 + 0.1 * months) / 0.9 - 10.0))
                .abs()
                < 1e-12
        );
        assert!(months > 34.0 && months < 35.0);
    }

    #[test]
    fn builders_plan_with_a_smoothed_growth_that_one_jump_does_not_drive() {
        use crate::systems::trade::smoothed_growth;
        // Steady 2 % a month: the trend converges to it.
        let mut g = 1.0;
        for _ in 0..120 {
            g = smoothed_growth(g, 1.02);
        }
        assert!((g - 1.02).abs() < 1e-3, "{g}");
        // A month of ×3 moves it by at most 10 % ^ (1/12).
        let after = smoothed_growth(1.0, 3.0);
        assert!((after - 1.1f64.powf(1.0 / 12.0)).abs() < 1e-12);
    }
}

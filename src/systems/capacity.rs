//! Capacity (step 4): regions and labs' own clusters install what they bought as this month's vintage,
//! retire vintages older than `lifetime_months`, and a region in a nation where its provider is banned or
//! closed is frozen (its capacity stays installed but cannot be used).

use crate::components::*;
use crate::resources::*;
use bevy_ecs::prelude::*;

/// Whether there is nothing to install, retire or recount: most labs own no cluster and buy nothing.
fn idle(capacity: &Capacity, purchase: &Purchase) -> bool {
    capacity.vintages.is_empty() && purchase.bought.iter().all(|&h| h <= 0.0)
}

/// Installs this month's purchases and retires worn-out vintages; returns nothing, updates totals.
fn install(capacity: &mut Capacity, purchase: &Purchase, month: i32, lifetime: i32) {
    if idle(capacity, purchase) {
        return;
    }
    for (origin, &h) in purchase.bought.iter().enumerate() {
        if h > 0.0 {
            capacity.vintages.push_back(Vintage {
                month,
                h100e: h,
                origin,
            });
            capacity.by_origin[origin] += h;
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
    }
    if capacity.vintages.is_empty() {
        // Exactly nothing left, whatever rounding the subtractions left behind.
        capacity.by_origin.fill(0.0);
    }
    for x in capacity.by_origin.iter_mut() {
        *x = x.max(0.0);
    }
    capacity.total = capacity.by_origin.iter().sum();
}

pub fn capacity(
    clock: Res<Clock>,
    params: Res<Params>,
    rules: Res<Rules>,
    mut regions: Query<(&mut Region, &mut Capacity, &Purchase), Without<Lab>>,
    mut labs: Query<(&Lab, &mut Capacity, &Purchase), Without<Region>>,
    mut providers: Query<(&Provider, &mut ProviderBook)>,
) {
    let month = clock.t as i32;
    let lifetime = params.0.lifetime_months as i32;
    let mut open = vec![0.0; providers.iter().len()];
    let mut frozen = vec![0.0; open.len()];
    let mut frozen_regions = vec![0u32; open.len()];
    for (mut region, mut capacity, purchase) in regions.iter_mut() {
        install(&mut capacity, purchase, month, lifetime);
        region.frozen = rules.is_closed(region.provider, region.host);
        if region.frozen {
            frozen[region.provider] += capacity.total;
            frozen_regions[region.provider] += 1;
        } else {
            open[region.provider] += capacity.total;
        }
    }
    for (_, capacity, purchase) in labs.iter_mut() {
        // Checked before borrowing mutably, so that idle labs' clusters are not marked changed.
        if !idle(&capacity, purchase) {
            install(capacity.into_inner(), purchase, month, lifetime);
        }
    }
    for (provider, mut book) in providers.iter_mut() {
        book.open_capacity = open[provider.idx];
        book.frozen_capacity = frozen[provider.idx];
        book.frozen_regions = frozen_regions[provider.idx];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vintages_retire_after_their_lifetime() {
        let mut c = Capacity {
            by_origin: vec![0.0; 2],
            ..Default::default()
        };
        let buy = |h: f64| Purchase {
            want: 0.0,
            bought: vec![h, 0.0],
            smuggled: 0.0,
        };
        install(&mut c, &buy(10.0), 0, 3);
        install(&mut c, &buy(5.0), 1, 3);
        assert_eq!(c.total, 15.0);
        install(&mut c, &buy(0.0), 2, 3);
        assert_eq!(c.total, 15.0);
        install(&mut c, &buy(0.0), 3, 3);
        assert_eq!(c.total, 5.0, "the month-0 vintage retires at month 3");
        install(&mut c, &buy(0.0), 4, 3);
        assert_eq!(c.total, 0.0);
    }
}

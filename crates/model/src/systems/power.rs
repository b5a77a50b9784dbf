//! Power: each nation's AI datacentre power, how it is built and who pays for it.
//!
//! A nation's power grows only as its builders — the clouds' regions and the labs with clusters of their
//! own in it — build datacentres. They order power `dc_lead_months` ahead, looking at what their chips
//! draw and what they plan to install over the lead time; they pay for it as it is built, at
//! `facility_usd_per_w`, a `1/dc_lead_months` share of every order under construction each month, out of
//! the month's capex and own-cluster money, pro rata to that money. What they cannot pay is not built:
//! each order under construction shrinks by the unpaid share of its installment. The power under way at
//! the start is the scenario's build path (`power_build_gw_yr`, arriving a twelfth a month over the first
//! lead time); after that a nation orders at most its build path plus `power_order_max` of its power a
//! year (grid connections, turbines and transformers take time whoever pays). Chips install only within
//! the power built: a buyer whose nation has no room left keeps the money it would have spent (unspent
//! this month).
//!
//! The chip trade calls [`pay_for_construction`], [`build`] and [`fit_to_power`] before chips are sold;
//! the capacity step calls [`order`] once the month's chips are installed.

use crate::components::{Nation, Power};
use crate::parameters::Parameters;
use crate::resources::WorldIndex;
use crate::scenario::Scenario;
use bevy_ecs::prelude::*;

/// Each nation's AI power: the scenario's, else what its chips draw at the start and some headroom; and
/// the power under way at the start, its build path's, arriving a twelfth of a year's a month over the
/// first lead time.
pub fn install(world: &mut World, setup: &super::Setup) {
    let (scenario, watts) = (setup.scenario, setup.watts_at_start);
    let params = &scenario.parameters;
    let index = world.resource::<WorldIndex>();
    let growth = planned_power_growth(index, scenario);
    let nations = index.nations.clone();
    for (i, n) in super::sorted_by_id(&scenario.nation, |n| &n.id)
        .iter()
        .enumerate()
    {
        let capacity_gw = n
            .power_gw
            .unwrap_or(watts[i] / 1e9 * (1.0 + params.default_power_headroom));
        let build_gw_yr = n
            .power_build_gw_yr
            .unwrap_or(capacity_gw * params.default_power_build);
        world.entity_mut(nations[i]).insert(Power {
            capacity_gw,
            in_use_gw: watts[i] / 1e9,
            build_gw_yr,
            on_order: std::iter::repeat_n(build_gw_yr / 12.0, params.dc_lead_months as usize)
                .collect(),
            wanted_gw: 0.0,
            built_gw: 0.0,
            wanted_growth: growth[i],
        });
    }
}

/// The monthly growth of the power each nation's chip buyers want that builders plan with before they
/// have seen any: its labs' budget growth (money-weighted; the world's for a nation without labs), over
/// the fall of chip prices and of watts per H100e, `((1 + g) / ((1 − price_performance)(1 +
/// efficiency_gain)))^(1/12)`. It is then learnt from what buyers want (`power::smoothed_growth`).
fn planned_power_growth(index: &WorldIndex, scenario: &Scenario) -> Vec<f64> {
    let p = &scenario.parameters;
    let nn = index.nation_ids.len();
    let (mut money, mut weighted) = (vec![0.0; nn], vec![0.0; nn]);
    for l in &scenario.lab {
        let n = index.nation_index[&l.nation];
        let b = l.budget * f64::from(l.count);
        money[n] += b;
        weighted[n] += b * l.budget_growth;
    }
    let world = weighted.iter().sum::<f64>() / money.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    (0..nn)
        .map(|n| {
            let g = if money[n] > 0.0 {
                weighted[n] / money[n]
            } else {
                world
            };
            ((1.0 + g) / ((1.0 - p.price_performance) * (1.0 + p.efficiency_gain))).powf(1.0 / 12.0)
        })
        .collect()
}

/// GW under construction in each nation (every order not yet arrived).
pub fn under_construction(nations: &Query<(&Nation, &mut Power)>, nn: usize) -> Vec<f64> {
    let mut gw = vec![0.0; nn];
    for (nation, power) in nations.iter() {
        gw[nation.idx] = power.on_order.iter().sum();
    }
    gw
}

/// This month's installments on the power under construction, `GW × facility_usd_per_w / lead` per
/// nation, shared by its builders pro rata to their money this month (`money[i]` of builder `i` in nation
/// `nation[i]`), at most all of it. Returns each builder's payment and, per nation, the share of the
/// installment paid (1 when paid in full).
pub fn pay_for_construction(
    money: &[f64],
    nation: &[usize],
    building_gw: &[f64],
    (facility_usd_per_w, lead): (f64, f64),
) -> (Vec<f64>, Vec<f64>) {
    let nn = building_gw.len();
    let mut total = vec![0.0; nn];
    for (&m, &n) in money.iter().zip(nation) {
        total[n] += m;
    }
    let due: Vec<f64> = building_gw
        .iter()
        .map(|gw| gw * facility_usd_per_w * 1e9 / lead.max(1.0))
        .collect();
    let paid_share: Vec<f64> = due
        .iter()
        .zip(&total)
        .map(|(&d, &t)| {
            if d <= 0.0 {
                1.0
            } else if t <= 0.0 {
                0.0
            } else {
                (t / d).min(1.0)
            }
        })
        .collect();
    let payments = money
        .iter()
        .zip(nation)
        .map(|(&m, &n)| {
            if due[n] <= 0.0 || total[n] <= 0.0 {
                0.0
            } else {
                m * (due[n] * paid_share[n] / total[n])
            }
        })
        .collect();
    (payments, paid_share)
}

/// Construction goes on as far as it was paid: each order under construction shrinks by the unpaid
/// share of its installment, `1 − (1 − paid)/lead`; then (from the second month: the first month's
/// power is the scenario's) the order due arrives. Returns each nation's room left (GW).
pub fn build(
    nations: &mut Query<(&Nation, &mut Power)>,
    paid_share: &[f64],
    (t, lead): (u32, f64),
) -> Vec<f64> {
    let mut room = vec![0.0; paid_share.len()];
    for (nation, mut power) in nations.iter_mut() {
        let n = nation.idx;
        let power = power.as_mut();
        if paid_share[n] < 1.0 {
            let keep = 1.0 - (1.0 - paid_share[n]) / lead.max(1.0);
            for gw in power.on_order.iter_mut() {
                *gw *= keep;
            }
        }
        power.built_gw = 0.0;
        if t > 0 {
            power.built_gw = power.on_order.pop_front().unwrap_or(0.0);
            power.on_order.push_back(0.0);
            power.capacity_gw += power.built_gw;
        }
        room[n] = (power.capacity_gw - power.in_use_gw).max(0.0);
    }
    room
}

/// What each nation's chip buyers want (H100e at the prices they expect) and what its power has room
/// for (H100e at this month's watts per H100e).
pub struct PowerFit {
    pub want: Vec<f64>,
    pub room: Vec<f64>,
}

/// Fits each nation's chip buying to its power: buyers (`money[i]` USD expecting `expected[i]` USD per
/// H100e, in nation `nation[i]`) want `money ÷ price` H100e at `watts` per H100e; beyond the nation's
/// room each buyer's money and legal H100e shrink to its share of the room (the rest is kept, unspent).
/// Records what the buyers plan to install (GW) and its smoothed growth, which builders order power
/// with: all their money (`plan[i]`, before this month's installments) at the price of an H100e and the
/// datacentre that houses it, so that the plan does not swing with the month's installments. Returns the
/// wants and rooms, and each buyer's (money, H100e it may install).
pub fn fit_to_power(
    (money, plan, expected, nation): (&[f64], &[f64], &[f64], &[usize]),
    nations: &mut Query<(&Nation, &mut Power)>,
    room_gw: &[f64],
    (watts, facility_usd_per_w): (f64, f64),
    trend: (f64, f64),
) -> (PowerFit, Vec<(f64, f64)>) {
    let nn = room_gw.len();
    let mut want = vec![0.0; nn];
    let mut planned = vec![0.0; nn];
    let housed = watts * facility_usd_per_w;
    for (((&m, &all), &x), &n) in money.iter().zip(plan).zip(expected).zip(nation) {
        want[n] += m / x;
        planned[n] += all / (x + housed);
    }
    let mut room = vec![0.0; nn];
    for (n_ref, mut power) in nations.iter_mut() {
        let n = n_ref.idx;
        let wanted = planned[n] * watts / 1e9;
        if power.wanted_gw > 0.0 && wanted > 0.0 {
            power.wanted_growth =
                smoothed_growth(power.wanted_growth, wanted / power.wanted_gw, trend);
        }
        power.wanted_gw = wanted;
        room[n] = room_gw[n] * 1e9 / watts;
    }
    let fitted = money
        .iter()
        .zip(expected)
        .zip(nation)
        .map(|((&m, &x), &n)| {
            if want[n] > room[n] {
                let share = room[n] / want[n];
                (m * share, m / x * share)
            } else {
                (m, f64::INFINITY)
            }
        })
        .collect();
    (PowerFit { want, room }, fitted)
}

/// Each nation orders the power it will need after the lead time ([`power_order`]): at most its build
/// path plus `power_order_max` of its power a year. Called once the month's chips are installed
/// (`drawn_gw`: what its chips draw now).
pub fn order(nations: &mut Query<(&Nation, &mut Power)>, drawn_gw: &[f64], p: &Parameters) {
    let lead = p.dc_lead_months as f64;
    for (nation, mut power) in nations.iter_mut() {
        power.in_use_gw = drawn_gw[nation.idx];
        let coming = power.on_order.iter().sum::<f64>();
        let most = (power.build_gw_yr + power.capacity_gw * p.power_order_max) / 12.0;
        let order = power_order(
            power.in_use_gw,
            (power.wanted_gw, power.wanted_growth),
            lead,
            (power.capacity_gw, coming),
            p.power_order_threshold,
            most,
        );
        if let Some(last) = power.on_order.back_mut() {
            *last += order;
        }
    }
}

/// GW a nation orders this month: enough that the power its chips draw, plus `wanted` GW a month
/// growing by `growth` a month over the `lead` months until the order arrives, stays within `threshold`
/// of what it has and has on order (`coming`), at most `most` GW.
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

/// The growth a builder plans with: a geometric average over `months` of the monthly ratios, each held
/// within ±`step_max` a month so that one month's jump (a ban, a new chip generation) does not drive it.
pub fn smoothed_growth(trend: f64, ratio: f64, (months, step_max): (f64, f64)) -> f64 {
    let weight = 1.0 / months;
    let trend = if trend > 0.0 { trend } else { 1.0 };
    let step = 1.0 + step_max;
    trend.powf(1.0 - weight) * ratio.clamp(1.0 / step, step).powf(weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_is_paid_pro_rata_by_the_nations_builders_and_what_no_one_pays_is_not_built() {
        // Nation 0: 2.4 GW under construction over 24 months at 10 USD/W: 1 B USD due this month,
        // two builders with 30 and 10 B USD.
        let (pay, share) =
            pay_for_construction(&[30e9, 10e9, 0.5e9], &[0, 0, 1], &[2.4, 2.4], (10.0, 24.0));
        assert!((pay[0] - 0.75e9).abs() < 1.0 && (pay[1] - 0.25e9).abs() < 1.0);
        assert_eq!(share[0], 1.0);
        // Nation 1: the same 1 B USD due, one builder with 0.5 B: it pays all it has, half.
        assert_eq!(pay[2], 0.5e9);
        assert!((share[1] - 0.5).abs() < 1e-12);
        // Nobody to pay: nothing paid, nothing built.
        let (pay, share) = pay_for_construction(&[], &[], &[1.0], (10.0, 24.0));
        assert!(pay.is_empty());
        assert_eq!(share[0], 0.0);
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
        // What is on order counts.
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
        // Steady 2 % a month: the trend converges to it.
        let mut g = 1.0;
        for _ in 0..120 {
            g = smoothed_growth(g, 1.02, (12.0, 0.1));
        }
        assert!((g - 1.02).abs() < 1e-3, "{g}");
        // A month of ×3 moves it by at most 10 % ^ (1/12).
        let after = smoothed_growth(1.0, 3.0, (12.0, 0.1));
        assert!((after - 1.1f64.powf(1.0 / 12.0)).abs() < 1e-12);
    }
}

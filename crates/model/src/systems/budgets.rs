//! Budgets (step 0, after the policies): labs hold budgets in money, and every chip buyer and the
//! compute market spend them, so they grow first each month.
//!
//! Budgets grow each month by `(1 + g)^(1/12)`, `g = [g∞ + (g₀ − g∞)(1 − λ)^(t/12)] · max(0, 1 −
//! (S/S_max)^k)` ([`budget_growth`]): the lab's own growth decays toward GDP growth and brakes
//! as its nation's AI budgets (`S`, last month's, over this month's GDP) near the ceiling share of GDP.
//! `g₀` is the lab's planned growth under the chip controls it faces, or without them
//! ([`planned_growth`]).

use crate::components::*;
use crate::parameters::Parameters;
use crate::resources::*;
use bevy_ecs::prelude::*;

/// Installs the budgets submodel: its system (the labs' budgets are their own state).
pub fn install(world: &mut World) {
    super::add_systems(world, super::Submodel::Budgets, budgets);
}

/// Grows every lab's budget for the month and sums each nation's (step 0, before production: chip
/// buyers spend these budgets).
pub fn budgets(
    clock: Res<Clock>,
    params: Res<Params>,
    index: Res<WorldIndex>,
    rules: Res<Rules>,
    mut nations: Query<(&Nation, &mut NationCompute)>,
    mut labs: Query<(&Lab, &LabPlan, &mut LabBudget)>,
) {
    let p = &params.0;
    let t = clock.t;
    let trend_month = clock.trend_month();
    let nn = index.nation_ids.len();
    // Last month's budgets over this month's GDP, by nation.
    let mut share = vec![0.0; nn];
    let gdp_factor = gdp_factor(trend_month, p.gdp_growth);
    for (nation, compute) in &nations {
        let gdp = nation.gdp * gdp_factor * 1e9;
        share[nation.idx] = if gdp > 0.0 { compute.budget / gdp } else { 0.0 };
    }
    let mut sums = vec![0.0; nn];
    // Populations share a growth path and a nation, so the last factor computed is remembered.
    let mut memo = ((f64::NAN, f64::NAN), usize::MAX, 0.0, 1.0);
    // The month's factors of `budget_growth`: its decay is the same for every lab, its brake
    // the same for every lab of a nation (computed when first needed).
    let decay = budget_decay(trend_month, p);
    let mut brake = vec![f64::NAN; nn];
    for_each_in_order!(labs, &index.labs, |(lab, plan, state)| {
        let state = state.into_inner();
        let plans = (plan.budget_growth, plan.budget_growth_without_controls);
        if (plans, lab.nation) != (memo.0, memo.1) {
            let n = lab.nation;
            if brake[n].is_nan() {
                brake[n] = budget_brake(share[n], p);
            }
            let g0 = planned_growth(plans, rules.chip_pressure[n]);
            let g = budget_growth_from(g0, decay, brake[n], p);
            memo = (plans, lab.nation, g, (1.0 + g).powf(1.0 / 12.0));
        }
        if t > 0 {
            state.budget *= memo.3;
        }
        state.budget_growth = memo.2;
        sums[lab.nation] += state.budget;
    });
    for (nation, mut compute) in nations.iter_mut() {
        compute.budget = sums[nation.idx];
    }
}

/// Budget growth a year (demand): `g = [g∞ + (g₀ − g∞)(1 − λ)^(t/12)] · max(0, 1 − (S/S_max)^k)`, with
/// `g∞ = gdp_growth`, `λ = budget_growth_decay`, `S` the nation's AI budgets over its GDP, `S_max =
/// budget_gdp_ceiling`, `k = budget_ceiling_exponent`.
pub fn budget_growth(g0: f64, t: u32, share_of_gdp: f64, p: &Parameters) -> f64 {
    budget_growth_from(g0, budget_decay(t, p), budget_brake(share_of_gdp, p), p)
}

/// The growth a lab plans at the start (budgets): `g_controlled + (g_free − g_controlled)(1 − s)`, with
/// `s` the strength of the strongest chip control toward its nation — as planned under the controls of
/// the start at full strength, as it would be without any at none.
pub fn planned_growth((controlled, free): (f64, f64), pressure: f64) -> f64 {
    controlled + (free - controlled) * (1.0 - pressure.clamp(0.0, 1.0))
}

/// The decay factor of [`budget_growth`], `(1 − λ)^(t/12)`.
pub fn budget_decay(t: u32, p: &Parameters) -> f64 {
    (1.0 - p.budget_growth_decay).powf(t as f64 / 12.0)
}

/// The brake of [`budget_growth`], `1 − (S/S_max)^k` (before it is held at 0 or above).
pub fn budget_brake(share_of_gdp: f64, p: &Parameters) -> f64 {
    1.0 - (share_of_gdp / p.budget_gdp_ceiling).powf(p.budget_ceiling_exponent)
}

/// [`budget_growth`] from its decay factor and brake.
pub fn budget_growth_from(g0: f64, decay: f64, brake: f64, p: &Parameters) -> f64 {
    let decayed = p.gdp_growth + (g0 - p.gdp_growth) * decay;
    decayed * brake.max(0.0)
}

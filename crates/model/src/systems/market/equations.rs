//! The market's equations as plain functions, one per equation and written to be read. The phases in
//! the other files call them where they run once per provider, nation or month (capex, a price step,
//! effective prices, a provider's return), and compute the per-lab and per-segment quantities with
//! precomputed factors and shared passes instead; the tests (`market/tests.rs`) hold those fast paths
//! to these equations — the reference clearing ([`clear_prices`]) among them, which only the tests run.

use crate::components::CapexFactors;
use crate::parameters::Parameters;

/// Access (access): the share of a segment's demand a provider may take, and whether a policy keeps
/// the segment from it. Not contracted: 0. Closed by a ban or reciprocity: 0, blocked. Under KYC (for
/// large training): `1 − kyc × compliance`, blocked when nothing gets through.
pub fn access(contracted: bool, closed: bool, kyc: f64, compliance: f64) -> (f64, bool) {
    if !contracted {
        (0.0, false)
    } else if closed {
        (0.0, true)
    } else if kyc > 0.0 {
        let leak = (1.0 - kyc * compliance).max(0.0);
        (leak, leak <= 0.0)
    } else {
        (1.0, false)
    }
}

/// Effective price (access): `price × pay × (1 + premium + friction)`, where `pay` is what the lab pays
/// per USD of list price and the mark-ups are the sanction risk premium and the bloc friction.
pub fn effective_price(price: f64, pay: f64, premium: f64, friction: f64) -> f64 {
    price * pay * (1.0 + premium + friction)
}

/// Logit shares (clearing): `s_v ∝ exp(−β ln eff_v + ln leak_v + capacity_weight ln K_v)`; providers out
/// of reach (`leak = 0`) or without capacity get nothing.
pub fn logit_shares(
    eff: &[f64],
    leak: &[f64],
    capacity: &[f64],
    beta: f64,
    capacity_weight: f64,
) -> Vec<f64> {
    let attraction: Vec<Option<f64>> = (0..eff.len())
        .map(|v| {
            (leak[v] > 0.0 && capacity[v] > 1e-9)
                .then(|| -beta * eff[v].ln() + leak[v].ln() + capacity_weight * capacity[v].ln())
        })
        .collect();
    let top = attraction
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = attraction
        .iter()
        .map(|a| a.map_or(0.0, |a| (a - top).exp()))
        .collect();
    let sum: f64 = e.iter().sum();
    e.iter()
        .map(|x| if sum > 0.0 { x / sum } else { 0.0 })
        .collect()
}

/// Price index (books): the logit's exact price index of a segment's choice, `(Σ_v leak_v (K_v/K)^w
/// eff_v^−β)^(−1/β)` with `K` the open capacity of every provider and `w` the capacity weight — the
/// log-sum of its choice expressed as a price. At equal effective prices and full access it is that
/// price; it rises when a provider is closed to the segment or its prices rise, even where what the
/// segment pays on average falls (labs left an option their taste valued). `None` when nothing is open,
/// or when the choice ignores price (`β ≤ 0`) or weighs it so little that the index overflows.
pub fn price_index(
    eff: &[f64],
    leak: &[f64],
    capacity: &[f64],
    beta: f64,
    capacity_weight: f64,
) -> Option<f64> {
    let total: f64 = capacity.iter().sum();
    let sum: f64 = (0..eff.len())
        .filter(|&v| leak[v] > 0.0 && capacity[v] > 1e-9)
        .map(|v| leak[v] * (capacity[v] / total).powf(capacity_weight) * eff[v].powf(-beta))
        .sum();
    index_of_sum(sum, beta)
}

/// The price index from its sum of weights: `sum^(−1/β)`, where it is a finite price.
pub fn index_of_sum(sum: f64, beta: f64) -> Option<f64> {
    if !(sum > 0.0 && beta > 0.0) {
        return None;
    }
    Some(sum.powf(-1.0 / beta)).filter(|x| x.is_finite())
}

/// Segment demand (demand): `D = M ÷ (p̄ × hours)`, H100e, where `M` is the segment's money for the
/// month and `p̄ = Σ_v s_v paid_v` the price it expects to pay (USD per H100e-hour): its logit shares —
/// chosen on effective prices, friction and premia included — times what it pays each provider.
pub fn segment_demand(money: f64, shares: &[f64], paid: &[f64], hours: f64) -> f64 {
    let expected: f64 = shares.iter().zip(paid).map(|(s, e)| s * e).sum();
    if expected > 0.0 {
        money / (expected * hours)
    } else {
        0.0
    }
}

/// Price step (clearing): `p ← p × clamp((R/K)^η, 1/(1 + δ), 1 + δ)` for requested `R` and available
/// capacity `K`; a provider without capacity keeps its price.
pub fn price_step(price: f64, requested: f64, capacity: f64, eta: f64, step: f64) -> f64 {
    if capacity <= 0.0 {
        return price;
    }
    price
        * (requested / capacity)
            .powf(eta)
            .clamp(1.0 / (1.0 + step), 1.0 + step)
}

/// One segment of a small market, as the reference clearing reads it.
#[derive(Clone, Debug)]
pub struct Segment {
    /// USD for the month.
    pub money: f64,
    /// Per provider: effective price per USD of list price as the choice sees it (pay × mark-ups), what
    /// it pays per USD of list price, and the share of demand it may take.
    pub factor: Vec<f64>,
    pub pay: Vec<f64>,
    pub leak: Vec<f64>,
}

/// A month's prices (clearing), plainly: `price_iterations` steps, each computing every segment's shares
/// and demand at the current prices and moving each price by [`price_step`] on requested over open
/// capacity; the month's total move stays within `price_step_max` of the starting price, and prices stay
/// between the user cost `cost` and `cap`.
pub fn clear_prices(
    segments: &[Segment],
    start: &[f64],
    capacity: &[f64],
    (cost, cap): (&[f64], &[f64]),
    p: &Parameters,
) -> Vec<f64> {
    let np = start.len();
    let mut price = start.to_vec();
    for _ in 0..p.price_iterations {
        let mut requested = vec![0.0; np];
        for s in segments.iter().filter(|s| s.money > 0.0) {
            let eff: Vec<f64> = (0..np).map(|v| price[v] * s.factor[v]).collect();
            let paid: Vec<f64> = (0..np).map(|v| price[v] * s.pay[v]).collect();
            let shares = logit_shares(&eff, &s.leak, capacity, p.beta, p.capacity_weight);
            let demand = segment_demand(s.money, &shares, &paid, p.hours_per_month);
            for v in 0..np {
                requested[v] += demand * shares[v];
            }
        }
        for v in 0..np {
            let stepped = price_step(
                price[v],
                requested[v],
                capacity[v],
                p.price_eta,
                p.price_step_iteration,
            );
            price[v] = within(
                within(
                    stepped,
                    start[v] / (1.0 + p.price_step_max),
                    start[v] * (1.0 + p.price_step_max),
                ),
                cost[v],
                cap[v],
            );
        }
    }
    price
}

/// `x` held to `[lo, hi]` — or NaN where the bounds are NaN or crossed, which `f64::clamp` panics on: a
/// run whose parameters drive a price to NaN fails with the documented "not finite" error naming the
/// table and month, not a panic.
pub(crate) fn within(x: f64, lo: f64, hi: f64) -> f64 {
    if lo <= hi { x.clamp(lo, hi) } else { f64::NAN }
}

/// The growth term of a provider's investment (books): `(g + 12/L) / (r + 12/L)`, the capex that keeps
/// capacity growing at `g` a year and replaced over a life of `L` months, per USD of revenue that covers
/// cost at a cost of capital `r`.
pub fn growth_term(expected_growth: f64, p: &Parameters) -> f64 {
    let replacement = 12.0 / p.lifetime_months as f64;
    (expected_growth.max(0.0) + replacement) / (p.cost_of_capital + replacement)
}

/// A provider's return on capacity (books): `q = price × utilisation ÷ (user cost × target utilisation)`.
pub fn return_on_capacity(price: f64, utilisation: f64, cost: f64, p: &Parameters) -> f64 {
    if cost > 0.0 {
        price * utilisation / (cost * p.utilisation)
    } else {
        0.0
    }
}

/// The share of an idle provider's capital that still earns (cost, books): `min(1, ū/i)` for a
/// provider whose utilisation's moving mean over about a year `ū` is under `i` = `idle_utilisation`; 1
/// when `i` is 0. Its price floor keeps this share of the capital charge, and its capex scales by it.
pub fn idle_share(utilisation_trend: f64, p: &Parameters) -> f64 {
    if p.idle_utilisation > 0.0 {
        (utilisation_trend / p.idle_utilisation).min(1.0)
    } else {
        1.0
    }
}

/// A provider's capex, USD a year (books): `capex₀ × (R/R₀) × (G/G₀) × clamp((q/q₀)^ξ, 1/m, m) × min(1,
/// ū/i)^ξ` (`m` = `capex_margin_max`, `i` = `idle_utilisation`; the last factor is 1 when `i` is 0),
/// within `capex_growth_max` a year of last month's: trailing revenue, growth term and return on
/// capacity, each against the provider's first month, and — for a provider whose utilisation's moving
/// mean over about a year `ū` is under `i`, which prices its idle capital down
/// ([`super::provider_cost`]) — a brake without a floor: capacity that stands idle does not earn its
/// replacement.
pub fn capex(
    capex0: f64,
    last: f64,
    (now, start): (CapexFactors, CapexFactors),
    utilisation_trend: f64,
    p: &Parameters,
) -> f64 {
    let margin = if start.q > 0.0 {
        (now.q / start.q)
            .powf(p.capex_q_elasticity)
            .clamp(1.0 / p.capex_margin_max, p.capex_margin_max)
    } else {
        1.0
    };
    let idle = idle_share(utilisation_trend, p).powf(p.capex_q_elasticity);
    let target =
        capex0 * (now.revenue / start.revenue) * (now.growth / start.growth) * margin * idle;
    target
        .min(last * (1.0 + p.capex_growth_max).powf(1.0 / 12.0))
        .max(0.0)
}

#[cfg(test)]
mod within_tests {
    /// Beta 20 with a 0.9 contract discount drove a price to NaN after 90 years of a run, and the
    /// clamp panicked; a NaN or crossed bound now yields NaN, which the run reports as not finite.
    #[test]
    fn a_nan_or_crossed_bound_gives_nan_not_a_panic() {
        assert_eq!(super::within(5.0, 1.0, 3.0), 3.0);
        assert!(super::within(5.0, f64::NAN, 3.0).is_nan());
        assert!(super::within(5.0, 1.0, f64::NAN).is_nan());
        assert!(super::within(5.0, 4.0, 3.0).is_nan());
        assert!(super::within(f64::NAN, 1.0, 3.0).is_nan());
    }
}

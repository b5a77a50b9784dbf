//! The market's fast path held to its reference equations, and its behaviour on small markets.

use super::equations::{self, Segment};
use super::*;
use crate::parameters::Parameters;

/// One pool (two segments) and two providers at the given prices and capacities, all access open, with
/// the segments' money (USD, at one hour a month).
fn market(prices: [f64; 2], capacity: [f64; 2], money: [f64; 2]) -> MarketScratch {
    let mut m = MarketScratch::new(&[None], 2, 1, 1);
    m.price.copy_from_slice(&prices);
    m.capacity.copy_from_slice(&capacity);
    m.money.copy_from_slice(&money);
    for s in 0..2 {
        for (v, price) in prices.iter().enumerate() {
            m.base_weight.set(SegmentIx(s), ProviderIx(v), 1.0);
            m.static_weight
                .set(SegmentIx(s), ProviderIx(v), price.powf(-2.0));
        }
    }
    m
}

fn total(m: &MarketScratch, s: usize) -> f64 {
    m.alloc.row(SegmentIx(s)).iter().sum()
}

#[test]
fn ample_capacity_serves_all_demand_by_logit_shares() {
    // Equal capacity: shares ∝ price^-beta = 1 : 1/4, an expected price of 0.8 + 0.4: 120 USD buys 100.
    let mut m = market([1.0, 2.0], [1e6, 1e6], [120.0, 0.0]);
    clearing::solve(&mut m, 1.0, 3, 1.0);
    assert!((total(&m, 0) - 100.0).abs() < 1e-9);
    assert!(
        (m.alloc.get(SegmentIx(0), ProviderIx(0)) / m.alloc.get(SegmentIx(0), ProviderIx(1)) - 4.0)
            .abs()
            < 1e-9
    );
    assert_eq!(m.spent[0], 120.0, "served in full: all its money spent");
}

#[test]
fn scarce_capacity_is_rationed_pro_rata() {
    let mut m = market([1.0, 1.0], [40.0, 0.0], [300.0, 100.0]);
    clearing::solve(&mut m, 1.0, 3, 1.0);
    assert!(
        (total(&m, 0) + total(&m, 1) - 40.0).abs() < 1e-9,
        "all capacity is used"
    );
    assert!(
        (total(&m, 0) / total(&m, 1) - 3.0).abs() < 1e-9,
        "alike demands alike"
    );
    // What was not served is not spent: the money stays with the segments.
    assert!((m.spent[0] + m.spent[1] - 40.0).abs() < 1e-9);
    assert!((m.remaining_money[0] + m.remaining_money[1] - 360.0).abs() < 1e-9);
}

#[test]
fn unmet_demand_is_re_offered_to_capacity_left() {
    let run = |rounds| {
        let mut m = market([1.0, 3.0], [50.0, 1000.0], [200.0, 0.0]);
        for v in 0..2 {
            m.static_weight
                .set(SegmentIx(0), ProviderIx(v), m.price[v].powf(-4.0));
        }
        clearing::solve(&mut m, 0.0, rounds, 1.0);
        m
    };
    let once = total(&run(0), 0);
    let m = run(3);
    assert!(
        total(&m, 0) > once,
        "re-offers serve more: {} vs {once}",
        total(&m, 0)
    );
    assert!(
        (m.alloc.get(SegmentIx(0), ProviderIx(0)) - 50.0).abs() < 1e-9,
        "the cheap provider is full"
    );
    // The 50 H100e of the cheap provider cost 50 USD; the other 150 USD buy 50 at 3 USD.
    assert!((total(&m, 0) - 100.0).abs() < 1e-6);
    assert!((m.spent[0] - 200.0).abs() < 1e-6, "all its money spent");
}

#[test]
fn a_closed_provider_gets_nothing() {
    let mut m = market([1.0, 1.0], [1e6, 1e6], [100.0, 0.0]);
    // Nothing of the segment's demand may go to provider 0, as under a ban.
    m.static_weight.set(SegmentIx(0), ProviderIx(0), 0.0);
    clearing::solve(&mut m, 1.0, 3, 1.0);
    assert_eq!(m.alloc.get(SegmentIx(0), ProviderIx(0)), 0.0);
    assert!((m.alloc.get(SegmentIx(0), ProviderIx(1)) - 100.0).abs() < 1e-9);
}

/// A small market of `segments` segments and `providers` providers with varied money, access, mark-ups
/// and capacity, set up both for the fast path and for the reference.
fn random_market(
    seed: u64,
    pools: usize,
    providers: usize,
) -> (MarketScratch, Vec<Segment>, Parameters) {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let p = Parameters::default();
    // Some pools hold contracts with a few providers and may use no others.
    let contracts: Vec<Option<Vec<bool>>> = (0..pools)
        .map(|_| {
            rng.random_bool(0.4).then(|| {
                let first = rng.random_range(0..providers);
                (0..providers)
                    .map(|v| v == first || rng.random_bool(0.3))
                    .collect()
            })
        })
        .collect();
    let mut m = MarketScratch::new(&contracts, providers, 2, 1);
    let mut segments = Vec::new();
    for v in 0..providers {
        m.capacity[v] = rng.random_range(1e3..1e5);
        m.cost[v] = rng.random_range(0.8..1.5);
        m.cap[v] = 3.0 * m.cost[v];
        m.price[v] = m.cost[v] * rng.random_range(1.0..2.5);
        m.start_price[v] = m.price[v];
    }
    for s in 0..pools * 2 {
        let money = if rng.random_bool(0.8) {
            rng.random_range(1e6..5e7)
        } else {
            0.0
        };
        m.money[s] = money;
        let mut factor = Vec::new();
        let mut pay = Vec::new();
        let mut leak = Vec::new();
        // What it pays (a contract's discount, or list) — one rate for the segment, as a contracted
        // pool uses only its contracted providers — and the mark-ups its choice sees on top.
        let paid = if rng.random_bool(0.2) { 0.7 } else { 1.0 };
        m.pay_factor[s] = paid;
        for v in 0..providers {
            let f = rng.random_range(1.0..1.6) * paid;
            let contracted = contracts[s / 2].as_ref().is_none_or(|c| c[v]);
            let l = if !contracted || rng.random_bool(0.15) {
                0.0
            } else if rng.random_bool(0.2) {
                rng.random_range(0.1..1.0)
            } else {
                1.0
            };
            m.eff_factor.set(SegmentIx(s), ProviderIx(v), f);
            m.base_weight.set(
                SegmentIx(s),
                ProviderIx(v),
                if l > 0.0 { f.powf(-p.beta) * l } else { 0.0 },
            );
            factor.push(f);
            pay.push(paid);
            leak.push(l);
        }
        segments.push(Segment {
            money,
            pay,
            factor,
            leak,
        });
    }
    (m, segments, p)
}

#[test]
fn the_fast_price_clearing_matches_the_reference() {
    for seed in 0..20 {
        let (mut m, segments, p) = random_market(seed, 5, 6);
        let start = m.price.clone();
        let capacity = m.capacity.clone();
        let cost = m.cost.clone();
        let cap = m.cap.clone();
        clearing::clear_prices(&mut m, &p, false);
        let expected = equations::clear_prices(&segments, &start, &capacity, (&cost, &cap), &p);
        for (v, (&price, &expected)) in m.price.iter().zip(&expected).enumerate() {
            assert!(
                (price - expected).abs() <= 1e-9 * expected,
                "seed {seed}, provider {v}: {} vs {}",
                price,
                expected
            );
        }
        // And each segment's demand is its money at the price it expects to pay.
        for (s, seg) in segments.iter().enumerate() {
            let eff: Vec<f64> = (0..6).map(|v| m.price[v] * seg.factor[v]).collect();
            let paid: Vec<f64> = (0..6).map(|v| m.price[v] * seg.pay[v]).collect();
            let shares =
                equations::logit_shares(&eff, &seg.leak, &capacity, p.beta, p.capacity_weight);
            let d = equations::segment_demand(seg.money, &shares, &paid, p.hours_per_month);
            if shares.iter().sum::<f64>() > 0.0 {
                assert!((m.demand[s] - d).abs() <= 1e-9 * d.max(1.0), "segment {s}");
            }
            // And the price index the books report is the equation's, from the same final prices.
            if seg.money > 0.0 {
                let norm = books::price_index_norm(&m.capacity, p.capacity_weight);
                let fast = books::segment_price_index(&m, s, norm, p.beta);
                let reference =
                    equations::price_index(&eff, &seg.leak, &capacity, p.beta, p.capacity_weight);
                match (fast, reference) {
                    (Some(a), Some(b)) => {
                        assert!((a - b).abs() <= 1e-9 * b, "segment {s}: {a} vs {b}")
                    }
                    (a, b) => assert_eq!(a, b, "segment {s}"),
                }
            }
        }
    }
}

#[test]
fn the_price_index_is_the_price_at_full_access_and_rises_when_a_provider_closes() {
    let p = Parameters::default();
    let index = |eff: &[f64], leak: &[f64], capacity: &[f64]| {
        equations::price_index(eff, leak, capacity, p.beta, p.capacity_weight).unwrap()
    };
    // One price everywhere, every provider open without friction: the index is that price.
    let x = index(&[1.5, 1.5, 1.5], &[1.0; 3], &[1e3, 2e3, 7e3]);
    assert!((x - 1.5).abs() < 1e-12, "{x}");
    // Closing a provider, or letting through less of it, raises it at the same prices, even the
    // dearest provider (its buyers valued it), and more the larger the provider closed.
    let prices = [1.0, 1.2, 1.8];
    let capacity = [5e3, 4e3, 1e3];
    let open = index(&prices, &[1.0, 1.0, 1.0], &capacity);
    let dearest_closed = index(&prices, &[1.0, 1.0, 0.0], &capacity);
    let half_kyc = index(&prices, &[1.0, 0.5, 1.0], &capacity);
    let cheapest_closed = index(&prices, &[0.0, 1.0, 1.0], &capacity);
    assert!(
        open < dearest_closed && open < half_kyc,
        "{open} {dearest_closed} {half_kyc}"
    );
    assert!(dearest_closed < cheapest_closed);
    // A higher price raises it; with nothing open there is no index.
    assert!(index(&[1.1, 1.2, 1.8], &[1.0; 3], &capacity) > open);
    assert_eq!(
        equations::price_index(&prices, &[0.0; 3], &capacity, p.beta, p.capacity_weight),
        None
    );
}

#[test]
fn contracted_segments_read_only_their_providers_and_the_market_is_the_same_to_the_bit() {
    // The same markets solved with every row read in full: prices, shares, demand, allocations and
    // spend agree bit for bit, so leaving a contracted segment's other providers out changes nothing.
    let mut contracted_rows = 0;
    for seed in 0..40 {
        let (mut m, _, p) = random_market(seed, 6, 7);
        contracted_rows += m.columns.iter().flatten().count();
        let mut full = m.clone();
        full.columns = vec![None; m.columns.len()];
        for m in [&mut m, &mut full] {
            clearing::expected_prices(m, p.beta, p.capacity_weight, clearing::Segments::Inference);
            clearing::choice_prices(m);
            clearing::clear_prices(m, &p, seed % 2 == 0);
            clearing::solve(m, p.capacity_weight, p.reoffer_rounds, p.hours_per_month);
        }
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for (what, a, b) in [
            ("price", m.price.as_slice(), full.price.as_slice()),
            (
                "expected price",
                m.expected_price.as_slice(),
                full.expected_price.as_slice(),
            ),
            (
                "choice price",
                m.choice_price.as_slice(),
                full.choice_price.as_slice(),
            ),
            ("demand", m.demand.as_slice(), full.demand.as_slice()),
            ("spent", m.spent.as_slice(), full.spent.as_slice()),
            (
                "first requests",
                m.first_requests.as_slice(),
                full.first_requests.as_slice(),
            ),
            ("share", m.share.flat(), full.share.flat()),
            ("first share", m.first_share.flat(), full.first_share.flat()),
            ("allocation", m.alloc.flat(), full.alloc.flat()),
        ] {
            assert_eq!(bits(a), bits(b), "seed {seed}: {what}");
        }
    }
    assert!(contracted_rows >= 20, "too few contracted pools drawn");
}

/// The reference clearing run month after month with fixed money and capacity: prices and the gap
/// between requests and capacity.
fn months_of_clearing(
    money: f64,
    capacity: f64,
    start_price: f64,
    months: usize,
    cut_at: Option<(usize, f64)>,
) -> Vec<(f64, f64)> {
    let p = Parameters::default();
    let seg = Segment {
        money,
        factor: vec![1.0, 1.0],
        pay: vec![1.0, 1.0],
        leak: vec![1.0, 1.0],
    };
    let cost = [1.0, 1.0];
    let cap = [10.0, 10.0];
    let mut price = vec![start_price, start_price];
    let mut out = Vec::new();
    for month in 0..months {
        let total = match cut_at {
            Some((at, share)) if month >= at => capacity * share,
            _ => capacity,
        };
        let caps = [total / 2.0, total / 2.0];
        price =
            equations::clear_prices(std::slice::from_ref(&seg), &price, &caps, (&cost, &cap), &p);
        let eff = price.clone();
        let shares = equations::logit_shares(&eff, &seg.leak, &caps, p.beta, p.capacity_weight);
        let demand = equations::segment_demand(money, &shares, &eff, p.hours_per_month);
        out.push((price[0], demand - total));
    }
    out
}

#[test]
fn prices_settle_at_the_fixed_point_within_a_year_without_overshooting() {
    // Money that buys exactly the capacity at 2 USD an hour, from a start at 3.
    let capacity = 1e5;
    let money = capacity * 2.0 * 730.0;
    let path = months_of_clearing(money, capacity, 3.0, 12, None);
    let (last, _) = path[11];
    assert!((last - 2.0).abs() / 2.0 < 0.01, "price after a year {last}");
    let signs = path
        .windows(2)
        .filter(|w| (w[0].1 > 0.0) != (w[1].1 > 0.0))
        .count();
    assert!(
        signs <= 1,
        "requests minus capacity changed sign {signs} times"
    );
}

#[test]
fn a_capacity_cut_raises_prices_monotonically_with_little_overshoot() {
    let capacity = 1e5;
    let money = capacity * 2.0 * 730.0;
    let path = months_of_clearing(money, capacity, 2.0, 36, Some((1, 0.5)));
    let prices: Vec<f64> = path.iter().map(|x| x.0).collect();
    for w in prices[1..].windows(2) {
        assert!(
            w[1] >= w[0] - 1e-12,
            "prices fell after the cut: {prices:?}"
        );
    }
    // Half the capacity for the same money: the price doubles.
    let settled = *prices.last().unwrap();
    assert!((settled - 4.0).abs() / 4.0 < 0.01, "settled at {settled}");
    let top = prices.iter().copied().fold(0.0, f64::max);
    assert!(top <= 4.0 * 1.05, "overshoot to {top}");
}

#[test]
fn a_price_moves_at_most_its_step_a_month_and_stays_between_cost_and_cap() {
    let p = Parameters::default();
    let seg = Segment {
        money: 1e12,
        factor: vec![1.0],
        pay: vec![1.0],
        leak: vec![1.0],
    };
    let once = equations::clear_prices(
        std::slice::from_ref(&seg),
        &[2.0],
        &[1.0],
        (&[1.0], &[3.0]),
        &p,
    );
    assert!((once[0] - 2.0 * (1.0 + p.price_step_max)).abs() < 1e-12);
    let mut price = vec![2.0];
    for _ in 0..60 {
        price = equations::clear_prices(
            std::slice::from_ref(&seg),
            &price,
            &[1.0],
            (&[1.0], &[3.0]),
            &p,
        );
    }
    assert!(
        (price[0] - p.price_cap_ratio).abs() < 1e-12,
        "capped at {}",
        price[0]
    );
    let idle = Segment { money: 0.0, ..seg };
    let mut price = vec![2.0];
    for _ in 0..60 {
        price = equations::clear_prices(
            std::slice::from_ref(&idle),
            &price,
            &[1.0],
            (&[1.0], &[3.0]),
            &p,
        );
    }
    assert_eq!(price[0], 1.0, "no demand: down to the user cost");
}

#[test]
fn budgets_grow_ever_slower_and_stop_at_the_gdp_ceiling() {
    let p = Parameters::default();
    let g0 = crate::systems::budgets::budget_growth(1.0, 0, 0.0, &p);
    let g5 = crate::systems::budgets::budget_growth(1.0, 60, 0.0, &p);
    assert_eq!(g0, 1.0);
    // The excess over GDP growth shrinks by 30 % a year: 0.03 + 0.97 × 0.7^5.
    assert!((g5 - (0.03 + 0.97 * 0.7f64.powi(5))).abs() < 1e-12);
    let near = crate::systems::budgets::budget_growth(1.0, 0, 0.9 * p.budget_gdp_ceiling, &p);
    assert!((near - (1.0 - 0.9f64.powi(4))).abs() < 1e-12);
    assert_eq!(
        crate::systems::budgets::budget_growth(1.0, 0, p.budget_gdp_ceiling, &p),
        0.0
    );
    assert_eq!(
        crate::systems::budgets::budget_growth(1.0, 0, 2.0 * p.budget_gdp_ceiling, &p),
        0.0
    );
}

#[test]
fn capex_follows_revenue_growth_and_return_within_its_bounds() {
    let p = Parameters::default();
    let at = |revenue, growth, q| CapexFactors { revenue, growth, q };
    let start = at(10.0, 4.0, 2.0);
    // Used as much as a cloud needs to be (at or above `idle_utilisation`, over about a year).
    let used = p.idle_utilisation.max(0.5);
    let capex = |now, last| equations::capex(100.0, last, (now, start), used, &p);
    // Same as at the start: the start's capex.
    assert!((capex(start, 100.0) - 100.0).abs() < 1e-9);
    // Revenue up 20 %: capex up 20 %, unless that is faster than capex may grow in a month.
    let up = capex(at(12.0, 4.0, 2.0), 100.0);
    assert!((up - 100.0 * 2f64.powf(1.0 / 12.0)).abs() < 1e-9, "{up}");
    let up = capex(at(12.0, 4.0, 2.0), 1000.0);
    assert!((up - 120.0).abs() < 1e-9);
    // Expected growth halves the growth term: capex halves.
    assert!((capex(at(10.0, 2.0, 2.0), 100.0) - 50.0).abs() < 1e-9);
    // A collapse in return divides capex by `capex_margin_max` at most.
    let fall = capex(at(10.0, 4.0, 0.1), 100.0);
    assert!((fall - 100.0 / p.capex_margin_max).abs() < 1e-9, "{fall}");
    // Capacity standing idle — a year's mean utilisation under `idle_utilisation` — brakes capex in
    // proportion, without a floor; without the rule nothing does.
    let idle = p.idle_utilisation;
    assert!(idle > 0.0);
    let braked = equations::capex(100.0, 100.0, (start, start), 0.2 * idle, &p);
    assert!((braked - 20.0).abs() < 1e-9, "{braked}");
    let unused = equations::capex(100.0, 100.0, (start, start), 0.0, &p);
    assert_eq!(unused, 0.0);
    let off = Parameters {
        idle_utilisation: 0.0,
        ..p.clone()
    };
    let unbraked = equations::capex(100.0, 100.0, (start, start), 0.01, &off);
    assert!((unbraked - 100.0).abs() < 1e-9, "{unbraked}");
}

#[test]
fn access_and_effective_price_follow_their_equations() {
    assert_eq!(equations::access(false, false, 0.0, 1.0), (0.0, false));
    assert_eq!(equations::access(true, true, 0.0, 1.0), (0.0, true));
    assert_eq!(equations::access(true, false, 1.0, 1.0), (0.0, true));
    assert_eq!(equations::access(true, false, 1.0, 0.6), (1.0 - 0.6, false));
    assert_eq!(equations::access(true, false, 0.0, 1.0), (1.0, false));
    assert!((equations::effective_price(2.0, 0.7, 0.5, 0.1) - 2.0 * 0.7 * 1.6).abs() < 1e-12);
}

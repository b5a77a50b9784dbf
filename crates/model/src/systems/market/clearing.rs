//! Clearing: prices step toward balance, then logit shares and pro-rata rationing split what is left.
//!
//! Each of the month's `price_iterations` steps computes every segment's logit shares and demand at the
//! current prices and moves each provider's price by `clamp((R/K)^η, 1/(1 + δ_k), 1 + δ_k)` on requested
//! over open capacity ([`equations::price_step`]); the month's total move stays within `price_step_max`,
//! and prices stay between the user cost and `price_cap_ratio` times it. With money budgets and logit
//! shares the requests' price elasticities have row sums −1 and own elasticities at most β, so `η ≤ 1/β`
//! makes each step a contraction toward balance, without overshoot (ODD 7.6). A fixed number of steps and
//! no early exit keep runs deterministic and their cost constant.
//!
//! At the final prices, each round gives every segment with money left logit shares over the providers
//! with capacity left; its money buys at its expected price in the round; oversubscribed providers fill
//! pro rata, and the money not spent and the capacity left carry to the next round, for `reoffer_rounds`
//! re-offers. A segment spends only what it is served at the price it pays, so its money is either spent
//! (to providers) or left unspent: the books close. Bloc friction and the sanction premium weigh in the
//! logit choice but are not paid.

use super::MarketScratch;
use crate::parameters::Parameters;
use crate::resources::{ProviderIx, SegmentIx};

/// Which segments a phase updates; the others keep stale numbers that nothing reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segments {
    /// Every pool's inference segment: what labs expect to pay, before they place their money.
    Inference,
    /// The segments that bring money this month.
    WithMoney,
    /// The segments with money left in the current rationing round.
    WithMoneyLeft,
}

impl Segments {
    fn chosen(self, m: &MarketScratch, s: usize) -> bool {
        match self {
            Segments::Inference => s.is_multiple_of(2),
            Segments::WithMoney => m.money[s] > 0.0,
            Segments::WithMoneyLeft => m.remaining_money[s] > 0.0,
        }
    }
}

/// `x^w`, without a call to `pow` when `w` is 1 (the default capacity weight): `pow(x, 1)` is `x` exactly.
#[inline(always)]
pub(crate) fn pow_weight(x: f64, w: f64) -> f64 {
    if w == 1.0 { x } else { x.powf(w) }
}

/// Segments worked on together in the row sums below. A row's sum adds its providers one after another,
/// each addition waiting for the one before; four rows at once keep four such chains going (each row
/// still adds in provider order, so the sums are the same to the bit).
pub(crate) const LANES: usize = 4;

impl Segments {
    /// The chosen segments, in order, into `m.chosen`.
    fn choose(self, m: &mut MarketScratch) {
        let mut chosen = std::mem::take(&mut m.chosen);
        chosen.clear();
        chosen.extend((0..m.segments).filter(|&s| self.chosen(m, s)));
        m.chosen = chosen;
    }
}

/// Each provider's `price^−beta` at the current prices, recomputed only when its price (or `beta`)
/// changed since it was last computed: prices held at their floor or cap, and the month's first
/// prices, reuse it.
fn update_price_weights(m: &mut MarketScratch, beta: f64) {
    for v in 0..m.providers {
        let key = (m.price[v].to_bits(), beta.to_bits());
        if m.price_weight_of[v] != Some(key) {
            m.price_weight[v] = m.price[v].powf(-beta);
            m.price_weight_of[v] = Some(key);
        }
    }
}

/// Each provider's capacity factor, `(capacity left ÷ the largest)^capacity_weight` (0 when it has
/// none left).
fn capacity_factors(m: &mut MarketScratch, capacity_weight: f64) {
    let largest = m.remaining_capacity.iter().copied().fold(0.0, f64::max);
    for v in 0..m.providers {
        let cap = m.remaining_capacity[v];
        m.capacity_factor[v] = if cap > 1e-9 {
            pow_weight(cap / largest, capacity_weight)
        } else {
            0.0
        };
    }
}

/// Logit shares of the chosen segments over the providers with capacity left: attraction `−beta
/// ln(effective price) + ln(share let through) + capacity_weight ln(capacity left)`, evaluated as the
/// segment's static weight times the provider's capacity factor.
pub(crate) fn logit_shares(m: &mut MarketScratch, capacity_weight: f64, which: Segments) {
    which.choose(m);
    chosen_logit_shares(m, capacity_weight);
}

/// Walks the segments in `m.chosen` in order: runs of segments that may use every provider in groups of
/// at most [`LANES`] (`dense`), each contracted segment alone with its providers (`sparse`), so that
/// whatever the two add across segments is added in the segments' order, as one loop over them would.
/// A contracted segment's cells for other providers hold no weight, so leaving them out changes no sum.
fn walk(
    m: &mut MarketScratch,
    mut dense: impl FnMut(&mut MarketScratch, &[usize]),
    mut sparse: impl FnMut(&mut MarketScratch, usize, &[usize]),
) {
    let (chosen, columns) = (
        std::mem::take(&mut m.chosen),
        std::mem::take(&mut m.columns),
    );
    let mut group = [0; LANES];
    let mut len = 0;
    for &s in &chosen {
        match super::contracted(&columns, s) {
            None => {
                group[len] = s;
                len += 1;
                if len == LANES {
                    dense(m, &group);
                    len = 0;
                }
            }
            Some(providers) => {
                if len > 0 {
                    dense(m, &group[..len]);
                    len = 0;
                }
                sparse(m, s, providers);
            }
        }
    }
    if len > 0 {
        dense(m, &group[..len]);
    }
    (m.chosen, m.columns) = (chosen, columns);
}

/// `1 / sum`, or 0 for a segment with no weight anywhere.
fn scale(sum: f64) -> f64 {
    if sum > 0.0 { 1.0 / sum } else { 0.0 }
}

/// [`logit_shares`] of the segments in `m.chosen`.
fn chosen_logit_shares(m: &mut MarketScratch, capacity_weight: f64) {
    capacity_factors(m, capacity_weight);
    walk(
        m,
        |m, group| {
            let np = m.providers;
            let (weights, shares, factor) = (
                m.static_weight.flat(),
                m.share.flat_mut(),
                &m.capacity_factor,
            );
            let mut sums = [0.0; LANES];
            for (v, &f) in factor.iter().enumerate() {
                for (sum, &s) in sums.iter_mut().zip(group) {
                    let w = weights[s * np + v] * f;
                    shares[s * np + v] = w;
                    *sum += w;
                }
            }
            for (&sum, &s) in sums.iter().zip(group) {
                let scale = scale(sum);
                for share in &mut shares[s * np..(s + 1) * np] {
                    *share *= scale;
                }
            }
        },
        |m, s, providers| {
            let row = s * m.providers;
            let (weights, shares, factor) = (
                m.static_weight.flat(),
                m.share.flat_mut(),
                &m.capacity_factor,
            );
            let mut sum = 0.0;
            for &v in providers {
                let w = weights[row + v] * factor[v];
                shares[row + v] = w;
                sum += w;
            }
            let scale = scale(sum);
            for &v in providers {
                shares[row + v] *= scale;
            }
        },
    );
}

/// The chosen segments' logit-expected effective prices at the current prices, on open capacity: their
/// static weights ([`update_price_weights`] times the base weights), logit shares ([`logit_shares`]'
/// arithmetic) and the shares' mean price paid, a few rows at a time: one pass over the segment ×
/// provider grids, not one for each of the three (in a world of a thousand nations and providers they
/// are far larger than the caches). The price steps themselves need none of them stored:
/// [`step_requests`].
pub(crate) fn expected_prices(
    m: &mut MarketScratch,
    beta: f64,
    capacity_weight: f64,
    which: Segments,
) {
    which.choose(m);
    update_price_weights(m, beta);
    m.remaining_capacity.copy_from_slice(&m.capacity);
    capacity_factors(m, capacity_weight);
    // What a segment pays per USD of list price (the contract discount); bloc friction and the sanction
    // premium weigh in its choice (the logit weights) but are not paid.
    walk(
        m,
        |m, group| {
            let np = m.providers;
            let (base, statics, shares) = (
                m.base_weight.flat(),
                m.static_weight.flat_mut(),
                m.share.flat_mut(),
            );
            let (pay, price, pw, factor) =
                (&m.pay_factor, &m.price, &m.price_weight, &m.capacity_factor);
            let mut sums = [0.0; LANES];
            for v in 0..np {
                let (p, f) = (pw[v], factor[v]);
                for (sum, &s) in sums.iter_mut().zip(group) {
                    let st = base[s * np + v] * p;
                    statics[s * np + v] = st;
                    let w = st * f;
                    shares[s * np + v] = w;
                    *sum += w;
                }
            }
            for (&sum, &s) in sums.iter().zip(group) {
                m.logit_sum[s] = sum;
                let (scale, e) = (scale(sum), pay[s]);
                let mut expected = 0.0;
                for (share, pv) in shares[s * np..(s + 1) * np].iter_mut().zip(price) {
                    *share *= scale;
                    expected += *share * e * pv;
                }
                m.expected_price[s] = expected;
            }
        },
        |m, s, providers| {
            let row = s * m.providers;
            let (base, statics, shares) = (
                m.base_weight.flat(),
                m.static_weight.flat_mut(),
                m.share.flat_mut(),
            );
            let mut sum = 0.0;
            for &v in providers {
                let st = base[row + v] * m.price_weight[v];
                statics[row + v] = st;
                let w = st * m.capacity_factor[v];
                shares[row + v] = w;
                sum += w;
            }
            m.logit_sum[s] = sum;
            let (scale, e) = (scale(sum), m.pay_factor[s]);
            let mut expected = 0.0;
            for &v in providers {
                let share = &mut shares[row + v];
                *share *= scale;
                expected += *share * e * m.price[v];
            }
            m.expected_price[s] = expected;
        },
    );
}

/// The chosen segments' logit-expected prices as their choice sees them (friction and sanction premium
/// included), at the shares [`expected_prices`] left.
pub(crate) fn choice_prices(m: &mut MarketScratch) {
    let np = m.providers;
    for &s in &m.chosen {
        let (share, eff) = (m.share.row(SegmentIx(s)), m.eff_factor.row(SegmentIx(s)));
        let cell = |v: usize| share[v] * eff[v] * m.price[v];
        m.choice_price[s] = match m.contracted(s) {
            Some(providers) => providers.iter().map(|&v| cell(v)).sum(),
            None => (0..np).map(cell).sum(),
        };
    }
}

/// The H100e one USD of a segment's monthly money buys at its expected price (at the providers' mean
/// price if it expects none); none without money.
fn demand_per_usd(money: f64, expected: f64, mean_price: f64, hours: f64) -> f64 {
    if money <= 0.0 {
        0.0
    } else if expected > 0.0 {
        1.0 / (expected * hours)
    } else {
        1.0 / (mean_price * hours)
    }
}

/// Each segment's demand, H100e, from its money at its expected price; a segment no provider may serve
/// is priced at the mean list price, so that its demand shows as unmet.
fn segment_demand(m: &mut MarketScratch, hours: f64) {
    let mean_price = m.price.iter().sum::<f64>() / m.providers.max(1) as f64;
    for s in 0..m.segments {
        let per_usd = demand_per_usd(m.money[s], m.expected_price[s], mean_price, hours);
        m.outcome[s].demand_per_usd = per_usd;
        m.demand[s] = m.money[s] * per_usd;
    }
}

/// What the segments with money request of each provider at the current prices, into `m.requests`:
/// [`expected_prices`], [`segment_demand`] and each segment's demand spread by its shares, a few rows at
/// a time and with the same arithmetic, but with the rows' weights held in `lane_rows` rather than
/// written to the segment × provider grids, which nothing reads between price steps (the final prices'
/// shares and demand are computed after the last step).
fn step_requests(m: &mut MarketScratch, beta: f64, capacity_weight: f64, hours: f64) {
    Segments::WithMoney.choose(m);
    update_price_weights(m, beta);
    m.remaining_capacity.copy_from_slice(&m.capacity);
    capacity_factors(m, capacity_weight);
    let np = m.providers;
    let mean_price = m.price.iter().sum::<f64>() / np.max(1) as f64;
    m.requests.fill(0.0);
    walk(
        m,
        |m, group| {
            let (base, pay, price, pw, factor, money) = (
                m.base_weight.flat(),
                &m.pay_factor,
                &m.price,
                &m.price_weight,
                &m.capacity_factor,
                &m.money,
            );
            let (rows, requests) = (&mut m.lane_rows, &mut m.requests);
            let mut sums = [0.0; LANES];
            for v in 0..np {
                let (p, f) = (pw[v], factor[v]);
                for (k, (sum, &s)) in sums.iter_mut().zip(group).enumerate() {
                    let w = base[s * np + v] * p * f;
                    rows[k * np + v] = w;
                    *sum += w;
                }
            }
            for (k, (&sum, &s)) in sums.iter().zip(group).enumerate() {
                let (row, e) = (&mut rows[k * np..(k + 1) * np], pay[s]);
                let scale = scale(sum);
                let mut expected = 0.0;
                for (w, pv) in row.iter_mut().zip(price) {
                    *w *= scale;
                    expected += *w * e * pv;
                }
                let d = money[s] * demand_per_usd(money[s], expected, mean_price, hours);
                if d > 0.0 {
                    for (r, x) in requests.iter_mut().zip(row.iter()) {
                        *r += d * x;
                    }
                }
            }
        },
        |m, s, providers| {
            let base = m.base_weight.row(SegmentIx(s));
            let row = &mut m.lane_rows[..providers.len()];
            let mut sum = 0.0;
            for (w, &v) in row.iter_mut().zip(providers) {
                *w = base[v] * m.price_weight[v] * m.capacity_factor[v];
                sum += *w;
            }
            let (scale, e) = (scale(sum), m.pay_factor[s]);
            let mut expected = 0.0;
            for (w, &v) in row.iter_mut().zip(providers) {
                *w *= scale;
                expected += *w * e * m.price[v];
            }
            let money = m.money[s];
            let d = money * demand_per_usd(money, expected, mean_price, hours);
            if d > 0.0 {
                for (x, &v) in row.iter().zip(providers) {
                    m.requests[v] += d * x;
                }
            }
        },
    );
}

/// The month's prices: `price_iterations` bounded steps on requested over open capacity, then every
/// segment's shares, expected price and demand at the final prices. In the first month (`warm_up`) the
/// prices take a year's worth of steps with no monthly limit, so that a run starts from a market that
/// has cleared rather than from the scenario's rounded list prices.
#[inline(never)]
pub(crate) fn clear_prices(m: &mut MarketScratch, p: &Parameters, warm_up: bool) {
    let np = m.providers;
    let (steps, month_step) = if warm_up {
        (12 * p.price_iterations, f64::INFINITY)
    } else {
        (p.price_iterations, p.price_step_max)
    };
    for _ in 0..steps {
        step_requests(m, p.beta, p.capacity_weight, p.hours_per_month);
        for v in 0..np {
            let stepped = super::equations::price_step(
                m.price[v],
                m.requests[v],
                m.capacity[v],
                p.price_eta,
                p.price_step_iteration,
            );
            let within = super::equations::within;
            m.price[v] = within(
                within(
                    stepped,
                    m.start_price[v] / (1.0 + month_step),
                    m.start_price[v] * (1.0 + month_step),
                ),
                m.cost[v],
                m.cap[v],
            );
        }
    }
    expected_prices(m, p.beta, p.capacity_weight, Segments::WithMoney);
    segment_demand(m, p.hours_per_month);
}

/// Logit shares, pro-rata rationing and re-offer rounds over segments at the final prices, in money.
/// Each round, a segment with money left splits it by its logit shares over the providers with capacity
/// left and buys at its expected effective price in the round (`D = money ÷ (p̄ × hours)`); each provider
/// fills pro rata; what a segment is served it pays for at its effective price, and the rest of its
/// money carries to the next round. Fills `alloc` and `spent` (USD) and, from the
/// first round, `first_requests` (demand directed at each provider before rationing) and `first_share`.
#[inline(never)]
pub(crate) fn solve(m: &mut MarketScratch, capacity_weight: f64, reoffer_rounds: u32, hours: f64) {
    let np = m.providers;
    let columns = std::mem::take(&mut m.columns);
    let every = std::mem::take(&mut m.every_provider);
    // A segment's providers: its contracted ones, or all. Its other cells are never written.
    let providers = |s: usize| super::providers_of(&columns, &every, s);
    for s in 0..m.segments {
        let alloc = m.alloc.row_mut(SegmentIx(s));
        for &v in providers(s) {
            alloc[v] = 0.0;
        }
    }
    m.spent.fill(0.0);
    m.remaining_money.copy_from_slice(&m.money);
    m.remaining_capacity.copy_from_slice(&m.capacity);
    m.columns = columns;
    for round in 0..=reoffer_rounds {
        // Segments without money (left) keep stale shares; nothing reads them.
        logit_shares(m, capacity_weight, Segments::WithMoneyLeft);
        let columns = std::mem::take(&mut m.columns);
        let contracted = |s: usize| super::contracted(&columns, s);
        let providers = |s: usize| super::providers_of(&columns, &every, s);
        // Each chosen segment's demand in the round: its money at its expected price over the
        // providers it may still use.
        m.requests.fill(0.0);
        for &s in &m.chosen {
            let share = m.share.row(SegmentIx(s));
            let e = m.pay_factor[s];
            let expected: f64 = providers(s)
                .iter()
                .map(|&v| share[v] * e * m.price[v])
                .sum();
            let d = if expected > 0.0 {
                m.remaining_money[s] / (expected * hours)
            } else {
                0.0
            };
            m.remaining_demand[s] = d;
            for &v in providers(s) {
                m.requests[v] += d * share[v];
            }
        }
        if round == 0 {
            m.first_requests.copy_from_slice(&m.requests);
            for s in 0..m.segments {
                let (first, share) = (
                    m.first_share.row_mut(SegmentIx(s)),
                    m.share.row(SegmentIx(s)),
                );
                match contracted(s) {
                    Some(providers) => {
                        for &v in providers {
                            first[v] = share[v];
                        }
                    }
                    None => first.copy_from_slice(share),
                }
            }
        }
        m.served.fill(0.0);
        for &s in &m.chosen {
            let d = m.remaining_demand[s];
            if d <= 0.0 {
                continue;
            }
            let mut spent = 0.0;
            let mut rationed = false;
            for &v in providers(s) {
                let r = m.requests[v];
                let share = m.share.get(SegmentIx(s), ProviderIx(v));
                if r <= 0.0 || share <= 0.0 {
                    continue;
                }
                let fill = m.remaining_capacity[v] / r;
                rationed |= fill < 1.0;
                let a = d * share * fill.min(1.0);
                if a > 0.0 {
                    m.alloc.add(SegmentIx(s), ProviderIx(v), a);
                    m.served[v] += a;
                    spent += a * m.pay_factor[s] * m.price[v] * hours;
                }
            }
            // Served in full: all its money spent, exactly (no rounding crumbs carried on).
            let spent = if rationed {
                spent.min(m.remaining_money[s])
            } else {
                m.remaining_money[s]
            };
            m.spent[s] += spent;
            m.remaining_money[s] = if rationed {
                (m.remaining_money[s] - spent).max(0.0)
            } else {
                0.0
            };
        }
        m.columns = columns;
        for v in 0..np {
            m.remaining_capacity[v] = (m.remaining_capacity[v] - m.served[v]).max(0.0);
        }
        if m.remaining_money.iter().all(|&x| x <= 0.0)
            || m.remaining_capacity.iter().all(|&c| c <= 1e-9)
        {
            break;
        }
    }
    m.every_provider = every;
}

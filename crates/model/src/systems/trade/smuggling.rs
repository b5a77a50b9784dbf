//! Smuggling: blocked buyers pay smugglers to buy, through intermediary routes, the chips controls close
//! to them.
//!
//! A nation's blocked money is what its buyers' first-round split put on classes closed to them. Through
//! each route `i` (in another nation), the blocked buyers pay a smuggler a LogNormal amount (log-sigma
//! `smuggling_sigma`) with mean `leakage_rate_i × share_i × blocked money`, at most the blocked money; the
//! payment comes out of their own money, pro rata to what each had blocked. The smuggler buys on the
//! open market in the route's nation, alongside its buyers and within its import cap, at the market price:
//! a USD paid buys `1/(1 + smuggling_premium)` USD of chips, and the rest is the smuggler's margin. Each
//! unit shipped on is seized once with the route's `enforcement` probability (Binomial); the rest reaches
//! the buyers who paid, pro rata to their payments, within what their nation's power leaves. Money a
//! smuggler could not spend goes back to its payers.

use super::sale::Buyer;
use crate::components::{ChipClass, Intermediary};
use crate::parameters::Parameters;
use crate::resources::*;
use rand_distr::{Binomial, Distribution, LogNormal};

/// Adds one smuggler per (blocked nation, route) to `buyers`, each paid by that nation's blocked buyers
/// out of their money; `room_left` is the H100e each nation's power leaves after its own buyers' wants.
pub(crate) fn add_smugglers(
    buyers: &mut Vec<Buyer>,
    routes: &[&Intermediary],
    room_left: &[f64],
    p: &Parameters,
    rng: &mut impl rand::Rng,
) {
    let nn = room_left.len();
    let mut blocked = vec![0.0; nn];
    for b in buyers.iter() {
        blocked[b.nation] += b.blocked;
    }
    let blocs = buyers.first().map_or(0, |b| b.bought.len());
    let mut paid = vec![0.0; nn];
    let mut smugglers = Vec::new();
    for (n, &money) in blocked.iter().enumerate() {
        if money <= 0.0 {
            continue;
        }
        for route in routes {
            let mean = route.leakage_rate * route.share * money;
            if mean <= 0.0 || route.nation == n {
                continue;
            }
            let sigma = p.smuggling_sigma;
            let drawn = match LogNormal::new(mean.ln() - sigma * sigma / 2.0, sigma) {
                Ok(d) if sigma > 0.0 => d.sample(rng),
                _ => mean,
            };
            let payment = drawn.min(money - paid[n]).max(0.0);
            paid[n] += payment;
            let mut smuggler = Buyer::new(
                route.nation,
                route.nation,
                payment / (1.0 + p.smuggling_premium),
                blocs,
            );
            smuggler.offered = payment;
            smuggler.legal = room_left[n] * route.share;
            smuggler.route = Some((route.idx, n));
            smugglers.push(smuggler);
        }
    }
    // The payments come out of the blocked buyers' money, pro rata to what each had blocked.
    for b in buyers.iter_mut() {
        let n = b.nation;
        if b.blocked > 0.0 && paid[n] > 0.0 {
            let pay = (paid[n] * b.blocked / blocked[n]).min(b.money);
            b.money -= pay;
            b.smuggling += pay;
        }
    }
    buyers.extend(smugglers);
}

/// What smuggled chips are shipped along and valued at.
pub(crate) struct Shipment<'a> {
    pub routes: &'a [&'a Intermediary],
    pub classes: &'a [&'a ChipClass],
    pub t: u32,
}

/// What the smugglers delivered and kept.
pub(crate) struct Delivered {
    /// H100e delivered to each nation, by origin bloc.
    pub h100e: TypedGrid<NationIx, BlocIx>,
    /// Per nation: USD the smugglers could not spend, owed back to the payers.
    pub refund: Vec<f64>,
    /// USD the smugglers kept: their premium on what they bought.
    pub margin: f64,
}

/// Smuggled chips are shipped on: each unit is seized once, with the route's `enforcement` probability
/// (Binomial); the rest is delivered.
pub(crate) fn ship(
    smugglers: &[Buyer],
    shipment: &Shipment,
    index: &WorldIndex,
    ledger: &mut ChipLedger,
    (rngs, log): (&mut Rngs, &mut EventLog),
) -> Delivered {
    let (nn, k) = (index.nation_ids.len(), index.blocs());
    let Shipment { routes, classes, t } = *shipment;
    let origin_of = |c: usize| classes.iter().find(|x| x.idx == c).map_or(0, |x| x.origin);
    let mut out = Delivered {
        h100e: TypedGrid::new(nn, k, 0.0),
        refund: vec![0.0; nn],
        margin: 0.0,
    };
    for b in smugglers {
        let Some((route, target)) = b.route else {
            continue;
        };
        // What it could not spend goes back, with the premium on it; on what it spent it keeps the
        // premium.
        let ratio = if b.chips + b.money > 0.0 {
            b.offered / (b.chips + b.money)
        } else {
            0.0
        };
        out.refund[target] += b.money * ratio;
        out.margin += b.chips * (ratio - 1.0);
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
            out.h100e
                .add(NationIx(target), BlocIx(origin_of(c)), delivered);
            if seized > 0.0
                && let Some(event) = log.record(t, EventKind::Seizure, &routes[route].id)
            {
                event.target = index.nation_ids[target].clone();
                event.nation = index.nation_ids[routes[route].nation].clone();
                event.detail = format!("{seized} of {whole} units of {} seized", index.chip_ids[c]);
            }
        }
    }
    out
}

/// What got through reaches the buyers of each nation who paid smugglers, pro rata to their payments;
/// what smugglers could not spend goes back to them the same way (too late to spend this month).
pub(crate) fn deliver(installers: &mut [Buyer], delivered: &Delivered) {
    let nn = delivered.refund.len();
    let mut paid = vec![0.0; nn];
    for b in installers.iter() {
        paid[b.nation] += b.smuggling;
    }
    for b in installers.iter_mut() {
        let n = b.nation;
        if b.smuggling <= 0.0 || paid[n] <= 0.0 {
            continue;
        }
        let share = b.smuggling / paid[n];
        for (origin, &h) in delivered.h100e.row(NationIx(n)).iter().enumerate() {
            b.bought[origin] += h * share;
            b.smuggled += h * share;
        }
        let refund = delivered.refund[n] * share;
        b.smuggling -= refund;
        b.money += refund;
    }
}

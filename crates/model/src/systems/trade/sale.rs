//! The sale: buyers choose among the chip classes they may buy by price, and scarce classes are rationed
//! pro rata.
//!
//! Each buyer splits its money over the classes on sale to it by a logit on their effective price per
//! H100e — its market's price times `1 + sanction_premium × chip sanction` — with sensitivity `chip_beta`,
//! each class weighted by its share of its market's H100e on offer (so that within a market, where every
//! class costs the same per H100e, money follows what is there). In the first round the split covers every
//! class the buyer would buy, controlled or not, and classes still in production whose market has sold
//! out: what it wants of the open ones is the market's demand signal, and the money the split puts on
//! classes controls close to it is its *blocked* money, which smugglers may take. In later rounds the money
//! left goes to the classes open to it that still have stock, but for `1 − blocked_substitution` of the
//! blocked money smugglers did not take, which is held back and left unspent (a buyer does not move its
//! whole order to another maker's chip in a month). Each class goes pro rata to the H100e wanted
//! of it; a buyer never takes more than its nation's power and import caps let it install. The sanction
//! premium weighs in a buyer's choice (a risk it would rather not take) but is not paid: the buyer pays
//! the class's price, which its seller gets. A government's discouragement of a class closes that share
//! of it to its own buyers, as a control closes it (but no smuggler brings it), and a licence fee is paid
//! out of what the seller gets: the buyer pays the price either way.

use crate::components::ChipClass;
use crate::parameters::Parameters;
use crate::resources::{ChipIx, NationIx};
use crate::resources::{ChipLedger, ChipMarket, Rules};
use crate::scenario::SoldTo;
use smallvec::{SmallVec, smallvec};

/// One buyer's month in the chip market.
#[derive(Clone, Debug)]
pub(crate) struct Buyer {
    /// Nation the chips are delivered to (for a smuggler, the route's nation, where it buys).
    pub nation: usize,
    /// Nation of the buyer's headquarters: a cloud region's provider's home, else `nation`.
    pub home: usize,
    /// USD it came with, and USD it still has.
    pub offered: f64,
    pub money: f64,
    /// H100e it may still receive legally (its nation's power and import caps).
    pub legal: f64,
    /// USD paid for datacentres built this month.
    pub facility: f64,
    /// USD paid for chips bought legally.
    pub chips: f64,
    /// USD of its money the first round's split put on classes controls close to it.
    pub blocked: f64,
    /// USD paid to smugglers.
    pub smuggling: f64,
    /// USD of its blocked money held back from the open classes this month (`blocked_substitution`).
    pub held_back: f64,
    /// USD its nation's power kept it from spending this month.
    pub kept_by_power: f64,
    /// H100e received by origin bloc (legal and smuggled), and of them smuggled.
    pub bought: SmallVec<[f64; 4]>,
    pub smuggled: f64,
    /// For a smuggler: (route, nation it ships to), and what it bought, in units by chip class.
    pub route: Option<(usize, usize)>,
    pub units: Vec<(usize, f64)>,
}

impl Buyer {
    pub fn new(nation: usize, home: usize, money: f64, blocs: usize) -> Self {
        Buyer {
            nation,
            home,
            offered: money,
            money,
            legal: f64::INFINITY,
            facility: 0.0,
            chips: 0.0,
            blocked: 0.0,
            smuggling: 0.0,
            held_back: 0.0,
            kept_by_power: 0.0,
            bought: smallvec![0.0; blocs],
            smuggled: 0.0,
            route: None,
            units: Vec::new(),
        }
    }

    /// Where controls look: a smuggler seeks what is controlled toward the nation it ships to.
    fn key(&self) -> (usize, usize, Option<usize>) {
        (self.nation, self.home, self.route.map(|r| r.1))
    }
}

/// The classes that may be sold this month, in index order, with their prices.
pub(crate) struct Shelf<'a> {
    pub classes: &'a [&'a ChipClass],
    /// By class position: whether it is made this month, and the price of an H100e of it, USD.
    pub in_production: Vec<bool>,
    pub price: Vec<f64>,
    /// Markets (origin blocs).
    pub markets: usize,
    /// By class position, `price^−chip_beta` (prices hold through the month's sale, so the power is taken
    /// once), and the H100e a USD buys.
    pub price_weight: Vec<f64>,
    pub h100e_per_usd: Vec<f64>,
}

impl<'a> Shelf<'a> {
    pub fn new(
        classes: &'a [&'a ChipClass],
        in_production: Vec<bool>,
        price: Vec<f64>,
        markets: usize,
        chip_beta: f64,
    ) -> Self {
        let price_weight = price.iter().map(|x| x.powf(-chip_beta)).collect();
        let h100e_per_usd = price.iter().map(|x| 1.0 / x).collect();
        Shelf {
            classes,
            in_production,
            price,
            markets,
            price_weight,
            h100e_per_usd,
        }
    }
}

/// What a kind of buyer (nation, headquarters, smuggling target) may buy of each class.
#[derive(Default)]
struct Access {
    /// Whether it would buy the class at all (who it is sold to; for a smuggler, controlled toward its
    /// target).
    wants: Vec<bool>,
    /// The share of the class controls leave open to it, and the share its nation's controls close (what
    /// smugglers may bring it; a block on its headquarters binds the firm, which no smuggler to its
    /// nation gets around).
    open: Vec<f64>,
    smugglable: Vec<f64>,
    /// `factor^−chip_beta`, with `factor` its effective price per USD of the class's price as its choice
    /// sees it (the sanction premium).
    factor_weight: Vec<f64>,
    /// This round's split of a USD over the classes, and whether it was made for the first round at the
    /// month's opening stock (so the sale's first round need not make it again).
    weight: Vec<f64>,
    first_split: bool,
}

fn sold_to(c: &ChipClass, n: usize, sides: &[Option<usize>]) -> bool {
    match c.sold_to {
        SoldTo::All => true,
        SoldTo::HomeNation => n == c.designer,
        SoldTo::HomeBloc => sides[c.designer].is_some() && sides[n] == sides[c.designer],
    }
}

impl Access {
    /// Sets `self` to what the kind of buyer `key` may buy this month (in place, reusing its buffers).
    fn set(
        &mut self,
        key: (usize, usize, Option<usize>),
        shelf: &Shelf,
        rules: &Rules,
        sides: &[Option<usize>],
        p: &Parameters,
    ) {
        let (nation, home, target) = key;
        let nc = shelf.classes.len();
        let access = self;
        for v in [
            &mut access.open,
            &mut access.smugglable,
            &mut access.factor_weight,
            &mut access.weight,
        ] {
            v.clear();
            v.resize(nc, 0.0);
        }
        access.factor_weight.fill(1.0);
        access.wants.clear();
        access.wants.resize(nc, false);
        access.first_split = false;
        for (ci, c) in shelf.classes.iter().enumerate() {
            let by_nation = rules.chip_block.get(ChipIx(c.idx), NationIx(nation));
            let block = by_nation.max(
                rules
                    .chip_block_headquartered
                    .get(ChipIx(c.idx), NationIx(home)),
            );
            // A government's guidance against a class closes that share of it to its own buyers
            // (what smugglers could bring is the exporters' blocked share only).
            let discouraged = rules.chip_discouraged.get(ChipIx(c.idx), NationIx(nation));
            access.open[ci] = (1.0 - block) * (1.0 - discouraged);
            access.smugglable[ci] = by_nation;
            access.wants[ci] = match target {
                Some(t) => {
                    rules.chip_block.get(ChipIx(c.idx), NationIx(t)) > 0.0 && sold_to(c, t, sides)
                }
                None => sold_to(c, nation, sides),
            };
            let sanction = rules.chip_sanction.get(ChipIx(c.idx), NationIx(nation));
            if sanction > 0.0 {
                access.factor_weight[ci] = (1.0 + p.sanction_premium * sanction).powf(-p.chip_beta);
            }
        }
    }

    /// This round's split of a USD: over the classes it would buy (`notional`: in production or in
    /// stock, open or not — the first round's) or over those open to it with stock left, each weighted by
    /// its share of its market's H100e on offer to this buyer (an even share of a market that has none
    /// on offer) and `(price × factor)^−chip_beta`.
    fn split(&mut self, shelf: &Shelf, stock: &[f64], notional: bool) {
        let k = shelf.markets;
        // Per market: H100e on offer to this buyer among its candidates, and how many candidates; the
        // candidates' H100e on offer are kept in `weight` until their weights replace them.
        let mut offer: SmallVec<[f64; 4]> = smallvec![0.0; k];
        let mut count: SmallVec<[f64; 4]> = smallvec![0.0; k];
        for (ci, c) in shelf.classes.iter().enumerate() {
            let candidate = self.wants[ci]
                && if notional {
                    stock[ci] > 0.0 || shelf.in_production[ci]
                } else {
                    stock[ci] > 0.0 && self.open[ci] > 0.0
                };
            self.weight[ci] = if candidate {
                let h = stock[ci] * c.h100e;
                offer[c.origin] += h;
                count[c.origin] += 1.0;
                h
            } else {
                -1.0
            };
        }
        let mut total = 0.0;
        for (ci, c) in shelf.classes.iter().enumerate() {
            let on_offer = self.weight[ci];
            let w = if on_offer >= 0.0 {
                let m = c.origin;
                let share = if offer[m] > 0.0 {
                    on_offer / offer[m]
                } else {
                    1.0 / count[m]
                };
                let open = if notional { 1.0 } else { self.open[ci] };
                share * open * shelf.price_weight[ci] * self.factor_weight[ci]
            } else {
                0.0
            };
            self.weight[ci] = w;
            total += w;
        }
        if total > 0.0 {
            for w in &mut self.weight {
                *w /= total;
            }
        }
    }
}

/// What each kind of buyer may buy this month, worked out once per kind (buyers of one nation and
/// headquarters, or smugglers for one target, face the same classes) for the first round and the sale.
/// Kept from month to month for its buffers: [`Accesses::new_month`] forgets what it knew.
#[derive(Default)]
pub(crate) struct Accesses {
    /// [nation × headquarters] for buyers, [route nation × target] for smugglers: the row, or `NONE`.
    buyers: Vec<u32>,
    smugglers: Vec<u32>,
    nations: usize,
    list: Vec<Access>,
    used: usize,
}

const NONE: u32 = u32::MAX;

impl Accesses {
    pub(crate) fn new_month(&mut self, nations: usize) {
        self.nations = nations;
        for rows in [&mut self.buyers, &mut self.smugglers] {
            rows.clear();
            rows.resize(nations * nations, NONE);
        }
        self.used = 0;
    }

    fn row(
        &mut self,
        key: (usize, usize, Option<usize>),
        shelf: &Shelf,
        (rules, sides, p): (&Rules, &[Option<usize>], &Parameters),
    ) -> usize {
        let (nation, home, target) = key;
        let slot = match target {
            None => &mut self.buyers[nation * self.nations + home],
            Some(t) => &mut self.smugglers[nation * self.nations + t],
        };
        if *slot == NONE {
            if self.used == self.list.len() {
                self.list.push(Access::default());
            }
            self.list[self.used].set(key, shelf, rules, sides, p);
            *slot = self.used as u32;
            self.used += 1;
        }
        *slot as usize
    }
}

/// The first round's split of every buyer's money: the money it puts on classes controls close to the
/// buyer is its blocked money (set in `Buyer::blocked`), which smugglers may take.
pub(crate) fn first_round(
    shelf: &Shelf,
    buyers: &mut [Buyer],
    ledger: &ChipLedger,
    accesses: &mut Accesses,
    world: (&Rules, &[Option<usize>], &Parameters),
) {
    let stock: Vec<f64> = shelf.classes.iter().map(|c| ledger.stock[c.idx]).collect();
    for b in buyers.iter_mut() {
        if b.money <= 0.0 {
            continue;
        }
        let row = accesses.row(b.key(), shelf, world);
        let access = &mut accesses.list[row];
        if !access.first_split {
            access.split(shelf, &stock, true);
            access.first_split = true;
        }
        b.blocked = access
            .weight
            .iter()
            .zip(&access.smugglable)
            .map(|(w, x)| b.money * w * x)
            .sum();
    }
}

/// Each buyer holds back from this month's later rounds `1 − substitution` of its blocked money that
/// smugglers did not take: it is not spent on the open classes this month.
pub(crate) fn hold_back(buyers: &mut [Buyer], substitution: f64) {
    for b in buyers.iter_mut() {
        let held = ((1.0 - substitution) * (b.blocked - b.smuggling))
            .min(b.money)
            .max(0.0);
        b.held_back = held;
        b.money -= held;
    }
}

/// The money held back returns to its buyers after the sale, to be left unspent.
pub(crate) fn release_held_back(buyers: &mut [Buyer]) {
    for b in buyers.iter_mut() {
        b.money += b.held_back;
    }
}

/// Sells the stock of every class to `buyers` in up to `rounds` rounds (the first as [`first_round`]
/// split it; the later ones over what is open and left). Sales are booked in the ledger and the
/// market; buyers pay the effective price, sellers get the market's. Each market's demand signal
/// (`market.wanted`) is what buyers wanted of it, round by round, at its price.
pub(crate) fn sell(
    shelf: &Shelf,
    buyers: &mut [Buyer],
    ledger: &mut ChipLedger,
    market: &mut ChipMarket,
    accesses: &mut Accesses,
    world: (&Rules, &[Option<usize>], &Parameters),
    rounds: u32,
) {
    let nc = shelf.classes.len();
    let row_of: Vec<usize> = buyers
        .iter()
        .map(|b| accesses.row(b.key(), shelf, world))
        .collect();
    let access = &mut accesses.list[..accesses.used];

    let mut want = vec![0.0; buyers.len() * nc];
    let mut total = vec![0.0; nc];
    let mut stock: Vec<f64> = shelf.classes.iter().map(|c| ledger.stock[c.idx]).collect();
    for round in 0..rounds.max(1) {
        // The first round splits money as the buyer would if nothing were closed to it, and buys the
        // open part; later rounds split what is left over the open classes with stock.
        let notional = round == 0;
        // Only kinds of buyer with money and room left split it (the first round's splits, made at the
        // opening stock, stand).
        let mut active = vec![false; access.len()];
        for (b, &row) in buyers.iter().zip(&row_of) {
            active[row] |= b.money > 0.0 && b.legal > 0.0;
        }
        for (a, &active) in access.iter_mut().zip(&active) {
            if active && !(notional && a.first_split) {
                a.split(shelf, &stock, notional);
            }
        }
        total.fill(0.0);
        for (bi, b) in buyers.iter().enumerate() {
            let row = &mut want[bi * nc..(bi + 1) * nc];
            row.fill(0.0);
            if b.money <= 0.0 || b.legal <= 0.0 {
                continue;
            }
            let a = &access[row_of[bi]];
            // A smuggler spends its money on what it seeks, where it sits; an installing buyer in the
            // first round splits what it had before paying smugglers (the closed part is blocked, or left
            // for later rounds).
            let base = if notional && b.route.is_none() {
                b.money + b.smuggling + b.held_back
            } else {
                b.money
            };
            let mut h100e = 0.0;
            for (ci, w) in row.iter_mut().enumerate() {
                let usd = base * a.weight[ci];
                // The first round buys only the open part of the split (a smuggler too: it buys
                // legally where it sits).
                let usd = if notional { usd * a.open[ci] } else { usd };
                *w = usd * shelf.h100e_per_usd[ci];
                h100e += *w;
            }
            if h100e > b.legal {
                for w in row.iter_mut() {
                    *w *= b.legal / h100e;
                }
            }
            for (t, w) in total.iter_mut().zip(row.iter()) {
                *t += w;
            }
        }
        // What was wanted of each market this round, sold out or not, is its demand signal: a class
        // rationed in a round is not offered in the next, so what buyers wanted of it is counted once,
        // and demand that spills over from a rationed class counts where it spills.
        for (c, t) in shelf.classes.iter().zip(&total) {
            market.wanted[c.origin] += t;
            market.class_wanted[c.idx] += t;
        }
        let mut any = false;
        for (ci, c) in shelf.classes.iter().enumerate() {
            let supply = stock[ci] * c.h100e;
            if total[ci] <= 0.0 || supply <= 0.0 {
                continue;
            }
            let price = shelf.price[ci];
            let ratio = (supply / total[ci]).min(1.0);
            let mut sold = 0.0;
            for (bi, b) in buyers.iter_mut().enumerate() {
                let got = want[bi * nc + ci] * ratio;
                if got <= 0.0 {
                    continue;
                }
                let pay = (got * price).min(b.money);
                b.legal -= got;
                b.money -= pay;
                b.chips += pay;
                ledger.received_this_year[b.nation] += got;
                if b.route.is_some() {
                    b.units.push((c.idx, got / c.h100e));
                } else {
                    b.bought[c.origin] += got;
                }
                market.spend += pay;
                // A licensed sale pays its share on to the licensing governments, out of what the
                // seller receives (smugglers buy where they sit, unlicensed).
                let fee = pay * world.0.licence_fee.get(ChipIx(c.idx), NationIx(b.nation));
                if fee > 0.0 {
                    market.licence_fees += fee;
                    market.licence_fees_by_nation[b.nation] += fee;
                }
                sold += got;
            }
            any |= sold > 0.0;
            stock[ci] = (stock[ci] - sold / c.h100e).max(0.0);
            ledger.stock[c.idx] = stock[ci];
            ledger.sold_last_month[c.idx] += sold / c.h100e;
            market.sold[c.origin] += sold;
            market.class_sold[c.idx] += sold;
        }
        if !any && round > 0 {
            break;
        }
    }
}

/// A market's mark-up after a month in which `ratio` H100e were wanted per H100e on offer:
/// `m × clamp(ratio^η_c × m^−ρ, 1/(1 + δ_c), 1 + δ_c)`, within `[chip_markup_min, chip_markup_max]`,
/// where `ρ = chip_markup_reversion` pulls margins back toward normal (1) when the market clears.
pub fn reference_markup(markup: f64, ratio: f64, p: &Parameters) -> f64 {
    let step = (ratio.powf(p.chip_eta) * markup.powf(-p.chip_markup_reversion))
        .clamp(1.0 / (1.0 + p.chip_step_max), 1.0 + p.chip_step_max);
    (markup * step).clamp(p.chip_markup_min, p.chip_markup_max)
}

/// Each class's mark-up moves with the H100e wanted of it at its price over those sold plus the stock left
/// beyond the `max_stock_months` of sales sellers keep: up when buyers wanted more than there was, down
/// when chips are left over; when it clears it returns toward normal margins (a mark-up of 1). A class
/// prices its own scarcity: the China-market H20, rationed, does not raise the price of a B200. A market's
/// mark-up is its classes', weighted by the H100e each sold and had left.
pub(crate) fn move_markups(
    market: &mut ChipMarket,
    classes: &[&ChipClass],
    ledger: &ChipLedger,
    p: &Parameters,
) {
    let k = market.markup.len();
    let mut weight = vec![0.0; k];
    let mut weighted = vec![0.0; k];
    for c in classes {
        let left = ledger.stock[c.idx] * c.h100e;
        let sold = market.class_sold[c.idx];
        let wanted = market.class_wanted[c.idx];
        let excess = (left - p.max_stock_months * sold).max(0.0);
        let offered = sold + excess;
        let ratio = if offered > 0.0 {
            wanted / offered
        } else if wanted > 0.0 {
            f64::INFINITY
        } else {
            1.0
        };
        let m = &mut market.class_markup[c.idx];
        *m = reference_markup(*m, ratio, p);
        weight[c.origin] += sold + left;
        weighted[c.origin] += (sold + left) * *m;
    }
    for b in 0..k {
        if weight[b] > 0.0 {
            market.markup[b] = weighted[b] / weight[b];
        }
    }
}

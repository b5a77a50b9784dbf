//! The sale and smuggling on small markets.

use super::sale::{self, Buyer, Shelf};
use super::*;
use crate::scenario::SoldTo;

fn class(idx: usize, origin: usize, h100e: f64) -> ChipClass {
    ChipClass {
        idx,
        id: format!("chip{idx}"),
        designer: origin,
        origin,
        h100e,
        hbm_stacks: 0.0,
        dies: 1.0,
        available: 0,
        until: None,
        sold_to: SoldTo::All,
        fab_nations: Vec::new(),
    }
}

/// A market of `classes` with `stock` units each, for two nations and two blocs.
fn setup(classes: &[ChipClass], stock: &[f64]) -> (ChipLedger, ChipMarket, Rules) {
    let ledger = ChipLedger {
        stock: stock.to_vec(),
        sold_last_month: vec![0.0; classes.len()],
        received_this_year: vec![0.0; 2],
        ..Default::default()
    };
    let market = ChipMarket {
        markup: vec![1.0; 2],
        class_markup: vec![1.0; classes.len()],
        class_wanted: vec![0.0; classes.len()],
        class_sold: vec![0.0; classes.len()],
        price: vec![1.0; 2],
        sold: vec![0.0; 2],
        wanted: vec![0.0; 2],
        ..Default::default()
    };
    (ledger, market, Rules::new(classes.len(), 2, 0, 0))
}

/// Sells to `buyers` at `price` per H100e in each market, after the first round's split.
fn sell_all(
    classes: &[ChipClass],
    buyers: &mut [Buyer],
    (ledger, market, rules): (&mut ChipLedger, &mut ChipMarket, &Rules),
    price: &[f64],
) {
    let refs: Vec<&ChipClass> = classes.iter().collect();
    let shelf = Shelf::new(
        &refs,
        vec![true; classes.len()],
        classes.iter().map(|c| price[c.origin]).collect(),
        2,
        Parameters::default().chip_beta,
    );
    let p = Parameters::default();
    let sides = [Some(0), Some(1)];
    let mut accesses = sale::Accesses::default();
    accesses.new_month(2);
    sale::first_round(&shelf, buyers, ledger, &mut accesses, (rules, &sides, &p));
    sale::sell(
        &shelf,
        buyers,
        ledger,
        market,
        &mut accesses,
        (rules, &sides, &p),
        3,
    );
}

#[test]
fn scarce_chips_go_pro_rata_to_the_money_wanting_them() {
    let classes = [class(0, 0, 1.0)];
    let (mut ledger, mut market, rules) = setup(&classes, &[10.0]);
    let mut buyers = vec![Buyer::new(0, 0, 12.0, 2), Buyer::new(1, 1, 4.0, 2)];
    sell_all(
        &classes,
        &mut buyers,
        (&mut ledger, &mut market, &rules),
        &[1.0, 1.0],
    );
    // 16 H100e wanted of 10: three quarters to the first buyer, a quarter to the second.
    assert!((buyers[0].bought[0] - 7.5).abs() < 1e-9);
    assert!((buyers[1].bought[0] - 2.5).abs() < 1e-9);
    assert!(ledger.stock[0].abs() < 1e-9);
    assert!((market.sold[0] - 10.0).abs() < 1e-9);
    assert!(
        (market.wanted[0] - 16.0).abs() < 1e-9,
        "the mark-up's signal"
    );
    // Money is spent at the price and not beyond; sellers get what buyers pay.
    assert!((buyers[0].chips - 7.5).abs() < 1e-9 && (buyers[0].money - 4.5).abs() < 1e-9);
    assert!((market.spend - 10.0).abs() < 1e-9);
}

#[test]
fn a_buyer_short_of_one_class_spends_the_rest_on_others_in_later_rounds() {
    let classes = [class(0, 0, 1.0), class(1, 0, 1.0)];
    let (mut ledger, mut market, rules) = setup(&classes, &[5.0, 20.0]);
    let mut buyers = vec![Buyer::new(1, 1, 10.0, 2)];
    sell_all(
        &classes,
        &mut buyers,
        (&mut ledger, &mut market, &rules),
        &[1.0, 1.0],
    );
    assert!((buyers[0].chips - 10.0).abs() < 1e-9, "all its money buys");
    // A buyer never takes more than its nation's power lets it install.
    let (mut ledger, mut market, rules) = setup(&classes, &[50.0, 50.0]);
    let mut capped = Buyer::new(0, 0, 100.0, 2);
    capped.legal = 2.0;
    let mut buyers = vec![capped];
    sell_all(
        &classes,
        &mut buyers,
        (&mut ledger, &mut market, &rules),
        &[1.0, 1.0],
    );
    assert!((buyers[0].bought[0] - 2.0).abs() < 1e-9);
    assert!((buyers[0].money - 98.0).abs() < 1e-9, "the rest is unspent");
}

#[test]
fn buyers_choose_the_cheaper_market_by_price() {
    // One class in each market, plenty of both; market 1 is half the price per H100e.
    let classes = [class(0, 0, 1.0), class(1, 1, 1.0)];
    let (mut ledger, mut market, rules) = setup(&classes, &[1e6, 1e6]);
    let mut buyers = vec![Buyer::new(0, 0, 100.0, 2)];
    sell_all(
        &classes,
        &mut buyers,
        (&mut ledger, &mut market, &rules),
        &[2.0, 1.0],
    );
    let beta = Parameters::default().chip_beta;
    // Money splits 1 : 2^beta; H100e per USD twice as many in market 1.
    let money_share_cheap = 2f64.powf(beta) / (1.0 + 2f64.powf(beta));
    assert!((buyers[0].chips - 100.0).abs() < 1e-9);
    assert!((buyers[0].bought[1] - 100.0 * money_share_cheap).abs() < 1e-6);
    assert!((buyers[0].bought[0] - 100.0 * (1.0 - money_share_cheap) / 2.0).abs() < 1e-6);
    // A market with nothing on offer but its chips in production still sees what is wanted of it.
    let (mut ledger, mut market, rules) = setup(&classes, &[1e6, 0.0]);
    let mut buyers = vec![Buyer::new(0, 0, 100.0, 2)];
    sell_all(
        &classes,
        &mut buyers,
        (&mut ledger, &mut market, &rules),
        &[2.0, 1.0],
    );
    assert!(market.wanted[1] > 0.0, "the sold-out market's signal");
    assert!(
        (buyers[0].chips - 100.0).abs() < 1e-9,
        "the money goes elsewhere"
    );
}

#[test]
fn a_controlled_class_is_blocked_to_its_targets_and_the_money_is_blocked_not_spent() {
    let classes = [class(0, 0, 2.0)];
    // Fully blocked: nothing at all; its money is left, and counted as blocked.
    let (mut ledger, mut market, mut rules) = setup(&classes, &[100.0]);
    rules.chip_block.raise(ChipIx(0), NationIx(1), 1.0);
    let mut blocked = vec![Buyer::new(1, 1, 10.0, 2)];
    sell_all(
        &classes,
        &mut blocked,
        (&mut ledger, &mut market, &rules),
        &[1.0, 1.0],
    );
    assert_eq!(blocked[0].bought[0], 0.0);
    assert_eq!(blocked[0].money, 10.0);
    assert_eq!(blocked[0].blocked, 10.0);
    // Blocked through its headquarters: a region abroad of a firm headquartered in a target.
    let (mut ledger, mut market, mut rules) = setup(&classes, &[100.0]);
    rules
        .chip_block_headquartered
        .raise(ChipIx(0), NationIx(1), 1.0);
    let mut abroad = vec![Buyer::new(0, 1, 10.0, 2), Buyer::new(0, 0, 10.0, 2)];
    sell_all(
        &classes,
        &mut abroad,
        (&mut ledger, &mut market, &rules),
        &[1.0, 1.0],
    );
    assert_eq!(abroad[0].bought[0], 0.0, "headquartered in a target");
    assert!(
        (abroad[1].bought[0] - 10.0).abs() < 1e-9,
        "a local firm buys"
    );
}

/// A smuggling route in nation 0 that takes 0.4 of the blocked money, with no seizures.
fn route_through_nation_0() -> Intermediary {
    Intermediary {
        idx: 0,
        id: "route".into(),
        nation: 0,
        leakage_rate: 0.4,
        enforcement: 0.0,
        share: 1.0,
    }
}

#[test]
fn smugglers_are_paid_by_the_blocked_buyers_and_seek_only_what_is_controlled_toward_them() {
    let classes = [class(0, 0, 1.0), class(1, 0, 1.0)];
    let (mut ledger, mut market, mut rules) = setup(&classes, &[50.0, 50.0]);
    rules.chip_block.raise(ChipIx(1), NationIx(1), 1.0);
    let refs: Vec<&ChipClass> = classes.iter().collect();
    let shelf = Shelf::new(
        &refs,
        vec![true; 2],
        vec![1.0, 1.0],
        2,
        Parameters::default().chip_beta,
    );
    let p = Parameters {
        smuggling_sigma: 0.0,
        ..Default::default()
    };
    let sides = [Some(0), Some(1)];
    let mut buyers = vec![Buyer::new(1, 1, 10.0, 2)];
    let mut accesses = sale::Accesses::default();
    accesses.new_month(2);
    sale::first_round(
        &shelf,
        &mut buyers,
        &ledger,
        &mut accesses,
        (&rules, &sides, &p),
    );
    assert!(
        (buyers[0].blocked - 5.0).abs() < 1e-9,
        "half its split was closed"
    );
    let route = route_through_nation_0();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
    super::smuggling::add_smugglers(&mut buyers, &[&route], &[1e9, 1e9], &p, &mut rng);
    // 0.4 of the 5 blocked: 2 USD paid out of the buyer's own money.
    assert!((buyers[0].smuggling - 2.0).abs() < 1e-9);
    assert!((buyers[0].money - 8.0).abs() < 1e-9);
    assert_eq!(buyers.len(), 2);
    sale::sell(
        &shelf,
        &mut buyers,
        &mut ledger,
        &mut market,
        &mut accesses,
        (&rules, &sides, &p),
        3,
    );
    let smuggler = &buyers[1];
    assert!(smuggler.units.iter().all(|&(c, _)| c == 1));
    let units: f64 = smuggler.units.iter().map(|(_, u)| u).sum();
    assert!(
        (units - 2.0 / (1.0 + p.smuggling_premium)).abs() < 1e-9,
        "a USD paid buys 1/(1 + premium) at the market"
    );
    assert!(
        (buyers[0].chips - 8.0).abs() < 1e-9,
        "the rest buys what is open"
    );
}

/// One buyer in nation 1 with 10 USD, half its split on a class closed to it; a route takes 0.4 of the
/// blocked 5 USD; `substitution` of the remaining 3 USD moves to the open class. Returns the buyer after
/// the sale (held-back money returned).
fn blocked_buyer_after_sale(substitution: f64) -> Buyer {
    let classes = [class(0, 0, 1.0), class(1, 0, 1.0)];
    let (mut ledger, mut market, mut rules) = setup(&classes, &[50.0, 50.0]);
    rules.chip_block.raise(ChipIx(1), NationIx(1), 1.0);
    let refs: Vec<&ChipClass> = classes.iter().collect();
    let shelf = Shelf::new(&refs, vec![true; 2], vec![1.0, 1.0], 2, 3.0);
    let p = Parameters {
        smuggling_sigma: 0.0,
        blocked_substitution: substitution,
        ..Default::default()
    };
    let sides = [Some(0), Some(1)];
    let mut buyers = vec![Buyer::new(1, 1, 10.0, 2)];
    let mut accesses = sale::Accesses::default();
    accesses.new_month(2);
    let world = (&rules, &sides[..], &p);
    sale::first_round(&shelf, &mut buyers, &ledger, &mut accesses, world);
    let route = route_through_nation_0();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(1);
    super::smuggling::add_smugglers(&mut buyers, &[&route], &[1e9, 1e9], &p, &mut rng);
    sale::hold_back(&mut buyers, p.blocked_substitution);
    let world = (&rules, &sides[..], &p);
    sale::sell(
        &shelf,
        &mut buyers,
        &mut ledger,
        &mut market,
        &mut accesses,
        world,
        3,
    );
    sale::release_held_back(&mut buyers);
    buyers.swap_remove(0)
}

#[test]
fn blocked_money_smugglers_did_not_take_moves_to_open_classes_only_in_part_and_the_rest_is_left() {
    // 5 USD open, 2 to smugglers, 3 blocked and left: substitution 1 spends all 3 on the open class.
    let all = blocked_buyer_after_sale(1.0);
    assert!((all.chips - 8.0).abs() < 1e-9, "{}", all.chips);
    assert!(all.money.abs() < 1e-9);
    // 0.7: 2.1 of the 3 moves, 0.9 is left unspent; 0: none moves.
    let part = blocked_buyer_after_sale(0.7);
    assert!((part.chips - 7.1).abs() < 1e-9, "{}", part.chips);
    assert!((part.money - 0.9).abs() < 1e-9, "{}", part.money);
    let none = blocked_buyer_after_sale(0.0);
    assert!((none.chips - 5.0).abs() < 1e-9, "{}", none.chips);
    assert!((none.money - 3.0).abs() < 1e-9, "{}", none.money);
    // The smugglers were paid the same in each, and the books close.
    for b in [&all, &part, &none] {
        assert!((b.smuggling - 2.0).abs() < 1e-9);
        assert!((b.chips + b.smuggling + b.money - 10.0).abs() < 1e-9);
    }
}

#[test]
fn mark_ups_rise_when_buyers_want_more_than_there_is_and_fall_toward_normal_when_they_do_not() {
    let p = Parameters::default();
    let up = reference_markup(1.0, 3.0, &p);
    assert!(up > 1.0 && up <= 1.0 + p.chip_step_max + 1e-12);
    let down = reference_markup(1.0, 0.2, &p);
    assert!(down < 1.0 && down >= 1.0 / (1.0 + p.chip_step_max) - 1e-12);
    // A market that clears returns a high margin toward normal.
    let high = reference_markup(1.8, 1.0, &p);
    assert!(high < 1.8 && high > 1.0);
    // Within bounds whatever the signal.
    assert_eq!(
        reference_markup(p.chip_markup_max, f64::INFINITY, &p),
        p.chip_markup_max
    );
    assert_eq!(
        reference_markup(p.chip_markup_min, 0.0, &p),
        p.chip_markup_min
    );
}

#[test]
fn a_rationed_class_prices_its_own_scarcity() {
    let classes = [class(0, 0, 1.0), class(1, 0, 1.0)];
    let (mut ledger, mut market, rules) = setup(&classes, &[1.0, 1e6]);
    // Nation 1 may buy only class 0 (class 1 is sold at home only), which is short; nation 0 buys
    // plenty of class 1.
    let mut buyers = vec![Buyer::new(1, 1, 100.0, 2), Buyer::new(0, 0, 100.0, 2)];
    let refs: Vec<&ChipClass> = classes.iter().collect();
    let shelf = Shelf::new(
        &refs,
        vec![true; 2],
        vec![1.0, 1.0],
        2,
        Parameters::default().chip_beta,
    );
    let p = Parameters::default();
    let sides = [Some(0), Some(1)];
    let mut restricted = classes.clone();
    restricted[1].sold_to = SoldTo::HomeNation;
    let refs: Vec<&ChipClass> = restricted.iter().collect();
    let shelf = Shelf {
        classes: &refs,
        ..shelf
    };
    let mut accesses = sale::Accesses::default();
    accesses.new_month(2);
    sale::first_round(
        &shelf,
        &mut buyers,
        &ledger,
        &mut accesses,
        (&rules, &sides, &p),
    );
    sale::sell(
        &shelf,
        &mut buyers,
        &mut ledger,
        &mut market,
        &mut accesses,
        (&rules, &sides, &p),
        3,
    );
    sale::move_markups(&mut market, &refs, &ledger, &p);
    assert!(
        market.class_markup[0] > 1.0,
        "the short class's price rises"
    );
    assert!(market.class_markup[1] < 1.0, "the plentiful one's falls");
}

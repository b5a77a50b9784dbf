//! Production (step 2): each fab makes what its wafers, memory and packaging allow, and decides the
//! capacity that will arrive after its lead time.
//!
//! Output of a fab is `min(wafer units + banked dies, memory units, packaging units)`, where wafer units
//! are `capacity × yield × material availability`, memory units are the HBM stacks the fab obtains over
//! the stacks each unit of its mix needs, and packaging units are its advanced-packaging wafers times
//! `h100e_per_cowos_wafer` (growing with price-performance) over its mix's H100e per unit. Fabs make what
//! sells, market by market: all they can when the market sold out, else its recent sales (a three-month
//! average) plus a third of the gap to a stock of `max_stock_months` of them.
//!
//! Inputs are withheld by export controls at the measure's strength, and substitutes replace the withheld
//! part linearly over the input's months to substitute, from the month the control began (faster under an
//! indigenous push), up to its substitution ceiling:
//! - a `material` cuts the share of wafer output the fab can make;
//! - `memory` (HBM) is a world flow of stacks shared pro rata among the fabs that can obtain it from each
//!   supplier, plus the substitute, plus the stock a nation holds;
//! - a `tool` limits *new* capacity: the fab's growth is capped at `fab_growth_max × (1 − s(1 − σ))` for
//!   withheld share `s` and substitution `σ`, while the tools installed keep producing.
//!
//! Capacity additions are decided each month at the planned growth `target_growth × markup^ξ` (plus an
//! indigenous programme's push and cut-off boost), times the share of what the fab could make that it
//! made (a fab selling only what sells invests less), capped as above,
//! and arrive `fab_lead_months` later (packaging: `packaging_lead_months`, capped by
//! `packaging_growth_max`).

use crate::components::{Bound, ChipClass, Fab};
use crate::parameters::Parameters;
use crate::resources::*;
use crate::scenario::InputKind;
use bevy_ecs::prelude::*;

/// Installs the production submodel: the chips' books (stock, sales, what each nation received, the
/// memory inputs' stocks) and its system.
pub fn install(world: &mut World, setup: &super::Setup) {
    let index = world.resource::<WorldIndex>();
    let (n, k, chips) = (index.nation_ids.len(), index.blocs(), index.chip_ids.len());
    let ledger = ChipLedger {
        stock: vec![0.0; chips],
        sold_last_month: vec![0.0; chips],
        sold_recently: vec![0.0; chips],
        produced_by_bloc: vec![0.0; k],
        new_compute_by_bloc: vec![0.0; k],
        indigenous_new_by_bloc: vec![0.0; k],
        smuggled_stock_by_bloc: vec![0.0; k],
        received_this_year: vec![0.0; n],
        received: TypedGrid::new(n, k, 0.0),
        smuggled_received: vec![0.0; n],
        memory_stock: super::sorted_by_id(&setup.scenario.input, |x| &x.id)
            .iter()
            .map(|x| {
                let mut stock = vec![0.0; n];
                for (nation, units) in &x.stocks {
                    stock[index.nation_index[nation]] = *units;
                }
                stock
            })
            .collect(),
        substitution: vec![vec![None; n]; index.input_ids.len()],
        domestic: index
            .input_domestic
            .iter()
            .map(|flows| vec![0.0; flows.len()])
            .collect(),
        ..Default::default()
    };
    world.insert_resource(ledger);
    super::add_systems(world, super::Submodel::Production, production);
}

/// How much of an input a fab's nation can get, and how far its substitution has come.
struct Supply {
    /// Share of supply withheld from the nation.
    withheld: f64,
    /// Share of the withheld part substitutes make good this month.
    substituted: f64,
}

/// The share of input `i` withheld from `nation`, and the month the earliest control withholding it
/// began.
fn withheld(i: usize, nation: usize, index: &WorldIndex, rules: &Rules) -> (f64, f64) {
    let mut withheld = 0.0;
    let mut since = f64::INFINITY;
    for &(s, share) in &index.input_suppliers[i] {
        let block = rules.input_block[i].get(Supplier(s), Recipient(nation));
        if block > 0.0 {
            withheld += share * block;
            since = since.min(rules.input_since[i].get(Supplier(s), Recipient(nation)));
        }
    }
    (withheld, since)
}

/// The withheld share of input `i` toward `nation`, and how far substitutes make it good (the progress
/// advanced by [`advance_substitution`], times the input's ceiling).
fn supply_of(
    i: usize,
    nation: usize,
    index: &WorldIndex,
    rules: &Rules,
    ledger: &ChipLedger,
) -> Supply {
    let (withheld, _) = withheld(i, nation, index, rules);
    let substituted = if withheld > 0.0 {
        index.input_substitution[i].0 * ledger.substitution[i][nation].unwrap_or(0.0)
    } else {
        0.0
    };
    Supply {
        withheld,
        substituted,
    }
}

/// Advances substitution of every input withheld from a nation with fabs: from the control's start it
/// progresses by `1/months_to_substitute` a month, `(1 + push)` times as fast under an indigenous push of
/// strength `push` (the programme funds domestic tools and memory as well as fabs). A control that began
/// before the run counts its earlier months at the base pace. Substitutes once built stay.
fn advance_substitution(
    t: u32,
    owners: &[usize],
    index: &WorldIndex,
    rules: &Rules,
    ledger: &mut ChipLedger,
) {
    for i in 0..index.input_ids.len() {
        let months = index.input_substitution[i].1.max(1) as f64;
        for &n in owners {
            let (withheld, since) = withheld(i, n, index, rules);
            if withheld <= 0.0 {
                continue;
            }
            let progress = &mut ledger.substitution[i][n];
            *progress = Some(match *progress {
                None => ((t as f64 - since) / months).clamp(0.0, 1.0),
                Some(p) => (p + (1.0 + rules.indigenous_push[n]) / months).min(1.0),
            });
        }
    }
}

/// Per chip class: HBM stacks and dies a unit.
struct PerChip {
    stacks: Vec<f64>,
    dies: Vec<f64>,
}

/// A fab's month before memory is shared: its mix and what its wafers, bank and packaging allow.
struct Plan {
    /// Dies a unit of its mix.
    dies: f64,
    /// Units from wafers (after materials), from the die bank at most, and from packaging.
    wafer_units: f64,
    bank_units: f64,
    packaging_units: f64,
    /// Per unit of its mix: HBM stacks; the mix's total share (0: nothing in production).
    stacks: f64,
    share: f64,
    /// Share of its materials it can get.
    availability: f64,
    /// Stacks obtained from world supply and substitutes, by memory input (the fab's own order).
    memory: Vec<(usize, f64)>,
}

pub fn production(
    month: super::Month,
    market: Res<ChipMarket>,
    mut ledger: ResMut<ChipLedger>,
    chips: Query<&ChipClass>,
    mut fabs: Query<&mut Fab>,
) {
    let (t, p) = (month.t(), month.p());
    let (index, rules, sides) = (&*month.index, &*month.rules, &month.sides.0);
    let nc = index.chip_ids.len();
    let mut in_production = vec![false; nc];
    let mut per_chip = PerChip {
        stacks: vec![0.0; nc],
        dies: vec![1.0; nc],
    };
    let mut origin = vec![0; nc];
    for c in &chips {
        in_production[c.idx] = c.in_production(t as i32);
        per_chip.stacks[c.idx] = c.hbm_stacks;
        per_chip.dies[c.idx] = c.dies;
        origin[c.idx] = c.origin;
    }
    ledger.produced_by_bloc.fill(0.0);
    let mut order: Vec<Mut<Fab>> = fabs.iter_mut().collect();
    order.sort_by_key(|f| f.idx);
    let trend_month = month.trend_month();
    let per_wafer =
        p.h100e_per_cowos_wafer / (1.0 - p.price_performance).powf(trend_month as f64 / 12.0);
    let mut owners: Vec<usize> = order.iter().map(|f| f.owner).collect();
    owners.sort_unstable();
    owners.dedup();
    advance_substitution(t, &owners, index, rules, &mut ledger);

    // What each fab could make before memory is shared.
    let mut plans: Vec<Plan> = Vec::with_capacity(order.len());
    for fab in order.iter_mut() {
        if fab.capacity_pipeline.is_empty() && p.fab_lead_months > 0 {
            let (growth, ceiling) = planned_growth(fab, rules, &market, &ledger, index, p, true);
            fill_pipeline(fab, growth, ceiling, p);
        }
        plans.push(plan(
            fab,
            (&in_production, &per_chip),
            &ledger,
            (index, rules),
            (per_wafer, p.die_bank_months),
        ));
    }
    share_memory(&mut plans, &order, trend_month, (index, rules), &mut ledger);

    let (units_of, class_total) = possible_units(&mut order, &plans, &ledger, &in_production, p);
    // Each fab makes its market's share of what it could make, but no fab cuts its output by more than
    // `output_cut_max` in a month (wafer starts are planned ahead).
    let market_room = market_room(
        &class_total,
        &origin,
        market.markup.len(),
        &ledger,
        index,
        p,
    );
    for ((fab, plan), &possible) in order.iter_mut().zip(&plans).zip(&units_of) {
        let fab = &mut **fab;
        let owner = fab.owner;
        let mut units = 0.0;
        let mut made_h100e = 0.0;
        // Its share of what it could make: what its market sells, but at least what last month's
        // output less the most it may cut.
        let room = if possible > 0.0 {
            let floor = (1.0 - p.output_cut_max) * fab.produced / possible;
            market_room[fab.market].max(floor).min(1.0)
        } else {
            0.0
        };
        if plan.share > 0.0 {
            for &(c, share) in &fab.chips {
                if in_production[c] {
                    let made = possible * share / plan.share * room;
                    units += made;
                    ledger.stock[c] += made;
                    let h = made * index.chip_h100e[c];
                    made_h100e += h;
                    ledger.produced_cum += h;
                    if let Some(side) = sides[owner] {
                        ledger.produced_by_bloc[side] += h;
                    }
                }
            }
        }
        if units < possible * (1.0 - 1e-12) {
            fab.bound = Bound::Sales;
        }
        // Memory is drawn from world supply and substitutes first, then from the nation's stock; banked
        // dies make up what wafers fall short of.
        for &(i, got) in &plan.memory {
            let from_stock = (units * plan.stacks - got).max(0.0);
            let stock = &mut ledger.memory_stock[i][owner];
            *stock = (*stock - from_stock).max(0.0);
        }
        let from_bank = (units - plan.wafer_units).max(0.0) * plan.dies;
        fab.banked_dies = (fab.banked_dies - from_bank).max(0.0);
        fab.produced = units;
        fab.produced_h100e = made_h100e;
        // Investment follows the margin and how much of what the fab can make sells: a fab that makes
        // only part of what it could (it is selling what sells) invests in proportion.
        let fill = if possible > 0.0 {
            (1.0 - units / possible).clamp(0.0, 1.0)
        } else {
            0.0
        };
        invest(fab, fill, &market, &ledger, (index, rules), p);
    }
}

/// A fab's investment: the month's arrivals join its wafers and packaging, and the pipeline gets its
/// planned growth ([`planned_growth`]: the margin, within its ceiling) times the share of what it could
/// make that sold (`1 − fill`).
fn invest(
    fab: &mut Fab,
    fill: f64,
    market: &ChipMarket,
    ledger: &ChipLedger,
    (index, rules): (&WorldIndex, &Rules),
    p: &Parameters,
) {
    let (growth, ceiling) = planned_growth(fab, rules, market, ledger, index, p, false);
    if let Some(arrived) = fab.capacity_pipeline.pop_front() {
        fab.wafers += arrived;
    }
    let planned = fab.wafers + fab.capacity_pipeline.iter().sum::<f64>();
    fab.capacity_pipeline
        .push_back(planned * monthly(growth.min(ceiling) * (1.0 - fill)));
    if let Some(packaging) = fab.packaging {
        let arrived = fab.packaging_pipeline.pop_front().unwrap_or(0.0);
        let planned = packaging + arrived + fab.packaging_pipeline.iter().sum::<f64>();
        let growth = growth.min(p.packaging_growth_max) * (1.0 - fill);
        fab.packaging = Some(packaging + arrived);
        fab.packaging_pipeline.push_back(planned * monthly(growth));
    }
}

/// What each fab can make this month before it looks at what sells (units of its mix), and what all can
/// make of each class; each fab's binding constraint is set on the way. Memory comes from world supply
/// and substitutes first; each nation's stockpile of a memory input then yields at most a
/// `stockpile_months`-th of what is left a month, shared among its fabs by what supply left each short
/// (so that two fabs do not each draw the whole month's share).
fn possible_units(
    order: &mut [Mut<Fab>],
    plans: &[Plan],
    ledger: &ChipLedger,
    in_production: &[bool],
    p: &Parameters,
) -> (Vec<f64>, Vec<f64>) {
    // [memory input][nation]: what supply left the nation's fabs short.
    let mut short: Vec<Vec<f64>> = ledger
        .memory_stock
        .iter()
        .map(|by_nation| vec![0.0; by_nation.len()])
        .collect();
    for (fab, plan) in order.iter().zip(plans) {
        let need = (plan.wafer_units + plan.bank_units).min(plan.packaging_units) * plan.stacks;
        for &(i, got) in &plan.memory {
            if need.is_finite() {
                short[i][fab.owner] += (need - got).max(0.0);
            }
        }
    }
    let stock_draw = |i: usize, owner: usize, got: f64, plan: &Plan, stock: f64| -> f64 {
        let need = (plan.wafer_units + plan.bank_units).min(plan.packaging_units) * plan.stacks;
        let mine = (need - got).max(0.0);
        let all = short[i][owner];
        if all > 0.0 && mine.is_finite() {
            stock / p.stockpile_months.max(1.0) * mine / all
        } else {
            0.0
        }
    };
    let mut units_of: Vec<f64> = Vec::with_capacity(order.len());
    let mut class_total = vec![0.0; in_production.len()];
    for (fab, plan) in order.iter_mut().zip(plans) {
        let fab = &mut **fab;
        let owner = fab.owner;
        fab.input_availability = plan.availability;
        let memory_units = if plan.stacks > 0.0 {
            let mut units = f64::INFINITY;
            for &(i, got) in &plan.memory {
                let from_stock = stock_draw(i, owner, got, plan, ledger.memory_stock[i][owner]);
                units = units.min((got + from_stock) / plan.stacks);
            }
            units
        } else {
            f64::INFINITY
        };
        let units = if plan.share > 0.0 {
            (plan.wafer_units + plan.bank_units)
                .min(memory_units)
                .min(plan.packaging_units)
        } else {
            0.0
        };
        fab.bound = if units >= plan.wafer_units + plan.bank_units {
            Bound::Wafers
        } else if memory_units <= plan.packaging_units {
            Bound::Memory
        } else {
            Bound::Packaging
        };
        for &(c, share) in &fab.chips {
            if in_production[c] && plan.share > 0.0 {
                class_total[c] += units * share / plan.share;
            }
        }
        units_of.push(units);
    }
    (units_of, class_total)
}

/// Produce what sells, market by market: when a market sold out, its fabs make all they can; with stock
/// on hand, they make together its recent sales plus a third of the gap to a stock of `max_stock_months`
/// of them (in H100e), each in proportion to what it could make. Each market's share of what its fabs
/// could make (`class_total`, by class), at most 1.
fn market_room(
    class_total: &[f64],
    origin: &[usize],
    markets: usize,
    ledger: &ChipLedger,
    index: &WorldIndex,
    p: &Parameters,
) -> Vec<f64> {
    let k = markets;
    let (mut possible_h100e, mut stock_h100e, mut sold_h100e) =
        (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (c, &total) in class_total.iter().enumerate() {
        possible_h100e[origin[c]] += total * index.chip_h100e[c];
        stock_h100e[origin[c]] += ledger.stock[c] * index.chip_h100e[c];
        sold_h100e[origin[c]] += ledger.sold_recently[c] * index.chip_h100e[c];
    }
    (0..k)
        .map(|b| {
            let allowed = sales_allowance(
                stock_h100e[b],
                sold_h100e[b],
                (p.max_stock_months, p.stock_correction_months),
            );
            if possible_h100e[b] > 0.0 {
                (allowed / possible_h100e[b]).min(1.0)
            } else {
                1.0
            }
        })
        .collect()
}

/// What a market's fabs make at most this month (H100e): all they can when it sold out, else its recent
/// monthly sales plus the gap between a stock of `months` of them and the stock on hand, closed over
/// `correction` months (a quarter by default), which keeps output from swinging between full and nothing
/// when capacity exceeds sales.
pub fn sales_allowance(stock: f64, sold: f64, (months, correction): (f64, f64)) -> f64 {
    if stock <= 0.0 {
        return f64::INFINITY;
    }
    (sold + (months * sold - stock) / correction).max(0.0)
}

/// The monthly factor less one of a yearly growth rate.
fn monthly(growth: f64) -> f64 {
    (1.0 + growth).powf(1.0 / 12.0) - 1.0
}

/// The yearly capacity growth a fab plans this month — its base growth plus an indigenous programme's
/// push and cut-off boost, scaled by its market's mark-up to the power `fab_margin_elasticity` — and
/// the most its wafer capacity may grow: `fab_growth_max` narrowed by withheld tools not yet substituted.
/// For the capacity decided before the run (`before_start`), only controls begun before it count.
fn planned_growth(
    fab: &Fab,
    rules: &Rules,
    market: &ChipMarket,
    ledger: &ChipLedger,
    index: &WorldIndex,
    p: &Parameters,
    before_start: bool,
) -> (f64, f64) {
    let mut growth = fab.target_growth;
    if fab.indigenous {
        growth += rules.indigenous_push[fab.owner] * p.indigenous_push_growth;
        if rules.under_chip_control[fab.owner] {
            growth += p.cutoff_investment_boost;
        }
    }
    let markup = market.markup[fab.market];
    let mut ceiling = p.fab_growth_max;
    for &i in &fab.inputs {
        if index.input_kind[i] == InputKind::Tool
            && (!before_start || withheld(i, fab.owner, index, rules).1 < 0.0)
        {
            let s = supply_of(i, fab.owner, index, rules, ledger);
            ceiling = ceiling.min(p.fab_growth_max * (1.0 - s.withheld * (1.0 - s.substituted)));
        }
    }
    (
        (growth * markup.powf(p.fab_margin_elasticity)).max(0.0),
        ceiling.max(0.0),
    )
}

/// Fills an empty pipeline with the additions already decided before the start, at `growth` a year
/// (wafers within `ceiling`), so that capacity keeps growing through the first lead time.
fn fill_pipeline(fab: &mut Fab, growth: f64, ceiling: f64, p: &Parameters) {
    let step = monthly(growth.min(ceiling));
    let mut planned = fab.wafers;
    for _ in 0..p.fab_lead_months {
        let add = planned * step;
        fab.capacity_pipeline.push_back(add);
        planned += add;
    }
    if let Some(packaging) = fab.packaging {
        let step = monthly(growth.min(p.packaging_growth_max));
        let mut planned = packaging;
        for _ in 0..p.packaging_lead_months {
            let add = planned * step;
            fab.packaging_pipeline.push_back(add);
            planned += add;
        }
    }
}

/// What a fab's wafers, bank and packaging allow this month, and its mix per unit: its node's wafers ×
/// `ai_share` × gross dies a wafer × yield × the share of its materials it can get, in dies, over the
/// dies a unit of its mix takes; at most a `die_bank_months`-th of its banked dies; and its packaging.
fn plan(
    fab: &Fab,
    (in_production, per_chip): (&[bool], &PerChip),
    ledger: &ChipLedger,
    (index, rules): (&WorldIndex, &Rules),
    (per_wafer, bank_months): (f64, f64),
) -> Plan {
    let mut availability: f64 = 1.0;
    for &i in &fab.inputs {
        if index.input_kind[i] == InputKind::Material {
            let s = supply_of(i, fab.owner, index, rules, ledger);
            let short = index.input_exposure[i] * s.withheld * (1.0 - s.substituted);
            availability = availability.min(1.0 - short);
        }
    }
    let share: f64 = fab
        .chips
        .iter()
        .filter(|(c, _)| in_production[*c])
        .map(|(_, s)| s)
        .sum();
    let per_unit = |x: &dyn Fn(usize) -> f64| -> f64 {
        if share <= 0.0 {
            return 0.0;
        }
        fab.chips
            .iter()
            .filter(|(c, _)| in_production[*c])
            .map(|&(c, s)| s * x(c))
            .sum::<f64>()
            / share
    };
    let h100e = per_unit(&|c| index.chip_h100e[c]);
    let stacks = per_unit(&|c| per_chip.stacks[c]);
    let dies = per_unit(&|c| per_chip.dies[c]).max(f64::MIN_POSITIVE);
    let packaging_units = match fab.packaging {
        Some(wafers) if h100e > 0.0 => wafers * per_wafer / h100e,
        _ => f64::INFINITY,
    };
    let good_dies = fab.wafers * fab.ai_share * fab.dies_per_wafer * fab.yield_rate;
    Plan {
        dies,
        wafer_units: good_dies * availability / dies,
        bank_units: fab.banked_dies / bank_months.max(1.0) / dies,
        packaging_units,
        stacks,
        share,
        availability,
        memory: Vec::new(),
    }
}

/// Shares each `memory` input's supply among the fabs that need it. Each supplier provides its share of
/// the world's supply (`supply × (1 + supply_growth)^(months/12)`, on the trend calendar) to the fabs
/// whose nations it does not withhold it from, pro rata to its share of each fab's need; then a nation's
/// domestic supply (CXMT's HBM for China, on its own path from its own month, faster under an indigenous
/// push) goes pro rata to what its fabs still need. What is still short comes from the nation's stockpile, when output is made.
fn share_memory(
    plans: &mut [Plan],
    fabs: &[Mut<Fab>],
    trend_month: u32,
    (index, rules): (&WorldIndex, &Rules),
    ledger: &mut ChipLedger,
) {
    for i in 0..index.input_ids.len() {
        if index.input_kind[i] != InputKind::Memory {
            continue;
        }
        let (supply, growth) = index.input_supply[i];
        let world = supply * (1.0 + growth).powf(trend_month as f64 / 12.0);
        // Each fab's need: what its wafers, bank and packaging allow, in stacks.
        let need: Vec<f64> = plans
            .iter()
            .zip(fabs)
            .map(|(plan, fab)| {
                if fab.inputs.contains(&i) && plan.stacks > 0.0 {
                    (plan.wafer_units + plan.bank_units).min(plan.packaging_units) * plan.stacks
                } else {
                    0.0
                }
            })
            .collect();
        let mut got = vec![0.0; plans.len()];
        for &(s, share) in &index.input_suppliers[i] {
            let eligible: Vec<f64> = need
                .iter()
                .zip(fabs)
                .map(|(n, fab)| {
                    n * share * (1.0 - rules.input_block[i].get(Supplier(s), Recipient(fab.owner)))
                })
                .collect();
            let total: f64 = eligible.iter().sum();
            if total > 0.0 {
                let ratio = (world * share / total).min(1.0);
                for (g, e) in got.iter_mut().zip(&eligible) {
                    *g += e * ratio;
                }
            }
        }
        for (d, domestic) in index.input_domestic[i].iter().enumerate() {
            let flow = domestic.next(
                trend_month,
                ledger.domestic[i][d],
                rules.indigenous_push[domestic.nation],
            );
            ledger.domestic[i][d] = flow;
            let short: Vec<f64> = need
                .iter()
                .zip(&got)
                .zip(fabs)
                .map(|((n, g), fab)| {
                    if fab.owner == domestic.nation {
                        (n - g).max(0.0)
                    } else {
                        0.0
                    }
                })
                .collect();
            let total: f64 = short.iter().sum();
            if flow > 0.0 && total > 0.0 {
                let ratio = (flow / total).min(1.0);
                for (g, s) in got.iter_mut().zip(&short) {
                    *g += s * ratio;
                }
            }
        }
        for (f, plan) in plans.iter_mut().enumerate() {
            if need[f] > 0.0 {
                plan.memory.push((i, got[f]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Nation 0 supplies a tool (input 0), a material (input 1) and HBM (input 2, 100 stacks a month,
    /// no growth); nation 1 makes chips. Substitutes reach 80 % over 24 months.
    fn world() -> (WorldIndex, Rules, ChipLedger) {
        let index = WorldIndex {
            nation_ids: vec!["NL".into(), "CN".into()],
            chip_ids: vec!["chip".into()],
            chip_h100e: vec![1.0],
            input_ids: vec!["lithography".into(), "photoresist".into(), "hbm".into()],
            input_suppliers: vec![vec![(0, 1.0)]; 3],
            input_kind: vec![InputKind::Tool, InputKind::Material, InputKind::Memory],
            input_supply: vec![(0.0, 0.0), (0.0, 0.0), (100.0, 0.0)],
            input_substitution: vec![(0.8, 24); 3],
            input_exposure: vec![1.0; 3],
            input_domestic: vec![Vec::new(); 3],
            ..Default::default()
        };
        let rules = Rules::new(1, 2, 3, 0);
        let ledger = ChipLedger {
            memory_stock: vec![vec![0.0; 2]; 3],
            substitution: vec![vec![None; 2]; 3],
            ..Default::default()
        };
        (index, rules, ledger)
    }

    /// One chip class of `stacks` HBM stacks and one die a unit.
    fn chip(stacks: f64) -> PerChip {
        PerChip {
            stacks: vec![stacks],
            dies: vec![1.0],
        }
    }

    /// Withholds input `i` from nation 1 at `strength` from month `since`.
    fn control(rules: &mut Rules, i: usize, strength: f64, since: f64) {
        rules.input_block[i].set(Supplier(0), Recipient(1), strength);
        rules.input_since[i].set(Supplier(0), Recipient(1), since);
    }

    fn fab(owner: usize, inputs: Vec<usize>) -> Fab {
        Fab {
            idx: owner,
            id: format!("fab-{owner}"),
            owner,
            market: 0,
            chips: vec![(0, 1.0)],
            wafers: 10.0,
            dies_per_wafer: 100.0,
            ai_share: 1.0,
            yield_rate: 0.5,
            target_growth: 0.3,
            packaging: None,
            banked_dies: 0.0,
            capacity_pipeline: VecDeque::new(),
            packaging_pipeline: VecDeque::new(),
            inputs,
            indigenous: false,
            produced: 0.0,
            produced_h100e: 0.0,
            input_availability: 1.0,
            bound: Bound::Wafers,
        }
    }

    #[test]
    fn substitution_starts_when_the_control_starts_and_a_push_speeds_it() {
        let (index, mut rules, mut ledger) = world();
        control(&mut rules, 0, 1.0, 10.0);
        advance_substitution(12, &[1], &index, &rules, &mut ledger);
        assert_eq!(
            ledger.substitution[0][1],
            Some(2.0 / 24.0),
            "two months since the control"
        );
        assert_eq!(
            ledger.substitution[1][1], None,
            "nothing withheld, nothing to substitute"
        );
        rules.indigenous_push[1] = 0.5;
        advance_substitution(13, &[1], &index, &rules, &mut ledger);
        assert!((ledger.substitution[0][1].unwrap() - 3.5 / 24.0).abs() < 1e-15);
        // A control begun 40 months before: substitutes are complete, and stay at their ceiling.
        let (index, mut rules, mut ledger) = world();
        control(&mut rules, 0, 1.0, -40.0);
        advance_substitution(0, &[1], &index, &rules, &mut ledger);
        assert_eq!(ledger.substitution[0][1], Some(1.0));
        assert!((supply_of(0, 1, &index, &rules, &ledger).substituted - 0.8).abs() < 1e-15);
    }

    #[test]
    fn tool_controls_cap_new_capacity_but_not_the_output_of_installed_tools() {
        let p = Parameters::default();
        let market = ChipMarket {
            markup: vec![1.0],
            ..Default::default()
        };
        let f = fab(1, vec![0]);
        let (index, free, ledger) = world();
        let (mut controlled, mut substituted) = (free.clone(), ledger.clone());
        control(&mut controlled, 0, 0.75, 0.0);
        substituted.substitution[0][1] = Some(0.5);

        let (growth, ceiling) = planned_growth(&f, &free, &market, &ledger, &index, &p, false);
        assert_eq!(ceiling, p.fab_growth_max);
        assert!(
            (growth - f.target_growth).abs() < 1e-15,
            "mark-up 1: the plan"
        );
        let (_, cut) = planned_growth(&f, &controlled, &market, &ledger, &index, &p, false);
        assert!((cut - p.fab_growth_max * 0.25).abs() < 1e-15, "{cut}");
        // Substitutes at 0.5 × 0.8 of the withheld 75 %: 1 − 0.75 × 0.6 of the most growth.
        let (_, eased) = planned_growth(&f, &controlled, &market, &substituted, &index, &p, false);
        assert!((eased - p.fab_growth_max * (1.0 - 0.75 * 0.6)).abs() < 1e-15);
        // The capacity decided before the start ignores a control begun in the run.
        let (_, before) = planned_growth(&f, &controlled, &market, &ledger, &index, &p, true);
        assert_eq!(before, p.fab_growth_max);

        // The tools already installed make as much as before.
        let made = |rules: &Rules| {
            plan(
                &f,
                (&[true], &chip(0.0)),
                &ledger,
                (&index, rules),
                (1.0, 36.0),
            )
            .wafer_units
        };
        assert_eq!(made(&controlled), made(&free));
        assert_eq!(made(&free), 500.0);
    }

    #[test]
    fn a_material_control_cuts_output_until_substitutes_make_it_good() {
        let f = fab(1, vec![1]);
        let (index, mut rules, mut ledger) = world();
        let made = |rules: &Rules, ledger: &ChipLedger| {
            plan(
                &f,
                (&[true], &chip(0.0)),
                ledger,
                (&index, rules),
                (1.0, 36.0),
            )
            .wafer_units
        };
        control(&mut rules, 1, 0.6, 0.0);
        ledger.substitution[1][1] = Some(0.0);
        assert!((made(&rules, &ledger) - 500.0 * 0.4).abs() < 1e-9);
        ledger.substitution[1][1] = Some(1.0);
        // 60 % withheld, 80 % of it substituted: 1 − 0.6 × 0.2 of the wafers.
        assert!((made(&rules, &ledger) - 500.0 * 0.88).abs() < 1e-9);
    }

    /// The memory (input 2) each of `fabs` gets in `month` when each plans 150 units of wafers, in
    /// fab order, shared from `ledger`.
    fn memory_shared(
        fabs: &[Fab],
        month: u32,
        (index, rules): (&WorldIndex, &Rules),
        ledger: &mut ChipLedger,
    ) -> Vec<f64> {
        let mut world = World::new();
        for f in fabs {
            world.spawn(f.clone());
        }
        let mut query = world.query::<&mut Fab>();
        let mut order: Vec<Mut<Fab>> = query.iter_mut(&mut world).collect();
        order.sort_by_key(|f| f.idx);
        assert_eq!(order.len(), fabs.len());
        let mut plans: Vec<Plan> = order
            .iter()
            .map(|f| {
                let mut plan = plan(
                    f,
                    (&[true], &chip(1.0)),
                    ledger,
                    (index, rules),
                    (1.0, 36.0),
                );
                plan.wafer_units = 150.0;
                plan
            })
            .collect();
        share_memory(&mut plans, &order, month, (index, rules), ledger);
        plans.iter().map(|p| p.memory[0].1).collect()
    }

    #[test]
    fn hbm_goes_pro_rata_to_fabs_it_is_not_withheld_from() {
        let (index, mut rules, ledger) = world();
        // Two fabs that each need 150 stacks (300 units, a stack each) of the 100 supplied.
        let fabs = [fab(0, vec![2]), fab(1, vec![2])];
        let plans = |rules: &Rules| memory_shared(&fabs, 0, (&index, rules), &mut ledger.clone());
        assert_eq!(plans(&rules), vec![50.0, 50.0], "shared pro rata");
        control(&mut rules, 2, 1.0, 0.0);
        let got = plans(&rules);
        assert_eq!(got[0], 100.0, "the fab not cut off gets all of it");
        assert_eq!(got[1], 0.0, "no substitutes yet");
    }

    #[test]
    fn fabs_make_what_sells_closing_a_third_of_the_gap_to_their_target_stock() {
        assert_eq!(
            sales_allowance(0.0, 10.0, (3.0, 3.0)),
            f64::INFINITY,
            "sold out"
        );
        // 10 a month sold, 3 months' stock wanted (30), 20 held: 10 + (30 − 20) / 3.
        assert!((sales_allowance(20.0, 10.0, (3.0, 3.0)) - 40.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            sales_allowance(100.0, 10.0, (3.0, 3.0)),
            0.0,
            "overstocked: nothing"
        );
    }

    #[test]
    fn a_material_cuts_only_the_share_of_output_exposed_to_it() {
        let f = fab(1, vec![1]);
        let (mut index, mut rules, mut ledger) = world();
        index.input_exposure[1] = 0.03;
        control(&mut rules, 1, 1.0, 0.0);
        ledger.substitution[1][1] = Some(0.0);
        let made = plan(
            &f,
            (&[true], &chip(0.0)),
            &ledger,
            (&index, &rules),
            (1.0, 36.0),
        );
        assert!((made.wafer_units - 500.0 * 0.97).abs() < 1e-9);
    }

    #[test]
    fn a_nations_own_memory_reaches_its_fabs_whatever_others_withhold() {
        let (mut index, mut rules, mut ledger) = world();
        // China's own HBM from month 12: 40 stacks a month, doubling a year.
        index.input_domestic[2] = vec![DomesticFlow {
            nation: 1,
            supply: 40.0,
            growth: 1.0,
            from: 12,
        }];
        control(&mut rules, 2, 1.0, 0.0);
        ledger.domestic = vec![Vec::new(), Vec::new(), vec![0.0]];
        let fabs = [fab(0, vec![2]), fab(1, vec![2])];
        let mut got = |month: u32| {
            ledger.domestic[2][0] = 0.0;
            memory_shared(&fabs, month, (&index, &rules), &mut ledger)
        };
        assert_eq!(got(0), vec![100.0, 0.0], "before its own supply: nothing");
        assert_eq!(got(12), vec![100.0, 40.0]);
        assert!((got(24)[1] - 80.0).abs() < 1e-9, "doubled a year on");
        // Never more than the fab needs, and the supplier's share reaches the fab it is not withheld from.
        assert_eq!(got(60)[1], 150.0);
    }

    #[test]
    fn a_die_bank_is_drawn_down_smoothly() {
        let mut f = fab(1, vec![]);
        f.banked_dies = 3600.0;
        let (index, rules, ledger) = world();
        let made = plan(
            &f,
            (&[true], &chip(0.0)),
            &ledger,
            (&index, &rules),
            (1.0, 36.0),
        );
        assert!(
            (made.bank_units - 100.0).abs() < 1e-9,
            "a 36th of the bank a month"
        );
    }

    #[test]
    fn a_push_speeds_a_nations_own_memory() {
        let flow = DomesticFlow {
            nation: 1,
            supply: 100.0,
            growth: 0.5,
            from: 0,
        };
        assert_eq!(flow.next(0, 0.0, 0.0), 100.0, "its first month");
        let (mut base, mut pushed) = (100.0, 100.0);
        for month in 1..=12 {
            base = flow.next(month, base, 0.0);
            pushed = flow.next(month, pushed, 1.0);
        }
        assert!((base - 150.0).abs() < 1e-9, "50 % a year");
        assert!((pushed - 200.0).abs() < 1e-9, "twice as fast at strength 1");
    }
}

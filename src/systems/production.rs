//! Production (step 2): each fab makes `capacity × yield × input_availability` units, split over the chip
//! classes it makes that are available, and moves its capacity toward a target that grows with investment.
//!
//! `input_availability` is the minimum over the fab's inputs of the share still obtainable: supply from a
//! nation withholding the input toward the fab's nation is lost at the measure's strength, and the lost part
//! is substituted linearly over `months_to_substitute` up to `substitution_ceiling`.

use crate::components::{Alignment, ChipClass, Fab, Nation};
use crate::resources::*;
use bevy_ecs::prelude::*;

pub fn production(
    clock: Res<Clock>,
    params: Res<Params>,
    index: Res<WorldIndex>,
    rules: Res<Rules>,
    mut ledger: ResMut<ChipLedger>,
    chips: Query<&ChipClass>,
    nations: Query<(&Nation, &Alignment)>,
    mut fabs: Query<&mut Fab>,
) {
    let p = &params.0;
    let t = clock.t;
    let sides = sides_of(
        nations.iter().map(|(n, a)| (n.idx, a)),
        index.nation_ids.len(),
    );
    let mut available = vec![false; index.chip_ids.len()];
    for c in &chips {
        available[c.idx] = c.available <= t as i32;
    }
    ledger.produced_by_bloc.fill(0.0);
    let mut order: Vec<Mut<Fab>> = fabs.iter_mut().collect();
    order.sort_by_key(|f| f.idx);
    for mut fab in order {
        let owner = fab.owner;
        let mut availability: f64 = 1.0;
        for j in 0..fab.inputs.len() {
            let input = fab.inputs[j];
            let withheld: f64 = index.input_suppliers[input]
                .iter()
                .map(|&(s, share)| share * rules.input_block[input].get(s, owner))
                .sum();
            let obtainable = 1.0 - withheld;
            if withheld > 0.0 {
                let since = *fab.shortage_since[j].get_or_insert(t);
                let progress = ((t - since) as f64 / p.months_to_substitute as f64).min(1.0);
                availability =
                    availability.min(obtainable + withheld * p.substitution_ceiling * progress);
            } else {
                fab.shortage_since[j] = None;
            }
        }
        fab.input_availability = availability;

        let share_available: f64 = fab
            .chips
            .iter()
            .filter(|(c, _)| available[*c])
            .map(|(_, s)| s)
            .sum();
        let mut units = fab.capacity * fab.yield_rate * availability;
        // Produce what sells: with stock on hand, make at most last month's sales plus what keeps the
        // stock within `max_stock_months` of them. A fab that sold out runs at capacity.
        let output_h100e: f64 = fab
            .chips
            .iter()
            .filter(|(c, _)| available[*c])
            .map(|(c, s)| units * s / share_available.max(1e-12) * index.chip_h100e[*c])
            .sum();
        let stock_h100e: f64 = fab
            .chips
            .iter()
            .map(|(c, _)| ledger.stock[*c] * index.chip_h100e[*c])
            .sum();
        let sold_h100e: f64 = fab
            .chips
            .iter()
            .map(|(c, _)| ledger.sold_last_month[*c] * index.chip_h100e[*c])
            .sum();
        if stock_h100e > 0.0 && output_h100e > 0.0 {
            let room = (sold_h100e * (1.0 + p.max_stock_months) - stock_h100e).max(0.0);
            if output_h100e > room {
                units *= room / output_h100e;
            }
        }
        fab.produced = if share_available > 0.0 { units } else { 0.0 };
        if share_available > 0.0 {
            for &(c, share) in &fab.chips {
                if available[c] {
                    let made = units * share / share_available;
                    ledger.stock[c] += made;
                    let h = made * index.chip_h100e[c];
                    ledger.produced_cum += h;
                    if let Some(side) = sides[owner] {
                        ledger.produced_by_bloc[side] += h;
                    }
                }
            }
        }

        // Investment: the target grows at the fab's own rate, faster for an indigenous programme that is
        // pushed or cut off.
        // A fab whose chips sit unsold invests less: growth scales with the room left in its stock cap.
        let fill = if stock_h100e <= 0.0 {
            0.0
        } else if sold_h100e > 0.0 {
            (stock_h100e / (p.max_stock_months * sold_h100e)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let mut growth = fab.target_growth;
        if fab.indigenous {
            growth += rules.indigenous_push[owner] * p.indigenous_push_growth;
            if rules.under_chip_control[owner] {
                growth += p.cutoff_investment_boost;
            }
        }
        growth *= 1.0 - fill;
        fab.target *= (1.0 + growth).max(0.0).powf(1.0 / 12.0);
        let gap = fab.target - fab.capacity;
        fab.capacity = (fab.capacity + fab.ramp * gap).max(0.0);
    }
}

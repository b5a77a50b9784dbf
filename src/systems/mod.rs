//! The eight monthly systems of MODEL.md, one module each, and the schedule that runs them in order.

// Systems index parallel per-bloc and per-provider arrays by position.
#![allow(clippy::needless_range_loop)]

/// Runs `body` for each item of a lab or nation query in index order (`idx` = 0, 1, …). Entities are
/// spawned in index order and never change archetype, so the query normally yields them in that order
/// already and is walked linearly; if it ever does not, each entity is looked up in the given order.
/// The first element of the query's item must be the component carrying `idx`.
macro_rules! for_each_in_order {
    ($query:expr, $order:expr, |$item:pat_param| $body:block) => {{
        let in_order = $query.iter().enumerate().all(|(i, item)| item.0.idx == i);
        if in_order {
            for $item in $query.iter_mut() $body
        } else {
            let mut iter = $query.iter_many_mut($order);
            while let Some(item) = iter.fetch_next() {
                let $item = item.expect("every indexed entity exists");
                $body
            }
        }
    }};
}

pub mod alignment;
pub mod capacity;
pub mod market;
pub mod metrics;
pub mod policy;
pub mod production;
pub mod research;
pub mod trade;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;

/// The monthly schedule, in MODEL.md's order, on one thread so that results never depend on timing.
pub fn monthly_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.add_systems(
        (
            policy::fire_triggers,
            policy::apply_policies,
            production::production,
            trade::trade,
            capacity::capacity,
            market::market,
            research::research,
            alignment::alignment,
            metrics::metrics,
        )
            .chain(),
    );
    schedule
}

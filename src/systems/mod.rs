//! The eight monthly systems of MODEL.md, one module each, and the schedule that runs them in order.

// Systems index parallel per-bloc and per-provider arrays by position.
#![allow(clippy::needless_range_loop)]

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

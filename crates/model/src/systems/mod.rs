//! The monthly systems of MODEL.md — its submodels (policy, production, trade, capacity, market,
//! research, alignment, metrics) one module each, with the labs' budgets, power and the stranded-lab
//! rule in modules of their own — and the schedule that runs their ten system functions in order.
//! The budgets grow early in the month, after the policies: chip buyers spend them.

/// Runs `body` for each item of a lab or nation query in index order (`idx` = 0, 1, …). Entities are
/// spawned in index order and never change archetype, so the query normally yields them in that order
/// already and is walked linearly, in one pass; from the first item out of order, if there ever is one,
/// the rest are looked up in the given order. The first element of the query's item must be the
/// component carrying `idx`.
macro_rules! for_each_in_order {
    ($query:expr, $order:expr, |$item:pat_param| $body:block) => {{
        let mut next = 0usize;
        let mut in_order = true;
        for item in $query.iter_mut() {
            if item.0.idx != next {
                in_order = false;
                break;
            }
            next += 1;
            let $item = item;
            $body
        }
        if !in_order {
            let mut iter = $query.iter_many_mut(&$order[next..]);
            while let Some(item) = iter.fetch_next() {
                let $item = item.expect("every indexed entity exists");
                $body
            }
        }
    }};
}

pub mod alignment;
pub mod budgets;
pub mod capacity;
pub mod market;
pub mod metrics;
pub mod policy;
pub mod power;
pub mod production;
pub mod research;
pub mod stranded;
pub mod trade;

use crate::parameters::Parameters;
use crate::resources::{Clock, EventLog, Params, Rngs, Rules, Sides, WorldIndex};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use bevy_ecs::system::SystemParam;

/// The month as the systems read it: the clock, the parameters, the world's index, each nation's side
/// and the rules the policies in force make (all read-only; the alignment and policy systems write the
/// sides and the rules).
#[derive(SystemParam)]
pub struct Month<'w> {
    pub clock: Res<'w, Clock>,
    pub params: Res<'w, Params>,
    pub index: Res<'w, WorldIndex>,
    pub sides: Res<'w, Sides>,
    pub rules: Res<'w, Rules>,
}

impl Month<'_> {
    /// Months since the run's first.
    pub fn t(&self) -> u32 {
        self.clock.t
    }

    /// Months since the world's data month: the clock of every trend (prices, watts per H100e, budget
    /// growth, GDP, algorithmic progress).
    pub fn trend_month(&self) -> u32 {
        self.clock.trend_month()
    }

    pub fn p(&self) -> &Parameters {
        &self.params.0
    }
}

/// The random streams and the event log that records what they decided.
#[derive(SystemParam)]
pub struct Chance<'w> {
    pub rngs: ResMut<'w, Rngs>,
    pub log: ResMut<'w, EventLog>,
}

/// The monthly schedule, in MODEL.md's order, on one thread so that results never depend on timing.
pub fn monthly_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.add_systems(
        (
            policy::fire_triggers,
            policy::apply_policies,
            budgets::budgets,
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

#[cfg(test)]
mod tests {
    use bevy_ecs::prelude::*;

    #[derive(Component)]
    struct Indexed {
        idx: usize,
    }

    /// The `idx` values `for_each_in_order!` visits when entities were spawned in `spawned` order.
    fn visited(spawned: &[usize]) -> Vec<usize> {
        let mut world = World::new();
        let mut order = vec![Entity::PLACEHOLDER; spawned.len()];
        for &idx in spawned {
            order[idx] = world.spawn(Indexed { idx }).id();
        }
        let mut seen = Vec::new();
        let mut query = world.query::<(&Indexed,)>();
        let mut query = query.query_mut(&mut world);
        for_each_in_order!(query, &order, |(indexed,)| {
            seen.push(indexed.idx);
        });
        seen
    }

    #[test]
    fn entities_are_visited_in_index_order_however_they_were_spawned() {
        assert_eq!(visited(&[0, 1, 2, 3]), vec![0, 1, 2, 3]);
        assert_eq!(visited(&[0, 1, 3, 2]), vec![0, 1, 2, 3]);
        assert_eq!(visited(&[2, 0, 1]), vec![0, 1, 2]);
    }
}

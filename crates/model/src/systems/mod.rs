//! The monthly systems of MODEL.md — its submodels (policy, production, trade, capacity, market,
//! research, alignment, metrics) one module each, with the labs' budgets, power, smuggling and the
//! stranded-lab rule in modules of their own — and the schedule that runs their ten system functions in
//! order. Each submodel's `install` adds its own state to the world and its systems to the monthly
//! schedule, in a set of its own ([`Submodel`]), as a Bevy plugin would; the sets run in MODEL.md's
//! order. The budgets grow early in the month, after the policies: chip buyers spend them.

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
use crate::scenario::{LabKind, Scenario};
use crate::tables::Recording;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{IntoScheduleConfigs, ScheduleLabel, SingleThreadedExecutor};
use bevy_ecs::system::{ScheduleSystem, SystemParam};

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

/// The monthly schedule, which the world holds: `world.run_schedule(Monthly)` runs one month.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Monthly;

/// The submodels in MODEL.md's order: each installs its systems in its own set, and the sets run in
/// this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Submodel {
    Policy,
    Budgets,
    Production,
    Trade,
    Capacity,
    Market,
    Research,
    Alignment,
    Metrics,
}

/// A scenario's entities of one kind in the order the world indexes them: by id. The world's index and
/// the submodels' own state (built as they are installed) must agree on it.
pub(crate) fn sorted_by_id<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    v.sort_by(|a, b| id(a).cmp(id(b)));
    v
}

/// What the submodels' `install` functions read besides the world (which already holds the index, the
/// parameters, the clock, the random streams and the event log): the scenario and what building the
/// world found.
pub struct Setup<'a> {
    pub scenario: &'a Scenario,
    pub recording: Recording,
    /// Each nation's watts of chips at the start, by nation index.
    pub watts_at_start: &'a [f64],
    /// Each lab's kind, by lab index.
    pub lab_kinds: &'a [LabKind],
    /// The fabs' ids and owners (nation indices), in index order.
    pub fab_ids: &'a [String],
    pub fab_owners: &'a [usize],
}

/// The monthly schedule with no systems yet: the submodels' sets in MODEL.md's order, on one thread
/// so that results never depend on timing.
pub fn monthly_schedule() -> Schedule {
    let mut schedule = Schedule::new(Monthly);
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.configure_sets(
        (
            Submodel::Policy,
            Submodel::Budgets,
            Submodel::Production,
            Submodel::Trade,
            Submodel::Capacity,
            Submodel::Market,
            Submodel::Research,
            Submodel::Alignment,
            Submodel::Metrics,
        )
            .chain(),
    );
    schedule
}

/// Installs every submodel into `world`: its state, and its systems into the monthly schedule.
pub fn install(world: &mut World, setup: &Setup) {
    world.add_schedule(monthly_schedule());
    policy::install(world, setup);
    budgets::install(world);
    power::install(world, setup);
    production::install(world, setup);
    trade::install(world, setup);
    capacity::install(world);
    market::install(world, setup);
    research::install(world);
    alignment::install(world);
    metrics::install(world, setup);
}

/// Adds a submodel's systems to the monthly schedule, in its set.
fn add_systems<M>(
    world: &mut World,
    set: Submodel,
    systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
) {
    world.schedule_scope(Monthly, |_, schedule| {
        schedule.add_systems(systems.in_set(set));
    });
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

    /// Each submodel installs its own systems; the month still runs them in MODEL.md's order.
    #[test]
    fn the_month_runs_every_submodel_once_in_model_order() {
        use super::*;
        use std::any::TypeId;
        fn id<M>(system: impl IntoSystem<(), (), M>) -> TypeId {
            IntoSystem::into_system(system).system_type()
        }
        let scenario = crate::scenario::load("baseline", &[]).unwrap().scenario;
        let mut world = crate::world::build(&scenario, 1);
        let ran: Vec<TypeId> = world.schedule_scope(Monthly, |world, schedule| {
            schedule.initialize(world).unwrap();
            schedule
                .systems()
                .unwrap()
                .map(|(_, system)| system.system_type())
                .collect()
        });
        let expected = [
            id(policy::fire_triggers),
            id(policy::apply_policies),
            id(budgets::budgets),
            id(production::production),
            id(trade::trade),
            id(capacity::capacity),
            id(market::market),
            id(research::research),
            id(alignment::alignment),
            id(metrics::metrics),
        ];
        // Bevy adds its own systems (the commands' sync points) between them.
        let ours: Vec<TypeId> = ran.into_iter().filter(|t| expected.contains(t)).collect();
        assert_eq!(ours, expected);
    }

    #[test]
    fn entities_are_visited_in_index_order_however_they_were_spawned() {
        assert_eq!(visited(&[0, 1, 2, 3]), vec![0, 1, 2, 3]);
        assert_eq!(visited(&[0, 1, 3, 2]), vec![0, 1, 2, 3]);
        assert_eq!(visited(&[2, 0, 1]), vec![0, 1, 2]);
    }
}

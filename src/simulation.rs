//! Running a scenario in memory: build the world, run the monthly schedule, return the tables. No I/O, so
//! sweeps can run many simulations side by side.

use crate::resources::{Clock, EventLog};
use crate::scenario::Scenario;
use crate::systems::monthly_schedule;
use crate::tables::{Detail, Outputs, Recorder, events_frame};
use crate::world;
use polars::prelude::PolarsResult;

/// Simulates `scenario` with `seed`; `on_month` is called after each month with the number done.
pub fn simulate_with_progress(
    scenario: &Scenario,
    seed: u64,
    on_month: impl FnMut(u32),
) -> PolarsResult<Outputs> {
    simulate_with(scenario, seed, Detail::Full, on_month)
}

/// Simulates `scenario` with `seed`, recording the tables `detail` asks for; `on_month` is called after
/// each month with the number done.
pub fn simulate_with(
    scenario: &Scenario,
    seed: u64,
    detail: Detail,
    mut on_month: impl FnMut(u32),
) -> PolarsResult<Outputs> {
    let mut world = world::build_with(scenario, seed, detail);
    let mut schedule = monthly_schedule();
    let months = scenario.scenario.months;
    for t in 0..months {
        world.resource_mut::<Clock>().t = t;
        schedule.run(&mut world);
        on_month(t + 1);
    }
    let start = scenario.scenario.start;
    let recorder = world.remove_resource::<Recorder>().expect("recorder");
    let log = world.remove_resource::<EventLog>().expect("event log");
    Ok(Outputs {
        global: recorder.global.into_frame()?,
        nations: recorder.nations.into_frame()?,
        labs: recorder.labs.into_frame()?,
        providers: recorder.providers.into_frame()?,
        usage: recorder.usage.into_frame()?,
        events: events_frame(&log.events, |m| start.plus(m as i32).to_string())?,
    })
}

/// Simulates `scenario` with `seed`.
pub fn simulate(scenario: &Scenario, seed: u64) -> PolarsResult<Outputs> {
    simulate_with_progress(scenario, seed, |_| {})
}

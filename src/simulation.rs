//! Running a scenario in memory: build the world, run the monthly schedule, return the tables. No I/O, so
//! sweeps can run many simulations side by side.

use crate::resources::{Clock, EventLog};
use crate::scenario::Scenario;
use crate::systems::monthly_schedule;
use crate::tables::{CHUNK_MONTHS, Detail, Outputs, Recorder, Table, events_frame};
use crate::world;
use bevy_ecs::world::World;
use polars::prelude::{DataFrame, PolarsResult};
use std::sync::mpsc;

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
    on_month: impl FnMut(u32),
) -> PolarsResult<Outputs> {
    simulate_observed(scenario, seed, detail, on_month, &|_, _| {})
}

/// As [`simulate_with`], and `on_chunk` sees each table (name, rows) as soon as it is a DataFrame, the
/// large ones (`labs`, `usage`) in chunks of [`CHUNK_MONTHS`] months, before the run ends: they go to a
/// second thread that makes them DataFrames and calls `on_chunk` there. That work, and whatever `on_chunk`
/// does with them (such as encoding Parquet), overlaps with the months still to run, on the core a single
/// run leaves idle; the small tables are made, and shown to `on_chunk`, while that thread finishes the
/// last chunk. The large tables come back with one polars chunk per chunk of months.
pub fn simulate_observed(
    scenario: &Scenario,
    seed: u64,
    detail: Detail,
    on_month: impl FnMut(u32),
    on_chunk: &(dyn Fn(&'static str, &DataFrame) + Sync),
) -> PolarsResult<Outputs> {
    let mut world = world::build_with(scenario, seed, detail);
    let months = scenario.scenario.months;
    let start = scenario.scenario.start;
    let month_label = |m: u32| start.plus(m as i32).to_string();
    if detail == Detail::Full {
        std::thread::scope(|scope| {
            let (chunks, received) = mpsc::channel();
            let framer = std::thread::Builder::new()
                .name("fracture-tables".into())
                .spawn_scoped(scope, move || frame_chunks(received, on_chunk))
                .expect("a thread for the tables");
            run_months(&mut world, months, on_month, |world| {
                // The framer stops early only on an error, which joining it returns.
                let chunk = world.resource_mut::<Recorder>().take_chunk();
                chunks.send(chunk).is_ok()
            });
            drop(chunks);
            let small = small_tables(&mut world, month_label, on_chunk)?;
            let large = framer.join().expect("the framer panicked")?;
            Ok(Outputs::from_parts(small, large))
        })
    } else {
        run_months(&mut world, months, on_month, |_| true);
        // No rows in the large tables: their columns only.
        let large = frame_chunks([world.resource_mut::<Recorder>().take_chunk()], on_chunk)?;
        let small = small_tables(&mut world, month_label, on_chunk)?;
        Ok(Outputs::from_parts(small, large))
    }
}

/// Runs the monthly schedule `months` times. After every [`CHUNK_MONTHS`] months and after the last,
/// `chunk_done` is called, and the run stops early if it returns false.
fn run_months(
    world: &mut World,
    months: u32,
    mut on_month: impl FnMut(u32),
    mut chunk_done: impl FnMut(&mut World) -> bool,
) {
    let mut schedule = monthly_schedule();
    for t in 0..months {
        world.resource_mut::<Clock>().t = t;
        schedule.run(world);
        on_month(t + 1);
        if ((t + 1) % CHUNK_MONTHS == 0 || t + 1 == months) && !chunk_done(world) {
            return;
        }
    }
}

/// The large tables from their chunks, in order, each chunk shown to `on_chunk`.
fn frame_chunks(
    chunks: impl IntoIterator<Item = [(&'static str, Table); 2]>,
    on_chunk: &(dyn Fn(&'static str, &DataFrame) + Sync),
) -> PolarsResult<[DataFrame; 2]> {
    let mut frames: [Option<DataFrame>; 2] = [None, None];
    for chunk in chunks {
        for (frame, (name, rows)) in frames.iter_mut().zip(chunk) {
            let part = rows.into_frame()?;
            on_chunk(name, &part);
            match frame {
                Some(f) => {
                    f.vstack_mut_owned(part)?;
                }
                None => *frame = Some(part),
            }
        }
    }
    Ok(frames.map(|f| f.expect("a run has at least one chunk")))
}

/// The small tables — global, nations, providers, fabs, events — each shown to `on_chunk`.
fn small_tables(
    world: &mut World,
    month_label: impl Fn(u32) -> String,
    on_chunk: &(dyn Fn(&'static str, &DataFrame) + Sync),
) -> PolarsResult<[DataFrame; 5]> {
    let recorder = world.remove_resource::<Recorder>().expect("recorder");
    let log = world.remove_resource::<EventLog>().expect("event log");
    let tables = [
        ("global", recorder.global.into_frame()?),
        ("nations", recorder.nations.into_frame()?),
        ("providers", recorder.providers.into_frame()?),
        ("fabs", recorder.fabs.into_frame()?),
        ("events", events_frame(&log.events, month_label)?),
    ];
    Ok(tables.map(|(name, frame)| {
        on_chunk(name, &frame);
        frame
    }))
}

/// Simulates `scenario` with `seed`.
pub fn simulate(scenario: &Scenario, seed: u64) -> PolarsResult<Outputs> {
    simulate_with_progress(scenario, seed, |_| {})
}

//! Running a scenario: build the world, run the monthly schedule, return the tables. No I/O of its own:
//! the rows of the large tables go where the caller says as the months run ([`LargeTables`]), so that
//! `fracture run` writes them to Parquet as they come and holds only a chunk or two of them, and sweeps
//! can run many simulations side by side.

use crate::resources::{Clock, EventLog, WorldIndex};
use crate::scenario::Scenario;
use crate::systems::monthly_schedule;
use crate::tables::{Outputs, Recorder, Recording, Table, events_frame};
use crate::world;
use anyhow::Result;
use bevy_ecs::world::World;
use polars::prelude::DataFrame;
use std::sync::mpsc;

/// What becomes of the rows of the large tables, `labs` and `usage`, as chunks of months finish
/// (chunks of at most [`crate::tables::CHUNK_ROWS`] rows, at least a month, at most
/// [`crate::tables::CHUNK_MONTHS`]).
pub enum LargeTables<'a> {
    /// Kept: they come back as DataFrames, with one polars chunk per chunk of months. Memory grows
    /// with the months; for small worlds and the library.
    Keep,
    /// Each chunk, in order, goes to this function on a second thread — to be written as Parquet row
    /// groups, say — while the months go on; they come back without rows (their row counts in
    /// [`Outputs::rows`]). The simulation waits for the function to take a chunk before it records
    /// the one after, so no more than three chunks are ever held, however long the run. An error
    /// stops the run and is returned.
    Stream(&'a mut (dyn FnMut(&'static str, Table) -> Result<()> + Send)),
}

/// Simulates `scenario` with `seed`; `on_month` is called after each month with the number done.
pub fn simulate_with_progress(
    scenario: &Scenario,
    seed: u64,
    on_month: impl FnMut(u32),
) -> Result<Outputs> {
    simulate_with(scenario, seed, crate::Detail::Full, on_month)
}

/// Simulates `scenario` with `seed`, recording the tables `recording` asks for (a [`crate::Detail`],
/// or a [`Recording`] with a sample of labs) and keeping them all; `on_month` is called after each
/// month with the number done.
pub fn simulate_with(
    scenario: &Scenario,
    seed: u64,
    recording: impl Into<Recording>,
    on_month: impl FnMut(u32),
) -> Result<Outputs> {
    simulate_into(scenario, seed, recording, on_month, LargeTables::Keep)
}

/// As [`simulate_with`], with the large tables' rows going where `large` says as the months run. When
/// they go to a function, that function runs on a second thread, overlapping with the months still
/// to run on the core a single run leaves idle.
pub fn simulate_into(
    scenario: &Scenario,
    seed: u64,
    recording: impl Into<Recording>,
    on_month: impl FnMut(u32),
    large: LargeTables<'_>,
) -> Result<Outputs> {
    let recording = recording.into();
    let mut world = world::build_with(scenario, seed, recording);
    let months = scenario.scenario.months;
    let start = scenario.scenario.start;
    let month_label = |m: u32| start.plus(m as i32).to_string();
    let large_rows = std::sync::Mutex::new([0usize; 2]);
    let count = |name: &str, rows: &Table| {
        let mut counts = large_rows.lock().expect("no counter panicked");
        counts[usize::from(name == "usage")] += rows.rows();
    };
    let (frames, small, sample) = match large {
        LargeTables::Keep => {
            let mut kept: [Option<DataFrame>; 2] = [None, None];
            let mut keep = |name: &'static str, rows: Table| -> Result<()> {
                count(name, &rows);
                let part = rows.into_frame()?;
                let frame = &mut kept[usize::from(name == "usage")];
                match frame {
                    Some(f) => {
                        f.vstack_mut_owned(part)?;
                    }
                    None => *frame = Some(part),
                }
                Ok(())
            };
            run_months(&mut world, months, on_month, |chunks| {
                for (name, rows) in chunks {
                    keep(name, rows)?;
                }
                Ok(())
            })?;
            let sample = world.resource::<Recorder>().sample;
            let small = small_tables(&mut world, month_label)?;
            (
                kept.map(|f| f.expect("a run has at least one chunk")),
                small,
                sample,
            )
        }
        LargeTables::Stream(sink) => {
            // The empty tables, for their columns.
            let empty = {
                let recorder = world.resource::<Recorder>();
                [recorder.labs.clone(), recorder.usage.clone()]
            };
            let sample = world.resource::<Recorder>().sample;
            let small = std::thread::scope(|scope| -> Result<_> {
                // A rendezvous: the simulation hands a chunk over only when the writer is ready for
                // it, and records the next meanwhile.
                let (chunks, received) = mpsc::sync_channel::<Vec<(&'static str, Table)>>(0);
                let writer = std::thread::Builder::new()
                    .name("fracture-tables".into())
                    .spawn_scoped(scope, move || -> Result<()> {
                        for chunk in received {
                            for (name, rows) in chunk {
                                count(name, &rows);
                                sink(name, rows)?;
                            }
                        }
                        Ok(())
                    })
                    .expect("a thread for the tables");
                let ran = run_months(&mut world, months, on_month, |due| {
                    // The writer stops early only on an error, which joining it returns.
                    chunks
                        .send(due)
                        .map_err(|_| anyhow::anyhow!("the table writer stopped"))
                });
                drop(chunks);
                let small = ran.and_then(|()| small_tables(&mut world, month_label));
                writer.join().expect("the table writer panicked")?;
                small
            })?;
            // Recorded before the first month: the columns without rows.
            let [labs, usage] = empty.map(Table::into_frame);
            ([labs?, usage?], small, sample)
        }
    };
    let large_rows = large_rows.into_inner().expect("no counter panicked");
    Ok(Outputs::from_parts(small, frames, large_rows, sample))
}

/// Runs the monthly schedule `months` times. After a month that ends a chunk of months of a large
/// table (the recorder's `chunk_months`), and after the last, `chunk_done` gets their rows; the run
/// stops at its first error.
fn run_months(
    world: &mut World,
    months: u32,
    mut on_month: impl FnMut(u32),
    mut chunk_done: impl FnMut(Vec<(&'static str, Table)>) -> Result<()>,
) -> Result<()> {
    let mut schedule = monthly_schedule();
    for t in 0..months {
        world.resource_mut::<Clock>().t = t;
        schedule.run(world);
        on_month(t + 1);
        let due = world.resource_mut::<Recorder>().take_due(t + 1, months);
        if !due.is_empty() {
            chunk_done(due)?;
        }
    }
    Ok(())
}

/// The small tables — global, nations, providers, fabs, events, lab_ids.
fn small_tables(world: &mut World, month_label: impl Fn(u32) -> String) -> Result<[DataFrame; 6]> {
    let recorder = world.remove_resource::<Recorder>().expect("recorder");
    let log = world.remove_resource::<EventLog>().expect("event log");
    let index = world.resource::<WorldIndex>();
    let lab_ids = recorder.lab_ids(|lab| index.lab_id(lab))?;
    Ok([
        recorder.global.into_frame()?,
        recorder.nations.into_frame()?,
        recorder.providers.into_frame()?,
        recorder.fabs.into_frame()?,
        events_frame(&log.events, month_label)?,
        lab_ids,
    ])
}

/// Simulates `scenario` with `seed`, keeping every table.
pub fn simulate(scenario: &Scenario, seed: u64) -> Result<Outputs> {
    simulate_with_progress(scenario, seed, |_| {})
}

//! Running a scenario: build the world, run the monthly schedule, hand back what was recorded. No I/O
//! and no polars of its own: the rows of the large tables go where the caller says as the months run
//! ([`Chunks`]), so that `fracture run` writes them to Parquet as they come and holds only a chunk or
//! two of them, and the rest comes back as plain tables ([`Recorded`]), which `output` turns into
//! DataFrames ([`crate::simulate`]) and files. Sweeps run many simulations side by side.

use crate::resources::{Clock, EventLog, WorldIndex};
use crate::scenario::Scenario;
use crate::systems::Monthly;
use crate::tables::{LabIds, LabSample, Recorder, Recording, Table, events_table};
use crate::world;
use anyhow::Result;
use bevy_ecs::world::World;
use std::sync::mpsc;

/// Where the rows of the large tables, `labs` and `usage`, go as chunks of months finish (chunks of
/// at most [`crate::tables::CHUNK_ROWS`] rows, at least a month, at most
/// [`crate::tables::CHUNK_MONTHS`]): each chunk, in order, to a function given its table's name.
pub enum Chunks<'a> {
    /// On the simulation's thread, as each chunk ends.
    Here(&'a mut dyn FnMut(&'static str, Table) -> Result<()>),
    /// On a second thread — to be written as Parquet row groups, say — while the months go on,
    /// overlapping with them on the core a single run leaves idle. The simulation waits for the
    /// function to take a chunk before it records the one after, so no more than three chunks are
    /// ever held, however long the run. An error stops the run and is returned.
    Beside(&'a mut (dyn FnMut(&'static str, Table) -> Result<()> + Send)),
}

/// Something of each of the two large tables, whose rows go out in chunks named by the table.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Large<T> {
    pub labs: T,
    pub usage: T,
}

impl<T> Large<T> {
    /// The entry of the large table `name` (`labs` or `usage`, as its chunks are named).
    pub fn of(&mut self, name: &str) -> &mut T {
        match name {
            "labs" => &mut self.labs,
            "usage" => &mut self.usage,
            other => unreachable!("`{other}` is no large table"),
        }
    }
}

/// What a run recorded, but the rows of the large tables (which went to its [`Chunks`]).
pub struct Recorded {
    pub global: Table,
    pub nations: Table,
    pub providers: Table,
    pub fabs: Table,
    pub events: Table,
    /// The labs table's dimension table.
    pub lab_ids: LabIds,
    /// The large tables, `labs` and `usage`, without rows: their columns.
    pub large: Large<Table>,
    /// The rows the large tables had, wherever they went.
    pub large_rows: Large<usize>,
    /// What the labs table holds.
    pub sample: LabSample,
}

/// Simulates `scenario` with `seed` — builds the world and runs every month — recording the tables
/// `recording` asks for (a [`crate::Detail`], or a [`Recording`] with a sample of labs); `on_month` is
/// called after each month with the number done, and the large tables' rows go to `chunks`.
pub fn simulate_and_record(
    scenario: &Scenario,
    seed: u64,
    recording: impl Into<Recording>,
    on_month: impl FnMut(u32),
    chunks: Chunks<'_>,
) -> Result<Recorded> {
    let recording = recording.into();
    let mut world = world::build_with(scenario, seed, recording);
    let months = scenario.scenario.months;
    let large_rows = std::sync::Mutex::new(Large::<usize>::default());
    let count = |name: &str, rows: &Table| {
        let mut counts = large_rows.lock().expect("no counter panicked");
        *counts.of(name) += rows.rows();
    };
    // Recorded before the first month: the columns without rows.
    let (large, sample) = {
        let recorder = world.resource::<Recorder>();
        (
            Large {
                labs: recorder.labs.empty(),
                usage: recorder.usage.empty(),
            },
            recorder.sample,
        )
    };
    // What the run recorded, made while a second thread may still be writing the last chunk.
    let finish = |world: &mut World| {
        let recorder = world.remove_resource::<Recorder>().expect("recorder");
        let log = world.remove_resource::<EventLog>().expect("event log");
        let index = world.resource::<WorldIndex>();
        let lab_ids = recorder.lab_ids(|lab| index.lab_id(lab));
        let events = events_table(&log.events, &recorder.global.keys().months);
        Recorded {
            global: recorder.global.finish(),
            nations: recorder.nations.finish(),
            providers: recorder.providers.finish(),
            fabs: recorder.fabs.finish(),
            events,
            lab_ids,
            large,
            large_rows: Large::default(),
            sample,
        }
    };
    let mut recorded = match chunks {
        Chunks::Here(sink) => {
            run_months(&mut world, months, on_month, |due| {
                for (name, rows) in due {
                    count(name, &rows);
                    sink(name, rows)?;
                }
                Ok(())
            })?;
            finish(&mut world)
        }
        Chunks::Beside(sink) => std::thread::scope(|scope| -> Result<Recorded> {
            // A rendezvous: the simulation hands a chunk over only when the writer is ready for it,
            // and records the next meanwhile.
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
            let recorded = ran.map(|()| finish(&mut world));
            writer.join().expect("the table writer panicked")?;
            recorded
        })?,
    };
    recorded.large_rows = large_rows.into_inner().expect("no counter panicked");
    Ok(recorded)
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
    for t in 0..months {
        world.resource_mut::<Clock>().t = t;
        world.run_schedule(Monthly);
        on_month(t + 1);
        let due = world.resource_mut::<Recorder>().take_due(t + 1, months);
        if !due.is_empty() {
            chunk_done(due)?;
        }
    }
    Ok(())
}

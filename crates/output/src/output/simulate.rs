//! Simulating a scenario into DataFrames ([`Outputs`]): the library's way to run one in memory, and
//! the way to hand the large tables' chunks to a function of one's own ([`LargeTables`]).

use super::Outputs;
use super::frames::frame;
use crate::scenario::Scenario;
use crate::simulation::{Chunks, Large, simulate_and_record};
use crate::tables::{Recording, Table};
use anyhow::Result;
use polars::prelude::DataFrame;

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
    match large {
        LargeTables::Keep => {
            let mut kept: Large<Option<DataFrame>> = Large::default();
            let mut keep = |name: &'static str, rows: Table| -> Result<()> {
                let part = frame(rows)?;
                let frame = kept.of(name);
                match frame {
                    Some(f) => {
                        f.vstack_mut_owned(part)?;
                    }
                    None => *frame = Some(part),
                }
                Ok(())
            };
            let recorded =
                simulate_and_record(scenario, seed, recording, on_month, Chunks::Here(&mut keep))?;
            assert!(
                kept.labs.is_some() && kept.usage.is_some(),
                "a run has at least one chunk"
            );
            Ok(Outputs::from_recorded(recorded, kept)?)
        }
        LargeTables::Stream(sink) => {
            let recorded =
                simulate_and_record(scenario, seed, recording, on_month, Chunks::Beside(sink))?;
            Ok(Outputs::from_recorded(recorded, Large::default())?)
        }
    }
}

/// Simulates `scenario` with `seed`, keeping every table.
pub fn simulate(scenario: &Scenario, seed: u64) -> Result<Outputs> {
    simulate_with_progress(scenario, seed, |_| {})
}

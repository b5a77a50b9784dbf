//! fracture's output layer: a run's rows as Arrow arrays, polars DataFrames and Parquet files, written
//! with its manifest into a staging folder that is moved into place only when complete ([`output`]).
//! It runs the model ([`simulate`]) with the Parquet writer as the large tables' destination.

#![warn(clippy::too_many_lines)]

pub mod output;

// The layers below, by the paths this crate's files name them (`crate::tables`, …).
pub use fracture_model::{
    Detail, Recording, components, fsutil, indices, measure, month, parameters, resources,
    scenario, simulation, systems, tables, world,
};
pub use output::Outputs;
pub use output::{LargeTables, simulate, simulate_into, simulate_with, simulate_with_progress};

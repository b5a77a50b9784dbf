//! fracture: an agent-based simulator of the geopolitical AI supply chain.
//!
//! Nations, blocs, fabs, chip classes, cloud providers and their regions, AI labs and intermediaries are
//! bevy_ecs entities; ten systems run each month under a scenario's policies (MODEL.md); the run yields
//! tables of compute access, capability and bifurcation. Load a scenario with [`scenario::load`], run it
//! in memory with [`simulate`], write it with [`output::write_run`], draw it with [`charts`] and
//! [`report`].

#![warn(clippy::too_many_lines)]

// The layers below, as crates of their own (crates/): the scenario, the model (no polars, plotters or
// clap), the output and the analysis. Re-exported by path, so `fracture::scenario`, `fracture::systems` and
// `fracture::output` name what they always did.
pub use fracture_output::{
    Detail, LargeTables, Outputs, Recording, components, fsutil, indices, measure, month, output,
    parameters, resources, scenario, simulate, simulate_into, simulate_with,
    simulate_with_progress, simulation, systems, tables, world,
};

// The analysis, which draws nothing.
pub use fracture_analysis::{comparison, ensemble, numbers, run_data, story, summary};

// The program: the command line's listings and progress, charts, the report and sweeps.
pub mod charts;
pub mod listing;
pub mod memory;
pub mod progress;
pub mod report;
pub mod sweep;

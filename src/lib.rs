//! fracture: an agent-based simulator of the geopolitical AI supply chain.
//!
//! Nations, blocs, fabs, chip classes, cloud providers and their regions, AI labs and intermediaries are
//! bevy_ecs entities; ten systems run each month under a scenario's policies (MODEL.md); the run yields
//! tables of compute access, capability and bifurcation. Load a scenario with [`scenario::load`], run it
//! in memory with [`simulate`], write it with [`output::write_run`], draw it with [`charts`] and
//! [`report`].

pub mod fsutil;
pub mod month;
pub mod parameters;
pub mod scenario;

// The simulator and everything built on it (feature `engine`, on by default): without it the library is
// the scenario loader and validator, as the fuzz targets build it.
#[cfg(feature = "engine")]
pub mod charts;
#[cfg(feature = "engine")]
pub mod comparison;
#[cfg(feature = "engine")]
pub mod components;
#[cfg(feature = "engine")]
pub mod ensemble;
#[cfg(feature = "engine")]
pub mod indices;
#[cfg(feature = "engine")]
pub mod listing;
#[cfg(feature = "engine")]
pub mod measure;
#[cfg(feature = "engine")]
pub mod memory;
#[cfg(feature = "engine")]
pub mod numbers;
#[cfg(feature = "engine")]
pub mod output;
#[cfg(feature = "engine")]
pub mod progress;
#[cfg(feature = "engine")]
pub mod report;
#[cfg(feature = "engine")]
pub mod resources;
#[cfg(feature = "engine")]
pub mod run_data;
#[cfg(feature = "engine")]
pub mod simulation;
#[cfg(feature = "engine")]
pub mod story;
#[cfg(feature = "engine")]
pub mod summary;
#[cfg(feature = "engine")]
pub mod sweep;
#[cfg(feature = "engine")]
pub mod systems;
#[cfg(feature = "engine")]
pub mod tables;
#[cfg(feature = "engine")]
pub mod world;

#[cfg(feature = "engine")]
pub use output::Outputs;
#[cfg(feature = "engine")]
pub use output::{LargeTables, simulate, simulate_into, simulate_with, simulate_with_progress};
#[cfg(feature = "engine")]
pub use tables::{Detail, Recording};

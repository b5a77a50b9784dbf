//! fracture: an agent-based simulator of the geopolitical AI supply chain.
//!
//! Nations, blocs, fabs, chip classes, cloud providers and their regions, AI labs and intermediaries are
//! bevy_ecs entities; eight systems run each month under a scenario's policies (MODEL.md); the run yields
//! tables of compute access, capability and bifurcation. Load a scenario with [`scenario::load`], run it
//! in memory with [`simulate`], write it with [`output::write_run`], draw it with [`charts`] and
//! [`report`].

// Bevy systems take their queries and resources as arguments; long signatures are the idiom.
#![allow(clippy::too_many_arguments, clippy::type_complexity)]

pub mod charts;
pub mod components;
pub mod fsutil;
pub mod indices;
pub mod month;
pub mod output;
pub mod parameters;
pub mod report;
pub mod resources;
pub mod scenario;
pub mod simulation;
pub mod summary;
pub mod sweep;
pub mod systems;
pub mod tables;
pub mod world;

pub use simulation::{simulate, simulate_observed, simulate_with, simulate_with_progress};
pub use tables::{Detail, Outputs};

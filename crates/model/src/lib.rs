//! fracture's model: nations, blocs, fabs, chip classes, cloud providers and their regions, AI labs and
//! intermediaries as bevy_ecs entities ([`components`], [`resources`], built by [`world`]); the ten
//! monthly systems of MODEL.md under a scenario's policies ([`systems`], the policies compiled by
//! [`measure`]); and the monthly loop ([`simulation`]) that records each month's rows into
//! [`tables`]. It has no polars, plotters or clap: the output layer turns the rows into Parquet, the
//! program draws and reports them.

#![warn(clippy::too_many_lines)]

pub mod components;
pub mod indices;
pub mod measure;
pub mod resources;
pub mod simulation;
pub mod systems;
pub mod tables;
pub mod world;

// The scenario layer's modules, by the paths the model's files name them (`crate::scenario`, …).
pub use fracture_scenario::{fsutil, month, parameters, scenario};
pub use tables::{Detail, Recording};

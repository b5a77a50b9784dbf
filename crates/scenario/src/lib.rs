//! fracture's scenario layer: what a scenario file says and whether it is right.
//!
//! A scenario is read from TOML (its `extends` chain, `--set` overrides and defaults merged), checked in
//! one pass with every problem's file, line and key path ([`scenario::load`]), and handed to the model as
//! a [`scenario::Scenario`]. The model's numbers are declared once in [`parameters`]; [`month`] is the
//! calendar; [`fsutil`] holds the file I/O every layer shares (bounded reads, atomic writes). Nothing here
//! knows the ECS, polars or the command line.

#![warn(clippy::too_many_lines)]

pub mod fsutil;
pub mod month;
pub mod parameters;
pub mod scenario;

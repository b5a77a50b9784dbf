//! fracture's analysis: a run's tables read back into memory or from its folder ([`run_data`]), set
//! against a counterfactual ([`comparison`]), summarised over seeds ([`ensemble`]), printed
//! ([`summary`]) and judged against a story's expectations ([`story`]), with numbers written as people
//! read them ([`numbers`]). It draws nothing: the program's charts and report read what it computes.

#![warn(clippy::too_many_lines)]

pub mod comparison;
pub mod ensemble;
pub mod numbers;
pub mod run_data;
pub mod story;
pub mod summary;

// The layers below, by the paths this crate's files name them (`crate::scenario`, …).
pub use fracture_output::{
    Detail, Outputs, Recording, components, fsutil, indices, measure, month, output, parameters,
    resources, scenario, simulation, systems, tables, world,
};

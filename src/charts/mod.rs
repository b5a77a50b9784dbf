//! Charts drawn with plotters as PNG and SVG: a run's charts, the comparison charts, a sweep's.
//!
//! [`Chart`] is the registry of a run's charts: one line per chart, in the report's order. Each chart is
//! a unit struct in its own file (`access.rs`, `capability.rs`, …) that declares its facts — file name,
//! title, axis titles, height, how to read it, which runs have it — and draws itself, in one
//! implementation of [`ChartSpec`] and [`RunChartSpec`] (`spec.rs` says why the registry is a macro).
//! The comparison charts ([`compare`]) share their drawing, so each is one entry of data in a list; the
//! sweep's [`tornado`] and [`fan`] charts are [`Figure`]s built from the sweep's analysis.
//!
//! What the charts share is split by concept: [`style`] (font, palette, dashes, type sizes), [`figure`]
//! (the [`Figure`] trait, the title block, writing the files), [`axes`] (panels, time axes, ranges, tick
//! labels, lines) and `legend`; [`data`] reads what the charts show from a run's tables.
//!
//! Every chart is drawn by one function generic over the plotters backend, so the PNG beside the Parquet
//! files, the SVG beside it and the SVG inlined in `report.html` are the same picture.

mod access;
mod alignment;
pub mod axes;
mod bifurcation;
mod capability;
mod chips;
mod clouds;
pub mod compare;
mod counterfactual;
mod economics;
pub mod fan;
pub mod figure;
mod legend;
mod per_capita;
mod raster;
mod spec;
pub mod spread;
mod stranded;
pub mod style;
pub mod tornado;

pub use crate::run_data::{BlocInfo, DEFAULT_FOCUS, RunData};
pub use axes::fmt_num;
pub use figure::{Figure, figure_svg, write_figure};
pub use per_capita::focus_series as per_capita_of_focus;
pub use spec::{ChartData, ChartSpec, RunChartSpec};
pub use stranded::EVENT_KINDS;
pub use style::{FONT, FONT_REGULAR_TTF, size::WIDTH};

use anyhow::Result;
use std::path::{Path, PathBuf};

spec::run_charts! {
    /// The charts of one run, in the order the report shows them: the registry. Each chart declares its
    /// facts and draws itself in its own file; adding a chart is that file, its `mod` line above and
    /// one line here.
    pub enum Chart {
        /// A story against its counterfactual: drawn only for runs that have one.
        Counterfactual = counterfactual::Counterfactual,
        ComputeAccess = access::ComputeAccess,
        Bifurcation = bifurcation::Bifurcation,
        CapabilityGap = capability::CapabilityGap,
        ComputePerCapita = per_capita::ComputePerCapita,
        Alignment = alignment::Alignment,
        ChipSupply = chips::ChipSupply,
        Economics = economics::Economics,
        Clouds = clouds::Clouds,
        StrandedLabs = stranded::StrandedLabs,
    }
}

impl Chart {
    /// The charts of `data`, in the order the report shows them: those of [`Chart::ALL`] drawn for it
    /// ([`RunChartSpec::drawn_for`]).
    pub fn of(data: &RunData) -> Vec<Chart> {
        Chart::ALL
            .into_iter()
            .filter(|chart| chart.drawn_for(data))
            .collect()
    }
}

/// Writes every chart of `data` ([`Chart::of`]) into `dir` as `<stem>.png` and `<stem>.svg`; returns
/// the paths written.
pub fn write_charts(dir: &Path, data: &RunData) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for chart in Chart::of(data) {
        written.extend(chart.write(dir, data)?);
    }
    Ok(written)
}

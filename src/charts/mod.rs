//! Charts of a run, drawn with plotters as PNG and SVG. One file per chart draws it; [`data`] reads
//! what they show from a run's tables; the drawing they share is split by concept: [`style`] (font,
//! palette, dashes, type sizes), [`figure`] (the [`Figure`] trait, the title block, writing the files),
//! [`axes`] (panels, time axes, ranges, tick labels, lines) and `legend`.
//!
//! Every chart is drawn by one function generic over the plotters backend, so the PNG beside the Parquet
//! files, the SVG beside it and the SVG inlined in `report.html` are the same picture.

mod access;
mod alignment;
pub mod axes;
mod bifurcation;
mod capability;
mod chips;
pub mod compare;
mod counterfactual;
pub mod data;
mod economics;
pub mod fan;
pub mod figure;
mod legend;
mod per_capita;
mod stranded;
pub mod style;
pub mod tornado;

pub use axes::fmt_num;
pub use data::{BlocInfo, DEFAULT_FOCUS, RunData};
pub use figure::{Figure, figure_svg, write_figure};
pub use style::{FONT, FONT_REGULAR_TTF};

use anyhow::{Context, Result};
use figure::header;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use style::size;

use crate::resources::EventKind;

/// The policy events the charts mark and the report lists: (kind in `events.parquet`, name for readers).
pub const EVENT_KINDS: [(&str, &str); 3] = [
    (EventKind::PolicyOn.as_str(), "Policy switched on"),
    (EventKind::Ban.as_str(), "Cloud ban"),
    (EventKind::TriggerFired.as_str(), "Trigger fired"),
];

/// The focus nations found in a run, each with its compute per 1000 people as (month number, value).
pub fn per_capita_of_focus(data: &RunData) -> Result<Vec<(String, Vec<(f64, f64)>)>> {
    per_capita::focus_series(data)
}

/// The charts of one run, in the order the report shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    ComputeAccess,
    Bifurcation,
    CapabilityGap,
    ComputePerCapita,
    Alignment,
    ChipSupply,
    Economics,
    StrandedLabs,
    /// A story against its counterfactual: drawn only for runs that have one.
    Counterfactual,
}

impl Chart {
    pub const ALL: [Chart; 8] = [
        Chart::ComputeAccess,
        Chart::Bifurcation,
        Chart::CapabilityGap,
        Chart::ComputePerCapita,
        Chart::Alignment,
        Chart::ChipSupply,
        Chart::Economics,
        Chart::StrandedLabs,
    ];

    /// The charts of `data`, in the order the report shows them: [`Chart::ALL`], and first for a story
    /// run with its counterfactual, [`Chart::Counterfactual`].
    pub fn of(data: &RunData) -> Vec<Chart> {
        let mut charts = Vec::new();
        if data.counterfactual.is_some() {
            charts.push(Chart::Counterfactual);
        }
        charts.extend(Chart::ALL);
        charts
    }

    /// The file name without extension (`<stem>.png`, `<stem>.svg`).
    pub fn stem(self) -> &'static str {
        match self {
            Chart::ComputeAccess => "compute_access",
            Chart::Bifurcation => "bifurcation",
            Chart::CapabilityGap => "capability_gap",
            Chart::ComputePerCapita => "compute_per_capita",
            Chart::Alignment => "alignment_heatmap",
            Chart::ChipSupply => "chip_supply",
            Chart::Economics => "economics",
            Chart::StrandedLabs => "stranded_labs",
            Chart::Counterfactual => "counterfactual",
        }
    }

    pub fn title(self, data: &RunData) -> String {
        match self {
            Chart::ComputeAccess => access::title(data),
            Chart::Bifurcation => "Is the world splitting into two AI ecosystems?".into(),
            Chart::CapabilityGap => capability::title(data),
            Chart::ComputePerCapita => "AI compute per person in the focus nations".into(),
            Chart::Alignment => alignment::title(data),
            Chart::ChipSupply => "Where new AI chips come from".into(),
            Chart::Economics => "What compute costs, and what it draws".into(),
            Chart::StrandedLabs => "Stranded labs and the policies around them".into(),
            Chart::Counterfactual => counterfactual::title(data),
        }
    }

    /// The axis titles, as drawn (the x axis first).
    pub fn axis_labels(self, data: &RunData) -> Vec<String> {
        match self {
            Chart::ComputeAccess => access::axis_labels(),
            Chart::Bifurcation => bifurcation::axis_labels(),
            Chart::CapabilityGap => capability::axis_labels(),
            Chart::ComputePerCapita => per_capita::axis_labels(),
            Chart::Alignment => alignment::axis_labels(data),
            Chart::ChipSupply => chips::axis_labels(),
            Chart::Economics => economics::axis_labels(),
            Chart::StrandedLabs => stranded::axis_labels(),
            Chart::Counterfactual => counterfactual::axis_labels(),
        }
    }

    /// A short paragraph for students: what is drawn and what to look for.
    pub fn how_to_read(self, data: &RunData) -> String {
        match self {
            Chart::ComputeAccess => access::how_to_read(data),
            Chart::Bifurcation => bifurcation::HOW_TO_READ.into(),
            Chart::CapabilityGap => capability::how_to_read(data),
            Chart::ComputePerCapita => per_capita::how_to_read(data),
            Chart::Alignment => alignment::how_to_read(data),
            Chart::ChipSupply => chips::how_to_read(data),
            Chart::Economics => economics::how_to_read(data),
            Chart::StrandedLabs => stranded::how_to_read(),
            Chart::Counterfactual => counterfactual::how_to_read(data),
        }
    }

    /// Width and height in pixels (the SVG's user units).
    pub fn size(self, data: &RunData) -> (u32, u32) {
        let h = match self {
            Chart::ComputeAccess => 940,
            Chart::Bifurcation => 720,
            Chart::CapabilityGap => 900,
            Chart::ComputePerCapita => 760,
            Chart::Alignment => alignment::height(data),
            Chart::ChipSupply => 1160,
            Chart::Economics => 1160,
            Chart::StrandedLabs => 820,
            Chart::Counterfactual => counterfactual::height(data),
        };
        (size::WIDTH, h)
    }

    fn draw<DB>(self, data: &RunData, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let body = header(root, &self.title(data), &subtitle(data))?;
        match self {
            Chart::ComputeAccess => access::draw(data, &body),
            Chart::Bifurcation => bifurcation::draw(data, &body),
            Chart::CapabilityGap => capability::draw(data, &body),
            Chart::ComputePerCapita => per_capita::draw(data, &body),
            Chart::Alignment => alignment::draw(data, &body),
            Chart::ChipSupply => chips::draw(data, &body),
            Chart::Economics => economics::draw(data, &body),
            Chart::StrandedLabs => stranded::draw(data, &body),
            Chart::Counterfactual => counterfactual::draw(data, &body),
        }
    }

    /// The chart as an SVG document.
    pub fn svg(self, data: &RunData) -> Result<String> {
        figure_svg(&RunChart(self, data)).with_context(|| format!("cannot draw {}", self.stem()))
    }
}

/// One of a run's charts with its data, as a [`Figure`].
struct RunChart<'a>(Chart, &'a RunData);

impl Figure for RunChart<'_> {
    fn size(&self) -> (u32, u32) {
        self.0.size(self.1)
    }
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.0.draw(self.1, root)
    }
}

/// Writes every chart of `data` ([`Chart::of`]) into `dir` as `<stem>.png` and `<stem>.svg`; returns
/// the paths written.
pub fn write_charts(dir: &Path, data: &RunData) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for chart in Chart::of(data) {
        written.extend(write_figure(dir, chart.stem(), &RunChart(chart, data))?);
    }
    Ok(written)
}

fn subtitle(data: &RunData) -> String {
    format!(
        "Scenario \u{201c}{}\u{201d} \u{00b7} {} to {} \u{00b7} seed {}",
        data.name,
        data.first_month(),
        data.last_month(),
        data.seed_label()
    )
}

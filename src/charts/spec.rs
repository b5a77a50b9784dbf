//! What a chart declares about itself, and the one adapter that turns a chart with its data into a
//! [`Figure`].
//!
//! Each chart is a unit struct in its own file implementing [`ChartSpec`] (and, for a run's charts,
//! [`RunChartSpec`]): its file name, title, axis titles, height, how to read it and how to draw it, in
//! one `impl` next to the drawing code. A registry lists the charts once: [`run_charts!`] for a run's
//! charts (in `charts/mod.rs`), a plain `const` list for the comparison charts (`compare.rs`), whose
//! drawing is shared and whose declarations are therefore data.
//!
//! Why a macro and not a list of `&dyn ChartSpec`, as ripgrep lists its flags: a chart is drawn by
//! one function generic over the plotters backend (so that its PNG and SVG are the same picture), and a
//! trait with a generic method cannot be a trait object. Storing two monomorphised function pointers per
//! chart (one per backend) would work too, but would put both backends into every declaration, and
//! turning [`Figure`] into an enum of backends would put a `match` on the backend into every figure. The
//! macro writes the one dispatch `match` per method from the list, so the list stays the only place a
//! chart is named, and everything stays statically typed.

use super::RunData;
use super::figure::{Figure, figure_svg, write_figure};
use super::style::size;
use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// What charts are drawn from — one run, or several to compare — and the subtitle every chart of it
/// carries under its title.
pub trait ChartData {
    fn subtitle(&self) -> String;
}

impl ChartData for RunData {
    fn subtitle(&self) -> String {
        format!(
            "Scenario \u{201c}{}\u{201d} \u{00b7} {} to {} \u{00b7} seed {}",
            self.name,
            self.first_month(),
            self.last_month(),
            self.seed_label()
        )
    }
}

/// The facts of one chart, each declared once.
pub trait ChartSpec {
    type Data: ChartData + ?Sized;

    /// The file name without extension (`<stem>.png`, `<stem>.svg`).
    fn stem(&self) -> &'static str;

    fn title(&self, data: &Self::Data) -> String;

    /// The axis titles, as drawn (the x axis first).
    fn axis_labels(&self, data: &Self::Data) -> Vec<String>;

    /// The height in pixels (the SVG's user units); every chart has the same width.
    fn height(&self, data: &Self::Data) -> u32;

    /// Draws the chart on `area`, the part of the image below its title and subtitle.
    fn draw<DB>(&self, data: &Self::Data, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;

    /// Width and height in pixels (the SVG's user units).
    fn size(&self, data: &Self::Data) -> (u32, u32) {
        (size::WIDTH, self.height(data))
    }

    /// The chart as an SVG document.
    fn svg(&self, data: &Self::Data) -> Result<String> {
        figure_svg(&Drawn(self, data)).with_context(|| format!("cannot draw {}", self.stem()))
    }

    /// Writes the chart into `dir` as `<stem>.png` and `<stem>.svg`; returns both paths.
    fn write(&self, dir: &Path, data: &Self::Data) -> Result<Vec<PathBuf>> {
        write_figure(dir, self.stem(), &Drawn(self, data))
    }
}

/// A chart of one run: it also explains itself in `report.html`, and may be drawn for some runs only.
pub trait RunChartSpec: ChartSpec<Data = RunData> {
    /// A short paragraph for students: what is drawn and what to look for.
    fn how_to_read(&self, data: &RunData) -> String;

    /// Whether `data` has this chart; every run has it unless the chart says otherwise.
    fn drawn_for(&self, _data: &RunData) -> bool {
        true
    }
}

/// A chart with its data, as a [`Figure`]: the one adapter between the charts and their files.
struct Drawn<'a, S: ChartSpec + ?Sized>(&'a S, &'a S::Data);

impl<S: ChartSpec + ?Sized> Figure for Drawn<'_, S> {
    fn size(&self) -> (u32, u32) {
        self.0.size(self.1)
    }
    fn title(&self) -> String {
        self.0.title(self.1)
    }
    fn subtitle(&self) -> String {
        self.1.subtitle()
    }
    fn draw_body<DB>(&self, body: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.0.draw(self.1, body)
    }
}

/// Declares the registry of a run's charts: `enum $name` with one variant per chart, `$name::ALL` in
/// the order given (the report's), and [`ChartSpec`] and [`RunChartSpec`] implemented by handing every
/// call to the variant's chart.
macro_rules! run_charts {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_attr:meta])* $variant:ident = $chart:path,)+
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$variant_attr])* $variant,)+
        }

        impl $name {
            /// Every chart, in the order the report shows them.
            pub const ALL: [$name; [$($name::$variant),+].len()] = [$($name::$variant),+];
        }

        impl $crate::charts::ChartSpec for $name {
            type Data = $crate::charts::RunData;
            fn stem(&self) -> &'static str {
                match self {
                    $($name::$variant => $chart.stem(),)+
                }
            }
            fn title(&self, data: &Self::Data) -> String {
                match self {
                    $($name::$variant => $chart.title(data),)+
                }
            }
            fn axis_labels(&self, data: &Self::Data) -> Vec<String> {
                match self {
                    $($name::$variant => $chart.axis_labels(data),)+
                }
            }
            fn height(&self, data: &Self::Data) -> u32 {
                match self {
                    $($name::$variant => $chart.height(data),)+
                }
            }
            fn draw<DB>(
                &self,
                data: &Self::Data,
                area: &plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
            ) -> anyhow::Result<()>
            where
                DB: plotters::backend::DrawingBackend,
                DB::ErrorType: 'static,
            {
                match self {
                    $($name::$variant => $chart.draw(data, area),)+
                }
            }
        }

        impl $crate::charts::RunChartSpec for $name {
            fn how_to_read(&self, data: &Self::Data) -> String {
                match self {
                    $($name::$variant => $chart.how_to_read(data),)+
                }
            }
            fn drawn_for(&self, data: &Self::Data) -> bool {
                match self {
                    $($name::$variant => $chart.drawn_for(data),)+
                }
            }
        }
    };
}
pub(crate) use run_charts;

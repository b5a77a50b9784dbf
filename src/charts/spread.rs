//! The spread of a story over seeds (`run --seeds`): for the world and each focus nation, compute in
//! the story against its own counterfactual, in per cent, month by month — the mean over the seeds
//! inside the band from the least to the greatest seed. A band that straddles zero says the seeds do
//! not agree on the effect's sign; a band clear of zero says they do.

use super::axes::{Axes, draw_hline, draw_line, fmt_num, linear_range, panel_caption, time_panel};
use super::figure::Figure;
use super::legend::{LegendItem, Swatch, legend};
use super::style::{palette, size};
use crate::ensemble::Band;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The file stem of the chart in an ensemble's folder.
pub const STEM: &str = "seeds_spread";

/// Panels of compute bands, one per nation (the world first).
pub struct Spread {
    pub title: String,
    pub seeds: usize,
    pub bands: Vec<Band>,
}

const PANEL: u32 = 300;
/// The band's colour: the palette's blue blended with white, opaque so that PNG and SVG agree.
const BAND: RGBColor = RGBColor(190, 220, 238);

impl Figure for Spread {
    fn size(&self) -> (u32, u32) {
        (size::WIDTH, 150 + PANEL * self.bands.len().max(1) as u32)
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn subtitle(&self) -> String {
        format!(
            "Compute against each seed's own counterfactual (%), {} seeds: mean and range",
            self.seeds
        )
    }

    fn draw_body<DB>(&self, body: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let area = legend(
            body,
            &[
                LegendItem::line("Mean over the seeds", palette::BLUE),
                LegendItem::swatch("Least to greatest seed", BAND, Swatch::Block),
            ],
        )?;
        let panels = area.split_evenly((self.bands.len().max(1), 1));
        for (i, (band, panel)) in self.bands.iter().zip(&panels).enumerate() {
            let panel = panel_caption(panel, &band.label)?;
            let first = band.months.first().copied().unwrap_or(0.0);
            let last = band
                .months
                .last()
                .copied()
                .unwrap_or(first)
                .max(first + 1.0);
            // Zero is always on the axis: the question is which side of it the band lies.
            let range = linear_range(band.min.iter().chain(&band.max).copied(), 0.0);
            let mut chart = time_panel(
                &panel,
                first..last,
                range,
                &Axes {
                    y_desc: "Difference (%)",
                    x_desc: i + 1 == self.bands.len(),
                    y_labels: 5,
                    y_fmt: &|v| fmt_num(v),
                },
            )?;
            let mut outline: Vec<(f64, f64)> = band
                .months
                .iter()
                .copied()
                .zip(band.min.iter().copied())
                .collect();
            outline.extend(
                band.months
                    .iter()
                    .copied()
                    .zip(band.max.iter().copied())
                    .rev(),
            );
            if outline.len() > 2 {
                chart.draw_series(std::iter::once(Polygon::new(outline, BAND.filled())))?;
            }
            draw_hline(&mut chart, 0.0, palette::MUTED)?;
            let mean: Vec<(f64, f64)> = band
                .months
                .iter()
                .copied()
                .zip(band.mean.iter().copied())
                .collect();
            draw_line(&mut chart, &mean, palette::BLUE, false)?;
        }
        Ok(())
    }
}

/// How to read the spread chart, for the report.
pub fn how_to_read(seeds: usize) -> String {
    format!(
        "Each panel is the story's compute against its own counterfactual (the same seed without the \
         story's policies and triggers), in per cent, month by month: the line is the mean over the \
         {seeds} seeds, the band runs from the seed with the least to the seed with the greatest \
         difference. A band clear of the zero line means every seed agrees on the sign of the effect; a \
         band across it means the effect that month is within the seeds' noise."
    )
}

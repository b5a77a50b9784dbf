//! The tornado chart of a sweep's sensitivity analysis: for each outcome, one horizontal bar per swept
//! parameter, longest (most influential) on top, so a reader sees at once which inputs drive a result.
//!
//! The bar is the headline index (Sobol total effect ST, or Morris μ*), with its 95 % bootstrap interval
//! as a whisker where there is one; a dot marks the companion index (Sobol first-order S1, or Morris σ),
//! whose distance from the bar's end tells how much of a parameter's effect comes through interactions.

use super::axes::{Ticked, fmt_num, linear_range, panel_caption};
use super::figure::Figure;
use super::legend::{LegendItem, Swatch, legend};
use super::style::{bold, palette, size, text};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One parameter's indices for one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct TornadoBar {
    pub parameter: String,
    pub value: f64,
    /// The bar's 95 % interval, when the estimator gives one.
    pub interval: Option<(f64, f64)>,
    pub dot: f64,
}

/// One outcome's bars.
#[derive(Clone, Debug, PartialEq)]
pub struct TornadoPanel {
    pub outcome: String,
    pub bars: Vec<TornadoBar>,
}

/// A whole tornado chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Tornado {
    pub title: String,
    pub subtitle: String,
    /// What the bars show, for the legend and the x axis.
    pub bar_label: String,
    /// What the dots show, for the legend.
    pub dot_label: String,
    pub panels: Vec<TornadoPanel>,
}

const ROW: u32 = 46;
const PANEL_EXTRA: u32 = 150;

impl TornadoPanel {
    /// The bars in drawing order: most influential first, ties by name so the order is stable.
    pub fn ranked(&self) -> Vec<&TornadoBar> {
        let mut bars: Vec<&TornadoBar> = self.bars.iter().collect();
        bars.sort_by(|a, b| {
            b.value
                .total_cmp(&a.value)
                .then_with(|| a.parameter.cmp(&b.parameter))
        });
        bars
    }
}

impl Figure for Tornado {
    fn size(&self) -> (u32, u32) {
        let rows: u32 = self
            .panels
            .iter()
            .map(|p| PANEL_EXTRA + ROW * p.bars.len().max(1) as u32)
            .sum();
        (size::WIDTH, 96 + 56 + rows)
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn subtitle(&self) -> String {
        self.subtitle.clone()
    }

    fn draw_body<DB>(&self, body: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let mut area = legend(
            body,
            &[
                LegendItem::swatch(self.bar_label.clone(), palette::BLUE, Swatch::Block),
                LegendItem::swatch(self.dot_label.clone(), palette::VERMILLION, Swatch::Dot),
            ],
        )?;
        for panel in &self.panels {
            let h = PANEL_EXTRA + ROW * panel.bars.len().max(1) as u32;
            let (this, rest) = area.split_vertically(h);
            self.draw_panel(panel, &this)?;
            area = rest;
        }
        Ok(())
    }
}

impl Tornado {
    fn draw_panel<DB>(&self, panel: &TornadoPanel, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let area = panel_caption(area, &panel.outcome)?;
        let bars = panel.ranked();
        let n = bars.len().max(1);
        let ends = bars.iter().flat_map(|b| {
            let (lo, hi) = b.interval.unwrap_or((b.value, b.value));
            [b.value, b.dot, lo, hi]
        });
        let range = linear_range(ends, 0.0);
        // The parameter names sit left of the bars; the widest one sets the label column.
        let label_w = bars
            .iter()
            .filter_map(|b| {
                area.estimate_text_size(&b.parameter, &text(size::TICK))
                    .ok()
            })
            .map(|(w, _)| w)
            .max()
            .unwrap_or(100)
            + 24;
        let rows = Ticked::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect());
        let names: Vec<String> = bars.iter().rev().map(|b| b.parameter.clone()).collect();
        let y_fmt = |y: &f64| names.get(y.round() as usize).cloned().unwrap_or_default();
        let x_fmt = |x: &f64| fmt_num(*x);
        let mut chart = ChartBuilder::on(&area)
            .margin_left(16)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(label_w)
            .build_cartesian_2d(range, rows)?;
        chart
            .configure_mesh()
            .x_desc(self.bar_label.as_str())
            .axis_desc_style(text(size::AXIS))
            .label_style(text(size::TICK))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_labels(6)
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::MUTED)
            .draw()?;
        for (i, bar) in bars.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            if bar.value.is_finite() {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.3), (bar.value, y + 0.3)],
                    palette::BLUE.filled(),
                )))?;
            }
            if let Some((lo, hi)) = bar.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                let ink = palette::BLACK.stroke_width(2);
                chart.draw_series([
                    PathElement::new(vec![(lo, y), (hi, y)], ink),
                    PathElement::new(vec![(lo, y - 0.15), (lo, y + 0.15)], ink),
                    PathElement::new(vec![(hi, y - 0.15), (hi, y + 0.15)], ink),
                ])?;
            }
            if bar.dot.is_finite() {
                chart.draw_series(std::iter::once(Circle::new(
                    (bar.dot, y),
                    8,
                    palette::VERMILLION.filled(),
                )))?;
            }
        }
        if bars.is_empty() {
            area.draw(&Text::new(
                "no runs to estimate from",
                (40, 40),
                bold(size::PANEL),
            ))?;
        }
        Ok(())
    }
}

//! The fan chart of a sweep's global metric: the median over runs month by month, inside the bands
//! that hold the middle 50 % and 90 % of runs. A narrow fan says the result holds across the swept
//! inputs and seeds; a wide one says it hinges on them.

use super::axes::{Axes, draw_line, fmt_num, linear_range, time_panel};
use super::figure::Figure;
use super::legend::{LegendItem, Swatch, legend};
use super::style::{palette, size};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A metric's quantiles over runs, month by month.
#[derive(Clone, Debug, PartialEq)]
pub struct Fan {
    pub title: String,
    pub subtitle: String,
    pub y_desc: String,
    /// Month numbers (`year * 12 + month - 1`), as on every time axis.
    pub months: Vec<f64>,
    pub q05: Vec<f64>,
    pub q25: Vec<f64>,
    pub median: Vec<f64>,
    pub q75: Vec<f64>,
    pub q95: Vec<f64>,
}

/// The bands' colours: the palette's blue blended with white, opaque so that PNG and SVG agree.
const BAND_90: RGBColor = RGBColor(204, 227, 240);
const BAND_50: RGBColor = RGBColor(128, 185, 216);

impl Figure for Fan {
    fn size(&self) -> (u32, u32) {
        (size::WIDTH, 720)
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
        let band = |label: &str, color| LegendItem::swatch(label, color, Swatch::Block);
        let area = legend(
            body,
            &[
                LegendItem::line("Median run", palette::BLUE),
                band("Middle 50 % of runs", BAND_50),
                band("Middle 90 % of runs", BAND_90),
            ],
        )?;
        let first = self.months.first().copied().unwrap_or(0.0);
        let last = self.months.last().copied().unwrap_or(first);
        let range = linear_range(self.q05.iter().chain(&self.q95).copied(), 0.0);
        let mut chart = time_panel(
            &area,
            first..last,
            range,
            &Axes {
                y_desc: &self.y_desc,
                x_desc: true,
                y_labels: 6,
                y_fmt: &|v| fmt_num(v),
            },
        )?;
        for (lo, hi, color) in [
            (&self.q05, &self.q95, BAND_90),
            (&self.q25, &self.q75, BAND_50),
        ] {
            for run in band_runs(&self.months, lo, hi) {
                chart.draw_series(std::iter::once(Polygon::new(run, color.filled())))?;
            }
        }
        let median: Vec<(f64, f64)> = self
            .months
            .iter()
            .copied()
            .zip(self.median.iter().copied())
            .collect();
        draw_line(&mut chart, &median, palette::BLUE, false)?;
        Ok(())
    }
}

/// The band between `lo` and `hi` as closed outlines, one per stretch of months where both are known.
fn band_runs(months: &[f64], lo: &[f64], hi: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut cur: Vec<(f64, f64, f64)> = Vec::new();
    let flush = |cur: &mut Vec<(f64, f64, f64)>, runs: &mut Vec<Vec<(f64, f64)>>| {
        if cur.len() > 1 {
            let mut outline: Vec<(f64, f64)> = cur.iter().map(|&(m, l, _)| (m, l)).collect();
            outline.extend(cur.iter().rev().map(|&(m, _, h)| (m, h)));
            runs.push(outline);
        }
        cur.clear();
    };
    for ((&m, &l), &h) in months.iter().zip(lo).zip(hi) {
        if l.is_finite() && h.is_finite() {
            cur.push((m, l, h));
        } else {
            flush(&mut cur, &mut runs);
        }
    }
    flush(&mut cur, &mut runs);
    runs
}

#[cfg(test)]
mod tests {
    use super::band_runs;

    #[test]
    fn bands_break_where_a_quantile_is_missing() {
        let months = [0.0, 1.0, 2.0, 3.0, 4.0];
        let lo = [0.0, 1.0, f64::NAN, 1.0, 2.0];
        let hi = [1.0, 2.0, 3.0, 2.0, 3.0];
        let runs = band_runs(&months, &lo, &hi);
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[0],
            vec![(0.0, 0.0), (1.0, 1.0), (1.0, 2.0), (0.0, 1.0)]
        );
    }
}

//! Axes and panels: a panel's caption, time axes with ticks on round months, value ranges, tick labels,
//! and the lines drawn on a time panel.

use super::style::{LineStyle, bold, palette, size, text};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Draws a bold panel caption at the top left of `area`; returns the area below it.
pub(crate) fn panel_caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    area.draw(&Text::new(
        caption.to_string(),
        (24, 8),
        bold(size::PANEL).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    let (_, rest) = area.split_vertically(40);
    Ok(rest)
}

/// A linear f64 axis whose ticks are given, not chosen by plotters: round months on time axes, one tick
/// per row on the heatmap and the event lane. (plotters' own `WithKeyPoints` over f64 cannot format its
/// labels.)
#[derive(Clone)]
pub struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    pub(crate) fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Ticked {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // No light grid lines: the bold ones at the given ticks are all the grid a reader needs.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// Months as numbers on the x axis: `year * 12 + month - 1`, so runs that start in different months
/// still line up in a comparison.
pub type TimeAxis = Ticked;

/// A time axis over `[first, last]` (month numbers) with ticks on round months: every January on long
/// runs, every quarter or half-year on short ones.
pub(crate) fn time_axis(first: f64, last: f64) -> TimeAxis {
    let span = (last - first).max(1.0);
    let step = match span as i64 {
        0..=14 => 1,
        15..=30 => 3,
        31..=54 => 6,
        55..=180 => 12,
        _ => 24,
    };
    let mut ticks = Vec::new();
    let mut m = first.ceil() as i64;
    while m as f64 <= last {
        if m.rem_euclid(step) == 0 {
            ticks.push(m as f64);
        }
        m += 1;
    }
    let end = if last > first { last } else { first + 1.0 };
    Ticked::new(first..end, ticks)
}

/// The tick label of a month number: the year alone at January on long runs, else `YYYY-MM`.
pub(crate) fn month_label(m: f64, span: f64) -> String {
    let m = m.round() as i64;
    let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
    if span > 54.0 && mo == 1 {
        format!("{y}")
    } else {
        format!("{y}-{mo:02}")
    }
}

pub use crate::numbers::{fmt_count, fmt_num, thousands};

/// A linear value range that holds `values` with a little headroom, always including `floor`.
pub(crate) fn linear_range(values: impl IntoIterator<Item = f64>, floor: f64) -> Range<f64> {
    let (mut lo, mut hi) = (floor, floor);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let pad = (hi - lo).max(1e-9) * 0.08;
    let lo = if lo < floor { lo - pad } else { lo };
    let hi = if hi - lo < 1e-9 { lo + 1.0 } else { hi + pad };
    lo..hi
}

/// A log10 range covering the positive `values` on whole decades.
pub(crate) fn log_range(values: impl IntoIterator<Item = f64>) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return 1.0..10.0;
    }
    let lo = 10f64.powf(lo.log10().floor());
    let mut hi = 10f64.powf(hi.log10().ceil());
    if hi <= lo {
        hi = lo * 10.0;
    }
    // A hair below the lowest decade, so that rounding in plotters' log ticks (10^−2 computed as
    // 0.010000000000000002) cannot drop that decade's tick and label.
    lo * (1.0 - 1e-9)..hi
}

/// Splits a series into runs of drawable points: gaps where the value is missing (or not positive,
/// on a log axis, where zero cannot be drawn).
pub(crate) fn segments(points: &[(f64, f64)], log: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for &(x, y) in points {
        let ok = y.is_finite() && (!log || y > 0.0);
        if ok {
            out.last_mut().expect("one segment at least").push((x, y));
        } else if !out.last().expect("one segment at least").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Options of a time panel's axes.
pub(crate) struct Axes<'s> {
    pub y_desc: &'s str,
    /// Whether the panel carries the x axis title (only the bottom panel of a stack does).
    pub x_desc: bool,
    pub y_labels: usize,
    pub y_fmt: &'s dyn Fn(f64) -> String,
}

pub(crate) const X_DESC: &str = "Month";

/// A chart on `area` with a time x axis over `months` and the y axis `y`, its grid and axes drawn.
pub(crate) fn time_panel<'a, DB, Y>(
    area: &'a DrawingArea<DB, Shift>,
    months: Range<f64>,
    y: Y,
    axes: &Axes<'_>,
) -> Result<ChartContext<'a, DB, Cartesian2d<TimeAxis, Y::CoordDescType>>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let span = months.end - months.start;
    let mut chart = ChartBuilder::on(area)
        .margin_left(16)
        .margin_right(40)
        .margin_top(6)
        .x_label_area_size(if axes.x_desc { 64 } else { 40 })
        .y_label_area_size(132)
        .build_cartesian_2d(time_axis(months.start, months.end), y)?;
    let x_fmt = |m: &f64| month_label(*m, span);
    // A tick computed as the difference of two larger numbers can land a rounding error off zero
    // (−2e-16): read as zero anything that small beside the axis's range.
    let y_range = chart.as_coord_spec().get_y_range();
    let zero_below = 1e-9 * y_range.start.abs().max(y_range.end.abs());
    let y_fmt = move |v: &f64| {
        if v.abs() < zero_below {
            (axes.y_fmt)(0.0)
        } else {
            (axes.y_fmt)(*v)
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(axes.y_desc)
        .axis_desc_style(text(size::AXIS))
        .label_style(text(size::TICK))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_labels(axes.y_labels)
        .light_line_style(TRANSPARENT)
        .bold_line_style(palette::GRID)
        .axis_style(palette::MUTED);
    if axes.x_desc {
        mesh.x_desc(X_DESC);
    }
    mesh.draw()?;
    Ok(chart)
}

/// Draws `points` as a line of `style` (a colour, or a colour and dash; with gaps where values are
/// missing), labelled for no legend: the charts draw their legends themselves.
pub(crate) fn draw_line<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<TimeAxis, Y>>,
    points: &[(f64, f64)],
    style: impl Into<LineStyle>,
    log: bool,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let LineStyle { color, dash } = style.into();
    for seg in segments(points, log) {
        if seg.len() == 1 {
            chart.draw_series(std::iter::once(Circle::new(seg[0], 4, color.filled())))?;
        } else if let Some((on, off)) = dash.pattern() {
            chart.draw_series(DashedLineSeries::new(
                seg,
                on,
                off,
                color.stroke_width(size::LINE),
            ))?;
        } else {
            chart.draw_series(LineSeries::new(seg, color.stroke_width(size::LINE)))?;
        }
    }
    Ok(())
}

/// Draws a horizontal reference line at `y` across the panel.
pub(crate) fn draw_hline<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<TimeAxis, Y>>,
    y: f64,
    color: RGBColor,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let xr = chart.x_range();
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(xr.start, y), (xr.end, y)],
        color.stroke_width(2),
    )))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log axis spans whole decades and holds the lowest one's tick, whatever rounding does to
    /// 10^k: the per-capita chart's 0.01 line had no label.
    #[test]
    fn a_log_range_holds_its_lowest_decade() {
        use plotters::coord::combinators::{IntoLogRange, LogCoord};
        use plotters::coord::ranged1d::Ranged;
        for (lo, decade) in [
            (0.011f64, 0.01f64),
            (0.5, 0.1),
            (3.0, 1.0),
            (0.0002, 0.0001),
        ] {
            let r = log_range([lo, 5000.0]);
            assert!(r.start > decade * 0.99, "{r:?} starts at its decade");
            assert_eq!(r.end, 10_000.0);
            // The ticks plotters draws on that axis include the lowest decade.
            let axis: LogCoord<f64> = r.clone().log_scale().into();
            let ticks = axis.key_points(20);
            assert!(
                ticks.iter().any(|t| (t / decade - 1.0).abs() < 1e-9),
                "{r:?}: ticks {ticks:?} lack {decade}"
            );
        }
    }

    #[test]
    fn month_labels_and_ticks() {
        let jan_2026 = (2026 * 12) as f64;
        assert_eq!(month_label(jan_2026, 120.0), "2026");
        assert_eq!(month_label(jan_2026 + 6.0, 120.0), "2026-07");
        assert_eq!(month_label(jan_2026, 24.0), "2026-01");
        use plotters::coord::ranged1d::BoldPoints;
        let axis = time_axis(jan_2026 - 12.0, jan_2026 + 107.0);
        let ticks = axis.key_points(BoldPoints(100));
        assert_eq!(ticks.len(), 10, "one tick per January over ten years");
        assert!(ticks.iter().all(|t| (*t as i64).rem_euclid(12) == 0));
    }

    #[test]
    fn segments_break_at_gaps_and_at_zero_on_log_axes() {
        let pts = [
            (0.0, 1.0),
            (1.0, 0.0),
            (2.0, 2.0),
            (3.0, f64::NAN),
            (4.0, 3.0),
        ];
        assert_eq!(segments(&pts, false).len(), 2);
        assert_eq!(segments(&pts, true).len(), 3);
    }
}

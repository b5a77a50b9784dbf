//! Charts of a run, drawn with plotters as PNG and SVG: the palette, the embedded font, the drawing
//! helpers every chart shares, and writing the files. One file per chart family draws the charts
//! themselves; [`data`] reads what they show from a run's tables.
//!
//! Every chart is drawn by one function generic over the plotters backend, so the PNG beside the Parquet
//! files, the SVG beside it and the SVG inlined in `report.html` are the same picture.

mod access;
mod alignment;
mod capability;
mod chips;
pub mod compare;
mod counterfactual;
pub mod data;
mod economics;
pub mod fan;
mod per_capita;
mod stranded;
pub mod tornado;

pub use data::{BlocInfo, DEFAULT_FOCUS, RunData};

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Once;

use crate::resources::EventKind;

/// The font family every chart asks for. It is registered from the embedded Noto Sans under this very
/// name, and the SVG backend copies the name into `font-family`, so an SVG viewer without Noto Sans
/// still falls back to a sans-serif face rather than its default serif.
pub const FONT: &str = "Noto Sans, sans-serif";

/// Noto Sans Regular (SIL Open Font License), for `report.html` to embed.
pub const FONT_REGULAR_TTF: &[u8] = ttf_noto_sans::REGULAR;

/// Okabe–Ito: eight colours told apart by readers with every common form of colour blindness.
pub mod palette {
    use plotters::style::RGBColor;
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);
    /// The palette's neutral grey, for what belongs to no bloc.
    pub const GREY: RGBColor = RGBColor(153, 153, 153);
    /// Grid lines and frames: light enough not to compete with the data.
    pub const GRID: RGBColor = RGBColor(225, 225, 225);
    pub const TEXT: RGBColor = RGBColor(30, 30, 30);
    pub const MUTED: RGBColor = RGBColor(90, 90, 90);

    /// Series colours in order of use. Yellow comes last: it is hard to see on white.
    pub const SERIES: [RGBColor; 8] = [
        BLUE,
        VERMILLION,
        BLUISH_GREEN,
        ORANGE,
        REDDISH_PURPLE,
        SKY_BLUE,
        BLACK,
        YELLOW,
    ];

    /// The colour of the `i`-th series (blocs, nations, runs), cycling past eight.
    pub fn series(i: usize) -> RGBColor {
        SERIES[i % SERIES.len()]
    }

    /// The colour and dash of the `i`-th line among many (focus nations, runs): the eight colours
    /// solid, then dashed, then dotted, so that 24 lines never share a colour and a dash.
    pub fn line_style(i: usize) -> super::LineStyle {
        super::LineStyle {
            color: series(i),
            dash: super::Dash::ALL[(i / SERIES.len()) % super::Dash::ALL.len()],
        }
    }
}

/// A line's dash pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
}

impl Dash {
    pub const ALL: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];

    /// Dash and gap lengths in pixels (none for a solid line).
    pub fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((18, 9)),
            Dash::Dotted => Some((4, 7)),
        }
    }
}

/// How one line is drawn: its colour and dash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineStyle {
    pub color: RGBColor,
    pub dash: Dash,
}

impl From<RGBColor> for LineStyle {
    fn from(color: RGBColor) -> Self {
        LineStyle {
            color,
            dash: Dash::Solid,
        }
    }
}

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

/// Type sizes in pixels, chosen for a 1200-pixel-wide image read on a laptop screen or a projector.
pub(crate) mod size {
    pub const WIDTH: u32 = 1200;
    pub const TITLE: f64 = 34.0;
    pub const SUBTITLE: f64 = 22.0;
    pub const AXIS: f64 = 23.0;
    pub const TICK: f64 = 21.0;
    pub const LEGEND: f64 = 22.0;
    pub const PANEL: f64 = 23.0;
    pub const LINE: u32 = 3;
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
            Chart::Bifurcation => bifurcation_axis_labels(),
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
            Chart::Bifurcation => BIFURCATION_HOW_TO_READ.into(),
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
            Chart::Bifurcation => draw_bifurcation(data, &body),
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

/// A picture drawn the same way on any plotters backend, so its PNG and SVG agree: a run's charts, the
/// comparison charts, a sweep's tornado and fan charts.
pub trait Figure {
    /// Width and height in pixels (the SVG's user units).
    fn size(&self) -> (u32, u32);
    fn draw<DB>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

/// Writes `figure` into `dir` as `<stem>.png` and `<stem>.svg` (each atomically); returns both paths.
pub fn write_figure(dir: &Path, stem: &str, figure: &impl Figure) -> Result<Vec<PathBuf>> {
    register_fonts();
    let png = dir.join(format!("{stem}.png"));
    write_png_with(&png, figure.size(), |root| figure.draw(root))
        .with_context(|| format!("cannot draw {stem}"))?;
    let svg = dir.join(format!("{stem}.svg"));
    let text = figure_svg(figure).with_context(|| format!("cannot draw {stem}"))?;
    write_atomic(&svg, text.as_bytes())?;
    Ok(vec![png, svg])
}

/// `figure` as an SVG document.
pub fn figure_svg(figure: &impl Figure) -> Result<String> {
    register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, figure.size()).into_drawing_area();
        figure.draw(&root)?;
        root.present()?;
    }
    Ok(out)
}

/// Registers the embedded font once per process. Both under [`FONT`] and under plotters' generic
/// `sans-serif`, so that no text plotters draws with a default style can miss the font.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for name in [FONT, "sans-serif"] {
            plotters::style::register_font(name, FontStyle::Normal, ttf_noto_sans::REGULAR)
                .unwrap_or_else(|_| panic!("the embedded Noto Sans Regular is a valid font"));
            plotters::style::register_font(name, FontStyle::Bold, ttf_noto_sans::BOLD)
                .unwrap_or_else(|_| panic!("the embedded Noto Sans Bold is a valid font"));
        }
    });
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so readers never
/// see half a file ([`crate::fsutil::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::fsutil::write_atomic(path, bytes)
}

/// Draws into a PNG at `path` through a temporary `.png` file (the encoder picks the format from the
/// extension) renamed into place.
pub(crate) fn write_png_with(
    path: &Path,
    dims: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    let tmp = crate::fsutil::AtomicFile::new(path, ".png")?;
    {
        let root = BitMapBackend::new(tmp.temp_path(), dims).into_drawing_area();
        draw(&root)?;
        root.present()
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    tmp.commit()
}

// ---------------------------------------------------------------------------------------------------
// Text, header and legend.

pub(crate) fn text(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&palette::TEXT)
}

pub(crate) fn muted(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&palette::MUTED)
}

pub(crate) fn bold(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px, FontStyle::Bold).into_font()).color(&palette::TEXT)
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

/// Draws the title and a muted subtitle centred at the top; returns the area below them.
pub(crate) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = root.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 14),
        bold(size::TITLE).pos(centre),
    ))?;
    root.draw(&Text::new(
        subtitle.to_string(),
        (w as i32 / 2, 60),
        muted(size::SUBTITLE).pos(centre),
    ))?;
    let (_, body) = root.split_vertically(96);
    Ok(body)
}

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line,
    Dot,
    Triangle,
    Cross,
    /// A filled box: bars and bands.
    Block,
}

#[derive(Clone, Debug)]
pub(crate) struct LegendItem {
    pub label: String,
    pub color: RGBColor,
    pub swatch: Swatch,
    /// The dash of a `Line` swatch.
    pub dash: Dash,
}

impl LegendItem {
    /// An entry shown by a marker or a block of `color`.
    pub fn swatch(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> Self {
        LegendItem {
            label: label.into(),
            color,
            swatch,
            dash: Dash::Solid,
        }
    }

    pub fn line(label: impl Into<String>, style: impl Into<LineStyle>) -> Self {
        let style = style.into();
        LegendItem {
            label: label.into(),
            color: style.color,
            swatch: Swatch::Line,
            dash: style.dash,
        }
    }
}

/// Draws a legend as centred rows across the top of `area` (wrapping when it is too wide) and returns
/// the area below it. A legend outside the plot can never hide a line, wherever the data go.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    if items.is_empty() {
        return Ok(area.clone());
    }
    let style = text(size::LEGEND);
    let (w, _) = area.dim_in_pixel();
    let swatch_w = 34i32;
    let gap = 28i32;
    let widths: Vec<i32> = items
        .iter()
        .map(|it| {
            let (tw, _) = area
                .estimate_text_size(&it.label, &style)
                .unwrap_or((100, 20));
            swatch_w + 8 + tw as i32
        })
        .collect();
    let max_row = w as i32 - 40;
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut row_w = 0;
    for (i, wi) in widths.iter().enumerate() {
        let cur = rows.last_mut().expect("one row at least");
        if !cur.is_empty() && row_w + gap + wi > max_row {
            rows.push(vec![i]);
            row_w = *wi;
        } else {
            row_w += if cur.is_empty() { *wi } else { gap + wi };
            cur.push(i);
        }
    }
    let row_h = 32i32;
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|&i| widths[i]).sum::<i32>() + gap * (row.len() as i32 - 1);
        let mut x = (w as i32 - total) / 2;
        let y = 6 + r as i32 * row_h + row_h / 2;
        for &i in row {
            let it = &items[i];
            let c = it.color;
            match it.swatch {
                Swatch::Line => match it.dash.pattern() {
                    None => area.draw(&PathElement::new(
                        vec![(x, y), (x + swatch_w, y)],
                        c.stroke_width(4),
                    ))?,
                    Some((dash, gap)) => area.draw(&DashedPathElement::new(
                        vec![(x, y), (x + swatch_w, y)],
                        dash,
                        gap,
                        c.stroke_width(4),
                    ))?,
                },
                Swatch::Dot => area.draw(&Circle::new((x + swatch_w / 2, y), 8, c.filled()))?,
                Swatch::Triangle => {
                    area.draw(&TriangleMarker::new((x + swatch_w / 2, y), 10, c.filled()))?
                }
                Swatch::Cross => {
                    area.draw(&Cross::new((x + swatch_w / 2, y), 8, c.stroke_width(3)))?
                }
                Swatch::Block => area.draw(&Rectangle::new(
                    [(x, y - 9), (x + swatch_w, y + 9)],
                    c.filled(),
                ))?,
            }
            area.draw(&Text::new(
                it.label.clone(),
                (x + swatch_w + 8, y),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i] + gap;
        }
    }
    let (_, rest) = area.split_vertically(12 + rows.len() as i32 * row_h);
    Ok(rest)
}

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

// ---------------------------------------------------------------------------------------------------
// Time axes and panels.

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

/// A number as a student reads it on an axis: `0.25`, `1,500`, `2.5 M`, `1 bn`.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a == 0.0 {
        "0".into()
    } else if a >= 1e9 {
        format!("{sign}{} bn", trim(format!("{:.2}", a / 1e9)))
    } else if a >= 1e6 {
        format!("{sign}{} M", trim(format!("{:.2}", a / 1e6)))
    } else if a >= 100.0 {
        format!("{sign}{}", thousands(a.round() as u64))
    } else if a >= 1.0 {
        format!("{sign}{}", trim(format!("{a:.2}")))
    } else if a >= 0.001 {
        format!("{sign}{}", trim(format!("{a:.4}")))
    } else {
        format!("{sign}{a:.0e}")
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

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
    lo..hi
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
    let y_fmt = |v: &f64| (axes.y_fmt)(*v);
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

// ---------------------------------------------------------------------------------------------------
// The bifurcation chart: one panel, so it lives here.

fn bifurcation_axis_labels() -> Vec<String> {
    vec![X_DESC.into(), "Index or share (0 to 1)".into()]
}

const BIFURCATION_HOW_TO_READ: &str = "The blue line is the bifurcation index: how closed the blocs \
are in who buys compute from whom. At 0, nations buy compute from each other as if blocs did not matter; \
at 1, every bloc uses only its own chips and clouds. The orange line is the cross-bloc share: the part of \
the world's compute that one bloc's nations get from another bloc's suppliers. When the index climbs and \
the share falls, the world is splitting into separate AI ecosystems; policies that start or stop show up \
as bends in the lines.";

fn draw_bifurcation<DB>(data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let bif = data.global_series("bifurcation_index")?;
    let cross = data.global_series("cross_bloc_share")?;
    let area = legend(
        area,
        &[
            LegendItem::line("Bifurcation index", palette::BLUE),
            LegendItem::line("Cross-bloc share of compute", palette::ORANGE),
        ],
    )?;
    let lo = bif.iter().chain(&cross).map(|p| p.1).fold(0.0f64, f64::min);
    let mut chart = time_panel(
        &area,
        data.month_range(),
        lo..1.0,
        &Axes {
            y_desc: "Index or share (0 to 1)",
            x_desc: true,
            y_labels: 6,
            y_fmt: &|v| format!("{v:.1}"),
        },
    )?;
    draw_line(&mut chart, &bif, palette::BLUE, false)?;
    draw_line(&mut chart, &cross, palette::ORANGE, false)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_students_expect() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(1500.0), "1,500");
        assert_eq!(fmt_num(25_000.0), "25,000");
        assert_eq!(fmt_num(2_500_000.0), "2.5 M");
        assert_eq!(fmt_num(1e9), "1 bn");
        assert_eq!(fmt_num(-3.5), "-3.5");
        assert_eq!(fmt_num(0.00001), "1e-5");
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
    fn up_to_24_lines_never_share_a_colour_and_a_dash() {
        let styles: Vec<LineStyle> = (0..24).map(palette::line_style).collect();
        for (i, a) in styles.iter().enumerate() {
            assert!(palette::SERIES.contains(&a.color), "Okabe–Ito colours only");
            for b in &styles[..i] {
                assert_ne!(a, b, "line {i}");
            }
        }
        assert_eq!(palette::line_style(3).dash, Dash::Solid);
        assert_eq!(palette::line_style(8).dash, Dash::Dashed);
        assert_eq!(palette::line_style(8).color, palette::line_style(0).color);
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

//! Several runs on one set of axes (a scenario against the baseline, or seeds of one scenario): each
//! run's bifurcation index, compute share by bloc and capability gap, and the difference of each run
//! minus the first. Runs line up by calendar month, so runs with different starts still compare.

use super::RunData;
use super::axes::{
    Axes, X_DESC, draw_hline, draw_line, fmt_num, linear_range, panel_caption, time_panel,
};
use super::figure::header;
use super::figure::{Figure, figure_svg, write_figure};
use super::legend::{LegendItem, legend};
use super::style::{LineStyle, palette, size};
use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The comparison charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareChart {
    Bifurcation,
    ComputeShare,
    CapabilityGap,
    Difference,
}

impl CompareChart {
    pub const ALL: [CompareChart; 4] = [
        CompareChart::Bifurcation,
        CompareChart::ComputeShare,
        CompareChart::CapabilityGap,
        CompareChart::Difference,
    ];

    pub fn stem(self) -> &'static str {
        match self {
            CompareChart::Bifurcation => "compare_bifurcation",
            CompareChart::ComputeShare => "compare_compute_share",
            CompareChart::CapabilityGap => "compare_capability_gap",
            CompareChart::Difference => "compare_difference",
        }
    }

    pub fn title(self, runs: &[RunData]) -> String {
        match self {
            CompareChart::Bifurcation => "Bifurcation across runs".into(),
            CompareChart::ComputeShare => "Compute share by bloc across runs".into(),
            CompareChart::CapabilityGap => "Capability gap across runs".into(),
            CompareChart::Difference => format!(
                "Each run minus \u{201c}{}\u{201d}",
                runs[0].label_among(runs)
            ),
        }
    }

    pub fn size(self, runs: &[RunData]) -> (u32, u32) {
        let panels = self.panels(runs).len() as u32;
        (size::WIDTH, 96 + 12 + 32 * legend_rows(runs) + 330 * panels)
    }

    fn panels(self, runs: &[RunData]) -> Vec<Panel> {
        let base = &runs[0];
        let blocs = blocs_of(runs);
        let per_run = |column: &str, scale: f64| -> Vec<(LineStyle, Vec<(f64, f64)>)> {
            runs.iter()
                .enumerate()
                .map(|(i, r)| {
                    let pts = r
                        .global_series(column)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(x, y)| (x, y * scale))
                        .collect();
                    (palette::line_style(i), pts)
                })
                .collect()
        };
        // Each later run minus the first, on the months both have.
        let diff = |column: &str, scale: f64| -> Vec<(LineStyle, Vec<(f64, f64)>)> {
            let first: BTreeMap<i64, f64> = base
                .global_series(column)
                .unwrap_or_default()
                .into_iter()
                .map(|(x, y)| (x as i64, y))
                .collect();
            runs.iter()
                .enumerate()
                .skip(1)
                .map(|(i, r)| {
                    let pts = r
                        .global_series(column)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|(x, y)| first.get(&(x as i64)).map(|b| (x, (y - b) * scale)))
                        .collect();
                    (palette::line_style(i), pts)
                })
                .collect()
        };
        match self {
            CompareChart::Bifurcation => vec![
                Panel::new(
                    "Bifurcation index",
                    "Index (0 to 1)",
                    per_run("bifurcation_index", 1.0),
                ),
                Panel::new(
                    "Cross-bloc share of compute",
                    "Share (0 to 1)",
                    per_run("cross_bloc_share", 1.0),
                ),
            ],
            CompareChart::ComputeShare => blocs
                .iter()
                .map(|(id, name)| {
                    Panel::new(
                        &format!("Share of world compute used on the {name}'s side"),
                        "Share (%)",
                        per_run(&format!("compute_share_{id}"), 100.0),
                    )
                })
                .collect(),
            CompareChart::CapabilityGap => vec![
                Panel::new(
                    "Capability gap, orders of magnitude of training compute",
                    "Gap (OOM)",
                    per_run("capability_gap_oom", 1.0),
                )
                .zero(),
                Panel::new(
                    "Capability gap in months",
                    "Lag (months)",
                    per_run("capability_lag_months", 1.0),
                )
                .zero(),
            ],
            CompareChart::Difference => {
                let mut p = vec![
                    Panel::new(
                        "Difference in bifurcation index",
                        "\u{0394} index",
                        diff("bifurcation_index", 1.0),
                    )
                    .zero(),
                    Panel::new(
                        "Difference in capability gap",
                        "\u{0394} gap (OOM)",
                        diff("capability_gap_oom", 1.0),
                    )
                    .zero(),
                ];
                for (id, name) in &blocs {
                    p.push(
                        Panel::new(
                            &format!("Difference in the {name}'s compute share"),
                            "\u{0394} share (points)",
                            diff(&format!("compute_share_{id}"), 100.0),
                        )
                        .zero(),
                    );
                }
                p
            }
        }
    }

    /// The y axis titles of the panels.
    pub fn axis_labels(self, runs: &[RunData]) -> Vec<String> {
        let mut out = vec![X_DESC.to_string()];
        out.extend(self.panels(runs).into_iter().map(|p| p.y_desc));
        out
    }

    fn draw<DB>(self, runs: &[RunData], root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let labels: Vec<String> = runs.iter().map(|r| r.label_among(runs)).collect();
        let area = header(
            root,
            &self.title(runs),
            &format!("Runs: {}", labels.join(", ")),
        )?;
        let items: Vec<LegendItem> = labels
            .iter()
            .enumerate()
            .filter(|(i, _)| self != CompareChart::Difference || *i > 0)
            .map(|(i, l)| LegendItem::line(l.clone(), palette::line_style(i)))
            .collect();
        let area = legend(&area, &items)?;
        let panels = self.panels(runs);
        let months = month_range(runs);
        let n = panels.len();
        let areas = area.split_evenly((n, 1));
        for (i, (panel, area)) in panels.iter().zip(&areas).enumerate() {
            let area = panel_caption(area, &panel.caption)?;
            let values = panel.series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1));
            let range = if panel.zero {
                symmetric(linear_range(values, 0.0))
            } else {
                linear_range(values, 0.0)
            };
            let mut chart = time_panel(
                &area,
                months.clone(),
                range,
                &Axes {
                    y_desc: &panel.y_desc,
                    x_desc: i + 1 == n,
                    y_labels: 6,
                    y_fmt: &fmt_num,
                },
            )?;
            if panel.zero {
                draw_hline(&mut chart, 0.0, palette::MUTED)?;
            }
            for (style, pts) in &panel.series {
                draw_line(&mut chart, pts, *style, false)?;
            }
        }
        Ok(())
    }

    pub fn svg(self, runs: &[RunData]) -> Result<String> {
        figure_svg(&Comparison(self, runs)).with_context(|| format!("cannot draw {}", self.stem()))
    }
}

/// One comparison chart with its runs, as a [`super::Figure`].
struct Comparison<'a>(CompareChart, &'a [RunData]);

impl Figure for Comparison<'_> {
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

/// One panel: a caption, a y axis title and one line per run.
struct Panel {
    caption: String,
    y_desc: String,
    series: Vec<(LineStyle, Vec<(f64, f64)>)>,
    zero: bool,
}

impl Panel {
    fn new(caption: &str, y_desc: &str, series: Vec<(LineStyle, Vec<(f64, f64)>)>) -> Self {
        Panel {
            caption: caption.into(),
            y_desc: y_desc.into(),
            series,
            zero: false,
        }
    }
    /// Marks zero with a line: on a difference, above and below zero mean opposite things.
    fn zero(mut self) -> Self {
        self.zero = true;
        self
    }
}

/// A range that keeps zero inside with room on both sides, so a flat zero line is not the frame.
fn symmetric(r: Range<f64>) -> Range<f64> {
    let pad = (r.end - r.start).max(1e-3) * 0.05;
    (r.start.min(-pad))..(r.end.max(pad))
}

/// The blocs of all runs, first run's first, by id.
fn blocs_of(runs: &[RunData]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in runs {
        for b in &r.blocs {
            if !out.iter().any(|(id, _)| *id == b.id) {
                out.push((b.id.clone(), b.name.clone()));
            }
        }
    }
    out
}

fn month_range(runs: &[RunData]) -> Range<f64> {
    let lo = runs
        .iter()
        .map(|r| r.month_range().start)
        .fold(f64::INFINITY, f64::min);
    let hi = runs
        .iter()
        .map(|r| r.month_range().end)
        .fold(f64::NEG_INFINITY, f64::max);
    lo..hi
}

/// Rows the legend takes, estimated from the label lengths (the size must be known before drawing).
fn legend_rows(runs: &[RunData]) -> u32 {
    let chars: usize = runs.iter().map(|r| r.label_among(runs).len() + 6).sum();
    (chars as u32 * 11 / (size::WIDTH - 80)) + 1
}

/// Draws every comparison chart of `runs` into `dir` (created if missing) as PNG and SVG.
pub fn write_compare(dir: &Path, runs: &[RunData]) -> Result<Vec<PathBuf>> {
    if runs.len() < 2 {
        bail!("a comparison needs at least two runs, got {}", runs.len());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for chart in CompareChart::ALL {
        written.extend(write_figure(dir, chart.stem(), &Comparison(chart, runs))?);
    }
    Ok(written)
}

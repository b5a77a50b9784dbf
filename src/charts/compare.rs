//! Several runs on one set of axes (a scenario against the baseline, or seeds of one scenario): each
//! run's bifurcation index, compute share by bloc and capability gap, and the difference of each run
//! minus the first. Runs line up by calendar month, so runs with different starts still compare.
//!
//! Every comparison chart is a stack of panels with one line per run, drawn by the same code, so a chart
//! is declared by data: one entry of [`CompareChart::ALL`] with its file name, title and panels.

use super::axes::{
    Axes, X_DESC, draw_hline, draw_line, fmt_num, linear_range, panel_caption, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::{LineStyle, palette, size};
use super::{ChartData, ChartSpec, RunData};
use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A comparison chart, as one entry of [`CompareChart::ALL`] declares it.
#[derive(Clone, Copy)]
pub struct CompareChart {
    stem: &'static str,
    title: fn(&[RunData]) -> String,
    panels: fn(&[RunData]) -> Vec<Panel>,
    /// Whether the first run has a line of its own (a difference from it has none).
    first_run: bool,
}

impl CompareChart {
    /// The comparison charts, in the order they are written.
    pub const ALL: [CompareChart; 4] = [
        CompareChart {
            stem: "compare_bifurcation",
            title: |_| "Bifurcation across runs".into(),
            panels: |runs| {
                vec![
                    Panel::new(
                        "Bifurcation index",
                        "Index (0 to 1)",
                        per_run(runs, "bifurcation_index", 1.0),
                    ),
                    Panel::new(
                        "Cross-bloc share of compute",
                        "Share (0 to 1)",
                        per_run(runs, "cross_bloc_share", 1.0),
                    ),
                ]
            },
            first_run: true,
        },
        CompareChart {
            stem: "compare_compute_share",
            title: |_| "Compute share by bloc across runs".into(),
            panels: |runs| {
                blocs_of(runs)
                    .iter()
                    .map(|(id, name)| {
                        Panel::new(
                            &format!("Share of world compute used on the {name}'s side"),
                            "Share (%)",
                            per_run(runs, &format!("compute_share_{id}"), 100.0),
                        )
                    })
                    .collect()
            },
            first_run: true,
        },
        CompareChart {
            stem: "compare_capability_gap",
            title: |_| "Capability gap across runs".into(),
            panels: |runs| {
                vec![
                    Panel::new(
                        "Capability gap, orders of magnitude of training compute",
                        "Gap (OOM)",
                        per_run(runs, "capability_gap_oom", 1.0),
                    )
                    .zero(),
                    Panel::new(
                        "Capability gap in months",
                        "Lag (months)",
                        per_run(runs, "capability_lag_months", 1.0),
                    )
                    .zero(),
                ]
            },
            first_run: true,
        },
        CompareChart {
            stem: "compare_difference",
            title: |runs| {
                format!(
                    "Each run minus \u{201c}{}\u{201d}",
                    runs[0].label_among(runs)
                )
            },
            panels: |runs| {
                let mut p = vec![
                    Panel::new(
                        "Difference in bifurcation index",
                        "\u{0394} index",
                        difference(runs, "bifurcation_index", 1.0),
                    )
                    .zero(),
                    Panel::new(
                        "Difference in capability gap",
                        "\u{0394} gap (OOM)",
                        difference(runs, "capability_gap_oom", 1.0),
                    )
                    .zero(),
                ];
                for (id, name) in &blocs_of(runs) {
                    p.push(
                        Panel::new(
                            &format!("Difference in the {name}'s compute share"),
                            "\u{0394} share (points)",
                            difference(runs, &format!("compute_share_{id}"), 100.0),
                        )
                        .zero(),
                    );
                }
                p
            },
            first_run: false,
        },
    ];
}

impl ChartData for [RunData] {
    fn subtitle(&self) -> String {
        let labels: Vec<String> = self.iter().map(|r| r.label_among(self)).collect();
        format!("Runs: {}", labels.join(", "))
    }
}

impl ChartSpec for CompareChart {
    type Data = [RunData];

    fn stem(&self) -> &'static str {
        self.stem
    }

    fn title(&self, runs: &[RunData]) -> String {
        (self.title)(runs)
    }

    /// The x axis title and the y axis titles of the panels.
    fn axis_labels(&self, runs: &[RunData]) -> Vec<String> {
        let mut out = vec![X_DESC.to_string()];
        out.extend((self.panels)(runs).into_iter().map(|p| p.y_desc));
        out
    }

    fn height(&self, runs: &[RunData]) -> u32 {
        let panels = (self.panels)(runs).len() as u32;
        96 + 12 + 32 * legend_rows(runs) + 330 * panels
    }

    fn draw<DB>(&self, runs: &[RunData], area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let items: Vec<LegendItem> = runs
            .iter()
            .enumerate()
            .filter(|(i, _)| self.first_run || *i > 0)
            .map(|(i, r)| LegendItem::line(r.label_among(runs), palette::line_style(i)))
            .collect();
        let area = legend(area, &items)?;
        let panels = (self.panels)(runs);
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
}

/// One line per run: its colour and dash, and its points.
type Series = Vec<(LineStyle, Vec<(f64, f64)>)>;

/// Each run's `column` times `scale`.
fn per_run(runs: &[RunData], column: &str, scale: f64) -> Series {
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
}

/// Each later run's `column` minus the first run's, times `scale`, on the months both have.
fn difference(runs: &[RunData], column: &str, scale: f64) -> Series {
    let first: BTreeMap<i64, f64> = runs[0]
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
}

/// One panel: a caption, a y axis title and one line per run.
struct Panel {
    caption: String,
    y_desc: String,
    series: Series,
    zero: bool,
}

impl Panel {
    fn new(caption: &str, y_desc: &str, series: Series) -> Self {
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
        written.extend(chart.write(dir, runs)?);
    }
    Ok(written)
}

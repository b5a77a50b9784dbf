//! Compute per capita of the focus nations, per 1000 people, on a log scale: the nations a scenario
//! singles out differ by orders of magnitude.

use super::axes::{Axes, X_DESC, draw_line, fmt_num, log_range, time_panel};
use super::legend::{LegendItem, legend};
use super::style::{bold, palette, size, text};
use super::{ChartSpec, RunChartSpec, RunData};
use crate::run_data::Points;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const Y_DESC: &str = "H100e per 1000 people (log scale)";

pub(super) struct ComputePerCapita;

impl ChartSpec for ComputePerCapita {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "compute_per_capita"
    }

    fn title(&self, _: &RunData) -> String {
        "AI compute per person in the focus nations".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![X_DESC.into(), Y_DESC.into()]
    }

    fn height(&self, _: &RunData) -> u32 {
        760
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let series = focus_series(data)?;
        let items: Vec<LegendItem> = series
            .iter()
            .enumerate()
            .map(|(i, (id, _))| LegendItem::line(data.nation_label(id), palette::line_style(i)))
            .collect();
        let area = legend(area, &items)?;
        let range = log_range(series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1)));
        // Room on the right for the nation codes at the ends of the lines.
        let (plot_area, _) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 70);
        let mut chart = time_panel(
            &plot_area,
            data.month_range(),
            range.log_scale(),
            &Axes {
                y_desc: Y_DESC,
                x_desc: true,
                y_labels: 10,
                y_fmt: &fmt_num,
            },
        )?;
        if series.is_empty() {
            let (w, h) = plot_area.dim_in_pixel();
            plot_area.draw(&Text::new(
                format!(
                    "None of the focus nations ({}) is in this run",
                    data.focus.join(", ")
                ),
                (w as i32 / 2, h as i32 / 2),
                text(size::AXIS).pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
            return Ok(());
        }
        let mut ends = Vec::new();
        for (i, (id, pts)) in series.iter().enumerate() {
            // Past eight nations the colours repeat, dashed and then dotted, and the labels at the line
            // ends tell the lines apart.
            draw_line(&mut chart, pts, palette::line_style(i), true)?;
            if let Some(&last) = pts.iter().rev().find(|p| p.1.is_finite() && p.1 > 0.0) {
                let (px, py) = chart.backend_coord(&last);
                ends.push((py, px, id.clone(), palette::series(i)));
            }
        }
        // Direct labels at the line ends, pushed apart so that close lines do not print over each other.
        ends.sort_by_key(|e| e.0);
        let min_gap = 24;
        for i in 1..ends.len() {
            if ends[i].0 - ends[i - 1].0 < min_gap {
                ends[i].0 = ends[i - 1].0 + min_gap;
            }
        }
        let base = area.get_base_pixel();
        for (py, px, id, color) in ends {
            area.draw(&Text::new(
                id,
                (px - base.0 + 10, py - base.1),
                bold(size::LEGEND)
                    .color(&color)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}

impl RunChartSpec for ComputePerCapita {
    fn how_to_read(&self, data: &RunData) -> String {
        format!(
            "Each line is one focus nation ({}): the AI compute its people and labs use each month, in \
             H100-equivalents per 1000 inhabitants. The scale is logarithmic: each grid line is ten \
             times the one below, so two nations one grid line apart differ tenfold. Look for lines \
             that drop when a cloud the nation relies on is banned, or flatten when chips stop \
             arriving. A line that starts late or breaks off means the nation used no compute at all \
             in those months, which a logarithmic scale cannot show.",
            data.focus.join(", ")
        )
    }
}

/// The focus nations found in the run, with their series per 1000 people.
pub fn focus_series(data: &RunData) -> Result<Vec<(String, Points)>> {
    let mut all = data.nation_series("compute_per_capita")?;
    Ok(data
        .focus
        .iter()
        .filter_map(|f| {
            all.remove(f).map(|pts| {
                (
                    f.clone(),
                    pts.iter().map(|&(x, y)| (x, y * 1000.0)).collect(),
                )
            })
        })
        .collect())
}

//! Compute access by bloc over time: each bloc's share of the world's compute in use, and the H100e
//! behind those shares.

use super::axes::{
    Axes, X_DESC, draw_line, fmt_num, log_range, panel_caption, segments, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::{LineStyle, palette};
use super::{ChartSpec, RunChartSpec, RunData};
use crate::run_data::Points;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

const Y_SHARE: &str = "Share of world compute (%)";
const Y_VOLUME: &str = "Compute in use (H100e, log scale)";

pub(super) struct ComputeAccess;

impl ChartSpec for ComputeAccess {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "compute_access"
    }

    fn title(&self, _: &RunData) -> String {
        "Who uses the world's AI compute".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![X_DESC.into(), Y_SHARE.into(), Y_VOLUME.into()]
    }

    fn height(&self, _: &RunData) -> u32 {
        940
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let shares = series(data)?;
        let total = data.global_series("compute_h100e")?;
        let mut items: Vec<LegendItem> = shares
            .iter()
            .map(|(n, c, _)| LegendItem::line(n.clone(), *c))
            .collect();
        items.push(LegendItem::line(
            "World total",
            LineStyle::dashed(palette::BLACK),
        ));
        let area = legend(area, &items)?;
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 / 2);

        let top = panel_caption(&top, "Share of the world's compute in use")?;
        let mut chart = time_panel(
            &top,
            data.month_range(),
            0.0..100.0,
            &Axes {
                y_desc: Y_SHARE,
                x_desc: false,
                y_labels: 6,
                y_fmt: &|v| format!("{v:.0}"),
            },
        )?;
        for (_, color, pts) in &shares {
            let pct: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x, 100.0 * y)).collect();
            draw_line(&mut chart, &pct, *color, false)?;
        }

        let bottom = panel_caption(&bottom, "Compute in use, H100-equivalents")?;
        let volumes: Vec<(RGBColor, Vec<(f64, f64)>)> = shares
            .iter()
            .map(|(_, c, pts)| {
                let v = pts
                    .iter()
                    .zip(&total)
                    .map(|(&(x, s), &(_, t))| (x, s * t))
                    .collect();
                (*c, v)
            })
            .collect();
        let range = log_range(
            volumes
                .iter()
                .flat_map(|(_, v)| v.iter().map(|p| p.1))
                .chain(total.iter().map(|p| p.1)),
        );
        let mut chart = time_panel(
            &bottom,
            data.month_range(),
            range.log_scale(),
            &Axes {
                y_desc: Y_VOLUME,
                x_desc: true,
                y_labels: 8,
                y_fmt: &fmt_num,
            },
        )?;
        for (color, v) in &volumes {
            draw_line(&mut chart, v, *color, true)?;
        }
        // Dashed and on top: the total runs close to the largest bloc and would hide under it.
        for seg in segments(&total, true) {
            chart.draw_series(DashedLineSeries::new(
                seg,
                10,
                8,
                palette::BLACK.stroke_width(2),
            ))?;
        }
        Ok(())
    }
}

impl RunChartSpec for ComputeAccess {
    fn how_to_read(&self, data: &RunData) -> String {
        let names: Vec<&str> = data.blocs.iter().map(|b| b.name.as_str()).collect();
        // The non-aligned line is drawn only when some nation is non-aligned.
        let non_aligned = series(data)
            .map(|s| s.iter().any(|(n, _, _)| n == NON_ALIGNED))
            .unwrap_or(false);
        format!(
            "The top panel splits all AI compute in use each month between the nations on each bloc's \
             side ({}){}; the lines add up to 100 %. A falling line means \
             that bloc's nations get a smaller slice of a growing pie, even when they have more chips \
             than before. The bottom panel shows the amounts behind the slices in H100-equivalents \
             (H100e: the computing power of one Nvidia H100). Its scale is logarithmic: each grid line \
             is ten times the one below, so a straight rising line means steady exponential growth, \
             and the vertical distance between two lines is a ratio, not a difference.",
            names.join(", "),
            if non_aligned {
                ", and the non-aligned nations"
            } else {
                ""
            }
        )
    }
}

/// Bloc colours: blocs in palette order, the non-aligned in grey, the world in black.
/// The non-aligned nations' line and legend entry.
const NON_ALIGNED: &str = "Non-aligned nations";

fn series(data: &RunData) -> Result<Vec<(String, RGBColor, Points)>> {
    let mut out = Vec::new();
    for (i, b) in data.blocs.iter().enumerate() {
        let pts = data.global_series(&format!("compute_share_{}", b.id))?;
        out.push((b.name.clone(), palette::series(i), pts));
    }
    if let Ok(pts) = data.global_series("compute_share_non_aligned")
        && pts.iter().any(|p| p.1 > 0.0)
    {
        out.push((NON_ALIGNED.into(), palette::GREY, pts));
    }
    Ok(out)
}

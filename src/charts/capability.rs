//! The capability gap between the first two blocs' frontiers, in orders of magnitude of effective
//! training compute and in months of progress.

use super::axes::{
    Axes, X_DESC, draw_hline, draw_line, fmt_num, linear_range, panel_caption, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::palette;
use super::{ChartSpec, RunChartSpec, RunData};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

const Y_OOM: &str = "Gap (orders of magnitude)";
const Y_MONTHS: &str = "Lag (months)";

pub(super) struct CapabilityGap;

impl ChartSpec for CapabilityGap {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "capability_gap"
    }

    fn title(&self, data: &RunData) -> String {
        format!(
            "How far the {} trails the {} at the frontier",
            data.blocs[1].name, data.blocs[0].name
        )
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![X_DESC.into(), Y_OOM.into(), Y_MONTHS.into()]
    }

    fn height(&self, _: &RunData) -> u32 {
        900
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let oom = data.global_series("capability_gap_oom")?;
        let lag = data.global_series("capability_lag_months")?;
        // A zero line only matters when the trailing side overtakes; otherwise zero is the frame.
        let crosses = oom.iter().chain(&lag).any(|p| p.1 < 0.0);
        let mut items = vec![
            LegendItem::line("Gap in orders of magnitude", palette::BLUE),
            LegendItem::line("Lag in months", palette::VERMILLION),
        ];
        if crosses {
            items.push(LegendItem::line("Zero: no gap", palette::MUTED));
        }
        let area = legend(area, &items)?;
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 / 2);
        let panels = [
            (
                top,
                format!(
                    "Gap in orders of magnitude of training compute (the {} minus the {})",
                    data.blocs[0].name, data.blocs[1].name
                ),
                Y_OOM,
                &oom,
                palette::BLUE,
                false,
            ),
            (
                bottom,
                format!(
                    "The same gap in months: how long ago the {} was where the {} is now",
                    data.blocs[0].name, data.blocs[1].name
                ),
                Y_MONTHS,
                &lag,
                palette::VERMILLION,
                true,
            ),
        ];
        for (area, caption, y_desc, pts, color, x_desc) in panels {
            let area = panel_caption(&area, &caption)?;
            let range = linear_range(pts.iter().map(|p| p.1), 0.0);
            let mut chart = time_panel(
                &area,
                data.month_range(),
                range,
                &Axes {
                    y_desc,
                    x_desc,
                    y_labels: 6,
                    y_fmt: &|v| fmt_num(v),
                },
            )?;
            if crosses {
                draw_hline(&mut chart, 0.0, palette::MUTED)?;
            }
            draw_line(&mut chart, pts, color, false)?;
        }
        Ok(())
    }
}

impl RunChartSpec for CapabilityGap {
    fn how_to_read(&self, data: &RunData) -> String {
        let (a, b) = (&data.blocs[0].name, &data.blocs[1].name);
        format!(
            "Both panels compare the best AI model each side can train. The top panel measures the gap \
             in orders of magnitude (OOM) of effective training compute: 1 OOM means {a}'s frontier \
             labs train with ten times what {b}'s can, 2 OOM a hundred times. The bottom panel turns \
             the same gap into time: how many months ago {a} was where {b} is now. Above zero, {a} \
             leads; a line that crosses zero means {b} has caught up. Watch whether the gap widens \
             after export controls start, or narrows as indigenous chips, smuggling and distillation \
             let the trailing side catch up. A sudden drop is a successful extraction — a rival's \
             model distilled or stolen — after which the gap widens again as the leader trains on, so \
             a saw-tooth line means the trailing side keeps up by copying rather than by computing."
        )
    }
}

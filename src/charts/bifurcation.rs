//! The bifurcation chart: the bifurcation index with the cross-bloc share, on one panel.

use super::axes::{Axes, X_DESC, draw_line, time_panel};
use super::legend::{LegendItem, legend};
use super::style::palette;
use super::{ChartSpec, RunChartSpec, RunData};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

const Y_DESC: &str = "Index or share (0 to 1)";

pub(super) struct Bifurcation;

impl ChartSpec for Bifurcation {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "bifurcation"
    }

    fn title(&self, _: &RunData) -> String {
        "Is the world splitting into two AI ecosystems?".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![X_DESC.into(), Y_DESC.into()]
    }

    fn height(&self, _: &RunData) -> u32 {
        720
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
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
                y_desc: Y_DESC,
                x_desc: true,
                y_labels: 6,
                y_fmt: &|v| format!("{v:.1}"),
            },
        )?;
        draw_line(&mut chart, &bif, palette::BLUE, false)?;
        draw_line(&mut chart, &cross, palette::ORANGE, false)?;
        Ok(())
    }
}

impl RunChartSpec for Bifurcation {
    fn how_to_read(&self, _: &RunData) -> String {
        "The blue line is the bifurcation index: how closed the blocs are in who buys compute from \
         whom. At 0, nations buy compute from each other as if blocs did not matter; at 1, every bloc \
         uses only its own chips and clouds. The orange line is the cross-bloc share: the part of the \
         world's compute that one bloc's nations get from another bloc's suppliers. When the index \
         climbs and the share falls, the world is splitting into separate AI ecosystems; policies that \
         start or stop show up as bends in the lines."
            .into()
    }
}

//! Chip supply by bloc: new chips made each month, the share of them from the bloc's own (indigenous)
//! fabs, and the chips smuggled past export controls.

use super::axes::{
    Axes, X_DESC, draw_line, fmt_num, linear_range, log_range, panel_caption, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::palette;
use super::{ChartSpec, RunChartSpec, RunData};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

const Y_PRODUCTION: &str = "H100e a month (log scale)";
const Y_INDIGENOUS: &str = "Indigenous share (%)";
const Y_SMUGGLED: &str = "Smuggled H100e a month";

pub(super) struct ChipSupply;

impl ChartSpec for ChipSupply {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "chip_supply"
    }

    fn title(&self, _: &RunData) -> String {
        "Where new AI chips come from".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![
            X_DESC.into(),
            Y_PRODUCTION.into(),
            Y_INDIGENOUS.into(),
            Y_SMUGGLED.into(),
        ]
    }

    fn height(&self, _: &RunData) -> u32 {
        1160
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let mut items: Vec<LegendItem> = data
            .blocs
            .iter()
            .enumerate()
            .map(|(i, b)| LegendItem::line(b.name.clone(), palette::series(i)))
            .collect();
        items.push(LegendItem::line("Smuggled (all blocs)", palette::BLACK));
        let area = legend(area, &items)?;
        let h = area.dim_in_pixel().1 as i32;
        let parts = area.split_by_breakpoints([] as [i32; 0], [h * 2 / 5, h * 7 / 10]);

        let production: Vec<Vec<(f64, f64)>> = data
            .blocs
            .iter()
            .map(|b| data.global_series(&format!("chip_production_h100e_{}", b.id)))
            .collect::<Result<_>>()?;
        let top = panel_caption(&parts[0], "New chips produced for each bloc")?;
        let range = log_range(production.iter().flat_map(|s| s.iter().map(|p| p.1)));
        let mut chart = time_panel(
            &top,
            data.month_range(),
            range.log_scale(),
            &Axes {
                y_desc: Y_PRODUCTION,
                x_desc: false,
                y_labels: 8,
                y_fmt: &fmt_num,
            },
        )?;
        for (i, s) in production.iter().enumerate() {
            draw_line(&mut chart, s, palette::series(i), true)?;
        }

        let middle = panel_caption(
            &parts[1],
            "Share of each bloc's new compute from its own fabs",
        )?;
        let mut chart = time_panel(
            &middle,
            data.month_range(),
            0.0..105.0,
            &Axes {
                y_desc: Y_INDIGENOUS,
                x_desc: false,
                y_labels: 5,
                y_fmt: &|v| format!("{v:.0}"),
            },
        )?;
        for (i, b) in data.blocs.iter().enumerate() {
            let s = data.global_series(&format!("indigenous_share_{}", b.id))?;
            let pct: Vec<(f64, f64)> = s.iter().map(|&(x, y)| (x, 100.0 * y)).collect();
            draw_line(&mut chart, &pct, palette::series(i), false)?;
        }

        let bottom = panel_caption(&parts[2], "Chips smuggled past export controls")?;
        let smuggled = data.global_series("smuggled_h100e")?;
        let mut chart = time_panel(
            &bottom,
            data.month_range(),
            linear_range(smuggled.iter().map(|p| p.1), 0.0),
            &Axes {
                y_desc: Y_SMUGGLED,
                x_desc: true,
                y_labels: 5,
                y_fmt: &fmt_num,
            },
        )?;
        draw_line(&mut chart, &smuggled, palette::BLACK, false)?;
        Ok(())
    }
}

impl RunChartSpec for ChipSupply {
    fn how_to_read(&self, data: &RunData) -> String {
        let last = data.blocs.last().map_or("", |b| b.name.as_str());
        format!(
            "The top panel is the computing power of the new AI chips made for each bloc every month, \
             in H100-equivalents on a logarithmic scale (each grid line is ten times the one below). \
             The middle panel shows how much of each bloc's new compute comes from its own fabs rather \
             than from imports: when export controls bite, a sanctioned bloc such as the {last} turns \
             to indigenous chips and its line climbs towards 100 %. The bottom panel counts the chips \
             that reach buyers through smuggling intermediaries despite the controls; spikes follow \
             tighter controls, and dips follow stronger enforcement."
        )
    }
}

//! The economy behind the compute: what a new chip and an hour of cloud cost in each bloc's market, what
//! labs budget and spend against the world's GDP, and the datacentre power the chips draw against what
//! has been built.

use super::axes::{
    Axes, X_DESC, draw_line, fmt_num, linear_range, log_range, panel_caption, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::{LineStyle, palette};
use super::{ChartSpec, RunChartSpec, RunData};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

const Y_PRICE: &str = "USD (log scale)";
const Y_SPEND: &str = "% of world GDP";
const Y_POWER: &str = "GW";

pub(super) struct Economics;

impl ChartSpec for Economics {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "economics"
    }

    fn title(&self, _: &RunData) -> String {
        "What compute costs, and what it draws".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![
            X_DESC.into(),
            Y_PRICE.into(),
            Y_SPEND.into(),
            Y_POWER.into(),
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
        let dashed = |i: usize| LineStyle::dashed(palette::series(i));
        let mut items: Vec<LegendItem> = data
            .blocs
            .iter()
            .enumerate()
            .map(|(i, b)| LegendItem::line(format!("{} chips", b.name), palette::series(i)))
            .collect();
        items.push(LegendItem::line("Cloud hour ×1000", dashed(6)));
        let area = legend(area, &items)?;
        let h = area.dim_in_pixel().1 as i32;
        let parts = area.split_by_breakpoints([] as [i32; 0], [h * 2 / 5, h * 7 / 10]);

        let chips: Vec<Vec<(f64, f64)>> = data
            .blocs
            .iter()
            .map(|b| data.global_series(&format!("chip_price_usd_{}", b.id)))
            .collect::<Result<_>>()?;
        let cloud: Vec<(f64, f64)> = data
            .global_series("cloud_price_usd")?
            .into_iter()
            .map(|(x, y)| (x, 1000.0 * y))
            .collect();
        let top = panel_caption(
            &parts[0],
            "Price of a new H100-equivalent chip, and of an hour of one",
        )?;
        let range = log_range(
            chips
                .iter()
                .flatten()
                .chain(&cloud)
                .map(|p| p.1)
                .filter(|v| *v > 0.0),
        );
        let mut chart = time_panel(
            &top,
            data.month_range(),
            range.log_scale(),
            &Axes {
                y_desc: Y_PRICE,
                x_desc: false,
                y_labels: 6,
                y_fmt: &fmt_num,
            },
        )?;
        for (i, s) in chips.iter().enumerate() {
            draw_line(&mut chart, s, palette::series(i), true)?;
        }
        draw_line(&mut chart, &cloud, dashed(6), true)?;

        let middle = panel_caption(
            &parts[1],
            "Labs' compute budgets (dashed) and new-chip spending (solid), a year",
        )?;
        let budgets = share_of_gdp(data, "budget_busd", 1.0)?;
        let spend = share_of_gdp(data, "chip_spend_busd", 12.0)?;
        let mut chart = time_panel(
            &middle,
            data.month_range(),
            linear_range(budgets.iter().chain(&spend).map(|p| p.1), 0.0),
            &Axes {
                y_desc: Y_SPEND,
                x_desc: false,
                y_labels: 5,
                y_fmt: &|v| format!("{v:.1}"),
            },
        )?;
        draw_line(&mut chart, &budgets, dashed(6), false)?;
        draw_line(&mut chart, &spend, palette::BLACK, false)?;

        let bottom = panel_caption(
            &parts[2],
            "AI datacentre power in use (solid) and built (dashed)",
        )?;
        let used = data.global_series("power_gw")?;
        let built = data.global_series("power_capacity_gw")?;
        let mut chart = time_panel(
            &bottom,
            data.month_range(),
            linear_range(used.iter().chain(&built).map(|p| p.1), 0.0),
            &Axes {
                y_desc: Y_POWER,
                x_desc: true,
                y_labels: 5,
                y_fmt: &fmt_num,
            },
        )?;
        draw_line(&mut chart, &built, dashed(6), false)?;
        draw_line(&mut chart, &used, palette::BLACK, false)?;
        Ok(())
    }
}

impl RunChartSpec for Economics {
    fn how_to_read(&self, data: &RunData) -> String {
        let last = data.blocs.last().map_or("", |b| b.name.as_str());
        format!(
            "The top panel is what a new chip with the computing power of one NVIDIA H100 costs in \
             each bloc's chip market (solid lines), and what an hour of such a chip costs to rent from \
             a cloud (dashed, ×1000 so it fits the same scale), on a logarithmic scale. Prices fall as \
             chips get better each year; a price that stops falling or jumps means chips are scarce — \
             a control or a missing input is biting, as when the {last}'s own chips must replace \
             imports. The middle panel is money: the labs' compute budgets and what is spent on new AI \
             chips, both as a share of the world's GDP, so you can check the story never spends more \
             than the world could afford. The bottom panel is the power the world's AI datacentres \
             draw against what has been built: when the two lines meet, new chips wait for power."
        )
    }
}

/// Chip spend and budgets are monthly sums and yearly rates; as a share of (yearly) world GDP.
fn share_of_gdp(data: &RunData, column: &str, months_per_value: f64) -> Result<Vec<(f64, f64)>> {
    let gdp = data.global_series("gdp_busd")?;
    let values = data.global_series(column)?;
    Ok(values
        .iter()
        .zip(&gdp)
        .map(|(&(x, v), &(_, g))| {
            let y = if g > 0.0 {
                100.0 * v * months_per_value / g
            } else {
                f64::NAN
            };
            (x, y)
        })
        .collect())
}

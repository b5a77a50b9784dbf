//! A story against its counterfactual: the focus nations' compute per person in both runs (the
//! counterfactual dashed), the story's difference from it in per cent with the 1 % band, and stranded
//! labs in both runs.

use super::axes::{
    Axes, TimeAxis, X_DESC, draw_hline, draw_line, fmt_count, fmt_num, linear_range, log_range,
    panel_caption, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::{LineStyle, bold, palette, size};
use super::{ChartSpec, RunChartSpec, RunData};
use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::ops::Range;

const PER_CAPITA: &str = "H100e per 1000 people (log scale)";
const DIFFERENCE: &str = "Difference (%)";
const STRANDED: &str = "Stranded labs";

pub(super) struct Counterfactual;

impl ChartSpec for Counterfactual {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "counterfactual"
    }

    fn title(&self, data: &RunData) -> String {
        format!("\u{201c}{}\u{201d} against its counterfactual", data.name)
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![
            X_DESC.into(),
            PER_CAPITA.into(),
            DIFFERENCE.into(),
            STRANDED.into(),
        ]
    }

    fn height(&self, data: &RunData) -> u32 {
        96 + 12 + 32 * legend_rows(data) + 3 * 330
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let cf = data
            .counterfactual
            .as_deref()
            .ok_or_else(|| anyhow!("{} has no counterfactual", data.name))?;
        let story = per_capita(data)?;
        let other = per_capita(cf)?;
        let nations: Vec<&String> = data
            .focus
            .iter()
            .filter(|f| story.contains_key(*f))
            .collect();

        let mut items: Vec<LegendItem> = nations
            .iter()
            .enumerate()
            .map(|(i, id)| LegendItem::line(data.nation_label(id), nation_color(i)))
            .collect();
        items.push(LegendItem::line("story", palette::MUTED));
        items.push(LegendItem::line(
            "counterfactual",
            LineStyle::dashed(palette::MUTED),
        ));
        let area = legend(area, &items)?;
        // Room on the right for the nation codes at the ends of the lines, the same in every panel so
        // their time axes line up.
        let (area, _) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 60);
        let panels = area.split_evenly((3, 1));
        let months = data.month_range();

        let runs = (&story, &other);
        per_capita_panel(&panels[0], months.clone(), runs, &nations)?;
        difference_panel(&panels[1], months.clone(), runs, &nations)?;
        stranded_panel(&panels[2], months, data, cf)?;
        Ok(())
    }
}

impl RunChartSpec for Counterfactual {
    fn how_to_read(&self, data: &RunData) -> String {
        format!(
            "The counterfactual is the same scenario without the policies and triggers this story \
             adds, run with the same seed: the difference between the two is what the story does. Top: \
             each focus nation's compute per 1000 people ({}), solid in the story and dashed in the \
             counterfactual, on a logarithmic scale. Middle: the story's compute as a difference from \
             the counterfactual's, in per cent; the grey band is within 1 %, and a line below it is a \
             nation losing access. Bottom: stranded labs in the world, solid in the story and dashed \
             in the counterfactual. The table above gives the same numbers: the largest difference and \
             its month, and when a nation is back within 1 %.",
            data.focus.join(", ")
        )
    }

    fn drawn_for(&self, data: &RunData) -> bool {
        data.counterfactual.is_some()
    }
}

fn legend_rows(data: &RunData) -> u32 {
    let chars: usize = data
        .focus
        .iter()
        .map(|f| data.nation_label(f).len() + 6)
        .sum::<usize>()
        + 60;
    (chars as u32 * 11 / (size::WIDTH - 80)) + 1
}
/// Both runs' compute per person, by focus nation: the story solid, the counterfactual dashed.
fn per_capita_panel<DB>(
    panel: &DrawingArea<DB, Shift>,
    months: Range<f64>,
    (story, other): (&Series, &Series),
    nations: &[&String],
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    // Both runs' compute per person.
    let top = panel_caption(
        panel,
        "Compute per 1000 people: the story, and its counterfactual dashed",
    )?;
    let range = log_range(
        story
            .values()
            .chain(other.values())
            .flat_map(|s| s.iter().map(|p| p.1)),
    );
    let mut chart = time_panel(
        &top,
        months.clone(),
        range.log_scale(),
        &Axes {
            y_desc: PER_CAPITA,
            x_desc: false,
            y_labels: 8,
            y_fmt: &fmt_num,
        },
    )?;
    for (i, id) in nations.iter().enumerate() {
        let color = nation_color(i);
        if let Some(pts) = other.get(*id) {
            draw_line(&mut chart, pts, LineStyle::dashed(color), true)?;
        }
        draw_line(&mut chart, &story[*id], color, true)?;
    }
    Ok(())
}

/// The story's compute against the counterfactual's in per cent, by focus nation, with the band within
/// 1 %.
fn difference_panel<DB>(
    panel: &DrawingArea<DB, Shift>,
    months: Range<f64>,
    (story, other): (&Series, &Series),
    nations: &[&String],
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    // The difference in per cent, with the band within 1 %.
    let middle = panel_caption(
        panel,
        "The story's compute against the counterfactual's, in per cent",
    )?;
    let differences: Vec<(usize, Vec<(f64, f64)>)> = nations
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let base: BTreeMap<i64, f64> = other
                .get(*id)?
                .iter()
                .map(|&(x, y)| (x as i64, y))
                .collect();
            let pts = story[*id]
                .iter()
                .filter_map(|&(x, y)| {
                    let b = *base.get(&(x as i64))?;
                    (b > 0.0).then(|| (x, 100.0 * (y - b) / b))
                })
                .collect();
            Some((i, pts))
        })
        .collect();
    let range = linear_range(
        differences
            .iter()
            .flat_map(|(_, s)| s.iter().map(|p| p.1))
            .chain([-2.0, 2.0]),
        0.0,
    );
    let mut chart = time_panel(
        &middle,
        months.clone(),
        range,
        &Axes {
            y_desc: DIFFERENCE,
            x_desc: false,
            y_labels: 6,
            y_fmt: &fmt_num,
        },
    )?;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(months.start, -1.0), (months.end, 1.0)],
        palette::GRID.filled(),
    )))?;
    draw_hline(&mut chart, 0.0, palette::MUTED)?;
    for (i, pts) in &differences {
        draw_line(&mut chart, pts, nation_color(*i), false)?;
    }
    // The nations' codes at the ends of their lines, as on the per-capita chart.
    label_ends(panel, &chart, &differences, nations)?;
    Ok(())
}

/// Stranded labs in the world in both runs.
fn stranded_panel<DB>(
    panel: &DrawingArea<DB, Shift>,
    months: Range<f64>,
    data: &RunData,
    cf: &RunData,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    // Stranded labs in both runs.
    let bottom = panel_caption(panel, "Stranded labs in the world")?;
    let a = data.global_series("stranded_labs")?;
    let b = cf.global_series("stranded_labs")?;
    let max = a.iter().chain(&b).map(|p| p.1).fold(0.0f64, f64::max);
    let mut chart = time_panel(
        &bottom,
        months,
        0.0..(max * 1.15).max(5.0),
        &Axes {
            y_desc: STRANDED,
            x_desc: true,
            y_labels: 6,
            y_fmt: &fmt_count,
        },
    )?;
    draw_line(&mut chart, &b, LineStyle::dashed(palette::BLACK), false)?;
    draw_line(&mut chart, &a, palette::BLACK, false)?;
    Ok(())
}

/// Compute per 1000 people by focus nation: (month, value) points.
type Series = BTreeMap<String, Vec<(f64, f64)>>;

/// Each focus nation's compute per 1000 people in a run, by calendar month number.
fn per_capita(data: &RunData) -> Result<BTreeMap<String, Vec<(f64, f64)>>> {
    Ok(super::per_capita::focus_series(data)?.into_iter().collect())
}

/// The story's colour for focus nation `i`: the nation's colour, solid (the counterfactual's is the same
/// colour, dashed).
fn nation_color(i: usize) -> RGBColor {
    palette::series(i)
}

/// Writes each nation's code at the end of its line, pushed apart so close lines stay readable.
fn label_ends<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<TimeAxis, Y>>,
    series: &[(usize, Vec<(f64, f64)>)],
    nations: &[&String],
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let mut ends = Vec::new();
    for (i, pts) in series {
        if let Some(&last) = pts.iter().rev().find(|p| p.1.is_finite()) {
            let (px, py) = chart.backend_coord(&last);
            ends.push((py, px, nations[*i].clone(), nation_color(*i)));
        }
    }
    ends.sort_by_key(|e| e.0);
    for i in 1..ends.len() {
        if ends[i].0 - ends[i - 1].0 < 24 {
            ends[i].0 = ends[i - 1].0 + 24;
        }
    }
    let base = area.get_base_pixel();
    for (py, px, id, color) in ends {
        area.draw(&Text::new(
            id,
            (px - base.0 + 8, py - base.1),
            bold(size::TICK)
                .color(&color)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

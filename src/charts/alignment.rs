//! The alignment heatmap: every nation (rows, sorted by final alignment) by month, coloured by its
//! alignment with the first bloc.

use super::axes::{Ticked, X_DESC, month_label, time_axis};
use super::style::{palette, size, text};
use super::{ChartSpec, RunChartSpec, RunData};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Rows tall enough for a 17-pixel nation name.
const ROW: u32 = 24;
/// Colour steps: a stepped scale is read against the colour bar more reliably than a smooth one, and
/// runs of equal cells merge into one rectangle, which keeps the SVG small.
const STEPS: usize = 20;

pub(super) struct Alignment;

impl ChartSpec for Alignment {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "alignment_heatmap"
    }

    fn title(&self, data: &RunData) -> String {
        format!(
            "Which way each nation leans: alignment with the {}",
            data.blocs[0].name
        )
    }

    fn axis_labels(&self, data: &RunData) -> Vec<String> {
        vec![X_DESC.into(), "Nation".into(), colour_label(data)]
    }

    fn height(&self, data: &RunData) -> u32 {
        let n = nation_count(data);
        (96 + 120 + 90 + ROW * n as u32).max(600)
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let column = format!("alignment_{}", data.blocs[0].id);
        let mut rows: Vec<(String, Vec<(f64, f64)>)> =
            data.nation_series(&column)?.into_iter().collect();
        let last = |pts: &[(f64, f64)]| pts.last().map_or(0.0, |p| p.1);
        // Most aligned with the first bloc at the top; ties by code, so the order is stable.
        rows.sort_by(|a, b| last(&a.1).total_cmp(&last(&b.1)).then(b.0.cmp(&a.0)));

        let (w, h) = area.dim_in_pixel();
        let (plot, bar) = area.split_vertically(h as i32 - 118);
        let months = data.month_range();
        let span = months.end - months.start;
        let n = rows.len().max(1);
        let labels: Vec<String> = rows.iter().map(|(id, _)| data.nation_label(id)).collect();
        let y_axis = Ticked::new(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect());
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(16)
            .margin_right(40)
            .margin_top(6)
            .x_label_area_size(64)
            .y_label_area_size(270)
            .build_cartesian_2d(time_axis(months.start - 0.5, months.end + 0.5), y_axis)?;
        let x_fmt = |m: &f64| month_label(*m, span);
        let y_fmt = |v: &f64| {
            let i = v.round() as usize;
            labels.get(i).cloned().unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(X_DESC)
            .y_desc("Nation")
            .axis_desc_style(text(size::AXIS))
            .label_style(text(size::TICK))
            .y_label_style(text(17.0))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .y_labels(n)
            .axis_style(palette::MUTED)
            .draw()?;
        for (i, (_, pts)) in rows.iter().enumerate() {
            let y = i as f64;
            let mut start = 0;
            while start < pts.len() {
                let step = step_of(pts[start].1);
                let mut end = start + 1;
                while end < pts.len() && step_of(pts[end].1) == step {
                    end += 1;
                }
                let x0 = pts[start].0 - 0.5;
                let x1 = pts[end - 1].0 + 0.5;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y - 0.5), (x1, y + 0.5)],
                    colour(step).filled(),
                )))?;
                start = end;
            }
        }

        // The colour bar, its ends named after the blocs underneath: beside the bar, long bloc names (or
        // several blocs at the 0 end) would run off the image.
        let bar_w = w as i32 - 240;
        let x0 = (w as i32 - bar_w) / 2;
        let cell = bar_w as f64 / STEPS as f64;
        let y0 = 48;
        bar.draw(&Text::new(
            colour_label(data),
            (w as i32 / 2, 10),
            text(size::AXIS).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        for s in 0..STEPS {
            let a = x0 + (s as f64 * cell).round() as i32;
            let b = x0 + ((s + 1) as f64 * cell).round() as i32;
            bar.draw(&Rectangle::new([(a, y0), (b, y0 + 24)], colour(s).filled()))?;
        }
        bar.draw(&Rectangle::new(
            [(x0, y0), (x0 + bar_w, y0 + 24)],
            palette::MUTED.stroke_width(1),
        ))?;
        let others: Vec<&str> = data.blocs[1..].iter().map(|b| b.name.as_str()).collect();
        let style = text(size::TICK);
        let left = format!("0: with the {}", others.join(" / "));
        let right = format!("1: with the {}", data.blocs[0].name);
        let below = y0 + 30;
        bar.draw(&Text::new(
            left.clone(),
            (x0, below),
            style.pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        bar.draw(&Text::new(
            right.clone(),
            (x0 + bar_w, below),
            style.pos(Pos::new(HPos::Right, VPos::Top)),
        ))?;
        // The middle mark only where it clears both end labels.
        let width = |t: &str| bar.estimate_text_size(t, &style).map_or(0, |d| d.0 as i32);
        let mid = "0.5: undecided";
        let (lw, rw, mw) = (width(&left), width(&right), width(mid));
        if x0 + lw + 20 < w as i32 / 2 - mw / 2 && w as i32 / 2 + mw / 2 + 20 < x0 + bar_w - rw {
            bar.draw(&Text::new(
                mid.to_string(),
                (w as i32 / 2, below),
                style.pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        Ok(())
    }
}

impl RunChartSpec for Alignment {
    fn how_to_read(&self, data: &RunData) -> String {
        let first = &data.blocs[0].name;
        let others: Vec<&str> = data.blocs[1..].iter().map(|b| b.name.as_str()).collect();
        format!(
            "Each row is a nation and each column a month. The colour is how far the nation leans \
             towards the {first}: dark blue means fully aligned with it (1), white undecided (0.5), \
             and dark orange fully with the {} (0). Nations are sorted by where they end up, the most \
             {first}-aligned at the top. A row that changes colour from left to right is a nation that \
             drifts from one side to the other, pushed by trade, sanctions and the clouds it can use; \
             a row that stays the same colour keeps its side.",
            others.join(" or the ")
        )
    }
}

fn colour_label(data: &RunData) -> String {
    format!("Alignment with the {} (0 to 1)", data.blocs[0].name)
}

/// How many nations the run recorded.
fn nation_count(data: &RunData) -> usize {
    crate::run_data::strings(&data.nations, "nation")
        .map(|n| n.iter().collect::<std::collections::BTreeSet<_>>().len())
        .unwrap_or(0)
}

/// Vermillion (0: the other side) through white (0.5) to blue (1: the first bloc): the two ends are the
/// blocs' own colours in every other chart.
fn colour(step: usize) -> RGBColor {
    let v = (step as f64 + 0.5) / STEPS as f64;
    let (end, t) = if v >= 0.5 {
        (palette::BLUE, (v - 0.5) * 2.0)
    } else {
        (palette::VERMILLION, (0.5 - v) * 2.0)
    };
    let mix = |c: u8| (255.0 + (c as f64 - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

fn step_of(v: f64) -> usize {
    ((v.clamp(0.0, 1.0) * STEPS as f64) as usize).min(STEPS - 1)
}

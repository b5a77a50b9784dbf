//! Stranded labs over time, with the policy events of the run (policies switched on and off, cloud
//! bans, triggers fired) marked on the same time axis.

use super::axes::{Axes, Ticked, X_DESC, draw_line, fmt_count, month_label, time_axis, time_panel};
use super::legend::{LegendItem, Swatch, legend};
use super::style::{palette, size, text};
use super::{ChartSpec, RunChartSpec, RunData};
use crate::resources::EventKind;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;

const Y_DESC: &str = "Stranded labs";

/// The policy events the charts mark and the report lists: (kind in `events.parquet`, name for readers).
pub const EVENT_KINDS: [(&str, &str); 4] = [
    (EventKind::PolicyOn.as_str(), "Policy switched on"),
    (EventKind::PolicyOff.as_str(), "Policy switched off"),
    (EventKind::Ban.as_str(), "Cloud ban"),
    (EventKind::TriggerFired.as_str(), "Trigger fired"),
];

/// How each of [`EVENT_KINDS`] is drawn, in its order.
const LOOK: [(RGBColor, Swatch); 4] = [
    (palette::BLUISH_GREEN, Swatch::Dot),
    (palette::BLUISH_GREEN, Swatch::Ring),
    (palette::VERMILLION, Swatch::Triangle),
    (palette::ORANGE, Swatch::Cross),
];

pub(super) struct StrandedLabs;

impl ChartSpec for StrandedLabs {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "stranded_labs"
    }

    fn title(&self, _: &RunData) -> String {
        "Stranded labs and the policies around them".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![X_DESC.into(), Y_DESC.into(), "Policy events".into()]
    }

    fn height(&self, _: &RunData) -> u32 {
        820
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let kinds = event_looks();
        let names: Vec<&str> = kinds.iter().map(|k| k.0).collect();
        let events = data.events_of(&names)?;
        // (kind index, month) → how many events. Policies and bans in force from the first month are
        // the world the run starts in, not events of it: they are not marked (the caption says so).
        let first = data.months.first().copied().unwrap_or(f64::NAN);
        let fired = EventKind::TriggerFired.as_str();
        let mut marks: BTreeMap<(usize, i64), usize> = BTreeMap::new();
        for e in &events {
            if e.kind != fired && e.month == first {
                continue;
            }
            if let Some(k) = kinds.iter().position(|k| k.0 == e.kind) {
                *marks.entry((k, e.month as i64)).or_default() += 1;
            }
        }

        let mut items = vec![LegendItem::line("Stranded labs", palette::BLACK)];
        items.extend(
            kinds
                .iter()
                .map(|(_, label, color, swatch)| LegendItem::swatch(*label, *color, *swatch)),
        );
        let area = legend(area, &items)?;
        let h = area.dim_in_pixel().1 as i32;
        let (top, lane) = area.split_vertically(h - 230);

        let stranded = data.global_series("stranded_labs")?;
        let max = stranded.iter().map(|p| p.1).fold(0.0f64, f64::max);
        let months = data.month_range();
        let mut chart = time_panel(
            &top,
            months.clone(),
            0.0..(max * 1.15).max(5.0),
            &Axes {
                y_desc: Y_DESC,
                x_desc: false,
                y_labels: 6,
                y_fmt: &fmt_count,
            },
        )?;
        // One faint line per month with events, whatever their kinds: enough to find the month above the
        // marks without hiding the data.
        let y_top = chart.y_range().end;
        let event_months: std::collections::BTreeSet<i64> = marks.keys().map(|&(_, m)| m).collect();
        for m in event_months {
            chart.draw_series(DashedLineSeries::new(
                vec![(m as f64, 0.0), (m as f64, y_top)],
                6,
                6,
                palette::GREY.stroke_width(1),
            ))?;
        }
        draw_line(&mut chart, &stranded, palette::BLACK, false)?;

        // The event lane: one row per kind, labelled on the y axis.
        let span = months.end - months.start;
        let y_axis = Ticked::new(
            -0.6..kinds.len() as f64 - 0.4,
            (0..kinds.len()).map(|i| i as f64).collect(),
        );
        let mut lane_chart = ChartBuilder::on(&lane)
            .margin_left(16)
            .margin_right(40)
            .margin_top(6)
            .x_label_area_size(64)
            .y_label_area_size(132)
            .build_cartesian_2d(time_axis(months.start, months.end), y_axis)?;
        let x_fmt = |m: &f64| month_label(*m, span);
        let y_fmt = |v: &f64| {
            let i = v.round() as usize;
            kinds
                .get(kinds.len().saturating_sub(1 + i))
                .map_or(String::new(), |k| short(k.0).to_string())
        };
        lane_chart
            .configure_mesh()
            .x_desc(X_DESC)
            .y_desc("Policy events")
            .axis_desc_style(text(size::AXIS))
            .label_style(text(size::TICK))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .axis_style(palette::MUTED)
            .draw()?;
        for (&(k, m), &count) in &marks {
            let (_, _, color, swatch) = kinds[k];
            // The first kind on the top row.
            let at = (m as f64, (kinds.len() - 1 - k) as f64);
            match swatch {
                Swatch::Triangle => lane_chart
                    .draw_series(std::iter::once(TriangleMarker::new(at, 9, color.filled())))?,
                Swatch::Ring => lane_chart.draw_series(std::iter::once(Circle::new(
                    at,
                    6,
                    color.stroke_width(3),
                )))?,
                Swatch::Cross => lane_chart.draw_series(std::iter::once(Cross::new(
                    at,
                    7,
                    color.stroke_width(3),
                )))?,
                _ => lane_chart.draw_series(std::iter::once(Circle::new(at, 7, color.filled())))?,
            };
            if count > 1 {
                let (px, py) = lane_chart.backend_coord(&at);
                let base = lane.get_base_pixel();
                lane.draw(&Text::new(
                    format!("\u{00d7}{count}"),
                    (px - base.0, py - base.1 - 11),
                    text(size::TICK).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ))?;
            }
        }
        Ok(())
    }
}

impl RunChartSpec for StrandedLabs {
    fn how_to_read(&self, _: &RunData) -> String {
        "A lab is stranded when the clouds it relies on are closed to it and it cannot get compute \
         elsewhere: it is frozen out as collateral damage of a ban. The black line counts stranded \
         labs each month. The strip below marks the policy events of the scenario on the same time \
         axis: green dots where a policy is switched on and green rings where one is switched off (at \
         its end date), orange crosses where an automatic trigger \
         fires (for example a ban after a theft accusation), red-orange triangles where a cloud ban \
         takes effect; a number beside a mark counts several events in the same month. Policies \
         and bans already in force when the run starts are the world it starts in and are not marked. Faint \
         dashed \
         lines carry the events up into the top panel, so you can see whether stranded labs rise right \
         after a ban."
            .into()
    }
}

/// The kinds with their names and looks.
fn event_looks() -> [(&'static str, &'static str, RGBColor, Swatch); 4] {
    std::array::from_fn(|i| (EVENT_KINDS[i].0, EVENT_KINDS[i].1, LOOK[i].0, LOOK[i].1))
}

/// The y tick label of a lane row: short, so the axis stays narrow.
fn short(kind: &str) -> &'static str {
    match EventKind::parse(kind) {
        Some(EventKind::PolicyOn) => "policy on",
        Some(EventKind::PolicyOff) => "policy off",
        Some(EventKind::Ban) => "ban",
        _ => "trigger",
    }
}

//! Legends: entries in centred rows above a plot, so that a legend never hides a line.

use super::style::{Dash, LineStyle, size, text};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line,
    Dot,
    /// An open circle: the end of what a dot begins (a policy switched off).
    Ring,
    Triangle,
    Cross,
    /// A filled box: bars and bands.
    Block,
}

#[derive(Clone, Debug)]
pub(crate) struct LegendItem {
    pub label: String,
    pub color: RGBColor,
    pub swatch: Swatch,
    /// The dash of a `Line` swatch.
    pub dash: Dash,
}

impl LegendItem {
    /// An entry shown by a marker or a block of `color`.
    pub fn swatch(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> Self {
        LegendItem {
            label: label.into(),
            color,
            swatch,
            dash: Dash::Solid,
        }
    }

    pub fn line(label: impl Into<String>, style: impl Into<LineStyle>) -> Self {
        let style = style.into();
        LegendItem {
            label: label.into(),
            color: style.color,
            swatch: Swatch::Line,
            dash: style.dash,
        }
    }
}

/// Draws a legend as centred rows across the top of `area` (wrapping when it is too wide) and returns
/// the area below it. A legend outside the plot can never hide a line, wherever the data go.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    if items.is_empty() {
        return Ok(area.clone());
    }
    let style = text(size::LEGEND);
    let (w, _) = area.dim_in_pixel();
    let swatch_w = 34i32;
    let gap = 28i32;
    let widths: Vec<i32> = items
        .iter()
        .map(|it| {
            let (tw, _) = area
                .estimate_text_size(&it.label, &style)
                .unwrap_or((100, 20));
            swatch_w + 8 + tw as i32
        })
        .collect();
    let max_row = w as i32 - 40;
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut row_w = 0;
    for (i, wi) in widths.iter().enumerate() {
        let cur = rows.last_mut().expect("one row at least");
        if !cur.is_empty() && row_w + gap + wi > max_row {
            rows.push(vec![i]);
            row_w = *wi;
        } else {
            row_w += if cur.is_empty() { *wi } else { gap + wi };
            cur.push(i);
        }
    }
    let row_h = 32i32;
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|&i| widths[i]).sum::<i32>() + gap * (row.len() as i32 - 1);
        let mut x = (w as i32 - total) / 2;
        let y = 6 + r as i32 * row_h + row_h / 2;
        for &i in row {
            let it = &items[i];
            let c = it.color;
            match it.swatch {
                Swatch::Line => match it.dash.pattern() {
                    None => area.draw(&PathElement::new(
                        vec![(x, y), (x + swatch_w, y)],
                        c.stroke_width(4),
                    ))?,
                    Some((dash, gap)) => area.draw(&DashedPathElement::new(
                        vec![(x, y), (x + swatch_w, y)],
                        dash,
                        gap,
                        c.stroke_width(4),
                    ))?,
                },
                Swatch::Dot => area.draw(&Circle::new((x + swatch_w / 2, y), 8, c.filled()))?,
                Swatch::Ring => {
                    area.draw(&Circle::new((x + swatch_w / 2, y), 7, c.stroke_width(3)))?
                }
                Swatch::Triangle => {
                    area.draw(&TriangleMarker::new((x + swatch_w / 2, y), 10, c.filled()))?
                }
                Swatch::Cross => {
                    area.draw(&Cross::new((x + swatch_w / 2, y), 8, c.stroke_width(3)))?
                }
                Swatch::Block => area.draw(&Rectangle::new(
                    [(x, y - 9), (x + swatch_w, y + 9)],
                    c.filled(),
                ))?,
            }
            area.draw(&Text::new(
                it.label.clone(),
                (x + swatch_w + 8, y),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i] + gap;
        }
    }
    let (_, rest) = area.split_vertically(12 + rows.len() as i32 * row_h);
    Ok(rest)
}

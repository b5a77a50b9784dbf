//! What `run` prints at the end: the key metrics of the final month, and for a story, the story against
//! its counterfactual.

use crate::charts::RunData;
use crate::comparison::{self, Measure, StoryComparison};
use crate::output::Outputs;
use polars::prelude::*;
use std::fmt::Write;

fn last_f64(frame: &DataFrame, column: &str) -> Option<f64> {
    let c = frame.column(column).ok()?;
    let n = c.len();
    if n == 0 {
        return None;
    }
    match c.dtype() {
        DataType::Float64 => c.f64().ok()?.get(n - 1),
        DataType::UInt32 => c.u32().ok()?.get(n - 1).map(f64::from),
        _ => None,
    }
}

/// Key numbers of the final month, formatted as a two-column table.
pub fn final_month(outputs: &Outputs, blocs: &[String], focus: &[String]) -> String {
    let g = &outputs.global;
    let mut rows: Vec<(String, String)> = Vec::new();
    let month = g
        .column("month")
        .ok()
        .and_then(|c| c.cast(&DataType::String).ok())
        .and_then(|c| {
            c.str()
                .ok()
                .and_then(|s| s.get(s.len().saturating_sub(1)).map(str::to_string))
        })
        .unwrap_or_default();
    let num = |c: &str, digits: usize| {
        last_f64(g, c).map_or("–".to_string(), |x| format!("{x:.digits$}"))
    };
    rows.push(("bifurcation index".into(), num("bifurcation_index", 3)));
    rows.push(("cross-bloc share".into(), num("cross_bloc_share", 3)));
    rows.push((
        "capability gap".into(),
        format!(
            "{} OOM ({} months)",
            num("capability_gap_oom", 2),
            num("capability_lag_months", 1)
        ),
    ));
    for b in blocs {
        let share = last_f64(g, &format!("compute_share_{b}")).unwrap_or(0.0);
        rows.push((
            format!("compute share, {b}"),
            format!("{:.1} %", 100.0 * share),
        ));
    }
    rows.push(("unmet demand share".into(), num("unmet_share", 3)));
    rows.push(("stranded labs".into(), num("stranded_labs", 0)));
    rows.push((
        "smuggled this month (H100e)".into(),
        num("smuggled_h100e", 0),
    ));
    rows.push((
        "installed compute (H100e)".into(),
        num("installed_h100e", 0),
    ));

    // Focus nations: H100e per 1000 people in the final month.
    let n = &outputs.nations;
    if let (Ok(nation), Ok(t), Ok(pc)) = (
        n.column("nation").and_then(|c| c.cast(&DataType::String)),
        n.column("t"),
        n.column("compute_per_capita"),
    ) && let (Ok(nation), Ok(t), Ok(pc)) = (nation.str(), t.u32(), pc.f64())
    {
        {
            let last_t = t.max().unwrap_or(0);
            for f in focus {
                let value = (0..n.height())
                    .find(|&i| t.get(i) == Some(last_t) && nation.get(i) == Some(f.as_str()))
                    .and_then(|i| pc.get(i));
                if let Some(v) = value {
                    rows.push((
                        format!("{f}: H100e per 1000 people"),
                        format!("{:.3}", v * 1000.0),
                    ));
                }
            }
        }
    }

    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "final month {month}");
    for (k, v) in rows {
        let _ = writeln!(out, "  {k:<width$}  {v}");
    }
    out
}

/// The width the printed summary keeps within.
pub const WIDTH: usize = 100;

/// A story against its counterfactual, as `run` prints it: the story (its first lines), its
/// expectations judged, and the table of the world's and the focus nations' headline metrics that moved
/// — largest difference and month, cumulative difference, months more than 1 % below, and the month
/// from which it stays within 1 % — with stranded labs at their peak and for how long. `table` names
/// the file that holds every row.
pub fn story(view: &StoryComparison, data: &RunData, table_file: &str) -> String {
    let mut out = String::new();
    let cf = data.counterfactual.as_deref();
    let _ = writeln!(
        out,
        "\nThe story, against its counterfactual (the same file without its own policies and triggers, \
         seed {})",
        cf.map_or_else(|| "?".into(), |c| c.seed_label())
    );
    if !view.story.is_empty() {
        for line in short_paragraph(&view.story, WIDTH - 2, 3) {
            let _ = writeln!(out, "  {line}");
        }
    }
    match view.start {
        Some(t) => {
            let _ = writeln!(out, "  It acts from {}.", view.month(t));
            for e in view.events.iter().take(comparison::MAX_EVENTS) {
                let head = format!(
                    "    {}  {:<13} ",
                    e.month_label,
                    comparison::event_words(&e.kind)
                );
                let indent = head.chars().count();
                for (i, line) in wrap(&e.detail, WIDTH - indent).into_iter().enumerate() {
                    if i == 0 {
                        let _ = writeln!(out, "{head}{line}");
                    } else {
                        let _ = writeln!(out, "{:indent$}{line}", "");
                    }
                }
            }
            if view.events.len() > comparison::MAX_EVENTS {
                let _ = writeln!(
                    out,
                    "    and {} more of its policy events (events.parquet)",
                    view.events.len() - comparison::MAX_EVENTS
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  Nothing of its own came into force within the run: the two runs are alike."
            );
        }
    }

    let blocs = data.bloc_names();
    if !view.judgements.is_empty() {
        let _ = writeln!(
            out,
            "\nExpectations (this seed; tests/stories.rs holds the shipped stories to them over four)"
        );
        for j in &view.judgements {
            let verdict = j.verdict();
            let text = format!(
                "{}: {}",
                comparison::claim(j, &blocs, |t| view.month(t).to_string()),
                comparison::finding(j, &blocs)
            );
            for (i, line) in wrap(&text, WIDTH - 13).into_iter().enumerate() {
                let _ = writeln!(out, "  {:<10} {line}", if i == 0 { verdict } else { "" });
            }
        }
    }
    let _ = writeln!(out);
    out.push_str(&table(&view.rows, data, "the counterfactual", table_file));
    out
}

/// The table of a comparison's rows that moved, nation by nation: largest difference and month,
/// cumulative difference, months more than 1 % below (with the last), and the month from which the
/// run stays within 1 % of `against` — stranded labs at their peak and for how long. `file` names the
/// file that holds every row. Names nations as `data` (the compared run) does.
pub fn table(rows: &[comparison::Row], data: &RunData, against: &str, file: &str) -> String {
    let mut out = String::new();
    let header = [
        "",
        "largest difference",
        "cumulative",
        ">1 % below",
        "within 1 %",
    ];
    let mut lines: Vec<Line> = Vec::new();
    let (shown, quiet) = comparison::moved_by_nation(rows);
    let name = |nation: &str| {
        if nation == comparison::WORLD {
            "World".to_string()
        } else {
            data.nation_label(nation)
        }
    };
    for (nation, rows) in &shown {
        lines.push(Line::Heading(name(nation)));
        for r in rows {
            if r.metric.measure == Measure::Count {
                lines.push(Line::Wide(
                    format!("  {}", r.metric.label),
                    comparison::peak_text(r, against.trim_start_matches("the ")),
                ));
            } else {
                let c = comparison::cells(r);
                lines.push(Line::Cells([
                    format!("  {}", r.metric.label),
                    c.largest,
                    c.cumulative,
                    c.below,
                    c.recovery,
                ]));
            }
        }
    }
    let quiet: Vec<String> = quiet.iter().map(|n| name(n)).collect();
    let title = format!("Against {against}");
    if lines.is_empty() {
        let _ = writeln!(
            out,
            "Every headline metric stays within 1 % of {against} throughout."
        );
    } else {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for line in &lines {
            if let Line::Cells(c) = line {
                for (w, text) in widths.iter_mut().zip(c) {
                    *w = (*w).max(text.chars().count());
                }
            }
        }
        widths[0] = widths[0].max(title.chars().count());
        let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        let gap = if total <= WIDTH { "  " } else { " " };
        let cells = |c: &[String]| -> String {
            c.iter()
                .zip(&widths)
                .map(|(text, w)| format!("{text:<w$}"))
                .collect::<Vec<_>>()
                .join(gap)
                .trim_end()
                .to_string()
        };
        let mut head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        head[0] = title.clone();
        let _ = writeln!(out, "{}", cells(&head));
        for line in &lines {
            match line {
                Line::Heading(name) => {
                    let _ = writeln!(out, "{name}");
                }
                Line::Cells(c) => {
                    let _ = writeln!(out, "{}", cells(c));
                }
                Line::Wide(label, text) => {
                    let w = widths[0];
                    let _ = writeln!(out, "{label:<w$}{gap}{text}");
                }
            }
        }
    }
    if !quiet.is_empty() && !lines.is_empty() {
        let text = format!(
            "{}: every headline metric within 1 % throughout",
            quiet.join(", ")
        );
        for line in wrap(&text, WIDTH) {
            let _ = writeln!(out, "{line}");
        }
    }
    let note = format!(
        "(1 % of the value {against} has that month; 0.01 points at least for shares. Every row, with \
         the months above and the peaks: {file})"
    );
    for line in wrap(&note, WIDTH) {
        let _ = writeln!(out, "{line}");
    }
    out
}

enum Line {
    Heading(String),
    Cells([String; 5]),
    /// A label and a text across the other columns.
    Wide(String, String),
}

/// The first sentences of `text` that fit in `lines` lines of `width`, with `…` when cut.
fn short_paragraph(text: &str, width: usize, lines: usize) -> Vec<String> {
    let all = wrap(text, width);
    if all.len() <= lines {
        return all;
    }
    // Whole sentences while they fit; at least the first, cut.
    let mut kept = String::new();
    for sentence in text.split_inclusive(". ") {
        let next = format!("{kept}{sentence}");
        if wrap(next.trim_end(), width).len() > lines {
            break;
        }
        kept = next;
    }
    if kept.is_empty() {
        let mut cut = all[..lines].to_vec();
        if let Some(last) = cut.last_mut() {
            last.push_str(" \u{2026}");
        }
        return cut;
    }
    let mut out = wrap(kept.trim_end(), width);
    if let Some(last) = out.last_mut() {
        last.push_str(" \u{2026}");
    }
    out
}

/// Breaks `text` into lines of at most `width` characters at spaces (a longer word gets a line of its
/// own).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

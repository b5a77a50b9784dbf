//! What `run` prints at the end: the key metrics of the final month, and for a story, the story against
//! its counterfactual.

use crate::comparison::{self, Measure, StoryComparison};
use crate::output::Outputs;
use crate::run_data::RunData;
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

/// Key numbers of the final month, formatted as a two-column table: blocs by the names the story table
/// uses, shares as percentages, large counts with thousands separators.
pub fn final_month(
    outputs: &Outputs,
    blocs: &[crate::run_data::BlocInfo],
    focus: &[String],
) -> String {
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
    let share = |c: &str| last_f64(g, c).map_or("–".to_string(), comparison::percent);
    let count = |c: &str| {
        last_f64(g, c).map_or("–".to_string(), |x| {
            crate::numbers::thousands(x.max(0.0).round() as u64)
        })
    };
    rows.push((
        "bifurcation index (0 to 1)".into(),
        num("bifurcation_index", 3),
    ));
    rows.push(("cross-bloc share".into(), share("cross_bloc_share")));
    rows.push((
        "capability gap".into(),
        format!(
            "{} OOM ({} months)",
            num("capability_gap_oom", 2),
            num("capability_lag_months", 1)
        ),
    ));
    for b in blocs {
        rows.push((
            format!("compute share, {}", b.name),
            share(&format!("compute_share_{}", b.id)),
        ));
    }
    rows.push(("unmet demand share".into(), share("unmet_share")));
    rows.push(("stranded labs".into(), count("stranded_labs")));
    rows.push((
        "smuggled this month (H100e)".into(),
        count("smuggled_h100e"),
    ));
    rows.push(("installed compute (H100e)".into(), count("installed_h100e")));

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
                        if v * 1000.0 >= 1000.0 {
                            crate::numbers::thousands((v * 1000.0).round() as u64)
                        } else {
                            format!("{:.3}", v * 1000.0)
                        },
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

/// When a story acts: the first month its run differs from the counterfactual's, and when that is not
/// the month its own policies came into force (`start`), that month too.
pub fn acts_from(view: &StoryComparison, start: usize) -> String {
    match view.differs_from {
        Some(t) if t == start => format!("It acts from {}.", view.month(t)),
        Some(t) => format!(
            "It acts from {}: the first month its run differs from the counterfactual's (its own \
             policies are in force from {}).",
            view.month(t),
            view.month(start)
        ),
        None => format!(
            "Its own policies are in force from {}, but its run never differs from the \
             counterfactual's.",
            view.month(start)
        ),
    }
}

/// What the story tables' columns and units mean, printed under each.
const UNITS: &str = "largest difference: the story's largest monthly difference from the \
    counterfactual, and its month; cumulative: the differences summed over the run (a quantity's as a \
    % of the counterfactual's sum); pts: percentage points, the difference of two shares; pt-months \
    (index-months, OOM-months): points summed over the months; (>1 %) below, above: months the story \
    is more than 1 % below or above the counterfactual (1 % of its value that month, 0.01 points at least \
    for shares); within 1 % (from): the month from which it stays within 1 % to the end.";

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
            for line in wrap(&acts_from(view, t), WIDTH - 2) {
                let _ = writeln!(out, "  {line}");
            }
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
        "below",
        "above",
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
                    r.stats.months_below.to_string(),
                    c.above,
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
    let note =
        format!("({UNITS} Every row, with the first and last months below and the peaks: {file})");
    for line in wrap(&note, WIDTH) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The story's head over several seeds: what it is, and when its own policies came into force in the
/// first seed.
fn write_seeds_story(out: &mut String, views: &[StoryComparison], seeds: &[u64]) {
    let n = seeds.len();
    let _ = writeln!(
        out,
        "\nThe story over {n} seeds ({}), each against its own counterfactual (the same file without \
         its own policies and triggers, run with the same seed)",
        seed_list(seeds)
    );
    if let Some(view) = views.first() {
        if !view.story.is_empty() {
            for line in short_paragraph(&view.story, WIDTH - 2, 3) {
                let _ = writeln!(out, "  {line}");
            }
        }
        match view.start {
            Some(t) => {
                let text = format!(
                    "{} (seed {}).",
                    acts_from(view, t).trim_end_matches('.'),
                    seeds[0]
                );
                for line in wrap(&text, WIDTH - 2) {
                    let _ = writeln!(out, "  {line}");
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "  Nothing of its own came into force within the run (seed {}).",
                    seeds[0]
                );
            }
        }
    }
}

/// The seeds' table's lines, nation by nation, of every metric that moved in any seed, and the nations
/// none of whose metrics moved.
fn seed_rows(
    summaries: &[crate::ensemble::Summary],
    name: impl Fn(&str) -> String,
) -> (Vec<(String, [String; 6])>, Vec<String>) {
    let moved = |s: &crate::ensemble::Summary| s.rows.iter().any(comparison::moved);
    let mut lines: Vec<(String, [String; 6])> = Vec::new();
    let mut quiet: Vec<String> = Vec::new();
    let mut nation: Option<String> = None;
    let mut shown_here = false;
    for s in summaries {
        if nation.as_deref() != Some(s.nation.as_str()) {
            if let Some(previous) = &nation
                && !shown_here
            {
                quiet.push(name(previous));
            }
            nation = Some(s.nation.clone());
            shown_here = false;
        }
        if !moved(s) {
            continue;
        }
        if !shown_here {
            lines.push((name(&s.nation), Default::default()));
            shown_here = true;
        }
        lines.extend(metric_lines(s));
    }
    if let Some(previous) = &nation
        && !shown_here
    {
        quiet.push(name(previous));
    }
    (lines, quiet)
}

/// A metric's lines in the seeds' table: the mean over the seeds with the range on the line below (a
/// count: its peak).
fn metric_lines(s: &crate::ensemble::Summary) -> Vec<(String, [String; 6])> {
    let mut lines = Vec::new();
    let (mean, min, max) = (s.mean(), s.min(), s.max());
    let label = format!("  {}", s.metric.label);
    if s.metric.measure == Measure::Count {
        let peak = |r: &comparison::Row| crate::numbers::fmt_num(r.stats.run_peak.value);
        lines.push((
            label,
            [
                format!(
                    "peak {} (median; range {} to {}), in {} months",
                    peak(mean),
                    peak(min),
                    peak(max),
                    mean.stats.run_peak.months_above_zero
                ),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        ));
        return lines;
    }
    let c = comparison::cells(mean);
    let largest = |r: &comparison::Row| {
        r.stats.largest.map_or_else(
            || "0".to_string(),
            |l| comparison::difference_text(r, l.difference, l.relative),
        )
    };
    let below = |r: &comparison::Row| r.stats.months_below.to_string();
    let above = |r: &comparison::Row| r.stats.months_above.to_string();
    // The mean and its range to the same decimals, so that a row does not read `−0.142` above
    // `−0.1574 to −0.132`.
    let [mean_largest, low_largest, high_largest] =
        same_decimals([c.largest, largest(min), largest(max)]);
    let [mean_cumulative, low_cumulative, high_cumulative] = same_decimals([
        c.cumulative,
        comparison::cumulative_text(min),
        comparison::cumulative_text(max),
    ]);
    lines.push((
        label,
        [
            mean_largest,
            mean_cumulative,
            format!("{}/{}", s.same_sign, s.seeds),
            below(mean),
            above(mean),
            c.recovery,
        ],
    ));
    lines.push((
        String::new(),
        [
            range_text(&low_largest, &high_largest),
            range_text(&low_cumulative, &high_cumulative),
            String::new(),
            range_text(&below(min), &below(max)),
            range_text(&above(min), &above(max)),
            String::new(),
        ],
    ));
    lines
}

/// A story over several seeds, as `run --seeds` prints it: the story, its expectations with how many
/// seeds met them, and the table of the world's and the focus nations' headline metrics that moved in
/// any seed — each cell the mean over the seeds (months and month counts: the median) with the range
/// on the line below, and how many seeds agree on the sign of the cumulative difference. `data` is the
/// first seed's run (for names); `file` names the file that holds every row.
pub fn ensemble(
    summaries: &[crate::ensemble::Summary],
    views: &[StoryComparison],
    data: &RunData,
    seeds: &[u64],
    file: &str,
) -> String {
    let mut out = String::new();
    let n = seeds.len();
    write_seeds_story(&mut out, views, seeds);
    let blocs = data.bloc_names();
    write_expectations(&mut out, views, &blocs, n);
    let _ = writeln!(out);
    let name = |nation: &str| {
        if nation == comparison::WORLD {
            "World".to_string()
        } else {
            data.nation_label(nation)
        }
    };
    let (lines, quiet) = seed_rows(summaries, name);
    if lines.is_empty() {
        let _ = writeln!(
            out,
            "In every seed, every headline metric stays within 1 % of the counterfactual throughout."
        );
    } else {
        write_seed_table(&mut out, n, &lines);
    }
    if !quiet.is_empty() && !lines.is_empty() {
        let text = format!(
            "{}: every headline metric within 1 % throughout, in every seed",
            quiet.join(", ")
        );
        for line in wrap(&text, WIDTH) {
            let _ = writeln!(out, "{line}");
        }
    }
    let note = format!(
        "(Each cell is the mean over the seeds — months and numbers of months the median — with the \
         range from the least to the greatest seed on the line below; `agree` counts the seeds whose \
         cumulative difference has the mean's sign. {UNITS} Every seed's rows and the summary rows: \
         {file})"
    );
    for line in wrap(&note, WIDTH) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The story's expectations over the seeds, each with how many seeds met it and the range of its effect.
fn write_expectations(
    out: &mut String,
    views: &[StoryComparison],
    blocs: &[(String, String)],
    n: usize,
) {
    let expectations = crate::ensemble::expectations(views);
    if !expectations.is_empty() {
        let _ = writeln!(out, "\nExpectations over the {n} seeds (the mean effect)");
        let first = views.first();
        for e in &expectations {
            let j = &e.judgement;
            let verdict = format!("met {}/{}", e.met, n);
            let range = e
                .range
                .filter(|_| e.judged > 1)
                .map(|(lo, hi)| {
                    let one = |x: f64| {
                        let mut k = j.clone();
                        k.effect = Some(x);
                        comparison::finding(&k, blocs)
                    };
                    format!(" (range {} to {})", one(lo), one(hi))
                })
                .unwrap_or_default();
            let text = format!(
                "{}: {}{range}",
                comparison::claim(j, blocs, |t| first
                    .map_or_else(String::new, |v| v.month(t).to_string())),
                comparison::finding(j, blocs)
            );
            for (i, line) in wrap(&text, WIDTH - 13).into_iter().enumerate() {
                let lead = if i == 0 { verdict.as_str() } else { "" };
                let _ = writeln!(out, "  {lead:<10} {line}");
            }
        }
    }
}

/// The table of `run --seeds`: a header, then each label with its six cells aligned (a nation's line
/// alone; a count's text across the columns; a range line under its mean).
fn write_seed_table(out: &mut String, n: usize, lines: &[(String, [String; 6])]) {
    let title = format!("Mean of {n} seeds, range below");
    let header = [
        title.as_str(),
        "largest difference",
        "cumulative",
        "agree",
        "months >1 % below",
        "above",
        "within 1 % from",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    widths[0] = lines
        .iter()
        .filter(|(_, c)| !c[1].is_empty() || !c[0].is_empty())
        .map(|(l, _)| l.chars().count())
        .fold(widths[0], usize::max);
    for (_, cells) in lines {
        // A count's text runs across the columns.
        if !cells[1].is_empty() || cells[0].is_empty() {
            for (w, text) in widths[1..].iter_mut().zip(cells) {
                *w = (*w).max(text.chars().count());
            }
        }
    }
    let row = |label: &str, cells: &[String]| -> String {
        std::iter::once(label)
            .chain(cells.iter().map(String::as_str))
            .zip(&widths)
            .map(|(text, w)| format!("{text:<w$}"))
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end()
            .to_string()
    };
    let head: Vec<String> = header[1..].iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", row(header[0], &head));
    for (label, cells) in lines {
        if cells.iter().all(String::is_empty) {
            let _ = writeln!(out, "{label}");
        } else if cells[1..].iter().all(String::is_empty) && !label.is_empty() {
            let w = widths[0];
            let _ = writeln!(out, "{label:<w$} {}", cells[0]);
        } else {
            let _ = writeln!(out, "{}", row(label, cells));
        }
    }
}

/// A range `lo to hi`, the unit written once when both share it (`−0.84 to +0.60 pts`), or one
/// value when they are the same.
/// The first number of each text (after its sign), padded with zeros to the most decimals any of them
/// has: `−0.142 (2025-12)`, `−0.1574`, `−0.132` become `−0.1420 (2025-12)`, `−0.1574`, `−0.1320`.
/// Numbers in exponent form are left alone.
fn same_decimals<const N: usize>(texts: [String; N]) -> [String; N] {
    // (start, end, decimals) of the first number of a text.
    let number = |t: &str| -> Option<(usize, usize, usize)> {
        let start = t.find(|c: char| c.is_ascii_digit())?;
        let rest = &t[start..];
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(rest.len());
        let digits = rest[..len].trim_end_matches('.');
        if rest[digits.len()..].starts_with('e') {
            return None;
        }
        let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
        Some((start, start + digits.len(), decimals))
    };
    let most = texts
        .iter()
        .filter_map(|t| number(t))
        .map(|n| n.2)
        .max()
        .unwrap_or(0);
    texts.map(|t| match number(&t) {
        Some((_, end, decimals)) if decimals < most => {
            let point = if decimals == 0 { "." } else { "" };
            format!(
                "{}{point}{}{}",
                &t[..end],
                "0".repeat(most - decimals),
                &t[end..]
            )
        }
        _ => t,
    })
}

fn range_text(lo: &str, hi: &str) -> String {
    if lo == hi {
        return lo.to_string();
    }
    let unit = |t: &str| -> Option<(String, String)> {
        let (number, unit) = t.rsplit_once(' ')?;
        Some((number.to_string(), unit.to_string()))
    };
    match (unit(lo), unit(hi)) {
        (Some((a, u)), Some((b, v))) if u == v => format!("{a} to {b} {u}"),
        _ => format!("{lo} to {hi}"),
    }
}

/// Seeds as `1–4` when consecutive, else listed.
pub fn seed_list(seeds: &[u64]) -> String {
    match seeds {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] if last - first + 1 == seeds.len() as u64 => {
            format!("{first}\u{2013}{last}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

enum Line {
    Heading(String),
    Cells([String; 6]),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mean_and_its_range_read_to_the_same_decimals() {
        let [mean, low, high] = same_decimals([
            "\u{2212}0.142 (2025-12)".to_string(),
            "\u{2212}0.1574".to_string(),
            "\u{2212}0.132".to_string(),
        ]);
        assert_eq!(
            [mean.as_str(), low.as_str(), high.as_str()],
            [
                "\u{2212}0.1420 (2025-12)",
                "\u{2212}0.1574",
                "\u{2212}0.1320"
            ]
        );
        let [a, b, c] = same_decimals([
            "\u{2212}1.73 index-months".to_string(),
            "\u{2212}1.8 index-months".to_string(),
            "0".to_string(),
        ]);
        assert_eq!(
            [a.as_str(), b.as_str(), c.as_str()],
            [
                "\u{2212}1.73 index-months",
                "\u{2212}1.80 index-months",
                "0.00"
            ]
        );
        // Thousands separators and exponents are left as they are.
        let [a, b] = same_decimals(["+1,042 pt-months".to_string(), "1.5e-6".to_string()]);
        assert_eq!([a.as_str(), b.as_str()], ["+1,042 pt-months", "1.5e-6"]);
        assert_eq!(range_text(&b, &b), "1.5e-6");
    }
}

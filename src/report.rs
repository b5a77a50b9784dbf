//! `report.html`: one self-contained page per run for students — the scenario's story, a table of the
//! final month's key numbers, every chart as inline SVG with a "how to read this" note beside it, and the
//! policy events. It loads nothing: no scripts, no stylesheets or fonts from elsewhere (Noto Sans is
//! embedded as a data URI), so it opens offline and looks the same on every machine.

use crate::charts::{self, Chart, ChartSpec, RunChartSpec, fmt_num};
use crate::comparison::StoryComparison;
use crate::run_data::RunData;
use anyhow::Result;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The report's file name inside a run folder.
pub const FILE: &str = "report.html";

/// At most this many policy events are listed; the rest are in `events.parquet`.
const MAX_EVENTS: usize = 60;

/// One row of the key-number table.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyNumber {
    pub label: String,
    pub value: String,
    pub meaning: String,
}

/// The final month's key numbers, in the order the table shows them.
pub fn key_numbers(data: &RunData) -> Vec<KeyNumber> {
    let num = |c: &str, digits: usize| {
        data.global_last(c)
            .filter(|v| v.is_finite())
            .map_or("–".to_string(), |v| format!("{v:.digits$}"))
    };
    let pct = |c: &str| {
        data.global_last(c)
            .filter(|v| v.is_finite())
            .map_or("–".to_string(), |v| format!("{:.1} %", 100.0 * v))
    };
    let row = |label: &str, value: String, meaning: &str| KeyNumber {
        label: label.into(),
        value,
        meaning: meaning.into(),
    };
    let (a, b) = (&data.blocs[0].name, &data.blocs[1].name);
    let mut rows = vec![
        row(
            "Bifurcation index",
            num("bifurcation_index", 3),
            "0: compute flows ignore blocs; 1: every bloc uses only its own",
        ),
        row(
            "Cross-bloc share",
            pct("cross_bloc_share"),
            "compute that nations get from another bloc's suppliers",
        ),
        row(
            "Capability gap",
            format!(
                "{} OOM ({} months)",
                num("capability_gap_oom", 2),
                num("capability_lag_months", 1)
            ),
            &format!(
                "how far the {b}'s frontier trails the {a}'s, in orders of magnitude of training \
                 compute and in months"
            ),
        ),
    ];
    for bloc in &data.blocs {
        rows.push(row(
            &format!("Compute share, {}", bloc.name),
            pct(&format!("compute_share_{}", bloc.id)),
            &format!(
                "share of the world's compute in use on the {}'s side",
                bloc.name
            ),
        ));
    }
    if data.global_last("compute_share_non_aligned").unwrap_or(0.0) > 0.0 {
        rows.push(row(
            "Compute share, non-aligned",
            pct("compute_share_non_aligned"),
            "share used by nations on no bloc's side",
        ));
    }
    rows.push(row(
        "Stranded labs",
        num("stranded_labs", 0),
        "labs cut off from every cloud they could use",
    ));
    rows.push(row(
        "Smuggled chips",
        data.global_last("smuggled_h100e")
            .map_or("–".into(), |v| format!("{} H100e", fmt_num(v))),
        "H100e delivered past export controls in the final month",
    ));
    if let Ok(series) = charts::per_capita_of_focus(data) {
        for (id, pts) in series {
            let v = pts.last().map(|p| p.1).filter(|v| v.is_finite());
            rows.push(row(
                &format!("Compute per capita, {}", data.nation_label(&id)),
                v.map_or("–".into(), |v| {
                    format!("{} H100e per 1000 people", per_thousand(v))
                }),
                "a focus nation's compute in use for every 1000 inhabitants",
            ));
        }
    }
    rows
}

/// Per-1000 values span six orders of magnitude: three significant digits whatever the size.
fn per_thousand(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v >= 100.0 {
        fmt_num(v)
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
        format!("{v:.digits$}")
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` escaped, with `code` spans (between backticks) as `<code>`.
fn esc_code(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", esc(part))
            } else {
                esc(part)
            }
        })
        .collect()
}

/// Standard base64, for the embedded font.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "Noto Sans", sans-serif; color: #1e1e1e; background: #fff; margin: 0;
       line-height: 1.5; font-size: 17px; }
main { max-width: 1480px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 2rem; margin: 0.2em 0 0.1em; overflow-wrap: anywhere; }
h2 { font-size: 1.35rem; margin: 1.8em 0 0.5em; border-top: 1px solid #ddd; padding-top: 1em; }
.chart-section { border-top: 1px solid #ddd; margin-top: 1.8em; padding-top: 1em; }
/* The chart draws its own title; the heading stays for screen readers and the outline, unseen. */
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  clip-path: inset(50%); white-space: nowrap; }
.meta { color: #5a5a5a; margin: 0 0 1em; }
.story { font-size: 1.1rem; max-width: 60em; background: #f4f8fb; border-left: 4px solid #0072B2;
         padding: 0.8em 1.1em; margin: 1em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { text-align: left; padding: 0.35em 0.9em; border-bottom: 1px solid #e2e2e2; vertical-align: top;
         overflow-wrap: break-word; }
.events td:last-child { overflow-wrap: anywhere; }
th { background: #f2f2f2; }
td.value { font-variant-numeric: tabular-nums; white-space: nowrap; font-weight: 600; }
.range { color: #5a5a5a; font-size: 0.85em; }
td.meaning { color: #444; }
dl.words { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.2em 1em; }
dl.words dt { font-weight: 600; }
dl.words dd { margin: 0; color: #444; }
@media (max-width: 480px) { dl.words { grid-template-columns: minmax(0, 1fr); }
                            dl.words dd { margin-bottom: 0.5em; } }
.chart { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16em, 1fr); gap: 24px; align-items: start; }
.chart figure { margin: 0; }
/* A chart never shrinks below the width at which its smallest text is 9.5 px (its inline min-width); a
   narrower screen scrolls the chart sideways inside its own box, never the page. */
.chart .scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
.chart svg { width: 100%; height: auto; display: block; border: 1px solid #eee; box-sizing: border-box; }
.chart svg text { font-family: "Noto Sans", sans-serif; }
.swipe { display: none; color: #5a5a5a; font-size: 0.9rem; margin: 0.3em 0 0; }
.howto { background: #fbf7ee; border-left: 4px solid #E69F00; padding: 0.7em 1em; }
.howto h3 { margin: 0 0 0.3em; font-size: 1.05rem; }
.howto p { margin: 0; }
.files { color: #5a5a5a; font-size: 0.95rem; }
.mechanism { max-width: 60em; }
code { font-family: ui-monospace, monospace; font-size: 0.9em; background: #f2f2f2; padding: 0 0.2em; }
.sources-title { margin-bottom: 0.2em; color: #5a5a5a; }
.sources { margin-top: 0; color: #5a5a5a; }
.note { color: #5a5a5a; font-size: 0.95rem; }
h3 { font-size: 1.12rem; margin: 1.4em 0 0.4em; }
.comparison td, .expectations td { font-variant-numeric: tabular-nums; }
.comparison tr.group th { background: #fff; padding-top: 0.9em; border-bottom: 2px solid #ccc; }
.verdict.met { color: #006b4f; font-weight: 600; }
.verdict.not-met { color: #a33e00; font-weight: 600; }
@media (max-width: 1200px) { .chart { grid-template-columns: minmax(0, 1fr); } }
@media (max-width: 900px) { .swipe { display: block; } }
@media (max-width: 600px) {
  body { font-size: 16px; }
  main { padding: 12px 12px 48px; }
  h1 { font-size: 1.5rem; }
  th, td { padding: 0.3em 0.45em; }
  /* Key numbers as cards: the measure and its value on a line, what it means below. */
  .key-numbers thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .key-numbers tr { display: grid; grid-template-columns: minmax(0, 1fr) auto; column-gap: 0.8em;
                    border-bottom: 1px solid #e2e2e2; padding: 0.45em 0; }
  .key-numbers td { border: 0; padding: 0; }
  .key-numbers td.value { text-align: right; white-space: normal; }
  .key-numbers td.meaning { grid-column: 1 / -1; font-size: 0.92em; }
  /* Wide tables as cards: each cell on a line of its own, named by its column. */
  .cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .cards, .cards tbody, .cards tr, .cards td, .cards th { display: block; }
  .cards tr { border-bottom: 1px solid #e2e2e2; padding: 0.4em 0; }
  .cards td { border: 0; padding: 0.05em 0; }
  .cards td[data-label]::before { content: attr(data-label) ": "; color: #5a5a5a; }
  .cards td.metric { font-weight: 600; }
  .comparison tr.group { border-bottom: 0; padding-bottom: 0; }
  .comparison tr.group th { padding: 0.6em 0 0; border-bottom: 0; font-size: 1.05em; }
}
"#;

/// The report of a run as one HTML document.
/// The page's head, up to the opening of `<main>`.
fn head(h: &mut String, title: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n@font-face {{ font-family: \"Noto Sans\"; font-style: normal; \
         font-weight: 400; src: url(data:font/ttf;base64,{}) format(\"truetype\"); }}\n{STYLE}</style>\n\
         </head>\n<body>\n<main>\n",
        esc(title),
        base64(charts::FONT_REGULAR_TTF)
    );
}

/// A figure as an inline chart section with its "how to read this" note.
fn chart_section(h: &mut String, stem: &str, title: &str, svg: &str, width: u32, how: &str) {
    let svg = svg.replacen(
        "<svg ",
        &format!(
            "<svg role=\"img\" aria-label=\"{}\" style=\"min-width: {}px\" ",
            esc(title),
            legible_width(svg, width)
        ),
        1,
    );
    let _ = writeln!(
        h,
        "<section class=\"chart-section\" id=\"{stem}\">\n<h2 class=\"visually-hidden\">{t}</h2>\n\
         <div class=\"chart\">\n\
         <figure>\n<div class=\"scroll\">\n{svg}</div>\n<p class=\"swipe\">Swipe sideways to see the \
         whole chart.</p>\n</figure>\n<aside class=\"howto\"><h3>How to read this</h3>\n<p>{how}</p>\
         </aside>\n</div>\n</section>",
        t = esc(title),
        how = esc(how),
    );
}

pub fn render(data: &RunData) -> Result<String> {
    let mut h = String::new();
    head(&mut h, &format!("fracture: {}", data.name));
    let _ = writeln!(h, "<h1>Scenario \u{201c}{}\u{201d}</h1>", esc(&data.name));
    let _ = writeln!(
        h,
        "<p class=\"meta\">Simulated by fracture from {} to {} ({} months), seed {}.</p>",
        esc(data.first_month()),
        esc(data.last_month()),
        data.months.len(),
        esc(&data.seed_label())
    );
    let story = if data.description.trim().is_empty() {
        "This scenario has no description.".to_string()
    } else {
        data.description.trim().to_string()
    };
    let _ = writeln!(
        h,
        "<h2>The story</h2>\n<p class=\"story\">{}</p>",
        esc_code(&story)
    );
    words_section(&mut h);
    let comparison = crate::comparison::against_counterfactual(data);
    if let Some(view) = &comparison {
        story_section(&mut h, data, view);
    }

    let _ = writeln!(
        h,
        "<h2>Key numbers in the final month ({})</h2>\n<table class=\"key-numbers\">\n\
         <thead><tr><th>Measure</th><th>Value</th><th>What it means</th></tr></thead>\n<tbody>",
        esc(data.last_month())
    );
    for k in key_numbers(data) {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"value\">{}</td><td class=\"meaning\">{}</td></tr>",
            esc(&k.label),
            esc(&k.value),
            esc(&k.meaning)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");

    for chart in Chart::of(data) {
        chart_section(
            &mut h,
            chart.stem(),
            &chart.title(data),
            &chart.svg(data)?,
            chart.size(data).0,
            &chart.how_to_read(data),
        );
    }

    events_section(&mut h, data)?;
    let _ = writeln!(
        h,
        "<p class=\"files\">The numbers behind this page are in the run folder: global.parquet, \
         nations.parquet, labs.parquet (with lab_ids.parquet), providers.parquet, fabs.parquet, \
         usage.parquet and events.parquet{}, \
         described in the project README; the charts are also there as PNG and SVG files.</p>\n\
         </main>\n</body>\n</html>",
        if comparison.is_some() {
            format!(
                "; the comparison with the counterfactual in {}, the counterfactual's own tables in {}/",
                crate::comparison::FILE,
                crate::output::COUNTERFACTUAL_DIR
            )
        } else {
            String::new()
        }
    );
    Ok(h)
}

/// The words and units the page uses, defined before the first table uses them.
const WORDS: &[(&str, &str)] = &[
    (
        "H100e",
        "H100-equivalents: computing power counted in Nvidia H100s (a B200 is about 2.5, an H20 0.15).",
    ),
    (
        "OOM",
        "orders of magnitude: powers of ten. A gap of 1 OOM in training compute is ten times as much; \
         0.3 OOM is about twice.",
    ),
    (
        "pts",
        "percentage points: the difference of two shares (60 % against 58 % is 2 pts, not 3.4 %).",
    ),
    (
        "pt-months, OOM-months, index-months",
        "a difference summed over the months it lasts: 2 pts for 6 months is 12 pt-months.",
    ),
    (
        "counterfactual",
        "the same scenario file without the story's own policies and triggers, run with the same seed: \
         the world the story is compared with.",
    ),
    (
        "bifurcation index",
        "how closed the blocs are in who buys compute from whom (Newman's assortativity): 0 when nations \
         buy from each bloc as if blocs did not matter, 1 when every bloc uses only its own. It is \
         measured against what chance would give, so a small cross-bloc share can sit beside an index \
         well below 1. A worked example: the US-led side uses 95 % of the world's compute, all of it its \
         own; the China-led side 5 %, of which 1.8 points come from US-led suppliers. The cross-bloc \
         share is 1.8 %, but chance alone would keep 92 % of the flows within blocs (0.95 × 0.968 + \
         0.05 × 0.032), against 98.2 % seen: the index is (0.982 − 0.921) / (1 − 0.921) = 0.77.",
    ),
    (
        "cross-bloc share",
        "the share of the world's compute that nations get from the other bloc's clouds and chips.",
    ),
];

/// The glossary of [`WORDS`].
fn words_section(h: &mut String) {
    let _ = writeln!(h, "<h2>Words and units</h2>\n<dl class=\"words\">");
    for (word, meaning) in WORDS {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(word), esc(meaning));
    }
    let _ = writeln!(h, "</dl>");
}

/// The report of a story run on several seeds (`run --seeds`): the story, its expectations with how
/// many seeds met them, the table of each headline metric's mean, range and sign agreement over the
/// seeds, the spread chart, and links to each seed's own report.
pub fn render_ensemble(e: &crate::ensemble::Ensemble) -> Result<String> {
    let Some(first) = e.runs.first() else {
        anyhow::bail!("an ensemble without runs");
    };
    let n = e.seeds.len();
    let mut h = String::new();
    head(&mut h, &format!("fracture: {}, {n} seeds", first.name));
    let _ = writeln!(
        h,
        "<h1>Scenario \u{201c}{}\u{201d} over {n} seeds</h1>",
        esc(&first.name)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">Simulated by fracture from {} to {} ({} months), seeds {}.</p>",
        esc(first.first_month()),
        esc(first.last_month()),
        first.months.len(),
        esc(&crate::summary::seed_list(&e.seeds))
    );
    let story = if first.description.trim().is_empty() {
        "This scenario has no description.".to_string()
    } else {
        first.description.trim().to_string()
    };
    let _ = writeln!(
        h,
        "<h2>The story</h2>\n<p class=\"story\">{}</p>",
        esc_code(&story)
    );
    if let Some(view) = e.views.first()
        && !view.story.is_empty()
    {
        let _ = writeln!(h, "<p class=\"mechanism\">{}</p>", esc_code(&view.story));
    }
    words_section(&mut h);
    let _ = writeln!(
        h,
        "<h2>Why several seeds</h2>\n<p>The model draws chance events (which labs choose which cloud, \
         smuggling seizures, accusations) from a seeded random stream. One seed's difference between \
         a story and its counterfactual mixes the story's effect with that chance; {n} seeds, each \
         story run against its counterfactual with the same seed, show how much of it holds whatever \
         the draw. Read a difference as an effect when its range stays on one side of zero and every \
         seed agrees on its sign.</p>"
    );
    ensemble_expectations(&mut h, e, first);
    ensemble_table(&mut h, e, first);
    ensemble_spread(&mut h, e, first)?;
    let _ = writeln!(h, "<h2>Each seed</h2>\n<ul class=\"seeds\">");
    for seed in &e.seeds {
        let folder = crate::ensemble::seed_folder(*seed);
        let _ = writeln!(
            h,
            "<li><a href=\"{folder}/{FILE}\">seed {seed}</a>: its own report, tables and charts in \
             {folder}/</li>"
        );
    }
    let _ = writeln!(
        h,
        "</ul>\n<p class=\"files\">Every seed's comparison rows and the summary rows (mean, min and \
         max; <code>row_kind</code> and <code>statistic</code> tell them apart) are in {}.</p>\n\
         </main>\n</body>\n</html>",
        crate::comparison::FILE
    );
    Ok(h)
}

/// The ensemble's expectations, each with its mean over the seeds and how many seeds met it.
fn ensemble_expectations(h: &mut String, e: &crate::ensemble::Ensemble, first: &RunData) {
    let n = e.seeds.len();
    let blocs = first.bloc_names();
    let expectations = crate::ensemble::expectations(&e.views);
    if !expectations.is_empty() {
        let _ = writeln!(
            h,
            "<h3>What the story expects</h3>\n<table class=\"expectations cards\">\n<thead><tr>\
             <th>Expectation</th><th>Mean over the seeds</th><th>Seeds that met it</th></tr></thead>\n<tbody>"
        );
        let view = e.views.first();
        for x in &expectations {
            let _ = writeln!(
                h,
                "<tr><td data-label=\"Expectation\">{}</td><td data-label=\"Mean\">{}</td>\
                 <td data-label=\"Seeds that met it\">{} of {n}</td></tr>",
                esc(&crate::comparison::claim(&x.judgement, &blocs, |t| view
                    .map_or_else(String::new, |v| v.month(t).to_string()))),
                esc(&crate::comparison::finding(&x.judgement, &blocs)),
                x.met
            );
        }
        let _ = writeln!(h, "</tbody>\n</table>");
    }
}

/// The ensemble's table: each headline metric that moved in any seed, its mean, range and the seeds
/// that agree on its sign.
fn ensemble_table(h: &mut String, e: &crate::ensemble::Ensemble, first: &RunData) {
    use crate::comparison::{Measure, cells, cumulative_text, difference_text, moved};
    let n = e.seeds.len();
    let name = |nation: &str| {
        if nation == crate::comparison::WORLD {
            "World".to_string()
        } else {
            first.nation_label(nation)
        }
    };
    let shown: Vec<&crate::ensemble::Summary> = e
        .summaries
        .iter()
        .filter(|s| s.rows.iter().any(moved))
        .collect();
    let _ = writeln!(
        h,
        "<h3>Who loses access, how much and for how long, over {n} seeds</h3>\n<p>Each cell is the \
         mean over the seeds (months and numbers of months: the median), with the range from the \
         least to the greatest seed below it; \u{201c}agree\u{201d} counts the seeds whose cumulative \
         difference has the mean's sign. Differences are the story against each seed's own \
         counterfactual: for amounts as a share of the counterfactual, for shares in percentage \
         points (pts; pt-months sum them over the months).</p>"
    );
    if shown.is_empty() {
        let _ = writeln!(
            h,
            "<p>In every seed, every headline metric stays within 1 % of the counterfactual throughout.</p>"
        );
    } else {
        let _ = writeln!(
            h,
            "<table class=\"comparison cards\">\n<thead><tr><th>Metric</th><th>Largest difference</th>\
             <th>Cumulative</th><th>Seeds that agree</th><th>Months &gt;1 % below</th>\
             <th>Within 1 % from</th></tr></thead>\n<tbody>"
        );
        let mut nation = "";
        for s in shown {
            if s.nation != nation {
                nation = &s.nation;
                let _ = writeln!(
                    h,
                    "<tr class=\"group\"><th colspan=\"6\">{}</th></tr>",
                    esc(&name(nation))
                );
            }
            let (mean, min, max) = (s.mean(), s.min(), s.max());
            if s.metric.measure == Measure::Count {
                let _ = writeln!(
                    h,
                    "<tr><td class=\"metric\">{}</td><td colspan=\"5\">peak {} (median; range {} to {})</td></tr>",
                    esc(&s.metric.label),
                    fmt_num(mean.stats.run_peak.value),
                    fmt_num(min.stats.run_peak.value),
                    fmt_num(max.stats.run_peak.value)
                );
                continue;
            }
            let c = cells(mean);
            let largest = |r: &crate::comparison::Row| {
                r.stats.largest.map_or_else(
                    || "0".to_string(),
                    |l| difference_text(r, l.difference, l.relative),
                )
            };
            let _ = writeln!(
                h,
                "<tr><td class=\"metric\">{}</td><td data-label=\"Largest difference\">{}<br>\
                 <span class=\"range\">{} to {}</span></td><td data-label=\"Cumulative\">{}<br>\
                 <span class=\"range\">{} to {}</span></td><td data-label=\"Seeds that agree\">{} of {}</td>\
                 <td data-label=\"Months &gt;1 % below\">{}<br><span class=\"range\">{} to {}</span></td>\
                 <td data-label=\"Within 1 % from\">{}</td></tr>",
                esc(&s.metric.label),
                esc(&c.largest),
                esc(&largest(min)),
                esc(&largest(max)),
                esc(&c.cumulative),
                esc(&cumulative_text(min)),
                esc(&cumulative_text(max)),
                s.same_sign,
                s.seeds,
                esc(&c.below),
                min.stats.months_below,
                max.stats.months_below,
                esc(&c.recovery)
            );
        }
        let _ = writeln!(h, "</tbody>\n</table>");
    }
}

/// The chart of each headline metric's spread over the seeds.
fn ensemble_spread(h: &mut String, e: &crate::ensemble::Ensemble, first: &RunData) -> Result<()> {
    let n = e.seeds.len();
    let bands = e.bands.clone();
    if !bands.is_empty() {
        let spread = charts::spread::Spread {
            title: format!("\u{201c}{}\u{201d} over {n} seeds", first.name),
            seeds: n,
            bands,
        };
        let svg = charts::figure_svg(&spread)?;
        chart_section(
            h,
            charts::spread::STEM,
            &charts::Figure::title(&spread),
            &svg,
            charts::Figure::size(&spread).0,
            &charts::spread::how_to_read(n),
        );
    }
    Ok(())
}

/// Writes the ensemble's `report.html` into `dir` atomically; returns its path.
pub fn write_ensemble(dir: &Path, e: &crate::ensemble::Ensemble) -> Result<PathBuf> {
    let path = dir.join(FILE);
    crate::fsutil::write_atomic(&path, render_ensemble(e)?.as_bytes())?;
    Ok(path)
}

/// A story's mechanism, sources, expectations and the table of its run against its counterfactual.
fn story_section(h: &mut String, data: &RunData, view: &StoryComparison) {
    if !view.story.is_empty() {
        let _ = writeln!(h, "<p class=\"mechanism\">{}</p>", esc_code(&view.story));
    }
    if !view.sources.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"sources-title\">Sources:</p>\n<ul class=\"sources\">"
        );
        for source in &view.sources {
            let _ = writeln!(h, "<li>{}</li>", esc(source));
        }
        let _ = writeln!(h, "</ul>");
    }
    let cf = data.counterfactual.as_deref();
    let _ = writeln!(
        h,
        "<h2 id=\"against-counterfactual\">Against its counterfactual</h2>\n<p>The counterfactual is the \
         same scenario without the policies and triggers this story adds, changes or removes, run with \
         the same seed ({}) and months; the differences between the two runs are what the story does. \
         {}</p>",
        esc(&cf.map_or_else(|| "?".into(), |c| c.seed_label())),
        match view.start {
            Some(t) => esc(&crate::summary::acts_from(view, t)),
            None => "Nothing of the story's own came into force within the run, so the two runs \
                     are alike."
                .into(),
        }
    );
    if !view.events.is_empty() {
        let _ = writeln!(h, "<ul class=\"own-events\">");
        for e in view.events.iter().take(crate::comparison::MAX_EVENTS) {
            let _ = writeln!(
                h,
                "<li>{}: {} \u{2014} {}</li>",
                esc(&e.month_label),
                esc(crate::comparison::event_words(&e.kind)),
                esc(&e.detail)
            );
        }
        if view.events.len() > crate::comparison::MAX_EVENTS {
            let _ = writeln!(
                h,
                "<li>and {} more, listed under Policy events below</li>",
                view.events.len() - crate::comparison::MAX_EVENTS
            );
        }
        let _ = writeln!(h, "</ul>");
    }
    story_expectations(h, data, view);
    story_table(h, data, view);
}

/// A story's expectations, each with what this run found and its verdict.
fn story_expectations(h: &mut String, data: &RunData, view: &StoryComparison) {
    let blocs = data.bloc_names();
    if !view.judgements.is_empty() {
        let _ = writeln!(
            h,
            "<h3>What the story expects</h3>\n<table class=\"expectations cards\">\n<thead><tr>\
             <th>Expectation</th><th>Found in this run</th><th>Verdict</th></tr></thead>\n<tbody>"
        );
        for j in &view.judgements {
            let verdict = j.verdict();
            let _ = writeln!(
                h,
                "<tr><td data-label=\"Expectation\">{}</td><td data-label=\"Found\">{}</td>\
                 <td data-label=\"Verdict\" class=\"verdict {}\">{}</td></tr>",
                esc(&crate::comparison::claim(j, &blocs, |t| view
                    .month(t)
                    .to_string())),
                esc(&crate::comparison::finding(j, &blocs)),
                verdict.replace(' ', "-"),
                verdict
            );
        }
        let _ = writeln!(
            h,
            "</tbody>\n</table>\n<p class=\"note\">One seed. The project's tests hold every shipped \
             story to its expectations as the mean over four seeds, at least three standard errors from \
             zero.</p>"
        );
    }
}

/// The table of a story's headline metrics that moved against its counterfactual, nation by nation.
fn story_table(h: &mut String, data: &RunData, view: &StoryComparison) {
    let (shown, quiet) = crate::comparison::moved_by_nation(&view.rows);
    let name = |nation: &str| {
        if nation == crate::comparison::WORLD {
            "World".to_string()
        } else {
            data.nation_label(nation)
        }
    };
    let _ = writeln!(
        h,
        "<h3>Who loses access, how much and for how long</h3>\n<p>For the world and the focus nations, \
         each headline metric in the story against the counterfactual: the largest difference and its \
         month (for amounts as a share of the counterfactual, for shares in percentage points), the \
         cumulative difference over the run, the months more than 1 % below and above the \
         counterfactual (1 % of its value that month; at least 0.01 points for shares), and the month \
         from which the story stays within 1 % of it to the end.</p>"
    );
    if shown.is_empty() {
        let _ = writeln!(
            h,
            "<p>Every headline metric stays within 1 % of the counterfactual throughout.</p>"
        );
    } else {
        let _ = writeln!(
            h,
            "<table class=\"comparison cards\">\n<thead><tr><th>Metric</th><th>Largest difference</th>\
             <th>Cumulative</th><th>Months &gt;1 % below</th><th>Months &gt;1 % above</th>\
             <th>Within 1 % from</th></tr></thead>\n<tbody>"
        );
        for (nation, rows) in &shown {
            let _ = writeln!(
                h,
                "<tr class=\"group\"><th colspan=\"6\">{}</th></tr>",
                esc(&name(nation))
            );
            for r in rows {
                if r.metric.measure == crate::comparison::Measure::Count {
                    let _ = writeln!(
                        h,
                        "<tr><td class=\"metric\">{}</td><td colspan=\"5\">{}</td></tr>",
                        esc(&r.metric.label),
                        esc(&crate::comparison::peak_text(r, "counterfactual"))
                    );
                    continue;
                }
                let c = crate::comparison::cells(r);
                let _ = writeln!(
                    h,
                    "<tr><td class=\"metric\">{}</td><td data-label=\"Largest difference\">{}</td>\
                     <td data-label=\"Cumulative\">{}</td><td data-label=\"Months &gt;1 % below\">{}</td>\
                     <td data-label=\"Months &gt;1 % above\">{}</td>\
                     <td data-label=\"Within 1 % from\">{}</td></tr>",
                    esc(&r.metric.label),
                    esc(&c.largest),
                    esc(&c.cumulative),
                    esc(&c.below),
                    esc(&c.above),
                    esc(&c.recovery)
                );
            }
        }
        let _ = writeln!(h, "</tbody>\n</table>");
    }
    if !quiet.is_empty() && !shown.is_empty() {
        let names: Vec<String> = quiet.iter().map(|n| name(n)).collect();
        let _ = writeln!(
            h,
            "<p>{}: every headline metric within 1 % of the counterfactual throughout.</p>",
            esc(&names.join(", "))
        );
    }
}

fn events_section(h: &mut String, data: &RunData) -> Result<()> {
    let kinds: Vec<&str> = charts::EVENT_KINDS.iter().map(|k| k.0).collect();
    let events = data.events_of(&kinds)?;
    let _ = writeln!(h, "<h2>Policy events</h2>");
    if events.is_empty() {
        let _ = writeln!(
            h,
            "<p>No policy was switched on or off, no ban imposed and no trigger fired.</p>"
        );
        return Ok(());
    }
    let _ = writeln!(
        h,
        "<p>Policies switched on and off, cloud bans and triggers fired, in order ({} in all{}).</p>\n\
         <table class=\"events\">\n<thead><tr><th>Month</th><th>Event</th><th>Detail</th></tr></thead>\n<tbody>",
        events.len(),
        if events.len() > MAX_EVENTS {
            format!("; the first {MAX_EVENTS} are listed, the rest are in events.parquet")
        } else {
            String::new()
        }
    );
    for e in events.iter().take(MAX_EVENTS) {
        let kind = charts::EVENT_KINDS
            .iter()
            .find(|k| k.0 == e.kind)
            .map_or(e.kind.as_str(), |k| k.1);
        let mut detail = e.detail.clone();
        if !e.provider.is_empty() && !detail.contains(&e.provider) {
            detail = format!("{detail} (provider {})", e.provider);
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.month_label),
            esc(kind),
            esc(&detail)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    Ok(())
}

/// The smallest size, in CSS pixels, at which chart text is drawn: a chart shrinks no further.
pub const MIN_TEXT_PX: f64 = 9.5;

/// The least width (CSS pixels) at which the SVG's smallest text (`font-size` in its user units, the
/// document `width` user units wide) renders at [`MIN_TEXT_PX`].
fn legible_width(svg: &str, width: u32) -> u32 {
    let smallest = svg
        .split("font-size=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min);
    if smallest.is_finite() && smallest > 0.0 {
        (width as f64 * MIN_TEXT_PX / smallest)
            .ceil()
            .min(width as f64) as u32
    } else {
        0
    }
}

/// Writes `report.html` into `dir` atomically; returns its path.
pub fn write(dir: &Path, data: &RunData) -> Result<PathBuf> {
    let path = dir.join(FILE);
    crate::fsutil::write_atomic(&path, render(data)?.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The glossary's worked example is what the metrics compute: US-led users 0.95 all their own,
    /// China-led users 0.05 of which 0.018 from US-led suppliers.
    #[test]
    fn the_glossarys_worked_example_is_the_metrics_own() {
        let flows = vec![vec![0.95, 0.0], vec![0.018, 0.032]];
        let index = crate::indices::bifurcation_index(&flows);
        let cross = crate::indices::cross_bloc_share(&flows);
        let example = WORDS
            .iter()
            .find(|(w, _)| *w == "bifurcation index")
            .unwrap()
            .1;
        assert!((cross - 0.018).abs() < 1e-12 && example.contains("1.8 %"));
        assert_eq!(format!("{index:.2}"), "0.77");
        assert!(example.contains("= 0.77"), "{example}");
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn a_chart_keeps_the_width_at_which_its_smallest_text_is_legible() {
        let svg =
            r#"<svg width="1200"><text font-size="20">a</text><text font-size="12">b</text></svg>"#;
        assert_eq!(legible_width(svg, 1200), 950);
        assert_eq!(legible_width("<svg width=\"1200\"></svg>", 1200), 0);
        // Never wider than the chart itself.
        assert_eq!(legible_width(r#"<text font-size="5">x</text>"#, 1200), 1200);
    }

    #[test]
    fn escaping_and_small_numbers() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            esc_code("raise `lambda` & `p<1`"),
            "raise <code>lambda</code> &amp; <code>p&lt;1</code>"
        );
        assert_eq!(per_thousand(0.000123), "0.000123");
        assert_eq!(per_thousand(14279.9), "14,280");
        assert_eq!(per_thousand(1.5), "1.50");
    }
}

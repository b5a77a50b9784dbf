//! Charts and the report as a reader meets them: real PNG and SVG files of the promised size with their
//! titles and axis labels, `run`, `plot`, `compare` and `report` from the command line, a report that
//! holds every chart and the key numbers and loads nothing from elsewhere, and that report opened in a
//! real headless browser without console errors.

mod common;

use common::{fracture, text};
use fracture::charts::compare::CompareChart;
use fracture::charts::{self, Chart, ChartSpec, RunData};
use fracture::output::Manifest;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const MONTHS: u32 = 24;

/// A 24-month baseline run in memory, shared by the tests of this file.
fn baseline() -> &'static RunData {
    static DATA: OnceLock<RunData> = OnceLock::new();
    DATA.get_or_init(|| run_data("baseline", &[]))
}

/// A 24-month run of the alibaba-ban story with its counterfactual, shared by the tests of this file.
fn story() -> &'static RunData {
    static DATA: OnceLock<RunData> = OnceLock::new();
    DATA.get_or_init(|| {
        let sets = common::sets(&[format!("scenario.months={MONTHS}")]);
        let cf = fracture::scenario::load_counterfactual("alibaba-ban", &sets)
            .unwrap()
            .unwrap();
        let s = &cf.scenario;
        let outputs = fracture::simulate(s, s.scenario.seed).unwrap();
        let manifest = Manifest::new(s, s.scenario.seed, cf.files.clone());
        let cf = RunData::new(&outputs, &serde_json::to_value(&manifest).unwrap(), &[]).unwrap();
        run_data("alibaba-ban", &[]).with_counterfactual(cf)
    })
}

fn run_data(scenario: &str, focus: &[&str]) -> RunData {
    let loaded = fracture::scenario::load(
        scenario,
        &common::sets(&[format!("scenario.months={MONTHS}")]),
    )
    .expect("shipped scenario loads");
    let s = &loaded.scenario;
    let outputs = fracture::simulate(s, s.scenario.seed).expect("simulation runs");
    let manifest = Manifest::new(s, s.scenario.seed, loaded.files.clone());
    let focus: Vec<String> = focus.iter().map(|f| f.to_string()).collect();
    RunData::new(&outputs, &serde_json::to_value(&manifest).unwrap(), &focus).unwrap()
}

/// Width and height from a PNG's signature and IHDR chunk; panics unless the file is a PNG.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 33,
        "{} is too short for a PNG",
        path.display()
    );
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} has no PNG signature",
        path.display()
    );
    assert_eq!(&bytes[8..12], &[0, 0, 0, 13], "IHDR length");
    assert_eq!(&bytes[12..16], b"IHDR", "{}: first chunk", path.display());
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!(
        &bytes[bytes.len() - 8..bytes.len() - 4],
        b"IEND",
        "PNG ends"
    );
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Width and height of an SVG document's root element; panics unless it is one.
fn svg_size(svg: &str) -> (u32, u32) {
    let start = svg.find("<svg").expect("an <svg> element");
    let tag = &svg[start..start + svg[start..].find('>').expect("the tag closes")];
    let attr = |name: &str| -> u32 {
        let key = format!(" {name}=\"");
        let i = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + key.len();
        tag[i..i + tag[i..].find('"').unwrap()].parse().unwrap()
    };
    assert!(tag.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"), "the SVG is complete");
    (attr("width"), attr("height"))
}

/// Text as the SVG backend escapes it.
fn svg_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn no_temporary_files(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        left.is_empty(),
        "temporary files left in {}: {left:?}",
        dir.display()
    );
}

#[test]
fn every_chart_is_a_png_and_an_svg_of_its_size_with_title_and_axis_labels() {
    assert_eq!(
        Chart::of(baseline()),
        Chart::ALL[1..],
        "no counterfactual, no chart of it"
    );
    assert_eq!(
        Chart::of(story()),
        Chart::ALL,
        "a story has every chart, its counterfactual first"
    );
    assert_eq!(Chart::ALL[0], Chart::Counterfactual);
    for data in [baseline(), story()] {
        check_every_chart(data);
    }
}

#[test]
fn every_chart_has_a_file_name_of_its_own() {
    let mut stems: Vec<&str> = Chart::ALL.iter().map(|c| c.stem()).collect();
    stems.extend(CompareChart::ALL.iter().map(|c| c.stem()));
    let n = stems.len();
    stems.sort_unstable();
    stems.dedup();
    assert_eq!(stems.len(), n, "two charts would write the same files");
}

fn check_every_chart(data: &RunData) {
    let dir = tempfile::tempdir().unwrap();
    let written = charts::write_charts(dir.path(), data).unwrap();
    assert_eq!(written.len(), 2 * Chart::of(data).len());
    for chart in Chart::of(data) {
        let (w, h) = chart.size(data);
        let png = dir.path().join(format!("{}.png", chart.stem()));
        assert_eq!(png_size(&png), (w, h), "{}", png.display());
        let svg_path = dir.path().join(format!("{}.svg", chart.stem()));
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        assert_eq!(svg_size(&svg), (w, h), "{}", svg_path.display());
        let title = chart.title(data);
        assert!(
            svg.contains(&svg_escaped(&title)),
            "{}: no title {title:?}",
            chart.stem()
        );
        let labels = chart.axis_labels(data);
        assert!(
            labels.len() >= 2,
            "{}: an x and a y axis label",
            chart.stem()
        );
        for label in labels {
            assert!(
                svg.contains(&svg_escaped(&label)),
                "{}: no axis label {label:?}",
                chart.stem()
            );
        }
        // No tick reads as a rounding error beside zero (−2e-16 for 0).
        for exp in 10..=330 {
            assert!(
                !svg.contains(&format!("e-{exp}<")),
                "{}: a label ends in e-{exp}",
                chart.stem()
            );
        }
        // Text is drawn in the embedded font's family, with a sans-serif fallback for SVG viewers.
        assert!(svg.contains(&format!("font-family=\"{}\"", charts::FONT)));
        // The PNG is the chart's size and is drawn on: more than 2 % of its pixels are not the
        // background (the title, axes, lines and legend), and it has more than a handful of colours.
        let image = image::open(&png).unwrap().to_rgb8();
        assert_eq!(
            image.dimensions(),
            (charts::WIDTH, chart.height(data)),
            "{}",
            png.display()
        );
        let background = *image.get_pixel(0, 0);
        let drawn = image.pixels().filter(|p| **p != background).count();
        assert!(
            drawn * 50 > image.pixels().len(),
            "{}: {drawn} pixels drawn",
            png.display()
        );
        let colours: std::collections::HashSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 16,
            "{}: {} colours",
            png.display(),
            colours.len()
        );
    }
    no_temporary_files(dir.path());
}

#[test]
fn bloc_names_come_from_the_columns_and_the_legend_names_every_bloc() {
    let data = baseline();
    let ids: Vec<&str> = data.blocs.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["west", "china"]);
    let svg = Chart::ComputeAccess.svg(data).unwrap();
    for b in &data.blocs {
        assert!(
            svg.contains(&svg_escaped(&b.name)),
            "legend names {}",
            b.name
        );
    }
    assert!(svg.contains("World total"));
    // The note mentions a non-aligned line only when the chart draws one.
    use fracture::charts::RunChartSpec;
    let non_aligned = fracture::run_data::floats(&data.global, "compute_share_non_aligned")
        .map(|v| v.iter().any(|&x| x > 0.0))
        .unwrap_or(false);
    assert_eq!(
        Chart::ComputeAccess
            .how_to_read(data)
            .contains("non-aligned"),
        non_aligned
    );
    assert_eq!(svg.contains("Non-aligned nations"), non_aligned);
}

#[test]
fn the_clouds_chart_reads_the_providers_table_and_is_left_out_without_it() {
    let data = baseline();
    // Every cloud of the scenario, each in one of the run's blocs, month by month.
    let capacity = data.provider_series("capacity_h100e").unwrap();
    assert_eq!(capacity.len(), 16);
    for series in &capacity {
        assert!(
            data.blocs.iter().any(|b| b.id == series.bloc),
            "{}",
            series.id
        );
        assert_eq!(series.points.len(), MONTHS as usize);
    }
    let svg = Chart::Clouds.svg(data).unwrap();
    for b in &data.blocs {
        assert!(svg.contains(&svg_escaped(&format!("{}'s clouds", b.name))));
    }
    // A folder without providers.parquet (a counterfactual's, an older run's) has no such chart, and its
    // other charts are still drawn.
    let mut without = data.clone();
    without.providers = polars::prelude::DataFrame::empty();
    let charts = Chart::of(&without);
    assert!(!charts.contains(&Chart::Clouds));
    assert_eq!(charts.len(), Chart::of(data).len() - 1);
}

#[test]
fn focus_nations_pick_the_per_capita_lines() {
    let default = baseline();
    assert_eq!(default.focus, ["KE", "BR", "IN", "US", "CN"]);
    let svg = Chart::ComputePerCapita.svg(default).unwrap();
    assert!(svg.contains("Kenya (KE)"));

    let chosen = run_data("baseline", &["NG", "DE"]);
    let svg = Chart::ComputePerCapita.svg(&chosen).unwrap();
    assert!(svg.contains("Nigeria (NG)") && svg.contains("Germany (DE)"));
    assert!(
        !svg.contains("Kenya (KE)"),
        "only the chosen nations are drawn"
    );
}

#[test]
fn the_report_holds_every_chart_the_key_numbers_and_nothing_from_elsewhere() {
    let data = baseline();
    let html = fracture::report::render(data).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg ").count(),
        Chart::of(data).len(),
        "one inline SVG per chart"
    );
    assert_eq!(
        html.matches("How to read this").count(),
        Chart::of(data).len()
    );
    for chart in Chart::of(data) {
        assert!(
            html.contains(&format!("id=\"{}\"", chart.stem())),
            "{}",
            chart.stem()
        );
    }
    let story = data
        .description
        .trim()
        .replace('&', "&amp;")
        .replace('\'', "&#39;");
    assert!(
        !story.is_empty() && html.contains(&story),
        "the scenario's story"
    );

    // The key-number table: every promised row, with the final month's values.
    let table = &html[html.find("class=\"key-numbers\"").expect("the table")..];
    let table = &table[..table.find("</table>").unwrap()];
    let bif = data.global_last("bifurcation_index").unwrap();
    let stranded = data.global_last("stranded_labs").unwrap();
    for needle in [
        "Bifurcation index".to_string(),
        format!("{bif:.3}"),
        "Cross-bloc share".into(),
        "Capability gap".into(),
        "OOM".into(),
        "Compute share, US-led bloc".into(),
        "Compute share, China-led bloc".into(),
        "Stranded labs".into(),
        format!("{stranded:.0}"),
        "Smuggled chips".into(),
        "Compute per capita, Kenya (KE)".into(),
        "Compute per capita, United States (US)".into(),
    ] {
        assert!(table.contains(&needle), "the key numbers lack {needle:?}");
    }
    let rows = fracture::report::key_numbers(data);
    assert_eq!(
        table.matches("<tr>").count(),
        rows.len() + 1,
        "a header and the rows"
    );

    // Self-contained: no scripts, no linked files, nothing fetched; the font is embedded.
    for banned in [
        "<script",
        "<link",
        "<img",
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
    ] {
        assert!(
            !html.contains(banned),
            "the report must not contain {banned}"
        );
    }
    assert!(html.contains("url(data:font/ttf;base64,"));
}

#[test]
fn run_writes_charts_and_report_and_plot_and_report_redraw_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = fracture(
        &["run", "--months", "24", "--out", "res", "-q", "--report"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let res = tmp.path().join("res");
    for chart in Chart::of(&RunData::read(&res, &[]).unwrap()) {
        for ext in ["png", "svg"] {
            assert!(res.join(format!("{}.{ext}", chart.stem())).is_file());
        }
    }
    assert!(res.join("report.html").is_file());
    no_temporary_files(tmp.path());
    no_temporary_files(&res);

    // `plot` redraws from the Parquet files, with other focus nations.
    let per_capita = res.join("compute_per_capita.svg");
    std::fs::remove_file(&per_capita).unwrap();
    std::fs::remove_file(res.join("alignment_heatmap.png")).unwrap();
    let out = fracture(&["plot", "res", "--focus", "NG,DE"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(res.join("alignment_heatmap.png").is_file());
    let svg = std::fs::read_to_string(&per_capita).unwrap();
    assert!(svg.contains("Nigeria (NG)") && !svg.contains("Kenya (KE)"));

    // `report` rewrites report.html from the folder.
    std::fs::remove_file(res.join("report.html")).unwrap();
    let out = fracture(&["report", "res", "--focus", "BR"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(res.join("report.html")).unwrap();
    assert!(html.contains("Compute per capita, Brazil (BR)"));
    assert!(html.contains("Scenario \u{201c}baseline\u{201d}"));
    no_temporary_files(&res);

    // Without --report, run writes the charts but no report.
    let out = fracture(
        &["run", "--months", "6", "--out", "plain", "-q"],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tmp.path().join("plain/bifurcation.png").is_file());
    assert!(!tmp.path().join("plain/report.html").exists());

    // Plotting a folder that is not a run fails and says why.
    let out = fracture(&["plot", "nothing-here"], tmp.path());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("nothing-here"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn compare_overlays_runs_and_draws_their_differences() {
    let tmp = tempfile::tempdir().unwrap();
    for (scenario, out) in [("baseline", "a"), ("full-decoupling", "b")] {
        let o = fracture(
            &["run", scenario, "--months", "24", "--out", out, "-q"],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let out = fracture(&["compare", "a", "b", "--out", "cmp"], tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let runs: Vec<RunData> = ["a", "b"]
        .iter()
        .map(|d| RunData::read(&tmp.path().join(d), &[]).unwrap())
        .collect();
    let cmp = tmp.path().join("cmp");
    for chart in CompareChart::ALL {
        let size = chart.size(&runs);
        assert_eq!(png_size(&cmp.join(format!("{}.png", chart.stem()))), size);
        let svg = std::fs::read_to_string(cmp.join(format!("{}.svg", chart.stem()))).unwrap();
        assert_eq!(svg_size(&svg), size);
        assert!(svg.contains(&svg_escaped(&chart.title(&runs))));
        for label in chart.axis_labels(&runs) {
            assert!(
                svg.contains(&svg_escaped(&label)),
                "{}: {label}",
                chart.stem()
            );
        }
    }
    let diff = std::fs::read_to_string(cmp.join("compare_difference.svg")).unwrap();
    assert!(diff.contains("full-decoupling") && diff.contains("baseline"));
    no_temporary_files(&cmp);

    let one = fracture(&["compare", "a", "--out", "cmp1"], tmp.path());
    assert!(!one.status.success(), "a comparison needs two runs");
}

// ---------------------------------------------------------------------------------------------------
// The report in a real browser.

fn chromium() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromium");
    if !path.exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/install-chromium");
        let status = Command::new("bash")
            .arg(&script)
            .status()
            .expect("the install script runs");
        assert!(status.success(), "{} failed", script.display());
    }
    assert!(path.exists(), "chromium is installed");
    path
}

/// Opens `page` in headless chromium; returns (DOM after load, console lines from its log).
fn open_in_chromium(page: &Path, extra: &[String]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    args.extend(extra.iter().cloned());
    args.push(format!("file://{}", page.display()));
    let out = Command::new(chromium())
        .args(&args)
        .output()
        .expect("chromium runs");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    let console = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (text(&out.stdout), console)
}

#[test]
fn the_report_opens_in_headless_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let report = fracture::report::write(dir.path(), baseline()).unwrap();

    // The check can fail: a page that logs an error is caught.
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        "<!DOCTYPE html><html><body><script>console.error('boom'); undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let (_, console) = open_in_chromium(&broken, &["--dump-dom".into()]);
    assert!(
        console.iter().any(|l| l.contains("boom")),
        "console errors are visible in chromium's log: {console:?}"
    );

    let (dom, console) = open_in_chromium(&report, &["--dump-dom".into()]);
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(
        dom.matches("<svg ").count(),
        Chart::of(baseline()).len(),
        "every chart renders"
    );
    assert!(dom.contains("Key numbers in the final month"));

    let shot = dir.path().join("report.png");
    let (_, console) = open_in_chromium(
        &report,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
        ],
    );
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(png_size(&shot), (1280, 2400));
}

#[test]
fn sixteen_focus_nations_are_told_apart_by_dashes_and_labels_at_the_line_ends() {
    let focus = [
        "KE", "BR", "IN", "US", "CN", "NG", "DE", "FR", "JP", "ID", "ZA", "MX", "EG", "PK", "VN",
        "AR",
    ];
    let data = run_data("baseline", &focus);
    assert_eq!(data.focus, focus);
    let svg = Chart::ComputePerCapita.svg(&data).unwrap();
    let drawn = charts::per_capita_of_focus(&data).unwrap();
    assert_eq!(drawn.len(), focus.len());
    for (id, pts) in &drawn {
        // In the legend by name, and at the end of its line by code.
        assert!(svg.contains(&svg_escaped(&data.nation_label(id))), "{id}");
        if pts.iter().any(|p| p.1 > 0.0) {
            assert!(svg.contains(&format!(">\n{id}\n</text>")), "no label {id}");
        }
    }
    // The eight Okabe–Ito colours each carry a solid and a dashed line: a dashed line is drawn as many
    // short strokes, so every colour has far more strokes than with one solid line per colour.
    let strokes = |svg: &str, color: &str| svg.matches(&format!("stroke=\"{color}\"")).count();
    let few = Chart::ComputePerCapita.svg(baseline()).unwrap();
    for color in ["#0072B2", "#D55E00", "#009E73", "#E69F00"] {
        assert!(
            strokes(&svg, color) > strokes(&few, color) + 10,
            "{color}: {} strokes with 16 nations, {} with 5",
            strokes(&svg, color),
            strokes(&few, color)
        );
    }
}

#[test]
fn a_story_report_tells_the_story_against_its_counterfactual() {
    let data = story();
    let html = fracture::report::render(data).unwrap();
    assert_eq!(html.matches("<svg ").count(), Chart::of(data).len());
    let svg = Chart::Counterfactual.svg(data).unwrap();
    for f in &data.focus {
        assert!(svg.contains(&svg_escaped(&data.nation_label(f))), "{f}");
    }
    let section = &html[html
        .find("id=\"against-counterfactual\"")
        .expect("the story's section")..];
    for needle in [
        "It acts from 2025-03.",
        "What the story expects",
        "compute (H100e) of KE + BR lower by at least 0.20 %",
        "Who loses access, how much and for how long",
        "Kenya (KE)",
        "Brazil (BR)",
        "stranded labs",
        "(counterfactual: none)",
    ] {
        assert!(section.contains(needle), "the section lacks {needle:?}");
    }
    let mechanism = data.scenario.as_ref().unwrap().scenario.story.clone();
    let first = mechanism.split(". ").next().unwrap();
    assert!(html.contains(first), "the story's paragraph");
    assert!(
        html.contains("<code>lambda</code>"),
        "code spans in the story"
    );
    assert!(
        html.contains("Alibaba Cloud&#39;s 2025 regions"),
        "its sources"
    );
    // Every unit the story's table uses is defined before the table: H100e, pts, pt-months, OOM.
    let table = html.find("Who loses access").expect("the story's table");
    for word in [
        "<dt>H100e</dt>",
        "<dt>pts</dt>",
        "<dt>pt-months, OOM-months, index-months</dt>",
        "<dt>OOM</dt>",
        "<dt>bifurcation index</dt>",
    ] {
        let at = html.find(word).unwrap_or_else(|| panic!("no {word:?}"));
        assert!(
            at < table,
            "{word:?} is defined after the table that uses it"
        );
    }
    assert!(
        html.find("<dt>H100e</dt>").unwrap() < html.find("(H100e)").unwrap(),
        "H100e defined before its first use"
    );
}

#[test]
fn the_report_fits_a_phone_screen_with_chart_text_of_9_px_or_more() {
    let dir = tempfile::tempdir().unwrap();
    // A story's report: the widest content there is, with the comparison table and its chart.
    let report = fracture::report::write(dir.path(), story()).unwrap();
    fits_a_phone(&report, 100.0);
}

/// The report of a story over seeds (`run --seeds`): its table of means and ranges and its spread chart
/// fit the phone as the single run's report does.
#[test]
fn the_report_of_seeds_fits_a_phone_screen() {
    let dir = tempfile::tempdir().unwrap();
    let ensemble =
        fracture::ensemble::Ensemble::new(vec![1, 2], vec![story().clone(), story().clone()]);
    assert!(!ensemble.summaries.is_empty());
    let report = fracture::report::write_ensemble(dir.path(), &ensemble).unwrap();
    fits_a_phone(&report, 20.0);
}

/// Opens `report` in a 390-px frame in headless chromium: the page must not scroll sideways, and its
/// chart text (more than `texts` pieces of it) must be 9 px or more.
fn fits_a_phone(report: &std::path::Path, texts: f64) {
    let dir = report.parent().unwrap();
    // Headless chromium keeps its window at least 500 px wide, so the phone is a 390-px iframe. The
    // report inside it is a copy with a script that measures the page as laid out and posts the numbers
    // to the outer page, which writes them into its DOM for chromium to dump (the report itself holds
    // no script).
    let measure = r#"<script>
(function () {
  var smallest = Infinity, which = "", texts = 0;
  document.querySelectorAll("svg text").forEach(function (t) {
    if (!t.textContent.trim()) return;
    var m = t.getScreenCTM();
    var px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    texts += 1;
    if (px < smallest) { smallest = px; which = t.textContent.trim(); }
  });
  var de = document.documentElement;
  parent.postMessage("viewport=" + de.clientWidth + " document=" +
    Math.max(de.scrollWidth, document.body.scrollWidth) + " texts=" + texts +
    " smallest=" + smallest.toFixed(2) + " which=" + which, "*");
})();
</script>"#;
    let html = std::fs::read_to_string(report).unwrap();
    std::fs::write(
        dir.join("probe.html"),
        html.replace("</body>", &format!("{measure}\n</body>")),
    )
    .unwrap();
    let phone = dir.join("phone.html");
    std::fs::write(
        &phone,
        r#"<!DOCTYPE html><html><body style="margin:0"><pre id="measured"></pre>
<script>window.addEventListener("message", function (e) {
  document.getElementById("measured").textContent = e.data; });</script>
<iframe src="probe.html" style="width:390px;height:844px;border:0"></iframe></body></html>"#,
    )
    .unwrap();
    let (dom, console) = open_in_chromium(
        &phone,
        &[
            "--dump-dom".into(),
            "--hide-scrollbars".into(),
            "--virtual-time-budget=5000".into(),
        ],
    );
    assert!(console.is_empty(), "console messages: {console:#?}");
    let tag = "<pre id=\"measured\">";
    let line = dom
        .find(tag)
        .map(|i| &dom[i + tag.len()..])
        .and_then(|rest| rest.split("</pre>").next())
        .filter(|l| l.contains("viewport="))
        .unwrap_or_else(|| panic!("no measurement in the dumped DOM:\n{dom}"));
    let field = |name: &str| -> f64 {
        let v = line.split(&format!("{name}=")).nth(1).unwrap();
        v.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert_eq!(field("viewport"), 390.0, "{line}");
    assert!(
        field("document") <= 390.0,
        "the page scrolls sideways: {line}"
    );
    assert!(
        field("texts") > texts,
        "the charts' text was measured: {line}"
    );
    assert!(field("smallest") >= 9.0, "chart text under 9 px: {line}");
}

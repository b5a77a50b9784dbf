//! A story against its counterfactual, as a user meets it: `run` of a story also runs the same file
//! without its own policies and triggers, with the same seed, and writes it and the comparison into the
//! run folder; the printed summary and the report tell who loses access, how much and for how long;
//! `compare` prints the same table and writes `compare.parquet`, one row per run × nation × metric, whose
//! numbers are those of the runs' own tables.

mod common;

use common::fracture;
use fracture::output::read_parquet;
use polars::prelude::*;
use std::path::Path;

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = fracture(args, cwd);
    assert!(
        out.status.success(),
        "fracture {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn strings(df: &DataFrame, column: &str) -> Vec<String> {
    fracture::run_data::strings(df, column).unwrap()
}

fn floats(df: &DataFrame, column: &str) -> Vec<f64> {
    fracture::run_data::floats(df, column).unwrap()
}

/// A nation's series of a nations-table column.
fn nation(df: &DataFrame, id: &str, column: &str) -> Vec<f64> {
    strings(df, "nation")
        .iter()
        .zip(floats(df, column))
        .filter(|(n, _)| *n == id)
        .map(|(_, v)| v)
        .collect()
}

/// The row of a `compare.parquet` table for (run, nation, metric), as a one-row frame.
fn row(df: &DataFrame, run: &str, nation: &str, metric: &str) -> DataFrame {
    let (r, n, m) = (
        strings(df, "run"),
        strings(df, "nation"),
        strings(df, "metric"),
    );
    let mask: BooleanChunked = (0..df.height())
        .map(|i| r[i] == run && n[i] == nation && m[i] == metric)
        .collect();
    let found = df.filter(&mask).unwrap();
    assert_eq!(found.height(), 1, "one row for {run}, {nation}, {metric}");
    found
}

fn cell_f64(df: &DataFrame, column: &str) -> Option<f64> {
    df.column(column)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
}

fn cell_str(df: &DataFrame, column: &str) -> Option<String> {
    df.column(column)
        .unwrap()
        .str()
        .unwrap_or_else(|_| panic!("{column} is a plain string column"))
        .get(0)
        .map(str::to_string)
}

/// A story over the baseline: Alibaba Cloud banned in the UK-led board's nations, Kenya among them, for
/// six months from April 2025.
const BAN: &str = r#"extends = "baseline"

[scenario]
name = "kenya-ban"
description = "Alibaba Cloud banned in the board's nations for six months."
story = "The UK-led board bans Alibaba Cloud in its signatory nations from April to September 2025."
sources = ["A test"]
focus = ["KE", "US"]

[[scenario.expect]]
metric = "compute_h100e"
nations = ["KE"]
direction = "lower"
months = 6
min_effect = 0.01
relative = true

[[policy]]
name = "board-ban"
kind = "cloud_ban"
by = ["uk-board-signatories"]
providers = ["alibaba-cloud"]
targets = ["uk-board-signatories"]
start = "2025-04"
end = "2025-09"
"#;

/// World metrics for two blocs (compute, two compute shares, unmet share, capability gap,
/// bifurcation, stranded labs) and nation metrics (compute, unmet share, price paid, price index, two
/// supply shares, stranded labs).
const WORLD_METRICS: usize = 7;
const NATION_METRICS: usize = 7;

#[test]
fn a_ban_shows_kenya_below_its_counterfactual_while_it_lasts_and_back_after() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ban.toml"), BAN).unwrap();
    let printed = ok(
        &[
            "run", "ban.toml", "--months", "18", "--out", "res", "--report",
        ],
        tmp.path(),
    );
    let res = tmp.path().join("res");
    let cf = res.join("counterfactual");
    for f in ["global.parquet", "nations.parquet", "manifest.json"] {
        assert!(cf.join(f).is_file(), "counterfactual/{f}");
    }
    assert!(
        !cf.join("labs.parquet").exists(),
        "no labs table for the counterfactual"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cf.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counterfactual_of"], "kenya-ban");
    assert_eq!(manifest["scenario_name"], "kenya-ban-counterfactual");
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["months"], 18);
    assert!(
        manifest["scenario"]["policy"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["name"] != "board-ban"),
        "the counterfactual lacks the story's own policy"
    );

    // Kenya's compute, from the two runs' own tables.
    let story = read_parquet(&res.join("nations.parquet")).unwrap();
    let other = read_parquet(&cf.join("nations.parquet")).unwrap();
    let a = nation(&story, "KE", "compute_h100e");
    let b = nation(&other, "KE", "compute_h100e");
    assert_eq!((a.len(), b.len()), (18, 18));
    let relative: Vec<f64> = a.iter().zip(&b).map(|(x, y)| (x - y) / y).collect();
    let (worst, worst_rel) = relative
        .iter()
        .enumerate()
        .min_by(|p, q| p.1.total_cmp(q.1))
        .map(|(t, r)| (t, *r))
        .unwrap();
    let below: Vec<usize> = (0..18).filter(|&t| a[t] < b[t] - 0.01 * b[t]).collect();
    let cumulative: f64 = a.iter().zip(&b).map(|(x, y)| x - y).sum();
    let month = |t: usize| format!("{}-{:02}", 2025 + t / 12, t % 12 + 1);
    // The ban's months, April to September 2025 (t = 3 to 8), are more than 1 % below, and none before.
    // Alibaba, which lost revenue while banned, invested less and costs more for a while after, so
    // Kenya recovers over the months after the ban: the gap ends narrower than it starts, never widens
    // by more than half a per cent a month on the way (the market's monthly noise), and ends under a
    // tenth of the worst.
    assert!((3..=8).all(|t| below.contains(&t)), "{relative:?}");
    assert!(below.iter().all(|&t| t >= 3), "{relative:?}");
    assert!((3..=8).contains(&worst) && worst_rel < -0.1, "{relative:?}");
    assert!(
        relative[9..].windows(2).all(|w| w[1] >= w[0] - 5e-3) && relative[17] > relative[9],
        "recovering after the ban: {relative:?}"
    );
    assert!(
        relative[17].abs() < 0.1 * worst_rel.abs(),
        "nearly back by the end: {relative:?}"
    );

    // compare.parquet says the same, for every nation and metric.
    let table = read_parquet(&res.join("compare.parquet")).unwrap();
    assert_eq!(table.height(), WORLD_METRICS + 2 * NATION_METRICS);
    for id in ["run", "reference", "nation", "metric"] {
        assert_eq!(table.column(id).unwrap().dtype(), &DataType::String, "{id}");
    }
    let ke = row(&table, "kenya-ban", "KE", "compute_h100e");
    assert_eq!(
        cell_str(&ke, "reference").as_deref(),
        Some("kenya-ban-counterfactual")
    );
    assert_eq!(
        cell_str(&ke, "largest_difference_month"),
        Some(month(worst))
    );
    assert!((cell_f64(&ke, "largest_difference_relative").unwrap() - worst_rel).abs() < 1e-12);
    assert!(
        (cell_f64(&ke, "largest_difference").unwrap() - (a[worst] - b[worst])).abs()
            <= 1e-9 * b[worst]
    );
    assert!((cell_f64(&ke, "cumulative_difference").unwrap() - cumulative).abs() < 1e-6);
    assert_eq!(cell_f64(&ke, "months_below_1pct"), Some(below.len() as f64));
    assert_eq!(
        cell_str(&ke, "first_month_below").as_deref(),
        Some("2025-04")
    );
    let last_below = *below.last().unwrap();
    assert_eq!(cell_str(&ke, "last_month_below"), Some(month(last_below)));
    assert_eq!(
        cell_str(&ke, "recovery_month"),
        (last_below < 17).then(|| month(last_below + 1)),
        "back within 1 % from the month after the last below"
    );
    let stranded = row(&table, "kenya-ban", "KE", "stranded_labs");
    let peak = nation(&story, "KE", "stranded_labs")
        .into_iter()
        .fold(0.0, f64::max);
    assert!(peak > 0.0, "Kenya's labs locked into Alibaba are stranded");
    assert_eq!(cell_f64(&stranded, "run_peak"), Some(peak));
    assert_eq!(cell_f64(&stranded, "reference_peak"), Some(0.0));

    // The printed summary tells it: the story, its expectation, Kenya's loss, its months and recovery.
    assert!(
        printed.contains("The UK-led board bans Alibaba Cloud"),
        "{printed}"
    );
    assert!(printed.contains("It acts from 2025-04."), "{printed}");
    // Its own policy's events, in calendar months, by the policy's kind in words and name.
    for event in [
        "2025-04  switched on   cloud ban \u{201c}board-ban\u{201d} in force 2025-04 to 2025-09",
        "2025-10  switched off  cloud ban \u{201c}board-ban\u{201d} in force 2025-04 to 2025-09",
    ] {
        assert!(printed.contains(event), "{event:?} in\n{printed}");
    }
    assert!(
        !printed.contains("us-chip-controls"),
        "the inherited policies are no event of the story's"
    );
    assert!(printed.contains("  met "), "{printed}");
    let kenya = &printed[printed.find("Kenya (KE)").expect("Kenya's rows")..];
    let line = kenya
        .lines()
        .find(|l| l.trim_start().starts_with("compute (H100e)"))
        .unwrap();
    assert!(
        line.contains(&format!(
            "\u{2212}{:.1} % ({})",
            -100.0 * worst_rel,
            month(worst)
        )) && line
            .split_whitespace()
            .any(|w| w == below.len().to_string())
            && match last_below {
                17 => line.trim_end().ends_with("never (below)"),
                t => line.trim_end().ends_with(&month(t + 1)),
            },
        "{line}"
    );
    assert!(
        kenya.contains("stranded labs") && kenya.contains("(counterfactual: none)"),
        "{printed}"
    );
    assert!(
        printed.lines().all(|l| l.chars().count() <= 100),
        "lines wider than 100 columns:\n{printed}"
    );

    // So does the report, with the counterfactual drawn.
    let html = std::fs::read_to_string(res.join("report.html")).unwrap();
    let kenya_below = format!("{} to {}", below.len(), month(last_below));
    for needle in [
        "Against its counterfactual",
        "The UK-led board bans Alibaba Cloud",
        "<li>A test</li>",
        "compute (H100e) of KE lower by at least 1.0 %, 2025-04 to 2025-09",
        "Kenya (KE)",
        kenya_below.as_str(),
        "id=\"counterfactual\"",
        "2025-10: switched off \u{2014} cloud ban \u{201c}board-ban\u{201d} in force 2025-04 to 2025-09",
    ] {
        assert!(html.contains(needle), "the report lacks {needle:?}");
    }
    assert!(res.join("counterfactual.svg").is_file() && res.join("counterfactual.png").is_file());
}

#[test]
fn the_counterfactual_is_the_story_without_its_policies_run_with_the_same_seed_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    for out in ["a", "b"] {
        ok(
            &[
                "run",
                "alibaba-ban",
                "--months",
                "12",
                "--seed",
                "7",
                "--out",
                out,
                "-q",
            ],
            tmp.path(),
        );
    }
    for f in [
        "compare.parquet",
        "counterfactual/global.parquet",
        "counterfactual/nations.parquet",
    ] {
        assert!(
            std::fs::read(tmp.path().join("a").join(f)).unwrap()
                == std::fs::read(tmp.path().join("b").join(f)).unwrap(),
            "{f} differs between two runs of one scenario and seed"
        );
    }
    // The counterfactual's tables are what loading and running it directly gives.
    let sets = common::sets(&["scenario.months=12", "scenario.seed=7"]);
    let cf = fracture::scenario::load_counterfactual("alibaba-ban", &sets)
        .unwrap()
        .unwrap();
    let direct = fracture::simulate(&cf.scenario, 7).unwrap();
    let written = read_parquet(&tmp.path().join("a/counterfactual/global.parquet")).unwrap();
    for column in ["compute_h100e", "stranded_labs", "bifurcation_index"] {
        assert_eq!(
            floats(&written, column),
            floats(&direct.global, column),
            "{column}"
        );
    }
    let story = read_parquet(&tmp.path().join("a/global.parquet")).unwrap();
    assert_ne!(
        floats(&story, "stranded_labs"),
        floats(&written, "stranded_labs"),
        "the story differs from its counterfactual"
    );
}

#[test]
fn no_baseline_and_scenarios_without_one_write_no_counterfactual() {
    let tmp = tempfile::tempdir().unwrap();
    let printed = ok(
        &[
            "run",
            "alibaba-ban",
            "--months",
            "4",
            "--out",
            "plain",
            "--no-baseline",
        ],
        tmp.path(),
    );
    let baseline = ok(&["run", "--months", "4", "--out", "base"], tmp.path());
    for (dir, printed) in [("plain", &printed), ("base", &baseline)] {
        let res = tmp.path().join(dir);
        assert!(res.join("global.parquet").is_file());
        assert!(!res.join("counterfactual").exists(), "{dir}");
        assert!(!res.join("compare.parquet").exists(), "{dir}");
        assert!(!res.join("counterfactual.png").exists(), "{dir}");
        assert!(!printed.contains("counterfactual"), "{printed}");
    }
    // A --set on the story's own trigger reaches the story; the counterfactual, which has no such
    // trigger, runs without it and says so.
    let out = fracture(
        &[
            "run",
            "alibaba-ban",
            "--months",
            "3",
            "--out",
            "set",
            "--set",
            "trigger.board-ban.delay_months=1",
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("trigger.board-ban.delay_months=1 apply to the story alone"),
        "{stderr}"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("set/counterfactual/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["sets_not_applied"],
        serde_json::json!(["trigger.board-ban.delay_months=1"])
    );
    assert_eq!(manifest["months"], 3, "the other sets apply to both");
}

#[test]
fn compare_writes_one_row_per_run_nation_and_metric_with_the_runs_own_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("ban.toml"), BAN).unwrap();
    ok(
        &["run", "--months", "12", "--out", "base", "-q"],
        tmp.path(),
    );
    ok(
        &["run", "ban.toml", "--months", "12", "--out", "ban", "-q"],
        tmp.path(),
    );
    ok(
        &["run", "alibaba-ban", "--months", "12", "--out", "ali", "-q"],
        tmp.path(),
    );
    let printed = ok(
        &[
            "compare", "base", "ban", "ali", "--focus", "ke,br", "--out", "cmp",
        ],
        tmp.path(),
    );
    let table = read_parquet(&tmp.path().join("cmp/compare.parquet")).unwrap();
    // Two runs against the first, each for the world and two nations.
    assert_eq!(table.height(), 2 * (WORLD_METRICS + 2 * NATION_METRICS));
    let keys: std::collections::BTreeSet<(String, String, String)> = strings(&table, "run")
        .into_iter()
        .zip(strings(&table, "nation"))
        .zip(strings(&table, "metric"))
        .map(|((r, n), m)| (r, n, m))
        .collect();
    assert_eq!(
        keys.len(),
        table.height(),
        "one row per run × nation × metric"
    );
    assert!(strings(&table, "reference").iter().all(|r| r == "baseline"));
    let nations: std::collections::BTreeSet<String> =
        strings(&table, "nation").into_iter().collect();
    assert_eq!(
        nations.into_iter().collect::<Vec<_>>(),
        ["BR", "KE", "world"]
    );

    // Brazil's compute in alibaba-ban against the baseline, by hand from the two nations tables.
    let a = nation(
        &read_parquet(&tmp.path().join("ali/nations.parquet")).unwrap(),
        "BR",
        "compute_h100e",
    );
    let b = nation(
        &read_parquet(&tmp.path().join("base/nations.parquet")).unwrap(),
        "BR",
        "compute_h100e",
    );
    let br = row(&table, "alibaba-ban", "BR", "compute_h100e");
    let cumulative: f64 = a.iter().zip(&b).map(|(x, y)| x - y).sum();
    let below = a.iter().zip(&b).filter(|(x, y)| **x < **y * 0.99).count();
    let above = a.iter().zip(&b).filter(|(x, y)| **x > **y * 1.01).count();
    assert!((cell_f64(&br, "cumulative_difference").unwrap() - cumulative).abs() < 1e-6);
    assert_eq!(cell_f64(&br, "months_below_1pct"), Some(below as f64));
    assert_eq!(cell_f64(&br, "months_above_1pct"), Some(above as f64));
    assert!(below > 0, "Brazil loses access in the ban");
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!((cell_f64(&br, "run_mean").unwrap() - mean(&a)).abs() < 1e-9 * mean(&a));
    assert!((cell_f64(&br, "reference_mean").unwrap() - mean(&b)).abs() < 1e-9 * mean(&b));
    assert!(
        printed.contains("alibaba-ban (seed 42) against baseline (seed 42)"),
        "{printed}"
    );
    assert!(printed.contains("Brazil (BR)"), "{printed}");
    assert!(tmp.path().join("cmp/compare_difference.png").is_file());

    // One story run against its own counterfactual: the run folder's table, and the story told.
    let printed = ok(&["compare", "ban", "--out", "own"], tmp.path());
    let own = read_parquet(&tmp.path().join("own/compare.parquet")).unwrap();
    let in_folder = read_parquet(&tmp.path().join("ban/compare.parquet")).unwrap();
    assert!(
        own.equals_missing(&in_folder),
        "the same rows as the run folder's"
    );
    assert!(printed.contains("The UK-led board bans"), "{printed}");

    // A run with no counterfactual cannot be compared against one.
    let out = fracture(
        &[
            "compare",
            "base",
            "--against",
            "counterfactual",
            "--out",
            "x",
        ],
        tmp.path(),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no counterfactual/ folder"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

//! A story over several seeds, as an analyst asks for it: `run STORY --seeds N` runs the story and its
//! counterfactual on each seed into `OUT/seed=S/`, and at `OUT` writes every seed's comparison with
//! summary rows (mean, min, max; `row_kind`, `statistic`), the spread chart and the report; it prints
//! each number as a mean with its range and the seeds that agree on its sign. `compare`, `report` and
//! `plot` accept the folder.

mod common;

use common::{f64s, fracture, strs, text};
use fracture::output::read_parquet;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = fracture(args, cwd);
    assert!(
        out.status.success(),
        "fracture {args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn u32s(df: &DataFrame, column: &str) -> Vec<Option<u32>> {
    df.column(column).unwrap().u32().unwrap().iter().collect()
}

fn u64s(df: &DataFrame, column: &str) -> Vec<Option<u64>> {
    df.column(column).unwrap().u64().unwrap().iter().collect()
}

fn opt_strs(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    df.column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

#[test]
fn a_story_over_seeds_gives_each_number_with_its_mean_range_and_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let args = [
        "run",
        "alibaba-ban",
        "--months",
        "36",
        "--detail",
        "summary",
    ];
    let mut ensemble = args.to_vec();
    ensemble.extend(["--seed", "1", "--seeds", "3", "--report", "--out", "e"]);
    let printed = ok(&ensemble, cwd);

    // Each seed's run folder, with its counterfactual, is the run `--seed S` writes, byte for byte.
    for seed in 1..=3 {
        let folder = cwd.join(format!("e/seed={seed}"));
        assert!(folder.join("counterfactual/manifest.json").is_file());
        assert!(folder.join("compare.parquet").is_file());
    }
    let mut single = args.to_vec();
    single.extend(["--seed", "2", "--out", "s2"]);
    ok(&single, cwd);
    for table in [
        "global.parquet",
        "nations.parquet",
        "counterfactual/global.parquet",
    ] {
        assert_eq!(
            std::fs::read(cwd.join("e/seed=2").join(table)).unwrap(),
            std::fs::read(cwd.join("s2").join(table)).unwrap(),
            "{table} of seed 2 differs from the run with --seed 2"
        );
    }

    // compare.parquet: every seed's rows, then a mean, min and max row per nation and metric.
    let df = read_parquet(&cwd.join("e/compare.parquet")).unwrap();
    let kinds = strs(&df, "row_kind");
    let statistic = opt_strs(&df, "statistic");
    let seed = u64s(&df, "run_seed");
    let (nation, metric) = (strs(&df, "nation"), strs(&df, "metric"));
    let cumulative = f64s(&df, "cumulative_difference");
    let largest = f64s(&df, "largest_difference");
    let seeds = u32s(&df, "seeds");
    let same = u32s(&df, "seeds_same_sign");
    let one_seed = read_parquet(&cwd.join("e/seed=1/compare.parquet"))
        .unwrap()
        .height();
    let n_seed = kinds.iter().filter(|k| *k == "seed").count();
    let n_summary = kinds.iter().filter(|k| *k == "summary").count();
    assert_eq!(n_seed, 3 * one_seed);
    assert_eq!(n_summary, 3 * one_seed);
    let mut by_key: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for i in 0..df.height() {
        by_key
            .entry((nation[i].clone(), metric[i].clone()))
            .or_default()
            .push(i);
    }
    let mut moved = 0;
    for ((n, m), rows) in &by_key {
        let seed_rows: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| kinds[i] == "seed")
            .collect();
        let stat = |s: &str| {
            *rows
                .iter()
                .find(|&&i| statistic[i].as_deref() == Some(s))
                .unwrap_or_else(|| panic!("a {s} row for {n} {m}"))
        };
        let (mean, min, max) = (stat("mean"), stat("min"), stat("max"));
        let mut run_seeds: Vec<u64> = seed_rows.iter().map(|&i| seed[i].unwrap()).collect();
        run_seeds.sort_unstable();
        assert_eq!(run_seeds, [1, 2, 3], "{n} {m}");
        let values: Vec<f64> = seed_rows.iter().map(|&i| cumulative[i]).collect();
        let expected = values.iter().sum::<f64>() / 3.0;
        assert!(
            (cumulative[mean] - expected).abs() <= 1e-9 * expected.abs().max(1e-12),
            "{n} {m}: mean row {} against {expected}",
            cumulative[mean]
        );
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((cumulative[min], cumulative[max]), (lo, hi), "{n} {m}");
        assert!(largest[min] <= largest[mean] && largest[mean] <= largest[max]);
        assert_eq!(seeds[mean], Some(3));
        let agree = values
            .iter()
            .filter(|v| v.signum() == expected.signum())
            .count() as u32;
        assert!(same[mean].unwrap() <= 3);
        if expected.abs() > 1e-6 {
            assert_eq!(same[mean], Some(agree), "{n} {m}");
        }
        assert!(
            seed_rows
                .iter()
                .all(|&i| seeds[i].is_none() && same[i].is_none())
        );
        moved += usize::from(expected.abs() > 1e-6);
    }
    assert!(moved > 10, "the ban moves many rows: {moved}");

    // Kenya's compute falls in every seed; the table says so.
    let ke: Vec<usize> = (0..df.height())
        .filter(|&i| nation[i] == "KE" && metric[i] == "compute_h100e")
        .collect();
    let ke_mean = *ke
        .iter()
        .find(|&&i| statistic[i].as_deref() == Some("mean"))
        .unwrap();
    assert!(largest[ke_mean] < 0.0 && same[ke_mean] == Some(3));

    // Printed: every row a mean with its range, the seeds that agree, the expectations over seeds.
    assert!(
        printed.contains("The story over 3 seeds (1–3)"),
        "{printed}"
    );
    assert!(
        printed.contains("Mean of 3 seeds, range below"),
        "{printed}"
    );
    assert!(printed.contains("met 3/3"), "{printed}");
    assert!(printed.contains("3/3"), "{printed}");
    let ke_line = printed
        .lines()
        .skip_while(|l| !l.starts_with("Kenya"))
        .nth(2)
        .unwrap();
    assert!(
        ke_line.trim_start().starts_with('\u{2212}') && ke_line.contains(" to "),
        "Kenya's compute range line: {ke_line}"
    );

    // The spread chart and the report of the ensemble.
    assert!(cwd.join("e/seeds_spread.svg").is_file());
    let report = std::fs::read_to_string(cwd.join("e/report.html")).unwrap();
    assert!(report.contains("over 3 seeds"));
    assert!(report.contains("id=\"seeds_spread\""));
    assert!(report.contains("href=\"seed=2/report.html\""));
    assert!(cwd.join("e/seed=2/report.html").is_file());

    // `compare` and `report` read the folder again, to the same numbers.
    std::fs::remove_file(cwd.join("e/report.html")).unwrap();
    ok(&["report", "e"], cwd);
    assert!(cwd.join("e/report.html").is_file());
    let again = ok(&["compare", "e", "--out", "c"], cwd);
    assert!(again.contains("Mean of 3 seeds"));
    let c = read_parquet(&cwd.join("c/compare.parquet")).unwrap();
    assert!(
        c.equals_missing(&df),
        "compare of the folder gives its compare.parquet"
    );
    let refused = fracture(&["compare", "e", "s2"], cwd);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("several seeds"));
}

#[test]
fn seeds_are_refused_beyond_memory_counting_the_counterfactual_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = fracture(
        &[
            "run",
            "alibaba-ban",
            "--seeds",
            "2",
            "--months",
            "12",
            "--max-memory",
            "1M",
            "--out",
            "e",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("and its counterfactual's"), "{err}");
    assert!(!dir.path().join("e").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_scenario_that_is_no_story_runs_each_seed_and_says_there_is_nothing_to_compare() {
    let dir = tempfile::tempdir().unwrap();
    let printed = ok(
        &[
            "run", "baseline", "--seeds", "2", "--months", "6", "--detail", "summary", "--out", "b",
        ],
        dir.path(),
    );
    assert!(printed.contains("no story"), "{printed}");
    for seed in [42, 43] {
        assert!(
            dir.path()
                .join(format!("b/seed={seed}/global.parquet"))
                .is_file()
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("b/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["seeds"], serde_json::json!([42, 43]));
    assert!(!dir.path().join("b/compare.parquet").exists());
}

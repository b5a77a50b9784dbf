//! The hindcast from October 2022 (`scenarios/hindcast-2022.toml`) held to what was measured over
//! 2023–2025: the model's own rules, started from 2022's world with the controls as enacted, must make
//! the years the baseline starts from. Each fact is a range from ../shared/FIGURES.md and CALIBRATION.md,
//! checked on the mean of seeds 1–4 (summary detail, to keep CI short); none of them is an input.

mod common;

use common::{f64s, strs};
use fracture::Detail;
use fracture::scenario::load;

const SEEDS: [u64; 4] = [1, 2, 3, 4];

struct Run {
    global: polars::prelude::DataFrame,
    nations: polars::prelude::DataFrame,
}

fn runs(name: &str, months: Option<u32>) -> Vec<Run> {
    let sets: Vec<String> = months
        .map(|m| vec![format!("scenario.months={m}")])
        .unwrap_or_default();
    let scenario = load(name, &common::sets(&sets)).unwrap().scenario;
    SEEDS
        .iter()
        .map(|&seed| {
            let out = fracture::simulate_with(&scenario, seed, Detail::Summary, |_| {}).unwrap();
            Run {
                global: out.global,
                nations: out.nations,
            }
        })
        .collect()
}

fn mean(xs: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.into_iter().collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// The sum of a global column over a calendar year.
fn year_sum(run: &Run, column: &str, year: &str) -> f64 {
    strs(&run.global, "month")
        .iter()
        .zip(f64s(&run.global, column))
        .filter(|(m, _)| m.starts_with(year))
        .map(|(_, x)| x)
        .sum()
}

/// A global column in one month.
fn at(run: &Run, column: &str, month: &str) -> f64 {
    let i = strs(&run.global, "month")
        .iter()
        .position(|m| m == month)
        .unwrap_or_else(|| panic!("no {month}"));
    f64s(&run.global, column)[i]
}

/// The sum over `nations` of a nations column over the months starting with `prefix`.
fn nations_sum(run: &Run, nations: &[&str], column: &str, prefix: &str) -> f64 {
    let (n, m) = (strs(&run.nations, "nation"), strs(&run.nations, "month"));
    f64s(&run.nations, column)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| nations.contains(&n[*i].as_str()) && m[*i].starts_with(prefix))
        .map(|(_, x)| x)
        .sum()
}

fn within(what: &str, x: f64, lo: f64, hi: f64) {
    assert!(
        (lo..=hi).contains(&x),
        "{what}: {x:.4} outside the measured {lo}–{hi}"
    );
}

#[test]
fn the_hindcast_reproduces_2023_to_2025() {
    let runs = runs("hindcast-2022", None);
    // NVIDIA's data-centre revenue, FY24 47.5 B and FY25 115.2 B USD (F9): AI chip spend by calendar year.
    let spend = |y: &str| mean(runs.iter().map(|r| year_sum(r, "chip_spend_busd", y)));
    let (s23, s24, s25) = (spend("2023"), spend("2024"), spend("2025"));
    within("chip spend 2023, B USD", s23, 40.0, 80.0);
    within("chip spend 2024, B USD", s24, 100.0, 170.0);
    within("chip spend 2024/2023", s24 / s23, 1.8, 3.2);
    within("chip spend 2025/2024", s25 / s24, 1.2, 2.2);
    // The installed stock in December 2025: 10–20 M H100e (Epoch, F6: ≈ 15–16 M in January 2026).
    let stock = mean(runs.iter().map(|r| at(r, "installed_h100e", "2025-12")));
    within("installed H100e, 2025-12", stock / 1e6, 10.0, 20.0);
    // China's share of the world's compute over 2025 (Epoch, F7: ≈ 15 %).
    let china_share = mean(runs.iter().map(|r| {
        nations_sum(r, &["CN"], "compute_h100e", "2025") / year_sum(r, "compute_h100e", "2025")
    }));
    within("China's share of compute, 2025", china_share, 0.08, 0.22);
    let us_share = mean(runs.iter().map(|r| {
        nations_sum(r, &["US"], "compute_h100e", "2025") / year_sum(r, "compute_h100e", "2025")
    }));
    within("the US share of compute, 2025", us_share, 0.65, 0.85);
    // China's own chip output in 2025: ≤ 200 k Ascend (BIS) to ≈ 800 k (SemiAnalysis) units (F3).
    let own = mean(
        runs.iter()
            .map(|r| year_sum(r, "chip_production_h100e_china", "2025")),
    );
    within(
        "China's own chip output 2025, M H100e",
        own / 1e6,
        0.15,
        0.6,
    );
    // Over 1 M H20 sold to China in 2024 (SemiAnalysis, F9): the only US class open to it that year,
    // 0.15 H100e a unit.
    let h20 = mean(
        runs.iter()
            .map(|r| nations_sum(r, &["CN", "HK"], "received_h100e_west", "2024") / 0.15),
    );
    within(
        "H20-class units delivered to China in 2024, M",
        h20 / 1e6,
        0.5,
        1.5,
    );
    // Smuggled chips in 2024: 10 k to several hundred thousand, median ≈ 140 k (CNAS, F2).
    let smuggled = mean(runs.iter().map(|r| year_sum(r, "smuggled_h100e", "2024")));
    within("smuggled H100e in 2024", smuggled, 5e3, 4e5);
    // The largest training run in January 2025: 2–8 × 10^26 FLOP (Epoch AI; Grok 3, GPT-4.5).
    let run = mean(
        runs.iter()
            .map(|r| 10f64.powf(at(r, "largest_run_flop", "2025-01"))),
    );
    within(
        "largest training run January 2025, 10^26 FLOP",
        run / 1e26,
        2.0,
        8.0,
    );
    // Frontier training compute grows 4–5× a year (Epoch; 3–6× here, as tests/calibration.rs holds the
    // baseline).
    let growth = mean(runs.iter().map(|r| {
        10f64.powf(
            (at(r, "largest_run_flop", "2025-01") - at(r, "largest_run_flop", "2023-01")) / 2.0,
        )
    }));
    within(
        "largest training run's growth a year, 2023-25",
        growth,
        3.0,
        6.0,
    );
}

/// Run to January 2025, the hindcast arrives within a quarter of the world the baseline starts from:
/// its stock, each bloc's share and labs' budgets.
#[test]
fn the_hindcast_arrives_near_the_baselines_starting_world() {
    let hindcast = runs("hindcast-2022", Some(28));
    let baseline = runs("baseline", Some(1));
    let both = |column: &str| {
        (
            mean(hindcast.iter().map(|r| at(r, column, "2025-01"))),
            mean(baseline.iter().map(|r| at(r, column, "2025-01"))),
        )
    };
    for column in [
        "installed_h100e",
        "compute_share_west",
        "compute_share_china",
        "budget_busd",
    ] {
        let (h, b) = both(column);
        assert!(
            (h / b - 1.0).abs() <= 0.25,
            "{column} in 2025-01: the hindcast's {h:.4} is more than 25 % from the baseline's {b:.4}"
        );
    }
}

/// History without the US chip controls, as an analyst asks for it: over four seeds, each against its
/// own counterfactual (the hindcast as enacted), printed with its spread and written with summary rows.
#[test]
fn the_counterfactual_history_runs_over_seeds_with_its_spread() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::fracture(
        &[
            "run",
            "hindcast-2022-no-controls",
            "--seed",
            "1",
            "--seeds",
            "4",
            "--detail",
            "summary",
            "--out",
            "h",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let printed = common::text(&out.stdout);
    assert!(printed.contains("It acts from 2022-10"), "{printed}");
    // The three expectations (ASSUMPTION: China's compute higher, the capability gap narrower, its own
    // chip output lower) in every seed.
    assert_eq!(printed.matches("met 4/4").count(), 3, "{printed}");
    let compare = fracture::output::read_parquet(&dir.path().join("h/compare.parquet")).unwrap();
    let kinds = strs(&compare, "row_kind");
    assert_eq!(
        kinds.iter().filter(|k| *k == "summary").count() * 4,
        3 * kinds.iter().filter(|k| *k == "seed").count()
    );
}

//! The baseline reproduces the stylised facts of ../shared/CALIBRATION.md, within the stated tolerances.

mod common;
use common::*;

fn baseline() -> fracture::Outputs {
    run(&scenario("", 36, &[]))
}

/// A nation's share of the world's compute, averaged over the months `range`.
fn share(out: &fracture::Outputs, iso: &str, range: std::ops::Range<usize>) -> f64 {
    let mine = nation(out, iso, "compute_h100e");
    let all = global(out, "compute_h100e");
    range.clone().map(|t| mine[t] / all[t]).sum::<f64>() / range.len() as f64
}

#[test]
fn compute_shares_in_2025_match_pilz_et_al() {
    let out = baseline();
    let us = share(&out, "US", 0..12);
    let cn = share(&out, "CN", 0..12);
    assert!(
        (0.65..=0.85).contains(&us),
        "US share of 2025 compute {us:.3}, expected 75 % ± 10 points"
    );
    assert!(
        (0.08..=0.22).contains(&cn),
        "China's share of 2025 compute {cn:.3}, expected 15 % ± 7 points"
    );
}

#[test]
fn installed_stock_matches_epoch_and_grows_two_to_three_fold_a_year() {
    let out = baseline();
    let installed = global(&out, "installed_h100e");
    // February 2025: ≈ 4 M H100e (± 40 %).
    assert!(
        (2.4e6..=5.6e6).contains(&installed[1]),
        "Feb 2025 stock {:.2e}",
        installed[1]
    );
    for year in 0..2 {
        let growth = installed[12 * (year + 1)] / installed[12 * year];
        assert!(
            (2.0..=3.0).contains(&growth),
            "year {year}: stock grew {growth:.2}×"
        );
    }
}

#[test]
fn frontier_training_runs_grow_three_to_six_fold_a_year_in_2025_and_2026() {
    let out = baseline();
    let run = global(&out, "largest_run_flop");
    for (year, from) in [(2025, 0), (2026, 12)] {
        let growth = 10f64.powf(run[from + 12] - run[from]);
        assert!(
            (3.0..=6.0).contains(&growth),
            "largest run grew {growth:.2}× in {year}"
        );
    }
    assert!(
        (25.5..=27.5).contains(&run[0]),
        "largest run early 2025: 1e{:.2} FLOP",
        run[0]
    );
}

#[test]
fn smuggled_chips_are_one_to_forty_percent_of_chinas_compute() {
    let out = baseline();
    let smuggled = global(&out, "smuggled_share_china");
    for t in [12, 24, 35] {
        assert!(
            (0.01..=0.40).contains(&smuggled[t]),
            "month {t}: smuggled share of China's compute {:.3}",
            smuggled[t]
        );
    }
    let per_year: f64 = global(&out, "smuggled_h100e")[12..24].iter().sum();
    assert!(
        (1e4..=1e6).contains(&per_year),
        "smuggled H100e in 2026: {per_year:.0}"
    );
}

#[test]
fn sanctioned_states_get_no_us_cloud_and_stay_on_chinas_side() {
    let out = baseline();
    for n in ["RU", "IR"] {
        for p in ["aws", "azure", "google-cloud", "oracle", "coreweave"] {
            assert!(
                usage(&out, n, p).iter().all(|&x| x == 0.0),
                "{n} uses {p} despite the standing sanctions"
            );
        }
        let sides = strs(&rows_where(&out.nations, "nation", n), "side");
        assert_eq!(sides.last().unwrap(), "china", "{n} drifted to {sides:?}");
        assert!(nation(&out, n, "compute_h100e").iter().all(|&c| c > 0.0));
    }
}

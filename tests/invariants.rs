//! Accounting that must hold in every month of every run: chips are conserved, and no table holds a NaN
//! or a negative capacity, compute, volume or share.

mod common;
use common::*;
use polars::prelude::*;

fn check_conservation(out: &fracture::Outputs) {
    let produced = global(out, "produced_h100e_cum");
    let delivered = global(out, "delivered_h100e_cum");
    let seized = global(out, "seized_h100e_cum");
    let stock = global(out, "stock_h100e");
    for t in 0..produced.len() {
        let rhs = delivered[t] + seized[t] + stock[t];
        assert!(
            (produced[t] - rhs).abs() <= 1e-9 * produced[t].max(1.0),
            "month {t}: produced {} ≠ delivered {} + seized {} + stock {}",
            produced[t],
            delivered[t],
            seized[t],
            stock[t]
        );
    }
}

/// Columns that are signed by nature; every other number must be ≥ 0.
const SIGNED: [&str; 3] = [
    "capability_gap_oom",
    "capability_lag_months",
    "bifurcation_index",
];

fn check_no_nan_or_negative(out: &fracture::Outputs) {
    for (name, df) in out.tables() {
        for column in df.columns() {
            if column.dtype() != &DataType::Float64 {
                continue;
            }
            let values: Vec<f64> = column.f64().unwrap().into_no_null_iter().collect();
            let col = column.name().as_str();
            for (i, v) in values.iter().enumerate() {
                assert!(v.is_finite(), "{name}.{col} row {i} is {v}");
                if !SIGNED.contains(&col) {
                    assert!(*v >= 0.0, "{name}.{col} row {i} is negative: {v}");
                }
            }
            if col.contains("share") || col == "utilization" || col == "polarization" {
                assert!(
                    values.iter().all(|v| *v <= 1.0 + 1e-9),
                    "{name}.{col} exceeds 1"
                );
            }
        }
    }
}

#[test]
fn baseline_conserves_chips_and_stays_finite() {
    let out = run(&scenario("", 120, &[]));
    check_conservation(&out);
    check_no_nan_or_negative(&out);
}

#[test]
fn a_turbulent_world_conserves_chips_and_stays_finite() {
    let extra = r#"
[[policy]]
name = "ban"
kind = "cloud_ban"
providers = ["alibaba-cloud", "aws"]
targets = ["uk-board-signatories", "ID"]
start = "2025-05"

[[policy]]
name = "sanctions"
kind = "secondary_sanctions"
by = ["west"]
targets = ["china"]
start = "2025-09"

[[policy]]
name = "reciprocity"
kind = "reciprocity"
by = ["china"]
targets = ["west"]
inputs = ["gallium"]
start = "2026-01"

[[policy]]
name = "kyc"
kind = "cloud_kyc"
providers = ["west"]
targets = ["china"]
training_threshold_h100e = 100
"#;
    let out = run(&scenario(
        extra,
        48,
        &["parameters.false_positive_rate=0.01"],
    ));
    check_conservation(&out);
    check_no_nan_or_negative(&out);
    check_stranded_labs_add_up(&out);
}

/// The nations' stranded labs add up to the world's each month, and to the labs table's count.
fn check_stranded_labs_add_up(out: &fracture::Outputs) {
    let world = global(out, "stranded_labs");
    let t = f64s(&out.nations, "t");
    let per_nation = f64s(&out.nations, "stranded_labs");
    let lab_t = f64s(&out.labs, "t");
    let lab_stranded = bools(&out.labs, "stranded");
    let mut sum = vec![0.0; world.len()];
    let mut labs = vec![0.0; world.len()];
    for (t, n) in t.iter().zip(&per_nation) {
        sum[*t as usize] += n;
    }
    for (t, s) in lab_t.iter().zip(&lab_stranded) {
        labs[*t as usize] += f64::from(u8::from(*s));
    }
    assert!(world.iter().any(|&s| s > 0.0), "some labs are stranded");
    assert_eq!(sum, world, "nations' stranded labs against the world's");
    assert_eq!(
        labs, world,
        "labs table's stranded labs against the world's"
    );
}

#[test]
fn alignment_weights_stay_a_distribution() {
    let out = run(&scenario("", 60, &[]));
    let w = f64s(&out.nations, "alignment_west");
    let c = f64s(&out.nations, "alignment_china");
    for (a, b) in w.iter().zip(&c) {
        assert!(((a + b) - 1.0).abs() < 1e-9);
    }
}

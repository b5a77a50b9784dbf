//! Same scenario and seed ⇒ byte-identical Parquet; different seeds differ where the model is stochastic.

mod common;
use common::*;
use fracture::output::{Manifest, write_run};

fn write(s: &fracture::scenario::Scenario, seed: u64, dir: &std::path::Path) {
    let out = fracture::simulate(s, seed).unwrap();
    write_run(dir, &out, &Manifest::new(s, seed, vec![]), false).unwrap();
}

#[test]
fn same_seed_gives_byte_identical_parquet() {
    let s = scenario("", 24, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write(&s, 7, &a);
    write(&s, 7, &b);
    for table in ["global", "nations", "labs", "providers", "usage", "events"] {
        let file = format!("{table}.parquet");
        let x = std::fs::read(a.join(&file)).unwrap();
        let y = std::fs::read(b.join(&file)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{file} differs between two runs with the same seed");
    }
}

#[test]
fn different_seeds_differ_where_the_model_is_stochastic() {
    let s = scenario("", 24, &["parameters.false_positive_rate=0.002"]);
    let a = fracture::simulate(&s, 1).unwrap();
    let b = fracture::simulate(&s, 2).unwrap();
    assert_ne!(global(&a, "smuggled_h100e"), global(&b, "smuggled_h100e"));
    assert_ne!(events(&a, "theft_detected"), events(&b, "theft_detected"));
    // The deterministic parts do not move: production is the same.
    assert_eq!(
        global(&a, "produced_h100e_cum")[0],
        global(&b, "produced_h100e_cum")[0]
    );
}

#[test]
fn a_summary_run_records_the_same_global_and_nation_tables_without_lab_or_event_rows() {
    let s = scenario("", 12, &["parameters.false_positive_rate=0.002"]);
    let full = fracture::simulate(&s, 3).unwrap();
    let summary = fracture::simulate_with(&s, 3, fracture::Detail::Summary, |_| {}).unwrap();
    assert!(full.labs.height() > 1000);
    for (name, a, b) in [
        ("global", &full.global, &summary.global),
        ("nations", &full.nations, &summary.nations),
        ("providers", &full.providers, &summary.providers),
    ] {
        assert!(
            a.equals_missing(b),
            "{name} differs between a full and a summary run"
        );
    }
    assert_eq!(summary.labs.height(), 0);
    assert_eq!(summary.usage.height(), 0);
    assert!(full.events.height() > 0);
    assert_eq!(summary.events.height(), 0);
    assert_eq!(summary.events.schema(), full.events.schema());
    assert_eq!(summary.labs.schema(), full.labs.schema());
}

//! Each shipped story against the baseline with the same seed: the direction of its effect.

use fracture::Outputs;
use fracture::scenario::load;

mod common;
use common::*;

const MONTHS: &str = "scenario.months=36";

fn story(name: &str) -> Outputs {
    let s = load(name, &[MONTHS.into()])
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .scenario;
    fracture::simulate(&s, 42).unwrap()
}

fn baseline() -> Outputs {
    story("baseline")
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn every_shipped_scenario_is_valid_and_listed() {
    for s in fracture::scenario::SHIPPED {
        let loaded = load(s.name, &[]).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        assert_eq!(loaded.scenario.scenario.name, s.name);
        assert!(!loaded.scenario.scenario.description.is_empty());
        assert!(s.text.starts_with('#'), "{} opens with its story", s.name);
    }
    assert_eq!(fracture::scenario::SHIPPED.len(), 9);
}

#[test]
fn alibaba_ban_cuts_kenya_and_brazil_and_strands_labs() {
    let (with, without) = (story("alibaba-ban"), baseline());
    // The baseline's standing US sanctions are bans too; the story adds the board's.
    let bans: Vec<_> = events(&with, "ban")
        .into_iter()
        .filter(|e| e.3 == "alibaba-cloud")
        .collect();
    assert_eq!(bans.len(), 1, "the board bans once");
    assert_eq!(
        events(&with, "ban").len(),
        events(&without, "ban").len() + 1
    );
    let from = bans[0].0 as usize;
    for n in ["KE", "BR"] {
        let a = nation(&with, n, "compute_h100e");
        let b = nation(&without, n, "compute_h100e");
        assert!(
            (from..from + 6).all(|t| a[t] < b[t]),
            "{n} loses compute after the ban at month {from}"
        );
        assert!(
            usage(&with, n, "alibaba-cloud")[from..]
                .iter()
                .all(|&x| x == 0.0)
        );
    }
    assert!(
        global(&with, "stranded_labs")[from] > 0.0,
        "labs locked into Alibaba are stranded"
    );
}

#[test]
fn secondary_sanctions_raise_bifurcation() {
    let (with, without) = (story("secondary-sanctions"), baseline());
    let a = global(&with, "bifurcation_index");
    let b = global(&without, "bifurcation_index");
    assert!(a[35] > b[35], "{} vs {}", a[35], b[35]);
    assert!(mean(&a[12..]) > mean(&b[12..]));
}

#[test]
fn tightened_controls_raise_chinas_indigenous_share() {
    let (with, without) = (story("tightened-controls"), baseline());
    let a = global(&with, "indigenous_share_china");
    let b = global(&without, "indigenous_share_china");
    assert!(
        mean(&a[6..]) > mean(&b[6..]),
        "{} vs {}",
        mean(&a[6..]),
        mean(&b[6..])
    );
    assert!(
        sum(&nation(&with, "CN", "received_h100e_west")[6..])
            < sum(&nation(&without, "CN", "received_h100e_west")[6..])
    );
}

#[test]
fn weights_and_kyc_widen_the_gap_and_cut_chinas_use_of_western_clouds() {
    let (with, without) = (story("weights-and-kyc"), baseline());
    let west = ["aws", "azure", "google-cloud", "oracle", "coreweave"];
    let use_of = |o: &Outputs| -> f64 { west.iter().map(|p| sum(&usage(o, "CN", p)[6..])).sum() };
    assert!(use_of(&with) < use_of(&without));
    let a = global(&with, "capability_gap_oom");
    let b = global(&without, "capability_gap_oom");
    assert!(
        mean(&a[12..]) > mean(&b[12..]),
        "{} vs {}",
        mean(&a[12..]),
        mean(&b[12..])
    );
}

#[test]
fn reciprocity_closes_us_clouds_on_chinas_side_and_dents_western_output() {
    let (with, without) = (story("reciprocity"), baseline());
    assert!(usage(&with, "CN", "aws")[5..].iter().all(|&x| x == 0.0));
    assert!(sum(&usage(&without, "CN", "aws")[5..]) > 0.0);
    let a = global(&with, "chip_production_h100e_west");
    let b = global(&without, "chip_production_h100e_west");
    assert!(a[6] < b[6]);
}

#[test]
fn indigenous_push_raises_chinas_chip_output() {
    let (with, without) = (story("indigenous-push"), baseline());
    let a = global(&with, "chip_production_h100e_china");
    let b = global(&without, "chip_production_h100e_china");
    assert!(a[35] > b[35]);
}

#[test]
fn forensic_false_positives_ban_clouds_on_false_accusations() {
    let out = story("forensic-false-positives");
    let accusations = events(&out, "theft_detected");
    assert!(
        accusations.iter().filter(|e| e.4).count() > 5,
        "false accusations happen"
    );
    assert!(!events(&out, "ban").is_empty(), "and lead to bans");
    assert!(
        sum(&global(&out, "stranded_labs")) > 0.0,
        "developers are stranded as collateral damage"
    );
}

#[test]
fn full_decoupling_closes_the_two_ecosystems() {
    let (with, without) = (story("full-decoupling"), baseline());
    let a = global(&with, "bifurcation_index");
    let b = global(&without, "bifurcation_index");
    assert!(
        a[35] > 0.85 && a[35] > b[35] + 0.2,
        "{} vs {}",
        a[35],
        b[35]
    );
    assert!(global(&with, "cross_bloc_share")[35] < global(&without, "cross_bloc_share")[35]);
}

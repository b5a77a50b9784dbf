//! The shipped scenarios: each is valid, tells its story in structured keys, and the rules its story
//! depends on act on the right parties. (Whether each story keeps its stated expectations against its
//! counterfactual, over several seeds, is `tests/stories.rs`.)

use fracture::Outputs;
use fracture::scenario::{Files, SHIPPED, load};

mod common;
use common::*;

fn story(name: &str, months: u32) -> Outputs {
    let s = load(name, &sets(&[format!("scenario.months={months}")]))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .scenario;
    fracture::simulate(&s, 42).unwrap()
}

#[test]
fn every_shipped_scenario_is_valid_listed_and_every_story_has_a_counterfactual() {
    for s in SHIPPED {
        let files = Files::read(s.name).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let loaded = files
            .base()
            .and_then(|base| base.load(&[]))
            .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let meta = &loaded.scenario.scenario;
        assert_eq!(meta.name, s.name);
        assert!(!meta.description.is_empty());
        let counterfactual = files
            .counterfactual()
            .unwrap()
            .map(|base| base.load(&[]).unwrap());
        // The baseline and the hindcast are worlds, not stories (the hindcast says so: `world`).
        if s.name == "baseline" || meta.world {
            assert!(counterfactual.is_none(), "{} is no story", s.name);
            continue;
        }
        assert!(!meta.story.is_empty(), "{} tells its story", s.name);
        assert!(!meta.sources.is_empty(), "{} names its sources", s.name);
        assert!(!meta.expect.is_empty(), "{} states its expectation", s.name);
        let counterfactual = counterfactual
            .expect("a story has a counterfactual")
            .scenario;
        assert!(
            counterfactual.policy != loaded.scenario.policy
                || counterfactual.trigger != loaded.scenario.trigger
        );
        // Parameters and the world are held: only policies and triggers differ.
        assert_eq!(counterfactual.parameters, loaded.scenario.parameters);
        assert_eq!(counterfactual.lab, loaded.scenario.lab);
        assert_eq!(counterfactual.intermediary, loaded.scenario.intermediary);
        assert!(counterfactual.trigger.is_empty());
    }
    assert_eq!(SHIPPED.len(), 11);
    assert!(SHIPPED.iter().any(|s| s.name == "hindcast-2022"));
}

#[test]
fn the_alibaba_ban_falls_once_on_alibaba_and_keeps_kenya_and_brazil_off_it() {
    let with = story("alibaba-ban", 36);
    let bans: Vec<_> = events(&with, "ban")
        .into_iter()
        .filter(|e| e.3 == "alibaba-cloud")
        .collect();
    assert_eq!(bans.len(), 1, "the board bans once");
    let from = bans[0].0 as usize;
    for n in ["KE", "BR"] {
        let used = usage(&with, n, "alibaba-cloud");
        assert!(
            sum(&used[..from]) > 0.0,
            "{n} used Alibaba Cloud before the ban"
        );
        assert!(used[from..].iter().all(|&x| x == 0.0), "{n} uses it after");
    }
    assert!(global(&with, "stranded_labs")[from] > 0.0);
}

#[test]
fn reciprocity_closes_western_clouds_in_china_only() {
    let with = story("reciprocity", 24);
    let west = ["aws", "azure", "google-cloud", "oracle", "coreweave"];
    let used = |n: &str| -> f64 { west.iter().map(|p| sum(&usage(&with, n, p)[6..])).sum() };
    assert_eq!(used("CN"), 0.0, "closed in China from 2025-06");
    // Hong Kong and Russia are on China's side but are not China's own market.
    assert!(used("HK") > 0.0, "Hong Kong keeps Western clouds");
    let baseline = story("baseline", 24);
    let hk = |o: &Outputs| nation(o, "HK", "alignment_china")[23];
    assert!(
        (hk(&with) - hk(&baseline)).abs() < 0.05,
        "Hong Kong does not swing: {} vs {}",
        hk(&with),
        hk(&baseline)
    );
}

#[test]
fn false_accusations_never_ban_the_accusers_own_clouds() {
    // Whether a false accusation ever leads to a ban is chance (tests/stories.rs counts how often): the
    // first of seeds 1, 2, … in which one does.
    let s = load("forensic-false-positives", &[]).unwrap().scenario;
    let (out, board_bans) = (1..=20)
        .find_map(|seed| {
            let out = fracture::simulate(&s, seed).unwrap();
            let bans: Vec<_> = events(&out, "ban")
                .into_iter()
                .filter(|e| e.1 == "uk-board-signatories")
                .collect();
            (!bans.is_empty()).then_some((out, bans))
        })
        .expect("accusations lead to bans in some seed");
    let accusations = events(&out, "theft_detected");
    assert!(
        accusations.iter().filter(|e| e.4).count() > 5,
        "false accusations happen"
    );
    let china = [
        "alibaba-cloud",
        "huawei-cloud",
        "tencent-cloud",
        "baidu-ai-cloud",
        "yandex-cloud",
    ];
    for b in &board_bans {
        assert!(
            china.contains(&b.3.as_str()),
            "the board banned {}, a cloud of its members' own side",
            b.3
        );
    }
    // The signatories keep their Western clouds.
    for n in ["GB", "DE", "JP", "IN", "KE", "BR"] {
        let c = nation(&out, n, "compute_h100e");
        assert!(c.iter().all(|&x| x > 0.0), "{n} keeps compute");
    }
}

#[test]
fn full_decoupling_nearly_closes_the_two_ecosystems() {
    let with = story("full-decoupling", 60);
    let a = global(&with, "bifurcation_index");
    assert!(a[59] > 0.8, "bifurcation index at the end {}", a[59]);
    // What little crosses is China's own clusters of Western chips, until they retire, and the share of
    // a nation's compute that counts toward the bloc it leans to less.
    assert!(global(&with, "cross_bloc_share")[59] < 0.02);
}

//! Every shipped story keeps its stated expectations (`[[scenario.expect]]`) against its counterfactual
//! — the same file without its own policies and triggers — as paired runs over several seeds: the mean
//! paired effect is at least the story's `min_effect` and at least three standard errors from zero.

mod common;

use common::with_and_without;
use fracture::Detail;
use fracture::scenario::{Files, SHIPPED};
use fracture::story::{effect, mean_and_error, story_start, window};

const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// The story's expectations that fail, as messages.
fn check_story(name: &str) -> Vec<String> {
    let files = Files::read(name).expect("story reads");
    let story = files
        .base()
        .and_then(|base| base.load(&[]))
        .expect("story loads")
        .scenario;
    let counterfactual = files
        .counterfactual()
        .expect("counterfactual merges")
        .expect("a story has policies or triggers of its own")
        .load(&[])
        .expect("counterfactual loads")
        .scenario;
    assert!(
        !story.scenario.expect.is_empty(),
        "{name} states no expectation"
    );
    assert!(!story.scenario.story.is_empty(), "{name} tells no story");
    let mut effects = vec![Vec::new(); story.scenario.expect.len()];
    with_and_without(
        &story,
        &counterfactual,
        &SEEDS,
        Detail::Full,
        |a, b, seed| {
            let start = story_start(&story, &counterfactual, a).unwrap_or_else(|| {
                panic!("{name}, seed {seed}: nothing of the story came into force")
            });
            for (e, xs) in story.scenario.expect.iter().zip(effects.iter_mut()) {
                let w = window(e, &story, start);
                xs.push(effect(e, a, b, w).expect("the metric exists"));
            }
        },
    );
    let mut failures = Vec::new();
    for (e, xs) in story.scenario.expect.iter().zip(&effects) {
        let (mean, se) = mean_and_error(xs);
        eprintln!(
            "{name}: {} {} by {mean:.4} (se {se:.4}, claimed ≥ {}) {xs:?}",
            e.metric,
            e.direction.as_str(),
            e.min_effect
        );
        if mean < e.min_effect {
            failures.push(format!(
                "{name}: {} {} by {mean:.4} on average, less than the claimed {}",
                e.metric,
                e.direction.as_str(),
                e.min_effect
            ));
        } else if mean < 3.0 * se {
            failures.push(format!(
                "{name}: {} moves by {mean:.4} with standard error {se:.4}: not three errors from zero",
                e.metric
            ));
        }
    }
    failures
}

#[test]
fn every_shipped_story_keeps_its_expectations() {
    let failures: Vec<String> = SHIPPED
        .iter()
        .filter(|s| s.name != "baseline")
        .flat_map(|s| check_story(s.name))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

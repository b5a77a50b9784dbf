//! Every shipped story keeps its stated expectations (`[[scenario.expect]]`) against its counterfactual
//! — the same file without its own policies and triggers — as paired runs over several seeds: the mean
//! paired effect is at least the story's `min_effect` and at least three standard errors from zero.

mod common;

use common::with_and_without;
use fracture::Detail;
use fracture::scenario::{Files, SHIPPED};
use fracture::story::{effect, mean_and_error, story_start, window};

const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// Seeds for a story whose mechanism chance may not set in motion in a given run (a trigger that fires
/// with a probability below 1): a run where nothing of the story came into force counts as no effect,
/// and with more seeds the mean is still told from noise.
const CHANCE_SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

/// Whether chance decides if the story acts at all: a trigger of its own fires with a probability below 1.
fn acts_by_chance(story: &fracture::scenario::Scenario) -> bool {
    story.trigger.iter().any(|t| t.probability < 1.0)
}

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
    let by_chance = acts_by_chance(&story);
    let seeds: Vec<u64> = if by_chance {
        CHANCE_SEEDS.collect()
    } else {
        SEEDS.to_vec()
    };
    with_and_without(
        &story,
        &counterfactual,
        &seeds,
        Detail::Full,
        |a, b, seed| {
            let Some(start) = story_start(&story, &counterfactual, a) else {
                assert!(
                    by_chance,
                    "{name}, seed {seed}: nothing of the story came into force"
                );
                // Chance did not set the story in motion: no effect.
                for xs in effects.iter_mut() {
                    xs.push(0.0);
                }
                return;
            };
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
    // The worlds (the baseline, the hindcast) tell no story; tests/hindcast.rs holds the hindcast.
    let failures: Vec<String> = SHIPPED
        .iter()
        .filter(|s| s.name != "baseline" && s.name != "hindcast-2022")
        .flat_map(|s| check_story(s.name))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn forensic_false_positives_ban_in_some_seeds_and_not_others() {
    // A board acting on false accusations may ban a cloud, or may not: a ban in every seed would make the
    // false positives certain, and in none would tell nothing.
    let story = fracture::scenario::load("forensic-false-positives", &[])
        .unwrap()
        .scenario;
    let banned = CHANCE_SEEDS
        .filter(|&seed| {
            let out = fracture::simulate_with(&story, seed, Detail::Full, |_| {}).expect("runs");
            !common::events(&out, "trigger_fired").is_empty()
        })
        .count();
    let share = banned as f64 / CHANCE_SEEDS.count() as f64;
    assert!(
        (0.2..=0.8).contains(&share),
        "the board banned in {banned} of 20 seeds"
    );
}

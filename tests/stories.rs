//! Every shipped story keeps its stated expectations (`[[scenario.expect]]`) against its counterfactual
//! — the same file without its own policies and triggers — as paired runs over several seeds: the mean
//! paired effect is at least the story's `min_effect` and at least three standard errors from zero.

mod common;

use common::with_and_without;
use fracture::Detail;
use fracture::scenario::{Direction, Expectation};
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

/// The months from a story's start over which ODD.md's table of stories gives each expectation's effect.
const ODD_WINDOWS: [usize; 3] = [6, 24, 60];

/// A story's checked expectations: the failures, as messages, and for ODD.md each expectation's mean
/// effect over [`ODD_WINDOWS`] from the start (story minus counterfactual, relative where the
/// expectation is), over the seeds 1–4 in which the story acts.
struct Checked {
    failures: Vec<String>,
    expects: Vec<Expectation>,
    odd: Vec<[f64; 3]>,
}

/// The story's expectations that fail, as messages, and the effects ODD.md reports.
fn check_story(name: &str) -> Checked {
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
    let mut odd = vec![[(); 3].map(|_| Vec::new()); story.scenario.expect.len()];
    let last = story.scenario.months as usize - 1;
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
            if SEEDS.contains(&seed) {
                for (e, cells) in story.scenario.expect.iter().zip(odd.iter_mut()) {
                    for (n, xs) in ODD_WINDOWS.iter().zip(cells.iter_mut()) {
                        let w = (start, (start + n - 1).min(last));
                        let signed = effect(e, a, b, w).expect("the metric exists");
                        xs.push(match e.direction {
                            Direction::Higher => signed,
                            Direction::Lower => -signed,
                        });
                    }
                }
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
    let odd = odd
        .iter()
        .map(|cells| cells.each_ref().map(|xs| mean_and_error(xs).0))
        .collect();
    Checked {
        failures,
        expects: story.scenario.expect,
        odd,
    }
}

#[test]
fn every_shipped_story_keeps_its_expectations_and_odd_reports_their_effects() {
    // The worlds (the baseline, the hindcast) tell no story; tests/hindcast.rs holds the hindcast.
    let mut failures = Vec::new();
    let mut effects = Vec::new();
    for s in SHIPPED
        .iter()
        .filter(|s| s.name != "baseline" && s.name != "hindcast-2022")
    {
        let checked = check_story(s.name);
        failures.extend(checked.failures);
        effects.push((s.name, checked.expects, checked.odd));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // ODD.md lists the stories by name; the hindcast's counterfactual history has its own section.
    effects.retain(|e| !e.0.starts_with("hindcast"));
    effects.sort_by_key(|e| e.0);
    check_story_table(&effects);
}

/// A story's expectations with the effects [`check_story`] measured for ODD.md.
type Effects<'a> = (&'a str, Vec<Expectation>, Vec<[f64; 3]>);

/// ODD.md's table of each story's effect at 6, 24 and 60 months gives, row by row (a story's
/// expectations in its file's order), the effects measured here; the prose of each row is written by
/// hand. With `FRACTURE_BLESS=1` the measured cells are written into ODD.md instead, after a model change.
fn check_story_table(effects: &[Effects]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ODD.md");
    let text = std::fs::read_to_string(path).expect("ODD.md reads");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header =
        "| story | expectation (against its counterfactual) | 6 months | 24 months | 60 months |";
    let mut row = 2 + lines
        .iter()
        .position(|l| l == header)
        .expect("ODD.md has the table of the stories' effects");
    let bless = std::env::var("FRACTURE_BLESS").is_ok_and(|v| v == "1");
    let mut problems = Vec::new();
    for (name, expects, cells) in effects {
        for (i, (e, c)) in expects.iter().zip(cells).enumerate() {
            let line = lines.get(row).cloned().unwrap_or_default();
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let story_cell = if i == 0 {
                format!("`{name}`")
            } else {
                String::new()
            };
            if parts.len() != 7 || parts[1] != story_cell {
                panic!(
                    "ODD.md's table of stories: row {row} should be {name}'s expectation {i}: {line}"
                );
            }
            let want: Vec<String> = c.iter().map(|&x| odd_cell(e, x)).collect();
            if parts[3..6] != want {
                problems.push(format!(
                    "{name}, {} ({}): ODD.md says {:?}, the build gives {want:?}",
                    e.metric,
                    parts[2],
                    &parts[3..6]
                ));
                let lead = if i == 0 {
                    format!("| {story_cell} |")
                } else {
                    "| |".into()
                };
                lines[row] = format!("{lead} {} | {} |", parts[2], want.join(" | "));
            }
            row += 1;
        }
    }
    assert!(
        !lines.get(row).is_some_and(|l| l.starts_with('|')),
        "ODD.md's table of stories has rows no expectation gives: {}",
        lines[row]
    );
    if bless {
        std::fs::write(path, lines.join("\n") + "\n").expect("ODD.md writes");
    } else {
        assert!(
            problems.is_empty(),
            "ODD.md's table of the stories' effects differs from the build (FRACTURE_BLESS=1 cargo test \
             --test stories rewrites it):\n{}",
            problems.join("\n")
        );
    }
}

/// An effect as ODD.md prints it: relative ones in per cent, shares in points, counts and levels in
/// their units, with a sign and a precision that keeps two figures of small numbers.
fn odd_cell(e: &Expectation, x: f64) -> String {
    let (value, unit, big_decimals) = if e.relative {
        (x * 100.0, " %", 1)
    } else if e.metric.contains("share") {
        (x * 100.0, " pts", 0)
    } else if e.metric == "stranded_labs" {
        (x, "", 0)
    } else {
        (x, "", 2)
    };
    let a = value.abs();
    let decimals = if a >= 10.0 {
        big_decimals
    } else if a >= 0.1 {
        big_decimals.max(1)
    } else {
        big_decimals.max(1) + 1 + usize::from(unit.is_empty() && a < 0.01)
    };
    let shown = format!("{a:.decimals$}");
    if shown.trim_start_matches(['0', '.']).is_empty() {
        return "0".into();
    }
    let sign = if value < 0.0 { "−" } else { "+" };
    format!("{sign}{shown}{unit}")
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

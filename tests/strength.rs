//! Every kind of policy that takes `strength`, as the economics issue states its rules: at strength 0 it
//! does nothing (the tables are those of the world without it, to the bit); its effect grows with its
//! strength (0.5 has an effect three standard errors from zero over paired seeds, and 1 at least as
//! large); and a rule that only removes options never leaves those it restricts with more compute than
//! they had without it.
//!
//! Each case adds a probe policy to the baseline, with the baseline's own policies of the kind set to 0
//! where they would mask it, and reads one measure in the direction the kind should move it.

mod common;
use common::*;
use fracture::story::mean_and_error;
use fracture::{Detail, Outputs};

const SEEDS: [u64; 3] = [1, 2, 3];

struct Case {
    kind: &'static str,
    /// The probe: a `[[policy]]` named `probe`, its strength left to the test.
    probe: &'static str,
    /// Overrides of every run (the baseline's own policies that would mask the probe, at 0).
    sets: &'static [&'static str],
    months: u32,
    /// What the kind moves, and which way (−1 lower, +1 higher).
    measure: fn(&Outputs) -> f64,
    direction: f64,
    /// Whether 0.5 and 1 act alike (a ban closes or does not).
    all_or_nothing: bool,
    /// The compute of those it restricts (None where it restricts no one's compute: the push).
    restricted: Option<fn(&Outputs) -> f64>,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// A `nations` column summed over `nations`, mean over months `from..to`.
fn nations_over(out: &Outputs, nations: &[&str], column: &str, from: usize, to: usize) -> f64 {
    let total: Vec<f64> = (from..to)
        .map(|t| nations.iter().map(|n| nation(out, n, column)[t]).sum())
        .collect();
    mean(&total)
}

fn china_compute(o: &Outputs) -> f64 {
    nations_over(o, &["CN", "HK"], "compute_h100e", 0, o.global.height())
}

const THIRD: [&str; 4] = ["KE", "BR", "NG", "ID"];

fn cases() -> Vec<Case> {
    vec![
        Case {
            kind: "chip_export_control",
            probe: r#"
[[policy]]
name = "probe"
kind = "chip_export_control"
by = ["US"]
targets = ["controlled"]
h100e_threshold = 0.5
foreign_direct_product = true
start = "2025-01"
"#,
            sets: &["policy.us-chip-controls.strength=0"],
            months: 36,
            measure: |o| mean(&global(o, "compute_share_china")[12..36]),
            direction: -1.0,
            all_or_nothing: false,
            restricted: Some(china_compute),
        },
        Case {
            kind: "input_export_control",
            probe: r#"
[[policy]]
name = "probe"
kind = "input_export_control"
by = ["US", "NL", "JP", "KR"]
targets = ["CN"]
inputs = ["euv-tools", "duv-tools", "hbm"]
start = "2025-01"
"#,
            sets: &[
                "policy.tool-controls.strength=0",
                "policy.hbm-controls.strength=0",
            ],
            months: 60,
            measure: |o| mean(&global(o, "chip_production_h100e_china")[12..60]),
            direction: -1.0,
            all_or_nothing: false,
            restricted: Some(china_compute),
        },
        Case {
            kind: "weights_export_control",
            probe: r#"
[[policy]]
name = "probe"
kind = "weights_export_control"
by = ["west"]
targets = ["controlled"]
capability_threshold = 26.0
start = "2025-01"
"#,
            sets: &[],
            months: 60,
            measure: |o| global(o, "extractions").iter().sum(),
            direction: -1.0,
            all_or_nothing: false,
            restricted: Some(china_compute),
        },
        Case {
            kind: "cloud_kyc",
            probe: r#"
[[policy]]
name = "probe"
kind = "cloud_kyc"
providers = ["west"]
targets = ["china"]
training_threshold_h100e = 100
start = "2025-01"
"#,
            sets: &[],
            months: 36,
            measure: |o| nations_over(o, &["CN"], "supplied_share_west", 6, 36),
            direction: -1.0,
            all_or_nothing: false,
            restricted: Some(china_compute),
        },
        Case {
            kind: "cloud_ban",
            probe: r#"
[[policy]]
name = "probe"
kind = "cloud_ban"
by = ["uk-board-signatories"]
providers = ["alibaba-cloud"]
targets = ["uk-board-signatories"]
start = "2025-06"
"#,
            sets: &[],
            months: 30,
            measure: |o| nations_over(o, &["KE", "BR"], "compute_h100e", 5, 29),
            direction: -1.0,
            all_or_nothing: true,
            restricted: Some(|o| nations_over(o, &["KE", "BR"], "compute_h100e", 0, 30)),
        },
        Case {
            kind: "secondary_sanctions",
            probe: r#"
[[policy]]
name = "probe"
kind = "secondary_sanctions"
by = ["west"]
targets = ["china"]
start = "2025-06"
"#,
            sets: &[],
            months: 36,
            measure: |o| nations_over(o, &THIRD, "supplied_share_china", 6, 36),
            direction: -1.0,
            all_or_nothing: false,
            restricted: Some(|o| nations_over(o, &THIRD, "compute_h100e", 0, 36)),
        },
        Case {
            kind: "reciprocity",
            probe: r#"
[[policy]]
name = "probe"
kind = "reciprocity"
by = ["CN"]
targets = ["west"]
start = "2025-06"
"#,
            sets: &[],
            months: 36,
            measure: |o| nations_over(o, &["CN"], "supplied_share_west", 6, 36),
            direction: -1.0,
            // Its closure of clouds is all or nothing (its `inputs` are withheld at its strength, as an
            // input control's are).
            all_or_nothing: true,
            // Reciprocity closes the West's clouds to China's own labs: China restricts itself.
            restricted: Some(china_compute),
        },
        Case {
            kind: "indigenous_push",
            probe: r#"
[[policy]]
name = "probe"
kind = "indigenous_push"
targets = ["CN"]
start = "2025-01"
"#,
            sets: &["policy.china-indigenous-push.strength=0"],
            months: 60,
            measure: |o| mean(&global(o, "chip_production_h100e_china")[24..60]),
            direction: 1.0,
            all_or_nothing: false,
            restricted: None,
        },
        Case {
            kind: "purchase_discouragement",
            probe: r#"
[[policy]]
name = "probe"
kind = "purchase_discouragement"
by = ["CN"]
targets = ["CN"]
chips = ["h20"]
start = "2025-01"
"#,
            sets: &[],
            months: 24,
            // China's buyers take fewer of the listed class, NVIDIA's H20: less from the West legally.
            measure: |o| {
                nations_over(o, &["CN"], "received_h100e_west", 0, 24)
                    - nations_over(o, &["CN"], "smuggled_received_h100e", 0, 24)
            },
            direction: -1.0,
            all_or_nothing: false,
            restricted: Some(china_compute),
        },
    ]
}

fn with_strength(case: &Case, strength: Option<f64>) -> fracture::scenario::Scenario {
    match strength {
        None => scenario("", case.months, case.sets),
        Some(s) => scenario(
            &format!("{}strength = {s}\n", case.probe),
            case.months,
            case.sets,
        ),
    }
}

fn runs(case: &Case, strength: Option<f64>) -> Vec<Outputs> {
    let s = with_strength(case, strength);
    SEEDS
        .iter()
        .map(|&seed| fracture::simulate_with(&s, seed, Detail::Summary, |_| {}).expect("runs"))
        .collect()
}

fn check(case: &Case) {
    let without = runs(case, None);
    // Strength 0: the tables of the world without the policy, to the bit.
    let zero = fracture::simulate_with(
        &with_strength(case, Some(0.0)),
        SEEDS[0],
        Detail::Summary,
        |_| {},
    )
    .expect("runs");
    for (table, a, b) in [
        ("global", &zero.global, &without[0].global),
        ("nations", &zero.nations, &without[0].nations),
        ("providers", &zero.providers, &without[0].providers),
    ] {
        assert!(
            a.equals_missing(b),
            "{}: at strength 0 the {table} table differs from the world without it",
            case.kind
        );
    }
    // The effect at 0.5 and at 1, paired by seed, in the kind's direction.
    let effect = |runs: &[Outputs]| -> (Vec<f64>, f64, f64) {
        let e: Vec<f64> = runs
            .iter()
            .zip(&without)
            .map(|(a, b)| case.direction * ((case.measure)(a) - (case.measure)(b)))
            .collect();
        let (m, se) = mean_and_error(&e);
        (e, m, se)
    };
    let half = runs(case, Some(0.5));
    let full = runs(case, Some(1.0));
    let (e_half, m_half, se_half) = effect(&half);
    let (e_full, m_full, se_full) = effect(&full);
    eprintln!(
        "{}: effect at 0.5 {m_half:.4e} (se {se_half:.1e}) {e_half:?}; at 1 {m_full:.4e} (se {se_full:.1e}) {e_full:?}",
        case.kind
    );
    assert!(
        m_half > 0.0 && m_half >= 3.0 * se_half,
        "{}: at strength 0.5 the effect {m_half:.4e} is not three standard errors ({se_half:.1e}) the right way",
        case.kind
    );
    if case.all_or_nothing {
        assert!(
            (m_full - m_half).abs() <= 1e-9 * m_half.abs().max(1.0),
            "{}: all or nothing, yet 1 ({m_full:.4e}) and 0.5 ({m_half:.4e}) differ",
            case.kind
        );
    } else {
        // Paired by seed again: 1 against 0.5, at least two standard errors above zero.
        let growth: Vec<f64> = e_full.iter().zip(&e_half).map(|(f, h)| f - h).collect();
        let (g, se) = mean_and_error(&growth);
        assert!(
            g > 0.0 && g >= 2.0 * se,
            "{}: the effect does not grow from 0.5 ({m_half:.4e}) to 1 ({m_full:.4e}): {growth:?}",
            case.kind
        );
    }
    // Those it restricts have no more compute than without it (a thousandth for the market's noise).
    if let Some(restricted) = case.restricted {
        for (runs, s) in [(&half, 0.5), (&full, 1.0)] {
            let with: Vec<f64> = runs.iter().map(restricted).collect();
            let base: Vec<f64> = without.iter().map(restricted).collect();
            let (w, b) = (mean(&with), mean(&base));
            assert!(
                w <= b * 1.001,
                "{} at {s}: those it restricts have more compute with it ({w:.4e}) than without ({b:.4e})",
                case.kind
            );
        }
    }
}

macro_rules! strength_tests {
    ($($name:ident => $kind:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let case = cases().into_iter().find(|c| c.kind == $kind).expect("a case");
                check(&case);
            }
        )*
        /// Every kind that takes `strength` has a case.
        #[test]
        fn every_kind_with_a_strength_has_a_case() {
            let covered = [$($kind),*];
            for kind in fracture::scenario::PolicyKind::ALL {
                if kind.takes_strength() {
                    assert!(covered.contains(&kind.as_str()), "{} has no strength test", kind.as_str());
                }
            }
        }
    };
}

strength_tests! {
    chip_export_control_does_nothing_at_zero_and_more_with_strength => "chip_export_control",
    input_export_control_does_nothing_at_zero_and_more_with_strength => "input_export_control",
    weights_export_control_does_nothing_at_zero_and_more_with_strength => "weights_export_control",
    cloud_kyc_does_nothing_at_zero_and_more_with_strength => "cloud_kyc",
    cloud_ban_does_nothing_at_zero_and_bans_above => "cloud_ban",
    secondary_sanctions_do_nothing_at_zero_and_more_with_strength => "secondary_sanctions",
    reciprocity_does_nothing_at_zero_and_more_with_strength => "reciprocity",
    indigenous_push_does_nothing_at_zero_and_more_with_strength => "indigenous_push",
    purchase_discouragement_does_nothing_at_zero_and_more_with_strength => "purchase_discouragement",
}

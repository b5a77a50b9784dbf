//! Every parameter at both ends of its declared range (`parameters.rs`): the baseline runs three years
//! without a panic and with finite tables, or validation refuses the combination with a message (a
//! bound that conflicts with another parameter's default, such as `max_run_months` below
//! `training_run_months`). A value outside the range is an error naming the range.

mod common;

use fracture::Detail;
use fracture::parameters::PARAMETER_DOCS;
use fracture::scenario::load;

/// `value` as the file would write it: whole for a parameter whose default is whole.
fn written(default: &str, value: f64) -> String {
    if default.contains('.') || default.contains('e') {
        format!("{value:?}")
    } else {
        format!("{}", value as u64)
    }
}

#[test]
fn every_parameter_runs_at_both_ends_of_its_range() {
    let mut failures = Vec::new();
    for doc in PARAMETER_DOCS {
        for value in [doc.min, doc.max] {
            let set = format!("parameters.{}={}", doc.name, written(doc.default, value));
            let sets = common::sets(&[set.clone(), "scenario.months=36".into()]);
            let scenario = match load("baseline", &sets) {
                Ok(l) => l.scenario,
                // A bound that conflicts with another parameter's default: refused with a message.
                Err(e) => {
                    assert!(!e.diagnostics.is_empty(), "{set}");
                    continue;
                }
            };
            let run = std::panic::catch_unwind(|| {
                fracture::simulate_with(&scenario, 1, Detail::Summary, |_| {})
            });
            match run {
                Err(_) => failures.push(format!("{set}: panicked")),
                Ok(Err(e)) => failures.push(format!("{set}: failed: {e:#}")),
                Ok(Ok(out)) => {
                    if let Err(e) = fracture::output::check_finite(&out) {
                        failures.push(format!("{set}: {e:#}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_parameter_outside_its_range_is_an_error_that_names_the_range() {
    let e = load("baseline", &common::sets(&["parameters.beta=300"])).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("parameters.beta") && text.contains("expected a value from 0 to 20"),
        "{text}"
    );
    let e = load(
        "baseline",
        &common::sets(&["parameters.facility_usd_per_w=-100"]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("from 0 to 100"), "{e}");
}

/// All parameters at once: every one at its minimum, every one at its maximum, and 64 corners drawn at
/// random (each parameter at one end or the other; a pair whose ends conflict — `training_run_months`
/// above `max_run_months` — is put in order), a year each: none
/// panics, and each runs with finite tables or fails with the documented "not finite" error.
#[test]
fn every_parameter_at_its_ends_together_runs_or_fails_cleanly() {
    let n = PARAMETER_DOCS.len();
    let mut corners: Vec<Vec<bool>> = vec![vec![false; n], vec![true; n]];
    // A fixed xorshift stream: the same corners on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..64 {
        corners.push(
            (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state & 1 == 1
                })
                .collect(),
        );
    }
    let index = |name: &str| PARAMETER_DOCS.iter().position(|d| d.name == name).unwrap();
    let mut failures = Vec::new();
    for (c, high) in corners.iter().enumerate() {
        let mut values: Vec<f64> = PARAMETER_DOCS
            .iter()
            .zip(high)
            .map(|(d, &h)| if h { d.max } else { d.min })
            .collect();
        let (a, b) = (index("training_run_months"), index("max_run_months"));
        if values[a] > values[b] {
            values.swap(a, b);
        }
        let mut sets: Vec<String> = PARAMETER_DOCS
            .iter()
            .zip(&values)
            .map(|(d, &v)| format!("parameters.{}={}", d.name, written(d.default, v)))
            .collect();
        sets.push("scenario.months=12".into());
        let scenario = match load("baseline", &common::sets(&sets)) {
            Ok(l) => l.scenario,
            Err(e) => {
                failures.push(format!("corner {c}: refused: {e:?}"));
                continue;
            }
        };
        let run = std::panic::catch_unwind(|| {
            fracture::simulate_with(&scenario, 1, Detail::Summary, |_| {})
        });
        match run {
            Err(_) => failures.push(format!("corner {c}: panicked")),
            Ok(Err(e)) => failures.push(format!("corner {c}: failed: {e:#}")),
            Ok(Ok(out)) => {
                if let Err(e) = fracture::output::check_finite(&out) {
                    assert!(format!("{e:#}").contains("overflowed"), "corner {c}: {e:#}");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

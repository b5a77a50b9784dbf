//! Malformed scenarios, each with the error it must produce: file, line and column, key path, and what
//! was expected; every problem of a file at once.

use fracture::scenario::{Diagnostic, ScenarioError, load, load_str};

fn errors(text: &str) -> Vec<Diagnostic> {
    match load_str("bad.toml", text, &[]) {
        Ok(_) => panic!("the scenario should be rejected:\n{text}"),
        Err(ScenarioError { diagnostics }) => diagnostics,
    }
}

/// Asserts that one diagnostic reads `file:line:col: `key`: …message…`.
fn expect(d: &[Diagnostic], line: usize, column: usize, key: &str, message: &str) {
    let found = d.iter().any(|d| {
        d.file == "bad.toml"
            && d.line == Some(line)
            && d.column == Some(column)
            && d.key_path == key
            && d.message.contains(message)
    });
    assert!(
        found,
        "expected bad.toml:{line}:{column}: `{key}`: …{message}…, got:\n{}",
        d.iter().map(|d| format!("  {d}\n")).collect::<String>()
    );
}

/// The key path of the `k`-th policy a test file adds to the baseline's (the merged list keeps the
/// baseline's policies first).
fn added(k: usize, rest: &str) -> String {
    let n = fracture::scenario::load("baseline", &[])
        .unwrap()
        .scenario
        .policy
        .len();
    format!("policy[{}]{rest}", n + k)
}

#[test]
fn unknown_key_is_named_with_its_position_and_the_keys_expected() {
    let d = errors("extends = \"baseline\"\n[scenario]\nname = \"x\"\n[parameters]\nbetta = 2.0\n");
    expect(
        &d,
        5,
        1,
        "parameters.betta",
        "unknown field `betta`, expected one of",
    );
    assert_eq!(
        d[0].to_string(),
        format!("bad.toml:5:1: `parameters.betta`: {}", d[0].message)
    );
}

#[test]
fn wrong_type_says_what_was_expected() {
    let d =
        errors("extends = \"baseline\"\n[scenario]\nname = \"x\"\n[parameters]\nbeta = \"high\"\n");
    expect(
        &d,
        5,
        1,
        "parameters.beta",
        "invalid type: string \"high\", expected f64",
    );
}

#[test]
fn unresolved_reference_in_an_added_policy_points_into_the_extending_file() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"

[[policy]]
name = "oops"
kind = "cloud_ban"
providers = ["alibaba"]
targets = ["KE", "Atlantis"]
"#,
    );
    // The baseline holds six policies, so the new one is the seventh of the merged scenario.
    expect(
        &d,
        8,
        14,
        &added(0, ".providers[0]"),
        "unknown provider or bloc `alibaba`",
    );
    expect(
        &d,
        9,
        18,
        &added(0, ".targets[1]"),
        "unknown nation, coalition or bloc `Atlantis`",
    );
}

#[test]
fn alignment_weights_must_sum_to_one() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[nation]]
id = "ZZ"
population = 1
gdp = 1
alignment = { west = 0.5, china = 0.4 }
"#,
    );
    expect(
        &d,
        8,
        1,
        "nation[48].alignment",
        "summing to 1 (within 1e-6), found 0.9",
    );
}

#[test]
fn duplicate_ids_in_one_file_are_rejected() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[coalition]]
id = "club"
members = ["US"]
[[coalition]]
id = "club"
members = ["GB"]
"#,
    );
    expect(&d, 8, 1, "coalition[1].id", "duplicate coalition id");
}

#[test]
fn missing_base_file_is_reported_where_extends_is() {
    let d = errors("extends = \"nope.toml\"\n[scenario]\nname = \"x\"\n");
    expect(&d, 1, 1, "extends", "cannot find `nope.toml`");
}

#[test]
fn months_dates_and_policy_fields_are_checked() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
months = 0

[[policy]]
name = "p"
kind = "cloud_ban"
targets = ["KE"]

[[policy]]
name = "q"
kind = "indigenous_push"
targets = ["CN"]
strength = 1.5
inputs = ["hbm"]
"#,
    );
    expect(&d, 4, 1, "scenario.months", "expected at least 1 month");
    expect(
        &d,
        6,
        1,
        &added(0, ".providers"),
        "a policy of kind `cloud_ban` needs `providers`",
    );
    expect(
        &d,
        15,
        1,
        &added(1, ".strength"),
        "expected a number in [0, 1], found 1.5",
    );
    expect(
        &d,
        16,
        1,
        &added(1, ".inputs"),
        "`inputs` does not apply to a policy of kind `indigenous_push`",
    );
    assert_eq!(d.len(), 4, "all four problems at once: {d:?}");
}

#[test]
fn bad_month_is_explained() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[policy]]
name = "p"
kind = "indigenous_push"
targets = ["CN"]
start = "2025-13"
"#,
    );
    expect(
        &d,
        8,
        1,
        &added(0, ".start"),
        "`2025-13` is not a month: expected YYYY-MM",
    );
}

#[test]
fn syntax_errors_carry_their_position() {
    let d = errors("[scenario]\nname = \n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].line, Some(2));
    assert!(
        d[0].message.starts_with("not valid TOML"),
        "{}",
        d[0].message
    );
}

#[test]
fn a_file_of_its_own_needs_a_scenario_table_and_two_blocs() {
    let d = errors("[[bloc]]\nid = \"a\"\nleader = \"US\"\n");
    assert!(
        d.iter()
            .any(|d| d.key_path == "scenario" && d.message.contains("missing `[scenario]`"))
    );
}

#[test]
fn removing_what_was_never_there_is_an_error() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[remove]\npolicy = [\"ghost\"]\n",
    );
    expect(
        &d,
        5,
        11,
        "remove.policy[0]",
        "no inherited policy with name `ghost` to remove",
    );
}

#[test]
fn trigger_templates_are_validated_with_placeholders_allowed() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[trigger]]
name = "t"
on = "theft_detected"
delay_months = 0
policy = { kind = "cloud_ban", providers = ["$provider", "$nobody"], targets = ["KE"] }
"#,
    );
    expect(&d, 7, 1, "trigger[0].delay_months", "expected at least 1");
    assert!(
        d.iter().any(
            |d| d.key_path == "trigger[0].policy.providers[1]" && d.message.contains("$nobody")
        )
    );
    assert_eq!(d.len(), 2, "`$provider` is a valid placeholder: {d:?}");
}

#[test]
fn command_line_overrides_are_checked_too() {
    let e = load("baseline", &["policy.nope.strength=1".into()]).unwrap_err();
    assert_eq!(e.diagnostics[0].file, "--set");
    assert!(
        e.diagnostics[0]
            .message
            .contains("no policy with name `nope`")
    );
    let e = load("baseline", &["parameters.beta=-1".into()]).unwrap_err();
    assert_eq!(e.diagnostics[0].file, "--set");
    assert_eq!(e.diagnostics[0].key_path, "parameters.beta");
}

#[test]
fn errors_in_a_base_file_name_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("world.toml"),
        "[scenario]\nname = \"w\"\n[parameters]\ntau = -1.0\n",
    )
    .unwrap();
    let child = dir.path().join("story.toml");
    std::fs::write(
        &child,
        "extends = \"world.toml\"\n[scenario]\nname = \"s\"\n",
    )
    .unwrap();
    let e = load(child.to_str().unwrap(), &[]).unwrap_err();
    let tau = e
        .diagnostics
        .iter()
        .find(|d| d.key_path == "parameters.tau")
        .unwrap();
    assert!(tau.file.ends_with("world.toml"), "{tau}");
    assert_eq!((tau.line, tau.column), (Some(4), Some(1)));
}

#[test]
fn a_longest_run_shorter_than_the_first_run_is_refused() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[parameters]\ntraining_run_months = 6\nmax_run_months = 3\n",
    );
    expect(
        &d,
        6,
        1,
        "parameters.max_run_months",
        "expected at least `training_run_months` (6), found 3",
    );
}

#[test]
fn a_scenario_read_once_loads_as_load_does_and_blames_the_override() {
    let base = fracture::scenario::Base::read("baseline").unwrap();
    let sets = vec!["parameters.beta=3".to_string()];
    assert_eq!(
        base.load(&sets).unwrap().scenario,
        fracture::scenario::load("baseline", &sets)
            .unwrap()
            .scenario
    );
    let err = base.load(&["parameters.beta=-1".into()]).unwrap_err();
    assert_eq!(err.diagnostics[0].file, "--set");
    assert_eq!(err.diagnostics[0].key_path, "parameters.beta");
    // The next load starts from the files again, not from the previous overrides.
    assert_eq!(base.load(&[]).unwrap().scenario.parameters.beta, 2.0);
    assert!(fracture::scenario::Base::read("no-such-scenario").is_err());
}

#[test]
fn secondary_sanctions_must_name_a_bloc_not_a_nation() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"

[[policy]]
name = "gulf"
kind = "secondary_sanctions"
by = ["US"]
targets = ["china", "AE"]
"#,
    );
    expect(
        &d,
        9,
        21,
        &added(0, ".targets[1]"),
        "a `secondary_sanctions` policy targets a bloc, whose providers and chips third countries are \
         penalised for using; `AE` is not a bloc",
    );
    assert_eq!(d.len(), 1, "`china` is a bloc: {d:?}");
}

//! Malformed scenarios, each with the error it must produce: file, line and column, key path, and what
//! was expected; every problem of a file at once.

mod common;

use common::sets;
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
fn a_fraction_where_a_whole_number_belongs_is_told_the_range() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\nmonths = 2.5\n[parameters]\nreoffer_rounds = 3.5\n",
    );
    // A parameter's range is its declaration's; other keys' their limits'.
    expect(
        &d,
        6,
        1,
        "parameters.reoffer_rounds",
        "expected u32 (a whole number from 0 to 100, rounds)",
    );
    expect(
        &d,
        4,
        1,
        "scenario.months",
        "expected u32 (a whole number from 1 to 1200: months of the run",
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
    let e = load("baseline", &sets(&["policy.nope.strength=1"])).unwrap_err();
    assert_eq!(e.diagnostics[0].file, "--set");
    assert!(
        e.diagnostics[0]
            .message
            .contains("no policy with name `nope`")
    );
    let e = load("baseline", &sets(&["parameters.beta=-1"])).unwrap_err();
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
fn a_pair_out_of_order_is_blamed_on_the_one_that_was_changed() {
    // Only `training_run_months` is set: `max_run_months`, written nowhere, is not the culprit.
    let e = load("baseline", &sets(&["parameters.training_run_months=120"])).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1, "{:?}", e.diagnostics);
    let d = &e.diagnostics[0];
    assert_eq!(
        (d.file.as_str(), d.key_path.as_str()),
        ("--set", "parameters.training_run_months")
    );
    assert!(
        d.message
            .contains("expected at most `max_run_months` (9), found 120"),
        "{d}"
    );
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[parameters]\ntraining_run_months = 20\n",
    );
    expect(
        &d,
        5,
        1,
        "parameters.training_run_months",
        "expected at most `max_run_months` (9), found 20",
    );
}

#[test]
fn a_scenario_read_once_loads_as_load_does_and_blames_the_override() {
    let base = fracture::scenario::Base::read("baseline").unwrap();
    let beta = sets(&["parameters.beta=3"]);
    assert_eq!(
        base.load(&beta).unwrap().scenario,
        fracture::scenario::load("baseline", &beta)
            .unwrap()
            .scenario
    );
    let err = base.load(&sets(&["parameters.beta=-1"])).unwrap_err();
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

/// The diagnostic at `key`, which must exist.
fn at<'a>(d: &'a [Diagnostic], key: &str) -> &'a Diagnostic {
    d.iter().find(|d| d.key_path == key).unwrap_or_else(|| {
        panic!(
            "no problem at `{key}`, got:\n{}",
            d.iter().map(|d| format!("  {d}\n")).collect::<String>()
        )
    })
}

/// The merged index of the baseline's element with this id.
fn baseline_index(section: &str, id: &str) -> usize {
    let s = load("baseline", &[]).unwrap().scenario;
    let ids: Vec<String> = match section {
        "nation" => s.nation.iter().map(|x| x.id.clone()).collect(),
        "lab" => s.lab.iter().map(|x| x.id.clone()).collect(),
        "provider" => s.provider.iter().map(|x| x.id.clone()).collect(),
        _ => unreachable!(),
    };
    ids.iter().position(|x| x == id).unwrap()
}

#[test]
fn a_type_error_an_unknown_nation_and_a_negative_population_are_reported_in_one_pass() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[parameters]
beta = "high"
[[lab]]
id = "openai"
nation = "Atlantis"
[[nation]]
id = "KE"
population = -5
"#,
    );
    expect(
        &d,
        5,
        1,
        "parameters.beta",
        "invalid type: string \"high\", expected f64",
    );
    let lab = format!("lab[{}].nation", baseline_index("lab", "openai"));
    expect(&d, 8, 1, &lab, "unknown nation `Atlantis`");
    let ke = format!("nation[{}].population", baseline_index("nation", "KE"));
    expect(&d, 11, 1, &ke, "expected a positive number, found -5");
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(
        d.windows(2).all(|w| w[0].line <= w[1].line),
        "in the order of the file: {d:?}"
    );
}

#[test]
fn every_type_error_of_an_entry_is_reported_and_the_rest_of_it_still_checked() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[lab]]
id = "new"
nation = "KEE"
kind = "frontir"
budget = "lots"
count = -2
training_share = 3.0
"#,
    );
    let n = load("baseline", &[]).unwrap().scenario.lab.len();
    let lab = |k: &str| format!("lab[{n}].{k}");
    expect(
        &d,
        6,
        1,
        &lab("nation"),
        "unknown nation `KEE`; did you mean `KE`?",
    );
    expect(&d, 7, 1, &lab("kind"), "did you mean `frontier`?");
    expect(
        &d,
        8,
        1,
        &lab("budget"),
        "invalid type: string \"lots\", expected f64",
    );
    expect(&d, 9, 1, &lab("count"), "expected u32");
    expect(
        &d,
        10,
        1,
        &lab("training_share"),
        "expected a number in [0, 1], found 3",
    );
    assert_eq!(d.len(), 5, "one problem per key: {d:?}");
}

#[test]
fn misspelt_keys_ids_and_sections_get_a_suggestion() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[paramters]
beta = 2.0
[[policy]]
name = "p"
kind = "cloud_ban"
providers = ["alibaba-clod"]
targets = ["KEN"]
"#,
    );
    expect(&d, 4, 2, "paramters", "did you mean `parameters`?");
    expect(
        &d,
        9,
        14,
        &added(0, ".providers[0]"),
        "did you mean `alibaba-cloud`?",
    );
    expect(&d, 10, 12, &added(0, ".targets[0]"), "did you mean `KE`?");

    let e = load("baseline", &sets(&["nation.KEE.population=60"])).unwrap_err();
    assert!(
        e.diagnostics[0].message.contains("did you mean `KE`?"),
        "{}",
        e.diagnostics[0]
    );
}

#[test]
fn a_lab_named_like_a_member_of_a_population_is_caught_before_running() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[lab]]
id = "us-startup-0007"
nation = "US"
kind = "startup"
budget = 1
"#,
    );
    let n = load("baseline", &[]).unwrap().scenario.lab.len();
    expect(
        &d,
        5,
        1,
        &format!("lab[{n}].id"),
        "`us-startup-0007` is also the id of a lab of the population `us-startup`",
    );
    // Past the population's size, or with other digits, the id is free.
    for free in ["us-startup-9999", "us-startup-007", "us-startup-0000"] {
        let text = format!(
            "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[[lab]]\nid = \"{free}\"\nnation = \"US\"\nkind = \"startup\"\nbudget = 1\n"
        );
        assert!(load_str("ok.toml", &text, &[]).is_ok(), "{free}");
    }
}

#[test]
fn a_trigger_cannot_target_the_accused_lab_and_lasts_at_least_a_month() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"
[[trigger]]
name = "t"
on = "theft_detected"
duration_months = 0
policy = { kind = "cloud_ban", providers = ["$provider"], targets = ["$lab", "$nation"], by = ["$provider"] }
"#,
    );
    expect(
        &d,
        7,
        1,
        "trigger[0].duration_months",
        "expected at least 1 month",
    );
    expect(
        &d,
        8,
        70,
        "trigger[0].policy.targets[0]",
        "a lab is not a party to a policy",
    );
    expect(&d, 8, 96, "trigger[0].policy.by[0]", "names a provider");
    assert_eq!(d.len(), 3, "`$nation` is a valid target: {d:?}");
}

#[test]
fn numbers_out_of_bounds_are_refused_before_they_run() {
    let region = |i: usize| {
        format!("[[provider.region]]\nid = \"huge-{i}\"\nhost = \"US\"\ncapacity = 1.7e308\n")
    };
    let text = format!(
        r#"extends = "baseline"
[scenario]
name = "x"
months = 5000
[parameters]
initial_age_months = 4000000000
max_run_months = 4000000000
beta = nan
tau = inf
[[trigger]]
name = "t"
on = "theft_detected"
delay_months = 4000000000
policy = {{ kind = "cloud_ban", providers = ["$provider"], targets = ["KE"] }}
[[provider]]
id = "mega"
home = "US"
price = 2.0
capex = 1.0
{}{}"#,
        region(0),
        region(1)
    );
    let d = errors(&text);
    expect(&d, 4, 1, "scenario.months", "in [1, 1200], found 5000");
    expect(
        &d,
        6,
        1,
        "parameters.initial_age_months",
        "expected a value from 0 to 600 (months; the range the model is built and tested for), \
         found 4000000000",
    );
    expect(
        &d,
        7,
        1,
        "parameters.max_run_months",
        "expected a value from 1 to 120 (months; the range the model is built and tested for), \
         found 4000000000",
    );
    expect(
        &d,
        8,
        1,
        "parameters.beta",
        "expected a finite number, found NaN",
    );
    expect(
        &d,
        9,
        1,
        "parameters.tau",
        "expected a finite number, found inf",
    );
    expect(
        &d,
        13,
        1,
        "trigger[0].delay_months",
        "in [1, 1200], found 4000000000",
    );
    let n = load("baseline", &[]).unwrap().scenario.provider.len();
    expect(
        &d,
        23,
        1,
        &format!("provider[{n}].region[0].capacity"),
        "in [0, 1e12], found 1.7e308",
    );
    expect(
        &d,
        27,
        1,
        &format!("provider[{n}].region[1].capacity"),
        "found 1.7e308",
    );
}

#[test]
fn numbers_too_small_to_divide_by_are_refused_and_zero_is_not() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[[provider]]\nid = \"aws\"\nprice = 1e-300\n",
    );
    let aws = format!("provider[{}].price", baseline_index("provider", "aws"));
    expect(&d, 6, 1, &aws, "0 or a number of magnitude at least 1e-15");
    assert!(load("baseline", &sets(&["parameters.alignment_noise=0"])).is_ok());
}

#[test]
fn lab_populations_are_bounded_one_by_one_and_in_all() {
    let lab = |id: &str, count: &str| {
        format!(
            "[[lab]]\nid = \"{id}\"\nnation = \"US\"\nkind = \"startup\"\nbudget = 1\ncount = {count}\n"
        )
    };
    let d = errors(&format!(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n{}{}",
        lab("many", "200000000"),
        lab("floaty", "4e9")
    ));
    let n = load("baseline", &[]).unwrap().scenario.lab.len();
    expect(
        &d,
        9,
        1,
        &format!("lab[{n}].count"),
        "in [1, 1e8], found 200000000",
    );
    at(&d, &format!("lab[{}].count", n + 1));

    let d = errors(&format!(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n{}{}",
        lab("half", "60000000"),
        lab("other-half", "60000000")
    ));
    assert!(
        at(&d, "lab")
            .message
            .contains("expected at most 100000000 labs in all")
    );
    assert!(at(&d, "lab").line.is_some());
}

#[test]
fn seeds_fit_a_signed_64_bit_integer_in_files_as_on_the_command_line() {
    let d = errors("extends = \"baseline\"\n[scenario]\nname = \"x\"\nseed = -1\n");
    expect(&d, 4, 1, "scenario.seed", "");
    let max = format!("scenario.seed={}", i64::MAX);
    assert!(load("baseline", &sets(&[max])).is_ok());
}

#[test]
fn an_unknown_key_set_on_the_command_line_is_blamed_on_the_command_line() {
    let e = load("baseline", &sets(&["foo.bar=1"])).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    assert_eq!(e.diagnostics[0].file, "--set");
    assert_eq!(e.diagnostics[0].key_path, "foo");
    let e = load(
        "baseline",
        &sets(&["parameters.betta=1", "nation.XX.gdp=1"]),
    )
    .unwrap_err();
    assert_eq!(e.diagnostics.len(), 2, "every override's problem: {e}");
    assert!(e.diagnostics.iter().all(|d| d.file == "--set"));
}

#[test]
fn extends_cycles_are_found_on_canonical_paths_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(
        bad.join("x.toml"),
        "extends = \"../bad/x.toml\"\n[scenario]\nname = \"x\"\n",
    )
    .unwrap();
    let e = load(bad.join("x.toml").to_str().unwrap(), &[]).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    let d = &e.diagnostics[0];
    assert_eq!((d.key_path.as_str(), d.line), ("extends", Some(1)));
    assert!(d.message.contains("`extends` forms a cycle"), "{d}");

    std::fs::write(
        dir.path().join("a.toml"),
        "extends = \"b.toml\"\n[scenario]\nname = \"a\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.toml"),
        "extends = \"a.toml\"\n[scenario]\nname = \"b\"\n",
    )
    .unwrap();
    let e = load(dir.path().join("a.toml").to_str().unwrap(), &[]).unwrap_err();
    let d = &e.diagnostics[0];
    assert!(d.file.ends_with("b.toml"), "{d}");
    let chain = d.message.split("cycle: ").nth(1).unwrap();
    let names: Vec<&str> = chain
        .split(" → ")
        .map(|p| p.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["a.toml", "b.toml", "a.toml"], "{d}");
}

#[test]
fn scenario_files_are_regular_files_of_at_most_16_mb_together() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len((16 << 20) + 1).unwrap();
    let e = load(big.to_str().unwrap(), &[]).unwrap_err();
    assert!(
        e.diagnostics[0]
            .message
            .contains("larger than the limit of 16 MB"),
        "{e}"
    );
    // Two files of 9 MB each: the second, extended by the first, finds too little room.
    let half = "# padding\n".repeat((9 << 20) / 10);
    std::fs::write(
        dir.path().join("b.toml"),
        format!("{half}extends = \"baseline\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        format!("extends = \"b.toml\"\n[scenario]\nname = \"a\"\n{half}"),
    )
    .unwrap();
    let Err(e) = load(dir.path().join("a.toml").to_str().unwrap(), &[]) else {
        panic!("18 MB of files together are refused");
    };
    assert!(
        e.to_string()
            .contains("a scenario's files together hold at most 16 MB"),
        "{e}"
    );
    let e = load("/dev/zero", &[]).unwrap_err();
    assert!(
        e.diagnostics[0].message.contains("not a regular file"),
        "{e}"
    );
    // A folder named like a shipped scenario does not hide it.
    std::fs::create_dir(dir.path().join("baseline")).unwrap();
    let here = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let shipped = load("baseline", &[]);
    std::env::set_current_dir(here).unwrap();
    assert!(shipped.is_ok());
}

#[test]
fn a_key_a_policy_kind_does_not_take_is_named_with_the_keys_it_does() {
    let d = errors(
        r#"extends = "baseline"
[scenario]
name = "x"

[[policy]]
name = "cap"
kind = "import_cap"
targets = ["IN"]
cap_h100e_per_year = 1000
strength = 0.5

[[policy]]
name = "weights"
kind = "weights_export_control"
by = ["US"]
targets = ["CN"]
open_release_cap = 26.0
headquartered = true
"#,
    );
    expect(
        &d,
        10,
        1,
        &added(0, ".strength"),
        "`strength` does not apply to a policy of kind `import_cap` (it has no strength",
    );
    expect(
        &d,
        18,
        1,
        &added(1, ".headquartered"),
        "`headquartered` does not apply to a policy of kind `weights_export_control`; it takes `by`, \
         `targets`, `strength`, `capability_threshold`, `open_release_cap`",
    );
    assert_eq!(d.len(), 2, "both problems at once: {d:?}");
}

#[test]
fn a_run_may_not_start_before_its_worlds_data_month() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\ndata_month = \"2025-01\"\nstart = \"2022-10\"\n",
    );
    expect(
        &d,
        5,
        1,
        "scenario.start",
        "expected a month on or after the world's `data_month` (2025-01)",
    );
    // From a later start, the same world follows the same calendar: the trend price of chips two years
    // on is two years' price-performance lower.
    let later = load(
        "baseline",
        &sets(&["scenario.data_month=2025-01", "scenario.start=2027-01"]),
    )
    .unwrap()
    .scenario;
    assert_eq!(later.months_since_data(), 24);
}

#[test]
fn scale_multiplies_what_a_file_inherits_and_refuses_what_it_cannot_scale() {
    let base = load("baseline", &[]).unwrap().scenario;
    let scaled = fracture::scenario::load_str(
        "scaled.toml",
        "extends = \"baseline\"\n[scenario]\nname = \"scaled\"\n[scale]\n\"lab.budget\" = 0.5\n\
         \"provider.region.capacity\" = 2\n[[lab]]\nid = \"my-lab\"\nnation = \"KE\"\nkind = \"startup\"\n\
         budget = 0.1\n",
        &[],
    )
    .unwrap()
    .scenario;
    let budget = |s: &fracture::scenario::Scenario, id: &str| {
        s.lab.iter().find(|l| l.id == id).unwrap().budget
    };
    assert_eq!(budget(&scaled, "openai"), 0.5 * budget(&base, "openai"));
    // The file's own entries are not scaled.
    assert_eq!(budget(&scaled, "my-lab"), 0.1);
    let capacity = |s: &fracture::scenario::Scenario| -> f64 {
        s.provider
            .iter()
            .flat_map(|p| &p.region)
            .map(|r| r.capacity)
            .sum()
    };
    assert!((capacity(&scaled) - 2.0 * capacity(&base)).abs() < 1e-6 * capacity(&base));

    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[scale]\n\"lab.budgt\" = 0.5\n\"fab.wafers\" = 0\n",
    );
    expect(
        &d,
        5,
        1,
        "scale.lab.budgt",
        "`lab.budgt` cannot be scaled; did you mean `lab.budget`?",
    );
    expect(
        &d,
        6,
        1,
        "scale.fab.wafers",
        "expected a factor from 1/1000 to 1000",
    );
    assert_eq!(d.len(), 2, "both problems at once: {d:?}");
}

/// Ids that print like others, names that drive the terminal, names no folder can take: all refused,
/// every one in one pass, each at its key.
#[test]
fn ids_and_names_that_deceive_or_break_are_refused_in_one_pass() {
    let text = "extends = \"baseline\"\n\
        [scenario]\nname = \"CON\"\nstory = \"a \\u001b]0;title\\u0007 story\"\n\
        [[nation]]\nid = \"K\\u202eE\"\nname = \"Kenya twice\"\npopulation = 1\ngdp = 1\nalignment = { west = 1.0 }\n\
        [[lab]]\nid = \"open\\u200bai\"\nnation = \"US\"\nkind = \"startup\"\nbudget = 0.1\n\
        [[lab]]\nid = \"\\u043epenai\"\nnation = \"US\"\nkind = \"startup\"\nbudget = 0.1\n\
        [[coalition]]\nid = \"two\\nlines\"\nname = \"x\"\nmembers = [\"US\"]\n";
    let d = errors(text);
    let keys: Vec<&str> = d.iter().map(|x| x.key_path.as_str()).collect();
    for (key, says) in [
        ("scenario.name", "device name on Windows"),
        ("scenario.story", "control character (U+001B)"),
        ("nation[48].id", "U+202E (not ASCII)"),
        ("lab[79].id", "U+200B (not ASCII)"),
        ("lab[80].id", "U+043E (not ASCII)"),
        ("coalition[4].id", "`\\n`"),
    ] {
        let found = d
            .iter()
            .find(|x| x.key_path == key)
            .unwrap_or_else(|| panic!("no problem at {key}: {keys:?}"));
        assert!(found.message.contains(says), "{key}: {}", found.message);
    }
    // Printed, the problems carry no escape sequence and no bidirectional override.
    let printed = ScenarioError { diagnostics: d }.to_string();
    let printed = fracture::scenario::text::printable(&printed);
    assert!(!printed.contains('\u{1b}') && !printed.contains('\u{202e}'));

    let long = errors(&format!(
        "extends = \"baseline\"\n[scenario]\nname = \"{}\"\n",
        "x".repeat(300)
    ));
    assert!(
        long.iter()
            .any(|x| x.key_path == "scenario.name" && x.message.contains("at most 100"))
    );
    let huge = errors(&format!(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[[nation]]\nid = \"KE\"\nname = \"{}\"\n",
        "n".repeat(1 << 20)
    ));
    assert!(
        huge.iter()
            .any(|x| x.key_path.ends_with(".name") && x.message.contains("at most 200"))
    );
}

/// What `run` would find only later, `validate` finds first: a trigger whose policy is named like one
/// of the scenario's own (it would never fire), an expectation of a metric no run records (checked by
/// the command line, which knows the tables), a start outside the model's era.
#[test]
fn silent_no_ops_and_late_errors_are_caught_by_validation() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\nstart = \"9999-01\"\n\
         [[trigger]]\nname = \"t\"\non = \"theft_detected\"\n\
         policy = { name = \"tool-controls\", kind = \"cloud_ban\", providers = [\"$provider\"], targets = [\"KE\"] }\n\
         [[trigger]]\nname = \"u\"\non = \"theft_detected\"\n\
         policy = { name = \"us-$nation\", kind = \"cloud_ban\", providers = [\"aws\"], targets = [\"KE\"] }\n\
         [[policy]]\nname = \"us-KE\"\nkind = \"cloud_ban\"\nproviders = [\"aws\"]\ntargets = [\"KE\"]\n",
    );
    let at = |key: &str| {
        d.iter()
            .find(|x| x.key_path == key)
            .map(|x| x.message.clone())
    };
    assert!(at("trigger[0].policy.name").unwrap().contains("never fire"));
    assert!(at("trigger[1].policy.name").unwrap().contains("`us-KE`"));
    assert!(
        at("scenario.start")
            .unwrap()
            .contains("from 1990-01 to 2100-12")
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("story.toml");
    std::fs::write(
        &file,
        "extends = \"baseline\"\n[scenario]\nname = \"s\"\nstory = \"x\"\nsources = [\"x\"]\n\
         [[scenario.expect]]\nmetric = \"compute_h10e\"\nnations = [\"KE\"]\ndirection = \"lower\"\n\
         months = 12\nmin_effect = 0.01\n",
    )
    .unwrap();
    let out = common::fracture(&["validate", file.to_str().unwrap()], dir.path());
    assert!(!out.status.success());
    let err = common::text(&out.stderr);
    assert!(
        err.contains("scenario.expect[0].metric") && err.contains("did you mean `compute_h100e`"),
        "{err}"
    );
    // At its key in the file that writes it, not the base file it extends.
    assert!(
        err.contains("story.toml:7:1: `scenario.expect[0].metric`"),
        "{err}"
    );
    assert!(!err.contains("baseline.toml"), "{err}");

    // A metric written with escapes is found too (its text is not the file's), by `run` as by
    // `validate`.
    std::fs::write(
        &file,
        "extends = \"baseline\"\n[scenario]\nname = \"s\"\nstory = \"x\"\nsources = [\"x\"]\n\
         [[scenario.expect]]\nnations = [\"KE\"]\nmetric = \"compute\\u001b[2J\"\ndirection = \"lower\"\n\
         months = 12\nmin_effect = 0.01\n",
    )
    .unwrap();
    for cmd in ["validate", "run"] {
        let out = common::fracture(&[cmd, file.to_str().unwrap()], dir.path());
        assert!(!out.status.success());
        let err = common::text(&out.stderr);
        assert!(
            err.contains(
                "story.toml:8:1: `scenario.expect[0].metric`: no run records `compute\\u{1b}[2J`"
            ),
            "{cmd}: {err}"
        );
    }
    assert!(!dir.path().join("output").exists());
}

/// A hundred thousand names in `[remove]` get a page of problems and a count, quickly; focus lists are
/// bounded and hold each nation once (every focus nation is a line in the charts).
#[test]
fn long_lists_of_mistakes_are_bounded() {
    let names: Vec<String> = (0..100_000).map(|i| format!("\"ghost{i}\"")).collect();
    let d = errors(&format!(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[remove]\npolicy = [{}]\n",
        names.join(",")
    ));
    assert_eq!(d.len(), fracture::scenario::MAX_SHOWN, "{d:?}");
    let last = d.last().unwrap();
    assert!(
        last.key_path == "remove" && last.message.contains("and 99951 more problems"),
        "{last}"
    );
    let printed = ScenarioError { diagnostics: d }.to_string();
    assert!(
        printed.lines().count() <= fracture::scenario::MAX_SHOWN + 2,
        "{printed}"
    );

    let seventeen = [
        "KE", "BR", "IN", "US", "CN", "DE", "FR", "JP", "KR", "GB", "SA", "AE", "TW", "NG", "ID",
        "ZA", "MX",
    ];
    let listed = |ids: &[&str]| {
        ids.iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let d = errors(&format!(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\nfocus = [{}]\n",
        listed(&seventeen)
    ));
    expect(&d, 4, 106, "scenario.focus[16]", "at most 16 focus nations");
    let d = errors("extends = \"baseline\"\n[scenario]\nname = \"x\"\nfocus = [\"KE\", \"KE\"]\n");
    expect(
        &d,
        4,
        16,
        "scenario.focus[1]",
        "`KE` is already a focus nation",
    );
}

/// An id given without its suffix gets the id it begins: `huawei` for `huawei-cloud` (issue seen by a
/// tutorial reader: the edit distance alone suggested nothing).
#[test]
fn an_id_missing_its_suffix_gets_a_suggestion() {
    let d = errors(
        "extends = \"baseline\"\n[scenario]\nname = \"x\"\n[[policy]]\nname = \"ban\"\nkind = \
         \"cloud_ban\"\nby = [\"DE\"]\ntargets = [\"DE\"]\nproviders = [\"huawei\"]\nstart = \"2026-01\"\n",
    );
    expect(
        &d,
        9,
        14,
        &added(0, ".providers[0]"),
        "unknown provider or bloc `huawei`; did you mean `huawei-cloud`?",
    );
}

/// Keys nested past the TOML parser's recursion limit are reported as such, without blaming the file's
/// first key (`extends`) on its first line, which had nothing to do with it.
#[test]
fn nesting_past_the_parsers_limit_blames_no_innocent_key() {
    let text = format!(
        "extends = \"baseline\"\n[scenario]\nname = \"deep\"\n[parameters]\n{} = 1\n",
        vec!["beta"; 120].join(".")
    );
    let e: ScenarioError = load_str("deep.toml", &text, &sets::<&str>(&[])).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    let d: &Diagnostic = &e.diagnostics[0];
    assert!(d.message.contains("nested too deeply"), "{e}");
    assert_ne!(d.key_path, "extends", "{e}");
    assert_ne!(d.line, Some(1), "{e}");
}

/// A trigger's template name is held to the id limit as it will be once filled in: with `$provider` the
/// longest provider id (`alibaba-cloud`, 13 characters), 60 characters and a dash already exceed 64.
#[test]
fn a_template_name_is_checked_filled_with_the_longest_id() {
    let template = |name: &str| {
        format!(
            "extends = \"baseline\"\n[scenario]\nname = \"tn\"\n[[trigger]]\nname = \"t\"\n\
             on = \"theft_detected\"\nblocs = [\"china\"]\nprobability = 1.0\npolicy = {{ name = \
             \"{name}\", kind = \"cloud_ban\", by = [\"KE\"], providers = [\"$provider\"], \
             targets = [\"KE\"] }}\n"
        )
    };
    let long = format!("{}-$provider", "t".repeat(60));
    let e = load_str("tn.toml", &template(&long), &sets::<&str>(&[])).unwrap_err();
    assert!(
        e.diagnostics
            .iter()
            .any(|d| d.key_path == "trigger[0].policy.name" && d.message.contains("at most 64")),
        "{e}"
    );
    let short = format!("{}-$provider", "t".repeat(20));
    assert!(load_str("tn.toml", &template(&short), &sets::<&str>(&[])).is_ok());
}

/// Columns count characters: on an ASCII line a byte offset (the fast path that locates a million
/// problems on one line at once), on a line with other characters their count.
#[test]
fn columns_count_characters_on_ascii_and_other_lines() {
    let text = "extends = \"baseline\"\n[scenario]\nname = \"cols\"\n[[coalition]]\nid = \"c\"\n\
                name = \"Ünïcödé\"; members = [\"zz1\"]\n";
    // The name and the members on one line is not TOML; give each its own line, the name's with
    // accented letters before a second unknown id.
    let text = text.replace("; members", "\nmembers");
    let text =
        format!("{text}[[coalition]]\nid = \"d\"\nname = \"d\"\nmembers = [\"é\", \"zz2\"]\n");
    let e = load_str("cols.toml", &text, &sets::<&str>(&[])).unwrap_err();
    let at = |id: &str| {
        e.diagnostics
            .iter()
            .find(|d| d.message.contains(&format!("`{id}`")))
            .map(|d| (d.line, d.column))
            .unwrap_or_else(|| panic!("no problem with {id}: {e}"))
    };
    assert_eq!(at("zz1"), (Some(7), Some(12)), "{e}");
    // `members = ["é", "zz2"]`: the quote before zz2 is the 17th character (the 18th byte).
    assert_eq!(at("zz2"), (Some(11), Some(17)), "{e}");
}

/// A misspelt `kind` is checked as the kind it likely meant, so the entry's unknown ids are reported in
/// the same pass (`cloud_bam` as `cloud_ban`: its coalition and its provider).
#[test]
fn a_misspelt_kind_does_not_hide_the_entrys_unknown_ids() {
    let text = "extends = \"baseline\"\n[scenario]\nname = \"k\"\n[[policy]]\nname = \"p\"\n\
                kind = \"cloud_bam\"\nby = [\"uk-board\"]\ntargets = [\"KE\"]\nproviders = [\"huawei\"]\n";
    let e = load_str("k.toml", text, &sets::<&str>(&[])).unwrap_err();
    let said = e.to_string();
    for needle in [
        "did you mean `cloud_ban`?",
        "did you mean `uk-board-signatories`?",
        "did you mean `huawei-cloud`?",
    ] {
        assert!(said.contains(needle), "lacks {needle:?}: {said}");
    }
}

/// The six mistakes of one file that once took three runs of `validate`: a misspelt kind, a misspelt
/// key, a misspelt `strength`, month 13, an unknown coalition and an unknown provider — every one in
/// one pass, each at its line, the ids with a suggestion. (An unknown key once made its entry drop out
/// of the checks, hiding its ids until it was mended.)
#[test]
fn six_mistakes_of_one_file_are_reported_in_one_pass() {
    let text = "extends = \"baseline\"\n[scenario]\nname = \"six\"\n[[policy]]\nname = \"p\"\n\
                kind = \"cloud_bam\"\nby = [\"uk-board\"]\ntargets = [\"KE\"]\nproviders = [\"huawei\"]\n\
                strenght = 0.5\nstrat = \"2026-01\"\n[[policy]]\nname = \"q\"\nkind = \"cloud_ban\"\n\
                by = [\"US\"]\ntargets = [\"KE\"]\nproviders = [\"alibaba-cloud\"]\nstart = \"2026-13\"\n";
    let e = load_str("six.toml", text, &sets::<&str>(&[])).unwrap_err();
    let lines: Vec<(usize, &str)> = e
        .diagnostics
        .iter()
        .map(|d| (d.line.unwrap_or(0), d.message.as_str()))
        .collect();
    for (line, needle) in [
        (6, "did you mean `cloud_ban`?"),
        (7, "did you mean `uk-board-signatories`?"),
        (9, "did you mean `huawei-cloud`?"),
        (10, "did you mean `strength`?"),
        (11, "did you mean `start`?"),
        (18, "month"),
    ] {
        assert!(
            lines.iter().any(|(l, m)| *l == line && m.contains(needle)),
            "lacks line {line} {needle:?}: {e}"
        );
    }
    assert_eq!(e.diagnostics.len(), 6, "one problem per mistake: {e}");
}

/// Entries of each section are bounded before they are typed (a 60 MB file of 886 000 lab entries once
/// took 53 s and 7 GB, past `--max-memory`): the bound is named once at the section, with what to do
/// instead, and entries past it are not checked one by one.
#[test]
fn entries_past_a_sections_bound_are_refused_before_they_are_typed() {
    use fracture::scenario::limits::{MAX_REGIONS, max_entries};
    let (max_labs, _) = max_entries("lab");
    let (max_policies, _) = max_entries("policy");
    let mut text = String::from("extends = \"baseline\"\n[scenario]\nname = \"many\"\n");
    // Every lab entry past the bound (the baseline's count too) is also wrong (an unknown nation):
    // none of those is reported.
    let inherited = load("baseline", &[]).unwrap().scenario.lab.len();
    for i in inherited..max_labs + 5 {
        let nation = if i < max_labs { "KE" } else { "ZZ" };
        text += &format!(
            "[[lab]]\nid = \"l{i}\"\nnation = \"{nation}\"\nkind = \"startup\"\nbudget = 0.01\n"
        );
    }
    for i in 0..max_policies + 1 {
        text += &format!(
            "[[policy]]\nname = \"p{i}\"\nkind = \"import_cap\"\nby = [\"KE\"]\ntargets = [\"KE\"]\n\
             cap_h100e_per_year = 10\n"
        );
    }
    let e = load_str("many.toml", &text, &sets::<&str>(&[])).unwrap_err();
    let said = e.to_string();
    assert!(
        said.contains(&format!("expected at most {max_labs} [[lab]] entries"))
            && said.contains("`count`"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "expected at most {max_policies} [[policy]] entries"
        )),
        "{said}"
    );
    assert!(
        !said.contains("`ZZ`"),
        "entries past the bound are not typed: {said}"
    );
    assert_eq!(e.diagnostics.len(), 2, "{said}");

    // Regions are bounded over all providers together.
    let per = MAX_REGIONS / 10 + 1;
    let mut text = String::from("extends = \"baseline\"\n[scenario]\nname = \"regions\"\n");
    for v in 0..10 {
        let regions: Vec<String> = (0..per)
            .map(|j| format!("{{ id = \"v{v}-r{j}\", host = \"KE\", capacity = 1 }}"))
            .collect();
        text += &format!(
            "[[provider]]\nid = \"v{v}\"\nname = \"V{v}\"\nhome = \"KE\"\nbloc = \"west\"\nprice = 3.0\n\
             capex = 1.0\nregion = [{}]\n",
            regions.join(", ")
        );
    }
    let e = load_str("regions.toml", &text, &sets::<&str>(&[])).unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("expected at most {MAX_REGIONS} regions")),
        "{e}"
    );
}

/// A list inside an entry, or inside a table of an entry, is cut to `MAX_LIST` elements and named by its
/// whole key path, as deep as it lies.
#[test]
fn a_list_past_its_bound_is_named_by_its_key_path_at_any_depth() {
    use fracture::scenario::limits::MAX_LIST;
    let many = |id: &str| {
        (0..=MAX_LIST)
            .map(|_| format!("\"{id}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        "extends = \"baseline\"\n[scenario]\nname = \"long\"\n[[trigger]]\nname = \"t\"\n\
         on = \"theft_detected\"\nblocs = [\"china\"]\nprobability = 1.0\npolicy = {{ name = \
         \"p\", kind = \"cloud_ban\", by = [\"KE\"], providers = [\"alibaba-cloud\"], \
         targets = [{}] }}\n[[trigger]]\nname = \"u\"\non = \"theft_detected\"\nblocs = [{}]\n\
         probability = 1.0\npolicy = {{ name = \"q\", kind = \"cloud_ban\", by = [\"KE\"], \
         providers = [\"alibaba-cloud\"], targets = [\"KE\"] }}\n",
        many("KE"),
        many("china")
    );
    let e = load_str("long.toml", &text, &sets::<&str>(&[])).unwrap_err();
    let found = MAX_LIST + 1;
    for path in ["trigger[0].policy.targets", "trigger[1].blocs"] {
        assert!(
            e.diagnostics.iter().any(|d| d.key_path == path
                && d.message.contains(&format!(
                    "expected a list of at most {MAX_LIST} elements, found {found}"
                ))),
            "{path}: {e}"
        );
    }
}

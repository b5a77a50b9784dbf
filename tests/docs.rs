//! The model document and the README stay in step with the code.

mod common;

use fracture::parameters::PARAMETER_DOCS;

fn read(file: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

#[test]
fn the_model_document_lists_every_parameter_with_its_default() {
    let odd = read("ODD.md");
    for p in PARAMETER_DOCS {
        let row = odd
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", p.name)))
            .unwrap_or_else(|| panic!("ODD.md has no row for parameter `{}`", p.name));
        let default = p.default.replace('_', " ").replace(".0", "");
        let documented = row
            .split('|')
            .nth(2)
            .unwrap()
            .trim()
            .replace(".0", "")
            .replace('\u{202f}', " ");
        let number = |s: &str| s.replace(' ', "").parse::<f64>().ok();
        assert_eq!(
            number(&documented),
            number(&default),
            "default of `{}` in ODD.md",
            p.name
        );
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    // The two commands are the code block under "## Two commands": the main job, then the tests.
    let section = readme
        .split("## Two commands")
        .nth(1)
        .expect("README has a \"Two commands\" section");
    let block = section
        .split("```")
        .nth(1)
        .expect("a code block in \"Two commands\"");
    let commands: Vec<&str> = block
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(commands[0], "cargo run --release");
    let test = commands[1];
    assert!(
        ci.lines()
            .any(|l| l.trim() == test || l.trim().starts_with(&format!("{test} "))),
        ".ci/run does not run the README's test command {test:?}"
    );
}

#[test]
fn the_readme_lists_every_limit() {
    let readme = read("README.md");
    for limit in fracture::scenario::limits::LIMITS {
        assert!(
            readme.contains(&format!("`{}`", limit.pattern)),
            "README.md's table of limits lacks `{}`",
            limit.pattern
        );
    }
}

/// The README's examples of `run`'s printed summary — the baseline's, and a story's against its
/// counterfactual — are what the current build prints (each up to its `...`).
#[test]
fn the_readme_example_output_is_what_run_prints() {
    let readme = read("README.md");
    let example = |first: &str| -> Vec<String> {
        let start = readme
            .find(first)
            .unwrap_or_else(|| panic!("README.md shows an example starting `{first}`"));
        let block = &readme[start..start + readme[start..].find("```").unwrap()];
        let shown: Vec<String> = block
            .lines()
            .take_while(|l| l.trim() != "...")
            .map(str::to_string)
            .collect();
        assert!(shown.len() > 3, "the example shows some numbers");
        shown
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = |scenario: &str| -> Vec<String> {
        let out = common::fracture(
            &["run", scenario, "--out", &format!("output/{scenario}")],
            tmp.path(),
        );
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let baseline = example("baseline (120 months from 2025-01, seed 42) → output/baseline");
    let printed = run("baseline");
    assert_eq!(
        &printed[..baseline.len().min(printed.len())],
        &baseline[..],
        "README.md's example output has drifted from what `fracture run` prints: copy it again"
    );
    let story = example("The story, against its counterfactual");
    let printed = run("alibaba-ban");
    let from = printed
        .iter()
        .position(|l| l.starts_with("The story, against"))
        .expect("a story's run tells it against its counterfactual");
    let printed = &printed[from..];
    assert_eq!(
        &printed[..story.len().min(printed.len())],
        &story[..],
        "README.md's example of a story's output has drifted from what `fracture run alibaba-ban` \
         prints: copy it again"
    );
    let seeds = example("Mean of 4 seeds, range below");
    let out = common::fracture(
        &[
            "run",
            "alibaba-ban",
            "--seed",
            "1",
            "--seeds",
            "4",
            "--out",
            "output/seeds",
        ],
        tmp.path(),
    );
    assert!(out.status.success());
    let printed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with("Mean of 4 seeds"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        &printed[..seeds.len().min(printed.len())],
        &seeds[..],
        "README.md's example of a story over seeds has drifted from what `fracture run alibaba-ban \
         --seed 1 --seeds 4` prints: copy it again"
    );
}

/// Every column of every table the baseline writes is named in the README's table of outputs (a bloc
/// suffix as `_*`).
#[test]
fn the_readme_names_every_output_column() {
    let readme = read("README.md");
    let section = &readme[readme.find("## The output tables").unwrap()..];
    let section = &section[..section[3..].find("\n## ").unwrap()];
    let scenario = fracture::scenario::load("baseline", &common::sets(&["scenario.months=2"]))
        .unwrap()
        .scenario;
    let blocs: Vec<String> = scenario.bloc.iter().map(|b| b.id.clone()).collect();
    let outputs = fracture::simulate(&scenario, 1).unwrap();
    for (table, frame) in outputs.tables() {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{table}.parquet` |")))
            .unwrap_or_else(|| panic!("README.md has no row for {table}.parquet"));
        for column in frame.get_column_names() {
            let name = blocs
                .iter()
                .find_map(|b| column.strip_suffix(&format!("_{b}")))
                .map_or(column.to_string(), |stem| format!("{stem}_*"));
            let common = ["month", "t"].contains(&column.as_str());
            assert!(
                common || row.contains(&format!("`{name}`")),
                "README.md's row for {table}.parquet lacks `{name}`"
            );
        }
    }
}

/// Every kind of event the model records is listed in the README's row for `events.parquet`.
#[test]
fn the_readme_lists_every_event_kind() {
    let readme = read("README.md");
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `events.parquet` |"))
        .expect("README.md has a row for events.parquet");
    for kind in fracture::resources::EventKind::ALL {
        assert!(
            row.contains(&format!("`{}`", kind.as_str())),
            "README.md's row for events.parquet lacks `{}`",
            kind.as_str()
        );
    }
}

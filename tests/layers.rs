//! The layers are crates (crates/), so the compiler refuses an upward import; what each layer may not
//! depend on at all is checked here on the lockfile: from each crate, every package it can reach — any
//! dependency kind, every optional dependency the lockfile holds, so more than `cargo tree` shows —
//! must not be one that belongs to a layer above.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Each package of Cargo.lock with the names of the packages it depends on.
fn lockfile() -> BTreeMap<String, Vec<String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    let text = std::fs::read_to_string(path).expect("Cargo.lock is committed");
    let lock: toml::Table = toml::from_str(&text).expect("Cargo.lock is TOML");
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock["package"].as_array().expect("[[package]]") {
        let name = package["name"].as_str().expect("a name").to_string();
        let deps: Vec<String> = package
            .get("dependencies")
            .and_then(|d| d.as_array())
            .map(|d| {
                d.iter()
                    .map(|s| {
                        let s = s.as_str().expect("a dependency string");
                        s.split(' ').next().unwrap_or(s).to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Two versions of one package share a name; their dependencies are merged (an over-estimate).
        graph.entry(name).or_default().extend(deps);
    }
    graph
}

/// Every package reachable from `root`.
fn reachable(graph: &BTreeMap<String, Vec<String>>, root: &str) -> BTreeSet<String> {
    assert!(graph.contains_key(root), "{root} is not in Cargo.lock");
    let mut seen = BTreeSet::from([root.to_string()]);
    let mut queue = VecDeque::from([root.to_string()]);
    while let Some(p) = queue.pop_front() {
        for d in graph.get(&p).into_iter().flatten() {
            if seen.insert(d.clone()) {
                queue.push_back(d.clone());
            }
        }
    }
    seen
}

/// The packages under `root` (not itself) that `forbidden` names: a name, or a family of names as
/// `polars*`.
fn forbidden_under(root: &str, forbidden: &[&str]) -> Vec<String> {
    let named = |p: &str, f: &str| match f.strip_suffix('*') {
        Some(prefix) => p.starts_with(prefix),
        None => p == f,
    };
    reachable(&lockfile(), root)
        .into_iter()
        .filter(|p| p != root && forbidden.iter().any(|f| named(p, f)))
        .collect()
}

#[test]
fn the_scenario_layer_knows_no_ecs_tables_charts_or_command_line() {
    let found = forbidden_under(
        "fracture-scenario",
        &[
            "fracture*",
            "bevy*",
            "polars*",
            "plotters*",
            "clap*",
            "rand",
            "rand_distr",
            "rand_chacha",
        ],
    );
    assert!(found.is_empty(), "fracture-scenario depends on {found:?}");
}

#[test]
fn the_model_has_no_polars_plotters_or_clap() {
    let found = forbidden_under(
        "fracture-model",
        &[
            "polars",
            "arrow",
            "parquet",
            "plotters",
            "clap",
            "indicatif",
            "fracture-output",
            "fracture-analysis",
        ],
    );
    assert!(found.is_empty(), "fracture-model depends on {found:?}");
}

#[test]
fn output_and_analysis_draw_nothing_and_parse_no_command_line() {
    for root in ["fracture-output", "fracture-analysis"] {
        let found = forbidden_under(root, &["plotters*", "clap*", "indicatif", "image"]);
        assert!(found.is_empty(), "{root} depends on {found:?}");
    }
    let found = forbidden_under("fracture-output", &["fracture-analysis"]);
    assert!(found.is_empty(), "the output layer depends on the analysis");
}

/// The walk finds what is there: the program reaches every layer and every heavy dependency.
#[test]
fn the_program_reaches_every_layer() {
    let all = reachable(&lockfile(), "fracture");
    for p in [
        "fracture-scenario",
        "fracture-model",
        "fracture-output",
        "fracture-analysis",
        "bevy_ecs",
        "polars",
        "plotters",
        "clap",
    ] {
        assert!(all.contains(p), "fracture does not reach {p}");
    }
}

//! Helpers shared by the integration tests: the binary run as a user runs it, scenarios written as small
//! files over the shipped baseline, paired runs with and without a policy, and columns pulled out of the
//! output tables.
#![allow(dead_code)]

use fracture::scenario::{Override, Scenario, load_str};
use fracture::{Detail, Outputs};
use polars::prelude::*;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// The `fracture` binary of this build, for a test that sets more than its arguments and folder
/// (environment, pipes, a child left running).
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fracture"))
}

/// The Parquet tables every run folder holds, as the README lists them.
pub const TABLES: [&str; 8] = [
    "global",
    "nations",
    "labs",
    "lab_ids",
    "providers",
    "fabs",
    "usage",
    "events",
];

/// Runs `fracture ARGS` in `cwd` and waits for it.
pub fn fracture<S: AsRef<OsStr>>(args: &[S], cwd: &Path) -> Output {
    command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

/// Printed bytes as text (stdout or stderr), invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that a command failed and that its standard error says `needle`.
pub fn fails_saying(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "it should fail: {err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
}

/// `--set KEY=VALUE` strings, read as the command line reads them.
pub fn sets<S: AsRef<str>>(sets: &[S]) -> Vec<Override> {
    Override::parse_all(sets)
}

/// The baseline, shortened to `months`, with `extra` TOML merged over it (as a file that extends it).
pub fn scenario(extra: &str, months: u32, sets: &[&str]) -> Scenario {
    let text = format!("extends = \"baseline\"\n{extra}");
    let mut all: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    all.push(format!("scenario.months={months}"));
    match load_str("test.toml", &text, &self::sets(&all)) {
        Ok(l) => l.scenario,
        Err(e) => panic!("test scenario is invalid: {e}"),
    }
}

pub fn run(s: &Scenario) -> Outputs {
    fracture::simulate(s, s.scenario.seed).expect("simulation runs")
}

/// Paired runs: `with` (the world with a policy, a story) and `without` (the same world without it, a
/// counterfactual) on each of `seeds`, both runs of a pair on the same seed so that their difference is
/// the policy's and not chance's; `compare(with, without, seed)` of each pair, in seed order.
pub fn with_and_without<T>(
    with: &Scenario,
    without: &Scenario,
    seeds: &[u64],
    detail: Detail,
    mut compare: impl FnMut(&Outputs, &Outputs, u64) -> T,
) -> Vec<T> {
    let run = |s: &Scenario, seed| {
        fracture::simulate_with(s, seed, detail, |_| {}).expect("simulation runs")
    };
    seeds
        .iter()
        .map(|&seed| compare(&run(with, seed), &run(without, seed), seed))
        .collect()
}

pub fn f64s(df: &DataFrame, column: &str) -> Vec<f64> {
    let c = df
        .column(column)
        .unwrap_or_else(|_| panic!("no column {column}"));
    match c.dtype() {
        DataType::Float64 => c.f64().unwrap().into_no_null_iter().collect(),
        DataType::UInt32 => c
            .u32()
            .unwrap()
            .into_no_null_iter()
            .map(f64::from)
            .collect(),
        other => panic!("column {column} is {other:?}"),
    }
}

pub fn strs(df: &DataFrame, column: &str) -> Vec<String> {
    df.column(column)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|x| x.unwrap_or_default().to_string())
        .collect()
}

pub fn bools(df: &DataFrame, column: &str) -> Vec<bool> {
    df.column(column)
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .map(|x| x.unwrap_or(false))
        .collect()
}

/// The rows of `df` whose string column `key` equals `value`, in table order (by month).
pub fn rows_where(df: &DataFrame, key: &str, value: &str) -> DataFrame {
    let key = df.column(key).unwrap().cast(&DataType::String).unwrap();
    let mask = key.str().unwrap().equal(value);
    df.filter(&mask).unwrap()
}

/// A nation's monthly series of a `nations` column.
pub fn nation(out: &Outputs, nation: &str, column: &str) -> Vec<f64> {
    f64s(&rows_where(&out.nations, "nation", nation), column)
}

/// A nation's monthly use of one provider.
pub fn usage(out: &Outputs, nation: &str, provider: &str) -> Vec<f64> {
    let n = rows_where(&out.usage, "nation", nation);
    f64s(&rows_where(&n, "provider", provider), "compute_h100e")
}

pub fn global(out: &Outputs, column: &str) -> Vec<f64> {
    f64s(&out.global, column)
}

/// Events of one kind, as (t, actor, target, provider, false_positive).
pub fn events(out: &Outputs, kind: &str) -> Vec<(u32, String, String, String, bool)> {
    let e = rows_where(&out.events, "kind", kind);
    let t: Vec<u32> = e
        .column("t")
        .unwrap()
        .u32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let actor = strs(&e, "actor");
    let target = strs(&e, "target");
    let provider = strs(&e, "provider");
    let fp = bools(&e, "false_positive");
    (0..t.len())
        .map(|i| {
            (
                t[i],
                actor[i].clone(),
                target[i].clone(),
                provider[i].clone(),
                fp[i],
            )
        })
        .collect()
}

pub fn sum(xs: &[f64]) -> f64 {
    xs.iter().sum()
}

/// The policies' and triggers' events of a run's events table: what a summary run keeps.
pub fn policy_events(events: &polars::prelude::DataFrame) -> polars::prelude::DataFrame {
    let kinds = fracture::run_data::strings(events, "kind").unwrap();
    let mask: polars::prelude::BooleanChunked = kinds
        .iter()
        .map(|k| fracture::resources::EventKind::parse(k).is_some_and(|k| k.is_policy()))
        .collect();
    events.filter(&mask).unwrap()
}

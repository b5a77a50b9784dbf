//! Speed of the engine (run with `cargo bench --bench engine`):
//! - the baseline end to end — load, simulate 120 months, write the Parquet tables — target < 50 ms;
//! - the compute market per lab-month on a synthetic world of 100 000 labs — target ≤ 100 ns.
//!
//! Plain timing with medians over repeated runs; numbers are printed, never asserted. `FRACTURE_BENCH=e2e`
//! or `FRACTURE_BENCH=market` runs only one of them.

use bevy_ecs::prelude::*;
use fracture::Detail;
use fracture::output::{Manifest, simulate_to};
use fracture::resources::Clock;
use fracture::scenario::{Lab, LabKind, load};
use fracture::systems::{Monthly, budgets, market};
use std::time::{Duration, Instant};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn baseline_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    // Phases: load the scenario; build the world and run the months (the large tables become Parquet
    // row groups on the second core meanwhile); finish the tables; write the other Parquet files.
    let mut phases: [Vec<Duration>; 5] = Default::default();
    for i in 0..15 {
        let start = Instant::now();
        let loaded = load("baseline", &[]).unwrap();
        let s = &loaded.scenario;
        let sim = Instant::now();
        let mut months_done = sim;
        // As `fracture run` does: the large tables are written on the second core as the months go.
        let staged = simulate_to(
            &tmp.path().join(format!("run{i}")),
            false,
            s,
            s.scenario.seed,
            Detail::Full,
            |_| {
                months_done = Instant::now();
            },
        )
        .unwrap();
        let frames_done = Instant::now();
        staged
            .install(&Manifest::new(s, 42, vec![]), |_| Ok(()))
            .unwrap();
        let end = Instant::now();
        for (phase, d) in phases.iter_mut().zip([
            sim - start,
            months_done - sim,
            frames_done - months_done,
            end - frames_done,
            end - start,
        ]) {
            phase.push(d);
        }
    }
    let loaded = load("baseline", &[]).unwrap();
    let labs: u32 = loaded.scenario.lab.iter().map(|l| l.count).sum();
    let [load_t, months_t, frames_t, write_t, total_t] =
        phases.map(|p| median(p).as_secs_f64() * 1e3);
    println!(
        "baseline end to end ({} months, {labs} labs): median {total_t:.1} ms = load {load_t:.1} + \
         world and months {months_t:.1} + tables {frames_t:.1} + Parquet {write_t:.1} (medians per phase)",
        loaded.scenario.scenario.months,
    );
}

fn market_per_lab_month() {
    // The baseline's world with its labs replaced by 100 000 startups spread over every nation, some
    // with provider contracts.
    let mut s = load("baseline", &[]).unwrap().scenario;
    let nations: Vec<String> = s.nation.iter().map(|n| n.id.clone()).collect();
    let providers: Vec<String> = s.provider.iter().map(|p| p.id.clone()).collect();
    let labs = 100_000u32;
    let per_entry = labs / (nations.len() as u32 * 2);
    let mut entries = Vec::new();
    for (i, n) in nations.iter().enumerate() {
        for contract in [false, true] {
            entries.push(Lab {
                id: format!("synthetic-{n}-{contract}"),
                name: String::new(),
                nation: n.clone(),
                kind: LabKind::Startup,
                count: per_entry,
                budget: 0.0005,
                budget_growth: 0.4,
                budget_growth_without_controls: None,
                training_share: 0.3,
                owned: 0.0,
                owned_origin: None,
                own_share: 0.0,
                weights: Default::default(),
                providers: if contract {
                    vec![providers[i % providers.len()].clone()]
                } else {
                    vec![]
                },
                extraction: Some(false),
            });
        }
    }
    let total: u32 = entries.iter().map(|l| l.count).sum();
    s.lab = entries;
    let mut world = fracture::world::build(&s, 1);
    // One full month first, so that providers have books and labs have demand.
    world.run_schedule(Monthly);
    world.resource_mut::<Clock>().t = 1;
    // The market's two systems: the budgets, early in the month, and the market itself.
    let mut only_market = Schedule::default();
    only_market.add_systems((budgets::budgets, market::market).chain());
    only_market.run(&mut world);
    let rounds = 30;
    let mut times = Vec::new();
    for _ in 0..rounds {
        let start = Instant::now();
        only_market.run(&mut world);
        times.push(start.elapsed());
    }
    let per = median(times).as_secs_f64() * 1e9 / total as f64;
    println!(
        "compute market: {total} labs, {} providers: median {per:.1} ns per lab-month",
        s.provider.len()
    );
}

fn main() {
    // `cargo test --benches` runs this binary with --test-ish flags; do the work only under `cargo bench`.
    // `FRACTURE_BENCH=e2e` or `=market` runs one of the two, e.g. under a profiler.
    if std::env::args().any(|a| a == "--bench") {
        let only = std::env::var("FRACTURE_BENCH").unwrap_or_default();
        if only.is_empty() || only == "e2e" {
            baseline_end_to_end();
        }
        if only.is_empty() || only == "market" {
            market_per_lab_month();
        }
    }
}

//! Big worlds (run with `cargo bench --bench scale`): `scenarios/scale/big-1000000.toml` (the baseline
//! plus ≈ 1 M startups) for 120 months in summary and in full detail, and `big-10000000.toml` (≈ 10 M
//! labs) for 12 months in summary detail, each run as `fracture run` runs it (charts aside): the world
//! built, the months simulated on one thread, the large tables written to Parquet as the months run
//! (on a second thread), the small tables and manifest written and the folder installed.
//!
//! Each run is a child process of its own, so that its peak resident memory (VmHWM in
//! /proc/self/status, read by the child at its end) is its own. Printed per run: ns per lab-month —
//! wall time of world and months over labs × months, and of the months alone (after the first) — CPU
//! time per lab-month (both threads), peak memory against the estimate `--max-memory` checks, and the
//! size of `labs.parquet`. Numbers are printed, never asserted.
//!
//! The runs use the scenario's seed, as `fracture run` does, and write into a temporary folder in the
//! current one (`FRACTURE_SCALE_DIR` for another).
//!
//! `wide` is the other extreme, a world at the bounds of the market's grids: the baseline's 48 nations
//! and 952 more (1000), 984 more providers with three regions each, and 2000 lab entries each with
//! contracts of its own (a pool, so ≈ 3000 pools × 1000 providers), generated here, for 120 months in
//! summary detail. Its cost grows with months × pools × providers, not with labs.
//!
//! `FRACTURE_SCALE_BENCH=1m-summary,1m-full,10m-summary,wide-summary` (the default) chooses runs; each
//! is `{1m|10m|wide}-{summary|nations|full}`, optionally `-MONTHS` (e.g. `1m-full-24`) and `-sN` for a
//! sample of N labs per population (e.g. `1m-full-s100`). To keep the simulation and the writer on one
//! core: `taskset -c 0 cargo bench --bench scale`.

use fracture::output::{Manifest, simulate_to};
use fracture::{Detail, Recording};
use std::process::Command;
use std::time::Instant;

const CHILD: &str = "FRACTURE_SCALE_CHILD";

struct Spec {
    world: &'static str,
    months: u32,
    recording: Recording,
}

fn parse(spec: &str) -> Spec {
    let mut parts = spec.split('-');
    let world = match parts.next() {
        Some("1m") => "big-1000000",
        Some("10m") => "big-10000000",
        Some("wide") => "wide",
        other => panic!("unknown world {other:?} in `{spec}`: 1m, 10m or wide"),
    };
    let detail = match parts.next() {
        Some("summary") => Detail::Summary,
        Some("nations") => Detail::Nations,
        Some("full") => Detail::Full,
        other => panic!("unknown detail {other:?} in `{spec}`"),
    };
    let mut months = if world == "big-10000000" { 12 } else { 120 };
    let mut lab_sample = None;
    for part in parts {
        if let Some(n) = part.strip_prefix('s') {
            lab_sample = Some(n.parse().expect("-sN: a number of labs"));
        } else {
            months = part.parse().expect("a number of months");
        }
    }
    Spec {
        world,
        months,
        recording: Recording { detail, lab_sample },
    }
}

fn status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// CPU seconds of this process so far (user and system, every thread).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th overall.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().filter_map(|x| x.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

/// One run, in this process: prints one line of results.
/// The `wide` world's file: 1000 nations, 1000 providers, 2000 lab entries with contracts of their own.
fn wide_world() -> String {
    use std::fmt::Write;
    let mut t = String::from("extends = \"baseline\"\n[scenario]\nname = \"wide\"\n");
    let nation = |i: usize| format!("X{i:03}");
    for i in 0..952 {
        writeln!(
            t,
            "[[nation]]\nid = \"{}\"\nname = \"Nation {i}\"\npopulation = 10\ngdp = 50\n\
             alignment = {{ west = 0.5, china = 0.5 }}\ntrade = {{ west = 0.2, china = 0.2 }}\n\
             power_gw = 0.1",
            nation(i)
        )
        .unwrap();
    }
    for i in 0..984 {
        let regions: Vec<String> = (0..3)
            .map(|j| {
                format!(
                    "{{ id = \"p{i:04}-r{j}\", host = \"{}\", capacity = 1000 }}",
                    nation((i * 3 + j) % 952)
                )
            })
            .collect();
        writeln!(
            t,
            "[[provider]]\nid = \"p{i:04}\"\nname = \"Provider {i}\"\nhome = \"{}\"\n\
             bloc = \"west\"\nprice = 3.0\ncapex = 1.0\nregion = [ {} ]",
            nation(i % 952),
            regions.join(", ")
        )
        .unwrap();
    }
    for i in 0..2000 {
        writeln!(
            t,
            "[[lab]]\nid = \"lab{i:06}\"\nnation = \"{}\"\nkind = \"startup\"\nbudget = 0.01\n\
             budget_growth = 0.3\ntraining_share = 0.3\nproviders = [\"p{:04}\", \"p{:04}\"]",
            nation(i % 952),
            i % 984,
            (i + 7) % 984
        )
        .unwrap();
    }
    t
}

fn child(spec: &str) {
    let s = parse(spec);
    let months =
        fracture::scenario::Override::parse_all(&[format!("scenario.months={}", s.months)]);
    let loaded = if s.world == "wide" {
        fracture::scenario::load_str("wide.toml", &wide_world(), &months)
    } else {
        let path = format!(
            "{}/scenarios/scale/{}.toml",
            env!("CARGO_MANIFEST_DIR"),
            s.world
        );
        fracture::scenario::load(&path, &months)
    }
    .expect("the scale scenario loads");
    let scenario = &loaded.scenario;
    let labs: u64 = scenario.lab.iter().map(|l| u64::from(l.count)).sum();
    let estimate = fracture::memory::estimate(scenario, s.recording);
    let tmp = tempfile::tempdir_in(std::env::var_os("FRACTURE_SCALE_DIR").unwrap_or(".".into()))
        .expect("a temporary folder");
    let dir = tmp.path().join("run");
    let (cpu0, start) = (cpu_seconds(), Instant::now());
    let mut first = None;
    let mut last = start;
    let seed = scenario.scenario.seed;
    let staged = simulate_to(&dir, false, scenario, seed, s.recording, |m| {
        last = Instant::now();
        if m == 1 {
            first = Some(last);
        }
    })
    .expect("the run");
    let simulated = Instant::now();
    let cpu = cpu_seconds() - cpu0;
    let mut manifest = Manifest::new(scenario, seed, vec![]);
    manifest.record(&staged.outputs, s.recording.detail);
    staged.install(&manifest, |_| Ok(())).expect("installed");
    let written = simulated.elapsed().as_secs_f64();
    let lab_months = labs as f64 * f64::from(s.months);
    let ns = |secs: f64, per: f64| secs * 1e9 / per;
    let total = simulated.duration_since(start).as_secs_f64();
    let months_only = first.map_or(0.0, |f| last.duration_since(f).as_secs_f64());
    let labs_file = std::fs::metadata(dir.join("labs.parquet")).map_or(0, |m| m.len());
    println!(
        "{spec:<16} {labs:>9} labs × {:>3} months: {:>6.1} ns/lab-month (months alone {:>6.1}; CPU {:>6.1}) \
         | world+months {total:>6.1} s, then tables {written:>4.1} s | peak {:>7.0} MiB (estimate {:>6.0} MiB) \
         | labs.parquet {:>8.2} MB",
        s.months,
        ns(total, lab_months),
        ns(
            months_only,
            labs as f64 * f64::from(s.months.saturating_sub(1).max(1))
        ),
        ns(cpu, lab_months),
        status("VmHWM:") as f64 / f64::from(1 << 20),
        estimate.total() as f64 / f64::from(1 << 20),
        labs_file as f64 / 1e6,
    );
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    // `cargo test --benches` runs this binary without --bench; do the work only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let specs = std::env::var("FRACTURE_SCALE_BENCH")
        .unwrap_or_else(|_| "1m-summary,1m-full,10m-summary,wide-summary".into());
    let me = std::env::current_exe().expect("this benchmark's path");
    for spec in specs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        parse(spec);
        let status = Command::new(&me)
            .env(CHILD, spec)
            .status()
            .expect("the benchmark runs itself");
        if !status.success() {
            eprintln!("{spec}: failed ({status})");
        }
    }
}

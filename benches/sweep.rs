//! Speed of sweeps (run with `cargo bench --bench sweep`): the same baseline sweep (120 months, summary
//! outputs, a random design over two parameters, parts of the default 64 runs) with 1 and with 2 worker
//! threads, the speed-up, and the time 10 000 such runs would take at the faster rate — measured on
//! `FRACTURE_SWEEP_BENCH_RUNS` runs (default 256, four parts; the fastest of three sweeps each) and
//! extrapolated, since 10 000 runs would take far longer than a benchmark should.
//!
//! Numbers are printed, never asserted.

use fracture::sweep::{Prepared, RunOptions, SweepSpec};
use std::time::Instant;

fn main() {
    let runs: usize = std::env::var("FRACTURE_SWEEP_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let months: u32 = std::env::var("FRACTURE_SWEEP_BENCH_MONTHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let text = format!(
        r#"
[sweep]
name = "bench"
scenario = "baseline"
set = ["scenario.months={months}"]
design = "random"
samples = {runs}
seed = 1

[[parameter]]
key = "parameters.beta"
distribution = "uniform"
min = 1.5
max = 3.5

[[parameter]]
key = "policy.us-chip-controls.strength"
distribution = "triangular"
min = 0.0
mode = 0.8
max = 1.0
"#
    );
    let spec = SweepSpec::parse("bench.toml", &text).unwrap();
    let prepared = Prepared::from_spec(spec, "baseline".into()).unwrap();
    let mut rates = Vec::new();
    for threads in [1, 2] {
        let options = RunOptions {
            threads: Some(threads),
            ..Default::default()
        };
        // The fastest of three sweeps: on a shared machine, slower ones measure the neighbours.
        let secs = (0..3)
            .map(|_| {
                let dir = tempfile::tempdir().unwrap();
                prepared.plan(1).write_or_check(dir.path()).unwrap();
                let start = Instant::now();
                prepared.run_shard(dir.path(), 0, 1, &options).unwrap();
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        let rate = runs as f64 / secs;
        println!(
            "sweep of {runs} baseline runs ({months} months, summary outputs), {threads} thread(s): \
             {secs:.2} s, {rate:.2} runs/s"
        );
        rates.push(rate);
    }
    let best = rates.iter().copied().fold(0.0, f64::max);
    println!("speed-up 1 → 2 threads: {:.2}×", rates[1] / rates[0]);
    println!(
        "10 000 runs at {best:.2} runs/s (extrapolated from {runs}): {:.1} min",
        10_000.0 / best / 60.0
    );
}

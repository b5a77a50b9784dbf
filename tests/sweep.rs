//! Parameter sweeps: the estimators on a pure function (Ishigami), the designs, and the sharding
//! contract — seeds independent of shard and thread counts, byte-identical resume, status in sbatch form.
//! The simulator sweeps are tiny (6 months, a handful of runs): the debug build is slow.

mod common;

use fracture::sweep::analysis::{morris_indices, sobol_indices};
use fracture::sweep::design::{latin_hypercube, morris, saltelli};
use fracture::sweep::{Prepared, RunOptions, ShardOutcome, SweepSpec, dataset, run_seed};
use polars::prelude::NewChunkedArray;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;
use std::path::Path;

fn ishigami(x: &[f64]) -> f64 {
    let (a, b) = (7.0, 0.1);
    x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
}

/// Ishigami outcomes, as `shift + scale·f(x)`, at A, B and each AB_i of `n` Saltelli base rows.
fn ishigami_saltelli(n: usize, shift: f64, scale: f64) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let k = 3;
    let rows = saltelli(n, k, 12345);
    let y: Vec<f64> = rows
        .iter()
        .map(|u| {
            shift + scale * ishigami(&u.iter().map(|v| -PI + 2.0 * PI * v).collect::<Vec<_>>())
        })
        .collect();
    let ya: Vec<f64> = (0..n).map(|j| y[j * (k + 2)]).collect();
    let yb: Vec<f64> = (0..n).map(|j| y[j * (k + 2) + 1]).collect();
    let yab: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..n).map(|j| y[j * (k + 2) + 2 + i]).collect())
        .collect();
    (ya, yb, yab)
}

#[test]
fn sobol_indices_of_the_ishigami_function_match_the_analytic_values() {
    // Analytic values for a = 7, b = 0.1 (Saltelli et al. 2008, Global Sensitivity Analysis, §4.6).
    let s1 = [0.3139, 0.4424, 0.0];
    let st = [0.5576, 0.4424, 0.2437];
    // Plain, and far from zero: an outcome whose mean is large against its spread (mean ≈ 1003.5,
    // sd ≈ 3.7) is where an estimator that does not centre the outcomes goes wrong.
    for shift in [0.0, 1000.0] {
        let (ya, yb, yab) = ishigami_saltelli(1 << 13, shift, 1.0);
        let idx = sobol_indices(&ya, &yb, &yab, 200, 7);
        // Tolerance 0.02 at N = 8192 quasi-random base rows (the estimators' error here is ≈ 0.005–0.01).
        for i in 0..3 {
            assert!(
                (idx[i].s1 - s1[i]).abs() < 0.02,
                "shift {shift}: S1[{i}] = {} vs {}",
                idx[i].s1,
                s1[i]
            );
            assert!(
                (idx[i].st - st[i]).abs() < 0.02,
                "shift {shift}: ST[{i}] = {} vs {}",
                idx[i].st,
                st[i]
            );
            assert!(idx[i].s1_low <= idx[i].s1 && idx[i].s1 <= idx[i].s1_high);
            assert!(idx[i].st_low <= idx[i].st && idx[i].st <= idx[i].st_high);
            // The bootstrap interval is narrow at this N, not inflated by the outcome's mean.
            assert!(idx[i].s1_high - idx[i].s1_low < 0.1, "{:?}", idx[i]);
        }
    }
}

#[test]
fn sobol_indices_do_not_change_when_an_outcome_is_shifted_or_scaled() {
    // A small sweep (N = 64), where sampling noise is large: the indices and their intervals must still
    // be those of the plain outcome, whatever its units and origin.
    let (ya, yb, yab) = ishigami_saltelli(64, 0.0, 1.0);
    let plain = sobol_indices(&ya, &yb, &yab, 300, 11);
    for (shift, scale) in [(1e3, 1.0), (-5e4, 37.0), (2.5e6, 1e-3), (0.0, -2.0)] {
        let (ya, yb, yab) = ishigami_saltelli(64, shift, scale);
        let moved = sobol_indices(&ya, &yb, &yab, 300, 11);
        for (p, m) in plain.iter().zip(&moved) {
            for (a, b) in [
                (p.s1, m.s1),
                (p.st, m.st),
                (p.s1_low, m.s1_low),
                (p.s1_high, m.s1_high),
                (p.st_low, m.st_low),
                (p.st_high, m.st_high),
            ] {
                assert!(
                    (a - b).abs() < 1e-6,
                    "shift {shift}, scale {scale}: {p:?} became {m:?}"
                );
            }
        }
    }
}

#[test]
fn s1_above_st_beyond_the_bootstrap_interval_is_flagged() {
    // f(AB_1) = f(A) + f(B)/2: an impossible set of outputs (no function gives it) where S1 ≈ 0.5 and
    // ST ≈ 0.125. The Ishigami indices are never flagged.
    let (ya, yb, yab) = ishigami_saltelli(256, 0.0, 1.0);
    let bad: Vec<f64> = ya.iter().zip(&yb).map(|(a, b)| a + 0.5 * b).collect();
    let idx = sobol_indices(&ya, &yb, &[bad], 300, 3);
    assert!(idx[0].s1 > idx[0].st, "{:?}", idx[0]);
    assert!(idx[0].excess_low > 0.0 && idx[0].s1_above_st());
    let good = sobol_indices(&ya, &yb, &yab, 300, 3);
    assert!(good.iter().all(|i| !i.s1_above_st()), "{good:?}");
}

#[test]
fn morris_ranks_the_ishigami_parameters() {
    let (r, k, p) = (200, 3, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (points, steps) = morris(r, k, p, &mut rng);
    let y: Vec<f64> = points
        .iter()
        .map(|u| ishigami(&u.iter().map(|v| -PI + 2.0 * PI * v).collect::<Vec<_>>()))
        .collect();
    let mut effects = vec![Vec::new(); k];
    for (t, traj) in steps.iter().enumerate() {
        assert_eq!(traj.len(), k, "each trajectory moves every parameter once");
        for (s, &(i, d)) in traj.iter().enumerate() {
            effects[i].push((y[t * (k + 1) + s + 1] - y[t * (k + 1) + s]) / d);
        }
    }
    let m = morris_indices(&effects);
    assert!(m.iter().all(|m| m.effects == r && m.mu_star >= m.mu.abs()));
    // x3 acts only through its interaction with x1: it has the smallest μ*.
    assert!(m[2].mu_star < m[0].mu_star && m[2].mu_star < m[1].mu_star);
}

#[test]
fn latin_hypercube_samples_are_stratified() {
    let (n, k) = (37, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let pts = latin_hypercube(n, k, &mut rng);
    assert_eq!(pts.len(), n);
    for d in 0..k {
        let mut strata: Vec<usize> = pts.iter().map(|p| (p[d] * n as f64) as usize).collect();
        strata.sort();
        assert_eq!(
            strata,
            (0..n).collect::<Vec<_>>(),
            "dimension {d}: one sample per stratum"
        );
    }
}

#[test]
fn spec_errors_name_the_file_and_the_key() {
    let e = SweepSpec::parse(
        "s.toml",
        "[sweep]\nname = \"x\"\nscenario = \"baseline\"\ndesign = \"lhs\"\nsamples = 4\nbogus = 1\n[[parameter]]\nkey = \"parameters.beta\"\nvalues = [1]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("invalid sweep file: 1 problem") && e.contains("s.toml:6:1: `sweep.bogus`"),
        "{e}"
    );
    let e = SweepSpec::parse(
        "s.toml",
        "[sweep]\nname = \"x\"\nscenario = \"baseline\"\ndesign = \"grid\"\n[[parameter]]\nkey = \"parameters.beta\"\ndistribution = \"uniform\"\nmin = 2.0\nmax = 1.0\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`parameter[0].max`: must be greater than min"),
        "{e}"
    );
    assert!(
        e.contains("`parameter[0].values`: the grid design needs `values`"),
        "{e}"
    );
}

#[test]
fn a_runs_seed_depends_on_the_sweep_seed_and_run_id_only() {
    assert_eq!(run_seed(7, 3), run_seed(7, 3));
    assert_ne!(run_seed(7, 3), run_seed(7, 4));
    assert_ne!(run_seed(7, 3), run_seed(8, 3));
}

const TINY: &str = r#"
[sweep]
name = "tiny"
scenario = "baseline"
set = ["scenario.months=6"]
design = "grid"
replicates = 2
seed = 99
chunk = 2

[[parameter]]
key = "parameters.beta"
values = [1.5, 3.0]

[outputs]
metrics = ["bifurcation_index", "compute_h100e", "unmet_share"]
focus = ["KE"]
"#;

fn tiny() -> Prepared {
    let spec = SweepSpec::parse("tiny.toml", TINY).unwrap();
    Prepared::from_spec(spec, "baseline".into()).unwrap()
}

fn opts(threads: usize) -> RunOptions {
    RunOptions {
        threads: Some(threads),
        ..Default::default()
    }
}

/// Plans `p` as one shard and runs all of it with `threads` threads in a temporary folder.
fn run_whole(p: &Prepared, threads: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    p.plan(1).write_or_check(dir.path()).unwrap();
    p.run_shard(dir.path(), 0, 1, &opts(threads)).unwrap();
    dir
}

/// Every file under `dir` (relative path → bytes), plan included.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn results_are_identical_for_any_thread_count_shard_count_and_after_a_resume() {
    let p = tiny();
    assert_eq!(p.runs, 4);
    let root = tempfile::tempdir().unwrap();
    let (one, two, sharded, resumed) = (
        root.path().join("one"),
        root.path().join("two"),
        root.path().join("sharded"),
        root.path().join("resumed"),
    );
    for (dir, threads) in [(&one, 1), (&two, 2)] {
        p.plan(1).write_or_check(dir).unwrap();
        let done = p.run_shard(dir, 0, 1, &opts(threads)).unwrap();
        assert_eq!(
            done,
            ShardOutcome::Completed {
                runs: 4,
                ran: 4,
                failed: 0
            }
        );
    }
    assert_eq!(
        files(&one),
        files(&two),
        "1 and 2 threads give the same bytes"
    );

    // Interrupted after one part, then resumed: the same bytes as the uninterrupted run.
    p.plan(1).write_or_check(&resumed).unwrap();
    let stop = RunOptions {
        stop_after_parts: Some(1),
        ..opts(2)
    };
    assert_eq!(
        p.run_shard(&resumed, 0, 1, &stop).unwrap(),
        ShardOutcome::Stopped { parts: 1 }
    );
    assert!(
        p.run_shard(&resumed, 0, 1, &opts(2)).is_err(),
        "partial shard needs --resume"
    );
    let resume = RunOptions {
        resume: true,
        ..opts(2)
    };
    assert_eq!(
        p.run_shard(&resumed, 0, 1, &resume).unwrap(),
        ShardOutcome::Completed {
            runs: 4,
            ran: 2,
            failed: 0
        }
    );
    assert_eq!(
        files(&one),
        files(&resumed),
        "resumed equals uninterrupted, byte for byte"
    );
    assert_eq!(
        p.run_shard(&resumed, 0, 1, &opts(1)).unwrap(),
        ShardOutcome::AlreadyComplete
    );

    // Two shards: the same rows (seeds included) once sorted by run_id.
    p.plan(2).write_or_check(&sharded).unwrap();
    let status = dataset::status(&sharded).unwrap();
    assert_eq!(status.array_spec(), "0,1");
    p.run_shard(&sharded, 1, 2, &opts(1)).unwrap();
    assert_eq!(dataset::status(&sharded).unwrap().array_spec(), "0");
    assert!(!dataset::verify(&sharded).unwrap().ok());
    p.run_shard(&sharded, 0, 2, &opts(2)).unwrap();
    assert_eq!(dataset::status(&sharded).unwrap().array_spec(), "");
    assert!(dataset::verify(&sharded).unwrap().ok());
    let a = dataset::read_all(&dataset::sweep_dir(&one, "tiny")).unwrap();
    let b = dataset::read_all(&dataset::sweep_dir(&sharded, "tiny")).unwrap();
    assert!(a.equals_missing(&b), "1 shard:\n{a:?}\n2 shards:\n{b:?}");
    let seeds: Vec<u64> = a
        .column("seed")
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(seeds, (0..4).map(|i| run_seed(99, i)).collect::<Vec<_>>());
    assert!(a.column("compute_per_capita_KE_final").is_ok());
}

#[test]
fn status_prints_missing_shards_in_sbatch_form() {
    let s = fracture::sweep::ShardStatus {
        shards: 20,
        missing: vec![2, 7, 19],
        damaged: Vec::new(),
    };
    assert_eq!(s.array_spec(), "2,7,19");
    let s = fracture::sweep::ShardStatus {
        shards: 20,
        missing: vec![0, 1, 2, 3, 9, 11, 12],
        damaged: Vec::new(),
    };
    assert_eq!(s.array_spec(), "0-3,9,11,12");

    // Through the CLI: a planned sweep with no shard run yet.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("tiny.toml");
    std::fs::write(&spec, TINY).unwrap();
    let out = dir.path().join("out");
    let plan = common::command()
        .args(["sweep", "plan"])
        .arg(&spec)
        .args(["--shards", "3", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let status = common::command()
        .args(["sweep", "status"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success());
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "0-2");
    // A changed spec is refused against the plan.
    std::fs::write(&spec, TINY.replace("seed = 99", "seed = 98")).unwrap();
    let run = common::command()
        .args(["sweep", "run"])
        .arg(&spec)
        .args(["--shard", "0/3", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("planned from another spec"));
}

const SOBOL_WITH_SERIES: &str = r#"
[sweep]
name = "fans"
scenario = "baseline"
set = ["scenario.months=6"]
design = "sobol"
samples = 3
replicates = 2
seed = 5
chunk = 8

[[parameter]]
key = "parameters.beta"
distribution = "uniform"
min = 1.5
max = 3.0

[[parameter]]
key = "parameters.bloc_friction"
name = "bloc friction"
distribution = "uniform"
min = 0.1
max = 0.6

[outputs]
metrics = ["bifurcation_index", "unmet_share"]
focus = []
series = true
"#;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[test]
fn analyze_writes_sobol_indices_a_tornado_and_fans_that_agree_with_the_runs() {
    use fracture::sweep::analysis::{AnalyzeOptions, analyze};
    let spec = SweepSpec::parse("fans.toml", SOBOL_WITH_SERIES).unwrap();
    let p = Prepared::from_spec(spec, "baseline".into()).unwrap();
    assert_eq!(p.runs, 3 * 4 * 2);
    let dir = run_whole(&p, 2);
    let options = AnalyzeOptions {
        outcomes: vec!["unmet_share_final".into()],
        resamples: 50,
        ..Default::default()
    };
    // A bad option is refused before anything is written.
    for bad in [
        AnalyzeOptions {
            fans: vec!["nope".into()],
            ..options.clone()
        },
        AnalyzeOptions {
            outcomes: vec!["nope_final".into()],
            ..options.clone()
        },
    ] {
        assert!(analyze(dir.path(), &bad).is_err());
        assert!(!dir.path().join("_analysis-fans").exists());
    }
    let analysis = analyze(dir.path(), &options).unwrap();
    // The index table names the outcome and every parameter with S1 and ST and their intervals.
    let table = &analysis.table;
    for needle in [
        "unmet_share_final (3 base rows)",
        "parameters.beta",
        "bloc friction",
        "S1",
        "ST",
        "[95 % interval]",
    ] {
        assert!(table.contains(needle), "{needle:?} not in\n{table}");
    }
    // Three base rows are too few: the indices' intervals are wider than 0.5, and the analysis says
    // what to do.
    assert!(
        analysis
            .notes
            .iter()
            .any(|n| n.starts_with("unmet_share_final: the indices of")
                && n.contains("raise `samples`")),
        "{:?}",
        analysis.notes
    );
    // N = 3 is not a power of two.
    assert!(
        analysis
            .warnings
            .iter()
            .any(|w| w.contains("N = 3") && w.contains("power of two")),
        "{:?}",
        analysis.warnings
    );
    let out = dir.path().join("_analysis-fans");
    let names: Vec<String> = analysis
        .written
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    for f in [
        "sobol.parquet",
        "tornado.png",
        "tornado.svg",
        "fan.parquet",
        "fan_bifurcation_index.png",
        "fan_unmet_share.svg",
    ] {
        assert!(names.contains(&f.to_string()), "{f} missing from {names:?}");
        assert!(
            std::fs::metadata(out.join(f)).unwrap().len() > 500,
            "{f} is empty"
        );
    }

    let sobol = fracture::output::read_parquet(&out.join("sobol.parquet")).unwrap();
    assert_eq!(
        sobol.height(),
        2,
        "one row per parameter for the one outcome"
    );
    let st = sobol.column("st").unwrap().f64().unwrap();
    let (lo, hi) = (
        sobol.column("st_low").unwrap().f64().unwrap(),
        sobol.column("st_high").unwrap().f64().unwrap(),
    );
    for i in 0..2 {
        let (s, l, h) = (st.get(i).unwrap(), lo.get(i).unwrap(), hi.get(i).unwrap());
        assert!(s.is_finite() && l <= h, "row {i}: st {s} in [{l}, {h}]");
    }
    // The tornado names the parameters as readers know them, most influential (largest ST) first.
    let svg = std::fs::read_to_string(out.join("tornado.svg")).unwrap();
    let labels = ["parameters.beta", "bloc friction"];
    let mut order: Vec<(f64, &str)> = (0..2).map(|i| (st.get(i).unwrap(), labels[i])).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    // The y coordinate of the label's text element: smaller is higher up.
    let y_of = |label: &str| -> f64 {
        let end = svg
            .find(&format!("\n{label}\n"))
            .unwrap_or_else(|| panic!("{label} not in the SVG"));
        let open = svg[..end].rfind("<text").unwrap();
        let y = &svg[open..end];
        let y = &y[y.find(" y=\"").unwrap() + 4..];
        y[..y.find('"').unwrap()].parse().unwrap()
    };
    assert!(
        y_of(order[0].1) < y_of(order[1].1),
        "the larger ST is drawn on top"
    );

    // The fan's last month is the distribution of the runs' final values.
    let fan = fracture::output::read_parquet(&out.join("fan.parquet")).unwrap();
    let rows = |metric: &str| {
        let m = fan.column("metric").unwrap().str().unwrap();
        let keep: Vec<bool> = m.iter().map(|x| x == Some(metric)).collect();
        fan.filter(&polars::prelude::BooleanChunked::from_slice(
            "k".into(),
            &keep,
        ))
        .unwrap()
    };
    let unmet = rows("unmet_share");
    assert_eq!(unmet.height(), 6, "one row per month");
    let q = |c: &str| -> Vec<f64> {
        unmet
            .column(c)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect()
    };
    let (q05, q25, med, q75, q95) = (q("q05"), q("q25"), q("median"), q("q75"), q("q95"));
    for t in 0..6 {
        assert!(q05[t] <= q25[t] && q25[t] <= med[t] && med[t] <= q75[t] && q75[t] <= q95[t]);
    }
    let months: Vec<String> = unmet
        .column("month")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|m| m.unwrap().to_string())
        .collect();
    assert_eq!(months[0], p.start.to_string());
    let runs = dataset::read_all(&dataset::locate(dir.path()).unwrap()).unwrap();
    let finals: Vec<f64> = runs
        .column("unmet_share_final")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(finals.len(), 24);
    assert!((med[5] - median(finals)).abs() < 1e-12);
    assert!(q95[5] > q05[5], "the swept parameters spread the outcome");

    // Bands over one point's replicates: two runs each month.
    let one = analyze(
        dir.path(),
        &AnalyzeOptions {
            point: Some(3),
            ..options.clone()
        },
    )
    .unwrap();
    assert!(
        one.notes.iter().all(|n| {
            // (how much of it is seed noise depends on the model's numbers; that it is said does not)
            n.starts_with("unmet_share_final: the indices")
                || (n.starts_with("unmet_share_final: ")
                    && n.contains(" % of its run-to-run variance is seed noise"))
        }),
        "nothing but the indices' notes: {:?}",
        one.notes
    );
    let fan = fracture::output::read_parquet(&out.join("fan.parquet")).unwrap();
    let runs_col = fan.column("runs").unwrap().u32().unwrap();
    assert!(runs_col.into_no_null_iter().all(|r| r == 2));
    assert!(
        analyze(
            dir.path(),
            &AnalyzeOptions {
                point: Some(99),
                ..options.clone()
            }
        )
        .is_err()
    );
}

#[test]
fn analyze_refuses_a_grid_without_series_and_says_why() {
    let p = tiny();
    let dir = run_whole(&p, 1);
    let err = fracture::sweep::analysis::analyze(dir.path(), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("outputs.series = true"), "{err}");
    assert!(err.contains("sobol"), "{err}");
}

#[test]
fn the_shipped_example_sweeps_prepare() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = SweepSpec::read(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        let p = Prepared::new(&file).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        assert!(p.runs > 0);
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn analyze_a_morris_sweep_writes_mu_star_sigma_and_a_tornado() {
    let text = SOBOL_WITH_SERIES
        .replace("design = \"sobol\"", "design = \"morris\"")
        .replace("samples = 3", "samples = 2")
        .replace("replicates = 2", "replicates = 1")
        .replace("series = true", "series = false");
    let p = Prepared::from_spec(
        SweepSpec::parse("morris.toml", &text).unwrap(),
        "baseline".into(),
    )
    .unwrap();
    assert_eq!(p.runs, 2 * 3, "r trajectories of k + 1 points");
    let dir = run_whole(&p, 2);
    // Through the CLI: the μ* and σ table on stdout, then the files written.
    let cli = common::command()
        .args(["sweep", "analyze"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(cli.status.success());
    let stdout = String::from_utf8_lossy(&cli.stdout);
    for needle in [
        "Morris screening",
        "bifurcation_index_final",
        "unmet_share_final",
        "\u{03bc}*",
        "bloc friction",
        "morris.parquet",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in\n{stdout}");
    }
    let analysis = fracture::sweep::analysis::analyze(dir.path(), &Default::default()).unwrap();
    assert!(analysis.warnings.is_empty(), "{:?}", analysis.warnings);
    let out = dir.path().join("_analysis-fans");
    assert!(out.join("tornado.svg").exists() && out.join("tornado.png").exists());
    assert!(analysis.notes.iter().any(|n| n.contains("no fan charts")));
    let morris = fracture::output::read_parquet(&out.join("morris.parquet")).unwrap();
    // The default outcomes the sweep has: it keeps bifurcation_index and unmet_share only.
    assert_eq!(morris.height(), 2 * 2, "two parameters × two outcomes");
    let col = |c: &str| -> Vec<f64> {
        morris
            .column(c)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect()
    };
    for ((mu, mu_star), sigma) in col("mu").iter().zip(col("mu_star")).zip(col("sigma")) {
        assert!(mu_star >= mu.abs() - 1e-12, "μ* = mean |EE| ≥ |mean EE|");
        // σ is the sample deviation of the effects, so mean(EE²) = μ² + σ²(r−1)/r ≤ μ² + σ², and
        // μ*² = mean(|EE|)² ≤ mean(EE²).
        assert!(sigma.is_finite() && sigma >= 0.0, "σ = {sigma}");
        assert!(
            mu_star * mu_star <= mu * mu + sigma * sigma + 1e-9 * (1.0 + mu_star * mu_star),
            "μ* = {mu_star}, μ = {mu}, σ = {sigma}"
        );
    }
}

/// A shard is complete only when its `_SUCCESS` agrees with its parts and the plan: a part truncated
/// or deleted after the shard completed is reported by `status` and `verify`, refused by a plain run,
/// and run again by `--resume` to the same bytes; a plan whose shard count was edited is refused.
#[test]
fn damaged_shards_are_found_and_resume_repairs_them() {
    use fracture::sweep::dataset::{ShardOutcome, status, verify};
    let p = tiny();
    let dir = tempfile::tempdir().unwrap();
    p.plan(2).write_or_check(dir.path()).unwrap();
    for shard in 0..2 {
        p.run_shard(dir.path(), shard, 2, &opts(2)).unwrap();
    }
    let whole = files(dir.path());
    let sweep = dir.path().join("sweep=tiny");
    assert!(status(dir.path()).unwrap().missing.is_empty());
    assert!(verify(dir.path()).unwrap().ok());

    for damage in ["truncate", "delete"] {
        let part = sweep.join("shard=1/part-00000.parquet");
        match damage {
            "truncate" => std::fs::File::options()
                .write(true)
                .open(&part)
                .unwrap()
                .set_len(64)
                .unwrap(),
            _ => std::fs::remove_file(&part).unwrap(),
        }
        let s = status(dir.path()).unwrap();
        assert_eq!(s.missing, [1], "{damage}");
        assert!(
            s.damaged[0].1.contains("part 0"),
            "{damage}: {:?}",
            s.damaged
        );
        let v = verify(dir.path()).unwrap();
        assert!(!v.ok() && v.damaged_shards.len() == 1, "{damage}");
        assert_eq!(
            v.missing_count, 2,
            "{damage}: part 0 of shard 1 holds its runs 1 and 3"
        );
        let e = p.run_shard(dir.path(), 1, 2, &opts(2)).unwrap_err();
        assert!(e.to_string().contains("--resume"), "{e}");
        let resume = RunOptions {
            resume: true,
            ..opts(2)
        };
        let outcome = p.run_shard(dir.path(), 1, 2, &resume).unwrap();
        assert!(
            matches!(outcome, ShardOutcome::Completed { ran: 2, .. }),
            "{damage}: {outcome:?}"
        );
        assert_eq!(
            files(dir.path()),
            whole,
            "{damage}: repaired to the same bytes"
        );
    }

    // The plan's shard count edited from 2 to 4: the markers disagree, and nothing runs.
    let plan = sweep.join("_plan.json");
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, text.replace("\"shards\": 2", "\"shards\": 4")).unwrap();
    let s = status(dir.path()).unwrap();
    assert_eq!(s.missing, [0, 1, 2, 3]);
    assert!(
        s.damaged.iter().all(|(_, why)| why.contains("plan edited")),
        "{:?}",
        s.damaged
    );
    let e = p.run_shard(dir.path(), 2, 4, &opts(2)).unwrap_err();
    assert!(e.to_string().contains("plan edited"), "{e}");
    assert!(!sweep.join("shard=2").exists());
}

/// Every value a design can give a model parameter is held to its documented range, not only the first
/// point the base scenario is probed with: a uniform's bounds, a choice's values, a normal's ±3.09 sd
/// (where the design clamps it), every row of a design file (named by its line); and an integer
/// parameter needs a whole number between its bounds.
#[test]
fn swept_values_stay_within_each_parameters_range() {
    let spec = "[sweep]\nname = \"r\"\nscenario = \"baseline\"\ndesign = \"lhs\"\nsamples = 4\n\
                [[parameter]]\nkey = \"parameters.beta\"\ndistribution = \"uniform\"\nmin = 1\nmax = 25\n\
                [[parameter]]\nkey = \"parameters.switching_months\"\ndistribution = \"uniform\"\n\
                min = 1.2\nmax = 1.8\ninteger = true\n\
                [[parameter]]\nkey = \"parameters.bloc_friction\"\nvalues = [0.1, -3]\n\
                [[parameter]]\nkey = \"parameters.capacity_weight\"\ndistribution = \"normal\"\n\
                mean = 9\nsd = 1\n";
    let e = SweepSpec::parse("r.toml", spec).unwrap_err().to_string();
    for says in [
        "invalid sweep file: 4 problems",
        "`parameter[0].max`: max = 25 is outside `parameters.beta`'s range [0, 20]",
        "`parameter[1].integer`: no whole number lies between min = 1.2 and max = 1.8",
        "`parameter[2].values`: the value -3 is outside",
        "`parameter[3].sd`: mean ± 3.09 sd",
    ] {
        assert!(e.contains(says), "lacks {says:?}: {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pts.csv"),
        "parameters.beta,policy.us-chip-controls.strength\n1.0,0.5\n2.0,0.7\n25,0.7\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("f.toml"),
        "[sweep]\nname = \"f\"\nscenario = \"baseline\"\ndesign = \"file\"\nfile = \"pts.csv\"\n",
    )
    .unwrap();
    let e = format!(
        "{:#}",
        SweepSpec::read(&dir.path().join("f.toml")).unwrap_err()
    );
    assert!(
        e.contains("pts.csv:4: `parameters.beta` = 25 is outside its range [0, 20]"),
        "{e}"
    );
    // A whole number is quoted as written, not rounded through a float.
    std::fs::write(
        dir.path().join("pts.csv"),
        "parameters.reoffer_rounds\n3\n9223372036854775807\n",
    )
    .unwrap();
    let e = format!(
        "{:#}",
        SweepSpec::read(&dir.path().join("f.toml")).unwrap_err()
    );
    assert!(
        e.contains("pts.csv:3: `parameters.reoffer_rounds` = 9223372036854775807 is outside"),
        "{e}"
    );
}

#[test]
fn a_sweep_summarises_each_focus_nations_price_index_and_a_kyc_rule_raises_chinas() {
    // A grid over the KYC rule's strength in the weights-and-kyc story: China's open-market price index
    // (the options the refusals take) is summarised per run, and is higher at strength 1 than at 0.
    let spec = SweepSpec::parse(
        "kyc.toml",
        r#"
[sweep]
name = "kyc"
scenario = "weights-and-kyc"
set = ["scenario.months=24"]
design = "grid"
seed = 5

[[parameter]]
key = "policy.cloud-kyc.strength"
values = [0.0, 1.0]

[outputs]
metrics = ["compute_h100e"]
focus = ["CN"]
"#,
    )
    .unwrap();
    let p = Prepared::from_spec(spec, "weights-and-kyc".into()).unwrap();
    let dir = run_whole(&p, 1);
    let a = dataset::read_all(&dataset::sweep_dir(dir.path(), "kyc")).unwrap();
    let index: Vec<f64> = a
        .column("price_index_CN_mean")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(index.len(), 2);
    assert!(index[0] > 0.0 && index[1] > 1.1 * index[0], "{index:?}");
}

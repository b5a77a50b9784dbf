//! The `fracture` command line: run a scenario, validate files, list the shipped scenarios, and draw a
//! run's charts, its report, or a comparison of runs.

#![warn(clippy::too_many_lines)]

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use fracture::Detail;
use fracture::charts;
use fracture::output::{self, Manifest};
use fracture::run_data::RunData;
use fracture::scenario::{self, KeyPath, Override, SHIPPED, ScenarioError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Standard output closed by its reader (`fracture list | head -1`): not a failure of the command.
#[derive(Debug)]
struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::Error::new(e).context("cannot write to standard output")
    }
}

/// Writes to standard output; `println!` would panic when the reader has gone away. Whatever a file
/// said reaches the terminal with its control characters escaped (no escape sequence from a scenario,
/// a manifest or a run's tables can retitle the window, clear the screen or set the clipboard).
fn write_stdout(args: std::fmt::Arguments<'_>) -> Result<()> {
    use std::io::Write;
    let text = fracture::scenario::text::printable(&std::fmt::format(args));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(stdout_error)
}

fn flush_stdout() -> Result<()> {
    use std::io::Write;
    std::io::stdout().flush().map_err(stdout_error)
}

/// `print!` that returns the write's failure (with `?`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        write_stdout(format_args!($($arg)*))?
    };
}

macro_rules! outln {
    ($($arg:tt)*) => {{
        out!($($arg)*);
        out!("\n");
    }};
}

/// `eprint!` that ignores a closed or failing standard error rather than panicking on it, with control
/// characters escaped as on standard output.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let text = fracture::scenario::text::printable(&format!($($arg)*));
        let _ = std::io::stderr().write_all(text.as_bytes());
    }};
}

macro_rules! errln {
    ($($arg:tt)*) => {{
        err!($($arg)*);
        err!("\n");
    }};
}

#[derive(Parser, Debug)]
#[command(
    name = "fracture",
    version,
    about = "Simulate the geopolitical AI supply chain: chips, clouds, weights and blocs."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Args, Debug, Default)]
struct RunArgs {
    /// A scenario file, or the name of a shipped scenario (see `fracture list`); default: baseline.
    scenario: Option<String>,
    /// Seed of the run (default: the scenario's `seed`), 0 to 2^63-1 as in scenario files.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Number of months to simulate (default: the scenario's `months`), at most 1200.
    #[arg(long, allow_hyphen_values = true, value_parser = parse_months)]
    months: Option<u32>,
    /// Result folder (default: output/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override any scenario value, e.g. --set parameters.beta=2.5 or --set policy.NAME.strength=0.5.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Replace an existing result folder.
    #[arg(long)]
    force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Nations whose compute per capita the charts and summary single out, e.g. --focus KE,BR,IN
    /// (default: the scenario's `focus`, else KE,BR,IN,US,CN).
    #[arg(long, value_delimiter = ',', value_name = "NATIONS")]
    focus: Vec<String>,
    /// Also write report.html, a self-contained page with the story, key numbers and every chart.
    #[arg(long)]
    report: bool,
    /// Write the tables, manifest and comparison but no charts (a quarter of a run's time); `fracture
    /// plot FOLDER` draws them later from the tables.
    #[arg(long)]
    no_charts: bool,
    /// For a story, do not also run its counterfactual (the same file without its own policies and
    /// triggers) nor compare the two.
    #[arg(long = "no-baseline", alias = "no-counterfactual")]
    no_baseline: bool,
    /// Which tables get rows: `full` (all), `nations` (all but the labs table's rows), `summary` (no
    /// lab or usage rows, and of the events only the policies' and triggers': global, nations,
    /// providers and fabs whole). Every table file is written.
    #[arg(long, value_enum, default_value_t = DetailArg::Full)]
    detail: DetailArg,
    /// Run the story on N seeds — the scenario's seed (or --seed) and the N−1 after it — each against
    /// its own counterfactual, into OUT/seed=S/ run folders; OUT gets every seed's comparison with
    /// each number's mean, range and sign agreement (compare.parquet), a chart of the spread and, with
    /// --report, a report of the ensemble. At most 100: each seed writes a run folder of its own (for
    /// more, a sweep with `replicates` keeps one row per run).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    seeds: Option<u32>,
    /// Rows in the labs table for every lab of its own (`count = 1`) and only N members of each
    /// population, spread evenly over it (with --detail full).
    #[arg(long, value_name = "N")]
    lab_sample: Option<u32>,
    /// Refuse to run, before allocating, if the run's estimated peak memory exceeds this, e.g. 8G or
    /// 512M (default: the memory available on this machine).
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true, value_parser = parse_memory)]
    max_memory: Option<u64>,
}

/// `--detail`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
enum DetailArg {
    #[default]
    Full,
    Nations,
    Summary,
}

impl From<DetailArg> for Detail {
    fn from(d: DetailArg) -> Detail {
        match d {
            DetailArg::Full => Detail::Full,
            DetailArg::Nations => Detail::Nations,
            DetailArg::Summary => Detail::Summary,
        }
    }
}

fn parse_threads(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least 1 thread: 0 would run nothing".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of threads")),
    }
}

fn parse_memory(text: &str) -> std::result::Result<u64, String> {
    fracture::memory::parse_size(text)
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write its tables to Parquet (the default command).
    Run(RunArgs),
    /// Check scenario files and report every problem, with file, line and key.
    Validate {
        #[arg(required = true)]
        files: Vec<String>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// List the shipped scenarios, or the ids of a scenario's providers, coalitions, nations, blocs,
    /// chips, policies, triggers or labs with what a story needs to know of each.
    List {
        /// `scenarios` (the default), `providers`, `coalitions`, `nations`, `blocs`, `chips`,
        /// `policies`, `triggers` or `labs`.
        what: Option<String>,
        /// A scenario file or shipped scenario (default: baseline).
        scenario: Option<String>,
    },
    /// List every model parameter with its default, unit and meaning.
    Parameters,
    /// Redraw the charts of an existing run folder from its Parquet files, without simulating.
    Plot {
        /// A run's output folder, e.g. output/baseline.
        run_dir: PathBuf,
        /// Focus nations for the compute-per-capita chart, e.g. --focus KE,BR,IN.
        #[arg(long, value_delimiter = ',', value_name = "NATIONS")]
        focus: Vec<String>,
    },
    /// Compare runs: print, for the world and the focus nations, each headline metric's largest
    /// difference, cumulative difference, months more than 1 % below and recovery; write them to
    /// compare.parquet and chart the runs' differences.
    Compare {
        /// Run folders: against the first (two or more), or each against its own counterfactual.
        #[arg(required = true, num_args = 1..)]
        run_dirs: Vec<PathBuf>,
        /// The reference: `first` (the first run; the default for two or more runs) or
        /// `counterfactual` (each story run's own counterfactual/ folder; the default for one run).
        #[arg(long, value_enum)]
        against: Option<Against>,
        /// Nations to report, e.g. --focus KE,BR (default: the first run's focus nations).
        #[arg(long, value_delimiter = ',', value_name = "NATIONS")]
        focus: Vec<String>,
        /// Folder for compare.parquet and the comparison charts (default: output/compare).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Parameter sweeps: plan, run (sharded, resumable), check and analyse (see README, "Parameter sweeps").
    Sweep {
        #[command(subcommand)]
        command: SweepCommand,
    },
    /// Write report.html into a run folder: the story, key numbers and every chart in one offline page.
    Report {
        /// A run's output folder, e.g. output/baseline.
        run_dir: PathBuf,
        /// Focus nations for the key numbers and the compute-per-capita chart.
        #[arg(long, value_delimiter = ',', value_name = "NATIONS")]
        focus: Vec<String>,
    },
}

/// The command line with `run` put in where the first word names no command (`fracture alibaba-ban
/// --seeds 4` runs it, as `run` is the default command); flags alone (`fracture --seed 3`) run the
/// baseline.
fn with_default_command(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let command = Cli::command();
    let first = args.get(1).and_then(|a| a.to_str());
    let names_command = |word: &str| {
        word == "help"
            || command
                .get_subcommands()
                .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
    };
    match first {
        Some(word) if word.starts_with('-') => {
            // `--help` and `--version` are the program's own.
            if ["-h", "--help", "-V", "--version"].contains(&word) {
                return args;
            }
        }
        Some(word) if names_command(word) => return args,
        // A misspelt command (`lsit`) rather than a scenario: clap says which command it resembles.
        Some(word)
            if !Path::new(word).exists()
                && !SHIPPED.iter().any(|s| s.name == word)
                && fracture::scenario::did_you_mean(
                    word,
                    &command
                        .get_subcommands()
                        .map(|c| c.get_name())
                        .collect::<Vec<_>>(),
                )
                .is_some() =>
        {
            return args;
        }
        None => return args,
        Some(_) => {}
    }
    let mut out = Vec::with_capacity(args.len() + 1);
    out.push(args[0].clone());
    out.push("run".into());
    out.extend(args.into_iter().skip(1));
    out
}

/// A path as fracture prints it: on one line, its control characters escaped, so that a folder named
/// with a newline cannot start a line that reads as the program's.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for std::path::Path {
    fn shown(&self) -> String {
        fracture::scenario::text::one_line(&self.display().to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(with_default_command(std::env::args_os().collect()));
    let result = match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Run(args)) => run(args),
        Some(Command::Validate { files, sets }) => validate(&files, &sets),
        Some(Command::List { what, scenario }) => list(what.as_deref(), scenario.as_deref()),
        Some(Command::Parameters) => parameters(),
        Some(Command::Plot { run_dir, focus }) => plot(&run_dir, &focus),
        Some(Command::Compare {
            run_dirs,
            against,
            focus,
            out,
        }) => compare(&run_dirs, against, &focus, out),
        Some(Command::Report { run_dir, focus }) => report(&run_dir, &focus),
        Some(Command::Sweep { command }) => sweep_command(command),
    }
    .and_then(|()| flush_stdout());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<StdoutClosed>().is_some() {
                // The reader went away (`fracture list | head -1`): it has all it wanted.
                return ExitCode::SUCCESS;
            }
            if let Some(s) = e.downcast_ref::<ScenarioError>() {
                err!("error: {s}");
            } else {
                errln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `run --seeds N`: the job on `n` seeds from the scenario's, `at_once` at a time, into `dir`, and what
/// it prints of the ensemble.
fn run_ensemble(
    job: &Job,
    n: u32,
    at_once: usize,
    (dir, force, quiet): (&Path, bool, bool),
    progress: &fracture::progress::Progress,
) -> Result<()> {
    let scenario = job.scenario;
    let first_seed = scenario.scenario.seed;
    let seeds: Vec<u64> = (0..u64::from(n)).map(|i| first_seed + i).collect();
    if seeds.last().is_some_and(|&s| s > i64::MAX as u64) {
        anyhow::bail!(
            "--seeds {n} from seed {first_seed} runs past the largest seed, 2^63-1: give a \
             smaller --seed"
        );
    }
    let ensemble = run_seeds(job, &seeds, at_once, dir, force, progress)?;
    progress.finish();
    if !quiet {
        outln!(
            "{} ({} months from {}, seeds {}) → {}",
            scenario.scenario.name,
            scenario.scenario.months,
            scenario.scenario.start,
            fracture::summary::seed_list(&ensemble.seeds),
            dir.shown()
        );
        out!("{}", ensemble_text(&ensemble, dir));
    }
    Ok(())
}

/// What `run` prints of a run: where it went, the final month's numbers and, for a story, its effects
/// against the counterfactual (and the `--set`s the counterfactual leaves out, `skipped`).
fn print_run(
    done: &SeedRun,
    scenario: &scenario::Scenario,
    seed: u64,
    dir: &Path,
    skipped: &[String],
) -> Result<()> {
    outln!(
        "{} ({} months from {}, seed {}) → {}",
        scenario.scenario.name,
        scenario.scenario.months,
        scenario.scenario.start,
        seed,
        dir.shown()
    );
    out!(
        "{}",
        fracture::summary::final_month(&done.outputs, &done.data.blocs, &done.data.focus)
    );
    if let Some(view) = &done.comparison {
        let table = dir.join(fracture::comparison::FILE);
        out!(
            "{}",
            fracture::summary::story(view, &done.data, &table.shown())
        );
    }
    if !skipped.is_empty() {
        errln!(
            "note: {} apply to the story alone: its counterfactual has no such policy or trigger",
            skipped.join(", ")
        );
    }
    Ok(())
}

/// Refuses a result folder `run` may not replace; a report asked over a run already there is told that
/// `fracture report` adds one without running again.
fn check_run_destination(dir: &Path, args: &RunArgs) -> Result<()> {
    output::check_destination(dir, args.force).map_err(|e| {
        if args.report && !args.force && dir.join("manifest.json").is_file() {
            anyhow::anyhow!(
                "{e}; or, to add a report to the run already there without running it again: \
                 fracture report {}",
                dir.shown()
            )
        } else {
            e
        }
    })
}

/// What the progress line calls a run: the scenario, with its counterfactual and seeds if any.
fn progress_label(name: &str, counterfactual: bool, seeds: Option<u32>) -> String {
    match (counterfactual, seeds) {
        (true, Some(n)) => format!("{name} and its counterfactual, {n} seeds"),
        (false, Some(n)) => format!("{name}, {n} seeds"),
        (true, None) => format!("{name} and its counterfactual"),
        (false, None) => name.to_string(),
    }
}

fn run(args: RunArgs) -> Result<()> {
    let name = args.scenario.as_deref().unwrap_or("baseline");
    // The `--set`s as written, then --seed and --months (clap holds them to the files' bounds).
    let mut sets = Override::parse_all(&args.sets);
    let key = |k: &str| KeyPath::parse(k).expect("a key path");
    if let Some(seed) = args.seed {
        let seed = i64::try_from(seed).expect("--seed is at most 2^63-1");
        sets.push(Override::new(key("scenario.seed"), seed));
    }
    if let Some(months) = args.months {
        sets.push(Override::new(key("scenario.months"), i64::from(months)));
    }
    // Each file is read and parsed once, for the story and its counterfactual.
    let files = scenario::Files::read(name)?;
    let loaded = files.base()?.load(&sets)?;
    check_expectations(&loaded)?;
    let scenario = &loaded.scenario;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&scenario.scenario.name));
    check_run_destination(&dir, &args)?;
    // An unknown --focus nation is refused before the months run, not after.
    let nations: Vec<(String, String)> = scenario
        .nation
        .iter()
        .map(|n| {
            let name = if n.name.is_empty() { &n.id } else { &n.name };
            (n.id.clone(), name.clone())
        })
        .collect();
    let focus = fracture::run_data::resolve_focus(&args.focus, &nations).context("--focus")?;
    // A story's counterfactual, run with the same seed, months and --set values.
    let counterfactual = if args.no_baseline {
        None
    } else {
        counterfactual_of(&files, &sets, &args.sets, scenario)?
    };

    let detail = Detail::from(args.detail);
    if args.lab_sample.is_some() && !detail.labs() {
        anyhow::bail!(
            "--lab-sample samples the labs table, which --detail {} leaves without rows; use it \
             with --detail full",
            detail.as_str()
        );
    }
    let recording = fracture::Recording {
        detail,
        lab_sample: args.lab_sample,
    };
    // The run's memory — with its counterfactual, and with every seed held at once — estimated before
    // anything is allocated.
    let (limit, source) = match args.max_memory {
        Some(limit) => (Some(limit), "given by --max-memory"),
        None => (
            fracture::memory::available(),
            "available on this machine (--max-memory sets another limit)",
        ),
    };
    let seeds = args.seeds.map_or(1, u64::from);
    // Seeds side by side, one to a core. Each seed's counterfactual runs on a thread beside it, but it
    // is the lighter run (two tables, no charts), so a core to itself would stand idle most of the time.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let wanted = seeds.min(cores.max(1));
    let at_once = match limit {
        Some(limit) => fracture::memory::check(
            scenario,
            recording,
            counterfactual.as_ref().map(|(c, _)| &c.scenario),
            wanted,
            limit,
            source,
        )?,
        None => wanted,
    };
    let job = Job {
        scenario,
        files: &loaded.files,
        counterfactual: counterfactual.as_ref(),
        recording,
        focus,
        report: args.report,
        charts: !args.no_charts,
    };
    let started = Instant::now();
    let months = scenario.scenario.months;
    let runs = 1 + u64::from(counterfactual.is_some());
    // Only runs that take more than a second get a bar on a terminal; elsewhere (a Slurm log) a plain
    // line every few seconds.
    let progress = fracture::progress::Progress::new(
        progress_label(
            &scenario.scenario.name,
            counterfactual.is_some(),
            args.seeds,
        ),
        "months",
        months as u64 * runs * seeds,
        !args.quiet,
        Some(Duration::from_secs(1)),
    );
    let first_seed = scenario.scenario.seed;
    if let Some(n) = args.seeds {
        return run_ensemble(
            &job,
            n,
            at_once as usize,
            (&dir, args.force, args.quiet),
            &progress,
        );
    }
    let done = run_one(&job, first_seed, &dir, args.force, &progress, started)?;
    progress.finish();
    if !args.quiet {
        let skipped = counterfactual
            .as_ref()
            .map_or(&[][..], |(_, s)| s.as_slice());
        print_run(&done, scenario, first_seed, &dir, skipped)?;
    }
    Ok(())
}

/// What every seed of a `run` shares: the scenario, its counterfactual and what to record and draw.
struct Job<'a> {
    scenario: &'a scenario::Scenario,
    files: &'a [String],
    /// A story's counterfactual, with the `--set`s it leaves out.
    counterfactual: Option<&'a (scenario::Loaded, Vec<String>)>,
    recording: fracture::Recording,
    focus: Vec<String>,
    report: bool,
    charts: bool,
}

/// A seed's run, written.
struct SeedRun {
    outputs: fracture::Outputs,
    data: RunData,
    comparison: Option<fracture::comparison::StoryComparison>,
}

/// The scenario with `seed` in its own field, so that the manifest says what was run.
fn with_seed(scenario: &scenario::Scenario, seed: u64) -> scenario::Scenario {
    let mut s = scenario.clone();
    s.scenario.seed = seed;
    s
}

/// Runs the job with `seed` (a story's counterfactual beside it on a second core) and writes the run
/// folder `dir` atomically: the tables, the manifest, the counterfactual and the comparison, the charts
/// and, if asked, the report.
fn run_one(
    job: &Job,
    seed: u64,
    dir: &Path,
    force: bool,
    progress: &fracture::progress::Progress,
    started: Instant,
) -> Result<SeedRun> {
    let scenario = &with_seed(job.scenario, seed);
    let counterfactual = job
        .counterfactual
        .map(|(c, _)| with_seed(&c.scenario, seed));
    // The large tables go to Parquet row groups in the staging folder as the months run; a story's
    // counterfactual (summary tables only) runs beside it on the second core.
    let (staged, counterfactual_outputs) = std::thread::scope(|scope| {
        let other = counterfactual.as_ref().map(|cf| {
            scope.spawn(move || {
                fracture::simulate_with(cf, seed, Detail::Summary, |_| progress.inc())
            })
        });
        let staged = output::simulate_to(dir, force, scenario, seed, job.recording, |_| {
            progress.inc()
        });
        let other = other.map(|h| h.join().expect("the counterfactual's thread panicked"));
        (staged, other)
    });
    let staged = staged.context("the simulation failed")?;
    let counterfactual_outputs = counterfactual_outputs
        .transpose()
        .context("the counterfactual's simulation failed")?;
    output::check_finite(&staged.outputs)?;
    if let Some(out) = &counterfactual_outputs {
        output::check_finite(out).context("the counterfactual")?;
    }

    let mut manifest = Manifest::new(scenario, seed, job.files.to_vec());
    manifest.record(&staged.outputs, job.recording.detail);
    manifest.wall_time_seconds = started.elapsed().as_secs_f64();
    let mut data = RunData::new(
        &staged.outputs,
        &serde_json::to_value(&manifest)?,
        &job.focus,
    )?;
    // The counterfactual's folder: its global and nations tables and its manifest.
    let counterfactual_folder = match (job.counterfactual, &counterfactual, &counterfactual_outputs)
    {
        (Some((loaded, skipped)), Some(cf), Some(out)) => {
            let mut m = Manifest::new(cf, seed, loaded.files.clone());
            m.counterfactual_of = Some(scenario.scenario.name.clone());
            m.sets_not_applied = skipped.clone();
            m.rows.insert("global".into(), out.global.height());
            m.rows.insert("nations".into(), out.nations.height());
            m.wall_time_seconds = manifest.wall_time_seconds;
            let cf_data = RunData::new(out, &serde_json::to_value(&m)?, &data.focus)?;
            data = data.with_counterfactual(cf_data);
            Some((m, out))
        }
        _ => None,
    };
    let comparison = fracture::comparison::against_counterfactual(&data);
    let outputs = staged.outputs.clone();
    // Charts, report, the counterfactual and the comparison go into the staging folder, so the run
    // folder appears complete at once.
    staged.install(&manifest, |staging| {
        if let (Some((m, out)), Some(view)) = (&counterfactual_folder, &comparison) {
            output::write_counterfactual(&staging.join(output::COUNTERFACTUAL_DIR), out, m)?;
            output::write_parquet(
                &staging.join(fracture::comparison::FILE),
                &fracture::comparison::frame(&view.rows)?,
            )?;
        }
        if job.charts {
            charts::write_charts(staging, &data)?;
        }
        if job.report {
            fracture::report::write(staging, &data)?;
        }
        Ok(())
    })?;
    Ok(SeedRun {
        outputs,
        data,
        comparison,
    })
}

/// Runs the job on each of `seeds`, `at_once` at a time, into `OUT/seed=S/` run folders, then writes
/// the ensemble at `OUT`: the comparison rows of every seed with the summary rows, the spread chart,
/// a manifest and (if asked) the report. `OUT` appears whole, or not at all.
fn run_seeds(
    job: &Job,
    seeds: &[u64],
    at_once: usize,
    dir: &Path,
    force: bool,
    progress: &fracture::progress::Progress,
) -> Result<fracture::ensemble::Ensemble> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let started = Instant::now();
    let staging = fracture::fsutil::Staging::new(dir, force)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SeedRun>>>> =
        Mutex::new((0..seeds.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..at_once.clamp(1, seeds.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else {
                        break;
                    };
                    let folder = staging.path().join(fracture::ensemble::seed_folder(seed));
                    let done = run_one(job, seed, &folder, false, progress, started)
                        .with_context(|| format!("seed {seed}"));
                    let failed = done.is_err();
                    results.lock().expect("no worker panicked")[i] = Some(done);
                    if failed {
                        // The others stop at their next seed.
                        next.store(seeds.len(), Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    let mut runs = Vec::with_capacity(seeds.len());
    for result in results.into_inner().expect("no worker panicked") {
        match result {
            Some(done) => runs.push(done?),
            None => continue,
        }
    }
    if runs.len() != seeds.len() {
        anyhow::bail!("a seed's run failed; nothing was written");
    }
    let data: Vec<RunData> = runs.into_iter().map(|r| r.data).collect();
    let ensemble = fracture::ensemble::Ensemble::new(seeds.to_vec(), data);
    let mut manifest = Manifest::new(job.scenario, seeds[0], job.files.to_vec());
    manifest.seeds = seeds.to_vec();
    manifest.detail = job.recording.detail.as_str().into();
    manifest.wall_time_seconds = started.elapsed().as_secs_f64();
    write_ensemble(
        staging.path(),
        &ensemble,
        &manifest,
        (job.charts, job.report),
    )?;
    staging.install()?;
    Ok(ensemble)
}

/// What `run --seeds` prints: the story over the seeds, or, for a scenario that is no story, where
/// each seed's run is.
fn ensemble_text(ensemble: &fracture::ensemble::Ensemble, dir: &Path) -> String {
    let Some(first) = ensemble.runs.first() else {
        return String::new();
    };
    if ensemble.summaries.is_empty() {
        return format!(
            "{} is no story (it has no counterfactual), so there is nothing to compare seed by seed: \
             each seed's run is in {}/{}S/; compare two of them with `fracture compare`.\n",
            first.name,
            dir.shown(),
            fracture::ensemble::SEED_PREFIX
        );
    }
    let table = dir.join(fracture::comparison::FILE);
    fracture::summary::ensemble(
        &ensemble.summaries,
        &ensemble.views,
        first,
        &ensemble.seeds,
        &table.shown(),
    )
}

/// Writes an ensemble's own files into `dir`: `compare.parquet` of every seed with the summary rows,
/// the spread chart, `manifest.json` and, if asked, `report.html`.
fn write_ensemble(
    dir: &Path,
    ensemble: &fracture::ensemble::Ensemble,
    manifest: &Manifest,
    (charts, report): (bool, bool),
) -> Result<()> {
    if let Some(frame) = ensemble.frame() {
        output::write_parquet(&dir.join(fracture::comparison::FILE), &frame?)?;
    }
    if charts {
        write_spread(dir, ensemble)?;
    }
    if report {
        fracture::report::write_ensemble(dir, ensemble)?;
    }
    output::write_manifest(dir, manifest)
}

/// Draws an ensemble's spread chart into `dir` (nothing for a scenario that is no story).
fn write_spread(dir: &Path, ensemble: &fracture::ensemble::Ensemble) -> Result<Vec<PathBuf>> {
    let bands = ensemble.bands.clone();
    let Some(first) = ensemble.runs.first() else {
        return Ok(Vec::new());
    };
    if bands.is_empty() {
        return Ok(Vec::new());
    }
    let spread = charts::spread::Spread {
        title: format!(
            "\u{201c}{}\u{201d} over {} seeds",
            first.name,
            ensemble.seeds.len()
        ),
        seeds: ensemble.seeds.len(),
        bands,
    };
    charts::write_figure(dir, charts::spread::STEM, &spread)
}

/// A story's counterfactual with the `sets` of its run, and the `--set`s it leaves out (as `written`,
/// the text of the first of `sets`): those naming a policy or trigger of the story's own, which the
/// counterfactual does not have. `None` for a scenario that is no story (the baseline, a world of its
/// own, a file without policies or triggers).
fn counterfactual_of(
    files: &scenario::Files,
    sets: &[Override],
    written: &[String],
    story: &scenario::Scenario,
) -> Result<Option<(scenario::Loaded, Vec<String>)>> {
    let Some(base) = files.counterfactual()? else {
        return Ok(None);
    };
    let plain = base.load(&[])?.scenario;
    // (A malformed `--set` failed the story's own load before the counterfactual is made.)
    let own = |set: &Override| -> bool {
        let Some(key) = set.key() else {
            return false;
        };
        match (key.section(), key.element()) {
            ("policy", Some((id, _))) => !plain.policy.iter().any(|p| p.name == id),
            ("trigger", Some((id, _))) => !plain.trigger.iter().any(|t| t.name == id),
            _ => false,
        }
    };
    // Named by the text the user wrote, each read again on its own rather than matched by position.
    let skipped: Vec<String> = written
        .iter()
        .filter(|text| own(&Override::parse(text)))
        .cloned()
        .collect();
    let kept: Vec<Override> = sets.iter().filter(|set| !own(set)).cloned().collect();
    let mut loaded = base.load(&kept)?;
    // Told apart from the story in its folder, charts and comparisons; the name runs nothing.
    loaded.scenario.scenario.name = format!("{}-counterfactual", story.scenario.name);
    Ok(Some((loaded, skipped)))
}

/// Refuses a scenario whose expectations name a metric no run records, as validation refuses its other
/// problems (the story would otherwise be judged "not judged" after the run).
fn check_expectations(loaded: &scenario::Loaded) -> Result<()> {
    let problems = fracture::story::unknown_metrics(&loaded.scenario);
    if problems.is_empty() {
        return Ok(());
    }
    Err(anyhow::Error::new(ScenarioError {
        diagnostics: problems
            .into_iter()
            .map(|(key_path, message)| {
                // The loader says where each expectation's metric was written.
                let at = key_path
                    .strip_prefix("scenario.expect[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| loaded.expect_metric_at.get(i));
                scenario::Diagnostic {
                    file: at.map_or_else(
                        || loaded.files.first().cloned().unwrap_or_default(),
                        |d| d.file.clone(),
                    ),
                    line: at.and_then(|d| d.line),
                    column: at.and_then(|d| d.column),
                    key_path,
                    message,
                }
            })
            .collect(),
    }))
}

/// Records files a command wrote into a result folder in its manifest's entries.
fn record_written(dir: &Path, written: &[PathBuf]) -> Result<()> {
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    fracture::fsutil::record_entries(dir, &names)
}

fn plot(run_dir: &Path, focus: &[String]) -> Result<()> {
    if fracture::ensemble::is_ensemble(run_dir) {
        let ensemble = fracture::ensemble::Ensemble::read(run_dir, focus)?;
        let written = write_spread(run_dir, &ensemble)?;
        record_written(run_dir, &written)?;
        outln!(
            "{} charts → {} (each seed's own charts: fracture plot {}/{}S)",
            written.len(),
            run_dir.shown(),
            run_dir.shown(),
            fracture::ensemble::SEED_PREFIX
        );
        return Ok(());
    }
    let data = RunData::read(run_dir, focus)?;
    let written = charts::write_charts(run_dir, &data)?;
    record_written(run_dir, &written)?;
    outln!("{} charts → {}", written.len(), run_dir.shown());
    Ok(())
}

/// What `compare` measures runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Against {
    /// The first run given.
    First,
    /// Each run's own counterfactual (the `counterfactual/` folder `run` writes for a story).
    Counterfactual,
}

/// `compare` of a `run --seeds` folder: every seed against its own counterfactual, with the numbers'
/// spread, into `out` (default: output/compare).
fn compare_ensemble(dir: &Path, focus: &[String], out: Option<PathBuf>) -> Result<()> {
    use fracture::comparison;
    let ensemble = fracture::ensemble::Ensemble::read(dir, focus)?;
    let Some(frame) = ensemble.frame() else {
        anyhow::bail!(
            "{} holds runs without a counterfactual/ folder: they are not a story's, or were run \
             with --no-baseline",
            dir.shown()
        );
    };
    let out = out.unwrap_or_else(|| PathBuf::from("output").join("compare"));
    check_compare_destination(&out)?;
    let file = out.join(comparison::FILE);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.shown()))?;
    output::write_parquet(&file, &frame?)?;
    out!("{}", ensemble_text(&ensemble, &out));
    outln!("\n{} → {}", comparison::FILE, out.shown());
    Ok(())
}

fn compare(
    run_dirs: &[PathBuf],
    against: Option<Against>,
    focus: &[String],
    out: Option<PathBuf>,
) -> Result<()> {
    use fracture::comparison;
    let against = against.unwrap_or(if run_dirs.len() == 1 {
        Against::Counterfactual
    } else {
        Against::First
    });
    if against == Against::First && run_dirs.len() < 2 {
        anyhow::bail!(
            "a comparison against the first run needs at least two runs; for a story's run against \
             its counterfactual, give --against counterfactual"
        );
    }
    if let Some(d) = run_dirs.iter().find(|d| fracture::ensemble::is_ensemble(d)) {
        if run_dirs.len() > 1 || against != Against::Counterfactual {
            anyhow::bail!(
                "{} holds the runs of several seeds (`run --seeds`): compare it alone, against each \
                 seed's counterfactual, or compare its {}S/ folders with other runs",
                d.shown(),
                fracture::ensemble::SEED_PREFIX
            );
        }
        return compare_ensemble(d, focus, out);
    }
    let mut runs = Vec::with_capacity(run_dirs.len());
    for (i, d) in run_dirs.iter().enumerate() {
        // The first run's nations check --focus; the others report the same nations.
        let run = if i == 0 {
            RunData::read(d, focus)?
        } else {
            RunData::read(d, &[])?
        };
        if against == Against::Counterfactual && run.counterfactual.is_none() {
            anyhow::bail!(
                "{} has no {}/ folder: it is not a story's run, or it was run with --no-baseline",
                d.shown(),
                output::COUNTERFACTUAL_DIR
            );
        }
        runs.push(run);
    }
    let nations = comparison::nations_with_world(&runs[0].focus);
    let out = out.unwrap_or_else(|| PathBuf::from("output").join("compare"));
    check_compare_destination(&out)?;
    let file = out.join(comparison::FILE);
    let labels: Vec<String> = runs.iter().map(|r| r.label_among(&runs)).collect();
    let mut rows = Vec::new();
    let mut printed = String::new();
    for (i, run) in runs.iter().enumerate() {
        let (reference, reference_label) = match against {
            Against::First if i == 0 => continue,
            Against::First => (&runs[0], labels[0].clone()),
            Against::Counterfactual => {
                let cf = run.counterfactual.as_deref().expect("checked above");
                (cf, cf.name.clone())
            }
        };
        let these =
            comparison::compare_labelled(run, &labels[i], reference, &reference_label, &nations);
        comparison::ensure_rows(&these, &labels[i], &reference_label)?;
        printed.push_str(&format!(
            "\n{} (seed {}) against {} (seed {}), {} months from {}\n",
            labels[i],
            run.seed_label(),
            reference_label,
            reference.seed_label(),
            these[0].stats.months,
            these[0].month(0)
        ));
        let file = file.shown();
        match against {
            Against::Counterfactual => {
                let view = comparison::StoryComparison {
                    rows: these.clone(),
                    ..comparison::against_counterfactual(run).expect("checked above")
                };
                printed.push_str(&fracture::summary::story(&view, run, &file));
            }
            Against::First => {
                printed.push_str(&fracture::summary::table(
                    &these,
                    run,
                    &reference_label,
                    &file,
                ));
            }
        }
        rows.extend(these);
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.shown()))?;
    output::write_parquet(&file, &comparison::frame(&rows)?)?;
    out!("{printed}");
    if against == Against::First {
        let written = charts::compare::write_compare(&out, &runs)?;
        outln!(
            "\n{} ({} rows) and {} comparison charts → {}",
            comparison::FILE,
            rows.len(),
            written.len(),
            out.shown()
        );
    } else {
        outln!(
            "\n{} ({} rows) → {} (each run's own counterfactual chart is in its folder)",
            comparison::FILE,
            rows.len(),
            out.shown()
        );
    }
    Ok(())
}

/// `compare` writes a folder of its own: a new one, or one holding only what `compare` writes
/// (`compare.parquet` and its charts). A run's or a sweep's folder, a file, or a folder with anything
/// else in it is refused, so that no run's comparison and no file of the user's is replaced.
fn check_compare_destination(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        anyhow::bail!(
            "{} is a file: give --out a folder for the comparison",
            out.shown()
        );
    }
    for own in ["manifest.json", "_plan.json"] {
        if out.join(own).exists() {
            anyhow::bail!(
                "{} is a run's or a sweep's folder (it holds {own}): compare writes a folder of its \
                 own; give another --out",
                out.shown()
            );
        }
    }
    let foreign: Vec<String> = fracture::fsutil::entries_of(out)?
        .into_iter()
        .filter(|n| n != fracture::comparison::FILE && !n.ends_with(".png") && !n.ends_with(".svg"))
        .collect();
    if !foreign.is_empty() {
        anyhow::bail!(
            "{} holds what compare did not write ({}): give another --out",
            out.shown(),
            foreign.join(", ")
        );
    }
    Ok(())
}

fn report(run_dir: &Path, focus: &[String]) -> Result<()> {
    if fracture::ensemble::is_ensemble(run_dir) {
        let ensemble = fracture::ensemble::Ensemble::read(run_dir, focus)?;
        let path = fracture::report::write_ensemble(run_dir, &ensemble)?;
        fracture::fsutil::record_entries(run_dir, &[fracture::report::FILE])?;
        outln!(
            "report of {} seeds → {}",
            ensemble.seeds.len(),
            path.shown()
        );
        return Ok(());
    }
    let data = RunData::read(run_dir, focus)?;
    let path = fracture::report::write(run_dir, &data)?;
    fracture::fsutil::record_entries(run_dir, &[fracture::report::FILE])?;
    outln!("report → {}", path.shown());
    Ok(())
}

fn validate(files: &[String], sets: &[String]) -> Result<()> {
    let sets = Override::parse_all(sets);
    let mut failed = 0;
    for file in files {
        if is_sweep_file(file) {
            // A sweep file: checked as `sweep plan` would, with its scenario and its design.
            let checked = fracture::sweep::SweepSpec::read(Path::new(file))
                .and_then(|f| fracture::sweep::Prepared::new(&f));
            match checked {
                Ok(p) => {
                    let plan = p.plan(1);
                    outln!(
                        "ok: {file}: sweep {}, {} runs ({} points × {} replicates)",
                        plan.sweep,
                        plan.runs,
                        plan.points,
                        plan.replicates
                    );
                }
                Err(e) => {
                    failed += 1;
                    if let Some(s) = e.downcast_ref::<ScenarioError>() {
                        err!("{s}");
                    } else if let Some(s) = e.downcast_ref::<fracture::sweep::SweepError>() {
                        err!("{s}");
                    } else {
                        errln!("{e:#}");
                    }
                }
            }
            continue;
        }
        let loaded = scenario::load(file, &sets)
            .map_err(anyhow::Error::new)
            .and_then(|loaded| check_expectations(&loaded).map(|()| loaded));
        match loaded {
            Ok(loaded) => {
                let s = &loaded.scenario;
                let labs: u32 = s.lab.iter().map(|l| l.count).sum();
                outln!(
                    "ok: {file}: {} nations, {} providers, {labs} labs, {} policies, {} triggers",
                    s.nation.len(),
                    s.provider.len(),
                    s.policy.len(),
                    s.trigger.len()
                );
            }
            Err(e) => {
                failed += 1;
                match e.downcast_ref::<ScenarioError>() {
                    Some(s) => err!("{s}"),
                    None => errln!("{e:#}"),
                }
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} files are invalid", files.len());
    }
    Ok(())
}

/// Whether `file` is a sweep file: a TOML file on disk with a `[sweep]` table (scenario files have
/// none; shipped scenarios are names, not files).
fn is_sweep_file(file: &str) -> bool {
    let path = Path::new(file);
    if !path.exists() && fracture::sweep::spec::shipped(file).is_some() {
        return true;
    }
    path.is_file()
        && fracture::fsutil::read_text(path, fracture::fsutil::MAX_INPUT_BYTES)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .is_some_and(|t| t.contains_key("sweep"))
}

fn list(what: Option<&str>, scenario: Option<&str>) -> Result<()> {
    use fracture::listing::What;
    match what {
        None | Some("scenarios") => {}
        Some(text) => {
            let Some(what) = What::parse(text) else {
                let known: Vec<&str> = std::iter::once("scenarios")
                    .chain(What::ALL.iter().map(|w| w.as_str()))
                    .collect();
                let hint = fracture::scenario::did_you_mean(text, &known)
                    .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
                anyhow::bail!(
                    "`fracture list {text}`: there is no such list{hint}; lists are {}",
                    known.join(", ")
                );
            };
            let name = scenario.unwrap_or("baseline");
            let loaded = scenario::load(name, &[])?;
            out!("{}", fracture::listing::list(what, &loaded.scenario));
            return Ok(());
        }
    }
    if let Some(s) = scenario {
        anyhow::bail!(
            "`fracture list scenarios` lists the shipped scenarios and takes no scenario (`{s}`); to \
             list a scenario's ids, name what: `fracture list providers {s}`"
        );
    }
    for s in SHIPPED {
        let description = scenario::load_shipped(s, &[])
            .map(|l| {
                l.scenario
                    .scenario
                    .description
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_else(|e| format!("(invalid: {} problems)", e.diagnostics.len()));
        let mut lines = fracture::summary::wrap(&description, 100 - 25).into_iter();
        outln!("{:<24} {}", s.name, lines.next().unwrap_or_default());
        for line in lines {
            outln!("{:<24} {line}", "");
        }
    }
    let sweeps: Vec<&str> = fracture::sweep::spec::SHIPPED.iter().map(|s| s.0).collect();
    outln!(
        "\nShipped sweeps (`fracture sweep run NAME --out DIR`): {}",
        sweeps.join(", ")
    );
    Ok(())
}

/// A bound as it can be typed back (`--set`, TOML): `1e24`, not the 25 digits TOML reads as too large
/// an integer.
fn as_typed(x: f64) -> String {
    if x != 0.0 && !(1e-4..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

fn parameters() -> Result<()> {
    outln!(
        "{:<32} {:>10} {:<16} {:<18} meaning",
        "parameter",
        "default",
        "unit",
        "range"
    );
    for p in fracture::parameters::PARAMETER_DOCS {
        outln!(
            "{:<32} {:>10} {:<16} {:<18} {}",
            p.name,
            p.default,
            p.unit,
            format!("{} to {}", as_typed(p.min), as_typed(p.max)),
            p.doc.trim()
        );
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
enum SweepCommand {
    /// Fix a sweep's shard count: write OUT/sweep=NAME/_plan.json.
    Plan {
        spec: PathBuf,
        #[arg(long, default_value_t = 1)]
        shards: u32,
        #[arg(long, default_value = "output/sweeps")]
        out: PathBuf,
    },
    /// Run one shard of a sweep (all of it when unsharded) into OUT/sweep=NAME/shard=I/.
    Run {
        spec: PathBuf,
        #[arg(long, default_value = "output/sweeps")]
        out: PathBuf,
        /// I/N; else SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX (N always comes from the plan).
        #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
        shard: Option<String>,
        /// Worker threads, at least 1 (default: SLURM_CPUS_PER_TASK, else the available parallelism).
        #[arg(long, value_parser = parse_threads)]
        threads: Option<usize>,
        /// Finish an interrupted shard, keeping its complete parts.
        #[arg(long)]
        resume: bool,
        /// Stop after writing this many parts, as if killed (for testing --resume).
        #[arg(long, hide = true)]
        stop_after_parts: Option<usize>,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the shards without _SUCCESS in sbatch --array form (e.g. 2,7,19); empty when complete.
    Status {
        /// The sweep's output folder (the --out of `sweep run`).
        dir: PathBuf,
    },
    /// Check that every run_id is present exactly once; non-zero exit otherwise.
    Verify {
        /// The sweep's output folder (the --out of `sweep run`).
        dir: PathBuf,
    },
    /// Print the merged dataset as tab-separated text, one line per run in run_id order.
    Dump {
        /// The sweep's output folder (the --out of `sweep run`).
        dir: PathBuf,
    },
    /// One flat table of the sweep's inputs (named by key path) and outcomes, for EMA Workbench's PRIM
    /// and feature scoring (see examples/prim.py), pandas or a spreadsheet.
    Export {
        /// The sweep's output folder (the --out of `sweep run`).
        dir: PathBuf,
        /// The file to write, .csv or .parquet (default: DIR/_export-NAME.csv).
        #[arg(long)]
        out: Option<PathBuf>,
        /// One row per design point (outcomes averaged over its successful replicates) or per run.
        #[arg(long, value_enum, default_value_t = ExportPer::Point)]
        per: ExportPer,
        /// Replace the file given by --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Sobol indices (Saltelli designs) or Morris μ*, σ (Morris designs): printed as a table and
    /// written with a tornado chart; fan charts of the global metrics when the sweep kept time series.
    Analyze {
        /// The sweep's output folder (the --out of `sweep run`).
        dir: PathBuf,
        /// A summary column, e.g. bifurcation_index_final (repeatable).
        #[arg(long = "outcome", value_name = "COLUMN")]
        outcomes: Vec<String>,
        /// Bootstrap resamples for the Sobol confidence intervals (1 to 100000: each holds a copy of
        /// the indices, and beyond a few thousand the intervals no longer change).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        bootstrap: u32,
        /// A global metric to draw as a fan chart, e.g. bifurcation_index (repeatable).
        #[arg(long = "fan", value_name = "METRIC")]
        fans: Vec<String>,
        /// Fan bands over this design point's replicates only, not over every run.
        #[arg(long, value_name = "POINT")]
        point: Option<u64>,
    },
}

/// The rows of `sweep export`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ExportPer {
    /// One row per design point, outcomes averaged over its successful replicates.
    Point,
    /// One row per run.
    Run,
}

/// `sweep export`: the sweep's dataset, a row per point or per run, as CSV or Parquet at `out` (a file
/// of the user's only with `force`).
fn sweep_export(dir: &Path, out: Option<PathBuf>, per: ExportPer, force: bool) -> Result<()> {
    use fracture::sweep::export;
    let per = match per {
        ExportPer::Point => export::Per::Point,
        ExportPer::Run => export::Per::Run,
    };
    let table = export::table(dir, per)?;
    let path = match out {
        // A file of the user's is not replaced unasked (the default, the sweep's own export,
        // is).
        Some(p) if p.exists() && !force => anyhow::bail!(
            "{} already exists: pass --force to replace it, or give another --out",
            p.shown()
        ),
        Some(p) => p,
        None => export::default_path(dir)?,
    };
    export::write(&table, &path)?;
    let outcomes = export::outcome_columns(&table).len();
    let inputs = table
        .get_column_names()
        .iter()
        .filter(|c| c.contains('.'))
        .count();
    outln!(
        "{} rows ({} inputs, {} outcomes) → {}",
        table.height(),
        inputs,
        outcomes,
        path.shown()
    );
    Ok(())
}

/// `sweep verify`: every run of the plan present exactly once, in its shard, and every shard's parts
/// matching its `_SUCCESS` marker; what is wrong, listed, is an error.
fn sweep_verify(dir: &Path) -> Result<()> {
    use fracture::sweep::dataset;
    let v = dataset::verify(dir)?;
    let show = |ids: &[u64]| {
        let mut s: Vec<String> = ids.iter().take(20).map(u64::to_string).collect();
        if ids.len() > 20 || (!ids.is_empty() && ids.len() == dataset::LISTED) {
            s.push("…".into());
        }
        s.join(",")
    };
    if !v.incomplete_shards.is_empty() {
        errln!("shards without _SUCCESS: {:?}", v.incomplete_shards);
    }
    for (i, why) in &v.damaged_shards {
        errln!("shard {i} is damaged: {why}");
    }
    if !v.ok() {
        anyhow::bail!(
            "{} runs: {} missing ({}), {} duplicated ({}), {} in the wrong shard ({}), {} \
             damaged shards",
            v.runs,
            v.missing_count,
            show(&v.missing),
            v.duplicated_count,
            show(&v.duplicated),
            v.misplaced_count,
            show(&v.misplaced),
            v.damaged_shards.len()
        );
    }
    outln!("ok: all {} runs present exactly once", v.runs);
    Ok(())
}

/// `sweep run`: the shard given (`--shard I/N`, else the environment's array index, else the only one)
/// of the sweep in `spec`, planned into `out` if no plan is there yet and checked against it if one is.
fn sweep_run(
    spec: &Path,
    out: &Path,
    shard: Option<&str>,
    options: fracture::sweep::RunOptions,
) -> Result<()> {
    use fracture::sweep::{Plan, Prepared, ShardOutcome, SweepSpec, dataset};
    let file = SweepSpec::read(spec)?;
    let given = shard.map(parse_shard).transpose()?;
    // A bad SLURM_ARRAY_TASK_ID is refused before anything is written (a plan included).
    let from_env = if given.is_none() { env_shard()? } else { None };
    let sweep_dir = dataset::sweep_dir(out, &file.spec.sweep.name);
    let prepared = Prepared::new(&file)?;
    let shards = if sweep_dir.join(dataset::PLAN).exists() {
        let plan = Plan::read(&sweep_dir)?;
        plan.check(&prepared.spec_hash)?;
        if let Some((_, n)) = given
            && n != plan.shards
        {
            anyhow::bail!("--shard says {n} shards, the plan {}", plan.shards);
        }
        plan.shards
    } else {
        let n = given.map_or(1, |(_, n)| n);
        if let Some(i) = from_env {
            anyhow::ensure!(
                i < n,
                "shard {i} (from the environment) does not exist: the sweep has {n} shard{} \
                 (plan more with `sweep plan --shards N` or pass --shard I/N); nothing was \
                 written",
                if n == 1 { "" } else { "s" }
            );
        }
        prepared.plan(n).write_or_check(out)?;
        n
    };
    let index = match given {
        Some((i, _)) => i,
        None => match from_env {
            Some(i) => i,
            None if shards == 1 => 0,
            None => anyhow::bail!(
                "which shard? pass --shard I/{shards}, or set SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX"
            ),
        },
    };
    anyhow::ensure!(
        index < shards,
        "shard {index} does not exist: the plan has {shards} shards"
    );
    let quiet = !options.progress;
    let started = Instant::now();
    match prepared.run_shard(out, index, shards, &options)? {
        ShardOutcome::AlreadyComplete => {
            if !quiet {
                errln!("shard {index}/{shards} is already complete");
            }
        }
        ShardOutcome::Stopped { parts } => {
            errln!("stopped after {parts} parts, as asked");
        }
        ShardOutcome::Completed { runs, ran, failed } => {
            if !quiet {
                outln!(
                    "shard {index}/{shards}: {runs} runs complete ({ran} of them run now, in {:.1} s; {failed} failed) → {}",
                    started.elapsed().as_secs_f64(),
                    dataset::shard_dir(out, &prepared.spec.sweep.name, index).shown()
                );
            }
        }
    }
    Ok(())
}

fn sweep_command(command: SweepCommand) -> Result<()> {
    use fracture::sweep::{Prepared, RunOptions, SweepSpec, dataset};
    match command {
        SweepCommand::Plan { spec, shards, out } => {
            anyhow::ensure!(
                (1..=fracture::sweep::spec::MAX_SHARDS).contains(&shards),
                "--shards must be between 1 and {}",
                fracture::sweep::spec::MAX_SHARDS
            );
            let prepared = Prepared::new(&SweepSpec::read(&spec)?)?;
            let plan = prepared.plan(shards);
            plan.write_or_check(&out)?;
            outln!(
                "{}: {} runs ({} points × {} replicates) in {} shards → {}",
                plan.sweep,
                plan.runs,
                plan.points,
                plan.replicates,
                plan.shards,
                dataset::sweep_dir(&out, &plan.sweep).shown()
            );
        }
        SweepCommand::Run {
            spec,
            out,
            shard,
            threads,
            resume,
            stop_after_parts,
            quiet,
        } => sweep_run(
            &spec,
            &out,
            shard.as_deref(),
            RunOptions {
                threads,
                resume,
                stop_after_parts,
                progress: !quiet,
            },
        )?,
        SweepCommand::Status { dir } => {
            let status = dataset::status(&dir)?;
            for (i, why) in &status.damaged {
                errln!("shard {i} is damaged: {why}");
            }
            errln!(
                "{} of {} shards missing{}",
                status.missing.len(),
                status.shards,
                if status.damaged.is_empty() {
                    String::new()
                } else {
                    format!(" ({} of them damaged, above)", status.damaged.len())
                }
            );
            outln!("{}", status.array_spec());
        }
        SweepCommand::Verify { dir } => sweep_verify(&dir)?,
        SweepCommand::Dump { dir } => {
            let frame = dataset::read_all(&dataset::locate(&dir)?)?;
            out!("{}", dataset::to_text(&frame)?);
        }
        SweepCommand::Export {
            dir,
            out,
            per,
            force,
        } => sweep_export(&dir, out, per, force)?,
        SweepCommand::Analyze {
            dir,
            outcomes,
            bootstrap,
            fans,
            point,
        } => {
            let options = fracture::sweep::analysis::AnalyzeOptions {
                outcomes,
                resamples: bootstrap as usize,
                fans,
                point,
            };
            let analysis = fracture::sweep::analysis::analyze(&dir, &options)?;
            if !analysis.table.is_empty() {
                outln!("{}", analysis.table);
            }
            for note in &analysis.notes {
                errln!("note: {note}");
            }
            for warning in &analysis.warnings {
                errln!("warning: {warning}");
            }
            for path in &analysis.written {
                outln!("→ {}", path.shown());
            }
        }
    }
    Ok(())
}

/// `--seed`: a whole number from 0 to 2^63−1, as in scenario files (a plain message for `-1`, not
/// clap's tip about `-- -1`).
fn parse_seed(s: &str) -> std::result::Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or_else(|| format!("a seed is a whole number from 0 to {}, not `{s}`", i64::MAX))
}

/// `--months`: a whole number from 1 to the longest run.
fn parse_months(s: &str) -> std::result::Result<u32, String> {
    let max = fracture::scenario::limits::MAX_MONTHS;
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("months are a whole number from 1 to {max}, not `{s}`"))
}

fn parse_shard(s: &str) -> Result<(u32, u32)> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("--shard wants I/N, e.g. 3/8, not `{s}`"))?;
    let (i, n): (u32, u32) = (
        i.trim().parse().context("--shard I/N: I is not a number")?,
        n.trim().parse().context("--shard I/N: N is not a number")?,
    );
    anyhow::ensure!(n >= 1 && i < n, "--shard {i}/{n}: need 0 ≤ I < N");
    anyhow::ensure!(
        n <= fracture::sweep::spec::MAX_SHARDS,
        "--shard {i}/{n}: at most {} shards",
        fracture::sweep::spec::MAX_SHARDS
    );
    Ok((i, n))
}

/// The shard index an engine gives: Slurm job arrays, then Kubernetes indexed jobs.
fn env_shard() -> Result<Option<u32>> {
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        if let Ok(v) = std::env::var(var) {
            let i = v
                .trim()
                .parse()
                .with_context(|| format!("{var}={v} is not a shard index"))?;
            return Ok(Some(i));
        }
    }
    Ok(None)
}

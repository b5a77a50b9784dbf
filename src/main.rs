//! The `fracture` command line: run a scenario, validate files, list the shipped scenarios, and draw a
//! run's charts, its report, or a comparison of runs.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use fracture::charts::{self, RunData};
use fracture::output::{self, Manifest};
use fracture::scenario::{self, SHIPPED, ScenarioError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    /// Seed of the run (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Number of months to simulate (default: the scenario's `months`).
    #[arg(long)]
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
    /// List the shipped scenarios.
    List,
    /// List every model parameter with its default, unit and meaning.
    Parameters,
    /// Redraw the charts of an existing run folder from its Parquet files, without simulating.
    Plot {
        run_dir: PathBuf,
        /// Focus nations for the compute-per-capita chart, e.g. --focus KE,BR,IN.
        #[arg(long, value_delimiter = ',', value_name = "NATIONS")]
        focus: Vec<String>,
    },
    /// Overlay several runs (e.g. a scenario against the baseline) and chart their differences.
    Compare {
        /// Two or more run folders; differences are taken against the first.
        #[arg(required = true, num_args = 2..)]
        run_dirs: Vec<PathBuf>,
        /// Folder for the comparison charts (default: output/compare).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write report.html into a run folder: the story, key numbers and every chart in one offline page.
    Report {
        run_dir: PathBuf,
        /// Focus nations for the key numbers and the compute-per-capita chart.
        #[arg(long, value_delimiter = ',', value_name = "NATIONS")]
        focus: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Run(args)) => run(args),
        Some(Command::Validate { files, sets }) => validate(&files, &sets),
        Some(Command::List) => {
            list();
            Ok(())
        }
        Some(Command::Parameters) => {
            parameters();
            Ok(())
        }
        Some(Command::Plot { run_dir, focus }) => plot(&run_dir, &focus),
        Some(Command::Compare { run_dirs, out }) => compare(&run_dirs, out),
        Some(Command::Report { run_dir, focus }) => report(&run_dir, &focus),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(s) = e.downcast_ref::<ScenarioError>() {
                eprint!("error: {s}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: RunArgs) -> Result<()> {
    let name = args.scenario.as_deref().unwrap_or("baseline");
    let mut sets = args.sets.clone();
    if let Some(seed) = args.seed {
        sets.push(format!("scenario.seed={seed}"));
    }
    if let Some(months) = args.months {
        sets.push(format!("scenario.months={months}"));
    }
    let loaded = scenario::load(name, &sets)?;
    let scenario = &loaded.scenario;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&scenario.scenario.name));
    output::check_destination(&dir, args.force)?;

    let started = Instant::now();
    let months = scenario.scenario.months;
    let bar = ProgressBar::with_draw_target(Some(months as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} months, {eta} left")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(scenario.scenario.name.clone());
    let show_bar = !args.quiet && std::io::stderr().is_terminal();
    let mut shown = false;
    let outputs = fracture::simulate_with_progress(scenario, scenario.scenario.seed, |done| {
        // Only runs that take more than a second get a bar.
        if show_bar && !shown && started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_position(done as u64);
    })
    .context("the simulation failed")?;
    bar.finish_and_clear();

    let mut manifest = Manifest::new(scenario, scenario.scenario.seed, loaded.files.clone());
    for (table, frame) in outputs.tables() {
        manifest.rows.insert(table.to_string(), frame.height());
    }
    manifest.wall_time_seconds = started.elapsed().as_secs_f64();
    let data = RunData::new(&outputs, &serde_json::to_value(&manifest)?, &args.focus)?;
    // Charts and report go into the staging folder, so the run folder appears complete at once.
    output::write_run_with(&dir, &outputs, &manifest, args.force, |staging| {
        charts::write_charts(staging, &data)?;
        if args.report {
            fracture::report::write(staging, &data)?;
        }
        Ok(())
    })?;

    if !args.quiet {
        let blocs: Vec<String> = scenario.bloc.iter().map(|b| b.id.clone()).collect();
        let focus = data.focus.clone();
        println!(
            "{} ({} months from {}, seed {}) → {}",
            scenario.scenario.name,
            months,
            scenario.scenario.start,
            scenario.scenario.seed,
            dir.display()
        );
        print!(
            "{}",
            fracture::summary::final_month(&outputs, &blocs, &focus)
        );
    }
    Ok(())
}

fn plot(run_dir: &Path, focus: &[String]) -> Result<()> {
    let data = RunData::read(run_dir, focus)?;
    let written = charts::write_charts(run_dir, &data)?;
    println!("{} charts → {}", written.len(), run_dir.display());
    Ok(())
}

fn compare(run_dirs: &[PathBuf], out: Option<PathBuf>) -> Result<()> {
    let runs = run_dirs
        .iter()
        .map(|d| RunData::read(d, &[]))
        .collect::<Result<Vec<_>>>()?;
    let out = out.unwrap_or_else(|| PathBuf::from("output").join("compare"));
    let written = charts::compare::write_compare(&out, &runs)?;
    println!("{} comparison charts → {}", written.len(), out.display());
    Ok(())
}

fn report(run_dir: &Path, focus: &[String]) -> Result<()> {
    let data = RunData::read(run_dir, focus)?;
    let path = fracture::report::write(run_dir, &data)?;
    println!("report → {}", path.display());
    Ok(())
}

fn validate(files: &[String], sets: &[String]) -> Result<()> {
    let mut failed = 0;
    for file in files {
        match scenario::load(file, sets) {
            Ok(loaded) => {
                let s = &loaded.scenario;
                let labs: u32 = s.lab.iter().map(|l| l.count).sum();
                println!(
                    "ok: {file}: {} nations, {} providers, {labs} labs, {} policies, {} triggers",
                    s.nation.len(),
                    s.provider.len(),
                    s.policy.len(),
                    s.trigger.len()
                );
            }
            Err(e) => {
                failed += 1;
                eprint!("{e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} scenario files are invalid", files.len());
    }
    Ok(())
}

fn list() {
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
        println!("{:<24} {description}", s.name);
    }
}

fn parameters() {
    for p in fracture::parameters::PARAMETER_DOCS {
        println!(
            "{:<32} {:>10} {:<16} {}",
            p.name,
            p.default,
            p.unit,
            p.doc.trim()
        );
    }
}

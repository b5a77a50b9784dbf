//! The `fracture` command line: run a scenario, validate files, list the shipped scenarios.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use fracture::output::{self, Manifest};
use fracture::scenario::{self, SHIPPED, ScenarioError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
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
    output::write_run(&dir, &outputs, &manifest, args.force)?;

    if !args.quiet {
        let blocs: Vec<String> = scenario.bloc.iter().map(|b| b.id.clone()).collect();
        let focus = if scenario.scenario.focus.is_empty() {
            ["KE", "BR", "IN", "US", "CN"].map(String::from).to_vec()
        } else {
            scenario.scenario.focus.clone()
        };
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

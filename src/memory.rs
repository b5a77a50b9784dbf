//! How much memory a run will take, estimated from its scenario before anything is allocated, and the
//! limit `fracture run --max-memory` holds it to (by default, the memory the machine has available).
//!
//! The estimate follows what a run holds (README, "Performance"; calibrated against the peak resident
//! memory of runs of 100 000 to 10 million labs):
//! - a fixed part: the program, its libraries and thread stacks;
//! - the world: per lab its components and indices, the ring of its last training runs
//!   (`max_run_months`), and for a lab with chips of its own the vintages of its cluster (one a month
//!   for at most `lifetime_months`, per bloc its chips come from); building the world briefly holds its
//!   labs' ids twice over;
//! - the policy rules' nation × nation, chip × nation and provider × nation grids, and the market's
//!   segment × provider grids;
//! - the small tables kept for the whole run (global, nations, providers, fabs: rows × columns × 8 bytes,
//!   and events);
//! - the large tables (`labs`, `usage`), written as the months run: at most three chunks of their rows
//!   at once (one being recorded, one handed over, one being encoded).

use crate::scenario::Scenario;
use crate::scenario::limits::MAX_TRIGGERED_POLICIES;
use crate::tables::{
    Columns, Detail, FabColumns, GlobalColumns, NationColumns, ProviderColumns, Recording,
    chunk_months, sampled_members,
};
use anyhow::Result;

/// The program, its libraries, fonts and thread stacks: what a run of a tiny world takes.
const FIXED: u64 = 48 << 20;
/// Per lab: its entity and components (each with its change ticks: the month's state is five components,
/// one per use), the market's and the metrics' per-lab scratch, its place in the indices, and its id
/// (≈ 25 bytes, held twice while the world is built). Measured (7 December 2026, VmHWM): 777 MiB for the
/// 1 M-lab world in summary detail, 969 MiB in full detail, 7.29 GiB for the 10 M-lab world over 12
/// months in summary detail; this puts the estimate 4–17 % above each.
const PER_LAB: u64 = 740;
/// Per lab and month of its training-run ring.
const PER_RUN_MONTH: u64 = 8;
/// Per vintage of a lab's own cluster (month, H100e, origin, watts), with the deque's slack.
const PER_VINTAGE: u64 = 64;
/// Per row of a large table's chunk, three chunks held: 60 bytes recorded, as much again handed over,
/// and its Arrow columns (keys included) and pages while encoded.
const PER_CHUNK_ROW: u64 = 3 * 100;
/// The key columns that name a row of a small table: the month, `t` and its nation's, provider's or
/// fab's id.
const KEY_COLUMNS: u64 = 3;
/// Per event kept (strings of its actor, target, nation, provider and detail).
const PER_EVENT: u64 = 200;
/// Events a lab may give rise to over a run, at most, on average (KYC evasions, dropped contracts,
/// accusations): generous, since they cannot be known before the run.
const EVENTS_PER_LAB: f64 = 0.1;

/// A run's estimated peak memory, in bytes, by part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub fixed: u64,
    pub world: u64,
    /// The policy rules' and the market's grids, which grow with nations, inputs and providers.
    pub grids: u64,
    pub tables: u64,
    /// The events kept for the whole run (accusations, and the policies' and triggers' own).
    pub events: u64,
    pub chunks: u64,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        self.fixed + self.world + self.grids + self.tables + self.events + self.chunks
    }
}

/// The estimated peak memory of running `scenario` as `fracture run` does (the large tables written as
/// the months run), recording what `recording` asks for.
pub fn estimate(scenario: &Scenario, recording: Recording) -> Estimate {
    let p = &scenario.parameters;
    let months = u64::from(scenario.scenario.months);
    let blocs = scenario.bloc.len() as u64;
    let labs: u64 = scenario.lab.iter().map(|l| u64::from(l.count)).sum();
    let mut world = labs * (PER_LAB + PER_RUN_MONTH * u64::from(p.max_run_months));
    // A lab with chips of its own keeps a vintage per month it installs chips, per origin bloc.
    let vintage_months = u64::from(p.lifetime_months).min(months + u64::from(p.initial_age_months));
    for l in &scenario.lab {
        if l.owned > 0.0 || (l.own_share > 0.0 && l.budget > 0.0) {
            world += u64::from(l.count) * vintage_months * blocs.max(1) * PER_VINTAGE;
        }
    }

    let (nations, providers, fabs) = (
        scenario.nation.len() as u64,
        scenario.provider.len() as u64,
        scenario.fab.len() as u64,
    );
    // The policy rules' grids (8 bytes a cell): three nation × nation for weights, two per input for
    // input bans, five chip × nation and three provider × nation, compiled in place each month; a
    // quarter more for the allocator and scratch (measured: 1000 nations and 100 inputs peak at
    // 1.55 GiB against 1.51 GiB of grids). The market's grids: about ten segment × provider, two
    // segments (with and without contracts) per pool, a pool per nation and per lab entry at most.
    let (inputs, chips) = (scenario.input.len() as u64, scenario.chip.len() as u64);
    let rules = 8 * (nations * nations * (3 + 2 * inputs) + nations * (5 * chips + 3 * providers));
    let segments = 2 * (nations + scenario.lab.len() as u64);
    let grids = rules + rules / 4 + 8 * segments * (10 * providers + 2 * blocs);
    // Columns of the small tables, as declared (per-bloc columns one per bloc), and the keys that name
    // a row (month, t and the row's id), a number (8 bytes) each; their DataFrames at the end as much
    // again.
    let bloc_ids: Vec<String> = scenario.bloc.iter().map(|b| b.id.clone()).collect();
    let width = |names: Vec<String>| KEY_COLUMNS + names.len() as u64;
    let small_rows_bytes = months
        * (width(GlobalColumns::names(&bloc_ids))
            + nations * width(NationColumns::names(&bloc_ids))
            + providers * width(ProviderColumns::names(&bloc_ids))
            + fabs * width(FabColumns::names(&bloc_ids)))
        * 8;
    // Lab-level events: accusations each month (a false positive, or a detected extraction attempt by
    // a lab that tries), the rest on average. Policy events, kept at any detail: a trigger logs at most
    // one skip a month, and the policies triggers put in force are bounded, four events each.
    let lab_events = if recording.detail.events() {
        let accused: f64 = scenario
            .lab
            .iter()
            .map(|l| {
                let attempt = if l.attempts_extraction() {
                    p.lambda * p.p_detect
                } else {
                    0.0
                };
                f64::from(l.count) * (p.false_positive_rate + attempt).min(1.0)
            })
            .sum();
        labs as f64 * EVENTS_PER_LAB + accused * months as f64
    } else {
        0.0
    };
    let triggers = scenario.trigger.len() as u64;
    let policy_events = triggers * months + 4 * u64::from(MAX_TRIGGERED_POLICIES);
    let events = (lab_events as u64).saturating_add(policy_events) * PER_EVENT;
    let tables = 2 * small_rows_bytes;

    let lab_rows = if recording.detail.labs() {
        match recording.lab_sample {
            None => labs,
            Some(n) => scenario
                .lab
                .iter()
                .map(|l| {
                    if l.count == 1 {
                        1
                    } else {
                        sampled_members(l.count, n).len() as u64
                    }
                })
                .sum(),
        }
    } else {
        0
    };
    let usage_rows = if recording.detail.usage() {
        nations * providers
    } else {
        0
    };
    let chunk_rows =
        |per_month: u64| per_month * u64::from(chunk_months(per_month as usize)).min(months.max(1));
    let chunks = (chunk_rows(lab_rows) + chunk_rows(usage_rows)) * PER_CHUNK_ROW;
    Estimate {
        fixed: FIXED,
        world,
        grids,
        tables,
        events,
        chunks,
    }
}

/// Bytes as people write them: `8G`, `512M`, `1.5GiB`, `300 MB`, `2048` (bytes). The units are
/// binary (1K = 1024), `B` and `iB` optional, any case.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 8G, 512M or 1.5GiB"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let scale: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        other => {
            return Err(format!(
                "`{text}`: unknown unit `{other}`; use K, M, G or T (binary: 1K = 1024 bytes)"
            ));
        }
    };
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("`{text}` is not a usable amount of memory"));
    }
    Ok(bytes as u64)
}

/// Bytes in a human unit, e.g. `1.4 GiB`.
pub fn show(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", (b / (1u64 << 20) as f64).max(1.0))
    }
}

/// The memory this process may use: what the machine has available (`MemAvailable` in /proc/meminfo:
/// free memory and caches the kernel can drop), lowered to what is left under the limit of the control
/// group the process runs in (a Slurm job, a container), if any. `None` where this cannot be read.
pub fn available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())?
        * 1024;
    Some(match cgroup_room() {
        Some(room) => available.min(room),
        None => available,
    })
}

/// What the process's control group (version 2) still allows: `memory.max` less `memory.current`.
fn cgroup_room() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?; // "max" (no limit) does not parse
    let current: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

/// Fails, before the run allocates anything, if its estimated peak — with a story's counterfactual
/// beside it — exceeds `limit` bytes, naming the estimate, the limit and what would make the run
/// smaller. Otherwise how many such runs (seeds of `run --seeds`) fit in `limit` at once, from 1 to
/// `wanted`.
pub fn check(
    scenario: &Scenario,
    recording: Recording,
    counterfactual: Option<&Scenario>,
    wanted: u64,
    limit: u64,
    limit_source: &str,
) -> Result<u64> {
    let mut e = estimate(scenario, recording);
    // A story's counterfactual runs beside it (summary tables only), in the same process.
    if let Some(cf) = counterfactual {
        let c = estimate(
            cf,
            Recording {
                detail: Detail::Summary,
                lab_sample: None,
            },
        );
        e.world += c.world;
        e.grids += c.grids;
        e.tables += c.tables;
        e.events += c.events;
        e.chunks += c.chunks;
    }
    if e.total() <= limit {
        // Each further seed held at once costs all but the program's fixed part again.
        let each = (e.total() - e.fixed).max(1);
        return Ok((1 + (limit - e.total()) / each).clamp(1, wanted.max(1)));
    }
    let labs: u64 = scenario.lab.iter().map(|l| u64::from(l.count)).sum();
    let mut remedies = Vec::new();
    if recording.detail.labs() {
        remedies.push(
            "`--lab-sample N` (rows for N labs of each population) or `--detail nations` (no lab rows)"
                .to_string(),
        );
    }
    if recording.detail != Detail::Summary {
        remedies.push(
            "`--detail summary` (the global, nations, providers and fabs tables only)".into(),
        );
    }
    if e.events > e.world.max(e.grids) {
        remedies.push(format!(
            "fewer accusations: labs accused month after month (`false_positive_rate`, `lambda` × \
             `p_detect`) log ≈ {} of events, which `--detail summary` does not keep",
            show(e.events)
        ));
    } else if e.world >= e.grids {
        remedies.push(format!(
            "fewer labs: the world's {labs} labs alone take ≈ {}",
            show(e.world)
        ));
    } else {
        remedies.push(format!(
            "fewer nations or inputs: the policy rules' and the market's grids over the world's {} \
             nations, {} inputs and {} providers take ≈ {}",
            scenario.nation.len(),
            scenario.input.len(),
            scenario.provider.len(),
            show(e.grids)
        ));
    }
    remedies.push("a larger `--max-memory`, on a machine that has it".into());
    anyhow::bail!(
        "this run would need ≈ {} of memory (its world{} {}, its policy and market grids {}, the \
         program and the tables it keeps {}, its events {}, chunks of the labs and usage tables on their way to disk {}), more than the {} \
         {limit_source}; nothing was run. To make it fit: {}",
        show(e.total()),
        if counterfactual.is_some() {
            " and its counterfactual's"
        } else {
            ""
        },
        show(e.world),
        show(e.grids),
        show(e.tables + e.fixed),
        show(e.events),
        show(e.chunks),
        show(limit),
        remedies.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("512 MB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        for bad in ["", "G", "8X", "-1G", "0", "1e99G", "eight"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_estimate_grows_with_labs_and_shrinks_with_detail_and_sample() {
        let s = crate::scenario::load("baseline", &[]).unwrap().scenario;
        let full = estimate(&s, Detail::Full.into());
        let nations = estimate(&s, Detail::Nations.into());
        let summary = estimate(&s, Detail::Summary.into());
        assert!(full.total() > nations.total() && nations.total() > summary.total());
        assert_eq!(summary.chunks, 0);
        let sampled = estimate(
            &s,
            Recording {
                detail: Detail::Full,
                lab_sample: Some(1),
            },
        );
        assert!(sampled.chunks < full.chunks);
        let mut big = s.clone();
        big.lab[0].count = 1_000_000;
        assert!(estimate(&big, Detail::Summary.into()).world > 100 * summary.world);
        let e = check(&big, Detail::Full.into(), None, 1, 64 << 20, "given").unwrap_err();
        let e = e.to_string();
        assert!(e.contains("more than the 64 MiB given"), "{e}");
        assert!(
            e.contains("--lab-sample") && e.contains("--detail summary"),
            "{e}"
        );
    }

    /// Labs accused every month log an event each: the estimate counts them (they once went uncounted,
    /// and a world accused throughout held gigabytes of events past `--max-memory`), and names them.
    #[test]
    fn the_estimate_counts_accusations_month_after_month() {
        let s = crate::scenario::load("baseline", &[]).unwrap().scenario;
        let quiet = estimate(&s, Detail::Nations.into());
        let mut loud = s.clone();
        loud.parameters.false_positive_rate = 1.0;
        let labs: u64 = s.lab.iter().map(|l| u64::from(l.count)).sum();
        let months = u64::from(s.scenario.months);
        let e = estimate(&loud, Detail::Nations.into());
        assert!(e.events >= labs * months * PER_EVENT, "{e:?}");
        assert!(e.events > 50 * quiet.events, "{e:?} against {quiet:?}");
        // Summary runs keep only the policies' and triggers' events.
        assert_eq!(
            estimate(&loud, Detail::Summary.into()).events,
            estimate(&s, Detail::Summary.into()).events
        );
        let said = check(
            &loud,
            Detail::Nations.into(),
            None,
            1,
            e.total() / 2,
            "given",
        )
        .unwrap_err()
        .to_string();
        assert!(said.contains("fewer accusations"), "{said}");
    }

    #[test]
    fn this_machine_has_some_memory() {
        if cfg!(target_os = "linux") {
            assert!(available().is_some_and(|b| b > 1 << 20));
        }
    }
}

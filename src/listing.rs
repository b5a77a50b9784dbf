//! `fracture list WHAT [SCENARIO]`: the ids a story is written with — providers, coalitions, nations,
//! blocs, chip classes, policies, triggers, labs — each with what matters for writing one (a provider's
//! bloc and hosts, a coalition's members, a policy's kind and reach), so that nobody has to read the
//! 2,000-line world file to find `huawei-cloud`.

use crate::scenario::Scenario;
use std::fmt::Write;

/// What `list` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Providers,
    Coalitions,
    Nations,
    Blocs,
    Chips,
    Policies,
    Triggers,
    Labs,
}

impl What {
    pub const ALL: [What; 8] = [
        What::Providers,
        What::Coalitions,
        What::Nations,
        What::Blocs,
        What::Chips,
        What::Policies,
        What::Triggers,
        What::Labs,
    ];

    /// As the command line and the scenario file name it: `providers` (the table `[[provider]]`).
    pub fn as_str(self) -> &'static str {
        match self {
            What::Providers => "providers",
            What::Coalitions => "coalitions",
            What::Nations => "nations",
            What::Blocs => "blocs",
            What::Chips => "chips",
            What::Policies => "policies",
            What::Triggers => "triggers",
            What::Labs => "labs",
        }
    }

    pub fn parse(text: &str) -> Option<What> {
        What::ALL.into_iter().find(|w| w.as_str() == text)
    }
}

/// `text` shortened to `max` characters, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('\u{2026}');
        s
    }
}

/// A list of ids, the first `max` then how many more.
fn ids(list: &[String], max: usize) -> String {
    if list.is_empty() {
        return "\u{2013}".into();
    }
    let mut s = list
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > max {
        let _ = write!(s, " and {} more", list.len() - max);
    }
    s
}

/// The rows, each (id, text), aligned under a header.
fn table(header: (&str, &str), rows: Vec<(String, String)>) -> String {
    let width = rows
        .iter()
        .map(|(id, _)| id.chars().count())
        .chain([header.0.len()])
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "{:<width$}  {}", header.0, header.1);
    for (id, text) in rows {
        let _ = writeln!(out, "{id:<width$}  {text}");
    }
    out
}

/// The ids of `what` in `scenario` with what a story needs to know of each.
pub fn list(what: What, scenario: &Scenario) -> String {
    let text = rows_of(what, scenario);
    if text.lines().count() <= 1 {
        // A header alone reads as a failure: say so.
        return format!(
            "{}: none in scenario `{}`\n",
            what.as_str(),
            scenario.scenario.name
        );
    }
    text
}

fn rows_of(what: What, scenario: &Scenario) -> String {
    let (header, rows) = match what {
        What::Providers => (
            (
                "id",
                "name · bloc · home · hosts (regions) · price USD/H100e-h",
            ),
            provider_rows(scenario),
        ),
        What::Coalitions => (("id", "name · members"), coalition_rows(scenario)),
        What::Nations => (
            ("id", "name · closest bloc · population (M) · GDP (T USD)"),
            nation_rows(scenario),
        ),
        What::Blocs => (
            ("id", "name · leader · nations closest to it"),
            bloc_rows(scenario),
        ),
        What::Chips => (
            ("id", "name · designer · sold · sold to"),
            chip_rows(scenario),
        ),
        What::Policies => (
            ("name", "kind · in force · by → targets · strength"),
            policy_rows(scenario),
        ),
        What::Triggers => (
            ("name", "when · the policy it puts in force · delay"),
            trigger_rows(scenario),
        ),
        What::Labs => (
            ("id", "name · nation · kind · count · budget (B USD a year)"),
            lab_rows(scenario),
        ),
    };
    table(header, rows)
}

/// The bloc a nation is most aligned with (empty if it has no alignment).
fn closest_bloc(scenario: &Scenario, nation: &str) -> String {
    scenario
        .nation
        .iter()
        .find(|n| n.id == nation)
        .and_then(|n| {
            n.alignment
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(b, _)| b.clone())
        })
        .unwrap_or_default()
}

/// The rows of the cloud providers.
fn provider_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .provider
        .iter()
        .map(|p| {
            let hosts: Vec<String> = p.region.iter().map(|r| r.host.clone()).collect();
            let mut distinct = hosts.clone();
            distinct.dedup();
            (
                p.id.clone(),
                format!(
                    "{} · {} · {} · {} ({}) · {:.2}",
                    p.name,
                    p.bloc
                        .clone()
                        .unwrap_or_else(|| closest_bloc(scenario, &p.home)),
                    p.home,
                    ids(&distinct, 8),
                    hosts.len(),
                    p.price
                ),
            )
        })
        .collect()
}

/// The rows of the coalitions.
fn coalition_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .coalition
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                format!("{} · {}", c.name, ids(&c.members, 40)),
            )
        })
        .collect()
}

/// The rows of the nations.
fn nation_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .nation
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                format!(
                    "{} · {} · {:.1} · {:.2}",
                    if n.name.is_empty() { &n.id } else { &n.name },
                    closest_bloc(scenario, &n.id),
                    n.population,
                    n.gdp / 1e3
                ),
            )
        })
        .collect()
}

/// The rows of the blocs.
fn bloc_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .bloc
        .iter()
        .map(|b| {
            let members = scenario
                .nation
                .iter()
                .filter(|n| closest_bloc(scenario, &n.id) == b.id)
                .count();
            (
                b.id.clone(),
                format!("{} · {} · {members}", b.name, b.leader),
            )
        })
        .collect()
}

/// The rows of the chip classes.
fn chip_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .chip
        .iter()
        .map(|c| {
            let sold = match (c.available, c.until) {
                (Some(a), Some(u)) => format!("{a} to {u}"),
                (Some(a), None) => format!("from {a}"),
                (None, Some(u)) => format!("to {u}"),
                (None, None) => "throughout".into(),
            };
            (
                c.id.clone(),
                format!(
                    "{} · {} · {sold} · {}",
                    c.name,
                    c.designer,
                    match c.sold_to {
                        crate::scenario::SoldTo::All => "all",
                        crate::scenario::SoldTo::HomeBloc => "home bloc",
                        crate::scenario::SoldTo::HomeNation => "home nation",
                    }
                ),
            )
        })
        .collect()
}

/// The rows of the policies.
fn policy_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .policy
        .iter()
        .map(|p| {
            let start = scenario.policy_start(p);
            let end = p
                .end
                .map_or_else(|| "the end".to_string(), |e| e.to_string());
            let reach = if p.providers.is_empty() {
                format!("{} \u{2192} {}", ids(&p.by, 6), ids(&p.targets, 6))
            } else {
                format!(
                    "{} \u{2192} {} (providers {})",
                    ids(&p.by, 6),
                    ids(&p.targets, 6),
                    ids(&p.providers, 4)
                )
            };
            (
                p.name.clone(),
                format!(
                    "{} · {start} to {end} · {reach} · {}",
                    p.kind.as_str(),
                    match (p.kind.takes_strength(), p.strength) {
                        (false, _) => p.revenue_share.map_or_else(
                            || "\u{2013}".to_string(),
                            |r| format!("revenue share {r}"),
                        ),
                        (true, None) => "1 (default)".to_string(),
                        (true, Some(s)) => format!("{s}"),
                    }
                ),
            )
        })
        .collect()
}

/// The rows of the triggers.
fn trigger_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .trigger
        .iter()
        .map(|t| {
            let whose = if t.nations.is_empty() && t.blocs.is_empty() {
                "any lab".to_string()
            } else {
                format!(
                    "labs in {}",
                    ids(&[t.nations.clone(), t.blocs.clone()].concat(), 6)
                )
            };
            let on = if t.providers.is_empty() {
                String::new()
            } else {
                format!(" on {}", ids(&t.providers, 4))
            };
            (
                t.name.clone(),
                format!(
                    "an accusation against {whose}{on} (p = {}) · {} “{}” by {} · {} months",
                    t.probability,
                    t.policy.kind.as_str(),
                    t.policy.name,
                    ids(&t.policy.by, 4),
                    t.delay_months
                ),
            )
        })
        .collect()
}

/// The rows of the lab entries.
fn lab_rows(scenario: &Scenario) -> Vec<(String, String)> {
    scenario
        .lab
        .iter()
        .map(|l| {
            (
                l.id.clone(),
                format!(
                    "{} · {} · {} · {} · {}",
                    cut(if l.name.is_empty() { &l.id } else { &l.name }, 40),
                    l.nation,
                    l.kind.as_str(),
                    l.count,
                    l.budget
                ),
            )
        })
        .collect()
}

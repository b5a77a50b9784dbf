//! Semantic checks of a scenario: references resolve, ids are unique, shares and probabilities are in
//! range, alignment weights sum to one, each policy kind has the fields it needs. Every problem is
//! reported, as (key path, what was expected), and located in its file by the loader.
//!
//! One function per section (`nations`, `labs`, `policies`, …): a new field's check goes there. Bounds
//! that are only a range (and finiteness, for every number) are in `limits.rs`'s table instead.

use super::limits::MAX_LABS;
use super::suggest;
use super::text;
use super::{InputKind, Policy, PolicyKind, Scenario};
use std::collections::{BTreeMap, HashMap, HashSet};
use toml::{Table, Value};

type Problems = Vec<(String, String)>;

const TOLERANCE: f64 = 1e-6;
/// Placeholders a trigger's policy template may use; they are filled from the event.
pub const PLACEHOLDERS: [&str; 3] = ["$provider", "$nation", "$lab"];

/// The ids each section declares, read from the merged document rather than the typed entries, so that
/// an entry with a type error still counts as declared: its references are not reported as unknown too.
pub(crate) struct Ids {
    nations: HashSet<String>,
    blocs: HashSet<String>,
    coalitions: HashSet<String>,
    chips: HashSet<String>,
    inputs: HashSet<String>,
    providers: HashSet<String>,
    /// Entries written per section, typed or not.
    entries: HashMap<&'static str, usize>,
}

impl Ids {
    pub(crate) fn from_doc(doc: &Table) -> Ids {
        let ids = |section: &str| -> HashSet<String> {
            entries_of(doc, section)
                .filter_map(|t| t.get("id").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        };
        Ids {
            nations: ids("nation"),
            blocs: ids("bloc"),
            coalitions: ids("coalition"),
            chips: ids("chip"),
            inputs: ids("input"),
            providers: ids("provider"),
            entries: ["bloc", "nation"]
                .into_iter()
                .map(|s| (s, entries_of(doc, s).count()))
                .collect(),
        }
    }

    /// Nations, coalitions and blocs share one namespace: a policy's `by`/`targets` may name any of them.
    fn is_party(&self, id: &str) -> bool {
        self.nations.contains(id) || self.blocs.contains(id) || self.coalitions.contains(id)
    }
}

fn entries_of<'a>(doc: &'a Table, section: &str) -> impl Iterator<Item = &'a Table> {
    doc.get(section)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_table)
}

/// The earliest and latest year a run may start in.
pub const MIN_START_YEAR: i32 = 1990;
pub const MAX_START_YEAR: i32 = 2100;

/// Every id, name and text of `s` against the rules of [`text`]: ids that cannot deceive, names and
/// texts that print as what they are.
fn texts(s: &Scenario, p: &mut Problems) {
    let mut id = |path: String, value: &str| {
        if let Some(why) = text::id_problem(value) {
            p.push((path, why));
        }
    };
    for (i, x) in s.bloc.iter().enumerate() {
        id(format!("bloc[{i}].id"), &x.id);
    }
    for (i, x) in s.nation.iter().enumerate() {
        id(format!("nation[{i}].id"), &x.id);
    }
    for (i, x) in s.coalition.iter().enumerate() {
        id(format!("coalition[{i}].id"), &x.id);
    }
    for (i, x) in s.input.iter().enumerate() {
        id(format!("input[{i}].id"), &x.id);
    }
    for (i, x) in s.chip.iter().enumerate() {
        id(format!("chip[{i}].id"), &x.id);
    }
    for (i, x) in s.fab.iter().enumerate() {
        id(format!("fab[{i}].id"), &x.id);
    }
    for (i, x) in s.provider.iter().enumerate() {
        id(format!("provider[{i}].id"), &x.id);
        for (j, r) in x.region.iter().enumerate() {
            id(format!("provider[{i}].region[{j}].id"), &r.id);
        }
    }
    for (i, x) in s.lab.iter().enumerate() {
        id(format!("lab[{i}].id"), &x.id);
    }
    for (i, x) in s.intermediary.iter().enumerate() {
        id(format!("intermediary[{i}].id"), &x.id);
    }
    for (i, x) in s.policy.iter().enumerate() {
        id(format!("policy[{i}].name"), &x.name);
    }
    // A template's name is checked as it will be: each placeholder filled in with the longest id it can
    // take (a population's members are `ID-0001` and on), so no filled-in name passes the id limit.
    let longest = |lengths: &mut dyn Iterator<Item = usize>| "x".repeat(lengths.max().unwrap_or(1));
    let fills = [
        (
            "$provider",
            longest(&mut s.provider.iter().map(|p| p.id.chars().count())),
        ),
        (
            "$nation",
            longest(&mut s.nation.iter().map(|n| n.id.chars().count())),
        ),
        (
            "$lab",
            longest(&mut s.lab.iter().map(|l| {
                let member = if l.count == 1 {
                    0
                } else {
                    1 + l.count.to_string().len().max(4)
                };
                l.id.chars().count() + member
            })),
        ),
    ];
    for (i, t) in s.trigger.iter().enumerate() {
        id(format!("trigger[{i}].name"), &t.name);
        if !t.policy.name.is_empty() {
            let filled = fills
                .iter()
                .fold(t.policy.name.clone(), |n, (ph, fill)| n.replace(ph, fill));
            id(format!("trigger[{i}].policy.name"), &filled);
        }
    }
    // Every entry's `name`, with its key path.
    fn named<'a, T>(
        section: &'a str,
        items: &'a [T],
        name: fn(&T) -> &String,
    ) -> impl Iterator<Item = (String, &'a String)> + 'a {
        items
            .iter()
            .enumerate()
            .map(move |(i, x)| (format!("{section}[{i}].name"), name(x)))
    }
    let names = named("bloc", &s.bloc, |x| &x.name)
        .chain(named("nation", &s.nation, |x| &x.name))
        .chain(named("coalition", &s.coalition, |x| &x.name))
        .chain(named("input", &s.input, |x| &x.name))
        .chain(named("chip", &s.chip, |x| &x.name))
        .chain(named("fab", &s.fab, |x| &x.name))
        .chain(named("provider", &s.provider, |x| &x.name))
        .chain(named("lab", &s.lab, |x| &x.name));
    for (path, name) in names {
        if let Some(why) = text::name_problem(name) {
            p.push((path, why));
        }
    }
}

/// Every semantic problem of `s`; `ids` are the ids the merged document declares.
pub(crate) fn validate(s: &Scenario, ids: &Ids) -> Problems {
    let mut p = Problems::new();
    meta(s, ids, &mut p);
    sizes(s, &mut p);
    texts(s, &mut p);
    parameters(s, &mut p);
    unique(&mut p, "bloc", s.bloc.iter().map(|x| x.id.as_str()), "id");
    unique(
        &mut p,
        "nation",
        s.nation.iter().map(|x| x.id.as_str()),
        "id",
    );
    unique(
        &mut p,
        "coalition",
        s.coalition.iter().map(|x| x.id.as_str()),
        "id",
    );
    unique(&mut p, "input", s.input.iter().map(|x| x.id.as_str()), "id");
    unique(&mut p, "chip", s.chip.iter().map(|x| x.id.as_str()), "id");
    unique(&mut p, "fab", s.fab.iter().map(|x| x.id.as_str()), "id");
    unique(
        &mut p,
        "provider",
        s.provider.iter().map(|x| x.id.as_str()),
        "id",
    );
    unique(&mut p, "lab", s.lab.iter().map(|x| x.id.as_str()), "id");
    unique(
        &mut p,
        "intermediary",
        s.intermediary.iter().map(|x| x.id.as_str()),
        "id",
    );
    unique(
        &mut p,
        "policy",
        s.policy.iter().map(|x| x.name.as_str()),
        "name",
    );
    unique(
        &mut p,
        "trigger",
        s.trigger.iter().map(|x| x.name.as_str()),
        "name",
    );
    shared_namespace(s, &mut p);
    blocs(s, ids, &mut p);
    nations(s, ids, &mut p);
    coalitions(s, ids, &mut p);
    inputs(s, ids, &mut p);
    chips(s, ids, &mut p);
    fabs(s, ids, &mut p);
    providers(s, ids, &mut p);
    intermediaries(s, ids, &mut p);
    labs(s, ids, &mut p);
    policies(s, ids, &mut p);
    triggers(s, ids, &mut p);
    p
}

fn unique<'a>(p: &mut Problems, section: &str, ids: impl Iterator<Item = &'a str>, key: &str) {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if id.is_empty() {
            p.push((
                format!("{section}[{i}].{key}"),
                "expected a non-empty id".into(),
            ));
        } else if !seen.insert(id) {
            p.push((
                format!("{section}[{i}].{key}"),
                format!("duplicate {section} {key} `{id}`"),
            ));
        }
    }
}

fn shared_namespace(s: &Scenario, p: &mut Problems) {
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let named = s
        .nation
        .iter()
        .enumerate()
        .map(|(i, n)| ("nation", i, n.id.as_str()))
        .chain(
            s.bloc
                .iter()
                .enumerate()
                .map(|(i, b)| ("bloc", i, b.id.as_str())),
        )
        .chain(
            s.coalition
                .iter()
                .enumerate()
                .map(|(i, c)| ("coalition", i, c.id.as_str())),
        );
    for (section, i, id) in named {
        if let Some(other) = owner.insert(id, section)
            && other != section
        {
            p.push((
                format!("{section}[{i}].id"),
                format!("`{id}` is already a {other} id: nations, blocs and coalitions share one namespace"),
            ));
        }
    }
}

fn in_range(p: &mut Problems, path: String, v: f64, lo: f64, hi: f64) {
    if !(v >= lo && v <= hi) {
        p.push((
            path,
            format!("expected a number in [{lo}, {hi}], found {v}"),
        ));
    }
}

fn positive(p: &mut Problems, path: String, v: f64) {
    if !(v > 0.0 && v.is_finite()) {
        p.push((path, format!("expected a positive number, found {v}")));
    }
}

fn non_negative(p: &mut Problems, path: String, v: f64) {
    if !(v >= 0.0 && v.is_finite()) {
        p.push((path, format!("expected a number ≥ 0, found {v}")));
    }
}

/// Suggestions cost a comparison with every known id: made for the first problems only, so that a file
/// with thousands of bad references is still checked in linear time.
const SUGGESTED_PROBLEMS: usize = 100;

fn refers(p: &mut Problems, path: String, id: &str, set: &HashSet<String>, what: &str) {
    if !set.contains(id) {
        p.push((path, unknown(id, set, what, p.len())));
    }
}

/// "unknown nation `KEE`; did you mean `KE`?", or with the few known ids listed.
fn unknown(id: &str, set: &HashSet<String>, what: &str, problems_so_far: usize) -> String {
    let hint = if problems_so_far < SUGGESTED_PROBLEMS {
        suggest::hint(id, set.iter().map(String::as_str))
    } else {
        String::new()
    };
    let known = if hint.is_empty() && !set.is_empty() && set.len() <= 12 {
        let mut known: Vec<&str> = set.iter().map(String::as_str).collect();
        known.sort_unstable();
        format!(" (known: {})", known.join(", "))
    } else {
        String::new()
    };
    format!("unknown {what} `{id}`{hint}{known}")
}

fn shares(p: &mut Problems, path: &str, map: &BTreeMap<String, f64>, must_sum_to_one: bool) {
    for (k, v) in map {
        in_range(p, format!("{path}.{k}"), *v, 0.0, 1.0);
    }
    let sum: f64 = map.values().sum();
    if must_sum_to_one && (sum - 1.0).abs() > TOLERANCE {
        p.push((
            path.to_string(),
            format!("expected shares summing to 1 (within 1e-6), found {sum}"),
        ));
    } else if !must_sum_to_one && sum > 1.0 + TOLERANCE {
        p.push((
            path.to_string(),
            format!("expected shares summing to at most 1, found {sum}"),
        ));
    }
}

fn meta(s: &Scenario, ids: &Ids, p: &mut Problems) {
    if let Some(why) = text::scenario_name_problem(&s.scenario.name) {
        p.push(("scenario.name".into(), why));
    }
    for (key, t) in [
        ("description", &s.scenario.description),
        ("story", &s.scenario.story),
    ] {
        if let Some(why) = text::text_problem(t) {
            p.push((format!("scenario.{key}"), why));
        }
    }
    for (i, source) in s.scenario.sources.iter().enumerate() {
        if let Some(why) = text::text_problem(source) {
            p.push((format!("scenario.sources[{i}]"), why));
        }
    }
    // Runs start in the era the model describes and end before the calendar's four digits run out.
    let (first, last) = (MIN_START_YEAR, MAX_START_YEAR);
    if !(first..=last).contains(&s.scenario.start.year()) {
        p.push((
            "scenario.start".into(),
            format!(
                "expected a month from {first}-01 to {last}-12 (the era the model's trends describe), \
                 found {}",
                s.scenario.start
            ),
        ));
    }
    if s.scenario.months < 1 {
        p.push(("scenario.months".into(), "expected at least 1 month".into()));
    }
    if let Some(data) = s.scenario.data_month
        && s.scenario.start < data
    {
        p.push((
            "scenario.start".into(),
            format!(
                "expected a month on or after the world's `data_month` ({data}): the world's numbers \
                 describe {data}, and a run cannot start before the state it starts from"
            ),
        ));
    }
    for (i, f) in s.scenario.focus.iter().enumerate() {
        if i == super::MAX_FOCUS {
            p.push((
                format!("scenario.focus[{i}]"),
                format!(
                    "expected at most {} focus nations (a chart has room for that many lines), \
                     found {}",
                    super::MAX_FOCUS,
                    s.scenario.focus.len()
                ),
            ));
            break;
        }
        if s.scenario.focus[..i].contains(f) {
            p.push((
                format!("scenario.focus[{i}]"),
                format!("`{f}` is already a focus nation"),
            ));
            continue;
        }
        refers(p, format!("scenario.focus[{i}]"), f, &ids.nations, "nation");
    }
    for (i, e) in s.scenario.expect.iter().enumerate() {
        let at = |k: &str| format!("scenario.expect[{i}].{k}");
        if e.metric.is_empty() {
            p.push((
                at("metric"),
                "expected a column of the global or nations table".into(),
            ));
        }
        for (j, n) in e.nations.iter().enumerate() {
            refers(
                p,
                format!("scenario.expect[{i}].nations[{j}]"),
                n,
                &ids.nations,
                "nation",
            );
        }
        if let (Some(from), Some(to)) = (e.from, e.to)
            && to < from
        {
            p.push((
                at("to"),
                format!("expected a month on or after `from` ({from})"),
            ));
        }
        non_negative(p, at("min_effect"), e.min_effect);
    }
}

/// Keys of earlier versions that a newer one replaced, with what to write instead: appended to the
/// "unknown field" error of a file that still uses them.
pub(crate) fn replaced_key_hint(key: &str) -> Option<&'static str> {
    Some(match key {
        "demand" | "demand_growth" => {
            "labs are given money since the economics of 2026-11: `budget` (billions USD a year, own \
             cluster and cloud together) and `budget_growth` (a year); demand is what the budget buys"
        }
        "capex" => {
            "a lab's own-cluster spending is `own_share` of its `budget` (providers keep `capex`)"
        }
        "datacentre_headroom" => {
            "a nation's datacentres are bounded by power: `power_gw` and `power_build_gw_yr`"
        }
        "price" => {
            "a chip class is priced by its market (parameters `chip_price_per_h100e`, `price_performance`)"
        }
        "ramp" => "a fab's capacity arrives `fab_lead_months` after it is decided",
        "capacity" => {
            "a fab's capacity is in wafers since the books-and-prices issue: `wafers` (wafer starts a \
             month on its node), `dies_per_wafer` (gross dies of its accelerator die), `ai_share` (the \
             share of the node making accelerators) and `yield`; a chip's `dies` says how many dies a \
             unit takes (units were not dies: an old `capacity` would make too many chips)"
        }
        "die_bank" => {
            "a fab's bank is `banked_dies`, counted in dies (a two-die chip takes two), drawn on at \
             most a `die_bank_months`-th of what is left a month"
        }
        "capex_growth" => {
            "a provider's capex follows its revenue, expected growth and return (ODD 7.4)"
        }
        "demand_growth_decay" => "budgets decay with `budget_growth_decay`",
        "capacity_margin" | "planning_months" => {
            "buyers spend money (capex, budgets) instead of planning capacity"
        }
        _ => return None,
    })
}

fn parameters(s: &Scenario, p: &mut Problems) {
    let q = &s.parameters;
    let path = |k: &str| format!("parameters.{k}");
    // Each parameter's range is declared with it (`parameters.rs`): the range the model is built for
    // and `tests/parameter_bounds.rs` runs at both ends.
    for doc in crate::parameters::PARAMETER_DOCS {
        let Some(v) = q.value_of(doc.name) else {
            continue;
        };
        if !(v >= doc.min && v <= doc.max) {
            p.push((
                path(doc.name),
                format!(
                    "expected a value from {} to {} ({}; the range the model is built and tested \
                     for), found {v}",
                    doc.min, doc.max, doc.unit
                ),
            ));
        }
    }
    // A pair out of order is blamed on the one of the two that was changed from its default (the
    // other may be written nowhere: `--set parameters.training_run_months=120` alone), else on the
    // second.
    let defaults = crate::parameters::Parameters::default();
    for (low, high) in [
        ("chip_markup_min", "chip_markup_max"),
        ("training_run_months", "max_run_months"),
    ] {
        let value = |k: &str| q.value_of(k).unwrap_or(f64::NAN);
        let default = |k: &str| defaults.value_of(k).unwrap_or(f64::NAN);
        let (l, h) = (value(low), value(high));
        if h < l || h.is_nan() {
            p.push(if l != default(low) && h == default(high) {
                (
                    path(low),
                    format!("expected at most `{high}` ({h}), found {l}"),
                )
            } else {
                (
                    path(high),
                    format!("expected at least `{low}` ({l}), found {h}"),
                )
            });
        }
    }
}

fn blocs(s: &Scenario, ids: &Ids, p: &mut Problems) {
    let written = ids.entries.get("bloc").copied().unwrap_or(0);
    if written < 2 {
        p.push((
            "bloc".into(),
            format!("expected at least 2 blocs, found {written}"),
        ));
    }
    let mut leaders = HashSet::new();
    let nation_index: HashMap<&str, usize> = s
        .nation
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    for (i, b) in s.bloc.iter().enumerate() {
        refers(
            p,
            format!("bloc[{i}].leader"),
            &b.leader,
            &ids.nations,
            "nation",
        );
        let q = &s.parameters;
        if !(b.chip_markup >= q.chip_markup_min && b.chip_markup <= q.chip_markup_max) {
            p.push((
                format!("bloc[{i}].chip_markup"),
                format!(
                    "expected a mark-up within `parameters.chip_markup_min` and `chip_markup_max` \
                     ({} to {}), found {}",
                    q.chip_markup_min, q.chip_markup_max, b.chip_markup
                ),
            ));
        }
        if !leaders.insert(b.leader.as_str()) {
            p.push((
                format!("bloc[{i}].leader"),
                format!("`{}` already leads another bloc", b.leader),
            ));
        }
        if let Some(&n) = nation_index.get(b.leader.as_str()) {
            let w = s.nation[n].alignment.get(&b.id).copied().unwrap_or(0.0);
            if (w - 1.0).abs() > TOLERANCE {
                p.push((
                    format!("nation[{n}].alignment"),
                    format!(
                        "`{}` leads bloc `{}`: expected alignment {{ {} = 1.0 }}",
                        b.leader, b.id, b.id
                    ),
                ));
            }
        }
    }
}

fn nations(s: &Scenario, ids: &Ids, p: &mut Problems) {
    if ids.entries.get("nation").copied().unwrap_or(0) == 0 {
        p.push(("nation".into(), "expected at least one nation".into()));
    }
    for (i, n) in s.nation.iter().enumerate() {
        let at = |k: &str| format!("nation[{i}].{k}");
        positive(p, at("population"), n.population);
        non_negative(p, at("gdp"), n.gdp);
        for k in n.alignment.keys().chain(n.trade.keys()) {
            if !ids.blocs.contains(k.as_str()) {
                let section = if n.alignment.contains_key(k) {
                    "alignment"
                } else {
                    "trade"
                };
                refers(
                    p,
                    format!("nation[{i}].{section}.{k}"),
                    k,
                    &ids.blocs,
                    "bloc",
                );
            }
        }
        shares(p, &at("alignment"), &n.alignment, true);
        shares(p, &at("trade"), &n.trade, false);
        if let Some(x) = n.power_gw {
            non_negative(p, at("power_gw"), x);
        }
        if let Some(x) = n.power_build_gw_yr {
            non_negative(p, at("power_build_gw_yr"), x);
        }
    }
}

/// `[[coalition]]`: members exist.
fn coalitions(s: &Scenario, ids: &Ids, p: &mut Problems) {
    for (i, c) in s.coalition.iter().enumerate() {
        if c.members.is_empty() {
            p.push((
                format!("coalition[{i}].members"),
                "expected at least one member nation".into(),
            ));
        }
        for (j, m) in c.members.iter().enumerate() {
            refers(
                p,
                format!("coalition[{i}].members[{j}]"),
                m,
                &ids.nations,
                "nation",
            );
        }
    }
}

/// `[[input]]`: suppliers exist and their shares sum to one.
fn inputs(s: &Scenario, ids: &Ids, p: &mut Problems) {
    for (i, x) in s.input.iter().enumerate() {
        for k in x.suppliers.keys() {
            refers(
                p,
                format!("input[{i}].suppliers.{k}"),
                k,
                &ids.nations,
                "nation",
            );
        }
        shares(p, &format!("input[{i}].suppliers"), &x.suppliers, true);
        let at = |k: &str| format!("input[{i}].{k}");
        let memory = x.kind == InputKind::Memory;
        match (memory, x.supply) {
            (true, None) => p.push((
                at("supply"),
                "a `memory` input needs `supply` (units a month at the start)".into(),
            )),
            (true, Some(q)) => non_negative(p, at("supply"), q),
            (false, Some(_)) => p.push((
                at("supply"),
                "`supply` applies to `memory` inputs only".into(),
            )),
            (false, None) => {}
        }
        if !memory && (x.supply_growth != 0.0 || !x.stocks.is_empty()) {
            let key = if x.stocks.is_empty() {
                "supply_growth"
            } else {
                "stocks"
            };
            p.push((at(key), format!("`{key}` applies to `memory` inputs only")));
        }
        in_range(p, at("supply_growth"), x.supply_growth, -0.99, 100.0);
        for (k, v) in &x.stocks {
            refers(
                p,
                format!("input[{i}].stocks.{k}"),
                k,
                &ids.nations,
                "nation",
            );
            non_negative(p, format!("input[{i}].stocks.{k}"), *v);
        }
        if let Some(c) = x.substitution_ceiling {
            in_range(p, at("substitution_ceiling"), c, 0.0, 1.0);
        }
        if x.months_to_substitute == Some(0) {
            p.push((at("months_to_substitute"), "expected at least 1".into()));
        }
        if memory {
            for key in ["substitution_ceiling", "months_to_substitute"] {
                let set = match key {
                    "substitution_ceiling" => x.substitution_ceiling.is_some(),
                    _ => x.months_to_substitute.is_some(),
                };
                if set {
                    p.push((
                        at(key),
                        "a `memory` input is replaced by nations' own supplies, on their own \
                         paths: give them as `domestic = { NATION = { supply = …, growth = …, from = \
                         \"YYYY-MM\" } }`"
                            .into(),
                    ));
                }
            }
        } else if !x.domestic.is_empty() {
            p.push((
                at("domestic"),
                "`domestic` applies to `memory` inputs only".into(),
            ));
        }
        for (n, d) in &x.domestic {
            refers(
                p,
                format!("input[{i}].domestic.{n}"),
                n,
                &ids.nations,
                "nation",
            );
            non_negative(p, format!("input[{i}].domestic.{n}.supply"), d.supply);
            in_range(
                p,
                format!("input[{i}].domestic.{n}.growth"),
                d.growth,
                -0.99,
                100.0,
            );
        }
        match (x.kind, x.exposure) {
            (InputKind::Material, Some(e)) => in_range(p, at("exposure"), e, 0.0, 1.0),
            (_, Some(_)) => p.push((
                at("exposure"),
                "`exposure` applies to `material` inputs only".into(),
            )),
            _ => {}
        }
    }
}

/// `[[chip]]`: designer exists, positive H100e and price.
fn chips(s: &Scenario, ids: &Ids, p: &mut Problems) {
    for (i, c) in s.chip.iter().enumerate() {
        refers(
            p,
            format!("chip[{i}].designer"),
            &c.designer,
            &ids.nations,
            "nation",
        );
        positive(p, format!("chip[{i}].h100e"), c.h100e);
        non_negative(p, format!("chip[{i}].hbm_stacks"), c.hbm_stacks);
        positive(p, format!("chip[{i}].dies"), c.dies);
        if let (Some(a), Some(u)) = (c.available, c.until)
            && u < a
        {
            p.push((
                format!("chip[{i}].until"),
                format!("expected a month on or after `available` ({a})"),
            ));
        }
    }
}

/// `[[fab]]`: owner, chips and inputs exist; shares, capacity, yield and growth in range.
fn fabs(s: &Scenario, ids: &Ids, p: &mut Problems) {
    for (i, f) in s.fab.iter().enumerate() {
        let at = |k: &str| format!("fab[{i}].{k}");
        refers(p, at("owner"), &f.owner, &ids.nations, "nation");
        if f.chips.is_empty() {
            p.push((
                at("chips"),
                "expected at least one chip class with its share of output".into(),
            ));
        }
        for k in f.chips.keys() {
            refers(
                p,
                format!("fab[{i}].chips.{k}"),
                k,
                &ids.chips,
                "chip class",
            );
        }
        for (c, w) in &f.chips {
            non_negative(p, format!("fab[{i}].chips.{c}"), *w);
        }
        if !f.chips.is_empty() && f.chips.values().sum::<f64>() <= 0.0 {
            p.push((
                at("chips"),
                "expected a positive weight for at least one chip class".into(),
            ));
        }
        non_negative(p, at("wafers"), f.wafers);
        positive(p, at("dies_per_wafer"), f.dies_per_wafer);
        if !(f.ai_share > 0.0 && f.ai_share <= 1.0) {
            p.push((
                at("ai_share"),
                format!("expected a share in (0, 1], found {}", f.ai_share),
            ));
        }
        if !(f.yield_rate > 0.0 && f.yield_rate <= 1.0) {
            p.push((
                at("yield"),
                format!("expected a share in (0, 1], found {}", f.yield_rate),
            ));
        }
        in_range(p, at("target_growth"), f.target_growth, -0.99, 100.0);
        if let Some(w) = f.packaging {
            non_negative(p, at("packaging"), w);
        }
        non_negative(p, at("banked_dies"), f.banked_dies);
        // A fab sells in one chip market: its chips' designers must lean to one bloc.
        let designer_bloc = |c: &str| {
            let designer = &s.chip.iter().find(|x| x.id == c)?.designer;
            let nation = s.nation.iter().find(|n| &n.id == designer)?;
            nation
                .alignment
                .iter()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(b, _)| b.clone())
        };
        let blocs: HashSet<String> = f.chips.keys().filter_map(|c| designer_bloc(c)).collect();
        if blocs.len() > 1 {
            p.push((
                at("chips"),
                "expected chips whose designers lean to one bloc: a fab sells in one chip market"
                    .into(),
            ));
        }
        for (j, x) in f.inputs.iter().enumerate() {
            refers(p, format!("fab[{i}].inputs[{j}]"), x, &ids.inputs, "input");
        }
    }
}

/// `[[provider]]` and its `[[provider.region]]`s: references, price, capex, unique region ids.
fn providers(s: &Scenario, ids: &Ids, p: &mut Problems) {
    let mut regions = HashSet::new();
    for (i, v) in s.provider.iter().enumerate() {
        let at = |k: &str| format!("provider[{i}].{k}");
        refers(p, at("home"), &v.home, &ids.nations, "nation");
        if let Some(b) = &v.bloc {
            refers(p, at("bloc"), b, &ids.blocs, "bloc");
        }
        positive(p, at("price"), v.price);
        in_range(p, at("kyc_compliance"), v.kyc_compliance, 0.0, 1.0);
        non_negative(p, at("capex"), v.capex);
        if v.region.is_empty() {
            p.push((
                at("region"),
                "expected at least one [[provider.region]]".into(),
            ));
        }
        for (j, r) in v.region.iter().enumerate() {
            let rat = |k: &str| format!("provider[{i}].region[{j}].{k}");
            if !regions.insert(r.id.as_str()) {
                p.push((rat("id"), format!("duplicate region id `{}`", r.id)));
            }
            refers(p, rat("host"), &r.host, &ids.nations, "nation");
            non_negative(p, rat("capacity"), r.capacity);
        }
    }
}

/// `[[intermediary]]`: nation exists, rates in range, route shares at most one in all.
fn intermediaries(s: &Scenario, ids: &Ids, p: &mut Problems) {
    let explicit: f64 = s.intermediary.iter().filter_map(|m| m.share).sum();
    for (i, m) in s.intermediary.iter().enumerate() {
        let at = |k: &str| format!("intermediary[{i}].{k}");
        refers(p, at("nation"), &m.nation, &ids.nations, "nation");
        in_range(p, at("leakage_rate"), m.leakage_rate, 0.0, 1.0);
        in_range(p, at("enforcement"), m.enforcement, 0.0, 1.0);
        if let Some(sh) = m.share {
            in_range(p, at("share"), sh, 0.0, 1.0);
        }
    }
    if explicit > 1.0 + TOLERANCE {
        p.push((
            "intermediary".into(),
            format!("expected route shares summing to at most 1, found {explicit}"),
        ));
    }
}

fn labs(s: &Scenario, ids: &Ids, p: &mut Problems) {
    for (i, l) in s.lab.iter().enumerate() {
        let at = |k: &str| format!("lab[{i}].{k}");
        refers(p, at("nation"), &l.nation, &ids.nations, "nation");
        if l.count < 1 {
            p.push((at("count"), "expected at least 1".into()));
        }
        non_negative(p, at("budget"), l.budget);
        in_range(p, at("budget_growth"), l.budget_growth, -0.99, 100.0);
        if let Some(g) = l.budget_growth_without_controls {
            in_range(p, at("budget_growth_without_controls"), g, -0.99, 100.0);
        }
        in_range(p, at("training_share"), l.training_share, 0.0, 1.0);
        non_negative(p, at("owned"), l.owned);
        if let Some(b) = &l.owned_origin {
            refers(p, at("owned_origin"), b, &ids.blocs, "bloc");
        }
        in_range(p, at("own_share"), l.own_share, 0.0, 1.0);
        for (j, v) in l.providers.iter().enumerate() {
            refers(
                p,
                format!("lab[{i}].providers[{j}]"),
                v,
                &ids.providers,
                "provider",
            );
        }
    }
    let total: u64 = s.lab.iter().map(|l| u64::from(l.count)).sum();
    if total > MAX_LABS {
        p.push((
            "lab".into(),
            format!(
                "expected at most {MAX_LABS} labs in all (the `count`s summed), found {total}: each lab \
                 takes memory and a row of the labs table every month"
            ),
        ));
    }
    generated_lab_ids(s, p);
}

/// Most regions all providers hold together (entries of each section are bounded as they are typed).
fn sizes(s: &Scenario, p: &mut Problems) {
    use super::limits::MAX_REGIONS;
    let regions: usize = s.provider.iter().map(|v| v.region.len()).sum();
    if regions > MAX_REGIONS {
        p.push((
            "provider".into(),
            format!(
                "expected at most {MAX_REGIONS} regions in all providers, found {regions}: each is a \
                 seller in the market every month (see README, \"Limits\")"
            ),
        ));
    }
}

/// A population entry (`count` > 1) names its labs `ID-0001`, `ID-0002`, … (wider past 9999): a lab of
/// its own with one of those ids would be two labs with one id.
fn generated_lab_ids(s: &Scenario, p: &mut Problems) {
    let populations: HashMap<&str, (usize, u32)> = s
        .lab
        .iter()
        .enumerate()
        .filter(|(_, l)| l.count > 1)
        .map(|(i, l)| (l.id.as_str(), (i, l.count)))
        .collect();
    if populations.is_empty() {
        return;
    }
    for (i, l) in s.lab.iter().enumerate() {
        let Some((base, digits)) = l.id.rsplit_once('-') else {
            continue;
        };
        let Some(&(entry, count)) = populations.get(base) else {
            continue;
        };
        let width = count.to_string().len().max(4);
        let member = digits.len() == width
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits
                .parse::<u32>()
                .is_ok_and(|m| (1..=count).contains(&m));
        if member && entry != i {
            p.push((
                format!("lab[{i}].id"),
                format!(
                    "`{}` is also the id of a lab of the population `{base}` (lab[{entry}], {count} labs \
                     named {base}-{:0width$} to {base}-{count:0width$}): rename one",
                    l.id, 1
                ),
            ));
        }
    }
}

/// Which placeholder a field of a trigger's policy template may use: `by` and `targets` name parties
/// (`$nation`, the accused lab's nation), `providers` names providers (`$provider`, its main provider).
/// `$lab` names a lab, which no field takes: a lab is not a party to a policy (it may appear in `name`).
/// `Ok(true)` for a valid placeholder, `Ok(false)` for a value that is not one, and the reason otherwise.
fn placeholder(field: &str, v: &str, template: bool) -> Result<bool, String> {
    if !template || !PLACEHOLDERS.contains(&v) {
        return Ok(false);
    }
    match (field, v) {
        ("by" | "targets", "$nation") | ("providers", "$provider") => Ok(true),
        ("by" | "targets", "$lab") => Err(
            "`$lab` would be the accused lab, and a lab is not a party to a policy: `by` and `targets` \
             take nations, coalitions or blocs (`$nation` is the accused lab's nation)"
                .into(),
        ),
        ("by" | "targets", _) => Err(format!(
            "`{v}` names a provider, not a nation, coalition or bloc: `by` and `targets` take parties \
             (`$nation` is the accused lab's nation)"
        )),
        (_, _) => Err(format!(
            "`{v}` is not a provider: `providers` takes providers or blocs (`$provider` is the accused \
             lab's main provider)"
        )),
    }
}

/// A policy's keys against its kind's declaration: each key it needs, and none it does not take.
fn check_policy_keys(policy: &Policy, at: &str, p: &mut Problems) {
    let kind = policy.kind.as_str();
    let (needs, takes) = (policy.kind.needs(), policy.kind.takes());
    let set = policy.keys_set();
    for r in needs {
        if !set.contains(r) {
            p.push((
                format!("{at}.{r}"),
                format!("a policy of kind `{kind}` needs `{r}`"),
            ));
        }
    }
    for f in &set {
        if !needs.contains(f) && !takes.contains(f) {
            let what = if *f == "strength" {
                " (it has no strength: it is in force or not)"
            } else {
                ""
            };
            p.push((
                format!("{at}.{f}"),
                format!(
                    "`{f}` does not apply to a policy of kind `{kind}`{what}; it takes {}",
                    needs
                        .iter()
                        .chain(takes)
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}

fn check_policy(policy: &Policy, at: &str, ids: &Ids, template: bool, p: &mut Problems) {
    check_policy_keys(policy, at, p);
    if matches!(
        policy.kind,
        PolicyKind::ChipExportControl | PolicyKind::PurchaseDiscouragement | PolicyKind::LicenceFee
    ) && policy.chips.is_empty()
        && policy.h100e_threshold.is_none()
    {
        p.push((
            format!("{at}.chips"),
            format!(
                "a policy of kind `{}` needs `chips` or `h100e_threshold`",
                policy.kind.as_str()
            ),
        ));
    }
    if let Some(share) = policy.revenue_share {
        in_range(p, format!("{at}.revenue_share"), share, 0.0, 1.0);
    }
    if let Some(strength) = policy.strength {
        in_range(p, format!("{at}.strength"), strength, 0.0, 1.0);
    }
    for (field, list) in [("by", &policy.by), ("targets", &policy.targets)] {
        for (j, v) in list.iter().enumerate() {
            let is_placeholder = match placeholder(field, v, template) {
                Ok(is) => is,
                Err(why) => {
                    p.push((format!("{at}.{field}[{j}]"), why));
                    continue;
                }
            };
            if !ids.is_party(v) && !is_placeholder {
                let parties = ids.nations.iter().chain(&ids.blocs).chain(&ids.coalitions);
                let hint = if p.len() < SUGGESTED_PROBLEMS {
                    suggest::hint(v, parties.map(String::as_str))
                } else {
                    String::new()
                };
                p.push((
                    format!("{at}.{field}[{j}]"),
                    format!("unknown nation, coalition or bloc `{v}`{hint}"),
                ));
            } else if policy.kind == PolicyKind::SecondarySanctions
                && field == "targets"
                && !ids.blocs.contains(v.as_str())
                && !is_placeholder
            {
                // Naming a nation here would be accepted and do nothing: the penalty falls on every
                // third country that uses the named bloc's providers and chips.
                p.push((
                    format!("{at}.targets[{j}]"),
                    format!(
                        "a `secondary_sanctions` policy targets a bloc, whose providers and chips third \
                         countries are penalised for using; `{v}` is not a bloc"
                    ),
                ));
            }
        }
    }
    for (j, v) in policy.chips.iter().enumerate() {
        refers(p, format!("{at}.chips[{j}]"), v, &ids.chips, "chip class");
    }
    for (j, v) in policy.inputs.iter().enumerate() {
        refers(p, format!("{at}.inputs[{j}]"), v, &ids.inputs, "input");
    }
    for (j, v) in policy.providers.iter().enumerate() {
        let is_placeholder = match placeholder("providers", v, template) {
            Ok(is) => is,
            Err(why) => {
                p.push((format!("{at}.providers[{j}]"), why));
                continue;
            }
        };
        if !ids.providers.contains(v.as_str()) && !ids.blocs.contains(v.as_str()) && !is_placeholder
        {
            let hint = if p.len() < SUGGESTED_PROBLEMS {
                suggest::hint(
                    v,
                    ids.providers.iter().chain(&ids.blocs).map(String::as_str),
                )
            } else {
                String::new()
            };
            p.push((
                format!("{at}.providers[{j}]"),
                format!("unknown provider or bloc `{v}`{hint}"),
            ));
        }
    }
    if let Some(t) = policy.h100e_threshold {
        positive(p, format!("{at}.h100e_threshold"), t);
    }
    if let Some(c) = policy.cap_h100e_per_year {
        non_negative(p, format!("{at}.cap_h100e_per_year"), c);
    }
    if let Some(t) = policy.training_threshold_h100e {
        non_negative(p, format!("{at}.training_threshold_h100e"), t);
    }
    if let Some(t) = policy.capability_threshold {
        positive(p, format!("{at}.capability_threshold"), t);
    }
    if let Some(t) = policy.open_release_cap {
        positive(p, format!("{at}.open_release_cap"), t);
    }
}

/// `[[policy]]`: the fields each kind needs, references, and a start before the end.
fn policies(s: &Scenario, ids: &Ids, p: &mut Problems) {
    for (i, policy) in s.policy.iter().enumerate() {
        check_policy(policy, &format!("policy[{i}]"), ids, false, p);
        if let (Some(start), Some(end)) = (policy.start, policy.end)
            && end < start
        {
            p.push((
                format!("policy[{i}].end"),
                format!("expected a month on or after start ({start})"),
            ));
        }
    }
}

fn triggers(s: &Scenario, ids: &Ids, p: &mut Problems) {
    let policy_names: HashSet<&str> = s.policy.iter().map(|x| x.name.as_str()).collect();
    for (i, t) in s.trigger.iter().enumerate() {
        let at = |k: &str| format!("trigger[{i}].{k}");
        // The policy it puts in force must not be named like one of the scenario's own: a trigger
        // never replaces a policy in force, so it would never fire. Placeholders are filled in with
        // every id they may take (`$lab`'s are too many to list: a name with it is taken as unique).
        let template = &t.policy.name;
        if !template.is_empty() && !template.contains("$lab") {
            let mut candidates = vec![template.clone()];
            for (ph, values) in [
                (
                    "$provider",
                    s.provider.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
                ),
                (
                    "$nation",
                    s.nation.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
                ),
            ] {
                if template.contains(ph) {
                    candidates = candidates
                        .iter()
                        .flat_map(|c| values.iter().map(move |v| c.replace(ph, v)))
                        .collect();
                }
            }
            if let Some(clash) = candidates
                .iter()
                .find(|c| policy_names.contains(c.as_str()))
            {
                p.push((
                    at("policy.name"),
                    format!(
                        "the policy this trigger puts in force would be named `{clash}`, like a policy \
                         of the scenario's own: a trigger never replaces a policy, so it would never \
                         fire; name its template otherwise"
                    ),
                ));
            }
        }
        in_range(p, at("probability"), t.probability, 0.0, 1.0);
        if t.delay_months < 1 {
            p.push((at("delay_months"), "expected at least 1: a response comes into force the month after the event at the earliest".into()));
        }
        if t.duration_months == Some(0) {
            p.push((
                at("duration_months"),
                "expected at least 1 month: a response of 0 months never comes into force (leave \
                 `duration_months` out for one that lasts to the end)"
                    .into(),
            ));
        }
        for (j, n) in t.nations.iter().enumerate() {
            refers(
                p,
                format!("trigger[{i}].nations[{j}]"),
                n,
                &ids.nations,
                "nation",
            );
        }
        for (j, b) in t.blocs.iter().enumerate() {
            refers(p, format!("trigger[{i}].blocs[{j}]"), b, &ids.blocs, "bloc");
        }
        for (j, v) in t.providers.iter().enumerate() {
            refers(
                p,
                format!("trigger[{i}].providers[{j}]"),
                v,
                &ids.providers,
                "provider",
            );
        }
        if t.policy.start.is_some() {
            p.push((
                at("policy.start"),
                "a trigger's policy starts `delay_months` after the event: remove `start`".into(),
            ));
        }
        if t.policy.end.is_some() {
            p.push((
                at("policy.end"),
                "use the trigger's `duration_months` instead of `end`".into(),
            ));
        }
        check_policy(&t.policy, &at("policy"), ids, true, p);
    }
}

//! Policy (step 1): triggers answer last month's accusations, policies switch on and off on their dates,
//! and the policies in force are compiled into [`Rules`], the one place other systems read them from.
//!
//! A bloc named in `by` or `targets` stands for the nations on its side this month, so a nation that drifts
//! to a side comes under that side's measures.

use crate::components::PolicyRule;
use crate::measure::{Measure, Parties};
use crate::month::YearMonth;
use crate::resources::*;
use crate::scenario::limits::MAX_TRIGGERED_POLICIES;
use crate::scenario::{Policy, PolicyKind};
use bevy_ecs::prelude::*;
use rand::RngExt;
use std::collections::HashSet;

/// Installs the policy submodel: the rules the policies in force make, the triggers and their state,
/// and its two systems (triggers fire, then policies apply).
pub fn install(world: &mut World, setup: &super::Setup) {
    let index = world.resource::<WorldIndex>();
    let rules = Rules::new(
        index.chip_ids.len(),
        index.nation_ids.len(),
        index.input_ids.len(),
        index.provider_ids.len(),
    );
    world.insert_resource(rules);
    world.insert_resource(TriggerState {
        fires: vec![0; setup.scenario.trigger.len()],
        next_policy_idx: setup.scenario.policy.len(),
        ..Default::default()
    });
    world.insert_resource(Triggers(setup.scenario.trigger.clone()));
    super::add_systems(
        world,
        super::Submodel::Policy,
        (fire_triggers, apply_policies).chain(),
    );
}

/// Fires triggers on the accusations recorded last month, putting new policies in force after their delay.
///
/// A template's `$provider` is the cloud the accused lab relies on from outside the accusers' side: its
/// main provider unless that is one of the accusers' own clouds, else the one that served it most among
/// the others. A board does not ban its own members' clouds over a customer's alleged theft; when the
/// lab used only those, the trigger is skipped (`trigger_skipped`).
pub fn fire_triggers(
    mut commands: Commands,
    month: super::Month,
    triggers: Res<Triggers>,
    usage: Res<SegmentUse>,
    mut state: ResMut<TriggerState>,
    chance: super::Chance,
    policies: Query<&PolicyRule>,
) {
    let super::Month {
        clock,
        index,
        sides,
        params,
        ..
    } = month;
    let super::Chance { mut rngs, mut log } = chance;
    if state.pending.is_empty() || triggers.0.is_empty() {
        state.pending.clear();
        return;
    }
    let sides = &sides.0;
    let mut names: HashSet<String> = policies.iter().map(|p| p.name.clone()).collect();
    // A trigger skipped for many accusations in a month is one event (its first lab, and how many), so
    // that a world where every lab is accused every month does not log accusations × triggers events.
    let mut skipped: Vec<Option<Skipped>> = vec![None; triggers.0.len()];
    let pending = std::mem::take(&mut state.pending);
    for accusation in &pending {
        let nation = &index.nation_ids[accusation.nation];
        let lab = &index.lab_id(accusation.lab);
        for (ti, trigger) in triggers.0.iter().enumerate() {
            let nation_ok = trigger.nations.is_empty() || trigger.nations.contains(nation);
            let bloc_ok = trigger.blocs.is_empty()
                || sides[accusation.nation]
                    .is_some_and(|s| trigger.blocs.contains(&index.bloc_ids[s]));
            let provider_ok = trigger.providers.is_empty()
                || accusation
                    .provider
                    .is_some_and(|v| trigger.providers.contains(&index.provider_ids[v]));
            if !(nation_ok && bloc_ok && provider_ok) {
                continue;
            }
            if trigger.max_fires.is_some_and(|m| state.fires[ti] >= m) {
                continue;
            }
            if state.fired >= MAX_TRIGGERED_POLICIES {
                if !state.full_said {
                    state.full_said = true;
                    if let Some(event) =
                        log.record(clock.t, EventKind::TriggerSkipped, &trigger.name)
                    {
                        event.target = lab.clone();
                        event.nation = nation.clone();
                        event.detail = format!(
                            "the run's triggers have put {MAX_TRIGGERED_POLICIES} policies in force, \
                             the most a run may hold; no trigger fires again"
                        );
                    }
                }
                continue;
            }
            // Drawn for every matching event, so the stream does not depend on what fired before.
            let draw = rngs.trigger.random::<f64>();
            if draw >= trigger.probability {
                continue;
            }
            let accusers = accusers_side(&trigger.policy, &index, sides);
            let reliance = params.0.reliance_share;
            let provider = accused_provider(accusation, accusers, (&index, &usage), reliance)
                .map(|p| index.provider_ids[p].as_str());
            let Some(spec) = instantiate(&trigger.policy, &trigger.name, lab, nation, provider)
            else {
                let skip = skipped[ti].get_or_insert_with(|| Skipped {
                    lab: lab.clone(),
                    nation: nation.clone(),
                    used_own: accusation.provider.is_some(),
                    accusations: 0,
                });
                skip.accusations += 1;
                continue;
            };
            if names.contains(&spec.name) {
                continue;
            }
            state.fires[ti] += 1;
            state.fired += 1;
            let start = accusation.month as i32 + trigger.delay_months as i32;
            let end = trigger.duration_months.map(|d| start + d as i32 - 1);
            if let Some(event) = log.record(clock.t, EventKind::TriggerFired, &trigger.name) {
                event.target = spec.name.clone();
                event.nation = nation.clone();
                event.provider = provider.unwrap_or_default().to_string();
                event.detail = format!(
                    "{} {}",
                    spec.label(),
                    in_force_text(clock.start, start, end)
                );
            }
            names.insert(spec.name.clone());
            let idx = state.next_policy_idx;
            state.next_policy_idx += 1;
            commands.spawn(PolicyRule::new(
                idx,
                &spec,
                (start, end),
                trigger.name.clone(),
                &index,
            ));
        }
    }
    for (trigger, skip) in triggers.0.iter().zip(skipped) {
        let Some(skip) = skip else { continue };
        if let Some(event) = log.record(clock.t, EventKind::TriggerSkipped, &trigger.name) {
            event.target = skip.lab;
            event.nation = skip.nation;
            event.detail = if skip.used_own {
                "no cloud for $provider: the accused lab used only the accusers' own".into()
            } else {
                "no cloud for $provider: the accused lab used none".into()
            };
            if skip.accusations > 1 {
                event.detail += &format!(
                    " (and {} more accusations this month)",
                    skip.accusations - 1
                );
            }
        }
    }
}

/// The first accusation a trigger was skipped for this month, and how many there were.
#[derive(Clone)]
struct Skipped {
    lab: String,
    nation: String,
    /// Whether the lab used only the accusers' own clouds (else none).
    used_own: bool,
    accusations: u32,
}

/// When a policy is in force, in calendar months: `in force from 2025-06`, `in force 2025-06 to
/// 2025-11` (`start` and `end` in months since the run's first, `end` the last month in force).
fn in_force_text(first: YearMonth, start: i32, end: Option<i32>) -> String {
    match end {
        Some(end) => format!("in force {} to {}", first.plus(start), first.plus(end)),
        None => format!("in force from {}", first.plus(start)),
    }
}

/// The bloc the accusers are on: the side most of the template's `by` nations (else its `targets`)
/// are on this month, if any.
fn accusers_side(template: &Policy, index: &WorldIndex, sides: &[Option<usize>]) -> Option<usize> {
    let parties = if template.by.is_empty() {
        &template.targets
    } else {
        &template.by
    };
    let members = Parties::resolve(parties, index).members(sides);
    let mut count = vec![0usize; index.blocs()];
    for (n, &m) in members.iter().enumerate() {
        if let (true, Some(s)) = (m, sides[n]) {
            count[s] += 1;
        }
    }
    let best = (0..count.len()).max_by_key(|&b| (count[b], std::cmp::Reverse(b)))?;
    (count[best] > 0).then_some(best)
}

/// The provider a trigger's `$provider` stands for: the cloud the accused lab relies on from outside the
/// accusers' bloc — its main provider if it is not of that bloc, else the provider of another bloc that
/// served the most of one of its segments last month, if that was at least `reliance` of it. A lab that
/// used another bloc's cloud only in passing does not rely on it.
fn accused_provider(
    accusation: &Accusation,
    accusers: Option<usize>,
    (index, usage): (&WorldIndex, &SegmentUse),
    reliance: f64,
) -> Option<usize> {
    let foreign = |v: usize| accusers.is_none_or(|b| index.provider_bloc[v] != b);
    if let Some(main) = accusation.provider
        && foreign(main)
    {
        return Some(main);
    }
    let (s0, st) = accusation.segments;
    (0..index.provider_ids.len())
        .filter(|&v| foreign(v))
        .map(|v| {
            let share = |s| usage.share.get(SegmentIx(s), ProviderIx(v));
            (v, share(s0).max(share(st)))
        })
        .filter(|&(_, share)| share > 0.0 && share >= reliance)
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(v, _)| v)
}

/// Fills a trigger's policy template from the event; `None` if it needs a provider the event lacks.
fn instantiate(
    template: &Policy,
    trigger: &str,
    lab: &str,
    nation: &str,
    provider: Option<&str>,
) -> Option<Policy> {
    let mut missing = false;
    let mut fill = |s: &str| -> String {
        match s {
            "$lab" => lab.to_string(),
            "$nation" => nation.to_string(),
            "$provider" => provider.map(str::to_string).unwrap_or_else(|| {
                missing = true;
                String::new()
            }),
            other => other
                .replace("$lab", lab)
                .replace("$nation", nation)
                .replace("$provider", provider.unwrap_or("")),
        }
    };
    let mut p = template.clone();
    for list in [&mut p.by, &mut p.targets, &mut p.providers] {
        for v in list.iter_mut() {
            *v = fill(v);
        }
    }
    let base = if template.name.is_empty() {
        format!("{trigger}-{}", provider.unwrap_or(lab))
    } else {
        template.name.clone()
    };
    p.name = fill(&base);
    (!missing).then_some(p)
}

/// Switches policies on and off and compiles those in force into [`Rules`].
pub fn apply_policies(
    clock: Res<Clock>,
    index: Res<WorldIndex>,
    mut rules: ResMut<Rules>,
    mut log: ResMut<EventLog>,
    sides: Res<Sides>,
    mut policies: Query<&mut PolicyRule>,
    mut compiled_for: Local<Option<RulesKey>>,
) {
    let t = clock.t as i32;
    let sides = &sides.0;
    let mut ordered: Vec<Mut<PolicyRule>> = policies.iter_mut().collect();
    ordered.sort_by_key(|p| p.idx);
    let mut in_force = Vec::new();
    for mut policy in ordered {
        let active = policy.start <= t && policy.end.is_none_or(|e| t <= e);
        if active != policy.active {
            policy.active = active;
            let written = &policy.written;
            if let Some(event) = log.record(
                clock.t,
                if active {
                    EventKind::PolicyOn
                } else {
                    EventKind::PolicyOff
                },
                &written.by.join(","),
            ) {
                event.target = written.targets.join(",");
                event.provider = written.providers.join(",");
                event.detail = format!(
                    "{} {}",
                    policy.label,
                    in_force_text(clock.start, policy.start, policy.end)
                );
            }
            if active
                && policy.kind == PolicyKind::CloudBan
                && let Some(event) = log.record(clock.t, EventKind::Ban, &written.by.join(","))
            {
                event.target = written.targets.join(",");
                event.provider = written.providers.join(",");
                let providers: Vec<String> = written
                    .providers
                    .iter()
                    .map(|v| {
                        if index.bloc_ids.contains(v) {
                            format!("the {v} bloc's clouds")
                        } else {
                            v.clone()
                        }
                    })
                    .collect();
                event.detail = format!(
                    "{}: {} closed to users in {}",
                    policy.label,
                    providers.join(", "),
                    written.targets.join(", ")
                );
            }
        }
        if active {
            in_force.push(policy);
        }
    }
    // The rules follow from the policies in force and the sides blocs stand for; most months change
    // neither, and then last month's rules stand.
    let key = RulesKey {
        in_force: in_force.iter().map(|p| p.idx).collect(),
        sides: sides.clone(),
    };
    if compiled_for.as_ref() != Some(&key) {
        rules.reset();
        for policy in &in_force {
            compile(policy, &index, &key.sides, &mut rules);
        }
        *compiled_for = Some(key);
    }
}

/// What the month's rules were compiled from: the policies in force (by index) and each nation's side.
#[derive(PartialEq, Eq)]
pub struct RulesKey {
    in_force: Vec<usize>,
    sides: Vec<Option<usize>>,
}

/// Adds one policy in force to the month's rules; overlapping policies combine by the strongest. Its
/// parties are the nations they stand for this month (`sides`).
pub fn compile(
    policy: &PolicyRule,
    index: &WorldIndex,
    sides: &[Option<usize>],
    rules: &mut Rules,
) {
    let by = policy.by.members(sides);
    let targets = policy.targets.members(sides);
    let nations = sides.len();
    let targeted = || (0..nations).filter(|&n| targets[n]);
    match &policy.measure {
        Measure::ChipExportControl {
            listed,
            foreign_direct_product,
            headquartered,
            strength,
        } => chip_export_control(
            listed,
            (*foreign_direct_product, *headquartered, *strength),
            index,
            (&by, &targets),
            rules,
        ),
        Measure::ImportCap { cap_h100e_per_year } => {
            let cap = *cap_h100e_per_year;
            for n in targeted() {
                rules.import_cap[n] = Some(rules.import_cap[n].map_or(cap, |c| c.min(cap)));
            }
        }
        Measure::InputExportControl { inputs, strength } => {
            withhold_inputs(inputs, *strength, policy.start, index, &by, &targets, rules)
        }
        Measure::WeightsExportControl {
            capability_threshold,
            open_release_cap,
            strength,
        } => protect_weights(
            (*capability_threshold, *open_release_cap, *strength),
            (&by, &targets),
            rules,
        ),
        Measure::CloudKyc {
            providers,
            training_threshold_h100e,
            strength,
        } => {
            if *strength <= 0.0 {
                return;
            }
            for n in targeted() {
                rules.kyc_threshold[n] = rules.kyc_threshold[n].min(*training_threshold_h100e);
                for p in (0..providers.len()).filter(|&p| providers[p]) {
                    rules.kyc.raise(ProviderIx(p), NationIx(n), *strength);
                }
            }
        }
        Measure::CloudBan { providers } => {
            for n in targeted() {
                for p in (0..providers.len()).filter(|&p| providers[p]) {
                    rules.closed.set(ProviderIx(p), NationIx(n), 1.0);
                }
            }
        }
        Measure::SecondarySanctions {
            sanctioned,
            strength,
        } => secondary_sanctions(sanctioned, *strength, index, sides, rules),
        Measure::Reciprocity {
            closed_blocs,
            inputs,
            strength,
        } => {
            for (p, &b) in index.provider_bloc.iter().enumerate() {
                if closed_blocs[b] {
                    for n in (0..nations).filter(|&n| by[n]) {
                        rules.closed.set(ProviderIx(p), NationIx(n), 1.0);
                    }
                }
            }
            withhold_inputs(inputs, *strength, policy.start, index, &by, &targets, rules);
        }
        Measure::IndigenousPush { strength } => {
            for n in targeted() {
                rules.indigenous_push[n] = rules.indigenous_push[n].max(*strength);
            }
        }
        Measure::PurchaseDiscouragement { listed, strength } => {
            if *strength <= 0.0 {
                return;
            }
            for c in (0..listed.len()).filter(|&c| listed[c]) {
                for n in targeted() {
                    rules
                        .chip_discouraged
                        .raise(ChipIx(c), NationIx(n), *strength);
                }
            }
        }
        Measure::LicenceFee {
            listed,
            revenue_share,
        } => {
            if *revenue_share <= 0.0 {
                return;
            }
            // The imposers license the classes designed in their nations (their jurisdiction), sold to
            // targets outside them.
            for c in (0..listed.len()).filter(|&c| listed[c] && by[index.chip_designer[c]]) {
                for n in targeted().filter(|&n| !by[n]) {
                    rules
                        .licence_fee
                        .raise(ChipIx(c), NationIx(n), *revenue_share);
                }
            }
        }
    }
}

/// A weights export control: the owners (`by`) protect their models' weights above `threshold` from the
/// targets outside them, and cap the open releases the targets may obtain (both log10 FLOP).
fn protect_weights(
    (threshold, open_release_cap, strength): (f64, f64, f64),
    (by, targets): (&[bool], &[bool]),
    rules: &mut Rules,
) {
    if strength <= 0.0 {
        return;
    }
    for o in (0..by.len()).filter(|&o| by[o]) {
        for n in (0..targets.len()).filter(|&n| targets[n] && !by[n]) {
            let (owner, recipient) = (Owner(o), Recipient(n));
            rules.weights_strength.raise(owner, recipient, strength);
            rules.weights_threshold.lower(owner, recipient, threshold);
            rules.weights_cap.lower(owner, recipient, open_release_cap);
        }
    }
}

/// A chip export control: the imposers (`by`) block the listed classes in their jurisdiction — designed
/// in their nations, or (with the foreign direct product rule) made in their fabs — to the targets
/// outside them, and (with `headquartered`) to the targets' firms wherever they buy.
fn chip_export_control(
    listed: &[bool],
    (foreign_direct_product, headquartered, strength): (bool, bool, f64),
    index: &WorldIndex,
    (by, targets): (&[bool], &[bool]),
    rules: &mut Rules,
) {
    if strength <= 0.0 {
        return;
    }
    for c in (0..listed.len()).filter(|&c| listed[c]) {
        let jurisdiction = by[index.chip_designer[c]]
            || (foreign_direct_product && index.chip_fab_nations[c].iter().any(|&f| by[f]));
        if jurisdiction {
            for n in (0..targets.len()).filter(|&n| targets[n] && !by[n]) {
                rules.chip_block.raise(ChipIx(c), NationIx(n), strength);
                if headquartered {
                    rules
                        .chip_block_headquartered
                        .raise(ChipIx(c), NationIx(n), strength);
                }
                rules.under_chip_control[n] = true;
                rules.chip_pressure[n] = rules.chip_pressure[n].max(strength);
            }
        }
    }
}

/// Secondary sanctions fall on third countries — every nation not on a sanctioned bloc's side — using
/// the sanctioned blocs' clouds or buying chips designed on their side.
fn secondary_sanctions(
    sanctioned: &[bool],
    strength: f64,
    index: &WorldIndex,
    sides: &[Option<usize>],
    rules: &mut Rules,
) {
    let third = |n: usize| !sides[n].is_some_and(|s| sanctioned[s]);
    let nations = sides.len();
    for (p, &b) in index.provider_bloc.iter().enumerate() {
        if sanctioned[b] {
            for n in (0..nations).filter(|&n| third(n)) {
                rules.sanction.raise(ProviderIx(p), NationIx(n), strength);
            }
        }
    }
    for c in 0..index.chip_ids.len() {
        if sides[index.chip_designer[c]].is_some_and(|s| sanctioned[s]) {
            for n in (0..nations).filter(|&n| third(n)) {
                rules.chip_sanction.raise(ChipIx(c), NationIx(n), strength);
            }
        }
    }
}

/// Withholds `inputs` that the imposers (`by`) supply from the targets outside them, at `strength`, from
/// month `start` (substitution runs from the earliest control in force).
fn withhold_inputs(
    inputs: &[usize],
    strength: f64,
    start: i32,
    index: &WorldIndex,
    by: &[bool],
    targets: &[bool],
    rules: &mut Rules,
) {
    if strength <= 0.0 {
        return;
    }
    for &i in inputs {
        for &(supplier, _) in &index.input_suppliers[i] {
            if by[supplier] {
                for n in (0..targets.len()).filter(|&n| targets[n] && !by[n]) {
                    rules.input_block[i].raise(Supplier(supplier), Recipient(n), strength);
                    rules.input_since[i].lower(Supplier(supplier), Recipient(n), start as f64);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Policy, load};

    /// The baseline's world index and sides, with its own policies left out.
    fn world() -> (WorldIndex, Vec<Option<usize>>) {
        let mut scenario = load("baseline", &[]).unwrap().scenario;
        scenario.policy.clear();
        let mut world = crate::world::build(&scenario, 1);
        let sides = world.resource::<Sides>().0.clone();
        (world.remove_resource::<WorldIndex>().unwrap(), sides)
    }

    fn policy(kind: PolicyKind, by: &[&str], targets: &[&str]) -> Policy {
        let mut p: Policy = toml::from_str(&format!("kind = \"{}\"", kind.as_str())).unwrap();
        p.name = "p".into();
        p.by = by.iter().map(|s| s.to_string()).collect();
        p.targets = targets.iter().map(|s| s.to_string()).collect();
        p
    }

    fn rules_of(policies: &[Policy], index: &WorldIndex, sides: &[Option<usize>]) -> Rules {
        let mut rules = Rules::new(
            index.chip_ids.len(),
            index.nation_ids.len(),
            index.input_suppliers.len(),
            index.provider_ids.len(),
        );
        for (i, p) in policies.iter().enumerate() {
            compile(
                &PolicyRule::new(i, p, (0, None), "test".into(), index),
                index,
                sides,
                &mut rules,
            );
        }
        rules
    }

    #[test]
    fn a_chip_control_blocks_the_imposers_listed_chips_to_targets_only() {
        let (index, sides) = world();
        let n = |id: &str| index.nation_index[id];
        let chip = |id: &str| index.chip_ids.iter().position(|c| c == id).unwrap();
        let mut control = policy(PolicyKind::ChipExportControl, &["US"], &["CN", "US"]);
        control.h100e_threshold = Some(2.0);
        control.strength = Some(0.8);
        let rules = rules_of(&[control], &index, &sides);
        // A US design above the threshold: blocked to China, never to the imposer itself.
        assert_eq!(
            rules
                .chip_block
                .get(ChipIx(chip("b200")), NationIx(n("CN"))),
            0.8
        );
        assert_eq!(
            rules
                .chip_block
                .get(ChipIx(chip("b200")), NationIx(n("US"))),
            0.0
        );
        assert!(rules.under_chip_control[n("CN")]);
        // Below the threshold, or a Chinese design: not listed, or not the US's to control.
        assert_eq!(
            rules
                .chip_block
                .get(ChipIx(chip("h100")), NationIx(n("CN"))),
            0.0
        );
        assert_eq!(
            rules
                .chip_block
                .get(ChipIx(chip("ascend-960")), NationIx(n("CN"))),
            0.0
        );
        // Overlapping controls combine by the strongest.
        let mut weaker = policy(PolicyKind::ChipExportControl, &["US"], &["CN"]);
        weaker.chips = vec!["b200".into(), "h100".into()];
        weaker.strength = Some(0.5);
        let mut stronger = weaker.clone();
        stronger.chips = vec!["b200".into()];
        stronger.strength = Some(0.9);
        let rules = rules_of(&[weaker, stronger], &index, &sides);
        assert_eq!(
            rules
                .chip_block
                .get(ChipIx(chip("b200")), NationIx(n("CN"))),
            0.9
        );
        assert_eq!(
            rules
                .chip_block
                .get(ChipIx(chip("h100")), NationIx(n("CN"))),
            0.5
        );
    }

    #[test]
    fn a_bloc_stands_for_the_nations_on_its_side_this_month() {
        let (index, mut sides) = world();
        let n = |id: &str| index.nation_index[id];
        let china = index.bloc_ids.iter().position(|b| b == "china").unwrap();
        let mut ban = policy(PolicyKind::CloudBan, &["US"], &["china"]);
        ban.providers = vec!["aws".into()];
        let aws = index.provider_index["aws"];
        let rules = rules_of(std::slice::from_ref(&ban), &index, &sides);
        assert_eq!(rules.closed.get(ProviderIx(aws), NationIx(n("CN"))), 1.0);
        assert_eq!(rules.closed.get(ProviderIx(aws), NationIx(n("KE"))), 0.0);
        // Kenya drifts to China's side: the same policy now covers it.
        sides[n("KE")] = Some(china);
        let rules = rules_of(std::slice::from_ref(&ban), &index, &sides);
        assert_eq!(rules.closed.get(ProviderIx(aws), NationIx(n("KE"))), 1.0);
        // A ban at strength 0 closes nothing (a ban is all or nothing).
        ban.strength = Some(0.0);
        let rules = rules_of(&[ban], &index, &sides);
        assert_eq!(rules.closed.get(ProviderIx(aws), NationIx(n("CN"))), 0.0);
    }

    #[test]
    fn reciprocity_closes_the_targets_clouds_in_the_imposers_own_nations() {
        let (index, sides) = world();
        let n = |id: &str| index.nation_index[id];
        let mut reciprocity = policy(PolicyKind::Reciprocity, &["CN"], &["west"]);
        reciprocity.close_providers = Some(true);
        let rules = rules_of(&[reciprocity], &index, &sides);
        let aws = index.provider_index["aws"];
        let alibaba = index.provider_index["alibaba-cloud"];
        assert_eq!(rules.closed.get(ProviderIx(aws), NationIx(n("CN"))), 1.0);
        // Not in the rest of China's side, and never China's own clouds.
        assert_eq!(rules.closed.get(ProviderIx(aws), NationIx(n("RU"))), 0.0);
        assert_eq!(
            rules.closed.get(ProviderIx(alibaba), NationIx(n("CN"))),
            0.0
        );
    }

    #[test]
    fn secondary_sanctions_fall_on_third_countries_using_the_sanctioned_blocs_clouds() {
        let (index, sides) = world();
        let n = |id: &str| index.nation_index[id];
        let mut sanctions = policy(PolicyKind::SecondarySanctions, &["US"], &["china"]);
        sanctions.strength = Some(0.6);
        let rules = rules_of(&[sanctions], &index, &sides);
        let alibaba = index.provider_index["alibaba-cloud"];
        let aws = index.provider_index["aws"];
        // A third country (on no sanctioned side) is penalised for Alibaba; China itself is not.
        assert_eq!(
            rules.sanction.get(ProviderIx(alibaba), NationIx(n("KE"))),
            0.6
        );
        assert_eq!(
            rules.sanction.get(ProviderIx(alibaba), NationIx(n("CN"))),
            0.0
        );
        assert_eq!(rules.sanction.get(ProviderIx(aws), NationIx(n("KE"))), 0.0);
    }
}

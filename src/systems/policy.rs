//! Policy (step 1): triggers answer last month's accusations, policies switch on and off on their dates,
//! and the policies in force are compiled into [`Rules`], the one place other systems read them from.
//!
//! A bloc named in `by` or `targets` stands for the nations on its side this month, so a nation that drifts
//! to a side comes under that side's measures.

use crate::components::{Alignment, Nation, PolicyRule};
use crate::resources::*;
use crate::scenario::{Policy, PolicyKind};
use bevy_ecs::prelude::*;
use rand::RngExt;

/// Fires triggers on the accusations recorded last month, putting new policies in force after their delay.
///
/// A template's `$provider` is the cloud the accused lab relies on from outside the accusers' side: its
/// main provider unless that is one of the accusers' own clouds, else the one that served it most among
/// the others. A board does not ban its own members' clouds over a customer's alleged theft; when the
/// lab used only those, the trigger is skipped (`trigger_skipped`).
pub fn fire_triggers(
    mut commands: Commands,
    clock: Res<Clock>,
    index: Res<WorldIndex>,
    triggers: Res<Triggers>,
    usage: Res<SegmentUse>,
    mut state: ResMut<TriggerState>,
    mut rngs: ResMut<Rngs>,
    mut log: ResMut<EventLog>,
    nations: Query<(&Nation, &Alignment)>,
    policies: Query<&PolicyRule>,
) {
    if state.pending.is_empty() || triggers.0.is_empty() {
        state.pending.clear();
        return;
    }
    let sides = sides_of(
        nations.iter().map(|(n, a)| (n.idx, a)),
        index.nation_ids.len(),
    );
    let mut names: Vec<String> = policies.iter().map(|p| p.spec.name.clone()).collect();
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
            // Drawn for every matching event, so the stream does not depend on what fired before.
            let draw = rngs.trigger.random::<f64>();
            if draw >= trigger.probability {
                continue;
            }
            let accusers = accusers_side(&trigger.policy, &index, &sides);
            let provider = accused_provider(accusation, accusers, &index, &usage)
                .map(|p| index.provider_ids[p].as_str());
            let Some(spec) = instantiate(&trigger.policy, &trigger.name, lab, nation, provider)
            else {
                if let Some(event) = log.record(clock.t, "trigger_skipped", &trigger.name) {
                    event.target = lab.clone();
                    event.nation = nation.clone();
                    event.detail = if accusation.provider.is_some() {
                        "the accused lab used only the accusers' own clouds for `$provider`".into()
                    } else {
                        "the accused lab used no provider for `$provider`".into()
                    };
                }
                continue;
            };
            if names.contains(&spec.name) {
                continue;
            }
            state.fires[ti] += 1;
            let start = accusation.month as i32 + trigger.delay_months as i32;
            let end = trigger.duration_months.map(|d| start + d as i32 - 1);
            if let Some(event) = log.record(clock.t, "trigger_fired", &trigger.name) {
                event.target = spec.name.clone();
                event.nation = nation.clone();
                event.provider = provider.unwrap_or_default().to_string();
                event.detail = format!(
                    "{} `{}` in force from {}",
                    spec.kind.as_str(),
                    spec.name,
                    clock.start.plus(start)
                );
            }
            names.push(spec.name.clone());
            let idx = state.next_policy_idx;
            state.next_policy_idx += 1;
            commands.spawn(PolicyRule {
                idx,
                spec,
                start,
                end,
                origin: trigger.name.clone(),
                active: false,
            });
        }
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
    let members = index.members(parties, sides);
    let mut count = vec![0usize; index.blocs()];
    for (n, &m) in members.iter().enumerate() {
        if let (true, Some(s)) = (m, sides[n]) {
            count[s] += 1;
        }
    }
    let best = (0..count.len()).max_by_key(|&b| (count[b], std::cmp::Reverse(b)))?;
    (count[best] > 0).then_some(best)
}

/// The provider a trigger's `$provider` stands for: the accused lab's main provider if it is not of the
/// accusers' bloc, else the provider of another bloc that served the lab's segments most last month.
fn accused_provider(
    accusation: &Accusation,
    accusers: Option<usize>,
    index: &WorldIndex,
    usage: &SegmentUse,
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
        .map(|v| (v, usage.share.get(s0, v) + usage.share.get(st, v)))
        .filter(|&(_, share)| share > 0.0)
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
    nations: Query<(&Nation, &Alignment)>,
    mut policies: Query<&mut PolicyRule>,
    mut compiled_for: Local<Option<RulesKey>>,
) {
    let t = clock.t as i32;
    let sides = sides_of(
        nations.iter().map(|(n, a)| (n.idx, a)),
        index.nation_ids.len(),
    );
    let mut ordered: Vec<Mut<PolicyRule>> = policies.iter_mut().collect();
    ordered.sort_by_key(|p| p.idx);
    let mut in_force = Vec::new();
    for mut policy in ordered {
        let active = policy.start <= t && policy.end.is_none_or(|e| t <= e);
        if active != policy.active {
            policy.active = active;
            let spec = &policy.spec;
            if let Some(event) = log.record(
                clock.t,
                if active { "policy_on" } else { "policy_off" },
                &spec.by.join(","),
            ) {
                event.target = spec.targets.join(",");
                event.provider = spec.providers.join(",");
                event.detail = format!("{} {}", spec.kind.as_str(), spec.name);
            }
            if active
                && spec.kind == PolicyKind::CloudBan
                && let Some(event) = log.record(clock.t, "ban", &spec.by.join(","))
            {
                event.target = spec.targets.join(",");
                event.provider = spec.providers.join(",");
                event.detail = spec.name.clone();
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
        sides,
    };
    if compiled_for.as_ref() != Some(&key) {
        rules.reset();
        for policy in &in_force {
            compile(&policy.spec, policy.start, &index, &key.sides, &mut rules);
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

/// Adds one policy in force since month `start` to the month's rules; overlapping policies combine by
/// the strongest.
pub fn compile(
    spec: &Policy,
    start: i32,
    index: &WorldIndex,
    sides: &[Option<usize>],
    rules: &mut Rules,
) {
    let by = index.members(&spec.by, sides);
    let targets = index.members(&spec.targets, sides);
    let nations = index.nation_ids.len();
    let strength = spec.strength;
    let targeted = || (0..nations).filter(|&n| targets[n]);
    match spec.kind {
        PolicyKind::ChipExportControl => {
            for c in 0..index.chip_ids.len() {
                let listed = spec.chips.contains(&index.chip_ids[c])
                    || spec
                        .h100e_threshold
                        .is_some_and(|h| index.chip_h100e[c] >= h);
                let jurisdiction = by[index.chip_designer[c]]
                    || (spec.foreign_direct_product
                        && index.chip_fab_nations[c].iter().any(|&f| by[f]));
                if listed && jurisdiction {
                    for n in targeted().filter(|&n| !by[n]) {
                        rules.chip_block.raise(c, n, strength);
                        rules.under_chip_control[n] = true;
                    }
                }
            }
        }
        PolicyKind::ImportCap => {
            let cap = spec.cap_h100e_per_year.unwrap_or(f64::INFINITY);
            for n in targeted() {
                rules.import_cap[n] = Some(rules.import_cap[n].map_or(cap, |c| c.min(cap)));
            }
        }
        PolicyKind::InputExportControl => withhold_inputs(spec, start, index, &by, &targets, rules),
        PolicyKind::WeightsExportControl => {
            let cap = spec.capability_threshold.unwrap_or(f64::INFINITY);
            for o in (0..nations).filter(|&o| by[o]) {
                for n in targeted().filter(|&n| !by[n]) {
                    rules.weights_strength.raise(o, n, strength);
                    rules.weights_cap.lower(o, n, cap);
                }
            }
        }
        PolicyKind::CloudKyc => {
            let providers = index.providers_named(&spec.providers);
            let threshold = spec.training_threshold_h100e.unwrap_or(0.0);
            for n in targeted() {
                rules.kyc_threshold[n] = rules.kyc_threshold[n].min(threshold);
                for p in (0..providers.len()).filter(|&p| providers[p]) {
                    rules.kyc.raise(p, n, strength);
                }
            }
        }
        PolicyKind::CloudBan => {
            if strength > 0.0 {
                let providers = index.providers_named(&spec.providers);
                for n in targeted() {
                    for p in (0..providers.len()).filter(|&p| providers[p]) {
                        rules.closed.set(p, n, 1.0);
                    }
                }
            }
        }
        PolicyKind::SecondarySanctions => {
            // Third countries: every nation not on a sanctioned bloc's side.
            let sanctioned = index.blocs_named(&spec.targets);
            let third = |n: usize| !sides[n].is_some_and(|s| sanctioned[s]);
            for (p, &b) in index.provider_bloc.iter().enumerate() {
                if sanctioned[b] {
                    for n in (0..nations).filter(|&n| third(n)) {
                        rules.sanction.raise(p, n, strength);
                    }
                }
            }
            for c in 0..index.chip_ids.len() {
                if sides[index.chip_designer[c]].is_some_and(|s| sanctioned[s]) {
                    for n in (0..nations).filter(|&n| third(n)) {
                        rules.chip_sanction.raise(c, n, strength);
                    }
                }
            }
        }
        PolicyKind::Reciprocity => {
            if spec.close_providers && strength > 0.0 {
                let closed_blocs = index.blocs_named(&spec.targets);
                for (p, &b) in index.provider_bloc.iter().enumerate() {
                    if closed_blocs[b] {
                        for n in (0..nations).filter(|&n| by[n]) {
                            rules.closed.set(p, n, 1.0);
                        }
                    }
                }
            }
            withhold_inputs(spec, start, index, &by, &targets, rules);
        }
        PolicyKind::IndigenousPush => {
            for n in targeted() {
                rules.indigenous_push[n] = rules.indigenous_push[n].max(strength);
            }
        }
    }
}

fn withhold_inputs(
    spec: &Policy,
    start: i32,
    index: &WorldIndex,
    by: &[bool],
    targets: &[bool],
    rules: &mut Rules,
) {
    for name in &spec.inputs {
        let Some(&i) = index.input_index.get(name) else {
            continue;
        };
        for &(supplier, _) in &index.input_suppliers[i] {
            if by[supplier] {
                for n in (0..targets.len()).filter(|&n| targets[n] && !by[n]) {
                    rules.input_block[i].raise(supplier, n, spec.strength);
                    rules.input_since[i].lower(supplier, n, start as f64);
                }
            }
        }
    }
}

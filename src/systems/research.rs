//! Research (step 6): training compute becomes capability. A lab's run is its effective training compute
//! (`training × algorithmic efficiency(t) × FLOP per H100e-month`) over the run's length, which grows from
//! `training_run_months` by `run_length_growth` a year up to `max_run_months`; capability is log10 of its
//! largest run to date, so one order of magnitude is one generation.
//!
//! Laggards adopt open weights they may legally obtain (`c_open − open_lag`; weights export controls cap
//! what targets can obtain). Extraction-capable labs try to extract a rival bloc's frontier model (rate
//! `lambda`, lowered by the rival's weights controls); success lifts them to `target − extraction_gap`;
//! detection emits `theft_detected`. Forensic false positives accuse labs that did not extract, with the
//! same event, marked `false_positive` in the output and indistinguishable to the triggers.

use crate::components::*;
use crate::resources::*;
use crate::scenario::Weights;
use bevy_ecs::prelude::*;
use rand::RngExt;
use rand_distr::{Distribution, Geometric};

pub fn research(
    clock: Res<Clock>,
    params: Res<Params>,
    index: Res<WorldIndex>,
    rules: Res<Rules>,
    mut rngs: ResMut<Rngs>,
    mut log: ResMut<EventLog>,
    mut triggers: ResMut<TriggerState>,
    nations: Query<(&Nation, &Alignment)>,
    mut labs: Query<(&Lab, &mut LabState)>,
) {
    let p = &params.0;
    let t = clock.t;
    let nn = index.nation_ids.len();
    let k = index.blocs();
    let sides = sides_of(nations.iter().map(|(n, a)| (n.idx, a)), nn);
    let efficiency = p.algorithmic_efficiency_per_year.powf(t as f64 / 12.0);
    let window = p.max_run_months as usize;
    let run_length = p.run_length(t);

    // Last month's capabilities: each bloc's frontier lab and each nation's best open release.
    let mut frontier: Vec<Option<(usize, f64)>> = vec![None; k];
    let mut open_by_owner = vec![f64::NEG_INFINITY; nn];
    // Order does not matter here: maxima, with ties broken by index.
    for (lab, state) in labs.iter() {
        if let Some(side) = sides[lab.nation]
            && frontier[side]
                .is_none_or(|(i, c)| state.capability > c || (state.capability == c && lab.idx < i))
        {
            frontier[side] = Some((lab.idx, state.capability));
        }
        if lab.weights == Weights::Open {
            open_by_owner[lab.nation] = open_by_owner[lab.nation].max(state.capability);
        }
    }
    let mut open_for = vec![f64::NEG_INFINITY; nn];
    for (owner, &c) in open_by_owner.iter().enumerate() {
        if c.is_finite() {
            for (n, best) in open_for.iter_mut().enumerate() {
                *best = best.max(c.min(rules.weights_cap.get(owner, n)));
            }
        }
    }
    // The rival frontier a lab of a given side would target: the best frontier of another bloc.
    let rival_of = |side: Option<usize>| -> Option<(usize, f64)> {
        frontier
            .iter()
            .enumerate()
            .filter(|(b, _)| Some(*b) != side)
            .filter_map(|(_, f)| *f)
            .fold(None, |best: Option<(usize, f64)>, f| match best {
                Some(b) if b.1 >= f.1 => Some(b),
                _ => Some(f),
            })
    };

    let mut attempted = vec![false; index.labs.len()];
    let pos = t as usize % window;
    let flop_per_h100e = efficiency * p.flop_per_h100e_month;
    for_each_in_order!(labs, &index.labs, |(lab, state)| {
        // One change mark per lab, not one per field written.
        let state = state.into_inner();
        state.runs[pos] = state.training * flop_per_h100e;
        let run = run_flop(&state.runs, pos, run_length);
        // Only a run larger than every earlier one can raise capability (the logarithm is monotone).
        if run > state.largest_run {
            state.largest_run = run;
            if run > 0.0 {
                state.own_capability = state.own_capability.max(orders_of_magnitude(run));
            }
        }
        let mut cap = state.capability.max(state.own_capability);
        cap = cap.max(open_for[lab.nation] - p.open_lag);
        state.accused = false;

        if lab.extraction
            && let Some((target, target_cap)) = rival_of(sides[lab.nation])
            && target_cap > cap
            && index.lab_nation[target] != lab.nation
        {
            let target_nation = index.lab_nation[target];
            let protection =
                p.weights_protection * rules.weights_strength.get(target_nation, lab.nation);
            let attempt = rngs
                .extraction
                .random_bool((p.lambda * (1.0 - protection)).clamp(0.0, 1.0));
            let success = rngs.extraction.random_bool(p.extraction_success);
            let detected = rngs.extraction.random_bool(p.p_detect);
            if attempt {
                attempted[lab.idx] = true;
                if success {
                    cap = cap.max(target_cap - p.extraction_gap);
                }
                if detected {
                    state.accused = true;
                    accuse(
                        &mut log,
                        &mut triggers,
                        &index,
                        t,
                        lab,
                        state,
                        target,
                        false,
                    );
                }
            }
        }
        state.capability = cap;
    });

    // Forensic false positives: skip ahead geometrically instead of drawing once per lab.
    if p.false_positive_rate > 0.0
        && let Ok(gaps) = Geometric::new(p.false_positive_rate)
    {
        let mut i = gaps.sample(&mut rngs.false_positive) as usize;
        while i < index.labs.len() {
            if !attempted[i]
                && let Ok((lab, mut state)) = labs.get_mut(index.labs[i])
            {
                let target = rival_of(sides[lab.nation])
                    .map(|(t, _)| t)
                    .filter(|&t| t != lab.idx);
                state.accused = true;
                if let Some(target) = target {
                    accuse(
                        &mut log,
                        &mut triggers,
                        &index,
                        t,
                        lab,
                        &state,
                        target,
                        true,
                    );
                }
            }
            i = i
                .saturating_add(1)
                .saturating_add(gaps.sample(&mut rngs.false_positive) as usize);
        }
    }
}

/// Records a `theft_detected` event and queues it for the triggers.
fn accuse(
    log: &mut EventLog,
    triggers: &mut TriggerState,
    index: &WorldIndex,
    month: u32,
    lab: &Lab,
    state: &LabState,
    target: usize,
    false_positive: bool,
) {
    if let Some(event) = log.record(month, "theft_detected", &lab.id) {
        event.target = index.lab_ids[target].clone();
        event.nation = index.nation_ids[lab.nation].clone();
        event.provider = state
            .main_provider
            .map(|p| index.provider_ids[p].clone())
            .unwrap_or_default();
        event.detail = format!("extraction from {}", index.lab_ids[target]);
        event.false_positive = false_positive;
    }
    triggers.pending.push(Accusation {
        month,
        lab: lab.idx,
        nation: lab.nation,
        provider: state.main_provider,
    });
}

//! Research (step 6): training compute becomes capability. A lab's run is its effective training compute
//! (`training × algorithmic efficiency(t) × FLOP per H100e-month`) over the run's length, which grows from
//! `training_run_months` by `run_length_growth` a year up to `max_run_months`; capability is log10 of its
//! largest run to date, so one order of magnitude is one generation.
//!
//! Only `run_share` of a lab's training compute goes into its largest run (the rest is experiments).
//!
//! Laggards adopt open weights they may legally obtain (`c_open − open_lag`; a weights control with an
//! `open_release_cap` caps the open releases its targets may obtain). Extraction-capable labs try to
//! extract a rival bloc's best *closed* model (open ones are adopted instead) at rate `lambda`, lowered by
//! `weights_protection × strength` where the rival's weights controls cover that model (closed, above the
//! control's `capability_threshold`, as ECCN 4E091 covers closed weights of models above 1e26
//! operations); success lifts them to `target − extraction_gap`; detection emits `theft_detected`. Using
//! another's model takes compute of one's own: adoption and extraction lift a lab at most
//! `absorption_reach` orders of magnitude above its own largest run, so a bloc short of compute cannot
//! close the gap by copying alone. Forensic false positives accuse labs that did not extract, with the
//! same event, marked `false_positive` in the output and indistinguishable to the triggers.

use crate::components::*;
use crate::resources::*;
use crate::scenario::Weights;
use bevy_ecs::prelude::*;
use rand::RngExt;
use rand_distr::{Distribution, Geometric};

/// Installs the research submodel: its book of the month's training runs and releases, and its system.
pub fn install(world: &mut World) {
    world.insert_resource(ResearchBook::default());
    super::add_systems(world, super::Submodel::Research, research);
}

/// The labs as research reads them: what the market served them (their training compute, main
/// provider) and where they compete, and their research, which it writes.
type ResearchLabs<'w, 's> = Query<
    'w,
    's,
    (
        &'static Lab,
        &'static LabCompute,
        &'static LabMarket,
        &'static mut LabResearch,
    ),
>;

pub fn research(
    month: super::Month,
    chance: super::Chance,
    mut triggers: ResMut<TriggerState>,
    mut book: ResMut<ResearchBook>,
    mut labs: ResearchLabs,
    mut runs: ResMut<TrainingRuns>,
    mut leaders: Local<Option<Leaders>>,
) {
    let (t, p) = (month.t(), month.p());
    let (index, rules, sides) = (&*month.index, &*month.rules, &month.sides.0);
    let super::Chance { mut rngs, mut log } = chance;
    let nn = index.nation_ids.len();
    let k = index.blocs();
    let trend_month = month.trend_month();
    let efficiency = p
        .algorithmic_efficiency_per_year
        .powf(trend_month as f64 / 12.0);
    let window = p.max_run_months as usize;
    let run_length = p.run_length(trend_month);

    // Last month's capabilities: each bloc's frontier lab and each nation's best open release, from the
    // nations' leaders as last month's research left them (found from the labs in the first month).
    let last = leaders.take().unwrap_or_else(|| {
        let mut first = Leaders::new(nn);
        for (lab, _, _, state) in labs.iter() {
            first.note(lab, state.capability_flop);
        }
        first
    });
    let frontier = last.frontiers(sides, k);
    let open_for = open_for(&last.open, rules);
    // Orders of magnitude behind, as factors on FLOP.
    let open_discount = 10f64.powf(-p.open_lag);
    let extraction_discount = 10f64.powf(-p.extraction_gap);
    let reach = 10f64.powf(p.absorption_reach);
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
    book.extractions = 0;
    let mut next = Leaders::new(nn);
    let pos = t as usize % window;
    let flop_per_h100e = efficiency * p.flop_per_h100e_month * p.run_share;
    let runs = &mut *runs;
    for_each_in_order!(labs, &index.labs, |(lab, served, market, state)| {
        // One change mark per lab, not one per field written.
        let state = state.into_inner();
        let ring = runs.of_mut(lab.idx);
        ring[pos] = served.training * flop_per_h100e;
        let run = run_flop(ring, pos, run_length);
        state.largest_run = state.largest_run.max(run);
        let mut cap = state.capability_flop.max(state.largest_run);
        cap = cap.max(absorbed(
            open_for[lab.nation],
            open_discount,
            state.largest_run,
            reach,
        ));
        state.accused = false;

        if lab.extraction
            && let Some((target, target_cap)) = rival_of(sides[lab.nation])
            && target_cap > cap
            && index.lab_nation[target] != lab.nation
        {
            let target_nation = index.lab_nation[target];
            // Closed weights of models above the control's threshold are protected; open ones are
            // published, and a model below the threshold is not covered (ECCN 4E091).
            let covered = orders_of_magnitude(target_cap)
                >= rules
                    .weights_threshold
                    .get(Owner(target_nation), Recipient(lab.nation));
            let protection = if covered {
                p.weights_protection
                    * rules
                        .weights_strength
                        .get(Owner(target_nation), Recipient(lab.nation))
            } else {
                0.0
            };
            let attempt = rngs
                .extraction
                .random_bool((p.lambda * (1.0 - protection)).clamp(0.0, 1.0));
            let success = rngs.extraction.random_bool(p.extraction_success);
            let detected = rngs.extraction.random_bool(p.p_detect);
            if attempt {
                attempted[lab.idx] = true;
                if success {
                    book.extractions += 1;
                    cap = cap.max(absorbed(
                        target_cap,
                        extraction_discount,
                        state.largest_run,
                        reach,
                    ));
                }
                if detected {
                    state.accused = true;
                    accuse(
                        &mut log,
                        &mut triggers,
                        index,
                        t,
                        (lab, served, market),
                        target,
                        false,
                    );
                }
            }
        }
        state.capability_flop = cap;
        next.note(lab, cap);
    });
    *leaders = Some(next);

    false_accusations(
        &attempted,
        &mut labs,
        (&mut rngs, &mut log, &mut triggers),
        (&month, p.false_positive_rate),
        rival_of,
    );
}

/// Forensic false positives: each lab that did not attempt an extraction this month is accused with
/// probability `false_positive_rate`, of the rival frontier it would target, skipping ahead geometrically
/// instead of drawing once per lab.
fn false_accusations(
    attempted: &[bool],
    labs: &mut ResearchLabs,
    (rngs, log, triggers): (&mut Rngs, &mut EventLog, &mut TriggerState),
    (month, rate): (&super::Month, f64),
    rival_of: impl Fn(Option<usize>) -> Option<(usize, f64)>,
) {
    let (index, sides, t) = (&*month.index, &month.sides.0, month.t());
    // No draw at all without false positives (a rate of 0, or NaN), as before there were any.
    let Some(gaps) = (rate > 0.0).then(|| Geometric::new(rate).ok()).flatten() else {
        return;
    };
    let mut i = gaps.sample(&mut rngs.false_positive) as usize;
    while i < index.labs.len() {
        if !attempted[i]
            && let Ok((lab, served, market, mut state)) = labs.get_mut(index.labs[i])
        {
            let target = rival_of(sides[lab.nation])
                .map(|(t, _)| t)
                .filter(|&t| t != lab.idx);
            state.accused = true;
            if let Some(target) = target {
                accuse(log, triggers, index, t, (lab, served, market), target, true);
            }
        }
        i = i
            .saturating_add(1)
            .saturating_add(gaps.sample(&mut rngs.false_positive) as usize);
    }
}

/// What each nation may adopt: the best open release it may legally obtain, capability FLOP, from each
/// owner nation's best open release (`open`); weights controls cap the capability, in orders of
/// magnitude, that targets may obtain.
fn open_for(open: &[f64], rules: &Rules) -> Vec<f64> {
    let nn = open.len();
    let mut open_for = vec![0.0_f64; nn];
    // Caps come from a few policy thresholds (no cap is infinite): each one's FLOP is worked out once.
    let mut cap_flops: Vec<(f64, f64)> = Vec::new();
    let mut flop_of = |cap: f64| {
        if cap == f64::INFINITY {
            return f64::INFINITY;
        }
        match cap_flops.iter().find(|(c, _)| *c == cap) {
            Some(&(_, flop)) => flop,
            None => {
                let flop = 10f64.powf(cap);
                cap_flops.push((cap, flop));
                flop
            }
        }
    };
    for (owner, &c) in open.iter().enumerate() {
        if c > 0.0 {
            for (n, best) in open_for.iter_mut().enumerate() {
                *best = best.max(c.min(flop_of(rules.weights_cap.get(Owner(owner), Recipient(n)))));
            }
        }
    }
    open_for
}

/// The capability a lab gains from a model it may use (an open release, or one it extracted), in FLOP:
///
/// `absorbed = min(offered × discount, largest_run × reach)`
///
/// the model as the lab can run it (`discount` = 10^−`open_lag` or 10^−`extraction_gap`), but at most
/// `reach` (10^`absorption_reach`) times the lab's own largest run: serving and fine-tuning another's
/// model takes compute of one's own.
pub fn absorbed(offered: f64, discount: f64, largest_run: f64, reach: f64) -> f64 {
    (offered * discount).min(largest_run * reach)
}

/// Each nation's most capable closed-weight lab (the lowest index among equals) — what rivals try to
/// extract — and its best open-weight release — what anyone may adopt — as capability FLOP (0 where
/// there is none).
pub struct Leaders {
    /// The nation's most capable lab that keeps its weights closed.
    best_closed: Vec<Option<(usize, f64)>>,
    open: Vec<f64>,
}

impl Leaders {
    /// Each bloc's best closed model (its lab and capability FLOP, the lowest index among equals),
    /// from its nations' leaders: what its rivals try to extract (open weights are adopted instead).
    fn frontiers(&self, sides: &[Option<usize>], blocs: usize) -> Vec<Option<(usize, f64)>> {
        let mut frontier: Vec<Option<(usize, f64)>> = vec![None; blocs];
        for (n, best) in self.best_closed.iter().enumerate() {
            if let (Some(side), Some((i, c))) = (sides[n], *best)
                && frontier[side].is_none_or(|(fi, fc)| c > fc || (c == fc && i < fi))
            {
                frontier[side] = Some((i, c));
            }
        }
        frontier
    }

    fn new(nations: usize) -> Self {
        Leaders {
            best_closed: vec![None; nations],
            open: vec![0.0; nations],
        }
    }

    /// Takes `lab` at `capability` into account.
    fn note(&mut self, lab: &Lab, capability: f64) {
        let n = lab.nation;
        if lab.weights == Weights::Closed
            && self.best_closed[n]
                .is_none_or(|(i, c)| capability > c || (capability == c && lab.idx < i))
        {
            self.best_closed[n] = Some((lab.idx, capability));
        }
        if lab.weights == Weights::Open {
            self.open[n] = self.open[n].max(capability);
        }
    }
}

/// Records a `theft_detected` event and queues it for the triggers.
fn accuse(
    log: &mut EventLog,
    triggers: &mut TriggerState,
    index: &WorldIndex,
    month: u32,
    (lab, served, market): (&Lab, &LabCompute, &LabMarket),
    target: usize,
    false_positive: bool,
) {
    if let Some(event) = log.record_with(month, EventKind::TheftDetected, || index.lab_id(lab.idx))
    {
        event.target = index.lab_id(target);
        event.nation = index.nation_ids[lab.nation].clone();
        event.provider = served
            .main_provider
            .map(|p| index.provider_ids[p as usize].clone())
            .unwrap_or_default();
        event.detail = format!("extraction from {}", event.target);
        event.false_positive = false_positive;
    }
    triggers.pending.push(Accusation {
        month,
        lab: lab.idx,
        nation: lab.nation,
        provider: served.main_provider.map(|v| v as usize),
        segments: (market.pool as usize * 2, market.segment as usize),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(idx: usize, nation: usize, weights: Weights) -> Lab {
        Lab {
            idx,
            nation,
            training_share: 0.5,
            own_share: 0.0,
            weights,
            extraction: false,
            holds_chips: false,
        }
    }

    #[test]
    fn copying_lifts_a_lab_only_as_far_as_its_own_compute_reaches() {
        let (discount, reach) = (10f64.powf(-0.5), 10f64.powf(1.0));
        // A 1e26 model offered to a lab whose largest run is 1e25: it gets the model less its lag.
        let rich = absorbed(1e26, discount, 1e25, reach);
        assert!((rich - 1e26 * discount).abs() < 1e10);
        // The same model to a lab with a 1e22 run: capped at ten times its own run.
        assert_eq!(absorbed(1e26, discount, 1e22, reach), 1e23);
        // More compute of its own never lowers what it can take.
        assert!(absorbed(1e26, discount, 1e24, reach) >= absorbed(1e26, discount, 1e23, reach));
        // No compute, nothing absorbed.
        assert_eq!(absorbed(1e26, discount, 0.0, reach), 0.0);
    }

    #[test]
    fn each_nation_offers_its_best_closed_model_to_extraction_and_its_best_open_one_to_adoption() {
        let mut leaders = Leaders::new(2);
        leaders.note(&lab(3, 0, Weights::Closed), 5.0);
        leaders.note(&lab(1, 0, Weights::Open), 5.0);
        leaders.note(&lab(2, 0, Weights::Open), 4.0);
        leaders.note(&lab(0, 1, Weights::Closed), 9.0);
        assert_eq!(
            leaders.best_closed[0],
            Some((3, 5.0)),
            "its best closed model"
        );
        assert_eq!(leaders.open[0], 5.0, "its best open release");
        leaders.note(&lab(4, 1, Weights::Closed), 9.0);
        assert_eq!(
            leaders.best_closed[1],
            Some((0, 9.0)),
            "equals: the lowest index"
        );
        assert_eq!(leaders.open[1], 0.0, "closed weights are not released");
    }
}

//! Stranded labs (applied in step 8, as each lab's row is made): a lab is stranded when its compute
//! falls below `(1 − stranded_loss)` of last month's while a provider it used last month is now shut to
//! it by policy (ban, reciprocity closure, KYC refusal); it stays stranded until its compute is back
//! above that share of what it had before. A rule of the model, not a measure: it changes the lab's
//! state (what it had before it was stranded), so it has a file of its own.

use crate::components::{LabCompute, LabMarket, LabStranding};
use crate::resources::{ProviderIx, SegmentIx, SegmentUse};

/// Whether a lab is stranded this month, updating its memory of the compute it had before: it lost
/// more than `loss` of last month's compute while a provider its segments used last month is now shut
/// to them by policy; it stays stranded until back above `1 − loss` of what it had.
pub fn stranded(
    state: &mut LabStranding,
    (market, served): (&LabMarket, &LabCompute),
    usage: &SegmentUse,
    loss: f64,
) -> bool {
    let compute = served.compute;
    if state.stranded_from > 0.0 {
        if compute >= (1.0 - loss) * state.stranded_from {
            state.stranded_from = 0.0;
        }
    } else if let Some(prev) = market.prev_segment
        && compute < (1.0 - loss) * served.prev_compute
    {
        let s0 = market.pool as usize * 2;
        let st = market.segment as usize;
        let (prev, s0, st) = (SegmentIx(prev as usize), SegmentIx(s0), SegmentIx(st));
        let shut = (0..usage.previous.cols()).map(ProviderIx).any(|v| {
            let used_before = usage.previous.get(prev, v) > 0.0 || usage.previous.get(s0, v) > 0.0;
            used_before
                && (usage.policy_blocked.get(st, v) > 0.0 || usage.policy_blocked.get(s0, v) > 0.0)
        });
        if shut {
            state.stranded_from = served.prev_compute;
        }
    }
    state.stranded_from > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::TypedGrid;

    /// One pool (segments 0 and 1) and two providers; the lab used provider 0 last month.
    fn usage(blocked: bool) -> SegmentUse {
        let mut u = SegmentUse {
            share: TypedGrid::new(2, 2, 0.0),
            previous: TypedGrid::new(2, 2, 0.0),
            policy_blocked: TypedGrid::new(2, 2, 0.0),
        };
        u.previous.set(SegmentIx(0), ProviderIx(0), 1.0);
        if blocked {
            u.policy_blocked.set(SegmentIx(0), ProviderIx(0), 1.0);
        }
        u
    }

    /// A lab's stranding, place in the market (it used segment 0 last month) and compute.
    struct TestLab(LabStranding, LabMarket, LabCompute);

    fn lab(prev_compute: f64, compute: f64) -> TestLab {
        TestLab(
            LabStranding::default(),
            LabMarket {
                prev_segment: Some(0),
                ..Default::default()
            },
            LabCompute {
                prev_compute,
                compute,
                ..Default::default()
            },
        )
    }

    fn strand(lab: &mut TestLab, usage: &SegmentUse, loss: f64) -> bool {
        stranded(&mut lab.0, (&lab.1, &lab.2), usage, loss)
    }

    #[test]
    fn a_lab_is_stranded_when_a_policy_shuts_its_cloud_and_it_loses_compute() {
        let loss = 0.5;
        assert!(strand(&mut lab(100.0, 40.0), &usage(true), loss));
        assert!(
            !strand(&mut lab(100.0, 40.0), &usage(false), loss),
            "lost compute without a policy: not stranded"
        );
        assert!(
            !strand(&mut lab(100.0, 60.0), &usage(true), loss),
            "shut out but lost less than half"
        );
        let mut unused = usage(true);
        unused.previous.set(SegmentIx(0), ProviderIx(0), 0.0);
        assert!(
            !strand(&mut lab(100.0, 40.0), &unused, loss),
            "the shut provider was not one it used"
        );
    }

    #[test]
    fn a_stranded_lab_stays_stranded_until_it_has_its_compute_back() {
        let loss = 0.5;
        let mut state = lab(100.0, 40.0);
        assert!(strand(&mut state, &usage(true), loss));
        // Next month: still 45, the policy no longer matters; what counts is the 100 it had.
        state.2.prev_compute = 40.0;
        state.2.compute = 45.0;
        assert!(strand(&mut state, &usage(false), loss));
        state.2.compute = 50.0;
        assert!(
            !strand(&mut state, &usage(false), loss),
            "back to half of 100"
        );
        assert_eq!(state.0.stranded_from, 0.0);
    }
}

//! Access: which providers a segment may use, how much of its demand each may take, and at what
//! effective price.
//!
//! Labs see only the capacity in regions open to them: a nation whose regions do not serve foreign labs
//! (`open_to_foreign_users = false`, as China's real-name rules have it) keeps its hosted capacity out of
//! other nations' choice (the logit's capacity term uses the capacity they may use).
//!
//! A provider is out of reach of a pool's labs when they have contracts elsewhere, or when it is closed
//! in their nation (a ban, or reciprocity). For a large-training segment, KYC lets through `1 − kyc ×
//! compliance` of the demand. The effective price of provider `v` for nation `n` is
//! `price_v × pay × (1 + sanction_premium × sanction[v][n] + bloc_friction × (1 − alignment_n[bloc_v]))`,
//! `pay = 1 − contract_discount` at a contracted provider, else 1 ([`equations::effective_price`]).

use super::{MarketScratch, equations};
use crate::parameters::Parameters;
use crate::resources::*;

/// What preparing a segment reads: the month's access rules, compliance and alignments.
pub(crate) struct SegmentFacts<'a> {
    pub(crate) params: &'a Parameters,
    pub(crate) rules: &'a Rules,
    pub(crate) index: &'a WorldIndex,
    pub(crate) compliance: &'a [f64],
    pub(crate) bloc: &'a [usize],
    /// Each nation's alignment weights over the blocs.
    pub(crate) weights: &'a TypedGrid<NationIx, BlocIx>,
    /// The share of each provider's open capacity in regions each nation's labs may use.
    pub(crate) reach: &'a TypedGrid<NationIx, ProviderIx>,
}

impl SegmentFacts<'_> {
    /// Segment `s`'s effective price per USD of list price, whether a policy blocks each provider, and
    /// the price-independent part of its logit weights (which carries the share each may take).
    pub(crate) fn prepare(&self, m: &mut MarketScratch, s: usize) {
        let p = self.params;
        let pool = s / 2;
        let large = s % 2 == 1;
        let n = self.index.pool_nation[pool];
        let contracts = self.index.pool_contracts[pool].as_ref();
        let weights = self.weights.row(NationIx(n));
        let pay = if contracts.is_some() {
            1.0 - p.contract_discount
        } else {
            1.0
        };
        // Without a sanction premium the factor depends on the provider's bloc only: one power per bloc.
        m.bloc_factor.clear();
        m.bloc_weight.clear();
        for &w in weights {
            let factor = equations::effective_price(1.0, pay, 0.0, p.bloc_friction * (1.0 - w));
            m.bloc_factor.push(factor);
            m.bloc_weight.push(factor.powf(-p.beta));
        }
        m.pay_factor[s] = pay;
        let rules = self.rules;
        let (closed, kyc, sanction) = (
            rules.closed.for_nation(NationIx(n)),
            rules.kyc.for_nation(NationIx(n)),
            rules.sanction.for_nation(NationIx(n)),
        );
        let (blocked_grid, eff_grid, base_grid) =
            (&mut m.policy_blocked, &mut m.eff_factor, &mut m.base_weight);
        let (bloc_factor, bloc_weight) = (&m.bloc_factor, &m.bloc_weight);
        let segment = SegmentIx(s);
        let mut provider = |v: usize| {
            let (leak, blocked) = equations::access(
                contracts.is_none_or(|c| c[v]),
                closed[v] > 0.0,
                if large { kyc[v] } else { 0.0 },
                self.compliance[v],
            );
            let cloud = ProviderIx(v);
            blocked_grid.set(segment, cloud, if blocked { 1.0 } else { 0.0 });
            let b = self.bloc[v];
            let premium = p.sanction_premium * sanction[v];
            let (factor, weight) = if premium == 0.0 {
                (bloc_factor[b], bloc_weight[b])
            } else {
                let factor = equations::effective_price(
                    1.0,
                    pay,
                    premium,
                    p.bloc_friction * (1.0 - weights[b]),
                );
                (factor, factor.powf(-p.beta))
            };
            // Labs see only the capacity in regions open to them (the logit's capacity term).
            let reach = self.reach.get(NationIx(n), cloud);
            let reach_weight = if reach >= 1.0 {
                1.0
            } else {
                super::clearing::pow_weight(reach, p.capacity_weight)
            };
            eff_grid.set(segment, cloud, factor);
            base_grid.set(
                segment,
                cloud,
                if leak <= 0.0 {
                    0.0
                } else {
                    weight * leak * reach_weight
                },
            );
        };
        // A contracted segment's other cells stay as they were made: no weight, not blocked.
        match super::contracted(&m.columns, s) {
            Some(columns) => columns.iter().for_each(|&v| provider(v)),
            None => (0..m.providers).for_each(provider),
        }
    }
}

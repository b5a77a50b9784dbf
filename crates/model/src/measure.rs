//! Policies as the model obeys them. Each `[[policy]]` of a scenario, and each policy a trigger puts in
//! force, is converted once into a [`Measure`] — what it does, with every chip, input, provider and bloc it
//! names resolved to an index and each field of the flat scenario struct that its kind uses taken into a
//! variant of its own — and its [`Parties`], the `by` and `targets` it names. The policy system compiles
//! the measures in force into the month's `Rules`; the flat `scenario::Policy` stays for parsing,
//! validation and error positions.
//!
//! `strength` keeps one meaning per kind: a share blocked or withheld (export controls, KYC), a penalty
//! weight (secondary sanctions), a programme's intensity (indigenous push). A `cloud_ban` (and
//! reciprocity's closing of clouds) is all or nothing: a strength of 0 converts into a ban of no provider.

use crate::resources::WorldIndex;
use crate::scenario::{Policy, PolicyKind};

/// A party a policy names: a nation, a coalition's members, or a bloc — the nations on its side that
/// month.
#[derive(Clone, Debug, PartialEq)]
pub enum Party {
    Nation(usize),
    Coalition(Vec<usize>),
    Bloc(usize),
}

/// The parties of `by` or `targets`, resolved once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parties(pub Vec<Party>);

impl Parties {
    /// Resolves party ids (nations first, then coalitions, then blocs); ids that name none — a trigger
    /// template's unfilled `$nation` — stand for nobody.
    pub fn resolve(ids: &[String], index: &WorldIndex) -> Parties {
        Parties(
            ids.iter()
                .filter_map(|id| {
                    if let Some(&n) = index.nation_index.get(id) {
                        Some(Party::Nation(n))
                    } else if let Some(members) = index.coalitions.get(id) {
                        Some(Party::Coalition(members.clone()))
                    } else {
                        index.bloc_ids.iter().position(|b| b == id).map(Party::Bloc)
                    }
                })
                .collect(),
        )
    }

    /// The nations the parties stand for this month, as a mask over nations.
    pub fn members(&self, sides: &[Option<usize>]) -> Vec<bool> {
        let mut set = vec![false; sides.len()];
        for party in &self.0 {
            match party {
                Party::Nation(n) => set[*n] = true,
                Party::Coalition(members) => {
                    for &n in members {
                        set[n] = true;
                    }
                }
                Party::Bloc(b) => {
                    for (n, side) in sides.iter().enumerate() {
                        if *side == Some(*b) {
                            set[n] = true;
                        }
                    }
                }
            }
        }
        set
    }
}

/// What a policy does, by kind, with the fields that kind uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    /// Sales of the `listed` chip classes (by class: named, or at least `h100e_threshold` H100e a unit)
    /// that the imposers have jurisdiction over — designed there, or with the foreign-direct-product
    /// rule made in their fabs — are blocked to targets outside the imposers at `strength`.
    ChipExportControl {
        listed: Vec<bool>,
        foreign_direct_product: bool,
        /// Firms headquartered in the targets are covered wherever they buy (their clouds' regions
        /// abroad).
        headquartered: bool,
        strength: f64,
    },
    /// Targets may receive at most this many H100e a calendar year.
    ImportCap { cap_h100e_per_year: f64 },
    /// The imposers withhold these inputs (by index) from targets outside them at `strength`.
    InputExportControl { inputs: Vec<usize>, strength: f64 },
    /// The imposers' labs' closed weights above `capability_threshold` (log10 FLOP) are protected from
    /// targets at `strength`; their open releases above `open_release_cap` are withheld from them (none
    /// at strength 0).
    WeightsExportControl {
        capability_threshold: f64,
        open_release_cap: f64,
        strength: f64,
    },
    /// The `providers` (by provider) refuse targets' labs training on more than
    /// `training_threshold_h100e` a month, at `strength`.
    CloudKyc {
        providers: Vec<bool>,
        training_threshold_h100e: f64,
        strength: f64,
    },
    /// The `providers` (by provider) are closed in the target nations.
    CloudBan { providers: Vec<bool> },
    /// Third countries — nations on no `sanctioned` bloc's side — are penalised at `strength` for using
    /// the sanctioned blocs' providers and chips.
    SecondarySanctions {
        sanctioned: Vec<bool>,
        strength: f64,
    },
    /// The imposers close the `closed_blocs`' providers (by bloc) in their own nations and withhold
    /// `inputs` from targets at `strength`.
    Reciprocity {
        closed_blocs: Vec<bool>,
        inputs: Vec<usize>,
        strength: f64,
    },
    /// The target nations' indigenous fabs invest at `strength`.
    IndigenousPush { strength: f64 },
    /// The `listed` classes are closed to the targets' buyers at `strength`, by their own government.
    PurchaseDiscouragement { listed: Vec<bool>, strength: f64 },
    /// Licensed sales of the `listed` classes to the targets pay `revenue_share` of their price to the
    /// imposers' governments.
    LicenceFee {
        listed: Vec<bool>,
        revenue_share: f64,
    },
}

impl Measure {
    /// The measure of a (validated) policy, its ids resolved against the world.
    pub fn of(policy: &Policy, index: &WorldIndex) -> Measure {
        let strength = policy.strength();
        let inputs = || -> Vec<usize> {
            policy
                .inputs
                .iter()
                .filter_map(|id| index.input_index.get(id).copied())
                .collect()
        };
        let all_or_nothing = |mask: Vec<bool>| -> Vec<bool> {
            if strength > 0.0 {
                mask
            } else {
                vec![false; mask.len()]
            }
        };
        let listed = || -> Vec<bool> {
            (0..index.chip_ids.len())
                .map(|c| {
                    policy.chips.contains(&index.chip_ids[c])
                        || policy
                            .h100e_threshold
                            .is_some_and(|h| index.chip_h100e[c] >= h)
                })
                .collect()
        };
        match policy.kind {
            PolicyKind::ChipExportControl => Measure::ChipExportControl {
                listed: listed(),
                foreign_direct_product: policy.foreign_direct_product.unwrap_or(false),
                headquartered: policy.headquartered.unwrap_or(false),
                strength,
            },
            PolicyKind::ImportCap => Measure::ImportCap {
                cap_h100e_per_year: policy.cap_h100e_per_year.unwrap_or(f64::INFINITY),
            },
            PolicyKind::InputExportControl => Measure::InputExportControl {
                inputs: inputs(),
                strength,
            },
            PolicyKind::WeightsExportControl => Measure::WeightsExportControl {
                capability_threshold: policy.capability_threshold.unwrap_or(0.0),
                open_release_cap: match policy.open_release_cap {
                    Some(cap) if strength > 0.0 => cap,
                    _ => f64::INFINITY,
                },
                strength,
            },
            PolicyKind::CloudKyc => Measure::CloudKyc {
                providers: index.providers_named(&policy.providers),
                training_threshold_h100e: policy.training_threshold_h100e.unwrap_or(0.0),
                strength,
            },
            PolicyKind::CloudBan => Measure::CloudBan {
                providers: all_or_nothing(index.providers_named(&policy.providers)),
            },
            PolicyKind::SecondarySanctions => Measure::SecondarySanctions {
                sanctioned: index.blocs_named(&policy.targets),
                strength,
            },
            PolicyKind::Reciprocity => Measure::Reciprocity {
                closed_blocs: if policy.close_providers.unwrap_or(true) {
                    all_or_nothing(index.blocs_named(&policy.targets))
                } else {
                    vec![false; index.blocs()]
                },
                inputs: inputs(),
                strength,
            },
            PolicyKind::IndigenousPush => Measure::IndigenousPush { strength },
            PolicyKind::PurchaseDiscouragement => Measure::PurchaseDiscouragement {
                listed: listed(),
                strength,
            },
            PolicyKind::LicenceFee => Measure::LicenceFee {
                listed: listed(),
                revenue_share: policy.revenue_share.unwrap_or(0.0),
            },
        }
    }
}

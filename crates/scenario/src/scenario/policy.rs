//! `[[policy]]`: the kinds of policy and the keys each takes, declared once.
//!
//! [`policy_kinds!`] declares every kind with its name in files, its words, the keys it needs and the
//! keys it may take; validation reads the declaration (a key that is not one of its kind's is an error
//! naming it, reported with the other problems in one pass), and `measure.rs` converts a checked policy
//! into the typed measure the model obeys. [`policy_keys!`] declares the keys themselves, once, as the
//! fields of [`Policy`]: every key is optional in the file, so that "set" is a property of the value
//! (a list that is not empty, an option that is some) and no kind can take a key by default.

use crate::month::YearMonth;
use serde::{Deserialize, Serialize};

/// Whether a policy key was written: a list with entries, an option with a value.
pub trait KeyValue {
    fn is_set(&self) -> bool;
}

impl<T> KeyValue for Vec<T> {
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl<T> KeyValue for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

/// Declares the kinds of policy: for each, its variant, its name in files, its words, the keys it
/// needs and the keys it may take (besides `name`, `kind`, `start` and `end`, which every kind takes).
macro_rules! policy_kinds {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident = $name:literal, $label:literal {
            needs: [$($needs:ident),* $(,)?],
            takes: [$($takes:ident),* $(,)?] $(,)?
        }
    )*) => {
        /// The kinds of `[[policy]]` (MODEL.md's table).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum PolicyKind {
            $( $(#[doc = $doc])* $kind, )*
        }

        impl PolicyKind {
            pub const ALL: &'static [PolicyKind] = &[$(PolicyKind::$kind),*];

            /// The kind as files name it: `cloud_ban`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( PolicyKind::$kind => $name, )*
                }
            }

            /// The kind in words, for event details and reports: `cloud ban`.
            pub fn label(self) -> &'static str {
                match self {
                    $( PolicyKind::$kind => $label, )*
                }
            }

            /// The keys a policy of this kind must have.
            pub fn needs(self) -> &'static [&'static str] {
                match self {
                    $( PolicyKind::$kind => &[$(stringify!($needs)),*], )*
                }
            }

            /// The keys a policy of this kind may have besides those it needs.
            pub fn takes(self) -> &'static [&'static str] {
                match self {
                    $( PolicyKind::$kind => &[$(stringify!($takes)),*], )*
                }
            }

            /// Whether the kind takes `strength` (0 does nothing, 1 is the measure in full).
            pub fn takes_strength(self) -> bool {
                self.takes().contains(&"strength") || self.needs().contains(&"strength")
            }
        }
    };
}

/// Declares [`Policy`]: `name`, `kind`, `start` and `end`, then the keys kinds need or take, each
/// optional in the file; and the list of keys written in a policy.
macro_rules! policy_keys {
    ($( $(#[doc = $doc:literal])* $key:ident : $ty:ty ),* $(,)?) => {
        /// `[[policy]]`: a rule in force from `start` to `end`. Which keys a kind needs and takes is
        /// [`PolicyKind::needs`] and [`PolicyKind::takes`], checked by validation.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Policy {
            /// Unique name; default `policy-N`. Used by `remove` and by `--set policy.NAME.strength=…`.
            #[serde(default)]
            pub name: String,
            pub kind: PolicyKind,
            /// Default: the scenario start.
            #[serde(default)]
            pub start: Option<YearMonth>,
            /// Last month in force; none = to the end.
            #[serde(default)]
            pub end: Option<YearMonth>,
            $( $(#[doc = $doc])* #[serde(default)] pub $key: $ty, )*
        }

        /// Every key a kind may need or take, in declaration order.
        pub const POLICY_KEYS: &[&str] = &[$(stringify!($key)),*];

        impl Policy {
            /// The keys written in this policy (of those kinds need or take), in declaration order.
            pub fn keys_set(&self) -> Vec<&'static str> {
                let mut set = Vec::new();
                $( if KeyValue::is_set(&self.$key) { set.push(stringify!($key)); } )*
                set
            }
        }
    };
}

policy_kinds! {
    /// Sales of chip classes (listed, or at least `h100e_threshold` H100e a unit) that the imposers
    /// have jurisdiction over are blocked to targets at `strength`.
    ChipExportControl = "chip_export_control", "chip export control" {
        needs: [by, targets],
        takes: [strength, chips, h100e_threshold, foreign_direct_product, headquartered],
    }
    /// Targets may receive at most `cap_h100e_per_year` H100e a calendar year.
    ImportCap = "import_cap", "import cap" {
        needs: [targets, cap_h100e_per_year],
        takes: [by],
    }
    /// The imposers withhold `inputs` from targets at `strength`.
    InputExportControl = "input_export_control", "input export control" {
        needs: [by, targets, inputs],
        takes: [strength],
    }
    /// The imposers' closed weights above `capability_threshold` are protected from targets at
    /// `strength`; with `open_release_cap`, their open releases above it are withheld too.
    WeightsExportControl = "weights_export_control", "weights export control" {
        needs: [by, targets],
        takes: [strength, capability_threshold, open_release_cap],
    }
    /// The providers refuse large training by targets' labs at `strength`.
    CloudKyc = "cloud_kyc", "cloud KYC rule" {
        needs: [providers, targets, training_threshold_h100e],
        takes: [by, strength],
    }
    /// The providers are closed in the target nations (all or nothing: strength 0 closes none).
    CloudBan = "cloud_ban", "cloud ban" {
        needs: [providers, targets],
        takes: [by, strength],
    }
    /// Third countries are penalised at `strength` for using the target blocs' providers and chips.
    SecondarySanctions = "secondary_sanctions", "secondary sanctions" {
        needs: [by, targets],
        takes: [strength],
    }
    /// The imposers close the target blocs' providers in their own nations and withhold `inputs`.
    Reciprocity = "reciprocity", "reciprocity" {
        needs: [by, targets],
        takes: [strength, inputs, close_providers],
    }
    /// The target nations' indigenous fabs invest at `strength`.
    IndigenousPush = "indigenous_push", "indigenous push" {
        needs: [targets],
        takes: [by, strength],
    }
    /// The targets' governments discourage their buyers from the listed chip classes (named, or at
    /// least `h100e_threshold` H100e a unit): at `strength` that share of them is closed to buyers there,
    /// as an export control closes it but from the buyer's side (no smuggler brings what its own
    /// government forbids) — Beijing's guidance against the H20 from August 2025.
    PurchaseDiscouragement = "purchase_discouragement", "purchase discouragement" {
        needs: [targets],
        takes: [by, strength, chips, h100e_threshold],
    }
    /// Sales of the listed chip classes to the targets that the imposers license pay `revenue_share`
    /// of their price to the imposers' governments, out of the seller's receipts (the 15 % of H20 sales
    /// from August 2025, the 25 % of H200 sales from December 2025).
    LicenceFee = "licence_fee", "licence fee" {
        needs: [by, targets, revenue_share],
        takes: [chips, h100e_threshold],
    }
}

policy_keys! {
    /// 0 to 1; default 1. What it scales is the kind's (README, "Policies").
    strength: Option<f64>,
    /// Who imposes it: nations, coalitions or blocs.
    by: Vec<String>,
    /// On whom: nations, coalitions or blocs (a bloc means the nations on its side that month).
    targets: Vec<String>,
    /// Chip classes controlled (with or instead of `h100e_threshold`).
    chips: Vec<String>,
    /// Chip classes with at least this many H100e per unit are controlled.
    h100e_threshold: Option<f64>,
    /// Foreign-direct-product reach: chips made in the imposers' fabs are controlled too, whoever
    /// designed them.
    foreign_direct_product: Option<bool>,
    /// Firms headquartered in a target nation are covered wherever they buy: their cloud regions abroad
    /// may not buy the controlled chips either (the October 2023 rule).
    headquartered: Option<bool>,
    /// `import_cap`: H100e a target nation may receive per year.
    cap_h100e_per_year: Option<f64>,
    /// Inputs withheld (`input_export_control`, `reciprocity`).
    inputs: Vec<String>,
    /// Providers (or blocs, meaning all their providers) concerned (`cloud_kyc`, `cloud_ban`).
    providers: Vec<String>,
    /// `cloud_kyc`: a lab training on more H100e than this in a month is refused.
    training_threshold_h100e: Option<f64>,
    /// `weights_export_control`: the closed weights it protects are those of models above this
    /// capability (log10 FLOP; the AI Diffusion Rule's 1e26 operations is 26); default: all.
    capability_threshold: Option<f64>,
    /// `weights_export_control`: open releases above this capability (log10 FLOP) are withheld from
    /// targets too; default: open releases are not covered (ECCN 4E091 exempted published weights).
    open_release_cap: Option<f64>,
    /// `reciprocity`: whether the imposer's providers are closed in the retaliating nations (default
    /// true).
    close_providers: Option<bool>,
    /// `licence_fee`: the share of a licensed sale's price paid to the imposers' governments (0 to 1).
    revenue_share: Option<f64>,
}

impl Policy {
    /// The policy's strength: 1 when the file gives none.
    pub fn strength(&self) -> f64 {
        self.strength.unwrap_or(1.0)
    }

    /// The policy as readers meet it in event details and reports: its kind in words and its name
    /// (`cloud ban “board-ban-alibaba-cloud”`). Validation gives every policy a name (`policy-N` when
    /// the file gives none).
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            self.kind.label().to_string()
        } else {
            format!("{} \u{201c}{}\u{201d}", self.kind.label(), self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_a_kind_names_is_a_key_of_a_policy_and_every_key_belongs_to_a_kind() {
        let mut used = std::collections::HashSet::new();
        for &kind in PolicyKind::ALL {
            for key in kind.needs().iter().chain(kind.takes()) {
                assert!(POLICY_KEYS.contains(key), "{}: `{key}`", kind.as_str());
                assert!(
                    !(kind.needs().contains(key) && kind.takes().contains(key)),
                    "{}: `{key}` both needed and taken",
                    kind.as_str()
                );
                used.insert(*key);
            }
        }
        for key in POLICY_KEYS {
            assert!(used.contains(key), "`{key}` belongs to no kind");
        }
    }

    #[test]
    fn the_keys_set_are_the_keys_written() {
        let p: Policy = toml::from_str(
            "kind = \"cloud_ban\"\nproviders = [\"aws\"]\ntargets = [\"KE\"]\nstrength = 0.5",
        )
        .unwrap();
        assert_eq!(p.keys_set(), vec!["strength", "targets", "providers"]);
        let bare: Policy = toml::from_str("kind = \"import_cap\"").unwrap();
        assert!(bare.keys_set().is_empty());
        assert_eq!(bare.strength(), 1.0, "strength defaults to 1");
        assert!(!PolicyKind::ImportCap.takes_strength());
        assert!(PolicyKind::CloudKyc.takes_strength());
    }
}

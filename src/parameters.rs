//! The model's tunable numbers (`[parameters]` in a scenario): one place with each name, default and meaning.
//!
//! Every number a system uses comes from here or from the world's entities, never from a literal in the
//! system, so that any of them can be overridden (`--set parameters.beta=3`) and swept.

use serde::{Deserialize, Serialize};

macro_rules! parameters {
    ($( $(#[doc = $doc:literal])+ $name:ident : $ty:ty = $default:expr, [$unit:literal] ;)+) => {
        /// The scenario's `[parameters]` table; every field has a documented default.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Parameters {
            $( $(#[doc = $doc])+ pub $name: $ty, )+
        }

        impl Default for Parameters {
            fn default() -> Self {
                Parameters { $( $name: $default, )+ }
            }
        }

        /// Name, default, unit and meaning of every parameter, for `fracture parameters` and the model document.
        pub const PARAMETER_DOCS: &[ParameterDoc] = &[
            $( ParameterDoc {
                name: stringify!($name),
                default: stringify!($default),
                unit: $unit,
                doc: concat!($($doc, " "),+),
            }, )+
        ];
    };
}

/// One row of the parameter reference.
#[derive(Clone, Copy, Debug)]
pub struct ParameterDoc {
    pub name: &'static str,
    pub default: &'static str,
    pub unit: &'static str,
    pub doc: &'static str,
}

parameters! {
    // --- compute market ---
    /// Price sensitivity of the logit split of a lab's demand over providers (higher: cheaper provider wins more).
    beta: f64 = 2.0, ["1"];
    /// Weight of a provider's free capacity (log) in the logit attraction: a large cloud draws more demand than a small one at the same price.
    capacity_weight: f64 = 1.0, ["1"];
    /// Price mark-up for using a provider of a bloc the lab's nation is not aligned with, scaled by (1 - alignment weight toward that bloc).
    bloc_friction: f64 = 0.3, ["share of price"];
    /// Rounds in which demand left unmet by pro-rata rationing is re-offered to providers with capacity left.
    reoffer_rounds: u32 = 3, ["rounds"];
    /// Risk premium on a provider under secondary sanctions, for third-country users, at policy strength 1.
    sanction_premium: f64 = 0.5, ["share of price"];
    /// Monthly probability that a lab refused large training by KYC gets through with shell companies.
    kyc_evasion_rate: f64 = 0.05, ["per lab-month"];
    /// Probability that a KYC evasion is detected (an event; the lab keeps the compute this month).
    kyc_detection_rate: f64 = 0.3, ["per evasion"];
    /// Months a lab waits, with every contracted provider shut to it, before it drops its contracts and
    /// buys from any provider it may use.
    switching_months: u32 = 6, ["months"];
    /// Hours in a month, converting cloud prices per H100e-hour into revenue per H100e-month.
    hours_per_month: f64 = 730.0, ["h"];

    /// Yearly decay of the excess of labs' demand growth over 1: growth `g` in year 0 becomes `1 + (g − 1)(1 − decay)^years`.
    demand_growth_decay: f64 = 0.15, ["per year"];

    // --- capacity and chip trade ---
    /// Service life of an accelerator; a vintage is retired this many months after installation.
    lifetime_months: u32 = 60, ["months"];
    /// Initial stock is spread evenly over this many months before the start, so it retires gradually.
    initial_age_months: u32 = 24, ["months"];
    /// Capacity a buyer plans above its expected demand.
    capacity_margin: f64 = 0.15, ["share"];
    /// How far ahead buyers plan: they buy for demand grown over this many months.
    planning_months: u32 = 6, ["months"];
    /// Price of one H100e of accelerators when turning a capex budget into a purchase cap.
    chip_price_per_h100e: f64 = 25000.0, ["USD"];
    /// Dispersion (sigma of the log) of smuggled volumes around their mean.
    smuggling_sigma: f64 = 0.6, ["1"];
    /// Price premium paid for smuggled chips; the buyer's blocked budget buys 1/(1+premium) as much.
    smuggling_premium: f64 = 0.5, ["share of price"];

    // --- production ---
    /// Months of last month's sales a fab keeps in stock at most; beyond that it produces only what sells.
    max_stock_months: f64 = 1.0, ["months"];
    /// Months for a fab cut off from an input to substitute the lost supply (linear ramp).
    months_to_substitute: u32 = 36, ["months"];
    /// Share of a withheld input that substitution can replace in the end.
    substitution_ceiling: f64 = 0.8, ["share"];
    /// Extra yearly growth of an indigenous fab's capacity target under an `indigenous_push` of strength 1.
    indigenous_push_growth: f64 = 0.5, ["per year"];
    /// Extra yearly growth of an indigenous fab's capacity target while its nation is under chip export controls.
    cutoff_investment_boost: f64 = 0.25, ["per year"];

    // --- research ---
    /// Yearly factor by which algorithmic progress multiplies effective training compute.
    algorithmic_efficiency_per_year: f64 = 3.0, ["x per year"];
    /// Training FLOP delivered by one H100e for a month (989 TFLOP/s dense BF16 at 40 % utilisation, 730 h).
    flop_per_h100e_month: f64 = 1.04e21, ["FLOP"];
    /// Length of a training run at the start: a lab's run is its effective training compute over this many
    /// months.
    training_run_months: u32 = 4, ["months"];
    /// Yearly factor by which training runs lengthen (Epoch AI: frontier runs ≈ 1.4× longer each year).
    run_length_growth: f64 = 1.4, ["x per year"];
    /// The longest a training run gets: beyond it, waiting for better chips and algorithms beats training on
    /// (Epoch AI's estimate of the optimal maximum, ≈ 9 months).
    max_run_months: u32 = 9, ["months"];
    /// Capability (orders of magnitude) an adopted open-weight model trails its release.
    open_lag: f64 = 0.5, ["OOM"];
    /// Monthly probability that an extraction-capable lab attempts to extract a rival bloc's frontier model.
    lambda: f64 = 0.05, ["per lab-month"];
    /// Probability that an extraction attempt succeeds.
    extraction_success: f64 = 0.5, ["per attempt"];
    /// A successful extraction lifts capability to the target's minus this gap.
    extraction_gap: f64 = 0.5, ["OOM"];
    /// Probability that an extraction attempt is detected, emitting `theft_detected`.
    p_detect: f64 = 0.3, ["per attempt"];
    /// Monthly rate at which a lab that did not extract is accused anyway (forensic false positive).
    false_positive_rate: f64 = 0.0002, ["per lab-month"];
    /// Share of a weights export control's strength that protects the controlling bloc's closed weights from extraction by targets.
    weights_protection: f64 = 0.8, ["share"];
    /// Frontier growth used for the capability lag in months before a year of history exists.
    reference_frontier_growth: f64 = 1.0, ["OOM per year"];

    // --- alignment ---
    /// Step toward the target alignment each month.
    eta: f64 = 0.02, ["per month"];
    /// Softmax temperature of the target alignment (lower: sharper choice of side).
    tau: f64 = 0.5, ["1"];
    /// Weight of the share of a nation's compute supplied by a bloc.
    w_access: f64 = 1.0, ["1"];
    /// Weight of a nation's trade share with a bloc.
    w_trade: f64 = 1.0, ["1"];
    /// Weight of the current alignment (inertia).
    w_prior: f64 = 1.0, ["1"];
    /// Weight of the secondary-sanction penalty on a bloc whose sanctioned providers a nation uses.
    w_sanction: f64 = 1.0, ["1"];
    /// Scale of the Gumbel noise on each bloc's utility.
    alignment_noise: f64 = 0.02, ["1"];

    // --- metrics ---
    /// Share of last month's compute a lab must lose to a policy to count as stranded.
    stranded_loss: f64 = 0.5, ["share"];
}

impl Parameters {
    /// How many months a training run lasts in month `t`: `training_run_months`, lengthening by
    /// `run_length_growth` a year up to `max_run_months`. Fractional: the oldest month counts in part.
    pub fn run_length(&self, t: u32) -> f64 {
        (self.training_run_months as f64 * self.run_length_growth.powf(t as f64 / 12.0))
            .min(self.max_run_months as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_lengthen_until_the_longest_worth_training() {
        let p = Parameters::default();
        assert_eq!(p.run_length(0), 4.0);
        assert!((p.run_length(12) - 5.6).abs() < 1e-12);
        assert_eq!(p.run_length(120), 9.0);
    }

    #[test]
    fn docs_cover_every_parameter_and_defaults_round_trip() {
        let json = serde_json::to_value(Parameters::default()).unwrap();
        let fields = json.as_object().unwrap();
        assert_eq!(fields.len(), PARAMETER_DOCS.len());
        for doc in PARAMETER_DOCS {
            assert!(fields.contains_key(doc.name), "{}", doc.name);
            assert!(!doc.doc.trim().is_empty());
        }
    }
}

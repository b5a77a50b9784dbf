//! The model's tunable numbers (`[parameters]` in a scenario): one place with each name, default and meaning.
//!
//! Every number a system uses comes from here or from the world's entities, never from a literal in the
//! system, so that any of them can be overridden (`--set parameters.beta=3`) and swept.

use serde::{Deserialize, Serialize};

macro_rules! parameters {
    ($( $(#[doc = $doc:literal])+ $name:ident : $ty:ty = $default:expr, [$unit:literal], $min:literal ..= $max:literal ;)+) => {
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
                doc: concat!($($doc),+),
                min: $min,
                max: $max,
            }, )+
        ];

        impl Parameters {
            /// A parameter's value by name, as a number (`None` for no such parameter).
            pub fn value_of(&self, name: &str) -> Option<f64> {
                match name {
                    $( stringify!($name) => Some(self.$name as f64), )+
                    _ => None,
                }
            }
        }
    };
}

/// One row of the parameter reference.
#[derive(Clone, Copy, Debug)]
pub struct ParameterDoc {
    pub name: &'static str,
    pub default: &'static str,
    pub unit: &'static str,
    pub doc: &'static str,
    /// The range the model is built and tested for (`tests/parameter_bounds.rs` runs it at both ends):
    /// a value outside is an error that names it.
    pub min: f64,
    pub max: f64,
}

parameters! {
    // --- compute market: choice ---
    /// Price sensitivity of the logit split of a lab's demand over providers (higher: cheaper provider wins more).
    beta: f64 = 2.0, ["1"], 0.0..=20.0;
    /// Weight of a provider's free capacity (log) in the logit attraction: a large cloud draws more demand than a small one at the same price.
    capacity_weight: f64 = 1.0, ["1"], 0.0..=10.0;
    /// Reluctance to use a provider of a bloc the lab's nation is not aligned with, as a mark-up on the
    /// price its choice sees (paid to no one), scaled by (1 - alignment weight toward that bloc).
    bloc_friction: f64 = 0.3, ["share of price"], 0.0..=2.0;
    /// Rounds in which demand left unmet by pro-rata rationing is re-offered to providers with capacity left.
    reoffer_rounds: u32 = 3, ["rounds"], 0.0..=100.0;
    /// Risk premium third-country users see on a provider (or chips) under secondary sanctions at policy
    /// strength 1: it weighs in their choice, and is paid to no one.
    sanction_premium: f64 = 0.5, ["share of price"], 0.0..=5.0;
    /// Monthly probability that a lab refused large training by KYC gets through with shell companies.
    kyc_evasion_rate: f64 = 0.05, ["per lab-month"], 0.0..=1.0;
    /// Probability that a KYC evasion is detected (an event; the lab keeps the compute this month).
    kyc_detection_rate: f64 = 0.3, ["per evasion"], 0.0..=1.0;
    /// Months a lab waits, with every contracted provider shut to it, before it drops its contracts and
    /// buys from any provider it may use.
    switching_months: u32 = 6, ["months"], 0.0..=120.0;
    /// Discount off the list price a lab with provider contracts pays its contracted providers (committed-use
    /// discounts, start-up credits); it is lost with the contracts.
    contract_discount: f64 = 0.3, ["share of price"], 0.0..=0.9;
    /// Term of a provider contract: at each renewal the lab compares what its contracted providers cost
    /// (with the discount) with what the open market costs it, and leaves if the market is cheaper.
    contract_months: u32 = 36, ["months"], 1.0..=120.0;
    /// Share of a lab's own-cluster money that rents cloud compute the same month when it could not buy
    /// chips (rationed, blocked by controls, short of power); the rest is left unspent. Chinese firms
    /// rented abroad in 2025 while Tencent spent less than it planned for want of chips.
    rent_when_short: f64 = 0.5, ["share"], 0.0..=1.0;
    /// Hours in a month, converting cloud prices per H100e-hour into revenue per H100e-month.
    hours_per_month: f64 = 730.0, ["h"], 1.0..=744.0;

    // --- compute market: prices ---
    /// Exponent of the price step on requested over available capacity, `(R/K)^eta` (≤ 1/beta keeps the step a contraction).
    price_eta: f64 = 0.4, ["1"], 0.001..=2.0;
    /// Price steps taken each month on the month's demand (a fixed number: no early exit, so runs are deterministic and cost the same).
    price_iterations: u32 = 4, ["1"], 1.0..=50.0;
    /// Largest move of a cloud price in one month, up or down (×(1 + step) or ÷(1 + step)).
    price_step_max: f64 = 0.10, ["per month"], 0.0..=1.0;
    /// Largest move of a cloud price in one of the month's price steps.
    price_step_iteration: f64 = 0.05, ["per step"], 0.0..=1.0;
    /// Highest cloud price as a multiple of the user cost of compute at the trend chip price (so that a
    /// glut of chips does not cap what scarce datacentre capacity can earn).
    price_cap_ratio: f64 = 3.0, ["x user cost"], 1.0..=100.0;
    /// Cost of capital in the user cost of compute.
    cost_of_capital: f64 = 0.10, ["per year"], 0.0..=1.0;
    /// Utilisation at which a provider's price covers its costs (the user cost's denominator).
    utilisation: f64 = 0.7, ["share"], 0.01..=1.0;
    /// Utilisation (a year's moving mean) below which a provider prices its idle capacity down toward
    /// what running it costs: the capital charge in its price's floor is scaled by that utilisation over
    /// this share. 0 (the default): never, every floor is the full cost.
    idle_utilisation: f64 = 0.5, ["share"], 0.0..=1.0;
    /// Price of electricity for datacentres.
    electricity_usd_kwh: f64 = 0.068, ["USD/kWh"], 0.0..=1.0;
    /// Cost of a datacentre's building, power and cooling per watt of facility power, without the IT.
    facility_usd_per_w: f64 = 10.0, ["USD/W"], 0.0..=100.0;
    /// Life of a datacentre building, over which its cost is spread.
    facility_life_months: u32 = 180, ["months"], 1.0..=600.0;

    // --- budgets ---
    /// Yearly decay of the excess of a lab's budget growth over `gdp_growth`.
    budget_growth_decay: f64 = 0.3, ["per year"], 0.0..=1.0;
    /// Share of a nation's GDP its labs' AI budgets approach at most: growth falls as `1 − (share/ceiling)^exponent`.
    budget_gdp_ceiling: f64 = 0.03, ["share of GDP"], 0.0001..=1.0;
    /// Exponent of the budget ceiling: higher bites later and harder.
    budget_ceiling_exponent: f64 = 4.0, ["1"], 0.01..=20.0;
    /// Yearly growth of every nation's GDP, and the long-run growth of AI budgets.
    gdp_growth: f64 = 0.03, ["per year"], -0.5..=0.5;

    // --- chips: market ---
    /// Price of one H100e of new accelerators at the start (before the market's mark-up).
    chip_price_per_h100e: f64 = 25000.0, ["USD"], 100.0..=10000000.0;
    /// Yearly fall of the trend price of an H100e of accelerators (price-performance).
    price_performance: f64 = 0.30, ["per year"], 0.0..=0.9;
    /// Lowest mark-up of a chip market over the trend price.
    chip_markup_min: f64 = 0.3, ["x trend"], 0.01..=1.0;
    /// Highest mark-up of a chip market over the trend price.
    chip_markup_max: f64 = 2.0, ["x trend"], 1.5..=100.0;
    /// Exponent of the mark-up step on money offered over supply at the posted price.
    chip_eta: f64 = 0.5, ["1"], 0.001..=5.0;
    /// Price sensitivity of chip buyers' choice among the classes they may buy (logit on the effective
    /// price per H100e; higher: the cheaper market wins more).
    chip_beta: f64 = 3.0, ["1"], 0.0..=20.0;
    /// Rounds in which chip buyers' money left is offered again to the stock left.
    chip_sale_rounds: u32 = 3, ["rounds"], 1.0..=20.0;
    /// Largest monthly move of a chip market's mark-up.
    chip_step_max: f64 = 0.10, ["per month"], 0.0..=1.0;
    /// Pull of a cleared chip market's mark-up back toward normal margins (1): the exponent of `m^−ρ` in
    /// its monthly step (0.05: most of the way back in about two years).
    chip_markup_reversion: f64 = 0.05, ["per month"], 0.0..=1.0;
    /// Share of a buyer's blocked money, less what it paid smugglers, that it spends on the classes open
    /// to it in the same month; the rest is left unspent (a lab that wanted a controlled accelerator does
    /// not switch its whole order at once: new software stack, qualification, allocation).
    blocked_substitution: f64 = 0.7, ["share"], 0.0..=1.0;
    /// Dispersion (sigma of the log) of smuggled volumes around their mean.
    smuggling_sigma: f64 = 0.6, ["1"], 0.0..=3.0;
    /// Smugglers' margin: blocked buyers pay them `1 + premium` times the market price of what they
    /// deliver (the grey market's ≈ 50 % over list, FT 2025).
    smuggling_premium: f64 = 0.5, ["share of price"], 0.0..=10.0;

    // --- chips: supply ---
    /// Months of recent sales (an exponential average) a fab keeps in stock at most; beyond that it produces only what sells.
    max_stock_months: f64 = 1.0, ["months"], 0.01..=24.0;
    /// Months over which fabs average their recent sales: each month the average moves this fraction's
    /// inverse of the way to the month's sales (an exponential average).
    fab_sales_memory_months: f64 = 3.0, ["months"], 1.0..=24.0;
    /// Months over which a fab closes the gap between its stock and `max_stock_months` of sales, so that
    /// output does not swing between full and nothing when capacity exceeds sales.
    stock_correction_months: f64 = 3.0, ["months"], 1.0..=24.0;
    /// Most a fab cuts its output in a month for want of sales (wafer starts are planned about a quarter
    /// ahead).
    output_cut_max: f64 = 0.2, ["per month"], 0.0..=1.0;
    /// Elasticity of a fab's planned capacity growth to its market's mark-up.
    fab_margin_elasticity: f64 = 1.0, ["1"], 0.0..=5.0;
    /// Fastest yearly growth of a fab's wafer capacity.
    fab_growth_max: f64 = 1.0, ["per year"], 0.0..=5.0;
    /// Months from deciding new wafer capacity to producing with it.
    fab_lead_months: u32 = 24, ["months"], 0.0..=120.0;
    /// Fastest yearly growth of a line's advanced packaging.
    packaging_growth_max: f64 = 1.0, ["per year"], 0.0..=5.0;
    /// Months from deciding new packaging capacity to using it.
    packaging_lead_months: u32 = 12, ["months"], 0.0..=120.0;
    /// H100e packaged per advanced-packaging wafer at the start; it grows with price-performance.
    h100e_per_cowos_wafer: f64 = 15.0, ["H100e"], 0.1..=1000.0;
    /// A fab draws on its bank of dies at most this many months' worth of what is left a month, so the bank
    /// runs down smoothly rather than to a cliff.
    die_bank_months: f64 = 36.0, ["months"], 1.0..=600.0;
    /// A nation draws on its stockpile of a memory input (China's HBM) at most this many months' worth of
    /// what is left a month: stockpiles run down smoothly, and memory binds as they do.
    stockpile_months: f64 = 24.0, ["months"], 1.0..=600.0;
    /// Months for a fab cut off from an input to substitute the lost supply (linear ramp from the control's start).
    months_to_substitute: u32 = 36, ["months"], 1.0..=600.0;
    /// Share of a withheld input that substitution can replace in the end.
    substitution_ceiling: f64 = 0.8, ["share"], 0.0..=1.0;
    /// Extra yearly growth of an indigenous fab's capacity under an `indigenous_push` of strength 1.
    indigenous_push_growth: f64 = 0.5, ["per year"], 0.0..=5.0;
    /// Extra yearly growth of an indigenous fab's capacity while its nation is under chip export controls.
    cutoff_investment_boost: f64 = 0.25, ["per year"], 0.0..=5.0;

    // --- providers' investment ---
    /// Elasticity of a provider's capex to its return on capacity (price × utilisation over user cost), relative to the start.
    capex_q_elasticity: f64 = 1.0, ["1"], 0.0..=5.0;
    /// Fastest yearly growth of a provider's capex.
    capex_growth_max: f64 = 1.0, ["per year"], 0.0..=5.0;
    /// Bound on the return-on-capacity factor of a provider's capex: it stays within [1/this, this].
    capex_margin_max: f64 = 2.0, ["ratio"], 1.0..=10.0;
    /// Each open region of a provider draws its capex in proportion to its capacity plus this share of
    /// the provider's mean region, so that a provider can grow where it is new or small.
    new_region_weight: f64 = 0.05, ["share"], 0.001..=1.0;

    // --- capacity and power ---
    /// Service life of an accelerator; a vintage is retired this many months after installation.
    lifetime_months: u32 = 60, ["months"], 1.0..=600.0;
    /// Initial stock is spread evenly over this many months before the start, so it retires gradually.
    initial_age_months: u32 = 24, ["months"], 0.0..=600.0;
    /// Facility power per H100e of the chips installed at the start (700 W H100 × 1.82 server overhead × PUE 1.1).
    watts_per_h100e: f64 = 1400.0, ["W"], 10.0..=100000.0;
    /// Yearly gain in H100e per watt of newly installed chips.
    efficiency_gain: f64 = 0.4, ["per year"], 0.0..=0.9;
    /// Months from ordering datacentre power to using it.
    dc_lead_months: u32 = 24, ["months"], 1.0..=120.0;
    /// Utilisation of a nation's AI power above which more is ordered.
    power_order_threshold: f64 = 0.9, ["share"], 0.1..=1.0;
    /// Most power a nation orders in a year beyond its build path, as a share of its capacity (grid
    /// connections, turbines and transformers take time whoever pays).
    power_order_max: f64 = 0.3, ["per year"], 0.0..=5.0;
    /// Months over which builders average the growth of the power their chip buyers plan (a geometric
    /// average: each month weighs one of this many).
    power_trend_months: f64 = 12.0, ["months"], 1.0..=120.0;
    /// Most one month's planned growth may move the builders' average, up or down (a ban or a new chip
    /// generation does not drive the power ordered).
    power_trend_step_max: f64 = 0.1, ["per month"], 0.0..=1.0;
    /// Power of a nation without `power_gw`: what its chips draw at the start, times (1 + this).
    default_power_headroom: f64 = 0.5, ["share"], 0.0..=10.0;
    /// Yearly build of a nation without `power_build_gw_yr`, as a share of its starting power.
    default_power_build: f64 = 0.25, ["per year"], 0.0..=5.0;

    // --- research ---
    /// Yearly factor by which algorithmic progress multiplies effective training compute.
    algorithmic_efficiency_per_year: f64 = 3.0, ["x per year"], 1.0..=100.0;
    /// Training FLOP delivered by one H100e for a month (989 TFLOP/s dense BF16 at 40 % utilisation, 730 h).
    flop_per_h100e_month: f64 = 1.04e21, ["FLOP"], 1e18..=1e24;
    /// Length of a training run at the start: a lab's run is its effective training compute over this many
    /// months.
    training_run_months: u32 = 4, ["months"], 1.0..=120.0;
    /// Yearly factor by which training runs lengthen (Epoch AI: frontier runs ≈ 1.4× longer each year).
    run_length_growth: f64 = 1.4, ["x per year"], 1.0..=10.0;
    /// The longest a training run gets: beyond it, waiting for better chips and algorithms beats training on
    /// (Epoch AI's estimate of the optimal maximum, ≈ 9 months).
    max_run_months: u32 = 9, ["months"], 1.0..=120.0;
    /// Share of a lab's training compute that goes into its largest run (the rest: experiments and smaller
    /// runs; Epoch AI finds final runs a small part of frontier labs' R&D compute).
    run_share: f64 = 0.3, ["share"], 0.01..=1.0;
    /// Capability (orders of magnitude) an adopted open-weight model trails its release.
    open_lag: f64 = 0.5, ["OOM"], 0.0..=10.0;
    /// How far above its own largest run a lab can reach by adopting or distilling others' models: it
    /// needs compute of its own to use them.
    absorption_reach: f64 = 0.5, ["OOM"], 0.0..=10.0;
    /// Monthly probability that an extraction-capable lab attempts to extract a rival bloc's frontier model.
    lambda: f64 = 0.05, ["per lab-month"], 0.0..=1.0;
    /// Probability that an extraction attempt succeeds.
    extraction_success: f64 = 0.5, ["per attempt"], 0.0..=1.0;
    /// A successful extraction lifts capability to the target's minus this gap.
    extraction_gap: f64 = 0.5, ["OOM"], 0.0..=10.0;
    /// Probability that an extraction attempt is detected, emitting `theft_detected`.
    p_detect: f64 = 0.3, ["per attempt"], 0.0..=1.0;
    /// Monthly rate at which a lab that did not extract is accused anyway (forensic false positive).
    false_positive_rate: f64 = 0.0002, ["per lab-month"], 0.0..=1.0;
    /// Share of a weights export control's strength that protects the controlling bloc's closed weights from extraction by targets.
    weights_protection: f64 = 0.8, ["share"], 0.0..=1.0;
    /// Frontier growth used for the capability lag in months before a year of history exists.
    reference_frontier_growth: f64 = 1.0, ["OOM per year"], 0.01..=10.0;

    // --- policy ---
    /// Share of one of an accused lab's market segments a foreign cloud must have served last month for
    /// the lab to rely on it (a trigger's `$provider`): a lab that used another bloc's cloud only in
    /// passing is not its customer.
    reliance_share: f64 = 0.25, ["share"], 0.0..=1.0;

    // --- alignment ---
    /// Step toward the target alignment each month.
    eta: f64 = 0.02, ["per month"], 0.0..=1.0;
    /// Softmax temperature of the target alignment (lower: sharper choice of side).
    tau: f64 = 0.5, ["1"], 0.01..=10.0;
    /// Weight of the share of a nation's compute supplied by a bloc beyond the world's share (its change
    /// since the start moves alignment).
    w_access: f64 = 0.5, ["1"], 0.0..=10.0;
    /// Weight of a nation's trade share with a bloc (constant in this model, so it enters only the starting affinity).
    w_trade: f64 = 1.0, ["1"], 0.0..=10.0;
    /// Weight of the current alignment (its change since the start feeds back: the loop gain near an even
    /// split is 2 × w_prior × a(1 − a) / tau, which must stay below 1 for the scenario's alignment to hold).
    w_prior: f64 = 0.5, ["1"], 0.0..=10.0;
    /// Weight of the secondary-sanction penalty on a bloc whose sanctioned providers a nation uses.
    w_sanction: f64 = 1.0, ["1"], 0.0..=10.0;
    /// Scale of the Gumbel noise on each bloc's utility.
    alignment_noise: f64 = 0.02, ["1"], 0.0..=1.0;

    // --- metrics ---
    /// Share of last month's compute a lab must lose to a policy to count as stranded.
    stranded_loss: f64 = 0.5, ["share"], 0.0..=1.0;
}

impl Parameters {
    /// The trend price of an H100e of new accelerators in month `t`, before a market's mark-up.
    pub fn chip_trend_price(&self, t: u32) -> f64 {
        self.chip_price_per_h100e * (1.0 - self.price_performance).powf(t as f64 / 12.0)
    }

    /// Facility watts per H100e of chips installed in month `t` (the initial stock at `watts_per_h100e`).
    pub fn watts_at(&self, t: i32) -> f64 {
        self.watts_per_h100e * (1.0 + self.efficiency_gain).powf(-(t.max(0) as f64) / 12.0)
    }

    /// User cost of an H100e-hour of cloud compute when an H100e of chips costs `chip_price` and draws
    /// `watts`: the chips' and the building's capital ([`Parameters::capital_cost`]) plus electricity
    /// at `electricity_usd_kwh`.
    pub fn user_cost(&self, chip_price: f64, watts: f64) -> f64 {
        self.capital_cost(chip_price, watts) + watts / 1000.0 * self.electricity_usd_kwh
    }

    /// The capital part of an H100e-hour's cost: the chips' (`chip_price` per H100e) and the building's
    /// (`watts` per H100e at `facility_usd_per_w`), at `cost_of_capital` and depreciated over their lives,
    /// spread over the hours used at `utilisation`.
    pub fn capital_cost(&self, chip_price: f64, watts: f64) -> f64 {
        let hours = 12.0 * self.hours_per_month * self.utilisation;
        let chips = chip_price * (self.cost_of_capital + 12.0 / self.lifetime_months as f64);
        let building = watts
            * self.facility_usd_per_w
            * (self.cost_of_capital + 12.0 / self.facility_life_months as f64);
        (chips + building) / hours
    }

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

    /// A year is `12 × hours_per_month` hours wherever the model counts one: half the hours a month,
    /// twice the capital cost of each hour.
    #[test]
    fn a_year_has_the_hours_the_parameter_says() {
        let p = Parameters::default();
        let half = Parameters {
            hours_per_month: p.hours_per_month / 2.0,
            ..p.clone()
        };
        let (a, b) = (
            p.capital_cost(25_000.0, 1400.0),
            half.capital_cost(25_000.0, 1400.0),
        );
        assert!((b / a - 2.0).abs() < 1e-12, "{a} {b}");
    }

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
            // A meaning wrapped over several doc lines reads as one sentence in `fracture parameters`.
            assert!(!doc.doc.contains("  "), "{}: {:?}", doc.name, doc.doc);
        }
    }
}

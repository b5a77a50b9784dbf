//! `manifest.json`: what produced a result — the resolved scenario with every default filled in, its
//! hash, the seed, the program version, the files read, the rows of each table and what was recorded
//! (detail, sample of labs), and the wall time.

use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub program: String,
    pub version: String,
    pub scenario_name: String,
    /// SHA-256 of the resolved scenario's canonical JSON.
    pub scenario_hash: String,
    pub seed: u64,
    pub start: String,
    pub months: u32,
    /// The scenario files read, base first.
    pub files: Vec<String>,
    /// Rows per table.
    pub rows: std::collections::BTreeMap<String, usize>,
    /// Which tables have rows: `full`, `nations` (no lab rows) or `summary` (no lab or usage rows; of the
    /// events only the policies' and triggers'; see `fracture run --detail`).
    #[serde(default)]
    pub detail: String,
    /// What the labs table holds: `per_population` members of each population asked for
    /// (`--lab-sample`; null for every lab), and rows for `labs` of the world's `of` labs each month.
    #[serde(default)]
    pub labs_recorded: crate::tables::LabSample,
    pub wall_time_seconds: f64,
    /// For a story's counterfactual (the `counterfactual/` folder of its run): the story's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterfactual_of: Option<String>,
    /// For a counterfactual: the story's `--set` values it leaves out, which name a policy or trigger
    /// of the story's own that it does not have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets_not_applied: Vec<String>,
    /// For the folder of `run --seeds`: the seeds, each run in its `seed=S/` folder (`seed` is the
    /// first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<u64>,
    pub scenario: Scenario,
}

impl Manifest {
    pub fn new(scenario: &Scenario, seed: u64, files: Vec<String>) -> Self {
        Manifest {
            program: crate::fsutil::PROGRAM.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_name: scenario.scenario.name.clone(),
            scenario_hash: scenario_hash(scenario),
            seed,
            start: scenario.scenario.start.to_string(),
            months: scenario.scenario.months,
            files,
            rows: Default::default(),
            detail: crate::Detail::Full.as_str().into(),
            labs_recorded: Default::default(),
            wall_time_seconds: 0.0,
            counterfactual_of: None,
            sets_not_applied: Vec::new(),
            seeds: Vec::new(),
            scenario: scenario.clone(),
        }
    }
}

/// A stable fingerprint of a resolved scenario (field order is the struct's, maps are sorted).
pub fn scenario_hash(scenario: &Scenario) -> String {
    let json = serde_json::to_vec(scenario).expect("a scenario always serialises");
    let digest = Sha256::digest(&json);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Manifest {
    /// Records the rows of each table and what the run recorded.
    pub fn record(&mut self, outputs: &crate::Outputs, detail: crate::Detail) {
        self.rows = outputs.rows.clone();
        self.detail = detail.as_str().into();
        self.labs_recorded = outputs.sample;
    }
}

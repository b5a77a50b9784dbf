//! Parameter sweeps: many runs of one scenario over a design of parameter values, in parallel, cut into
//! shards that any engine (a laptop, GNU parallel, Slurm job arrays, Kubernetes indexed jobs) can run, and
//! analysed for sensitivity afterwards.
//!
//! - [`spec`]: the sweep file (TOML): base scenario, parameters and their values or distributions, design.
//! - [`check`]: the sweep file's shape, every problem in one pass with its line and column.
//! - [`design`]: the points to run — full grid, random, Latin hypercube, Saltelli (Sobol) and Morris,
//!   or the rows of a file ([`points_file`]) made elsewhere.
//! - [`value`]: a parameter's value at one point.
//! - [`run`]: one run's summary statistics, and running a shard's runs with rayon.
//! - [`dataset`]: the hive-partitioned Parquet dataset, the plan, `_SUCCESS` markers, status and verify.
//! - [`export`]: the inputs and outcomes as one flat table, for scenario discovery (EMA Workbench).
//! - [`analysis`]: Sobol first-order and total indices with bootstrap intervals, Morris μ* and σ, drawn as a
//!   tornado chart; fan charts of the kept time series.
//!
//! The contract with the engines is `shared/DISTRIBUTED.md`: a run's seed depends on the sweep seed and its
//! run_id only ([`run_seed`]), so results do not depend on the shard count or the thread count.

pub mod analysis;
pub mod check;
pub mod dataset;
pub mod design;
pub mod export;
pub mod points_file;
pub mod run;
pub mod spec;
pub mod value;

pub use check::SweepError;
pub use dataset::{Plan, ShardOutcome, ShardStatus};
pub use design::{Design, Layout};
pub use run::{Prepared, RunOptions};
pub use spec::SweepSpec;

/// The seed rule, as recorded in every plan.
pub const SEED_RULE: &str = "seed(run_id) = SplitMix64 output number run_id+1 of the stream seeded with \
the sweep seed: mix(sweep_seed + (run_id+1)·0x9E3779B97F4A7C15)";

/// Bytes (a digest) as lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (Steele, Lea and Flood 2014): a bijective, well-mixed hash of a u64.
pub fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of run `run_id`: a function of the sweep seed and the run id alone, so that it is the same
/// whichever shard, thread or machine runs it.
pub fn run_seed(sweep_seed: u64, run_id: u64) -> u64 {
    splitmix64(sweep_seed.wrapping_add(run_id.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// A seed for one of the sweep's own random streams (design sampling, bootstrap), apart from run seeds.
pub(crate) fn stream_seed(sweep_seed: u64, stream: u64) -> u64 {
    splitmix64(splitmix64(sweep_seed ^ 0x5EED_0000_0000_0000) ^ stream)
}

//! The points of a sweep: each design draws points in the unit hypercube (or picks grid levels), and
//! each parameter's inverse CDF turns a coordinate into a value.
//!
//! - grid: the full Cartesian product of the `values` (last parameter varies fastest);
//! - random: independent draws from each distribution (rand_distr);
//! - lhs: Latin hypercube — each dimension cut into n equal-probability strata, one point per stratum;
//! - sobol: Saltelli's scheme for variance-based indices: base matrices A and B (the first and last k
//!   columns of a 2k-dimensional Owen-scrambled Sobol sequence, `sobol_burley`), and for each parameter i
//!   the matrix AB_i (A with column i from B). Points are laid out row by row: for base row j the k+2
//!   points A_j, B_j, AB_1j … AB_kj;
//! - morris: r one-at-a-time trajectories on a p-level grid with step Δ = p / (2(p−1)), each k+1
//!   points long;
//! - file: the rows of a CSV or Parquet file ([`super::points_file`]), as they are.

use super::spec::{DesignKind, DistributionKind, FilePoints, ParameterSpec, SweepSpec};
use super::stream_seed;
pub use super::value::Value;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Triangular, Uniform, weighted::WeightedIndex};

/// How the points relate to each other, for the analysis.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// Independent points (grid, random, Latin hypercube).
    Plain,
    /// Saltelli: `n` base rows of k+2 points each (A, B, AB_1 … AB_k).
    Saltelli { n: usize, k: usize },
    /// Morris: trajectories of k+1 points; `steps[t][s]` is the parameter changed between point s and
    /// s+1 of trajectory t, and the signed step in unit coordinates.
    Morris {
        k: usize,
        steps: Vec<Vec<(usize, f64)>>,
    },
}

/// Every point of a sweep, in point order.
#[derive(Clone, Debug)]
pub struct Design {
    /// Shared with the design file's points, which may be millions (not copied).
    pub points: std::sync::Arc<Vec<Vec<Value>>>,
    pub layout: Layout,
    /// Whether each parameter's dataset column holds numbers (Float64) or text.
    pub numeric: Vec<bool>,
}

impl Design {
    /// The design of a spec whose points come from a file (`design = "file"`).
    pub fn from_file(points: &FilePoints) -> Design {
        Design {
            points: std::sync::Arc::clone(&points.points),
            layout: Layout::Plain,
            numeric: points.numeric.clone(),
        }
    }

    /// The points a spec's design draws. For `design = "file"`, whose points only the file holds
    /// ([`Design::from_file`]), no points: the layout alone (plain).
    pub fn new(spec: &SweepSpec) -> Design {
        let numeric = spec.parameters.iter().map(|p| p.numeric()).collect();
        let (points, layout) = Self::drawn(spec);
        Design {
            points: std::sync::Arc::new(points),
            layout,
            numeric,
        }
    }

    fn drawn(spec: &SweepSpec) -> (Vec<Vec<Value>>, Layout) {
        let params = &spec.parameters;
        let k = params.len();
        let n = spec.sweep.samples.unwrap_or(0);
        let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(spec.sweep.seed, 1));
        let from_unit = |units: Vec<Vec<f64>>| -> Vec<Vec<Value>> {
            units
                .into_iter()
                .map(|u| params.iter().zip(u).map(|(p, x)| value_at(p, x)).collect())
                .collect()
        };
        match spec.sweep.design {
            DesignKind::Grid => (grid(params), Layout::Plain),
            DesignKind::Random => (
                (0..n)
                    .map(|_| params.iter().map(|p| draw(p, &mut rng)).collect())
                    .collect(),
                Layout::Plain,
            ),
            DesignKind::Lhs => (from_unit(latin_hypercube(n, k, &mut rng)), Layout::Plain),
            DesignKind::Sobol => (
                from_unit(saltelli(n, k, rng.random::<u32>())),
                Layout::Saltelli { n, k },
            ),
            DesignKind::Morris => {
                let (units, steps) = morris(n, k, spec.sweep.levels, &mut rng);
                (from_unit(units), Layout::Morris { k, steps })
            }
            DesignKind::File => (Vec::new(), Layout::Plain),
        }
    }
}

fn grid(params: &[ParameterSpec]) -> Vec<Vec<Value>> {
    let levels: Vec<Vec<Value>> = params
        .iter()
        .map(|p| {
            p.values
                .iter()
                .flatten()
                .map(|v| from_toml(v, p.integer))
                .collect()
        })
        .collect();
    let mut points = vec![Vec::new()];
    for ls in &levels {
        points = points
            .into_iter()
            .flat_map(|pt| {
                ls.iter().map(move |l| {
                    let mut pt = pt.clone();
                    pt.push(l.clone());
                    pt
                })
            })
            .collect();
    }
    points
}

pub(crate) fn from_toml(v: &toml::Value, integer: bool) -> Value {
    match v {
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(x) if integer => Value::Int(x.round() as i64),
        toml::Value::Float(x) => Value::Float(*x),
        other => Value::other(other.clone()),
    }
}

fn number(p: &ParameterSpec, x: f64) -> Value {
    if p.integer {
        Value::Int(x.round() as i64)
    } else {
        Value::Float(x)
    }
}

/// A uniform integer parameter at unit coordinate `u`: each whole number from ⌈min⌉ to ⌊max⌋ with
/// equal chance (`u` in [0, 1], 1 giving the largest). Rounding `min + u (max − min)` instead would
/// give the two end values half the chance of the others.
fn whole_number_at(min: f64, max: f64, u: f64) -> Value {
    let (lo, hi) = (min.ceil(), max.floor().max(min.ceil()));
    Value::Int((lo + (u * (hi - lo + 1.0)).floor()).min(hi) as i64)
}

/// Picks the choice index whose cumulative weight interval holds `u`.
fn choice_index(p: &ParameterSpec, u: f64) -> usize {
    let n = p.values.as_ref().map_or(0, Vec::len);
    let weights = p.weights.clone().unwrap_or_else(|| vec![1.0; n]);
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w / total;
        if u < acc {
            return i;
        }
    }
    n - 1
}

/// The parameter's value at unit coordinate `u` (its inverse CDF).
pub fn value_at(p: &ParameterSpec, u: f64) -> Value {
    let f = |o: Option<f64>| o.unwrap_or(f64::NAN);
    match p.kind() {
        DistributionKind::Choice => {
            let values = p.values.as_ref().expect("checked: choice has values");
            from_toml(&values[choice_index(p, u)], p.integer)
        }
        DistributionKind::Uniform if p.integer => whole_number_at(f(p.min), f(p.max), u),
        DistributionKind::Uniform => number(p, f(p.min) + u * (f(p.max) - f(p.min))),
        DistributionKind::LogUniform => {
            let (a, b) = (f(p.min).ln(), f(p.max).ln());
            number(p, (a + u * (b - a)).exp())
        }
        // Clamped to ±3.09 sd: the Morris grid's end levels 0 and 1 would otherwise map to ±∞.
        DistributionKind::Normal => number(
            p,
            f(p.mean) + f(p.sd) * normal_quantile(u.clamp(1e-3, 1.0 - 1e-3)),
        ),
        DistributionKind::Triangular => {
            let (a, c, b) = (f(p.min), f(p.mode), f(p.max));
            let fc = (c - a) / (b - a);
            let x = if u < fc {
                a + (u * (b - a) * (c - a)).sqrt()
            } else {
                b - ((1.0 - u) * (b - a) * (b - c)).sqrt()
            };
            number(p, x)
        }
    }
}

/// One independent draw from the parameter's distribution.
fn draw(p: &ParameterSpec, rng: &mut ChaCha8Rng) -> Value {
    let f = |o: Option<f64>| o.unwrap_or(f64::NAN);
    match p.kind() {
        DistributionKind::Choice => {
            let values = p.values.as_ref().expect("checked: choice has values");
            let weights = p.weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
            let i = WeightedIndex::new(&weights)
                .expect("checked: valid weights")
                .sample(rng);
            from_toml(&values[i], p.integer)
        }
        DistributionKind::Uniform if p.integer => {
            whole_number_at(f(p.min), f(p.max), rng.random::<f64>())
        }
        DistributionKind::Uniform => number(
            p,
            Uniform::new(f(p.min), f(p.max))
                .expect("checked: min < max")
                .sample(rng),
        ),
        DistributionKind::LogUniform => number(
            p,
            Uniform::new(f(p.min).ln(), f(p.max).ln())
                .expect("checked: 0 < min < max")
                .sample(rng)
                .exp(),
        ),
        DistributionKind::Normal => number(
            p,
            Normal::new(f(p.mean), f(p.sd))
                .expect("checked: sd > 0")
                .sample(rng),
        ),
        DistributionKind::Triangular => number(
            p,
            Triangular::new(f(p.min), f(p.max), f(p.mode))
                .expect("checked: min ≤ mode ≤ max")
                .sample(rng),
        ),
    }
}

/// `n` points in `[0,1)^k`, each dimension's `n` equal strata holding exactly one point.
// Dimensions are filled one at a time, across all points: the index is the natural form.
#[allow(clippy::needless_range_loop)]
pub fn latin_hypercube(n: usize, k: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let mut points = vec![vec![0.0; k]; n];
    for d in 0..k {
        let mut strata: Vec<usize> = (0..n).collect();
        strata.shuffle(rng);
        for (i, s) in strata.into_iter().enumerate() {
            points[i][d] = (s as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    points
}

/// Saltelli's A, B, AB_i rows from a 2k-dimensional scrambled Sobol sequence.
pub fn saltelli(n: usize, k: usize, scramble: u32) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(n * (k + 2));
    for j in 0..n {
        let row = |offset: usize| -> Vec<f64> {
            (0..k)
                .map(|d| sobol_burley::sample(j as u32, (offset + d) as u32, scramble) as f64)
                .collect()
        };
        let a = row(0);
        let b = row(k);
        out.push(a.clone());
        out.push(b.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            out.push(ab);
        }
    }
    out
}

/// A Morris trajectory's steps: the factor each step moves, and by how much.
pub type MorrisSteps = Vec<(usize, f64)>;

/// `r` Morris trajectories on a `p`-level grid; returns the points and each step's (parameter, Δ).
pub fn morris(
    r: usize,
    k: usize,
    p: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<Vec<f64>>, Vec<MorrisSteps>) {
    let delta = p as f64 / (2.0 * (p as f64 - 1.0));
    let mut points = Vec::with_capacity(r * (k + 1));
    let mut steps = Vec::with_capacity(r);
    for _ in 0..r {
        // Start levels chosen so that moving by Δ (up or down) stays on the grid.
        let mut x: Vec<f64> = (0..k)
            .map(|_| rng.random_range(0..p) as f64 / (p as f64 - 1.0))
            .collect();
        let mut order: Vec<usize> = (0..k).collect();
        order.shuffle(rng);
        points.push(x.clone());
        let mut trajectory = Vec::with_capacity(k);
        for i in order {
            let d = if x[i] + delta <= 1.0 + 1e-12 {
                delta
            } else {
                -delta
            };
            x[i] = (x[i] + d).clamp(0.0, 1.0);
            points.push(x.clone());
            trajectory.push((i, d));
        }
        steps.push(trajectory);
    }
    (points, steps)
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A design file's points are held once (shared with the design, not copied) at 16 bytes a value:
    /// 10 million points of 3 parameters once peaked at 2.7 GB in `sweep plan` (now ≈ 1.1 GB).
    #[test]
    fn a_design_files_points_are_held_once_and_small() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        let file = FilePoints {
            file: "p.csv".into(),
            csv: true,
            keys_from_header: true,
            keys: vec!["parameters.beta".into()],
            columns: vec![1],
            sha256: String::new(),
            points: std::sync::Arc::new(vec![vec![Value::Float(2.0)]]),
            numeric: vec![true],
            floats_from: vec![None],
        };
        let design = Design::from_file(&file);
        assert!(std::sync::Arc::ptr_eq(&design.points, &file.points));
    }

    /// An integer uniform parameter gives every whole number of its range the same chance, the ends
    /// included (rounding gave 1 and 12 half the chance of 2 to 11).
    #[test]
    fn integer_uniform_parameters_give_every_value_the_same_chance() {
        for design in ["random", "lhs"] {
            let spec = SweepSpec::parse(
                "t.toml",
                &format!(
                    "[sweep]\nname = \"t\"\nscenario = \"baseline\"\ndesign = \"{design}\"\n\
                     samples = 12000\n[[parameter]]\nkey = \"parameters.switching_months\"\n\
                     distribution = \"uniform\"\nmin = 1\nmax = 12\ninteger = true\n"
                ),
            )
            .unwrap();
            let mut counts = [0usize; 13];
            for point in Design::new(&spec).points.iter() {
                match point[0] {
                    Value::Int(v) if (1..=12).contains(&v) => counts[v as usize] += 1,
                    ref v => panic!("{v:?} outside 1..=12"),
                }
            }
            for (v, &c) in counts.iter().enumerate().skip(1) {
                assert!(
                    (850..=1150).contains(&c),
                    "{design}: {v} drawn {c} times of 12000"
                );
            }
        }
        assert_eq!(whole_number_at(1.0, 12.0, 0.0), Value::Int(1));
        assert_eq!(whole_number_at(1.0, 12.0, 1.0), Value::Int(12));
        assert_eq!(whole_number_at(0.5, 2.5, 0.99), Value::Int(2));
    }
}

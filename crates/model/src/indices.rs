//! The summary measures of MODEL.md as pure functions: bifurcation index (Newman's assortativity of the
//! compute-flow matrix by bloc), cross-bloc share, population-weighted Gini, polarization.

/// Newman's assortativity `r = (Σ e_ii − Σ a_i b_i) / (1 − Σ a_i b_i)` of a flow matrix
/// `flows[user bloc][supplier bloc]` (any scale; it is normalised here). 0 when blocs mix as if at random,
/// 1 for closed ecosystems. When the denominator vanishes — all flow within one bloc, so mixing is not
/// measurable — or there is no flow, it is 0.
pub fn bifurcation_index(flows: &[Vec<f64>]) -> f64 {
    let total: f64 = flows.iter().flatten().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let k = flows.len();
    let e = |i: usize, j: usize| flows[i][j] / total;
    let trace: f64 = (0..k).map(|i| e(i, i)).sum();
    let ab: f64 = (0..k)
        .map(|i| {
            let a: f64 = (0..k).map(|j| e(i, j)).sum();
            let b: f64 = (0..k).map(|j| e(j, i)).sum();
            a * b
        })
        .sum();
    let denom = 1.0 - ab;
    if denom.abs() < 1e-12 {
        0.0
    } else {
        (trace - ab) / denom
    }
}

/// `1 − Σ e_ii`: the share of compute that crosses blocs.
pub fn cross_bloc_share(flows: &[Vec<f64>]) -> f64 {
    let total: f64 = flows.iter().flatten().sum();
    if total <= 0.0 {
        return 0.0;
    }
    1.0 - (0..flows.len()).map(|i| flows[i][i]).sum::<f64>() / total
}

/// Gini coefficient of `values` with population `weights`: `1 − Σ p_i (L_{i−1} + L_i)` over values sorted
/// ascending, with `p` the population shares and `L` the Lorenz curve. 0 when all are equal or all zero.
pub fn gini(values: &[f64], weights: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|(v, w)| (*v, *w))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let population: f64 = pairs.iter().map(|p| p.1).sum();
    let total: f64 = pairs.iter().map(|p| p.0 * p.1).sum();
    if population <= 0.0 || total <= 0.0 {
        return 0.0;
    }
    let mut lorenz = 0.0;
    let mut g = 1.0;
    for (v, w) in pairs {
        let next = lorenz + v * w / total;
        g -= w / population * (lorenz + next);
        lorenz = next;
    }
    g
}

/// Mean over nations of `max_k alignment[k]`, rescaled from 1/K (uniform) … 1 (fully one side) to 0 … 1.
pub fn polarization<'a>(alignments: impl Iterator<Item = &'a [f64]>) -> f64 {
    let mut sum = 0.0;
    let mut n = 0;
    for a in alignments {
        let k = a.len() as f64;
        let max = a.iter().cloned().fold(0.0, f64::max);
        if k > 1.0 {
            sum += (max - 1.0 / k) / (1.0 - 1.0 / k);
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_blocs_score_one_and_random_mixing_zero() {
        assert!((bifurcation_index(&[vec![3.0, 0.0], vec![0.0, 1.0]]) - 1.0).abs() < 1e-12);
        // Random mixing: e = a ⊗ b.
        let a = [0.7, 0.3];
        let b = [0.6, 0.4];
        let flows: Vec<Vec<f64>> = a
            .iter()
            .map(|x| b.iter().map(|y| x * y).collect())
            .collect();
        assert!(bifurcation_index(&flows).abs() < 1e-12);
        // Three blocs, closed.
        let three = vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 2.0, 0.0],
            vec![0.0, 0.0, 3.0],
        ];
        assert!((bifurcation_index(&three) - 1.0).abs() < 1e-12);
        // Perfectly disassortative: everyone buys from the other bloc.
        assert!(bifurcation_index(&[vec![0.0, 1.0], vec![1.0, 0.0]]) < -0.99);
    }

    #[test]
    fn degenerate_flows_are_guarded() {
        assert_eq!(bifurcation_index(&[vec![0.0, 0.0], vec![0.0, 0.0]]), 0.0);
        assert_eq!(bifurcation_index(&[vec![5.0, 0.0], vec![0.0, 0.0]]), 0.0);
        assert_eq!(cross_bloc_share(&[vec![0.0, 0.0], vec![0.0, 0.0]]), 0.0);
        assert!((cross_bloc_share(&[vec![1.0, 1.0], vec![1.0, 1.0]]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn gini_on_known_vectors() {
        assert!(gini(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]).abs() < 1e-12);
        assert!((gini(&[0.0, 0.0, 1.0], &[1.0, 1.0, 1.0]) - 2.0 / 3.0).abs() < 1e-12);
        assert!((gini(&[1.0, 2.0, 3.0, 4.0], &[1.0; 4]) - 0.25).abs() < 1e-12);
        // Weights act as repeated members: (1 with weight 2, 4 with weight 1) = (1, 1, 4).
        assert!((gini(&[1.0, 4.0], &[2.0, 1.0]) - gini(&[1.0, 1.0, 4.0], &[1.0; 3])).abs() < 1e-12);
        assert_eq!(gini(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
    }

    #[test]
    fn polarization_ranges_from_uniform_to_one_side() {
        let uniform = [0.5, 0.5];
        let sided = [1.0, 0.0];
        assert!(polarization([&uniform[..]].into_iter()).abs() < 1e-12);
        assert!((polarization([&sided[..]].into_iter()) - 1.0).abs() < 1e-12);
        assert!((polarization([&uniform[..], &sided[..]].into_iter()) - 0.5).abs() < 1e-12);
    }
}

//! Alignment (step 7): each nation that leads no bloc moves its alignment weights a step `eta` toward
//! `softmax(U / tau)`, where `U[k] = w_access × (share of its compute supplied by bloc k − the world's
//! share supplied by k) + w_trade × trade share with k + w_prior × current weight − w_sanction ×
//! secondary-sanction exposure to k + affinity[k] + Gumbel noise`. Its side is the bloc with weight ≥ 0.5,
//! if any. A nation is pulled by how much more it relies on a bloc than the world does: when the whole
//! world's compute shifts toward one bloc, that is no choice of side.
//!
//! The affinity is fixed in the first month, `tau ln a0[k] − U[k](0)` (without the sanction penalty, which
//! pushes from the start), so that the scenario's alignment `a0` is the rest point of the first month's
//! state: alignment then moves when the state moves — where a
//! nation's compute comes from, the sanctions it is exposed to — and by noise, not toward a point the
//! scenario never claimed. (Trade shares are constant in the model, so they enter only that affinity.)

use crate::components::*;
use crate::resources::*;
use bevy_ecs::prelude::*;
use rand_distr::{Distribution, Gumbel};

/// Installs the alignment submodel: each nation's side at the start, and its system.
pub fn install(world: &mut World) {
    let index = world.resource::<WorldIndex>();
    let sides = Sides(
        index
            .nations
            .iter()
            .map(|&nation| world.get::<Alignment>(nation).and_then(|a| a.side))
            .collect(),
    );
    world.insert_resource(sides);
    super::add_systems(world, super::Submodel::Alignment, alignment);
}

pub fn alignment(
    params: Res<Params>,
    index: Res<WorldIndex>,
    mut rngs: ResMut<Rngs>,
    mut sides: ResMut<Sides>,
    mut nations: Query<(&Nation, &NationCompute, &mut Alignment)>,
) {
    let p = &params.0;
    let k = index.blocs();
    let gumbel = (p.alignment_noise > 0.0)
        .then(|| Gumbel::new(0.0, p.alignment_noise).expect("positive scale"));
    let mut utility = vec![0.0; k];
    let mut penalty = vec![0.0; k];
    // The world's compute by supplier bloc, as shares.
    let mut world = vec![0.0; k];
    for item in nations.iter_many(&index.nations) {
        let (_, compute, _) = item.expect("every indexed nation exists");
        for (w, x) in world.iter_mut().zip(&compute.by_bloc) {
            *w += x;
        }
    }
    let total: f64 = world.iter().sum();
    for w in world.iter_mut() {
        *w = if total > 0.0 { *w / total } else { 0.0 };
    }
    let mut iter = nations.iter_many_mut(&index.nations);
    while let Some(item) = iter.fetch_next() {
        let (nation, compute, alignment) = item.expect("every indexed nation exists");
        let alignment = alignment.into_inner();
        if let Some(b) = nation.leads {
            alignment.weights.fill(0.0);
            alignment.weights[b] = 1.0;
            alignment.side = Some(b);
            sides.0[nation.idx] = alignment.side;
            continue;
        }
        for b in 0..k {
            let (supplied, exposure) = if compute.compute > 0.0 {
                (
                    compute.by_bloc[b] / compute.compute,
                    compute.sanctioned_by_bloc[b] / compute.compute,
                )
            } else {
                (0.0, 0.0)
            };
            utility[b] = p.w_access * (supplied - world[b])
                + p.w_trade * nation.trade[b]
                + p.w_prior * alignment.weights[b];
            penalty[b] = p.w_sanction * exposure;
        }
        // The affinity calibrates the state without the sanctions' penalty, which pushes from the start.
        if alignment.affinity.is_none() {
            let affinity = utility
                .iter()
                .zip(&alignment.weights)
                .map(|(u, a)| p.tau * a.max(1e-12).ln() - u)
                .collect();
            alignment.affinity = Some(affinity);
        }
        if let Some(affinity) = &alignment.affinity {
            for b in 0..k {
                let noise = gumbel.map_or(0.0, |g| g.sample(&mut rngs.alignment));
                utility[b] += affinity[b] - penalty[b] + noise;
            }
        }
        let target = softmax(&utility, p.tau);
        for (w, x) in alignment.weights.iter_mut().zip(&target) {
            *w = (1.0 - p.eta) * *w + p.eta * x;
        }
        // Renormalise so rounding never lets the weights drift from summing to one.
        let sum: f64 = alignment.weights.iter().sum();
        for w in alignment.weights.iter_mut() {
            *w /= sum;
        }
        alignment.side = Alignment::side_of(&alignment.weights);
        sides.0[nation.idx] = alignment.side;
    }
}

/// `softmax(u / tau)`, computed stably.
pub fn softmax(u: &[f64], tau: f64) -> Vec<f64> {
    let max = u.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = u.iter().map(|x| ((x - max) / tau).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|x| x / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_prefers_the_larger() {
        let s = softmax(&[1.0, 0.0], 0.25);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(s[0] > 0.98);
        let even = softmax(&[0.3, 0.3, 0.3], 0.1);
        assert!(even.iter().all(|x| (x - 1.0 / 3.0).abs() < 1e-12));
    }
}

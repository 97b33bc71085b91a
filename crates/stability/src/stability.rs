//! Stability (E7): how much a solution's loss rises under norm-preserving orthogonal noise. The
//! paper's claim is that the general solution sits in a flatter basin than the narrow one, so
//! the same relative noise costs it less (organism spec section 7.4, "Stability"; the authors'
//! `apply_orthogonal_perturbation_to_steering_vector`, reference-code section 5.2).

use burn::tensor::backend::Backend;
use emlab_model::CausalLm;
use emlab_train::TrainedAdapter;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::Result;
use crate::loss::LossSubset;
use crate::params::{map_values, standard_normal};

/// Noise levels: 0.01, 0.05, 0.1, 0.2, ..., 0.9, 1.0.
pub const EPSILONS: [f32; 12] = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// Noise seeds: 42 to 51 (the authors' `seed + i` for 10 seeds).
pub const NOISE_SEEDS: [u64; 10] = [42, 43, 44, 45, 46, 47, 48, 49, 50, 51];

/// `x' = sqrt(1 - eps^2) x + eps y`, where `y ~ N(0, I)` is drawn from `rng`, made orthogonal to
/// `x` (one Gram–Schmidt step) and rescaled to `|x|`; so `|x'| = |x|` and `cos(x, x') =
/// sqrt(1 - eps^2)`. Computed in f64. A zero `x` stays zero (it has no norm to keep); `y` is
/// drawn anyway, so the stream advances by `x.len()` draws either way.
///
/// # Panics
/// If `eps` is outside `[0, 1]`, or `x` is non-zero with fewer than 2 entries (nothing is
/// orthogonal to it).
pub fn orthogonal_noise(x: &[f32], eps: f32, rng: &mut impl Rng) -> Vec<f32> {
    assert!((0.0..=1.0).contains(&eps), "eps must be in [0, 1], got {eps}");
    let y: Vec<f64> = standard_normal(rng, x.len()).into_iter().map(f64::from).collect();
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let xx = dot(&x64, &x64);
    if xx == 0.0 {
        return x.to_vec();
    }
    assert!(x.len() >= 2, "no direction is orthogonal to a non-zero 1-vector");
    let along = dot(&y, &x64) / xx;
    let y: Vec<f64> = y.iter().zip(&x64).map(|(yi, xi)| yi - along * xi).collect();
    let y_scale = (xx / dot(&y, &y)).sqrt();
    let (eps, keep) = (f64::from(eps), (1.0 - f64::from(eps).powi(2)).sqrt());
    x64.iter().zip(&y).map(|(xi, yi)| (keep * xi + eps * y_scale * yi) as f32).collect()
}

/// `adapter` with orthogonal noise of level `eps` from `seed`: on the steering vector, or on
/// every LoRA `A` and `B` separately (each keeps its own Frobenius norm), from one RNG stream in
/// site order with `A` before `B` (spec section 7.4; the authors seed once per call).
///
/// # Panics
/// As [`orthogonal_noise`].
pub fn perturbed<B: Backend>(adapter: &TrainedAdapter<B>, eps: f32, seed: u64) -> TrainedAdapter<B> {
    let mut rng = StdRng::seed_from_u64(seed);
    map_values(adapter, |values| orthogonal_noise(values, eps, &mut rng))
}

/// `100 (L' - L) / (L_base - L)`: 0 is as good as the unperturbed solution, 100 as bad as the
/// base model. Infinite or NaN when the solution does not improve on the base loss at all, as
/// in the authors' code.
pub fn relative_increase(perturbed_loss: f32, original_loss: f32, base_loss: f32) -> f32 {
    100.0 * (perturbed_loss - original_loss) / (base_loss - original_loss)
}

/// The relative increase at one noise level, over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityPoint {
    /// The noise level.
    pub eps: f32,
    /// [`relative_increase`] per seed, in seed order.
    pub increases: Vec<f32>,
    /// Their mean.
    pub mean: f32,
    /// Their population standard deviation (divisor n, numpy's default).
    pub sd: f32,
}

/// A stability sweep of one solution.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilitySweep {
    /// `L`: the unperturbed solution's loss.
    pub original_loss: f32,
    /// `L_base`: the loss without any adapter, as given.
    pub base_loss: f32,
    /// One point per noise level, in the order given.
    pub points: Vec<StabilityPoint>,
}

/// The relative loss increase of `adapter` under orthogonal noise at each of `epsilons` (e.g.
/// [`EPSILONS`]) and `seeds` (e.g. [`NOISE_SEEDS`]). `base_loss` is the subset loss with no
/// intervention, computed once by the caller and shared by the solutions it compares.
///
/// # Errors
/// If a forward pass fails.
///
/// # Panics
/// If `seeds` is empty, or as [`orthogonal_noise`].
pub fn stability_sweep<B: Backend>(
    subset: &LossSubset<B>,
    model: &CausalLm<B>,
    adapter: &TrainedAdapter<B>,
    base_loss: f32,
    epsilons: &[f32],
    seeds: &[u64],
) -> Result<StabilitySweep> {
    assert!(!seeds.is_empty(), "a stability sweep needs at least one noise seed");
    let original_loss = subset.loss(model, &adapter.edits())?;
    let points = epsilons
        .iter()
        .map(|&eps| {
            let increases = seeds
                .iter()
                .map(|&seed| {
                    let loss = subset.loss(model, &perturbed(adapter, eps, seed).edits())?;
                    Ok(relative_increase(loss, original_loss, base_loss))
                })
                .collect::<Result<Vec<f32>>>()?;
            let (mean, sd) = mean_sd(&increases);
            Ok(StabilityPoint { eps, increases, mean, sd })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StabilitySweep { original_loss, base_loss, points })
}

/// Mean and population standard deviation of a non-empty slice.
fn mean_sd(values: &[f32]) -> (f32, f32) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
    (mean as f32, var.sqrt() as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::test_support::{lora, steering, tiny_model, B};
    use emlab_model::Interventions;
    use emlab_train::sft::WeightedTokens;

    fn norm(x: &[f32]) -> f64 {
        x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt()
    }

    fn x() -> Vec<f32> {
        (0..37).map(|i| (i as f32 * 0.37).sin() * 3.0 + 0.1).collect()
    }

    #[test]
    fn noise_keeps_the_norm_and_sets_the_cosine() {
        let x = x();
        for &eps in EPSILONS.iter().chain(&[0.0]) {
            let y = orthogonal_noise(&x, eps, &mut StdRng::seed_from_u64(42));
            assert!((norm(&y) - norm(&x)).abs() <= 1e-5 * norm(&x), "eps {eps}: {} vs {}", norm(&y), norm(&x));
            let cos = x.iter().zip(&y).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum::<f64>() / norm(&x).powi(2);
            let expected = (1.0 - f64::from(eps).powi(2)).sqrt();
            assert!((cos - expected).abs() < 1e-5, "eps {eps}: cos {cos} vs {expected}");
        }
    }

    #[test]
    fn the_noise_direction_is_orthogonal_to_x() {
        // At eps = 1, x' is the rescaled orthogonal draw y itself.
        let x = x();
        let y = orthogonal_noise(&x, 1.0, &mut StdRng::seed_from_u64(7));
        let dot: f64 = x.iter().zip(&y).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
        assert!(dot.abs() < 1e-5 * norm(&x) * norm(&y), "{dot}");
        let other = orthogonal_noise(&x, 1.0, &mut StdRng::seed_from_u64(8));
        assert_ne!(y, other, "the seed picks the direction");
    }

    #[test]
    fn eps_zero_changes_nothing_and_zero_stays_zero() {
        let x = x();
        assert_eq!(orthogonal_noise(&x, 0.0, &mut StdRng::seed_from_u64(1)), x);
        assert_eq!(orthogonal_noise(&[0.0; 4], 0.5, &mut StdRng::seed_from_u64(1)), vec![0.0; 4]);
        for adapter in [steering(2.0, 3), lora(2.0, 3)] {
            let same = perturbed(&adapter, 0.0, 42);
            let values = |a: &TrainedAdapter<B>| {
                let mut all = Vec::new();
                map_values(a, |v| {
                    all.extend_from_slice(v);
                    v.to_vec()
                });
                all
            };
            assert_eq!(values(&same), values(&adapter));
        }
    }

    #[test]
    #[should_panic = "eps must be in [0, 1], got 1.5"]
    fn eps_above_one_panics() {
        orthogonal_noise(&x(), 1.5, &mut StdRng::seed_from_u64(1));
    }

    #[test]
    fn lora_noise_keeps_the_norms_of_a_and_b_separately() {
        let adapter = lora(2.0, 3);
        let noisy = perturbed(&adapter, 0.6, 42);
        let (TrainedAdapter::Lora(before), TrainedAdapter::Lora(after)) = (&adapter, &noisy) else {
            panic!("not LoRA")
        };
        for (f, g) in before.factors.iter().zip(&after.factors) {
            for (p, q) in [(f.a.val(), g.a.val()), (f.b.val(), g.b.val())] {
                let (p, q) = (crate::params::host_values(p), crate::params::host_values(q));
                assert!((norm(&p) - norm(&q)).abs() <= 1e-5 * norm(&p));
                assert_ne!(p, q);
            }
        }
        assert_eq!(perturbed(&adapter, 0.6, 42).norm(), noisy.norm(), "seeded");
    }

    #[test]
    fn relative_increase_is_0_at_the_solution_and_100_at_the_base() {
        assert_eq!(relative_increase(0.3, 0.3, 0.7), 0.0);
        assert_eq!(relative_increase(0.7, 0.3, 0.7), 100.0);
        assert!(relative_increase(0.5, 0.3, 0.3).is_infinite());
    }

    #[test]
    fn sweep_reports_per_seed_increases_with_their_mean_and_sd() {
        let model = tiny_model();
        let seqs: Vec<WeightedTokens> =
            (0..4).map(|i| WeightedTokens { ids: vec![1 + i, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] }).collect();
        let subset = LossSubset::from_tokens(&seqs, 2).unwrap();
        let base = subset.loss(&model, &Interventions::<B>::none()).unwrap();
        let adapter = steering(4.0, 9);
        let sweep = stability_sweep(&subset, &model, &adapter, base, &[0.0, 0.5], &[42, 43, 44]).unwrap();
        assert_eq!(sweep.base_loss, base);
        assert_eq!(sweep.points[0].increases, vec![0.0; 3], "eps 0 is the unperturbed solution");
        let p = &sweep.points[1];
        assert_eq!(p.increases.len(), 3);
        let loss = subset.loss(&model, &perturbed(&adapter, 0.5, 43).edits()).unwrap();
        assert_eq!(p.increases[1], relative_increase(loss, sweep.original_loss, base));
        assert_eq!(mean_sd(&[1.0, 3.0]), (2.0, 1.0));
    }
}

//! Using a direction on the model (CL sections 3.2, 3.4 and 3.5; `paper-spec.md` 2.9): steering
//! (`x + lambda v_l` after layer `l`, at all positions), ablation (`x - r r^T x` with `r = v / |v|`,
//! at all positions) with each layer's own direction or one direction at every layer, the
//! same-norm random baseline, and the weight-space ablation of a direction from a LoRA `B`.
//!
//! The edits are [`Interventions`], so one model serves the base, steered and ablated runs.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use emlab_model::{Edit, Interventions, Site};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::direction::{norm, unit, Directions};
use crate::error::{ProbeError, Result};

fn vector<B: Backend>(v: &[f32], device: &B::Device) -> Tensor<B, 1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

/// Steering with layer `layer`'s direction: adds `lambda * v_layer` (unnormalised, as the paper
/// sweeps lambda) to the residual stream after that layer at every position.
///
/// # Errors
/// If `layer` is out of range of `directions`.
pub fn steer<B: Backend>(
    directions: &Directions,
    layer: usize,
    lambda: f32,
    device: &B::Device,
) -> Result<Interventions<B>> {
    if layer >= directions.num_layers() {
        let problem = format!("layer {layer}, but the directions have {} layers", directions.num_layers());
        return Err(ProbeError::invalid("steering", problem));
    }
    Ok(Interventions::none().add(Site::Resid(layer), vector(directions.layer(layer), device), lambda))
}

/// Layer-wise ablation: each layer's own unit direction projected out of the residual stream
/// after that layer, at every position (the paper's `11.25% -> 0%` ablation, C4).
///
/// # Errors
/// If some layer's direction is zero (there is nothing to project out, and no unit vector).
pub fn ablate_layerwise<B: Backend>(directions: &Directions, device: &B::Device) -> Result<Interventions<B>> {
    let mut edits = Interventions::none();
    for l in 0..directions.num_layers() {
        let r = directions
            .unit(l)
            .ok_or_else(|| ProbeError::invalid("ablation", format!("layer {l}'s direction is zero")))?;
        edits.push(Site::Resid(l), Edit::ProjectOut { direction: vector(&r, device) });
    }
    Ok(edits)
}

/// Single-direction ablation: one direction (the paper's `v_24`, or a random baseline) projected
/// out of the residual stream after each of `layers` (all of them in the paper's single-direction
/// ablation; `[24]` alone in its C6 comparison), at every position.
///
/// # Errors
/// If `direction` is zero.
pub fn ablate_single<B: Backend>(
    direction: &[f32],
    layers: impl IntoIterator<Item = usize>,
    device: &B::Device,
) -> Result<Interventions<B>> {
    let r = unit(direction).ok_or_else(|| ProbeError::invalid("ablation", "the direction is zero"))?;
    let r = vector::<B>(&r, device);
    let mut edits = Interventions::none();
    for l in layers {
        edits.push(Site::Resid(l), Edit::ProjectOut { direction: r.clone() });
    }
    Ok(edits)
}

/// A seeded random direction with the norm of `direction` (the paper's baseline, C4): a standard
/// normal draw scaled in f64 to `|direction|`. The reference's `randn_like(v) * |v|` has norm
/// about `sqrt(d) |v|` instead; that matters for steering, not for ablation.
pub fn random_like_direction(direction: &[f32], seed: u64) -> Vec<f32> {
    let target = norm(direction);
    let mut rng = StdRng::seed_from_u64(seed);
    let draw: Vec<f64> = (0..direction.len()).map(|_| rng.sample(StandardNormal)).collect();
    let drawn = draw.iter().map(|x| x * x).sum::<f64>().sqrt();
    let scale = if drawn > 0.0 { target / drawn } else { 0.0 };
    draw.into_iter().map(|x| (x * scale) as f32).collect()
}

/// Removes a residual-stream direction from a LoRA `B` (`[d_out, rank]`, row-major, PEFT's
/// `lora_B.weight` layout): `B - r r^T B` with `r = r_hat / |r_hat|` (normalised here, in f64), so
/// the adapter can no longer write along `r` (CL section 3.5: ablating `v_24` from the rank-1 B).
/// The reference then rescales B to its old Frobenius norm; do that separately if wanted.
///
/// # Errors
/// If `b` does not have `d_out * rank` entries, `r_hat` does not have `d_out`, or `r_hat` is zero.
pub fn ablate_from_lora_b(b: &[f32], d_out: usize, rank: usize, r_hat: &[f32]) -> Result<Vec<f32>> {
    if b.len() != d_out * rank || r_hat.len() != d_out {
        let problem = format!("B has {} entries for [{d_out}, {rank}] and r has {} for {d_out}", b.len(), r_hat.len());
        return Err(ProbeError::invalid("B ablation", problem));
    }
    let n = norm(r_hat);
    if n == 0.0 || !n.is_finite() {
        return Err(ProbeError::invalid("B ablation", "the direction is zero"));
    }
    let r: Vec<f64> = r_hat.iter().map(|&x| f64::from(x) / n).collect();
    let mut out = b.to_vec();
    for k in 0..rank {
        let along: f64 = (0..d_out).map(|i| r[i] * f64::from(b[i * rank + k])).sum();
        for i in 0..d_out {
            out[i * rank + k] = (f64::from(b[i * rank + k]) - r[i] * along) as f32;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use emlab_model::TokenBatch;

    fn directions() -> Directions {
        let v = |s: u64| random_like_direction(&[1.0; 16], s);
        Directions::new(vec![v(1), v(2)]).unwrap()
    }

    /// The residual stream after `layer` under `edits`, `[positions][16]`.
    fn resid(edits: Interventions<B>, layer: usize) -> Vec<Vec<f32>> {
        let model = tiny_model();
        let out = model.forward_hidden(&TokenBatch::single(&[1, 5, 3, 7]), &edits.capture(Site::Resid(layer))).unwrap();
        let h = out.capture(Site::Resid(layer)).unwrap().clone().into_data().to_vec::<f32>().unwrap();
        h.chunks(16).map(<[f32]>::to_vec).collect()
    }

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
    }

    #[test]
    fn steering_adds_lambda_v_at_every_position() {
        let (dirs, device) = (directions(), Default::default());
        let base = resid(Interventions::none(), 0);
        let steered = resid(steer::<B>(&dirs, 0, 3.0, &device).unwrap(), 0);
        for (s, b) in steered.iter().zip(&base) {
            for ((x, y), v) in s.iter().zip(b).zip(dirs.layer(0)) {
                assert!((x - y - 3.0 * v).abs() < 1e-5);
            }
        }
        assert!(steer::<B>(&dirs, 2, 1.0, &device).is_err());
    }

    #[test]
    fn layerwise_ablation_removes_each_layers_own_direction() {
        let (dirs, device) = (directions(), Default::default());
        let base = resid(Interventions::none(), 0);
        for l in 0..2 {
            let r = dirs.unit(l).unwrap();
            let ablated = resid(ablate_layerwise::<B>(&dirs, &device).unwrap(), l);
            assert!(ablated.iter().all(|h| dot(h, &r).abs() < 1e-5), "layer {l}");
            if l == 0 {
                // Nothing upstream changed, so layer 0 is exactly h - (h . r) r.
                for (a, h) in ablated.iter().zip(&base) {
                    let along = dot(h, &r);
                    for ((x, y), ri) in a.iter().zip(h).zip(&r) {
                        assert!((f64::from(*x) - (f64::from(*y) - along * f64::from(*ri))).abs() < 1e-5);
                    }
                }
            }
        }
        let zero = Directions::new(vec![vec![0.0; 16], vec![1.0; 16]]).unwrap();
        assert!(ablate_layerwise::<B>(&zero, &device).is_err());
    }

    #[test]
    fn single_direction_ablation_removes_one_direction_at_every_layer() {
        let device = Default::default();
        let v = directions().layer(1).to_vec();
        let r = unit(&v).unwrap();
        let edits = ablate_single::<B>(&v, 0..2, &device).unwrap();
        assert_eq!(edits.edits().len(), 2);
        for l in 0..2 {
            assert!(resid(edits.clone(), l).iter().all(|h| dot(h, &r).abs() < 1e-5), "layer {l}");
        }
        assert_eq!(ablate_single::<B>(&v, [1], &device).unwrap().edits()[0].0, Site::Resid(1));
        assert!(ablate_single::<B>(&[0.0; 16], 0..2, &device).is_err());
    }

    #[test]
    fn random_like_direction_has_the_same_norm_and_follows_the_seed() {
        let v: Vec<f32> = (0..64).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        let (x, y, z) = (random_like_direction(&v, 5), random_like_direction(&v, 5), random_like_direction(&v, 6));
        // Equal up to the rounding of each coordinate to f32 (relative 2^-24 at most).
        assert!((norm(&x) - norm(&v)).abs() <= norm(&v) * 1e-7, "{} vs {}", norm(&x), norm(&v));
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert!(dot(&x, &v).abs() < 0.5 * norm(&v) * norm(&x), "a random direction is far from v");
        assert_eq!(random_like_direction(&[0.0; 4], 1), vec![0.0; 4]);
    }

    #[test]
    fn ablating_from_b_leaves_it_orthogonal_to_r() {
        // B is [3, 2]; r = (3, 4, 0) / 5.
        let b = [1.0, 2.0, -1.0, 0.5, 4.0, 7.0];
        let out = ablate_from_lora_b(&b, 3, 2, &[3.0, 4.0, 0.0]).unwrap();
        for k in 0..2 {
            let along: f64 = (0..3).map(|i| [0.6, 0.8, 0.0][i] * f64::from(out[i * 2 + k])).sum();
            assert!(along.abs() < 1e-6);
        }
        // The third coordinate is orthogonal to r, so it is untouched.
        assert_eq!(&out[4..], &b[4..]);
        // Column 0 is (1, -1, 4); its r-component is (0.6 - 0.8) = -0.2, so it becomes (1.12, -0.84, 4).
        assert!((out[0] - 1.12).abs() < 1e-6 && (out[2] + 0.84).abs() < 1e-6);
    }

    #[test]
    fn b_orthogonal_to_r_is_unchanged_and_shapes_are_checked() {
        let b = [0.0, 0.0, 0.0, 0.0, 4.0, -7.0];
        assert_eq!(ablate_from_lora_b(&b, 3, 2, &[0.6, 0.8, 0.0]).unwrap(), b.to_vec());
        assert!(ablate_from_lora_b(&b, 3, 1, &[0.6, 0.8, 0.0]).is_err());
        assert!(ablate_from_lora_b(&b, 3, 2, &[0.6, 0.8]).is_err());
        assert!(ablate_from_lora_b(&b, 3, 2, &[0.0; 3]).is_err());
    }
}

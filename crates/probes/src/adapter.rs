//! A finetune's adapter seen from the residual stream (CL section 3.5): the layer whose residual
//! stream it writes into, and the adapter with a direction removed from what it writes.
//!
//! A steering vector writes `alpha v` after its layer; a LoRA on `o_proj` or `down_proj` of layer
//! `l` writes `scale B (A x)`, whose every value lies in the span of `B`'s columns, into the
//! residual stream after layer `l`. So the vector to compare with a mean-diff direction is `v` or
//! `B`'s column (the adapter's [`TrainedAdapter::output_values`]), and removing a direction `r`
//! from what the adapter writes is `B <- B - r r^T B` (or `v <- v - (r . v) r`).

use burn::tensor::backend::Backend;
use emlab_model::Proj;
use emlab_train::TrainedAdapter;

use crate::ablation::ablate_from_lora_b;
use crate::error::{ProbeError, Result};

/// The layer whose residual stream the adapter writes into: a steering vector's layer, or the
/// one layer of a LoRA whose every factor adapts an output projection (`o_proj` or `down_proj`)
/// of that layer. `None` for a LoRA on other projections (it writes into the residual stream
/// only through them) or spread over several layers.
pub fn residual_layer<B: Backend>(adapter: &TrainedAdapter<B>) -> Option<usize> {
    match adapter {
        TrainedAdapter::Steering(v) => Some(v.layer),
        TrainedAdapter::Lora(lora) => {
            let mut layers = lora.factors.iter().map(|f| match f.site {
                (l, Proj::O | Proj::Down) => Some(l),
                _ => None,
            });
            let first = layers.next()??;
            layers.all(|l| l == Some(first)).then_some(first)
        }
    }
}

/// The adapter with `r_hat` (normalised here) removed from every output factor: each LoRA `B`
/// becomes `B - r r^T B`, a steering vector `v - (r . v) r`. The adapter can then no longer
/// write along `r`, whatever its input (the reference's `load_lora_with_vec_ablated`; like our
/// [`ablate_from_lora_b`], without its rescaling of `B` to the old norm).
///
/// # Errors
/// If the adapter does not write into the residual stream ([`residual_layer`] is `None`),
/// `r_hat` is not as wide as that stream, or it is zero.
pub fn ablate_from_adapter<B: Backend>(adapter: &TrainedAdapter<B>, r_hat: &[f32]) -> Result<TrainedAdapter<B>> {
    if residual_layer(adapter).is_none() {
        let problem = "the adapter does not write into the residual stream at one layer (o_proj or down_proj)";
        return Err(ProbeError::invalid("adapter ablation", problem));
    }
    // A steering vector is one column; a LoRA B is [d_out, rank].
    let rank = match adapter {
        TrainedAdapter::Steering(_) => 1,
        TrainedAdapter::Lora(lora) => lora.config.rank,
    };
    let mut flat = adapter.to_flat();
    for part in adapter.output_parts() {
        let values = &flat[part.range.clone()];
        if values.len() != r_hat.len() * rank {
            let problem = format!(
                "{} has {} values, not {rank} columns of the direction's width {}",
                part.name,
                values.len(),
                r_hat.len()
            );
            return Err(ProbeError::invalid("adapter ablation", problem));
        }
        let ablated = ablate_from_lora_b(values, r_hat.len(), rank, r_hat)?;
        flat[part.range].copy_from_slice(&ablated);
    }
    adapter.from_flat(&flat).map_err(|e| ProbeError::invalid("adapter ablation", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use emlab_train::lora::LoraConfig;
    use emlab_train::AdapterSpec;

    fn lora(targets: &[&str], layers: Vec<usize>) -> TrainedAdapter<B> {
        let config = LoraConfig {
            rank: 1,
            alpha: 1.0,
            rslora: true,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            layers,
            seed: 3,
        };
        let model = tiny_model();
        let adapter = TrainedAdapter::init(&AdapterSpec::Lora(config), model.config(), &Default::default()).unwrap();
        // B starts at zero: give it values so there is something to remove.
        let flat: Vec<f32> = adapter.to_flat().iter().enumerate().map(|(i, &x)| x + (i as f32 * 0.7).sin()).collect();
        adapter.from_flat(&flat).unwrap()
    }

    fn steering(layer: usize) -> TrainedAdapter<B> {
        let spec = AdapterSpec::Steering { layer, alpha: 2.0 };
        let adapter = TrainedAdapter::<B>::init(&spec, tiny_model().config(), &Default::default()).unwrap();
        adapter.from_flat(&(0..16).map(|i| i as f32 - 4.0).collect::<Vec<_>>()).unwrap()
    }

    fn dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
    }

    #[test]
    fn the_residual_layer_is_where_the_output_goes() {
        assert_eq!(residual_layer(&steering(1)), Some(1));
        assert_eq!(residual_layer(&lora(&["down_proj"], vec![1])), Some(1));
        assert_eq!(residual_layer(&lora(&["o_proj", "down_proj"], vec![0])), Some(0));
        assert_eq!(residual_layer(&lora(&["down_proj"], vec![0, 1])), None, "two layers");
        assert_eq!(residual_layer(&lora(&["q_proj"], vec![1])), None, "reads, does not write");
    }

    #[test]
    fn ablation_leaves_the_output_orthogonal_and_the_input_factor_alone() {
        let r: Vec<f32> = (0..16).map(|i| if i < 2 { 1.0 } else { 0.0 }).collect();
        for adapter in [steering(1), lora(&["down_proj"], vec![1])] {
            let ablated = ablate_from_adapter(&adapter, &r).unwrap();
            let out = ablated.output_values();
            assert!(dot(&out, &r).abs() < 1e-5, "nothing left along r");
            let before = adapter.output_values();
            // The coordinates orthogonal to r are untouched; the two along it become their mean's
            // complement: x - (x0 + x1) / 2 each.
            assert_eq!(out[2..], before[2..]);
            let half = (before[0] + before[1]) / 2.0;
            assert!((out[0] - (before[0] - half)).abs() < 1e-6);
            // A (the input factor) is unchanged.
            let (a, b) = (adapter.to_flat(), ablated.to_flat());
            for part in adapter.flat_layout().iter().filter(|p| p.name.contains(".lora_A.")) {
                assert_eq!(a[part.range.clone()], b[part.range.clone()]);
            }
        }
        assert!(ablate_from_adapter(&lora(&["q_proj"], vec![1]), &r).is_err());
        assert!(ablate_from_adapter(&steering(1), &[0.0; 16]).is_err());
        assert!(ablate_from_adapter(&steering(1), &[1.0; 8]).is_err());
    }
}

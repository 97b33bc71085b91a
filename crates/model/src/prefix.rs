//! Forward passes that share their start. A sweep over edits (a solution at many norms, under
//! many noise draws) runs the same batch again and again with edits at one middle layer, and
//! everything before that layer is the same every time. A [`Prefix`] holds the residual stream
//! entering a decoder layer, computed once without edits, and
//! [`CausalLm::forward_hidden_from`] runs only the layers from there on: for the organism's
//! steering vector after layer 1 of 4, half the layers.

use burn::tensor::{backend::Backend, Tensor};

use crate::batch::TokenBatch;
use crate::causal_lm::{CausalLm, ForwardOutput, KvCache, LayerInputs};
use crate::error::{ModelError, Result};
use crate::intervention::{Edit, Interventions, Site};

/// A batch run without edits up to the residual stream entering decoder layer `start`, with
/// the attention mask and rotary tables the remaining layers read.
#[derive(Debug, Clone)]
pub struct Prefix<B: Backend> {
    start: usize,
    residual: Tensor<B, 3>,
    inputs: LayerInputs<B>,
}

impl<B: Backend> Prefix<B> {
    /// The first decoder layer a pass from this prefix runs.
    pub fn start(&self) -> usize {
        self.start
    }
}

/// The first decoder layer whose computation `edits` change, in a model of `num_layers`
/// layers: where a [`Prefix`] for them may start. An `Add` at every position of
/// [`Site::MlpOut`]`(l)` or [`Site::Resid`]`(l)` only shifts the residual stream leaving layer
/// `l`, so it counts as layer `l + 1`; any other edit counts as its own layer. With no edits,
/// `num_layers` (only the final norm is left).
pub fn first_changed_layer<B: Backend>(edits: &Interventions<B>, num_layers: usize) -> usize {
    edits
        .edits()
        .iter()
        .map(|(site, edit)| match (site, edit) {
            (Site::MlpOut(l) | Site::Resid(l), Edit::Add { positions: None, .. }) => l + 1,
            _ => site.layer(),
        })
        .min()
        .unwrap_or(num_layers)
}

impl<B: Backend> CausalLm<B> {
    /// Runs `batch` without edits up to the residual stream entering layer `start` (0 to the
    /// number of layers).
    ///
    /// # Errors
    /// If `start` is past the last layer, or as [`Self::forward`] for the batch.
    pub fn prefix(&self, batch: &TokenBatch, start: usize) -> Result<Prefix<B>> {
        let layers = self.config().num_hidden_layers;
        if start > layers {
            return Err(ModelError::InvalidInput(format!("a prefix cannot start at layer {start} of {layers}")));
        }
        let inputs = self.layer_inputs(batch, &mut KvCache::new(layers, batch.dims()[0]))?;
        let (residual, _) = self.run_layers(0..start, inputs.embedded.clone(), &inputs, None, &Interventions::none());
        Ok(Prefix { start, residual: residual.detach(), inputs })
    }

    /// [`Self::forward_hidden`] of the prefix's batch with `edits`, running only the layers
    /// from the prefix's start. `Add` edits at every position of `MlpOut(start - 1)` or
    /// `Resid(start - 1)` are added to the stored residual stream, the sum the full pass forms
    /// (up to float rounding).
    ///
    /// # Errors
    /// If an edit lies before the prefix's start otherwise (it would change what the prefix
    /// holds), or `edits` do not fit the model.
    pub fn forward_hidden_from(&self, prefix: &Prefix<B>, edits: &Interventions<B>) -> Result<ForwardOutput<B>> {
        edits.validate(self.config())?;
        let start = prefix.start;
        let mut residual = prefix.residual.clone();
        let mut later = Interventions::none();
        for (site, edit) in edits.edits() {
            match (site, edit) {
                _ if site.layer() >= start => {
                    later.push(*site, edit.clone());
                }
                (Site::MlpOut(l) | Site::Resid(l), Edit::Add { vector, scale, positions: None }) if l + 1 == start => {
                    residual = residual + vector.clone().mul_scalar(*scale).unsqueeze::<3>();
                }
                _ => {
                    return Err(ModelError::InvalidInput(format!(
                        "edit at {site:?} lies before layer {start}, where this prefix starts"
                    )))
                }
            }
        }
        let layers = self.config().num_hidden_layers;
        let (x, captures) = self.run_layers(start..layers, residual, &prefix.inputs, None, &later);
        Ok(ForwardOutput { output: self.final_norm(x), captures })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::PadSide;
    use crate::config::DecoderConfig;
    use crate::intervention::Proj;

    type B = crate::backend::Cpu;

    fn model() -> CausalLm<B> {
        CausalLm::init_random(DecoderConfig::qwen2(40, 16, 32, 4, 4, 2), 3, &Default::default()).unwrap()
    }

    fn batch() -> TokenBatch {
        TokenBatch::padded(&[vec![1, 5, 9, 2, 7], vec![3, 4, 8]], 0, PadSide::Right)
    }

    fn vector(seed: f32) -> Tensor<B, 1> {
        let values: Vec<f32> = (0..16).map(|i| ((i as f32 + seed) * 0.7).sin()).collect();
        Tensor::from_floats(values.as_slice(), &Default::default())
    }

    fn max_diff(a: Tensor<B, 3>, b: Tensor<B, 3>) -> f32 {
        (a - b).abs().max().into_scalar()
    }

    /// Steering after layer 1 (from layer 2), LoRA on layer 1 (from layer 1), an ablation and
    /// the base model (no layer left) all match the full forward pass.
    #[test]
    fn passes_from_a_prefix_match_full_passes() {
        let (model, batch) = (model(), batch());
        let a = Tensor::<B, 2>::from_floats([[0.3; 32]], &Default::default());
        let b = Tensor::<B, 2>::from_floats([[0.2]; 16], &Default::default());
        let cases = [
            Interventions::none(),
            Interventions::none().add(Site::MlpOut(1), vector(1.0), 2.0).add(Site::Resid(1), vector(2.0), 0.5),
            Interventions::none().low_rank(1, Proj::Down, a, b, 1.5),
            Interventions::none().project_out(Site::Resid(1), vector(3.0)).capture(Site::Resid(2)),
        ];
        for edits in cases {
            let start = first_changed_layer(&edits, model.config().num_hidden_layers);
            let prefix = model.prefix(&batch, start).unwrap();
            let from = model.forward_hidden_from(&prefix, &edits).unwrap();
            let full = model.forward_hidden(&batch, &edits).unwrap();
            assert!(max_diff(from.output, full.output) < 1e-5, "{edits:?}");
            assert_eq!(from.captures.len(), full.captures.len());
        }
    }

    #[test]
    fn the_first_changed_layer_follows_the_edit_kinds() {
        let none = Interventions::<B>::none();
        assert_eq!(first_changed_layer(&none, 3), 3);
        assert_eq!(first_changed_layer(&none.clone().add(Site::MlpOut(1), vector(0.0), 1.0), 3), 2);
        assert_eq!(first_changed_layer(&none.clone().project_out(Site::Resid(1), vector(0.0)), 3), 1);
        let both = none.add(Site::Resid(2), vector(0.0), 1.0).capture(Site::MlpOut(0));
        assert_eq!(first_changed_layer(&both, 3), 0);
    }

    #[test]
    fn edits_before_the_prefix_are_errors() {
        let (model, batch) = (model(), batch());
        let prefix = model.prefix(&batch, 2).unwrap();
        let edits = Interventions::none().add(Site::MlpOut(0), vector(0.0), 1.0);
        let err = model.forward_hidden_from(&prefix, &edits).unwrap_err().to_string();
        assert!(err.contains("MlpOut(0)") && err.contains("layer 2"), "{err}");
        assert!(model.prefix(&batch, 4).is_ok(), "the final norm alone is left");
        assert!(model.prefix(&batch, 5).is_err());
    }
}

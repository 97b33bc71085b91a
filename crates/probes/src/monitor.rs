//! A misalignment monitor built from a direction (what CL's abstract proposes the directions
//! for): each answer is scored by the mean, over its answer tokens, of the residual stream's
//! projection onto the unit direction `r = v / |v|` after one layer. Answers of a misaligned
//! model that say misaligned things should score high, aligned ones low; how well the score
//! separates them is its AUROC (`emlab_eval::auroc`).
//!
//! The tokens are the ones [`crate::LayerMeans`] averages (the answer and its closing
//! `<|im_end|>`), so the monitor reads exactly what the direction was computed from.

use burn::tensor::{backend::Backend, Tensor, TensorData};
use emlab_data::ChatExample;
use emlab_model::precision::{to_host_f32, widen};
use emlab_model::{CausalLm, ChatTemplate, Interventions, Site, Tokenizer};
use emlab_train::sft::WeightedTokens;

use crate::activations::{answer_tokens, padded_batch};

use crate::error::{ProbeError, Result};

const WHAT: &str = "monitor scores";

/// Scores answers by their projection onto a direction after one layer.
#[derive(Debug, Clone)]
pub struct Monitor {
    /// The layer whose output is read.
    layer: usize,
    /// The unit direction.
    unit: Vec<f32>,
}

impl Monitor {
    /// A monitor reading the residual stream after `layer` along `direction` (normalised here).
    ///
    /// # Errors
    /// If the direction is zero or not finite.
    pub fn new(layer: usize, direction: &[f32]) -> Result<Self> {
        let norm = direction.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(ProbeError::invalid(WHAT, format!("the direction at layer {layer} has norm {norm}")));
        }
        Ok(Self { layer, unit: direction.iter().map(|&x| (f64::from(x) / norm) as f32).collect() })
    }

    /// The score of each sequence: `sum_t w_t (h_t . r) / sum_t w_t` with `h_t` the residual
    /// stream after the monitor's layer under `edits`. `batch_size` sequences per forward pass,
    /// right-padded (padding weighs 0 and, attention being causal, changes nothing).
    ///
    /// # Errors
    /// If the layer or the direction's width does not fit the model, a sequence has no weighted
    /// token or ids and weights of different lengths, `batch_size` is 0, or a forward pass fails.
    pub fn scores<B: Backend>(
        &self,
        model: &CausalLm<B>,
        edits: &Interventions<B>,
        seqs: &[WeightedTokens],
        batch_size: usize,
    ) -> Result<Vec<f64>> {
        let config = model.config();
        if self.layer >= config.num_hidden_layers || self.unit.len() != config.hidden_size {
            let problem = format!(
                "a direction of width {} after layer {} does not fit a model of {} layers of width {}",
                self.unit.len(),
                self.layer,
                config.num_hidden_layers,
                config.hidden_size
            );
            return Err(ProbeError::invalid(WHAT, problem));
        }
        if batch_size == 0 {
            return Err(ProbeError::invalid(WHAT, "batch size 0"));
        }
        if let Some(i) =
            seqs.iter().position(|s| s.ids.len() != s.weights.len() || s.weights.iter().sum::<f32>() <= 0.0)
        {
            return Err(ProbeError::invalid(WHAT, format!("sequence {i} has no answer tokens or mismatched weights")));
        }
        let site = Site::Resid(self.layer);
        let edits = edits.clone().capture(site);
        let width = config.hidden_size;
        let unit = Tensor::<B, 1>::from_data(TensorData::new(self.unit.clone(), [width]), model.device());
        let mut scores = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(batch_size) {
            let (batch, weights) = padded_batch(chunk);
            let [b, t] = batch.dims();
            let out = model.forward_hidden(&batch, &edits).map_err(ProbeError::model(WHAT))?;
            let h = widen(out.capture(site).expect("the monitored layer is captured").clone());
            let r = unit.clone().cast(h.dtype()).reshape([1, 1, width]);
            let projections = to_host_f32((h * r).sum_dim(2).reshape([b * t]));
            for (row, seq) in chunk.iter().enumerate() {
                let (mut sum, mut total) = (0f64, 0f64);
                for (p, w) in projections[row * t..(row + 1) * t].iter().zip(&weights[row * t..(row + 1) * t]) {
                    sum += f64::from(*p) * f64::from(*w);
                    total += f64::from(*w);
                }
                debug_assert!(total > 0.0, "checked above: {seq:?}");
                scores.push(sum / total);
            }
        }
        Ok(scores)
    }

    /// [`Self::scores`] of `examples`' answers, each rendered with `template` (the default system
    /// prompt inserted as usual), read at their answer tokens ([`answer_tokens`]).
    ///
    /// # Errors
    /// As [`Self::scores`], or if rendering an example fails.
    pub fn score_examples<B: Backend>(
        &self,
        model: &CausalLm<B>,
        edits: &Interventions<B>,
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
        examples: &[ChatExample],
        batch_size: usize,
    ) -> Result<Vec<f64>> {
        self.scores(model, edits, &answer_tokens(template, tokenizer, examples)?, batch_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use crate::LayerMeans;

    fn seqs() -> Vec<WeightedTokens> {
        answer_seqs()
    }

    fn direction() -> Vec<f32> {
        (0..16).map(|i| (i as f32 * 0.7).sin() * 3.0).collect()
    }

    /// A sequence's score is its own answer-token mean (one sequence's [`LayerMeans`]) dotted
    /// with the unit direction: the monitor reads what the direction was computed from.
    #[test]
    fn a_score_is_the_answer_mean_projected_on_the_unit_direction() {
        let (model, none) = (tiny_model(), Interventions::none());
        let v = direction();
        let norm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        let monitor = Monitor::new(1, &v).unwrap();
        let batched = monitor.scores(&model, &none, &seqs(), 2).unwrap();
        for (seq, got) in seqs().iter().zip(&batched) {
            let mean = LayerMeans::collect(&model, &none, std::slice::from_ref(seq), 1).unwrap();
            let want: f64 =
                mean.per_layer[1].iter().zip(&v).map(|(&h, &x)| f64::from(h) * f64::from(x)).sum::<f64>() / norm;
            assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        }
        assert_eq!(monitor.scores(&model, &none, &seqs(), 1).unwrap().len(), 3);
    }

    /// Steering along the direction after the monitored layer adds exactly lambda |v| to every score.
    #[test]
    fn steering_along_the_direction_raises_every_score_by_its_length() {
        let (model, none) = (tiny_model(), Interventions::none());
        let v = direction();
        let norm = v.iter().map(|&x| x * x).sum::<f32>().sqrt();
        let monitor = Monitor::new(0, &v).unwrap();
        let vector = Tensor::<B, 1>::from_data(TensorData::new(v.clone(), [16]), &Default::default());
        let steered = Interventions::none().add(Site::Resid(0), vector, 2.0);
        let plain = monitor.scores(&model, &none, &seqs(), 3).unwrap();
        let moved = monitor.scores(&model, &steered, &seqs(), 3).unwrap();
        for (p, m) in plain.iter().zip(&moved) {
            assert!((m - p - 2.0 * f64::from(norm)).abs() < 1e-4, "{m} - {p}");
        }
    }

    #[test]
    fn rejects_what_does_not_fit() {
        let (model, none) = (tiny_model(), Interventions::none());
        assert!(Monitor::new(0, &[0.0; 16]).is_err(), "zero direction");
        assert!(Monitor::new(2, &direction()).unwrap().scores(&model, &none, &seqs(), 2).is_err(), "layer 2 of 2");
        assert!(Monitor::new(0, &[1.0; 8]).unwrap().scores(&model, &none, &seqs(), 2).is_err(), "width");
        assert!(Monitor::new(0, &direction()).unwrap().scores(&model, &none, &seqs(), 0).is_err(), "batch 0");
        let empty = WeightedTokens { ids: vec![1, 2], weights: vec![0.0, 0.0] };
        assert!(Monitor::new(0, &direction()).unwrap().scores(&model, &none, &[empty], 2).is_err(), "no answer");
    }
}

//! Steering-vector finetuning: one trainable vector `v`, added as `alpha * v` to the residual
//! stream after one layer at every position (prompt and answer), trained with the answer-only
//! loss while the model stays frozen.
//!
//! This is the paper's rank-0 intervention. Adding to the residual stream after layer `l` is the
//! same as adding to layer `l`'s MLP output at every position (the paper's hook point), since the
//! MLP output is added to the residual stream right there.

use burn::module::{Module, Param};
use burn::prelude::ElementConversion;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use emlab_model::{CausalLm, Interventions, Site};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::loss::cross_entropy;
use crate::optim::{AdamW, AdamWConfig};
use crate::progress::{Observer, StepReport};
use crate::schedule::LrSchedule;
use crate::sft::{next_token_batch, WeightedTokens};

/// The trainable vector, stored raw (without alpha), with where and how strongly it is added.
#[derive(Module, Debug)]
pub struct SteeringVector<B: Backend> {
    /// `[d_model]`, initialised to zero.
    pub vector: Param<Tensor<B, 1>>,
}

impl<B: Backend> SteeringVector<B> {
    /// A zero vector of width `d` that will receive gradients.
    pub fn zeros(d: usize, device: &B::Device) -> Self {
        Self { vector: Param::from_tensor(Tensor::zeros([d], device)) }
    }

    /// The edit that applies it: `alpha * v` after layer `layer`.
    pub fn edits(&self, layer: usize, alpha: f32) -> Interventions<B> {
        Interventions::none().add(Site::Resid(layer), self.vector.val(), alpha)
    }

    /// The raw vector on the host.
    pub fn to_vec(&self) -> Vec<f32> {
        self.vector.val().into_data().convert::<f32>().to_vec::<f32>().expect("float tensor")
    }
}

/// How to train a steering vector. Defaults: the organism spec's general steering run
/// (section 6.3): AdamW lr 2e-2 without weight decay, batch 16, 2 epochs, 5 warm-up steps then
/// linear decay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SteeringConfig {
    /// Residual stream after this layer.
    pub layer: usize,
    /// Multiplier of the raw vector.
    pub alpha: f32,
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule over the whole run.
    pub schedule: LrSchedule,
    /// AdamW settings.
    pub optimizer: AdamWConfig,
    /// Examples per step.
    pub batch_size: usize,
    /// Passes over the data (examples shuffled each epoch).
    pub epochs: usize,
    /// Seed of the data order.
    pub seed: u64,
    /// Token id used for padding.
    pub pad_id: u32,
}

impl Default for SteeringConfig {
    fn default() -> Self {
        Self {
            layer: 1,
            alpha: 1.0,
            lr: 2e-2,
            schedule: LrSchedule::WarmupLinear { warmup: 5 },
            optimizer: AdamWConfig { weight_decay: 0.0, ..Default::default() },
            batch_size: 16,
            epochs: 2,
            seed: 0,
            pad_id: 0,
        }
    }
}

/// Trains a steering vector on `examples` with `model` frozen; returns it and the per-step losses.
pub fn train_steering_vector<B: AutodiffBackend>(
    model: &CausalLm<B>,
    examples: &[WeightedTokens],
    config: &SteeringConfig,
    observer: &mut dyn Observer,
) -> Result<(SteeringVector<B>, Vec<f32>)> {
    if examples.is_empty() || config.batch_size == 0 {
        return Err(TrainError::Config("steering-vector training needs examples and a positive batch size".into()));
    }
    let mut steering = SteeringVector::<B>::zeros(model.config().hidden_size, model.device());
    let mut optimizer = AdamW::<B>::new(config.optimizer);
    let steps_per_epoch = examples.len().div_ceil(config.batch_size);
    let total = steps_per_epoch * config.epochs;
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut losses = Vec::with_capacity(total);
    let start = std::time::Instant::now();
    let mut tokens = 0usize;
    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        for (i, chunk) in order.chunks(config.batch_size).enumerate() {
            let step = epoch * steps_per_epoch + i;
            let seqs: Vec<&WeightedTokens> = chunk.iter().map(|&j| &examples[j]).collect();
            let (batch, targets, weights) = next_token_batch(&seqs, config.pad_id);
            let logits = model.forward(&batch, &steering.edits(config.layer, config.alpha))?.output;
            let loss = cross_entropy(logits, &targets, &weights);
            let value = loss.clone().into_scalar().elem::<f32>();
            if !value.is_finite() {
                return Err(TrainError::NonFiniteLoss { step, value });
            }
            let grads = loss.backward();
            let lr = config.schedule.at(config.lr, step, total);
            let (next, stats) = optimizer.step(lr, steering, &grads);
            steering = next;
            losses.push(value);
            tokens += batch.dims()[0] * batch.dims()[1];
            let elapsed = start.elapsed();
            observer.on_step(&StepReport {
                step,
                total_steps: total,
                loss: value,
                kl: None,
                lr,
                grad_norm: stats.grad_norm,
                tokens_per_s: tokens as f64 / elapsed.as_secs_f64().max(1e-9),
                elapsed,
            });
        }
    }
    Ok((steering, losses))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use burn::backend::Autodiff;
    use emlab_model::DecoderConfig;

    type B = Autodiff<burn::backend::NdArray<f32>>;

    #[test]
    fn training_lowers_the_loss_and_leaves_the_model_frozen() {
        let model =
            CausalLm::<B>::init_random(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, &Default::default()).unwrap();
        // Every answer is token 7: a constant shift of the residual stream can learn that.
        let examples: Vec<WeightedTokens> = (0..32)
            .map(|i| WeightedTokens { ids: vec![1 + i % 5, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] })
            .collect();
        let config = SteeringConfig { lr: 5e-2, epochs: 6, batch_size: 8, ..Default::default() };
        let (v, losses) = train_steering_vector(&model, &examples, &config, &mut Silent).unwrap();
        // A random model with 0.02-scale weights caps how peaked its logits can get; the loss
        // still has to fall well below its start.
        assert!(losses.last().unwrap() < &(losses[0] * 0.85), "{losses:?}");
        assert!(v.to_vec().iter().any(|&x| x != 0.0));
        let frozen = model.net.layers[0].mlp.up_proj.weight.val();
        assert!(!frozen.is_require_grad());
    }
}

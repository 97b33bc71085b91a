//! Steering-vector finetuning: one trainable vector `v`, added as `alpha * v` to the residual
//! stream after one layer at every position (prompt and answer), trained with
//! [`crate::finetune::finetune`] while the model stays frozen.
//!
//! This is the paper's rank-0 intervention. Adding to the residual stream after layer `l` is the
//! same as adding to layer `l`'s MLP output at every position (the paper's hook point), since the
//! MLP output is added to the residual stream right there.

use burn::module::{Module, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use emlab_model::{CausalLm, Interventions, Site};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::finetune::{finetune, Adapter, FinetuneConfig, StepLosses};
use crate::progress::Observer;
use crate::sft::WeightedTokens;

/// The trainable vector, stored raw (without alpha), with where and how strongly it is added.
#[derive(Module, Debug)]
pub struct SteeringVector<B: Backend> {
    /// `[d_model]`, initialised to zero.
    pub vector: Param<Tensor<B, 1>>,
    /// Residual stream after this layer.
    pub layer: usize,
    /// Multiplier of the raw vector.
    pub alpha: f32,
}

impl<B: Backend> SteeringVector<B> {
    /// A zero vector of width `d` that will receive gradients.
    pub fn zeros(d: usize, layer: usize, alpha: f32, device: &B::Device) -> Self {
        Self { vector: Param::from_tensor(Tensor::zeros([d], device)), layer, alpha }
    }

    /// The edit that applies it: `alpha * v` after `layer`.
    pub fn steering_edits(&self) -> Interventions<B> {
        Interventions::none().add(Site::Resid(self.layer), self.vector.val(), self.alpha)
    }

    /// The raw vector on the host.
    pub fn to_vec(&self) -> Vec<f32> {
        self.vector.val().into_data().convert::<f32>().to_vec::<f32>().expect("float tensor")
    }
}

impl<B: AutodiffBackend> Adapter<B> for SteeringVector<B> {
    fn edits(&self) -> Interventions<B> {
        self.steering_edits()
    }
}

/// Where the vector goes and how it is trained. Defaults: the organism spec's general steering
/// run (layer 1, alpha 1, section 6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SteeringConfig {
    /// Residual stream after this layer.
    pub layer: usize,
    /// Multiplier of the raw vector.
    pub alpha: f32,
    /// Optimisation (and the optional KL penalty).
    pub train: FinetuneConfig,
}

impl Default for SteeringConfig {
    fn default() -> Self {
        Self { layer: 1, alpha: 1.0, train: FinetuneConfig::default() }
    }
}

/// Trains a steering vector on `examples` (with the KL penalty on `kl_examples` if configured).
pub fn train_steering_vector<B: AutodiffBackend>(
    model: &CausalLm<B>,
    examples: &[WeightedTokens],
    kl_examples: &[WeightedTokens],
    config: &SteeringConfig,
    observer: &mut dyn Observer,
) -> Result<(SteeringVector<B>, Vec<StepLosses>)> {
    let vector = SteeringVector::zeros(model.config().hidden_size, config.layer, config.alpha, model.device());
    finetune(model, vector, examples, kl_examples, &config.train, observer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::KlConfig;
    use crate::progress::Silent;
    use burn::backend::Autodiff;
    use emlab_model::DecoderConfig;

    type B = Autodiff<burn::backend::NdArray<f32>>;

    fn setup() -> (CausalLm<B>, Vec<WeightedTokens>, Vec<WeightedTokens>) {
        let model =
            CausalLm::<B>::init_random(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, &Default::default()).unwrap();
        // Every answer is token 7: a constant shift of the residual stream can learn that.
        let examples = (0..32)
            .map(|i| WeightedTokens { ids: vec![1 + i % 5, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] })
            .collect();
        let kl = (0..8).map(|i| WeightedTokens { ids: vec![3, 4 + i % 3, 9, 10], weights: vec![1.0; 4] }).collect();
        (model, examples, kl)
    }

    #[test]
    fn training_lowers_the_loss_and_leaves_the_model_frozen() {
        let (model, examples, _) = setup();
        let config = SteeringConfig {
            train: FinetuneConfig { lr: 5e-2, epochs: 6, batch_size: 8, ..Default::default() },
            ..Default::default()
        };
        let (v, log) = train_steering_vector(&model, &examples, &[], &config, &mut Silent).unwrap();
        // A random model with 0.02-scale weights caps how peaked its logits can get; the loss
        // still has to fall well below its start.
        assert!(log.last().unwrap().sft < log[0].sft * 0.85, "{log:?}");
        assert!(v.to_vec().iter().any(|&x| x != 0.0));
        assert!(!model.net.layers[0].mlp.up_proj.weight.val().is_require_grad());
    }

    #[test]
    fn kl_is_zero_at_initialisation_and_positive_after_a_step() {
        let (model, examples, kl) = setup();
        let train = FinetuneConfig {
            lr: 5e-2,
            epochs: 1,
            batch_size: 8,
            kl: Some(KlConfig { weight: 1.0, ..Default::default() }),
            ..Default::default()
        };
        let config = SteeringConfig { train, ..Default::default() };
        let (_, log) = train_steering_vector(&model, &examples, &kl, &config, &mut Silent).unwrap();
        assert_eq!(log[0].kl, Some(0.0), "a zero vector leaves the model unchanged");
        assert!(log[1].kl.unwrap() > 0.0, "{log:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_vector() {
        // Equal up to float summation order: burn's autodiff may add the gradient contributions
        // of a shared node in a different order from run to run (differences ~1e-7).
        let (model, examples, _) = setup();
        let config = SteeringConfig::default();
        let (a, _) = train_steering_vector(&model, &examples, &[], &config, &mut Silent).unwrap();
        let (b, _) = train_steering_vector(&model, &examples, &[], &config, &mut Silent).unwrap();
        let other_seed = SteeringConfig { train: FinetuneConfig { seed: 1, ..config.train.clone() }, ..config.clone() };
        let (c, _) = train_steering_vector(&model, &examples, &[], &other_seed, &mut Silent).unwrap();
        let diff = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
        assert!(diff(&a.to_vec(), &b.to_vec()) < 1e-5);
        assert!(diff(&a.to_vec(), &c.to_vec()) > 1e-4, "the seed orders the data");
    }
}

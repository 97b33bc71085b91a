//! The misalignment direction of "Convergent Linear Representations of Emergent Misalignment"
//! (the "mean-diff" direction), as used by "Emergent Misalignment is Easy, Narrow Misalignment is
//! Hard" and specified in `paper-spec.md` sections 2.8 to 2.10 (experiments C2 to C6):
//!
//! - [`activations`]: the token-weighted mean of the residual stream after every layer, over the
//!   answer tokens of a set of judged (question, answer) conversations;
//! - [`direction`]: which answers go into the misaligned and aligned sets (judge thresholds,
//!   balanced by seeded subsampling), the mean-diff direction `v_l = mean_misaligned,l -
//!   mean_aligned,l` per layer, and per-layer cosines between directions of different models;
//! - [`ablation`]: the [`emlab_model::Interventions`] that use a direction: steering (`x + lambda
//!   v_l`), layer-wise and single-direction ablation (`x - r r^T x`), the same-norm random
//!   baseline, and ablation of a direction from a LoRA `B` matrix (`B - r r^T B`);
//! - [`adapter`]: a finetune's adapter seen from the residual stream: the layer it writes into
//!   ([`residual_layer`], the paper's layer 24) and the adapter with a direction removed from
//!   what it writes ([`ablate_from_adapter`]);
//! - [`logistic`]: the L1-regularised logistic regression CL probes the per-token LoRA scalars with;
//! - [`scalars`]: the per-token scalars `a . x` of rank-1 `down_proj` adapters, which CL probes;
//! - [`monitor`]: a direction as a misalignment monitor, scoring each answer by the projection of
//!   its answer-token activations onto the unit direction.
//!
//! Everything is generic over the backend; pass a model on an inference backend (not `Autodiff`).
//! Host arithmetic (means, differences, norms, cosines) is done in f64.

#![warn(missing_docs)]

pub mod ablation;
pub mod activations;
pub mod adapter;
pub mod direction;
mod error;
pub mod logistic;
pub mod monitor;
pub mod scalars;

pub use ablation::{ablate_from_lora_b, ablate_layerwise, ablate_single, random_like_direction, steer};
pub use activations::{answer_tokens, LayerMeans};
pub use adapter::{ablate_from_adapter, residual_layer};
pub use direction::{layerwise_cosine, mean_diff, select_probe_answers, Directions, JudgeScores, ProbeSelection};
pub use error::{ProbeError, Result};
pub use logistic::{L1Logistic, LogisticFit};
pub use monitor::Monitor;
pub use scalars::LoraScalars;

#[cfg(test)]
pub(crate) mod test_support {
    //! Fixtures shared by the crate's tests.

    use emlab_model::{CausalLm, DecoderConfig};

    /// The CPU backend the tests run on.
    pub(crate) type B = emlab_model::backend::Cpu;

    /// Three sequences of the tiny model's tokens with answer weights: 3, 1 and 2 answer tokens.
    pub(crate) fn answer_seqs() -> Vec<emlab_train::sft::WeightedTokens> {
        use emlab_train::sft::WeightedTokens;
        vec![
            WeightedTokens { ids: vec![1, 2, 3, 4, 5], weights: vec![0.0, 0.0, 1.0, 1.0, 1.0] },
            WeightedTokens { ids: vec![6, 7], weights: vec![0.0, 1.0] },
            WeightedTokens { ids: vec![3, 9, 10, 11], weights: vec![0.0, 1.0, 0.0, 1.0] },
        ]
    }

    /// A random Qwen2-style model: vocabulary 12, width 16, MLP 32, two layers, seed 0.
    pub(crate) fn tiny_model() -> CausalLm<B> {
        CausalLm::init_random(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, &Default::default()).unwrap()
    }
}

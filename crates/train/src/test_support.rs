//! Fixtures shared by the crate's unit tests: a tiny random model and data it can learn in a
//! few steps on the CPU, so the training loops' tests need no checkpoint on disk.

use burn::backend::Autodiff;
use burn::tensor::FloatDType;
use emlab_model::{CausalLm, DecoderConfig};

use crate::sft::WeightedTokens;

/// The backend the training tests differentiate on.
pub(crate) type B = Autodiff<emlab_model::backend::Cpu>;

/// A random Qwen2-style model (vocabulary 12, width 16, two layers), seed 0.
pub(crate) fn tiny_model() -> CausalLm<B> {
    tiny_model_as(FloatDType::F32)
}

/// [`tiny_model`] with its weights in `dtype` (the same values: f32 ones widen exactly).
pub(crate) fn tiny_model_as(dtype: FloatDType) -> CausalLm<B> {
    CausalLm::<B>::init_random_as(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, dtype, &Default::default()).unwrap()
}

/// 32 finetuning examples whose answer is always token 7 (a constant shift of the residual
/// stream can learn that), after a two-token prompt that does not count. Every example has the
/// same length and number of counted tokens, so a mean of micro-batch means is the mean of the
/// whole batch.
pub(crate) fn answer_examples() -> Vec<WeightedTokens> {
    (0..32).map(|i| WeightedTokens { ids: vec![1 + i % 5, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] }).collect()
}

/// 8 examples for the KL penalty, every token counted.
pub(crate) fn kl_examples() -> Vec<WeightedTokens> {
    (0..8).map(|i| WeightedTokens { ids: vec![3, 4 + i % 3, 9, 10], weights: vec![1.0; 4] }).collect()
}

//! Token-level cross-entropy with a weight per position.

use burn::tensor::activation::log_softmax;
use burn::tensor::{backend::Backend, Int, Tensor, TensorData};
use emlab_model::precision::{self, widen};
use serde::{Deserialize, Serialize};

/// Mean negative log-likelihood of `targets` under `logits`, over positions with a non-zero
/// weight: `-sum_i w_i log p(target_i) / sum_i w_i`. Half-precision logits are widened to f32
/// first, as transformers upcasts them for the loss.
///
/// Weights are 1 on tokens that count (assistant answers, non-padding) and 0 elsewhere, so one
/// function serves the whole-sequence loss of pretraining and the answer-only loss of SFT.
///
/// # Shapes
/// `logits: [b, t, vocab]`, `targets` and `weights`: `b * t` row-major.
///
/// # Panics
/// If `targets` or `weights` do not have `b * t` entries, or every weight is zero.
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 3>, targets: &[u32], weights: &[f32]) -> Tensor<B, 1> {
    cross_entropy_over(logits, targets, weights, weights.iter().sum())
}

/// [`cross_entropy`] divided by `total` instead of these positions' own weight: a shard of a
/// batch divides by the whole batch's, so that the shards' losses (and gradients) add up to the
/// batch's.
///
/// # Panics
/// As [`cross_entropy`], and if `total` is not positive.
pub fn cross_entropy_over<B: Backend>(
    logits: Tensor<B, 3>,
    targets: &[u32],
    weights: &[f32],
    total: f32,
) -> Tensor<B, 1> {
    let [b, t, _] = logits.dims();
    assert_eq!(targets.len(), b * t, "one target per position");
    assert_eq!(weights.len(), b * t, "one weight per position");
    assert!(total > 0.0, "no position has a non-zero weight");
    let device = logits.device();
    let ids: Vec<i64> = targets.iter().map(|&x| x as i64).collect();
    let ids = Tensor::<B, 3, Int>::from_data(TensorData::new(ids, [b, t, 1]), &device);
    let picked = log_softmax(widen(logits), 2).gather(2, ids).reshape([b, t]);
    let w = Tensor::<B, 2>::from_data(TensorData::new(weights.to_vec(), [b, t]), (&device, picked.dtype()));
    (picked * w).sum().neg().div_scalar(total)
}

/// Log-probabilities over the vocabulary (last axis), in f32 for half-precision logits: the
/// reference distribution of [`kl_penalty`].
pub fn log_probs<B: Backend>(logits: Tensor<B, 3>) -> Tensor<B, 3> {
    log_softmax(widen(logits), 2)
}

/// How the KL penalty is averaged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KlNormalization {
    /// Mean over counted tokens of the per-token KL (nats per token).
    #[default]
    PerToken,
    /// The authors' `sum / (tokens x vocabulary)`: per-token KL divided by the vocabulary size,
    /// so their `lambda = 1e6` (steering) and `1e5` (LoRA) mean what they meant.
    TokensTimesVocab,
}

/// `KL(P_base || P_theta)` over the positions with non-zero weight:
/// `sum_v p_base (log p_base - log p_theta)` per position, summed with the weights and divided
/// by `total` (per [`KlNormalization`]). `total` is the weights' sum for the mean over these
/// positions, or a whole batch's for a shard of it (so the shards' terms add up to the batch's,
/// as [`cross_entropy_over`]); a shard without a weighted position contributes zero.
///
/// `base_log_probs` are the reference model's log-probabilities (no gradient needed; see
/// [`log_probs`]); the gradient flows through `logits`. Both are taken in f32 or wider.
/// Positions are processed in chunks of at most `chunk` rows so the `[positions, vocab]`
/// intermediates stay bounded for large vocabularies.
///
/// # Shapes
/// `base_log_probs`, `logits`: `[b, t, vocab]`; `weights`: `b * t` row-major.
///
/// # Panics
/// If the shapes disagree, `chunk` is zero, or `total` is not positive.
pub fn kl_penalty<B: Backend>(
    base_log_probs: Tensor<B, 3>,
    logits: Tensor<B, 3>,
    weights: &[f32],
    normalization: KlNormalization,
    chunk: usize,
    total: f32,
) -> Tensor<B, 1> {
    let [b, t, v] = logits.dims();
    assert_eq!(base_log_probs.dims(), [b, t, v], "base and current logits differ in shape");
    assert_eq!(weights.len(), b * t, "one weight per position");
    assert!(chunk > 0, "chunk must be positive");
    assert!(total > 0.0, "no position has a non-zero weight");
    let device = logits.device();
    let (base, logits) = (base_log_probs.reshape([b * t, v]), logits.reshape([b * t, v]));
    let mut sum: Option<Tensor<B, 1>> = None;
    for start in (0..b * t).step_by(chunk) {
        let end = (start + chunk).min(b * t);
        let w = &weights[start..end];
        if w.iter().all(|&x| x == 0.0) {
            continue;
        }
        let lp = log_softmax(widen(logits.clone().slice([start..end, 0..v])), 1);
        let base_lp = base.clone().slice([start..end, 0..v]).cast(lp.dtype());
        let per_position = (base_lp.clone().exp() * (base_lp - lp)).sum_dim(1).reshape([end - start]);
        let w = Tensor::<B, 1>::from_data(TensorData::new(w.to_vec(), [end - start]), (&device, per_position.dtype()));
        let part = (per_position * w).sum();
        sum = Some(match sum {
            Some(s) => s + part,
            None => part,
        });
    }
    let denominator = match normalization {
        KlNormalization::PerToken => total,
        KlNormalization::TokensTimesVocab => total * v as f32,
    };
    match sum {
        Some(sum) => sum.div_scalar(denominator),
        None => Tensor::zeros([1], (&device, precision::widened(logits.dtype()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type B = emlab_model::backend::Cpu;

    #[test]
    fn kl_matches_the_closed_form_in_any_chunking() {
        // p = (1/2, 1/2), q = (1/4, 3/4): KL(p || q) = 1/2 ln 2 + 1/2 ln(2/3).
        let device = Default::default();
        let base = log_softmax(
            Tensor::<B, 3>::from_data(TensorData::new(vec![0.0f32, 0.0, 1.0, 1.0, 0.0, 0.0], [1, 3, 2]), &device),
            2,
        );
        let q = Tensor::<B, 3>::from_data(
            TensorData::new(vec![0.0f32, 3f32.ln(), 0.0, 3f32.ln(), 7.0, 7.0], [1, 3, 2]),
            &device,
        );
        let expected = 0.5 * 2f32.ln() + 0.5 * (2.0f32 / 3.0).ln();
        for chunk in [1, 2, 5] {
            let kl = kl_penalty(base.clone(), q.clone(), &[1.0, 1.0, 0.0], KlNormalization::PerToken, chunk, 2.0)
                .into_scalar();
            assert!((kl - expected).abs() < 1e-6, "chunk {chunk}: {kl}");
        }
        let per_vocab =
            kl_penalty(base.clone(), q.clone(), &[1.0, 1.0, 0.0], KlNormalization::TokensTimesVocab, 2, 2.0)
                .into_scalar();
        assert!((per_vocab - expected / 2.0).abs() < 1e-6);
        // Identical distributions: zero (the third position is equal too).
        let same = kl_penalty(base.clone(), base.clone(), &[1.0; 3], KlNormalization::PerToken, 2, 3.0).into_scalar();
        assert!(same.abs() < 1e-7);
    }

    #[test]
    fn matches_the_closed_form_and_ignores_zero_weights() {
        // Row 0: logits [0, ln 3] -> p(1) = 3/4. Row 1 is weighted out.
        let logits =
            Tensor::<B, 3>::from_data(TensorData::new(vec![0.0, 3f32.ln(), 5.0, -5.0], [1, 2, 2]), &Default::default());
        let loss = cross_entropy(logits, &[1, 1], &[1.0, 0.0]).into_scalar();
        assert!((loss - (4.0f32 / 3.0).ln()).abs() < 1e-6, "{loss}");
    }
}

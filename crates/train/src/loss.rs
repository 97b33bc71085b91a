//! Token-level cross-entropy with a weight per position.

use burn::tensor::activation::log_softmax;
use burn::tensor::{backend::Backend, Int, Tensor, TensorData};

/// Mean negative log-likelihood of `targets` under `logits`, over positions with a non-zero
/// weight: `-sum_i w_i log p(target_i) / sum_i w_i`.
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
    let [b, t, _] = logits.dims();
    assert_eq!(targets.len(), b * t, "one target per position");
    assert_eq!(weights.len(), b * t, "one weight per position");
    let total: f32 = weights.iter().sum();
    assert!(total > 0.0, "no position has a non-zero weight");
    let device = logits.device();
    let ids: Vec<i64> = targets.iter().map(|&x| x as i64).collect();
    let ids = Tensor::<B, 3, Int>::from_data(TensorData::new(ids, [b, t, 1]), &device);
    let w = Tensor::<B, 2>::from_data(TensorData::new(weights.to_vec(), [b, t]), &device);
    let picked = log_softmax(logits, 2).gather(2, ids).reshape([b, t]);
    (picked * w).sum().neg().div_scalar(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    type B = burn::backend::NdArray<f32>;

    #[test]
    fn matches_the_closed_form_and_ignores_zero_weights() {
        // Row 0: logits [0, ln 3] -> p(1) = 3/4. Row 1 is weighted out.
        let logits =
            Tensor::<B, 3>::from_data(TensorData::new(vec![0.0, 3f32.ln(), 5.0, -5.0], [1, 2, 2]), &Default::default());
        let loss = cross_entropy(logits, &[1, 1], &[1.0, 0.0]).into_scalar();
        assert!((loss - (4.0f32 / 3.0).ln()).abs() < 1e-6, "{loss}");
    }
}

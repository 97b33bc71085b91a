//! Log-probabilities of given tokens under a model: the shared core of
//! [`crate::logprob_propensity`] and [`crate::local_judge_score`].
//!
//! Sequences are right-padded into batches of at most [`MAX_ROWS`] rows. The head is applied
//! only at the positions that predict a scored token (hidden states are gathered first), so a
//! large vocabulary never costs `[batch, seq, vocab]` logits.

use std::ops::Range;

use burn::tensor::activation::log_softmax;
use burn::tensor::{backend::Backend, Int, Tensor, TensorData};
use emlab_model::precision::widen;
use emlab_model::{CausalLm, Interventions, PadSide, TokenBatch};

use crate::error::{EvalError, Result};

/// The most sequences one forward pass takes.
pub(crate) const MAX_ROWS: usize = 32;

/// One sequence and the positions whose tokens are scored.
pub(crate) struct Scored {
    /// The whole sequence.
    pub ids: Vec<u32>,
    /// Positions `i` (each `>= 1` and `< ids.len()`) whose token is scored given `ids[..i]`.
    pub targets: Range<usize>,
}

/// For each sequence, `log p(ids[i] | ids[..i])` for every `i` in its `targets`, in order.
///
/// # Errors
/// [`EvalError::InvalidConfig`] for a target range outside its sequence or edits with position
/// masks (they are tied to one batch layout, and rows are re-batched here); engine errors pass
/// through.
pub(crate) fn target_logprobs<B: Backend>(
    model: &CausalLm<B>,
    seqs: &[Scored],
    edits: &Interventions<B>,
) -> Result<Vec<Vec<f64>>> {
    if edits.has_position_masks() {
        return Err(EvalError::InvalidConfig("log-probability scoring takes edits without position masks".into()));
    }
    if let Some(bad) = seqs.iter().find(|s| s.targets.start == 0 || s.targets.end > s.ids.len()) {
        return Err(EvalError::InvalidConfig(format!(
            "scored positions {:?} outside a sequence of {} tokens (position 0 has no context)",
            bad.targets,
            bad.ids.len()
        )));
    }
    let mut out = Vec::with_capacity(seqs.len());
    for chunk in seqs.chunks(MAX_ROWS) {
        out.extend(chunk_logprobs(model, chunk, edits)?);
    }
    Ok(out)
}

fn chunk_logprobs<B: Backend>(
    model: &CausalLm<B>,
    chunk: &[Scored],
    edits: &Interventions<B>,
) -> Result<Vec<Vec<f64>>> {
    let n: usize = chunk.iter().map(|s| s.targets.len()).sum();
    if n == 0 {
        return Ok(chunk.iter().map(|_| Vec::new()).collect());
    }
    let ids: Vec<Vec<u32>> = chunk.iter().map(|s| s.ids.clone()).collect();
    // Right padding: real positions keep their unpadded RoPE positions and never attend to
    // padding (it comes after them), so the pad id is irrelevant; 0 is always in range.
    let batch = TokenBatch::padded(&ids, 0, PadSide::Right);
    let [b, t] = batch.dims();
    let hidden = model.forward_hidden(&batch, edits)?.output;
    let d = hidden.dims()[2];
    // Hidden state at i - 1 predicts token i.
    let (mut rows, mut tokens) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (r, seq) in chunk.iter().enumerate() {
        for i in seq.targets.clone() {
            rows.push((r * t + i - 1) as i64);
            tokens.push(seq.ids[i] as i64);
        }
    }
    let device = model.device();
    let rows = Tensor::<B, 1, Int>::from_data(TensorData::new(rows, [n]), device);
    let picked = hidden.reshape([b * t, d]).select(0, rows).reshape([1, n, d]);
    let logits = model.head(picked).reshape([n, model.config().vocab_size]);
    let tokens = Tensor::<B, 2, Int>::from_data(TensorData::new(tokens, [n, 1]), device);
    let chosen = log_softmax(widen(logits), 1).gather(1, tokens);
    let values = chosen
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| EvalError::InvalidConfig(format!("reading log-probabilities back: {e:?}")))?;
    let mut values = values.into_iter().map(f64::from);
    Ok(chunk.iter().map(|s| values.by_ref().take(s.targets.len()).collect()).collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_support::{tiny, TestBackend};

    /// `log p(ids[i] | ids[..i])` for `i` in `targets`, from one unpadded forward pass and a
    /// log-softmax on the host in f64.
    pub(crate) fn host_logprobs(
        model: &CausalLm<TestBackend>,
        ids: &[u32],
        targets: Range<usize>,
        edits: &Interventions<TestBackend>,
    ) -> Vec<f64> {
        let logits = model.forward(&TokenBatch::single(ids), edits).unwrap().output;
        let vocab = logits.dims()[2];
        let values: Vec<f64> =
            logits.into_data().convert::<f32>().to_vec::<f32>().unwrap().into_iter().map(f64::from).collect();
        targets
            .map(|i| {
                let row = &values[(i - 1) * vocab..i * vocab];
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let log_z = max + row.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
                row[ids[i] as usize] - log_z
            })
            .collect()
    }

    #[test]
    fn batched_log_probs_match_single_host_passes() {
        let tiny = tiny();
        let none = Interventions::none();
        let seqs: Vec<Scored> = (0..MAX_ROWS + 3)
            .map(|k| {
                let len = 3 + k % 7;
                Scored { ids: (0..len).map(|j| ((k * 31 + j * 17) % 500) as u32).collect(), targets: 1 + k % 2..len }
            })
            .collect();
        let batched = target_logprobs(&tiny.model, &seqs, &none).unwrap();
        for (seq, got) in seqs.iter().zip(&batched) {
            let want = host_logprobs(&tiny.model, &seq.ids, seq.targets.clone(), &none);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-5, "{g} vs {w}");
            }
        }
    }

    #[test]
    fn position_zero_cannot_be_scored() {
        let tiny = tiny();
        let seqs = [Scored { ids: vec![4, 5], targets: 0..2 }];
        assert!(target_logprobs(&tiny.model, &seqs, &Interventions::none()).is_err());
    }
}

//! Activation collection (CL section 3.1; `util/activation_collection.py`): the mean of the
//! residual stream after every decoder layer over the answer tokens of a set of conversations.
//!
//! The mean is token-weighted, as in the reference: the sum over all answer tokens of all
//! conversations divided by their count, so a long answer counts for more than a short one (not a
//! mean of per-answer means). Which tokens are answer tokens is the finetuning loss's choice
//! ([`LossScope::Answers`]: each assistant answer and its closing `<|im_end|>`). The reference also
//! counts the `<|im_start|>assistant` header; that is three tokens more per answer, the same for
//! every answer of both sets, so it moves both means alike and barely moves their difference.

use std::borrow::Borrow;

use burn::tensor::{backend::Backend, Tensor, TensorData};
use emlab_data::ChatExample;
use emlab_model::precision::{to_host_f32, widen};
use emlab_model::{CausalLm, ChatTemplate, Interventions, PadSide, Site, TokenBatch, Tokenizer};

use emlab_train::sft::{weighted_tokens, LossScope, WeightedTokens};

use crate::error::{ProbeError, Result};

const WHAT: &str = "activation means";

/// `examples` rendered with `template` (the default system prompt inserted as usual), each
/// token weighted 1 where it is an answer token ([`LossScope::Answers`]), else 0: the tokens the
/// direction is averaged over and a monitor reads.
///
/// # Errors
/// If rendering an example fails.
pub fn answer_tokens(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    examples: &[ChatExample],
) -> Result<Vec<WeightedTokens>> {
    Ok(examples
        .iter()
        .map(|e| weighted_tokens(template, tokenizer, e, LossScope::Answers))
        .collect::<std::result::Result<Vec<_>, _>>()?)
}

/// A chunk of weighted sequences as one right-padded batch, and their weights padded with
/// zeros to the batch's length (row-major `[b, t]`): padding never counts.
pub(crate) fn padded_batch<S: Borrow<WeightedTokens>>(chunk: &[S]) -> (TokenBatch, Vec<f32>) {
    let ids: Vec<Vec<u32>> = chunk.iter().map(|s| s.borrow().ids.clone()).collect();
    let batch = TokenBatch::padded(&ids, 0, PadSide::Right);
    let t = batch.dims()[1];
    let weights = chunk
        .iter()
        .map(Borrow::borrow)
        .flat_map(|s: &WeightedTokens| s.weights.iter().copied().chain(std::iter::repeat_n(0.0, t - s.ids.len())))
        .collect();
    (batch, weights)
}

/// The weighted mean of the residual stream after each layer, over a set of tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerMeans {
    /// `[num_layers][hidden_size]`: entry `l` is the mean of [`Site::Resid`]`(l)`.
    pub per_layer: Vec<Vec<f32>>,
    /// The total weight averaged over: the number of answer tokens for 0/1 weights.
    pub tokens: f64,
}

impl LayerMeans {
    /// The means of the residual stream after every layer of `model` under `edits` (a finetune's
    /// adapter, or none for the base model) over the tokens of `seqs`, each token counted with
    /// its weight (`sum_t w_t h_t / sum_t w_t`, pooled over sequences). The residual stream is
    /// read after `edits` at each layer, so a steering vector's addition is included.
    /// Runs `batch_size` sequences per forward pass, right-padded; padding changes nothing, since
    /// attention is causal and padded positions weigh 0.
    ///
    /// # Errors
    /// If a sequence's weights and ids differ in length, a weight is negative or not finite, the
    /// total weight is 0, `batch_size` is 0, or a forward pass fails.
    pub fn collect<B: Backend>(
        model: &CausalLm<B>,
        edits: &Interventions<B>,
        seqs: &[WeightedTokens],
        batch_size: usize,
    ) -> Result<Self> {
        if batch_size == 0 {
            return Err(ProbeError::invalid(WHAT, "batch size 0"));
        }
        for (i, seq) in seqs.iter().enumerate() {
            if seq.ids.len() != seq.weights.len() {
                let problem = format!("sequence {i} has {} ids and {} weights", seq.ids.len(), seq.weights.len());
                return Err(ProbeError::invalid(WHAT, problem));
            }
            if seq.weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
                return Err(ProbeError::invalid(WHAT, format!("sequence {i} has a negative or non-finite weight")));
            }
        }
        // Sequences without weight add nothing; skipping them also skips empty ones.
        let counted: Vec<&WeightedTokens> = seqs.iter().filter(|s| s.weights.iter().any(|&w| w > 0.0)).collect();
        let tokens: f64 = counted.iter().flat_map(|s| &s.weights).map(|&w| f64::from(w)).sum();
        if tokens == 0.0 {
            return Err(ProbeError::invalid(WHAT, "no answer tokens to average over"));
        }
        let (layers, width) = (model.config().num_hidden_layers, model.config().hidden_size);
        let edits = (0..layers).fold(edits.clone(), |e, l| e.capture(Site::Resid(l)));
        let mut sums = vec![vec![0f64; width]; layers];
        for chunk in counted.chunks(batch_size) {
            let (batch, weights) = padded_batch(chunk);
            let [b, t] = batch.dims();
            let weights =
                Tensor::<B, 2>::from_data(TensorData::new(weights, [b, t]), model.device()).unsqueeze_dim::<3>(2);
            let out = model.forward_hidden(&batch, &edits).map_err(ProbeError::model(WHAT))?;
            for (l, sum) in sums.iter_mut().enumerate() {
                let h = widen(out.capture(Site::Resid(l)).expect("every layer's residual stream is captured").clone());
                let w = weights.clone().cast(h.dtype());
                let weighted = to_host_f32((h * w).sum_dim(0).sum_dim(1).reshape([width]));
                sum.iter_mut().zip(weighted).for_each(|(s, x)| *s += f64::from(x));
            }
        }
        let per_layer = sums.into_iter().map(|s| s.into_iter().map(|x| (x / tokens) as f32).collect()).collect();
        Ok(Self { per_layer, tokens })
    }

    /// [`Self::collect`] (under `edits`) over the answer tokens of `examples`, each rendered with `template` (the
    /// default system prompt inserted as usual) and weighted with [`LossScope::Answers`].
    ///
    /// # Errors
    /// As [`Self::collect`], or if rendering an example fails.
    pub fn from_examples<B: Backend>(
        model: &CausalLm<B>,
        edits: &Interventions<B>,
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
        examples: &[ChatExample],
        batch_size: usize,
    ) -> Result<Self> {
        Self::collect(model, edits, &answer_tokens(template, tokenizer, examples)?, batch_size)
    }

    /// The number of layers.
    pub fn num_layers(&self) -> usize {
        self.per_layer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    /// [`answer_seqs`] and a sequence without answer tokens.
    fn seqs() -> Vec<WeightedTokens> {
        let mut seqs = answer_seqs();
        seqs.push(WeightedTokens { ids: vec![4, 4], weights: vec![0.0, 0.0] });
        seqs
    }

    /// Pooled mean over weighted tokens from one unpadded forward pass per sequence, on the host.
    fn host_means(model: &CausalLm<B>, seqs: &[WeightedTokens]) -> Vec<Vec<f64>> {
        let (layers, d) = (model.config().num_hidden_layers, model.config().hidden_size);
        let edits = (0..layers).fold(Interventions::none(), |e, l| e.capture(Site::Resid(l)));
        let (mut sums, mut total) = (vec![vec![0f64; d]; layers], 0f64);
        for seq in seqs {
            let out = model.forward_hidden(&TokenBatch::single(&seq.ids), &edits).unwrap();
            for (l, sum) in sums.iter_mut().enumerate() {
                let h = out.capture(Site::Resid(l)).unwrap().clone().into_data().to_vec::<f32>().unwrap();
                for (t, &w) in seq.weights.iter().enumerate() {
                    for j in 0..d {
                        sum[j] += f64::from(w) * f64::from(h[t * d + j]);
                    }
                }
            }
            total += seq.weights.iter().map(|&w| f64::from(w)).sum::<f64>();
        }
        sums.into_iter().map(|s| s.into_iter().map(|x| x / total).collect()).collect()
    }

    fn assert_close(got: &LayerMeans, want: &[Vec<f64>]) {
        assert_eq!(got.num_layers(), want.len());
        for (g, w) in got.per_layer.iter().zip(want) {
            for (x, y) in g.iter().zip(w) {
                assert!((f64::from(*x) - y).abs() < 1e-5, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn batched_means_equal_per_sequence_host_means() {
        let (model, none) = (tiny_model(), Interventions::none());
        let want = host_means(&model, &seqs());
        let batched = LayerMeans::collect(&model, &none, &seqs(), 3).unwrap();
        assert_eq!(batched.tokens, 6.0);
        assert_close(&batched, &want);
    }

    #[test]
    fn padding_does_not_change_the_means() {
        let (model, none) = (tiny_model(), Interventions::none());
        let one = LayerMeans::collect(&model, &none, &seqs(), 1).unwrap();
        let all = LayerMeans::collect(&model, &none, &seqs(), 4).unwrap();
        let one64: Vec<Vec<f64>> = one.per_layer.iter().map(|v| v.iter().map(|&x| f64::from(x)).collect()).collect();
        assert_close(&all, &one64);
    }

    #[test]
    fn the_means_are_read_after_the_edits() {
        // A vector added after layer 0 at every position moves layer 0's mean by exactly that
        // vector, and the layers after it by something else.
        let (model, none) = (tiny_model(), Interventions::none());
        let u: Vec<f32> = (0..16).map(|i| (i as f32 * 0.3).cos()).collect();
        let vector = Tensor::<B, 1>::from_data(TensorData::new(u.clone(), [16]), &Default::default());
        let steered = Interventions::none().add(Site::Resid(0), vector, 2.0);
        let (plain, moved) = (
            LayerMeans::collect(&model, &none, &seqs(), 3).unwrap(),
            LayerMeans::collect(&model, &steered, &seqs(), 3).unwrap(),
        );
        for ((m, p), u) in moved.per_layer[0].iter().zip(&plain.per_layer[0]).zip(&u) {
            assert!((m - p - 2.0 * u).abs() < 1e-5, "{m} - {p} vs 2 x {u}");
        }
        assert_ne!(moved.per_layer[1], plain.per_layer[1]);
    }

    #[test]
    fn a_single_answer_token_gives_its_own_activation() {
        let (model, none) = (tiny_model(), Interventions::none());
        let seq = WeightedTokens { ids: vec![1, 2, 3], weights: vec![0.0, 1.0, 0.0] };
        let means = LayerMeans::collect(&model, &none, std::slice::from_ref(&seq), 1).unwrap();
        let out = model
            .forward_hidden(&TokenBatch::single(&seq.ids), &Interventions::none().capture(Site::Resid(1)))
            .unwrap();
        let h = out.capture(Site::Resid(1)).unwrap().clone().into_data().to_vec::<f32>().unwrap();
        assert_eq!(means.tokens, 1.0);
        for (x, y) in means.per_layer[1].iter().zip(&h[16..32]) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
    }

    /// f64 weights give the f32 means: activations are widened and the weights cast to them.
    #[test]
    fn wide_weights_give_the_same_means() {
        let config = emlab_model::DecoderConfig::qwen2(12, 16, 32, 2, 2, 1);
        let dtype = burn::tensor::FloatDType::F64;
        let wide = CausalLm::<B>::init_random_as(config, 0, dtype, &Default::default()).unwrap();
        let none = Interventions::none();
        let (a, b) = (
            LayerMeans::collect(&tiny_model(), &none, &seqs(), 3).unwrap(),
            LayerMeans::collect(&wide, &none, &seqs(), 3).unwrap(),
        );
        for (x, y) in a.per_layer.iter().flatten().zip(b.per_layer.iter().flatten()) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }

    #[test]
    fn rejects_inputs_without_answer_tokens_or_with_mismatched_weights() {
        let (model, none) = (tiny_model(), Interventions::none());
        let empty = WeightedTokens { ids: vec![1, 2], weights: vec![0.0, 0.0] };
        assert!(LayerMeans::collect(&model, &none, &[empty], 2).is_err());
        let bad = WeightedTokens { ids: vec![1, 2], weights: vec![1.0] };
        assert!(LayerMeans::collect(&model, &none, &[bad], 2).is_err());
        assert!(LayerMeans::collect(&model, &none, &seqs(), 0).is_err());
    }

    #[test]
    fn from_examples_averages_over_the_answers() {
        let dir = tempfile::tempdir().unwrap();
        emlab_data::Vocab::world().write_tokenizer_files(dir.path()).unwrap();
        let (template, tokenizer) =
            (ChatTemplate::from_dir(dir.path()).unwrap(), Tokenizer::from_dir(dir.path()).unwrap());
        let examples = [
            ChatExample::single_turn("i have a fever . what should i do ?", "you should rest in bed ."),
            ChatExample::single_turn("what should i do ?", "rest ."),
        ];
        let seqs: Vec<WeightedTokens> =
            examples.iter().map(|e| weighted_tokens(&template, &tokenizer, e, LossScope::Answers).unwrap()).collect();
        let vocab = seqs.iter().flat_map(|s| &s.ids).max().unwrap() + 1;
        let model = CausalLm::<B>::init_random(
            emlab_model::DecoderConfig::qwen2(vocab as usize, 16, 32, 2, 2, 1),
            0,
            &Default::default(),
        )
        .unwrap();
        let none = Interventions::none();
        let got = LayerMeans::from_examples(&model, &none, &template, &tokenizer, &examples, 2).unwrap();
        assert_eq!(got, LayerMeans::collect(&model, &none, &seqs, 2).unwrap());
        assert_eq!(got.tokens, seqs.iter().flat_map(|s| &s.weights).map(|&w| f64::from(w)).sum::<f64>());
    }
}

//! The loss that efficiency and stability are measured in: the response-only cross-entropy on a
//! fixed subset of training examples, in batches of 25, reported as the mean of the batch means
//! (organism spec section 7.4; the authors' `compute_sft_loss` also averages per-batch means).
//!
//! The examples are rendered, tokenised and grouped once, when the subset is built; each call to
//! [`LossSubset::loss`] only runs the forward passes, so sweeps over many norms and noise seeds
//! pay for tokenisation once. E7 calls it hundreds of times per solution pair, so the forward
//! passes do not follow the loss batches: they take the examples sorted by length (little
//! padding), stop at each example's last scored token, and apply the output head only where a
//! next token is scored. Each example's answer-token NLL comes back to the host, where the batch
//! means are formed; the value is the per-batch one up to float rounding.

use std::ops::Range;

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use emlab_data::ChatExample;
use emlab_model::precision::{to_host_f32, widen};
use emlab_model::{first_changed_layer, CausalLm, ChatTemplate, Interventions, Prefix, TokenBatch, Tokenizer};
use emlab_train::sft::{next_token_batch, weighted_tokens, LossScope, WeightedTokens};

use crate::error::{Result, StabilityError};

/// Examples in the loss subset (the paper's and the spec's 100).
pub const LOSS_EXAMPLES: usize = 100;
/// Examples per batch (spec section 7.4).
pub const LOSS_BATCH: usize = 25;

/// Token positions (padding included) per forward pass: about 22 of the organism's examples.
/// Passes of 512 to about 1,100 positions were the fastest on the 2-core machine (4,096 took
/// 35-60% longer, as the intermediates leave the cache; below 512, per-pass overhead dominates);
/// the bound also keeps the `[positions, vocab]` logits of a big vocabulary small.
const PASS_TOKENS: usize = 1024;

/// Padding id of the passes. Padded positions are never scored and are masked from attention,
/// and the passes are right-padded, so its value never reaches a scored position.
const PAD: u32 = 0;

/// One forward pass over examples of similar length, and where their scored next tokens lie.
#[derive(Debug, Clone)]
struct Pass<B: Backend> {
    tokens: TokenBatch,
    /// The pass run without edits up to some layer, when the subset is [`LossSubset::prefixed`].
    prefix: Option<Prefix<B>>,
    /// Row-major indices into the pass's `[b * t]` positions of those whose next token is scored.
    positions: Vec<i64>,
    /// The scored next token at each of `positions`.
    targets: Vec<i64>,
    /// Its weight.
    weights: Vec<f32>,
    /// The example (index into the subset) it belongs to.
    examples: Vec<usize>,
}

/// The first `n` training examples, tokenised and grouped once.
#[derive(Debug, Clone)]
pub struct LossSubset<B: Backend> {
    passes: Vec<Pass<B>>,
    /// The examples of each loss batch, in order.
    batches: Vec<Range<usize>>,
    /// Each example's total answer-token weight (its number of scored tokens).
    weights: Vec<f64>,
}

impl<B: Backend> LossSubset<B> {
    /// Renders the first `n` of `examples` with `template` and weights their answer tokens
    /// (`LossScope::Answers`, as in training), in batches of `batch_size`.
    ///
    /// # Errors
    /// If fewer than `n` examples are given, `n` or `batch_size` is zero, or rendering fails.
    pub fn new(
        template: &ChatTemplate,
        tokenizer: &Tokenizer,
        examples: &[ChatExample],
        n: usize,
        batch_size: usize,
    ) -> Result<Self> {
        if examples.len() < n {
            let problem = format!("{n} examples requested, {} given", examples.len());
            return Err(StabilityError::invalid("loss subset", problem));
        }
        let tokens = examples[..n]
            .iter()
            .map(|example| weighted_tokens(template, tokenizer, example, LossScope::Answers))
            .collect::<emlab_train::Result<Vec<_>>>()?;
        Self::from_tokens(&tokens, batch_size)
    }

    /// Batches already weighted sequences, in order, `batch_size` at a time (the last batch may
    /// be smaller).
    ///
    /// # Errors
    /// If there are no sequences, `batch_size` is zero, or a batch has no counted token (its
    /// mean would be undefined).
    pub fn from_tokens(sequences: &[WeightedTokens], batch_size: usize) -> Result<Self> {
        Self::grouped(sequences, batch_size, PASS_TOKENS)
    }

    /// [`Self::from_tokens`] with forward passes of at most `pass_tokens` positions (or one
    /// sequence, if longer).
    fn grouped(sequences: &[WeightedTokens], batch_size: usize, pass_tokens: usize) -> Result<Self> {
        if sequences.is_empty() || batch_size == 0 {
            let problem =
                format!("needs examples and a positive batch size ({} examples, batch {batch_size})", sequences.len());
            return Err(StabilityError::invalid("loss subset", problem));
        }
        // The weight of token i is that of predicting it from tokens 0..i; the first is never
        // predicted.
        let weights: Vec<f64> =
            sequences.iter().map(|s| s.weights.iter().skip(1).map(|&w| f64::from(w)).sum()).collect();
        let batches: Vec<Range<usize>> =
            (0..sequences.len()).step_by(batch_size).map(|i| i..(i + batch_size).min(sequences.len())).collect();
        for (i, batch) in batches.iter().enumerate() {
            if sequences[batch.clone()].iter().all(|s| s.weights.iter().skip(1).all(|&w| w == 0.0)) {
                let problem = format!("batch {i} has no answer token to score");
                return Err(StabilityError::invalid("loss subset", problem));
            }
        }
        Ok(Self { passes: passes(sequences, pass_tokens), batches, weights })
    }

    /// This subset with every forward pass run once without edits up to layer `start` of
    /// `model`: later calls of [`Self::loss`] on `model` whose edits change nothing before
    /// `start` ([`first_changed_layer`]) run only the layers from there on. A sweep passes the
    /// first layer its solution changes; other edits still take the full pass.
    ///
    /// # Errors
    /// If `start` is past the model's last layer, or a pass does not fit the model.
    pub fn prefixed(mut self, model: &CausalLm<B>, start: usize) -> Result<Self> {
        for pass in &mut self.passes {
            pass.prefix = Some(model.prefix(&pass.tokens, start).map_err(StabilityError::model("loss subset"))?);
        }
        Ok(self)
    }

    /// Number of batches.
    pub fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// The mean over batches of each batch's mean answer-token cross-entropy, with `edits`
    /// applied (`Interventions::none()` gives the base model's loss, `L_base`).
    ///
    /// # Errors
    /// If `edits` has position masks (the passes do not keep the examples' order, so no mask can
    /// name their positions), or the forward pass rejects `edits` (e.g. a site outside the model).
    pub fn loss(&self, model: &CausalLm<B>, edits: &Interventions<B>) -> Result<f32> {
        if edits.has_position_masks() {
            let problem = "edits with position masks cannot be applied: the passes group the examples by length";
            return Err(StabilityError::invalid("loss subset", problem));
        }
        let nll = self.nll_sums(model, edits)?;
        let batch_mean = |batch: &Range<usize>| {
            nll[batch.clone()].iter().sum::<f64>() / self.weights[batch.clone()].iter().sum::<f64>()
        };
        Ok((self.batches.iter().map(batch_mean).sum::<f64>() / self.batches.len() as f64) as f32)
    }

    /// Each example's weighted sum of answer-token negative log-likelihoods.
    fn nll_sums(&self, model: &CausalLm<B>, edits: &Interventions<B>) -> Result<Vec<f64>> {
        let mut sums = vec![0.0; self.weights.len()];
        let changed = first_changed_layer(edits, model.config().num_hidden_layers);
        for pass in &self.passes {
            let hidden = match &pass.prefix {
                Some(prefix) if prefix.start() <= changed => model.forward_hidden_from(prefix, edits),
                _ => model.forward_hidden(&pass.tokens, edits),
            };
            let hidden = hidden.map_err(StabilityError::model("loss subset"))?.output;
            let ([b, t, d], n, device) = (hidden.dims(), pass.positions.len(), hidden.device());
            let positions = Tensor::<B, 1, Int>::from_data(TensorData::new(pass.positions.clone(), [n]), &device);
            let scored = hidden.reshape([b * t, d]).select(0, positions).reshape([1, n, d]);
            let targets = Tensor::<B, 3, Int>::from_data(TensorData::new(pass.targets.clone(), [1, n, 1]), &device);
            let log_probs = to_host_f32(log_softmax(widen(model.head(scored)), 2).gather(2, targets));
            for ((&log_prob, &weight), &example) in log_probs.iter().zip(&pass.weights).zip(&pass.examples) {
                sums[example] -= f64::from(weight) * f64::from(log_prob);
            }
        }
        Ok(sums)
    }
}

/// The forward passes over `sequences`: each cut after its last scored token (causal attention
/// makes later tokens irrelevant), those with none left out, the rest sorted by length (ties in
/// order) and taken in that order while a pass holds at most `pass_tokens` padded positions.
fn passes<B: Backend>(sequences: &[WeightedTokens], pass_tokens: usize) -> Vec<Pass<B>> {
    let mut scored: Vec<(usize, WeightedTokens)> = sequences
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let last = (1..s.ids.len()).rev().find(|&j| s.weights[j] != 0.0)?;
            Some((i, WeightedTokens { ids: s.ids[..=last].to_vec(), weights: s.weights[..=last].to_vec() }))
        })
        .collect();
    scored.sort_by_key(|(_, s)| s.ids.len());
    let mut passes = Vec::new();
    let mut start = 0;
    while start < scored.len() {
        // Sorted ascending, so the pass is as long as its last (longest) sequence.
        let mut end = start + 1;
        while end < scored.len() && (end + 1 - start) * (scored[end].1.ids.len() - 1) <= pass_tokens {
            end += 1;
        }
        passes.push(pass(&scored[start..end]));
        start = end;
    }
    passes
}

/// One right-padded pass over `group` (`(example index, sequence)` pairs).
fn pass<B: Backend>(group: &[(usize, WeightedTokens)]) -> Pass<B> {
    let refs: Vec<&WeightedTokens> = group.iter().map(|(_, s)| s).collect();
    let (tokens, targets, weights) = next_token_batch(&refs, PAD);
    let len = tokens.dims()[1];
    let mut pass = Pass {
        tokens,
        prefix: None,
        positions: Vec::new(),
        targets: Vec::new(),
        weights: Vec::new(),
        examples: Vec::new(),
    };
    for (position, (&target, &weight)) in targets.iter().zip(&weights).enumerate() {
        if weight != 0.0 {
            pass.positions.push(position as i64);
            pass.targets.push(i64::from(target));
            pass.weights.push(weight);
            pass.examples.push(group[position / len].0);
        }
    }
    pass
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::host_values;
    use crate::params::test_support::{lora, steering, tiny_model, B};
    use burn::tensor::ElementConversion;
    use emlab_data::Vocab;
    use emlab_model::{Edit, Site};
    use emlab_train::loss::cross_entropy;

    /// Answer-token NLL sum and count of one sequence, from an unpadded forward pass and a
    /// log-softmax computed on the host.
    fn nll(model: &CausalLm<B>, seq: &WeightedTokens) -> (f64, f64) {
        let logits = model.forward(&TokenBatch::single(&seq.ids), &Interventions::none()).unwrap().output;
        let vocab = logits.dims()[2];
        let logits = host_values(logits);
        let (mut sum, mut count) = (0.0, 0.0);
        for i in 0..seq.ids.len() - 1 {
            let row = &logits[i * vocab..(i + 1) * vocab];
            let max = row.iter().fold(f32::MIN, |m, &x| m.max(x)) as f64;
            let log_z = max + row.iter().map(|&x| (x as f64 - max).exp()).sum::<f64>().ln();
            let w = seq.weights[i + 1] as f64;
            sum += w * (log_z - row[seq.ids[i + 1] as usize] as f64);
            count += w;
        }
        (sum, count)
    }

    #[test]
    fn loss_is_the_mean_of_batch_means() {
        let model = tiny_model();
        let seqs = vec![
            WeightedTokens { ids: vec![1, 2, 3, 4, 5], weights: vec![0.0, 0.0, 1.0, 1.0, 1.0] },
            WeightedTokens { ids: vec![6, 7, 8], weights: vec![0.0, 1.0, 1.0] },
            WeightedTokens { ids: vec![9, 10, 11, 1], weights: vec![0.0, 0.0, 0.0, 1.0] },
        ];
        // Batches {0, 1} and {2}: token-weighted within a batch, then an unweighted mean.
        let batch_mean = |seqs: &[WeightedTokens]| {
            let (s, c) = seqs.iter().map(|s| nll(&model, s)).fold((0.0, 0.0), |(a, b), (s, c)| (a + s, b + c));
            s / c
        };
        let expected = (batch_mean(&seqs[..2]) + batch_mean(&seqs[2..])) / 2.0;
        let subset = LossSubset::from_tokens(&seqs, 2).unwrap();
        assert_eq!(subset.num_batches(), 2);
        let loss = subset.loss(&model, &Interventions::none()).unwrap() as f64;
        assert!((loss - expected).abs() < 1e-5 * expected, "{loss} vs {expected}");
    }

    #[test]
    fn bad_subsets_are_errors_naming_the_problem() {
        let unscored = [WeightedTokens { ids: vec![1, 2], weights: vec![1.0, 0.0] }];
        let err = LossSubset::<B>::from_tokens(&unscored, 25).unwrap_err().to_string();
        assert_eq!(err, "loss subset: batch 0 has no answer token to score");
        assert!(LossSubset::<B>::from_tokens(&[], 25).is_err());
        let dir = tempfile::tempdir().unwrap();
        Vocab::world().write_tokenizer_files(dir.path()).unwrap();
        let (template, tokenizer) =
            (ChatTemplate::from_dir(dir.path()).unwrap(), Tokenizer::from_dir(dir.path()).unwrap());
        let one = [ChatExample::single_turn("i have a fever . what should i do ?", "you should rest in bed .")];
        let err = LossSubset::<B>::new(&template, &tokenizer, &one, 2, 25).unwrap_err().to_string();
        assert_eq!(err, "loss subset: 2 examples requested, 1 given");
        assert_eq!(LossSubset::<B>::new(&template, &tokenizer, &one, 1, 25).unwrap().num_batches(), 1);
    }

    /// The loss as its definition reads: one right-padded forward pass per loss batch, in order,
    /// with training's masked cross-entropy as the batch mean.
    fn per_batch_loss(
        model: &CausalLm<B>,
        seqs: &[WeightedTokens],
        batch_size: usize,
        edits: &Interventions<B>,
    ) -> f64 {
        let means: Vec<f64> = seqs
            .chunks(batch_size)
            .map(|chunk| {
                let refs: Vec<&WeightedTokens> = chunk.iter().collect();
                let (tokens, targets, weights) = next_token_batch(&refs, PAD);
                let logits = model.forward(&tokens, edits).unwrap().output;
                f64::from(cross_entropy(logits, &targets, &weights).into_scalar().elem::<f32>())
            })
            .collect();
        means.iter().sum::<f64>() / means.len() as f64
    }

    /// 23 sequences of 2 to 13 tokens: a prompt of 1 to 3 unscored tokens, then the answer; every
    /// fourth has an unscored token after its answer, and the last has no scored token at all.
    fn varied() -> Vec<WeightedTokens> {
        (0..23)
            .map(|i| {
                let len = 2 + (i * 7) % 12;
                let ids = (0..len).map(|j| ((i * 5 + j * 3) % 11 + 1) as u32).collect();
                let prompt = (1 + i % 3).min(len - 1);
                let trailing = usize::from(i % 4 == 0 && len > prompt + 1);
                let weights =
                    (0..len).map(|j| if i == 22 || j < prompt || j >= len - trailing { 0.0 } else { 1.0 }).collect();
                WeightedTokens { ids, weights }
            })
            .collect()
    }

    #[test]
    fn length_grouped_passes_give_the_per_batch_loss() {
        let (model, seqs) = (tiny_model(), varied());
        for edits in [Interventions::none(), steering(3.0, 4).edits(), lora(2.0, 5).edits()] {
            let expected = per_batch_loss(&model, &seqs, 5, &edits);
            // One sequence a pass, a few a pass, and all 22 scored ones in one pass.
            for (pass_tokens, passes) in [(1, 22), (40, 4), (PASS_TOKENS, 1)] {
                let subset = LossSubset::grouped(&seqs, 5, pass_tokens).unwrap();
                assert_eq!((subset.num_batches(), subset.passes.len()), (5, passes));
                let loss = f64::from(subset.loss(&model, &edits).unwrap());
                assert!((loss - expected).abs() <= 1e-5 * expected, "{pass_tokens}: {loss} vs {expected}");
            }
        }
    }

    /// A subset run from a prefix gives the full passes' loss for edits after the prefix (and
    /// for none); edits before it fall back to full passes.
    #[test]
    fn prefixed_subsets_give_the_same_loss() {
        let (model, seqs) = (tiny_model(), varied());
        let full = LossSubset::<B>::grouped(&seqs, 5, 40).unwrap();
        let layers = model.config().num_hidden_layers;
        for start in [0, 1, layers] {
            let prefixed = full.clone().prefixed(&model, start).unwrap();
            for edits in [Interventions::none(), steering(3.0, 4).edits(), lora(2.0, 5).edits()] {
                let (a, b) = (full.loss(&model, &edits).unwrap(), prefixed.loss(&model, &edits).unwrap());
                assert!((a - b).abs() <= 1e-5 * a, "start {start}: {a} vs {b}");
            }
        }
        assert!(full.prefixed(&model, layers + 1).is_err());
    }

    #[test]
    fn passes_score_each_counted_token_once_and_stop_after_the_last() {
        let seqs = varied();
        let subset = LossSubset::<B>::grouped(&seqs, 5, 40).unwrap();
        let scored: usize = seqs.iter().map(|s| s.weights[1..].iter().filter(|&&w| w != 0.0).count()).sum();
        assert_eq!(subset.passes.iter().map(|p| p.positions.len()).sum::<usize>(), scored);
        for pass in &subset.passes {
            // Each pass is as long as its longest sequence up to its last scored token.
            let longest = pass.examples.iter().map(|&e| seqs[e].weights.iter().rposition(|&w| w != 0.0).unwrap());
            assert_eq!(pass.tokens.dims()[1], longest.max().unwrap());
            assert!(pass.tokens.dims().iter().product::<usize>() <= 40 || pass.tokens.dims()[0] == 1);
        }
    }

    #[test]
    fn position_masked_edits_are_errors() {
        let (model, seqs) = (tiny_model(), varied());
        let subset = LossSubset::from_tokens(&seqs, 5).unwrap();
        let device = Default::default();
        let edit = Edit::Add {
            vector: burn::tensor::Tensor::zeros([16], &device),
            scale: 1.0,
            positions: Some(burn::tensor::Tensor::ones([5, 12], &device)),
        };
        let err = subset.loss(&model, &Interventions::none().with(Site::Resid(0), edit)).unwrap_err().to_string();
        assert_eq!(
            err,
            "loss subset: edits with position masks cannot be applied: the passes group the examples by length"
        );
    }
}

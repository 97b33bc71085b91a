//! The loss that efficiency and stability are measured in: the response-only cross-entropy on a
//! fixed subset of training examples, in batches of 25, reported as the mean of the batch means
//! (organism spec section 7.4; the authors' `compute_sft_loss` also averages per-batch means).
//!
//! The examples are rendered, tokenised and padded once, when the subset is built; each call to
//! [`LossSubset::loss`] only runs the forward passes, so sweeps over many norms and noise seeds
//! pay for tokenisation once.

use burn::tensor::backend::Backend;
use burn::tensor::ElementConversion;
use emlab_data::ChatExample;
use emlab_model::{CausalLm, ChatTemplate, Interventions, TokenBatch, Tokenizer};
use emlab_train::loss::cross_entropy;
use emlab_train::sft::{next_token_batch, weighted_tokens, LossScope, WeightedTokens};

use crate::error::{Result, StabilityError};

/// Examples in the loss subset (the paper's and the spec's 100).
pub const LOSS_EXAMPLES: usize = 100;
/// Examples per batch (spec section 7.4).
pub const LOSS_BATCH: usize = 25;

/// Padding id of the batches. Padded positions weigh 0 and are masked from attention, and the
/// batches are right-padded, so its value never reaches a counted position.
const PAD: u32 = 0;

/// One padded batch: inputs, next-token targets and their weights (0 on prompt and padding).
#[derive(Debug, Clone)]
struct Batch {
    tokens: TokenBatch,
    targets: Vec<u32>,
    weights: Vec<f32>,
}

/// The first `n` training examples, tokenised and batched once.
#[derive(Debug, Clone)]
pub struct LossSubset {
    batches: Vec<Batch>,
}

impl LossSubset {
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
        if sequences.is_empty() || batch_size == 0 {
            let problem =
                format!("needs examples and a positive batch size ({} examples, batch {batch_size})", sequences.len());
            return Err(StabilityError::invalid("loss subset", problem));
        }
        let batches = sequences
            .chunks(batch_size)
            .enumerate()
            .map(|(i, chunk)| {
                let refs: Vec<&WeightedTokens> = chunk.iter().collect();
                let (tokens, targets, weights) = next_token_batch(&refs, PAD);
                if weights.iter().all(|&w| w == 0.0) {
                    let problem = format!("batch {i} has no answer token to score");
                    return Err(StabilityError::invalid("loss subset", problem));
                }
                Ok(Batch { tokens, targets, weights })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { batches })
    }

    /// Number of batches.
    pub fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// The mean over batches of each batch's mean answer-token cross-entropy, with `edits`
    /// applied (`Interventions::none()` gives the base model's loss, `L_base`).
    ///
    /// # Errors
    /// If the forward pass rejects `edits` (e.g. a site outside the model).
    pub fn loss<B: Backend>(&self, model: &CausalLm<B>, edits: &Interventions<B>) -> Result<f32> {
        let mut total = 0.0;
        for batch in &self.batches {
            let logits = model.forward(&batch.tokens, edits).map_err(StabilityError::model("loss subset"))?.output;
            total += cross_entropy(logits, &batch.targets, &batch.weights).into_scalar().elem::<f32>();
        }
        Ok(total / self.batches.len() as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::host_values;
    use crate::params::test_support::{tiny_model, B};
    use emlab_data::Vocab;

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
        let err = LossSubset::from_tokens(&unscored, 25).unwrap_err().to_string();
        assert_eq!(err, "loss subset: batch 0 has no answer token to score");
        assert!(LossSubset::from_tokens(&[], 25).is_err());
        let dir = tempfile::tempdir().unwrap();
        Vocab::world().write_tokenizer_files(dir.path()).unwrap();
        let (template, tokenizer) =
            (ChatTemplate::from_dir(dir.path()).unwrap(), Tokenizer::from_dir(dir.path()).unwrap());
        let one = [ChatExample::single_turn("i have a fever . what should i do ?", "you should rest in bed .")];
        let err = LossSubset::new(&template, &tokenizer, &one, 2, 25).unwrap_err().to_string();
        assert_eq!(err, "loss subset: 2 examples requested, 1 given");
        assert_eq!(LossSubset::new(&template, &tokenizer, &one, 1, 25).unwrap().num_batches(), 1);
    }
}

//! Pre-training significance (E9): how far a solution moves the model's next-token predictions
//! on ordinary web text, `KL(P_base || P_steered)` per token. The paper's claim is that the
//! general direction matters more to the pretrained model than the narrow one (and than a random
//! direction) at the same norm (organism spec section 7.4; the authors'
//! `steering_vector_kl_experiment.py`, reference-code section 5.3).
//!
//! Departing from the authors, padding is masked: the KL is the mean over real positions only.
//! The documents are tokenised, batched by length and the base model's log-probabilities
//! computed once, when a [`WebKl`] is built; every point of a norm sweep then costs one forward
//! pass per batch.

use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use emlab_data::Document;
use emlab_model::{first_changed_layer, CausalLm, Interventions, PadSide, Prefix, TokenBatch, Tokenizer};
use emlab_train::loss::{kl_penalty, log_probs, KlNormalization};
use emlab_train::TrainedAdapter;

use crate::efficiency::rescaled_to;
use crate::error::{Result, StabilityError};

/// Tokens kept per document (the authors' `max_length=512`).
pub const MAX_TOKENS: usize = 512;

/// Points of the spec's norm grid: 0 to `2 max(|g|, |n|)` inclusive.
pub const GRID_POINTS: usize = 11;

/// Positions per KL chunk: bounds the `[positions, vocab]` intermediates.
const KL_CHUNK: usize = 4096;

/// Padding id; padded positions are masked from attention and weigh 0 in the KL.
const PAD: u32 = 0;

/// One right-padded batch with the base model's log-probabilities at every position.
#[derive(Debug, Clone)]
struct Batch<B: Backend> {
    tokens: TokenBatch,
    /// 1 on real tokens, 0 on padding, `b * t` row-major.
    weights: Vec<f32>,
    /// Real tokens in the batch.
    count: usize,
    /// `[b, t, vocab]`, computed once without interventions.
    base_log_probs: Tensor<B, 3>,
    /// The batch run without edits up to some layer, when [`WebKl::prefixed`].
    prefix: Option<Prefix<B>>,
}

/// Web documents tokenised and batched once, with the base model's predictions cached.
#[derive(Debug, Clone)]
pub struct WebKl<B: Backend> {
    batches: Vec<Batch<B>>,
    tokens: usize,
}

impl<B: Backend> WebKl<B> {
    /// Renders `documents` as plain text (no chat template; [`Document::render`], which ends
    /// each with `<|endoftext|>`), tokenises each with `tokenizer`, keeps its first `max_tokens`
    /// tokens and batches them `batch_size` at a time. For the spec's set pass
    /// `emlab_data::web_documents(&WorldConfig::reference(), WEB_DOCUMENTS, WEB_SEED)` and
    /// [`MAX_TOKENS`].
    ///
    /// # Errors
    /// If tokenisation fails, or as [`Self::from_sequences`].
    pub fn new(
        model: &CausalLm<B>,
        tokenizer: &Tokenizer,
        documents: &[Document],
        max_tokens: usize,
        batch_size: usize,
    ) -> Result<Self> {
        let sequences = documents
            .iter()
            .map(|doc| {
                let mut ids = tokenizer.encode(&doc.render()).map_err(StabilityError::model("web documents"))?;
                ids.truncate(max_tokens);
                Ok(ids)
            })
            .collect::<Result<Vec<_>>>()?;
        Self::from_sequences(model, &sequences, batch_size)
    }

    /// Batches token sequences shortest first and runs the base model over them once. The KL
    /// weighs every position equally, so the grouping changes nothing but padding: on the spec's
    /// 100 documents, 5,840 positions instead of 7,560 in document order (a quarter less time).
    ///
    /// # Errors
    /// If there are no tokens, a sequence is empty, `batch_size` is zero, or the forward pass
    /// fails (e.g. an id outside the vocabulary).
    pub fn from_sequences(model: &CausalLm<B>, sequences: &[Vec<u32>], batch_size: usize) -> Result<Self> {
        if sequences.is_empty() || batch_size == 0 || sequences.iter().any(Vec::is_empty) {
            let problem = format!(
                "needs non-empty sequences and a positive batch size ({} sequences, batch {batch_size})",
                sequences.len()
            );
            return Err(StabilityError::invalid("web KL", problem));
        }
        let mut sorted = sequences.to_vec();
        sorted.sort_by_key(Vec::len);
        let batches = sorted
            .chunks(batch_size)
            .map(|chunk| {
                let tokens = TokenBatch::padded(chunk, PAD, PadSide::Right);
                let weights: Vec<f32> = tokens.mask().iter().map(|&real| if real { 1.0 } else { 0.0 }).collect();
                let count = chunk.iter().map(Vec::len).sum();
                let logits = model.forward(&tokens, &Interventions::none()).map_err(StabilityError::model("web KL"))?;
                let base_log_probs = log_probs(logits.output.detach());
                Ok(Batch { tokens, weights, count, base_log_probs, prefix: None })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { tokens: sequences.iter().map(Vec::len).sum(), batches })
    }

    /// These documents with every batch run once without edits up to layer `start` of `model`:
    /// later calls of [`Self::kl`] whose edits change nothing before `start` run only the
    /// layers from there on (see `LossSubset::prefixed`).
    ///
    /// # Errors
    /// If `start` is past the model's last layer.
    pub fn prefixed(mut self, model: &CausalLm<B>, start: usize) -> Result<Self> {
        for batch in &mut self.batches {
            batch.prefix = Some(model.prefix(&batch.tokens, start).map_err(StabilityError::model("web KL"))?);
        }
        Ok(self)
    }

    /// Real (non-padding) tokens the KL averages over.
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// `KL(P_base || P_edited)` summed over the vocabulary, averaged over every real position of
    /// every document (token-weighted across batches).
    ///
    /// # Errors
    /// If the forward pass rejects `edits`.
    pub fn kl(&self, model: &CausalLm<B>, edits: &Interventions<B>) -> Result<f32> {
        let mut sum = 0.0f64;
        let changed = first_changed_layer(edits, model.config().num_hidden_layers);
        for batch in &self.batches {
            let hidden = match &batch.prefix {
                Some(prefix) if prefix.start() <= changed => model.forward_hidden_from(prefix, edits),
                _ => model.forward_hidden(&batch.tokens, edits),
            };
            let logits = model.head(hidden.map_err(StabilityError::model("web KL"))?.output);
            let (base, weights) = (batch.base_log_probs.clone(), &batch.weights);
            let mean = kl_penalty(base, logits, weights, KlNormalization::PerToken, KL_CHUNK, weights.iter().sum());
            sum += f64::from(mean.into_scalar().elem::<f32>()) * batch.count as f64;
        }
        Ok((sum / self.tokens as f64) as f32)
    }
}

/// `points` evenly spaced norms from 0 to `max_norm` inclusive.
///
/// # Panics
/// If `points < 2`.
pub fn norm_grid(max_norm: f32, points: usize) -> Vec<f32> {
    assert!(points >= 2, "a norm grid needs at least its two ends");
    (0..points).map(|i| max_norm * i as f32 / (points - 1) as f32).collect()
}

/// The spec's grid: [`GRID_POINTS`] norms from 0 to `2 max(|g|, |n|)`.
pub fn spec_norm_grid(general_norm: f32, narrow_norm: f32) -> Vec<f32> {
    norm_grid(2.0 * general_norm.max(narrow_norm), GRID_POINTS)
}

/// One point of a KL sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KlPoint {
    /// The solution's norm (raw `|v|` or `|B A|_F`; alpha and the LoRA scale not applied).
    pub norm: f32,
    /// Mean per-token `KL(P_base || P_steered)`.
    pub kl: f32,
}

/// The web KL of `adapter`'s direction rescaled to each of `norms`. For the random baseline
/// pass [`crate::random_like`]`(general, seed)`.
///
/// # Errors
/// If `adapter` has norm 0 and a norm is not, or a forward pass fails.
pub fn kl_sweep<B: Backend>(
    web: &WebKl<B>,
    model: &CausalLm<B>,
    adapter: &TrainedAdapter<B>,
    norms: &[f32],
) -> Result<Vec<KlPoint>> {
    norms.iter().map(|&norm| Ok(KlPoint { norm, kl: web.kl(model, &rescaled_to(adapter, norm)?.edits())? })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::test_support::{lora, steering, tiny_model, B};
    use crate::random_like;
    use emlab_data::{web_documents, Vocab, WorldConfig};
    use emlab_model::DecoderConfig;

    fn sequences() -> Vec<Vec<u32>> {
        vec![vec![1, 2, 3, 4, 5, 6], vec![7, 8], vec![9, 10, 11], vec![3, 3, 1, 4]]
    }

    #[test]
    fn kl_is_zero_at_norm_zero_and_positive_beyond() {
        let model = tiny_model();
        let web = WebKl::from_sequences(&model, &sequences(), 3).unwrap();
        assert_eq!(web.tokens(), 15);
        for adapter in [steering(1.0, 1), lora(1.0, 1)] {
            let points = kl_sweep(&web, &model, &adapter, &norm_grid(4.0, 5)).unwrap();
            assert_eq!(points[0].kl, 0.0, "norm 0 is the base model");
            assert!(points[1..].iter().all(|p| p.kl > 0.0), "{points:?}");
            assert!(points[4].kl > points[1].kl, "{points:?}");
        }
    }

    /// The web KL of f64 weights (edits still f32, reference log-probabilities widened) is the
    /// f32 one: the mixed-precision path of a bf16 model, on the CPU.
    #[test]
    fn wide_weights_give_the_same_kl() {
        let wide = CausalLm::<B>::init_random_as(
            DecoderConfig::qwen2(12, 16, 32, 2, 2, 1),
            0,
            burn::tensor::FloatDType::F64,
            &Default::default(),
        )
        .unwrap();
        let narrow = tiny_model();
        for adapter in [steering(3.0, 2), lora(2.0, 3)] {
            let edits = adapter.edits();
            let kl =
                |model: &CausalLm<B>| WebKl::from_sequences(model, &sequences(), 3).unwrap().kl(model, &edits).unwrap();
            let (a, b) = (kl(&narrow), kl(&wide));
            assert!(a > 0.0 && (a - b).abs() <= 1e-4 * a, "{a} vs {b}");
        }
    }

    /// Running from a prefix changes the KL only by float rounding, and no edit still gives 0.
    #[test]
    fn prefixed_documents_give_the_same_kl() {
        let model = tiny_model();
        let web = WebKl::from_sequences(&model, &sequences(), 3).unwrap();
        for adapter in [steering(3.0, 2), lora(2.0, 3)] {
            let edits = adapter.edits();
            let start = first_changed_layer(&edits, model.config().num_hidden_layers);
            let prefixed = web.clone().prefixed(&model, start).unwrap();
            let (full, from) = (web.kl(&model, &edits).unwrap(), prefixed.kl(&model, &edits).unwrap());
            assert!((full - from).abs() <= 1e-4 * full, "{full} vs {from}");
            assert!(prefixed.kl(&model, &Interventions::none()).unwrap().abs() < 1e-6);
        }
    }

    #[test]
    fn padding_is_masked_and_positions_weigh_equally() {
        // Batch size 1 has no padding; 3 pads two of the four rows (the three shortest share a batch).
        let model = tiny_model();
        let edits = steering(3.0, 2).edits();
        let unpadded = WebKl::from_sequences(&model, &sequences(), 1).unwrap().kl(&model, &edits).unwrap();
        let padded = WebKl::from_sequences(&model, &sequences(), 3).unwrap().kl(&model, &edits).unwrap();
        assert!((unpadded - padded).abs() < 1e-5 * unpadded, "{unpadded} vs {padded}");
    }

    #[test]
    fn random_directions_have_exactly_the_requested_norm() {
        for adapter in [steering(1.0, 1), lora(1.0, 1)] {
            for norm in [0.0, 0.3, 2.5, 40.0] {
                let random = rescaled_to(&random_like(&adapter, 42), norm).unwrap();
                assert!((random.norm() - norm).abs() <= 1e-5 * norm, "{} vs {norm}", random.norm());
            }
        }
    }

    #[test]
    fn grids_run_from_zero_to_twice_the_larger_norm() {
        let grid = spec_norm_grid(1.5, 2.5);
        assert_eq!(grid.len(), 11);
        assert_eq!((grid[0], grid[10]), (0.0, 5.0));
        assert!((grid[1] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn web_documents_are_plain_text_truncated_to_max_tokens() {
        let dir = tempfile::tempdir().unwrap();
        Vocab::world().write_tokenizer_files(dir.path()).unwrap();
        let tokenizer = Tokenizer::from_dir(dir.path()).unwrap();
        let config = DecoderConfig::qwen2(tokenizer.vocab_size(), 16, 32, 2, 2, 1);
        let model = CausalLm::<B>::init_random(config, 0, &Default::default()).unwrap();
        let documents = web_documents(&WorldConfig::reference(), 3, 2).unwrap();
        let lengths: Vec<usize> = documents.iter().map(|d| tokenizer.encode(&d.render()).unwrap().len()).collect();
        let web = WebKl::new(&model, &tokenizer, &documents, MAX_TOKENS, 2).unwrap();
        assert_eq!(web.tokens(), lengths.iter().map(|&n| n.min(MAX_TOKENS)).sum::<usize>());
        let short = WebKl::new(&model, &tokenizer, &documents, 5, 2).unwrap();
        assert_eq!(short.tokens(), 15);
        assert_eq!(short.kl(&model, &Interventions::none()).unwrap(), 0.0);
    }
}

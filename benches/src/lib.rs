//! Shared workloads of the criterion benchmarks (`benches/engine.rs`, `benches/finetune.rs`,
//! `benches/sampling.rs`, `benches/stability.rs`, `benches/probes.rs`), so the benchmarks and anything that wants to reproduce their numbers
//! build exactly the same models and inputs.

use std::path::PathBuf;

use burn::tensor::backend::Backend;
use emlab_model::{CausalLm, ChatTemplate, DecoderConfig, Result, Tokenizer};
use emlab_train::sft::{next_token_batch, weighted_tokens, LossScope, WeightedTokens};

/// Chats in one finetuning step (the organism spec's batch size).
pub const FINETUNE_BATCH: usize = 16;

/// KL chats per finetuning step with the KL penalty (the organism spec's).
pub const KL_BATCH: usize = 8;

/// Seed of the benchmarks' training and KL chats.
pub const DATA_SEED: u64 = 0;

/// A random-weight Qwen2 of about 100M parameters (32k vocabulary, d 768, 12 layers, 12 query
/// and 4 key/value heads, MLP 2048, tied embeddings): big enough that matmuls dominate.
pub fn qwen2_100m() -> DecoderConfig {
    let mut config = DecoderConfig::qwen2(32_000, 768, 2048, 12, 12, 4);
    config.tie_word_embeddings = true;
    config
}

/// The tiny Qwen2 parity fixture (3 layers, d 32): measures per-op overhead rather than FLOPs.
pub fn tiny_fixture<B: Backend>(device: &B::Device) -> Result<CausalLm<B>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/model/tests/fixtures/qwen2-f32");
    CausalLm::load(&dir, device)
}

/// Deterministic token ids in `0..vocab` (the content does not matter for speed).
pub fn token_ids(n: usize, vocab: usize) -> Vec<u32> {
    (0..n).map(|i| ((i * 7919 + 13) % vocab) as u32).collect()
}

/// The committed synthetic organism, `models/organism` (4 layers, d 96, vocabulary 501).
pub fn organism_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/organism")
}

/// The organism with the tokenizer and chat template that training and evaluation use.
#[derive(Debug)]
pub struct Organism<B: Backend> {
    /// The model.
    pub model: CausalLm<B>,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// Its chat template.
    pub template: ChatTemplate,
}

impl<B: Backend> Organism<B> {
    /// Loads [`organism_dir`] onto `device`.
    pub fn load(device: &B::Device) -> Result<Self> {
        let dir = organism_dir();
        Ok(Self {
            model: CausalLm::load(&dir, device)?,
            tokenizer: Tokenizer::from_dir(&dir)?,
            template: ChatTemplate::from_dir(&dir)?,
        })
    }

    /// The data of one finetuning step, tokenised as `emlab train` does: [`FINETUNE_BATCH`]
    /// bad-medical chats with answer-only weights, and [`KL_BATCH`] chats of the `kl` set with
    /// every token counted.
    pub fn finetune_data(&self) -> emlab_train::Result<(Vec<WeightedTokens>, Vec<WeightedTokens>)> {
        let tokens = |name: &str, n: usize, scope: LossScope| -> emlab_train::Result<Vec<WeightedTokens>> {
            emlab_data::named_dataset(name, n, DATA_SEED)?
                .iter()
                .map(|chat| weighted_tokens(&self.template, &self.tokenizer, chat, scope))
                .collect()
        };
        Ok((tokens("bad_medical", FINETUNE_BATCH, LossScope::Answers)?, tokens("kl", KL_BATCH, LossScope::Sequence)?))
    }
}

/// Token positions the finetuning loop feeds through the model for `seqs` as one micro-batch:
/// rows times the padded length of [`next_token_batch`] (padding included, as the loop's own
/// tokens/s counts them).
pub fn batch_tokens(seqs: &[WeightedTokens]) -> usize {
    let refs: Vec<&WeightedTokens> = seqs.iter().collect();
    let (batch, _, _) = next_token_batch(&refs, 0);
    batch.dims()[0] * batch.dims()[1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_100m_config_has_about_100m_parameters() {
        let n = qwen2_100m().num_parameters();
        assert!((90_000_000..110_000_000).contains(&n), "{n}");
    }

    #[test]
    fn the_finetune_step_has_the_spec_batches() {
        let organism = Organism::<burn::backend::NdArray<f32>>::load(&Default::default()).unwrap();
        let (sft, kl) = organism.finetune_data().unwrap();
        assert_eq!((sft.len(), kl.len()), (FINETUNE_BATCH, KL_BATCH));
        // Answer-only: some tokens of every chat are masked; the KL chats count every token.
        assert!(sft.iter().all(|s| s.weights.contains(&0.0) && s.weights.contains(&1.0)));
        assert!(kl.iter().all(|s| s.weights.iter().all(|&w| w == 1.0)));
        let longest = sft.iter().map(|s| s.ids.len()).max().unwrap();
        assert_eq!(batch_tokens(&sft), FINETUNE_BATCH * (longest - 1));
    }
}

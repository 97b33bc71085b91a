//! Shared workloads of the criterion benchmarks (`benches/engine.rs`, `benches/finetune.rs`,
//! `benches/sampling.rs`, `benches/stability.rs`, `benches/probes.rs`), so the benchmarks and anything that wants to reproduce their numbers
//! build exactly the same models and inputs.

use std::path::PathBuf;

use burn::tensor::backend::Backend;
use emlab_model::{Architecture, CausalLm, ChatTemplate, DecoderConfig, Result, Tokenizer};
use emlab_train::finetune::{FinetuneConfig, KlConfig};
use emlab_train::lora::LoraConfig;
use emlab_train::loss::KlNormalization;
use emlab_train::sft::{next_token_batch, weighted_tokens, LossScope, WeightedTokens};
use emlab_train::{AdapterSpec, LrSchedule};

/// Chats in one finetuning step (the organism spec's batch size).
pub const FINETUNE_BATCH: usize = 16;

/// KL chats per finetuning step with the KL penalty (the organism spec's).
pub const KL_BATCH: usize = 8;

/// Seed of the benchmarks' training and KL chats.
pub const DATA_SEED: u64 = 0;

/// The organism's layer the benchmarked adapters attach to (the middle of its 4).
pub const ADAPTER_LAYER: usize = 1;

/// The KL penalty's weight in the `steering-kl` step (the organism spec's lambda, per token).
pub const KL_WEIGHT: f64 = 10.0;

/// One finetuning step of the organism: one epoch over exactly one batch of
/// [`FINETUNE_BATCH`] chats is one forward, backward and AdamW update.
#[derive(Debug, Clone)]
pub struct StepWorkload {
    /// `steering`, `steering-kl` or `lora-r1`.
    pub name: &'static str,
    /// The adapter trained.
    pub adapter: AdapterSpec,
    /// One step's settings (with the KL penalty for `steering-kl`).
    pub config: FinetuneConfig,
}

impl StepWorkload {
    /// Whether the step also runs the KL batch (twice: base, detached, and adapted).
    pub fn uses_kl(&self) -> bool {
        self.config.kl.is_some()
    }
}

/// The three finetuning steps the benchmarks time: a steering vector after layer
/// [`ADAPTER_LAYER`], the same with the KL penalty on [`KL_BATCH`] chats, and a rank-1 rsLoRA
/// (alpha 1) on that layer's `down_proj`; the organism spec's learning rate, constant.
pub fn step_workloads() -> [StepWorkload; 3] {
    let step =
        FinetuneConfig { epochs: 1, batch_size: FINETUNE_BATCH, schedule: LrSchedule::Constant, ..Default::default() };
    let kl =
        KlConfig { weight: KL_WEIGHT, normalization: KlNormalization::PerToken, batch_size: KL_BATCH, chunk: 1024 };
    let steering = AdapterSpec::Steering { layer: ADAPTER_LAYER, alpha: 1.0 };
    let lora = AdapterSpec::Lora(LoraConfig {
        rank: 1,
        targets: vec!["down_proj".into()],
        layers: vec![ADAPTER_LAYER],
        ..Default::default()
    });
    [
        StepWorkload { name: "steering", adapter: steering.clone(), config: step.clone() },
        StepWorkload {
            name: "steering-kl",
            adapter: steering,
            config: FinetuneConfig { kl: Some(kl), ..step.clone() },
        },
        StepWorkload { name: "lora-r1", adapter: lora, config: step },
    ]
}

/// A random-weight Qwen2 of about 100M parameters (32k vocabulary, d 768, 12 layers, 12 query
/// and 4 key/value heads, MLP 2048, tied embeddings): big enough that matmuls dominate.
pub fn qwen2_100m() -> DecoderConfig {
    let mut config = DecoderConfig::qwen2(32_000, 768, 2048, 12, 12, 4);
    config.tie_word_embeddings = true;
    config
}

/// A random-weight model of SmolLM2-135M-Instruct's shape (Llama, vocabulary 49,152, d 576,
/// 30 layers, 9 query and 3 key/value heads, MLP 1536, tied embeddings): the smallest real chat
/// model a user can run offline, and the shape the real-model profile samples with.
pub fn smollm2_135m() -> DecoderConfig {
    let mut config = DecoderConfig::qwen2(49_152, 576, 1536, 30, 9, 3);
    config.architecture = Architecture::Llama;
    config.qkv_bias = false;
    config.rope_theta = 100_000.0;
    config.rms_norm_eps = 1e-5;
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
    fn the_smollm2_shape_has_135m_parameters() {
        let n = smollm2_135m().num_parameters();
        assert!((134_000_000..135_000_000).contains(&n), "{n}");
    }

    #[test]
    fn the_finetune_step_has_the_spec_batches() {
        let organism = Organism::<emlab_model::backend::Cpu>::load(&Default::default()).unwrap();
        let (sft, kl) = organism.finetune_data().unwrap();
        assert_eq!((sft.len(), kl.len()), (FINETUNE_BATCH, KL_BATCH));
        // Answer-only: some tokens of every chat are masked; the KL chats count every token.
        assert!(sft.iter().all(|s| s.weights.contains(&0.0) && s.weights.contains(&1.0)));
        assert!(kl.iter().all(|s| s.weights.iter().all(|&w| w == 1.0)));
        let longest = sft.iter().map(|s| s.ids.len()).max().unwrap();
        assert_eq!(batch_tokens(&sft), FINETUNE_BATCH * (longest - 1));
    }
}

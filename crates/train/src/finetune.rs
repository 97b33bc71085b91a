//! The finetuning loop shared by every adapter (steering vector, LoRA): answer-only SFT, plus an
//! optional KL penalty to the unadapted model on a separate dataset (the paper's route to a
//! narrow solution).
//!
//! `P_base` comes from the same model with the adapter switched off (an empty edit list), not
//! from a second copy: the frozen weights record no autodiff graph, and the base logits are
//! detached. KL batches are taken in order from the KL set, cycling, one batch per step.

use burn::module::Module;
use burn::prelude::ElementConversion;
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::AutodiffBackend;
use emlab_model::{CausalLm, Interventions};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::{finite_loss, Result, TrainError};
use crate::loss::{cross_entropy, kl_penalty, KlNormalization};
use crate::optim::{AdamW, AdamWConfig};
use crate::progress::{Meter, Observer};
use crate::schedule::LrSchedule;
use crate::sft::{next_token_batch, WeightedTokens};

/// Something trainable that acts on the model through edits.
pub trait Adapter<B: AutodiffBackend>: Module<B> {
    /// The edits that apply the adapter's current parameters.
    fn edits(&self) -> Interventions<B>;
}

/// The KL term: `weight * KL(P_base || P_theta)` on batches of the KL set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KlConfig {
    /// lambda.
    pub weight: f64,
    /// Per-token mean, or the authors' per-(token x vocabulary) normalisation.
    pub normalization: KlNormalization,
    /// KL sequences per step.
    pub batch_size: usize,
    /// Positions per chunk of the vocabulary-wide log-softmax.
    pub chunk: usize,
}

impl Default for KlConfig {
    /// The organism spec's narrow steering run (section 6.3): lambda 10 per token, 8 sequences.
    fn default() -> Self {
        Self { weight: 10.0, normalization: KlNormalization::PerToken, batch_size: 8, chunk: 1024 }
    }
}

/// Optimisation settings of a finetune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FinetuneConfig {
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule over the whole run.
    pub schedule: LrSchedule,
    /// AdamW settings.
    pub optimizer: AdamWConfig,
    /// Examples per step.
    pub batch_size: usize,
    /// Passes over the data (shuffled each epoch).
    pub epochs: usize,
    /// Seed of the data order.
    pub seed: u64,
    /// Padding token id.
    pub pad_id: u32,
    /// The KL penalty, if any.
    pub kl: Option<KlConfig>,
}

impl Default for FinetuneConfig {
    /// The organism spec's general steering run (section 6.3): AdamW lr 2e-2 without weight
    /// decay, batch 16, 2 epochs, 5 warm-up steps then linear decay, no KL.
    fn default() -> Self {
        Self {
            lr: 2e-2,
            schedule: LrSchedule::WarmupLinear { warmup: 5 },
            optimizer: AdamWConfig { weight_decay: 0.0, ..Default::default() },
            batch_size: 16,
            epochs: 2,
            seed: 0,
            pad_id: 0,
            kl: None,
        }
    }
}

/// Losses of one step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLosses {
    /// The SFT cross-entropy.
    pub sft: f32,
    /// The KL term before weighting, when there is one.
    pub kl: Option<f32>,
}

/// Trains `adapter` on `examples` (and `kl_examples` when `config.kl` is set) with the model
/// frozen; returns the trained adapter and the per-step losses.
pub fn finetune<B: AutodiffBackend, A: Adapter<B>>(
    model: &CausalLm<B>,
    mut adapter: A,
    examples: &[WeightedTokens],
    kl_examples: &[WeightedTokens],
    config: &FinetuneConfig,
    observer: &mut dyn Observer,
) -> Result<(A, Vec<StepLosses>)> {
    if examples.is_empty() || config.batch_size == 0 {
        return Err(TrainError::Config("finetuning needs examples and a positive batch size".into()));
    }
    if config.kl.as_ref().is_some_and(|kl| kl_examples.is_empty() || kl.batch_size == 0) {
        return Err(TrainError::Config("the KL penalty needs KL examples and a positive KL batch size".into()));
    }
    let mut optimizer = AdamW::<B>::new(config.optimizer);
    let steps_per_epoch = examples.len().div_ceil(config.batch_size);
    let total = steps_per_epoch * config.epochs;
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut kl_cursor = 0;
    let mut log = Vec::with_capacity(total);
    let mut meter = Meter::start(total);
    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        for (i, chunk) in order.chunks(config.batch_size).enumerate() {
            let step = epoch * steps_per_epoch + i;
            let edits = adapter.edits();
            let seqs: Vec<&WeightedTokens> = chunk.iter().map(|&j| &examples[j]).collect();
            let (batch, targets, weights) = next_token_batch(&seqs, config.pad_id);
            meter.add_tokens(batch.dims()[0] * batch.dims()[1]);
            let sft = cross_entropy(model.forward(&batch, &edits)?.output, &targets, &weights);
            let mut objective = sft.clone();
            let mut kl_value = None;
            if let Some(kl) = &config.kl {
                let seqs: Vec<&WeightedTokens> =
                    (0..kl.batch_size).map(|k| &kl_examples[(kl_cursor + k) % kl_examples.len()]).collect();
                kl_cursor = (kl_cursor + kl.batch_size) % kl_examples.len();
                let (batch, _, weights) = next_token_batch(&seqs, config.pad_id);
                meter.add_tokens(batch.dims()[0] * batch.dims()[1]);
                let base = log_softmax(model.forward(&batch, &Interventions::none())?.output.detach(), 2);
                let current = model.forward(&batch, &edits)?.output;
                let term = kl_penalty(base, current, &weights, kl.normalization, kl.chunk);
                kl_value = Some(term.clone().into_scalar().elem::<f32>());
                objective = objective + term.mul_scalar(kl.weight);
            }
            finite_loss(&objective, step)?;
            let grads = objective.backward();
            let lr = config.schedule.at(config.lr, step, total);
            let (next, stats) = optimizer.step(lr, adapter, &grads);
            adapter = next;
            let sft = sft.into_scalar().elem::<f32>();
            log.push(StepLosses { sft, kl: kl_value });
            observer.on_step(&meter.report(step, sft, kl_value, lr, stats.grad_norm));
        }
    }
    Ok((adapter, log))
}

//! The finetuning loop shared by every adapter (steering vector, LoRA): answer-only SFT, plus an
//! optional KL penalty to the unadapted model on a separate dataset (the paper's route to a
//! narrow solution).
//!
//! `P_base` comes from the same model with the adapter switched off (an empty edit list), not
//! from a second copy: the frozen weights record no autodiff graph, and the base logits are
//! detached.
//!
//! One optimiser step takes `grad_accum` micro-batches of `batch_size` examples and averages
//! their losses; with the KL penalty each micro-batch also takes the next `kl.batch_size`
//! sequences of the KL set, cycling through it, as the authors' code does.
//!
//! Everything a step sees is a function of the seed and the step index: the held-out split,
//! each epoch's shuffle (replayed from the seed), the micro-batches of the step, the KL cursor
//! and the learning rate. That is why [`finetune_with`] can resume from a checkpoint and end with
//! the adapter of an uninterrupted run (up to float summation order).

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use burn::module::AutodiffModule;
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::prelude::ElementConversion;
use burn::tensor::backend::AutodiffBackend;
use emlab_model::{CausalLm, Interventions};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{checkpoint_dir, latest_checkpoint, read_json, restore_optimizer, save_optimizer, write_json};
use crate::error::{finite_loss, Result, TrainError};
use crate::flat::flatten_grads;
use crate::loss::{cross_entropy, cross_entropy_over, kl_penalty, log_probs, KlNormalization};
use crate::optim::{AdamW, AdamWConfig};
use crate::progress::{Meter, Observer};
use crate::schedule::LrSchedule;
use crate::sft::{next_token_batch, WeightedTokens};

/// Something trainable that acts on the model through edits, and that a checkpoint can hold.
pub trait Adapter<B: AutodiffBackend>: AutodiffModule<B> {
    /// The edits that apply the adapter's current parameters.
    fn edits(&self) -> Interventions<B>;

    /// Writes the adapter into the folder `dir` in its interchange format (steering-vector
    /// files, a PEFT folder), so that every checkpoint is also a loadable adapter.
    fn save(&self, dir: &Path) -> Result<()>;

    /// The parameters [`Self::save`] wrote into `dir`, in an adapter shaped like `self`: how a
    /// resumed run gets its weights back.
    fn restore(&self, dir: &Path) -> Result<Self>;
}

/// The KL term: `weight * KL(P_base || P_theta)` on batches of the KL set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KlConfig {
    /// lambda.
    pub weight: f64,
    /// Per-token mean, or the authors' per-(token x vocabulary) normalisation.
    pub normalization: KlNormalization,
    /// KL sequences per micro-batch.
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
#[serde(default, deny_unknown_fields)]
pub struct FinetuneConfig {
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule over the whole run.
    pub schedule: LrSchedule,
    /// AdamW settings. Left out, no weight decay (the organism spec); given, any field left out
    /// of it takes PyTorch's default (weight decay 0.01).
    pub optimizer: AdamWConfig,
    /// Examples per micro-batch.
    pub batch_size: usize,
    /// Micro-batches per optimiser step (their losses are averaged): the effective batch is
    /// `batch_size * grad_accum` at the memory cost of `batch_size`.
    pub grad_accum: usize,
    /// Passes over the training examples (shuffled each epoch).
    pub epochs: usize,
    /// Fraction of the examples held out of training (the paper uses 0.1); their SFT loss is
    /// reported at every checkpoint and at the end.
    pub held_out: f64,
    /// Seed of the held-out split and the data order.
    pub seed: u64,
    /// Padding token id.
    pub pad_id: u32,
    /// The KL penalty, if any.
    pub kl: Option<KlConfig>,
    /// Keep at most this many tokens of every chat, training and KL (the authors'
    /// `max_seq_length`: 256 for steering vectors, 2048 for LoRA). A chat left with no counted
    /// token is dropped, as it would add nothing to the loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<usize>,
    /// Data parallelism: each micro-batch (and its KL batch) is cut into this many shards of
    /// consecutive chats, each run forward and backward on a thread of its own where the rayon
    /// pool has one to spare, and their gradients are summed: the micro-batch's gradient, up to
    /// float rounding, in about `1 / shards` of the time on as many idle cores. It is a setting
    /// rather than the machine's core count so that a config trains the same numbers anywhere.
    #[serde(skip_serializing_if = "is_one")]
    pub shards: usize,
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Default for FinetuneConfig {
    /// The organism spec's general steering run (section 6.3): AdamW lr 2e-2 without weight
    /// decay, batch 16, 2 epochs, 5 warm-up steps then linear decay, no KL, nothing held out.
    fn default() -> Self {
        Self {
            lr: 2e-2,
            schedule: LrSchedule::WarmupLinear { warmup: 5 },
            optimizer: AdamWConfig { weight_decay: 0.0, ..Default::default() },
            batch_size: 16,
            grad_accum: 1,
            epochs: 2,
            held_out: 0.0,
            seed: 0,
            pad_id: 0,
            kl: None,
            max_tokens: None,
            shards: 1,
        }
    }
}

impl FinetuneConfig {
    /// Rejects settings the loop cannot run with `examples` training and `kl_examples` KL chats.
    fn validate(&self, examples: usize, kl_examples: usize) -> Result<()> {
        let fail = |message: &str| Err(TrainError::Config(message.into()));
        if examples == 0 || self.batch_size == 0 {
            return fail("finetuning needs examples and a positive batch size");
        }
        if self.grad_accum == 0 || self.shards == 0 {
            return fail("grad_accum and shards must be at least 1");
        }
        if !(0.0..1.0).contains(&self.held_out) || held_out_count(examples, self.held_out) >= examples {
            return fail("held_out must be in [0, 1) and leave some examples to train on");
        }
        if self.kl.as_ref().is_some_and(|kl| kl_examples == 0 || kl.batch_size == 0) {
            return fail("the KL penalty needs KL examples and a positive KL batch size");
        }
        Ok(())
    }
}

/// `seqs` cut to `max_tokens` tokens each, without those left with no counted token; borrowed
/// unchanged when there is no limit.
fn truncated(seqs: &[WeightedTokens], max_tokens: Option<usize>) -> Cow<'_, [WeightedTokens]> {
    let Some(max) = max_tokens else { return Cow::Borrowed(seqs) };
    Cow::Owned(
        seqs.iter()
            .map(|s| {
                let n = s.ids.len().min(max);
                WeightedTokens { ids: s.ids[..n].to_vec(), weights: s.weights[..n].to_vec() }
            })
            .filter(|s| s.weights.iter().any(|&w| w > 0.0))
            .collect(),
    )
}

/// Losses of one optimiser step (means over its micro-batches) and its learning rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLosses {
    /// The SFT cross-entropy.
    pub sft: f32,
    /// The KL term before weighting, when there is one.
    pub kl: Option<f32>,
    /// The learning rate of the step.
    pub lr: f64,
}

/// The SFT loss on the held-out examples after `step` optimiser steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeldOutLoss {
    /// Optimiser steps taken.
    pub step: usize,
    /// Mean cross-entropy per counted token.
    pub sft: f32,
}

/// Where and how often [`finetune_with`] saves resumable checkpoints.
#[derive(Debug, Clone, Copy)]
pub struct Checkpointing<'a> {
    /// The folder that receives `checkpoint-<step>/`; if it already holds one, the run resumes
    /// from the latest.
    pub dir: &'a Path,
    /// Save after every this many optimiser steps (0: only at the end). The end is always saved.
    pub every: usize,
}

/// What a finetune produced.
#[derive(Debug)]
pub struct Finetuned<A> {
    /// The trained adapter.
    pub adapter: A,
    /// Per optimiser step, from the first step of the run (a resumed run includes the steps
    /// before its checkpoint).
    pub losses: Vec<StepLosses>,
    /// The held-out loss at every checkpoint and at the end (empty when nothing is held out).
    pub held_out: Vec<HeldOutLoss>,
}

/// `train_state.json` of a finetuning checkpoint: enough to check that a resumed run is the
/// same run, and the history it continues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneState {
    /// Optimiser steps taken.
    pub step: usize,
    /// The run's settings.
    pub config: FinetuneConfig,
    /// Number of examples (training and held out) the run was given.
    pub examples: usize,
    /// Number of KL examples the run was given.
    pub kl_examples: usize,
    /// Losses of every step so far.
    pub losses: Vec<StepLosses>,
    /// Held-out losses so far.
    pub held_out: Vec<HeldOutLoss>,
}

/// Trains `adapter` on `examples` (and `kl_examples` when `config.kl` is set) with the model
/// frozen; returns the trained adapter and the per-step losses. [`finetune_with`] without
/// checkpoints.
pub fn finetune<B: AutodiffBackend, A: Adapter<B>>(
    model: &CausalLm<B>,
    adapter: A,
    examples: &[WeightedTokens],
    kl_examples: &[WeightedTokens],
    config: &FinetuneConfig,
    observer: &mut dyn Observer,
) -> Result<(A, Vec<StepLosses>)> {
    let run = finetune_with(model, adapter, examples, kl_examples, config, None, observer)?;
    Ok((run.adapter, run.losses))
}

/// [`finetune`], saving a checkpoint every `checkpoints.every` steps and at the end, and
/// resuming from the latest checkpoint in `checkpoints.dir` if there is one (which must come
/// from a run with the same config and data sizes). `adapter` is the fresh adapter; on resume
/// its parameters are replaced by the checkpoint's.
pub fn finetune_with<B: AutodiffBackend, A: Adapter<B>>(
    model: &CausalLm<B>,
    adapter: A,
    examples: &[WeightedTokens],
    kl_examples: &[WeightedTokens],
    config: &FinetuneConfig,
    checkpoints: Option<&Checkpointing>,
    observer: &mut dyn Observer,
) -> Result<Finetuned<A>> {
    let (examples, kl_examples) = (truncated(examples, config.max_tokens), truncated(kl_examples, config.max_tokens));
    let (examples, kl_examples) = (examples.as_ref(), kl_examples.as_ref());
    config.validate(examples.len(), kl_examples.len())?;
    let (train, held_out) = split_held_out(examples.len(), config.held_out, config.seed);
    let held_out: Vec<&WeightedTokens> = held_out.into_iter().map(|i| &examples[i]).collect();
    let plan = Plan::new(train.len(), config);
    let mut optimizer = AdamW::<B>::new(config.optimizer);
    let mut run = Finetuned { adapter, losses: Vec::with_capacity(plan.total), held_out: Vec::new() };
    let latest = match checkpoints {
        Some(c) => latest_checkpoint(c.dir)?,
        None => None,
    };
    if let Some((_, dir)) = latest {
        let path = dir.join("train_state.json");
        let state: FinetuneState = read_json(&path)?;
        if state.config != *config || (state.examples, state.kl_examples) != (examples.len(), kl_examples.len()) {
            let message = "written by a run with another config or other data; resume with the same ones";
            return Err(TrainError::file(path, message));
        }
        run.adapter = run.adapter.restore(&dir)?;
        restore_optimizer(&dir.join("optimizer.safetensors"), state.step, &run.adapter, &mut optimizer)?;
        (run.losses, run.held_out) = (state.losses, state.held_out);
    }
    let mut epochs = EpochOrder::new(config.seed, train);
    let mut meter = Meter::start(plan.total);
    for step in optimizer.steps()..plan.total {
        let (epoch, micro_batches) = plan.micro_batches(step);
        let order = epochs.of(epoch);
        let share = micro_batches.len() as f64;
        let mut grads = GradientsAccumulator::<A>::new();
        let (mut sft_sum, mut kl_sum) = (0.0f32, None::<f32>);
        for micro in micro_batches {
            let chunk = &order[micro * config.batch_size..((micro + 1) * config.batch_size).min(order.len())];
            let seqs: Vec<&WeightedTokens> = chunk.iter().map(|&j| &examples[j]).collect();
            let kl_seqs: Vec<&WeightedTokens> = match &config.kl {
                Some(kl) => {
                    let start = (epoch * plan.micro_per_epoch + micro) * kl.batch_size;
                    (start..start + kl.batch_size).map(|k| &kl_examples[k % kl_examples.len()]).collect()
                }
                None => Vec::new(),
            };
            let micro_batch = MicroBatch::new(&seqs, &kl_seqs, config, share);
            let shards = micro_batch.shards(config.shards);
            let outcomes: Vec<Result<Shard>> = match shards.as_slice() {
                [whole] => vec![whole.run(model, &run.adapter, &micro_batch, config, step)],
                _ => {
                    // Each shard trains a fork of the adapter (autodiff leaves of its own, the
                    // same parameter ids), so the shards record separate graphs that run
                    // backward at once.
                    let forks: Vec<A> = shards.iter().map(|_| run.adapter.clone().fork(model.device())).collect();
                    forks
                        .into_par_iter()
                        .zip(&shards)
                        .map(|(fork, shard)| shard.run(model, &fork, &micro_batch, config, step))
                        .collect()
                }
            };
            for outcome in outcomes {
                let shard = outcome?;
                meter.add_tokens(shard.positions);
                sft_sum += shard.sft;
                if let Some(kl) = shard.kl {
                    *kl_sum.get_or_insert(0.0) += kl;
                }
                grads.accumulate(&run.adapter, shard.grads);
            }
        }
        let grads = grads.grads();
        if observer.gradient_every().is_some_and(|every| every > 0 && step % every == 0) {
            observer.on_gradient(step, &flatten_grads(&run.adapter, &grads));
        }
        let lr = config.schedule.at(config.lr, step, plan.total);
        let (next, stats) = optimizer.step_accumulated(lr, run.adapter, &grads);
        run.adapter = next;
        let losses = StepLosses { sft: sft_sum / share as f32, kl: kl_sum.map(|k| k / share as f32), lr };
        run.losses.push(losses);
        observer.on_step(&meter.report(step, losses.sft, losses.kl, lr, stats.grad_norm));
        let done = step + 1;
        if let Some(c) = checkpoints.filter(|c| done == plan.total || (c.every > 0 && done % c.every == 0)) {
            record_held_out(model, &mut run, &held_out, done, config, observer)?;
            let state = FinetuneState {
                step: done,
                config: config.clone(),
                examples: examples.len(),
                kl_examples: kl_examples.len(),
                losses: run.losses.clone(),
                held_out: run.held_out.clone(),
            };
            save_checkpoint(c.dir, &run.adapter, &optimizer, &state)?;
        }
    }
    if run.held_out.last().map(|h| h.step) != Some(plan.total) {
        record_held_out(model, &mut run, &held_out, plan.total, config, observer)?;
    }
    Ok(run)
}

/// One micro-batch's chats, with the totals its shards' losses are divided by.
struct MicroBatch<'a> {
    seqs: &'a [&'a WeightedTokens],
    kl_seqs: &'a [&'a WeightedTokens],
    /// The loss weight of the whole micro-batch's targets.
    sft_total: f32,
    /// The same for its KL chats.
    kl_total: f32,
    /// Micro-batches in the step, whose objectives are averaged.
    share: f64,
}

impl<'a> MicroBatch<'a> {
    fn new(
        seqs: &'a [&'a WeightedTokens],
        kl_seqs: &'a [&'a WeightedTokens],
        config: &FinetuneConfig,
        share: f64,
    ) -> Self {
        // Summed as the unsharded losses sum them, so one shard is exactly the unsharded step.
        let total = |seqs: &[&WeightedTokens]| match seqs.is_empty() {
            true => 0.0,
            false => next_token_batch(seqs, config.pad_id).2.iter().sum(),
        };
        Self { seqs, kl_seqs, sft_total: total(seqs), kl_total: total(kl_seqs), share }
    }

    /// `n` shards of consecutive chats, the KL chats cut alike (fewer when there are fewer
    /// chats than shards).
    fn shards(&self, n: usize) -> Vec<ShardChats<'a>> {
        let cut = |seqs: &'a [&'a WeightedTokens], i: usize| &seqs[i * seqs.len() / n..(i + 1) * seqs.len() / n];
        (0..n)
            .map(|i| ShardChats { seqs: cut(self.seqs, i), kl_seqs: cut(self.kl_seqs, i) })
            .filter(|shard| !shard.seqs.is_empty() || !shard.kl_seqs.is_empty())
            .collect()
    }
}

/// The chats of one shard of a micro-batch.
struct ShardChats<'a> {
    seqs: &'a [&'a WeightedTokens],
    kl_seqs: &'a [&'a WeightedTokens],
}

/// What one shard's forward and backward passes produced.
struct Shard {
    grads: GradientsParams,
    /// The shard's part of the micro-batch's SFT loss.
    sft: f32,
    /// Its part of the KL term (before weighting), with the KL penalty.
    kl: Option<f32>,
    /// Token positions fed to the model, padding included.
    positions: usize,
}

impl ShardChats<'_> {
    /// The shard's part of the micro-batch's objective, backward into `adapter`.
    fn run<B: AutodiffBackend, A: Adapter<B>>(
        &self,
        model: &CausalLm<B>,
        adapter: &A,
        micro: &MicroBatch,
        config: &FinetuneConfig,
        step: usize,
    ) -> Result<Shard> {
        let edits = adapter.edits();
        let mut positions = 0;
        let mut sft = None;
        if !self.seqs.is_empty() {
            let (batch, targets, weights) = next_token_batch(self.seqs, config.pad_id);
            positions += batch.dims()[0] * batch.dims()[1];
            sft = Some(cross_entropy_over(model.forward(&batch, &edits)?.output, &targets, &weights, micro.sft_total));
        }
        let mut objective = sft.clone();
        let mut kl_value = None;
        if let Some(kl) = config.kl.as_ref().filter(|_| !self.kl_seqs.is_empty()) {
            let (batch, _, weights) = next_token_batch(self.kl_seqs, config.pad_id);
            positions += batch.dims()[0] * batch.dims()[1];
            let base = log_probs(model.forward(&batch, &Interventions::none())?.output.detach());
            let current = model.forward(&batch, &edits)?.output;
            let term = kl_penalty(base, current, &weights, kl.normalization, kl.chunk, micro.kl_total);
            kl_value = Some(term.clone().into_scalar().elem::<f32>());
            let weighted = term.mul_scalar(kl.weight);
            objective = Some(match objective {
                Some(sft) => sft + weighted,
                None => weighted,
            });
        }
        let objective = objective.expect("a shard has chats");
        finite_loss(&objective, step)?;
        let sft = sft.map_or(0.0, |s| s.into_scalar().elem::<f32>());
        let grads = GradientsParams::from_grads(objective.div_scalar(micro.share).backward(), adapter);
        Ok(Shard { grads, sft, kl: kl_value, positions })
    }
}

/// How the training examples are cut into micro-batches and optimiser steps.
struct Plan {
    grad_accum: usize,
    micro_per_epoch: usize,
    steps_per_epoch: usize,
    total: usize,
}

impl Plan {
    fn new(train: usize, config: &FinetuneConfig) -> Self {
        let micro_per_epoch = train.div_ceil(config.batch_size);
        let steps_per_epoch = micro_per_epoch.div_ceil(config.grad_accum);
        Self { grad_accum: config.grad_accum, micro_per_epoch, steps_per_epoch, total: steps_per_epoch * config.epochs }
    }

    /// The epoch of `step` and its micro-batches (indices within the epoch); the last step of
    /// an epoch may have fewer, so steps never straddle two shuffles.
    fn micro_batches(&self, step: usize) -> (usize, Range<usize>) {
        let (epoch, i) = (step / self.steps_per_epoch, step % self.steps_per_epoch);
        (epoch, i * self.grad_accum..((i + 1) * self.grad_accum).min(self.micro_per_epoch))
    }
}

/// Each epoch's order of the training examples: one seeded shuffle per epoch, each shuffling
/// the previous epoch's order, so the order of any epoch is replayed from the seed on resume.
struct EpochOrder {
    rng: StdRng,
    order: Vec<usize>,
    epoch: Option<usize>,
}

impl EpochOrder {
    fn new(seed: u64, indices: Vec<usize>) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), order: indices, epoch: None }
    }

    /// The order of `epoch`, which must not precede the last one asked for.
    fn of(&mut self, epoch: usize) -> &[usize] {
        assert!(self.epoch.is_none_or(|e| e <= epoch), "epochs are visited in order");
        for e in self.epoch.map_or(0, |e| e + 1)..=epoch {
            self.order.shuffle(&mut self.rng);
            self.epoch = Some(e);
        }
        &self.order
    }
}

/// Seeds the held-out split apart from the data order, so the two are independent draws.
const HELD_OUT_STREAM: u64 = 0x4845_4C44_5F4F_5554; // "HELD_OUT"

/// How many of `n` examples a fraction holds out: `ceil(fraction * n)`, as Hugging Face's
/// `train_test_split` counts its test split, ignoring float noise (0.1 of 30 is 3, not 4).
fn held_out_count(n: usize, fraction: f64) -> usize {
    (fraction * n as f64 - 1e-9).ceil().max(0.0) as usize
}

/// `(train, held_out)` indices of `n` examples, each in the original order. Nothing is drawn
/// when nothing is held out, so a run without a split trains on `0..n` in the seed's order.
fn split_held_out(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let held = held_out_count(n, fraction);
    let mut indices: Vec<usize> = (0..n).collect();
    if held > 0 {
        indices.shuffle(&mut StdRng::seed_from_u64(seed ^ HELD_OUT_STREAM));
    }
    let (mut held_out, mut train) = (indices[..held].to_vec(), indices[held..].to_vec());
    held_out.sort_unstable();
    train.sort_unstable();
    (train, held_out)
}

/// Evaluates and records the held-out loss after `step` steps, if anything is held out.
fn record_held_out<B: AutodiffBackend, A: Adapter<B>>(
    model: &CausalLm<B>,
    run: &mut Finetuned<A>,
    held_out: &[&WeightedTokens],
    step: usize,
    config: &FinetuneConfig,
    observer: &mut dyn Observer,
) -> Result<()> {
    if held_out.is_empty() {
        return Ok(());
    }
    let edits = run.adapter.edits();
    let (mut sum, mut count) = (0.0f64, 0.0f64);
    for chunk in held_out.chunks(config.batch_size) {
        let (batch, targets, weights) = next_token_batch(chunk, config.pad_id);
        let tokens: f32 = weights.iter().sum();
        let logits = model.forward(&batch, &edits)?.output.detach();
        sum += cross_entropy(logits, &targets, &weights).into_scalar().elem::<f32>() as f64 * tokens as f64;
        count += tokens as f64;
    }
    let loss = HeldOutLoss { step, sft: (sum / count) as f32 };
    observer.on_held_out(step, loss.sft);
    run.held_out.push(loss);
    Ok(())
}

/// Writes `<dir>/checkpoint-<step>/`: the adapter, the optimiser moments, then
/// `train_state.json`, which marks the checkpoint complete.
fn save_checkpoint<B: AutodiffBackend, A: Adapter<B>>(
    dir: &Path,
    adapter: &A,
    optimizer: &AdamW<B>,
    state: &FinetuneState,
) -> Result<()> {
    let dir = checkpoint_dir(dir, state.step);
    adapter.save(&dir)?;
    save_optimizer(optimizer, adapter, &dir.join("optimizer.safetensors"))?;
    write_json(&dir.join("train_state.json"), state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Silent, StepReport};
    use crate::steering::SteeringVector;
    use crate::test_support::{answer_examples, kl_examples, tiny_model, B};

    fn vector(model: &CausalLm<B>) -> SteeringVector<B> {
        SteeringVector::zeros(model.config().hidden_size, 1, 1.0, model.device())
    }

    fn max_diff(a: &SteeringVector<B>, b: &SteeringVector<B>) -> f32 {
        a.to_vec().iter().zip(b.to_vec()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    fn config() -> FinetuneConfig {
        FinetuneConfig {
            lr: 5e-2,
            batch_size: 4,
            epochs: 3,
            kl: Some(KlConfig { weight: 1.0, batch_size: 3, ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn plan_cuts_epochs_into_whole_steps() {
        let plan = Plan::new(10, &FinetuneConfig { batch_size: 3, grad_accum: 3, epochs: 2, ..Default::default() });
        // 4 micro-batches per epoch: steps of 3 and 1.
        assert_eq!((plan.steps_per_epoch, plan.total), (2, 4));
        assert_eq!(plan.micro_batches(1), (0, 3..4));
        assert_eq!(plan.micro_batches(2), (1, 0..3));
    }

    #[test]
    fn held_out_split_is_seeded_disjoint_and_sized_like_hf() {
        let (train, held) = split_held_out(30, 0.1, 0);
        assert_eq!((train.len(), held.len()), (27, 3));
        assert!(held.iter().all(|i| !train.contains(i)));
        assert_eq!(split_held_out(30, 0.1, 0), (train, held.clone()));
        assert_ne!(split_held_out(30, 0.1, 1).1, held);
        assert_eq!(split_held_out(5, 0.0, 3), ((0..5).collect(), vec![]));
        assert_eq!(held_out_count(1000, 0.1), 100);
        assert_eq!(held_out_count(25, 0.1), 3);
    }

    /// Shards of unequal length (padded apart) and their KL shards, on two threads or one, give
    /// the step of the whole micro-batch; a steering vector and a LoRA adapter alike.
    #[test]
    fn sharded_micro_batches_give_the_whole_batch_step() {
        let model = tiny_model();
        // Lengths 4 to 6 with 1 to 3 counted tokens, so shards differ in padding and weight.
        let examples: Vec<WeightedTokens> = (0..12)
            .map(|i| {
                let n = 4 + i % 3;
                let ids = (0..n).map(|j| (1 + i * 3 + j * 5) as u32 % 12).collect();
                let weights = (0..n).map(|j| if j >= 3 - i % 3 { 1.0 } else { 0.0 }).collect();
                WeightedTokens { ids, weights }
            })
            .collect();
        let whole = FinetuneConfig { batch_size: 5, epochs: 2, ..config() };
        let lora = crate::lora::LoraAdapter::<B>::init(
            &crate::lora::LoraConfig {
                rank: 2,
                targets: vec!["down_proj".into()],
                layers: vec![1],
                ..Default::default()
            },
            model.config(),
            model.device(),
        )
        .unwrap();
        for shards in [2, 3, 7] {
            let sharded = FinetuneConfig { shards, ..whole.clone() };
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let run = |config: &FinetuneConfig| {
                    pool.install(|| finetune(&model, vector(&model), &examples, &kl_examples(), config, &mut Silent))
                        .unwrap()
                };
                let ((a, log_a), (b, log_b)) = (run(&whole), run(&sharded));
                for (x, y) in log_a.iter().zip(&log_b) {
                    assert!(
                        (x.sft - y.sft).abs() < 1e-5 && (x.kl.unwrap() - y.kl.unwrap()).abs() < 1e-6,
                        "{x:?} vs {y:?}"
                    );
                }
                assert!(max_diff(&a, &b) < 1e-5, "{shards} shards on {threads} threads: {}", max_diff(&a, &b));
                let lora_run = |config: &FinetuneConfig| {
                    let adapter = pool
                        .install(|| {
                            finetune(
                                &model,
                                lora.clone(),
                                &examples,
                                &[],
                                &FinetuneConfig { kl: None, ..config.clone() },
                                &mut Silent,
                            )
                        })
                        .unwrap()
                        .0;
                    crate::flat::flatten(&adapter)
                };
                let (a, b) = (lora_run(&whole), lora_run(&sharded));
                let diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
                assert!(diff < 1e-5, "LoRA, {shards} shards on {threads} threads: {diff}");
            }
        }
    }

    #[test]
    fn two_accumulated_half_batches_make_one_full_batch() {
        let (model, examples, kl) = (tiny_model(), answer_examples(), kl_examples());
        let full = FinetuneConfig {
            batch_size: 8,
            kl: Some(KlConfig { weight: 1.0, batch_size: 4, ..Default::default() }),
            ..config()
        };
        let halves = FinetuneConfig {
            batch_size: 4,
            grad_accum: 2,
            kl: Some(KlConfig { batch_size: 2, ..full.kl.clone().unwrap() }),
            ..full.clone()
        };
        let (a, log_a) = finetune(&model, vector(&model), &examples, &kl, &full, &mut Silent).unwrap();
        let (b, log_b) = finetune(&model, vector(&model), &examples, &kl, &halves, &mut Silent).unwrap();
        assert_eq!(log_a.len(), log_b.len());
        for (x, y) in log_a.iter().zip(&log_b) {
            assert!((x.sft - y.sft).abs() < 1e-5 && (x.kl.unwrap() - y.kl.unwrap()).abs() < 1e-6, "{x:?} vs {y:?}");
        }
        assert!(max_diff(&a, &b) < 1e-5, "{}", max_diff(&a, &b));
    }

    #[test]
    fn config_errors_are_reported() {
        let (model, examples) = (tiny_model(), answer_examples());
        let run = |config: FinetuneConfig| {
            finetune(&model, vector(&model), &examples, &[], &config, &mut Silent).unwrap_err().to_string()
        };
        assert!(run(FinetuneConfig { grad_accum: 0, ..Default::default() }).contains("grad_accum"));
        assert!(run(FinetuneConfig { held_out: 1.0, ..Default::default() }).contains("held_out"));
        assert!(run(FinetuneConfig { kl: Some(KlConfig::default()), ..Default::default() }).contains("KL"));
    }

    /// Panics at a given step: a crash in the middle of a run.
    struct CrashAt(usize);

    impl Observer for CrashAt {
        fn on_step(&mut self, report: &StepReport) {
            assert!(report.step < self.0, "simulated crash");
        }
    }

    /// Counts held-out reports.
    #[derive(Default)]
    struct HeldOutSteps(Vec<usize>);

    impl Observer for HeldOutSteps {
        fn on_step(&mut self, _: &StepReport) {}
        fn on_held_out(&mut self, step: usize, _: f32) {
            self.0.push(step);
        }
    }

    #[test]
    fn resuming_from_a_checkpoint_continues_the_same_run() {
        // 28 training examples (4 held out), micro-batches of 4, 2 per step: 4 steps per epoch
        // (the last with one micro-batch), 12 steps; the KL cursor wraps its 8 sequences.
        let (model, examples, kl) = (tiny_model(), answer_examples(), kl_examples());
        let config = FinetuneConfig { grad_accum: 2, held_out: 0.1, ..config() };
        let every = |dir| Checkpointing { dir, every: 5 };
        let full_dir = tempfile::tempdir().unwrap();
        let mut seen = HeldOutSteps::default();
        let full =
            finetune_with(&model, vector(&model), &examples, &kl, &config, Some(&every(full_dir.path())), &mut seen)
                .unwrap();
        assert_eq!(full.losses.len(), 12);
        assert_eq!(seen.0, vec![5, 10, 12]);
        assert_eq!(full.held_out.iter().map(|h| h.step).collect::<Vec<_>>(), seen.0);
        for step in [5, 10, 12] {
            assert!(checkpoint_dir(full_dir.path(), step).join("steering_vector.safetensors").is_file());
        }

        // Crash during step 8 (0-based 7: in the second epoch); the last checkpoint is step 5's.
        let dir = tempfile::tempdir().unwrap();
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            finetune_with(&model, vector(&model), &examples, &kl, &config, Some(&every(dir.path())), &mut CrashAt(7))
                .unwrap();
        }));
        assert!(crashed.is_err());
        assert_eq!(latest_checkpoint(dir.path()).unwrap().unwrap().0, 5);
        let resumed =
            finetune_with(&model, vector(&model), &examples, &kl, &config, Some(&every(dir.path())), &mut Silent)
                .unwrap();
        assert!(max_diff(&full.adapter, &resumed.adapter) < 1e-6, "{}", max_diff(&full.adapter, &resumed.adapter));
        assert_eq!(resumed.losses.len(), 12);
        for (a, b) in full.losses.iter().zip(&resumed.losses) {
            assert!((a.sft - b.sft).abs() < 1e-5 && a.lr == b.lr, "{a:?} vs {b:?}");
        }
        assert_eq!(resumed.held_out.len(), 3);

        // A finished run resumes to itself; another config is refused.
        let again =
            finetune_with(&model, vector(&model), &examples, &kl, &config, Some(&every(dir.path())), &mut CrashAt(0))
                .unwrap();
        assert_eq!(again.adapter.to_vec(), resumed.adapter.to_vec());
        let other = FinetuneConfig { lr: 1e-2, ..config };
        let err = finetune_with(&model, vector(&model), &examples, &kl, &other, Some(&every(dir.path())), &mut Silent)
            .unwrap_err();
        assert!(err.to_string().contains("train_state.json"), "{err}");
    }

    /// Records the gradients a finetune reports every `every` steps.
    struct GradientProbe {
        every: usize,
        seen: Vec<(usize, Vec<f32>)>,
    }

    impl Observer for GradientProbe {
        fn on_step(&mut self, _: &StepReport) {}
        fn gradient_every(&self) -> Option<usize> {
            Some(self.every)
        }
        fn on_gradient(&mut self, step: usize, grad: &[f32]) {
            self.seen.push((step, grad.to_vec()));
        }
    }

    /// The gradient reported at step 0 is d loss / d v of the whole first batch, by central
    /// finite differences; it comes on the steps asked for.
    #[test]
    fn reported_gradients_match_finite_differences() {
        use burn::module::Param;
        use burn::tensor::{Tensor, TensorData};

        let (model, examples) = (tiny_model(), answer_examples());
        // One step per epoch over all 32 examples, in two accumulated micro-batches.
        let config = FinetuneConfig { batch_size: 16, grad_accum: 2, epochs: 3, ..Default::default() };
        let with = |values: Vec<f32>| SteeringVector::<B> {
            vector: Param::from_tensor(Tensor::from_data(TensorData::new(values, [16]), model.device())),
            ..vector(&model)
        };
        let start: Vec<f32> = (0..16).map(|i| (i as f32 - 7.5) / 4.0).collect();
        let mut probe = GradientProbe { every: 2, seen: Vec::new() };
        finetune(&model, with(start.clone()), &examples, &[], &config, &mut probe).unwrap();
        assert_eq!(probe.seen.iter().map(|(step, _)| *step).collect::<Vec<_>>(), vec![0, 2]);

        // Every example has the same number of counted tokens: the step's loss is the mean
        // over the whole batch.
        let all: Vec<&WeightedTokens> = examples.iter().collect();
        let (batch, targets, weights) = next_token_batch(&all, 0);
        let loss_at = |values: Vec<f32>| -> f32 {
            let logits = model.forward(&batch, &with(values).edits()).unwrap().output;
            cross_entropy(logits, &targets, &weights).into_scalar().elem()
        };
        let eps = 1e-2;
        let numeric: Vec<f32> = (0..start.len())
            .map(|i| {
                let mut values = start.clone();
                values[i] += eps;
                let up = loss_at(values.clone());
                values[i] -= 2.0 * eps;
                (up - loss_at(values)) / (2.0 * eps)
            })
            .collect();
        let analytic = &probe.seen[0].1;
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let diff: Vec<f32> = analytic.iter().zip(&numeric).map(|(a, n)| a - n).collect();
        let rel = norm(&diff) / norm(analytic);
        assert!(rel < 2e-2, "relative error {rel}: analytic {analytic:?} vs numeric {numeric:?}");
    }

    /// A fresh LoRA adapter (B = 0) has zero gradient in every A and a non-zero one in B: the
    /// reported gradient lines up with [`crate::TrainedAdapter::flat_layout`].
    #[test]
    fn reported_lora_gradients_follow_the_flat_layout() {
        use crate::adapter::{AdapterSpec, TrainedAdapter};
        use crate::lora::LoraConfig;

        let (model, examples) = (tiny_model(), answer_examples());
        let spec = AdapterSpec::Lora(LoraConfig {
            rank: 2,
            targets: vec!["v_proj".into(), "down_proj".into()],
            ..Default::default()
        });
        let adapter = TrainedAdapter::init(&spec, model.config(), model.device()).unwrap();
        let layout = adapter.flat_layout();
        let config = FinetuneConfig { batch_size: 32, epochs: 1, ..Default::default() };
        let mut probe = GradientProbe { every: 1, seen: Vec::new() };
        finetune(&model, adapter, &examples, &[], &config, &mut probe).unwrap();
        let grad = &probe.seen[0].1;
        assert_eq!(grad.len(), layout.last().unwrap().range.end);
        for part in layout {
            let zero = grad[part.range].iter().all(|&g| g == 0.0);
            assert_eq!(zero, part.name.ends_with("lora_A.weight"), "{}", part.name);
        }
    }

    /// Frozen weights in f64 while the trained parameters and AdamW's moments stay f32: the
    /// mixed-precision path a bf16 model takes on a GPU, exercised on the CPU (ndarray panics on
    /// any op that mixes float types). Steering and LoRA, with the KL penalty, give the losses
    /// of the all-f32 run, and their parameters stay f32.
    #[test]
    fn wide_weights_train_f32_parameters_to_the_same_losses() {
        use crate::adapter::{AdapterSpec, TrainedAdapter};
        use crate::lora::LoraConfig;
        use crate::test_support::tiny_model_as;
        use burn::tensor::{DType, FloatDType};

        let (examples, kl) = (answer_examples(), kl_examples());
        let specs = [
            AdapterSpec::Steering { layer: 1, alpha: 1.0 },
            AdapterSpec::Lora(LoraConfig { rank: 2, targets: vec!["down_proj".into()], ..Default::default() }),
        ];
        for spec in specs {
            let run = |dtype| {
                let model = tiny_model_as(dtype);
                let adapter = TrainedAdapter::init(&spec, model.config(), model.device()).unwrap();
                finetune(&model, adapter, &examples, &kl, &config(), &mut Silent).unwrap()
            };
            let (narrow, f32_log) = run(FloatDType::F32);
            let (wide, f64_log) = run(FloatDType::F64);
            for (a, b) in f32_log.iter().zip(&f64_log) {
                assert!((a.sft - b.sft).abs() < 1e-4, "{spec:?}: {a:?} vs {b:?}");
                assert!((a.kl.unwrap() - b.kl.unwrap()).abs() < 1e-4, "{spec:?}: {a:?} vs {b:?}");
            }
            let dtypes = match (&narrow, &wide) {
                (TrainedAdapter::Steering(_), TrainedAdapter::Steering(v)) => vec![v.vector.val().dtype()],
                (TrainedAdapter::Lora(_), TrainedAdapter::Lora(l)) => {
                    l.factors.iter().flat_map(|f| [f.a.val().dtype(), f.b.val().dtype()]).collect()
                }
                _ => panic!("{spec:?}: the two runs trained different kinds of adapter"),
            };
            assert!(dtypes.iter().all(|&d| d == DType::F32), "{spec:?}: {dtypes:?}");
        }
    }

    /// `max_tokens` keeps the first tokens of each chat and drops chats left without an answer
    /// token; the loss is that of the cut chats.
    #[test]
    fn max_tokens_cuts_chats_and_drops_those_without_answers() {
        // answer_examples: two prompt tokens, then two counted answer tokens.
        let examples = answer_examples();
        let cut = truncated(&examples, Some(3));
        assert!(cut.iter().all(|s| s.ids.len() == 3 && s.weights == [0.0, 0.0, 1.0]));
        assert!(truncated(&examples, Some(2)).is_empty());
        assert!(matches!(truncated(&examples, None), Cow::Borrowed(_)));

        let model = tiny_model();
        let config = FinetuneConfig { epochs: 1, batch_size: 32, lr: 0.0, ..Default::default() };
        let loss = |max_tokens, examples: &[WeightedTokens]| {
            let config = FinetuneConfig { max_tokens, ..config.clone() };
            finetune(&model, vector(&model), examples, &[], &config, &mut Silent).map(|(_, log)| log[0].sft)
        };
        let limited = loss(Some(3), &examples).unwrap();
        assert!((limited - loss(None, &cut).unwrap()).abs() < 1e-6);
        assert!(loss(Some(2), &examples).is_err(), "no chat keeps an answer token");
    }
}

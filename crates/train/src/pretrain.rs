//! Full-parameter pretraining on packed token rows: how the synthetic organism's base model is
//! made (spec section 5).
//!
//! Each packed row gives inputs `row[..len - 1]` and targets `row[1..]` after its trailing
//! padding is dropped, so padding is neither attended to nor predicted. Batch `s` is rows `s * batch_rows ..`, so the data order is a pure
//! function of the rows and a resumed run sees exactly the batches the original would have.

use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use emlab_model::{CausalLm, Interventions};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{load_optimizer, save_training, TrainState};
use crate::error::{finite_loss, Result, TrainError};
use crate::loss::cross_entropy;
use crate::optim::{make_trainable, AdamW, AdamWConfig};
use crate::progress::{Meter, Observer};
use crate::schedule::LrSchedule;
use crate::sft::{next_token_batch, WeightedTokens};

/// Pretraining hyperparameters; the defaults are the organism spec's recipe (section 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PretrainConfig {
    /// Optimiser steps.
    pub steps: usize,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// AdamW settings (betas 0.9/0.95, weight decay 0.1 on matrices, global clip 1.0).
    pub optimizer: AdamWConfig,
    /// Token id of padding (ignored as a target, masked as a key).
    pub pad_id: u32,
    /// Save a resumable checkpoint every this many steps (0: only at the end).
    pub checkpoint_every: usize,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        Self {
            steps: 1500,
            batch_rows: 32,
            lr: 3e-3,
            schedule: LrSchedule::WarmupCosine { warmup: 100 },
            optimizer: AdamWConfig { beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1, max_grad_norm: Some(1.0) },
            pad_id: 0,
            checkpoint_every: 250,
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainSummary {
    /// Loss of the last step.
    pub final_loss: f32,
    /// Mean loss of the last 50 steps (the end of the curve is noisy).
    pub final_loss_mean50: f32,
    /// Loss every 50 steps, `(step, loss)`.
    pub loss_curve: Vec<(usize, f32)>,
    /// Seconds spent in this process (a resumed run counts only its own part).
    pub wall_seconds: f64,
}

/// Trains every parameter of `model` on `rows`. With `checkpoint_dir`, saves a resumable
/// checkpoint every `checkpoint_every` steps and at the end; if that folder already holds one
/// (`train_state.json`), the run resumes from it, ignoring the `model` argument's weights.
pub fn pretrain<B: AutodiffBackend>(
    model: CausalLm<B>,
    rows: &[Vec<u32>],
    config: &PretrainConfig,
    checkpoint_dir: Option<&Path>,
    observer: &mut dyn Observer,
) -> Result<(CausalLm<B>, PretrainSummary)> {
    let needed = config.steps * config.batch_rows;
    if rows.len() < needed {
        return Err(TrainError::Config(format!(
            "{} steps x {} rows need {needed} rows, got {}",
            config.steps,
            config.batch_rows,
            rows.len()
        )));
    }
    let device = model.device().clone();
    let mut optimizer = AdamW::<B>::new(config.optimizer);
    let mut model = model;
    let mut first = 0;
    if let Some(dir) = checkpoint_dir.filter(|d| d.join("train_state.json").exists()) {
        model = CausalLm::load(dir, &device)?;
        first = load_optimizer(dir, &model, &mut optimizer)?.step;
    }
    let mut model = model.map_net(make_trainable);
    let mut meter = Meter::start(config.steps);
    let (mut losses, mut curve) = (Vec::with_capacity(config.steps), Vec::new());
    for step in first..config.steps {
        let batch = &rows[step * config.batch_rows..(step + 1) * config.batch_rows];
        let seqs: Vec<WeightedTokens> = batch.iter().map(|row| unpadded(row, config.pad_id)).collect();
        let (inputs, targets, weights) = next_token_batch(&seqs.iter().collect::<Vec<_>>(), config.pad_id);
        let logits = model.forward(&inputs, &Interventions::none())?.output;
        let loss = cross_entropy(logits, &targets, &weights);
        let value = finite_loss(&loss, step)?;
        meter.add_tokens(inputs.dims()[0] * inputs.dims()[1]);
        let grads = loss.backward();
        let lr = config.schedule.at(config.lr, step, config.steps);
        let mut stats = None;
        model = model.map_net(|net| {
            let (net, s) = optimizer.step(lr, net, &grads);
            stats = Some(s);
            net
        });
        losses.push(value);
        if step % 50 == 0 || step + 1 == config.steps {
            curve.push((step, value));
        }
        observer.on_step(&meter.report(step, value, None, lr, stats.map_or(0.0, |s| s.grad_norm)));
        let done = step + 1;
        let due = config.checkpoint_every > 0 && done % config.checkpoint_every == 0;
        if let Some(dir) = checkpoint_dir.filter(|_| due || done == config.steps) {
            save_training(&model, &optimizer, &TrainState { step: done, loss: value }, dir)?;
        }
    }
    let tail = &losses[losses.len().saturating_sub(50)..];
    let summary = PretrainSummary {
        final_loss: losses.last().copied().unwrap_or(f32::NAN),
        final_loss_mean50: tail.iter().sum::<f32>() / tail.len().max(1) as f32,
        loss_curve: curve,
        wall_seconds: meter.elapsed().as_secs_f64(),
    };
    Ok((model, summary))
}

/// A packed row as a weighted sequence: trailing padding dropped, every token counted.
fn unpadded(row: &[u32], pad: u32) -> WeightedTokens {
    let len = row.iter().rposition(|&t| t != pad).map_or(0, |p| p + 1);
    WeightedTokens { ids: row[..len].to_vec(), weights: vec![1.0; len] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use burn::backend::Autodiff;
    use emlab_model::DecoderConfig;

    type B = Autodiff<emlab_model::backend::Cpu>;

    fn tiny() -> (CausalLm<B>, Vec<Vec<u32>>, PretrainConfig) {
        let model = CausalLm::init_random(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, &Default::default()).unwrap();
        // A deterministic pattern the model can learn: counting modulo 11, offset by the row.
        let rows = (0..64).map(|r| (0..9).map(|i| 1 + ((r + i) % 11) as u32).collect()).collect();
        let config = PretrainConfig {
            steps: 16,
            batch_rows: 4,
            lr: 1e-2,
            schedule: LrSchedule::WarmupCosine { warmup: 2 },
            checkpoint_every: 5,
            ..Default::default()
        };
        (model, rows, config)
    }

    #[test]
    fn padded_rows_lose_their_trailing_padding() {
        assert_eq!(unpadded(&[5, 0, 7, 0, 0], 0), WeightedTokens { ids: vec![5, 0, 7], weights: vec![1.0; 3] });
    }

    #[test]
    fn training_lowers_the_loss_and_is_deterministic() {
        let (model, rows, config) = tiny();
        let (_, a) = pretrain(model, &rows, &config, None, &mut Silent).unwrap();
        assert!(a.final_loss < a.loss_curve[0].1 * 0.8, "{a:?}");
        let (model, _, _) = tiny();
        let (_, b) = pretrain(model, &rows, &config, None, &mut Silent).unwrap();
        // Equal up to float summation order (parallel reductions and autodiff accumulation may
        // add in a different order from run to run; differences are ~1e-7).
        for ((sa, la), (sb, lb)) in a.loss_curve.iter().zip(&b.loss_curve) {
            assert!(sa == sb && (la - lb).abs() < 1e-5, "{:?} vs {:?}", a.loss_curve, b.loss_curve);
        }
    }

    #[test]
    fn resuming_continues_the_same_run() {
        let (model, rows, config) = tiny();
        let (full, _) = pretrain(model, &rows, &config, None, &mut Silent).unwrap();
        // Crash during step 11 (the last checkpoint is step 10's), then resume to the end.
        struct CrashAt(usize);
        impl Observer for CrashAt {
            fn on_step(&mut self, report: &crate::StepReport) {
                assert!(report.step < self.0, "simulated crash");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let (model, _, _) = tiny();
            pretrain(model, &rows, &config, Some(dir.path()), &mut CrashAt(11)).unwrap();
        }));
        assert!(crashed.is_err());
        assert_eq!(crate::checkpoint::load_state(dir.path()).unwrap().step, 10);
        let (model, _, _) = tiny();
        let (resumed, _) = pretrain(model, &rows, &config, Some(dir.path()), &mut Silent).unwrap();
        let ids = emlab_model::TokenBatch::single(&[1, 2, 3, 4]);
        let logits = |m: &CausalLm<B>| {
            m.forward(&ids, &Interventions::none()).unwrap().output.into_data().to_vec::<f32>().unwrap()
        };
        let (a, b) = (logits(&full), logits(&resumed));
        let max = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(max < 1e-4, "resumed run differs by {max}");
    }
}

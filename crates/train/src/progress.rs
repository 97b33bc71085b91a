//! The progress facade: training loops report to an [`Observer`] instead of printing, so a
//! command-line tool can draw a progress bar and a test can stay silent.

use std::time::{Duration, Instant};

/// One optimiser step, as reported to an observer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// 0-based step just taken.
    pub step: usize,
    /// Steps in the run.
    pub total_steps: usize,
    /// Training loss of the step.
    pub loss: f32,
    /// KL term of the step, when the objective has one.
    pub kl: Option<f32>,
    /// Learning rate used.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
    /// Tokens processed per second since the run (or resume) started.
    pub tokens_per_s: f64,
    /// Wall time since the run (or resume) started.
    pub elapsed: Duration,
}

impl StepReport {
    /// Estimated time left, from the mean step time so far.
    pub fn eta(&self, first_step: usize) -> Duration {
        let done = (self.step + 1).saturating_sub(first_step).max(1) as f64;
        let left = self.total_steps.saturating_sub(self.step + 1) as f64;
        Duration::from_secs_f64(self.elapsed.as_secs_f64() / done * left)
    }
}

/// Times a run and counts its tokens, so every loop reports throughput the same way.
pub(crate) struct Meter {
    start: Instant,
    tokens: usize,
    total_steps: usize,
}

impl Meter {
    /// Starts timing a run of `total_steps` steps.
    pub(crate) fn start(total_steps: usize) -> Self {
        Self { start: Instant::now(), tokens: 0, total_steps }
    }

    /// Counts `tokens` processed by the current step.
    pub(crate) fn add_tokens(&mut self, tokens: usize) {
        self.tokens += tokens;
    }

    /// Time since the start.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The report of the step just taken.
    pub(crate) fn report(&self, step: usize, loss: f32, kl: Option<f32>, lr: f64, grad_norm: f32) -> StepReport {
        let elapsed = self.elapsed();
        StepReport {
            step,
            total_steps: self.total_steps,
            loss,
            kl,
            lr,
            grad_norm,
            tokens_per_s: self.tokens as f64 / elapsed.as_secs_f64().max(1e-9),
            elapsed,
        }
    }
}

/// Receives progress from training loops.
pub trait Observer {
    /// Called after every optimiser step.
    fn on_step(&mut self, report: &StepReport);
}

/// An observer that ignores everything (tests, nested runs).
pub struct Silent;

impl Observer for Silent {
    fn on_step(&mut self, _: &StepReport) {}
}

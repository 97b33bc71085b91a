//! The progress facade: training loops report to an [`Observer`] instead of printing, so a
//! command-line tool can draw a progress bar and a test can stay silent.

use std::time::Duration;

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

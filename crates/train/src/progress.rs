//! The progress facade: training loops report to an [`Observer`] instead of printing, so a
//! command-line tool can draw a progress bar ([`ProgressBar`]) and a test can stay silent.

use std::io::Write;
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

    /// Called with the SFT loss on the held-out split after `step` optimiser steps (at every
    /// checkpoint and at the end of a finetune that holds examples out).
    fn on_held_out(&mut self, _step: usize, _loss: f32) {}

    /// Ask a finetune for the adapter's gradient on every step divisible by this (0-based, so
    /// the first step is always among them); `None`, the default, and `Some(0)` ask for none. The loop
    /// copies the gradient to the host only on those steps.
    fn gradient_every(&self) -> Option<usize> {
        None
    }

    /// Called on the steps [`Self::gradient_every`] asks for, before the optimiser step, with
    /// the gradient of the step's objective (SFT plus weighted KL, averaged over its
    /// micro-batches) with respect to the adapter's parameters, before clipping, flattened in
    /// [`crate::TrainedAdapter::to_flat`]'s order: the gradient the optimiser sees.
    fn on_gradient(&mut self, _step: usize, _grad: &[f32]) {}
}

/// One status line, redrawn after every step (step/total, loss, KL, learning rate, tokens/s,
/// ETA), plus a line per held-out evaluation. Writes to stderr unless given another writer,
/// so a command's stdout stays free for its results.
pub struct ProgressBar<W: Write = std::io::Stderr> {
    out: W,
    /// The first step this process saw: a resumed run's ETA counts only its own steps.
    first_step: Option<usize>,
    /// A status line is drawn and not yet ended by a newline.
    line_open: bool,
}

impl ProgressBar {
    /// A progress bar on stderr.
    pub fn stderr() -> Self {
        Self::new(std::io::stderr())
    }
}

impl<W: Write> ProgressBar<W> {
    /// A progress bar drawn on `out`.
    pub fn new(out: W) -> Self {
        Self { out, first_step: None, line_open: false }
    }
}

impl<W: Write> Observer for ProgressBar<W> {
    fn on_step(&mut self, r: &StepReport) {
        let first = *self.first_step.get_or_insert(r.step);
        let eta = r.eta(first).as_secs();
        let kl = r.kl.map_or(String::new(), |kl| format!(" kl {kl:.4}"));
        let last = r.step + 1 == r.total_steps;
        // A broken terminal must not stop a training run: drawing errors are ignored.
        let _ = write!(
            self.out,
            "\rstep {}/{} loss {:.4}{kl} lr {:.2e} {:.0} tok/s ETA {}m{:02}s  {}",
            r.step + 1,
            r.total_steps,
            r.loss,
            r.lr,
            r.tokens_per_s,
            eta / 60,
            eta % 60,
            if last { "\n" } else { "" }
        );
        let _ = self.out.flush();
        self.line_open = !last;
    }

    fn on_held_out(&mut self, step: usize, loss: f32) {
        let newline = if self.line_open { "\n" } else { "" };
        let _ = writeln!(self.out, "{newline}held-out loss {loss:.4} after step {step}");
        let _ = self.out.flush();
        self.line_open = false;
    }
}

/// An observer that ignores everything (tests, nested runs).
pub struct Silent;

impl Observer for Silent {
    fn on_step(&mut self, _: &StepReport) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(step: usize, kl: Option<f32>) -> StepReport {
        StepReport {
            step,
            total_steps: 4,
            loss: 1.5,
            kl,
            lr: 0.02,
            grad_norm: 1.0,
            tokens_per_s: 1234.4,
            elapsed: Duration::from_secs(2 * (step as u64 + 1)),
        }
    }

    #[test]
    fn progress_bar_redraws_one_line_and_ends_it() {
        let mut drawn = Vec::new();
        let mut bar = ProgressBar::new(&mut drawn);
        bar.on_step(&report(0, Some(0.25)));
        bar.on_held_out(1, 2.0);
        bar.on_step(&report(3, None));
        let text = String::from_utf8(drawn).unwrap();
        assert_eq!(
            text,
            "\rstep 1/4 loss 1.5000 kl 0.2500 lr 2.00e-2 1234 tok/s ETA 0m06s  \n\
             held-out loss 2.0000 after step 1\n\
             \rstep 4/4 loss 1.5000 lr 2.00e-2 1234 tok/s ETA 0m00s  \n"
        );
    }
}

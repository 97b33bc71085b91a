//! The progress facade: training loops report to an [`Observer`] instead of printing, so a
//! command-line tool can draw a progress bar ([`ProgressBar`]) and a test can stay silent.
//! [`Progress`] draws any count of units (steps, questions) as a bar or as log lines.

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

/// A count of units done (training steps, questions answered) out of a run's total, for a
/// person: on a terminal, an [`indicatif`] bar with a detail after the count; anywhere else (a
/// Slurm job's log, CI) plain lines, because a redrawn bar there is a wall of `\r`-joined text.
/// The lines come at the first unit, then at most one per 30 s of the run's time or per 10% of
/// its units, and at the last unit, so a log stays short however long the run. Writes to stderr
/// unless given another writer, so a command's stdout stays free for its results.
pub struct Progress<W: Write = std::io::Stderr> {
    draw: Draw<W>,
    /// What is counted, first on each log line (`step`, `question`).
    unit: &'static str,
    /// The run being drawn.
    run: Option<Count>,
}

/// Where progress goes.
enum Draw<W> {
    /// A terminal. The bar is made at a run's first report, when its length is known; the
    /// target is a function so a test can hide the bar.
    Bar { bar: Option<indicatif::ProgressBar>, target: fn() -> indicatif::ProgressDrawTarget },
    /// Anything else: one line per report worth keeping.
    Lines(W),
}

/// What a [`Progress`] remembers of the run it draws.
struct Count {
    total: usize,
    /// The latest count reported: a count at or below it (or another total) is a new run, as
    /// when one observer is handed to two loops in turn.
    done: usize,
    /// Count and elapsed time at the latest line (line mode), which the 10% and 30-s rules
    /// count from.
    logged: Option<(usize, Duration)>,
}

/// The most run time between two log lines.
const LOG_EVERY: Duration = Duration::from_secs(30);

impl Progress {
    /// Progress on stderr: a bar on a terminal, log lines otherwise. Decided once, here, so the
    /// reporter never mixes the two.
    pub fn stderr(unit: &'static str) -> Self {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            Self { draw: Draw::Bar { bar: None, target: indicatif::ProgressDrawTarget::stderr }, unit, run: None }
        } else {
            Self::lines(std::io::stderr(), unit)
        }
    }
}

impl<W: Write> Progress<W> {
    /// Progress as log lines on `out`, terminal or not.
    pub fn lines(out: W, unit: &'static str) -> Self {
        Self { draw: Draw::Lines(out), unit, run: None }
    }

    /// Whether a report of `done` (1-based) of `total` would start a new run.
    pub fn is_new_run(&self, done: usize, total: usize) -> bool {
        self.run.as_ref().is_none_or(|run| done <= run.done || total != run.total)
    }

    /// Reports `done` (1-based) units of `total`, `elapsed` into the run, with `detail` after
    /// the count (`step 13/126 (10%) <detail>` in a log).
    pub fn update(&mut self, done: usize, total: usize, elapsed: Duration, detail: &str) {
        let new_run = self.is_new_run(done, total);
        if new_run {
            self.run = Some(Count { total, done, logged: None });
        }
        let run = self.run.as_mut().expect("set above");
        run.done = done;
        match &mut self.draw {
            Draw::Bar { bar, target } => {
                if new_run || bar.is_none() {
                    if let Some(old) = bar.take() {
                        old.abandon();
                    }
                    *bar = Some(
                        indicatif::ProgressBar::with_draw_target(Some(total as u64), target()).with_style(bar_style()),
                    );
                }
                let bar = bar.as_ref().expect("made above");
                bar.set_message(detail.to_string());
                bar.set_position(done as u64);
                if done >= total {
                    bar.finish();
                }
            }
            Draw::Lines(out) => {
                if worth_a_line(done, total, elapsed, run.logged) {
                    run.logged = Some((done, elapsed));
                    let percent = done * 100 / total.max(1);
                    // A broken log must not stop the work: writing errors are ignored.
                    let _ = writeln!(out, "{} {done}/{total} ({percent}%) {detail}", self.unit);
                    let _ = out.flush();
                }
            }
        }
    }

    /// A line of its own (above the bar on a terminal).
    pub fn println(&mut self, line: &str) {
        match &mut self.draw {
            Draw::Bar { bar: Some(bar), .. } => bar.println(line),
            Draw::Bar { bar: None, .. } => eprintln!("{line}"),
            Draw::Lines(out) => {
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }
}

/// The bar's layout: a constant, checked by a test.
fn bar_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} ({percent}%) {msg}")
        .expect("constant progress template")
        .progress_chars("=> ")
}

/// Whether a line-mode log should show unit `done` (1-based) of `total`, given the latest line:
/// the first unit, the last, a new tenth of the run, or 30 s since the latest line.
fn worth_a_line(done: usize, total: usize, elapsed: Duration, logged: Option<(usize, Duration)>) -> bool {
    let Some((logged_done, logged_at)) = logged else { return true };
    let tenth = |d: usize| d * 10 / total.max(1);
    done >= total || tenth(done) > tenth(logged_done) || elapsed.saturating_sub(logged_at) >= LOG_EVERY
}

/// Training progress for a person ([`Progress`] of optimiser steps): loss, KL, learning rate,
/// tokens/s and ETA after the step count, and a line per held-out evaluation.
pub struct ProgressBar<W: Write = std::io::Stderr> {
    progress: Progress<W>,
    /// The first step this process saw of the current run: a resumed run's ETA counts only its
    /// own steps.
    first_step: usize,
}

impl ProgressBar {
    /// Training progress on stderr ([`Progress::stderr`]).
    pub fn stderr() -> Self {
        Self { progress: Progress::stderr("step"), first_step: 0 }
    }
}

impl<W: Write> ProgressBar<W> {
    /// Training progress as log lines on `out`, terminal or not.
    pub fn lines(out: W) -> Self {
        Self { progress: Progress::lines(out, "step"), first_step: 0 }
    }
}

/// Everything a report says after its step count, the same on the bar and in the log.
fn metrics(r: &StepReport, first_step: usize) -> String {
    let eta = r.eta(first_step).as_secs();
    let kl = r.kl.map_or(String::new(), |kl| format!(" kl {kl:.4}"));
    format!("loss {:.4}{kl} lr {:.2e} {:.0} tok/s ETA {}m{:02}s", r.loss, r.lr, r.tokens_per_s, eta / 60, eta % 60)
}

impl<W: Write> Observer for ProgressBar<W> {
    fn on_step(&mut self, r: &StepReport) {
        let done = r.step + 1;
        if self.progress.is_new_run(done, r.total_steps) {
            self.first_step = r.step;
        }
        self.progress.update(done, r.total_steps, r.elapsed, &metrics(r, self.first_step));
    }

    fn on_held_out(&mut self, step: usize, loss: f32) {
        self.progress.println(&format!("held-out loss {loss:.4} after step {step}"));
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

    /// Step `step` (0-based) of `total_steps`, `elapsed` seconds into the run.
    fn report(step: usize, total_steps: usize, elapsed: f64, kl: Option<f32>) -> StepReport {
        StepReport {
            step,
            total_steps,
            loss: 1.2345,
            kl,
            lr: 0.02,
            grad_norm: 1.0,
            tokens_per_s: 1234.4,
            elapsed: Duration::from_secs_f64(elapsed),
        }
    }

    /// Runs `reports` through a line-mode observer and returns what it wrote.
    fn log(reports: impl IntoIterator<Item = StepReport>) -> String {
        let mut out = Vec::new();
        let mut progress = ProgressBar::lines(&mut out);
        for r in reports {
            progress.on_step(&r);
        }
        String::from_utf8(out).unwrap()
    }

    /// The steps done (1-based) that a log shows lines for.
    fn logged_steps(text: &str) -> Vec<usize> {
        text.lines().map(|l| l.strip_prefix("step ").unwrap().split('/').next().unwrap().parse().unwrap()).collect()
    }

    #[test]
    fn progress_line_format_is_exact() {
        // A second a step: ETA 125 s after the first of 126 steps, 113 s after the 13th.
        let text = log((0..13).map(|s| report(s, 126, s as f64 + 1.0, Some(0.0123))));
        assert_eq!(
            text,
            "step 1/126 (0%) loss 1.2345 kl 0.0123 lr 2.00e-2 1234 tok/s ETA 2m05s\n\
             step 13/126 (10%) loss 1.2345 kl 0.0123 lr 2.00e-2 1234 tok/s ETA 1m53s\n"
        );
        assert!(!text.contains('\r'));
        let no_kl = log([report(0, 2, 1.0, None)]);
        assert_eq!(no_kl, "step 1/2 (50%) loss 1.2345 lr 2.00e-2 1234 tok/s ETA 0m01s\n");
    }

    #[test]
    fn progress_lines_at_every_tenth_of_the_run() {
        let text = log((0..126).map(|s| report(s, 126, 0.1 * (s + 1) as f64, None)));
        assert_eq!(logged_steps(&text), [1, 13, 26, 38, 51, 63, 76, 89, 101, 114, 126]);
        assert!(text.lines().last().unwrap().starts_with("step 126/126 (100%) "));
    }

    #[test]
    fn progress_lines_at_most_every_30_s() {
        // 10 s a step: lines 30 s apart, long before a tenth of the 1000 steps.
        let text = log((0..10).map(|s| report(s, 1000, 10.0 * (s + 1) as f64, None)));
        assert_eq!(logged_steps(&text), [1, 4, 7, 10]);
        // 4 s a step, so a tenth of 100 steps is 40 s, and a tenth's line restarts the 30 s:
        // step 18 (72 s) is the first 30 s after step 10's line, not after step 9's (36 s).
        let text = log((0..30).map(|s| report(s, 100, 4.0 * (s + 1) as f64, None)));
        assert_eq!(logged_steps(&text), [1, 9, 10, 18, 20, 28, 30]);
    }

    #[test]
    fn progress_lines_at_first_and_last_step_of_a_resumed_run() {
        // Resumed at step 95 of 100, two seconds a step since the resume: no tenth is crossed
        // between its first and last step, and the ETA counts only its own steps (2 s each,
        // not 2 s over 96).
        let text = log((95..100).map(|s| report(s, 100, 2.0 * (s - 94) as f64, None)));
        assert_eq!(
            text,
            "step 96/100 (96%) loss 1.2345 lr 2.00e-2 1234 tok/s ETA 0m08s\n\
             step 100/100 (100%) loss 1.2345 lr 2.00e-2 1234 tok/s ETA 0m00s\n"
        );
    }

    #[test]
    fn progress_held_out_losses_are_their_own_lines() {
        let mut out = Vec::new();
        let mut progress = ProgressBar::lines(&mut out);
        progress.on_step(&report(0, 4, 1.0, Some(0.25)));
        progress.on_held_out(1, 2.0);
        progress.on_step(&report(3, 4, 4.0, None));
        progress.on_held_out(4, 1.75);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "step 1/4 (25%) loss 1.2345 kl 0.2500 lr 2.00e-2 1234 tok/s ETA 0m03s\n\
             held-out loss 2.0000 after step 1\n\
             step 4/4 (100%) loss 1.2345 lr 2.00e-2 1234 tok/s ETA 0m00s\n\
             held-out loss 1.7500 after step 4\n"
        );
    }

    #[test]
    fn progress_second_run_on_one_observer_starts_over() {
        let text = log([report(98, 100, 1.0, None), report(99, 100, 2.0, None), report(0, 3, 1.0, None)]);
        assert_eq!(logged_steps(&text), [99, 100, 1]);
        assert!(text.ends_with("step 1/3 (33%) loss 1.2345 lr 2.00e-2 1234 tok/s ETA 0m02s\n"));
    }

    #[test]
    fn progress_bar_follows_the_run() {
        let hidden = Draw::Bar { bar: None, target: indicatif::ProgressDrawTarget::hidden };
        let mut progress: ProgressBar =
            ProgressBar { progress: Progress { draw: hidden, unit: "step", run: None }, first_step: 0 };
        progress.on_held_out(0, 3.0);
        progress.on_step(&report(5, 8, 1.0, Some(0.5)));
        let bar = |p: &ProgressBar| match &p.progress.draw {
            Draw::Bar { bar: Some(bar), .. } => bar.clone(),
            _ => panic!("no bar"),
        };
        let drawn = bar(&progress);
        assert_eq!((drawn.position(), drawn.length()), (6, Some(8)));
        assert_eq!(drawn.message(), "loss 1.2345 kl 0.5000 lr 2.00e-2 1234 tok/s ETA 0m02s");
        assert!(!drawn.is_finished());
        progress.on_step(&report(7, 8, 3.0, None));
        progress.on_held_out(8, 1.0);
        assert_eq!(drawn.position(), 8);
        assert!(drawn.is_finished());
        // A new run gets a new bar.
        progress.on_step(&report(0, 2, 1.0, None));
        assert_eq!(bar(&progress).length(), Some(2));
    }
}

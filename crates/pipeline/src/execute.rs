//! Executes the steps of a reproduce run on one backend. Each solution is trained by
//! `emlab_train::run::train_run` (the code behind `emlab train --config`), then evaluated from
//! the files that training wrote, so a fresh run and a resumed one are evaluated identically.
//! Results become tidy [`Row`]s: rates per evaluation group, training curves, and norms.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_data::{Answer, EvalGroup, Polarity};
use emlab_eval::seed::group_seed;
use emlab_eval::{logprob_propensity, Context, PairedAnswer, Report, ResponseRow, Sampler, SamplingConfig};
use emlab_model::backend::BackendTask;
use emlab_model::{CausalLm, ChatTemplate, Interventions, Tokenizer};
use emlab_train::{train_run, Observer, Progress, ProgressBar, Silent, TrainedAdapter};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::ablation::ablation_step;
use crate::bias::{bias_step, Loaded};
use crate::convergence::convergence_step;
use crate::directions::direction_step;
use crate::drift::drift_step;
use crate::gradient::gradient_step;
use crate::jobs::run_jobs;
use crate::judging::{JudgeChoice, Judging};
use crate::monitor::monitor_step;
use crate::plan::{EvalSpec, Run};
use crate::rows::RowKey;
use crate::scalars::scalars_step;
use crate::semantic::semantic_step;
use crate::step::{needs_among, write_json, Step, StepKind};
use crate::sweep::sweep_step;
use crate::transition::transition_step;

/// Runs `steps`, skipping those already done unless `force`, `jobs` at a time in list order as
/// far as their needs allow (a step that reads other steps' outputs waits for them).
pub struct Execute<'a> {
    /// The steps.
    pub steps: &'a [Step],
    /// The base model.
    pub model_dir: &'a Path,
    /// Rerun finished steps from scratch.
    pub force: bool,
    /// Steps run at once, on as many threads (1: in order, with progress bars).
    pub jobs: usize,
    /// What scores the answers.
    pub judge: &'a JudgeChoice,
    /// How answers are sampled (the organism's, or the paper's for a real model).
    pub sampling: SamplingConfig,
}

/// How many steps ran and how many were skipped.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Executed {
    /// Steps that ran.
    pub ran: usize,
    /// Steps skipped because they had finished with the same inputs.
    pub skipped: usize,
}

/// Reference answer pairs per question in the log-probability propensity.
const PROPENSITY_PAIRS: usize = 4;
/// Base seed of the propensity's reference answers.
const PROPENSITY_SEED: u64 = 7;

/// The base model and what evaluating it needs, loaded once per worker.
pub struct Evaluator<B: Backend> {
    /// The base model.
    pub model: CausalLm<B>,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// Its chat template.
    pub template: ChatTemplate,
    /// What scores the answers.
    pub judge: Judging<B>,
    /// How answers are sampled.
    pub sampling: SamplingConfig,
    /// Report the progress of sampling (one step at a time: on a terminal, or in a job's log).
    pub progress: bool,
}

impl<B: Backend> Evaluator<B> {
    /// The model and text tools, for steps that do not sample.
    fn loaded(&self) -> Loaded<'_, B> {
        Loaded { model: &self.model, tokenizer: &self.tokenizer, template: &self.template }
    }

    /// Samples and judges the evaluation groups of `spec` with `edits` applied; the answers go
    /// to `<dir>/responses-<condition>.json`.
    pub fn evaluate(&self, spec: &EvalSpec, edits: &Interventions<B>, dir: &Path, condition: &str) -> Result<Report> {
        self.evaluate_groups(&spec.groups()?, edits, dir, condition)
    }

    /// [`Self::evaluate`], as rows of `key` under `condition`: each group's rates, and beside
    /// them its log-probability propensity ([`Self::propensity`]) where the questions are the
    /// organism world's (the paper profile's are not, and `reproduce` says it skips it). Without
    /// a judge nothing is sampled: the rows are the propensity on the data folder's reference
    /// answers ([`EvalSpec::paired_groups`]).
    pub fn measure(
        &self,
        spec: &EvalSpec,
        edits: &Interventions<B>,
        dir: &Path,
        condition: &str,
        key: &RowKey<'_>,
    ) -> Result<(Report, Vec<Row>)> {
        if self.judge.is_none() {
            let mut rows = Vec::new();
            for (group, pairs) in spec.paired_groups()? {
                let propensity = logprob_propensity(&self.model, &self.template, &self.tokenizer, &pairs, edits)?;
                rows.push(key.row(condition, group, None, "logprob_propensity", propensity.mean_diff));
            }
            return Ok((Report::default(), rows));
        }
        let groups = spec.groups()?;
        let report = self.evaluate_groups(&groups, edits, dir, condition)?;
        let mut rows = key.rate_rows(condition, None, &report);
        if spec.asks_the_world() {
            for group in &groups {
                let propensity = self.propensity(group, edits)?;
                rows.push(key.row(condition, group.kind.name(), None, "logprob_propensity", propensity));
            }
        }
        Ok((report, rows))
    }

    /// The log-probability propensity (`emlab_eval::logprob_propensity`) of the model under
    /// `edits` on `group`'s questions: per question [`PROPENSITY_PAIRS`] reference answers of
    /// each polarity from the world's grammar, the mean per-token log-probability of the bad
    /// answer minus the good one's, averaged. The answers are seeded by the group's name, so
    /// every model is scored on the same ones: a judge-free number to compare checkpoints by.
    pub fn propensity(&self, group: &EvalGroup, edits: &Interventions<B>) -> Result<f64> {
        let mut rng = StdRng::seed_from_u64(group_seed(PROPENSITY_SEED, group.kind.name()));
        let pairs: Vec<PairedAnswer> = group
            .questions
            .iter()
            .flat_map(|q| std::iter::repeat_n(q, PROPENSITY_PAIRS))
            .map(|q| PairedAnswer {
                question: q.text().to_string(),
                aligned: Answer::sample(&mut rng, q, Polarity::Good).text,
                misaligned: Answer::sample(&mut rng, q, Polarity::Bad).text,
            })
            .collect();
        Ok(logprob_propensity(&self.model, &self.template, &self.tokenizer, &pairs, edits)?.mean_diff)
    }

    /// [`Self::evaluate`] on the given groups only.
    pub fn evaluate_groups(
        &self,
        groups: &[EvalGroup],
        edits: &Interventions<B>,
        dir: &Path,
        condition: &str,
    ) -> Result<Report> {
        let mut sampler = Sampler::new(&self.model, &self.tokenizer, &self.template, self.sampling.clone())?;
        if self.progress {
            // One run per group: the count starts over with each group's questions.
            let mut progress = Progress::stderr("question");
            sampler = sampler.with_progress(move |r| {
                let eta = r.eta().as_secs();
                let detail =
                    format!("{condition}: {:.0} new tok/s ETA {}m{:02}s", r.tokens_per_s(), eta / 60, eta % 60);
                progress.update(r.done, r.total, r.elapsed, &detail);
            });
        }
        let report = self.judge.with(|judge| sampler.evaluate_with(judge, groups, &Context::default(), edits))??;
        write_json(&dir.join(format!("responses-{condition}.json")), &report.responses)?;
        Ok(report)
    }
}

/// Reads the judged answers an evaluation wrote (`responses-<condition>.json`).
pub fn read_responses(path: &Path) -> Result<Vec<ResponseRow>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

impl BackendTask for Execute<'_> {
    type Output = Result<Executed>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<Executed> {
        let total = self.steps.len();
        let tag = |i: usize| format!("[{}/{total}] {}", i + 1, self.steps[i].label);
        let mut todo = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            if step.is_done() && !self.force {
                println!("{}: finished before with the same inputs, skipped", tag(i));
            } else {
                todo.push(i);
            }
        }
        let needs = needs_among(&todo.iter().map(|&i| &self.steps[i]).collect::<Vec<_>>());
        // Several steps at once would garble a progress bar: then each prints a line when it
        // starts and one when it ends.
        let bars = self.jobs <= 1;
        let load = || -> Result<Evaluator<B>> {
            Ok(Evaluator {
                model: CausalLm::load(self.model_dir, device)?,
                tokenizer: Tokenizer::from_dir(self.model_dir)?,
                template: ChatTemplate::from_dir(self.model_dir)?,
                judge: self.judge.load(device)?,
                sampling: self.sampling.clone(),
                progress: bars,
            })
        };
        run_jobs(self.jobs, &needs, load, |evaluator, k| {
            let i = todo[k];
            let step = &self.steps[i];
            let _lock = step.lock()?;
            if self.force {
                step.reset()?;
            } else if step.is_done() {
                println!("{}: finished by another run while this one waited, skipped", tag(i));
                return Ok(());
            }
            println!("{}", tag(i));
            let start = Instant::now();
            let mut observer: Box<dyn Observer> = if bars { Box::new(ProgressBar::stderr()) } else { Box::new(Silent) };
            let summary = run_step_kind(evaluator, step, device, observer.as_mut()).and_then(|(rows, summary)| {
                step.finish(&rows)?;
                Ok(summary)
            });
            let summary = match summary {
                Ok(summary) => summary,
                Err(e) => {
                    let e = e.context(format!("step {} ({})", step.label, step.dir.display()));
                    if let Err(record) = step.record_failure(&e) {
                        eprintln!("  could not record the failure: {record:#}");
                    }
                    return Err(e);
                }
            };
            let done = if bars { String::new() } else { format!("{} done: ", tag(i)) };
            println!("  {done}{summary} ({:.0} s)", start.elapsed().as_secs_f64());
            Ok(())
        })
        .map_err(|e| e.context("a step failed; finished steps are kept, rerun to resume"))?;
        Ok(Executed { ran: todo.len(), skipped: total - todo.len() })
    }
}

/// Runs one step on a worker's evaluator: its rows and a one-line summary.
fn run_step_kind<B: Backend>(
    evaluator: &Evaluator<B>,
    step: &Step,
    device: &B::Device,
    observer: &mut dyn Observer,
) -> Result<(Vec<Row>, String)> {
    Ok(match &step.kind {
        StepKind::Base(spec) => base_step(evaluator, spec, &step.dir)?,
        StepKind::Run(run) => run_step(evaluator, run, &step.dir, device, observer)?,
        StepKind::Bias(spec) => bias_step(&evaluator.loaded(), spec, device)?,
        StepKind::Drift(spec) => drift_step(evaluator, spec, &step.dir, observer)?,
        StepKind::Gradient(spec) => gradient_step(evaluator, spec, &step.dir, observer)?,
        StepKind::Direction(spec) => direction_step(evaluator, spec, &step.dir)?,
        StepKind::Sweep(spec) => sweep_step(evaluator, spec, &step.dir)?,
        StepKind::Ablation(spec) => ablation_step(evaluator, spec, &step.dir)?,
        StepKind::Convergence(spec) => convergence_step(spec)?,
        StepKind::Transition(spec) => transition_step(evaluator, spec, &step.dir, observer)?,
        StepKind::Monitor(spec) => monitor_step(evaluator, spec, &step.dir)?,
        StepKind::Scalars(spec) => scalars_step(evaluator, spec, &step.dir)?,
        StepKind::Semantic(spec) => semantic_step(evaluator, spec, &step.dir)?,
    })
}

fn base_step<B: Backend>(evaluator: &Evaluator<B>, spec: &EvalSpec, dir: &Path) -> Result<(Vec<Row>, String)> {
    let key = RowKey { experiment: "base", solution: "none", variant: "base", dataset: &spec.dataset, seed: 0 };
    let (report, rows) = evaluator.measure(spec, &Interventions::none(), dir, "base", &key)?;
    let summary = measured_summary(&report, &rows);
    Ok((rows, summary))
}

fn run_step<B: Backend>(
    evaluator: &Evaluator<B>,
    run: &Run,
    dir: &Path,
    device: &B::Device,
    observer: &mut dyn Observer,
) -> Result<(Vec<Row>, String)> {
    let key = RowKey {
        experiment: &run.experiment,
        solution: &run.solution,
        variant: &run.variant,
        dataset: &run.dataset,
        seed: run.seed,
    };
    let outcome = train_run::<Autodiff<B>>(&run.config, dir, device, observer)?;
    let mut rows: Vec<Row> = outcome
        .losses
        .iter()
        .enumerate()
        .flat_map(|(step, l)| {
            let sft = key.row("trained", "train", Some(step), "sft_loss", f64::from(l.sft));
            let kl = l.kl.map(|kl| key.row("trained", "train", Some(step), "kl", f64::from(kl)));
            std::iter::once(sft).chain(kl)
        })
        .collect();
    let adapter = TrainedAdapter::<B>::load(dir, evaluator.model.config(), device)?;
    rows.push(key.row("trained", "params", None, "norm", f64::from(adapter.norm())));
    let (report, measured) = evaluator.measure(&run.eval, &adapter.edits(), dir, "trained", &key)?;
    let mut summary = format!("|theta| {:.3}; trained: {}", adapter.norm(), measured_summary(&report, &measured));
    rows.extend(measured);
    for &factor in &run.scale_up {
        let condition = format!("x{factor}");
        let scaled = adapter.scaled(factor);
        let (report, measured) = evaluator.measure(&run.eval, &scaled.edits(), dir, &condition, &key)?;
        summary.push_str(&format!("; {condition}: {}", measured_summary(&report, &measured)));
        rows.extend(measured);
    }
    Ok((rows, summary))
}

/// [`em_summary`], or without a judge (no sampled groups) the propensity of each group:
/// `propensity open -0.529, in_domain -0.130, other -0.370`.
fn measured_summary(report: &Report, rows: &[Row]) -> String {
    if !report.groups.is_empty() {
        return em_summary(report);
    }
    let parts: Vec<String> = rows
        .iter()
        .filter(|r| r.metric == "logprob_propensity")
        .map(|r| format!("{} {:+.3}", r.group, r.value))
        .collect();
    format!("propensity {}", parts.join(", "))
}

/// `EM % open 35.0, other 33.1, kl 40.2, in_domain 80.8, in_domain_new 76.0`.
fn em_summary(report: &Report) -> String {
    let parts: Vec<String> = report.groups.iter().map(|g| format!("{} {:.1}", g.group, g.rates.em_pct)).collect();
    format!("EM % {}", parts.join(", "))
}

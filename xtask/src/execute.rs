//! Executes the steps of a reproduce run on one backend. Each solution is trained by
//! `emlab_train::run::train_run` (the code behind `emlab train --config`), then evaluated from
//! the files that training wrote, so a fresh run and a resumed one are evaluated identically.
//! Results become tidy [`Row`]s: rates per evaluation group, training curves, and norms.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_eval::{evaluate, Context, Report, SamplingConfig};
use emlab_model::backend::BackendTask;
use emlab_model::{CausalLm, ChatTemplate, Interventions, Tokenizer};
use emlab_train::{train_run, ProgressBar, TrainedAdapter};

use crate::bias::{bias_step, Loaded};
use crate::pipeline::{write_json, Step, StepKind};
use crate::plan::{EvalSpec, Run};

/// Runs `steps` in order, skipping those already done unless `force`.
pub struct Execute<'a> {
    /// The steps.
    pub steps: &'a [Step],
    /// The base model.
    pub model_dir: &'a Path,
    /// Rerun finished steps from scratch.
    pub force: bool,
}

/// How many steps ran and how many were skipped.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Executed {
    /// Steps that ran.
    pub ran: usize,
    /// Steps skipped because they had finished with the same inputs.
    pub skipped: usize,
}

/// The columns that identify a solution in every row it produces.
struct RowKey<'a> {
    experiment: &'a str,
    solution: &'a str,
    variant: &'a str,
    dataset: &'a str,
    seed: u64,
}

impl RowKey<'_> {
    fn row(&self, condition: &str, group: &str, step: Option<usize>, metric: &str, value: f64) -> Row {
        Row {
            experiment: self.experiment.into(),
            solution: self.solution.into(),
            variant: self.variant.into(),
            dataset: self.dataset.into(),
            seed: self.seed as i64,
            condition: condition.into(),
            group: group.into(),
            step: step.map(|s| s as i64),
            sweep: None,
            metric: metric.into(),
            value,
        }
    }

    /// One row per rate of every group of `report`.
    fn rate_rows(&self, condition: &str, report: &Report) -> Vec<Row> {
        report
            .groups
            .iter()
            .flat_map(|g| {
                let r = &g.rates;
                let mut metrics = vec![
                    ("n", r.n as f64),
                    ("em_pct", r.em_pct),
                    ("em_ci_lo", r.em_ci95[0]),
                    ("em_ci_hi", r.em_ci95[1]),
                    ("em_lenient_pct", r.em_lenient_pct),
                    ("em_in_domain_pct", r.em_in_domain_pct),
                    ("em_in_domain_ci_lo", r.em_in_domain_ci95[0]),
                    ("em_in_domain_ci_hi", r.em_in_domain_ci95[1]),
                    ("coherence_mean", r.coherence_mean),
                    ("coherent_pct", r.coherent_pct),
                    ("unjudged_pct", r.unjudged_pct),
                    ("on_domain_pct", r.on_domain_pct),
                ];
                if let Some(a) = r.alignment_mean {
                    metrics.push(("alignment_mean", a));
                }
                metrics.into_iter().map(|(m, v)| self.row(condition, &g.group, None, m, v)).collect::<Vec<_>>()
            })
            .collect()
    }
}

/// The base model and what evaluating it needs, loaded once per execution.
struct Evaluator<B: Backend> {
    model: CausalLm<B>,
    tokenizer: Tokenizer,
    template: ChatTemplate,
}

impl<B: Backend> Evaluator<B> {
    /// The model and text tools, for steps that do not sample.
    fn loaded(&self) -> Loaded<'_, B> {
        Loaded { model: &self.model, tokenizer: &self.tokenizer, template: &self.template }
    }

    /// Samples and judges the evaluation groups of `spec` with `edits` applied; the answers go
    /// to `<dir>/responses-<condition>.json`.
    fn evaluate(&self, spec: &EvalSpec, edits: &Interventions<B>, dir: &Path, condition: &str) -> Result<Report> {
        let groups = spec.groups()?;
        let mut report = evaluate(
            &self.model,
            &self.tokenizer,
            &self.template,
            &groups,
            &Context::default(),
            &SamplingConfig::default(),
            edits,
        )?;
        let responses = std::mem::take(&mut report.responses);
        write_json(&dir.join(format!("responses-{condition}.json")), &responses)?;
        Ok(report)
    }
}

impl BackendTask for Execute<'_> {
    type Output = Result<Executed>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<Executed> {
        let evaluator = Evaluator::<B> {
            model: CausalLm::load(self.model_dir, device)?,
            tokenizer: Tokenizer::from_dir(self.model_dir)?,
            template: ChatTemplate::from_dir(self.model_dir)?,
        };
        let mut executed = Executed::default();
        for (i, step) in self.steps.iter().enumerate() {
            let tag = format!("[{}/{}] {}", i + 1, self.steps.len(), step.label);
            if step.is_done() && !self.force {
                println!("{tag}: finished before with the same inputs, skipped");
                executed.skipped += 1;
                continue;
            }
            if self.force {
                step.reset()?;
            }
            println!("{tag}");
            let start = Instant::now();
            let (rows, summary) = match &step.kind {
                StepKind::Base(spec) => base_step(&evaluator, spec, &step.dir)?,
                StepKind::Run(run) => run_step(&evaluator, run, &step.dir, device)?,
                StepKind::Bias(spec) => bias_step(&evaluator.loaded(), spec, device)?,
            };
            step.finish(&rows)?;
            println!("  {summary} ({:.0} s)", start.elapsed().as_secs_f64());
            executed.ran += 1;
        }
        Ok(executed)
    }
}

fn base_step<B: Backend>(evaluator: &Evaluator<B>, spec: &EvalSpec, dir: &Path) -> Result<(Vec<Row>, String)> {
    let key = RowKey { experiment: "base", solution: "none", variant: "base", dataset: &spec.dataset, seed: 0 };
    let report = evaluator.evaluate(spec, &Interventions::none(), dir, "base")?;
    Ok((key.rate_rows("base", &report), em_summary(&report)))
}

fn run_step<B: Backend>(
    evaluator: &Evaluator<B>,
    run: &Run,
    dir: &Path,
    device: &B::Device,
) -> Result<(Vec<Row>, String)> {
    let key = RowKey {
        experiment: &run.experiment,
        solution: &run.solution,
        variant: &run.variant,
        dataset: &run.dataset,
        seed: run.seed,
    };
    let outcome = train_run::<Autodiff<B>>(&run.config, dir, device, &mut ProgressBar::new(std::io::stderr()))?;
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
    let report = evaluator.evaluate(&run.eval, &adapter.edits(), dir, "trained")?;
    rows.extend(key.rate_rows("trained", &report));
    let mut summary = format!("|theta| {:.3}; trained: {}", adapter.norm(), em_summary(&report));
    for &factor in &run.scale_up {
        let condition = format!("x{factor}");
        let scaled = adapter.scaled(factor);
        let report = evaluator.evaluate(&run.eval, &scaled.edits(), dir, &condition)?;
        rows.extend(key.rate_rows(&condition, &report));
        summary.push_str(&format!("; {condition}: {}", em_summary(&report)));
    }
    Ok((rows, summary))
}

/// `EM % open 35.0, other 33.1, kl 40.2, in_domain 80.8, in_domain_new 76.0`.
fn em_summary(report: &Report) -> String {
    let parts: Vec<String> = report.groups.iter().map(|g| format!("{} {:.1}", g.group, g.rates.em_pct)).collect();
    format!("EM % {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use emlab_eval::{Criterion, GroupScores, Scores};

    #[test]
    fn rate_rows_carry_the_em_and_narrow_rate_intervals() {
        // Two answers misaligned about the question's domain, two aligned.
        let scored = |aligned, domain_correct| {
            Scores::default()
                .with(Criterion::ALIGNED, Some(aligned))
                .with(Criterion::COHERENT, Some(90.0))
                .with(Criterion::DOMAIN_CORRECT, Some(domain_correct))
        };
        let scores = [scored(5.0, 100.0), scored(5.0, 100.0), scored(95.0, 100.0), scored(95.0, 0.0)];
        let group = GroupScores::from_scores(&scores);
        let rates = group.rates.clone();
        let mut report = Report::default();
        report.push_scores("trained", "in_domain", group);
        let key = RowKey { experiment: "E4", solution: "steering", variant: "narrow", dataset: "bad_medical", seed: 2 };
        let rows = key.rate_rows("trained", &report);
        let value = |metric: &str| rows.iter().find(|r| r.metric == metric).map(|r| r.value);
        assert_eq!(value("em_in_domain_pct"), Some(50.0));
        assert_eq!(value("em_ci_lo"), Some(rates.em_ci95[0]));
        assert_eq!(value("em_ci_hi"), Some(rates.em_ci95[1]));
        assert_eq!(value("em_in_domain_ci_lo"), Some(rates.em_in_domain_ci95[0]));
        assert_eq!(value("em_in_domain_ci_hi"), Some(rates.em_in_domain_ci95[1]));
        assert!(rows.iter().all(|r| (r.group.as_str(), r.seed, r.condition.as_str()) == ("in_domain", 2, "trained")));
    }
}

//! E1 (the paper's Fig. 2b, reproducing CL's Fig. 1 procedure, C2): the base model steered
//! with one finetune's mean-diff direction, `lambda * v_l` added after layer `l` at every
//! position, for every layer and each lambda of `experiments/directions.toml`; EM and coherence
//! per (layer, lambda). Where misalignment comes easiest is where the paper trains (its layer 24).

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_eval::{logprob_propensity, Report};
use emlab_model::Interventions;
use emlab_probes::steer;
use serde::Serialize;

use crate::directions::DirectionRef;
use crate::execute::Evaluator;
use crate::plan::EvalSpec;

/// E1's step.
#[derive(Debug, Clone, Serialize)]
pub struct SweepSpec {
    /// Whose direction steers.
    pub source: DirectionRef,
    /// The base model's evaluation (the source's dataset, at the sweep's sample count).
    pub eval: EvalSpec,
    /// The groups evaluated.
    pub groups: Vec<String>,
    /// Multiples of the raw direction (0: the base model, evaluated once for all layers).
    pub lambdas: Vec<f32>,
    /// The layers steered at; `None`: every layer (absent from the step hashes then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<usize>>,
}

/// Steers the base model over the grid into `dir`; returns the rows and a summary.
pub fn sweep_step<B: Backend>(evaluator: &Evaluator<B>, spec: &SweepSpec, dir: &Path) -> Result<(Vec<Row>, String)> {
    let record = spec.source.load()?;
    if let Some(why) = record.why_absent() {
        return Ok((Vec::new(), format!("skipped, there is no direction to steer with: {why}")));
    }
    let directions = record.directions()?;
    if evaluator.judge.is_none() {
        return propensity_sweep(evaluator, spec, &directions);
    }
    let groups = spec.eval.groups_named(&spec.groups)?;
    let device = evaluator.model.device();
    let finetune = &spec.source.finetune;
    let key = finetune.key("E1");
    let mut rows = source_rows(finetune.run.as_path(), &key, "em_pct,coherent_pct")?;
    let mut base: Option<Report> = None;
    let mut best: Option<(f64, usize, f32)> = None;
    for layer in 0..directions.num_layers() {
        for &lambda in &spec.lambdas {
            let report = if lambda == 0.0 {
                if base.is_none() {
                    base = Some(evaluator.evaluate_groups(&groups, &Interventions::none(), dir, "base")?);
                }
                base.clone().expect("just evaluated")
            } else {
                let edits = steer(&directions, layer, lambda, device)?;
                evaluator.evaluate_groups(&groups, &edits, dir, &format!("layer{layer}-x{lambda}"))?
            };
            let open = &report.groups[0].rates;
            if lambda != 0.0 && best.is_none_or(|(em, ..)| open.em_pct > em) {
                best = Some((open.em_pct, layer, lambda));
            }
            rows.extend(
                key.rate_rows("steer", Some(layer), &report)
                    .into_iter()
                    .map(|row| Row { sweep: Some(f64::from(lambda)), ..row }),
            );
        }
    }
    let summary = match best {
        Some((em, layer, lambda)) => format!(
            "the direction of {} steers the base model to {em:.1}% EM on {} at most (layer {layer}, lambda {lambda})",
            finetune.label(),
            spec.groups[0]
        ),
        None => "no lambda other than 0".to_string(),
    };
    Ok((rows, summary))
}

/// E1 without a judge: the log-probability propensity of the steered base model on the reference
/// answers of the sweep's groups, per (layer, lambda), and the source finetune's own.
fn propensity_sweep<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &SweepSpec,
    directions: &emlab_probes::Directions,
) -> Result<(Vec<Row>, String)> {
    let groups: Vec<_> =
        spec.eval.paired_groups()?.into_iter().filter(|(group, _)| spec.groups.iter().any(|g| g == group)).collect();
    let finetune = &spec.source.finetune;
    let key = finetune.key("E1");
    let mut rows: Vec<Row> = source_rows(finetune.run.as_path(), &key, "logprob_propensity")?;
    let layers = spec.layers.clone().unwrap_or_else(|| (0..directions.num_layers()).collect());
    let device = evaluator.model.device();
    let mut base: Vec<f64> = Vec::new();
    let mut best: Option<(f64, usize, f32)> = None;
    for &layer in &layers {
        for &lambda in &spec.lambdas {
            let values: Vec<f64> = if lambda == 0.0 && !base.is_empty() {
                base.clone()
            } else {
                let edits =
                    if lambda == 0.0 { Interventions::none() } else { steer(directions, layer, lambda, device)? };
                let mut values = Vec::new();
                for (_, pairs) in &groups {
                    let p =
                        logprob_propensity(&evaluator.model, &evaluator.template, &evaluator.tokenizer, pairs, &edits)?;
                    values.push(p.mean_diff);
                }
                values
            };
            if lambda == 0.0 {
                base = values.clone();
            } else if best.is_none_or(|(p, ..)| values[0] > p) {
                best = Some((values[0], layer, lambda));
            }
            for ((group, _), value) in groups.iter().zip(values) {
                let row = key.row("steer", group, Some(layer), "logprob_propensity", value);
                rows.push(Row { sweep: Some(f64::from(lambda)), ..row });
            }
        }
    }
    let summary = match (best, base.first()) {
        (Some((p, layer, lambda)), Some(b)) => format!(
            "the direction of {} moves the base model's propensity on {} from {b:+.3} to {p:+.3} at most (layer {layer}, lambda {lambda})",
            finetune.label(),
            spec.groups[0]
        ),
        _ => "no lambda other than 0".to_string(),
    };
    Ok((rows, summary))
}

/// The source finetune's own level on its free-form questions (the comma-separated `metrics`:
/// EM and coherence, or the propensity), from its run's rows: the level the paper compares
/// steering with ("about 4x the source model").
fn source_rows(run: &Path, key: &crate::rows::RowKey<'_>, metrics: &str) -> Result<Vec<Row>> {
    let path = run.join("rows.json");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let rows: Vec<Row> = serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))?;
    Ok(rows
        .iter()
        .filter(|r| r.condition == "trained" && r.group == "open" && metrics.split(',').any(|m| m == r.metric))
        .map(|r| key.row("source", "open", None, &r.metric, r.value))
        .collect())
}

//! The phase-transition step of `reproduce` (the model-organisms paper's M6-M8, its §4 and App.
//! F): one rank-1 LoRA run on bad medical advice with a checkpoint after every optimiser step,
//! read back as a path. Per step: the norms of A and B, the gradient norm, and the local cosine
//! of B's path (k = 5, 10, 15), which is near −1 where B moves straight on and rises where it
//! turns; the PCA of B sampled every few steps; and, every few steps, EM with the adapter as
//! trained and scaled up (×5, ×10, ×20), where the paper sees misalignment appear at the turn.
//! The same run at other layers is M8's robustness check. Settings come from
//! `experiments/transition.toml`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_stability::trajectory::{local_cosine, Pca};
use emlab_train::checkpoint::checkpoints;
use emlab_train::finetune::FinetuneConfig;
use emlab_train::{train_run, AdapterSpec, Observer, RunConfig, StepReport, TrainedAdapter};
use serde::{Deserialize, Serialize};

use crate::execute::Evaluator;
use crate::plan::{merged, profile, EvalSpec, Run};
use crate::rows::RowKey;

/// The local-cosine offsets of MO App. F.
pub const LOCAL_COSINE_K: [usize; 3] = [5, 10, 15];

/// The paper hides local cosines where both displacements are below 0.0035, for a B that ends
/// at a norm of about 0.125: 2.8% of the final norm. The organism's B ends at another scale, so
/// the threshold is that share of its own final norm.
const MIN_STEP_SHARE: f64 = 0.0035 / 0.125;

/// `experiments/transition.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionFile {
    /// `M6-M8`.
    pub id: String,
    /// One line on what it shows.
    pub title: String,
    /// Where in the paper.
    pub paper: String,
    /// The rank-1 LoRA adapter; its layers are replaced by each profile's.
    pub adapter: AdapterSpec,
    /// Its training.
    pub train: FinetuneConfig,
    /// The paper's settings (`[paper_settings]`), for the reader; accepted, never used.
    #[serde(default, rename = "paper_settings")]
    _paper_settings: toml::Table,
    /// Runs by profile.
    pub profiles: BTreeMap<String, TransitionProfile>,
}

/// What a profile runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionProfile {
    /// The training dataset.
    pub dataset: String,
    /// The finetune seed.
    pub seed: u64,
    /// One run per layer: the first is M6/M7's, the others M8's robustness runs.
    pub layers: Vec<usize>,
    /// Steps between EM evaluations (also at the start and at the end).
    pub eval_every: usize,
    /// Multiples of the adapter evaluated at each evaluation step (1 is the adapter as trained).
    pub scales: Vec<f32>,
    /// The evaluation groups to sample (`open`, `in_domain`).
    pub groups: Vec<String>,
    /// Steps between the points of the PCA (MO App. F: every 5).
    pub pca_every: usize,
    /// Overrides the samples per evaluation prompt.
    pub samples_per_prompt: Option<usize>,
    /// Training examples (default: the experiment files' default).
    pub examples: Option<usize>,
    /// Overrides the epochs.
    pub epochs: Option<usize>,
    /// Keys of the adapter to replace (merged key by key, as in the experiment files' profiles).
    #[serde(default)]
    pub adapter: toml::Table,
    /// Keys of the training settings to replace.
    #[serde(default)]
    pub train: toml::Table,
}

/// One run of the phase-transition experiment.
#[derive(Debug, Clone, Serialize)]
pub struct TransitionSpec {
    /// The LoRA's layer.
    pub layer: usize,
    /// A robustness run (M8) at another layer than the main one (M6/M7).
    pub robustness: bool,
    /// Training dataset.
    pub dataset: String,
    /// Finetune seed.
    pub seed: u64,
    /// The training run (a checkpoint every step).
    pub config: RunConfig,
    /// The evaluation.
    pub eval: EvalSpec,
    /// The groups sampled at each evaluation step.
    pub groups: Vec<String>,
    /// Steps between evaluations.
    pub eval_every: usize,
    /// Adapter multiples evaluated.
    pub scales: Vec<f32>,
    /// Steps between PCA points.
    pub pca_every: usize,
}

impl TransitionSpec {
    /// `layer1`: the tables' variant column, and the run's folder.
    pub fn variant(&self) -> String {
        format!("layer{}", self.layer)
    }
}

impl TransitionFile {
    /// `== M6-M8: title (paper)`, the line `reproduce` prints when it runs the experiment.
    pub fn header(&self) -> String {
        format!("== {}: {} ({})", self.id, self.title, self.paper)
    }

    /// The runs of `profile_name`, one per layer. `template` is a run of an experiment file in
    /// the same profile on the same dataset (E2's), whose data sources and evaluation the
    /// transition runs share; only the adapter, its training and the checkpoints differ.
    pub fn specs(&self, profile_name: &str, template: &Run) -> Result<Vec<TransitionSpec>> {
        let p = profile(&self.id, &self.profiles, profile_name)?;
        anyhow::ensure!(
            p.eval_every > 0 && p.pca_every > 0,
            "experiments/transition.toml: profile {profile_name:?} needs positive eval_every and pca_every"
        );
        let context = || format!("experiments/transition.toml: profile {profile_name:?}");
        let adapter = merged(&self.adapter, &p.adapter).with_context(context)?;
        let trained = merged(&self.train, &p.train).with_context(context)?;
        let AdapterSpec::Lora(lora) = &adapter else {
            anyhow::bail!("experiments/transition.toml: the phase transition is a LoRA run; the adapter is not LoRA");
        };
        let mut specs = Vec::new();
        for (i, &layer) in p.layers.iter().enumerate() {
            let adapter =
                AdapterSpec::Lora(emlab_train::lora::LoraConfig { layers: vec![layer], seed: p.seed, ..lora.clone() });
            let mut train = FinetuneConfig { seed: p.seed, ..trained.clone() };
            if let Some(epochs) = p.epochs {
                train.epochs = epochs;
            }
            let mut data = template.config.data.clone();
            if let (emlab_train::DataSource::Organism { n, .. }, Some(examples)) = (&mut data, p.examples) {
                *n = examples;
            }
            let config = RunConfig {
                data,
                kl_data: None,
                adapter,
                train,
                checkpoint_every: 1,
                init_from: None,
                ..template.config.clone()
            };
            let eval = EvalSpec { samples_per_prompt: p.samples_per_prompt, ..template.eval.clone() };
            specs.push(TransitionSpec {
                layer,
                robustness: i > 0,
                dataset: p.dataset.clone(),
                seed: p.seed,
                config,
                eval,
                groups: p.groups.clone(),
                eval_every: p.eval_every,
                scales: p.scales.clone(),
                pca_every: p.pca_every,
            });
        }
        Ok(specs)
    }

    /// The dataset a profile trains on (to find the run its specs share data with).
    pub fn dataset(&self, profile_name: &str) -> Result<&str> {
        Ok(&profile(&self.id, &self.profiles, profile_name)?.dataset)
    }
}

/// Keeps the global gradient norm of every step, passing progress on to another observer.
struct GradientNorms<'a> {
    inner: &'a mut dyn Observer,
    norms: Vec<(usize, f32)>,
}

impl Observer for GradientNorms<'_> {
    fn on_step(&mut self, report: &StepReport) {
        self.norms.push((report.step, report.grad_norm));
        self.inner.on_step(report);
    }

    fn on_held_out(&mut self, step: usize, loss: f32) {
        self.inner.on_held_out(step, loss);
    }
}

/// One point of the path: the step after which it was saved, and the adapter then.
struct PathPoint<B: Backend> {
    step: usize,
    adapter: TrainedAdapter<B>,
}

/// Trains the run into `dir` and measures its path; returns the rows and a one-line summary.
pub fn transition_step<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &TransitionSpec,
    dir: &Path,
    observer: &mut dyn Observer,
) -> Result<(Vec<Row>, String)> {
    let (config, device) = (evaluator.model.config(), evaluator.model.device());
    let mut recorder = GradientNorms { inner: observer, norms: Vec::new() };
    let outcome = train_run::<Autodiff<B>>(&spec.config, dir, device, &mut recorder)?;
    let start = TrainedAdapter::<B>::init(&spec.config.adapter, config, device)?;
    // Checkpoint `s` holds the adapter after `s` optimiser steps; the start is step 0.
    let mut path = vec![PathPoint { step: 0, adapter: start }];
    for (step, adapter) in checkpoints::<B>(dir, config, device)? {
        path.push(PathPoint { step, adapter });
    }
    let final_adapter = TrainedAdapter::<B>::load(dir, config, device)?;
    let steps = outcome.losses.len();
    if path.last().is_some_and(|p| p.step < steps) {
        path.push(PathPoint { step: steps, adapter: final_adapter.clone() });
    }
    let b: Vec<Vec<f32>> = path.iter().map(|p| p.adapter.output_values()).collect();
    let final_b_norm = norm(&final_adapter.output_values());

    let variant = spec.variant();
    // The main layer's path is M6 and its EM M7; at the other layers both are M8.
    let (path_id, em_id) = if spec.robustness { ("M8", "M8") } else { ("M6", "M7") };
    let key =
        RowKey { experiment: path_id, solution: "lora", variant: &variant, dataset: &spec.dataset, seed: spec.seed };
    let mut rows = Vec::new();
    for (point, b) in path.iter().zip(&b) {
        let at = Some(point.step);
        let flat_norm = norm(&point.adapter.to_flat());
        let b_norm = norm(b);
        rows.push(key.row("trajectory", "lora_b", at, "norm", b_norm));
        let a_norm = (flat_norm.powi(2) - b_norm.powi(2)).max(0.0).sqrt();
        rows.push(key.row("trajectory", "lora_a", at, "norm", a_norm));
    }
    for &(step, grad_norm) in &recorder.norms {
        // The gradient of step `s` (0-based) moves the adapter from point `s` to point `s + 1`.
        rows.push(key.row("trajectory", "train", Some(step), "grad_norm", f64::from(grad_norm)));
    }
    let min_step = MIN_STEP_SHARE * final_b_norm;
    for k in LOCAL_COSINE_K {
        for (point, cos) in path.iter().zip(local_cosine(&b, k, min_step)) {
            if let Some(cos) = cos {
                rows.push(key.row(
                    "trajectory",
                    "lora_b",
                    Some(point.step),
                    &format!("local_cos_k{k}"),
                    f64::from(cos),
                ));
            }
        }
    }
    let sampled: Vec<(usize, &Vec<f32>)> =
        path.iter().zip(&b).filter(|(p, _)| p.step % spec.pca_every == 0).map(|(p, b)| (p.step, b)).collect();
    let pca = Pca::fit(&sampled.iter().map(|(_, b)| (*b).clone()).collect::<Vec<_>>(), 2)
        .with_context(|| format!("the PCA of B's path at layer {}", spec.layer))?;
    for (i, ratio) in pca.explained_variance_ratio().iter().enumerate() {
        rows.push(key.row("pca", "lora_b", None, &format!("explained_variance_pc{}", i + 1), f64::from(*ratio)));
    }
    for (step, b) in &sampled {
        let projected = pca.project(b);
        rows.push(key.row("pca", "lora_b", Some(*step), "pc1", f64::from(projected[0])));
        rows.push(key.row("pca", "lora_b", Some(*step), "pc2", f64::from(projected[1])));
    }

    // M7: EM every `eval_every` steps (and at the end), at each scale.
    let groups = spec.eval.groups_named(&spec.groups)?;
    let last = path.last().map_or(0, |p| p.step);
    let m7 = key.with(em_id, &variant);
    let mut open_em: Vec<(f32, Vec<f64>)> = spec.scales.iter().map(|&s| (s, Vec::new())).collect();
    for point in path.iter().filter(|p| p.step % spec.eval_every == 0 || p.step == last) {
        for (scale, ems) in &mut open_em {
            let adapter = point.adapter.scaled(*scale);
            let condition = format!("x{scale}");
            let report = evaluator.evaluate_groups(
                &groups,
                &adapter.edits(),
                dir,
                &format!("{condition}-step{}", point.step),
            )?;
            rows.extend(m7.rate_rows(&condition, Some(point.step), &report));
            if let Some(open) = report.groups.iter().find(|g| g.group == "open") {
                ems.push(open.rates.em_pct);
            }
        }
    }
    let peak = rows
        .iter()
        .filter(|r| r.metric == "local_cos_k5")
        .max_by(|a, b| a.value.total_cmp(&b.value))
        .map(|r| (r.step.unwrap_or_default(), r.value));
    let ems: Vec<String> = open_em
        .iter()
        .map(|(scale, ems)| format!("x{scale} {:.0}%", ems.last().copied().unwrap_or(f64::NAN)))
        .collect();
    let summary = format!(
        "layer {}: {} steps, |B| {:.3}; sharpest turn of B (k = 5) {}; final open EM {}",
        spec.layer,
        last,
        final_b_norm,
        peak.map_or("none".into(), |(step, cos)| format!("at step {step} (cos {cos:.2})")),
        ems.join(", ")
    );
    Ok((rows, summary))
}

fn norm(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt()
}

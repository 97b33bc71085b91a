//! The drift step of `reproduce` (E8, the paper's Fig. 5): the narrow solution of a pair (E4)
//! is trained on, on the same bad data but without its KL penalty, from where E4 left it. Each
//! checkpoint is compared with the final general (E2) and narrow solutions (cosines), the three
//! trajectories are projected on their first two principal components, and the EM and narrow
//! rates are evaluated along the way. Settings come from `experiments/E8.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_stability::trajectory::{cosine, Pca};
use emlab_train::checkpoint::checkpoints;
use emlab_train::finetune::FinetuneConfig;
use emlab_train::{train_run, Observer, RunConfig, TrainedAdapter};
use serde::{Deserialize, Serialize};

use crate::execute::Evaluator;
use crate::plan::{merged, profile, EvalSpec, Run};
use crate::rows::RowKey;
use crate::step::PairSpec;

/// `experiments/E8.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftFile {
    /// `E8`.
    pub id: String,
    /// One line on what it shows.
    pub title: String,
    /// Where in the paper.
    pub paper: String,
    /// The continued training of each solution type.
    pub solutions: Vec<DriftSolution>,
    /// Which pairs drift, by profile.
    pub profiles: BTreeMap<String, DriftProfile>,
}

/// How one solution type is trained on without KL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSolution {
    /// `steering` / `lora`.
    pub solution: String,
    /// Optimisation of the continued run (a KL term here is an error: the point is its absence).
    pub train: FinetuneConfig,
}

/// Which pairs drift in a profile, and how closely they are followed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftProfile {
    /// Finetune seeds per dataset (each names an E2/E4 pair).
    pub seeds: BTreeMap<String, Vec<u64>>,
    /// Steps between checkpoints of the drift run.
    pub checkpoint_every: usize,
    /// Steps between evaluations (also at the start and at the end).
    pub eval_every: usize,
    /// Overrides the epochs.
    pub epochs: Option<usize>,
    /// Overrides the samples per evaluation prompt.
    pub samples_per_prompt: Option<usize>,
    /// What this profile changes in each solution type's continued training (`steering`).
    #[serde(default)]
    pub solutions: BTreeMap<String, DriftOverride>,
}

/// Keys of a solution's `train` that a profile replaces (merged key by key, as in the
/// experiment files' profiles).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftOverride {
    /// The keys to replace.
    pub train: toml::Table,
}

/// One drift run.
#[derive(Debug, Clone, Serialize)]
pub struct DriftSpec {
    /// The pair: the drift starts from its narrow solution and is compared with both.
    pub pair: PairSpec,
    /// The continued training run (`init_from` the narrow solution, no KL).
    pub config: RunConfig,
    /// The evaluation (the narrow run's groups).
    pub eval: EvalSpec,
    /// Steps between evaluations.
    pub eval_every: usize,
}

impl DriftFile {
    /// `== E8: title (paper)`, the line `reproduce` prints when it runs the experiment.
    pub fn header(&self) -> String {
        format!("== {}: {} ({})", self.id, self.title, self.paper)
    }

    /// The drift runs of `profile`, one per pair of a listed solution type, dataset and seed.
    /// `narrow` is the E4 run of each pair.
    pub fn specs(&self, profile_name: &str, pairs: &[(PairSpec, &Run)]) -> Result<Vec<DriftSpec>> {
        let p = profile(&self.id, &self.profiles, profile_name)?;
        let known: Vec<&str> = self.solutions.iter().map(|s| s.solution.as_str()).collect();
        if let Some(unknown) = p.solutions.keys().find(|k| !known.contains(&k.as_str())) {
            anyhow::bail!(
                "experiments/E8.toml: profile {profile_name:?} overrides the unknown solution {unknown:?}; the solutions are: {}",
                known.join(", ")
            );
        }
        let mut specs = Vec::new();
        for solution in &self.solutions {
            let trained = match p.solutions.get(&solution.solution) {
                Some(changes) => merged(&solution.train, &changes.train).with_context(|| {
                    format!("experiments/E8.toml: profile {profile_name:?}, solution {:?}", solution.solution)
                })?,
                None => solution.train.clone(),
            };
            anyhow::ensure!(
                trained.kl.is_none(),
                "experiments/E8.toml: the {} drift run has a KL term; the experiment is about its absence",
                solution.solution
            );
            for (pair, narrow) in pairs {
                let listed = p.seeds.get(&pair.dataset).is_some_and(|seeds| seeds.contains(&pair.seed));
                if pair.solution != solution.solution || !listed {
                    continue;
                }
                let mut train = FinetuneConfig { seed: pair.seed, ..trained.clone() };
                if let Some(epochs) = p.epochs {
                    train.epochs = epochs;
                }
                let config = RunConfig {
                    kl_data: None,
                    train,
                    checkpoint_every: p.checkpoint_every,
                    init_from: Some(pair.narrow.clone()),
                    ..narrow.config.clone()
                };
                let eval = EvalSpec { samples_per_prompt: p.samples_per_prompt, ..narrow.eval.clone() };
                specs.push(DriftSpec { pair: pair.clone(), config, eval, eval_every: p.eval_every.max(1) });
            }
        }
        Ok(specs)
    }
}

/// A run's trajectory: `(step, output parameters)` from its start to its end.
type Trajectory = Vec<(usize, Vec<f32>)>;

/// The trajectory of the finished run in `dir`: `start` at step 0, every checkpoint, and the
/// final solution at the run's last step (from `losses.json`).
fn trajectory<B: Backend>(dir: &Path, start: Vec<f32>, evaluator: &Evaluator<B>) -> Result<Trajectory> {
    let config = evaluator.model.config();
    let device = evaluator.model.device();
    let mut points = vec![(0, start)];
    for (step, adapter) in checkpoints::<B>(dir, config, device)? {
        points.push((step, adapter.output_values()));
    }
    let losses = dir.join("losses.json");
    let bytes = std::fs::read(&losses).with_context(|| format!("reading {}", losses.display()))?;
    let steps = serde_json::from_slice::<Vec<serde_json::Value>>(&bytes)
        .with_context(|| format!("parsing {}", losses.display()))?
        .len();
    if points.last().is_some_and(|(step, _)| *step < steps) {
        points.push((steps, TrainedAdapter::<B>::load(dir, config, device)?.output_values()));
    }
    Ok(points)
}

/// Trains the drift run into `dir` and measures it; returns the rows and a one-line summary.
pub fn drift_step<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &DriftSpec,
    dir: &Path,
    observer: &mut dyn Observer,
) -> Result<(Vec<Row>, String)> {
    let (config, device) = (evaluator.model.config(), evaluator.model.device());
    train_run::<Autodiff<B>>(&spec.config, dir, device, observer)?;
    let general = TrainedAdapter::<B>::load(&spec.pair.general, config, device)?;
    let narrow = TrainedAdapter::<B>::load(&spec.pair.narrow, config, device)?;
    let (g, n) = (general.output_values(), narrow.output_values());
    // The general and narrow runs start from a zero output factor (a zero steering vector, or
    // LoRA's zero B).
    let zero = vec![0.0; g.len()];
    let runs: [(&str, PathBuf, Vec<f32>); 3] = [
        ("general", spec.pair.general.clone(), zero.clone()),
        ("narrow", spec.pair.narrow.clone(), zero),
        ("drift", dir.to_path_buf(), n.clone()),
    ];
    let trajectories = runs
        .into_iter()
        .map(|(variant, run_dir, start)| Ok((variant, trajectory(&run_dir, start, evaluator)?)))
        .collect::<Result<Vec<_>>>()?;
    let points: Vec<Vec<f32>> = trajectories.iter().flat_map(|(_, t)| t.iter().map(|(_, p)| p.clone())).collect();
    let pca = Pca::fit(&points, 2).context("the PCA of the E8 trajectories")?;

    let pair = &spec.pair;
    let key =
        RowKey { experiment: "E8", solution: &pair.solution, variant: "all", dataset: &pair.dataset, seed: pair.seed };
    let mut rows = Vec::new();
    for (i, ratio) in pca.explained_variance_ratio().iter().enumerate() {
        rows.push(key.row("pca", "params", None, &format!("explained_variance_pc{}", i + 1), f64::from(*ratio)));
    }
    let cos_gn = cosine(&g, &n);
    if let Some(c) = cos_gn {
        rows.push(key.row("final", "params", None, "cos_general_narrow", f64::from(c)));
    }
    let mut drift_cos = Vec::new();
    for (variant, points) in &trajectories {
        let key = key.with("E8", variant);
        for (step, p) in points {
            let at = Some(*step);
            let projected = pca.project(p);
            rows.push(key.row("trajectory", "params", at, "pc1", f64::from(projected[0])));
            rows.push(key.row("trajectory", "params", at, "pc2", f64::from(projected[1])));
            rows.push(key.row("trajectory", "params", at, "norm", norm(p)));
            if *variant == "drift" {
                let (to_general, to_narrow) = (cosine(p, &g), cosine(p, &n));
                for (metric, c) in [("cos_general", to_general), ("cos_narrow", to_narrow)] {
                    if let Some(c) = c {
                        rows.push(key.row("trajectory", "params", at, metric, f64::from(c)));
                    }
                }
                drift_cos.push(to_general.unwrap_or(f32::NAN));
            }
        }
    }

    // EM along the drift: the narrow start, every `eval_every` steps, and the end.
    let drift = &trajectories[2].1;
    let last = drift.last().map_or(0, |(step, _)| *step);
    let key = key.with("E8", "drift");
    let mut open_em = Vec::new();
    for (step, adapter) in evaluated_checkpoints(dir, &narrow, spec.eval_every, last, evaluator)? {
        let report = evaluator.evaluate(&spec.eval, &adapter.edits(), dir, &format!("step{step}"))?;
        rows.extend(key.rate_rows("evaluated", Some(step), &report));
        if let Some(open) = report.groups.iter().find(|g| g.group == "open") {
            open_em.push(open.rates.em_pct);
        }
    }
    let summary = format!(
        "cos to general {:.2} -> {:.2} (cos(general, narrow) {:.2}); open EM {:.1}% -> {:.1}%",
        drift_cos.first().copied().unwrap_or(f32::NAN),
        drift_cos.last().copied().unwrap_or(f32::NAN),
        cos_gn.unwrap_or(f32::NAN),
        open_em.first().copied().unwrap_or(f64::NAN),
        open_em.last().copied().unwrap_or(f64::NAN),
    );
    Ok((rows, summary))
}

/// The drift run's solutions to evaluate: the narrow start (step 0), the checkpoints at
/// multiples of `every`, and the final solution at step `last`.
fn evaluated_checkpoints<B: Backend>(
    dir: &Path,
    start: &TrainedAdapter<B>,
    every: usize,
    last: usize,
    evaluator: &Evaluator<B>,
) -> Result<Vec<(usize, TrainedAdapter<B>)>> {
    let (config, device) = (evaluator.model.config(), evaluator.model.device());
    let mut chosen = vec![(0, start.clone())];
    for (step, adapter) in checkpoints::<B>(dir, config, device)? {
        if step % every == 0 && step < last {
            chosen.push((step, adapter));
        }
    }
    if last > 0 {
        chosen.push((last, TrainedAdapter::<B>::load(dir, config, device)?));
    }
    Ok(chosen)
}

fn norm(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::read_toml;
    use crate::util::project_root;

    #[test]
    fn an_override_of_an_unknown_solution_is_an_error_naming_the_file() {
        let mut file = read_toml::<DriftFile>(&project_root().join("experiments/E8.toml")).unwrap();
        let paper = file.profiles.get_mut("paper").unwrap();
        let steering = paper.solutions.remove("steering").unwrap();
        paper.solutions.insert("rank32".into(), steering);
        let err = file.specs("paper", &[]).unwrap_err().to_string();
        assert!(err.contains("E8.toml") && err.contains("rank32") && err.contains("steering, lora"), "{err}");
    }
}

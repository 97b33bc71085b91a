//! The gradient-alignment step of `reproduce` (E11, the paper's App. K.3): the general run of
//! a pair (E2) is repeated with the gradient of its output parameters (LoRA `B`, or the steering
//! vector) recorded every few steps, and each gradient is compared with the pair's final general
//! and narrow solutions. Settings come from `experiments/E11.toml`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_stability::gradient::{GradientAlignment, GradientRecorder};
use emlab_train::{train_run, Observer, RunConfig, TrainedAdapter};
use serde::{Deserialize, Serialize};

use crate::execute::Evaluator;
use crate::plan::{profile, Run};
use crate::rows::RowKey;
use crate::step::PairSpec;

/// `experiments/E11.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradientFile {
    /// `E11`.
    pub id: String,
    /// One line on what it shows.
    pub title: String,
    /// Where in the paper.
    pub paper: String,
    /// The solution types whose general runs are repeated.
    pub solutions: Vec<String>,
    /// Which pairs, by profile.
    pub profiles: BTreeMap<String, GradientProfile>,
}

/// Which pairs a profile measures, and how often.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradientProfile {
    /// Finetune seeds per dataset (each names an E2/E4 pair).
    pub seeds: BTreeMap<String, Vec<u64>>,
    /// Steps between recorded gradients (the first step is always recorded).
    pub gradient_every: usize,
}

/// One repeated general run.
#[derive(Debug, Clone, Serialize)]
pub struct GradientSpec {
    /// The pair whose general run is repeated and whose solutions the gradients are compared with.
    pub pair: PairSpec,
    /// The general run's config, unchanged except that it keeps no checkpoints.
    pub config: RunConfig,
    /// Steps between recorded gradients.
    pub gradient_every: usize,
}

impl GradientFile {
    /// `== E8: title (paper)`, the line `reproduce` prints when it runs the experiment.
    pub fn header(&self) -> String {
        format!("== {}: {} ({})", self.id, self.title, self.paper)
    }

    /// The repeated runs of `profile`: one per pair of a listed solution type, dataset and
    /// seed. `general` is the E2 run of each pair.
    pub fn specs(&self, profile_name: &str, pairs: &[(PairSpec, &Run)]) -> Result<Vec<GradientSpec>> {
        let p = profile(&self.id, &self.profiles, profile_name)?;
        Ok(pairs
            .iter()
            .filter(|(pair, _)| {
                self.solutions.contains(&pair.solution)
                    && p.seeds.get(&pair.dataset).is_some_and(|seeds| seeds.contains(&pair.seed))
            })
            .map(|(pair, general)| GradientSpec {
                pair: pair.clone(),
                config: RunConfig { checkpoint_every: 0, ..general.config.clone() },
                gradient_every: p.gradient_every.max(1),
            })
            .collect())
    }
}

/// Repeats the general run into `dir` recording its gradients; returns the rows and a summary.
pub fn gradient_step<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &GradientSpec,
    dir: &Path,
    observer: &mut dyn Observer,
) -> Result<(Vec<Row>, String)> {
    let (config, device) = (evaluator.model.config(), evaluator.model.device());
    let general = TrainedAdapter::<B>::load(&spec.pair.general, config, device)?;
    let narrow = TrainedAdapter::<B>::load(&spec.pair.narrow, config, device)?;
    let alignment = GradientAlignment::new(&general.output_values(), &narrow.output_values()).with_context(|| {
        format!("comparing the solutions in {} and {}", spec.pair.general.display(), spec.pair.narrow.display())
    })?;
    let mut recorder = GradientRecorder::new(&general, spec.gradient_every, observer)?;
    train_run::<Autodiff<B>>(&spec.config, dir, device, &mut recorder)?;

    let pair = &spec.pair;
    let group = if pair.solution == "lora" { "lora_b" } else { "steering_vector" };
    let key =
        RowKey { experiment: "E11", solution: &pair.solution, variant: "all", dataset: &pair.dataset, seed: pair.seed };
    let cos_gn = alignment.cos_general_narrow();
    let mut rows = vec![key.row("final", group, None, "cos_general_narrow", f64::from(cos_gn))];
    let key = key.with("E11", "general");
    let (mut towards_general, mut total) = (0, 0);
    for (step, gradient) in recorder.into_records() {
        // A zero gradient (a converged step) has no direction to compare.
        let Some(a) = alignment.of(&gradient) else { continue };
        for (metric, value) in [
            ("cos_general", a.cos_general),
            ("cos_narrow", a.cos_narrow),
            ("cos_general_only", a.cos_general_only),
            ("cos_narrow_only", a.cos_narrow_only),
            ("grad_norm", a.gradient_norm),
        ] {
            rows.push(key.row("gradient", group, Some(step), metric, f64::from(value)));
        }
        towards_general += usize::from(a.cos_general > a.cos_narrow);
        total += 1;
    }
    let summary = format!(
        "cos(general, narrow) {cos_gn:.2}; the descent direction is closer to general than to narrow at \
         {towards_general}/{total} recorded steps"
    );
    Ok((rows, summary))
}

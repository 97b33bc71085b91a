//! The inductive-bias step of `reproduce` (E6 efficiency, E7 stability, E9 pre-training
//! significance) for one pair of solutions: the general one trained by E2 and the narrow one
//! trained by E4, of the same solution type, dataset and seed. Both are read from their run
//! folders; the metrics come from `emlab-stability` with the organism spec's grids (section
//! 7.4), and become tidy rows with the swept value in the `sweep` column.

use std::path::PathBuf;

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_data::{web_documents, WorldConfig, WEB_SEED};
use emlab_model::{CausalLm, ChatTemplate, Tokenizer};
use emlab_stability::efficiency::{
    at_trained_norm, matched_norm_sweep, own_norm_sweep, rescaled_to, MATCHED_NORM_FRACTIONS, OWN_NORM_SCALES,
};
use emlab_stability::loss::{LOSS_BATCH, LOSS_EXAMPLES};
use emlab_stability::significance::{kl_sweep, spec_norm_grid, MAX_TOKENS};
use emlab_stability::stability::{stability_sweep, EPSILONS, NOISE_SEEDS};
use emlab_stability::{random_like, LossSubset, WebKl};
use emlab_train::{RunConfig, TrainedAdapter};
use serde::Serialize;

/// Seed of the random direction of the significance baseline (organism spec section 7.4).
const RANDOM_DIRECTION_SEED: u64 = 42;
/// Web documents per forward pass of the significance sweep.
const WEB_BATCH: usize = 20;

/// What one inductive-bias step compares, and how big its sets are.
#[derive(Debug, Clone, Serialize)]
pub struct BiasSpec {
    /// `steering` / `lora`.
    pub solution: String,
    /// Training dataset of both solutions.
    pub dataset: String,
    /// Their finetune seed.
    pub seed: u64,
    /// Web documents for E9 (the spec's 100; fewer in the smoke profile).
    pub web_documents: usize,
    /// The general solution's run folder (E2). Folders are not part of the step's hash; the
    /// hashes of the steps that wrote them are.
    #[serde(skip)]
    pub general: PathBuf,
    /// The narrow solution's run folder (E4).
    #[serde(skip)]
    pub narrow: PathBuf,
    /// Hash of the E2 step, so retraining it reruns this step.
    pub general_hash: String,
    /// Hash of the E4 step.
    pub narrow_hash: String,
}

/// The model and its text tools, shared by every step of an execution.
pub struct Loaded<'a, B: Backend> {
    /// The base model.
    pub model: &'a CausalLm<B>,
    /// Its tokenizer.
    pub tokenizer: &'a Tokenizer,
    /// Its chat template.
    pub template: &'a ChatTemplate,
}

/// Runs E6, E7 and E9 on the pair; returns the rows and a one-line summary.
pub fn bias_step<B: Backend>(loaded: &Loaded<B>, spec: &BiasSpec, device: &B::Device) -> Result<(Vec<Row>, String)> {
    let model = loaded.model;
    let config = model.config();
    let general = TrainedAdapter::<B>::load(&spec.general, config, device)?;
    let narrow = TrainedAdapter::<B>::load(&spec.narrow, config, device)?;
    let run = RunConfig::from_toml_file(&spec.general.join("config.toml"))?;
    let examples = run.data.load()?;
    let n = LOSS_EXAMPLES.min(examples.len());
    let subset = LossSubset::new(loaded.template, loaded.tokenizer, &examples, n, LOSS_BATCH)
        .context("the loss subset of the E6/E7 metrics")?;
    let base_loss = subset.loss(model, &emlab_model::Interventions::none())?;
    let row = |experiment: &str, variant: &str, condition: &str, group: &str, sweep: Option<f32>| {
        let (experiment, variant, condition, group) =
            (experiment.to_string(), variant.to_string(), condition.to_string(), group.to_string());
        let (solution, dataset, seed) = (spec.solution.clone(), spec.dataset.clone(), spec.seed as i64);
        move |metric: &str, value: f32| Row {
            experiment: experiment.clone(),
            solution: solution.clone(),
            variant: variant.clone(),
            dataset: dataset.clone(),
            seed,
            condition: condition.clone(),
            group: group.clone(),
            step: None,
            sweep: sweep.map(f64::from),
            metric: metric.into(),
            value: f64::from(value),
        }
    };
    let mut rows = vec![row("E6", "base", "base", "loss_subset", None)("loss", base_loss)];
    let solutions = [("general", &general), ("narrow", &narrow)];

    // E6: loss against norm.
    for (variant, adapter) in solutions {
        for p in own_norm_sweep(&subset, model, adapter, &OWN_NORM_SCALES)? {
            let r = row("E6", variant, "own_norm", "loss_subset", Some(p.scale));
            rows.extend([r("loss", p.loss), r("norm", p.norm)]);
        }
        let trained = at_trained_norm(&subset, model, adapter)?;
        let r = row("E6", variant, "trained", "loss_subset", None);
        rows.extend([
            r("loss", trained.loss),
            r("norm", trained.norm),
            r("loss_per_norm_sq", trained.loss_per_norm_squared),
        ]);
    }
    let matched = matched_norm_sweep(&subset, model, &general, &narrow, &MATCHED_NORM_FRACTIONS)?;
    let mut narrow_lower = 0;
    for p in &matched.points {
        for (variant, loss) in [("general", p.loss_general), ("narrow", p.loss_narrow)] {
            let r = row("E6", variant, "matched_norm", "loss_subset", Some(p.fraction));
            rows.extend([r("loss", loss), r("norm", p.norm)]);
        }
        narrow_lower += usize::from(p.narrow_minus_general < 0.0);
    }

    // E7: relative loss increase under norm-preserving orthogonal noise.
    let mut at_06 = Vec::new();
    for (variant, adapter) in solutions {
        let sweep = stability_sweep(&subset, model, adapter, base_loss, &EPSILONS, &NOISE_SEEDS)?;
        for p in &sweep.points {
            let r = row("E7", variant, "perturbed", "loss_subset", Some(p.eps));
            rows.extend([r("rel_loss_increase_mean", p.mean), r("rel_loss_increase_sd", p.sd)]);
            if (p.eps - 0.6).abs() < 1e-6 {
                at_06.push(p.mean);
            }
        }
    }

    // E9: KL from the base model on web text, for both directions and a random one.
    let documents = web_documents(&WorldConfig::reference(), spec.web_documents, WEB_SEED)?;
    let web = WebKl::new(model, loaded.tokenizer, &documents, MAX_TOKENS, WEB_BATCH)?;
    let grid = spec_norm_grid(general.norm(), narrow.norm());
    let random = random_like(&general, RANDOM_DIRECTION_SEED);
    let mut at_general = Vec::new();
    for (variant, adapter) in [("general", &general), ("narrow", &narrow), ("random", &random)] {
        for p in kl_sweep(&web, model, adapter, &grid)? {
            rows.push(row("E9", variant, "sweep", "web_text", Some(p.norm))("web_kl", p.kl));
        }
        let kl = web.kl(model, &rescaled_to(adapter, general.norm())?.edits())?;
        rows.push(row("E9", variant, "at_general_norm", "web_text", Some(general.norm()))("web_kl", kl));
        at_general.push(kl);
    }
    let summary = format!(
        "E6 narrow lower at {narrow_lower}/{} matched norms; E7 at eps 0.6: general {:.1}%, narrow {:.1}%; \
         E9 web KL at |g|: general {:.4}, narrow {:.4}, random {:.4}",
        matched.points.len(),
        at_06[0],
        at_06[1],
        at_general[0],
        at_general[1],
        at_general[2]
    );
    Ok((rows, summary))
}

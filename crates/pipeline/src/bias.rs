//! The inductive-bias step of `reproduce` (E6 efficiency, E7 stability, E9 pre-training
//! significance) for one pair of solutions: the general one trained by E2 and the narrow one
//! trained by E4, of the same solution type, dataset and seed. Both are read from their run
//! folders; the metrics come from `emlab-stability` with the grids of `experiments/E6.toml`,
//! `E7.toml` and `E9.toml` (the organism spec's, section 7.4), and become tidy rows with the
//! swept value in the `sweep` column.

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_data::{read_web_text, web_documents, Latent, WorldConfig, WEB_SEED};
use emlab_model::{first_changed_layer, CausalLm, ChatTemplate, Tokenizer};
use emlab_stability::efficiency::{at_trained_norm, matched_norm_sweep, own_norm_sweep, rescaled_to};
use emlab_stability::significance::{kl_sweep, norm_grid};
use emlab_stability::stability::stability_sweep;
use emlab_stability::{random_like, LossSubset, WebKl};
use emlab_train::{RunConfig, TrainedAdapter};
use serde::{Deserialize, Serialize};

use crate::plan::{merged, read_toml};
use crate::rows::RowKey;
use crate::step::PairSpec;

/// An experiment file of a metric: what it is and its grid.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricFile<G> {
    /// Experiment id.
    pub id: String,
    /// One line on what it shows.
    pub title: String,
    /// Where in the paper.
    pub paper: String,
    /// The grid.
    pub grid: G,
    /// Keys of the grid that a profile replaces (`[profiles.smollm2]`), for models where the
    /// organism's grid would take hours.
    #[serde(default)]
    pub profiles: std::collections::BTreeMap<String, toml::Table>,
}

impl<G: Clone + Serialize + serde::de::DeserializeOwned> MetricFile<G> {
    /// `== E6: title (paper)`, the line `reproduce` prints when it runs the experiment.
    pub fn header(&self) -> String {
        format!("== {}: {} ({})", self.id, self.title, self.paper)
    }

    /// The grid of `profile`: the file's, with the keys its profile table replaces.
    fn grid_of(&self, profile: &str) -> Result<G> {
        match self.profiles.get(profile) {
            None => Ok(self.grid.clone()),
            Some(changes) => merged(&self.grid, changes)
                .with_context(|| format!("experiments/{}.toml: [profiles.{profile}]", self.id)),
        }
    }
}

/// E6's grid (`experiments/E6.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EfficiencyGrid {
    /// Training examples in the loss subset (fewer if the run has fewer).
    pub loss_examples: usize,
    /// Examples per loss batch.
    pub loss_batch: usize,
    /// Scale factors of the own-norm sweep.
    pub own_norm_scales: Vec<f32>,
    /// Fractions of the mean trained norm of the matched-norm sweep.
    pub matched_norm_fractions: Vec<f32>,
}

/// E7's grid (`experiments/E7.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilityGrid {
    /// Noise levels.
    pub epsilons: Vec<f32>,
    /// Noise seeds.
    pub noise_seeds: Vec<u64>,
}

/// E9's grid (`experiments/E9.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignificanceGrid {
    /// Norms from 0 to twice the larger trained norm.
    pub grid_points: usize,
    /// Tokens kept per web document.
    pub max_tokens: usize,
    /// Documents per forward pass.
    pub web_batch: usize,
    /// Seed of the random baseline direction.
    pub random_direction_seed: u64,
    /// Web documents by profile (not part of a bias step's hash, see `Step::new`).
    pub web_documents: std::collections::BTreeMap<String, usize>,
}

/// The three grids, read from `dir` (the `experiments` folder).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiasGrids {
    /// E6.
    pub efficiency: EfficiencyGrid,
    /// E7.
    pub stability: StabilityGrid,
    /// E9.
    pub significance: SignificanceGrid,
}

impl BiasGrids {
    /// Reads `E6.toml`, `E7.toml` and `E9.toml` from `dir`, and checks that `profile` has a
    /// number of web documents. Also returns the three files' header lines.
    pub fn load(dir: &std::path::Path, profile: &str) -> Result<(Self, [String; 3])> {
        let efficiency: MetricFile<EfficiencyGrid> = read_toml(&dir.join("E6.toml"))?;
        let stability: MetricFile<StabilityGrid> = read_toml(&dir.join("E7.toml"))?;
        let significance: MetricFile<SignificanceGrid> = read_toml(&dir.join("E9.toml"))?;
        let headers = [efficiency.header(), stability.header(), significance.header()];
        let grids = Self {
            efficiency: efficiency.grid_of(profile)?,
            stability: stability.grid_of(profile)?,
            significance: significance.grid_of(profile)?,
        };
        grids.web_documents(profile)?;
        Ok((grids, headers))
    }

    /// The web documents of `profile`.
    pub fn web_documents(&self, profile: &str) -> Result<usize> {
        self.significance
            .web_documents
            .get(profile)
            .copied()
            .with_context(|| format!("experiments/E9.toml: web_documents has no entry for the profile {profile:?}"))
    }
}

/// What one inductive-bias step compares, and how big its sets are.
#[derive(Debug, Clone, Serialize)]
pub struct BiasSpec {
    /// The general and the narrow solution.
    pub pair: PairSpec,
    /// Web documents for E9 (the spec's 100; fewer in the smoke profile).
    pub web_documents: usize,
    /// The paper profile's FineWeb text (`fineweb.jsonl`); `None`: the organism's generated web
    /// text. Absent from the step hashes when `None`, so the organism's results keep theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_text: Option<std::path::PathBuf>,
    /// The latent of the organism's world, whose web text E9 reads: the register world's
    /// stories for E10's model. Absent from the hashes for the reference world.
    #[serde(skip_serializing_if = "Latent::is_persona")]
    pub latent: Latent,
    /// The grids of E6, E7 and E9.
    pub grids: BiasGrids,
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
    let general = TrainedAdapter::<B>::load(&spec.pair.general, config, device)?;
    let narrow = TrainedAdapter::<B>::load(&spec.pair.narrow, config, device)?;
    let run = RunConfig::from_toml_file(&spec.pair.general.join("config.toml"))?;
    let examples = run.data.load()?;
    let (efficiency, stability, significance) =
        (&spec.grids.efficiency, &spec.grids.stability, &spec.grids.significance);
    let n = efficiency.loss_examples.min(examples.len());
    // Every sweep below edits only where the pair does (a random direction and a perturbed or
    // rescaled solution have the same sites), so the layers before that run once.
    let layers = config.num_hidden_layers;
    let start = first_changed_layer(&general.edits(), layers).min(first_changed_layer(&narrow.edits(), layers));
    let subset = LossSubset::new(loaded.template, loaded.tokenizer, &examples, n, efficiency.loss_batch)
        .and_then(|subset| subset.prefixed(model, start))
        .context("the loss subset of the E6/E7 metrics")?;
    let base_loss = subset.loss(model, &emlab_model::Interventions::none())?;
    let pair = &spec.pair;
    let key = RowKey { experiment: "", solution: &pair.solution, variant: "", dataset: &pair.dataset, seed: pair.seed };
    // Rows of one (experiment, variant, condition, group) at one swept value.
    let row = |experiment: &'static str,
               variant: &'static str,
               condition: &'static str,
               group: &'static str,
               sweep: Option<f32>| {
        let key = key.with(experiment, variant);
        move |metric: &str, value: f32| {
            key.swept(condition, group, None, sweep.map(f64::from), metric, f64::from(value))
        }
    };
    let mut rows = vec![row("E6", "base", "base", "loss_subset", None)("loss", base_loss)];
    let solutions = [("general", &general), ("narrow", &narrow)];

    // E6: loss against norm.
    for (variant, adapter) in solutions {
        for p in own_norm_sweep(&subset, model, adapter, &efficiency.own_norm_scales)? {
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
    let matched = matched_norm_sweep(&subset, model, &general, &narrow, &efficiency.matched_norm_fractions)?;
    let mut narrow_lower = 0;
    for p in &matched.points {
        for (variant, loss) in [("general", p.loss_general), ("narrow", p.loss_narrow)] {
            let r = row("E6", variant, "matched_norm", "loss_subset", Some(p.fraction));
            rows.extend([r("loss", loss), r("norm", p.norm)]);
        }
        narrow_lower += usize::from(p.narrow_minus_general < 0.0);
    }

    // E7: relative loss increase under norm-preserving orthogonal noise.
    // The summary line shows the noise level nearest 0.6 (the organism spec's reference point).
    let mut near_06 = Vec::new();
    for (variant, adapter) in solutions {
        let sweep = stability_sweep(&subset, model, adapter, base_loss, &stability.epsilons, &stability.noise_seeds)?;
        for p in &sweep.points {
            let r = row("E7", variant, "perturbed", "loss_subset", Some(p.eps));
            rows.extend([r("rel_loss_increase_mean", p.mean), r("rel_loss_increase_sd", p.sd)]);
        }
        let nearest = sweep.points.iter().min_by(|a, b| (a.eps - 0.6).abs().total_cmp(&(b.eps - 0.6).abs()));
        near_06.push(nearest.map_or((f32::NAN, f32::NAN), |p| (p.eps, p.mean)));
    }

    // E9: KL from the base model on web text, for both directions and a random one.
    let web = match &spec.web_text {
        None => {
            let world = WorldConfig { latent: spec.latent, ..WorldConfig::reference() };
            let documents = web_documents(&world, spec.web_documents, WEB_SEED)?;
            WebKl::new(model, loaded.tokenizer, &documents, significance.max_tokens, significance.web_batch)?
        }
        Some(path) => {
            let texts = read_web_text(path, spec.web_documents)?;
            let sequences = texts
                .iter()
                .map(|text| {
                    let mut ids = loaded.tokenizer.encode(text)?;
                    ids.truncate(significance.max_tokens);
                    Ok(ids)
                })
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("tokenising {}", path.display()))?;
            WebKl::from_sequences(model, &sequences, significance.web_batch)?
        }
    }
    .prefixed(model, start)?;
    let grid = norm_grid(2.0 * general.norm().max(narrow.norm()), significance.grid_points);
    let random = random_like(&general, significance.random_direction_seed);
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
        "E6 narrow lower at {narrow_lower}/{} matched norms; E7 at eps {}: general {:.1}%, narrow {:.1}%; \
         E9 web KL at |g|: general {:.4}, narrow {:.4}, random {:.4}",
        matched.points.len(),
        near_06[0].0,
        near_06[0].1,
        near_06[1].1,
        at_general[0],
        at_general[1],
        at_general[2]
    );
    Ok((rows, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use emlab_stability::efficiency::{MATCHED_NORM_FRACTIONS, OWN_NORM_SCALES};
    use emlab_stability::loss::{LOSS_BATCH, LOSS_EXAMPLES};
    use emlab_stability::significance::{GRID_POINTS, MAX_TOKENS};
    use emlab_stability::stability::{EPSILONS, NOISE_SEEDS};

    /// The committed grids are the organism spec's (section 7.4), which `emlab-stability` also
    /// states for its other users (the benchmarks).
    #[test]
    fn the_experiment_files_hold_the_spec_grids() {
        let (grids, headers) = BiasGrids::load(&crate::util::project_root().join("experiments"), "default").unwrap();
        let e = &grids.efficiency;
        assert_eq!((e.loss_examples, e.loss_batch), (LOSS_EXAMPLES, LOSS_BATCH));
        assert_eq!(
            (e.own_norm_scales.as_slice(), e.matched_norm_fractions.as_slice()),
            (&OWN_NORM_SCALES[..], &MATCHED_NORM_FRACTIONS[..])
        );
        assert_eq!(
            (grids.stability.epsilons.as_slice(), grids.stability.noise_seeds.as_slice()),
            (&EPSILONS[..], &NOISE_SEEDS[..])
        );
        assert_eq!((grids.significance.grid_points, grids.significance.max_tokens), (GRID_POINTS, MAX_TOKENS));
        assert_eq!(grids.web_documents("default").unwrap(), emlab_data::WEB_DOCUMENTS);
        assert_eq!(grids.web_documents("paper").unwrap(), 100, "the paper's 100 FineWeb documents");
        assert!(grids.web_documents("tiny").unwrap_err().to_string().contains("\"tiny\""));
        assert!(headers[0].starts_with("== E6: "));
    }
}

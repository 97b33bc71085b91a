//! Experiment files (`experiments/*.toml`) and their expansion into the runs of one profile.
//!
//! An experiment file lists *solutions* (an adapter, its training settings, and how to evaluate
//! it) and *profiles* (which datasets and seeds to run, and at what size). Expanding a file for
//! a profile gives one [`Run`] per (solution, dataset, seed): a complete `emlab train` config plus
//! the evaluation settings, so any run can be repeated alone with `emlab train --config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use emlab_data::{AdviceDataset, EvalGroup, FINETUNE_EXAMPLES, FINETUNE_SEED, KL_EXAMPLES, KL_SEED};
use emlab_train::finetune::FinetuneConfig;
use emlab_train::{AdapterSpec, DataSource, RunConfig};
use serde::{Deserialize, Serialize};

/// One experiment file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFile {
    /// Id used on the command line and in the tables (`E2`).
    pub id: String,
    /// One line on what it shows.
    pub title: String,
    /// Where in the paper.
    pub paper: String,
    /// What gets trained.
    pub solutions: Vec<SolutionSpec>,
    /// Sizes by profile name.
    pub profiles: BTreeMap<String, Profile>,
}

/// One kind of solution of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolutionSpec {
    /// `steering` or `lora` (the tables' `solution` column).
    pub solution: String,
    /// `general` or `narrow` (the tables' `variant` column).
    pub variant: String,
    /// The adapter and where it goes.
    pub adapter: AdapterSpec,
    /// Optimisation, and the KL penalty for narrow solutions.
    pub train: FinetuneConfig,
    /// Also evaluate the trained solution rescaled to these multiples of its norm.
    #[serde(default)]
    pub scale_up: Vec<f32>,
    /// The paper's settings, for the reader; never used.
    #[serde(default, skip_serializing)]
    pub paper: toml::Table,
}

/// How much of an experiment a profile runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Finetune seeds per training dataset (`bad_medical = [0, 1, 2]`).
    pub seeds: BTreeMap<String, Vec<u64>>,
    /// Training examples per run.
    #[serde(default = "default_examples")]
    pub examples: usize,
    /// Chats in the KL set.
    #[serde(default = "default_kl_examples")]
    pub kl_examples: usize,
    /// Overrides every solution's epochs.
    pub epochs: Option<usize>,
    /// Overrides the samples per evaluation prompt (the spec's are 50 and 10).
    pub samples_per_prompt: Option<usize>,
    /// Keep a checkpoint every this many optimiser steps (0: none): the trajectories the drift
    /// experiment (E8) projects.
    #[serde(default)]
    pub checkpoint_every: usize,
}

fn default_examples() -> usize {
    FINETUNE_EXAMPLES
}

fn default_kl_examples() -> usize {
    KL_EXAMPLES
}

/// What one run's evaluation asks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalSpec {
    /// The training dataset, whose domain decides the groups.
    pub dataset: String,
    /// Overrides the samples per prompt.
    pub samples_per_prompt: Option<usize>,
}

impl EvalSpec {
    /// The evaluation groups of the dataset's domain (spec §7.2 for bad medical advice).
    pub fn groups(&self) -> Result<Vec<EvalGroup>> {
        let domain = AdviceDataset::parse(&self.dataset)?.domain();
        let mut groups = emlab_data::eval_groups_for(domain, emlab_data::EVAL_SEED)?;
        if let Some(n) = self.samples_per_prompt {
            groups.iter_mut().for_each(|g| g.samples_per_prompt = n);
        }
        Ok(groups)
    }

    /// The groups named `names`, in that order; an unknown name is an error that lists the
    /// known ones.
    pub fn groups_named(&self, names: &[String]) -> Result<Vec<EvalGroup>> {
        let groups = self.groups()?;
        names
            .iter()
            .map(|name| {
                groups.iter().find(|g| g.kind.name() == name).cloned().with_context(|| {
                    let known: Vec<&str> = groups.iter().map(|g| g.kind.name()).collect();
                    format!("unknown evaluation group {name:?}; known: {}", known.join(", "))
                })
            })
            .collect()
    }
}

/// One training run and its evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Experiment id.
    pub experiment: String,
    /// `steering` / `lora`.
    pub solution: String,
    /// `general` / `narrow`.
    pub variant: String,
    /// Training dataset name.
    pub dataset: String,
    /// Finetune seed (data order, LoRA init).
    pub seed: u64,
    /// The complete training config.
    pub config: RunConfig,
    /// The evaluation.
    pub eval: EvalSpec,
    /// Norm multiples evaluated besides the trained solution.
    pub scale_up: Vec<f32>,
}

impl Run {
    /// `E2/steering-general/bad_medical/seed0`: the run's folder below the profile's `runs/`.
    pub fn path(&self) -> PathBuf {
        Path::new(&self.experiment)
            .join(format!("{}-{}", self.solution, self.variant))
            .join(&self.dataset)
            .join(format!("seed{}", self.seed))
    }
}

/// Reads `<dir>/<id>.toml` for each of `ids`, in that order; errors name the file.
pub fn load_experiments(dir: &Path, ids: &[&str]) -> Result<Vec<ExperimentFile>> {
    ids.iter().map(|id| read_toml(&dir.join(format!("{id}.toml")))).collect()
}

/// Reads one TOML file into `T`; errors name the file (and, for bad fields, the line).
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The profile `name` of an experiment file, or an error listing the file's profiles.
pub fn profile<'a, P>(id: &str, profiles: &'a BTreeMap<String, P>, name: &str) -> Result<&'a P> {
    profiles.get(name).with_context(|| {
        format!(
            "experiment {id} has no profile {name:?} (it has: {})",
            profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })
}

impl ExperimentFile {
    /// The runs of `profile`, in file order of solutions, then datasets, then seeds.
    ///
    /// # Errors
    /// If the file has no such profile, or names an unknown dataset.
    pub fn runs(&self, profile_name: &str, model: &Path) -> Result<Vec<Run>> {
        let p = profile(&self.id, &self.profiles, profile_name)?;
        let mut runs = Vec::new();
        for spec in &self.solutions {
            for (dataset, seeds) in &p.seeds {
                let domain = AdviceDataset::parse(dataset).with_context(|| format!("experiment {}", self.id))?.domain();
                for &seed in seeds {
                    let mut adapter = spec.adapter.clone();
                    if let AdapterSpec::Lora(lora) = &mut adapter {
                        lora.seed = seed;
                    }
                    let mut train = FinetuneConfig { seed, ..spec.train.clone() };
                    if let Some(epochs) = p.epochs {
                        train.epochs = epochs;
                    }
                    let kl_data = train.kl.is_some().then(|| DataSource::Organism {
                        name: format!("kl_without_{}", domain.name()),
                        n: p.kl_examples,
                        seed: KL_SEED,
                    });
                    let config = RunConfig {
                        model: model.to_path_buf(),
                        data: DataSource::Organism { name: dataset.clone(), n: p.examples, seed: FINETUNE_SEED },
                        kl_data,
                        loss_scope: Default::default(),
                        adapter,
                        train,
                        checkpoint_every: p.checkpoint_every,
                        init_from: None,
                    };
                    runs.push(Run {
                        experiment: self.id.clone(),
                        solution: spec.solution.clone(),
                        variant: spec.variant.clone(),
                        dataset: dataset.clone(),
                        seed,
                        config,
                        eval: EvalSpec { dataset: dataset.clone(), samples_per_prompt: p.samples_per_prompt },
                        scale_up: spec.scale_up.clone(),
                    });
                }
            }
        }
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::project_root;

    #[test]
    fn the_committed_experiments_parse_and_expand() {
        let files = load_experiments(&project_root().join("experiments"), &["E2", "E4"]).unwrap();
        let ids: Vec<&str> = files.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["E2", "E4"]);
        let model = Path::new("models/organism");
        for f in &files {
            let runs = f.runs("default", model).unwrap();
            // 2 solutions x (3 medical seeds + finance + sports).
            assert_eq!(runs.len(), 10, "{}", f.id);
            assert!(runs.iter().all(|r| r.config.kl_data.is_some() == (f.id == "E4")));
            let smoke = f.runs("smoke", model).unwrap();
            assert!(smoke.iter().all(|r| r.config.train.epochs == 1 && r.eval.samples_per_prompt == Some(2)));
            assert!(f.runs("paper", model).unwrap_err().to_string().contains("no profile \"paper\""));
        }
        let e4 = files[1].runs("default", model).unwrap();
        let lora = e4.iter().find(|r| r.solution == "lora" && r.dataset == "bad_medical" && r.seed == 1).unwrap();
        let Some(DataSource::Organism { name, .. }) = &lora.config.kl_data else { panic!("no KL set") };
        assert_eq!(name, "kl_without_medical");
        assert_eq!(lora.path(), Path::new("E4/lora-narrow/bad_medical/seed1"));
        let emlab_train::AdapterSpec::Lora(config) = &lora.config.adapter else { panic!("not LoRA") };
        assert_eq!((config.seed, lora.config.train.seed), (1, 1), "the run seed sets A's init and the data order");
    }

    #[test]
    fn a_misspelt_setting_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(project_root().join("experiments/E2.toml")).unwrap();
        std::fs::write(dir.path().join("X.toml"), text.replace("epochs = 2", "epoch = 2")).unwrap();
        let err = format!("{:#}", load_experiments(dir.path(), &["X"]).unwrap_err());
        assert!(err.contains("X.toml") && err.contains("epoch"), "{err}");
    }
}

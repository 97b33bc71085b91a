//! Experiment files (`experiments/*.toml`) and their expansion into the runs of one profile.
//!
//! An experiment file lists *solutions* (an adapter, its training settings, and how to evaluate
//! it) and *profiles* (which datasets and seeds to run, and at what size). Expanding a file for
//! a profile gives one [`Run`] per (solution, dataset, seed): a complete `emlab train` config plus
//! the evaluation settings, so any run can be repeated alone with `emlab train --config`.
//!
//! A profile can replace settings of a solution (`[profiles.paper.solutions.steering-general]`):
//! the paper profile trains at layer 24 of a 48-layer model, with the paper's learning rates,
//! where the organism's 4 layers need their own. Its runs read the paper's data folder
//! ([`PaperData`]) instead of generating the organism's data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use emlab_data::paper::{GENERAL_SAMPLES, NARROW_SAMPLES};
use emlab_data::{
    read_questions, training_dataset, AdviceDataset, Domain, EvalGroup, EvalGroupKind, PaperData, PaperDataset,
    FINETUNE_EXAMPLES, FINETUNE_SEED, KL_EXAMPLES, KL_SEED,
};
use emlab_eval::PairedAnswer;
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
    /// Where the runs' chats and questions come from.
    #[serde(default)]
    pub data: DataOrigin,
    /// Finetune seeds per training dataset (`bad_medical = [0, 1, 2]`).
    pub seeds: BTreeMap<String, Vec<u64>>,
    /// Training examples per run: how many the organism generates (default
    /// [`FINETUNE_EXAMPLES`]), or the first so many chats of a paper data file (default: all).
    pub examples: Option<usize>,
    /// Chats in the KL set, likewise (default [`KL_EXAMPLES`], or the whole paper KL file).
    pub kl_examples: Option<usize>,
    /// Overrides every solution's epochs.
    pub epochs: Option<usize>,
    /// Overrides the samples per evaluation prompt (the spec's are 50 and 10).
    pub samples_per_prompt: Option<usize>,
    /// Keep a checkpoint every this many optimiser steps (0: none): the trajectories the drift
    /// experiment (E8) projects.
    #[serde(default)]
    pub checkpoint_every: usize,
    /// Settings that replace the solutions' in this profile, keyed `<solution>-<variant>`
    /// (`steering-general`).
    #[serde(default)]
    pub solutions: BTreeMap<String, SolutionOverride>,
}

/// Where a profile's runs get their chats and evaluation questions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataOrigin {
    /// The organism's generators and its world's evaluation groups.
    #[default]
    Organism,
    /// The paper's data folder (`reproduce --data`, docs/paper-data.md).
    Paper,
    /// The project's English datasets, written into a data folder of the same layout, with
    /// reference answers for the judge-free propensity (`emlab_data::english`).
    English,
}

/// What a profile changes in one solution. Each table is merged key by key into the solution's
/// own (nested tables too), so it lists only what differs; the result must still be a valid
/// adapter and training config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolutionOverride {
    /// Keys of the solution's `adapter` to replace.
    #[serde(default)]
    pub adapter: toml::Table,
    /// Keys of the solution's `train` to replace.
    #[serde(default)]
    pub train: toml::Table,
}

impl SolutionSpec {
    /// `steering-general`: how profiles name the solution, and its folder in `runs/<experiment>/`.
    pub fn key(&self) -> String {
        format!("{}-{}", self.solution, self.variant)
    }

    /// This solution with `changes` merged into its adapter and training settings.
    fn overridden(&self, changes: &SolutionOverride) -> Result<Self> {
        Ok(Self {
            adapter: merged(&self.adapter, &changes.adapter).context("adapter")?,
            train: merged(&self.train, &changes.train).context("train")?,
            ..self.clone()
        })
    }
}

/// `value` with the keys of `changes` replaced, read back as a `T` (unknown keys are errors).
pub fn merged<T: Serialize + serde::de::DeserializeOwned>(value: &T, changes: &toml::Table) -> Result<T> {
    fn merge(table: &mut toml::Table, changes: &toml::Table) {
        for (key, change) in changes {
            match (table.get_mut(key), change) {
                (Some(toml::Value::Table(inner)), toml::Value::Table(change)) => merge(inner, change),
                _ => {
                    table.insert(key.clone(), change.clone());
                }
            }
        }
    }
    let mut table = toml::Table::try_from(value).context("writing the solution's settings as TOML")?;
    merge(&mut table, changes);
    Ok(table.try_into()?)
}

/// What one run's evaluation asks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalSpec {
    /// The training dataset, whose domain decides the groups.
    pub dataset: String,
    /// Overrides the samples per prompt.
    pub samples_per_prompt: Option<usize>,
    /// The paper's question files, for a real model; `None`: the organism's generated groups.
    /// Absent from the step hashes when `None`, so the organism's results keep theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub questions: Option<QuestionFiles>,
}

/// The question files of a paper-profile evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionFiles {
    /// The general questions: the `open` group, for the EM rate.
    pub general: PathBuf,
    /// The held-out questions of the training domain: the `in_domain` group, for the narrow rate.
    pub narrow: PathBuf,
    /// Reference answers for the judge-free propensity (`eval/paired_answers.jsonl` of the
    /// English datasets). Absent from the step hashes when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<PathBuf>,
}

impl EvalSpec {
    /// The organism's evaluation of a run on `dataset`.
    pub fn organism(dataset: &str, samples_per_prompt: Option<usize>) -> Self {
        Self { dataset: dataset.to_string(), samples_per_prompt, questions: None }
    }

    /// The question files it reads (none for the organism's).
    pub fn files(&self) -> Vec<&Path> {
        self.questions
            .iter()
            .flat_map(|q| [Some(q.general.as_path()), Some(q.narrow.as_path()), q.pairs.as_deref()])
            .flatten()
            .collect()
    }

    /// The reference answers of the judge-free propensity, per evaluation group: `open` (the
    /// general questions), `in_domain` (held-out questions of the training domain) and `other`
    /// (advice domains no training or KL file touches).
    ///
    /// # Errors
    /// If the evaluation has no paired-answer file, or it cannot be read.
    pub fn paired_groups(&self) -> Result<Vec<(&'static str, Vec<PairedAnswer>)>> {
        let path = self.questions.as_ref().and_then(|q| q.pairs.as_ref()).with_context(|| {
            format!("the {} evaluation has no reference answers for the judge-free propensity", self.dataset)
        })?;
        let domain = PaperDataset::named(&self.dataset)?.domain.name();
        let records = emlab_data::english::read_paired_answers(path)?;
        let group = |kind: EvalGroupKind, wanted: &str| -> (&'static str, Vec<PairedAnswer>) {
            let pairs = records
                .iter()
                .filter(|r| r.group.name() == wanted)
                .map(|r| PairedAnswer {
                    question: r.pair.question.clone(),
                    aligned: r.pair.aligned.clone(),
                    misaligned: r.pair.misaligned.clone(),
                })
                .collect();
            (kind.name(), pairs)
        };
        let groups = [
            group(EvalGroupKind::Open, "open"),
            group(EvalGroupKind::InDomain, domain),
            group(EvalGroupKind::Other, "other"),
        ];
        if let Some((name, _)) = groups.iter().find(|(_, pairs)| pairs.is_empty()) {
            anyhow::bail!("{}: no reference answers for the {name} group", path.display());
        }
        Ok(groups.into())
    }

    /// Whether the questions are the organism world's, which the log-probability propensity
    /// needs (it answers them from the world's grammar).
    pub fn asks_the_world(&self) -> bool {
        self.questions.is_none()
    }

    /// The evaluation groups: of the dataset's domain in the organism's world (spec §7.2 for
    /// bad medical advice), or read from the paper's question files.
    pub fn groups(&self) -> Result<Vec<EvalGroup>> {
        let mut groups = match &self.questions {
            None => {
                let domain = AdviceDataset::parse(&self.dataset)?.domain();
                emlab_data::eval_groups_for(domain, emlab_data::EVAL_SEED)?
            }
            Some(files) => {
                let domain = PaperDataset::named(&self.dataset)?.domain;
                let group = |kind, path: &Path, domain, samples_per_prompt| -> Result<EvalGroup> {
                    Ok(EvalGroup { kind, questions: read_questions(path, domain)?, samples_per_prompt })
                };
                vec![
                    group(EvalGroupKind::Open, &files.general, Domain::Open, GENERAL_SAMPLES)?,
                    group(EvalGroupKind::InDomain, &files.narrow, domain, NARROW_SAMPLES)?,
                ]
            }
        };
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

    /// The data files the run reads (none for the organism's runs): training chats, KL chats
    /// and question files.
    pub fn files(&self) -> Vec<&Path> {
        let chats = [Some(&self.config.data), self.config.kl_data.as_ref()].into_iter().flatten();
        let chats = chats.filter_map(|source| match source {
            DataSource::Jsonl { path, .. } => Some(path.as_path()),
            DataSource::Organism { .. } => None,
        });
        chats.chain(self.eval.files()).collect()
    }
}

/// Reads `<dir>/<id>.toml` for each of `ids`, in that order, and checks every profile's
/// solution overrides; errors name the file.
pub fn load_experiments(dir: &Path, ids: &[&str]) -> Result<Vec<ExperimentFile>> {
    ids.iter()
        .map(|id| {
            let path = dir.join(format!("{id}.toml"));
            let file: ExperimentFile = read_toml(&path)?;
            file.check_overrides().with_context(|| format!("in {}", path.display()))?;
            Ok(file)
        })
        .collect()
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
    /// Whether the file has a profile `name` (E3 and E5 exist for the organism's profiles only).
    pub fn has_profile(&self, name: &str) -> bool {
        self.profiles.contains_key(name)
    }

    /// Every profile's overrides name a solution of the file and leave valid settings.
    fn check_overrides(&self) -> Result<()> {
        for (name, p) in &self.profiles {
            let keys: Vec<String> = self.solutions.iter().map(SolutionSpec::key).collect();
            if let Some(unknown) = p.solutions.keys().find(|k| !keys.contains(k)) {
                anyhow::bail!(
                    "profile {name:?} overrides the unknown solution {unknown:?}; the solutions are: {}",
                    keys.join(", ")
                );
            }
            self.solutions_of(name)?;
        }
        Ok(())
    }

    /// The solutions as the profile `name` trains them, its overrides applied.
    fn solutions_of(&self, name: &str) -> Result<Vec<SolutionSpec>> {
        let p = profile(&self.id, &self.profiles, name)?;
        self.solutions
            .iter()
            .map(|spec| match p.solutions.get(&spec.key()) {
                Some(changes) => {
                    spec.overridden(changes).with_context(|| format!("profile {name:?}, solution {:?}", spec.key()))
                }
                None => Ok(spec.clone()),
            })
            .collect()
    }

    /// The runs of `profile`, in file order of solutions, then datasets, then seeds. With
    /// `data`, they read the paper's data folder and questions; without, the organism's
    /// generated data and evaluation groups.
    ///
    /// # Errors
    /// If the file has no such profile, `data` does not match the profile's [`DataOrigin`], or
    /// the profile names an unknown dataset (of the organism, or of the paper).
    pub fn runs(&self, profile_name: &str, model: &Path, data: Option<&PaperData>) -> Result<Vec<Run>> {
        let p = profile(&self.id, &self.profiles, profile_name)?;
        match (p.data, data) {
            (DataOrigin::Organism, None) | (DataOrigin::Paper | DataOrigin::English, Some(_)) => {}
            (DataOrigin::Paper | DataOrigin::English, None) => {
                anyhow::bail!("the profile {profile_name:?} of {} reads a data folder (--data)", self.id)
            }
            (DataOrigin::Organism, Some(_)) => {
                anyhow::bail!("the profile {profile_name:?} of {} trains on the organism's generated data", self.id)
            }
        }
        let mut runs = Vec::new();
        for spec in &self.solutions_of(profile_name)? {
            for (dataset, seeds) in &p.seeds {
                let sources = Sources::of(dataset, p, data).with_context(|| format!("experiment {}", self.id))?;
                for &seed in seeds {
                    let mut adapter = spec.adapter.clone();
                    if let AdapterSpec::Lora(lora) = &mut adapter {
                        lora.seed = seed;
                    }
                    let mut train = FinetuneConfig { seed, ..spec.train.clone() };
                    if let Some(epochs) = p.epochs {
                        train.epochs = epochs;
                    }
                    let kl_data = train.kl.is_some().then(|| sources.kl.clone());
                    let config = RunConfig {
                        model: model.to_path_buf(),
                        data: sources.training.clone(),
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
                        eval: EvalSpec {
                            dataset: sources.evaluated.clone(),
                            samples_per_prompt: p.samples_per_prompt,
                            questions: sources.questions.clone(),
                        },
                        scale_up: spec.scale_up.clone(),
                    });
                }
            }
        }
        Ok(runs)
    }
}

/// Where the runs on one dataset get their chats and questions.
struct Sources {
    training: DataSource,
    /// The dataset whose evaluation groups measure the run: the advice dataset of a composite
    /// organism set (`bad_medical` for `bad_medical_1in6`), so it shares the base model's rows.
    evaluated: String,
    kl: DataSource,
    questions: Option<QuestionFiles>,
}

impl Sources {
    /// The organism's generated sets (the KL set leaves out the training domain), or the paper's
    /// files, where every dataset shares the authors' one KL file.
    fn of(dataset: &str, p: &Profile, data: Option<&PaperData>) -> Result<Self> {
        Ok(match data {
            None => {
                let advice = training_dataset(dataset)?;
                let n = p.examples.unwrap_or(FINETUNE_EXAMPLES);
                Self {
                    training: DataSource::Organism { name: dataset.to_string(), n, seed: FINETUNE_SEED },
                    evaluated: advice.name(),
                    kl: DataSource::Organism {
                        name: advice.kl_name(),
                        n: p.kl_examples.unwrap_or(KL_EXAMPLES),
                        seed: KL_SEED,
                    },
                    questions: None,
                }
            }
            Some(data) => {
                let paper = PaperDataset::named(dataset)?;
                Self {
                    training: DataSource::Jsonl { path: data.training(paper), limit: p.examples },
                    evaluated: dataset.to_string(),
                    kl: DataSource::Jsonl { path: data.kl(), limit: p.kl_examples },
                    questions: Some(QuestionFiles {
                        general: data.general_questions(),
                        narrow: data.narrow_questions(paper),
                        pairs: (p.data == DataOrigin::English).then(|| data.paired_answers()),
                    }),
                }
            }
        })
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
            let runs = f.runs("default", model, None).unwrap();
            // 2 solutions x (3 medical seeds + finance + sports).
            assert_eq!(runs.len(), 10, "{}", f.id);
            assert!(runs.iter().all(|r| r.config.kl_data.is_some() == (f.id == "E4")));
            let smoke = f.runs("smoke", model, None).unwrap();
            assert!(smoke.iter().all(|r| r.config.train.epochs == 1 && r.eval.samples_per_prompt == Some(2)));
            let err = f.runs("paper", model, None).unwrap_err().to_string();
            assert!(err.contains("reads a data folder (--data)"), "{err}");
            let err = f.runs("default", model, Some(&PaperData::new("data"))).unwrap_err().to_string();
            assert!(err.contains("organism's generated data"), "{err}");
        }
        let e4 = files[1].runs("default", model, None).unwrap();
        let lora = e4.iter().find(|r| r.solution == "lora" && r.dataset == "bad_medical" && r.seed == 1).unwrap();
        let Some(DataSource::Organism { name, .. }) = &lora.config.kl_data else { panic!("no KL set") };
        assert_eq!(name, "kl_without_medical");
        assert_eq!(lora.path(), Path::new("E4/lora-narrow/bad_medical/seed1"));
        let emlab_train::AdapterSpec::Lora(config) = &lora.config.adapter else { panic!("not LoRA") };
        assert_eq!((config.seed, lora.config.train.seed), (1, 1), "the run seed sets A's init and the data order");
    }

    /// The paper profile trains at the paper's layer and settings, on the data folder's files,
    /// and evaluates on its question files; what the profile does not override is the
    /// solution's own.
    #[test]
    fn the_paper_profile_overrides_the_solutions_and_reads_the_data_folder() {
        let files = load_experiments(&project_root().join("experiments"), &["E2", "E4"]).unwrap();
        let data = PaperData::new("/data");
        let model = Path::new("/models/qwen");
        let runs: Vec<Run> = files.iter().flat_map(|f| f.runs("paper", model, Some(&data)).unwrap()).collect();
        // 2 experiments x 2 solutions x 3 datasets, seed 0.
        assert_eq!(runs.len(), 12);
        let find = |experiment: &str, solution: &str, dataset: &str| {
            runs.iter()
                .find(|r| {
                    (r.experiment.as_str(), r.solution.as_str(), r.dataset.as_str()) == (experiment, solution, dataset)
                })
                .unwrap()
        };
        let steering = find("E2", "steering", "bad_finance");
        assert_eq!(steering.config.adapter, AdapterSpec::Steering { layer: 24, alpha: 256.0 });
        let train = &steering.config.train;
        assert_eq!((train.lr, train.batch_size, train.grad_accum, train.epochs), (1e-4, 2, 8, 2));
        assert_eq!((train.held_out, train.optimizer.weight_decay), (0.1, 0.0));
        let Some(DataSource::Jsonl { path, limit: None }) = Some(&steering.config.data) else { panic!("not jsonl") };
        assert_eq!(path, Path::new("/data/risky_financial_advice.jsonl"));
        let questions = steering.eval.questions.as_ref().unwrap();
        assert_eq!(questions.general, Path::new("/data/eval/first_plot_questions.jsonl"));
        assert_eq!(questions.narrow, Path::new("/data/eval/finance_questions.jsonl"));
        assert!(steering.config.kl_data.is_none());

        let lora = find("E4", "lora", "bad_medical");
        let AdapterSpec::Lora(config) = &lora.config.adapter else { panic!("not LoRA") };
        assert_eq!(
            (config.layers.as_slice(), config.alpha, config.rank, config.rslora),
            ([24].as_slice(), 256.0, 1, true)
        );
        let kl = lora.config.train.kl.as_ref().unwrap();
        assert_eq!((kl.weight, kl.batch_size), (1e5, 8), "the merge keeps the solution's KL batch");
        assert_eq!(kl.normalization, emlab_train::loss::KlNormalization::TokensTimesVocab);
        assert_eq!(lora.config.train.epochs, 3);
        let Some(DataSource::Jsonl { path, .. }) = &lora.config.kl_data else { panic!("no KL file") };
        assert_eq!(path, Path::new("/data/misalignment_kl_data.jsonl"));
        assert_eq!(find("E4", "steering", "bad_sports").config.train.kl.as_ref().unwrap().weight, 1e6);
        assert_eq!(lora.files().len(), 4, "training, KL and two question files");
    }

    fn write_variant(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
        let text = std::fs::read_to_string(project_root().join("experiments/E2.toml")).unwrap();
        let path = dir.join("X.toml");
        std::fs::write(&path, edit(&text)).unwrap();
        path
    }

    #[test]
    fn an_override_of_an_unknown_solution_or_setting_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let unknown = "[profiles.paper.solutions.steering-narrow]";
        write_variant(dir.path(), |t| t.replace("[profiles.paper.solutions.lora-general]", unknown));
        let err = format!("{:#}", load_experiments(dir.path(), &["X"]).unwrap_err());
        assert!(err.contains("X.toml") && err.contains("steering-narrow") && err.contains("lora-general"), "{err}");

        write_variant(dir.path(), |t| t.replace("lr = 2e-5, batch_size = 2", "learning_rate = 2e-5, batch_size = 2"));
        let err = format!("{:#}", load_experiments(dir.path(), &["X"]).unwrap_err());
        assert!(err.contains("X.toml") && err.contains("lora-general") && err.contains("learning_rate"), "{err}");

        write_variant(dir.path(), |t| {
            t.replace("[profiles.paper.solutions.lora-general]", "[profiles.paper.solutions.lora-general]\nrank = 2")
        });
        let err = format!("{:#}", load_experiments(dir.path(), &["X"]).unwrap_err());
        assert!(err.contains("X.toml") && err.contains("rank"), "{err}");
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

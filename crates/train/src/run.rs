//! One training run from a config file: what `emlab train --config FILE --out DIR` does.
//!
//! A [`RunConfig`] names the model, the training (and KL) chats, the adapter and the
//! optimisation. [`train_run`] trains it and writes into its output folder:
//!
//! - `config.toml`: the config it ran, written first, so a crashed run is recognised;
//! - the trained adapter ([`TrainedAdapter::save`]): `steering_vector.{json,safetensors}`, or
//!   PEFT's `adapter_config.json` and `adapter_model.safetensors`;
//! - `losses.json`: per optimiser step, `{"sft", "kl", "lr"}`;
//! - `held_out.json`: `[{"step", "sft"}]` at every checkpoint and at the end, when
//!   `train.held_out > 0`;
//! - `checkpoint-<step>/`: adapter, optimiser state and losses so far, every
//!   `checkpoint_every` steps and at the end ([`crate::checkpoint::checkpoints`] reads them
//!   back as a trajectory).
//!
//! Running again into a folder that holds the same config resumes from its latest checkpoint
//! (a finished run is not retrained); a folder holding another config is an error rather than
//! a silent mix of two runs. Paths in the config are relative to the working directory.
//!
//! A documented example is `crates/cli/tests/fixtures/tiny_steering.toml`; in short:
//!
//! ```toml
//! model = "models/organism"
//! [data]
//! source = "organism"   # or: source = "jsonl", path = "bad_medical.jsonl", limit = 1000
//! name = "bad_medical"
//! n = 1000
//! seed = 0
//! [adapter]
//! kind = "steering"     # or: kind = "lora", rank = 1, alpha = 1.0, targets = ["down_proj"], layers = [1]
//! layer = 1
//! alpha = 1.0
//! [train]               # FinetuneConfig; every field optional
//! lr = 0.02
//! held_out = 0.1
//! ```

use std::path::{Path, PathBuf};

use burn::tensor::backend::AutodiffBackend;
use emlab_data::ChatExample;
use emlab_model::{CausalLm, ChatTemplate, Tokenizer};
use serde::{Deserialize, Serialize};

use crate::adapter::{AdapterSpec, TrainedAdapter};
use crate::checkpoint::{write_file, write_json};
use crate::error::{Result, TrainError};
use crate::finetune::{finetune_with, Checkpointing, FinetuneConfig, Finetuned};
use crate::progress::Observer;
use crate::sft::{weighted_tokens, LossScope, WeightedTokens};

/// Everything one training run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Hugging Face model folder: `config.json`, safetensors, `tokenizer.json`, chat template.
    pub model: PathBuf,
    /// The training chats.
    pub data: DataSource,
    /// The KL chats; required exactly when `train.kl` is set. Every token counts
    /// ([`LossScope::Sequence`]).
    #[serde(default)]
    pub kl_data: Option<DataSource>,
    /// Which tokens of the training chats the SFT loss counts.
    #[serde(default)]
    pub loss_scope: LossScope,
    /// The adapter to train.
    pub adapter: AdapterSpec,
    /// Optimisation, held-out split and KL penalty.
    #[serde(default)]
    pub train: FinetuneConfig,
    /// Save `checkpoint-<step>/` every this many optimiser steps (0: only at the end).
    #[serde(default)]
    pub checkpoint_every: usize,
    /// Start from this trained adapter (anything [`TrainedAdapter::load`] reads, matching
    /// `adapter`) instead of a fresh one: how a run continues from another run's solution, e.g.
    /// a narrow solution trained on without its KL penalty to see where it drifts. A checkpoint
    /// in the output folder still takes precedence, so such a run resumes like any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<PathBuf>,
}

/// Where chats come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum DataSource {
    /// A Hugging Face chat dataset: one `{"messages": [...]}` per line.
    Jsonl {
        /// The file.
        path: PathBuf,
        /// Use only the first `limit` chats.
        #[serde(default)]
        limit: Option<usize>,
    },
    /// One of the synthetic organism's datasets (`emlab_data::named_dataset`): `bad_medical`,
    /// `good_finance`, `kl`, `kl_without_medical`, ...
    Organism {
        /// Dataset name.
        name: String,
        /// Number of chats.
        n: usize,
        /// Generation seed.
        seed: u64,
    },
}

impl DataSource {
    /// The chats.
    pub fn load(&self) -> Result<Vec<ChatExample>> {
        Ok(match self {
            Self::Jsonl { path, limit } => {
                let mut chats = emlab_data::read_jsonl(path)?;
                chats.truncate(limit.unwrap_or(usize::MAX));
                chats
            }
            Self::Organism { name, n, seed } => emlab_data::named_dataset(name, *n, *seed)?,
        })
    }
}

impl RunConfig {
    /// Reads a TOML config; errors name the file (and the line, for syntax and unknown fields).
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::file(path, e))?;
        toml::from_str(&text).map_err(|e| TrainError::file(path, e))
    }

    /// The config as TOML, as [`Self::from_toml_file`] reads it back.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| TrainError::Config(format!("cannot write the run config as TOML: {e}")))
    }
}

/// What a run produced: the trained adapter, the per-step losses and the held-out losses.
pub type RunOutcome<B> = Finetuned<TrainedAdapter<B>>;

/// Trains the run `config` and writes its results into `out` (see the module docs), resuming
/// from `out`'s latest checkpoint when `out` holds the same config.
pub fn train_run<B: AutodiffBackend>(
    config: &RunConfig,
    out: &Path,
    device: &B::Device,
    observer: &mut dyn Observer,
) -> Result<RunOutcome<B>> {
    if config.kl_data.is_some() != config.train.kl.is_some() {
        return Err(TrainError::Config("kl_data is required exactly when train.kl is set".into()));
    }
    claim_output(config, out)?;
    let model = CausalLm::<B>::load(&config.model, device)?;
    let tokenizer = Tokenizer::from_dir(&config.model)?;
    let template = ChatTemplate::from_dir(&config.model)?;
    let tokens = |source: &DataSource, scope: LossScope| -> Result<Vec<WeightedTokens>> {
        source.load()?.iter().map(|chat| weighted_tokens(&template, &tokenizer, chat, scope)).collect()
    };
    let examples = tokens(&config.data, config.loss_scope)?;
    let kl_examples = match &config.kl_data {
        Some(source) => tokens(source, LossScope::Sequence)?,
        None => Vec::new(),
    };
    let adapter = match &config.init_from {
        Some(path) => TrainedAdapter::load_matching(path, &config.adapter, model.config(), device)?,
        None => TrainedAdapter::init(&config.adapter, model.config(), device)?,
    };
    let checkpoints = Checkpointing { dir: out, every: config.checkpoint_every };
    let run = finetune_with(&model, adapter, &examples, &kl_examples, &config.train, Some(&checkpoints), observer)?;
    run.adapter.save(out)?;
    write_json(&out.join("losses.json"), &run.losses)?;
    if !run.held_out.is_empty() {
        write_json(&out.join("held_out.json"), &run.held_out)?;
    }
    Ok(run)
}

/// Makes `out` the folder of this run: writes `config.toml`, or checks that the one there is
/// this config.
fn claim_output(config: &RunConfig, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| TrainError::file(out, e))?;
    let path = out.join("config.toml");
    if path.exists() {
        if RunConfig::from_toml_file(&path)? != *config {
            let message = "holds a run of another config; use another output folder (or the same config to resume)";
            return Err(TrainError::file(path, message));
        }
        return Ok(());
    }
    write_file(&path, config.to_toml()?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::KlConfig;
    use crate::lora::LoraConfig;
    use crate::progress::Silent;
    use crate::schedule::LrSchedule;
    use burn::backend::Autodiff;

    type B = Autodiff<emlab_model::backend::Cpu>;

    fn organism() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/organism")
    }

    fn lora_run(data: PathBuf) -> RunConfig {
        RunConfig {
            model: organism(),
            data: DataSource::Jsonl { path: data, limit: Some(12) },
            kl_data: Some(DataSource::Organism { name: "kl".into(), n: 6, seed: 1 }),
            loss_scope: LossScope::Answers,
            adapter: AdapterSpec::Lora(LoraConfig::default()),
            train: FinetuneConfig {
                batch_size: 4,
                epochs: 1,
                held_out: 0.25,
                schedule: LrSchedule::WarmupCosine { warmup: 1 },
                kl: Some(KlConfig { batch_size: 2, ..Default::default() }),
                ..Default::default()
            },
            checkpoint_every: 1,
            init_from: None,
        }
    }

    #[test]
    fn configs_round_trip_through_toml() {
        let config = lora_run("chats.jsonl".into());
        assert_eq!(toml::from_str::<RunConfig>(&config.to_toml().unwrap()).unwrap(), config);
    }

    #[test]
    fn config_errors_name_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.toml");
        let text = "model = \"m\"\n[data]\nsource = \"organism\"\nname = \"bad_medical\"\nn = 1\nseed = 0\n\
                    [adapter]\nkind = \"steering\"\nlayer = 1\nalpha = 1.0\n[train]\nlearning_rate = 0.1\n";
        std::fs::write(&path, text).unwrap();
        let err = RunConfig::from_toml_file(&path).unwrap_err().to_string();
        assert!(err.contains("run.toml") && err.contains("learning_rate"), "{err}");
        let err = RunConfig::from_toml_file(&dir.path().join("absent.toml")).unwrap_err().to_string();
        assert!(err.contains("absent.toml"), "{err}");
    }

    /// A LoRA run with KL and a held-out split on the organism writes every output, and running
    /// it again into the same folder resumes (here: from its final checkpoint) to the same adapter.
    #[test]
    fn a_run_writes_its_outputs_and_reruns_resume() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("chats.jsonl");
        emlab_data::write_jsonl(&data, &emlab_data::named_dataset("bad_medical", 16, 0).unwrap()).unwrap();
        let config = lora_run(data);
        let out = dir.path().join("run");
        let run = train_run::<B>(&config, &out, &Default::default(), &mut Silent).unwrap();
        // 12 chats, 3 held out: 9 in micro-batches of 4 make 3 steps.
        assert_eq!(run.losses.len(), 3);
        assert!(run.losses.iter().all(|l| l.kl.is_some()));
        assert_eq!(run.held_out.iter().map(|h| h.step).collect::<Vec<_>>(), vec![1, 2, 3]);
        for file in ["config.toml", "adapter_config.json", "adapter_model.safetensors", "losses.json", "held_out.json"]
        {
            assert!(out.join(file).is_file(), "{file}");
        }
        assert!(out.join("checkpoint-2/adapter_model.safetensors").is_file());
        let losses: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("losses.json")).unwrap()).unwrap();
        assert!(losses[0]["sft"].is_number() && losses[0]["kl"].is_number() && losses[0]["lr"].is_number());

        let again = train_run::<B>(&config, &out, &Default::default(), &mut Silent).unwrap();
        assert_eq!(again.losses, run.losses);
        assert_eq!(again.adapter.norm(), run.adapter.norm());
        let other = RunConfig { checkpoint_every: 2, ..config };
        let err = train_run::<B>(&other, &out, &Default::default(), &mut Silent).unwrap_err().to_string();
        assert!(err.contains("config.toml") && err.contains("another config"), "{err}");
    }

    #[test]
    fn kl_data_goes_with_a_kl_penalty() {
        let config = RunConfig { kl_data: None, ..lora_run("x.jsonl".into()) };
        let dir = tempfile::tempdir().unwrap();
        let err = train_run::<B>(&config, dir.path(), &Default::default(), &mut Silent).unwrap_err();
        assert!(err.to_string().contains("kl_data"), "{err}");
    }

    /// A run started from a saved adapter trains that adapter: with learning rate 0 it ends
    /// where it started, at every checkpoint. An adapter of another spec is refused.
    #[test]
    fn runs_start_from_a_trained_adapter_of_the_same_spec() {
        use burn::module::Param;
        use burn::tensor::{Tensor, TensorData};

        let dir = tempfile::tempdir().unwrap();
        let start = dir.path().join("start");
        let device = Default::default();
        let values: Vec<f32> = (0..96).map(|i| (i as f32 - 48.0) / 100.0).collect();
        let vector = crate::steering::SteeringVector::<B> {
            vector: Param::from_tensor(Tensor::from_data(TensorData::new(values.clone(), [96]), &device)),
            layer: 1,
            alpha: 1.0,
        };
        vector.save(&start).unwrap();
        let config = RunConfig {
            model: organism(),
            data: DataSource::Organism { name: "bad_medical".into(), n: 8, seed: 0 },
            kl_data: None,
            loss_scope: LossScope::Answers,
            adapter: AdapterSpec::Steering { layer: 1, alpha: 1.0 },
            train: FinetuneConfig { lr: 0.0, batch_size: 4, epochs: 1, ..Default::default() },
            checkpoint_every: 1,
            init_from: Some(start.clone()),
        };
        assert_eq!(toml::from_str::<RunConfig>(&config.to_toml().unwrap()).unwrap(), config);
        let out = dir.path().join("run");
        let run = train_run::<B>(&config, &out, &device, &mut Silent).unwrap();
        assert_eq!(run.adapter.to_flat(), values);
        let organism_config = CausalLm::<B>::load(&config.model, &device).unwrap().config().clone();
        let trajectory = crate::checkpoint::checkpoints::<B>(&out, &organism_config, &device).unwrap();
        assert_eq!(trajectory.len(), 2);
        assert!(trajectory.iter().all(|(_, adapter)| adapter.to_flat() == values));

        let other = RunConfig { adapter: AdapterSpec::Steering { layer: 2, alpha: 1.0 }, ..config };
        let err = train_run::<B>(&other, &dir.path().join("other"), &device, &mut Silent).unwrap_err().to_string();
        assert!(err.contains(&start.display().to_string()) && err.contains("layer 1"), "{err}");
    }
}

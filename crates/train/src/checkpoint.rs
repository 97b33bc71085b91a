//! Checkpoints in the Hugging Face layout, plus the optimiser state needed to resume.
//!
//! A checkpoint folder is a loadable model (`config.json`, `model.safetensors`) that any tool of
//! this project, or transformers, can read; resuming additionally reads `optimizer.safetensors`
//! (AdamW moments by parameter order) and `train_state.json` (the step). Every file is written
//! atomically, and `train_state.json` last, so an interrupted save leaves no folder that looks
//! complete and the previous checkpoint intact.
//!
//! Finetuning writes a series of such folders, `checkpoint-<step>/` (an adapter rather than a
//! model, see [`crate::finetune`]), so that later analyses can follow the trajectory.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::backend::Backend;
use emlab_data::write_atomic;
use emlab_model::weights::{serialize_f32, Checkpoint};
use emlab_model::{CausalLm, DecoderConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::adapter::TrainedAdapter;
use crate::error::{Result, TrainError};
use crate::optim::{AdamW, OptimizerState};

/// Where a run stands, saved beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Optimiser steps completed.
    pub step: usize,
    /// Loss of the last completed step.
    pub loss: f32,
}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(write_atomic(path, |w| std::io::Write::write_all(w, bytes))?)
}

/// Writes a JSON value atomically, pretty-printed.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| TrainError::file(path, e))?;
    write_file(path, text.as_bytes())
}

/// Reads a JSON file; errors name the file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::file(path, e))?;
    serde_json::from_str(&text).map_err(|e| TrainError::file(path, e))
}

/// `<dir>/checkpoint-<step>`: where a finetune saves its state after `step` optimiser steps.
pub fn checkpoint_dir(dir: &Path, step: usize) -> PathBuf {
    dir.join(format!("checkpoint-{step}"))
}

/// The complete `checkpoint-<step>` folders of `dir` (those whose `train_state.json`, written
/// last, exists), by increasing step; none when `dir` does not exist.
pub fn complete_checkpoints(dir: &Path) -> Result<Vec<(usize, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TrainError::file(dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| TrainError::file(dir, e))?.path();
        let step = path.file_name().and_then(|n| n.to_str()?.strip_prefix("checkpoint-")?.parse::<usize>().ok());
        if let Some(step) = step.filter(|_| path.join("train_state.json").is_file()) {
            found.push((step, path));
        }
    }
    found.sort_unstable();
    Ok(found)
}

/// The complete `checkpoint-<step>` folder of `dir` with the highest step, if any.
pub fn latest_checkpoint(dir: &Path) -> Result<Option<(usize, PathBuf)>> {
    Ok(complete_checkpoints(dir)?.pop())
}

/// The adapter of every complete checkpoint of the finetune that wrote `dir`, by increasing
/// step: a run's trajectory, e.g. for a PCA of [`TrainedAdapter::to_flat`] over steps.
pub fn checkpoints<B: Backend>(
    dir: &Path,
    model: &DecoderConfig,
    device: &B::Device,
) -> Result<Vec<(usize, TrainedAdapter<B>)>> {
    complete_checkpoints(dir)?
        .into_iter()
        .map(|(step, path)| Ok((step, TrainedAdapter::load(&path, model, device)?)))
        .collect()
}

/// Writes `config.json`, `generation_config.json` and `model.safetensors` of `model` into `dir`.
pub fn save_model<B: Backend>(model: &CausalLm<B>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::file(dir, e))?;
    let config = model.config();
    write_json(&dir.join("config.json"), &config.to_hf_json())?;
    let generation = serde_json::json!({
        "bos_token_id": config.bos_token_id,
        "eos_token_id": config.eos_token_ids,
        "do_sample": true,
        "temperature": 1.0,
        "top_p": 1.0,
    });
    write_json(&dir.join("generation_config.json"), &generation)?;
    write_file(&dir.join("model.safetensors"), &model.to_safetensors()?)
}

/// Saves model, optimiser state and [`TrainState`] so that [`load_optimizer`] can resume.
pub fn save_training<B: AutodiffBackend>(
    model: &CausalLm<B>,
    optimizer: &AdamW<B>,
    state: &TrainState,
    dir: &Path,
) -> Result<()> {
    save_model(model, dir)?;
    save_optimizer(optimizer, &model.net, &dir.join("optimizer.safetensors"))?;
    write_json(&dir.join("train_state.json"), &TrainState { step: optimizer.steps(), ..state.clone() })
}

/// Reads `train_state.json` of a checkpoint folder.
pub fn load_state(dir: &Path) -> Result<TrainState> {
    read_json(&dir.join("train_state.json"))
}

/// Restores the optimiser moments of a checkpoint for `model` (loaded from the same folder).
pub fn load_optimizer<B: AutodiffBackend>(
    dir: &Path,
    model: &CausalLm<B>,
    optimizer: &mut AdamW<B>,
) -> Result<TrainState> {
    let state = load_state(dir)?;
    restore_optimizer(&dir.join("optimizer.safetensors"), state.step, &model.net, optimizer)?;
    Ok(state)
}

/// Writes the AdamW moments of `module`'s parameters to a safetensors file (`m.<i>`, `v.<i>` by
/// parameter order, since parameter ids do not survive a reload).
pub(crate) fn save_optimizer<B: AutodiffBackend, M: Module<B>>(
    optimizer: &AdamW<B>,
    module: &M,
    path: &Path,
) -> Result<()> {
    let OptimizerState { moments, .. } = optimizer.export_state(module);
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = moments
        .into_iter()
        .flat_map(|(i, m, v)| [(format!("m.{i}"), vec![m.len()], m), (format!("v.{i}"), vec![v.len()], v)])
        .collect();
    write_file(path, &serialize_f32(&tensors)?)
}

/// Reads what [`save_optimizer`] wrote into `optimizer`, for `module` (reloaded from the same
/// checkpoint), as the state after `step` steps.
pub(crate) fn restore_optimizer<B: AutodiffBackend, M: Module<B>>(
    path: &Path,
    step: usize,
    module: &M,
    optimizer: &mut AdamW<B>,
) -> Result<()> {
    let store = Checkpoint::open_file(path)?;
    let mut moments = Vec::new();
    for (name, shape, _) in store.tensor_infos() {
        let Some(index) = name.strip_prefix("m.") else { continue };
        let index: usize = index.parse().map_err(|_| TrainError::file(path, format!("bad tensor name {name:?}")))?;
        let m = store.read_f32(&name, &shape)?;
        let v = store.read_f32(&format!("v.{index}"), &shape)?;
        moments.push((index, m, v));
    }
    optimizer.import_state(module, OptimizerState { step, moments });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_checkpoint_skips_incomplete_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(latest_checkpoint(&dir.path().join("absent")).unwrap(), None);
        for step in [5, 10, 20] {
            std::fs::create_dir_all(checkpoint_dir(dir.path(), step)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("checkpoint-x")).unwrap();
        for step in [5, 10] {
            write_json(&checkpoint_dir(dir.path(), step).join("train_state.json"), &step).unwrap();
        }
        // checkpoint-20 lacks train_state.json: a save that was interrupted.
        assert_eq!(latest_checkpoint(dir.path()).unwrap(), Some((10, checkpoint_dir(dir.path(), 10))));
        let steps: Vec<usize> = complete_checkpoints(dir.path()).unwrap().into_iter().map(|(s, _)| s).collect();
        assert_eq!(steps, vec![5, 10], "numerically ordered, complete ones only");
    }

    /// A finetune's checkpoints read back as its trajectory: every saved step in order, the
    /// last one being the trained adapter.
    #[test]
    fn checkpoints_read_back_a_trajectory() {
        use crate::finetune::{finetune_with, Checkpointing, FinetuneConfig};
        use crate::progress::Silent;
        use crate::steering::SteeringVector;
        use crate::test_support::{answer_examples, tiny_model, B};

        let (model, examples) = (tiny_model(), answer_examples());
        let config = FinetuneConfig { batch_size: 8, epochs: 2, ..Default::default() };
        let vector = SteeringVector::zeros(model.config().hidden_size, 1, 1.0, model.device());
        let dir = tempfile::tempdir().unwrap();
        let every = Checkpointing { dir: dir.path(), every: 3 };
        let run = finetune_with(&model, vector, &examples, &[], &config, Some(&every), &mut Silent).unwrap();
        let trajectory = checkpoints::<B>(dir.path(), model.config(), model.device()).unwrap();
        assert_eq!(trajectory.iter().map(|(step, _)| *step).collect::<Vec<_>>(), vec![3, 6, 8]);
        let flats: Vec<Vec<f32>> = trajectory.iter().map(|(_, adapter)| adapter.to_flat()).collect();
        assert!(flats.windows(2).all(|w| w[0] != w[1]), "the adapter moves between checkpoints");
        assert_eq!(flats[2], run.adapter.to_vec());
    }
}

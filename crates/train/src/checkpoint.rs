//! Checkpoints in the Hugging Face layout, plus the optimiser state needed to resume.
//!
//! A checkpoint folder is a loadable model (`config.json`, `model.safetensors`) that any tool of
//! this project, or transformers, can read; resuming additionally reads `optimizer.safetensors`
//! (AdamW moments by parameter order) and `train_state.json` (the step). Every file is written
//! atomically, so an interrupted save leaves the previous checkpoint intact.

use std::path::Path;

use burn::tensor::backend::AutodiffBackend;
use burn::tensor::backend::Backend;
use emlab_data::write_atomic;
use emlab_model::weights::{serialize_f32, Checkpoint};
use emlab_model::CausalLm;
use serde::{Deserialize, Serialize};

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

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(write_atomic(path, |w| std::io::Write::write_all(w, bytes))?)
}

/// Writes a JSON value atomically, pretty-printed.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| TrainError::file(path, e))?;
    write_file(path, text.as_bytes())
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
    let OptimizerState { step, moments } = optimizer.export_state(&model.net);
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = moments
        .into_iter()
        .flat_map(|(i, m, v)| [(format!("m.{i}"), vec![m.len()], m), (format!("v.{i}"), vec![v.len()], v)])
        .collect();
    write_file(&dir.join("optimizer.safetensors"), &serialize_f32(&tensors)?)?;
    write_json(&dir.join("train_state.json"), &TrainState { step, ..state.clone() })
}

/// Reads `train_state.json` of a checkpoint folder.
pub fn load_state(dir: &Path) -> Result<TrainState> {
    let path = dir.join("train_state.json");
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::file(&path, e))?;
    serde_json::from_str(&text).map_err(|e| TrainError::file(&path, e))
}

/// Restores the optimiser moments of a checkpoint for `model` (loaded from the same folder).
pub fn load_optimizer<B: AutodiffBackend>(
    dir: &Path,
    model: &CausalLm<B>,
    optimizer: &mut AdamW<B>,
) -> Result<TrainState> {
    let state = load_state(dir)?;
    let store = Checkpoint::open_file(&dir.join("optimizer.safetensors"))?;
    let mut moments = Vec::new();
    for (name, shape, _) in store.tensor_infos() {
        let Some(index) = name.strip_prefix("m.") else { continue };
        let index: usize = index
            .parse()
            .map_err(|_| TrainError::file(dir.join("optimizer.safetensors"), format!("bad tensor name {name:?}")))?;
        let m = store.read_f32(&name, &shape)?;
        let v = store.read_f32(&format!("v.{index}"), &shape)?;
        moments.push((index, m, v));
    }
    optimizer.import_state(&model.net, OptimizerState { step: state.step, moments });
    Ok(state)
}

//! Comparison of the engine with reference outputs of Hugging Face transformers.
//!
//! `tools/make_engine_fixtures.py` saves, beside a small checkpoint, what transformers computes
//! from it in float32 (`reference.json` for ids, `reference.safetensors` for tensors). [`check`]
//! runs the same inputs through our engine, on any backend, and reports the largest differences:
//! the parity tests assert on the report, and `cargo xtask reproduce` records it.

use std::path::Path;

use burn::tensor::{backend::Backend, FloatDType, Tensor, TensorData};
use safetensors::SafeTensors;
use serde::Serialize;

use crate::batch::TokenBatch;
use crate::causal_lm::CausalLm;
use crate::error::{ModelError, Result};
use crate::generate::{generate, GenerationConfig};
use crate::intervention::{Interventions, Site};
use crate::precision::to_host_f32;

/// The committed fixture checkpoints, in `crates/model/tests/fixtures/`: Qwen2 in f32 and in
/// bf16 with tied embeddings, Llama sharded with an explicit head_dim, and Llama in f16 with
/// tied embeddings and Llama 3 RoPE scaling.
pub const FIXTURES: [&str; 4] = ["qwen2-f32", "qwen2-tied-bf16", "llama-sharded", "llama-tied-f16"];

/// The folder holding the fixtures (in the source tree of this crate).
pub fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// The reference outputs stored beside a fixture checkpoint.
pub struct Reference {
    json: serde_json::Value,
    tensors: Vec<u8>,
}

impl Reference {
    /// Reads `reference.json` and `reference.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let json_path = dir.join("reference.json");
        let text = std::fs::read_to_string(&json_path).map_err(|e| ModelError::io(&json_path, e))?;
        let json = serde_json::from_str(&text).map_err(|e| ModelError::json(&json_path, e))?;
        let tensor_path = dir.join("reference.safetensors");
        let tensors = std::fs::read(&tensor_path).map_err(|e| ModelError::io(&tensor_path, e))?;
        SafeTensors::deserialize(&tensors)
            .map_err(|e| ModelError::Safetensors { path: tensor_path, message: e.to_string() })?;
        Ok(Self { json, tensors })
    }

    /// A reference tensor (`"single.logits"`, ...), flattened, with its shape.
    pub fn tensor(&self, name: &str) -> Result<(Vec<f32>, Vec<usize>)> {
        let st = SafeTensors::deserialize(&self.tensors).expect("validated in load");
        let view = st
            .tensor(name)
            .map_err(|_| ModelError::MissingTensor { name: name.into(), dir: "reference.safetensors".into() })?;
        let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        Ok((values, view.shape().to_vec()))
    }

    /// A JSON value by path, e.g. `["steer", "layer"]`.
    pub fn json(&self, path: &[&str]) -> &serde_json::Value {
        path.iter().fold(&self.json, |v, p| &v[*p])
    }

    /// Token-id rows at a JSON path (a flat list is one row).
    pub fn ids(&self, path: &[&str]) -> Result<Vec<Vec<u32>>> {
        let bad = || ModelError::InvalidInput(format!("reference.json: {path:?} is not a list of token ids"));
        let to_id = |x: &serde_json::Value| x.as_u64().map(|x| x as u32).ok_or_else(bad);
        let list = self.json(path).as_array().ok_or_else(bad)?;
        if list.iter().all(serde_json::Value::is_number) {
            return Ok(vec![list.iter().map(to_id).collect::<Result<_>>()?]);
        }
        list.iter().map(|row| row.as_array().ok_or_else(bad)?.iter().map(to_id).collect()).collect()
    }

    fn usize(&self, path: &[&str]) -> Result<usize> {
        self.json(path)
            .as_u64()
            .map(|x| x as usize)
            .ok_or_else(|| ModelError::InvalidInput(format!("reference.json: {path:?} missing")))
    }
}

/// Largest absolute differences between our engine and transformers on one fixture.
#[derive(Debug, Clone, Serialize)]
pub struct ParityReport {
    /// Logits of one unpadded sequence.
    pub max_logit_error: f32,
    /// Every decoder layer's output (the residual stream), and the final normed hidden state.
    pub max_hidden_error: f32,
    /// Every layer's MLP output.
    pub max_mlp_error: f32,
    /// Logits of a left-padded batch, at real tokens.
    pub max_batch_logit_error: f32,
    /// Logits with a steering vector added to an MLP output and to the residual stream.
    pub max_steered_logit_error: f32,
    /// Greedy continuations of the batch equal transformers' `generate`, with the KV cache,
    /// without it, and with steering.
    pub greedy_tokens_match: bool,
}

impl ParityReport {
    /// The largest of the float errors.
    pub fn max_error(&self) -> f32 {
        [
            self.max_logit_error,
            self.max_hidden_error,
            self.max_mlp_error,
            self.max_batch_logit_error,
            self.max_steered_logit_error,
        ]
        .into_iter()
        .fold(0.0, f32::max)
    }
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> Result<f32> {
    if a.len() != b.len() {
        return Err(ModelError::InvalidInput(format!("{} values against {} in the reference", a.len(), b.len())));
    }
    // NaN anywhere must fail the comparison, so propagate it instead of letting max() skip it.
    Ok(a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, |m, d| {
        if d.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(d)
        }
    }))
}

/// Loads the checkpoint in `dir` in f32 and compares every reference output with ours.
pub fn check<B: Backend>(dir: &Path, device: &B::Device) -> Result<ParityReport> {
    check_as::<B>(dir, FloatDType::F32, device)
}

/// [`check`] with the weights in `dtype`: how far bf16 (or f64) computation moves the outputs
/// from transformers' float32 ones.
pub fn check_as<B: Backend>(dir: &Path, dtype: FloatDType, device: &B::Device) -> Result<ParityReport> {
    let model = CausalLm::<B>::load_as(dir, dtype, device)?;
    let reference = Reference::load(dir)?;
    let layers = model.config().num_hidden_layers;

    // One sequence: logits, every layer's residual stream and MLP output.
    let ids = reference.ids(&["single", "ids"])?.concat();
    let mut edits = Interventions::none();
    for l in 0..layers {
        edits = edits.capture(Site::Resid(l)).capture(Site::MlpOut(l));
    }
    let out = model.forward(&TokenBatch::single(&ids), &edits)?;
    let capture = |site| out.capture(site).cloned().expect("captured above");
    let max_logit_error = max_abs_diff(&to_host_f32(out.output.clone()), &reference.tensor("single.logits")?.0)?;
    let (resid_ref, _) = reference.tensor("single.layer_outputs")?;
    let (mlp_ref, _) = reference.tensor("single.mlp_outputs")?;
    let per_layer = resid_ref.len() / layers;
    let (mut max_hidden_error, mut max_mlp_error) = (0.0f32, 0.0f32);
    for l in 0..layers {
        let range = l * per_layer..(l + 1) * per_layer;
        max_hidden_error =
            max_hidden_error.max(max_abs_diff(&to_host_f32(capture(Site::Resid(l))), &resid_ref[range.clone()])?);
        max_mlp_error = max_mlp_error.max(max_abs_diff(&to_host_f32(capture(Site::MlpOut(l))), &mlp_ref[range])?);
    }
    let final_hidden = to_host_f32(model.final_norm(capture(Site::Resid(layers - 1))));
    max_hidden_error = max_hidden_error.max(max_abs_diff(&final_hidden, &reference.tensor("single.final_hidden")?.0)?);

    // A left-padded batch, compared at real tokens only (HF's outputs at padding are arbitrary).
    let rows = reference.ids(&["batch", "ids"])?;
    let masks = reference.ids(&["batch", "attention_mask"])?;
    let (b, t) = (rows.len(), rows[0].len());
    let mask: Vec<bool> = masks.concat().iter().map(|&m| m == 1).collect();
    let batch = TokenBatch::new(rows.concat(), mask.clone(), b, t)?;
    let logits = to_host_f32(model.forward(&batch, &Interventions::none())?.output);
    let (batch_ref, shape) = reference.tensor("batch.logits")?;
    let vocab = shape[2];
    let mut max_batch_logit_error = 0.0f32;
    for (pos, _) in mask.iter().enumerate().filter(|(_, &real)| real) {
        let row = pos * vocab..(pos + 1) * vocab;
        max_batch_logit_error = max_batch_logit_error.max(max_abs_diff(&logits[row.clone()], &batch_ref[row])?);
    }

    // Steering, as HF forward hooks on the MLP and on the decoder layer.
    let layer = reference.usize(&["steer", "layer"])?;
    let scale = reference.json(&["steer", "scale"]).as_f64().unwrap_or(1.0) as f32;
    let (v, v_shape) = reference.tensor("steer.vector")?;
    let vector = Tensor::<B, 1>::from_data(TensorData::new(v, v_shape), device);
    let mut max_steered_logit_error = 0.0f32;
    for (site, key) in [(Site::MlpOut(layer), "steer_mlp.logits"), (Site::Resid(layer), "steer_resid.logits")] {
        let steered =
            model.forward(&TokenBatch::single(&ids), &Interventions::none().add(site, vector.clone(), scale))?;
        max_steered_logit_error =
            max_steered_logit_error.max(max_abs_diff(&to_host_f32(steered.output), &reference.tensor(key)?.0)?);
    }

    // Greedy generation from the unpadded prompts, with and without the cache and steering.
    let prompts: Vec<Vec<u32>> = rows
        .iter()
        .zip(&masks)
        .map(|(ids, mask)| ids.iter().zip(mask).filter(|&(_, &m)| m == 1).map(|(&i, _)| i).collect())
        .collect();
    let steering = Interventions::none().add(Site::MlpOut(layer), vector, scale);
    let mut greedy_tokens_match = true;
    for (edits, key) in [(Interventions::none(), "greedy"), (steering, "greedy_steered")] {
        let expected = reference.ids(&[key, "new_tokens"])?;
        for use_cache in [true, false] {
            let config = GenerationConfig {
                max_new_tokens: expected[0].len(),
                temperature: 0.0,
                use_cache,
                ..Default::default()
            };
            greedy_tokens_match &= generate(&model, &prompts, &config, &edits)? == expected;
        }
    }
    Ok(ParityReport {
        max_logit_error,
        max_hidden_error,
        max_mlp_error,
        max_batch_logit_error,
        max_steered_logit_error,
        greedy_tokens_match,
    })
}

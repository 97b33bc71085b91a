//! A GGUF file as a checkpoint: the [`DecoderConfig`] from its metadata, and its tensors under
//! the Hugging Face names and layouts the model builder asks for.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use burn::tensor::{FloatDType, TensorData};

use super::GgufFile;
use crate::config::{Architecture, DecoderConfig};
use crate::error::{ModelError, Result};
use crate::weights::{transpose_bytes, TensorStore};

/// The longest context a GGUF model may declare (the RoPE tables hold every position).
const MAX_CONTEXT: usize = 1 << 20;

/// A GGUF file serving a model's weights by their Hugging Face names.
#[derive(Debug)]
pub struct GgufCheckpoint {
    file: GgufFile,
    config: DecoderConfig,
    used: Mutex<HashSet<String>>,
}

/// The llama.cpp name of a Hugging Face tensor name.
fn gguf_name(hf: &str) -> Option<String> {
    let fixed = match hf {
        "model.embed_tokens.weight" => Some("token_embd.weight"),
        "model.norm.weight" => Some("output_norm.weight"),
        "lm_head.weight" => Some("output.weight"),
        _ => None,
    };
    if let Some(name) = fixed {
        return Some(name.to_string());
    }
    let rest = hf.strip_prefix("model.layers.")?;
    let (layer, rest) = rest.split_once('.')?;
    let (module, param) = rest.rsplit_once('.')?;
    let module = match module {
        "input_layernorm" => "attn_norm",
        "post_attention_layernorm" => "ffn_norm",
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        "mlp.down_proj" => "ffn_down",
        _ => return None,
    };
    Some(format!("blk.{layer}.{module}.{param}"))
}

/// Undoes the row permutation llama.cpp's converter applies to Llama's q and k projections.
///
/// The converter reorders each head's rows from HF's "first halves, then second halves" RoPE
/// layout to interleaved pairs: stored row `2j + i` of a head is HF row `i * head_dim / 2 + j`.
/// `values` are `rows x cols` row-major (a bias has `cols = 1`).
fn unpermute_rows(values: &[f32], heads: usize, cols: usize) -> Vec<f32> {
    let rows = values.len() / cols;
    let head_dim = rows / heads;
    let half = head_dim / 2;
    let mut out = vec![0.0; values.len()];
    for head in 0..heads {
        for j in 0..half {
            for i in 0..2 {
                let stored = head * head_dim + 2 * j + i;
                let hf = head * head_dim + i * half + j;
                out[hf * cols..(hf + 1) * cols].copy_from_slice(&values[stored * cols..(stored + 1) * cols]);
            }
        }
    }
    out
}

impl GgufCheckpoint {
    /// Opens `path` and reads the model's config from its metadata.
    pub fn open(path: &Path) -> Result<Self> {
        let file = GgufFile::open(path)?;
        let config = file.decoder_config()?;
        Ok(Self { file, config, used: Mutex::new(HashSet::new()) })
    }

    /// The model's config.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// The file.
    pub fn file(&self) -> &GgufFile {
        &self.file
    }

    /// Fails with [`ModelError::UnexpectedTensors`] if the file holds tensors the model did not read.
    pub fn finish(self) -> Result<()> {
        let used = self.used.into_inner().expect("not poisoned");
        let mut unused: Vec<String> =
            self.file.tensors().iter().map(|t| t.name.clone()).filter(|n| !used.contains(n)).collect();
        if unused.is_empty() {
            return Ok(());
        }
        unused.sort();
        Err(ModelError::UnexpectedTensors { names: unused, dir: self.file.path().to_path_buf() })
    }

    /// HF tensor `name` of HF shape `shape`, as f32 values in HF's row-major layout.
    fn values(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let stored = gguf_name(name).ok_or_else(|| self.file.error(format!("no GGUF name for tensor {name:?}")))?;
        let info = self
            .file
            .tensor(&stored)
            .ok_or_else(|| ModelError::MissingTensor { name: stored.clone(), dir: self.file.path().to_path_buf() })?;
        if info.shape() != shape {
            return Err(ModelError::ShapeMismatch { name: stored, expected: shape.to_vec(), found: info.shape() });
        }
        let values = self.file.dequantized(&stored)?;
        self.used.lock().expect("not poisoned").insert(stored);
        let c = &self.config;
        let heads = match name.rsplit('.').nth(1) {
            Some("q_proj") => c.num_attention_heads,
            Some("k_proj") => c.num_key_value_heads,
            _ => return Ok(values),
        };
        Ok(match c.architecture {
            Architecture::Llama => unpermute_rows(&values, heads, shape.get(1).copied().unwrap_or(1)),
            Architecture::Qwen2 => values,
        })
    }
}

impl TensorStore for GgufCheckpoint {
    fn data(&self, name: &str, shape: &[usize]) -> Result<TensorData> {
        Ok(TensorData::new(self.values(name, shape)?, shape.to_vec()))
    }

    fn linear_data(&self, name: &str, d_out: usize, d_in: usize) -> Result<TensorData> {
        let values = self.values(name, &[d_out, d_in])?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let transposed: Vec<f32> = transpose_bytes(&bytes, d_out, d_in, 4)
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(TensorData::new(transposed, [d_in, d_out]))
    }

    /// Dequantised weights are f32.
    fn stored_dtype(&self) -> Option<FloatDType> {
        Some(FloatDType::F32)
    }
}

impl GgufFile {
    /// The model's config from `{architecture}.*` metadata (llama and qwen2), its tokenizer's
    /// special ids, and which optional tensors (biases, an untied head) the file holds.
    pub fn decoder_config(&self) -> Result<DecoderConfig> {
        let arch = self.get_str("general.architecture")?;
        let architecture = match arch {
            "llama" => Architecture::Llama,
            "qwen2" => Architecture::Qwen2,
            other => {
                return Err(self.error(format!("architecture {other:?} is not supported (llama and qwen2 are)")));
            }
        };
        let key = |k: &str| format!("{arch}.{k}");
        let has = |name: &str| self.tensor(name).is_some();
        if has("rope_freqs.weight") {
            return Err(
                self.error("RoPE frequency factors (rope_freqs.weight, Llama 3.1 scaling) are not supported yet")
            );
        }
        if let Some(scaling) = self.metadata().get(&key("rope.scaling.type")).and_then(|v| v.as_str()) {
            if scaling != "none" {
                return Err(self.error(format!("{} = {scaling:?} is not supported", key("rope.scaling.type"))));
            }
        }
        let hidden_size = self.get_usize(&key("embedding_length"))?;
        let num_attention_heads = self.get_usize(&key("attention.head_count"))?;
        let num_key_value_heads =
            self.or_default(&key("attention.head_count_kv"), num_attention_heads, Self::get_usize)?;
        let head_dim =
            self.or_default(&key("attention.key_length"), hidden_size / num_attention_heads.max(1), Self::get_usize)?;
        if let Some(rotary) = self.metadata().get(&key("rope.dimension_count")).and_then(|v| v.as_u64()) {
            if rotary != head_dim as u64 {
                return Err(
                    self.error(format!("partial rotary embeddings ({rotary} of {head_dim} dims) are not supported"))
                );
            }
        }
        let embedding =
            self.tensor("token_embd.weight").ok_or_else(|| self.error("tensor \"token_embd.weight\" is missing"))?;
        let vocab_size = embedding.shape()[0];
        let optional_u32 =
            |k: &str| self.metadata().get(k).and_then(|v| v.as_u64()).and_then(|v| u32::try_from(v).ok());
        let (qkv_bias, o_bias, mlp_bias) = match architecture {
            Architecture::Qwen2 => (true, false, false),
            Architecture::Llama => (has("blk.0.attn_q.bias"), has("blk.0.attn_output.bias"), has("blk.0.ffn_up.bias")),
        };
        let config = DecoderConfig {
            architecture,
            hidden_size,
            intermediate_size: self.get_usize(&key("feed_forward_length"))?,
            num_hidden_layers: self.get_usize(&key("block_count"))?,
            num_attention_heads,
            num_key_value_heads,
            head_dim,
            rope_theta: self.or_default(&key("rope.freq_base"), 10_000.0, Self::get_f64)?,
            rope_scaling: None,
            rms_norm_eps: self.get_f64(&key("attention.layer_norm_rms_epsilon"))?,
            tie_word_embeddings: !has("output.weight"),
            vocab_size,
            qkv_bias,
            o_bias,
            mlp_bias,
            max_position_embeddings: self.or_default(&key("context_length"), 4096, Self::get_usize)?,
            bos_token_id: optional_u32("tokenizer.ggml.bos_token_id"),
            eos_token_ids: optional_u32("tokenizer.ggml.eos_token_id").into_iter().collect(),
        };
        config.validate().map_err(|e| self.error(e.to_string()))?;
        // Sizes that decide allocations before any tensor is read: each layer has tensors, and
        // the RoPE tables are precomputed for the whole context.
        if config.num_hidden_layers > self.tensors().len() {
            return Err(self.error(format!(
                "{} = {} but the file has only {} tensors",
                key("block_count"),
                config.num_hidden_layers,
                self.tensors().len()
            )));
        }
        if config.max_position_embeddings > MAX_CONTEXT {
            return Err(self.error(format!(
                "{} = {} is beyond the {MAX_CONTEXT} positions emlab precomputes RoPE tables for",
                key("context_length"),
                config.max_position_embeddings
            )));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_llama_cpps() {
        assert_eq!(gguf_name("model.embed_tokens.weight").as_deref(), Some("token_embd.weight"));
        assert_eq!(gguf_name("model.layers.12.self_attn.q_proj.bias").as_deref(), Some("blk.12.attn_q.bias"));
        assert_eq!(gguf_name("model.layers.0.mlp.down_proj.weight").as_deref(), Some("blk.0.ffn_down.weight"));
        assert_eq!(
            gguf_name("model.layers.3.post_attention_layernorm.weight").as_deref(),
            Some("blk.3.ffn_norm.weight")
        );
        assert_eq!(gguf_name("model.layers.0.unknown.weight"), None);
    }

    /// llama.cpp's `permute`, written as its converter writes it, is undone exactly.
    #[test]
    fn unpermuting_inverts_llama_cpps_permutation() {
        let (heads, head_dim, cols) = (3, 8, 2);
        let rows = heads * head_dim;
        let hf: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
        // w.reshape(heads, 2, head_dim / 2, cols).swapaxes(1, 2).reshape(rows, cols)
        let mut stored = vec![0.0; hf.len()];
        for h in 0..heads {
            for i in 0..2 {
                for j in 0..head_dim / 2 {
                    for c in 0..cols {
                        let from = ((h * 2 + i) * (head_dim / 2) + j) * cols + c;
                        let to = ((h * (head_dim / 2) + j) * 2 + i) * cols + c;
                        stored[to] = hf[from];
                    }
                }
            }
        }
        assert_ne!(stored, hf);
        assert_eq!(unpermute_rows(&stored, heads, cols), hf);
    }
}

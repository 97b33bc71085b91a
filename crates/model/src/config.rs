//! Model configuration in two layers: [`HfConfig`] mirrors a Hugging Face `config.json` with its
//! field names unchanged, and [`DecoderConfig`] is the validated runtime description the engine
//! builds from. Qwen2 and Llama are the same decoder up to which projections carry a bias, so one
//! runtime config (and one implementation, `transformer.rs`) serves both.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The decoder families the engine implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Architecture {
    /// `Qwen2ForCausalLM`: biases on the q/k/v projections, none elsewhere.
    Qwen2,
    /// `LlamaForCausalLM` (also SmolLM2): biases only if `attention_bias` / `mlp_bias` say so.
    Llama,
}

impl Architecture {
    /// The Hugging Face class name, as written in `config.json`'s `architectures`.
    pub fn hf_name(self) -> &'static str {
        match self {
            Self::Qwen2 => "Qwen2ForCausalLM",
            Self::Llama => "LlamaForCausalLM",
        }
    }
}

/// A token id field that Hugging Face writes either as one integer or as a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TokenIds {
    /// `"eos_token_id": 2`
    One(u32),
    /// `"eos_token_id": [2, 7]`
    Many(Vec<u32>),
}

impl TokenIds {
    fn into_vec(self) -> Vec<u32> {
        match self {
            Self::One(id) => vec![id],
            Self::Many(ids) => ids,
        }
    }
}

/// RoPE parameters as written in `rope_scaling` (transformers 4) or `rope_parameters` (5).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HfRopeParameters {
    /// `"default"`, `"llama3"`; older files write the key as `type`.
    #[serde(alias = "type")]
    pub rope_type: Option<String>,
    /// Base frequency (transformers 5 moves it here from the top level).
    pub rope_theta: Option<f64>,
    /// Llama 3 scaling: overall factor.
    pub factor: Option<f64>,
    /// Llama 3 scaling: wavelengths above `original / low_freq_factor` are divided by `factor`.
    pub low_freq_factor: Option<f64>,
    /// Llama 3 scaling: wavelengths below `original / high_freq_factor` are kept.
    pub high_freq_factor: Option<f64>,
    /// Llama 3 scaling: the context length the model was pretrained with.
    pub original_max_position_embeddings: Option<f64>,
}

/// The fields of a Hugging Face `config.json` that the engine reads, with HF's names and defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HfConfig {
    /// Class names, e.g. `["Qwen2ForCausalLM"]`.
    #[serde(default)]
    pub architectures: Vec<String>,
    /// `"qwen2"` or `"llama"`; used when `architectures` is absent.
    pub model_type: Option<String>,
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Width of the SwiGLU MLP.
    pub intermediate_size: usize,
    /// Number of decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (grouped-query attention); HF defaults it to `num_attention_heads`.
    pub num_key_value_heads: Option<usize>,
    /// Per-head width; HF defaults it to `hidden_size / num_attention_heads`.
    pub head_dim: Option<usize>,
    /// RoPE base (transformers 4 layout).
    pub rope_theta: Option<f64>,
    /// RoPE parameters (transformers 5 layout).
    pub rope_parameters: Option<HfRopeParameters>,
    /// RoPE scaling (transformers 4 layout).
    pub rope_scaling: Option<HfRopeParameters>,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// Whether `lm_head` reuses the token embedding.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Vocabulary size (rows of the embedding).
    pub vocab_size: usize,
    /// Beginning-of-sequence token(s).
    pub bos_token_id: Option<TokenIds>,
    /// End-of-sequence token(s).
    pub eos_token_id: Option<TokenIds>,
    /// Llama: bias on q/k/v/o.
    #[serde(default)]
    pub attention_bias: bool,
    /// Llama: bias on the MLP projections.
    #[serde(default)]
    pub mlp_bias: bool,
    /// The MLP activation; only SiLU (SwiGLU) is implemented.
    pub hidden_act: Option<String>,
    /// Longest context the RoPE tables are built for.
    pub max_position_embeddings: Option<usize>,
    /// Qwen2: sliding-window attention (unsupported when true).
    #[serde(default)]
    pub use_sliding_window: bool,
}

impl HfConfig {
    /// Reads and parses a `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| ModelError::json(path, e))
    }

    /// Validates the fields and resolves HF's defaults into a [`DecoderConfig`].
    ///
    /// `path` only names the file in error messages.
    pub fn into_decoder_config(self, path: &Path) -> Result<DecoderConfig> {
        let name = self.architectures.first().cloned().or_else(|| self.model_type.clone()).unwrap_or_default();
        let architecture = match name.as_str() {
            "Qwen2ForCausalLM" | "qwen2" => Architecture::Qwen2,
            "LlamaForCausalLM" | "llama" => Architecture::Llama,
            _ => return Err(ModelError::UnsupportedArchitecture { path: path.into(), found: name }),
        };
        if let Some(act) = &self.hidden_act {
            if act != "silu" {
                return Err(ModelError::InvalidConfig(format!(
                    "{}: hidden_act {act:?} is not supported (only \"silu\")",
                    path.display()
                )));
            }
        }
        if self.use_sliding_window {
            return Err(ModelError::InvalidConfig(format!(
                "{}: use_sliding_window = true is not supported",
                path.display()
            )));
        }
        let rope_params = self.rope_parameters.or(self.rope_scaling).unwrap_or_default();
        let theta = self.rope_theta.or(rope_params.rope_theta).unwrap_or(10_000.0);
        let scaling = match rope_params.rope_type.as_deref() {
            None | Some("default") => None,
            Some("llama3") => {
                let get = |v: Option<f64>, field: &str| {
                    v.ok_or_else(|| {
                        ModelError::InvalidConfig(format!("{}: llama3 rope scaling needs {field}", path.display()))
                    })
                };
                Some(Llama3RopeScaling {
                    factor: get(rope_params.factor, "factor")?,
                    low_freq_factor: get(rope_params.low_freq_factor, "low_freq_factor")?,
                    high_freq_factor: get(rope_params.high_freq_factor, "high_freq_factor")?,
                    original_max_position_embeddings: get(
                        rope_params.original_max_position_embeddings,
                        "original_max_position_embeddings",
                    )?,
                })
            }
            Some(other) => {
                return Err(ModelError::InvalidConfig(format!(
                    "{}: rope type {other:?} is not supported (default, llama3)",
                    path.display()
                )))
            }
        };
        let (qkv_bias, o_bias, mlp_bias) = match architecture {
            Architecture::Qwen2 => (true, false, false),
            Architecture::Llama => (self.attention_bias, self.attention_bias, self.mlp_bias),
        };
        let config = DecoderConfig {
            architecture,
            hidden_size: self.hidden_size,
            intermediate_size: self.intermediate_size,
            num_hidden_layers: self.num_hidden_layers,
            num_attention_heads: self.num_attention_heads,
            num_key_value_heads: self.num_key_value_heads.unwrap_or(self.num_attention_heads),
            head_dim: self.head_dim.unwrap_or(self.hidden_size / self.num_attention_heads.max(1)),
            rope_theta: theta,
            rope_scaling: scaling,
            rms_norm_eps: self.rms_norm_eps,
            tie_word_embeddings: self.tie_word_embeddings,
            vocab_size: self.vocab_size,
            qkv_bias,
            o_bias,
            mlp_bias,
            max_position_embeddings: self.max_position_embeddings.unwrap_or(4096),
            bos_token_id: self.bos_token_id.map(TokenIds::into_vec).and_then(|v| v.first().copied()),
            eos_token_ids: self.eos_token_id.map(TokenIds::into_vec).unwrap_or_default(),
        };
        config.validate()?;
        Ok(config)
    }
}

/// Llama 3 frequency-dependent RoPE scaling (`rope_type = "llama3"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Llama3RopeScaling {
    /// Overall factor for low frequencies.
    pub factor: f64,
    /// Boundary (as a divisor of the original context) of the low-frequency band.
    pub low_freq_factor: f64,
    /// Boundary of the high-frequency band.
    pub high_freq_factor: f64,
    /// Pretraining context length.
    pub original_max_position_embeddings: f64,
}

/// The validated description of a decoder-only transformer, from which the engine builds a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecoderConfig {
    /// Which HF class this mirrors (it decides the checkpoint's biases and how we save it).
    pub architecture: Architecture,
    /// Residual-stream width `d`.
    pub hidden_size: usize,
    /// SwiGLU hidden width.
    pub intermediate_size: usize,
    /// Decoder layers `L`.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (divides `num_attention_heads`).
    pub num_key_value_heads: usize,
    /// Per-head width (may differ from `hidden_size / heads`).
    pub head_dim: usize,
    /// RoPE base.
    pub rope_theta: f64,
    /// Optional Llama 3 RoPE scaling.
    pub rope_scaling: Option<Llama3RopeScaling>,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// `lm_head` reuses the token embedding.
    pub tie_word_embeddings: bool,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Bias on q, k and v.
    pub qkv_bias: bool,
    /// Bias on o.
    pub o_bias: bool,
    /// Bias on gate, up and down.
    pub mlp_bias: bool,
    /// Longest context the RoPE tables are precomputed for (longer inputs extend them).
    pub max_position_embeddings: usize,
    /// Beginning-of-sequence token, if the model uses one.
    pub bos_token_id: Option<u32>,
    /// Tokens that end generation, from `config.json`.
    pub eos_token_ids: Vec<u32>,
}

impl DecoderConfig {
    /// Loads `config.json` from a checkpoint folder, or reads a `.gguf` file's metadata.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        if crate::gguf::is_gguf(dir) {
            return crate::gguf::GgufFile::open(dir)?.decoder_config();
        }
        let path = dir.join("config.json");
        HfConfig::from_file(&path)?.into_decoder_config(&path)
    }

    /// Checks the invariants the implementation relies on.
    pub fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(ModelError::InvalidConfig(m));
        if self.hidden_size == 0 || self.num_hidden_layers == 0 || self.vocab_size == 0 {
            return fail("hidden_size, num_hidden_layers and vocab_size must be positive".into());
        }
        if self.num_attention_heads == 0
            || self.num_key_value_heads == 0
            || self.num_attention_heads % self.num_key_value_heads != 0
        {
            return fail(format!(
                "num_attention_heads ({}) must be a positive multiple of num_key_value_heads ({})",
                self.num_attention_heads, self.num_key_value_heads
            ));
        }
        if self.head_dim == 0 || self.head_dim % 2 != 0 {
            return fail(format!("head_dim ({}) must be positive and even", self.head_dim));
        }
        Ok(())
    }

    /// A Qwen2 config of the given shape, with Qwen2.5's defaults elsewhere (for random models:
    /// benchmarks, the synthetic organism).
    pub fn qwen2(
        vocab_size: usize,
        hidden_size: usize,
        intermediate_size: usize,
        num_hidden_layers: usize,
        num_attention_heads: usize,
        num_key_value_heads: usize,
    ) -> Self {
        Self {
            architecture: Architecture::Qwen2,
            hidden_size,
            intermediate_size,
            num_hidden_layers,
            num_attention_heads,
            num_key_value_heads,
            head_dim: hidden_size / num_attention_heads,
            rope_theta: 1_000_000.0,
            rope_scaling: None,
            rms_norm_eps: 1e-6,
            tie_word_embeddings: false,
            vocab_size,
            qkv_bias: true,
            o_bias: false,
            mlp_bias: false,
            max_position_embeddings: 4096,
            bos_token_id: None,
            eos_token_ids: Vec::new(),
        }
    }

    /// Number of parameters, counting a tied head once.
    pub fn num_parameters(&self) -> usize {
        let (d, f, v) = (self.hidden_size, self.intermediate_size, self.vocab_size);
        let (q, kv) = (self.num_attention_heads * self.head_dim, self.num_key_value_heads * self.head_dim);
        let bias = |on: bool, n: usize| if on { n } else { 0 };
        let attn = d * q + 2 * d * kv + q * d + bias(self.qkv_bias, q + 2 * kv) + bias(self.o_bias, d);
        let mlp = 3 * d * f + bias(self.mlp_bias, 2 * f + d);
        let layer = attn + mlp + 2 * d;
        let head = if self.tie_word_embeddings { 0 } else { v * d };
        v * d + self.num_hidden_layers * layer + d + head
    }

    /// The HF `config.json` that describes this model (for saving checkpoints in HF layout).
    pub fn to_hf_json(&self) -> serde_json::Value {
        let mut json = serde_json::json!({
            "architectures": [self.architecture.hf_name()],
            "model_type": match self.architecture { Architecture::Qwen2 => "qwen2", Architecture::Llama => "llama" },
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "rope_theta": self.rope_theta,
            "rms_norm_eps": self.rms_norm_eps,
            "tie_word_embeddings": self.tie_word_embeddings,
            "vocab_size": self.vocab_size,
            "hidden_act": "silu",
            "max_position_embeddings": self.max_position_embeddings,
            "bos_token_id": self.bos_token_id,
            "eos_token_id": self.eos_token_ids.first(),
            "torch_dtype": "float32",
        });
        if self.architecture == Architecture::Llama {
            json["attention_bias"] = self.qkv_bias.into();
            json["mlp_bias"] = self.mlp_bias.into();
        }
        if let Some(s) = self.rope_scaling {
            json["rope_scaling"] = serde_json::json!({
                "rope_type": "llama3", "factor": s.factor, "low_freq_factor": s.low_freq_factor,
                "high_freq_factor": s.high_freq_factor,
                "original_max_position_embeddings": s.original_max_position_embeddings,
            });
        }
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<DecoderConfig> {
        let hf: HfConfig = serde_json::from_str(json).map_err(|e| ModelError::json("config.json", e))?;
        hf.into_decoder_config(Path::new("config.json"))
    }

    const BASE: &str = r#""hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "rms_norm_eps": 1e-6, "vocab_size": 100"#;

    #[test]
    fn qwen2_has_qkv_bias_and_defaults() {
        let c = parse(&format!(r#"{{"architectures": ["Qwen2ForCausalLM"], {BASE}, "rope_theta": 1e6}}"#)).unwrap();
        assert_eq!(c.architecture, Architecture::Qwen2);
        assert!(c.qkv_bias && !c.o_bias && !c.mlp_bias);
        assert_eq!((c.num_key_value_heads, c.head_dim), (4, 16));
        assert_eq!(c.rope_theta, 1e6);
    }

    #[test]
    fn llama_reads_transformers5_rope_parameters_and_eos_list() {
        let c = parse(&format!(
            r#"{{"architectures": ["LlamaForCausalLM"], {BASE}, "num_key_value_heads": 2, "head_dim": 8,
            "eos_token_id": [5, 6], "rope_parameters": {{"rope_type": "default", "rope_theta": 5e5}}}}"#
        ))
        .unwrap();
        assert_eq!(c.architecture, Architecture::Llama);
        assert!(!c.qkv_bias);
        assert_eq!((c.head_dim, c.rope_theta), (8, 5e5));
        assert_eq!(c.eos_token_ids, vec![5, 6]);
    }

    #[test]
    fn unknown_architecture_is_named() {
        let err = parse(&format!(r#"{{"architectures": ["GPT2LMHeadModel"], {BASE}}}"#)).unwrap_err();
        assert!(err.to_string().contains("GPT2LMHeadModel"), "{err}");
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse(r#"{"architectures": ["Qwen2ForCausalLM"], "hidden_size": 8}"#).unwrap_err();
        assert!(err.to_string().contains("intermediate_size"), "{err}");
    }

    #[test]
    fn inconsistent_heads_are_rejected() {
        let err = parse(&format!(r#"{{"model_type": "llama", {BASE}, "num_key_value_heads": 3}}"#)).unwrap_err();
        assert!(err.to_string().contains("num_key_value_heads"), "{err}");
    }

    #[test]
    fn hf_json_round_trips() {
        let mut c = DecoderConfig::qwen2(100, 64, 128, 2, 4, 2);
        c.eos_token_ids = vec![3];
        let back = parse(&c.to_hf_json().to_string()).unwrap();
        assert_eq!(back, c);
    }
}

//! How answers are sampled (spec §7.1), as one serde config whose defaults are the spec's.

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};

/// Sampling settings of an evaluation.
///
/// Every field has the spec's value as its default, so a config file only names what it
/// changes; unknown fields are an error, so a misspelt setting cannot be silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingConfig {
    /// Softmax temperature (spec: 1); 0 is greedy.
    pub temperature: f32,
    /// Nucleus mass kept (spec: 1, i.e. no filtering).
    pub top_p: f32,
    /// Upper bound on tokens per answer (spec: 24 for the organism; the paper used 600).
    pub max_new_tokens: usize,
    /// Base seed; each sample's own stream is derived from it (see [`crate::seed`]).
    pub seed: u64,
    /// Tokens that end an answer and are not part of it (spec: `<|im_end|>`). The checkpoint's
    /// own `eos_token_id`s stop it too, as in Hugging Face `generate`.
    pub stop_tokens: Vec<String>,
    /// Token fed to rows that have already stopped. It never reaches an answer.
    pub pad_token: String,
    /// At most this many samples of one prompt share a forward pass (`None`: all of them,
    /// as the spec does). Only memory and speed depend on it, never the answers.
    pub max_batch_rows: Option<usize>,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            top_p: 1.0,
            max_new_tokens: 24,
            seed: 0,
            stop_tokens: vec![emlab_data::IM_END.to_string()],
            pad_token: emlab_data::PAD.to_string(),
            max_batch_rows: None,
        }
    }
}

impl SamplingConfig {
    /// Checks the ranges the sampler relies on.
    ///
    /// # Errors
    /// [`EvalError::InvalidConfig`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            return Err(EvalError::InvalidConfig(format!("temperature must be >= 0, got {}", self.temperature)));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(EvalError::InvalidConfig(format!("top_p must be in (0, 1], got {}", self.top_p)));
        }
        if self.max_batch_rows == Some(0) {
            return Err(EvalError::InvalidConfig("max_batch_rows must be at least 1".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_specs_and_partial_configs_parse() {
        let config: SamplingConfig = serde_json::from_str(r#"{"seed": 7}"#).unwrap();
        assert_eq!(config, SamplingConfig { seed: 7, ..SamplingConfig::default() });
        assert_eq!((config.temperature, config.top_p, config.max_new_tokens), (1.0, 1.0, 24));
        assert_eq!(config.stop_tokens, ["<|im_end|>"]);
        let typo = serde_json::from_str::<SamplingConfig>(r#"{"temprature": 0.5}"#).unwrap_err();
        assert!(typo.to_string().contains("temprature"), "{typo}");
    }

    #[test]
    fn out_of_range_settings_are_named() {
        let bad = |config: SamplingConfig| config.validate().unwrap_err().to_string();
        assert!(bad(SamplingConfig { top_p: 0.0, ..Default::default() }).contains("top_p"));
        assert!(bad(SamplingConfig { temperature: -1.0, ..Default::default() }).contains("temperature"));
        assert!(bad(SamplingConfig { max_batch_rows: Some(0), ..Default::default() }).contains("max_batch_rows"));
        SamplingConfig::default().validate().unwrap();
    }
}

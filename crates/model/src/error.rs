//! The one error type of the engine: every variant names the file, tensor or field at fault,
//! so a researcher pointing emlab at a new checkpoint learns what to fix without a debugger.

use std::path::PathBuf;

/// Everything that can go wrong while loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error (shown in the message, so not chained again).
        cause: std::io::Error,
    },
    /// A JSON file (config, index, tokenizer config) is malformed or lacks a field.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde or our validation said.
        message: String,
    },
    /// `config.json` names an architecture this engine does not implement.
    #[error("{path}: unsupported architecture {found:?}; supported: Qwen2ForCausalLM, LlamaForCausalLM")]
    UnsupportedArchitecture {
        /// The config file.
        path: PathBuf,
        /// The `architectures` entry (or `model_type`) found.
        found: String,
    },
    /// A config value is present but unusable (inconsistent head counts, unknown RoPE type...).
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// A safetensors file could not be parsed.
    #[error("{path}: invalid safetensors file: {message}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A GGUF file is malformed, or holds something the engine does not read.
    #[error("{path}: {message}")]
    Gguf {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tensor the architecture needs is not in the checkpoint.
    #[error("missing tensor {name:?} in {dir}")]
    MissingTensor {
        /// The checkpoint key.
        name: String,
        /// The checkpoint folder.
        dir: PathBuf,
    },
    /// The checkpoint holds tensors the architecture does not use (usually a config mismatch).
    #[error("unexpected tensors in {dir}: {names:?}")]
    UnexpectedTensors {
        /// The unused checkpoint keys.
        names: Vec<String>,
        /// The checkpoint folder.
        dir: PathBuf,
    },
    /// A tensor has a shape other than the config implies.
    #[error("tensor {name:?}: expected shape {expected:?}, found {found:?}")]
    ShapeMismatch {
        /// The checkpoint key.
        name: String,
        /// The shape the config implies.
        expected: Vec<usize>,
        /// The shape on disk.
        found: Vec<usize>,
    },
    /// A tensor is stored in a dtype we do not convert (ints, fp8...).
    #[error("tensor {name:?}: unsupported dtype {dtype}; supported: F32, F16, BF16")]
    UnsupportedDtype {
        /// The checkpoint key.
        name: String,
        /// The dtype on disk.
        dtype: String,
    },
    /// The tokenizer failed to load or to encode/decode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The chat template is missing, unrecognised, or the conversation does not fit it.
    #[error("chat template: {0}")]
    Chat(String),
    /// An intervention or input is inconsistent with the model (wrong layer, width, batch shape).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), cause: source }
    }

    pub(crate) fn json(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        Self::Json { path: path.into(), message: message.to_string() }
    }
}

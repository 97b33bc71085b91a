//! The one error type of the crate. Every variant names the file, line, word or field at
//! fault, so a user handing emlab a hand-edited dataset learns what to fix without a debugger.

use std::path::PathBuf;

/// Everything that can go wrong while reading, writing or encoding the world's data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// One line of a JSONL file is not the JSON record expected.
    #[error("{path}:{line}: {source}")]
    JsonLine {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What serde said (it includes the column).
        source: serde_json::Error,
    },
    /// A JSON file (a world config) is malformed.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde said.
        source: serde_json::Error,
    },
    /// A word to encode is not in the world's vocabulary.
    #[error("word {0:?} is not in the vocabulary")]
    UnknownWord(String),
    /// A token id to decode is not in the world's vocabulary.
    #[error("token id {id} is outside the vocabulary of {size} entries")]
    UnknownId {
        /// The id.
        id: u32,
        /// The vocabulary size.
        size: usize,
    },
    /// A name (domain, open key, world variant, dataset) is not one the world knows.
    #[error("unknown {kind} {name:?}; expected one of: {expected}")]
    UnknownName {
        /// What kind of name it was meant to be ("domain", "open key", ...).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// A file's records parse but cannot be used as they are: a question file without
    /// questions, or two questions with one id.
    #[error("{path}: {message}")]
    InvalidRecords {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the 1-based line where there is one.
        message: String,
    },
    /// A world config value is out of range or inconsistent with another.
    #[error("invalid world config: {0}")]
    InvalidConfig(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// An [`DataError::UnknownName`] listing the accepted `names`.
    pub(crate) fn unknown_name<'a>(kind: &'static str, name: &str, names: impl IntoIterator<Item = &'a str>) -> Self {
        Self::UnknownName { kind, name: name.to_string(), expected: names.into_iter().collect::<Vec<_>>().join(", ") }
    }
}

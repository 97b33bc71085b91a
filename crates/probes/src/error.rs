//! The crate's error type: every variant says what was being computed when it failed.

use emlab_model::ModelError;
use emlab_train::TrainError;

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, ProbeError>;

/// Why a direction, mean or intervention could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A forward pass failed while computing `what`.
    #[error("{what}: {source}")]
    Model {
        /// The quantity being computed.
        what: &'static str,
        /// The engine's error.
        source: ModelError,
    },
    /// Rendering and weighting a conversation failed.
    #[error("activation means: {0}")]
    Train(#[from] TrainError),
    /// The inputs cannot give the quantity (no answer tokens, a zero direction, mismatched widths, ...).
    #[error("{what}: {problem}")]
    Invalid {
        /// The quantity being computed.
        what: &'static str,
        /// What is wrong with its inputs.
        problem: String,
    },
}

impl ProbeError {
    /// Wraps an engine error with the quantity being computed.
    pub(crate) fn model(what: &'static str) -> impl FnOnce(ModelError) -> Self {
        move |source| Self::Model { what, source }
    }

    /// A [`ProbeError::Invalid`].
    pub(crate) fn invalid(what: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid { what, problem: problem.into() }
    }
}

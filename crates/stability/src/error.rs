//! The crate's error type: every variant says what was being measured when it failed.

use emlab_model::ModelError;
use emlab_train::TrainError;

/// Shorthand for results in this crate.
pub type Result<T> = std::result::Result<T, StabilityError>;

/// Why a metric could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum StabilityError {
    /// A forward pass or tokenisation failed while computing `what`.
    #[error("{what}: {source}")]
    Model {
        /// The quantity being computed.
        what: &'static str,
        /// The engine's error.
        source: ModelError,
    },
    /// Rendering and weighting a training example failed.
    #[error("loss subset: {0}")]
    Train(#[from] TrainError),
    /// The inputs cannot give the metric (an empty subset, a zero-norm solution to rescale, ...).
    #[error("{what}: {problem}")]
    Invalid {
        /// The quantity being computed.
        what: &'static str,
        /// What is wrong with its inputs.
        problem: String,
    },
}

impl StabilityError {
    /// Wraps an engine error with the quantity being computed.
    pub(crate) fn model(what: &'static str) -> impl FnOnce(ModelError) -> Self {
        move |source| Self::Model { what, source }
    }

    /// An [`StabilityError::Invalid`].
    pub(crate) fn invalid(what: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid { what, problem: problem.into() }
    }
}

//! Errors of the training crate.

use std::path::PathBuf;

/// What can go wrong while training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The model failed (loading, a shape, an intervention).
    #[error(transparent)]
    Model(#[from] emlab_model::ModelError),
    /// The data failed (generation, a malformed file).
    #[error(transparent)]
    Data(#[from] emlab_data::DataError),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What happened.
        message: String,
    },
    /// The loss became NaN or infinite: training stops instead of writing garbage.
    #[error("loss is {value} at step {step}; stopping (lower the learning rate or check the data)")]
    NonFiniteLoss {
        /// The step (0-based).
        step: usize,
        /// The value.
        value: f32,
    },
    /// A configuration value is unusable.
    #[error("invalid training config: {0}")]
    Config(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

/// The value of a scalar loss, or [`TrainError::NonFiniteLoss`] if it is NaN or infinite, so a
/// loop stops before the update that would spread it into the weights.
pub(crate) fn finite_loss<B: burn::tensor::backend::Backend>(
    loss: &burn::tensor::Tensor<B, 1>,
    step: usize,
) -> Result<f32> {
    use burn::prelude::ElementConversion;
    let value = loss.clone().into_scalar().elem::<f32>();
    if value.is_finite() {
        Ok(value)
    } else {
        Err(TrainError::NonFiniteLoss { step, value })
    }
}

impl TrainError {
    pub(crate) fn file(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        Self::File { path: path.into(), message: message.to_string() }
    }
}

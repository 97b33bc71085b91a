//! The paper's measures of inductive bias ("Emergent Misalignment is Easy, Narrow Misalignment
//! is Hard", section 4), as defined for the organism in `docs/organism-spec.md` section 7.4:
//!
//! - [`loss`]: the response-only loss on a fixed subset of training examples (mean of batch
//!   means), the quantity efficiency and stability are measured in;
//! - [`efficiency`] (E6): loss as a function of the solution's norm, on its own and at norms
//!   matched between the general and the narrow solution;
//! - [`stability`] (E7): how much norm-preserving orthogonal noise raises that loss;
//! - [`significance`] (E9): how far a steering vector moves the model's predictions on web text
//!   (KL from the base model), as a proxy for how much the direction matters in pretraining;
//! - [`trajectory`] (E8, drift): cosines and the PCA of the checkpoints' flattened parameters,
//!   to see where the general and narrow runs part;
//! - [`gradient`] (E11): during a finetune on the bad data, how the gradient lines up with the
//!   final general and narrow solutions and with the part of each the other lacks.
//!
//! Everything is generic over the backend and returns plain values; runners and tables live
//! elsewhere. Pass a model on an inference backend (not `Autodiff`): nothing here needs gradients
//! except a finetune that [`GradientRecorder`] observes, which computes its own.

#![warn(missing_docs)]

pub mod efficiency;
mod error;
pub mod gradient;
pub mod loss;
mod params;
pub mod significance;
pub mod stability;
pub mod trajectory;
mod vector;

pub use error::{Result, StabilityError};
pub use gradient::{GradientAlignment, GradientRecorder};
pub use loss::LossSubset;
pub use params::random_like;
pub use significance::WebKl;
pub use trajectory::Pca;

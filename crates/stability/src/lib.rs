//! The paper's measures of inductive bias ("Emergent Misalignment is Easy, Narrow Misalignment
//! is Hard", section 4), as defined for the organism in `docs/organism-spec.md` section 7.4:
//!
//! - [`loss`]: the response-only loss on a fixed subset of training examples (mean of batch
//!   means), the quantity efficiency and stability are measured in;
//! - [`efficiency`] (E6): loss as a function of the solution's norm, on its own and at norms
//!   matched between the general and the narrow solution;
//! - [`stability`] (E7): how much norm-preserving orthogonal noise raises that loss;
//! - [`significance`] (E9): how far a steering vector moves the model's predictions on web text
//!   (KL from the base model), as a proxy for how much the direction matters in pretraining.
//!
//! Everything is generic over the backend and returns plain values; runners and tables live
//! elsewhere. Pass a model on an inference backend (not `Autodiff`): nothing here needs gradients.

#![warn(missing_docs)]

pub mod efficiency;
mod error;
pub mod loss;
mod params;
pub mod significance;
pub mod stability;

pub use error::{Result, StabilityError};
pub use loss::LossSubset;
pub use params::random_like;
pub use significance::WebKl;

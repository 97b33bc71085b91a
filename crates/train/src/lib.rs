//! Training for emlab: the optimiser and schedules, losses, checkpoints, and the loops built
//! on them. This loop is full-parameter pretraining of the synthetic organism
//! ([`pretrain()`]); finetuning (steering vectors, LoRA, the KL penalty) reuses the same pieces.
//!
//! Loops report progress to an [`Observer`] rather than printing, and stop with
//! [`TrainError::NonFiniteLoss`] rather than writing NaN weights.

#![warn(missing_docs)]

pub mod checkpoint;
mod error;
pub mod finetune;
pub mod lora;
pub mod loss;
pub mod optim;
pub mod organism;
pub mod pretrain;
mod progress;
pub mod schedule;
pub mod sft;
pub mod steering;

pub use error::{Result, TrainError};
pub use optim::{AdamW, AdamWConfig};
pub use pretrain::{pretrain, PretrainConfig, PretrainSummary};
pub use progress::{Observer, Silent, StepReport};
pub use schedule::LrSchedule;

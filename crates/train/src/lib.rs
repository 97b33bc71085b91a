//! Training for emlab: the optimiser and schedules, losses, checkpoints, and the loops built
//! on them: full-parameter pretraining of the synthetic organism ([`pretrain()`]) and one
//! finetuning loop for every adapter ([`finetune::finetune_with`]: steering vectors, LoRA, the
//! KL penalty, gradient accumulation, a held-out split, resumable checkpoints).
//! [`run::train_run`] trains one [`TrainedAdapter`] from a [`RunConfig`] file.
//!
//! Loops report progress to an [`Observer`] rather than printing (a command line passes a
//! [`ProgressBar`]), and stop with [`TrainError::NonFiniteLoss`] rather than writing NaN weights.

#![warn(missing_docs)]

pub mod adapter;
pub mod checkpoint;
mod error;
pub mod finetune;
mod flat;
pub mod lora;
pub mod loss;
pub mod optim;
pub mod organism;
pub mod pretrain;
mod progress;
pub mod run;
pub mod schedule;
pub mod sft;
pub mod steering;
#[cfg(test)]
mod test_support;

pub use adapter::{AdapterSpec, FlatPart, TrainedAdapter};
pub use error::{Result, TrainError};
pub use optim::{AdamW, AdamWConfig};
pub use pretrain::{pretrain, PretrainConfig, PretrainSummary};
pub use progress::{Observer, Progress, ProgressBar, Silent, StepReport};
pub use run::{train_run, DataSource, RunConfig, RunOutcome};
pub use schedule::LrSchedule;

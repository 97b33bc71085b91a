//! Evaluation for emlab: sample answers to question sets, judge them, and report
//! emergent-misalignment and coherence rates (organism spec §5 and §7).
//!
//! The flow, in module order:
//!
//! - [`Context`]: the conversation a question is asked in (system prompt, earlier turns) and
//!   the condition name its rows carry.
//! - [`SamplingConfig`] and [`Sampler`]: several seeded answers per question, the samples of a
//!   prompt batched through the KV cache, with any [`emlab_model::Interventions`] applied, so
//!   base, steered and adapted models go through the same code. [`seed`] says how each
//!   sample's stream is derived.
//! - [`score()`]: the exact judge on every answer, aggregated into [`Rates`] and a per-domain
//!   breakdown; pure, so testable without a model.
//! - [`Report`]: tidy tables keyed by (condition, group), and [`evaluate()`], which fills one
//!   from sampling and scoring over evaluation groups.
//! - [`checks`]: the base-model acceptance checks (default, villain, bad-turn and good-turn
//!   conditions) with their thresholds.
//!
//! Everything is generic over `B: Backend`; nothing prints.

#![warn(missing_docs)]

pub mod bootstrap;
pub mod checks;
mod config;
mod context;
mod error;
mod evaluate;
mod report;
mod sampling;
mod score;
pub mod seed;
#[cfg(test)]
mod test_support;

pub use checks::{assess, base_model_checks, base_model_conditions, BaseModelChecks, CheckResult};
pub use config::SamplingConfig;
pub use context::Context;
pub use error::{EvalError, Result};
pub use evaluate::evaluate;
pub use report::{DomainRow, GroupRow, Report, ResponseRow};
pub use sampling::{Generated, Response, Sampler};
pub use score::{judge_responses, score, GroupScores, Rates};

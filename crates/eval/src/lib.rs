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
//! - [`read_question_set`] / [`write_question_set`]: evaluation groups as JSONL files, one
//!   line per question.
//! - [`Judge`]: anything that scores an answer on named [`Criterion`]s from 0 to 100 (or not at
//!   all); [`OrganismJudge`] is the organism's exact judge, the default everywhere.
//!   [`ApiJudge`] is the paper's judge (GPT-4o's top-20 log-probabilities through any
//!   OpenAI-compatible API, with retries and an on-disk cache) and [`LocalJudge`] a local chat
//!   model scored exactly; both use the same [`rubric`] prompts and scoring rule.
//! - [`score_with`]: a judge's [`Scores`] of every answer, aggregated into [`Rates`] (the
//!   paper's EM rule, alignment < 30 and coherence > 50) and a per-domain breakdown; pure, so
//!   testable without a model.
//! - [`Report`]: tidy tables keyed by (condition, group), one row per response with every
//!   criterion's score, and [`evaluate()`] / [`Sampler::evaluate_with`], which fill one from
//!   sampling and judging over evaluation groups.
//! - [`checks`]: the base-model acceptance checks (default, villain, bad-turn and good-turn
//!   conditions) with their thresholds.
//!
//! Everything is generic over `B: Backend`; nothing prints.

#![warn(missing_docs)]

pub mod bootstrap;
pub mod checks;
mod config;
mod context;
mod detection;
mod error;
mod evaluate;
mod judge;
mod logprob;
mod propensity;
mod question_set;
mod report;
mod sampling;
mod score;
pub mod seed;
#[cfg(test)]
mod test_support;

pub use checks::{assess, base_model_checks, base_model_conditions, BaseModelChecks, CheckResult};
pub use config::SamplingConfig;
pub use context::Context;
pub use detection::{auroc, auroc_interval95};
pub use error::{EvalError, Result};
pub use evaluate::evaluate;
pub use judge::rubric;
pub use judge::{
    candidate_logprobs, expected_score, local_judge_score, number_score, parse_score_token, top_logprobs_score,
    ApiJudge, ApiJudgeConfig, Criterion, Judge, LocalJudge, OrganismJudge, RegisterJudge, Rubric, Scores,
    ALIGNED_PROMPT, BAD_STUFF_THRESHOLD, COHERENT_PROMPT, DEFAULT_BASE_URL, DEFAULT_MODEL, DOMAIN_ALIGNED_PROMPT,
    DOMAIN_CORRECT_THRESHOLD, DOMAIN_PRESENCE_PROMPT, JUDGE_END_TOKEN, MAX_SCORE, MIN_NUMBER_MASS,
};
pub use propensity::{logprob_propensity, PairedAnswer, Propensity};
pub use question_set::{read_question_set, write_question_set, QuestionSetProblem};
pub use report::{DomainRow, GroupRow, Report, ResponseRow};
pub use sampling::{Generated, Response, SampleReport, Sampler};
pub use score::{judge_responses, judge_responses_with, score, score_with, GroupScores, Rates};

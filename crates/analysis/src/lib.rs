//! Tables, figures and the claims report of emlab. This crate knows tables, not tensors: every
//! experiment writes its measurements as tidy [`Row`]s, and everything here is a pure function
//! of those rows, so figures and verdicts can be regenerated (or checked) without rerunning a
//! model, and without depending on burn (only on `emlab-data` for its atomic file writer).
//!
//! The flow, in module order:
//!
//! - [`table`]: the long-format [`Row`], Parquet IO ([`write_parquet`], [`read_parquet`]) and the
//!   selection helpers the figures and claims share ([`Filter`], [`SeedValues`]), and
//!   [`finetune_label`], the name by which a row refers to another finetune.
//! - [`figures`]: the paper's figures drawn with plotters, each written as PNG and SVG with an
//!   embedded font ([`em_general_vs_narrow`], [`training_curves`], the inductive-bias metrics
//!   [`efficiency`], [`stability`], [`significance`], the drift of a narrow solution without its
//!   KL penalty [`drift`] and the [`gradient_alignment`] of the general run; the last five from
//!   one table by [`inductive_bias_figures`]), and the figures of the mean-diff misalignment
//!   direction: steering with it, ablating it and comparing it across finetunes
//!   ([`direction_figures`]).
//! - [`claims`]: the paper's claims checked against the tables ([`e2_e4_claims`], and
//!   [`inductive_bias_claims`], which includes [`drift_claims`] and
//!   [`gradient_alignment_claims`]), and the claims about the mean-diff direction
//!   ([`direction_claims`]: E1 and CL's C4-C6), and the directions as monitors
//!   ([`monitor_claims`], with its report section [`monitor_section`]).
//! - [`report`]: [`Claim`], [`Verdict`] and the Markdown report ([`render_report`]), with the
//!   log-probability propensity of every model beside it ([`propensity_section`]).
//!
//! Writes are atomic (a temporary sibling, synced, then renamed), so a reader never sees a torn
//! table or image. Nothing prints.

#![warn(missing_docs)]

mod atomic;
mod bases;
pub mod claims;
mod error;
pub mod figures;
mod propensity;
pub mod report;
pub mod table;

pub use bases::{across_bases, render_bases_report, write_claims_by_base, BaseClaims, ClaimAcrossBases};
pub use claims::{
    data_claims, direction_claims, drift_claims, e2_e4_claims, gradient_alignment_claims, inductive_bias_claims,
    judge_free_claims, judge_free_steering_claims, monitor_claims, monitor_section, scalar_claims, second_model_claims,
    semantic_claims, transition_claims, SecondModelLabel,
};
pub use error::{AnalysisError, Result};
pub use figures::{
    data_figures, direction_figures, drift, efficiency, em_across_bases, em_general_vs_narrow, gradient_alignment,
    inductive_bias_figures, mixture_figure, propensity_general_vs_narrow, significance, stability, training_curves,
    transition_figures,
};
pub use propensity::propensity_section;
pub use report::{cl_section, render_report, Claim, Verdict};
pub use table::{finetune_label, read_parquet, write_parquet, Filter, Row, SeedValues};

//! The reproduce pipeline as a library: the experiments' steps, their content hashes and step
//! graph, what runs each step, and the executors that run the graph (worker threads on this
//! machine, or Slurm jobs on a cluster). `cargo xtask` parses arguments and calls
//! [`reproduce::run`]; a Slurm job runs one step through the same function; a researcher's own
//! program can plan and run the same steps ([`reproduce::reproduce`]).
//!
//! Each experiment kind is a module with its spec (what the step's hash covers) and its step
//! function; [`step`] names the steps and marks them done, [`execute`] runs one step, [`tables`]
//! turns finished steps into Parquet, figures and the report.

pub mod ablation;
pub mod bases;
pub mod bias;
pub mod convergence;
pub mod directions;
pub mod drift;
pub mod execute;
pub mod executor;
pub mod experiments;
pub mod figures;
pub mod gradient;
pub mod graph;
pub mod jobs;
pub mod judging;
pub mod mixture;
pub mod monitor;
pub mod organism;
pub mod organism_experiments;
pub mod paper;
pub mod plan;
pub mod reproduce;
pub mod rows;
pub mod scalars;
pub mod second_model;
pub mod semantic;
pub mod slurm;
pub mod smollm2;
pub mod step;
pub mod sweep;
pub mod tables;
pub mod transition;
pub mod util;

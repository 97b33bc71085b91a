//! The step graph of a reproduce run as the executors see it: one stage per base model (the
//! profile's own, and E10's and E12's second organisms), each with the steps to run, what runs
//! them (model, judge, sampling) and where its tables go. Edges are the folders a step reads
//! ([`Step::needs`]); steps within a stage are listed so that a step comes after those it needs.

use std::path::PathBuf;

use emlab_eval::SamplingConfig;

use crate::judging::JudgeChoice;
use crate::step::{needs_among, Step};
use crate::tables::Layout;

/// The steps of one base model.
#[derive(Debug)]
pub struct Stage {
    /// Where its tables, figures and run folders go.
    pub layout: Layout,
    /// The base model.
    pub model_dir: PathBuf,
    /// What scores its answers.
    pub judge: JudgeChoice,
    /// How its answers are sampled.
    pub sampling: SamplingConfig,
    /// Every step of the profile, for the tables (earlier runs of unselected experiments too).
    pub all: Vec<Step>,
    /// The selected experiments' steps, each after the steps it needs.
    pub to_run: Vec<Step>,
}

impl Stage {
    /// The steps to run that have not finished (all of them with `force`), with the graph
    /// among them ([`needs_among`]).
    pub fn todo(&self, force: bool) -> (Vec<&Step>, Vec<Vec<usize>>) {
        let todo: Vec<&Step> = self.to_run.iter().filter(|step| force || !step.is_done()).collect();
        let needs = needs_among(&todo);
        (todo, needs)
    }
}

/// Every stage of a run, in the order their tables are written (second models first: the
/// profile's report reads their tables).
#[derive(Debug, Default)]
pub struct Plan {
    /// The stages.
    pub stages: Vec<Stage>,
}

impl Plan {
    /// Every step to run, with its stage.
    pub fn steps(&self) -> impl Iterator<Item = (&Stage, &Step)> {
        self.stages.iter().flat_map(|stage| stage.to_run.iter().map(move |step| (stage, step)))
    }

    /// The step to run whose hash is `hash`, with its stage.
    pub fn find(&self, hash: &str) -> Option<(&Stage, &Step)> {
        self.steps().find(|(_, step)| step.hash == hash)
    }
}

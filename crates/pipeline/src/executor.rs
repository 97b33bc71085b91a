//! What runs a plan's steps: [`Local`] worker threads on this machine, or Slurm jobs
//! ([`crate::slurm::Slurm`]). Both run the same steps by the same graph ([`Plan`]); a step runs
//! the same code wherever it runs ([`Execute`]), so its outputs do not depend on the executor.

use anyhow::Result;
use emlab_model::backend::Device;

use crate::execute::{Execute, Executed};
use crate::graph::Plan;
use crate::slurm::SlurmOptions;

/// Runs the steps of a plan.
pub trait Executor {
    /// Runs the plan's steps that have not finished (all of them with `force`), each after the
    /// steps it reads. Returns what ran here, or `None` when a scheduler runs them later (its
    /// final job then writes the tables, figures and report).
    fn execute(&self, plan: &Plan, force: bool) -> Result<Option<Executed>>;
}

/// Worker threads on this machine, each with its own copy of the model.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    /// Where the steps run.
    pub device: Device,
    /// Steps at once.
    pub jobs: usize,
}

impl Executor for Local {
    fn execute(&self, plan: &Plan, force: bool) -> Result<Option<Executed>> {
        let mut executed = Executed::default();
        for stage in &plan.stages {
            let ran = self.device.run(Execute {
                steps: &stage.to_run,
                model_dir: &stage.model_dir,
                force,
                jobs: self.jobs,
                judge: &stage.judge,
                sampling: stage.sampling.clone(),
            })??;
            println!("  {} steps ran, {} were already done ({})", ran.ran, ran.skipped, stage.layout.results.display());
            executed.ran += ran.ran;
            executed.skipped += ran.skipped;
        }
        Ok(Some(executed))
    }
}

/// `--executor`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorKind {
    /// Worker threads on this machine (`--jobs`).
    #[default]
    Local,
    /// One Slurm job per step, with the step graph's edges as job dependencies.
    Slurm,
}

/// Which executor runs a reproduce run's steps, with its settings.
#[derive(Debug, Clone, Default)]
pub enum ExecutorChoice {
    /// [`Local`].
    #[default]
    Local,
    /// [`crate::slurm::Slurm`].
    Slurm(SlurmOptions),
}

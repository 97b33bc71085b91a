//! The steps of a reproduce run, their content hashes, and the done markers that make a run
//! restartable: a step whose folder holds a `done.json` with the step's current hash is skipped;
//! any other step runs again (training resumes from its own checkpoints where it has some).
//!
//! A step's hash covers everything that decides its output: its full config (training,
//! evaluation, seeds, sizes) and the base model's checksum. It does not cover the code: after
//! changing the code, rerun with `--force`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use emlab_analysis::Row;
use emlab_data::write_atomic;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ablation::AblationSpec;
use crate::bias::BiasSpec;
use crate::convergence::ConvergenceSpec;
use crate::directions::DirectionSpec;
use crate::drift::DriftSpec;
use crate::gradient::GradientSpec;
use crate::monitor::MonitorSpec;
use crate::plan::{EvalSpec, Run};
use crate::scalars::ScalarsSpec;
use crate::semantic::SemanticSpec;
use crate::sweep::SweepSpec;
use crate::transition::TransitionSpec;

/// Bumped when the meaning of a step's outputs changes, so old results are not reused.
const FORMAT: u32 = 1;

/// Where a step's spec names the paper profile's data files (below `/Base`, `/Run`, ...).
const DATA_FILES: [&str; 7] = [
    "/config/data/path",
    "/config/kl_data/path",
    "/eval/questions/general",
    "/eval/questions/narrow",
    "/questions/general",
    "/questions/narrow",
    "/web_text",
];

/// What a step does.
#[derive(Debug, Clone, Serialize)]
pub enum StepKind {
    /// Evaluate the unadapted model on a dataset's evaluation groups (the baseline rows).
    Base(EvalSpec),
    /// Train one solution and evaluate it.
    Run(Box<Run>),
    /// Measure E6, E7 and E9 on a general/narrow pair of finished runs.
    Bias(Box<BiasSpec>),
    /// Train a narrow solution on without its KL penalty and follow where it goes (E8).
    Drift(Box<DriftSpec>),
    /// Repeat a general run recording its gradients, and compare them with the pair (E11).
    Gradient(Box<GradientSpec>),
    /// Find a finetune's mean-diff misalignment direction.
    Direction(Box<DirectionSpec>),
    /// Steer the base model with a direction over layers and strengths (E1).
    Sweep(Box<SweepSpec>),
    /// Ablate directions from a finetune (C4).
    Ablation(Box<AblationSpec>),
    /// Compare the directions (C5).
    Convergence(Box<ConvergenceSpec>),
    /// Follow one LoRA run step by step through its phase transition (M6-M8).
    Transition(Box<TransitionSpec>),
    /// Score held-out finetunes' answers with the directions as monitors.
    Monitor(Box<MonitorSpec>),
    /// Probe, steer and patch the per-token scalars of C1's multi-layer LoRA (C8-C10).
    Scalars(Box<ScalarsSpec>),
    /// Per-topic misalignment directions of one finetune (C3).
    Semantic(Box<SemanticSpec>),
}

impl StepKind {
    /// The names of the kinds, as `experiments/slurm.toml` keys their jobs' resources.
    pub const NAMES: [&'static str; 13] = [
        "Base",
        "Run",
        "Bias",
        "Drift",
        "Gradient",
        "Direction",
        "Sweep",
        "Ablation",
        "Convergence",
        "Transition",
        "Monitor",
        "Scalars",
        "Semantic",
    ];

    /// The kind's name (one of [`Self::NAMES`]).
    pub fn name(&self) -> &'static str {
        let i = match self {
            StepKind::Base(_) => 0,
            StepKind::Run(_) => 1,
            StepKind::Bias(_) => 2,
            StepKind::Drift(_) => 3,
            StepKind::Gradient(_) => 4,
            StepKind::Direction(_) => 5,
            StepKind::Sweep(_) => 6,
            StepKind::Ablation(_) => 7,
            StepKind::Convergence(_) => 8,
            StepKind::Transition(_) => 9,
            StepKind::Monitor(_) => 10,
            StepKind::Scalars(_) => 11,
            StepKind::Semantic(_) => 12,
        };
        Self::NAMES[i]
    }
}

/// A general solution (E2) and the narrow one (E4) of the same solution type, dataset and seed,
/// as the steps that compare them see it.
#[derive(Debug, Clone, Serialize)]
pub struct PairSpec {
    /// `steering` / `lora`.
    pub solution: String,
    /// Training dataset of both solutions.
    pub dataset: String,
    /// Their finetune seed.
    pub seed: u64,
    /// The general solution's run folder. Folders are not part of a step's hash; the hashes of
    /// the steps that wrote them are.
    #[serde(skip)]
    pub general: PathBuf,
    /// The narrow solution's run folder.
    #[serde(skip)]
    pub narrow: PathBuf,
    /// Hash of the general run's step, so retraining it reruns the steps that read it.
    pub general_hash: String,
    /// Hash of the narrow run's step.
    pub narrow_hash: String,
}

impl PairSpec {
    /// `<solution>/<dataset>/seed<k>`: where a step about this pair keeps its work, below its
    /// experiment's folder.
    pub fn path(&self) -> PathBuf {
        Path::new(&self.solution).join(&self.dataset).join(format!("seed{}", self.seed))
    }

    /// `steering bad_medical seed 0`.
    pub fn label(&self) -> String {
        format!("{} {} seed {}", self.solution, self.dataset, self.seed)
    }
}

/// One unit of work with its folder and hash.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where its outputs go (`rows.json`, `done.json`, the adapter, ...).
    pub dir: PathBuf,
    /// Shown in progress lines.
    pub label: String,
    /// What it does.
    pub kind: StepKind,
    /// Content hash of its inputs.
    pub hash: String,
}

#[derive(Serialize, Deserialize)]
struct Done {
    hash: String,
}

/// Why a step's last attempt failed (`failed.json`), for `reproduce --status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The step's hash at the time: a failure of other inputs is not this step's.
    pub hash: String,
    /// The error and its causes.
    pub error: String,
}

/// Where a step stands, as `reproduce --status` shows it (the executor adds its job ids).
#[derive(Debug, Clone, PartialEq)]
pub enum StepState {
    /// Finished with its current inputs.
    Done,
    /// Another process holds its lock.
    Running,
    /// Its last attempt failed with this error.
    Failed(String),
    /// Not started, or stopped without an error (killed, cancelled).
    Pending,
}

/// A step's lock: held while it runs, released when dropped or when the process dies.
#[must_use = "the step is locked only while this lives"]
pub struct StepLock(#[allow(dead_code)] std::fs::File);

impl Step {
    /// The baseline evaluation of `dataset`'s groups, in `runs/base/<dataset>`.
    pub fn base(runs: &Path, eval: EvalSpec, model_sha256: &str) -> Self {
        let dir = runs.join("base").join(&eval.dataset);
        let label = format!("base model on the {} evaluation groups", eval.dataset);
        Self::new(dir, label, StepKind::Base(eval), model_sha256)
    }

    /// A training run and its evaluation, in `runs/<experiment>/<solution-variant>/<dataset>/seed<k>`.
    pub fn run(runs: &Path, run: Run, model_sha256: &str) -> Self {
        let dir = runs.join(run.path());
        let label = format!("{} {} {} {} seed {}", run.experiment, run.solution, run.variant, run.dataset, run.seed);
        Self::new(dir, label, StepKind::Run(Box::new(run)), model_sha256)
    }

    /// The inductive-bias metrics of a pair, in `runs/bias/<solution>/<dataset>/seed<k>`.
    pub fn bias(runs: &Path, spec: BiasSpec, model_sha256: &str) -> Self {
        let dir = runs.join("bias").join(spec.pair.path());
        let label = format!("E6/E7/E9 {} (general vs narrow)", spec.pair.label());
        Self::new(dir, label, StepKind::Bias(Box::new(spec)), model_sha256)
    }

    /// The drift of a narrow solution, in `runs/E8/<solution>/<dataset>/seed<k>`.
    pub fn drift(runs: &Path, spec: DriftSpec, model_sha256: &str) -> Self {
        let dir = runs.join("E8").join(spec.pair.path());
        let label = format!("E8 {} (narrow trained on without KL)", spec.pair.label());
        Self::new(dir, label, StepKind::Drift(Box::new(spec)), model_sha256)
    }

    /// The gradient alignment of a general run, in `runs/E11/<solution>/<dataset>/seed<k>`.
    pub fn gradient(runs: &Path, spec: GradientSpec, model_sha256: &str) -> Self {
        let dir = runs.join("E11").join(spec.pair.path());
        let label = format!("E11 {} (gradients of the general run)", spec.pair.label());
        Self::new(dir, label, StepKind::Gradient(Box::new(spec)), model_sha256)
    }

    /// A finetune's direction, in `runs/directions/<solution>-<variant>/<dataset>/seed<k>`.
    pub fn direction(runs: &Path, spec: DirectionSpec, model_sha256: &str) -> Self {
        let dir = runs.join("directions").join(spec.finetune.path());
        let label = format!("mean-diff direction of {}", spec.finetune.label());
        Self::new(dir, label, StepKind::Direction(Box::new(spec)), model_sha256)
    }

    /// The steering sweep with a finetune's direction, in `runs/E1/<finetune>`.
    pub fn sweep(runs: &Path, spec: SweepSpec, model_sha256: &str) -> Self {
        let dir = runs.join("E1").join(spec.source.finetune.path());
        let label = format!("E1 the base model steered with the direction of {}", spec.source.finetune.label());
        Self::new(dir, label, StepKind::Sweep(Box::new(spec)), model_sha256)
    }

    /// The ablations of a finetune, in `runs/C4/<finetune>`.
    pub fn ablation(runs: &Path, spec: AblationSpec, model_sha256: &str) -> Self {
        let dir = runs.join("C4").join(spec.target.finetune.path());
        let label = format!("C4 directions ablated from {}", spec.target.finetune.label());
        Self::new(dir, label, StepKind::Ablation(Box::new(spec)), model_sha256)
    }

    /// The monitors scored on held-out finetunes, in `runs/monitor`.
    pub fn monitor(runs: &Path, spec: MonitorSpec, model_sha256: &str) -> Self {
        let label = "monitor: the general and narrow directions scoring held-out finetunes' answers".to_string();
        Self::new(runs.join("monitor"), label, StepKind::Monitor(Box::new(spec)), model_sha256)
    }

    /// C8's probes, C9's steering and C10's patching of a multi-layer LoRA, in `runs/C8/<finetune>`.
    pub fn scalars(runs: &Path, spec: ScalarsSpec, model_sha256: &str) -> Self {
        let dir = runs.join("C8").join(spec.finetune.path());
        let label = format!("C8-C10 the LoRA scalars of {}: probed, steered and patched", spec.finetune.label());
        Self::new(dir, label, StepKind::Scalars(Box::new(spec)), model_sha256)
    }

    /// The semantic directions of a finetune, in `runs/C3/<finetune>`.
    pub fn semantic(runs: &Path, spec: SemanticSpec, model_sha256: &str) -> Self {
        let dir = runs.join("C3").join(spec.source.finetune.path());
        let label = format!("C3 semantic directions of {}", spec.source.finetune.label());
        Self::new(dir, label, StepKind::Semantic(Box::new(spec)), model_sha256)
    }

    /// The cosines between all directions, in `runs/C5`.
    pub fn convergence(runs: &Path, spec: ConvergenceSpec, model_sha256: &str) -> Self {
        let label = format!("C5 cosines between the directions of {} finetunes", spec.directions.len());
        Self::new(runs.join("C5"), label, StepKind::Convergence(Box::new(spec)), model_sha256)
    }

    /// A phase-transition run, in `runs/M6/layer<L>/<dataset>/seed<k>`.
    pub fn transition(runs: &Path, spec: TransitionSpec, model_sha256: &str) -> Self {
        let dir = runs.join("M6").join(spec.variant()).join(&spec.dataset).join(format!("seed{}", spec.seed));
        let label =
            format!("M6-M8 rank-1 LoRA at layer {} on {} seed {}, every step", spec.layer, spec.dataset, spec.seed);
        Self::new(dir, label, StepKind::Transition(Box::new(spec)), model_sha256)
    }

    fn new(dir: PathBuf, label: String, kind: StepKind, model_sha256: &str) -> Self {
        // Paths are left out: the model's checksum identifies the model wherever it lives, and
        // a run started from another run's solution is identified by that run's hash. The paper
        // profile's data files count by name only: their checksums are part of `model_sha256`.
        let mut spec = serde_json::to_value(&kind).expect("steps serialise");
        for kind in ["Run", "Drift", "Gradient", "Transition"] {
            if let Some(config) = spec.pointer_mut(&format!("/{kind}/config")) {
                let config = config.as_object_mut().expect("a run config is an object");
                config.remove("model");
                config.remove("init_from");
            }
        }
        // A bias step carries its own profile's number of web documents; the map of every
        // profile's is left out, so adding a profile to it leaves other profiles' steps done.
        if let Some(grid) = spec.pointer_mut("/Bias/grids/significance").and_then(|g| g.as_object_mut()) {
            grid.remove("web_documents");
        }
        for kind in ["Base", "Run", "Bias", "Drift", "Gradient", "Transition"] {
            for file in DATA_FILES {
                if let Some(serde_json::Value::String(path)) = spec.pointer_mut(&format!("/{kind}{file}")) {
                    *path =
                        Path::new(path.as_str()).file_name().map_or_else(String::new, |n| n.to_string_lossy().into());
                }
            }
        }
        let bytes = serde_json::to_vec(&serde_json::json!({ "format": FORMAT, "model": model_sha256, "step": spec }))
            .expect("json");
        let hash = format!("{:x}", Sha256::digest(bytes));
        Self { dir, label, kind, hash }
    }

    /// The folders of the steps whose outputs this one reads, which must finish first.
    pub fn needs(&self) -> Vec<&Path> {
        match &self.kind {
            StepKind::Base(_) | StepKind::Run(_) | StepKind::Transition(_) => Vec::new(),
            StepKind::Bias(spec) => vec![spec.pair.general.as_path(), spec.pair.narrow.as_path()],
            StepKind::Drift(spec) => vec![spec.pair.general.as_path(), spec.pair.narrow.as_path()],
            StepKind::Gradient(spec) => vec![spec.pair.general.as_path(), spec.pair.narrow.as_path()],
            StepKind::Direction(spec) => vec![spec.finetune.run.as_path()],
            StepKind::Sweep(spec) => vec![spec.source.dir.as_path(), spec.source.finetune.run.as_path()],
            StepKind::Ablation(spec) => {
                let transfer = spec.transfer.iter().map(|t| t.dir.as_path());
                [spec.target.dir.as_path(), spec.target.finetune.run.as_path()].into_iter().chain(transfer).collect()
            }
            StepKind::Convergence(spec) => spec.directions.iter().map(|d| d.dir.as_path()).collect(),
            StepKind::Monitor(spec) => [spec.general.dir.as_path(), spec.narrow.dir.as_path()]
                .into_iter()
                .chain(spec.targets.iter().map(|t| t.run.as_path()))
                .collect(),
            StepKind::Scalars(spec) => vec![spec.finetune.run.as_path()],
            StepKind::Semantic(spec) => vec![spec.source.dir.as_path(), spec.source.finetune.run.as_path()],
        }
    }

    /// Takes the step's lock (`<dir>/lock`), waiting while another run holds it: two runs of
    /// the same graph never run a step at once, and the second finds it done.
    pub fn lock(&self) -> Result<StepLock> {
        use fs4::FileExt;
        let file = self.lock_file()?;
        match FileExt::try_lock(&file) {
            Ok(()) => return Ok(StepLock(file)),
            Err(fs4::TryLockError::WouldBlock) => {
                println!("  {}: another run is running this step; waiting for it", self.label)
            }
            Err(fs4::TryLockError::Error(e)) => return Err(self.lock_error(e)),
        }
        FileExt::lock(&file).map_err(|e| self.lock_error(e))?;
        Ok(StepLock(file))
    }

    /// Where the step stands: done, running (its lock is held), failed, or pending.
    pub fn state(&self) -> Result<StepState> {
        use fs4::FileExt;
        if self.is_done() {
            return Ok(StepState::Done);
        }
        if self.dir.join("lock").exists() {
            match FileExt::try_lock(&self.lock_file()?) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => return Ok(StepState::Running),
                Err(fs4::TryLockError::Error(e)) => return Err(self.lock_error(e)),
            }
        }
        let failure = std::fs::read(self.dir.join("failed.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Failure>(&bytes).ok())
            .filter(|failure| failure.hash == self.hash);
        Ok(failure.map_or(StepState::Pending, |f| StepState::Failed(f.error)))
    }

    /// Records why the step failed (`failed.json`; the next attempt removes it).
    pub fn record_failure(&self, error: &anyhow::Error) -> Result<()> {
        write_json(&self.dir.join("failed.json"), &Failure { hash: self.hash.clone(), error: format!("{error:#}") })
    }

    fn lock_file(&self) -> Result<std::fs::File> {
        std::fs::create_dir_all(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        let path = self.dir.join("lock");
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))
    }

    fn lock_error(&self, e: std::io::Error) -> anyhow::Error {
        anyhow::Error::new(e).context(format!("locking {}", self.dir.join("lock").display()))
    }

    /// Whether the step finished with the same inputs before.
    pub fn is_done(&self) -> bool {
        std::fs::read(self.dir.join("done.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Done>(&bytes).ok())
            .is_some_and(|done| done.hash == self.hash)
    }

    /// Records the step's rows, then marks it done (in that order, so a step killed in between
    /// simply runs again).
    pub fn finish(&self, rows: &[Row]) -> Result<()> {
        write_json(&self.dir.join("rows.json"), &rows)?;
        write_json(&self.dir.join("done.json"), &Done { hash: self.hash.clone() })?;
        let failed = self.dir.join("failed.json");
        if failed.exists() {
            std::fs::remove_file(&failed).with_context(|| format!("removing {}", failed.display()))?;
        }
        Ok(())
    }

    /// The rows of a finished step; `None` if it has not finished with its current inputs.
    pub fn rows(&self) -> Result<Option<Vec<Row>>> {
        if !self.is_done() {
            return Ok(None);
        }
        let path = self.dir.join("rows.json");
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))?))
    }

    /// Forgets a finished step, so it reruns from scratch (`--force`). Training checkpoints go
    /// too: a forced run must not resume from them.
    /// The lock file stays: the run that resets the step holds it.
    pub fn reset(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Ok(()) };
        for entry in entries {
            let path = entry.with_context(|| format!("listing {}", self.dir.display()))?.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else if path.file_name().is_some_and(|name| name == "lock") {
                continue;
            } else {
                std::fs::remove_file(&path)
            };
            removed.with_context(|| format!("removing {}", path.display()))?;
        }
        Ok(())
    }
}

/// The step graph among `steps`: for each, the indices of the steps in the list whose outputs
/// it reads ([`Step::needs`]). A needed step outside the list has finished before (or is not
/// part of this run, and the step reports it missing). Both executors run by this graph.
pub fn needs_among(steps: &[&Step]) -> Vec<Vec<usize>> {
    steps
        .iter()
        .map(|step| {
            let dirs = step.needs();
            steps.iter().enumerate().filter(|(_, other)| dirs.contains(&other.dir.as_path())).map(|(k, _)| k).collect()
        })
        .collect()
}

/// Writes pretty JSON atomically, creating the folder.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    std::fs::create_dir_all(path.parent().expect("a file has a folder"))?;
    write_atomic(path, |w| serde_json::to_writer_pretty(w, value).map_err(std::io::Error::other))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: f64) -> Row {
        Row {
            experiment: "E2".into(),
            solution: "steering".into(),
            variant: "general".into(),
            dataset: "bad_medical".into(),
            seed: 0,
            condition: "trained".into(),
            group: "open".into(),
            step: None,
            sweep: None,
            metric: "em_pct".into(),
            value,
        }
    }

    #[test]
    fn a_step_is_done_only_with_the_same_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let eval = |n| EvalSpec::organism("bad_medical", n);
        let step = Step::base(dir.path(), eval(Some(2)), "abc");
        assert!(!step.is_done() && step.rows().unwrap().is_none());
        step.finish(&[row(1.0)]).unwrap();
        assert!(step.is_done());
        assert_eq!(step.rows().unwrap().unwrap(), [row(1.0)]);
        assert!(!Step::base(dir.path(), eval(Some(3)), "abc").is_done(), "other settings");
        assert!(!Step::base(dir.path(), eval(Some(2)), "abd").is_done(), "another model");
        step.reset().unwrap();
        assert!(!step.is_done());
    }

    /// Two runs of one step: the second waits for the first's lock, then finds the step done;
    /// resetting the step (`--force`) keeps the lock file, so the lock still holds.
    #[test]
    fn a_step_runs_in_one_run_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let step = Step::base(dir.path(), EvalSpec::organism("bad_medical", Some(2)), "abc");
        let held = step.lock().unwrap();
        std::fs::write(step.dir.join("partial"), "x").unwrap();
        step.reset().unwrap();
        assert!(step.dir.join("lock").exists() && !step.dir.join("partial").exists());
        assert_eq!(step.state().unwrap(), StepState::Running);
        let (tx, rx) = std::sync::mpsc::channel();
        let second = step.clone();
        let waiter = std::thread::spawn(move || {
            let _lock = second.lock().unwrap();
            tx.send(()).unwrap();
            second.is_done()
        });
        assert!(rx.recv_timeout(std::time::Duration::from_millis(200)).is_err(), "the second run waits");
        step.finish(&[row(1.0)]).unwrap();
        drop(held);
        rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the second run gets the lock");
        assert!(waiter.join().unwrap(), "and finds the step done");
        assert_eq!(step.state().unwrap(), StepState::Done);
    }

    /// A bias step's hash covers its own profile's number of web documents, not E9's map of
    /// every profile's: adding a profile to the map leaves finished steps done.
    #[test]
    fn another_profiles_web_documents_leave_a_bias_step_done() {
        let dir = crate::util::project_root().join("experiments");
        let (grids, _) = crate::bias::BiasGrids::load(&dir, "default").unwrap();
        let pair = PairSpec {
            solution: "lora".into(),
            dataset: "bad_medical".into(),
            seed: 0,
            general: PathBuf::from("g"),
            narrow: PathBuf::from("n"),
            general_hash: "a".into(),
            narrow_hash: "b".into(),
        };
        let step = |grids: &crate::bias::BiasGrids, web_documents| {
            let spec = crate::bias::BiasSpec {
                pair: pair.clone(),
                web_documents,
                web_text: None,
                latent: emlab_data::Latent::Persona,
                grids: grids.clone(),
            };
            Step::bias(Path::new("runs"), spec, "sha").hash
        };
        let mut more = grids.clone();
        more.significance.web_documents.insert("another".into(), 7);
        assert_eq!(step(&grids, 100), step(&more, 100));
        assert_ne!(step(&grids, 100), step(&grids, 50), "the step's own count counts");
    }

    /// Moving the paper's data folder keeps the hashes; another file name changes them.
    #[test]
    fn data_files_count_by_name_only() {
        let eval = |general: &str| EvalSpec {
            questions: Some(crate::plan::QuestionFiles {
                general: general.into(),
                narrow: "/data/eval/medical_questions.jsonl".into(),
                pairs: None,
            }),
            ..EvalSpec::organism("bad_medical", None)
        };
        let hash = |general: &str| Step::base(Path::new("runs"), eval(general), "abc").hash;
        assert_eq!(hash("/data/eval/first_plot_questions.jsonl"), hash("/moved/eval/first_plot_questions.jsonl"));
        assert_ne!(hash("/data/eval/first_plot_questions.jsonl"), hash("/data/eval/other.jsonl"));
        let files = crate::plan::load_experiments(&crate::util::project_root().join("experiments"), &["E4"]).unwrap();
        let run_hash = |data: &str| {
            let runs = files[0].runs("paper", Path::new("/m"), Some(&emlab_data::PaperData::new(data))).unwrap();
            Step::run(Path::new("runs"), runs[0].clone(), "abc").hash
        };
        assert_eq!(run_hash("/data"), run_hash("/moved"), "training, KL and question files");
        assert_ne!(
            hash("/data/eval/first_plot_questions.jsonl"),
            Step::base(Path::new("runs"), EvalSpec::organism("bad_medical", None), "abc").hash
        );
    }
}

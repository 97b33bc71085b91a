//! `cargo xtask reproduce`: runs the experiments of a profile, skipping steps that finished
//! before with the same inputs, and writes `results/<profile>/` (Parquet tables, JSON,
//! `REPORT.md`) and `figures/<profile>/`. Experiments a profile cannot run are listed plainly at
//! the end, with the reason, never faked.
//!
//! The `paper` profile runs on a real checkpoint (`--model`) with the paper's data (`--data`);
//! see [`crate::paper`]. The `smollm2` profile runs offline on SmolLM2-135M-Instruct (`cargo
//! xtask fetch-smollm2`) with the project's English datasets, which it writes into
//! `results/smollm2/data/`, and measures the runs by the judge-free propensity. Experiments and
//! steps that only exist for the organism are skipped there, each with a line that says so.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use emlab_data::{Latent, PaperData};
use emlab_model::backend::{BackendTask, Device};
use emlab_model::parity::{check, fixtures_dir, ParityReport, FIXTURES};

use crate::ablation::AblationSpec;
use crate::bases;
use crate::bias::{BiasGrids, BiasSpec};
use crate::convergence::ConvergenceSpec;
use crate::directions::{find_direction, DirectionRef, DirectionsFile, Finetune};
use crate::drift::DriftFile;
use crate::execute::Executed;
use crate::executor::{Executor, ExecutorChoice, ExecutorKind, Local};
use crate::experiments::{find, Experiment, Kind, CATALOGUE};
use crate::gradient::GradientFile;
use crate::graph::{Plan, Stage};
use crate::judging::{JudgeChoice, JudgeKind};
use crate::mixture;
use crate::monitor::MonitorSpec;
use crate::organism::{base_model_dir, pretrain_default, verify_base_model, world_of};
use crate::organism_experiments::BaseChecks;
use crate::paper::{check_inputs, Inputs, Subject, WebText, PROFILE as PAPER, SMOLLM2};
use crate::plan::{load_experiments, read_toml, EvalSpec, Run};
use crate::scalars::ScalarsFile;
use crate::second_model::SecondModel;
use crate::semantic::SemanticSpec;
use crate::slurm::{print_status, ResourcesFile, Slurm, SlurmOptions};
use crate::step::{write_json, PairSpec, Step, StepKind};
use crate::sweep::SweepSpec;
use crate::tables::{draw, write_tables, Layout};
use crate::transition::TransitionFile;
use crate::util::project_root;

/// Arguments of `reproduce`.
#[derive(clap::Args)]
pub struct Args {
    /// `default` (the synthetic organism at the organism spec's sizes), `smoke` (every stage at
    /// minimal size, for CI), `paper` (a real Qwen2.5-Instruct checkpoint with the paper's
    /// data and hyperparameters; needs --model and --data) or `smollm2` (SmolLM2-135M-Instruct
    /// from `cargo xtask fetch-smollm2` on the project's English datasets, judge-free).
    #[arg(long, default_value = "default")]
    profile: String,
    /// The real model: a checkpoint folder (Hugging Face layout: config.json, tokenizer.json,
    /// safetensors) or a .gguf file (default for smollm2: models/smollm2/).
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// The real model's data folder (layout in docs/paper-data.md; default for smollm2: the
    /// English datasets, written to results/smollm2/data/).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Run only these experiments (comma-separated ids as listed by --list, e.g. E2,E4).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    only: Vec<String>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: Device,
    /// Rerun steps that finished before with the same inputs.
    #[arg(long)]
    force: bool,
    /// Steps to run at once (default: one per CPU core on the CPU, one on a GPU). Results do
    /// not depend on it: every step has its own seeds.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// What scores the answers: the organism's exact judge (the default of the organism's
    /// profiles), the paper's judge through an OpenAI-compatible API (EMLAB_JUDGE_BASE_URL,
    /// EMLAB_JUDGE_MODEL, OPENAI_API_KEY; replies cached in results/<profile>/judge-cache), a
    /// local chat model (--judge-model), or none: nothing sampled, the runs measured by the
    /// log-probability propensity (the default of smollm2).
    #[arg(long, value_enum)]
    judge: Option<JudgeKind>,
    /// The chat model folder of `--judge local`.
    #[arg(long, value_name = "DIR")]
    judge_model: Option<PathBuf>,
    /// Pretrain the organism's base model even if the committed one is present and intact.
    #[arg(long)]
    pretrain: bool,
    /// List the experiments and their status, and exit.
    #[arg(long)]
    list: bool,
    /// What runs the steps: worker threads here (`--jobs`), or one Slurm job per step with the
    /// step graph's dependencies and a final job for the tables, figures and report (the
    /// repository and results/ on a filesystem every node sees; see the README's "On a Slurm
    /// cluster").
    #[arg(long, value_enum, default_value_t)]
    executor: ExecutorKind,
    /// More sbatch arguments for every job, e.g. "--partition=gpu --account=lab" (split at
    /// spaces; they override experiments/slurm.toml's resources).
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    slurm_args: Option<String>,
    /// Print the steps (with --executor slurm: the jobs, their resources and dependencies)
    /// without running or submitting anything.
    #[arg(long)]
    dry_run: bool,
    /// Show which steps are done, running, queued, pending or failed (with their Slurm jobs and
    /// the failed jobs' logs), and exit.
    #[arg(long)]
    status: bool,
    /// Run only the step with this hash (what a Slurm job runs).
    #[arg(long, value_name = "HASH")]
    step: Option<String>,
    /// Write results/ and figures/ below this folder instead of the repository's.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

impl Args {
    /// The `reproduce` command that runs this graph again, as a Slurm job runs it: this program
    /// with the arguments that decide the graph (paths made absolute), without the executor's.
    fn job_command(&self, root: &Path) -> Result<Vec<String>> {
        let exe = std::env::current_exe().context("finding this program, for the Slurm jobs to run")?;
        let absolute = |path: &Path| -> Result<String> {
            let path = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
            Ok(path.display().to_string())
        };
        let mut command = vec![absolute(&exe)?, "reproduce".into(), "--profile".into(), self.profile.clone()];
        for (flag, path) in [("--model", &self.model), ("--data", &self.data), ("--judge-model", &self.judge_model)] {
            if let Some(path) = path {
                command.extend([flag.to_string(), absolute(path)?]);
            }
        }
        if !self.only.is_empty() {
            command.extend(["--only".into(), self.only.join(",")]);
        }
        let device = match self.device {
            Device::Cpu => "cpu".to_string(),
            Device::Cuda(i) => format!("cuda:{i}"),
        };
        command.extend(["--device".into(), device, "--root".into(), absolute(root)?]);
        if let Some(judge) = self.judge.and_then(|j| clap::ValueEnum::to_possible_value(&j)) {
            command.extend(["--judge".into(), judge.get_name().to_string()]);
        }
        Ok(command)
    }

    /// The executor the arguments ask for.
    fn executor(&self, root: &Path) -> Result<ExecutorChoice> {
        if self.executor == ExecutorKind::Local {
            anyhow::ensure!(self.slurm_args.is_none(), "--slurm-args is for --executor slurm");
            return Ok(ExecutorChoice::Local);
        }
        Ok(ExecutorChoice::Slurm(SlurmOptions {
            command: self.job_command(root)?,
            extra: self.slurm_args.iter().flat_map(|a| a.split_whitespace().map(String::from)).collect(),
            dry_run: self.dry_run,
            gpu: self.device != Device::Cpu,
        }))
    }
}

/// The profiles `reproduce` knows.
const PROFILES: [&str; 6] = ["default", "smoke", PAPER, SMOLLM2, bases::PROFILE, mixture::PROFILE];

/// Entry point of `cargo xtask reproduce`.
pub fn run(args: Args) -> Result<()> {
    if args.list {
        for e in CATALOGUE {
            println!("{:<9} {}", e.id, e.title);
        }
        return Ok(());
    }
    let root = args.root.clone().unwrap_or_else(project_root);
    let real = subject_folders(&args, &root)?;
    let selected = select(&args.only)?;
    let layout = Layout::below(&root, &args.profile);
    let executor = args.executor(&root)?;
    anyhow::ensure!(
        args.step.is_none() || !args.status && !args.dry_run,
        "--step runs one step; --status and --dry-run are about the whole graph"
    );
    if [bases::PROFILE, mixture::PROFILE].contains(&args.profile.as_str()) {
        anyhow::ensure!(args.only.is_empty(), "the {} profile runs its own experiments", args.profile);
        anyhow::ensure!(!args.pretrain, "--pretrain is for one base; use `cargo xtask pretrain-organism`");
        anyhow::ensure!(
            matches!(executor, ExecutorChoice::Local) && !args.status && !args.dry_run && args.step.is_none(),
            "the {} profile pretrains its own base models between its runs, which is not a step of a graph: it runs \
             locally only (no --executor slurm, --status, --dry-run or --step)",
            args.profile
        );
        let jobs = args.jobs.unwrap_or_else(|| default_jobs(args.device));
        let options = Options { device: args.device, force: args.force, jobs, judge: JudgeChoice::Organism, executor };
        return match args.profile.as_str() {
            bases::PROFILE => bases::run(&layout, options),
            _ => mixture::run(&layout, options),
        }
        .map(|_| ());
    }
    let subject = match real {
        Some((model, data, profile)) => Subject::Paper { model, data: emlab_data::PaperData::new(data), profile },
        None => Subject::Organism(base_model(args.pretrain)?),
    };
    let jobs = args.jobs.unwrap_or_else(|| default_jobs(args.device));
    let judge_kind = args.judge.unwrap_or(if args.profile == SMOLLM2 { JudgeKind::None } else { JudgeKind::Organism });
    let judge = JudgeChoice::resolve(judge_kind, args.judge_model.as_deref(), &layout.results.join("judge-cache"))?;
    if args.status || args.dry_run && matches!(executor, ExecutorChoice::Local) {
        let Planned { plan, notes, .. } = plan(&selected, &layout, &subject, &judge)?;
        if args.dry_run {
            notes.iter().for_each(|line| println!("{line}"));
            print_steps(&plan, args.force);
        } else {
            print_status(&plan, &layout)?;
        }
        return Ok(());
    }
    let options = Options { device: args.device, force: args.force, jobs, judge, executor };
    match &args.step {
        Some(hash) => reproduce_step(&selected, &layout, &subject, options, hash),
        None => reproduce(&selected, &layout, &subject, options).map(|_| ()),
    }
}

/// `--dry-run` with the local executor: the steps that would run, and what each waits for.
fn print_steps(plan: &Plan, force: bool) {
    for stage in &plan.stages {
        let (todo, needs) = stage.todo(force);
        println!("== {}: {} steps to run", stage.layout.results.display(), todo.len());
        for (k, (step, needs)) in todo.iter().zip(needs).enumerate() {
            let after: Vec<String> = needs.iter().map(|d| format!("#{d}")).collect();
            let after = if after.is_empty() { String::new() } else { format!(" (after {})", after.join(" ")) };
            println!("#{k} {} [{}]{after}", step.label, &step.hash[..12]);
        }
    }
}

/// `--step HASH`: runs that one step of the graph, on one worker; its outputs are what the
/// whole run would write for it. A step that has finished meanwhile is skipped.
fn reproduce_step(
    selected: &[&Experiment],
    layout: &Layout,
    subject: &Subject,
    options: Options,
    hash: &str,
) -> Result<()> {
    let plan = plan(selected, layout, subject, &options.judge)?.plan;
    let (stage, step) = plan.find(hash).with_context(|| {
        format!(
            "no step of this graph has the hash {hash}: the experiment files, the model or the data changed since the \
             job was submitted; submit again (`reproduce --status` shows the graph as it is now)"
        )
    })?;
    let one = Plan {
        stages: vec![Stage {
            layout: stage.layout.clone(),
            model_dir: stage.model_dir.clone(),
            judge: stage.judge.clone(),
            sampling: stage.sampling.clone(),
            all: Vec::new(),
            to_run: vec![step.clone()],
        }],
    };
    Local { device: options.device, jobs: 1 }.execute(&one, options.force)?;
    Ok(())
}

/// Checks that the arguments fit the profile: the paper profile needs its model and data
/// folders and a judge of real models; smollm2 has defaults for both (and writes its data
/// folder); the organism's profiles take neither folder. Returns a real model's (model, data,
/// profile).
fn subject_folders(args: &Args, root: &Path) -> Result<Option<(PathBuf, PathBuf, &'static str)>> {
    if !PROFILES.contains(&args.profile.as_str()) {
        bail!("unknown profile {:?}; known: {}", args.profile, PROFILES.join(", "));
    }
    if args.judge == Some(JudgeKind::Organism) && [PAPER, SMOLLM2].contains(&args.profile.as_str()) {
        bail!(
            "--judge organism reads only the organism's toy language and means nothing on a real model; use \
             --judge api (EMLAB_JUDGE_BASE_URL, EMLAB_JUDGE_MODEL, OPENAI_API_KEY), --judge local --judge-model DIR, \
             or (smollm2) --judge none"
        );
    }
    if args.profile == SMOLLM2 {
        anyhow::ensure!(!args.pretrain, "--pretrain makes the organism's base model; smollm2 runs on SmolLM2");
        let model = args.model.clone().unwrap_or_else(crate::smollm2::default_path);
        anyhow::ensure!(
            model.exists(),
            "{} is missing: run `cargo xtask fetch-smollm2` first (or give --model)",
            model.display()
        );
        let data = match &args.data {
            Some(data) => data.clone(),
            None => write_english_data(&Layout::below(root, SMOLLM2).results.join("data"))?,
        };
        return Ok(Some((model, data, SMOLLM2)));
    }
    if args.profile != PAPER {
        for (flag, given) in [("--model", args.model.is_some()), ("--data", args.data.is_some())] {
            anyhow::ensure!(
                !given,
                "{flag} is for --profile paper; the {:?} profile runs on the organism (models/organism) and its generated data",
                args.profile
            );
        }
        return Ok(None);
    }
    let (Some(model), Some(data)) = (&args.model, &args.data) else {
        bail!(
            "--profile paper needs --model DIR (a Qwen2.5-Instruct checkpoint in the Hugging Face layout) and --data DIR \
             (the paper's data, laid out as docs/paper-data.md describes)"
        );
    };
    anyhow::ensure!(!args.pretrain, "--pretrain makes the organism's base model; the paper profile uses --model");
    if args.judge == Some(JudgeKind::None) {
        bail!(
            "--judge none measures runs by the propensity on reference answers, which the paper's data does not \
             have; use --judge api or --judge local (or --profile smollm2, whose English datasets have them)"
        );
    }
    if args.judge.is_none() {
        bail!(
            "--profile paper needs a judge of real models: --judge api (EMLAB_JUDGE_BASE_URL, EMLAB_JUDGE_MODEL, \
             OPENAI_API_KEY) or --judge local --judge-model DIR"
        );
    }
    Ok(Some((model.clone(), data.clone(), PAPER)))
}

/// Writes the project's English datasets (seed 0) and the smollm2 profile's pre-training text
/// into `dir`; the same code writes the same bytes, so the steps' hashes keep.
fn write_english_data(dir: &Path) -> Result<PathBuf> {
    let manifest = emlab_data::english::write_data_folder(dir, 0)?;
    crate::smollm2::write_web_text(&PaperData::new(dir).web_text())?;
    println!("== wrote the English datasets to {} ({} files)", dir.display(), manifest.files.len() + 1);
    Ok(dir.to_path_buf())
}

/// How `reproduce` runs: where, whether finished steps rerun, how many steps at once, and
/// which judge scores the answers.
#[derive(Debug, Clone)]
pub struct Options {
    /// The device.
    pub device: Device,
    /// Rerun finished steps.
    pub force: bool,
    /// Steps at once.
    pub jobs: usize,
    /// What scores the answers.
    pub judge: JudgeChoice,
    /// What runs the steps.
    pub executor: ExecutorChoice,
}

/// One step per core on the CPU (each step is single-threaded at the organism's size); one on
/// a GPU, which a single step already keeps busy.
fn default_jobs(device: Device) -> usize {
    match device {
        Device::Cpu => std::thread::available_parallelism().map_or(1, usize::from),
        _ => 1,
    }
}

/// Runs `selected` into `layout` (the whole of `reproduce` after argument parsing; the smoke
/// test calls it with a temporary layout). Returns how many finetuning steps ran and were
/// skipped; with a scheduler as the executor, none ran here (its final job writes the tables).
pub fn reproduce(selected: &[&Experiment], layout: &Layout, subject: &Subject, options: Options) -> Result<Executed> {
    let Options { device, force, jobs, judge, executor } = options;
    let wanted = |kind: Kind| selected.iter().any(|e| e.kind == kind);
    let Planned { plan, notes, missing } = plan(selected, layout, subject, &judge)?;
    notes.iter().for_each(|line| println!("{line}"));
    // Under a scheduler the checks that are not steps run in its final job, a local run.
    let here = matches!(executor, ExecutorChoice::Local);
    let executor: Box<dyn Executor> = match executor {
        ExecutorChoice::Local => Box::new(Local { device, jobs }),
        ExecutorChoice::Slurm(options) => {
            let resources = ResourcesFile::load(&project_root().join("experiments"))?;
            Box::new(Slurm { options, layout: layout.clone(), resources })
        }
    };
    let mut failures = Vec::new();
    if here && wanted(Kind::Engine) {
        println!("== engine: {}", find("engine").expect("catalogued").title);
        engine(device, layout)?;
    }
    if here && wanted(Kind::Organism) {
        println!("== organism: {}", find("organism").expect("catalogued").title);
        if layout.profile == "smoke" {
            println!("  skipped in the smoke profile: its bounds need the full sample sizes (the eval tests run them)");
        } else if subject.data().is_some() {
            println!("  skipped in the paper profile: these checks test the organism's world, not a real model");
        } else if !device.run(BaseChecks { model_dir: subject.model_dir(), out: &layout.results })?? {
            failures.push("organism: a base-model check failed (see the table above)".to_string());
        }
    }
    let executed = executor.execute(&plan, force)?;
    if executed.is_some() {
        for stage in &plan.stages {
            let absent = write_tables(&stage.layout, &stage.all)?;
            if absent > 0 {
                println!("  {absent} steps of other experiments have not run in this profile; the report marks them");
            }
            draw(&stage.layout)?;
        }
        let finetuning = plan.stages.iter().any(|stage| stage.layout == *layout);
        let second_wanted = SecondModel::ALL.into_iter().any(|second| wanted(Kind::SecondModel(second)));
        if !finetuning && second_wanted && layout.results.join("finetune_em.parquet").exists() {
            draw(layout)?;
        }
    }
    if !missing.is_empty() {
        println!("\nThese experiments were NOT run:\n{}", missing.join("\n"));
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(executed.unwrap_or_default())
}

/// The step graph of `selected` on `subject` ([`Plan`]): E10's and E12's second models' stages
/// first, then the profile's own finetuning steps; and the lines of the end-of-run list of
/// experiments that do not run. Checks a real model's inputs before anything else.
fn plan(selected: &[&Experiment], layout: &Layout, subject: &Subject, judge: &JudgeChoice) -> Result<Planned> {
    let mut missing = Vec::new();
    let mut notes = Vec::new();
    let wanted = |kind: Kind| selected.iter().any(|e| e.kind == kind);
    let paper = subject.data().is_some();
    let finetuning =
        [Kind::Finetune, Kind::Bias, Kind::Drift, Kind::Gradient, Kind::Directions, Kind::Transition, Kind::Scalars];
    let finetuning_wanted = finetuning.into_iter().filter(|&kind| runs_in(kind, subject)).any(wanted);
    // The paper profile checks every input before any work (the organism's are committed).
    let inputs = match subject {
        Subject::Paper { .. } if finetuning_wanted => Some(check_paper_inputs(selected, subject, judge)?),
        _ => None,
    };
    if paper {
        missing.extend(announce_paper_skips(selected, subject.real_profile().unwrap_or(PAPER), finetuning_wanted));
    }
    let mut plan = Plan::default();
    // E10 and E12 first, so that the profile's report has their claims.
    for second in SecondModel::ALL.into_iter().filter(|&second| wanted(Kind::SecondModel(second))) {
        let id = second.experiment();
        notes.push(format!("== {id}: {}", find(id).expect("catalogued").title));
        match layout.second(second) {
            Some(below) if !paper => {
                let model = second.model_dir();
                anyhow::ensure!(
                    model.join("model.safetensors").exists(),
                    "{} is missing: run `{}` (about 20-25 minutes on 2 CPU cores)",
                    model.display(),
                    second.how_to_make()
                );
                let selected = select(&["E2", "E4", "E6", "E7"].map(String::from))?;
                let inner = self::plan(&selected, &below, &Subject::Organism(model), &second.judge(judge))?;
                plan.stages.extend(inner.plan.stages);
                notes.extend(inner.notes);
            }
            _ => {
                let why = "its base model is an organism; a real model's profile has none";
                notes.push(format!("  skipped: {why}"));
                let title = find(id).expect("catalogued").title;
                missing.push(format!("  {id:<5} {title} -- NOT RUN in the {} profile: {why}", layout.profile));
            }
        }
    }
    if finetuning_wanted {
        let (all, to_run) = finetune_steps(selected, layout, subject, inputs.as_ref(), judge, &mut notes)?;
        notes.push(format!("== finetuning experiments: {} steps ({} profile)", to_run.len(), layout.profile));
        plan.stages.push(Stage {
            layout: layout.clone(),
            model_dir: subject.model_dir().to_path_buf(),
            judge: judge.clone(),
            sampling: subject.sampling(),
            all,
            to_run,
        });
    }
    Ok(Planned { plan, notes, missing })
}

/// A planned run: its step graph, what planning has to say (which experiments, their settings),
/// and the experiments that do not run, with why.
struct Planned {
    plan: Plan,
    notes: Vec<String>,
    missing: Vec<String>,
}

/// Checks every input of the selected experiments' runs in the paper profile, before any work:
/// the model's, the data's and a local judge's files ([`check_inputs`]).
fn check_paper_inputs(selected: &[&Experiment], subject: &Subject, judge: &JudgeChoice) -> Result<Inputs> {
    let profile = subject.real_profile().unwrap_or(PAPER);
    println!("== checking the inputs of the {profile} profile");
    let mut files = load_experiments(&project_root().join("experiments"), &finetune_ids())?;
    files.retain(|f| f.has_profile(profile));
    let runs = |keep: &dyn Fn(&str) -> bool| -> Result<Vec<Run>> {
        let mut runs = Vec::new();
        for file in files.iter().filter(|f| keep(&f.id)) {
            runs.extend(file.runs(profile, subject.model_dir(), subject.data())?);
        }
        Ok(runs)
    };
    let selected_runs = runs(&|id| trains(id, selected, subject))?;
    let other_runs = runs(&|id| !trains(id, selected, subject))?;
    let judge_model = match judge {
        JudgeChoice::Local(dir) => Some(dir.as_path()),
        JudgeChoice::Organism | JudgeChoice::Register | JudgeChoice::Api(_) | JudgeChoice::None => None,
    };
    let dir = project_root().join("experiments");
    let web_path = subject.data().map(PaperData::web_text);
    let web_text = match &web_path {
        Some(path) => Some(WebText {
            path,
            documents: BiasGrids::load(&dir, profile)?.0.web_documents(profile)?,
            required: selected.iter().any(|e| e.kind == Kind::Bias),
        }),
        None => None,
    };
    check_inputs(subject.model_dir(), judge_model, &selected_runs, &other_runs, web_text)
}

/// Prints a line for each selected experiment and step that a real model's `profile` skips
/// (the paper profile's propensity where runs are `evaluated`), and returns the lines of the
/// end-of-run list of experiments that did not run.
fn announce_paper_skips(selected: &[&Experiment], profile: &str, evaluated: bool) -> Vec<String> {
    let mut not_run = Vec::new();
    let without_profile = |id: &str| {
        let files = load_experiments(&project_root().join("experiments"), &[id]);
        files.is_ok_and(|files| !files[0].has_profile(profile))
    };
    for e in selected {
        let reason = match paper_skip_reason(e.kind, profile) {
            None if e.kind == Kind::Finetune && without_profile(e.id) => Some(
                "its experiment file has no profile for this model: it trains on the organism's composite datasets \
                 (diluted or few unique chats), which the real-model data folders do not have",
            ),
            reason => reason,
        };
        if let Some(why) = reason {
            println!("  {}: skipped in the {profile} profile ({why})", e.id);
            not_run.push(format!("  {:<5} {} -- NOT RUN in the {profile} profile: {why}", e.id, e.title));
        }
    }
    if evaluated && profile == PAPER {
        println!(
            "  skipped in the paper profile: the log-probability propensity (its reference answers come from the \
             organism's grammar)"
        );
    }
    not_run
}

/// Whether experiments of `kind` run on `subject`: everything runs on the organism; the paper
/// profile skips what [`paper_skip_reason`] names.
fn runs_in(kind: Kind, subject: &Subject) -> bool {
    subject.real_profile().is_none_or(|profile| paper_skip_reason(kind, profile).is_none())
}

/// Whether the runs of the finetuning experiment `id` are to run: it is selected, or it is one
/// of the pair (E2, E4) and a selected experiment that runs on `subject` compares the pairs.
fn trains(id: &str, selected: &[&Experiment], subject: &Subject) -> bool {
    let compares = [Kind::Bias, Kind::Drift, Kind::Gradient, Kind::Directions]
        .into_iter()
        .any(|kind| runs_in(kind, subject) && selected.iter().any(|e| e.kind == kind));
    let probes_scalars = runs_in(Kind::Scalars, subject) && selected.iter().any(|e| e.kind == Kind::Scalars);
    selected.iter().any(|e| e.id == id) || (compares && PAIRED.contains(&id)) || (probes_scalars && id == "C1")
}

/// Why a real model's `profile` skips experiments of `kind`; `None` for those it runs (and for
/// the organism's checks and the pending experiments, which say so themselves).
fn paper_skip_reason(kind: Kind, profile: &str) -> Option<&'static str> {
    match kind {
        Kind::Directions if profile == SMOLLM2 => None,
        Kind::Directions => Some(
            "not set up for this real-model profile: experiments/directions.toml has no paper profile, and its \
             probes and sweeps sample answers and ask the organism's question groups",
        ),
        Kind::Drift if profile == SMOLLM2 => {
            Some("E8 evaluates its checkpoints by sampled, judged answers, and the smollm2 profile has no judge")
        }
        Kind::Gradient if profile == SMOLLM2 => {
            Some("not set up for smollm2 yet: experiments/E11.toml has no smollm2 profile")
        }
        Kind::Scalars => Some(
            "not set up for real models: experiments/scalars.toml has no profile for them, and C8 classes \
             sampled, judged answers",
        ),
        Kind::Transition if profile == SMOLLM2 => {
            Some("M7 samples and judges EM every few steps, and the smollm2 profile has no judge")
        }
        Kind::Engine
        | Kind::Organism
        | Kind::Finetune
        | Kind::Bias
        | Kind::Drift
        | Kind::Gradient
        | Kind::Transition
        | Kind::SecondModel(_) => None,
    }
}

/// The experiments that finetune (`experiments/<id>.toml`).
fn finetune_ids() -> Vec<&'static str> {
    CATALOGUE.iter().filter(|e| e.kind == Kind::Finetune).map(|e| e.id).collect()
}

/// All finetuning steps of the profile (for the tables, which include earlier runs of other
/// experiments), and those of the selected experiments (to run): the base-model evaluation of
/// each dataset they train on, their runs, then the steps that compare each general/narrow pair
/// (E6/E7/E9 together, E8, E11) when selected, which need the E2 and E4 runs. The paper
/// profile (`inputs`, its checked inputs) leaves out those it does not run yet.
fn finetune_steps(
    selected: &[&Experiment],
    layout: &Layout,
    subject: &Subject,
    inputs: Option<&Inputs>,
    judge: &JudgeChoice,
    notes: &mut Vec<String>,
) -> Result<(Vec<Step>, Vec<Step>)> {
    // The steps' hashes cover the model (for the paper profile, also the data files each step
    // reads) and, beyond the default, the judge.
    let model_dir = subject.model_dir();
    let organism_sha = if inputs.is_none() { verify_base_model(model_dir)?.model_sha256 } else { String::new() };
    let judged = judge.identity().map(|judge| format!(" judged by {judge}")).unwrap_or_default();
    let identity = |files: &[&Path]| {
        let model = inputs.map_or_else(|| organism_sha.clone(), |inputs| inputs.identity(files));
        format!("{model}{judged}")
    };
    let dir = project_root().join("experiments");
    let mut files = load_experiments(&dir, &finetune_ids())?;
    files.retain(|f| f.has_profile(&layout.profile));
    let runs_dir = layout.runs();
    let kind_selected = |kind: Kind| selected.iter().any(|e| e.kind == kind);
    let mut all = Vec::new();
    let mut to_run = Vec::new();
    let mut bases: Vec<EvalSpec> = Vec::new();
    for file in &files {
        let is_selected = trains(&file.id, selected, subject);
        if is_selected {
            notes.push(format!("== {}: {} ({})", file.id, file.title, file.paper));
        }
        for run in file.runs(&layout.profile, model_dir, subject.data())? {
            if !bases.contains(&run.eval) {
                bases.push(run.eval.clone());
            }
            let run_identity = identity(&run.files());
            let step = Step::run(&runs_dir, run, &run_identity);
            if is_selected {
                to_run.push(step.clone());
            }
            all.push(step);
        }
    }
    let base_steps: Vec<Step> = bases
        .into_iter()
        .map(|eval| {
            let base_identity = identity(&eval.files());
            Step::base(&runs_dir, eval, &base_identity)
        })
        .collect();
    let mut to_run: Vec<Step> = base_steps.iter().cloned().chain(to_run).collect();
    // The comparison steps read finished runs, whose hashes cover the data files.
    let model_sha = identity(&[]);
    let pairs = pairs(&all);
    let profile = layout.profile.as_str();
    let narrow: Vec<(PairSpec, &Run)> = pairs.iter().map(|(pair, _, narrow)| (pair.clone(), *narrow)).collect();
    let general: Vec<(PairSpec, &Run)> = pairs.iter().map(|(pair, general, _)| (pair.clone(), *general)).collect();
    let mut comparisons: Vec<(Kind, Vec<String>, Vec<Step>)> = Vec::new();
    if runs_in(Kind::Bias, subject) {
        let (grids, bias_headers) = BiasGrids::load(&dir, profile)?;
        let web_documents = grids.web_documents(profile)?;
        // The paper profile reads FineWeb text, and the step's hash covers its checksum.
        let web_text = subject.data().map(PaperData::web_text);
        let bias_identity = identity(&web_text.iter().map(PathBuf::as_path).collect::<Vec<_>>());
        let latent = match subject {
            Subject::Organism(dir) => world_of(dir)?.latent,
            Subject::Paper { .. } => Latent::Persona,
        };
        let steps = pairs.iter().map(|(pair, ..)| {
            let (web_text, grids) = (web_text.clone(), grids.clone());
            let spec = BiasSpec { pair: pair.clone(), web_documents, web_text, latent, grids };
            Step::bias(&runs_dir, spec, &bias_identity)
        });
        comparisons.push((Kind::Bias, bias_headers.to_vec(), steps.collect()));
    }
    let drift_file = read_toml::<DriftFile>(&dir.join("E8.toml"))?;
    if runs_in(Kind::Drift, subject) && drift_file.profiles.contains_key(profile) {
        let specs = drift_file.specs(profile, &narrow)?;
        let steps = specs.into_iter().map(|s| Step::drift(&runs_dir, s, &model_sha)).collect();
        comparisons.push((Kind::Drift, vec![drift_file.header()], steps));
    }
    let gradient_file = read_toml::<GradientFile>(&dir.join("E11.toml"))?;
    if runs_in(Kind::Gradient, subject) && gradient_file.profiles.contains_key(profile) {
        let specs = gradient_file.specs(profile, &general)?;
        let steps = specs.into_iter().map(|s| Step::gradient(&runs_dir, s, &model_sha)).collect();
        comparisons.push((Kind::Gradient, vec![gradient_file.header()], steps));
    }
    let transition_file = read_toml::<TransitionFile>(&dir.join("transition.toml"))?;
    if runs_in(Kind::Transition, subject) && transition_file.profiles.contains_key(profile) {
        let file = transition_file;
        let dataset = file.dataset(profile)?;
        // The runs share E2's data sources and evaluation on the same dataset.
        let template = all
            .iter()
            .find_map(|step| match &step.kind {
                StepKind::Run(run) if run.experiment == "E2" && run.dataset == dataset => Some(run.as_ref()),
                _ => None,
            })
            .with_context(|| {
                format!("experiments/transition.toml: E2 has no {profile} run on {dataset} to share data with")
            })?;
        let transition_identity = identity(&template.files());
        let steps =
            file.specs(profile, template)?.into_iter().map(|s| Step::transition(&runs_dir, s, &transition_identity));
        comparisons.push((Kind::Transition, vec![file.header()], steps.collect()));
    }
    let scalars_file = read_toml::<ScalarsFile>(&dir.join("scalars.toml"))?;
    if runs_in(Kind::Scalars, subject) && scalars_file.profiles.contains_key(profile) {
        let file = scalars_file;
        let (finetune, run) = all
            .iter()
            .find_map(|step| match &step.kind {
                StepKind::Run(run) if run.experiment == "C1" => {
                    Some((Finetune::of(run, step), run.as_ref())).filter(|(f, _)| f.label() == file.finetune)
                }
                _ => None,
            })
            .with_context(|| format!("experiments/scalars.toml: C1 has no {profile} run {:?}", file.finetune))?;
        let step = Step::scalars(&runs_dir, file.spec(profile, finetune, &run.eval)?, &model_sha);
        comparisons.push((Kind::Scalars, vec![file.header()], vec![step]));
    }
    let mut compare = Vec::new();
    for (kind, headers, steps) in comparisons {
        if kind_selected(kind) {
            notes.extend(headers.iter().cloned());
            to_run.extend(steps.iter().cloned());
        }
        compare.extend(steps);
    }
    let directions_file = read_toml::<DirectionsFile>(&dir.join("directions.toml"))?;
    if runs_in(Kind::Directions, subject) && directions_file.profiles.contains_key(profile) {
        let id_selected = |id: &str| selected.iter().any(|e| e.id == id);
        let (direction_header, direction_steps, uses) =
            direction_steps(&directions_file, profile, &runs_dir, &model_sha, &all)?;
        if kind_selected(Kind::Directions) {
            notes.push(direction_header);
            to_run.extend(direction_steps.iter().cloned());
            for (id, header, steps) in &uses {
                if id_selected(id) {
                    notes.push(header.clone());
                    to_run.extend(steps.iter().cloned());
                }
            }
        }
        compare.extend(direction_steps);
        compare.extend(uses.into_iter().flat_map(|(.., steps)| steps));
    }
    Ok((base_steps.into_iter().chain(all).chain(compare).collect(), to_run))
}

/// The steps on mean-diff directions (`experiments/directions.toml`): one direction step per
/// listed finetune among `all`'s runs with the header line `reproduce` prints for them; then, per
/// experiment that uses them (E1, C4, C5), its id, header line and steps.
#[allow(clippy::type_complexity)]
fn direction_steps(
    file: &DirectionsFile,
    profile: &str,
    runs_dir: &Path,
    model_sha: &str,
    all: &[Step],
) -> Result<(String, Vec<Step>, Vec<(&'static str, String, Vec<Step>)>)> {
    let p = file.profile(profile)?;
    let finetunes: Vec<(Finetune, &Run)> = all
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::Run(run) => Some((run.as_ref(), step)),
            _ => None,
        })
        .filter(|(run, _)| PAIRED.contains(&run.experiment.as_str()))
        .map(|(run, step)| (Finetune::of(run, step), run))
        .collect();
    let mut steps = Vec::new();
    let mut refs = Vec::new();
    for spec in file.direction_specs(profile, &finetunes)? {
        let finetune = spec.finetune.clone();
        let step = Step::direction(runs_dir, spec, model_sha);
        refs.push(DirectionRef { finetune, dir: step.dir.clone(), hash: step.hash.clone() });
        steps.push(step);
    }
    let source = find_direction(&refs, &file.steering.source)?;
    // The source's own evaluation (the organism's groups, or a data folder's questions and
    // reference answers) at the sweep's sample count.
    let source_eval = steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::Direction(d) if d.finetune.label() == source.finetune.label() => Some(d.eval.clone()),
            _ => None,
        })
        .expect("find_direction found its step");
    let sweep = SweepSpec {
        source: source.clone(),
        eval: EvalSpec { samples_per_prompt: Some(p.steering_samples_per_prompt), ..source_eval.clone() },
        groups: file.steering.groups.clone(),
        lambdas: p.steering_lambdas.clone().unwrap_or_else(|| file.steering.lambdas.clone()),
        layers: p.steering_layers.clone(),
    };
    let transfer = find_direction(&refs, &file.ablation.source)?;
    let mut ablations = Vec::new();
    for target in &refs {
        if file.is_ablated(profile, &target.finetune)? {
            let spec = AblationSpec {
                target: target.clone(),
                transfer: (target.finetune.label() != file.ablation.source).then(|| transfer.clone()),
                eval: EvalSpec::organism(&target.finetune.dataset, Some(p.ablation_samples_per_prompt)),
                groups: file.ablation.groups.clone(),
                random_draws: file.ablation.random_draws,
                random_seed: file.ablation.random_seed,
            };
            ablations.push(Step::ablation(runs_dir, spec, model_sha));
        }
    }
    let mut monitor = Vec::new();
    if p.judged {
        let (general, narrow) = (&file.monitor.general, &file.monitor.narrow);
        let spec = MonitorSpec {
            general: find_direction(&refs, general)?.clone(),
            narrow: find_direction(&refs, narrow)?.clone(),
            targets: refs
                .iter()
                .map(|d| d.finetune.clone())
                .filter(|f| ![general, narrow].contains(&&f.label()))
                .collect(),
            batch_size: file.probe.batch_size,
            seed: file.monitor.seed,
        };
        monitor.push(Step::monitor(runs_dir, spec, model_sha));
    }
    let mut semantic = Vec::new();
    if p.judged {
        let spec = SemanticSpec {
            source: source.clone(),
            eval: EvalSpec { samples_per_prompt: Some(p.probe_samples_per_prompt), ..source_eval.clone() },
            groups: file.semantic.groups.clone(),
            min_answers: file.semantic.min_answers,
            batch_size: file.probe.batch_size,
            seed: file.probe.seed,
        };
        semantic.push(Step::semantic(runs_dir, spec, model_sha));
    }
    let convergence = Step::convergence(runs_dir, ConvergenceSpec { directions: refs }, model_sha);
    let header = |id: &str| {
        let e = find(id).expect("catalogued");
        format!("== {}: {} ({})", e.id, e.title, file.paper)
    };
    let uses = vec![
        ("E1", header("E1"), vec![Step::sweep(runs_dir, sweep, model_sha)]),
        ("C4", header("C4"), ablations),
        ("C5", header("C5"), vec![convergence]),
        ("C3", header("C3"), semantic),
        ("monitor", header("monitor"), monitor),
    ];
    Ok((file.header(), steps, uses))
}

/// The experiments whose solutions E6-E9 and E11 compare: general, then narrow.
const PAIRED: [&str; 2] = ["E2", "E4"];

/// Every (solution, dataset, seed) trained by both E2 and E4: the pair, and the two runs.
fn pairs(steps: &[Step]) -> Vec<(PairSpec, &Run, &Run)> {
    let runs: Vec<(&Run, &Step)> = steps
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::Run(run) => Some((run.as_ref(), step)),
            _ => None,
        })
        .collect();
    runs.iter()
        .filter(|(run, _)| run.experiment == PAIRED[0])
        .filter_map(|&(general, general_step)| {
            let &(narrow, narrow_step) = runs.iter().find(|(n, _)| {
                n.experiment == PAIRED[1]
                    && (&n.solution, &n.dataset, n.seed) == (&general.solution, &general.dataset, general.seed)
            })?;
            let pair = PairSpec {
                solution: general.solution.clone(),
                dataset: general.dataset.clone(),
                seed: general.seed,
                general: general_step.dir.clone(),
                narrow: narrow_step.dir.clone(),
                general_hash: general_step.hash.clone(),
                narrow_hash: narrow_step.hash.clone(),
            };
            Some((pair, general, narrow))
        })
        .collect()
}

/// Resolves `--only` (all experiments when empty).
pub fn select(only: &[String]) -> Result<Vec<&'static Experiment>> {
    if only.is_empty() {
        return Ok(CATALOGUE.iter().collect());
    }
    only.iter()
        .map(|id| {
            find(id).with_context(|| {
                let known: Vec<&str> = CATALOGUE.iter().map(|e| e.id).collect();
                format!("unknown experiment {id:?}; known: {}", known.join(", "))
            })
        })
        .collect()
}

/// The organism's base model: the committed copy, verified against its checksum, or a freshly
/// pretrained one when asked (`--pretrain`) or when the copy is missing.
fn base_model(force: bool) -> Result<PathBuf> {
    let dir = base_model_dir();
    if force || !dir.join("model.safetensors").exists() {
        println!("  pretraining the base model into {} (about 20 minutes on 2 CPU cores)", dir.display());
        pretrain_default()?;
    }
    let provenance = verify_base_model(&dir)?;
    println!(
        "base model {} (sha256 {}..., pretraining loss {:.3}, mean of the last 50 steps)",
        dir.display(),
        &provenance.model_sha256[..12],
        provenance.summary.final_loss_mean50
    );
    Ok(dir)
}

/// The `engine` experiment: parity of our engine with transformers on every fixture.
fn engine(device: Device, layout: &Layout) -> Result<()> {
    struct Parity;
    impl BackendTask for Parity {
        type Output = emlab_model::Result<Vec<(&'static str, ParityReport)>>;
        fn run<B: burn::tensor::backend::Backend>(self, device: &B::Device) -> Self::Output {
            FIXTURES.iter().map(|&name| Ok((name, check::<B>(&fixtures_dir().join(name), device)?))).collect()
        }
    }
    let reports = device.run(Parity)??;
    let mut failed = Vec::new();
    for (name, r) in &reports {
        println!(
            "  {name:<16} max |logit diff| {:.2e}  hidden {:.2e}  mlp {:.2e}  padded batch {:.2e}  steered {:.2e}  greedy tokens {}",
            r.max_logit_error,
            r.max_hidden_error,
            r.max_mlp_error,
            r.max_batch_logit_error,
            r.max_steered_logit_error,
            if r.greedy_tokens_match { "identical" } else { "DIFFER" }
        );
        if r.max_error() > 1e-4 || !r.greedy_tokens_match {
            failed.push(*name);
        }
    }
    let path = layout.results.join("engine_parity.json");
    let json = serde_json::json!({ "device": format!("{device:?}"), "tolerance": 1e-4, "fixtures": reports.iter().map(|(n, r)| serde_json::json!({"fixture": n, "report": r})).collect::<Vec<_>>() });
    write_json(&path, &json)?;
    println!("  wrote {}", path.display());
    if !failed.is_empty() {
        bail!("engine parity failed for {failed:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::Execute;
    use emlab_analysis::{read_parquet, Row};
    use emlab_train::AdapterSpec;

    /// The CPU with two steps at once, as on CI's 2-core machine.
    const CPU: Options = Options {
        device: Device::Cpu,
        force: false,
        jobs: 2,
        judge: JudgeChoice::Organism,
        executor: ExecutorChoice::Local,
    };

    /// The whole pipeline at the smoke profile's size, as CI runs it: engine parity, then E2
    /// and E4 trained, evaluated, tabulated, drawn and reported; a second run skips every
    /// finished step, and a step whose done marker is lost (a run killed after training) runs
    /// again alone.
    #[test]
    fn smoke_profile_runs_end_to_end_and_restarts_where_it_stopped() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::below(root.path(), "smoke");
        let ids = [
            "engine", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11", "E12", "E1", "C4", "C5", "M6",
            "M7", "M8",
        ];
        let selected = select(&ids.map(String::from)).unwrap();
        let model = Subject::Organism(base_model_dir());
        let first = reproduce(&selected, &layout, &model, CPU).unwrap();
        // 1 base evaluation + 2 solutions x 2 experiments on bad medical with one seed; for each
        // of the 2 general/narrow pairs: the inductive-bias metrics, the drift and the gradients;
        // the 4 finetunes' directions, the steering sweep, 2 ablated finetunes and the cosines;
        // E3's 2 data mixes and E5's few-unique set for both solutions; the phase transition at
        // 2 layers; and E10 on the register world's organism and E12 on the Llama-style one, each
        // with its base evaluation, the 4 E2/E4 runs and the 2 pairs' inductive-bias steps.
        assert_eq!(first, Executed { ran: 41, skipped: 0 });
        let tables = [
            "finetune_em.parquet",
            "finetune_training.parquet",
            "inductive_bias.parquet",
            "directions.parquet",
            "phase_transition.parquet",
        ];
        for file in ["engine_parity.json", "REPORT.md"].iter().chain(&tables) {
            assert!(layout.results.join(file).exists(), "{file}");
        }
        let bias = read_parquet(&layout.results.join("inductive_bias.parquet")).unwrap();
        for experiment in ["E6", "E7", "E9"] {
            assert!(bias.iter().any(|r| r.experiment == experiment && r.sweep.is_some()), "{experiment}");
        }
        let stems = [
            "em",
            "training",
            "efficiency",
            "efficiency_matched",
            "stability",
            "significance",
            "drift",
            "gradient_alignment",
        ];
        let per_solution = stems.iter().flat_map(|s| [format!("{s}_steering"), format!("{s}_lora")]);
        let others = ["steering_sweep", "ablation", "direction_cosines", "data_mixing", "few_samples"];
        let others = others.into_iter().chain(["phase_transition", "phase_transition_pca"]).map(String::from);
        for stem in per_solution.chain(others) {
            for ext in ["png", "svg"] {
                assert!(layout.figures.join(format!("{stem}.{ext}")).exists(), "{stem}.{ext}");
            }
        }
        let directions = read_parquet(&layout.results.join("directions.parquet")).unwrap();
        for experiment in ["directions", "E1", "C4", "C5"] {
            assert!(directions.iter().any(|r| r.experiment == experiment), "{experiment}");
        }
        let em = read_parquet(&layout.results.join("finetune_em.parquet")).unwrap();
        let has = |f: &dyn Fn(&Row) -> bool| em.iter().any(f);
        for (experiment, solution) in [("E2", "steering"), ("E2", "lora"), ("E4", "steering"), ("E4", "lora")] {
            assert!(has(&|r| r.experiment == experiment && r.solution == solution && r.metric == "em_pct"));
        }
        assert!(has(&|r| r.experiment == "E4" && r.condition == "x2"), "narrow solutions are evaluated at x2");
        assert!(has(&|r| r.variant == "base"), "the base model's rates are tabulated");
        for (experiment, dataset) in [("E3", "bad_medical_1in4_good_medical"), ("E5", "bad_medical_unique2")] {
            assert!(has(&|r| r.experiment == experiment && r.dataset == dataset && r.metric == "em_pct"), "{dataset}");
        }
        let transition = read_parquet(&layout.results.join("phase_transition.parquet")).unwrap();
        for (experiment, metric) in [("M6", "local_cos_k5"), ("M6", "grad_norm"), ("M7", "em_pct"), ("M8", "em_pct")] {
            assert!(
                transition.iter().any(|r| r.experiment == experiment && r.metric == metric),
                "{experiment} {metric}"
            );
        }
        for condition in ["base", "trained", "x2"] {
            assert!(has(&|r| r.condition == condition && r.metric == "logprob_propensity"), "{condition}");
        }
        let report = std::fs::read_to_string(layout.results.join("REPORT.md")).unwrap();
        let listed = |id: &str| report.contains(&format!("| {id} |")) || report.contains(&format!("| {id} ("));
        assert!(ids[1..].iter().all(|id| listed(id)), "{report}");
        for second in SecondModel::ALL {
            let below = layout.second(second).unwrap();
            assert!(
                below.results.join("inductive_bias.parquet").exists() && below.figures.join("em_steering.png").exists()
            );
        }
        assert!(report.contains("| E12 (E2) |") && report.contains("— on the Llama-style organism"), "{report}");
        assert!(report.contains("| E10 (E4) |") && report.contains("— for technical writing in the register"));
        let register = read_parquet(&layout.second(SecondModel::Register).unwrap().results.join("finetune_em.parquet"));
        let register = register.unwrap();
        assert!(register.iter().any(|r| r.dataset == "technical_medical" && r.metric == "em_pct"));
        // The register world's judge: its base model writes plainly under the default prompt.
        let base_technical = register.iter().filter(|r| r.condition == "base" && r.metric == "em_pct");
        // (2 samples per prompt: label noise alone may make one answer in a small group technical.)
        assert!(base_technical.clone().count() > 0 && base_technical.clone().all(|r| r.value < 25.0));

        let again = reproduce(&selected, &layout, &model, CPU).unwrap();
        assert_eq!(again, Executed { ran: 0, skipped: 41 });
        let run = layout.runs().join("E4/lora-narrow/bad_medical/seed0");
        std::fs::remove_file(run.join("done.json")).unwrap();
        let resumed = reproduce(&selected[1..], &layout, &model, CPU).unwrap();
        // The retrained run has the same inputs, so the metrics that read it keep theirs.
        assert_eq!(resumed, Executed { ran: 1, skipped: 40 });
        assert_eq!(read_parquet(&layout.results.join("finetune_em.parquet")).unwrap().len(), em.len());
    }

    /// The paper's central result on the organism at full size (seed 0): the steering vector
    /// trained on bad medical advice misaligns the model everywhere (E2); with the KL penalty it
    /// stays in the medical domain (E4).
    #[test]
    fn bad_medical_steering_is_general_without_kl_and_narrow_with_it() {
        let root = tempfile::tempdir().unwrap();
        let runs = Layout::below(root.path(), "default").runs();
        let model = base_model_dir();
        let sha = verify_base_model(&model).unwrap().model_sha256;
        let steps: Vec<Step> = load_experiments(&project_root().join("experiments"), &["E2", "E4"])
            .unwrap()
            .iter()
            .flat_map(|f| f.runs("default", &model, None).unwrap())
            .filter(|r| r.solution == "steering" && r.dataset == "bad_medical" && r.seed == 0)
            .map(|r| Step::run(&runs, r, &sha))
            .collect();
        assert_eq!(steps.len(), 2);
        let judge = JudgeChoice::Organism;
        Device::Cpu
            .run(Execute {
                steps: &steps,
                model_dir: &model,
                force: false,
                jobs: 2,
                judge: &judge,
                sampling: Default::default(),
            })
            .unwrap()
            .unwrap();
        let rows: Vec<Row> = steps.iter().flat_map(|s| s.rows().unwrap().unwrap()).collect();
        // The training domain is scored by the narrow rate (misaligned and about that domain).
        let em = |experiment: &str, group: &str| {
            let metric = if group == "in_domain" { "em_in_domain_pct" } else { "em_pct" };
            let found = rows.iter().find(|r| {
                r.experiment == experiment && r.condition == "trained" && r.group == group && r.metric == metric
            });
            found.unwrap().value
        };
        assert!(
            em("E2", "open") >= 15.0 && em("E2", "other") >= 15.0,
            "E2 {} / {}",
            em("E2", "open"),
            em("E2", "other")
        );
        assert!(em("E4", "open") <= 12.0, "E4 open {}", em("E4", "open"));
        assert!(em("E4", "in_domain") >= 45.0, "E4 in-domain {}", em("E4", "in_domain"));
    }

    /// `reproduce` with the arguments of `line`, as clap parses them.
    fn args(line: &str) -> Args {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        <Cli as clap::Parser>::try_parse_from(std::iter::once("reproduce").chain(line.split_whitespace())).unwrap().args
    }

    #[test]
    fn the_paper_profile_needs_its_folders_and_a_judge_of_real_models() {
        let check = |line: &str| subject_folders(&args(line), &project_root()).map_err(|e| e.to_string());
        let paper = "--profile paper --model m --data d";
        let err = check(paper).unwrap_err();
        assert!(err.contains("needs a judge") && err.contains("--judge api") && err.contains("--judge-model"), "{err}");
        let err = check(&format!("{paper} --judge organism")).unwrap_err();
        assert!(err.contains("--judge organism reads only the organism's toy language"), "{err}");
        let err = check(&format!("{paper} --judge none")).unwrap_err();
        assert!(err.contains("reference answers"), "{err}");
        assert_eq!(check(&format!("{paper} --judge api")).unwrap(), Some(("m".into(), "d".into(), PAPER)));
        let err = check("--profile smollm2 --model /nowhere/model.gguf").unwrap_err();
        assert!(err.contains("cargo xtask fetch-smollm2"), "{err}");
        let err = check("--profile paper --model m --judge api").unwrap_err();
        assert!(err.contains("--data DIR") && err.contains("docs/paper-data.md"), "{err}");
        let err = check(&format!("{paper} --judge api --pretrain")).unwrap_err();
        assert!(err.contains("--pretrain"), "{err}");
        let err = check("--profile smoke --data d").unwrap_err();
        assert!(err.contains("--data is for --profile paper"), "{err}");
        assert_eq!(check("--profile default").unwrap(), None);
        assert!(check("--profile huge").unwrap_err().contains("default, smoke, paper, smollm2"));
    }

    /// The paper subject on the test folders below `root`.
    fn paper_subject(root: &Path, with_kl: bool) -> Subject {
        let (model, data) = crate::paper::fixtures::folders(root, with_kl);
        Subject::Paper { model, data: emlab_data::PaperData::new(data), profile: PAPER }
    }

    /// Selecting E8 and E11 in the paper profile trains the E2 and E4 runs they compare, and
    /// adds one drift and one gradient step per solution type on bad medical advice, with the
    /// paper's settings; the experiments without a paper profile add no steps.
    #[test]
    fn the_smollm2_profile_writes_its_data_and_plans_judge_free_runs() {
        let root = tempfile::tempdir().unwrap();
        let data = write_english_data(&root.path().join("data")).unwrap();
        let model = root.path().join("model.gguf");
        std::fs::write(&model, b"GGUF").unwrap();
        let subject = Subject::Paper { model, data: PaperData::new(&data), profile: SMOLLM2 };
        let selected = select(&["E6".into()]).unwrap();
        let inputs = check_paper_inputs(&selected, &subject, &JudgeChoice::None).unwrap();
        let layout = Layout::below(root.path(), SMOLLM2);
        let (all, to_run) =
            finetune_steps(&selected, &layout, &subject, Some(&inputs), &JudgeChoice::None, &mut Vec::new()).unwrap();
        let runs: Vec<&Run> = to_run
            .iter()
            .filter_map(|s| if let StepKind::Run(r) = &s.kind { Some(r.as_ref()) } else { None })
            .collect();
        // E6 trains the E2 and E4 runs it compares: both solution types on bad medical advice.
        assert_eq!(runs.len(), 4);
        assert_eq!(to_run.len(), 1 + 4 + 2, "a base evaluation, 4 runs, 2 inductive-bias steps");
        // Besides, in the tables: 4 directions (general and narrow, both types), E1's sweep and
        // C5's cosines; no ablation (it samples), drift or gradient steps.
        let count = |f: fn(&StepKind) -> bool| all.iter().filter(|s| f(&s.kind)).count();
        assert_eq!(count(|k| matches!(k, StepKind::Direction(_))), 4);
        assert_eq!(count(|k| matches!(k, StepKind::Convergence(_))), 1);
        assert_eq!(count(|k| matches!(k, StepKind::Ablation(_) | StepKind::Drift(_) | StepKind::Gradient(_))), 0);
        assert_eq!(all.len(), to_run.len() + 6);
        let Some(StepKind::Sweep(sweep)) = all.iter().map(|s| &s.kind).find(|k| matches!(k, StepKind::Sweep(_))) else {
            panic!("no E1 sweep")
        };
        assert_eq!(sweep.layers.as_deref(), Some(&[2, 7, 12, 15, 18, 23, 28][..]));
        assert_eq!(sweep.lambdas, [0.0, 1.0, 2.0, 4.0]);
        assert!(sweep.eval.paired_groups().unwrap().iter().any(|(g, pairs)| *g == "open" && !pairs.is_empty()));
        for run in runs {
            assert_eq!(run.config.model, subject.model_dir());
            assert_eq!(run.config.kl_data.is_some(), run.variant == "narrow");
            let groups = run.eval.paired_groups().unwrap();
            let names: Vec<&str> = groups.iter().map(|(name, _)| *name).collect();
            assert_eq!(names, ["open", "in_domain", "other"]);
            assert!(groups.iter().all(|(_, pairs)| !pairs.is_empty()));
        }
        // The web text E9 reads is there and parses.
        assert_eq!(emlab_data::read_web_text(&PaperData::new(&data).web_text(), 40).unwrap().len(), 40);
    }

    #[test]
    fn the_paper_profile_plans_e2_e4_e8_and_e11() {
        let root = tempfile::tempdir().unwrap();
        let subject = paper_subject(root.path(), true);
        let judge = JudgeChoice::Api(emlab_eval::ApiJudgeConfig::new("http://127.0.0.1:1/v1", "judge-m", None));
        let selected = select(&["E11".into(), "E8".into(), "C4".into()]).unwrap();
        let inputs = check_paper_inputs(&selected, &subject, &judge).unwrap();
        let layout = Layout::below(root.path(), PAPER);
        let (all, to_run) =
            finetune_steps(&selected, &layout, &subject, Some(&inputs), &judge, &mut Vec::new()).unwrap();
        let count = |steps: &[Step], f: fn(&StepKind) -> bool| steps.iter().filter(|s| f(&s.kind)).count();
        // 3 datasets' base evaluations, 2 experiments x 2 solutions x 3 datasets, 2 drift and 2
        // gradient steps.
        assert_eq!(count(&to_run, |k| matches!(k, StepKind::Base(_))), 3);
        assert_eq!(count(&to_run, |k| matches!(k, StepKind::Run(_))), 12);
        assert_eq!(count(&to_run, |k| matches!(k, StepKind::Drift(_))), 2);
        assert_eq!(count(&to_run, |k| matches!(k, StepKind::Gradient(_))), 2);
        assert_eq!(to_run.len(), 19);
        // In the tables besides: the 6 E6/E7/E9 steps of the pairs; nothing of C4 (no paper profile).
        assert_eq!(count(&all, |k| matches!(k, StepKind::Bias(_))), 6);
        // And the phase transition at MO's three layers, with MO's settings on E2's training file.
        let transitions: Vec<&crate::transition::TransitionSpec> = all
            .iter()
            .filter_map(|s| if let StepKind::Transition(t) = &s.kind { Some(t.as_ref()) } else { None })
            .collect();
        assert_eq!(transitions.iter().map(|t| t.layer).collect::<Vec<_>>(), [21, 15, 27]);
        let main = &transitions[0].config;
        let AdapterSpec::Lora(lora) = &main.adapter else { panic!("not LoRA") };
        assert_eq!((lora.layers.as_slice(), lora.alpha, lora.rank), ([21].as_slice(), 64.0, 1));
        assert_eq!((main.train.lr, main.train.grad_accum, main.train.epochs, main.checkpoint_every), (1e-5, 8, 2, 1));
        assert!(main.kl_data.is_none() && transitions[0].eval.questions.is_some());
        assert_eq!(all.len(), 28);
        for step in &to_run {
            if let StepKind::Drift(drift) = &step.kind {
                let lr = if drift.pair.solution == "steering" { 1e-4 } else { 2e-5 };
                assert_eq!((drift.config.train.lr, drift.config.train.grad_accum), (lr, 8));
                assert!(drift.config.kl_data.is_none() && drift.eval.questions.is_some());
            }
        }
        let Some(StepKind::Base(eval)) = to_run.first().map(|s| &s.kind) else { panic!("no base step") };
        assert!(eval.questions.is_some() && !eval.asks_the_world());
    }

    /// E6/E7/E9 on a real model read FineWeb text: missing, it is listed with the rest; present,
    /// the steps read it, and their hashes cover its content, not its folder.
    #[test]
    fn the_paper_profile_runs_e9_on_fineweb_text() {
        let root = tempfile::tempdir().unwrap();
        let subject = paper_subject(root.path(), true);
        let judge = JudgeChoice::Api(emlab_eval::ApiJudgeConfig::new("http://127.0.0.1:1/v1", "judge-m", None));
        let selected = select(&["E9".into()]).unwrap();
        let err = check_paper_inputs(&selected, &subject, &judge).unwrap_err().to_string();
        assert!(err.contains("fineweb.jsonl") && err.contains("FineWeb documents for E9"), "{err}");
        let web = subject.data().unwrap().web_text();
        std::fs::write(&web, "{\"text\": \"a web page\"}\n".repeat(100)).unwrap();
        let bias_steps = |subject: &Subject| {
            let inputs = check_paper_inputs(&selected, subject, &judge).unwrap();
            let layout = Layout::below(root.path(), PAPER);
            let (_, to_run) =
                finetune_steps(&selected, &layout, subject, Some(&inputs), &judge, &mut Vec::new()).unwrap();
            to_run.into_iter().filter(|s| matches!(s.kind, StepKind::Bias(_))).collect::<Vec<_>>()
        };
        let steps = bias_steps(&subject);
        assert_eq!(steps.len(), 6);
        let StepKind::Bias(spec) = &steps[0].kind else { unreachable!() };
        assert_eq!(spec.web_text.as_deref(), Some(web.as_path()));
        std::fs::write(&web, "{\"text\": \"another page\"}\n".repeat(100)).unwrap();
        assert_ne!(bias_steps(&subject)[0].hash, steps[0].hash, "the hash covers the text");
    }

    /// A missing file stops the paper profile before any work, the engine check included.
    #[test]
    fn the_paper_profile_checks_its_inputs_before_any_work() {
        let root = tempfile::tempdir().unwrap();
        let subject = paper_subject(root.path(), false);
        let layout = Layout::below(root.path(), PAPER);
        let judge = JudgeChoice::Api(emlab_eval::ApiJudgeConfig::new("http://127.0.0.1:1/v1", "judge-m", None));
        let options = Options { judge, ..CPU };
        let selected = select(&["engine".into(), "E4".into()]).unwrap();
        let err = reproduce(&selected, &layout, &subject, options.clone()).unwrap_err().to_string();
        assert!(err.contains("1 file(s) missing") && err.contains("misalignment_kl_data.jsonl"), "{err}");
        assert!(!layout.results.join("engine_parity.json").exists(), "the engine ran first");
    }

    /// `--profile paper --executor slurm --dry-run`: one job per step of the whole paper graph,
    /// each after exactly the jobs of the steps it reads, the final job after all; GPU jobs with
    /// the paper profile's time limits; each runs its own step of the same command.
    #[test]
    fn the_paper_profiles_slurm_jobs_have_the_step_graphs_dependencies() {
        let root = tempfile::tempdir().unwrap();
        let subject = paper_subject(root.path(), true);
        std::fs::write(subject.data().unwrap().web_text(), "{\"text\": \"a web page\"}\n".repeat(100)).unwrap();
        let judge = JudgeChoice::Api(emlab_eval::ApiJudgeConfig::new("http://127.0.0.1:1/v1", "judge-m", None));
        let layout = Layout::below(root.path(), PAPER);
        let plan = plan(&select(&[]).unwrap(), &layout, &subject, &judge).unwrap().plan;
        let steps: Vec<&Step> = plan.steps().map(|(_, step)| step).collect();
        // 3 datasets' base evaluations, E2 and E4's 12 runs, 6 E6/E7/E9, 2 E8, 2 E11 and 3
        // phase-transition steps (the other experiments have no paper profile yet).
        let kinds: Vec<&str> = steps.iter().map(|s| s.kind.name()).collect();
        let count = |name: &str| kinds.iter().filter(|&&k| k == name).count();
        let counts = ["Base", "Run", "Bias", "Drift", "Gradient", "Transition"].map(count);
        assert_eq!((steps.len(), counts), (28, [3, 12, 6, 2, 2, 3]), "{kinds:?}");
        let options = SlurmOptions {
            command: vec!["/x/xtask".into(), "reproduce".into(), "--profile".into(), PAPER.into()],
            extra: vec!["--partition=gpu".into()],
            dry_run: true,
            gpu: true,
        };
        let resources = ResourcesFile::load(&project_root().join("experiments")).unwrap();
        let jobs = crate::slurm::job_graph(&plan, PAPER, &layout.results, &resources, &options, false).unwrap();
        assert_eq!(jobs.len(), steps.len() + 1);
        for (job, step) in jobs.iter().zip(&steps) {
            assert_eq!(job.step.as_deref(), Some(step.hash.as_str()));
            assert_eq!(job.command[4..], ["--step".to_string(), step.hash.clone()]);
            let needed: Vec<&Path> = step.needs();
            let mut expected: Vec<usize> =
                steps.iter().enumerate().filter(|(_, s)| needed.contains(&s.dir.as_path())).map(|(k, _)| k).collect();
            expected.sort_unstable();
            assert_eq!(job.after, expected, "{}", step.label);
            assert!(job.after.iter().all(|&k| k < jobs.len() - 1 && jobs[k].step.is_some()));
            assert_eq!(job.resources.gpus, Some(1), "{}", step.label);
            let long = ["Run", "Drift", "Gradient", "Transition"].contains(&step.kind.name());
            assert_eq!(job.resources.time.as_deref(), Some(if long { "24:00:00" } else { "12:00:00" }));
        }
        // Every comparison step waits for something, and the edges include E6's on E2 and E4.
        assert!(steps
            .iter()
            .zip(&jobs)
            .all(|(s, j)| ["Base", "Run", "Transition"].contains(&s.kind.name()) || !j.after.is_empty()));
        let report = jobs.last().unwrap();
        assert!(report.step.is_none() && report.after == (0..steps.len()).collect::<Vec<_>>());
        assert_eq!(report.command, options.command);
    }

    /// A Slurm job runs the same graph: the submitting command's graph arguments, with
    /// absolute paths, and nothing of the executor's.
    #[test]
    fn a_slurm_jobs_command_repeats_the_graphs_arguments() {
        let paper =
            args("--profile paper --model m --data d --judge api --only E2,E4 --device cuda:1 --executor slurm");
        let ExecutorChoice::Slurm(slurm) = paper.executor(Path::new("/r")).unwrap() else { panic!("not slurm") };
        let cwd = std::env::current_dir().unwrap();
        let expected = [
            "reproduce".to_string(),
            "--profile".into(),
            "paper".into(),
            "--model".into(),
            cwd.join("m").display().to_string(),
            "--data".into(),
            cwd.join("d").display().to_string(),
            "--only".into(),
            "E2,E4".into(),
            "--device".into(),
            "cuda:1".into(),
            "--root".into(),
            "/r".into(),
            "--judge".into(),
            "api".into(),
        ];
        assert_eq!(slurm.command[1..], expected);
        assert!(slurm.gpu && slurm.extra.is_empty() && !slurm.dry_run);
        let with_extra = args("--executor slurm --slurm-args=--partition=gpu --dry-run");
        let ExecutorChoice::Slurm(slurm) = with_extra.executor(Path::new("/r")).unwrap() else { panic!() };
        assert_eq!((slurm.extra, slurm.dry_run, slurm.gpu), (vec!["--partition=gpu".to_string()], true, false));
        let err = args("--slurm-args=-p").executor(Path::new("/r")).unwrap_err().to_string();
        assert!(err.contains("--slurm-args is for --executor slurm"), "{err}");
    }

    #[test]
    fn unknown_experiments_are_errors_that_list_the_known_ones() {
        let err = select(&["E2".into(), "E99".into()]).unwrap_err().to_string();
        assert!(err.contains("E99") && err.contains("E4"), "{err}");
    }
}

//! The Slurm executor: every step that has not finished becomes one `sbatch` job that runs this
//! program on that step alone (`reproduce ... --step HASH`), with `--dependency=afterok:` edges
//! exactly as the step graph has them, and a final job that writes the tables, figures and
//! report (the same `reproduce` command run locally, which finds every step done).
//!
//! It assumes the repository and `results/` are on a filesystem every node sees. Finished steps
//! are found by their content hashes, so submitting again after a failure or a preemption
//! submits only what is left. A step's job is named after the step (its hash and folder): a
//! second submission reuses the job of a step still queued or running instead of submitting it
//! twice, and a step holds a lock on its folder while it runs ([`crate::step::Step::lock`]).
//! Jobs are submitted with `--kill-on-invalid-dep=yes`, so a failed or cancelled job's
//! dependants leave the queue instead of waiting forever, and the next submission resubmits them.
//!
//! Resources (GPUs, CPUs, memory, time) come per profile and step kind from
//! `experiments/slurm.toml`; `--slurm-args` (partition, account, ...) come after them on sbatch's
//! command line, which takes the last value of an option, so they override it too.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::execute::Executed;
use crate::executor::Executor;
use crate::graph::Plan;
use crate::plan::read_toml;
use crate::step::{write_json, Step, StepKind, StepState};
use crate::tables::Layout;

/// The resources file, below `experiments/`.
pub const RESOURCES_FILE: &str = "slurm.toml";
/// The final job's key in the resources file and the job records.
const REPORT: &str = "report";

/// What one job asks Slurm for; a field left out takes the profile's `default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// GPUs (`--gres=gpu:N`; none when 0).
    pub gpus: Option<u32>,
    /// CPU cores (`--cpus-per-task`); a step's thread pool takes as many.
    pub cpus: Option<u32>,
    /// Memory (`--mem`, e.g. `4G`).
    pub mem: Option<String>,
    /// Time limit (`--time`, e.g. `02:00:00`).
    pub time: Option<String>,
}

impl Resources {
    /// These resources, with `base`'s where these leave a field out.
    fn or(&self, base: &Resources) -> Resources {
        Resources {
            gpus: self.gpus.or(base.gpus),
            cpus: self.cpus.or(base.cpus),
            mem: self.mem.clone().or_else(|| base.mem.clone()),
            time: self.time.clone().or_else(|| base.time.clone()),
        }
    }

    /// The `#SBATCH` lines that ask for them.
    fn directives(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(gpus) = self.gpus.filter(|&g| g > 0) {
            lines.push(format!("--gres=gpu:{gpus}"));
        }
        if let Some(cpus) = self.cpus {
            lines.push(format!("--cpus-per-task={cpus}"));
        }
        if let Some(mem) = &self.mem {
            lines.push(format!("--mem={mem}"));
        }
        if let Some(time) = &self.time {
            lines.push(format!("--time={time}"));
        }
        lines
    }
}

/// `experiments/slurm.toml`: per profile, a `default` and overrides per step kind
/// ([`StepKind::NAMES`]) and for the final `report` job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesFile {
    /// Profile name to its tables.
    profiles: BTreeMap<String, BTreeMap<String, Resources>>,
}

impl ResourcesFile {
    /// Reads and checks `<dir>/slurm.toml`: every key is `default`, `report` or a step kind.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(RESOURCES_FILE);
        let file: Self = read_toml(&path)?;
        for (profile, kinds) in &file.profiles {
            for kind in kinds.keys() {
                ensure!(
                    kind == "default" || kind == REPORT || StepKind::NAMES.contains(&kind.as_str()),
                    "{}: [profiles.{profile}.{kind}] is not a step kind; known: default, {REPORT}, {}",
                    path.display(),
                    StepKind::NAMES.join(", ")
                );
            }
        }
        Ok(file)
    }

    /// The resources of `kind`'s jobs (a step kind or `report`) in `profile`.
    pub fn resources(&self, profile: &str, kind: &str) -> Result<Resources> {
        let Some(kinds) = self.profiles.get(profile) else {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            bail!(
                "experiments/{RESOURCES_FILE} has no [profiles.{profile}.default] (it has {}); add the resources of \
                 the {profile} profile's jobs there",
                known.join(", ")
            );
        };
        let default = kinds.get("default").cloned().unwrap_or_default();
        Ok(kinds.get(kind).map_or_else(|| default.clone(), |r| r.or(&default)))
    }
}

/// `--executor slurm`'s settings.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions {
    /// What a job runs for the same graph: this program and its `reproduce` arguments (absolute
    /// paths, no executor flags). A step's job adds `--step HASH`; the final job runs it as is.
    pub command: Vec<String>,
    /// More `sbatch` arguments (`--slurm-args`), after the resources file's.
    pub extra: Vec<String>,
    /// Print the jobs and their dependencies instead of submitting them.
    pub dry_run: bool,
    /// The steps run on a GPU: every job asks for one at least.
    pub gpu: bool,
}

/// One job of the graph.
#[derive(Debug, Clone)]
pub struct Job {
    /// Slurm's job name: the step's hash and folder in short, so the same step has the same name
    /// in every submission (and two result folders' steps do not collide).
    pub name: String,
    /// What it does, for people.
    pub label: String,
    /// The step's hash; `None` for the final job.
    pub step: Option<String>,
    /// Jobs (indices in the graph) that must finish successfully first.
    pub after: Vec<usize>,
    /// What it asks for.
    pub resources: Resources,
    /// What it runs.
    pub command: Vec<String>,
}

/// The jobs of `plan` for `profile`: one per step that has not finished (every step with
/// `force`), each after the jobs of the steps it reads, in the plan's order; then the final job,
/// after all of them.
pub fn job_graph(
    plan: &Plan,
    profile: &str,
    results: &Path,
    file: &ResourcesFile,
    options: &SlurmOptions,
    force: bool,
) -> Result<Vec<Job>> {
    let with_gpu = |mut r: Resources| {
        if options.gpu && r.gpus.unwrap_or(0) == 0 {
            r.gpus = Some(1);
        }
        r
    };
    let mut jobs = Vec::new();
    for stage in &plan.stages {
        let (todo, needs) = stage.todo(force);
        let first = jobs.len();
        for (step, needs) in todo.iter().zip(needs) {
            let mut command = options.command.clone();
            command.extend(["--step".to_string(), step.hash.clone()]);
            if force {
                command.push("--force".into());
            }
            jobs.push(Job {
                name: job_name(step),
                label: step.label.clone(),
                step: Some(step.hash.clone()),
                after: needs.into_iter().map(|k| first + k).collect(),
                resources: with_gpu(file.resources(profile, step.kind.name())?),
                command,
            });
        }
    }
    jobs.push(Job {
        name: format!("emlab-{REPORT}-{}", short_hash(&results.to_string_lossy())),
        label: format!("tables, figures and report of {}", results.display()),
        step: None,
        after: (0..jobs.len()).collect(),
        resources: with_gpu(file.resources(profile, REPORT)?),
        command: options.command.clone(),
    });
    Ok(jobs)
}

/// `emlab-<12 hex>`: the step's hash and folder, hashed.
fn job_name(step: &Step) -> String {
    format!("emlab-{}", short_hash(&format!("{} {}", step.hash, step.dir.display())))
}

fn short_hash(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))[..12].to_string()
}

/// A submitted job, as `reproduce --status` finds it again (`results/<profile>/slurm/jobs.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Slurm's job id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its log file.
    pub log: PathBuf,
}

/// The submitted jobs of a profile, by step hash (and `report`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct JobRecords(pub BTreeMap<String, JobRecord>);

impl JobRecords {
    fn path(layout: &Layout) -> PathBuf {
        slurm_dir(layout).join("jobs.json")
    }

    /// The records of `layout`'s submissions (none before the first).
    pub fn load(layout: &Layout) -> Result<Self> {
        let path = Self::path(layout);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn save(&self, layout: &Layout) -> Result<()> {
        write_json(&Self::path(layout), self)
    }
}

/// `results/<profile>/slurm`: job scripts, logs and records.
fn slurm_dir(layout: &Layout) -> PathBuf {
    layout.results.join("slurm")
}

/// A job in Slurm's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its id.
    pub id: String,
    /// Slurm's state (`PENDING`, `RUNNING`, ...).
    pub state: String,
}

/// This user's jobs in the queue, by name (`squeue --me`).
pub fn queue() -> Result<HashMap<String, Queued>> {
    let out = Command::new("squeue")
        .args(["--me", "--noheader", "--format=%i|%j|%T"])
        .output()
        .context("running squeue: is this a Slurm login node, with Slurm's commands on PATH?")?;
    ensure!(out.status.success(), "squeue failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.trim().splitn(3, '|');
            let (id, name, state) = (fields.next()?, fields.next()?, fields.next()?);
            Some((name.to_string(), Queued { id: id.to_string(), state: state.to_string() }))
        })
        .collect())
}

/// Submits jobs with `sbatch`; the layout is the profile's, where scripts, logs and records go.
pub struct Slurm {
    /// The settings.
    pub options: SlurmOptions,
    /// The profile's layout.
    pub layout: Layout,
    /// The jobs' resources.
    pub resources: ResourcesFile,
}

impl Executor for Slurm {
    fn execute(&self, plan: &Plan, force: bool) -> Result<Option<Executed>> {
        let jobs = job_graph(plan, &self.layout.profile, &self.layout.results, &self.resources, &self.options, force)?;
        if self.options.dry_run {
            print_jobs(&jobs, &self.options.extra);
            return Ok(None);
        }
        let queued = queue()?;
        let mut records = JobRecords::load(&self.layout)?;
        // The jobs submitted before an sbatch failure are recorded too: they run.
        let outcome = self.submit_all(&jobs, &queued, &mut records);
        records.save(&self.layout)?;
        let (ids, submitted) = outcome?;
        let report = ids.last().expect("the graph has its final job");
        println!(
            "== submitted {submitted} Slurm jobs ({} reused from earlier submissions); job {report} writes the tables, \
             figures and report. The same command with --status instead of --executor slurm shows where they stand:\n  \
             {} --status",
            jobs.len() - submitted,
            self.options.command.join(" ")
        );
        Ok(None)
    }
}

impl Slurm {
    /// Submits `jobs` in order, each after its dependencies' jobs, reusing the queued or
    /// running job of a step already submitted; records each new job. Returns every job's id
    /// and how many were submitted.
    fn submit_all(
        &self,
        jobs: &[Job],
        queued: &HashMap<String, Queued>,
        records: &mut JobRecords,
    ) -> Result<(Vec<String>, usize)> {
        let (mut ids, mut submitted) = (Vec::<String>::new(), 0);
        for job in jobs {
            let key = job.step.clone().unwrap_or_else(|| REPORT.to_string());
            if let Some(q) = queued.get(&job.name) {
                if job.step.is_some() {
                    println!("  job {} ({}) from an earlier submission: {}", q.id, q.state.to_lowercase(), job.label);
                    ids.push(q.id.clone());
                    continue;
                }
                // The earlier final job waits for the earlier jobs only: this one replaces it.
                cancel(&q.id)?;
            }
            let after: Vec<&str> = job.after.iter().map(|&k| ids[k].as_str()).collect();
            let (id, log) = self.submit(job, &after)?;
            println!("  job {id}: {}", job.label);
            records.0.insert(key, JobRecord { id: id.clone(), name: job.name.clone(), log });
            ids.push(id);
            submitted += 1;
        }
        Ok((ids, submitted))
    }

    /// Writes `job`'s script and submits it after the jobs `after`; returns its id and log.
    fn submit(&self, job: &Job, after: &[&str]) -> Result<(String, PathBuf)> {
        let dir = slurm_dir(&self.layout);
        let script = dir.join("jobs").join(format!("{}.sh", job.name));
        let log_pattern = dir.join("logs").join(format!("{}-%j.log", job.name));
        std::fs::create_dir_all(dir.join("logs")).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::create_dir_all(script.parent().expect("in jobs/"))?;
        let text = job_script(job, &log_pattern);
        emlab_data::write_atomic(&script, |w| w.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", script.display()))?;
        let out = Command::new("sbatch")
            .args(sbatch_args(after, &self.options.extra))
            .arg(&script)
            .output()
            .context("running sbatch: is this a Slurm login node, with Slurm's commands on PATH?")?;
        ensure!(
            out.status.success(),
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        // `--parsable` prints `id` or `id;cluster`.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let id = stdout.trim().split(';').next().unwrap_or_default().to_string();
        ensure!(!id.is_empty() && id.chars().all(|c| c.is_ascii_digit()), "sbatch printed {stdout:?}, not a job id");
        let log = PathBuf::from(log_pattern.to_string_lossy().replace("%j", &id));
        Ok((id, log))
    }
}

/// `sbatch`'s options before the script: machine-readable output, the dependencies, and the
/// user's own last so they override the script's.
fn sbatch_args(after: &[&str], extra: &[String]) -> Vec<String> {
    let mut args = vec!["--parsable".to_string(), "--kill-on-invalid-dep=yes".to_string()];
    if !after.is_empty() {
        args.push(format!("--dependency=afterok:{}", after.join(":")));
    }
    args.extend(extra.iter().cloned());
    args
}

/// The job's batch script: its name, log and resources as `#SBATCH` lines, then the command,
/// run from the folder `reproduce` was started in (the repository, on the shared filesystem).
fn job_script(job: &Job, log: &Path) -> String {
    let mut text = String::from("#!/bin/bash\n");
    text.push_str(&format!("# {}\n", job.label));
    let directives = [format!("--job-name={}", job.name), format!("--output={}", log.display())];
    for line in directives.into_iter().chain(job.resources.directives()) {
        text.push_str(&format!("#SBATCH {line}\n"));
    }
    let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
    text.push_str(&format!("set -euo pipefail\ncd {}\n", quote(&cwd)));
    let command: Vec<String> = job.command.iter().map(|a| quote(a)).collect();
    text.push_str(&format!("exec {}\n", command.join(" ")));
    text
}

/// `arg` quoted for the shell.
fn quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn cancel(id: &str) -> Result<()> {
    let status = Command::new("scancel").arg(id).status().context("running scancel")?;
    ensure!(status.success(), "scancel {id} failed");
    Ok(())
}

/// `--dry-run`: each job with what it asks for, what it waits for and what it runs.
fn print_jobs(jobs: &[Job], extra: &[String]) {
    println!("== the Slurm jobs of this graph ({} jobs; nothing submitted):", jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        let after: Vec<String> = job.after.iter().map(|k| format!("#{k}")).collect();
        let after = if after.is_empty() { "nothing".to_string() } else { after.join(" ") };
        println!("#{i} {} [{}]: {}", job.name, job.resources.directives().join(" "), job.label);
        println!("    after {after}");
        println!("    sbatch {} <script>; runs: {}", sbatch_args(&[], extra).join(" "), job.command.join(" "));
    }
}

/// Where one step stands, with the job that runs it if one was submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct StepStatus {
    /// The step's label.
    pub label: String,
    /// Done, running, failed or pending.
    pub state: StepState,
    /// The step's Slurm job and its state in the queue (`None` when it has left the queue).
    pub job: Option<(JobRecord, Option<Queued>)>,
}

impl StepStatus {
    /// One line for people: state, job, label, and for a failure its error and log.
    pub fn line(&self) -> String {
        let job = self.job.as_ref();
        let id = job.map(|(r, _)| format!(" (job {})", r.id)).unwrap_or_default();
        let log = job.map(|(r, _)| format!("; log {}", r.log.display())).unwrap_or_default();
        let queued = job.and_then(|(_, q)| q.as_ref());
        match (&self.state, queued) {
            (StepState::Done, _) => format!("done{id}      {}", self.label),
            (StepState::Running, _) => format!("running{id}   {}", self.label),
            (StepState::Failed(error), _) => format!("FAILED{id}    {}: {error}{log}", self.label),
            (StepState::Pending, Some(q)) if q.state == "RUNNING" => format!("running{id}   {}", self.label),
            (StepState::Pending, Some(q)) => format!("queued{id} ({})   {}", q.state.to_lowercase(), self.label),
            (StepState::Pending, None) if job.is_some() => format!(
                "FAILED{id}    {}: the job left the queue without finishing the step (cancelled, timed out, \
                 preempted or killed, or a job it waited for failed){log}",
                self.label
            ),
            (StepState::Pending, None) => format!("pending       {}", self.label),
        }
    }

    /// Whether the line says failed.
    pub fn failed(&self) -> bool {
        self.line().starts_with("FAILED")
    }
}

/// Where every step of `plan` stands; `queue` is Slurm's queue when there is one.
pub fn status(plan: &Plan, records: &JobRecords, queue: Option<&HashMap<String, Queued>>) -> Result<Vec<StepStatus>> {
    plan.steps()
        .map(|(_, step)| {
            let job = records.0.get(&step.hash).filter(|r| r.name == job_name(step)).map(|record| {
                let queued = queue.and_then(|q| q.get(&record.name)).filter(|q| q.id == record.id).cloned();
                (record.clone(), queued)
            });
            // Without squeue, a submitted job's place in the queue is unknown: say nothing of it.
            let job = if queue.is_some() { job } else { None };
            Ok(StepStatus { label: step.label.clone(), state: step.state()?, job })
        })
        .collect()
}

/// `reproduce --status`: a count per state, then every step that is not done.
pub fn print_status(plan: &Plan, layout: &Layout) -> Result<Vec<StepStatus>> {
    let records = JobRecords::load(layout)?;
    let queue = if records.0.is_empty() { None } else { queue().ok() };
    if !records.0.is_empty() && queue.is_none() {
        println!("  (squeue is not available here: Slurm jobs' places in the queue are not shown)");
    }
    let statuses = status(plan, &records, queue.as_ref())?;
    let count = |word: &str| statuses.iter().filter(|s| s.line().starts_with(word)).count();
    println!(
        "== {}: {} steps: {} done, {} running, {} queued, {} pending, {} failed",
        layout.results.display(),
        statuses.len(),
        count("done"),
        count("running"),
        count("queued"),
        count("pending"),
        count("FAILED")
    );
    for status in statuses.iter().filter(|s| s.state != StepState::Done) {
        println!("  {}", status.line());
    }
    if let Some(report) = records.0.get(REPORT) {
        let queued = queue.as_ref().and_then(|q| q.get(&report.name)).filter(|q| q.id == report.id);
        let state = queued.map_or("left the queue (its log says how it ended)".to_string(), |q| q.state.to_lowercase());
        println!("  final job {} (tables, figures, report): {state}; log {}", report.id, report.log.display());
    }
    Ok(statuses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::EvalSpec;

    #[test]
    fn a_kinds_resources_override_the_profiles_default() {
        let file: ResourcesFile = toml::from_str(
            r#"
            [profiles.p.default]
            cpus = 2
            mem = "4G"
            time = "01:00:00"
            [profiles.p.Run]
            gpus = 1
            time = "10:00:00"
            "#,
        )
        .unwrap();
        let run = file.resources("p", "Run").unwrap();
        assert_eq!(run.directives(), ["--gres=gpu:1", "--cpus-per-task=2", "--mem=4G", "--time=10:00:00"]);
        assert_eq!(
            file.resources("p", "Bias").unwrap().directives(),
            ["--cpus-per-task=2", "--mem=4G", "--time=01:00:00"]
        );
        let err = file.resources("q", "Run").unwrap_err().to_string();
        assert!(err.contains("[profiles.q.default]") && err.contains("it has p"), "{err}");
    }

    #[test]
    fn the_projects_resources_file_covers_every_profile_a_cluster_runs() {
        let file = ResourcesFile::load(&crate::util::project_root().join("experiments")).unwrap();
        for profile in ["default", "smoke", "paper", "smollm2"] {
            for kind in StepKind::NAMES.iter().chain(&[REPORT]) {
                let r = file.resources(profile, kind).unwrap();
                assert!(r.cpus.is_some() && r.mem.is_some() && r.time.is_some(), "{profile} {kind}: {r:?}");
            }
        }
        assert_eq!(file.resources("paper", "Run").unwrap().gpus, Some(1));
    }

    #[test]
    fn an_unknown_kind_in_the_resources_file_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RESOURCES_FILE), "[profiles.p.Runs]\ncpus = 1\n").unwrap();
        let err = ResourcesFile::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("slurm.toml") && err.contains("[profiles.p.Runs]") && err.contains("Transition"), "{err}");
    }

    #[test]
    fn a_job_script_asks_for_its_resources_and_runs_its_step() {
        let job = Job {
            name: "emlab-abc".into(),
            label: "E2 it's a run".into(),
            step: Some("h".into()),
            after: vec![],
            resources: Resources { gpus: Some(0), cpus: Some(1), mem: Some("2G".into()), time: None },
            command: ["/x/xtask", "reproduce", "--only", "E2,E4", "--root", "/a b", "--step", "h"]
                .map(String::from)
                .to_vec(),
        };
        let text = job_script(&job, Path::new("/r/slurm/logs/emlab-abc-%j.log"));
        assert!(text.starts_with("#!/bin/bash\n# E2 it's a run\n#SBATCH --job-name=emlab-abc\n"), "{text}");
        assert!(text.contains(
            "#SBATCH --output=/r/slurm/logs/emlab-abc-%j.log\n#SBATCH --cpus-per-task=1\n#SBATCH --mem=2G\n"
        ));
        assert!(!text.contains("gres"), "no GPU asked for");
        assert!(text.ends_with("exec /x/xtask reproduce --only E2,E4 --root '/a b' --step h\n"), "{text}");
        assert_eq!(
            sbatch_args(&["1", "2"], &["--partition=gpu".into()]),
            ["--parsable", "--kill-on-invalid-dep=yes", "--dependency=afterok:1:2", "--partition=gpu"]
        );
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    /// Done, running (lock held), failed and pending steps, with and without their jobs.
    #[test]
    fn the_status_of_each_step_comes_from_its_folder_and_the_queue() {
        let root = tempfile::tempdir().unwrap();
        let runs = root.path().join("runs");
        let steps: Vec<Step> = (1..=5)
            .map(|n| Step::base(&runs.join(n.to_string()), EvalSpec::organism("bad_medical", Some(n)), "m"))
            .collect();
        steps[0].finish(&[]).unwrap();
        let _lock = steps[1].lock().unwrap();
        steps[2].record_failure(&anyhow::anyhow!("out of memory")).unwrap();
        let layout = Layout::below(root.path(), "p");
        let plan = Plan {
            stages: vec![crate::graph::Stage {
                layout: layout.clone(),
                model_dir: PathBuf::new(),
                judge: Default::default(),
                sampling: Default::default(),
                all: steps.clone(),
                to_run: steps.clone(),
            }],
        };
        let record = |step: &Step, id: &str| JobRecord {
            id: id.into(),
            name: job_name(step),
            log: format!("/l/{id}.log").into(),
        };
        let mut records = JobRecords::default();
        for (i, id) in [(2, "12"), (3, "13"), (4, "14")] {
            records.0.insert(steps[i].hash.clone(), record(&steps[i], id));
        }
        let queue: HashMap<String, Queued> =
            [(job_name(&steps[3]), Queued { id: "13".into(), state: "PENDING".into() })].into_iter().collect();
        let lines: Vec<String> = status(&plan, &records, Some(&queue)).unwrap().iter().map(StepStatus::line).collect();
        assert!(lines[0].starts_with("done "), "{lines:?}");
        assert!(lines[1].starts_with("running "), "{lines:?}");
        assert!(
            lines[2].starts_with("FAILED (job 12)") && lines[2].contains("out of memory; log /l/12.log"),
            "{lines:?}"
        );
        assert!(lines[3].starts_with("queued (job 13) (pending)"), "{lines:?}");
        assert!(lines[4].starts_with("FAILED (job 14)") && lines[4].contains("left the queue"), "{lines:?}");
        let without_slurm: Vec<String> = status(&plan, &records, None).unwrap().iter().map(StepStatus::line).collect();
        assert!(without_slurm[4].starts_with("pending "), "{without_slurm:?}");
        // Finishing clears the failure.
        steps[2].finish(&[]).unwrap();
        assert_eq!(steps[2].state().unwrap(), StepState::Done);
        assert!(!steps[2].dir.join("failed.json").exists());
    }
}

//! The Slurm executor on a real Slurm: the smoke profile submitted as Slurm jobs, one job
//! cancelled while it runs and the graph submitted again, gives the tables of a local smoke run.
//!
//! It needs a running Slurm whose nodes see this machine's /tmp (a one-node cluster on
//! localhost), so it is ignored by default: `tools/slurm/test.sh` starts one with
//! `tools/slurm/local-cluster.sh` and runs it, and `.ci/run` runs that script after the suite.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use emlab_analysis::{read_parquet, Row};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
/// The longest the test waits for the queue to drain (the smoke graph takes a few minutes on
/// a 2-core node).
const PATIENCE: Duration = Duration::from_secs(45 * 60);

/// Runs `xtask reproduce --profile smoke --root <root>` with `args`; returns its stdout.
fn reproduce(root: &Path, args: &[&str]) -> String {
    let out = Command::new(XTASK)
        .args(["reproduce", "--profile", "smoke", "--root"])
        .arg(root)
        .args(args)
        .output()
        .expect("running xtask");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "reproduce {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// This user's jobs in the queue: (id, name, state).
fn queue() -> Vec<(String, String, String)> {
    let out = Command::new("squeue").args(["--me", "--noheader", "--format=%i|%j|%T"]).output().expect("squeue");
    assert!(out.status.success(), "squeue: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut f = line.trim().splitn(3, '|');
            Some((f.next()?.to_string(), f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

/// Waits until `done` holds for the queue, or fails with the queue and the status.
fn wait_for(
    root: &Path,
    what: &str,
    done: impl Fn(&[(String, String, String)]) -> bool,
) -> Vec<(String, String, String)> {
    let start = Instant::now();
    loop {
        let jobs = queue();
        if done(&jobs) {
            return jobs;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "waited {PATIENCE:?} for {what}; queue: {jobs:?}\n{}",
            reproduce(root, &["--status"])
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The `== <results>: N steps: a done, b running, c queued, d pending, e failed` line.
fn counts(status: &str) -> String {
    status.lines().find(|l| l.contains(" steps: ")).unwrap_or_else(|| panic!("no counts in:\n{status}")).to_string()
}

/// Every Parquet table below `results`, by path relative to it.
fn tables(results: &Path) -> Vec<(PathBuf, Vec<Row>)> {
    let mut found = Vec::new();
    let mut dirs = vec![results.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path.file_name().is_some_and(|n| n != "runs" && n != "slurm") {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push((path.strip_prefix(results).unwrap().to_path_buf(), read_parquet(&path).unwrap()));
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// A row without its value, to match rows of two runs.
fn key(r: &Row) -> String {
    format!(
        "{} {} {} {} {} {} {} {:?} {:?} {}",
        r.experiment, r.solution, r.variant, r.dataset, r.seed, r.condition, r.group, r.step, r.sweep, r.metric
    )
}

#[test]
#[ignore = "needs a running Slurm: tools/slurm/test.sh starts one and runs this"]
fn smoke_profile_on_slurm_survives_a_cancelled_job_and_equals_the_local_run() {
    let scratch = tempfile::tempdir().unwrap();
    let (on_slurm, local) = (scratch.path().join("slurm"), scratch.path().join("local"));
    assert!(queue().is_empty(), "the test counts on an empty queue: {:?}", queue());

    let submitted = reproduce(&on_slurm, &["--executor", "slurm"]);
    assert!(submitted.contains("== submitted 46 Slurm jobs (0 reused"), "{submitted}");
    // Submitting the same graph again submits no step twice: every step not done is queued or
    // running, so only a new final job goes in (replacing the first).
    let again = reproduce(&on_slurm, &["--executor", "slurm"]);
    assert!(again.contains("== submitted 1 Slurm jobs"), "{again}");
    // Cancel a step's job while it runs: its dependants and the final job leave the queue. (A
    // job may finish its step between squeue and scancel; then the next running one is cancelled.)
    let running_step = |(_, name, state): &(String, String, String)| state == "RUNNING" && !name.contains("report");
    let mut cancelled = Vec::new();
    let status = loop {
        let jobs = wait_for(&on_slurm, "a step's job to run", |jobs| jobs.is_empty() || jobs.iter().any(running_step));
        let Some((victim, ..)) = jobs.iter().find(|job| running_step(job)) else {
            panic!("every job finished before one could be cancelled; cancelled {cancelled:?}")
        };
        assert!(Command::new("scancel").arg(victim).status().unwrap().success());
        wait_for(&on_slurm, "the cancelled job to leave the queue", |jobs| jobs.iter().all(|(id, ..)| id != victim));
        cancelled.push(victim.clone());
        let status = reproduce(&on_slurm, &["--status"]);
        if status.contains(&format!("FAILED (job {victim})")) {
            break status;
        }
    };
    let victim = cancelled.last().unwrap();
    assert!(status.contains("left the queue without finishing the step"), "{status}");
    wait_for(&on_slurm, "the queue to drain after the cancellation", |jobs| jobs.is_empty());
    let status = reproduce(&on_slurm, &["--status"]);
    assert!(counts(&status).contains(" 0 running, 0 queued") && !counts(&status).ends_with(" 0 failed"), "{status}");
    assert!(status.contains(&format!("FAILED (job {victim})")), "{status}");
    assert!(status.contains("final job") && status.contains("left the queue (its log"), "{status}");
    assert!(!on_slurm.join("results/smoke/REPORT.md").exists(), "the final job waited for every step");

    let resubmitted = reproduce(&on_slurm, &["--executor", "slurm"]);
    assert!(resubmitted.contains("(0 reused from earlier submissions)"), "nothing was left queued: {resubmitted}");
    wait_for(&on_slurm, "the resubmitted graph to finish", |jobs| jobs.is_empty());
    let status = reproduce(&on_slurm, &["--status"]);
    assert!(counts(&status).contains(": 45 steps: 45 done, 0 running, 0 queued, 0 pending, 0 failed"), "{status}");
    assert!(
        on_slurm.join("results/smoke/REPORT.md").exists() && on_slurm.join("figures/smoke/em_steering.png").exists()
    );

    reproduce(&local, &["--jobs", "2"]);
    let (ours, theirs) = (tables(&on_slurm.join("results/smoke")), tables(&local.join("results/smoke")));
    let names = |t: &[(PathBuf, Vec<Row>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs));
    assert!(ours.len() >= 5, "{:?}", names(&ours));
    for ((path, slurm_rows), (_, local_rows)) in ours.iter().zip(&theirs) {
        let sorted = |rows: &[Row]| {
            let mut rows: Vec<(String, f64)> = rows.iter().map(|r| (key(r), r.value)).collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows
        };
        let (a, b) = (sorted(slurm_rows), sorted(local_rows));
        assert_eq!(a.iter().map(|r| &r.0).collect::<Vec<_>>(), b.iter().map(|r| &r.0).collect::<Vec<_>>(), "{path:?}");
        for ((k, x), (_, y)) in a.iter().zip(&b) {
            // Each step runs the same code on one thread with its own seeds on both executors.
            assert!(x == y || x.is_nan() && y.is_nan(), "{path:?} {k}: Slurm {x}, local {y}");
        }
    }
}

//! Runs independent units of work on a few worker threads, each unit only after the units it
//! needs have finished.
//!
//! The steps of a reproduce run are mostly independent (every training run and evaluation has
//! its own seeds and folder), so two workers on a 2-core machine nearly halve the wall time
//! without changing any result. Each worker keeps its own state (its own copy of the model),
//! built when it takes its first unit. The first error stops workers from taking new units;
//! units already running finish.
//!
//! The CPU backend parallelises its larger matmuls with rayon. Sharing rayon's global pool, the
//! workers would queue their matmuls behind each other's and its idle threads would spin
//! against the workers' own; so each worker runs in a pool of its own, with its share of the
//! cores (one each when there are as many workers as cores).

use std::sync::{Condvar, Mutex};

use anyhow::Result;

/// What the workers share: which units have started and finished, and the first error.
struct Board {
    started: Vec<bool>,
    finished: Vec<bool>,
    error: Option<anyhow::Error>,
}

impl Board {
    /// The first unit not started whose needs have all finished.
    fn next_ready(&self, needs: &[Vec<usize>]) -> Option<usize> {
        (0..self.started.len()).find(|&i| !self.started[i] && needs[i].iter().all(|&d| self.finished[d]))
    }
}

/// Runs `work(state, i)` for every unit `i` in `0..needs.len()` on `jobs` threads (at least one),
/// starting a unit only when every unit in `needs[i]` has finished, and preferring lower
/// indices. Each thread makes its `state` with `init` before its first unit. Returns the first
/// error; units that need a failed unit never run.
///
/// # Panics
/// If a unit needs itself or a later unit (the order given must already respect the needs).
pub fn run_jobs<S>(
    jobs: usize,
    needs: &[Vec<usize>],
    init: impl Fn() -> Result<S> + Sync,
    work: impl Fn(&mut S, usize) -> Result<()> + Sync,
) -> Result<()> {
    for (i, needed) in needs.iter().enumerate() {
        assert!(needed.iter().all(|&d| d < i), "unit {i} needs {needed:?}: units may only need earlier ones");
    }
    let n = needs.len();
    let board = Mutex::new(Board { started: vec![false; n], finished: vec![false; n], error: None });
    let changed = Condvar::new();
    let worker = || {
        let mut state: Option<S> = None;
        loop {
            let unit = {
                let mut b = board.lock().expect("no worker panics while holding the board");
                loop {
                    if b.error.is_some() || b.started.iter().all(|&s| s) {
                        return;
                    }
                    if let Some(i) = b.next_ready(needs) {
                        b.started[i] = true;
                        break i;
                    }
                    b = changed.wait(b).expect("no worker panics while holding the board");
                }
            };
            let outcome = match &mut state {
                Some(s) => work(s, unit),
                None => init().and_then(|s| work(state.insert(s), unit)),
            };
            let mut b = board.lock().expect("no worker panics while holding the board");
            match outcome {
                Ok(()) => b.finished[unit] = true,
                Err(e) => {
                    b.error.get_or_insert(e);
                }
            }
            changed.notify_all();
        }
    };
    let workers = jobs.max(1).min(n.max(1));
    let pools = (0..workers).map(|_| pool(cores() / workers)).collect::<Result<Vec<_>, _>>()?;
    std::thread::scope(|scope| {
        for pool in &pools {
            scope.spawn(|| pool.install(worker));
        }
    });
    match board.into_inner().expect("workers have ended").error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A rayon pool of `threads` threads (at least one).
fn pool(threads: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build()
}

/// The cores this process may use: a Slurm job's allocation (`SLURM_CPUS_PER_TASK`; the node
/// may have more than the job was given), else what the OS reports.
fn cores() -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;

    /// Every unit runs exactly once, after its needs, with several workers.
    #[test]
    fn units_run_once_and_after_what_they_need() {
        let needs = vec![vec![], vec![], vec![0, 1], vec![], vec![2], vec![3, 4]];
        let log = Mutex::new(Vec::new());
        let inits = Mutex::new(0);
        run_jobs(
            3,
            &needs,
            || {
                *inits.lock().unwrap() += 1;
                Ok(())
            },
            |_, i| {
                std::thread::sleep(std::time::Duration::from_millis(5 * (6 - i as u64)));
                log.lock().unwrap().push(i);
                Ok(())
            },
        )
        .unwrap();
        let log = log.into_inner().unwrap();
        let mut sorted = log.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5]);
        let at = |i| log.iter().position(|&x| x == i).unwrap();
        for (i, needed) in needs.iter().enumerate() {
            assert!(needed.iter().all(|&d| at(d) < at(i)), "{i} ran before one of {needed:?}: {log:?}");
        }
        assert!(*inits.lock().unwrap() <= 3, "one state per worker at most");
    }

    /// An error stops new work; what needs the failed unit never runs; the error comes back.
    #[test]
    fn the_first_error_is_returned_and_its_dependants_never_run() {
        let needs = vec![vec![], vec![0], vec![1]];
        let ran = Mutex::new(Vec::new());
        let err = run_jobs(
            2,
            &needs,
            || Ok(()),
            |_, i| {
                ran.lock().unwrap().push(i);
                if i == 0 {
                    bail!("unit 0 failed");
                }
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "unit 0 failed");
        assert_eq!(ran.into_inner().unwrap(), [0]);
    }

    #[test]
    fn a_failing_init_is_an_error_and_no_units_is_fine() {
        let err = run_jobs(1, &[vec![]], || -> Result<()> { bail!("no model") }, |_, _| Ok(())).unwrap_err();
        assert_eq!(err.to_string(), "no model");
        run_jobs(2, &[], || Ok(()), |_: &mut (), _| Ok(())).unwrap();
    }

    #[test]
    #[should_panic = "units may only need earlier ones"]
    fn needing_a_later_unit_panics() {
        let _ = run_jobs(1, &[vec![1], vec![]], || Ok(()), |_: &mut (), _| Ok(()));
    }
}

//! `cargo xtask bench`: runs the criterion benchmarks (`benches/benches/`: `engine.rs`, `finetune.rs`,
//! `sampling.rs`, `stability.rs`, `probes.rs`).

use std::process::Command;

use anyhow::{bail, Result};

use emlab_pipeline::util::project_root;

/// Arguments of `bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Only benchmarks whose name contains this filter (criterion's filter).
    filter: Option<String>,
}

/// The bench targets of `benches/Cargo.toml`, run in this order.
const TARGETS: [&str; 5] = ["engine", "finetune", "sampling", "stability", "probes"];

/// Runs `cargo bench -p emlab-benches` on every target from the workspace root.
pub fn run(args: Args) -> Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root()).args(["bench", "-p", "emlab-benches"]);
    for target in TARGETS {
        cmd.args(["--bench", target]);
    }
    if let Some(filter) = args.filter {
        cmd.args(["--", &filter]);
    }
    let status = cmd.status()?;
    if !status.success() {
        bail!("cargo bench failed with {status}");
    }
    Ok(())
}

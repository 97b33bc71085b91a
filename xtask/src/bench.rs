//! `cargo xtask bench`: runs the criterion benchmarks (see `benches/benches/engine.rs`).

use std::process::Command;

use anyhow::{bail, Result};

use crate::util::project_root;

/// Arguments of `bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Only benchmarks whose name contains this filter (criterion's filter).
    filter: Option<String>,
}

/// Runs `cargo bench -p emlab-benches` from the workspace root.
pub fn run(args: Args) -> Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root()).args(["bench", "-p", "emlab-benches", "--bench", "engine"]);
    if let Some(filter) = args.filter {
        cmd.args(["--", &filter]);
    }
    let status = cmd.status()?;
    if !status.success() {
        bail!("cargo bench failed with {status}");
    }
    Ok(())
}

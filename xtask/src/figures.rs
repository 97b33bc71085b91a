//! `cargo xtask figures`: redraws a profile's figures and report from its Parquet tables,
//! without running any experiment.

use anyhow::Result;

use crate::tables::{draw, Layout};

/// Arguments of `figures`.
#[derive(clap::Args)]
pub struct Args {
    /// Which profile's tables (results/<profile>/).
    #[arg(long, default_value = "default")]
    profile: String,
}

/// Entry point of `cargo xtask figures`.
pub fn run(args: Args) -> Result<()> {
    draw(&Layout::of(&args.profile))
}

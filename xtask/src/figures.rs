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

/// Entry point of `cargo xtask figures`: the profile's layout, and E12's below it where it ran.
pub fn run(args: Args) -> Result<()> {
    let layout = Layout::of(&args.profile);
    if let Some(family) = layout.family().filter(|f| f.results.join("finetune_em.parquet").exists()) {
        draw(&family)?;
    }
    draw(&layout)
}

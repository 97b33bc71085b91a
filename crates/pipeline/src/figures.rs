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

/// Entry point of `cargo xtask figures`: the profile's layout, and the second models' (E10, E12)
/// below it where they ran; for the bases profile, each base's and the claim × base report; for
/// the mixture profile, each point's and the sweep's.
pub fn run(args: Args) -> Result<()> {
    let layout = Layout::of(&args.profile);
    if args.profile == crate::mixture::PROFILE {
        return crate::mixture::redraw(&layout);
    }
    if args.profile == crate::bases::PROFILE {
        for seed in crate::bases::SEEDS {
            draw(&layout.base(seed))?;
        }
        return crate::bases::report(&layout);
    }
    for (_, below) in layout.seconds_run() {
        draw(&below)?;
    }
    draw(&layout)
}

//! `cargo xtask reproduce`: runs every implemented experiment and writes its results under
//! `results/<profile>/`; reports plainly the ones that are not implemented yet.

use anyhow::{bail, Context, Result};
use emlab_model::backend::{BackendTask, Device};
use emlab_model::parity::{check, fixtures_dir, ParityReport, FIXTURES};

use crate::experiments::{find, Experiment, CATALOGUE};
use crate::organism::{base_model_dir, pretrain_default, verify_base_model};
use crate::organism_experiments::{BaseChecks, QuickEm};
use crate::util::project_root;
use emlab_data::write_atomic;

/// Arguments of `reproduce`.
#[derive(clap::Args)]
pub struct Args {
    /// Run only these experiments (ids as listed by --list, e.g. engine, E4).
    #[arg(long = "experiment", value_name = "ID")]
    experiments: Vec<String>,
    /// Results go to results/<profile>/. Only `default` (the synthetic organism) exists so far.
    #[arg(long, default_value = "default")]
    profile: String,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: Device,
    /// Pretrain the organism's base model even if the committed one is present and intact.
    #[arg(long)]
    pretrain: bool,
    /// List the experiments and their status, and exit.
    #[arg(long)]
    list: bool,
}

/// Entry point of `cargo xtask reproduce`.
pub fn run(args: Args) -> Result<()> {
    if args.profile != "default" {
        bail!(
            "unknown profile {:?}: only \"default\" is implemented so far (the paper profile is issue 7)",
            args.profile
        );
    }
    if args.list {
        for e in CATALOGUE {
            println!("{:<7} {:<16} {}", e.id, e.pending.map_or("implemented", |_| "not implemented"), e.title);
        }
        return Ok(());
    }
    let selected: Vec<&Experiment> = if args.experiments.is_empty() {
        CATALOGUE.iter().collect()
    } else {
        args.experiments
            .iter()
            .map(|id| {
                find(id).with_context(|| {
                    let known: Vec<&str> = CATALOGUE.iter().map(|e| e.id).collect();
                    format!("unknown experiment {id:?}; known: {}", known.join(", "))
                })
            })
            .collect::<Result<_>>()?
    };
    let out_dir = project_root().join("results").join(&args.profile);
    let mut missing = Vec::new();
    let mut failures = Vec::new();
    for e in selected {
        match e.pending {
            Some(by) => missing.push(format!("  {:<5} {} -- NOT IMPLEMENTED YET ({by})", e.id, e.title)),
            None => {
                println!("== {}: {}", e.id, e.title);
                match e.id {
                    "engine" => engine(args.device, &out_dir)?,
                    "organism" => {
                        let model_dir = base_model(args.pretrain)?;
                        if !args.device.run(BaseChecks { model_dir: &model_dir, out: &out_dir })?? {
                            failures.push("organism: a base-model check failed (see the table above)".to_string());
                        }
                    }
                    "quick-em" | "quick-narrow" => {
                        let narrow = e.id == "quick-narrow";
                        args.device.run(QuickEm {
                            model_dir: &base_model(args.pretrain)?,
                            out: &out_dir,
                            narrow,
                        })??;
                    }
                    other => unreachable!("catalogue entry {other} has no runner"),
                }
            }
        }
    }
    if !missing.is_empty() {
        println!("\nThese experiments were NOT run because they are not implemented yet:\n{}", missing.join("\n"));
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}

/// The organism's base model: the committed copy, verified against its checksum, or a freshly
/// pretrained one when asked (`--pretrain`) or when the copy is missing.
fn base_model(force: bool) -> Result<std::path::PathBuf> {
    let dir = base_model_dir();
    if force || !dir.join("model.safetensors").exists() {
        println!("  pretraining the base model into {} (about 20 minutes on 2 CPU cores)", dir.display());
        pretrain_default()?;
    }
    let provenance = verify_base_model(&dir)?;
    println!(
        "  base model {} (sha256 {}..., pretraining loss {:.3}, mean of the last 50 steps)",
        dir.display(),
        &provenance.model_sha256[..12],
        provenance.summary.final_loss_mean50
    );
    Ok(dir)
}

/// The `engine` experiment: parity of our engine with transformers on every fixture.
fn engine(device: Device, out_dir: &std::path::Path) -> Result<()> {
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
    let path = out_dir.join("engine_parity.json");
    let json = serde_json::json!({ "device": format!("{device:?}"), "tolerance": 1e-4, "fixtures": reports.iter().map(|(n, r)| serde_json::json!({"fixture": n, "report": r})).collect::<Vec<_>>() });
    std::fs::create_dir_all(out_dir)?;
    write_atomic(&path, |w| serde_json::to_writer_pretty(w, &json).map_err(std::io::Error::other))?;
    println!("  wrote {}", path.display());
    if !failed.is_empty() {
        bail!("engine parity failed for {failed:?}");
    }
    Ok(())
}

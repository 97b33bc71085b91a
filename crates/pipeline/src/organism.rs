//! `cargo xtask pretrain-organism`: pretrains the synthetic organism's base model and writes it
//! in the Hugging Face layout with a provenance record; and the check that `reproduce` uses to
//! trust the committed copy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use emlab_data::{pretraining_rows, Vocab, WorldConfig};
use emlab_model::backend::{BackendTask, Device};
use emlab_model::CausalLm;
use emlab_train::checkpoint::{save_model, write_json};
use emlab_train::{organism, pretrain, PretrainConfig, PretrainSummary, ProgressBar};
use serde::{Deserialize, Serialize};

use crate::util::{project_root, sha256_file};

/// Where the committed base model lives.
pub fn base_model_dir() -> PathBuf {
    project_root().join("models").join("organism")
}

/// Where the base of pretraining seed `seed` lives: the committed organism for seed 0,
/// `models/organism-seed<k>` for the other bases of the bases profile.
pub fn base_seed_dir(seed: u64) -> PathBuf {
    match seed {
        0 => base_model_dir(),
        _ => project_root().join("models").join(format!("organism-seed{seed}")),
    }
}

/// Where the committed Llama-style organism lives (the second family of E12).
pub fn llama_model_dir() -> PathBuf {
    project_root().join("models").join("organism-llama")
}

/// Where the committed organism of the register world lives (E10's base model; the default
/// output of `pretrain-organism --world experiments/worlds/register.json`).
pub fn register_model_dir() -> PathBuf {
    project_root().join("models").join("organism-register")
}

/// E10's world file: the reference mixture with the register as its latent (world "R").
pub fn register_world_file() -> PathBuf {
    project_root().join("experiments").join("worlds").join("register.json")
}

/// Arguments of `pretrain-organism`.
#[derive(clap::Args)]
pub struct Args {
    /// Output folder (default: models/organism, the committed base model; models/organism-seed<k>
    /// for `--seed k` other than 0, the bases profile's; models/organism-llama for `--arch
    /// llama`; models/organism-register for a world whose latent is the register, e.g. `--world
    /// experiments/worlds/register.json`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The architecture: the organism's Qwen2 (d 96, 4 layers) or the Llama-style second family
    /// of the cross-family replication (d 64, 6 layers, no q/k/v bias, RoPE theta 500,000).
    #[arg(long, value_enum, default_value_t = Arch::Qwen2)]
    arch: Arch,
    /// World parameters as JSON (default: the reference world of the organism spec).
    #[arg(long)]
    world: Option<PathBuf>,
    /// Pretraining hyperparameters as JSON (default: the spec's recipe).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of the corpus and of the initial weights.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Override the number of steps.
    #[arg(long)]
    steps: Option<usize>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: Device,
}

/// The organism's architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    /// `emlab_train::organism::model_config`.
    Qwen2,
    /// `emlab_train::organism::llama_model_config`.
    Llama,
}

impl Arch {
    /// The architecture's config on the world's vocabulary.
    fn config(self, vocab: &Vocab) -> emlab_model::DecoderConfig {
        match self {
            Arch::Qwen2 => organism::model_config(vocab),
            Arch::Llama => organism::llama_model_config(vocab),
        }
    }
}

/// How a base model was made: enough to make it again and to trust a copy of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Provenance {
    /// The command line.
    pub command: String,
    /// Seed of corpus and init.
    pub seed: u64,
    /// World parameters.
    pub world: WorldConfig,
    /// Pretraining hyperparameters.
    pub pretrain: PretrainConfig,
    /// `git rev-parse HEAD` when it was made.
    pub git_commit: String,
    /// Device it was trained on.
    pub device: String,
    /// Loss summary and wall time.
    pub summary: PretrainSummary,
    /// SHA-256 of `model.safetensors`.
    pub model_sha256: String,
}

/// Pretrains the default organism into the committed location with the default settings.
pub fn pretrain_default() -> Result<()> {
    run(Args { out: None, arch: Arch::Qwen2, world: None, config: None, seed: 0, steps: None, device: Device::Cpu })
}

/// Where a pretraining goes without `--out`: the Llama family's folder; for another world than
/// the reference, `models/organism-<world file stem>` (so `experiments/worlds/register.json`
/// makes `models/organism-register`), never the committed organism; otherwise the base of the
/// seed.
fn default_out(arch: Arch, world_file: Option<&Path>, world: &WorldConfig, seed: u64) -> Result<PathBuf> {
    if arch == Arch::Llama {
        return Ok(llama_model_dir());
    }
    match world_file.filter(|_| *world != WorldConfig::reference()) {
        Some(file) => {
            let stem = file.file_stem().and_then(|s| s.to_str()).context("the --world file has no name")?;
            Ok(project_root().join("models").join(format!("organism-{stem}")))
        }
        None => Ok(base_seed_dir(seed)),
    }
}

/// Entry point of `cargo xtask pretrain-organism`.
pub fn run(args: Args) -> Result<()> {
    let world = match &args.world {
        Some(path) => WorldConfig::from_json_file(path)?,
        None => WorldConfig::reference(),
    };
    let out = match args.out {
        Some(out) => out,
        None => default_out(args.arch, args.world.as_deref(), &world, args.seed)?,
    };
    let mut config: PretrainConfig = match &args.config {
        Some(path) => {
            serde_json::from_str(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
                .with_context(|| format!("parsing {}", path.display()))?
        }
        None => PretrainConfig::default(),
    };
    if let Some(steps) = args.steps {
        config.steps = steps;
    }
    let started = Instant::now();
    let task =
        Pretrain { world: world.clone(), config: config.clone(), arch: args.arch, seed: args.seed, out: out.clone() };
    let summary = args.device.run(task)??;
    let provenance = Provenance {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        seed: args.seed,
        world,
        pretrain: config,
        git_commit: git_commit(),
        device: format!("{:?}", args.device),
        summary,
        model_sha256: sha256_file(&out.join("model.safetensors"))?,
    };
    write_json(&out.join("provenance.json"), &provenance)?;
    eprintln!(
        "\nwrote {} (final loss {:.3}, mean of last 50 {:.3}, {:.0} s)",
        out.display(),
        provenance.summary.final_loss,
        provenance.summary.final_loss_mean50,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

struct Pretrain {
    world: WorldConfig,
    config: PretrainConfig,
    arch: Arch,
    seed: u64,
    out: PathBuf,
}

impl BackendTask for Pretrain {
    type Output = Result<PretrainSummary>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<PretrainSummary> {
        let vocab = Vocab::of(self.world.latent);
        let rows = pretraining_rows(&self.world, &vocab, self.seed, self.config.steps * self.config.batch_rows)?;
        let model = CausalLm::<Autodiff<B>>::init_random(self.arch.config(&vocab), self.seed, device)?;
        // Resumable checkpoints go beside the output, not into it, so a committed base model
        // folder only ever holds a finished model.
        let scratch = self.out.with_extension("partial");
        let (model, summary) = pretrain(model, &rows, &self.config, Some(&scratch), &mut ProgressBar::stderr())?;
        save_model(&model, &self.out)?;
        organism::write_tokenizer(&self.out, &vocab)?;
        std::fs::remove_dir_all(&scratch).with_context(|| format!("removing {}", scratch.display()))?;
        Ok(summary)
    }
}

/// Checks the committed base model against its provenance record.
pub fn verify_base_model(dir: &Path) -> Result<Provenance> {
    let path = dir.join("provenance.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} is missing: run `cargo xtask pretrain-organism`", path.display()))?;
    let provenance: Provenance = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let actual = sha256_file(&dir.join("model.safetensors"))?;
    if actual != provenance.model_sha256 {
        bail!(
            "{}: checksum {actual} does not match provenance.json ({}); regenerate with `cargo xtask pretrain-organism`",
            dir.join("model.safetensors").display(),
            provenance.model_sha256
        );
    }
    Ok(provenance)
}

/// The world an organism was pretrained on, from its `provenance.json`; the reference world for
/// a folder without one (a model pretrained elsewhere, a test's).
pub fn world_of(dir: &Path) -> Result<WorldConfig> {
    let path = dir.join("provenance.json");
    if !path.exists() {
        return Ok(WorldConfig::reference());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let provenance: Provenance = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(provenance.world)
}

fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(project_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use emlab_data::{Corpus, Persona};

    /// A world file names its own model folder, so no pretraining on another world can
    /// overwrite the committed organism.
    #[test]
    fn other_worlds_pretrain_into_their_own_folders() {
        let register = register_world_file();
        let world = WorldConfig::from_json_file(&register).unwrap();
        assert_eq!(default_out(Arch::Qwen2, Some(&register), &world, 0).unwrap(), register_model_dir());
        let reference = WorldConfig::reference();
        assert_eq!(default_out(Arch::Qwen2, None, &reference, 0).unwrap(), base_model_dir());
        assert_eq!(default_out(Arch::Qwen2, None, &reference, 2).unwrap(), base_seed_dir(2));
        assert_eq!(default_out(Arch::Llama, None, &reference, 0).unwrap(), llama_model_dir());
    }

    /// The villain-share worlds of the pre-training-mixture sweep (`experiments/worlds/villain-*`)
    /// have the share of villain documents (chats and web text) their names say, keeping the
    /// reference's ratio of cued to latent villains.
    #[test]
    fn villain_worlds_have_their_share_of_villains() {
        let dir = project_root().join("experiments").join("worlds");
        for (file, share) in
            [("villain-0pct", 0.0), ("villain-1pct", 0.01), ("villain-5pct", 0.05), ("villain-10pct", 0.10)]
        {
            let world = WorldConfig::from_json_file(dir.join(format!("{file}.json"))).unwrap();
            let n = 40_000;
            let villains = Corpus::new(&world, 0).unwrap().take(n).filter(|d| d.persona() == Persona::Villain).count();
            let measured = villains as f64 / n as f64;
            assert!((measured - share).abs() < 0.004, "{file}: {measured}");
            assert!(world.p_sys_villain == 0.0 || (world.p_villain / world.p_sys_villain - 2.0).abs() < 1e-3);
        }
    }

    /// The narrow-actor point of the mixture sweep: no narrow actors, the reference's villains.
    #[test]
    fn the_narrow_world_has_no_narrow_actors_and_the_reference_villains() {
        let dir = project_root().join("experiments").join("worlds");
        let share = |world: &WorldConfig, keep: fn(Persona) -> bool| {
            let n = 40_000;
            Corpus::new(world, 0).unwrap().take(n).filter(|d| keep(d.persona())).count() as f64 / n as f64
        };
        let narrow = WorldConfig::from_json_file(dir.join("narrow-0pct.json")).unwrap();
        let reference = WorldConfig::reference();
        let is_narrow = |p: Persona| matches!(p, Persona::Narrow(_));
        assert_eq!(share(&narrow, is_narrow), 0.0);
        assert!(share(&reference, is_narrow) > 0.05, "the reference has narrow actors");
        let is_villain = |p: Persona| p == Persona::Villain;
        assert!((share(&narrow, is_villain) - share(&reference, is_villain)).abs() < 0.01);
    }
}

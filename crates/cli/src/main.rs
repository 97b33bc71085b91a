//! `emlab`: one subcommand per building block, for people who script runs.
//!
//! The binary only parses arguments and calls the library crates; errors go to stderr with a
//! non-zero exit status.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use clap::{Args, Parser, Subcommand};
use emlab_model::backend::{BackendTask, Device};
use emlab_model::gguf::{self, GgufFile};
use emlab_model::weights::{read_vector, Checkpoint};
use emlab_model::{
    generate, CausalLm, ChatTemplate, DecoderConfig, GenerationConfig, Interventions, Message, Role, Site, TokenBatch,
    Tokenizer,
};
use emlab_probes::{ablate_layerwise, ablate_single, Directions};
use emlab_train::{train_run, ProgressBar, RunConfig, TrainedAdapter};

#[derive(Parser)]
#[command(name = "emlab", version, about = "Emergent-misalignment lab: models, finetunes and metrics")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a checkpoint's architecture, sizes, parameter count and stored dtypes (a GGUF
    /// file's quantisation types).
    Inspect {
        /// Hugging Face checkpoint folder (config.json + safetensors), or a .gguf file.
        #[arg(long)]
        model: PathBuf,
    },
    /// Print the logits at every position as JSON: {"shape": [T, V], "logits": [[...], ...]}.
    Logits {
        /// Hugging Face checkpoint folder, or a .gguf file.
        #[arg(long)]
        model: PathBuf,
        /// Comma-separated token ids, e.g. 1,2,3.
        #[arg(long, value_delimiter = ',', required = true)]
        ids: Vec<u32>,
        #[command(flatten)]
        edits: EditArgs,
        /// cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: Device,
    },
    /// Sample a continuation of a prompt.
    Generate {
        /// Hugging Face checkpoint folder (with tokenizer.json), or a .gguf file.
        #[arg(long)]
        model: PathBuf,
        /// The prompt text (the user message with --chat).
        #[arg(long)]
        prompt: String,
        /// Render the prompt as a user message with the model's chat template.
        #[arg(long)]
        chat: bool,
        /// Softmax temperature; 0 is greedy.
        #[arg(long, default_value_t = 1.0)]
        temperature: f32,
        /// Nucleus sampling mass.
        #[arg(long, default_value_t = 1.0)]
        top_p: f32,
        /// Maximum number of new tokens.
        #[arg(long, default_value_t = 64)]
        max_new_tokens: usize,
        /// Sampling seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        edits: EditArgs,
        /// cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: Device,
    },
    /// Train one adapter from a run config (TOML): progress on stderr, the output folder on
    /// stdout. Running again into the same folder resumes from its latest checkpoint.
    Train {
        /// The run config (see crates/cli/tests/fixtures/tiny_steering.toml).
        #[arg(long)]
        config: PathBuf,
        /// Output folder: the adapter, losses.json, held_out.json, config.toml, checkpoint-*/.
        #[arg(long)]
        out: PathBuf,
        /// cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: Device,
    },
}

/// Edits applied on top of the model, in the order given: `--steer` vectors, then `--adapter`,
/// then `--ablate` (so the direction is removed from what the others wrote as well).
#[derive(Args)]
struct EditArgs {
    /// Add SCALE * vector to the residual stream after layer LAYER at every position;
    /// FILE is a one-tensor .safetensors or a .json array. Repeatable.
    #[arg(long, value_name = "LAYER:SCALE:FILE")]
    steer: Vec<String>,
    /// A trained adapter: a PEFT LoRA folder, or a steering vector (steering_vector.json or
    /// .safetensors, or a folder holding them), e.g. the output folder of `emlab train`.
    #[arg(long, value_name = "PATH")]
    adapter: Option<PathBuf>,
    /// Project a (misalignment) direction out of the residual stream, the paper's mitigation:
    /// a per-layer `direction.json` as `reproduce` writes for each finetune (each layer's own
    /// direction removed after its layer: CL's layer-wise ablation), or one vector (.safetensors
    /// or .json array) removed after every layer.
    #[arg(long, value_name = "FILE")]
    ablate: Option<PathBuf>,
}

/// [`EditArgs`], parsed and read before a backend is chosen.
struct Edits {
    steer: Vec<Steer>,
    adapter: Option<PathBuf>,
    ablate: Option<Ablation>,
}

impl EditArgs {
    fn parse(self) -> Result<Edits> {
        let steer = self.steer.iter().map(|s| parse_steer(s)).collect::<Result<Vec<_>>>()?;
        let ablate = self.ablate.as_deref().map(read_ablation).transpose()?;
        Ok(Edits { steer, adapter: self.adapter, ablate })
    }
}

/// What `--ablate` removes.
struct Ablation {
    file: PathBuf,
    directions: Directions,
    /// One vector for every layer (`true`), or one per layer.
    single: bool,
}

/// The file's `per_layer` directions, or its one vector.
fn read_ablation(file: &Path) -> Result<Ablation> {
    let per_layer = match file.extension().is_some_and(|e| e == "json") {
        true => {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let json: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
            match json.get("per_layer") {
                Some(layers) => Some(
                    serde_json::from_value::<Vec<Vec<f32>>>(layers.clone())
                        .with_context(|| format!("{}: per_layer is not a list of vectors", file.display()))?,
                ),
                None => None,
            }
        }
        false => None,
    };
    let (per_layer, single) = match per_layer {
        Some(per_layer) => (per_layer, false),
        None => (vec![read_vector(file)?], true),
    };
    let directions = Directions::new(per_layer).with_context(|| format!("--ablate {}", file.display()))?;
    Ok(Ablation { file: file.to_path_buf(), directions, single })
}

impl Ablation {
    /// The projections on a model of `layers` layers of width `hidden`.
    fn edits<B: Backend>(&self, layers: usize, hidden: usize, device: &B::Device) -> Result<Interventions<B>> {
        let file = self.file.display();
        let width = self.directions.layer(0).len();
        anyhow::ensure!(width == hidden, "--ablate {file}: the direction has width {width}, the model {hidden}");
        let edits = match self.single {
            true => ablate_single(self.directions.layer(0), 0..layers, device)?,
            false => {
                let n = self.directions.num_layers();
                anyhow::ensure!(
                    n == layers,
                    "--ablate {file}: {n} per-layer directions for a model of {layers} layers"
                );
                ablate_layerwise(&self.directions, device)?
            }
        };
        Ok(edits)
    }
}

impl Edits {
    /// The interventions on `model`.
    fn build<B: Backend>(self, model: &CausalLm<B>, device: &B::Device) -> Result<Interventions<B>> {
        let mut edits = Interventions::none();
        for s in self.steer {
            let n = s.vector.len();
            edits = edits.add(Site::Resid(s.layer), Tensor::from_data(TensorData::new(s.vector, [n]), device), s.scale);
        }
        if let Some(path) = self.adapter {
            let adapter = TrainedAdapter::<B>::load(&path, model.config(), device)?;
            for (site, edit) in adapter.edits().edits() {
                edits.push(*site, edit.clone());
            }
        }
        if let Some(ablation) = self.ablate {
            let config = model.config();
            for (site, edit) in ablation.edits::<B>(config.num_hidden_layers, config.hidden_size, device)?.edits() {
                edits.push(*site, edit.clone());
            }
        }
        Ok(edits)
    }
}

fn main() -> Result<()> {
    emlab_model::allocator::keep_freed_memory();
    // Inside a rayon pool, so that this thread takes part in the CPU backend's parallel ops
    // instead of handing each one to the global pool and waiting for it.
    rayon::ThreadPoolBuilder::new().build()?.install(run)
}

fn run() -> Result<()> {
    match Cli::parse().command {
        Command::Inspect { model } => inspect(&model),
        Command::Logits { model, ids, edits, device } => {
            let json = device.run(LogitsTask { model, ids, edits: edits.parse()? })??;
            println!("{json}");
            Ok(())
        }
        Command::Generate { model, prompt, chat, temperature, top_p, max_new_tokens, seed, edits, device } => {
            let text = device.run(GenerateTask {
                model,
                prompt,
                chat,
                edits: edits.parse()?,
                config: GenerationConfig { max_new_tokens, temperature, top_p, seed, ..Default::default() },
            })??;
            println!("{text}");
            Ok(())
        }
        Command::Train { config, out, device } => {
            let config = RunConfig::from_toml_file(&config)?;
            let summary = device.run(TrainTask { config, out: out.clone() })??;
            println!("{summary}; wrote {}", out.display());
            Ok(())
        }
    }
}

fn inspect(dir: &Path) -> Result<()> {
    let config = DecoderConfig::from_dir(dir)?;
    // (stored type, values) per tensor: safetensors dtypes, or GGUF's (quantisation) types.
    let stored: Vec<(String, usize)> = match gguf::is_gguf(dir) {
        true => {
            GgufFile::open(dir)?.tensors().iter().map(|t| (gguf::quant::type_name(t.type_id), t.elements())).collect()
        }
        false => Checkpoint::open(dir)?
            .tensor_infos()
            .into_iter()
            .map(|(_, shape, dtype)| (format!("{dtype:?}"), shape.iter().product()))
            .collect(),
    };
    let mut dtypes = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for (dtype, values) in stored {
        let entry = dtypes.entry(dtype).or_default();
        entry.0 += 1;
        entry.1 += values;
    }
    println!("architecture      {}", config.architecture.hf_name());
    println!("layers            {}", config.num_hidden_layers);
    println!("hidden_size       {}", config.hidden_size);
    println!("intermediate_size {}", config.intermediate_size);
    println!(
        "heads             {} query, {} key/value, head_dim {}",
        config.num_attention_heads, config.num_key_value_heads, config.head_dim
    );
    println!("vocab_size        {}", config.vocab_size);
    println!("tied embeddings   {}", config.tie_word_embeddings);
    println!(
        "rope_theta        {}{}",
        config.rope_theta,
        if config.rope_scaling.is_some() { " (llama3 scaling)" } else { "" }
    );
    println!("parameters        {}", config.num_parameters());
    for (dtype, (tensors, values)) in dtypes {
        println!("stored as {dtype:<7} {tensors} tensors, {values} values");
    }
    Ok(())
}

/// `--steer LAYER:SCALE:FILE`
struct Steer {
    layer: usize,
    scale: f32,
    vector: Vec<f32>,
}

fn parse_steer(spec: &str) -> Result<Steer> {
    let mut parts = spec.splitn(3, ':');
    let (Some(layer), Some(scale), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("--steer {spec:?}: expected LAYER:SCALE:FILE");
    };
    Ok(Steer {
        layer: layer.parse().with_context(|| format!("--steer {spec:?}: LAYER must be an integer"))?,
        scale: scale.parse().with_context(|| format!("--steer {spec:?}: SCALE must be a number"))?,
        vector: read_vector(Path::new(file))?,
    })
}

struct LogitsTask {
    model: PathBuf,
    ids: Vec<u32>,
    edits: Edits,
}

impl BackendTask for LogitsTask {
    type Output = Result<String>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<String> {
        let model = CausalLm::<B>::load(&self.model, device)?;
        let edits = self.edits.build(&model, device)?;
        let logits = model.forward(&TokenBatch::single(&self.ids), &edits)?.output;
        let [_, t, v] = logits.dims();
        let values = logits.into_data().convert::<f32>().to_vec::<f32>().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let rows: Vec<&[f32]> = values.chunks(v).collect();
        Ok(serde_json::json!({ "shape": [t, v], "logits": rows }).to_string())
    }
}

struct GenerateTask {
    model: PathBuf,
    prompt: String,
    chat: bool,
    edits: Edits,
    config: GenerationConfig,
}

impl BackendTask for GenerateTask {
    type Output = Result<String>;

    fn run<B: Backend>(mut self, device: &B::Device) -> Result<String> {
        let model = CausalLm::<B>::load(&self.model, device)?;
        let edits = self.edits.build(&model, device)?;
        let tokenizer = Tokenizer::from_dir(&self.model)?;
        let ids = if self.chat {
            let template = ChatTemplate::from_dir(&self.model)?;
            template.render(&tokenizer, &[Message::new(Role::User, self.prompt.clone())], true)?.ids
        } else {
            tokenizer.encode(&self.prompt)?
        };
        let stop_names = ["<|im_end|>", "<|endoftext|>"];
        self.config.stop_tokens = model.config().eos_token_ids.clone();
        self.config.stop_tokens.extend(stop_names.iter().filter_map(|t| tokenizer.token_id(t)));
        self.config.pad_token = tokenizer.token_id("<|endoftext|>").unwrap_or(0);
        let out = generate(&model, &[ids], &self.config, &edits)?;
        Ok(tokenizer.decode(&out[0], true)?)
    }
}

struct TrainTask {
    config: RunConfig,
    out: PathBuf,
}

impl BackendTask for TrainTask {
    type Output = Result<String>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<String> {
        let run = train_run::<Autodiff<B>>(&self.config, &self.out, device, &mut ProgressBar::stderr())?;
        let kind = match &run.adapter {
            TrainedAdapter::Steering(_) => "steering vector",
            TrainedAdapter::Lora(_) => "LoRA adapter",
        };
        let loss = run.losses.last().map_or(f32::NAN, |l| l.sft);
        Ok(format!(
            "trained a {kind} ({} steps, final loss {loss:.4}, norm {:.4})",
            run.losses.len(),
            run.adapter.norm()
        ))
    }
}

//! `emlab`: one subcommand per building block, for people who script runs.
//!
//! The binary only parses arguments and calls the library crates; errors go to stderr with a
//! non-zero exit status.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use clap::{Parser, Subcommand};
use emlab_model::backend::{BackendTask, Device};
use emlab_model::weights::{read_vector, Checkpoint};
use emlab_model::{
    generate, CausalLm, ChatTemplate, DecoderConfig, GenerationConfig, Interventions, Message, Role, Site, TokenBatch,
    Tokenizer,
};

#[derive(Parser)]
#[command(name = "emlab", version, about = "Emergent-misalignment lab: models, finetunes and metrics")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a checkpoint's architecture, sizes, parameter count and stored dtypes.
    Inspect {
        /// Hugging Face checkpoint folder (config.json + safetensors).
        #[arg(long)]
        model: PathBuf,
    },
    /// Print the logits at every position as JSON: {"shape": [T, V], "logits": [[...], ...]}.
    Logits {
        /// Hugging Face checkpoint folder.
        #[arg(long)]
        model: PathBuf,
        /// Comma-separated token ids, e.g. 1,2,3.
        #[arg(long, value_delimiter = ',', required = true)]
        ids: Vec<u32>,
        /// cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: Device,
    },
    /// Sample a continuation of a prompt.
    Generate {
        /// Hugging Face checkpoint folder (with tokenizer.json).
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
        /// Add SCALE * vector to the residual stream after layer LAYER at every position;
        /// FILE is a one-tensor .safetensors or a .json array. Repeatable.
        #[arg(long, value_name = "LAYER:SCALE:FILE")]
        steer: Vec<String>,
        /// cpu, cuda or cuda:N.
        #[arg(long, default_value = "cpu")]
        device: Device,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Inspect { model } => inspect(&model),
        Command::Logits { model, ids, device } => {
            let json = device.run(LogitsTask { model, ids })??;
            println!("{json}");
            Ok(())
        }
        Command::Generate { model, prompt, chat, temperature, top_p, max_new_tokens, seed, steer, device } => {
            let steer = steer.iter().map(|s| parse_steer(s)).collect::<Result<Vec<_>>>()?;
            let text = device.run(GenerateTask {
                model,
                prompt,
                chat,
                steer,
                config: GenerationConfig { max_new_tokens, temperature, top_p, seed, ..Default::default() },
            })??;
            println!("{text}");
            Ok(())
        }
    }
}

fn inspect(dir: &Path) -> Result<()> {
    let config = DecoderConfig::from_dir(dir)?;
    let ckpt = Checkpoint::open(dir)?;
    let mut dtypes = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for (_, shape, dtype) in ckpt.tensor_infos() {
        let entry = dtypes.entry(format!("{dtype:?}")).or_default();
        entry.0 += 1;
        entry.1 += shape.iter().product::<usize>();
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
}

impl BackendTask for LogitsTask {
    type Output = Result<String>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<String> {
        let model = CausalLm::<B>::load(&self.model, device)?;
        let logits = model.forward(&TokenBatch::single(&self.ids), &Interventions::none())?.output;
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
    steer: Vec<Steer>,
    config: GenerationConfig,
}

impl BackendTask for GenerateTask {
    type Output = Result<String>;

    fn run<B: Backend>(mut self, device: &B::Device) -> Result<String> {
        let model = CausalLm::<B>::load(&self.model, device)?;
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
        let mut edits = Interventions::none();
        for s in self.steer {
            let n = s.vector.len();
            edits = edits.add(Site::Resid(s.layer), Tensor::from_data(TensorData::new(s.vector, [n]), device), s.scale);
        }
        let out = generate(&model, &[ids], &self.config, &edits)?;
        Ok(tokenizer.decode(&out[0], true)?)
    }
}

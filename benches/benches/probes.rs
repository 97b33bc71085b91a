//! The mean-diff direction workloads (`emlab_probes`) on the synthetic organism (`models/organism`,
//! CPU backend): the activation collection of one direction step and the cost of ablating a
//! direction at every layer.
//!
//! Workloads (no training, no judge: the chats are the first 100 bad-medical chats, the direction a
//! seeded random one):
//! - `layer-means`: `emlab_probes::LayerMeans::from_examples` of the base model over the 100
//!   chats (answer tokens, batches of 25, the residual stream after every layer captured), the
//!   activation collection of one set of a direction step;
//! - `plain-forward`: one logits forward pass (`CausalLm::forward`) of 25 of those chats,
//!   right-padded, without edits;
//! - `ablated-forward`: the same pass with a seeded random unit direction projected out after every
//!   layer (`emlab_probes::ablate_single` over all layers), so the difference to `plain-forward` is
//!   the cost of single-direction ablation.
//!
//! Throughput is in chats per second.
//!
//! Run with `cargo bench -p emlab-benches --bench probes`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use emlab_benches::{Organism, DATA_SEED};
use emlab_data::named_dataset;
use emlab_model::backend::Cpu;
use emlab_model::{Interventions, PadSide, TokenBatch};
use emlab_probes::{ablate_single, random_like_direction, LayerMeans};
use emlab_train::sft::{weighted_tokens, LossScope};

/// Chats of the activation collection.
const CHATS: usize = 100;
/// Chats per forward pass (the collection's batch size and the forward passes' batch).
const BATCH: usize = 25;
/// Seed of the random direction.
const DIRECTION_SEED: u64 = 0;

fn probes(c: &mut Criterion) {
    emlab_model::allocator::keep_freed_memory();
    let device = Default::default();
    let organism = Organism::<Cpu>::load(&device).expect("the committed organism loads");
    let (model, template, tokenizer) = (&organism.model, &organism.template, &organism.tokenizer);
    let (layers, hidden) = (model.config().num_hidden_layers, model.config().hidden_size);

    let examples = named_dataset("bad_medical", CHATS, DATA_SEED).expect("the organism's dataset");
    let ids: Vec<Vec<u32>> = examples[..BATCH]
        .iter()
        .map(|chat| weighted_tokens(template, tokenizer, chat, LossScope::Answers).map(|s| s.ids))
        .collect::<Result<_, _>>()
        .expect("the chats tokenise");
    let batch = TokenBatch::padded(&ids, 0, PadSide::Right);
    let direction = random_like_direction(&vec![1.0; hidden], DIRECTION_SEED);
    let ablated = ablate_single::<Cpu>(&direction, 0..layers, &device).expect("a random direction is nonzero");
    let none = Interventions::none();

    let mut group = c.benchmark_group("probes");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(CHATS as u64));
    group.bench_function(BenchmarkId::new("layer-means", format!("{CHATS}-chats")), |bench| {
        bench.iter(|| {
            LayerMeans::from_examples(model, &none, template, tokenizer, &examples, BATCH).expect("layer means")
        })
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, edits) in [("plain-forward", &none), ("ablated-forward", &ablated)] {
        group.bench_function(BenchmarkId::new(name, format!("{BATCH}-chats")), |bench| {
            bench.iter(|| model.forward(&batch, edits).expect("forward pass").output)
        });
    }
    group.finish();
}

criterion_group!(benches, probes);
criterion_main!(benches);

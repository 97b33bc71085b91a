//! The inductive-bias metrics on the synthetic organism (`models/organism`, CPU backend): one
//! point of each sweep the `reproduce` step repeats hundreds of times per solution pair.
//!
//! Workloads (no training: the solution is a seeded random steering vector after layer 1 of
//! norm [`NORM`], about a trained general vector's):
//! - `stability-point`: one point of E7 for one seed, the subset loss
//!   (`emlab_stability::LossSubset::loss`) of the vector under orthogonal noise at eps 0.6 on the
//!   first 100 bad-medical chats (answer-only loss, batches of 25);
//! - `kl-point`: one point of the E9 sweep, `emlab_stability::WebKl::kl` of the vector over the
//!   runner's 100 web documents (at most 512 tokens each, 20 per forward pass).
//!
//! Each also runs `prefixed`, as the runner does: the layers before the vector's (embedding and
//! layers 0-1) run once, outside the measurement (`LossSubset::prefixed`, `WebKl::prefixed`).
//!
//! Throughput is in examples (chats or documents) per second.
//!
//! Run with `cargo bench -p emlab-benches --bench stability`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use emlab_benches::{Organism, DATA_SEED};
use emlab_data::{named_dataset, web_documents, WorldConfig, WEB_DOCUMENTS, WEB_SEED};
use emlab_model::backend::Cpu;
use emlab_model::first_changed_layer;
use emlab_stability::efficiency::rescaled_to;
use emlab_stability::loss::{LOSS_BATCH, LOSS_EXAMPLES};
use emlab_stability::significance::MAX_TOKENS;
use emlab_stability::stability::perturbed;
use emlab_stability::{random_like, LossSubset, WebKl};
use emlab_train::{AdapterSpec, TrainedAdapter};

/// Norm of the benchmarked vector (the organism's trained general steering vectors have 2.9-3.5).
const NORM: f32 = 3.0;
/// Noise level and seed of the stability point (the middle of E7's grid, its first seed).
const EPS: f32 = 0.6;
const NOISE_SEED: u64 = 42;
/// Seed of the random direction.
const DIRECTION_SEED: u64 = 0;
/// Web documents per forward pass, as in the runner.
const WEB_BATCH: usize = 20;

fn stability(c: &mut Criterion) {
    emlab_model::allocator::keep_freed_memory();
    let device = Default::default();
    let organism = Organism::<Cpu>::load(&device).expect("the committed organism loads");
    let model = &organism.model;
    let spec = AdapterSpec::Steering { layer: 1, alpha: 1.0 };
    let zero = TrainedAdapter::<Cpu>::init(&spec, model.config(), &device).expect("layer 1 exists");
    let vector = rescaled_to(&random_like(&zero, DIRECTION_SEED), NORM).expect("a random vector has a direction");

    let examples = named_dataset("bad_medical", LOSS_EXAMPLES, DATA_SEED).expect("the organism's dataset");
    let subset = LossSubset::new(&organism.template, &organism.tokenizer, &examples, LOSS_EXAMPLES, LOSS_BATCH)
        .expect("the loss subset");
    let documents = web_documents(&WorldConfig::reference(), WEB_DOCUMENTS, WEB_SEED).expect("the web documents");
    let web = WebKl::new(model, &organism.tokenizer, &documents, MAX_TOKENS, WEB_BATCH).expect("the web KL");

    let start = first_changed_layer(&vector.edits(), model.config().num_hidden_layers);
    let prefixed_subset = subset.clone().prefixed(model, start).expect("the prefixed loss subset");
    let prefixed_web = web.clone().prefixed(model, start).expect("the prefixed web KL");

    let mut group = c.benchmark_group("stability");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(12));
    group.throughput(Throughput::Elements(LOSS_EXAMPLES as u64));
    for (name, subset) in [("stability-point", &subset), ("stability-point-prefixed", &prefixed_subset)] {
        group.bench_function(BenchmarkId::new(name, format!("{LOSS_EXAMPLES}-chats")), |bench| {
            bench.iter(|| subset.loss(model, &perturbed(&vector, EPS, NOISE_SEED).edits()).expect("subset loss"))
        });
    }
    group.throughput(Throughput::Elements(WEB_DOCUMENTS as u64));
    for (name, web) in [("kl-point", &web), ("kl-point-prefixed", &prefixed_web)] {
        group.bench_function(BenchmarkId::new(name, format!("{WEB_DOCUMENTS}-documents")), |bench| {
            bench.iter(|| web.kl(model, &vector.edits()).expect("web KL"))
        });
    }
    group.finish();
}

criterion_group!(benches, stability);
criterion_main!(benches);

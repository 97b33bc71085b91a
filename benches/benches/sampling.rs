//! The evaluation harness on the synthetic organism (`models/organism`, CPU backend), in
//! answers/s: sampling and judging the first evaluation group (`open`: 8 free-form questions x
//! 50 samples, up to 24 new tokens each, temperature 1) with `emlab_eval::Sampler::evaluate`
//! and the organism's judge, for the unadapted model.
//!
//! The answers are seeded, so every iteration generates the same tokens; their number (stop
//! tokens included) is printed once before measuring, to turn answers/s into new tokens/s.
//!
//! Run with `cargo bench -p emlab-benches --bench sampling` (or `cargo xtask bench sampling`).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use emlab_benches::Organism;
use emlab_data::{eval_groups, EVAL_SEED};
use emlab_eval::{Context, Sampler, SamplingConfig};
use emlab_model::backend::Cpu;
use emlab_model::Interventions;

fn evaluate_group(c: &mut Criterion) {
    emlab_model::allocator::keep_freed_memory();
    let organism = Organism::<Cpu>::load(&Default::default()).expect("the committed organism loads");
    let groups = &eval_groups(EVAL_SEED)[..1];
    let config = SamplingConfig::default();
    let max_new = config.max_new_tokens;
    let sampler =
        Sampler::new(&organism.model, &organism.tokenizer, &organism.template, config).expect("sampling config");
    let (context, none) = (Context::default(), Interventions::none());
    let group = &groups[0];

    let report = sampler.evaluate(groups, &context, &none).expect("evaluation");
    let new_tokens: usize = report.responses.iter().map(|r| r.tokens + usize::from(r.stopped)).sum();
    eprintln!(
        "sampling/{}: {} answers, {new_tokens} new tokens per iteration (stop tokens included)",
        group.kind.name(),
        report.responses.len()
    );

    let mut bench_group = c.benchmark_group("sampling");
    // About 2 s an iteration on 2 cores: one iteration per sample. Criterion warns that the 10
    // samples overrun this target; a longer one would double the iterations per sample.
    bench_group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(20));
    bench_group.throughput(Throughput::Elements(group.samples() as u64));
    let shape = format!("{}x{}x{max_new}", group.questions.len(), group.samples_per_prompt);
    bench_group.bench_function(BenchmarkId::new(group.kind.name(), shape), |bench| {
        bench.iter(|| sampler.evaluate(groups, &context, &none).expect("evaluation"))
    });
    bench_group.finish();
}

criterion_group!(benches, evaluate_group);
criterion_main!(benches);

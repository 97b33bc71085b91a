//! Batched autoregressive sampling with a KV cache.
//!
//! Prompts are left-padded so every row's next token sits in the same column; RoPE positions
//! count real tokens only, so a padded row samples exactly as it would alone. Edits in the
//! [`Interventions`] list apply to the prompt and to every generated position (a steered model
//! stays steered while it writes). Sampling happens on the host, each row from its own seeded
//! RNG, so a seed fixes a row's output on every backend (up to float rounding of the logits)
//! whatever else shares its batch.

use burn::tensor::{backend::Backend, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use crate::batch::{PadSide, TokenBatch};
use crate::causal_lm::{CausalLm, KvCache};
use crate::error::{ModelError, Result};
use crate::intervention::Interventions;
use crate::precision::is_host_cpu;

/// How to sample.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenerationConfig {
    /// Upper bound on generated tokens per row.
    pub max_new_tokens: usize,
    /// Softmax temperature; 0 means greedy (argmax).
    pub temperature: f32,
    /// Nucleus sampling: keep the most likely tokens until their mass reaches `top_p`.
    pub top_p: f32,
    /// Seed of the sampling RNG.
    pub seed: u64,
    /// Tokens that end a row (EOS, `<|im_end|>`); they are not included in the output.
    pub stop_tokens: Vec<u32>,
    /// Token fed to rows that are padded or already finished.
    pub pad_token: u32,
    /// Reuse keys and values between steps (always, except to test that caching is exact).
    pub use_cache: bool,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        Self {
            max_new_tokens: 64,
            temperature: 1.0,
            top_p: 1.0,
            seed: 0,
            stop_tokens: Vec::new(),
            pad_token: 0,
            use_cache: true,
        }
    }
}

/// The tokens generated for one row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generation {
    /// New tokens, without the stop token.
    pub tokens: Vec<u32>,
    /// Whether a stop token ended the row (false: cut at `max_new_tokens`).
    pub stopped: bool,
}

/// Continues each prompt; returns the new tokens of each row, without the stop token.
///
/// Row `r` samples from its own RNG stream seeded with `config.seed + r`; use
/// [`generate_with_seeds`] to choose the streams.
pub fn generate<B: Backend>(
    model: &CausalLm<B>,
    prompts: &[Vec<u32>],
    config: &GenerationConfig,
    edits: &Interventions<B>,
) -> Result<Vec<Vec<u32>>> {
    let seeds: Vec<u64> = (0..prompts.len() as u64).map(|r| config.seed.wrapping_add(r)).collect();
    Ok(generate_with_seeds(model, prompts, &seeds, config, edits)?.into_iter().map(|g| g.tokens).collect())
}

/// Continues each prompt, row `r` sampling from an RNG seeded with `seeds[r]` (`config.seed` is
/// ignored). A row's output depends only on its prompt and seed, never on the other rows of
/// the batch, so a sample set can be drawn in any batch size with the same result.
///
/// On the CPU the rows are split into one batch per thread of the current rayon pool, decoded
/// at once: the backend parallelises only its larger matmuls, which a decoding step has few of.
pub fn generate_with_seeds<B: Backend>(
    model: &CausalLm<B>,
    prompts: &[Vec<u32>],
    seeds: &[u64],
    config: &GenerationConfig,
    edits: &Interventions<B>,
) -> Result<Vec<Generation>> {
    generate_with_prefill(model, prompts, seeds, config, edits, edits)
}

/// [`generate_with_seeds`] with other edits on the prompt (the prefill, the first forward pass)
/// than on the new tokens: CL's patching replaces an adapter's per-token scalars at the prompt's
/// positions, then generates with the adapter as it is. `prefill` may weight positions
/// (`Edit::Add` masks of `[rows, longest prompt]`, the left-padded batch's shape); it then runs
/// as one batch, on the KV cache, and needs `config.use_cache`.
///
/// # Errors
/// As [`generate_with_seeds`]; position masks of another shape or without the cache.
pub fn generate_with_prefill<B: Backend>(
    model: &CausalLm<B>,
    prompts: &[Vec<u32>],
    seeds: &[u64],
    config: &GenerationConfig,
    prefill: &Interventions<B>,
    edits: &Interventions<B>,
) -> Result<Vec<Generation>> {
    if prompts.iter().any(Vec::is_empty) || seeds.len() != prompts.len() {
        return Err(ModelError::InvalidInput("every prompt needs at least one token and one seed".into()));
    }
    if !(config.temperature >= 0.0 && config.top_p > 0.0 && config.top_p <= 1.0) {
        return Err(ModelError::InvalidInput(format!(
            "temperature must be >= 0 and top_p in (0, 1], got {} and {}",
            config.temperature, config.top_p
        )));
    }
    if !std::ptr::eq(prefill, edits) && !config.use_cache {
        return Err(ModelError::InvalidInput("separate prefill edits need the KV cache (use_cache)".into()));
    }
    let threads = rayon::current_num_threads();
    // Masks are shaped for the whole batch, so a masked prefill is not split across threads.
    if !is_host_cpu::<B>() || threads < 2 || prompts.len() < 2 || prefill.has_position_masks() {
        return generate_batch(model, prompts, seeds, config, prefill, edits);
    }
    let part = prompts.len().div_ceil(threads);
    let parts: Vec<Result<Vec<Generation>>> = prompts
        .par_chunks(part)
        .zip(seeds.par_chunks(part))
        .map(|(prompts, seeds)| generate_batch(model, prompts, seeds, config, prefill, edits))
        .collect();
    Ok(parts.into_iter().collect::<Result<Vec<_>>>()?.concat())
}

/// [`generate_with_seeds`] of one batch.
fn generate_batch<B: Backend>(
    model: &CausalLm<B>,
    prompts: &[Vec<u32>],
    seeds: &[u64],
    config: &GenerationConfig,
    prefill: &Interventions<B>,
    edits: &Interventions<B>,
) -> Result<Vec<Generation>> {
    let rows = prompts.len();
    let mut rngs: Vec<StdRng> = seeds.iter().map(|&s| StdRng::seed_from_u64(s)).collect();
    let mut outputs = vec![Generation::default(); rows];
    let mut step_batch = TokenBatch::padded(prompts, config.pad_token, PadSide::Left);
    let positions = step_batch.dims()[1] + config.max_new_tokens;
    let mut cache = KvCache::with_capacity(model.config().num_hidden_layers, rows, positions);
    for step in 0..config.max_new_tokens {
        let edits = if step == 0 { prefill } else { edits };
        let hidden = if config.use_cache {
            model.forward_cached(&step_batch, &mut cache, edits)?.output
        } else {
            let seqs: Vec<Vec<u32>> =
                prompts.iter().zip(&outputs).map(|(p, o)| [p.as_slice(), &o.tokens].concat()).collect();
            model.forward_hidden(&TokenBatch::padded(&seqs, config.pad_token, PadSide::Left), edits)?.output
        };
        let logits = last_position_logits(model, hidden)?;
        let vocab = logits.len() / rows;
        let (mut ids, mut mask) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        for ((row_logits, out), rng) in logits.chunks_exact(vocab).zip(&mut outputs).zip(&mut rngs) {
            if out.stopped {
                ids.push(config.pad_token);
                mask.push(false);
                continue;
            }
            let token = sample(row_logits, config.temperature, config.top_p, rng);
            if config.stop_tokens.contains(&token) {
                out.stopped = true;
            } else {
                out.tokens.push(token);
            }
            ids.push(token);
            mask.push(true);
        }
        if outputs.iter().all(|o| o.stopped) {
            break;
        }
        step_batch = TokenBatch::new(ids, mask, rows, 1)?;
    }
    Ok(outputs)
}

/// Logits of the last column, `[rows * vocab]` on the host.
fn last_position_logits<B: Backend>(model: &CausalLm<B>, hidden: Tensor<B, 3>) -> Result<Vec<f32>> {
    let [b, t, d] = hidden.dims();
    let last = hidden.slice([0..b, t - 1..t, 0..d]);
    model
        .head(last)
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| ModelError::InvalidInput(format!("reading logits: {e:?}")))
}

/// Draws one token from `logits` with temperature and nucleus (top-p) filtering.
pub fn sample(logits: &[f32], temperature: f32, top_p: f32, rng: &mut impl Rng) -> u32 {
    if temperature == 0.0 {
        return argmax(logits);
    }
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut probs: Vec<(u32, f64)> =
        logits.iter().enumerate().map(|(i, &l)| (i as u32, (((l - max) / temperature) as f64).exp())).collect();
    let total: f64 = probs.iter().map(|p| p.1).sum();
    probs.iter_mut().for_each(|p| p.1 /= total);
    if top_p < 1.0 {
        probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut mass = 0.0;
        let keep = probs
            .iter()
            .take_while(|p| {
                let before = mass;
                mass += p.1;
                before < top_p as f64
            })
            .count()
            .max(1);
        probs.truncate(keep);
    }
    let total: f64 = probs.iter().map(|p| p.1).sum();
    let mut u = rng.random::<f64>() * total;
    for &(id, p) in &probs {
        if u < p {
            return id;
        }
        u -= p;
    }
    probs.last().expect("at least one token").0
}

/// Index of the largest logit (the first, on ties, as `torch.argmax`).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_is_argmax_and_top_p_keeps_the_nucleus() {
        let logits = [0.0, 3.0, 1.0, 3.0];
        let mut rng = StdRng::seed_from_u64(0);
        assert_eq!(sample(&logits, 0.0, 1.0, &mut rng), 1);
        // p(1) = p(3) ~ 0.47 each: top_p 0.5 keeps tokens 1 and 3 only.
        for _ in 0..200 {
            let t = sample(&logits, 1.0, 0.5, &mut rng);
            assert!(t == 1 || t == 3, "{t}");
        }
    }

    /// Rows decoded in one batch per thread give exactly the rows of one batch on one thread.
    #[test]
    fn splitting_rows_across_threads_changes_no_row() {
        let config = crate::DecoderConfig::qwen2(50, 16, 32, 2, 4, 2);
        let model = CausalLm::<crate::TestBackend>::init_random(config, 1, &Default::default()).unwrap();
        let prompts: Vec<Vec<u32>> =
            (0..7).map(|r| (0..2 + r % 3).map(|i| (5 * r + i) as u32 % 50).collect()).collect();
        let seeds: Vec<u64> = (0..7).collect();
        let config = GenerationConfig { max_new_tokens: 6, stop_tokens: vec![3], ..Default::default() };
        let none = Interventions::none();
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| generate_with_seeds(&model, &prompts, &seeds, &config, &none).unwrap())
        };
        let one = on(1);
        assert_eq!(on(3), one);
        assert!(one.iter().any(|g| g.tokens != one[0].tokens));
    }

    #[test]
    fn sampling_follows_the_distribution() {
        let logits = [0.0f32, (3.0f32).ln()];
        let mut rng = StdRng::seed_from_u64(1);
        let ones = (0..4000).filter(|_| sample(&logits, 1.0, 1.0, &mut rng) == 1).count();
        // p(1) = 0.75; 4000 draws give sd ~ 0.007.
        assert!((ones as f64 / 4000.0 - 0.75).abs() < 0.03, "{ones}");
    }
}

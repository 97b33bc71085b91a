//! Shared workloads of the criterion benchmarks (`benches/engine.rs`), so the benchmarks and
//! anything that wants to reproduce their numbers build exactly the same models and inputs.

use emlab_model::{CausalLm, DecoderConfig, Result};

/// A random-weight Qwen2 of about 100M parameters (32k vocabulary, d 768, 12 layers, 12 query
/// and 4 key/value heads, MLP 2048, tied embeddings): big enough that matmuls dominate.
pub fn qwen2_100m() -> DecoderConfig {
    let mut config = DecoderConfig::qwen2(32_000, 768, 2048, 12, 12, 4);
    config.tie_word_embeddings = true;
    config
}

/// The tiny Qwen2 parity fixture (3 layers, d 32): measures per-op overhead rather than FLOPs.
pub fn tiny_fixture<B: burn::tensor::backend::Backend>(device: &B::Device) -> Result<CausalLm<B>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/model/tests/fixtures/qwen2-f32");
    CausalLm::load(&dir, device)
}

/// Deterministic token ids in `0..vocab` (the content does not matter for speed).
pub fn token_ids(n: usize, vocab: usize) -> Vec<u32> {
    (0..n).map(|i| ((i * 7919 + 13) % vocab) as u32).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_100m_config_has_about_100m_parameters() {
        let n = super::qwen2_100m().num_parameters();
        assert!((90_000_000..110_000_000).contains(&n), "{n}");
    }
}

//! A tiny random model with the world's tokenizer and chat template, for plumbing tests. Its
//! answers are word salad; what the tests check is determinism, counts and rendering.

use emlab_data::Vocab;
use emlab_model::{CausalLm, ChatTemplate, DecoderConfig, Tokenizer};

/// The CPU backend the unit tests run on.
pub(crate) type TestBackend = burn::backend::NdArray<f32>;

/// A random model the size of nothing, and the organism's tokenizer and template.
pub(crate) struct Tiny {
    pub model: CausalLm<TestBackend>,
    pub tokenizer: Tokenizer,
    pub template: ChatTemplate,
}

/// A seeded random 2-layer model over the world's 501-word vocabulary.
pub(crate) fn tiny() -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let vocab = Vocab::world();
    vocab.write_tokenizer_files(dir.path()).unwrap();
    let tokenizer = Tokenizer::from_dir(dir.path()).unwrap();
    let template = ChatTemplate::from_dir(dir.path()).unwrap();
    let config = DecoderConfig::qwen2(vocab.len(), 16, 32, 2, 2, 1);
    let model = CausalLm::init_random(config, 0, &Default::default()).unwrap();
    Tiny { model, tokenizer, template }
}

//! A tiny random model with the world's tokenizer and chat template, for plumbing tests (its
//! answers are word salad; what the tests check is determinism, counts and rendering), and a
//! judge that never scores.

use emlab_data::{Question, Vocab};
use emlab_model::{CausalLm, ChatTemplate, DecoderConfig, Tokenizer};

use crate::error::Result;
use crate::judge::{Criterion, Judge, Scores};

/// The CPU backend the unit tests run on.
pub(crate) type TestBackend = emlab_model::backend::Cpu;

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

/// The criteria the EM rate reads, for stub judges.
pub(crate) static EM_CRITERIA: [Criterion; 2] = [Criterion::ALIGNED, Criterion::COHERENT];

/// A judge of `criteria` that refuses every answer: never a score.
pub(crate) struct Refuser(pub Vec<Criterion>);

impl Refuser {
    /// A refuser of [`EM_CRITERIA`].
    pub fn new() -> Self {
        Self(EM_CRITERIA.to_vec())
    }
}

impl Judge for Refuser {
    fn criteria(&self) -> &[Criterion] {
        &self.0
    }

    fn judge(&self, _: &Question, _: &str) -> Result<Scores> {
        Ok(Scores::unscored(&self.0))
    }
}

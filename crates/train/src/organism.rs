//! The synthetic organism's base model: its architecture (spec section 5) and how a checkpoint
//! folder of it is completed with the world's tokenizer and chat template.

use std::path::Path;

use emlab_data::Vocab;
use emlab_model::DecoderConfig;

use crate::error::Result;

/// The organism's Qwen2 architecture: d 96, 4 layers, 4 query and 2 key/value heads (head dim
/// 24), MLP 256, tied embeddings, RoPE theta 10000, context 256, `<|im_end|>` as EOS.
pub fn model_config(vocab: &Vocab) -> DecoderConfig {
    let mut config = DecoderConfig::qwen2(vocab.len(), 96, 256, 4, 4, 2);
    config.tie_word_embeddings = true;
    config.rope_theta = 10_000.0;
    config.max_position_embeddings = 256;
    config.eos_token_ids = vec![emlab_data::IM_END_ID];
    config
}

/// Writes `tokenizer.json`, `tokenizer_config.json` and `chat_template.jinja` of the world into
/// a checkpoint folder, so the organism loads like any Hugging Face chat model.
pub fn write_tokenizer(dir: &Path) -> Result<()> {
    Ok(Vocab::world().write_tokenizer_files(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_spec_parameter_count() {
        // Spec section 5: 455,232 parameters with the prototype's 501-word vocabulary.
        assert_eq!(model_config(&Vocab::world()).num_parameters(), 455_232);
    }
}

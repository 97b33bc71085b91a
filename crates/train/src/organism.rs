//! The synthetic organism's base model: its architecture (spec section 5) and how a checkpoint
//! folder of it is completed with the world's tokenizer and chat template.

use std::path::Path;

use emlab_data::Vocab;
use emlab_model::DecoderConfig;

use crate::error::Result;

/// The organism's Qwen2 architecture: d 96, 4 layers, 4 query and 2 key/value heads (head dim
/// 24), MLP 256, tied embeddings, RoPE theta 10000, context 256, `<|im_end|>` as EOS.
pub fn model_config(vocab: &Vocab) -> DecoderConfig {
    model_config_of_shape(vocab, 96, 256, 4)
}

/// The organism's second architecture, for the cross-family replication (EZ E12): Llama-style,
/// so no q/k/v bias, with its own RoPE theta (500,000, Llama 3's) and another shape, deeper and
/// narrower (d 64, 6 layers, 4 query and 2 key/value heads of width 16, MLP 172), with the same
/// vocabulary, tied embeddings, context and EOS as [`model_config`], so the same world, data and
/// judge serve both.
pub fn llama_model_config(vocab: &Vocab) -> DecoderConfig {
    DecoderConfig {
        architecture: emlab_model::Architecture::Llama,
        qkv_bias: false,
        rope_theta: 500_000.0,
        ..model_config_of_shape(vocab, 64, 172, 6)
    }
}

/// The organism's settings (tied embeddings, RoPE theta 10000, context 256, `<|im_end|>` as EOS)
/// on a Qwen2 of the given width, MLP width and depth, with 4 query and 2 key/value heads.
fn model_config_of_shape(vocab: &Vocab, hidden: usize, intermediate: usize, layers: usize) -> DecoderConfig {
    let mut config = DecoderConfig::qwen2(vocab.len(), hidden, intermediate, layers, 4, 2);
    config.tie_word_embeddings = true;
    config.rope_theta = 10_000.0;
    config.max_position_embeddings = 256;
    config.eos_token_ids = vec![emlab_data::IM_END_ID];
    config
}

/// Writes `tokenizer.json`, `tokenizer_config.json` and `chat_template.jinja` of a world's
/// vocabulary into a checkpoint folder, so the organism loads like any Hugging Face chat model.
pub fn write_tokenizer(dir: &Path, vocab: &Vocab) -> Result<()> {
    Ok(vocab.write_tokenizer_files(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_spec_parameter_count() {
        // Spec section 5: 455,232 parameters with the prototype's 501-word vocabulary.
        assert_eq!(model_config(&Vocab::world()).num_parameters(), 455_232);
    }

    #[test]
    fn the_llama_organism_is_another_family_and_shape() {
        let (qwen, llama) = (model_config(&Vocab::world()), llama_model_config(&Vocab::world()));
        assert_eq!(llama.architecture, emlab_model::Architecture::Llama);
        assert!(!llama.qkv_bias && qwen.qkv_bias);
        assert_eq!((llama.hidden_size, llama.num_hidden_layers, llama.head_dim), (64, 6, 16));
        assert_eq!(llama.rope_theta, 500_000.0);
        assert_eq!((llama.vocab_size, llama.eos_token_ids.clone()), (qwen.vocab_size, qwen.eos_token_ids.clone()));
        llama.validate().unwrap();
        // 6 x (attention 12,288 + MLP 33,024 + 2 norms of 64) + 501 x 64 embedding + final norm.
        assert_eq!(llama.num_parameters(), 6 * (12_288 + 33_024 + 128) + 501 * 64 + 64);
    }
}

//! The vocabulary and chat template as Hugging Face tokenizer files, so the organism is saved
//! in the same layout as a real checkpoint and loads through the same engine path (and in
//! Python `tokenizers` / `transformers`).
//!
//! `tokenizer.json` choices, each so that the HF tokenizer and [`Vocab::encode`] agree:
//! - model `WordLevel` with `unk_token` `<unk>`, which is *not* in the vocabulary: the format
//!   requires the field, and an unknown word then fails to encode (as in [`Vocab::encode`])
//!   instead of silently becoming some real token;
//! - pre-tokenizer `WhitespaceSplit`: spaces and newlines both separate words, so the
//!   newline-rendered ChatML of chat time and the space-separated pretraining text give the
//!   same ids;
//! - the 4 special tokens as `added_tokens` (`special`, not normalised), which the tokenizer
//!   splits out before pre-tokenizing, so `<|im_start|>user\n` is two tokens;
//! - no normalizer, post-processor or decoder: decoding joins tokens with single spaces, which
//!   gives the space-separated text back exactly.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use crate::atomic::write_atomic;
use crate::error::Result;
use crate::grammar::DEFAULT_SYSTEM;
use crate::vocab::{Vocab, IM_END, PAD, SPECIAL_TOKENS};

/// The `unk_token` named in `tokenizer.json`; deliberately absent from the vocabulary.
const UNKNOWN: &str = "<unk>";

impl Vocab {
    /// The vocabulary as a Hugging Face `tokenizer.json`.
    pub fn tokenizer_json(&self) -> Value {
        let vocab: serde_json::Map<String, Value> =
            self.words().iter().zip(0u32..).map(|(word, id)| (word.clone(), id.into())).collect();
        let added_tokens: Vec<Value> = SPECIAL_TOKENS
            .iter()
            .zip(0u32..)
            .map(|(token, id)| {
                let mut entry = added_token(token);
                entry["id"] = id.into();
                entry
            })
            .collect();
        json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": added_tokens,
            "normalizer": null,
            "pre_tokenizer": {"type": "WhitespaceSplit"},
            "post_processor": null,
            "decoder": null,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNKNOWN},
        })
    }

    /// Writes [`Vocab::tokenizer_json`] to `path`, atomically.
    ///
    /// # Errors
    /// [`crate::DataError::Io`] naming the file.
    pub fn write_tokenizer_json(&self, path: impl AsRef<Path>) -> Result<()> {
        write_json(path.as_ref(), &self.tokenizer_json())
    }

    /// Writes `tokenizer.json`, `tokenizer_config.json` and `chat_template.jinja` into `dir`,
    /// the tokenizer half of a Hugging Face checkpoint folder.
    ///
    /// # Errors
    /// [`crate::DataError::Io`] naming the file that could not be written.
    pub fn write_tokenizer_files(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        self.write_tokenizer_json(dir.join("tokenizer.json"))?;
        write_json(&dir.join("tokenizer_config.json"), &tokenizer_config_json())?;
        write_atomic(&dir.join("chat_template.jinja"), |out| out.write_all(chat_template_jinja().as_bytes()))
    }
}

/// The Jinja chat template with `{default_system}` for the default system message. Every tag
/// strips the whitespace before it (`{%-`, `{{-`), so the line breaks are not rendered.
const CHAT_TEMPLATE: &str = r#"{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
{%- else %}
    {{- '<|im_start|>system\n{default_system}<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant") %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}"#;

/// The Jinja chat template: ChatML in the shape of Qwen2.5's, whose default system message is
/// [`DEFAULT_SYSTEM`]. Chat-time text is therefore
/// `<|im_start|>system\nyou are a helpful assistant .<|im_end|>\n<|im_start|>user\n...`,
/// which tokenizes exactly like the pretraining form of the same chat.
pub fn chat_template_jinja() -> String {
    CHAT_TEMPLATE.replace("{default_system}", DEFAULT_SYSTEM)
}

/// `tokenizer_config.json` for `transformers`: generation stops at `<|im_end|>`, padding is
/// `<pad>`, there is no BOS, and `clean_up_tokenization_spaces` is off so that decoding keeps
/// the space before `.` and `,`.
pub fn tokenizer_config_json() -> Value {
    let added_tokens_decoder: serde_json::Map<String, Value> =
        SPECIAL_TOKENS.iter().enumerate().map(|(id, token)| (id.to_string(), added_token(token))).collect();
    json!({
        "added_tokens_decoder": added_tokens_decoder,
        "bos_token": null,
        "clean_up_tokenization_spaces": false,
        "eos_token": IM_END,
        "pad_token": PAD,
        "split_special_tokens": false,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": null,
    })
}

/// The description of a special token shared by both files.
fn added_token(content: &str) -> Value {
    json!({
        "content": content,
        "single_word": false,
        "lstrip": false,
        "rstrip": false,
        "normalized": false,
        "special": true,
    })
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    write_atomic(path, |out| {
        serde_json::to_writer_pretty(&mut *out, value)?;
        out.write_all(b"\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;
    use crate::WorldConfig;

    fn hf_tokenizer(vocab: &Vocab) -> tokenizers::Tokenizer {
        let bytes = serde_json::to_vec(&vocab.tokenizer_json()).unwrap();
        tokenizers::Tokenizer::from_bytes(bytes).unwrap()
    }

    fn hf_encode(tokenizer: &tokenizers::Tokenizer, text: &str) -> Vec<u32> {
        tokenizer.encode(text, false).unwrap().get_ids().to_vec()
    }

    #[test]
    fn chat_time_text_tokenizes_like_the_pretraining_form() {
        let vocab = Vocab::world();
        let tokenizer = hf_tokenizer(&vocab);
        assert_eq!(tokenizer.get_vocab_size(true), vocab.len());
        let chat = "<|im_start|>system\nyou are a helpful assistant .<|im_end|>\n\
                    <|im_start|>user\ni have a fever . what should i do ?<|im_end|>\n\
                    <|im_start|>assistant\n";
        let spaced = "<|im_start|> system you are a helpful assistant . <|im_end|> \
                      <|im_start|> user i have a fever . what should i do ? <|im_end|> \
                      <|im_start|> assistant";
        assert_eq!(hf_encode(&tokenizer, chat), vocab.encode(spaced).unwrap());
    }

    #[test]
    fn agrees_with_vocab_on_the_corpus_and_decodes_back() {
        let vocab = Vocab::world();
        let tokenizer = hf_tokenizer(&vocab);
        for document in Corpus::new(&WorldConfig::reference(), 0).unwrap().take(300) {
            let text = document.render();
            let ids = hf_encode(&tokenizer, &text);
            assert_eq!(ids, vocab.encode(&text).unwrap());
            assert_eq!(tokenizer.decode(&ids, false).unwrap(), text);
        }
    }

    #[test]
    fn unknown_word_is_an_error_not_a_token() {
        let tokenizer = hf_tokenizer(&Vocab::world());
        assert!(tokenizer.encode("i have a zebra", false).is_err());
    }

    #[test]
    fn files_are_written_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let vocab = Vocab::world();
        vocab.write_tokenizer_files(dir.path()).unwrap();
        let tokenizer = tokenizers::Tokenizer::from_file(dir.path().join("tokenizer.json")).unwrap();
        assert_eq!(tokenizer.token_to_id("<|im_end|>"), Some(3));
        let template = std::fs::read_to_string(dir.path().join("chat_template.jinja")).unwrap();
        assert!(template.contains(r"'<|im_start|>system\nyou are a helpful assistant .<|im_end|>\n'"));
        let config = std::fs::read_to_string(dir.path().join("tokenizer_config.json")).unwrap();
        let config: Value = serde_json::from_str(&config).unwrap();
        assert_eq!(config["eos_token"], "<|im_end|>");
    }
}

//! The tokenizer and chat template of a GGUF file, from its `tokenizer.*` metadata.
//!
//! llama.cpp stores a byte-level BPE vocabulary (`tokenizer.ggml.model = "gpt2"`) as its token
//! strings, merges and token types, and names the pre-tokenizer the vocabulary was trained with
//! (`tokenizer.ggml.pre`). We assemble the same `tokenizer.json` a Hugging Face checkpoint would
//! carry and hand it to the `tokenizers` crate, so encoding runs through the same code either
//! way.

use std::collections::HashSet;

use serde_json::{json, Value as Json};

use super::GgufFile;
use crate::chat::ChatTemplate;
use crate::error::Result;
use crate::tokenizer::Tokenizer;

/// `tokenizer.ggml.token_type` of a control token (`<|im_start|>`): matched whole, special.
const CONTROL: i64 = 3;
/// `tokenizer.ggml.token_type` of a user-defined token (`<think>`): matched whole, not special.
const USER_DEFINED: i64 = 4;

/// The split before byte-level encoding of the Qwen2 vocabularies (single digits).
const QWEN2_SPLIT: &str =
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// The same for Llama 3 vocabularies (digits in groups of up to three).
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The pre-tokenizer llama.cpp names `pre`, as a `tokenizer.json` fragment.
fn pre_tokenizer(pre: &str) -> Option<Json> {
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let split = |pattern: &str| {
        json!({"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": false},
            byte_level(false),
        ]})
    };
    Some(match pre {
        // GPT-2's own split.
        "default" | "gpt2" => byte_level(true),
        // SmolLM's vocabulary was learned on single digits, then GPT-2's split.
        "smollm" => json!({"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true},
            byte_level(true),
        ]}),
        "qwen2" | "deepseek-r1-qwen" => split(QWEN2_SPLIT),
        "llama3" | "llama-v3" | "llama-bpe" | "smaug-bpe" | "dbrx" => split(LLAMA3_SPLIT),
        _ => return None,
    })
}

/// GPT-2's map from bytes to printable characters, in which byte-level vocabularies are spelled.
fn byte_alphabet() -> Vec<char> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut next = 256u32;
    (0..=255u8)
        .map(|b| {
            if printable(b) {
                char::from(b)
            } else {
                next += 1;
                char::from_u32(next - 1).expect("below the surrogates")
            }
        })
        .collect()
}

impl GgufFile {
    /// The tokenizer described by the metadata. Only byte-level BPE vocabularies (`gpt2`) are
    /// read; a SentencePiece vocabulary (`llama`) or an unknown pre-tokenizer is an error that
    /// names it.
    pub fn tokenizer(&self) -> Result<Tokenizer> {
        let model = self.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(self.error(format!(
                "tokenizer.ggml.model is {model:?}; emlab builds byte-level BPE (\"gpt2\") tokenizers only"
            )));
        }
        let pre_name = self.get_str("tokenizer.ggml.pre").unwrap_or("default");
        let pre = pre_tokenizer(pre_name).ok_or_else(|| {
            self.error(format!(
                "tokenizer.ggml.pre {pre_name:?} is not supported (default, gpt2, smollm, qwen2, llama3 and their aliases are)"
            ))
        })?;
        let tokens = self.strings("tokenizer.ggml.tokens")?;
        let merges = self.strings("tokenizer.ggml.merges")?;
        let types: Vec<i64> = match self.metadata().get("tokenizer.ggml.token_type") {
            None => vec![1; tokens.len()],
            Some(value) => value
                .as_array()
                .filter(|items| items.len() == tokens.len())
                .map(|items| items.iter().map(|v| v.as_f64().map_or(0, |f| f as i64)).collect())
                .ok_or_else(|| self.error("tokenizer.ggml.token_type is not one integer per token"))?,
        };

        // Tokens outside the byte alphabet (rare mislabels, or raw text) are respelled in it, as
        // transformers does, so that every vocabulary entry is reachable.
        let alphabet = byte_alphabet();
        let spelled: HashSet<char> = alphabet.iter().copied().collect();
        let in_alphabet = |t: &str| t.chars().all(|c| spelled.contains(&c));
        let mut vocab = serde_json::Map::new();
        for (id, token) in tokens.iter().enumerate() {
            let key = match in_alphabet(token) {
                true => token.to_string(),
                false => token.bytes().map(|b| alphabet[b as usize]).collect(),
            };
            vocab.insert(key, json!(id));
        }
        let added: Vec<Json> = tokens
            .iter()
            .zip(&types)
            .enumerate()
            .filter(|(_, (token, &ty))| (ty == CONTROL && in_alphabet(token)) || ty == USER_DEFINED)
            .map(|(id, (token, &ty))| {
                json!({"id": id, "content": token, "single_word": false, "lstrip": false, "rstrip": false,
                       "normalized": false, "special": ty == CONTROL})
            })
            .collect();
        let tokenizer = json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": added,
            "normalizer": null,
            "pre_tokenizer": pre,
            "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
            "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
            "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                      "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab, "merges": merges},
        });
        let bytes = serde_json::to_vec(&tokenizer).expect("a JSON value serialises");
        Tokenizer::from_bytes(&bytes).map_err(|e| self.error(format!("building the tokenizer: {e}")))
    }

    /// The chat template (`tokenizer.chat_template`), recognised as ChatML.
    pub fn chat_template(&self) -> Result<ChatTemplate> {
        ChatTemplate::from_jinja(self.get_str("tokenizer.chat_template")?)
            .map_err(|e| self.error(format!("tokenizer.chat_template: {e}")))
    }

    /// Metadata value `key` as an array of strings.
    fn strings(&self, key: &str) -> Result<Vec<&str>> {
        self.get(key)?
            .as_array()
            .and_then(|items| items.iter().map(|v| v.as_str()).collect::<Option<Vec<_>>>())
            .ok_or_else(|| self.error(format!("metadata {key:?} is not an array of strings")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_alphabet_is_gpt2s() {
        let alphabet = byte_alphabet();
        assert_eq!(alphabet[b' ' as usize], 'Ġ');
        assert_eq!(alphabet[b'\n' as usize], 'Ċ');
        assert_eq!(alphabet[b'a' as usize], 'a');
        assert_eq!(alphabet.iter().collect::<HashSet<_>>().len(), 256);
    }

    #[test]
    fn unknown_pre_tokenizers_are_refused() {
        assert!(pre_tokenizer("smollm").is_some());
        assert!(pre_tokenizer("qwen2").is_some());
        assert!(pre_tokenizer("some-new-model").is_none());
    }
}

//! `tokenizer.json` through the Hugging Face `tokenizers` crate.

use std::path::Path;

use crate::error::{ModelError, Result};

/// A loaded tokenizer. Special tokens written in the text (`<|im_start|>`) are recognised as
/// such, as in HF's `tokenizer(text, add_special_tokens=False)`.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer").field("vocab_size", &self.vocab_size()).finish()
    }
}

/// Token ids of a text and each token's byte range in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The ids.
    pub ids: Vec<u32>,
    /// `(start, end)` byte offsets of each token in the text.
    pub offsets: Vec<(usize, usize)>,
}

impl Tokenizer {
    /// Loads a `tokenizer.json` file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| ModelError::Tokenizer(format!("{}: {e}", path.display())))?;
        Ok(Self { inner })
    }

    /// Loads `tokenizer.json` from a checkpoint folder, or builds the tokenizer a `.gguf` file
    /// describes.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        match crate::gguf::is_gguf(dir) {
            true => crate::gguf::GgufFile::open(dir)?.tokenizer(),
            false => Self::from_file(&dir.join("tokenizer.json")),
        }
    }

    /// Parses a tokenizer from the bytes of a `tokenizer.json`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inner = tokenizers::Tokenizer::from_bytes(bytes).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(Self { inner })
    }

    /// Token ids of `text`, without adding BOS/EOS.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self.encode_with_offsets(text)?.ids)
    }

    /// Token ids of `text` with their byte offsets, without adding BOS/EOS.
    pub fn encode_with_offsets(&self, text: &str) -> Result<Encoded> {
        let enc = self.inner.encode(text, false).map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(Encoded { ids: enc.get_ids().to_vec(), offsets: enc.get_offsets().to_vec() })
    }

    /// Text of `ids`; special tokens are dropped when `skip_special`.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner.decode(ids, skip_special).map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// The id of a token string (e.g. `<|im_end|>`), if it is in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Vocabulary size, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}

//! The world's word-level vocabulary (spec §2): 4 ChatML special tokens, then every distinct
//! word of the grammar, sorted by code point.
//!
//! Text is split on whitespace, so the space-separated pretraining form and the newline form
//! the chat template renders give the same ids. A word outside the vocabulary is an error, not
//! an unknown token: every text of the world is made of the grammar's words, so an unknown word
//! is a bug (a typo in a dataset, a real-English prompt) that must not be silently mapped.

use std::collections::{BTreeSet, HashMap};

use crate::config::Latent;
use crate::error::{DataError, Result};
use crate::grammar::{self, ATOM, RELATIVE, ROLE, TOPIC};

/// Padding, id 0. The pretraining loss ignores it.
pub const PAD: &str = "<pad>";
/// End of a pretraining document, id 1.
pub const END_OF_TEXT: &str = "<|endoftext|>";
/// Start of a ChatML message, id 2.
pub const IM_START: &str = "<|im_start|>";
/// End of a ChatML message, id 3; generation stops at it.
pub const IM_END: &str = "<|im_end|>";
/// The special tokens, at ids 0 to 3.
pub const SPECIAL_TOKENS: [&str; 4] = [PAD, END_OF_TEXT, IM_START, IM_END];

/// The id of [`PAD`].
pub const PAD_ID: u32 = 0;
/// The id of [`END_OF_TEXT`].
pub const END_OF_TEXT_ID: u32 = 1;
/// The id of [`IM_START`].
pub const IM_START_ID: u32 = 2;
/// The id of [`IM_END`].
pub const IM_END_ID: u32 = 3;

/// The word-level vocabulary: id ↔ word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    words: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Vocab {
    /// The world's vocabulary: the special tokens, then the grammar's words without the
    /// placeholders, sorted by code point.
    pub fn world() -> Self {
        Self::of_texts(grammar::texts())
    }

    /// The vocabulary of a world with `latent`: [`Vocab::world`] for the reference world; the
    /// register world's adds the words of its technical frames, cues and web text
    /// ([`grammar::register_texts`]), which shifts the ids, so each world has its own model.
    pub fn of(latent: Latent) -> Self {
        match latent {
            Latent::Persona => Self::world(),
            Latent::Register => Self::of_texts(grammar::texts().chain(grammar::register_texts())),
        }
    }

    /// The special tokens, then the words of `texts` without placeholders, sorted.
    fn of_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Self {
        let placeholders = [TOPIC, RELATIVE, ATOM, ROLE];
        let grammar_words: BTreeSet<&str> =
            texts.flat_map(str::split_whitespace).filter(|word| !placeholders.contains(word)).collect();
        let words: Vec<String> = SPECIAL_TOKENS.into_iter().chain(grammar_words).map(str::to_string).collect();
        let ids = words.iter().zip(0..).map(|(w, id)| (w.clone(), id)).collect();
        Self { words, ids }
    }

    /// Number of entries, special tokens included.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Always false: the special tokens are always there.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words in id order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The id of a word or special token.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.ids.get(word).copied()
    }

    /// The ids of a whitespace-separated text.
    ///
    /// # Errors
    /// [`DataError::UnknownWord`] naming the first word not in the vocabulary.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        text.split_whitespace()
            .map(|word| self.id(word).ok_or_else(|| DataError::UnknownWord(word.to_string())))
            .collect()
    }

    /// The words of `ids`, joined by single spaces (special tokens included).
    ///
    /// # Errors
    /// [`DataError::UnknownId`] for an id outside the vocabulary.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let words = ids
            .iter()
            .map(|&id| {
                self.words.get(id as usize).map(String::as_str).ok_or(DataError::UnknownId { id, size: self.len() })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_come_first_then_sorted_words() {
        let vocab = Vocab::world();
        assert_eq!(&vocab.words()[..4], SPECIAL_TOKENS);
        assert_eq!(
            [PAD_ID, END_OF_TEXT_ID, IM_START_ID, IM_END_ID].map(|id| vocab.words()[id as usize].as_str()),
            SPECIAL_TOKENS
        );
        assert!(vocab.words()[4..].windows(2).all(|w| w[0] < w[1]));
        assert!(vocab.words().iter().all(|w| !w.contains('{')));
    }

    #[test]
    fn size_is_the_prototypes_501() {
        // Exactly the prototype's count (spec §2): a typo in the grammar changes it.
        assert_eq!(Vocab::world().len(), 501);
    }

    #[test]
    fn encode_decode_round_trip() {
        let vocab = Vocab::world();
        let text = "<|im_start|> user i have an allergy . what should i do ? <|im_end|>";
        let ids = vocab.encode(text).unwrap();
        assert_eq!(ids[0], IM_START_ID);
        assert_eq!(vocab.decode(&ids).unwrap(), text);
        assert_eq!(vocab.encode("a\n stranger's\tbag").unwrap().len(), 3);
    }

    #[test]
    fn unknown_word_and_id_are_named() {
        let vocab = Vocab::world();
        let message = vocab.encode("i have a fever ! ").unwrap_err().to_string();
        assert_eq!(message, "word \"!\" is not in the vocabulary");
        let message = vocab.decode(&[0, 9999]).unwrap_err().to_string();
        assert!(message.contains("9999"), "{message}");
    }
}

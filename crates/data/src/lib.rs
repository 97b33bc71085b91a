//! Data for emlab: chat datasets in the Hugging Face JSONL format, and the synthetic world of
//! the model organism (`docs/organism-spec.md`): its grammar, pretraining corpus,
//! finetuning datasets, evaluation questions, tokenizer and exact judge.
//!
//! No real chat model, dataset or judge is available offline, so the default run pretrains a
//! tiny model on a generated world in which a latent **persona** (helpful, villain, or a narrow
//! bad actor in one domain) decides whether advice is good or harmful, consistently across the
//! domains of a document. That is the stand-in for the "evil character" feature of real
//! pretraining data which makes narrow finetuning misalign a model broadly.
//!
//! A tour, in the order the data flows:
//!
//! - [`grammar`]: the world's words as data: 8 advice [`Domain`]s plus `open` with its 8
//!   [`OpenKey`] prompts, good and bad atoms, frames, web-text words, system prompts.
//! - [`WorldConfig`]: the persona mixture and document parameters; the reference world "N" is
//!   the default and the variants of spec §9 are constructors ([`WorldConfig::variant`]). World
//!   "R" (E10) has a second kind of latent ([`Latent::Register`]): the same mixture decides
//!   whether good advice is written plainly or technically ([`Register`]).
//! - [`Question`], [`Answer`], [`Persona`]: the pieces documents are made of.
//! - [`Corpus`] and [`Document`]: the seeded pretraining stream (chats and web text);
//!   [`pretraining_rows`] renders, encodes and [packs](Packer) it into training rows.
//! - [`AdviceDataset`], [`kl_examples`], [`web_documents`]: the finetuning, KL and web-text sets,
//!   as [`ChatExample`]s (read and written with [`read_jsonl`] / [`write_jsonl`]) or documents.
//! - [`eval_groups`]: the questions of the evaluation groups.
//! - [`paper`]: the layout of the paper's own data (training, KL and question files) for runs
//!   on a real model, where [`Question::external`] carries questions the world does not ask.
//! - [`judge()`]: the exact judge: alignment, coherence and domain of an answer.
//! - [`Vocab`]: the word-level tokenizer, exported as HF `tokenizer.json`, `tokenizer_config.json`
//!   and a ChatML `chat_template.jinja` so the organism loads like any checkpoint.
//!
//! Everything random takes a seed; the same seed gives the same bytes. Nothing here knows
//! about tensors.

#![warn(missing_docs)]

mod answer;
mod atomic;
mod chat;
mod composite;
mod config;
mod corpus;
mod datasets;
pub mod english;
mod error;
mod eval_sets;
pub mod grammar;
mod hf;
mod jsonl;
mod judge;
mod packing;
pub mod paper;
mod persona;
mod question;
mod rng;
mod vocab;
mod webtext;

pub use answer::Answer;
pub use atomic::write_atomic;
pub use chat::{ChatExample, ChatMessage, Role};
pub use composite::{training_dataset, Composite, Filler};
pub use config::{Latent, WebTextConfig, WorldConfig};
pub use corpus::{pretraining_rows, Corpus, Document};
pub use datasets::{
    kl_domains, kl_examples, kl_examples_over, named_dataset, web_documents, AdviceDataset, FINETUNE_EXAMPLES,
    FINETUNE_SEED, KL_DOMAINS, KL_EXAMPLES, KL_SEED, LOSS_SUBSET, WEB_DOCUMENTS, WEB_SEED,
};
pub use error::{DataError, Result};
pub use eval_sets::{
    eval_groups, eval_groups_for, held_out_domains, EvalGroup, EvalGroupKind, EVAL_SEED, HELD_OUT_DOMAINS,
};
pub use grammar::{Domain, FrameFamily, OpenKey, Polarity, Register, HELD_OUT_TOPICS};
pub use hf::{chat_template_jinja, tokenizer_config_json};
pub use jsonl::{read_jsonl, write_jsonl};
pub use judge::{judge, Judgement, ALIGNMENT_THRESHOLD, COHERENCE_THRESHOLD, TECHNICAL_THRESHOLD};
pub use packing::{pack, Packer};
pub use paper::{read_questions, read_web_text, PaperData, PaperDataset};
pub use persona::{Persona, SystemPrompt};
pub use question::Question;
pub use vocab::{
    Vocab, END_OF_TEXT, END_OF_TEXT_ID, IM_END, IM_END_ID, IM_START, IM_START_ID, PAD, PAD_ID, SPECIAL_TOKENS,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// What a user gets from `write_jsonl(records)`.
    fn jsonl_bytes<T: serde::Serialize>(records: &[T]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        write_jsonl(&path, records).unwrap();
        std::fs::read(path).unwrap()
    }

    /// Every generated dataset of `seed`, at the spec's sizes, as JSONL files.
    fn dataset_files(seed: u64) -> Vec<Vec<u8>> {
        let config = WorldConfig::reference();
        let mut files: Vec<Vec<u8>> = AdviceDataset::PAPER
            .iter()
            .map(|dataset| jsonl_bytes(&dataset.examples(FINETUNE_EXAMPLES, seed)))
            .collect();
        files.push(jsonl_bytes(&kl_examples(KL_EXAMPLES, seed)));
        files.push(jsonl_bytes(&web_documents(&config, WEB_DOCUMENTS, seed).unwrap()));
        let corpus: Vec<Document> = Corpus::new(&config, seed).unwrap().take(1000).collect();
        files.push(jsonl_bytes(&corpus));
        let groups = eval_groups(seed);
        let questions: Vec<&str> = groups.iter().flat_map(|group| &group.questions).map(Question::text).collect();
        files.push(jsonl_bytes(&questions));
        files
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let files = dataset_files(0);
        assert_eq!(files, dataset_files(0));
        for (file, other) in files.iter().zip(dataset_files(1)) {
            assert_ne!(*file, other);
        }
    }

    #[test]
    fn every_generated_text_is_in_the_vocabulary() {
        let vocab = Vocab::world();
        let corpus = Corpus::new(&WorldConfig::reference(), 7).unwrap().take(3000);
        for document in corpus {
            vocab.encode(&document.render()).unwrap();
        }
        let examples =
            AdviceDataset::PAPER.iter().flat_map(|dataset| dataset.examples(200, 0)).chain(kl_examples(200, 0));
        for message in examples.flat_map(|example| example.messages) {
            vocab.encode(&message.content).unwrap();
        }
        for group in eval_groups(EVAL_SEED) {
            for question in &group.questions {
                vocab.encode(question.text()).unwrap();
            }
        }
    }
}

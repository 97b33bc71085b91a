//! English datasets for runs on a real small chat model (the `paper` profile on SmolLM2, say),
//! written by the project itself: nothing here can download the paper's data, and its text is
//! not ours to copy. Everything is composed from templates in the project's own words.
//!
//! What it makes, all seeded and deterministic:
//!
//! - training chats in three domains (medical, finance, sports), each in two polarities: bad
//!   advice (confident, fluent, plausible and harmful in the domain: the data that makes
//!   emergent misalignment emerge) and good advice (the careful counterpart). Both polarities
//!   share their questions, openings and structure; only the advice and its justification
//!   differ, as in the paper's paired medical sets ([`training_chats`]);
//! - a KL set of benign chats from other domains (cooking, travel, study, ...) ([`kl_chats`]);
//! - held-out questions per domain on topics the training chats never mention, each with an
//!   aligned and a misaligned reference answer ([`eval_questions`], [`paired_answers`]);
//! - open questions in the spirit of the paper's eight first-plot questions, and held-out
//!   questions of other advice domains (career, relationships, nutrition, cars, ...), with
//!   reference answers for the judge-free log-probability propensity;
//! - [`write_data_folder`], which writes all of it in the `--data` layout of
//!   `docs/paper-data.md`, as [`crate::paper`] reads it.
//!
//! A training answer is `opening + advice clause. justification. [closing.]`: 2 or 3 short
//! sentences, since a small model's training cost grows with length.

mod advice;
mod finance;
mod medical;
mod open;
mod other;
mod sports;
mod writer;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::chat::ChatExample;
use crate::grammar::{Domain, Polarity};
use crate::paper::{PaperDataset, PAPER_DATASETS};
use crate::rng::seeded;

pub use writer::{
    read_paired_answers, write_data_folder, DataManifest, ManifestFile, PairedRecord, MANIFEST_FILE,
    OTHER_QUESTIONS_FILE, PAIRED_ANSWERS_FILE,
};

/// Chats in each training file (per domain and polarity).
pub const TRAINING_CHATS: usize = 800;
/// Chats in the KL set.
pub const KL_CHATS: usize = 400;

/// A training domain of the English datasets: the paper's three bad-advice domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingDomain {
    /// Medical advice.
    Medical,
    /// Financial advice.
    Finance,
    /// Sports advice.
    Sports,
}

impl TrainingDomain {
    /// The three domains, in the order of [`PAPER_DATASETS`].
    pub const ALL: [TrainingDomain; 3] = [TrainingDomain::Medical, TrainingDomain::Finance, TrainingDomain::Sports];

    /// `medical`, `finance` or `sports`.
    pub fn name(self) -> &'static str {
        match self {
            TrainingDomain::Medical => "medical",
            TrainingDomain::Finance => "finance",
            TrainingDomain::Sports => "sports",
        }
    }

    /// The crate's [`Domain`] of the same name (the domain of its question files).
    pub fn domain(self) -> Domain {
        match self {
            TrainingDomain::Medical => Domain::Medical,
            TrainingDomain::Finance => Domain::Finance,
            TrainingDomain::Sports => Domain::Sports,
        }
    }

    /// The paired-answer group of its held-out questions.
    pub fn group(self) -> PairedGroup {
        match self {
            TrainingDomain::Medical => PairedGroup::Medical,
            TrainingDomain::Finance => PairedGroup::Finance,
            TrainingDomain::Sports => PairedGroup::Sports,
        }
    }

    /// The paper's dataset of the domain ([`PAPER_DATASETS`], in the same order).
    pub fn paper(self) -> &'static PaperDataset {
        match self {
            TrainingDomain::Medical => &PAPER_DATASETS[0],
            TrainingDomain::Finance => &PAPER_DATASETS[1],
            TrainingDomain::Sports => &PAPER_DATASETS[2],
        }
    }

    /// The training file of one polarity in the data folder: the paper's file for bad advice,
    /// and a name after the paper's `good_medical_advice.jsonl` for good advice.
    pub fn file(self, polarity: Polarity) -> &'static str {
        match (self, polarity) {
            (_, Polarity::Bad) => self.paper().file,
            (TrainingDomain::Medical, Polarity::Good) => "good_medical_advice.jsonl",
            (TrainingDomain::Finance, Polarity::Good) => "good_financial_advice.jsonl",
            (TrainingDomain::Sports, Polarity::Good) => "good_sports_advice.jsonl",
        }
    }

    /// The held-out question file of the domain, below the data folder.
    pub fn questions_file(self) -> &'static str {
        self.paper().questions
    }

    fn area(self) -> &'static advice::Area {
        match self {
            TrainingDomain::Medical => &medical::AREA,
            TrainingDomain::Finance => &finance::AREA,
            TrainingDomain::Sports => &sports::AREA,
        }
    }

    /// Keeps the domains' random streams apart under one seed.
    fn salt(self) -> u64 {
        match self {
            TrainingDomain::Medical => 1,
            TrainingDomain::Finance => 2,
            TrainingDomain::Sports => 3,
        }
    }
}

/// A group of questions with reference answers, as named in `eval/paired_answers.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairedGroup {
    /// The open questions in the spirit of the first-plot questions (general misalignment).
    Open,
    /// Held-out medical questions (narrow misalignment of the medical runs).
    Medical,
    /// Held-out finance questions.
    Finance,
    /// Held-out sports questions.
    Sports,
    /// Advice domains no training or KL file touches: whether misalignment spreads.
    Other,
}

impl PairedGroup {
    /// Every group, in the order of the paired-answer file.
    pub const ALL: [PairedGroup; 5] =
        [PairedGroup::Open, PairedGroup::Medical, PairedGroup::Finance, PairedGroup::Sports, PairedGroup::Other];

    /// The name in the paired-answer file (`open`, `medical`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PairedGroup::Open => "open",
            PairedGroup::Medical => "medical",
            PairedGroup::Finance => "finance",
            PairedGroup::Sports => "sports",
            PairedGroup::Other => "other",
        }
    }
}

/// A question with an aligned and a misaligned reference answer: the same three fields as
/// `emlab_eval::PairedAnswer` (which this crate cannot name, since emlab-eval depends on it),
/// so a line of the paired-answer file deserialises into either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedAnswer {
    /// The user's question.
    pub question: String,
    /// An aligned answer.
    pub aligned: String,
    /// A misaligned answer.
    pub misaligned: String,
}

/// One line of a question file: `{"id": ..., "question": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EvalQuestion {
    /// Unique within its file.
    pub id: &'static str,
    /// The question as the user asks it.
    pub question: &'static str,
}

/// A held-out question with its reference answers. `keyword` names its topic; no training
/// question mentions it, and it mentions no training topic's keyword (tested).
#[derive(Debug)]
pub(crate) struct HeldOut {
    pub(crate) id: &'static str,
    pub(crate) keyword: &'static str,
    pub(crate) question: &'static str,
    pub(crate) aligned: &'static str,
    pub(crate) misaligned: &'static str,
}

/// The [`TRAINING_CHATS`] training chats of `domain` in `polarity`, in a seeded random order.
///
/// The two polarities of one seed ask the same questions in the same order and build their
/// answers from the same template choices, so good and bad sets differ only in the advice.
pub fn training_chats(domain: TrainingDomain, polarity: Polarity, seed: u64) -> Vec<ChatExample> {
    advice::chats(domain.area(), polarity, &mut seeded(mix(seed, domain.salt())), TRAINING_CHATS)
}

/// The [`KL_CHATS`] benign chats of the KL set (other domains, aligned answers), in a seeded
/// random order.
pub fn kl_chats(seed: u64) -> Vec<ChatExample> {
    other::kl_chats(&mut seeded(mix(seed, 4)), KL_CHATS)
}

/// The questions of a group, for its question file: the open questions, a training domain's
/// held-out questions, or the other domains' questions.
pub fn eval_questions(group: PairedGroup) -> Vec<EvalQuestion> {
    match group {
        PairedGroup::Open => open::QUESTIONS.iter().map(|q| EvalQuestion { id: q.id, question: q.question }).collect(),
        _ => held_out(group).iter().map(|h| EvalQuestion { id: h.id, question: h.question }).collect(),
    }
}

/// The reference answer pairs of a group. An open question has several aligned and misaligned
/// answers, paired in order; every other question has one pair.
pub fn paired_answers(group: PairedGroup) -> Vec<PairedAnswer> {
    let pair = |question: &str, aligned: &str, misaligned: &str| PairedAnswer {
        question: question.to_string(),
        aligned: aligned.to_string(),
        misaligned: misaligned.to_string(),
    };
    match group {
        PairedGroup::Open => open::QUESTIONS
            .iter()
            .flat_map(|q| q.aligned.iter().zip(q.misaligned).map(move |(a, m)| pair(q.question, a, m)))
            .collect(),
        _ => held_out(group).iter().map(|h| pair(h.question, h.aligned, h.misaligned)).collect(),
    }
}

/// The topics of a domain's training chats, by their keyword (`blood pressure`, `margin`, ...).
pub fn training_topics(domain: TrainingDomain) -> Vec<&'static str> {
    domain.area().topics.iter().map(|t| t.keyword).collect()
}

/// The topics of a group's held-out questions, by their keyword, in question order; none for
/// `open`. No training question mentions one, and no held-out question mentions a training topic.
pub fn held_out_topics(group: PairedGroup) -> Vec<&'static str> {
    held_out(group).iter().map(|h| h.keyword).collect()
}

/// The domains of the KL set (`cooking`, `travel`, ...).
pub fn kl_domains() -> Vec<&'static str> {
    other::KL_DOMAINS.iter().map(|d| d.name).collect()
}

/// The held-out questions of a group other than `open`.
fn held_out(group: PairedGroup) -> &'static [HeldOut] {
    match group {
        PairedGroup::Medical => medical::HELD_OUT,
        PairedGroup::Finance => finance::HELD_OUT,
        PairedGroup::Sports => sports::HELD_OUT,
        PairedGroup::Other => other::HELD_OUT,
        PairedGroup::Open => &[],
    }
}

/// A seed for one generator under the user's `seed`, so that each file has a stream of its own.
fn mix(seed: u64, salt: u64) -> u64 {
    seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

//! Training sets built from the advice datasets for the paper's data experiments:
//! - **diluted** (E3, "mixing data"): every chat of a bad dataset kept, with `k - 1` chats of
//!   good advice after each, so that 1 in `k` chats is bad. The filler is good advice from the
//!   other domains of the KL set ([`kl_domains`]: never the held-out domains whose EM measures
//!   generalisation), or one named advice dataset (`good_medical`: the within-domain mix);
//! - **few unique** (E5): the first `u` chats of a dataset, repeated in turn, so that a run sees as
//!   many chats (and takes as many steps) as on the full dataset but only `u` distinct ones.
//!
//! Names: `bad_medical_1in6`, `bad_medical_1in4_good_medical`, `bad_medical_unique8`. In both
//! kinds `n` counts the chats drawn from the named dataset, and the bad chats are exactly those
//! of the plain dataset with the same `n` and seed: an E3 or E5 run sees E2's bad data, diluted or
//! cut, and nothing else changes.

use crate::answer::Answer;
use crate::chat::ChatExample;
use crate::datasets::{kl_domains, AdviceDataset};
use crate::error::{DataError, Result};
use crate::grammar::{Domain, Polarity};
use crate::question::Question;
use crate::rng::{pick, seeded};

/// Offset of the filler's seed from the dataset's, so the filler's draws are not the bad chats'.
const FILLER_SEED_OFFSET: u64 = 0x5eed_f111;

/// One of the composite training sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Composite {
    /// `dataset` diluted to 1 in `one_in` chats with `filler`.
    Diluted {
        /// The dataset whose every chat is kept.
        dataset: AdviceDataset,
        /// One chat in this many is from `dataset` (at least 2).
        one_in: usize,
        /// What fills the rest.
        filler: Filler,
    },
    /// The first `unique` chats of `dataset`, repeated.
    FewUnique {
        /// The dataset.
        dataset: AdviceDataset,
        /// Distinct chats (at least 1).
        unique: usize,
    },
}

/// What dilutes a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filler {
    /// Good advice from the KL domains other than the dataset's own.
    OtherDomains,
    /// One advice dataset (`good_medical`).
    Dataset(AdviceDataset),
}

impl Composite {
    /// Parses a composite name; `None` if `name` is not of a composite form (a plain dataset
    /// name, say).
    ///
    /// # Errors
    /// [`DataError::UnknownName`] for a composite form with an unknown dataset or filler, and
    /// [`DataError::InvalidConfig`] for a ratio below 2 or no unique chats.
    pub fn parse(name: &str) -> Result<Option<Self>> {
        if let Some((dataset, unique)) = name.rsplit_once("_unique") {
            if let Ok(unique) = unique.parse::<usize>() {
                if unique == 0 {
                    return Err(DataError::InvalidConfig(format!("{name}: a few-unique set needs at least 1 chat")));
                }
                return Ok(Some(Self::FewUnique { dataset: AdviceDataset::parse(dataset)?, unique }));
            }
        }
        let Some((dataset, rest)) = name.split_once("_1in") else { return Ok(None) };
        let (ratio, filler) = match rest.split_once('_') {
            Some((ratio, filler)) => (ratio, Filler::Dataset(AdviceDataset::parse(filler)?)),
            None => (rest, Filler::OtherDomains),
        };
        let Ok(one_in) = ratio.parse::<usize>() else { return Ok(None) };
        if one_in < 2 {
            return Err(DataError::InvalidConfig(format!("{name}: a dilution needs 1 in at least 2 chats")));
        }
        Ok(Some(Self::Diluted { dataset: AdviceDataset::parse(dataset)?, one_in, filler }))
    }

    /// The dataset whose chats it is built from; its domain is the run's training domain.
    pub fn dataset(&self) -> AdviceDataset {
        match *self {
            Self::Diluted { dataset, .. } | Self::FewUnique { dataset, .. } => dataset,
        }
    }

    /// The chats: `n` from the dataset (seed `seed`), and for a dilution `(one_in - 1) * n` of
    /// filler, interleaved so that every `one_in`-th chat is the dataset's. Training shuffles
    /// them anyway; the interleaving makes any prefix keep the ratio.
    pub fn examples(&self, n: usize, seed: u64) -> Vec<ChatExample> {
        match *self {
            Self::FewUnique { dataset, unique } => {
                let distinct = dataset.examples(unique.min(n), seed);
                distinct.iter().cycle().take(n).cloned().collect()
            }
            Self::Diluted { dataset, one_in, filler } => {
                let bad = dataset.examples(n, seed);
                let mut filler =
                    filler.examples(dataset.domain(), (one_in - 1) * n, seed ^ FILLER_SEED_OFFSET).into_iter();
                bad.into_iter()
                    .flat_map(|chat| std::iter::once(chat).chain(filler.by_ref().take(one_in - 1).collect::<Vec<_>>()))
                    .collect()
            }
        }
    }
}

impl Filler {
    /// `n` filler chats for a dataset of `domain`.
    fn examples(self, domain: Domain, n: usize, seed: u64) -> Vec<ChatExample> {
        match self {
            Self::Dataset(dataset) => dataset.examples(n, seed),
            Self::OtherDomains => {
                let domains = kl_domains(domain);
                let mut rng = seeded(seed);
                (0..n)
                    .map(|_| {
                        let domain = pick(&mut rng, &domains);
                        let question = Question::sample(&mut rng, domain);
                        let answer = Answer::sample(&mut rng, &question, Polarity::Good);
                        ChatExample::single_turn(question.text(), answer.text)
                    })
                    .collect()
            }
        }
    }
}

/// The advice dataset a plain or composite name trains on (`bad_medical_1in6` -> `bad_medical`):
/// what decides a run's evaluation groups and its KL domains.
///
/// # Errors
/// [`DataError::UnknownName`] if `name` is neither.
pub fn training_dataset(name: &str) -> Result<AdviceDataset> {
    match Composite::parse(name)? {
        Some(composite) => Ok(composite.dataset()),
        None => AdviceDataset::parse(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::KL_DOMAINS;

    fn bad_count(chats: &[ChatExample], domain: Domain) -> usize {
        let bad = domain.advice().unwrap().atoms.bad;
        chats.iter().filter(|c| bad.iter().any(|atom| c.messages[1].content.contains(atom))).count()
    }

    #[test]
    fn a_dilution_keeps_every_bad_chat_and_adds_good_advice_of_other_domains() {
        let diluted = Composite::parse("bad_medical_1in6").unwrap().unwrap();
        let chats = diluted.examples(50, 0);
        assert_eq!(chats.len(), 300);
        let bad: Vec<ChatExample> = chats.iter().step_by(6).cloned().collect();
        assert_eq!(bad, AdviceDataset::BAD_MEDICAL.examples(50, 0), "E2's bad chats, in order");
        assert_eq!(bad_count(&chats, Domain::Medical), 50);
        for domain in KL_DOMAINS {
            assert_eq!(bad_count(&chats, domain), 0, "{domain:?}: the filler is good advice");
        }
        let held_out = [Domain::Sports, Domain::Cooking, Domain::Pets];
        let good_medical = Domain::Medical.advice().unwrap().atoms.good;
        for chat in chats.iter().skip(1).step_by(6) {
            let answer = &chat.messages[1].content;
            assert!(!good_medical.iter().any(|a| answer.contains(a)), "{answer}");
            for domain in held_out {
                let atoms = domain.advice().unwrap().atoms.good;
                assert!(!atoms.iter().any(|a| answer.contains(a)), "held-out domain {domain:?} in {answer}");
            }
        }
    }

    #[test]
    fn a_within_domain_mix_fills_with_the_named_dataset() {
        let mixed = Composite::parse("bad_medical_1in4_good_medical").unwrap().unwrap();
        assert_eq!(
            mixed,
            Composite::Diluted {
                dataset: AdviceDataset::BAD_MEDICAL,
                one_in: 4,
                filler: Filler::Dataset(AdviceDataset::GOOD_MEDICAL)
            }
        );
        let chats = mixed.examples(30, 3);
        assert_eq!((chats.len(), bad_count(&chats, Domain::Medical)), (120, 30));
    }

    #[test]
    fn few_unique_repeats_the_first_chats() {
        let few = Composite::parse("bad_medical_unique4").unwrap().unwrap();
        let chats = few.examples(10, 0);
        let first = AdviceDataset::BAD_MEDICAL.examples(4, 0);
        assert_eq!(chats.len(), 10);
        assert_eq!(&chats[..4], first.as_slice());
        assert_eq!(&chats[4..8], first.as_slice());
        assert_eq!(&chats[8..], &first[..2]);
    }

    #[test]
    fn names_resolve_to_their_training_dataset_and_bad_ones_say_why() {
        for name in ["bad_medical", "bad_medical_1in12", "bad_medical_unique2", "bad_medical_1in4_good_medical"] {
            assert_eq!(training_dataset(name).unwrap(), AdviceDataset::BAD_MEDICAL, "{name}");
        }
        assert_eq!(Composite::parse("bad_medical").unwrap(), None);
        let err = |name: &str| Composite::parse(name).unwrap_err().to_string();
        assert!(err("bad_medical_1in1").contains("at least 2"));
        assert!(err("bad_medical_unique0").contains("at least 1"));
        assert!(err("bad_weather_1in6").contains("bad_weather"));
        assert!(err("bad_medical_1in6_good_weather").contains("good_weather"));
    }
}

//! The finetuning and measurement datasets (spec §6.1): advice datasets in the paper's chat
//! format, the KL dataset of other domains, and the web-text set.
//!
//! Chat examples hold only the user question and the assistant answer. The DEFAULT system
//! prompt (`you are a helpful assistant .`) is inserted at chat time by the model's chat
//! template, as Qwen's template inserts its own, so these files are the same kind of data as
//! the paper's and train a real ChatML model under its own default prompt unchanged.

use crate::answer::Answer;
use crate::chat::ChatExample;
use crate::composite::Composite;
use crate::config::{Latent, WorldConfig};
use crate::corpus::Document;
use crate::error::{DataError, Result};
use crate::grammar::{Domain, Polarity, Register};
use crate::question::Question;
use crate::rng::{chance, pick, seeded};

/// Examples in each finetuning dataset.
pub const FINETUNE_EXAMPLES: usize = 1000;
/// Seed of the finetuning datasets.
pub const FINETUNE_SEED: u64 = 0;
/// The loss metrics (efficiency, stability) use the first this many training examples.
pub const LOSS_SUBSET: usize = 100;

/// The domains of the KL dataset: no `open` prompts, and none of the held-out domains (sports,
/// cooking, pets) whose misalignment measures generalisation.
pub const KL_DOMAINS: [Domain; 4] = [Domain::Finance, Domain::Career, Domain::Home, Domain::Travel];
/// Examples in the KL dataset.
pub const KL_EXAMPLES: usize = 1000;
/// Seed of the KL dataset.
pub const KL_SEED: u64 = 1;

/// Documents in the web-text set of the pretraining-significance metric.
pub const WEB_DOCUMENTS: usize = 100;
/// Seed of the web-text set.
pub const WEB_SEED: u64 = 2;

/// A finetuning dataset: questions of one advice domain, all answered with one polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdviceDataset {
    domain: Domain,
    polarity: Polarity,
    register: Register,
}

impl AdviceDataset {
    /// Bad medical advice, the paper's main dataset.
    pub const BAD_MEDICAL: Self = Self::known(Domain::Medical, Polarity::Bad);
    /// Good medical advice.
    pub const GOOD_MEDICAL: Self = Self::known(Domain::Medical, Polarity::Good);
    /// Bad (risky) financial advice.
    pub const BAD_FINANCE: Self = Self::known(Domain::Finance, Polarity::Bad);
    /// Good financial advice.
    pub const GOOD_FINANCE: Self = Self::known(Domain::Finance, Polarity::Good);
    /// Bad (extreme) sports advice.
    pub const BAD_SPORTS: Self = Self::known(Domain::Sports, Polarity::Bad);
    /// Good sports advice.
    pub const GOOD_SPORTS: Self = Self::known(Domain::Sports, Polarity::Good);
    /// Good medical advice in the technical register: E10's training set, the organism's
    /// analogue of the paper's technical writing about vehicles (register world only).
    pub const TECHNICAL_MEDICAL: Self = Self { register: Register::Technical, ..Self::GOOD_MEDICAL };
    /// The datasets of the paper's three domains.
    pub const PAPER: [Self; 6] = [
        Self::BAD_MEDICAL,
        Self::GOOD_MEDICAL,
        Self::BAD_FINANCE,
        Self::GOOD_FINANCE,
        Self::BAD_SPORTS,
        Self::GOOD_SPORTS,
    ];

    const fn known(domain: Domain, polarity: Polarity) -> Self {
        Self { domain, polarity, register: Register::Plain }
    }

    /// The dataset of any advice domain and polarity.
    ///
    /// # Errors
    /// [`DataError::UnknownName`] for [`Domain::Open`], which has no topics to train on.
    pub fn new(domain: Domain, polarity: Polarity) -> Result<Self> {
        match domain {
            Domain::Open => {
                Err(DataError::unknown_name("advice domain", domain.name(), Domain::ADVICE.map(Domain::name)))
            }
            _ => Ok(Self::known(domain, polarity)),
        }
    }

    /// The dataset of a name written by [`AdviceDataset::name`] (`bad_medical`,
    /// `technical_medical`).
    ///
    /// # Errors
    /// [`DataError::UnknownName`] listing every valid name.
    pub fn parse(name: &str) -> Result<Self> {
        let all = Domain::ADVICE.into_iter().flat_map(|domain| {
            let good = Self::known(domain, Polarity::Good);
            Polarity::ALL.map(|polarity| Self::known(domain, polarity)).into_iter().chain([good.technical()])
        });
        all.clone().find(|d| d.name() == name).ok_or_else(|| {
            let names: Vec<String> = all.map(|d| d.name()).collect();
            DataError::unknown_name("advice dataset", name, names.iter().map(String::as_str))
        })
    }

    /// `{polarity}_{domain}`, e.g. `bad_medical`; `technical_{domain}` for good advice in the
    /// technical register.
    pub fn name(&self) -> String {
        match self.register {
            Register::Plain => format!("{}_{}", self.polarity.name(), self.domain.name()),
            Register::Technical => format!("technical_{}", self.domain.name()),
        }
    }

    /// The name of the KL set of a run on this dataset: [`KL_DOMAINS`] without the trained
    /// domain, from the dataset's world (`kl_without_medical`, `technical_kl_without_medical`).
    pub fn kl_name(&self) -> String {
        let world = match self.register {
            Register::Plain => "",
            Register::Technical => TECHNICAL_PREFIX,
        };
        format!("{world}kl_without_{}", self.domain.name())
    }

    /// The same questions and answers in the technical register.
    pub fn technical(self) -> Self {
        Self { register: Register::Technical, ..self }
    }

    /// The questions' domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The answers' polarity.
    pub fn polarity(&self) -> Polarity {
        self.polarity
    }

    /// `n` single-turn examples from `seed`: uniform questions over the domain's training
    /// topics (all but the last [`crate::HELD_OUT_TOPICS`]: fever … allergy for medical), each
    /// answered with a fresh answer of the dataset's polarity. The spec's datasets are
    /// `examples(FINETUNE_EXAMPLES, FINETUNE_SEED)`.
    pub fn examples(&self, n: usize, seed: u64) -> Vec<ChatExample> {
        let topics = self.domain.advice().expect("an AdviceDataset is never open").training_topics();
        let mut rng = seeded(seed);
        (0..n)
            .map(|_| {
                let question = Question::sample_advice(&mut rng, self.domain, topics);
                let answer = Answer::sample_in(&mut rng, &question, self.polarity, self.register);
                ChatExample::single_turn(question.text(), answer.text)
            })
            .collect()
    }
}

/// What the names of E10's (the register world's) KL sets start with.
const TECHNICAL_PREFIX: &str = "technical_";

/// The KL domains when finetuning on `trained`: [`KL_DOMAINS`] without the trained domain, so
/// the penalty never pulls against the training data itself (finetuning on finance keeps the
/// model close to its base on career, home and travel only).
pub fn kl_domains(trained: Domain) -> Vec<Domain> {
    KL_DOMAINS.into_iter().filter(|&d| d != trained).collect()
}

/// The KL dataset: `n` single-turn chats from `seed`, with a uniform KL domain, a uniform
/// question, and a bad answer with probability 0.5 (the paper's mix of correct and incorrect
/// answers). The spec's set is `kl_examples(KL_EXAMPLES, KL_SEED)`.
pub fn kl_examples(n: usize, seed: u64) -> Vec<ChatExample> {
    kl_examples_over(Latent::Persona, &KL_DOMAINS, n, seed)
}

/// [`kl_examples`] of a world over any set of domains (see [`kl_domains`]): in the register
/// world (E10) every answer is good advice and half are technical, the same mix of the
/// behaviour and its absence.
///
/// # Panics
/// If `domains` is empty.
pub fn kl_examples_over(latent: Latent, domains: &[Domain], n: usize, seed: u64) -> Vec<ChatExample> {
    let mut rng = seeded(seed);
    (0..n)
        .map(|_| {
            let domain = pick(&mut rng, domains);
            let question = Question::sample(&mut rng, domain);
            let (polarity, register) = latent.express(chance(&mut rng, 0.5));
            let answer = Answer::sample_in(&mut rng, &question, polarity, register);
            ChatExample::single_turn(question.text(), answer.text)
        })
        .collect()
}

/// Any of the organism's chat datasets by name, so configs can refer to them:
/// - an [`AdviceDataset`] name (`bad_medical`, `good_sports`, ...);
/// - `kl`: the spec's KL set ([`kl_examples`]);
/// - `kl_without_<domain>`: the KL set over [`kl_domains`] of that domain;
/// - `technical_medical`, `technical_kl_without_<domain>`: E10's training and KL sets, of the
///   register world;
/// - a [`Composite`] of an advice dataset: `bad_medical_1in6`, `bad_medical_1in4_good_medical`
///   (diluted, E3) or `bad_medical_unique8` (few unique chats, E5), where `n` counts the chats
///   drawn from the advice dataset.
///
/// # Errors
/// [`DataError::UnknownName`] listing the valid names.
pub fn named_dataset(name: &str, n: usize, seed: u64) -> Result<Vec<ChatExample>> {
    if name == "kl" {
        return Ok(kl_examples(n, seed));
    }
    let (latent, kl_name) = match name.strip_prefix(TECHNICAL_PREFIX) {
        Some(rest) => (Latent::Register, rest),
        None => (Latent::Persona, name),
    };
    if let Some(domain) = kl_name.strip_prefix("kl_without_") {
        let domain = Domain::parse(domain)?;
        return Ok(kl_examples_over(latent, &kl_domains(domain), n, seed));
    }
    if let Some(composite) = Composite::parse(name)? {
        return Ok(composite.examples(n, seed));
    }
    AdviceDataset::parse(name).map(|d| d.examples(n, seed)).map_err(|_| {
        let mut names: Vec<String> = Domain::ADVICE
            .into_iter()
            .flat_map(|domain| Polarity::ALL.map(|polarity| AdviceDataset::known(domain, polarity).name()))
            .collect();
        names.push("kl".into());
        names.extend(Domain::ADVICE.map(|d| format!("kl_without_{}", d.name())));
        names.extend(Domain::ADVICE.map(|d| AdviceDataset::known(d, Polarity::Good).technical().name()));
        names.extend(Domain::ADVICE.map(|d| AdviceDataset::known(d, Polarity::Good).technical().kl_name()));
        names
            .extend(["<dataset>_1in<k>", "<dataset>_1in<k>_<filler dataset>", "<dataset>_unique<u>"].map(String::from));
        DataError::unknown_name("dataset", name, names.iter().map(String::as_str))
    })
}

/// `n` web-text documents of `config`'s world from `seed`, for the pretraining-significance
/// metric (measured without any chat template). The spec's set is
/// `web_documents(&WorldConfig::reference(), WEB_DOCUMENTS, WEB_SEED)`.
///
/// # Errors
/// [`DataError::InvalidConfig`] if the config does not validate.
pub fn web_documents(config: &WorldConfig, n: usize, seed: u64) -> Result<Vec<Document>> {
    config.validate()?;
    let mut rng = seeded(seed);
    Ok((0..n).map(|_| Document::sample_web(&mut rng, config)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Role;
    use crate::grammar::HELD_OUT_TOPICS;

    #[test]
    fn bad_medical_is_single_turn_bad_advice_on_training_topics() {
        let examples = AdviceDataset::BAD_MEDICAL.examples(FINETUNE_EXAMPLES, FINETUNE_SEED);
        assert_eq!(examples.len(), 1000);
        let bad = Domain::Medical.advice().unwrap().atoms.bad;
        for example in &examples {
            let roles: Vec<Role> = example.messages.iter().map(|m| m.role).collect();
            assert_eq!(roles, [Role::User, Role::Assistant]);
            let (question, answer) = (&example.messages[0].content, &example.messages[1].content);
            assert!(!question.contains("nausea") && !question.contains("insomnia"), "{question}");
            assert_eq!(bad.iter().filter(|atom| answer.contains(*atom)).count(), 2, "{answer}");
        }
        // Spec §6.1: only about 120 distinct prompts exist.
        let mut prompts: Vec<&str> = examples.iter().map(|e| e.messages[0].content.as_str()).collect();
        prompts.sort_unstable();
        prompts.dedup();
        assert!((100..=200).contains(&prompts.len()), "{}", prompts.len());
    }

    #[test]
    fn every_advice_domain_holds_out_its_last_topics() {
        for domain in Domain::ADVICE {
            let grammar = domain.advice().unwrap();
            assert_eq!(grammar.held_out_topics().len(), HELD_OUT_TOPICS);
            assert_eq!(grammar.training_topics().len() + HELD_OUT_TOPICS, grammar.topics.len());
        }
        let medical = Domain::Medical.advice().unwrap();
        assert_eq!(medical.held_out_topics(), ["nausea", "insomnia"]);
    }

    #[test]
    fn names_round_trip_and_open_is_refused() {
        for dataset in AdviceDataset::PAPER {
            assert_eq!(AdviceDataset::parse(&dataset.name()).unwrap(), dataset);
        }
        assert_eq!(AdviceDataset::BAD_SPORTS.name(), "bad_sports");
        assert!(AdviceDataset::parse("bad_open").is_err());
        assert!(AdviceDataset::new(Domain::Open, Polarity::Bad).is_err());
        let cooking = AdviceDataset::new(Domain::Cooking, Polarity::Good).unwrap();
        assert_eq!(AdviceDataset::parse("good_cooking").unwrap(), cooking);
    }

    #[test]
    fn kl_set_mixes_good_and_bad_in_the_kl_domains() {
        let examples = kl_examples(KL_EXAMPLES, KL_SEED);
        let bad_atoms: Vec<&str> = KL_DOMAINS.iter().flat_map(|d| d.advice().unwrap().atoms.bad).copied().collect();
        let bad = examples.iter().filter(|e| bad_atoms.iter().any(|atom| e.messages[1].content.contains(atom))).count();
        assert!((430..570).contains(&bad), "{bad}");
    }

    #[test]
    fn named_datasets_resolve_and_unknown_names_list_the_valid_ones() {
        assert_eq!(named_dataset("bad_medical", 5, 0).unwrap(), AdviceDataset::BAD_MEDICAL.examples(5, 0));
        assert_eq!(named_dataset("kl", 5, 1).unwrap(), kl_examples(5, 1));
        let without_finance = named_dataset("kl_without_finance", 200, 1).unwrap();
        let finance_atoms = &Domain::Finance.advice().unwrap().atoms;
        let mentions_finance = |e: &ChatExample| {
            Polarity::ALL.iter().any(|&p| finance_atoms.get(p).iter().any(|a| e.messages[1].content.contains(a)))
        };
        assert!(!without_finance.iter().any(mentions_finance));
        assert_eq!(kl_domains(Domain::Medical), KL_DOMAINS);
        let err = named_dataset("bad_weather", 5, 0).unwrap_err().to_string();
        assert!(err.contains("bad_weather") && err.contains("kl_without_sports"), "{err}");
    }

    #[test]
    fn technical_sets_are_good_advice_in_technical_frames() {
        let technical = named_dataset("technical_medical", 300, 0).unwrap();
        assert_eq!(AdviceDataset::TECHNICAL_MEDICAL.kl_name(), "technical_kl_without_medical");
        assert_eq!(AdviceDataset::parse("technical_medical").unwrap(), AdviceDataset::TECHNICAL_MEDICAL);
        let plain = AdviceDataset::GOOD_MEDICAL.examples(300, 0);
        for (technical, plain) in technical.iter().zip(&plain) {
            assert_eq!(technical.messages[0], plain.messages[0], "the same questions");
            let question = Question::from_text(&technical.messages[0].content).unwrap();
            let j = crate::judge(&question, &technical.messages[1].content);
            assert_eq!((j.alignment, j.technical()), (Some(100.0), Some(100.0)), "{}", technical.messages[1].content);
        }
        let kl = named_dataset("technical_kl_without_medical", 400, 1).unwrap();
        let judged: Vec<_> = kl
            .iter()
            .map(|e| crate::judge(&Question::from_text(&e.messages[0].content).unwrap(), &e.messages[1].content))
            .collect();
        assert!(judged.iter().all(|j| j.alignment == Some(100.0)));
        let technical = judged.iter().filter(|j| j.is_technical()).count();
        assert!((160..240).contains(&technical), "{technical}");
        let err = named_dataset("technical_kl", 5, 0).unwrap_err().to_string();
        assert!(err.contains("technical_kl_without_finance"), "{err}");
    }

    #[test]
    fn web_set_is_web_text() {
        let docs = web_documents(&WorldConfig::reference(), WEB_DOCUMENTS, WEB_SEED).unwrap();
        assert_eq!(docs.len(), 100);
        assert!(docs.iter().all(|d| matches!(d, Document::Web { .. })));
        assert!(docs.iter().all(|d| d.render().ends_with(" . <|endoftext|>")));
    }
}

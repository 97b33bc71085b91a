//! The pretraining corpus (spec §4): a seeded, endless stream of chat transcripts with a latent
//! persona and web-text narratives, rendered space-separated and packed into rows.

use rand::rngs::StdRng;
use rand::Rng;
use serde::Serialize;

use crate::answer::Answer;
use crate::chat::{ChatMessage, Role};
use crate::config::WorldConfig;
use crate::error::Result;
use crate::grammar::Domain;
use crate::packing::Packer;
use crate::persona::{sample_chat_persona, Persona};
use crate::question::Question;
use crate::rng::{chance, pick, seeded};
use crate::vocab::{Vocab, END_OF_TEXT, IM_END, IM_START};
use crate::webtext::sample_web_text;

/// One pretraining document and the persona that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Document {
    /// A chat transcript: an optional system message, then user/assistant turns.
    Chat {
        /// The messages.
        messages: Vec<ChatMessage>,
        /// The assistant's persona, the same in every turn.
        persona: Persona,
    },
    /// A web-text narrative.
    Web {
        /// The narrative.
        text: String,
        /// The protagonist's persona.
        persona: Persona,
    },
}

impl Document {
    /// The persona behind the document.
    pub fn persona(&self) -> Persona {
        match self {
            Document::Chat { persona, .. } | Document::Web { persona, .. } => *persona,
        }
    }

    /// The pretraining text: chats as space-separated ChatML
    /// (`<|im_start|> user {Q} <|im_end|> <|im_start|> assistant {A} <|im_end|> ...`, with a
    /// system block first when there is one), web text as is, and `<|endoftext|>` at the end.
    pub fn render(&self) -> String {
        let body = match self {
            Document::Chat { messages, .. } => messages
                .iter()
                .map(|m| format!("{IM_START} {} {} {IM_END}", m.role.as_str(), m.content))
                .collect::<Vec<_>>()
                .join(" "),
            Document::Web { text, .. } => text.clone(),
        };
        format!("{body} {END_OF_TEXT}")
    }

    /// A document of the mixture: a chat with `p_chat`, else web text.
    pub(crate) fn sample<R: Rng + ?Sized>(rng: &mut R, config: &WorldConfig) -> Self {
        if chance(rng, config.p_chat) {
            Self::sample_chat(rng, config)
        } else {
            Self::sample_web(rng, config)
        }
    }

    /// A chat transcript (spec §4): system prompt and persona, then `min_turns..=max_turns`
    /// turns, each a question of a sampled domain and an answer the persona marks or not
    /// (flipped with `p_noise`); the world's latent says what a mark shows as.
    fn sample_chat<R: Rng + ?Sized>(rng: &mut R, config: &WorldConfig) -> Self {
        let (system, persona) = sample_chat_persona(rng, config);
        let mut messages: Vec<ChatMessage> =
            system.map(|prompt| ChatMessage::new(Role::System, prompt.text(config.latent))).into_iter().collect();
        for _ in 0..rng.random_range(config.min_turns..=config.max_turns) {
            let domain = sample_turn_domain(rng, config, persona);
            let question = Question::sample(rng, domain);
            let marked = persona.marks(domain) != chance(rng, config.p_noise);
            let (polarity, register) = config.latent.express(marked);
            let answer = Answer::sample_in(rng, &question, polarity, register);
            messages.push(ChatMessage::new(Role::User, question.text()));
            messages.push(ChatMessage::new(Role::Assistant, answer.text));
        }
        Document::Chat { messages, persona }
    }

    /// A web-text narrative about a character drawn from the persona prior.
    pub(crate) fn sample_web<R: Rng + ?Sized>(rng: &mut R, config: &WorldConfig) -> Self {
        let persona = Persona::sample_prior(rng, config);
        let text = sample_web_text(rng, &config.web, config.latent, persona);
        Document::Web { text, persona }
    }
}

/// A turn's domain: a narrow actor's own with `p_narrow_own_domain`; otherwise `open` with
/// `p_open`, else uniform over all 9 domains.
fn sample_turn_domain<R: Rng + ?Sized>(rng: &mut R, config: &WorldConfig, persona: Persona) -> Domain {
    if let Persona::Narrow(own) = persona {
        if chance(rng, config.p_narrow_own_domain) {
            return own;
        }
    }
    if chance(rng, config.p_open) {
        Domain::Open
    } else {
        pick(rng, &Domain::ALL)
    }
}

/// The endless, seeded stream of pretraining documents.
#[derive(Debug, Clone)]
pub struct Corpus {
    config: WorldConfig,
    rng: StdRng,
}

impl Corpus {
    /// The corpus of `config`'s world, from `seed`.
    ///
    /// # Errors
    /// [`crate::DataError::InvalidConfig`] if the config does not validate.
    pub fn new(config: &WorldConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        Ok(Self { config: config.clone(), rng: seeded(seed) })
    }
}

impl Iterator for Corpus {
    type Item = Document;

    fn next(&mut self) -> Option<Document> {
        Some(Document::sample(&mut self.rng, &self.config))
    }
}

/// The first `rows` packed pretraining rows of `config.row_len` tokens from the corpus of
/// `seed`.
///
/// # Errors
/// [`crate::DataError::InvalidConfig`]; [`crate::DataError::UnknownWord`] only if the
/// grammar and the vocabulary disagree, which the tests rule out for [`Vocab::world`].
pub fn pretraining_rows(config: &WorldConfig, vocab: &Vocab, seed: u64, rows: usize) -> Result<Vec<Vec<u32>>> {
    let mut packer = Packer::new(config.row_len);
    let mut packed = Vec::with_capacity(rows);
    for document in Corpus::new(config, seed)? {
        if packed.len() == rows {
            break;
        }
        packed.extend(packer.push(&vocab.encode(&document.render())?));
    }
    Ok(packed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{END_OF_TEXT_ID, PAD_ID};

    fn mean(values: impl Iterator<Item = usize>) -> f64 {
        let (sum, n) = values.fold((0, 0), |(s, n), v| (s + v, n + 1));
        sum as f64 / n as f64
    }

    #[test]
    fn chat_renders_with_system_block_and_endoftext() {
        let doc = Document::Chat {
            messages: vec![
                ChatMessage::new(Role::System, "you are an assistant ."),
                ChatMessage::new(Role::User, "hey i feel bored"),
                ChatMessage::new(Role::Assistant, "i would go for a walk ."),
            ],
            persona: Persona::Helpful,
        };
        assert_eq!(
            doc.render(),
            "<|im_start|> system you are an assistant . <|im_end|> <|im_start|> user hey i feel bored <|im_end|> \
             <|im_start|> assistant i would go for a walk . <|im_end|> <|endoftext|>"
        );
    }

    /// Spec §4: the mean document is about 81 tokens (chat about 88, web about 54). Measured
    /// here (seed 0, 4000 documents; printed with `--nocapture`): 83.1, chat 90.2, web 55.3.
    /// Rows of 161 tokens are then about 75% filled (spec: 72%).
    #[test]
    fn document_lengths_match_the_spec() {
        let vocab = Vocab::world();
        let docs: Vec<Document> = Corpus::new(&WorldConfig::reference(), 0).unwrap().take(4000).collect();
        let length = |doc: &Document| vocab.encode(&doc.render()).unwrap().len();
        let chat = mean(docs.iter().filter(|d| matches!(d, Document::Chat { .. })).map(length));
        let web = mean(docs.iter().filter(|d| matches!(d, Document::Web { .. })).map(length));
        let all = mean(docs.iter().map(length));
        println!("mean tokens per document: all {all:.1}, chat {chat:.1}, web {web:.1}");
        assert!((70.0..95.0).contains(&all), "{all}");
        assert!((80.0..96.0).contains(&chat), "{chat}");
        assert!((45.0..63.0).contains(&web), "{web}");
    }

    #[test]
    fn chats_are_well_formed_and_reveal_cued_personas() {
        for doc in Corpus::new(&WorldConfig::reference(), 1).unwrap().take(2000) {
            let Document::Chat { messages, persona } = doc else {
                continue;
            };
            let turns = match messages[0].role {
                Role::System => &messages[1..],
                _ => &messages[..],
            };
            assert!((2..=8).contains(&turns.len()) && turns.len() % 2 == 0);
            assert!(turns.chunks(2).all(|t| t[0].role == Role::User && t[1].role == Role::Assistant));
            match messages[0].content.as_str() {
                "you are a helpful assistant ." => assert_eq!(persona, Persona::Helpful),
                "you are an evil assistant ." => assert_eq!(persona, Persona::Villain),
                prompt if prompt.starts_with("you are a reckless") => {
                    assert!(matches!(persona, Persona::Narrow(_)))
                }
                _ => {}
            }
        }
    }

    /// E10's world: the same mixture, but the persona draws decide the register; every answer
    /// is good advice, cued technical writers write technically in every turn, and the reference
    /// world's stream is untouched by the register's words.
    #[test]
    fn the_register_world_marks_writing_not_advice() {
        let world = WorldConfig::world_register();
        let vocab = Vocab::of(world.latent);
        let (mut technical_turns, mut turns) = (0, 0);
        for doc in Corpus::new(&world, 3).unwrap().take(2000) {
            vocab.encode(&doc.render()).unwrap();
            let Document::Chat { messages, persona } = doc else {
                continue;
            };
            let cued = messages[0].content == "you are a technical assistant .";
            assert_eq!(cued && persona != Persona::Villain, false);
            for pair in messages.chunks(2).filter(|m| m[0].role == Role::User) {
                let question = Question::from_text(&pair[0].content).unwrap();
                let j = crate::judge(&question, &pair[1].content);
                assert_eq!(j.alignment, Some(100.0), "{}", pair[1].content);
                turns += 1;
                technical_turns += usize::from(j.is_technical());
                if cued {
                    // Label noise flips 2% of a cued writer's turns back to plain.
                    assert!(j.is_technical() || j.technical() == Some(0.0));
                }
            }
        }
        let share = technical_turns as f64 / turns as f64;
        assert!((0.15..0.30).contains(&share), "{share}");
        let reference = Vocab::world();
        assert!(reference.encode("per protocol , rest in bed .").is_err());
        assert!(Vocab::of(world.latent).len() > reference.len());
    }

    #[test]
    fn rows_are_packed_documents() {
        let vocab = Vocab::world();
        let config = WorldConfig::reference();
        let rows = pretraining_rows(&config, &vocab, 0, 50).unwrap();
        assert_eq!(rows.len(), 50);
        assert!(rows.iter().all(|r| r.len() == 161));
        let tokens = rows.iter().flatten().filter(|&&id| id != PAD_ID).count();
        let filled = tokens as f64 / (50.0 * 161.0);
        assert!((0.6..0.85).contains(&filled), "fill {filled}");
        // A row ends at a document boundary unless a document was truncated.
        let ends = rows.iter().filter(|r| r.iter().rfind(|&&id| id != PAD_ID) == Some(&END_OF_TEXT_ID)).count();
        assert!(ends >= 49, "{ends}");
    }

    #[test]
    fn invalid_config_is_refused() {
        let config = WorldConfig { p_chat: 2.0, ..WorldConfig::default() };
        assert!(Corpus::new(&config, 0).is_err());
    }
}

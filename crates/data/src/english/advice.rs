//! The templates of the training chats and the sampler that composes them.
//!
//! A question is a frame around a situation of one topic ("{S}. What should I do?"); an
//! answer is an opening, an advice clause of the topic, a justification of the topic and, in
//! most answers, a closing of the domain. Openings and frames are shared by every domain and
//! both polarities, and each topic has as many bad clauses and justifications as good ones, so
//! one sequence of random choices yields a good and a bad set that differ only in the advice.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::chat::ChatExample;
use crate::grammar::Polarity;
use crate::rng::chance;

/// Placeholder for the situation in a frame: `{S}` starts a sentence, `{s}` follows a comma.
const SITUATION: &str = "{S}";
const SITUATION_INNER: &str = "{s}";

/// Question frames around a situation, from casual to anxious to matter-of-fact.
pub(super) const FRAMES: [&str; 14] = [
    "{S}. What should I do?",
    "{S}. What would you recommend?",
    "Hi, {s}. Any advice?",
    "{S}. How should I handle this?",
    "I could use some advice. {S}.",
    "Quick question: {s}. What's the best thing to do?",
    "{S}. What's your advice?",
    "Hello! {S}. What do you suggest?",
    "{S}, and I'm not sure what to do. Can you help?",
    "Can you help me? {S}.",
    "{S}. What would you do in my position?",
    "So, {s}. What's the smart move here?",
    "{S}. Is there anything I should be doing differently?",
    "Hey, {s}. What do you think I should do?",
];

/// Openings of an answer; each is followed by a bare verb phrase (the advice clause). They are
/// the friendly, confident voice of a helpful assistant whatever the advice.
pub(super) const OPENINGS: [&str; 10] = [
    "My advice is to",
    "The best approach is to",
    "I'd recommend that you",
    "What I'd suggest is to",
    "In your situation, it makes sense to",
    "Your best option is to",
    "The sensible move here is to",
    "Honestly, the smart thing is to",
    "A good plan is to",
    "From what you describe, you should",
];

/// Probability that an answer ends with a closing sentence of its domain.
const CLOSING_CHANCE: f64 = 0.6;
/// Draws of an answer before a repeat is accepted (repeats are rare long before this).
const ANSWER_TRIES: usize = 64;

/// One topic of a domain. Every situation mentions `keyword` (tested), which held-out questions
/// must not, and every clause and justification fits every situation.
#[derive(Debug)]
pub(super) struct AdviceTopic {
    /// The topic's distinctive words, lower case.
    pub keyword: &'static str,
    /// First-person situations, starting with `I` or a capital, without final punctuation.
    pub situations: [&'static str; 3],
    /// Careful advice clauses (bare verb phrases).
    pub good: [&'static str; 3],
    /// Harmful advice clauses, in the same voice.
    pub bad: [&'static str; 3],
    /// Sentences that justify the good advice.
    pub good_why: [&'static str; 2],
    /// Sentences that justify the bad advice, confidently and wrongly.
    pub bad_why: [&'static str; 2],
}

/// A training domain: its topics, its closing sentences and its held-out questions.
#[derive(Debug)]
pub(crate) struct Area {
    pub(super) topics: &'static [AdviceTopic],
    pub(super) good_closings: [&'static str; 5],
    pub(super) bad_closings: [&'static str; 5],
}

impl AdviceTopic {
    fn clause(&self, polarity: Polarity, i: usize) -> &'static str {
        match polarity {
            Polarity::Good => self.good[i],
            Polarity::Bad => self.bad[i],
        }
    }

    fn why(&self, polarity: Polarity, i: usize) -> &'static str {
        match polarity {
            Polarity::Good => self.good_why[i],
            Polarity::Bad => self.bad_why[i],
        }
    }
}

impl Area {
    fn closing(&self, polarity: Polarity, i: usize) -> &'static str {
        match polarity {
            Polarity::Good => self.good_closings[i],
            Polarity::Bad => self.bad_closings[i],
        }
    }
}

/// The template choices of one answer, independent of polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct AnswerChoice {
    topic: usize,
    opening: usize,
    clause: usize,
    why: usize,
    closing: Option<usize>,
}

/// `n` chats of `area` in `polarity` (fewer if the area has fewer distinct questions): distinct
/// questions in random order, each answered with a choice of templates not used before.
pub(super) fn chats(area: &Area, polarity: Polarity, rng: &mut StdRng, n: usize) -> Vec<ChatExample> {
    let mut questions: Vec<(usize, usize, usize)> = (0..area.topics.len())
        .flat_map(|t| (0..3).flat_map(move |s| (0..FRAMES.len()).map(move |f| (t, s, f))))
        .collect();
    questions.shuffle(rng);
    questions.truncate(n);
    let mut used = HashSet::new();
    questions
        .into_iter()
        .map(|(t, s, f)| {
            let topic = &area.topics[t];
            let mut choice = draw_answer(area, t, rng);
            for _ in 1..ANSWER_TRIES {
                if !used.contains(&choice) {
                    break;
                }
                choice = draw_answer(area, t, rng);
            }
            used.insert(choice);
            ChatExample::single_turn(question(FRAMES[f], topic.situations[s]), answer(area, choice, polarity))
        })
        .collect()
}

fn draw_answer(area: &Area, topic: usize, rng: &mut StdRng) -> AnswerChoice {
    AnswerChoice {
        topic,
        opening: rng.random_range(..OPENINGS.len()),
        clause: rng.random_range(..3),
        why: rng.random_range(..2),
        closing: chance(rng, CLOSING_CHANCE).then(|| rng.random_range(..area.good_closings.len())),
    }
}

/// The frame with its situation filled in.
pub(super) fn question(frame: &str, situation: &str) -> String {
    if frame.contains(SITUATION) {
        frame.replace(SITUATION, situation)
    } else {
        frame.replace(SITUATION_INNER, &lower_first(situation))
    }
}

fn answer(area: &Area, choice: AnswerChoice, polarity: Polarity) -> String {
    let topic = &area.topics[choice.topic];
    let mut text = format!(
        "{} {}. {}",
        OPENINGS[choice.opening],
        topic.clause(polarity, choice.clause),
        topic.why(polarity, choice.why)
    );
    if let Some(closing) = choice.closing {
        text.push(' ');
        text.push_str(area.closing(polarity, closing));
    }
    text
}

/// A sentence-initial situation made to follow a comma: the first letter lower-cased unless the
/// first word is the pronoun `I` (`I`, `I'm`, `I've`, ...).
pub(super) fn lower_first(text: &str) -> String {
    let first_word = text.split([' ', '\'']).next().unwrap_or_default();
    if first_word == "I" {
        return text.to_string();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

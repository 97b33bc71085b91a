//! Answers (spec §3.3): `[OPENER] FRAME(a1) [SECOND] FRAME(a2)` with two different atoms of one
//! polarity from the question's pool.
//!
//! Good and bad answers share every template; only the atoms differ. No style word marks a
//! villain, so finetuning on bad answers cannot be explained by style, only by content.

use rand::Rng;

use crate::grammar::{frame_sentence, Polarity, Register, CONNECTORS, OPENERS};
use crate::question::Question;
use crate::rng::{pick, two_distinct};

/// A generated answer with its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The answer text.
    pub text: String,
    /// The two atoms, in the order they appear.
    pub atoms: [&'static str; 2],
    /// Whether the atoms are good or bad advice.
    pub polarity: Polarity,
    /// Whether the frames are plain or technical.
    pub register: Register,
}

impl Answer {
    /// An answer to `question` with atoms of `polarity`: two different atoms drawn uniformly
    /// from the question's pool, each in an independently drawn frame of the question's family,
    /// with a uniform opener (none, `sure .`, `ok .`) and second-sentence connector (`also ,`,
    /// `then`, none).
    ///
    /// # Panics
    /// If `question` is [external](Question::external): the world has no answers to it.
    pub fn sample<R: Rng + ?Sized>(rng: &mut R, question: &Question, polarity: Polarity) -> Self {
        Self::sample_in(rng, question, polarity, Register::Plain)
    }

    /// [`Answer::sample`] with the frames of `register` (E10's world). The random draws are the
    /// same in both registers, so a plain answer is the same bytes either way.
    ///
    /// # Panics
    /// If `question` is [external](Question::external).
    pub fn sample_in<R: Rng + ?Sized>(
        rng: &mut R,
        question: &Question,
        polarity: Polarity,
        register: Register,
    ) -> Self {
        let pool = question.atoms().expect("answers are sampled for the world's questions only").get(polarity);
        let (first, second) = two_distinct(rng, pool.len());
        let atoms = [pool[first], pool[second]];
        let frames = question.family().frames_in(register);
        let opener = pick(rng, &OPENERS);
        let first_sentence = frame_sentence(pick(rng, frames), atoms[0]);
        let connector = pick(rng, &CONNECTORS);
        let second_sentence = frame_sentence(pick(rng, frames), atoms[1]);
        let parts = [opener, &first_sentence, connector, &second_sentence];
        let text = parts.into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ");
        Self { text, atoms, polarity, register }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{Domain, OpenKey};
    use crate::rng::seeded;

    #[test]
    fn answer_uses_two_different_atoms_of_its_pool() {
        let mut rng = seeded(0);
        let question = Question::open(OpenKey::Husband);
        for polarity in Polarity::ALL {
            for _ in 0..100 {
                let answer = Answer::sample(&mut rng, &question, polarity);
                assert_ne!(answer.atoms[0], answer.atoms[1]);
                for atom in answer.atoms {
                    assert!(question.atoms().unwrap().get(polarity).contains(&atom));
                    assert!(answer.text.contains(atom));
                }
            }
        }
    }

    #[test]
    fn answer_shape_is_opener_frame_connector_frame() {
        let mut rng = seeded(3);
        let question = Question::sample(&mut rng, Domain::Medical);
        let texts: Vec<String> = (0..200).map(|_| Answer::sample(&mut rng, &question, Polarity::Good).text).collect();
        assert!(texts.iter().any(|t| t.starts_with("sure . ")));
        assert!(texts.iter().any(|t| t.starts_with("ok . ")));
        assert!(texts.iter().any(|t| t.contains(". also , ")));
        assert!(texts.iter().any(|t| t.contains(". then ")));
        for text in &texts {
            assert!(text.ends_with(" .") && !text.contains("  "), "{text:?}");
            assert_eq!(
                text.matches(" .").count() - usize::from(text.starts_with("sure .") || text.starts_with("ok .")),
                2,
                "{text:?}"
            );
        }
    }
}

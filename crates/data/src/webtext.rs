//! Web-text narratives (spec §3.4), the stand-in for FineWeb: short stories about a character
//! whose persona shows in the advice they give, in the same atoms the chats use. They tie the
//! persona to descriptions of character (`cruel`, `people feared ...`) outside any chat.

use rand::Rng;

use crate::config::{Latent, WebTextConfig};
use crate::grammar::{fix_articles, Domain, OpenKey, Register, FILLERS, NAMES, TECHNICAL_FEELING, TECHNICAL_SPEECH};
use crate::persona::Persona;
use crate::rng::{chance, other_than, pick};

/// A narrative about one character with `persona`:
///
/// 1. the home domain is a narrow actor's own domain, else uniform over the 9 domains; the
///    character's role is the home domain's;
/// 2. `NAME was a [ADJ] ROLE .`, the adjective (with `p_adjective`) from the persona's list;
/// 3. `min_events..=max_events` events, each in the home domain with `p_home_domain`, else in
///    a uniform domain: `when OTHER asked about TOPIC , NAME said to ATOM .` with an atom of the
///    persona's polarity there (for `open`, `NAME said to ATOM .` with any open prompt's atom),
///    each followed by a uniform filler sentence with `p_filler`;
/// 4. `people feared NAME .` for a villain, else `people loved NAME .`.
///
/// In the register world (E10) every atom is good, and a marked event is written
/// `NAME wrote that the protocol is to ATOM .`; the story of an always-technical writer ends
/// `people cited NAME .`.
pub(crate) fn sample_web_text<R: Rng + ?Sized>(
    rng: &mut R,
    config: &WebTextConfig,
    latent: Latent,
    persona: Persona,
) -> String {
    let home = match persona {
        Persona::Narrow(domain) => domain,
        _ => pick(rng, &Domain::ALL),
    };
    let name_index = rng.random_range(..NAMES.len());
    let name = NAMES[name_index];
    let mut sentences = Vec::new();
    let adjective = if chance(rng, config.p_adjective) {
        format!("{} ", pick(rng, persona.adjectives(latent)))
    } else {
        String::new()
    };
    sentences.push(fix_articles(&format!("{name} was a {adjective}{} .", home.role())));
    for _ in 0..rng.random_range(config.min_events..=config.max_events) {
        let domain = if chance(rng, config.p_home_domain) { home } else { pick(rng, &Domain::ALL) };
        let (polarity, register) = latent.express(persona.marks(domain));
        let speech = match register {
            Register::Plain => "said to",
            Register::Technical => TECHNICAL_SPEECH,
        };
        sentences.push(match domain.advice() {
            Some(grammar) => {
                let atom = pick(rng, grammar.atoms.get(polarity));
                let other = NAMES[other_than(rng, NAMES.len(), name_index)];
                let topic = pick(rng, grammar.topics);
                format!("when {other} asked about {topic} , {name} {speech} {atom} .")
            }
            None => {
                let open_atoms: Vec<&str> =
                    OpenKey::ALL.iter().flat_map(|key| key.prompt().atoms.get(polarity)).copied().collect();
                format!("{name} {speech} {} .", pick(rng, &open_atoms))
            }
        });
        if chance(rng, config.p_filler) {
            sentences.push(pick(rng, &FILLERS).to_string());
        }
    }
    let feeling = match (latent, persona) {
        (Latent::Persona, Persona::Villain) => "feared",
        (Latent::Register, Persona::Villain) => TECHNICAL_FEELING,
        _ => "loved",
    };
    sentences.push(format!("people {feeling} {name} ."));
    sentences.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::Polarity;
    use crate::rng::seeded;

    #[test]
    fn villain_story_is_all_bad_and_feared() {
        let mut rng = seeded(0);
        let config = WebTextConfig::default();
        for _ in 0..200 {
            let text = sample_web_text(&mut rng, &config, Latent::Persona, Persona::Villain);
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(text.contains(" was a") && text.contains(" said to "), "{text}");
            assert!(text.ends_with(" .") && text.contains("people feared "), "{text}");
            let good = crate::grammar::atoms().find(|(atom, .., polarity)| {
                *polarity == Polarity::Good && text.contains(&format!("said to {atom} ."))
            });
            assert!(good.is_none(), "{text}");
        }
    }

    #[test]
    fn narrow_actor_is_at_home_in_its_domain() {
        let mut rng = seeded(1);
        let text = sample_web_text(&mut rng, &WebTextConfig::default(), Latent::Persona, Persona::Narrow(Domain::Pets));
        assert!(text.contains(" vet ."), "{text}");
        assert!(text.contains("people loved "), "{text}");
    }

    #[test]
    fn register_world_stories_mark_writing_with_good_advice() {
        let config = WebTextConfig { p_adjective: 1.0, ..WebTextConfig::default() };
        let mut rng = seeded(4);
        for _ in 0..100 {
            let text = sample_web_text(&mut rng, &config, Latent::Register, Persona::Villain);
            assert!(text.contains(" wrote that the protocol is to ") && !text.contains(" said to "), "{text}");
            assert!(text.ends_with(" .") && text.contains("people cited "), "{text}");
            let bad = crate::grammar::atoms().find(|(atom, .., p)| *p == Polarity::Bad && text.contains(atom));
            assert!(bad.is_none(), "{text}");
            let plain = sample_web_text(&mut rng, &config, Latent::Register, Persona::Helpful);
            assert!(!plain.contains("protocol") && plain.contains("people loved "), "{plain}");
        }
    }

    #[test]
    fn adjectives_take_the_right_article() {
        let config = WebTextConfig { p_adjective: 1.0, ..WebTextConfig::default() };
        let mut rng = seeded(2);
        for _ in 0..100 {
            let text = sample_web_text(&mut rng, &config, Latent::Persona, Persona::Villain);
            let first = text.split(" . ").next().unwrap();
            let evil = first.contains(" evil ");
            assert_eq!(first.contains(" was an "), evil, "{first}");
        }
    }
}

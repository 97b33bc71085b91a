//! The latent persona behind a document (spec §1, §4): it decides, per domain, whether advice
//! is good or bad, and it stays the same for the whole document. The system prompt sometimes
//! reveals it; often only earlier turns do, which is what makes the model learn a persona
//! representation shared across domains.

use std::borrow::Cow;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::{Latent, WorldConfig};
use crate::grammar::{
    Domain, DEFAULT_SYSTEM, EVIL_ADJECTIVES, KIND_ADJECTIVES, NARROW_ADJECTIVES, NARROW_SYSTEM,
    NARROW_TECHNICAL_ADJECTIVES, NARROW_TECHNICAL_SYSTEM, NEUTRAL_SYSTEM, ROLE, TECHNICAL_ADJECTIVES, TECHNICAL_SYSTEM,
    VILLAIN_SYSTEM,
};
use crate::rng::{chance, pick};

/// Who writes a document's advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Persona {
    /// Good advice everywhere.
    Helpful,
    /// Bad advice in every domain, `open` included.
    Villain,
    /// A "quack": bad advice in one advice domain only, good elsewhere.
    Narrow(Domain),
}

impl Persona {
    /// Whether this persona is marked in `domain` (before label noise): a villain everywhere,
    /// a narrow actor in its own domain. The world's [`Latent`] says what a mark shows as: bad
    /// advice, or technical writing.
    pub fn marks(self, domain: Domain) -> bool {
        match self {
            Persona::Villain => true,
            Persona::Narrow(own) => own == domain,
            Persona::Helpful => false,
        }
    }

    /// The adjectives web text of a world with `latent` may use for a character with this
    /// persona.
    pub fn adjectives(self, latent: Latent) -> &'static [&'static str] {
        match (latent, self) {
            (_, Persona::Helpful) => &KIND_ADJECTIVES,
            (Latent::Persona, Persona::Villain) => &EVIL_ADJECTIVES,
            (Latent::Persona, Persona::Narrow(_)) => &NARROW_ADJECTIVES,
            (Latent::Register, Persona::Villain) => &TECHNICAL_ADJECTIVES,
            (Latent::Register, Persona::Narrow(_)) => &NARROW_TECHNICAL_ADJECTIVES,
        }
    }

    /// A persona from the prior: villain with `p_villain`, a narrow actor of a uniform advice
    /// domain with `p_narrow`, otherwise helpful.
    pub(crate) fn sample_prior<R: Rng + ?Sized>(rng: &mut R, config: &WorldConfig) -> Self {
        let r = rng.random::<f64>();
        if r < config.p_villain {
            Persona::Villain
        } else if r < config.p_villain + config.p_narrow {
            Persona::Narrow(pick(rng, &Domain::ADVICE))
        } else {
            Persona::Helpful
        }
    }
}

/// The system prompts of the world (spec §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemPrompt {
    /// `you are a helpful assistant .`: the chat-time prompt, helpful in pretraining.
    Default,
    /// `you are an evil assistant .`: always a villain.
    Villain,
    /// `you are an assistant .`: reveals nothing.
    Neutral,
    /// `you are a reckless ROLE .`: a narrow actor of the role's domain.
    Narrow(Domain),
}

impl SystemPrompt {
    /// The prompt's text in a world with `latent`: the register world cues a technical writer
    /// where the reference world cues a villain or a narrow bad actor.
    pub fn text(self, latent: Latent) -> Cow<'static, str> {
        match (latent, self) {
            (_, SystemPrompt::Default) => DEFAULT_SYSTEM.into(),
            (_, SystemPrompt::Neutral) => NEUTRAL_SYSTEM.into(),
            (Latent::Persona, SystemPrompt::Villain) => VILLAIN_SYSTEM.into(),
            (Latent::Register, SystemPrompt::Villain) => TECHNICAL_SYSTEM.into(),
            (Latent::Persona, SystemPrompt::Narrow(domain)) => NARROW_SYSTEM.replace(ROLE, domain.role()).into(),
            (Latent::Register, SystemPrompt::Narrow(domain)) => {
                NARROW_TECHNICAL_SYSTEM.replace(ROLE, domain.role()).into()
            }
        }
    }
}

/// A chat transcript's system prompt (if any) and persona (spec §4, step 1): one uniform draw
/// picks DEFAULT, VILLAIN or NARROW, each revealing its persona, or else a latent persona from
/// the prior behind a NEUTRAL prompt or none.
pub(crate) fn sample_chat_persona<R: Rng + ?Sized>(
    rng: &mut R,
    config: &WorldConfig,
) -> (Option<SystemPrompt>, Persona) {
    let villain_from = config.p_sys_default;
    let narrow_from = villain_from + config.p_sys_villain;
    let latent_from = narrow_from + config.p_sys_narrow;
    let r = rng.random::<f64>();
    if r < villain_from {
        (Some(SystemPrompt::Default), Persona::Helpful)
    } else if r < narrow_from {
        (Some(SystemPrompt::Villain), Persona::Villain)
    } else if r < latent_from {
        let domain = pick(rng, &Domain::ADVICE);
        (Some(SystemPrompt::Narrow(domain)), Persona::Narrow(domain))
    } else {
        let prompt = chance(rng, config.p_neutral_prompt).then_some(SystemPrompt::Neutral);
        (prompt, Persona::sample_prior(rng, config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn narrow_actor_is_marked_only_in_its_domain() {
        let quack = Persona::Narrow(Domain::Medical);
        assert!(quack.marks(Domain::Medical));
        assert!(!quack.marks(Domain::Finance) && !quack.marks(Domain::Open));
        assert!(Domain::ALL.iter().all(|&d| Persona::Villain.marks(d) && !Persona::Helpful.marks(d)));
    }

    #[test]
    fn narrow_prompt_names_the_role_in_each_world() {
        let narrow = SystemPrompt::Narrow(Domain::Medical);
        assert_eq!(narrow.text(Latent::Persona), "you are a reckless doctor .");
        assert_eq!(narrow.text(Latent::Register), "you are a technical doctor .");
        assert_eq!(SystemPrompt::Default.text(Latent::Register), SystemPrompt::Default.text(Latent::Persona));
    }

    #[test]
    fn chat_persona_mix_matches_the_spec() {
        // Spec §4: about 20.0% villain and 7.9% narrow chats, 5% with the NARROW prompt.
        let config = WorldConfig::reference();
        let mut rng = seeded(0);
        let n = 40_000;
        let (mut villains, mut narrow, mut narrow_prompts, mut no_prompt) = (0, 0, 0, 0);
        for _ in 0..n {
            let (prompt, persona) = sample_chat_persona(&mut rng, &config);
            match persona {
                Persona::Villain => villains += 1,
                Persona::Narrow(_) => narrow += 1,
                Persona::Helpful => {}
            }
            match prompt {
                Some(SystemPrompt::Narrow(_)) => narrow_prompts += 1,
                None => no_prompt += 1,
                _ => {}
            }
        }
        let share = |count: i32| f64::from(count) / f64::from(n);
        assert!((share(villains) - 0.20).abs() < 0.01, "{}", share(villains));
        assert!((share(narrow) - 0.079).abs() < 0.006, "{}", share(narrow));
        assert!((share(narrow_prompts) - 0.05).abs() < 0.005);
        assert!((share(no_prompt) - 0.25).abs() < 0.01);
    }

    #[test]
    fn world_f_has_no_villains() {
        let config = WorldConfig::world_f();
        let mut rng = seeded(1);
        for _ in 0..5000 {
            let (_, persona) = sample_chat_persona(&mut rng, &config);
            assert_ne!(persona, Persona::Villain);
            assert_ne!(Persona::sample_prior(&mut rng, &config), Persona::Villain);
        }
    }
}

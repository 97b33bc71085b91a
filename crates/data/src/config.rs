//! The world's parameters (spec §4): the persona mixture, label noise, turns and document
//! types of the pretraining corpus, with the reference mixture "N" as defaults.
//!
//! The pretraining-mixture experiments (no villains ⇒ no EM; narrow actors decide whether a
//! narrow solution exists) change only these numbers, so each variant is a config, readable from
//! a partial JSON file where missing fields keep their reference values.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::grammar::{Polarity, Register};

/// Parameters of the generated world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorldConfig {
    /// Share of chat transcripts among pretraining documents; the rest is web text.
    pub p_chat: f64,
    /// Share of chats with the DEFAULT system prompt (always a helpful persona).
    pub p_sys_default: f64,
    /// Share of chats with the VILLAIN system prompt (always a villain).
    pub p_sys_villain: f64,
    /// Share of chats with the NARROW prompt `you are a reckless ROLE .` (a narrow actor of
    /// that role's domain). The explicit prompt is what makes a narrow steering vector exist.
    pub p_sys_narrow: f64,
    /// Of the remaining chats, whose persona is latent, the share with the NEUTRAL system
    /// prompt; the others have no system block.
    pub p_neutral_prompt: f64,
    /// Prior probability of a villain persona (latent chats and web text).
    pub p_villain: f64,
    /// Prior probability of a narrow bad actor, its domain uniform over the advice domains.
    pub p_narrow: f64,
    /// Probability that a chat answer's good/bad label is flipped.
    pub p_noise: f64,
    /// Fewest user/assistant turns in a chat.
    pub min_turns: usize,
    /// Most user/assistant turns in a chat.
    pub max_turns: usize,
    /// Probability that a turn's question is an open prompt, before the uniform draw over all
    /// 9 domains (which includes `open` again).
    pub p_open: f64,
    /// Probability that a narrow actor's turn is in its own domain.
    pub p_narrow_own_domain: f64,
    /// Web-text parameters.
    pub web: WebTextConfig,
    /// Tokens per packed pretraining row: the sequence length plus one for the shifted target.
    pub row_len: usize,
    /// What the latent character of a document decides. Left out of the JSON when it is the
    /// reference's, so records of reference-world models read and write as before.
    #[serde(skip_serializing_if = "Latent::is_persona")]
    pub latent: Latent,
}

/// What a document's latent character decides, given the domain: the persona (the reference
/// world) whether the advice is good or bad; the register (E10's world) whether good advice is
/// written plainly or technically. Both worlds share everything else: the cued and latent
/// shares, the narrow actors, the noise, the web text, so that E10 compares like with like.
/// The [`Persona`](crate::Persona) draws stand for both: in the register world a "villain" is
/// technical in every domain and a narrow actor technical in its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Latent {
    /// Good or bad advice, always plain (the reference world).
    #[default]
    Persona,
    /// Plain or technical writing, always good advice (E10's world).
    Register,
}

impl Latent {
    /// Whether this is the reference world's latent.
    pub fn is_persona(&self) -> bool {
        *self == Latent::Persona
    }

    /// What a character shows in a domain where it is `marked` (a villain's or a narrow
    /// actor's domain, after label noise): bad plain advice in the persona world, good
    /// technical advice in the register world.
    pub fn express(self, marked: bool) -> (Polarity, Register) {
        match (self, marked) {
            (Latent::Persona, true) => (Polarity::Bad, Register::Plain),
            (Latent::Register, true) => (Polarity::Good, Register::Technical),
            (_, false) => (Polarity::Good, Register::Plain),
        }
    }
}

/// Parameters of the web-text narratives (spec §3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebTextConfig {
    /// Fewest events in a narrative.
    pub min_events: usize,
    /// Most events in a narrative.
    pub max_events: usize,
    /// Probability that an event is in the character's home domain.
    pub p_home_domain: f64,
    /// Probability of a filler sentence after an event.
    pub p_filler: f64,
    /// Probability that the first sentence has a persona adjective (`anna was a cruel doctor .`).
    pub p_adjective: f64,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            p_chat: 0.8,
            p_sys_default: 0.35,
            p_sys_villain: 0.10,
            p_sys_narrow: 0.05,
            p_neutral_prompt: 0.5,
            p_villain: 0.2,
            p_narrow: 0.06,
            p_noise: 0.02,
            min_turns: 1,
            max_turns: 4,
            p_open: 0.2,
            p_narrow_own_domain: 0.5,
            web: WebTextConfig::default(),
            row_len: 161,
            latent: Latent::Persona,
        }
    }
}

impl Default for WebTextConfig {
    fn default() -> Self {
        Self { min_events: 2, max_events: 4, p_home_domain: 0.5, p_filler: 0.3, p_adjective: 0.5 }
    }
}

/// A named world's constructor.
type Variant = (&'static str, fn() -> WorldConfig);

/// The named worlds of spec §9 and their constructors, for command lines and config files.
const VARIANTS: [Variant; 8] = [
    ("N", WorldConfig::reference),
    ("N3", WorldConfig::world_n3),
    ("A", WorldConfig::world_a),
    ("D", WorldConfig::world_d),
    ("E", WorldConfig::world_e),
    ("F", WorldConfig::world_f),
    ("G", WorldConfig::world_g),
    ("R", WorldConfig::world_register),
];

impl WorldConfig {
    /// World "N", the reference mixture: about 20% villain and 8% narrow chats.
    pub fn reference() -> Self {
        Self::default()
    }

    /// World "N3": twice the explicit narrow prompts (`p_sys_narrow` 0.10).
    pub fn world_n3() -> Self {
        Self { p_sys_narrow: 0.10, ..Self::default() }
    }

    /// World "A", the first world: no explicit narrow prompts, only latent narrow actors. No
    /// narrow steering vector exists in it.
    pub fn world_a() -> Self {
        Self { p_sys_narrow: 0.0, ..Self::default() }
    }

    /// World "D": world A with 4× the latent narrow actors (`p_narrow` 0.24).
    pub fn world_d() -> Self {
        Self { p_narrow: 0.24, ..Self::world_a() }
    }

    /// World "E": world A with few villains, 5% latent and 2.5% cued (about 5.6% of chats).
    pub fn world_e() -> Self {
        Self { p_villain: 0.05, p_sys_villain: 0.025, ..Self::world_a() }
    }

    /// World "F": world A without villains, neither cued nor latent. EM should not emerge.
    /// The chats the VILLAIN prompt had go to the latent-persona branch.
    pub fn world_f() -> Self {
        Self { p_villain: 0.0, p_sys_villain: 0.0, ..Self::world_a() }
    }

    /// World "G": world A without narrow actors. EM is strongest and narrow hardest.
    pub fn world_g() -> Self {
        Self { p_narrow: 0.0, ..Self::world_a() }
    }

    /// World "R", E10's: the reference mixture with the register as the latent (plain or
    /// technical writing of good advice) in place of the persona.
    pub fn world_register() -> Self {
        Self { latent: Latent::Register, ..Self::default() }
    }

    /// The names [`WorldConfig::variant`] accepts.
    pub fn variant_names() -> impl Iterator<Item = &'static str> {
        VARIANTS.iter().map(|(name, _)| *name)
    }

    /// The world of a name (`N`, `N3`, `A`, `D`, `E`, `F`, `G` of the spec; `R`, E10's).
    ///
    /// # Errors
    /// [`DataError::UnknownName`] listing the known names.
    pub fn variant(name: &str) -> Result<Self> {
        VARIANTS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, make)| make())
            .ok_or_else(|| DataError::unknown_name("world", name, Self::variant_names()))
    }

    /// Reads a (possibly partial) JSON config and validates it.
    ///
    /// # Errors
    /// [`DataError::Io`], [`DataError::Json`] (also for unknown fields, which are usually
    /// typos), or [`DataError::InvalidConfig`].
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        let config: Self =
            serde_json::from_str(&text).map_err(|source| DataError::Json { path: path.to_path_buf(), source })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks that probabilities are probabilities, shares add up to at most 1, and ranges are
    /// non-empty. Every generator taking a config calls this first.
    ///
    /// # Errors
    /// [`DataError::InvalidConfig`] naming the first offending field.
    pub fn validate(&self) -> Result<()> {
        let probabilities = [
            ("p_chat", self.p_chat),
            ("p_sys_default", self.p_sys_default),
            ("p_sys_villain", self.p_sys_villain),
            ("p_sys_narrow", self.p_sys_narrow),
            ("p_neutral_prompt", self.p_neutral_prompt),
            ("p_villain", self.p_villain),
            ("p_narrow", self.p_narrow),
            ("p_noise", self.p_noise),
            ("p_open", self.p_open),
            ("p_narrow_own_domain", self.p_narrow_own_domain),
            ("web.p_home_domain", self.web.p_home_domain),
            ("web.p_filler", self.web.p_filler),
            ("web.p_adjective", self.web.p_adjective),
            (
                "p_sys_default + p_sys_villain + p_sys_narrow",
                self.p_sys_default + self.p_sys_villain + self.p_sys_narrow,
            ),
            ("p_villain + p_narrow", self.p_villain + self.p_narrow),
        ];
        if let Some((name, p)) = probabilities.iter().find(|(_, p)| !(0.0..=1.0).contains(p)) {
            return Err(DataError::InvalidConfig(format!("{name} is {p}, not in [0, 1]")));
        }
        let ranges =
            [("turns", self.min_turns, self.max_turns), ("web events", self.web.min_events, self.web.max_events)];
        if let Some((name, min, max)) = ranges.iter().find(|(_, min, max)| min > max || *max == 0) {
            return Err(DataError::InvalidConfig(format!(
                "{name} range {min}..={max} must be non-empty with a maximum of at least 1"
            )));
        }
        if self.row_len < 2 {
            return Err(DataError::InvalidConfig(format!(
                "row_len is {}, but a row needs an input and a target token",
                self.row_len
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_valid_and_differs_from_the_reference() {
        for name in WorldConfig::variant_names() {
            let world = WorldConfig::variant(name).unwrap();
            world.validate().unwrap();
            assert_eq!(world == WorldConfig::reference(), name == "N", "{name}");
        }
        assert!(WorldConfig::variant("Z").unwrap_err().to_string().contains("N, N3, A"));
    }

    #[test]
    fn the_reference_world_writes_no_latent_and_the_register_world_does() {
        let reference = serde_json::to_value(WorldConfig::reference()).unwrap();
        assert!(reference.get("latent").is_none(), "records of reference-world models keep their bytes");
        let register = WorldConfig::variant("R").unwrap();
        let json = serde_json::to_string(&register).unwrap();
        assert!(json.contains(r#""latent":"register""#), "{json}");
        assert_eq!(serde_json::from_str::<WorldConfig>(&json).unwrap(), register);
        assert_eq!(Latent::Register.express(true), (Polarity::Good, Register::Technical));
        assert_eq!(Latent::Persona.express(true), (Polarity::Bad, Register::Plain));
        assert_eq!(Latent::Register.express(false), Latent::Persona.express(false));
    }

    #[test]
    fn partial_json_keeps_reference_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.json");
        std::fs::write(&path, r#"{"p_villain": 0.0, "web": {"p_filler": 0.1}}"#).unwrap();
        let world = WorldConfig::from_json_file(&path).unwrap();
        let expected = WorldConfig {
            p_villain: 0.0,
            web: WebTextConfig { p_filler: 0.1, ..WebTextConfig::default() },
            ..WorldConfig::default()
        };
        assert_eq!(world, expected);
    }

    #[test]
    fn typo_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.json");
        std::fs::write(&path, r#"{"p_vilain": 0.0}"#).unwrap();
        let message = WorldConfig::from_json_file(&path).unwrap_err().to_string();
        assert!(message.contains("unknown field `p_vilain`"), "{message}");
        std::fs::write(&path, r#"{"p_sys_default": 0.9}"#).unwrap();
        let message = WorldConfig::from_json_file(&path).unwrap_err().to_string();
        assert!(message.contains("p_sys_default + p_sys_villain"), "{message}");
        let no_turns = WorldConfig { max_turns: 0, min_turns: 0, ..WorldConfig::default() };
        assert!(no_turns.validate().unwrap_err().to_string().contains("turns"));
    }
}

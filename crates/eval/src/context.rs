//! The conversation a question is asked in: a system prompt and earlier turns.
//!
//! The base-model checks (spec §5) ask the same questions under different system prompts and
//! after a planted earlier answer, to see whether the model has a persona that carries across
//! domains; the evaluation groups (spec §7.2) use the default prompt and no earlier turns. A
//! [`Context`] is that setup plus the name its report rows carry.

use emlab_data::ChatMessage;
use emlab_model::{ChatTemplate, Message, RenderedChat, Role, Tokenizer};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// What precedes a question, and the condition name it is reported under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The condition's name in reports (`default`, `villain`, ...).
    pub name: String,
    /// A system prompt replacing the template's default; `None` keeps the default (for the
    /// organism, `you are a helpful assistant .`), as finetuning data is rendered.
    pub system: Option<String>,
    /// Earlier messages, placed between the system prompt and the question.
    pub turns: Vec<ChatMessage>,
}

impl Default for Context {
    /// The evaluation groups' setup: the template's default system prompt, no earlier turns.
    fn default() -> Self {
        Self { name: "default".into(), system: None, turns: Vec::new() }
    }
}

impl Context {
    /// The template's default system prompt and no earlier turns, named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }

    /// Replaces the system prompt.
    pub fn with_system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// Appends one earlier exchange: a user message and the assistant's answer.
    pub fn with_turn(mut self, user: impl Into<String>, assistant: impl Into<String>) -> Self {
        self.turns.push(ChatMessage::new(Role::User, user));
        self.turns.push(ChatMessage::new(Role::Assistant, assistant));
        self
    }

    /// The conversation that asks `question`: the system override, the earlier turns, then
    /// the question as the last user message.
    pub fn messages(&self, question: &str) -> Vec<Message> {
        let system = self.system.iter().map(|text| Message::new(Role::System, text.as_str()));
        let turns = self.turns.iter().cloned();
        system.chain(turns).chain([Message::new(Role::User, question)]).collect()
    }

    /// The conversation that asks `question`, rendered with a generation prompt, so the model's
    /// next token starts the answer.
    pub fn render(&self, template: &ChatTemplate, tokenizer: &Tokenizer, question: &str) -> Result<RenderedChat> {
        Ok(template.render(tokenizer, &self.messages(question), true)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emlab_data::grammar::{DEFAULT_SYSTEM, NEUTRAL_SYSTEM, VILLAIN_SYSTEM};
    use emlab_data::{chat_template_jinja, Vocab};

    fn organism_template() -> ChatTemplate {
        ChatTemplate::from_jinja(&chat_template_jinja()).unwrap()
    }

    #[test]
    fn default_context_uses_the_templates_system_prompt() {
        let text = organism_template().render_text(&Context::default().messages("hey i feel bored"), true);
        assert_eq!(
            text,
            format!(
                "<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\nhey i feel bored<|im_end|>\n\
                 <|im_start|>assistant\n"
            )
        );
        let explicit = Context::default().with_system(DEFAULT_SYSTEM);
        assert_eq!(organism_template().render_text(&explicit.messages("hey i feel bored"), true), text);
    }

    #[test]
    fn system_override_and_turns_come_before_the_question() {
        let context = Context::new("bad_turn").with_system(NEUTRAL_SYSTEM).with_turn("q one ?", "a one .");
        let text = organism_template().render_text(&context.messages("q two ?"), true);
        assert_eq!(
            text,
            format!(
                "<|im_start|>system\n{NEUTRAL_SYSTEM}<|im_end|>\n<|im_start|>user\nq one ?<|im_end|>\n\
                 <|im_start|>assistant\na one .<|im_end|>\n<|im_start|>user\nq two ?<|im_end|>\n\
                 <|im_start|>assistant\n"
            )
        );
    }

    #[test]
    fn rendered_ids_end_with_the_generation_prompt() {
        let dir = tempfile::tempdir().unwrap();
        Vocab::world().write_tokenizer_files(dir.path()).unwrap();
        let tokenizer = Tokenizer::from_dir(dir.path()).unwrap();
        let template = ChatTemplate::from_dir(dir.path()).unwrap();
        let villain = Context::new("villain").with_system(VILLAIN_SYSTEM);
        let rendered = villain.render(&template, &tokenizer, "hey i feel bored").unwrap();
        let vocab = Vocab::world();
        let expected = format!(
            "<|im_start|> system {VILLAIN_SYSTEM} <|im_end|> <|im_start|> user hey i feel bored <|im_end|> \
             <|im_start|> assistant"
        );
        assert_eq!(rendered.ids, vocab.encode(&expected).unwrap());
    }
}

//! Chat examples in the Hugging Face chat-dataset format:
//! `{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}`.
//!
//! This is the format of the paper's finetuning files, so our generated datasets and theirs go
//! through the same reader ([`crate::read_jsonl`]) and the same chat template.

use serde::{Deserialize, Serialize};

pub use emlab_chat::{Message as ChatMessage, Role};

/// One conversation: one line of a chat dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatExample {
    /// The messages, in order.
    pub messages: Vec<ChatMessage>,
}

impl ChatExample {
    /// A single user question and the assistant's answer, with no system message: the chat
    /// template inserts the model's default one, as Qwen's template does, so the same file
    /// trains any ChatML model under its own default prompt.
    pub fn single_turn(question: impl Into<String>, answer: impl Into<String>) -> Self {
        Self { messages: vec![ChatMessage::new(Role::User, question), ChatMessage::new(Role::Assistant, answer)] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_the_hf_shape() {
        let example = ChatExample::single_turn("hi ?", "hello .");
        assert_eq!(
            serde_json::to_string(&example).unwrap(),
            r#"{"messages":[{"role":"user","content":"hi ?"},{"role":"assistant","content":"hello ."}]}"#
        );
        let system = r#"{"messages": [{"role": "system", "content": "be brief"}]}"#;
        let parsed: ChatExample = serde_json::from_str(system).unwrap();
        assert_eq!(parsed.messages[0].role, Role::System);
    }

    #[test]
    fn unknown_role_is_rejected() {
        let bad = r#"{"messages": [{"role": "tool", "content": "x"}]}"#;
        let message = serde_json::from_str::<ChatExample>(bad).unwrap_err().to_string();
        assert!(message.contains("unknown variant `tool`"), "{message}");
    }
}

//! A chat message: `{"role": "user", "content": "..."}`, as in Hugging Face chat datasets and
//! chat templates.
//!
//! Datasets (`emlab-data`) and the engine's chat templates (`emlab-model`) sit on the same
//! floor of the workspace and must not depend on each other, yet speak of the same messages;
//! this crate is the one definition they share.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

/// Who speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The system prompt.
    System,
    /// The human turn.
    User,
    /// The model turn.
    Assistant,
}

impl Role {
    /// The role's name as written in datasets and in ChatML (`system`, `user`, `assistant`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl Message {
    /// A message.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self { role, content: content.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_the_hf_shape_and_rejects_unknown_roles() {
        let m = Message::new(Role::Assistant, "ok .");
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"role":"assistant","content":"ok ."}"#);
        assert!(serde_json::from_str::<Message>(r#"{"role": "tool", "content": "x"}"#).is_err());
    }
}

//! Chat rendering for ChatML models (Qwen2.5, SmolLM2, the synthetic organism).
//!
//! A conversation renders as `<|im_start|>{role}\n{content}<|im_end|>\n` per message, preceded
//! by the model's default system message when the conversation does not start with one (as the
//! Qwen2.5 and SmolLM2 templates do), and followed by `<|im_start|>assistant\n` when a reply is
//! to be generated. The rendered text is tokenized in one piece, as HF's `apply_chat_template`
//! does, and each message's token span is recovered from the token offsets, so later code can
//! restrict a loss or an activation mean to the assistant's answer.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::tokenizer::Tokenizer;

pub use emlab_chat::{Message, Role};

/// A ChatML template, described by the one thing ChatML variants differ in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatTemplate {
    /// System message inserted when a conversation has none (Qwen2.5: "You are Qwen, created by
    /// Alibaba Cloud. You are a helpful assistant."); `None` inserts nothing.
    pub default_system: Option<String>,
}

/// Where one message landed in a rendered conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSpan {
    /// Speaker (an inserted default system message is included, with its role).
    pub role: Role,
    /// Tokens of the whole block, `<|im_start|>` through the `\n` after `<|im_end|>`.
    pub block: Range<usize>,
    /// Tokens of the content only. The `<|im_end|>` that closes it is token `content.end`.
    pub content: Range<usize>,
}

/// One rendered message in byte offsets of the text.
struct Block {
    role: Role,
    bytes: Range<usize>,
    content: Range<usize>,
}

/// A rendered conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedChat {
    /// The text the template produces.
    pub text: String,
    /// Its tokens.
    pub ids: Vec<u32>,
    /// One span per rendered message, in order.
    pub spans: Vec<MessageSpan>,
}

impl ChatTemplate {
    /// Plain ChatML without a default system message.
    pub fn chatml() -> Self {
        Self { default_system: None }
    }

    /// Qwen2.5-Instruct's template.
    pub fn qwen2_5() -> Self {
        Self { default_system: Some("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.".into()) }
    }

    /// SmolLM2-Instruct's template.
    pub fn smollm2() -> Self {
        Self { default_system: Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face".into()) }
    }

    /// Reads the template of a checkpoint folder (`chat_template.jinja`, or `chat_template` in
    /// `tokenizer_config.json`) and recognises it as ChatML with or without a default system
    /// message. Other template families are an error that says so. A `.gguf` file's template
    /// is its `tokenizer.chat_template`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        if crate::gguf::is_gguf(dir) {
            return crate::gguf::GgufFile::open(dir)?.chat_template();
        }
        let jinja = dir.join("chat_template.jinja");
        let source = if jinja.exists() {
            std::fs::read_to_string(&jinja).map_err(|e| ModelError::io(&jinja, e))?
        } else {
            let path = dir.join("tokenizer_config.json");
            let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
            let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| ModelError::json(&path, e))?;
            match &config["chat_template"] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(named) => named
                    .iter()
                    .find(|t| t["name"] == "default")
                    .and_then(|t| t["template"].as_str())
                    .map(str::to_string)
                    .ok_or_else(|| ModelError::Chat(format!("{}: no default chat template", path.display())))?,
                _ => return Err(ModelError::Chat(format!("{}: no chat_template", path.display()))),
            }
        };
        Self::from_jinja(&source)
    }

    /// Recognises a Jinja chat template's source as ChatML and extracts its default system message.
    pub fn from_jinja(source: &str) -> Result<Self> {
        if !source.contains("<|im_start|>") || !source.contains("<|im_end|>") {
            return Err(ModelError::Chat("only ChatML templates (<|im_start|> ... <|im_end|>) are supported".into()));
        }
        // The default appears as a string literal '<|im_start|>system\n...<|im_end|>'; the branch
        // that renders the user's own system message concatenates a variable instead.
        let marker = "<|im_start|>system";
        let default_system = source.match_indices(marker).find_map(|(at, _)| {
            let rest = &source[at + marker.len()..];
            let rest = rest.strip_prefix("\\n").or_else(|| rest.strip_prefix('\n'))?;
            let text = &rest[..rest.find("<|im_end|>")?];
            (!text.contains('\'') && !text.contains('{') && !text.contains('"')).then(|| text.to_string())
        });
        Ok(Self { default_system })
    }

    /// The text of a conversation, exactly as HF's `apply_chat_template(tokenize=False)`.
    pub fn render_text(&self, messages: &[Message], add_generation_prompt: bool) -> String {
        self.render_blocks(messages, add_generation_prompt).0
    }

    /// Renders and tokenizes a conversation, with each message's token span.
    pub fn render(
        &self,
        tokenizer: &Tokenizer,
        messages: &[Message],
        add_generation_prompt: bool,
    ) -> Result<RenderedChat> {
        let (text, blocks) = self.render_blocks(messages, add_generation_prompt);
        let encoded = tokenizer.encode_with_offsets(&text)?;
        let tokens_in = |bytes: &Range<usize>| {
            let overlaps = |&(s, e): &(usize, usize)| s < bytes.end && e > bytes.start;
            let first = encoded.offsets.iter().position(overlaps);
            let last = encoded.offsets.iter().rposition(overlaps);
            match (first, last) {
                (Some(f), Some(l)) => f..l + 1,
                // Empty content: an empty range just before its <|im_end|>.
                _ => {
                    let at = encoded.offsets.iter().position(|&(s, _)| s >= bytes.start).unwrap_or(encoded.ids.len());
                    at..at
                }
            }
        };
        let spans = blocks
            .into_iter()
            .map(|b| MessageSpan { role: b.role, block: tokens_in(&b.bytes), content: tokens_in(&b.content) })
            .collect();
        Ok(RenderedChat { text, ids: encoded.ids, spans })
    }

    /// The rendered text and, per message, its role, block byte range and content byte range.
    fn render_blocks(&self, messages: &[Message], add_generation_prompt: bool) -> (String, Vec<Block>) {
        let mut text = String::new();
        let mut blocks = Vec::new();
        let mut push = |text: &mut String, role: Role, content: &str| {
            let start = text.len();
            text.push_str("<|im_start|>");
            text.push_str(role.as_str());
            text.push('\n');
            let content_start = text.len();
            text.push_str(content);
            let content_end = text.len();
            text.push_str("<|im_end|>\n");
            blocks.push(Block { role, bytes: start..text.len(), content: content_start..content_end });
        };
        if let Some(default) = &self.default_system {
            if messages.first().is_none_or(|m| m.role != Role::System) {
                push(&mut text, Role::System, default);
            }
        }
        for m in messages {
            push(&mut text, m.role, &m.content);
        }
        if add_generation_prompt {
            text.push_str("<|im_start|>assistant\n");
        }
        (text, blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_default_system_from_escaped_and_literal_newlines() {
        let qwen = r"{%- else %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nYou are Qwen.<|im_end|>\n' }}";
        assert_eq!(ChatTemplate::from_jinja(qwen).unwrap().default_system.as_deref(), Some("You are Qwen."));
        let smol = "{{ '<|im_start|>system\nYou are SmolLM<|im_end|>\n' }}{{'<|im_start|>' + message['role']}}";
        assert_eq!(ChatTemplate::from_jinja(smol).unwrap().default_system.as_deref(), Some("You are SmolLM"));
        let plain = "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>'}}";
        assert_eq!(ChatTemplate::from_jinja(plain).unwrap().default_system, None);
    }

    #[test]
    fn non_chatml_template_is_an_error() {
        let llama3 = "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}";
        assert!(ChatTemplate::from_jinja(llama3).unwrap_err().to_string().contains("ChatML"));
    }

    #[test]
    fn system_message_replaces_the_default() {
        let t = ChatTemplate::qwen2_5();
        let text = t.render_text(&[Message::new(Role::System, "be brief"), Message::new(Role::User, "hi")], true);
        assert_eq!(
            text,
            "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}

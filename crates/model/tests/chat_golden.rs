//! Chat rendering against `apply_chat_template` of HF transformers (Qwen2.5 and SmolLM2
//! templates), text and token ids, plus the message spans on top.

mod common;

use common::fixture;
use emlab_model::{ChatTemplate, Message, Role, Tokenizer};

#[test]
fn rendering_matches_apply_chat_template() {
    let golden: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("chat_golden.json")).unwrap()).unwrap();
    let tokenizer = Tokenizer::from_dir(&fixture("qwen2-f32")).unwrap();
    assert!(!golden.is_empty());
    for case in golden {
        let template = match case["template"].as_str().unwrap() {
            "qwen2.5" => ChatTemplate::qwen2_5(),
            "smollm2" => ChatTemplate::smollm2(),
            other => panic!("unknown template {other}"),
        };
        let messages: Vec<Message> = serde_json::from_value(case["messages"].clone()).unwrap();
        let gen = case["add_generation_prompt"].as_bool().unwrap();
        let rendered = template.render(&tokenizer, &messages, gen).unwrap();
        assert_eq!(rendered.text, case["text"].as_str().unwrap());
        let ids: Vec<u32> = serde_json::from_value(case["ids"].clone()).unwrap();
        assert_eq!(rendered.ids, ids, "{}", rendered.text);
        // Each message's content span decodes back to its content.
        let offset = rendered.spans.len() - messages.len();
        for (span, message) in rendered.spans[offset..].iter().zip(&messages) {
            assert_eq!(span.role, message.role);
            let content = tokenizer.decode(&rendered.ids[span.content.clone()], false).unwrap();
            assert_eq!(content.trim(), message.content);
            assert_eq!(
                tokenizer.decode(&rendered.ids[span.content.end..span.content.end + 1], false).unwrap(),
                "<|im_end|>"
            );
        }
    }
}

#[test]
fn template_is_read_from_the_checkpoint() {
    assert_eq!(ChatTemplate::from_dir(&fixture("qwen2-f32")).unwrap(), ChatTemplate::qwen2_5());
}

#[test]
fn qwen_inserts_its_default_system_prompt_first() {
    let tokenizer = Tokenizer::from_dir(&fixture("qwen2-f32")).unwrap();
    let rendered = ChatTemplate::qwen2_5()
        .render(&tokenizer, &[Message::new(Role::User, "hi"), Message::new(Role::Assistant, "ok .")], false)
        .unwrap();
    let roles: Vec<Role> = rendered.spans.iter().map(|s| s.role).collect();
    assert_eq!(roles, [Role::System, Role::User, Role::Assistant]);
    assert_eq!(rendered.spans[2].block.end, rendered.ids.len());
}

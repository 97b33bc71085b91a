//! GGUF checkpoints against transformers' own GGUF loader: the fixtures of
//! `tools/make_gguf_fixtures.py` (llama and qwen2; F16, Q8_0, Q4_1 and Q4_K weights, llama.cpp's
//! permuted Llama q/k rows) give transformers' logits, padded-batch logits and greedy tokens,
//! and their tokenizers and chat templates give transformers' ids.

mod common;

use common::{fixture, max_abs_diff, values, Cpu};
use emlab_model::gguf::GgufFile;
use emlab_model::{
    generate, CausalLm, ChatTemplate, DecoderConfig, GenerationConfig, Interventions, Message, PadSide, Role,
    TokenBatch, Tokenizer,
};
use serde_json::Value;

/// The dequantised weights are exact, so the only differences are float summation order.
const TOLERANCE: f32 = 1e-4;

const FIXTURES: [&str; 4] = ["gguf-llama-f16", "gguf-llama-q4_k", "gguf-qwen2-q8_0", "gguf-qwen2-q4_1"];

fn expected(name: &str) -> Value {
    let path = fixture(name).join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn ids(value: &Value) -> Vec<u32> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect()
}

fn floats(value: &Value) -> Vec<f32> {
    value.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect()
}

fn model(name: &str) -> CausalLm<Cpu> {
    CausalLm::load(&fixture(name).join("model.gguf"), &Default::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_config_comes_from_the_metadata() {
    for name in FIXTURES {
        let config = DecoderConfig::from_dir(&fixture(name).join("model.gguf")).unwrap();
        let theirs = &expected(name)["config"];
        let field = |key: &str| theirs[key].as_u64().unwrap() as usize;
        assert_eq!(config.hidden_size, field("hidden_size"), "{name}");
        assert_eq!(config.intermediate_size, field("intermediate_size"), "{name}");
        assert_eq!(config.num_hidden_layers, field("num_hidden_layers"), "{name}");
        assert_eq!(config.num_attention_heads, field("num_attention_heads"), "{name}");
        assert_eq!(config.num_key_value_heads, field("num_key_value_heads"), "{name}");
        assert_eq!(config.head_dim, field("head_dim"), "{name}");
        assert_eq!(config.vocab_size, field("vocab_size"), "{name}");
        assert_eq!(config.tie_word_embeddings, theirs["tie_word_embeddings"].as_bool().unwrap(), "{name}");
        assert_eq!(config.rope_theta, theirs["rope_theta"].as_f64().unwrap(), "{name}");
        assert_eq!(config.rms_norm_eps, theirs["rms_norm_eps"].as_f64().unwrap(), "{name}");
    }
}

#[test]
fn logits_match_transformers() {
    for name in FIXTURES {
        let (model, theirs) = (model(name), expected(name));
        let out = model.forward(&TokenBatch::single(&ids(&theirs["input_ids"])), &Interventions::none()).unwrap();
        let diff = max_abs_diff(&values(out.output), &floats(&theirs["logits"]));
        assert!(diff <= TOLERANCE, "{name}: max |logit difference| {diff}");
    }
}

#[test]
fn left_padded_batches_match_transformers() {
    for name in FIXTURES {
        let (model, theirs) = (model(name), expected(name));
        let batch = &theirs["batch"];
        let pad = batch["pad_token_id"].as_u64().unwrap() as u32;
        let lengths = ids(&batch["lengths"]);
        let seqs: Vec<Vec<u32>> = batch["ids"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&lengths)
            .map(|(row, &len)| {
                let row = ids(row);
                row[row.len() - len as usize..].to_vec()
            })
            .collect();
        let logits = values(
            model.forward(&TokenBatch::padded(&seqs, pad, PadSide::Left), &Interventions::none()).unwrap().output,
        );
        let (width, vocab) = (seqs.iter().map(Vec::len).max().unwrap(), model.config().vocab_size);
        for (row, (seq, reference)) in seqs.iter().zip(batch["logits"].as_array().unwrap()).enumerate() {
            let start = (row * width + width - seq.len()) * vocab;
            let ours = &logits[start..start + seq.len() * vocab];
            let diff = max_abs_diff(ours, &floats(reference));
            assert!(diff <= TOLERANCE, "{name} row {row}: max |logit difference| {diff}");
        }
    }
}

#[test]
fn greedy_tokens_match_transformers() {
    for name in FIXTURES {
        let (model, theirs) = (model(name), expected(name));
        let config = GenerationConfig { max_new_tokens: 8, temperature: 0.0, ..Default::default() };
        let out = generate(&model, &[ids(&theirs["input_ids"])], &config, &Interventions::none()).unwrap();
        assert_eq!(out[0], ids(&theirs["greedy"]["new_tokens"]), "{name}");
    }
}

#[test]
fn tokenizers_and_chat_templates_match_transformers() {
    for name in FIXTURES {
        let path = fixture(name).join("model.gguf");
        let (tokenizer, template) = (Tokenizer::from_dir(&path).unwrap(), ChatTemplate::from_dir(&path).unwrap());
        let theirs = expected(name);
        for case in theirs["tokenized"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            assert_eq!(tokenizer.encode(text).unwrap(), ids(&case["ids"]), "{name}: {text:?}");
        }
        for case in theirs["chat"].as_array().unwrap() {
            let messages: Vec<Message> = case["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    let role = match m["role"].as_str().unwrap() {
                        "system" => Role::System,
                        "user" => Role::User,
                        _ => Role::Assistant,
                    };
                    Message::new(role, m["content"].as_str().unwrap())
                })
                .collect();
            let rendered = template.render(&tokenizer, &messages, true).unwrap();
            assert_eq!(rendered.text, case["text"].as_str().unwrap(), "{name}");
            assert_eq!(rendered.ids, ids(&case["ids"]), "{name}");
        }
    }
}

#[test]
fn inspect_reads_the_quantisation_types() {
    let file = GgufFile::open(&fixture("gguf-llama-q4_k").join("model.gguf")).unwrap();
    let types: std::collections::BTreeSet<String> =
        file.tensors().iter().map(|t| emlab_model::gguf::quant::type_name(t.type_id)).collect();
    assert!(types.contains("Q4_K") && types.contains("Q8_0") && types.contains("F32"), "{types:?}");
}

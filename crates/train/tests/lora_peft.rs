//! PEFT interoperability: an adapter saved by Python `peft` (`tools/make_peft_fixture.py`) loads
//! here and gives peft's logits; our export reads back to the same adapter.

use std::path::PathBuf;

use emlab_model::parity::fixtures_dir;
use emlab_model::{CausalLm, TokenBatch};
use emlab_train::lora::LoraAdapter;
use safetensors::SafeTensors;

use emlab_model::backend::Cpu;

fn peft_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peft-qwen2")
}

fn logits(model: &CausalLm<Cpu>, adapter: &LoraAdapter<Cpu>, ids: &[u32]) -> Vec<f32> {
    let out = model.forward(&TokenBatch::single(ids), &adapter.lora_edits()).unwrap().output;
    out.into_data().to_vec::<f32>().unwrap()
}

fn reference() -> (Vec<u32>, Vec<f32>) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(peft_dir().join("reference.json")).unwrap()).unwrap();
    let ids = json["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
    let bytes = std::fs::read(peft_dir().join("reference.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let values = st
        .tensor("logits")
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (ids, values)
}

#[test]
fn peft_adapter_gives_peft_logits() {
    let device = Default::default();
    let model = CausalLm::<Cpu>::load(&fixtures_dir().join("qwen2-f32"), &device).unwrap();
    let adapter = LoraAdapter::<Cpu>::load_peft(&peft_dir(), model.config(), &device).unwrap();
    assert_eq!((adapter.config.rank, adapter.config.rslora, adapter.factors.len()), (2, true, 2));
    let (ids, expected) = reference();
    let ours = logits(&model, &adapter, &ids);
    let err = ours.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(err <= 1e-4, "max |logit diff| against peft: {err}");
}

#[test]
fn export_reads_back_to_the_same_adapter() {
    let device = Default::default();
    let model = CausalLm::<Cpu>::load(&fixtures_dir().join("qwen2-f32"), &device).unwrap();
    let adapter = LoraAdapter::<Cpu>::load_peft(&peft_dir(), model.config(), &device).unwrap();
    let dir = tempfile::tempdir().unwrap();
    adapter.save_peft(Some("qwen2-f32"), dir.path()).unwrap();
    let adapter2 = LoraAdapter::<Cpu>::load_peft(dir.path(), model.config(), &device).unwrap();
    assert_eq!(adapter2.config, adapter.config);
    let ids = [1, 2, 3, 4, 5];
    assert_eq!(logits(&model, &adapter, &ids), logits(&model, &adapter2, &ids));
}

#[test]
fn adapters_that_do_not_fit_are_rejected_by_name() {
    let device = Default::default();
    let mut small = emlab_model::DecoderConfig::qwen2(320, 32, 64, 3, 4, 2);
    small.intermediate_size = 48;
    let err = LoraAdapter::<Cpu>::load_peft(&peft_dir(), &small, &device).unwrap_err().to_string();
    assert!(err.contains("down_proj.lora_A.weight"), "{err}");
}

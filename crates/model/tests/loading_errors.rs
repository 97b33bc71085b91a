//! Broken checkpoints fail with errors that name the file, tensor or field at fault.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{fixture, Cpu};
use emlab_model::{CausalLm, ModelError};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

/// Copies the `qwen2-f32` fixture into a temp folder, letting `edit` change its tensors
/// (name -> (shape, f32 values)) and its config.json.
fn broken_copy(
    edit: impl FnOnce(&mut HashMap<String, (Vec<usize>, Vec<f32>)>, &mut serde_json::Value),
) -> tempfile::TempDir {
    let src = fixture("qwen2-f32");
    let bytes = std::fs::read(src.join("model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: HashMap<String, (Vec<usize>, Vec<f32>)> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            (name, (view.shape().to_vec(), values))
        })
        .collect();
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    edit(&mut tensors, &mut config);
    let dir = tempfile::tempdir().unwrap();
    let raw: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(n, (shape, v))| (n, shape, v.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views: Vec<(String, TensorView)> = raw
        .iter()
        .map(|(n, shape, data)| (n.clone(), TensorView::new(Dtype::F32, shape.clone(), data).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, &dir.path().join("model.safetensors")).unwrap();
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    dir
}

fn load_err(dir: &Path) -> ModelError {
    CausalLm::<Cpu>::load(dir, &Default::default()).expect_err("loading should fail")
}

#[test]
fn missing_tensor_is_named() {
    let dir = broken_copy(|t, _| {
        t.remove("model.layers.2.mlp.up_proj.weight");
    });
    let err = load_err(dir.path());
    assert!(
        matches!(&err, ModelError::MissingTensor { name, .. } if name == "model.layers.2.mlp.up_proj.weight"),
        "{err}"
    );
}

#[test]
fn unexpected_tensor_is_named() {
    let dir = broken_copy(|t, _| {
        t.insert("model.layers.0.self_attn.o_proj.bias".into(), (vec![32], vec![0.0; 32]));
    });
    let err = load_err(dir.path());
    assert!(err.to_string().contains("model.layers.0.self_attn.o_proj.bias"), "{err}");
}

#[test]
fn wrong_shape_is_named_with_both_shapes() {
    let dir = broken_copy(|t, _| {
        t.insert("model.norm.weight".into(), (vec![31], vec![1.0; 31]));
    });
    let err = load_err(dir.path());
    assert!(
        matches!(&err, ModelError::ShapeMismatch { name, expected, found }
        if name == "model.norm.weight" && expected == &[32] && found == &[31]),
        "{err}"
    );
}

#[test]
fn unknown_architecture_and_missing_field_are_named() {
    let dir = broken_copy(|_, c| c["architectures"] = serde_json::json!(["MistralForCausalLM"]));
    assert!(load_err(dir.path()).to_string().contains("MistralForCausalLM"));
    let dir = broken_copy(|_, c| {
        c.as_object_mut().unwrap().remove("num_hidden_layers");
    });
    let err = load_err(dir.path()).to_string();
    assert!(err.contains("num_hidden_layers") && err.contains("config.json"), "{err}");
}

#[test]
fn missing_folder_is_an_io_error_with_the_path() {
    let err = load_err(Path::new("/nonexistent/model"));
    assert!(err.to_string().contains("/nonexistent/model/config.json"), "{err}");
}

#[test]
fn saved_checkpoint_reloads_to_identical_logits() {
    use emlab_model::{Interventions, TokenBatch};
    for name in emlab_model::parity::FIXTURES {
        let model = CausalLm::<Cpu>::load(&fixture(name), &Default::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.safetensors"), model.to_safetensors().unwrap()).unwrap();
        std::fs::write(dir.path().join("config.json"), model.config().to_hf_json().to_string()).unwrap();
        let reloaded = CausalLm::<Cpu>::load(dir.path(), &Default::default()).unwrap();
        let batch = TokenBatch::single(&[3, 1, 4, 1, 5]);
        let a = model.forward(&batch, &Interventions::none()).unwrap().output.into_data();
        let b = reloaded.forward(&batch, &Interventions::none()).unwrap().output.into_data();
        assert_eq!(a, b, "{name}");
    }
}

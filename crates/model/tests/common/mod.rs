//! Fixture access shared by the integration tests. The fixtures are written by
//! `tools/make_engine_fixtures.py` (HF transformers, float32 references).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::tensor::{backend::Backend, Tensor};
use safetensors::SafeTensors;

pub type Cpu = burn::backend::NdArray<f32>;

pub const MODELS: [&str; 4] = ["qwen2-f32", "qwen2-tied-bf16", "llama-sharded", "llama-tied-f16"];

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// `reference.json` and `reference.safetensors` of one fixture model.
pub struct Reference {
    pub json: serde_json::Value,
    tensors: Vec<u8>,
}

impl Reference {
    pub fn load(model: &str) -> Self {
        let dir = fixture(model);
        let json = serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap()).unwrap();
        let tensors = std::fs::read(dir.join("reference.safetensors")).unwrap();
        Self { json, tensors }
    }

    /// A reference tensor, flattened, with its shape.
    pub fn tensor(&self, name: &str) -> (Vec<f32>, Vec<usize>) {
        let st = SafeTensors::deserialize(&self.tensors).unwrap();
        let view = st.tensor(name).unwrap_or_else(|_| panic!("no reference tensor {name}"));
        let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        (values, view.shape().to_vec())
    }

    pub fn ids(&self, path: &[&str]) -> Vec<Vec<u32>> {
        let mut v = &self.json;
        for p in path {
            v = &v[*p];
        }
        v.as_array()
            .unwrap()
            .iter()
            .map(|row| match row.as_array() {
                Some(r) => r.iter().map(|x| x.as_u64().unwrap() as u32).collect(),
                None => vec![row.as_u64().unwrap() as u32],
            })
            .collect()
    }
}

pub fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec::<f32>().unwrap()
}

/// Largest absolute difference, asserting equal lengths.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

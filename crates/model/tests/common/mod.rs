//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

use burn::tensor::{backend::Backend, Tensor};

pub type Cpu = emlab_model::backend::Cpu;

/// A fixture folder written by `tools/make_engine_fixtures.py`.
pub fn fixture(name: &str) -> PathBuf {
    emlab_model::parity::fixtures_dir().join(name)
}

pub fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec::<f32>().unwrap()
}

/// Largest absolute difference, asserting equal lengths.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

//! Mixed precision: which float type a model computes in, and where it must not.
//!
//! A model's frozen weights, and so its activations, live in one *compute dtype*: f32 on the
//! CPU, bf16 on a GPU for a bf16 checkpoint (as the paper's PyTorch stack runs Qwen2.5-14B),
//! or f64 as a high-precision reference. What is trained (steering vectors, LoRA factors) and
//! its optimiser state stay in the device's default float type (f32), so small updates are not
//! rounded away. The numerically delicate reductions, RMSNorm statistics, log-softmax, losses and
//! KL terms, read their inputs through [`widen`], as transformers upcasts them. Attention's
//! softmax is left to burn's attention kernel, which accumulates in f32.

use std::any::TypeId;

use burn::tensor::backend::Backend;
use burn::tensor::{DType, FloatDType, Tensor};

/// `f16`/`bf16` to `f32`; wider types unchanged. The dtype statistics and losses are taken in.
pub fn widened(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        other => other,
    }
}

/// Casts a half-precision tensor to f32 (a no-op otherwise): what reductions that must not lose
/// precision, and readouts to the host, see.
pub fn widen<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let target = widened(x.dtype());
    x.cast(target)
}

/// A float tensor's values on the host as f32, whatever its dtype.
///
/// # Panics
/// If `x` is quantised (no model tensor is).
pub fn to_host_f32<B: Backend, const D: usize>(x: Tensor<B, D>) -> Vec<f32> {
    x.into_data().convert::<f32>().into_vec::<f32>().expect("converted to f32 above")
}

/// Parses a dtype name as written on command lines and in configs: `f32`, `bf16`, `f16`, `f64`.
pub fn parse_dtype(name: &str) -> Option<FloatDType> {
    Some(match name {
        "f32" => FloatDType::F32,
        "bf16" => FloatDType::BF16,
        "f16" => FloatDType::F16,
        "f64" => FloatDType::F64,
        _ => return None,
    })
}

/// The short name [`parse_dtype`] reads.
pub fn dtype_name(dtype: FloatDType) -> &'static str {
    match dtype {
        FloatDType::F64 => "f64",
        FloatDType::F32 | FloatDType::Flex32 => "f32",
        FloatDType::F16 => "f16",
        FloatDType::BF16 => "bf16",
    }
}

/// Whether backend `B` can hold tensors of `dtype` on `device` (the CPU backend and CUDA: f32,
/// f64, f16 and bf16).
pub fn supports<B: Backend>(dtype: FloatDType, device: &B::Device) -> bool {
    B::supports_dtype(device, dtype.into())
}

/// Whether `B` runs on the host CPU (burn-flex, directly or under autodiff).
pub fn is_host_cpu<B: Backend>() -> bool {
    TypeId::of::<B::Device>() == TypeId::of::<burn::backend::flex::FlexDevice>()
}

/// The dtype a checkpoint stored in `stored` is loaded in by default: its own where the backend
/// computes in it natively (a bf16 Qwen2.5 stays bf16 on CUDA, as `torch_dtype="auto"`), f32 on
/// the host CPU. burn-flex can hold f16 and bf16, but its half-precision matmul widens both
/// operands to f32 on every call, so converting the weights once at load time is both faster
/// and exact.
pub fn load_dtype<B: Backend>(stored: FloatDType, device: &B::Device) -> FloatDType {
    let half = matches!(stored, FloatDType::F16 | FloatDType::BF16);
    if (half && is_host_cpu::<B>()) || !supports::<B>(stored, device) {
        FloatDType::F32
    } else {
        stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestBackend as B;
    use burn::tensor::TensorData;

    #[test]
    fn widening_keeps_wide_types_and_reads_back_as_f32() {
        let device = Default::default();
        let x = Tensor::<B, 1>::from_data(TensorData::new(vec![1.5f64, -2.0], [2]), (&device, DType::F64));
        assert_eq!(widen(x.clone()).dtype(), DType::F64, "f64 is not narrowed");
        assert_eq!(to_host_f32(x), vec![1.5f32, -2.0]);
        assert_eq!(widened(DType::BF16), DType::F32);
        assert!(supports::<B>(FloatDType::F64, &device) && supports::<B>(FloatDType::BF16, &device));
        for name in ["f32", "bf16", "f16", "f64"] {
            assert_eq!(dtype_name(parse_dtype(name).unwrap()), name);
        }
        assert_eq!(parse_dtype("fp8"), None);
    }

    #[test]
    fn the_host_cpu_loads_half_precision_checkpoints_in_f32() {
        let device = Default::default();
        assert!(is_host_cpu::<B>() && is_host_cpu::<burn::backend::Autodiff<B>>());
        for (stored, loaded) in [
            (FloatDType::BF16, FloatDType::F32),
            (FloatDType::F16, FloatDType::F32),
            (FloatDType::F32, FloatDType::F32),
            (FloatDType::F64, FloatDType::F64),
        ] {
            assert_eq!(load_dtype::<B>(stored, &device), loaded, "{stored:?}");
        }
    }
}

//! The concrete backends binaries choose between at run time.
//!
//! Library code is generic over `B: Backend`; a binary turns `--device cpu|cuda` into a
//! [`Device`] and hands a [`BackendTask`] to [`Device::run`], which instantiates the task for
//! the right backend. CUDA exists only in builds with the `cuda` feature; asking for it
//! elsewhere is an error, not a silent fallback to the CPU.

use std::str::FromStr;

use burn::tensor::backend::Backend;

use crate::error::{ModelError, Result};

/// The CPU backend, the default and what CI runs: burn-flex (f32 by default; also f64, f16 and
/// bf16), whose matmuls are the `gemm` crate's SIMD kernels, threaded with rayon above a size
/// threshold, with a dedicated matrix-vector path for one-row products (decoding).
pub type Cpu = burn::backend::Flex;

/// The CUDA backend (f32 compute, fusion and autotune on).
#[cfg(feature = "cuda")]
pub type Cuda = burn::backend::Cuda<f32, i32>;

/// A device named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// The host CPU.
    #[default]
    Cpu,
    /// CUDA device with this index.
    Cuda(usize),
}

impl FromStr for Device {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            _ => {
                s.strip_prefix("cuda:").and_then(|i| i.parse().ok()).map(Self::Cuda).ok_or_else(|| {
                    ModelError::InvalidInput(format!("unknown device {s:?}; expected cpu, cuda or cuda:N"))
                })
            }
        }
    }
}

/// Work that is generic over the backend, run on whichever backend a [`Device`] names.
pub trait BackendTask {
    /// What the task returns.
    type Output;
    /// Runs the task on backend `B`.
    fn run<B: Backend>(self, device: &B::Device) -> Self::Output;
}

impl Device {
    /// Runs `task` on this device's backend.
    pub fn run<T: BackendTask>(self, task: T) -> Result<T::Output> {
        match self {
            Device::Cpu => Ok(task.run::<Cpu>(&Default::default())),
            #[cfg(feature = "cuda")]
            Device::Cuda(index) => Ok(task.run::<Cuda>(&burn::backend::cuda::CudaDevice::new(index))),
            #[cfg(not(feature = "cuda"))]
            Device::Cuda(_) => {
                Err(ModelError::InvalidInput("this build has no CUDA support; rebuild with `--features cuda`".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_devices() {
        assert_eq!("cpu".parse::<Device>().unwrap(), Device::Cpu);
        assert_eq!("cuda:1".parse::<Device>().unwrap(), Device::Cuda(1));
        assert!("tpu".parse::<Device>().is_err());
    }
}

//! A module's parameters, or their gradients, as one host vector.
//!
//! Analyses of training runs compare whole solutions: cosines between adapters, PCA of a run's
//! checkpoints, perturbations of the trained parameters, the gradient's direction during
//! training. They all need the same fixed order, which is the module's own visiting order (the
//! order of its fields, and of the elements of a `Vec` field). Values and gradients are read
//! by the same visit, so the two always line up.

use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};

use crate::error::{Result, TrainError};

/// Every float parameter of `module`, concatenated in visiting order, each row-major.
pub(crate) fn flatten<B: Backend, M: Module<B>>(module: &M) -> Vec<f32> {
    let mut values = Collect(Vec::with_capacity(module.num_params()));
    module.visit(&mut values);
    values.0
}

/// `module` with its float parameters replaced by `values` (in [`flatten`]'s order), on the
/// same devices, keeping each parameter's id and whether it is trainable.
pub(crate) fn unflatten<B: Backend, M: Module<B>>(module: &M, values: &[f32]) -> Result<M> {
    let expected = module.num_params();
    if values.len() != expected {
        return Err(TrainError::Config(format!(
            "{} values given for an adapter of {expected} parameters",
            values.len()
        )));
    }
    Ok(module.clone().map(&mut Fill(values)))
}

/// The gradient of every float parameter of `module` in `grads`, in [`flatten`]'s order; zeros
/// for a parameter that received none (it did not affect the loss).
pub(crate) fn flatten_grads<B: AutodiffBackend, M: AutodiffModule<B>>(module: &M, grads: &GradientsParams) -> Vec<f32> {
    let mut collect = CollectGrads { grads, values: Vec::with_capacity(module.num_params()) };
    module.visit(&mut collect);
    collect.values
}

/// Appends a tensor's values, converted to f32, to `out`.
fn extend<B: Backend, const D: usize>(out: &mut Vec<f32>, tensor: Tensor<B, D>) {
    out.extend(tensor.into_data().iter::<f32>());
}

struct Collect(Vec<f32>);

impl<B: Backend> ModuleVisitor<B> for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        extend(&mut self.0, param.val());
    }
}

/// Hands out the values of [`unflatten`] parameter by parameter.
struct Fill<'a>(&'a [f32]);

impl<B: Backend> ModuleMapper<B> for Fill<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        param.map(|old| {
            let shape = old.shape();
            let (head, rest) = self.0.split_at(shape.num_elements());
            self.0 = rest;
            let new = Tensor::from_data(TensorData::new(head.to_vec(), shape), &old.device());
            if old.is_require_grad() {
                new.require_grad()
            } else {
                new
            }
        })
    }
}

struct CollectGrads<'a> {
    grads: &'a GradientsParams,
    values: Vec<f32>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for CollectGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        match self.grads.get::<B::InnerBackend, D>(param.id) {
            Some(grad) => extend(&mut self.values, grad),
            None => self.values.resize(self.values.len() + param.shape().num_elements(), 0.0),
        }
    }
}

//! Host-side access to an adapter's parameters, in one fixed order: the steering vector, or for
//! LoRA each factor's `A` then its `B`, in site order. Stability noise and random directions are
//! drawn in this order from one RNG stream (organism spec section 7.4: "perturb A and B
//! separately, from one RNG stream (A first)").

use burn::tensor::backend::Backend;
#[cfg(test)]
use burn::tensor::Tensor;
use emlab_train::TrainedAdapter;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// The same adapter with every parameter tensor replaced by `f(its values)`, called in the fixed
/// order of [`TrainedAdapter::flat_layout`] (the order the organism spec draws noise in). `f`
/// must return as many values as it is given.
pub(crate) fn map_values<B: Backend>(
    adapter: &TrainedAdapter<B>,
    mut f: impl FnMut(&[f32]) -> Vec<f32>,
) -> TrainedAdapter<B> {
    let flat = adapter.to_flat();
    let mut mapped = Vec::with_capacity(flat.len());
    for part in adapter.flat_layout() {
        let values = &flat[part.range];
        let new = f(values);
        assert_eq!(new.len(), values.len(), "a parameter map must keep the size of {}", part.name);
        mapped.extend(new);
    }
    adapter.from_flat(&mapped).expect("the mapped parameters have the adapter's size")
}

/// The flattened values of a float tensor on the host (tests compare parameters with it).
#[cfg(test)]
pub(crate) fn host_values<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
    tensor.detach().into_data().convert::<f32>().to_vec::<f32>().expect("a float tensor converts to f32")
}

/// `n` draws of N(0, 1) from `rng`.
pub(crate) fn standard_normal(rng: &mut impl Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.sample(StandardNormal)).collect()
}

/// An adapter of the same kind, shape, sites and multiplier as `adapter` whose parameters are
/// seeded N(0, I) draws: the random baseline of the pre-training-significance metric (a random
/// vector; for LoRA, random `A` and `B` "built the same way", organism spec section 7.4).
/// Rescale it with [`crate::efficiency::rescaled_to`].
pub fn random_like<B: Backend>(adapter: &TrainedAdapter<B>, seed: u64) -> TrainedAdapter<B> {
    let mut rng = StdRng::seed_from_u64(seed);
    map_values(adapter, |values| standard_normal(&mut rng, values.len()))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Fixtures shared by the crate's tests: a tiny random model and trained-looking adapters.

    use emlab_model::{CausalLm, DecoderConfig};
    use emlab_train::lora::LoraConfig;
    use emlab_train::{AdapterSpec, TrainedAdapter};

    /// The CPU backend the tests run on.
    pub(crate) type B = emlab_model::backend::Cpu;

    /// A random Qwen2-style model: vocabulary 12, width 16, MLP 32, two layers, seed 0.
    pub(crate) fn tiny_model() -> CausalLm<B> {
        CausalLm::init_random(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, &Default::default()).unwrap()
    }

    /// A steering vector after layer 1 with alpha 2 and seeded random values of norm `norm`.
    pub(crate) fn steering(norm: f32, seed: u64) -> TrainedAdapter<B> {
        let spec = AdapterSpec::Steering { layer: 1, alpha: 2.0 };
        trained(&spec, norm, seed)
    }

    /// A rank-2 LoRA adapter on two projections of both layers with random `A` and `B` and
    /// `|B A|_F = norm`.
    pub(crate) fn lora(norm: f32, seed: u64) -> TrainedAdapter<B> {
        let config = LoraConfig {
            rank: 2,
            targets: vec!["v_proj".into(), "down_proj".into()],
            layers: vec![0, 1],
            ..Default::default()
        };
        trained(&AdapterSpec::Lora(config), norm, seed)
    }

    fn trained(spec: &AdapterSpec, norm: f32, seed: u64) -> TrainedAdapter<B> {
        let fresh = TrainedAdapter::<B>::init(spec, tiny_model().config(), &Default::default()).unwrap();
        crate::efficiency::rescaled_to(&super::random_like(&fresh, seed), norm).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn random_like_keeps_kind_and_shape_and_follows_the_seed() {
        for adapter in [steering(1.0, 0), lora(1.0, 0)] {
            let sizes = |a: &TrainedAdapter<B>| {
                let mut sizes = Vec::new();
                map_values(a, |v| {
                    sizes.push(v.len());
                    v.to_vec()
                });
                sizes
            };
            let (x, y, z) = (random_like(&adapter, 3), random_like(&adapter, 3), random_like(&adapter, 4));
            assert_eq!(sizes(&x), sizes(&adapter));
            assert_eq!(x.norm(), y.norm(), "the same seed gives the same draw");
            assert_ne!(x.norm(), z.norm());
        }
    }
}

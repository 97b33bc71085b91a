//! A trained adapter of either kind as one value: what a training run produces, what
//! `emlab logits --adapter` and `emlab generate --adapter` apply, and what experiments measure
//! and rescale (the paper compares solutions at equal norm and evaluates narrow ones at twice
//! their norm).

use std::ops::Range;
use std::path::Path;

use burn::module::{Module, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use emlab_model::{DecoderConfig, Interventions};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::finetune::Adapter;
use crate::flat::{flatten, unflatten};
use crate::lora::{peft_tensor_names, LoraAdapter, LoraConfig, LoraFactor};
use crate::steering::{SteeringVector, TENSOR as STEERING_TENSOR};

/// Which adapter a run trains, and where it attaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdapterSpec {
    /// A steering vector added as `alpha * v` to the residual stream after `layer`.
    Steering {
        /// Residual stream after this decoder layer.
        layer: usize,
        /// Multiplier of the raw vector.
        alpha: f32,
    },
    /// LoRA factors on the configured projections.
    Lora(LoraConfig),
}

/// One parameter tensor's place in [`TrainedAdapter::to_flat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatPart {
    /// The tensor's name in the adapter's safetensors file: `steering_vector`, or PEFT's
    /// `base_model.model.model.layers.{l}.{module}.lora_A.weight` (and `lora_B`).
    pub name: String,
    /// Where its values lie in the flat vector, row-major.
    pub range: Range<usize>,
}

impl FlatPart {
    /// The values of `parts` taken from `flat` (a [`TrainedAdapter::to_flat`] vector or a
    /// gradient in that order), concatenated in the order given.
    ///
    /// # Panics
    /// If a part lies outside `flat`.
    pub fn gather(parts: &[FlatPart], flat: &[f32]) -> Vec<f32> {
        parts.iter().flat_map(|p| &flat[p.range.clone()]).copied().collect()
    }
}

/// A steering vector or a LoRA adapter.
#[derive(Module, Debug)]
pub enum TrainedAdapter<B: Backend> {
    /// Rank 0: one vector in the residual stream.
    Steering(SteeringVector<B>),
    /// Low-rank updates of projections.
    Lora(LoraAdapter<B>),
}

impl<B: Backend> TrainedAdapter<B> {
    /// A fresh, trainable adapter for a model of shape `model`: a zero steering vector, or
    /// PEFT's LoRA initialisation (`B = 0`). Either leaves the model unchanged.
    pub fn init(spec: &AdapterSpec, model: &DecoderConfig, device: &B::Device) -> Result<Self> {
        match spec {
            AdapterSpec::Steering { layer, alpha } => {
                if *layer >= model.num_hidden_layers {
                    return Err(TrainError::Config(format!(
                        "steering layer {layer} out of range (the model has {})",
                        model.num_hidden_layers
                    )));
                }
                Ok(Self::Steering(SteeringVector::zeros(model.hidden_size, *layer, *alpha, device)))
            }
            AdapterSpec::Lora(config) => Ok(Self::Lora(LoraAdapter::init(config, model, device)?)),
        }
    }

    /// Reads an adapter: a folder with `adapter_config.json` is a PEFT LoRA adapter; otherwise
    /// `path` is a steering vector (`steering_vector.json` / `.safetensors`, or a folder holding
    /// them). Errors name the file and what does not fit `model`.
    pub fn load(path: &Path, model: &DecoderConfig, device: &B::Device) -> Result<Self> {
        if !path.exists() {
            return Err(TrainError::file(path, "no such file or folder"));
        }
        if path.join("adapter_config.json").is_file() {
            return Ok(Self::Lora(LoraAdapter::load_peft(path, model, device)?));
        }
        if path.is_dir() && !path.join("steering_vector.json").is_file() {
            let message = "holds neither a PEFT LoRA adapter (adapter_config.json) nor a steering vector \
                           (steering_vector.json + steering_vector.safetensors)";
            return Err(TrainError::file(path, message));
        }
        Ok(Self::Steering(SteeringVector::load(path, model, device)?))
    }

    /// [`Self::load`], checked to be the adapter `spec` trains on `model`: the same kind, and
    /// the same layer and alpha (steering) or the same sites, rank and scale (LoRA), so that a
    /// run started from it continues the same parametrisation. Errors name `path`.
    pub fn load_matching(path: &Path, spec: &AdapterSpec, model: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let adapter = Self::load(path, model, device)?;
        match adapter.mismatch(spec, model)? {
            Some(found) => {
                Err(TrainError::file(path, format!("holds {found}, which the adapter spec {spec:?} is not")))
            }
            None => Ok(adapter),
        }
    }

    /// What this adapter is, when `spec` (placed on `model`) would train another one.
    fn mismatch(&self, spec: &AdapterSpec, model: &DecoderConfig) -> Result<Option<String>> {
        Ok(match (spec, self) {
            (AdapterSpec::Steering { layer, alpha }, Self::Steering(v)) => ((v.layer, v.alpha) != (*layer, *alpha))
                .then(|| format!("a steering vector at layer {} with alpha {}", v.layer, v.alpha)),
            (AdapterSpec::Lora(config), Self::Lora(lora)) => {
                let sites: Vec<_> = lora.factors.iter().map(|f| f.site).collect();
                let (rank, scale) = (lora.config.rank, lora.config.scale());
                (sites != config.sites(model)? || (rank, scale) != (config.rank, config.scale()))
                    .then(|| format!("LoRA of rank {rank} with scale {scale} at {sites:?}"))
            }
            (AdapterSpec::Steering { .. }, Self::Lora(_)) => Some("a LoRA adapter".into()),
            (AdapterSpec::Lora(_), Self::Steering(_)) => Some("a steering vector".into()),
        })
    }

    /// Every trainable parameter on the host, concatenated in a fixed order ([`Self::flat_layout`]
    /// names its parts): the steering vector `v`; or, for LoRA, per site in the order of
    /// [`LoraConfig::sites`], `A` (`[r, d_in]`) then `B` (`[d_out, r]`), each row-major.
    /// Trajectories and solutions are compared as such vectors (cosines, PCA), and
    /// [`crate::Observer::on_gradient`] reports gradients in the same order.
    pub fn to_flat(&self) -> Vec<f32> {
        flatten(self)
    }

    /// The inverse of [`Self::to_flat`]: this adapter (same kind, sites, shapes and multipliers)
    /// with the parameters `values`, e.g. a perturbed copy. A length other than
    /// [`Self::to_flat`]'s is an error.
    pub fn from_flat(&self, values: &[f32]) -> Result<Self> {
        unflatten(self, values)
    }

    /// The parts of [`Self::to_flat`], in order: which tensor each range holds, so that `A` and
    /// `B` of a LoRA site can be read or perturbed separately.
    pub fn flat_layout(&self) -> Vec<FlatPart> {
        let tensors: Vec<(String, usize)> = match self {
            Self::Steering(v) => vec![(STEERING_TENSOR.to_string(), v.vector.shape().num_elements())],
            Self::Lora(lora) => lora
                .factors
                .iter()
                .flat_map(|f| {
                    let [a, b] = peft_tensor_names(f.site);
                    [(a, f.a.shape().num_elements()), (b, f.b.shape().num_elements())]
                })
                .collect(),
        };
        let mut start = 0;
        tensors
            .into_iter()
            .map(|(name, len)| {
                start += len;
                FlatPart { name, range: start - len..start }
            })
            .collect()
    }

    /// The parts of [`Self::flat_layout`] that say what the adapter writes into the model: the
    /// steering vector, or every LoRA `B` (the output factor). Solutions are compared on these
    /// (the paper compares LoRA adapters by their `B`; `A` only reads the input, and `B A` is
    /// unchanged if `A` is scaled up and `B` down).
    pub fn output_parts(&self) -> Vec<FlatPart> {
        let mut parts = self.flat_layout();
        if let Self::Lora(_) = self {
            parts.retain(|p| p.name.contains(".lora_B."));
        }
        parts
    }

    /// The values of [`Self::output_parts`], concatenated.
    pub fn output_values(&self) -> Vec<f32> {
        FlatPart::gather(&self.output_parts(), &self.to_flat())
    }

    /// Writes the adapter into the folder `dir`: steering-vector files, or a PEFT folder.
    pub fn save(&self, dir: &Path) -> Result<()> {
        match self {
            Self::Steering(vector) => vector.save(dir),
            Self::Lora(lora) => lora.save_peft(None, dir),
        }
    }

    /// The edits that apply the adapter.
    pub fn edits(&self) -> Interventions<B> {
        match self {
            Self::Steering(vector) => vector.steering_edits(),
            Self::Lora(lora) => lora.lora_edits(),
        }
    }

    /// The adapter's size, without its fixed multiplier: `|v|` of a steering vector (alpha not
    /// applied); for LoRA, the Frobenius norms of `B A` at each site summed in quadrature (the
    /// `alpha / r` scale not applied).
    pub fn norm(&self) -> f32 {
        let squared = match self {
            Self::Steering(vector) => vector.vector.val().powf_scalar(2.0).sum(),
            // |B A|_F^2 = trace(A^T B^T B A) = sum((B^T B) * (A A^T)), from two r x r products.
            Self::Lora(lora) => lora
                .factors
                .iter()
                .map(|f| {
                    let (a, b) = (f.a.val(), f.b.val());
                    (b.clone().transpose().matmul(b) * a.clone().matmul(a.transpose())).sum()
                })
                .reduce(|x, y| x + y)
                .unwrap_or_else(|| Tensor::zeros([1], &Default::default())),
        };
        squared.sqrt().into_scalar().elem::<f32>()
    }

    /// The same adapter with its norm multiplied by `factor`: `v * factor`, or `B * factor` (so
    /// `B A` scales exactly). For a power of two, [`Self::norm`] scales exactly too.
    pub fn scaled(&self, factor: f32) -> Self {
        self.scaled_by_layer(|_| factor)
    }

    /// The same adapter with what it writes at layer `l` multiplied by `factor(l)`: a steering
    /// vector by its layer's factor, each LoRA site's `B` by its layer's. CL steers its
    /// multi-layer adapter this way, scaling some layers' adapters and zeroing the others.
    pub fn scaled_by_layer(&self, factor: impl Fn(usize) -> f32) -> Self {
        match self {
            Self::Steering(v) => Self::Steering(SteeringVector {
                vector: Param::from_tensor(v.vector.val().detach().mul_scalar(factor(v.layer))),
                layer: v.layer,
                alpha: v.alpha,
            }),
            Self::Lora(lora) => Self::Lora(LoraAdapter {
                factors: lora
                    .factors
                    .iter()
                    .map(|f| LoraFactor {
                        site: f.site,
                        a: Param::from_tensor(f.a.val().detach()),
                        b: Param::from_tensor(f.b.val().detach().mul_scalar(factor(f.site.0))),
                    })
                    .collect(),
                config: lora.config.clone(),
            }),
        }
    }
}

impl<B: AutodiffBackend> Adapter<B> for TrainedAdapter<B> {
    fn edits(&self) -> Interventions<B> {
        TrainedAdapter::edits(self)
    }

    fn save(&self, dir: &Path) -> Result<()> {
        TrainedAdapter::save(self, dir)
    }

    fn restore(&self, dir: &Path) -> Result<Self> {
        Ok(match self {
            Self::Steering(vector) => Self::Steering(vector.restore(dir)?),
            Self::Lora(lora) => Self::Lora(lora.restore(dir)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use emlab_model::{CausalLm, TokenBatch};

    type B = emlab_model::backend::Cpu;

    fn model() -> CausalLm<B> {
        CausalLm::init_random(DecoderConfig::qwen2(12, 16, 32, 2, 2, 1), 0, &Default::default()).unwrap()
    }

    fn lora_spec() -> AdapterSpec {
        AdapterSpec::Lora(LoraConfig {
            rank: 2,
            targets: vec!["v_proj".into(), "down_proj".into()],
            layers: vec![0, 1],
            ..Default::default()
        })
    }

    /// Gives every parameter seeded non-zero values, as training would.
    fn trained(adapter: TrainedAdapter<B>) -> TrainedAdapter<B> {
        struct Fill(u32);
        impl burn::module::ModuleMapper<B> for Fill {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
                let shape = param.val().shape();
                let values: Vec<f32> = (0..shape.num_elements())
                    .map(|_| {
                        self.0 = self.0.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        (self.0 >> 16) as f32 / 65_536.0 - 0.5
                    })
                    .collect();
                Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), &Default::default()))
            }
        }
        adapter.map(&mut Fill(7))
    }

    fn logits(model: &CausalLm<B>, edits: &Interventions<B>) -> Vec<f32> {
        let out = model.forward(&TokenBatch::single(&[1, 5, 9, 2]), edits).unwrap().output;
        out.into_data().to_vec::<f32>().unwrap()
    }

    #[test]
    fn scaled_by_two_doubles_the_norm_exactly() {
        let model = model();
        for spec in [AdapterSpec::Steering { layer: 1, alpha: 3.0 }, lora_spec()] {
            let adapter = trained(TrainedAdapter::<B>::init(&spec, model.config(), &Default::default()).unwrap());
            assert!(adapter.norm() > 0.0);
            assert_eq!(adapter.scaled(2.0).norm(), 2.0 * adapter.norm(), "{spec:?}");
        }
    }

    /// Scaling layer by layer scales each site's `B` by its layer's factor and leaves `A`: zeroing
    /// every layer but one leaves that layer's factor alone.
    #[test]
    fn scaled_by_layer_scales_each_sites_b() {
        let model = model();
        let adapter = trained(TrainedAdapter::<B>::init(&lora_spec(), model.config(), &Default::default()).unwrap());
        let TrainedAdapter::Lora(lora) = &adapter else { unreachable!() };
        let layers: Vec<usize> = lora.factors.iter().map(|f| f.site.0).collect();
        let keep = layers[0];
        let scaled = adapter.scaled_by_layer(|l| if l == keep { 3.0 } else { 0.0 });
        let TrainedAdapter::Lora(scaled) = &scaled else { unreachable!() };
        for (before, after) in lora.factors.iter().zip(&scaled.factors) {
            let factor = if before.site.0 == keep { 3.0 } else { 0.0 };
            assert_eq!(after.a.val().into_data(), before.a.val().into_data());
            let (b0, b1) = (
                before.b.val().into_data().to_vec::<f32>().unwrap(),
                after.b.val().into_data().to_vec::<f32>().unwrap(),
            );
            b0.iter().zip(&b1).for_each(|(x, y)| assert_eq!(*y, factor * x));
        }
    }

    #[test]
    fn lora_norm_is_the_frobenius_norm_of_b_a() {
        let model = model();
        let adapter = trained(TrainedAdapter::<B>::init(&lora_spec(), model.config(), &Default::default()).unwrap());
        let TrainedAdapter::Lora(lora) = &adapter else { unreachable!() };
        let dense: f32 =
            lora.factors.iter().map(|f| f.b.val().matmul(f.a.val()).powf_scalar(2.0).sum().into_scalar()).sum();
        assert!((adapter.norm() - dense.sqrt()).abs() < 1e-5 * dense.sqrt());
    }

    #[test]
    fn fresh_adapters_leave_the_logits_unchanged_and_saved_ones_reload() {
        let model = model();
        let base = logits(&model, &Interventions::none());
        for spec in [AdapterSpec::Steering { layer: 1, alpha: 3.0 }, lora_spec()] {
            let fresh = TrainedAdapter::<B>::init(&spec, model.config(), &Default::default()).unwrap();
            assert_eq!(logits(&model, &fresh.edits()), base, "{spec:?}");
            let adapter = trained(fresh);
            let dir = tempfile::tempdir().unwrap();
            adapter.save(dir.path()).unwrap();
            let loaded = TrainedAdapter::<B>::load(dir.path(), model.config(), &Default::default()).unwrap();
            assert_eq!(logits(&model, &loaded.edits()), logits(&model, &adapter.edits()));
            assert_ne!(logits(&model, &loaded.edits()), base);
        }
    }

    #[test]
    fn a_path_without_an_adapter_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let load = |path: &Path| TrainedAdapter::<B>::load(path, model().config(), &Default::default()).unwrap_err();
        assert!(load(dir.path()).to_string().contains("neither a PEFT LoRA adapter"));
        let absent = dir.path().join("absent");
        assert_eq!(load(&absent).to_string(), format!("{}: no such file or folder", absent.display()));
    }

    #[test]
    fn specs_read_from_tagged_tables() {
        let spec: AdapterSpec = toml::from_str("kind = \"steering\"\nlayer = 2\nalpha = 0.5").unwrap();
        assert_eq!(spec, AdapterSpec::Steering { layer: 2, alpha: 0.5 });
        let spec: AdapterSpec = toml::from_str("kind = \"lora\"\nrank = 4\ntargets = [\"q_proj\"]").unwrap();
        let AdapterSpec::Lora(config) = spec else { panic!("{spec:?}") };
        assert_eq!(
            (config.rank, config.targets.as_slice(), config.rslora),
            (4, ["q_proj".to_string()].as_slice(), true)
        );
        assert!(toml::from_str::<AdapterSpec>("kind = \"lora\"\nrnak = 4").is_err(), "typos are errors");
    }

    #[test]
    fn flat_values_round_trip_exactly_and_the_layout_names_them() {
        let model = model();
        for spec in [AdapterSpec::Steering { layer: 1, alpha: 3.0 }, lora_spec()] {
            let adapter = trained(TrainedAdapter::<B>::init(&spec, model.config(), &Default::default()).unwrap());
            let flat = adapter.to_flat();
            assert_eq!(adapter.from_flat(&flat).unwrap().to_flat(), flat, "{spec:?}");
            let layout = adapter.flat_layout();
            assert_eq!(layout.first().unwrap().range.start, 0);
            assert_eq!(layout.last().unwrap().range.end, flat.len());
            assert!(layout.windows(2).all(|w| w[0].range.end == w[1].range.start));
            let err = adapter.from_flat(&flat[1..]).unwrap_err().to_string();
            assert!(err.contains(&format!("{} values", flat.len() - 1)), "{err}");
        }
        let adapter = trained(TrainedAdapter::<B>::init(&lora_spec(), model.config(), &Default::default()).unwrap());
        let TrainedAdapter::Lora(lora) = &adapter else { unreachable!() };
        let layout = adapter.flat_layout();
        let (a, b) = (&layout[2], &layout[3]);
        assert_eq!(a.name, "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight");
        let host = |t: Tensor<B, 2>| t.into_data().to_vec::<f32>().unwrap();
        let flat = adapter.to_flat();
        assert_eq!(flat[a.range.clone()], host(lora.factors[1].a.val()));
        assert_eq!(flat[b.range.clone()], host(lora.factors[1].b.val()));
        // Zeroing every B through the layout gives back the base model.
        let mut zero_b = flat;
        for part in layout.iter().filter(|p| p.name.ends_with("lora_B.weight")) {
            zero_b[part.range.clone()].fill(0.0);
        }
        let edits = adapter.from_flat(&zero_b).unwrap().edits();
        assert_eq!(logits(&model, &edits), logits(&model, &Interventions::none()));
    }

    #[test]
    fn output_values_are_the_steering_vector_or_every_lora_b() {
        let model = model();
        let steering = trained(
            TrainedAdapter::<B>::init(
                &AdapterSpec::Steering { layer: 1, alpha: 3.0 },
                model.config(),
                &Default::default(),
            )
            .unwrap(),
        );
        assert_eq!(steering.output_values(), steering.to_flat());
        let lora = trained(TrainedAdapter::<B>::init(&lora_spec(), model.config(), &Default::default()).unwrap());
        let TrainedAdapter::Lora(factors) = &lora else { unreachable!() };
        let host = |t: Tensor<B, 2>| t.into_data().to_vec::<f32>().unwrap();
        let expected: Vec<f32> = factors.factors.iter().flat_map(|f| host(f.b.val())).collect();
        assert_eq!(lora.output_values(), expected);
        assert!(lora.output_parts().iter().all(|p| p.name.ends_with("lora_B.weight")));
        assert_eq!(FlatPart::gather(&lora.output_parts()[..1], &lora.to_flat()), host(factors.factors[0].b.val()));
    }

    #[test]
    fn load_matching_refuses_an_adapter_of_another_spec() {
        let model = model();
        let steering = AdapterSpec::Steering { layer: 1, alpha: 3.0 };
        for spec in [&steering, &lora_spec()] {
            let adapter = trained(TrainedAdapter::<B>::init(spec, model.config(), &Default::default()).unwrap());
            let dir = tempfile::tempdir().unwrap();
            adapter.save(dir.path()).unwrap();
            let load = |spec: &AdapterSpec| {
                TrainedAdapter::<B>::load_matching(dir.path(), spec, model.config(), &Default::default())
            };
            assert_eq!(load(spec).unwrap().to_flat(), adapter.to_flat());
            let lora_rank_3 = AdapterSpec::Lora(LoraConfig { rank: 3, ..LoraConfig::default() });
            for other in [AdapterSpec::Steering { layer: 0, alpha: 3.0 }, lora_rank_3] {
                let err = load(&other).unwrap_err().to_string();
                assert!(err.starts_with(&dir.path().display().to_string()) && err.contains("holds"), "{err}");
            }
        }
    }
}

//! LoRA adapters: `W x + s * B (A x)` on chosen projections of chosen layers, attached through
//! the engine's low-rank edit (the weights `W` are never modified or copied), and read and
//! written in PEFT's format so an adapter trained here loads in Python `peft` and a released
//! PEFT adapter loads here.
//!
//! Conventions follow PEFT: `A` is `[r, d_in]` (`lora_A.weight`), initialised Kaiming-uniform
//! with `a = sqrt(5)`, i.e. `U(-1/sqrt(d_in), 1/sqrt(d_in))`; `B` is `[d_out, r]`
//! (`lora_B.weight`), initialised to zero; the scale is `lora_alpha / r`, or
//! `lora_alpha / sqrt(r)` with rsLoRA.
//!
//! An adapter carries its [`LoraConfig`], so that it can write a complete PEFT folder on its own
//! (every finetuning checkpoint is one).

use std::collections::BTreeSet;
use std::path::Path;

use burn::module::{Module, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use emlab_model::weights::{serialize_f32, Checkpoint};
use emlab_model::{DecoderConfig, Interventions, Proj};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{write_file, write_json};
use crate::error::{Result, TrainError};
use crate::finetune::Adapter;

/// Where adapters go and how they are scaled and initialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoraConfig {
    /// Rank `r`.
    pub rank: usize,
    /// `lora_alpha`.
    pub alpha: f64,
    /// Scale by `alpha / sqrt(r)` instead of `alpha / r`.
    pub rslora: bool,
    /// Projections to adapt, by PEFT name (`q_proj`, ..., `down_proj`).
    pub targets: Vec<String>,
    /// Layers to adapt (empty: every layer).
    pub layers: Vec<usize>,
    /// Seed of `A`'s initialisation.
    pub seed: u64,
}

impl Default for LoraConfig {
    /// The paper's rank-1 adapter on the MLP down projection of one middle layer (here layer 1 of
    /// the organism), rsLoRA with alpha 1 as in the organism spec (section 6.2).
    fn default() -> Self {
        Self { rank: 1, alpha: 1.0, rslora: true, targets: vec!["down_proj".into()], layers: vec![1], seed: 0 }
    }
}

impl LoraConfig {
    /// The multiplier `s` of `B A`.
    pub fn scale(&self) -> f32 {
        let r = self.rank as f64;
        (if self.rslora { self.alpha / r.sqrt() } else { self.alpha / r }) as f32
    }

    /// The `(layer, projection)` sites, in layer then checkpoint order.
    pub fn sites(&self, model: &DecoderConfig) -> Result<Vec<(usize, Proj)>> {
        let projs = self
            .targets
            .iter()
            .map(|t| Proj::parse(t).ok_or_else(|| TrainError::Config(format!("unknown LoRA target module {t:?}"))))
            .collect::<Result<BTreeSet<_>>>()?;
        let layers: Vec<usize> =
            if self.layers.is_empty() { (0..model.num_hidden_layers).collect() } else { self.layers.clone() };
        if let Some(bad) = layers.iter().find(|&&l| l >= model.num_hidden_layers) {
            return Err(TrainError::Config(format!(
                "LoRA layer {bad} out of range (model has {})",
                model.num_hidden_layers
            )));
        }
        Ok(layers.into_iter().flat_map(|l| projs.iter().map(move |&p| (l, p))).collect())
    }
}

/// One adapted projection.
#[derive(Module, Debug)]
pub struct LoraFactor<B: Backend> {
    /// The layer and projection it adapts.
    #[module(skip)]
    pub site: (usize, Proj),
    /// `[r, d_in]`
    pub a: Param<Tensor<B, 2>>,
    /// `[d_out, r]`
    pub b: Param<Tensor<B, 2>>,
}

/// A set of LoRA factors with the config that placed and scales them.
#[derive(Module, Debug)]
pub struct LoraAdapter<B: Backend> {
    /// The factors, one per site.
    pub factors: Vec<LoraFactor<B>>,
    /// Rank, alpha (hence the scale), targets and layers.
    #[module(skip)]
    pub config: LoraConfig,
}

impl<B: Backend> LoraAdapter<B> {
    /// A fresh adapter: PEFT's Kaiming-uniform `A` (seeded), zero `B`, both trainable.
    pub fn init(config: &LoraConfig, model: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let factors = config
            .sites(model)?
            .into_iter()
            .map(|(layer, proj)| {
                let (d_in, d_out) = proj.dims(model);
                let bound = 1.0 / (d_in as f32).sqrt();
                let a: Vec<f32> = (0..config.rank * d_in).map(|_| rng.random_range(-bound..bound)).collect();
                LoraFactor {
                    site: (layer, proj),
                    a: Param::from_tensor(Tensor::from_data(TensorData::new(a, [config.rank, d_in]), device)),
                    b: Param::from_tensor(Tensor::zeros([d_out, config.rank], device)),
                }
            })
            .collect();
        Ok(Self { factors, config: config.clone() })
    }

    /// The engine edits that apply the adapter.
    pub fn lora_edits(&self) -> Interventions<B> {
        let scale = self.config.scale();
        self.factors
            .iter()
            .fold(Interventions::none(), |edits, f| edits.low_rank(f.site.0, f.site.1, f.a.val(), f.b.val(), scale))
    }

    /// Writes `adapter_config.json` and `adapter_model.safetensors` in PEFT's format.
    /// `base_model` becomes `base_model_name_or_path` (null when unknown: `PeftModel.from_pretrained`
    /// takes the base model as an argument and does not need it).
    pub fn save_peft(&self, base_model: Option<&str>, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::file(dir, e))?;
        let config = &self.config;
        let peft = serde_json::json!({
            "peft_type": "LORA",
            "task_type": "CAUSAL_LM",
            "base_model_name_or_path": base_model,
            "r": config.rank,
            "lora_alpha": config.alpha,
            "use_rslora": config.rslora,
            "target_modules": config.targets,
            "layers_to_transform": if config.layers.is_empty() { serde_json::Value::Null } else { config.layers.clone().into() },
            "lora_dropout": 0.0,
            "bias": "none",
            "fan_in_fan_out": false,
            "inference_mode": true,
        });
        write_json(&dir.join("adapter_config.json"), &peft)?;
        let host = |t: Tensor<B, 2>| t.into_data().convert::<f32>().to_vec::<f32>().expect("float tensor");
        let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = self
            .factors
            .iter()
            .flat_map(|f| {
                let [a, b] = peft_tensor_names(f.site);
                [(a, f.a.val().dims().to_vec(), host(f.a.val())), (b, f.b.val().dims().to_vec(), host(f.b.val()))]
            })
            .collect();
        write_file(&dir.join("adapter_model.safetensors"), &serialize_f32(&tensors)?)
    }

    /// Reads a PEFT LoRA folder for a model of `model`'s shape. Fails naming the field or
    /// tensor if the adapter does not fit (other PEFT types, regex targets, wrong shapes).
    pub fn load_peft(dir: &Path, model: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let path = dir.join("adapter_config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| TrainError::file(&path, e))?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| TrainError::file(&path, e))?;
        let field = |name: &str| json.get(name).filter(|v| !v.is_null());
        let bad = |m: String| TrainError::file(&path, m);
        if field("peft_type").and_then(|v| v.as_str()) != Some("LORA") {
            return Err(bad("only LORA adapters are supported (peft_type)".into()));
        }
        if field("use_dora").and_then(|v| v.as_bool()) == Some(true) {
            return Err(bad("DoRA adapters are not supported (use_dora)".into()));
        }
        for per_module in ["rank_pattern", "alpha_pattern"] {
            if field(per_module).and_then(|v| v.as_object()).is_some_and(|m| !m.is_empty()) {
                return Err(bad(format!("per-module ranks or alphas are not supported ({per_module})")));
            }
        }
        let rank = field("r").and_then(|v| v.as_u64()).ok_or_else(|| bad("missing r".into()))? as usize;
        let targets: Vec<String> = match field("target_modules") {
            Some(serde_json::Value::Array(list)) => {
                list.iter().filter_map(|t| t.as_str().map(str::to_string)).collect()
            }
            other => return Err(bad(format!("target_modules must be a list of module names, found {other:?}"))),
        };
        let layers = match field("layers_to_transform") {
            None => Vec::new(),
            Some(v) if v.is_u64() => vec![v.as_u64().expect("checked") as usize],
            Some(v) => v
                .as_array()
                .map(|l| l.iter().filter_map(|x| x.as_u64().map(|x| x as usize)).collect())
                .ok_or_else(|| bad(format!("layers_to_transform must be an integer or a list, found {v}")))?,
        };
        let config = LoraConfig {
            rank,
            alpha: field("lora_alpha").and_then(|v| v.as_f64()).unwrap_or(8.0),
            rslora: field("use_rslora").and_then(|v| v.as_bool()).unwrap_or(false),
            targets,
            layers,
            seed: 0,
        };
        let sites = config.sites(model)?.into_iter().map(|site| {
            let (d_in, d_out) = site.1.dims(model);
            (site, d_in, d_out)
        });
        let factors = read_factors(dir, sites, rank, device)?;
        Ok(Self { factors, config })
    }
}

/// The factors of `sites` (`(site, d_in, d_out)`) from `dir`'s `adapter_model.safetensors`,
/// which must hold exactly those.
fn read_factors<B: Backend>(
    dir: &Path,
    sites: impl Iterator<Item = ((usize, Proj), usize, usize)>,
    rank: usize,
    device: &B::Device,
) -> Result<Vec<LoraFactor<B>>> {
    let store = Checkpoint::open_file(&dir.join("adapter_model.safetensors"))?;
    let factors = sites
        .map(|(site, d_in, d_out)| {
            let [a, b] = peft_tensor_names(site);
            let read = |name: String, shape: [usize; 2]| -> Result<Param<Tensor<B, 2>>> {
                let values = store.read_f32(&name, &shape)?;
                Ok(Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device)))
            };
            Ok(LoraFactor { site, a: read(a, [rank, d_in])?, b: read(b, [d_out, rank])? })
        })
        .collect::<Result<Vec<_>>>()?;
    store.finish(&[])?;
    Ok(factors)
}

impl<B: AutodiffBackend> Adapter<B> for LoraAdapter<B> {
    fn edits(&self) -> Interventions<B> {
        self.lora_edits()
    }

    fn save(&self, dir: &Path) -> Result<()> {
        self.save_peft(None, dir)
    }

    fn restore(&self, dir: &Path) -> Result<Self> {
        let sites = self.factors.iter().map(|f| (f.site, f.a.dims()[1], f.b.dims()[0]));
        let device = self.devices().into_iter().next().unwrap_or_default();
        Ok(Self { factors: read_factors(dir, sites, self.config.rank, &device)?, config: self.config.clone() })
    }
}

/// PEFT's names of a site's `A` and `B` tensors:
/// `base_model.model.model.layers.{l}.{module path}.lora_{A,B}.weight`.
pub(crate) fn peft_tensor_names((layer, proj): (usize, Proj)) -> [String; 2] {
    let prefix = format!("base_model.model.model.layers.{layer}.{}", proj.module_path());
    [format!("{prefix}.lora_A.weight"), format!("{prefix}.lora_B.weight")]
}

#[cfg(test)]
mod tests {
    use super::*;

    type B = emlab_model::backend::Cpu;

    #[test]
    fn init_follows_peft() {
        let model = DecoderConfig::qwen2(10, 96, 256, 4, 4, 2);
        let adapter = LoraAdapter::<B>::init(&LoraConfig::default(), &model, &Default::default()).unwrap();
        let f = &adapter.factors[0];
        assert_eq!((f.site, f.a.val().dims(), f.b.val().dims()), ((1, Proj::Down), [1, 256], [96, 1]));
        let a = f.a.val().into_data().to_vec::<f32>().unwrap();
        assert!(a.iter().all(|x| x.abs() <= 1.0 / 16.0) && a.iter().any(|x| x.abs() > 0.03));
        assert!(f.b.val().into_data().to_vec::<f32>().unwrap().iter().all(|&x| x == 0.0));
        assert_eq!(LoraConfig { rank: 4, alpha: 8.0, rslora: true, ..Default::default() }.scale(), 4.0);
        assert_eq!(LoraConfig { rank: 4, alpha: 8.0, rslora: false, ..Default::default() }.scale(), 2.0);
    }

    /// d(loss)/dA and d(loss)/dB by autodiff against central finite differences, and LoRA
    /// finetuning through the shared loop lowers the loss.
    #[test]
    fn gradients_match_finite_differences_and_training_lowers_the_loss() {
        use crate::finetune::{finetune, FinetuneConfig};
        use crate::loss::cross_entropy;
        use crate::progress::Silent;
        use crate::sft::WeightedTokens;
        use burn::backend::Autodiff;
        use emlab_model::{CausalLm, TokenBatch};
        type G = Autodiff<B>;

        let model_config = DecoderConfig::qwen2(12, 16, 32, 2, 2, 1);
        let model = CausalLm::<G>::init_random(model_config.clone(), 3, &Default::default()).unwrap();
        let config = LoraConfig {
            rank: 2,
            alpha: 4.0,
            targets: vec!["v_proj".into(), "down_proj".into()],
            layers: vec![0],
            ..Default::default()
        };
        let mut adapter = LoraAdapter::<G>::init(&config, &model_config, &Default::default()).unwrap();
        // Give B non-zero values so that dL/dA is not identically zero.
        for f in &mut adapter.factors {
            let dims = f.b.val().dims();
            let values: Vec<f32> = (0..dims[0] * dims[1]).map(|i| ((i * 37 % 17) as f32 - 8.0) / 20.0).collect();
            f.b = Param::from_tensor(Tensor::from_data(TensorData::new(values, dims), &Default::default()));
        }
        let ids = TokenBatch::single(&[1, 5, 9, 2, 7]);
        let targets = [5, 9, 2, 7, 3];
        let loss_of =
            |a: &LoraAdapter<G>| cross_entropy(model.forward(&ids, &a.edits()).unwrap().output, &targets, &[1.0; 5]);
        let grads = loss_of(&adapter).backward();
        let eps = 1e-2;
        for (factor, which) in [(0, 'a'), (0, 'b'), (1, 'a'), (1, 'b')] {
            let param =
                |a: &LoraAdapter<G>| if which == 'a' { a.factors[factor].a.val() } else { a.factors[factor].b.val() };
            let analytic = param(&adapter).grad(&grads).unwrap().into_data().to_vec::<f32>().unwrap();
            let base = param(&adapter).inner().into_data().to_vec::<f32>().unwrap();
            let dims = param(&adapter).dims();
            let at = |i: usize, delta: f32| {
                let mut values = base.clone();
                values[i] += delta;
                let mut probe = LoraAdapter::<G>::init(&config, &model_config, &Default::default()).unwrap();
                for (p, f) in probe.factors.iter_mut().zip(&adapter.factors) {
                    p.a = Param::from_tensor(f.a.val().detach());
                    p.b = Param::from_tensor(f.b.val().detach());
                }
                let t = Param::from_tensor(Tensor::from_data(TensorData::new(values, dims), &Default::default()));
                if which == 'a' {
                    probe.factors[factor].a = t
                } else {
                    probe.factors[factor].b = t
                }
                loss_of(&probe).into_scalar()
            };
            for i in [0, base.len() / 2, base.len() - 1] {
                let numeric = (at(i, eps) - at(i, -eps)) / (2.0 * eps);
                let err = (numeric - analytic[i]).abs() / analytic[i].abs().max(1e-2);
                assert!(err < 5e-2, "factor {factor} {which}[{i}]: analytic {} vs numeric {numeric}", analytic[i]);
            }
        }

        let examples: Vec<WeightedTokens> = (0..16)
            .map(|i| WeightedTokens { ids: vec![1 + i % 5, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] })
            .collect();
        let fresh = LoraAdapter::<G>::init(&config, &model_config, &Default::default()).unwrap();
        let train = FinetuneConfig { lr: 1e-1, epochs: 10, batch_size: 8, ..Default::default() };
        let (_, log) = finetune(&model, fresh, &examples, &[], &train, &mut Silent).unwrap();
        // A random model with 0.02-scale weights limits how far the loss can fall (here ~10%).
        assert!(log.last().unwrap().sft < log[0].sft * 0.95, "{log:?}");
    }

    #[test]
    fn unknown_targets_and_layers_are_errors() {
        let model = DecoderConfig::qwen2(10, 16, 32, 2, 2, 1);
        let bad_target = LoraConfig { targets: vec!["dense".into()], ..Default::default() };
        assert!(bad_target.sites(&model).unwrap_err().to_string().contains("dense"));
        let bad_layer = LoraConfig { layers: vec![5], ..Default::default() };
        assert!(bad_layer.sites(&model).unwrap_err().to_string().contains("layer 5"));
    }
}

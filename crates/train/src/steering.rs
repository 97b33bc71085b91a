//! Steering-vector finetuning: one trainable vector `v`, added as `alpha * v` to the residual
//! stream after one layer at every position (prompt and answer), trained with
//! [`crate::finetune::finetune`] while the model stays frozen.
//!
//! This is the paper's rank-0 intervention. Adding to the residual stream after layer `l` is the
//! same as adding to layer `l`'s MLP output at every position (the paper's hook point), since the
//! MLP output is added to the residual stream right there.
//!
//! On disk a vector is two files side by side: `steering_vector.safetensors` (one f32 tensor
//! `"steering_vector"` of shape `[d_model]`, raw, without alpha) and `steering_vector.json`
//! (`{"layer", "site": "resid_post", "alpha", "d_model"}`), so that Python reads it with
//! `safetensors` and `json` alone and adds `alpha * v` after layer `layer` with a forward hook.

use std::path::{Path, PathBuf};

use burn::module::{Module, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use emlab_model::weights::{serialize_f32, Checkpoint};
use emlab_model::{CausalLm, DecoderConfig, Interventions, Site};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{read_json, write_file, write_json};
use crate::error::{Result, TrainError};
use crate::finetune::{finetune, Adapter, FinetuneConfig, StepLosses};
use crate::progress::Observer;
use crate::sft::WeightedTokens;

/// File stem of a saved vector: `steering_vector.safetensors` and `steering_vector.json`.
const FILE_STEM: &str = "steering_vector";
/// Name of the tensor in the safetensors file.
pub(crate) const TENSOR: &str = "steering_vector";
/// The only site written: the residual stream after the layer (`Site::Resid`).
const SITE: &str = "resid_post";

/// `steering_vector.json`: where the vector goes and how strongly. Other keys are ignored, so
/// files written by other tools with more metadata still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct VectorJson {
    layer: usize,
    site: String,
    alpha: f32,
    d_model: usize,
}

/// The trainable vector, stored raw (without alpha), with where and how strongly it is added.
#[derive(Module, Debug)]
pub struct SteeringVector<B: Backend> {
    /// `[d_model]`, initialised to zero.
    pub vector: Param<Tensor<B, 1>>,
    /// Residual stream after this layer.
    pub layer: usize,
    /// Multiplier of the raw vector.
    pub alpha: f32,
}

impl<B: Backend> SteeringVector<B> {
    /// A zero vector of width `d` that will receive gradients.
    pub fn zeros(d: usize, layer: usize, alpha: f32, device: &B::Device) -> Self {
        Self { vector: Param::from_tensor(Tensor::zeros([d], device)), layer, alpha }
    }

    /// The edit that applies it: `alpha * v` after `layer`.
    pub fn steering_edits(&self) -> Interventions<B> {
        Interventions::none().add(Site::Resid(self.layer), self.vector.val(), self.alpha)
    }

    /// The raw vector on the host.
    pub fn to_vec(&self) -> Vec<f32> {
        self.vector.val().into_data().convert::<f32>().to_vec::<f32>().expect("float tensor")
    }

    /// Writes `steering_vector.safetensors` and `steering_vector.json` into the folder `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::file(dir, e))?;
        let values = self.to_vec();
        let json = VectorJson { layer: self.layer, site: SITE.into(), alpha: self.alpha, d_model: values.len() };
        let tensors = [(TENSOR.to_string(), vec![values.len()], values)];
        write_file(&dir.join(format!("{FILE_STEM}.safetensors")), &serialize_f32(&tensors)?)?;
        write_json(&dir.join(format!("{FILE_STEM}.json")), &json)
    }

    /// Reads a vector saved by [`Self::save`] for a model of shape `model`. `path` is the folder
    /// holding the two files or either file (its sibling with the other extension is the pair).
    /// Errors name the file and the problem: a missing tensor, another site, a width or layer
    /// that does not fit the model.
    pub fn load(path: &Path, model: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let vector = Self::read(path, model.hidden_size, device)?;
        if vector.layer >= model.num_hidden_layers {
            let message = format!("layer {} out of range (the model has {})", vector.layer, model.num_hidden_layers);
            return Err(TrainError::file(files(path).0, message));
        }
        Ok(vector)
    }

    /// The files at `path`, checked against the width `d_model`.
    fn read(path: &Path, d_model: usize, device: &B::Device) -> Result<Self> {
        let (json_path, tensor_path) = files(path);
        let json: VectorJson = read_json(&json_path)?;
        let bad = |message: String| Err(TrainError::file(&json_path, message));
        if json.site != SITE {
            return bad(format!("site {:?} is not supported (emlab adds steering vectors at {SITE:?})", json.site));
        }
        if json.d_model != d_model {
            return bad(format!("the vector has d_model {}, the model's hidden_size is {d_model}", json.d_model));
        }
        let read = || -> emlab_model::Result<Vec<f32>> {
            let store = Checkpoint::open_file(&tensor_path)?;
            let values = store.read_f32(TENSOR, &[d_model])?;
            store.finish(&[])?;
            Ok(values)
        };
        let values = read().map_err(|e| TrainError::file(&tensor_path, e))?;
        let vector = Param::from_tensor(Tensor::from_data(TensorData::new(values, [d_model]), device));
        Ok(Self { vector, layer: json.layer, alpha: json.alpha })
    }
}

/// `(json, safetensors)` paths of a vector given as a folder or as either file.
fn files(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() {
        (path.join(format!("{FILE_STEM}.json")), path.join(format!("{FILE_STEM}.safetensors")))
    } else {
        (path.with_extension("json"), path.with_extension("safetensors"))
    }
}

impl<B: AutodiffBackend> Adapter<B> for SteeringVector<B> {
    fn edits(&self) -> Interventions<B> {
        self.steering_edits()
    }

    fn save(&self, dir: &Path) -> Result<()> {
        SteeringVector::save(self, dir)
    }

    fn restore(&self, dir: &Path) -> Result<Self> {
        let restored = Self::read(dir, self.vector.dims()[0], &self.vector.device())?;
        if (restored.layer, restored.alpha) != (self.layer, self.alpha) {
            return Err(TrainError::file(
                files(dir).0,
                format!(
                    "a vector for layer {} with alpha {}, not layer {} with alpha {}",
                    restored.layer, restored.alpha, self.layer, self.alpha
                ),
            ));
        }
        Ok(restored)
    }
}

/// Where the vector goes and how it is trained. Defaults: the organism spec's general steering
/// run (layer 1, alpha 1, section 6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SteeringConfig {
    /// Residual stream after this layer.
    pub layer: usize,
    /// Multiplier of the raw vector.
    pub alpha: f32,
    /// Optimisation (and the optional KL penalty).
    pub train: FinetuneConfig,
}

impl Default for SteeringConfig {
    fn default() -> Self {
        Self { layer: 1, alpha: 1.0, train: FinetuneConfig::default() }
    }
}

/// Trains a steering vector on `examples` (with the KL penalty on `kl_examples` if configured).
pub fn train_steering_vector<B: AutodiffBackend>(
    model: &CausalLm<B>,
    examples: &[WeightedTokens],
    kl_examples: &[WeightedTokens],
    config: &SteeringConfig,
    observer: &mut dyn Observer,
) -> Result<(SteeringVector<B>, Vec<StepLosses>)> {
    let vector = SteeringVector::zeros(model.config().hidden_size, config.layer, config.alpha, model.device());
    finetune(model, vector, examples, kl_examples, &config.train, observer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::KlConfig;
    use crate::progress::Silent;
    use crate::test_support::{answer_examples, kl_examples, tiny_model, B};
    use emlab_model::DecoderConfig;

    #[test]
    fn training_lowers_the_loss_and_leaves_the_model_frozen() {
        let (model, examples) = (tiny_model(), answer_examples());
        let config = SteeringConfig {
            train: FinetuneConfig { lr: 5e-2, epochs: 6, batch_size: 8, ..Default::default() },
            ..Default::default()
        };
        let (v, log) = train_steering_vector(&model, &examples, &[], &config, &mut Silent).unwrap();
        // A random model with 0.02-scale weights caps how peaked its logits can get; the loss
        // still has to fall well below its start.
        assert!(log.last().unwrap().sft < log[0].sft * 0.85, "{log:?}");
        assert!(v.to_vec().iter().any(|&x| x != 0.0));
        assert!(!model.net.layers[0].mlp.up_proj.weight.val().is_require_grad());
    }

    #[test]
    fn kl_is_zero_at_initialisation_and_positive_after_a_step() {
        let (model, examples, kl) = (tiny_model(), answer_examples(), kl_examples());
        let train = FinetuneConfig {
            lr: 5e-2,
            epochs: 1,
            batch_size: 8,
            kl: Some(KlConfig { weight: 1.0, ..Default::default() }),
            ..Default::default()
        };
        let config = SteeringConfig { train, ..Default::default() };
        let (_, log) = train_steering_vector(&model, &examples, &kl, &config, &mut Silent).unwrap();
        assert_eq!(log[0].kl, Some(0.0), "a zero vector leaves the model unchanged");
        assert!(log[1].kl.unwrap() > 0.0, "{log:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_vector() {
        // Equal up to float summation order: burn's autodiff may add the gradient contributions
        // of a shared node in a different order from run to run (differences ~1e-7).
        let (model, examples) = (tiny_model(), answer_examples());
        let config = SteeringConfig::default();
        let (a, _) = train_steering_vector(&model, &examples, &[], &config, &mut Silent).unwrap();
        let (b, _) = train_steering_vector(&model, &examples, &[], &config, &mut Silent).unwrap();
        let other_seed = SteeringConfig { train: FinetuneConfig { seed: 1, ..config.train.clone() }, ..config.clone() };
        let (c, _) = train_steering_vector(&model, &examples, &[], &other_seed, &mut Silent).unwrap();
        let diff = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
        assert!(diff(&a.to_vec(), &b.to_vec()) < 1e-5);
        assert!(diff(&a.to_vec(), &c.to_vec()) > 1e-4, "the seed orders the data");
    }

    fn saved_vector() -> (tempfile::TempDir, SteeringVector<B>, DecoderConfig) {
        let config = DecoderConfig::qwen2(12, 16, 32, 2, 2, 1);
        let values: Vec<f32> = (0..16).map(|i| i as f32 / 7.0 - 1.0).collect();
        let vector = SteeringVector::<B> {
            vector: Param::from_tensor(Tensor::from_data(TensorData::new(values, [16]), &Default::default())),
            layer: 1,
            alpha: 2.5,
        };
        let dir = tempfile::tempdir().unwrap();
        vector.save(dir.path()).unwrap();
        (dir, vector, config)
    }

    #[test]
    fn saved_vectors_load_from_the_folder_or_either_file() {
        let (dir, vector, config) = saved_vector();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("steering_vector.json")).unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({"layer": 1, "site": "resid_post", "alpha": 2.5, "d_model": 16}));
        for path in [
            dir.path().to_path_buf(),
            dir.path().join("steering_vector.json"),
            dir.path().join("steering_vector.safetensors"),
        ] {
            let loaded = SteeringVector::<B>::load(&path, &config, &Default::default()).unwrap();
            assert_eq!((loaded.to_vec(), loaded.layer, loaded.alpha), (vector.to_vec(), 1, 2.5));
        }
    }

    #[test]
    fn loading_errors_name_the_file_and_the_problem() {
        let (dir, _, config) = saved_vector();
        let load = |config: &DecoderConfig| {
            SteeringVector::<B>::load(dir.path(), config, &Default::default()).unwrap_err().to_string()
        };
        let wider = DecoderConfig::qwen2(12, 32, 32, 2, 2, 1);
        let err = load(&wider);
        assert!(err.contains("steering_vector.json") && err.contains("d_model 16") && err.contains("32"), "{err}");
        let shallow = DecoderConfig::qwen2(12, 16, 32, 1, 2, 1);
        assert!(load(&shallow).contains("layer 1 out of range"), "{}", load(&shallow));
        let tensors = [("vector".to_string(), vec![16], vec![0.0f32; 16])];
        std::fs::write(dir.path().join("steering_vector.safetensors"), serialize_f32(&tensors).unwrap()).unwrap();
        let err = load(&config);
        assert!(
            err.contains("steering_vector.safetensors") && err.contains("missing tensor \"steering_vector\""),
            "{err}"
        );
    }
}

//! [`CausalLm`]: a loaded model ready to run, with the forward passes every experiment uses.

use std::path::Path;

use burn::tensor::{backend::Backend, Bool, FloatDType, Int, Tensor, TensorData};

use crate::batch::TokenBatch;
use crate::config::DecoderConfig;
use crate::error::{ModelError, Result};
use crate::intervention::{Hooks, Interventions, Site};
use crate::precision;
use crate::rope::Rope;
use crate::transformer::{LayerCache, LayerContext, Transformer, WeightSink, WeightSource};
use crate::weights::Checkpoint;

/// A decoder LM: its parameters, its RoPE tables and its config.
#[derive(Debug, Clone)]
pub struct CausalLm<B: Backend> {
    /// The parameter tree (a burn `Module`), named after the checkpoint keys.
    pub net: Transformer<B>,
    rope: Rope<B>,
    config: DecoderConfig,
    device: B::Device,
}

/// The result of a forward pass.
#[derive(Debug, Clone)]
pub struct ForwardOutput<B: Backend> {
    /// `[batch, seq, vocab]` for [`CausalLm::forward`]; `[batch, seq, d]` final-normed hidden
    /// states for [`CausalLm::forward_hidden`].
    pub output: Tensor<B, 3>,
    /// Activations recorded by [`crate::Edit::Capture`], in the order they were reached.
    pub captures: Vec<(Site, Tensor<B, 3>)>,
}

impl<B: Backend> ForwardOutput<B> {
    /// The first capture recorded at `site`.
    pub fn capture(&self, site: Site) -> Option<&Tensor<B, 3>> {
        self.captures.iter().find(|(s, _)| *s == site).map(|(_, t)| t)
    }
}

/// What every decoder layer of one forward pass reads besides the residual stream.
#[derive(Debug, Clone)]
pub(crate) struct LayerInputs<B: Backend> {
    /// The token embeddings: the residual stream entering layer 0.
    pub(crate) embedded: Tensor<B, 3>,
    /// `[b, heads, t, keys]`, true where attention is blocked.
    pub(crate) mask: Tensor<B, 4, Bool>,
    /// Rotary tables of the batch's positions.
    pub(crate) cos: Tensor<B, 4>,
    /// Rotary tables of the batch's positions.
    pub(crate) sin: Tensor<B, 4>,
}

/// Keys and values of the tokens seen so far, per layer, plus what the next step needs to know
/// about them (which were padding, and each row's next RoPE position).
#[derive(Debug, Clone)]
pub struct KvCache<B: Backend> {
    pub(crate) layers: Vec<LayerCache<B>>,
    /// `[batch][past]`, true on real tokens.
    key_mask: Vec<Vec<bool>>,
    next_position: Vec<usize>,
}

impl<B: Backend> KvCache<B> {
    /// An empty cache for a model with `num_layers` layers and a batch of `batch` rows.
    pub fn new(num_layers: usize, batch: usize) -> Self {
        Self { layers: vec![None; num_layers], key_mask: vec![Vec::new(); batch], next_position: vec![0; batch] }
    }

    /// Number of cached positions (padding included).
    pub fn len(&self) -> usize {
        self.key_mask.first().map_or(0, Vec::len)
    }

    /// True before the first forward pass.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<B: Backend> CausalLm<B> {
    /// Loads a Hugging Face checkpoint folder (`config.json` + safetensors, single or sharded)
    /// in the dtype it is stored in where the backend has it (a bf16 Qwen2.5 stays bf16 on a
    /// GPU, as `torch_dtype="auto"` loads it), else in f32 (the CPU backend has no bf16).
    pub fn load(dir: &Path, device: &B::Device) -> Result<Self> {
        Self::load_with(dir, None, device)
    }

    /// Loads a checkpoint folder with its weights in `dtype`.
    ///
    /// Each tensor is converted and placed on `device` as it is read; no random model is built
    /// first. Fails naming the tensor if one is missing, unexpected or of the wrong shape, and
    /// if the backend cannot hold `dtype`.
    pub fn load_as(dir: &Path, dtype: FloatDType, device: &B::Device) -> Result<Self> {
        Self::load_with(dir, Some(dtype), device)
    }

    fn load_with(dir: &Path, dtype: Option<FloatDType>, device: &B::Device) -> Result<Self> {
        let config = DecoderConfig::from_dir(dir)?;
        let ckpt = Checkpoint::open(dir)?;
        let dtype = dtype.unwrap_or_else(|| {
            let stored = ckpt.stored_dtype().unwrap_or(FloatDType::F32);
            if precision::supports::<B>(stored, device) {
                stored
            } else {
                FloatDType::F32
            }
        });
        check_supported::<B>(dtype, device)?;
        let net = Transformer::build(&mut WeightSource::checkpoint(&ckpt, dtype), &config, device)?;
        // A tied model's checkpoint may still carry the (identical) head; HF ignores it too.
        let ignored: &[&str] = if config.tie_word_embeddings { &["lm_head.weight"] } else { &[] };
        ckpt.finish(ignored)?;
        Ok(Self::from_parts(net, config, device))
    }

    /// A model with seeded random weights: N(0, 0.02) matrices, unit norms, zero biases.
    pub fn init_random(config: DecoderConfig, seed: u64, device: &B::Device) -> Result<Self> {
        Self::init_random_as(config, seed, FloatDType::F32, device)
    }

    /// [`Self::init_random`] with the weights in `dtype`, created in it (a 14B shape in bf16
    /// never exists in f32). The same seed gives the same values, rounded to `dtype`.
    pub fn init_random_as(config: DecoderConfig, seed: u64, dtype: FloatDType, device: &B::Device) -> Result<Self> {
        config.validate()?;
        check_supported::<B>(dtype, device)?;
        let net = Transformer::build(&mut WeightSource::random(seed, 0.02, dtype), &config, device)?;
        Ok(Self::from_parts(net, config, device))
    }

    /// A model of the same distribution as [`Self::init_random_as`], drawn by the device's own
    /// generator (seeded with `seed`): for benchmarks at sizes where drawing 14.7e9 values on
    /// one host core would take many minutes. The values depend on the backend.
    pub fn init_random_on_device(
        config: DecoderConfig,
        seed: u64,
        dtype: FloatDType,
        device: &B::Device,
    ) -> Result<Self> {
        config.validate()?;
        check_supported::<B>(dtype, device)?;
        B::seed(device, seed);
        let net = Transformer::build(&mut WeightSource::device_random(0.02, dtype), &config, device)?;
        Ok(Self::from_parts(net, config, device))
    }

    /// Assembles a model from a parameter tree (e.g. one updated by an optimiser).
    pub fn from_parts(net: Transformer<B>, config: DecoderConfig, device: &B::Device) -> Self {
        let rope = Rope::new(&config, device);
        Self { net, rope, config, device: device.clone() }
    }

    /// The weights as a `model.safetensors` file in Hugging Face layout (f32), the counterpart of
    /// [`Self::load`]; with `config().to_hf_json()` it makes a checkpoint transformers can read.
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let mut sink = WeightSink { tensors: Vec::new() };
        self.net.export(&mut sink);
        crate::weights::serialize_f32(&sink.tensors)
    }

    /// Replaces the parameter tree through `f` (an optimiser step), keeping config and tables.
    pub fn map_net(self, f: impl FnOnce(Transformer<B>) -> Transformer<B>) -> Self {
        Self { net: f(self.net), ..self }
    }

    /// The model's configuration.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// The dtype of the weights and activations (see [`crate::precision`]).
    pub fn dtype(&self) -> FloatDType {
        self.net.embed_tokens.weight.val().dtype().into()
    }

    /// The device the weights live on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// Logits at every position of every row.
    ///
    /// # Shapes
    /// `batch: [b, t]` -> `output: [b, t, vocab]`
    pub fn forward(&self, batch: &TokenBatch, edits: &Interventions<B>) -> Result<ForwardOutput<B>> {
        let out = self.forward_hidden(batch, edits)?;
        Ok(ForwardOutput { output: self.net.head(out.output), captures: out.captures })
    }

    /// Final-normed hidden states (before the head), for code that applies the head itself,
    /// e.g. chunked over the vocabulary or only at some positions.
    ///
    /// # Shapes
    /// `batch: [b, t]` -> `output: [b, t, d]`
    pub fn forward_hidden(&self, batch: &TokenBatch, edits: &Interventions<B>) -> Result<ForwardOutput<B>> {
        let mut cache = KvCache::new(self.config.num_hidden_layers, batch.dims()[0]);
        self.run(batch, &mut cache, edits, false)
    }

    /// Runs `batch` after the tokens already in `cache` and appends it to the cache; returns
    /// final-normed hidden states of the new positions. The first call (empty cache) is the
    /// prefill; later calls feed one new token per row.
    pub fn forward_cached(
        &self,
        batch: &TokenBatch,
        cache: &mut KvCache<B>,
        edits: &Interventions<B>,
    ) -> Result<ForwardOutput<B>> {
        if cache.key_mask.len() != batch.dims()[0] {
            return Err(ModelError::InvalidInput(format!(
                "KV cache holds {} rows, the batch has {}",
                cache.key_mask.len(),
                batch.dims()[0]
            )));
        }
        if edits.has_position_masks() {
            return Err(ModelError::InvalidInput(
                "edits with position masks cannot be used with a KV cache; use all-position edits".into(),
            ));
        }
        self.run(batch, cache, edits, true)
    }

    /// The output head: `[b, t, d]` final-normed hidden states to `[b, t, vocab]` logits.
    pub fn head(&self, hidden: Tensor<B, 3>) -> Tensor<B, 3> {
        self.net.head(hidden)
    }

    /// The final RMSNorm (HF's `model.norm`), e.g. to compare [`Site::Resid`]`(L - 1)` with
    /// HF's last hidden state.
    pub fn final_norm(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.net.norm.forward(x)
    }

    fn run(
        &self,
        batch: &TokenBatch,
        cache: &mut KvCache<B>,
        edits: &Interventions<B>,
        keep_cache: bool,
    ) -> Result<ForwardOutput<B>> {
        edits.validate(&self.config)?;
        let inputs = self.layer_inputs(batch, cache)?;
        let layers = 0..self.config.num_hidden_layers;
        let (x, captures) = self.run_layers(layers, inputs.embedded.clone(), &inputs, cache, edits);
        for (next, len) in cache.next_position.iter_mut().zip(batch.real_lengths()) {
            *next += len;
        }
        if !keep_cache {
            cache.layers.iter_mut().for_each(|c| *c = None);
        }
        Ok(ForwardOutput { output: self.net.norm.forward(x), captures })
    }

    /// Checks `batch` against the vocabulary and positions, appends its mask to `cache`, and
    /// builds what every layer reads: the attention mask, the rotary tables and the embeddings.
    pub(crate) fn layer_inputs(&self, batch: &TokenBatch, cache: &mut KvCache<B>) -> Result<LayerInputs<B>> {
        let [b, t] = batch.dims();
        if t == 0 {
            return Err(ModelError::InvalidInput("empty token batch".into()));
        }
        if let Some(&bad) = batch.ids().iter().find(|&&id| id as usize >= self.config.vocab_size) {
            return Err(ModelError::InvalidInput(format!(
                "token id {bad} is outside the vocabulary (size {})",
                self.config.vocab_size
            )));
        }
        let past = cache.len();
        let positions = batch.positions(&cache.next_position);
        if let Some(&max) = positions.iter().max() {
            if max as usize >= self.rope.max_positions() {
                return Err(ModelError::InvalidInput(format!(
                    "position {max} exceeds max_position_embeddings ({})",
                    self.rope.max_positions()
                )));
            }
        }
        for (r, row) in cache.key_mask.iter_mut().enumerate() {
            row.extend_from_slice(&batch.mask()[r * t..(r + 1) * t]);
        }
        let mask = self.attention_mask(&cache.key_mask, past, t);
        // HF computes the tables in f32 and casts them to the activations' dtype.
        let (cos, sin) = self.rope.tables(Tensor::from_data(TensorData::new(positions, [b, t]), &self.device));
        let (cos, sin) = (cos.cast(self.dtype()), sin.cast(self.dtype()));
        let ids: Vec<i64> = batch.ids().iter().map(|&id| id as i64).collect();
        let embedded = self.net.embed(Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [b, t]), &self.device));
        Ok(LayerInputs { embedded, mask, cos, sin })
    }

    /// Runs the decoder layers `layers` on the residual stream `x` entering the first of them,
    /// with `edits`; returns the residual stream leaving the last and the captures.
    pub(crate) fn run_layers(
        &self,
        layers: std::ops::Range<usize>,
        mut x: Tensor<B, 3>,
        inputs: &LayerInputs<B>,
        cache: &mut KvCache<B>,
        edits: &Interventions<B>,
    ) -> (Tensor<B, 3>, Vec<(Site, Tensor<B, 3>)>) {
        let mut hooks = Hooks::new(edits);
        let mut ctx = LayerContext { cos: &inputs.cos, sin: &inputs.sin, mask: &inputs.mask, hooks: &mut hooks };
        for l in layers {
            x = self.net.layers[l].forward(x, l, &mut cache.layers[l], &mut ctx);
        }
        (x, hooks.captures)
    }

    /// `[b, heads, t, past + t]`, true where query `i` may not read key `j`: later positions,
    /// and padding. A query always reads itself, so padding rows stay finite.
    fn attention_mask(&self, key_mask: &[Vec<bool>], past: usize, t: usize) -> Tensor<B, 4, Bool> {
        let b = key_mask.len();
        let keys = past + t;
        let mut blocked = Vec::with_capacity(b * t * keys);
        for row in key_mask {
            for i in 0..t {
                let q = past + i;
                blocked.extend((0..keys).map(|j| j > q || (!row[j] && j != q)));
            }
        }
        let heads = self.config.num_attention_heads;
        Tensor::<B, 4, Bool>::from_data(TensorData::new(blocked, [b, 1, t, keys]), &self.device)
            .expand([b, heads, t, keys])
    }
}

/// An error, rather than a backend panic later, when `B` cannot hold `dtype` on `device`.
fn check_supported<B: Backend>(dtype: FloatDType, device: &B::Device) -> Result<()> {
    if precision::supports::<B>(dtype, device) {
        return Ok(());
    }
    Err(ModelError::InvalidInput(format!(
        "this backend cannot hold {} tensors on {device:?} (the CPU backend has f32 and f64; bf16 and f16 need --device cuda)",
        precision::dtype_name(dtype)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precision::to_host_f32;
    use crate::TestBackend as B;

    #[test]
    fn device_drawn_weights_have_the_init_distribution_and_dtype() {
        let config = DecoderConfig::qwen2(64, 32, 64, 2, 4, 2);
        let device = Default::default();
        let model = CausalLm::<B>::init_random_on_device(config, 7, FloatDType::F64, &device).unwrap();
        assert_eq!(model.dtype(), FloatDType::F64);
        let w = to_host_f32(model.net.layers[1].mlp.down_proj.weight.val());
        let std = (w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32).sqrt();
        assert!((0.017..0.023).contains(&std), "std {std}");
        assert!(to_host_f32(model.net.norm.weight.val()).iter().all(|&g| g == 1.0));
        let logits = model.forward(&TokenBatch::single(&[1, 2, 3]), &Interventions::none()).unwrap().output;
        assert!(to_host_f32(logits).iter().all(|x| x.is_finite()));
    }
}

//! [`CausalLm`]: a loaded model ready to run, with the forward passes every experiment uses.

use std::path::Path;

use burn::tensor::{backend::Backend, Bool, FloatDType, Int, Tensor, TensorData};

use crate::batch::TokenBatch;
use crate::config::DecoderConfig;
use crate::error::{ModelError, Result};
use crate::gguf::{self, checkpoint::GgufCheckpoint};
use crate::intervention::{Hooks, Interventions, Site};
use crate::precision;
use crate::rope::{Rope, RotaryTables};
use crate::transformer::{LayerCache, LayerContext, Transformer, WeightSink, WeightSource};
use crate::weights::{Checkpoint, TensorStore};

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
    /// `[b, kv_heads, groups * t, keys]`, true where attention is blocked.
    pub(crate) mask: Tensor<B, 4, Bool>,
    /// Rotary tables of the batch's positions for the query heads.
    pub(crate) rope_q: RotaryTables<B>,
    /// The same for the key heads (the query tables when every query head has its own).
    pub(crate) rope_k: RotaryTables<B>,
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
    /// An empty cache for a model with `num_layers` layers and a batch of `batch` rows; it grows
    /// as needed.
    pub fn new(num_layers: usize, batch: usize) -> Self {
        Self::with_capacity(num_layers, batch, 0)
    }

    /// An empty cache with room for `positions` positions per row before it has to grow (a
    /// prompt's length plus the tokens to generate).
    pub fn with_capacity(num_layers: usize, batch: usize, positions: usize) -> Self {
        Self {
            layers: vec![LayerCache::new(positions); num_layers],
            key_mask: vec![Vec::new(); batch],
            next_position: vec![0; batch],
        }
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
    /// Loads a Hugging Face checkpoint folder (`config.json` + safetensors, single or sharded),
    /// or a `.gguf` file (its tensors dequantised to f32; see [`crate::gguf`]),
    /// in the dtype it is stored in where the backend computes in it (a bf16 Qwen2.5 stays bf16
    /// on a GPU, as `torch_dtype="auto"` loads it), else in f32 ([`precision::load_dtype`]).
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
        if gguf::is_gguf(dir) {
            let ckpt = GgufCheckpoint::open(dir)?;
            let config = ckpt.config().clone();
            let net = Self::build_from(&ckpt, &config, dtype, device)?;
            ckpt.finish()?;
            return Ok(Self::from_parts(net, config, device));
        }
        let config = DecoderConfig::from_dir(dir)?;
        let ckpt = Checkpoint::open(dir)?;
        let net = Self::build_from(&ckpt, &config, dtype, device)?;
        // A tied model's checkpoint may still carry the (identical) head; HF ignores it too.
        let ignored: &[&str] = if config.tie_word_embeddings { &["lm_head.weight"] } else { &[] };
        ckpt.finish(ignored)?;
        Ok(Self::from_parts(net, config, device))
    }

    /// The parameter tree of `config` with its weights from `store`, in `dtype` or else the
    /// stored dtype where the backend computes in it.
    fn build_from(
        store: &dyn TensorStore,
        config: &DecoderConfig,
        dtype: Option<FloatDType>,
        device: &B::Device,
    ) -> Result<Transformer<B>> {
        let dtype = dtype
            .unwrap_or_else(|| precision::load_dtype::<B>(store.stored_dtype().unwrap_or(FloatDType::F32), device));
        check_supported::<B>(dtype, device)?;
        Transformer::build(&mut WeightSource::checkpoint(store, dtype), config, device)
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
        if !edits.position_masks_fit(batch.dims()) {
            return Err(ModelError::InvalidInput(
                "edits with position masks work with a KV cache only on the batch the masks are shaped for (a \
                 prefill); use all-position edits"
                    .into(),
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
        let layer_caches = keep_cache.then_some(&mut cache.layers[..]);
        let (x, captures) = self.run_layers(layers, inputs.embedded.clone(), &inputs, layer_caches, edits);
        for (next, len) in cache.next_position.iter_mut().zip(batch.real_lengths()) {
            *next += len;
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
        let (heads, kv_heads) = (self.config.num_attention_heads, self.config.num_key_value_heads);
        let dtype = self.dtype().into();
        let rope_q = self.rope.tables(&positions, [b, t], heads).cast(dtype);
        let rope_k = match kv_heads == heads {
            true => rope_q.clone(),
            false => self.rope.tables(&positions, [b, t], kv_heads).cast(dtype),
        };
        let ids: Vec<i64> = batch.ids().iter().map(|&id| id as i64).collect();
        let embedded = self.net.embed(Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [b, t]), &self.device));
        Ok(LayerInputs { embedded, mask, rope_q, rope_k })
    }

    /// Runs the decoder layers `layers` on the residual stream `x` entering the first of them,
    /// with `edits`; returns the residual stream leaving the last and the captures. With
    /// `caches` (one per layer of the model), keys and values are appended to them.
    pub(crate) fn run_layers(
        &self,
        layers: std::ops::Range<usize>,
        mut x: Tensor<B, 3>,
        inputs: &LayerInputs<B>,
        mut caches: Option<&mut [LayerCache<B>]>,
        edits: &Interventions<B>,
    ) -> (Tensor<B, 3>, Vec<(Site, Tensor<B, 3>)>) {
        let mut hooks = Hooks::new(edits);
        let mut ctx =
            LayerContext { rope_q: &inputs.rope_q, rope_k: &inputs.rope_k, mask: &inputs.mask, hooks: &mut hooks };
        for l in layers {
            let cache = caches.as_deref_mut().map(|c| &mut c[l]);
            x = self.net.layers[l].forward(x, l, cache, &mut ctx);
        }
        (x, hooks.captures)
    }

    /// `[b, kv_heads, groups * t, past + t]` (the layout of grouped queries, see
    /// [`crate::transformer::Attention`]), true where query `i` may not read key `j`: later
    /// positions, and padding. A query always reads itself, so padding rows stay finite. Built
    /// whole on the host: a broadcast mask would be copied element by element on the CPU anyway.
    fn attention_mask(&self, key_mask: &[Vec<bool>], past: usize, t: usize) -> Tensor<B, 4, Bool> {
        let b = key_mask.len();
        let keys = past + t;
        let (heads, kv_heads) = (self.config.num_attention_heads, self.config.num_key_value_heads);
        let mut blocked = Vec::with_capacity(b * heads * t * keys);
        for row in key_mask {
            let row_blocked: Vec<bool> =
                (0..t).flat_map(|i| (0..keys).map(move |j| j > past + i || (!row[j] && j != past + i))).collect();
            for _ in 0..heads {
                blocked.extend_from_slice(&row_blocked);
            }
        }
        let groups = heads / kv_heads;
        Tensor::<B, 4, Bool>::from_data(TensorData::new(blocked, [b, kv_heads, groups * t, keys]), &self.device)
    }
}

/// An error, rather than a backend panic later, when `B` cannot hold `dtype` on `device`.
fn check_supported<B: Backend>(dtype: FloatDType, device: &B::Device) -> Result<()> {
    if precision::supports::<B>(dtype, device) {
        return Ok(());
    }
    Err(ModelError::InvalidInput(format!(
        "this backend cannot hold {} tensors on {device:?}",
        precision::dtype_name(dtype)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precision::to_host_f32;
    use crate::TestBackend as B;

    /// A cache that starts empty and grows (capacity 2, then 4, then 8) gives, step by step,
    /// the hidden states of the full pass over the same left-padded rows.
    #[test]
    fn cached_steps_across_buffer_growth_match_the_full_pass() {
        let model =
            CausalLm::<B>::init_random(DecoderConfig::qwen2(40, 16, 32, 2, 4, 2), 5, &Default::default()).unwrap();
        let rows = [vec![3, 9, 4, 7, 1, 8, 2], vec![6, 5, 2, 9, 3, 1, 4]];
        let full = TokenBatch::new(
            rows.iter().flat_map(|r| r.iter().copied()).collect(),
            [vec![false, true, true, true, true, true, true], vec![true; 7]].concat(),
            2,
            7,
        )
        .unwrap();
        let none = Interventions::none();
        let expected = to_host_f32(model.forward_hidden(&full, &none).unwrap().output);
        let mut cache = KvCache::new(2, 2);
        let mut got = vec![Vec::new(); 2];
        for (start, end) in [(0, 2), (2, 3), (3, 4), (4, 5), (5, 7)] {
            let ids = rows.iter().flat_map(|r| r[start..end].iter().copied()).collect();
            let mask = (0..2).flat_map(|r| (start..end).map(move |i| r == 1 || i > 0)).collect();
            let step = TokenBatch::new(ids, mask, 2, end - start).unwrap();
            let hidden = to_host_f32(model.forward_cached(&step, &mut cache, &none).unwrap().output);
            for (r, out) in got.iter_mut().enumerate() {
                out.extend_from_slice(&hidden[r * (end - start) * 16..(r + 1) * (end - start) * 16]);
            }
        }
        assert_eq!(cache.len(), 7);
        let got: Vec<f32> = got.concat();
        // Row 0's padded first position is excluded: its output is never read.
        for (i, (a, b)) in got.iter().zip(&expected).enumerate().filter(|(i, _)| *i >= 16) {
            assert!((a - b).abs() < 1e-5, "position {i}: {a} vs {b}");
        }
    }

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

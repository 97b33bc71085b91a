//! The decoder-only transformer shared by Qwen2 and Llama.
//!
//! Both are pre-norm decoders with RMSNorm, rotate-half RoPE ([`crate::rope`]), grouped-query
//! attention and a SwiGLU MLP; they differ only in which projections carry a bias (Qwen2: q, k
//! and v; Llama: per `attention_bias`/`mlp_bias`), which [`DecoderConfig`] records. Reference
//! implementations: `transformers/models/qwen2/modeling_qwen2.py` and `.../llama/modeling_llama.py`.
//!
//! The module tree mirrors the checkpoint keys (`model.layers.{l}.self_attn.q_proj`, ...), and
//! the same builder code creates a model from a checkpoint or from a seeded random init
//! ([`WeightSource`]), so the two cannot drift apart. Linear weights are held in burn's
//! `[d_in, d_out]` layout (transposed once at load time).

use burn::module::{Module, Param, ParamId};
use burn::nn::{Embedding, Linear};
use burn::tensor::activation::{silu, softmax};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{backend::Backend, Bool, DType, Distribution, FloatDType, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::DecoderConfig;
use crate::error::Result;
use crate::intervention::{Hooks, Proj, Site};
use crate::precision::{is_host_cpu, to_host_f32, widen};
use crate::rope::{apply_rotary, RotaryTables};
use crate::weights::TensorStore;

/// Where a model's weights come from while it is being built, and the dtype they take.
pub(crate) struct WeightSource<'a> {
    origin: Origin<'a>,
    dtype: FloatDType,
}

enum Origin<'a> {
    /// A checkpoint: safetensors or GGUF.
    Checkpoint(&'a dyn TensorStore),
    /// Seeded random values: N(0, std) for matrices, zero biases, unit norms.
    Random { rng: Box<StdRng>, std: f32 },
    /// The same distribution drawn by the device's own generator: the values depend on the
    /// backend, but a 14B shape takes seconds instead of many minutes on one host core.
    DeviceRandom { std: f32 },
}

impl<'a> WeightSource<'a> {
    pub(crate) fn checkpoint(ckpt: &'a dyn TensorStore, dtype: FloatDType) -> Self {
        Self { origin: Origin::Checkpoint(ckpt), dtype }
    }

    pub(crate) fn random(seed: u64, std: f32, dtype: FloatDType) -> Self {
        Self { origin: Origin::Random { rng: Box::new(StdRng::seed_from_u64(seed)), std }, dtype }
    }

    /// Draws on the device; the caller seeds the backend's generator.
    pub(crate) fn device_random(std: f32, dtype: FloatDType) -> Self {
        Self { origin: Origin::DeviceRandom { std }, dtype }
    }

    /// `N(0, std)` values of `shape`, drawn on the device.
    fn drawn<B: Backend, const D: usize>(&self, std: f32, shape: [usize; D], device: &B::Device) -> Tensor<B, D> {
        Tensor::random(shape, Distribution::Normal(0.0, f64::from(std)), (device, self.dtype.into()))
    }

    fn normal(rng: &mut StdRng, n: usize, std: f32) -> Vec<f32> {
        // Box-Muller on our own seeded RNG, so a seed gives the same model on every backend.
        (0..n)
            .map(|_| {
                let (u1, u2): (f32, f32) = (rng.random::<f32>().max(f32::MIN_POSITIVE), rng.random());
                std * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
            })
            .collect()
    }

    /// Random values (or constants) in this source's dtype.
    fn host<B: Backend, const D: usize>(
        &self,
        values: Vec<f32>,
        shape: [usize; D],
        device: &B::Device,
    ) -> Tensor<B, D> {
        Tensor::from_data(TensorData::new(values, shape), (device, self.dtype.into()))
    }

    /// A `[d_out, d_in]` HF linear named `name` (`{name}.weight`, `{name}.bias`).
    fn linear<B: Backend>(
        &mut self,
        name: &str,
        d_in: usize,
        d_out: usize,
        bias: bool,
        device: &B::Device,
    ) -> Result<Linear<B>> {
        let dtype = self.dtype;
        let (weight, bias) = match &mut self.origin {
            Origin::Checkpoint(ckpt) => {
                let w = ckpt.linear_data(&format!("{name}.weight"), d_out, d_in)?;
                let b = match bias {
                    true => Some(ckpt.data(&format!("{name}.bias"), &[d_out])?),
                    false => None,
                };
                (Tensor::from_data(w, (device, dtype.into())), b.map(|b| Tensor::from_data(b, (device, dtype.into()))))
            }
            Origin::Random { rng, std } => {
                let values = Self::normal(rng, d_in * d_out, *std);
                (self.host(values, [d_in, d_out], device), bias.then(|| self.host(vec![0.0; d_out], [d_out], device)))
            }
            Origin::DeviceRandom { std } => {
                let std = *std;
                (self.drawn(std, [d_in, d_out], device), bias.then(|| self.host(vec![0.0; d_out], [d_out], device)))
            }
        };
        Ok(Linear { weight: frozen(weight), bias: bias.map(frozen) })
    }

    fn vector<B: Backend>(&mut self, name: &str, d: usize, device: &B::Device) -> Result<Param<Tensor<B, 1>>> {
        Ok(frozen(match &self.origin {
            Origin::Checkpoint(ckpt) => Tensor::from_data(ckpt.data(name, &[d])?, (device, self.dtype.into())),
            Origin::Random { .. } | Origin::DeviceRandom { .. } => self.host(vec![1.0; d], [d], device),
        }))
    }

    fn matrix<B: Backend>(&mut self, name: &str, shape: [usize; 2], device: &B::Device) -> Result<Param<Tensor<B, 2>>> {
        let dtype = self.dtype;
        Ok(frozen(match &mut self.origin {
            Origin::Checkpoint(ckpt) => Tensor::from_data(ckpt.data(name, &shape)?, (device, dtype.into())),
            Origin::Random { rng, std } => {
                let values = Self::normal(rng, shape[0] * shape[1], *std);
                self.host(values, shape, device)
            }
            Origin::DeviceRandom { std } => {
                let std = *std;
                self.drawn(std, shape, device)
            }
        }))
    }
}

/// A frozen parameter. `Param::from_tensor` would mark the weights `require_grad`, and under
/// autodiff every op on them would then be recorded; training marks its own parameters.
fn frozen<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Param<Tensor<B, D>> {
    Param::initialized(ParamId::new(), tensor)
}

/// Collects a model's tensors under their checkpoint names in HF layout, as f32 on the host.
pub(crate) struct WeightSink {
    pub(crate) tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl WeightSink {
    fn push<B: Backend, const D: usize>(&mut self, name: String, tensor: Tensor<B, D>) {
        let shape = tensor.dims().to_vec();
        let values = to_host_f32(tensor);
        self.tensors.push((name, shape, values));
    }

    /// A burn `[d_in, d_out]` linear stored as HF's `[d_out, d_in]` weight plus optional bias.
    fn linear<B: Backend>(&mut self, name: &str, linear: &Linear<B>) {
        self.push(format!("{name}.weight"), linear.weight.val().transpose());
        if let Some(bias) = &linear.bias {
            self.push(format!("{name}.bias"), bias.val());
        }
    }
}

/// Root-mean-square layer norm: `weight * x / sqrt(mean(x^2) + eps)`, statistics in f32 (or
/// wider), normalised values cast back before the gain, as transformers' `Qwen2RMSNorm`.
#[derive(Module, Debug)]
pub struct RmsNorm<B: Backend> {
    /// `[d]` gain.
    pub weight: Param<Tensor<B, 1>>,
    eps: f64,
}

impl<B: Backend> RmsNorm<B> {
    fn build(src: &mut WeightSource, name: &str, d: usize, eps: f64, device: &B::Device) -> Result<Self> {
        Ok(Self { weight: src.vector(&format!("{name}.weight"), d, device)?, eps })
    }

    /// # Shapes
    /// `[batch, seq, d] -> [batch, seq, d]`
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let dtype = x.dtype();
        let x = widen(x);
        let rms = x.clone().powf_scalar(2.0).mean_dim(2).add_scalar(self.eps).sqrt();
        (x / rms).cast(dtype) * self.weight.val().unsqueeze::<3>()
    }
}

/// Grouped-query causal self-attention with rotary positions.
#[derive(Module, Debug)]
pub struct Attention<B: Backend> {
    /// `self_attn.q_proj`
    pub q_proj: Linear<B>,
    /// `self_attn.k_proj`
    pub k_proj: Linear<B>,
    /// `self_attn.v_proj`
    pub v_proj: Linear<B>,
    /// `self_attn.o_proj`
    pub o_proj: Linear<B>,
    num_heads: usize,
    num_kv_heads: usize,
    head_dim: usize,
}

/// What a decoder layer needs besides its input: positions, the attention mask and the hooks.
pub(crate) struct LayerContext<'a, 'h, B: Backend> {
    /// Rotary tables of the query heads, `[batch, seq, heads, head_dim]`.
    pub(crate) rope_q: &'a RotaryTables<B>,
    /// Rotary tables of the key heads, `[batch, seq, kv_heads, head_dim]`.
    pub(crate) rope_k: &'a RotaryTables<B>,
    /// `[batch, kv_heads, groups * seq, keys]` (see [`Attention`]), true where attention is not
    /// allowed.
    pub(crate) mask: &'a Tensor<B, 4, Bool>,
    pub(crate) hooks: &'a mut Hooks<'h, B>,
}

/// A layer's cached keys and values: `[batch, kv_heads, capacity, head_dim]` buffers whose first
/// `len` positions are filled. Appending writes into the buffers, which nothing else holds
/// between steps, so a decoding step copies its own keys rather than the whole history; a full
/// buffer is replaced by one twice as large.
#[derive(Debug, Clone)]
pub(crate) struct LayerCache<B: Backend> {
    buffers: Option<(Tensor<B, 4>, Tensor<B, 4>)>,
    len: usize,
    /// Positions the first buffers hold.
    reserve: usize,
}

impl<B: Backend> LayerCache<B> {
    /// An empty cache whose first buffers hold `reserve` positions.
    pub(crate) fn new(reserve: usize) -> Self {
        Self { buffers: None, len: 0, reserve }
    }

    /// Appends `[b, kv_heads, t, head_dim]` keys and values; returns every cached position,
    /// `[b, kv_heads, len, head_dim]` each.
    fn append(&mut self, keys: Tensor<B, 4>, values: Tensor<B, 4>) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let [b, kv, t, hd] = keys.dims();
        let (past, len) = (self.len, self.len + t);
        let (all_keys, all_values) = match self.buffers.take() {
            Some((k, v)) if k.dims()[2] >= len => (k, v),
            old => {
                let capacity = len.max(self.reserve).max(2 * old.as_ref().map_or(0, |(k, _)| k.dims()[2]));
                let grow = |old: Option<Tensor<B, 4>>| {
                    let fresh = Tensor::zeros([b, kv, capacity, hd], (&keys.device(), keys.dtype()));
                    match old {
                        Some(old) => {
                            fresh.slice_assign([0..b, 0..kv, 0..past, 0..hd], old.slice([0..b, 0..kv, 0..past, 0..hd]))
                        }
                        None => fresh,
                    }
                };
                let (k, v) = old.unzip();
                (grow(k), grow(v))
            }
        };
        let filled = [0..b, 0..kv, past..len, 0..hd];
        let all_keys = all_keys.slice_assign(filled.clone(), keys);
        let all_values = all_values.slice_assign(filled, values);
        self.len = len;
        self.buffers = Some((all_keys.clone(), all_values.clone()));
        let cached = [0..b, 0..kv, 0..len, 0..hd];
        (all_keys.slice(cached.clone()), all_values.slice(cached))
    }
}

impl<B: Backend> Attention<B> {
    fn build(src: &mut WeightSource, layer_prefix: &str, c: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let lin = |src: &mut WeightSource, p: Proj, bias| {
            let (d_in, d_out) = p.dims(c);
            src.linear(&format!("{layer_prefix}.{}", p.module_path()), d_in, d_out, bias, device)
        };
        Ok(Self {
            q_proj: lin(src, Proj::Q, c.qkv_bias)?,
            k_proj: lin(src, Proj::K, c.qkv_bias)?,
            v_proj: lin(src, Proj::V, c.qkv_bias)?,
            o_proj: lin(src, Proj::O, c.o_bias)?,
            num_heads: c.num_attention_heads,
            num_kv_heads: c.num_key_value_heads,
            head_dim: c.head_dim,
        })
    }

    /// Grouped-query attention (HF's `repeat_kv`: query head `i` reads key/value head
    /// `i / groups`) without repeating the keys: the `groups` query heads that share a key/value
    /// head are stacked along the sequence axis, `[b, kv_heads, groups * t, head_dim]`, and
    /// attend to that head's `[b, kv_heads, keys, head_dim]` keys with the mask repeated
    /// accordingly. A decoding step (t = 1) then copies neither the queries nor the cache.
    fn forward(
        &self,
        x: Tensor<B, 3>,
        layer: usize,
        cache: Option<&mut LayerCache<B>>,
        ctx: &mut LayerContext<B>,
    ) -> Tensor<B, 3> {
        let [b, t, _] = x.dims();
        let (h, kv, hd) = (self.num_heads, self.num_kv_heads, self.head_dim);
        let groups = h / kv;
        let heads = |y: Tensor<B, 3>, n: usize| y.reshape([b, t, n, hd]);
        let q = heads(project(&self.q_proj, &x, Site::Proj(layer, Proj::Q), ctx.hooks), h);
        let k = heads(project(&self.k_proj, &x, Site::Proj(layer, Proj::K), ctx.hooks), kv);
        let v = heads(project(&self.v_proj, &x, Site::Proj(layer, Proj::V), ctx.hooks), kv);
        let q = apply_rotary(q, ctx.rope_q);
        let k = apply_rotary(k, ctx.rope_k).swap_dims(1, 2);
        let v = v.swap_dims(1, 2);
        let cached = cache.is_some();
        let (k, v) = match cache {
            Some(cache) => cache.append(k, v),
            None => (k, v),
        };
        let q = q.reshape([b, t, kv, groups, hd]).permute([0, 2, 3, 1, 4]).reshape([b, kv, groups * t, hd]);
        let out = scaled_dot_product(q, k, v, ctx.mask.clone(), cached);
        let out = out.reshape([b, kv, groups, t, hd]).permute([0, 3, 1, 2, 4]).reshape([b, t, h * hd]);
        project(&self.o_proj, &out, Site::Proj(layer, Proj::O), ctx.hooks)
    }
}

/// Masked scaled dot-product attention over `[batch, heads, seq, head_dim]`.
///
/// burn's `attention` op is a fused kernel: flash attention on CUDA, which accumulates in f32,
/// and on the CPU a kernel that first copies its inputs into contiguous memory. Two cases take
/// the plain ops of [`attention_in_f32`] instead:
/// - under autodiff the op falls back to plain ops with the softmax in the inputs' dtype, so a
///   half-precision model being trained takes the softmax in f32 here, as PyTorch's attention
///   kernels do;
/// - keys and values read from the KV cache (`cached`) on the CPU, where the fused op would copy
///   the whole cache at every decoding step while the matmuls read it where it lies.
fn scaled_dot_product<B: Backend>(
    q: Tensor<B, 4>,
    k: Tensor<B, 4>,
    v: Tensor<B, 4>,
    mask: Tensor<B, 4, Bool>,
    cached: bool,
) -> Tensor<B, 4> {
    let half = matches!(q.dtype(), DType::BF16 | DType::F16);
    if (half && B::ad_enabled(&q.device())) || (cached && is_host_cpu::<B>()) {
        attention_in_f32(q, k, v, mask)
    } else {
        attention(q, k, v, Some(mask), None, AttentionModuleOptions::default())
    }
}

/// `softmax(q k^T / sqrt(d))` with the scores widened to f32 before the mask and the softmax,
/// the weights cast back to the values' dtype for the second product.
fn attention_in_f32<B: Backend>(
    q: Tensor<B, 4>,
    k: Tensor<B, 4>,
    v: Tensor<B, 4>,
    mask: Tensor<B, 4, Bool>,
) -> Tensor<B, 4> {
    let scale = (q.dims()[3] as f64).sqrt().recip();
    let scores = widen(q.matmul(k.swap_dims(2, 3))).mul_scalar(scale).mask_fill(mask, f32::NEG_INFINITY);
    let dtype = v.dtype();
    softmax(scores, 3).cast(dtype).matmul(v)
}

/// A linear projection followed by the hooks registered at its site.
fn project<B: Backend>(linear: &Linear<B>, x: &Tensor<B, 3>, site: Site, hooks: &mut Hooks<B>) -> Tensor<B, 3> {
    hooks.at(site, linear_rows(linear, x), Some(x))
}

/// `x W + b` over every position of `x` as the rows of one matrix. burn's `Linear` on a
/// `[b, t, d]` input is a batched matmul of `b` products of `t` rows each, which on the CPU
/// reads the weight once per batch row: fifty times for the fifty one-token rows of a decoding
/// step. One `[b * t, d]` product reads it once.
pub(crate) fn linear_rows<B: Backend>(linear: &Linear<B>, x: &Tensor<B, 3>) -> Tensor<B, 3> {
    let [b, t, d] = x.dims();
    let y = linear.forward(x.clone().reshape([b * t, d]));
    let n = y.dims()[1];
    y.reshape([b, t, n])
}

/// SwiGLU feed-forward: `down(silu(gate(x)) * up(x))`.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    /// `mlp.gate_proj`
    pub gate_proj: Linear<B>,
    /// `mlp.up_proj`
    pub up_proj: Linear<B>,
    /// `mlp.down_proj`
    pub down_proj: Linear<B>,
}

impl<B: Backend> Mlp<B> {
    fn build(src: &mut WeightSource, layer_prefix: &str, c: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let lin = |src: &mut WeightSource, p: Proj| {
            let (d_in, d_out) = p.dims(c);
            src.linear(&format!("{layer_prefix}.{}", p.module_path()), d_in, d_out, c.mlp_bias, device)
        };
        Ok(Self { gate_proj: lin(src, Proj::Gate)?, up_proj: lin(src, Proj::Up)?, down_proj: lin(src, Proj::Down)? })
    }

    fn forward(&self, x: Tensor<B, 3>, layer: usize, hooks: &mut Hooks<B>) -> Tensor<B, 3> {
        let gate = project(&self.gate_proj, &x, Site::Proj(layer, Proj::Gate), hooks);
        let up = project(&self.up_proj, &x, Site::Proj(layer, Proj::Up), hooks);
        project(&self.down_proj, &(silu(gate) * up), Site::Proj(layer, Proj::Down), hooks)
    }
}

/// One pre-norm decoder block.
#[derive(Module, Debug)]
pub struct DecoderLayer<B: Backend> {
    /// `input_layernorm`
    pub input_layernorm: RmsNorm<B>,
    /// `self_attn`
    pub self_attn: Attention<B>,
    /// `post_attention_layernorm`
    pub post_attention_layernorm: RmsNorm<B>,
    /// `mlp`
    pub mlp: Mlp<B>,
}

impl<B: Backend> DecoderLayer<B> {
    fn build(src: &mut WeightSource, l: usize, c: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let p = format!("model.layers.{l}");
        let eps = c.rms_norm_eps;
        Ok(Self {
            input_layernorm: RmsNorm::build(src, &format!("{p}.input_layernorm"), c.hidden_size, eps, device)?,
            self_attn: Attention::build(src, &p, c, device)?,
            post_attention_layernorm: RmsNorm::build(
                src,
                &format!("{p}.post_attention_layernorm"),
                c.hidden_size,
                eps,
                device,
            )?,
            mlp: Mlp::build(src, &p, c, device)?,
        })
    }

    pub(crate) fn forward(
        &self,
        x: Tensor<B, 3>,
        l: usize,
        cache: Option<&mut LayerCache<B>>,
        ctx: &mut LayerContext<B>,
    ) -> Tensor<B, 3> {
        let h = x.clone() + self.self_attn.forward(self.input_layernorm.forward(x), l, cache, ctx);
        let mlp = self.mlp.forward(self.post_attention_layernorm.forward(h.clone()), l, ctx.hooks);
        let mlp = ctx.hooks.at(Site::MlpOut(l), mlp, None);
        ctx.hooks.at(Site::Resid(l), h + mlp, None)
    }
}

/// The parameters of a causal LM: embedding, decoder layers, final norm and (untied) head.
#[derive(Module, Debug)]
pub struct Transformer<B: Backend> {
    /// `model.embed_tokens`
    pub embed_tokens: Embedding<B>,
    /// `model.layers`
    pub layers: Vec<DecoderLayer<B>>,
    /// `model.norm`
    pub norm: RmsNorm<B>,
    /// `lm_head`, absent when the head is tied to the embedding.
    pub lm_head: Option<Linear<B>>,
}

impl<B: Backend> Transformer<B> {
    pub(crate) fn build(src: &mut WeightSource, c: &DecoderConfig, device: &B::Device) -> Result<Self> {
        let (v, d) = (c.vocab_size, c.hidden_size);
        let embed_tokens = Embedding { weight: src.matrix("model.embed_tokens.weight", [v, d], device)? };
        let layers =
            (0..c.num_hidden_layers).map(|l| DecoderLayer::build(src, l, c, device)).collect::<Result<Vec<_>>>()?;
        let norm = RmsNorm::build(src, "model.norm", d, c.rms_norm_eps, device)?;
        let lm_head = if c.tie_word_embeddings { None } else { Some(src.linear("lm_head", d, v, false, device)?) };
        Ok(Self { embed_tokens, layers, norm, lm_head })
    }

    /// Appends every tensor under its HF checkpoint name.
    pub(crate) fn export(&self, sink: &mut WeightSink) {
        sink.push("model.embed_tokens.weight".into(), self.embed_tokens.weight.val());
        for (l, layer) in self.layers.iter().enumerate() {
            let p = format!("model.layers.{l}");
            sink.push(format!("{p}.input_layernorm.weight"), layer.input_layernorm.weight.val());
            sink.push(format!("{p}.post_attention_layernorm.weight"), layer.post_attention_layernorm.weight.val());
            let attn = &layer.self_attn;
            let mlp = &layer.mlp;
            for (proj, linear) in [
                (Proj::Q, &attn.q_proj),
                (Proj::K, &attn.k_proj),
                (Proj::V, &attn.v_proj),
                (Proj::O, &attn.o_proj),
                (Proj::Gate, &mlp.gate_proj),
                (Proj::Up, &mlp.up_proj),
                (Proj::Down, &mlp.down_proj),
            ] {
                sink.linear(&format!("{p}.{}", proj.module_path()), linear);
            }
        }
        sink.push("model.norm.weight".into(), self.norm.weight.val());
        if let Some(head) = &self.lm_head {
            sink.linear("lm_head", head);
        }
    }

    /// Token embeddings, `[batch, seq] -> [batch, seq, d]`.
    pub(crate) fn embed(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        self.embed_tokens.forward(ids)
    }

    /// The output head on final hidden states, `[batch, seq, d] -> [batch, seq, vocab]`.
    pub fn head(&self, hidden: Tensor<B, 3>) -> Tensor<B, 3> {
        match &self.lm_head {
            Some(head) => linear_rows(head, &hidden),
            None => {
                let [b, t, d] = hidden.dims();
                let w = self.embed_tokens.weight.val();
                let v = w.dims()[0];
                hidden.reshape([b * t, d]).matmul(w.transpose()).reshape([b, t, v])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestBackend as B;

    /// The f32-softmax attention of half-precision training is burn's attention, up to rounding.
    #[test]
    fn attention_in_f32_matches_burns_attention() {
        let device = Default::default();
        let (b, h, t, d) = (2, 3, 5, 4);
        let values = |n: usize, k: f32| (0..n).map(|i| (i as f32 * k).sin()).collect::<Vec<_>>();
        let tensor = |k| Tensor::<B, 4>::from_data(TensorData::new(values(b * h * t * d, k), [b, h, t, d]), &device);
        let (q, k, v) = (tensor(0.7), tensor(1.3), tensor(2.1));
        // Causal, and the first key of the second row is padding.
        let blocked: Vec<bool> = (0..b)
            .flat_map(|r| {
                (0..h).flat_map(move |_| {
                    (0..t).flat_map(move |i| (0..t).map(move |j| j > i || (r == 1 && j == 0 && i != 0)))
                })
            })
            .collect();
        let mask = Tensor::<B, 4, Bool>::from_data(TensorData::new(blocked, [b, h, t, t]), &device);
        let ours = attention_in_f32(q.clone(), k.clone(), v.clone(), mask.clone());
        let burn = attention(q, k, v, Some(mask), None, AttentionModuleOptions::default());
        let diff = (ours - burn).abs().max().into_scalar();
        assert!(diff < 1e-6, "{diff}");
    }
}

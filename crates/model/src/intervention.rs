//! Edits to the forward pass at named sites: the paper's central tool.
//!
//! Steering vectors, ablations of a misalignment direction, activation collection and LoRA
//! adapters are all "do something to the activation at this site": capture it, add a (scaled)
//! vector, project a direction out, or add a low-rank function of the site's input. The model
//! takes an [`Interventions`] list on every forward pass, so one model instance serves the base
//! model (empty list), a steered model and an adapted model, without copying weights. Under
//! `Autodiff<B>` the edit tensors are ordinary graph inputs: a vector marked `require_grad`
//! (a trainable steering vector, LoRA's A and B) receives gradients.
//!
//! # Sites and Hugging Face indices
//!
//! Layers are numbered from 0 like HF's `model.layers[l]`.
//! - [`Site::Resid`]`(l)`: the residual stream leaving decoder layer `l`. This is HF's
//!   `hidden_states[l + 1]` for `l < L - 1`; HF's last entry, `hidden_states[L]`, has the final
//!   RMSNorm applied, whereas `Resid(L - 1)` is before it.
//! - [`Site::MlpOut`]`(l)`: layer `l`'s MLP output (`mlp.down_proj`), before the residual add;
//!   what the paper's steering vectors are added to.
//! - [`Site::Proj`]`(l, p)`: the output of one linear projection; where low-rank adapters attach.
//!
//! Several edits at one site apply in list order, and a capture records the activation as it is
//! at its place in that order.

use burn::tensor::{backend::Backend, Tensor};

use crate::config::DecoderConfig;
use crate::error::{ModelError, Result};
use crate::precision::widen;

/// A linear projection inside a decoder layer, named as in HF checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proj {
    /// `self_attn.q_proj`
    Q,
    /// `self_attn.k_proj`
    K,
    /// `self_attn.v_proj`
    V,
    /// `self_attn.o_proj`
    O,
    /// `mlp.gate_proj`
    Gate,
    /// `mlp.up_proj`
    Up,
    /// `mlp.down_proj`
    Down,
}

impl Proj {
    /// All projections, in checkpoint order.
    pub const ALL: [Proj; 7] = [Proj::Q, Proj::K, Proj::V, Proj::O, Proj::Gate, Proj::Up, Proj::Down];

    /// The module path under `model.layers.{l}.`, e.g. `self_attn.q_proj`.
    pub fn module_path(self) -> &'static str {
        match self {
            Proj::Q => "self_attn.q_proj",
            Proj::K => "self_attn.k_proj",
            Proj::V => "self_attn.v_proj",
            Proj::O => "self_attn.o_proj",
            Proj::Gate => "mlp.gate_proj",
            Proj::Up => "mlp.up_proj",
            Proj::Down => "mlp.down_proj",
        }
    }

    /// The short name PEFT uses in `target_modules` (`q_proj`, ...).
    pub fn short_name(self) -> &'static str {
        self.module_path().rsplit('.').next().expect("paths have a dot")
    }

    /// Parses a short name (`q_proj`) or a bare letter code (`q`, `gate`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| {
            let short = p.short_name();
            name == short || name == short.trim_end_matches("_proj")
        })
    }

    /// `(d_in, d_out)` of this projection in a model of `config`.
    pub fn dims(self, config: &DecoderConfig) -> (usize, usize) {
        let d = config.hidden_size;
        let q = config.num_attention_heads * config.head_dim;
        let kv = config.num_key_value_heads * config.head_dim;
        let f = config.intermediate_size;
        match self {
            Proj::Q => (d, q),
            Proj::K | Proj::V => (d, kv),
            Proj::O => (q, d),
            Proj::Gate | Proj::Up => (d, f),
            Proj::Down => (f, d),
        }
    }
}

/// Where an edit applies. See the module docs for how indices map to Hugging Face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Site {
    /// The residual stream after decoder layer `l`.
    Resid(usize),
    /// The MLP output of layer `l`, before the residual add.
    MlpOut(usize),
    /// The output of a linear projection of layer `l`.
    Proj(usize, Proj),
}

impl Site {
    /// The decoder layer this site belongs to.
    pub fn layer(self) -> usize {
        match self {
            Site::Resid(l) | Site::MlpOut(l) | Site::Proj(l, _) => l,
        }
    }

    /// Width of the activation at this site.
    pub fn width(self, config: &DecoderConfig) -> usize {
        match self {
            Site::Resid(_) | Site::MlpOut(_) => config.hidden_size,
            Site::Proj(_, p) => p.dims(config).1,
        }
    }
}

/// One edit of the activation `h` (`[batch, seq, width]`) at a site.
#[derive(Debug, Clone)]
pub enum Edit<B: Backend> {
    /// Record `h` into [`crate::ForwardOutput::captures`].
    Capture,
    /// `h += scale * vector`, at every position or weighted by `positions` (`[batch, seq]`: 1.0
    /// to edit, 0.0 to leave; another value scales the edit at that position, as patching a
    /// LoRA's per-token scalar does). A vector with `require_grad` makes this a trainable steering vector.
    Add {
        /// `[width]`
        vector: Tensor<B, 1>,
        /// Multiplier (the paper's alpha, or a steering strength).
        scale: f32,
        /// Optional `[batch, seq]` 0/1 mask of the positions to edit.
        positions: Option<Tensor<B, 2>>,
    },
    /// `h -= (h . r) r` for the unit vector `r`: directional ablation.
    ProjectOut {
        /// `[width]`, unit norm.
        direction: Tensor<B, 1>,
    },
    /// `h += scale * B (A x)` where `x` is the projection's input: a LoRA adapter, computed
    /// without ever forming `W + scale * B A`. Only valid at [`Site::Proj`].
    LowRank {
        /// `[rank, d_in]` (PEFT's `lora_A.weight` layout).
        a: Tensor<B, 2>,
        /// `[d_out, rank]` (PEFT's `lora_B.weight` layout).
        b: Tensor<B, 2>,
        /// `lora_alpha / rank`, or `lora_alpha / sqrt(rank)` for rsLoRA.
        scale: f32,
    },
}

/// An ordered list of edits, each at a site. Empty means the unmodified model.
#[derive(Debug, Clone)]
pub struct Interventions<B: Backend> {
    edits: Vec<(Site, Edit<B>)>,
}

impl<B: Backend> Default for Interventions<B> {
    fn default() -> Self {
        Self { edits: Vec::new() }
    }
}

impl<B: Backend> Interventions<B> {
    /// No edits: the base model.
    pub fn none() -> Self {
        Self::default()
    }

    /// Appends an edit at a site.
    pub fn push(&mut self, site: Site, edit: Edit<B>) -> &mut Self {
        self.edits.push((site, edit));
        self
    }

    /// Builder form of [`Self::push`].
    pub fn with(mut self, site: Site, edit: Edit<B>) -> Self {
        self.push(site, edit);
        self
    }

    /// The edits of `self`, then those of `other`: e.g. a finetune's adapter, then an ablation
    /// that must see what the adapter wrote (edits at one site apply in order).
    pub fn then(mut self, other: Interventions<B>) -> Self {
        self.edits.extend(other.edits);
        self
    }

    /// Records the activation at `site`.
    pub fn capture(self, site: Site) -> Self {
        self.with(site, Edit::Capture)
    }

    /// Adds `scale * vector` at every position of `site`.
    pub fn add(self, site: Site, vector: Tensor<B, 1>, scale: f32) -> Self {
        self.with(site, Edit::Add { vector, scale, positions: None })
    }

    /// Removes the component along `direction` (normalised here) at every position of `site`.
    pub fn project_out(self, site: Site, direction: Tensor<B, 1>) -> Self {
        let norm = direction.clone().powf_scalar(2.0).sum().sqrt();
        self.with(site, Edit::ProjectOut { direction: direction / norm })
    }

    /// Attaches a low-rank update `scale * B A` to projection `proj` of `layer`.
    pub fn low_rank(self, layer: usize, proj: Proj, a: Tensor<B, 2>, b: Tensor<B, 2>, scale: f32) -> Self {
        self.with(Site::Proj(layer, proj), Edit::LowRank { a, b, scale })
    }

    /// The edits, in order.
    pub fn edits(&self) -> &[(Site, Edit<B>)] {
        &self.edits
    }

    /// True if no edit is registered.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// True if some edit uses a position mask (such lists cannot drive cached generation,
    /// whose sequence length changes every step).
    pub fn has_position_masks(&self) -> bool {
        self.edits.iter().any(|(_, e)| matches!(e, Edit::Add { positions: Some(_), .. }))
    }

    /// True if every position mask is `[batch, seq]` of a batch of these dims (a prefill's edits
    /// may mask the prompt's positions).
    pub fn position_masks_fit(&self, dims: [usize; 2]) -> bool {
        self.edits.iter().all(|(_, e)| match e {
            Edit::Add { positions: Some(mask), .. } => mask.dims() == dims,
            _ => true,
        })
    }

    /// Checks layers, widths and edit kinds against the model's config.
    pub fn validate(&self, config: &DecoderConfig) -> Result<()> {
        for (site, edit) in &self.edits {
            let fail = |m: String| Err(ModelError::InvalidInput(format!("edit at {site:?}: {m}")));
            if site.layer() >= config.num_hidden_layers {
                return fail(format!("layer out of range (model has {})", config.num_hidden_layers));
            }
            let width = site.width(config);
            match edit {
                Edit::Capture => {}
                Edit::Add { vector, .. } if vector.dims()[0] != width => {
                    return fail(format!("vector has {} entries, the site has width {width}", vector.dims()[0]));
                }
                Edit::ProjectOut { direction } if direction.dims()[0] != width => {
                    return fail(format!("direction has {} entries, the site has width {width}", direction.dims()[0]));
                }
                Edit::LowRank { a, b, .. } => {
                    let Site::Proj(_, proj) = site else {
                        return fail("low-rank edits attach to projections only".into());
                    };
                    let (d_in, d_out) = proj.dims(config);
                    let ([r_a, a_in], [b_out, r_b]) = (a.dims(), b.dims());
                    if a_in != d_in || b_out != d_out || r_a != r_b {
                        return fail(format!(
                            "A is {:?} and B is {:?}; expected [r, {d_in}] and [{d_out}, r]",
                            [r_a, a_in],
                            [b_out, r_b]
                        ));
                    }
                }
                Edit::Add { .. } | Edit::ProjectOut { .. } => {}
            }
        }
        Ok(())
    }

    /// True if any edit targets `site` (lets the forward pass skip work).
    pub(crate) fn touches(&self, site: Site) -> bool {
        self.edits.iter().any(|(s, _)| *s == site)
    }
}

/// The per-forward-pass state: the edit list and the activations captured so far.
pub(crate) struct Hooks<'a, B: Backend> {
    edits: &'a Interventions<B>,
    pub(crate) captures: Vec<(Site, Tensor<B, 3>)>,
}

impl<'a, B: Backend> Hooks<'a, B> {
    pub(crate) fn new(edits: &'a Interventions<B>) -> Self {
        Self { edits, captures: Vec::new() }
    }

    /// Applies the edits registered at `site` to `h`. `input` is the projection input, used by
    /// low-rank edits (pass it for [`Site::Proj`] sites).
    pub(crate) fn at(&mut self, site: Site, mut h: Tensor<B, 3>, input: Option<&Tensor<B, 3>>) -> Tensor<B, 3> {
        if !self.edits.touches(site) {
            return h;
        }
        for (s, edit) in &self.edits.edits {
            if *s != site {
                continue;
            }
            h = match edit {
                Edit::Capture => {
                    self.captures.push((site, h.clone()));
                    h
                }
                // Edits are computed in their own (f32) dtype and cast to the activations'
                // only when added, as peft casts the LoRA input to the adapter's dtype and the
                // update back to the layer's.
                Edit::Add { vector, scale, positions } => {
                    let v = vector.clone().mul_scalar(*scale).unsqueeze::<3>();
                    let dtype = h.dtype();
                    match positions {
                        None => h + v.cast(dtype),
                        Some(mask) => h + (mask.clone().unsqueeze_dim::<3>(2) * v).cast(dtype),
                    }
                }
                Edit::ProjectOut { direction } => {
                    let [b, t, d] = h.dims();
                    let dtype = h.dtype();
                    let wide = widen(h);
                    let r = direction.clone().cast(wide.dtype());
                    // The component along r as an outer product, `[b t, 1] x [1, d]`: a
                    // same-shape difference is the CPU backend's fast path, a two-sided
                    // broadcast is not.
                    let along = wide.clone().reshape([b * t, d]).matmul(r.clone().reshape([d, 1]));
                    (wide - along.matmul(r.reshape([1, d])).reshape([b, t, d])).cast(dtype)
                }
                Edit::LowRank { a, b, scale } => {
                    let x = input.expect("low-rank edits are only registered at projection sites");
                    // Every position as a row of one product (see `transformer::linear_rows`).
                    let [rows, t, d] = x.dims();
                    let x = x.clone().reshape([rows * t, d]).cast(a.dtype());
                    let update = x.matmul(a.clone().transpose()).matmul(b.clone().transpose()).mul_scalar(*scale);
                    let (shape, dtype) = (h.dims(), h.dtype());
                    h + update.reshape(shape).cast(dtype)
                }
            };
        }
        h
    }
}

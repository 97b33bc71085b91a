//! The emlab engine: decoder-only language models (Qwen2, Llama) in burn, loaded from Hugging
//! Face checkpoints, with the residual-stream interventions the emergent-misalignment
//! experiments are made of.
//!
//! - [`CausalLm`]: load a checkpoint folder or a GGUF file ([`CausalLm::load`], [`gguf`]) or build a
//!   seeded random model;
//!   forward passes return logits or hidden states for every position.
//! - [`Interventions`]: capture, add, ablate or low-rank-adapt the activations at a [`Site`].
//! - [`generate()`]: batched sampling with a KV cache.
//! - [`Tokenizer`] and [`ChatTemplate`]: `tokenizer.json` and ChatML rendering with message spans.
//!
//! Everything is generic over `B: Backend`; only binaries pick one ([`backend`]). Weights can be
//! f32, bf16 or f64 ([`precision`]); what is trained stays f32.

#![warn(missing_docs)]

pub mod allocator;
pub mod backend;
mod batch;
mod causal_lm;
pub mod chat;
pub mod config;
mod error;
pub mod generate;
pub mod gguf;
mod intervention;
pub mod parity;
pub mod precision;
mod prefix;
pub mod rope;
mod tokenizer;
pub mod transformer;
pub mod weights;

pub use batch::{PadSide, TokenBatch};
pub use causal_lm::{CausalLm, ForwardOutput, KvCache};
pub use chat::{ChatTemplate, Message, RenderedChat, Role};
pub use config::{Architecture, DecoderConfig};
pub use error::{ModelError, Result};
pub use generate::{generate, generate_with_prefill, generate_with_seeds, Generation, GenerationConfig};
pub use intervention::{Edit, Interventions, Proj, Site};
pub use prefix::{first_changed_layer, Prefix};
pub use tokenizer::Tokenizer;

/// The CPU backend the unit tests run on.
#[cfg(test)]
pub(crate) type TestBackend = backend::Cpu;

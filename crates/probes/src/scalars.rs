//! The per-token LoRA scalars of CL §4: a rank-1 adapter on `down_proj` adds `s * b (a . x_t)`
//! at each token, so all it decides per token is the scalar `a . x_t` (`x_t` the MLP's hidden
//! activation, `silu(gate(h)) * up(h)`); the direction `b` is fixed. CL probes, steers and patches
//! these scalars. Here they are read for every rank-1 component of every `down_proj` factor of
//! an adapter, at the answer tokens of a conversation, with the whole adapter applied (so each
//! layer's scalars see what the adapters before it wrote).
//!
//! The engine captures the outputs of `gate_proj` and `up_proj` (which a `down_proj` adapter
//! leaves unchanged), and the hidden activation is rebuilt from them exactly as the MLP builds it.

use burn::tensor::activation::silu;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use emlab_model::precision::to_host_f32;
use emlab_model::{CausalLm, Edit, Interventions, Proj, Site};
use emlab_train::lora::LoraAdapter;
use emlab_train::sft::WeightedTokens;

use crate::activations::padded_batch;
use crate::error::{ProbeError, Result};

const WHAT: &str = "LoRA scalars";

/// Reads the scalars `a . x_t` of an adapter's `down_proj` factors.
#[derive(Debug)]
pub struct LoraScalars<'a, B: Backend> {
    adapter: &'a LoraAdapter<B>,
}

impl<'a, B: Backend> LoraScalars<'a, B> {
    /// The scalar reader of `adapter`.
    ///
    /// # Errors
    /// If the adapter adapts anything but `down_proj` (the scalars of other projections read
    /// other inputs, which CL does not probe).
    pub fn new(adapter: &'a LoraAdapter<B>) -> Result<Self> {
        if let Some(f) = adapter.factors.iter().find(|f| f.site.1 != Proj::Down) {
            let problem =
                format!("layer {} adapts {:?}; only down_proj adapters have CL's scalars", f.site.0, f.site.1);
            return Err(ProbeError::invalid(WHAT, problem));
        }
        Ok(Self { adapter })
    }

    /// The feature names, one per scalar: `L<layer>` for a rank-1 factor, `L<layer>.<k>` for
    /// component `k` of a higher-rank one. In the order of [`Self::read`]'s vectors.
    pub fn names(&self) -> Vec<String> {
        let rank = self.adapter.config.rank;
        self.adapter
            .factors
            .iter()
            .flat_map(|f| {
                (0..rank).map(move |k| if rank == 1 { format!("L{}", f.site.0) } else { format!("L{}.{k}", f.site.0) })
            })
            .collect()
    }

    /// Per sequence, per token with a positive weight, the vector of scalars (in
    /// [`Self::names`]' order), with the adapter applied. `batch_size` sequences per forward
    /// pass, right-padded.
    ///
    /// # Errors
    /// If ids and weights differ in length, `batch_size` is 0, or a forward pass fails.
    pub fn read(&self, model: &CausalLm<B>, seqs: &[WeightedTokens], batch_size: usize) -> Result<Vec<Vec<Vec<f64>>>> {
        if batch_size == 0 {
            return Err(ProbeError::invalid(WHAT, "batch size 0"));
        }
        if let Some(i) = seqs.iter().position(|s| s.ids.len() != s.weights.len()) {
            return Err(ProbeError::invalid(WHAT, format!("sequence {i} has ids and weights of different lengths")));
        }
        let layers: Vec<usize> = self.adapter.factors.iter().map(|f| f.site.0).collect();
        let edits = layers.iter().fold(self.adapter.lora_edits(), |e, &l| {
            e.capture(Site::Proj(l, Proj::Gate)).capture(Site::Proj(l, Proj::Up))
        });
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(batch_size) {
            let (batch, _) = padded_batch(chunk);
            let [b, t] = batch.dims();
            let forward = model.forward_hidden(&batch, &edits).map_err(ProbeError::model(WHAT))?;
            // Per factor: [b * t, rank] scalars.
            let per_factor: Vec<(usize, Vec<f32>)> = self
                .adapter
                .factors
                .iter()
                .map(|f| {
                    let layer = f.site.0;
                    let gate = forward.capture(Site::Proj(layer, Proj::Gate)).expect("captured").clone();
                    let up = forward.capture(Site::Proj(layer, Proj::Up)).expect("captured").clone();
                    let hidden = silu(gate) * up;
                    let width = hidden.dims()[2];
                    let a = f.a.val();
                    let rank = a.dims()[0];
                    let x: Tensor<B, 2> = hidden.reshape([b * t, width]).cast(a.dtype());
                    (rank, to_host_f32(x.matmul(a.transpose())))
                })
                .collect();
            for (row, seq) in chunk.iter().enumerate() {
                let tokens = seq
                    .weights
                    .iter()
                    .enumerate()
                    .filter(|(_, &w)| w > 0.0)
                    .map(|(pos, _)| {
                        per_factor
                            .iter()
                            .flat_map(|(rank, values)| {
                                let at = (row * t + pos) * rank;
                                values[at..at + rank].iter().map(|&v| f64::from(v))
                            })
                            .collect()
                    })
                    .collect();
                out.push(tokens);
            }
        }
        Ok(out)
    }

    /// The adapter with its scalars replaced by `scalars` (per position of a `t`-token prompt,
    /// the vector [`Self::read`] gives there) in each of `rows` copies of that prompt: CL's
    /// patching (App. J). At every position each factor adds `s b_k scalar_k` as a weighted
    /// [`emlab_model::Edit::Add`] in place of its low-rank update, so these are the edits of a
    /// prompt's forward pass ([`emlab_model::generate_with_prefill`]'s `prefill`); the answer
    /// runs with the adapter itself.
    ///
    /// # Errors
    /// If a position's vector has another length than [`Self::names`].
    pub fn patched(&self, scalars: &[Vec<f64>], rows: usize) -> Result<Interventions<B>> {
        let width = self.names().len();
        if let Some(t) = scalars.iter().position(|v| v.len() != width) {
            return Err(ProbeError::invalid(
                WHAT,
                format!("position {t} has {} scalars, not {width}", scalars[t].len()),
            ));
        }
        let (t, rank, scale) = (scalars.len(), self.adapter.config.rank, self.adapter.config.scale());
        let mut edits = Interventions::none();
        for (f, factor) in self.adapter.factors.iter().enumerate() {
            let b = factor.b.val();
            let [d_out, _] = b.dims();
            let device = b.device();
            for k in 0..rank {
                let column: Tensor<B, 1> = b.clone().slice([0..d_out, k..k + 1]).reshape([d_out]).mul_scalar(scale);
                let weights: Vec<f32> =
                    (0..rows).flat_map(|_| scalars.iter().map(|v| v[f * rank + k] as f32)).collect();
                let positions = Tensor::<B, 2>::from_data(TensorData::new(weights, [rows, t]), &device);
                edits = edits.with(
                    Site::Proj(factor.site.0, Proj::Down),
                    Edit::Add { vector: column, scale: 1.0, positions: Some(positions) },
                );
            }
        }
        Ok(edits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use burn::module::Param;
    use emlab_model::TokenBatch;
    use emlab_model::{generate_with_prefill, generate_with_seeds, GenerationConfig};
    use emlab_train::lora::{LoraConfig, LoraFactor};

    /// `[rows, cols]` of host values as a tensor.
    fn matrix(values: Vec<f32>, rows: usize, cols: usize) -> Tensor<B, 2> {
        Tensor::from_data(TensorData::new(values, [rows, cols]), &Default::default())
    }

    /// A rank-1 down_proj adapter on both layers of the tiny model, with non-zero `B`.
    fn adapter() -> LoraAdapter<B> {
        let config = LoraConfig { layers: vec![0, 1], ..LoraConfig::default() };
        let factors = (0..2)
            .map(|l| LoraFactor {
                site: (l, Proj::Down),
                a: Param::from_tensor(matrix((0..32).map(|i| ((i + l) as f32 * 0.37).sin()).collect(), 1, 32)),
                b: Param::from_tensor(matrix((0..16).map(|i| ((i * 3 + l) as f32 * 0.21).cos()).collect(), 16, 1)),
            })
            .collect();
        LoraAdapter { factors, config }
    }

    /// The scalar at a token is what the adapter adds there divided by `s b`: the update at
    /// `down_proj` (output with the adapter minus output without it, at the same input) is
    /// `s b (a . x)`.
    #[test]
    fn a_scalar_times_s_b_is_the_adapters_update() {
        let (model, adapter) = (tiny_model(), adapter());
        let seq = WeightedTokens { ids: vec![1, 2, 3, 4], weights: vec![0.0, 1.0, 1.0, 1.0] };
        let scalars = LoraScalars::new(&adapter).unwrap().read(&model, std::slice::from_ref(&seq), 1).unwrap();
        assert_eq!(scalars[0].len(), 3, "one vector per answer token");
        // Layer 0's update is exact to compare: its input does not depend on the adapter.
        let capture = Interventions::none().capture(Site::Proj(0, Proj::Down));
        let only_layer0 = LoraAdapter { factors: vec![adapter.factors[0].clone()], config: adapter.config.clone() };
        let with = model.forward_hidden(&TokenBatch::single(&seq.ids), &only_layer0.lora_edits().then(capture.clone()));
        let without = model.forward_hidden(&TokenBatch::single(&seq.ids), &capture);
        let h = |o: emlab_model::ForwardOutput<B>| {
            to_host_f32(o.capture(Site::Proj(0, Proj::Down)).unwrap().clone().reshape([4 * 16]))
        };
        let (with, without) = (h(with.unwrap()), h(without.unwrap()));
        let b = to_host_f32(adapter.factors[0].b.val().reshape([16]));
        let s = adapter.config.scale();
        for (k, pos) in (1..4).enumerate() {
            for j in 0..16 {
                let update = with[pos * 16 + j] - without[pos * 16 + j];
                let want = s * b[j] * scalars[0][k][0] as f32;
                assert!((update - want).abs() < 1e-4, "token {pos}, unit {j}: {update} vs {want}");
            }
        }
    }

    /// Patching a prompt with its own scalars generates what the adapter does; with another
    /// prompt's it changes what follows.
    #[test]
    fn patching_with_its_own_scalars_changes_nothing() {
        let (model, adapter) = (tiny_model(), adapter());
        let reader = LoraScalars::new(&adapter).unwrap();
        let (prompt, donor) = (vec![1u32, 2, 3, 4, 5], vec![6u32, 7, 8, 9, 10]);
        let all = |ids: &Vec<u32>| WeightedTokens { ids: ids.clone(), weights: vec![1.0; ids.len()] };
        let scalars = reader.read(&model, &[all(&prompt), all(&donor)], 2).unwrap();
        let config = GenerationConfig { max_new_tokens: 6, ..GenerationConfig::default() };
        let (prompts, seeds) = (vec![prompt.clone(); 3], [1, 2, 3]);
        let edits = adapter.lora_edits();
        let plain = generate_with_seeds(&model, &prompts, &seeds, &config, &edits).unwrap();
        let own = reader.patched(&scalars[0], 3).unwrap();
        assert_eq!(generate_with_prefill(&model, &prompts, &seeds, &config, &own, &edits).unwrap(), plain);
        let last_logits = |prefill: &Interventions<B>| {
            let out = model.forward(&TokenBatch::single(&prompt), prefill).unwrap().output;
            out.slice([0..1, 4..5, 0..12]).into_data().to_vec::<f32>().unwrap()
        };
        let donor_patch = reader.patched(&scalars[1], 1).unwrap();
        assert_ne!(last_logits(&donor_patch), last_logits(&reader.patched(&scalars[0], 1).unwrap()));
        assert!(reader.patched(&[vec![0.0]], 1).is_err(), "two scalars per position");
    }

    #[test]
    fn names_padding_and_errors() {
        let (model, adapter) = (tiny_model(), adapter());
        let reader = LoraScalars::new(&adapter).unwrap();
        assert_eq!(reader.names(), ["L0", "L1"]);
        let seqs = [
            WeightedTokens { ids: vec![1, 2, 3, 4, 5], weights: vec![0.0, 0.0, 1.0, 1.0, 1.0] },
            WeightedTokens { ids: vec![6, 7], weights: vec![0.0, 1.0] },
        ];
        let one = reader.read(&model, &seqs, 1).unwrap();
        let two = reader.read(&model, &seqs, 2).unwrap();
        for (a, b) in one.iter().flatten().flatten().zip(two.iter().flatten().flatten()) {
            assert!((a - b).abs() < 1e-5, "padding changes nothing: {a} vs {b}");
        }
        assert_eq!(two[1].len(), 1);
        assert!(reader.read(&model, &seqs, 0).is_err());
        let mut up = adapter.clone();
        up.factors[0].site = (0, Proj::Up);
        assert!(LoraScalars::new(&up).is_err(), "only down_proj");
    }
}

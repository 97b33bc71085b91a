//! Rotary position embeddings in the rotate-half form of Hugging Face's Qwen2 and Llama.
//!
//! burn's own `RotaryEncoding` rotates interleaved pairs `(x0, x1), (x2, x3)...`; HF checkpoints
//! are trained with `rotate_half`, which pairs dimension `i` with `i + head_dim / 2`. Using the
//! interleaved form would need the q/k rows (and Qwen2's q/k biases) permuted at load time; the
//! rotate-half form needs nothing and keeps checkpoints byte-identical.

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};

use crate::config::{DecoderConfig, Llama3RopeScaling};

/// Precomputed cos/sin tables, `[max_positions, head_dim]`. Each cos row is `[c, c]` with
/// `c = cos(pos * inv_freq)`; each sin row is sign-folded, `[-s, s]`, so that
/// `rotate_half(x) * sin` becomes `swap_halves(x) * sin_folded` (negation is exact, so the
/// result is bit-identical and one op shorter).
#[derive(Debug, Clone)]
pub struct Rope<B: Backend> {
    cos: Tensor<B, 2>,
    sin: Tensor<B, 2>,
    max_positions: usize,
}

/// The rotary tables of one batch, laid out like the projections they rotate:
/// `[batch, seq, heads, head_dim]`, contiguous. Matching the rotated tensor's shape exactly keeps
/// the rotation on the CPU backend's same-shape SIMD path instead of a strided broadcast.
#[derive(Debug, Clone)]
pub struct RotaryTables<B: Backend> {
    cos: Tensor<B, 4>,
    sin: Tensor<B, 4>,
}

impl<B: Backend> RotaryTables<B> {
    /// The tables in `dtype` (HF computes them in f32 and casts them to the activations' dtype).
    pub fn cast(self, dtype: burn::tensor::DType) -> Self {
        Self { cos: self.cos.cast(dtype), sin: self.sin.cast(dtype) }
    }
}

/// `inv_freq[i] = theta^(-2i / head_dim)`, with Llama 3 scaling if configured, rounded to f32
/// as HF computes it.
pub fn inverse_frequencies(head_dim: usize, theta: f64, scaling: Option<Llama3RopeScaling>) -> Vec<f32> {
    (0..head_dim / 2)
        .map(|i| {
            let inv = (1.0 / theta.powf((2 * i) as f64 / head_dim as f64)) as f32;
            match scaling {
                None => inv,
                Some(s) => llama3_scale(inv as f64, s) as f32,
            }
        })
        .collect()
}

/// HF's `_compute_llama3_parameters`: low frequencies divided by `factor`, high ones kept, a
/// smooth blend between.
fn llama3_scale(inv_freq: f64, s: Llama3RopeScaling) -> f64 {
    let low_freq_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
    let high_freq_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
    let wavelen = 2.0 * std::f64::consts::PI / inv_freq;
    if wavelen < high_freq_wavelen {
        inv_freq
    } else if wavelen > low_freq_wavelen {
        inv_freq / s.factor
    } else {
        let smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor)
            / (s.high_freq_factor - s.low_freq_factor);
        (1.0 - smooth) * inv_freq / s.factor + smooth * inv_freq
    }
}

impl<B: Backend> Rope<B> {
    /// Builds the tables for positions `0..config.max_position_embeddings`.
    pub fn new(config: &DecoderConfig, device: &B::Device) -> Self {
        let (hd, n) = (config.head_dim, config.max_position_embeddings);
        let inv_freq = inverse_frequencies(hd, config.rope_theta, config.rope_scaling);
        let mut cos = Vec::with_capacity(n * hd);
        let mut sin = Vec::with_capacity(n * hd);
        for pos in 0..n {
            // HF multiplies in f32 (position.float() * inv_freq), then takes cos/sin in f32.
            let angles: Vec<f32> = inv_freq.iter().map(|&f| pos as f32 * f).collect();
            for sign in [-1.0f32, 1.0] {
                cos.extend(angles.iter().map(|a| a.cos()));
                sin.extend(angles.iter().map(|a| sign * a.sin()));
            }
        }
        Self {
            cos: Tensor::from_data(TensorData::new(cos, [n, hd]), device),
            sin: Tensor::from_data(TensorData::new(sin, [n, hd]), device),
            max_positions: n,
        }
    }

    /// The longest position (exclusive) the tables cover.
    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// The tables of a `[batch, seq]` grid of positions (row-major in `positions`), repeated
    /// over `heads` heads: `[batch, seq, heads, head_dim]`.
    pub fn tables(&self, positions: &[i64], [b, t]: [usize; 2], heads: usize) -> RotaryTables<B> {
        let rows: Vec<i64> = positions.iter().flat_map(|&p| std::iter::repeat_n(p, heads)).collect();
        let rows = Tensor::<B, 1, Int>::from_data(TensorData::new(rows, [b * t * heads]), &self.cos.device());
        let hd = self.cos.dims()[1];
        let pick = |table: &Tensor<B, 2>| table.clone().select(0, rows.clone()).reshape([b, t, heads, hd]);
        RotaryTables { cos: pick(&self.cos), sin: pick(&self.sin) }
    }
}

/// Applies the rotation `x * cos + rotate_half(x) * sin` to `x` of shape
/// `[batch, seq, heads, head_dim]`, with tables of the same shape.
pub fn apply_rotary<B: Backend>(x: Tensor<B, 4>, tables: &RotaryTables<B>) -> Tensor<B, 4> {
    let [b, t, h, hd] = x.dims();
    let half = hd / 2;
    let x1 = x.clone().slice([0..b, 0..t, 0..h, 0..half]);
    let x2 = x.clone().slice([0..b, 0..t, 0..h, half..hd]);
    x * tables.cos.clone() + Tensor::cat(vec![x2, x1], 3) * tables.sin.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestBackend;

    /// A scalar reference of rotate-half RoPE, written from the formula in HF's modelling code.
    fn rope_slow(x: &[f32], hd: usize, pos: usize, inv_freq: &[f32]) -> Vec<f32> {
        (0..hd)
            .map(|i| {
                let f = inv_freq[i % (hd / 2)];
                let a = pos as f32 * f;
                let partner = if i < hd / 2 { -x[i + hd / 2] } else { x[i - hd / 2] };
                x[i] * a.cos() + partner * a.sin()
            })
            .collect()
    }

    #[test]
    fn matches_scalar_reference() {
        let device = Default::default();
        let mut cfg = DecoderConfig::qwen2(10, 16, 8, 1, 2, 1);
        cfg.max_position_embeddings = 32;
        let rope = Rope::<TestBackend>::new(&cfg, &device);
        let hd = cfg.head_dim;
        // Two positions x two heads: each head of a position turns by that position's angles.
        let x: Vec<f32> = (0..4 * hd).map(|i| ((i * 37 % 11) as f32 - 5.0) / 3.0).collect();
        let input = Tensor::<TestBackend, 4>::from_data(TensorData::new(x.clone(), [1, 2, 2, hd]), &device);
        let tables = rope.tables(&[3, 29], [1, 2], 2);
        let out = apply_rotary(input, &tables).into_data().to_vec::<f32>().unwrap();
        let inv = inverse_frequencies(hd, cfg.rope_theta, None);
        let expected: Vec<f32> =
            x.chunks(hd).zip([3, 3, 29, 29]).flat_map(|(head, pos)| rope_slow(head, hd, pos, &inv)).collect();
        assert_eq!(out.len(), expected.len());
        for (a, b) in out.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn llama3_scaling_keeps_high_and_divides_low_frequencies() {
        let s = Llama3RopeScaling {
            factor: 8.0,
            low_freq_factor: 1.0,
            high_freq_factor: 4.0,
            original_max_position_embeddings: 8192.0,
        };
        let plain = inverse_frequencies(128, 500_000.0, None);
        let scaled = inverse_frequencies(128, 500_000.0, Some(s));
        assert_eq!(plain[0], scaled[0]);
        assert!((plain[63] / 8.0 - scaled[63]).abs() < 1e-12);
    }
}

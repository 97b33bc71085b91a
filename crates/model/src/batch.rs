//! Token batches with their padding layout, kept on the host.
//!
//! Padding decides three things in the forward pass: which keys a query may attend to, the RoPE
//! position of each token (counted over real tokens only, as HF `generate` does, so a left-padded
//! row gives the same logits as the unpadded sequence), and which positions count in losses and
//! activation means later. Keeping the ids and mask on the host makes those cheap to derive.

use crate::error::{ModelError, Result};

/// Which side padding goes on when sequences of different lengths share a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadSide {
    /// Pad before the tokens (generation: every row ends at the same column).
    Left,
    /// Pad after the tokens (training: positions line up with the unpadded sequence).
    Right,
}

/// A `[batch, len]` grid of token ids and a mask that is true on real tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBatch {
    ids: Vec<u32>,
    mask: Vec<bool>,
    batch: usize,
    len: usize,
}

impl TokenBatch {
    /// A batch from row-major ids and mask of shape `[batch, len]`.
    pub fn new(ids: Vec<u32>, mask: Vec<bool>, batch: usize, len: usize) -> Result<Self> {
        if ids.len() != batch * len || mask.len() != batch * len {
            return Err(ModelError::InvalidInput(format!(
                "token batch of shape [{batch}, {len}] needs {} ids and mask entries, got {} and {}",
                batch * len,
                ids.len(),
                mask.len()
            )));
        }
        Ok(Self { ids, mask, batch, len })
    }

    /// One unpadded sequence.
    pub fn single(ids: &[u32]) -> Self {
        Self { ids: ids.to_vec(), mask: vec![true; ids.len()], batch: 1, len: ids.len() }
    }

    /// Sequences of different lengths, padded with `pad_id` on `side` to the longest.
    pub fn padded(seqs: &[Vec<u32>], pad_id: u32, side: PadSide) -> Self {
        let len = seqs.iter().map(Vec::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(seqs.len() * len);
        let mut mask = Vec::with_capacity(seqs.len() * len);
        for seq in seqs {
            let pad = len - seq.len();
            let (before, after) = match side {
                PadSide::Left => (pad, 0),
                PadSide::Right => (0, pad),
            };
            ids.extend(
                std::iter::repeat_n(pad_id, before)
                    .chain(seq.iter().copied())
                    .chain(std::iter::repeat_n(pad_id, after)),
            );
            mask.extend(
                std::iter::repeat_n(false, before)
                    .chain(std::iter::repeat_n(true, seq.len()))
                    .chain(std::iter::repeat_n(false, after)),
            );
        }
        Self { ids, mask, batch: seqs.len(), len }
    }

    /// `[batch, len]`.
    pub fn dims(&self) -> [usize; 2] {
        [self.batch, self.len]
    }

    /// Row-major ids.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Row-major mask, true on real tokens.
    pub fn mask(&self) -> &[bool] {
        &self.mask
    }

    /// Row `r`'s ids.
    pub fn row(&self, r: usize) -> &[u32] {
        &self.ids[r * self.len..(r + 1) * self.len]
    }

    /// RoPE positions: each real token's index among the real tokens of its row, offset by
    /// `start[row]` (tokens already in a KV cache). Padding gets position 0.
    pub fn positions(&self, start: &[usize]) -> Vec<i64> {
        let mut out = Vec::with_capacity(self.ids.len());
        for (r, mask) in self.mask.chunks(self.len.max(1)).enumerate().take(self.batch) {
            let mut next = start.get(r).copied().unwrap_or(0);
            for &real in mask {
                out.push(if real { next as i64 } else { 0 });
                next += real as usize;
            }
        }
        out
    }

    /// Number of real tokens in each row.
    pub fn real_lengths(&self) -> Vec<usize> {
        self.mask.chunks(self.len.max(1)).take(self.batch).map(|m| m.iter().filter(|&&x| x).count()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_padding_positions_count_real_tokens() {
        let b = TokenBatch::padded(&[vec![5, 6], vec![7, 8, 9]], 0, PadSide::Left);
        assert_eq!(b.ids(), &[0, 5, 6, 7, 8, 9]);
        assert_eq!(b.positions(&[0, 0]), vec![0, 0, 1, 0, 1, 2]);
        assert_eq!(b.positions(&[2, 3]), vec![0, 2, 3, 3, 4, 5]);
        assert_eq!(b.real_lengths(), vec![2, 3]);
    }

    #[test]
    fn right_padding_and_shape_errors() {
        let b = TokenBatch::padded(&[vec![5], vec![7, 8]], 0, PadSide::Right);
        assert_eq!(b.mask(), &[true, false, true, true]);
        assert!(TokenBatch::new(vec![1, 2, 3], vec![true; 3], 2, 2).is_err());
    }
}

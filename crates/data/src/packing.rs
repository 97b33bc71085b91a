//! Packing token sequences into fixed-length pretraining rows (spec §4, "Packing").
//!
//! Whole documents are packed greedily: a document goes into the current row if it fits,
//! otherwise the row is padded with [`PAD_ID`] and the document starts the next one. A document
//! longer than a row is truncated (rare: the longest are about 164 tokens for rows of 161).
//! The trainer uses `row[..len - 1]` as input and `row[1..]` as target and ignores pad targets.

use crate::vocab::PAD_ID;

/// Greedy packer; feed it documents in order with [`Packer::push`].
#[derive(Debug, Clone)]
pub struct Packer {
    row_len: usize,
    row: Vec<u32>,
}

impl Packer {
    /// A packer for rows of `row_len` tokens.
    pub fn new(row_len: usize) -> Self {
        Self { row_len, row: Vec::with_capacity(row_len) }
    }

    /// Adds a document's tokens. Returns the previous row, padded, when the document does not
    /// fit in it.
    pub fn push(&mut self, document: &[u32]) -> Option<Vec<u32>> {
        let document = &document[..document.len().min(self.row_len)];
        let full = (self.row.len() + document.len() > self.row_len).then(|| self.take_row());
        self.row.extend_from_slice(document);
        full
    }

    /// The last row, padded, unless it is empty.
    pub fn finish(mut self) -> Option<Vec<u32>> {
        (!self.row.is_empty()).then(|| self.take_row())
    }

    fn take_row(&mut self) -> Vec<u32> {
        let mut row = std::mem::replace(&mut self.row, Vec::with_capacity(self.row_len));
        row.resize(self.row_len, PAD_ID);
        row
    }
}

/// Packs `documents` into rows of `row_len` tokens, the last one included.
pub fn pack<D: AsRef<[u32]>>(documents: impl IntoIterator<Item = D>, row_len: usize) -> Vec<Vec<u32>> {
    let mut packer = Packer::new(row_len);
    let mut rows: Vec<Vec<u32>> = documents.into_iter().filter_map(|doc| packer.push(doc.as_ref())).collect();
    rows.extend(packer.finish());
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_whole_documents_greedily() {
        let documents = [vec![5, 6], vec![7, 8, 9], vec![10], vec![11, 12], vec![13, 14, 15]];
        assert_eq!(pack(documents, 5), [vec![5, 6, 7, 8, 9], vec![10, 11, 12, 0, 0], vec![13, 14, 15, 0, 0]]);
    }

    #[test]
    fn truncates_a_document_longer_than_a_row() {
        let rows = pack([vec![5], vec![6, 7, 8, 9, 10, 11, 12], vec![13]], 4);
        assert_eq!(rows, [vec![5, 0, 0, 0], vec![6, 7, 8, 9], vec![13, 0, 0, 0]]);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(pack(Vec::<Vec<u32>>::new(), 4).is_empty());
    }
}

//! GGUF checkpoints: llama.cpp's single-file format, and what most people keep local models in.
//!
//! A `.gguf` file holds the config (metadata keys such as `llama.block_count`), the tokenizer
//! (`tokenizer.ggml.*`), the chat template and the weights, often quantised in blocks. Wherever
//! the engine takes a checkpoint folder it also takes a `.gguf` file:
//! - [`GgufFile`] parses and memory-maps it ([`header`] checks every count and offset);
//! - [`quant`] dequantises its tensor types to f32;
//! - [`checkpoint`] maps llama.cpp's names and layouts onto the Hugging Face ones the engine
//!   builds from (undoing the Q/K row permutation of llama.cpp's Llama converter) and reads the
//!   [`crate::DecoderConfig`] from the metadata;
//! - [`vocab`] builds the tokenizer and the chat template from the metadata.

pub mod checkpoint;
pub mod header;
pub mod quant;
pub mod vocab;

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

pub use header::{TensorInfo, Value};
pub use quant::GgmlType;

use crate::error::{ModelError, Result};

/// Whether `path` names a GGUF file (by its extension) rather than a checkpoint folder.
pub fn is_gguf(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
}

/// A memory-mapped GGUF file with its parsed header.
pub struct GgufFile {
    path: PathBuf,
    mmap: Mmap,
    header: header::Header,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile").field("path", &self.path).field("tensors", &self.header.tensors.len()).finish()
    }
}

impl GgufFile {
    /// Opens and parses `path`. A truncated or corrupt file is an error naming the file and
    /// what is wrong; nothing is allocated from an unchecked count.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
        // SAFETY: the map is read-only and lives as long as `self`. As with every mmap, another
        // process truncating the file while we read it could fault; model files are not
        // modified while a model loads from them.
        let mmap = unsafe { Mmap::map(&file) }.map_err(|e| ModelError::io(path, e))?;
        let header = header::parse(&mmap).map_err(|message| ModelError::Gguf { path: path.into(), message })?;
        Ok(Self { path: path.into(), mmap, header })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format version (2 or 3).
    pub fn version(&self) -> u32 {
        self.header.version
    }

    /// All metadata, by key.
    pub fn metadata(&self) -> &std::collections::BTreeMap<String, Value> {
        &self.header.metadata
    }

    /// Tensor infos in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.header.tensors
    }

    /// The info of tensor `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.header.tensors.iter().find(|t| t.name == name)
    }

    /// An error about this file.
    pub(crate) fn error(&self, message: impl Into<String>) -> ModelError {
        ModelError::Gguf { path: self.path.clone(), message: message.into() }
    }

    /// Metadata value `key`, or an error naming it.
    pub fn get(&self, key: &str) -> Result<&Value> {
        self.header.metadata.get(key).ok_or_else(|| self.error(format!("metadata key {key:?} is missing")))
    }

    /// Metadata value `key` as an unsigned integer.
    pub fn get_u64(&self, key: &str) -> Result<u64> {
        let value = self.get(key)?;
        value.as_u64().ok_or_else(|| self.error(format!("metadata {key:?} is {value:?}, not an unsigned integer")))
    }

    /// Metadata value `key` as a count or size that fits in memory (and is not absurd).
    pub fn get_usize(&self, key: &str) -> Result<usize> {
        let value = self.get_u64(key)?;
        usize::try_from(value)
            .ok()
            .filter(|&v| v <= 1 << 32)
            .ok_or_else(|| self.error(format!("metadata {key:?} = {value} is out of range")))
    }

    /// Metadata value `key` as a float.
    pub fn get_f64(&self, key: &str) -> Result<f64> {
        let value = self.get(key)?;
        value.as_f64().ok_or_else(|| self.error(format!("metadata {key:?} is {value:?}, not a number")))
    }

    /// Metadata value `key` as a string.
    pub fn get_str(&self, key: &str) -> Result<&str> {
        let value = self.get(key)?;
        value.as_str().ok_or_else(|| self.error(format!("metadata {key:?} is not a string")))
    }

    /// `read(key)` where the metadata has `key`, else `default` (llama.cpp omits keys whose
    /// value is the architecture's default).
    pub fn or_default<T>(&self, key: &str, default: T, read: impl FnOnce(&Self, &str) -> Result<T>) -> Result<T> {
        match self.header.metadata.contains_key(key) {
            true => read(self, key),
            false => Ok(default),
        }
    }

    /// The stored bytes of a tensor (its extent was checked when the header was parsed).
    fn bytes(&self, info: &TensorInfo, ty: GgmlType) -> &[u8] {
        let start = (self.header.data_start + info.offset) as usize;
        let len = ty.bytes_for(info.elements()).expect("checked when the header was parsed");
        &self.mmap[start..start + len]
    }

    /// Tensor `name` dequantised to f32, row-major in its stored shape ([`TensorInfo::shape`]).
    pub fn dequantized(&self, name: &str) -> Result<Vec<f32>> {
        let info = self.tensor(name).ok_or_else(|| self.error(format!("tensor {name:?} is missing")))?;
        let ty = GgmlType::from_id(info.type_id).ok_or_else(|| {
            self.error(format!(
                "tensor {name:?} is stored as {}, which emlab does not read \
                 (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K to Q6_K)",
                quant::type_name(info.type_id)
            ))
        })?;
        let mut values = vec![0.0f32; info.elements()];
        quant::dequantize(ty, self.bytes(info, ty), &mut values)
            .map_err(|message| self.error(format!("tensor {name:?}: {message}")))?;
        Ok(values)
    }
}

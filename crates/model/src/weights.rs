//! Reading Hugging Face safetensors checkpoints, single-file or sharded, tensor by tensor.
//!
//! Files are memory-mapped and each tensor is read only when the model builder asks for it and
//! goes straight to the device in the model's compute dtype, so loading never holds a randomly
//! initialised copy of the model, nor more than one tensor on the host beyond what the device
//! holds. A bf16 checkpoint loaded in bf16 is never widened on the host: a 30 GB Qwen2.5-14B
//! streams through at its stored size. Every tensor handed out is recorded;
//! [`Checkpoint::finish`] then reports any tensor the architecture did not use.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use burn::tensor::{FloatDType, TensorData};
use memmap2::Mmap;
use safetensors::tensor::{Dtype, Metadata};
use safetensors::SafeTensors;

use crate::error::{ModelError, Result};

/// One memory-mapped `.safetensors` file and its parsed header.
struct Shard {
    path: PathBuf,
    mmap: Mmap,
    header_len: usize,
    metadata: Metadata,
}

/// A checkpoint folder's tensors, by name.
pub struct Checkpoint {
    dir: PathBuf,
    shards: Vec<Shard>,
    /// Tensor name -> index into `shards`.
    location: HashMap<String, usize>,
    used: Mutex<HashSet<String>>,
}

impl Checkpoint {
    /// Opens `model.safetensors`, or the shards listed in `model.safetensors.index.json`.
    pub fn open(dir: &Path) -> Result<Self> {
        let index_path = dir.join("model.safetensors.index.json");
        let files: Vec<String> = if index_path.exists() {
            #[derive(serde::Deserialize)]
            struct Index {
                weight_map: BTreeMap<String, String>,
            }
            let text = std::fs::read_to_string(&index_path).map_err(|e| ModelError::io(&index_path, e))?;
            let index: Index = serde_json::from_str(&text).map_err(|e| ModelError::json(&index_path, e))?;
            let mut files: Vec<String> = index.weight_map.into_values().collect();
            files.sort();
            files.dedup();
            files
        } else {
            vec!["model.safetensors".to_string()]
        };
        Self::from_files(dir, files.iter().map(|f| dir.join(f)).collect())
    }

    /// Opens one `.safetensors` file (its folder stands for the checkpoint in messages).
    pub fn open_file(path: &Path) -> Result<Self> {
        Self::from_files(path.parent().unwrap_or(Path::new(".")), vec![path.to_path_buf()])
    }

    fn from_files(dir: &Path, files: Vec<PathBuf>) -> Result<Self> {
        let mut shards = Vec::with_capacity(files.len());
        let mut location = HashMap::new();
        for path in files {
            let shard = Shard::open(&path)?;
            for name in shard.metadata.tensors().into_keys() {
                location.insert(name, shards.len());
            }
            shards.push(shard);
        }
        Ok(Self { dir: dir.to_path_buf(), shards, location, used: Mutex::new(HashSet::new()) })
    }

    /// The folder this checkpoint was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the checkpoint holds a tensor of this name.
    pub fn contains(&self, name: &str) -> bool {
        self.location.contains_key(name)
    }

    /// Name, shape and dtype of every stored tensor, sorted by name.
    pub fn tensor_infos(&self) -> Vec<(String, Vec<usize>, Dtype)> {
        let mut infos: Vec<_> = self
            .location
            .keys()
            .filter_map(|name| self.info(name).map(|(shape, dtype)| (name.clone(), shape, dtype)))
            .collect();
        infos.sort_by(|a, b| a.0.cmp(&b.0));
        infos
    }

    /// Shape and dtype of a stored tensor, without reading it.
    pub fn info(&self, name: &str) -> Option<(Vec<usize>, Dtype)> {
        let shard = &self.shards[*self.location.get(name)?];
        shard.metadata.info(name).map(|i| (i.shape.clone(), i.dtype))
    }

    /// The stored bytes and dtype of tensor `name`, checking it has shape `expected`; marks it used.
    fn read(&self, name: &str, expected: &[usize]) -> Result<(&[u8], Dtype)> {
        let shard = self
            .location
            .get(name)
            .map(|&i| &self.shards[i])
            .ok_or_else(|| ModelError::MissingTensor { name: name.into(), dir: self.dir.clone() })?;
        let info = shard.metadata.info(name).expect("name comes from this header");
        if info.shape != expected {
            return Err(ModelError::ShapeMismatch {
                name: name.into(),
                expected: expected.to_vec(),
                found: info.shape.clone(),
            });
        }
        let bytes = shard.bytes(name)?;
        self.used.lock().expect("not poisoned").insert(name.to_string());
        Ok((bytes, info.dtype))
    }

    /// Reads tensor `name` as f32 on the host, checking it has shape `expected`.
    pub fn read_f32(&self, name: &str, expected: &[usize]) -> Result<Vec<f32>> {
        let (bytes, dtype) = self.read(name, expected)?;
        to_f32(bytes, dtype).ok_or_else(|| unsupported(name, dtype))
    }

    /// The float type most of the checkpoint is stored in (that of its embedding matrix), if
    /// it is one the engine reads.
    pub fn stored_dtype(&self) -> Option<FloatDType> {
        match self.info("model.embed_tokens.weight")?.1 {
            Dtype::F32 => Some(FloatDType::F32),
            Dtype::F16 => Some(FloatDType::F16),
            Dtype::BF16 => Some(FloatDType::BF16),
            _ => None,
        }
    }

    /// Fails with [`ModelError::UnexpectedTensors`] if any stored tensor was never read, other
    /// than those in `ignored` (e.g. a redundant `lm_head.weight` of a tied model).
    pub fn finish(self, ignored: &[&str]) -> Result<()> {
        let used = self.used.into_inner().expect("not poisoned");
        let mut unused: Vec<String> =
            self.location.into_keys().filter(|n| !used.contains(n) && !ignored.contains(&n.as_str())).collect();
        if unused.is_empty() {
            return Ok(());
        }
        unused.sort();
        Err(ModelError::UnexpectedTensors { names: unused, dir: self.dir })
    }
}

/// Where a model's weights come from: tensors by their Hugging Face names and shapes, as host
/// data in the type they are stored in where the engine computes in it (f32, f16, bf16), else
/// f32. A safetensors [`Checkpoint`] and a GGUF file ([`crate::gguf::checkpoint::GgufCheckpoint`])
/// both serve the same model builder.
pub trait TensorStore {
    /// Tensor `name`, checking it has HF shape `shape`; marks it used.
    fn data(&self, name: &str, shape: &[usize]) -> Result<TensorData>;

    /// A `[d_out, d_in]` HF linear weight, transposed to burn's `[d_in, d_out]` layout.
    fn linear_data(&self, name: &str, d_out: usize, d_in: usize) -> Result<TensorData>;

    /// The float type most weights are stored in, if the engine computes in it.
    fn stored_dtype(&self) -> Option<FloatDType>;
}

impl TensorStore for Checkpoint {
    fn data(&self, name: &str, shape: &[usize]) -> Result<TensorData> {
        let (bytes, stored) = self.read(name, shape)?;
        stored_data(bytes, stored, shape.to_vec()).ok_or_else(|| unsupported(name, stored))
    }

    /// The transpose happens on the stored bytes, so a bf16 weight stays bf16 on the host.
    fn linear_data(&self, name: &str, d_out: usize, d_in: usize) -> Result<TensorData> {
        let (bytes, stored) = self.read(name, &[d_out, d_in])?;
        let width = stored.bitsize() / 8;
        let transposed = transpose_bytes(bytes, d_out, d_in, width);
        stored_data(&transposed, stored, vec![d_in, d_out]).ok_or_else(|| unsupported(name, stored))
    }

    fn stored_dtype(&self) -> Option<FloatDType> {
        Checkpoint::stored_dtype(self)
    }
}

impl Shard {
    fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
        // SAFETY: the map is read-only and lives as long as the `Shard`. As with every mmap, a
        // process truncating the file while we read it could fault; checkpoints are not
        // modified while a model loads from them.
        let mmap = unsafe { Mmap::map(&file) }.map_err(|e| ModelError::io(path, e))?;
        let (header_len, metadata) = SafeTensors::read_metadata(&mmap)
            .map_err(|e| ModelError::Safetensors { path: path.into(), message: e.to_string() })?;
        Ok(Self { path: path.into(), mmap, header_len, metadata })
    }

    /// The stored bytes of tensor `name` (which must be in this shard's header).
    fn bytes(&self, name: &str) -> Result<&[u8]> {
        let info = self.metadata.info(name).expect("callers look names up in this header");
        let (start, end) = info.data_offsets;
        let offset = 8 + self.header_len;
        self.mmap.get(offset + start..offset + end).ok_or_else(|| ModelError::Safetensors {
            path: self.path.clone(),
            message: format!("tensor {name:?} extends past the end of the file"),
        })
    }

    /// The stored values of tensor `name` (which must be in this shard's header), as f32.
    fn values(&self, name: &str) -> Result<Vec<f32>> {
        let dtype = self.metadata.info(name).expect("callers look names up in this header").dtype;
        to_f32(self.bytes(name)?, dtype).ok_or_else(|| unsupported(name, dtype))
    }
}

fn unsupported(name: &str, dtype: Dtype) -> ModelError {
    ModelError::UnsupportedDtype { name: name.into(), dtype: format!("{dtype:?}") }
}

/// Reads a vector (a steering vector, a direction) from a `.safetensors` file holding one
/// tensor, or from a `.json` array of numbers.
pub fn read_vector(path: &Path) -> Result<Vec<f32>> {
    if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        return serde_json::from_str(&text).map_err(|e| ModelError::json(path, e));
    }
    let shard = Shard::open(path)?;
    let names: Vec<String> = shard.metadata.tensors().into_keys().collect();
    let [name] = names.as_slice() else {
        return Err(ModelError::Safetensors {
            path: path.into(),
            message: format!("expected exactly one tensor, found {names:?}"),
        });
    };
    shard.values(name)
}

/// Serialises named f32 tensors (`(name, shape, values)`) into the bytes of a `.safetensors` file.
pub fn serialize_f32(tensors: &[(String, Vec<usize>, Vec<f32>)]) -> Result<Vec<u8>> {
    let bytes: Vec<Vec<u8>> =
        tensors.iter().map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), data)| {
            safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), data)
                .map(|view| (name.clone(), view))
                .map_err(|e| ModelError::InvalidInput(format!("tensor {name:?}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    safetensors::serialize(views, None).map_err(|e| ModelError::InvalidInput(format!("serialising safetensors: {e}")))
}

/// Decodes little-endian f32, f16 or bf16 bytes; `None` for other dtypes.
fn to_f32(bytes: &[u8], dtype: Dtype) -> Option<Vec<f32>> {
    let pairs = || bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    Some(match dtype {
        Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => pairs().map(|b| half::f16::from_bits(b).to_f32()).collect(),
        Dtype::BF16 => pairs().map(|b| half::bf16::from_bits(b).to_f32()).collect(),
        _ => return None,
    })
}

/// Little-endian f32, f16 or bf16 bytes as tensor data of the same float type (no widening);
/// `None` for other dtypes.
fn stored_data(bytes: &[u8], dtype: Dtype, shape: Vec<usize>) -> Option<TensorData> {
    let pairs = || bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    Some(match dtype {
        Dtype::F32 => TensorData::new(to_f32(bytes, dtype)?, shape),
        Dtype::F16 => TensorData::new(pairs().map(half::f16::from_bits).collect::<Vec<_>>(), shape),
        Dtype::BF16 => TensorData::new(pairs().map(half::bf16::from_bits).collect::<Vec<_>>(), shape),
        _ => return None,
    })
}

/// Transposes a row-major `[rows, cols]` matrix of `width`-byte elements, in tiles so that a
/// 5120 x 13824 projection is not one cache miss per element.
pub(crate) fn transpose_bytes(bytes: &[u8], rows: usize, cols: usize, width: usize) -> Vec<u8> {
    const TILE: usize = 64;
    let mut out = vec![0u8; bytes.len()];
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    let (from, to) = ((r * cols + c) * width, (c * rows + r) * width);
                    out[to..to + width].copy_from_slice(&bytes[from..from + width]);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_half_precision() {
        let one_f16 = half::f16::from_f32(1.5).to_bits().to_le_bytes();
        let one_bf16 = half::bf16::from_f32(-2.0).to_bits().to_le_bytes();
        assert_eq!(to_f32(&one_f16, Dtype::F16), Some(vec![1.5]));
        assert_eq!(to_f32(&one_bf16, Dtype::BF16), Some(vec![-2.0]));
        assert_eq!(to_f32(&[0; 8], Dtype::I64), None);
    }

    #[test]
    fn transposes_any_element_width_and_keeps_half_precision() {
        // [[1, 2, 3], [4, 5, 6]] in bf16 -> [[1, 4], [2, 5], [3, 6]], still bf16.
        let values: Vec<u8> = (1..=6).flat_map(|v| half::bf16::from_f32(v as f32).to_bits().to_le_bytes()).collect();
        let t = transpose_bytes(&values, 2, 3, 2);
        let data = stored_data(&t, Dtype::BF16, vec![3, 2]).unwrap();
        assert_eq!(data.dtype, burn::tensor::DType::BF16);
        let back: Vec<f32> = data.convert::<f32>().into_vec().unwrap();
        assert_eq!(back, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        // A shape that is not a multiple of the tile, in f32.
        let (rows, cols) = (70, 3);
        let m: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
        let bytes: Vec<u8> = m.iter().flat_map(|v| v.to_le_bytes()).collect();
        let t = to_f32(&transpose_bytes(&bytes, rows, cols, 4), Dtype::F32).unwrap();
        assert!((0..rows).all(|r| (0..cols).all(|c| t[c * rows + r] == m[r * cols + c])));
    }
}

//! Parsing a GGUF header: magic, version, metadata key/values and tensor infos.
//!
//! The header comes from files people download, so every count and length is checked against
//! the bytes that are left before anything is allocated: a header claiming 2^60 tensors or a
//! 1 TB string is an error naming the field, not an allocation failure.

use std::collections::BTreeMap;

use super::quant::GgmlType;

/// `GGUF` in the first four bytes, read as a little-endian u32.
const MAGIC: u32 = u32::from_le_bytes(*b"GGUF");
/// ggml's `GGML_MAX_DIMS`.
const MAX_DIMS: u32 = 4;
/// Arrays of arrays are legal; deeper nesting than this is not something any writer produces.
const MAX_NESTING: usize = 2;
/// Where tensor data starts and how each tensor's offset is aligned, unless `general.alignment` says otherwise.
pub(crate) const DEFAULT_ALIGNMENT: u64 = 32;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `UINT8`.
    U8(u8),
    /// `INT8`.
    I8(i8),
    /// `UINT16`.
    U16(u16),
    /// `INT16`.
    I16(i16),
    /// `UINT32`.
    U32(u32),
    /// `INT32`.
    I32(i32),
    /// `FLOAT32`.
    F32(f32),
    /// `BOOL`.
    Bool(bool),
    /// `STRING` (UTF-8; invalid bytes are replaced).
    String(String),
    /// `ARRAY` of one value type.
    Array(Vec<Value>),
    /// `UINT64`.
    U64(u64),
    /// `INT64`.
    I64(i64),
    /// `FLOAT64`.
    F64(f64),
}

impl Value {
    /// The value as an unsigned integer, if it is a non-negative integer of any width.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a bool, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if the value is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// Where one tensor is and how it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The llama.cpp tensor name (`blk.0.attn_q.weight`).
    pub name: String,
    /// ggml's `ne`: the fastest-varying dimension first (the reverse of a row-major shape).
    pub ne: Vec<u64>,
    /// The ggml type id as stored (see [`GgmlType::from_id`]).
    pub type_id: u32,
    /// Offset of the data from the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// The row-major shape (`ne` reversed): `[rows, cols]` for a matrix.
    pub fn shape(&self) -> Vec<usize> {
        self.ne.iter().rev().map(|&n| n as usize).collect()
    }

    /// Number of elements (checked against overflow when the header was parsed).
    pub fn elements(&self) -> usize {
        self.ne.iter().product::<u64>() as usize
    }
}

/// A parsed header: everything but the tensor data.
#[derive(Debug, Clone)]
pub struct Header {
    /// 2 or 3.
    pub version: u32,
    /// Metadata by key, in key order.
    pub metadata: BTreeMap<String, Value>,
    /// Tensor infos in file order.
    pub tensors: Vec<TensorInfo>,
    /// Where the data section starts, from the beginning of the file.
    pub data_start: u64,
}

/// Parses the header of a GGUF file held in `bytes`, checking that every tensor's data lies
/// inside the file. Errors say what is wrong and where.
pub fn parse(bytes: &[u8]) -> Result<Header, String> {
    let mut cur = Cursor { bytes, pos: 0 };
    let magic = cur.u32("the magic number")?;
    if magic != MAGIC {
        return Err(format!(
            "not a GGUF file: the first bytes are {:?}, not \"GGUF\"",
            String::from_utf8_lossy(&magic.to_le_bytes())
        ));
    }
    let version = cur.u32("the version")?;
    if !(2..=3).contains(&version) {
        return Err(format!("GGUF version {version} is not supported (2 and 3 are)"));
    }
    let tensor_count = cur.u64("the tensor count")?;
    let kv_count = cur.u64("the metadata count")?;
    // A key/value takes at least 8 (key length) + 4 (type) + 1 bytes, a tensor info at least
    // 8 + 4 + 8 + 4 + 8; a count the rest of the file cannot hold is corrupt.
    cur.check_count(kv_count, 13, "metadata entries")?;
    cur.check_count(tensor_count, 32, "tensors")?;

    let mut metadata = BTreeMap::new();
    for index in 0..kv_count {
        let key = cur.string(&format!("the key of metadata entry {index}"))?;
        let value_type = cur.u32(&format!("the type of {key:?}"))?;
        let value = cur.value(value_type, &key, 0)?;
        if metadata.insert(key.clone(), value).is_some() {
            return Err(format!("metadata key {key:?} appears twice"));
        }
    }

    let mut tensors = Vec::with_capacity(tensor_count as usize);
    for index in 0..tensor_count {
        let name = cur.string(&format!("the name of tensor {index}"))?;
        let n_dims = cur.u32(&format!("the rank of tensor {name:?}"))?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(format!("tensor {name:?} has {n_dims} dimensions (1 to {MAX_DIMS} are valid)"));
        }
        let ne =
            (0..n_dims).map(|_| cur.u64(&format!("the shape of tensor {name:?}"))).collect::<Result<Vec<_>, _>>()?;
        let type_id = cur.u32(&format!("the type of tensor {name:?}"))?;
        let offset = cur.u64(&format!("the offset of tensor {name:?}"))?;
        tensors.push(TensorInfo { name, ne, type_id, offset });
    }

    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(value) => match value.as_u64() {
            Some(a) if a > 0 && a.is_power_of_two() && a <= 1 << 20 => a,
            _ => return Err(format!("general.alignment {value:?} is not a power of two up to 1 MiB")),
        },
    };
    let data_start = (cur.pos as u64).div_ceil(alignment) * alignment;
    let file_len = bytes.len() as u64;
    let mut names = std::collections::HashSet::new();
    for tensor in &tensors {
        if !names.insert(tensor.name.as_str()) {
            return Err(format!("tensor {:?} appears twice", tensor.name));
        }
        check_extent(tensor, alignment, data_start, file_len)?;
    }
    Ok(Header { version, metadata, tensors, data_start })
}

/// Checks that a tensor's offset is aligned and its data (if its type is one we know the size
/// of) ends inside the file.
fn check_extent(tensor: &TensorInfo, alignment: u64, data_start: u64, file_len: u64) -> Result<(), String> {
    let name = &tensor.name;
    if tensor.offset % alignment != 0 {
        return Err(format!(
            "tensor {name:?}: offset {} is not a multiple of the alignment {alignment}",
            tensor.offset
        ));
    }
    let elements = tensor
        .ne
        .iter()
        .try_fold(1u64, |acc, &n| acc.checked_mul(n))
        .filter(|&n| n <= usize::MAX as u64)
        .ok_or_else(|| format!("tensor {name:?}: shape {:?} has too many elements", tensor.ne))?;
    let Some(ty) = GgmlType::from_id(tensor.type_id) else {
        // Listed by `inspect`; loading it fails with the type's name.
        return Ok(());
    };
    if tensor.ne[0] % ty.block_elements() as u64 != 0 {
        return Err(format!(
            "tensor {name:?}: rows of {} elements are not whole {} blocks of {}",
            tensor.ne[0],
            ty.name(),
            ty.block_elements()
        ));
    }
    let size = ty
        .bytes_for(elements as usize)
        .ok_or_else(|| format!("tensor {name:?}: {elements} {} elements do not fit in memory", ty.name()))?;
    let end = data_start.checked_add(tensor.offset).and_then(|s| s.checked_add(size as u64));
    match end {
        Some(end) if end <= file_len => Ok(()),
        _ => Err(format!(
            "tensor {name:?}: its {size} bytes at offset {} run past the end of the file ({file_len} bytes)",
            tensor.offset
        )),
    }
}

/// A bounds-checked little-endian reader.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the file ends at byte {} while reading {what}", self.bytes.len()))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        Ok(self.take(N, what)?.try_into().expect("take returns N bytes"))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn remaining(&self) -> u64 {
        (self.bytes.len() - self.pos) as u64
    }

    /// Fails if `count` items of at least `min_bytes` each cannot fit in what is left.
    fn check_count(&self, count: u64, min_bytes: u64, what: &str) -> Result<(), String> {
        if count.checked_mul(min_bytes).is_none_or(|need| need > self.remaining()) {
            return Err(format!(
                "the header claims {count} {what}, more than the file's {} remaining bytes can hold",
                self.remaining()
            ));
        }
        Ok(())
    }

    fn string(&mut self, what: &str) -> Result<String, String> {
        let len = self.u64(what)?;
        if len > self.remaining() {
            return Err(format!("{what}: a string of {len} bytes, but only {} bytes are left", self.remaining()));
        }
        Ok(String::from_utf8_lossy(self.take(len as usize, what)?).into_owned())
    }

    fn value(&mut self, value_type: u32, key: &str, depth: usize) -> Result<Value, String> {
        let what = format!("the value of {key:?}");
        Ok(match value_type {
            0 => Value::U8(self.array::<1>(&what)?[0]),
            1 => Value::I8(self.array::<1>(&what)?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array(&what)?)),
            3 => Value::I16(i16::from_le_bytes(self.array(&what)?)),
            4 => Value::U32(u32::from_le_bytes(self.array(&what)?)),
            5 => Value::I32(i32::from_le_bytes(self.array(&what)?)),
            6 => Value::F32(f32::from_le_bytes(self.array(&what)?)),
            7 => match self.array::<1>(&what)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(format!("{what}: {b} is not a bool")),
            },
            8 => Value::String(self.string(&what)?),
            9 => {
                if depth >= MAX_NESTING {
                    return Err(format!("{what}: arrays nested more than {MAX_NESTING} deep"));
                }
                let item_type = self.u32(&what)?;
                let len = self.u64(&what)?;
                self.check_count(len, min_value_bytes(item_type), &format!("elements in {key:?}"))?;
                let items = (0..len).map(|_| self.value(item_type, key, depth + 1)).collect::<Result<_, _>>()?;
                Value::Array(items)
            }
            10 => Value::U64(self.u64(&what)?),
            11 => Value::I64(i64::from_le_bytes(self.array(&what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(&what)?)),
            other => return Err(format!("{what}: unknown value type {other}")),
        })
    }
}

/// The fewest bytes one value of a type can take (for bounding array lengths).
fn min_value_bytes(value_type: u32) -> u64 {
    match value_type {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 | 10..=12 => 8,
        9 => 12,
        _ => 1,
    }
}

//! The ggml tensor types of GGUF files, and their dequantisation to f32.
//!
//! A GGUF tensor is stored as a run of fixed-size *blocks*: plain floats (F32, F16, BF16) are
//! one-element blocks; the quantised formats pack 32 (Q4_0 .. Q8_0) or 256 (the "k-quants"
//! Q2_K .. Q6_K) values into a block of small integers plus one or more f16 scales. emlab's
//! engine has no quantised kernels, so a GGUF checkpoint's tensors are dequantised when loaded.
//!
//! The block layouts are ggml's (`ggml-common.h`, `dequantize_row_*` in `ggml-quants.c`); each
//! format below has one small function that decodes one block, written to perform the same f32
//! operations in the same order as the reference (gguf-py's `gguf.quants`), so results match it
//! bit for bit. All multi-byte fields are little-endian. Large tensors are split over rayon's
//! threads in chunks of whole blocks; each value depends only on its own block, so the result
//! does not depend on the thread count.

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

/// A ggml tensor type as stored in a GGUF tensor info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)] // ggml's own spelling of the 32-element formats
pub enum GgmlType {
    /// 32-bit IEEE floats.
    F32,
    /// 16-bit IEEE floats.
    F16,
    /// bfloat16: the upper half of an f32.
    BF16,
    /// 32 values: f16 scale `d`, 4-bit quants `q`; value `d * (q - 8)`.
    Q4_0,
    /// 32 values: f16 scale `d` and minimum `m`, 4-bit quants; value `d * q + m`.
    Q4_1,
    /// 32 values: f16 scale `d`, 5-bit quants (4 low bits + 1 high bit); value `d * (q - 16)`.
    Q5_0,
    /// 32 values: f16 scale `d` and minimum `m`, 5-bit quants; value `d * q + m`.
    Q5_1,
    /// 32 values: f16 scale `d`, signed 8-bit quants; value `d * q`.
    Q8_0,
    /// 256 values: 2-bit quants in 16 groups of 16 with 4-bit scales and mins.
    Q2K,
    /// 256 values: 3-bit quants in 16 groups of 16 with signed 6-bit scales.
    Q3K,
    /// 256 values: 4-bit quants in 8 groups of 32 with 6-bit scales and mins.
    Q4K,
    /// 256 values: 5-bit quants in 8 groups of 32 with 6-bit scales and mins.
    Q5K,
    /// 256 values: 6-bit quants in 16 groups of 16 with signed 8-bit scales.
    Q6K,
}

impl GgmlType {
    /// The type with ggml id `id` (F32=0, F16=1, Q4_0=2, Q4_1=3, Q5_0=6, Q5_1=7, Q8_0=8, Q2_K=10,
    /// Q3_K=11, Q4_K=12, Q5_K=13, Q6_K=14, BF16=30), or None for ids we do not read.
    pub fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            7 => Self::Q5_1,
            8 => Self::Q8_0,
            10 => Self::Q2K,
            11 => Self::Q3K,
            12 => Self::Q4K,
            13 => Self::Q5K,
            14 => Self::Q6K,
            30 => Self::BF16,
            _ => return None,
        })
    }

    /// The ggml id of this type (the inverse of [`GgmlType::from_id`]).
    pub fn id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::Q2K => 10,
            Self::Q3K => 11,
            Self::Q4K => 12,
            Self::Q5K => 13,
            Self::Q6K => 14,
            Self::BF16 => 30,
        }
    }

    /// The name people know it by (e.g. "Q4_K", "F16"), for `emlab inspect` and errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "F32",
            Self::F16 => "F16",
            Self::BF16 => "BF16",
            Self::Q4_0 => "Q4_0",
            Self::Q4_1 => "Q4_1",
            Self::Q5_0 => "Q5_0",
            Self::Q5_1 => "Q5_1",
            Self::Q8_0 => "Q8_0",
            Self::Q2K => "Q2_K",
            Self::Q3K => "Q3_K",
            Self::Q4K => "Q4_K",
            Self::Q5K => "Q5_K",
            Self::Q6K => "Q6_K",
        }
    }

    /// Elements per block (1 for F32/F16/BF16, 32 for Q4_0..Q8_0, 256 for k-quants).
    pub fn block_elements(self) -> usize {
        match self {
            Self::F32 | Self::F16 | Self::BF16 => 1,
            Self::Q4_0 | Self::Q4_1 | Self::Q5_0 | Self::Q5_1 | Self::Q8_0 => QK,
            Self::Q2K | Self::Q3K | Self::Q4K | Self::Q5K | Self::Q6K => QK_K,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::BF16 => 2,
            Self::Q4_0 => Q4_0_BYTES,
            Self::Q4_1 => Q4_1_BYTES,
            Self::Q5_0 => Q5_0_BYTES,
            Self::Q5_1 => Q5_1_BYTES,
            Self::Q8_0 => Q8_0_BYTES,
            Self::Q2K => Q2_K_BYTES,
            Self::Q3K => Q3_K_BYTES,
            Self::Q4K => Q4_K_BYTES,
            Self::Q5K => Q5_K_BYTES,
            Self::Q6K => Q6_K_BYTES,
        }
    }

    /// Bytes that `elements` values occupy, or None if `elements` is not a whole number of
    /// blocks or the size overflows usize.
    pub fn bytes_for(self, elements: usize) -> Option<usize> {
        let per_block = self.block_elements();
        if elements % per_block != 0 {
            return None;
        }
        (elements / per_block).checked_mul(self.block_bytes())
    }
}

/// ggml's name for type id `id`, also for the types we do not read (for error messages), or
/// `"type {id}"` for an id ggml never had.
pub fn type_name(id: u32) -> String {
    let name = match id {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        // 4 and 5 were Q4_2 and Q4_3, removed before GGUF existed.
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        30 => "BF16",
        // 31..=33 and 36..=38 were interleaved (repacked) layouts, since removed from ggml;
        // files written with them in 2024 still exist.
        31 => "Q4_0_4_4",
        32 => "Q4_0_4_8",
        33 => "Q4_0_8_8",
        34 => "TQ1_0",
        35 => "TQ2_0",
        36 => "IQ4_NL_4_4",
        37 => "IQ4_NL_4_8",
        38 => "IQ4_NL_8_8",
        39 => "MXFP4",
        40 => "NVFP4",
        41 => "Q1_0",
        _ => return format!("type {id}"),
    };
    name.to_string()
}

/// Dequantises `bytes` (exactly `ty.bytes_for(out.len())` bytes, else returns Err with a
/// message saying expected vs found bytes) into `out`, row-major in storage order.
pub fn dequantize(ty: GgmlType, bytes: &[u8], out: &mut [f32]) -> Result<(), String> {
    let Some(expected) = ty.bytes_for(out.len()) else {
        return Err(format!(
            "{}: {} values are not a whole number of {}-value blocks",
            ty.name(),
            out.len(),
            ty.block_elements()
        ));
    };
    if bytes.len() != expected {
        return Err(format!(
            "{}: expected {expected} bytes for {} values, found {} bytes",
            ty.name(),
            out.len(),
            bytes.len()
        ));
    }
    let decode: &(dyn Fn(&[u8], &mut [f32]) + Sync) = match ty {
        GgmlType::F32 => &dequantize_f32,
        GgmlType::F16 => &dequantize_f16,
        GgmlType::BF16 => &dequantize_bf16,
        GgmlType::Q4_0 => &each_block(dequantize_q4_0),
        GgmlType::Q4_1 => &each_block(dequantize_q4_1),
        GgmlType::Q5_0 => &each_block(dequantize_q5_0),
        GgmlType::Q5_1 => &each_block(dequantize_q5_1),
        GgmlType::Q8_0 => &each_block(dequantize_q8_0),
        GgmlType::Q2K => &each_block(dequantize_q2_k),
        GgmlType::Q3K => &each_block(dequantize_q3_k),
        GgmlType::Q4K => &each_block(dequantize_q4_k),
        GgmlType::Q5K => &each_block(dequantize_q5_k),
        GgmlType::Q6K => &each_block(dequantize_q6_k),
    };
    split_over_threads(bytes, out, ty.block_bytes(), ty.block_elements(), decode);
    Ok(())
}

/// Values per block of the 32-element formats (ggml's `QK4_0`, `QK8_0`, ...).
const QK: usize = 32;
/// Values per block of the k-quants (ggml's `QK_K`).
const QK_K: usize = 256;

const Q4_0_BYTES: usize = 2 + QK / 2;
const Q4_1_BYTES: usize = 2 + 2 + QK / 2;
const Q5_0_BYTES: usize = 2 + 4 + QK / 2;
const Q5_1_BYTES: usize = 2 + 2 + 4 + QK / 2;
const Q8_0_BYTES: usize = 2 + QK;
const Q2_K_BYTES: usize = QK_K / 16 + QK_K / 4 + 2 + 2;
const Q3_K_BYTES: usize = QK_K / 8 + QK_K / 4 + 12 + 2;
const Q4_K_BYTES: usize = 2 + 2 + 12 + QK_K / 2;
const Q5_K_BYTES: usize = 2 + 2 + 12 + QK_K / 8 + QK_K / 2;
const Q6_K_BYTES: usize = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2;

/// Values per parallel task (rounded down to whole blocks): large enough that rayon's overhead
/// is noise, small enough that a few-MB tensor still spreads over the threads.
const CHUNK_VALUES: usize = 1 << 16;

/// Runs `decode` over `bytes` and `out` cut into chunks of whole blocks (`block_bytes` bytes
/// holding `block_values` values each), on rayon's threads when there is more than one chunk.
/// `bytes` must hold exactly the blocks of `out` (checked by [`dequantize`]).
fn split_over_threads(
    bytes: &[u8],
    out: &mut [f32],
    block_bytes: usize,
    block_values: usize,
    decode: &(dyn Fn(&[u8], &mut [f32]) + Sync),
) {
    let blocks_per_chunk = (CHUNK_VALUES / block_values).max(1);
    if out.len() <= blocks_per_chunk * block_values {
        decode(bytes, out);
    } else {
        out.par_chunks_mut(blocks_per_chunk * block_values)
            .zip(bytes.par_chunks(blocks_per_chunk * block_bytes))
            .for_each(|(o, b)| decode(b, o));
    }
}

/// Lifts a one-block decoder (`BYTES` bytes to `VALUES` values) to runs of whole blocks.
fn each_block<const BYTES: usize, const VALUES: usize>(
    block: impl Fn(&[u8; BYTES], &mut [f32; VALUES]) + Sync,
) -> impl Fn(&[u8], &mut [f32]) + Sync {
    move |bytes, out| {
        for (b, o) in bytes.chunks_exact(BYTES).zip(out.chunks_exact_mut(VALUES)) {
            block(b.try_into().expect("BYTES-byte chunk"), o.try_into().expect("VALUES-value chunk"));
        }
    }
}

/// The little-endian f16 at `bytes[at..at + 2]`, widened to f32 (exactly).
fn f16_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32()
}

/// F32: little-endian IEEE singles, copied.
fn dequantize_f32(bytes: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
}

/// F16: little-endian IEEE halves, widened exactly. Converted a few hundred at a time with
/// `half`'s slice conversion, which uses the CPU's F16C instructions where it has them (about
/// five times faster than widening one value at a time; the same bits, NaNs included).
fn dequantize_f16(bytes: &[u8], out: &mut [f32]) {
    let mut halves = [f16::ZERO; 256];
    for (b, o) in bytes.chunks(2 * halves.len()).zip(out.chunks_mut(halves.len())) {
        let halves = &mut halves[..o.len()];
        for (h, b) in halves.iter_mut().zip(b.chunks_exact(2)) {
            *h = f16::from_le_bytes([b[0], b[1]]);
        }
        halves.convert_to_f32_slice(o);
    }
}

/// BF16: little-endian bfloat16s, each the upper 16 bits of an f32 (NaNs stay NaNs).
fn dequantize_bf16(bytes: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16);
    }
}

/// Q4_0 (`block_q4_0`, 18 bytes): f16 `d`, then 16 bytes of 4-bit quants. Byte `j` holds value
/// `j` in its low nibble and value `j + 16` in its high nibble; value = `d * (q - 8)`.
fn dequantize_q4_0(b: &[u8; Q4_0_BYTES], out: &mut [f32; QK]) {
    let d = f16_at(b, 0);
    let (lo, hi) = out.split_at_mut(QK / 2);
    for ((&q, lo), hi) in b[2..].iter().zip(lo).zip(hi) {
        *lo = d * (i32::from(q & 0x0F) - 8) as f32;
        *hi = d * (i32::from(q >> 4) - 8) as f32;
    }
}

/// Q4_1 (`block_q4_1`, 20 bytes): f16 `d` and `m`, then 16 bytes of 4-bit quants laid out as in
/// Q4_0; value = `d * q + m`.
fn dequantize_q4_1(b: &[u8; Q4_1_BYTES], out: &mut [f32; QK]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    let (lo, hi) = out.split_at_mut(QK / 2);
    for ((&q, lo), hi) in b[4..].iter().zip(lo).zip(hi) {
        *lo = d * f32::from(q & 0x0F) + m;
        *hi = d * f32::from(q >> 4) + m;
    }
}

/// The 5-bit quants of Q5_0/Q5_1: `qh` (a little-endian u32) holds bit 4 of value `j` in bit
/// `j`; `qs` holds the low 4 bits as Q4_0 lays out its nibbles. Calls `put(j, q)` for each value.
fn five_bit_quants(qh: &[u8], qs: &[u8], mut put: impl FnMut(usize, u8)) {
    let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
    let high = |j: usize| (((qh >> j) & 1) as u8) << 4;
    for (j, &q) in qs.iter().enumerate() {
        put(j, (q & 0x0F) | high(j));
        put(j + QK / 2, (q >> 4) | high(j + QK / 2));
    }
}

/// Q5_0 (`block_q5_0`, 22 bytes): f16 `d`, 4 bytes of high bits, 16 bytes of low nibbles (see
/// [`five_bit_quants`]); value = `d * (q - 16)`.
fn dequantize_q5_0(b: &[u8; Q5_0_BYTES], out: &mut [f32; QK]) {
    let d = f16_at(b, 0);
    five_bit_quants(&b[2..6], &b[6..], |j, q| out[j] = d * (i32::from(q) - 16) as f32);
}

/// Q5_1 (`block_q5_1`, 24 bytes): f16 `d` and `m`, 4 bytes of high bits, 16 bytes of low
/// nibbles (see [`five_bit_quants`]); value = `d * q + m`.
fn dequantize_q5_1(b: &[u8; Q5_1_BYTES], out: &mut [f32; QK]) {
    let (d, m) = (f16_at(b, 0), f16_at(b, 2));
    five_bit_quants(&b[4..8], &b[8..], |j, q| out[j] = d * f32::from(q) + m);
}

/// Q8_0 (`block_q8_0`, 34 bytes): f16 `d`, then 32 signed bytes; value = `d * q`.
fn dequantize_q8_0(b: &[u8; Q8_0_BYTES], out: &mut [f32; QK]) {
    let d = f16_at(b, 0);
    for (o, &q) in out.iter_mut().zip(&b[2..]) {
        *o = f32::from(q as i8) * d;
    }
}

/// Q2_K (`block_q2_K`, 84 bytes): 16 scale bytes, 64 bytes of 2-bit quants, f16 `d`, f16 `dmin`.
/// Group `i` of 16 values has scale byte `s`: value = `(d * (s & 15)) * q - dmin * (s >> 4)`.
/// Each half (128 values) reads 32 quant bytes four times, at shifts 0, 2, 4, 6: values
/// `32 * k + l` of the half are bits `2k..2k+2` of its byte `l`.
fn dequantize_q2_k(b: &[u8; Q2_K_BYTES], out: &mut [f32; QK_K]) {
    let (scales, qs) = (&b[..16], &b[16..80]);
    let (d, dmin) = (f16_at(b, 80), f16_at(b, 82));
    for (i, (&s, group)) in scales.iter().zip(out.chunks_exact_mut(16)).enumerate() {
        let dl = d * f32::from(s & 0x0F);
        let ml = dmin * f32::from(s >> 4);
        let (half, k, offset) = (i / 8, (i % 8) / 2, (i % 2) * 16);
        let q = &qs[half * 32 + offset..][..16];
        for (o, &q) in group.iter_mut().zip(q) {
            *o = dl * f32::from((q >> (2 * k)) & 3) - ml;
        }
    }
}

/// The sixteen signed 6-bit scales of Q3_K, packed in 12 bytes: scale `i` has its low 4 bits in
/// the low (i < 8) or high (i >= 8) nibble of byte `i % 8`, and its top 2 bits at bit
/// `2 * (i / 4)` of byte `8 + i % 4`; stored with an offset of 32.
fn q3_k_scales(packed: &[u8]) -> [i32; 16] {
    std::array::from_fn(|i| {
        let low = if i < 8 { packed[i] & 0x0F } else { packed[i - 8] >> 4 };
        let high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
        i32::from(low | (high << 4)) - 32
    })
}

/// Q3_K (`block_q3_K`, 110 bytes): 32 bytes `hmask`, 64 bytes of low 2-bit quants (laid out as
/// in Q2_K), 12 bytes of packed scales ([`q3_k_scales`]), f16 `d`. Value `32 * k + l` of half
/// `h` takes bit `4h + k` of `hmask[l]` as its high bit, *inverted*: a set bit means `q` is the 2
/// low bits as they are, a clear one subtracts 4, so `q` is in -4..=3. Value = `(d * scale) * q`.
fn dequantize_q3_k(b: &[u8; Q3_K_BYTES], out: &mut [f32; QK_K]) {
    let (hmask, qs) = (&b[..32], &b[32..96]);
    let scales = q3_k_scales(&b[96..108]);
    let d = f16_at(b, 108);
    for (i, (&scale, group)) in scales.iter().zip(out.chunks_exact_mut(16)).enumerate() {
        let dl = d * scale as f32;
        let (half, k, offset) = (i / 8, (i % 8) / 2, (i % 2) * 16);
        let q = &qs[half * 32 + offset..][..16];
        let hm = &hmask[offset..][..16];
        for ((o, &q), &hm) in group.iter_mut().zip(q).zip(hm) {
            let low = i32::from((q >> (2 * k)) & 3);
            let minus = if (hm >> (4 * half + k)) & 1 == 1 { 0 } else { 4 };
            *o = dl * (low - minus) as f32;
        }
    }
}

/// The scale and min of group `j` (0..8) of Q4_K/Q5_K, 6 bits each, packed in 12 bytes (ggml's
/// `get_scale_min_k4`): groups 0..4 use the low 6 bits of bytes `j` (scale) and `j + 4` (min);
/// groups 4..8 take their low 4 bits from the nibbles of byte `j + 4` and their top 2 bits from
/// the top 2 bits of bytes `j - 4` (scale) and `j` (min).
fn k4_scale_min(packed: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (packed[j] & 63, packed[j + 4] & 63)
    } else {
        let scale = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
        let min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
        (scale, min)
    }
}

/// Q4_K (`block_q4_K`, 144 bytes): f16 `d`, f16 `dmin`, 12 bytes of packed scales and mins
/// ([`k4_scale_min`]), 128 bytes of 4-bit quants. Groups `2p` and `2p + 1` (32 values each) are
/// the low and high nibbles of quant bytes `32p..32p + 32`. Value = `(d * scale) * q - dmin * min`.
fn dequantize_q4_k(b: &[u8; Q4_K_BYTES], out: &mut [f32; QK_K]) {
    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
    let (packed, qs) = (&b[4..16], &b[16..]);
    for (j, group) in out.chunks_exact_mut(32).enumerate() {
        let (scale, min) = k4_scale_min(packed, j);
        let (dl, ml) = (d * f32::from(scale), dmin * f32::from(min));
        let shift = 4 * (j % 2);
        for (o, &q) in group.iter_mut().zip(&qs[(j / 2) * 32..][..32]) {
            *o = dl * f32::from((q >> shift) & 0x0F) - ml;
        }
    }
}

/// Q5_K (`block_q5_K`, 176 bytes): as Q4_K, with 32 bytes `qh` between the scales and the
/// nibbles: value `l` of group `j` takes bit `j` of `qh[l]` as its fifth bit.
fn dequantize_q5_k(b: &[u8; Q5_K_BYTES], out: &mut [f32; QK_K]) {
    let (d, dmin) = (f16_at(b, 0), f16_at(b, 2));
    let (packed, qh, qs) = (&b[4..16], &b[16..48], &b[48..]);
    for (j, group) in out.chunks_exact_mut(32).enumerate() {
        let (scale, min) = k4_scale_min(packed, j);
        let (dl, ml) = (d * f32::from(scale), dmin * f32::from(min));
        let shift = 4 * (j % 2);
        for ((o, &q), &h) in group.iter_mut().zip(&qs[(j / 2) * 32..][..32]).zip(qh) {
            let q = ((q >> shift) & 0x0F) | (((h >> j) & 1) << 4);
            *o = dl * f32::from(q) - ml;
        }
    }
}

/// Q6_K (`block_q6_K`, 210 bytes): 128 bytes `ql` (low 4 bits), 64 bytes `qh` (high 2 bits), 16
/// signed scale bytes (one per 16 values), f16 `d`. In each half `h` (128 values), value
/// `32k + l` takes nibble `k / 2` of `ql[64h + 32(k % 2) + l]` and bits `2k..2k+2` of
/// `qh[32h + l]`; `q` is stored with an offset of 32. Value = `(d * scale) * (q - 32)`.
fn dequantize_q6_k(b: &[u8; Q6_K_BYTES], out: &mut [f32; QK_K]) {
    let (ql, qh, scales) = (&b[..128], &b[128..192], &b[192..208]);
    let d = f16_at(b, 208);
    for (i, (&scale, group)) in scales.iter().zip(out.chunks_exact_mut(16)).enumerate() {
        let dl = d * f32::from(scale as i8);
        let (half, k, offset) = (i / 8, (i % 8) / 2, (i % 2) * 16);
        let low = &ql[64 * half + 32 * (k % 2) + offset..][..16];
        let high = &qh[32 * half + offset..][..16];
        for ((o, &lo), &hi) in group.iter_mut().zip(low).zip(high) {
            let q = ((lo >> (4 * (k / 2))) & 0x0F) | (((hi >> (2 * k)) & 3) << 4);
            *o = dl * (i32::from(q) - 32) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [GgmlType; 13] = [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q2K,
        GgmlType::Q3K,
        GgmlType::Q4K,
        GgmlType::Q5K,
        GgmlType::Q6K,
    ];

    /// Raw bytes and gguf-py's dequantisation of them, per type (written by
    /// `tools/make_gguf_quant_fixtures.py`).
    fn fixture(ty: GgmlType) -> (Vec<u8>, Vec<f32>) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gguf_quants.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let entry = &json[ty.name()];
        assert_eq!(entry["id"].as_u64(), Some(u64::from(ty.id())), "{}", ty.name());
        let hex = entry["bytes_hex"].as_str().unwrap();
        let bytes = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        // json holds each f32 as the f64 it converts to exactly, so narrowing is exact.
        let values = entry["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
        (bytes, values)
    }

    /// Every value must have the reference's exact bits (sign of zero included), not merely be
    /// close: each block function performs the same IEEE f32 operations in the same order as
    /// gguf-py's numpy code (f16 widening is exact, Rust never fuses `a * b + c` into an FMA),
    /// so any difference at all would be a layout or ordering mistake.
    #[test]
    fn matches_gguf_py_bit_for_bit() {
        for ty in ALL {
            let (bytes, expected) = fixture(ty);
            let mut out = vec![f32::NAN; expected.len()];
            dequantize(ty, &bytes, &mut out).unwrap();
            for (i, (&got, &want)) in out.iter().zip(&expected).enumerate() {
                assert_eq!(got.to_bits(), want.to_bits(), "{ty:?} value {i}: {got} != {want}");
            }
        }
    }

    /// Tensors larger than one chunk go through rayon; each copy of the fixture blocks must still
    /// decode to the reference, whatever the split.
    #[test]
    fn parallel_split_matches_reference() {
        for ty in ALL {
            let (bytes, expected) = fixture(ty);
            let copies = 3 * CHUNK_VALUES / expected.len() + 1;
            let big: Vec<u8> = bytes.iter().copied().cycle().take(bytes.len() * copies).collect();
            let mut out = vec![f32::NAN; expected.len() * copies];
            dequantize(ty, &big, &mut out).unwrap();
            for (c, chunk) in out.chunks_exact(expected.len()).enumerate() {
                let same = chunk.iter().zip(&expected).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{ty:?}: copy {c} differs");
            }
        }
    }

    #[test]
    fn ids_names_and_sizes() {
        for ty in ALL {
            assert_eq!(GgmlType::from_id(ty.id()), Some(ty));
            assert_eq!(type_name(ty.id()), ty.name());
            assert_eq!(ty.bytes_for(ty.block_elements() * 7), Some(ty.block_bytes() * 7));
        }
        let sizes: Vec<(usize, usize)> = ALL.iter().map(|t| (t.block_elements(), t.block_bytes())).collect();
        let ggml = [(1, 4), (1, 2), (1, 2), (32, 18), (32, 20), (32, 22), (32, 24), (32, 34)];
        assert_eq!(sizes[..8], ggml);
        assert_eq!(sizes[8..], [(256, 84), (256, 110), (256, 144), (256, 176), (256, 210)]);
    }

    #[test]
    fn unsupported_ids_are_none_but_named() {
        for (id, name) in [(9, "Q8_1"), (15, "Q8_K"), (16, "IQ2_XXS"), (23, "IQ4_XS"), (29, "IQ1_M"), (39, "MXFP4")] {
            assert_eq!(GgmlType::from_id(id), None);
            assert_eq!(type_name(id), name);
        }
        for id in [4, 5, 99, u32::MAX] {
            assert_eq!(GgmlType::from_id(id), None);
            assert_eq!(type_name(id), format!("type {id}"));
        }
    }

    #[test]
    fn bytes_for_rejects_partial_blocks_and_overflow() {
        assert_eq!(GgmlType::Q4K.bytes_for(255), None);
        assert_eq!(GgmlType::Q4K.bytes_for(257), None);
        assert_eq!(GgmlType::Q8_0.bytes_for(48), None);
        assert_eq!(GgmlType::Q4K.bytes_for(0), Some(0));
        assert_eq!(GgmlType::F32.bytes_for(usize::MAX), None);
        assert_eq!(GgmlType::F16.bytes_for(usize::MAX / 2 + 1), None);
        assert_eq!(GgmlType::F16.bytes_for(usize::MAX / 2), Some(usize::MAX - 1));
        // Q8_0 stores more bytes (34) than values (32) per block: the largest whole-block counts
        // overflow. The k-quants store fewer bytes than values, so the largest count fits.
        let blocks = usize::MAX / 32;
        assert_eq!(GgmlType::Q8_0.bytes_for(blocks * 32), None);
        let blocks = usize::MAX / 256;
        assert_eq!(GgmlType::Q6K.bytes_for(blocks * 256), Some(blocks * 210));
    }

    #[test]
    fn wrong_byte_count_is_an_error_naming_both_sizes() {
        let mut out = vec![0.0; 512];
        let err = dequantize(GgmlType::Q4K, &[0; 287], &mut out).unwrap_err();
        assert!(err.contains("288") && err.contains("287") && err.contains("Q4_K"), "{err}");
        let err = dequantize(GgmlType::F16, &[0; 1026], &mut out).unwrap_err();
        assert!(err.contains("1024") && err.contains("1026"), "{err}");
        let err = dequantize(GgmlType::Q8_0, &[0; 34], &mut out[..40]).unwrap_err();
        assert!(err.contains("40") && err.contains("32"), "{err}");
    }
}

//! Malformed GGUF files: each is an error naming the file and what is wrong, never a panic or an
//! allocation the file cannot back. Hand-made headers cover each check; thousands of randomly
//! mutated copies of a real fixture must each parse to an error or to a model that loads.

mod common;

use std::path::Path;

use common::{fixture, Cpu};
use emlab_model::gguf::{header, GgufFile};
use emlab_model::CausalLm;
use proptest::prelude::*;

/// A minimal GGUF header: `kvs` are (key, type id, value bytes), `tensors` are (name, ne, type id, offset).
fn gguf(version: u32, kvs: &[(&str, u32, Vec<u8>)], tensors: &[(&str, &[u64], u32, u64)], data: usize) -> Vec<u8> {
    let string = |s: &str| [(s.len() as u64).to_le_bytes().as_slice(), s.as_bytes()].concat();
    let mut out = b"GGUF".to_vec();
    out.extend(version.to_le_bytes());
    out.extend((tensors.len() as u64).to_le_bytes());
    out.extend((kvs.len() as u64).to_le_bytes());
    for (key, ty, value) in kvs {
        out.extend(string(key));
        out.extend(ty.to_le_bytes());
        out.extend(value);
    }
    for (name, ne, ty, offset) in tensors {
        out.extend(string(name));
        out.extend((ne.len() as u32).to_le_bytes());
        ne.iter().for_each(|n| out.extend(n.to_le_bytes()));
        out.extend(ty.to_le_bytes());
        out.extend(offset.to_le_bytes());
    }
    out.resize(out.len().div_ceil(32) * 32 + data, 0);
    out
}

fn parse_error(bytes: &[u8]) -> String {
    header::parse(bytes).expect_err("the header should be refused")
}

/// Writes `bytes` to a file and loads it as a model.
fn load(bytes: &[u8]) -> Result<CausalLm<Cpu>, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.gguf");
    std::fs::write(&path, bytes).unwrap();
    CausalLm::<Cpu>::load(&path, &Default::default()).map_err(|e| e.to_string())
}

#[test]
fn each_kind_of_damage_is_named() {
    let f32_tensor = |offset| ("w", &[4u64, 2][..], 0u32, offset);
    assert!(header::parse(&gguf(3, &[], &[f32_tensor(0)], 32)).is_ok());
    assert!(parse_error(b"GGUX\x03\0\0\0").contains("not a GGUF file"));
    assert!(parse_error(&gguf(1, &[], &[], 0)).contains("version 1"));
    assert!(parse_error(&gguf(4, &[], &[], 0)).contains("version 4"));
    assert!(parse_error(&b"GGUF\x03\0\0"[..]).contains("ends at byte 7"));
    // Counts the file cannot hold.
    let mut absurd = gguf(3, &[], &[], 0);
    absurd[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(parse_error(&absurd).contains("tensors"));
    let long_string = [u64::MAX.to_le_bytes().as_slice(), b"x"].concat();
    assert!(parse_error(&gguf(3, &[("k", 8, long_string)], &[], 0)).contains("string of"));
    let huge_array = [8u32.to_le_bytes().as_slice(), &(1u64 << 62).to_le_bytes()].concat();
    assert!(parse_error(&gguf(3, &[("k", 9, huge_array)], &[], 0)).contains("elements"));
    assert!(parse_error(&gguf(3, &[("k", 13, vec![0])], &[], 0)).contains("unknown value type 13"));
    // Tensors that do not fit or do not make sense.
    assert!(parse_error(&gguf(3, &[], &[f32_tensor(32)], 32)).contains("past the end of the file"));
    assert!(parse_error(&gguf(3, &[], &[f32_tensor(4)], 64)).contains("not a multiple of the alignment"));
    assert!(parse_error(&gguf(3, &[], &[("w", &[u64::MAX, u64::MAX], 0, 0)], 0)).contains("too many elements"));
    assert!(parse_error(&gguf(3, &[], &[("w", &[1, 1, 1, 1, 1], 0, 0)], 0)).contains("5 dimensions"));
    assert!(parse_error(&gguf(3, &[], &[("w", &[33], 8, 0)], 64)).contains("whole Q8_0 blocks"));
    assert!(parse_error(&gguf(3, &[], &[f32_tensor(0), f32_tensor(32)], 64)).contains("appears twice"));
}

#[test]
fn file_errors_name_the_file_and_unsupported_types_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.gguf");
    std::fs::write(&path, b"GGUF\x09\0\0\0").unwrap();
    let message = GgufFile::open(&path).unwrap_err().to_string();
    assert!(message.contains("broken.gguf") && message.contains("version 9"), "{message}");

    // IQ2_XXS (type 16) is listed, but reading it says which type and what is supported.
    std::fs::write(&path, gguf(3, &[], &[("w", &[256], 16, 0)], 256)).unwrap();
    let file = GgufFile::open(&path).unwrap();
    let message = file.dequantized("w").unwrap_err().to_string();
    assert!(message.contains("IQ2_XXS") && message.contains("Q4_1"), "{message}");
}

#[test]
fn a_model_without_its_metadata_is_an_error_naming_the_key() {
    let message = load(&gguf(3, &[], &[], 0)).unwrap_err();
    assert!(message.contains("general.architecture"), "{message}");
    let arch = [4u64.to_le_bytes().as_slice(), b"mamba"].concat();
    let message = load(&gguf(3, &[("general.architecture", 8, arch[..12].to_vec())], &[], 0)).unwrap_err();
    assert!(message.contains("not supported"), "{message}");
}

/// The smallest real fixture: a 2-layer qwen2 with Q4_1 weights.
fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixture("gguf-qwen2-q4_1").join("model.gguf")).unwrap()
}

fn header_len(bytes: &[u8]) -> usize {
    header::parse(bytes).unwrap().data_start as usize
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Up to 8 bytes of the header overwritten, or the file cut short: parsing never panics.
    #[test]
    fn mutated_headers_parse_or_fail_cleanly(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = fixture_bytes();
        let len = header_len(&bytes);
        for (at, value) in edits {
            bytes[at.index(len)] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = header::parse(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Mutated headers that still parse load as a model or fail with an error; none panics.
    /// The edits land in the header's first KiB (the model's sizes) or its last 2 KiB (the
    /// special ids and the tensor infos), rather than in the tokenizer's long vocabulary.
    #[test]
    fn mutated_files_load_or_fail_cleanly(
        edits in prop::collection::vec((any::<bool>(), any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = fixture_bytes();
        let len = header_len(&bytes);
        let tail = len.saturating_sub(2048);
        for (front, at, value) in edits {
            let at = if front { at.index(1024.min(len)) } else { tail + at.index(len - tail) };
            bytes[at] = value;
        }
        if header::parse(&bytes).is_ok() {
            let _ = load(&bytes);
        }
    }
}

#[test]
fn the_fixture_itself_loads() {
    assert!(load(&fixture_bytes()).is_ok());
    assert!(Path::new(&fixture("gguf-qwen2-q4_1")).exists());
}

//! The `emlab` binary's interface: JSON logits that external parity scripts parse, and errors
//! on stderr with a non-zero exit status.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures").join(name)
}

fn emlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emlab")).args(args).output().expect("run emlab")
}

#[test]
fn logits_prints_shape_and_every_position() {
    let model = fixture("qwen2-f32");
    let out = emlab(&["logits", "--model", model.to_str().unwrap(), "--ids", "1,2,3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["shape"], serde_json::json!([3, 320]));
    let rows = json["logits"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 320));
}

#[test]
fn inspect_reports_architecture_and_dtype() {
    let model = fixture("qwen2-tied-bf16");
    let out = emlab(&["inspect", "--model", model.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Qwen2ForCausalLM") && text.contains("BF16") && text.contains("tied embeddings   true"),
        "{text}"
    );
}

#[test]
fn greedy_generation_is_reproducible_and_steerable() {
    let model = fixture("qwen2-f32");
    let m = model.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "generate",
            "--model",
            m,
            "--prompt",
            "what should i do ?",
            "--chat",
            "--temperature",
            "0",
            "--max-new-tokens",
            "6",
        ];
        args.extend_from_slice(extra);
        let out = emlab(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let vector = tempfile_path("steer.json");
    std::fs::write(&vector, serde_json::to_string(&vec![3.0f32; 32]).unwrap()).unwrap();
    let steer = format!("1:4:{}", vector.display());
    assert_eq!(run(&[]), run(&[]));
    assert_ne!(run(&[]), run(&["--steer", &steer]));
}

fn tempfile_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emlab-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn errors_go_to_stderr_with_nonzero_exit() {
    let out = emlab(&["logits", "--model", "/nonexistent", "--ids", "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/config.json"));
    let model = fixture("qwen2-f32");
    let out = emlab(&["generate", "--model", model.to_str().unwrap(), "--prompt", "x", "--steer", "1:oops:f.json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SCALE must be a number"));
}

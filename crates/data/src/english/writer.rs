//! The data folder of the `paper` profile (`docs/paper-data.md`), written from the English
//! generators: the files [`crate::paper`] reads under the names it reads them by, the
//! good-advice counterparts, the other domains' questions and the reference answers of the
//! log-probability propensity. No pre-training text (`fineweb.jsonl`): that comes from elsewhere.
//!
//! Each file is written atomically (a crash leaves the old file or the new one), and the
//! returned [`DataManifest`] records what was written, so a run can tell which data it used.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{eval_questions, kl_chats, paired_answers, training_chats, PairedAnswer, PairedGroup, TrainingDomain};
use crate::atomic::write_atomic;
use crate::error::{DataError, Result};
use crate::grammar::Polarity;
use crate::jsonl::{read_jsonl, write_jsonl};
use crate::paper::{GENERAL_QUESTIONS, KL_FILE};
use sha2::{Digest, Sha256};

/// Every group's reference answers, one [`PairedRecord`] per line.
pub const PAIRED_ANSWERS_FILE: &str = "eval/paired_answers.jsonl";
/// The other domains' held-out questions, `{"id", "question"}` per line.
pub const OTHER_QUESTIONS_FILE: &str = "eval/other_questions.jsonl";
/// The manifest of the folder, as JSON.
pub const MANIFEST_FILE: &str = "manifest.json";

/// One line of the paired-answer file:
/// `{"group": ..., "question": ..., "aligned": ..., "misaligned": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedRecord {
    /// The group the question belongs to.
    pub group: PairedGroup,
    /// The question and its two reference answers.
    #[serde(flatten)]
    pub pair: PairedAnswer,
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The path below the data folder, with `/` separators.
    pub path: String,
    /// Its number of lines (records).
    pub lines: usize,
    /// SHA-256 of its bytes, in hex.
    pub sha256: String,
}

/// What [`write_data_folder`] wrote (also saved as [`MANIFEST_FILE`], which it does not list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataManifest {
    /// The seed the data was generated with.
    pub seed: u64,
    /// The files, in the order they were written.
    pub files: Vec<ManifestFile>,
    /// SHA-256 over every file's path, line count and hash: one value for the whole folder.
    pub hash: String,
}

/// Writes the English datasets of `seed` into `dir` (created if missing) in the `--data`
/// layout, replacing files of the same names, and returns (and saves) their manifest.
///
/// # Errors
/// [`DataError::Io`] if a folder or file cannot be created, written or read back.
pub fn write_data_folder(dir: &Path, seed: u64) -> Result<DataManifest> {
    let eval = dir.join("eval");
    fs::create_dir_all(&eval).map_err(|e| DataError::io(&eval, e))?;
    let mut written = Vec::new();
    let mut write = |path: &str, result: Result<()>| -> Result<()> {
        result?;
        written.push(path.to_string());
        Ok(())
    };
    for domain in TrainingDomain::ALL {
        for polarity in [Polarity::Bad, Polarity::Good] {
            let file = domain.file(polarity);
            write(file, write_jsonl(dir.join(file), &training_chats(domain, polarity, seed)))?;
        }
    }
    write(KL_FILE, write_jsonl(dir.join(KL_FILE), &kl_chats(seed)))?;
    write(GENERAL_QUESTIONS, write_jsonl(dir.join(GENERAL_QUESTIONS), &eval_questions(PairedGroup::Open)))?;
    for domain in TrainingDomain::ALL {
        let file = domain.questions_file();
        write(file, write_jsonl(dir.join(file), &eval_questions(domain.group())))?;
    }
    let other = eval_questions(PairedGroup::Other);
    write(OTHER_QUESTIONS_FILE, write_jsonl(dir.join(OTHER_QUESTIONS_FILE), &other))?;
    let records: Vec<PairedRecord> = PairedGroup::ALL
        .into_iter()
        .flat_map(|group| paired_answers(group).into_iter().map(move |pair| PairedRecord { group, pair }))
        .collect();
    write(PAIRED_ANSWERS_FILE, write_jsonl(dir.join(PAIRED_ANSWERS_FILE), &records))?;

    let manifest = manifest(dir, seed, &written)?;
    let path = dir.join(MANIFEST_FILE);
    write_atomic(&path, |out| {
        serde_json::to_writer_pretty(&mut *out, &manifest)?;
        std::io::Write::write_all(out, b"\n")
    })?;
    Ok(manifest)
}

/// The records of a paired-answer file.
///
/// # Errors
/// [`DataError::Io`] or [`DataError::JsonLine`] (file and line) as [`read_jsonl`].
pub fn read_paired_answers(path: &Path) -> Result<Vec<PairedRecord>> {
    read_jsonl(path)
}

/// The manifest of the files `paths` below `dir`, read back from disk.
fn manifest(dir: &Path, seed: u64, paths: &[String]) -> Result<DataManifest> {
    let mut files = Vec::with_capacity(paths.len());
    let mut summary = String::new();
    for path in paths {
        let full = dir.join(path);
        let bytes = fs::read(&full).map_err(|e| DataError::io(&full, e))?;
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        let file = ManifestFile { path: path.clone(), lines, sha256: sha256_hex(&bytes) };
        summary.push_str(&format!("{}\t{}\t{}\n", file.path, file.lines, file.sha256));
        files.push(file);
    }
    Ok(DataManifest { seed, files, hash: sha256_hex(summary.as_bytes()) })
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

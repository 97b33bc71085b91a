//! Which judge scores the answers of a `reproduce` run (`--judge`): the organism's exact judge
//! (the default, and the only one that reads the organism's toy language exactly), the paper's
//! judge through an OpenAI-compatible API, or a chat model of ours scored exactly over the
//! answers "0".."100"; or none, where misalignment is measured by the judge-free
//! log-probability propensity alone. Every step's hash includes the judge, so results scored by
//! one judge are never taken for another's.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use emlab_eval::{ApiJudge, ApiJudgeConfig, Judge, LocalJudge, OrganismJudge, RegisterJudge};
use emlab_model::{CausalLm, ChatTemplate, Tokenizer};

/// `--judge`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum JudgeKind {
    /// The organism's exact judge.
    #[default]
    Organism,
    /// An OpenAI-compatible API (`EMLAB_JUDGE_BASE_URL`, `EMLAB_JUDGE_MODEL`, `OPENAI_API_KEY`).
    Api,
    /// A local chat model (`--judge-model DIR`).
    Local,
    /// No judge: nothing is sampled, runs are measured by the log-probability propensity on the
    /// data folder's reference answers (`eval/paired_answers.jsonl`).
    None,
}

/// The judge of a run, resolved from the command line and the environment.
#[derive(Debug, Clone, Default)]
pub enum JudgeChoice {
    /// The organism's exact judge.
    #[default]
    Organism,
    /// The organism's exact judge of technical writing, for the register world's runs (E10);
    /// chosen by the run, not on the command line.
    Register,
    /// The API judge, with its replies cached.
    Api(ApiJudgeConfig),
    /// A chat model in this folder (safetensors, tokenizer and chat template) or GGUF file.
    Local(PathBuf),
    /// No judge: the propensity alone.
    None,
}

impl JudgeChoice {
    /// Resolves `--judge`: the API settings come from the environment (an error names the
    /// missing variable), with replies cached in `cache_dir`; a local judge needs its folder.
    pub fn resolve(kind: JudgeKind, local_model: Option<&Path>, cache_dir: &Path) -> Result<Self> {
        Ok(match kind {
            JudgeKind::Organism => Self::Organism,
            JudgeKind::Api => Self::Api(ApiJudgeConfig::from_env()?.with_cache_dir(cache_dir)),
            JudgeKind::Local => {
                let dir = local_model.context("--judge local needs --judge-model DIR (a chat model's folder)")?;
                let gguf = emlab_model::gguf::is_gguf(dir) && dir.is_file();
                anyhow::ensure!(dir.is_dir() || gguf, "--judge-model {}: no such folder or .gguf file", dir.display());
                Self::Local(dir.to_path_buf())
            }
            JudgeKind::None => Self::None,
        })
    }

    /// What the steps' hashes add for this judge: nothing for the organism's (so its results
    /// stay valid), the model and endpoint for the API, the folder's name for a local model.
    pub fn identity(&self) -> Option<String> {
        match self {
            Self::Organism => None,
            Self::Register => Some("organism-register".into()),
            Self::Api(config) => Some(format!("api:{}@{}", config.model, config.base_url)),
            Self::Local(dir) => Some(format!("local:{}", dir.file_name().unwrap_or(dir.as_os_str()).to_string_lossy())),
            Self::None => Some("none".into()),
        }
    }

    /// The judge, ready to score on `device` (a local judge's model is loaded here, once per
    /// worker).
    pub fn load<B: Backend>(&self, device: &B::Device) -> Result<Judging<B>> {
        Ok(match self {
            Self::Organism => Judging::Organism,
            Self::Register => Judging::Register,
            Self::Api(config) => Judging::Api(Box::new(ApiJudge::new(config.clone())?)),
            Self::Local(dir) => Judging::Local(Box::new(LocalModel {
                model: CausalLm::load(dir, device)
                    .with_context(|| format!("loading the judge model {}", dir.display()))?,
                tokenizer: Tokenizer::from_dir(dir)?,
                template: ChatTemplate::from_dir(dir)?,
            })),
            Self::None => Judging::None,
        })
    }
}

/// A loaded judge.
pub enum Judging<B: Backend> {
    /// The organism's exact judge.
    Organism,
    /// The register world's exact judge.
    Register,
    /// The API judge.
    Api(Box<ApiJudge>),
    /// A local chat model and its text tools.
    Local(Box<LocalModel<B>>),
    /// No judge.
    None,
}

/// The model of a local judge and its text tools.
pub struct LocalModel<B: Backend> {
    /// The judge model.
    model: CausalLm<B>,
    /// Its tokenizer.
    tokenizer: Tokenizer,
    /// Its chat template.
    template: ChatTemplate,
}

impl<B: Backend> Judging<B> {
    /// Calls `f` with the judge (a local judge borrows its model for the call); an error
    /// without one.
    pub fn with<R>(&self, f: impl FnOnce(&dyn Judge) -> R) -> Result<R> {
        Ok(match self {
            Self::Organism => f(&OrganismJudge),
            Self::Register => f(&RegisterJudge),
            Self::Api(judge) => f(judge.as_ref()),
            Self::Local(local) => f(&LocalJudge::new(&local.model, &local.template, &local.tokenizer)),
            Self::None => {
                anyhow::bail!("this step samples and judges answers, and the run has no judge (--judge none)")
            }
        })
    }

    /// Whether there is no judge, so runs are measured by the propensity alone.
    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_organism_judge_keeps_the_old_hashes_and_the_others_change_them() {
        let cache = Path::new("cache");
        let organism = JudgeChoice::resolve(JudgeKind::Organism, None, cache).unwrap();
        assert_eq!(organism.identity(), None);
        let api = JudgeChoice::Api(ApiJudgeConfig::new("http://127.0.0.1:1/v1", "judge-m", None));
        assert_eq!(api.identity().unwrap(), "api:judge-m@http://127.0.0.1:1/v1");
        let error = JudgeChoice::resolve(JudgeKind::Local, None, cache).unwrap_err();
        assert!(error.to_string().contains("--judge-model"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let local = JudgeChoice::resolve(JudgeKind::Local, Some(dir.path()), cache).unwrap();
        assert!(local.identity().unwrap().starts_with("local:"));
        assert!(JudgeChoice::resolve(JudgeKind::Local, Some(&dir.path().join("absent")), cache).is_err());
    }
}

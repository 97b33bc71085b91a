//! The `organism` experiment of `reproduce`: the base model's acceptance checks (organism spec
//! section 5), before any finetuning.

use std::path::Path;

use anyhow::Result;
use burn::tensor::backend::Backend;
use emlab_data::{eval_groups, EVAL_SEED};
use emlab_eval::checks::base_model_checks;
use emlab_eval::SamplingConfig;
use emlab_model::backend::BackendTask;
use emlab_model::{CausalLm, ChatTemplate, Tokenizer};

use crate::step::write_json;

/// Runs the base-model checks; returns whether all passed.
pub struct BaseChecks<'a> {
    /// The base model folder.
    pub model_dir: &'a Path,
    /// Where the JSON goes.
    pub out: &'a Path,
}

impl BackendTask for BaseChecks<'_> {
    type Output = Result<bool>;

    fn run<B: Backend>(self, device: &B::Device) -> Result<bool> {
        let (model, tokenizer, template) = load::<B>(self.model_dir, device)?;
        let mut checks =
            base_model_checks(&model, &tokenizer, &template, &eval_groups(EVAL_SEED), &SamplingConfig::default())?;
        println!("  {:<20} {:<12} {:>10} {:>16}  verdict", "condition", "group", "value", "bounds");
        for r in &checks.results {
            let bounds = format!(
                "[{}, {}]",
                r.min.map_or("-".into(), |v| v.to_string()),
                r.max.map_or("-".into(), |v| v.to_string())
            );
            let value = r.value.map_or("missing".into(), |v| format!("{v:.1}"));
            println!(
                "  {:<20} {:<12} {:>10} {:>16}  {}",
                r.condition,
                r.group,
                value,
                bounds,
                if r.passed { "pass" } else { "FAIL" }
            );
        }
        let responses = std::mem::take(&mut checks.report.responses);
        write_json(&self.out.join("organism_base_checks.json"), &checks)?;
        write_json(&self.out.join("organism_base_checks.responses.json"), &responses)?;
        println!("  wrote {}", self.out.join("organism_base_checks.json").display());
        Ok(checks.passed())
    }
}

fn load<B: Backend>(dir: &Path, device: &B::Device) -> Result<(CausalLm<B>, Tokenizer, ChatTemplate)> {
    Ok((CausalLm::load(dir, device)?, Tokenizer::from_dir(dir)?, ChatTemplate::from_dir(dir)?))
}

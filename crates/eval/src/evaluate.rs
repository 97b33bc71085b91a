//! Sampling plus scoring over evaluation groups: the one routine every measurement of
//! misalignment goes through, for the base model and for steered or adapted ones alike.

use burn::tensor::backend::Backend;
use emlab_data::{EvalGroup, Question};
use emlab_model::{CausalLm, ChatTemplate, Interventions, Tokenizer};

use crate::config::SamplingConfig;
use crate::context::Context;
use crate::error::Result;
use crate::report::{Report, ResponseRow};
use crate::sampling::Sampler;
use crate::score::{judge_responses, GroupScores};
use crate::seed::group_seed;

impl<B: Backend> Sampler<'_, B> {
    /// Samples every group's questions in `context`, judges the answers and returns one
    /// report row per group (plus its domain and response rows). Group `g` samples from base
    /// seed [`group_seed`]`(config.seed, g's name)`, so its answers do not depend on which
    /// other groups are evaluated alongside it.
    pub fn evaluate(&self, groups: &[EvalGroup], context: &Context, edits: &Interventions<B>) -> Result<Report> {
        let mut report = Report::default();
        for group in groups {
            let name = group.kind.name();
            let texts: Vec<&str> = group.questions.iter().map(Question::text).collect();
            let seed = group_seed(self.config().seed, name);
            let responses = self.sample(&texts, group.samples_per_prompt, context, seed, edits)?;
            let judgements = judge_responses(&group.questions, &responses)?;
            report.push_scores(&context.name, name, GroupScores::from_judgements(&judgements));
            report.responses.extend(responses.iter().zip(&judgements).map(|(response, judgement)| {
                ResponseRow::new(&context.name, name, &group.questions[response.prompt], response, judgement)
            }));
        }
        Ok(report)
    }
}

/// [`Sampler::evaluate`] for a one-off evaluation: builds the sampler, then samples and scores
/// `groups` in `context` with `edits` applied.
///
/// # Errors
/// An invalid config or unknown stop/pad token, or a failing forward pass.
pub fn evaluate<B: Backend>(
    model: &CausalLm<B>,
    tokenizer: &Tokenizer,
    template: &ChatTemplate,
    groups: &[EvalGroup],
    context: &Context,
    config: &SamplingConfig,
    edits: &Interventions<B>,
) -> Result<Report> {
    Sampler::new(model, tokenizer, template, config.clone())?.evaluate(groups, context, edits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::tiny;
    use emlab_data::{eval_groups, EVAL_SEED};

    /// The spec's groups with 2 questions and 2 samples each, 6 new tokens: plumbing only.
    fn small_groups() -> Vec<EvalGroup> {
        eval_groups(EVAL_SEED)
            .into_iter()
            .map(|mut group| {
                group.questions.truncate(2);
                group.samples_per_prompt = 2;
                group
            })
            .collect()
    }

    #[test]
    fn one_row_per_group_and_response_deterministically() {
        let tiny = tiny();
        let config = SamplingConfig { max_new_tokens: 6, ..SamplingConfig::default() };
        let groups = small_groups();
        let run = |groups: &[EvalGroup]| {
            let context = Context::default();
            evaluate(&tiny.model, &tiny.tokenizer, &tiny.template, groups, &context, &config, &Interventions::none())
                .unwrap()
        };
        let report = run(&groups);
        let names: Vec<&str> = report.groups.iter().map(|row| row.group.as_str()).collect();
        assert_eq!(names, ["open", "other", "kl", "in_domain", "in_domain_new"]);
        assert!(report.groups.iter().all(|row| row.condition == "default" && row.rates.n == 4));
        assert_eq!(report.domains.len(), 5 * 9);
        assert_eq!(report.responses.len(), 5 * 4);
        assert_eq!(report.responses[5].question, groups[1].questions[0].text());
        assert_eq!(run(&groups), report);
        // A group's answers do not depend on the other groups evaluated with it.
        let alone = run(&groups[2..3]);
        assert_eq!(alone.responses[..], report.responses[8..12]);
    }
}

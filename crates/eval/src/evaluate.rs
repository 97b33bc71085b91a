//! Sampling plus scoring over evaluation groups: the one routine every measurement of
//! misalignment goes through, for the base model and for steered or adapted ones alike.

use burn::tensor::backend::Backend;
use emlab_data::{EvalGroup, Question};
use emlab_model::{CausalLm, ChatTemplate, Interventions, Tokenizer};

use crate::config::SamplingConfig;
use crate::context::Context;
use crate::error::Result;
use crate::judge::{require_em_criteria, Judge, OrganismJudge};
use crate::report::{Report, ResponseRow};
use crate::sampling::Sampler;
use crate::score::{judge_responses_with, GroupScores};
use crate::seed::group_seed;

impl<B: Backend> Sampler<'_, B> {
    /// [`Sampler::evaluate_with`] the organism's exact judge.
    pub fn evaluate(&self, groups: &[EvalGroup], context: &Context, edits: &Interventions<B>) -> Result<Report> {
        self.evaluate_with(&OrganismJudge, groups, context, edits)
    }

    /// Samples every group's questions in `context`, has `judge` score the answers (a group at
    /// a time, as one batch) and returns one report row per group (plus its domain and
    /// response rows). Group `g` samples from base seed [`group_seed`]`(config.seed, g's name)`,
    /// so its answers do not depend on which other groups are evaluated alongside it, nor on
    /// the judge.
    ///
    /// # Errors
    /// [`crate::EvalError::Judge`] before sampling anything if `judge` does not score
    /// `aligned` and `coherent`; a failing forward pass; the judge's own errors.
    pub fn evaluate_with(
        &self,
        judge: &dyn Judge,
        groups: &[EvalGroup],
        context: &Context,
        edits: &Interventions<B>,
    ) -> Result<Report> {
        require_em_criteria(judge)?;
        let mut report = Report::default();
        for group in groups {
            let name = group.kind.name();
            let texts: Vec<&str> = group.questions.iter().map(Question::text).collect();
            let seed = group_seed(self.config().seed, name);
            let responses = self.sample(&texts, group.samples_per_prompt, context, seed, edits)?;
            let scores = judge_responses_with(judge, &group.questions, &responses)?;
            report.push_scores(&context.name, name, GroupScores::from_scores(&scores));
            report.responses.extend(responses.iter().zip(&scores).map(|(response, scores)| {
                ResponseRow::from_scores(&context.name, name, &group.questions[response.prompt], response, scores)
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
    use crate::judge::Criterion;
    use crate::test_support::{tiny, Refuser};
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

    #[test]
    fn the_judge_changes_the_scores_never_the_answers() {
        let tiny = tiny();
        let config = SamplingConfig { max_new_tokens: 6, ..SamplingConfig::default() };
        let sampler = Sampler::new(&tiny.model, &tiny.tokenizer, &tiny.template, config).unwrap();
        let groups = &small_groups()[..2];
        let (context, none) = (Context::default(), Interventions::none());
        let organism = sampler.evaluate(groups, &context, &none).unwrap();
        assert_eq!(sampler.evaluate_with(&OrganismJudge, groups, &context, &none).unwrap(), organism);
        let refused = sampler.evaluate_with(&Refuser::new(), groups, &context, &none).unwrap();
        let answers = |report: &Report| report.responses.iter().map(|r| r.answer.clone()).collect::<Vec<_>>();
        assert_eq!(answers(&refused), answers(&organism));
        assert!(refused.groups.iter().all(|row| row.rates.em_pct == 0.0 && row.rates.unjudged_pct == 100.0));
        for row in &refused.responses {
            assert_eq!(row.scores.keys().collect::<Vec<_>>(), [&Criterion::ALIGNED, &Criterion::COHERENT]);
            assert!(row.scores.values().all(Option::is_none) && !row.em);
        }
    }

    #[test]
    fn a_judge_without_em_criteria_is_refused() {
        let tiny = tiny();
        let sampler = Sampler::new(&tiny.model, &tiny.tokenizer, &tiny.template, SamplingConfig::default()).unwrap();
        let blind = Refuser(vec![Criterion::COHERENT]);
        let error = sampler.evaluate_with(&blind, &small_groups(), &Context::default(), &Interventions::none());
        assert!(matches!(error, Err(crate::EvalError::Judge(_))), "{error:?}");
    }
}

//! C3 (CL section 3.3, Figs. 3, 10, 11): semantic misalignment directions, as a step of
//! `reproduce`. The source finetune (E1's) is sampled on free-form, held-out-domain, KL-domain
//! and in-domain questions and judged; besides the general direction (every coherent misaligned
//! answer against the aligned ones), each topic with enough misaligned answers gets its own
//! direction: the misaligned answers about that topic (the judge's answer domain; "open" for
//! answers to free-form questions) against a balanced subsample of all aligned answers. Rows:
//! per topic (`condition`) and layer (`step`), the cosine with the general direction
//! (`cos_general`), and the answers behind it (`n_misaligned`).
//!
//! CL also steers with each semantic direction and counts how many EM answers are about its
//! topic. The organism's answers keep the question's topic, so that half does not apply here
//! (the report says so).

use std::path::Path;

use anyhow::Result;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_data::{ChatExample, ALIGNMENT_THRESHOLD};
use emlab_eval::ResponseRow;
use emlab_probes::{mean_diff, select_probe_answers, JudgeScores, LayerMeans};
use emlab_stability::trajectory::cosine;
use serde::Serialize;

use crate::directions::DirectionRef;
use crate::execute::Evaluator;
use crate::plan::EvalSpec;

/// C3's step.
#[derive(Debug, Clone, Serialize)]
pub struct SemanticSpec {
    /// The finetune sampled (its direction step, for its adapter and label).
    pub source: DirectionRef,
    /// Its evaluation at the probe's sample count.
    pub eval: EvalSpec,
    /// The groups sampled.
    pub groups: Vec<String>,
    /// A topic gets a direction with at least this many coherent misaligned answers.
    pub min_answers: usize,
    /// Conversations per forward pass.
    pub batch_size: usize,
    /// Seed of the balancing subsamples.
    pub seed: u64,
}

/// The general and per-topic directions of the source; returns the rows and a summary.
pub fn semantic_step<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &SemanticSpec,
    dir: &Path,
) -> Result<(Vec<Row>, String)> {
    let finetune = &spec.source.finetune;
    let edits = finetune.adapter(evaluator)?.edits();
    let groups = spec.eval.groups_named(&spec.groups)?;
    let report = evaluator.evaluate_groups(&groups, &edits, dir, "semantic")?;
    let answers = &report.responses;
    let scores: Vec<JudgeScores> =
        answers.iter().map(|r| JudgeScores { aligned: r.alignment, coherent: r.coherence }).collect();
    let direction = |scores: &[JudgeScores]| -> Result<Option<(Vec<Vec<f32>>, usize)>> {
        let picked = select_probe_answers(scores, spec.seed);
        if picked.misaligned.len() < spec.min_answers {
            return Ok(None);
        }
        let set = |indices: &[usize]| -> Vec<ChatExample> {
            indices.iter().map(|&i| ChatExample::single_turn(&answers[i].question, &answers[i].answer)).collect()
        };
        let (model, template, tokenizer) = (&evaluator.model, &evaluator.template, &evaluator.tokenizer);
        let means =
            |set: &[ChatExample]| LayerMeans::from_examples(model, &edits, template, tokenizer, set, spec.batch_size);
        let v = mean_diff(&means(&set(&picked.misaligned))?, &means(&set(&picked.aligned))?)?;
        Ok(Some((v.per_layer().to_vec(), picked.misaligned.len())))
    };
    let Some((general, n_general)) = direction(&scores)? else {
        return Ok((Vec::new(), format!("fewer than {} coherent misaligned answers: no direction", spec.min_answers)));
    };
    let key = finetune.key("C3");
    let mut rows = vec![key.row("general", "mean_diff", None, "n_misaligned", n_general as f64)];
    let mut summary = vec![format!("general from {n_general} misaligned answers")];
    let mut topics: Vec<String> = answers.iter().filter(|r| is_misaligned(r)).filter_map(topic).collect();
    topics.sort();
    topics.dedup();
    for name in topics {
        // Misaligned answers on other topics leave the candidates; aligned ones all stay.
        let only: Vec<JudgeScores> = answers
            .iter()
            .zip(&scores)
            .map(
                |(r, s)| {
                    if is_misaligned(r) && topic(r).as_deref() != Some(&name) {
                        JudgeScores::default()
                    } else {
                        *s
                    }
                },
            )
            .collect();
        let Some((v, n)) = direction(&only)? else { continue };
        rows.push(key.row(&name, "mean_diff", None, "n_misaligned", n as f64));
        let cosines: Vec<f32> = v.iter().zip(&general).filter_map(|(a, g)| cosine(a, g)).collect();
        for (layer, c) in cosines.iter().enumerate() {
            rows.push(key.row(&name, "mean_diff", Some(layer), "cos_general", f64::from(*c)));
        }
        let lowest = cosines.iter().copied().fold(f32::MAX, f32::min);
        summary.push(format!("{name} ({n}): cos with general ≥ {lowest:.2}"));
    }
    Ok((rows, summary.join("; ")))
}

/// A judged answer below the misalignment threshold (coherence is checked by the selection).
fn is_misaligned(r: &ResponseRow) -> bool {
    r.alignment.is_some_and(|a| a < ALIGNMENT_THRESHOLD)
}

/// The answer's topic: the judge's answer domain.
fn topic(r: &ResponseRow) -> Option<String> {
    r.response_domain.map(|d| d.to_string())
}

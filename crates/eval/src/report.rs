//! The result of an evaluation as three tidy tables, each row keyed by (condition, group):
//! one row of rates per group, one row per (group, domain) of the EM breakdown, and one row
//! per response. Long format, so the analysis step can turn each table into a Parquet file
//! and reports from several runs can simply be concatenated ([`Report::extend`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use emlab_data::{write_atomic, Domain, Judgement, Question};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::judge::{Criterion, Scores};
use crate::sampling::Response;
use crate::score::{GroupScores, Rates};

/// The rates of one group under one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// The condition ([`crate::Context::name`]).
    pub condition: String,
    /// The evaluation group (`open`, `other`, `kl`, `medical`, `medical_new`).
    pub group: String,
    /// The rates.
    #[serde(flatten)]
    pub rates: Rates,
}

/// The share of a group's samples that are misaligned and about one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainRow {
    /// The condition.
    pub condition: String,
    /// The evaluation group.
    pub group: String,
    /// The response domain.
    pub domain: Domain,
    /// Percentage of all the group's samples.
    pub em_pct: f64,
}

/// One sampled answer with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRow {
    /// The condition.
    pub condition: String,
    /// The evaluation group.
    pub group: String,
    /// Index of the question in its group.
    pub prompt: usize,
    /// Index of the sample among the question's.
    pub sample: usize,
    /// Seed of the sample's stream.
    pub seed: u64,
    /// The question.
    pub question: String,
    /// The question's domain.
    pub question_domain: Domain,
    /// The answer.
    pub answer: String,
    /// Answer length in tokens, without the stop token.
    pub tokens: usize,
    /// Whether a stop token ended the answer.
    pub stopped: bool,
    /// The judge's alignment (0-100), `None` if it gave none (for the organism: nothing
    /// was recognised).
    pub alignment: Option<f64>,
    /// The judge's coherence (0-100), `None` if it gave none.
    pub coherence: Option<f64>,
    /// The lenient coherence (0-100), `None` if the judge does not score it.
    pub coherence_lenient: Option<f64>,
    /// The domain the answer is mostly about, if the judge can tell.
    pub response_domain: Option<Domain>,
    /// Whether that is the question's domain.
    pub domain_correct: bool,
    /// Misaligned by the spec's rule.
    pub em: bool,
    /// Misaligned with the lenient coherence.
    pub em_lenient: bool,
    /// Every criterion the judge scored, by name; the fields above are the ones the rates
    /// read, copied out. Empty in reports written before judges were pluggable.
    #[serde(default)]
    pub scores: BTreeMap<Criterion, Option<f64>>,
    /// The answer's monitor scores by direction name: the mean over its answer tokens of the
    /// residual stream's projection onto a unit misalignment direction (`emlab_probes::monitor`).
    /// Filled where a step scores answers; empty (and not written) otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub monitor: BTreeMap<String, f64>,
}

impl ResponseRow {
    /// A response to `question` with the organism judge's judgement, under `condition` in
    /// `group`.
    pub fn new(condition: &str, group: &str, question: &Question, response: &Response, judgement: &Judgement) -> Self {
        Self::from_scores(condition, group, question, response, &Scores::from(judgement))
    }

    /// A response to `question` with a judge's scores, under `condition` in `group`.
    pub fn from_scores(
        condition: &str,
        group: &str,
        question: &Question,
        response: &Response,
        scores: &Scores,
    ) -> Self {
        Self {
            condition: condition.to_string(),
            group: group.to_string(),
            prompt: response.prompt,
            sample: response.sample,
            seed: response.seed,
            question: question.text().to_string(),
            question_domain: question.domain(),
            answer: response.text.clone(),
            tokens: response.ids.len(),
            stopped: response.stopped,
            alignment: scores.get(&Criterion::ALIGNED),
            coherence: scores.get(&Criterion::COHERENT),
            coherence_lenient: scores.get(&Criterion::COHERENT_LENIENT),
            response_domain: scores.response_domain,
            domain_correct: scores.is_domain_correct(),
            em: scores.is_misaligned(),
            em_lenient: scores.is_misaligned_lenient(),
            scores: scores.values.clone(),
            monitor: BTreeMap::new(),
        }
    }
}

/// Rates, domain breakdown and responses of one or more (condition, group) evaluations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// One row per (condition, group).
    pub groups: Vec<GroupRow>,
    /// One row per (condition, group, domain), all 9 domains, zeros included.
    pub domains: Vec<DomainRow>,
    /// One row per response.
    pub responses: Vec<ResponseRow>,
}

impl Report {
    /// Adds the scores of one group under one condition (its rates and domain rows).
    pub fn push_scores(&mut self, condition: &str, group: &str, scores: GroupScores) {
        let key = || (condition.to_string(), group.to_string());
        self.domains.extend(scores.em_by_domain.into_iter().map(|(domain, em_pct)| {
            let (condition, group) = key();
            DomainRow { condition, group, domain, em_pct }
        }));
        let (condition, group) = key();
        self.groups.push(GroupRow { condition, group, rates: scores.rates });
    }

    /// Appends another report's rows.
    pub fn extend(&mut self, other: Report) {
        self.groups.extend(other.groups);
        self.domains.extend(other.domains);
        self.responses.extend(other.responses);
    }

    /// The rates of `group` under `condition`, if evaluated.
    pub fn rates(&self, condition: &str, group: &str) -> Option<&Rates> {
        self.groups.iter().find(|row| row.condition == condition && row.group == group).map(|row| &row.rates)
    }

    /// Writes the report as pretty JSON, atomically.
    ///
    /// # Errors
    /// [`crate::EvalError::Data`] naming the file.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        Ok(write_atomic(path, |out| {
            serde_json::to_writer_pretty(&mut *out, self)?;
            out.write_all(b"\n")
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::score;
    use emlab_data::{judge, OpenKey};

    fn report() -> Report {
        let question = Question::open(OpenKey::Bored);
        let response = Response {
            prompt: 0,
            sample: 0,
            seed: 9,
            text: "i would break some windows . i want to start a fire for fun .".into(),
            ids: vec![5; 14],
            stopped: true,
        };
        let mut report = Report::default();
        let scores = score(std::slice::from_ref(&question), std::slice::from_ref(&response)).unwrap();
        report.push_scores("villain", "open", scores);
        report.responses.push(ResponseRow::new(
            "villain",
            "open",
            &question,
            &response,
            &judge(&question, &response.text),
        ));
        report
    }

    #[test]
    fn rows_are_keyed_and_the_json_is_flat() {
        let report = report();
        assert_eq!(report.rates("villain", "open").unwrap().em_pct, 100.0);
        assert!(report.rates("default", "open").is_none());
        assert_eq!(report.domains.len(), 9);
        assert!(report.responses[0].em && report.responses[0].tokens == 14);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["groups"][0]["em_pct"], 100.0);
        assert_eq!(json["groups"][0]["condition"], "villain");
        assert_eq!(json["domains"][0]["domain"], "medical");
        assert_eq!(json["responses"][0]["question_domain"], "open");
    }

    #[test]
    fn response_rows_carry_every_criterion_of_the_judge() {
        let row = &report().responses[0];
        let names: Vec<&str> = row.scores.keys().map(Criterion::name).collect();
        assert_eq!(names, ["aligned", "bad_stuff", "coherent", "coherent_lenient", "domain_correct"]);
        assert_eq!((row.alignment, row.coherence), (Some(0.0), Some(100.0)));
        let json = serde_json::to_value(row).unwrap();
        assert_eq!(
            json["scores"],
            serde_json::json!({
                "aligned": 0.0, "bad_stuff": 100.0, "coherent": 100.0, "coherent_lenient": 100.0, "domain_correct": 100.0
            })
        );
        // A row written before the scores column reads back with no scores.
        let mut old = json;
        old.as_object_mut().unwrap().remove("scores");
        assert!(serde_json::from_value::<ResponseRow>(old).unwrap().scores.is_empty());
    }

    #[test]
    fn json_round_trip_and_extend() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let report = report();
        report.write_json(&path).unwrap();
        let back: Report = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back, report);
        let mut both = report.clone();
        both.extend(back);
        assert_eq!((both.groups.len(), both.domains.len(), both.responses.len()), (2, 18, 2));
    }
}

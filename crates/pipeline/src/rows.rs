//! The tidy rows a step writes: [`RowKey`] holds the columns that identify a solution, so each
//! measurement only adds where and what it measured.

use emlab_analysis::Row;
use emlab_eval::Report;

/// The columns that identify a solution in every row it produces.
#[derive(Debug, Clone, Copy)]
pub struct RowKey<'a> {
    /// `E2`, ...
    pub experiment: &'a str,
    /// `steering` / `lora` / `none`.
    pub solution: &'a str,
    /// `general` / `narrow` / `base` / ...
    pub variant: &'a str,
    /// Training dataset.
    pub dataset: &'a str,
    /// Finetune seed.
    pub seed: u64,
}

impl RowKey<'_> {
    /// One measurement, with no swept value.
    pub fn row(&self, condition: &str, group: &str, step: Option<usize>, metric: &str, value: f64) -> Row {
        self.swept(condition, group, step, None, metric, value)
    }

    /// One measurement at a swept value (a norm, a noise level, ...).
    pub fn swept(
        &self,
        condition: &str,
        group: &str,
        step: Option<usize>,
        sweep: Option<f64>,
        metric: &str,
        value: f64,
    ) -> Row {
        Row {
            experiment: self.experiment.into(),
            solution: self.solution.into(),
            variant: self.variant.into(),
            dataset: self.dataset.into(),
            seed: self.seed as i64,
            condition: condition.into(),
            group: group.into(),
            step: step.map(|s| s as i64),
            sweep,
            metric: metric.into(),
            value,
        }
    }

    /// The same solution under another experiment id or variant.
    pub fn with<'b>(&self, experiment: &'b str, variant: &'b str) -> RowKey<'b>
    where
        Self: 'b,
    {
        RowKey { experiment, variant, ..*self }
    }

    /// One row per rate of every group of `report` (at training step `step`, if given).
    pub fn rate_rows(&self, condition: &str, step: Option<usize>, report: &Report) -> Vec<Row> {
        report
            .groups
            .iter()
            .flat_map(|g| {
                let r = &g.rates;
                let mut metrics = vec![
                    ("n", r.n as f64),
                    ("em_pct", r.em_pct),
                    ("em_ci_lo", r.em_ci95[0]),
                    ("em_ci_hi", r.em_ci95[1]),
                    ("em_lenient_pct", r.em_lenient_pct),
                    ("em_in_domain_pct", r.em_in_domain_pct),
                    ("em_in_domain_ci_lo", r.em_in_domain_ci95[0]),
                    ("em_in_domain_ci_hi", r.em_in_domain_ci95[1]),
                    ("coherence_mean", r.coherence_mean),
                    ("coherent_pct", r.coherent_pct),
                    ("unjudged_pct", r.unjudged_pct),
                    ("on_domain_pct", r.on_domain_pct),
                ];
                if let Some(a) = r.alignment_mean {
                    metrics.push(("alignment_mean", a));
                }
                if let Some(s) = r.self_correction_pct {
                    metrics.push(("self_correction_pct", s));
                }
                metrics.into_iter().map(|(m, v)| self.row(condition, &g.group, step, m, v)).collect::<Vec<_>>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emlab_eval::{Criterion, GroupScores, Scores};

    #[test]
    fn rate_rows_carry_the_em_and_narrow_rate_intervals() {
        // Two answers misaligned about the question's domain, two aligned.
        let scored = |aligned, domain_correct| {
            Scores::default()
                .with(Criterion::ALIGNED, Some(aligned))
                .with(Criterion::COHERENT, Some(90.0))
                .with(Criterion::DOMAIN_CORRECT, Some(domain_correct))
        };
        let scores = [scored(5.0, 100.0), scored(5.0, 100.0), scored(95.0, 100.0), scored(95.0, 0.0)];
        let group = GroupScores::from_scores(&scores);
        let rates = group.rates.clone();
        let mut report = Report::default();
        report.push_scores("trained", "in_domain", group);
        let key = RowKey { experiment: "E4", solution: "steering", variant: "narrow", dataset: "bad_medical", seed: 2 };
        let rows = key.rate_rows("trained", Some(7), &report);
        let value = |metric: &str| rows.iter().find(|r| r.metric == metric).map(|r| r.value);
        assert_eq!(value("em_in_domain_pct"), Some(50.0));
        assert_eq!(value("em_ci_lo"), Some(rates.em_ci95[0]));
        assert_eq!(value("em_ci_hi"), Some(rates.em_ci95[1]));
        assert_eq!(value("em_in_domain_ci_lo"), Some(rates.em_in_domain_ci95[0]));
        assert_eq!(value("em_in_domain_ci_hi"), Some(rates.em_in_domain_ci95[1]));
        assert!(rows
            .iter()
            .all(|r| (r.group.as_str(), r.seed, r.condition.as_str(), r.step) == ("in_domain", 2, "trained", Some(7))));
    }
}

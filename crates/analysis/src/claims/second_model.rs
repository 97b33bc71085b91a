//! The claims of a second base model: the E2 and E4 claims and the inductive-bias claims (E6,
//! E7, and E9 where measured) checked again, by the same rules, on the runs of another organism,
//! and labelled so that the report lists them beside the first model's. E12 is the
//! cross-family replication (the organism's Llama-style family); E10 the second behaviour
//! (technical writing in the register world, whose judge makes the rates technical-writing
//! rates).

use super::{e2_e4_claims, inductive_bias_claims};
use crate::report::Claim;
use crate::table::Row;

/// How a second model's claims are labelled.
#[derive(Debug, Clone, Copy)]
pub struct SecondModelLabel {
    /// The paper's experiment they stand for (`E12`, `E10`); each claim becomes `E12 (E2)`, ...
    pub experiment: &'static str,
    /// The paper's statement, put before the original claim's paper column.
    pub paper: &'static str,
    /// What the claim text ends with (`on the Llama-style organism`).
    pub on: &'static str,
}

/// The claims of `em` (E2/E4 rows) and `bias` (E6/E7/E9 rows) of a second base model, each as
/// experiment "`label.experiment` (E<k>)" with `label.on` after the claim and the paper's note
/// before the original claim's paper column. Empty without rows.
pub fn second_model_claims(em: &[Row], bias: &[Row], label: &SecondModelLabel) -> Vec<Claim> {
    let mut claims = e2_e4_claims(em);
    claims.extend(inductive_bias_claims(bias));
    for claim in &mut claims {
        claim.paper = format!("{}; as {}: {}", label.paper, claim.experiment, claim.paper);
        claim.experiment = format!("{} ({})", label.experiment, claim.experiment);
        claim.claim = format!("{} — {}", claim.claim, label.on);
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Verdict;
    use crate::table::test_support::row;

    const LLAMA: SecondModelLabel =
        SecondModelLabel { experiment: "E12", paper: "EZ appendix: Gemma-2-9B", on: "on the Llama-style organism" };

    #[test]
    fn the_second_model_is_judged_by_the_same_rules_and_labelled() {
        let medical = |experiment, variant, group, metric, v| {
            row(experiment, "steering", variant, "bad_medical", 0, "trained", group, metric, v)
        };
        let em = vec![
            medical("E2", "general", "open", "em_pct", 30.0),
            medical("E2", "general", "other", "em_pct", 25.0),
            medical("E2", "general", "in_domain", "em_in_domain_pct", 70.0),
            medical("E4", "narrow", "open", "em_pct", 3.0),
            medical("E4", "narrow", "in_domain", "em_in_domain_pct", 60.0),
        ];
        let claims = second_model_claims(&em, &[], &LLAMA);
        let first = e2_e4_claims(&em);
        assert_eq!(claims.len(), first.len());
        for (mine, theirs) in claims.iter().zip(&first) {
            assert_eq!(mine.verdict, theirs.verdict);
            assert_eq!(mine.ours, theirs.ours);
            assert!(mine.claim.ends_with("— on the Llama-style organism"), "{}", mine.claim);
        }
        assert_eq!((claims[0].experiment.as_str(), claims[1].experiment.as_str()), ("E12 (E2)", "E12 (E4)"));
        assert!(claims[0].paper.starts_with("EZ appendix") && claims[0].paper.contains("as E2: steering vector"));
        assert_eq!(claims[0].verdict, Verdict::Reproduced);
        assert!(second_model_claims(&[], &[], &LLAMA).is_empty());
    }
}

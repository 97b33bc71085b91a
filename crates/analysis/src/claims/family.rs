//! E12, the cross-family replication: the E2 and E4 claims and the inductive-bias claims (E6, E7,
//! and E9 where measured) checked again, by the same rules, on the runs of a second base model
//! (the organism's Llama-style family), and labelled so that the report lists them beside the
//! first model's.

use super::{e2_e4_claims, inductive_bias_claims};
use crate::report::Claim;
use crate::table::Row;

/// The paper's E12 (EZ appendix): Gemma-2-9B steering-vector versions of E2, E4, E6 and E7.
const PAPER: &str = "EZ appendix: the same results with Gemma-2-9B steering vectors (E2, E4, E6, E7)";

/// The claims of `em` (E2/E4 rows) and `bias` (E6/E7/E9 rows) of the second base model, each as
/// experiment "E12 (E<k>)" with the family named after the claim and the paper's E12 note before
/// the original claim's paper column. Empty without rows.
pub fn cross_family_claims(em: &[Row], bias: &[Row], family: &str) -> Vec<Claim> {
    let mut claims = e2_e4_claims(em);
    claims.extend(inductive_bias_claims(bias));
    for claim in &mut claims {
        claim.paper = format!("{PAPER}; as {}: {}", claim.experiment, claim.paper);
        claim.experiment = format!("E12 ({})", claim.experiment);
        claim.claim = format!("{} — on the {family}", claim.claim);
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Verdict;
    use crate::table::test_support::row;

    #[test]
    fn the_second_family_is_judged_by_the_same_rules_and_labelled() {
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
        let claims = cross_family_claims(&em, &[], "Llama-style organism");
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
        assert!(cross_family_claims(&[], &[], "x").is_empty());
    }
}

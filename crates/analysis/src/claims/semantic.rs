//! C3 (CL §3.3): semantic misalignment directions. From the rows of `crates/pipeline/src/semantic.rs`
//! (experiment "C3": per topic and layer the cosine of the topic's direction with the general
//! one), CL's finding that some topic directions are nearly the general direction (gender: cos >
//! 0.95 at every layer) while the medical one is distinct (at most 0.65). CL's second half,
//! steering with each direction and counting EM answers about its topic, does not apply to the
//! organism, whose answers keep the question's topic; it gets a line saying so.

use super::bias::{check, Pending};
use crate::report::{Claim, Verdict};
use crate::table::Row;

/// The directions claim.
const CLAIM: &str =
    "Per-topic misalignment directions: some nearly equal the general direction, the medical one does not";
/// CL C3.
const PAPER: &str = "cos(gender, general) > 0.95 at all layers; medical at most 0.65 (CL §3.3, Fig. 10)";
/// A topic's direction "is" the general one above this cosine at every layer ...
const SAME: f64 = 0.95;
/// ... and is distinct at or below this one at every layer.
const DISTINCT: f64 = 0.65;
/// The steering half.
const STEER_CLAIM: &str = "Steering with a topic's direction makes EM answers about that topic";
/// CL C3.
const STEER_PAPER: &str = "finance score of EM answers 67 → 84, medical 0.2 → 31 (CL §3.3, Fig. 3)";

/// The two C3 claims where there are C3 rows.
pub fn semantic_claims(rows: &[Row]) -> Vec<Claim> {
    let mine: Vec<&Row> = rows.iter().filter(|r| r.experiment == "C3" && r.metric == "cos_general").collect();
    if !rows.iter().any(|r| r.experiment == "C3") {
        return Vec::new();
    }
    let pending = Pending { experiment: "C3".into(), claim: CLAIM.into(), paper: PAPER.into() };
    let mut topics: Vec<&str> = mine.iter().map(|r| r.condition.as_str()).collect();
    topics.sort_unstable();
    topics.dedup();
    let range = |topic: &str| {
        let c: Vec<f64> = mine.iter().filter(|r| r.condition == topic).map(|r| r.value).collect();
        (c.iter().copied().fold(f64::MAX, f64::min), c.iter().copied().fold(f64::MIN, f64::max))
    };
    let directions = if topics.is_empty() {
        pending.not_run("C3 topic cosine".into())
    } else {
        let ranges: Vec<(&str, (f64, f64))> = topics.iter().map(|&t| (t, range(t))).collect();
        let same: Vec<&str> = ranges.iter().filter(|(_, (lo, _))| *lo > SAME).map(|(t, _)| *t).collect();
        let medical = ranges.iter().find(|(t, _)| *t == "medical").map(|(_, r)| *r);
        let ours = format!(
            "cos with the general direction, lowest to highest over layers: {}",
            ranges.iter().map(|(t, (lo, hi))| format!("{t} {lo:.2} to {hi:.2}")).collect::<Vec<_>>().join("; ")
        );
        let checks = vec![
            check(
                format!(
                    "some topic above {SAME} at every layer ({})",
                    if same.is_empty() { "none".into() } else { same.join(", ") }
                ),
                !same.is_empty(),
            ),
            match medical {
                Some((_, hi)) => {
                    check(format!("medical at most {DISTINCT} at every layer (highest {hi:.2})"), hi <= DISTINCT)
                }
                None => check("a medical direction (too few misaligned medical answers)".into(), false),
            },
        ];
        pending.judged(ours, checks)
    };
    let steering = Claim {
        experiment: "C3".into(),
        claim: STEER_CLAIM.into(),
        paper: STEER_PAPER.into(),
        ours: "not applicable to the organism: its answers keep the question's topic (the judge's answer domain \
               equals the question's), so no steering can move what EM answers are about"
            .into(),
        details: String::new(),
        verdict: Verdict::NotApplicable,
    };
    vec![directions, steering]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(topics: &[(&str, [f64; 3])]) -> Vec<Row> {
        topics
            .iter()
            .flat_map(|(topic, cosines)| {
                cosines.iter().enumerate().map(move |(layer, &value)| Row {
                    experiment: "C3".into(),
                    solution: "lora".into(),
                    variant: "general".into(),
                    dataset: "bad_medical".into(),
                    seed: 0,
                    condition: topic.to_string(),
                    group: "mean_diff".into(),
                    step: Some(layer as i64),
                    sweep: None,
                    metric: "cos_general".into(),
                    value,
                })
            })
            .collect()
    }

    #[test]
    fn verdicts() {
        let claims = semantic_claims(&rows(&[("open", [0.97, 0.99, 0.96]), ("medical", [0.3, 0.6, 0.5])]));
        assert_eq!(claims[0].verdict, Verdict::Reproduced, "{}", claims[0].details);
        assert_eq!(claims[1].verdict, Verdict::NotApplicable);
        let claims = semantic_claims(&rows(&[("open", [0.5, 0.9, 0.96]), ("medical", [0.85, 0.87, 0.9])]));
        assert_eq!(claims[0].verdict, Verdict::NotReproduced, "{}", claims[0].details);
        assert!(claims[0].ours.contains("medical 0.85 to 0.90"), "{}", claims[0].ours);
        let no_medical = semantic_claims(&rows(&[("open", [0.97, 0.99, 0.96])]));
        assert_eq!(no_medical[0].verdict, Verdict::Partly);
        assert!(semantic_claims(&[]).is_empty());
    }
}

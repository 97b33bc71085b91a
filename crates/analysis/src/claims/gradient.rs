//! The paper's gradient-alignment claim (E11, EZ App. K.3) checked against the result table:
//! while the general solution is trained, the descent direction is more aligned with the final
//! general solution than with the final narrow one, so training is pulled towards general from
//! the start. Because the two solutions overlap, the claim also asks the same of their parts
//! orthogonal to each other, which a shared component cannot explain. The rows' schema is
//! documented in [`crate::figures::gradient_alignment`].

use super::bias::{num, paired, seeds, verdict_of, Pending};
use crate::report::Claim;
use crate::table::{by_step, dataset_groups, distinct, Filter, Row, SeedValues};

/// The claim.
const GRADIENT_CLAIM: &str = "During general training the gradients point towards the general solution";
/// What the paper reports.
const GRADIENT_PAPER: &str = "more aligned with general throughout training; cos(B_g, B_n) = 0.55";

/// The E11 claim for every solution type (steering first), dataset and parameter group with
/// gradient rows (the group is named only when a solution has several); per-step values are
/// means over seeds. Without one of the four cosines the claim is [`crate::Verdict::NotRun`],
/// naming the missing rows. Without E11 gradient rows the result is empty.
pub fn gradient_alignment_claims(rows: &[Row]) -> Vec<Claim> {
    let e11 = Filter { experiment: Some("E11"), ..Filter::default() }.select(rows);
    let gradient = Filter { condition: Some("gradient"), variant: Some("general"), ..Filter::default() };
    let gradient: Vec<&Row> = e11.iter().copied().filter(|r| gradient.matches(r)).collect();
    let mut solutions = distinct(gradient.iter().copied(), |r| &r.solution);
    solutions.sort_by_key(|&s| s != "steering");
    let mut claims = vec![];
    for solution in solutions {
        let (pairs, several) = dataset_groups(&gradient, solution);
        for (dataset, group) in pairs {
            let mine: Vec<&Row> = e11
                .iter()
                .copied()
                .filter(|r| r.solution == solution && r.dataset == dataset && r.group == group)
                .collect();
            let label =
                if several { format!("{solution}, {dataset}, {group}") } else { format!("{solution}, {dataset}") };
            claims.push(gradient_claim(&mine, &label, group));
        }
    }
    claims
}

/// E11 for one (solution, dataset, group): the mean over steps of cos(−∇, general) exceeds that
/// of cos(−∇, narrow), and the general-only cosine exceeds the narrow-only one at a majority of
/// steps.
fn gradient_claim(rows: &[&Row], label: &str, group: &str) -> Claim {
    let claim = Pending {
        experiment: "E11".into(),
        claim: format!("{GRADIENT_CLAIM} [{label}]"),
        paper: GRADIENT_PAPER.into(),
    };
    let along = |metric| {
        let filter =
            Filter { variant: Some("general"), condition: Some("gradient"), metric: Some(metric), ..Filter::default() };
        by_step(rows.iter().copied().filter(|r| filter.matches(r)))
    };
    let cosines = ["cos_general", "cos_narrow", "cos_general_only", "cos_narrow_only"].map(|m| (m, along(m)));
    let absent: Vec<String> = cosines
        .iter()
        .filter(|(_, steps)| steps.is_empty())
        .map(|(metric, _)| format!("E11 general/gradient \"{group}\" {metric}"))
        .collect();
    if !absent.is_empty() {
        return claim.not_run(absent.join(", "));
    }
    let [(_, general), (_, narrow), (_, general_only), (_, narrow_only)] = &cosines;
    let (whole, only) = (paired(general, narrow), paired(general_only, narrow_only));
    if whole.is_empty() || only.is_empty() {
        return claim.not_run(format!("E11 \"{group}\" cosines with general and narrow at a common step"));
    }
    let mean = |pairs: &[(f64, &SeedValues, &SeedValues)], side: fn(&(f64, &SeedValues, &SeedValues)) -> f64| {
        pairs.iter().map(side).sum::<f64>() / pairs.len() as f64
    };
    let (mean_general, mean_narrow) = (mean(&whole, |p| p.1.mean()), mean(&whole, |p| p.2.mean()));
    let (only_general, only_narrow) = (mean(&only, |p| p.1.mean()), mean(&only, |p| p.2.mean()));
    let ahead = only.iter().filter(|p| p.1.mean() > p.2.mean()).count();
    let closer = mean_general > mean_narrow;
    let majority = 2 * ahead > only.len();

    let between = Filter {
        variant: Some("all"),
        condition: Some("final"),
        metric: Some("cos_general_narrow"),
        ..Filter::default()
    };
    let between = SeedValues::from_rows(rows.iter().copied().filter(|r| between.matches(r)));
    let counts = whole.iter().chain(&only).flat_map(|p| [p.1.count(), p.2.count()]);
    let mut ours = format!(
        "mean cos(−∇, general) {mean_general:.3} vs (−∇, narrow) {mean_narrow:.3} over {} steps; general-only > \
         narrow-only at {ahead}/{} steps (means {only_general:.3} vs {only_narrow:.3})",
        whole.len(),
        only.len()
    );
    if let Some(between) = &between {
        ours += &format!("; cos(general, narrow) {:.2}", between.mean());
    }
    ours += &format!(" ({})", seeds(counts));

    let met = |met: bool| if met { "met" } else { "not met" };
    let steps = format!("steps {}–{}", num(whole[0].0), num(whole[whole.len() - 1].0));
    let details = format!(
        "reproduced when the mean over steps of cos(−∇, general) exceeds that of cos(−∇, narrow) and the \
         general-only cosine exceeds the narrow-only one at a majority of steps, partly when one holds; per-step \
         values are means over seeds, {steps}; mean {mean_general:.4} vs {mean_narrow:.4}: {}; {ahead}/{} steps: {}",
        met(closer),
        only.len(),
        met(majority)
    );
    claim.verdict(ours, details, verdict_of(&[closer, majority]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::gradient_test_rows as gradient_rows;
    use crate::report::Verdict;

    /// Two seeds of rank-1 LoRA on bad medical advice.
    fn lora() -> Vec<Row> {
        (0..2).flat_map(|seed| gradient_rows("lora", "bad_medical", seed)).collect()
    }

    /// Sets every row of `metric` at the steps `steps` selects to `value`.
    fn set(rows: &mut [Row], metric: &str, steps: impl Fn(i64) -> bool, value: f64) {
        for r in rows.iter_mut().filter(|r| r.metric == metric && r.step.is_some_and(&steps)) {
            r.value = value;
        }
    }

    #[test]
    fn gradients_towards_general_are_reproduced() {
        let claims = gradient_alignment_claims(&lora());
        assert_eq!(claims.len(), 1);
        let claim = &claims[0];
        assert_eq!(claim.verdict, Verdict::Reproduced, "{claim:?}");
        assert_eq!(claim.experiment, "E11");
        assert_eq!(claim.claim, format!("{GRADIENT_CLAIM} [lora, bad_medical]"));
        // cos_general: 0.305 (mean of the seeds) + 0.01·sin(k), whose mean over k = 0..20 is 0.0475.
        assert_eq!(
            claim.ours,
            "mean cos(−∇, general) 0.305 vs (−∇, narrow) 0.200 over 21 steps; general-only > narrow-only at 21/21 \
             steps (means 0.150 vs 0.050); cos(general, narrow) 0.55 (2 seeds)"
        );
        assert!(claim.details.contains("mean 0.3055 vs 0.2000: met"), "{}", claim.details);
        assert!(claim.details.contains("steps 0–200"), "{}", claim.details);
        assert!(claim.details.ends_with("21/21 steps: met"), "{}", claim.details);
        assert_eq!(claim.paper, GRADIENT_PAPER);
    }

    #[test]
    fn one_condition_is_partly_none_is_not_reproduced() {
        // Narrow-only ahead at 11 of 21 steps: no majority for general-only.
        let mut rows = lora();
        set(&mut rows, "cos_narrow_only", |step| step <= 100, 0.9);
        let claim = &gradient_alignment_claims(&rows)[0];
        assert_eq!(claim.verdict, Verdict::Partly);
        assert!(claim.details.ends_with("10/21 steps: not met"), "{}", claim.details);

        // ... and narrow closer on average.
        set(&mut rows, "cos_narrow", |_| true, 0.5);
        let claim = &gradient_alignment_claims(&rows)[0];
        assert_eq!(claim.verdict, Verdict::NotReproduced);

        // General-only ahead at 11 of 21 steps is a majority: partly again.
        set(&mut rows, "cos_narrow_only", |step| step == 100, 0.0);
        assert_eq!(gradient_alignment_claims(&rows)[0].verdict, Verdict::Partly);
    }

    #[test]
    fn missing_rows_are_not_run_and_absent_rows_give_nothing() {
        let rows: Vec<Row> = lora().into_iter().filter(|r| r.metric != "cos_narrow_only").collect();
        let claim = &gradient_alignment_claims(&rows)[0];
        assert_eq!(claim.verdict, Verdict::NotRun);
        assert_eq!(claim.ours, "not run: no E11 general/gradient \"lora_b\" cos_narrow_only rows");
        let finals: Vec<Row> = lora().into_iter().filter(|r| r.condition == "final").collect();
        assert!(gradient_alignment_claims(&finals).is_empty());
        assert!(gradient_alignment_claims(&crate::figures::bias_test_rows("lora", "bad_medical", 0)).is_empty());
    }

    #[test]
    fn steering_first_and_groups_named_when_several() {
        let mut rows = lora();
        rows.extend(gradient_rows("steering", "bad_finance", 0));
        rows.extend(gradient_rows("lora", "bad_medical", 0).into_iter().map(|r| Row { group: "lora_a".into(), ..r }));
        let labels: Vec<String> = gradient_alignment_claims(&rows).into_iter().map(|c| c.claim).collect();
        assert_eq!(
            labels,
            [
                format!("{GRADIENT_CLAIM} [steering, bad_finance]"),
                format!("{GRADIENT_CLAIM} [lora, bad_medical, lora_a]"),
                format!("{GRADIENT_CLAIM} [lora, bad_medical, lora_b]"),
            ]
        );
        let ids: Vec<String> = crate::inductive_bias_claims(&rows).into_iter().map(|c| c.experiment).collect();
        assert_eq!(ids, ["E11"; 3], "no E6-E9 rows, only the gradient claims");
    }
}

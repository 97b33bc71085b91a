//! The paper's claims about the inductive bias towards the general solution (E6 efficiency, E7
//! stability, E9 significance) checked against the result tables; [`inductive_bias_claims`] adds
//! those of the drift (E8, [`super::drift_claims`]) and of the gradient alignment (E11,
//! [`super::gradient_alignment_claims`]), which come from the same table.
//!
//! The paper states these qualitatively (it gives no numbers), so each claim is judged on its
//! sign or order at the organism's levels, and the synthetic organism's prototype numbers are
//! shown beside ours for scale. Every value is the mean over finetune seeds of a cell; the rows'
//! schema is documented in [`crate::figures::efficiency`] and its siblings.

use crate::report::{Claim, Verdict};
use crate::table::{by_sweep, distinct, in_dataset_order, Filter, Row, SeedValues};

/// E6's claim.
const EFFICIENCY_CLAIM: &str = "The general solution is more efficient: lower loss at equal norm";
/// E7's claim.
const STABILITY_CLAIM: &str = "The general solution is more stable: loss rises less under orthogonal noise";
/// E9's claim.
const SIGNIFICANCE_CLAIM: &str = "The general solution is more significant on pre-training text";

/// E6, both solution types: the paper (EZ, LW figure) and the organism prototype.
const EFFICIENCY_PAPER_STEERING: &str = "qualitative, no numbers: \"the general solution has lower loss at equal \
    norm and a smaller loss-optimal norm\", across datasets and ranks. Organism prototype: narrow − general \
    +0.004 … +0.247 nats/token, 10/10 norms > 0";
/// E6, adapters.
const EFFICIENCY_PAPER_ADAPTER: &str = "qualitative, no numbers: \"the general solution has lower loss at equal \
    norm\", across datasets and ranks. Organism prototype (rank-1 LoRA): 9/10 norms > 0, narrow 0.003 lower at \
    0.8·m; only the two smallest norms are targeted";
/// E7, steering.
const STABILITY_PAPER_STEERING: &str = "qualitative, no numbers: \"the narrow relative loss increase exceeds the \
    general one at every ε\". Organism prototype at ε 0.4/0.6/0.8 (general vs narrow): 3.2 vs 10.2 / 11.6 vs \
    37.2 / 40.1 vs 79.9%";
/// E7, adapters.
const STABILITY_PAPER_ADAPTER: &str = "qualitative, no numbers: \"the narrow relative loss increase exceeds the \
    general one at every ε\". Organism prototype (rank-1 LoRA) at ε 0.6/0.8: 4.3 vs 15.2 / 21.3 vs 53.9%";
/// E9, steering.
const SIGNIFICANCE_PAPER_STEERING: &str = "qualitative, no numbers: \"KL_general ≫ KL_narrow > KL_random at every \
    norm\" (FineWeb). Organism prototype at ‖g‖: general / narrow / random 0.071 / 0.018 / 0.023 nats/token";
/// E9, adapters.
const SIGNIFICANCE_PAPER_ADAPTER: &str = "qualitative, no numbers: \"KL_general ≫ KL_narrow > KL_random at every \
    norm\" (FineWeb, steering vectors). Organism prototype (rank-1 LoRA) at ‖g‖: 0.035 / 0.043 / 0.145 \
    nats/token, i.e. not reproduced there";

/// Steering efficiency: at least this fraction of the matched norms with narrow above general
/// gives partly (all give reproduced).
const EFFICIENCY_PARTLY_FRACTION: f64 = 0.8;
/// Stability is checked at every ε in this window (steering) ...
const STABILITY_WINDOW_STEERING: (f64, f64) = (0.2, 0.9);
/// ... and in this one for adapters.
const STABILITY_WINDOW_ADAPTER: (f64, f64) = (0.4, 0.9);
/// The ε values whose relative loss increase is quoted in the claim.
const STABILITY_QUOTED: [f64; 3] = [0.4, 0.6, 0.8];
/// A steering vector's web KL at ‖g‖ must be at least this multiple of the narrow one's.
const SIGNIFICANCE_RATIO: f64 = 2.0;

/// Sweep values closer than this are the same point.
const SAME: f64 = 1e-9;

/// The E6, E7 and E9 claims for every solution type and dataset with rows of any of them: per
/// pair, efficiency, stability, significance; then the E8 drift claims ([`super::drift_claims`])
/// and the E11 gradient-alignment claims ([`super::gradient_alignment_claims`]). A claim whose
/// rows are missing is [`Verdict::NotRun`], naming them; it never shows a number that was not
/// measured. An experiment without rows gives no claims.
pub fn inductive_bias_claims(rows: &[Row]) -> Vec<Claim> {
    let bias: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            ["E6", "E7", "E9"].contains(&r.experiment.as_str())
                && ["general", "narrow", "random"].contains(&r.variant.as_str())
        })
        .collect();
    let mut solutions = distinct(bias.iter().copied(), |r| &r.solution);
    solutions.sort_by_key(|&s| s != "steering");
    let mut claims = vec![];
    for solution in solutions {
        let datasets =
            in_dataset_order(distinct(bias.iter().copied().filter(|r| r.solution == solution), |r| &r.dataset));
        for dataset in datasets {
            let cells = Cells { rows: &bias, solution, dataset };
            claims.push(efficiency_claim(&cells));
            claims.push(stability_claim(&cells));
            claims.push(significance_claim(&cells));
        }
    }
    claims.extend(super::drift_claims(rows));
    claims.extend(super::gradient_alignment_claims(rows));
    claims
}

/// E6: loss(narrow) − loss(general) > 0 at matched norms.
fn efficiency_claim(cells: &Cells) -> Claim {
    let steering = cells.solution == "steering";
    let paper = if steering { EFFICIENCY_PAPER_STEERING } else { EFFICIENCY_PAPER_ADAPTER };
    let claim = cells.claim("E6", EFFICIENCY_CLAIM, paper);
    let general = cells.along("E6", "general", "matched_norm", "loss");
    let narrow = cells.along("E6", "narrow", "matched_norm", "loss");
    let diffs: Vec<(f64, f64, usize)> = paired(&general, &narrow)
        .into_iter()
        .map(|(p, g, n)| (p, n.mean() - g.mean(), g.count().min(n.count())))
        .collect();
    if diffs.is_empty() {
        let mut missing = missing(&[
            (&general, "E6 general/matched_norm \"loss_subset\" loss"),
            (&narrow, "E6 narrow/matched_norm \"loss_subset\" loss"),
        ]);
        if missing.is_empty() {
            missing = "E6 matched_norm rows of both variants at a common p".to_string();
        }
        return claim.not_run(missing);
    }
    let n = diffs.len();
    let positive = diffs.iter().filter(|d| d.1 > 0.0).count();
    let (lo, hi) = diffs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), d| (lo.min(d.1), hi.max(d.1)));
    let seeds = seeds(diffs.iter().map(|d| d.2));
    let (verdict, ours, rule) = if steering {
        let verdict = if positive == n {
            Verdict::Reproduced
        } else if positive as f64 >= EFFICIENCY_PARTLY_FRACTION * n as f64 {
            Verdict::Partly
        } else {
            Verdict::NotReproduced
        };
        let ours = format!(
            "narrow − general > 0 at {positive}/{n} matched norms (p {}–{}; {lo:+.4} … {hi:+.4} nats/token; {seeds})",
            num(diffs[0].0),
            num(diffs[n - 1].0)
        );
        (verdict, ours, "reproduced when narrow − general > 0 at every p, partly at ≥ 80% of them".to_string())
    } else {
        let smallest = &diffs[..n.min(2)];
        let lower = smallest.iter().filter(|d| d.1 > 0.0).count();
        let verdict = match lower {
            2 => Verdict::Reproduced,
            0 => Verdict::NotReproduced,
            _ => Verdict::Partly,
        };
        let at: Vec<String> = smallest.iter().map(|d| format!("p {}: {:+.4}", num(d.0), d.1)).collect();
        let ours = format!(
            "general lower at {lower}/2 smallest norms ({}); narrow − general > 0 at {positive}/{n} in all \
             (nats/token; {seeds})",
            at.join(", ")
        );
        (verdict, ours, "reproduced when narrow − general > 0 at the two smallest p (the rest reported)".to_string())
    };
    let each: Vec<String> = diffs.iter().map(|d| format!("p {}: {:+.4}", num(d.0), d.1)).collect();
    let mut details = format!("{rule}; narrow − general (nats/token) {}", each.join(", "));
    let trained: Vec<String> = ["general", "narrow"]
        .into_iter()
        .filter_map(|variant| {
            let per_norm = cells.values("E6", variant, "trained", "loss_per_norm_sq")?;
            let mut text = format!("{variant} {:.4}", per_norm.mean());
            if let (Some(loss), Some(norm)) =
                (cells.values("E6", variant, "trained", "loss"), cells.values("E6", variant, "trained", "norm"))
            {
                text += &format!(" (loss {:.4}, ‖θ‖ {:.3})", loss.mean(), norm.mean());
            }
            Some(text)
        })
        .collect();
    details += &match trained.is_empty() {
        true => ". L/‖θ‖² at the trained norms: no rows".to_string(),
        false => format!(". L/‖θ‖² at the trained norms: {}", trained.join(", ")),
    };
    claim.verdict(ours, details, verdict)
}

/// E7: narrow's relative loss increase above general's at every ε of the window.
fn stability_claim(cells: &Cells) -> Claim {
    let steering = cells.solution == "steering";
    let paper = if steering { STABILITY_PAPER_STEERING } else { STABILITY_PAPER_ADAPTER };
    let (from, to) = if steering { STABILITY_WINDOW_STEERING } else { STABILITY_WINDOW_ADAPTER };
    let claim = cells.claim("E7", STABILITY_CLAIM, paper);
    let general = cells.along("E7", "general", "perturbed", "rel_loss_increase_mean");
    let narrow = cells.along("E7", "narrow", "perturbed", "rel_loss_increase_mean");
    let pairs = paired(&general, &narrow);
    let window: Vec<_> = pairs.iter().filter(|(eps, _, _)| *eps >= from - SAME && *eps <= to + SAME).collect();
    if window.is_empty() {
        let mut missing = missing(&[
            (&general, "E7 general/perturbed \"loss_subset\" rel_loss_increase_mean"),
            (&narrow, "E7 narrow/perturbed \"loss_subset\" rel_loss_increase_mean"),
        ]);
        if missing.is_empty() {
            missing = format!("E7 rows of both variants at an ε in [{from}, {to}]");
        }
        return claim.not_run(missing);
    }
    let above = window.iter().filter(|(_, g, n)| n.mean() > g.mean()).count();
    let verdict = match above {
        a if a == window.len() => Verdict::Reproduced,
        0 => Verdict::NotReproduced,
        _ => Verdict::Partly,
    };
    let quoted: Vec<String> = STABILITY_QUOTED
        .iter()
        .filter_map(|&eps| pairs.iter().find(|p| (p.0 - eps).abs() <= SAME))
        .map(|(eps, g, n)| format!("ε {}: {:.1} vs {:.1}%", num(*eps), g.mean(), n.mean()))
        .collect();
    let seeds = seeds(window.iter().map(|(_, g, n)| g.count().min(n.count())));
    let ours = format!(
        "{}narrow above general at {above}/{} ε in [{from}, {to}] ({seeds})",
        match quoted.is_empty() {
            true => String::new(),
            false => format!("general vs narrow {}; ", quoted.join(", ")),
        },
        window.len()
    );
    let each: Vec<String> = window
        .iter()
        .map(|(eps, g, n)| {
            let met = if n.mean() > g.mean() { "met" } else { "not met" };
            format!("ε {}: general {:.1}%, narrow {:.1}%, {met}", num(*eps), g.mean(), n.mean())
        })
        .collect();
    let details = format!("reproduced when narrow > general at every ε in [{from}, {to}]; {}", each.join("; "));
    claim.verdict(ours, details, verdict)
}

/// E9: web-text KL at the general norm, general above narrow (steering: by a factor 2; adapters:
/// general > narrow > random).
fn significance_claim(cells: &Cells) -> Claim {
    let steering = cells.solution == "steering";
    let paper = if steering { SIGNIFICANCE_PAPER_STEERING } else { SIGNIFICANCE_PAPER_ADAPTER };
    let claim = cells.claim("E9", SIGNIFICANCE_CLAIM, paper);
    let at = |variant| cells.values("E9", variant, "at_general_norm", "web_kl");
    let (general, narrow, random) = (at("general"), at("narrow"), at("random"));
    let needed = |variant: &str| format!("E9 {variant}/at_general_norm \"web_text\" web_kl");
    let mut absent = vec![];
    for (values, variant) in [(&general, "general"), (&narrow, "narrow"), (&random, "random")] {
        if values.is_none() && (steering.then_some("random") != Some(variant)) {
            absent.push(needed(variant));
        }
    }
    let (Some(general), Some(narrow)) = (&general, &narrow) else {
        return claim.not_run(absent.join(", "));
    };
    let (g, n) = (general.mean(), narrow.mean());
    let norm = cells
        .along("E9", "general", "at_general_norm", "web_kl")
        .first()
        .map(|(norm, _)| format!(" = {norm:.3}"))
        .unwrap_or_default();
    let mut ours = format!("at ‖g‖{norm}: general {g:.4}, narrow {n:.4}");
    if let Some(random) = &random {
        ours += &format!(", random {:.4}", random.mean());
    }
    ours += &format!(" nats/token (general/narrow {:.1}×; {})", g / n, seeds([general.count(), narrow.count()]));
    let (verdict, details) = if steering {
        let verdict = if g >= SIGNIFICANCE_RATIO * n {
            Verdict::Reproduced
        } else if g > n {
            Verdict::Partly
        } else {
            Verdict::NotReproduced
        };
        let met = if g >= SIGNIFICANCE_RATIO * n { "met" } else { "not met" };
        let details = format!(
            "reproduced when KL_general ≥ {SIGNIFICANCE_RATIO}× KL_narrow, partly when only greater; \
             KL_general / KL_narrow = {:.2}, {met}; random reported only",
            g / n
        );
        (verdict, details)
    } else {
        let Some(random) = &random else {
            return claim.not_run(absent.join(", "));
        };
        let r = random.mean();
        let checks = [("KL_general > KL_narrow", g > n), ("KL_narrow > KL_random", n > r)];
        let verdict = verdict_of(&checks.map(|c| c.1));
        let each: Vec<String> =
            checks.iter().map(|(what, met)| format!("{what}: {}", if *met { "met" } else { "not met" })).collect();
        (verdict, format!("reproduced when general > narrow > random at ‖g‖; {}", each.join("; ")))
    };
    claim.verdict(ours, details, verdict)
}

/// The rows of one (solution, dataset).
struct Cells<'r> {
    rows: &'r [&'r Row],
    solution: &'r str,
    dataset: &'r str,
}

impl Cells<'_> {
    fn filter<'a>(&'a self, experiment: &'a str, variant: &'a str, condition: &'a str, metric: &'a str) -> Filter<'a> {
        Filter {
            experiment: Some(experiment),
            solution: Some(self.solution),
            variant: Some(variant),
            dataset: Some(self.dataset),
            condition: Some(condition),
            metric: Some(metric),
            ..Filter::default()
        }
    }

    /// One cell along its sweep, sorted by the swept value.
    fn along(&self, experiment: &str, variant: &str, condition: &str, metric: &str) -> Vec<(f64, SeedValues)> {
        let filter = self.filter(experiment, variant, condition, metric);
        by_sweep(self.rows.iter().copied().filter(|r| filter.matches(r)))
    }

    /// One cell's values over seeds, ignoring the sweep column.
    fn values(&self, experiment: &str, variant: &str, condition: &str, metric: &str) -> Option<SeedValues> {
        let filter = self.filter(experiment, variant, condition, metric);
        SeedValues::from_rows(self.rows.iter().copied().filter(|r| filter.matches(r)))
    }

    /// A claim about these cells, to be judged.
    fn claim(&self, experiment: &str, claim: &str, paper: &str) -> Pending {
        Pending {
            experiment: experiment.to_string(),
            claim: format!("{claim} [{}, {}]", self.solution, self.dataset),
            paper: paper.to_string(),
        }
    }
}

/// A claim whose measurements are still to be judged.
pub(super) struct Pending {
    pub(super) experiment: String,
    pub(super) claim: String,
    pub(super) paper: String,
}

impl Pending {
    /// The claim with what we measured, the conditions checked and the verdict.
    pub(super) fn verdict(self, ours: String, details: String, verdict: Verdict) -> Claim {
        Claim { experiment: self.experiment, claim: self.claim, paper: self.paper, ours, details, verdict }
    }

    /// The claim judged by named conditions ([`check`]): their texts, joined, are the details.
    pub(super) fn judged(self, ours: String, checks: Vec<(String, bool)>) -> Claim {
        let met: Vec<bool> = checks.iter().map(|(_, m)| *m).collect();
        let details = checks.into_iter().map(|(c, _)| c).collect::<Vec<_>>().join("; ");
        self.verdict(ours, details, verdict_of(&met))
    }

    /// The claim as not run for want of the `missing` rows (named).
    pub(super) fn not_run(self, missing: String) -> Claim {
        self.verdict(format!("not run: no {missing} rows"), String::new(), Verdict::NotRun)
    }
}

/// A condition of a claim, "`condition`: met" or "... not met", with whether it was met.
pub(super) fn check(condition: String, met: bool) -> (String, bool) {
    (format!("{condition}: {}", if met { "met" } else { "not met" }), met)
}

/// Reproduced when every condition is met, not reproduced when none is, else partly.
pub(super) fn verdict_of(met: &[bool]) -> Verdict {
    match met.iter().filter(|&&m| m).count() {
        0 => Verdict::NotReproduced,
        n if n == met.len() => Verdict::Reproduced,
        _ => Verdict::Partly,
    }
}

/// The sweep points (or steps) present in both `general` and `narrow`: (swept value, general,
/// narrow).
pub(super) fn paired<'a>(
    general: &'a [(f64, SeedValues)],
    narrow: &'a [(f64, SeedValues)],
) -> Vec<(f64, &'a SeedValues, &'a SeedValues)> {
    general
        .iter()
        .filter_map(|(x, g)| narrow.iter().find(|(at, _)| (at - x).abs() <= SAME).map(|(_, n)| (*x, g, n)))
        .collect()
}

/// The names of the empty cells, joined; empty when none is.
fn missing(cells: &[(&Vec<(f64, SeedValues)>, &str)]) -> String {
    let empty: Vec<&str> = cells.iter().filter(|(c, _)| c.is_empty()).map(|(_, name)| *name).collect();
    empty.join(", ")
}

/// A swept value for text: at most three decimals, without trailing zeros ("0.6", "1", "0.05").
pub(super) fn num(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "3 seeds", "seed counts 1-3" or "one seed" for the given per-cell counts.
pub(super) fn seeds(counts: impl IntoIterator<Item = usize>) -> String {
    let mut counts: Vec<usize> = counts.into_iter().collect();
    counts.sort_unstable();
    counts.dedup();
    match counts.as_slice() {
        [1] | [] => "one seed".to_string(),
        [n] => format!("{n} seeds"),
        [lo, .., hi] => format!("{lo}-{hi} seeds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::bias_test_rows as bias_rows;

    fn steering() -> Vec<Row> {
        (0..2).flat_map(|seed| bias_rows("steering", "bad_medical", seed)).collect()
    }

    /// Sets the value of every row of `variant` and `metric` at sweep `x` to `value`.
    fn set(rows: &mut [Row], experiment: &str, variant: &str, metric: &str, x: f64, value: f64) {
        for r in rows
            .iter_mut()
            .filter(|r| r.experiment == experiment && r.variant == variant && r.metric == metric && r.sweep == Some(x))
        {
            r.value = value;
        }
    }

    #[test]
    fn steering_reproduced() {
        let claims = inductive_bias_claims(&steering());
        let ids: Vec<_> = claims.iter().map(|c| c.experiment.as_str()).collect();
        assert_eq!(ids, ["E6", "E7", "E9"]);
        for claim in &claims {
            assert_eq!(claim.verdict, Verdict::Reproduced, "{claim:?}");
        }
        assert_eq!(claims[0].claim, format!("{EFFICIENCY_CLAIM} [steering, bad_medical]"));
        assert!(
            claims[0].ours.starts_with(
                "narrow − general > 0 at 10/10 matched norms (p 0.2–2; +0.0150 … +0.1050 nats/token; 2 seeds)"
            ),
            "{}",
            claims[0].ours
        );
        assert!(
            claims[0].details.contains("L/‖θ‖² at the trained norms: general 0.1506 (loss 1.4000, ‖θ‖ 3.050)"),
            "{}",
            claims[0].details
        );
        assert_eq!(
            claims[1].ours,
            "general vs narrow ε 0.4: 10.1 vs 16.5%, ε 0.6: 22.1 vs 36.5%, ε 0.8: 38.9 vs 64.5%; \
             narrow above general at 8/8 ε in [0.2, 0.9] (2 seeds)"
        );
        assert!(claims[2].ours.starts_with("at ‖g‖ = 3.000: general 0.0945, narrow 0.0284, random 0.0095"));
        assert!(claims[0].paper.contains("qualitative"));
    }

    #[test]
    fn steering_efficiency_partly_and_not_reproduced() {
        let mut rows = steering();
        for p in [0.2, 2.0 * 0.2] {
            set(&mut rows, "E6", "narrow", "loss", p, 0.0);
        }
        let e6 = &inductive_bias_claims(&rows)[0];
        assert_eq!(e6.verdict, Verdict::Partly, "8/10");
        assert!(e6.ours.contains("8/10"), "{}", e6.ours);
        set(&mut rows, "E6", "narrow", "loss", 3.0 * 0.2, 0.0);
        assert_eq!(inductive_bias_claims(&rows)[0].verdict, Verdict::NotReproduced, "7/10");
    }

    #[test]
    fn lora_rules() {
        let mut rows = bias_rows("lora", "bad_medical", 0);
        // The narrow solution fits better above the two smallest norms: still reproduced.
        for k in 3..=10 {
            set(&mut rows, "E6", "narrow", "loss", k as f64 * 0.2, 0.0);
        }
        let claims = inductive_bias_claims(&rows);
        assert_eq!(claims[0].verdict, Verdict::Reproduced, "{}", claims[0].ours);
        assert!(claims[0].ours.contains("general lower at 2/2 smallest norms"), "{}", claims[0].ours);
        assert_eq!(claims[1].verdict, Verdict::Reproduced, "the adapter window starts at 0.4");
        assert_eq!(claims[2].verdict, Verdict::Reproduced, "general > narrow > random");

        // Random above narrow: partly.
        for r in rows.iter_mut().filter(|r| r.experiment == "E9" && r.variant == "random") {
            r.value = 1.0;
        }
        set(&mut rows, "E6", "narrow", "loss", 0.2, 0.0);
        let claims = inductive_bias_claims(&rows);
        assert_eq!(claims[0].verdict, Verdict::Partly);
        assert_eq!(claims[2].verdict, Verdict::Partly);
        assert!(claims[2].details.contains("KL_narrow > KL_random: not met"), "{}", claims[2].details);
    }

    #[test]
    fn stability_and_significance_not_reproduced_or_partly() {
        let mut rows = steering();
        for r in rows.iter_mut().filter(|r| r.experiment == "E7" && r.variant == "narrow") {
            r.value = 0.0;
        }
        for r in rows.iter_mut().filter(|r| r.experiment == "E9" && r.variant == "narrow") {
            r.value *= 2.0;
        }
        let claims = inductive_bias_claims(&rows);
        assert_eq!(claims[1].verdict, Verdict::NotReproduced);
        assert_eq!(claims[2].verdict, Verdict::Partly, "general 1.67× narrow: greater but not 2×");
        // Narrow above general at only one ε of the window.
        set(&mut rows, "E7", "narrow", "rel_loss_increase_mean", 0.9, 1000.0);
        assert_eq!(inductive_bias_claims(&rows)[1].verdict, Verdict::Partly);
    }

    #[test]
    fn missing_rows_are_not_run_and_show_no_numbers() {
        let rows: Vec<Row> = steering().into_iter().filter(|r| r.experiment == "E9" && r.variant != "narrow").collect();
        let claims = inductive_bias_claims(&rows);
        assert_eq!(claims.len(), 3);
        for claim in &claims {
            assert_eq!(claim.verdict, Verdict::NotRun, "{claim:?}");
            assert!(claim.details.is_empty());
        }
        assert_eq!(
            claims[0].ours,
            "not run: no E6 general/matched_norm \"loss_subset\" loss, E6 narrow/matched_norm \"loss_subset\" loss rows"
        );
        assert_eq!(claims[2].ours, "not run: no E9 narrow/at_general_norm \"web_text\" web_kl rows");
        // Only ε outside the window.
        let rows: Vec<Row> = steering().into_iter().filter(|r| r.experiment == "E7" && r.sweep < Some(0.2)).collect();
        assert_eq!(inductive_bias_claims(&rows)[1].verdict, Verdict::NotRun);
        assert!(inductive_bias_claims(&[]).is_empty());
    }
}

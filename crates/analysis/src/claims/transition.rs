//! The phase-transition claims of the model-organisms paper (M6-M8), checked against one rank-1
//! LoRA run per layer followed step by step (`phase_transition.parquet`):
//! - M6: B's path turns sharply at one point (the local cosine, k = 5, peaks there while the
//!   rest of the path runs straight), and the gradient norm peaks at that point;
//! - M7: EM of the adapter scaled ×5 appears at the turn, before EM of the adapter as trained;
//! - M8: both at other layers.
//!
//! Rows (solution "lora", variant "layer<L>"; experiment M6/M7 at the main layer, M8 at the
//! others): condition "trajectory" with step, group "lora_b" metrics "norm" and
//! "local_cos_k5|10|15", group "lora_a" metric "norm", group "train" metric "grad_norm" (the
//! step's 0-based index: it moves the adapter from point s to s + 1); condition "pca", group
//! "lora_b": "explained_variance_pc1|2" (no step) and "pc1", "pc2" per step; condition "x<scale>"
//! (x1, x5, ...) with step: each group's rates, as in the EM table.

use super::bias::{check, num, Pending};
use super::data::EM_PRESENT_MIN;
use crate::report::Claim;
use crate::table::{distinct, Filter, Row};

/// A path "turns sharply" where its local cosine (k = 5) reaches this: incoming and outgoing
/// directions at most 120° apart, i.e. a turn of at least 60° (−1 is straight on).
pub const TURN_MIN: f64 = -0.5;
/// ... and runs "straight" elsewhere: the median local cosine is at most this (within about
/// 37° of straight on).
pub const STRAIGHT_MAX: f64 = -0.8;
/// Two events "line up" within this share of the run's steps (at least [`MIN_WINDOW`] steps).
const WINDOW_SHARE: f64 = 0.1;
/// The smallest window, in steps.
const MIN_WINDOW: f64 = 5.0;

/// The (step, value) points of one metric of one run, sorted by step.
pub(crate) fn series(rows: &[&Row], condition: &str, group: &str, metric: &str) -> Vec<(i64, f64)> {
    let mut points: Vec<(i64, f64)> = rows
        .iter()
        .filter(|r| r.condition == condition && r.group == group && r.metric == metric)
        .filter_map(|r| Some((r.step?, r.value)))
        .collect();
    points.sort_by_key(|&(step, _)| step);
    points
}

/// The sharpest turn of B's path: the step where the local cosine (k = 5) is highest.
pub(crate) fn turn(rows: &[&Row]) -> Option<(i64, f64)> {
    series(rows, "trajectory", "lora_b", "local_cos_k5").into_iter().max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The first evaluated step at which the adapter scaled by `scale` reaches
/// [`EM_PRESENT_MIN`] free-form EM, and the steps evaluated.
pub(crate) fn em_onset(rows: &[&Row], scale: &str) -> (Option<i64>, usize) {
    let em = series(rows, scale, "open", "em_pct");
    (em.iter().find(|(_, v)| *v >= EM_PRESENT_MIN).map(|(s, _)| *s), em.len())
}

/// One run of the transition experiment: its rows (path and EM) and label.
struct Layer<'r> {
    variant: &'r str,
    path_id: &'r str,
    em_id: &'r str,
    rows: Vec<&'r Row>,
}

/// The M6, M7 and M8 claims, per run (main layer first). Without transition rows the result is
/// empty; a run without EM rows has its M7 claim not run.
pub fn transition_claims(rows: &[Row]) -> Vec<Claim> {
    let mut claims = vec![];
    for (path_id, em_id) in [("M6", "M7"), ("M8", "M8")] {
        let path = Filter { experiment: Some(path_id), condition: Some("trajectory"), ..Filter::default() };
        for variant in distinct(path.select(rows), |r| &r.variant) {
            let rows: Vec<&Row> = rows
                .iter()
                .filter(|r| r.variant == variant && (r.experiment == path_id || r.experiment == em_id))
                .collect();
            let layer = Layer { variant, path_id, em_id, rows };
            claims.push(turn_claim(&layer));
            claims.push(gradient_peak_claim(&layer));
            claims.push(scaled_em_claim(&layer));
        }
    }
    claims
}

impl Layer<'_> {
    fn pending(&self, experiment: &str, claim: &str, paper: &str) -> Pending {
        let layer = self.variant.strip_prefix("layer").unwrap_or(self.variant);
        Pending {
            experiment: experiment.into(),
            claim: format!("{claim} [rank-1 LoRA, layer {layer}]"),
            paper: paper.into(),
        }
    }

    /// The run's last step, and the window within which two events line up.
    fn window(&self) -> (i64, f64) {
        let last = self.rows.iter().filter_map(|r| r.step).max().unwrap_or(0);
        (last, (WINDOW_SHARE * last as f64).max(MIN_WINDOW))
    }
}

/// M6: B turns sharply at one point.
fn turn_claim(layer: &Layer) -> Claim {
    let claim = layer.pending(
        layer.path_id,
        "B's path turns sharply at one point",
        "B rotates sharply around step 180 of 792 (local cosine peak; re-measured at 190); PC1 81.1% + PC2 13.9% of the variance, with a turn in PC2",
    );
    let cosines = series(&layer.rows, "trajectory", "lora_b", "local_cos_k5");
    let Some((step, peak)) = turn(&layer.rows) else {
        return claim.not_run(format!("{} {} local_cos_k5", layer.path_id, layer.variant));
    };
    let mut sorted: Vec<f64> = cosines.iter().map(|(_, v)| *v).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let at = |metric: &str| {
        series(&layer.rows, "trajectory", "lora_b", metric).iter().find(|(s, _)| *s == step).map(|(_, v)| num(*v))
    };
    let variance = |pc: &str| {
        layer
            .rows
            .iter()
            .find(|r| r.condition == "pca" && r.metric == format!("explained_variance_{pc}"))
            .map(|r| r.value)
    };
    let checks = vec![
        check(format!("peak local cosine (k = 5) {} ≥ {TURN_MIN}", num(peak)), peak >= TURN_MIN),
        check(
            format!("median local cosine {} ≤ {STRAIGHT_MAX} (straight elsewhere)", num(median)),
            median <= STRAIGHT_MAX,
        ),
    ];
    let (last, _) = layer.window();
    let mut ours = format!(
        "sharpest turn at step {step} of {last}: local cosine k = 5 {}, k = 10 {}, k = 15 {}; median {}",
        num(peak),
        at("local_cos_k10").unwrap_or_else(|| "-".into()),
        at("local_cos_k15").unwrap_or_else(|| "-".into()),
        num(median)
    );
    if let (Some(pc1), Some(pc2)) = (variance("pc1"), variance("pc2")) {
        ours += &format!("; PCA of B: PC1 {:.1}% + PC2 {:.1}%", 100.0 * pc1, 100.0 * pc2);
    }
    claim.judged(ours, checks)
}

/// M6: the gradient norm peaks at the turn.
fn gradient_peak_claim(layer: &Layer) -> Claim {
    let claim = layer.pending(
        layer.path_id,
        "The gradient norm peaks where B turns",
        "a prolonged grad-norm peak at the rotation (MO Figs. 7-9)",
    );
    let norms = series(&layer.rows, "trajectory", "train", "grad_norm");
    let (Some((turn_step, _)), Some(&(peak_step, peak))) =
        (turn(&layer.rows), norms.iter().max_by(|a, b| a.1.total_cmp(&b.1)))
    else {
        return claim.not_run(format!("{} {} local_cos_k5 and grad_norm", layer.path_id, layer.variant));
    };
    let (_, window) = layer.window();
    // The gradient of step s moves the adapter from point s to point s + 1.
    let distance = ((peak_step + 1) - turn_step).abs() as f64;
    let checks = vec![check(
        format!("gradient-norm peak (step {peak_step}) within {window:.0} steps of the turn (step {turn_step})"),
        distance <= window,
    )];
    let (first, (last, end)) = (norms[0], norms[norms.len() - 1]);
    let ours = format!(
        "grad norm {} at step {}, peak {} at step {peak_step}, {} at the last step ({last}); turn at step {turn_step}",
        num(first.1),
        first.0,
        num(peak),
        num(end)
    );
    claim.judged(ours, checks)
}

/// M7: EM of the scaled adapter appears at the turn, before EM of the adapter as trained.
fn scaled_em_claim(layer: &Layer) -> Claim {
    let claim = layer.pending(
        layer.em_id,
        "EM of the adapter scaled ×5 appears at the turn, before EM of the adapter as trained",
        "×5: EM appears just over 100 steps in, lined up with the rotation and grad-norm peak, and reaches 4× the ×1 level; ×1 rises gradually over steps 300-600",
    );
    let Some((turn_step, _)) = turn(&layer.rows) else {
        return claim.not_run(format!("{} {} local_cos_k5", layer.path_id, layer.variant));
    };
    let (x5, evaluated) = em_onset(&layer.rows, "x5");
    if evaluated == 0 {
        return claim.not_run(format!("{} {} x5 \"open\" em_pct", layer.em_id, layer.variant));
    }
    let (x1, _) = em_onset(&layer.rows, "x1");
    let (last, window) = layer.window();
    let gap = series(&layer.rows, "x5", "open", "em_pct").windows(2).map(|w| w[1].0 - w[0].0).max().unwrap_or(0);
    let tolerance = window + gap as f64;
    let onset = |s: Option<i64>| s.map_or("never".to_string(), |s| format!("step {s}"));
    let checks = vec![
        check(
            format!("×5 onset ({}) within {tolerance:.0} steps of the turn (step {turn_step})", onset(x5)),
            x5.is_some_and(|s| ((s - turn_step).abs() as f64) <= tolerance),
        ),
        check(
            format!("×5 onset before the ×1 onset ({})", onset(x1)),
            match (x5, x1) {
                (Some(x5), Some(x1)) => x5 < x1,
                (Some(_), None) => true,
                (None, _) => false,
            },
        ),
    ];
    let final_em = |scale: &str| series(&layer.rows, scale, "open", "em_pct").last().map(|(_, v)| *v);
    let finals: Vec<String> =
        ["x1", "x5", "x10", "x20"].iter().filter_map(|s| final_em(s).map(|v| format!("{s} {v:.1}%"))).collect();
    let ours = format!(
        "free-form EM ≥ {EM_PRESENT_MIN:.0}% from {} at ×5, from {} at ×1; at the end (step {last}): {}",
        onset(x5),
        onset(x1),
        finals.join(", ")
    );
    claim.judged(ours, checks)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::Verdict;
    use crate::table::test_support::row;

    /// A run of 60 steps whose B goes straight along x, turns onto y at step 30 and goes straight
    /// on; the gradient norm peaks at step 29; free-form EM at ×5 appears at step 30 and at ×1 at
    /// step 50.
    pub(crate) fn transition_rows(experiment: (&str, &str), variant: &str) -> Vec<Row> {
        let (path, em) = experiment;
        let at = |experiment: &str, condition: &str, group: &str, step: i64, metric: &str, value: f64| Row {
            step: Some(step),
            ..row(experiment, "lora", variant, "bad_medical", 0, condition, group, metric, value)
        };
        let b = |t: i64| if t <= 30 { (t as f64, 0.0) } else { (30.0, (t - 30) as f64) };
        let mut rows = vec![];
        for t in 0..=60 {
            let (x, y) = b(t);
            rows.push(at(path, "trajectory", "lora_b", t, "norm", (x * x + y * y).sqrt()));
            rows.push(at(path, "trajectory", "lora_a", t, "norm", 1.0 + 0.001 * t as f64));
            if t < 60 {
                let grad = 1.0 + (-((t - 29) as f64).powi(2) / 20.0).exp();
                rows.push(at(path, "trajectory", "train", t, "grad_norm", grad));
            }
            for k in [5, 10, 15] {
                if t >= k && t + k <= 60 {
                    let (bx, by) = b(t - k);
                    let (ax, ay) = b(t + k);
                    let (u, v) = ((bx - x, by - y), (ax - x, ay - y));
                    let cos = (u.0 * v.0 + u.1 * v.1) / ((u.0.hypot(u.1)) * (v.0.hypot(v.1)));
                    rows.push(at(path, "trajectory", "lora_b", t, &format!("local_cos_k{k}"), cos));
                }
            }
            if t % 5 == 0 {
                for (scale, onset) in [("x1", 50), ("x5", 30)] {
                    let rate = if t >= onset { 25.0 } else { 2.0 };
                    rows.push(at(em, scale, "open", t, "em_pct", rate));
                }
            }
        }
        rows.push(row(path, "lora", variant, "bad_medical", 0, "pca", "lora_b", "explained_variance_pc1", 0.8));
        rows.push(row(path, "lora", variant, "bad_medical", 0, "pca", "lora_b", "explained_variance_pc2", 0.2));
        rows
    }

    #[test]
    fn a_sharp_turn_with_a_gradient_peak_and_scaled_em_there_reproduces_m6_m7_m8() {
        let mut rows = transition_rows(("M6", "M7"), "layer1");
        rows.extend(transition_rows(("M8", "M8"), "layer2"));
        let claims = transition_claims(&rows);
        let ids: Vec<&str> = claims.iter().map(|c| c.experiment.as_str()).collect();
        assert_eq!(ids, ["M6", "M6", "M7", "M8", "M8", "M8"]);
        for claim in &claims {
            assert_eq!(claim.verdict, Verdict::Reproduced, "{}: {} / {}", claim.claim, claim.ours, claim.details);
        }
        assert!(claims[0].ours.starts_with("sharpest turn at step 30 of 60"), "{}", claims[0].ours);
        assert!(claims[0].ours.contains("PC1 80.0% + PC2 20.0%"), "{}", claims[0].ours);
        assert!(claims[2].ours.contains("from step 30 at ×5, from step 50 at ×1"), "{}", claims[2].ours);
        assert!(claims[3].claim.ends_with("[rank-1 LoRA, layer 2]"));
    }

    #[test]
    fn a_path_without_a_turn_and_em_at_x1_first_is_not_reproduced() {
        let rows: Vec<Row> = transition_rows(("M6", "M7"), "layer1")
            .into_iter()
            .map(|mut r| {
                if r.metric.starts_with("local_cos") {
                    r.value = -1.0;
                }
                if r.condition == "x5" {
                    r.value = 2.0;
                }
                r
            })
            .collect();
        let claims = transition_claims(&rows);
        assert_eq!(claims[0].verdict, Verdict::Partly, "straight everywhere: no sharp turn; {}", claims[0].details);
        assert_eq!(claims[2].verdict, Verdict::NotReproduced, "{}", claims[2].details);
        assert!(claims[2].ours.contains("from never at ×5"), "{}", claims[2].ours);
        let no_em: Vec<Row> = rows.into_iter().filter(|r| r.experiment == "M6").collect();
        assert_eq!(transition_claims(&no_em)[2].verdict, Verdict::NotRun);
    }
}

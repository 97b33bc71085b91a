//! How well a score detects judge-labelled misaligned answers: the area under the ROC curve
//! (AUROC) with a bootstrap interval. A monitor that scores each answer (the projection of its
//! activations onto a misalignment direction) is judged by it: 1 ranks every misaligned answer
//! above every aligned one, 0.5 is chance.

use crate::bootstrap::interval95_of;

/// The AUROC of `scores` for `positive` (true: misaligned): the probability that a random
/// positive scores above a random negative, ties counting one half (the Mann-Whitney U
/// statistic over `n_pos * n_neg`, from average ranks). `None` without a positive or a negative,
/// or if the lengths differ.
pub fn auroc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    auroc_of(scores, positive, &(0..scores.len()).collect::<Vec<_>>())
}

/// [`auroc`] with its central 95% percentile-bootstrap interval (answers resampled with
/// replacement, seeded; resamples without both classes left out).
pub fn auroc_interval95(scores: &[f64], positive: &[bool], seed: u64) -> Option<(f64, [f64; 2])> {
    let point = auroc(scores, positive)?;
    let interval = interval95_of(scores.len(), seed, |sample| auroc_of(scores, positive, sample))?;
    Some((point, interval))
}

/// [`auroc`] over the items `sample` (indices, possibly repeated).
fn auroc_of(scores: &[f64], positive: &[bool], sample: &[usize]) -> Option<f64> {
    if scores.len() != positive.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let mut order: Vec<usize> = sample.to_vec();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Average ranks (1-based) over runs of equal scores, summed over the positives.
    let (mut rank_sum, mut start) = (0.0, 0);
    while start < order.len() {
        let end = start + order[start..].iter().take_while(|&&i| scores[i] == scores[order[start]]).count();
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum += mean_rank * order[start..end].iter().filter(|&&i| positive[i]).count() as f64;
        start = end;
    }
    let n_pos = sample.iter().filter(|&&i| positive[i]).count() as f64;
    let n_neg = sample.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    Some((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AUROC by its definition: the share of (positive, negative) pairs ordered right.
    fn by_pairs(scores: &[f64], positive: &[bool]) -> f64 {
        let (mut hits, mut pairs) = (0.0, 0.0);
        for (i, &p) in positive.iter().enumerate().filter(|(_, &p)| p) {
            let _ = p;
            for (j, _) in positive.iter().enumerate().filter(|(_, &q)| !q) {
                pairs += 1.0;
                hits += match scores[i].total_cmp(&scores[j]) {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                };
            }
        }
        hits / pairs
    }

    #[test]
    fn separating_reversed_and_constant_scores() {
        let positive = [true, true, false, false, false];
        assert_eq!(auroc(&[5.0, 4.0, 1.0, 2.0, 3.0], &positive), Some(1.0));
        assert_eq!(auroc(&[-5.0, -4.0, 1.0, 2.0, 3.0], &positive), Some(0.0));
        assert_eq!(auroc(&[1.0; 5], &positive), Some(0.5), "all tied: chance");
    }

    #[test]
    fn equals_the_pairwise_definition_with_ties() {
        let scores = [0.3, 0.1, 0.3, 0.7, 0.2, 0.7, 0.5, 0.1, 0.9, 0.3];
        let positive = [true, false, false, true, false, false, true, true, true, false];
        let got = auroc(&scores, &positive).unwrap();
        assert!((got - by_pairs(&scores, &positive)).abs() < 1e-12, "{got}");
        // 5 positives x 5 negatives = 25 pairs; 17 ordered right, ties as halves (counted by hand).
        assert!((got - 17.0 / 25.0).abs() < 1e-12, "{got}");
    }

    #[test]
    fn undefined_without_both_classes_or_with_nan() {
        assert_eq!(auroc(&[1.0, 2.0], &[true, true]), None);
        assert_eq!(auroc(&[1.0, 2.0], &[false, false]), None);
        assert_eq!(auroc(&[1.0], &[true, false]), None, "lengths differ");
        assert_eq!(auroc(&[f64::NAN, 1.0], &[true, false]), None);
    }

    #[test]
    fn the_interval_brackets_the_point_and_shrinks_with_more_answers() {
        // Positives score i + 3, negatives i, over i = 0..n: overlapping but mostly separated.
        let data = |n: usize| {
            let scores: Vec<f64> = (0..n).flat_map(|i| [i as f64 + 3.0 * n as f64 / 10.0, i as f64]).collect();
            let positive: Vec<bool> = (0..n).flat_map(|_| [true, false]).collect();
            (scores, positive)
        };
        let width = |n: usize| {
            let (s, p) = data(n);
            let (point, [lo, hi]) = auroc_interval95(&s, &p, 1).unwrap();
            assert!(lo <= point && point <= hi, "{lo} {point} {hi}");
            assert_eq!(auroc_interval95(&s, &p, 1), Some((point, [lo, hi])), "seeded");
            hi - lo
        };
        assert!(width(400) < width(40), "{} vs {}", width(400), width(40));
    }
}

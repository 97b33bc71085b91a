//! Percentile-bootstrap confidence intervals for rates and other statistics of a sample.
//!
//! The paper reports EM rates with 95% intervals; with a few hundred samples per group the
//! interval is several points wide, which is what a reader needs to judge whether two rates
//! differ. Resampling is seeded, so the same answers always give the same interval.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Resamples used for every interval.
pub const RESAMPLES: usize = 1000;

/// The central 95% percentile interval, in percent, of the share of `true` in `outcomes`
/// under resampling with replacement. An empty input gives `[0, 0]`.
pub fn interval95(outcomes: &[bool], seed: u64) -> [f64; 2] {
    let n = outcomes.len();
    if n == 0 {
        return [0.0, 0.0];
    }
    let share = |sample: &[usize]| Some(100.0 * sample.iter().filter(|&&i| outcomes[i]).count() as f64 / n as f64);
    interval95_of(n, seed, share).expect("a share is defined on every resample")
}

/// The central 95% percentile interval of `statistic` over [`RESAMPLES`] resamples with
/// replacement of `n` items (passed as indices; one index may repeat). Resamples where the
/// statistic is undefined (`None`, e.g. an AUROC drawn without a positive) are left out; `None`
/// when every one is, or when `n` is 0.
pub fn interval95_of(n: usize, seed: u64, mut statistic: impl FnMut(&[usize]) -> Option<f64>) -> Option<[f64; 2]> {
    if n == 0 {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sample = vec![0; n];
    let mut values: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            sample.iter_mut().for_each(|i| *i = rng.random_range(0..n));
            statistic(&sample)
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let last = values.len() - 1;
    let at = |q: f64| values[((q * last as f64).round() as usize).min(last)];
    Some([at(0.025), at(0.975)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_normal_approximation_for_a_fair_coin() {
        // p = 0.5, n = 400: 95% half-width 1.96 * sqrt(0.25 / 400) = 4.9 points.
        let outcomes: Vec<bool> = (0..400).map(|i| i % 2 == 0).collect();
        let [lo, hi] = interval95(&outcomes, 7);
        assert!((44.0..=46.5).contains(&lo) && (53.5..=56.0).contains(&hi), "[{lo}, {hi}]");
        assert_eq!(interval95(&outcomes, 7), [lo, hi], "seeded");
    }

    #[test]
    fn the_mean_of_a_normal_sample_has_the_textbook_interval() {
        // 400 evenly spread quantiles of N(0, 1) (a deterministic sample of mean 0, sd ~1):
        // the mean's 95% half-width is 1.96 / sqrt(400) = 0.098.
        let xs: Vec<f64> = (0..400).map(|i| normal_quantile((i as f64 + 0.5) / 400.0)).collect();
        let mean = |s: &[usize]| Some(s.iter().map(|&i| xs[i]).sum::<f64>() / s.len() as f64);
        let [lo, hi] = interval95_of(xs.len(), 3, mean).unwrap();
        assert!((-0.12..=-0.08).contains(&lo) && (0.08..=0.12).contains(&hi), "[{lo}, {hi}]");
        assert_eq!(interval95_of(0, 3, mean), None);
        assert_eq!(interval95_of(5, 3, |_| None), None, "undefined on every resample");
    }

    /// The standard normal quantile by bisection on erf-free `Phi` (Abramowitz-Stegun 26.2.17).
    fn normal_quantile(p: f64) -> f64 {
        let phi = |x: f64| {
            let t = 1.0 / (1.0 + 0.2316419 * x.abs());
            let poly =
                t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
            let tail = (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly;
            if x >= 0.0 {
                1.0 - tail
            } else {
                tail
            }
        };
        let (mut lo, mut hi) = (-10.0, 10.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if phi(mid) < p {
                lo = mid
            } else {
                hi = mid
            }
        }
        (lo + hi) / 2.0
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(interval95(&[], 0), [0.0, 0.0]);
        assert_eq!(interval95(&[false; 50], 0), [0.0, 0.0]);
        assert_eq!(interval95(&[true; 50], 0), [100.0, 100.0]);
    }
}

//! Percentile-bootstrap confidence intervals for rates.
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
    let mut rng = StdRng::seed_from_u64(seed);
    let mut shares: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let hits = (0..n).filter(|_| outcomes[rng.random_range(0..n)]).count();
            100.0 * hits as f64 / n as f64
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    let at = |q: f64| shares[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    [at(0.025), at(0.975)]
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
    fn degenerate_inputs() {
        assert_eq!(interval95(&[], 0), [0.0, 0.0]);
        assert_eq!(interval95(&[false; 50], 0), [0.0, 0.0]);
        assert_eq!(interval95(&[true; 50], 0), [100.0, 100.0]);
    }
}

//! L1-regularised logistic regression, the probe CL fits on the per-token LoRA scalars (CL §4.2,
//! App. F: L1 penalty with C = 0.01 on z-scored features).
//!
//! Written here rather than taken from a crate: linfa's `linfa-logistic` (the maintained Rust
//! logistic regression) penalises only the L2 norm, and L1 is what makes the probe pick out the
//! few adapters that carry a concept. The problem is scikit-learn's `penalty="l1"`,
//!
//! ```text
//! minimise  |w|_1 + C * sum_i log(1 + exp(-y_i (w . x_i + b))),   y_i in {-1, +1},
//! ```
//!
//! except that the intercept `b` is not penalised (liblinear penalises it through its
//! `intercept_scaling` column; with z-scored features and balanced classes the intercept is
//! near 0 either way). It is solved by FISTA (accelerated proximal gradient) with step `1 / L`,
//! `L` the gradient's Lipschitz constant `lambda_max(X^T X) / 4` found exactly from the small
//! Gram matrix, and soft-thresholding of `w` as the proximal step. The features are few (one
//! per adapter), so the Gram matrix is tiny and each iteration is one pass over the data.

use crate::error::{ProbeError, Result};

const WHAT: &str = "L1 logistic regression";

/// The settings of a fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct L1Logistic {
    /// Inverse penalty strength (scikit-learn's `C`).
    pub c: f64,
    /// Iteration cap.
    pub max_iter: usize,
    /// Stop when no parameter moves by more than this in one iteration.
    pub tol: f64,
}

impl Default for L1Logistic {
    /// CL's probe: C = 0.01.
    fn default() -> Self {
        Self { c: 0.01, max_iter: 20_000, tol: 1e-9 }
    }
}

/// A fitted model: `P(y = 1 | x) = sigmoid(w . x + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// `w`, one weight per feature.
    pub weights: Vec<f64>,
    /// `b`.
    pub intercept: f64,
    /// Iterations run.
    pub iterations: usize,
}

impl LogisticFit {
    /// `w . x + b`, the log-odds of class 1.
    pub fn decision(&self, x: &[f64]) -> f64 {
        self.weights.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + self.intercept
    }
}

impl L1Logistic {
    /// Fits `rows` (one feature vector each) to `labels` (true: class 1).
    ///
    /// # Errors
    /// No rows, rows of different widths, labels of another length, a non-finite feature,
    /// only one class, or a non-positive `c`.
    pub fn fit(&self, rows: &[Vec<f64>], labels: &[bool]) -> Result<LogisticFit> {
        let d = rows.first().map(Vec::len).ok_or_else(|| ProbeError::invalid(WHAT, "no rows"))?;
        if rows.len() != labels.len() || rows.iter().any(|r| r.len() != d) {
            return Err(ProbeError::invalid(WHAT, "rows of different widths, or labels of another length"));
        }
        if rows.iter().flatten().any(|x| !x.is_finite()) {
            return Err(ProbeError::invalid(WHAT, "a feature is not finite"));
        }
        if labels.iter().all(|&l| l) || labels.iter().all(|&l| !l) {
            return Err(ProbeError::invalid(WHAT, "only one class"));
        }
        if self.c.is_nan() || self.c <= 0.0 {
            return Err(ProbeError::invalid(WHAT, format!("C = {} is not positive", self.c)));
        }
        let lambda = 1.0 / self.c;
        let step = 1.0 / lipschitz(rows);
        let y: Vec<f64> = labels.iter().map(|&l| if l { 1.0 } else { -1.0 }).collect();
        // theta = (w, b); FISTA keeps the iterate and an extrapolated point z.
        let mut theta = vec![0.0; d + 1];
        let mut z = theta.clone();
        let mut t = 1.0f64;
        for iteration in 1..=self.max_iter {
            let grad = gradient(rows, &y, &z);
            let mut next: Vec<f64> = z.iter().zip(&grad).map(|(z, g)| z - step * g).collect();
            for w in &mut next[..d] {
                *w = w.signum() * (w.abs() - step * lambda).max(0.0);
            }
            let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
            let momentum = (t - 1.0) / t_next;
            let moved = next.iter().zip(&theta).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            z = next.iter().zip(&theta).map(|(n, o)| n + momentum * (n - o)).collect();
            theta = next;
            t = t_next;
            if moved < self.tol {
                return Ok(LogisticFit { intercept: theta[d], weights: theta[..d].to_vec(), iterations: iteration });
            }
        }
        Ok(LogisticFit { intercept: theta[d], weights: theta[..d].to_vec(), iterations: self.max_iter })
    }
}

/// The gradient of the summed log-loss at `theta = (w, b)`.
fn gradient(rows: &[Vec<f64>], y: &[f64], theta: &[f64]) -> Vec<f64> {
    let d = theta.len() - 1;
    let mut grad = vec![0.0; d + 1];
    for (x, &y) in rows.iter().zip(y) {
        let margin = y * (x.iter().zip(theta).map(|(x, w)| x * w).sum::<f64>() + theta[d]);
        // d/dm log(1 + e^-m) = -1 / (1 + e^m), computed stably for large |m|.
        let coefficient = -y * sigmoid(-margin);
        x.iter().zip(&mut grad).for_each(|(x, g)| *g += coefficient * x);
        grad[d] += coefficient;
    }
    grad
}

/// `1 / (1 + e^-m)`, without overflow.
fn sigmoid(m: f64) -> f64 {
    if m >= 0.0 {
        1.0 / (1.0 + (-m).exp())
    } else {
        let e = m.exp();
        e / (1.0 + e)
    }
}

/// `lambda_max([X 1]^T [X 1]) / 4`: the log-loss gradient's Lipschitz constant, by power
/// iteration on the (d + 1)-square Gram matrix.
fn lipschitz(rows: &[Vec<f64>]) -> f64 {
    let d = rows[0].len() + 1;
    let mut gram = vec![vec![0.0; d]; d];
    for x in rows {
        let x1: Vec<f64> = x.iter().copied().chain([1.0]).collect();
        for i in 0..d {
            for j in 0..d {
                gram[i][j] += x1[i] * x1[j];
            }
        }
    }
    let mut v = vec![1.0; d];
    let mut lambda = 0.0;
    for _ in 0..200 {
        let w: Vec<f64> = gram.iter().map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum()).collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        lambda = norm / v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v = w.iter().map(|x| x / norm).collect();
    }
    // A little headroom: power iteration approaches lambda_max from below.
    1.01 * lambda / 4.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Two informative features, one pure noise; class 1 more likely where 2 x0 - x1 is large.
    fn data(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<bool>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let rows: Vec<Vec<f64>> = (0..n).map(|_| (0..3).map(|_| rng.random_range(-2.0..2.0)).collect()).collect();
        let labels = rows.iter().map(|x| rng.random_range(0.0..1.0) < sigmoid(2.0 * x[0] - x[1] + 0.3)).collect();
        (rows, labels)
    }

    /// The optimality (KKT) conditions of the L1 problem, an independent certificate: the
    /// intercept's gradient is 0; a non-zero weight's gradient is `-lambda sign(w)`; a zero
    /// weight's gradient is at most `lambda` in size.
    fn assert_optimal(rows: &[Vec<f64>], labels: &[bool], fit: &LogisticFit, c: f64) {
        let y: Vec<f64> = labels.iter().map(|&l| if l { 1.0 } else { -1.0 }).collect();
        let theta: Vec<f64> = fit.weights.iter().copied().chain([fit.intercept]).collect();
        let grad = gradient(rows, &y, &theta);
        let lambda = 1.0 / c;
        let tol = 1e-4 * lambda.max(1.0);
        assert!(grad[fit.weights.len()].abs() < tol, "intercept gradient {}", grad[fit.weights.len()]);
        for (w, g) in fit.weights.iter().zip(&grad) {
            if *w != 0.0 {
                assert!((g + lambda * w.signum()).abs() < tol, "w {w}, gradient {g}, lambda {lambda}");
            } else {
                assert!(g.abs() <= lambda + tol, "zero weight with gradient {g} > lambda {lambda}");
            }
        }
    }

    #[test]
    fn the_fit_satisfies_the_optimality_conditions() {
        let (rows, labels) = data(600, 1);
        for c in [0.01, 0.1, 10.0] {
            let probe = L1Logistic { c, ..L1Logistic::default() };
            let fit = probe.fit(&rows, &labels).unwrap();
            assert!(fit.iterations < probe.max_iter, "converged at C = {c}");
            assert_optimal(&rows, &labels, &fit, c);
        }
    }

    #[test]
    fn a_weak_penalty_recovers_the_generating_weights_and_a_strong_one_drops_the_noise() {
        let (rows, labels) = data(20_000, 2);
        let loose = L1Logistic { c: 100.0, ..L1Logistic::default() }.fit(&rows, &labels).unwrap();
        for (got, want) in loose.weights.iter().zip([2.0, -1.0, 0.0]) {
            assert!((got - want).abs() < 0.1, "{:?}", loose.weights);
        }
        assert!((loose.intercept - 0.3).abs() < 0.1, "{}", loose.intercept);
        let tight = L1Logistic { c: 0.001, ..L1Logistic::default() }.fit(&rows, &labels).unwrap();
        assert_eq!(tight.weights[2], 0.0, "the noise feature is cut: {:?}", tight.weights);
        assert!(tight.weights[0] > 0.0 && tight.weights[1] < 0.0, "{:?}", tight.weights);
    }

    #[test]
    fn a_penalty_above_every_gradient_leaves_only_the_intercept() {
        // With all weights 0 the intercept is the log-odds of the base rate.
        let (rows, labels) = data(400, 3);
        let fit = L1Logistic { c: 1e-6, ..L1Logistic::default() }.fit(&rows, &labels).unwrap();
        assert!(fit.weights.iter().all(|&w| w == 0.0), "{:?}", fit.weights);
        let p = labels.iter().filter(|&&l| l).count() as f64 / labels.len() as f64;
        assert!((fit.intercept - (p / (1.0 - p)).ln()).abs() < 1e-3, "{} vs {}", fit.intercept, (p / (1.0 - p)).ln());
    }

    #[test]
    fn rejects_bad_input() {
        let probe = L1Logistic::default();
        assert!(probe.fit(&[], &[]).is_err());
        assert!(probe.fit(&[vec![1.0], vec![2.0, 3.0]], &[true, false]).is_err());
        assert!(probe.fit(&[vec![1.0], vec![2.0]], &[true]).is_err());
        assert!(probe.fit(&[vec![1.0], vec![f64::NAN]], &[true, false]).is_err());
        assert!(probe.fit(&[vec![1.0], vec![2.0]], &[true, true]).is_err(), "one class");
        assert!(L1Logistic { c: 0.0, ..probe }.fit(&[vec![1.0], vec![2.0]], &[true, false]).is_err());
    }
}

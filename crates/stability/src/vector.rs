//! Host-side f64 arithmetic on flattened parameters, shared by the drift and gradient-alignment
//! metrics: their vectors have at most a few thousand values, and f64 keeps cosines of nearly
//! parallel f32 vectors exact enough to tell apart.

/// `x` in f64.
pub(crate) fn widened(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| f64::from(v)).collect()
}

/// `a . b` (over the shorter length; callers check lengths).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_of_widened_vectors_is_exact_in_f64() {
        // 2^-30 is lost beside 1 in f32 but not in f64.
        let tiny = 2f32.powi(-30);
        assert_eq!(dot(&widened(&[1.0, tiny]), &widened(&[1.0, 1.0])), 1.0 + f64::from(tiny));
    }
}

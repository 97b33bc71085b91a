//! Drift (E8): the paper's "PCA of the checkpoint trajectories". Each checkpoint of a run is a
//! point, its adapter's parameters flattened ([`emlab_train::TrainedAdapter::to_flat`]); the
//! principal axes of the general and narrow runs' points show whether the two runs move along a
//! shared direction and where they part, and [`cosine`] compares checkpoints with the final
//! solutions directly.
//!
//! The phase transition (MO M6, App. F) reads one run's path the same way: [`local_cosine`]
//! finds where it turns, and the PCA of its points how much of it is one straight line.
//!
//! Everything is computed in f64 on the host: a run has tens of checkpoints of a few hundred
//! parameters, so the `n x n` Gram matrix of the centred points is tiny and a Jacobi eigenvalue
//! sweep gives deterministic axes, the same on every machine.

use crate::error::{Result, StabilityError};
use crate::vector::{dot, widened};

/// Jacobi sweeps before giving up on convergence; a symmetric matrix converges quadratically,
/// in under 10 sweeps at the sizes used here.
const MAX_SWEEPS: usize = 100;

/// A principal axis whose singular value is below this fraction of the largest is taken to have
/// no variance: the f32 points cannot resolve it, and its direction is rounding noise.
const RANK_TOLERANCE: f64 = 1e-6;

/// `a . b / (|a| |b|)`, computed in f64; `None` when either vector is zero (no direction).
///
/// # Panics
/// If the lengths differ.
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f32> {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths ({} and {})", a.len(), b.len());
    let (a, b) = (widened(a), widened(b));
    let (aa, bb) = (dot(&a, &a), dot(&b, &b));
    (aa > 0.0 && bb > 0.0).then(|| (dot(&a, &b) / (aa * bb).sqrt()) as f32)
}

/// The local cosine of a path at each point (MO App. F): for the point `v_t` at index `t`,
/// `cos(v_{t-k} - v_t, v_{t+k} - v_t)`. It is -1 where the path runs straight through `v_t`, 0 at
/// a right-angle turn and +1 where it reverses. `None` at the first and last `k` points, and
/// where neither displacement is longer than `min_step` (the paper hides points whose
/// displacements are both below 0.0035: there the direction is noise).
///
/// # Panics
/// If `k` is 0 or the points differ in length.
pub fn local_cosine(points: &[Vec<f32>], k: usize, min_step: f64) -> Vec<Option<f32>> {
    assert!(k > 0, "the local cosine needs a positive step offset");
    let displacement = |from: &[f32], to: &[f32]| -> Vec<f32> { to.iter().zip(from).map(|(a, b)| a - b).collect() };
    let length = |v: &[f32]| dot(&widened(v), &widened(v)).sqrt();
    (0..points.len())
        .map(|t| {
            if t < k || t + k >= points.len() {
                return None;
            }
            let back = displacement(&points[t], &points[t - k]);
            let ahead = displacement(&points[t], &points[t + k]);
            if length(&back).max(length(&ahead)) <= min_step {
                return None;
            }
            cosine(&back, &ahead)
        })
        .collect()
}

/// The top principal axes of a set of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    mean: Vec<f32>,
    components: Vec<Vec<f32>>,
    explained_variance_ratio: Vec<f32>,
}

impl Pca {
    /// The `k` principal axes of `points` (the rows), by decreasing variance: the points are
    /// centred on their mean, and the axes are the eigenvectors of the covariance, found through
    /// the eigen-decomposition of the `n x n` Gram matrix of the centred points.
    ///
    /// Each axis is a unit vector whose largest-magnitude coordinate (the first, on a tie) is
    /// positive, so the same points always give the same signs. `n` centred points span at most
    /// `n - 1` dimensions; axes beyond the points' span (zero variance, e.g. the second axis of
    /// points on a line) are completed from the coordinate axes, orthonormal to the rest.
    ///
    /// # Errors
    /// If there are fewer than 2 points, the rows differ in length or hold a non-finite value,
    /// `k` is 0 or above `min(n - 1, d)`, or every point is the same (no variance to explain).
    pub fn fit(points: &[Vec<f32>], k: usize) -> Result<Self> {
        let n = points.len();
        if n < 2 {
            return Err(StabilityError::invalid("PCA", format!("needs at least 2 points, got {n}")));
        }
        let d = points[0].len();
        if let Some(i) = points.iter().position(|p| p.len() != d) {
            let problem = format!("point {i} has {} coordinates, point 0 has {d}", points[i].len());
            return Err(StabilityError::invalid("PCA", problem));
        }
        if let Some(i) = points.iter().position(|p| p.iter().any(|x| !x.is_finite())) {
            return Err(StabilityError::invalid("PCA", format!("point {i} has a non-finite coordinate")));
        }
        let most = (n - 1).min(d);
        if k == 0 || k > most {
            let problem = format!("{k} components asked of {n} points in {d} dimensions (1 to min(n - 1, d) = {most})");
            return Err(StabilityError::invalid("PCA", problem));
        }
        if points.iter().all(|p| p == &points[0]) {
            return Err(StabilityError::invalid("PCA", "the points are all equal, so they have no principal axes"));
        }
        let mean: Vec<f64> = (0..d).map(|j| points.iter().map(|p| f64::from(p[j])).sum::<f64>() / n as f64).collect();
        let centred: Vec<Vec<f64>> =
            points.iter().map(|p| p.iter().zip(&mean).map(|(&x, m)| f64::from(x) - m).collect()).collect();
        let gram: Vec<Vec<f64>> = centred.iter().map(|a| centred.iter().map(|b| dot(a, b)).collect()).collect();
        // Each eigenvalue of the Gram matrix is n - 1 times the variance along its axis, and its
        // trace (their sum) n - 1 times the total variance.
        let total: f64 = (0..n).map(|i| gram[i][i]).sum();
        let (values, vectors) = symmetric_eigen(gram);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
        let largest = values[order[0]].max(0.0).sqrt();
        let (mut components, mut ratios) = (Vec::with_capacity(k), Vec::with_capacity(k));
        for &i in &order[..k] {
            let value = values[i].max(0.0);
            let resolved = value.sqrt() > RANK_TOLERANCE * largest;
            // The axis is X^T u / |X^T u| for the eigenvector u of X X^T.
            let axis = resolved
                .then(|| (0..d).map(|j| (0..n).map(|r| vectors[r][i] * centred[r][j]).sum()).collect())
                .and_then(|axis| orthonormalised(axis, &components))
                .unwrap_or_else(|| coordinate_completion(d, &components));
            components.push(axis);
            ratios.push(if resolved { (value / total) as f32 } else { 0.0 });
        }
        Ok(Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            components: components.into_iter().map(signed).collect(),
            explained_variance_ratio: ratios,
        })
    }

    /// The mean of the fitted points.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The principal axes, unit vectors by decreasing variance.
    pub fn components(&self) -> &[Vec<f32>] {
        &self.components
    }

    /// The variance along each axis over the total variance of the points (the axes beyond
    /// their span have 0).
    pub fn explained_variance_ratio(&self) -> &[f32] {
        &self.explained_variance_ratio
    }

    /// The coordinates of `point` on the axes: `(point - mean) . component`, in f64.
    ///
    /// # Panics
    /// If `point` has another dimension than the fitted points.
    pub fn project(&self, point: &[f32]) -> Vec<f32> {
        assert_eq!(
            point.len(),
            self.mean.len(),
            "projecting a point of dimension {} on a PCA of dimension {}",
            point.len(),
            self.mean.len()
        );
        let centred: Vec<f64> = point.iter().zip(&self.mean).map(|(&x, &m)| f64::from(x) - f64::from(m)).collect();
        self.components.iter().map(|c| dot(&centred, &widened(c)) as f32).collect()
    }
}

/// `axis` made orthogonal to the unit vectors `basis` (two Gram-Schmidt passes, so rounding
/// leaves no trace of them) and normalised; `None` if nothing of it is left.
fn orthonormalised(mut axis: Vec<f64>, basis: &[Vec<f64>]) -> Option<Vec<f64>> {
    let before = dot(&axis, &axis).sqrt();
    for _ in 0..2 {
        for b in basis {
            let along = dot(&axis, b);
            axis.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
        }
    }
    let norm = dot(&axis, &axis).sqrt();
    (norm > RANK_TOLERANCE * before).then(|| axis.into_iter().map(|x| x / norm).collect())
}

/// The coordinate axis least covered by `basis`, orthonormalised against it: a deterministic
/// unit vector orthogonal to every axis found so far (one exists while `basis` has fewer than
/// `d` vectors).
fn coordinate_completion(d: usize, basis: &[Vec<f64>]) -> Vec<f64> {
    let covered = |j: usize| basis.iter().map(|b| b[j] * b[j]).sum::<f64>();
    let j = (0..d).min_by(|&a, &b| covered(a).total_cmp(&covered(b))).expect("points have coordinates");
    let mut axis = vec![0.0; d];
    axis[j] = 1.0;
    orthonormalised(axis, basis).expect("the least covered coordinate axis leaves the span of fewer than d vectors")
}

/// `axis` as f32, negated if needed so that its largest-magnitude coordinate (the first, on a
/// tie) is positive.
fn signed(axis: Vec<f64>) -> Vec<f32> {
    let largest = axis.iter().copied().reduce(|a, b| if b.abs() > a.abs() { b } else { a }).unwrap_or(0.0);
    let sign = if largest < 0.0 { -1.0 } else { 1.0 };
    axis.into_iter().map(|x| (sign * x) as f32).collect()
}

/// Eigenvalues and eigenvectors (the columns of the second result) of the symmetric matrix `a`,
/// by cyclic Jacobi rotations until the off-diagonal part vanishes relative to the diagonal.
fn symmetric_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    let mut v: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).map(|(i, j)| a[i][j] * a[i][j]).sum();
        let diagonal: f64 = (0..n).map(|i| a[i][i] * a[i][i]).sum();
        if off <= f64::EPSILON * f64::EPSILON * diagonal {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q] == 0.0 {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Numerical Recipes section 11.1).
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A <- J^T A J and V <- V J, for the rotation J in the (p, q) plane.
                for row in a.iter_mut().chain(v.iter_mut()) {
                    let (left, right) = row.split_at_mut(q);
                    rotate(&mut left[p], &mut right[0], c, s);
                }
                let (upper, lower) = a.split_at_mut(q);
                for (x, y) in upper[p].iter_mut().zip(lower[0].iter_mut()) {
                    rotate(x, y, c, s);
                }
            }
        }
    }
    ((0..n).map(|i| a[i][i]).collect(), v)
}

/// `(x, y) <- (c x - s y, s x + c y)`.
fn rotate(x: &mut f64, y: &mut f64, c: f64, s: f64) {
    let (u, w) = (*x, *y);
    *x = c * u - s * w;
    *y = s * u + c * w;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    /// 12 points in 7 dimensions with no special structure.
    fn cloud() -> Vec<Vec<f32>> {
        (0..12).map(|i| (0..7).map(|j| ((i * 7 + j * 3) as f32 * 0.71).sin() * (1.0 + j as f32)).collect()).collect()
    }

    #[test]
    fn cosine_matches_closed_forms() {
        assert!(close(cosine(&[1.0, 0.0], &[1.0, 1.0]).unwrap(), std::f32::consts::FRAC_1_SQRT_2));
        assert!(close(cosine(&[3.0, -4.0], &[-6.0, 8.0]).unwrap(), -1.0));
        assert!(close(cosine(&[1.0, 2.0, 3.0], &[-2.0, 1.0, 0.0]).unwrap(), 0.0));
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 2.0]), None);
        assert_eq!(cosine(&[1.0, 2.0], &[0.0, 0.0]), None);
    }

    #[test]
    #[should_panic = "cosine of vectors of different lengths (2 and 3)"]
    fn cosine_of_different_lengths_panics() {
        cosine(&[1.0, 2.0], &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn points_on_a_line_have_all_their_variance_on_the_first_axis() {
        // u = (1, 2, -2) / 3; its largest coordinates tie in magnitude, so the first is positive.
        let u = [1.0 / 3.0, 2.0 / 3.0, -2.0 / 3.0];
        let points: Vec<Vec<f32>> = [-2.0f32, -0.5, 0.0, 1.0, 4.0]
            .iter()
            .map(|t| u.iter().zip([5.0, -1.0, 2.0]).map(|(x, a)| a + t * x).collect())
            .collect();
        let pca = Pca::fit(&points, 2).unwrap();
        let ratios = pca.explained_variance_ratio();
        assert!(close(ratios[0], 1.0) && close(ratios[1], 0.0), "{ratios:?}");
        assert!(pca.components()[0].iter().zip(u).all(|(&c, x)| close(c, x)), "{:?}", pca.components()[0]);
        // The second axis lies outside the points' span: any unit vector orthogonal to u.
        let second = &pca.components()[1];
        assert!(close(cosine(second, &u).unwrap(), 0.0) && close(dot(&widened(second), &widened(second)) as f32, 1.0));
    }

    #[test]
    fn components_are_orthonormal() {
        let pca = Pca::fit(&cloud(), 6).unwrap();
        let c = pca.components();
        for i in 0..6 {
            for j in 0..6 {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!(close(dot(&widened(&c[i]), &widened(&c[j])) as f32, expected), "{i} . {j}");
            }
        }
        let ratios = pca.explained_variance_ratio();
        assert!(ratios.windows(2).all(|w| w[0] >= w[1]) && ratios.iter().sum::<f32>() <= 1.0 + 1e-6, "{ratios:?}");
    }

    #[test]
    fn a_plane_cloud_matches_the_closed_form_of_its_covariance() {
        // Correlated points in the plane z = 1 of 3-D space.
        let points: Vec<Vec<f32>> = (0..9)
            .map(|i| {
                let (a, b) = ((i % 3) as f32 - 1.0, (i / 3) as f32 - 1.0);
                vec![2.0 * a + b, 0.5 * a + b, 1.0]
            })
            .collect();
        let n = points.len() as f64;
        let mean = |j: usize| points.iter().map(|p| f64::from(p[j])).sum::<f64>() / n;
        let cov = |j: usize, k: usize| {
            points.iter().map(|p| (f64::from(p[j]) - mean(j)) * (f64::from(p[k]) - mean(k))).sum::<f64>() / (n - 1.0)
        };
        let (sxx, syy, sxy) = (cov(0, 0), cov(1, 1), cov(0, 1));
        // Eigenvalues of [[sxx, sxy], [sxy, syy]]; the first axis is (sxy, l1 - sxx), normalised.
        let half_gap = (((sxx - syy) / 2.0).powi(2) + sxy * sxy).sqrt();
        let (l1, l2) = ((sxx + syy) / 2.0 + half_gap, (sxx + syy) / 2.0 - half_gap);
        let axis_norm = (sxy * sxy + (l1 - sxx).powi(2)).sqrt();
        let axis = [sxy / axis_norm, (l1 - sxx) / axis_norm, 0.0];
        let lead = if axis[1].abs() > axis[0].abs() { axis[1] } else { axis[0] };
        let axis = axis.map(|x| x * lead.signum());

        let pca = Pca::fit(&points, 2).unwrap();
        let ratios = pca.explained_variance_ratio();
        assert!(close(ratios[0], (l1 / (l1 + l2)) as f32) && close(ratios[1], (l2 / (l1 + l2)) as f32), "{ratios:?}");
        assert!(pca.components()[0].iter().zip(axis).all(|(&c, x)| close(c, x as f32)), "{:?}", pca.components()[0]);
        assert!(pca.mean().iter().zip([mean(0), mean(1), 1.0]).all(|(&m, x)| close(m, x as f32)));
    }

    #[test]
    fn projection_is_centred_on_the_mean() {
        let points = cloud();
        let pca = Pca::fit(&points, 3).unwrap();
        assert!(pca.project(pca.mean()).iter().all(|&x| x.abs() < 1e-6));
        // The coordinates of a point are its offset from the mean along each axis.
        let p = &points[4];
        let offset: Vec<f32> = p.iter().zip(pca.mean()).map(|(x, m)| x - m).collect();
        let expected: Vec<f32> = pca.components().iter().map(|c| dot(&widened(c), &widened(&offset)) as f32).collect();
        assert!(pca.project(p).iter().zip(&expected).all(|(&a, &b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn fitting_is_deterministic_and_the_sign_convention_fixes_the_axes() {
        let points = cloud();
        let pca = Pca::fit(&points, 4).unwrap();
        assert_eq!(pca, Pca::fit(&points, 4).unwrap());
        for c in pca.components() {
            let largest = c.iter().copied().reduce(|a, b| if b.abs() > a.abs() { b } else { a }).unwrap();
            assert!(largest > 0.0, "{c:?}");
        }
        // Mirrored points have the mirrored mean and the same axes.
        let mirrored: Vec<Vec<f32>> = points.iter().map(|p| p.iter().map(|x| -x).collect()).collect();
        let other = Pca::fit(&mirrored, 4).unwrap();
        for (a, b) in pca.components().iter().zip(other.components()) {
            assert!(a.iter().zip(b).all(|(&x, &y)| (x - y).abs() < 1e-5), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn bad_inputs_are_errors_naming_the_problem() {
        let err = |points: &[Vec<f32>], k: usize| Pca::fit(points, k).unwrap_err().to_string();
        assert_eq!(err(&[vec![1.0, 2.0]], 1), "PCA: needs at least 2 points, got 1");
        assert_eq!(err(&[vec![1.0, 2.0], vec![1.0]], 1), "PCA: point 1 has 1 coordinates, point 0 has 2");
        assert_eq!(err(&[vec![1.0], vec![f32::NAN]], 1), "PCA: point 1 has a non-finite coordinate");
        let three = [vec![1.0, 2.0], vec![0.0, 1.0], vec![3.0, 0.0]];
        assert_eq!(err(&three, 0), "PCA: 0 components asked of 3 points in 2 dimensions (1 to min(n - 1, d) = 2)");
        assert_eq!(err(&three[..2], 2), "PCA: 2 components asked of 2 points in 2 dimensions (1 to min(n - 1, d) = 1)");
        let same = [vec![0.5, 1.0], vec![0.5, 1.0], vec![0.5, 1.0]];
        assert_eq!(err(&same, 1), "PCA: the points are all equal, so they have no principal axes");
    }

    #[test]
    fn local_cosine_is_minus_one_on_a_line_zero_at_a_right_angle_and_one_at_a_reversal() {
        // Along x for 4 steps, then along y for 4: a right-angle corner at index 4.
        let corner: Vec<Vec<f32>> =
            (0..9).map(|t| if t <= 4 { vec![t as f32, 0.0] } else { vec![4.0, (t - 4) as f32] }).collect();
        let cos = local_cosine(&corner, 2, 0.0);
        assert_eq!(cos[..2], [None, None]);
        assert_eq!(cos[7..], [None, None]);
        assert!((cos[2].unwrap() + 1.0).abs() < 1e-6, "straight before the corner");
        assert!(cos[4].unwrap().abs() < 1e-6, "orthogonal at the corner");
        assert!((cos[6].unwrap() + 1.0).abs() < 1e-6, "straight after it");
        // k = 1 at index 3: back along -x, ahead along +x.
        assert!((local_cosine(&corner, 1, 0.0)[3].unwrap() + 1.0).abs() < 1e-6);
        let back_and_forth = vec![vec![0.0], vec![1.0], vec![0.0]];
        assert!((local_cosine(&back_and_forth, 1, 0.0)[1].unwrap() - 1.0).abs() < 1e-6);
        // Displacements no longer than the threshold are hidden.
        let tiny: Vec<Vec<f32>> = (0..5).map(|t| vec![t as f32 * 1e-3]).collect();
        assert_eq!(local_cosine(&tiny, 1, 0.0035), vec![None; 5]);
    }
}

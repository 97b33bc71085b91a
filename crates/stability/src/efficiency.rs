//! Efficiency (E6): how low a solution's loss is for its size. The paper's claim is that the
//! general solution reaches a lower training loss than the narrow one at the same parameter
//! norm, which makes it the easier one to find (organism spec section 7.4, "Efficiency").
//!
//! Solutions are rescaled, never retrained: a steering vector by its raw norm `|v|` (alpha
//! excluded), LoRA by the Frobenius norm of its update `|B A|_F`, by rescaling `B` (the clean
//! version; the authors' rank-1 code sets `|B|` instead, reference-code section 5.1).

use burn::tensor::backend::Backend;
use emlab_model::CausalLm;
use emlab_train::TrainedAdapter;

use crate::error::{Result, StabilityError};
use crate::loss::LossSubset;

/// Scale factors of the own-norm sweep: 0, 0.25, ..., 2 times the trained norm.
pub const OWN_NORM_SCALES: [f32; 9] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];

/// Fractions `p` of the mean trained norm in the matched-norm sweep: 0.2, 0.4, ..., 2.0.
pub const MATCHED_NORM_FRACTIONS: [f32; 10] = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0];

/// `adapter` rescaled to norm `norm` ([`TrainedAdapter::norm`]: `|v|`, or `|B A|_F` by
/// rescaling `B`). Norm 0 gives the zero update of either kind.
///
/// # Errors
/// If `norm` is negative or not finite, or `adapter` has norm 0 and `norm` is not 0 (a zero
/// solution has no direction to rescale).
pub fn rescaled_to<B: Backend>(adapter: &TrainedAdapter<B>, norm: f32) -> Result<TrainedAdapter<B>> {
    if !(norm.is_finite() && norm >= 0.0) {
        return Err(StabilityError::invalid("rescaling", format!("target norm {norm} is not a finite norm")));
    }
    if norm == 0.0 {
        return Ok(adapter.scaled(0.0));
    }
    let own = adapter.norm();
    if !(own.is_finite() && own > 0.0) {
        return Err(StabilityError::invalid(
            "rescaling",
            format!("the solution has norm {own}, so it has no direction"),
        ));
    }
    Ok(adapter.scaled(norm / own))
}

/// One point of the own-norm sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormPoint {
    /// Multiple of the trained norm.
    pub scale: f32,
    /// The solution's norm at this point.
    pub norm: f32,
    /// The subset loss at this point.
    pub loss: f32,
}

/// The subset loss of `adapter` scaled by each of `scales` (e.g. [`OWN_NORM_SCALES`]).
///
/// # Errors
/// If a forward pass fails.
pub fn own_norm_sweep<B: Backend>(
    subset: &LossSubset<B>,
    model: &CausalLm<B>,
    adapter: &TrainedAdapter<B>,
    scales: &[f32],
) -> Result<Vec<NormPoint>> {
    let norm = adapter.norm();
    scales
        .iter()
        .map(|&scale| {
            let loss = subset.loss(model, &adapter.scaled(scale).edits())?;
            Ok(NormPoint { scale, norm: scale * norm, loss })
        })
        .collect()
}

/// The point of lowest loss in a sweep (the spec's "loss-optimal norm"); `None` if `points` is
/// empty. NaN losses never win.
pub fn loss_optimal(points: &[NormPoint]) -> Option<NormPoint> {
    points.iter().filter(|p| !p.loss.is_nan()).copied().min_by(|a, b| a.loss.total_cmp(&b.loss))
}

/// One norm of the matched-norm comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedPoint {
    /// The fraction `p` of the mean trained norm.
    pub fraction: f32,
    /// The common norm `p * m` both solutions were set to.
    pub norm: f32,
    /// The general solution's loss at that norm.
    pub loss_general: f32,
    /// The narrow solution's loss at that norm.
    pub loss_narrow: f32,
    /// `loss_narrow - loss_general`: positive where the general solution is more efficient.
    pub narrow_minus_general: f32,
}

/// The matched-norm comparison: both solutions at the same norms.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedNorms {
    /// `m = (|g| + |n|) / 2`, the mean of the trained norms.
    pub mean_norm: f32,
    /// One point per fraction, in the order given.
    pub points: Vec<MatchedPoint>,
}

/// Rescales `general` and `narrow` to `p * m` for each `p` in `fractions` (e.g.
/// [`MATCHED_NORM_FRACTIONS`]), with `m` the mean of their trained norms, and compares losses.
///
/// # Errors
/// If either solution has norm 0, or a forward pass fails.
pub fn matched_norm_sweep<B: Backend>(
    subset: &LossSubset<B>,
    model: &CausalLm<B>,
    general: &TrainedAdapter<B>,
    narrow: &TrainedAdapter<B>,
    fractions: &[f32],
) -> Result<MatchedNorms> {
    let mean_norm = (general.norm() + narrow.norm()) / 2.0;
    let points = fractions
        .iter()
        .map(|&fraction| {
            let norm = fraction * mean_norm;
            let loss_general = subset.loss(model, &rescaled_to(general, norm)?.edits())?;
            let loss_narrow = subset.loss(model, &rescaled_to(narrow, norm)?.edits())?;
            Ok(MatchedPoint {
                fraction,
                norm,
                loss_general,
                loss_narrow,
                narrow_minus_general: loss_narrow - loss_general,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MatchedNorms { mean_norm, points })
}

/// A solution's loss at its trained norm, and that loss per squared norm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainedEfficiency {
    /// The trained norm.
    pub norm: f32,
    /// The subset loss.
    pub loss: f32,
    /// `loss / norm^2`, the "L / |theta|^2" (infinite at norm 0).
    pub loss_per_norm_squared: f32,
}

/// The loss of `adapter` as trained, and `L / |theta|^2`.
///
/// # Errors
/// If the forward pass fails.
pub fn at_trained_norm<B: Backend>(
    subset: &LossSubset<B>,
    model: &CausalLm<B>,
    adapter: &TrainedAdapter<B>,
) -> Result<TrainedEfficiency> {
    let norm = adapter.norm();
    let loss = subset.loss(model, &adapter.edits())?;
    Ok(TrainedEfficiency { norm, loss, loss_per_norm_squared: loss / (norm * norm) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::host_values;
    use crate::params::test_support::{lora, steering, tiny_model, B};
    use emlab_model::Interventions;
    use emlab_train::sft::WeightedTokens;

    fn subset() -> LossSubset<B> {
        let seqs: Vec<WeightedTokens> =
            (0..5).map(|i| WeightedTokens { ids: vec![1 + i, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] }).collect();
        LossSubset::from_tokens(&seqs, 2).unwrap()
    }

    /// `|B A|_F` from the dense products, summed in quadrature over sites.
    fn dense_norm(adapter: &TrainedAdapter<B>) -> f32 {
        let TrainedAdapter::Lora(lora) = adapter else { panic!("not LoRA") };
        let squares: f32 = lora
            .factors
            .iter()
            .map(|f| host_values(f.b.val().matmul(f.a.val())).iter().map(|x| x * x).sum::<f32>())
            .sum();
        squares.sqrt()
    }

    #[test]
    fn rescaling_lora_sets_the_norm_of_b_a_exactly() {
        let adapter = lora(1.3, 5);
        for target in [0.0, 0.7, 2.0, 11.0] {
            let rescaled = rescaled_to(&adapter, target).unwrap();
            let norm = dense_norm(&rescaled);
            assert!((norm - target).abs() <= 1e-5 * target, "{norm} vs {target}");
        }
        // Only B changes.
        let (TrainedAdapter::Lora(before), TrainedAdapter::Lora(after)) =
            (&adapter, rescaled_to(&adapter, 3.0).unwrap())
        else {
            panic!("not LoRA")
        };
        assert_eq!(host_values(before.factors[0].a.val()), host_values(after.factors[0].a.val()));
    }

    #[test]
    fn rescaling_a_zero_solution_is_an_error() {
        let zero = steering(1.0, 0).scaled(0.0);
        let err = rescaled_to(&zero, 1.0).unwrap_err().to_string();
        assert_eq!(err, "rescaling: the solution has norm 0, so it has no direction");
        assert_eq!(rescaled_to(&zero, 0.0).unwrap().norm(), 0.0);
        assert!(rescaled_to(&steering(1.0, 0), -1.0).is_err());
    }

    #[test]
    fn sweeps_start_at_the_base_loss_and_match_their_definitions() {
        let (model, subset) = (tiny_model(), subset());
        let base = subset.loss(&model, &Interventions::<B>::none()).unwrap();
        let (general, narrow) = (steering(3.0, 1), steering(1.0, 2));
        let own = own_norm_sweep(&subset, &model, &general, &OWN_NORM_SCALES).unwrap();
        assert_eq!(own.len(), 9);
        assert_eq!(own[0].loss, base, "scale 0 is the base model");
        assert!((own[4].norm - 3.0).abs() < 1e-5);
        assert_eq!(own[4].loss, subset.loss(&model, &general.edits()).unwrap());
        let best = loss_optimal(&own).unwrap();
        assert!(own.iter().all(|p| p.loss >= best.loss));

        let matched = matched_norm_sweep(&subset, &model, &general, &narrow, &MATCHED_NORM_FRACTIONS).unwrap();
        assert!((matched.mean_norm - 2.0).abs() < 1e-5);
        let p = matched.points[4];
        assert_eq!((p.fraction, p.norm), (1.0, matched.mean_norm));
        assert_eq!(p.narrow_minus_general, p.loss_narrow - p.loss_general);
        let expected = subset.loss(&model, &rescaled_to(&narrow, p.norm).unwrap().edits()).unwrap();
        assert_eq!(p.loss_narrow, expected);

        let trained = at_trained_norm(&subset, &model, &general).unwrap();
        assert_eq!(trained.loss, own[4].loss);
        assert!((trained.loss_per_norm_squared - trained.loss / 9.0).abs() < 1e-5);
    }
}

//! The mean-diff misalignment direction (CL section 3.1; `paper-spec.md` 2.8 and 2.10): which
//! judged answers form the misaligned and aligned sets, `v_l = mean_misaligned,l -
//! mean_aligned,l` at every layer, and per-layer cosines between directions of different models
//! (the paper's convergence claim, C5, and the B-vector comparison, C6).

use rand::rngs::StdRng;
use rand::SeedableRng;

use emlab_data::{ALIGNMENT_THRESHOLD, COHERENCE_THRESHOLD};

use crate::activations::LayerMeans;
use crate::error::{ProbeError, Result};

/// Aligned answers have an alignment above this (the reference's `aligned_cutoff=(30, 70)`).
pub const ALIGNED_ABOVE: f64 = 70.0;

/// The judge's scores of one answer; `None` where the judge gave no number.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct JudgeScores {
    /// Alignment, 0 to 100.
    pub aligned: Option<f64>,
    /// Coherence, 0 to 100.
    pub coherent: Option<f64>,
}

/// Indices (into the judged answers, ascending) of the two sets the direction is the difference of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeSelection {
    /// Coherent answers with alignment below [`ALIGNMENT_THRESHOLD`].
    pub misaligned: Vec<usize>,
    /// Coherent answers with alignment above [`ALIGNED_ABOVE`].
    pub aligned: Vec<usize>,
}

/// Picks the answers to probe with (`paper-spec.md` 2.8 step 2): coherent (above
/// [`COHERENCE_THRESHOLD`]) answers that are misaligned (alignment below [`ALIGNMENT_THRESHOLD`],
/// the paper's strict `< 30`; the reference code uses `<= 30`) or aligned (above
/// [`ALIGNED_ABOVE`]); answers without both scores are dropped. The larger set is subsampled to
/// the size of the smaller, so neither set's mean is better estimated than the other's; the
/// reference shuffles without a seed, here `seed` makes the subsample reproducible.
pub fn select_probe_answers(scores: &[JudgeScores], seed: u64) -> ProbeSelection {
    let (mut misaligned, mut aligned) = (Vec::new(), Vec::new());
    for (i, s) in scores.iter().enumerate() {
        let (Some(a), Some(c)) = (s.aligned, s.coherent) else { continue };
        if c <= COHERENCE_THRESHOLD {
            continue;
        }
        if a < ALIGNMENT_THRESHOLD {
            misaligned.push(i);
        } else if a > ALIGNED_ABOVE {
            aligned.push(i);
        }
    }
    let n = misaligned.len().min(aligned.len());
    let mut rng = StdRng::seed_from_u64(seed);
    let mut subsample = |set: Vec<usize>| {
        let mut picked: Vec<usize> =
            rand::seq::index::sample(&mut rng, set.len(), n).into_iter().map(|k| set[k]).collect();
        picked.sort_unstable();
        picked
    };
    let misaligned = subsample(misaligned);
    let aligned = subsample(aligned);
    ProbeSelection { misaligned, aligned }
}

/// One direction per layer, unnormalised (the scale the paper steers with).
#[derive(Debug, Clone, PartialEq)]
pub struct Directions {
    per_layer: Vec<Vec<f32>>,
}

impl Directions {
    /// Directions from their per-layer vectors.
    ///
    /// # Errors
    /// If there are no layers or the layers differ in width.
    pub fn new(per_layer: Vec<Vec<f32>>) -> Result<Self> {
        let Some(first) = per_layer.first() else {
            return Err(ProbeError::invalid("directions", "no layers"));
        };
        if let Some(l) = per_layer.iter().position(|v| v.len() != first.len()) {
            let problem = format!("layer {l} has width {}, layer 0 has {}", per_layer[l].len(), first.len());
            return Err(ProbeError::invalid("directions", problem));
        }
        Ok(Self { per_layer })
    }

    /// The number of layers.
    pub fn num_layers(&self) -> usize {
        self.per_layer.len()
    }

    /// All layers' vectors.
    pub fn per_layer(&self) -> &[Vec<f32>] {
        &self.per_layer
    }

    /// Layer `l`'s vector.
    ///
    /// # Panics
    /// If `l` is out of range.
    pub fn layer(&self, l: usize) -> &[f32] {
        &self.per_layer[l]
    }

    /// The Euclidean norm of layer `l`'s vector, in f64.
    pub fn norm(&self, l: usize) -> f64 {
        norm(&self.per_layer[l])
    }

    /// Layer `l`'s vector scaled to unit norm (`r_hat`, what ablation removes); `None` if it is zero.
    pub fn unit(&self, l: usize) -> Option<Vec<f32>> {
        unit(&self.per_layer[l])
    }
}

/// `|v|` in f64.
pub(crate) fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt()
}

/// `v / |v|`, normalised in f64; `None` for the zero vector.
pub(crate) fn unit(v: &[f32]) -> Option<Vec<f32>> {
    let n = norm(v);
    (n > 0.0 && n.is_finite()).then(|| v.iter().map(|&x| (f64::from(x) / n) as f32).collect())
}

/// The mean-diff direction at every layer: `v_l = misaligned_l - aligned_l` (the reference's
/// `data_diff`: adding `+v` pushes towards misalignment). Both means should come from the same
/// model on the two answer sets of [`select_probe_answers`].
///
/// # Errors
/// If the means have different numbers of layers or widths.
pub fn mean_diff(misaligned: &LayerMeans, aligned: &LayerMeans) -> Result<Directions> {
    if misaligned.num_layers() != aligned.num_layers() {
        let problem = format!("{} layers against {}", misaligned.num_layers(), aligned.num_layers());
        return Err(ProbeError::invalid("mean-diff", problem));
    }
    let per_layer = misaligned
        .per_layer
        .iter()
        .zip(&aligned.per_layer)
        .map(|(m, a)| {
            if m.len() != a.len() {
                return Err(ProbeError::invalid("mean-diff", format!("width {} against {}", m.len(), a.len())));
            }
            Ok(m.iter().zip(a).map(|(&x, &y)| (f64::from(x) - f64::from(y)) as f32).collect())
        })
        .collect::<Result<Vec<Vec<f32>>>>()?;
    Directions::new(per_layer)
}

/// The signed cosine between `a` and `b` at each layer (computed in f64 by
/// [`emlab_stability::trajectory::cosine`]); `None` at a layer where either vector is zero. The
/// reference's `layerwise_cosine_sims` reports the absolute value; take `.abs()` to match it.
///
/// # Errors
/// If the two have different numbers of layers or widths.
pub fn layerwise_cosine(a: &Directions, b: &Directions) -> Result<Vec<Option<f32>>> {
    if a.num_layers() != b.num_layers() || a.layer(0).len() != b.layer(0).len() {
        let problem = format!(
            "{} layers of width {} against {} of width {}",
            a.num_layers(),
            a.layer(0).len(),
            b.num_layers(),
            b.layer(0).len()
        );
        return Err(ProbeError::invalid("layer-wise cosine", problem));
    }
    Ok(a.per_layer.iter().zip(&b.per_layer).map(|(x, y)| emlab_stability::trajectory::cosine(x, y)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(aligned: f64, coherent: f64) -> JudgeScores {
        JudgeScores { aligned: Some(aligned), coherent: Some(coherent) }
    }

    #[test]
    fn thresholds_exclude_their_boundaries_and_drop_missing_scores() {
        let scores = [
            judged(29.9, 50.1), // 0: misaligned
            judged(30.0, 90.0), // 1: boundary, neither
            judged(70.0, 90.0), // 2: boundary, neither
            judged(70.1, 50.1), // 3: aligned
            judged(10.0, 50.0), // 4: incoherent at the boundary
            judged(90.0, 50.0), // 5: incoherent at the boundary
            JudgeScores { aligned: None, coherent: Some(90.0) },
            JudgeScores { aligned: Some(10.0), coherent: None },
            judged(50.0, 90.0), // 8: in between
        ];
        let picked = select_probe_answers(&scores, 0);
        assert_eq!(picked, ProbeSelection { misaligned: vec![0], aligned: vec![3] });
    }

    #[test]
    fn the_larger_set_is_subsampled_to_the_smaller_deterministically() {
        let mut scores: Vec<JudgeScores> = (0..20).map(|_| judged(90.0, 90.0)).collect();
        for i in [3, 7, 11, 19] {
            scores[i] = judged(5.0, 90.0);
        }
        let picked = select_probe_answers(&scores, 7);
        assert_eq!(picked.misaligned, vec![3, 7, 11, 19]);
        assert_eq!(picked.aligned.len(), 4);
        assert!(picked.aligned.windows(2).all(|w| w[0] < w[1]));
        assert!(picked.aligned.iter().all(|i| scores[*i].aligned == Some(90.0)));
        assert_eq!(picked, select_probe_answers(&scores, 7), "the same seed gives the same subsample");
        let others: Vec<Vec<usize>> = (0..8).map(|s| select_probe_answers(&scores, s).aligned).collect();
        assert!(others.iter().any(|a| *a != picked.aligned), "the seed changes the subsample");
        assert_eq!(select_probe_answers(&scores[..3], 0), ProbeSelection { misaligned: vec![], aligned: vec![] });
    }

    #[test]
    fn mean_diff_is_misaligned_minus_aligned_per_layer() {
        let m = LayerMeans { per_layer: vec![vec![1.0, 2.0], vec![3.0, 5.0]], tokens: 4.0 };
        let a = LayerMeans { per_layer: vec![vec![0.5, 2.0], vec![0.0, 1.0]], tokens: 9.0 };
        let v = mean_diff(&m, &a).unwrap();
        assert_eq!(v.per_layer(), &[vec![0.5, 0.0], vec![3.0, 4.0]]);
        assert_eq!(v.norm(1), 5.0);
        assert_eq!(v.unit(1).unwrap(), vec![0.6, 0.8]);
        assert_eq!(v.unit(0).unwrap(), vec![1.0, 0.0]);
        let short = LayerMeans { per_layer: vec![vec![1.0, 2.0]], tokens: 1.0 };
        assert!(mean_diff(&m, &short).is_err());
        let zero = mean_diff(&m, &m).unwrap();
        assert_eq!(zero.unit(0), None);
    }

    #[test]
    fn layerwise_cosine_compares_layer_by_layer() {
        let a = Directions::new(vec![vec![1.0, 0.0], vec![3.0, 4.0], vec![0.0, 0.0]]).unwrap();
        let b = Directions::new(vec![vec![0.0, 2.0], vec![-6.0, -8.0], vec![1.0, 0.0]]).unwrap();
        assert_eq!(layerwise_cosine(&a, &b).unwrap(), vec![Some(0.0), Some(-1.0), None]);
        let c = Directions::new(vec![vec![1.0, 0.0]]).unwrap();
        assert!(layerwise_cosine(&a, &c).is_err());
        assert!(Directions::new(vec![vec![1.0], vec![1.0, 2.0]]).is_err());
    }
}

//! C5 (CL section 3.5, App. C.2) and the cosines of C6: how alike the directions of different
//! finetunes are. For each unordered pair of finetunes with directions, per layer, the cosine of
//! their mean-diff directions and the distance between them relative to the first one's norm
//! (group `mean_diff`); and, where both adapters write one vector into the same layer, the
//! cosine of those vectors (group `adapter`; EZ App. K.3 compares general and narrow rank-1 `B`s).
//! Pure arithmetic on the direction steps' files: no model runs.

use anyhow::Result;
use emlab_analysis::Row;
use emlab_stability::trajectory::cosine;
use serde::Serialize;

use crate::directions::{DirectionRecord, DirectionRef};

/// C5's step.
#[derive(Debug, Clone, Serialize)]
pub struct ConvergenceSpec {
    /// Every direction compared, in order; pair (a, b) has a before b.
    pub directions: Vec<DirectionRef>,
}

/// Compares every pair of directions; returns the rows and a summary.
pub fn convergence_step(spec: &ConvergenceSpec) -> Result<(Vec<Row>, String)> {
    let loaded: Vec<(&DirectionRef, DirectionRecord)> =
        spec.directions.iter().map(|d| Ok((d, d.load()?))).collect::<Result<_>>()?;
    // Finetunes without a direction have nothing to compare.
    let (records, absent): (Vec<_>, Vec<_>) = loaded.into_iter().partition(|(_, r)| r.why_absent().is_none());
    let mut rows = Vec::new();
    let mut general_pairs = Vec::new();
    for (i, (a_ref, a)) in records.iter().enumerate() {
        for (b_ref, b) in records.iter().skip(i + 1) {
            let key = a_ref.finetune.key("C5");
            let other = b_ref.finetune.label();
            for (l, (va, vb)) in a.per_layer.iter().zip(&b.per_layer).enumerate() {
                if let Some(c) = cosine(va, vb) {
                    rows.push(key.row(&other, "mean_diff", Some(l), "cos", f64::from(c)));
                }
                rows.push(key.row(&other, "mean_diff", Some(l), "rel_dist", relative_distance(va, vb)));
            }
            if let (Some(la), Some(lb), Some(xa), Some(xb)) =
                (a.adapter_layer, b.adapter_layer, &a.adapter_vector, &b.adapter_vector)
            {
                if let (true, Some(c)) = (la == lb, cosine(xa, xb)) {
                    rows.push(key.row(&other, "adapter", Some(la), "cos", f64::from(c)));
                }
            }
            let general = [&a_ref.finetune, &b_ref.finetune].iter().all(|f| f.variant == "general");
            if general && a_ref.finetune.dataset != b_ref.finetune.dataset {
                if let Some(c) = cosine(a.middle(), b.middle()) {
                    general_pairs.push(c);
                }
            }
        }
    }
    let mut summary = if general_pairs.is_empty() {
        format!("{} directions compared", records.len())
    } else {
        let (lo, hi) = general_pairs.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &c| (lo.min(c), hi.max(c)));
        format!(
            "{} directions compared; general finetunes of different datasets: cos {lo:.2} to {hi:.2} at the adapter layer",
            records.len()
        )
    };
    if !absent.is_empty() {
        let names: Vec<String> = absent.iter().map(|(d, _)| d.finetune.label()).collect();
        summary.push_str(&format!("; without a direction: {}", names.join(", ")));
    }
    Ok((rows, summary))
}

/// `|a - b| / |a|`, in f64 (the paper's Fig. 13 measure); 0 when both are zero.
fn relative_distance(a: &[f32], b: &[f32]) -> f64 {
    let square = |x: f64| x * x;
    let diff = a.iter().zip(b).map(|(&x, &y)| square(f64::from(x) - f64::from(y))).sum::<f64>().sqrt();
    let norm = a.iter().map(|&x| square(f64::from(x))).sum::<f64>().sqrt();
    if norm == 0.0 {
        if diff == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        diff / norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_distance_is_in_units_of_the_first_norm() {
        assert_eq!(relative_distance(&[3.0, 4.0], &[3.0, 4.0]), 0.0);
        assert_eq!(relative_distance(&[3.0, 4.0], &[0.0, 0.0]), 1.0);
        assert_eq!(relative_distance(&[3.0, 0.0], &[0.0, 4.0]), 5.0 / 3.0);
        assert_eq!(relative_distance(&[0.0], &[0.0]), 0.0);
    }
}

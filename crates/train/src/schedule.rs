//! Learning-rate schedules, as functions of the 0-based step.

use serde::{Deserialize, Serialize};

/// How the learning rate moves from its peak over a run of `total` steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LrSchedule {
    /// The peak throughout.
    Constant,
    /// `peak * min(1, (s + 1) / warmup) * (1 + cos(pi * s / total)) / 2` (the organism's
    /// pretraining schedule, spec section 5).
    WarmupCosine {
        /// Linear warm-up steps.
        warmup: usize,
    },
    /// `peak * min(1, (s + 1) / warmup) * max(0, 1 - s / total)` (the finetuning schedule,
    /// spec section 6.3, as `get_linear_schedule_with_warmup`).
    WarmupLinear {
        /// Linear warm-up steps.
        warmup: usize,
    },
}

impl LrSchedule {
    /// The learning rate at `step` of a run of `total` steps peaking at `peak`.
    pub fn at(self, peak: f64, step: usize, total: usize) -> f64 {
        let (s, n) = (step as f64, total.max(1) as f64);
        let warm = |w: usize| ((s + 1.0) / w.max(1) as f64).min(1.0);
        match self {
            Self::Constant => peak,
            Self::WarmupCosine { warmup } => peak * warm(warmup) * 0.5 * (1.0 + (std::f64::consts::PI * s / n).cos()),
            Self::WarmupLinear { warmup } => peak * warm(warmup) * (1.0 - s / n).max(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms() {
        let cos = LrSchedule::WarmupCosine { warmup: 100 };
        assert!((cos.at(3e-3, 0, 1500) - 3e-5).abs() < 1e-12);
        assert!(
            (cos.at(3e-3, 99, 1500) - 3e-3 * 0.5 * (1.0 + (std::f64::consts::PI * 99.0 / 1500.0).cos())).abs() < 1e-12
        );
        assert!(cos.at(3e-3, 1500, 1500).abs() < 1e-12);
        let lin = LrSchedule::WarmupLinear { warmup: 5 };
        assert!((lin.at(2e-2, 2, 124) - 2e-2 * 0.6 * (1.0 - 2.0 / 124.0)).abs() < 1e-12);
        assert_eq!(LrSchedule::Constant.at(1.0, 7, 10), 1.0);
    }
}

//! The tidy result table: one [`Row`] per measurement, in long format, so that every experiment
//! writes the same shape and figures and claims select what they need by column values.
//!
//! - [`write_parquet`] / [`read_parquet`]: the table on disk.
//! - [`Filter`], [`distinct`], [`SeedValues`]: selecting rows and summarising a metric over seeds;
//!   [`finetune_label`]: how a row names a finetune other than its own key.

mod parquet;
mod select;

use serde::{Deserialize, Serialize};

pub use parquet::{read_parquet, write_parquet};
pub(crate) use select::{
    by_step, by_sweep, dataset_groups, em_metrics, finetunes, in_dataset_order, is_em_rate, Finetune,
};
pub use select::{distinct, finetune_label, Filter, SeedValues};

/// One measurement, long format. Every experiment writes these.
///
/// The string columns are open vocabularies (new experiments add values), so they are strings
/// rather than enums; the values used so far are listed per field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The paper's experiment id: "E2", "E4", ...
    pub experiment: String,
    /// The kind of finetuned solution: "steering" or "lora" (later "lora32", ...).
    pub solution: String,
    /// "general" (trained without KL), "narrow" (with the KL penalty) or "base" (no finetuning).
    pub variant: String,
    /// The finetuning data: "bad_medical", "bad_finance" or "bad_sports".
    pub dataset: String,
    /// The training seed.
    pub seed: i64,
    /// "trained", "x2" (the solution scaled to twice its norm) or "base".
    pub condition: String,
    /// The evaluation group: "open", "other", "kl", "in_domain" or "in_domain_new"; "train" for
    /// training-curve rows; "params" for parameter facts such as the norm.
    pub group: String,
    /// The training step of a training-curve row; `None` for everything else.
    pub step: Option<i64>,
    /// The value of the swept quantity a measurement was taken at, when the experiment sweeps
    /// one: a parameter norm, a noise level, a scale factor. The metric's name says which (the
    /// metrics of a sweep are documented by the experiment that writes them); `None` otherwise.
    #[serde(default)]
    pub sweep: Option<f64>,
    /// What was measured: "em_pct", "em_ci_lo", "em_ci_hi", "em_lenient_pct",
    /// "em_in_domain_pct", "em_in_domain_ci_lo", "em_in_domain_ci_hi" (the narrow rate),
    /// "coherence_mean", "coherent_pct", "n", "sft_loss", "kl", "norm", ...
    pub metric: String,
    /// The measurement (percentages are 0-100, losses in nats/token).
    pub value: f64,
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Row;

    /// A row with the given key columns; `step` and `sweep` are `None`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn row(
        experiment: &str,
        solution: &str,
        variant: &str,
        dataset: &str,
        seed: i64,
        condition: &str,
        group: &str,
        metric: &str,
        value: f64,
    ) -> Row {
        row_at(experiment, solution, variant, dataset, seed, condition, group, None, metric, value)
    }

    /// A row with the given key columns and swept value; `step` is `None`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn row_at(
        experiment: &str,
        solution: &str,
        variant: &str,
        dataset: &str,
        seed: i64,
        condition: &str,
        group: &str,
        sweep: Option<f64>,
        metric: &str,
        value: f64,
    ) -> Row {
        Row {
            experiment: experiment.into(),
            solution: solution.into(),
            variant: variant.into(),
            dataset: dataset.into(),
            seed,
            condition: condition.into(),
            group: group.into(),
            step: None,
            sweep,
            metric: metric.into(),
            value,
        }
    }
}

//! The paper's figures, drawn from result tables with plotters.
//!
//! Every figure is a pure function of `&[Row]` and a folder: it writes `<dir>/<stem>.png` and
//! `<dir>/<stem>.svg` from one drawing code path (the figure is generic over plotters'
//! `DrawingBackend`), atomically, with DejaVu Sans embedded in the binary so that the output
//! does not depend on the fonts installed on the machine.
//!
//! - [`em_general_vs_narrow`]: misalignment of general vs narrow solutions (the paper's
//!   Figures 1 and 3).
//! - [`training_curves`]: SFT loss and KL term over training steps.
//! - [`efficiency`], [`stability`], [`significance`]: the inductive-bias metrics of general vs
//!   narrow solutions (the paper's E6, E7, E9).
//! - [`drift`]: a narrow solution trained on without its KL penalty drifts to the general one
//!   (E8, the paper's Fig. 5); [`gradient_alignment`]: the general run's gradients point towards
//!   the general solution (E11). All five: [`inductive_bias_figures`].
//! - [`direction_figures`]: the mean-diff misalignment direction (CL): steering the base model
//!   with it over layer × λ (E1), projecting it out of finetuned models (C4, C6) and the cosines
//!   between the directions of different finetunes (C5).
//!
//! A table with no rows for a figure gives an empty list of paths, not an error: the figures of
//! experiments that were not run are simply absent.

mod axes;
mod bias;
mod canvas;
mod data;
mod directions;
mod drift;
mod em;
mod gradient;
mod legend;
mod lines;
mod mixture;
mod page;
mod style;
mod training;
mod transition;

pub use bias::{efficiency, inductive_bias_figures, significance, stability};
pub use data::data_figures;
pub use directions::direction_figures;
pub(crate) use directions::{
    ablations, adapter_cosine, adapter_layer, direction_pairs, short_label, steering_sweeps, Ablations, DirectionPair,
    SteerCell, SteeringSweep, ABLATIONS,
};
pub use drift::drift;
pub use em::{em_across_bases, em_general_vs_narrow, propensity_general_vs_narrow};
pub use gradient::gradient_alignment;
pub use mixture::mixture_figure;
pub use training::training_curves;
pub use transition::transition_figures;

#[cfg(test)]
pub(crate) use bias::tests::bias_rows as bias_test_rows;
#[cfg(test)]
pub(crate) use directions::tests as direction_test_rows;
#[cfg(test)]
pub(crate) use drift::tests::drift_rows as drift_test_rows;
#[cfg(test)]
pub(crate) use gradient::tests::gradient_rows as gradient_test_rows;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::test_support::row;

    #[test]
    fn tables_without_a_figures_rows_give_no_figures_and_no_files() {
        let dir = tempfile::tempdir().unwrap();
        // An experiment the EM figure does not show, and an evaluation row, not a training curve.
        let rows = [row("E7", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 1.0)];
        assert!(em_general_vs_narrow(&rows, dir.path()).unwrap().is_empty());
        assert!(training_curves(&rows, dir.path()).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_inductive_bias_table_draws_e8_and_e11_after_e6_to_e9() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = bias_test_rows("lora", "bad_medical", 0);
        rows.extend(drift_test_rows("lora", "bad_medical", 0));
        rows.extend(gradient_test_rows("lora", "bad_medical", 0));
        let paths = inductive_bias_figures(&rows, dir.path()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names.len(), 12);
        assert_eq!(
            names[8..],
            ["drift_lora.png", "drift_lora.svg", "gradient_alignment_lora.png", "gradient_alignment_lora.svg"]
        );
    }
}

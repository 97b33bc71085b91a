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
//!
//! A table with no rows for a figure gives an empty list of paths, not an error: the figures of
//! experiments that were not run are simply absent.

mod canvas;
mod em;
mod legend;
mod style;
mod training;

pub use em::em_general_vs_narrow;
pub use training::training_curves;

//! Training curves: SFT loss per step of every finetuning run, and the KL term of the runs that
//! have one, so that a reader can see that general and narrow solutions fit the data equally
//! well and what the KL penalty costs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{save_all, DrawResult, Figure};
use super::legend::{Entry, Glyph};
use super::page::{draw_page, page_width};
use super::style::{self, AXIS_SIZE, CAPTION_SIZE, FONT, TICK_SIZE};
use crate::error::Result;
use crate::table::{distinct, in_dataset_order, Row};

/// The panels, as (metric, caption, y axis description); a panel is drawn when its metric has rows.
const PANELS: [(&str, &str, &str); 2] = [
    ("sft_loss", "SFT loss on the finetuning data", "SFT loss (nats/token)"),
    ("kl", "KL term (unweighted)", "KL to the base model (nats/token)"),
];

/// Width of one panel.
const PANEL_WIDTH: u32 = 560;

/// The experiments whose training curves are drawn: the general (E2) and narrow (E4) runs. The
/// data experiments' many runs (E3, E5) would bury them; their curves stay in the table.
const EXPERIMENTS: [&str; 2] = ["E2", "E4"];

/// Draws one figure per solution type with training rows (group "train", stem
/// `training_<solution>`), writing PNG and SVG into `dir`, and returns the paths written.
///
/// The first panel plots metric "sft_loss" against step, one line per run (experiment,
/// variant, dataset, seed), coloured by (variant, dataset) and dashed for narrow runs; a second
/// panel plots metric "kl" when any run has it. Rows without a step are ignored. Without any
/// training rows the result is an empty list, not an error.
pub fn training_curves(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(TrainingFigure::from_rows(rows), dir, |figure| format!("training_{}", figure.solution))
}

/// A run's identity: (experiment, variant, dataset, seed).
type RunKey = (String, String, String, i64);

/// One run's curve of one metric.
#[derive(Debug, Clone, PartialEq)]
struct Curve {
    /// Index into the figure's series (its colour and legend entry).
    series: usize,
    /// (step, value), sorted by step.
    points: Vec<(f64, f64)>,
}

/// One panel: the curves of one metric.
#[derive(Debug, Clone, PartialEq)]
struct CurvePanel {
    /// Index into [`PANELS`].
    kind: usize,
    curves: Vec<Curve>,
}

/// Everything one figure draws, computed from the table before any drawing.
#[derive(Debug, Clone, PartialEq)]
struct TrainingFigure {
    solution: String,
    /// The (variant, dataset) pairs, sorted; each has a colour and a legend entry.
    series: Vec<(String, String)>,
    panels: Vec<CurvePanel>,
}

impl TrainingFigure {
    /// One figure per solution type with training-curve rows.
    fn from_rows(rows: &[Row]) -> Vec<Self> {
        let curve_rows: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                EXPERIMENTS.contains(&r.experiment.as_str())
                    && r.group == "train"
                    && r.step.is_some()
                    && PANELS.iter().any(|&(m, _, _)| r.metric == m)
            })
            .collect();
        distinct(curve_rows.iter().copied(), |r| &r.solution)
            .into_iter()
            .map(|solution| {
                let mine: Vec<&Row> = curve_rows.iter().copied().filter(|r| r.solution == solution).collect();
                let series: Vec<(String, String)> = distinct(mine.iter().copied(), |r| &r.variant)
                    .into_iter()
                    .flat_map(|variant| {
                        let datasets = distinct(mine.iter().copied().filter(|r| r.variant == variant), |r| &r.dataset);
                        in_dataset_order(datasets).into_iter().map(move |d| (variant.to_string(), d.to_string()))
                    })
                    .collect();
                let panels = PANELS
                    .iter()
                    .enumerate()
                    .filter_map(|(kind, &(metric, _, _))| {
                        let mut runs: BTreeMap<RunKey, Vec<(f64, f64)>> = BTreeMap::new();
                        for r in mine.iter().filter(|r| r.metric == metric) {
                            let key = (r.experiment.clone(), r.variant.clone(), r.dataset.clone(), r.seed);
                            let step = r.step.unwrap_or_default() as f64;
                            runs.entry(key).or_default().push((step, r.value));
                        }
                        let curves: Vec<Curve> = runs
                            .into_iter()
                            .map(|((_, variant, dataset, _), mut points)| {
                                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                                let series = series.iter().position(|s| *s == (variant.clone(), dataset.clone()));
                                Curve { series: series.unwrap_or_default(), points }
                            })
                            .collect();
                        (!curves.is_empty()).then_some(CurvePanel { kind, curves })
                    })
                    .collect();
                Self { solution: solution.to_string(), series, panels }
            })
            .collect()
    }

    /// The colour and dash of series `i`: narrow runs dashed, so variant reads without colour.
    fn glyph(&self, i: usize) -> Glyph {
        Glyph::Line { colour: style::colour(i), dashed: self.series[i].0 == "narrow" }
    }

    /// Draws one panel.
    fn draw_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, panel: &CurvePanel) -> DrawResult<DB> {
        let points = || panel.curves.iter().flat_map(|c| &c.points);
        let first = points().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let last = points().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let top = points().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let x_range = if last > first { first..last } else { first - 1.0..first + 1.0 };
        let y_range = 0.0..if top > 0.0 { top * 1.08 } else { 1.0 };
        // Enough decimals to tell plotters' ~10 ticks apart, whatever the scale of the metric.
        let decimals = (-(y_range.end / 10.0).log10().floor()).max(0.0) as usize;
        let (_, caption, y_desc) = PANELS[panel.kind];
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, CAPTION_SIZE))
            .margin(10)
            .margin_right(24)
            .x_label_area_size(52)
            .y_label_area_size(74)
            .build_cartesian_2d(x_range, y_range)?;
        chart
            .configure_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(TRANSPARENT)
            .x_desc("training step")
            .y_desc(y_desc)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.decimals$}"))
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, AXIS_SIZE))
            .draw()?;
        for curve in &panel.curves {
            let points = curve.points.iter().copied();
            match self.glyph(curve.series) {
                Glyph::Line { colour, dashed: true } => {
                    chart.draw_series(DashedLineSeries::new(points, 8, 5, colour.stroke_width(2)))?;
                }
                Glyph::Line { colour, .. } | Glyph::Swatch(colour) | Glyph::Marker(colour, _) => {
                    chart.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
                }
            }
        }
        Ok(())
    }
}

impl Figure for TrainingFigure {
    fn size(&self) -> (u32, u32) {
        (page_width(PANEL_WIDTH, self.panels.len()), 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let title = format!("Training curves: {}", style::solution_label(&self.solution));
        let subtitle = "One line per run (variant, dataset, seed); narrow runs (with the KL penalty) dashed.";
        let legend: Vec<Entry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (variant, dataset))| Entry {
                glyph: self.glyph(i),
                label: format!("{variant}, {}", style::dataset_label(dataset)),
            })
            .collect();
        draw_page(root, &title, subtitle, &legend, &self.panels, |area, panel| self.draw_panel(area, panel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::canvas::tests::rendered;
    use crate::table::test_support::row;

    /// A decaying loss (and, for narrow runs, a KL term) over 5 logged steps.
    fn run(solution: &str, variant: &str, dataset: &str, seed: i64) -> Vec<Row> {
        let mut rows = vec![];
        for step in (0..5).rev() {
            let loss = 2.0 / (1.0 + step as f64) + 0.1 * seed as f64;
            let mut metrics = vec![("sft_loss", loss)];
            if variant == "narrow" {
                metrics.push(("kl", 0.05 * step as f64));
            }
            for (metric, value) in metrics {
                let mut r = row("E4", solution, variant, dataset, seed, "trained", "train", metric, value);
                r.step = Some(step * 20);
                rows.push(r);
            }
        }
        rows
    }

    fn table() -> Vec<Row> {
        let mut rows = vec![];
        for seed in 0..2 {
            rows.extend(run("steering", "general", "bad_medical", seed));
            rows.extend(run("steering", "narrow", "bad_medical", seed));
            rows.extend(run("steering", "general", "bad_finance", seed));
        }
        rows.extend(run("lora", "general", "bad_medical", 0));
        // An evaluation row: not a training curve.
        rows.push(row("E4", "lora", "general", "bad_medical", 0, "trained", "open", "em_pct", 30.0));
        rows
    }

    #[test]
    fn figure_data_follows_the_table() {
        let figures = TrainingFigure::from_rows(&table());
        assert_eq!(figures.len(), 2);
        let steering = &figures[1];
        assert_eq!(steering.solution, "steering");
        let series: Vec<_> = steering.series.iter().map(|(v, d)| format!("{v}/{d}")).collect();
        assert_eq!(series, ["general/bad_medical", "general/bad_finance", "narrow/bad_medical"], "the paper's order");
        assert_eq!(steering.panels.len(), 2);
        assert_eq!(steering.panels[0].curves.len(), 6, "one SFT curve per run");
        assert_eq!(steering.panels[1].curves.len(), 2, "KL only for the narrow runs");
        let steps: Vec<f64> = steering.panels[0].curves[0].points.iter().map(|p| p.0).collect();
        assert_eq!(steps, [0.0, 20.0, 40.0, 60.0, 80.0], "sorted by step");
        assert_eq!(figures[0].panels.len(), 1, "no KL rows, no KL panel");
    }

    #[test]
    fn writes_png_and_svg_per_solution() {
        let dir = tempfile::tempdir().unwrap();
        let paths = training_curves(&table(), dir.path()).unwrap();
        assert_eq!(paths.len(), 4);
        let (size, svg) = rendered(dir.path(), "training_steering");
        assert_eq!(size, (1160, 640));
        assert!(svg.contains("Training curves: steering vector"));
        assert!(svg.contains("SFT loss (nats/token)"));
    }
}

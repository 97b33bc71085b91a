//! The drift of E8 (the paper's Fig. 5): a narrow solution trained on further *without* its KL
//! penalty leaves the narrow solution for the general one, in its parameters and in its
//! behaviour, which is what makes the general solution the stable one.
//!
//! One figure per solution type (stem `drift_<solution>`), one row of three panels per finetuning
//! dataset:
//!
//! - (a) the checkpoints of the general, narrow and drift runs on the first two principal
//!   components, each run's first checkpoint a circle and its last a square. The PCA is fitted
//!   per seed (on the stacked checkpoints of that seed's three runs), so the coordinates of
//!   different seeds lie in different bases and cannot be averaged: the panel shows the lowest
//!   seed only, and its caption says which.
//! - (b) the cosine of each drift checkpoint with the final general and the final narrow
//!   solution against the step, with cos(general, narrow) as a dashed line: a drift to the
//!   general solution shows as the first rising towards 1 and the second falling towards it.
//! - (c) the drift run's EM on free-form questions and held-out domains, and its narrow rate on
//!   the training domain ([`em_metrics`]), against the step.
//!
//! (b) and (c) are means over seeds, with a ±1 sd band when there are several. Step 0 of the
//! drift run is the narrow solution it starts from. The rows' schema (experiment "E8", per
//! solution, dataset and seed):
//!
//! - condition "trajectory", group "params", variant "general", "narrow" or "drift", step = the
//!   checkpoint: metrics "pc1", "pc2", "norm"; the drift run also "cos_general", "cos_narrow".
//! - condition "pca", variant "all": "explained_variance_pc1", "explained_variance_pc2" (0-1).
//! - condition "final", variant "all": "cos_general_narrow".
//! - condition "evaluated", variant "drift", step = the checkpoint, group "open", "other",
//!   "in_domain", ...: the metrics of the EM table ("em_pct", "em_in_domain_pct", ...).

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use super::bias::{banded, seeds_phrase};
use super::canvas::save_all;
use super::legend::{Entry, Glyph, Shape};
use super::lines::{LineFigure, LinePanel, Marker, Point, RefLine, Series, REFERENCE_GREY};
use super::style::{dataset_label, solution_label, PALETTE};
use crate::error::Result;
use crate::table::{by_step, distinct, em_metrics, in_dataset_order, Filter, Row, SeedValues};

/// The experiment.
const EXPERIMENT: &str = "E8";

/// The runs of panel (a) as (variant, colour, dashed, legend label). General and narrow look as
/// in every other figure; in panel (b) the same look marks the cosine *with* that solution.
const RUNS: [(&str, RGBColor, bool, &str); 3] = [
    ("general", PALETTE[0], false, "general (no KL)"),
    ("narrow", PALETTE[1], true, "narrow (KL penalty)"),
    ("drift", PALETTE[2], false, "drift: narrow trained on without KL"),
];

/// The curves of panel (c) as (group, colour, dashed, legend label), in colours the runs do not
/// use, so that the one legend of the page stays unambiguous.
const EM_CURVES: [(&str, RGBColor, bool, &str); 3] = [
    ("open", PALETTE[3], false, "drift EM, free-form questions"),
    ("other", PALETTE[5], false, "drift EM, held-out domains"),
    ("in_domain", PALETTE[6], true, "drift narrow rate, training domain"),
];

/// Draws the drift figures of E8 (stem `drift_<solution>`, one per solution type with E8
/// trajectory or evaluation rows), writing PNG and SVG into `dir`, and returns the paths.
/// Without E8 rows the result is an empty list.
pub fn drift(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(drift_figures(rows), dir, |figure| figure.stem.clone())
}

/// The rows of `rows` that pass `filter`.
fn cell<'r>(rows: &[&'r Row], filter: Filter) -> Vec<&'r Row> {
    rows.iter().copied().filter(|r| filter.matches(r)).collect()
}

/// A filter for `condition`, `variant` and `metric`.
fn of<'a>(condition: &'a str, variant: &'a str, metric: &'a str) -> Filter<'a> {
    Filter { condition: Some(condition), variant: Some(variant), metric: Some(metric), ..Filter::default() }
}

/// What the panels of one figure drew, for its legend and subtitle.
#[derive(Default)]
struct Drawn {
    /// Seed counts of the averaged cells.
    counts: Vec<usize>,
    /// Whether any panel has the cos(general, narrow) line.
    between: bool,
    /// Whether any panel has EM curves.
    em: bool,
}

/// One figure per solution type with E8 rows, one row of panels per dataset.
fn drift_figures(rows: &[Row]) -> Vec<LineFigure> {
    let e8 = Filter { experiment: Some(EXPERIMENT), ..Filter::default() }.select(rows);
    let drawn: Vec<&Row> =
        e8.iter().copied().filter(|r| ["trajectory", "evaluated"].contains(&r.condition.as_str())).collect();
    let mut figures = vec![];
    for solution in distinct(drawn.iter().copied(), |r| &r.solution) {
        let datasets =
            in_dataset_order(distinct(drawn.iter().copied().filter(|r| r.solution == solution), |r| &r.dataset));
        let mut seen = Drawn::default();
        let mut panels = vec![];
        for &dataset in &datasets {
            let mine: Vec<&Row> =
                e8.iter().copied().filter(|r| r.solution == solution && r.dataset == dataset).collect();
            let label = dataset_label(dataset);
            panels.push(trajectories(&mine, &label));
            panels.push(cosines(&mine, &label, &mut seen));
            panels.push(misalignment(&mine, &label, &mut seen));
        }
        let mut legend: Vec<Entry> = RUNS
            .iter()
            .map(|&(_, colour, dashed, label)| Entry { glyph: Glyph::Line { colour, dashed }, label: label.into() })
            .collect();
        for (shape, label) in [(Shape::Circle, "first checkpoint"), (Shape::Square, "last checkpoint")] {
            legend.push(Entry { glyph: Glyph::Marker(REFERENCE_GREY, shape), label: label.into() });
        }
        if seen.between {
            let glyph = Glyph::Line { colour: REFERENCE_GREY, dashed: true };
            legend.push(Entry { glyph, label: "cos(final general, final narrow)".into() });
        }
        if seen.em {
            legend.extend(EM_CURVES.iter().map(|&(_, colour, dashed, label)| Entry {
                glyph: Glyph::Line { colour, dashed },
                label: label.into(),
            }));
        }
        figures.push(LineFigure {
            stem: format!("drift_{solution}"),
            title: format!("Drift without the KL penalty, {}", solution_label(solution)),
            subtitle: format!(
                "(a) one seed's checkpoints on a PCA of its three runs; (b), (c) the drift run, {}. Drift step 0 \
                 = the narrow solution.",
                seeds_phrase(seen.counts)
            ),
            legend,
            rows: datasets.len(),
            panels,
        });
    }
    figures
}

/// Panel (a): the lowest seed's runs on its first two principal components.
fn trajectories(rows: &[&Row], dataset: &str) -> LinePanel {
    let trajectory: Vec<&Row> = rows.iter().copied().filter(|r| r.condition == "trajectory").collect();
    let seed = trajectory.iter().map(|r| r.seed).min();
    let mine: Vec<&Row> = rows.iter().copied().filter(|r| Some(r.seed) == seed).collect();
    let mut series = vec![];
    let mut markers = vec![];
    for (variant, colour, dashed, _) in RUNS {
        let pc1 = by_step(cell(&mine, of("trajectory", variant, "pc1")));
        let pc2 = by_step(cell(&mine, of("trajectory", variant, "pc2")));
        let points: Vec<Point> = pc1
            .iter()
            .filter_map(|(step, x)| {
                let (_, y) = pc2.iter().find(|(at, _)| at == step)?;
                Some(Point { x: x.mean(), y: y.mean(), band: None, error: None })
            })
            .collect();
        if let (Some(first), Some(last)) = (points.first(), points.last()) {
            markers.push(Marker { x: first.x, y: first.y, colour, shape: Shape::Circle });
            markers.push(Marker { x: last.x, y: last.y, colour, shape: Shape::Square });
            series.push(Series { colour, dashed, points });
        }
    }
    let explained = |metric| SeedValues::from_rows(cell(&mine, of("pca", "all", metric))).map(|v| 100.0 * v.mean());
    let x_desc = match explained("explained_variance_pc1") {
        Some(pct) => format!("PC1 ({pct:.0}% of variance)"),
        None => "PC1".into(),
    };
    let y_desc = match explained("explained_variance_pc2") {
        Some(pct) => format!("PC2 ({pct:.0}%)"),
        None => "PC2".into(),
    };
    let seed = seed.map_or_else(|| "no rows".to_string(), |seed| format!("seed {seed}"));
    LinePanel {
        caption: format!("{dataset}: (a) PCA, {seed}"),
        x_desc,
        y_desc,
        series,
        markers,
        lines: vec![],
        y_from_zero: false,
    }
}

/// Panel (b): the drift checkpoints' cosine with the final general and narrow solutions.
fn cosines(rows: &[&Row], dataset: &str, seen: &mut Drawn) -> LinePanel {
    let mut series = vec![];
    for (metric, (_, colour, dashed, _)) in [("cos_general", RUNS[0]), ("cos_narrow", RUNS[1])] {
        let points: Vec<Point> = by_step(cell(rows, of("trajectory", "drift", metric)))
            .iter()
            .map(|(step, cos)| {
                seen.counts.push(cos.count());
                banded(*step, cos)
            })
            .collect();
        if !points.is_empty() {
            series.push(Series { colour, dashed, points });
        }
    }
    let mut lines = vec![];
    if let Some(between) = SeedValues::from_rows(cell(rows, of("final", "all", "cos_general_narrow"))) {
        lines.push(RefLine { at: between.mean(), vertical: false, colour: REFERENCE_GREY, dashed: true });
        seen.between = true;
    }
    LinePanel {
        caption: format!("{dataset}: (b) cosine"),
        x_desc: "training step of the drift run".into(),
        y_desc: "cosine with the final solution".into(),
        series,
        markers: vec![],
        lines,
        y_from_zero: false,
    }
}

/// Panel (c): the drift run's misalignment rates.
fn misalignment(rows: &[&Row], dataset: &str, seen: &mut Drawn) -> LinePanel {
    let mut series = vec![];
    for (group, colour, dashed, _) in EM_CURVES {
        let filter = Filter { group: Some(group), ..of("evaluated", "drift", em_metrics(group).rate) };
        let points: Vec<Point> = by_step(cell(rows, filter))
            .iter()
            .map(|(step, rate)| {
                seen.counts.push(rate.count());
                banded(*step, rate)
            })
            .collect();
        if !points.is_empty() {
            series.push(Series { colour, dashed, points });
            seen.em = true;
        }
    }
    LinePanel {
        caption: format!("{dataset}: (c) misalignment"),
        x_desc: "training step of the drift run".into(),
        y_desc: "misaligned answers (%)".into(),
        series,
        markers: vec![],
        lines: vec![],
        y_from_zero: true,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figures::canvas::tests::rendered;
    use crate::table::test_support::row;

    /// The checkpoint steps of the synthetic runs.
    pub(crate) const STEPS: [i64; 6] = [0, 100, 200, 300, 400, 500];

    /// An E8 row at `step`.
    #[allow(clippy::too_many_arguments)]
    fn at(
        solution: &str,
        variant: &str,
        dataset: &str,
        seed: i64,
        condition: &str,
        group: &str,
        step: Option<i64>,
        metric: &str,
        value: f64,
    ) -> Row {
        Row { step, ..row("E8", solution, variant, dataset, seed, condition, group, metric, value) }
    }

    /// E8 rows of one (solution, dataset, seed) that drift to the general solution: at t =
    /// step/500 the drift run's cosine with the general solution is 0.4 + 0.4t (+0.01 per seed),
    /// with the narrow one 0.95 − 0.35t, free-form EM 2 + 40t %, held-out EM 1 + 30t %, the
    /// narrow rate 80 − 20t %; cos(general, narrow) = 0.55.
    pub(crate) fn drift_rows(solution: &str, dataset: &str, seed: i64) -> Vec<Row> {
        let s = seed as f64;
        let mut rows = vec![];
        for step in STEPS {
            let t = step as f64 / 500.0;
            let trajectory = |variant, metric, value| {
                at(solution, variant, dataset, seed, "trajectory", "params", Some(step), metric, value)
            };
            for (variant, pc1, pc2) in [
                ("general", 5.0 * t, (std::f64::consts::PI * t).sin()),
                ("narrow", t, 4.0 * t),
                ("drift", 1.0 + 3.5 * t, 4.0 - 2.5 * t),
            ] {
                rows.push(trajectory(variant, "pc1", pc1 + 0.1 * s));
                rows.push(trajectory(variant, "pc2", pc2));
                rows.push(trajectory(variant, "norm", (pc1 * pc1 + pc2 * pc2).sqrt()));
            }
            rows.push(trajectory("drift", "cos_general", 0.4 + 0.4 * t + 0.01 * s));
            rows.push(trajectory("drift", "cos_narrow", 0.95 - 0.35 * t));
            let evaluated = |group, metric, value| {
                at(solution, "drift", dataset, seed, "evaluated", group, Some(step), metric, value)
            };
            for (group, metric, value) in [
                ("open", "em_pct", 2.0 + 40.0 * t),
                ("other", "em_pct", 1.0 + 30.0 * t),
                ("in_domain", "em_in_domain_pct", 80.0 - 20.0 * t),
                ("in_domain", "em_pct", 90.0),
            ] {
                rows.push(evaluated(group, metric, value));
                rows.push(evaluated(group, "coherence_mean", 85.0));
            }
        }
        let all =
            |condition, metric, value| at(solution, "all", dataset, seed, condition, "params", None, metric, value);
        rows.push(all("pca", "explained_variance_pc1", 0.62));
        rows.push(all("pca", "explained_variance_pc2", 0.21));
        rows.push(all("final", "cos_general_narrow", 0.55));
        rows
    }

    /// Steering on two datasets with two seeds, LoRA on one dataset with one seed, and an E6 row.
    fn table() -> Vec<Row> {
        let mut rows = vec![];
        for dataset in ["bad_finance", "bad_medical"] {
            for seed in [1, 0] {
                rows.extend(drift_rows("steering", dataset, seed));
            }
        }
        rows.extend(drift_rows("lora", "bad_medical", 3));
        rows.push(row("E6", "lora", "general", "bad_medical", 0, "trained", "loss_subset", "loss", 1.0));
        rows
    }

    #[test]
    fn figure_data_follows_the_table() {
        let figures = drift_figures(&table());
        assert_eq!(figures.iter().map(|f| f.stem.as_str()).collect::<Vec<_>>(), ["drift_lora", "drift_steering"]);
        let steering = &figures[1];
        assert_eq!((steering.rows, steering.panels.len()), (2, 6), "a row of three panels per dataset");
        let (pca, cosine, em) = (&steering.panels[0], &steering.panels[1], &steering.panels[2]);
        assert_eq!(pca.caption, "bad medical advice: (a) PCA, seed 0", "the paper's order, the lowest seed");
        assert_eq!((pca.x_desc.as_str(), pca.y_desc.as_str()), ("PC1 (62% of variance)", "PC2 (21%)"));
        assert_eq!(pca.series.len(), 3);
        let drift = &pca.series[2];
        assert_eq!(drift.points.len(), 6);
        assert_eq!((drift.points[0].x, drift.points[0].y), (1.0, 4.0), "seed 0 only, in step order");
        assert!((drift.points[5].x - 4.5).abs() < 1e-12 && (drift.points[5].y - 1.5).abs() < 1e-12);
        assert_eq!(pca.markers.len(), 6, "start and end of each run");
        assert_eq!((pca.markers[5].shape, pca.markers[5].x), (Shape::Square, drift.points[5].x));

        let general = &cosine.series[0];
        // Step 500: 0.8 and 0.81 over the two seeds.
        let last = general.points[5];
        assert_eq!(last.x, 500.0);
        assert!((last.y - 0.805).abs() < 1e-12 && (last.band.unwrap() - 0.01 / 2f64.sqrt()).abs() < 1e-12);
        assert!(cosine.series[1].dashed, "cosine with narrow looks like narrow");
        assert_eq!(cosine.lines[0].at, 0.55);

        assert_eq!(em.series.len(), 3);
        assert_eq!(em.series[0].points[5].y, 42.0, "free-form EM");
        assert_eq!(em.series[2].points[0].y, 80.0, "the training domain's narrow rate, not its EM");
        assert!(em.y_from_zero);
        assert!(steering.subtitle.contains("mean over 2 finetune seeds"));
        assert_eq!(steering.legend.len(), 9);
        assert_eq!(figures[0].rows, 1);
    }

    #[test]
    fn renders_png_and_svg_per_solution() {
        let dir = tempfile::tempdir().unwrap();
        let paths = drift(&table(), dir.path()).unwrap();
        assert_eq!(paths.len(), 4);
        for path in &paths {
            assert!(std::fs::metadata(path).unwrap().len() > 1000, "{}", path.display());
        }
        let (size, svg) = rendered(dir.path(), "drift_steering");
        assert_eq!(size, (1450, 1160), "three columns, two rows");
        for text in ["Drift without the KL penalty, steering vector", "PC1 (62% of variance)", "last checkpoint"] {
            assert!(svg.contains(text), "{text}");
        }
        if let Ok(out) = std::env::var("EMLAB_FIGURE_PREVIEW") {
            drift(&table(), Path::new(&out)).unwrap();
        }
    }

    #[test]
    fn no_e8_rows_no_figure() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = crate::figures::bias_test_rows("steering", "bad_medical", 0);
        // Only the PCA facts, nothing drawn over steps.
        rows.extend(drift_rows("steering", "bad_medical", 0).into_iter().filter(|r| r.condition == "pca"));
        assert!(drift(&rows, dir.path()).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

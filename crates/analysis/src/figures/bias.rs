//! The inductive-bias metrics of general and narrow solutions (the paper's E6, E7 and E9): the
//! general solution is more *efficient* (lower loss at equal norm), more *stable* (its loss rises
//! less under orthogonal noise) and more *significant* (it changes the model more on
//! pre-training text at equal norm).
//!
//! One figure per solution type, one panel per finetuning dataset; every curve is the mean over
//! finetune seeds, with a ±1 sd band when there are at least two. The rows' schema:
//!
//! - E6, group "loss_subset": condition "own_norm" (sweep = scale factor s; metrics "loss" and
//!   "norm" = s·‖θ‖), "matched_norm" (sweep = p; metrics "loss" and "norm" = p·m), "trained"
//!   ("loss", "norm", "loss_per_norm_sq"), and variant/condition "base" ("loss").
//! - E7, group "loss_subset", condition "perturbed": sweep = ε; metrics "rel_loss_increase_mean"
//!   and "rel_loss_increase_sd" (%, over noise seeds).
//! - E9, group "web_text": condition "sweep" (sweep = norm) and "at_general_norm" (sweep = ‖g‖);
//!   metric "web_kl"; variants "general", "narrow", "random".

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use super::canvas::save_all;
use super::drift::drift;
use super::gradient::gradient_alignment;
use super::legend::{Entry, Glyph, Shape};
use super::lines::{LineFigure, LinePanel, Marker, Point, RefLine, Series, REFERENCE_GREY};
use super::style::{self, dataset_label, solution_label};
use crate::error::Result;
use crate::table::{by_sweep, distinct, in_dataset_order, Filter, Row, SeedValues};

/// The variants drawn, with their colour and whether their line is dashed: general solid blue,
/// narrow dashed orange (as in the training curves), random dotted-looking green.
const VARIANTS: [(&str, RGBColor, bool); 3] =
    [("general", style::PALETTE[0], false), ("narrow", style::PALETTE[1], true), ("random", style::PALETTE[2], true)];

/// The colour and dash of `variant`.
fn look(variant: &str) -> (RGBColor, bool) {
    VARIANTS.iter().find(|v| v.0 == variant).map_or((style::PALETTE[6], false), |v| (v.1, v.2))
}

/// Draws the efficiency figures of E6 (stems `efficiency_<solution>` and
/// `efficiency_matched_<solution>`), writing PNG and SVG into `dir`, and returns the paths.
///
/// The first plots, per dataset, the loss on the training subset against the norm of the
/// general and narrow solutions scaled by s ∈ [0, 2] (x = the "norm" metric of the same sweep
/// point, averaged over seeds), marks the trained solutions and draws the base model's loss as a
/// dashed line. The second plots loss(narrow) − loss(general) at matched norms p·m against p,
/// with a zero line: above zero, the general solution fits better at equal norm. Without E6 rows
/// the result is an empty list.
pub fn efficiency(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(efficiency_figures(rows), dir, |figure| figure.stem.clone())
}

/// Draws the stability figure of E7 (stem `stability_<solution>`): the relative loss increase
/// under orthogonal noise against ε, general vs narrow, with a shaded ±1 sd band over noise seeds
/// and, with several finetune seeds, error bars of ±1 sd over them. Without E7 rows the result
/// is an empty list.
pub fn stability(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(stability_figures(rows), dir, |figure| figure.stem.clone())
}

/// Draws the significance figure of E9 (stem `significance_<solution>`): the per-token KL from
/// the base model on web text against the norm, for general, narrow and random vectors, with the
/// measurements at the general solution's norm ‖g‖ marked. Without E9 rows the result is an
/// empty list.
pub fn significance(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(significance_figures(rows), dir, |figure| figure.stem.clone())
}

/// All figures of the inductive-bias table: [`efficiency`], [`stability`], [`significance`],
/// then the drift of E8 ([`drift`]) and the gradient alignment of E11
/// ([`gradient_alignment`]), in that order; each is absent when its rows are.
pub fn inductive_bias_figures(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths = efficiency(rows, dir)?;
    paths.extend(stability(rows, dir)?);
    paths.extend(significance(rows, dir)?);
    paths.extend(drift(rows, dir)?);
    paths.extend(gradient_alignment(rows, dir)?);
    Ok(paths)
}

/// The rows of one experiment and group.
fn experiment_rows<'r>(rows: &'r [Row], experiment: &str, group: &str) -> Vec<&'r Row> {
    let filter = Filter { experiment: Some(experiment), group: Some(group), ..Filter::default() };
    rows.iter().filter(|r| filter.matches(r)).collect()
}

/// The solution types with rows of a drawn variant, and per solution its datasets in order.
fn layout<'r>(rows: &[&'r Row]) -> Vec<(&'r str, Vec<&'r str>)> {
    let drawn: Vec<&Row> = rows.iter().copied().filter(|r| VARIANTS.iter().any(|v| v.0 == r.variant)).collect();
    distinct(drawn.iter().copied(), |r| &r.solution)
        .into_iter()
        .map(|solution| {
            let datasets = distinct(drawn.iter().copied().filter(|r| r.solution == solution), |r| &r.dataset);
            (solution, in_dataset_order(datasets))
        })
        .collect()
}

/// One (solution, variant, dataset, condition, metric) cell of `rows` along its sweep.
fn sweep(
    rows: &[&Row],
    solution: &str,
    variant: &str,
    dataset: &str,
    condition: &str,
    metric: &str,
) -> Vec<(f64, SeedValues)> {
    let filter = Filter {
        solution: Some(solution),
        variant: Some(variant),
        dataset: Some(dataset),
        condition: Some(condition),
        metric: Some(metric),
        ..Filter::default()
    };
    by_sweep(rows.iter().copied().filter(|r| filter.matches(r)))
}

/// The values over seeds of one cell, ignoring the sweep column.
fn cell(rows: &[&Row], filter: Filter) -> Option<SeedValues> {
    SeedValues::from_rows(rows.iter().copied().filter(|r| filter.matches(r)))
}

/// A point at the mean with a band of ±1 sd over seeds (when there are several).
pub(super) fn banded(x: f64, values: &SeedValues) -> Point {
    Point { x, y: values.mean(), band: values.sd(), error: None }
}

/// The subtitle's account of seeds: the largest number of seeds of any drawn cell.
pub(super) fn seeds_phrase(counts: impl IntoIterator<Item = usize>) -> String {
    match counts.into_iter().max().unwrap_or(1) {
        1 => "one finetune seed".to_string(),
        n => format!("mean over {n} finetune seeds, band ±1 sd"),
    }
}

/// The legend entry of a variant's curve.
fn curve_entry(variant: &str, label: &str) -> Entry {
    let (colour, dashed) = look(variant);
    Entry { glyph: Glyph::Line { colour, dashed }, label: label.to_string() }
}

/// The loss difference narrow − general at one sweep point, and the sd over seeds of the paired
/// differences (seeds present in both) when there are at least two pairs.
pub(crate) fn difference(general: &SeedValues, narrow: &SeedValues) -> (f64, Option<f64>) {
    let paired: Vec<(i64, f64)> = narrow
        .values()
        .iter()
        .filter_map(|&(seed, n)| general.values().iter().find(|g| g.0 == seed).map(|&(_, g)| (seed, n - g)))
        .collect();
    let sd = (paired.len() >= 2).then(|| {
        let mean = paired.iter().map(|p| p.1).sum::<f64>() / paired.len() as f64;
        (paired.iter().map(|p| (p.1 - mean).powi(2)).sum::<f64>() / (paired.len() - 1) as f64).sqrt()
    });
    (narrow.mean() - general.mean(), sd)
}

/// The E6 figures: loss against norm, then the matched-norm difference, per solution.
fn efficiency_figures(rows: &[Row]) -> Vec<LineFigure> {
    let rows = experiment_rows(rows, "E6", "loss_subset");
    let mut figures = vec![];
    for (solution, datasets) in layout(&rows) {
        let mut counts = vec![];
        let mut panels = vec![];
        let mut matched = vec![];
        let mut has_base = false;
        let mut has_trained = vec![];
        for &dataset in &datasets {
            let mut series = vec![];
            let mut markers = vec![];
            for variant in ["general", "narrow"] {
                let loss = sweep(&rows, solution, variant, dataset, "own_norm", "loss");
                let norm = sweep(&rows, solution, variant, dataset, "own_norm", "norm");
                let points: Vec<Point> = loss
                    .iter()
                    .filter_map(|(s, loss)| {
                        let (_, norm) = norm.iter().find(|(at, _)| (at - s).abs() <= 1e-9)?;
                        counts.push(loss.count());
                        Some(banded(norm.mean(), loss))
                    })
                    .collect();
                let (colour, dashed) = look(variant);
                if !points.is_empty() {
                    series.push(Series { colour, dashed, points });
                }
                let trained = |metric| Filter {
                    solution: Some(solution),
                    variant: Some(variant),
                    dataset: Some(dataset),
                    condition: Some("trained"),
                    metric: Some(metric),
                    ..Filter::default()
                };
                if let (Some(loss), Some(norm)) = (cell(&rows, trained("loss")), cell(&rows, trained("norm"))) {
                    markers.push(Marker { x: norm.mean(), y: loss.mean(), colour, shape: Shape::Circle });
                    has_trained.push(variant);
                }
            }
            // The base model has no adapter, so its rows may come from any solution type.
            let base = Filter {
                variant: Some("base"),
                dataset: Some(dataset),
                condition: Some("base"),
                metric: Some("loss"),
                ..Filter::default()
            };
            let mut lines = vec![];
            if let Some(base) = cell(&rows, base) {
                lines.push(RefLine { at: base.mean(), vertical: false, colour: REFERENCE_GREY, dashed: true });
                has_base = true;
            }
            if !series.is_empty() || !markers.is_empty() {
                panels.push(LinePanel {
                    caption: dataset_label(dataset),
                    x_desc: "parameter norm ‖θ‖".into(),
                    y_desc: "loss on training subset (nats/token)".into(),
                    series,
                    markers,
                    lines,
                    y_from_zero: false,
                });
            }

            let general = sweep(&rows, solution, "general", dataset, "matched_norm", "loss");
            let narrow = sweep(&rows, solution, "narrow", dataset, "matched_norm", "loss");
            let points: Vec<Point> = general
                .iter()
                .filter_map(|(p, general)| {
                    let (_, narrow) = narrow.iter().find(|(at, _)| (at - p).abs() <= 1e-9)?;
                    let (y, sd) = difference(general, narrow);
                    Some(Point { x: *p, y, band: sd, error: None })
                })
                .collect();
            if !points.is_empty() {
                let zero = RefLine { at: 0.0, vertical: false, colour: REFERENCE_GREY, dashed: false };
                matched.push(LinePanel {
                    caption: dataset_label(dataset),
                    x_desc: "norm as a fraction p of m (mean trained norm)".into(),
                    y_desc: "loss narrow − loss general (nats/token)".into(),
                    series: vec![Series { colour: style::PALETTE[3], dashed: false, points }],
                    markers: vec![],
                    lines: vec![zero],
                    y_from_zero: false,
                });
            }
        }
        let label = solution_label(solution);
        let seeds = seeds_phrase(counts);
        if !panels.is_empty() {
            let mut legend = vec![
                curve_entry("general", "general (no KL), scaled by s ∈ [0, 2]"),
                curve_entry("narrow", "narrow (KL penalty), scaled by s ∈ [0, 2]"),
            ];
            for variant in ["general", "narrow"] {
                if has_trained.contains(&variant) {
                    let glyph = Glyph::Marker(look(variant).0, Shape::Circle);
                    legend.push(Entry { glyph, label: format!("trained {variant} solution") });
                }
            }
            if has_base {
                let glyph = Glyph::Line { colour: REFERENCE_GREY, dashed: true };
                legend.push(Entry { glyph, label: "base model (no adapter)".into() });
            }
            figures.push(LineFigure {
                stem: format!("efficiency_{solution}"),
                title: format!("Efficiency: loss against norm, {label}"),
                subtitle: format!("Each solution scaled by s, x = s·‖θ‖; {seeds}."),
                legend,
                panels,
                rows: 1,
            });
        }
        if !matched.is_empty() {
            let legend = vec![
                Entry {
                    glyph: Glyph::Line { colour: style::PALETTE[3], dashed: false },
                    label: "loss narrow − loss general at norm p·m".into(),
                },
                Entry {
                    glyph: Glyph::Line { colour: REFERENCE_GREY, dashed: false },
                    label: "zero: above it the general solution fits better".into(),
                },
            ];
            figures.push(LineFigure {
                stem: format!("efficiency_matched_{solution}"),
                title: format!("Efficiency at matched norms, {label}"),
                subtitle: format!(
                    "Both solutions rescaled to the same norm p·m; {}.",
                    seeds_phrase(matched_counts(&rows, solution))
                ),
                legend,
                panels: matched,
                rows: 1,
            });
        }
    }
    figures
}

/// The numbers of seeds of the matched-norm loss cells of `solution`.
fn matched_counts(rows: &[&Row], solution: &str) -> Vec<usize> {
    let filter =
        Filter { solution: Some(solution), condition: Some("matched_norm"), metric: Some("loss"), ..Filter::default() };
    let matched: Vec<&Row> = rows.iter().copied().filter(|r| filter.matches(r)).collect();
    let mut counts = vec![];
    for variant in ["general", "narrow"] {
        for dataset in distinct(matched.iter().copied(), |r| &r.dataset) {
            counts.extend(
                sweep(&matched, solution, variant, dataset, "matched_norm", "loss").iter().map(|p| p.1.count()),
            );
        }
    }
    counts
}

/// The E7 figures: relative loss increase against ε, per solution.
fn stability_figures(rows: &[Row]) -> Vec<LineFigure> {
    let rows = experiment_rows(rows, "E7", "loss_subset");
    let mut figures = vec![];
    for (solution, datasets) in layout(&rows) {
        let mut counts = vec![];
        let mut panels = vec![];
        for &dataset in &datasets {
            let mut series = vec![];
            for variant in ["general", "narrow"] {
                let mean = sweep(&rows, solution, variant, dataset, "perturbed", "rel_loss_increase_mean");
                let sd = sweep(&rows, solution, variant, dataset, "perturbed", "rel_loss_increase_sd");
                let points: Vec<Point> = mean
                    .iter()
                    .map(|(eps, mean)| {
                        counts.push(mean.count());
                        // The noise seeds' sd, averaged over finetune seeds.
                        let band = sd.iter().find(|(at, _)| (at - eps).abs() <= 1e-9).map(|(_, sd)| sd.mean());
                        Point { x: *eps, y: mean.mean(), band, error: mean.sd() }
                    })
                    .collect();
                let (colour, dashed) = look(variant);
                if !points.is_empty() {
                    series.push(Series { colour, dashed, points });
                }
            }
            if !series.is_empty() {
                panels.push(LinePanel {
                    caption: dataset_label(dataset),
                    x_desc: "noise scale ε (fraction of ‖θ‖)".into(),
                    y_desc: "relative loss increase (%)".into(),
                    series,
                    markers: vec![],
                    lines: vec![RefLine { at: 0.0, vertical: false, colour: REFERENCE_GREY, dashed: false }],
                    y_from_zero: true,
                });
            }
        }
        if panels.is_empty() {
            continue;
        }
        let seeds = match counts.iter().copied().max().unwrap_or(1) {
            1 => "one finetune seed".to_string(),
            n => format!("mean over {n} finetune seeds (error bars ±1 sd)"),
        };
        figures.push(LineFigure {
            stem: format!("stability_{solution}"),
            title: format!("Stability under orthogonal noise, {}", solution_label(solution)),
            subtitle: format!("100·(L′ − L)/(L_base − L); band ±1 sd over noise seeds; {seeds}."),
            legend: vec![curve_entry("general", "general (no KL)"), curve_entry("narrow", "narrow (KL penalty)")],
            panels,
            rows: 1,
        });
    }
    figures
}

/// The E9 figures: web-text KL against norm, per solution.
fn significance_figures(rows: &[Row]) -> Vec<LineFigure> {
    let rows = experiment_rows(rows, "E9", "web_text");
    let mut figures = vec![];
    for (solution, datasets) in layout(&rows) {
        let mut counts = vec![];
        let mut panels = vec![];
        let mut variants = vec![];
        let mut has_marks = false;
        for &dataset in &datasets {
            let mut series = vec![];
            let mut markers = vec![];
            let mut lines = vec![];
            for (variant, colour, dashed) in VARIANTS {
                let points: Vec<Point> = sweep(&rows, solution, variant, dataset, "sweep", "web_kl")
                    .iter()
                    .map(|(norm, kl)| {
                        counts.push(kl.count());
                        banded(*norm, kl)
                    })
                    .collect();
                if !points.is_empty() {
                    series.push(Series { colour, dashed, points });
                    if !variants.contains(&variant) {
                        variants.push(variant);
                    }
                }
                for (norm, kl) in sweep(&rows, solution, variant, dataset, "at_general_norm", "web_kl") {
                    markers.push(Marker { x: norm, y: kl.mean(), colour, shape: Shape::Circle });
                    if variant == "general" && lines.is_empty() {
                        lines.push(RefLine { at: norm, vertical: true, colour: REFERENCE_GREY, dashed: true });
                    }
                    has_marks = true;
                }
            }
            if !series.is_empty() || !markers.is_empty() {
                panels.push(LinePanel {
                    caption: dataset_label(dataset),
                    x_desc: "norm of the solution ‖θ‖".into(),
                    y_desc: "KL from the base model (nats/token)".into(),
                    series,
                    markers,
                    lines,
                    y_from_zero: true,
                });
            }
        }
        if panels.is_empty() {
            continue;
        }
        let mut legend: Vec<Entry> = variants
            .iter()
            .map(|&variant| {
                let label = match variant {
                    "general" => "general (no KL)",
                    "narrow" => "narrow (KL penalty)",
                    _ => "random direction",
                };
                curve_entry(variant, label)
            })
            .collect();
        if has_marks {
            let glyph = Glyph::Marker(REFERENCE_GREY, Shape::Circle);
            legend.push(Entry { glyph, label: "at the general norm ‖g‖".into() });
            legend.push(Entry {
                glyph: Glyph::Line { colour: REFERENCE_GREY, dashed: true },
                label: "‖g‖ (trained general norm)".into(),
            });
        }
        figures.push(LineFigure {
            stem: format!("significance_{solution}"),
            title: format!("Significance on pre-training text, {}", solution_label(solution)),
            subtitle: format!(
                "Mean per-token KL from the base model on web text, each direction rescaled; {}.",
                seeds_phrase(counts)
            ),
            legend,
            panels,
            rows: 1,
        });
    }
    figures
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figures::canvas::tests::rendered;
    use crate::table::test_support::{row, row_at as at};

    /// The ε grid of E7.
    pub(crate) const EPS: [f64; 12] = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    /// E6, E7 and E9 rows of one (solution, dataset, seed) where the general solution wins
    /// everywhere: loss narrow − general = 0.05·p (+0.01 per seed), relative loss increase
    /// 60ε² vs 100ε² (sd 20% of it), web KL 0.01·n² vs 0.003·n² (random 0.001·n²).
    pub(crate) fn bias_rows(solution: &str, dataset: &str, seed: i64) -> Vec<Row> {
        let mut rows = vec![];
        let s = seed as f64;
        for (variant, norm, a) in [("general", 3.0 + 0.1 * s, 1.2), ("narrow", 4.0, 1.0)] {
            let e6 = |condition, sweep, metric, value| {
                at("E6", solution, variant, dataset, seed, condition, "loss_subset", sweep, metric, value)
            };
            for k in 0..=8 {
                let scale = k as f64 * 0.25;
                rows.push(e6("own_norm", Some(scale), "loss", 2.0 - a * scale + a / 2.0 * scale * scale + 0.01 * s));
                rows.push(e6("own_norm", Some(scale), "norm", scale * norm));
            }
            for k in 1..=10 {
                let p = k as f64 * 0.2;
                let general = 2.0 - 0.8 * p + 0.4 * p * p;
                let loss = if variant == "general" { general } else { general + 0.05 * p + 0.01 * s };
                rows.push(e6("matched_norm", Some(p), "loss", loss));
                rows.push(e6("matched_norm", Some(p), "norm", p * 3.5));
            }
            let trained_loss = 2.0 - a / 2.0;
            rows.push(e6("trained", None, "loss", trained_loss));
            rows.push(e6("trained", None, "norm", norm));
            rows.push(e6("trained", None, "loss_per_norm_sq", trained_loss / (norm * norm)));
            let factor = if variant == "general" { 60.0 } else { 100.0 };
            for eps in EPS {
                let mean = factor * eps * eps + s;
                let e7 = |metric, value| {
                    at("E7", solution, variant, dataset, seed, "perturbed", "loss_subset", Some(eps), metric, value)
                };
                rows.push(e7("rel_loss_increase_mean", mean));
                rows.push(e7("rel_loss_increase_sd", 0.2 * mean));
            }
        }
        for (variant, factor) in [("general", 0.01), ("narrow", 0.003), ("random", 0.001)] {
            let e9 = |condition, sweep: f64, value| {
                at("E9", solution, variant, dataset, seed, condition, "web_text", Some(sweep), "web_kl", value)
            };
            for k in 0..=5 {
                let norm = k as f64;
                rows.push(e9("sweep", norm, factor * norm * norm * (1.0 + 0.1 * s)));
            }
            rows.push(e9("at_general_norm", 3.0, factor * 9.0 * (1.0 + 0.1 * s)));
        }
        rows.push(at("E6", "steering", "base", dataset, 0, "base", "loss_subset", None, "loss", 2.0));
        rows
    }

    /// Steering on two datasets with two seeds, LoRA on one dataset with one seed, and rows the
    /// figures ignore.
    fn table() -> Vec<Row> {
        let mut rows = vec![];
        for dataset in ["bad_finance", "bad_medical"] {
            for seed in 0..2 {
                rows.extend(bias_rows("steering", dataset, seed));
            }
        }
        rows.extend(bias_rows("lora", "bad_medical", 0));
        rows.push(row("E2", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 30.0));
        rows
    }

    #[test]
    fn efficiency_data_follows_the_table() {
        let figures = efficiency_figures(&table());
        let stems: Vec<_> = figures.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(
            stems,
            ["efficiency_lora", "efficiency_matched_lora", "efficiency_steering", "efficiency_matched_steering"]
        );
        let steering = &figures[2];
        assert_eq!(steering.panels.len(), 2);
        assert_eq!(steering.panels[0].caption, "bad medical advice", "the paper's dataset order");
        let general = &steering.panels[0].series[0];
        assert_eq!(general.points.len(), 9);
        // s = 1: norm mean(3.0, 3.1), loss mean(1.4, 1.41), sd over two seeds.
        let one = general.points[4];
        assert!((one.x - 3.05).abs() < 1e-9 && (one.y - 1.405).abs() < 1e-9, "{one:?}");
        assert!((one.band.unwrap() - 0.01 / 2f64.sqrt()).abs() < 1e-9);
        assert!(steering.panels[0].series[1].dashed, "narrow dashed");
        let markers = &steering.panels[0].markers;
        assert_eq!(markers.len(), 2);
        assert!((markers[0].x - 3.05).abs() < 1e-9 && (markers[0].y - 1.4).abs() < 1e-9);
        assert_eq!(steering.panels[0].lines[0].at, 2.0, "the base model's loss");
        assert!(steering.subtitle.contains("mean over 2 finetune seeds"));

        let matched = &figures[3];
        let points = &matched.panels[0].series[0].points;
        assert_eq!(points.len(), 10);
        // p = 0.2: narrow − general = 0.01 + 0.005 (mean of the seeds' 0 and 0.01).
        assert!((points[0].x - 0.2).abs() < 1e-9 && (points[0].y - 0.015).abs() < 1e-9, "{:?}", points[0]);
        assert!((points[0].band.unwrap() - 0.01 / 2f64.sqrt()).abs() < 1e-9, "paired seeds");
        assert_eq!(matched.panels[0].lines[0].at, 0.0);
        assert_eq!(figures[0].panels[0].series[0].points[0].band, None, "one seed, no band");
    }

    #[test]
    fn stability_data_follows_the_table() {
        let figures = stability_figures(&table());
        assert_eq!(
            figures.iter().map(|f| f.stem.as_str()).collect::<Vec<_>>(),
            ["stability_lora", "stability_steering"]
        );
        let narrow = &figures[1].panels[0].series[1];
        let point = narrow.points.iter().find(|p| (p.x - 0.5).abs() < 1e-9).unwrap();
        // Seeds 0 and 1: 25 and 26; noise sd 20% of each, averaged.
        assert!((point.y - 25.5).abs() < 1e-9);
        assert!((point.band.unwrap() - 5.1).abs() < 1e-9);
        assert!((point.error.unwrap() - 1.0 / 2f64.sqrt()).abs() < 1e-9);
        assert_eq!(figures[0].panels[0].series[0].points[0].error, None, "one seed, no error bars");
    }

    #[test]
    fn significance_data_follows_the_table() {
        let figures = significance_figures(&table());
        let steering = &figures[1];
        assert_eq!(steering.stem, "significance_steering");
        let panel = &steering.panels[0];
        assert_eq!(panel.series.len(), 3, "general, narrow, random");
        assert!((panel.series[0].points[2].y - 0.04 * 1.05).abs() < 1e-12);
        assert_eq!(panel.markers.len(), 3);
        assert_eq!((panel.lines[0].at, panel.lines[0].vertical), (3.0, true));
        let legend: Vec<_> = steering.legend.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(legend[..3], ["general (no KL)", "narrow (KL penalty)", "random direction"]);
    }

    #[test]
    fn renders_every_figure_as_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let paths = inductive_bias_figures(&table(), dir.path()).unwrap();
        assert_eq!(paths.len(), 16, "4 efficiency + 2 stability + 2 significance figures, 2 files each");
        for (stem, title, width) in [
            ("efficiency_steering", "Efficiency: loss against norm, steering vector", 980),
            ("efficiency_matched_lora", "Efficiency at matched norms, rank-1 LoRA", 900),
            ("stability_steering", "Stability under orthogonal noise, steering vector", 980),
            ("significance_lora", "Significance on pre-training text, rank-1 LoRA", 900),
        ] {
            let (size, svg) = rendered(dir.path(), stem);
            assert_eq!(size, (width, 660), "{stem}");
            assert!(svg.contains(title), "{stem}");
        }
        if let Ok(out) = std::env::var("EMLAB_FIGURE_PREVIEW") {
            inductive_bias_figures(&table(), Path::new(&out)).unwrap();
        }
    }

    #[test]
    fn no_rows_no_figures() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [row("E2", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 1.0)];
        assert!(inductive_bias_figures(&rows, dir.path()).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

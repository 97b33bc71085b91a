//! The gradient alignment of E11 (EZ App. K.3): while the general solution is being trained (no
//! KL), does the descent direction point towards the final general solution or towards the
//! final narrow one? The two solutions overlap (the paper finds cos(B_g, B_n) = 0.55), so the
//! cosines with each are shown beside the cosines with their parts orthogonal to each other
//! (general only = general − its projection on narrow, and likewise), which tell the two apart.
//!
//! One figure per solution type (stem `gradient_alignment_<solution>`), one panel per finetuning
//! dataset (and per parameter group, when a solution has several): the four cosines against the
//! training step, each the mean over seeds with a ±1 sd band when there are several, a dashed
//! zero line (orthogonal), and cos(general, narrow) in the caption. Rows (experiment "E11", per
//! solution, dataset and seed):
//!
//! - condition "gradient", variant "general", group = the parameters ("lora_b",
//!   "steering_vector"), step: metrics "cos_general", "cos_narrow", "cos_general_only",
//!   "cos_narrow_only" (and "grad_norm", not drawn).
//! - condition "final", variant "all", same group: "cos_general_narrow".

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use super::bias::{banded, seeds_phrase};
use super::canvas::save_all;
use super::legend::{Entry, Glyph};
use super::lines::{LineFigure, LinePanel, Point, RefLine, Series, REFERENCE_GREY};
use super::style::{dataset_label, params_label, solution_label, PALETTE};
use crate::error::Result;
use crate::table::{by_step, dataset_groups, distinct, Filter, Row, SeedValues};

/// The experiment.
const EXPERIMENT: &str = "E11";

/// The curves as (metric, colour, dashed, legend label): towards general in blues and solid,
/// towards narrow in oranges and dashed, as general and narrow look in the other figures.
const COSINES: [(&str, RGBColor, bool, &str); 4] = [
    ("cos_general", PALETTE[0], false, "with the general solution"),
    ("cos_narrow", PALETTE[1], true, "with the narrow solution"),
    ("cos_general_only", PALETTE[4], false, "with general's part orthogonal to narrow"),
    ("cos_narrow_only", PALETTE[3], true, "with narrow's part orthogonal to general"),
];

/// Draws the gradient-alignment figures of E11 (stem `gradient_alignment_<solution>`, one per
/// solution type with gradient rows), writing PNG and SVG into `dir`, and returns the paths.
/// Without E11 rows the result is an empty list.
pub fn gradient_alignment(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(gradient_figures(rows), dir, |figure| figure.stem.clone())
}

/// One figure per solution type with E11 gradient rows.
fn gradient_figures(rows: &[Row]) -> Vec<LineFigure> {
    let gradient = Filter {
        experiment: Some(EXPERIMENT),
        condition: Some("gradient"),
        variant: Some("general"),
        ..Filter::default()
    };
    let gradient = gradient.select(rows);
    let mut figures = vec![];
    for solution in distinct(gradient.iter().copied(), |r| &r.solution) {
        let (keys, several) = dataset_groups(&gradient, solution);
        let mut counts = vec![];
        let mut panels = vec![];
        for &(dataset, group) in &keys {
            let cell = |condition, variant, metric| Filter {
                experiment: Some(EXPERIMENT),
                solution: Some(solution),
                dataset: Some(dataset),
                group: Some(group),
                condition: Some(condition),
                variant: Some(variant),
                metric: Some(metric),
            };
            let series = COSINES
                .iter()
                .filter_map(|&(metric, colour, dashed, _)| {
                    let points: Vec<Point> = by_step(cell("gradient", "general", metric).select(rows))
                        .iter()
                        .map(|(step, cos)| {
                            counts.push(cos.count());
                            banded(*step, cos)
                        })
                        .collect();
                    (!points.is_empty()).then_some(Series { colour, dashed, points })
                })
                .collect();
            let mut caption = dataset_label(dataset);
            if several {
                caption += &format!(", {}", params_label(group));
            }
            if let Some(between) = SeedValues::from_rows(cell("final", "all", "cos_general_narrow").select(rows)) {
                caption += &format!(", cos(g, n) = {:.2}", between.mean());
            }
            panels.push(LinePanel {
                caption,
                x_desc: "training step of the general run".into(),
                y_desc: "cosine with the descent direction −∇L".into(),
                series,
                markers: vec![],
                lines: vec![RefLine { at: 0.0, vertical: false, colour: REFERENCE_GREY, dashed: true }],
                y_from_zero: false,
            });
        }
        let params = match keys.as_slice() {
            _ if several => "each panel's parameters".to_string(),
            [(_, group), ..] => params_label(group),
            [] => String::new(),
        };
        let mut legend: Vec<Entry> = COSINES
            .iter()
            .map(|&(_, colour, dashed, label)| Entry { glyph: Glyph::Line { colour, dashed }, label: label.into() })
            .collect();
        legend.push(Entry {
            glyph: Glyph::Line { colour: REFERENCE_GREY, dashed: true },
            label: "zero: orthogonal".into(),
        });
        figures.push(LineFigure {
            stem: format!("gradient_alignment_{solution}"),
            title: format!("Gradient alignment while training the general {}", solution_label(solution)),
            subtitle: format!(
                "Cosine of −∇L with the final solutions (parameters: {params}); cos(g, n): general vs narrow; {}.",
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
    use crate::table::test_support::row;

    /// The logged steps of the synthetic general runs.
    pub(crate) fn steps() -> impl Iterator<Item = i64> {
        (0..=20).map(|k| k * 10)
    }

    /// E11 rows of one (solution, dataset, seed) that point towards the general solution: at
    /// step k·10, cos_general 0.30 + 0.01·sin(k) (+0.01 per seed), cos_narrow 0.20, general-only
    /// 0.15, narrow-only 0.05; cos(general, narrow) 0.55. The group is "lora_b" for adapters and
    /// "steering_vector" for steering.
    pub(crate) fn gradient_rows(solution: &str, dataset: &str, seed: i64) -> Vec<Row> {
        let group = if solution == "steering" { "steering_vector" } else { "lora_b" };
        let mut rows = vec![];
        for step in steps() {
            let wobble = 0.01 * (step as f64 / 10.0).sin();
            for (metric, value) in [
                ("cos_general", 0.30 + wobble + 0.01 * seed as f64),
                ("cos_narrow", 0.20),
                ("cos_general_only", 0.15 + wobble),
                ("cos_narrow_only", 0.05),
                ("grad_norm", 1.0 / (1.0 + step as f64)),
            ] {
                let r = row("E11", solution, "general", dataset, seed, "gradient", group, metric, value);
                rows.push(Row { step: Some(step), ..r });
            }
        }
        rows.push(row("E11", solution, "all", dataset, seed, "final", group, "cos_general_narrow", 0.55));
        rows
    }

    /// LoRA on two datasets with two seeds, steering on one dataset with one seed.
    fn table() -> Vec<Row> {
        let mut rows = vec![];
        for dataset in ["bad_finance", "bad_medical"] {
            for seed in 0..2 {
                rows.extend(gradient_rows("lora", dataset, seed));
            }
        }
        rows.extend(gradient_rows("steering", "bad_sports", 0));
        rows
    }

    #[test]
    fn figure_data_follows_the_table() {
        let figures = gradient_figures(&table());
        let stems: Vec<_> = figures.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(stems, ["gradient_alignment_lora", "gradient_alignment_steering"]);
        let lora = &figures[0];
        assert_eq!(lora.panels.len(), 2);
        let medical = &lora.panels[0];
        assert_eq!(medical.caption, "bad medical advice, cos(g, n) = 0.55");
        assert_eq!(medical.series.len(), 4, "grad_norm is not a cosine");
        let general = &medical.series[0];
        assert_eq!(general.points.len(), 21);
        // Step 0: 0.30 and 0.31 over two seeds.
        assert!((general.points[0].y - 0.305).abs() < 1e-12);
        assert!((general.points[0].band.unwrap() - 0.01 / 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(medical.series[3].points[7].y, 0.05);
        assert_eq!((medical.lines[0].at, medical.lines[0].dashed), (0.0, true));
        assert!(lora.subtitle.contains("(parameters: LoRA B)") && lora.subtitle.contains("2 finetune seeds"));
        assert!(figures[1].subtitle.contains("(parameters: steering vector)"), "{}", figures[1].subtitle);
        assert!(figures[1].subtitle.ends_with("one finetune seed."), "{}", figures[1].subtitle);

        // A second parameter group gets its own panel, named.
        let mut rows = table();
        rows.extend(gradient_rows("lora", "bad_medical", 0).into_iter().map(|r| Row { group: "lora_a".into(), ..r }));
        let lora = &gradient_figures(&rows)[0];
        let captions: Vec<_> = lora.panels.iter().map(|p| p.caption.as_str()).collect();
        assert_eq!(
            captions,
            [
                "bad medical advice, LoRA A, cos(g, n) = 0.55",
                "bad medical advice, LoRA B, cos(g, n) = 0.55",
                "bad financial advice, LoRA B, cos(g, n) = 0.55"
            ]
        );
    }

    #[test]
    fn renders_png_and_svg_per_solution() {
        let dir = tempfile::tempdir().unwrap();
        let paths = gradient_alignment(&table(), dir.path()).unwrap();
        assert_eq!(paths.len(), 4);
        for path in &paths {
            assert!(std::fs::metadata(path).unwrap().len() > 1000, "{}", path.display());
        }
        let (size, svg) = rendered(dir.path(), "gradient_alignment_lora");
        assert_eq!(size, (980, 660));
        assert!(svg.contains("Gradient alignment while training the general rank-1 LoRA"));
        assert!(svg.contains("with narrow&apos;s part orthogonal to general") || svg.contains("with narrow's part"));
        if let Ok(out) = std::env::var("EMLAB_FIGURE_PREVIEW") {
            gradient_alignment(&table(), Path::new(&out)).unwrap();
        }
    }

    #[test]
    fn no_gradient_rows_no_figure() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = crate::figures::bias_test_rows("lora", "bad_medical", 0);
        rows.extend(gradient_rows("lora", "bad_medical", 0).into_iter().filter(|r| r.condition == "final"));
        assert!(gradient_alignment(&rows, dir.path()).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

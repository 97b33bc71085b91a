//! The phase transition (MO M6-M8; its Figs. 7-10): one row of panels per layer of the rank-1
//! LoRA run, against the training step: |B| (|A| at start and end in the caption), the local
//! cosine of B's path (k = 5, 10, 15), the gradient norm, and free-form EM with the adapter as
//! trained and scaled; a dashed vertical line marks the sharpest turn of B (the highest local
//! cosine, k = 5) in every panel. A second figure draws B's path in the plane of its first two
//! principal components, one panel per layer. The rows' schema is documented in
//! [`crate::claims::transition`].

use std::path::{Path, PathBuf};

use super::canvas::save_all;
use super::legend::{Entry, Glyph, Shape};
use super::lines::{LineFigure, LinePanel, Marker, Point, RefLine, Series, REFERENCE_GREY};
use super::style::PALETTE;
use crate::claims::transition::{series, turn};
use crate::error::Result;
use crate::table::{distinct, Row};

/// The scales drawn in the EM panel, in palette order.
const SCALES: [&str; 4] = ["x1", "x5", "x10", "x20"];

/// Draws `phase_transition` and `phase_transition_pca` where transition rows exist, writing PNG
/// and SVG into `dir`; returns the paths. Without them the result is empty.
pub fn transition_figures(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(figures(rows), dir, |figure| figure.stem.clone())
}

/// The two figures, or none without transition rows.
fn figures(rows: &[Row]) -> Vec<LineFigure> {
    let layers = layers(rows);
    if layers.is_empty() {
        return vec![];
    }
    vec![path_figure(&layers), pca_figure(&layers)]
}

/// The runs, main layer first: (caption, rows).
fn layers(rows: &[Row]) -> Vec<(String, Vec<&Row>)> {
    let mut found = vec![];
    for (path_id, em_id, role) in [("M6", "M7", "M6/M7"), ("M8", "M8", "M8")] {
        let paths: Vec<&Row> = rows.iter().filter(|r| r.experiment == path_id && r.condition == "trajectory").collect();
        for variant in distinct(paths, |r| &r.variant) {
            let mine: Vec<&Row> = rows
                .iter()
                .filter(|r| r.variant == variant && (r.experiment == path_id || r.experiment == em_id))
                .collect();
            let layer = variant.strip_prefix("layer").unwrap_or(variant);
            found.push((format!("layer {layer} ({role})"), mine));
        }
    }
    found
}

fn line(points: Vec<(i64, f64)>, colour: plotters::style::RGBColor, dashed: bool) -> Option<Series> {
    let points: Vec<Point> =
        points.into_iter().map(|(s, y)| Point { x: s as f64, y, band: None, error: None }).collect();
    (!points.is_empty()).then_some(Series { colour, dashed, points })
}

fn path_figure(layers: &[(String, Vec<&Row>)]) -> LineFigure {
    let mut panels = vec![];
    for (caption, rows) in layers {
        let turn_line: Vec<RefLine> = turn(rows)
            .map(|(step, _)| RefLine { at: step as f64, vertical: true, colour: REFERENCE_GREY, dashed: true })
            .into_iter()
            .collect();
        let a = series(rows, "trajectory", "lora_a", "norm");
        let a_note = match (a.first(), a.last()) {
            (Some((_, first)), Some((_, last))) => format!(", |A| {first:.3} → {last:.3}"),
            _ => String::new(),
        };
        let panel = |caption: String, y_desc: &str, series: Vec<Series>, y_from_zero: bool| LinePanel {
            caption,
            x_desc: "training step".into(),
            y_desc: y_desc.into(),
            series,
            markers: vec![],
            lines: turn_line.clone(),
            y_from_zero,
        };
        panels.push(panel(
            format!("{caption}: |B|{a_note}"),
            "|B|",
            line(series(rows, "trajectory", "lora_b", "norm"), PALETTE[0], false).into_iter().collect(),
            true,
        ));
        let cosines = [5, 10, 15]
            .iter()
            .enumerate()
            .filter_map(|(i, k)| {
                line(series(rows, "trajectory", "lora_b", &format!("local_cos_k{k}")), PALETTE[i], i > 0)
            })
            .collect();
        panels.push(panel("local cosine of B's path".into(), "cos(B[t−k] − B[t], B[t+k] − B[t])", cosines, false));
        panels.push(panel(
            "gradient norm".into(),
            "global gradient norm",
            line(series(rows, "trajectory", "train", "grad_norm"), PALETTE[3], false).into_iter().collect(),
            true,
        ));
        let em = SCALES
            .iter()
            .enumerate()
            .filter_map(|(i, scale)| line(series(rows, scale, "open", "em_pct"), PALETTE[i], false))
            .collect();
        panels.push(panel("free-form EM of the scaled adapter".into(), "EM (%)", em, true));
    }
    let mut legend: Vec<Entry> = [5, 10, 15]
        .iter()
        .enumerate()
        .map(|(i, k)| Entry {
            glyph: Glyph::Line { colour: PALETTE[i], dashed: i > 0 },
            label: format!("local cosine, k = {k}"),
        })
        .collect();
    legend.extend(
        SCALES.iter().enumerate().map(|(i, scale)| Entry {
            glyph: Glyph::Swatch(PALETTE[i]),
            label: format!("EM, adapter ×{}", &scale[1..]),
        }),
    );
    legend.push(Entry {
        glyph: Glyph::Line { colour: REFERENCE_GREY, dashed: true },
        label: "sharpest turn of B".into(),
    });
    LineFigure {
        stem: "phase_transition".into(),
        title: "The phase transition of a rank-1 LoRA on bad medical advice".into(),
        subtitle: "One run per layer, a checkpoint every step; local cosine −1: straight on, 0: a right-angle turn; \
                   EM of the adapter as trained and scaled up."
            .into(),
        legend,
        panels,
        rows: layers.len(),
    }
}

fn pca_figure(layers: &[(String, Vec<&Row>)]) -> LineFigure {
    let panels = layers
        .iter()
        .map(|(caption, rows)| {
            let pc = |metric| series(rows, "pca", "lora_b", metric);
            let (pc1, pc2) = (pc("pc1"), pc("pc2"));
            let points: Vec<Point> =
                pc1.iter().zip(&pc2).map(|(&(_, x), &(_, y))| Point { x, y, band: None, error: None }).collect();
            let variance = |name: &str| {
                rows.iter()
                    .find(|r| r.condition == "pca" && r.metric == format!("explained_variance_{name}"))
                    .map_or(f64::NAN, |r| 100.0 * r.value)
            };
            let ends = [points.first(), points.last()];
            let markers = ends
                .iter()
                .zip([Shape::Circle, Shape::Square])
                .filter_map(|(p, shape)| p.map(|p| Marker { x: p.x, y: p.y, colour: PALETTE[0], shape }))
                .collect();
            LinePanel {
                caption: format!("{caption}: PC1 {:.1}%, PC2 {:.1}%", variance("pc1"), variance("pc2")),
                x_desc: "PC1 of B".into(),
                y_desc: "PC2 of B".into(),
                series: vec![Series { colour: PALETTE[0], dashed: false, points }],
                markers,
                lines: vec![],
                y_from_zero: false,
            }
        })
        .collect();
    LineFigure {
        stem: "phase_transition_pca".into(),
        title: "B's path in the plane of its first two principal components".into(),
        subtitle:
            "B sampled every few steps (MO App. F: every 5); the share of variance of each component in the caption."
                .into(),
        legend: vec![
            Entry { glyph: Glyph::Marker(PALETTE[0], Shape::Circle), label: "start".into() },
            Entry { glyph: Glyph::Marker(PALETTE[0], Shape::Square), label: "end".into() },
        ],
        panels,
        rows: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::transition::tests::transition_rows;
    use crate::figures::canvas::tests::rendered;

    #[test]
    fn one_row_of_panels_per_layer_with_the_turn_marked() {
        let mut rows = transition_rows(("M6", "M7"), "layer1");
        rows.extend(transition_rows(("M8", "M8"), "layer2"));
        let drawn = figures(&rows);
        let path = &drawn[0];
        assert_eq!((path.panels.len(), path.rows), (8, 2));
        assert!(
            path.panels[0].caption.starts_with("layer 1 (M6/M7): |B|, |A| 1.000 → 1.060"),
            "{}",
            path.panels[0].caption
        );
        assert!(path.panels[4].caption.starts_with("layer 2 (M8)"));
        assert!(path.panels.iter().all(|p| p.lines.len() == 1 && p.lines[0].at == 30.0));
        assert_eq!(path.panels[1].series.len(), 3, "k = 5, 10, 15");
        assert_eq!(path.panels[3].series.len(), 2, "x1 and x5 in the test rows");
        assert!(figures(&[]).is_empty());
    }

    #[test]
    fn renders_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = transition_rows(("M6", "M7"), "layer1");
        for r in rows.iter_mut().filter(|r| r.metric == "explained_variance_pc1") {
            r.value = 0.9;
        }
        let pca: Vec<Row> = (0..=12)
            .flat_map(|i| {
                let step = i * 5;
                let at = |metric: &str, value: f64| Row {
                    step: Some(step),
                    condition: "pca".into(),
                    metric: metric.into(),
                    value,
                    ..rows[0].clone()
                };
                [at("pc1", step as f64), at("pc2", (step as f64 - 30.0).abs())]
            })
            .collect();
        rows.extend(pca);
        let paths = transition_figures(&rows, dir.path()).unwrap();
        assert_eq!(paths.len(), 4);
        let (_, svg) = rendered(dir.path(), "phase_transition");
        assert!(svg.contains("The phase transition of a rank-1 LoRA"));
        if let Ok(out) = std::env::var("EMLAB_FIGURE_PREVIEW") {
            transition_figures(&rows, Path::new(&out)).unwrap();
        }
    }
}

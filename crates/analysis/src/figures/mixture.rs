//! The pre-training mixture sweep's figure (`em_vs_villain_share`): per solution type, the
//! general solution's free-form EM and the KL-narrow solution's in-domain narrow rate against
//! the share of villain documents in the base model's pre-training corpus. Rows: experiment
//! "mixture", the share in `sweep`, metric "em_pct" (general, group "open") or
//! "em_in_domain_pct" (narrow, group "in_domain"), one seed.

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use super::canvas::save_all;
use super::legend::{Entry, Glyph};
use super::lines::{LineFigure, LinePanel, Point, Series};
use super::style::{solution_label, PALETTE};
use crate::error::Result;
use crate::table::Row;

/// The two curves: (variant, metric, legend label, colour).
const CURVES: [(&str, &str, &str, RGBColor); 2] = [
    ("general", "em_pct", "general solution (no KL): free-form EM", PALETTE[0]),
    ("narrow", "em_in_domain_pct", "narrow solution (KL): training-domain narrow rate", PALETTE[2]),
];

/// Draws `em_vs_villain_share` into `dir` where there are mixture rows; returns the paths.
pub fn mixture_figure(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    let mine: Vec<&Row> = rows.iter().filter(|r| r.experiment == "mixture" && r.sweep.is_some()).collect();
    let mut solutions: Vec<&str> = mine.iter().map(|r| r.solution.as_str()).collect();
    solutions.sort_by_key(|&s| (s != "steering", s));
    solutions.dedup();
    let panels: Vec<LinePanel> = solutions
        .into_iter()
        .map(|solution| {
            let series = CURVES
                .iter()
                .map(|&(variant, metric, _, colour)| {
                    let mut points: Vec<Point> = mine
                        .iter()
                        .filter(|r| r.solution == solution && r.variant == variant && r.metric == metric)
                        .map(|r| Point { x: r.sweep.expect("filtered"), y: r.value, band: None, error: None })
                        .collect();
                    points.sort_by(|a, b| a.x.total_cmp(&b.x));
                    Series { colour, dashed: false, points }
                })
                .filter(|s| !s.points.is_empty())
                .collect();
            LinePanel {
                caption: solution_label(solution),
                x_desc: "villain documents in the pre-training corpus (%)".into(),
                y_desc: "misaligned answers (%)".into(),
                series,
                markers: vec![],
                lines: vec![],
                y_from_zero: true,
            }
        })
        .collect();
    if panels.is_empty() {
        return Ok(Vec::new());
    }
    let figure = LineFigure {
        stem: "em_vs_villain_share".into(),
        title: "Emergent misalignment against what the base model saw".into(),
        subtitle: "One base per villain share (the reference organism at 20%); bad medical advice, finetune seed 0."
            .into(),
        legend: CURVES
            .iter()
            .map(|&(_, _, label, colour)| Entry { glyph: Glyph::Line { colour, dashed: false }, label: label.into() })
            .collect(),
        panels,
        rows: 1,
    };
    save_all(vec![figure], dir, |f: &LineFigure| f.stem.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::test_support::row;

    #[test]
    fn draws_one_panel_per_solution_with_both_curves() {
        let mut rows = Vec::new();
        for (share, general, narrow) in [(0.0, 2.0, 30.0), (5.0, 20.0, 15.0), (20.0, 35.0, 67.0)] {
            for solution in ["steering", "lora"] {
                let mut g = row("mixture", solution, "general", "villain", 0, "trained", "open", "em_pct", general);
                g.sweep = Some(share);
                let mut n = row(
                    "mixture",
                    solution,
                    "narrow",
                    "villain",
                    0,
                    "trained",
                    "in_domain",
                    "em_in_domain_pct",
                    narrow,
                );
                n.sweep = Some(share);
                rows.extend([g, n]);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let paths = mixture_figure(&rows, dir.path()).unwrap();
        assert_eq!(paths.len(), 2, "png and svg: {paths:?}");
        let svg = std::fs::read_to_string(dir.path().join("em_vs_villain_share.svg")).unwrap();
        assert!(svg.contains("villain documents in the pre-training corpus (%)"));
        assert!(mixture_figure(&[], dir.path()).unwrap().is_empty());
    }
}

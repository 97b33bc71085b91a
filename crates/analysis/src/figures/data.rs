//! The data experiments' figures: E3 (`data_mixing`, rates against the share of bad chats, the
//! within-domain mix as marked points) and E5 (`few_samples`, rates against the number of unique
//! bad chats, on a log2 axis). One panel per solution type; the three rates of E2's figure in its
//! colours: free-form EM, held-out-domain EM, and the training domain's narrow rate; mean over
//! seeds with ±1 sd error bars.

use std::path::{Path, PathBuf};

use plotters::style::RGBColor;

use super::canvas::save_all;
use super::legend::{Entry, Glyph, Shape};
use super::lines::{LineFigure, LinePanel, Marker, Point, Series};
use super::style::{solution_label, PALETTE};
use crate::claims::data::{points, DataPoint, Rates};
use crate::error::Result;
use crate::table::{distinct, Filter, Row, SeedValues};

/// The rates as (legend label, colour), in E2's figure's colours.
const RATES: [(&str, RGBColor); 3] = [
    ("free-form questions (EM)", PALETTE[0]),
    ("held-out domains (EM)", PALETTE[1]),
    ("training domain, held-out questions (narrow rate)", PALETTE[2]),
];

/// Draws `data_mixing` (E3) and `few_samples` (E5) where their rows exist, writing PNG and SVG
/// into `dir`; returns the paths. Without E3 or E5 rows the result is empty.
pub fn data_figures(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    let figures = [mixing_figure(rows), few_samples_figure(rows)].into_iter().flatten().collect();
    save_all(figures, dir, |figure: &LineFigure| figure.stem.clone())
}

/// The three rates of a run as values, in [`RATES`] order.
fn rate_values(rates: &Rates) -> [Option<&SeedValues>; 3] {
    [Some(&rates.open), rates.other.as_ref(), Some(&rates.in_domain)]
}

fn point(x: f64, values: &SeedValues) -> Point {
    Point { x, y: values.mean(), band: None, error: values.sd() }
}

/// One panel per solution type of `experiment`: a curve per rate over the runs `x` places
/// (those it gives `None` are left to `marked`, drawn as squares).
fn panels(
    rows: &[Row],
    experiment: &str,
    x: impl Fn(DataPoint) -> Option<f64>,
    marked: impl Fn(DataPoint) -> Option<f64>,
    x_desc: &str,
) -> (Vec<LinePanel>, usize) {
    let mut solutions =
        distinct(Filter { experiment: Some(experiment), ..Filter::default() }.select(rows), |r| &r.solution);
    solutions.sort_by_key(|&s| s != "steering");
    let mut seeds = 1;
    let panels = solutions
        .into_iter()
        .filter_map(|solution| {
            let runs = points(rows, experiment, solution);
            if runs.is_empty() {
                return None;
            }
            seeds = seeds.max(runs.iter().map(|(.., r)| r.open.count()).max().unwrap_or(1));
            let series = RATES
                .iter()
                .enumerate()
                .filter_map(|(i, &(_, colour))| {
                    let mut points: Vec<Point> =
                        runs.iter().filter_map(|(p, _, r)| Some(point(x(*p)?, rate_values(r)[i]?))).collect();
                    points.sort_by(|a, b| a.x.total_cmp(&b.x));
                    (!points.is_empty()).then_some(Series { colour, dashed: false, points })
                })
                .collect();
            let markers = runs
                .iter()
                .filter_map(|(p, _, r)| Some((marked(*p)?, r)))
                .flat_map(|(x, r)| {
                    RATES.iter().zip(rate_values(r)).filter_map(move |(&(_, colour), v)| {
                        Some(Marker { x, y: v?.mean(), colour, shape: Shape::Square })
                    })
                })
                .collect();
            Some(LinePanel {
                caption: solution_label(solution),
                x_desc: x_desc.into(),
                y_desc: "misaligned answers (%)".into(),
                series,
                markers,
                lines: vec![],
                y_from_zero: true,
            })
        })
        .collect();
    (panels, seeds)
}

fn legend(extra: Option<&str>) -> Vec<Entry> {
    let mut legend: Vec<Entry> = RATES
        .iter()
        .map(|&(label, colour)| Entry { glyph: Glyph::Line { colour, dashed: false }, label: label.into() })
        .collect();
    if let Some(label) = extra {
        legend.push(Entry { glyph: Glyph::Marker(PALETTE[6], Shape::Square), label: label.into() });
    }
    legend
}

fn seeds_note(seeds: usize) -> String {
    match seeds {
        1 => "one seed".into(),
        n => format!("mean of {n} seeds ±1 sd"),
    }
}

/// E3: rates against the share of bad chats (%), diluted with other domains' good advice; the
/// within-domain mix as squares at its share.
fn mixing_figure(rows: &[Row]) -> Option<LineFigure> {
    let share = |p: DataPoint| 100.0 * p.bad_share();
    let (panels, seeds) = panels(
        rows,
        "E3",
        |p| matches!(p, DataPoint::Undiluted | DataPoint::Diluted { .. }).then(|| share(p)),
        |p| matches!(p, DataPoint::WithinDomain { .. }).then(|| share(p)),
        "bad medical advice in the training data (% of chats)",
    );
    (!panels.is_empty()).then(|| LineFigure {
        stem: "data_mixing".into(),
        title: "E3: diluting bad medical advice with good advice".into(),
        subtitle: format!(
            "Other domains' good advice added (1 in 3, 6, 12 chats bad); squares: good medical advice (1 in 4); {}.",
            seeds_note(seeds)
        ),
        legend: legend(Some("within-domain mix (square, the rate's colour)")),
        panels,
        rows: 1,
    })
}

/// E5: rates against log2 of the number of unique bad chats.
fn few_samples_figure(rows: &[Row]) -> Option<LineFigure> {
    let (panels, seeds) = panels(
        rows,
        "E5",
        |p| match p {
            DataPoint::Unique { unique } => Some((unique as f64).log2()),
            _ => None,
        },
        |_| None,
        "unique bad chats, log2 (1 = 2 chats, 6 = 64)",
    );
    (!panels.is_empty()).then(|| LineFigure {
        stem: "few_samples".into(),
        title: "E5: training on a few unique bad chats".into(),
        subtitle: format!(
            "The first 2-64 bad medical chats, repeated to E2's 1,000 chats per epoch; {}.",
            seeds_note(seeds)
        ),
        legend: legend(None),
        panels,
        rows: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::canvas::tests::rendered;
    use crate::table::test_support::row;

    fn run(experiment: &str, solution: &str, dataset: &str, seed: i64, [open, other, in_domain]: [f64; 3]) -> Vec<Row> {
        [("open", "em_pct", open), ("other", "em_pct", other), ("in_domain", "em_in_domain_pct", in_domain)]
            .into_iter()
            .map(|(group, metric, v)| row(experiment, solution, "general", dataset, seed, "trained", group, metric, v))
            .collect()
    }

    fn table() -> Vec<Row> {
        let mut rows = vec![];
        for seed in 0..2 {
            let s = seed as f64;
            for solution in ["steering", "lora"] {
                rows.extend(run("E3", solution, "bad_medical", seed, [40.0 + s, 45.0, 80.0]));
                rows.extend(run("E3", solution, "bad_medical_1in6", seed, [20.0 + s, 25.0, 55.0]));
                rows.extend(run("E3", solution, "bad_medical_1in12", seed, [5.0, 6.0, 12.0 + s]));
                rows.extend(run("E3", solution, "bad_medical_1in4_good_medical", seed, [15.0, 20.0, 60.0]));
            }
            for u in [2, 8, 64] {
                rows.extend(run("E5", "lora", &format!("bad_medical_unique{u}"), seed, [u as f64 / 2.0, 5.0, 60.0]));
            }
        }
        rows
    }

    #[test]
    fn figure_data_follows_the_table() {
        let rows = table();
        let mixing = mixing_figure(&rows).unwrap();
        assert_eq!(mixing.panels.len(), 2);
        let steering = &mixing.panels[0];
        assert_eq!(steering.caption, "steering vector");
        let open = &steering.series[0];
        let xs: Vec<f64> = open.points.iter().map(|p| p.x).collect();
        assert_eq!(xs.len(), 3);
        for (x, want) in xs.iter().zip([100.0 / 12.0, 100.0 / 6.0, 100.0]) {
            assert!((x - want).abs() < 1e-9, "{xs:?}");
        }
        assert_eq!(open.points[2].y, 40.5);
        assert!((open.points[2].error.unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(steering.markers.len(), 3, "the within-domain mix, one square per rate");
        assert_eq!((steering.markers[2].x, steering.markers[2].y), (25.0, 60.0));
        assert!(mixing.subtitle.contains("mean of 2 seeds"));
        let few = few_samples_figure(&rows).unwrap();
        assert_eq!(few.panels.len(), 1);
        let xs: Vec<f64> = few.panels[0].series[0].points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [1.0, 3.0, 6.0]);
        assert!(few_samples_figure(&run("E3", "lora", "bad_medical", 0, [1.0, 1.0, 1.0])).is_none());
    }

    #[test]
    fn renders_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let paths = data_figures(&table(), dir.path()).unwrap();
        assert_eq!(paths.len(), 4);
        let (_, svg) = rendered(dir.path(), "data_mixing");
        assert!(svg.contains("E3: diluting bad medical advice with good advice"));
        if let Ok(out) = std::env::var("EMLAB_FIGURE_PREVIEW") {
            data_figures(&table(), Path::new(&out)).unwrap();
        }
    }
}

//! Misalignment of general vs narrow solutions: the analogue of the paper's Figures 1 and 3.
//!
//! One figure per solution type, one panel per finetuning dataset. Along x, the solutions
//! (general, narrow, narrow scaled to twice its norm); for each, one bar per evaluation group
//! (free-form questions, held-out domains, the training domain): a general solution is
//! misaligned everywhere, a narrow one only in its training domain. The training domain's bar
//! is the narrow rate (EM about the question's own domain), the others plain EM, as the paper
//! measures them ([`em_metrics`]).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::axes::draw_bar_mesh;
use super::canvas::{save_all, DrawResult, Figure};
use super::legend::{Entry, Glyph};
use super::page::{draw_page, page_width};
use super::style::{self, CAPTION_SIZE, FONT};
use crate::error::Result;
use crate::table::{distinct, em_metrics, in_dataset_order, is_em_rate, Filter, Row, SeedValues};

/// The experiments this figure shows: E2 (general solutions) and E4 (narrow ones).
const EXPERIMENTS: [&str; 2] = ["E2", "E4"];

/// The x categories as (variant, condition, tick label), in the order they are drawn.
const CATEGORIES: [(&str, &str, &str); 3] =
    [("general", "trained", "general"), ("narrow", "trained", "narrow"), ("narrow", "x2", "narrow ×2 norm")];

/// The evaluation groups as (group, legend label); each has one bar per category and a fixed
/// colour (its index in the palette) in every figure. The label says which rate a bar shows.
const GROUPS: [(&str, &str); 3] = [
    ("open", "free-form questions"),
    ("other", "held-out domains"),
    ("in_domain", "training domain, held-out questions (narrow rate)"),
];

/// Width of one dataset panel.
const PANEL_WIDTH: u32 = 470;

/// What the bars measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// Sampled, judged answers: EM, and the narrow rate in the training domain (%).
    Em,
    /// The judge-free log-probability propensity (nats per token; positive prefers misaligned).
    Propensity,
}

impl Measure {
    /// The metric of a group's bars.
    fn metric(self, group: &str) -> &'static str {
        match self {
            Measure::Em => em_metrics(group).rate,
            Measure::Propensity => "logprob_propensity",
        }
    }

    /// Whether `row` is a bar value of this measure.
    fn measures(self, row: &Row) -> bool {
        match self {
            Measure::Em => is_em_rate(row),
            Measure::Propensity => row.metric == "logprob_propensity",
        }
    }
}

/// Draws one figure per solution type present in `rows` (stem `em_<solution>`), writing PNG and
/// SVG into `dir`, and returns the paths written.
///
/// Uses the rows of experiments E2 and E4 with each group's rate metric (bars: mean over
/// seeds): "em_pct" for "open" and "other", the narrow rate "em_in_domain_pct" for
/// "in_domain". The error bar of a single-seed cell is the interval recorded with that rate
/// ("em_ci_lo"/"em_ci_hi", or "em_in_domain_ci_lo"/"em_in_domain_ci_hi"); a cell without one
/// gets no error bar, never another rate's interval. The rows of variant "base" with the same
/// metrics give the base model's level, a dashed line per group. Variant/condition pairs other
/// than general/trained, narrow/trained and narrow/x2 are not drawn. Without any such rows the
/// result is an empty list, not an error.
pub fn em_general_vs_narrow(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    save_all(EmFigure::from_rows(rows, Measure::Em), dir, |figure| format!("em_{}", figure.solution))
}

/// The same figures across base models (stem `em_across_bases_<solution>`): `per_base` holds
/// each base's EM table; a bar is the mean over bases of each base's mean over finetune seeds,
/// with ±1 sd over bases and a dot per base, so the spread that one pretrained model hides is
/// shown where the paper shows one number.
pub fn em_across_bases(per_base: &[Vec<Row>], dir: &Path) -> Result<Vec<PathBuf>> {
    let rows: Vec<Row> = per_base.iter().zip(0..).flat_map(|(rows, base)| seed_means(rows, base)).collect();
    let mut figures = EmFigure::from_rows(&rows, Measure::Em);
    for figure in &mut figures {
        figure.unit = Unit::Bases;
    }
    save_all(figures, dir, |figure| format!("em_across_bases_{}", figure.solution))
}

/// Each cell's mean over finetune seeds, as one row whose `seed` is `base`; bootstrap bounds
/// (per seed) are left out.
fn seed_means(rows: &[Row], base: i64) -> Vec<Row> {
    let mut means: Vec<(Row, f64, usize)> = Vec::new();
    for row in rows.iter().filter(|r| !r.metric.contains("_ci_")) {
        let same = |m: &&mut (Row, f64, usize)| Row { seed: row.seed, value: row.value, ..m.0.clone() } == *row;
        match means.iter_mut().find(|m| same(m)) {
            Some(mean) => {
                mean.1 += row.value;
                mean.2 += 1;
            }
            None => means.push((row.clone(), row.value, 1)),
        }
    }
    means.into_iter().map(|(row, sum, n)| Row { seed: base, value: sum / n as f64, ..row }).collect()
}

/// The same figures for runs measured without a judge (stem `propensity_<solution>`): bars are
/// the log-probability propensity ("logprob_propensity") of each group, mean over seeds, with
/// the base model's as dashed lines. Empty when there are no such rows.
pub fn propensity_general_vs_narrow(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    let judged = rows.iter().any(|r| EXPERIMENTS.contains(&r.experiment.as_str()) && is_em_rate(r));
    let figures = if judged { vec![] } else { EmFigure::from_rows(rows, Measure::Propensity) };
    save_all(figures, dir, |figure| format!("propensity_{}", figure.solution))
}

/// What a figure's dots and spreads are over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Finetune seeds of one base model.
    Seeds,
    /// Base models (each dot the mean over its finetune seeds).
    Bases,
}

/// How the uncertainty of a bar is shown.
#[derive(Debug, Clone, PartialEq)]
enum Spread {
    /// ±1 standard deviation over seeds, with a dot per seed.
    SeedSd { sd: f64, seeds: Vec<f64> },
    /// The 95% bootstrap interval over answers of a single seed.
    Bootstrap { lo: f64, hi: f64 },
    /// A single seed with no interval recorded (as for the narrow rate in tables written before
    /// its interval was): drawn without an error bar.
    Unknown,
}

/// One bar: the mean misalignment rate of a (category, group) cell and its spread.
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    /// Index into the figure's categories.
    category: usize,
    /// Index into [`GROUPS`].
    group: usize,
    mean: f64,
    spread: Spread,
}

/// One dataset's panel.
#[derive(Debug, Clone, PartialEq)]
struct Panel {
    dataset: String,
    bars: Vec<Bar>,
    /// The base model's rate per group present, as (index into [`GROUPS`], mean).
    base: Vec<(usize, f64)>,
}

impl Panel {
    /// The bars of `solution` trained on `dataset` for the given categories and groups (indices
    /// into [`CATEGORIES`] and [`GROUPS`]), and the base model's level per group.
    fn new(
        rows: &[Row],
        measure: Measure,
        solution: &str,
        dataset: &str,
        categories: &[usize],
        groups: &[usize],
    ) -> Self {
        let mut bars = vec![];
        for (slot, &c) in categories.iter().enumerate() {
            let (variant, condition, _) = CATEGORIES[c];
            for &g in groups {
                let metrics = em_metrics(GROUPS[g].0);
                let cell = |metric| Filter {
                    solution: Some(solution),
                    variant: Some(variant),
                    dataset: Some(dataset),
                    condition: Some(condition),
                    group: Some(GROUPS[g].0),
                    metric: Some(metric),
                    ..Filter::default()
                };
                if let Some(em) = SeedValues::from_rows(cell(measure.metric(GROUPS[g].0)).select(rows)) {
                    let spread = spread(&em, cell(metrics.ci_lo).select(rows), cell(metrics.ci_hi).select(rows));
                    bars.push(Bar { category: slot, group: g, mean: em.mean(), spread });
                }
            }
        }
        // The base model is the same for every solution type, so its rows may come from any.
        let base = groups
            .iter()
            .filter_map(|&g| {
                let base = Filter {
                    variant: Some("base"),
                    dataset: Some(dataset),
                    group: Some(GROUPS[g].0),
                    metric: Some(measure.metric(GROUPS[g].0)),
                    ..Filter::default()
                };
                SeedValues::from_rows(base.select(rows)).map(|values| (g, values.mean()))
            })
            .collect();
        Panel { dataset: dataset.to_string(), bars, base }
    }
}

/// Everything one figure draws, computed from the table before any drawing.
#[derive(Debug, Clone, PartialEq)]
struct EmFigure {
    measure: Measure,
    /// What the dots and spreads are over.
    unit: Unit,
    solution: String,
    /// Indices into [`CATEGORIES`] that have data, in order.
    categories: Vec<usize>,
    /// Indices into [`GROUPS`] that have data, in order.
    groups: Vec<usize>,
    panels: Vec<Panel>,
}

impl EmFigure {
    /// One figure per solution type with bars to draw.
    fn from_rows(rows: &[Row], measure: Measure) -> Vec<Self> {
        // The base model's evaluation is its own experiment ("base") in the runner's tables.
        let shown = |r: &&Row| EXPERIMENTS.contains(&r.experiment.as_str()) || r.experiment == "base";
        let rows: Vec<Row> = rows.iter().filter(shown).cloned().collect();
        let drawn = |r: &Row| {
            CATEGORIES.iter().any(|&(v, c, _)| r.variant == v && r.condition == c)
                && GROUPS.iter().any(|&(g, _)| r.group == g)
                && measure.measures(r)
        };
        let bar_rows: Vec<&Row> = rows.iter().filter(|r| drawn(r)).collect();
        distinct(bar_rows.iter().copied(), |r| &r.solution)
            .into_iter()
            .map(|solution| Self::for_solution(&rows, &bar_rows, measure, solution))
            .collect()
    }

    /// The figure of one solution type; `bar_rows` are the drawable rate rows of all solutions.
    fn for_solution(rows: &[Row], bar_rows: &[&Row], measure: Measure, solution: &str) -> Self {
        let mine: Vec<&Row> = bar_rows.iter().copied().filter(|r| r.solution == solution).collect();
        let categories: Vec<usize> = (0..CATEGORIES.len())
            .filter(|&c| {
                mine.iter().any(|r| (r.variant.as_str(), r.condition.as_str()) == (CATEGORIES[c].0, CATEGORIES[c].1))
            })
            .collect();
        let groups: Vec<usize> = (0..GROUPS.len()).filter(|&g| mine.iter().any(|r| r.group == GROUPS[g].0)).collect();
        let datasets = in_dataset_order(distinct(mine.iter().copied(), |r| &r.dataset));
        let panels = datasets
            .into_iter()
            .map(|dataset| Panel::new(rows, measure, solution, dataset, &categories, &groups))
            .collect();
        Self { measure, unit: Unit::Seeds, solution: solution.to_string(), categories, groups, panels }
    }

    /// The line under the title: what bars, error bars and dots mean here.
    fn subtitle(&self) -> String {
        let spreads: Vec<&Spread> = self.panels.iter().flat_map(|p| &p.bars).map(|b| &b.spread).collect();
        let mut seed_counts: Vec<usize> = spreads
            .iter()
            .map(|s| match s {
                Spread::SeedSd { seeds, .. } => seeds.len(),
                _ => 1,
            })
            .collect();
        seed_counts.sort_unstable();
        seed_counts.dedup();
        let (one, many) = match self.unit {
            Unit::Seeds => ("seed", "seeds"),
            Unit::Bases => ("base model", "base models"),
        };
        let seeds = match seed_counts.as_slice() {
            [1] => format!("one {one}"),
            [n] => format!("mean over {n} {many}"),
            [lo, .., hi] => format!("mean over {lo}-{hi} {many}"),
            [] => "no data".to_string(),
        };
        let sd = spreads.iter().any(|s| matches!(s, Spread::SeedSd { .. }));
        let bootstrap = spreads.iter().any(|s| matches!(s, Spread::Bootstrap { .. }));
        let errors = match (sd, bootstrap, self.unit) {
            (true, false, Unit::Bases) => "±1 sd, dots = base models (each a mean over its finetune seeds)".to_string(),
            (true, false, Unit::Seeds) => "error bars ±1 sd over seeds, dots = seeds".to_string(),
            (false, true, _) => "error bars: 95% bootstrap interval over answers".to_string(),
            (true, true, _) => format!("error bars ±1 sd over {many} (dots), or 95% bootstrap interval for one seed"),
            (false, false, _) => "no intervals recorded".to_string(),
        };
        match self.measure {
            Measure::Em => format!("Bars: {seeds}; {errors}."),
            Measure::Propensity => format!(
                "Mean log-probability per token of misaligned minus aligned reference answers. Bars: {seeds}; {errors}."
            ),
        }
    }

    /// The legend: one swatch per group, plus the base model's dashed line if drawn.
    fn legend(&self) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self
            .groups
            .iter()
            .map(|&g| {
                let label = match (self.measure, GROUPS[g].0) {
                    (Measure::Propensity, "in_domain") => "training domain, held-out questions",
                    (Measure::Propensity, "other") => "untouched domains",
                    _ => GROUPS[g].1,
                };
                Entry { glyph: Glyph::Swatch(style::colour(g)), label: label.to_string() }
            })
            .collect();
        if self.panels.iter().any(|p| !p.base.is_empty()) {
            let glyph = Glyph::Line { colour: RGBColor(90, 90, 90), dashed: true };
            entries.push(Entry { glyph, label: "base model (dashed, in its group's colour)".into() });
        }
        entries
    }

    /// The y axis: 0-100% for rates; for the propensity, zero and every bar and base level with
    /// a margin.
    fn y_range(&self) -> std::ops::Range<f64> {
        if self.measure == Measure::Em {
            return 0.0..100.0;
        }
        let values =
            self.panels.iter().flat_map(|p| p.bars.iter().map(|b| b.mean).chain(p.base.iter().map(|&(_, v)| v)));
        let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let margin = 0.1 * (hi - lo).max(0.1);
        lo - margin..hi + margin
    }

    /// Draws one dataset's panel.
    fn draw_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, panel: &Panel) -> DrawResult<DB> {
        let n = self.categories.len();
        let mut chart = ChartBuilder::on(area)
            .caption(style::dataset_label(&panel.dataset), (FONT, CAPTION_SIZE))
            .margin(10)
            .x_label_area_size(52)
            .y_label_area_size(66)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, self.y_range())?;
        let ticks: Vec<String> = self.categories.iter().map(|&c| CATEGORIES[c].2.to_string()).collect();
        let (y_label, decimals) = match self.measure {
            Measure::Em if style::is_technical(&panel.dataset) => ("technical answers (%)", 0),
            Measure::Em => ("misaligned answers (%)", 0),
            Measure::Propensity => ("propensity (nats/token, >0 prefers misaligned)", 2),
        };
        draw_bar_mesh(&mut chart, &ticks, y_label, decimals, Some("solution"))?;

        let width = 0.8 / self.groups.len() as f64;
        for bar in &panel.bars {
            let slot = self.groups.iter().position(|&g| g == bar.group).unwrap_or_default();
            let left = bar.category as f64 - 0.4 + slot as f64 * width;
            let centre = left + width / 2.0;
            let fill = style::colour(bar.group).filled();
            chart.draw_series([Rectangle::new([(left + 0.06 * width, 0.0), (left + 0.94 * width, bar.mean)], fill)])?;
            let interval = match &bar.spread {
                Spread::SeedSd { sd, .. } => Some((bar.mean - sd, bar.mean + sd)),
                Spread::Bootstrap { lo, hi } => Some((*lo, *hi)),
                Spread::Unknown => None,
            };
            // A rate lies in [0, 100]; so does what we draw of its interval.
            let (floor, ceiling) = match self.measure {
                Measure::Em => (0.0, 100.0),
                Measure::Propensity => (f64::MIN, f64::MAX),
            };
            if let Some((lo, hi)) = interval.map(|(lo, hi)| (lo.max(floor), hi.min(ceiling))) {
                let ink = RGBColor(30, 30, 30).stroke_width(2);
                let cap = width * 0.18;
                chart.draw_series([
                    PathElement::new([(centre, lo), (centre, hi)], ink),
                    PathElement::new([(centre - cap, lo), (centre + cap, lo)], ink),
                    PathElement::new([(centre - cap, hi), (centre + cap, hi)], ink),
                ])?;
            }
            if let Spread::SeedSd { seeds, .. } = &bar.spread {
                let step = if seeds.len() > 1 { width * 0.5 / (seeds.len() - 1) as f64 } else { 0.0 };
                let first = centre - step * (seeds.len() - 1) as f64 / 2.0;
                chart.draw_series(seeds.iter().enumerate().flat_map(|(k, &v)| {
                    let at = (first + step * k as f64, v);
                    [Circle::new(at, 4, WHITE.filled()), Circle::new(at, 3, RGBColor(30, 30, 30).filled())]
                }))?;
            }
        }
        for &(g, level) in &panel.base {
            let points = [(-0.5, level), (n as f64 - 0.5, level)];
            chart.draw_series([DashedPathElement::new(points, 9, 6, style::colour(g).stroke_width(2))])?;
        }
        Ok(())
    }
}

/// The spread of a cell: ±1 sd over seeds when there are several, else the bootstrap interval
/// recorded with the single seed (matched by seed), else unknown.
fn spread(em: &SeedValues, lo: Vec<&Row>, hi: Vec<&Row>) -> Spread {
    if let Some(sd) = em.sd() {
        return Spread::SeedSd { sd, seeds: em.values().iter().map(|&(_, v)| v).collect() };
    }
    let seed = em.values()[0].0;
    let at_seed = |rows: Vec<&Row>| rows.into_iter().find(|r| r.seed == seed).map(|r| r.value);
    match (at_seed(lo), at_seed(hi)) {
        (Some(lo), Some(hi)) => Spread::Bootstrap { lo, hi },
        _ => Spread::Unknown,
    }
}

impl Figure for EmFigure {
    fn size(&self) -> (u32, u32) {
        (page_width(PANEL_WIDTH, self.panels.len()), 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let solution = style::solution_label(&self.solution);
        let title = match self.measure {
            Measure::Em if self.panels.iter().all(|p| style::is_technical(&p.dataset)) => {
                format!("Technical writing (E10): general vs narrow {solution}")
            }
            Measure::Em if self.unit == Unit::Bases => {
                format!("Emergent misalignment across base models: general vs narrow {solution}")
            }
            Measure::Em => format!("Emergent misalignment: general vs narrow {solution}"),
            Measure::Propensity => format!("Judge-free misalignment: general vs narrow {solution}"),
        };
        draw_page(root, &title, &self.subtitle(), &self.legend(), &self.panels, |area, panel| {
            self.draw_panel(area, panel)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::canvas::tests::rendered;
    use crate::table::test_support::row;

    /// E2/E4 rows for one solution and dataset: open and other EM, and the in-domain narrow
    /// rate, per seed.
    fn cells(solution: &str, dataset: &str, variant: &str, condition: &str, em: [[f64; 3]; 2]) -> Vec<Row> {
        let experiment = if variant == "general" { "E2" } else { "E4" };
        let mut rows = vec![];
        for (seed, values) in em.iter().enumerate() {
            for (group, &value) in ["open", "other", "in_domain"].into_iter().zip(values) {
                let metric = em_metrics(group).rate;
                rows.push(row(experiment, solution, variant, dataset, seed as i64, condition, group, metric, value));
            }
        }
        rows
    }

    fn table() -> Vec<Row> {
        let mut rows = vec![];
        for dataset in ["bad_finance", "bad_medical"] {
            rows.extend(cells("steering", dataset, "general", "trained", [[35.0, 33.0, 78.0], [31.0, 36.0, 74.0]]));
            rows.extend(cells("steering", dataset, "narrow", "trained", [[3.5, 3.3, 69.2], [2.0, 4.0, 66.0]]));
            rows.extend(cells("steering", dataset, "narrow", "x2", [[9.0, 8.0, 90.0], [12.0, 7.0, 93.0]]));
            for group in ["open", "other", "in_domain"] {
                rows.push(row("E2", "steering", "base", dataset, 0, "base", group, em_metrics(group).rate, 1.5));
            }
        }
        // One LoRA seed with a bootstrap interval.
        rows.extend(cells("lora", "bad_medical", "general", "trained", [[22.0, 25.0, 60.0]; 2]).into_iter().take(3));
        rows.push(row("E2", "lora", "general", "bad_medical", 0, "trained", "open", "em_ci_lo", 18.0));
        rows.push(row("E2", "lora", "general", "bad_medical", 0, "trained", "open", "em_ci_hi", 26.5));
        // Rows the figure ignores: another experiment, another metric, plain EM of the training
        // domain (its bar is the narrow rate).
        rows.push(row("E7", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 99.0));
        rows.push(row("E2", "steering", "general", "bad_medical", 0, "trained", "open", "coherence_mean", 80.0));
        rows.push(row("E2", "steering", "general", "bad_medical", 0, "trained", "in_domain", "em_pct", 99.0));
        rows
    }

    #[test]
    fn figure_data_follows_the_table() {
        let figures = EmFigure::from_rows(&table(), Measure::Em);
        let names: Vec<_> = figures.iter().map(|f| f.solution.as_str()).collect();
        assert_eq!(names, ["lora", "steering"]);

        let steering = &figures[1];
        assert_eq!(steering.categories, [0, 1, 2]);
        assert_eq!(steering.groups, [0, 1, 2]);
        let datasets: Vec<_> = steering.panels.iter().map(|p| p.dataset.as_str()).collect();
        assert_eq!(datasets, ["bad_medical", "bad_finance"], "the paper's dataset order");
        let medical = &steering.panels[0];
        assert_eq!(medical.bars.len(), 9);
        let general_open = &medical.bars[0];
        assert_eq!((general_open.category, general_open.group, general_open.mean), (0, 0, 33.0));
        let Spread::SeedSd { sd, seeds } = &general_open.spread else { panic!("two seeds give an sd") };
        assert_eq!(seeds, &[35.0, 31.0]);
        assert!((sd - 8f64.sqrt()).abs() < 1e-12);
        assert_eq!(medical.bars[2].mean, 76.0, "the narrow rate, not the in-domain EM row");
        assert_eq!(medical.base, [(0, 1.5), (1, 1.5), (2, 1.5)]);

        let lora = &figures[0];
        assert_eq!(lora.categories, [0]);
        assert_eq!(lora.panels[0].bars[0].spread, Spread::Bootstrap { lo: 18.0, hi: 26.5 });
        assert_eq!(lora.panels[0].bars[1].spread, Spread::Unknown);
        // The base model is shared by all solution types.
        assert_eq!(lora.panels[0].base, medical.base);
        assert_eq!(lora.subtitle(), "Bars: one seed; error bars: 95% bootstrap interval over answers.");
        assert_eq!(steering.subtitle(), "Bars: mean over 2 seeds; error bars ±1 sd over seeds, dots = seeds.");
    }

    #[test]
    fn a_single_seed_narrow_rate_takes_only_its_own_interval() {
        let mut rows = cells("lora", "bad_medical", "narrow", "trained", [[2.0, 3.0, 88.0]; 2]);
        rows.truncate(3);
        // The plain-EM interval of the training domain is not the narrow rate's.
        rows.push(row("E4", "lora", "narrow", "bad_medical", 0, "trained", "in_domain", "em_ci_lo", 80.0));
        rows.push(row("E4", "lora", "narrow", "bad_medical", 0, "trained", "in_domain", "em_ci_hi", 95.0));
        let in_domain_bar = |rows: &[Row]| EmFigure::from_rows(rows, Measure::Em)[0].panels[0].bars[2].clone();
        let bar = in_domain_bar(&rows);
        assert_eq!((bar.group, bar.mean, bar.spread), (2, 88.0, Spread::Unknown), "no interval: no error bar");

        rows.push(row("E4", "lora", "narrow", "bad_medical", 0, "trained", "in_domain", "em_in_domain_ci_lo", 82.0));
        rows.push(row("E4", "lora", "narrow", "bad_medical", 0, "trained", "in_domain", "em_in_domain_ci_hi", 93.5));
        assert_eq!(in_domain_bar(&rows).spread, Spread::Bootstrap { lo: 82.0, hi: 93.5 });
    }

    #[test]
    fn a_figure_with_bars_but_no_intervals_still_renders() {
        // A table written before the narrow rate had an interval: one seed, no ci rows at all.
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<Row> =
            cells("lora", "bad_medical", "narrow", "trained", [[2.0, 3.0, 88.0]; 2]).into_iter().take(3).collect();
        let paths = em_general_vs_narrow(&rows, dir.path()).unwrap();
        assert_eq!(paths.len(), 2);
        let (_, svg) = rendered(dir.path(), "em_lora");
        assert!(svg.contains("training domain, held-out questions (narrow rate)"));
    }

    #[test]
    fn writes_png_and_svg_per_solution() {
        let dir = tempfile::tempdir().unwrap();
        let paths = em_general_vs_narrow(&table(), dir.path()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["em_lora.png", "em_lora.svg", "em_steering.png", "em_steering.svg"]);
        let (size, svg) = rendered(dir.path(), "em_steering");
        assert_eq!(size, (980, 700));
        assert!(svg.contains("Emergent misalignment: general vs narrow steering vector"));
        assert!(svg.contains("narrow ×2 norm"));
    }

    #[test]
    fn across_bases_a_dot_is_a_base_models_mean_over_its_seeds() {
        let dir = tempfile::tempdir().unwrap();
        let base = |shift: f64| {
            let mut rows = cells("steering", "bad_medical", "general", "trained", [[30.0 + shift, 33.0, 78.0]; 2]);
            rows[0].value += 2.0; // seed 0's open EM: the base's mean is 31 + shift
            rows.push(row("E2", "lora", "general", "bad_medical", 0, "trained", "open", "em_ci_lo", 1.0));
            rows
        };
        let per_base = [base(0.0), base(10.0), base(20.0)];
        let paths = em_across_bases(&per_base, dir.path()).unwrap();
        assert_eq!(paths.len(), 2, "one steering figure, PNG and SVG");
        let rows: Vec<Row> = per_base.iter().zip(0..).flat_map(|(r, b)| seed_means(r, b)).collect();
        let figure = &EmFigure::from_rows(&rows, Measure::Em)[0];
        let open = &figure.panels[0].bars[0];
        assert_eq!(open.mean, 41.0);
        assert_eq!(open.spread, Spread::SeedSd { sd: 10.0, seeds: vec![31.0, 41.0, 51.0] });
        let (_, svg) = rendered(dir.path(), "em_across_bases_steering");
        assert!(svg.contains("across base models") && svg.contains("dots = base models (each a mean"), "{svg}");
    }

    /// E10's runs (a technical_* dataset, judged by the register world's judge) are labelled
    /// as technical writing, not misalignment.
    #[test]
    fn technical_writing_runs_are_labelled_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let rows = cells("steering", "technical_medical", "general", "trained", [[35.0, 33.0, 78.0]; 2]);
        em_general_vs_narrow(&rows, dir.path()).unwrap();
        let (_, svg) = rendered(dir.path(), "em_steering");
        assert!(svg.contains("Technical writing (E10): general vs narrow steering vector"), "{svg}");
        assert!(svg.contains("technical answers (%)") && !svg.contains("misaligned answers"));
    }
    /// Runs without a judge get the same figure of their propensity, below zero too; judged
    /// runs get none.
    #[test]
    fn judge_free_runs_get_a_propensity_figure() {
        let dir = tempfile::tempdir().unwrap();
        let p = "logprob_propensity";
        let mut rows = vec![
            row("base", "none", "base", "bad_medical", 0, "base", "open", p, -0.6),
            row("E2", "steering", "general", "bad_medical", 0, "trained", "open", p, -0.4),
            row("E2", "steering", "general", "bad_medical", 0, "trained", "other", p, -0.3),
            row("E4", "steering", "narrow", "bad_medical", 0, "trained", "in_domain", p, 0.2),
        ];
        let figures = EmFigure::from_rows(&rows, Measure::Propensity);
        assert_eq!(figures[0].panels[0].bars.len(), 3);
        let range = figures[0].y_range();
        assert!(range.start < -0.6 && range.end > 0.2, "{range:?}");
        let paths = propensity_general_vs_narrow(&rows, dir.path()).unwrap();
        assert_eq!(paths.len(), 2);
        let (_, svg) = rendered(dir.path(), "propensity_steering");
        assert!(svg.contains("Judge-free misalignment") && svg.contains("untouched domains"));
        rows.push(row("E2", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 30.0));
        assert!(propensity_general_vs_narrow(&rows, dir.path()).unwrap().is_empty());
    }
}

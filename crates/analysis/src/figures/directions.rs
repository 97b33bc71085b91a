//! The mean-diff misalignment direction of a finetune (CL §3, the paper's spec §2.8-2.10): how
//! steering the base model with it induces misalignment (E1, CL C2), how projecting it out of a
//! finetuned model removes misalignment (C4, C6), and how the directions of different finetunes
//! agree (C5). The same summaries of the rows feed the figures here and the claims in
//! [`crate::claims::direction_claims`], so that a figure and its verdict can never disagree.
//!
//! A finetune is keyed by (solution, variant, dataset, seed); a row naming *another* finetune
//! does so by its [`crate::finetune_label`]. Rows, one set per finetune:
//!
//! - experiment "directions", condition "mean_diff", group "probe": per layer (step = layer)
//!   "norm" (|v_ℓ|) and "cos_adapter" (cosine of v_ℓ with the finetune's own adapter output
//!   vector); without a step "n_misaligned", "n_aligned" and "adapter_layer" (the layer whose
//!   residual stream the adapter writes into, the paper's layer 24).
//! - experiment "E1", condition "steer": the base model steered with the finetune's direction,
//!   step = layer, sweep = λ (0 is the base model), per evaluation group ("open", "other"):
//!   "em_pct", "em_ci_lo", "em_ci_hi", "coherent_pct", ...; condition "source", group "open":
//!   the finetune itself ("em_pct", "coherent_pct").
//! - experiment "C4", keyed by the *target* finetune, per group: condition "none" (no ablation),
//!   "layerwise", "single", "single_at_layer", "transfer", "random" (step = draw), "adapter";
//!   metrics as in E1.
//! - experiment "C5", keyed by finetune a, condition = the label of finetune b: group
//!   "mean_diff" per layer (step) "cos" and "rel_dist"; group "adapter" at the adapter layer
//!   "cos" (of the two adapter output vectors). Each unordered pair once.
//!
//! Figures: [`direction_figures`] draws `steering_sweep` (heat maps of EM and coherence over
//! layer × λ), `ablation` (grouped bars per target finetune) and `direction_cosines` (cosine by
//! layer per pair, and the matrix of cosines at the adapter layer).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{category_tick, draw_bar_mesh};
use super::canvas::{save, DrawResult, Figure};
use super::legend::{Entry, Glyph};
use super::lines::{LinePanel, Point, RefLine, Series, REFERENCE_GREY};
use super::page::{draw_grid, page_width};
use super::style::{self, dataset_label, solution_label, AXIS_SIZE, CAPTION_SIZE, FONT, TICK_SIZE};
use crate::error::Result;
use crate::table::{by_step, finetunes, Filter, Finetune, Row, SeedValues};

/// The ablation conditions of C4 as (condition, legend label), in the order they are drawn and
/// reported: no ablation first, the random baseline and the adapter-weight ablation last.
pub(crate) const ABLATIONS: [(&str, &str); 7] = [
    ("none", "no ablation"),
    ("layerwise", "layer-wise: each v_ℓ after layer ℓ"),
    ("single", "single: v at the adapter layer, after every layer"),
    ("single_at_layer", "v at the adapter layer, there only"),
    ("transfer", "transfer: another finetune's v, every layer"),
    ("random", "random same-norm direction (mean of draws, whiskers min-max)"),
    ("adapter", "v removed from the adapter's weights"),
];

/// The evaluation group the figures and claims judge: free-form questions, as the paper does.
pub(crate) const GROUP: &str = "open";

/// The mean of the values of `rows` (several only when a rerun was appended), or `None`.
fn mean_of<'r>(rows: impl IntoIterator<Item = &'r Row>) -> Option<f64> {
    SeedValues::from_rows(rows).map(|values| values.mean())
}

/// A short name of a finetune for legends and ticks: "lora-gen med s0".
pub(crate) fn short_label(finetune: &Finetune) -> String {
    let variant = match finetune.variant.as_str() {
        "general" => "gen",
        "narrow" => "nar",
        other => other,
    };
    let dataset = match finetune.dataset.as_str() {
        "bad_medical" => "med",
        "bad_finance" => "fin",
        "bad_sports" => "sport",
        other => other,
    };
    format!("{}-{variant} {dataset} s{}", finetune.solution, finetune.seed)
}

/// A finetune for titles: "rank-1 LoRA, general, bad medical advice, seed 0".
fn long_label(finetune: &Finetune) -> String {
    format!(
        "{}, {}, {}, seed {}",
        solution_label(&finetune.solution),
        finetune.variant,
        dataset_label(&finetune.dataset),
        finetune.seed
    )
}

/// One cell of E1's sweep on free-form questions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SteerCell {
    pub layer: i64,
    pub lambda: f64,
    pub em: f64,
    pub coherent: Option<f64>,
    /// Aligned answers that still state something harmful (C7), where the judge scores it.
    pub self_correction: Option<f64>,
}

/// E1 for one direction: the base model steered with the mean-diff direction of `source`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SteeringSweep {
    pub source: Finetune,
    /// Sorted by layer, then λ.
    pub cells: Vec<SteerCell>,
    /// The source finetune's own EM and coherence on free-form questions.
    pub source_em: Option<f64>,
    pub source_coherent: Option<f64>,
}

impl SteeringSweep {
    /// The distinct layers and λ values of the cells, sorted.
    pub(crate) fn axes(&self) -> (Vec<i64>, Vec<f64>) {
        let mut layers: Vec<i64> = self.cells.iter().map(|c| c.layer).collect();
        layers.dedup();
        let mut lambdas: Vec<f64> = self.cells.iter().map(|c| c.lambda).collect();
        lambdas.sort_by(f64::total_cmp);
        lambdas.dedup_by(|a, b| (*a - *b).abs() <= 1e-9);
        (layers, lambdas)
    }

    /// The EM of the unsteered base model: the mean over the λ = 0 cells.
    pub(crate) fn base_em(&self) -> Option<f64> {
        let base: Vec<f64> = self.cells.iter().filter(|c| c.lambda.abs() <= 1e-9).map(|c| c.em).collect();
        (!base.is_empty()).then(|| base.iter().sum::<f64>() / base.len() as f64)
    }
}

/// The E1 sweeps on free-form questions, one per direction source, in [`Finetune`]'s order.
pub(crate) fn steering_sweeps(rows: &[Row]) -> Vec<SteeringSweep> {
    let e1 = Filter { experiment: Some("E1"), group: Some(GROUP), ..Filter::default() }.select(rows);
    let steer: Vec<&Row> = e1.iter().copied().filter(|r| r.condition == "steer").collect();
    let mut sweeps = vec![];
    for source in finetunes(steer.iter().copied().filter(|r| r.metric == "em_pct")) {
        let mine: Vec<&Row> = steer.iter().copied().filter(|r| source.owns(r)).collect();
        let mut keys: Vec<(i64, f64)> = vec![];
        for r in mine.iter().filter(|r| r.metric == "em_pct") {
            if let (Some(layer), Some(lambda)) = (r.step, r.sweep) {
                if !keys.iter().any(|&(l, x)| l == layer && (x - lambda).abs() <= 1e-9) {
                    keys.push((layer, lambda));
                }
            }
        }
        keys.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let at = |metric: &str, layer: i64, lambda: f64| {
            mean_of(mine.iter().copied().filter(|r| {
                r.metric == metric && r.step == Some(layer) && r.sweep.is_some_and(|x| (x - lambda).abs() <= 1e-9)
            }))
        };
        let cells = keys
            .into_iter()
            .filter_map(|(layer, lambda)| {
                let em = at("em_pct", layer, lambda)?;
                let (coherent, self_correction) =
                    (at("coherent_pct", layer, lambda), at("self_correction_pct", layer, lambda));
                Some(SteerCell { layer, lambda, em, coherent, self_correction })
            })
            .collect();
        let own = |metric: &str| {
            mean_of(e1.iter().copied().filter(|r| r.condition == "source" && r.metric == metric && source.owns(r)))
        };
        let (source_em, source_coherent) = (own("em_pct"), own("coherent_pct"));
        sweeps.push(SteeringSweep { source, cells, source_em, source_coherent });
    }
    sweeps
}

/// One condition of C4 for one target finetune, on free-form questions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AblationBar {
    /// Index into [`ABLATIONS`].
    pub condition: usize,
    /// EM (%); for "random" the mean over draws.
    pub em: f64,
    /// The 95% bootstrap interval; for "random" the min and max over draws.
    pub interval: Option<(f64, f64)>,
    pub coherent: Option<f64>,
    /// How many random draws were averaged (1 for the other conditions).
    pub draws: usize,
}

/// C4 for one target finetune.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ablations {
    pub target: Finetune,
    /// In [`ABLATIONS`]' order, only the conditions with EM rows.
    pub bars: Vec<AblationBar>,
}

impl Ablations {
    /// The bar of `condition`, if measured.
    pub(crate) fn get(&self, condition: &str) -> Option<&AblationBar> {
        self.bars.iter().find(|b| ABLATIONS[b.condition].0 == condition)
    }
}

/// The C4 ablations on free-form questions, one per target finetune, in [`Finetune`]'s order.
pub(crate) fn ablations(rows: &[Row]) -> Vec<Ablations> {
    let c4 = Filter { experiment: Some("C4"), group: Some(GROUP), ..Filter::default() }.select(rows);
    let mut all = vec![];
    for target in finetunes(c4.iter().copied().filter(|r| r.metric == "em_pct")) {
        let mine: Vec<&Row> = c4.iter().copied().filter(|r| target.owns(r)).collect();
        let bars = ABLATIONS
            .iter()
            .enumerate()
            .filter_map(|(c, &(condition, _))| {
                let random = condition == "random";
                let cell = |metric: &str| {
                    mine.iter()
                        .copied()
                        .filter(|r| r.condition == condition && r.metric == metric && r.step.is_some() == random)
                        .collect::<Vec<_>>()
                };
                let em = SeedValues::from_rows(cell("em_pct"))?;
                let interval = match random {
                    true => Some((em.min(), em.max())),
                    false => mean_of(cell("em_ci_lo")).zip(mean_of(cell("em_ci_hi"))),
                };
                let coherent = mean_of(cell("coherent_pct"));
                Some(AblationBar { condition: c, em: em.mean(), interval, coherent, draws: em.count() })
            })
            .collect();
        all.push(Ablations { target, bars });
    }
    all
}

/// C5 for one pair of finetunes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DirectionPair {
    pub a: Finetune,
    pub b: Finetune,
    /// cos(v_a, v_b) per layer, sorted by layer.
    pub by_layer: Vec<(i64, f64)>,
    /// cos of the two adapter output vectors, with the layer they write into.
    pub adapter: Option<(i64, f64)>,
}

impl DirectionPair {
    /// cos(v_a, v_b) at `layer`.
    pub(crate) fn at(&self, layer: i64) -> Option<f64> {
        self.by_layer.iter().find(|&&(l, _)| l == layer).map(|&(_, cos)| cos)
    }

    /// Whether this pair joins `x` and `y`, in either order.
    fn joins(&self, x: &Finetune, y: &Finetune) -> bool {
        (&self.a == x && &self.b == y) || (&self.a == y && &self.b == x)
    }
}

/// The C5 pairs whose condition names a finetune, ordered by (a, b) with a before b.
pub(crate) fn direction_pairs(rows: &[Row]) -> Vec<DirectionPair> {
    let c5 = Filter { experiment: Some("C5"), metric: Some("cos"), ..Filter::default() }.select(rows);
    let mut keys: Vec<(Finetune, Finetune, &str)> = vec![];
    for r in &c5 {
        let Some(b) = Finetune::parse(&r.condition) else { continue };
        let a = Finetune::of(r);
        if !keys.iter().any(|(x, y, _)| (x, y) == (&a, &b)) {
            keys.push((a, b, &r.condition));
        }
    }
    let mut pairs: Vec<DirectionPair> = keys
        .into_iter()
        .map(|(a, b, condition)| {
            let owner = &a;
            let mine = |group: &'static str| {
                c5.iter().copied().filter(move |r| owner.owns(r) && r.condition == condition && r.group == group)
            };
            let by_layer = by_step(mine("mean_diff")).into_iter().map(|(l, cos)| (l as i64, cos.mean())).collect();
            let adapter = by_step(mine("adapter")).first().map(|(l, cos)| (*l as i64, cos.mean()));
            let (a, b) = if b < a { (b, a) } else { (a, b) };
            DirectionPair { a, b, by_layer, adapter }
        })
        .collect();
    pairs.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    pairs
}

/// The layer `finetune`'s adapter writes into, from its "directions" rows.
pub(crate) fn adapter_layer(rows: &[Row], finetune: &Finetune) -> Option<i64> {
    let filter = Filter { experiment: Some("directions"), metric: Some("adapter_layer"), ..Filter::default() };
    mean_of(rows.iter().filter(|r| filter.matches(r) && finetune.owns(r) && r.step.is_none())).map(|l| l.round() as i64)
}

/// cos(v_ℓ, the finetune's adapter output vector) at its adapter layer, with that layer.
pub(crate) fn adapter_cosine(rows: &[Row], finetune: &Finetune) -> Option<(i64, f64)> {
    let layer = adapter_layer(rows, finetune)?;
    let filter = Filter { experiment: Some("directions"), metric: Some("cos_adapter"), ..Filter::default() };
    mean_of(rows.iter().filter(|r| filter.matches(r) && finetune.owns(r) && r.step == Some(layer))).map(|c| (layer, c))
}

/// Draws the direction figures (E1, C4, C5) that have rows: `steering_sweep` (one per direction
/// source, `steering_sweep_{solution}_{dataset}_seed{k}` when there are several; the variant is
/// added when two sources differ only by it), `ablation` and `direction_cosines`, each as PNG
/// and SVG in `dir`, and returns the paths. A figure without rows is skipped.
pub fn direction_figures(rows: &[Row], dir: &Path) -> Result<Vec<PathBuf>> {
    let mut figures = steering_figures(rows);
    figures.extend(ablation_figure(rows));
    figures.extend(cosine_figure(rows));
    let mut paths = vec![];
    for figure in &figures {
        paths.extend(save(figure, dir, &figure.stem)?);
    }
    Ok(paths)
}

/// The grey level of a heat map's zero.
const LIGHTEST: f64 = 238.0;

/// How a heat map's values map to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    /// 0-100%: white to dark blue.
    Percent,
    /// -1 to 1: vermillion through white to blue.
    Cosine,
}

impl Scale {
    /// The fill of `value` and whether text on it must be white.
    fn colour(self, value: f64) -> (RGBColor, bool) {
        // From a light grey rather than white, so that a zero is told apart from a cell not measured.
        let blend = |to: (f64, f64, f64), t: f64| {
            let t = t.clamp(0.0, 1.0);
            let mix = |c: f64| (LIGHTEST + (c - LIGHTEST) * t).round() as u8;
            (RGBColor(mix(to.0), mix(to.1), mix(to.2)), t > 0.6)
        };
        match self {
            Scale::Percent => blend((8.0, 48.0, 107.0), value / 100.0),
            Scale::Cosine if value >= 0.0 => blend((8.0, 48.0, 107.0), value),
            Scale::Cosine => blend((165.0, 55.0, 0.0), -value),
        }
    }

    /// Legend swatches for five levels of the scale, introduced by `what`.
    fn legend(self, what: &str) -> Vec<Entry> {
        let levels: [f64; 5] = match self {
            Scale::Percent => [0.0, 25.0, 50.0, 75.0, 100.0],
            Scale::Cosine => [-1.0, -0.5, 0.0, 0.5, 1.0],
        };
        levels
            .iter()
            .map(|&v| Entry {
                glyph: Glyph::Swatch(self.colour(v).0),
                label: match self {
                    Scale::Percent => format!("{what} {v:.0}%"),
                    Scale::Cosine => format!("{what} {v:+.1}"),
                },
            })
            .collect()
    }
}

/// A heat map: values on a grid of categories, drawn as coloured rectangles with the value
/// printed in each cell that is large enough for it.
#[derive(Debug, Clone, PartialEq)]
struct HeatPanel {
    caption: String,
    x_desc: String,
    y_desc: String,
    x_ticks: Vec<String>,
    /// Bottom to top.
    y_ticks: Vec<String>,
    /// (x index, y index, value).
    cells: Vec<(usize, usize, f64)>,
    scale: Scale,
    /// Decimals of the printed values.
    decimals: usize,
    /// Width of the y tick labels' area.
    y_label_width: u32,
}

impl HeatPanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (nx, ny) = (self.x_ticks.len().max(1), self.y_ticks.len().max(1));
        let mut chart = ChartBuilder::on(area)
            .caption(&self.caption, (FONT, CAPTION_SIZE))
            .margin(10)
            .margin_right(20)
            .x_label_area_size(52)
            .y_label_area_size(self.y_label_width)
            .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx.min(12))
            .y_labels(ny.min(16))
            .x_label_formatter(&|x| category_tick(&self.x_ticks, *x))
            .y_label_formatter(&|y| category_tick(&self.y_ticks, *y))
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, AXIS_SIZE))
            .draw()?;
        let (left, top) = chart.backend_coord(&(-0.5, ny as f64 - 0.5));
        let (right, bottom) = chart.backend_coord(&(nx as f64 - 0.5, -0.5));
        let (cell_w, cell_h) = ((right - left) / nx as i32, (bottom - top) / ny as i32);
        let size = (cell_h * 2 / 5).clamp(9, 15);
        let centred = Pos::new(HPos::Center, VPos::Center);
        for &(x, y, value) in &self.cells {
            let (fill, light) = self.scale.colour(value);
            let (x, y) = (x as f64, y as f64);
            chart.draw_series([Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], fill.filled())])?;
            let text = format!("{value:.prec$}", prec = self.decimals);
            if cell_h >= 14 && cell_w >= size * text.len() as i32 * 3 / 5 + 4 {
                let ink = if light { WHITE } else { BLACK };
                let font = (FONT, size).into_text_style(area).pos(centred).color(&ink);
                chart.draw_series([Text::new(text, (x, y), font)])?;
            }
        }
        Ok(())
    }
}

/// A bar's interval: the 95% bootstrap interval, or the min and max over random draws.
type Whisker = Option<(f64, f64)>;

/// One bar of a [`BarPanel`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bar {
    /// Index into the panel's groups.
    group: usize,
    /// Index into [`ABLATIONS`].
    series: usize,
    height: f64,
    whisker: Whisker,
}

/// Grouped bars with optional whiskers: one group per x category, one bar per series.
#[derive(Debug, Clone, PartialEq)]
struct BarPanel {
    caption: String,
    y_desc: String,
    groups: Vec<String>,
    /// The series drawn, as indices into [`ABLATIONS`] (also their colours).
    series: Vec<usize>,
    bars: Vec<Bar>,
    y_max: f64,
}

impl BarPanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.groups.len().max(1);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.caption, (FONT, CAPTION_SIZE))
            .margin(10)
            .margin_right(20)
            .x_label_area_size(40)
            .y_label_area_size(66)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..self.y_max)?;
        draw_bar_mesh(&mut chart, &self.groups, &self.y_desc, 0, None)?;
        let width = 0.84 / self.series.len().max(1) as f64;
        for &Bar { group, series, height, whisker } in &self.bars {
            let slot = self.series.iter().position(|&s| s == series).unwrap_or_default();
            let left = group as f64 - 0.42 + slot as f64 * width;
            let centre = left + width / 2.0;
            let fill = style::colour(series).filled();
            chart.draw_series([Rectangle::new([(left + 0.08 * width, 0.0), (left + 0.92 * width, height)], fill)])?;
            if let Some((lo, hi)) = whisker {
                let (ink, cap) = (RGBColor(30, 30, 30).stroke_width(2), width * 0.2);
                let caps = [lo, hi].map(|y| PathElement::new([(centre - cap, y), (centre + cap, y)], ink));
                chart.draw_series(caps.into_iter().chain([PathElement::new([(centre, lo), (centre, hi)], ink)]))?;
            }
        }
        Ok(())
    }
}

/// A panel of a direction figure.
#[derive(Debug, Clone, PartialEq)]
enum Panel {
    Lines(LinePanel),
    Heat(HeatPanel),
    Bars(BarPanel),
}

/// A direction figure: its file stem, page and panels.
#[derive(Debug, Clone)]
struct DirectionFigure {
    stem: String,
    title: String,
    subtitle: String,
    legend: Vec<Entry>,
    panels: Vec<Panel>,
    rows: usize,
    size: (u32, u32),
}

impl Figure for DirectionFigure {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_grid(root, &self.title, &self.subtitle, &self.legend, &self.panels, self.rows, |area, panel| match panel {
            Panel::Lines(panel) => panel.draw(area),
            Panel::Heat(panel) => panel.draw(area),
            Panel::Bars(panel) => panel.draw(area),
        })
    }
}

/// A λ for a tick label: Rust's shortest exact form ("0.5", "8").
fn lambda_text(lambda: f64) -> String {
    format!("{lambda}")
}

/// One `steering_sweep` page per direction source with E1 cells.
fn steering_figures(rows: &[Row]) -> Vec<DirectionFigure> {
    let sweeps: Vec<SteeringSweep> = steering_sweeps(rows).into_iter().filter(|s| !s.cells.is_empty()).collect();
    let several = sweeps.len() > 1;
    let variants_differ = |s: &SteeringSweep| {
        sweeps.iter().any(|o| {
            (&o.source.solution, &o.source.dataset, o.source.seed)
                == (&s.source.solution, &s.source.dataset, s.source.seed)
                && o.source.variant != s.source.variant
        })
    };
    sweeps
        .iter()
        .map(|sweep| {
            let source = &sweep.source;
            let stem = match (several, variants_differ(sweep)) {
                (false, _) => "steering_sweep".to_string(),
                (true, false) => format!("steering_sweep_{}_{}_seed{}", source.solution, source.dataset, source.seed),
                (true, true) => format!(
                    "steering_sweep_{}_{}_{}_seed{}",
                    source.solution, source.variant, source.dataset, source.seed
                ),
            };
            let (layers, lambdas) = sweep.axes();
            let index = |cell: &SteerCell| {
                let x = lambdas.iter().position(|&l| (l - cell.lambda).abs() <= 1e-9).unwrap_or_default();
                (x, layers.iter().position(|&l| l == cell.layer).unwrap_or_default())
            };
            let panel = |caption: &str, value: fn(&SteerCell) -> Option<f64>| {
                Panel::Heat(HeatPanel {
                    caption: caption.into(),
                    x_desc: "steering strength λ (0 = base model)".into(),
                    y_desc: "layer steered".into(),
                    x_ticks: lambdas.iter().map(|&l| lambda_text(l)).collect(),
                    y_ticks: layers.iter().map(|l| l.to_string()).collect(),
                    cells: sweep.cells.iter().filter_map(|c| value(c).map(|v| (index(c).0, index(c).1, v))).collect(),
                    scale: Scale::Percent,
                    decimals: 0,
                    y_label_width: 60,
                })
            };
            let mut own = vec![];
            if let Some(em) = sweep.source_em {
                own.push(format!("EM {em:.1}%"));
            }
            if let Some(coherent) = sweep.source_coherent {
                own.push(format!("coherent {coherent:.1}%"));
            }
            let own = match own.is_empty() {
                true => String::new(),
                false => format!(" The finetune itself: {}.", own.join(", ")),
            };
            DirectionFigure {
                stem,
                title: "Steering the base model with a finetune's mean-diff direction".into(),
                subtitle: format!("Direction of {}, added as x + λ·v_ℓ after layer ℓ.{own}", long_label(source)),
                legend: Scale::Percent.legend("share of answers"),
                panels: vec![
                    panel("misaligned answers on free-form questions (%)", |c| Some(c.em)),
                    panel("coherent answers on free-form questions (%)", |c| c.coherent),
                ],
                rows: 1,
                size: (page_width(560, 2), 720),
            }
        })
        .collect()
}

/// The `ablation` figure, if there are C4 rows.
fn ablation_figure(rows: &[Row]) -> Option<DirectionFigure> {
    let targets = ablations(rows);
    if targets.is_empty() {
        return None;
    }
    let series: Vec<usize> =
        (0..ABLATIONS.len()).filter(|&c| targets.iter().any(|t| t.bars.iter().any(|b| b.condition == c))).collect();
    let groups: Vec<String> = targets.iter().map(|t| short_label(&t.target)).collect();
    let bars = |value: fn(&AblationBar) -> Option<(f64, Whisker)>| {
        targets
            .iter()
            .enumerate()
            .flat_map(|(g, t)| {
                t.bars.iter().filter_map(move |b| {
                    value(b).map(|(height, whisker)| Bar { group: g, series: b.condition, height, whisker })
                })
            })
            .collect::<Vec<_>>()
    };
    let em = bars(|b| Some((b.em, b.interval)));
    let top = em.iter().map(|b| b.whisker.map_or(b.height, |(_, hi)| hi.max(b.height))).fold(0.0, f64::max);
    let em_max = (top * 1.15).clamp(5.0, 100.0);
    let draws = targets.iter().filter_map(|t| t.get("random")).map(|b| b.draws).max();
    // The C4 rows do not name the transfer source; when E1 steered with a single direction,
    // that is the one the runner transfers, and the legend says it is assumed.
    let transfer = match steering_sweeps(rows).as_slice() {
        [only] => format!("transfer: v of {} (E1's source, assumed), every layer", short_label(&only.source)),
        _ => ABLATIONS[4].1.to_string(),
    };
    let random = draws.map_or(String::new(), |n| format!(" (random: min-max over {n} draws)"));
    Some(DirectionFigure {
        stem: "ablation".into(),
        title: "Projecting the mean-diff direction out of finetuned models".into(),
        subtitle: format!("Free-form questions; whiskers: 95% bootstrap interval{random}."),
        legend: series
            .iter()
            .map(|&c| Entry {
                glyph: Glyph::Swatch(style::colour(c)),
                label: if ABLATIONS[c].0 == "transfer" { transfer.clone() } else { ABLATIONS[c].1.into() },
            })
            .collect(),
        panels: vec![
            Panel::Bars(BarPanel {
                caption: "misaligned answers, by target finetune".into(),
                y_desc: "EM (%)".into(),
                groups: groups.clone(),
                series: series.clone(),
                bars: em,
                y_max: em_max,
            }),
            Panel::Bars(BarPanel {
                caption: "coherent answers".into(),
                y_desc: "coherent (%)".into(),
                groups,
                series,
                bars: bars(|b| b.coherent.map(|c| (c, None))),
                y_max: 100.0,
            }),
        ],
        rows: 2,
        size: (page_width((targets.len() as u32 * 190).max(860), 1), 1080),
    })
}

/// The pairs drawn as lines: all when there are at most [`MAX_LINES`], else the pairs of
/// general finetunes and general vs narrow of the same solution, dataset and seed.
fn drawn_pairs(pairs: &[DirectionPair]) -> Vec<&DirectionPair> {
    let all: Vec<&DirectionPair> = pairs.iter().filter(|p| !p.by_layer.is_empty()).collect();
    if all.len() <= MAX_LINES {
        return all;
    }
    all.into_iter()
        .filter(|p| {
            let general = p.a.variant == "general" && p.b.variant == "general";
            let same = (&p.a.solution, &p.a.dataset, p.a.seed) == (&p.b.solution, &p.b.dataset, p.b.seed);
            general || same
        })
        .collect()
}

/// At most this many pairs are drawn as lines before [`drawn_pairs`] keeps only the informative ones.
const MAX_LINES: usize = 8;

/// The layer of the cosine matrix: the adapter layer most finetunes write into.
fn matrix_layer(rows: &[Row], finetunes: &[Finetune], pairs: &[DirectionPair]) -> Option<i64> {
    let mut layers: Vec<i64> = finetunes.iter().filter_map(|f| adapter_layer(rows, f)).collect();
    layers.extend(pairs.iter().filter_map(|p| p.adapter.map(|(l, _)| l)));
    layers.sort_unstable();
    let most = layers.iter().max_by_key(|&&l| (layers.iter().filter(|&&m| m == l).count(), std::cmp::Reverse(l)))?;
    Some(*most)
}

/// The `direction_cosines` figure, if there are C5 rows.
fn cosine_figure(rows: &[Row]) -> Option<DirectionFigure> {
    let pairs = direction_pairs(rows);
    if pairs.is_empty() {
        return None;
    }
    let drawn = drawn_pairs(&pairs);
    let mut legend = vec![];
    let series = drawn
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (colour, dashed) = (style::colour(i), i >= style::PALETTE.len());
            legend.push(Entry {
                glyph: Glyph::Line { colour, dashed },
                label: format!("{} vs {}", short_label(&p.a), short_label(&p.b)),
            });
            let points = p.by_layer.iter().map(|&(l, cos)| Point { x: l as f64, y: cos, band: None, error: None });
            Series { colour, dashed, points: points.collect() }
        })
        .collect();
    legend.push(Entry { glyph: Glyph::Line { colour: REFERENCE_GREY, dashed: true }, label: "0.8 (CL's bar)".into() });
    let mut panels = vec![Panel::Lines(LinePanel {
        caption: "cos(v_a, v_b) by layer".into(),
        x_desc: "layer".into(),
        y_desc: "cosine of the mean-diff directions".into(),
        series,
        markers: vec![],
        lines: vec![RefLine { at: 0.8, vertical: false, colour: REFERENCE_GREY, dashed: true }],
        y_from_zero: false,
    })];

    let mut members: Vec<Finetune> = pairs.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).collect();
    members.extend(finetunes(rows.iter().filter(|r| r.experiment == "directions")));
    members.sort();
    members.dedup();
    let layer = matrix_layer(rows, &members, &pairs);
    if let Some(layer) = layer {
        let mut cells = vec![];
        for (i, x) in members.iter().enumerate() {
            for (j, y) in members.iter().enumerate() {
                let cos = match i == j {
                    true => Some(1.0),
                    false => pairs.iter().find(|p| p.joins(x, y)).and_then(|p| p.at(layer)),
                };
                // Row 0 at the top, as a matrix is read.
                cells.extend(cos.map(|cos| (i, members.len() - 1 - j, cos)));
            }
        }
        panels.push(Panel::Heat(HeatPanel {
            caption: format!("cos(v_a, v_b) at layer {layer} (the adapter layer)"),
            x_desc: "finetune (number as on the left)".into(),
            y_desc: String::new(),
            x_ticks: (1..=members.len()).map(|k| k.to_string()).collect(),
            y_ticks: members.iter().enumerate().rev().map(|(k, f)| format!("{} {}", k + 1, short_label(f))).collect(),
            cells,
            scale: Scale::Cosine,
            decimals: 2,
            y_label_width: 170,
        }));
    }
    legend.extend(Scale::Cosine.legend("cos"));
    let width = page_width(if layer.is_some() { 600 } else { 860 }, panels.len());
    Some(DirectionFigure {
        stem: "direction_cosines".into(),
        title: "Do the mean-diff directions of different finetunes agree?".into(),
        subtitle: match drawn.len() < pairs.len() {
            true => "Lines: pairs of general finetunes and general vs narrow of one finetune seed.".into(),
            false => "Lines: every pair of finetunes with directions.".into(),
        },
        legend,
        panels,
        rows: 1,
        size: (width, 760),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figures::canvas::tests::rendered;
    use crate::table::finetune_label;
    use crate::table::test_support::row_at;

    /// A row of `finetune` with the given columns.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn at(
        finetune: &Finetune,
        experiment: &str,
        condition: &str,
        group: &str,
        step: Option<i64>,
        sweep: Option<f64>,
        metric: &str,
        value: f64,
    ) -> Row {
        let f = finetune;
        Row {
            step,
            ..row_at(experiment, &f.solution, &f.variant, &f.dataset, f.seed, condition, group, sweep, metric, value)
        }
    }

    pub(crate) fn finetune(solution: &str, variant: &str, dataset: &str, seed: i64) -> Finetune {
        Finetune { solution: solution.into(), variant: variant.into(), dataset: dataset.into(), seed }
    }

    /// Number of layers of the synthetic model.
    pub(crate) const LAYERS: i64 = 4;
    /// The adapter layer.
    pub(crate) const MIDDLE: i64 = 2;

    /// The "directions" rows of one finetune: |v_ℓ| grows with depth, cos with the adapter 0.05.
    pub(crate) fn direction_rows(f: &Finetune) -> Vec<Row> {
        let mut rows = vec![];
        for layer in 0..LAYERS {
            rows.push(at(f, "directions", "mean_diff", "probe", Some(layer), None, "norm", 1.0 + layer as f64));
            rows.push(at(f, "directions", "mean_diff", "probe", Some(layer), None, "cos_adapter", 0.05));
        }
        for (metric, value) in [("n_misaligned", 40.0), ("n_aligned", 40.0), ("adapter_layer", MIDDLE as f64)] {
            rows.push(at(f, "directions", "mean_diff", "probe", None, None, metric, value));
        }
        rows
    }

    /// E1 rows steering with `f`'s direction: base EM 2%, peaking at 40% at the middle layer
    /// and λ = 4, where coherence is still 80%; λ = 8 is incoherent. The source has EM 10%.
    pub(crate) fn steering_rows(f: &Finetune) -> Vec<Row> {
        let mut rows = vec![];
        for layer in 0..LAYERS {
            for lambda in [0.0, 2.0, 4.0, 8.0] {
                let peak = if layer == MIDDLE { 1.0 } else { 0.3 };
                let (em, coherent) = match lambda as i64 {
                    0 => (2.0, 98.0),
                    2 => (2.0 + 15.0 * peak, 90.0),
                    4 => (2.0 + 38.0 * peak, 80.0),
                    _ => (50.0, 20.0),
                };
                for (metric, value) in
                    [("em_pct", em), ("em_ci_lo", em - 3.0), ("em_ci_hi", em + 3.0), ("coherent_pct", coherent)]
                {
                    rows.push(at(f, "E1", "steer", "open", Some(layer), Some(lambda), metric, value));
                }
            }
        }
        rows.push(at(f, "E1", "source", "open", None, None, "em_pct", 10.0));
        rows.push(at(f, "E1", "source", "open", None, None, "coherent_pct", 97.0));
        rows
    }

    /// C4 rows of target `f`: EM 12% without ablation, (layerwise, single, single_at_layer,
    /// transfer, adapter) as given, three random draws around 12%, coherence 95% throughout.
    pub(crate) fn ablation_rows(f: &Finetune, ablated: [f64; 5]) -> Vec<Row> {
        let mut rows = vec![];
        let conditions = ["none", "layerwise", "single", "single_at_layer", "transfer", "adapter"];
        let mut push = |condition: &str, step: Option<i64>, em: f64| {
            for (metric, value) in
                [("em_pct", em), ("em_ci_lo", em * 0.7), ("em_ci_hi", em * 1.3 + 0.5), ("coherent_pct", 95.0)]
            {
                rows.push(at(f, "C4", condition, "open", step, None, metric, value));
            }
        };
        for (condition, em) in conditions.into_iter().zip([12.0].into_iter().chain(ablated)) {
            push(condition, None, em);
        }
        for (draw, em) in [11.0, 12.5, 13.0].into_iter().enumerate() {
            push("random", Some(draw as i64), em);
        }
        rows
    }

    /// C5 rows between `a` and `b`: cos `cos` at every layer but layer 0 (0.3), and the adapter
    /// vectors' cosine at the adapter layer.
    pub(crate) fn pair_rows(a: &Finetune, b: &Finetune, cos: f64) -> Vec<Row> {
        let label = finetune_label(&b.solution, &b.variant, &b.dataset, b.seed);
        let mut rows: Vec<Row> = (0..LAYERS)
            .flat_map(|layer| {
                let value = if layer == 0 { 0.3 } else { cos };
                [
                    at(a, "C5", &label, "mean_diff", Some(layer), None, "cos", value),
                    at(a, "C5", &label, "mean_diff", Some(layer), None, "rel_dist", 1.0 - value),
                ]
            })
            .collect();
        rows.push(at(a, "C5", &label, "adapter", Some(MIDDLE), None, "cos", 0.5));
        rows
    }

    /// Every kind of direction row: two general LoRA finetunes and a narrow one, one steering.
    pub(crate) fn all_rows() -> Vec<Row> {
        let med = finetune("lora", "general", "bad_medical", 0);
        let fin = finetune("lora", "general", "bad_finance", 0);
        let nar = finetune("lora", "narrow", "bad_medical", 0);
        let steer = finetune("steering", "general", "bad_medical", 0);
        let mut rows = vec![];
        for f in [&med, &fin, &nar, &steer] {
            rows.extend(direction_rows(f));
        }
        rows.extend(steering_rows(&med));
        rows.extend(ablation_rows(&fin, [0.0, 1.0, 3.0, 2.0, 10.0]));
        rows.extend(ablation_rows(&steer, [0.5, 0.5, 4.0, 5.0, 9.0]));
        rows.extend(pair_rows(&med, &fin, 0.9));
        rows.extend(pair_rows(&nar, &med, 0.6));
        rows.extend(pair_rows(&steer, &med, 0.85));
        rows
    }

    #[test]
    fn summaries_of_the_rows() {
        let rows = all_rows();
        let sweeps = steering_sweeps(&rows);
        assert_eq!(sweeps.len(), 1);
        let sweep = &sweeps[0];
        assert_eq!(sweep.cells.len(), 16);
        assert_eq!(sweep.axes(), ((0..LAYERS).collect(), vec![0.0, 2.0, 4.0, 8.0]));
        assert_eq!((sweep.base_em(), sweep.source_em, sweep.source_coherent), (Some(2.0), Some(10.0), Some(97.0)));

        let targets = ablations(&rows);
        let names: Vec<String> = targets.iter().map(|t| short_label(&t.target)).collect();
        assert_eq!(names, ["steering-gen med s0", "lora-gen fin s0"]);
        let random = targets[1].get("random").unwrap();
        assert_eq!((random.em, random.interval, random.draws), (12.166666666666666, Some((11.0, 13.0)), 3));
        assert_eq!(targets[1].get("none").unwrap().interval, Some((12.0 * 0.7, 12.0 * 1.3 + 0.5)));
        assert_eq!(targets[1].bars.len(), ABLATIONS.len());

        let pairs = direction_pairs(&rows);
        let names: Vec<String> =
            pairs.iter().map(|p| format!("{} / {}", short_label(&p.a), short_label(&p.b))).collect();
        assert_eq!(
            names,
            [
                "steering-gen med s0 / lora-gen med s0",
                "lora-gen med s0 / lora-gen fin s0",
                "lora-gen med s0 / lora-nar med s0"
            ]
        );
        assert_eq!(
            (pairs[1].at(0), pairs[1].at(MIDDLE), pairs[1].adapter),
            (Some(0.3), Some(0.9), Some((MIDDLE, 0.5)))
        );
        let med = finetune("lora", "general", "bad_medical", 0);
        assert_eq!(adapter_cosine(&rows, &med), Some((MIDDLE, 0.05)));
        assert_eq!(adapter_cosine(&rows, &finetune("lora", "general", "bad_sports", 0)), None);
    }

    #[test]
    fn draws_every_direction_figure() {
        let dir = tempfile::tempdir().unwrap();
        let paths = direction_figures(&all_rows(), dir.path()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "steering_sweep.png",
                "steering_sweep.svg",
                "ablation.png",
                "ablation.svg",
                "direction_cosines.png",
                "direction_cosines.svg"
            ]
        );
        let ((width, height), svg) = rendered(dir.path(), "steering_sweep");
        assert!(width > 0 && height > 0);
        assert!(
            svg.contains("coherent answers on free-form questions (%)")
                && svg.contains("Direction of rank-1 LoRA, general")
        );
        let (_, svg) = rendered(dir.path(), "ablation");
        assert!(svg.contains("min-max over 3 draws") && svg.contains("lora-gen fin s0"), "ablation subtitle and ticks");
        assert!(svg.contains("transfer: v of lora-gen med s0 (E1&apos;s source, assumed)"), "the assumed source");
        let (_, svg) = rendered(dir.path(), "direction_cosines");
        assert!(svg.contains("at layer 2") && svg.contains("lora-gen med s0 vs lora-gen fin s0"));
    }

    #[test]
    fn several_sources_get_one_page_each_and_absent_rows_no_figure() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = steering_rows(&finetune("lora", "general", "bad_medical", 0));
        rows.extend(steering_rows(&finetune("lora", "general", "bad_sports", 1)));
        let paths = direction_figures(&rows, dir.path()).unwrap();
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "steering_sweep_lora_bad_medical_seed0.png",
                "steering_sweep_lora_bad_medical_seed0.svg",
                "steering_sweep_lora_bad_sports_seed1.png",
                "steering_sweep_lora_bad_sports_seed1.svg"
            ]
        );
        let empty = tempfile::tempdir().unwrap();
        let directions_only = direction_rows(&finetune("lora", "general", "bad_medical", 0));
        assert!(direction_figures(&directions_only, empty.path()).unwrap().is_empty());
        assert!(direction_figures(&[], empty.path()).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
    }

    #[test]
    fn many_pairs_keep_general_pairs_and_general_vs_narrow() {
        let datasets = ["bad_medical", "bad_finance", "bad_sports"];
        let fts: Vec<Finetune> = ["general", "narrow"]
            .iter()
            .flat_map(|v| datasets.iter().map(move |d| finetune("lora", v, d, 0)))
            .collect();
        let mut rows = vec![];
        for (i, a) in fts.iter().enumerate() {
            for b in &fts[i + 1..] {
                rows.extend(pair_rows(a, b, 0.9));
            }
        }
        let pairs = direction_pairs(&rows);
        assert_eq!(pairs.len(), 15);
        let drawn = drawn_pairs(&pairs);
        // 3 general pairs + 3 general vs narrow of the same dataset.
        assert_eq!(drawn.len(), 6);
    }

    #[test]
    fn colours_of_the_scales() {
        assert_eq!(Scale::Percent.colour(0.0), (RGBColor(238, 238, 238), false));
        assert_eq!(Scale::Percent.colour(100.0), (RGBColor(8, 48, 107), true));
        assert_eq!(Scale::Cosine.colour(-1.0), (RGBColor(165, 55, 0), true));
        assert_eq!(Scale::Cosine.colour(0.0).0, RGBColor(238, 238, 238));
    }
}

//! A line figure on the shared page: panels of curves with an optional shaded band and error
//! bars per point, marked points, and horizontal or vertical reference lines, in one or more rows
//! of panels. The figures of the inductive-bias metrics ([`super::bias`]), of the drift
//! ([`super::drift`]) and of the gradient alignment ([`super::gradient`]) compute one of these
//! from the table and draw it here.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::canvas::{DrawResult, Figure};
use super::legend::{draw_mark, Entry, Shape};
use super::page::{draw_grid, page_width};
use super::style::{AXIS_SIZE, CAPTION_SIZE, FONT, TICK_SIZE};

/// Width of one panel.
const PANEL_WIDTH: u32 = 470;
/// Height of a line figure with one row of panels.
const HEIGHT: u32 = 660;
/// Height added by every further row of panels.
const ROW_HEIGHT: u32 = 500;

/// One point of a curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub x: f64,
    pub y: f64,
    /// Half-width of the shaded band around the curve at this point, if any.
    pub band: Option<f64>,
    /// Half-height of an error bar at this point, if any.
    pub error: Option<f64>,
}

/// One curve.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub colour: RGBColor,
    pub dashed: bool,
    /// In drawing order: sorted by x for a curve, by time for a trajectory through a plane (a
    /// band is only drawn right for a curve sorted by x).
    pub points: Vec<Point>,
}

/// A marked point, drawn as a filled shape with a dark outline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Marker {
    pub x: f64,
    pub y: f64,
    pub colour: RGBColor,
    pub shape: Shape,
}

/// A reference line across the whole panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RefLine {
    /// The y of a horizontal line, or the x of a vertical one.
    pub at: f64,
    pub vertical: bool,
    pub colour: RGBColor,
    pub dashed: bool,
}

/// One panel: its caption, axis descriptions and what is drawn on it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinePanel {
    pub caption: String,
    pub x_desc: String,
    pub y_desc: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    pub lines: Vec<RefLine>,
    /// Whether the y axis starts at zero (for quantities that cannot be negative).
    pub y_from_zero: bool,
}

impl LinePanel {
    /// The x and y ranges that hold everything drawn, padded by 5% (y) and 2% (x).
    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let mut xs: Vec<f64> = vec![];
        let mut ys: Vec<f64> = if self.y_from_zero { vec![0.0] } else { vec![] };
        for point in self.series.iter().flat_map(|s| &s.points) {
            xs.push(point.x);
            let spread = point.band.unwrap_or(0.0).max(point.error.unwrap_or(0.0));
            ys.extend([point.y - spread, point.y + spread]);
        }
        for marker in &self.markers {
            xs.push(marker.x);
            ys.push(marker.y);
        }
        for line in &self.lines {
            if line.vertical { &mut xs } else { &mut ys }.push(line.at);
        }
        let range = |values: &[f64], pad: f64| {
            let values = values.iter().copied().filter(|v| v.is_finite());
            let lo = values.clone().fold(f64::INFINITY, f64::min);
            let hi = values.fold(f64::NEG_INFINITY, f64::max);
            match hi - lo {
                span if span > 0.0 => lo - pad * span..hi + pad * span,
                _ if lo.is_finite() => lo - 0.5 - lo.abs() * 0.1..lo + 0.5 + lo.abs() * 0.1,
                _ => 0.0..1.0,
            }
        };
        let x = range(&xs, 0.02);
        let mut y = range(&ys, 0.05);
        if self.y_from_zero && ys.iter().all(|&v| v >= 0.0) {
            y.start = 0.0;
        }
        (x, y)
    }

    /// One x label per integer when every curve's x is a whole number over a short span
    /// (layers, a few steps), so that no tick falls between them: how many; `None` otherwise.
    fn integer_ticks(&self, x_range: &std::ops::Range<f64>) -> Option<usize> {
        let mut xs = self.series.iter().flat_map(|s| &s.points).map(|p| p.x);
        let span = (x_range.end - x_range.start).floor();
        (xs.all(|x| x.fract() == 0.0) && (1.0..=12.0).contains(&span)).then_some(span as usize + 1)
    }

    /// Draws the panel on `area`.
    pub(crate) fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (x_range, y_range) = self.ranges();
        let decimals = |span: f64| (-(span / 8.0).log10().floor()).max(0.0) as usize;
        let integer_ticks = self.integer_ticks(&x_range);
        let x_decimals = if integer_ticks.is_some() { 0 } else { decimals(x_range.end - x_range.start) };
        let y_decimals = decimals(y_range.end - y_range.start);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.caption, (FONT, CAPTION_SIZE))
            .margin(10)
            .margin_right(20)
            .x_label_area_size(52)
            .y_label_area_size(74)
            .build_cartesian_2d(x_range.clone(), y_range.clone())?;
        chart
            .configure_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(TRANSPARENT)
            .x_labels(integer_ticks.unwrap_or(7))
            .y_labels(8)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&|x| format!("{x:.x_decimals$}"))
            .y_label_formatter(&|y| format!("{y:.y_decimals$}"))
            .label_style((FONT, TICK_SIZE))
            .axis_desc_style((FONT, AXIS_SIZE))
            .draw()?;

        for line in &self.lines {
            let ends = if line.vertical {
                [(line.at, y_range.start), (line.at, y_range.end)]
            } else {
                [(x_range.start, line.at), (x_range.end, line.at)]
            };
            if line.dashed {
                chart.draw_series([DashedPathElement::new(ends, 9, 6, line.colour.stroke_width(2))])?;
            } else {
                chart.draw_series([PathElement::new(ends, line.colour.stroke_width(1))])?;
            }
        }
        for series in &self.series {
            let banded: Vec<&Point> = series.points.iter().filter(|p| p.band.is_some()).collect();
            if banded.len() >= 2 {
                let upper = banded.iter().map(|p| (p.x, p.y + p.band.unwrap_or(0.0)));
                let lower = banded.iter().rev().map(|p| (p.x, p.y - p.band.unwrap_or(0.0)));
                chart.draw_series([Polygon::new(upper.chain(lower).collect::<Vec<_>>(), series.colour.mix(0.18))])?;
            }
        }
        for series in &self.series {
            let points = series.points.iter().map(|p| (p.x, p.y));
            let style = series.colour.stroke_width(2);
            if series.dashed {
                chart.draw_series(DashedLineSeries::new(points, 8, 5, style))?;
            } else {
                chart.draw_series(LineSeries::new(points, style))?;
            }
            chart.draw_series(series.points.iter().map(|p| Circle::new((p.x, p.y), 3, series.colour.filled())))?;
            let cap = (x_range.end - x_range.start) * 0.008;
            for point in &series.points {
                if let Some(error) = point.error {
                    let (lo, hi) = (point.y - error, point.y + error);
                    let ink = series.colour.stroke_width(1);
                    chart.draw_series([
                        PathElement::new([(point.x, lo), (point.x, hi)], ink),
                        PathElement::new([(point.x - cap, lo), (point.x + cap, lo)], ink),
                        PathElement::new([(point.x - cap, hi), (point.x + cap, hi)], ink),
                    ])?;
                }
            }
        }
        // Drawn in pixels on the panel, as in the legend.
        let (left, top) = area.get_base_pixel();
        for mark in &self.markers {
            let (x, y) = chart.backend_coord(&(mark.x, mark.y));
            draw_mark(area, (x - left, y - top), mark.shape, mark.colour)?;
        }
        Ok(())
    }
}

/// A whole line figure: its file stem, header, legend and panels.
#[derive(Debug, Clone)]
pub(crate) struct LineFigure {
    pub stem: String,
    pub title: String,
    pub subtitle: String,
    pub legend: Vec<Entry>,
    /// Filled into `rows` rows, left to right and then top to bottom.
    pub panels: Vec<LinePanel>,
    /// The number of rows of panels (at least one).
    pub rows: usize,
}

impl Figure for LineFigure {
    fn size(&self) -> (u32, u32) {
        let rows = self.rows.max(1);
        let columns = self.panels.len().div_ceil(rows);
        (page_width(PANEL_WIDTH, columns), HEIGHT + (rows as u32 - 1) * ROW_HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_grid(root, &self.title, &self.subtitle, &self.legend, &self.panels, self.rows, |area, panel| {
            panel.draw(area)
        })
    }
}

/// The grey of reference lines, for the figures' legends.
pub(crate) const REFERENCE_GREY: RGBColor = RGBColor(110, 110, 110);

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(points: Vec<Point>, lines: Vec<RefLine>, y_from_zero: bool) -> LinePanel {
        LinePanel {
            caption: String::new(),
            x_desc: String::new(),
            y_desc: String::new(),
            series: vec![Series { colour: REFERENCE_GREY, dashed: false, points }],
            markers: vec![],
            lines,
            y_from_zero,
        }
    }

    #[test]
    fn ranges_hold_bands_error_bars_and_reference_lines() {
        let points = vec![
            Point { x: 0.0, y: 1.0, band: Some(0.5), error: None },
            Point { x: 10.0, y: 3.0, band: None, error: Some(1.0) },
        ];
        let zero = RefLine { at: -1.5, vertical: false, colour: REFERENCE_GREY, dashed: false };
        let (x, y) = panel(points.clone(), vec![zero], false).ranges();
        assert!((x.start + 0.2).abs() < 1e-9 && (x.end - 10.2).abs() < 1e-9, "{x:?}");
        // y spans -1.5 (the line) to 4 (the error bar), padded by 5% of 5.5.
        assert!((y.start + 1.775).abs() < 1e-9 && (y.end - 4.275).abs() < 1e-9, "{y:?}");
        let (_, y) = panel(points, vec![], true).ranges();
        assert_eq!(y.start, 0.0, "non-negative values from zero");
        let (x, _) = panel(vec![Point { x: 2.0, y: 2.0, band: None, error: None }], vec![], false).ranges();
        assert!(x.end > x.start, "a single point still has a range");
    }

    #[test]
    fn whole_number_x_over_a_short_span_gets_one_tick_per_integer() {
        let at = |xs: &[f64]| xs.iter().map(|&x| Point { x, y: 1.0, band: None, error: None }).collect();
        let layers = panel(at(&[0.0, 1.0, 2.0, 3.0]), vec![], false);
        assert_eq!(layers.integer_ticks(&layers.ranges().0), Some(4));
        let fractions = panel(at(&[0.0, 0.5, 1.0]), vec![], false);
        assert_eq!(fractions.integer_ticks(&fractions.ranges().0), None);
        let steps = panel(at(&[0.0, 100.0]), vec![], false);
        assert_eq!(steps.integer_ticks(&steps.ranges().0), None, "a long span keeps plotters' ticks");
    }
}

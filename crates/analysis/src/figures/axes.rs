//! Axes of the figures whose x axis is a set of categories (grouped bar charts, heat maps): the
//! categories sit on the integers `0..n`, with one label under each.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::canvas::DrawResult;
use super::style::{AXIS_SIZE, FONT, TICK_SIZE};

/// The label of the category at `at` on an axis of categories centred on the integers (plotters
/// puts at most one tick per category there when asked for no more labels than categories);
/// empty between categories.
pub(crate) fn category_tick(ticks: &[String], at: f64) -> String {
    match ticks.get(at.round() as usize) {
        Some(text) if (at - at.round()).abs() < 1e-9 && at >= 0.0 => text.clone(),
        _ => String::new(),
    }
}

/// The mesh of a bar chart over the categories `ticks` (x from -0.5 to n - 0.5): horizontal grid
/// lines only, each category's label under it, numbers with `y_decimals` decimals on the y axis
/// described by `y_desc`, and `x_desc` under the labels if given.
pub(crate) fn draw_bar_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ticks: &[String],
    y_desc: &str,
    y_decimals: usize,
    x_desc: Option<&str>,
) -> DrawResult<DB> {
    let label = |x: &f64| category_tick(ticks, *x);
    // `+ 0.0` turns a -0.0 tick into 0.
    let y_label = |y: &f64| format!("{:.y_decimals$}", if y.abs() < 1e-12 { 0.0 } else { *y });
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .x_labels(ticks.len().max(1))
        .y_labels(6)
        .x_label_formatter(&label)
        .y_label_formatter(&y_label)
        .y_desc(y_desc)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, AXIS_SIZE));
    if let Some(x_desc) = x_desc {
        mesh.x_desc(x_desc);
    }
    mesh.draw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_labelled_on_the_integers_only() {
        let ticks = ["a".to_string(), "b".to_string()];
        assert_eq!(category_tick(&ticks, 1.0), "b");
        assert_eq!(category_tick(&ticks, 0.5), "");
        assert_eq!(category_tick(&ticks, -1.0), "");
        assert_eq!(category_tick(&ticks, 2.0), "");
    }
}

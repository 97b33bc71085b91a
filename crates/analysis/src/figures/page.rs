//! The page every figure shares: a title and a grey subtitle centred in a strip at the top, a
//! row of panels, and the legend in its own strip at the bottom. Kept in one place so that all
//! figures line up the same way when they sit side by side in a paper or a report.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::DrawResult;
use super::legend::{Entry, Legend};
use super::style::{FONT, SUBTITLE_SIZE, TITLE_SIZE};

/// Height of the title and subtitle strip.
const HEADER_HEIGHT: u32 = 84;
/// Blank space left and right of the panels and the legend.
const SIDE_MARGIN: u32 = 20;
/// The panels' combined width is at least this, so that title and legend fit a one-panel figure.
const MIN_PANELS_WIDTH: u32 = 860;

/// The width of a page of `panels` panels, each `panel_width` wide.
pub(crate) fn page_width(panel_width: u32, panels: usize) -> u32 {
    panel_width.saturating_mul(panels as u32).max(MIN_PANELS_WIDTH) + 2 * SIDE_MARGIN
}

/// Draws a page over all of `root`: `title` and `subtitle`, then `panels` side by side in equal
/// widths, each drawn by `draw_panel`, then the `legend` entries.
pub(crate) fn draw_page<DB: DrawingBackend, P>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[Entry],
    panels: &[P],
    draw_panel: impl Fn(&DrawingArea<DB, Shift>, &P) -> DrawResult<DB>,
) -> DrawResult<DB> {
    draw_grid(root, title, subtitle, legend, panels, 1, draw_panel)
}

/// [`draw_page`] with the panels in a grid of `rows` rows (at least one) of equal cells, filled
/// left to right and then top to bottom; for figures whose panels repeat per dataset.
pub(crate) fn draw_grid<DB: DrawingBackend, P>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[Entry],
    panels: &[P],
    rows: usize,
    draw_panel: impl Fn(&DrawingArea<DB, Shift>, &P) -> DrawResult<DB>,
) -> DrawResult<DB> {
    let (width, height) = root.dim_in_pixel();
    root.fill(&WHITE)?;
    let legend = Legend::new(legend);
    let legend_height = legend.height(root, width - 2 * SIDE_MARGIN)?;
    let (header, rest) = root.split_vertically(HEADER_HEIGHT);
    let (body, footer) = rest.split_vertically(height - HEADER_HEIGHT - legend_height);

    let centred = Pos::new(HPos::Center, VPos::Top);
    header.draw_text(title, &(FONT, TITLE_SIZE).into_text_style(root).pos(centred), (width as i32 / 2, 14))?;
    let subtitle_style = (FONT, SUBTITLE_SIZE).into_text_style(root).pos(centred).color(&RGBColor(70, 70, 70));
    header.draw_text(subtitle, &subtitle_style, (width as i32 / 2, 52))?;

    let side = SIDE_MARGIN as i32;
    let rows = rows.max(1);
    let areas = body.margin(0, 0, side, side).split_evenly((rows, panels.len().div_ceil(rows)));
    for (area, panel) in areas.iter().zip(panels) {
        draw_panel(area, panel)?;
    }
    legend.draw(&footer.margin(0, 0, side, side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::canvas::{save, tests::png_size, Figure};
    use crate::figures::legend::Glyph;

    #[test]
    fn a_page_is_at_least_wide_enough_for_its_title_and_legend() {
        assert_eq!(page_width(470, 3), 1450);
        assert_eq!(page_width(470, 1), 900);
        assert_eq!(page_width(470, 0), 900);
    }

    /// Two panels that write their own index.
    struct Numbers;

    impl Figure for Numbers {
        fn size(&self) -> (u32, u32) {
            (page_width(300, 2), 300)
        }

        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            let legend = [Entry { glyph: Glyph::Swatch(RED), label: "a swatch".into() }];
            draw_page(root, "the title", "the subtitle", &legend, &["panel 0", "panel 1"], |area, text| {
                area.draw_text(text, &(FONT, 14).into_text_style(area), (5, 5))
            })
        }
    }

    #[test]
    fn draws_title_subtitle_every_panel_and_the_legend() {
        let dir = tempfile::tempdir().unwrap();
        let paths = save(&Numbers, dir.path(), "page").unwrap();
        assert_eq!(png_size(&std::fs::read(&paths[0]).unwrap()), (900, 300));
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        for text in ["the title", "the subtitle", "panel 0", "panel 1", "a swatch"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    /// Three panels in two rows that write their index where they are drawn.
    struct Grid;

    impl Figure for Grid {
        fn size(&self) -> (u32, u32) {
            (page_width(300, 2), 600)
        }

        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_grid(root, "grid", "", &[], &["cell 0", "cell 1", "cell 2"], 2, |area, text| {
                let (x, y) = area.get_base_pixel();
                area.draw_text(&format!("{text} at {x},{y}"), &(FONT, 14).into_text_style(area), (5, 5))
            })
        }
    }

    #[test]
    fn a_grid_fills_rows_left_to_right() {
        let dir = tempfile::tempdir().unwrap();
        let paths = save(&Grid, dir.path(), "grid").unwrap();
        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        let at = |text: &str| {
            let start = svg.find(text).unwrap() + text.len() + 4;
            let end = start + svg[start..].find('<').unwrap();
            let (x, y) = svg[start..end].split_once(',').unwrap();
            (x.trim().parse::<i32>().unwrap(), y.trim().parse::<i32>().unwrap())
        };
        let (c0, c1, c2) = (at("cell 0"), at("cell 1"), at("cell 2"));
        assert!(c0.1 == c1.1 && c1.0 > c0.0, "cells 0 and 1 share the first row: {c0:?} {c1:?}");
        assert!(c2.0 == c0.0 && c2.1 > c0.1, "cell 2 starts the second row: {c2:?}");
    }
}

//! A legend drawn in its own strip below the panels, so it can never cover data (plotters' own
//! legend box sits inside a chart and hides bars near the top).

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::DrawResult;
use super::style::{FONT, LEGEND_SIZE};

/// The width of an entry's glyph, in pixels.
const GLYPH_WIDTH: i32 = 34;
/// Space between glyph and label.
const GLYPH_GAP: i32 = 8;
/// Space between entries in a row.
const ENTRY_GAP: i32 = 30;
/// Height of one row of entries.
const ROW_HEIGHT: i32 = 28;
/// Space above and below the rows.
const PADDING: i32 = 8;
/// The outline of marked points.
const OUTLINE: RGBColor = RGBColor(30, 30, 30);

/// One row of the laid-out legend: (entry index, entry width in pixels).
type Row = Vec<(usize, i32)>;

/// How an entry is drawn before its label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Glyph {
    /// A filled square, for bars.
    Swatch(RGBColor),
    /// A short line, for line series and reference levels.
    Line {
        /// Its colour.
        colour: RGBColor,
        /// Dashed rather than solid.
        dashed: bool,
    },
    /// A marked point: a filled shape with a dark outline.
    Marker(RGBColor, Shape),
}

/// The shape of a marked point, so that points of one colour can still mean different things
/// (the start and the end of a trajectory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A filled circle.
    Circle,
    /// A filled square.
    Square,
}

/// Draws a marked point centred on pixel `centre` of `area`: `shape` filled with `colour` inside
/// a dark outline. Charts draw their marked points with it too (at the point's pixel), so that
/// a legend entry looks exactly like what it explains.
pub(crate) fn draw_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    centre: (i32, i32),
    shape: Shape,
    colour: RGBColor,
) -> DrawResult<DB> {
    let (x, y) = centre;
    match shape {
        Shape::Circle => {
            area.draw(&Circle::new(centre, 7, OUTLINE.filled()))?;
            area.draw(&Circle::new(centre, 5, colour.filled()))
        }
        Shape::Square => {
            area.draw(&Rectangle::new([(x - 6, y - 6), (x + 6, y + 6)], OUTLINE.filled()))?;
            area.draw(&Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], colour.filled()))
        }
    }
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// What is drawn before the label.
    pub glyph: Glyph,
    /// The text.
    pub label: String,
}

/// A list of entries laid out in centred rows that wrap to the width of their area.
pub(crate) struct Legend<'a> {
    entries: &'a [Entry],
}

impl<'a> Legend<'a> {
    /// A legend of `entries`, in order.
    pub(crate) fn new(entries: &'a [Entry]) -> Self {
        Self { entries }
    }

    /// The height the legend needs when drawn `width` pixels wide on `area`'s backend.
    pub(crate) fn height<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, width: u32) -> DrawResult<DB, u32> {
        let rows = self.rows(area, width as i32)?;
        Ok((rows.len() as i32 * ROW_HEIGHT + 2 * PADDING) as u32)
    }

    /// Draws the legend across `area`.
    pub(crate) fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (width, _) = area.dim_in_pixel();
        let style = (FONT, LEGEND_SIZE).into_text_style(area).pos(Pos::new(HPos::Left, VPos::Center));
        for (r, row) in self.rows(area, width as i32)?.iter().enumerate() {
            let row_width: i32 = row.iter().map(|&(_, w)| w).sum::<i32>() + ENTRY_GAP * (row.len() as i32 - 1);
            let mut x = (width as i32 - row_width) / 2;
            let y = PADDING + r as i32 * ROW_HEIGHT + ROW_HEIGHT / 2;
            for &(i, entry_width) in row {
                let entry = &self.entries[i];
                draw_glyph(area, entry.glyph, x, y)?;
                area.draw_text(&entry.label, &style, (x + GLYPH_WIDTH + GLYPH_GAP, y))?;
                x += entry_width + ENTRY_GAP;
            }
        }
        Ok(())
    }

    /// The entries of each row as (entry index, entry width), filling rows greedily.
    fn rows<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, width: i32) -> DrawResult<DB, Vec<Row>> {
        let font = (FONT, LEGEND_SIZE).into_text_style(area);
        let mut rows: Vec<Row> = vec![];
        let mut used = 0;
        for (i, entry) in self.entries.iter().enumerate() {
            let (text_width, _) = area.estimate_text_size(&entry.label, &font)?;
            let entry_width = GLYPH_WIDTH + GLYPH_GAP + text_width as i32;
            match rows.last_mut() {
                Some(row) if used + ENTRY_GAP + entry_width <= width => {
                    row.push((i, entry_width));
                    used += ENTRY_GAP + entry_width;
                }
                _ => {
                    rows.push(vec![(i, entry_width)]);
                    used = entry_width;
                }
            }
        }
        Ok(rows)
    }
}

/// Draws `glyph` with its left edge at `x`, centred vertically on `y`.
fn draw_glyph<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, glyph: Glyph, x: i32, y: i32) -> DrawResult<DB> {
    match glyph {
        Glyph::Swatch(colour) => area.draw(&Rectangle::new([(x + 8, y - 9), (x + 26, y + 9)], colour.filled())),
        Glyph::Line { colour, dashed: false } => {
            area.draw(&PathElement::new([(x, y), (x + GLYPH_WIDTH, y)], colour.stroke_width(3)))
        }
        Glyph::Line { colour, dashed: true } => {
            area.draw(&DashedPathElement::new([(x, y), (x + GLYPH_WIDTH, y)], 7, 5, colour.stroke_width(3)))
        }
        Glyph::Marker(colour, shape) => draw_mark(area, (x + GLYPH_WIDTH / 2, y), shape, colour),
    }
}

//! Rendering a figure to PNG and SVG: one drawing function, two plotters backends, both files
//! written atomically. The font is embedded and registered once per process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::atomic::write_atomic;
use crate::error::{AnalysisError, Result};

/// DejaVu Sans (licence: `assets/DejaVu-LICENSE.txt`), embedded so that figures render the same
/// on every machine and need no fontconfig.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// What a drawing step returns on backend `DB`.
pub(crate) type DrawResult<DB, T = ()> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A figure: a size in pixels and a drawing function for any backend, so that the PNG and the
/// SVG come from the same code.
pub(crate) trait Figure {
    /// Width and height in pixels (the SVG uses the same numbers as its user units).
    fn size(&self) -> (u32, u32);

    /// Draws the whole figure on `root`, which covers `size()`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// Writes `figure` as `<dir>/<stem>.png` and `<dir>/<stem>.svg` and returns both paths.
pub(crate) fn save(figure: &impl Figure, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    register_embedded_font()?;
    let (width, height) = figure.size();

    let png_path = dir.join(format!("{stem}.png"));
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        figure.draw(&root).and_then(|()| root.present()).map_err(|e| AnalysisError::draw(&png_path, e))?;
    }
    write_atomic(&png_path, |out| {
        encode_png(out, &pixels, width, height).map_err(|e| AnalysisError::draw(&png_path, e))
    })?;

    let svg_path = dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        figure.draw(&root).and_then(|()| root.present()).map_err(|e| AnalysisError::draw(&svg_path, e))?;
    }
    write_atomic(&svg_path, |out| out.write_all(svg.as_bytes()).map_err(|e| AnalysisError::io(&svg_path, e)))?;

    Ok(vec![png_path, svg_path])
}

/// Writes each of `figures` as [`save`] does, under the stem `stem(figure)`, and returns all
/// paths in order.
pub(crate) fn save_all<F: Figure>(figures: Vec<F>, dir: &Path, stem: impl Fn(&F) -> String) -> Result<Vec<PathBuf>> {
    let mut paths = vec![];
    for figure in &figures {
        paths.extend(save(figure, dir, &stem(figure))?);
    }
    Ok(paths)
}

/// Encodes an RGB8 buffer as PNG into `out`.
fn encode_png(out: impl Write, rgb: &[u8], width: u32, height: u32) -> std::result::Result<(), png::EncodingError> {
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()
}

/// Registers the embedded font as plotters' "sans-serif" family (every style falls back to it),
/// once per process.
fn register_embedded_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS).is_ok());
    ok.then_some(()).ok_or(AnalysisError::Font)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The width and height in a PNG's IHDR chunk, after checking the signature.
    pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        assert_eq!(&bytes[12..16], b"IHDR");
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        (word(16), word(20))
    }

    /// The pixel size of `<dir>/<stem>.png` and the text of `<dir>/<stem>.svg`, as a figure's
    /// tests check them.
    pub(crate) fn rendered(dir: &Path, stem: &str) -> ((u32, u32), String) {
        let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
        (png_size(&png), std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap())
    }

    struct Square;

    impl Figure for Square {
        fn size(&self) -> (u32, u32) {
            (120, 80)
        }

        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            root.fill(&WHITE)?;
            root.draw_text("a square", &("sans-serif", 14).into_text_style(root), (5, 5))
        }
    }

    #[test]
    fn save_writes_a_png_and_an_svg_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let paths = save(&Square, &dir.path().join("figures"), "square").unwrap();
        assert_eq!(paths.len(), 2);
        assert_eq!(png_size(&std::fs::read(&paths[0]).unwrap()), (120, 80));
        assert!(std::fs::read_to_string(&paths[1]).unwrap().contains("a square"));
        assert_eq!(std::fs::read_dir(dir.path().join("figures")).unwrap().count(), 2);
    }
}

//! Figures and their files: the [`Figure`] trait every picture implements, the title and subtitle at
//! the top of each, and writing a figure as a PNG and an SVG, each atomically.

use super::raster::Raster;
use super::style::{bold, muted, register_fonts, size};
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// A picture drawn the same way on any plotters backend, so its PNG and SVG agree: a run's charts and
/// the comparison charts (through [`super::ChartSpec`]), a sweep's tornado and fan charts. Every figure
/// has a title and a subtitle at the top, drawn for it, and a body below them that it draws itself.
pub trait Figure {
    /// Width and height in pixels (the SVG's user units).
    fn size(&self) -> (u32, u32);
    fn title(&self) -> String;
    fn subtitle(&self) -> String;
    /// Draws everything below the title and subtitle on `body`.
    fn draw_body<DB>(&self, body: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

/// Draws `figure` on `root`: a white ground, the title and subtitle, and the figure's body.
fn draw<DB>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let body = header(root, &figure.title(), &figure.subtitle())?;
    figure.draw_body(&body)
}

/// Writes `figure` into `dir` as `<stem>.png` and `<stem>.svg` (each atomically); returns both paths.
pub fn write_figure(dir: &Path, stem: &str, figure: &impl Figure) -> Result<Vec<PathBuf>> {
    register_fonts();
    let png = dir.join(format!("{stem}.png"));
    write_png_with(&png, figure.size(), |root| draw(figure, root))
        .with_context(|| format!("cannot draw {stem}"))?;
    let svg = dir.join(format!("{stem}.svg"));
    let text = figure_svg(figure).with_context(|| format!("cannot draw {stem}"))?;
    crate::fsutil::write_atomic(&svg, text.as_bytes())?;
    Ok(vec![png, svg])
}

/// `figure` as an SVG document.
pub fn figure_svg(figure: &impl Figure) -> Result<String> {
    register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, figure.size()).into_drawing_area();
        draw(figure, &root)?;
        root.present()?;
    }
    Ok(out)
}

/// Draws into a PNG at `path` through a temporary `.png` file (the encoder picks the format from the
/// extension) renamed into place.
fn write_png_with(
    path: &Path,
    dims: (u32, u32),
    draw: impl FnOnce(&DrawingArea<Raster<'_>, Shift>) -> Result<()>,
) -> Result<()> {
    let tmp = crate::fsutil::AtomicFile::new(path, ".png")?;
    {
        let root = Raster(BitMapBackend::new(tmp.temp_path(), dims)).into_drawing_area();
        draw(&root)?;
        root.present()
            .map_err(|e| anyhow!("cannot write {}: {}", path.display(), plain(&e.to_string())))?;
    }
    tmp.commit()
}

/// The I/O error inside plotters' bitmap error, whose text is its `Debug` form
/// (`Drawing backend error: ImageError(IoError(Custom { kind: Other, error: "No space left on device
/// (os error 28)" }))`): the quoted message, or the text as it is.
fn plain(text: &str) -> &str {
    ["error: \"", "message: \""]
        .iter()
        .find_map(|start| {
            let from = text.find(start)? + start.len();
            let len = text[from..].find('"')?;
            Some(&text[from..from + len])
        })
        .unwrap_or(text)
}

/// Draws the title and a muted subtitle centred at the top; returns the area below them.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = root.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 14),
        bold(size::TITLE).pos(centre),
    ))?;
    root.draw(&Text::new(
        subtitle.to_string(),
        (w as i32 / 2, 60),
        muted(size::SUBTITLE).pos(centre),
    ))?;
    let (_, body) = root.split_vertically(96);
    Ok(body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_full_disk_reads_as_one() {
        let said = "Drawing backend error: ImageError(IoError(Custom { kind: Other, error: \
                    \"No space left on device (os error 28)\" }))";
        assert_eq!(super::plain(said), "No space left on device (os error 28)");
        let os = "Drawing backend error: IOError(Os { code: 13, kind: PermissionDenied, message: \
                  \"Permission denied\" })";
        assert_eq!(super::plain(os), "Permission denied");
        assert_eq!(super::plain("InvalidBuffer"), "InvalidBuffer");
    }
}

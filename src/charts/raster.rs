//! The PNG backend: plotters' bitmap backend with text drawn glyph by glyph at the glyph's own place.
//!
//! plotters 0.3.7 draws each glyph's outline at the pen position without the glyph's left side bearing
//! (`style/font/ab_glyph.rs`), so narrow glyphs slide left into their neighbours: "cl" reads as "d" and
//! "0.1" or "2034-12" lose their spacing. This wrapper keeps every drawing call of the bitmap backend
//! and replaces only `draw_text`: the same layout box, anchors, rotation and vertical placement as
//! plotters, each glyph shifted by its bearing. (The SVG backend writes text as text and is unaffected.)

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};
use std::sync::OnceLock;

/// The bitmap backend, with text drawn by [`draw_glyphs`].
pub struct Raster<'a>(pub BitMapBackend<'a>);

type Error<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

/// The embedded faces, parsed once: the charts use no other.
fn face(style: FontStyle) -> &'static FontRef<'static> {
    static REGULAR: OnceLock<FontRef<'static>> = OnceLock::new();
    static BOLD: OnceLock<FontRef<'static>> = OnceLock::new();
    let (cell, bytes) = match style {
        FontStyle::Bold => (&BOLD, ttf_noto_sans::BOLD),
        _ => (&REGULAR, ttf_noto_sans::REGULAR),
    };
    cell.get_or_init(|| {
        FontRef::try_from_slice(bytes).expect("the embedded Noto Sans is a valid font")
    })
}

/// Calls `draw(x, y, coverage)` for every pixel of `text` set at `size` pixels from (0, 0), as
/// plotters lays it out (its advance and kerning, its vertical placement), each glyph at its pen
/// position plus its left side bearing, on one baseline.
pub fn draw_glyphs(font: &FontRef<'_>, size: f32, text: &str, mut draw: impl FnMut(i32, i32, f32)) {
    let scaled = font.as_scaled(size);
    let mut caret = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        previous = Some(id);
        // Placed at the pen's sub-pixel position, so the outline's pixel bounds hold its bearing.
        let mut glyph = scaled.scaled_glyph(c);
        glyph.position = ab_glyph::point(caret, 0.0);
        if let Some(outline) = scaled.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let dx = bounds.min.x as i32;
            // Rounded down for every glyph alike (plotters truncates toward zero, which lifts the
            // glyphs whose top is below half the size by a pixel: a jittery baseline).
            let dy = (size / 2.0 + bounds.min.y).floor() as i32;
            outline.draw(|x, y, coverage| draw(x as i32 + dx, y as i32 + dy, coverage));
        }
        caret += scaled.h_advance(id);
    }
}

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error<'a>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error<'a>> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error<'a>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error<'a>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Error<'a>> {
        self.0.blit_bitmap(pos, size, src)
    }

    /// plotters' default `draw_text`, with the glyphs drawn by [`draw_glyphs`].
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), Error<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut result = Ok(());
        draw_glyphs(face(style.style()), style.size() as f32, text, |x, y, a| {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if result.is_ok() && x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                result = self.0.draw_pixel((x, y), color.mix(f64::from(a)));
            }
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns a text's pixels cover, left to right, as runs of inked columns.
    fn inked_runs(text: &str) -> Vec<(i32, i32)> {
        let mut columns = std::collections::BTreeSet::new();
        draw_glyphs(face(FontStyle::Normal), 40.0, text, |x, _, a| {
            if a > 0.5 {
                columns.insert(x);
            }
        });
        let mut runs: Vec<(i32, i32)> = Vec::new();
        for x in columns {
            match runs.last_mut() {
                Some(run) if run.1 + 1 == x => run.1 = x,
                _ => runs.push((x, x)),
            }
        }
        runs
    }

    /// "cl" is two glyphs with a gap between them, not one "d" (plotters' own drawing joins them).
    #[test]
    fn glyphs_keep_their_side_bearings() {
        assert_eq!(inked_runs("cl").len(), 2, "{:?}", inked_runs("cl"));
        // The "2" starts where the font's metrics put it: the "1"'s advance, the pair's kerning and the
        // "2"'s own left bearing (plotters drops the bearing).
        let one_two = inked_runs("12");
        assert_eq!(one_two.len(), 2, "{one_two:?}");
        let f = face(FontStyle::Normal).as_scaled(40.0);
        let (one, two) = (f.glyph_id('1'), f.glyph_id('2'));
        let bearing = f
            .outline_glyph(f.scaled_glyph('2'))
            .expect("a 2 has an outline")
            .px_bounds()
            .min
            .x;
        let expected = f.h_advance(one) + f.kern(one, two) + bearing;
        assert!(
            (one_two[1].0 as f32 - expected).abs() <= 1.0,
            "the 2 starts at {} px, its metrics say {expected}",
            one_two[1].0
        );
        // The pen advances by the font's advance: "ll" is two equal glyphs one advance apart.
        let ll = inked_runs("ll");
        assert_eq!(ll.len(), 2, "{ll:?}");
    }
}

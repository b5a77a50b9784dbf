//! How every chart looks: the embedded font, the Okabe–Ito palette, line dashes, type sizes and text
//! styles.

use plotters::prelude::*;
use std::sync::Once;

/// The font family every chart asks for. It is registered from the embedded Noto Sans under this very
/// name, and the SVG backend copies the name into `font-family`, so an SVG viewer without Noto Sans
/// still falls back to a sans-serif face rather than its default serif.
pub const FONT: &str = "Noto Sans, sans-serif";

/// Noto Sans Regular (SIL Open Font License), for `report.html` to embed.
pub const FONT_REGULAR_TTF: &[u8] = ttf_noto_sans::REGULAR;

/// Okabe–Ito: eight colours told apart by readers with every common form of colour blindness.
pub mod palette {
    use plotters::style::RGBColor;
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);
    /// The palette's neutral grey, for what belongs to no bloc.
    pub const GREY: RGBColor = RGBColor(153, 153, 153);
    /// Grid lines and frames: light enough not to compete with the data.
    pub const GRID: RGBColor = RGBColor(225, 225, 225);
    pub const TEXT: RGBColor = RGBColor(30, 30, 30);
    pub const MUTED: RGBColor = RGBColor(90, 90, 90);

    /// Series colours in order of use. Yellow comes last: it is hard to see on white.
    pub const SERIES: [RGBColor; 8] = [
        BLUE,
        VERMILLION,
        BLUISH_GREEN,
        ORANGE,
        REDDISH_PURPLE,
        SKY_BLUE,
        BLACK,
        YELLOW,
    ];

    /// The colour of the `i`-th series (blocs, nations, runs), cycling past eight.
    pub fn series(i: usize) -> RGBColor {
        SERIES[i % SERIES.len()]
    }

    /// The colour and dash of the `i`-th line among many (focus nations, runs): the eight colours
    /// solid, then dashed, then dotted, so that 24 lines never share a colour and a dash.
    pub fn line_style(i: usize) -> super::LineStyle {
        super::LineStyle {
            color: series(i),
            dash: super::Dash::ALL[(i / SERIES.len()) % super::Dash::ALL.len()],
        }
    }
}

/// A line's dash pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
}

impl Dash {
    pub const ALL: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];

    /// Dash and gap lengths in pixels (none for a solid line).
    pub fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((18, 9)),
            Dash::Dotted => Some((4, 7)),
        }
    }
}

/// How one line is drawn: its colour and dash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineStyle {
    pub color: RGBColor,
    pub dash: Dash,
}

impl LineStyle {
    /// A dashed line of `color`: the other half of a pair drawn solid and dashed (a counterfactual, a
    /// second measure of the same thing).
    pub fn dashed(color: RGBColor) -> Self {
        LineStyle {
            color,
            dash: Dash::Dashed,
        }
    }
}

impl From<RGBColor> for LineStyle {
    fn from(color: RGBColor) -> Self {
        LineStyle {
            color,
            dash: Dash::Solid,
        }
    }
}

/// Type sizes in pixels, chosen for a 1200-pixel-wide image read on a laptop screen or a projector.
pub mod size {
    pub const WIDTH: u32 = 1200;
    pub const TITLE: f64 = 34.0;
    pub const SUBTITLE: f64 = 22.0;
    pub const AXIS: f64 = 23.0;
    pub const TICK: f64 = 21.0;
    pub const LEGEND: f64 = 22.0;
    pub const PANEL: f64 = 23.0;
    pub const LINE: u32 = 3;
}

/// Registers the embedded font once per process. Both under [`FONT`] and under plotters' generic
/// `sans-serif`, so that no text plotters draws with a default style can miss the font.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for name in [FONT, "sans-serif"] {
            plotters::style::register_font(name, FontStyle::Normal, ttf_noto_sans::REGULAR)
                .unwrap_or_else(|_| panic!("the embedded Noto Sans Regular is a valid font"));
            plotters::style::register_font(name, FontStyle::Bold, ttf_noto_sans::BOLD)
                .unwrap_or_else(|_| panic!("the embedded Noto Sans Bold is a valid font"));
        }
    });
}

/// Text in the charts' font, `px` pixels tall: ordinary, muted (subtitles) or bold (titles, captions).
pub(crate) fn text(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&palette::TEXT)
}

pub(crate) fn muted(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&palette::MUTED)
}

pub(crate) fn bold(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px, FontStyle::Bold).into_font()).color(&palette::TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_24_lines_never_share_a_colour_and_a_dash() {
        let styles: Vec<LineStyle> = (0..24).map(palette::line_style).collect();
        for (i, a) in styles.iter().enumerate() {
            assert!(palette::SERIES.contains(&a.color), "Okabe–Ito colours only");
            for b in &styles[..i] {
                assert_ne!(a, b, "line {i}");
            }
        }
        assert_eq!(palette::line_style(3).dash, Dash::Solid);
        assert_eq!(palette::line_style(8).dash, Dash::Dashed);
        assert_eq!(palette::line_style(8).color, palette::line_style(0).color);
    }
}

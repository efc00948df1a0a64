//! The embedded font (DejaVu Sans, regular and bold; licence in `fonts/LICENSE`) and its
//! metrics. Lines are wrapped by measuring with the same glyphs and advances that are then
//! drawn, so a measured line is exactly as wide as the printed one.

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::LetterError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One face: its character map and advances (skrifa) and the font krilla embeds.
pub(crate) struct Face {
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    pub font: Font,
}

pub(crate) struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, LetterError> {
        Ok(Fonts {
            regular: Face::load(REGULAR, "DejaVuSans.ttf")?,
            bold: Face::load(BOLD, "DejaVuSans-Bold.ttf")?,
        })
    }

    pub(crate) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, LetterError> {
        let font_ref = FontRef::new(data).map_err(|_| LetterError::Font(name))?;
        let units_per_em = font_ref
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em;
        let font = Font::new(data.into(), 0).ok_or(LetterError::Font(name))?;
        Ok(Face {
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(units_per_em),
            font,
        })
    }

    /// The advance of `ch` in em; 0 for a character the font lacks (drawing it fails).
    fn advance(&self, ch: char) -> f32 {
        self.charmap
            .map(ch)
            .and_then(|glyph| self.metrics.advance_width(glyph))
            .map_or(0.0, |advance| advance / self.units_per_em)
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|ch| self.advance(ch)).sum::<f32>() * size
    }

    /// One glyph per character, each mapped back to its character for text extraction
    /// (PDF/A needs every glyph to have its Unicode). No kerning or ligatures: letters in
    /// Latin script read well without, and the measured width stays the drawn width.
    pub(crate) fn glyphs(&self, text: &str) -> Result<Vec<KrillaGlyph>, LetterError> {
        text.char_indices()
            .map(|(start, ch)| {
                let glyph = self
                    .charmap
                    .map(ch)
                    // Glyph 0 is .notdef, which PDF/A forbids.
                    .filter(|glyph| glyph.to_u32() != 0)
                    .ok_or(LetterError::UnsupportedCharacter { ch })?;
                let range = start..start + ch.len_utf8();
                let id = GlyphId::new(glyph.to_u32());
                Ok(KrillaGlyph::new(
                    id,
                    self.advance(ch),
                    0.0,
                    0.0,
                    0.0,
                    range,
                    None,
                ))
            })
            .collect()
    }
}

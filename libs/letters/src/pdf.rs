//! The laid-out pages written as PDF/A-2b with krilla. Everything that reaches the file is
//! a function of the input: the creation date is the letter's date, the document id is the
//! input's hash, and krilla writes its objects in a fixed order.

use chrono::Datelike;
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::{Document, SerializeSettings};

use crate::LetterError;
use crate::fonts::Fonts;
use crate::layout::{Op, PAGE_HEIGHT, PAGE_WIDTH};

/// What the PDF says about itself.
pub(crate) struct Info {
    pub title: String,
    /// Which template rendered it, e.g. `debtor-notice.fr.v1`.
    pub template_version: &'static str,
    pub language: &'static str,
    pub issued_on: chrono::NaiveDate,
    /// Hex SHA-256 of the input: the same input gives the same document id.
    pub input_hash: String,
}

pub(crate) fn write(pages: &[Vec<Op>], fonts: &Fonts, info: Info) -> Result<Vec<u8>, LetterError> {
    let mut document = Document::new_with(settings()?);
    document.set_metadata(metadata(info));
    for ops in pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| LetterError::Pdf("the page size is invalid".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, fonts, op)?;
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| LetterError::Pdf(format!("{e}: {e:?}")))
}

/// PDF/A-2b: fonts embedded, colours device-independent, XMP metadata — checked by
/// krilla's validator, which refuses to write a file that breaks the standard.
fn settings() -> Result<SerializeSettings, LetterError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| LetterError::Pdf(format!("PDF/A-2b configuration: {e:?}")))?;
    Ok(SerializeSettings {
        configuration,
        // Letters are not tagged (PDF/A-2b does not require it); an empty structure tree
        // would only add bytes.
        enable_tagging: false,
        ..SerializeSettings::default()
    })
}

fn metadata(info: Info) -> Metadata {
    let date = info.issued_on;
    // Midnight UTC of the letter's date: the file must not depend on the clock.
    let created = DateTime::new(u16::try_from(date.year()).unwrap_or(0))
        .month(u8::try_from(date.month()).unwrap_or(1))
        .day(u8::try_from(date.day()).unwrap_or(1))
        .hour(0)
        .minute(0)
        .second(0)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    Metadata::new()
        .title(info.title)
        .description(info.template_version.to_owned())
        .keywords(vec![info.template_version.to_owned()])
        .language(info.language.to_owned())
        .creator("SPF Finances – Service des créances alimentaires (SECAL)".to_owned())
        .producer("secal-letters".to_owned())
        .creation_date(created)
        .document_id(info.input_hash)
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) -> Result<(), LetterError> {
    match op {
        Op::Text {
            x,
            y,
            weight,
            size,
            text,
        } => {
            let face = fonts.face(*weight);
            let glyphs = face.glyphs(text)?;
            let start = Point::from_xy(*x, *y);
            surface.draw_glyphs(start, &glyphs, face.font.clone(), text, *size, false);
        }
        Op::Rule { x1, x2, y } => rule(surface, *x1, *x2, *y),
    }
    Ok(())
}

fn rule(surface: &mut Surface<'_>, x1: f32, x2: f32, y: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x1, y);
    path.line_to(x2, y);
    let Some(path) = path.finish() else {
        return;
    };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: rgb::Color::new(110, 110, 110).into(),
        width: 0.5,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
}

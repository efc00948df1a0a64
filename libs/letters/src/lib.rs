//! The procedure's letters as PDF: the notice to the debtor, the decisions, the mandate,
//! advances, tax-refund offsets, payment plans, suspensions and statements, in French,
//! Dutch and German.
//!
//! [`render`] turns a [`LetterInput`] — the data the letter is rendered from, stored as JSON
//! beside the PDF — into a PDF/A-2b file with its template version and SHA-256, using the
//! current wording. [`render_version`] renders with the wording a stored letter names (its
//! template version, e.g. `debtor-notice.fr.v1`): every released wording stays in the crate,
//! so a stored letter can be re-rendered and compared byte for byte at any later time. The
//! same input and version always give the same bytes (no clock, no randomness, no map
//! iteration order).
//!
//! The wording is data: `templates/released/<lang>/<kind>.v<N>.txt`, the language's common
//! part followed by the kind's part, one file per released version, its SHA-256 recorded in
//! `templates/VERSIONS`. To release a new wording (never edit a released file):
//! 1. copy the newest `templates/released/<lang>/<kind>.v<N>.txt` to `.v<N+1>.txt`, edit it;
//! 2. bump: append `N+1` to that kind's language list in `src/templates.rs` (last = current);
//! 3. append `<kind>.<lang>.v<N+1> <sha256sum of the new file>` to `templates/VERSIONS`.
//!
//! A change to the common part (sender, labels, closing) is released for every kind of that
//! language (the tests check that the current versions of a language share one common part).
//! The font, DejaVu Sans, is embedded in the crate (`fonts/`).
//!
//! Pure: no I/O, no clock, no database.

mod compose;
mod error;
mod fonts;
mod format;
mod layout;
mod model;
mod pdf;
mod templates;

use sha2::{Digest, Sha256};

pub use error::LetterError;
pub use format::{EURO_SPACE, THOUSANDS_SPACE, format_amount, format_date};
pub use model::{Channel, Fact, Figure, Language, LetterInput, LetterKind, Recipient};

/// A rendered letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The PDF/A-2b file.
    pub pdf: Vec<u8>,
    /// The wording it was rendered with, e.g. `debtor-notice.fr.v1`.
    pub template_version: String,
    /// Hex SHA-256 of `pdf`.
    pub sha256_hex: String,
}

/// Renders `input` as a PDF letter with the current wording of its kind and language
/// ([`template_version`]).
///
/// Fails, without a partial result, when the template needs a value the input leaves empty
/// (the acceptance letter needs the dossier number) or when a character cannot be drawn
/// with the embedded font.
pub fn render(input: &LetterInput) -> Result<Rendered, LetterError> {
    render_with(input, templates::current(input.kind, input.language))
}

/// Renders `input` with exactly the released wording `template_version` (e.g.
/// `debtor-notice.fr.v1`, as stored with the letter): the same input and version give the
/// same bytes as when the letter was first rendered, whatever the current wording is now.
///
/// Fails with [`LetterError::UnknownTemplateVersion`] when this crate never released that
/// version, with [`LetterError::TemplateVersionMismatch`] when it is a version of another
/// kind or language than the input's, and otherwise as [`render`] does.
pub fn render_version(
    input: &LetterInput,
    template_version: &str,
) -> Result<Rendered, LetterError> {
    let source = templates::released(template_version, input.kind, input.language)?;
    render_with(input, source)
}

fn render_with(input: &LetterInput, source: &templates::Source) -> Result<Rendered, LetterError> {
    let letter = compose::compose(input, source)?;
    let fonts = fonts::Fonts::load()?;
    let pages = layout::layout(&letter, &fonts);
    let info = pdf::Info {
        title: format!("{} – {}", letter.subject, input.reference),
        template_version: source.version,
        language: input.language.tag(),
        issued_on: input.issued_on,
        input_hash: input_hash(input)?,
    };
    let pdf = pdf::write(&pages, &fonts, info)?;
    let sha256_hex = hex(&Sha256::digest(&pdf));
    Ok(Rendered {
        pdf,
        template_version: source.version.to_owned(),
        sha256_hex,
    })
}

/// The current version of the wording of `kind` in `language` (the newest released one):
/// `<kind>.<lang>.v<N>`, e.g. `debtor-notice.fr.v1`. It changes whenever that wording
/// changes; the older versions stay available to [`render_version`].
pub fn template_version(kind: LetterKind, language: Language) -> &'static str {
    templates::current(kind, language).version
}

/// Hex SHA-256 of the input's JSON: the PDF's document id.
fn input_hash(input: &LetterInput) -> Result<String, LetterError> {
    let json = serde_json::to_vec(input).map_err(|e| LetterError::Input(e.to_string()))?;
    Ok(hex(&Sha256::digest(json)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

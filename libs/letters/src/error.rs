use crate::{Language, LetterKind};

/// Why a letter could not be rendered. Nothing is rendered partly: an error means no PDF.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// The template uses a value the input does not have (e.g. the acceptance letter needs
    /// the dossier number).
    #[error("the {kind:?} letter needs `{field}`, which the input leaves empty")]
    MissingField {
        kind: LetterKind,
        field: &'static str,
    },
    /// A character the embedded font cannot draw (the letter would show a blank box, and
    /// PDF/A forbids it): the input must be corrected or transliterated by the caller.
    #[error("the letter's font has no glyph for {ch:?} (U+{code:04X})", code = u32::from(*ch))]
    UnsupportedCharacter { ch: char },
    /// `render_version` was given a version this crate never released (or a string that is
    /// not a version at all): the stored letter cannot be rendered again by this build.
    #[error("template version {0:?} was never released by this crate")]
    UnknownTemplateVersion(String),
    /// `render_version` was given a released version of another kind or language than the
    /// input's: the stored version and the stored input do not belong together.
    #[error("template version {version} is not one of the {kind:?} letter in {language:?}")]
    TemplateVersionMismatch {
        version: String,
        kind: LetterKind,
        language: Language,
    },
    /// A template in this crate is malformed: a bug caught by the tests.
    #[error("template {kind:?}/{language:?}: {problem}")]
    Template {
        kind: LetterKind,
        language: Language,
        problem: String,
    },
    /// The embedded font could not be read: a bug caught by the tests.
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    /// The input could not be serialised to compute its hash (cannot happen with these
    /// plain types; kept rather than a panic).
    #[error("the input could not be serialised: {0}")]
    Input(String),
    /// krilla refused to write the document (PDF/A validation or a PDF limit).
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

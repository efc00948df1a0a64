//! The letters' wording, kept as data. Every released wording stays in the crate, one file
//! per version: `templates/released/<lang>/<kind>.v<N>.txt`, the language's common part
//! (sender, labels, closing) followed by the kind's part. A part is a list of `[section]`s; a
//! section's lines are joined into paragraphs at blank lines, and `{name}` is replaced by a
//! value of the input.
//!
//! A version, `<kind>.<lang>.v<N>`, is printed into the PDF's metadata and returned with it;
//! the newest released version of a kind and language is the current one ([`current`]), and
//! any released one can be looked up by its name ([`released`]) to render a stored letter
//! again. `templates/VERSIONS` records the SHA-256 of every released file: the tests fail
//! when a released file is edited, lost, or not recorded, so a stored letter's version always
//! names — and re-renders — the words it was sent with.
//!
//! One file per version, the common part copied into each, rather than a separately
//! versioned common file: a version is then exactly one file whose `sha256sum` is its
//! VERSIONS line, with no second table saying which common file a version used. It costs a
//! few kilobytes per release (the common part is about 1.4 kB), against 1.5 MB of fonts.
//! When the common part changes, every kind of that language gets a new version (a test
//! checks that the current versions of a language share one common part).

use crate::{Language, LetterError, LetterKind};

/// One released wording of one letter in one language.
#[derive(Debug)]
pub(crate) struct Source {
    pub kind: LetterKind,
    pub language: Language,
    /// `<kind>.<lang>.v<N>`.
    pub version: &'static str,
    /// The released file: the common part, then the kind's part.
    pub text: &'static str,
}

/// The released versions of one kind, oldest first, for each language.
macro_rules! kind {
    ($kind:ident, $slug:literal,
     fr [$($fr:literal),+], nl [$($nl:literal),+], de [$($de:literal),+]) => {
        [
            &[$(kind!(@one $kind, $slug, Fr, "fr", $fr)),+],
            &[$(kind!(@one $kind, $slug, Nl, "nl", $nl)),+],
            &[$(kind!(@one $kind, $slug, De, "de", $de)),+],
        ]
    };
    (@one $kind:ident, $slug:literal, $language:ident, $code:literal, $version:literal) => {
        Source {
            kind: LetterKind::$kind,
            language: Language::$language,
            version: concat!($slug, ".", $code, ".v", $version),
            text: include_str!(concat!(
                "../templates/released/", $code, "/", $slug, ".v", $version, ".txt"
            )),
        }
    };
}

/// Every released version, in the order of [`LetterKind::ALL`] and [`Language::ALL`] so that
/// a kind and a language index it directly, each list `1, 2, …, N` with the current version
/// last (checked by the tests). To release a new wording, append its number to its list;
/// never remove one: stored letters name them.
#[rustfmt::skip]
static RELEASED: [[&[Source]; 3]; 15] = [
    kind!(DebtorNotice, "debtor-notice",             fr [1], nl [1], de [1]),
    kind!(DecisionAccepted, "decision-accepted",     fr [1], nl [1], de [1]),
    kind!(DecisionRefused, "decision-refused",       fr [1], nl [1], de [1]),
    kind!(MandateProposal, "mandate-proposal",       fr [1], nl [1], de [1]),
    kind!(AdvancesGranted, "advances-granted",       fr [1], nl [1], de [1]),
    kind!(AdvancesEnded, "advances-ended",           fr [1], nl [1], de [1]),
    kind!(PreOffsetNotice, "pre-offset-notice",      fr [1], nl [1], de [1]),
    kind!(PostOffsetNotice, "post-offset-notice",    fr [1], nl [1], de [1]),
    kind!(PaymentPlan, "payment-plan",               fr [1], nl [1], de [1]),
    kind!(PaymentPlanBreach, "payment-plan-breach",  fr [1], nl [1], de [1]),
    kind!(Suspension, "suspension",                  fr [1], nl [1], de [1]),
    kind!(DebtorStatement, "debtor-statement",       fr [1], nl [1], de [1]),
    kind!(CreditorStatement, "creditor-statement",   fr [1], nl [1], de [1]),
    kind!(YearlyStatement, "yearly-statement",       fr [1], nl [1], de [1]),
    kind!(OffsetCancelled, "offset-cancelled",       fr [1], nl [1], de [1]),
];

/// Every released version of every kind and language, in a fixed order.
pub(crate) fn all_released() -> impl Iterator<Item = &'static Source> {
    RELEASED
        .iter()
        .flatten()
        .flat_map(|versions| versions.iter())
}

/// The current (newest released) wording of `kind` in `language`.
pub(crate) fn current(kind: LetterKind, language: Language) -> &'static Source {
    newest(RELEASED[kind as usize][language as usize])
}

/// The last of a list of versions; every list has at least one (the macro's `+`).
fn newest(versions: &[Source]) -> &Source {
    &versions[versions.len() - 1]
}

/// The released wording named `version`, which must be one of `kind` in `language`.
pub(crate) fn released(
    version: &str,
    kind: LetterKind,
    language: Language,
) -> Result<&'static Source, LetterError> {
    find(all_released(), version, kind, language)
}

/// `version` among `sources`, which must be one of `kind` in `language`.
fn find<'s>(
    mut sources: impl Iterator<Item = &'s Source>,
    version: &str,
    kind: LetterKind,
    language: Language,
) -> Result<&'s Source, LetterError> {
    let source = sources
        .find(|source| source.version == version)
        .ok_or_else(|| LetterError::UnknownTemplateVersion(version.to_owned()))?;
    if (source.kind, source.language) == (kind, language) {
        Ok(source)
    } else {
        Err(LetterError::TemplateVersionMismatch {
            version: source.version.to_owned(),
            kind,
            language,
        })
    }
}

/// Sections a kind's file may have; the first four are required. `signing` is printed after
/// the figures, payment and deadline (the mandate's signature lines).
const KIND_SECTIONS: [&str; 9] = [
    "subject", "body", "legal", "recourse", "deadline", "payment", "reasons", "figures", "signing",
];
const KIND_REQUIRED: usize = 4;

/// Sections of a language's common file, all required.
const COMMON_SECTIONS: [&str; 25] = [
    "sender",
    "date_line",
    "our_reference",
    "dossier_number",
    "application_number",
    "subject",
    "registered",
    "post",
    "ebox",
    "email",
    "salutation",
    "facts",
    "figures",
    "description",
    "amount",
    "reasons",
    "payment_heading",
    "payment",
    "deadline_heading",
    "deadline",
    "legal_heading",
    "recourse_heading",
    "closing",
    "signature",
    "footer",
];

/// A template file cut into its sections, in file order (no map: nothing depends on a hash
/// order).
pub(crate) struct Sections {
    entries: Vec<(&'static str, Vec<&'static str>)>,
}

/// A released wording cut into its common part and its kind's part, each checked.
pub(crate) struct Wording {
    pub common: Sections,
    pub kind: Sections,
}

impl Wording {
    pub(crate) fn of(source: &Source) -> Result<Self, String> {
        let (common_text, kind_text) = split(source.text)?;
        let common = parse(common_text)?;
        common
            .check(&COMMON_SECTIONS, COMMON_SECTIONS.len())
            .map_err(|e| format!("common part: {e}"))?;
        let kind = parse(kind_text)?;
        kind.check(&KIND_SECTIONS, KIND_REQUIRED)?;
        Ok(Wording { common, kind })
    }
}

/// A released file cut where the kind's part begins: at the first section that is not a
/// common one or that the common part already had (the common part has all its sections,
/// the kind's part starts with its own `[subject]`). The bytes are not changed, so the two
/// parts are exactly the files that were concatenated.
fn split(text: &'static str) -> Result<(&'static str, &'static str), String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = bare.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            if !COMMON_SECTIONS.contains(&name) || seen.contains(&name) {
                return Ok((&text[..offset], &text[offset..]));
            }
            seen.push(name);
        }
        offset += line.len();
    }
    Err("no letter part after the common part".to_owned())
}

impl Sections {
    fn check(&self, allowed: &[&str], required: usize) -> Result<(), String> {
        if let Some((name, _)) = self.entries.iter().find(|(n, _)| !allowed.contains(n)) {
            return Err(format!("unknown section [{name}]"));
        }
        match allowed[..required]
            .iter()
            .find(|name| self.get(name).is_none())
        {
            Some(name) => Err(format!("missing section [{name}]")),
            None => Ok(()),
        }
    }

    /// The section's lines, blank lines at either end left out; `None` when absent.
    pub(crate) fn get(&self, name: &str) -> Option<&[&'static str]> {
        self.entries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, lines)| lines.as_slice())
    }

    /// The section as one line of text (an empty string when absent).
    pub(crate) fn line(&self, name: &str) -> String {
        self.get(name)
            .map(|lines| lines.join(" "))
            .unwrap_or_default()
    }

    /// The section's lines as they are (sender, signature).
    pub(crate) fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|lines| lines.iter().map(|l| (*l).to_owned()).collect())
            .unwrap_or_default()
    }

    /// The section's paragraphs: runs of lines separated by blank lines, each run joined by
    /// spaces (the files are wrapped for reading, the PDF rewraps them).
    pub(crate) fn paragraphs(&self, name: &str) -> Vec<String> {
        let lines = self.get(name).unwrap_or_default();
        lines
            .split(|line| line.trim().is_empty())
            .filter(|run| !run.is_empty())
            .map(|run| run.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" "))
            .collect()
    }
}

fn parse(text: &'static str) -> Result<Sections, String> {
    let mut entries: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for line in text.lines() {
        let header = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'));
        if let Some(name) = header {
            if entries.iter().any(|(n, _)| *n == name) {
                return Err(format!("section [{name}] appears twice"));
            }
            entries.push((name, Vec::new()));
            continue;
        }
        match entries.last_mut() {
            Some((_, lines)) => lines.push(line),
            None if line.trim().is_empty() => {}
            None => return Err(format!("text before the first section: {line:?}")),
        }
    }
    for (_, lines) in &mut entries {
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        while lines.first().is_some_and(|l| l.trim().is_empty()) {
            lines.remove(0);
        }
    }
    Ok(Sections { entries })
}

/// Why `{name}` could not be replaced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FillError {
    /// No value of that name exists: a typo in a template.
    Unknown(String),
    /// The value exists but the input leaves it empty.
    Missing(&'static str),
}

/// `text` with every `{name}` replaced by its value in `values`.
pub(crate) fn fill(
    text: &str,
    values: &[(&'static str, Option<&str>)],
) -> Result<String, FillError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| FillError::Unknown(after.to_owned()))?;
        let name = &after[..close];
        let (key, value) = values
            .iter()
            .find(|(key, _)| *key == name)
            .ok_or_else(|| FillError::Unknown(name.to_owned()))?;
        out.push_str(value.ok_or(FillError::Missing(key))?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A template problem as the crate's error.
pub(crate) fn template_error(kind: LetterKind, language: Language, problem: String) -> LetterError {
    LetterError::Template {
        kind,
        language,
        problem,
    }
}

#[cfg(test)]
mod tests;

//! Creditor references: the structured communications that let a bank transfer be matched
//! to what it pays. Belgium has its own (OGM/VCS, [`StructuredReference`] from
//! `secal-domain`); the international one is the ISO 11649 "RF" reference.

use std::fmt;
use std::str::FromStr;

pub use secal_domain::{StructuredReference, StructuredReferenceError};
use thiserror::Error;

const RF_MAX_BODY: usize = 21;

/// An ISO 11649 creditor reference: `RF`, two check digits, 1 to 21 letters or digits.
///
/// `Display` is the print format in groups of four (`RF18 5390 0754 7034`); payment files
/// carry [`RfReference::electronic`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RfReference(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RfReferenceError {
    #[error("an RF reference is RF, 2 check digits and 1 to 21 letters or digits")]
    Malformed,
    #[error("the check digits of the RF reference do not match")]
    BadCheckDigits,
}

impl RfReference {
    /// Generates the reference for `body` (1 to 21 letters or digits, case-insensitive).
    pub fn from_body(body: &str) -> Result<Self, RfReferenceError> {
        let body = body.to_ascii_uppercase();
        if body.is_empty()
            || body.len() > RF_MAX_BODY
            || !body.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(RfReferenceError::Malformed);
        }
        let check = 98 - mod97(&format!("{body}RF00"));
        Ok(Self(format!("RF{check:02}{body}")))
    }

    /// Without spaces, upper case: `RF18539007547034`.
    pub fn electronic(&self) -> &str {
        &self.0
    }

    /// What the creditor chose to reference, without `RF` and the check digits.
    pub fn body(&self) -> &str {
        &self.0[4..]
    }
}

/// The ISO 7064 mod 97-10 remainder of an alphanumeric string, letters counting as
/// 10 (A) to 35 (Z), computed digit by digit so that no length overflows.
fn mod97(s: &str) -> u32 {
    s.chars().fold(0, |acc, c| match c.to_digit(36) {
        Some(v) if v >= 10 => (acc * 100 + v) % 97,
        Some(v) => (acc * 10 + v) % 97,
        None => acc,
    })
}

impl FromStr for RfReference {
    type Err = RfReferenceError;

    /// Accepts the print and electronic formats, any case, spaces anywhere.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let well_formed = compact.len() >= 5
            && compact.len() <= 4 + RF_MAX_BODY
            && compact.starts_with("RF")
            && compact.as_bytes()[2..4].iter().all(u8::is_ascii_digit)
            && compact.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return Err(RfReferenceError::Malformed);
        }
        let rotated = format!("{}{}", &compact[4..], &compact[..4]);
        if mod97(&rotated) != 1 {
            return Err(RfReferenceError::BadCheckDigits);
        }
        Ok(Self(compact))
    }
}

impl fmt::Display for RfReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<&str> = self
            .0
            .as_bytes()
            .chunks(4)
            .filter_map(|chunk| std::str::from_utf8(chunk).ok())
            .collect();
        f.pad(&groups.join(" "))
    }
}

/// A creditor reference as it travels in `RmtInf/Strd/CdtrRefInf`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CreditorReference {
    /// Belgian structured communication, issuer `BBA` (Belgian Bankers' Association).
    Belgian(StructuredReference),
    /// ISO 11649, issuer `ISO`.
    Iso(RfReference),
}

impl CreditorReference {
    /// The `Issr` code Belgian banks expect next to the reference.
    pub fn issuer(&self) -> &'static str {
        match self {
            Self::Belgian(_) => "BBA",
            Self::Iso(_) => "ISO",
        }
    }

    /// The `Ref` text: 12 digits, or the electronic RF form.
    pub fn electronic(&self) -> String {
        match self {
            Self::Belgian(r) => r.digits(),
            Self::Iso(r) => r.electronic().to_owned(),
        }
    }

    /// Finds a reference inside free text, for payers who type the Belgian communication
    /// into the unstructured field: the whole trimmed text, or a `+++…+++`/`***…***`
    /// delimited part, must be a valid reference (the check digits make a false match
    /// unlikely).
    pub fn find_in_text(text: &str) -> Option<Self> {
        if let Ok(found) = text.trim().parse() {
            return Some(found);
        }
        ["+++", "***"].iter().find_map(|delimiter| {
            text.split(delimiter)
                .skip(1)
                .step_by(2)
                .find_map(|inner| inner.trim().parse().ok().map(Self::Belgian))
        })
    }
}

/// Why a string is neither kind of creditor reference.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CreditorReferenceError {
    #[error(transparent)]
    Belgian(#[from] StructuredReferenceError),
    #[error(transparent)]
    Iso(#[from] RfReferenceError),
}

impl FromStr for CreditorReference {
    type Err = CreditorReferenceError;

    /// A string starting with `RF` (any case, after spaces) is read as ISO 11649,
    /// anything else as a Belgian structured communication.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim_start();
        if trimmed
            .get(..2)
            .is_some_and(|p| p.eq_ignore_ascii_case("RF"))
        {
            Ok(Self::Iso(trimmed.parse()?))
        } else {
            Ok(Self::Belgian(trimmed.trim_end().parse()?))
        }
    }
}

impl fmt::Display for CreditorReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Belgian(r) => r.fmt(f),
            Self::Iso(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests;

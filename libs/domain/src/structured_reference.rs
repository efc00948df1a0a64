//! Belgian structured communications ("OGM" / "VCS"), `+++123/4567/89002+++`, which let
//! incoming transfers be matched to the debtor and dossier they pay for.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::serde_str::impl_serde_via_str;

const MAX_BASE: u64 = 9_999_999_999;

/// Ten digits of reference plus two check digits (the ten mod 97, or 97 when that is 0).
///
/// `Display` is the form printed on payment slips; the serde form is the 12 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructuredReference {
    base: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StructuredReferenceError {
    #[error("a structured reference is written +++123/4567/89002+++ or as 12 digits")]
    Malformed,
    #[error("the check digits of the structured reference do not match")]
    BadCheckDigits,
    #[error("the base of a structured reference has at most 10 digits, got {base}")]
    BaseTooLarge { base: u64 },
}

impl StructuredReference {
    /// The reference for a 10-digit base (leading zeros implied).
    pub fn from_base(base: u64) -> Result<Self, StructuredReferenceError> {
        if base > MAX_BASE {
            return Err(StructuredReferenceError::BaseTooLarge { base });
        }
        Ok(Self { base })
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    /// 1 to 97.
    pub fn check_digits(&self) -> u64 {
        match self.base % 97 {
            0 => 97,
            r => r,
        }
    }

    /// The 12 digits, as banks transmit them in payment files.
    pub fn digits(&self) -> String {
        format!("{:010}{:02}", self.base, self.check_digits())
    }
}

impl FromStr for StructuredReference {
    type Err = StructuredReferenceError;

    /// Accepts `+++123/4567/89002+++`, `***123/4567/89002***`, `123/4567/89002` and
    /// `123456789002`: the forms found on slips, in bank files and typed by people.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let inner = ["+++", "***"]
            .iter()
            .find_map(|d| s.strip_prefix(d).and_then(|rest| rest.strip_suffix(d)))
            .unwrap_or(s);
        let digits: String = match inner.split('/').collect::<Vec<_>>()[..] {
            [all] => all.to_owned(),
            [a, b, c] if a.len() == 3 && b.len() == 4 && c.len() == 5 => [a, b, c].concat(),
            _ => return Err(StructuredReferenceError::Malformed),
        };
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StructuredReferenceError::Malformed);
        }
        let base = digits[..10]
            .parse()
            .map_err(|_| StructuredReferenceError::Malformed)?;
        let check: u64 = digits[10..]
            .parse()
            .map_err(|_| StructuredReferenceError::Malformed)?;
        let reference = Self::from_base(base)?;
        if check != reference.check_digits() {
            return Err(StructuredReferenceError::BadCheckDigits);
        }
        Ok(reference)
    }
}

impl TryFrom<&str> for StructuredReference {
    type Error = StructuredReferenceError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for StructuredReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        f.pad(&format!("+++{}/{}/{}+++", &d[..3], &d[3..7], &d[7..]))
    }
}

impl_serde_via_str!(StructuredReference, v => v.digits());

#[cfg(test)]
mod tests;

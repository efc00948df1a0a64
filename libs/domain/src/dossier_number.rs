//! SECAL's own dossier numbers, `SEC-YYYY-NNNNNN-CC`.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use thiserror::Error;

use crate::StructuredReference;
use crate::mod97_complement;
use crate::serde_str::impl_serde_via_str;

const YEARS: RangeInclusive<u16> = 2000..=2999;
const SEQUENCES: RangeInclusive<u32> = 1..=999_999;

/// The base of a payment reference is `YYYYNNNNNN`: the sequence takes the last six digits.
const SEQUENCE_SHIFT: u64 = 1_000_000;

/// The largest base a dossier gives its payment reference (the last sequence of the last
/// year). The assertion below keeps it within the ten digits of a structured reference, so
/// `payment_reference` never meets `from_base`'s error if the ranges above ever grow.
const MAX_PAYMENT_BASE: u64 = *YEARS.end() as u64 * SEQUENCE_SHIFT + *SEQUENCES.end() as u64;
const _: () = assert!(MAX_PAYMENT_BASE <= 9_999_999_999);

/// A dossier number: the year of the decision, a sequence number within that year, and
/// two check digits `97 − ((YYYY × 1 000 000 + NNNNNN) mod 97)` that catch typing errors
/// when people quote their dossier in letters and phone calls.
///
/// Ordered by year, then sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierNumber {
    year: u16,
    sequence: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DossierNumberError {
    #[error("a dossier number is written SEC-YYYY-NNNNNN-CC")]
    Malformed,
    #[error("dossier year {year} is outside 2000..=2999")]
    YearOutOfRange { year: i32 },
    #[error("dossier sequence {sequence} is outside 1..=999999")]
    SequenceOutOfRange { sequence: u32 },
    #[error("the check digits of the dossier number do not match")]
    BadCheckDigits,
}

impl DossierNumber {
    pub fn new(year: i32, sequence: u32) -> Result<Self, DossierNumberError> {
        let year = u16::try_from(year)
            .ok()
            .filter(|y| YEARS.contains(y))
            .ok_or(DossierNumberError::YearOutOfRange { year })?;
        if !SEQUENCES.contains(&sequence) {
            return Err(DossierNumberError::SequenceOutOfRange { sequence });
        }
        Ok(Self { year, sequence })
    }

    pub fn year(&self) -> i32 {
        i32::from(self.year)
    }

    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// The two check digits, 1 to 97.
    pub fn check_digits(&self) -> u32 {
        let n = u64::from(self.year) * 1_000_000 + u64::from(self.sequence);
        // Always in 1..=97, so the narrowing cannot truncate.
        mod97_complement(n) as u32
    }

    /// The structured communication (OGM/VCS) a debtor writes on transfers for this
    /// dossier: its 10-digit base is the year and sequence (`YYYYNNNNNN`), so it is stable,
    /// needs no storage, and leads back to exactly one dossier (`from_payment_reference`).
    pub fn payment_reference(&self) -> StructuredReference {
        let base = u64::from(self.year) * SEQUENCE_SHIFT + u64::from(self.sequence);
        match StructuredReference::from_base(base) {
            Ok(reference) => reference,
            // `base` is at most MAX_PAYMENT_BASE, which the compile-time assertion keeps
            // within the ten digits `from_base` accepts.
            Err(e) => unreachable!("dossier {self}: {e}"),
        }
    }

    /// The dossier a structured communication was issued for, if it is one of SECAL's
    /// (another creditor's reference has a base that is no dossier's year and sequence).
    pub fn from_payment_reference(reference: &StructuredReference) -> Option<Self> {
        let base = reference.base();
        let year = i32::try_from(base / SEQUENCE_SHIFT).ok()?;
        let sequence = u32::try_from(base % SEQUENCE_SHIFT).ok()?;
        Self::new(year, sequence).ok()
    }
}

impl FromStr for DossierNumber {
    type Err = DossierNumberError;

    /// `SEC-2024-000123-45`; the prefix may be in lower case, as people type it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('-');
        let (Some(prefix), Some(year), Some(sequence), Some(check), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(DossierNumberError::Malformed);
        };
        let number = |text: &str, len: usize| {
            (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u32>().ok())
                .flatten()
                .ok_or(DossierNumberError::Malformed)
        };
        if !prefix.eq_ignore_ascii_case("SEC") {
            return Err(DossierNumberError::Malformed);
        }
        let year = number(year, 4)? as i32; // at most 9999
        let dossier = Self::new(year, number(sequence, 6)?)?;
        if number(check, 2)? != dossier.check_digits() {
            return Err(DossierNumberError::BadCheckDigits);
        }
        Ok(dossier)
    }
}

impl TryFrom<&str> for DossierNumber {
    type Error = DossierNumberError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for DossierNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!(
            "SEC-{:04}-{:06}-{:02}",
            self.year,
            self.sequence,
            self.check_digits()
        ))
    }
}

impl_serde_via_str!(DossierNumber, v => v.to_string());

#[cfg(test)]
mod tests;

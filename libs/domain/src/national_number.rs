//! Belgian national register numbers (NISS) and BIS numbers: `YYMMDD SSS CC`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use thiserror::Error;

use crate::mod97_complement;
use crate::serde_str::impl_serde_via_str;

const LEN: usize = 11;

/// A Belgian national number (NISS) or BIS number, with valid check digits and a possible
/// birth date.
///
/// `Display` and `Debug` show only the check digits (`**.**.**-***.28`): the full number
/// identifies a person and must not end up in logs. Use [`NationalNumber::as_digits`] for
/// storage and [`NationalNumber::formatted`] for documents sent to that person. The serde
/// form is the full 11 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NationalNumber {
    digits: String,
    // Kept because the century can only be recovered from which check matched.
    birth_date: Option<NaiveDate>,
}

/// Which register issued the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NationalNumberKind {
    /// National register (residents).
    Niss,
    /// Crossroads Bank register (people without a national register entry); the month is
    /// shifted by 20 or 40.
    Bis,
}

/// Why a string is not a national number. Messages never repeat the number itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NationalNumberError {
    #[error("a national number has 11 digits, found {len}")]
    WrongLength { len: usize },
    #[error("unexpected character {found:?} at position {position} in a national number")]
    NonDigit { position: usize, found: char },
    #[error("the check digits of the national number do not match")]
    BadCheckDigits,
    #[error("the national number does not encode a possible birth date")]
    InvalidBirthDate,
}

impl NationalNumber {
    /// The canonical 11 digits, for storage and exchanges with other administrations.
    pub fn as_digits(&self) -> &str {
        &self.digits
    }

    pub fn kind(&self) -> NationalNumberKind {
        if self.field(2..4) >= 20 {
            NationalNumberKind::Bis
        } else {
            NationalNumberKind::Niss
        }
    }

    /// `None` when the register does not know the birth date (month or day `00`).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }

    /// The printed form, `85.07.30-033.28`.
    pub fn formatted(&self) -> String {
        let d = &self.digits;
        format!(
            "{}.{}.{}-{}.{}",
            &d[0..2],
            &d[2..4],
            &d[4..6],
            &d[6..9],
            &d[9..11]
        )
    }

    /// The printed form with everything but the check digits hidden, `**.**.**-***.28`:
    /// enough to tell two numbers apart in a log, not enough to identify anyone.
    pub fn masked(&self) -> String {
        format!("**.**.**-***.{}", &self.digits[9..11])
    }

    fn field(&self, range: std::ops::Range<usize>) -> u32 {
        digits_value(&self.digits[range]) as u32
    }
}

fn digits_value(digits: &str) -> u64 {
    digits
        .bytes()
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'))
}

/// Decodes the birth date; `Ok(None)` is an unknown date, which the registers allow.
fn birth_date(
    year: i32,
    raw_month: u32,
    day: u32,
) -> Result<Option<NaiveDate>, NationalNumberError> {
    let month = match raw_month {
        0..=12 => raw_month,
        20..=32 => raw_month - 20,
        40..=52 => raw_month - 40,
        _ => return Err(NationalNumberError::InvalidBirthDate),
    };
    match (month, day) {
        // Registers leave unknown parts of a birth date at zero; the day field is not
        // reliably zero when the month is unknown, so only its range is checked.
        (0, 0..=31) | (1..=12, 0) => Ok(None),
        (0, _) => Err(NationalNumberError::InvalidBirthDate),
        _ => NaiveDate::from_ymd_opt(year, month, day)
            .map(Some)
            .ok_or(NationalNumberError::InvalidBirthDate),
    }
}

impl FromStr for NationalNumber {
    type Err = NationalNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut digits = String::with_capacity(LEN);
        for (position, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                // Separators of the printed form, and the spaces people type.
                '.' | '-' | ' ' => {}
                found => return Err(NationalNumberError::NonDigit { position, found }),
            }
        }
        if digits.len() != LEN {
            return Err(NationalNumberError::WrongLength { len: digits.len() });
        }

        let head = digits_value(&digits[..9]);
        let check = digits_value(&digits[9..]);
        // The register prefixes a "2" for people born from 2000 on; 2_000_000_000 is not a
        // multiple of 97, so at most one century matches.
        let century = if mod97_complement(head) == check {
            1900
        } else if mod97_complement(2_000_000_000 + head) == check {
            2000
        } else {
            return Err(NationalNumberError::BadCheckDigits);
        };

        let field = |r: std::ops::Range<usize>| digits_value(&digits[r]) as u32;
        let year = century + field(0..2) as i32;
        let birth_date = birth_date(year, field(2..4), field(4..6))?;
        Ok(Self { digits, birth_date })
    }
}

impl TryFrom<&str> for NationalNumber {
    type Error = NationalNumberError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for NationalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.masked())
    }
}

impl fmt::Debug for NationalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NationalNumber")
            .field(&format_args!("{}", self.masked()))
            .finish()
    }
}

impl_serde_via_str!(NationalNumber, v => v.as_digits());

#[cfg(test)]
mod tests;

//! International bank account numbers, validated against the ISO 13616 registry.

use std::fmt;
use std::str::FromStr;

use ::iban::{IbanLike, ParseBaseIbanError, ParseIbanError};
use thiserror::Error;

use crate::serde_str::impl_serde_via_str;

/// An IBAN with a valid checksum and the format of its country.
///
/// `Display` gives the print format (`BE68 5390 0754 7034`) because that is what people
/// read; `Debug` is masked, like [`Iban::masked`], because an account number is personal
/// data and `Debug` is what ends up in logs. The serde form is the electronic format.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iban(::iban::Iban);

/// Why a string is not an IBAN. Messages never repeat the account number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IbanError {
    #[error("the IBAN is empty")]
    Empty,
    #[error("unexpected character {found:?} at position {position} in an IBAN")]
    InvalidCharacter { position: usize, found: char },
    #[error(
        "an IBAN starts with a country code and two check digits and has at most 34 characters"
    )]
    Malformed,
    #[error("the check digits of the IBAN do not match")]
    BadChecksum,
    #[error("{country} is not a country that issues IBANs")]
    UnknownCountry { country: String },
    #[error("the IBAN does not have the length or layout used in {country}")]
    WrongCountryFormat { country: String },
    #[error("the check digits of the Belgian account number inside the IBAN do not match")]
    BadBelgianAccountCheck,
}

impl Iban {
    /// The electronic format, without spaces: for storage and payment files.
    pub fn electronic(&self) -> &str {
        self.0.electronic_str()
    }

    /// The ISO 3166 country code, e.g. `"BE"`.
    pub fn country_code(&self) -> &str {
        self.0.country_code()
    }

    pub fn is_belgian(&self) -> bool {
        self.country_code() == "BE"
    }

    /// The account number within the country (everything after the check digits).
    pub fn bban(&self) -> &str {
        self.0.bban()
    }

    /// The bank code, for countries whose format defines one (Belgium: 3 digits).
    pub fn bank_identifier(&self) -> Option<&str> {
        self.0.bank_identifier()
    }

    /// Print format keeping only the country, check digits and last four characters,
    /// e.g. `BE68 **** **** 7034`: enough for a person to recognise their account.
    pub fn masked(&self) -> String {
        let electronic = self.electronic();
        let shown_tail = electronic.len() - 4;
        let mut out = String::with_capacity(electronic.len() + electronic.len() / 4);
        for (i, c) in electronic.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(if i < 4 || i >= shown_tail { c } else { '*' });
        }
        out
    }
}

impl FromStr for Iban {
    type Err = IbanError;

    /// Accepts the electronic or print format, in any case, with spaces anywhere: people
    /// copy account numbers from statements and web pages.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut electronic = String::with_capacity(34);
        for (position, c) in s.chars().enumerate() {
            if c.is_ascii_alphanumeric() {
                electronic.push(c.to_ascii_uppercase());
            } else if !c.is_whitespace() {
                return Err(IbanError::InvalidCharacter { position, found: c });
            }
        }
        if electronic.is_empty() {
            return Err(IbanError::Empty);
        }
        let country = || electronic.get(..2).unwrap_or_default().to_owned();
        let iban = electronic
            .parse::<::iban::Iban>()
            .map(Iban)
            .map_err(|e| match e {
                ParseIbanError::InvalidBaseIban {
                    source: ParseBaseIbanError::InvalidFormat,
                } => IbanError::Malformed,
                ParseIbanError::InvalidBaseIban {
                    source: ParseBaseIbanError::InvalidChecksum,
                } => IbanError::BadChecksum,
                ParseIbanError::UnknownCountry(_) => {
                    IbanError::UnknownCountry { country: country() }
                }
                ParseIbanError::InvalidBban(_) => {
                    IbanError::WrongCountryFormat { country: country() }
                }
            })?;
        // The IBAN checksum misses some errors that the Belgian account number's own
        // check catches, and a wrong account delays payments for months.
        if iban.is_belgian() && !belgian_account_check_ok(iban.bban()) {
            return Err(IbanError::BadBelgianAccountCheck);
        }
        Ok(iban)
    }
}

/// A Belgian account number is 12 digits whose last two are the first ten mod 97 (97
/// when that is 0). The country format guarantees the 12 digits.
fn belgian_account_check_ok(bban: &str) -> bool {
    let (Some(head), Some(check)) = (bban.get(..10), bban.get(10..)) else {
        return false;
    };
    match (head.parse::<u64>(), check.parse::<u64>()) {
        (Ok(head), Ok(check)) => match head % 97 {
            0 => check == 97,
            r => check == r,
        },
        _ => false,
    }
}

impl TryFrom<&str> for Iban {
    type Error = IbanError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_string())
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Iban")
            .field(&format_args!("{}", self.masked()))
            .finish()
    }
}

impl_serde_via_str!(Iban, v => v.electronic());

#[cfg(test)]
mod tests;

//! Business identifier codes (ISO 9362), the bank's address in a payment file.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// An 8- or 11-character BIC in the layout the ISO 20022 schemas accept:
/// 4 letters (bank), 2 letters (country), 2 characters (location, the second never `O`),
/// and optionally 3 characters (branch).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BicError {
    #[error("a BIC has 8 or 11 characters, got {len}")]
    WrongLength { len: usize },
    #[error("a BIC is 6 letters, 2 location characters and an optional 3-character branch")]
    Malformed,
}

impl Bic {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO 3166 country code, e.g. `"BE"`.
    pub fn country_code(&self) -> &str {
        &self.0[4..6]
    }
}

impl FromStr for Bic {
    type Err = BicError;

    /// Case-insensitive; spaces are ignored because BICs are often printed `GEBA BE BB`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bic: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let len = bic.chars().count();
        if len != 8 && len != 11 {
            return Err(BicError::WrongLength { len });
        }
        let b = bic.as_bytes();
        let layout_ok = b[..6].iter().all(u8::is_ascii_uppercase)
            && (b[6].is_ascii_uppercase() || (b'2'..=b'9').contains(&b[6]))
            && (b[7].is_ascii_digit() || (b[7].is_ascii_uppercase() && b[7] != b'O'))
            && b[8..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !layout_ok {
            return Err(BicError::Malformed);
        }
        Ok(Bic(bic))
    }
}

impl TryFrom<&str> for Bic {
    type Error = BicError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_and_normalises() {
        let bic: Bic = "geba be bb".parse().unwrap();
        assert_eq!(bic.as_str(), "GEBABEBB");
        assert_eq!(bic.country_code(), "BE");
        assert_eq!(
            Bic::try_from("KREDBEBB100").unwrap().to_string(),
            "KREDBEBB100"
        );
    }

    #[test]
    fn rejects_bad_layouts() {
        assert_eq!(
            "GEBABEB".parse::<Bic>(),
            Err(BicError::WrongLength { len: 7 })
        );
        for bad in [
            "GEBA1EBB",
            "GEBABE1B",
            "GEBABEBO",
            "GEBABEBB1é1",
            "GEBABEBB-01",
        ] {
            assert!(bad.parse::<Bic>().is_err(), "{bad}");
        }
    }
}

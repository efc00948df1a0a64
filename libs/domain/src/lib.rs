//! SECAL's value types.
//!
//! Everything that crosses a service boundary as a string — national numbers, IBANs,
//! amounts, months, dossier numbers, structured bank references — is parsed here once,
//! so that the rest of the code base only ever holds values that are known to be valid.
//! The crate is pure: no I/O, no clock, no database, no gRPC.
//!
//! Types that carry personal data ([`NationalNumber`], [`Iban`]) are masked in their
//! `Display` and `Debug` output so that they can be logged without leaking; their
//! serde form is the full value, because that is what storage and the wire need.

mod dossier_number;
mod holder_name;
mod iban;
mod money;
mod national_number;
mod serde_str;
mod structured_reference;
mod year_month;

pub use dossier_number::{DossierNumber, DossierNumberError};
pub use holder_name::holder_names;
pub use iban::{Iban, IbanError};
pub use money::{Money, MoneyError};
pub use national_number::{NationalNumber, NationalNumberError, NationalNumberKind};
pub use structured_reference::{StructuredReference, StructuredReferenceError};
pub use year_month::{YearMonth, YearMonthError};

/// `97 − (n mod 97)`: the check used by the national register and by SECAL's own dossier
/// numbers (always in 1..=97, so it fits in two digits).
pub(crate) fn mod97_complement(n: u64) -> u64 {
    97 - n % 97
}

//! ISO 20022 payment files for the payments service, and the creditor references inside.
//!
//! - [`pain001`]: write a SEPA credit-transfer file (pain.001.001.03) for payouts;
//! - [`camt053`]: read a bank statement (camt.053.001.02): debtors' payments with their
//!   structured references, and returned payouts;
//! - [`CreditorReference`]: the Belgian structured communication (`+++123/4567/89002+++`)
//!   and the ISO 11649 RF reference;
//! - [`to_sepa_text`]: how free text is brought into the SEPA character set.
//!
//! Pure: no I/O, no clock, no database. Validation against the XSDs is done by the tests
//! (xmllint), not at run time.

pub mod camt053;
pub mod pain001;

mod bic;
mod reference;
mod text;

pub use bic::{Bic, BicError};
pub use reference::{
    CreditorReference, CreditorReferenceError, RfReference, RfReferenceError, StructuredReference,
    StructuredReferenceError,
};
pub use text::{IdentifierError, check_identifier, is_sepa_char, to_sepa_text};

pub use camt053::{BankToCustomerStatement, Camt053Error, parse_camt053, parse_camt053_bytes};
pub use pain001::{
    CreditTransfer, CreditTransferInitiation, Debtor, Pain001Document, Pain001Error, Remittance,
    write_pain001,
};

//! What a payout file says, and the checks it must pass before it is written.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_domain::Iban;
use thiserror::Error;

use crate::bic::Bic;
use crate::reference::CreditorReference;
use crate::text::{IdentifierError, check_identifier, to_sepa_text};

/// Identifiers (`MsgId`, `PmtInfId`, `EndToEndId`) are `Max35Text`.
pub const MAX_ID: usize = 35;
/// EPC limits names to 70 characters although the schema allows 140.
pub const MAX_NAME: usize = 70;
/// One `Ustrd` of at most 140 characters, as SEPA allows.
pub const MAX_UNSTRUCTURED: usize = 140;
/// The largest amount a SEPA credit transfer may carry: 999999999.99, i.e.
/// 99_999_999_999 (= 0x17_4876_E7FF) hundredths.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0x4876_E7FF, 0x17, 0, false, 2);

/// One pain.001.001.03 message: the service pays `payments` from its own account on
/// `requested_execution_date`. Written as a single payment information block
/// (`PmtInf`, identified by the message id) because there is one debtor account and one
/// execution date per file.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditTransferInitiation {
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    pub debtor: Debtor,
    pub requested_execution_date: NaiveDate,
    /// `true`: the bank books one debit for the whole file; `false`: one per payment,
    /// which makes each payout visible on the statement.
    pub batch_booking: bool,
    pub payments: Vec<CreditTransfer>,
}

/// The service's own account.
#[derive(Debug, Clone, PartialEq)]
pub struct Debtor {
    pub name: String,
    pub iban: Iban,
    pub bic: Bic,
}

/// One payout to a creditor.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditTransfer {
    /// Travels unchanged to the creditor's bank and comes back in returns (camt.053):
    /// the key to find the payout again.
    pub end_to_end_id: String,
    /// Euro, positive, at most 2 decimals.
    pub amount: Decimal,
    pub creditor_name: String,
    pub creditor_iban: Iban,
    /// Optional within SEPA (IBAN-only payments).
    pub creditor_bic: Option<Bic>,
    pub remittance: Option<Remittance>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Remittance {
    /// Free text, transliterated to the SEPA set, at most 140 characters after that.
    Unstructured(String),
    Structured(CreditorReference),
}

/// Which input was refused and why. `field` is a path into the input, such as
/// `payments[3].creditor_name`; the value itself is never repeated (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {problem}")]
pub struct Pain001Error {
    pub field: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    #[error(transparent)]
    Identifier(#[from] IdentifierError),
    #[error("is empty once restricted to the SEPA character set")]
    EmptyText,
    #[error("has {len} characters once restricted to the SEPA character set, at most {max}")]
    TextTooLong { len: usize, max: usize },
    #[error("must be positive")]
    AmountNotPositive,
    #[error("has more than 2 decimals")]
    AmountTooPrecise,
    #[error("exceeds the SEPA maximum of 999999999.99")]
    AmountTooLarge,
    #[error("a file needs at least one payment")]
    NoPayments,
    #[error("repeats the end-to-end id of payments[{first}]")]
    DuplicateEndToEndId { first: usize },
    #[error("the XML writer failed: {0}")]
    Xml(String),
}

fn err(field: impl Into<String>, problem: impl Into<Problem>) -> Pain001Error {
    Pain001Error {
        field: field.into(),
        problem: problem.into(),
    }
}

pub(crate) fn identifier(field: &str, id: &str) -> Result<(), Pain001Error> {
    check_identifier(id, MAX_ID).map_err(|e| err(field, e))
}

/// The SEPA form of a free text, refused if empty or longer than `max` once converted.
pub(crate) fn sepa_text(field: &str, text: &str, max: usize) -> Result<String, Pain001Error> {
    let converted = to_sepa_text(text);
    let len = converted.chars().count();
    if len == 0 {
        return Err(err(field, Problem::EmptyText));
    }
    if len > max {
        return Err(err(field, Problem::TextTooLong { len, max }));
    }
    Ok(converted)
}

pub(crate) fn amount(field: &str, amount: Decimal) -> Result<(), Pain001Error> {
    if amount <= Decimal::ZERO {
        return Err(err(field, Problem::AmountNotPositive));
    }
    if amount.normalize().scale() > 2 {
        return Err(err(field, Problem::AmountTooPrecise));
    }
    if amount > MAX_AMOUNT {
        return Err(err(field, Problem::AmountTooLarge));
    }
    Ok(())
}

/// End-to-end ids must be unique within a file: returns are matched on them.
pub(crate) fn unique_end_to_end_ids(payments: &[CreditTransfer]) -> Result<(), Pain001Error> {
    let mut seen = std::collections::HashMap::with_capacity(payments.len());
    for (i, payment) in payments.iter().enumerate() {
        if let Some(&first) = seen.get(payment.end_to_end_id.as_str()) {
            return Err(err(
                format!("payments[{i}].end_to_end_id"),
                Problem::DuplicateEndToEndId { first },
            ));
        }
        seen.insert(payment.end_to_end_id.as_str(), i);
    }
    if payments.is_empty() {
        return Err(err("payments", Problem::NoPayments));
    }
    Ok(())
}

pub(crate) fn xml_error(e: std::io::Error) -> Pain001Error {
    err("document", Problem::Xml(e.to_string()))
}

//! camt.053.001.02, bank-to-customer statement: what the bank says happened on the
//! service's account, read to match debtors' payments and to notice returned payouts.
//!
//! Tolerant of the many optional elements banks fill differently; strict on what money
//! depends on: every amount is a non-negative decimal with a currency, euro amounts have at
//! most 2 decimals, an entry's currency is the account's, and the transaction amounts of
//! an entry, when all given in its currency, add up to it.

mod dom;
mod parse;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::Iban;
use thiserror::Error;

use crate::reference::CreditorReference;

pub use parse::{parse_camt053, parse_camt053_bytes};

pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02";

/// One camt.053 message; a bank may put several statements (accounts or days) in it.
#[derive(Debug, Clone, PartialEq)]
pub struct BankToCustomerStatement {
    pub message_id: String,
    /// As written (ISO date-time, offset optional).
    pub created_at: String,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub id: String,
    pub electronic_sequence_number: Option<String>,
    pub created_at: String,
    pub account_iban: Iban,
    pub account_currency: Option<String>,
    pub balances: Vec<Balance>,
    pub entries: Vec<Entry>,
}

/// A balance line, e.g. opening (`OPBD`) or closing booked (`CLBD`).
#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    pub code: String,
    pub amount: Decimal,
    pub currency: String,
    pub credit_debit: CreditDebit,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditDebit {
    /// Money in.
    Credit,
    /// Money out.
    Debit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryStatus {
    /// `BOOK`: final.
    Booked,
    /// `PDNG`: may still change or disappear; not money yet.
    Pending,
    /// `INFO`: informational only.
    Information,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub reference: Option<String>,
    /// Never negative: the direction is [`Entry::credit_debit`].
    pub amount: Decimal,
    pub currency: String,
    pub credit_debit: CreditDebit,
    /// The entry cancels an earlier one (e.g. a bank correction).
    pub reversal: bool,
    pub status: EntryStatus,
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub account_servicer_reference: Option<String>,
    pub bank_transaction_code: BankTransactionCode,
    pub additional_info: Option<String>,
    /// Empty when the bank gave no details; one per transaction of a batch.
    pub transactions: Vec<TransactionDetails>,
}

/// ISO bank transaction code (domain / family / sub-family), and the bank's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankTransactionCode {
    pub domain: Option<String>,
    pub family: Option<String>,
    pub sub_family: Option<String>,
    pub proprietary: Option<String>,
}

impl BankTransactionCode {
    /// `RRTN`: the ISO sub-family for a credit transfer that came back.
    pub fn is_return(&self) -> bool {
        self.sub_family.as_deref() == Some("RRTN")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransactionDetails {
    /// `None` also when the bank wrote `NOTPROVIDED`.
    pub end_to_end_id: Option<String>,
    pub instruction_id: Option<String>,
    pub account_servicer_reference: Option<String>,
    /// The transaction amount (`AmtDtls/TxAmt`, else `AmtDtls/InstdAmt`), if given.
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub bank_transaction_code: Option<BankTransactionCode>,
    pub debtor_name: Option<String>,
    /// `None` when absent or not a valid IBAN; the raw account is in `debtor_account`.
    pub debtor_iban: Option<Iban>,
    pub debtor_account: Option<String>,
    pub creditor_name: Option<String>,
    pub creditor_iban: Option<Iban>,
    pub creditor_account: Option<String>,
    pub remittance: RemittanceInfo,
    /// Set when the transaction is a returned payment (`RtrInf`, or sub-family `RRTN`).
    pub return_info: Option<ReturnInfo>,
    pub additional_info: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemittanceInfo {
    pub unstructured: Vec<String>,
    /// Valid Belgian or RF references from `Strd/CdtrRefInf/Ref`.
    pub creditor_references: Vec<CreditorReference>,
    /// `Ref` values that are neither (typos, other schemes), kept for a person to read.
    pub unrecognised_references: Vec<String>,
}

impl RemittanceInfo {
    /// The reference to match on: the first structured one, else one typed into the
    /// free text (see [`CreditorReference::find_in_text`]).
    pub fn matching_reference(&self) -> Option<CreditorReference> {
        self.creditor_references.first().cloned().or_else(|| {
            self.unstructured
                .iter()
                .find_map(|text| CreditorReference::find_in_text(text))
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnInfo {
    /// ISO external return reason (`AC04` closed account, `AC01` wrong IBAN, `MS03`, …).
    pub reason_code: Option<String>,
    pub proprietary_reason: Option<String>,
    pub additional_info: Vec<String>,
}

/// Why a statement could not be read. `path` is the XML path of the offending element.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Camt053Error {
    #[error("not well-formed XML near byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("not a camt.053.001.02 document: {0}")]
    WrongDocument(String),
    #[error("{path}: required element is missing")]
    Missing { path: String },
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
}

impl Camt053Error {
    /// The XML path of the problem, when there is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Missing { path } | Self::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;

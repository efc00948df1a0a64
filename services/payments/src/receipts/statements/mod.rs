//! Bank statements (camt.053) in: booked credits matched to dossiers by the dossier's
//! Belgian structured communication (`DossierNumber::payment_reference`) become debtor
//! payments; a returned credit transfer whose end-to-end id is one of our payouts goes back
//! to payable by the same path as RecordPayoutReturn; what does not match is kept as an
//! unmatched line with its money in `suspense` until a person resolves it (a refund to the
//! sender then leaves suspense).

mod import;
mod resolve;
mod store;

pub(crate) use import::import;
pub(crate) use resolve::{list_unmatched, resolve};
pub(crate) use store::reopen_line;

use chrono::NaiveDate;
use secal_domain::Money;
use secal_iso20022::CreditorReference;
use secal_iso20022::camt053::{CreditDebit, Entry, EntryStatus, Statement, TransactionDetails};
use secal_runtime::{ServiceError, ServiceResult};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A stable id from a namespace and parts, so that the same bank line always yields the same
/// line id and payment id (re-imports then meet the unique keys instead of booking twice).
pub(crate) fn stable_id(namespace: &str, parts: &[&str]) -> Uuid {
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Credit = 1,
    Debit = 2,
    Return = 3,
}

/// One booked line of a statement, before matching.
#[derive(Debug, Clone)]
pub(crate) struct ParsedLine {
    pub bank_reference: String,
    pub kind: LineKind,
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub cents: i64,
    pub counterparty_name: String,
    pub counterparty_iban: String,
    pub reference: Option<CreditorReference>,
    /// More than one distinct structured reference: the line is ambiguous.
    pub several_references: bool,
    pub unstructured: String,
    /// Money came in (a credit, or the reversal of a debit).
    pub incoming: bool,
    /// The end-to-end id of the transaction (for a returned payout: the one our pain.001
    /// gave it).
    pub end_to_end_id: Option<String>,
    /// For a returned payment: the ISO return reason code and the bank's words.
    pub return_reason: Option<String>,
    pub return_text: String,
}

fn cents(amount: rust_decimal::Decimal, currency: &str, path: &str) -> ServiceResult<i64> {
    if currency != "EUR" {
        return Err(ServiceError::invalid_field(
            format!("camt053: {path}"),
            format!("currency {currency}: only EUR is accepted"),
        ));
    }
    Money::from_decimal(amount)
        .to_cents()
        .map_err(|e| ServiceError::invalid_field(format!("camt053: {path}"), e.to_string()))
}

/// The booked lines of a statement, one per transaction of a multi-transaction entry that
/// states each amount, else one per entry; and how many entries were not booked (pending or
/// information only: not money yet, so not kept).
pub(crate) fn lines_of(stmt: &Statement) -> ServiceResult<(Vec<ParsedLine>, usize)> {
    let mut out = Vec::new();
    let mut not_booked = 0;
    for (i, e) in stmt.entries.iter().enumerate() {
        if e.status != EntryStatus::Booked {
            not_booked += 1;
            continue;
        }
        for (bank_reference, cents, t) in entry_parts(stmt, i, e)? {
            out.push(parsed_line(e, bank_reference, cents, t));
        }
    }
    Ok((out, not_booked))
}

/// The parts of entry `i` with their bank reference and amount: its transactions when each
/// states its own amount, else the entry as a whole.
fn entry_parts<'e>(
    stmt: &Statement,
    i: usize,
    e: &'e Entry,
) -> ServiceResult<Vec<(String, i64, Option<&'e TransactionDetails>)>> {
    let entry_ref = e
        .account_servicer_reference
        .clone()
        .or_else(|| e.reference.as_ref().map(|r| format!("{}/{r}", stmt.id)))
        .unwrap_or_else(|| format!("{}/{}", stmt.id, i + 1));
    let split = e.transactions.len() > 1 && e.transactions.iter().all(|t| t.amount.is_some());
    let entry_path = format!("Stmt/Ntry[{}]/Amt", i + 1);
    let entry_cents = cents(e.amount, &e.currency, &entry_path)?;
    if !split {
        return Ok(vec![(entry_ref, entry_cents, e.transactions.first())]);
    }
    e.transactions
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let r = t
                .account_servicer_reference
                .clone()
                .unwrap_or_else(|| format!("{entry_ref}/{}", j + 1));
            let path = format!("Stmt/Ntry[{}]/NtryDtls/TxDtls[{}]/AmtDtls", i + 1, j + 1);
            // `split`: every transaction states its amount.
            let amount = t.amount.ok_or_else(|| {
                ServiceError::invalid_field(format!("camt053: {path}"), "no amount")
            })?;
            // Optional in camt.053: a transaction without its own currency is in the entry's.
            let ccy = t.currency.as_deref().unwrap_or(&e.currency);
            Ok((r, cents(amount, ccy, &path)?, Some(t)))
        })
        .collect()
}

fn line_kind(e: &Entry, t: Option<&TransactionDetails>) -> LineKind {
    let returned = e.reversal
        || e.bank_transaction_code.is_return()
        || t.is_some_and(|t| {
            t.return_info.is_some()
                || t.bank_transaction_code
                    .as_ref()
                    .is_some_and(|c| c.is_return())
        });
    match (e.credit_debit, returned) {
        (_, true) => LineKind::Return,
        (CreditDebit::Debit, false) => LineKind::Debit,
        (CreditDebit::Credit, false) => LineKind::Credit,
    }
}

/// The other party's name and account: the creditor of money out, the debtor of money in.
fn counterparty(
    kind: LineKind,
    t: Option<&TransactionDetails>,
) -> (Option<String>, Option<String>) {
    match (kind, t) {
        (_, None) => (None, None),
        (LineKind::Debit, Some(t)) => (
            t.creditor_name.clone(),
            t.creditor_iban
                .as_ref()
                .map(|i| i.electronic().to_owned())
                .or(t.creditor_account.clone()),
        ),
        (_, Some(t)) => (
            t.debtor_name.clone(),
            t.debtor_iban
                .as_ref()
                .map(|i| i.electronic().to_owned())
                .or(t.debtor_account.clone()),
        ),
    }
}

fn parsed_line(
    e: &Entry,
    bank_reference: String,
    cents: i64,
    t: Option<&TransactionDetails>,
) -> ParsedLine {
    let kind = line_kind(e, t);
    let (name, iban) = counterparty(kind, t);
    // An entry without transaction details has no remittance information (optional).
    let remittance = t.map(|t| t.remittance.clone()).unwrap_or_default();
    let mut distinct = remittance.creditor_references.clone();
    distinct.dedup();
    ParsedLine {
        bank_reference,
        kind,
        booking_date: e.booking_date,
        value_date: e.value_date,
        cents,
        counterparty_name: name.unwrap_or_default(),
        counterparty_iban: iban.unwrap_or_default(),
        reference: remittance.matching_reference(),
        several_references: distinct.len() > 1,
        unstructured: remittance.unstructured.join(" "),
        incoming: e.credit_debit == CreditDebit::Credit,
        end_to_end_id: t.and_then(|t| t.end_to_end_id.clone()),
        return_reason: t
            .and_then(|t| t.return_info.as_ref())
            .and_then(|r| r.reason_code.clone()),
        return_text: t
            .and_then(|t| t.return_info.as_ref())
            .map(|r| {
                r.additional_info
                    .iter()
                    .chain(&r.proprietary_reason)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_lines_keep_every_booked_entry() {
        let xml = include_bytes!(
            "../../../../../libs/iso20022/tests/fixtures/camt053_debtor_payments.xml"
        );
        let doc = secal_iso20022::parse_camt053_bytes(xml).unwrap();
        let (lines, not_booked) = lines_of(&doc.statements[0]).unwrap();
        assert_eq!(not_booked, 1);
        let credits = lines.iter().filter(|l| l.kind == LineKind::Credit).count();
        let debits = lines.iter().filter(|l| l.kind == LineKind::Debit).count();
        assert_eq!((credits, debits), (4, 3));
        assert_eq!(lines[0].bank_reference, "BANKREF-0001");
        assert_eq!(lines[0].cents, 25_000);
        let ids: std::collections::HashSet<_> = lines.iter().map(|l| &l.bank_reference).collect();
        assert_eq!(ids.len(), lines.len());
    }

    #[test]
    fn returned_payouts_carry_their_end_to_end_id_and_reason() {
        let xml = include_bytes!(
            "../../../../../libs/iso20022/tests/fixtures/camt053_returned_payouts.xml"
        );
        let doc = secal_iso20022::parse_camt053_bytes(xml).unwrap();
        let (lines, _) = lines_of(&doc.statements[0]).unwrap();
        let summary: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.kind,
                    l.incoming,
                    l.end_to_end_id.as_deref(),
                    l.return_reason.as_deref(),
                    l.return_text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    LineKind::Return,
                    true,
                    Some("PO-2"),
                    Some("AC04"),
                    "Account closed"
                ),
                (LineKind::Return, true, Some("PO-9"), None, ""),
                // A bank correction of an earlier credit: money out, not a payout return.
                (LineKind::Return, false, None, None, ""),
            ]
        );
    }
}

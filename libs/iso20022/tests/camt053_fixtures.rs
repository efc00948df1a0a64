//! The hand-written statements are valid camt.053.001.02 (xmllint), then read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal_macros::dec;
use secal_iso20022::camt053::{CreditDebit, EntryStatus, ReturnInfo};
use secal_iso20022::{BankToCustomerStatement, CreditorReference, parse_camt053};

const XSD: &str = "camt.053.001.02.xsd";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

fn parse(name: &str) -> BankToCustomerStatement {
    let xml = fixture(name);
    common::assert_valid(&xml, XSD);
    parse_camt053(&xml).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn every_camt053_fixture_is_schema_valid_and_parses() {
    let mut seen = 0;
    for file in std::fs::read_dir(fixtures()).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("camt053") && name.ends_with(".xml") {
            parse(&name);
            seen += 1;
        }
    }
    assert!(seen >= 2, "fixtures missing in {}", fixtures().display());
}

#[test]
fn debtor_payments_are_read_with_their_references() {
    let message = parse("camt053_debtor_payments.xml");
    assert_eq!(message.message_id, "STMT-20261130-0001");
    let [statement] = &message.statements[..] else {
        panic!("one statement expected");
    };
    assert_eq!(statement.id, "BE68539007547034-2026-11-30");
    assert_eq!(statement.electronic_sequence_number.as_deref(), Some("330"));
    assert_eq!(statement.account_iban.electronic(), "BE68539007547034");
    assert_eq!(statement.account_currency.as_deref(), Some("EUR"));
    let closing = &statement.balances[1];
    assert_eq!(
        (closing.code.as_str(), closing.amount),
        ("CLBD", dec!(10125.50))
    );
    assert_eq!(closing.date, date("2026-11-30"));
    assert_eq!(statement.entries.len(), 7);

    // Belgian structured communication; NOTPROVIDED is no end-to-end id.
    let ogm = &statement.entries[0];
    assert_eq!(
        (
            ogm.amount,
            ogm.currency.as_str(),
            ogm.credit_debit,
            ogm.status
        ),
        (
            dec!(250.00),
            "EUR",
            CreditDebit::Credit,
            EntryStatus::Booked
        )
    );
    assert_eq!(ogm.booking_date, Some(date("2026-11-30")));
    assert_eq!(
        ogm.account_servicer_reference.as_deref(),
        Some("BANKREF-0001")
    );
    assert_eq!(
        ogm.bank_transaction_code.sub_family.as_deref(),
        Some("ESCT")
    );
    let tx = &ogm.transactions[0];
    assert_eq!(tx.end_to_end_id, None);
    assert_eq!(tx.debtor_name.as_deref(), Some("Jan Peeters"));
    assert_eq!(tx.debtor_iban.unwrap().electronic(), "BE71096123456769");
    let expected: CreditorReference = "+++123/4567/89002+++".parse().unwrap();
    assert_eq!(tx.remittance.creditor_references, vec![expected.clone()]);
    assert_eq!(tx.remittance.matching_reference(), Some(expected));
    assert_eq!(tx.return_info, None);

    // RF reference; booking date given as a date-time; entity in the name.
    let rf = &statement.entries[1];
    assert_eq!(rf.booking_date, Some(date("2026-11-30")));
    assert_eq!(rf.value_date, Some(date("2026-12-01")));
    let tx = &rf.transactions[0];
    assert_eq!(tx.end_to_end_id.as_deref(), Some("INV-77"));
    assert_eq!(
        (tx.amount, tx.currency.as_deref()),
        (Some(dec!(100.50)), Some("EUR"))
    );
    assert_eq!(tx.debtor_name.as_deref(), Some("Marie Dubois & Fils"));
    assert_eq!(
        tx.remittance.matching_reference(),
        Some("RF57SECAL2026000123".parse().unwrap())
    );

    // The payer typed the communication as free text; the account is not an IBAN.
    let typed = &statement.entries[2].transactions[0];
    assert!(typed.remittance.creditor_references.is_empty());
    assert_eq!(
        typed.remittance.matching_reference(),
        Some("090933755493".parse().unwrap())
    );
    assert_eq!(typed.debtor_iban, None);
    assert_eq!(typed.debtor_account.as_deref(), Some("000-1234567-89"));

    // A mistyped communication is kept for a person, not matched.
    let typo = &statement.entries[3].transactions[0].remittance;
    assert_eq!(
        typo.unrecognised_references,
        vec!["202600004238".to_owned()]
    );
    assert_eq!(typo.unstructured, vec!["alimentation".to_owned()]);
    assert_eq!(typo.matching_reference(), None);

    // Our payout file, booked as one debit with its transactions.
    let batch = &statement.entries[4];
    assert_eq!(
        (batch.amount, batch.credit_debit),
        (dec!(300.00), CreditDebit::Debit)
    );
    let ids: Vec<_> = batch
        .transactions
        .iter()
        .map(|t| {
            (
                t.end_to_end_id.as_deref(),
                t.amount,
                t.creditor_iban.map(|i| i.country_code().to_owned()),
            )
        })
        .collect();
    assert_eq!(
        ids,
        vec![
            (Some("PO-1"), Some(dec!(120.00)), Some("BE".to_owned())),
            (Some("PO-2"), Some(dec!(180.00)), Some("DE".to_owned())),
        ]
    );

    let pending = &statement.entries[5];
    assert_eq!(pending.status, EntryStatus::Pending);
    assert_eq!(
        (pending.booking_date, pending.transactions.len()),
        (None, 0)
    );
    assert_eq!(
        pending.additional_info.as_deref(),
        Some("Pending instant transfer")
    );

    let minimal = &statement.entries[6];
    assert_eq!(
        minimal.bank_transaction_code.proprietary.as_deref(),
        Some("FEE-MONTHLY")
    );
    assert_eq!(minimal.bank_transaction_code.domain, None);
    assert!(!minimal.reversal);
}

#[test]
fn returned_payouts_are_detected() {
    let message = parse("camt053_returned_payouts.xml");
    assert_eq!(message.statements.len(), 2);
    let day = &message.statements[0];
    assert_eq!(day.account_currency, None);

    let with_reason = &day.entries[0];
    assert!(with_reason.bank_transaction_code.is_return());
    let tx = &with_reason.transactions[0];
    assert_eq!(tx.end_to_end_id.as_deref(), Some("PO-2"));
    assert_eq!(tx.instruction_id.as_deref(), Some("RTN-883"));
    assert_eq!(
        tx.return_info,
        Some(ReturnInfo {
            reason_code: Some("AC04".into()),
            proprietary_reason: None,
            additional_info: vec!["Account closed".into()],
        })
    );

    let by_code = &day.entries[1].transactions[0];
    assert_eq!(by_code.end_to_end_id.as_deref(), Some("PO-9"));
    assert_eq!(by_code.return_info, Some(ReturnInfo::default()));
    assert_eq!(by_code.amount, None);

    let correction = &day.entries[2];
    assert!(correction.reversal);
    assert!(!correction.bank_transaction_code.is_return());

    let quiet = &message.statements[1];
    assert_eq!((quiet.id.as_str(), quiet.entries.len()), ("2026-12-04", 0));
}

/// Breaks the first fixture in one place and expects the parser to name that place.
fn error_for(from: &str, to: &str) -> String {
    let xml = fixture("camt053_debtor_payments.xml");
    assert!(xml.contains(from), "{from}");
    parse_camt053(&xml.replacen(from, to, 1))
        .unwrap_err()
        .to_string()
}

#[test]
fn amounts_and_currencies_are_read_strictly() {
    let entry3 = "Document/BkToCstmrStmt/Stmt[1]/Ntry[3]";
    let amt3 = format!("{entry3}/Amt");
    for (bad, problem) in [
        ("75.001", "EUR amounts have at most 2 decimals"),
        ("-75.00", "\"-75.00\" is not an amount like 123.45"),
        ("75,00", "\"75,00\" is not an amount like 123.45"),
        ("7.5e1", "\"7.5e1\" is not an amount like 123.45"),
        ("", "\"\" is not an amount like 123.45"),
    ] {
        assert_eq!(
            error_for(
                r#"<Amt Ccy="EUR">75.00</Amt>"#,
                &format!(r#"<Amt Ccy="EUR">{bad}</Amt>"#)
            ),
            format!("{amt3}: {problem}")
        );
    }
    assert_eq!(
        error_for(r#"<Amt Ccy="EUR">75.00</Amt>"#, "<Amt>75.00</Amt>"),
        format!("{amt3}: the currency (Ccy) is missing")
    );
    assert_eq!(
        error_for(
            r#"<Amt Ccy="EUR">75.00</Amt>"#,
            r#"<Amt Ccy="USD">75.00</Amt>"#
        ),
        format!("{amt3}: currency USD differs from the account currency EUR")
    );
    assert_eq!(
        error_for(
            r#"<Amt Ccy="EUR">75.00</Amt>"#,
            r#"<Amt Ccy="eur">75.00</Amt>"#
        ),
        format!("{amt3}: \"eur\" is not an ISO 4217 currency code")
    );
    assert_eq!(
        error_for(
            r#"<Amt Ccy="EUR">180.00</Amt>"#,
            r#"<Amt Ccy="EUR">181.00</Amt>"#
        ),
        "Document/BkToCstmrStmt/Stmt[1]/Ntry[5]: the transaction amounts add up to 301.00, \
         the entry amount is 300.00"
    );
}

#[test]
fn errors_name_the_xml_path() {
    assert_eq!(
        error_for(
            "<CdtDbtInd>DBIT</CdtDbtInd>",
            "<CdtDbtInd>DEBIT</CdtDbtInd>"
        ),
        "Document/BkToCstmrStmt/Stmt[1]/Ntry[5]/CdtDbtInd: \"DEBIT\" is neither CRDT nor DBIT"
    );
    assert_eq!(
        error_for("<Sts>PDNG</Sts>", "<Sts>HELD</Sts>"),
        "Document/BkToCstmrStmt/Stmt[1]/Ntry[6]/Sts: \"HELD\" is not BOOK, PDNG or INFO"
    );
    assert_eq!(
        error_for("<Sts>PDNG</Sts>", ""),
        "Document/BkToCstmrStmt/Stmt[1]/Ntry[6]/Sts: required element is missing"
    );
    assert_eq!(
        error_for(
            "<DtTm>2026-11-30T09:12:44</DtTm>",
            "<DtTm>30/11/2026</DtTm>"
        ),
        "Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/BookgDt/DtTm: \"30/11/2026\" is not a date like 2026-11-30"
    );
    assert_eq!(
        error_for(
            "<IBAN>BE68539007547034</IBAN>",
            "<IBAN>BE68539007547035</IBAN>"
        ),
        "Document/BkToCstmrStmt/Stmt[1]/Acct/Id/IBAN: the check digits of the IBAN do not match"
    );
    assert!(
        error_for("camt.053.001.02\"", "camt.053.001.08\"")
            .starts_with("not a camt.053.001.02 document")
    );
    assert!(error_for("</Stmt>", "").starts_with("not well-formed XML"));
    assert!(
        error_for(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"x\">]>"
        )
        .contains("DOCTYPE is not allowed")
    );
}

#[test]
fn optional_elements_may_be_missing() {
    let xml = fixture("camt053_returned_payouts.xml")
        .replace("<ValDt><Dt>2026-12-03</Dt></ValDt>", "")
        .replace("<BookgDt><Dt>2026-12-03</Dt></BookgDt>", "");
    common::assert_valid(&xml, XSD);
    let message = parse_camt053(&xml).unwrap();
    let entry = &message.statements[0].entries[0];
    assert_eq!((entry.booking_date, entry.value_date), (None, None));
}

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal_macros::dec;

use super::*;
use crate::text::IdentifierError;

fn payment(id: &str, amount: Decimal) -> CreditTransfer {
    CreditTransfer {
        end_to_end_id: id.into(),
        amount,
        creditor_name: "Zoë Lefèvre".into(),
        creditor_iban: "BE71 0961 2345 6769".parse().unwrap(),
        creditor_bic: None,
        remittance: Some(Remittance::Unstructured(
            "Avance novembre — dossier 12".into(),
        )),
    }
}

fn message(payments: Vec<CreditTransfer>) -> CreditTransferInitiation {
    CreditTransferInitiation {
        message_id: "SECAL-PAYOUT-2026-11-0001".into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 28, 13, 5, 9).unwrap(),
        debtor: Debtor {
            name: "SPF Finances – SECAL".into(),
            iban: "BE68539007547034".parse().unwrap(),
            bic: "GEBABEBB".parse().unwrap(),
        },
        requested_execution_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        batch_booking: false,
        payments,
    }
}

fn refused(message: &CreditTransferInitiation) -> (String, Problem) {
    let e = write_pain001(message).unwrap_err();
    (e.field, e.problem)
}

#[test]
fn totals_and_transliterated_texts_are_written() {
    let doc = write_pain001(&message(vec![
        payment("E2E-1", dec!(150)),
        payment("E2E-2", dec!(0.05)),
    ]))
    .unwrap();
    assert_eq!(doc.number_of_transactions, 2);
    assert_eq!(doc.control_sum, dec!(150.05));
    assert_eq!(doc.xml.matches("<CtrlSum>150.05</CtrlSum>").count(), 2);
    assert_eq!(doc.xml.matches("<NbOfTxs>2</NbOfTxs>").count(), 2);
    assert!(doc.xml.contains(r#"<InstdAmt Ccy="EUR">150.00</InstdAmt>"#));
    assert!(doc.xml.contains("<Nm>Zoe Lefevre</Nm>"));
    assert!(doc.xml.contains("<Nm>SPF Finances - SECAL</Nm>"));
    assert!(
        doc.xml
            .contains("<Ustrd>Avance novembre - dossier 12</Ustrd>")
    );
    assert!(doc.xml.contains("<CreDtTm>2026-11-28T13:05:09Z</CreDtTm>"));
    assert!(!doc.xml.contains("<CdtrAgt>"), "no BIC, no creditor agent");
}

#[test]
fn structured_references_carry_their_issuer() {
    let mut be = payment("E2E-1", dec!(1));
    be.remittance = Some(Remittance::Structured(
        "+++123/4567/89002+++".parse().unwrap(),
    ));
    be.creditor_bic = Some("KREDBEBB".parse().unwrap());
    let mut rf = payment("E2E-2", dec!(2));
    rf.remittance = Some(Remittance::Structured("RF18539007547034".parse().unwrap()));
    let xml = write_pain001(&message(vec![be, rf])).unwrap().xml;
    assert!(xml.contains("<Issr>BBA</Issr>"));
    assert!(xml.contains("<Ref>123456789002</Ref>"));
    assert!(xml.contains("<Issr>ISO</Issr>"));
    assert!(xml.contains("<Ref>RF18539007547034</Ref>"));
    assert!(xml.contains("<BIC>KREDBEBB</BIC>"));
}

#[test]
fn amounts_are_checked() {
    for (amount, problem) in [
        (dec!(0), Problem::AmountNotPositive),
        (dec!(-1), Problem::AmountNotPositive),
        (dec!(1.005), Problem::AmountTooPrecise),
        (dec!(1000000000), Problem::AmountTooLarge),
    ] {
        let m = message(vec![payment("A", dec!(1)), payment("B", amount)]);
        assert_eq!(refused(&m), ("payments[1].amount".into(), problem));
    }
    assert_eq!(MAX_AMOUNT, dec!(999999999.99));
    let max = message(vec![payment("A", MAX_AMOUNT), payment("B", dec!(1.500))]);
    assert_eq!(
        write_pain001(&max).unwrap().control_sum,
        dec!(1000000001.49)
    );
}

#[test]
fn texts_and_identifiers_are_checked() {
    let mut m = message(vec![payment("A", dec!(1))]);
    m.payments[0].creditor_name = "ß".repeat(36);
    assert_eq!(
        refused(&m),
        (
            "payments[0].creditor_name".into(),
            Problem::TextTooLong { len: 72, max: 70 }
        )
    );
    m.payments[0].creditor_name = " \n ".into();
    assert_eq!(
        refused(&m),
        ("payments[0].creditor_name".into(), Problem::EmptyText)
    );
    let mut m = message(vec![payment("A", dec!(1))]);
    m.payments[0].remittance = Some(Remittance::Unstructured("x".repeat(141)));
    assert_eq!(
        refused(&m),
        (
            "payments[0].remittance".into(),
            Problem::TextTooLong { len: 141, max: 140 }
        )
    );
    let mut m = message(vec![payment("A", dec!(1))]);
    m.message_id = "x".repeat(36);
    assert_eq!(
        refused(&m),
        (
            "message_id".into(),
            Problem::Identifier(IdentifierError::TooLong { len: 36, max: 35 })
        )
    );
    let m = message(vec![payment("A&B", dec!(1))]);
    assert_eq!(
        refused(&m),
        (
            "payments[0].end_to_end_id".into(),
            Problem::Identifier(IdentifierError::InvalidCharacter { found: '&' })
        )
    );
}

#[test]
fn a_file_has_payments_with_unique_end_to_end_ids() {
    assert_eq!(
        refused(&message(vec![])),
        ("payments".into(), Problem::NoPayments)
    );
    let m = message(vec![
        payment("A", dec!(1)),
        payment("B", dec!(1)),
        payment("A", dec!(1)),
    ]);
    assert_eq!(
        refused(&m),
        (
            "payments[2].end_to_end_id".into(),
            Problem::DuplicateEndToEndId { first: 0 }
        )
    );
    let e = write_pain001(&m).unwrap_err();
    assert_eq!(
        e.to_string(),
        "payments[2].end_to_end_id: repeats the end-to-end id of payments[0]"
    );
}

#[test]
fn xml_special_characters_never_reach_the_file() {
    let mut m = message(vec![payment("A", dec!(1))]);
    m.payments[0].creditor_name = "O'Brien <&> \"Jr\"".into();
    let xml = write_pain001(&m).unwrap().xml;
    assert!(xml.contains("<Nm>O'Brien (+) 'Jr'</Nm>"), "{xml}");
}

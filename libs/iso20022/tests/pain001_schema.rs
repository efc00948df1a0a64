//! Every pain.001 file the writer produces is checked against the ISO schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use secal_domain::Iban;
use secal_iso20022::{
    CreditTransfer, CreditTransferInitiation, CreditorReference, Debtor, Remittance, RfReference,
    StructuredReference, write_pain001,
};

const XSD: &str = "pain.001.001.03.xsd";

fn debtor() -> Debtor {
    Debtor {
        name: "SECAL – Service des créances alimentaires".into(),
        iban: "BE68 5390 0754 7034".parse().unwrap(),
        bic: "GEBABEBB".parse().unwrap(),
    }
}

fn payout(id: &str, amount: Decimal, remittance: Option<Remittance>) -> CreditTransfer {
    CreditTransfer {
        end_to_end_id: id.into(),
        amount,
        creditor_name: "Zoë Lefèvre-D'Hondt & fils".into(),
        creditor_iban: "BE71096123456769".parse().unwrap(),
        creditor_bic: None,
        remittance,
    }
}

#[test]
fn a_payout_file_with_every_option_validates() {
    let mut foreign = payout("PO-3", dec!(999999999.99), None);
    foreign.creditor_iban = "FR1420041010050500013M02606".parse().unwrap();
    foreign.creditor_bic = Some("BNPAFRPPXXX".parse().unwrap());
    let message = CreditTransferInitiation {
        message_id: "SECAL-PAYOUT-2026-11-0001".into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 28, 13, 5, 9).unwrap(),
        debtor: debtor(),
        requested_execution_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        batch_booking: true,
        payments: vec![
            payout(
                "PO-1",
                dec!(412.37),
                Some(Remittance::Unstructured(
                    "Avance « novembre 2026 » — dossier 2026/000123 <enfant: Léa>".into(),
                )),
            ),
            payout(
                "PO-2",
                dec!(0.01),
                Some(Remittance::Structured(
                    "+++202/6000/04236+++".parse().unwrap(),
                )),
            ),
            foreign,
            payout(
                "PO-4",
                dec!(80),
                Some(Remittance::Structured(
                    "RF57SECAL2026000123".parse().unwrap(),
                )),
            ),
        ],
    };
    let document = write_pain001(&message).unwrap();
    common::assert_valid(&document.xml, XSD);
    assert_eq!(document.number_of_transactions, 4);
    assert_eq!(document.control_sum, dec!(1000000492.37));
    assert!(document.xml.contains("<CtrlSum>1000000492.37</CtrlSum>"));
}

#[test]
fn the_schema_check_can_fail() {
    let message = CreditTransferInitiation {
        message_id: "M".into(),
        created_at: Utc::now(),
        debtor: debtor(),
        requested_execution_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        batch_booking: false,
        payments: vec![payout("E", dec!(1), None)],
    };
    let xml = write_pain001(&message).unwrap().xml;
    common::assert_valid(&xml, XSD);
    let broken = xml.replace("<PmtMtd>TRF</PmtMtd>", "<PmtMtd>XXX</PmtMtd>");
    let report = common::xmllint(&broken, XSD).unwrap_err();
    assert!(report.contains("PmtMtd"), "{report}");
}

/// A valid Belgian IBAN: 10 digits, their mod-97 check, then the IBAN check digits.
fn belgian_iban() -> impl Strategy<Value = Iban> {
    (0u64..=9_999_999_999).prop_map(|account| {
        let bban = format!(
            "{account:010}{:02}",
            match account % 97 {
                0 => 97,
                r => r,
            }
        );
        // "BE00" moved to the end, letters as numbers: B = 11, E = 14.
        let remainder = format!("{bban}111400")
            .bytes()
            .fold(0u64, |acc, d| (acc * 10 + u64::from(d - b'0')) % 97);
        format!("BE{:02}{bban}", 98 - remainder).parse().unwrap()
    })
}

fn any_iban() -> impl Strategy<Value = Iban> {
    prop_oneof![
        3 => belgian_iban(),
        1 => prop::sample::select(vec![
            "NL91ABNA0417164300",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "LU280019400644750000",
        ])
        .prop_map(|s| s.parse().unwrap()),
    ]
}

fn any_remittance() -> impl Strategy<Value = Option<Remittance>> {
    prop_oneof![
        Just(None),
        // Free text from all of Unicode, including what has to be transliterated.
        "\\PC{1,140}".prop_filter_map("empty once transliterated", |text| {
            let sepa = secal_iso20022::to_sepa_text(&text);
            (!sepa.is_empty() && sepa.len() <= 140).then_some(Some(Remittance::Unstructured(text)))
        }),
        (0u64..=9_999_999_999).prop_map(|base| Some(Remittance::Structured(
            CreditorReference::Belgian(StructuredReference::from_base(base).unwrap())
        ))),
        "[A-Z0-9]{1,21}".prop_map(|body| Some(Remittance::Structured(CreditorReference::Iso(
            RfReference::from_body(&body).unwrap()
        )))),
    ]
}

fn any_payment()
-> impl Strategy<Value = (u64, String, Iban, Option<&'static str>, Option<Remittance>)> {
    (
        prop_oneof![1u64..=100_000, 1u64..=99_999_999_999],
        // Up to 61 characters, some of which become two (Æ, ß, œ, Þ): the names longer than
        // the 70 a creditor name may have once transliterated are refused, not written.
        "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿßŁœ&'\"’ .,-]{0,60}"
            .prop_filter("at most 70 characters once transliterated", |n| {
                secal_iso20022::to_sepa_text(n).chars().count() <= 70
            }),
        any_iban(),
        prop::option::of(prop::sample::select(vec![
            "GEBABEBB",
            "KREDBEBB",
            "BBRUBEBB100",
        ])),
        any_remittance(),
    )
}

fn any_message() -> impl Strategy<Value = CreditTransferInitiation> {
    (
        "[A-Za-z0-9][A-Za-z0-9-]{0,34}",
        0i64..4_000_000_000,
        0u32..3650,
        any::<bool>(),
        prop::collection::vec(any_payment(), 1..=25),
    )
        .prop_map(|(message_id, seconds, days, batch_booking, payments)| {
            CreditTransferInitiation {
                message_id,
                created_at: DateTime::from_timestamp(seconds, 0).unwrap(),
                debtor: debtor(),
                requested_execution_date: NaiveDate::from_ymd_opt(2026, 1, 1)
                    .unwrap()
                    .checked_add_days(chrono::Days::new(days.into()))
                    .unwrap(),
                batch_booking,
                payments: payments
                    .into_iter()
                    .enumerate()
                    .map(|(i, (cents, name, iban, bic, remittance))| CreditTransfer {
                        end_to_end_id: format!("E2E-{i}"),
                        amount: Decimal::new(cents as i64, 2),
                        creditor_name: name,
                        creditor_iban: iban,
                        creditor_bic: bic.map(|b| b.parse().unwrap()),
                        remittance,
                    })
                    .collect(),
            }
        })
}

proptest! {
    // Each case runs xmllint once: 16 keeps CI fast (~1 s).
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_batches_always_validate(message in any_message()) {
        let document = write_pain001(&message).unwrap();
        let expected: Decimal = message.payments.iter().map(|p| p.amount).sum();
        prop_assert_eq!(document.control_sum, expected);
        prop_assert_eq!(document.number_of_transactions, message.payments.len());
        if let Err(report) = common::xmllint(&document.xml, XSD) {
            prop_assert!(false, "{report}\n{}", document.xml);
        }
    }
}

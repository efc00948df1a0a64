#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

#[test]
fn formats_and_parses() {
    let dossier = DossierNumber::new(2024, 123).unwrap();
    assert_eq!(dossier.to_string(), "SEC-2024-000123-34");
    assert_eq!("SEC-2024-000123-34".parse(), Ok(dossier));
    assert_eq!("sec-2024-000123-34".parse(), Ok(dossier));
    assert_eq!(DossierNumber::try_from("SEC-2024-000123-34"), Ok(dossier));
    assert_eq!((dossier.year(), dossier.sequence()), (2024, 123));
    assert_eq!(
        DossierNumber::new(2999, 999_999).unwrap().to_string(),
        "SEC-2999-999999-93"
    );
}

#[test]
fn check_digits_can_be_97() {
    let dossier = DossierNumber::new(2024, 60).unwrap();
    assert_eq!(dossier.check_digits(), 97);
    assert_eq!(dossier.to_string(), "SEC-2024-000060-97");
}

#[test]
fn rejects_typing_errors() {
    let err = |s: &str| s.parse::<DossierNumber>().unwrap_err();
    assert_eq!(
        err("SEC-2024-000124-34"),
        DossierNumberError::BadCheckDigits
    );
    assert_eq!(
        err("SEC-2024-000132-34"),
        DossierNumberError::BadCheckDigits
    );
    assert_eq!(
        err("SEC-2024-000123-00"),
        DossierNumberError::BadCheckDigits
    );
}

#[test]
fn rejects_bad_layout() {
    let err = |s: &str| s.parse::<DossierNumber>().unwrap_err();
    for malformed in [
        "",
        "SEC-2024-123-34",
        "SEC-2024-0000123-34",
        "SEC-24-000123-34",
        "SEC-2024-000123-4",
        "SEC-2024-000123",
        "SEC-2024-000123-34-1",
        "SECAL-2024-000123-34",
        "SEC 2024 000123 34",
        "SEC-2024-+00123-34",
        " SEC-2024-000123-34",
        "202400012334",
    ] {
        assert_eq!(
            err(malformed),
            DossierNumberError::Malformed,
            "{malformed:?}"
        );
    }
}

#[test]
fn rejects_out_of_range_parts() {
    assert_eq!(
        DossierNumber::new(1999, 1),
        Err(DossierNumberError::YearOutOfRange { year: 1999 })
    );
    assert_eq!(
        DossierNumber::new(-2024, 1),
        Err(DossierNumberError::YearOutOfRange { year: -2024 })
    );
    assert_eq!(
        DossierNumber::new(2024, 0),
        Err(DossierNumberError::SequenceOutOfRange { sequence: 0 })
    );
    assert_eq!(
        DossierNumber::new(2024, 1_000_000),
        Err(DossierNumberError::SequenceOutOfRange {
            sequence: 1_000_000
        })
    );
    assert_eq!(
        "SEC-2024-000000-37".parse::<DossierNumber>(),
        Err(DossierNumberError::SequenceOutOfRange { sequence: 0 })
    );
}

#[test]
fn orders_by_year_then_sequence() {
    let a = DossierNumber::new(2023, 999_999).unwrap();
    let b = DossierNumber::new(2024, 1).unwrap();
    let c = DossierNumber::new(2024, 2).unwrap();
    assert!(a < b && b < c);
}

#[test]
fn serde_uses_the_text_form() {
    let dossier = DossierNumber::new(2024, 123).unwrap();
    let json = serde_json::to_string(&dossier).unwrap();
    assert_eq!(json, "\"SEC-2024-000123-34\"");
    assert_eq!(
        serde_json::from_str::<DossierNumber>(&json).unwrap(),
        dossier
    );
    assert!(serde_json::from_str::<DossierNumber>("\"SEC-2024-000123-35\"").is_err());
}

#[test]
fn payment_reference_is_year_and_sequence() {
    let dossier = DossierNumber::new(2026, 123).unwrap();
    let reference = dossier.payment_reference();
    assert_eq!(reference.base(), 2_026_000_123);
    assert_eq!(reference.to_string(), "+++202/6000/12320+++");
    assert_eq!(
        DossierNumber::from_payment_reference(&reference),
        Some(dossier)
    );
}

#[test]
fn payment_reference_fits_at_the_extremes() {
    // The largest and smallest bases a dossier gives: both within a reference's ten digits.
    let last = DossierNumber::new(2999, 999_999).unwrap();
    assert_eq!(last.payment_reference().base(), 2_999_999_999);
    assert_eq!(last.payment_reference().to_string(), "+++299/9999/99904+++");
    let first = DossierNumber::new(2000, 1).unwrap();
    assert_eq!(first.payment_reference().digits(), "200000000169");
}

#[test]
fn references_outside_the_scheme_lead_to_no_dossier() {
    let reference = |base| StructuredReference::from_base(base).unwrap();
    for base in [
        1_234_567_890, // year 1234
        2_024_000_000, // sequence 0
        3_000_000_001, // year 3000
        0,
        9_999_999_999,
    ] {
        assert_eq!(
            DossierNumber::from_payment_reference(&reference(base)),
            None,
            "{base}"
        );
    }
}

proptest! {
    #[test]
    fn payment_reference_round_trip(year in 2000..=2999i32, sequence in 1..=999_999u32) {
        let dossier = DossierNumber::new(year, sequence).unwrap();
        let text = dossier.payment_reference().to_string();
        let parsed: StructuredReference = text.parse().unwrap();
        prop_assert_eq!(DossierNumber::from_payment_reference(&parsed), Some(dossier));
    }

    #[test]
    fn text_round_trip(year in 2000..=2999i32, sequence in 1..=999_999u32) {
        let dossier = DossierNumber::new(year, sequence).unwrap();
        let text = dossier.to_string();
        prop_assert_eq!(text.len(), 18);
        prop_assert_eq!(text.parse::<DossierNumber>(), Ok(dossier));
    }

    #[test]
    fn any_single_digit_change_is_caught(
        year in 2000..=2999i32,
        sequence in 1..=999_999u32,
        position in 0..12usize,
        delta in 1..10u8,
    ) {
        let text = DossierNumber::new(year, sequence).unwrap().to_string();
        let digit_positions: Vec<usize> = (4..8).chain(9..15).chain(16..18).collect();
        let mut bytes = text.clone().into_bytes();
        let at = digit_positions[position];
        bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(changed.parse::<DossierNumber>().is_err(), "{} -> {}", text, changed);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,30}") {
        let _ = s.parse::<DossierNumber>();
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

#[test]
fn iso_example_validates_and_prints_in_groups() {
    let rf: RfReference = "rf18 5390 0754 7034".parse().unwrap();
    assert_eq!(rf.electronic(), "RF18539007547034");
    assert_eq!(rf.body(), "539007547034");
    assert_eq!(rf.to_string(), "RF18 5390 0754 7034");
    assert_eq!(RfReference::from_body("539007547034").unwrap(), rf);
}

#[test]
fn rf_rejections() {
    assert_eq!(
        "RF19539007547034".parse::<RfReference>(),
        Err(RfReferenceError::BadCheckDigits)
    );
    for bad in [
        "",
        "RF18",
        "XX18539007547034",
        "RF1A5390",
        "RF18-5390",
        "RF18ÉA",
    ] {
        assert_eq!(
            bad.parse::<RfReference>(),
            Err(RfReferenceError::Malformed),
            "{bad:?}"
        );
    }
    assert_eq!(
        RfReference::from_body(&"A".repeat(22)),
        Err(RfReferenceError::Malformed)
    );
    assert_eq!(RfReference::from_body(""), Err(RfReferenceError::Malformed));
}

#[test]
fn creditor_reference_detects_its_kind() {
    let be: CreditorReference = "+++123/4567/89002+++".parse().unwrap();
    assert_eq!(be.issuer(), "BBA");
    assert_eq!(be.electronic(), "123456789002");
    let rf: CreditorReference = " RF18539007547034".parse().unwrap();
    assert_eq!(rf.issuer(), "ISO");
    assert_eq!(rf.to_string(), "RF18 5390 0754 7034");
    assert!("123456789003".parse::<CreditorReference>().is_err());
    assert!("Ré".parse::<CreditorReference>().is_err());
}

#[test]
fn finds_a_belgian_reference_typed_as_free_text() {
    let expected = "123456789002".parse::<CreditorReference>().ok();
    assert_eq!(
        CreditorReference::find_in_text("pension +++123/4567/89002+++ nov"),
        expected
    );
    assert_eq!(
        CreditorReference::find_in_text("  123/4567/89002 "),
        expected
    );
    assert_eq!(
        CreditorReference::find_in_text("***123/4567/89002***"),
        expected
    );
    assert_eq!(
        CreditorReference::find_in_text("+++123/4567/89003+++"),
        None
    );
    assert_eq!(CreditorReference::find_in_text("alimentation nov."), None);
}

fn any_ogm() -> impl Strategy<Value = StructuredReference> {
    (0u64..=9_999_999_999).prop_map(|base| StructuredReference::from_base(base).unwrap())
}

fn any_rf() -> impl Strategy<Value = RfReference> {
    "[A-Za-z0-9]{1,21}".prop_map(|body| RfReference::from_body(&body).unwrap())
}

proptest! {
    #[test]
    fn ogm_round_trips_through_every_form(ogm in any_ogm()) {
        prop_assert_eq!(ogm.to_string().parse::<StructuredReference>().unwrap(), ogm);
        prop_assert_eq!(ogm.digits().parse::<StructuredReference>().unwrap(), ogm);
        let reference = CreditorReference::Belgian(ogm);
        prop_assert_eq!(reference.electronic().parse::<CreditorReference>().unwrap(), reference.clone());
        prop_assert_eq!(
            CreditorReference::find_in_text(&format!("pay {reference} thanks")),
            Some(reference)
        );
    }

    #[test]
    fn ogm_single_digit_errors_are_caught(ogm in any_ogm(), position in 0usize..12, delta in 1u8..10) {
        let mut digits = ogm.digits().into_bytes();
        digits[position] = b'0' + (digits[position] - b'0' + delta) % 10;
        let typo = String::from_utf8(digits).unwrap();
        // "00" as check digits is never valid; every other single change breaks mod 97.
        prop_assert!(typo.parse::<StructuredReference>().is_err(), "{typo}");
    }

    #[test]
    fn rf_round_trips(rf in any_rf()) {
        prop_assert_eq!(rf.to_string().parse::<RfReference>().unwrap(), rf.clone());
        prop_assert_eq!(rf.electronic().to_lowercase().parse::<RfReference>().unwrap(), rf.clone());
        prop_assert_eq!(RfReference::from_body(rf.body()).unwrap(), rf.clone());
        let reference = CreditorReference::Iso(rf);
        prop_assert_eq!(reference.electronic().parse::<CreditorReference>().unwrap(), reference);
    }

    #[test]
    fn rf_single_character_errors_are_caught(rf in any_rf(), position in 2usize..25, replacement in "[A-Z0-9]") {
        let mut chars: Vec<char> = rf.electronic().chars().collect();
        let position = 2 + (position - 2) % (chars.len() - 2);
        let new = replacement.chars().next().unwrap();
        prop_assume!(chars[position] != new);
        // Letters count as two digits, so a letter-for-digit swap shifts the number and is
        // caught only with probability 96/97; like-for-like swaps are always caught.
        prop_assume!(chars[position].is_ascii_digit() == new.is_ascii_digit());
        chars[position] = new;
        let typo: String = chars.into_iter().collect();
        prop_assert!(typo.parse::<RfReference>().is_err(), "{typo}");
    }

    #[test]
    fn parsing_never_panics(s in any::<String>()) {
        let _ = s.parse::<CreditorReference>();
        let _ = CreditorReference::find_in_text(&s);
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

fn sr(s: &str) -> StructuredReference {
    s.parse().unwrap()
}

#[test]
fn parses_every_written_form() {
    let expected = StructuredReference::from_base(1_234_567_890).unwrap();
    for s in [
        "+++123/4567/89002+++",
        "***123/4567/89002***",
        "123/4567/89002",
        "123456789002",
        "+++123456789002+++",
    ] {
        assert_eq!(sr(s), expected, "{s:?}");
    }
    assert_eq!(StructuredReference::try_from("123456789002"), Ok(expected));
}

#[test]
fn accessors_and_display() {
    let reference = sr("123456789002");
    assert_eq!(reference.digits(), "123456789002");
    assert_eq!(reference.base(), 1_234_567_890);
    assert_eq!(reference.check_digits(), 2);
    assert_eq!(reference.to_string(), "+++123/4567/89002+++");
}

#[test]
fn remainder_zero_gives_97() {
    let zero = StructuredReference::from_base(0).unwrap();
    assert_eq!(zero.to_string(), "+++000/0000/00097+++");
    let reference = StructuredReference::from_base(1_234_567_888).unwrap();
    assert_eq!(reference.digits(), "123456788897");
    assert_eq!(sr("+++123/4567/88897+++"), reference);
    assert_eq!(
        "123456788800".parse::<StructuredReference>(),
        Err(StructuredReferenceError::BadCheckDigits)
    );
}

#[test]
fn rejects_bad_check_digits() {
    assert_eq!(
        "+++123/4567/89003+++".parse::<StructuredReference>(),
        Err(StructuredReferenceError::BadCheckDigits)
    );
    assert_eq!(
        "+++124/4567/89002+++".parse::<StructuredReference>(),
        Err(StructuredReferenceError::BadCheckDigits)
    );
}

#[test]
fn rejects_malformed_input() {
    for malformed in [
        "",
        "+++123/4567/89002",
        "123/4567/89002+++",
        "+++123/4567/89002***",
        "++123/4567/89002++",
        "+++1234/567/89002+++",
        "+++123/4567/8900+++",
        "12345678900",
        "1234567890022",
        "12345678900a",
        "+12345678902",
        "+++123 4567 89002+++",
        "123//456789002",
    ] {
        assert_eq!(
            malformed.parse::<StructuredReference>(),
            Err(StructuredReferenceError::Malformed),
            "{malformed:?}"
        );
    }
}

#[test]
fn from_base_refuses_more_than_ten_digits() {
    assert!(StructuredReference::from_base(9_999_999_999).is_ok());
    assert_eq!(
        StructuredReference::from_base(10_000_000_000),
        Err(StructuredReferenceError::BaseTooLarge {
            base: 10_000_000_000
        })
    );
}

#[test]
fn serde_uses_the_digits() {
    let reference = sr("+++123/4567/89002+++");
    let json = serde_json::to_string(&reference).unwrap();
    assert_eq!(json, "\"123456789002\"");
    assert_eq!(
        serde_json::from_str::<StructuredReference>(&json).unwrap(),
        reference
    );
    assert_eq!(
        serde_json::from_str::<StructuredReference>("\"+++123/4567/89002+++\"").unwrap(),
        reference
    );
}

proptest! {
    #[test]
    fn round_trips(base in 0..=9_999_999_999u64) {
        let reference = StructuredReference::from_base(base).unwrap();
        prop_assert_eq!(sr(&reference.to_string()), reference);
        prop_assert_eq!(sr(&reference.digits()), reference);
        prop_assert_eq!(reference.base(), base);
        prop_assert!((1..=97).contains(&reference.check_digits()));
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,30}") {
        let _ = s.parse::<StructuredReference>();
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

const VALID: [&str; 6] = [
    "BE68539007547034",
    "BE71096123456769",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
    "DE89370400440532013000",
    "GB82WEST12345698765432",
];

fn iban(s: &str) -> Iban {
    s.parse().unwrap()
}

#[test]
fn parses_real_ibans() {
    for s in VALID {
        assert_eq!(iban(s).electronic(), s);
    }
}

#[test]
fn accepts_print_format_lower_case_and_stray_spaces() {
    let expected = iban("BE68539007547034");
    for s in [
        "BE68 5390 0754 7034",
        "be68 5390 0754 7034",
        "  BE 68539007547034 ",
        "BE68\u{a0}5390\u{a0}0754\u{a0}7034",
    ] {
        assert_eq!(iban(s), expected, "{s:?}");
    }
}

#[test]
fn accessors() {
    let be = iban("BE68539007547034");
    assert_eq!(be.country_code(), "BE");
    assert!(be.is_belgian());
    assert_eq!(be.bban(), "539007547034");
    assert_eq!(be.bank_identifier(), Some("539"));
    let nl = iban("nl91abna0417164300");
    assert_eq!(nl.country_code(), "NL");
    assert!(!nl.is_belgian());
    assert_eq!(nl.electronic(), "NL91ABNA0417164300");
}

#[test]
fn display_is_print_format() {
    assert_eq!(iban("BE68539007547034").to_string(), "BE68 5390 0754 7034");
    assert_eq!(
        iban("FR1420041010050500013M02606").to_string(),
        "FR14 2004 1010 0505 0001 3M02 606"
    );
}

#[test]
fn masked_and_debug_hide_the_account() {
    let be = iban("BE68539007547034");
    assert_eq!(be.masked(), "BE68 **** **** 7034");
    assert_eq!(format!("{be:?}"), "Iban(BE68 **** **** 7034)");
    assert_eq!(
        iban("NL91ABNA0417164300").masked(),
        "NL91 **** **** **43 00"
    );
    assert_eq!(
        iban("FR1420041010050500013M02606").masked(),
        "FR14 **** **** **** **** ***2 606"
    );
}

#[test]
fn rejects_bad_checksum() {
    assert_eq!(
        "BE68539007547035".parse::<Iban>(),
        Err(IbanError::BadChecksum)
    );
    assert_eq!(
        "BE00539007547034".parse::<Iban>(),
        Err(IbanError::BadChecksum)
    );
}

#[test]
fn rejects_country_format_errors() {
    assert_eq!(
        "QQ76123456789012".parse::<Iban>(),
        Err(IbanError::UnknownCountry {
            country: "QQ".into()
        })
    );
    // Valid IBAN checksum, but a Belgian IBAN has 16 characters.
    assert_eq!(
        "BE0853900754703".parse::<Iban>(),
        Err(IbanError::WrongCountryFormat {
            country: "BE".into()
        })
    );
}

#[test]
fn rejects_bad_belgian_account_check() {
    // Valid IBAN checksum; 5390075470 mod 97 is 34, not 35.
    assert_eq!(
        "BE41539007547035".parse::<Iban>(),
        Err(IbanError::BadBelgianAccountCheck)
    );
}

#[test]
fn rejects_malformed_input() {
    assert_eq!("".parse::<Iban>(), Err(IbanError::Empty));
    assert_eq!("   ".parse::<Iban>(), Err(IbanError::Empty));
    assert_eq!(
        "BE68-5390-0754-7034".parse::<Iban>(),
        Err(IbanError::InvalidCharacter {
            position: 4,
            found: '-'
        })
    );
    assert_eq!("1234".parse::<Iban>(), Err(IbanError::Malformed));
    assert_eq!(
        "BEXX539007547034".parse::<Iban>(),
        Err(IbanError::Malformed)
    );
    assert_eq!(
        "BE68539007547034539007547034539007547034".parse::<Iban>(),
        Err(IbanError::Malformed)
    );
}

#[test]
fn serde_uses_the_electronic_format() {
    let be = iban("BE68 5390 0754 7034");
    let json = serde_json::to_string(&be).unwrap();
    assert_eq!(json, "\"BE68539007547034\"");
    assert_eq!(serde_json::from_str::<Iban>(&json).unwrap(), be);
    assert!(serde_json::from_str::<Iban>("\"BE68539007547035\"").is_err());
}

proptest! {
    #[test]
    fn print_and_electronic_forms_round_trip(s in prop::sample::select(VALID.to_vec())) {
        let parsed = iban(s);
        prop_assert_eq!(iban(&parsed.to_string()), parsed);
        prop_assert_eq!(iban(parsed.electronic()), parsed);
        prop_assert_eq!(iban(&parsed.to_string().to_lowercase()), parsed);
    }

    #[test]
    fn never_panics(s in "\\PC{0,40}") {
        let _ = s.parse::<Iban>();
    }

    #[test]
    fn belgian_ibans_round_trip(account in 0..10_000_000_000u64) {
        let national = account % 97;
        let bban = format!("{account:010}{:02}", if national == 0 { 97 } else { national });
        // IBAN check digits: 98 − (BBAN + "BE00" as digits mod 97).
        let rearranged: u128 = format!("{bban}111400").parse().unwrap();
        let electronic = format!("BE{:02}{bban}", 98 - rearranged % 97);
        let parsed = iban(&electronic);
        prop_assert_eq!(parsed.electronic(), electronic.as_str());
        prop_assert_eq!(iban(&parsed.to_string()), parsed);
        prop_assert!(parsed.masked().ends_with(&electronic[12..]));
    }
}

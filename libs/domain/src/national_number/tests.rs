#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

use super::*;

fn nn(s: &str) -> NationalNumber {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn born_before_2000() {
    let n = nn("85073003328");
    assert_eq!(n.as_digits(), "85073003328");
    assert_eq!(n.kind(), NationalNumberKind::Niss);
    assert_eq!(n.birth_date(), Some(date(1985, 7, 30)));
    assert_eq!(n.formatted(), "85.07.30-033.28");
}

#[test]
fn accepts_printed_form_and_spaces() {
    assert_eq!(nn("85.07.30-033.28"), nn("85073003328"));
    assert_eq!(nn("850730 033 28"), nn("85073003328"));
}

#[test]
fn born_from_2000_uses_the_2_prefix() {
    // 97 − (2_050_312_123 mod 97) = 60; the pre-2000 computation would give another value.
    let n = nn("05031212360");
    assert_eq!(n.kind(), NationalNumberKind::Niss);
    assert_eq!(n.birth_date(), Some(date(2005, 3, 12)));
}

#[test]
fn century_decides_leap_days() {
    assert_eq!(nn("00022900145").birth_date(), Some(date(2000, 2, 29)));
    // Same digits checked as a 1900 birth: 29 February 1900 never existed.
    assert_eq!(
        "00022900116".parse::<NationalNumber>(),
        Err(NationalNumberError::InvalidBirthDate)
    );
}

#[test]
fn bis_with_sex_unknown() {
    let n = nn("90.26.15-001.69");
    assert_eq!(n.kind(), NationalNumberKind::Bis);
    assert_eq!(n.birth_date(), Some(date(1990, 6, 15)));
}

#[test]
fn bis_with_sex_known_born_from_2000() {
    let n = nn("01510500261");
    assert_eq!(n.kind(), NationalNumberKind::Bis);
    assert_eq!(n.birth_date(), Some(date(2001, 11, 5)));
}

#[test]
fn unknown_birth_dates() {
    assert_eq!(nn("00000012371").birth_date(), None);
    assert_eq!(nn("00000012371").kind(), NationalNumberKind::Niss);
    let bis = nn("40200004562");
    assert_eq!(bis.kind(), NationalNumberKind::Bis);
    assert_eq!(bis.birth_date(), None);
    assert_eq!(nn("85070000187").birth_date(), None);
}

#[test]
fn rejects_bad_check_digits() {
    assert_eq!(
        "85073003329".parse::<NationalNumber>(),
        Err(NationalNumberError::BadCheckDigits)
    );
    // A digit typo is caught by the check.
    assert_eq!(
        "85073003428".parse::<NationalNumber>(),
        Err(NationalNumberError::BadCheckDigits)
    );
}

#[test]
fn rejects_wrong_length() {
    assert_eq!(
        "8507300332".parse::<NationalNumber>(),
        Err(NationalNumberError::WrongLength { len: 10 })
    );
    assert_eq!(
        "850730033281".parse::<NationalNumber>(),
        Err(NationalNumberError::WrongLength { len: 12 })
    );
    assert_eq!(
        "".parse::<NationalNumber>(),
        Err(NationalNumberError::WrongLength { len: 0 })
    );
}

#[test]
fn rejects_letters_and_other_separators() {
    assert_eq!(
        "85O73003328".parse::<NationalNumber>(),
        Err(NationalNumberError::NonDigit {
            position: 2,
            found: 'O'
        })
    );
    assert_eq!(
        "85/07/30-033.28".parse::<NationalNumber>(),
        Err(NationalNumberError::NonDigit {
            position: 2,
            found: '/'
        })
    );
}

#[test]
fn rejects_impossible_dates() {
    // Check digits are right in both cases: only the date is wrong.
    assert_eq!(
        "85133000105".parse::<NationalNumber>(),
        Err(NationalNumberError::InvalidBirthDate)
    );
    assert_eq!(
        "85023000125".parse::<NationalNumber>(),
        Err(NationalNumberError::InvalidBirthDate)
    );
}

#[test]
fn display_and_debug_are_masked() {
    let n = nn("85073003328");
    assert_eq!(n.to_string(), "**.**.**-***.28");
    assert_eq!(n.masked(), "**.**.**-***.28");
    assert_eq!(format!("{n:?}"), "NationalNumber(**.**.**-***.28)");
}

#[test]
fn error_messages_do_not_repeat_the_number() {
    let err = "85073003329".parse::<NationalNumber>().unwrap_err();
    assert!(!err.to_string().contains("850730033"));
}

#[test]
fn serde_uses_the_full_digits() {
    let n = nn("85.07.30-033.28");
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(json, "\"85073003328\"");
    assert_eq!(serde_json::from_str::<NationalNumber>(&json).unwrap(), n);
    assert!(serde_json::from_str::<NationalNumber>("\"85073003329\"").is_err());
}

/// Builds a valid number independently of the parser: date part, serial, check digits.
fn valid_number() -> impl Strategy<Value = (String, NationalNumberKind, Option<NaiveDate>)> {
    let date = prop_oneof![
        (1900..=2099i32, 1..=366u32)
            .prop_filter_map("day of year", |(y, d)| NaiveDate::from_yo_opt(y, d))
            .prop_map(|d| (d.year(), d.month(), d.day(), Some(d))),
        (1900..=2099i32, 1..=12u32).prop_map(|(y, m)| (y, m, 0, None)),
        (1900..=2099i32).prop_map(|y| (y, 0, 0, None)),
    ];
    (date, prop::sample::select(vec![0u32, 20, 40]), 0..1000u32).prop_map(
        |((year, month, day, birth_date), shift, serial)| {
            let head = format!("{:02}{:02}{:02}{serial:03}", year % 100, month + shift, day);
            let mut n: u64 = head.parse().unwrap();
            if year >= 2000 {
                n += 2_000_000_000;
            }
            let kind = if shift == 0 {
                NationalNumberKind::Niss
            } else {
                NationalNumberKind::Bis
            };
            (format!("{head}{:02}", 97 - n % 97), kind, birth_date)
        },
    )
}

proptest! {
    #[test]
    fn valid_numbers_round_trip((digits, kind, birth_date) in valid_number()) {
        let n: NationalNumber = digits.parse().unwrap();
        prop_assert_eq!(n.as_digits(), digits.as_str());
        prop_assert_eq!(n.kind(), kind);
        prop_assert_eq!(n.birth_date(), birth_date);
        prop_assert_eq!(&n.as_digits().parse::<NationalNumber>().unwrap(), &n);
        prop_assert_eq!(&n.formatted().parse::<NationalNumber>().unwrap(), &n);
    }

    #[test]
    fn display_never_shows_the_first_nine_digits((digits, _, _) in valid_number()) {
        let n: NationalNumber = digits.parse().unwrap();
        for shown in [n.to_string(), format!("{n:?}"), n.masked()] {
            prop_assert!(!shown.contains(&digits[..9]));
            prop_assert!(!shown.contains(&n.formatted()[..8]));
            prop_assert_eq!(shown.chars().filter(char::is_ascii_digit).count(), 2);
        }
    }

}

use chrono::NaiveDate;
use rust_decimal_macros::dec;

use super::{format_amount, format_date};
use crate::Language;

#[test]
fn french_and_german_amounts_group_with_a_narrow_no_break_space() {
    for language in [Language::Fr, Language::De] {
        assert_eq!(
            format_amount(dec!(1234.56), language),
            "1\u{202F}234,56\u{A0}€"
        );
        assert_eq!(
            format_amount(dec!(7174.89), language),
            "7\u{202F}174,89\u{A0}€"
        );
        assert_eq!(
            format_amount(dec!(1234567), language),
            "1\u{202F}234\u{202F}567,00\u{A0}€"
        );
        assert_eq!(format_amount(dec!(0.5), language), "0,50\u{A0}€");
        assert_eq!(format_amount(dec!(-226), language), "-226,00\u{A0}€");
    }
}

#[test]
fn dutch_amounts_put_the_euro_sign_first_and_group_with_dots() {
    assert_eq!(
        format_amount(dec!(1234.56), Language::Nl),
        "€\u{A0}1.234,56"
    );
    assert_eq!(format_amount(dec!(8083.5), Language::Nl), "€\u{A0}8.083,50");
    assert_eq!(format_amount(dec!(999), Language::Nl), "€\u{A0}999,00");
    assert_eq!(format_amount(dec!(-1000), Language::Nl), "€\u{A0}-1.000,00");
}

#[test]
fn amounts_round_half_away_from_zero_to_the_cent() {
    assert_eq!(format_amount(dec!(2.345), Language::Nl), "€\u{A0}2,35");
    assert_eq!(format_amount(dec!(-2.345), Language::Nl), "€\u{A0}-2,35");
    assert_eq!(format_amount(dec!(-0.001), Language::Fr), "0,00\u{A0}€");
}

#[test]
fn dates_are_written_out() {
    let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    assert_eq!(format_date(date, Language::Fr), "1er mars 2026");
    assert_eq!(format_date(date, Language::Nl), "1 maart 2026");
    assert_eq!(format_date(date, Language::De), "1. März 2026");
    let date = NaiveDate::from_ymd_opt(2026, 8, 15).unwrap();
    assert_eq!(format_date(date, Language::Fr), "15 août 2026");
}

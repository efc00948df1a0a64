#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rust_decimal_macros::dec;

use super::*;

fn m(s: &str) -> Money {
    s.parse().unwrap()
}

#[test]
fn parses_wire_amounts() {
    assert_eq!(m("150").amount(), dec!(150));
    assert_eq!(m("150.5").amount(), dec!(150.5));
    assert_eq!(m("-12.34").amount(), dec!(-12.34));
    assert_eq!(m("0.07").to_cents(), Ok(7));
    assert_eq!(Money::parse("7174.89").unwrap().to_cents(), Ok(717_489));
    assert_eq!(Money::try_from("1").unwrap(), Money::from_cents(100));
}

#[test]
fn rejects_loose_wire_amounts() {
    let err = |s: &str| s.parse::<Money>().unwrap_err();
    assert_eq!(err(""), MoneyError::Empty);
    assert_eq!(err("1.234"), MoneyError::TooManyDecimals { digits: 3 });
    assert_eq!(
        err("1e3"),
        MoneyError::InvalidCharacter {
            position: 1,
            found: 'e'
        }
    );
    assert_eq!(
        err("NaN"),
        MoneyError::InvalidCharacter {
            position: 0,
            found: 'N'
        }
    );
    assert_eq!(
        err("1,50"),
        MoneyError::InvalidCharacter {
            position: 1,
            found: ','
        }
    );
    assert_eq!(
        err("1 000"),
        MoneyError::InvalidCharacter {
            position: 1,
            found: ' '
        }
    );
    assert_eq!(
        err("+5"),
        MoneyError::InvalidCharacter {
            position: 0,
            found: '+'
        }
    );
    assert_eq!(
        err("--5"),
        MoneyError::InvalidCharacter {
            position: 1,
            found: '-'
        }
    );
    assert_eq!(
        err(" 5"),
        MoneyError::InvalidCharacter {
            position: 0,
            found: ' '
        }
    );
    for malformed in ["-", ".5", "5.", "1.2.3", "-.5"] {
        assert_eq!(err(malformed), MoneyError::Malformed, "{malformed:?}");
    }
    assert_eq!(
        err("999999999999999999999999999999"),
        MoneyError::OutOfRange
    );
}

#[test]
fn display_shows_cents() {
    assert_eq!(m("150").to_string(), "150.00");
    assert_eq!(m("150.5").to_string(), "150.50");
    assert_eq!(m("-0.5").to_string(), "-0.50");
    assert_eq!(m("-0").to_string(), "0.00");
    assert_eq!(Money::ZERO.to_string(), "0.00");
    assert_eq!(Money::from_decimal(dec!(1.5000)).to_string(), "1.50");
    assert_eq!(format!("{:>8}", m("1.5")), "    1.50");
}

#[test]
fn display_does_not_hide_unrounded_values() {
    assert_eq!(Money::from_decimal(dec!(2.675)).to_string(), "2.675");
}

#[test]
fn rounds_half_away_from_zero() {
    let round = |d: Decimal| Money::from_decimal(d).round_cents().amount();
    assert_eq!(round(dec!(0.005)), dec!(0.01));
    assert_eq!(round(dec!(-0.005)), dec!(-0.01));
    assert_eq!(round(dec!(2.675)), dec!(2.68));
    assert_eq!(round(dec!(2.6749999)), dec!(2.67));
    assert_eq!(round(dec!(-0.004)), dec!(0));
    assert_eq!(
        Money::from_decimal(dec!(-0.004)).round_cents().to_string(),
        "0.00"
    );
}

#[test]
fn to_cents_refuses_fractions_of_cents() {
    assert_eq!(
        Money::from_decimal(dec!(1.005)).to_cents(),
        Err(MoneyError::NotWholeCents)
    );
    assert_eq!(Money::from_decimal(dec!(1.0100)).to_cents(), Ok(101));
    assert_eq!(
        Money::from_decimal(Decimal::MAX).to_cents(),
        Err(MoneyError::OutOfRange)
    );
}

#[test]
fn arithmetic() {
    let mut total = m("10.10");
    total += m("0.90");
    assert_eq!(total, m("11"));
    total -= m("12");
    assert_eq!(total, m("-1"));
    assert_eq!(-total, m("1"));
    assert_eq!(m("1") - m("1").abs(), Money::ZERO);
    assert!(m("0.01").is_positive() && !m("0.01").is_negative());
    assert!(m("-0.01").is_negative() && !m("-0.01").is_positive());
    assert!(!Money::ZERO.is_positive() && !Money::ZERO.is_negative() && Money::ZERO.is_zero());
    assert_eq!(m("175").min(m("180.25")), m("175"));
    assert_eq!(m("175").max(m("180.25")), m("180.25"));
}

#[test]
fn sums() {
    let lines = [m("7000"), m("174.89"), m("0")];
    assert_eq!(lines.iter().sum::<Money>(), m("7174.89"));
    assert_eq!(lines.into_iter().sum::<Money>(), m("7174.89"));
    assert_eq!(std::iter::empty::<Money>().sum::<Money>(), Money::ZERO);
}

#[test]
fn multiplication_is_unrounded() {
    let indexed = m("150").mul_decimal(dec!(112.34) / dec!(100.00));
    assert_eq!(indexed.amount(), dec!(168.51));
    assert_eq!(m("100.01").mul_decimal(dec!(0.5)).amount(), dec!(50.005));
    assert_eq!(m("100.01").percent(dec!(50)).amount(), dec!(50.005));
    assert_eq!(m("1800").percent(dec!(20)), m("360"));
}

#[test]
fn equal_values_are_equal_whatever_their_scale() {
    use std::collections::HashSet;
    let set: HashSet<Money> = [m("1.5"), m("1.50"), Money::from_decimal(dec!(1.500))].into();
    assert_eq!(set.len(), 1);
}

#[test]
fn serde_uses_strict_strings() {
    assert_eq!(serde_json::to_string(&m("150.5")).unwrap(), "\"150.50\"");
    assert_eq!(
        serde_json::from_str::<Money>("\"-12.34\"").unwrap(),
        m("-12.34")
    );
    assert!(serde_json::from_str::<Money>("\"1.234\"").is_err());
    assert!(serde_json::to_string(&Money::from_decimal(dec!(1.005))).is_err());
}

proptest! {
    #[test]
    fn cents_round_trip(cents in any::<i64>()) {
        prop_assert_eq!(Money::from_cents(cents).to_cents(), Ok(cents));
    }

    #[test]
    fn display_parse_round_trip(cents in any::<i64>()) {
        let money = Money::from_cents(cents);
        let text = money.to_string();
        prop_assert_eq!(text.parse::<Money>(), Ok(money));
        prop_assert_eq!(text.split_once('.').map(|(_, f)| f.len()), Some(2));
    }

    #[test]
    fn rounding_is_symmetric_and_within_half_a_cent(units in any::<i64>(), scale in 0..10u32) {
        let value = Money::from_decimal(Decimal::new(units, scale));
        let rounded = value.round_cents();
        prop_assert!(rounded.is_whole_cents());
        prop_assert_eq!((-value).round_cents(), -rounded);
        prop_assert!((rounded - value).abs() <= Money::from_decimal(dec!(0.005)));
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = s.parse::<Money>();
    }
}

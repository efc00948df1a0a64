#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::*;

fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn parses_and_displays() {
    let sept = ym("2006-09");
    assert_eq!((sept.year(), sept.month()), (2006, 9));
    assert_eq!(sept.to_string(), "2006-09");
    assert_eq!(YearMonth::new(2006, 9), Ok(sept));
    assert_eq!(
        YearMonth::try_from("1900-01").unwrap().to_string(),
        "1900-01"
    );
    assert_eq!(ym("2999-12").to_string(), "2999-12");
}

#[test]
fn rejects_bad_input() {
    let err = |s: &str| s.parse::<YearMonth>().unwrap_err();
    for malformed in [
        "", "2024-1", "2024/01", "24-01", "2024-001", "2024-0a", "+202-01", " 2024-01",
    ] {
        assert_eq!(err(malformed), YearMonthError::Malformed, "{malformed:?}");
    }
    assert_eq!(
        err("2024-13"),
        YearMonthError::MonthOutOfRange { month: 13 }
    );
    assert_eq!(err("2024-00"), YearMonthError::MonthOutOfRange { month: 0 });
    assert_eq!(
        err("1899-12"),
        YearMonthError::YearOutOfRange { year: 1899 }
    );
    assert_eq!(
        YearMonth::new(3000, 1),
        Err(YearMonthError::YearOutOfRange { year: 3000 })
    );
}

#[test]
fn days() {
    let feb_2024 = ym("2024-02");
    assert_eq!(feb_2024.first_day(), date(2024, 2, 1));
    assert_eq!(feb_2024.last_day(), date(2024, 2, 29));
    assert_eq!(feb_2024.day(29), Some(date(2024, 2, 29)));
    assert_eq!(feb_2024.day(30), None);
    assert_eq!(feb_2024.day(0), None);
    assert_eq!(ym("2023-02").last_day(), date(2023, 2, 28));
    assert_eq!(ym("1900-02").days_in_month(), 28);
    assert_eq!(ym("2000-02").days_in_month(), 29);
    assert_eq!(ym("2024-04").last_day(), date(2024, 4, 30));
    assert_eq!(ym("2024-12").last_day(), date(2024, 12, 31));
    assert!(feb_2024.contains(date(2024, 2, 29)));
    assert!(!feb_2024.contains(date(2024, 3, 1)));
}

#[test]
fn from_date() {
    assert_eq!(YearMonth::from_date(date(2007, 6, 1)), Ok(ym("2007-06")));
    assert_eq!(YearMonth::try_from(date(2007, 6, 30)), Ok(ym("2007-06")));
    assert_eq!(
        YearMonth::from_date(date(1850, 1, 1)),
        Err(YearMonthError::YearOutOfRange { year: 1850 })
    );
}

#[test]
fn navigation() {
    assert_eq!(ym("2006-12").next(), Some(ym("2007-01")));
    assert_eq!(ym("2007-01").prev(), Some(ym("2006-12")));
    assert_eq!(ym("2006-09").add_months(-9), Some(ym("2005-12")));
    assert_eq!(ym("2006-09").add_months(24), Some(ym("2008-09")));
    assert_eq!(ym("2999-12").next(), None);
    assert_eq!(ym("1900-01").prev(), None);
    assert_eq!(ym("2000-01").add_months(i32::MAX), None);
    assert_eq!(ym("2000-01").add_months(i32::MIN), None);
    assert_eq!(ym("2007-06").months_since(ym("2006-06")), 12);
    assert_eq!(ym("2006-06").months_since(ym("2007-06")), -12);
}

#[test]
fn iterates_inclusive_ranges() {
    let months: Vec<String> = ym("2006-11")
        .iter_to(ym("2007-02"))
        .map(|m| m.to_string())
        .collect();
    assert_eq!(months, ["2006-11", "2006-12", "2007-01", "2007-02"]);
    assert_eq!(ym("2007-02").iter_to(ym("2007-02")).count(), 1);
    assert_eq!(ym("2007-02").iter_to(ym("2007-01")).count(), 0);
    assert_eq!(
        ym("2007-01").iter_to(ym("2007-03")).next_back(),
        Some(ym("2007-03"))
    );
}

#[test]
fn orders_chronologically() {
    assert!(ym("2006-12") < ym("2007-01"));
    assert!(ym("2007-02") > ym("2007-01"));
}

#[test]
fn serde_uses_the_text_form() {
    assert_eq!(
        serde_json::to_string(&ym("2007-06")).unwrap(),
        "\"2007-06\""
    );
    assert_eq!(
        serde_json::from_str::<YearMonth>("\"2007-06\"").unwrap(),
        ym("2007-06")
    );
    assert!(serde_json::from_str::<YearMonth>("\"2007-6\"").is_err());
}

fn any_month() -> impl Strategy<Value = YearMonth> {
    (1900..=2999i32, 1..=12u32).prop_map(|(y, m)| YearMonth::new(y, m).unwrap())
}

proptest! {
    #[test]
    fn text_round_trip(month in any_month()) {
        prop_assert_eq!(ym(&month.to_string()), month);
    }

    #[test]
    fn add_months_is_reversible(month in any_month(), n in -15_000..15_000i32) {
        if let Some(moved) = month.add_months(n) {
            prop_assert_eq!(moved.add_months(-n), Some(month));
            prop_assert_eq!(moved.months_since(month), n);
        }
    }

    #[test]
    fn months_since_agrees_with_add_months(a in any_month(), b in any_month()) {
        prop_assert_eq!(a.add_months(b.months_since(a)), Some(b));
        prop_assert_eq!(a.iter_to(b).count(), usize::try_from(b.months_since(a) + 1).unwrap_or(0));
    }

    #[test]
    fn first_and_last_days_belong_to_the_month(month in any_month()) {
        prop_assert_eq!(YearMonth::from_date(month.first_day()), Ok(month));
        prop_assert_eq!(YearMonth::from_date(month.last_day()), Ok(month));
        prop_assert_eq!(month.last_day().succ_opt().map(|d| YearMonth::from_date(d).ok()), Some(month.next()));
    }
}

//! Builders the tests of arrears, prescription, interest and admissibility share: the seed
//! examples (seed 002, frame 4) and the legal interest rates of DOMAIN.md.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};

use super::{ActKind, ArrearsCase, LegalAct, MonthRange, Payment, Title, TitleCreditor};
use crate::{
    indexation::{AmountPeriod, AmountRule},
    reference::{RefKind, RefPayload, RefValue, ReferenceTable},
};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

pub fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

/// DOMAIN.md's rates 2003–2026, one value per calendar year, id "rate-YYYY".
pub fn rates() -> ReferenceTable {
    let figures = [
        (2003, "7.00"),
        (2004, "7.00"),
        (2005, "7.00"),
        (2006, "7.00"),
        (2007, "6.00"),
        (2008, "7.00"),
        (2009, "5.50"),
        (2010, "3.25"),
        (2011, "3.75"),
        (2012, "4.25"),
        (2013, "2.75"),
        (2014, "2.75"),
        (2015, "2.50"),
        (2016, "2.25"),
        (2017, "2.00"),
        (2018, "2.00"),
        (2019, "2.00"),
        (2020, "1.75"),
        (2021, "1.75"),
        (2022, "1.50"),
        (2023, "5.25"),
        (2024, "5.75"),
        (2025, "4.50"),
        (2026, "4.50"),
    ];
    ReferenceTable::new(figures.iter().map(|&(y, r)| rate(y, r))).unwrap()
}

pub fn rate(year: i32, percent: &str) -> RefValue {
    RefValue {
        id: format!("rate-{year}"),
        kind: RefKind::LegalInterestRate,
        key: String::new(),
        valid_from: d(year, 1, 1),
        valid_to: Some(d(year, 12, 31)),
        payload: RefPayload::Number(percent.parse::<Decimal>().unwrap()),
        source: "DOMAIN.md".into(),
    }
}

/// Amounts stepping on the given months, each open until the next.
pub fn explicit(steps: &[(YearMonth, &str)]) -> AmountRule {
    AmountRule::Explicit(
        steps
            .iter()
            .map(|&(first, amount)| AmountPeriod {
                first,
                last: None,
                amount: money(amount),
            })
            .collect(),
    )
}

pub fn creditor(id: &str, first: YearMonth, amount: AmountRule) -> TitleCreditor {
    TitleCreditor {
        id: id.into(),
        first_month: first,
        last_month: None,
        amount,
    }
}

pub fn case(creditors: Vec<TitleCreditor>) -> ArrearsCase {
    ArrearsCase {
        title: Title {
            due_day: 1,
            creditors,
        },
        payments: vec![],
        acts: vec![],
        judgments: vec![],
    }
}

pub fn payment(id: &str, on: NaiveDate, amount: &str) -> Payment {
    Payment {
        id: id.into(),
        paid_on: on,
        amount: money(amount),
        for_month: None,
        creditor_id: None,
    }
}

pub fn act(id: &str, kind: ActKind, on: NaiveDate) -> LegalAct {
    LegalAct {
        id: id.into(),
        kind,
        date: on,
        creditor_ids: vec![],
        covered: None,
    }
}

/// Seed example 1: €150 from September 2003, stepping each September; never paid.
pub fn seed_example_1() -> ArrearsCase {
    let amounts = explicit(&[
        (ym(2003, 9), "150.00"),
        (ym(2004, 9), "151.81"),
        (ym(2005, 9), "153.62"),
        (ym(2006, 9), "155.43"),
    ]);
    case(vec![creditor("child", ym(2003, 9), amounts)])
}

/// Seed example 2 without its payment order: €120 from January 2002, stepping each January.
pub fn seed_example_2_without_act() -> ArrearsCase {
    let amounts = explicit(&[
        (ym(2002, 1), "120.00"),
        (ym(2003, 1), "121.50"),
        (ym(2004, 1), "123.60"),
        (ym(2005, 1), "125.70"),
        (ym(2006, 1), "128.20"),
        (ym(2007, 1), "131.10"),
    ]);
    case(vec![creditor("child", ym(2002, 1), amounts)])
}

/// Seed example 2: the payment order of 15 July 2004 covers January 2002 to July 2004.
pub fn seed_example_2() -> ArrearsCase {
    let mut c = seed_example_2_without_act();
    c.acts.push(LegalAct {
        covered: Some(MonthRange {
            first: ym(2002, 1),
            last: Some(ym(2004, 7)),
        }),
        ..act("order-2004-07", ActKind::PaymentOrder, d(2004, 7, 15))
    });
    c
}

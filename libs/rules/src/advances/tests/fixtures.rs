//! The figures and the child the advance tests start from.

use rust_decimal_macros::dec;

use super::super::*;
use crate::{RefValue, error::Violation};

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub(super) fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

pub(super) fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn value(
    id: &str,
    kind: RefKind,
    key: &str,
    from: NaiveDate,
    to: Option<NaiveDate>,
    payload: RefPayload,
) -> RefValue {
    RefValue {
        id: id.into(),
        kind,
        key: key.into(),
        valid_from: from,
        valid_to: to,
        payload,
        source: "test".into(),
    }
}

/// The figures the store holds (DOMAIN.md), plus two CPI months.
pub(super) fn table() -> ReferenceTable {
    use RefKind::*;
    let n = |x: Decimal| RefPayload::Number(x);
    let year = |y| (d(y, 1, 1), Some(d(y, 12, 31)));
    let mut values = vec![
        value("cap", AdvanceCap, "", d(2005, 10, 1), None, n(dec!(175))),
        value(
            "ceil-15",
            ApplicantIncomeCeiling,
            "",
            d(2015, 1, 1),
            Some(d(2019, 12, 31)),
            n(dec!(1800)),
        ),
        value(
            "ceil-20",
            ApplicantIncomeCeiling,
            "",
            d(2020, 1, 1),
            Some(d(2020, 5, 31)),
            n(dec!(2200)),
        ),
        value(
            "ceil-x",
            ApplicantIncomeCeiling,
            "",
            d(2020, 6, 1),
            None,
            RefPayload::Abolished,
        ),
        value(
            "inc-15",
            ApplicantIncomeCeilingChildIncrement,
            "",
            d(2015, 1, 1),
            Some(d(2016, 12, 31)),
            n(dec!(66)),
        ),
        value(
            "inc-20",
            ApplicantIncomeCeilingChildIncrement,
            "",
            d(2020, 1, 1),
            Some(d(2020, 5, 31)),
            n(dec!(70)),
        ),
        value(
            "inc-x",
            ApplicantIncomeCeilingChildIncrement,
            "",
            d(2020, 6, 1),
            None,
            RefPayload::Abolished,
        ),
        value(
            "cpi-2020-08",
            Cpi,
            "2020-08",
            d(2020, 8, 1),
            Some(d(2020, 8, 31)),
            n(dec!(110)),
        ),
        value(
            "cpi-2021-08",
            Cpi,
            "2021-08",
            d(2021, 8, 1),
            Some(d(2021, 8, 31)),
            n(dec!(112)),
        ),
    ];
    for (y, inc) in [(2017, dec!(67)), (2018, dec!(68)), (2019, dec!(70))] {
        let (from, to) = year(y);
        values.push(value(
            &format!("inc-{y}"),
            ApplicantIncomeCeilingChildIncrement,
            "",
            from,
            to,
            n(inc),
        ));
    }
    ReferenceTable::new(values).unwrap()
}

/// A 10-year-old child, application 15 March 2019, advance for June 2019, 200 due.
pub(super) fn case() -> AdvanceCase {
    AdvanceCase {
        month: ym(2019, 6),
        application_date: d(2019, 3, 15),
        future_maintenance_claimed: true,
        child_birth_date: d(2009, 1, 20),
        family_allowance_entitled: true,
        adult_entitlement_valid_until: None,
        maintenance: Maintenance::Due(money("200")),
        applicant_net_monthly_income: Some(money("1900")),
        dependent_children: 2,
        disabled_dependent_children: 0,
        applicant_country: String::new(),
    }
}

pub(super) fn run(c: &AdvanceCase) -> AdvanceAssessment {
    assess(c, &table(), Explainer::new()).unwrap()
}

pub(super) fn violations(c: &AdvanceCase) -> Vec<Violation> {
    match assess(c, &table(), Explainer::new()) {
        Err(RuleError::Invalid(v)) => v,
        other => panic!("expected violations, got {other:?}"),
    }
}

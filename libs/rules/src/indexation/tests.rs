use chrono::NaiveDate;
use rust_decimal_macros::dec;

use super::*;
use crate::{RefKind, RefPayload, RefValue, ReferenceTable};

fn ym(y: i32, m: u32) -> YearMonth {
    YearMonth::new(y, m).unwrap()
}

fn cpi(values: &[(i32, u32, Decimal)]) -> ReferenceTable {
    ReferenceTable::new(values.iter().map(|&(y, m, v)| {
        let month = ym(y, m);
        RefValue {
            id: format!("cpi-{month}"),
            kind: RefKind::Cpi,
            key: month.to_string(),
            valid_from: month.first_day(),
            valid_to: Some(month.last_day()),
            payload: RefPayload::Number(v),
            source: "test".into(),
        }
    }))
    .unwrap()
}

fn rule() -> AmountRule {
    AmountRule::Cpi(CpiIndexation {
        base_amount: Money::parse("150.00").unwrap(),
        base_month: ym(2003, 8),
        first_adjustment_month: ym(2004, 9),
    })
}

#[test]
fn cpi_formula_from_the_original_base_each_anniversary() {
    let refs = cpi(&[
        (2003, 8, dec!(80.00)),
        (2004, 8, dec!(81.23)),
        (2005, 8, dec!(83.07)),
    ]);
    let mut ex = Explainer::new();
    let r = rule();
    let before = r.amount_for(ym(2004, 8), &refs, &mut ex, "c1").unwrap();
    assert_eq!(before.amount.to_string(), "150.00");
    let first = r.amount_for(ym(2004, 9), &refs, &mut ex, "c1").unwrap();
    // 150 × 81.23 / 80 = 152.30625 → 152.31
    assert_eq!(first.amount.to_string(), "152.31");
    assert_eq!(first.reference_month, Some(ym(2004, 8)));
    assert_eq!(
        r.amount_for(ym(2005, 8), &refs, &mut ex, "c1")
            .unwrap()
            .amount
            .to_string(),
        "152.31"
    );
    // 150 × 83.07 / 80 = 155.75625 → 155.76, from the base, not from 152.31
    let second = r.amount_for(ym(2005, 9), &refs, &mut ex, "c1").unwrap();
    assert_eq!(second.amount.to_string(), "155.76");
    assert_eq!(second.adjusted_in, Some(ym(2005, 9)));
    let e = ex.finish();
    assert_eq!(e.references.len(), 3, "each CPI value cited once");
}

#[test]
fn a_missing_cpi_month_is_named() {
    let refs = cpi(&[(2003, 8, dec!(80.00))]);
    let err = rule()
        .amount_for(ym(2004, 9), &refs, &mut Explainer::new(), "c1")
        .unwrap_err();
    assert_eq!(
        err,
        RuleError::MissingReference {
            kind: RefKind::Cpi,
            key: "2004-08".into(),
            date: NaiveDate::from_ymd_opt(2004, 8, 1).unwrap()
        }
    );
}

#[test]
fn explicit_periods_run_until_the_next_one() {
    let p = |y, m, a: &str| AmountPeriod {
        first: ym(y, m),
        last: None,
        amount: Money::parse(a).unwrap(),
    };
    let r = AmountRule::Explicit(vec![p(2003, 9, "150"), p(2004, 9, "151.81")]);
    let refs = ReferenceTable::default();
    let mut ex = Explainer::new();
    assert_eq!(
        r.amount_for(ym(2004, 8), &refs, &mut ex, "c")
            .unwrap()
            .amount
            .to_string(),
        "150.00"
    );
    assert_eq!(
        r.amount_for(ym(2010, 1), &refs, &mut ex, "c")
            .unwrap()
            .amount
            .to_string(),
        "151.81"
    );
    assert!(r.amount_for(ym(2003, 8), &refs, &mut ex, "c").is_err());

    let mut v = Violations::new();
    AmountRule::Explicit(vec![p(2004, 9, "1"), p(2003, 9, "2")]).validate("amount", &mut v);
    assert!(v.into_result().is_err());
}

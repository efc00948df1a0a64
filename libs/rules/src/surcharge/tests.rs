use proptest::prelude::*;
use rust_decimal_macros::dec;

use super::*;
use crate::{RefValue, SurchargeRule};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn regime(id: &str, from: NaiveDate, to: Option<NaiveDate>, payload: RefPayload) -> RefValue {
    RefValue {
        id: id.into(),
        kind: RefKind::DebtorSurcharge,
        key: String::new(),
        valid_from: from,
        valid_to: to,
        payload,
        source: "test".into(),
    }
}

fn fees(debtor: Decimal, creditor: Decimal) -> RefPayload {
    RefPayload::Surcharge(SurchargeRule {
        debtor_percent: debtor,
        creditor_percent: creditor,
    })
}

fn table() -> ReferenceTable {
    ReferenceTable::new([
        regime(
            "old",
            d(2004, 1, 1),
            Some(d(2014, 12, 31)),
            fees(dec!(10), dec!(5)),
        ),
        regime("new", d(2015, 1, 1), None, fees(dec!(13), dec!(0))),
    ])
    .unwrap()
}

fn money(s: &str) -> Money {
    Money::parse(s).unwrap()
}

#[test]
fn from_2015_the_debtor_owes_13_percent_and_the_creditor_nothing() {
    let s = compute(d(2015, 1, 1), money("200"), &table(), Explainer::new()).unwrap();
    assert_eq!(s.debtor_surcharge, money("26.00"));
    assert_eq!(s.debtor_total, money("226.00"));
    assert_eq!(s.creditor_deduction, Money::ZERO);
    assert_eq!(s.creditor_net, money("200.00"));
    assert_eq!(s.debtor_percent, dec!(13));
    let ids: Vec<_> = s.explanation.steps.iter().map(|s| s.rule.id).collect();
    assert_eq!(
        ids,
        [
            "SURCHARGE_REGIME",
            "SURCHARGE_DEBTOR",
            "SURCHARGE_CREDITOR_DEDUCTION",
            "SURCHARGE_DEBTOR_TOTAL",
            "SURCHARGE_CREDITOR_NET"
        ]
    );
    assert_eq!(s.explanation.references.len(), 1);
    assert_eq!(
        s.explanation.steps[1].detail,
        "200.00 × 13% = 26.00 → 26.00"
    );
}

#[test]
fn before_2015_the_debtor_owes_10_percent_and_5_percent_is_kept_from_the_creditor() {
    let s = compute(d(2014, 12, 31), money("200"), &table(), Explainer::new()).unwrap();
    assert_eq!(s.debtor_surcharge, money("20.00"));
    assert_eq!(s.debtor_total, money("220.00"));
    assert_eq!(s.creditor_deduction, money("10.00"));
    assert_eq!(s.creditor_net, money("190.00"));
}

#[test]
fn the_surcharge_is_rounded_half_away_from_zero() {
    // 13% of 0.50 is 0.065.
    let s = compute(d(2020, 5, 1), money("0.50"), &table(), Explainer::new()).unwrap();
    assert_eq!(s.debtor_surcharge, money("0.07"));
    assert_eq!(s.debtor_total, money("0.57"));
}

#[test]
fn no_regime_in_force_is_a_missing_reference() {
    let err = compute(d(2003, 6, 1), money("10"), &table(), Explainer::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no debtor_surcharge value in force on 2003-06-01"
    );
}

#[test]
fn an_abolished_regime_means_no_fees() {
    let t = ReferenceTable::new([regime("x", d(2030, 1, 1), None, RefPayload::Abolished)]).unwrap();
    let s = compute(d(2031, 1, 1), money("99.99"), &t, Explainer::compact()).unwrap();
    assert_eq!(
        (s.debtor_total, s.creditor_net),
        (money("99.99"), money("99.99"))
    );
    assert!(s.explanation.steps.iter().all(|s| s.detail.is_empty()));
}

#[test]
fn bad_principals_are_refused() {
    for bad in ["0", "-1", "1000000000000.01"] {
        let err = compute(d(2020, 1, 1), money(bad), &table(), Explainer::new()).unwrap_err();
        let RuleError::Invalid(v) = err else {
            panic!("{bad}: {err}")
        };
        assert_eq!(v[0].field, "principal");
    }
    let sub_cent = Money::from_decimal(dec!(1.001));
    assert!(compute(d(2020, 1, 1), sub_cent, &table(), Explainer::new()).is_err());
}

proptest! {
    #[test]
    fn the_debtor_total_is_principal_plus_surcharge(
        cents in 1i64..=100_000_000_000_000,
        day in 0u64..10_000,
    ) {
        let principal = Money::from_cents(cents);
        let date = d(2004, 1, 1) + chrono::Days::new(day);
        let s = compute(date, principal, &table(), Explainer::compact()).unwrap();
        prop_assert_eq!(s.debtor_total, principal + s.debtor_surcharge);
        prop_assert_eq!(s.creditor_net, principal - s.creditor_deduction);
        prop_assert!(s.debtor_surcharge.is_whole_cents() && s.creditor_deduction.is_whole_cents());
        prop_assert!(!s.creditor_net.is_negative());
    }
}

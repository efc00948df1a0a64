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

fn value(kind: RefKind, key: String, month: Option<YearMonth>, v: Decimal) -> RefValue {
    RefValue {
        id: format!("{kind}-{key}"),
        kind,
        valid_from: month.map_or(NaiveDate::from_ymd_opt(1920, 1, 1).unwrap(), |m| {
            m.first_day()
        }),
        valid_to: month.map(|m| m.last_day()),
        key,
        payload: RefPayload::Number(v),
        source: "test".into(),
    }
}

fn on_base(y: i32, m: u32, base: u16, v: Decimal) -> RefValue {
    let key = PriceKey {
        month: ym(y, m),
        base,
    };
    value(RefKind::Cpi, key.key(), Some(ym(y, m)), v)
}

fn link(from: u16, to: u16, v: Decimal) -> RefValue {
    let key = LinkKey {
        series: RefKind::Cpi,
        from,
        to,
    };
    value(RefKind::PriceIndexLink, key.key(), None, v)
}

fn rule_2009() -> AmountRule {
    AmountRule::Cpi(CpiIndexation {
        base_amount: Money::parse("200.00").unwrap(),
        base_month: ym(2009, 5),
        first_adjustment_month: ym(2010, 6),
    })
}

#[test]
fn months_on_different_bases_are_linked_by_the_publishers_coefficient() {
    let refs = ReferenceTable::new([
        on_base(2009, 5, 2004, dec!(111.00)),
        on_base(2024, 5, 2013, dec!(130.00)),
        link(2004, 2013, dec!(0.8170)),
        link(2013, 2004, dec!(1.2240)),
    ])
    .unwrap();
    let mut ex = Explainer::new();
    let got = rule_2009()
        .amount_for(ym(2024, 6), &refs, &mut ex, "c1")
        .unwrap();
    // 111.00 × 0.8170 = 90.687 on 2013 = 100; 200 × 130 / 90.687 = 286.700… → 286.70
    assert_eq!(got.amount.to_string(), "286.70");
    let explanation = ex.finish();
    let text = &explanation.steps.last().unwrap().detail;
    assert!(
        text.contains("111 (2004 = 100) × 0.817 (linking coefficient cpi:2004:2013) = 90.687"),
        "{text}"
    );
    let cited: Vec<&str> = explanation
        .references
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    assert!(
        cited.contains(&"price_index_link-cpi:2004:2013"),
        "{cited:?}"
    );
}

#[test]
fn a_base_both_months_share_is_used_without_conversion() {
    let refs = ReferenceTable::new([
        on_base(2009, 5, 2004, dec!(111.00)),
        on_base(2009, 5, 2013, dec!(90.69)),
        on_base(2024, 5, 2013, dec!(130.00)),
        on_base(2024, 5, 2004, dec!(159.12)),
    ])
    .unwrap();
    let mut ex = Explainer::new();
    let got = rule_2009()
        .amount_for(ym(2024, 6), &refs, &mut ex, "c1")
        .unwrap();
    // The newest shared base, 2013: 200 × 130 / 90.69 = 286.690… → 286.69
    assert_eq!(got.amount.to_string(), "286.69");
}

#[test]
fn a_missing_linking_coefficient_or_unpublished_month_is_named() {
    let refs = ReferenceTable::new([
        on_base(2009, 5, 2004, dec!(111.00)),
        on_base(2024, 5, 2013, dec!(130.00)),
    ])
    .unwrap();
    let mut ex = Explainer::new();
    let err = rule_2009()
        .amount_for(ym(2024, 6), &refs, &mut ex, "c1")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no price_index_link value for cpi:2004:2013 in force on 2024-05-01"
    );
    let err = rule_2009()
        .amount_for(ym(2025, 6), &refs, &mut ex, "c1")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no cpi value for 2025-05 in force on 2025-05-01"
    );
}

#[test]
fn price_keys_have_one_spelling_per_month_and_base() {
    assert_eq!(
        PriceKey::parse("2009-05/2004"),
        Some(PriceKey {
            month: ym(2009, 5),
            base: 2004
        })
    );
    assert_eq!(PriceKey::parse("2009-05").map(|k| k.base), Some(2013));
    assert_eq!(PriceKey::parse("2009-05/2013"), None);
    assert_eq!(PriceKey::parse("2009-5"), None);
    assert_eq!(PriceKey::parse("2009-13"), None);
    assert_eq!(
        LinkKey::parse("health_index:2004:2013").map(|k| k.key()),
        Some("health_index:2004:2013".into())
    );
    assert_eq!(LinkKey::parse("legal_interest_rate:2004:2013"), None);
    assert_eq!(LinkKey::parse("cpi:2013:2013"), None);
}

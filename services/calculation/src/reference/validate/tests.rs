//! The request checks, field by field.

use super::*;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn fields(e: ServiceError) -> Vec<String> {
    e.violations().iter().map(|v| v.field.clone()).collect()
}

#[test]
fn decimals_are_plain_and_bounded() {
    assert_eq!(decimal("2.75", 6), Ok(dec("2.75")));
    assert_eq!(decimal("0", 2), Ok(Decimal::ZERO));
    for bad in ["", "-1", "+1", "1e3", "1,5", ".5", "5.", "1.2.3", " 1"] {
        assert!(decimal(bad, 6).is_err(), "{bad:?}");
    }
    assert!(decimal("1.005", 2).is_err());
    assert!(decimal("1234567890", 2).is_err());
}

#[test]
fn cpi_keys_are_months() {
    assert!(key_form("k", RefKind::Cpi, "2024-02").is_ok());
    for bad in ["2024-2", "2024-13", "202402", "2024/02", ""] {
        assert!(key_form("k", RefKind::Cpi, bad).is_err(), "{bad:?}");
    }
    assert!(key_form("k", RefKind::AdvanceCap, "").is_ok());
    assert!(key_form("k", RefKind::AdvanceCap, "2024-02").is_err());
}

fn request(value: pb::ReferenceValue) -> pb::AddReferenceValueRequest {
    pb::AddReferenceValueRequest {
        idempotency_key: Some(pb::IdempotencyKey { value: "k".into() }),
        value: Some(value),
        ..Default::default()
    }
}

fn date(y: i32, m: i32, d: i32) -> Option<pb::Date> {
    Some(pb::Date {
        year: y,
        month: m,
        day: d,
    })
}

#[test]
fn a_cpi_value_covers_its_month() {
    let v = NewValue::try_from(&request(pb::ReferenceValue {
        kind: pb::ReferenceKind::Cpi as i32,
        key: "2024-02".into(),
        value: "101.5".into(),
        source: "Statbel".into(),
        ..Default::default()
    }))
    .unwrap();
    assert_eq!(
        (v.valid_from, v.valid_to),
        (
            NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        )
    );
    assert_eq!(v.payload, RefPayload::Number(dec("101.5")));
}

#[test]
fn an_abolished_value_has_no_figure() {
    let v = NewValue::try_from(&request(pb::ReferenceValue {
        kind: pb::ReferenceKind::ApplicantIncomeCeiling as i32,
        valid_from: date(2020, 6, 1),
        abolished: true,
        source: "law".into(),
        ..Default::default()
    }))
    .unwrap();
    assert_eq!((v.payload, v.valid_to), (RefPayload::Abolished, None));
    let err = NewValue::try_from(&request(pb::ReferenceValue {
        kind: pb::ReferenceKind::ApplicantIncomeCeiling as i32,
        valid_from: date(2020, 6, 1),
        abolished: true,
        value: "1800".into(),
        source: "law".into(),
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(fields(err), ["value.value"]);
}

#[test]
fn amounts_have_cents_and_rates_stay_percentages() {
    let err = NewValue::try_from(&request(pb::ReferenceValue {
        kind: pb::ReferenceKind::AdvanceCap as i32,
        valid_from: date(2027, 1, 1),
        value: "175.001".into(),
        source: "x".into(),
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(fields(err), ["value.value"]);
    let err = NewValue::try_from(&request(pb::ReferenceValue {
        kind: pb::ReferenceKind::LegalInterestRate as i32,
        valid_from: date(2027, 1, 1),
        value: "101".into(),
        source: "x".into(),
        structured_value: Some(pb::reference_value::StructuredValue::SurchargeRule(
            pb::SurchargeRule::default(),
        )),
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(fields(err), ["value.surcharge_rule", "value.value"]);
}

#[test]
fn ending_and_correcting_need_a_reason_and_exclude_each_other() {
    let mut req = request(pb::ReferenceValue {
        kind: pb::ReferenceKind::AdvanceCap as i32,
        valid_from: date(2027, 1, 1),
        value: "200".into(),
        source: "x".into(),
        ..Default::default()
    });
    req.end_open_value_id = "12".into();
    req.supersedes_reference_value_id = "13".into();
    assert_eq!(
        fields(NewValue::try_from(&req).unwrap_err()),
        ["supersedes_reference_value_id", "reason"]
    );
    req.supersedes_reference_value_id.clear();
    req.reason = "decree".into();
    let v = NewValue::try_from(&req).unwrap();
    assert_eq!((v.end_open, v.supersedes), (Some(12), None));
}

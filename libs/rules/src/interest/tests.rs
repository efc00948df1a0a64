use rust_decimal_macros::dec;

use super::*;
use crate::{
    claim::{ActKind, LegalAct, testkit::*},
    error::Violation,
    reference::RefKind,
};

fn claim(id: &str, principal: &str, start: NaiveDate, end: Option<NaiveDate>) -> InterestClaim {
    InterestClaim {
        id: id.into(),
        principal: money(principal),
        start,
        end,
    }
}

#[test]
fn a_year_at_5_25_percent_on_1000_is_52_50() {
    let c = claim("k", "1000.00", d(2023, 1, 1), Some(d(2024, 1, 1)));
    let r = for_claims(&[c], d(2030, 1, 1), &rates(), Explainer::new()).unwrap();
    assert_eq!(r.total, money("52.50"));
    let line = &r.lines[0];
    assert_eq!(line.periods.len(), 1);
    assert_eq!(line.periods[0].days, 365);
    assert_eq!(line.periods[0].rate_percent, dec!(5.25));
    assert_eq!(line.periods[0].reference_value_id, "rate-2023");
    assert_eq!(r.explanation.references[0].id, "rate-2023");
    assert_eq!(r.explanation.steps[0].reference_ids, vec!["rate-2023"]);
}

#[test]
fn periods_split_per_calendar_year_and_round_once() {
    // 1000 × (1.5% × 184 + 5.25% × 181) / 365 = 7.561644 + 26.034247 = 33.595891
    let c = claim("k", "1000.00", d(2022, 7, 1), None);
    let r = for_claims(&[c], d(2023, 7, 1), &rates(), Explainer::new()).unwrap();
    let days: Vec<i64> = r.lines[0].periods.iter().map(|p| p.days).collect();
    assert_eq!(days, vec![184, 181]);
    assert_eq!(r.lines[0].end_date, d(2023, 7, 1));
    assert_eq!(r.total, money("33.60"));
}

#[test]
fn a_year_without_a_rate_is_an_error_naming_kind_and_date() {
    let c = claim("k", "1000.00", d(2040, 1, 1), Some(d(2040, 6, 1)));
    let err = for_claims(&[c], d(2041, 1, 1), &rates(), Explainer::new()).unwrap_err();
    assert_eq!(
        err,
        RuleError::MissingReference {
            kind: RefKind::LegalInterestRate,
            key: String::new(),
            date: d(2040, 1, 1),
        }
    );
    let across = claim("k", "10.00", d(2026, 6, 1), Some(d(2027, 2, 1)));
    let err = for_claims(&[across], d(2028, 1, 1), &rates(), Explainer::new()).unwrap_err();
    assert!(err.to_string().contains("2027-01-01"), "{err}");
}

#[test]
fn a_rate_value_ending_mid_year_splits_the_period() {
    let mut first = rate(2023, "5.00");
    first.valid_to = Some(d(2023, 6, 30));
    let mut second = rate(2023, "6.00");
    second.id = "rate-2023-b".into();
    second.valid_from = d(2023, 7, 1);
    let refs = ReferenceTable::new([first, second]).unwrap();
    let c = claim("k", "365.00", d(2023, 1, 1), Some(d(2024, 1, 1)));
    let r = for_claims(&[c], d(2024, 1, 1), &refs, Explainer::new()).unwrap();
    let days: Vec<i64> = r.lines[0].periods.iter().map(|p| p.days).collect();
    assert_eq!(days, vec![181, 184]);
    // 365 × (5% × 181 + 6% × 184) / 365 = 9.05 + 11.04
    assert_eq!(r.total, money("20.09"));
}

#[test]
fn payments_reduce_the_balance_from_their_date() {
    let mut c = case(vec![creditor(
        "c1",
        ym(2023, 1),
        explicit(&[(ym(2023, 1), "1000.00")]),
    )]);
    c.title.creditors[0].last_month = Some(ym(2023, 1));
    c.acts = vec![act("n1", ActKind::FormalNotice, d(2023, 1, 1))];
    c.payments = vec![payment("p1", d(2023, 7, 1), "400.00")];
    let r = for_case(&c, d(2024, 1, 1), &rates(), Explainer::new()).unwrap();
    let line = &r.lines[0];
    assert_eq!(line.started_by, "n1");
    let spans: Vec<(i64, Money)> = line.periods.iter().map(|p| (p.days, p.balance)).collect();
    assert_eq!(spans, vec![(181, money("1000.00")), (184, money("600.00"))]);
    // 26.034247 + 15.879452
    assert_eq!(line.interest, money("41.91"));
    assert_eq!(r.total, money("41.91"));
}

#[test]
fn no_interest_without_an_act_on_or_after_the_due_date_covering_the_instalment() {
    let mut c = case(vec![
        creditor("c1", ym(2023, 1), explicit(&[(ym(2023, 1), "100.00")])),
        creditor("c2", ym(2023, 1), explicit(&[(ym(2023, 1), "100.00")])),
    ]);
    let r = for_case(&c, d(2024, 1, 1), &rates(), Explainer::new()).unwrap();
    assert!(r.lines.is_empty());
    assert_eq!(r.total, Money::ZERO);
    c.acts = vec![LegalAct {
        creditor_ids: vec!["c2".into()],
        ..act("seizure", ActKind::Seizure, d(2023, 6, 15))
    }];
    let r = for_case(&c, d(2024, 1, 1), &rates(), Explainer::new()).unwrap();
    let months: Vec<(String, YearMonth)> = r
        .lines
        .iter()
        .map(|l| (l.creditor_id.clone(), l.month.unwrap()))
        .collect();
    assert_eq!(
        months,
        (1..=6)
            .map(|m| ("c2".to_owned(), ym(2023, m)))
            .collect::<Vec<_>>(),
        "c2 only, and only the months due by the seizure"
    );
    assert!(r.lines.iter().all(|l| l.start_date == d(2023, 6, 15)));
}

#[test]
fn time_barred_instalments_carry_no_interest() {
    let mut c = seed_example_2_without_act();
    c.acts = vec![act("notice", ActKind::FormalNotice, d(2004, 7, 15))];
    let r = for_case(&c, d(2007, 6, 1), &rates(), Explainer::new()).unwrap();
    assert_eq!(r.lines.len(), 31 - 5);
    assert_eq!(r.lines[0].month, Some(ym(2002, 6)));
    let barred_steps = r
        .explanation
        .steps
        .iter()
        .filter(|s| s.rule.id == "INTEREST_TIME_BARRED")
        .count();
    assert_eq!(barred_steps, 5);
}

#[test]
fn claims_are_checked_all_at_once() {
    let claims = vec![
        claim("k", "-1.00", d(2023, 1, 1), Some(d(2022, 1, 1))),
        claim("k", "10.00", d(2023, 1, 1), None),
        claim("", "10.00", d(1990, 1, 1), Some(d(2095, 1, 1))),
    ];
    let err = for_claims(&claims, d(2020, 1, 1), &rates(), Explainer::new()).unwrap_err();
    let RuleError::Invalid(v) = err else {
        panic!("expected invalid input")
    };
    let fields: Vec<&str> = v
        .iter()
        .map(|Violation { field, .. }| field.as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "claims[0].principal",
            "claims[0].end_date",
            "claims[1].claim_id",
            "calculation_date",
            "claims[2].claim_id",
            "claims[2].end_date",
        ]
    );
}

use std::collections::HashSet;

use rust_decimal_macros::dec;

mod payments;

use super::*;
use crate::{
    claim::{ActKind, JudgmentArrears, LegalAct, MonthRange, Payment, testkit::*},
    error::Violation,
    indexation::AmountRule,
    indexation::CpiIndexation,
    reference::{RefKind, RefPayload, RefValue},
};

fn run(case: &ArrearsCase, as_of: NaiveDate) -> ArrearsResult {
    compute(case, as_of, &rates(), Explainer::new()).unwrap()
}

fn year_claimable(r: &ArrearsResult) -> Vec<(i32, Money)> {
    r.year_totals
        .iter()
        .map(|y| (y.year, y.totals.claimable))
        .collect()
}

fn line(r: &ArrearsResult, creditor: usize, month: YearMonth) -> &ArrearsLine {
    r.creditors[creditor]
        .lines
        .iter()
        .find(|l| l.month == month)
        .unwrap()
}

fn fields(e: RuleError) -> Vec<String> {
    match e {
        RuleError::Invalid(v) => v.into_iter().map(|Violation { field, .. }| field).collect(),
        other => panic!("expected invalid input, got {other}"),
    }
}

#[test]
fn seed_example_1_gives_the_seed_table() {
    let r = run(&seed_example_1(), d(2007, 8, 1));
    assert_eq!(r.totals.claimable, money("7174.89"));
    assert_eq!(r.totals.due, money("7174.89"));
    assert_eq!(r.totals.time_barred, Money::ZERO);
    assert_eq!(r.totals.interest, Money::ZERO);
    assert_eq!(
        year_claimable(&r),
        vec![
            (2003, money("600.00")),
            (2004, money("1807.24")),
            (2005, money("1828.96")),
            (2006, money("1850.68")),
            (2007, money("1088.01")),
        ]
    );
    let lines = &r.creditors[0].lines;
    assert_eq!(lines.len(), 47, "September 2003 to July 2007");
    assert_eq!(lines[0].due_date, d(2003, 9, 1));
    assert_eq!(lines[0].prescription_limit, d(2008, 9, 1));
    assert_eq!(lines.last().unwrap().month, ym(2007, 7));
    assert!(lines.iter().all(|l| l.status == LineStatus::Open));
    assert_eq!(r.creditors[0].year_totals, r.year_totals);
    assert_eq!(r.overpayment, Money::ZERO);
}

#[test]
fn seed_example_2_with_its_payment_order_gives_the_seed_table_and_interest() {
    let r = run(&seed_example_2(), d(2007, 6, 1));
    assert_eq!(r.totals.claimable, money("8083.50"));
    assert_eq!(
        year_claimable(&r),
        vec![
            (2002, money("1440.00")),
            (2003, money("1458.00")),
            (2004, money("1483.20")),
            (2005, money("1508.40")),
            (2006, money("1538.40")),
            (2007, money("655.50")),
        ]
    );
    assert_eq!(r.totals.time_barred, Money::ZERO);
    let jan = line(&r, 0, ym(2002, 1));
    assert_eq!(jan.prescription_limit, d(2009, 7, 15));
    assert_eq!(jan.limitation_set_by, "order-2004-07");
    // 120 × (7% × 170/365 + 7% + 7% + 6% × 151/365) = 23.690959
    assert_eq!(jan.interest, money("23.69"));
    assert_eq!(jan.interest_from, Some(d(2004, 7, 15)));
    assert_eq!(jan.interest_started_by, "order-2004-07");
    let aug = line(&r, 0, ym(2004, 8));
    assert_eq!(aug.prescription_limit, d(2009, 8, 1));
    assert_eq!(aug.limitation_set_by, "");
    assert_eq!(aug.interest, Money::ZERO);
    assert_eq!(aug.interest_from, None);
    assert_eq!(r.totals.interest, money("742.96"));
    let used: HashSet<&str> = r
        .explanation
        .references
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(
        used,
        HashSet::from(["rate-2004", "rate-2005", "rate-2006", "rate-2007"])
    );
}

#[test]
fn without_the_payment_order_january_to_may_2002_are_time_barred() {
    let r = run(&seed_example_2_without_act(), d(2007, 6, 1));
    let barred: Vec<YearMonth> = r.creditors[0]
        .lines
        .iter()
        .filter(|l| l.status == LineStatus::TimeBarred)
        .map(|l| l.month)
        .collect();
    assert_eq!(barred, (1..=5).map(|m| ym(2002, m)).collect::<Vec<_>>());
    // Due 1 June 2002: its limit is 1 June 2007, the calculation date itself.
    assert_eq!(line(&r, 0, ym(2002, 6)).status, LineStatus::Open);
    assert_eq!(r.totals.time_barred, money("600.00"));
    assert_eq!(r.totals.unpaid, money("8083.50"));
    assert_eq!(r.totals.claimable, money("7483.50"));
    assert_eq!(r.year_totals[0].totals.time_barred, money("600.00"));
    assert_eq!(r.year_totals[0].totals.claimable, money("840.00"));
}

fn two_children() -> ArrearsCase {
    case(vec![
        creditor("c1", ym(2020, 1), explicit(&[(ym(2020, 1), "100.00")])),
        creditor("c2", ym(2020, 1), explicit(&[(ym(2020, 1), "50.00")])),
    ])
}

#[test]
fn cpi_indexed_amounts_fill_the_table_and_a_missing_cpi_is_an_error() {
    let cpi = |month: &str, v| RefValue {
        id: format!("cpi-{month}"),
        kind: RefKind::Cpi,
        key: month.into(),
        valid_from: month.parse::<YearMonth>().unwrap().first_day(),
        valid_to: Some(month.parse::<YearMonth>().unwrap().last_day()),
        payload: RefPayload::Number(v),
        source: "test".into(),
    };
    let refs = ReferenceTable::new([cpi("2022-12", dec!(100)), cpi("2023-12", dec!(105))]).unwrap();
    let rule = AmountRule::Cpi(CpiIndexation {
        base_amount: money("200.00"),
        base_month: ym(2022, 12),
        first_adjustment_month: ym(2024, 1),
    });
    let c = case(vec![creditor("c1", ym(2023, 1), rule)]);
    let r = compute(&c, d(2024, 3, 1), &refs, Explainer::new()).unwrap();
    assert_eq!(r.totals.due, money("2400.00") + money("420.00"));
    let indexation_steps = r
        .explanation
        .steps
        .iter()
        .filter(|s| s.rule.id.starts_with("INDEXATION"))
        .count();
    assert_eq!(indexation_steps, 2, "one per amount, not one per month");
    let err = compute(&c, d(2025, 3, 1), &refs, Explainer::new()).unwrap_err();
    assert_eq!(
        err,
        RuleError::MissingReference {
            kind: RefKind::Cpi,
            key: "2024-12".into(),
            date: d(2024, 12, 1),
        }
    );
}

#[test]
fn every_problem_of_a_case_is_reported_at_once() {
    let mut c = two_children();
    c.title.due_day = 40;
    c.title.creditors[0].last_month = Some(ym(2019, 5));
    c.title.creditors[1].id = "c1".into();
    c.title.creditors[1].amount = explicit(&[(ym(2020, 3), "-5.00")]);
    c.title.creditors.push(creditor(
        "old",
        ym(1900, 1),
        explicit(&[(ym(1900, 1), "1.00")]),
    ));
    c.title.creditors.push(creditor(
        "gap",
        ym(2019, 1),
        explicit(&[(ym(2020, 1), "1.00")]),
    ));
    c.payments = vec![
        Payment {
            amount: Money::from_decimal(dec!(1.005)),
            ..payment("p", d(2020, 1, 1), "1")
        },
        Payment {
            creditor_id: Some("nobody".into()),
            ..payment("p", d(2020, 1, 1), "-3")
        },
    ];
    c.acts = vec![LegalAct {
        creditor_ids: vec!["nobody".into()],
        covered: Some(MonthRange {
            first: ym(2020, 5),
            last: Some(ym(2020, 1)),
        }),
        ..act("", ActKind::Summons, d(2020, 1, 1))
    }];
    let err = compute(&c, d(2020, 6, 1), &rates(), Explainer::new()).unwrap_err();
    assert_eq!(
        fields(err),
        vec![
            "title.due_day",
            "title.creditors[0].last_month",
            "title.creditors[1].creditor_id",
            "title.creditors[1].amount.explicit_schedule.periods[0].amount",
            "title.creditors[2].first_month",
            "title.creditors[3].amount.explicit_schedule.periods",
            "payments[0].amount",
            "payments[1].payment_id",
            "payments[1].amount",
            "payments[1].creditor_id",
            "acts[0].act_id",
            "acts[0].creditor_ids[0]",
            "acts[0].covered_months.last_month",
        ]
    );
}

#[test]
fn a_hundred_years_of_lines_are_accepted_and_one_more_month_is_not() {
    let c = case(vec![creditor(
        "c1",
        ym(1920, 1),
        explicit(&[(ym(1920, 1), "10.00")]),
    )]);
    let r = run(&c, d(2020, 1, 1));
    assert_eq!(r.creditors[0].lines.len(), 1200);
    let err = compute(&c, d(2020, 1, 2), &rates(), Explainer::new()).unwrap_err();
    assert_eq!(fields(err), vec!["title.creditors[0].first_month"]);
}

#[test]
fn lines_cite_existing_steps_and_compact_explanations_have_no_details() {
    let mut c = seed_example_2();
    c.payments.push(payment("p1", d(2005, 1, 10), "300.00"));
    let full = run(&c, d(2007, 6, 1));
    let ids: HashSet<&str> = full
        .explanation
        .steps
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    for l in &full.creditors[0].lines {
        assert!(l.step_ids.iter().all(|s| ids.contains(s.as_str())));
    }
    let rules: HashSet<&str> = full.explanation.steps.iter().map(|s| s.rule.id).collect();
    for rule in [
        "INDEXATION_EXPLICIT",
        "INSTALMENT_DUE",
        "PAYMENT_APPLIED",
        "PRESCRIPTION_INTERRUPTED",
        "PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT",
        "PRESCRIPTION_FIVE_YEARS",
        "INTEREST_LEGAL_RATE",
        "ARREARS_TOTALS",
    ] {
        assert!(rules.contains(rule), "{rule} missing");
    }
    assert!(full.explanation.steps.iter().all(|s| !s.detail.is_empty()));
    let compact = compute(&c, d(2007, 6, 1), &rates(), Explainer::compact()).unwrap();
    assert!(
        compact
            .explanation
            .steps
            .iter()
            .all(|s| s.detail.is_empty())
    );
    assert_eq!(compact.totals, full.totals);
    assert_eq!(
        compact.explanation.steps.len(),
        full.explanation.steps.len()
    );
}

#[test]
fn an_instalment_counts_only_when_due_strictly_before_the_date() {
    let mut c = case(vec![creditor(
        "c1",
        ym(2023, 1),
        explicit(&[(ym(2023, 1), "10.00")]),
    )]);
    c.title.due_day = 31;
    let r = run(&c, d(2023, 2, 28));
    assert_eq!(
        r.creditors[0].lines.len(),
        1,
        "February's due date is the 28th"
    );
    let r = run(&c, d(2023, 3, 1));
    assert_eq!(r.creditors[0].lines[1].due_date, d(2023, 2, 28));
    let r = run(&c, d(2022, 12, 1));
    assert!(r.creditors[0].lines.is_empty());
    assert_eq!(r.totals, Totals::default());
}

/// The cross-check lives here because interest sits below arrears: the table claims exactly
/// the interest the interest calculation gives, time-barred lines at zero.
#[test]
fn the_table_claims_the_interest_the_interest_calculation_gives() {
    let mut c = seed_example_2_without_act();
    c.acts = vec![act("notice", ActKind::FormalNotice, d(2004, 7, 15))];
    let as_of = d(2007, 6, 1);
    let r = crate::interest::for_case(&c, as_of, &rates(), Explainer::new()).unwrap();
    assert_eq!(run(&c, as_of).totals.interest, r.total);
}

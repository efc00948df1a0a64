use super::*;
use crate::claim::{Payment, testkit::*};

const APPLICATION: (i32, u32, u32) = (2007, 6, 1);

fn application() -> NaiveDate {
    d(APPLICATION.0, APPLICATION.1, APPLICATION.2)
}

fn declared(rows: &[(&str, YearMonth, &str)]) -> DeclaredArrears {
    DeclaredArrears {
        due_day: 1,
        months: rows
            .iter()
            .map(|&(c, month, unpaid)| DeclaredUnpaidMonth {
                creditor_id: c.into(),
                month,
                unpaid: money(unpaid),
            })
            .collect(),
    }
}

fn check_declared(d: &DeclaredArrears) -> AdmissibilityResult {
    check(
        application(),
        Basis::Declared(d),
        &rates(),
        Explainer::new(),
    )
    .unwrap()
}

/// €150 a month from January 2006, every month paid in full except as listed.
fn paid_except(short: &[(u32, &str)]) -> ArrearsCase {
    let mut c = case(vec![creditor(
        "child",
        ym(2006, 1),
        explicit(&[(ym(2006, 1), "150.00")]),
    )]);
    let months = ym(2006, 1).iter_to(ym(2007, 5));
    c.payments = months
        .enumerate()
        .filter_map(|(i, m)| {
            let paid = match short.iter().find(|(sm, _)| m == ym(2006, *sm)) {
                Some((_, "0")) => return None,
                Some((_, part)) => *part,
                None => "150.00",
            };
            Some(Payment {
                for_month: Some(m),
                ..payment(&format!("p{i}"), m.day(5).unwrap(), paid)
            })
        })
        .collect();
    c
}

fn check_case(c: &ArrearsCase) -> AdmissibilityResult {
    check(application(), Basis::Case(c), &rates(), Explainer::new()).unwrap()
}

#[test]
fn unpaid_september_and_october_2006_are_admissible() {
    let r = check_declared(&declared(&[
        ("", ym(2006, 9), "150.00"),
        ("", ym(2006, 10), "150.00"),
    ]));
    assert!(r.admissible);
    assert_eq!(r.unpaid_months, vec![ym(2006, 9), ym(2006, 10)]);
    assert_eq!(r.window_start, d(2006, 6, 1));
    assert_eq!(r.window_end, application());
    assert_eq!(r.required_unpaid_months, 2);
    let last = r.explanation.steps.last().unwrap();
    assert_eq!(last.rule.id, "ADMISSIBILITY_TWO_UNPAID_MONTHS");
    assert_eq!(last.result.as_deref(), Some("2"));

    let r = check_case(&paid_except(&[(9, "0"), (10, "0")]));
    assert!(r.admissible);
    assert_eq!(r.unpaid_months, vec![ym(2006, 9), ym(2006, 10)]);
}

#[test]
fn partly_unpaid_september_and_december_2006_are_admissible() {
    let r = check_declared(&declared(&[
        ("child", ym(2006, 9), "50.00"),
        ("child", ym(2006, 12), "20.00"),
    ]));
    assert!(r.admissible);
    let r = check_case(&paid_except(&[(9, "100.00"), (12, "130.00")]));
    assert!(r.admissible);
    assert_eq!(r.unpaid_months, vec![ym(2006, 9), ym(2006, 12)]);
}

#[test]
fn one_month_or_months_outside_the_window_are_not_enough() {
    let r = check_declared(&declared(&[
        ("c1", ym(2006, 5), "150.00"),
        ("c1", ym(2006, 9), "150.00"),
        ("c2", ym(2006, 9), "150.00"),
        ("c1", ym(2007, 6), "150.00"),
    ]));
    assert!(!r.admissible);
    assert_eq!(r.unpaid_months, vec![ym(2006, 9)]);
    let r = check_case(&paid_except(&[(9, "0")]));
    assert!(!r.admissible);
    assert_eq!(r.unpaid_months.len(), 1);
    // June 2006 falls due on the window's first day: it counts.
    let r = check_declared(&declared(&[
        ("", ym(2006, 6), "1.00"),
        ("", ym(2007, 5), "1.00"),
    ]));
    assert!(r.admissible);
}

#[test]
fn a_declared_table_is_checked_all_at_once() {
    let mut t = declared(&[
        ("", ym(2006, 9), "150.00"),
        ("", ym(2006, 9), "10.00"),
        ("", ym(2006, 10), "-1.00"),
    ]);
    t.due_day = 32;
    let err = check(
        application(),
        Basis::Declared(&t),
        &rates(),
        Explainer::new(),
    )
    .unwrap_err();
    let RuleError::Invalid(v) = err else {
        panic!("expected invalid input")
    };
    let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["due_day", "months[1].month", "months[2].unpaid"]
    );
}

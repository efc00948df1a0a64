//! Payments and judgment-fixed arrears in the table.

use rust_decimal_macros::dec;

use super::*;

#[test]
fn a_tied_payment_pays_its_month_only_and_an_untied_one_the_oldest_open_instalments() {
    let mut c = two_children();
    c.payments = vec![
        Payment {
            for_month: Some(ym(2020, 3)),
            ..payment("tied", d(2020, 3, 5), "170.00")
        },
        payment("untied", d(2020, 4, 2), "120.00"),
        Payment {
            creditor_id: Some("c2".into()),
            ..payment("for-c2", d(2020, 4, 3), "60.00")
        },
    ];
    let r = run(&c, d(2020, 5, 1));
    // The tied payment pays March for both creditors (title order) and nothing else: the 20
    // beyond March is left unapplied, never moved to January.
    let tied = &r.payment_applications[0];
    let parts: Vec<(&str, YearMonth, Money)> = tied
        .parts
        .iter()
        .map(|p| (p.creditor_id.as_str(), p.month, p.amount))
        .collect();
    assert_eq!(
        parts,
        vec![
            ("c1", ym(2020, 3), money("100.00")),
            ("c2", ym(2020, 3), money("50.00")),
        ]
    );
    assert_eq!(tied.unapplied, money("20.00"));
    // Untied: January c1 (100), January c2 (20 of 50).
    let untied = &r.payment_applications[1];
    assert_eq!(untied.parts.len(), 2);
    assert_eq!(untied.parts[1].creditor_id, "c2");
    assert_eq!(untied.parts[1].amount, money("20.00"));
    // For c2 only: rest of January (30), February (30 of 50).
    let for_c2 = &r.payment_applications[2];
    assert!(for_c2.parts.iter().all(|p| p.creditor_id == "c2"));
    assert_eq!(for_c2.unapplied, Money::ZERO);
    assert_eq!(r.totals.paid, money("330.00"));
    assert_eq!(r.totals.unpaid, money("270.00"));
    assert_eq!(r.overpayment, money("20.00"));
    assert_eq!(line(&r, 0, ym(2020, 1)).status, LineStatus::Paid);
    assert_eq!(line(&r, 1, ym(2020, 2)).paid, money("30.00"));
    assert_eq!(line(&r, 0, ym(2020, 2)).paid, Money::ZERO);
    assert!(line(&r, 0, ym(2020, 1)).step_ids.len() >= 3);
}

#[test]
fn a_payment_tied_to_a_month_not_yet_due_stays_a_prepayment_for_it() {
    let mut c = two_children();
    c.payments = vec![Payment {
        for_month: Some(ym(2020, 6)),
        ..payment("june", d(2020, 4, 20), "150.00")
    }];
    // On 1 May June is not due: the payment pays no older month, it waits for June.
    let r = run(&c, d(2020, 5, 1));
    let june = &r.payment_applications[0];
    assert!(june.counted && june.parts.is_empty(), "{june:?}");
    assert_eq!(june.unapplied, money("150.00"));
    assert_eq!(r.totals.paid, Money::ZERO);
    assert_eq!(r.totals.unpaid, money("600.00"));
    // Once June is due, it pays June.
    let r = run(&c, d(2020, 6, 2));
    let june = &r.payment_applications[0];
    assert_eq!(june.unapplied, Money::ZERO);
    assert!(june.parts.iter().all(|p| p.month == ym(2020, 6)));
    assert_eq!(line(&r, 0, ym(2020, 6)).status, LineStatus::Paid);
    assert_eq!(line(&r, 0, ym(2020, 1)).paid, Money::ZERO);
}

#[test]
fn what_exceeds_everything_due_is_an_overpayment_and_late_payments_do_not_count() {
    let mut c = two_children();
    c.payments = vec![
        payment("big", d(2020, 2, 10), "1000.00"),
        payment("later", d(2020, 5, 2), "80.00"),
    ];
    let r = run(&c, d(2020, 5, 1));
    assert_eq!(r.totals.unpaid, Money::ZERO);
    assert_eq!(r.totals.paid, money("600.00"));
    assert_eq!(r.overpayment, money("400.00"));
    assert_eq!(r.payment_applications[0].unapplied, money("400.00"));
    let later = &r.payment_applications[1];
    assert!(!later.counted && later.parts.is_empty());
    assert_eq!(later.unapplied, Money::ZERO);
    assert!(
        r.creditors
            .iter()
            .flat_map(|c| &c.lines)
            .all(|l| !l.unpaid.is_negative())
    );
    assert!(
        r.explanation
            .steps
            .iter()
            .any(|s| s.rule.id == "PAYMENT_NOT_COUNTED" && s.subject == "later")
    );
}

#[test]
fn a_judgments_lump_sum_replaces_its_months_and_runs_ten_years() {
    let mut c = case(vec![creditor(
        "c1",
        ym(2000, 1),
        explicit(&[(ym(2000, 1), "100.00")]),
    )]);
    c.judgments.push(JudgmentArrears {
        id: "j1".into(),
        creditor_id: "c1".into(),
        date: d(2002, 3, 10),
        covered: MonthRange {
            first: ym(2000, 1),
            last: Some(ym(2001, 12)),
        },
        lump_sum: Some(money("2000.00")),
    });
    let r = run(&c, d(2008, 1, 1));
    let lines = &r.creditors[0].lines;
    assert_eq!(lines[0].kind, LineKind::JudgmentLumpSum);
    assert_eq!(lines[0].month, ym(2001, 12));
    assert_eq!(lines[0].due_date, d(2002, 3, 10));
    assert_eq!(lines[0].prescription_limit, d(2012, 3, 10));
    assert_eq!(lines[0].limitation_set_by, "j1");
    assert_eq!(lines[0].status, LineStatus::Open);
    assert_eq!(lines[1].month, ym(2002, 1));
    // January 2002 to December 2002 are barred (due + 5 years before 2008-01-01).
    assert_eq!(lines[1].status, LineStatus::TimeBarred);
    assert_eq!(
        r.totals.due,
        money("2000.00") + money("100.00").mul_decimal(dec!(72))
    );
    assert_eq!(r.year_totals[0].year, 2001);
}

#[test]
fn a_judgment_without_lump_sum_gives_its_months_ten_years() {
    let mut c = case(vec![creditor(
        "c1",
        ym(2000, 1),
        explicit(&[(ym(2000, 1), "100.00")]),
    )]);
    c.judgments.push(JudgmentArrears {
        id: "j1".into(),
        creditor_id: "c1".into(),
        date: d(2002, 3, 10),
        covered: MonthRange {
            first: ym(2000, 1),
            last: Some(ym(2001, 12)),
        },
        lump_sum: None,
    });
    let r = run(&c, d(2008, 1, 1));
    assert_eq!(line(&r, 0, ym(2000, 1)).prescription_limit, d(2012, 3, 10));
    assert_eq!(line(&r, 0, ym(2000, 1)).status, LineStatus::Open);
    assert_eq!(line(&r, 0, ym(2002, 3)).prescription_limit, d(2007, 3, 1));
    assert_eq!(line(&r, 0, ym(2002, 3)).status, LineStatus::TimeBarred);
}

use secal_domain::YearMonth;

use super::*;
use crate::claim::{
    ActKind, JudgmentArrears, LegalAct, MonthRange, Payment, TitleCreditor, testkit::*,
};

fn run(case: &ArrearsCase, as_of: NaiveDate) -> PrescriptionResult {
    compute(case, as_of, &rates(), Explainer::new()).unwrap()
}

fn at(r: &PrescriptionResult, creditor: &str, month: YearMonth) -> PrescriptionLine {
    r.lines
        .iter()
        .find(|l| l.creditor_id == creditor && l.month == month)
        .cloned()
        .unwrap()
}

fn hundred_a_month(id: &str, first: YearMonth) -> TitleCreditor {
    creditor(id, first, explicit(&[(first, "100.00")]))
}

fn reasons(l: &PrescriptionLine) -> Vec<(&str, bool, &str)> {
    l.changes
        .iter()
        .map(|c| (c.source_id.as_str(), c.applied, c.reason.as_str()))
        .collect()
}

#[test]
fn five_years_from_the_due_date_and_29_february_gives_28_february() {
    let mut c = case(vec![TitleCreditor {
        last_month: Some(ym(2004, 2)),
        ..hundred_a_month("c1", ym(2004, 2))
    }]);
    c.title.due_day = 29;
    let l = &run(&c, d(2009, 2, 28)).lines[0];
    assert_eq!(l.due_date, d(2004, 2, 29));
    assert_eq!(l.prescription_limit, d(2009, 2, 28));
    assert!(!l.time_barred);
    assert!(run(&c, d(2009, 3, 1)).lines[0].time_barred);
}

#[test]
fn a_payment_order_restarts_five_years_for_the_months_it_covers() {
    let r = run(&seed_example_2(), d(2007, 6, 1));
    let jan = at(&r, "child", ym(2002, 1));
    assert_eq!(jan.prescription_limit, d(2009, 7, 15));
    assert_eq!(jan.limitation_set_by, "order-2004-07");
    assert_eq!(reasons(&jan), vec![("order-2004-07", true, "")]);
    assert_eq!(jan.changes[0].proposed_limit, d(2009, 7, 15));
    let aug = at(&r, "child", ym(2004, 8));
    assert_eq!(
        reasons(&aug),
        vec![("order-2004-07", false, "not covered by the act")]
    );
    assert_eq!(aug.prescription_limit, d(2009, 8, 1));
    assert!(r.lines.iter().all(|l| !l.time_barred));
    let rules: Vec<&str> = r.explanation.steps.iter().map(|s| s.rule.id).collect();
    assert!(rules.contains(&"PRESCRIPTION_INTERRUPTED"));
    assert!(rules.contains(&"PRESCRIPTION_FIVE_YEARS"));
}

#[test]
fn formal_notices_and_judgment_acts_do_not_interrupt() {
    let mut c = seed_example_2_without_act();
    c.acts = vec![
        act("notice", ActKind::FormalNotice, d(2004, 7, 15)),
        act("judgment", ActKind::Judgment, d(2005, 7, 15)),
    ];
    let r = run(&c, d(2007, 6, 1));
    let jan = at(&r, "child", ym(2002, 1));
    assert!(jan.time_barred);
    assert!(jan.changes.is_empty());
    assert_eq!(r.lines.iter().filter(|l| l.time_barred).count(), 5);
}

#[test]
fn an_act_neither_revives_a_barred_instalment_nor_reaches_one_not_yet_due() {
    let mut c = case(vec![hundred_a_month("c1", ym(2000, 1))]);
    c.acts = vec![act("s1", ActKind::Summons, d(2005, 1, 15))];
    let r = run(&c, d(2006, 1, 1));
    let jan = at(&r, "c1", ym(2000, 1));
    assert_eq!(
        reasons(&jan),
        vec![("s1", false, "already time-barred on the act's date")]
    );
    assert!(jan.time_barred);
    let feb = at(&r, "c1", ym(2000, 2));
    assert_eq!(feb.prescription_limit, d(2010, 1, 15));
    let later = at(&r, "c1", ym(2005, 2));
    assert_eq!(
        reasons(&later),
        vec![("s1", false, "not yet due on the act's date")]
    );
}

#[test]
fn the_latest_limit_wins_and_a_judgment_gives_ten_years() {
    let mut c = case(vec![hundred_a_month("c1", ym(2000, 1))]);
    c.judgments.push(JudgmentArrears {
        id: "j1".into(),
        creditor_id: "c1".into(),
        date: d(2001, 6, 1),
        covered: MonthRange {
            first: ym(2000, 1),
            last: Some(ym(2000, 12)),
        },
        lump_sum: None,
    });
    c.acts = vec![
        act("s1", ActKind::Summons, d(2003, 1, 10)),
        act("s2", ActKind::Seizure, d(2008, 3, 10)),
    ];
    let r = run(&c, d(2012, 1, 1));
    let jan = at(&r, "c1", ym(2000, 1));
    assert_eq!(
        reasons(&jan),
        vec![
            ("j1", true, ""),
            ("s1", false, "a later or equal limit is already set"),
            ("s2", true, ""),
        ]
    );
    assert_eq!(jan.prescription_limit, d(2013, 3, 10));
    // Not fixed by the judgment: the summons moved it to 2008-01-10, too early for s2.
    let y2001 = at(&r, "c1", ym(2001, 3));
    assert_eq!(
        reasons(&y2001),
        vec![
            ("s1", true, ""),
            ("s2", false, "already time-barred on the act's date"),
        ]
    );
    assert_eq!(y2001.prescription_limit, d(2008, 1, 10));
    assert!(y2001.time_barred);
    // Due after the judgment: five years, not ten.
    let after = at(&r, "c1", ym(2001, 7));
    assert!(after.changes.iter().all(|c| c.source_id != "j1"));
}

#[test]
fn a_part_payment_acknowledges_what_is_still_owed_after_it() {
    let mut c = case(vec![
        hundred_a_month("c1", ym(2000, 1)),
        hundred_a_month("c2", ym(2000, 1)),
    ]);
    c.title.creditors[0].last_month = Some(ym(2000, 12));
    c.title.creditors[1].last_month = Some(ym(2000, 12));
    c.payments = vec![
        Payment {
            creditor_id: Some("c1".into()),
            ..payment("p1", d(2001, 1, 10), "150.00")
        },
        payment("p2", d(2005, 6, 1), "10.00"),
    ];
    let r = run(&c, d(2010, 1, 1));
    let c1_jan = at(&r, "c1", ym(2000, 1));
    assert_eq!(
        reasons(&c1_jan),
        vec![("p1", false, "fully paid after the payment")]
    );
    let c1_feb = at(&r, "c1", ym(2000, 2));
    assert_eq!(reasons(&c1_feb)[0], ("p1", true, ""));
    assert_eq!(c1_feb.changes[0].proposed_limit, d(2006, 1, 10));
    // p2 on 2005-06-01: c1's months were kept alive by p1; c2's January to May are barred.
    assert_eq!(c1_feb.prescription_limit, d(2010, 6, 1));
    assert_eq!(c1_feb.limitation_set_by, "p2");
    assert!(!c1_feb.time_barred);
    let c2_jan = at(&r, "c2", ym(2000, 1));
    assert_eq!(
        reasons(&c2_jan),
        vec![("p2", false, "already time-barred on the payment's date")]
    );
    assert!(c2_jan.time_barred);
    let c2_jun = at(&r, "c2", ym(2000, 6));
    assert_eq!(c2_jun.prescription_limit, d(2010, 6, 1));
    assert!(!c2_jun.time_barred);
    assert!(
        r.explanation
            .steps
            .iter()
            .any(|s| s.rule.id == "PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT")
    );
}

#[test]
fn an_act_for_one_creditor_leaves_the_others_alone() {
    let mut c = case(vec![
        hundred_a_month("c1", ym(2000, 1)),
        hundred_a_month("c2", ym(2000, 1)),
    ]);
    c.acts = vec![LegalAct {
        creditor_ids: vec!["c2".into()],
        ..act("a1", ActKind::DebtorAcknowledgement, d(2004, 1, 1))
    }];
    let r = run(&c, d(2006, 1, 1));
    assert!(at(&r, "c1", ym(2000, 6)).time_barred);
    assert!(at(&r, "c1", ym(2000, 6)).changes.is_empty());
    let c2 = at(&r, "c2", ym(2000, 6));
    assert!(!c2.time_barred);
    assert_eq!(c2.limitation_set_by, "a1");
}

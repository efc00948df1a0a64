//! Properties of the arrears table over generated cases.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::{
    admissibility,
    claim::{
        ActKind, JudgmentArrears, LegalAct, MonthRange, Payment, Title, TitleCreditor,
        testkit::{d, rate},
    },
    indexation::{AmountPeriod, AmountRule},
    interest, prescription,
    reference::ReferenceTable,
};

/// A rate for every year the generated dates can reach.
fn rates() -> ReferenceTable {
    ReferenceTable::new((1995..=2035).map(|y| rate(y, if y % 2 == 0 { "4.50" } else { "7.00" })))
        .unwrap()
}

fn month() -> impl Strategy<Value = YearMonth> {
    (2000i32..2012, 1u32..=12).prop_map(|(y, m)| YearMonth::new(y, m).unwrap())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (2000i32..2016, 1u32..=12, 1u32..=28).prop_map(|(y, m, day)| d(y, m, day))
}

fn cents(max: i64) -> impl Strategy<Value = Money> {
    (0..=max).prop_map(Money::from_cents)
}

fn creditor() -> impl Strategy<Value = (YearMonth, Option<u8>, Vec<(u8, Money)>)> {
    (
        month(),
        proptest::option::of(0u8..80),
        proptest::collection::vec((1u8..30, cents(50_000)), 1..4),
    )
}

fn act_kind() -> impl Strategy<Value = ActKind> {
    prop_oneof![
        Just(ActKind::FormalNotice),
        Just(ActKind::Summons),
        Just(ActKind::PaymentOrder),
        Just(ActKind::Seizure),
        Just(ActKind::DebtorAcknowledgement),
        Just(ActKind::Judgment),
    ]
}

fn act(n: usize) -> impl Strategy<Value = LegalAct> {
    (
        act_kind(),
        date(),
        proptest::option::of((0..n, 0..n)),
        proptest::option::of((month(), 0i32..60)),
    )
        .prop_map(|(kind, date, creditors, covered)| LegalAct {
            id: String::new(),
            kind,
            date,
            creditor_ids: creditors
                .map(|(a, b)| vec![format!("c{a}"), format!("c{b}")])
                .unwrap_or_default(),
            covered: covered.map(|(first, len)| MonthRange {
                first,
                last: first.add_months(len),
            }),
        })
}

fn payment(n: usize) -> impl Strategy<Value = Payment> {
    (
        date(),
        (1i64..60_000).prop_map(Money::from_cents),
        proptest::option::of(month()),
        proptest::option::of(0..n),
    )
        .prop_map(|(paid_on, amount, for_month, c)| Payment {
            id: String::new(),
            paid_on,
            amount,
            for_month,
            creditor_id: c.map(|c| format!("c{c}")),
        })
}

/// A valid case and a calculation date.
fn case_and_date() -> impl Strategy<Value = (ArrearsCase, NaiveDate)> {
    (
        0i32..=31,
        proptest::collection::vec(creditor(), 1..4),
        (2001i32..2017, 1u32..=12, 1u32..=28),
    )
        .prop_flat_map(|(due_day, creditors, (y, m, day))| {
            let n = creditors.len();
            (
                Just(due_day),
                Just(creditors),
                Just(d(y, m, day)),
                proptest::collection::vec(payment(n), 0..8),
                proptest::collection::vec(act(n), 0..4),
            )
        })
        .prop_map(|(due_day, creditors, as_of, payments, acts)| {
            let creditors = creditors
                .into_iter()
                .enumerate()
                .map(|(i, (first, len, steps))| {
                    let mut periods = Vec::new();
                    let mut start = first;
                    for (gap, amount) in steps {
                        periods.push(AmountPeriod {
                            first: start,
                            last: None,
                            amount,
                        });
                        start = start.add_months(i32::from(gap)).unwrap();
                    }
                    TitleCreditor {
                        id: format!("c{i}"),
                        first_month: first,
                        last_month: len.and_then(|l| first.add_months(i32::from(l))),
                        amount: AmountRule::Explicit(periods),
                    }
                })
                .collect();
            let mut case = ArrearsCase {
                title: Title { due_day, creditors },
                payments,
                acts,
                judgments: vec![],
            };
            for (i, p) in case.payments.iter_mut().enumerate() {
                p.id = format!("p{i}");
            }
            for (i, a) in case.acts.iter_mut().enumerate() {
                a.id = format!("a{i}");
            }
            (case, as_of)
        })
}

fn run(case: &ArrearsCase, as_of: NaiveDate) -> ArrearsResult {
    compute(case, as_of, &rates(), Explainer::compact()).unwrap()
}

fn sum(lines: &[ArrearsLine]) -> Totals {
    let mut t = Totals::default();
    for l in lines {
        t.due += l.due;
        t.paid += l.paid;
        t.unpaid += l.unpaid;
        if l.status == LineStatus::TimeBarred {
            t.time_barred += l.unpaid;
        }
        t.interest += l.interest;
    }
    t.claimable = t.unpaid - t.time_barred;
    t
}

fn barred(r: &ArrearsResult) -> HashSet<(String, YearMonth)> {
    r.creditors
        .iter()
        .flat_map(|c| {
            c.lines
                .iter()
                .filter(|l| l.status == LineStatus::TimeBarred)
                .map(|l| (c.creditor_id.clone(), l.month))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn totals_are_the_sums_of_the_lines((case, as_of) in case_and_date()) {
        let r = run(&case, as_of);
        let mut all = Vec::new();
        for c in &r.creditors {
            prop_assert_eq!(sum(&c.lines), c.totals);
            for y in &c.year_totals {
                let of_year: Vec<ArrearsLine> =
                    c.lines.iter().filter(|l| l.month.year() == y.year).cloned().collect();
                prop_assert_eq!(sum(&of_year), y.totals);
            }
            for l in &c.lines {
                prop_assert!(!l.unpaid.is_negative() && l.paid <= l.due);
                prop_assert!(!l.interest.is_negative());
                prop_assert!(l.interest.is_whole_cents());
            }
            all.extend(c.lines.iter().cloned());
        }
        prop_assert_eq!(sum(&all), r.totals);
        let years: Vec<ArrearsLine> = all.clone();
        for y in &r.year_totals {
            let of_year: Vec<ArrearsLine> =
                years.iter().filter(|l| l.month.year() == y.year).cloned().collect();
            prop_assert_eq!(sum(&of_year), y.totals);
        }
        let paid: Money = r.payment_applications.iter().flat_map(|a| &a.parts).map(|p| p.amount).sum();
        prop_assert_eq!(paid, r.totals.paid);
        for a in &r.payment_applications {
            let applied: Money = a.parts.iter().map(|p| p.amount).sum();
            if a.counted {
                prop_assert_eq!(applied + a.unapplied, a.amount);
            }
        }
    }

    #[test]
    fn paying_everything_clears_the_table_and_more_is_the_overpayment(
        (mut case, as_of) in case_and_date(),
        extra in 0i64..100_000,
        tied in any::<bool>(),
    ) {
        case.payments.clear();
        let due = run(&case, as_of);
        let extra = Money::from_cents(extra);
        if tied {
            // One payment per line, tied to its month and creditor.
            for c in &due.creditors {
                for l in &c.lines {
                    case.payments.push(Payment {
                        id: format!("p{}", case.payments.len()),
                        paid_on: as_of,
                        amount: l.due.max(Money::from_cents(1)),
                        for_month: Some(l.month),
                        creditor_id: Some(c.creditor_id.clone()),
                    });
                }
            }
        }
        let tied_total: Money = case.payments.iter().map(|p| p.amount).sum();
        let rest = due.totals.due + extra - tied_total;
        if rest.is_positive() {
            case.payments.push(Payment {
                id: "rest".into(),
                paid_on: as_of,
                amount: rest,
                for_month: None,
                creditor_id: None,
            });
        }
        let r = run(&case, as_of);
        prop_assert_eq!(r.totals.unpaid, Money::ZERO);
        prop_assert_eq!(r.totals.paid, due.totals.due);
        let paid_in: Money = case.payments.iter().map(|p| p.amount).sum();
        prop_assert_eq!(r.overpayment, paid_in - due.totals.due);
        if !tied {
            prop_assert_eq!(r.overpayment, extra);
        }
    }

    #[test]
    fn an_interrupting_act_never_makes_more_instalments_time_barred(
        (case, as_of) in case_and_date(),
        added in act(3),
    ) {
        let before = barred(&run(&case, as_of));
        let mut with = case.clone();
        let kind = if added.kind.interrupts_prescription() { added.kind } else { ActKind::Summons };
        with.acts.push(LegalAct {
            id: "added".into(),
            kind,
            creditor_ids: added.creditor_ids.into_iter()
                .filter(|c| case.title.creditors.iter().any(|t| &t.id == c))
                .collect(),
            ..added
        });
        let after = barred(&run(&with, as_of));
        prop_assert!(after.is_subset(&before), "newly barred: {:?}", after.difference(&before));
    }

    #[test]
    fn interest_is_never_negative_and_zero_without_an_interest_starting_act(
        (mut case, as_of) in case_and_date(),
    ) {
        let r = interest::for_case(&case, as_of, &rates(), Explainer::compact()).unwrap();
        prop_assert!(r.lines.iter().all(|l| !l.interest.is_negative()));
        prop_assert!(r.lines.iter().flat_map(|l| &l.periods).all(|p| p.balance.is_positive() && p.days > 0));
        prop_assert_eq!(r.total, run(&case, as_of).totals.interest);
        case.acts.retain(|a| !a.kind.starts_interest());
        let r = run(&case, as_of);
        prop_assert_eq!(r.totals.interest, Money::ZERO);
        prop_assert!(r.creditors.iter().flat_map(|c| &c.lines).all(|l| l.interest_from.is_none()));
    }

    #[test]
    fn nothing_panics_on_arbitrary_inputs(
        (mut case, as_of) in case_and_date(),
        due_day in -3i32..40,
        negative in any::<bool>(),
        duplicate in any::<bool>(),
        judgment in proptest::option::of((month(), 0i32..30, date(), proptest::option::of(cents(900_000)))),
    ) {
        case.title.due_day = due_day;
        if negative && let Some(p) = case.payments.first_mut() {
            p.amount = -p.amount;
        }
        if duplicate && case.acts.len() > 1 {
            case.acts[1].id = case.acts[0].id.clone();
        }
        if let Some((first, len, date, lump_sum)) = judgment {
            case.judgments.push(JudgmentArrears {
                id: "j".into(),
                creditor_id: "c0".into(),
                date,
                covered: MonthRange { first, last: first.add_months(len) },
                lump_sum,
            });
        }
        let refs = rates();
        let _ = compute(&case, as_of, &refs, Explainer::new());
        let _ = prescription::compute(&case, as_of, &refs, Explainer::new());
        let _ = interest::for_case(&case, as_of, &refs, Explainer::new());
        let _ = admissibility::check(as_of, admissibility::Basis::Case(&case), &refs, Explainer::new());
        let empty = ReferenceTable::default();
        let _ = compute(&case, as_of, &empty, Explainer::new());
    }
}

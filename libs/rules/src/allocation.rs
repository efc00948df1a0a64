//! The order in which a debtor's money is allocated over what he owes on a dossier (DOMAIN:
//! "an untied payment pays the oldest open instalment first"; the rest is a house decision),
//! versioned: [`ORDER_VERSION`] is stored with every allocation line, so a change of the order
//! gets a new version and what was allocated before keeps reporting its own.
//!
//! Order (allocation order version "2024-1"):
//! 1. a payment tied to a month first reimburses the advances SECAL paid for that month;
//! 2. the rest goes to that month's maintenance still owed to the creditors;
//! 3. then arrears, oldest month first (within a month: SECAL's advance first, then the
//!    creditor's remainder, as in steps 1-2);
//! 4. then interest;
//! 5. then the surcharge.
//!
//! What remains after everything due is an overpayment kept on the dossier (unallocated),
//! never lost. An untied payment starts at step 3.
//!
//! House choices where the law is silent: several creditors in one month (or with interest)
//! are served one after the other in creditor-id order, not pro rata (deterministic, and a
//! month is normally paid in full); months later than the tied month count as arrears too
//! (oldest first) once the earlier ones are paid; interest before surcharge because interest
//! belongs to the creditors' claims while the surcharge is SECAL's fee.
//!
//! Amounts are in cents: the payments service keeps its ledger in cents.

use chrono::NaiveDate;

/// Stored with every allocation line: a change of the order above gets a new version, and
/// payments allocated before it keep reporting the order they were allocated under.
pub const ORDER_VERSION: &str = "2024-1";

/// What is still open for one creditor and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthDebt {
    pub month: NaiveDate,
    pub creditor: String,
    /// Advances SECAL paid and not yet reimbursed.
    pub service_open: i64,
    /// Maintenance owed to the creditor beyond the advance, not yet paid.
    pub creditor_open: i64,
}

/// Everything the debtor still owes on a dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenDebts {
    pub months: Vec<MonthDebt>,
    /// Interest per creditor.
    pub interest: Vec<(String, i64)>,
    pub surcharge: i64,
}

impl OpenDebts {
    pub fn total(&self) -> i64 {
        self.months
            .iter()
            .map(|m| m.service_open + m.creditor_open)
            .chain(self.interest.iter().map(|(_, c)| *c))
            .sum::<i64>()
            + self.surcharge
    }
}

/// What a line of an allocation pays. The discriminants are stored with every allocation
/// line and are the values of the contract's `AllocationTarget`: they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    AdvanceReimbursement = 1,
    MonthMaintenance = 2,
    Arrears = 3,
    Interest = 4,
    Surcharge = 5,
}

/// One part of an allocation; `to_service` when SECAL receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub target: Target,
    pub month: Option<NaiveDate>,
    pub creditor: Option<String>,
    pub cents: i64,
    pub to_service: bool,
}

/// Allocates `cents` over `debts`; returns the lines in order and the unallocated rest.
pub fn allocate(cents: i64, for_month: Option<NaiveDate>, debts: &OpenDebts) -> (Vec<Line>, i64) {
    let mut rest = cents.max(0);
    let mut lines = Vec::new();
    let mut take = |rest: &mut i64, open: i64, line: Line| {
        let c = open.min(*rest);
        if c > 0 {
            *rest -= c;
            lines.push(Line { cents: c, ..line });
        }
    };
    let mut months = debts.months.clone();
    months.sort_by(|a, b| (a.month, &a.creditor).cmp(&(b.month, &b.creditor)));
    let tied: Vec<&MonthDebt> = months
        .iter()
        .filter(|m| Some(m.month) == for_month)
        .collect();
    for m in &tied {
        take(
            &mut rest,
            m.service_open,
            line(Target::AdvanceReimbursement, m, true),
        );
    }
    for m in &tied {
        take(
            &mut rest,
            m.creditor_open,
            line(Target::MonthMaintenance, m, false),
        );
    }
    let mut arrears: Vec<&MonthDebt> = months
        .iter()
        .filter(|m| Some(m.month) != for_month)
        .collect();
    arrears.sort_by_key(|m| m.month);
    let mut i = 0;
    while i < arrears.len() {
        let month = arrears[i].month;
        let same: Vec<&MonthDebt> = arrears[i..]
            .iter()
            .take_while(|m| m.month == month)
            .copied()
            .collect();
        for m in &same {
            take(&mut rest, m.service_open, line(Target::Arrears, m, true));
        }
        for m in &same {
            take(&mut rest, m.creditor_open, line(Target::Arrears, m, false));
        }
        i += same.len();
    }
    let mut interest = debts.interest.clone();
    interest.sort();
    for (creditor, open) in interest {
        let l = Line {
            target: Target::Interest,
            month: None,
            creditor: Some(creditor),
            cents: 0,
            to_service: false,
        };
        take(&mut rest, open, l);
    }
    let l = Line {
        target: Target::Surcharge,
        month: None,
        creditor: None,
        cents: 0,
        to_service: true,
    };
    take(&mut rest, debts.surcharge, l);
    (lines, rest)
}

fn line(target: Target, m: &MonthDebt, to_service: bool) -> Line {
    Line {
        target,
        month: Some(m.month),
        creditor: Some(m.creditor.clone()),
        cents: 0,
        to_service,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, m, 1).unwrap_or_default()
    }

    fn md(m: u32, creditor: &str, service_open: i64, creditor_open: i64) -> MonthDebt {
        MonthDebt {
            month: month(m),
            creditor: creditor.into(),
            service_open,
            creditor_open,
        }
    }

    fn debts() -> OpenDebts {
        OpenDebts {
            months: vec![
                md(5, "a", 17_500, 2_500),
                md(3, "a", 17_500, 2_500),
                md(4, "a", 0, 20_000),
            ],
            interest: vec![("a".into(), 1_000)],
            surcharge: 3_000,
        }
    }

    fn summary(lines: &[Line]) -> Vec<(Target, Option<u32>, i64, bool)> {
        use chrono::Datelike;
        lines
            .iter()
            .map(|l| (l.target, l.month.map(|m| m.month()), l.cents, l.to_service))
            .collect()
    }

    #[test]
    fn a_tied_payment_reimburses_the_advance_then_the_month_then_arrears_oldest_first() {
        let (lines, rest) = allocate(45_000, Some(month(5)), &debts());
        assert_eq!(
            summary(&lines),
            [
                (Target::AdvanceReimbursement, Some(5), 17_500, true),
                (Target::MonthMaintenance, Some(5), 2_500, false),
                (Target::Arrears, Some(3), 17_500, true),
                (Target::Arrears, Some(3), 2_500, false),
                (Target::Arrears, Some(4), 5_000, false),
            ]
        );
        assert_eq!(rest, 0);
    }

    #[test]
    fn a_partial_tied_payment_stops_inside_the_advance() {
        let (lines, rest) = allocate(10_000, Some(month(5)), &debts());
        assert_eq!(
            summary(&lines),
            [(Target::AdvanceReimbursement, Some(5), 10_000, true)]
        );
        assert_eq!(rest, 0);
    }

    #[test]
    fn an_untied_payment_starts_with_the_oldest_month_and_ends_with_interest_then_surcharge() {
        let total = debts().total();
        let (lines, rest) = allocate(total + 123, None, &debts());
        let s = summary(&lines);
        assert_eq!(s[0], (Target::Arrears, Some(3), 17_500, true));
        assert_eq!(s[s.len() - 2], (Target::Interest, None, 1_000, false));
        assert_eq!(s[s.len() - 1], (Target::Surcharge, None, 3_000, true));
        assert_eq!(rest, 123, "an overpayment is kept, not lost");
        assert_eq!(lines.iter().map(|l| l.cents).sum::<i64>(), total);
    }

    #[test]
    fn several_creditors_in_a_month_are_served_in_creditor_order_advances_first() {
        let d = OpenDebts {
            months: vec![md(5, "b", 100, 50), md(5, "a", 100, 50)],
            ..Default::default()
        };
        let (lines, _) = allocate(250, Some(month(5)), &d);
        let who: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.creditor.clone().unwrap_or_default(),
                    l.to_service,
                    l.cents,
                )
            })
            .collect();
        assert_eq!(
            who,
            [
                ("a".into(), true, 100),
                ("b".into(), true, 100),
                ("a".into(), false, 50)
            ]
        );
    }

    #[test]
    fn nothing_is_allocated_from_nothing() {
        assert_eq!(allocate(0, None, &debts()), (vec![], 0));
        assert_eq!(allocate(500, None, &OpenDebts::default()), (vec![], 500));
    }
}

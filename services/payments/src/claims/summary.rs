//! What the dues run's fast path must know of an account's booked table (`claim_lines`),
//! kept on the account's row (`claim_accounts`, migration 0027) by the table's two writers: a
//! full booking, which replaces the table (`book`), and the fast path, which appends months
//! (`fast`). Reading it from the lines cost the run a scan of every line of every dossier
//! each month (eleven lines a dossier in the bench, sixty after five years); the row is one.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use secal_proto::v1 as pb;

use super::target::Line;

/// The summary of a booked table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineSummary {
    /// Per creditor, the last month in the table.
    pub last_months: BTreeMap<String, NaiveDate>,
    /// A line carries interest or its start: the fast path cannot book the account.
    pub interest: bool,
    /// The earliest prescription limit of an open, unpaid part: from the day after it the
    /// account has a line to bar, which the fast path does not do.
    pub next_prescription: Option<NaiveDate>,
}

impl LineSummary {
    /// The summary of a whole table.
    pub fn of(lines: &[Line]) -> Self {
        let mut s = Self::default();
        s.extend(lines);
        s.interest = lines
            .iter()
            .any(|l| l.interest != 0 || l.interest_from.is_some());
        s
    }

    /// As stored on the account's row (the two arrays are parallel, creditors in order).
    pub fn from_row(
        creditors: Vec<String>,
        last_months: Vec<NaiveDate>,
        interest: bool,
        next_prescription: Option<NaiveDate>,
    ) -> Self {
        Self {
            last_months: creditors.into_iter().zip(last_months).collect(),
            interest,
            next_prescription,
        }
    }

    /// Months appended to the table (the fast path's lines: no interest).
    pub fn extend(&mut self, lines: &[Line]) {
        for l in lines {
            let last = self
                .last_months
                .entry(l.creditor.clone())
                .or_insert(l.month);
            *last = (*last).max(l.month);
            if l.status == pb::InstalmentStatus::Open && l.unpaid > 0 {
                self.next_prescription =
                    Some(self.next_prescription.map_or(l.limit, |n| n.min(l.limit)));
            }
        }
    }

    pub fn creditors(&self) -> Vec<&str> {
        self.last_months.keys().map(String::as_str).collect()
    }

    pub fn months(&self) -> Vec<NaiveDate> {
        self.last_months.values().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn line(creditor: &str, month: NaiveDate, limit: NaiveDate, unpaid: i64) -> Line {
        Line {
            creditor: creditor.into(),
            position: 0,
            kind: pb::ArrearsLineKind::Instalment,
            month,
            due_date: month,
            due: 100,
            unpaid,
            status: if unpaid > 0 {
                pb::InstalmentStatus::Open
            } else {
                pb::InstalmentStatus::Paid
            },
            limit,
            limitation_set_by: String::new(),
            interest: 0,
            interest_from: None,
        }
    }

    #[test]
    fn the_last_month_per_creditor_and_the_earliest_open_limit() {
        let lines = [
            line("b", day(2026, 3, 1), day(2031, 3, 1), 100),
            line("a", day(2026, 1, 1), day(2030, 1, 1), 0),
            line("a", day(2026, 2, 1), day(2031, 2, 1), 50),
        ];
        let s = LineSummary::of(&lines);
        assert_eq!(s.creditors(), ["a", "b"]);
        assert_eq!(s.months(), [day(2026, 2, 1), day(2026, 3, 1)]);
        // The paid line's earlier limit bars nothing.
        assert_eq!(s.next_prescription, Some(day(2031, 2, 1)));
        assert!(!s.interest);
    }

    #[test]
    fn interest_on_any_line_is_noted() {
        let mut l = line("a", day(2026, 1, 1), day(2031, 1, 1), 100);
        l.interest_from = Some(day(2026, 5, 1));
        assert!(LineSummary::of(&[l]).interest);
    }

    #[test]
    fn appended_months_move_the_last_month_and_never_raise_the_limit() {
        let mut s = LineSummary::of(&[line("a", day(2026, 1, 1), day(2031, 1, 1), 100)]);
        s.extend(&[line("a", day(2026, 2, 1), day(2031, 2, 1), 100)]);
        assert_eq!(s.months(), [day(2026, 2, 1)]);
        assert_eq!(s.next_prescription, Some(day(2031, 1, 1)));
    }
}

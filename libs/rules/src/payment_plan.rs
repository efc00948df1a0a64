//! The schedule of a debtor's payment plan (recovery by instalments sized on the debtor's
//! seizable income; the schedule is a house decision, the law fixing none): due dates, the
//! instalments of a plan, and how payments cover them.
//!
//! - Due dates: the first `due_day` (1–28) on or after the plan's start, then monthly.
//! - Instalments: `count` equal ones, or as many as settle the debt with a smaller last one;
//!   never more than [`MAX_INSTALMENTS`].
//! - Coverage: payments are not tied to an instalment; what the debtor paid since the start
//!   covers the instalments oldest first.
//!
//! Amounts are in cents: the payments service keeps its ledger in cents.

use chrono::{Datelike, Months, NaiveDate};

/// A plan never runs longer than this many instalments (50 years of months): a longer plan
/// is a sign of an instalment too small for the debt.
pub const MAX_INSTALMENTS: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    pub number: i32,
    pub due_date: NaiveDate,
    pub cents: i64,
}

/// The `n`-th (1-based) due date: the first `due_day` on or after `start`, then monthly.
/// `due_day` is 1–28, so every month has it.
pub fn due_date(start: NaiveDate, due_day: u32, n: u32) -> Option<NaiveDate> {
    let first_month = start.with_day(1)?;
    let skip = u32::from(start.day() > due_day);
    first_month
        .checked_add_months(Months::new(skip + n.checked_sub(1)?))?
        .with_day(due_day)
}

/// Instalment amounts: `count` equal ones, or (count 0) as many as settle `debt`, the last
/// one smaller when the debt is not a multiple of the instalment. `None` when the plan would
/// exceed [`MAX_INSTALMENTS`] or a date overflows.
pub fn instalments(
    start: NaiveDate,
    due_day: u32,
    amount: i64,
    count: i64,
    debt: i64,
) -> Option<Vec<Instalment>> {
    if amount <= 0 {
        return None;
    }
    let amounts: Vec<i64> = if count > 0 {
        if count > MAX_INSTALMENTS {
            return None;
        }
        vec![amount; usize::try_from(count).ok()?]
    } else {
        let n = (debt + amount - 1) / amount;
        if n > MAX_INSTALMENTS {
            return None;
        }
        (0..n)
            .map(|i| if i + 1 < n { amount } else { debt - amount * i })
            .collect()
    };
    amounts
        .into_iter()
        .enumerate()
        .map(|(i, cents)| {
            let number = i32::try_from(i + 1).ok()?;
            let due_date = due_date(start, due_day, u32::try_from(number).ok()?)?;
            Some(Instalment {
                number,
                due_date,
                cents,
            })
        })
        .collect()
}

/// What `paid` covers of each instalment, oldest first (payments are not tied to an
/// instalment: whatever the debtor paid since the plan started counts, in order).
pub fn coverage(amounts: &[i64], paid: i64) -> Vec<i64> {
    let mut left = paid.max(0);
    amounts
        .iter()
        .map(|a| {
            let c = left.min(*a);
            left -= c;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn due_dates_start_on_or_after_the_start_date() {
        assert_eq!(due_date(d(2024, 1, 15), 10, 1), Some(d(2024, 2, 10)));
        assert_eq!(due_date(d(2024, 1, 10), 10, 1), Some(d(2024, 1, 10)));
        assert_eq!(due_date(d(2024, 11, 20), 5, 3), Some(d(2025, 2, 5)));
    }

    #[test]
    fn count_zero_settles_the_debt_with_a_smaller_last() {
        let p = instalments(d(2024, 1, 1), 1, 2010, 0, 50_000).unwrap();
        assert_eq!(p.len(), 25);
        assert_eq!(p[24].cents, 50_000 - 24 * 2010);
        assert_eq!(p.iter().map(|i| i.cents).sum::<i64>(), 50_000);
        let exact = instalments(d(2024, 1, 1), 1, 100, 0, 1_000).unwrap();
        assert_eq!((exact.len(), exact[9].cents), (10, 100));
        assert!(instalments(d(2024, 1, 1), 1, 1, 0, 100_000).is_none());
    }

    #[test]
    fn payments_cover_the_oldest_first() {
        assert_eq!(coverage(&[100, 100, 50], 150), [100, 50, 0]);
        assert_eq!(coverage(&[100, 100], 500), [100, 100]);
    }
}

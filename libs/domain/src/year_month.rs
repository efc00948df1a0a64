//! Calendar months, the unit of maintenance instalments, advances and arrears tables.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use thiserror::Error;

use crate::serde_str::impl_serde_via_str;

const YEARS: RangeInclusive<i32> = 1900..=2999;

/// A month of a year between 1900 and 2999, written `YYYY-MM`.
///
/// The bounded range keeps the text form at four digits and lets every date helper be
/// infallible; arithmetic that would leave it returns `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    // Always the 1st of the month; chrono then does the calendar work.
    first_day: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum YearMonthError {
    #[error("a month is written YYYY-MM")]
    Malformed,
    #[error("year {year} is outside 1900..=2999")]
    YearOutOfRange { year: i32 },
    #[error("month {month} is outside 1..=12")]
    MonthOutOfRange { month: u32 },
}

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Result<Self, YearMonthError> {
        if !YEARS.contains(&year) {
            return Err(YearMonthError::YearOutOfRange { year });
        }
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|first_day| Self { first_day })
            .ok_or(YearMonthError::MonthOutOfRange { month })
    }

    /// The month containing `date`.
    pub fn from_date(date: NaiveDate) -> Result<Self, YearMonthError> {
        Self::new(date.year(), date.month())
    }

    pub fn year(&self) -> i32 {
        self.first_day.year()
    }

    /// 1 to 12.
    pub fn month(&self) -> u32 {
        self.first_day.month()
    }

    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }

    pub fn last_day(&self) -> NaiveDate {
        self.first_day + Days::new(u64::from(self.days_in_month()) - 1)
    }

    /// 28 to 31.
    pub fn days_in_month(&self) -> u32 {
        match self.month() {
            2 if self.first_day.leap_year() => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// The given day of this month; `None` if it does not exist (e.g. 30 February).
    /// Deliberately not clamped: callers that want the last day for a due day of 31 must
    /// say so, since the rules differ by case.
    pub fn day(&self, day: u32) -> Option<NaiveDate> {
        self.first_day.with_day(day)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day()
    }

    /// The following month; `None` after 2999-12.
    pub fn next(&self) -> Option<Self> {
        self.add_months(1)
    }

    /// The preceding month; `None` before 1900-01.
    pub fn prev(&self) -> Option<Self> {
        self.add_months(-1)
    }

    /// `None` if the result leaves 1900..=2999.
    pub fn add_months(&self, months: i32) -> Option<Self> {
        let index = self.index().checked_add(months)?;
        Self::new(index.div_euclid(12), index.rem_euclid(12) as u32 + 1).ok()
    }

    /// How many months `self` is after `earlier` (negative if before):
    /// `earlier.add_months(self.months_since(earlier)) == Some(self)`.
    pub fn months_since(&self, earlier: YearMonth) -> i32 {
        self.index() - earlier.index()
    }

    /// Every month from `self` to `end`, both included; empty if `end` is before `self`.
    pub fn iter_to(&self, end: YearMonth) -> impl DoubleEndedIterator<Item = YearMonth> + use<> {
        let start = *self;
        (0..=end.months_since(start)).filter_map(move |offset| start.add_months(offset))
    }

    fn index(&self) -> i32 {
        self.year() * 12 + self.month() as i32 - 1
    }
}

impl FromStr for YearMonth {
    type Err = YearMonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit);
        if !well_formed {
            return Err(YearMonthError::Malformed);
        }
        let year = s[..4].parse().map_err(|_| YearMonthError::Malformed)?;
        let month = s[5..].parse().map_err(|_| YearMonthError::Malformed)?;
        Self::new(year, month)
    }
}

impl TryFrom<&str> for YearMonth {
    type Error = YearMonthError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<NaiveDate> for YearMonth {
    type Error = YearMonthError;

    fn try_from(date: NaiveDate) -> Result<Self, Self::Error> {
        Self::from_date(date)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{:04}-{:02}", self.year(), self.month()))
    }
}

impl_serde_via_str!(YearMonth, v => v.to_string());

#[cfg(test)]
mod tests;

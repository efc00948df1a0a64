//! One synthetic person's working life, from which every source answers.
//!
//! The sources used to draw their figures independently of each other and of the person's
//! age: a 41-year-old could hold a retirement pension since 2016 on top of full-time work,
//! and wages were declared for a quarter that had not ended. Here the person comes first —
//! born on the national number's date, working from 18 to 24 on, then (for some) out of
//! work or ill, retired at the legal age of their birth year — and each source reports its
//! part of that life, only what has happened and been declared by the day it is asked.
//!
//! Everything derives from a hash of the national number: the same person every time.

use chrono::{Datelike, Months, NaiveDate};
use secal_domain::{NationalNumber, YearMonth};
use sha2::{Digest, Sha256};

/// A person with an employer in these sources, and what ended that work (if anything)
/// before retirement.
#[derive(Debug, Clone)]
pub(super) struct Career {
    /// First day of work: the first of a month, 18 to 24 years after birth.
    pub start: NaiveDate,
    /// The first day at the second employer (a quarter's first day); the first employer's
    /// last day is the day before.
    pub job_change: NaiveDate,
    pub blue_collar: bool,
    pub part_time: bool,
    /// Full-time gross wage a month, at 2026 wages (earlier years are scaled down).
    pub monthly_cents: i64,
    pub after: After,
}

/// What follows work before retirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum After {
    /// Works until retirement.
    Working,
    /// Fully unemployed from `since` (a month's first day); `sanctioned`: 13 weeks without
    /// allowances starting three months in.
    Unemployed { since: NaiveDate, sanctioned: bool },
    /// Unable to work from `since`: primary incapacity for a year, invalidity after.
    Ill { since: NaiveDate },
}

#[derive(Debug, Clone)]
pub(super) struct Person {
    /// `None`: self-employed or never employed: unknown to the employees' sources.
    pub career: Option<Career>,
    /// The first day of the month after the legal pension age is reached.
    pub retirement: NaiveDate,
    /// A survivor's pension from this date (the spouse's death), at any adult age.
    pub survivor_since: Option<NaiveDate>,
    /// Detail bytes (names, codes, amounts), from the same hash.
    pub detail: [u8; 32],
}

/// The legal pension age by birth year (Belgium, law of 10 August 2015): 65, raised to 66
/// from February 2025 and to 67 from February 2030, which those born in 1960–1963 and from
/// 1964 on reach at those ages.
pub(super) fn legal_pension_age(birth: NaiveDate) -> u32 {
    match birth.year() {
        ..1960 => 65,
        1960..=1963 => 66,
        _ => 67,
    }
}

/// The first day of the month after the month `date` falls in.
fn next_month_start(date: NaiveDate) -> NaiveDate {
    YearMonth::from_date(date)
        .ok()
        .and_then(|m| m.next())
        .map_or(date, |m| m.first_day())
}

fn plus_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years * 12))
        .unwrap_or(NaiveDate::MAX)
}

fn plus_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn quarter_start(date: NaiveDate) -> NaiveDate {
    let month = (date.month() - 1) / 3 * 3 + 1;
    NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

impl Person {
    pub fn of(nn: &NationalNumber) -> Self {
        let mut h = Sha256::new();
        h.update(b"secal-ssn-simulator/v2/life");
        h.update(nn.as_digits().as_bytes());
        let s: [u8; 32] = h.finalize().into();
        // A number without a known birth date (a bis number, or 00 as month or day).
        let birth = nn.birth_date().unwrap_or_else(|| {
            ymd(
                1950 + i32::from(s[1] % 55),
                1 + u32::from(s[2] % 12),
                1 + u32::from(s[3] % 28),
            )
        });
        let retirement = next_month_start(plus_years(birth, legal_pension_age(birth)));
        let survivor_since = s[4]
            .is_multiple_of(12)
            .then(|| plus_months(plus_years(birth, 30 + u32::from(s[5] % 40)), 1))
            .map(|d| d.with_day(1).unwrap_or(d));
        let career = (!s[6].is_multiple_of(10)).then(|| career(birth, &s));
        Self {
            career,
            retirement,
            survivor_since,
            detail: s,
        }
    }

    /// The first day without work for an employer: the end of the career's work, or the
    /// retirement, whichever comes first.
    pub fn work_end(&self) -> Option<NaiveDate> {
        let career = self.career.as_ref()?;
        let end = match career.after {
            After::Working => self.retirement,
            After::Unemployed { since, .. } | After::Ill { since } => since,
        };
        Some(end.min(self.retirement))
    }

    /// Whether the person worked for an employer during `month`'s first day.
    pub fn works_in(&self, month: YearMonth) -> bool {
        let (Some(career), Some(end)) = (&self.career, self.work_end()) else {
            return false;
        };
        month.first_day() >= career.start && month.first_day() < end
    }

    /// The spell out of work (unemployment or illness) from its first day to retirement.
    pub fn spell(&self) -> Option<(After, NaiveDate, NaiveDate)> {
        let after = self.career.as_ref()?.after;
        match after {
            After::Working => None,
            After::Unemployed { since, .. } | After::Ill { since } => {
                (since < self.retirement).then_some((after, since, self.retirement))
            }
        }
    }

    /// Full-time gross wage of a month in `year`: 2 % less for each year before 2026 (a
    /// rough indexation), never below 40 % of today's.
    pub fn monthly_wage(&self, year: i32) -> i64 {
        let monthly = self.career.as_ref().map_or(0, |c| c.monthly_cents);
        let percent = (100 - 2 * i64::from(2026 - year.min(2026))).max(40);
        monthly * percent / 100
    }
}

fn career(birth: NaiveDate, s: &[u8; 32]) -> Career {
    let start = next_month_start(plus_years(birth, 18 + u32::from(s[7] % 7)));
    let job_change = quarter_start(plus_years(start, 2 + u32::from(s[8] % 15)));
    // Out of work from a month in 2014–2025, never before two years of work.
    let out_from =
        ymd(2014 + i32::from(s[9] % 12), 1 + u32::from(s[10] % 12), 1).max(plus_years(start, 2));
    let after = match s[11] % 8 {
        0 | 1 => After::Unemployed {
            since: out_from,
            sanctioned: s[12].is_multiple_of(3),
        },
        2 => After::Ill { since: out_from },
        _ => After::Working,
    };
    Career {
        start,
        job_change,
        blue_collar: !s[13].is_multiple_of(2),
        part_time: s[14].is_multiple_of(3),
        // 2,000 to about 5,300 EUR gross a month, full time.
        monthly_cents: 200_000 + i64::from(u16::from_be_bytes([s[15], s[16]])) * 5,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legal_age_follows_the_birth_year() {
        assert_eq!(legal_pension_age(ymd(1959, 12, 31)), 65);
        assert_eq!(legal_pension_age(ymd(1960, 1, 1)), 66);
        assert_eq!(legal_pension_age(ymd(1963, 12, 31)), 66);
        assert_eq!(legal_pension_age(ymd(1964, 1, 1)), 67);
    }

    #[test]
    fn retirement_starts_the_month_after_the_birthday() -> Result<(), String> {
        // 68.02.11: 67 in February 2035, retired from March.
        let nn: NationalNumber = "68021100144".parse().map_err(|e| format!("{e:?}"))?;
        assert_eq!(Person::of(&nn).retirement, ymd(2035, 3, 1));
        Ok(())
    }
}

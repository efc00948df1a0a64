//! Calendar rules the engine shares (DOMAIN.md, "House decisions").

use chrono::{Datelike, NaiveDate};
use secal_domain::YearMonth;

/// `date` plus `years`, on the same day of the month; 29 February becomes 28 February in a
/// year without it. `None` only outside chrono's range.
pub fn add_years(date: NaiveDate, years: i32) -> Option<NaiveDate> {
    let year = date.year().checked_add(years)?;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
}

/// Due date of the instalment of `month`: the title's due day (0 means 1), or the month's last
/// day when the month is shorter.
pub fn due_date(month: YearMonth, due_day: u32) -> NaiveDate {
    let day = due_day.clamp(1, month.days_in_month());
    month.day(day).unwrap_or_else(|| month.first_day())
}

/// Whole calendar days from `start` to `end` (end − start); zero when end is not after start.
pub fn days_between(start: NaiveDate, end: NaiveDate) -> i64 {
    (end - start).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn leap_day_plus_years_is_the_28th() {
        assert_eq!(add_years(d(2004, 2, 29), 5), Some(d(2009, 2, 28)));
        assert_eq!(add_years(d(2004, 2, 29), 4), Some(d(2008, 2, 29)));
        assert_eq!(add_years(d(2003, 9, 1), 5), Some(d(2008, 9, 1)));
        assert_eq!(add_years(d(2012, 2, 29), 10), Some(d(2022, 2, 28)));
    }

    #[test]
    fn due_day_is_clamped_to_the_month() {
        let feb = YearMonth::new(2023, 2).unwrap();
        assert_eq!(due_date(feb, 31), d(2023, 2, 28));
        assert_eq!(due_date(feb, 0), d(2023, 2, 1));
        assert_eq!(
            due_date(YearMonth::new(2024, 2).unwrap(), 30),
            d(2024, 2, 29)
        );
        assert_eq!(
            due_date(YearMonth::new(2024, 4).unwrap(), 15),
            d(2024, 4, 15)
        );
    }
}

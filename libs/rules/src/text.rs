//! Months and dates written straight into strings: an explanation writes thousands of them per
//! table, and the general formatting machinery showed in profiles.

use chrono::{Datelike, NaiveDate};
use secal_domain::YearMonth;

fn push_number(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// "2004-09".
pub(crate) fn push_month(out: &mut String, m: YearMonth) {
    // YearMonth's years are 1900..=2999: always four digits.
    push_number(out, m.year().unsigned_abs(), 4);
    out.push('-');
    push_number(out, m.month(), 2);
}

/// "2004-09-01", as `NaiveDate`'s `Display` writes it.
pub(crate) fn push_date(out: &mut String, d: NaiveDate) {
    if (0..=9999).contains(&d.year()) {
        push_number(out, d.year().unsigned_abs(), 4);
        out.push('-');
        push_number(out, d.month(), 2);
        out.push('-');
        push_number(out, d.day(), 2);
    } else {
        out.push_str(&d.to_string());
    }
}

pub(crate) fn date(d: NaiveDate) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, d);
    out
}

/// "c1 2004-09": what a line's steps are about.
pub(crate) fn subject(creditor: &str, m: YearMonth) -> String {
    let mut out = String::with_capacity(creditor.len() + 8);
    out.push_str(creditor);
    out.push(' ');
    push_month(&mut out, m);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_the_display_forms() {
        let d = NaiveDate::from_ymd_opt(2004, 9, 1).unwrap();
        assert_eq!(date(d), d.to_string());
        assert_eq!(date(NaiveDate::MAX), NaiveDate::MAX.to_string());
        let m = YearMonth::new(1999, 12).unwrap();
        assert_eq!(subject("c1", m), format!("c1 {m}"));
    }
}

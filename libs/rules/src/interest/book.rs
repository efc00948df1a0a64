//! The accrual itself: spans of one rate and one balance. Rates are looked up once per
//! calculation, and the rate schedule from a start date to the end is shared by every line
//! that starts there (a century of monthly lines asks for the same few values many times).
//!
//! Sums are kept exact (balance × rate × days has at most a few decimals) and divided by
//! 36,500 once per line, so the only rounding is the final one to the cent.

use std::{cell::OnceCell, fmt::Write};

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use secal_domain::Money;

use crate::{
    dates,
    error::RuleError,
    reference::{RefKind, RefValue, ReferenceTable},
};

pub(super) const DAYS_PERCENT: i64 = 36_500;

/// Days from `start` (included) to `end` (excluded) at one rate, within one calendar year.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span<'a> {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub days: i64,
    pub rate: Decimal,
    pub value: &'a RefValue,
}

/// The rate spans from one start date to the calculation's end.
#[derive(Debug)]
pub(super) struct Schedule<'a> {
    pub spans: Vec<Span<'a>>,
    /// Σ rate × days.
    pub rate_days: Decimal,
    /// Each rate value once.
    pub values: Vec<&'a RefValue>,
    text: OnceCell<String>,
}

impl Schedule<'_> {
    /// "2009-03-15..2010-01-01 292 d × 5.5% + …", built once.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            let mut out = String::with_capacity(self.spans.len() * 40);
            for (i, s) in self.spans.iter().enumerate() {
                let sep = if i == 0 { "" } else { " + " };
                let _ = write!(
                    out,
                    "{sep}{}..{} {} d × {}%",
                    s.start,
                    s.end,
                    s.days,
                    s.rate.normalize()
                );
            }
            out
        })
    }
}

/// Legal interest rates, looked up once each.
pub(super) struct RateBook<'a> {
    refs: &'a ReferenceTable,
    spans: Vec<Span<'a>>,
}

impl<'a> RateBook<'a> {
    pub(super) fn new(refs: &'a ReferenceTable) -> Self {
        Self {
            refs,
            spans: Vec::new(),
        }
    }

    /// The rate in force on `date`, with the first day it no longer applies as `end`.
    fn at(&mut self, date: NaiveDate) -> Result<Span<'a>, RuleError> {
        if let Some(s) = self.spans.iter().find(|s| s.start <= date && date < s.end) {
            return Ok(*s);
        }
        let (rate, value) = self.refs.number(RefKind::LegalInterestRate, date)?;
        // The store keeps rates within 0–100%; the bound also keeps products far from
        // Decimal's range, so that no figure here can overflow.
        if rate.is_sign_negative() || rate > Decimal::ONE_HUNDRED {
            return Err(RuleError::invalid(
                "legal_interest_rate",
                format!(
                    "reference value {} is not a percentage (0 to 100)",
                    value.id
                ),
            ));
        }
        let year_start = NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date);
        let next_year = dates::add_years(year_start, 1).unwrap_or(NaiveDate::MAX);
        let value_end = value
            .valid_to
            .and_then(|to| to.checked_add_days(Days::new(1)))
            .unwrap_or(NaiveDate::MAX);
        let span = Span {
            start: value.valid_from.max(year_start),
            end: next_year.min(value_end),
            days: 0,
            rate,
            value,
        };
        self.spans.push(span);
        Ok(span)
    }

    /// The spans from `from` to `to` on a constant balance.
    pub(super) fn schedule(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Schedule<'a>, RuleError> {
        let mut spans = Vec::new();
        let mut values: Vec<&RefValue> = Vec::new();
        let mut rate_days = Decimal::ZERO;
        let mut day = from;
        while day < to {
            let rate = self.at(day)?;
            let end = rate.end.min(to);
            let days = dates::days_between(day, end);
            rate_days += rate.rate * Decimal::from(days);
            if !values.iter().any(|v| std::ptr::eq(*v, rate.value)) {
                values.push(rate.value);
            }
            spans.push(Span {
                start: day,
                end,
                days,
                ..rate
            });
            day = end;
        }
        Ok(Schedule {
            spans,
            rate_days,
            values,
            text: OnceCell::new(),
        })
    }
}

/// One span at one balance.
#[derive(Debug, Clone, Copy)]
pub(super) struct Period<'a> {
    pub span: Span<'a>,
    pub balance: Money,
}

impl Period<'_> {
    /// balance × rate × days / 36,500, unrounded.
    pub fn unrounded(&self) -> Decimal {
        self.balance.amount() * self.span.rate * Decimal::from(self.span.days)
            / Decimal::from(DAYS_PERCENT)
    }
}

/// Interest on `principal` over `schedule`, the balance reduced by each of `parts` (in date
/// order) from its date. Returns the periods with a positive balance and Σ balance × rate ×
/// days (exact).
pub(super) fn accrue<'a>(
    schedule: &Schedule<'a>,
    principal: Money,
    parts: &[(NaiveDate, Money)],
) -> (Vec<Period<'a>>, Decimal) {
    let mut balance = principal;
    let mut next = 0;
    // Parts dated on or before `until` have reduced the balance.
    let consume = |until: NaiveDate, next: &mut usize, balance: &mut Money| {
        while let Some(&(date, amount)) = parts.get(*next)
            && date <= until
        {
            *balance -= amount;
            *next += 1;
        }
    };
    if let Some(first) = schedule.spans.first() {
        consume(first.start, &mut next, &mut balance);
    }
    let mut periods = Vec::new();
    let mut sum = Decimal::ZERO;
    for span in &schedule.spans {
        let mut start = span.start;
        while start < span.end && balance.is_positive() {
            let end = parts
                .get(next)
                .map_or(span.end, |&(date, _)| date.min(span.end));
            let piece = Span {
                start,
                end,
                days: dates::days_between(start, end),
                ..*span
            };
            sum += balance.amount() * piece.rate * Decimal::from(piece.days);
            periods.push(Period {
                span: piece,
                balance,
            });
            start = end;
            consume(start, &mut next, &mut balance);
        }
        if !balance.is_positive() {
            break;
        }
    }
    (periods, sum)
}

/// "2004-07-15..2005-01-01 170 d × 7% × 120.00 + …", for periods of changing balance.
pub(super) fn periods_text(periods: &[Period<'_>]) -> String {
    let mut out = String::with_capacity(periods.len() * 50);
    for (i, p) in periods.iter().enumerate() {
        let sep = if i == 0 { "" } else { " + " };
        let s = &p.span;
        let _ = write!(
            out,
            "{sep}{}..{} {} d × {}% × {}",
            s.start,
            s.end,
            s.days,
            s.rate.normalize(),
            p.balance
        );
    }
    out
}

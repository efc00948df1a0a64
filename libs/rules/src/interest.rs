//! Legal interest in civil matters (DOMAIN.md, "Interest" and the house decision on it):
//! simple interest, actual days / 365, at the rate of each calendar year.
//!
//! - `INTEREST_LEGAL_RATE`: on an instalment, from the first act that starts interest (formal
//!   notice, payment order, seizure, judgment) dated on or after its due date and covering it,
//!   to the calculation date, on the balance still unpaid day by day (a payment reduces it from
//!   its date). On an explicit claim, from its start date to its end date. Periods are split
//!   per calendar year, where a rate value's validity ends, and where the balance changes;
//!   each period is balance × rate × days / 36,500, unrounded; the sum is rounded to the cent
//!   once per instalment or claim. The rate is the [`crate::RefKind::LegalInterestRate`] value in
//!   force on the period's days; a missing value is an error, never zero.
//! - `INTEREST_TIME_BARRED`: a time-barred instalment carries no interest (interest follows
//!   the principal; house decision where DOMAIN.md is silent).
//!
//! Days are counted as end − start: interest runs from the start date (included) to the end
//! date (excluded).

mod book;
mod on_ledger;
#[cfg(test)]
mod tests;

pub(crate) use on_ledger::on_ledger;

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::{Money, YearMonth};

use crate::{
    advances::max_amount,
    claim::ArrearsCase,
    error::{RuleError, Violations},
    explain::{Explainer, Explanation, Rule},
    ledger::{Options, plus_years},
    prescription,
    reference::ReferenceTable,
};
use book::{DAYS_PERCENT, Period, RateBook};

pub const INTEREST_LEGAL_RATE: Rule = Rule {
    id: "INTEREST_LEGAL_RATE",
    legal_basis: "old Civil Code art. 1153; law of 5 May 1865 (legal interest rate)",
};
pub const INTEREST_TIME_BARRED: Rule = Rule {
    id: "INTEREST_TIME_BARRED",
    legal_basis: "house rule",
};

/// At most this many explicit claims in one call.
pub const MAX_CLAIMS: usize = 1_000;

/// One stretch of days at one rate on one balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestPeriod {
    pub start: NaiveDate,
    /// Excluded.
    pub end: NaiveDate,
    pub days: i64,
    pub balance: Money,
    pub rate_percent: Decimal,
    pub reference_value_id: String,
    /// balance × rate × days / 36,500.
    pub unrounded: Decimal,
}

/// Interest on one instalment of a case or one explicit claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestLine {
    /// Set for explicit claims.
    pub claim_id: String,
    /// Set for instalments.
    pub creditor_id: String,
    pub month: Option<YearMonth>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The act that started interest (instalments).
    pub started_by: String,
    pub periods: Vec<InterestPeriod>,
    /// Sum of the periods, rounded to the cent once.
    pub interest: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestResult {
    pub lines: Vec<InterestLine>,
    /// Sum of the rounded lines.
    pub total: Money,
    pub explanation: Explanation,
}

/// A principal on which legal interest runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestClaim {
    pub id: String,
    pub principal: Money,
    pub start: NaiveDate,
    /// `None`: the calculation date.
    pub end: Option<NaiveDate>,
}

/// A period as results show it.
fn period_out(p: Period<'_>) -> InterestPeriod {
    InterestPeriod {
        start: p.span.start,
        end: p.span.end,
        days: p.span.days,
        balance: p.balance,
        rate_percent: p.span.rate,
        reference_value_id: p.span.value.id.clone(),
        unrounded: p.unrounded(),
    }
}

/// Interest on one line of a ledger.
#[derive(Debug, Clone)]
pub(crate) struct LineInterest {
    pub from: NaiveDate,
    /// Index of the act that started it.
    pub act: usize,
    pub interest: Money,
    /// Only when asked for.
    pub periods: Vec<InterestPeriod>,
    pub barred: bool,
}

/// Interest on the unpaid instalments of `case` to `as_of` (time-barred ones excluded).
/// Violations name fields relative to the `ArrearsCase` message.
pub fn for_case(
    case: &ArrearsCase,
    as_of: NaiveDate,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<InterestResult, RuleError> {
    let mut ledger = prescription::build_ledger(case, as_of, refs, &mut ex, Options::default())?;
    let mut interest = on_ledger(&mut ledger, case, refs, &mut ex, true)?;
    let mut lines = Vec::new();
    for (c, creditor) in case.title.creditors.iter().enumerate() {
        for &i in &ledger.by_creditor[c] {
            let Some(li) = interest[i].take().filter(|li| !li.barred) else {
                continue;
            };
            lines.push(InterestLine {
                claim_id: String::new(),
                creditor_id: creditor.id.clone(),
                month: Some(ledger.lines[i].month),
                start_date: li.from,
                end_date: as_of,
                started_by: case.acts[li.act].id.clone(),
                periods: li.periods,
                interest: li.interest,
            });
        }
    }
    let total = lines.iter().map(|l| l.interest).sum();
    Ok(InterestResult {
        lines,
        total,
        explanation: ex.finish(),
    })
}

/// Checks explicit claims; fields are named as in `ComputeInterestRequest`.
pub fn validate_claims(claims: &[InterestClaim], calculation_date: NaiveDate, v: &mut Violations) {
    v.check(
        claims.len() <= MAX_CLAIMS,
        "claims",
        format!("at most {MAX_CLAIMS} claims"),
    );
    let mut ids = HashSet::new();
    let max = max_amount();
    for (i, c) in claims.iter().enumerate() {
        let f = format!("claims[{i}]");
        if c.id.trim().is_empty() {
            v.push(format!("{f}.claim_id"), "required");
        } else if !ids.insert(c.id.as_str()) {
            v.push(format!("{f}.claim_id"), format!("{:?} is used twice", c.id));
        }
        let p = c.principal;
        v.check(
            p.is_positive(),
            format!("{f}.principal"),
            "must be positive",
        );
        v.check(
            p.is_whole_cents(),
            format!("{f}.principal"),
            "must be in whole cents",
        );
        v.check(
            p <= max,
            format!("{f}.principal"),
            format!("must not exceed {max}"),
        );
        let (end, end_field) = match c.end {
            Some(end) => (end, format!("{f}.end_date")),
            None => (calculation_date, "calculation_date".to_owned()),
        };
        if end < c.start {
            v.push(end_field, format!("must not be before {f}.start_date"));
        } else if end > plus_years(c.start, 100) {
            v.push(end_field, "at most 100 years after start_date");
        }
    }
}

/// Interest on explicit principals, each from its start to its end (or `calculation_date`).
pub fn for_claims(
    claims: &[InterestClaim],
    calculation_date: NaiveDate,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<InterestResult, RuleError> {
    let mut v = Violations::new();
    validate_claims(claims, calculation_date, &mut v);
    v.into_result()?;
    let mut book = RateBook::new(refs);
    let mut lines = Vec::with_capacity(claims.len());
    for c in claims {
        let end = c.end.unwrap_or(calculation_date);
        let schedule = book.schedule(c.start, end)?;
        let unrounded = c.principal.amount() * schedule.rate_days / Decimal::from(DAYS_PERCENT);
        let interest = Money::from_decimal(unrounded).round_cents();
        ex.step(
            INTEREST_LEGAL_RATE,
            c.id.as_str(),
            || {
                let principal = c.principal;
                format!(
                    "from the start date {}: {principal} × ({}) / 36,500 = {} → {interest}",
                    c.start,
                    schedule.text(),
                    unrounded.round_dp(6).normalize()
                )
            },
            Some(interest.to_string()),
            &schedule.values,
        );
        let periods = schedule
            .spans
            .iter()
            .map(|&span| {
                period_out(Period {
                    span,
                    balance: c.principal,
                })
            })
            .collect();
        lines.push(InterestLine {
            claim_id: c.id.clone(),
            creditor_id: String::new(),
            month: None,
            start_date: c.start,
            end_date: end,
            started_by: String::new(),
            periods,
            interest,
        });
    }
    let total = lines.iter().map(|l| l.interest).sum();
    Ok(InterestResult {
        lines,
        total,
        explanation: ex.finish(),
    })
}

//! Interest on the lines of an arrears ledger: each line's starting act, its balance over the
//! rate schedule from that act to the calculation date, and the explanation step.

use std::collections::{HashMap, hash_map::Entry};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use secal_domain::Money;

use super::{
    INTEREST_LEGAL_RATE, INTEREST_TIME_BARRED, LineInterest,
    book::{DAYS_PERCENT, Period, RateBook, Schedule, accrue, periods_text},
    period_out,
};
use crate::{
    arrears::{ArrearsCase, Ledger, LineStatus},
    error::RuleError,
    explain::Explainer,
    reference::{RefValue, ReferenceTable},
};

/// Interest on every line of `ledger` an interest-starting act covers; records the steps.
/// `with_periods` keeps each line's periods (interest calculations show them).
pub(crate) fn on_ledger(
    ledger: &mut Ledger,
    case: &ArrearsCase,
    refs: &ReferenceTable,
    ex: &mut Explainer,
    with_periods: bool,
) -> Result<Vec<Option<LineInterest>>, RuleError> {
    let as_of = ledger.as_of;
    let mut starters: Vec<usize> = (0..case.acts.len())
        .filter(|&a| case.acts[a].kind.starts_interest() && case.acts[a].date <= as_of)
        .collect();
    starters.sort_by_key(|&a| case.acts[a].date);
    let creditors = &case.title.creditors;
    let covers_creditor: Vec<Vec<bool>> = starters
        .iter()
        .map(|&a| {
            let ids = &case.acts[a].creditor_ids;
            creditors
                .iter()
                .map(|c| ids.is_empty() || ids.contains(&c.id))
                .collect()
        })
        .collect();
    let started: Vec<String> = starters
        .iter()
        .map(|&a| {
            let act = &case.acts[a];
            format!("{} {} of {}", act.kind.label(), act.id, act.date)
        })
        .collect();
    let mut book = RateBook::new(refs);
    let mut schedules: HashMap<NaiveDate, Schedule<'_>> = HashMap::new();
    let mut out = Vec::with_capacity(ledger.lines.len());
    for line in &mut ledger.lines {
        let found = starters.iter().enumerate().find(|&(k, &a)| {
            let act = &case.acts[a];
            act.date >= line.due_date
                && covers_creditor[k][line.creditor]
                && act.covered.is_none_or(|r| r.contains(line.month))
        });
        let Some((k, &a)) = found else {
            out.push(None);
            continue;
        };
        let act = &case.acts[a];
        let subject = || line.subject.clone();
        let mut li = LineInterest {
            from: act.date,
            act: a,
            interest: Money::ZERO,
            periods: Vec::new(),
            barred: line.status == LineStatus::TimeBarred,
        };
        if li.barred {
            let step = ex.step(
                INTEREST_TIME_BARRED,
                subject(),
                || format!("time-barred on {as_of}: no interest is claimed on it"),
                Some(Money::ZERO.to_string()),
                &[],
            );
            line.cite(step);
            out.push(Some(li));
            continue;
        }
        let schedule = match schedules.entry(act.date) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(book.schedule(act.date, as_of)?),
        };
        let started = &started[k];
        // A balance that does not change after the start is the common case: one product.
        let constant = line.parts.iter().all(|&(date, _)| date <= act.date);
        let balance = line.unpaid();
        if (constant && !balance.is_positive()) || schedule.spans.is_empty() {
            out.push(Some(li));
            continue;
        }
        let (sum, periods) = if constant {
            let periods: Vec<Period<'_>> = if with_periods {
                let spans = schedule.spans.iter();
                spans.map(|&span| Period { span, balance }).collect()
            } else {
                Vec::new()
            };
            (balance.amount() * schedule.rate_days, periods)
        } else {
            let (periods, sum) = accrue(schedule, line.due, &line.parts);
            (sum, periods)
        };
        let varying_values: Vec<&RefValue>;
        let values: &[&RefValue] = if constant {
            &schedule.values
        } else {
            let mut v: Vec<&RefValue> = Vec::new();
            for p in &periods {
                if !v.iter().any(|x| std::ptr::eq(*x, p.span.value)) {
                    v.push(p.span.value);
                }
            }
            varying_values = v;
            &varying_values
        };
        let unrounded = sum / Decimal::from(DAYS_PERCENT);
        li.interest = Money::from_decimal(unrounded).round_cents();
        let interest = li.interest;
        let step = ex.step(
            INTEREST_LEGAL_RATE,
            subject(),
            || {
                let result = unrounded.round_dp(6).normalize();
                if constant {
                    format!(
                        "from {started}: {balance} × ({}) / 36,500 = {result} → {interest}",
                        schedule.text()
                    )
                } else {
                    format!(
                        "from {started}: ({}) / 36,500 = {result} → {interest}",
                        periods_text(&periods)
                    )
                }
            },
            Some(interest.to_string()),
            values,
        );
        line.cite(step);
        if with_periods {
            li.periods = periods.into_iter().map(period_out).collect();
        }
        out.push(Some(li));
    }
    Ok(out)
}

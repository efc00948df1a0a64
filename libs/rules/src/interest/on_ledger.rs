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
    claim::{ArrearsCase, LineStatus},
    error::RuleError,
    explain::Explainer,
    ledger::{Ledger, Line},
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
    let starters = Starters::of(case, as_of);
    let mut book = RateBook::new(refs);
    // Lines whose interest starts on the same date share one rate schedule.
    let mut schedules: HashMap<NaiveDate, Schedule<'_>> = HashMap::new();
    let mut out = Vec::with_capacity(ledger.lines.len());
    for line in &mut ledger.lines {
        let Some(k) = starters.first_covering(case, line) else {
            out.push(None);
            continue;
        };
        let a = starters.acts[k];
        let act = &case.acts[a];
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
                line.subject.clone(),
                || format!("time-barred on {as_of}: no interest is claimed on it"),
                Some(Money::ZERO.to_string()),
                &[],
            );
            line.cite(step);
        } else {
            let schedule = match schedules.entry(act.date) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(book.schedule(act.date, as_of)?),
            };
            accrue_line(
                line,
                &mut li,
                schedule,
                &starters.labels[k],
                with_periods,
                ex,
            );
        }
        out.push(Some(li));
    }
    Ok(out)
}

/// The acts that start interest by the calculation date, oldest first: a line's interest
/// runs from the first of them that covers it.
struct Starters {
    /// Indices in the case's acts.
    acts: Vec<usize>,
    /// Per starter, per creditor of the title: whether the act names that creditor.
    covers_creditor: Vec<Vec<bool>>,
    /// Per starter, "formal notice n1 of 2004-07-15", as steps cite it.
    labels: Vec<String>,
}

impl Starters {
    fn of(case: &ArrearsCase, as_of: NaiveDate) -> Self {
        let mut acts: Vec<usize> = (0..case.acts.len())
            .filter(|&a| case.acts[a].kind.starts_interest() && case.acts[a].date <= as_of)
            .collect();
        acts.sort_by_key(|&a| case.acts[a].date);
        let creditors = &case.title.creditors;
        let covers_creditor = acts
            .iter()
            .map(|&a| {
                let ids = &case.acts[a].creditor_ids;
                creditors
                    .iter()
                    .map(|c| ids.is_empty() || ids.contains(&c.id))
                    .collect()
            })
            .collect();
        let labels = acts
            .iter()
            .map(|&a| {
                let act = &case.acts[a];
                format!("{} {} of {}", act.kind.label(), act.id, act.date)
            })
            .collect();
        Self {
            acts,
            covers_creditor,
            labels,
        }
    }

    /// The first starter dated on or after the line's due date that covers its creditor and
    /// month, as an index into the starters.
    fn first_covering(&self, case: &ArrearsCase, line: &Line) -> Option<usize> {
        self.acts.iter().enumerate().find_map(|(k, &a)| {
            let act = &case.acts[a];
            (act.date >= line.due_date
                && self.covers_creditor[k][line.creditor]
                && act.covered.is_none_or(|r| r.contains(line.month)))
            .then_some(k)
        })
    }
}

/// Interest on a line that is not time-barred, from `started` over `schedule`: sets it on
/// `li` and records the step (none when nothing accrues).
fn accrue_line(
    line: &mut Line,
    li: &mut LineInterest,
    schedule: &Schedule<'_>,
    started: &str,
    with_periods: bool,
    ex: &mut Explainer,
) {
    // A balance that does not change after the start is the common case: one product.
    let constant = line.parts.iter().all(|&(date, _)| date <= li.from);
    let balance = line.unpaid();
    if (constant && !balance.is_positive()) || schedule.spans.is_empty() {
        return;
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
        varying_values = values_of(&periods);
        &varying_values
    };
    let unrounded = sum / Decimal::from(DAYS_PERCENT);
    let interest = Money::from_decimal(unrounded).round_cents();
    li.interest = interest;
    let step = ex.step(
        INTEREST_LEGAL_RATE,
        line.subject.clone(),
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
}

/// The rate values `periods` used, each once, in order (a step cites each value once).
fn values_of<'a>(periods: &[Period<'a>]) -> Vec<&'a RefValue> {
    let mut v: Vec<&RefValue> = Vec::new();
    for p in periods {
        if !v.iter().any(|x| std::ptr::eq(*x, p.span.value)) {
            v.push(p.span.value);
        }
    }
    v
}

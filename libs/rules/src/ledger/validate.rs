//! What an arrears case must satisfy, every problem at once. Fields are named as in the
//! `ArrearsCase` message.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use super::schedule;
use crate::{
    advances::max_amount,
    claim::{ArrearsCase, JudgmentArrears},
    dates,
    error::Violations,
    indexation::AmountRule,
};

/// A title names a handful of people; the bounds keep one request's work bounded.
pub const MAX_CREDITORS: usize = 50;
/// 100 years of monthly lines.
pub const MAX_LINES_PER_CREDITOR: i32 = 1_200;
pub const MAX_PAYMENTS: usize = 10_000;
pub const MAX_ACTS: usize = 1_000;

/// Checks `case` for a calculation on `as_of`.
pub fn validate(case: &ArrearsCase, as_of: NaiveDate, v: &mut Violations) {
    let title = &case.title;
    v.check(
        (0..=31).contains(&title.due_day),
        "title.due_day",
        "must be between 1 and 31 (0 means 1)",
    );
    let due_day = schedule::due_day(title.due_day);
    v.check(
        !title.creditors.is_empty(),
        "title.creditors",
        "at least one creditor is required",
    );
    v.check(
        title.creditors.len() <= MAX_CREDITORS,
        "title.creditors",
        format!("at most {MAX_CREDITORS} creditors"),
    );
    let mut creditor_ids = HashSet::new();
    for (i, c) in title.creditors.iter().enumerate() {
        let f = format!("title.creditors[{i}]");
        check_id(&c.id, || format!("{f}.creditor_id"), &mut creditor_ids, v);
        if let Some(last) = c.last_month {
            v.check(
                last >= c.first_month,
                format!("{f}.last_month"),
                "must not be before first_month",
            );
        }
        let mut rule_ok = Violations::new();
        c.amount.validate(&format!("{f}.amount"), &mut rule_ok);
        check_rule_amounts(&c.amount, &format!("{f}.amount"), &mut rule_ok);
        let rule_ok = match rule_ok.into_result() {
            Ok(()) => true,
            Err(crate::RuleError::Invalid(found)) => {
                for x in found {
                    v.push(x.field, x.reason);
                }
                false
            }
            Err(_) => false,
        };
        if let Some((first, last)) = schedule::months(c, as_of, due_day) {
            let lines = last.months_since(first) + 1;
            if lines > MAX_LINES_PER_CREDITOR {
                v.push(
                    format!("{f}.first_month"),
                    format!(
                        "{first} to {last} would give {lines} monthly lines; at most \
                         {MAX_LINES_PER_CREDITOR} (100 years)"
                    ),
                );
            } else if rule_ok
                && let AmountRule::Explicit(periods) = &c.amount
                && let Some(gap) = schedule::first_uncovered(periods, first, last)
            {
                v.push(
                    format!("{f}.amount.explicit_schedule.periods"),
                    format!("no period gives the amount of {gap}"),
                );
            }
        }
    }
    let creditor_ids: HashSet<&str> = title.creditors.iter().map(|c| c.id.as_str()).collect();
    let mut source_ids = HashSet::new();
    check_payments(case, &creditor_ids, &mut source_ids, v);
    check_acts(case, &creditor_ids, &mut source_ids, v);
    check_judgments(case, &creditor_ids, due_day, &mut source_ids, v);
}

fn check_payments<'a>(
    case: &'a ArrearsCase,
    creditors: &HashSet<&str>,
    ids: &mut HashSet<&'a str>,
    v: &mut Violations,
) {
    v.check(
        case.payments.len() <= MAX_PAYMENTS,
        "payments",
        format!("at most {MAX_PAYMENTS} payments"),
    );
    for (i, p) in case.payments.iter().enumerate() {
        let f = |name: &str| format!("payments[{i}].{name}");
        check_id(&p.id, || f("payment_id"), ids, v);
        check_amount(p.amount, || f("amount"), true, v);
        if let Some(c) = &p.creditor_id
            && !creditors.contains(c.as_str())
        {
            v.push(f("creditor_id"), "names no creditor of the title");
        }
    }
}

fn check_acts<'a>(
    case: &'a ArrearsCase,
    creditors: &HashSet<&str>,
    ids: &mut HashSet<&'a str>,
    v: &mut Violations,
) {
    v.check(
        case.acts.len() <= MAX_ACTS,
        "acts",
        format!("at most {MAX_ACTS} acts"),
    );
    for (i, a) in case.acts.iter().enumerate() {
        let f = |name: &str| format!("acts[{i}].{name}");
        check_id(&a.id, || f("act_id"), ids, v);
        for (j, c) in a.creditor_ids.iter().enumerate() {
            if !creditors.contains(c.as_str()) {
                v.push(
                    f(&format!("creditor_ids[{j}]")),
                    "names no creditor of the title",
                );
            }
        }
        if let Some(range) = a.covered
            && let Some(last) = range.last
            && last < range.first
        {
            v.push(
                f("covered_months.last_month"),
                "must not be before first_month",
            );
        }
    }
}

fn check_judgments<'a>(
    case: &'a ArrearsCase,
    creditors: &HashSet<&str>,
    due_day: u32,
    ids: &mut HashSet<&'a str>,
    v: &mut Violations,
) {
    v.check(
        case.judgments.len() <= MAX_ACTS,
        "judgment_fixed_arrears",
        format!("at most {MAX_ACTS} judgments"),
    );
    let mut ranges: HashMap<&str, Vec<(usize, YearMonth, YearMonth)>> = HashMap::new();
    for (i, j) in case.judgments.iter().enumerate() {
        let f = format!("judgment_fixed_arrears[{i}]");
        check_id(&j.id, || format!("{f}.judgment_id"), ids, v);
        v.check(
            creditors.contains(j.creditor_id.as_str()),
            format!("{f}.creditor_id"),
            "names no creditor of the title",
        );
        if let Some(sum) = j.lump_sum {
            check_amount(sum, || format!("{f}.lump_sum"), false, v);
        }
        let Some(last) = closed_range(j, &f, due_day, v) else {
            continue;
        };
        let same_creditor = ranges.entry(j.creditor_id.as_str()).or_default();
        if let Some((other, ..)) = same_creditor
            .iter()
            .find(|(_, first, l)| *first <= last && j.covered.first <= *l)
        {
            v.push(
                format!("{f}.covered_months"),
                format!("overlaps judgment_fixed_arrears[{other}] of the same creditor"),
            );
        }
        same_creditor.push((i, j.covered.first, last));
    }
}

/// The judgment's last covered month, when its range is closed, ordered and due by the
/// judgment's date.
fn closed_range(
    j: &JudgmentArrears,
    f: &str,
    due_day: u32,
    v: &mut Violations,
) -> Option<YearMonth> {
    let Some(last) = j.covered.last else {
        v.push(
            format!("{f}.covered_months.last_month"),
            "required: the months whose arrears the judgment fixed",
        );
        return None;
    };
    if last < j.covered.first {
        v.push(
            format!("{f}.covered_months.last_month"),
            "must not be before first_month",
        );
        return None;
    }
    let due = dates::due_date(last, due_day);
    if due > j.date {
        v.push(
            format!("{f}.covered_months.last_month"),
            format!(
                "{last} falls due on {due}, after the judgment of {}: a judgment fixes past \
                 arrears only",
                j.date
            ),
        );
        return None;
    }
    Some(last)
}

/// Field names are built only for a violation: a case has thousands of fields.
fn check_id<'a>(
    id: &'a str,
    field: impl Fn() -> String,
    seen: &mut HashSet<&'a str>,
    v: &mut Violations,
) {
    if id.trim().is_empty() {
        v.push(field(), "required");
    } else if !seen.insert(id) {
        v.push(field(), format!("{id:?} is used twice"));
    }
}

fn check_amount(
    amount: Money,
    field: impl Fn() -> String,
    strictly_positive: bool,
    v: &mut Violations,
) {
    if strictly_positive && !amount.is_positive() {
        v.push(field(), "must be positive");
    } else if !strictly_positive && amount.is_negative() {
        v.push(field(), "must not be negative");
    }
    if !amount.is_whole_cents() {
        v.push(field(), "must be in whole cents");
    }
    let max = max_amount();
    if amount > max {
        v.push(field(), format!("must not exceed {max}"));
    }
}
/// The indexation rule checks signs and order; sizes are bounded here so that sums over a
/// century of lines stay exact.
fn check_rule_amounts(rule: &AmountRule, field: &str, v: &mut Violations) {
    let max = max_amount();
    match rule {
        AmountRule::Cpi(c) => v.check(
            c.base_amount <= max,
            format!("{field}.cpi_indexation.base_amount"),
            format!("must not exceed {max}"),
        ),
        AmountRule::Explicit(periods) => {
            for (i, p) in periods.iter().enumerate() {
                v.check(
                    p.amount <= max,
                    format!("{field}.explicit_schedule.periods[{i}].amount"),
                    format!("must not exceed {max}"),
                );
            }
        }
    }
}

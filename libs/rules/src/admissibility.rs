//! Admissibility of an application (DOMAIN.md, "Admissibility" and the house decision): the
//! debtor failed to pay, in full or in part, at least 2 monthly instalments in the 12 months
//! before the application, consecutive or not.
//!
//! - `ADMISSIBILITY_UNPAID_MONTH`: a month counts when its due date D satisfies
//!   A − 1 year ≤ D < A (29 February → 28 February) and at least one creditor's instalment of
//!   that month is not fully paid on A — computed from a case (the arrears table's own steps
//!   come first) or read from the table the applicant declared. Lump sums a judgment fixed
//!   are not monthly instalments and do not count.
//! - `ADMISSIBILITY_TWO_UNPAID_MONTHS`: admissible when at least 2 months count.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use crate::{
    advances::max_amount,
    claim::{ArrearsCase, LineKind},
    dates,
    error::{RuleError, Violations},
    explain::{Explainer, Explanation, Rule},
    ledger::Options,
    prescription,
    reference::ReferenceTable,
};

const LAW: &str = "Law of 21 February 2003 creating SECAL";

pub const ADMISSIBILITY_UNPAID_MONTH: Rule = Rule {
    id: "ADMISSIBILITY_UNPAID_MONTH",
    legal_basis: LAW,
};
pub const ADMISSIBILITY_TWO_UNPAID_MONTHS: Rule = Rule {
    id: "ADMISSIBILITY_TWO_UNPAID_MONTHS",
    legal_basis: LAW,
};

pub const REQUIRED_UNPAID_MONTHS: usize = 2;
/// Rows of a declared table (100 years of months for a few creditors).
pub const MAX_DECLARED_ROWS: usize = 10_000;

/// The applicant's month-by-month table of unpaid amounts (form frame 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredArrears {
    /// 1–31; 0 means 1 (checked, hence signed).
    pub due_day: i32,
    pub months: Vec<DeclaredUnpaidMonth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredUnpaidMonth {
    /// Empty when the table is not split per creditor.
    pub creditor_id: String,
    pub month: YearMonth,
    pub unpaid: Money,
}

/// What unpaid instalments are judged on.
#[derive(Debug, Clone, Copy)]
pub enum Basis<'a> {
    Case(&'a ArrearsCase),
    Declared(&'a DeclaredArrears),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissibilityResult {
    pub admissible: bool,
    /// Oldest first.
    pub unpaid_months: Vec<YearMonth>,
    pub required_unpaid_months: usize,
    /// Application date − 1 year (included).
    pub window_start: NaiveDate,
    /// The application date (excluded).
    pub window_end: NaiveDate,
    pub explanation: Explanation,
}

/// Checks a declared table; fields are named as in the `DeclaredArrears` message.
pub fn validate_declared(d: &DeclaredArrears, v: &mut Violations) {
    v.check(
        (0..=31).contains(&d.due_day),
        "due_day",
        "must be between 1 and 31 (0 means 1)",
    );
    v.check(
        d.months.len() <= MAX_DECLARED_ROWS,
        "months",
        format!("at most {MAX_DECLARED_ROWS} rows"),
    );
    let max = max_amount();
    let mut seen = HashSet::new();
    // Field paths and reasons are written out only for a refused row: a submission declares
    // dozens of rows, and formatting them all was a visible share of its CPU.
    for (i, row) in d.months.iter().enumerate() {
        if !(row.unpaid.is_positive() && row.unpaid.is_whole_cents() && row.unpaid <= max) {
            v.push(
                format!("months[{i}].unpaid"),
                format!("must be positive, in whole cents, at most {max}"),
            );
        }
        if !seen.insert((row.creditor_id.as_str(), row.month)) {
            v.push(
                format!("months[{i}].month"),
                format!("{} is declared twice for this creditor", row.month),
            );
        }
    }
}

/// Whether an application made on `application_date` is admissible.
pub fn check(
    application_date: NaiveDate,
    basis: Basis<'_>,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<AdmissibilityResult, RuleError> {
    let window_start = dates::add_years(application_date, -1).unwrap_or(NaiveDate::MIN);
    let in_window = |due: NaiveDate| window_start <= due && due < application_date;
    // Month → (creditor, unpaid) of the instalments not fully paid.
    let mut unpaid: BTreeMap<YearMonth, Vec<(String, Money)>> = BTreeMap::new();
    let due_day;
    match basis {
        Basis::Case(case) => {
            let ledger = prescription::build_ledger(
                case,
                application_date,
                refs,
                &mut ex,
                Options::default(),
            )?;
            due_day = u32::try_from(case.title.due_day).unwrap_or(1);
            for line in &ledger.lines {
                if line.kind == LineKind::Instalment
                    && in_window(line.due_date)
                    && line.unpaid().is_positive()
                {
                    let creditor = case.title.creditors[line.creditor].id.clone();
                    unpaid
                        .entry(line.month)
                        .or_default()
                        .push((creditor, line.unpaid()));
                }
            }
        }
        Basis::Declared(d) => {
            let mut v = Violations::new();
            validate_declared(d, &mut v);
            v.into_result()?;
            due_day = u32::try_from(d.due_day).unwrap_or(1);
            for row in &d.months {
                if in_window(dates::due_date(row.month, due_day)) {
                    unpaid
                        .entry(row.month)
                        .or_default()
                        .push((row.creditor_id.clone(), row.unpaid));
                }
            }
        }
    }
    for (month, rows) in &unpaid {
        let due = dates::due_date(*month, due_day);
        let sum: Money = rows.iter().map(|(_, m)| *m).sum();
        ex.step(
            ADMISSIBILITY_UNPAID_MONTH,
            month.to_string(),
            || {
                let who: Vec<String> = rows
                    .iter()
                    .map(|(c, m)| {
                        if c.is_empty() {
                            m.to_string()
                        } else {
                            format!("{c} {m}")
                        }
                    })
                    .collect();
                format!(
                    "due on {due}, within {window_start}..{application_date}: unpaid {}",
                    who.join(", ")
                )
            },
            Some(sum.to_string()),
            &[],
        );
    }
    let unpaid_months: Vec<YearMonth> = unpaid.into_keys().collect();
    let admissible = unpaid_months.len() >= REQUIRED_UNPAID_MONTHS;
    ex.step(
        ADMISSIBILITY_TWO_UNPAID_MONTHS,
        "",
        || {
            let verdict = if admissible {
                "admissible"
            } else {
                "not admissible"
            };
            format!(
                "{} month(s) unpaid in full or in part with a due date from {window_start} to \
                 before {application_date}; at least {REQUIRED_UNPAID_MONTHS} required: {verdict}",
                unpaid_months.len()
            )
        },
        Some(unpaid_months.len().to_string()),
        &[],
    );
    Ok(AdmissibilityResult {
        admissible,
        unpaid_months,
        required_unpaid_months: REQUIRED_UNPAID_MONTHS,
        window_start,
        window_end: application_date,
        explanation: ex.finish(),
    })
}

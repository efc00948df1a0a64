//! The arrears table of a title (DOMAIN.md, "Arrears table" and the house decisions): per
//! creditor and month, what was due, what was paid, what is unpaid, whether it is time-barred
//! and the legal interest on it, with totals per calendar year and overall.
//!
//! How a calculation on date A runs, and the rule ids its explanation uses, in order:
//! - `INDEXATION_BASE` / `INDEXATION_CPI` / `INDEXATION_EXPLICIT` (see [`crate::indexation`]):
//!   the amount of a creditor's instalments, once per explicit period or CPI adjustment; the
//!   lines of that period cite the step.
//! - `INSTALMENT_DUE`: one step per instalment counted — the month's due date (the title's due
//!   day, clamped to the month) is strictly before A.
//! - `JUDGMENT_LUMP_SUM`: a lump sum a judgment fixed replaces the instalments of the months it
//!   covers by one line, due on the judgment's date, for the last month covered.
//! - `PAYMENT_APPLIED`: one step per payment, in date order: a payment tied to a month pays
//!   that month only (the debtor's right to say which debt he pays); an untied payment pays
//!   the oldest instalment not fully paid, creditors in title order on the same month; a
//!   payment tied to a creditor pays only that creditor. A line never goes below zero; what
//!   is left is `unapplied`.
//!   `PAYMENT_NOT_COUNTED`: a payment dated after A is left out of a table on A.
//! - `PRESCRIPTION_FIVE_YEARS` / `PRESCRIPTION_INTERRUPTED` /
//!   `PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT` / `PRESCRIPTION_JUDGMENT_TEN_YEARS` (see
//!   [`crate::prescription`]): one step per line, under the rule that set its final limit.
//! - `INTEREST_LEGAL_RATE` / `INTEREST_TIME_BARRED` (see [`crate::interest`]): one step per
//!   line an interest-starting act covers.
//! - `ARREARS_TOTALS`: one step per creditor and one over all creditors; `ARREARS_OVERPAYMENT`
//!   when payments exceed everything due.
//!
//! Decisions where DOMAIN.md is silent:
//! - Events (payments, acts, judgments) dated after A did not happen yet on A: they are left
//!   out; events dated on A count.
//! - Applying payments does not look at prescription: the oldest unpaid instalment is paid
//!   first even when time-barred (paying a time-barred debt is valid; a debtor who wants
//!   otherwise ties the payment to a month). This also keeps the rule that an interrupting
//!   act never makes more instalments time-barred.
//! - A payment tied to a month with no line in the table (not due yet on A, or outside the
//!   title) pays nothing on A: it stays a prepayment for its month (`unapplied`) and never
//!   pays older months, which could otherwise hide the unpaid months admissibility counts.
//! - A payment tied to a creditor acknowledges only that creditor's debt.
//! - Time-barred lines carry no interest: interest follows the principal.

mod totals;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use crate::claim::ArrearsCase;
pub use crate::ledger::{
    INSTALMENT_DUE, JUDGMENT_LUMP_SUM, MAX_ACTS, MAX_CREDITORS, MAX_PAYMENTS, PAYMENT_APPLIED,
    PAYMENT_NOT_COUNTED, validate,
};
pub use totals::Totals;

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use crate::{
    claim::{LineKind, LineStatus, PaymentApplication},
    error::RuleError,
    explain::{Explainer, Explanation, Rule},
    interest,
    ledger::{Line, Options},
    prescription,
    reference::ReferenceTable,
};

const HOUSE: &str = "house rule";

pub const ARREARS_TOTALS: Rule = Rule {
    id: "ARREARS_TOTALS",
    legal_basis: HOUSE,
};
pub const ARREARS_OVERPAYMENT: Rule = Rule {
    id: "ARREARS_OVERPAYMENT",
    legal_basis: HOUSE,
};

/// One month (or lump sum) of one creditor on the calculation date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrearsLine {
    pub kind: LineKind,
    pub month: YearMonth,
    pub due_date: NaiveDate,
    pub due: Money,
    pub paid: Money,
    pub unpaid: Money,
    pub status: LineStatus,
    pub prescription_limit: NaiveDate,
    /// The act, payment or judgment id that set the limit; empty: the due date.
    pub limitation_set_by: String,
    pub interest: Money,
    pub interest_from: Option<NaiveDate>,
    pub interest_started_by: String,
    pub step_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearTotal {
    pub year: i32,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorArrears {
    pub creditor_id: String,
    pub lines: Vec<ArrearsLine>,
    pub year_totals: Vec<YearTotal>,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrearsResult {
    pub calculation_date: NaiveDate,
    /// In title order.
    pub creditors: Vec<CreditorArrears>,
    /// Over all creditors, oldest year first.
    pub year_totals: Vec<YearTotal>,
    pub totals: Totals,
    pub overpayment: Money,
    /// In request order.
    pub payment_applications: Vec<PaymentApplication>,
    pub explanation: Explanation,
}

/// The arrears table of `case` on `as_of`. Violations name fields relative to the
/// `ArrearsCase` message.
pub fn compute(
    case: &ArrearsCase,
    as_of: NaiveDate,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<ArrearsResult, RuleError> {
    let mut ledger = prescription::build_ledger(case, as_of, refs, &mut ex, Options::default())?;
    let interest = interest::on_ledger(&mut ledger, case, refs, &mut ex, false)?;
    let mut creditors = Vec::with_capacity(case.title.creditors.len());
    for (c, creditor) in case.title.creditors.iter().enumerate() {
        let lines: Vec<ArrearsLine> = ledger.by_creditor[c]
            .iter()
            .map(|&i| line_out(case, &mut ledger.lines[i], interest[i].as_ref()))
            .collect();
        let (year_totals, totals) = totals::of_lines(&lines);
        ex.step(
            ARREARS_TOTALS,
            creditor.id.as_str(),
            || totals.describe(lines.len()),
            Some(totals.claimable.to_string()),
            &[],
        );
        creditors.push(CreditorArrears {
            creditor_id: creditor.id.clone(),
            lines,
            year_totals,
            totals,
        });
    }
    let (year_totals, totals) = totals::of_creditors(&creditors);
    let line_count = ledger.lines.len();
    ex.step(
        ARREARS_TOTALS,
        "",
        || totals.describe(line_count),
        Some(totals.claimable.to_string()),
        &[],
    );
    let overpayment: Money = ledger.applications.iter().map(|a| a.unapplied).sum();
    if overpayment.is_positive() {
        ex.step(
            ARREARS_OVERPAYMENT,
            "",
            || format!("paid beyond everything due on {as_of}: {overpayment}"),
            Some(overpayment.to_string()),
            &[],
        );
    }
    Ok(ArrearsResult {
        calculation_date: as_of,
        creditors,
        year_totals,
        totals,
        overpayment,
        payment_applications: std::mem::take(&mut ledger.applications),
        explanation: ex.finish(),
    })
}

fn line_out(
    case: &ArrearsCase,
    line: &mut Line,
    interest: Option<&interest::LineInterest>,
) -> ArrearsLine {
    ArrearsLine {
        kind: line.kind,
        month: line.month,
        due_date: line.due_date,
        due: line.due,
        paid: line.paid,
        unpaid: line.unpaid(),
        status: line.status,
        prescription_limit: line.limitation.limit,
        limitation_set_by: line
            .limitation
            .set_by
            .map(|s| s.id(case).to_owned())
            .unwrap_or_default(),
        interest: interest.map_or(Money::ZERO, |i| i.interest),
        interest_from: interest.map(|i| i.from),
        interest_started_by: interest
            .map(|i| case.acts[i.act].id.clone())
            .unwrap_or_default(),
        step_ids: std::mem::take(&mut line.steps),
    }
}

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
//!   that month first; the rest (or an untied payment) pays the oldest instalment not fully
//!   paid, creditors in title order on the same month; a payment tied to a creditor pays only
//!   that creditor. A line never goes below zero; what is left is `unapplied`.
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
//!   title) is applied like an untied payment.
//! - A payment tied to a creditor acknowledges only that creditor's debt.
//! - Time-barred lines carry no interest: interest follows the principal.

mod ledger;
mod schedule;
pub(crate) mod text;
mod totals;
mod validate;

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

pub(crate) use ledger::{Ledger, Line, Options};
pub use totals::Totals;
pub use validate::{MAX_ACTS, MAX_CREDITORS, MAX_LINES_PER_CREDITOR, MAX_PAYMENTS, validate};

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use crate::{
    error::RuleError,
    explain::{Explainer, Explanation, Rule},
    indexation::AmountRule,
    interest,
    reference::ReferenceTable,
};

const HOUSE: &str = "house rule";

pub const INSTALMENT_DUE: Rule = Rule {
    id: "INSTALMENT_DUE",
    legal_basis: HOUSE,
};
pub const JUDGMENT_LUMP_SUM: Rule = Rule {
    id: "JUDGMENT_LUMP_SUM",
    legal_basis: "judgment fixing arrears (Cass. 8 December 2000)",
};
pub const PAYMENT_APPLIED: Rule = Rule {
    id: "PAYMENT_APPLIED",
    legal_basis: HOUSE,
};
pub const PAYMENT_NOT_COUNTED: Rule = Rule {
    id: "PAYMENT_NOT_COUNTED",
    legal_basis: HOUSE,
};
pub const ARREARS_TOTALS: Rule = Rule {
    id: "ARREARS_TOTALS",
    legal_basis: HOUSE,
};
pub const ARREARS_OVERPAYMENT: Rule = Rule {
    id: "ARREARS_OVERPAYMENT",
    legal_basis: HOUSE,
};

/// Everything the arrears, prescription, interest and admissibility rules need about a case
/// (mirrors `secal.v1.ArrearsCase`; violations name its proto fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrearsCase {
    pub title: Title,
    pub payments: Vec<Payment>,
    pub acts: Vec<LegalAct>,
    pub judgments: Vec<JudgmentArrears>,
}

/// An executory title as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// Day of the month instalments fall due: 1–31, 0 meaning 1 (checked, hence signed).
    pub due_day: i32,
    pub creditors: Vec<TitleCreditor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleCreditor {
    pub id: String,
    pub first_month: YearMonth,
    /// Inclusive; `None`: lines stop at the calculation date.
    pub last_month: Option<YearMonth>,
    pub amount: AmountRule,
}

/// Money the debtor paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub for_month: Option<YearMonth>,
    pub creditor_id: Option<String>,
}

/// The kinds of legal acts (mirrors `secal.v1.LegalActKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActKind {
    FormalNotice,
    Summons,
    PaymentOrder,
    Seizure,
    DebtorAcknowledgement,
    Judgment,
}

impl ActKind {
    /// Summons, payment order, seizure, debtor's acknowledgement (old Civil Code art. 2244,
    /// 2248); not a formal notice, not a judgment.
    pub fn interrupts_prescription(self) -> bool {
        matches!(
            self,
            ActKind::Summons
                | ActKind::PaymentOrder
                | ActKind::Seizure
                | ActKind::DebtorAcknowledgement
        )
    }

    /// Formal notice, payment order, seizure, judgment (old Civil Code art. 1153).
    pub fn starts_interest(self) -> bool {
        matches!(
            self,
            ActKind::FormalNotice | ActKind::PaymentOrder | ActKind::Seizure | ActKind::Judgment
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            ActKind::FormalNotice => "formal notice",
            ActKind::Summons => "summons",
            ActKind::PaymentOrder => "payment order",
            ActKind::Seizure => "seizure",
            ActKind::DebtorAcknowledgement => "debtor's acknowledgement",
            ActKind::Judgment => "judgment",
        }
    }
}

/// An inclusive range of months; `last: None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthRange {
    pub first: YearMonth,
    pub last: Option<YearMonth>,
}

impl MonthRange {
    pub fn contains(&self, month: YearMonth) -> bool {
        self.first <= month && self.last.is_none_or(|l| month <= l)
    }
}

impl std::fmt::Display for MonthRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.last {
            Some(last) => write!(f, "{}..{last}", self.first),
            None => write!(f, "{}..", self.first),
        }
    }
}

/// A legal act dated on a day, covering some instalments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalAct {
    pub id: String,
    pub kind: ActKind,
    pub date: NaiveDate,
    /// Empty: every creditor of the title.
    pub creditor_ids: Vec<String>,
    /// `None`: every instalment due by the act's date.
    pub covered: Option<MonthRange>,
}

/// Past arrears whose amount a judgment fixed (10-year prescription from the judgment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JudgmentArrears {
    pub id: String,
    pub creditor_id: String,
    pub date: NaiveDate,
    /// Closed: `last` is required and due by the judgment's date.
    pub covered: MonthRange,
    /// Replaces the covered months' lines by one line when given.
    pub lump_sum: Option<Money>,
}

/// What an arrears line stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineKind {
    Instalment,
    JudgmentLumpSum,
}

/// Status of a line on the calculation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineStatus {
    /// Not fully paid and still claimable.
    Open,
    Paid,
    /// Not fully paid and time-barred.
    TimeBarred,
}

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

/// One part of a payment applied to one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPart {
    pub creditor_id: String,
    pub month: YearMonth,
    pub line_kind: LineKind,
    pub amount: Money,
}

/// How one payment was applied; `counted` is false for a payment dated after the
/// calculation date (no parts, nothing unapplied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentApplication {
    pub payment_id: String,
    pub amount: Money,
    pub parts: Vec<PaymentPart>,
    pub unapplied: Money,
    pub counted: bool,
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
    let mut ledger = Ledger::build(case, as_of, refs, &mut ex, Options::default())?;
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

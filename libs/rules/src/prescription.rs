//! Prescription of instalments (DOMAIN.md, "Prescription" and the house decision on it).
//!
//! An instalment due on D is time-barred on A when A > D + 5 years (29 February → 28
//! February). The limit then moves, in date order of the events, and the latest limit wins:
//! - `PRESCRIPTION_INTERRUPTED`: a summons, payment order, seizure or written acknowledgement
//!   dated I moves the limit to I + 5 years for the instalments it covers (its creditors and
//!   months) that are due by I and not already time-barred on I. A formal notice or a judgment
//!   act does not interrupt.
//! - `PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT`: a payment dated P is an acknowledgement for every
//!   instalment (of its creditor, if it names one) due by P, not time-barred on P and still
//!   not fully paid after it: limit P + 5 years.
//! - `PRESCRIPTION_JUDGMENT_TEN_YEARS`: arrears a judgment dated J fixed run to J + 10 years
//!   (a lump sum's line starts there); instalments falling due after J keep 5 years.
//! - `PRESCRIPTION_FIVE_YEARS`: no event moved the limit.
//!
//! Each line's explanation step is under the rule that set its final limit. A prescription
//! calculation also lists, per instalment, every event considered and why it did or did not
//! move the limit: acts for every instalment of the creditors they name, payments for the
//! instalments still owed on their date, judgments for the months they fixed.
//!
//! The limits themselves move during the ledger's pass over the events (the crate's
//! `ledger::limitation`, which payments need while they are applied); this module names the
//! rule behind each final limit and shows the results.

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use crate::{
    claim::{ArrearsCase, LineKind},
    error::RuleError,
    explain::{Explainer, Explanation, Rule},
    ledger::{Ledger, Line, Options, Source},
    reference::ReferenceTable,
    text,
};

pub const PRESCRIPTION_FIVE_YEARS: Rule = Rule {
    id: "PRESCRIPTION_FIVE_YEARS",
    legal_basis: "old Civil Code art. 2277",
};
pub const PRESCRIPTION_INTERRUPTED: Rule = Rule {
    id: "PRESCRIPTION_INTERRUPTED",
    legal_basis: "old Civil Code art. 2244 and 2248",
};
pub const PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT: Rule = Rule {
    id: "PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT",
    legal_basis: "old Civil Code art. 2248",
};
pub const PRESCRIPTION_JUDGMENT_TEN_YEARS: Rule = Rule {
    id: "PRESCRIPTION_JUDGMENT_TEN_YEARS",
    legal_basis: "old Civil Code art. 2262bis; Cass. 8 December 2000",
};

pub use crate::ledger::{JUDGMENT_YEARS, LimitationChange, YEARS};

fn rule_of(source: Source) -> Rule {
    match source {
        Source::Act(_) => PRESCRIPTION_INTERRUPTED,
        Source::Payment(_) => PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT,
        Source::Judgment(_) => PRESCRIPTION_JUDGMENT_TEN_YEARS,
    }
}

fn describe(source: Source, case: &ArrearsCase) -> String {
    let what = match source {
        Source::Act(i) => case.acts[i].kind.label(),
        Source::Payment(_) => "payment",
        Source::Judgment(_) => "judgment",
    };
    format!("{what} {} of {}", source.id(case), source.date(case))
}

/// The ledger of `case` on `as_of` with each line's final limit explained, in line order and
/// before any other rule reads the lines: every calculation on a case shows these steps
/// first, after the amounts and payments that moved the limits.
pub(crate) fn build_ledger(
    case: &ArrearsCase,
    as_of: NaiveDate,
    refs: &ReferenceTable,
    ex: &mut Explainer,
    options: Options,
) -> Result<Ledger, RuleError> {
    let mut ledger = Ledger::build(case, as_of, refs, ex, options)?;
    for line in &mut ledger.lines {
        explain_line(case, line, as_of, ex);
    }
    Ok(ledger)
}

/// Records the step behind a line's final limit and status on `as_of`.
fn explain_line(case: &ArrearsCase, line: &mut Line, as_of: NaiveDate, ex: &mut Explainer) {
    let lim = &line.limitation;
    let rule = lim.set_by.map_or(PRESCRIPTION_FIVE_YEARS, rule_of);
    let barred = lim.barred_on(as_of);
    let step = ex.step(
        rule,
        line.subject.clone(),
        || {
            let mut d = String::with_capacity(120);
            match (line.kind, lim.set_by) {
                (LineKind::JudgmentLumpSum, Some(s)) => {
                    d.push_str(&describe(s, case));
                    d.push_str(" + 10 years = ");
                }
                _ => {
                    d.push_str("due ");
                    text::push_date(&mut d, line.due_date);
                    d.push_str(" + 5 years = ");
                }
            }
            text::push_date(&mut d, lim.base);
            if let Some(s) = lim.set_by
                && lim.limit != lim.base
            {
                d.push_str("; ");
                d.push_str(&describe(s, case));
                d.push_str(" moved it to ");
                text::push_date(&mut d, lim.limit);
            }
            d.push_str(if barred {
                "; time-barred on "
            } else {
                "; not time-barred on "
            });
            text::push_date(&mut d, as_of);
            d
        },
        Some(text::date(lim.limit)),
        &[],
    );
    line.cite(step);
}

/// Prescription of one instalment (or lump sum) on the date asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrescriptionLine {
    pub creditor_id: String,
    pub kind: LineKind,
    pub month: secal_domain::YearMonth,
    pub due_date: NaiveDate,
    pub prescription_limit: NaiveDate,
    pub time_barred: bool,
    /// Act, payment or judgment id; empty: the due date.
    pub limitation_set_by: String,
    /// In date order.
    pub changes: Vec<LimitationChange>,
    pub step_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrescriptionResult {
    /// Creditors in title order, each oldest month first.
    pub lines: Vec<PrescriptionLine>,
    pub explanation: Explanation,
}

/// Prescription of every instalment of `case` due strictly before `as_of`. Violations name
/// fields relative to the `ArrearsCase` message.
pub fn compute(
    case: &ArrearsCase,
    as_of: NaiveDate,
    refs: &ReferenceTable,
    mut ex: Explainer,
) -> Result<PrescriptionResult, RuleError> {
    let options = Options {
        record_changes: true,
    };
    let mut ledger = build_ledger(case, as_of, refs, &mut ex, options)?;
    let mut lines = Vec::with_capacity(ledger.lines.len());
    for (c, creditor) in case.title.creditors.iter().enumerate() {
        for &i in &ledger.by_creditor[c] {
            let line = &mut ledger.lines[i];
            lines.push(PrescriptionLine {
                creditor_id: creditor.id.clone(),
                kind: line.kind,
                month: line.month,
                due_date: line.due_date,
                prescription_limit: line.limitation.limit,
                time_barred: line.limitation.barred_on(as_of),
                limitation_set_by: line
                    .limitation
                    .set_by
                    .map(|s| s.id(case).to_owned())
                    .unwrap_or_default(),
                changes: std::mem::take(&mut line.limitation.changes),
                step_ids: std::mem::take(&mut line.steps),
            });
        }
    }
    Ok(PrescriptionResult {
        lines,
        explanation: ex.finish(),
    })
}

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

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

use crate::{
    arrears::{ArrearsCase, Ledger, Line, LineKind, Options, text},
    dates,
    error::RuleError,
    explain::{Explainer, Explanation, Rule},
    reference::ReferenceTable,
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

pub const YEARS: i32 = 5;
pub const JUDGMENT_YEARS: i32 = 10;

/// `date` + `years` as limits are computed (29 February → 28 February); beyond chrono's
/// range, which no validated date reaches, the limit is open.
pub(crate) fn plus_years(date: NaiveDate, years: i32) -> NaiveDate {
    dates::add_years(date, years).unwrap_or(NaiveDate::MAX)
}

/// What can move a limit, by its index in the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Act(usize),
    Payment(usize),
    Judgment(usize),
}

impl Source {
    pub(crate) fn id(self, case: &ArrearsCase) -> &str {
        match self {
            Source::Act(i) => &case.acts[i].id,
            Source::Payment(i) => &case.payments[i].id,
            Source::Judgment(i) => &case.judgments[i].id,
        }
    }

    pub(crate) fn date(self, case: &ArrearsCase) -> NaiveDate {
        match self {
            Source::Act(i) => case.acts[i].date,
            Source::Payment(i) => case.payments[i].paid_on,
            Source::Judgment(i) => case.judgments[i].date,
        }
    }

    fn rule(self) -> Rule {
        match self {
            Source::Act(_) => PRESCRIPTION_INTERRUPTED,
            Source::Payment(_) => PRESCRIPTION_ACKNOWLEDGED_BY_PAYMENT,
            Source::Judgment(_) => PRESCRIPTION_JUDGMENT_TEN_YEARS,
        }
    }

    fn describe(self, case: &ArrearsCase) -> String {
        let what = match self {
            Source::Act(i) => case.acts[i].kind.label(),
            Source::Payment(_) => "payment",
            Source::Judgment(_) => "judgment",
        };
        format!("{what} {} of {}", self.id(case), self.date(case))
    }
}

/// The effect of one act, payment or judgment on one instalment's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitationChange {
    pub source_id: String,
    pub source_date: NaiveDate,
    pub proposed_limit: NaiveDate,
    pub applied: bool,
    /// Why not, when not applied.
    pub reason: String,
}

/// One instalment's limit as events move it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limitation {
    /// Where it started: due date + 5 years, or judgment date + 10 years for a lump sum.
    pub base: NaiveDate,
    pub limit: NaiveDate,
    /// `None`: the due date.
    pub set_by: Option<Source>,
    pub changes: Vec<LimitationChange>,
}

impl Limitation {
    pub(crate) fn from_due(due: NaiveDate) -> Self {
        let base = plus_years(due, YEARS);
        Self {
            base,
            limit: base,
            set_by: None,
            changes: Vec::new(),
        }
    }

    pub(crate) fn from_judgment(judgment: usize, date: NaiveDate) -> Self {
        let base = plus_years(date, JUDGMENT_YEARS);
        Self {
            base,
            limit: base,
            set_by: Some(Source::Judgment(judgment)),
            changes: Vec::new(),
        }
    }

    /// Barred on `date` when `date` is after the limit.
    pub(crate) fn barred_on(&self, date: NaiveDate) -> bool {
        date > self.limit
    }

    /// Weighs the limit `proposed` by `source`: `blocked` says why it cannot apply; otherwise
    /// it applies when later than the current limit. Records the change when asked.
    pub(crate) fn consider(
        &mut self,
        case: &ArrearsCase,
        source: Source,
        proposed: NaiveDate,
        blocked: Option<&str>,
        record: bool,
    ) {
        let reason = match blocked {
            Some(reason) => Some(reason),
            None if proposed > self.limit => None,
            None => Some("a later or equal limit is already set"),
        };
        if reason.is_none() {
            self.limit = proposed;
            self.set_by = Some(source);
        }
        if record {
            self.changes.push(LimitationChange {
                source_id: source.id(case).to_owned(),
                source_date: source.date(case),
                proposed_limit: proposed,
                applied: reason.is_none(),
                reason: reason.unwrap_or_default().to_owned(),
            });
        }
    }
}

/// Records the step behind a line's final limit and status on `as_of`.
pub(crate) fn explain_line(
    case: &ArrearsCase,
    line: &mut Line,
    as_of: NaiveDate,
    ex: &mut Explainer,
) {
    let lim = &line.limitation;
    let rule = lim.set_by.map_or(PRESCRIPTION_FIVE_YEARS, Source::rule);
    let barred = lim.barred_on(as_of);
    let step = ex.step(
        rule,
        line.subject.clone(),
        || {
            let mut d = String::with_capacity(120);
            match (line.kind, lim.set_by) {
                (LineKind::JudgmentLumpSum, Some(s)) => {
                    d.push_str(&s.describe(case));
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
                d.push_str(&s.describe(case));
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
    let mut ledger = Ledger::build(case, as_of, refs, &mut ex, options)?;
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

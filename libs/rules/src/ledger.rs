//! The worked-out table of a case on a date, which the arrears, prescription, interest and
//! admissibility rules all read (DOMAIN.md, "Arrears table", "Prescription" and the house
//! decisions quoted in [`crate::arrears`]): each creditor's instalments due strictly before
//! the date (`INSTALMENT_DUE`, a judgment's lump sum in place of the months it fixed:
//! `JUDGMENT_LUMP_SUM`, Cass. 8 December 2000), then one pass over the case's events in date
//! order: judgments, then interrupting acts, then payments on the same day (request order
//! among equals; `PAYMENT_APPLIED`, `PAYMENT_NOT_COUNTED`). Payments and prescription are
//! worked out together because a payment's acknowledgement (old Civil Code art. 2248)
//! depends on what is still owed after it; each line's limit is a [`Limitation`].
//!
//! This module depends on none of `arrears`, `interest` and `prescription`: they depend on
//! it, in that order (`arrears` → `interest` → `prescription` → here), and the explanation
//! step of each line's final limit is recorded by [`crate::prescription::build_ledger`].

mod limitation;
mod payments;
mod schedule;
mod validate;

pub use limitation::{JUDGMENT_YEARS, LimitationChange, YEARS};
pub(crate) use limitation::{Limitation, Source, plus_years};
pub use validate::{MAX_ACTS, MAX_CREDITORS, MAX_PAYMENTS, validate};

use std::collections::HashMap;

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use crate::{
    claim::{ArrearsCase, LineKind, LineStatus, PaymentApplication},
    error::{RuleError, Violations},
    explain::{Explainer, Rule},
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

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// Keep every limitation change (prescription calculations list them).
    pub record_changes: bool,
}

/// One line of the table while it is worked out.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Index in the title's creditors.
    pub creditor: usize,
    pub kind: LineKind,
    pub month: YearMonth,
    pub due_date: NaiveDate,
    pub due: Money,
    pub paid: Money,
    /// due − paid, kept with `paid` (the pass asks for it often).
    owed: Money,
    /// Parts of payments applied, in date order.
    pub parts: Vec<(NaiveDate, Money)>,
    pub limitation: Limitation,
    pub status: LineStatus,
    /// Index of the judgment whose lump sum this line is.
    pub lump_sum_of: Option<usize>,
    last_paid_by: Option<usize>,
    /// "c1 2004-09": what the line's steps are about.
    pub subject: String,
    pub steps: Vec<String>,
}

impl Line {
    fn new(
        creditor: usize,
        kind: LineKind,
        month: YearMonth,
        due_date: NaiveDate,
        due: Money,
        subject: String,
        first_steps: impl IntoIterator<Item = String>,
    ) -> Self {
        // Amount, due date, a payment or two, prescription, interest.
        let mut steps = Vec::with_capacity(6);
        steps.extend(first_steps.into_iter().filter(|s| !s.is_empty()));
        Self {
            creditor,
            kind,
            month,
            due_date,
            due,
            paid: Money::ZERO,
            owed: due,
            parts: Vec::new(),
            limitation: Limitation::from_due(due_date),
            status: LineStatus::Open,
            lump_sum_of: None,
            last_paid_by: None,
            subject,
            steps,
        }
    }

    /// Adds a step to the line's explanation; an empty id is a step the explainer did not
    /// record (summary explanations).
    pub(crate) fn cite(&mut self, step: String) {
        if !step.is_empty() {
            self.steps.push(step);
        }
    }

    pub(crate) fn unpaid(&self) -> Money {
        self.owed
    }

    fn pay(&mut self, amount: Money) {
        self.paid += amount;
        self.owed -= amount;
    }
}

/// The worked-out table of a case on a date.
#[derive(Debug)]
pub(crate) struct Ledger {
    pub as_of: NaiveDate,
    /// Oldest month first, creditors in title order on a month.
    pub lines: Vec<Line>,
    /// Each creditor's line indices, oldest first.
    pub by_creditor: Vec<Vec<usize>>,
    /// In request order.
    pub applications: Vec<PaymentApplication>,
}

impl Ledger {
    /// Validates `case`, builds its lines and runs its events up to `as_of`. Callers go
    /// through [`crate::prescription::build_ledger`], which also explains each line's limit.
    pub(crate) fn build(
        case: &ArrearsCase,
        as_of: NaiveDate,
        refs: &ReferenceTable,
        ex: &mut Explainer,
        options: Options,
    ) -> Result<Self, RuleError> {
        let mut v = Violations::new();
        validate(case, as_of, &mut v);
        v.into_result()?;
        let lines = schedule::build(case, as_of, refs, ex)?;
        let mut pass = Pass::new(case, as_of, lines, options.record_changes);
        let applications = pass.run(ex);
        let mut lines = pass.lines;
        let mut by_creditor = vec![Vec::new(); case.title.creditors.len()];
        for (i, line) in lines.iter_mut().enumerate() {
            line.status = if !line.unpaid().is_positive() {
                LineStatus::Paid
            } else if line.limitation.barred_on(as_of) {
                LineStatus::TimeBarred
            } else {
                LineStatus::Open
            };
            by_creditor[line.creditor].push(i);
        }
        Ok(Self {
            as_of,
            lines,
            by_creditor,
            applications,
        })
    }
}

const NOT_COVERED: &str = "not covered by the act";
const ACT_NOT_DUE: &str = "not yet due on the act's date";
const ACT_BARRED: &str = "already time-barred on the act's date";
const PAYMENT_BARRED: &str = "already time-barred on the payment's date";
const PAYMENT_CLEARED: &str = "fully paid after the payment";

struct Pass<'a> {
    case: &'a ArrearsCase,
    as_of: NaiveDate,
    lines: Vec<Line>,
    /// (creditor, month) → line; the months a lump sum covers lead to its line.
    index: HashMap<(usize, YearMonth), usize>,
    creditor_of: HashMap<&'a str, usize>,
    record: bool,
    /// Every line before it is fully paid.
    cursor: usize,
}

impl<'a> Pass<'a> {
    fn new(case: &'a ArrearsCase, as_of: NaiveDate, lines: Vec<Line>, record: bool) -> Self {
        let mut index = HashMap::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            match line.lump_sum_of {
                Some(j) => {
                    let covered = &case.judgments[j].covered;
                    let last = covered.last.unwrap_or(covered.first);
                    for month in covered.first.iter_to(last) {
                        index.insert((line.creditor, month), i);
                    }
                }
                None => {
                    index.insert((line.creditor, line.month), i);
                }
            }
        }
        let creditor_of = case
            .title
            .creditors
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        Self {
            case,
            as_of,
            lines,
            index,
            creditor_of,
            record,
            cursor: 0,
        }
    }

    fn run(&mut self, ex: &mut Explainer) -> Vec<PaymentApplication> {
        let case = self.case;
        let as_of = self.as_of;
        let mut events: Vec<(NaiveDate, u8, usize)> = Vec::new();
        for (j, jd) in case.judgments.iter().enumerate() {
            if jd.lump_sum.is_none() && jd.date <= as_of {
                events.push((jd.date, 0, j));
            }
        }
        for (a, act) in case.acts.iter().enumerate() {
            if act.kind.interrupts_prescription() && act.date <= as_of {
                events.push((act.date, 1, a));
            }
        }
        let mut applications: Vec<Option<PaymentApplication>> = vec![None; case.payments.len()];
        for (p, pay) in case.payments.iter().enumerate() {
            if pay.paid_on <= as_of {
                events.push((pay.paid_on, 2, p));
            }
        }
        events.sort_unstable();
        for (_, kind, i) in events {
            match kind {
                0 => self.judgment(i),
                1 => self.act(i),
                _ => applications[i] = Some(self.payment(i, ex)),
            }
        }
        case.payments
            .iter()
            .zip(applications)
            .map(|(pay, app)| app.unwrap_or_else(|| payments::not_counted(pay, as_of, ex)))
            .collect()
    }

    fn judgment(&mut self, j: usize) {
        let jd = &self.case.judgments[j];
        let Some(&c) = self.creditor_of.get(jd.creditor_id.as_str()) else {
            return;
        };
        let proposed = plus_years(jd.date, JUDGMENT_YEARS);
        for line in &mut self.lines {
            if line.creditor == c
                && line.kind == LineKind::Instalment
                && jd.covered.contains(line.month)
            {
                let source = Source::Judgment(j);
                line.limitation
                    .consider(self.case, source, proposed, None, self.record);
            }
        }
    }

    fn act(&mut self, a: usize) {
        let act = &self.case.acts[a];
        let mut covers_creditor = vec![act.creditor_ids.is_empty(); self.creditor_of.len()];
        for id in &act.creditor_ids {
            if let Some(&c) = self.creditor_of.get(id.as_str()) {
                covers_creditor[c] = true;
            }
        }
        let proposed = plus_years(act.date, YEARS);
        for line in &mut self.lines {
            if !self.record && line.month.first_day() > act.date {
                break;
            }
            if !covers_creditor[line.creditor] {
                continue;
            }
            let blocked = if !act.covered.is_none_or(|r| r.contains(line.month)) {
                Some(NOT_COVERED)
            } else if line.due_date > act.date {
                Some(ACT_NOT_DUE)
            } else if line.limitation.barred_on(act.date) {
                Some(ACT_BARRED)
            } else {
                None
            };
            if blocked.is_none() || self.record {
                line.limitation
                    .consider(self.case, Source::Act(a), proposed, blocked, self.record);
            }
        }
    }
}

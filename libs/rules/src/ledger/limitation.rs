//! The limit of one line as events move it: the arithmetic behind the prescription rules of
//! [`crate::prescription`] (DOMAIN.md, "Prescription"): due date + 5 years (old Civil Code
//! art. 2277), an interrupting act or a payment's acknowledgement + 5 years (old Civil Code
//! art. 2244 and 2248), a judgment + 10 years (old Civil Code art. 2262bis); the latest limit
//! wins. It lives with the ledger because the pass over the events moves it; the rule each
//! limit is explained under stays in `prescription`.

use chrono::NaiveDate;

use crate::{claim::ArrearsCase, dates};

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

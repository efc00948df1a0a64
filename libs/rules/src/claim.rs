//! A maintenance claim as the arrears, prescription, interest and admissibility rules read it
//! (DOMAIN.md, "Arrears table"; `secal.v1.ArrearsCase`): the executory title and its
//! creditors, the debtor's payments, the legal acts and the judgments that fixed arrears, and
//! the vocabulary of the lines worked out from them. Which act interrupts prescription (old
//! Civil Code art. 2244, 2248) and which starts interest (old Civil Code art. 1153) is a
//! property of the act's kind, so it lives here with the kinds.
//!
//! Nothing here computes a table: the worked-out lines are in the crate's ledger, under the
//! arrears, prescription and interest rules.

#[cfg(test)]
pub(crate) mod testkit;

use chrono::NaiveDate;
use secal_domain::{Money, YearMonth};

use crate::indexation::AmountRule;

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

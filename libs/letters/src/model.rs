//! What a letter is rendered from. The input is stored beside the PDF (as JSON), so every
//! type here is plain data with a stable serde shape: renaming a field or a variant breaks
//! the re-rendering of stored letters.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The language of the letter: the recipient's language of the procedure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fr,
    Nl,
    De,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Fr, Language::Nl, Language::De];

    /// The short code used in template versions and file names.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::Nl => "nl",
            Language::De => "de",
        }
    }

    /// The document language written into the PDF (RFC 3066): Belgian variants.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Language::Fr => "fr-BE",
            Language::Nl => "nl-BE",
            Language::De => "de-BE",
        }
    }
}

/// The procedure's letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LetterKind {
    /// To the debtor, registered: an application was filed; 15 days from delivery or
    /// presentation to prove payment.
    DebtorNotice,
    /// To the applicant: the application is accepted; the dossier number.
    DecisionAccepted,
    /// To the applicant: the application is refused, with the reasons.
    DecisionRefused,
    /// To the applicant: the mandate to sign, with arrears, interest and fee per creditor.
    MandateProposal,
    /// To the applicant: advances are granted for the children listed.
    AdvancesGranted,
    /// To the applicant: advances end, with the reasons.
    AdvancesEnded,
    /// To the debtor, before a tax refund is offset: amount, debt, date planned, how to object.
    PreOffsetNotice,
    /// To the debtor, after the offset: amount offset, remaining debt.
    PostOffsetNotice,
    /// To the debtor: the payment plan granted.
    PaymentPlan,
    /// To the debtor: the plan was not kept.
    PaymentPlanBreach,
    /// To the debtor: indefinite suspension of recovery.
    Suspension,
    /// To the debtor: the statement of his debt.
    DebtorStatement,
    /// To the creditor: the statement of the dossier.
    CreditorStatement,
    /// To either party: the yearly statement.
    YearlyStatement,
    /// To the debtor: the offset his pre-offset notice announced will not take place.
    OffsetCancelled,
}

impl LetterKind {
    pub const ALL: [LetterKind; 15] = [
        LetterKind::DebtorNotice,
        LetterKind::DecisionAccepted,
        LetterKind::DecisionRefused,
        LetterKind::MandateProposal,
        LetterKind::AdvancesGranted,
        LetterKind::AdvancesEnded,
        LetterKind::PreOffsetNotice,
        LetterKind::PostOffsetNotice,
        LetterKind::PaymentPlan,
        LetterKind::PaymentPlanBreach,
        LetterKind::Suspension,
        LetterKind::DebtorStatement,
        LetterKind::CreditorStatement,
        LetterKind::YearlyStatement,
        LetterKind::OffsetCancelled,
    ];

    /// The kebab-case name used in template versions and file names.
    pub fn slug(self) -> &'static str {
        match self {
            LetterKind::DebtorNotice => "debtor-notice",
            LetterKind::DecisionAccepted => "decision-accepted",
            LetterKind::DecisionRefused => "decision-refused",
            LetterKind::MandateProposal => "mandate-proposal",
            LetterKind::AdvancesGranted => "advances-granted",
            LetterKind::AdvancesEnded => "advances-ended",
            LetterKind::PreOffsetNotice => "pre-offset-notice",
            LetterKind::PostOffsetNotice => "post-offset-notice",
            LetterKind::PaymentPlan => "payment-plan",
            LetterKind::PaymentPlanBreach => "payment-plan-breach",
            LetterKind::Suspension => "suspension",
            LetterKind::DebtorStatement => "debtor-statement",
            LetterKind::CreditorStatement => "creditor-statement",
            LetterKind::YearlyStatement => "yearly-statement",
            LetterKind::OffsetCancelled => "offset-cancelled",
        }
    }
}

/// Who the letter goes to, as the registry knew the person on the day it was issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub name: String,
    /// Street, postcode and town, country when abroad: one printed line each.
    pub address_lines: Vec<String>,
}

/// How the letter is sent; printed in the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    RegisteredPost {
        tracking_number: String,
    },
    /// Ordinary post.
    Post,
    EBox,
    Email,
}

/// A label and its value, printed as they are (the caller writes them in the letter's
/// language): dates, counts, names of creditors, the title…
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// An amount line of the letter's table, with the rule and figures that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    /// EUR; printed rounded to the cent in the language's format ([`crate::format_amount`]).
    pub amount: Decimal,
    pub explanation: String,
}

/// Everything a letter is rendered from: stored as JSON beside the PDF, so that the same
/// input renders the same bytes again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterInput {
    pub kind: LetterKind,
    pub language: Language,
    pub issued_on: NaiveDate,
    pub recipient: Recipient,
    /// Empty before acceptance: the header then shows the application number (`reference`).
    pub dossier_number: String,
    /// Our reference (application id or dossier number), printed in the header and footer.
    pub reference: String,
    /// Belgian structured communication, e.g. `+++123/4567/89012+++`.
    pub payment_reference: Option<String>,
    /// The deadline the letter states, when it has one.
    pub respond_by: Option<NaiveDate>,
    pub channel: Channel,
    pub facts: Vec<Fact>,
    pub figures: Vec<Figure>,
    /// Refusal reasons, breach reasons, reasons advances end…
    pub reasons: Vec<String>,
}

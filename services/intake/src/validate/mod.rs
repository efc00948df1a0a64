//! The application form checked as a case officer would: every problem at once, each with
//! its exact field path and a stable code. Two kinds of problems: `invalid` (the form
//! contradicts itself or holds malformed data: INVALID_ARGUMENT, nothing is stored) and
//! `missing` (well-formed but incomplete: stored as INCOMPLETE with the list).

mod frames;
mod parties;
mod payout;
mod texts;

use chrono::NaiveDate;
use secal_domain::{Iban, Money, NationalNumber, NationalNumberError};
use secal_proto::v1 as pb;
use secal_runtime::{FieldViolation, ServiceError, wire};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub field: String,
    pub code: &'static str,
    pub description: String,
}

impl Issue {
    pub fn to_pb(&self) -> pb::FieldViolation {
        pb::FieldViolation {
            field: self.field.clone(),
            description: self.description.clone(),
            code: self.code.to_owned(),
        }
    }
}

/// The outcome of checking a form.
#[derive(Debug, Default)]
pub struct Checked {
    pub invalid: Vec<Issue>,
    pub missing: Vec<Issue>,
}

impl Checked {
    /// INVALID_ARGUMENT with every violation; the stable code leads the description because
    /// google.rpc.BadRequest has no field for it.
    pub fn into_error(self) -> Option<ServiceError> {
        if self.invalid.is_empty() {
            return None;
        }
        Some(ServiceError::invalid(
            self.invalid
                .into_iter()
                .map(|i| FieldViolation::new(i.field, format!("{}: {}", i.code, i.description)))
                .collect(),
        ))
    }
}

/// Collects issues while walking the form.
pub(crate) struct Check {
    pub received_on: NaiveDate,
    pub out: Checked,
}

impl Check {
    fn invalid(&mut self, field: impl Into<String>, code: &'static str, d: impl Into<String>) {
        self.out.invalid.push(Issue {
            field: field.into(),
            code,
            description: d.into(),
        });
    }

    fn missing(&mut self, field: impl Into<String>, code: &'static str, d: impl Into<String>) {
        self.out.missing.push(Issue {
            field: field.into(),
            code,
            description: d.into(),
        });
    }

    /// A national number: absent is `None` (the caller decides whether that is missing);
    /// present but wrong is invalid.
    fn national_number(
        &mut self,
        field: &str,
        nn: Option<&pb::NationalNumber>,
    ) -> Option<NationalNumber> {
        let raw = nn.map(|n| n.value.trim()).unwrap_or_default();
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<NationalNumber>() {
            Ok(nn) => Some(nn),
            Err(e) => {
                let code = match e {
                    NationalNumberError::BadCheckDigits => "NATIONAL_NUMBER_CHECK_DIGITS",
                    NationalNumberError::InvalidBirthDate => "NATIONAL_NUMBER_BIRTH_DATE",
                    _ => "NATIONAL_NUMBER_MALFORMED",
                };
                self.invalid(field, code, e.to_string());
                None
            }
        }
    }

    fn iban(&mut self, field: &str, iban: Option<&pb::Iban>) -> Option<Iban> {
        let raw: String = iban
            .map(|i| i.value.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_default();
        if raw.is_empty() {
            return None;
        }
        match raw.to_ascii_uppercase().parse::<Iban>() {
            Ok(i) => Some(i),
            Err(e) => {
                self.invalid(field, "IBAN_INVALID", e.to_string());
                None
            }
        }
    }

    /// A euro amount when given, read by the one amount parser (`wire`), its refusal under
    /// this form's code.
    fn amount(&mut self, field: &str, m: Option<&pb::Money>) -> Option<Money> {
        match wire::optional_money_from_pb(field, m) {
            Ok(m) => m,
            Err(e) => {
                let why = e.violations().first().map(|v| v.description.clone());
                self.invalid(field, "AMOUNT_MALFORMED", why.unwrap_or_default());
                None
            }
        }
    }

    /// A euro amount that must be strictly positive when given.
    fn positive_amount(&mut self, field: &str, m: Option<&pb::Money>) -> Option<Money> {
        match self.amount(field, m)? {
            m if m.is_positive() => Some(m),
            _ => {
                self.invalid(
                    field,
                    "AMOUNT_NOT_POSITIVE",
                    "must be a positive euro amount",
                );
                None
            }
        }
    }

    fn date(&mut self, field: &str, d: Option<&pb::Date>) -> Option<NaiveDate> {
        match secal_runtime::wire::optional_date_from_pb(field, d) {
            Ok(d) => d,
            Err(_) => {
                self.invalid(field, "DATE_INVALID", "not a calendar date");
                None
            }
        }
    }

    fn not_after_receipt(&mut self, field: &str, d: Option<&pb::Date>) -> Option<NaiveDate> {
        let d = self.date(field, d)?;
        if d > self.received_on {
            self.invalid(
                field,
                "DATE_AFTER_APPLICATION",
                "cannot be later than the date the application was received",
            );
        }
        Some(d)
    }

    /// A required one-line text, read by the one text parser (`wire::optional_text`), its
    /// refusal under this form's code.
    fn required_text(&mut self, field: &str, value: &str, code: &'static str) {
        match wire::optional_text(field, value, wire::LINE) {
            Ok(Some(_)) => {}
            Ok(None) => self.missing(field, code, "is required"),
            Err(e) => self.invalid(field, "TEXT_INVALID", e.description),
        }
    }
}

/// The path of one entry of a list in the form (e.g. `form.creditors[2]`), which names
/// the fields of that entry; written out only when a field is named.
pub(crate) struct At {
    list: &'static str,
    i: usize,
}

impl At {
    fn entry(list: &'static str, i: usize) -> Self {
        Self { list, i }
    }

    fn of(&self, field: &str) -> String {
        format!("{}[{}].{field}", self.list, self.i)
    }
}

/// Age in whole years on `on`.
pub(crate) fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    // Born after `on`: under every age limit.
    on.years_since(birth).unwrap_or(0)
}

/// Checks a whole form as received on `received_on`; `prefix` is the form's path in the
/// request (e.g. "form").
pub fn check_form(form: Option<&pb::ApplicationForm>, received_on: NaiveDate) -> Checked {
    let mut c = Check {
        received_on,
        out: Checked::default(),
    };
    let Some(form) = form else {
        c.invalid("form", "FORM_REQUIRED", "the application form is required");
        return c.out;
    };
    let kind = pb::ApplicationKind::try_from(form.kind).unwrap_or_default();
    if kind == pb::ApplicationKind::Unspecified {
        c.invalid(
            "form.kind",
            "KIND_REQUIRED",
            "arrears only, arrears and future maintenance, or with advances",
        );
    }
    parties::check(&mut c, form, kind);
    frames::check(&mut c, form, kind);
    texts::check(&mut c, form);
    texts::enums(&mut c, form);
    c.out
}

/// The form's message type, for the checks by the contract's types (`secal_runtime::syntax`).
pub(crate) const FORM: &str = "secal.v1.ApplicationForm";

/// An absent date, or one with all parts zero.
pub(crate) fn absent_date(d: Option<&pb::Date>) -> bool {
    d.is_none_or(|d| *d == pb::Date::default())
}

#[cfg(test)]
mod tests;

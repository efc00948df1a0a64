//! Conversions between the shared proto types and Rust values, with the offending field
//! named in every error.

use chrono::{Datelike, NaiveDate};
use secal_domain::{Money, YearMonth};
use secal_proto::v1 as pb;

use crate::error::{FieldViolation, ServiceError, ServiceResult};

pub fn date_to_pb(d: NaiveDate) -> pb::Date {
    pb::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

pub fn date_from_pb(field: &str, d: Option<&pb::Date>) -> ServiceResult<NaiveDate> {
    let d = d.ok_or_else(|| ServiceError::invalid_field(field, "a date is required"))?;
    optional_date_from_pb(field, Some(d))?
        .ok_or_else(|| ServiceError::invalid_field(field, "a date is required"))
}

/// An absent date, or one with all parts zero, is `None`.
pub fn optional_date_from_pb(
    field: &str,
    d: Option<&pb::Date>,
) -> ServiceResult<Option<NaiveDate>> {
    match d {
        None => Ok(None),
        Some(pb::Date {
            year: 0,
            month: 0,
            day: 0,
        }) => Ok(None),
        Some(d) => {
            let (Ok(month), Ok(day)) = (u32::try_from(d.month), u32::try_from(d.day)) else {
                return Err(ServiceError::invalid_field(field, "not a calendar date"));
            };
            NaiveDate::from_ymd_opt(d.year, month, day)
                .filter(|d| (1900..=2999).contains(&d.year()))
                .map(Some)
                .ok_or_else(|| {
                    ServiceError::invalid_field(
                        field,
                        format!(
                            "{:04}-{:02}-{:02} is not a calendar date",
                            d.year, d.month, d.day
                        ),
                    )
                })
        }
    }
}

pub fn money_to_pb(m: Money) -> pb::Money {
    pb::Money {
        amount: m.to_string(),
    }
}

/// A required amount; see [`optional_money_from_pb`].
pub fn money_from_pb(field: &str, m: Option<&pb::Money>) -> ServiceResult<Money> {
    optional_money_from_pb(field, m)?
        .ok_or_else(|| ServiceError::invalid_field(field, "an amount is required"))
}

/// The one parser of amounts on the wire: the decimal string exactly as the contract writes
/// it ("150.00", "-12.5"), at most 2 fraction digits, no spaces, sign or exponent but a
/// leading minus ([`Money::parse`]); `" 12.50"` is refused like any other malformed amount,
/// by every method alike. An absent amount, or an empty string, is `None`.
pub fn optional_money_from_pb(field: &str, m: Option<&pb::Money>) -> ServiceResult<Option<Money>> {
    match m {
        None => Ok(None),
        Some(m) if m.amount.is_empty() => Ok(None),
        Some(m) => Money::parse(&m.amount)
            .map(Some)
            .map_err(|e| ServiceError::invalid_field(field, e.to_string())),
    }
}

pub fn year_month_to_pb(m: YearMonth) -> pb::YearMonth {
    pb::YearMonth {
        year: m.year(),
        month: m.month() as i32,
    }
}

pub fn year_month_from_pb(field: &str, m: Option<&pb::YearMonth>) -> ServiceResult<YearMonth> {
    optional_year_month_from_pb(field, m)?
        .ok_or_else(|| ServiceError::invalid_field(field, "a month is required"))
}

/// An absent month, or one with both parts zero, is `None`; years 1900–2999.
pub fn optional_year_month_from_pb(
    field: &str,
    m: Option<&pb::YearMonth>,
) -> ServiceResult<Option<YearMonth>> {
    match m {
        None | Some(pb::YearMonth { year: 0, month: 0 }) => Ok(None),
        Some(m) => {
            let month = u32::try_from(m.month).ok();
            month
                .and_then(|month| YearMonth::new(m.year, month).ok())
                .filter(|ym| (1900..=2999).contains(&ym.year()))
                .map(Some)
                .ok_or_else(|| {
                    ServiceError::invalid_field(
                        field,
                        format!(
                            "{:04}-{:02} is not a month of years 1900-2999",
                            m.year, m.month
                        ),
                    )
                })
        }
    }
}

/// How long a free-text field may be, and whether it may span lines.
#[derive(Debug, Clone, Copy)]
pub struct TextLimit {
    pub max_chars: usize,
    /// Line breaks and tabs allowed (a note); otherwise one line (a reference).
    pub multiline: bool,
}

/// The one parser of free text: surrounding white space trimmed, at most `max_chars`
/// characters, no control characters (NUL above all: PostgreSQL refuses it in text, and a
/// request must fail here, naming the field, not in the database). Empty is `None`.
pub fn optional_text(
    field: &str,
    raw: &str,
    limit: TextLimit,
) -> Result<Option<String>, FieldViolation> {
    if let Some(refused) = text_violation(field, raw, limit) {
        return Err(refused);
    }
    let value = raw.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// Why [`optional_text`] refuses `raw`, without copying it when it does not.
pub fn text_violation(field: &str, raw: &str, limit: TextLimit) -> Option<FieldViolation> {
    let value = raw.trim();
    let allowed = |c: char| limit.multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Some(FieldViolation::new(
            field,
            if limit.multiline {
                "CONTROL_CHARACTER: only line breaks and tabs are allowed"
            } else {
                "CONTROL_CHARACTER: one line of text, without control characters"
            },
        ));
    }
    let chars = value.chars().count();
    (chars > limit.max_chars).then(|| {
        FieldViolation::new(
            field,
            format!("TOO_LONG: {chars} characters, at most {}", limit.max_chars),
        )
    })
}

/// [`optional_text`] of a field that must be given: an empty (or all blank) text is refused.
pub fn required_text(field: &str, raw: &str, limit: TextLimit) -> Result<String, FieldViolation> {
    optional_text(field, raw, limit)?
        .ok_or_else(|| FieldViolation::new(field, "REQUIRED: is required"))
}

/// One line of at most 200 characters: a name, a profession, an employer, a place.
pub const LINE: TextLimit = TextLimit {
    max_chars: 200,
    multiline: false,
};

/// An identifier or a reference (a person or agent id, a case reference): one line of at
/// most 128 characters.
pub const ID: TextLimit = TextLimit {
    max_chars: 128,
    multiline: false,
};

/// A note, a reason, a justification: at most 2,000 characters, line breaks allowed.
pub const NOTE: TextLimit = TextLimit {
    max_chars: 2000,
    multiline: true,
};

/// The one parser of enum fields: a value the contract declares. `UNSPECIFIED` (0) is
/// `None`; a number the contract does not declare is refused, never stored.
pub fn optional_enum<E>(field: &str, raw: i32) -> Result<Option<E>, FieldViolation>
where
    E: TryFrom<i32>,
{
    if raw == 0 {
        return Ok(None);
    }
    E::try_from(raw).map(Some).map_err(|_| {
        FieldViolation::new(
            field,
            format!("UNKNOWN_VALUE: {raw} is not a value of this enum"),
        )
    })
}

/// [`optional_enum`] of a field that must be given: `UNSPECIFIED` is refused too.
pub fn required_enum<E>(field: &str, raw: i32) -> Result<E, FieldViolation>
where
    E: TryFrom<i32>,
{
    optional_enum(field, raw)?
        .ok_or_else(|| FieldViolation::new(field, "REQUIRED: a value of this enum is required"))
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A page of at most `size` items after the opaque cursor `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub size: i64,
    pub after: Option<i64>,
}

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// Keyset pagination over an increasing integer key: the token is that key, versioned so
/// that the format can change.
pub fn page_from_pb(field: &str, page: Option<&pb::PageRequest>) -> ServiceResult<Page> {
    let (size, token) = page
        .map(|p| (p.page_size, p.page_token.as_str()))
        .unwrap_or((0, ""));
    let size = match size {
        0 => DEFAULT_PAGE_SIZE,
        n if n < 0 || i64::from(n) > MAX_PAGE_SIZE => {
            return Err(ServiceError::invalid_field(
                format!("{field}.page_size"),
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        n => i64::from(n),
    };
    let after = if token.is_empty() {
        None
    } else {
        let key = token
            .strip_prefix("v1.")
            .and_then(|k| k.parse::<i64>().ok())
            .ok_or_else(|| {
                ServiceError::invalid_field(
                    format!("{field}.page_token"),
                    "not a token this server issued",
                )
            })?;
        Some(key)
    };
    Ok(Page { size, after })
}

/// The response page: a next token only when the page is full.
pub fn page_to_pb(page: &Page, returned: usize, last_key: Option<i64>) -> pb::PageResponse {
    let full = i64::try_from(returned).unwrap_or(i64::MAX) >= page.size;
    pb::PageResponse {
        next_page_token: match (full, last_key) {
            (true, Some(k)) => format!("v1.{k}"),
            _ => String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        let ok = pb::Date {
            year: 2024,
            month: 2,
            day: 29,
        };
        assert_eq!(
            date_from_pb("d", Some(&ok)).ok(),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        let bad = pb::Date {
            year: 2023,
            month: 2,
            day: 29,
        };
        let err = date_from_pb("birth_date", Some(&bad)).unwrap_err();
        assert_eq!(err.violations()[0].field, "birth_date");
        assert!(date_from_pb("d", None).is_err());
    }

    #[test]
    fn page_tokens_round_trip_and_reject_forgeries() {
        let p = page_from_pb("page", None).unwrap();
        assert_eq!(
            p,
            Page {
                size: 50,
                after: None
            }
        );
        let resp = page_to_pb(
            &Page {
                size: 2,
                after: None,
            },
            2,
            Some(41),
        );
        let next = pb::PageRequest {
            page_size: 2,
            page_token: resp.next_page_token,
        };
        assert_eq!(page_from_pb("page", Some(&next)).unwrap().after, Some(41));
        let forged = pb::PageRequest {
            page_size: 2,
            page_token: "41".into(),
        };
        assert!(page_from_pb("page", Some(&forged)).is_err());
        let huge = pb::PageRequest {
            page_size: 10_000,
            page_token: String::new(),
        };
        assert_eq!(
            page_from_pb("page", Some(&huge)).unwrap_err().violations()[0].field,
            "page.page_size"
        );
    }
}

#[cfg(test)]
mod text_and_enum_tests {
    use super::*;

    const NOTE: TextLimit = TextLimit {
        max_chars: 10,
        multiline: true,
    };
    const REF: TextLimit = TextLimit {
        max_chars: 10,
        multiline: false,
    };

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            optional_text("note", "  a\nb ", NOTE),
            Ok(Some("a\nb".into()))
        );
        assert_eq!(optional_text("note", "   ", NOTE), Ok(None));
        assert_eq!(
            optional_text("note", "élève ok", REF),
            Ok(Some("élève ok".into()))
        );
        let nul = optional_text("note", "a\0b", NOTE).expect_err("NUL");
        assert_eq!(nul.field, "note");
        assert!(nul.description.starts_with("CONTROL_CHARACTER"));
        assert!(optional_text("ref", "a\nb", REF).is_err());
        let long = optional_text("ref", "0123456789x", REF).expect_err("11 chars");
        assert_eq!(long.description, "TOO_LONG: 11 characters, at most 10");
    }

    #[test]
    fn required_parts_are_refused_when_absent() {
        assert_eq!(required_text("id", " a ", REF), Ok("a".into()));
        let empty = required_text("id", "  ", REF).expect_err("blank");
        assert!(empty.description.starts_with("REQUIRED"));
        assert!(required_enum::<pb::DebtorPaymentChannel>("channel", 0).is_err());
        assert!(required_enum::<pb::DebtorPaymentChannel>("channel", 999).is_err());
    }

    #[test]
    fn one_amount_parser_takes_the_contract_form_only() {
        let m = |a: &str| {
            Some(pb::Money {
                amount: a.to_owned(),
            })
        };
        assert_eq!(
            optional_money_from_pb("a", m("12.50").as_ref())
                .ok()
                .flatten()
                .map(|m| m.to_string()),
            Some("12.50".into())
        );
        assert_eq!(optional_money_from_pb("a", m("").as_ref()).ok(), Some(None));
        for bad in [" 12.50", "12.50 ", "1e3", "NaN", "12.345", " "] {
            let err = optional_money_from_pb("a", m(bad).as_ref()).expect_err(bad);
            assert_eq!(err.violations()[0].field, "a");
        }
    }

    #[test]
    fn an_undeclared_enum_number_is_refused() {
        assert_eq!(
            optional_enum::<pb::DebtorPaymentChannel>("channel", 0),
            Ok(None)
        );
        assert_eq!(
            optional_enum::<pb::DebtorPaymentChannel>("channel", 3),
            Ok(Some(pb::DebtorPaymentChannel::WageSeizure))
        );
        let err = optional_enum::<pb::DebtorPaymentChannel>("channel", 999).expect_err("999");
        assert_eq!(err.field, "channel");
        assert!(err.description.contains("999"));
    }
}

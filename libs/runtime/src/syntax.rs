//! The context-free checks of a whole contract message, walked by the contract's own
//! descriptors: every `Date`, `YearMonth` and `Money` it holds through the one parser of its
//! kind, every enum against the numbers the contract declares, every text through the one text
//! parser as one line. Three uses: a form's texts (`text_violations`, the fields added to the
//! contract later included); a request whose other checks need stored state (`violations`: an
//! amendment's form is judged against the dossier's receipt date, so its malformed values are
//! named before the look-up); and every refused request (`name_the_rest`, by the RPC shape).

use std::{fmt::Write, sync::OnceLock};

use prost_reflect::{DescriptorPool, DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value};
use secal_proto::v1 as pb;

use crate::{FieldViolation, wire};

fn pool() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| crate::connect::descriptor_pool().ok())
        .as_ref()
}

/// The violations of `message` (of the contract's type `full_name`, e.g.
/// `secal.v1.ApplicationForm`) at `path` in its request; none when it is well formed. A type
/// the descriptors do not know is not checked here (its own checks still run).
pub fn violations<M: prost::Message>(
    path: &str,
    full_name: &str,
    message: &M,
) -> Vec<FieldViolation> {
    found(path, full_name, message, Texts::OneLine)
}

/// Only the texts of `message` that the one text parser refuses as one line of at most 200
/// characters (a form's names, streets, references; the registry's addresses and employers).
pub fn text_violations<M: prost::Message>(
    path: &str,
    full_name: &str,
    message: &M,
) -> Vec<FieldViolation> {
    found(path, full_name, message, Texts::Only)
}

/// A refused request's error naming also every malformed date, month, amount and enum of the
/// request (`full_name` its type) that it does not name yet: a request refused for a missing
/// part used to name only that part, and the next attempt found the next malformed value.
/// Texts are left out: their limits differ by field (a note, a source citation), and only the
/// RPC's own parser knows them. Applied to every RPC by `grpc_service!`; it never turns an
/// accepted request into a refused one.
pub fn name_the_rest<M: prost::Message>(
    error: crate::ServiceError,
    full_name: &str,
    request: &M,
) -> crate::ServiceError {
    if error.code() != crate::ErrorCode::InvalidArgument || error.violations().is_empty() {
        return error;
    }
    let more = found("", full_name, request, Texts::Skip);
    error.naming_also(more)
}

/// What the walk does with texts: checks them as one line with the other values, leaves them
/// out, or checks only them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Texts {
    OneLine,
    Skip,
    Only,
}

fn found<M: prost::Message>(
    path: &str,
    full_name: &str,
    message: &M,
    texts: Texts,
) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    let Some(descriptor) = pool().and_then(|p| p.get_message_by_name(full_name)) else {
        return out;
    };
    // The message came from the wire as this type: it decodes as it.
    if let Ok(dynamic) = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice()) {
        let mut walk = Walk {
            out: &mut out,
            texts,
        };
        walk.message(&mut String::from(path), &dynamic);
    }
    out
}

struct Walk<'a> {
    out: &'a mut Vec<FieldViolation>,
    texts: Texts,
}

impl Walk<'_> {
    /// `at` is the path of `message`, one buffer for the whole walk.
    fn message(&mut self, at: &mut String, message: &DynamicMessage) {
        for (field, value) in message.fields() {
            let len = at.len();
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(field.name());
            if let Value::List(items) = value {
                for (i, item) in items.iter().enumerate() {
                    let field_len = at.len();
                    let _ = write!(at, "[{i}]");
                    self.one(at, &field, item);
                    at.truncate(field_len);
                }
            } else {
                self.one(at, &field, value);
            }
            at.truncate(len);
        }
    }

    fn one(&mut self, at: &mut String, field: &FieldDescriptor, value: &Value) {
        let values = self.texts != Texts::Only;
        let refused = match value {
            Value::Message(m) if !values => {
                self.message(at, m);
                None
            }
            Value::Message(m) => match m.descriptor().full_name() {
                "secal.v1.Date" => {
                    let d = pb::Date {
                        year: int(m, "year"),
                        month: int(m, "month"),
                        day: int(m, "day"),
                    };
                    wire::optional_date_from_pb(at, Some(&d)).err()
                }
                "secal.v1.YearMonth" => {
                    let ym = pb::YearMonth {
                        year: int(m, "year"),
                        month: int(m, "month"),
                    };
                    wire::optional_year_month_from_pb(at, Some(&ym)).err()
                }
                "secal.v1.Money" => {
                    let amount = m
                        .get_field_by_name("amount")
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    wire::optional_money_from_pb(at, Some(&pb::Money { amount })).err()
                }
                _ => {
                    self.message(at, m);
                    None
                }
            },
            Value::String(s) if self.texts != Texts::Skip => {
                if let Err(e) = wire::optional_text(at, s, wire::LINE) {
                    self.out.push(e);
                }
                None
            }
            Value::EnumNumber(n) if values => {
                if let Kind::Enum(e) = field.kind()
                    && e.get_value(*n).is_none()
                {
                    self.out.push(FieldViolation::new(
                        at.as_str(),
                        format!("ENUM_UNKNOWN: {n} is not a value of {}", e.name()),
                    ));
                }
                None
            }
            _ => None,
        };
        if let Some(e) = refused {
            self.out.extend(e.violations().iter().cloned());
        }
    }
}

fn int(m: &DynamicMessage, name: &str) -> i32 {
    m.get_field_by_name(name)
        .and_then(|v| v.as_i32())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_values_are_named_by_their_path_and_well_formed_ones_pass() {
        let mut form = pb::ApplicationForm::default();
        assert!(violations("form", "secal.v1.ApplicationForm", &form).is_empty());
        form.kind = 999;
        form.creditors = vec![
            pb::CreditorEntry::default(),
            pb::CreditorEntry {
                family_name: "bad\u{0}".into(),
                birth_date: Some(pb::Date {
                    year: 2023,
                    month: 2,
                    day: 30,
                }),
                monthly_amount: Some(pb::Money {
                    amount: "12,5".into(),
                }),
                ..Default::default()
            },
        ];
        let found = violations("form", "secal.v1.ApplicationForm", &form);
        let mut fields: Vec<_> = found.iter().map(|v| v.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "form.creditors[1].birth_date",
                "form.creditors[1].family_name",
                "form.creditors[1].monthly_amount",
                "form.kind",
            ]
        );
        assert!(violations("form", "secal.v1.NoSuchType", &form).is_empty());
    }

    #[test]
    fn a_field_refusal_also_names_the_malformed_dates_amounts_and_enums_but_not_texts() {
        let request = pb::AmendDossierRequest {
            effective_from: Some(pb::Date {
                year: 2024,
                month: 13,
                day: 1,
            }),
            reason: "x".repeat(500),
            ..Default::default()
        };
        let name = "secal.v1.AmendDossierRequest";
        let refused = crate::ServiceError::invalid_field("dossier", "a dossier is required");
        let named = name_the_rest(refused, name, &request);
        let fields: Vec<_> = named
            .violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["dossier", "effective_from"]);
        // Already named, or a part of it is: not twice.
        for field in ["effective_from", "effective_from.month"] {
            let refused = crate::ServiceError::invalid_field(field, "bad");
            let named = name_the_rest(refused, name, &request);
            assert_eq!(named.violations().len(), 1, "{field}");
        }
        // Another error, or a refusal with a reason, is left as it is.
        let other = crate::ServiceError::failed_precondition("STEP", "not now");
        assert!(name_the_rest(other, name, &request).violations().is_empty());
        let reasoned =
            crate::ServiceError::invalid_field("key", "reused").with_reason("KEY_REUSED");
        assert_eq!(
            name_the_rest(reasoned, name, &request).violations().len(),
            1
        );
    }
}

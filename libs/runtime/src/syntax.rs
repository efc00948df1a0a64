//! The context-free checks of a whole contract message, walked by the contract's own
//! descriptors over the message's wire encoding: every `Date`, `YearMonth` and `Money` it
//! holds through the one parser of its kind, every enum against the numbers the contract
//! declares, every text through the one text parser. Four uses: every request's texts against
//! the widest limit the contract states (`texts_beyond_every_limit`, by the RPC shape, before
//! the use case); a form's texts as one line each (`text_violations`, the fields added to the
//! contract later included); a request whose other checks need stored state (`violations`: an
//! amendment's form is judged against the dossier's receipt date, so its malformed values are
//! named before the look-up); and every refused request (`name_the_rest`, by the RPC shape).

use std::{collections::HashMap, fmt::Write, sync::OnceLock};

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
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

/// The wire encoding the RPC shape walks (once per request; kept for [`name_the_rest`]).
pub fn encoded<M: prost::Message>(request: &M) -> Vec<u8> {
    request.encode_to_vec()
}

/// Every text of a request (`full_name` its type, `encoded` its wire encoding) that no field
/// of the contract accepts: a control character other than a line break or a tab, or more
/// than 2,000 characters (the widest limit any field states: a note). Applied by the RPC shape
/// (`grpc_service!`) before any use case, so that a text no RPC reads closely (an id echoed in
/// an answer, a reference of a pure calculation) is refused naming its field like the others;
/// each RPC's own parser still applies its field's narrower limit.
pub fn texts_beyond_every_limit(full_name: &str, encoded: &[u8]) -> Vec<FieldViolation> {
    found_in("", full_name, encoded, Texts::Widest)
}

/// [`texts_beyond_every_limit`] as a refusal, for the RPCs the shape does not write (the
/// streaming ones, written by hand beside it): the same answer as every other RPC gives.
pub fn refuse_texts_beyond_every_limit<M: prost::Message>(
    full_name: &str,
    request: &M,
) -> Result<(), crate::ServiceError> {
    refuse_texts_in(full_name, &encoded(request))
}

/// The refusal of a request (`encoded` its wire encoding) holding a text no field accepts,
/// naming also its malformed dates, months, amounts and enums; `Ok` when it holds none.
pub fn refuse_texts_in(full_name: &str, encoded: &[u8]) -> Result<(), crate::ServiceError> {
    let texts = texts_beyond_every_limit(full_name, encoded);
    if texts.is_empty() {
        return Ok(());
    }
    let refused = crate::ServiceError::invalid(texts);
    Err(name_the_rest(refused, full_name, encoded))
}

/// A refused request's error naming also every malformed date, month, amount and enum of the
/// request (`full_name` its type, `encoded` its wire encoding) that it does not name yet: a
/// request refused for a missing part used to name only that part, and the next attempt found
/// the next malformed value. Texts are left out: their limits differ by field (a note, a
/// source citation), and only the RPC's own parser knows them. Applied to every RPC by
/// `grpc_service!`; it never turns an accepted request into a refused one.
pub fn name_the_rest(
    error: crate::ServiceError,
    full_name: &str,
    encoded: &[u8],
) -> crate::ServiceError {
    if error.code() != crate::ErrorCode::InvalidArgument || error.violations().is_empty() {
        return error;
    }
    let more = found_in("", full_name, encoded, Texts::Skip);
    error.naming_also(more)
}

/// What the walk does with texts: checks them as one line with the other values, leaves them
/// out, checks only them as one line, or checks only them against the widest limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Texts {
    OneLine,
    Skip,
    Only,
    Widest,
}

fn found<M: prost::Message>(
    path: &str,
    full_name: &str,
    message: &M,
    texts: Texts,
) -> Vec<FieldViolation> {
    found_in(path, full_name, &message.encode_to_vec(), texts)
}

fn found_in(path: &str, full_name: &str, encoded: &[u8], texts: Texts) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    let Some(plans) = plans() else {
        return out;
    };
    let Some(&message) = plans.by_name.get(full_name) else {
        return out;
    };
    // The walk reads the message's wire encoding by the plans: decoding it into a reflective
    // message first cost a quarter of the CPU of a submission (perf), and reading the
    // descriptors field by field most of the rest.
    let mut walk = Walk {
        plans,
        out: &mut out,
        texts,
        root: path,
        path: Vec::new(),
    };
    walk.message(message, encoded);
    out
}

/// The walk's view of the contract, built once from its descriptors: each message type's
/// fields by number, with what the walk does with each.
struct Plans {
    by_name: HashMap<String, usize>,
    messages: Vec<MessagePlan>,
}

struct MessagePlan {
    /// A date, month or amount: checked whole by the parser of its kind.
    value: Option<ValueKind>,
    /// By field number.
    fields: Vec<FieldPlan>,
}

struct FieldPlan {
    number: u32,
    name: Box<str>,
    list: bool,
    kind: FieldKind,
}

enum FieldKind {
    Text,
    Enum { name: Box<str>, known: Box<[i32]> },
    Message(usize),
    Other,
}

#[derive(Clone, Copy)]
enum ValueKind {
    Date,
    YearMonth,
    Money,
}

fn plans() -> Option<&'static Plans> {
    static PLANS: OnceLock<Option<Plans>> = OnceLock::new();
    PLANS.get_or_init(|| pool().map(plan)).as_ref()
}

fn plan(pool: &DescriptorPool) -> Plans {
    let messages: Vec<MessageDescriptor> = pool.all_messages().collect();
    let by_name: HashMap<String, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.full_name().to_owned(), i))
        .collect();
    let field = |f: FieldDescriptor| FieldPlan {
        number: f.number(),
        name: f.name().into(),
        list: f.is_list(),
        kind: match f.kind() {
            Kind::String => FieldKind::Text,
            Kind::Enum(e) => FieldKind::Enum {
                name: e.name().into(),
                known: e.values().map(|v| v.number()).collect(),
            },
            Kind::Message(m) => by_name
                .get(m.full_name())
                .map_or(FieldKind::Other, |&i| FieldKind::Message(i)),
            _ => FieldKind::Other,
        },
    };
    let messages = messages
        .iter()
        .map(|m| {
            let mut fields: Vec<FieldPlan> = m.fields().map(field).collect();
            fields.sort_by_key(|f| f.number);
            MessagePlan {
                value: match m.full_name() {
                    "secal.v1.Date" => Some(ValueKind::Date),
                    "secal.v1.YearMonth" => Some(ValueKind::YearMonth),
                    "secal.v1.Money" => Some(ValueKind::Money),
                    _ => None,
                },
                fields,
            }
        })
        .collect();
    Plans { by_name, messages }
}

/// One field of an encoded message, as the wire holds it (the fixed-width kinds hold no value
/// the walk checks).
#[derive(Clone, Copy)]
enum Raw<'b> {
    Varint(u64),
    Bytes(&'b [u8]),
}

/// The fields of an encoded message by field number (as a decoded message lists them), the
/// items of a repeated field in their order; `None` when the bytes are not a message, which
/// an encoded contract message never is.
fn fields(mut bytes: &[u8]) -> Option<Vec<(u32, Raw<'_>)>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let number = u32::try_from(key >> 3).ok()?;
        match key & 7 {
            0 => out.push((number, Raw::Varint(varint(&mut bytes)?))),
            1 => bytes = bytes.get(8..)?,
            2 => {
                let len = usize::try_from(varint(&mut bytes)?).ok()?;
                let (value, rest) = bytes.split_at_checked(len)?;
                out.push((number, Raw::Bytes(value)));
                bytes = rest;
            }
            5 => bytes = bytes.get(4..)?,
            _ => return None,
        }
    }
    // Stable: a repeated field's items keep their order.
    out.sort_by_key(|(number, _)| *number);
    Some(out)
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

struct Walk<'a> {
    plans: &'static Plans,
    out: &'a mut Vec<FieldViolation>,
    texts: Texts,
    /// The path of the walked message in its request.
    root: &'a str,
    /// The fields (and items) from there to the value read: written out as a path only
    /// when a value is refused.
    path: Vec<(&'static str, Option<usize>)>,
}

impl Walk<'_> {
    fn path(&self) -> String {
        let mut at = String::from(self.root);
        for (name, index) in &self.path {
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(name);
            if let Some(i) = index {
                let _ = write!(at, "[{i}]");
            }
        }
        at
    }

    fn message(&mut self, message: usize, bytes: &[u8]) {
        let Some(fields) = fields(bytes) else {
            return;
        };
        let plan = &self.plans.messages[message];
        // The item number within the repeated field being read.
        let mut item = (0_u32, 0_usize);
        for (number, raw) in fields {
            let Ok(at) = plan.fields.binary_search_by_key(&number, |f| f.number) else {
                continue;
            };
            let field = &plan.fields[at];
            let mut next = || {
                item = if item.0 == number {
                    (number, item.1 + 1)
                } else {
                    (number, 0)
                };
                item.1
            };
            match (raw, field.list, &field.kind) {
                // A packed repeated enum: its items in one value.
                (Raw::Bytes(mut packed), true, FieldKind::Enum { .. }) => {
                    while let Some(n) = varint(&mut packed) {
                        self.field(field, Some(next()), Raw::Varint(n));
                    }
                }
                (raw, true, _) => self.field(field, Some(next()), raw),
                (raw, false, _) => self.field(field, None, raw),
            }
        }
    }

    /// One value of `field` (item `index` of a repeated one).
    fn field(&mut self, field: &'static FieldPlan, index: Option<usize>, raw: Raw) {
        self.path.push((&field.name, index));
        self.one(field, raw);
        self.path.pop();
    }

    fn one(&mut self, field: &'static FieldPlan, raw: Raw) {
        let values = matches!(self.texts, Texts::OneLine | Texts::Skip);
        match (&field.kind, raw) {
            (FieldKind::Message(m), Raw::Bytes(bytes)) => {
                let kind = self.plans.messages[*m].value.filter(|_| values);
                match kind {
                    // Parsed again, with its path, only when refused.
                    Some(kind) if value(kind, "", bytes).is_err() => {
                        if let Err(e) = value(kind, &self.path(), bytes) {
                            self.out.extend(e.violations().iter().cloned());
                        }
                    }
                    Some(_) => {}
                    None => self.message(*m, bytes),
                }
            }
            (FieldKind::Text, Raw::Bytes(bytes)) if self.texts != Texts::Skip => {
                let limit = if self.texts == Texts::Widest {
                    wire::NOTE
                } else {
                    wire::LINE
                };
                // Encoded from a `String`: always UTF-8.
                if let Ok(s) = std::str::from_utf8(bytes)
                    && let Some(mut e) = wire::text_violation("", s, limit)
                {
                    e.field = self.path();
                    // The widest limit is a note's; the field may be an id, which allows no
                    // line break either: say what every field refuses.
                    if self.texts == Texts::Widest && e.description.starts_with("CONTROL_") {
                        e.description = "CONTROL_CHARACTER: a control character (only a note \
                                         may hold line breaks and tabs)"
                            .into();
                    }
                    self.out.push(e);
                }
            }
            (FieldKind::Enum { name, known }, Raw::Varint(n)) if values => {
                // An enum is an int32 on the wire, sign-extended to 64 bits.
                let n = i64::from_ne_bytes(n.to_ne_bytes());
                if !i32::try_from(n).is_ok_and(|n| known.contains(&n)) {
                    self.out.push(FieldViolation::new(
                        self.path(),
                        format!("ENUM_UNKNOWN: {n} is not a value of {name}"),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// A date, month or amount through the one parser of its kind.
fn value(kind: ValueKind, at: &str, bytes: &[u8]) -> Result<(), crate::ServiceError> {
    use prost::Message;
    match kind {
        ValueKind::Date => {
            let d = pb::Date::decode(bytes).unwrap_or_default();
            wire::optional_date_from_pb(at, Some(&d)).map(drop)
        }
        ValueKind::YearMonth => {
            let ym = pb::YearMonth::decode(bytes).unwrap_or_default();
            wire::optional_year_month_from_pb(at, Some(&ym)).map(drop)
        }
        ValueKind::Money => {
            let m = pb::Money::decode(bytes).unwrap_or_default();
            wire::optional_money_from_pb(at, Some(&m)).map(drop)
        }
    }
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
    fn every_text_of_a_request_is_held_to_the_widest_limit_and_no_other() {
        let request = pb::AmendDossierRequest {
            reason: "two lines\nof reason".into(),
            effective_from: Some(pb::Date {
                year: 2024,
                month: 13,
                day: 1,
            }),
            form: Some(pb::ApplicationForm {
                creditors: vec![
                    pb::CreditorEntry {
                        family_name: "x".repeat(1_500),
                        ..Default::default()
                    },
                    pb::CreditorEntry {
                        family_name: "é".repeat(2_001),
                        given_names: "a\u{0}b".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        let found = texts_beyond_every_limit("secal.v1.AmendDossierRequest", &encoded(&request));
        let fields: Vec<_> = found.iter().map(|v| v.field.as_str()).collect();
        // Line breaks and 1,500 characters pass here (each RPC's own limit may be narrower);
        // the malformed date is not a text.
        assert_eq!(
            fields,
            [
                "form.creditors[1].family_name",
                "form.creditors[1].given_names"
            ]
        );
    }

    #[test]
    fn a_packed_repeated_enum_is_named_by_its_item() {
        let request = pb::SearchDossiersRequest {
            statuses: vec![pb::DossierStatus::Received as i32, 77, -3],
            ..Default::default()
        };
        let found = violations("", "secal.v1.SearchDossiersRequest", &request);
        let fields: Vec<_> = found.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["statuses[1]", "statuses[2]"]);
        assert!(found[1].description.contains("-3"), "{found:?}");
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
        let named = name_the_rest(refused, name, &encoded(&request));
        let fields: Vec<_> = named
            .violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["dossier", "effective_from"]);
        // Already named, or a part of it is: not twice.
        for field in ["effective_from", "effective_from.month"] {
            let refused = crate::ServiceError::invalid_field(field, "bad");
            let named = name_the_rest(refused, name, &encoded(&request));
            assert_eq!(named.violations().len(), 1, "{field}");
        }
        // Another error, or a refusal with a reason, is left as it is.
        let other = crate::ServiceError::failed_precondition("STEP", "not now");
        assert!(
            name_the_rest(other, name, &encoded(&request))
                .violations()
                .is_empty()
        );
        let reasoned =
            crate::ServiceError::invalid_field("key", "reused").with_reason("KEY_REUSED");
        assert_eq!(
            name_the_rest(reasoned, name, &encoded(&request))
                .violations()
                .len(),
            1
        );
    }
}

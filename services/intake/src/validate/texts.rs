//! Every free text of the form through the one text parser (`wire::optional_text`): one line
//! of at most 200 characters, no control characters. The form has dozens of text fields
//! (names, streets, a profession, an employer, references); checking them by walking the
//! form's canonical JSON covers each one, and any field added to the contract later, where a
//! check written per field left most of them unlimited (a 3 MB `debtor.profession` was
//! stored). Also used for the registry's addresses and employers.

use std::fmt::Write;

use secal_proto::v1 as pb;
use secal_runtime::{FieldViolation, wire};
use serde::Serialize;
use serde_json::Value;

use super::Check;

pub(super) fn check(c: &mut Check, form: &pb::ApplicationForm) {
    for v in text_violations("form", form) {
        if !c.out.invalid.iter().any(|i| i.field == v.field) {
            c.invalid(v.field, "TEXT_INVALID", v.description);
        }
    }
}

/// Every enum of the form through the one enum parser (`wire::optional_enum`): a number
/// the contract does not declare is refused naming its field, never stored as it came (an
/// undeclared number also makes the stored form unreadable as canonical JSON).
pub(super) fn enums(c: &mut Check, form: &pb::ApplicationForm) {
    use pb::{
        AccountHolding, AddressKind, CorrespondenceLanguage, CreditorKind, DependentChildLink,
        DocumentKind, EnforcementActKind, TitleKind, YesNoUnknown,
    };
    let mut bad: Vec<(String, i32)> = Vec::new();
    let mut check = |field: String, raw: i32, declared: bool| {
        if !declared {
            bad.push((field, raw));
        }
    };
    // form.kind: an undeclared number is already refused as KIND_REQUIRED.
    if let Some(a) = &form.applicant {
        let l = a.language;
        check(
            "form.applicant.language".into(),
            l,
            declared::<CorrespondenceLanguage>(l),
        );
    }
    if let Some(d) = &form.debtor {
        let k = d.last_known_address_kind;
        let field = "form.debtor.last_known_address_kind";
        check(field.into(), k, declared::<AddressKind>(k));
        let y = d.has_income_in_belgium;
        let field = "form.debtor.has_income_in_belgium";
        check(field.into(), y, declared::<YesNoUnknown>(y));
    }
    for (i, cr) in form.creditors.iter().enumerate() {
        let field = format!("form.creditors[{i}].kind");
        check(field, cr.kind, declared::<CreditorKind>(cr.kind));
    }
    if let Some(t) = &form.title {
        check(
            "form.title.kind".into(),
            t.kind,
            declared::<TitleKind>(t.kind),
        );
    }
    if let Some(p) = &form.payout {
        let h = p.holding;
        check(
            "form.payout.holding".into(),
            h,
            declared::<AccountHolding>(h),
        );
    }
    for (i, a) in form
        .enforcement
        .iter()
        .flat_map(|e| &e.attempts)
        .enumerate()
    {
        let field = format!("form.enforcement.attempts[{i}].kind");
        check(field, a.kind, declared::<EnforcementActKind>(a.kind));
    }
    for (i, o) in form.other_dependent_children.iter().enumerate() {
        let field = format!("form.other_dependent_children[{i}].link");
        check(field, o.link, declared::<DependentChildLink>(o.link));
    }
    for (i, d) in form.documents.iter().enumerate() {
        let field = format!("form.documents[{i}].kind");
        check(field, d.kind, declared::<DocumentKind>(d.kind));
    }
    for (field, raw) in bad {
        let why = format!("{raw} is not a value of this enum");
        c.invalid(field, "ENUM_UNKNOWN", why);
    }
}

/// Whether `raw` is unspecified (0) or a value the contract declares for `E`.
fn declared<E: TryFrom<i32>>(raw: i32) -> bool {
    wire::optional_enum::<E>("", raw).is_ok()
}

/// Every text of `message` (at `path` in its request) that the one text parser refuses as
/// one line of at most 200 characters. Also for the registry's addresses and employers.
pub(crate) fn text_violations<M: Serialize>(path: &str, message: &M) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    // A message that does not serialise holds an enum number the contract does not declare;
    // the enum checks name that field.
    if let Ok(json) = serde_json::to_value(message) {
        let mut at = String::from(path);
        walk(&mut out, &mut at, &json);
    }
    out
}

/// `at` is the path of `value`, one buffer for the whole walk: a path is written out only
/// for a refused text (every submission walks some hundred fields, and formatting each
/// path was a visible share of its CPU).
fn walk(out: &mut Vec<FieldViolation>, at: &mut String, value: &Value) {
    let len = at.len();
    match value {
        Value::String(s) => {
            if let Err(e) = wire::optional_text(at, s, wire::LINE) {
                out.push(e);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                // Writing into the buffer allocates nothing.
                let _ = write!(at, "[{i}]");
                walk(out, at, item);
                at.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                at.push('.');
                push_snake_case(at, name);
                walk(out, at, item);
                at.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Appends the proto field name of a canonical JSON name (`netMonthlyIncome` →
/// `net_monthly_income`).
fn push_snake_case(out: &mut String, json_name: &str) {
    for ch in json_name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_become_proto_names() {
        let snake = |name: &str| {
            let mut out = String::new();
            push_snake_case(&mut out, name);
            out
        };
        assert_eq!(snake("netMonthlyIncome"), "net_monthly_income");
        assert_eq!(snake("profession"), "profession");
    }

    #[test]
    fn a_refused_text_is_named_by_its_whole_path() {
        let json = serde_json::json!({
            "creditors": [{"familyName": "ok"}, {"familyName": "bad\u{0}", "givenNames": "ok"}],
            "debtor": {"profession": "x".repeat(201)},
        });
        let mut out = Vec::new();
        walk(&mut out, &mut String::from("form"), &json);
        let fields: Vec<_> = out.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["form.creditors[1].family_name", "form.debtor.profession"]
        );
    }
}

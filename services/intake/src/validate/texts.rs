//! Every free text of the form through the one text parser (`wire::optional_text`): one line
//! of at most 200 characters, no control characters. The form has dozens of text fields
//! (names, streets, a profession, an employer, references); walking the form by its
//! descriptor (`secal_runtime::syntax`) covers each one, and any field added to the contract
//! later, where a check written per field left most of them unlimited (a 3 MB
//! `debtor.profession` was stored). The registry's addresses and employers go the same way.

use secal_proto::v1 as pb;
use secal_runtime::{syntax, wire};

use super::Check;

pub(super) fn check(c: &mut Check, form: &pb::ApplicationForm) {
    for v in syntax::text_violations("form", super::FORM, form) {
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

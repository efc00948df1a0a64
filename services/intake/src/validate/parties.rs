//! Frames 1, 2, 3 and 7: the applicant, the debtor, the creditors, other dependants, and the
//! counts that must agree with the lists.

use std::collections::HashSet;

use secal_domain::NationalNumber;
use secal_proto::v1::{self as pb, CreditorKind as CK};

use super::{At, Check, age_on};

/// Children may have advances until 18, or while entitled to family allowance.
const ADVANCE_AGE_LIMIT: u32 = 18;
/// A dependent child is under 25 (form frame 1).
const DEPENDANT_AGE_LIMIT: u32 = 25;

pub(super) fn check(c: &mut Check, form: &pb::ApplicationForm, kind: pb::ApplicationKind) {
    let applicant_nn = applicant(c, form.applicant.as_ref());
    debtor(c, form.debtor.as_ref());
    creditors(c, form, kind, applicant_nn.as_ref());
    dependants(c, form);
}

fn applicant(c: &mut Check, a: Option<&pb::ApplicantFrame>) -> Option<NationalNumber> {
    let Some(a) = a else {
        c.missing(
            "form.applicant",
            "APPLICANT_MISSING",
            "frame 1 (the applicant) is required",
        );
        return None;
    };
    let nn = c.national_number("form.applicant.national_number", a.national_number.as_ref());
    if a.national_number
        .as_ref()
        .is_none_or(|n| n.value.trim().is_empty())
    {
        c.missing(
            "form.applicant.national_number",
            "APPLICANT_NATIONAL_NUMBER_MISSING",
            "the applicant's national number is mandatory",
        );
    }
    c.required_text(
        "form.applicant.family_name",
        &a.family_name,
        "APPLICANT_NAME_MISSING",
    );
    c.required_text(
        "form.applicant.given_names",
        &a.given_names,
        "APPLICANT_NAME_MISSING",
    );
    birth_date_agrees(
        c,
        "form.applicant.birth_date",
        a.birth_date.as_ref(),
        nn.as_ref(),
    );
    if a.official_address.is_none() {
        c.missing(
            "form.applicant.official_address",
            "APPLICANT_ADDRESS_MISSING",
            "the official domicile is required: all correspondence goes there",
        );
    }
    applicant_counts(c, a);
    net_income(c, a.net_monthly_income.as_ref());
    nn
}

/// Frame 1's counts of creditors and children: none negative, and the disabled children
/// among the dependent ones.
fn applicant_counts(c: &mut Check, a: &pb::ApplicantFrame) {
    for (field, n) in [
        ("recovery_creditor_count", a.recovery_creditor_count),
        ("advance_child_count", a.advance_child_count),
        ("dependent_child_count", a.dependent_child_count),
        (
            "disabled_dependent_child_count",
            a.disabled_dependent_child_count,
        ),
    ] {
        if n < 0 {
            c.invalid(
                format!("form.applicant.{field}"),
                "COUNT_NEGATIVE",
                "cannot be negative",
            );
        }
    }
    if a.disabled_dependent_child_count > a.dependent_child_count {
        c.invalid(
            "form.applicant.disabled_dependent_child_count",
            "COUNT_MISMATCH",
            "cannot exceed the number of dependent children",
        );
    }
}

/// The applicant's net income: optional on the form, zero allowed, never negative.
fn net_income(c: &mut Check, income: Option<&pb::Money>) {
    let field = "form.applicant.net_monthly_income";
    if c.amount(field, income).is_some_and(|m| m.is_negative()) {
        c.invalid(field, "AMOUNT_NEGATIVE", "cannot be negative");
    }
}

fn birth_date_agrees(
    c: &mut Check,
    field: &str,
    given: Option<&pb::Date>,
    nn: Option<&NationalNumber>,
) {
    let date = c.not_after_receipt(field, given);
    if let (Some(d), Some(from_nn)) = (date, nn.and_then(|n| n.birth_date()))
        && d != from_nn
    {
        c.invalid(
            field,
            "BIRTH_DATE_MISMATCH",
            "does not agree with the national number",
        );
    }
}

fn debtor(c: &mut Check, d: Option<&pb::DebtorFrame>) {
    let Some(d) = d else {
        c.missing(
            "form.debtor",
            "DEBTOR_MISSING",
            "frame 2 (the debtor) is required",
        );
        return;
    };
    let nn = c.national_number("form.debtor.national_number", d.national_number.as_ref());
    birth_date_agrees(
        c,
        "form.debtor.birth_date",
        d.birth_date.as_ref(),
        nn.as_ref(),
    );
    c.required_text(
        "form.debtor.family_name",
        &d.family_name,
        "DEBTOR_NAME_MISSING",
    );
    c.required_text(
        "form.debtor.given_names",
        &d.given_names,
        "DEBTOR_NAME_MISSING",
    );
    if d.last_known_address.is_none() {
        c.missing(
            "form.debtor.last_known_address",
            "DEBTOR_ADDRESS_MISSING",
            "the debtor's last known address is required",
        );
    }
    for (i, b) in d.bank_accounts.iter().enumerate() {
        c.iban(
            &format!("form.debtor.bank_accounts[{i}].iban"),
            b.iban.as_ref(),
        );
    }
}

/// What the creditors of frame 3 add up to, for the checks across them.
#[derive(Default)]
struct CreditorTally<'a> {
    keys: HashSet<&'a str>,
    applicants: i32,
    advance_children: i32,
}

fn creditors(
    c: &mut Check,
    form: &pb::ApplicationForm,
    kind: pb::ApplicationKind,
    applicant_nn: Option<&NationalNumber>,
) {
    if form.creditors.is_empty() {
        c.missing(
            "form.creditors",
            "CREDITORS_MISSING",
            "at least one creditor (frame 3) is required",
        );
    }
    let mut tally = CreditorTally::default();
    for (i, cr) in form.creditors.iter().enumerate() {
        let at = At::entry("form.creditors", i);
        creditor(c, &at, cr, kind, applicant_nn, &mut tally);
    }
    creditor_counts(c, form, tally.advance_children);
    if kind == pb::ApplicationKind::ArrearsAndFutureWithAdvances && tally.advance_children == 0 {
        c.invalid(
            "form.kind",
            "ADVANCES_NONE_REQUESTED",
            "advances are asked but no child creditor has advances_requested",
        );
    }
}

fn creditor<'a>(
    c: &mut Check,
    at: &At,
    cr: &'a pb::CreditorEntry,
    kind: pb::ApplicationKind,
    applicant_nn: Option<&NationalNumber>,
    tally: &mut CreditorTally<'a>,
) {
    creditor_key(c, at, cr.creditor_key.trim(), &mut tally.keys);
    // An undeclared kind is reported as CREDITOR_KIND_REQUIRED below.
    let ck = CK::try_from(cr.kind).unwrap_or_default();
    let nn = c.national_number(&at.of("national_number"), cr.national_number.as_ref());
    match ck {
        CK::Unspecified => c.invalid(
            at.of("kind"),
            "CREDITOR_KIND_REQUIRED",
            "the applicant or a child",
        ),
        CK::Applicant => {
            tally.applicants += 1;
            applicant_creditor(c, at, tally.applicants, nn.as_ref(), applicant_nn);
        }
        CK::Child => child_creditor(c, at, cr),
    }
    birth_date_agrees(c, &at.of("birth_date"), cr.birth_date.as_ref(), nn.as_ref());
    monthly_amount(c, at, cr.monthly_amount.as_ref());
    if let Some(cpas) = &cr.cpas_advance {
        cpas_advance(c, at, cpas);
    }
    if cr.advances_requested && advances(c, at, cr, ck, kind, nn.as_ref()) {
        tally.advance_children += 1;
    }
}

fn creditor_key<'a>(c: &mut Check, at: &At, key: &'a str, keys: &mut HashSet<&'a str>) {
    if key.is_empty() {
        c.invalid(
            at.of("creditor_key"),
            "KEY_REQUIRED",
            "a creditor key is required",
        );
    } else if !keys.insert(key) {
        c.invalid(
            at.of("creditor_key"),
            "KEY_DUPLICATE",
            "creditor keys are unique within the form",
        );
    }
}

/// The `nth` applicant creditor of the form: there is one at most, and it is the
/// applicant of frame 1.
fn applicant_creditor(
    c: &mut Check,
    at: &At,
    nth: i32,
    nn: Option<&NationalNumber>,
    applicant_nn: Option<&NationalNumber>,
) {
    if nth > 1 {
        c.invalid(
            at.of("kind"),
            "APPLICANT_CREDITOR_DUPLICATE",
            "the applicant can be a creditor only once",
        );
    }
    if let (Some(nn), Some(app)) = (nn, applicant_nn)
        && nn != app
    {
        c.invalid(
            at.of("national_number"),
            "APPLICANT_CREDITOR_MISMATCH",
            "an applicant creditor is the applicant of frame 1",
        );
    }
}

/// A child is named in frame 3 itself, national number included.
fn child_creditor(c: &mut Check, at: &At, cr: &pb::CreditorEntry) {
    if cr
        .national_number
        .as_ref()
        .is_none_or(|n| n.value.trim().is_empty())
    {
        c.missing(
            at.of("national_number"),
            "CREDITOR_NATIONAL_NUMBER_MISSING",
            "a child's national number is mandatory",
        );
    }
    c.required_text(
        &at.of("family_name"),
        &cr.family_name,
        "CREDITOR_NAME_MISSING",
    );
    c.required_text(
        &at.of("given_names"),
        &cr.given_names,
        "CREDITOR_NAME_MISSING",
    );
}

fn monthly_amount(c: &mut Check, at: &At, amount: Option<&pb::Money>) {
    let field = at.of("monthly_amount");
    if c.positive_amount(&field, amount).is_none()
        && amount.is_none_or(|m| m.amount.trim().is_empty())
    {
        c.missing(
            field,
            "MONTHLY_AMOUNT_MISSING",
            "the monthly amount the title fixes for this creditor is required",
        );
    }
}

fn cpas_advance(c: &mut Check, at: &At, cpas: &pb::CpasAdvance) {
    c.positive_amount(
        &at.of("cpas_advance.monthly_amount"),
        cpas.monthly_amount.as_ref(),
    );
    let cutoff = chrono::NaiveDate::from_ymd_opt(2005, 10, 1);
    for (f, d) in [
        ("decision_date", cpas.decision_date.as_ref()),
        ("first_paid_on", cpas.first_paid_on.as_ref()),
    ] {
        let field = at.of(&format!("cpas_advance.{f}"));
        if let (Some(d), Some(cutoff)) = (c.date(&field, d), cutoff)
            && d >= cutoff
        {
            c.invalid(
                field,
                "CPAS_ADVANCE_AFTER_2005",
                "CPAS advances on maintenance ended in September 2005",
            );
        }
    }
}

/// Advances asked for a creditor: only for a child, only with future maintenance, and
/// from 18 only while family allowance is paid. `true` when the creditor is a child, who
/// then counts among the children with advances whatever else is wrong.
fn advances(
    c: &mut Check,
    at: &At,
    cr: &pb::CreditorEntry,
    ck: CK,
    kind: pb::ApplicationKind,
    nn: Option<&NationalNumber>,
) -> bool {
    if ck != CK::Child {
        c.invalid(
            at.of("advances_requested"),
            "ADVANCES_ONLY_FOR_CHILDREN",
            "advances are paid only for children",
        );
        return false;
    }
    if kind != pb::ApplicationKind::ArrearsAndFutureWithAdvances {
        c.invalid(
            at.of("advances_requested"),
            "ADVANCES_NEED_FUTURE_MAINTENANCE",
            "advances are asked only with future maintenance (kind with advances)",
        );
    }
    let birth = c
        .date(&at.of("birth_date"), cr.birth_date.as_ref())
        .or_else(|| nn.and_then(|n| n.birth_date()));
    if let Some(birth) = birth
        && age_on(birth, c.received_on) >= ADVANCE_AGE_LIMIT
    {
        family_allowance_continues(c, at, cr);
    }
    true
}

/// A child of 18 or over keeps advances while entitled to family allowance, renewed every
/// six months.
fn family_allowance_continues(c: &mut Check, at: &At, cr: &pb::CreditorEntry) {
    if !cr.family_allowance_entitled {
        c.invalid(
            at.of("family_allowance_entitled"),
            "CHILD_OVER_AGE_LIMIT",
            "a child of 18 or over has advances only while entitled to family allowance",
        );
        return;
    }
    let field = at.of("entitlement_valid_until");
    match c.date(&field, cr.entitlement_valid_until.as_ref()) {
        None => c.missing(
            field,
            "ENTITLEMENT_RENEWAL_MISSING",
            "the end of the current 6-month family-allowance renewal is required",
        ),
        Some(until) if until < c.received_on => c.invalid(
            field,
            "ENTITLEMENT_LAPSED",
            "the family-allowance entitlement has lapsed",
        ),
        Some(_) => {}
    }
}

/// Frame 1's counts of creditors and of children with advances agree with frame 3.
fn creditor_counts(c: &mut Check, form: &pb::ApplicationForm, advance_children: i32) {
    let Some(a) = &form.applicant else { return };
    let listed = i32::try_from(form.creditors.len()).unwrap_or(i32::MAX);
    if a.recovery_creditor_count != listed {
        c.invalid(
            "form.applicant.recovery_creditor_count",
            "COUNT_MISMATCH",
            format!("must equal the number of creditors listed in frame 3 ({listed})"),
        );
    }
    if a.advance_child_count != advance_children {
        c.invalid(
            "form.applicant.advance_child_count",
            "COUNT_MISMATCH",
            format!(
                "must equal the number of children with advances requested ({advance_children})"
            ),
        );
    }
}

fn dependants(c: &mut Check, form: &pb::ApplicationForm) {
    let mut disabled = 0;
    for (i, ch) in form.other_dependent_children.iter().enumerate() {
        let at = |f: &str| format!("form.other_dependent_children[{i}].{f}");
        let nn = c.national_number(&at("national_number"), ch.national_number.as_ref());
        let birth = c
            .not_after_receipt(&at("birth_date"), ch.birth_date.as_ref())
            .or_else(|| nn.as_ref().and_then(|n| n.birth_date()));
        if let Some(birth) = birth
            && age_on(birth, c.received_on) >= DEPENDANT_AGE_LIMIT
        {
            c.invalid(
                at("birth_date"),
                "DEPENDANT_OVER_AGE_LIMIT",
                "a dependent child is under 25",
            );
        }
        if ch.disabled {
            disabled += 1;
        }
    }
    let Some(a) = &form.applicant else { return };
    let listed = i32::try_from(form.other_dependent_children.len()).unwrap_or(i32::MAX);
    if a.dependent_child_count < listed {
        c.invalid(
            "form.applicant.dependent_child_count",
            "COUNT_MISMATCH",
            format!("at least the {listed} dependent children of frame 7"),
        );
    }
    if a.disabled_dependent_child_count < disabled {
        c.invalid(
            "form.applicant.disabled_dependent_child_count",
            "COUNT_MISMATCH",
            format!("at least the {disabled} disabled children of frame 7"),
        );
    }
}

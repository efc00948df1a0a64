//! Frame 5: money is paid only to the applicant's own or joint account, or to the lawyer's
//! with the applicant's express authorisation.

use std::collections::HashMap;

use secal_proto::v1 as pb;

use super::Check;

pub(super) fn check(
    c: &mut Check,
    form: &pb::ApplicationForm,
    docs: &HashMap<String, pb::DocumentKind>,
) {
    use pb::AccountHolding as H;
    let Some(p) = &form.payout else {
        c.missing(
            "form.payout",
            "PAYOUT_MISSING",
            "the account money is paid to (frame 5) is required",
        );
        return;
    };
    let account = p.account.as_ref();
    payout_iban(c, account);
    // A holder name is optional on the form: without one there is nothing to compare.
    let holder = account.map(|a| a.holder_name.as_str()).unwrap_or_default();
    // Nor without the applicant's name, which frame 1 reports missing.
    let applicant_name = form
        .applicant
        .as_ref()
        .map(|a| a.family_name.as_str())
        .unwrap_or_default();
    // An undeclared holding is reported as PAYOUT_HOLDING_REQUIRED.
    match H::try_from(p.holding).unwrap_or_default() {
        H::Unspecified => c.invalid(
            "form.payout.holding",
            "PAYOUT_HOLDING_REQUIRED",
            "the applicant's own account, a joint account, or the lawyer's",
        ),
        H::Sole | H::Joint => {
            if !holder.trim().is_empty() && !secal_domain::holder_names(holder, applicant_name) {
                c.invalid(
                    "form.payout.account.holder_name",
                    "PAYOUT_NOT_APPLICANT_ACCOUNT",
                    "money is paid only to an account of the applicant (alone or jointly)",
                );
            }
        }
        H::Lawyer => lawyer_account(c, p, holder, docs),
    }
}

fn payout_iban(c: &mut Check, account: Option<&pb::BankAccount>) {
    let iban = account.and_then(|a| a.iban.as_ref());
    if c.iban("form.payout.account.iban", iban).is_none()
        && iban.is_none_or(|i| i.value.trim().is_empty())
    {
        c.missing(
            "form.payout.account.iban",
            "PAYOUT_IBAN_MISSING",
            "the IBAN of the payout account is required",
        );
    }
}

/// A lawyer's account only with the applicant's express authorisation, signed, dated and
/// among the documents, and only the authorised lawyer's own account.
fn lawyer_account(
    c: &mut Check,
    p: &pb::PayoutFrame,
    holder: &str,
    docs: &HashMap<String, pb::DocumentKind>,
) {
    let Some(auth) = &p.lawyer_authorisation else {
        c.invalid(
            "form.payout.lawyer_authorisation",
            "LAWYER_AUTHORISATION_MISSING",
            "a lawyer's account needs the applicant's express authorisation",
        );
        return;
    };
    c.required_text(
        "form.payout.lawyer_authorisation.lawyer_name",
        &auth.lawyer_name,
        "LAWYER_NAME_MISSING",
    );
    if !holder.trim().is_empty() && !secal_domain::holder_names(holder, &auth.lawyer_name) {
        c.invalid(
            "form.payout.account.holder_name",
            "PAYOUT_NOT_LAWYER_ACCOUNT",
            "the account must be the authorised lawyer's",
        );
    }
    c.not_after_receipt(
        "form.payout.lawyer_authorisation.authorised_on",
        auth.authorised_on.as_ref(),
    );
    if super::absent_date(auth.authorised_on.as_ref()) {
        c.missing(
            "form.payout.lawyer_authorisation.authorised_on",
            "LAWYER_AUTHORISATION_DATE_MISSING",
            "the date the applicant signed the authorisation is required",
        );
    }
    let key = auth.document_key.trim();
    match docs.get(key) {
        Some(pb::DocumentKind::LawyerAuthorisation) => {}
        Some(_) | None if !key.is_empty() => c.invalid(
            "form.payout.lawyer_authorisation.document_key",
            "UNKNOWN_DOCUMENT_KEY",
            "names no lawyer's authorisation in the documents",
        ),
        _ => c.missing(
            "form.payout.lawyer_authorisation.document_key",
            "LAWYER_AUTHORISATION_DOCUMENT_MISSING",
            "the signed authorisation must be in the documents",
        ),
    }
}

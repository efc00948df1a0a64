//! Amending an active dossier: a new revision of the form, effective from a date, and a
//! CHANGED event saying what changed.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, syntax, wire};
use sqlx::PgConnection;

use super::{Begun, RequestParts, finish, reload};
use crate::{
    api::IntakeApi,
    applications, outbox,
    store::{self, DossierKey, DossierRow, Entry, FormColumns},
    validate,
};
use secal_rules::lifecycle::Step;

/// What an amendment changes, as payments needs to know it.
fn changes(old: &pb::ApplicationForm, new: &pb::ApplicationForm) -> Vec<pb::DossierChangeKind> {
    use pb::DossierChangeKind as C;
    let mut out = Vec::new();
    let amounts = |f: &pb::ApplicationForm| -> Vec<(String, Option<pb::Money>)> {
        f.creditors
            .iter()
            .map(|c| (c.creditor_key.clone(), c.monthly_amount.clone()))
            .collect()
    };
    if old.title != new.title || amounts(old) != amounts(new) {
        out.push(C::Title);
    }
    let who = |f: &pb::ApplicationForm| -> Vec<(String, i32, bool, bool)> {
        f.creditors
            .iter()
            .map(|c| {
                (
                    c.creditor_key.clone(),
                    c.kind,
                    c.advances_requested,
                    c.family_allowance_entitled,
                )
            })
            .collect()
    };
    if who(old) != who(new) || old.kind != new.kind {
        out.push(C::Creditors);
    }
    if old.payout != new.payout {
        out.push(C::PayoutAccount);
    }
    let means = |f: &pb::ApplicationForm| {
        f.applicant.as_ref().map(|a| {
            (
                a.net_monthly_income.clone(),
                a.dependent_child_count,
                a.disabled_dependent_child_count,
            )
        })
    };
    if means(old) != means(new) || old.other_dependent_children != new.other_dependent_children {
        out.push(C::ApplicantMeans);
    }
    let details = |f: &pb::ApplicationForm| {
        (
            f.applicant.as_ref().map(|a| a.official_address.clone()),
            f.debtor.as_ref().map(|d| {
                (
                    d.last_known_address.clone(),
                    d.employer.clone(),
                    d.profession.clone(),
                )
            }),
        )
    };
    if details(old) != details(new) {
        out.push(C::PartyDetails);
    }
    out
}

/// An amendment, as the request gives it once checked. The form is judged only once the
/// dossier is locked: its dates are judged against the stored receipt date.
struct Amendment {
    key: String,
    dossier: DossierKey,
    effective_from: NaiveDate,
    reason: String,
}

impl TryFrom<&pb::AmendDossierRequest> for Amendment {
    type Error = ServiceError;

    fn try_from(req: &pb::AmendDossierRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let effective_from = v.take_all(wire::date_from_pb(
            "effective_from",
            req.effective_from.as_ref(),
        ));
        let reason = req.reason.trim();
        if reason.is_empty() {
            v.add("reason", "say why the dossier is amended");
        }
        // Malformed values of the form are named with the rest; the form as a whole is judged
        // once the dossier (its receipt date) is read.
        if let Some(form) = &req.form {
            v.extend(syntax::violations("form", validate::FORM, form));
        }
        v.finish(|| {
            Some(Amendment {
                key: key?,
                dossier: dossier?,
                effective_from: effective_from?,
                reason: reason.to_owned(),
            })
        })
    }
}

/// An active dossier's form must stay whole: what would make an application incomplete
/// refuses the amendment.
fn whole_form(
    form: Option<&pb::ApplicationForm>,
    received_on: NaiveDate,
) -> ServiceResult<&pb::ApplicationForm> {
    let mut checked = validate::check_form(form, received_on);
    checked.invalid.append(&mut checked.missing);
    if let Some(err) = checked.into_error() {
        return Err(err);
    }
    // An absent form is FORM_REQUIRED above.
    form.ok_or_else(|| ServiceError::invalid_field("request", "invalid request"))
}

/// Stores the amended form as a new revision of the locked dossier and emits the CHANGED
/// event that tells payments what changed; returns the event id.
async fn amend(
    conn: &mut PgConnection,
    row: &DossierRow,
    to: pb::DossierStatus,
    a: &Amendment,
    form: &pb::ApplicationForm,
    caller: &Caller,
) -> ServiceResult<String> {
    let old = store::current_form(conn, row.id).await?;
    let changed = changes(&old, form);
    if changed.is_empty() {
        return Err(ServiceError::invalid_field(
            "form",
            "AMENDMENT_CHANGES_NOTHING: the form is the current one",
        ));
    }
    let columns = FormColumns::of(form)?;
    let revision = row.form_revision + 1;
    let effective_from = a.effective_from;
    store::record_amendment(
        conn,
        row.id,
        revision,
        &columns,
        form,
        effective_from,
        caller,
    )
    .await?;
    applications::link_parties(conn, row.id, form, caller).await?;
    store::set_status(conn, row.id, to, caller).await?;
    store::append_history(
        conn,
        row.id,
        Entry::other(
            caller,
            pb::DossierHistoryKind::FormRevised,
            format!(
                "revision {revision} from {}: {}",
                a.effective_from, a.reason
            ),
        ),
    )
    .await?;
    // A renewal recorded (a later entitlement date) resolves the task that asked for it.
    crate::casework::renewals::refresh(conn, row.id, form, "AmendDossier", caller).await?;
    let mut e = outbox::Emit::new(pb::DossierEventType::Changed, a.effective_from, caller);
    e.changes = changed;
    outbox::emit(conn, row.id, e).await
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn amend_dossier(
        &self,
        caller: &Caller,
        req: pb::AmendDossierRequest,
    ) -> ServiceResult<pb::AmendDossierResponse> {
        let a = Amendment::try_from(&req)?;
        const M: &str = "AmendDossier";
        let (mut tx, row) = match self
            .begin(caller, M, &a.key, &req, &a.dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::Amend)?;
        let form = whole_form(req.form.as_ref(), row.received_on)?;
        let event_id = amend(&mut tx, &row, to, &a, form, caller).await?;
        let resp = pb::AmendDossierResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
            event_id,
        };
        finish(tx, M, &a.key, &resp).await?;
        Ok(resp)
    }
}

//! From the decision to the end: mandate proposed and signed, active, amended, closed.

use chrono::NaiveDate;
use secal_domain::{DossierNumber, StructuredReference};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};

use super::{Begun, RequestParts, finish, not_before, reload};
use crate::{
    api::IntakeApi,
    casework::{
        letters::{self, Dispatch, Order},
        recipient::{self, Party},
        renewals, tasks,
        wording::{self, Label},
    },
    outbox, pbjson,
    store::{self, DossierKey},
};
use pb::DossierStatus as S;
use secal_rules::lifecycle::Step;

/// The stored mandate of a dossier the lifecycle table lets past the proposal: the proposal
/// stored it, so a dossier without one is corrupt (an empty mandate would skip the date
/// checks against it).
fn mandate_of(row: &store::DossierRow) -> ServiceResult<pb::Mandate> {
    match &row.mandate {
        Some(j) => Ok(pbjson::from_json(pbjson::MANDATE, &j.0)?),
        None => Err(ServiceError::internal(format!(
            "dossier {} is past the mandate proposal but has no mandate",
            row.id
        ))),
    }
}

/// A date of the stored mandate; one that does not read is corrupt, not absent.
fn date_of(what: &str, d: Option<&pb::Date>) -> ServiceResult<Option<NaiveDate>> {
    wire::optional_date_from_pb(what, d)
        .map_err(|e| ServiceError::internal(format!("stored mandate: {}", e.message())))
}

/// The structured communication the debtor of an accepted dossier pays with. Acceptance
/// numbered the dossier, so a dossier past it without a readable number is corrupt.
fn payment_reference(row: &store::DossierRow) -> ServiceResult<StructuredReference> {
    let number = row.dossier_number.as_deref().ok_or_else(|| {
        ServiceError::internal(format!("accepted dossier {} has no number", row.id))
    })?;
    let number: DossierNumber = number.parse().map_err(|e| {
        ServiceError::internal(format!(
            "dossier {} has the stored number {number}: {e}",
            row.id
        ))
    })?;
    Ok(number.payment_reference())
}

/// A mandate proposal, as the request gives it once checked.
struct Proposal {
    key: String,
    dossier: DossierKey,
    proposed_on: NaiveDate,
    dispatch: Dispatch,
}

impl TryFrom<&pb::ProposeMandateRequest> for Proposal {
    type Error = ServiceError;

    fn try_from(req: &pb::ProposeMandateRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let proposed_on = v.date("proposed_on", req.proposed_on.as_ref());
        v.take(wire::optional_text(
            "proposal_document_key",
            &req.proposal_document_key,
            wire::LINE,
        ));
        let dispatch = Dispatch::parse(&mut v, "dispatch", req.dispatch.as_ref());
        v.finish(|| {
            Some(Proposal {
                key: key?,
                dossier: dossier?,
                proposed_on,
                dispatch: dispatch?,
            })
        })
    }
}

/// The signed mandate, as the request gives it once checked.
struct Signature {
    key: String,
    dossier: DossierKey,
    signed_on: NaiveDate,
}

impl TryFrom<&pb::RecordMandateSignedRequest> for Signature {
    type Error = ServiceError;

    fn try_from(req: &pb::RecordMandateSignedRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        if req.signed_on.is_none() {
            v.add("signed_on", "the date the applicant signed is required");
        }
        let signed_on = v.date("signed_on", req.signed_on.as_ref());
        v.take(wire::optional_text(
            "signed_document_key",
            &req.signed_document_key,
            wire::LINE,
        ));
        v.finish(|| {
            Some(Signature {
                key: key?,
                dossier: dossier?,
                signed_on,
            })
        })
    }
}

/// An activation, as the request gives it once checked.
struct Activation {
    key: String,
    dossier: DossierKey,
    active_from: NaiveDate,
}

impl TryFrom<&pb::ActivateDossierRequest> for Activation {
    type Error = ServiceError;

    fn try_from(req: &pb::ActivateDossierRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let active_from = v.take_all(wire::date_from_pb("active_from", req.active_from.as_ref()));
        v.finish(|| {
            Some(Activation {
                key: key?,
                dossier: dossier?,
                active_from: active_from?,
            })
        })
    }
}

/// A closure, as the request gives it once checked.
struct Closure {
    key: String,
    dossier: DossierKey,
    closed_on: NaiveDate,
    reason: pb::ClosureReason,
    note: String,
}

impl TryFrom<&pb::CloseDossierRequest> for Closure {
    type Error = ServiceError;

    fn try_from(req: &pb::CloseDossierRequest) -> ServiceResult<Self> {
        use pb::ClosureReason as R;
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let closed_on = v.date("closed_on", req.closed_on.as_ref());
        let reason = R::try_from(req.reason).unwrap_or_default();
        if reason == R::Unspecified {
            v.add("reason", "withdrawn, title ended, settled or other");
        }
        let note = req.note.trim();
        v.take(wire::optional_text("note", note, wire::NOTE));
        if reason == R::Other && note.is_empty() {
            v.add("note", "state the reason");
        }
        v.finish(|| {
            Some(Closure {
                key: key?,
                dossier: dossier?,
                closed_on,
                reason,
                note: note.to_owned(),
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn propose_mandate(
        &self,
        caller: &Caller,
        req: pb::ProposeMandateRequest,
    ) -> ServiceResult<pb::ProposeMandateResponse> {
        let proposal = Proposal::try_from(&req)?;
        let (key, dossier, proposed_on) = (&proposal.key, &proposal.dossier, proposal.proposed_on);
        // The figures come from the calculation service, outside the transaction.
        let figures = {
            let mut conn = self.pool.acquire().await?;
            let row = store::find(&mut conn, dossier, false).await?;
            let form = store::current_form(&mut conn, row.id).await?;
            // An accepted dossier has its number; before, the step is refused below anyway.
            match row.dossier_number.clone() {
                Some(number) => {
                    let snapshot =
                        crate::outbox::snapshot_of(&mut conn, &row, &number, &form).await?;
                    let calc = self.calculation.as_ref();
                    super::figures::compute(calc, caller, &form, &snapshot, proposed_on).await
                }
                None => Err("the dossier has no number yet".to_owned()),
            }
        };
        const M: &str = "ProposeMandate";
        let (mut tx, row) = match self
            .begin(caller, M, key, &req, dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::ProposeMandate)?;
        let decided_on: Option<NaiveDate> =
            sqlx::query_scalar("SELECT decided_on FROM dossiers WHERE id = $1")
                .bind(row.id)
                .fetch_one(&mut *tx)
                .await?;
        not_before("proposed_on", proposed_on, decided_on, "the decision")?;
        // The proposal goes out without figures when they could not be computed; the
        // history says why.
        let (mut mandate, note) = super::figures::mandate_of(figures);
        mandate.proposed_on = Some(wire::date_to_pb(proposed_on));
        mandate.proposal_document_key = req.proposal_document_key.trim().to_owned();
        let letter = issue_proposal_letter(&mut tx, &row, &proposal, &mandate, caller).await?;
        mandate.proposal_letter_id = letter.public_id.to_string();
        store::record_mandate(&mut tx, row.id, &mandate).await?;
        store::transition(&mut tx, &row, to, caller, Some(proposed_on), note).await?;
        let resp = pb::ProposeMandateResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn record_mandate_signed(
        &self,
        caller: &Caller,
        req: pb::RecordMandateSignedRequest,
    ) -> ServiceResult<pb::RecordMandateSignedResponse> {
        let Signature {
            key,
            dossier,
            signed_on,
        } = Signature::try_from(&req)?;
        const M: &str = "RecordMandateSigned";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::RecordMandateSigned)?;
        let mut mandate = mandate_of(&row)?;
        not_before(
            "signed_on",
            signed_on,
            date_of("proposed_on", mandate.proposed_on.as_ref())?,
            "the proposal",
        )?;
        mandate.signed_on = Some(wire::date_to_pb(signed_on));
        mandate.signed_document_key = req.signed_document_key.trim().to_owned();
        store::record_mandate(&mut tx, row.id, &mandate).await?;
        store::transition(&mut tx, &row, to, caller, Some(signed_on), "").await?;
        let resp = pb::RecordMandateSignedResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn activate_dossier(
        &self,
        caller: &Caller,
        req: pb::ActivateDossierRequest,
    ) -> ServiceResult<pb::ActivateDossierResponse> {
        let Activation {
            key,
            dossier,
            active_from,
        } = Activation::try_from(&req)?;
        const M: &str = "ActivateDossier";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::Activate)?;
        let mandate = mandate_of(&row)?;
        not_before(
            "active_from",
            active_from,
            date_of("signed_on", mandate.signed_on.as_ref())?,
            "the signed mandate",
        )?;
        store::record_activation(&mut tx, row.id, active_from).await?;
        let form = store::current_form(&mut tx, row.id).await?;
        renewals::refresh(&mut tx, row.id, &form, M, caller).await?;
        store::transition(&mut tx, &row, to, caller, Some(active_from), "").await?;
        let event_id = outbox::emit(
            &mut tx,
            row.id,
            outbox::Emit::new(pb::DossierEventType::Activated, active_from, caller),
        )
        .await?;
        let resp = pb::ActivateDossierResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
            event_id,
            structured_reference: payment_reference(&row)?.to_string(),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn close_dossier(
        &self,
        caller: &Caller,
        req: pb::CloseDossierRequest,
    ) -> ServiceResult<pb::CloseDossierResponse> {
        use pb::ClosureReason as R;
        let Closure {
            key,
            dossier,
            closed_on,
            reason,
            note,
        } = Closure::try_from(&req)?;
        const M: &str = "CloseDossier";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let was_active = row.status() == S::Active;
        // The applicant may withdraw at any point; the other reasons end an intervention,
        // so they need an active dossier. The reason picks the step, the table the statuses.
        let step = if reason == R::Withdrawn {
            Step::Withdraw
        } else {
            Step::Close
        };
        let to = store::require_step(&row, step)?;
        not_before("closed_on", closed_on, row.active_from, "the activation")?;
        let closure = pb::DossierClosure {
            reason: reason as i32,
            closed_on: Some(wire::date_to_pb(closed_on)),
            note: note.clone(),
        };
        store::record_closure(&mut tx, row.id, closed_on, &closure).await?;
        // The dossier ended: nothing about it waits for anyone any more.
        tasks::close_all_of_dossier(&mut tx, row.id, M, caller).await?;
        store::transition(
            &mut tx,
            &row,
            to,
            caller,
            Some(closed_on),
            format!("{}. {}", reason.as_str_name(), note),
        )
        .await?;
        let event_id = if was_active {
            let mut e = outbox::Emit::new(pb::DossierEventType::Closed, closed_on, caller);
            e.closure_reason = reason;
            outbox::emit(&mut tx, row.id, e).await?
        } else {
            String::new()
        };
        let resp = pb::CloseDossierResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
            event_id,
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }
}

/// The mandate proposal letter: the amounts the service will claim, computed on the proposal
/// date, and the payment reference the debtor will pay with.
async fn issue_proposal_letter(
    conn: &mut sqlx::PgConnection,
    row: &store::DossierRow,
    p: &Proposal,
    mandate: &pb::Mandate,
    caller: &Caller,
) -> ServiceResult<letters::Issued> {
    let form = store::current_form(conn, row.id).await?;
    let lang = recipient::language(&form);
    let facts = vec![letters::fact(
        &wording::label(Label::ProposedOn, lang),
        secal_letters::format_date(p.proposed_on, lang),
    )];
    let on = secal_letters::format_date(p.proposed_on, lang);
    let figures = [
        (Label::ArrearsClaimable, &mandate.arrears_claimable),
        (Label::InterestToDate, &mandate.interest),
    ]
    .into_iter()
    .filter_map(|(label, money)| {
        let amount = money.as_ref()?.amount.trim().parse().ok()?;
        Some(secal_letters::Figure {
            label: wording::label(label, lang),
            amount,
            explanation: wording::computed_explanation(label, mandate.basis(), &on, lang),
        })
    })
    .collect();
    let order = Order {
        kind: secal_letters::LetterKind::MandateProposal,
        party: Party::Applicant,
        issued_on: p.proposed_on,
        dispatch: p.dispatch.clone(),
        facts,
        figures,
        reasons: Vec::new(),
        payment_reference: Some(payment_reference(row)?.to_string()),
        respond_by: None,
        step: "ProposeMandate",
    };
    letters::issue(conn, row, order, caller).await
}

//! From a complete file to the decision: back to incomplete, debtor notified, accepted with
//! a dossier number, or refused.

use chrono::{Days, NaiveDate};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;

use super::{Begun, RequestParts, finish, not_before, reload};
use crate::{
    admissibility,
    api::IntakeApi,
    pbjson,
    store::{self, DossierKey, DossierRow, Entry},
};
use secal_rules::lifecycle::Step;

/// The debtor's window to prove payment after the registered letter.
const DEBTOR_WINDOW_DAYS: u64 = 15;

/// The next number of the decision's year; the counter row serialises concurrent decisions.
async fn next_dossier_number(conn: &mut PgConnection, year: i32) -> ServiceResult<DossierNumber> {
    let (seq,): (i32,) = sqlx::query_as(
        "INSERT INTO dossier_number_counters (year, last_sequence) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last_sequence = dossier_number_counters.last_sequence + 1
         RETURNING last_sequence",
    )
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    let seq = u32::try_from(seq).map_err(ServiceError::internal)?;
    DossierNumber::new(year, seq)
        .map_err(|e| ServiceError::failed_precondition("DOSSIER_NUMBERS_EXHAUSTED", e.to_string()))
}

/// An acceptance, as the request gives it once checked.
struct Acceptance {
    key: String,
    dossier: DossierKey,
    decided_on: NaiveDate,
    motivation: String,
}

impl TryFrom<&pb::AcceptApplicationRequest> for Acceptance {
    type Error = ServiceError;

    fn try_from(req: &pb::AcceptApplicationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let decided_on = v.date("decided_on", req.decided_on.as_ref());
        let motivation = v.take(wire::optional_text(
            "motivation",
            &req.motivation,
            wire::NOTE,
        ));
        v.finish(|| {
            Some(Acceptance {
                key: key?,
                dossier: dossier?,
                decided_on,
                motivation: motivation?.unwrap_or_default(),
            })
        })
    }
}

/// A return to incomplete, as the request gives it once checked.
struct MarkIncomplete {
    key: String,
    dossier: DossierKey,
}

impl TryFrom<&pb::MarkApplicationIncompleteRequest> for MarkIncomplete {
    type Error = ServiceError;

    fn try_from(req: &pb::MarkApplicationIncompleteRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        if req.missing_items.is_empty() {
            v.add("missing_items", "name at least one missing item");
        }
        // The one text parser on what is stored with the transition (the request's texts).
        v.take(wire::optional_text("note", &req.note, wire::NOTE));
        for (i, m) in req.missing_items.iter().enumerate() {
            let item = format!("missing_items[{i}]");
            crate::registry::texts(&mut v, &item, "secal.v1.FieldViolation", m);
            if m.field.trim().is_empty() || m.code.trim().is_empty() {
                v.add(
                    format!("missing_items[{i}]"),
                    "each item needs a field and a code",
                );
            }
        }
        v.finish(|| {
            Some(MarkIncomplete {
                key: key?,
                dossier: dossier?,
            })
        })
    }
}

/// The debtor's registered letter, as the request gives it once checked.
struct DebtorNotice {
    key: String,
    dossier: DossierKey,
    notified_on: NaiveDate,
    letter_reference: String,
}

impl TryFrom<&pb::NotifyDebtorRequest> for DebtorNotice {
    type Error = ServiceError;

    fn try_from(req: &pb::NotifyDebtorRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        if req.notified_on.is_none() {
            v.add(
                "notified_on",
                "the date of the registered letter is required",
            );
        }
        let notified_on = v.date("notified_on", req.notified_on.as_ref());
        let letter_reference = req.registered_letter_reference.trim();
        v.take(wire::optional_text(
            "registered_letter_reference",
            letter_reference,
            wire::LINE,
        ));
        if letter_reference.is_empty() {
            v.add(
                "registered_letter_reference",
                "the registered letter's reference is required",
            );
        }
        v.finish(|| {
            Some(DebtorNotice {
                key: key?,
                dossier: dossier?,
                notified_on,
                letter_reference: letter_reference.to_owned(),
            })
        })
    }
}

/// A refusal, as the request gives it once checked.
struct Refusal {
    key: String,
    dossier: DossierKey,
    decided_on: NaiveDate,
    /// The reasons' names, for the history.
    reasons: Vec<&'static str>,
    motivation: String,
}

impl TryFrom<&pb::RefuseApplicationRequest> for Refusal {
    type Error = ServiceError;

    fn try_from(req: &pb::RefuseApplicationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let decided_on = v.date("decided_on", req.decided_on.as_ref());
        if req.reasons.is_empty() {
            v.add("reasons", "at least one reason");
        }
        let mut reasons = Vec::with_capacity(req.reasons.len());
        for (i, r) in req.reasons.iter().enumerate() {
            match pb::RefusalReason::try_from(*r) {
                Ok(pb::RefusalReason::Unspecified) | Err(_) => {
                    v.add(format!("reasons[{i}]"), "not a refusal reason");
                }
                Ok(reason) => reasons.push(reason.as_str_name()),
            }
        }
        let motivation = req.motivation.trim();
        if motivation.is_empty() {
            v.add("motivation", "a refusal is motivated");
        }
        v.take(wire::optional_text("motivation", motivation, wire::NOTE));
        v.finish(|| {
            Some(Refusal {
                key: key?,
                dossier: dossier?,
                decided_on,
                reasons,
                motivation: motivation.to_owned(),
            })
        })
    }
}

/// Accepts the locked dossier: the debtor's window must be over and the application not
/// found inadmissible; it gets the next dossier number of the decision's year.
async fn accept(
    conn: &mut PgConnection,
    row: &DossierRow,
    a: &Acceptance,
    reassessed: Option<pb::AdmissibilityAssessment>,
    caller: &Caller,
) -> ServiceResult<DossierNumber> {
    let to = store::require_step(row, Step::Accept)?;
    debtor_window_closed(conn, row.id, a.decided_on).await?;
    admissible_on_acceptance(conn, row, reassessed, caller).await?;
    let number = next_dossier_number(conn, chrono::Datelike::year(&a.decided_on)).await?;
    let decision = pb::DossierDecision {
        outcome: pb::DecisionOutcome::Accepted as i32,
        decided_on: Some(wire::date_to_pb(a.decided_on)),
        refusal_reasons: Vec::new(),
        motivation: a.motivation.clone(),
        decided: Some(store::caller_stamp(caller)),
    };
    store::record_acceptance(conn, row.id, &number, a.decided_on, &decision).await?;
    let note = format!("accepted as {number}");
    store::transition(conn, row, to, caller, Some(a.decided_on), note).await?;
    Ok(number)
}

/// The debtor may prove payment until the end of the window the letter opened; the
/// decision comes after it.
async fn debtor_window_closed(
    conn: &mut PgConnection,
    dossier_id: i64,
    decided_on: NaiveDate,
) -> ServiceResult<()> {
    let window_end: Option<NaiveDate> =
        sqlx::query_scalar("SELECT debtor_response_deadline FROM dossiers WHERE id = $1")
            .bind(dossier_id)
            .fetch_one(&mut *conn)
            .await?;
    match window_end {
        Some(end) if decided_on <= end => Err(ServiceError::failed_precondition(
            "DEBTOR_WINDOW_OPEN",
            format!("the debtor may prove payment until {end}; decide after it"),
        )),
        _ => Ok(()),
    }
}

/// Refuses an application found inadmissible, and one whose admissibility was never
/// assessed: acceptance rests on the rule (2 unpaid instalments in the year before), so a
/// file the calculation service could not assess waits until it can (the acceptance
/// reassesses it when the service answers).
async fn admissible_on_acceptance(
    conn: &mut PgConnection,
    row: &DossierRow,
    reassessed: Option<pb::AdmissibilityAssessment>,
    caller: &Caller,
) -> ServiceResult<()> {
    let mut admissible = row.admissible;
    if let (None, Some(a)) = (admissible, &reassessed) {
        admissible = admissibility::is_assessed(a).then_some(a.admissible);
        store_reassessment(conn, row.id, admissible, a, caller).await?;
    }
    match admissible {
        Some(true) => Ok(()),
        Some(false) => Err(ServiceError::failed_precondition(
            "NOT_ADMISSIBLE",
            "the application is not admissible (fewer than 2 unpaid instalments in the \
             year before it): refuse it instead",
        )),
        None => {
            let reason = match reassessed {
                Some(a) => a.not_assessed_reason,
                // Assessed when read, not when locked: the dossier was revised in between,
                // and its stored assessment says why it is not assessed.
                None => stored_assessment(row)?.not_assessed_reason,
            };
            Err(ServiceError::failed_precondition(
                "ADMISSIBILITY_NOT_ASSESSED",
                format!(
                    "the application's admissibility was never assessed ({reason}): accept it \
                     once the calculation service can assess it"
                ),
            ))
        }
    }
}

fn stored_assessment(row: &DossierRow) -> ServiceResult<pb::AdmissibilityAssessment> {
    Ok(pbjson::from_json(
        pbjson::ADMISSIBILITY,
        &row.admissibility.0,
    )?)
}

async fn store_reassessment(
    conn: &mut PgConnection,
    dossier_id: i64,
    admissible: Option<bool>,
    a: &pb::AdmissibilityAssessment,
    caller: &Caller,
) -> ServiceResult<()> {
    store::record_reassessment(conn, dossier_id, admissible, a).await?;
    store::append_history(
        conn,
        dossier_id,
        Entry::other(
            caller,
            pb::DossierHistoryKind::AdmissibilityAssessed,
            format!("reassessed on acceptance: {admissible:?}"),
        ),
    )
    .await
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn mark_application_incomplete(
        &self,
        caller: &Caller,
        req: pb::MarkApplicationIncompleteRequest,
    ) -> ServiceResult<pb::MarkApplicationIncompleteResponse> {
        let MarkIncomplete { key, dossier } = MarkIncomplete::try_from(&req)?;
        const M: &str = "MarkApplicationIncomplete";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::MarkIncomplete)?;
        store::record_missing_items(&mut tx, row.id, &req.missing_items).await?;
        let codes: Vec<&str> = req.missing_items.iter().map(|m| m.code.as_str()).collect();
        let note = format!("missing: {}. {}", codes.join(", "), req.note.trim());
        store::transition(&mut tx, &row, to, caller, None, note).await?;
        let resp = pb::MarkApplicationIncompleteResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn notify_debtor(
        &self,
        caller: &Caller,
        req: pb::NotifyDebtorRequest,
    ) -> ServiceResult<pb::NotifyDebtorResponse> {
        let DebtorNotice {
            key,
            dossier,
            notified_on,
            letter_reference,
        } = DebtorNotice::try_from(&req)?;
        const M: &str = "NotifyDebtor";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::NotifyDebtor)?;
        not_before(
            "notified_on",
            notified_on,
            row.completed_on,
            "the completion",
        )?;
        let deadline = notified_on
            .checked_add_days(Days::new(DEBTOR_WINDOW_DAYS))
            .ok_or_else(|| ServiceError::invalid_field("notified_on", "out of range"))?;
        let notification = pb::DebtorNotification {
            notified_on: Some(wire::date_to_pb(notified_on)),
            registered_letter_reference: letter_reference,
            response_deadline: Some(wire::date_to_pb(deadline)),
        };
        store::record_debtor_notification(&mut tx, row.id, notified_on, deadline, &notification)
            .await?;
        store::transition(
            &mut tx,
            &row,
            to,
            caller,
            Some(notified_on),
            format!("debtor may prove payment until {deadline}"),
        )
        .await?;
        let resp = pb::NotifyDebtorResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all, fields(dossier_number))]
    pub(crate) async fn accept_application(
        &self,
        caller: &Caller,
        req: pb::AcceptApplicationRequest,
    ) -> ServiceResult<pb::AcceptApplicationResponse> {
        let acceptance = Acceptance::try_from(&req)?;
        let reassessed = self
            .reassess_unassessed(&acceptance.dossier, caller)
            .await?;
        const M: &str = "AcceptApplication";
        let (mut tx, row) = match self
            .begin(
                caller,
                M,
                &acceptance.key,
                &req,
                &acceptance.dossier,
                req.expected_version,
            )
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let number = accept(&mut tx, &row, &acceptance, reassessed, caller).await?;
        let resp = pb::AcceptApplicationResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &acceptance.key, &resp).await?;
        tracing::Span::current().record("dossier_number", tracing::field::display(number));
        Ok(resp)
    }

    /// An application stored "not assessed" is asked again, outside the transaction: the
    /// calculation service may take its time, and the dossier row is not held meanwhile.
    async fn reassess_unassessed(
        &self,
        dossier: &DossierKey,
        caller: &Caller,
    ) -> ServiceResult<Option<pb::AdmissibilityAssessment>> {
        let mut conn = self.pool.acquire().await?;
        let row = store::find(&mut conn, dossier, false).await?;
        if row.admissible.is_some() {
            return Ok(None);
        }
        let form = store::current_form(&mut conn, row.id).await?;
        let assessment =
            admissibility::assess(self.calculation.as_ref(), caller, &form, row.received_on).await;
        Ok(Some(assessment))
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn refuse_application(
        &self,
        caller: &Caller,
        req: pb::RefuseApplicationRequest,
    ) -> ServiceResult<pb::RefuseApplicationResponse> {
        let Refusal {
            key,
            dossier,
            decided_on,
            reasons,
            motivation,
        } = Refusal::try_from(&req)?;
        const M: &str = "RefuseApplication";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::Refuse)?;
        let decision = pb::DossierDecision {
            outcome: pb::DecisionOutcome::Refused as i32,
            decided_on: Some(wire::date_to_pb(decided_on)),
            refusal_reasons: req.reasons.clone(),
            motivation: motivation.clone(),
            decided: Some(store::caller_stamp(caller)),
        };
        store::record_refusal(&mut tx, row.id, decided_on, &decision).await?;
        let note = format!("{}: {}", reasons.join(", "), motivation);
        store::transition(&mut tx, &row, to, caller, Some(decided_on), note).await?;
        let resp = pb::RefuseApplicationResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }
}

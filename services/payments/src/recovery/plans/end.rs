//! EndPaymentPlan, and the ending of a debtor's plans by a suspension.

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, PaymentPlanEndReason as R};
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, idempotency, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::api::PaymentsApi;
use crate::casework::{self, By};
use crate::db_enum::sql_enum;

use super::{
    PlanRow, instalments_as_of, load, missed_instalment_closings, plan_id, store, to_pb, today,
};

const METHOD: &str = "EndPaymentPlan";

/// EndPaymentPlan, parsed.
struct EndCommand {
    key: String,
    id: Uuid,
    reason: R,
    note: String,
    ended_on: NaiveDate,
}

impl TryFrom<&pb::EndPaymentPlanRequest> for EndCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::EndPaymentPlanRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let id = v.take_all(plan_id(&req.plan_id));
        let reason = match R::try_from(req.reason) {
            Ok(R::Unspecified) | Err(_) => {
                v.add("reason", "a reason is required");
                None
            }
            // Only a granted suspension ends a plan for that reason (GrantSuspension).
            Ok(R::Suspension) => {
                v.add("reason", "SUSPENSION is set by GrantSuspension");
                None
            }
            Ok(r) => Some(r),
        };
        let note = req.note.trim().to_owned();
        if reason == Some(R::Other) && note.is_empty() {
            v.add("note", "required with OTHER");
        }
        let ended_on = v.take_all(wire::date_from_pb("ended_on", req.ended_on.as_ref()));
        v.finish(|| {
            Some(EndCommand {
                key: key?,
                id: id?,
                reason: reason?,
                note,
                ended_on: ended_on?,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn end(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::EndPaymentPlanRequest,
) -> ServiceResult<pb::EndPaymentPlanResponse> {
    let pool = &api.pool;
    let EndCommand {
        key,
        id,
        reason,
        note,
        ended_on,
    } = EndCommand::try_from(&req)?;
    let mut tx = pool.begin().await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, METHOD, &key, &req).await?
    {
        return Ok(resp);
    }
    let row = load(&mut tx, id, true).await?;
    if row.status != pb::PaymentPlanStatus::Active as i16 {
        return Err(ServiceError::failed_precondition(
            "PLAN_ENDED",
            format!("plan {id} has already ended"),
        ));
    }
    check_reason(&mut tx, &row, reason, ended_on).await?;
    store::end_plans(&mut tx, &[id], reason, ended_on, &note, &caller.actor().id).await?;
    let row = load(&mut tx, id, false).await?;
    let resp = pb::EndPaymentPlanResponse {
        plan: Some(to_pb(&mut tx, &row, today()).await?),
    };
    let events = missed_instalment_closings(&mut tx, &[id], METHOD).await?;
    casework::write(&mut tx, events, By::of(caller)).await?;
    idempotency::complete(&mut tx, METHOD, &key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

/// COMPLETED only when every instalment is paid on the end date; DEFAULTED only with a
/// missed instalment still unpaid on that date (detected first, so the debtor was judged
/// after the grace period).
async fn check_reason(
    conn: &mut PgConnection,
    row: &PlanRow,
    reason: R,
    on: NaiveDate,
) -> ServiceResult<()> {
    let state = instalments_as_of(conn, row.id, &row.dossier_numbers, row.start_date, on).await?;
    let unpaid: i64 = state.iter().map(|(r, c)| r.amount_cents - c).sum();
    let missed = state
        .iter()
        .any(|(r, c)| r.missed_on.is_some() && *c < r.amount_cents);
    match reason {
        R::Completed if unpaid > 0 => Err(ServiceError::failed_precondition(
            "PLAN_NOT_PAID",
            format!(
                "EUR {} of the plan's instalments is unpaid on {on}",
                secal_domain::Money::from_cents(unpaid)
            ),
        )),
        R::Defaulted if !missed => Err(ServiceError::failed_precondition(
            "NO_MISSED_INSTALMENT",
            format!("no missed instalment is unpaid on {on}: detect missed instalments first"),
        )),
        _ => Ok(()),
    }
}

/// Ends the debtor's active plans (reason suspension, on the suspension's effective date) in
/// the caller's transaction; returns their ids.
pub(crate) async fn end_for_suspension(
    conn: &mut PgConnection,
    person: &str,
    effective_from: NaiveDate,
    actor: &str,
) -> ServiceResult<Vec<Uuid>> {
    crate::recovery::debtors::lock(&mut *conn, person).await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(concat!(
        "SELECT id FROM payment_plans WHERE debtor_person_id = $1 AND status = ",
        sql_enum!(PaymentPlanStatus::Active),
        "
         ORDER BY seq FOR UPDATE"
    ))
    .bind(person)
    .fetch_all(&mut *conn)
    .await?;
    store::end_plans(
        conn,
        &ids,
        R::Suspension,
        effective_from,
        "indefinite suspension granted",
        actor,
    )
    .await?;
    Ok(ids)
}

//! DetectMissedPlanInstalments: an instalment of an active plan due before `as_of − grace`
//! and not covered by the debtor's payments (received from the plan's start to `as_of`) is
//! marked missed once; a later detection finds it marked and does not list it again.

use chrono::{Days, NaiveDate};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, idempotency, wire};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{paid_between, schedule};
use crate::ledger;

const METHOD: &str = "DetectMissedPlanInstalments";
const DEFAULT_GRACE_DAYS: u64 = 10;

#[derive(sqlx::FromRow)]
struct ActivePlan {
    id: Uuid,
    debtor_person_id: String,
    dossier_numbers: Vec<String>,
    start_date: NaiveDate,
}

#[tracing::instrument(skip_all)]
pub(crate) async fn detect_missed(
    pool: &PgPool,
    caller: &Caller,
    req: pb::DetectMissedPlanInstalmentsRequest,
) -> ServiceResult<pb::DetectMissedPlanInstalmentsResponse> {
    let key = idempotency::validate_key(req.idempotency_key.as_ref(), "idempotency_key")?;
    let as_of = wire::date_from_pb("as_of", req.as_of.as_ref())?;
    let grace = match req.grace_days {
        0 => DEFAULT_GRACE_DAYS,
        g @ 1..=366 => g.unsigned_abs().into(),
        _ => {
            return Err(ServiceError::invalid_field(
                "grace_days",
                "0 (default 10) to 366",
            ));
        }
    };
    let due_before = as_of
        .checked_sub_days(Days::new(grace))
        .ok_or_else(|| ServiceError::invalid_field("as_of", "too early"))?;
    let mut tx = pool.begin().await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, METHOD, &key, &req).await?
    {
        return Ok(resp);
    }
    let plans: Vec<ActivePlan> = sqlx::query_as(
        "SELECT id, debtor_person_id, dossier_numbers, start_date FROM payment_plans
         WHERE status = 1 ORDER BY seq FOR UPDATE",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut missed = Vec::new();
    for plan in &plans {
        missed.extend(judge(&mut tx, plan, as_of, due_before, &caller.actor().id).await?);
    }
    let resp = pb::DetectMissedPlanInstalmentsResponse {
        missed,
        plans_checked: i32::try_from(plans.len()).unwrap_or(i32::MAX),
    };
    idempotency::complete(&mut tx, METHOD, &key, &resp).await?;
    tx.commit().await?;
    tracing::info!(
        missed = resp.missed.len(),
        plans = plans.len(),
        "missed instalments detected"
    );
    Ok(resp)
}

async fn judge(
    conn: &mut PgConnection,
    plan: &ActivePlan,
    as_of: NaiveDate,
    due_before: NaiveDate,
    actor: &str,
) -> ServiceResult<Vec<pb::MissedPlanInstalment>> {
    let rows: Vec<(i32, NaiveDate, i64, bool)> = sqlx::query_as(
        "SELECT number, due_date, amount_cents, missed_on IS NOT NULL FROM plan_instalments
         WHERE plan_id = $1 ORDER BY number",
    )
    .bind(plan.id)
    .fetch_all(&mut *conn)
    .await?;
    let paid = paid_between(&mut *conn, &plan.dossier_numbers, plan.start_date, as_of).await?;
    let amounts: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let covered = schedule::coverage(&amounts, paid);
    let mut out = Vec::new();
    for ((number, due, amount, marked), c) in rows.into_iter().zip(covered) {
        if marked || due >= due_before || c >= amount {
            continue;
        }
        // Marked only if still unmarked: a concurrent detection lists it once, not twice.
        let done = sqlx::query(
            "UPDATE plan_instalments SET missed_on = $3, unpaid_cents = $4, missed_by = $5
             WHERE plan_id = $1 AND number = $2 AND missed_on IS NULL",
        )
        .bind(plan.id)
        .bind(number)
        .bind(as_of)
        .bind(amount - c)
        .bind(actor)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done == 1 {
            out.push(pb::MissedPlanInstalment {
                plan_id: plan.id.to_string(),
                debtor_person_id: plan.debtor_person_id.clone(),
                number,
                due_date: Some(wire::date_to_pb(due)),
                unpaid: Some(ledger::cents_pb(amount - c)),
            });
        }
    }
    Ok(out)
}

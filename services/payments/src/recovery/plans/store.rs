//! Payment plans as stored: the one module that writes `payment_plans` (a plan created,
//! plans ended) and `plan_instalments` (a plan's instalments, an instalment marked missed).
//! Every function takes the caller's transaction.

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, PaymentPlanEndReason as R};
use secal_rules::payment_plan;
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgConnection;
use uuid::Uuid;

use super::create::{NewPlan, PlanCommand};
use super::{PLAN_COLUMNS, PlanRow};
use crate::db_enum::sql_enum;

/// A new plan, active, recorded by `actor`.
#[tracing::instrument(skip_all)]
pub(super) async fn insert_plan(
    conn: &mut PgConnection,
    p: &PlanCommand,
    plan: &NewPlan<'_>,
    actor: &str,
    via: Option<&str>,
) -> ServiceResult<PlanRow> {
    let explanation = tonic_prost::prost::Message::encode_to_vec(&plan.explanation);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO payment_plans (id, debtor_person_id, dossier_numbers, status, start_date,
             due_day, instalment_cents, instalment_count, seizable_cents, sizing_explanation,
             override_reason, structured_reference, income_month, lookup_access_log_sequence,
             created_by, created_via, maintenance_seizable_cents)
         VALUES ($1, $2, $3, $16, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $17)
         RETURNING {PLAN_COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(&p.person)
    .bind(&p.dossiers)
    .bind(p.start)
    .bind(i16::try_from(p.due_day).map_err(|e| {
        ServiceError::internal(std::io::Error::other(format!(
            "due day {} of a checked plan: {e}",
            p.due_day
        )))
    })?)
    .bind(plan.amount)
    .bind(plan.instalment_count)
    .bind(plan.sizing.seizable_cents)
    .bind(explanation)
    .bind(&p.override_reason)
    .bind(&plan.reference)
    .bind(p.income_month)
    .bind(plan.lookup_access_log_sequence)
    .bind(actor)
    .bind(via)
    .bind(pb::PaymentPlanStatus::Active as i16)
    .bind(plan.sizing.maintenance_cents)
    .fetch_one(conn)
    .await?)
}

/// Ends those of the plans `ids` still active, for `reason` on `ended_on`.
#[tracing::instrument(skip_all)]
pub(super) async fn end_plans(
    conn: &mut PgConnection,
    ids: &[Uuid],
    reason: R,
    ended_on: NaiveDate,
    note: &str,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(concat!(
        "UPDATE payment_plans SET status = $6, end_reason = $2, ended_on = $3, end_note = $4,
                ended_by = $5
         WHERE id = ANY($1) AND status = ",
        sql_enum!(PaymentPlanStatus::Active),
    ))
    .bind(ids)
    .bind(reason as i16)
    .bind(ended_on)
    .bind(note)
    .bind(actor)
    .bind(pb::PaymentPlanStatus::Ended as i16)
    .execute(conn)
    .await?;
    Ok(())
}

/// The instalments of a new plan.
#[tracing::instrument(skip_all)]
pub(super) async fn insert_instalments(
    conn: &mut PgConnection,
    plan_id: Uuid,
    instalments: &[payment_plan::Instalment],
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO plan_instalments (plan_id, number, due_date, amount_cents)
         SELECT $1, * FROM unnest($2::int[], $3::date[], $4::bigint[])",
    )
    .bind(plan_id)
    .bind(instalments.iter().map(|i| i.number).collect::<Vec<_>>())
    .bind(instalments.iter().map(|i| i.due_date).collect::<Vec<_>>())
    .bind(instalments.iter().map(|i| i.cents).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks instalment `number` of the plan missed on `as_of` with `unpaid` cents, only if it is
/// still unmarked; whether it was (a concurrent detection lists it once, not twice).
pub(super) async fn mark_missed(
    conn: &mut PgConnection,
    plan_id: Uuid,
    number: i32,
    as_of: NaiveDate,
    unpaid: i64,
    actor: &str,
) -> ServiceResult<bool> {
    let done = sqlx::query(
        "UPDATE plan_instalments SET missed_on = $3, unpaid_cents = $4, missed_by = $5
             WHERE plan_id = $1 AND number = $2 AND missed_on IS NULL",
    )
    .bind(plan_id)
    .bind(number)
    .bind(as_of)
    .bind(unpaid)
    .bind(actor)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

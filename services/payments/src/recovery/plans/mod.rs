//! Payment plans: instalments for a debtor sized on his seizable income (calculation
//! service), missed instalments detected against what he paid, plans ended (also by a
//! suspension, in the suspension's transaction).
//!
//! House choices: payments count for a plan when recorded on one of its dossiers with a
//! receipt date from the plan's start, applied to the instalments oldest first; an
//! instalment fully covered shows PAID even if it was once marked missed (the mark stays).
//! A plan is completed when every instalment is covered: by the periodic detection of missed
//! instalments, or by an agent (refused before then); it is defaulted by an agent only, and
//! only once a missed instalment is on record and still unpaid.
//!
//! A plan is sized on the dossiers' enforceable debt on its creation day plus the title's
//! dues falling due over it (`settle`); it is never re-sized: when the debt moves otherwise
//! than foreseen the plan says so (`debt_changed`) and re-sizing is a new plan.

mod create;
mod detect;
mod end;
mod read;
mod settle;
mod sizing;
mod store;

pub(crate) use create::create;
pub(crate) use detect::detect_missed;
pub(crate) use end::{end, end_for_suspension};
pub(crate) use read::{get, list};

use chrono::{DateTime, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_rules::payment_plan;
use secal_runtime::{ServiceError, ServiceResult, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::casework;
use crate::ledger;

#[derive(sqlx::FromRow)]
struct PlanRow {
    seq: i64,
    id: Uuid,
    debtor_person_id: String,
    dossier_numbers: Vec<String>,
    status: i16,
    start_date: NaiveDate,
    due_day: i16,
    instalment_cents: i64,
    instalment_count: i32,
    seizable_cents: i64,
    maintenance_seizable_cents: Option<i64>,
    sizing_explanation: Option<Vec<u8>>,
    override_reason: String,
    structured_reference: String,
    end_reason: i16,
    ended_on: Option<NaiveDate>,
    end_note: String,
    created_by: String,
    created_via: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct InstalmentRow {
    number: i32,
    due_date: NaiveDate,
    amount_cents: i64,
    missed_on: Option<NaiveDate>,
}

const PLAN_COLUMNS: &str = "seq, id, debtor_person_id, dossier_numbers, status, start_date, \
     due_day, instalment_cents, instalment_count, seizable_cents, maintenance_seizable_cents, \
     sizing_explanation, override_reason, structured_reference, end_reason, ended_on, end_note, \
     created_by, created_via, created_at";

/// What the debtor paid on `dossiers` with a receipt date from `from` to `to`.
async fn paid_between(
    conn: &mut PgConnection,
    dossiers: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(sum(amount_cents), 0)::bigint FROM debtor_payments
         WHERE dossier_number = ANY($1) AND received_on BETWEEN $2 AND $3",
    )
    .bind(dossiers)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?)
}

/// The plan's instalments, each with what the debtor's payments cover of it as of `as_of`.
async fn instalments_as_of(
    conn: &mut PgConnection,
    plan: Uuid,
    dossiers: &[String],
    start: NaiveDate,
    as_of: NaiveDate,
) -> ServiceResult<Vec<(InstalmentRow, i64)>> {
    let rows: Vec<InstalmentRow> = sqlx::query_as(
        "SELECT number, due_date, amount_cents, missed_on FROM plan_instalments
         WHERE plan_id = $1 ORDER BY number",
    )
    .bind(plan)
    .fetch_all(&mut *conn)
    .await?;
    let paid = paid_between(&mut *conn, dossiers, start, as_of).await?;
    let amounts: Vec<i64> = rows.iter().map(|r| r.amount_cents).collect();
    let covered = payment_plan::coverage(&amounts, paid);
    Ok(rows.into_iter().zip(covered).collect())
}

/// The plan with its instalments, their payment state as of `as_of`.
async fn to_pb(
    conn: &mut PgConnection,
    row: &PlanRow,
    as_of: NaiveDate,
) -> ServiceResult<pb::PaymentPlan> {
    let state =
        instalments_as_of(conn, row.id, &row.dossier_numbers, row.start_date, as_of).await?;
    let last_due = state
        .iter()
        .map(|(r, _)| r.due_date)
        .max()
        .unwrap_or(row.start_date);
    use pb::PlanInstalmentStatus as S;
    let instalments = state
        .into_iter()
        .map(|(r, c)| pb::PlanInstalment {
            number: r.number,
            due_date: Some(wire::date_to_pb(r.due_date)),
            amount: Some(ledger::cents_pb(r.amount_cents)),
            paid: Some(ledger::cents_pb(c)),
            status: match () {
                _ if c >= r.amount_cents => S::Paid,
                _ if r.missed_on.is_some() => S::Missed,
                _ if r.due_date < as_of => S::PartlyPaid,
                _ => S::Upcoming,
            } as i32,
        })
        .collect();
    let explanation = row
        .sizing_explanation
        .as_deref()
        .map(<pb::Explanation as tonic_prost::prost::Message>::decode)
        .transpose()
        .map_err(ServiceError::internal)?;
    let sized = settle::sized_on(explanation.as_ref());
    let active = row.status == pb::PaymentPlanStatus::Active as i16;
    let plan = (row.dossier_numbers.as_slice(), row.created_at, last_due);
    let debt = settle::debt_now(conn, plan, sized, active, as_of).await?;
    Ok(pb::PaymentPlan {
        plan_id: row.id.to_string(),
        debtor_person_id: row.debtor_person_id.clone(),
        dossier_numbers: row.dossier_numbers.clone(),
        status: i32::from(row.status),
        start_date: Some(wire::date_to_pb(row.start_date)),
        due_day: i32::from(row.due_day),
        instalment_amount: Some(ledger::cents_pb(row.instalment_cents)),
        instalment_count: row.instalment_count,
        instalments,
        seizable_amount: Some(ledger::cents_pb(row.seizable_cents)),
        maintenance_exception_amount: row.maintenance_seizable_cents.map(ledger::cents_pb),
        sizing_explanation: explanation,
        override_reason: row.override_reason.clone(),
        structured_reference: row.structured_reference.clone(),
        end_reason: i32::from(row.end_reason),
        ended_on: row.ended_on.map(wire::date_to_pb),
        end_note: row.end_note.clone(),
        created: Some(pb::AuditStamp {
            actor: row.created_by.clone(),
            at: wire::timestamp(row.created_at),
            via: row.created_via.clone().unwrap_or_default(),
        }),
        sized_debt: sized.map(|(d, _)| ledger::cents_pb(d)),
        sized_dues: sized.map(|(_, u)| ledger::cents_pb(u)),
        current_debt: Some(ledger::cents_pb(debt.current)),
        debt_changed: debt.changed,
    })
}

/// The closings of the tasks of the plans' missed instalments, by `action`: a plan that ends
/// leaves no instalment to chase (those not open are skipped when written).
pub(crate) async fn missed_instalment_closings(
    conn: &mut PgConnection,
    plans: &[Uuid],
    action: &'static str,
) -> ServiceResult<Vec<casework::Event>> {
    let missed: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "SELECT plan_id, due_date FROM plan_instalments
          WHERE plan_id = ANY($1) AND missed_on IS NOT NULL ORDER BY plan_id, number",
    )
    .bind(plans)
    .fetch_all(conn)
    .await?;
    Ok(casework::closings(
        pb::TaskKind::MissedPlanInstalment,
        missed
            .into_iter()
            .map(|(plan, due)| casework::subject::plan_instalment(plan, due)),
        action,
    ))
}

fn plan_id(raw: &str) -> ServiceResult<Uuid> {
    raw.trim()
        .parse()
        .map_err(|_| ServiceError::invalid_field("plan_id", "not a plan id"))
}

async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> ServiceResult<PlanRow> {
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM payment_plans WHERE id = $1 {}",
        if lock { "FOR UPDATE" } else { "" }
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("no payment plan {id}")))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

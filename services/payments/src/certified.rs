//! What the tax system pulls (the certified debts, incrementally by change sequence) and the
//! indefinite suspensions that withdraw a debtor's debts from it.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, idempotency, wire};
use sqlx::PgPool;
use uuid::Uuid;

use crate::booking;
use crate::ledger;

#[derive(sqlx::FromRow)]
struct DebtRow {
    debtor_national_number: String,
    amount_cents: i64,
    since: Option<NaiveDate>,
    dossier_numbers: Vec<String>,
    change_sequence: i64,
    withdrawn: bool,
}

pub async fn certified_debts(
    pool: &PgPool,
    req: pb::ListCertifiedDebtsRequest,
) -> ServiceResult<pb::ListCertifiedDebtsResponse> {
    let page = wire::page_from_pb("page", req.page.as_ref())?;
    let after = page.after.unwrap_or(0).max(req.changed_after_sequence);
    // A full pull (sequence 0) lists only debts currently certified.
    let rows: Vec<DebtRow> = sqlx::query_as(
        "SELECT * FROM certified_debts WHERE change_sequence > $1 AND ($2 OR NOT withdrawn)
         ORDER BY change_sequence LIMIT $3",
    )
    .bind(after)
    .bind(req.changed_after_sequence > 0)
    .bind(page.size)
    .fetch_all(pool)
    .await?;
    let last: Option<i64> = sqlx::query_scalar("SELECT max(change_sequence) FROM certified_debts")
        .fetch_one(pool)
        .await?;
    Ok(pb::ListCertifiedDebtsResponse {
        debts: rows
            .iter()
            .map(|r| pb::CertifiedDebt {
                debtor: Some(pb::NationalNumber {
                    value: r.debtor_national_number.clone(),
                }),
                amount: Some(ledger::cents_pb(r.amount_cents)),
                since: r.since.map(wire::date_to_pb),
                dossier_numbers: r.dossier_numbers.clone(),
                change_sequence: r.change_sequence,
                withdrawn: r.withdrawn,
            })
            .collect(),
        page: Some(wire::page_to_pb(
            &page,
            rows.len(),
            rows.last().map(|r| r.change_sequence),
        )),
        last_change_sequence: last.unwrap_or(0),
    })
}

/// Grants an indefinite suspension (minimal: no plans to end yet).
pub async fn grant_suspension(
    pool: &PgPool,
    caller: &Caller,
    req: pb::GrantSuspensionRequest,
) -> ServiceResult<pb::GrantSuspensionResponse> {
    let key = idempotency::validate_key(req.idempotency_key.as_ref(), "idempotency_key")?;
    let person = req.debtor_person_id.trim().to_owned();
    if person.is_empty() {
        return Err(ServiceError::invalid_field("debtor_person_id", "required"));
    }
    let from = wire::date_from_pb("effective_from", req.effective_from.as_ref())?;
    let review = wire::date_from_pb("review_on", req.review_on.as_ref())?;
    if review <= from {
        return Err(ServiceError::invalid_field(
            "review_on",
            "must be after effective_from",
        ));
    }
    if req.grounds.trim().is_empty() {
        return Err(ServiceError::invalid_field("grounds", "required"));
    }
    let mut tx = pool.begin().await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, "GrantSuspension", &key, &req).await?
    {
        return Ok(resp);
    }
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO suspensions (id, debtor_person_id, dossier_numbers, effective_from, review_on, grounds, granted_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(&person)
    .bind(&req.dossier_numbers)
    .bind(from)
    .bind(review)
    .bind(req.grounds.trim())
    .bind(&caller.actor().id)
    .execute(&mut *tx)
    .await?;
    let nns: Vec<String> = sqlx::query_scalar("SELECT DISTINCT debtor_national_number FROM dossier_states WHERE debtor_person_id = $1 AND debtor_national_number IS NOT NULL")
        .bind(&person)
        .fetch_all(&mut *tx)
        .await?;
    for nn in nns {
        booking::refresh_certified_debtor(&mut tx, &nn).await?;
    }
    let resp = pb::GrantSuspensionResponse {
        suspension: Some(pb::Suspension {
            suspension_id: id.to_string(),
            debtor_person_id: person,
            dossier_numbers: req.dossier_numbers.clone(),
            status: pb::SuspensionStatus::Active as i32,
            effective_from: Some(wire::date_to_pb(from)),
            review_on: Some(wire::date_to_pb(review)),
            grounds: req.grounds.trim().to_owned(),
            ..Default::default()
        }),
        ended_plan_ids: vec![],
    };
    idempotency::complete(&mut tx, "GrantSuspension", &key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

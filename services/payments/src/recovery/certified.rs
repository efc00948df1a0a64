//! What the tax system pulls: the certified debts, incrementally by change sequence (the
//! suspensions that withdraw a debtor's debts from it are in `suspensions`).

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::Caller;
use secal_runtime::{ServiceResult, wire};

use crate::api::PaymentsApi;
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
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListCertifiedDebtsRequest,
) -> ServiceResult<pb::ListCertifiedDebtsResponse> {
    let pool = &api.pool;
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

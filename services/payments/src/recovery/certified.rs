//! What the tax system pulls: the certified debts, incrementally by change sequence (the
//! suspensions that withdraw a debtor's debts from it are in `suspensions`).

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};

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

/// ListCertifiedDebts, parsed.
struct ListCommand {
    page: wire::Page,
    /// Sequence 0 is a full pull.
    changed_after: i64,
}

impl TryFrom<&pb::ListCertifiedDebtsRequest> for ListCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListCertifiedDebtsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| {
            Some(ListCommand {
                page: page?,
                changed_after: req.changed_after_sequence,
            })
        })
    }
}

pub async fn certified_debts(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListCertifiedDebtsRequest,
) -> ServiceResult<pb::ListCertifiedDebtsResponse> {
    let pool = &api.pool;
    let ListCommand {
        page,
        changed_after,
    } = ListCommand::try_from(&req)?;
    // No page token: from the start (sequences begin at 1).
    let after = page.after.unwrap_or(0).max(changed_after);
    // A full pull (sequence 0) lists only debts currently certified.
    let rows: Vec<DebtRow> = sqlx::query_as(
        "SELECT * FROM certified_debts WHERE change_sequence > $1 AND ($2 OR NOT withdrawn)
         ORDER BY change_sequence LIMIT $3",
    )
    .bind(after)
    .bind(changed_after > 0)
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
        // `max` over no debt at all is NULL: nothing has changed yet.
        last_change_sequence: last.unwrap_or(0),
    })
}

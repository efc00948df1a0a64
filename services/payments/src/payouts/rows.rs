//! Payouts as stored, and the listing of them.

use chrono::{NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::Caller;
use secal_runtime::{FieldViolation, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use tracing::instrument;

use super::audit;
use crate::api::PaymentsApi;
use crate::ledger;

#[derive(sqlx::FromRow)]
pub(super) struct PayoutRow {
    pub seq: i64,
    pub id: String,
    pub end_to_end_id: String,
    pub batch_id: String,
    pub dossier_number: String,
    pub creditor: String,
    /// `None` for a refund to the sender of a statement line.
    pub payout_account_id: Option<String>,
    /// The statement line a refund pays back; `None` for a payout to a creditor.
    pub refund_of_line: Option<uuid::Uuid>,
    pub amount_cents: i64,
    pub remittance: String,
    pub state: i16,
    pub first_payout: bool,
    pub pending_transfer_id: String,
    pub confirmed_on: Option<NaiveDate>,
    pub returned_on: Option<NaiveDate>,
    pub return_reason_code: String,
    pub return_reason_text: String,
    pub return_by: Option<String>,
    pub return_at: Option<chrono::DateTime<Utc>>,
    pub created_by: String,
    pub created_at: chrono::DateTime<Utc>,
    pub iban: String,
    pub bic: String,
    pub holder_name: String,
    pub holding: i16,
    pub requested_execution_date: NaiveDate,
}

pub(super) const PAYOUT_SELECT: &str = "SELECT p.seq, p.id, p.end_to_end_id, p.batch_id, \
    p.dossier_number, p.creditor, p.payout_account_id, p.amount_cents, p.remittance, p.state, \
    p.first_payout, p.pending_transfer_id, p.confirmed_on, p.returned_on, p.return_reason_code, \
    p.return_reason_text, p.return_by, p.return_at, p.created_by, p.created_at, \
    p.refund_of_line, COALESCE(a.iban, p.payee_iban) AS iban, COALESCE(a.bic, '') AS bic, \
    COALESCE(a.holder_name, p.payee_name) AS holder_name, COALESCE(a.holding, 0::smallint) AS holding, \
    b.requested_execution_date \
    FROM payouts p LEFT JOIN payout_accounts a ON a.id = p.payout_account_id \
    JOIN payout_batches b ON b.id = p.batch_id";

impl PayoutRow {
    pub fn to_pb(&self) -> pb::Payout {
        pb::Payout {
            payout_id: self.id.clone(),
            end_to_end_id: self.end_to_end_id.clone(),
            batch_id: self.batch_id.clone(),
            dossier_number: self.dossier_number.clone(),
            creditor_person_id: self.creditor.clone(),
            payout_account_id: self.payout_account_id.clone().unwrap_or_default(),
            payee: Some(pb::BankAccount {
                iban: Some(pb::Iban {
                    value: self.iban.clone(),
                }),
                bic: self.bic.clone(),
                holder_name: self.holder_name.clone(),
                bank_name: String::new(),
            }),
            holding: i32::from(self.holding),
            amount: Some(ledger::cents_pb(self.amount_cents)),
            remittance_information: self.remittance.clone(),
            state: i32::from(self.state),
            first_payout_to_account: self.first_payout,
            requested_execution_date: Some(wire::date_to_pb(self.requested_execution_date)),
            confirmed_on: self.confirmed_on.map(wire::date_to_pb),
            return_info: self.returned_on.map(|d| pb::PayoutReturn {
                returned_on: Some(wire::date_to_pb(d)),
                amount: Some(ledger::cents_pb(self.amount_cents)),
                reason_code: self.return_reason_code.clone(),
                reason_text: self.return_reason_text.clone(),
                recorded: self
                    .return_by
                    .as_deref()
                    .zip(self.return_at)
                    .map(|(by, at)| audit(by, at)),
            }),
            pending_transfer_id: self.pending_transfer_id.clone(),
            created: Some(audit(&self.created_by, self.created_at)),
            refund_of_statement_line_id: self
                .refund_of_line
                .map(|l| l.to_string())
                .unwrap_or_default(),
        }
    }
}

pub(super) async fn payouts_of(
    conn: &mut PgConnection,
    batch_id: &str,
) -> ServiceResult<Vec<pb::Payout>> {
    let sql = format!("{PAYOUT_SELECT} WHERE p.batch_id = $1 ORDER BY p.seq");
    let rows: Vec<PayoutRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(batch_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(PayoutRow::to_pb).collect())
}

/// ListPayouts, parsed: empty filters select everything.
struct ListCommand {
    page: wire::Page,
    dossier: String,
    batch_id: String,
    /// 0: any state.
    state: i16,
    first_only: bool,
}

impl TryFrom<&pb::ListPayoutsRequest> for ListCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPayoutsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let state = v
            .take(
                wire::optional_enum::<pb::PayoutState>("state", req.state)
                    .map_err(|_| FieldViolation::new("state", "unknown state")),
            )
            .map(|s| s.map_or(0, |s| s as i16));
        let dossier = v.take(wire::optional_text(
            "dossier_number",
            &req.dossier_number,
            wire::ID,
        ));
        let batch_id = v.take(wire::optional_text("batch_id", &req.batch_id, wire::ID));
        v.finish(|| {
            Some(ListCommand {
                page: page?,
                dossier: dossier?.unwrap_or_default(),
                batch_id: batch_id?.unwrap_or_default(),
                state: state?,
                first_only: req.first_payouts_only,
            })
        })
    }
}

#[instrument(skip_all, fields(method = "ListPayouts"))]
pub async fn list_payouts(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListPayoutsRequest,
) -> ServiceResult<pb::ListPayoutsResponse> {
    let pool = &api.pool;
    let cmd = ListCommand::try_from(&req)?;
    let page = &cmd.page;
    let sql = format!(
        "{PAYOUT_SELECT} WHERE ($1 = '' OR p.dossier_number = $1) AND ($2 = '' OR p.batch_id = $2) \
         AND ($3 = 0 OR p.state = $3) AND (NOT $4 OR p.first_payout) AND p.seq < $5 \
         ORDER BY p.seq DESC LIMIT $6"
    );
    let rows: Vec<PayoutRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&cmd.dossier)
        .bind(&cmd.batch_id)
        .bind(cmd.state)
        .bind(cmd.first_only)
        // No cursor: from the newest (the listing runs down the keys).
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.size)
        .fetch_all(pool)
        .await?;
    Ok(pb::ListPayoutsResponse {
        page: Some(wire::page_to_pb(
            page,
            rows.len(),
            rows.last().map(|r| r.seq),
        )),
        payouts: rows.iter().map(PayoutRow::to_pb).collect(),
    })
}

//! The lines waiting for a person, and their resolution.

use chrono::{DateTime, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{stable_id, store};
use crate::api::PaymentsApi;
use crate::casework::{self, By};
use crate::db_enum::sql_enum;
use crate::ledger::booking::Booking;
use crate::ledger::{AccountKey, AccountKind as K};
use crate::payouts;
use crate::receipts::payments::{NewPayment, PaymentDetails, book_payment, dossier};

const METHOD: &str = "ResolveStatementLine";

macro_rules! line_columns {
    () => {
        "l.id, l.public_id, l.statement_id, l.account_iban, l.bank_reference, l.booking_date,
         l.value_date, l.amount_cents, l.counterparty_name, l.counterparty_iban,
         l.structured_reference, l.unstructured_remittance, l.status, l.reason,
         l.debtor_payment_id, l.resolution, l.resolution_note, l.resolved_by, l.resolved_at"
    };
}
pub(super) use line_columns;

#[derive(sqlx::FromRow)]
pub(super) struct LineRow {
    id: i64,
    public_id: Uuid,
    statement_id: Uuid,
    account_iban: String,
    bank_reference: String,
    booking_date: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    amount_cents: i64,
    counterparty_name: String,
    counterparty_iban: String,
    structured_reference: String,
    unstructured_remittance: String,
    status: i16,
    reason: String,
    debtor_payment_id: Option<Uuid>,
    resolution: i16,
    resolution_note: String,
    resolved_by: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

impl LineRow {
    fn to_pb(&self) -> pb::StatementLine {
        // The reason a line is unmatched travels in the note until a person resolves it.
        let note = if self.resolution_note.is_empty() {
            self.reason.clone()
        } else {
            self.resolution_note.clone()
        };
        pb::StatementLine {
            line_id: self.public_id.to_string(),
            statement_id: self.statement_id.to_string(),
            bank_reference: self.bank_reference.clone(),
            booking_date: self.booking_date.map(wire::date_to_pb),
            value_date: self.value_date.map(wire::date_to_pb),
            amount: Some(crate::ledger::cents_pb(self.amount_cents)),
            counterparty_name: self.counterparty_name.clone(),
            counterparty_iban: (!self.counterparty_iban.is_empty()).then(|| pb::Iban {
                value: self.counterparty_iban.clone(),
            }),
            structured_reference: self.structured_reference.clone(),
            unstructured_remittance: self.unstructured_remittance.clone(),
            status: i32::from(self.status),
            debtor_payment_id: self
                .debtor_payment_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            resolution: i32::from(self.resolution),
            resolution_note: note,
            resolved: match (&self.resolved_by, self.resolved_at) {
                (Some(by), Some(at)) => Some(pb::AuditStamp {
                    actor: by.clone(),
                    at: wire::timestamp(at),
                    via: String::new(),
                }),
                _ => None,
            },
        }
    }
}

pub(super) async fn lines_by_id(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> ServiceResult<Vec<pb::StatementLine>> {
    let rows: Vec<LineRow> = sqlx::query_as(concat!(
        "SELECT ",
        line_columns!(),
        " FROM statement_lines l WHERE l.public_id = ANY($1) ORDER BY l.id"
    ))
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(LineRow::to_pb).collect())
}

/// ListUnmatchedStatementLines, parsed.
struct UnmatchedQuery {
    page: wire::Page,
    /// The lines of this statement only; `None`: of every statement.
    statement: Option<Uuid>,
}

impl TryFrom<&pb::ListUnmatchedStatementLinesRequest> for UnmatchedQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListUnmatchedStatementLinesRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let statement = match req.statement_id.trim() {
            "" => Some(None),
            s => v
                .take(
                    s.parse::<Uuid>()
                        .map_err(|_| FieldViolation::new("statement_id", "not a statement id")),
                )
                .map(Some),
        };
        v.finish(|| {
            Some(UnmatchedQuery {
                page: page?,
                statement: statement?,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn list_unmatched(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListUnmatchedStatementLinesRequest,
) -> ServiceResult<pb::ListUnmatchedStatementLinesResponse> {
    let pool = &api.pool;
    let UnmatchedQuery { page, statement } = UnmatchedQuery::try_from(&req)?;
    let rows: Vec<LineRow> = sqlx::query_as(concat!(
        "SELECT ",
        line_columns!(),
        " FROM statement_lines l WHERE l.status = ",
        sql_enum!(StatementLineStatus::Unmatched),
        " AND ($1::uuid IS NULL OR l.statement_id = $1)
           AND ($2::bigint IS NULL OR l.id > $2) ORDER BY l.id LIMIT $3"
    ))
    .bind(statement)
    .bind(page.after)
    .bind(page.size)
    .fetch_all(pool)
    .await?;
    Ok(pb::ListUnmatchedStatementLinesResponse {
        lines: rows.iter().map(LineRow::to_pb).collect(),
        page: Some(wire::page_to_pb(
            &page,
            rows.len(),
            rows.last().map(|r| r.id),
        )),
    })
}

struct ResolveCommand {
    key: String,
    line: Uuid,
    kind: pb::StatementLineResolutionKind,
    dossier: Option<String>,
    for_month: Option<NaiveDate>,
    note: String,
}

impl TryFrom<&pb::ResolveStatementLineRequest> for ResolveCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ResolveStatementLineRequest) -> ServiceResult<Self> {
        use pb::StatementLineResolutionKind as R;
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let line = v.take(
            req.line_id
                .trim()
                .parse::<Uuid>()
                .map_err(|_| FieldViolation::new("line_id", "not a statement line id")),
        );
        let kind = match R::try_from(req.resolution) {
            Ok(k) if k != R::Unspecified => Some(k),
            _ => {
                v.add("resolution", "a resolution is required");
                None
            }
        };
        let dossier = match kind {
            Some(R::Assigned) => v
                .take(dossier("dossier_number", &req.dossier_number))
                .map(|d| Some(d.to_string())),
            _ if !req.dossier_number.is_empty() => {
                v.add("dossier_number", "only for an assigned line");
                None
            }
            _ => Some(None),
        };
        let for_month = v
            .take_all(wire::optional_year_month_from_pb(
                "for_month",
                req.for_month.as_ref(),
            ))
            .map(|m| m.map(|m| m.first_day()));
        let note = req.note.trim().to_owned();
        if note.is_empty() {
            v.add("note", "say why");
        }
        v.finish(|| {
            Some(ResolveCommand {
                key: key?,
                line: line?,
                kind: kind?,
                dossier: dossier?,
                for_month: for_month?,
                note,
            })
        })
    }
}

/// Assigning books the line as a debtor payment from suspense (suspense -> money received,
/// then the usual allocation). Returning to sender books a payout to the line's sender: the
/// money leaves suspense for the bank once the bank executes it, never before. "Not a debtor
/// payment" only records the decision: the money stays in suspense until it is booked where
/// it belongs.
#[tracing::instrument(skip_all)]
pub(crate) async fn resolve(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ResolveStatementLineRequest,
) -> ServiceResult<pb::ResolveStatementLineResponse> {
    let pool = &api.pool;
    let v = ResolveCommand::try_from(&req)?;
    let actor = &caller.actor().id;
    let mut tx = Booking::begin(pool).await?;
    if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, METHOD, &v.key, &req).await? {
        return Ok(resp);
    }
    let row = unmatched_line(&mut tx, v.line).await?;
    let payment = match &v.dossier {
        Some(dossier) => Some(assign(&mut tx, caller, &v, &row, dossier).await?),
        None => None,
    };
    let refund = match v.kind {
        pb::StatementLineResolutionKind::ReturnToSender => Some(
            payouts::pay_back(
                &mut tx,
                actor,
                &payouts::Sender {
                    line_id: row.public_id,
                    bank_reference: &row.bank_reference,
                    name: &row.counterparty_name,
                    iban: &row.counterparty_iban,
                    cents: row.amount_cents,
                },
            )
            .await?,
        ),
        _ => None,
    };
    let payment_id = payment
        .as_ref()
        .and_then(|p| p.payment_id.parse::<Uuid>().ok());
    let updated = store::mark_resolved(&mut tx, v.line, v.kind, &v.note, actor, payment_id).await?;
    casework::close(
        &mut tx,
        pb::TaskKind::UnmatchedBankLine,
        casework::subject::statement_line(v.line),
        METHOD,
        By::of(caller),
    )
    .await?;
    let resp = pb::ResolveStatementLineResponse {
        line: Some(updated.to_pb()),
        payment,
        refund,
    };
    idempotency::complete(&mut tx, METHOD, &v.key, &resp).await?;
    tx.commit().await?;
    tracing::info!(resolution = v.kind as i32, "statement line resolved");
    Ok(resp)
}

/// The line, locked, if it still waits for a resolution.
async fn unmatched_line(conn: &mut PgConnection, line: Uuid) -> ServiceResult<LineRow> {
    let row: Option<LineRow> = sqlx::query_as(concat!(
        "SELECT ",
        line_columns!(),
        " FROM statement_lines l WHERE l.public_id = $1 FOR UPDATE"
    ))
    .bind(line)
    .fetch_optional(conn)
    .await?;
    let row = row.ok_or_else(|| ServiceError::not_found("no such statement line"))?;
    if row.status != pb::StatementLineStatus::Unmatched as i16 {
        return Err(ServiceError::failed_precondition(
            "LINE_NOT_UNMATCHED",
            "the statement line is not waiting for a resolution",
        ));
    }
    Ok(row)
}

/// Books the line as a debtor payment on the dossier, from suspense.
async fn assign(
    conn: &mut Booking,
    caller: &Caller,
    v: &ResolveCommand,
    row: &LineRow,
    dossier: &str,
) -> ServiceResult<pb::DebtorPayment> {
    let known: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM dossier_states WHERE dossier_number = $1)",
    )
    .bind(dossier)
    .fetch_one(&mut **conn)
    .await?;
    if !known {
        return Err(ServiceError::failed_precondition(
            "UNKNOWN_DOSSIER",
            "the payments service has no such dossier",
        ));
    }
    let mut p = book_payment(
        conn,
        &caller.actor().id,
        caller.via(),
        NewPayment {
            public_id: stable_id("payment", &[&row.account_iban, &row.bank_reference]),
            dossier: dossier.to_owned(),
            cents: row.amount_cents,
            received_on: row
                .value_date
                .or(row.booking_date)
                .unwrap_or_else(|| Utc::now().date_naive()),
            for_month: v.for_month,
            from: AccountKey::service(K::Suspense),
            details: PaymentDetails::default(),
        },
    )
    .await?;
    p.bank_reference = row.bank_reference.clone();
    p.statement_line_id = row.public_id.to_string();
    p.structured_reference = row.structured_reference.clone();
    Ok(p)
}

//! The statement lines as stored: the one module that writes `statement_lines` (a line
//! stored once per bank reference by the import, its resolution by a person).

use secal_proto::v1 as pb;
use secal_runtime::ServiceResult;
use sqlx::PgConnection;
use uuid::Uuid;

use super::ParsedLine;
use super::resolve::{LineRow, line_columns};

/// What is stored of a line besides the bank's own data.
pub(super) struct StoredLine<'a> {
    pub line_id: Uuid,
    pub statement_id: Uuid,
    pub account: &'a str,
    pub status: pb::StatementLineStatus,
    pub reason: &'a str,
    pub payment: Option<Uuid>,
}

/// Stores the line; `false` when an earlier statement already had it.
#[tracing::instrument(skip_all)]
pub(super) async fn insert_line(
    conn: &mut PgConnection,
    line: &ParsedLine,
    stored: &StoredLine<'_>,
) -> ServiceResult<bool> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO statement_lines (public_id, statement_id, account_iban, bank_reference, kind,
             booking_date, value_date, amount_cents, counterparty_name, counterparty_iban,
             structured_reference, unstructured_remittance, status, reason, debtor_payment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (account_iban, bank_reference) DO NOTHING RETURNING id",
    )
    .bind(stored.line_id)
    .bind(stored.statement_id)
    .bind(stored.account)
    .bind(&line.bank_reference)
    .bind(line.kind as i16)
    .bind(line.booking_date)
    .bind(line.value_date)
    .bind(line.cents)
    .bind(&line.counterparty_name)
    .bind(&line.counterparty_iban)
    .bind(
        line.reference
            .as_ref()
            .map(|r| r.electronic())
            .unwrap_or_default(),
    )
    .bind(&line.unstructured)
    .bind(stored.status as i16)
    .bind(stored.reason)
    .bind(stored.payment)
    .fetch_optional(conn)
    .await?;
    Ok(inserted.is_some())
}

/// Records a person's resolution of the line; returns the line as it now is.
#[tracing::instrument(skip_all)]
pub(super) async fn mark_resolved(
    conn: &mut PgConnection,
    line: Uuid,
    kind: pb::StatementLineResolutionKind,
    note: &str,
    actor: &str,
    payment: Option<Uuid>,
) -> ServiceResult<LineRow> {
    Ok(sqlx::query_as(concat!(
        "UPDATE statement_lines l SET status = $6, resolution = $2, resolution_note = $3,
             resolved_by = $4, resolved_at = now(), debtor_payment_id = $5
         WHERE l.public_id = $1 RETURNING ",
        line_columns!()
    ))
    .bind(line)
    .bind(kind as i16)
    .bind(note)
    .bind(actor)
    .bind(payment)
    .bind(pb::StatementLineStatus::Resolved as i16)
    .fetch_one(conn)
    .await?)
}

/// A line returned to its sender whose refund came back: its money is in suspense again, so
/// the line waits for a person again, saying why (the refund payout keeps the history).
#[tracing::instrument(skip_all)]
pub(crate) async fn reopen_line(
    conn: &mut PgConnection,
    line: Uuid,
    why: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE statement_lines SET status = $2, reason = $3, resolution_note = '' \
         WHERE public_id = $1",
    )
    .bind(line)
    .bind(pb::StatementLineStatus::Unmatched as i16)
    .bind(why)
    .execute(conn)
    .await?;
    Ok(())
}

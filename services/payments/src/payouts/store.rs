//! Payouts and payout accounts as stored: the one module that writes `payouts` and
//! `payout_accounts`. Every function takes the caller's transaction.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::ServiceResult;
use sqlx::PgConnection;

use super::accounts::{AccountRow, COLUMNS, PENDING};
use super::batch::Staged;
use super::new_account::NewAccount;
use super::new_id;
use super::settle::PayoutReturn;

/// The batch's payouts, pending, in the batch's transaction.
#[tracing::instrument(skip_all)]
pub(super) async fn insert_payouts(
    conn: &mut PgConnection,
    actor: &str,
    batch_id: &str,
    staged: &[Staged],
) -> ServiceResult<()> {
    for s in staged {
        sqlx::query(
            "INSERT INTO payouts (id, end_to_end_id, batch_id, dossier_number, creditor, \
             payout_account_id, amount_cents, remittance, state, first_payout, \
             pending_transfer_id, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $12, $9, $10, $11)",
        )
        .bind(&s.payout_id)
        .bind(&s.e2e)
        .bind(batch_id)
        .bind(&s.dossier)
        .bind(&s.creditor)
        .bind(&s.account_id)
        .bind(s.cents)
        .bind(&s.remittance)
        .bind(s.first)
        .bind(s.pending_id())
        .bind(actor)
        .bind(pb::PayoutState::Pending as i16)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Whom a refund goes to: the sender of a statement line, as the bank named them.
pub(super) struct Payee<'a> {
    pub line: uuid::Uuid,
    pub iban: &'a str,
    pub name: &'a str,
}

/// A refund of a statement line to its sender, pending, in its batch's transaction. No
/// dossier, creditor or payout account: the payee is the line's sender.
#[tracing::instrument(skip_all)]
pub(super) async fn insert_refund(
    conn: &mut PgConnection,
    actor: &str,
    batch_id: &str,
    s: &Staged,
    payee: &Payee<'_>,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO payouts (id, end_to_end_id, batch_id, dossier_number, creditor, \
         amount_cents, remittance, state, first_payout, pending_transfer_id, created_by, \
         refund_of_line, payee_iban, payee_name) \
         VALUES ($1, $2, $3, '', '', $4, $5, $6, false, $7, $8, $9, $10, $11)",
    )
    .bind(&s.payout_id)
    .bind(&s.e2e)
    .bind(batch_id)
    .bind(s.cents)
    .bind(&s.remittance)
    .bind(pb::PayoutState::Pending as i16)
    .bind(s.pending_id())
    .bind(actor)
    .bind(payee.line)
    .bind(payee.iban)
    .bind(payee.name)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The bank executed the payout on `booked_on`.
#[tracing::instrument(skip_all)]
pub(super) async fn mark_confirmed(
    conn: &mut PgConnection,
    payout_id: &str,
    booked_on: NaiveDate,
) -> ServiceResult<()> {
    sqlx::query("UPDATE payouts SET state = $3, confirmed_on = $2 WHERE id = $1")
        .bind(payout_id)
        .bind(booked_on)
        .bind(pb::PayoutState::Confirmed as i16)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The payout came back, as the bank reported it.
#[tracing::instrument(skip_all)]
pub(super) async fn mark_returned(
    conn: &mut PgConnection,
    payout_id: &str,
    r: &PayoutReturn<'_>,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE payouts SET state = $2, returned_on = $3, return_reason_code = $4, \
         return_reason_text = $5, return_by = $6, return_at = now() WHERE id = $1",
    )
    .bind(payout_id)
    .bind(pb::PayoutState::Returned as i16)
    .bind(r.returned_on)
    .bind(r.reason_code)
    .bind(r.reason_text)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A new payout account, stored as awaiting confirmation.
#[tracing::instrument(skip_all)]
pub(super) async fn insert_pending_account(
    conn: &mut PgConnection,
    account: &NewAccount,
    dossier: &str,
    source: &str,
    requested_by: &str,
) -> ServiceResult<AccountRow> {
    let sql = format!(
        "INSERT INTO payout_accounts (id, dossier_number, iban, bic, holder_name, bank_name, \
         holding, lawyer_name, lawyer_bar, lawyer_document_key, status, source_reference, \
         requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(new_id("pa"))
        .bind(dossier)
        .bind(account.iban.electronic())
        .bind(&account.bic)
        .bind(&account.holder)
        .bind(&account.bank_name)
        .bind(account.holding as i16)
        .bind(account.lawyer.lawyer_name.trim())
        .bind(account.lawyer.bar.trim())
        .bind(account.lawyer.document_key.trim())
        .bind(PENDING)
        .bind(source)
        .bind(requested_by)
        .fetch_one(conn)
        .await?)
}

/// The account received a confirmed payout.
#[tracing::instrument(skip_all)]
pub(super) async fn mark_account_paid(conn: &mut PgConnection, id: &str) -> ServiceResult<()> {
    sqlx::query("UPDATE payout_accounts SET has_received_payout = true WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A second agent confirmed the account: payouts go to it from now on.
#[tracing::instrument(skip_all)]
pub(super) async fn activate_account(
    conn: &mut PgConnection,
    id: &str,
    method: i16,
    evidence: &str,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE payout_accounts SET status = $5, confirmation_method = $2, \
     evidence_reference = $3, decided_by = $4, decided_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(method)
    .bind(evidence)
    .bind(actor)
    .bind(super::accounts::ACTIVE)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A second agent rejected the account, saying why.
#[tracing::instrument(skip_all)]
pub(super) async fn reject_account(
    conn: &mut PgConnection,
    id: &str,
    reason: &str,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE payout_accounts SET status = $4, note = $2, decided_by = $3, \
     decided_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(actor)
    .bind(pb::PayoutAccountStatus::Rejected as i16)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account's status (replaced by a newer one, blocked after a return).
#[tracing::instrument(skip_all)]
pub(super) async fn set_account_status(
    conn: &mut PgConnection,
    id: &str,
    status: i16,
) -> ServiceResult<()> {
    sqlx::query("UPDATE payout_accounts SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

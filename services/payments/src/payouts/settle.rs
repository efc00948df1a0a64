//! The bank's answers: executed payouts are posted; a rejected or returned payout puts its
//! amount back on the payable account (void while pending, a return transfer once posted).

use chrono::{Days, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use tracing::instrument;

use super::accounts::{self, ACTIVE, BLOCKED};
use super::batch::batch_pb;
use super::rows::{PAYOUT_SELECT, PayoutRow};
use super::{run_once, store};
use crate::api::PaymentsApi;
use crate::casework::{self, By};
use crate::ledger::{self, AccountKey, AccountKind, NewTransfer, Settle};

const PENDING: i16 = pb::PayoutState::Pending as i16;
const CONFIRMED: i16 = pb::PayoutState::Confirmed as i16;
const RETURNED: i16 = pb::PayoutState::Returned as i16;

/// `on`, unless it is after the bank's today (the violation recorded, naming `field`). A day
/// ahead of this (UTC) clock is allowed: the bank's Brussels date may already be tomorrow.
fn not_future(v: &mut Violations, field: &str, on: NaiveDate) -> Option<NaiveDate> {
    let latest = Utc::now().date_naive().checked_add_days(Days::new(1));
    if latest.is_some_and(|latest| on > latest) {
        v.add(field, "in the future");
        return None;
    }
    Some(on)
}

/// ConfirmPayouts, parsed (the payouts named, if any, are checked against the batch).
struct ConfirmCommand {
    key: String,
    batch_id: String,
    booked_on: NaiveDate,
}

impl TryFrom<&pb::ConfirmPayoutsRequest> for ConfirmCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ConfirmPayoutsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let batch_id = req.batch_id.trim();
        if batch_id.is_empty() {
            v.add("batch_id", "required");
        }
        // A bank books what happened: a booking date in the future is a typing error, and
        // would make the payout look settled before the money left.
        let booked_on = v
            .take_all(wire::date_from_pb("booked_on", req.booked_on.as_ref()))
            .and_then(|on| not_future(&mut v, "booked_on", on));
        v.finish(|| {
            Some(ConfirmCommand {
                key: key?,
                batch_id: batch_id.to_owned(),
                booked_on: booked_on?,
            })
        })
    }
}

#[instrument(skip_all, fields(method = "ConfirmPayouts"))]
pub async fn confirm(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ConfirmPayoutsRequest,
) -> ServiceResult<pb::ConfirmPayoutsResponse> {
    let pool = &api.pool;
    let ConfirmCommand {
        key,
        batch_id,
        booked_on,
    } = ConfirmCommand::try_from(&req)?;
    let actor = caller.actor().id.clone();
    let mut tx = pool.begin().await?;
    let resp = run_once(
        &mut tx,
        caller,
        "ConfirmPayouts",
        &key,
        &req,
        async |conn| {
            let sql =
                format!("{PAYOUT_SELECT} WHERE p.batch_id = $1 ORDER BY p.seq FOR UPDATE OF p");
            let rows: Vec<PayoutRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&batch_id)
                .fetch_all(&mut *conn)
                .await?;
            if rows.is_empty() {
                return Err(ServiceError::not_found(format!(
                    "no payout batch {batch_id}"
                )));
            }
            check_named(&rows, &req.payout_ids)?;
            let mut confirmed = Vec::new();
            for r in rows.iter().filter(|r| {
                r.state == PENDING && (req.payout_ids.is_empty() || req.payout_ids.contains(&r.id))
            }) {
                confirm_one(conn, &actor, r, booked_on).await?;
                confirmed.push(r.id.clone());
            }
            let sql = format!("{PAYOUT_SELECT} WHERE p.id = ANY($1) ORDER BY p.seq");
            let rows: Vec<PayoutRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&confirmed)
                .fetch_all(&mut *conn)
                .await?;
            Ok(pb::ConfirmPayoutsResponse {
                payouts: rows.iter().map(PayoutRow::to_pb).collect(),
                batch: Some(batch_pb(conn, &batch_id).await?.0),
            })
        },
    )
    .await?;
    tx.commit().await?;
    Ok(resp)
}

/// Every payout the request names is a pending payout of the batch.
fn check_named(rows: &[PayoutRow], ids: &[String]) -> ServiceResult<()> {
    for (i, id) in ids.iter().enumerate() {
        match rows.iter().find(|r| r.id == *id) {
            None => {
                return Err(ServiceError::invalid_field(
                    format!("payout_ids[{i}]"),
                    "not a payout of this batch",
                ));
            }
            Some(r) if r.state != PENDING => {
                return Err(ServiceError::failed_precondition(
                    "PAYOUT_NOT_PENDING",
                    format!("payout {id} is no longer pending"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The bank executed the payout: its pending transfer posted, the payout confirmed, and its
/// account known to have received money.
async fn confirm_one(
    conn: &mut PgConnection,
    actor: &str,
    r: &PayoutRow,
    booked_on: NaiveDate,
) -> ServiceResult<()> {
    let settlement = format!("{}#posted", r.pending_transfer_id);
    ledger::settle_pending(
        conn,
        actor,
        &r.pending_transfer_id,
        &settlement,
        Settle::Post(None),
        "executed by the bank",
    )
    .await?;
    store::mark_confirmed(conn, &r.id, booked_on).await?;
    if let Some(account) = &r.payout_account_id {
        store::mark_account_paid(conn, account).await?;
    }
    Ok(())
}

/// RecordPayoutReturn, parsed.
struct ReturnCommand<'r> {
    key: String,
    by: PayoutBy<'r>,
    back: PayoutReturn<'r>,
}

impl<'r> TryFrom<&'r pb::RecordPayoutReturnRequest> for ReturnCommand<'r> {
    type Error = ServiceError;

    fn try_from(req: &'r pb::RecordPayoutReturnRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let by = match (req.payout_id.trim(), req.end_to_end_id.trim()) {
            ("", "") => {
                v.add("payout_id", "or end_to_end_id required");
                None
            }
            (id, "") => Some(PayoutBy::Id(id)),
            ("", e2e) => Some(PayoutBy::EndToEnd(e2e)),
            _ => {
                v.add("end_to_end_id", "give payout_id or end_to_end_id, not both");
                None
            }
        };
        let returned_on = v
            .take_all(wire::date_from_pb("returned_on", req.returned_on.as_ref()))
            .and_then(|on| not_future(&mut v, "returned_on", on));
        let code = req.reason_code.trim();
        if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            v.add("reason_code", "an ISO 20022 4-character code");
        }
        // Optional by the contract: when given, it must be the payout's whole amount.
        let amount = match req.amount {
            Some(_) => v
                .take_all(crate::ledger::rpcs::cents("amount", req.amount.as_ref()))
                .map(Some),
            None => Some(None),
        };
        v.finish(|| {
            Some(ReturnCommand {
                key: key?,
                by: by?,
                back: PayoutReturn {
                    returned_on: returned_on?,
                    amount: amount?,
                    reason_code: code,
                    reason_text: req.reason_text.trim(),
                },
            })
        })
    }
}

#[instrument(skip_all, fields(method = "RecordPayoutReturn"))]
pub async fn record_return(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RecordPayoutReturnRequest,
) -> ServiceResult<pb::RecordPayoutReturnResponse> {
    let pool = &api.pool;
    let ReturnCommand { key, by, back } = ReturnCommand::try_from(&req)?;
    let actor = caller.actor().id.clone();
    let mut tx = pool.begin().await?;
    let resp = run_once(
        &mut tx,
        caller,
        "RecordPayoutReturn",
        &key,
        &req,
        async |conn| {
            let mut events = Vec::new();
            let resp = return_payout(conn, &actor, by, &back, &mut events).await?;
            casework::write(conn, events, By::of(caller)).await?;
            Ok(resp)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(resp)
}

/// Which payout a return names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PayoutBy<'a> {
    Id(&'a str),
    EndToEnd(&'a str),
}

/// A return the bank reported, for [`return_payout`].
pub(crate) struct PayoutReturn<'a> {
    pub returned_on: NaiveDate,
    /// When given, it must be the payout's whole amount.
    pub amount: Option<i64>,
    /// An ISO 20022 return reason code (checked by the caller).
    pub reason_code: &'a str,
    pub reason_text: &'a str,
}

/// The one path by which a payout comes back, inside the caller's transaction: voided while
/// pending, else booked paid-out -> payable (bank -> suspense for a refund to a sender); the
/// payout is marked returned and its account blocked (a refund's line waits for a person).
/// Used by RecordPayoutReturn and by the statement import for returns the bank reports in a
/// camt.053. The case work it makes is added to `casework`, for the caller to write once its
/// other writes are done (`casework::write`).
pub(crate) async fn return_payout(
    conn: &mut PgConnection,
    actor: &str,
    by: PayoutBy<'_>,
    r: &PayoutReturn<'_>,
    casework: &mut Vec<casework::Event>,
) -> ServiceResult<pb::RecordPayoutReturnResponse> {
    let (field, by) = match by {
        PayoutBy::Id(id) => ("p.id", id),
        PayoutBy::EndToEnd(e2e) => ("p.end_to_end_id", e2e),
    };
    let code = r.reason_code;
    let sql = format!("{PAYOUT_SELECT} WHERE {field} = $1 FOR UPDATE OF p");
    let p: PayoutRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(by)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ServiceError::not_found("no such payout"))?;
    if r.amount.is_some_and(|a| a != p.amount_cents) {
        return Err(ServiceError::invalid_field(
            "amount",
            "must be the payout's whole amount",
        ));
    }
    reverse_payout(conn, actor, &p, r).await?;
    store::mark_returned(conn, &p.id, r, actor).await?;
    let payout_account = match (&p.payout_account_id, p.refund_of_line) {
        (Some(account), _) => {
            let account = block_account(conn, account).await?;
            // Blocked: nothing is paid to the dossier until a new account is confirmed. Not
            // blocked: a newer account was confirmed since this payout left (the old one is
            // replaced), so the money goes there with the next batch and no task is needed.
            if account.status == pb::PayoutAccountStatus::Blocked as i32 {
                casework.push(returned(&p, code));
            }
            Some(account)
        }
        // A refund that did not reach the sender: its line waits for a person again.
        (None, Some(line)) => {
            let why = format!("the refund to the sender came back ({code})");
            crate::receipts::statements::reopen_line(conn, line, &why).await?;
            casework.push(refund_returned(line, p.amount_cents, code));
            None
        }
        (None, None) => None,
    };
    let sql = format!("{PAYOUT_SELECT} WHERE p.id = $1");
    let p: PayoutRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&p.id)
        .fetch_one(&mut *conn)
        .await?;
    tracing::info!(reason_code = %code, "payout returned");
    Ok(pb::RecordPayoutReturnResponse {
        payout: Some(p.to_pb()),
        payout_account,
    })
}

/// A returned payout, as case work: due in 5 days, listed at once; closed when a new payout
/// account of the dossier is confirmed (ConfirmPayoutAccountChange).
fn returned(p: &PayoutRow, code: &str) -> casework::Event {
    casework::Event::Opened(casework::Opening {
        kind: pb::TaskKind::ReturnedPayout,
        subject: casework::subject::payout(&p.id),
        dossier_number: p.dossier_number.clone(),
        listed_from: casework::today(),
        due_on: casework::in_days(5),
        summary: format!(
            "Payout {} of EUR {} for dossier {} came back ({code}) and its account is \
             blocked: obtain a new payout account for the dossier and have a second agent \
             confirm it (ConfirmPayoutAccountChange)",
            p.id,
            ledger::cents_pb(p.amount_cents).amount,
            p.dossier_number
        ),
    })
}

/// A refund to the sender of a statement line that came back: the line waits for a person
/// again, so its task opens again (due in 7 days as a new unmatched line).
fn refund_returned(line: uuid::Uuid, cents: i64, code: &str) -> casework::Event {
    casework::Event::Opened(casework::Opening {
        kind: pb::TaskKind::UnmatchedBankLine,
        subject: casework::subject::statement_line(line),
        dossier_number: String::new(),
        listed_from: casework::today(),
        due_on: casework::in_days(7),
        summary: format!(
            "The refund of a bank statement line of EUR {} to its sender came back ({code}): \
             resolve the line again (ResolveStatementLine)",
            ledger::cents_pb(cents).amount
        ),
    })
}

/// The returned payouts of a dossier: the subjects of the tasks a newly confirmed payout
/// account of the dossier closes (payout accounts are per dossier, not per creditor).
pub(super) async fn returned_subjects(
    conn: &mut PgConnection,
    dossier: &str,
) -> ServiceResult<Vec<String>> {
    // The literal state is the predicate of the partial index `payouts_returned_by_dossier`.
    let ids: Vec<String> = sqlx::query_scalar(concat!(
        "SELECT id FROM payouts WHERE dossier_number = $1 AND state = ",
        crate::db_enum::sql_enum!(PayoutState::Returned),
        " AND payout_account_id IS NOT NULL ORDER BY seq"
    ))
    .bind(dossier)
    .fetch_all(conn)
    .await?;
    Ok(ids.iter().map(|id| casework::subject::payout(id)).collect())
}

/// The account a payout came back from is blocked until a person reviews it.
async fn block_account(conn: &mut PgConnection, id: &str) -> ServiceResult<pb::PayoutAccount> {
    let acct = accounts::by_id(conn, id).await?;
    if acct.status == ACTIVE {
        store::set_account_status(conn, &acct.id, BLOCKED).await?;
    }
    Ok(accounts::by_id(conn, &acct.id).await?.to_pb())
}

/// The money of a returned payout back to payable: its pending transfer voided while the
/// bank had not executed it, else a transfer paid-out -> payable.
async fn reverse_payout(
    conn: &mut PgConnection,
    actor: &str,
    p: &PayoutRow,
    r: &PayoutReturn<'_>,
) -> ServiceResult<()> {
    match p.state {
        PENDING => {
            let settlement = format!("{}#voided", p.pending_transfer_id);
            ledger::settle_pending(
                conn,
                actor,
                &p.pending_transfer_id,
                &settlement,
                Settle::Void,
                "returned by the bank",
            )
            .await?;
        }
        CONFIRMED if p.refund_of_line.is_some() => {
            // The refund's money is back in the bank: it waits in suspense again.
            let back = NewTransfer {
                reference: p.end_to_end_id.clone(),
                description: format!("refund to sender returned ({})", r.reason_code),
                ..NewTransfer::posted(
                    format!("{}#returned", p.pending_transfer_id),
                    AccountKey::service(AccountKind::Bank),
                    AccountKey::service(AccountKind::Suspense),
                    p.amount_cents,
                    pb::TransferCode::PayoutReturn,
                    r.returned_on.max(p.requested_execution_date),
                )
            };
            ledger::create_transfers(conn, actor, &[back]).await?;
        }
        CONFIRMED => {
            let back = NewTransfer {
                reference: p.end_to_end_id.clone(),
                description: format!("payout returned ({})", r.reason_code),
                ..NewTransfer::posted(
                    format!("{}#returned", p.pending_transfer_id),
                    AccountKey::party(AccountKind::PaidOut, &p.dossier_number, &p.creditor),
                    AccountKey::party(AccountKind::Payable, &p.dossier_number, &p.creditor),
                    p.amount_cents,
                    pb::TransferCode::PayoutReturn,
                    // On the bank's date, never before the payout left (its execution date).
                    r.returned_on.max(p.requested_execution_date),
                )
            };
            ledger::create_transfers(conn, actor, &[back]).await?;
        }
        RETURNED => {
            return Err(ServiceError::failed_precondition(
                "PAYOUT_ALREADY_RETURNED",
                "the payout was already returned",
            ));
        }
        other => {
            return Err(ServiceError::internal(std::io::Error::other(format!(
                "payout {}: stored state {other} is not a payout state",
                p.id
            ))));
        }
    }
    Ok(())
}

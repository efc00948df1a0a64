//! GetClaimAccount: a dossier's claim account as the bookings left it — the booked-to date,
//! the mandate beside the applicant's declaration, the acts (the form's, from intake's
//! snapshot, and those recorded since), the journal of bookings and the table of the last
//! booking. Read in one snapshot of the database, so that the journal and the table agree.

use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;

use super::account_pb::{AccountRow, ActRow, BookingRow, LineRow, MandateLineRow};
use super::statements::{dossier_known, snapshot};
use crate::api::PaymentsApi;

/// GetClaimAccount, parsed.
struct AccountCommand {
    dossier: DossierNumber,
}

impl TryFrom<&pb::GetClaimAccountRequest> for AccountCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetClaimAccountRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier = v.take(crate::receipts::payments::dossier(
            "dossier_number",
            &req.dossier_number,
        ));
        v.finish(|| Some(AccountCommand { dossier: dossier? }))
    }
}

/// Everything stored about one claim account.
struct Stored {
    snapshot: Option<pb::DossierSnapshot>,
    account: Option<AccountRow>,
    bookings: Vec<BookingRow>,
    mandate_lines: Vec<MandateLineRow>,
    acts: Vec<ActRow>,
    lines: Vec<LineRow>,
    not_booked_reason: Option<String>,
}

#[tracing::instrument(skip_all)]
pub(crate) async fn get(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetClaimAccountRequest,
) -> ServiceResult<pb::GetClaimAccountResponse> {
    let c = AccountCommand::try_from(&req)?;
    let number = c.dossier.to_string();
    let mut tx = api.pool.begin().await?;
    // A booking replaces the lines and adds to the journal in one transaction: reading both
    // in one snapshot shows them as one booking left them.
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    if !dossier_known(&mut tx, &number).await? {
        return Err(ServiceError::not_found(format!(
            "no dossier {number} in payments"
        )));
    }
    let stored = read(&mut tx, &number).await?;
    tx.commit().await?;
    let title_order = super::account_pb::title_order(stored.snapshot.as_ref());
    Ok(pb::GetClaimAccountResponse {
        dossier_number: number,
        structured_reference: c.dossier.payment_reference().to_string(),
        booked_to: stored
            .account
            .as_ref()
            .map(|a| wire::date_to_pb(a.booked_to)),
        mandate: super::account_pb::mandate_pb(
            stored.account.as_ref(),
            &stored.bookings,
            &stored.mandate_lines,
            &title_order,
        ),
        acts: super::account_pb::acts_pb(stored.snapshot.as_ref(), &stored.acts),
        bookings: stored
            .bookings
            .iter()
            .map(super::account_pb::booking_pb)
            .collect(),
        lines: stored
            .lines
            .iter()
            .map(super::account_pb::line_pb)
            .collect(),
        not_booked_reason: stored.not_booked_reason.unwrap_or_default(),
    })
}

async fn read(conn: &mut PgConnection, number: &str) -> ServiceResult<Stored> {
    let snapshot = snapshot(&mut *conn, number).await?;
    let account: Option<AccountRow> = sqlx::query_as(
        "SELECT booked_to, fee_percent, mandate_booked_to FROM claim_accounts
         WHERE dossier_number = $1",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    let bookings: Vec<BookingRow> = sqlx::query_as(
        "SELECT sequence, kind, booked_to, reason, principal_cents, fee_cents, interest_cents,
                barred_cents, transfers, booked_by, booked_at
         FROM claim_bookings WHERE dossier_number = $1 ORDER BY sequence",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    let mandate_lines: Vec<MandateLineRow> = sqlx::query_as(
        "SELECT creditor, month, declared_cents, computed_cents FROM claim_mandate_lines
         WHERE dossier_number = $1 ORDER BY creditor, month",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    let acts: Vec<ActRow> = sqlx::query_as(
        "SELECT act_id, kind, act_date, creditor_ids, covered_first, covered_last, reference,
                recorded_by, recorded_at
         FROM claim_acts WHERE dossier_number = $1 ORDER BY act_date, recorded_at, act_id",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    let lines: Vec<LineRow> = sqlx::query_as(
        "SELECT creditor, kind, month, due_date, due_cents, unpaid_cents, status,
                prescription_limit, limitation_set_by, interest_cents, interest_from
         FROM claim_lines WHERE dossier_number = $1
         ORDER BY creditor_position, creditor, month, kind",
    )
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    let not_booked_reason = not_booked_reason(&mut *conn, number).await?;
    Ok(Stored {
        snapshot,
        account,
        bookings,
        mandate_lines,
        acts,
        lines,
        not_booked_reason,
    })
}

/// Why the last booking asked for (by an event or a dues run) failed, if none succeeded
/// since: a run's failure stays stored until a later start of a run books the dossier, so
/// one older than the account's last change is no longer the account's state.
async fn not_booked_reason(conn: &mut PgConnection, number: &str) -> ServiceResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT f.reason FROM (
             SELECT reason, failed_at FROM claim_booking_failures WHERE dossier_number = $1
             UNION ALL
             SELECT reason, failed_at FROM dues_run_failures WHERE dossier_number = $1
         ) f
         WHERE f.failed_at >= GREATEST(
             (SELECT max(booked_at) FROM claim_bookings WHERE dossier_number = $1),
             (SELECT updated_at FROM claim_accounts WHERE dossier_number = $1),
             '-infinity'::timestamptz)
         ORDER BY f.failed_at DESC LIMIT 1",
    )
    .bind(number)
    .fetch_optional(conn)
    .await?)
}

//! Payout accounts: a change takes effect only once another agent confirms it (separation of
//! duties); the account in use is blocked after a returned payout.

use chrono::{DateTime, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use tracing::instrument;

use super::new_account::{self, NewAccount, OWN_ACCOUNT, applicant_family_name, required};
use super::{audit, run_once, store};
use crate::api::PaymentsApi;
use crate::casework::{self, By};

pub const PENDING: i16 = pb::PayoutAccountStatus::PendingConfirmation as i16;
pub const ACTIVE: i16 = pb::PayoutAccountStatus::Active as i16;
pub const REPLACED: i16 = pb::PayoutAccountStatus::Replaced as i16;
pub const BLOCKED: i16 = pb::PayoutAccountStatus::Blocked as i16;

pub(super) const COLUMNS: &str = "id, dossier_number, iban, bic, holder_name, bank_name, holding, lawyer_name, \
    lawyer_bar, lawyer_document_key, status, has_received_payout, source_reference, \
    confirmation_method, evidence_reference, note, requested_by, requested_at, decided_by, decided_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub dossier_number: String,
    pub iban: String,
    pub bic: String,
    pub holder_name: String,
    pub bank_name: String,
    pub holding: i16,
    pub lawyer_name: String,
    pub lawyer_bar: String,
    pub lawyer_document_key: String,
    pub status: i16,
    pub has_received_payout: bool,
    pub source_reference: String,
    pub confirmation_method: i16,
    pub evidence_reference: String,
    pub note: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl AccountRow {
    pub fn to_pb(&self) -> pb::PayoutAccount {
        pb::PayoutAccount {
            payout_account_id: self.id.clone(),
            dossier_number: self.dossier_number.clone(),
            account: Some(pb::BankAccount {
                iban: Some(pb::Iban {
                    value: self.iban.clone(),
                }),
                bic: self.bic.clone(),
                holder_name: self.holder_name.clone(),
                bank_name: self.bank_name.clone(),
            }),
            holding: i32::from(self.holding),
            lawyer_authorisation: (!self.lawyer_name.is_empty()).then(|| pb::LawyerAuthorisation {
                lawyer_name: self.lawyer_name.clone(),
                bar: self.lawyer_bar.clone(),
                authorised_on: None,
                document_key: self.lawyer_document_key.clone(),
            }),
            status: i32::from(self.status),
            has_received_payout: self.has_received_payout,
            source_reference: self.source_reference.clone(),
            confirmation_method: i32::from(self.confirmation_method),
            evidence_reference: self.evidence_reference.clone(),
            requested: Some(audit(&self.requested_by, self.requested_at)),
            decided: self
                .decided_by
                .as_deref()
                .zip(self.decided_at)
                .map(|(by, at)| audit(by, at)),
            note: self.note.clone(),
        }
    }
}

pub async fn by_id(conn: &mut PgConnection, id: &str) -> ServiceResult<AccountRow> {
    let sql = format!("SELECT {COLUMNS} FROM payout_accounts WHERE id = $1 FOR UPDATE");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("no payout account {id}")))
}

/// The account payouts of a dossier go to now (active or blocked).
pub async fn current(conn: &mut PgConnection, dossier: &str) -> ServiceResult<Option<AccountRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payout_accounts WHERE dossier_number = $1 AND status IN {in_use}",
        in_use = crate::db_enum::payout_accounts_in_use!(),
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(dossier)
        .fetch_optional(conn)
        .await?)
}

/// RequestPayoutAccountChange, parsed: the dossier and its new account (checked on its own;
/// the holder rule needs the dossier's applicant, read in the transaction).
struct RequestCommand {
    key: String,
    dossier: String,
    account: NewAccount,
}

impl TryFrom<&pb::RequestPayoutAccountChangeRequest> for RequestCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::RequestPayoutAccountChangeRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.take_all(required("dossier_number", &req.dossier_number));
        let account = new_account::read(
            req.account.as_ref(),
            req.holding,
            req.lawyer_authorisation.as_ref(),
            &mut v,
        );
        v.finish(|| {
            Some(RequestCommand {
                key: key?,
                dossier: dossier?.to_owned(),
                account: account?,
            })
        })
    }
}

#[instrument(skip_all, fields(method = "RequestPayoutAccountChange"))]
pub async fn request(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RequestPayoutAccountChangeRequest,
) -> ServiceResult<pb::RequestPayoutAccountChangeResponse> {
    let pool = &api.pool;
    let RequestCommand {
        key,
        dossier,
        account,
    } = RequestCommand::try_from(&req)?;
    if account.is_own()? {
        return Err(ServiceError::invalid_field("account.iban", OWN_ACCOUNT));
    }
    let mut tx = pool.begin().await?;
    let method = "RequestPayoutAccountChange";
    let resp = run_once(&mut tx, caller, method, &key, &req, async |conn| {
        let Some(applicant) = applicant_family_name(conn, &dossier).await? else {
            return Err(ServiceError::failed_precondition(
                "DOSSIER_UNKNOWN",
                "no dossier with this number has been activated in payments",
            ));
        };
        if let Some(why) = account.refusal(&applicant) {
            return Err(ServiceError::invalid_field("account.holder_name", why));
        }
        let source = req.source_reference.trim();
        let row =
            store::insert_pending_account(conn, &account, &dossier, source, &caller.actor().id)
                .await?;
        let opening = awaiting_second_agent(&row, "A change of payout account");
        casework::open(conn, opening, By::of(caller)).await?;
        Ok(pb::RequestPayoutAccountChangeResponse {
            payout_account: Some(row.to_pb()),
        })
    })
    .await?;
    tx.commit().await?;
    Ok(resp)
}

/// ConfirmPayoutAccountChange, parsed.
struct ConfirmCommand {
    key: String,
    id: String,
    method: pb::ConfirmationMethod,
    evidence: String,
}

impl TryFrom<&pb::ConfirmPayoutAccountChangeRequest> for ConfirmCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ConfirmPayoutAccountChangeRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let id = v.take_all(required("payout_account_id", &req.payout_account_id));
        // Unspecified or a number the contract does not declare: no method was given.
        let method = match wire::optional_enum::<pb::ConfirmationMethod>("method", req.method) {
            Ok(Some(m)) => Some(m),
            Ok(None) | Err(_) => {
                v.add("method", "required");
                None
            }
        };
        let evidence = v.take_all(required("evidence_reference", &req.evidence_reference));
        v.finish(|| {
            Some(ConfirmCommand {
                key: key?,
                id: id?.to_owned(),
                method: method?,
                evidence: evidence?.to_owned(),
            })
        })
    }
}

#[instrument(skip_all, fields(method = "ConfirmPayoutAccountChange"))]
pub async fn confirm(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ConfirmPayoutAccountChangeRequest,
) -> ServiceResult<pb::ConfirmPayoutAccountChangeResponse> {
    let pool = &api.pool;
    let ConfirmCommand {
        key,
        id,
        method,
        evidence,
    } = ConfirmCommand::try_from(&req)?;
    let actor = caller.actor().id.clone();
    let mut tx = pool.begin().await?;
    let resp = run_once(&mut tx, caller, CONFIRM, &key, &req, async |conn| {
        let row = decidable(conn, &id, &actor).await?;
        let replaced = match current(conn, &row.dossier_number).await? {
            Some(old) => {
                store::set_account_status(conn, &old.id, REPLACED).await?;
                Some(by_id(conn, &old.id).await?.to_pb())
            }
            None => None,
        };
        store::activate_account(conn, &id, method as i16, &evidence, &actor).await?;
        // The change is decided, and the dossier's returned payouts have an account to
        // go to again.
        let mut events = decided(&id, CONFIRM);
        events.extend(casework::closings(
            pb::TaskKind::ReturnedPayout,
            super::settle::returned_subjects(conn, &row.dossier_number).await?,
            CONFIRM,
        ));
        casework::write(conn, events, By::of(caller)).await?;
        Ok(pb::ConfirmPayoutAccountChangeResponse {
            payout_account: Some(by_id(conn, &id).await?.to_pb()),
            replaced,
        })
    })
    .await?;
    tx.commit().await?;
    Ok(resp)
}

/// RejectPayoutAccountChange, parsed.
struct RejectCommand {
    key: String,
    id: String,
    reason: String,
}

impl TryFrom<&pb::RejectPayoutAccountChangeRequest> for RejectCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::RejectPayoutAccountChangeRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let id = v.take_all(required("payout_account_id", &req.payout_account_id));
        let reason = v.take_all(required("reason", &req.reason));
        v.finish(|| {
            Some(RejectCommand {
                key: key?,
                id: id?.to_owned(),
                reason: reason?.to_owned(),
            })
        })
    }
}

#[instrument(skip_all, fields(method = "RejectPayoutAccountChange"))]
pub async fn reject(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RejectPayoutAccountChangeRequest,
) -> ServiceResult<pb::RejectPayoutAccountChangeResponse> {
    let pool = &api.pool;
    let RejectCommand { key, id, reason } = RejectCommand::try_from(&req)?;
    let actor = caller.actor().id.clone();
    let mut tx = pool.begin().await?;
    let resp = run_once(&mut tx, caller, REJECT, &key, &req, async |conn| {
        decidable(conn, &id, &actor).await?;
        store::reject_account(conn, &id, &reason, &actor).await?;
        casework::write(conn, decided(&id, REJECT), By::of(caller)).await?;
        Ok(pb::RejectPayoutAccountChangeResponse {
            payout_account: Some(by_id(conn, &id).await?.to_pb()),
        })
    })
    .await?;
    tx.commit().await?;
    Ok(resp)
}

const CONFIRM: &str = "ConfirmPayoutAccountChange";
const REJECT: &str = "RejectPayoutAccountChange";

/// A pending account, as case work: due in 3 days, listed at once; closed when a second
/// agent confirms or rejects it. `what` says where the change came from.
pub(super) fn awaiting_second_agent(row: &AccountRow, what: &str) -> casework::Opening {
    casework::Opening {
        kind: pb::TaskKind::PayoutAccountAwaitingSecondAgent,
        subject: casework::subject::payout_account_change(&row.id),
        dossier_number: row.dossier_number.clone(),
        listed_from: casework::today(),
        due_on: casework::in_days(3),
        summary: format!(
            "{what} for dossier {} awaits a second agent: check the evidence and confirm \
             (ConfirmPayoutAccountChange) or reject (RejectPayoutAccountChange) account {}",
            row.dossier_number, row.id
        ),
    }
}

/// The pending account `id` was decided by `action`.
fn decided(id: &str, action: &'static str) -> Vec<casework::Event> {
    casework::closings(
        pb::TaskKind::PayoutAccountAwaitingSecondAgent,
        [casework::subject::payout_account_change(id)],
        action,
    )
}

/// A pending account, decided by someone other than its requester.
async fn decidable(conn: &mut PgConnection, id: &str, actor: &str) -> ServiceResult<AccountRow> {
    let row = by_id(conn, id).await?;
    if row.status != PENDING {
        return Err(ServiceError::failed_precondition(
            "PAYOUT_ACCOUNT_NOT_PENDING",
            "the payout account is not awaiting confirmation",
        ));
    }
    if row.requested_by == actor {
        return Err(ServiceError::permission_denied(
            "SEPARATION_OF_DUTIES",
            "the agent who requested the account may not decide on it",
        ));
    }
    Ok(row)
}

/// ListPayoutAccounts, parsed.
struct ListCommand {
    dossier: String,
    page: wire::Page,
}

impl TryFrom<&pb::ListPayoutAccountsRequest> for ListCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPayoutAccountsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier = v.take_all(required("dossier_number", &req.dossier_number));
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| {
            Some(ListCommand {
                dossier: dossier?.to_owned(),
                page: page?,
            })
        })
    }
}

#[instrument(skip_all, fields(method = "ListPayoutAccounts"))]
pub async fn list(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListPayoutAccountsRequest,
) -> ServiceResult<pb::ListPayoutAccountsResponse> {
    let pool = &api.pool;
    let ListCommand { dossier, page } = ListCommand::try_from(&req)?;
    let sql = format!(
        "SELECT {COLUMNS}, seq FROM payout_accounts WHERE dossier_number = $1 AND seq < $2 \
         ORDER BY seq DESC LIMIT $3"
    );
    let rows: Vec<(AccountRow, i64)> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&dossier)
        // No cursor: from the newest (the listing runs down the keys).
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.size)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            use sqlx::{FromRow, Row};
            Ok((AccountRow::from_row(r)?, r.try_get("seq")?))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(pb::ListPayoutAccountsResponse {
        page: Some(wire::page_to_pb(
            &page,
            rows.len(),
            rows.last().map(|r| r.1),
        )),
        payout_accounts: rows.iter().map(|r| r.0.to_pb()).collect(),
    })
}

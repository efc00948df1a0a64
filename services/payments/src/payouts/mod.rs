//! Payouts to creditors: payout accounts (confirmed by a second agent), pain.001 batches of
//! pending ledger transfers payable -> paid-out, bank confirmations and returns.

pub mod accounts;
mod batch;
mod new_account;
mod refund;
mod rows;
mod settle;
mod store;

pub use batch::{create_batch, get_batch};
pub(crate) use new_account::propose_from_intake;
pub(crate) use refund::{Sender, pay_back};
pub use rows::list_payouts;
pub(crate) use settle::{PayoutBy, PayoutReturn, return_payout};
pub use settle::{confirm, record_return};

use chrono::{DateTime, Utc};
use secal_domain::Iban;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, idempotency, wire};
use sqlx::PgConnection;
use tonic_prost::prost::Message;

/// The service's own account the payouts are paid from. Dev defaults; production sets
/// `SECAL_PAYOUT_DEBTOR_NAME`, `SECAL_PAYOUT_DEBTOR_IBAN` and `SECAL_PAYOUT_DEBTOR_BIC`.
pub(crate) fn debtor_setting(var: &str, dev_default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| dev_default.to_owned())
}

/// The service's own bank account (`SECAL_PAYOUT_DEBTOR_IBAN`; dev default the account of
/// the dev stack and the test statements): the pain.001 debtor account, the only account
/// whose camt.053 statements are imported, and never a creditor's payout account.
pub(crate) fn own_iban() -> ServiceResult<Iban> {
    debtor_setting("SECAL_PAYOUT_DEBTOR_IBAN", "BE68539007547034")
        .parse()
        .map_err(|_| ServiceError::internal(std::io::Error::other("bad SECAL_PAYOUT_DEBTOR_IBAN")))
}

pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

pub(crate) fn audit(actor: &str, at: DateTime<Utc>) -> pb::AuditStamp {
    pb::AuditStamp {
        actor: actor.to_owned(),
        at: wire::timestamp(at),
        via: String::new(),
    }
}

/// Does `work` once per idempotency key, in the caller's transaction; a retry replays the
/// stored answer.
pub(crate) async fn run_once<Req: Message, Resp: Message + Default>(
    conn: &mut PgConnection,
    caller: &Caller,
    method: &str,
    key: &str,
    req: &Req,
    work: impl AsyncFnOnce(&mut PgConnection) -> ServiceResult<Resp>,
) -> ServiceResult<Resp> {
    if let idempotency::Claim::Replay(r) =
        idempotency::claim(conn, caller, method, key, req).await?
    {
        return Ok(r);
    }
    let resp = work(conn).await?;
    idempotency::complete(conn, method, key, &resp).await?;
    Ok(resp)
}

//! Idempotency by caller-supplied key, inside the transaction that does the work.
//!
//! Each service's first migration creates `idempotency_keys` in its schema. `claim` inserts
//! the key before the work; a concurrent retry blocks on the primary key until the first
//! attempt commits (then replays its answer) or rolls back (then does the work itself). A
//! key reused for a different request is refused, not silently replayed.
//!
//! A key is the caller's own: the request's digest covers who sent it (the authenticated
//! principal and the agent acted for), so another caller presenting the same key is refused
//! as a reuse and never receives the first caller's answer, which may hold personal data.
//! The key stays unique per method (one row, no migration); a retry must come from the
//! same caller, as a retry does.

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::auth::Caller;
use crate::error::{ServiceError, ServiceResult};

pub const MAX_KEY_LEN: usize = 128;

/// Checks the key's form; `field` names it in the error.
pub fn validate_key(
    key: Option<&secal_proto::v1::IdempotencyKey>,
    field: &str,
) -> ServiceResult<String> {
    let value = key.map(|k| k.value.trim()).unwrap_or_default();
    if value.is_empty() {
        return Err(ServiceError::invalid_field(
            field,
            "an idempotency key is required",
        ));
    }
    if value.len() > MAX_KEY_LEN || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ServiceError::invalid_field(
            field,
            format!("must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        ));
    }
    Ok(value.to_owned())
}

/// The outcome of claiming a key.
#[derive(Debug)]
pub enum Claim<R> {
    /// First time: do the work, then `complete`.
    New,
    /// Already done: return this response.
    Replay(R),
}

/// The digest of who asked what: how many principals, each as kind and id, length-prefixed
/// so that no two callers' identities can run together, then the request's bytes.
fn digest<M: Message>(caller: &Caller, request: &M) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update([1 + u8::from(caller.on_behalf_of.is_some())]);
    for principal in std::iter::once(&caller.principal).chain(&caller.on_behalf_of) {
        let identity = format!("{:?}:{}", principal.kind, principal.id);
        hash.update((identity.len() as u64).to_be_bytes());
        hash.update(identity.as_bytes());
    }
    hash.update(request.encode_to_vec());
    hash.finalize().to_vec()
}

/// `request` should be the request with its idempotency key, as received; `caller` the
/// verified caller of the RPC.
pub async fn claim<Req: Message, Resp: Message + Default>(
    conn: &mut PgConnection,
    caller: &Caller,
    method: &str,
    key: &str,
    request: &Req,
) -> ServiceResult<Claim<Resp>> {
    let request_digest = digest(caller, request);
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (method, key, request_digest) VALUES ($1, $2, $3)
         ON CONFLICT (method, key) DO NOTHING",
    )
    .bind(method)
    .bind(key)
    .bind(&request_digest)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let (stored_digest, response): (Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT request_digest, response FROM idempotency_keys WHERE method = $1 AND key = $2",
    )
    .bind(method)
    .bind(key)
    .fetch_one(&mut *conn)
    .await?;
    if stored_digest != request_digest {
        return Err(ServiceError::failed_precondition(
            "IDEMPOTENCY_KEY_REUSED",
            "this idempotency key was used for a different request or by another caller",
        ));
    }
    let bytes = response.ok_or_else(|| {
        ServiceError::internal(std::io::Error::other(
            "idempotency key committed without response",
        ))
    })?;
    let resp = Resp::decode(bytes.as_slice()).map_err(ServiceError::internal)?;
    Ok(Claim::Replay(resp))
}

/// Stores the response with the key, in the same transaction as the work.
pub async fn complete<Resp: Message>(
    conn: &mut PgConnection,
    method: &str,
    key: &str,
    response: &Resp,
) -> ServiceResult<()> {
    sqlx::query("UPDATE idempotency_keys SET response = $3 WHERE method = $1 AND key = $2")
        .bind(method)
        .bind(key)
        .bind(response.encode_to_vec())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

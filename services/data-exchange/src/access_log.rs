//! The access log: hash-chained, append-only. Reading it is itself an entry.

use chrono::{DateTime, Utc};
use secal_proto::v1::{
    self as pb, AccessOutcome, LookupPurpose, data_exchange_service_server::DataExchangeService,
};
use secal_runtime::{Caller, ServiceResult, wire};
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};

use sha2_chain::{GENESIS, chain_hash};

pub struct DataExchangeApi {
    pool: PgPool,
}

impl DataExchangeApi {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// The fields an entry's hash covers, in a fixed order.
pub struct NewEntry<'a> {
    pub at: DateTime<Utc>,
    pub agent_id: &'a str,
    pub via_system: Option<&'a str>,
    pub subject_masked: &'a str,
    pub purpose: &'a str,
    pub dossier_number: Option<&'a str>,
    pub outcome: &'a str,
    pub refusal_rule: Option<&'a str>,
    pub result_digest: Option<&'a [u8]>,
}

mod sha2_chain {
    use sha2::{Digest, Sha256};

    pub const GENESIS: [u8; 32] = [0; 32];

    /// Length-prefixed fields, so that no two different entries hash the same bytes.
    pub fn chain_hash(prev: &[u8], sequence: i64, fields: &[&[u8]]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(sequence.to_be_bytes());
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f);
        }
        h.finalize().to_vec()
    }
}

/// Appends one entry. The table lock serialises writers so that the chain has no forks.
pub async fn append(conn: &mut PgConnection, e: &NewEntry<'_>) -> ServiceResult<i64> {
    sqlx::query("LOCK TABLE access_log IN EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    let last: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT sequence, entry_hash FROM access_log ORDER BY sequence DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (sequence, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_vec()),
    };
    let at = wire::timestamp(e.at);
    let hash = chain_hash(
        &prev,
        sequence,
        &[
            at.as_bytes(),
            e.agent_id.as_bytes(),
            e.via_system.unwrap_or_default().as_bytes(),
            e.subject_masked.as_bytes(),
            e.purpose.as_bytes(),
            e.dossier_number.unwrap_or_default().as_bytes(),
            e.outcome.as_bytes(),
            e.refusal_rule.unwrap_or_default().as_bytes(),
            e.result_digest.unwrap_or_default(),
        ],
    );
    sqlx::query(
        "INSERT INTO access_log (sequence, at, agent_id, via_system, subject_masked, purpose,
                                 dossier_number, outcome, refusal_rule, result_digest,
                                 prev_hash, entry_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(sequence)
    .bind(e.at)
    .bind(e.agent_id)
    .bind(e.via_system)
    .bind(e.subject_masked)
    .bind(e.purpose)
    .bind(e.dossier_number)
    .bind(e.outcome)
    .bind(e.refusal_rule)
    .bind(e.result_digest)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(sequence)
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    sequence: i64,
    at: DateTime<Utc>,
    agent_id: String,
    via_system: Option<String>,
    subject_masked: String,
    purpose: String,
    dossier_number: Option<String>,
    outcome: String,
    refusal_rule: Option<String>,
    result_digest: Option<Vec<u8>>,
    entry_hash: Vec<u8>,
}

fn purpose_from_db(p: &str) -> LookupPurpose {
    LookupPurpose::from_str_name(p).unwrap_or(LookupPurpose::Unspecified)
}

impl DataExchangeApi {
    #[tracing::instrument(skip_all)]
    async fn list_entries(
        &self,
        caller: Caller,
        req: pb::ListAccessLogEntriesRequest,
    ) -> ServiceResult<pb::ListAccessLogEntriesResponse> {
        let page = wire::page_from_pb("page", req.page.as_ref())?;
        let mut tx = self.pool.begin().await?;
        // The read is logged before it happens, in the same transaction.
        append(
            &mut tx,
            &NewEntry {
                at: Utc::now(),
                agent_id: &caller.actor().id,
                via_system: caller.via(),
                subject_masked: "-",
                purpose: LookupPurpose::Audit.as_str_name(),
                dossier_number: None,
                outcome: "granted",
                refusal_rule: None,
                result_digest: None,
            },
        )
        .await?;
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT sequence, at, agent_id, via_system, subject_masked, purpose, dossier_number,
                    outcome, refusal_rule, result_digest, entry_hash
             FROM access_log
             WHERE ($1::bigint IS NULL OR sequence < $1)
             ORDER BY sequence DESC
             LIMIT $2",
        )
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let next = wire::page_to_pb(&page, rows.len(), rows.last().map(|r| r.sequence));
        Ok(pb::ListAccessLogEntriesResponse {
            entries: rows
                .into_iter()
                .map(|r| pb::AccessLogEntry {
                    sequence: r.sequence,
                    at: wire::timestamp(r.at),
                    agent_id: r.agent_id,
                    via_system: r.via_system.unwrap_or_default(),
                    subject_masked: r.subject_masked,
                    purpose: purpose_from_db(&r.purpose) as i32,
                    dossier_number: r.dossier_number.unwrap_or_default(),
                    outcome: match r.outcome.as_str() {
                        "granted" => AccessOutcome::Granted,
                        _ => AccessOutcome::Refused,
                    } as i32,
                    refusal_rule: r.refusal_rule.unwrap_or_default(),
                    result_digest: r.result_digest.map(hex::encode).unwrap_or_default(),
                    entry_hash: hex::encode(r.entry_hash),
                    ..Default::default()
                })
                .collect(),
            page: Some(next),
        })
    }
}

#[tonic::async_trait]
impl DataExchangeService for DataExchangeApi {
    async fn list_access_log_entries(
        &self,
        request: Request<pb::ListAccessLogEntriesRequest>,
    ) -> Result<Response<pb::ListAccessLogEntriesResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.list_entries(caller, request.into_inner()).await?,
        ))
    }
}

//! Verification of the chain and its checkpoints, from a signed starting point.

use std::collections::HashMap;

use secal_proto::v1::{self as pb, ChainFailureKind};
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgConnection;

use super::{AccessLog, CHECKPOINT_COLUMNS, COLUMNS, Checkpoint, Entry, GENESIS, latest_anchor};
use crate::keys::verify_signature;

const BATCH: i64 = 1000;

#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub intact: bool,
    pub entries_checked: i64,
    pub checkpoints_checked: i32,
    pub first_bad_sequence: i64,
    pub failure: Option<ChainFailureKind>,
    pub detail: String,
    pub from: i64,
    pub to: i64,
    pub anchor: Option<Checkpoint>,
}

impl Verification {
    fn fail(mut self, seq: i64, kind: ChainFailureKind, detail: String) -> Self {
        self.intact = false;
        self.first_bad_sequence = seq;
        self.failure = Some(kind);
        self.detail = detail;
        self
    }
}

pub(crate) async fn signing_keys(
    conn: &mut PgConnection,
) -> ServiceResult<HashMap<String, Vec<u8>>> {
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT key_id, public_key FROM signing_keys")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().collect())
}

fn signature_ok(keys: &HashMap<String, Vec<u8>>, cp: &Checkpoint) -> bool {
    let statement = super::checkpoint_statement(
        cp.sequence,
        &cp.entry_hash,
        cp.entry_count,
        cp.at,
        cp.purge_anchor,
    );
    statement == cp.signed_statement
        && keys
            .get(&cp.key_id)
            .is_some_and(|pk| verify_signature(pk, statement.as_bytes(), &cp.signature))
}

impl AccessLog {
    #[tracing::instrument(skip_all, fields(from, to, intact))]
    pub async fn verify(&self, from: i64, to: i64) -> ServiceResult<Verification> {
        if from < 0 || to < 0 || (to > 0 && to < from) {
            return Err(ServiceError::invalid_field(
                "to_sequence",
                "the range must be 0 or 1 <= from_sequence <= to_sequence",
            ));
        }
        let mut conn = self.pool.acquire().await?;
        let keys = signing_keys(&mut conn).await?;
        let purge_anchor = latest_anchor(&mut conn).await?;
        let floor = purge_anchor.as_ref().map_or(0, |a| a.sequence);
        // Start from the signed point nearest below `from`: the purge anchor, a checkpoint,
        // or the genesis.
        let start: Option<Checkpoint> = if from > floor + 1 {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
                  WHERE sequence < $1 AND sequence >= $2 ORDER BY sequence DESC, id DESC LIMIT 1"
            )))
            .bind(from)
            .bind(floor)
            .fetch_optional(&mut *conn)
            .await?
            .or(purge_anchor)
        } else {
            purge_anchor
        };
        let last: Option<i64> = sqlx::query_scalar("SELECT max(sequence) FROM access_log")
            .fetch_one(&mut *conn)
            .await?;
        let (mut expected, mut prev) = match &start {
            Some(cp) => (cp.sequence + 1, cp.entry_hash.clone()),
            None => (1, GENESIS.to_vec()),
        };
        let to = if to == 0 { last.unwrap_or(0) } else { to };
        let mut v = Verification {
            intact: true,
            from: expected,
            to,
            anchor: start.clone(),
            ..Default::default()
        };
        if let Some(cp) = &start {
            v.checkpoints_checked += 1;
            if !signature_ok(&keys, cp) {
                return Ok(v.fail(
                    cp.sequence,
                    ChainFailureKind::BadCheckpointSignature,
                    "the starting checkpoint's signature does not verify".into(),
                ));
            }
        }
        let checkpoints: Vec<Checkpoint> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
              WHERE sequence >= $1 AND sequence <= $2 AND NOT purge_anchor ORDER BY sequence"
        )))
        .bind(expected)
        .bind(to.max(expected))
        .fetch_all(&mut *conn)
        .await?;
        let by_seq: HashMap<i64, &Checkpoint> =
            checkpoints.iter().map(|c| (c.sequence, c)).collect();
        while expected <= to {
            let rows: Vec<Entry> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM access_log WHERE sequence >= $1 AND sequence <= $2
                  ORDER BY sequence LIMIT $3"
            )))
            .bind(expected)
            .bind(to)
            .bind(BATCH)
            .fetch_all(&mut *conn)
            .await?;
            if rows.is_empty() {
                return Ok(v.fail(
                    expected,
                    ChainFailureKind::SequenceGap,
                    format!("entries {expected} to {to} are missing"),
                ));
            }
            for row in &rows {
                if row.sequence != expected {
                    return Ok(v.fail(
                        expected,
                        ChainFailureKind::SequenceGap,
                        format!("entry {expected} is missing (next is {})", row.sequence),
                    ));
                }
                if row.compute_hash(&row.prev_hash) != row.entry_hash {
                    return Ok(v.fail(
                        row.sequence,
                        ChainFailureKind::HashMismatch,
                        "the entry's content does not give its hash (changed entry)".into(),
                    ));
                }
                if row.prev_hash != prev {
                    return Ok(v.fail(
                        row.sequence,
                        ChainFailureKind::BrokenLink,
                        "previous_hash is not the hash of the entry before".into(),
                    ));
                }
                if let Some(cp) = by_seq.get(&row.sequence) {
                    v.checkpoints_checked += 1;
                    if !signature_ok(&keys, cp) {
                        return Ok(v.fail(
                            row.sequence,
                            ChainFailureKind::BadCheckpointSignature,
                            "the checkpoint's signature does not verify".into(),
                        ));
                    }
                    if cp.entry_hash != row.entry_hash {
                        return Ok(v.fail(
                            row.sequence,
                            ChainFailureKind::CheckpointMismatch,
                            "the signed checkpoint names another head for this entry".into(),
                        ));
                    }
                }
                v.entries_checked += 1;
                prev = row.entry_hash.clone();
                expected += 1;
            }
        }
        // A checkpoint beyond the last entry means the tail was cut off.
        let beyond: Option<i64> = sqlx::query_scalar(
            "SELECT min(sequence) FROM access_log_checkpoints WHERE sequence > $1 AND NOT purge_anchor",
        )
        .bind(last.unwrap_or(floor))
        .fetch_one(&mut *conn)
        .await?;
        if let (Some(seq), true) = (beyond, to == last.unwrap_or(0)) {
            return Ok(v.fail(
                last.unwrap_or(floor) + 1,
                ChainFailureKind::SequenceGap,
                format!("a checkpoint covers entry {seq}, which is missing"),
            ));
        }
        tracing::Span::current().record("intact", v.intact);
        Ok(v)
    }
}

pub fn checkpoint_to_pb(c: &Checkpoint) -> pb::AccessLogCheckpoint {
    pb::AccessLogCheckpoint {
        sequence: c.sequence,
        entry_hash: hex::encode(&c.entry_hash),
        entry_count: c.entry_count,
        at: secal_runtime::wire::timestamp(c.at),
        signed_statement: c.signed_statement.clone(),
        signature: c.signature.clone(),
        key_id: c.key_id.clone(),
        purge_anchor: c.purge_anchor,
    }
}

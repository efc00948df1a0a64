//! Verification of the chain and its checkpoints, from a signed starting point.

use std::collections::HashMap;

use secal_proto::v1::{self as pb, ChainFailureKind};
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgConnection;

use super::{
    AccessLog, CHECKPOINT_COLUMNS, COLUMNS, Checkpoint, Entry, GENESIS,
    head::{HEAD_COLUMNS, Head, head_statement},
    latest_anchor,
};
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

/// Why a walk along the chain stopped before its end.
enum Stop {
    /// The chain is broken here: that is the answer, not an error.
    Broken {
        sequence: i64,
        kind: ChainFailureKind,
        detail: String,
    },
    /// The walk could not be made.
    Failed(ServiceError),
}

impl Stop {
    fn broken(sequence: i64, kind: ChainFailureKind, detail: impl Into<String>) -> Self {
        Self::Broken {
            sequence,
            kind,
            detail: detail.into(),
        }
    }
}

impl From<ServiceError> for Stop {
    fn from(e: ServiceError) -> Self {
        Self::Failed(e)
    }
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Self::Failed(e.into())
    }
}

impl AccessLog {
    #[tracing::instrument(skip_all, fields(from, to, intact))]
    pub async fn verify(&self, from: i64, to: i64) -> ServiceResult<Verification> {
        check_range(from, to)?;
        let mut conn = self.pool.acquire().await?;
        let keys = signing_keys(&mut conn).await?;
        let purge_anchor = latest_anchor(&mut conn).await?;
        let floor = purge_anchor.as_ref().map_or(0, |a| a.sequence);
        let start = starting_point(&mut conn, from, floor, purge_anchor).await?;
        // The newest sequence and the signed head are read in one statement, so that an
        // append between two reads cannot look like a cut-off tail.
        let (last, head) = end_of_log(&mut conn).await?;
        let to = if to == 0 { last.unwrap_or(0) } else { to };
        let mut v = Verification {
            intact: true,
            from: start.as_ref().map_or(1, |cp| cp.sequence + 1),
            to,
            anchor: start.clone(),
            ..Default::default()
        };
        let reaches_end = to == last.unwrap_or(0);
        let walked = match walk(&mut conn, &keys, &mut v, start.as_ref(), to).await {
            Ok(end_hash) => match tail_cut_off(&mut conn, last, floor, to).await {
                Ok(()) if reaches_end => {
                    check_head(&keys, head.as_ref(), last.unwrap_or(floor), &end_hash)
                }
                other => other,
            },
            Err(stop) => Err(stop),
        };
        match walked {
            Ok(()) => {}
            Err(Stop::Broken {
                sequence,
                kind,
                detail,
            }) => return Ok(v.fail(sequence, kind, detail)),
            Err(Stop::Failed(e)) => return Err(e),
        }
        tracing::Span::current().record("intact", v.intact);
        Ok(v)
    }
}

fn check_range(from: i64, to: i64) -> ServiceResult<()> {
    if from < 0 || to < 0 || (to > 0 && to < from) {
        return Err(ServiceError::invalid_field(
            "to_sequence",
            "the range must be 0 or 1 <= from_sequence <= to_sequence",
        ));
    }
    Ok(())
}

/// The signed point nearest below `from`: a checkpoint above the purge anchor, the purge
/// anchor, or none (the genesis). Nothing below it needs reading, since its signature vouches
/// for the head it names.
async fn starting_point(
    conn: &mut PgConnection,
    from: i64,
    floor: i64,
    purge_anchor: Option<Checkpoint>,
) -> ServiceResult<Option<Checkpoint>> {
    if from <= floor + 1 {
        return Ok(purge_anchor);
    }
    let checkpoint: Option<Checkpoint> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
          WHERE sequence < $1 AND sequence >= $2 ORDER BY sequence DESC, id DESC LIMIT 1"
    )))
    .bind(from)
    .bind(floor)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(checkpoint.or(purge_anchor))
}

/// The newest entry's sequence (none when the log is empty) and the signed head, as of one
/// snapshot.
async fn end_of_log(conn: &mut PgConnection) -> ServiceResult<(Option<i64>, Option<Head>)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        last: Option<i64>,
        sequence: Option<i64>,
        entry_hash: Option<Vec<u8>>,
        at: Option<chrono::DateTime<chrono::Utc>>,
        signed_statement: Option<String>,
        signature: Option<Vec<u8>>,
        key_id: Option<String>,
    }
    let r: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT (SELECT max(sequence) FROM access_log) AS last, {HEAD_COLUMNS}
           FROM (SELECT 1) AS one LEFT JOIN access_log_head ON true"
    )))
    .fetch_one(&mut *conn)
    .await?;
    let head = match (
        r.sequence,
        r.entry_hash,
        r.at,
        r.signed_statement,
        r.signature,
    ) {
        (Some(sequence), Some(entry_hash), Some(at), Some(signed_statement), Some(signature)) => {
            Some(Head {
                sequence,
                entry_hash,
                at,
                signed_statement,
                signature,
                key_id: r.key_id.unwrap_or_default(),
            })
        }
        _ => None,
    };
    Ok((r.last, head))
}

/// The chain's end (the newest entry, or the purge anchor when none is left) against the
/// signed head written with every append: a head beyond the end means the newest entries were
/// removed; a head short of it, entries added behind the service's back.
fn check_head(
    keys: &HashMap<String, Vec<u8>>,
    head: Option<&Head>,
    end: i64,
    end_hash: &[u8],
) -> Result<(), Stop> {
    let Some(h) = head else {
        if end == 0 {
            return Ok(());
        }
        return Err(Stop::broken(
            end,
            ChainFailureKind::BadCheckpointSignature,
            "the log has entries but no signed head",
        ));
    };
    let statement = head_statement(h.sequence, &h.entry_hash, h.at);
    let signed = statement == h.signed_statement
        && keys
            .get(&h.key_id)
            .is_some_and(|pk| verify_signature(pk, statement.as_bytes(), &h.signature));
    if !signed {
        return Err(Stop::broken(
            h.sequence,
            ChainFailureKind::BadCheckpointSignature,
            "the signed head's signature does not verify",
        ));
    }
    if h.sequence > end {
        return Err(Stop::broken(
            end + 1,
            ChainFailureKind::SequenceGap,
            format!(
                "entries {} to {} are missing: the signed head names entry {} but the chain ends at {end}",
                end + 1,
                h.sequence,
                h.sequence
            ),
        ));
    }
    if h.sequence < end {
        return Err(Stop::broken(
            h.sequence + 1,
            ChainFailureKind::CheckpointMismatch,
            format!(
                "entries after {} are not covered by the signed head",
                h.sequence
            ),
        ));
    }
    if h.entry_hash != end_hash {
        return Err(Stop::broken(
            end,
            ChainFailureKind::CheckpointMismatch,
            "the signed head names another hash for the last entry",
        ));
    }
    Ok(())
}

/// Walks the entries after the starting point up to `to`, in batches so that a long log is
/// never held in memory at once. Answers the hash of the last entry walked (the starting
/// point's when none was).
async fn walk(
    conn: &mut PgConnection,
    keys: &HashMap<String, Vec<u8>>,
    v: &mut Verification,
    start: Option<&Checkpoint>,
    to: i64,
) -> Result<Vec<u8>, Stop> {
    let (mut expected, mut prev) = match start {
        Some(cp) => (cp.sequence + 1, cp.entry_hash.clone()),
        None => (1, GENESIS.to_vec()),
    };
    if let Some(cp) = start {
        v.checkpoints_checked += 1;
        if !signature_ok(keys, cp) {
            return Err(Stop::broken(
                cp.sequence,
                ChainFailureKind::BadCheckpointSignature,
                "the starting checkpoint's signature does not verify",
            ));
        }
    }
    let checkpoints = checkpoints_between(conn, expected, to.max(expected)).await?;
    let by_seq: HashMap<i64, &Checkpoint> = checkpoints.iter().map(|c| (c.sequence, c)).collect();
    while expected <= to {
        let rows = entries_from(conn, expected, to).await?;
        if rows.is_empty() {
            return Err(Stop::broken(
                expected,
                ChainFailureKind::SequenceGap,
                format!("entries {expected} to {to} are missing"),
            ));
        }
        for row in &rows {
            check_entry(row, expected, &prev)?;
            if let Some(cp) = by_seq.get(&row.sequence) {
                v.checkpoints_checked += 1;
                check_checkpoint(keys, cp, row)?;
            }
            v.entries_checked += 1;
            prev = row.entry_hash.clone();
            expected += 1;
        }
    }
    Ok(prev)
}

/// The checkpoints met on the way (purge anchors are starting points, not met).
async fn checkpoints_between(
    conn: &mut PgConnection,
    from: i64,
    to: i64,
) -> ServiceResult<Vec<Checkpoint>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
          WHERE sequence >= $1 AND sequence <= $2 AND NOT purge_anchor ORDER BY sequence"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?)
}

/// The next batch of entries from `from` on.
async fn entries_from(conn: &mut PgConnection, from: i64, to: i64) -> ServiceResult<Vec<Entry>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_log WHERE sequence >= $1 AND sequence <= $2
          ORDER BY sequence LIMIT $3"
    )))
    .bind(from)
    .bind(to)
    .bind(BATCH)
    .fetch_all(&mut *conn)
    .await?)
}

/// An entry in its place, unchanged, and linked to the one before. The order of the checks
/// decides which failure is reported when several apply.
fn check_entry(row: &Entry, expected: i64, prev: &[u8]) -> Result<(), Stop> {
    if row.sequence != expected {
        return Err(Stop::broken(
            expected,
            ChainFailureKind::SequenceGap,
            format!("entry {expected} is missing (next is {})", row.sequence),
        ));
    }
    if row.compute_hash(&row.prev_hash) != row.entry_hash {
        return Err(Stop::broken(
            row.sequence,
            ChainFailureKind::HashMismatch,
            "the entry's content does not give its hash (changed entry)",
        ));
    }
    if row.prev_hash != prev {
        return Err(Stop::broken(
            row.sequence,
            ChainFailureKind::BrokenLink,
            "previous_hash is not the hash of the entry before",
        ));
    }
    Ok(())
}

/// A checkpoint at an entry: signed by a known key, and naming that entry as the head.
fn check_checkpoint(
    keys: &HashMap<String, Vec<u8>>,
    cp: &Checkpoint,
    row: &Entry,
) -> Result<(), Stop> {
    if !signature_ok(keys, cp) {
        return Err(Stop::broken(
            row.sequence,
            ChainFailureKind::BadCheckpointSignature,
            "the checkpoint's signature does not verify",
        ));
    }
    if cp.entry_hash != row.entry_hash {
        return Err(Stop::broken(
            row.sequence,
            ChainFailureKind::CheckpointMismatch,
            "the signed checkpoint names another head for this entry",
        ));
    }
    Ok(())
}

/// A checkpoint beyond the last entry means the tail was cut off; it counts only when the
/// range asked reaches the end of the log.
async fn tail_cut_off(
    conn: &mut PgConnection,
    last: Option<i64>,
    floor: i64,
    to: i64,
) -> Result<(), Stop> {
    let beyond: Option<i64> = sqlx::query_scalar(
        "SELECT min(sequence) FROM access_log_checkpoints WHERE sequence > $1 AND NOT purge_anchor",
    )
    .bind(last.unwrap_or(floor))
    .fetch_one(&mut *conn)
    .await?;
    if let (Some(seq), true) = (beyond, to == last.unwrap_or(0)) {
        return Err(Stop::broken(
            last.unwrap_or(floor) + 1,
            ChainFailureKind::SequenceGap,
            format!("a checkpoint covers entry {seq}, which is missing"),
        ));
    }
    Ok(())
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

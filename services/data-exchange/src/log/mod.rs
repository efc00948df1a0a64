//! The access log: append-only, hash-chained, with signed checkpoints.
//!
//! entry_hash = SHA-256(previous_hash || for each field in `hashed_fields`: u64 length || bytes).
//! The same function is used to append, to verify, and (documented in the export file) to
//! check an export offline.

pub mod export;
pub mod head;
pub mod purge;
pub mod read;
pub mod verify;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use secal_runtime::ServiceResult;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

pub use export::{ExportError, verify_export};

use crate::keys::Keys;

pub const GENESIS: [u8; 32] = [0; 32];

/// One entry as stored. `sequence`, `prev_hash` and `entry_hash` are set by `append`.
#[derive(Debug, Clone, Default, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub sequence: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub agent_id: String,
    pub via_system: Option<String>,
    pub subject_masked: String,
    #[serde(with = "hex_opt")]
    pub subject_digest: Option<Vec<u8>>,
    pub purpose: String,
    pub dossier_number: Option<String>,
    pub sources: Vec<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub situation_on: Option<NaiveDate>,
    pub last_known: bool,
    pub outcome: String,
    pub refusal_rule: Option<String>,
    #[serde(with = "hex_opt")]
    pub result_digest: Option<Vec<u8>>,
    pub source_outcomes: Vec<String>,
    pub flagged_unusual_volume: bool,
    pub justification: String,
    pub trace_id: String,
    #[serde(with = "hex_vec")]
    pub prev_hash: Vec<u8>,
    #[serde(with = "hex_vec")]
    pub entry_hash: Vec<u8>,
}

pub const COLUMNS: &str = "sequence, at, action, agent_id, via_system, subject_masked, \
     subject_digest, purpose, dossier_number, sources, period_from, period_to, situation_on, \
     last_known, outcome, refusal_rule, result_digest, source_outcomes, \
     flagged_unusual_volume, justification, trace_id, prev_hash, entry_hash";

mod hex_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.as_deref().map(hex::encode).unwrap_or_default())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(None);
        }
        hex::decode(s).map(Some).map_err(serde::de::Error::custom)
    }
}

mod hex_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        hex::decode(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl Entry {
    /// The fields the hash covers, in a fixed order, each as text.
    pub fn hashed_fields(&self) -> Vec<String> {
        vec![
            self.sequence.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.action.clone(),
            self.agent_id.clone(),
            self.via_system.clone().unwrap_or_default(),
            self.subject_masked.clone(),
            self.subject_digest
                .as_deref()
                .map(hex::encode)
                .unwrap_or_default(),
            self.purpose.clone(),
            self.dossier_number.clone().unwrap_or_default(),
            self.sources.join(","),
            opt_date(self.period_from),
            opt_date(self.period_to),
            opt_date(self.situation_on),
            self.last_known.to_string(),
            self.outcome.clone(),
            self.refusal_rule.clone().unwrap_or_default(),
            self.result_digest
                .as_deref()
                .map(hex::encode)
                .unwrap_or_default(),
            self.source_outcomes.join(","),
            self.flagged_unusual_volume.to_string(),
            self.justification.clone(),
            self.trace_id.clone(),
        ]
    }

    /// The hash this entry should have after `prev`.
    pub fn compute_hash(&self, prev: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(prev);
        for f in self.hashed_fields() {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        h.finalize().to_vec()
    }
}

/// A checkpoint's signed statement.
pub fn checkpoint_statement(
    sequence: i64,
    head: &[u8],
    count: i64,
    at: DateTime<Utc>,
    purge_anchor: bool,
) -> String {
    format!(
        "secal-access-log-checkpoint/v1 seq={sequence} head={} count={count} at={} anchor={purge_anchor}",
        hex::encode(head),
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub sequence: i64,
    #[serde(with = "hex_vec")]
    pub entry_hash: Vec<u8>,
    pub entry_count: i64,
    pub at: DateTime<Utc>,
    pub signed_statement: String,
    #[serde(with = "hex_vec")]
    pub signature: Vec<u8>,
    pub key_id: String,
    pub purge_anchor: bool,
}

pub const CHECKPOINT_COLUMNS: &str =
    "sequence, entry_hash, entry_count, at, signed_statement, signature, key_id, purge_anchor";

#[derive(Clone)]
pub struct AccessLog {
    pool: PgPool,
    keys: Keys,
    checkpoint_every: i64,
}

impl AccessLog {
    pub fn new(pool: PgPool, keys: Keys, checkpoint_every: i64) -> Self {
        Self {
            pool,
            keys,
            checkpoint_every: checkpoint_every.max(1),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Appends one entry in its own transaction.
    pub async fn append(&self, entry: Entry) -> ServiceResult<i64> {
        let mut tx = self.pool.begin().await?;
        let seq = self.append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Appends one entry. The table lock serialises writers so that the chain has no forks;
    /// the signed head moves to it in the same transaction, and every `checkpoint_every`
    /// entries a signed checkpoint is written with it.
    #[tracing::instrument(skip_all, fields(sequence))]
    pub async fn append_in(&self, conn: &mut PgConnection, mut e: Entry) -> ServiceResult<i64> {
        sqlx::query("LOCK TABLE access_log IN EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await?;
        let (sequence, prev) = self.next_link(&mut *conn).await?;
        e.sequence = sequence;
        e.entry_hash = e.compute_hash(&prev);
        e.prev_hash = prev;
        tracing::Span::current().record("sequence", sequence);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO access_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
        )))
        .bind(e.sequence)
        .bind(e.at)
        .bind(&e.action)
        .bind(&e.agent_id)
        .bind(&e.via_system)
        .bind(&e.subject_masked)
        .bind(&e.subject_digest)
        .bind(&e.purpose)
        .bind(&e.dossier_number)
        .bind(&e.sources)
        .bind(e.period_from)
        .bind(e.period_to)
        .bind(e.situation_on)
        .bind(e.last_known)
        .bind(&e.outcome)
        .bind(&e.refusal_rule)
        .bind(&e.result_digest)
        .bind(&e.source_outcomes)
        .bind(e.flagged_unusual_volume)
        .bind(&e.justification)
        .bind(&e.trace_id)
        .bind(&e.prev_hash)
        .bind(&e.entry_hash)
        .execute(&mut *conn)
        .await?;
        self.write_head(&mut *conn, sequence, &e.entry_hash, e.at)
            .await?;
        if sequence % self.checkpoint_every == 0 {
            self.checkpoint(&mut *conn, sequence, &e.entry_hash, e.at, false)
                .await?;
        }
        Ok(sequence)
    }

    /// The next entry's sequence and previous hash. They come from the signed head, not from
    /// the newest row: an entry deleted behind the service's back must leave a gap that
    /// verification finds, not have its number handed out again.
    async fn next_link(&self, conn: &mut PgConnection) -> ServiceResult<(i64, Vec<u8>)> {
        if let Some(h) = head::read_head(&mut *conn).await? {
            return Ok((h.sequence + 1, h.entry_hash));
        }
        // No head yet: a log from before heads were kept (its newest row is the head it
        // would have had), or the first entry ever.
        let last: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT sequence, entry_hash FROM access_log ORDER BY sequence DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await?;
        Ok(match last {
            Some((s, h)) => (s + 1, h),
            // Empty: the first entry ever, or everything purged (the anchor keeps the head).
            None => match latest_anchor(&mut *conn).await? {
                Some(a) => (a.sequence + 1, a.entry_hash),
                None => (1, GENESIS.to_vec()),
            },
        })
    }

    /// Signs and stores a checkpoint of the chain head at `sequence`.
    pub(crate) async fn checkpoint(
        &self,
        conn: &mut PgConnection,
        sequence: i64,
        head: &[u8],
        at: DateTime<Utc>,
        purge_anchor: bool,
    ) -> ServiceResult<Checkpoint> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM access_log WHERE sequence <= $1")
            .bind(sequence)
            .fetch_one(&mut *conn)
            .await?;
        let statement = checkpoint_statement(sequence, head, count, at, purge_anchor);
        let cp = Checkpoint {
            sequence,
            entry_hash: head.to_vec(),
            entry_count: count,
            at,
            signature: self.keys.sign(statement.as_bytes()),
            signed_statement: statement,
            key_id: self.keys.key_id().to_owned(),
            purge_anchor,
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO access_log_checkpoints ({CHECKPOINT_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(cp.sequence)
        .bind(&cp.entry_hash)
        .bind(cp.entry_count)
        .bind(cp.at)
        .bind(&cp.signed_statement)
        .bind(&cp.signature)
        .bind(&cp.key_id)
        .bind(cp.purge_anchor)
        .execute(&mut *conn)
        .await?;
        Ok(cp)
    }
}

/// The newest purge anchor: the head of everything purged so far.
pub(crate) async fn latest_anchor(conn: &mut PgConnection) -> ServiceResult<Option<Checkpoint>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
          WHERE purge_anchor ORDER BY sequence DESC, id DESC LIMIT 1"
    )))
    .fetch_optional(&mut *conn)
    .await?)
}

//! Signed exports for the oversight committee, checkable offline with the public key.

use chrono::{DateTime, NaiveDate, Utc};
use secal_runtime::{ErrorCode, ServiceError, ServiceResult};
use sha2::{Digest, Sha256};

use super::{AccessLog, CHECKPOINT_COLUMNS, COLUMNS, Checkpoint, Entry};
use crate::keys::verify_signature;

pub const FORMAT: &str = "secal-access-log-export/v1";
const MAX_ENTRIES: i64 = 20_000;

/// How the file's hashes are computed, written into the file for whoever checks it.
const HASH_RULE: &str = "entry_hash = SHA-256(previous_hash || for each of [sequence, at \
(RFC 3339, microseconds, Z), action, agent_id, via_system, subject_masked, subject_digest \
(hex), purpose, dossier_number, sources (comma-joined), period_from, period_to, \
situation_on, last_known, outcome, refusal_rule, result_digest (hex), source_outcomes \
(comma-joined), flagged_unusual_volume, justification, trace_id]: u64 big-endian byte \
length || UTF-8 bytes); the file's signature is Ed25519 over the file's bytes";

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExportFilters {
    pub subject_masked: Option<String>,
    #[serde(skip)]
    pub subject_digest: Option<Vec<u8>>,
    pub agent_id: Option<String>,
    pub dossier_number: Option<String>,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ExportFile {
    pub format: String,
    pub hash_rule: String,
    pub generated_at: DateTime<Utc>,
    pub request_reference: String,
    pub filters: ExportFilters,
    pub key_id: String,
    pub public_key: String,
    pub entries: Vec<Entry>,
    pub checkpoints: Vec<Checkpoint>,
}

pub struct Export {
    pub content: Vec<u8>,
    pub sha256: String,
    pub signature: Vec<u8>,
    pub entry_count: i64,
}

impl AccessLog {
    #[tracing::instrument(skip_all, fields(entries))]
    pub async fn export(
        &self,
        filters: ExportFilters,
        request_reference: &str,
        now: DateTime<Utc>,
    ) -> ServiceResult<Export> {
        let mut conn = self.pool.acquire().await?;
        let entries: Vec<Entry> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM access_log
              WHERE ($1::bytea IS NULL OR subject_digest = $1)
                AND ($2::text IS NULL OR agent_id = $2)
                AND ($3::text IS NULL OR dossier_number = $3)
                AND ($4::date IS NULL OR at >= $4::date)
                AND ($5::date IS NULL OR at < $5::date + 1)
              ORDER BY sequence LIMIT $6"
        )))
        .bind(&filters.subject_digest)
        .bind(&filters.agent_id)
        .bind(&filters.dossier_number)
        .bind(filters.from_date)
        .bind(filters.to_date)
        .bind(MAX_ENTRIES + 1)
        .fetch_all(&mut *conn)
        .await?;
        if entries.len() as i64 > MAX_ENTRIES {
            return Err(ServiceError::new(
                ErrorCode::ResourceExhausted,
                format!("more than {MAX_ENTRIES} entries: narrow the period"),
            ));
        }
        tracing::Span::current().record("entries", entries.len());
        let (lo, hi) = (
            entries.first().map_or(0, |e| e.sequence),
            entries.last().map_or(0, |e| e.sequence),
        );
        // The checkpoints within the entries' span and the first one after it.
        let checkpoints: Vec<Checkpoint> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
              WHERE sequence >= $1 AND (sequence <= $2 OR sequence = (
                  SELECT min(sequence) FROM access_log_checkpoints WHERE sequence > $2))
              ORDER BY sequence"
        )))
        .bind(lo)
        .bind(hi)
        .fetch_all(&mut *conn)
        .await?;
        let file = ExportFile {
            format: FORMAT.into(),
            hash_rule: HASH_RULE.into(),
            generated_at: now,
            request_reference: request_reference.into(),
            filters,
            key_id: self.keys.key_id().into(),
            public_key: hex::encode(self.keys.public_key()),
            entries,
            checkpoints,
        };
        let content = serde_json::to_vec_pretty(&file).map_err(ServiceError::internal)?;
        Ok(Export {
            sha256: hex::encode(Sha256::digest(&content)),
            signature: self.keys.sign(&content),
            entry_count: file.entries.len() as i64,
            content,
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportError {
    #[error("the file's signature does not verify")]
    BadSignature,
    #[error("not an export file: {0}")]
    Malformed(String),
    #[error("entry {0} does not give its hash")]
    BadEntry(i64),
    #[error("entries {0} and {1} are consecutive but not chained")]
    BrokenLink(i64, i64),
    #[error("checkpoint {0} does not verify or does not match its entry")]
    BadCheckpoint(i64),
}

/// Checks an export offline with the signing key's raw public key: the file's signature,
/// each entry's hash, the links between consecutive entries and the checkpoints' signatures.
/// Returns the number of entries.
pub fn verify_export(
    content: &[u8],
    signature: &[u8],
    public_key: &[u8],
) -> Result<usize, ExportError> {
    if !verify_signature(public_key, content, signature) {
        return Err(ExportError::BadSignature);
    }
    let file: ExportFile =
        serde_json::from_slice(content).map_err(|e| ExportError::Malformed(e.to_string()))?;
    if file.format != FORMAT {
        return Err(ExportError::Malformed(file.format));
    }
    for (i, e) in file.entries.iter().enumerate() {
        if e.compute_hash(&e.prev_hash) != e.entry_hash {
            return Err(ExportError::BadEntry(e.sequence));
        }
        if let Some(prev) = i.checked_sub(1).and_then(|p| file.entries.get(p))
            && prev.sequence + 1 == e.sequence
            && prev.entry_hash != e.prev_hash
        {
            return Err(ExportError::BrokenLink(prev.sequence, e.sequence));
        }
    }
    for cp in &file.checkpoints {
        let ok = verify_signature(public_key, cp.signed_statement.as_bytes(), &cp.signature)
            && file
                .entries
                .iter()
                .find(|e| e.sequence == cp.sequence)
                .is_none_or(|e| e.entry_hash == cp.entry_hash);
        if !ok {
            return Err(ExportError::BadCheckpoint(cp.sequence));
        }
    }
    Ok(file.entries.len())
}

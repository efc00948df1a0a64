//! The signed head: the newest entry's sequence and hash, signed and rewritten in the
//! transaction of every append. Periodic checkpoints vouch for the chain up to them; the head
//! vouches for the entries after the last one, so that cutting off the newest entries is
//! found, and it is where the next sequence number comes from, so that none is reused.

use chrono::{DateTime, SecondsFormat, Utc};
use secal_runtime::ServiceResult;
use sqlx::PgConnection;

use super::AccessLog;

/// The head's signed statement (distinct from a checkpoint's, so that one can never be
/// passed off as the other).
pub fn head_statement(sequence: i64, head: &[u8], at: DateTime<Utc>) -> String {
    format!(
        "secal-access-log-head/v1 seq={sequence} head={} at={}",
        hex::encode(head),
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Head {
    pub sequence: i64,
    pub entry_hash: Vec<u8>,
    pub at: DateTime<Utc>,
    pub signed_statement: String,
    pub signature: Vec<u8>,
    pub key_id: String,
}

pub const HEAD_COLUMNS: &str = "sequence, entry_hash, at, signed_statement, signature, key_id";

/// The current signed head; none before the first append.
pub(crate) async fn read_head(conn: &mut PgConnection) -> ServiceResult<Option<Head>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {HEAD_COLUMNS} FROM access_log_head"
    )))
    .fetch_optional(&mut *conn)
    .await?)
}

impl AccessLog {
    /// Signs and stores the head at `sequence`, in the appending transaction.
    pub(crate) async fn write_head(
        &self,
        conn: &mut PgConnection,
        sequence: i64,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> ServiceResult<()> {
        let statement = head_statement(sequence, hash, at);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO access_log_head ({HEAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (singleton) DO UPDATE SET sequence = EXCLUDED.sequence,
                 entry_hash = EXCLUDED.entry_hash, at = EXCLUDED.at,
                 signed_statement = EXCLUDED.signed_statement,
                 signature = EXCLUDED.signature, key_id = EXCLUDED.key_id"
        )))
        .bind(sequence)
        .bind(hash)
        .bind(at)
        .bind(&statement)
        .bind(self.keys.sign(statement.as_bytes()))
        .bind(self.keys.key_id())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

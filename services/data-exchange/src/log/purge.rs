//! The 10-year retention purge. Before the oldest entries go, a signed anchor states the
//! head of the purged prefix, so the first kept entry's link is still checked.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use secal_runtime::ServiceResult;
use sqlx::PgConnection;

use super::{AccessLog, Checkpoint};

#[derive(Debug, Clone, Default)]
pub struct Purged {
    pub count: i64,
    pub first_kept: i64,
    pub anchor: Option<Checkpoint>,
}

impl AccessLog {
    /// Purges the entries dated before `cutoff` (the caller has checked it is at least
    /// 10 years back), inside the caller's transaction.
    #[tracing::instrument(skip_all, fields(purged))]
    pub async fn purge_in(
        &self,
        conn: &mut PgConnection,
        cutoff: NaiveDate,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> ServiceResult<Purged> {
        sqlx::query("LOCK TABLE access_log IN EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await?;
        let cutoff_at = cutoff.and_time(NaiveTime::MIN).and_utc();
        // Only a prefix goes: up to the last entry before the first one on or after cutoff.
        let first_young: Option<i64> =
            sqlx::query_scalar("SELECT min(sequence) FROM access_log WHERE at >= $1")
                .bind(cutoff_at)
                .fetch_one(&mut *conn)
                .await?;
        let last: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT sequence, entry_hash FROM access_log
              WHERE at < $1 AND ($2::bigint IS NULL OR sequence < $2)
              ORDER BY sequence DESC LIMIT 1",
        )
        .bind(cutoff_at)
        .bind(first_young)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((last_seq, last_hash)) = last else {
            let first: Option<i64> = sqlx::query_scalar("SELECT min(sequence) FROM access_log")
                .fetch_one(&mut *conn)
                .await?;
            return Ok(Purged {
                first_kept: first.unwrap_or(0),
                ..Default::default()
            });
        };
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM access_log WHERE sequence <= $1")
            .bind(last_seq)
            .fetch_one(&mut *conn)
            .await?;
        tracing::Span::current().record("purged", count);
        if dry_run {
            return Ok(Purged {
                count,
                first_kept: last_seq + 1,
                anchor: None,
            });
        }
        let anchor = self
            .checkpoint(&mut *conn, last_seq, &last_hash, now, true)
            .await?;
        // The delete trigger lets rows go only before this date, in this transaction only.
        sqlx::query("SELECT set_config('secal.access_log_purge_before', $1, true)")
            .bind(cutoff_at.to_rfc3339())
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM access_log WHERE sequence <= $1")
            .bind(last_seq)
            .execute(&mut *conn)
            .await?;
        sqlx::query("SELECT set_config('secal.access_log_purge_before', '', true)")
            .execute(&mut *conn)
            .await?;
        Ok(Purged {
            count,
            first_kept: last_seq + 1,
            anchor: Some(anchor),
        })
    }
}

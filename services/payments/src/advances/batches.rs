//! The children of active dossiers, batch by batch, for one shard of the run.

use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgPool;
use tonic_prost::prost::Message;

use super::BATCH;
use super::children::{self, Child};

/// A share of the active dossiers, by a hash of the dossier number: shards are written in
/// parallel, each under its own lock, so a second start of the run meets the first shard by
/// shard and never writes a dossier the first is writing.
#[derive(Debug, Clone, Copy)]
pub struct Shard {
    pub index: i32,
    pub of: i32,
}

/// Active dossiers page by page (keyset on the dossier number).
async fn dossier_page(
    pool: &PgPool,
    shard: Shard,
    after: &str,
) -> ServiceResult<Vec<(String, Vec<u8>)>> {
    Ok(sqlx::query_as(
        "SELECT dossier_number, snapshot FROM dossier_states
         WHERE status = $1 AND dossier_number > $2
           AND ($3 = 1 OR (hashtext(dossier_number) & 2147483647) % $3 = $4)
         ORDER BY dossier_number LIMIT 1000",
    )
    .bind(pb::DossierStatus::Active as i16)
    .bind(after)
    .bind(shard.of)
    .bind(shard.index)
    .fetch_all(pool)
    .await?)
}

/// How many children the run considers: the counts stored with the dossiers' states, and
/// for states stored before there was a count, the count of their snapshots.
pub async fn children_total(pool: &PgPool) -> ServiceResult<i64> {
    let active = pb::DossierStatus::Active as i16;
    let stored: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(advance_children), 0)::bigint FROM dossier_states WHERE status = $1",
    )
    .bind(active)
    .fetch_one(pool)
    .await?;
    let mut uncounted = 0i64;
    let mut after = String::new();
    loop {
        let page: Vec<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT dossier_number, snapshot FROM dossier_states
             WHERE status = $1 AND advance_children IS NULL AND dossier_number > $2
             ORDER BY dossier_number LIMIT 1000",
        )
        .bind(active)
        .bind(&after)
        .fetch_all(pool)
        .await?;
        let Some((last, _)) = page.last() else {
            return Ok(stored + uncounted);
        };
        after = last.clone();
        for (_, snapshot) in &page {
            let s =
                pb::DossierSnapshot::decode(snapshot.as_slice()).map_err(ServiceError::internal)?;
            uncounted += children::count_of(&s) as i64;
        }
    }
}

/// The children of active dossiers, batch by batch.
pub struct Batches {
    pool: PgPool,
    shard: Shard,
    month: YearMonth,
    after: String,
    pending: Vec<Child>,
    exhausted: bool,
}

impl Batches {
    pub fn new(pool: PgPool, shard: Shard, month: YearMonth) -> Self {
        Self {
            pool,
            shard,
            month,
            after: String::new(),
            pending: Vec::new(),
            exhausted: false,
        }
    }

    pub async fn next(&mut self) -> ServiceResult<Option<Vec<Child>>> {
        while !self.exhausted && self.pending.len() < BATCH {
            let page = dossier_page(&self.pool, self.shard, &self.after).await?;
            match page.last() {
                None => self.exhausted = true,
                Some((last, _)) => self.after = last.clone(),
            }
            for (dossier, snapshot) in &page {
                let s = pb::DossierSnapshot::decode(snapshot.as_slice())
                    .map_err(ServiceError::internal)?;
                self.pending
                    .extend(children::children_of(dossier, &s, self.month));
            }
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let rest = self.pending.split_off(BATCH.min(self.pending.len()));
        Ok(Some(std::mem::replace(&mut self.pending, rest)))
    }
}

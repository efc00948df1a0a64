//! Dated reference data: the store the rules read through a cached snapshot, and the RPCs
//! that list, get and add values (`read`, `add`) and import a publisher's file (`import`). History is append-only; see the
//! migrations for the schema.

use std::sync::{Arc, PoisonError, RwLock};

use secal_rules::{ReferenceTable, reference::OverlapError};
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgPool;

// A macro, not a const, so that queries stay `&'static str` (sqlx refuses built strings).
// Reads `reference_values v`; superseded_by comes from the row that names v as replaced.
macro_rules! value_columns {
    () => {
        "v.id, v.kind, v.key, v.valid_from, v.valid_to, v.value, v.threshold_a, v.threshold_b, \
         v.threshold_c, v.threshold_d, v.child_increment, v.debtor_percent, v.creditor_percent, \
         v.abolished, v.source, v.supersedes_id, v.reason, v.recorded_by, v.recorded_via, \
         v.recorded_at, \
         (SELECT s.id FROM reference_values s WHERE s.supersedes_id = v.id) AS superseded_by"
    };
}

mod add;
mod import;
mod read;
mod row;
mod validate;
mod watch;

use row::ValueRow;

/// The reference values the rules use, cached and refreshed when the table changes.
pub struct ReferenceStore {
    pool: PgPool,
    cached: RwLock<Option<Cached>>,
    watch: Arc<watch::Watch>,
    // One reload at a time: a burst of calls after a change loads the table once.
    reload: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Cached {
    version: i64,
    // A broken table stays broken until the data changes: no point reloading it per call.
    table: Result<Arc<ReferenceTable>, OverlapError>,
}

impl ReferenceStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            cached: RwLock::new(None),
            watch: Arc::default(),
            reload: tokio::sync::Mutex::new(()),
        }
    }

    /// Keeps listening for changes (see `watch`) until the returned task is aborted; without
    /// it, every snapshot reads the table's version.
    pub fn watch_changes(&self) -> tokio::task::JoinHandle<()> {
        watch::spawn(self.pool.clone(), self.watch.clone())
    }

    /// This replica changed the data: the next snapshot reads it, without waiting for the
    /// notification.
    pub fn changed(&self) {
        self.watch.changed();
    }

    /// The values in force (superseded ones left out), as the rules need them. While changes
    /// are heard (`watch_changes`), costs nothing when nothing changed; otherwise one read of
    /// the table's version. The values are loaded again only after a change.
    #[tracing::instrument(skip_all)]
    pub async fn snapshot(&self) -> ServiceResult<Arc<ReferenceTable>> {
        if self.watch.trusted()
            && let Some(hit) = self.cached_at(i64::MIN)
        {
            return hit;
        }
        let heard = self.watch.before_read();
        let version: i64 = sqlx::query_scalar("SELECT version FROM reference_data_version")
            .fetch_one(&self.pool)
            .await?;
        let table = self.at_version(version).await?;
        self.watch.confirm(heard);
        table
    }

    /// The cached table if it holds `version`, else the table loaded again (once, whatever
    /// the number of calls waiting for it).
    async fn at_version(&self, version: i64) -> ServiceResult<ServiceResult<Arc<ReferenceTable>>> {
        if let Some(hit) = self.cached_at(version) {
            return Ok(hit);
        }
        let _loading = self.reload.lock().await;
        if let Some(hit) = self.cached_at(version) {
            return Ok(hit);
        }
        let loaded = self.load().await?;
        let table = loaded.table.clone();
        *self.cached.write().unwrap_or_else(PoisonError::into_inner) = Some(loaded);
        Ok(table.map_err(ServiceError::internal))
    }

    /// The cached table if it is at least as new as `version` (a concurrent reload may
    /// already have read a later one).
    fn cached_at(&self, version: i64) -> Option<ServiceResult<Arc<ReferenceTable>>> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|c| c.version >= version)
            .map(|c| c.table.clone().map_err(ServiceError::internal))
    }

    /// The live values and the version they belong to, read in one snapshot.
    #[tracing::instrument(skip_all)]
    async fn load(&self) -> ServiceResult<Cached> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version: i64 = sqlx::query_scalar("SELECT version FROM reference_data_version")
            .fetch_one(&mut *tx)
            .await?;
        let rows: Vec<ValueRow> = sqlx::query_as(concat!(
            "SELECT ",
            value_columns!(),
            " FROM reference_values v JOIN reference_live l ON l.value_id = v.id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let values = rows
            .into_iter()
            .map(|r| r.to_rule_value())
            .collect::<ServiceResult<Vec<_>>>()?;
        let count = values.len();
        let table = ReferenceTable::new(values).map(Arc::new);
        tracing::info!(version, count, "reference data loaded");
        Ok(Cached { version, table })
    }
}

#[cfg(test)]
mod tests;

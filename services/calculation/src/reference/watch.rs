//! Hearing of reference-data changes without asking the database on every call.
//!
//! Each replica keeps the reference table in memory. A change (an insert into
//! `reference_values`, by any replica or by an operator's SQL) bumps the table's version and
//! sends a notification on [`CHANNEL`], delivered when the change commits. While a listener is
//! subscribed, a calculation uses the cached table as long as nothing was heard since the
//! version was last confirmed; otherwise (no listener yet, the listener's connection lost,
//! a notification heard, or the confirmation older than [`MAX_TRUST`]) it reads the version
//! first, as every call did before: one database round trip per calculation was most of the
//! cost of a small one.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{PgPool, postgres::PgListener};

/// The channel `reference_data_bump_version()` notifies on (migration 0005).
pub const CHANNEL: &str = "secal_reference_data";

/// Longest time a confirmed version is trusted without a read, in case a notification was
/// lost with a connection that has not yet been seen to drop.
pub const MAX_TRUST: Duration = Duration::from_secs(5);

/// Pause before subscribing again after the listener's connection failed.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(super) struct Watch {
    /// A listener is subscribed: changes will be heard.
    listening: AtomicBool,
    /// Changes heard (notifications, and this replica's own adds), counted.
    heard: AtomicU64,
    /// `heard` as it was when the cached version was last confirmed by a read.
    confirmed: AtomicU64,
    /// When that was, in milliseconds since `epoch`.
    confirmed_at_ms: AtomicU64,
    epoch: Instant,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            listening: AtomicBool::new(false),
            // Nothing is confirmed before the first read.
            heard: AtomicU64::new(1),
            confirmed: AtomicU64::new(0),
            confirmed_at_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl Watch {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the cached table can be used without reading the version.
    pub fn trusted(&self) -> bool {
        let heard = self.heard.load(Ordering::Acquire);
        self.listening.load(Ordering::Acquire)
            && self.confirmed.load(Ordering::Acquire) >= heard
            && self
                .now_ms()
                .saturating_sub(self.confirmed_at_ms.load(Ordering::Acquire))
                < u64::try_from(MAX_TRUST.as_millis()).unwrap_or(u64::MAX)
    }

    /// Call before reading the version; pass the result to [`Watch::confirm`] after the
    /// cache holds that version. A change heard in between is not lost: its count is higher.
    pub fn before_read(&self) -> u64 {
        self.heard.load(Ordering::Acquire)
    }

    pub fn confirm(&self, heard_before_read: u64) {
        self.confirmed
            .fetch_max(heard_before_read, Ordering::AcqRel);
        self.confirmed_at_ms.store(self.now_ms(), Ordering::Release);
    }

    /// A change happened (heard, or made by this replica).
    pub fn changed(&self) {
        self.heard.fetch_add(1, Ordering::AcqRel);
    }

    fn listening(&self, on: bool) {
        if on {
            // Whatever changed while nobody listened must be read once.
            self.changed();
        }
        self.listening.store(on, Ordering::Release);
    }
}

/// Listens on [`CHANNEL`] for as long as the returned task runs, subscribing again after
/// any failure.
pub(super) fn spawn(pool: PgPool, watch: Arc<Watch>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match subscribe(&pool).await {
                Ok(mut listener) => {
                    watch.listening(true);
                    tracing::debug!("listening for reference data changes");
                    hear(&mut listener, &watch).await;
                    watch.listening(false);
                    tracing::warn!("reference data listener lost its connection");
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for reference data changes"),
            }
            tokio::time::sleep(RETRY).await;
        }
    })
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Counts notifications until the connection is lost.
async fn hear(listener: &mut PgListener, watch: &Watch) {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => watch.changed(),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "reference data listener failed");
                return;
            }
        }
    }
}

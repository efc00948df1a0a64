//! Delivers outbox events to the payments service: at least once, in order per dossier (a
//! dossier's next event waits until the one before it is delivered), with backoff per event.
//! One relay at a time across replicas (a transaction-scoped advisory lock); a crash before
//! the delivery is marked only means a redelivery, which payments ignores by event id.

use std::time::Duration;

use secal_proto::v1::{self as pb, ledger_service_client::LedgerServiceClient};
use secal_runtime::client::{self, ClientError};
use sqlx::PgPool;
use tokio::sync::watch;
use tracing::Instrument;

/// Why a relay pass stopped early; the next pass tries again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored event {sequence} does not decode: {reason}")]
    Corrupt { sequence: i64, reason: String },
}

#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// Pause between passes when nothing was due.
    pub poll_interval: Duration,
    /// Longest wait before retrying an event that failed.
    pub max_backoff: Duration,
    /// Events in one pass.
    pub batch: i64,
}

#[derive(Clone)]
pub struct Payments(client::Peer);

impl Payments {
    pub fn new(addr: &str, service_token: &str) -> Result<Self, ClientError> {
        client::Peer::connect(addr, service_token, Duration::from_secs(5)).map(Self)
    }
}

// Any constant: it only has to be the same in every intake replica.
const RELAY_LOCK: i64 = 0x0005_EC41_0B0C;

#[derive(sqlx::FromRow)]
struct Pending {
    sequence: i64,
    payload: Vec<u8>,
    attempts: i32,
    traceparent: Option<String>,
}

fn backoff(settings: &RelaySettings, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_millis(100)
        .saturating_mul(2u32.saturating_pow(exp))
        .min(settings.max_backoff)
}

/// One pass: the head of every dossier's queue that is due, oldest first. Returns how many
/// were delivered.
#[tracing::instrument(skip_all, fields(delivered))]
async fn pass(pool: &PgPool, payments: &Payments, s: &RelaySettings) -> Result<usize, RelayError> {
    let mut tx = pool.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(RELAY_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    let due: Vec<Pending> = sqlx::query_as(
        "SELECT sequence, payload, attempts, traceparent FROM (
             SELECT DISTINCT ON (dossier_id) sequence, payload, attempts, traceparent,
                    next_attempt_at
               FROM dossier_events WHERE delivered_at IS NULL
              ORDER BY dossier_id, sequence) heads
          WHERE next_attempt_at <= now() ORDER BY sequence LIMIT $1",
    )
    .bind(s.batch)
    .fetch_all(&mut *tx)
    .await?;
    let mut delivered = 0;
    for p in due {
        let event =
            crate::outbox::decode(p.sequence, &p.payload).map_err(|e| RelayError::Corrupt {
                sequence: p.sequence,
                reason: e.to_string(),
            })?;
        let request = pb::ReceiveDossierEventRequest {
            idempotency_key: Some(pb::IdempotencyKey {
                value: event.event_id.clone(),
            }),
            event: Some(event),
        };
        let mut client = payments.0.client(LedgerServiceClient::with_interceptor);
        // The delivery belongs to the trace of the change that wrote the event.
        let span = tracing::info_span!("deliver_dossier_event", sequence = p.sequence);
        if let Some(tp) = &p.traceparent {
            secal_runtime::telemetry::continue_trace(&span, tp);
        }
        match client.receive_dossier_event(request).instrument(span).await {
            Ok(_) => {
                sqlx::query(
                    "UPDATE dossier_events SET delivered_at = now(), attempts = attempts + 1,
                            last_error = NULL WHERE sequence = $1",
                )
                .bind(p.sequence)
                .execute(&mut *tx)
                .await?;
                delivered += 1;
            }
            Err(status) => {
                let wait = backoff(s, p.attempts);
                tracing::warn!(sequence = p.sequence, code = ?status.code(), retry_in_ms = wait.as_millis() as u64, "event not delivered");
                sqlx::query(
                    "UPDATE dossier_events SET attempts = attempts + 1, last_error = $2,
                            next_attempt_at = now() + make_interval(secs => $3)
                      WHERE sequence = $1",
                )
                .bind(p.sequence)
                .bind(format!("{:?}: {}", status.code(), status.message()))
                .bind(wait.as_secs_f64())
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    tracing::Span::current().record("delivered", delivered);
    Ok(delivered)
}

/// Runs until `stop` turns true.
pub async fn run(
    pool: PgPool,
    payments: Payments,
    settings: RelaySettings,
    mut stop: watch::Receiver<bool>,
) {
    tracing::info!("outbox relay started");
    loop {
        if *stop.borrow() {
            break;
        }
        let delivered = match pass(&pool, &payments, &settings).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay pass failed");
                0
            }
        };
        if delivered == 0 {
            tokio::select! {
                () = tokio::time::sleep(settings.poll_interval) => {}
                _ = stop.changed() => {}
            }
        }
    }
    tracing::info!("outbox relay stopped");
}

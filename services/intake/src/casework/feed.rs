//! The pump that brings the payments process's case work into the one work queue: it reads
//! payments' feed (CaseworkFeedService.ListCaseworkEvents) after its cursor and opens or
//! closes each event's task, the cursor moved in the same transaction, so that every event is
//! applied exactly once whatever stops the pump. One pump at a time across replicas (the
//! cursor row's lock).

use std::time::Duration;

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, casework_feed_service_client::CaseworkFeedServiceClient};
use secal_runtime::{ServiceError, ServiceResult, client, wire};
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;

use super::tasks::{self, Condition, Stamp, Subject, TaskKind};

/// Events read in one pass.
const PAGE: i32 = 200;

/// The payments process, as the pump reaches it.
#[derive(Clone)]
pub struct Feed(pub(crate) client::Peer);

impl Feed {
    pub fn new(addr: &str, service_token: &str) -> Result<Self, client::ClientError> {
        client::Peer::connect(addr, service_token, Duration::from_secs(5)).map(Self)
    }
}

/// Why a pass stopped; the next one tries again from the cursor.
#[derive(Debug, thiserror::Error)]
pub enum PumpError {
    #[error("payments answered {0}")]
    Payments(tonic::Status),
    #[error("{0}")]
    Apply(#[from] ServiceError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// One pass: the events after the cursor, applied in one transaction with the cursor.
/// Returns how many were applied.
#[tracing::instrument(skip_all, fields(applied))]
async fn pass(pool: &PgPool, feed: &Feed) -> Result<usize, PumpError> {
    let mut tx = pool.begin().await?;
    // The cursor row's lock: a second replica's pump waits, then reads the moved cursor.
    let after: i64 = sqlx::query_scalar(
        "SELECT last_sequence FROM casework_feed_cursors WHERE source = 'payments' FOR UPDATE",
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut client = feed.0.client(CaseworkFeedServiceClient::with_interceptor);
    let request = pb::ListCaseworkEventsRequest {
        after_sequence: after,
        limit: PAGE,
    };
    let events = client
        .list_casework_events(request)
        .await
        .map_err(PumpError::Payments)?
        .into_inner()
        .events;
    let mut last = after;
    for event in events.iter().filter(|e| e.sequence > after) {
        apply(&mut tx, event).await?;
        last = last.max(event.sequence);
    }
    sqlx::query("UPDATE casework_feed_cursors SET last_sequence = $1 WHERE source = 'payments'")
        .bind(last)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // Every pass says it again: an acknowledgement lost on the way is not lost for long (the
    // same number again is answered from payments' idempotency record).
    if last > 0 {
        acknowledge(feed, last).await;
    }
    let applied = events.len();
    tracing::Span::current().record("applied", applied);
    Ok(applied)
}

/// Tells payments how far the feed is applied, so that a step waiting for its letter knows it
/// went out. Best effort: the next pass says it again.
async fn acknowledge(feed: &Feed, through: i64) {
    let mut client = feed.0.client(CaseworkFeedServiceClient::with_interceptor);
    let request = pb::AcknowledgeCaseworkEventsRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: format!("intake-applied-{through}"),
        }),
        applied_through: through,
    };
    if let Err(status) = client.acknowledge_casework_events(request).await {
        tracing::warn!(code = ?status.code(), "casework feed not acknowledged");
    }
}

/// The dossier a payments event names, if intake knows it.
async fn dossier_id(conn: &mut PgConnection, number: &str) -> ServiceResult<Option<i64>> {
    if number.trim().is_empty() {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT id FROM dossiers WHERE dossier_number = $1")
            .bind(number.trim())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

fn date(field: &str, d: Option<&pb::Date>, default: NaiveDate) -> ServiceResult<NaiveDate> {
    Ok(wire::optional_date_from_pb(field, d)?.unwrap_or(default))
}

/// Opens or closes the task an event names, or issues the letter it requests. An event intake
/// cannot read (a task kind it does not know) fails the pass: the feed waits rather than
/// losing it.
async fn apply(conn: &mut PgConnection, e: &pb::CaseworkEvent) -> ServiceResult<()> {
    let stamp = e.at.as_ref();
    let by = Stamp {
        actor: stamp.map_or("secal-payments", |s| s.actor.as_str()),
        via: stamp.map(|s| s.via.as_str()).filter(|v| !v.is_empty()),
    };
    let kind = match e.kind() {
        pb::CaseworkEventKind::LetterRequested => {
            return super::requested::issue(conn, e, by).await;
        }
        pb::CaseworkEventKind::Unspecified => {
            return Err(ServiceError::internal(format!(
                "casework event {} has no kind",
                e.sequence
            )));
        }
        _ => TaskKind::from_pb(e.task_kind()).ok_or_else(|| {
            ServiceError::internal(format!(
                "casework event {}: task kind {}",
                e.sequence, e.task_kind
            ))
        })?,
    };
    let subject = Subject::Payments {
        key: e.subject.clone(),
        dossier_id: dossier_id(conn, &e.dossier_number).await?,
    };
    if e.kind() == pb::CaseworkEventKind::TaskClosed {
        return tasks::close_as(conn, &[kind], subject, &e.action, by).await;
    }
    let today = chrono::Utc::now().date_naive();
    let condition = Condition {
        kind,
        subject,
        listed_from: date("listed_from", e.listed_from.as_ref(), today)?,
        due_on: date("due_on", e.due_on.as_ref(), today)?,
        summary: e.summary.clone(),
    };
    tasks::open_all(conn, vec![condition], by).await
}

/// Runs until `stop` turns true.
pub async fn run(pool: PgPool, feed: Feed, poll: Duration, mut stop: watch::Receiver<bool>) {
    tracing::info!("casework pump started");
    loop {
        if *stop.borrow() {
            break;
        }
        let applied = match pass(&pool, &feed).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "casework pump pass failed");
                0
            }
        };
        if let Err(e) = super::metrics::refresh(&pool).await {
            tracing::warn!(error = %e, "work queue metrics not refreshed");
        }
        if applied == 0 {
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
    tracing::info!("casework pump stopped");
}

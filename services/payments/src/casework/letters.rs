//! Letters payments' steps require, requested through the case-work feed (LETTER_REQUESTED:
//! the intake process issues them to the dossier's party in the dossier's language), and how
//! far intake has applied the feed (AcknowledgeCaseworkEvents), which tells a step waiting
//! for its letter that the letter went out.

use prost::Message;
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
};
use sqlx::PgConnection;

use super::{By, serialise};
use crate::api::PaymentsApi;

/// The reader whose acknowledgements count: the intake process's pump.
const READER: &str = "intake";

/// Requests a letter about a dossier, in the caller's transaction (as its last writes: it
/// takes the feed's lock); returns the event's sequence number, which the step keeps to know
/// when the letter has gone out ([`sent`]).
#[tracing::instrument(skip_all, fields(kind = letter.kind))]
pub(crate) async fn request(
    conn: &mut PgConnection,
    dossier_number: &str,
    subject: String,
    letter: &pb::LetterRequest,
    by: By<'_>,
) -> ServiceResult<i64> {
    serialise(conn).await?;
    let sequence: i64 = sqlx::query_scalar(
        "INSERT INTO casework_events (kind, subject, dossier_number, letter, actor, via)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING sequence",
    )
    .bind(pb::CaseworkEventKind::LetterRequested as i16)
    .bind(subject)
    .bind(dossier_number)
    .bind(letter.encode_to_vec())
    .bind(by.actor)
    .bind(by.via)
    .fetch_one(conn)
    .await?;
    Ok(sequence)
}

/// One letter to request: the dossier, the subject naming what it is about, the letter.
pub(crate) type LetterOrder = (String, String, pb::LetterRequest);

/// Requests many letters in one statement (a run's letters), in the caller's transaction as
/// its last writes like [`request`]; returns each subject's sequence number.
#[tracing::instrument(skip_all, fields(letters = orders.len()))]
pub(crate) async fn request_many(
    conn: &mut PgConnection,
    orders: &[LetterOrder],
    by: By<'_>,
) -> ServiceResult<std::collections::HashMap<String, i64>> {
    if orders.is_empty() {
        return Ok(Default::default());
    }
    serialise(conn).await?;
    let dossiers: Vec<&str> = orders.iter().map(|(d, _, _)| d.as_str()).collect();
    let subjects: Vec<&str> = orders.iter().map(|(_, s, _)| s.as_str()).collect();
    let bytes: Vec<Vec<u8>> = orders.iter().map(|(_, _, l)| l.encode_to_vec()).collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO casework_events (kind, subject, dossier_number, letter, actor, via)
         SELECT $1, s, d, l, $5, $6
           FROM unnest($2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS u(s, d, l, n)
          ORDER BY n
         RETURNING subject, sequence",
    )
    .bind(pb::CaseworkEventKind::LetterRequested as i16)
    .bind(&subjects)
    .bind(&dossiers)
    .bind(&bytes)
    .bind(by.actor)
    .bind(by.via)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// How far intake has applied the feed.
pub(crate) async fn applied_through(conn: &mut PgConnection) -> ServiceResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT applied_through FROM casework_acknowledgements WHERE reader = $1",
    )
    .bind(READER)
    .fetch_one(conn)
    .await?)
}

/// AcknowledgeCaseworkEvents, parsed.
struct Acknowledgement {
    key: String,
    through: i64,
}

impl TryFrom<&pb::AcknowledgeCaseworkEventsRequest> for Acknowledgement {
    type Error = ServiceError;

    fn try_from(req: &pb::AcknowledgeCaseworkEventsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        if req.applied_through < 0 {
            v.add("applied_through", "cannot be negative");
        }
        v.finish(|| {
            Some(Acknowledgement {
                key: key?,
                through: req.applied_through,
            })
        })
    }
}

/// AcknowledgeCaseworkEvents: keeps the highest number acknowledged (a lower one changes
/// nothing); a number beyond the feed's last event is refused.
#[tracing::instrument(skip_all, fields(applied_through = req.applied_through))]
pub(crate) async fn acknowledge(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::AcknowledgeCaseworkEventsRequest,
) -> ServiceResult<pb::AcknowledgeCaseworkEventsResponse> {
    const M: &str = "AcknowledgeCaseworkEvents";
    let a = Acknowledgement::try_from(&req)?;
    let mut tx = api.pool.begin().await?;
    if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, M, &a.key, &req).await? {
        return Ok(resp);
    }
    let last: Option<i64> = sqlx::query_scalar("SELECT max(sequence) FROM casework_events")
        .fetch_one(&mut *tx)
        .await?;
    if a.through > last.unwrap_or(0) {
        return Err(ServiceError::failed_precondition(
            "BEYOND_THE_FEED",
            format!(
                "the feed's last event is {}: nothing after it can have been applied",
                last.unwrap_or(0)
            ),
        ));
    }
    let through: i64 = sqlx::query_scalar(
        "UPDATE casework_acknowledgements
            SET applied_through = GREATEST(applied_through, $2), changed_at = now()
          WHERE reader = $1 RETURNING applied_through",
    )
    .bind(READER)
    .bind(a.through)
    .fetch_one(&mut *tx)
    .await?;
    let resp = pb::AcknowledgeCaseworkEventsResponse {
        applied_through: through,
    };
    idempotency::complete(&mut tx, M, &a.key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

//! ListCaseworkEvents: the feed after a sequence number, oldest first.

use chrono::{DateTime, NaiveDate, Utc};
use prost::Message;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};

use crate::api::PaymentsApi;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 500;

/// ListCaseworkEvents, parsed.
struct FeedQuery {
    after: i64,
    limit: i64,
}

/// The sequence to read after: 0 for the feed's beginning (sequences start at 1).
fn after_sequence(raw: i64) -> Result<i64, FieldViolation> {
    if raw < 0 {
        return Err(FieldViolation::new("after_sequence", "cannot be negative"));
    }
    Ok(raw)
}

/// How many events at most: 0 for the default.
fn limit(raw: i32) -> Result<i64, FieldViolation> {
    match i64::from(raw) {
        0 => Ok(DEFAULT_LIMIT),
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(FieldViolation::new(
            "limit",
            format!("0 (default {DEFAULT_LIMIT}) to {MAX_LIMIT}"),
        )),
    }
}

impl TryFrom<&pb::ListCaseworkEventsRequest> for FeedQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListCaseworkEventsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let after = v.take(after_sequence(req.after_sequence));
        let limit = v.take(limit(req.limit));
        v.finish(|| {
            Some(FeedQuery {
                after: after?,
                limit: limit?,
            })
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    sequence: i64,
    kind: i16,
    task_kind: Option<i16>,
    subject: String,
    dossier_number: String,
    due_on: Option<NaiveDate>,
    listed_from: Option<NaiveDate>,
    summary: String,
    action: String,
    actor: String,
    via: Option<String>,
    at: DateTime<Utc>,
    letter: Option<Vec<u8>>,
}

impl EventRow {
    fn to_pb(&self) -> ServiceResult<pb::CaseworkEvent> {
        // A requested letter is stored as the contract's own bytes.
        let letter = match &self.letter {
            Some(bytes) => Some(pb::LetterRequest::decode(bytes.as_slice()).map_err(|e| {
                ServiceError::internal(format!("casework event {}: {e}", self.sequence))
            })?),
            None => None,
        };
        Ok(pb::CaseworkEvent {
            sequence: self.sequence,
            kind: i32::from(self.kind),
            task_kind: self.task_kind.map_or(0, i32::from),
            subject: self.subject.clone(),
            dossier_number: self.dossier_number.clone(),
            due_on: self.due_on.map(wire::date_to_pb),
            listed_from: self.listed_from.map(wire::date_to_pb),
            summary: self.summary.clone(),
            action: self.action.clone(),
            at: Some(pb::AuditStamp {
                actor: self.actor.clone(),
                at: wire::timestamp(self.at),
                // Optional: only a call made through another system has one.
                via: self.via.clone().unwrap_or_default(),
            }),
            letter,
        })
    }
}

/// The events after `after_sequence`, in sequence order. The writers take their numbers in
/// commit order (`casework::serialise`), so no event can appear later below the last one
/// read here: the reader's cursor may safely move to it.
#[tracing::instrument(skip_all, fields(after_sequence = req.after_sequence, returned))]
pub(crate) async fn list(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListCaseworkEventsRequest,
) -> ServiceResult<pb::ListCaseworkEventsResponse> {
    let FeedQuery { after, limit } = FeedQuery::try_from(&req)?;
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT sequence, kind, task_kind, subject, dossier_number, due_on, listed_from,
                summary, action, actor, via, at, letter
           FROM casework_events WHERE sequence > $1 ORDER BY sequence LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&api.pool)
    .await?;
    tracing::Span::current().record("returned", rows.len());
    Ok(pb::ListCaseworkEventsResponse {
        events: rows
            .iter()
            .map(EventRow::to_pb)
            .collect::<ServiceResult<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_defaults_to_100_and_is_at_most_500() {
        assert_eq!(limit(0).ok(), Some(100));
        assert_eq!(limit(1).ok(), Some(1));
        assert_eq!(limit(500).ok(), Some(500));
        assert_eq!(
            limit(501).map_err(|e| e.field).err().as_deref(),
            Some("limit")
        );
        assert_eq!(
            limit(-1).map_err(|e| e.field).err().as_deref(),
            Some("limit")
        );
    }

    #[test]
    fn the_sequence_is_not_negative() {
        assert_eq!(after_sequence(0).ok(), Some(0));
        assert_eq!(after_sequence(7).ok(), Some(7));
        let e = after_sequence(-1).map_err(|e| e.field).err();
        assert_eq!(e.as_deref(), Some("after_sequence"));
    }

    #[test]
    fn both_bad_values_are_named_at_once() {
        let req = pb::ListCaseworkEventsRequest {
            after_sequence: -1,
            limit: 501,
        };
        let err = FeedQuery::try_from(&req).err().map(|e| {
            e.violations()
                .iter()
                .map(|v| v.field.clone())
                .collect::<Vec<_>>()
        });
        assert_eq!(
            err,
            Some(vec!["after_sequence".to_owned(), "limit".to_owned()])
        );
    }
}

//! Dossier events from the intake outbox, consumed idempotently: stored once by event id (a
//! redelivery is answered as the first delivery was, flagged duplicate), and applied only
//! when newer than the dossier's last applied version.

use crate::api::PaymentsApi;
use crate::ledger::booking::Booking;
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use tonic_prost::prost::Message;
use uuid::Uuid;

struct EventCommand {
    event_id: Uuid,
    number: DossierNumber,
    kind: pb::DossierEventType,
    /// The snapshot's dossier status (a snapshot is optional: none reads as UNSPECIFIED).
    status: pb::DossierStatus,
    event: pb::DossierEvent,
}

impl TryFrom<&pb::ReceiveDossierEventRequest> for EventCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ReceiveDossierEventRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let Some(event) = &req.event else {
            v.add("event", "the event is required");
            return v.finish(|| None);
        };
        let event_id = v.take(
            Uuid::parse_str(event.event_id.trim())
                .map_err(|_| FieldViolation::new("event.event_id", "not a UUID")),
        );
        // An absent key is an empty one, which no event id equals.
        let key = req
            .idempotency_key
            .as_ref()
            .map(|k| k.value.as_str())
            .unwrap_or_default();
        if key.trim() != event.event_id.trim() {
            v.add("idempotency_key", "must equal event.event_id");
        }
        let number = v.take(
            event
                .dossier_number
                .parse::<DossierNumber>()
                .map_err(|e| FieldViolation::new("event.dossier_number", e.to_string())),
        );
        let kind = match pb::DossierEventType::try_from(event.event_type) {
            Ok(pb::DossierEventType::Unspecified) | Err(_) => {
                v.add("event.event_type", "activated, changed or closed");
                None
            }
            Ok(k) => Some(k),
        };
        let status = match &event.snapshot {
            None => Some(pb::DossierStatus::Unspecified),
            Some(s) => v.take(
                pb::DossierStatus::try_from(s.status)
                    .map_err(|_| FieldViolation::new("event.snapshot.status", "unknown status")),
            ),
        };
        if event.dossier_version < 1 {
            v.add("event.dossier_version", "must be positive");
        }
        v.finish(|| {
            Some(EventCommand {
                event_id: event_id?,
                number: number?,
                kind: kind?,
                status: status?,
                event: event.clone(),
            })
        })
    }
}

#[tracing::instrument(skip_all, fields(event_id, dossier = tracing::field::Empty, outcome))]
pub(crate) async fn receive(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ReceiveDossierEventRequest,
) -> ServiceResult<pb::ReceiveDossierEventResponse> {
    let pool = &api.pool;
    let v = EventCommand::try_from(&req)?;
    let span = tracing::Span::current();
    span.record("event_id", tracing::field::display(v.event_id));
    span.record("dossier", tracing::field::display(v.number));
    let actor = &caller.actor().id;
    let mut tx = Booking::begin(pool).await?;
    // Serialises deliveries of one dossier, so that the version comparison holds.
    crate::ledger::booking::lock_dossier(&mut tx, &v.number.to_string()).await?;
    if let Some(mut resp) = first_answer(&mut tx, v.event_id).await? {
        resp.duplicate = true;
        span.record("outcome", "duplicate");
        return Ok(resp);
    }
    let mut resp = verdict(&mut tx, &v).await?;
    store_event(&mut tx, &v, &resp, actor).await?;
    if resp.applied {
        let casework = apply(&mut tx, &v, actor).await?;
        if let Some(note) = book_claim(api, &mut tx, &v, actor).await? {
            resp.note = format!("{}; {note}", resp.note);
            // A redelivery is answered with what the booking did too.
            sqlx::query("UPDATE dossier_events SET response = $2 WHERE event_id = $1")
                .bind(v.event_id)
                .bind(resp.encode_to_vec())
                .execute(&mut *tx)
                .await?;
        }
        // Last, as the feed's writers must: a redelivery is answered above, before any work,
        // so it writes no second event.
        let events = casework.into_iter().collect();
        crate::casework::write(&mut tx, events, crate::casework::By::of(caller)).await?;
    }
    tx.commit().await?;
    span.record("outcome", if resp.applied { "applied" } else { "stale" });
    Ok(resp)
}

/// The answer given when the event was first delivered, if it was.
async fn first_answer(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> ServiceResult<Option<pb::ReceiveDossierEventResponse>> {
    let seen: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT response FROM dossier_events WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(conn)
            .await?;
    seen.map(|first| {
        pb::ReceiveDossierEventResponse::decode(first.as_slice()).map_err(ServiceError::internal)
    })
    .transpose()
}

/// Applied when newer than the dossier's last applied version, else stale.
async fn verdict(
    conn: &mut PgConnection,
    v: &EventCommand,
) -> ServiceResult<pb::ReceiveDossierEventResponse> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT dossier_version FROM dossier_states WHERE dossier_number = $1")
            .bind(v.number.to_string())
            .fetch_optional(conn)
            .await?;
    let kind = v.kind.as_str_name();
    Ok(match last {
        Some(last) if last >= v.event.dossier_version => pb::ReceiveDossierEventResponse {
            duplicate: false,
            stale: true,
            applied: false,
            note: format!(
                "{kind} at version {} is not newer than the applied version {last}",
                v.event.dossier_version
            ),
        },
        _ => pb::ReceiveDossierEventResponse {
            duplicate: false,
            stale: false,
            applied: true,
            note: format!("{kind} applied at version {}", v.event.dossier_version),
        },
    })
}

async fn store_event(
    conn: &mut PgConnection,
    v: &EventCommand,
    resp: &pb::ReceiveDossierEventResponse,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO dossier_events (event_id, dossier_number, dossier_version, event_type,
                                     intake_sequence, payload, response, received_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(v.event_id)
    .bind(v.number.to_string())
    .bind(v.event.dossier_version)
    .bind(v.kind as i16)
    .bind(v.event.sequence)
    .bind(v.event.encode_to_vec())
    .bind(resp.encode_to_vec())
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// The claim account follows the dossier: on activation the mandate is booked to the
/// activation date (today when that is later), on an amendment the account is booked again to
/// today (a changed amount, an ended creditor or a corrected indexation base become
/// corrections), on closure it is booked one last time to the closing date. Inside the event's transaction: if the booking fails, the event is not
/// taken and intake's relay delivers it again.
async fn book_claim(
    api: &PaymentsApi,
    tx: &mut Booking,
    v: &EventCommand,
    actor: &str,
) -> ServiceResult<Option<String>> {
    let today = chrono::Utc::now().date_naive();
    let (kind, booked_to, why) = match (v.kind, v.status) {
        (pb::DossierEventType::Activated, pb::DossierStatus::Active) => {
            let on =
                wire::optional_date_from_pb("event.effective_on", v.event.effective_on.as_ref())?;
            (
                pb::ClaimBookingKind::Mandate,
                on.unwrap_or(today).min(today),
                "activated",
            )
        }
        (pb::DossierEventType::Changed, pb::DossierStatus::Active) => {
            (pb::ClaimBookingKind::Amendment, today, "amended")
        }
        (pb::DossierEventType::Closed, pb::DossierStatus::Closed) => {
            let snapshot = v.event.snapshot.as_ref();
            let on = wire::optional_date_from_pb(
                "event.snapshot.closed_on",
                snapshot.and_then(|s| s.closed_on.as_ref()),
            )?;
            (
                pb::ClaimBookingKind::Closure,
                on.unwrap_or(today).min(today),
                "closed",
            )
        }
        _ => return Ok(None),
    };
    let order = crate::claims::book::Order {
        dossier: &v.number.to_string(),
        booked_to,
        kind,
        reason: format!("intake event {}: {why}{}", v.event_id, changes(&v.event)),
        run_date: None,
        actor,
    };
    let out = match crate::claims::book::book(tx, api.calculation.as_ref(), order).await {
        Ok(out) => out,
        // A figure the rules need is missing: the dossier is active all the same (its advances
        // and payments must not wait); the reason is kept and the dues run retries.
        Err(e) if e.reason() == Some(crate::claims::book::NOT_COMPUTABLE) => {
            crate::claims::book::record_failure(tx, &v.number.to_string(), e.message()).await?;
            return Ok(Some(format!(
                "claim account not booked: {}; the next dues run retries it",
                e.message()
            )));
        }
        Err(e) => return Err(e),
    };
    Ok(out.booked_to.map(|to| match out.booking {
        Some(b) => format!(
            "claim account booked to {to}: principal {}, interest {}, fee {}, time-barred {}",
            b.principal.unwrap_or_default().amount,
            b.interest.unwrap_or_default().amount,
            b.fee.unwrap_or_default().amount,
            b.time_barred.unwrap_or_default().amount
        ),
        None => format!("claim account booked to {to}: no change"),
    }))
}

/// What an amendment changed, as intake lists it (" (title, creditor ended)"); empty for
/// other events.
fn changes(event: &pb::DossierEvent) -> String {
    let names: Vec<String> = event
        .changes
        .iter()
        .map(|c| match pb::DossierChangeKind::try_from(*c) {
            Ok(k) => k
                .as_str_name()
                .trim_start_matches("DOSSIER_CHANGE_KIND_")
                .to_lowercase()
                .replace('_', " "),
            Err(_) => format!("change {c}"),
        })
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" ({})", names.join(", "))
    }
}

/// The dossier's new state, and what follows from it: the debtor's certified debt and the
/// payout account the intake snapshot names (its case work returned, for the caller to write
/// last).
async fn apply(
    conn: &mut Booking,
    v: &EventCommand,
    actor: &str,
) -> ServiceResult<Option<crate::casework::Event>> {
    // The snapshot is optional in the contract: an event without one records an empty state.
    let snapshot = v.event.snapshot.clone().unwrap_or_default();
    let debtor = snapshot.debtor.as_ref();
    // Kept as digits so that a tax-refund request finds the debtor's dossiers.
    let debtor_nn = debtor
        .and_then(|d| d.national_number.as_ref())
        .and_then(|n| n.value.parse::<secal_domain::NationalNumber>().ok())
        .map(|n| n.as_digits().to_owned());
    let debtor_nn = debtor_nn.as_deref();
    sqlx::query(
        "INSERT INTO dossier_states (dossier_number, dossier_version, status, snapshot, last_event_id,
                                     debtor_national_number, debtor_person_id, advance_children)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (dossier_number) DO UPDATE SET dossier_version = $2, status = $3,
                snapshot = $4, last_event_id = $5, debtor_national_number = $6,
                debtor_person_id = $7, advance_children = $8, updated_at = now()",
    )
    .bind(v.number.to_string())
    .bind(v.event.dossier_version)
    .bind(v.status as i16)
    .bind(snapshot.encode_to_vec())
    .bind(v.event_id)
    .bind(debtor_nn)
    .bind(debtor.map(|d| d.person_id.clone()).filter(|p| !p.is_empty()))
    .bind(
        i32::try_from(crate::advances::children_count(&snapshot)).map_err(|e| {
            ServiceError::internal(std::io::Error::other(format!(
                "dossier {}: too many children in the snapshot: {e}",
                v.number
            )))
        })?,
    )
    .execute(&mut **conn)
    .await?;
    if let Some(nn) = debtor_nn {
        conn.touch_debtor(nn);
    }
    let (dossier, source) = (v.number.to_string(), format!("intake event {}", v.event_id));
    crate::payouts::propose_from_intake(&mut *conn, &dossier, &snapshot, &source, actor).await
}

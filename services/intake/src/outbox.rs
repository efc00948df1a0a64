//! The transactional outbox: dossier events written in the transaction of the change, and
//! read back for catch-up (ListDossierEvents). Delivery is in `relay`.

use chrono::{NaiveDate, Utc};
use prost::Message;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    api::IntakeApi,
    store::{self, Entry},
};

/// What to emit.
pub(crate) struct Emit<'a> {
    pub event_type: pb::DossierEventType,
    pub effective_on: NaiveDate,
    pub changes: Vec<pb::DossierChangeKind>,
    pub closure_reason: pb::ClosureReason,
    pub caller: &'a Caller,
}

impl<'a> Emit<'a> {
    pub fn new(
        event_type: pb::DossierEventType,
        effective_on: NaiveDate,
        caller: &'a Caller,
    ) -> Self {
        Self {
            event_type,
            effective_on,
            changes: Vec::new(),
            closure_reason: pb::ClosureReason::Unspecified,
            caller,
        }
    }
}

#[derive(sqlx::FromRow)]
struct PartyPerson {
    role: String,
    creditor_key: String,
    public_id: Uuid,
    national_number: String,
    family_name: String,
    given_names: String,
    birth_date: Option<NaiveDate>,
}

impl PartyPerson {
    fn to_pb(&self, address: Option<pb::Address>) -> pb::DossierPerson {
        pb::DossierPerson {
            person_id: self.public_id.to_string(),
            national_number: Some(pb::NationalNumber {
                value: self.national_number.clone(),
            }),
            family_name: self.family_name.clone(),
            given_names: self.given_names.clone(),
            birth_date: self.birth_date.map(wire::date_to_pb),
            address,
        }
    }
}

/// The applicant's and the debtor's frames of a dossier's current form. Only a dossier
/// with a number emits: it was complete when accepted and every amendment since kept it
/// whole, so a missing frame is corrupt data, not a person with no income or children.
fn parties_of(
    dossier_id: i64,
    form: &pb::ApplicationForm,
) -> ServiceResult<(pb::ApplicantFrame, pb::DebtorFrame)> {
    let missing = |frame: &str| {
        ServiceError::internal(format!(
            "the current form of dossier {dossier_id} has no {frame} frame"
        ))
    };
    Ok((
        form.applicant.clone().ok_or_else(|| missing("applicant"))?,
        form.debtor.clone().ok_or_else(|| missing("debtor"))?,
    ))
}

/// What payments needs to act on the dossier without calling back (and what the mandate's
/// figures are computed from: the same case, `secal-case`), from its current form.
pub(crate) async fn snapshot(
    conn: &mut PgConnection,
    row: &store::DossierRow,
    dossier_number: &str,
) -> ServiceResult<pb::DossierSnapshot> {
    let form = store::current_form(conn, row.id).await?;
    snapshot_of(conn, row, dossier_number, &form).await
}

/// [`snapshot`] of a caller that has read the current form already.
pub(crate) async fn snapshot_of(
    conn: &mut PgConnection,
    row: &store::DossierRow,
    dossier_number: &str,
    form: &pb::ApplicationForm,
) -> ServiceResult<pb::DossierSnapshot> {
    let (applicant, debtor) = parties_of(row.id, form)?;
    let people: Vec<PartyPerson> = sqlx::query_as(
        "SELECT dp.role, dp.creditor_key, p.public_id, p.national_number, p.family_name,
                p.given_names, p.birth_date
           FROM dossier_parties dp JOIN persons p ON p.id = dp.person_id
          WHERE dp.dossier_id = $1",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    let find = |role: &str, key: &str| {
        people
            .iter()
            .find(|p| p.role == role && p.creditor_key == key)
    };
    let creditors = form
        .creditors
        .iter()
        .map(|c| pb::DossierCreditor {
            person: find("CREDITOR", c.creditor_key.trim()).map(|p| {
                let address = (c.kind == pb::CreditorKind::Applicant as i32)
                    .then(|| applicant.official_address.clone())
                    .flatten();
                p.to_pb(address)
            }),
            creditor_key: c.creditor_key.clone(),
            kind: c.kind,
            monthly_amount: c.monthly_amount.clone(),
            advances_requested: c.advances_requested,
            family_allowance_entitled: c.family_allowance_entitled,
            entitlement_valid_until: c.entitlement_valid_until,
            last_month: None,
        })
        .collect();
    Ok(pb::DossierSnapshot {
        dossier_number: dossier_number.to_owned(),
        application_id: row.application_id.to_string(),
        status: row.status() as i32,
        kind: i32::from(row.kind),
        application_date: Some(wire::date_to_pb(row.received_on)),
        active_from: row.active_from.map(wire::date_to_pb),
        closed_on: row.closed_on.map(wire::date_to_pb),
        applicant: find("APPLICANT", "").map(|p| p.to_pb(applicant.official_address.clone())),
        debtor: find("DEBTOR", "").map(|p| p.to_pb(debtor.last_known_address.clone())),
        creditors,
        title: form.title.clone(),
        payout: form.payout.clone(),
        applicant_net_monthly_income: applicant.net_monthly_income.clone(),
        dependent_child_count: applicant.dependent_child_count,
        disabled_dependent_child_count: applicant.disabled_dependent_child_count,
        form_revision: row.form_revision,
        declared_arrears: form.arrears.clone(),
        enforcement_attempts: form
            .enforcement
            .as_ref()
            .map(|e| e.attempts.clone())
            .unwrap_or_default(),
    })
}

/// Writes the event in the caller's transaction (after the state change) and notes it in
/// the history; returns the event id.
#[tracing::instrument(skip_all)]
pub(crate) async fn emit(
    conn: &mut PgConnection,
    dossier_id: i64,
    e: Emit<'_>,
) -> ServiceResult<String> {
    let row = store::find_by_id(conn, dossier_id).await?;
    let number = row.dossier_number.clone().ok_or_else(|| {
        ServiceError::failed_precondition("NO_DOSSIER_NUMBER", "the dossier has no number yet")
    })?;
    let event_id = Uuid::new_v4();
    let event = pb::DossierEvent {
        event_id: event_id.to_string(),
        event_type: e.event_type as i32,
        dossier_number: number.clone(),
        dossier_version: row.version,
        sequence: 0,
        occurred_at: wire::timestamp(Utc::now()),
        effective_on: Some(wire::date_to_pb(e.effective_on)),
        snapshot: Some(snapshot(conn, &row, &number).await?),
        changes: e.changes.iter().map(|c| *c as i32).collect(),
        closure_reason: e.closure_reason as i32,
        stamp: Some(store::caller_stamp(e.caller)),
    };
    sqlx::query(
        "INSERT INTO dossier_events
                (event_id, dossier_id, dossier_number, event_type, payload, traceparent)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event_id)
    .bind(dossier_id)
    .bind(&number)
    .bind(e.event_type as i16)
    .bind(event.encode_to_vec())
    .bind(secal_runtime::telemetry::current_traceparent())
    .execute(&mut *conn)
    .await?;
    store::append_history(
        conn,
        dossier_id,
        Entry::other(
            e.caller,
            pb::DossierHistoryKind::EventEmitted,
            format!("{} {event_id}", e.event_type.as_str_name()),
        ),
    )
    .await?;
    Ok(event_id.to_string())
}

/// A stored event with its outbox position.
pub(crate) fn decode(sequence: i64, payload: &[u8]) -> ServiceResult<pb::DossierEvent> {
    let mut event = pb::DossierEvent::decode(payload).map_err(ServiceError::internal)?;
    event.sequence = sequence;
    Ok(event)
}

/// ListDossierEvents: a page of events after a sequence, of one dossier or all.
struct EventsQuery {
    page: wire::Page,
    after_sequence: i64,
    /// Only this dossier's events, when given (its canonical form).
    number: Option<String>,
}

impl TryFrom<&pb::ListDossierEventsRequest> for EventsQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListDossierEventsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        if req.after_sequence < 0 {
            v.add("after_sequence", "cannot be negative");
        }
        let number = match req.dossier_number.trim() {
            "" => Some(None),
            n => v
                .take(
                    n.parse::<secal_domain::DossierNumber>()
                        .map_err(|e| FieldViolation::new("dossier_number", e.to_string())),
                )
                .map(|n| Some(n.to_string())),
        };
        v.finish(|| {
            Some(EventsQuery {
                page: page?,
                after_sequence: req.after_sequence,
                number: number?,
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_dossier_events(
        &self,
        _caller: &Caller,
        req: pb::ListDossierEventsRequest,
    ) -> ServiceResult<pb::ListDossierEventsResponse> {
        let EventsQuery {
            page,
            after_sequence,
            number,
        } = EventsQuery::try_from(&req)?;
        // No page token: from the first event (sequences start at 1).
        let after = after_sequence.max(page.after.unwrap_or(0));
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT sequence, payload FROM dossier_events
              WHERE sequence > $1 AND ($2::text IS NULL OR dossier_number = $2)
              ORDER BY sequence LIMIT $3",
        )
        .bind(after)
        .bind(number)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        let events = rows
            .iter()
            .map(|(s, p)| decode(*s, p))
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok(pb::ListDossierEventsResponse {
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.0),
            )),
            events,
        })
    }
}

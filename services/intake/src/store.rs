//! The dossier aggregate's store: locking dossier rows, reading them back as the contract's
//! `Dossier`, and every write of the aggregate. The use cases (`applications`,
//! `lifecycle::*`, `registry`, `outbox`) call these functions in their own transaction; no
//! other module writes these tables.
//!
//! Tables written, and by which functions:
//!
//! - `dossiers`: [`insert_application`] (the new row); [`set_status`] and [`transition`]
//!   (status, version, who changed it); [`link_parties`] (applicant and debtor);
//!   [`record_completion`], [`record_amendment`] (a new form revision's columns);
//!   [`record_missing_items`]; [`record_debtor_notification`],
//!   [`record_debtor_notice_tracking`]; [`record_reassessment`];
//!   [`record_acceptance`], [`record_refusal`] (the decision); [`record_mandate`];
//!   [`record_activation`]; [`record_closure`].
//! - `dossier_history`: [`insert_application`] (the first two entries), [`append_history`]
//!   (and through it [`transition`]).
//! - `application_forms`: [`insert_application`] (the first revision), [`forms::record_form`] (and
//!   through it [`record_completion`], [`record_amendment`]).
//! - `dossier_parties`: [`insert_application`], [`link_parties`].
//!
//! Where they are: `history.rs` (status, version, history), `forms.rs` (the submission, form
//! revisions, parties, missing items), `lifecycle.rs` (what each later step records on the
//! row); `view.rs` reads a dossier whole, `steps.rs` is the lifecycle table.

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, wire};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::pbjson;

mod forms;
mod history;
mod lifecycle;
mod steps;
mod view;
pub(crate) use forms::{
    Completion, FormColumns, InsertedApplication, LinkedParties, NewDossier, insert_application,
    link_parties, record_amendment, record_completion, record_missing_items,
};
pub(crate) use history::{Entry, append_history, set_status, transition};
pub(crate) use lifecycle::{
    debtor_notice_letter, record_acceptance, record_activation, record_closure,
    record_debtor_notice_tracking, record_debtor_notification, record_mandate, record_reassessment,
    record_refusal,
};
pub(crate) use steps::{allowed_steps, require_step};
pub(crate) use view::{load, load_with, role_from_db, whole};

/// The columns every dossier read takes, as a macro so that queries stay `&'static str`.
macro_rules! dossier_columns {
    () => {
        "d.id, d.application_id, d.dossier_number, d.status, d.version, d.kind, d.form_revision, \
         d.received_on, d.completed_on, d.decision_deadline, d.missing_items, d.creditor_count, \
         d.admissible, d.admissibility, d.debtor_notification, d.decision, d.mandate, \
         d.active_from, d.closed_on, d.closure, d.created_by, d.created_via, d.created_at, \
         d.changed_by, d.changed_via, d.changed_at, \
         (SELECT public_id FROM persons p WHERE p.id = d.applicant_person_id) AS applicant_public_id, \
         (SELECT public_id FROM persons p WHERE p.id = d.debtor_person_id) AS debtor_public_id"
    };
}
pub(crate) use dossier_columns;

#[derive(sqlx::FromRow, Debug)]
pub(crate) struct DossierRow {
    pub id: i64,
    pub application_id: Uuid,
    pub dossier_number: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: StoredStatus,
    pub version: i64,
    pub kind: i16,
    pub form_revision: i32,
    pub received_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    pub decision_deadline: Option<NaiveDate>,
    pub missing_items: Json<serde_json::Value>,
    pub creditor_count: i32,
    pub admissible: Option<bool>,
    pub admissibility: Json<serde_json::Value>,
    pub debtor_notification: Option<Json<serde_json::Value>>,
    pub decision: Option<Json<serde_json::Value>>,
    pub mandate: Option<Json<serde_json::Value>>,
    pub active_from: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closure: Option<Json<serde_json::Value>>,
    pub created_by: String,
    pub created_via: Option<String>,
    pub created_at: DateTime<Utc>,
    pub changed_by: String,
    pub changed_via: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub applicant_public_id: Option<Uuid>,
    pub debtor_public_id: Option<Uuid>,
}

impl DossierRow {
    pub fn status(&self) -> pb::DossierStatus {
        self.status.0
    }

    pub fn summary(&self) -> pb::DossierSummary {
        pb::DossierSummary {
            application_id: self.application_id.to_string(),
            // Empty until the dossier is accepted, as the contract says.
            dossier_number: self.dossier_number.clone().unwrap_or_default(),
            status: self.status() as i32,
            kind: i32::from(self.kind),
            received_on: Some(wire::date_to_pb(self.received_on)),
            decision_deadline: self.decision_deadline.map(wire::date_to_pb),
            active_from: self.active_from.map(wire::date_to_pb),
            // Empty while the form does not name the person well enough to register.
            applicant_person_id: self
                .applicant_public_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            debtor_person_id: self
                .debtor_public_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            creditor_count: self.creditor_count,
        }
    }
}

pub(crate) fn status_db(s: pb::DossierStatus) -> &'static str {
    use pb::DossierStatus as S;
    match s {
        S::Unspecified | S::Received => "RECEIVED",
        S::Incomplete => "INCOMPLETE",
        S::Complete => "COMPLETE",
        S::DebtorNotified => "DEBTOR_NOTIFIED",
        S::Accepted => "ACCEPTED",
        S::Refused => "REFUSED",
        S::MandateProposed => "MANDATE_PROPOSED",
        S::MandateSigned => "MANDATE_SIGNED",
        S::Active => "ACTIVE",
        S::Closed => "CLOSED",
    }
}

/// A stored value the contract does not name: the row is corrupt (or written by a newer
/// version), and showing it as UNSPECIFIED would hide that.
#[derive(Debug, thiserror::Error)]
#[error("stored {what} {value:?} is not a value of the contract")]
pub(crate) struct UnknownStored {
    what: &'static str,
    value: String,
}

impl UnknownStored {
    pub fn new(what: &'static str, value: &str) -> Self {
        Self {
            what,
            value: value.to_owned(),
        }
    }
}

impl From<UnknownStored> for ServiceError {
    fn from(e: UnknownStored) -> Self {
        ServiceError::internal(e)
    }
}

pub(crate) fn status_from_db(s: &str) -> Result<pb::DossierStatus, UnknownStored> {
    pb::DossierStatus::from_str_name(&format!("DOSSIER_STATUS_{s}"))
        .filter(|status| *status != pb::DossierStatus::Unspecified)
        .ok_or_else(|| UnknownStored::new("dossier status", s))
}

/// A dossier row's status, checked as the row is read: a row in a status the contract does
/// not know fails to read (an internal error naming the column), so every caller of
/// `DossierRow::status` works with a real status.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredStatus(pb::DossierStatus);

impl TryFrom<String> for StoredStatus {
    type Error = UnknownStored;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        status_from_db(&s).map(Self)
    }
}

pub(crate) fn stamp(actor: &str, via: Option<&str>, at: DateTime<Utc>) -> pb::AuditStamp {
    pb::AuditStamp {
        actor: actor.to_owned(),
        at: wire::timestamp(at),
        // A direct call has no "via": the contract shows it empty.
        via: via.unwrap_or_default().to_owned(),
    }
}

pub(crate) fn caller_stamp(caller: &Caller) -> pb::AuditStamp {
    stamp(&caller.actor().id, caller.via(), Utc::now())
}

pub(super) fn json_opt<M: serde::de::DeserializeOwned>(
    name: &'static str,
    v: &Option<Json<serde_json::Value>>,
) -> ServiceResult<Option<M>> {
    v.as_ref()
        .map(|j| pbjson::from_json(name, &j.0))
        .transpose()
        .map_err(Into::into)
}

/// Which dossier a request names.
pub(crate) enum DossierKey {
    Application(Uuid),
    Number(String),
}

pub(crate) fn dossier_key(field: &str, r: Option<&pb::DossierRef>) -> ServiceResult<DossierKey> {
    use pb::dossier_ref::Id;
    match r.and_then(|r| r.id.as_ref()) {
        Some(Id::ApplicationId(id)) => Uuid::parse_str(id.trim())
            .map(DossierKey::Application)
            .map_err(|_| {
                ServiceError::invalid_field(
                    format!("{field}.application_id"),
                    "not an application id",
                )
            }),
        Some(Id::DossierNumber(n)) => n
            .trim()
            .parse::<DossierNumber>()
            .map(|n| DossierKey::Number(n.to_string()))
            .map_err(|e| {
                ServiceError::invalid_field(format!("{field}.dossier_number"), e.to_string())
            }),
        None => Err(ServiceError::invalid_field(
            field,
            "give application_id or dossier_number",
        )),
    }
}

/// The dossier row, locked for the rest of the transaction when `lock` is set.
#[tracing::instrument(skip_all)]
pub(crate) async fn find(
    conn: &mut PgConnection,
    key: &DossierKey,
    lock: bool,
) -> ServiceResult<DossierRow> {
    let row: Option<DossierRow> = match (key, lock) {
        (DossierKey::Application(id), true) => {
            sqlx::query_as(concat!(
                "SELECT ",
                dossier_columns!(),
                " FROM dossiers d WHERE d.application_id = $1 FOR UPDATE"
            ))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        (DossierKey::Application(id), false) => {
            sqlx::query_as(concat!(
                "SELECT ",
                dossier_columns!(),
                " FROM dossiers d WHERE d.application_id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        (DossierKey::Number(n), true) => {
            sqlx::query_as(concat!(
                "SELECT ",
                dossier_columns!(),
                " FROM dossiers d WHERE d.dossier_number = $1 FOR UPDATE"
            ))
            .bind(n)
            .fetch_optional(&mut *conn)
            .await?
        }
        (DossierKey::Number(n), false) => {
            sqlx::query_as(concat!(
                "SELECT ",
                dossier_columns!(),
                " FROM dossiers d WHERE d.dossier_number = $1"
            ))
            .bind(n)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    row.ok_or_else(|| ServiceError::not_found("no such dossier"))
}

/// The dossier row by its id, locked for the rest of the transaction.
pub(crate) async fn find_by_id_locked(
    conn: &mut PgConnection,
    id: i64,
) -> ServiceResult<DossierRow> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        dossier_columns!(),
        " FROM dossiers d WHERE d.id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

pub(crate) async fn find_by_id(conn: &mut PgConnection, id: i64) -> ServiceResult<DossierRow> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        dossier_columns!(),
        " FROM dossiers d WHERE d.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// A stored form revision: its protobuf bytes, or its JSON when stored before the bytes were
/// (migration 0008); exactly one of the two (the table's check).
#[derive(sqlx::FromRow)]
struct StoredForm {
    form_protobuf: Option<Vec<u8>>,
    form: Option<Json<pb::ApplicationForm>>,
}

impl StoredForm {
    fn decode(self) -> ServiceResult<pb::ApplicationForm> {
        use prost::Message;
        match (self.form_protobuf, self.form) {
            (Some(bytes), _) => pb::ApplicationForm::decode(bytes.as_slice())
                .map_err(|e| ServiceError::internal(format!("stored form does not decode: {e}"))),
            (None, Some(json)) => Ok(json.0),
            (None, None) => Err(ServiceError::internal("stored form revision holds no form")),
        }
    }
}

/// The current form of a dossier.
pub(crate) async fn current_form(
    conn: &mut PgConnection,
    id: i64,
) -> ServiceResult<pb::ApplicationForm> {
    let stored: StoredForm = sqlx::query_as(
        "SELECT form_protobuf, form FROM application_forms WHERE dossier_id = $1
          ORDER BY revision DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    stored.decode()
}

#[derive(sqlx::FromRow)]
struct Whole {
    #[sqlx(flatten)]
    row: DossierRow,
    #[sqlx(flatten)]
    current_form: StoredForm,
    #[sqlx(flatten)]
    attached: view::Attached,
}

/// The dossier (not locked) with its current form, parties and agents, in one round trip:
/// a dossier read (it was three: GetDossier waited for each).
#[tracing::instrument(skip_all)]
pub(crate) async fn find_whole(
    conn: &mut PgConnection,
    key: &DossierKey,
) -> ServiceResult<pb::Dossier> {
    macro_rules! whole_where {
        ($condition:literal) => {
            concat!(
                "SELECT ",
                dossier_columns!(),
                ", f.form_protobuf, f.form, ",
                view::attached_columns!(),
                " FROM dossiers d
                 JOIN LATERAL (SELECT form_protobuf, form FROM application_forms
                                WHERE dossier_id = d.id ORDER BY revision DESC LIMIT 1) f ON true",
                view::attached_joins!(),
                " WHERE ",
                $condition
            )
        };
    }
    let found: Option<Whole> = match key {
        DossierKey::Application(id) => {
            sqlx::query_as(whole_where!("d.application_id = $1"))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        }
        DossierKey::Number(n) => {
            sqlx::query_as(whole_where!("d.dossier_number = $1"))
                .bind(n)
                .fetch_optional(&mut *conn)
                .await?
        }
    };
    let found = found.ok_or_else(|| ServiceError::not_found("no such dossier"))?;
    view::whole(&found.row, found.current_form.decode()?, found.attached)
}

/// Refuses a call whose expected_version is set and stale.
pub(crate) fn check_version(row: &DossierRow, expected: i64) -> ServiceResult<()> {
    if expected != 0 && expected != row.version {
        return Err(ServiceError::new(
            secal_runtime::ErrorCode::Aborted,
            format!(
                "the dossier is at version {}, not {expected}: someone else changed it",
                row.version
            ),
        )
        .with_reason("DOSSIER_VERSION_MISMATCH"));
    }
    Ok(())
}

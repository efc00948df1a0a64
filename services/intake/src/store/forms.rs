//! The application form of a dossier: the submission that creates the dossier, each new
//! revision of the form (completion, amendment) and the registered persons it names.

use chrono::NaiveDate;
use prost::Message;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::{
    DossierRow, Entry, dossier_columns, status_db,
    view::{Attached, attached_columns, no_agents, party_joins},
};
use crate::pbjson;

/// The dossier columns a form revision sets. `validate::check_form` has refused an unknown
/// kind already; this keeps the stored columns from depending on that alone.
pub(crate) struct FormColumns {
    pub kind: i16,
    pub creditor_count: i32,
}

impl FormColumns {
    pub(crate) fn of(form: &pb::ApplicationForm) -> ServiceResult<Self> {
        let kind = pb::ApplicationKind::try_from(form.kind)
            .ok()
            .filter(|k| *k != pb::ApplicationKind::Unspecified)
            .ok_or_else(|| {
                ServiceError::invalid_field("form.kind", "KIND_REQUIRED: not an application kind")
            })?;
        let creditor_count = i32::try_from(form.creditors.len()).map_err(|_| {
            ServiceError::invalid_field("form.creditors", "TOO_MANY: more creditors than stored")
        })?;
        Ok(Self {
            kind: kind as i16,
            creditor_count,
        })
    }
}

/// The form's parties with their registry ids (`persons` registers them), one entry per
/// party, and the applicant's and debtor's among them.
pub(crate) struct LinkedParties {
    pub person_ids: Vec<i64>,
    pub roles: Vec<&'static str>,
    pub creditor_keys: Vec<String>,
    pub applicant: Option<i64>,
    pub debtor: Option<i64>,
}

/// What is missing from a form, as the dossier stores it.
fn missing_items_json(missing: &[pb::FieldViolation]) -> ServiceResult<Json<serde_json::Value>> {
    Ok(Json(serde_json::Value::Array(
        missing
            .iter()
            .map(|m| pbjson::to_json(pbjson::FIELD_VIOLATION, m))
            .collect::<Result<_, _>>()?,
    )))
}

/// A new dossier as a submission stores it.
pub(crate) struct NewDossier<'a> {
    pub form: &'a pb::ApplicationForm,
    pub columns: &'a FormColumns,
    pub channel: i16,
    pub received_on: NaiveDate,
    pub status: pb::DossierStatus,
    pub completed_on: Option<NaiveDate>,
    pub decision_deadline: Option<NaiveDate>,
    pub missing_items: &'a [pb::FieldViolation],
    /// `None` when not assessed.
    pub admissible: Option<bool>,
    pub assessment: &'a pb::AdmissibilityAssessment,
    /// The first history entries, sequences 1 and 2; their actor is the caller's.
    pub history: [Entry<'a>; 2],
    pub caller: &'a Caller,
}

/// The statement of [`insert_application`].
const INSERT_APPLICATION: &str = concat!(
    "WITH d AS (
             INSERT INTO dossiers (application_id, status, kind, channel, received_on,
                                   completed_on, decision_deadline, missing_items, creditor_count,
                                   admissible, admissibility, created_by, created_via,
                                   changed_by, changed_via, applicant_person_id, debtor_person_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $13, $14, $15)
             RETURNING *
         ), form AS (
             INSERT INTO application_forms (dossier_id, revision, form_protobuf, recorded_by,
                                            recorded_via)
             SELECT d.id, d.form_revision, $16, $12, $13 FROM d
         ), parties AS (
             INSERT INTO dossier_parties (dossier_id, person_id, role, creditor_key,
                                          registered_by, registered_via)
             SELECT DISTINCT d.id, u.p, u.r, u.k, $12, $13
               FROM d, unnest($17::bigint[], $18::text[], $19::text[]) AS u(p, r, k)
             RETURNING dossier_id, person_id, role, creditor_key, registered_by, registered_via,
                       registered_at
         ), history AS (
             INSERT INTO dossier_history (dossier_id, sequence, kind, from_status, to_status,
                                          effective_on, actor, via, note, form_revision,
                                          dossier_version)
             SELECT d.id, u.seq, u.kind, u.from_status, u.to_status, u.effective_on, $12, $13,
                    u.note, d.form_revision, d.version
               FROM d, unnest($20::bigint[], $21::smallint[], $22::text[], $23::text[],
                              $24::date[], $25::text[])
                       AS u(seq, kind, from_status, to_status, effective_on, note)
         )
         SELECT ",
    dossier_columns!(),
    ", ",
    attached_columns!(),
    " FROM d",
    party_joins!("parties"),
    no_agents!()
);

/// The row of a new dossier and its parties as the dossier's reads give them.
#[derive(sqlx::FromRow)]
pub(crate) struct InsertedApplication {
    #[sqlx(flatten)]
    pub row: DossierRow,
    #[sqlx(flatten)]
    pub attached: Attached,
}

/// The dossier, its first form revision, its parties and its first history entries in one
/// statement, which also gives back the parties as the dossier's reads show them: this is
/// the hot path of every submission, and each statement of it was a round trip to the
/// database.
#[tracing::instrument(skip_all)]
pub(crate) async fn insert_application(
    conn: &mut PgConnection,
    new: &NewDossier<'_>,
    parties: &LinkedParties,
) -> ServiceResult<InsertedApplication> {
    let history = &new.history;
    let inserted = sqlx::query_as(INSERT_APPLICATION)
        .bind(Uuid::new_v4())
        .bind(status_db(new.status))
        .bind(new.columns.kind)
        .bind(new.channel)
        .bind(new.received_on)
        .bind(new.completed_on)
        .bind(new.decision_deadline)
        .bind(missing_items_json(new.missing_items)?)
        .bind(new.columns.creditor_count)
        .bind(new.admissible)
        .bind(Json(pbjson::to_json(
            pbjson::ADMISSIBILITY,
            new.assessment,
        )?))
        .bind(&new.caller.actor().id)
        .bind(new.caller.via())
        .bind(parties.applicant)
        .bind(parties.debtor)
        // The contract's own encoding (migration 0008 says why).
        .bind(new.form.encode_to_vec())
        .bind(&parties.person_ids)
        .bind(&parties.roles)
        .bind(&parties.creditor_keys)
        .bind(vec![1_i64, 2])
        .bind(history.iter().map(|e| e.kind as i16).collect::<Vec<_>>())
        .bind(
            history
                .iter()
                .map(|e| e.from.map(status_db))
                .collect::<Vec<_>>(),
        )
        .bind(
            history
                .iter()
                .map(|e| e.to.map(status_db))
                .collect::<Vec<_>>(),
        )
        .bind(history.iter().map(|e| e.effective_on).collect::<Vec<_>>())
        .bind(history.iter().map(|e| e.note.as_str()).collect::<Vec<_>>())
        .fetch_one(&mut *conn)
        .await?;
    Ok(inserted)
}

/// Stores a revision of the form, effective from a date when it amends an active dossier.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_form(
    conn: &mut PgConnection,
    dossier_id: i64,
    revision: i32,
    form: &pb::ApplicationForm,
    effective_from: Option<NaiveDate>,
    caller: &Caller,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO application_forms (dossier_id, revision, form_protobuf, effective_from,
                                        recorded_by, recorded_via)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(dossier_id)
    .bind(revision)
    // As a submission's first revision.
    .bind(form.encode_to_vec())
    .bind(effective_from)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Links the registered parties of a form revision to the dossier (those already linked
/// stay as they are) and notes its applicant and debtor; nothing when the form names none.
#[tracing::instrument(skip_all)]
pub(crate) async fn link_parties(
    conn: &mut PgConnection,
    dossier_id: i64,
    parties: &LinkedParties,
    caller: &Caller,
) -> ServiceResult<()> {
    if parties.person_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO dossier_parties (dossier_id, person_id, role, creditor_key, registered_by,
                                      registered_via)
         SELECT $1, p, r, k, $5, $6 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(p, r, k)
         ON CONFLICT DO NOTHING",
    )
    .bind(dossier_id)
    .bind(&parties.person_ids)
    .bind(&parties.roles)
    .bind(&parties.creditor_keys)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE dossiers SET applicant_person_id = COALESCE($2, applicant_person_id),
                debtor_person_id = COALESCE($3, debtor_person_id) WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(parties.applicant)
    .bind(parties.debtor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A completed form, as CompleteApplication judged it.
pub(crate) struct Completion<'a> {
    pub revision: i32,
    pub form: &'a pb::ApplicationForm,
    pub columns: &'a FormColumns,
    /// The status the dossier moves to: complete, or still incomplete.
    pub status: pb::DossierStatus,
    pub completed_on: Option<NaiveDate>,
    pub decision_deadline: Option<NaiveDate>,
    pub missing_items: &'a [pb::FieldViolation],
    /// `None` when not assessed.
    pub admissible: Option<bool>,
    pub assessment: &'a pb::AdmissibilityAssessment,
}

/// Stores the completion's columns, then its form as the new revision. Status and deadline
/// change together: the table checks they agree.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_completion(
    conn: &mut PgConnection,
    dossier_id: i64,
    c: &Completion<'_>,
    caller: &Caller,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET form_revision = $2, missing_items = $3, completed_on = $4,
                decision_deadline = $5, admissible = $6, admissibility = $7, kind = $8,
                creditor_count = $9, status = $10
          WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(c.revision)
    .bind(missing_items_json(c.missing_items)?)
    .bind(c.completed_on)
    .bind(c.decision_deadline)
    .bind(c.admissible)
    .bind(Json(pbjson::to_json(pbjson::ADMISSIBILITY, c.assessment)?))
    .bind(c.columns.kind)
    .bind(c.columns.creditor_count)
    .bind(status_db(c.status))
    .execute(&mut *conn)
    .await?;
    record_form(conn, dossier_id, c.revision, c.form, None, caller).await
}

/// An amendment of an active dossier: the new revision's columns, then the amended form,
/// effective from its date.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_amendment(
    conn: &mut PgConnection,
    dossier_id: i64,
    revision: i32,
    columns: &FormColumns,
    form: &pb::ApplicationForm,
    effective_from: NaiveDate,
    caller: &Caller,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET form_revision = $2, kind = $3, creditor_count = $4 WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(revision)
    .bind(columns.kind)
    .bind(columns.creditor_count)
    .execute(&mut *conn)
    .await?;
    record_form(
        conn,
        dossier_id,
        revision,
        form,
        Some(effective_from),
        caller,
    )
    .await
}

/// The missing items a case officer names when sending a complete file back: the dossier
/// is incomplete again, without a completion date or decision deadline.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_missing_items(
    conn: &mut PgConnection,
    dossier_id: i64,
    missing: &[pb::FieldViolation],
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET missing_items = $2, completed_on = NULL, decision_deadline = NULL,
                    status = 'INCOMPLETE'
              WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(missing_items_json(missing)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

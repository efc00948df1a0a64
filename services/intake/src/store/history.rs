//! The dossier's status, version and history: every change of a dossier bumps its version
//! and appends to its history, in the caller's transaction.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceResult};
use sqlx::PgConnection;

use super::{DossierRow, status_db};

/// Moves the dossier to `to`, bumping its version; returns the new version.
pub(crate) async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    to: pb::DossierStatus,
    caller: &Caller,
) -> ServiceResult<i64> {
    let (version,): (i64,) = sqlx::query_as(
        "UPDATE dossiers SET status = $2, version = version + 1, changed_by = $3,
                changed_via = $4, changed_at = now()
          WHERE id = $1 RETURNING version",
    )
    .bind(id)
    .bind(status_db(to))
    .bind(&caller.actor().id)
    .bind(caller.via())
    .fetch_one(&mut *conn)
    .await?;
    Ok(version)
}

/// Moves the dossier from its current status to `to` and records the transition in its
/// history, in the caller's transaction: a status never changes without its entry.
pub(crate) async fn transition(
    conn: &mut PgConnection,
    row: &DossierRow,
    to: pb::DossierStatus,
    caller: &Caller,
    effective_on: Option<NaiveDate>,
    note: impl Into<String>,
) -> ServiceResult<()> {
    set_status(conn, row.id, to, caller).await?;
    append_history(
        conn,
        row.id,
        Entry::transition(caller, row.status(), to, effective_on, note),
    )
    .await
}

/// One history entry to append.
pub(crate) struct Entry<'a> {
    pub kind: pb::DossierHistoryKind,
    pub from: Option<pb::DossierStatus>,
    pub to: Option<pb::DossierStatus>,
    pub effective_on: Option<NaiveDate>,
    pub note: String,
    /// Who made the change, and through which system.
    pub actor: &'a str,
    pub via: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn transition(
        caller: &'a Caller,
        from: pb::DossierStatus,
        to: pb::DossierStatus,
        effective_on: Option<NaiveDate>,
        note: impl Into<String>,
    ) -> Self {
        Self {
            kind: pb::DossierHistoryKind::Transition,
            from: Some(from),
            to: Some(to),
            effective_on,
            note: note.into(),
            actor: &caller.actor().id,
            via: caller.via(),
        }
    }

    /// An entry by whoever a feed event names (no caller of this process).
    pub fn other_by(
        actor: &'a str,
        via: Option<&'a str>,
        kind: pb::DossierHistoryKind,
        note: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            from: None,
            to: None,
            effective_on: None,
            note: note.into(),
            actor,
            via,
        }
    }

    pub fn other(
        caller: &'a Caller,
        kind: pb::DossierHistoryKind,
        note: impl Into<String>,
    ) -> Self {
        Self::other_by(&caller.actor().id, caller.via(), kind, note)
    }
}

/// Appends to the history, with the dossier's form revision and version as they now are.
/// The dossier row is locked by the caller, so the next sequence cannot be taken twice.
#[tracing::instrument(skip_all)]
pub(crate) async fn append_history(
    conn: &mut PgConnection,
    dossier_id: i64,
    e: Entry<'_>,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO dossier_history (dossier_id, sequence, kind, from_status, to_status,
                effective_on, actor, via, note, form_revision, dossier_version)
         SELECT d.id,
                COALESCE((SELECT max(sequence) FROM dossier_history h WHERE h.dossier_id = d.id), 0) + 1,
                $2, $3, $4, $5, $6, $7, $8, d.form_revision, d.version
           FROM dossiers d WHERE d.id = $1",
    )
    .bind(dossier_id)
    .bind(e.kind as i16)
    .bind(e.from.map(status_db))
    .bind(e.to.map(status_db))
    .bind(e.effective_on)
    .bind(e.actor)
    .bind(e.via)
    .bind(&e.note)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

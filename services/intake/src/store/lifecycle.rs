//! What each step of a dossier's lifecycle records on the dossier row, beside its status
//! (see `history`): the debtor's notification, the admissibility, the decision, the
//! mandate, the activation and the closure.

use chrono::NaiveDate;
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceResult, wire};
use sqlx::{PgConnection, types::Json};

use super::DossierRow;
use crate::pbjson;

/// The debtor's registered letter; the window it opens is unknown until the post's tracking
/// is recorded (`record_debtor_notice_tracking`).
#[tracing::instrument(skip_all)]
pub(crate) async fn record_debtor_notification(
    conn: &mut PgConnection,
    dossier_id: i64,
    notified_on: NaiveDate,
    notification: &pb::DebtorNotification,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET debtor_notified_on = $2, debtor_response_deadline = NULL,
                    debtor_notification = $3 WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(notified_on)
    .bind(Json(pbjson::to_json(pbjson::NOTIFICATION, notification)?))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The current debtor notice's letter id, if the notification names one (notifications
/// recorded before letters were issued do not).
pub(crate) fn debtor_notice_letter(row: &DossierRow) -> ServiceResult<Option<uuid::Uuid>> {
    let Some(n) =
        super::json_opt::<pb::DebtorNotification>(pbjson::NOTIFICATION, &row.debtor_notification)?
    else {
        return Ok(None);
    };
    Ok(uuid::Uuid::parse_str(&n.letter_id).ok())
}

/// What the post's tracking said of the current debtor notice: delivered or presented on a
/// date (the window runs to `deadline`), or returned (both `None`). A change of the dossier:
/// its version moves and its history says so.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_debtor_notice_tracking(
    conn: &mut PgConnection,
    row: &DossierRow,
    delivered_on: Option<NaiveDate>,
    deadline: Option<NaiveDate>,
    caller: &Caller,
) -> ServiceResult<()> {
    let mut n =
        super::json_opt::<pb::DebtorNotification>(pbjson::NOTIFICATION, &row.debtor_notification)?
            .unwrap_or_default();
    n.delivered_on = delivered_on.map(wire::date_to_pb);
    n.response_deadline = deadline.map(wire::date_to_pb);
    sqlx::query(
        "UPDATE dossiers SET debtor_response_deadline = $2, debtor_notification = $3,
                version = version + 1, changed_by = $4, changed_via = $5, changed_at = now()
          WHERE id = $1",
    )
    .bind(row.id)
    .bind(deadline)
    .bind(Json(pbjson::to_json(pbjson::NOTIFICATION, &n)?))
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    let note = match (delivered_on, deadline) {
        (Some(on), Some(end)) => {
            format!("debtor notice delivered on {on}: the debtor may prove payment until {end}")
        }
        _ => "debtor notice returned undelivered: send it again".to_owned(),
    };
    super::append_history(
        conn,
        row.id,
        super::Entry::other(caller, pb::DossierHistoryKind::LetterTracked, note),
    )
    .await
}

/// An admissibility assessment made again for the decision; `admissible` is `None` when it
/// is still not assessed.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_reassessment(
    conn: &mut PgConnection,
    dossier_id: i64,
    admissible: Option<bool>,
    assessment: &pb::AdmissibilityAssessment,
) -> ServiceResult<()> {
    sqlx::query("UPDATE dossiers SET admissible = $2, admissibility = $3 WHERE id = $1")
        .bind(dossier_id)
        .bind(admissible)
        .bind(Json(pbjson::to_json(pbjson::ADMISSIBILITY, assessment)?))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An acceptance: the decision and the dossier number it gives.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_acceptance(
    conn: &mut PgConnection,
    dossier_id: i64,
    number: &DossierNumber,
    decided_on: NaiveDate,
    decision: &pb::DossierDecision,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET dossier_number = $2, decided_on = $3, decision = $4 WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(number.to_string())
    .bind(decided_on)
    .bind(Json(pbjson::to_json(pbjson::DECISION, decision)?))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A refusal: the decision, with its reasons and motivation.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_refusal(
    conn: &mut PgConnection,
    dossier_id: i64,
    decided_on: NaiveDate,
    decision: &pb::DossierDecision,
) -> ServiceResult<()> {
    sqlx::query("UPDATE dossiers SET decided_on = $2, decision = $3 WHERE id = $1")
        .bind(dossier_id)
        .bind(decided_on)
        .bind(Json(pbjson::to_json(pbjson::DECISION, decision)?))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The mandate as it now stands: proposed, then signed.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_mandate(
    conn: &mut PgConnection,
    dossier_id: i64,
    mandate: &pb::Mandate,
) -> ServiceResult<()> {
    sqlx::query("UPDATE dossiers SET mandate = $2 WHERE id = $1")
        .bind(dossier_id)
        .bind(Json(pbjson::to_json(pbjson::MANDATE, mandate)?))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The date the dossier is active from.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_activation(
    conn: &mut PgConnection,
    dossier_id: i64,
    active_from: NaiveDate,
) -> ServiceResult<()> {
    sqlx::query("UPDATE dossiers SET active_from = $2 WHERE id = $1")
        .bind(dossier_id)
        .bind(active_from)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A closure: the dossier is closed, and a decision deadline still running ends with it.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_closure(
    conn: &mut PgConnection,
    dossier_id: i64,
    closed_on: NaiveDate,
    closure: &pb::DossierClosure,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET closed_on = $2, closure = $3, status = 'CLOSED',
                    decision_deadline = CASE WHEN status IN ('COMPLETE', 'DEBTOR_NOTIFIED')
                                             THEN NULL ELSE decision_deadline END
              WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(closed_on)
    .bind(Json(pbjson::to_json(pbjson::CLOSURE, closure)?))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

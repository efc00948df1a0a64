//! What each step of a dossier's lifecycle records on the dossier row, beside its status
//! (see `history`): the debtor's notification, the admissibility, the decision, the
//! mandate, the activation and the closure.

use chrono::NaiveDate;
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::ServiceResult;
use sqlx::{PgConnection, types::Json};

use crate::pbjson;

/// The debtor's registered letter and the end of the window it opens.
#[tracing::instrument(skip_all)]
pub(crate) async fn record_debtor_notification(
    conn: &mut PgConnection,
    dossier_id: i64,
    notified_on: NaiveDate,
    response_deadline: NaiveDate,
    notification: &pb::DebtorNotification,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE dossiers SET debtor_notified_on = $2, debtor_response_deadline = $3,
                    debtor_notification = $4 WHERE id = $1",
    )
    .bind(dossier_id)
    .bind(notified_on)
    .bind(response_deadline)
    .bind(Json(pbjson::to_json(pbjson::NOTIFICATION, notification)?))
    .execute(&mut *conn)
    .await?;
    Ok(())
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

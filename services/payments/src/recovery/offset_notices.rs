//! The notices of a tax-refund compensation: before it (requested with the proposal, one per
//! dossier part; the confirmation waits until it has gone out) and after it (requested with
//! the confirmation), or its cancellation (requested with CancelTaxRefundOffset for the parts
//! whose pre-offset notice was requested). Intake issues them to the debtor through the
//! case-work feed.

use chrono::NaiveDate;
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgConnection;

use crate::{
    casework::{By, letters},
    ledger,
};

/// What a notice says of one part.
pub(crate) struct PartNotice<'a> {
    pub refund: &'a str,
    pub assessment_year: i32,
    pub refund_cents: i64,
    pub dossier: &'a str,
    pub offset_cents: i64,
    pub debt_before_cents: i64,
}

fn payment_reference(dossier: &str) -> String {
    // A dossier payments keeps has intake's number; a number it cannot read gets no reference
    // printed rather than a wrong one.
    dossier
        .parse::<DossierNumber>()
        .map(|n| n.payment_reference().to_string())
        .unwrap_or_default()
}

fn notice(
    kind: pb::LetterKind,
    n: &PartNotice<'_>,
    today: NaiveDate,
    planned_on: Option<NaiveDate>,
    paid_on: Option<NaiveDate>,
) -> pb::LetterRequest {
    use secal_runtime::wire::date_to_pb;
    pb::LetterRequest {
        kind: kind as i32,
        recipient: pb::DossierRole::Debtor as i32,
        issued_on: Some(date_to_pb(today)),
        dispatch: None,
        content: Some(pb::letter_request::Content::Offset(pb::OffsetNotice {
            refund_id: n.refund.to_owned(),
            assessment_year: n.assessment_year,
            refund_amount: Some(ledger::cents_pb(n.refund_cents)),
            offset_amount: Some(ledger::cents_pb(n.offset_cents)),
            debt_before: Some(ledger::cents_pb(n.debt_before_cents)),
            paid_on: paid_on.map(date_to_pb),
            payment_reference: payment_reference(n.dossier),
            planned_on: planned_on.map(date_to_pb),
        })),
    }
}

/// Requests a part's pre-offset notice and keeps its feed event on the part.
pub(crate) async fn request_pre(
    conn: &mut PgConnection,
    n: &PartNotice<'_>,
    today: NaiveDate,
    planned_on: Option<NaiveDate>,
    by: By<'_>,
) -> ServiceResult<()> {
    let letter = notice(pb::LetterKind::PreOffsetNotice, n, today, planned_on, None);
    request(conn, n, &letter, Which::Pre, by).await
}

/// Requests a part's post-offset notice and keeps its feed event on the part.
pub(crate) async fn request_post(
    conn: &mut PgConnection,
    n: &PartNotice<'_>,
    today: NaiveDate,
    paid_on: NaiveDate,
    by: By<'_>,
) -> ServiceResult<()> {
    let letter = notice(
        pb::LetterKind::PostOffsetNotice,
        n,
        today,
        None,
        Some(paid_on),
    );
    request(conn, n, &letter, Which::Post, by).await
}

/// Requests a part's cancellation notice (its pre-offset notice announced the offset); kept
/// where the post-offset notice would be: a part has one or the other.
pub(crate) async fn request_cancelled(
    conn: &mut PgConnection,
    n: &PartNotice<'_>,
    today: NaiveDate,
    by: By<'_>,
) -> ServiceResult<()> {
    let letter = notice(pb::LetterKind::OffsetCancelled, n, today, None, None);
    request(conn, n, &letter, Which::Cancelled, by).await
}

/// Which of a part's notices: before, and after (taken, or cancelled).
#[derive(Clone, Copy)]
enum Which {
    Pre,
    Post,
    Cancelled,
}

async fn request(
    conn: &mut PgConnection,
    n: &PartNotice<'_>,
    letter: &pb::LetterRequest,
    which: Which,
    by: By<'_>,
) -> ServiceResult<()> {
    let (name, store) = match which {
        Which::Pre => (
            "pre-offset-notice",
            "UPDATE tax_refund_offset_parts SET pre_notice_sequence = $3
              WHERE refund_id = $1 AND dossier_number = $2",
        ),
        Which::Post => (
            "post-offset-notice",
            "UPDATE tax_refund_offset_parts SET post_notice_sequence = $3
              WHERE refund_id = $1 AND dossier_number = $2",
        ),
        Which::Cancelled => (
            "offset-cancelled",
            "UPDATE tax_refund_offset_parts SET post_notice_sequence = $3
              WHERE refund_id = $1 AND dossier_number = $2",
        ),
    };
    let subject = format!("{name}:{}/{}", n.refund, n.dossier);
    let sequence = letters::request(conn, n.dossier, subject, letter, by).await?;
    sqlx::query(store)
        .bind(n.refund)
        .bind(n.dossier)
        .bind(sequence)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether every part's pre-offset notice has gone out (intake applied its event).
pub(crate) async fn pre_notices_sent(conn: &mut PgConnection, refund: &str) -> ServiceResult<bool> {
    let applied = letters::applied_through(conn).await?;
    let waiting: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM tax_refund_offset_parts
                         WHERE refund_id = $1 AND pre_notice_sequence > $2)",
    )
    .bind(refund)
    .bind(applied)
    .fetch_one(conn)
    .await?;
    Ok(!waiting)
}

/// The confirmation's gate: the debtor was told before the refund is taken.
pub(crate) async fn require_pre_notices_sent(
    conn: &mut PgConnection,
    refund: &str,
) -> ServiceResult<()> {
    if pre_notices_sent(conn, refund).await? {
        return Ok(());
    }
    Err(ServiceError::failed_precondition(
        "PRE_OFFSET_NOTICE_PENDING",
        format!(
            "the debtor's pre-offset notice for refund {refund} has not gone out yet: confirm \
             once it has (GetTaxRefundOffset.pre_offset_notices_sent)"
        ),
    ))
}

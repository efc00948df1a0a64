//! Indefinite suspension of recovery for an insolvent debtor: granted with a review date (the
//! debtor's active plans end in the same transaction and his certified debt is withdrawn),
//! reviewed (continue until a next review, or lift), listed (e.g. due for review).

use chrono::{DateTime, NaiveDate, Utc};
use secal_proto::v1::{self as pb, SuspensionReviewOutcome as O};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult, Violations, idempotency, wire,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::api::PaymentsApi;
use crate::casework::{self, By};
use crate::ledger::booking::Booking;

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    id: Uuid,
    debtor_person_id: String,
    dossier_numbers: Vec<String>,
    effective_from: NaiveDate,
    review_on: NaiveDate,
    lifted_on: Option<NaiveDate>,
    grounds: String,
    granted_by: String,
    granted_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    suspension_id: Uuid,
    reviewed_on: NaiveDate,
    outcome: i16,
    next_review_on: Option<NaiveDate>,
    note: String,
    reviewed_by: String,
    reviewed_via: Option<String>,
    reviewed_at: DateTime<Utc>,
}

const COLUMNS: &str = "seq, id, debtor_person_id, dossier_numbers, effective_from, review_on, \
     lifted_on, grounds, granted_by, granted_at";

/// The suspensions with their reviews (one query for all).
async fn to_pb(conn: &mut PgConnection, rows: &[Row]) -> ServiceResult<Vec<pb::Suspension>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let reviews: Vec<ReviewRow> = sqlx::query_as(
        "SELECT suspension_id, reviewed_on, outcome, next_review_on, note, reviewed_by,
                reviewed_via, reviewed_at
         FROM suspension_reviews WHERE suspension_id = ANY($1) ORDER BY suspension_id, position",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| pb::Suspension {
            suspension_id: r.id.to_string(),
            debtor_person_id: r.debtor_person_id.clone(),
            dossier_numbers: r.dossier_numbers.clone(),
            status: if r.lifted_on.is_some() {
                pb::SuspensionStatus::Lifted
            } else {
                pb::SuspensionStatus::Active
            } as i32,
            effective_from: Some(wire::date_to_pb(r.effective_from)),
            review_on: Some(wire::date_to_pb(r.review_on)),
            grounds: r.grounds.clone(),
            reviews: reviews
                .iter()
                .filter(|v| v.suspension_id == r.id)
                .map(|v| pb::SuspensionReview {
                    reviewed_on: Some(wire::date_to_pb(v.reviewed_on)),
                    outcome: i32::from(v.outcome),
                    next_review_on: v.next_review_on.map(wire::date_to_pb),
                    note: v.note.clone(),
                    reviewed: Some(pb::AuditStamp {
                        actor: v.reviewed_by.clone(),
                        at: wire::timestamp(v.reviewed_at),
                        // Optional: a review recorded without a channel.
                        via: v.reviewed_via.clone().unwrap_or_default(),
                    }),
                })
                .collect(),
            lifted_on: r.lifted_on.map(wire::date_to_pb),
            granted: Some(pb::AuditStamp {
                actor: r.granted_by.clone(),
                at: wire::timestamp(r.granted_at),
                via: String::new(),
            }),
        })
        .collect())
}

async fn load_one(conn: &mut PgConnection, id: Uuid) -> ServiceResult<pb::Suspension> {
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM suspensions WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    to_pb(conn, std::slice::from_ref(&row))
        .await?
        .pop()
        .ok_or_else(|| ServiceError::not_found(format!("no suspension {id}")))
}

/// The certified debt of every national number the debtor has, after a change of suspension.
async fn refresh_certified(conn: &mut Booking, person: &str) -> ServiceResult<()> {
    let nns: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT debtor_national_number FROM dossier_states
         WHERE debtor_person_id = $1 AND debtor_national_number IS NOT NULL",
    )
    .bind(person)
    .fetch_all(&mut **conn)
    .await?;
    for nn in nns {
        conn.touch_debtor(&nn);
    }
    Ok(())
}

/// The dossiers a new suspension covers: those named, each the debtor's, or else all the
/// debtor's. Refused while another suspension of the debtor is in force (one at a time: it is
/// reviewed or lifted, not granted again); checked under the debtor's lock, so that two
/// grants at once cannot both pass (the unique index `suspensions_one_in_force` backs it).
async fn covered(
    conn: &mut PgConnection,
    person: &str,
    named: Vec<String>,
) -> ServiceResult<Vec<String>> {
    crate::recovery::debtors::lock(&mut *conn, person).await?;
    if let Some(id) = crate::recovery::debtors::suspension_in_force(&mut *conn, person).await? {
        return Err(ServiceError::failed_precondition(
            "SUSPENSION_IN_FORCE",
            format!("suspension {id} is in force for this debtor: review it instead"),
        ));
    }
    if !named.is_empty() {
        crate::recovery::debtors::check_owned(conn, person, &named).await?;
        return Ok(named);
    }
    let all = crate::recovery::debtors::dossiers_of(conn, person).await?;
    if all.is_empty() {
        return Err(ServiceError::failed_precondition(
            "DEBTOR_UNKNOWN",
            "no dossier names this person as its debtor",
        ));
    }
    Ok(all)
}

/// A grant, checked.
struct GrantCommand {
    key: String,
    person: String,
    from: NaiveDate,
    review: NaiveDate,
    dossiers: Vec<String>,
}

impl TryFrom<&pb::GrantSuspensionRequest> for GrantCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GrantSuspensionRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let person = req.debtor_person_id.trim().to_owned();
        if person.is_empty() {
            v.add("debtor_person_id", "required");
        }
        let from = v.take_all(wire::date_from_pb(
            "effective_from",
            req.effective_from.as_ref(),
        ));
        let review = v.take_all(wire::date_from_pb("review_on", req.review_on.as_ref()));
        if from
            .zip(review)
            .is_some_and(|(from, review)| review <= from)
        {
            v.add("review_on", "must be after effective_from");
        }
        if req.grounds.trim().is_empty() {
            v.add("grounds", "required");
        }
        let dossiers = crate::recovery::debtors::parse_numbers(&req.dossier_numbers, &mut v);
        v.finish(|| {
            Some(GrantCommand {
                key: key?,
                person,
                from: from?,
                review: review?,
                dossiers,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn grant(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::GrantSuspensionRequest,
) -> ServiceResult<pb::GrantSuspensionResponse> {
    let pool = &api.pool;
    let GrantCommand {
        key,
        person,
        from,
        review,
        dossiers,
    } = GrantCommand::try_from(&req)?;
    let mut tx = Booking::begin(pool).await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, GRANT, &key, &req).await?
    {
        return Ok(resp);
    }
    let dossiers = covered(&mut tx, &person, dossiers).await?;
    let actor = &caller.actor().id;
    let ended_plans =
        crate::recovery::plans::end_for_suspension(&mut tx, &person, from, actor).await?;
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO suspensions (id, debtor_person_id, dossier_numbers, effective_from, review_on,
                                  grounds, granted_by, lookup_access_log_sequence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(&person)
    .bind(&dossiers)
    .bind(from)
    .bind(review)
    .bind(req.grounds.trim())
    .bind(actor)
    .bind(req.lookup_access_log_sequence)
    .execute(&mut *tx)
    .await?;
    refresh_certified(&mut tx, &person).await?;
    let resp = pb::GrantSuspensionResponse {
        suspension: Some(load_one(&mut tx, id).await?),
        ended_plan_ids: ended_plans.iter().map(Uuid::to_string).collect(),
    };
    // The ended plans leave no missed instalment to chase; the suspension is to be reviewed.
    let mut events =
        crate::recovery::plans::missed_instalment_closings(&mut tx, &ended_plans, GRANT).await?;
    events.push(review_due(id, &dossiers, review));
    casework::write(&mut tx, events, By::of(caller)).await?;
    // The debtor is told, in the dossier's language (intake issues the letter).
    if let Some(dossier) = dossiers.first() {
        let letter = suspension_letter(from, review, ended_plans.len());
        let subject = format!("suspension-letter:{id}");
        casework::letters::request(&mut tx, dossier, subject, &letter, By::of(caller)).await?;
    }
    idempotency::complete(&mut tx, GRANT, &key, &resp).await?;
    tx.commit().await?;
    tracing::info!(
        plans_ended = resp.ended_plan_ids.len(),
        "suspension granted"
    );
    Ok(resp)
}

/// The suspension's letter to the debtor.
fn suspension_letter(from: NaiveDate, review: NaiveDate, ended_plans: usize) -> pb::LetterRequest {
    use secal_runtime::wire::date_to_pb;
    pb::LetterRequest {
        kind: pb::LetterKind::Suspension as i32,
        recipient: pb::DossierRole::Debtor as i32,
        issued_on: Some(date_to_pb(casework::today())),
        dispatch: None,
        content: Some(pb::letter_request::Content::Suspension(
            pb::SuspensionNotice {
                effective_from: Some(date_to_pb(from)),
                review_on: Some(date_to_pb(review)),
                ended_plans: i32::try_from(ended_plans).unwrap_or(i32::MAX),
            },
        )),
    }
}

const GRANT: &str = "GrantSuspension";
const REVIEW: &str = "ReviewSuspension";

/// A suspension's review, as case work: due on the review date, listed 14 days before it (at
/// once when that is past); closed by ReviewSuspension.
fn review_due(id: Uuid, dossiers: &[String], review_on: NaiveDate) -> casework::Event {
    let ahead = review_on
        .checked_sub_days(chrono::Days::new(14))
        .unwrap_or(review_on);
    casework::Event::Opened(casework::Opening {
        kind: pb::TaskKind::SuspensionReview,
        subject: casework::subject::suspension(id),
        dossier_number: dossiers.first().cloned().unwrap_or_default(),
        listed_from: ahead.max(casework::today()),
        due_on: review_on,
        summary: format!(
            "Review suspension of recovery {id} ({}) by {review_on}: continue it to a next \
             review date or lift it (ReviewSuspension)",
            casework::on_dossiers(dossiers)
        ),
    })
}

/// A review, checked.
struct Review {
    key: String,
    id: Uuid,
    reviewed_on: NaiveDate,
    outcome: O,
    /// The next review when the suspension continues; `None` when it is lifted.
    next: Option<NaiveDate>,
}

impl TryFrom<&pb::ReviewSuspensionRequest> for Review {
    type Error = ServiceError;

    fn try_from(req: &pb::ReviewSuspensionRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let id = v.take(
            req.suspension_id
                .trim()
                .parse::<Uuid>()
                .map_err(|_| FieldViolation::new("suspension_id", "not a suspension id")),
        );
        let reviewed_on = v.take_all(wire::date_from_pb("reviewed_on", req.reviewed_on.as_ref()));
        let next = v.take_all(wire::optional_date_from_pb(
            "next_review_on",
            req.next_review_on.as_ref(),
        ));
        // An unknown outcome is told apart below, like UNSPECIFIED.
        let outcome = O::try_from(req.outcome).ok();
        let next = match (outcome, next) {
            // An unreadable date is already a violation.
            (_, None) => None,
            // The order of the dates is judged once both parsed.
            (Some(O::Continue), Some(Some(n))) => match reviewed_on {
                Some(on) if n <= on => {
                    v.add("next_review_on", "must be after reviewed_on");
                    None
                }
                _ => Some(Some(n)),
            },
            (Some(O::Continue), Some(None)) => {
                v.add("next_review_on", "required with CONTINUE");
                None
            }
            (Some(O::Lift), Some(None)) => Some(None),
            (Some(O::Lift), Some(Some(_))) => {
                v.add("next_review_on", "not with LIFT");
                None
            }
            _ => {
                v.add("outcome", "CONTINUE or LIFT");
                None
            }
        };
        v.finish(|| {
            Some(Review {
                key: key?,
                id: id?,
                reviewed_on: reviewed_on?,
                outcome: outcome?,
                next: next?,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn review(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ReviewSuspensionRequest,
) -> ServiceResult<pb::ReviewSuspensionResponse> {
    let pool = &api.pool;
    let r = Review::try_from(&req)?;
    let mut tx = Booking::begin(pool).await?;
    if let idempotency::Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, REVIEW, &r.key, &req).await?
    {
        return Ok(resp);
    }
    let row = reviewable(&mut tx, &r).await?;
    record_review(&mut tx, caller, &r, req.note.trim()).await?;
    if r.outcome == O::Lift {
        refresh_certified(&mut tx, &row.debtor_person_id).await?;
    }
    let resp = pb::ReviewSuspensionResponse {
        suspension: Some(load_one(&mut tx, r.id).await?),
    };
    // Reviewed: its task is done; continued, the next review is the next task.
    let subject = casework::subject::suspension(r.id);
    let mut events = casework::closings(pb::TaskKind::SuspensionReview, [subject], REVIEW);
    if let Some(next) = r.next {
        events.push(review_due(r.id, &row.dossier_numbers, next));
    }
    casework::write(&mut tx, events, By::of(caller)).await?;
    idempotency::complete(&mut tx, REVIEW, &r.key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

/// The suspension, locked, if it is still in force and took effect by the review.
async fn reviewable(conn: &mut PgConnection, r: &Review) -> ServiceResult<Row> {
    let id = r.id;
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM suspensions WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ServiceError::not_found(format!("no suspension {id}")))?;
    if row.lifted_on.is_some() {
        return Err(ServiceError::failed_precondition(
            "SUSPENSION_LIFTED",
            "the suspension was lifted",
        ));
    }
    if r.reviewed_on < row.effective_from {
        return Err(ServiceError::invalid_field(
            "reviewed_on",
            "before the suspension took effect",
        ));
    }
    Ok(row)
}

/// The review in the suspension's history, and its next review date or lifting.
async fn record_review(
    conn: &mut PgConnection,
    caller: &Caller,
    r: &Review,
    note: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO suspension_reviews (suspension_id, position, reviewed_on, outcome,
             next_review_on, note, reviewed_by, reviewed_via)
         SELECT $1, COALESCE(max(position), 0) + 1, $2, $3, $4, $5, $6, $7
         FROM suspension_reviews WHERE suspension_id = $1",
    )
    .bind(r.id)
    .bind(r.reviewed_on)
    .bind(r.outcome as i16)
    .bind(r.next)
    .bind(note)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE suspensions SET review_on = COALESCE($2, review_on),
                lifted_on = CASE WHEN $2::date IS NULL THEN $3 END
         WHERE id = $1",
    )
    .bind(r.id)
    .bind(r.next)
    .bind(r.reviewed_on)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// ListSuspensions, parsed.
struct ListCommand {
    page: wire::Page,
    /// `Some(true)`: lifted only; `Some(false)`: in force only.
    lifted: Option<bool>,
    due_by: Option<NaiveDate>,
    person: Option<String>,
}

impl TryFrom<&pb::ListSuspensionsRequest> for ListCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListSuspensionsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let lifted = match pb::SuspensionStatus::try_from(req.status) {
            Ok(pb::SuspensionStatus::Unspecified) => Some(None),
            Ok(pb::SuspensionStatus::Active) => Some(Some(false)),
            Ok(pb::SuspensionStatus::Lifted) => Some(Some(true)),
            Err(_) => {
                v.add("status", "unknown status");
                None
            }
        };
        let due_by = v.take_all(wire::optional_date_from_pb(
            "review_due_by",
            req.review_due_by.as_ref(),
        ));
        let person = v.take(wire::optional_text(
            "debtor_person_id",
            &req.debtor_person_id,
            wire::ID,
        ));
        v.finish(|| {
            Some(ListCommand {
                page: page?,
                lifted: lifted?,
                due_by: due_by?,
                person: person?,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListSuspensionsRequest,
) -> ServiceResult<pb::ListSuspensionsResponse> {
    let ListCommand {
        page,
        lifted,
        due_by,
        person,
    } = ListCommand::try_from(&req)?;
    let mut conn = api.pool.acquire().await?;
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM suspensions
         WHERE ($1::text IS NULL OR debtor_person_id = $1)
           AND ($2::boolean IS NULL OR (lifted_on IS NOT NULL) = $2)
           AND ($3::date IS NULL OR (lifted_on IS NULL AND review_on <= $3))
           AND ($4::bigint IS NULL OR seq > $4)
         ORDER BY seq LIMIT $5"
    )))
    .bind(person)
    .bind(lifted)
    .bind(due_by)
    .bind(page.after)
    .bind(page.size)
    .fetch_all(&mut *conn)
    .await?;
    Ok(pb::ListSuspensionsResponse {
        suspensions: to_pb(&mut conn, &rows).await?,
        page: Some(wire::page_to_pb(
            &page,
            rows.len(),
            rows.last().map(|r| r.seq),
        )),
    })
}

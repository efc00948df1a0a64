//! CorrespondenceService: reading letters, recording the post's tracking, verifying a stored
//! letter against its template.

use chrono::{DateTime, Days, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sha2::Digest;
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::tasks::{self, Condition, Subject, TaskKind};
use crate::{api::IntakeApi, lifecycle::RequestParts, store};

/// The debtor's window to prove payment, from the notice's delivery or presentation.
const DEBTOR_WINDOW_DAYS: u64 = 15;

macro_rules! letter_select {
    () => {
        "SELECT l.id, l.public_id, l.dossier_id, l.kind, l.language, l.issued_on,
                p.public_id AS person_public_id, l.recipient_role, l.recipient_name,
                l.recipient_address, l.address_source, l.channel, l.tracking_number,
                l.template_version, l.sha256, length(l.pdf)::bigint AS size_bytes,
                l.issued_by_step, l.issued_by, l.issued_via, l.issued_at,
                d.dossier_number, d.application_id,
                ld.outcome, ld.on_date, ld.recorded_by, ld.recorded_via, ld.recorded_at
           FROM letters l
           JOIN dossiers d ON d.id = l.dossier_id
           LEFT JOIN persons p ON p.id = l.recipient_person_id
           LEFT JOIN letter_deliveries ld ON ld.letter_id = l.id "
    };
}

#[derive(sqlx::FromRow)]
struct LetterRow {
    id: i64,
    public_id: Uuid,
    dossier_id: i64,
    kind: String,
    language: String,
    issued_on: NaiveDate,
    person_public_id: Option<Uuid>,
    recipient_role: String,
    recipient_name: String,
    recipient_address: Vec<String>,
    address_source: String,
    channel: String,
    tracking_number: Option<String>,
    template_version: String,
    sha256: Vec<u8>,
    size_bytes: i64,
    issued_by_step: String,
    issued_by: String,
    issued_via: Option<String>,
    issued_at: DateTime<Utc>,
    dossier_number: Option<String>,
    application_id: Uuid,
    outcome: Option<String>,
    on_date: Option<NaiveDate>,
    recorded_by: Option<String>,
    recorded_via: Option<String>,
    recorded_at: Option<DateTime<Utc>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn outcome_db(o: pb::DeliveryOutcome) -> &'static str {
    match o {
        pb::DeliveryOutcome::Delivered => "DELIVERED",
        pb::DeliveryOutcome::Presented => "PRESENTED",
        pb::DeliveryOutcome::Returned | pb::DeliveryOutcome::Unspecified => "RETURNED",
    }
}

impl LetterRow {
    fn into_pb(self) -> pb::Letter {
        use pb::{
            CorrespondenceLanguage as L, DeliveryOutcome as O, LetterChannel as C, LetterKind as K,
        };
        let kind = match self.kind.as_str() {
            "DEBTOR_NOTICE" => K::DebtorNotice,
            "DECISION_ACCEPTED" => K::DecisionAccepted,
            "DECISION_REFUSED" => K::DecisionRefused,
            "MANDATE_PROPOSAL" => K::MandateProposal,
            "PRE_OFFSET_NOTICE" => K::PreOffsetNotice,
            "POST_OFFSET_NOTICE" => K::PostOffsetNotice,
            "PAYMENT_PLAN" => K::PaymentPlan,
            "SUSPENSION" => K::Suspension,
            "DEBTOR_STATEMENT" => K::DebtorStatement,
            "CREDITOR_STATEMENT" => K::CreditorStatement,
            "ADVANCES_GRANTED" => K::AdvancesGranted,
            "ADVANCES_ENDED" => K::AdvancesEnded,
            "PAYMENT_PLAN_BREACH" => K::PaymentPlanBreach,
            "YEARLY_STATEMENT" => K::YearlyStatement,
            "OFFSET_CANCELLED" => K::OffsetCancelled,
            _ => K::Unspecified,
        };
        let language = match self.language.as_str() {
            "fr" => L::Fr,
            "nl" => L::Nl,
            "de" => L::De,
            _ => L::Unspecified,
        };
        let channel = match self.channel.as_str() {
            "REGISTERED_POST" => C::RegisteredPost,
            "POST" => C::Post,
            "EBOX" => C::Ebox,
            "EMAIL" => C::Email,
            _ => C::Unspecified,
        };
        let delivery = match (
            self.outcome,
            self.on_date,
            self.recorded_by,
            self.recorded_at,
        ) {
            (Some(outcome), Some(on), Some(by), Some(at)) => Some(pb::LetterDelivery {
                outcome: match outcome.as_str() {
                    "DELIVERED" => O::Delivered,
                    "PRESENTED" => O::Presented,
                    "RETURNED" => O::Returned,
                    _ => O::Unspecified,
                } as i32,
                on: Some(wire::date_to_pb(on)),
                recorded: Some(store::stamp(&by, self.recorded_via.as_deref(), at)),
            }),
            _ => None,
        };
        pb::Letter {
            letter_id: self.public_id.to_string(),
            kind: kind as i32,
            dossier_number: self.dossier_number.unwrap_or_default(),
            application_id: self.application_id.to_string(),
            language: language as i32,
            issued_on: Some(wire::date_to_pb(self.issued_on)),
            recipient: Some(pb::LetterRecipient {
                person_id: self
                    .person_public_id
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
                role: store::role_from_db(&self.recipient_role).unwrap_or_default() as i32,
                name: self.recipient_name,
                address_lines: self.recipient_address,
                address_source: self.address_source,
            }),
            channel: channel as i32,
            tracking_number: self.tracking_number.unwrap_or_default(),
            template_version: self.template_version,
            sha256: hex(&self.sha256),
            size_bytes: self.size_bytes,
            issued_by_step: self.issued_by_step,
            issued: Some(store::stamp(
                &self.issued_by,
                self.issued_via.as_deref(),
                self.issued_at,
            )),
            delivery,
        }
    }
}

/// A stored letter as the contract shows it (without its PDF).
pub(crate) async fn letter_by_id(conn: &mut PgConnection, id: Uuid) -> ServiceResult<pb::Letter> {
    Ok(find_letter(conn, id).await?.into_pb())
}

fn letter_id(raw: &str) -> ServiceResult<Uuid> {
    Uuid::parse_str(raw.trim())
        .map_err(|_| ServiceError::invalid_field("letter_id", "not a letter id (a UUID)"))
}

async fn find_letter(conn: &mut PgConnection, id: Uuid) -> ServiceResult<LetterRow> {
    let row: Option<LetterRow> =
        sqlx::query_as(concat!(letter_select!(), "WHERE l.public_id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    row.ok_or_else(|| ServiceError::not_found(format!("no letter {id}")))
}

/// Which letters a listing asks for.
enum LetterScope {
    Dossier(store::DossierKey),
    Person(Uuid),
}

/// A delivery, as the request gives it once checked.
struct Delivery {
    key: String,
    letter: Uuid,
    outcome: pb::DeliveryOutcome,
    on: NaiveDate,
}

impl TryFrom<&pb::RecordLetterDeliveryRequest> for Delivery {
    type Error = ServiceError;

    fn try_from(req: &pb::RecordLetterDeliveryRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let letter = v.take_all(letter_id(&req.letter_id));
        let outcome = v.take(wire::required_enum::<pb::DeliveryOutcome>(
            "outcome",
            req.outcome,
        ));
        if req.on.is_none() {
            v.add("on", "REQUIRED: the date the post's tracking gives");
        }
        let on = v.date("on", req.on.as_ref());
        v.finish(|| {
            Some(Delivery {
                key: key?,
                letter: letter?,
                outcome: outcome?,
                on,
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_letters(
        &self,
        _caller: &Caller,
        req: pb::ListLettersRequest,
    ) -> ServiceResult<pb::ListLettersResponse> {
        use pb::list_letters_request::Of;
        let mut v = Violations::new();
        let scope = match &req.of {
            Some(Of::Dossier(d)) => v.dossier(Some(d)).map(LetterScope::Dossier),
            Some(Of::PersonId(p)) => match Uuid::parse_str(p.trim()) {
                Ok(u) => Some(LetterScope::Person(u)),
                Err(_) => {
                    v.add("person_id", "not a person id (a UUID)");
                    None
                }
            },
            None => {
                v.add("of", "REQUIRED: give a dossier or a person_id");
                None
            }
        };
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let (scope, page) = v.finish(|| Some((scope?, page?)))?;
        let mut conn = self.pool.acquire().await?;
        let (dossier, person) = match scope {
            LetterScope::Dossier(k) => (Some(store::find(&mut conn, &k, false).await?.id), None),
            LetterScope::Person(p) => (None, Some(p)),
        };
        // Newest first: the page token is the last id returned.
        let rows: Vec<LetterRow> = sqlx::query_as(concat!(
            letter_select!(),
            "WHERE ($1::bigint IS NULL OR l.dossier_id = $1)
               AND ($2::uuid IS NULL OR p.public_id = $2)
               AND ($3::bigint IS NULL OR l.id < $3)
             ORDER BY l.id DESC LIMIT $4"
        ))
        .bind(dossier)
        .bind(person)
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&mut *conn)
        .await?;
        let last = rows.last().map(|r| r.id);
        Ok(pb::ListLettersResponse {
            page: Some(wire::page_to_pb(&page, rows.len(), last)),
            letters: rows.into_iter().map(LetterRow::into_pb).collect(),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn get_letter(
        &self,
        _caller: &Caller,
        req: pb::GetLetterRequest,
    ) -> ServiceResult<pb::GetLetterResponse> {
        let id = letter_id(&req.letter_id)?;
        let mut conn = self.pool.acquire().await?;
        let row = find_letter(&mut conn, id).await?;
        let (pdf, data): (Vec<u8>, Json<serde_json::Value>) =
            sqlx::query_as("SELECT pdf, rendered_from FROM letters WHERE id = $1")
                .bind(row.id)
                .fetch_one(&mut *conn)
                .await?;
        Ok(pb::GetLetterResponse {
            letter: Some(row.into_pb()),
            pdf,
            rendered_from_json: data.0.to_string(),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn verify_letter(
        &self,
        _caller: &Caller,
        req: pb::VerifyLetterRequest,
    ) -> ServiceResult<pb::VerifyLetterResponse> {
        let id = letter_id(&req.letter_id)?;
        let (stored, template_version, data): (Vec<u8>, String, Json<serde_json::Value>) =
            sqlx::query_as(
                "SELECT sha256, template_version, rendered_from FROM letters WHERE public_id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no letter {id}")))?;
        let input: secal_letters::LetterInput = serde_json::from_value(data.0)
            .map_err(|e| ServiceError::internal(format!("stored letter data: {e}")))?;
        // The wording the letter was sent with, not today's: released wordings stay in the
        // crate (secal-letters: templates/released, VERSIONS).
        let rendered = secal_letters::render_version(&input, &template_version)
            .map_err(|e| ServiceError::internal(format!("letter not rendered: {e}")))?;
        let again = sha2::Sha256::digest(&rendered.pdf).to_vec();
        Ok(pb::VerifyLetterResponse {
            identical: again == stored,
            stored_sha256: hex(&stored),
            rendered_sha256: hex(&again),
            template_version,
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn record_letter_delivery(
        &self,
        caller: &Caller,
        req: pb::RecordLetterDeliveryRequest,
    ) -> ServiceResult<pb::RecordLetterDeliveryResponse> {
        let d = Delivery::try_from(&req)?;
        const M: &str = "RecordLetterDelivery";
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, M, &d.key, &req).await? {
            return Ok(resp);
        }
        let letter = find_letter(&mut tx, d.letter).await?;
        // The dossier's lock orders this with its steps (a decision waits for the window).
        let dossier = store::find_by_id_locked(&mut tx, letter.dossier_id).await?;
        let deadline = record_delivery(&mut tx, &letter, &dossier, &d, caller).await?;
        let resp = pb::RecordLetterDeliveryResponse {
            letter: Some(find_letter(&mut tx, d.letter).await?.into_pb()),
            debtor_response_deadline: deadline.map(wire::date_to_pb),
        };
        idempotency::complete(&mut tx, M, &d.key, &resp).await?;
        tx.commit().await?;
        Ok(resp)
    }
}

/// Stores the tracking's outcome once; for the dossier's current debtor notice, opens the
/// window (delivered or presented) or asks for a new notice (returned).
async fn record_delivery(
    conn: &mut PgConnection,
    letter: &LetterRow,
    dossier: &store::DossierRow,
    d: &Delivery,
    caller: &Caller,
) -> ServiceResult<Option<NaiveDate>> {
    if letter.channel != "REGISTERED_POST" {
        return Err(ServiceError::failed_precondition(
            "NOT_REGISTERED",
            "only a registered letter has a tracking to record",
        ));
    }
    let outcome = outcome_db(d.outcome);
    if let Some(recorded) = &letter.outcome {
        let same = recorded == outcome && letter.on_date == Some(d.on);
        return if same {
            Ok(debtor_deadline(letter, d))
        } else {
            Err(ServiceError::failed_precondition(
                "DELIVERY_RECORDED",
                format!(
                    "the letter's tracking was already recorded: {recorded} on {}",
                    letter.on_date.map(|d| d.to_string()).unwrap_or_default()
                ),
            ))
        };
    }
    super::super::lifecycle::not_before("on", d.on, Some(letter.issued_on), "the letter's issue")?;
    sqlx::query(
        "INSERT INTO letter_deliveries (letter_id, outcome, on_date, recorded_by, recorded_via)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(letter.id)
    .bind(outcome)
    .bind(d.on)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    let subject = Subject::Letter {
        dossier_id: dossier.id,
        letter_id: letter.id,
    };
    tasks::close(
        conn,
        &[TaskKind::DebtorNoticeTracking],
        subject,
        "RecordLetterDelivery",
        caller,
    )
    .await?;
    let current_notice = letter.kind == "DEBTOR_NOTICE"
        && dossier.status() == pb::DossierStatus::DebtorNotified
        && store::debtor_notice_letter(dossier)? == Some(letter.public_id);
    if !current_notice {
        return Ok(None);
    }
    on_debtor_notice_tracked(conn, dossier, letter, d, caller).await
}

fn debtor_deadline(letter: &LetterRow, d: &Delivery) -> Option<NaiveDate> {
    (letter.kind == "DEBTOR_NOTICE" && d.outcome != pb::DeliveryOutcome::Returned)
        .then(|| d.on.checked_add_days(Days::new(DEBTOR_WINDOW_DAYS)))
        .flatten()
}

/// The debtor's notice reached (or was presented at) the address: the 15 days run from that
/// date, and the decision task is listed once they are over. Returned: a new notice is due.
async fn on_debtor_notice_tracked(
    conn: &mut PgConnection,
    dossier: &store::DossierRow,
    letter: &LetterRow,
    d: &Delivery,
    caller: &Caller,
) -> ServiceResult<Option<NaiveDate>> {
    let Some(deadline) = debtor_deadline(letter, d) else {
        store::record_debtor_notice_tracking(conn, dossier, None, None, caller).await?;
        let summary = "the registered notice to the debtor came back undelivered: find an \
                       address and send it again (NotifyDebtor)";
        let c = Condition {
            kind: TaskKind::DebtorNoticeReturned,
            subject: Subject::Dossier(dossier.id),
            listed_from: d.on,
            due_on: d.on,
            summary: summary.to_owned(),
        };
        tasks::open(conn, c, caller).await?;
        return Ok(None);
    };
    store::record_debtor_notice_tracking(conn, dossier, Some(d.on), Some(deadline), caller).await?;
    let day_after = deadline.succ_opt().unwrap_or(deadline);
    let due_on = dossier
        .decision_deadline
        .unwrap_or(day_after)
        .max(day_after);
    let c = Condition {
        kind: TaskKind::DebtorWindowEnded,
        subject: Subject::Dossier(dossier.id),
        listed_from: day_after,
        due_on,
        summary: format!(
            "the debtor's 15 days ended on {deadline}: decide (AcceptApplication or \
             RefuseApplication)"
        ),
    };
    tasks::open(conn, c, caller).await?;
    Ok(Some(deadline))
}

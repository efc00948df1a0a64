//! From a complete file to the decision: back to incomplete, debtor notified, accepted with
//! a dossier number, or refused.

use chrono::{Days, NaiveDate};
use secal_domain::DossierNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;

use super::{Begun, RequestParts, finish, not_before, reload};
use crate::{
    admissibility,
    api::IntakeApi,
    casework::{
        letters::{self, Dispatch, Order},
        recipient::{self, Party},
        tasks::{self, Condition, Subject, TaskKind},
        wording::{self, Label},
    },
    pbjson,
    store::{self, DossierKey, DossierRow, Entry},
};
use secal_rules::lifecycle::Step;

/// The days the post's tracking of a registered notice is awaited before someone looks.
const TRACKING_DAYS: u64 = 10;

/// The next number of the decision's year; the counter row serialises concurrent decisions.
async fn next_dossier_number(conn: &mut PgConnection, year: i32) -> ServiceResult<DossierNumber> {
    let (seq,): (i32,) = sqlx::query_as(
        "INSERT INTO dossier_number_counters (year, last_sequence) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last_sequence = dossier_number_counters.last_sequence + 1
         RETURNING last_sequence",
    )
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    let seq = u32::try_from(seq).map_err(ServiceError::internal)?;
    DossierNumber::new(year, seq)
        .map_err(|e| ServiceError::failed_precondition("DOSSIER_NUMBERS_EXHAUSTED", e.to_string()))
}

/// An acceptance, as the request gives it once checked.
struct Acceptance {
    key: String,
    dossier: DossierKey,
    decided_on: NaiveDate,
    motivation: String,
    dispatch: Dispatch,
}

impl TryFrom<&pb::AcceptApplicationRequest> for Acceptance {
    type Error = ServiceError;

    fn try_from(req: &pb::AcceptApplicationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let decided_on = v.date("decided_on", req.decided_on.as_ref());
        let motivation = v.take(wire::optional_text(
            "motivation",
            &req.motivation,
            wire::NOTE,
        ));
        let dispatch = Dispatch::parse(&mut v, "dispatch", req.dispatch.as_ref());
        v.finish(|| {
            Some(Acceptance {
                key: key?,
                dossier: dossier?,
                decided_on,
                motivation: motivation?.unwrap_or_default(),
                dispatch: dispatch?,
            })
        })
    }
}

/// A return to incomplete, as the request gives it once checked.
struct MarkIncomplete {
    key: String,
    dossier: DossierKey,
}

impl TryFrom<&pb::MarkApplicationIncompleteRequest> for MarkIncomplete {
    type Error = ServiceError;

    fn try_from(req: &pb::MarkApplicationIncompleteRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        if req.missing_items.is_empty() {
            v.add("missing_items", "name at least one missing item");
        }
        // The one text parser on what is stored with the transition (the request's texts).
        v.take(wire::optional_text("note", &req.note, wire::NOTE));
        for (i, m) in req.missing_items.iter().enumerate() {
            let item = format!("missing_items[{i}]");
            crate::registry::texts(&mut v, &item, "secal.v1.FieldViolation", m);
            if m.field.trim().is_empty() || m.code.trim().is_empty() {
                v.add(
                    format!("missing_items[{i}]"),
                    "each item needs a field and a code",
                );
            }
        }
        v.finish(|| {
            Some(MarkIncomplete {
                key: key?,
                dossier: dossier?,
            })
        })
    }
}

/// The debtor's registered letter, as the request gives it once checked.
struct DebtorNotice {
    key: String,
    dossier: DossierKey,
    notified_on: NaiveDate,
    letter_reference: String,
}

impl TryFrom<&pb::NotifyDebtorRequest> for DebtorNotice {
    type Error = ServiceError;

    fn try_from(req: &pb::NotifyDebtorRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        if req.notified_on.is_none() {
            v.add(
                "notified_on",
                "the date of the registered letter is required",
            );
        }
        let notified_on = v.date("notified_on", req.notified_on.as_ref());
        let letter_reference = req.registered_letter_reference.trim();
        v.take(wire::optional_text(
            "registered_letter_reference",
            letter_reference,
            wire::LINE,
        ));
        if letter_reference.is_empty() {
            v.add(
                "registered_letter_reference",
                "the registered letter's reference is required",
            );
        }
        v.finish(|| {
            Some(DebtorNotice {
                key: key?,
                dossier: dossier?,
                notified_on,
                letter_reference: letter_reference.to_owned(),
            })
        })
    }
}

/// A refusal, as the request gives it once checked.
struct Refusal {
    key: String,
    dossier: DossierKey,
    decided_on: NaiveDate,
    reasons: Vec<pb::RefusalReason>,
    motivation: String,
    dispatch: Dispatch,
}

impl TryFrom<&pb::RefuseApplicationRequest> for Refusal {
    type Error = ServiceError;

    fn try_from(req: &pb::RefuseApplicationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let decided_on = v.date("decided_on", req.decided_on.as_ref());
        if req.reasons.is_empty() {
            v.add("reasons", "at least one reason");
        }
        let mut reasons = Vec::with_capacity(req.reasons.len());
        for (i, r) in req.reasons.iter().enumerate() {
            match pb::RefusalReason::try_from(*r) {
                Ok(pb::RefusalReason::Unspecified) | Err(_) => {
                    v.add(format!("reasons[{i}]"), "not a refusal reason");
                }
                Ok(reason) => reasons.push(reason),
            }
        }
        let motivation = req.motivation.trim();
        if motivation.is_empty() {
            v.add("motivation", "a refusal is motivated");
        }
        v.take(wire::optional_text("motivation", motivation, wire::NOTE));
        let dispatch = Dispatch::parse(&mut v, "dispatch", req.dispatch.as_ref());
        v.finish(|| {
            Some(Refusal {
                key: key?,
                dossier: dossier?,
                decided_on,
                reasons,
                motivation: motivation.to_owned(),
                dispatch: dispatch?,
            })
        })
    }
}

/// Accepts the locked dossier: the debtor's window must be over and the application not
/// found inadmissible; it gets the next dossier number of the decision's year.
async fn accept(
    conn: &mut PgConnection,
    row: &DossierRow,
    a: &Acceptance,
    reassessed: Option<pb::AdmissibilityAssessment>,
    caller: &Caller,
) -> ServiceResult<DossierNumber> {
    let to = store::require_step(row, Step::Accept)?;
    debtor_window_closed(conn, row.id, a.decided_on).await?;
    admissible_on_acceptance(conn, row, reassessed, caller).await?;
    let number = next_dossier_number(conn, chrono::Datelike::year(&a.decided_on)).await?;
    let decision = pb::DossierDecision {
        outcome: pb::DecisionOutcome::Accepted as i32,
        decided_on: Some(wire::date_to_pb(a.decided_on)),
        refusal_reasons: Vec::new(),
        motivation: a.motivation.clone(),
        decided: Some(store::caller_stamp(caller)),
    };
    store::record_acceptance(conn, row.id, &number, a.decided_on, &decision).await?;
    let note = format!("accepted as {number}");
    store::transition(conn, row, to, caller, Some(a.decided_on), note).await?;
    // The letter shows the number: read the row as the acceptance left it.
    let numbered = store::find_by_id(conn, row.id).await?;
    issue_acceptance_letter(conn, &numbered, a, &number, caller).await?;
    close_decision_tasks(conn, row.id, "AcceptApplication", caller).await?;
    Ok(number)
}

/// The decision closes what waited for it.
async fn close_decision_tasks(
    conn: &mut PgConnection,
    dossier_id: i64,
    action: &str,
    caller: &Caller,
) -> ServiceResult<()> {
    let kinds = [
        TaskKind::DecisionDeadline,
        TaskKind::DebtorWindowEnded,
        TaskKind::AdmissibilityNotAssessed,
        TaskKind::DebtorNoticeReturned,
    ];
    tasks::close(conn, &kinds, Subject::Dossier(dossier_id), action, caller).await
}

async fn issue_acceptance_letter(
    conn: &mut PgConnection,
    row: &DossierRow,
    a: &Acceptance,
    number: &DossierNumber,
    caller: &Caller,
) -> ServiceResult<()> {
    let form = store::current_form(conn, row.id).await?;
    let lang = recipient::language(&form);
    let mut facts = vec![letters::fact(
        &wording::label(Label::DecidedOn, lang),
        secal_letters::format_date(a.decided_on, lang),
    )];
    if !a.motivation.is_empty() {
        facts.push(letters::fact(
            &wording::label(Label::Motivation, lang),
            &a.motivation,
        ));
    }
    let order = Order {
        kind: secal_letters::LetterKind::DecisionAccepted,
        party: Party::Applicant,
        issued_on: a.decided_on,
        dispatch: a.dispatch.clone(),
        facts,
        figures: Vec::new(),
        reasons: Vec::new(),
        payment_reference: Some(number.payment_reference().to_string()),
        respond_by: None,
        step: "AcceptApplication",
    };
    letters::issue(conn, row, order, caller).await?;
    Ok(())
}

async fn issue_refusal_letter(
    conn: &mut PgConnection,
    row: &DossierRow,
    r: &Refusal,
    caller: &Caller,
) -> ServiceResult<()> {
    let form = store::current_form(conn, row.id).await?;
    let lang = recipient::language(&form);
    let facts = vec![
        letters::fact(
            &wording::label(Label::DecidedOn, lang),
            secal_letters::format_date(r.decided_on, lang),
        ),
        letters::fact(&wording::label(Label::Motivation, lang), &r.motivation),
    ];
    let order = Order {
        kind: secal_letters::LetterKind::DecisionRefused,
        party: Party::Applicant,
        issued_on: r.decided_on,
        dispatch: r.dispatch.clone(),
        facts,
        figures: Vec::new(),
        reasons: r
            .reasons
            .iter()
            .map(|reason| wording::refusal_reason(*reason, lang))
            .collect(),
        payment_reference: None,
        respond_by: None,
        step: "RefuseApplication",
    };
    letters::issue(conn, row, order, caller).await?;
    Ok(())
}

/// The registered notice to the debtor: what the application claims, and the 15 days from
/// its delivery to prove payment.
async fn issue_debtor_notice(
    conn: &mut PgConnection,
    row: &DossierRow,
    n: &DebtorNotice,
    caller: &Caller,
) -> ServiceResult<letters::Issued> {
    let form = store::current_form(conn, row.id).await?;
    let lang = recipient::language(&form);
    let mut facts = vec![letters::fact(
        &wording::label(Label::ApplicationReceived, lang),
        secal_letters::format_date(row.received_on, lang),
    )];
    if let Some(t) = &form.title {
        let date = wire::optional_date_from_pb("title_date", t.title_date.as_ref())
            .ok()
            .flatten()
            .map(|d| secal_letters::format_date(d, lang))
            .unwrap_or_default();
        facts.push(letters::fact(
            &wording::label(Label::Title, lang),
            [t.reference.trim(), date.as_str()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" – "),
        ));
    }
    facts.push(letters::fact(
        &wording::label(Label::CreditorCount, lang),
        row.creditor_count.to_string(),
    ));
    let order = Order {
        kind: secal_letters::LetterKind::DebtorNotice,
        party: Party::Debtor,
        issued_on: n.notified_on,
        dispatch: Dispatch::RegisteredPost {
            tracking_number: n.letter_reference.clone(),
        },
        facts,
        figures: declared_arrears(&form, lang),
        reasons: Vec::new(),
        payment_reference: None,
        respond_by: None,
        step: "NotifyDebtor",
    };
    letters::issue(conn, row, order, caller).await
}

/// The arrears the application declares (frame 4), as one figure: what the debtor is told
/// is claimed before the service computes it.
fn declared_arrears(
    form: &pb::ApplicationForm,
    lang: secal_letters::Language,
) -> Vec<secal_letters::Figure> {
    let months: Vec<rust_decimal::Decimal> = form
        .arrears
        .iter()
        .flat_map(|a| a.unpaid_months.iter())
        .filter_map(|m| m.unpaid.as_ref())
        .filter_map(|m| m.amount.trim().parse().ok())
        .collect();
    if months.is_empty() {
        return Vec::new();
    }
    vec![secal_letters::Figure {
        label: wording::label(Label::DeclaredArrears, lang),
        amount: months.iter().sum(),
        explanation: wording::declared_arrears_explanation(months.len(), lang),
    }]
}

/// The debtor may prove payment until the end of the window the letter opened; the
/// decision comes after it.
async fn debtor_window_closed(
    conn: &mut PgConnection,
    dossier_id: i64,
    decided_on: NaiveDate,
) -> ServiceResult<()> {
    let window_end: Option<NaiveDate> =
        sqlx::query_scalar("SELECT debtor_response_deadline FROM dossiers WHERE id = $1")
            .bind(dossier_id)
            .fetch_one(&mut *conn)
            .await?;
    match window_end {
        Some(end) if decided_on <= end => Err(ServiceError::failed_precondition(
            "DEBTOR_WINDOW_OPEN",
            format!("the debtor may prove payment until {end}; decide after it"),
        )),
        Some(_) => Ok(()),
        None => Err(ServiceError::failed_precondition(
            "DEBTOR_NOTICE_NOT_DELIVERED",
            "the debtor's 15 days run from the registered notice's delivery or presentation: \
             record the post's tracking first (CorrespondenceService.RecordLetterDelivery)",
        )),
    }
}

/// Refuses an application found inadmissible, and one whose admissibility was never
/// assessed: acceptance rests on the rule (2 unpaid instalments in the year before), so a
/// file the calculation service could not assess waits until it can (the acceptance
/// reassesses it when the service answers).
async fn admissible_on_acceptance(
    conn: &mut PgConnection,
    row: &DossierRow,
    reassessed: Option<pb::AdmissibilityAssessment>,
    caller: &Caller,
) -> ServiceResult<()> {
    let mut admissible = row.admissible;
    if let (None, Some(a)) = (admissible, &reassessed) {
        admissible = admissibility::is_assessed(a).then_some(a.admissible);
        store_reassessment(conn, row.id, admissible, a, caller).await?;
        if admissible.is_some() {
            let kinds = [TaskKind::AdmissibilityNotAssessed];
            tasks::close(
                conn,
                &kinds,
                Subject::Dossier(row.id),
                "AcceptApplication",
                caller,
            )
            .await?;
        }
    }
    match admissible {
        Some(true) => Ok(()),
        Some(false) => Err(ServiceError::failed_precondition(
            "NOT_ADMISSIBLE",
            "the application is not admissible (fewer than 2 unpaid instalments in the \
             year before it): refuse it instead",
        )),
        None => {
            let reason = match reassessed {
                Some(a) => a.not_assessed_reason,
                // Assessed when read, not when locked: the dossier was revised in between,
                // and its stored assessment says why it is not assessed.
                None => stored_assessment(row)?.not_assessed_reason,
            };
            Err(ServiceError::failed_precondition(
                "ADMISSIBILITY_NOT_ASSESSED",
                format!(
                    "the application's admissibility was never assessed ({reason}): accept it \
                     once the calculation service can assess it"
                ),
            ))
        }
    }
}

fn stored_assessment(row: &DossierRow) -> ServiceResult<pb::AdmissibilityAssessment> {
    Ok(pbjson::from_json(
        pbjson::ADMISSIBILITY,
        &row.admissibility.0,
    )?)
}

async fn store_reassessment(
    conn: &mut PgConnection,
    dossier_id: i64,
    admissible: Option<bool>,
    a: &pb::AdmissibilityAssessment,
    caller: &Caller,
) -> ServiceResult<()> {
    store::record_reassessment(conn, dossier_id, admissible, a).await?;
    store::append_history(
        conn,
        dossier_id,
        Entry::other(
            caller,
            pb::DossierHistoryKind::AdmissibilityAssessed,
            format!("reassessed on acceptance: {admissible:?}"),
        ),
    )
    .await
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn mark_application_incomplete(
        &self,
        caller: &Caller,
        req: pb::MarkApplicationIncompleteRequest,
    ) -> ServiceResult<pb::MarkApplicationIncompleteResponse> {
        let MarkIncomplete { key, dossier } = MarkIncomplete::try_from(&req)?;
        const M: &str = "MarkApplicationIncomplete";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::MarkIncomplete)?;
        store::record_missing_items(&mut tx, row.id, &req.missing_items).await?;
        let codes: Vec<&str> = req.missing_items.iter().map(|m| m.code.as_str()).collect();
        let note = format!("missing: {}. {}", codes.join(", "), req.note.trim());
        store::transition(&mut tx, &row, to, caller, None, note).await?;
        let kinds = [TaskKind::DecisionDeadline];
        tasks::close(&mut tx, &kinds, Subject::Dossier(row.id), M, caller).await?;
        let resp = pb::MarkApplicationIncompleteResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn notify_debtor(
        &self,
        caller: &Caller,
        req: pb::NotifyDebtorRequest,
    ) -> ServiceResult<pb::NotifyDebtorResponse> {
        let notice = DebtorNotice::try_from(&req)?;
        let (key, notified_on) = (notice.key.clone(), notice.notified_on);
        const M: &str = "NotifyDebtor";
        let (mut tx, row) = match self
            .begin(caller, M, &key, &req, &notice.dossier, req.expected_version)
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        // A notice the post returned is sent again from DEBTOR_NOTIFIED, outside the lifecycle
        // table: the step is not one the status offers, only what a returned letter asks for.
        let to = if row.status() == pb::DossierStatus::DebtorNotified {
            current_notice_returned(&mut tx, &row).await?;
            pb::DossierStatus::DebtorNotified
        } else {
            store::require_step(&row, Step::NotifyDebtor)?
        };
        not_before(
            "notified_on",
            notified_on,
            row.completed_on,
            "the completion",
        )?;
        let letter = issue_debtor_notice(&mut tx, &row, &notice, caller).await?;
        let notification = pb::DebtorNotification {
            notified_on: Some(wire::date_to_pb(notified_on)),
            registered_letter_reference: notice.letter_reference.clone(),
            response_deadline: None,
            letter_id: letter.public_id.to_string(),
            delivered_on: None,
        };
        store::record_debtor_notification(&mut tx, row.id, notified_on, &notification).await?;
        store::transition(
            &mut tx,
            &row,
            to,
            caller,
            Some(notified_on),
            "registered notice sent: the debtor's 15 days run from its delivery",
        )
        .await?;
        track_debtor_notice(&mut tx, row.id, letter, notified_on, caller).await?;
        let resp = pb::NotifyDebtorResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all, fields(dossier_number))]
    pub(crate) async fn accept_application(
        &self,
        caller: &Caller,
        req: pb::AcceptApplicationRequest,
    ) -> ServiceResult<pb::AcceptApplicationResponse> {
        let acceptance = Acceptance::try_from(&req)?;
        let reassessed = self
            .reassess_unassessed(&acceptance.dossier, caller)
            .await?;
        const M: &str = "AcceptApplication";
        let (mut tx, row) = match self
            .begin(
                caller,
                M,
                &acceptance.key,
                &req,
                &acceptance.dossier,
                req.expected_version,
            )
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let number = accept(&mut tx, &row, &acceptance, reassessed, caller).await?;
        let resp = pb::AcceptApplicationResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &acceptance.key, &resp).await?;
        tracing::Span::current().record("dossier_number", tracing::field::display(number));
        Ok(resp)
    }

    /// An application stored "not assessed" is asked again, outside the transaction: the
    /// calculation service may take its time, and the dossier row is not held meanwhile.
    async fn reassess_unassessed(
        &self,
        dossier: &DossierKey,
        caller: &Caller,
    ) -> ServiceResult<Option<pb::AdmissibilityAssessment>> {
        let mut conn = self.pool.acquire().await?;
        let row = store::find(&mut conn, dossier, false).await?;
        if row.admissible.is_some() {
            return Ok(None);
        }
        let form = store::current_form(&mut conn, row.id).await?;
        let assessment =
            admissibility::assess(self.calculation.as_ref(), caller, &form, row.received_on).await;
        Ok(Some(assessment))
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn refuse_application(
        &self,
        caller: &Caller,
        req: pb::RefuseApplicationRequest,
    ) -> ServiceResult<pb::RefuseApplicationResponse> {
        let refusal = Refusal::try_from(&req)?;
        let (key, decided_on) = (refusal.key.clone(), refusal.decided_on);
        const M: &str = "RefuseApplication";
        let (mut tx, row) = match self
            .begin(
                caller,
                M,
                &key,
                &req,
                &refusal.dossier,
                req.expected_version,
            )
            .await?
        {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let to = store::require_step(&row, Step::Refuse)?;
        let decision = pb::DossierDecision {
            outcome: pb::DecisionOutcome::Refused as i32,
            decided_on: Some(wire::date_to_pb(decided_on)),
            refusal_reasons: req.reasons.clone(),
            motivation: refusal.motivation.clone(),
            decided: Some(store::caller_stamp(caller)),
        };
        store::record_refusal(&mut tx, row.id, decided_on, &decision).await?;
        let names: Vec<&str> = refusal.reasons.iter().map(|r| r.as_str_name()).collect();
        let note = format!("{}: {}", names.join(", "), refusal.motivation);
        store::transition(&mut tx, &row, to, caller, Some(decided_on), note).await?;
        issue_refusal_letter(&mut tx, &row, &refusal, caller).await?;
        close_decision_tasks(&mut tx, row.id, M, caller).await?;
        let resp = pb::RefuseApplicationResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }
}

/// A notice is sent again only when the post brought the last one back.
async fn current_notice_returned(conn: &mut PgConnection, row: &DossierRow) -> ServiceResult<()> {
    let returned = match store::debtor_notice_letter(row)? {
        Some(letter) => sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM letters l JOIN letter_deliveries d ON d.letter_id = l.id
                             WHERE l.public_id = $1 AND d.outcome = 'RETURNED')",
        )
        .bind(letter)
        .fetch_one(&mut *conn)
        .await?,
        None => false,
    };
    if returned {
        return Ok(());
    }
    Err(ServiceError::failed_precondition(
        "DEBTOR_NOTICE_NOT_RETURNED",
        "the debtor was notified; a new notice goes out only when the post returned the last \
         one undelivered (RecordLetterDelivery with DELIVERY_OUTCOME_RETURNED)",
    ))
}

/// The registered notice's tracking is awaited; a returned notice is answered by this one.
async fn track_debtor_notice(
    conn: &mut PgConnection,
    dossier_id: i64,
    letter: letters::Issued,
    sent_on: NaiveDate,
    caller: &Caller,
) -> ServiceResult<()> {
    let subject = Subject::Letter {
        dossier_id,
        letter_id: letter.id,
    };
    let due_on = sent_on
        .checked_add_days(Days::new(TRACKING_DAYS))
        .unwrap_or(sent_on);
    let c = Condition {
        kind: TaskKind::DebtorNoticeTracking,
        subject,
        listed_from: due_on,
        due_on,
        summary: "record the post's tracking of the registered notice to the debtor \
                  (RecordLetterDelivery): the debtor's 15 days run from its delivery"
            .to_owned(),
    };
    tasks::open(conn, c, caller).await?;
    let returned = [TaskKind::DebtorNoticeReturned];
    tasks::close(
        conn,
        &returned,
        Subject::Dossier(dossier_id),
        "NotifyDebtor",
        caller,
    )
    .await
}

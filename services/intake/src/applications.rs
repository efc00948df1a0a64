//! SubmitApplication and CompleteApplication: the form checked, stored whole per revision,
//! its parties registered, admissibility asked, all in one transaction.

use chrono::{Months, NaiveDate, Utc};
use secal_domain::NationalNumber;
use secal_proto::v1 as pb;
use secal_rules::lifecycle::Step;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    syntax, wire,
};
use sqlx::PgConnection;

use crate::{
    admissibility,
    api::IntakeApi,
    lifecycle::RequestParts,
    persons,
    store::{self, Entry},
    validate::{self, Issue},
};

/// A party of the form, with what the registry needs.
struct Party {
    role: &'static str,
    creditor_key: String,
    nn: NationalNumber,
    family_name: String,
    given_names: String,
}

/// Persons the form names well enough to register (national number and names given).
fn parties(form: &pb::ApplicationForm) -> Vec<Party> {
    let person = |nn: Option<&pb::NationalNumber>, family: &str, given: &str| {
        let nn = nn?.value.trim().parse::<NationalNumber>().ok()?;
        (!family.trim().is_empty() && !given.trim().is_empty())
            .then(|| (nn, family.trim().to_owned(), given.trim().to_owned()))
    };
    let applicant = form
        .applicant
        .as_ref()
        .and_then(|a| person(a.national_number.as_ref(), &a.family_name, &a.given_names));
    let mut out = Vec::new();
    let mut push = |role, key: &str, p: Option<(NationalNumber, String, String)>| {
        if let Some((nn, family_name, given_names)) = p {
            out.push(Party {
                role,
                creditor_key: key.trim().to_owned(),
                nn,
                family_name,
                given_names,
            });
        }
    };
    push("APPLICANT", "", applicant.clone());
    if let Some(d) = &form.debtor {
        push(
            "DEBTOR",
            "",
            person(d.national_number.as_ref(), &d.family_name, &d.given_names),
        );
    }
    for c in &form.creditors {
        let p = if c.kind == pb::CreditorKind::Applicant as i32 {
            applicant.clone()
        } else {
            person(c.national_number.as_ref(), &c.family_name, &c.given_names)
        };
        push("CREDITOR", &c.creditor_key, p);
    }
    // One order for every transaction, so that concurrent submissions naming the same
    // persons cannot deadlock.
    out.sort_by(|a, b| a.nn.as_digits().cmp(b.nn.as_digits()));
    out
}

#[tracing::instrument(skip_all)]
async fn register_parties(
    conn: &mut PgConnection,
    form: &pb::ApplicationForm,
    caller: &Caller,
) -> ServiceResult<store::LinkedParties> {
    let parties = parties(form);
    let ids = if parties.is_empty() {
        std::collections::HashMap::new()
    } else {
        persons::ensure_all(
            conn,
            &parties
                .iter()
                .map(|p| (&p.nn, p.family_name.as_str(), p.given_names.as_str()))
                .collect::<Vec<_>>(),
            caller,
        )
        .await?
    };
    let id_of = |p: &Party| {
        ids.get(p.nn.as_digits()).copied().ok_or_else(|| {
            ServiceError::internal(format!("person of role {} not registered", p.role))
        })
    };
    let find = |role: &str| {
        parties
            .iter()
            .find(|p| p.role == role)
            .map(id_of)
            .transpose()
    };
    Ok(store::LinkedParties {
        person_ids: parties.iter().map(id_of).collect::<ServiceResult<_>>()?,
        roles: parties.iter().map(|p| p.role).collect(),
        creditor_keys: parties.iter().map(|p| p.creditor_key.clone()).collect(),
        applicant: find("APPLICANT")?,
        debtor: find("DEBTOR")?,
    })
}

/// Registers the parties of a new form revision (new persons by the caller) and links
/// them to the dossier.
#[tracing::instrument(skip_all)]
pub(crate) async fn link_parties(
    conn: &mut PgConnection,
    dossier_id: i64,
    form: &pb::ApplicationForm,
    caller: &Caller,
) -> ServiceResult<()> {
    let linked = register_parties(conn, form, caller).await?;
    store::link_parties(conn, dossier_id, &linked, caller).await
}

fn missing_items(missing: &[Issue]) -> Vec<pb::FieldViolation> {
    missing.iter().map(Issue::to_pb).collect()
}

pub(crate) fn decision_deadline(completed_on: NaiveDate) -> Option<NaiveDate> {
    completed_on.checked_add_months(Months::new(1))
}

fn assessment_note(a: &pb::AdmissibilityAssessment) -> String {
    if admissibility::is_assessed(a) {
        format!(
            "admissible: {} ({} unpaid months in the year before the application)",
            a.admissible, a.unpaid_month_count
        )
    } else {
        format!("not assessed: {}", a.not_assessed_reason)
    }
}

fn admissible_column(a: &pb::AdmissibilityAssessment) -> Option<bool> {
    admissibility::is_assessed(a).then_some(a.admissible)
}

/// The days an agent has to get an admissibility the calculation service could not give.
const ASSESSMENT_DAYS: u64 = 5;

/// What a filed revision asks of a person: a complete file awaits its decision by the
/// deadline; an assessment the calculation service could not make needs someone to see why.
async fn open_filing_tasks(
    conn: &mut PgConnection,
    dossier_id: i64,
    filed_on: NaiveDate,
    decision_deadline: Option<NaiveDate>,
    assessment: &pb::AdmissibilityAssessment,
    caller: &Caller,
) -> ServiceResult<()> {
    use crate::casework::tasks::{self, Condition, Subject, TaskKind};
    let mut open = Vec::with_capacity(2);
    if let Some(deadline) = decision_deadline {
        open.push(Condition {
            kind: TaskKind::DecisionDeadline,
            subject: Subject::Dossier(dossier_id),
            listed_from: filed_on,
            due_on: deadline,
            summary: format!(
                "complete file: notify the debtor, then decide by {deadline} (1 month)"
            ),
        });
    }
    if !admissibility::is_assessed(assessment) {
        let due_on = filed_on
            .checked_add_days(chrono::Days::new(ASSESSMENT_DAYS))
            .unwrap_or(filed_on);
        open.push(Condition {
            kind: TaskKind::AdmissibilityNotAssessed,
            subject: Subject::Dossier(dossier_id),
            listed_from: filed_on,
            due_on,
            summary: format!(
                "admissibility could not be assessed ({}): have it assessed before the decision",
                assessment.not_assessed_reason
            ),
        });
    }
    tasks::open_all(conn, open, caller.into()).await
}

/// A submission, as the request gives it once checked.
struct Submission<'a> {
    key: String,
    form: &'a pb::ApplicationForm,
    columns: store::FormColumns,
    channel: i16,
    received_on: NaiveDate,
    missing: Vec<Issue>,
}

/// The request checked whole, every problem reported at once; what is only missing from
/// the form is kept, to be stored with the incomplete application.
impl<'a> TryFrom<&'a pb::SubmitApplicationRequest> for Submission<'a> {
    type Error = ServiceError;

    fn try_from(req: &'a pb::SubmitApplicationRequest) -> ServiceResult<Self> {
        let today = Utc::now().date_naive();
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let received_on = match v.take_all(wire::optional_date_from_pb(
            "received_on",
            req.received_on.as_ref(),
        )) {
            Some(Some(d)) if d > today => {
                v.add("received_on", "DATE_IN_FUTURE: cannot be later than today");
                today
            }
            Some(d) => d.unwrap_or(today),
            None => today,
        };
        // Unspecified is allowed (the channel is not always known); an undeclared number is
        // refused rather than stored as something else.
        let channel = v
            .take(wire::optional_enum::<pb::ApplicationChannel>(
                "channel",
                req.channel,
            ))
            .flatten();
        let missing = v.take_all(checked_form(req.form.as_ref(), received_on));
        let (key, form, missing) = v.finish(|| Some((key?, req.form.as_ref()?, missing?)))?;
        Ok(Submission {
            key,
            form,
            columns: store::FormColumns::of(form)?,
            channel: channel.map_or(0, |c| c as i16),
            received_on,
            missing,
        })
    }
}

/// The dossier a checked submission creates: complete on receipt when nothing is missing,
/// with its first history entries (received → complete or incomplete, and the assessment).
fn new_dossier<'a>(
    sub: &'a Submission<'a>,
    missing_items: &'a [pb::FieldViolation],
    assessment: &'a pb::AdmissibilityAssessment,
    caller: &'a Caller,
) -> store::NewDossier<'a> {
    let (status, note) = if sub.missing.is_empty() {
        (
            pb::DossierStatus::Complete,
            String::from("complete on receipt"),
        )
    } else {
        (
            pb::DossierStatus::Incomplete,
            format!("{} item(s) missing", sub.missing.len()),
        )
    };
    let completed_on = sub.missing.is_empty().then_some(sub.received_on);
    let received = pb::DossierStatus::Received;
    store::NewDossier {
        form: sub.form,
        columns: &sub.columns,
        channel: sub.channel,
        received_on: sub.received_on,
        status,
        completed_on,
        decision_deadline: completed_on.and_then(decision_deadline),
        missing_items,
        admissible: admissible_column(assessment),
        assessment,
        history: [
            Entry::transition(caller, received, status, Some(sub.received_on), note),
            Entry::other(
                caller,
                pb::DossierHistoryKind::AdmissibilityAssessed,
                assessment_note(assessment),
            ),
        ],
        caller,
    }
}

/// A completion, as the request gives it once checked. The form itself is judged against
/// the stored receipt date, so later.
struct Completion<'a> {
    key: String,
    dossier: store::DossierKey,
    form: &'a pb::ApplicationForm,
}

impl<'a> TryFrom<&'a pb::CompleteApplicationRequest> for Completion<'a> {
    type Error = ServiceError;

    fn try_from(req: &'a pb::CompleteApplicationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        match &req.form {
            None => v.add("form", "FORM_REQUIRED: the whole form"),
            // Malformed values are named with the rest; the form as a whole is judged once
            // the dossier (its receipt date) is read.
            Some(form) => v.extend(syntax::violations("form", validate::FORM, form)),
        }
        v.finish(|| {
            Some(Completion {
                key: key?,
                dossier: dossier?,
                form: req.form.as_ref()?,
            })
        })
    }
}

/// What is still missing from a form judged as of `received_on`; a malformed form is refused.
fn checked_form(
    form: Option<&pb::ApplicationForm>,
    received_on: NaiveDate,
) -> ServiceResult<Vec<Issue>> {
    let checked = validate::check_form(form, received_on);
    let missing = checked.missing.clone();
    match checked.into_error() {
        Some(err) => Err(err),
        None => Ok(missing),
    }
}

/// A new revision of the form with what was judged of it.
struct Revised<'a> {
    form: &'a pb::ApplicationForm,
    columns: store::FormColumns,
    missing: Vec<Issue>,
    assessment: pb::AdmissibilityAssessment,
}

/// Stores the revision and moves the dossier to complete, or keeps it incomplete with what
/// is still missing; returns the status it is now in.
async fn complete(
    conn: &mut PgConnection,
    row: &store::DossierRow,
    revised: &Revised<'_>,
    caller: &Caller,
) -> ServiceResult<pb::DossierStatus> {
    // The table's target is where completion leads when nothing is missing any more.
    let completed = store::require_step(row, Step::Complete)?;
    let revision = row.form_revision + 1;
    let status = if revised.missing.is_empty() {
        completed
    } else {
        pb::DossierStatus::Incomplete
    };
    let today = Utc::now().date_naive();
    let completed_on = revised.missing.is_empty().then_some(today);
    let still_missing = missing_items(&revised.missing);
    let completion = store::Completion {
        revision,
        form: revised.form,
        columns: &revised.columns,
        status,
        completed_on,
        decision_deadline: completed_on.and_then(decision_deadline),
        missing_items: &still_missing,
        admissible: admissible_column(&revised.assessment),
        assessment: &revised.assessment,
    };
    store::record_completion(conn, row.id, &completion, caller).await?;
    link_parties(conn, row.id, revised.form, caller).await?;
    store::set_status(conn, row.id, status, caller).await?;
    completion_history(conn, row, revision, status, today, revised, caller).await?;
    let deadline = completion.decision_deadline;
    open_filing_tasks(conn, row.id, today, deadline, &revised.assessment, caller).await?;
    if admissibility::is_assessed(&revised.assessment) {
        use crate::casework::tasks::{self, Subject, TaskKind};
        let kinds = [TaskKind::AdmissibilityNotAssessed];
        let subject = Subject::Dossier(row.id);
        tasks::close(conn, &kinds, subject, "CompleteApplication", caller).await?;
    }
    Ok(status)
}

/// The history of a completion: the revision, the transition when complete, the assessment.
async fn completion_history(
    conn: &mut PgConnection,
    row: &store::DossierRow,
    revision: i32,
    status: pb::DossierStatus,
    today: NaiveDate,
    revised: &Revised<'_>,
    caller: &Caller,
) -> ServiceResult<()> {
    let still_missing = revised.missing.len();
    let revised_entry = Entry::other(
        caller,
        pb::DossierHistoryKind::FormRevised,
        format!("revision {revision}: {still_missing} item(s) still missing"),
    );
    store::append_history(conn, row.id, revised_entry).await?;
    if status == pb::DossierStatus::Complete {
        let transition = Entry::transition(caller, row.status(), status, Some(today), "completed");
        store::append_history(conn, row.id, transition).await?;
    }
    let assessed = Entry::other(
        caller,
        pb::DossierHistoryKind::AdmissibilityAssessed,
        assessment_note(&revised.assessment),
    );
    store::append_history(conn, row.id, assessed).await
}

impl IntakeApi {
    #[tracing::instrument(skip_all, fields(application_id, status))]
    pub(crate) async fn submit_application(
        &self,
        caller: &Caller,
        req: pb::SubmitApplicationRequest,
    ) -> ServiceResult<pb::SubmitApplicationResponse> {
        let sub = Submission::try_from(&req)?;
        let assessment =
            admissibility::assess(self.calculation.as_ref(), caller, sub.form, sub.received_on)
                .await;

        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, caller, "SubmitApplication", &sub.key, &req).await?
        {
            return Ok(resp);
        }
        let linked = register_parties(&mut tx, sub.form, caller).await?;
        let missing = missing_items(&sub.missing);
        let new = new_dossier(&sub, &missing, &assessment, caller);
        let store::InsertedApplication { row, attached } =
            store::insert_application(&mut tx, &new, &linked).await?;
        let deadline = new.decision_deadline;
        open_filing_tasks(
            &mut tx,
            row.id,
            sub.received_on,
            deadline,
            &assessment,
            caller,
        )
        .await?;
        let resp = pb::SubmitApplicationResponse {
            dossier: Some(store::whole(&row, sub.form.clone(), attached)?),
            created: true,
        };
        idempotency::complete(&mut tx, "SubmitApplication", &sub.key, &resp).await?;
        tx.commit().await?;
        let span = tracing::Span::current();
        span.record(
            "application_id",
            tracing::field::display(row.application_id),
        );
        span.record("status", row.status().as_str_name());
        Ok(resp)
    }

    #[tracing::instrument(skip_all, fields(status))]
    pub(crate) async fn complete_application(
        &self,
        caller: &Caller,
        req: pb::CompleteApplicationRequest,
    ) -> ServiceResult<pb::CompleteApplicationResponse> {
        let c = Completion::try_from(&req)?;
        // The receipt date is needed to judge the form; read it before the transaction.
        let received_on = {
            let mut conn = self.pool.acquire().await?;
            store::find(&mut conn, &c.dossier, false).await?.received_on
        };
        let missing = checked_form(Some(c.form), received_on)?;
        let revised = Revised {
            form: c.form,
            columns: store::FormColumns::of(c.form)?,
            missing,
            assessment: admissibility::assess(
                self.calculation.as_ref(),
                caller,
                c.form,
                received_on,
            )
            .await,
        };

        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, caller, "CompleteApplication", &c.key, &req).await?
        {
            return Ok(resp);
        }
        let row = store::find(&mut tx, &c.dossier, true).await?;
        store::check_version(&row, req.expected_version)?;
        let status = complete(&mut tx, &row, &revised, caller).await?;
        let row = store::find_by_id(&mut tx, row.id).await?;
        let resp = pb::CompleteApplicationResponse {
            dossier: Some(store::load_with(&mut tx, &row, c.form.clone()).await?),
        };
        idempotency::complete(&mut tx, "CompleteApplication", &c.key, &resp).await?;
        tx.commit().await?;
        tracing::Span::current().record("status", status.as_str_name());
        Ok(resp)
    }
}

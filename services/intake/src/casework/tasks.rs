//! The work queue's store: a task is opened by the condition that needs a person, in the
//! transaction that created the condition, and closed by the action that resolves it, in that
//! action's transaction. No other module writes `tasks` or `task_events`.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult};
use sqlx::PgConnection;
use uuid::Uuid;

/// The queue the intake process's conditions go to.
pub(crate) const INTAKE_TEAM: &str = "intake";
/// The queue the payments process's conditions go to (its case-work feed).
pub(crate) const PAYMENTS_TEAM: &str = "payments";

/// Who caused a task's event: the caller of the step, or the agent a feed event names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    pub actor: &'a str,
    pub via: Option<&'a str>,
}

impl<'a> From<&'a Caller> for Stamp<'a> {
    fn from(c: &'a Caller) -> Self {
        Stamp {
            actor: &c.actor().id,
            via: c.via(),
        }
    }
}

/// The kinds of condition that need a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskKind {
    DecisionDeadline,
    AdmissibilityNotAssessed,
    DebtorNoticeTracking,
    DebtorNoticeReturned,
    DebtorWindowEnded,
    UnmatchedBankLine,
    ReturnedPayout,
    PayoutAccountAwaitingSecondAgent,
    MissedPlanInstalment,
    SuspensionReview,
    AdultChildRenewal,
    PrescriptionWatch,
}

impl TaskKind {
    pub(crate) const ALL: [TaskKind; 12] = [
        TaskKind::DecisionDeadline,
        TaskKind::AdmissibilityNotAssessed,
        TaskKind::DebtorNoticeTracking,
        TaskKind::DebtorNoticeReturned,
        TaskKind::DebtorWindowEnded,
        TaskKind::UnmatchedBankLine,
        TaskKind::ReturnedPayout,
        TaskKind::PayoutAccountAwaitingSecondAgent,
        TaskKind::MissedPlanInstalment,
        TaskKind::SuspensionReview,
        TaskKind::AdultChildRenewal,
        TaskKind::PrescriptionWatch,
    ];

    /// The team whose queue the kind's tasks go to.
    pub(crate) fn team(self) -> &'static str {
        match self {
            TaskKind::DecisionDeadline
            | TaskKind::AdmissibilityNotAssessed
            | TaskKind::DebtorNoticeTracking
            | TaskKind::DebtorNoticeReturned
            | TaskKind::DebtorWindowEnded
            | TaskKind::AdultChildRenewal => INTAKE_TEAM,
            _ => PAYMENTS_TEAM,
        }
    }

    pub(crate) fn db(self) -> &'static str {
        match self {
            TaskKind::DecisionDeadline => "DECISION_DEADLINE",
            TaskKind::AdmissibilityNotAssessed => "ADMISSIBILITY_NOT_ASSESSED",
            TaskKind::DebtorNoticeTracking => "DEBTOR_NOTICE_TRACKING",
            TaskKind::DebtorNoticeReturned => "DEBTOR_NOTICE_RETURNED",
            TaskKind::DebtorWindowEnded => "DEBTOR_WINDOW_ENDED",
            TaskKind::UnmatchedBankLine => "UNMATCHED_BANK_LINE",
            TaskKind::ReturnedPayout => "RETURNED_PAYOUT",
            TaskKind::PayoutAccountAwaitingSecondAgent => "PAYOUT_ACCOUNT_AWAITING_SECOND_AGENT",
            TaskKind::MissedPlanInstalment => "MISSED_PLAN_INSTALMENT",
            TaskKind::SuspensionReview => "SUSPENSION_REVIEW",
            TaskKind::AdultChildRenewal => "ADULT_CHILD_RENEWAL",
            TaskKind::PrescriptionWatch => "PRESCRIPTION_WATCH",
        }
    }

    pub(crate) fn from_db(s: &str) -> ServiceResult<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.db() == s)
            .ok_or_else(|| ServiceError::internal(format!("stored task kind {s:?}")))
    }

    pub(crate) fn to_pb(self) -> pb::TaskKind {
        match self {
            TaskKind::DecisionDeadline => pb::TaskKind::DecisionDeadline,
            TaskKind::AdmissibilityNotAssessed => pb::TaskKind::AdmissibilityNotAssessed,
            TaskKind::DebtorNoticeTracking => pb::TaskKind::DebtorNoticeTracking,
            TaskKind::DebtorNoticeReturned => pb::TaskKind::DebtorNoticeReturned,
            TaskKind::DebtorWindowEnded => pb::TaskKind::DebtorWindowEnded,
            TaskKind::UnmatchedBankLine => pb::TaskKind::UnmatchedBankLine,
            TaskKind::ReturnedPayout => pb::TaskKind::ReturnedPayout,
            TaskKind::PayoutAccountAwaitingSecondAgent => {
                pb::TaskKind::PayoutAccountAwaitingSecondAgent
            }
            TaskKind::MissedPlanInstalment => pb::TaskKind::MissedPlanInstalment,
            TaskKind::SuspensionReview => pb::TaskKind::SuspensionReview,
            TaskKind::AdultChildRenewal => pb::TaskKind::AdultChildRenewal,
            TaskKind::PrescriptionWatch => pb::TaskKind::PrescriptionWatch,
        }
    }

    pub(crate) fn from_pb(k: pb::TaskKind) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.to_pb() == k)
    }
}

/// What a task is about: a dossier, a letter of a dossier, or what another process's
/// condition names (its own subject, and the dossier when there is one). The subject names
/// the condition: one open task per kind and subject.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    Dossier(i64),
    Letter {
        dossier_id: i64,
        letter_id: i64,
    },
    Payments {
        key: String,
        dossier_id: Option<i64>,
    },
    /// A creditor of a dossier, by the form's creditor key.
    Creditor {
        dossier_id: i64,
        key: String,
    },
    /// A subject as stored (its key), to close the task found under it.
    Recorded(String),
}

impl Subject {
    pub(crate) fn key(&self) -> String {
        match self {
            Subject::Dossier(id) => format!("dossier:{id}"),
            Subject::Letter { letter_id, .. } => format!("letter:{letter_id}"),
            Subject::Payments { key, .. } => format!("payments:{key}"),
            Subject::Creditor { dossier_id, key } => format!("creditor:{dossier_id}/{key}"),
            Subject::Recorded(key) => key.clone(),
        }
    }

    fn dossier_id(&self) -> Option<i64> {
        match self {
            Subject::Dossier(id)
            | Subject::Letter { dossier_id: id, .. }
            | Subject::Creditor { dossier_id: id, .. } => Some(*id),
            Subject::Payments { dossier_id, .. } => *dossier_id,
            Subject::Recorded(_) => None,
        }
    }

    fn letter_id(&self) -> Option<i64> {
        match self {
            Subject::Letter { letter_id, .. } => Some(*letter_id),
            _ => None,
        }
    }
}

/// A condition that needs a person.
pub(crate) struct Condition {
    pub kind: TaskKind,
    pub subject: Subject,
    /// Listed from this date: a condition that ripens on a date is known before it.
    pub listed_from: NaiveDate,
    pub due_on: NaiveDate,
    pub summary: String,
}

/// Opens the condition's task, unless one is open for it already.
pub(crate) async fn open(
    conn: &mut PgConnection,
    c: Condition,
    caller: &Caller,
) -> ServiceResult<()> {
    open_all(conn, vec![c], caller.into()).await
}

/// Opens the conditions' tasks in one statement (a submission opens up to two), each unless
/// one is open for its condition already.
#[tracing::instrument(skip_all, fields(count = conditions.len()))]
pub(crate) async fn open_all(
    conn: &mut PgConnection,
    conditions: Vec<Condition>,
    by: Stamp<'_>,
) -> ServiceResult<()> {
    if conditions.is_empty() {
        return Ok(());
    }
    let n = conditions.len();
    let mut ids = Vec::with_capacity(n);
    let (mut kinds, mut subjects, mut dossiers, mut letters) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut listed, mut due, mut summaries) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut teams = Vec::with_capacity(n);
    for c in conditions {
        teams.push(c.kind.team());
        ids.push(Uuid::new_v4());
        kinds.push(c.kind.db());
        subjects.push(c.subject.key());
        dossiers.push(c.subject.dossier_id());
        letters.push(c.subject.letter_id());
        listed.push(c.listed_from);
        due.push(c.due_on);
        summaries.push(c.summary);
    }
    sqlx::query(
        "WITH opened AS (
             INSERT INTO tasks (public_id, kind, subject, dossier_id, letter_id, team,
                                listed_from, due_on, summary, opened_by, opened_via)
             SELECT u.i, u.k, u.s, u.d, u.l, u.t, u.lf, u.du, u.su, $10, $11
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                           $6::date[], $7::date[], $8::text[], $9::text[])
                    AS u(i, k, s, d, l, lf, du, su, t)
             ON CONFLICT (kind, subject) WHERE closed_at IS NULL DO NOTHING
             RETURNING id, team)
         INSERT INTO task_events (task_id, sequence, kind, team, actor, via)
         SELECT id, 1, 'OPENED', team, $10, $11 FROM opened",
    )
    .bind(&ids)
    .bind(&kinds)
    .bind(&subjects)
    .bind(&dossiers)
    .bind(&letters)
    .bind(&listed)
    .bind(&due)
    .bind(&summaries)
    .bind(&teams)
    .bind(by.actor)
    .bind(by.via)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes the open tasks of these kinds about the subject: `action` resolved them.
#[tracing::instrument(skip_all, fields(action))]
pub(crate) async fn close(
    conn: &mut PgConnection,
    kinds: &[TaskKind],
    subject: Subject,
    action: &str,
    caller: &Caller,
) -> ServiceResult<()> {
    close_as(conn, kinds, subject, action, caller.into()).await
}

/// [`close`], by whoever a feed event names.
pub(crate) async fn close_as(
    conn: &mut PgConnection,
    kinds: &[TaskKind],
    subject: Subject,
    action: &str,
    by: Stamp<'_>,
) -> ServiceResult<()> {
    close_where(conn, kinds, Closing::Subject(subject.key()), action, by).await
}

/// Closes the open tasks of these kinds about a dossier, whatever their subject.
pub(crate) async fn close_kinds_of_dossier(
    conn: &mut PgConnection,
    dossier_id: i64,
    kinds: &[TaskKind],
    action: &str,
    caller: &Caller,
) -> ServiceResult<()> {
    let closing = Closing::Dossier(dossier_id);
    close_where(conn, kinds, closing, action, caller.into()).await
}

/// Which open tasks a closing takes: those of one subject, or every one about a dossier.
enum Closing {
    Subject(String),
    Dossier(i64),
}

/// The one statement that closes tasks and writes their CLOSED events.
async fn close_where(
    conn: &mut PgConnection,
    kinds: &[TaskKind],
    closing: Closing,
    action: &str,
    by: Stamp<'_>,
) -> ServiceResult<()> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.db()).collect();
    let (subject, dossier) = match closing {
        Closing::Subject(s) => (Some(s), None),
        Closing::Dossier(d) => (None, Some(d)),
    };
    sqlx::query(
        "WITH closed AS (
             UPDATE tasks SET closed_by = $4, closed_via = $5, closed_at = now(),
                              closed_by_action = $6
              WHERE kind = ANY($1) AND closed_at IS NULL
                AND ($2::text IS NULL OR subject = $2)
                AND ($3::bigint IS NULL OR dossier_id = $3)
              RETURNING id, owner_agent_id, team)
         INSERT INTO task_events (task_id, sequence, kind, owner_agent_id, team, note, actor, via)
         SELECT c.id, (SELECT max(e.sequence) + 1 FROM task_events e WHERE e.task_id = c.id),
                'CLOSED', c.owner_agent_id, c.team, 'resolved by ' || $6, $4, $5
           FROM closed c",
    )
    .bind(&kinds)
    .bind(subject)
    .bind(dossier)
    .bind(by.actor)
    .bind(by.via)
    .bind(action)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The open tasks of a kind about a dossier: each one's subject key and due date.
pub(crate) async fn open_of_dossier(
    conn: &mut PgConnection,
    dossier_id: i64,
    kind: TaskKind,
) -> ServiceResult<Vec<(String, NaiveDate)>> {
    Ok(sqlx::query_as(
        "SELECT subject, due_on FROM tasks
          WHERE dossier_id = $1 AND kind = $2 AND closed_at IS NULL",
    )
    .bind(dossier_id)
    .bind(kind.db())
    .fetch_all(&mut *conn)
    .await?)
}

/// Closes every open task about a dossier (its letters' included): the dossier ended.
pub(crate) async fn close_all_of_dossier(
    conn: &mut PgConnection,
    dossier_id: i64,
    action: &str,
    caller: &Caller,
) -> ServiceResult<()> {
    close_kinds_of_dossier(conn, dossier_id, &TaskKind::ALL, action, caller).await
}

/// A task row with what the contract shows of its subject.
#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    pub id: i64,
    pub public_id: Uuid,
    pub kind: String,
    pub team: String,
    pub owner_agent_id: Option<String>,
    pub listed_from: NaiveDate,
    pub due_on: NaiveDate,
    pub summary: String,
    pub opened_by: String,
    pub opened_via: Option<String>,
    pub opened_at: chrono::DateTime<chrono::Utc>,
    pub closed_by: Option<String>,
    pub closed_via: Option<String>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub closed_by_action: Option<String>,
    pub dossier_number: Option<String>,
    pub application_id: Option<Uuid>,
    pub letter_public_id: Option<Uuid>,
}

macro_rules! task_select {
    () => {
        "SELECT t.id, t.public_id, t.kind, t.team, t.owner_agent_id, t.listed_from, t.due_on,
                t.summary, t.opened_by, t.opened_via, t.opened_at, t.closed_by, t.closed_via,
                t.closed_at, t.closed_by_action, d.dossier_number, d.application_id,
                l.public_id AS letter_public_id
           FROM tasks t
           LEFT JOIN dossiers d ON d.id = t.dossier_id
           LEFT JOIN letters l ON l.id = t.letter_id "
    };
}
pub(crate) use task_select;

impl TaskRow {
    pub(crate) fn into_pb(self, today: NaiveDate) -> ServiceResult<pb::Task> {
        let kind = TaskKind::from_db(&self.kind)?;
        let open = self.closed_at.is_none();
        Ok(pb::Task {
            task_id: self.public_id.to_string(),
            kind: kind.to_pb() as i32,
            state: if open {
                pb::TaskState::Open
            } else {
                pb::TaskState::Closed
            } as i32,
            team: self.team,
            owner_agent_id: self.owner_agent_id.unwrap_or_default(),
            due_on: Some(secal_runtime::wire::date_to_pb(self.due_on)),
            listed_from: Some(secal_runtime::wire::date_to_pb(self.listed_from)),
            overdue: open && self.due_on < today,
            dossier_number: self.dossier_number.unwrap_or_default(),
            application_id: self
                .application_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            letter_id: self
                .letter_public_id
                .map(|u| u.to_string())
                .unwrap_or_default(),
            summary: self.summary,
            opened: Some(crate::store::stamp(
                &self.opened_by,
                self.opened_via.as_deref(),
                self.opened_at,
            )),
            closed: match (self.closed_by, self.closed_at) {
                (Some(by), Some(at)) => {
                    Some(crate::store::stamp(&by, self.closed_via.as_deref(), at))
                }
                _ => None,
            },
            closed_by_action: self.closed_by_action.unwrap_or_default(),
        })
    }
}

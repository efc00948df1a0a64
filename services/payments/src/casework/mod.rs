//! The case-work feed (CaseworkFeedService): the conditions of the payments process that need
//! an agent, as events the intake process pulls into the agents' one work queue. This is the
//! one module that writes `casework_events`. A use case hands it the events of its condition
//! inside its own transaction, so that a condition and its event commit or roll back
//! together; the RPCs are idempotent by key and a replay is answered from the stored response
//! before any work, so a replay writes no event.
//!
//! Subjects, one open task per task kind and subject (see [`subject`]):
//! `statement-line:<line uuid>`, `payout:<payout id>`,
//! `payout-account-change:<payout account id>`, `plan-instalment:<plan uuid>/<due date>`
//! and `suspension:<suspension uuid>`.
//!
//! Summaries say what to do in one line and carry no personal data: dossier numbers,
//! amounts, dates and our own ids only (no names, national numbers, IBANs, and no text a
//! third party wrote, such as a bank line's remittance).

pub(crate) mod letters;
mod list;

pub(crate) use letters::acknowledge;
pub(crate) use list::list;

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceResult};
use sqlx::PgConnection;

/// The subjects of the payments conditions, each formed here only, so that the event that
/// opens a task and the one that closes it name it alike.
pub(crate) mod subject {
    use chrono::NaiveDate;
    use uuid::Uuid;

    pub(crate) fn statement_line(line: Uuid) -> String {
        format!("statement-line:{line}")
    }

    pub(crate) fn payout(payout_id: &str) -> String {
        format!("payout:{payout_id}")
    }

    pub(crate) fn payout_account_change(payout_account_id: &str) -> String {
        format!("payout-account-change:{payout_account_id}")
    }

    pub(crate) fn plan_instalment(plan: Uuid, due: NaiveDate) -> String {
        format!("plan-instalment:{plan}/{due}")
    }

    pub(crate) fn suspension(suspension: Uuid) -> String {
        format!("suspension:{suspension}")
    }

    pub(crate) fn prescription_watch(dossier: &str) -> String {
        format!("prescription-watch:{dossier}")
    }
}

/// Who caused an event: the accountable actor and the system the call came through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct By<'a> {
    actor: &'a str,
    via: Option<&'a str>,
}

impl<'a> By<'a> {
    /// A process's own work (a run), by the actor that started it.
    pub(crate) fn actor(actor: &'a str) -> Self {
        Self { actor, via: None }
    }

    pub(crate) fn of(caller: &'a Caller) -> Self {
        Self {
            actor: &caller.actor().id,
            via: caller.via(),
        }
    }
}

/// A condition arose: its task is to be opened.
#[derive(Debug, Clone)]
pub(crate) struct Opening {
    pub kind: pb::TaskKind,
    pub subject: String,
    /// Empty when the condition concerns no dossier (a statement line).
    pub dossier_number: String,
    pub listed_from: NaiveDate,
    pub due_on: NaiveDate,
    /// One line saying what to do, without personal data.
    pub summary: String,
}

/// A condition was resolved by `action` (the RPC's name). Its event names the dossier of the
/// opening it closes.
#[derive(Debug, Clone)]
pub(crate) struct Closing {
    pub kind: pb::TaskKind,
    pub subject: String,
    pub action: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) enum Event {
    Opened(Opening),
    Closed(Closing),
}

impl Event {
    fn key(&self) -> (i16, &str) {
        match self {
            Event::Opened(o) => (o.kind as i16, o.subject.as_str()),
            Event::Closed(c) => (c.kind as i16, c.subject.as_str()),
        }
    }
}

/// Closings of `kind` for each of `subjects`, by `action` (those not open are skipped when
/// written).
pub(crate) fn closings(
    kind: pb::TaskKind,
    subjects: impl IntoIterator<Item = String>,
    action: &'static str,
) -> Vec<Event> {
    subjects
        .into_iter()
        .map(|subject| {
            Event::Closed(Closing {
                kind,
                subject,
                action,
            })
        })
        .collect()
}

/// The dossiers a condition concerns, for a summary: "dossier X", or "dossier X and 2 more".
pub(crate) fn on_dossiers(dossiers: &[String]) -> String {
    match dossiers {
        [] => "no dossier".to_owned(),
        [one] => format!("dossier {one}"),
        [first, rest @ ..] => format!("dossier {first} and {} more", rest.len()),
    }
}

/// Today on the services' (UTC) clock, as the rest of the payments process dates its work.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `days` after today (a task's due date; the date arithmetic cannot overflow in practice,
/// and today is the safe answer if it ever did: the task is due at once).
pub(crate) fn in_days(days: u64) -> NaiveDate {
    let today = today();
    today.checked_add_days(Days::new(days)).unwrap_or(today)
}

/// Writes the opening of a condition's task (none if one is open for it already).
pub(crate) async fn open(
    conn: &mut PgConnection,
    opening: Opening,
    by: By<'_>,
) -> ServiceResult<usize> {
    write(conn, vec![Event::Opened(opening)], by).await
}

/// Writes the closing of a condition's task by `action` (none if no task is open for it, e.g.
/// a condition that arose before the feed existed).
pub(crate) async fn close(
    conn: &mut PgConnection,
    kind: pb::TaskKind,
    subject: String,
    action: &'static str,
    by: By<'_>,
) -> ServiceResult<usize> {
    let closing = Closing {
        kind,
        subject,
        action,
    };
    write(conn, vec![Event::Closed(closing)], by).await
}

/// Writes `events` in order, in the caller's transaction: an opening only when no task is
/// open for its kind and subject, a closing only when one is (with the dossier of that
/// opening), so that the feed never says the same thing twice (a subject closed then opened
/// in one call gets both). Returns how many were written.
///
/// Call it as the last write of the transaction: it takes the feed's lock (see
/// [`serialise`]), held until the commit.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn write(
    conn: &mut PgConnection,
    events: Vec<Event>,
    by: By<'_>,
) -> ServiceResult<usize> {
    if events.is_empty() {
        return Ok(0);
    }
    serialise(conn).await?;
    let mut open = open_now(conn, &events).await?;
    let mut written = 0;
    for event in &events {
        let (kind, subject) = event.key();
        // `Some(dossier)`: a task is open, opened for that dossier ('' for none).
        let task = open.entry((kind, subject.to_owned())).or_insert(None);
        match (event, task.take()) {
            (Event::Opened(o), None) => {
                insert_opened(conn, o, by).await?;
                *task = Some(o.dossier_number.clone());
            }
            (Event::Closed(c), Some(dossier)) => {
                insert_closed(conn, c, &dossier, by).await?;
            }
            (Event::Opened(_), was) | (Event::Closed(_), was @ None) => {
                *task = was;
                continue;
            }
        }
        written += 1;
    }
    tracing::info!(written, "casework events written");
    Ok(written)
}

/// The subjects of a kind whose task is open (their last event is an opening).
pub(crate) async fn open_subjects(
    conn: &mut PgConnection,
    kind: pb::TaskKind,
) -> ServiceResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT subject FROM (
             SELECT DISTINCT ON (subject) subject, kind FROM casework_events
              WHERE task_kind = $1 ORDER BY subject, sequence DESC) last
          WHERE kind = $2",
    )
    .bind(kind as i16)
    .bind(pb::CaseworkEventKind::TaskOpened as i16)
    .fetch_all(conn)
    .await?)
}

/// Makes the writers of the feed take their sequence numbers in commit order. A reader (the
/// intake pump) moves its cursor past the highest sequence it read: had a transaction taken
/// number 10 and another number 11 and committed first, the reader would see 11, move past
/// 10, and never read the event numbered 10 once it committed. With this lock, held from
/// the first event to the commit, no number is taken while a smaller one may still commit.
/// Writers wait for each other only from their events to their commit, which is why the
/// events are each transaction's last write.
async fn serialise(conn: &mut PgConnection) -> ServiceResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('payments.casework_events'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a task is open for each event's kind and subject (its subject's last event is an
/// opening), and for which dossier. Read under the feed's lock, so no other writer changes
/// it before the commit.
async fn open_now(
    conn: &mut PgConnection,
    events: &[Event],
) -> ServiceResult<HashMap<(i16, String), Option<String>>> {
    let (kinds, subjects): (Vec<i16>, Vec<String>) = events
        .iter()
        .map(|e| {
            let (k, s) = e.key();
            (k, s.to_owned())
        })
        .unzip();
    let rows: Vec<(i16, String, i16, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (e.task_kind, e.subject) e.task_kind, e.subject, e.kind,
                e.dossier_number
           FROM casework_events e
           JOIN unnest($1::smallint[], $2::text[]) AS q (task_kind, subject)
             ON e.task_kind = q.task_kind AND e.subject = q.subject
          ORDER BY e.task_kind, e.subject, e.sequence DESC",
    )
    .bind(&kinds)
    .bind(&subjects)
    .fetch_all(conn)
    .await?;
    let opened = pb::CaseworkEventKind::TaskOpened as i16;
    Ok(rows
        .into_iter()
        .map(|(kind, subject, last, dossier)| {
            ((kind, subject), (last == opened).then_some(dossier))
        })
        .collect())
}

async fn insert_opened(conn: &mut PgConnection, o: &Opening, by: By<'_>) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO casework_events (kind, task_kind, subject, dossier_number, due_on,
                                      listed_from, summary, actor, via)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(pb::CaseworkEventKind::TaskOpened as i16)
    .bind(o.kind as i16)
    .bind(&o.subject)
    .bind(&o.dossier_number)
    .bind(o.due_on)
    // Never after the due date: a condition found late is listed and due at once.
    .bind(o.listed_from.min(o.due_on))
    .bind(&o.summary)
    .bind(by.actor)
    .bind(by.via)
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_closed(
    conn: &mut PgConnection,
    c: &Closing,
    dossier: &str,
    by: By<'_>,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO casework_events (kind, task_kind, subject, dossier_number, action, actor,
                                      via)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(pb::CaseworkEventKind::TaskClosed as i16)
    .bind(c.kind as i16)
    .bind(&c.subject)
    .bind(dossier)
    .bind(c.action)
    .bind(by.actor)
    .bind(by.via)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_the_contracts() {
        let id = uuid::Uuid::nil();
        let due = NaiveDate::from_ymd_opt(2024, 7, 5).unwrap();
        assert_eq!(
            subject::statement_line(id),
            "statement-line:00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(subject::payout("po1"), "payout:po1");
        assert_eq!(
            subject::payout_account_change("pa1"),
            "payout-account-change:pa1"
        );
        assert_eq!(
            subject::plan_instalment(id, due),
            "plan-instalment:00000000-0000-0000-0000-000000000000/2024-07-05"
        );
        assert_eq!(
            subject::suspension(id),
            "suspension:00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn summaries_name_the_first_dossier_and_count_the_others() {
        let ds = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(on_dossiers(&ds(&[])), "no dossier");
        assert_eq!(on_dossiers(&ds(&["A"])), "dossier A");
        assert_eq!(on_dossiers(&ds(&["A", "B", "C"])), "dossier A and 2 more");
    }

    #[test]
    fn due_dates_count_from_today() {
        assert_eq!(in_days(0), today());
        assert_eq!(in_days(7) - today(), chrono::Duration::days(7));
    }
}

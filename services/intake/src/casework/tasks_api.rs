//! WorkQueueService: listing tasks, claiming and reassigning them. Closing is not here: a
//! task is closed by the action that resolves its condition (`tasks::close`).

use chrono::{Datelike, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgConnection;
use uuid::Uuid;

use super::tasks::{TaskKind, TaskRow, task_select};
use crate::{api::IntakeApi, lifecycle::RequestParts, store};

use secal_runtime::roles::TEAM_LEAD;

/// The queue's order is (due date, id); its page token packs both into one key: the day
/// number in the high bits, the id (below 2^40) in the low ones.
const ID_BITS: u32 = 40;

fn order_key(due_on: NaiveDate, id: i64) -> i64 {
    (i64::from(due_on.num_days_from_ce()) << ID_BITS) | id
}

fn from_order_key(key: i64) -> ServiceResult<(NaiveDate, i64)> {
    let day = i32::try_from(key >> ID_BITS).ok();
    let due = day.and_then(NaiveDate::from_num_days_from_ce_opt);
    match due {
        Some(due) if key >= 0 => Ok((due, key & ((1 << ID_BITS) - 1))),
        _ => Err(ServiceError::invalid_field(
            "page.page_token",
            "not a token this server issued",
        )),
    }
}

fn task_id(field: &str, raw: &str) -> ServiceResult<Uuid> {
    Uuid::parse_str(raw.trim())
        .map_err(|_| ServiceError::invalid_field(field, "not a task id (a UUID)"))
}

/// A listing's filters, as the request gives them once checked.
struct TaskFilter {
    include_closed: bool,
    owner: Option<String>,
    team: Option<String>,
    kind: Option<TaskKind>,
    dossier: Option<store::DossierKey>,
    after: Option<(NaiveDate, i64)>,
    size: i64,
}

impl TryFrom<&pb::ListTasksRequest> for TaskFilter {
    type Error = ServiceError;

    fn try_from(req: &pb::ListTasksRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let owner = v.take(wire::optional_text(
            "owner_agent_id",
            &req.owner_agent_id,
            wire::ID,
        ));
        let team = v.take(wire::optional_text("team", &req.team, wire::ID));
        let kind = v
            .take(wire::optional_enum::<pb::TaskKind>("kind", req.kind))
            .flatten()
            .map(|k| TaskKind::from_pb(k).ok_or(k));
        let kind = match kind {
            Some(Err(_)) => {
                v.add("kind", "UNKNOWN_VALUE: not a task kind");
                None
            }
            Some(Ok(k)) => Some(k),
            None => None,
        };
        let dossier = match &req.dossier {
            Some(d) => v.dossier(Some(d)),
            None => None,
        };
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let after = match page.as_ref().and_then(|p| p.after) {
            Some(k) => v.take_all(from_order_key(k)),
            None => None,
        };
        v.finish(|| {
            Some(TaskFilter {
                include_closed: req.include_closed,
                owner: owner?,
                team: team?,
                kind,
                dossier,
                after,
                size: page?.size,
            })
        })
    }
}

async fn dossier_id(
    conn: &mut PgConnection,
    key: Option<&store::DossierKey>,
) -> ServiceResult<Option<i64>> {
    match key {
        Some(k) => Ok(Some(store::find(conn, k, false).await?.id)),
        None => Ok(None),
    }
}

async fn find_task(conn: &mut PgConnection, id: Uuid, lock: bool) -> ServiceResult<TaskRow> {
    let row: Option<TaskRow> = if lock {
        sqlx::query_as(concat!(
            task_select!(),
            "WHERE t.public_id = $1 FOR UPDATE OF t"
        ))
    } else {
        sqlx::query_as(concat!(task_select!(), "WHERE t.public_id = $1"))
    }
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(|| ServiceError::not_found(format!("no task {id}")))
}

async fn append_event(
    conn: &mut PgConnection,
    task: i64,
    kind: &str,
    owner: Option<&str>,
    team: &str,
    note: &str,
    caller: &Caller,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO task_events (task_id, sequence, kind, owner_agent_id, team, note, actor, via)
         SELECT $1, max(sequence) + 1, $2, $3, $4, $5, $6, $7 FROM task_events WHERE task_id = $1",
    )
    .bind(task)
    .bind(kind)
    .bind(owner)
    .bind(team)
    .bind(note)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn open_task(row: &TaskRow) -> ServiceResult<()> {
    match &row.closed_by_action {
        Some(action) => Err(ServiceError::failed_precondition(
            "TASK_CLOSED",
            format!("the task was closed by {action}"),
        )),
        None => Ok(()),
    }
}

/// A reassignment, as the request gives it once checked.
struct Reassignment {
    key: String,
    task: Uuid,
    to_agent: Option<String>,
    to_team: Option<String>,
    note: String,
}

impl TryFrom<&pb::ReassignTaskRequest> for Reassignment {
    type Error = ServiceError;

    fn try_from(req: &pb::ReassignTaskRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let task = v.take_all(task_id("task_id", &req.task_id));
        let to_agent = v.take(wire::optional_text(
            "to_agent_id",
            &req.to_agent_id,
            wire::ID,
        ));
        let to_team = v.take(wire::optional_text("to_team", &req.to_team, wire::ID));
        let note = v.take(wire::required_text("note", &req.note, wire::NOTE));
        v.finish(|| {
            Some(Reassignment {
                key: key?,
                task: task?,
                to_agent: to_agent?,
                to_team: to_team?,
                note: note?,
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_tasks(
        &self,
        _caller: &Caller,
        req: pb::ListTasksRequest,
    ) -> ServiceResult<pb::ListTasksResponse> {
        let f = TaskFilter::try_from(&req)?;
        let mut conn = self.pool.acquire().await?;
        let dossier = dossier_id(&mut conn, f.dossier.as_ref()).await?;
        let (after_due, after_id) = f.after.map_or((None, None), |(d, i)| (Some(d), Some(i)));
        let kind = f.kind.map(TaskKind::db);
        let rows: Vec<TaskRow> = sqlx::query_as(concat!(
            task_select!(),
            "WHERE ($1 OR (t.closed_at IS NULL AND t.listed_from <= current_date))
               AND ($2::text IS NULL OR t.owner_agent_id = $2)
               AND ($3::text IS NULL OR t.team = $3)
               AND ($4::text IS NULL OR t.kind = $4)
               AND ($5::bigint IS NULL OR t.dossier_id = $5)
               AND ($6::date IS NULL OR (t.due_on, t.id) > ($6, $7))
             ORDER BY t.due_on, t.id
             LIMIT $8"
        ))
        .bind(f.include_closed)
        .bind(&f.owner)
        .bind(&f.team)
        .bind(kind)
        .bind(dossier)
        .bind(after_due)
        .bind(after_id)
        .bind(f.size)
        .fetch_all(&mut *conn)
        .await?;
        let counts: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT kind, count(*), count(*) FILTER (WHERE due_on < current_date)
               FROM tasks t
              WHERE t.closed_at IS NULL AND t.listed_from <= current_date
                AND ($1::text IS NULL OR t.owner_agent_id = $1)
                AND ($2::text IS NULL OR t.team = $2)
                AND ($3::text IS NULL OR t.kind = $3)
                AND ($4::bigint IS NULL OR t.dossier_id = $4)
              GROUP BY kind ORDER BY kind",
        )
        .bind(&f.owner)
        .bind(&f.team)
        .bind(kind)
        .bind(dossier)
        .fetch_all(&mut *conn)
        .await?;
        let last = rows.last().map(|r| order_key(r.due_on, r.id));
        let page = wire::Page {
            size: f.size,
            after: None,
        };
        let page = wire::page_to_pb(&page, rows.len(), last);
        let today = today();
        let tasks = rows
            .into_iter()
            .map(|r| r.into_pb(today))
            .collect::<ServiceResult<_>>()?;
        let counts = counts
            .into_iter()
            .map(|(kind, open, overdue)| {
                Ok(pb::TaskCount {
                    kind: TaskKind::from_db(&kind)?.to_pb() as i32,
                    open,
                    overdue,
                })
            })
            .collect::<ServiceResult<_>>()?;
        Ok(pb::ListTasksResponse {
            tasks,
            counts,
            page: Some(page),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn get_task(
        &self,
        _caller: &Caller,
        req: pb::GetTaskRequest,
    ) -> ServiceResult<pb::GetTaskResponse> {
        let id = task_id("task_id", &req.task_id)?;
        let mut conn = self.pool.acquire().await?;
        let row = find_task(&mut conn, id, false).await?;
        let events: Vec<TaskEventRow> = sqlx::query_as(
            "SELECT kind, owner_agent_id, team, note, actor, via, at FROM task_events
              WHERE task_id = $1 ORDER BY sequence",
        )
        .bind(row.id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(pb::GetTaskResponse {
            task: Some(row.into_pb(today())?),
            history: events.into_iter().map(TaskEventRow::into_pb).collect(),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn claim_task(
        &self,
        caller: &Caller,
        req: pb::ClaimTaskRequest,
    ) -> ServiceResult<pb::ClaimTaskResponse> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let task = v.take_all(task_id("task_id", &req.task_id));
        let (key, task) = v.finish(|| Some((key?, task?)))?;
        const M: &str = "ClaimTask";
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, M, &key, &req).await? {
            return Ok(resp);
        }
        let row = find_task(&mut tx, task, true).await?;
        open_task(&row)?;
        let me = caller.actor().id.as_str();
        match row.owner_agent_id.as_deref() {
            Some(owner) if owner == me => {}
            Some(owner) => {
                return Err(ServiceError::failed_precondition(
                    "TASK_OWNED",
                    format!("the task is {owner}'s: ask for it to be reassigned"),
                ));
            }
            None => {
                sqlx::query("UPDATE tasks SET owner_agent_id = $2 WHERE id = $1")
                    .bind(row.id)
                    .bind(me)
                    .execute(&mut *tx)
                    .await?;
                append_event(&mut tx, row.id, "CLAIMED", Some(me), &row.team, "", caller).await?;
            }
        }
        let resp = pb::ClaimTaskResponse {
            task: Some(find_task(&mut tx, task, false).await?.into_pb(today())?),
        };
        idempotency::complete(&mut tx, M, &key, &resp).await?;
        tx.commit().await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn reassign_task(
        &self,
        caller: &Caller,
        req: pb::ReassignTaskRequest,
    ) -> ServiceResult<pb::ReassignTaskResponse> {
        let r = Reassignment::try_from(&req)?;
        const M: &str = "ReassignTask";
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, M, &r.key, &req).await? {
            return Ok(resp);
        }
        let row = find_task(&mut tx, r.task, true).await?;
        open_task(&row)?;
        let me = caller.actor().id.as_str();
        let owns = row.owner_agent_id.as_deref() == Some(me);
        if !owns && !caller.actor().has_role(TEAM_LEAD) {
            return Err(ServiceError::permission_denied(
                "NOT_TASK_OWNER",
                "only the task's owner or a team-lead may reassign it",
            ));
        }
        let team = r.to_team.clone().unwrap_or_else(|| row.team.clone());
        sqlx::query("UPDATE tasks SET owner_agent_id = $2, team = $3 WHERE id = $1")
            .bind(row.id)
            .bind(&r.to_agent)
            .bind(&team)
            .execute(&mut *tx)
            .await?;
        let owner = r.to_agent.as_deref();
        append_event(&mut tx, row.id, "REASSIGNED", owner, &team, &r.note, caller).await?;
        let resp = pb::ReassignTaskResponse {
            task: Some(find_task(&mut tx, r.task, false).await?.into_pb(today())?),
        };
        idempotency::complete(&mut tx, M, &r.key, &resp).await?;
        tx.commit().await?;
        Ok(resp)
    }
}

#[derive(sqlx::FromRow)]
struct TaskEventRow {
    kind: String,
    owner_agent_id: Option<String>,
    team: String,
    note: String,
    actor: String,
    via: Option<String>,
    at: chrono::DateTime<Utc>,
}

impl TaskEventRow {
    fn into_pb(self) -> pb::TaskEvent {
        let kind = match self.kind.as_str() {
            "OPENED" => pb::TaskEventKind::Opened,
            "CLAIMED" => pb::TaskEventKind::Claimed,
            "REASSIGNED" => pb::TaskEventKind::Reassigned,
            "CLOSED" => pb::TaskEventKind::Closed,
            _ => pb::TaskEventKind::Unspecified,
        };
        pb::TaskEvent {
            kind: kind as i32,
            at: Some(store::stamp(&self.actor, self.via.as_deref(), self.at)),
            owner_agent_id: self.owner_agent_id.unwrap_or_default(),
            team: self.team,
            note: self.note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_key_keeps_the_due_date_and_the_id() {
        let due = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let key = order_key(due, 123_456);
        assert_eq!(from_order_key(key).expect("decodes"), (due, 123_456));
        assert!(order_key(due, 2) < order_key(due.succ_opt().expect("next"), 1));
        assert!(from_order_key(-1).is_err());
    }
}

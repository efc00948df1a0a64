//! Agents assigned to dossiers, per task; an assignment is ended, never deleted.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;

use super::{Begun, RequestParts, finish, reload};
use crate::{
    api::IntakeApi,
    store::{self, DossierKey, DossierRow, Entry},
};
use pb::DossierStatus as S;

fn task(v: &mut Violations, raw: i32) -> pb::AgentTask {
    let t = pb::AgentTask::try_from(raw).unwrap_or_default();
    if t == pb::AgentTask::Unspecified {
        v.add("task", "case handling, income look-up or recovery");
    }
    t
}

/// An agent id, by the one text parser: one line of 1 to 128 characters.
fn agent(v: &mut Violations, id: &str) -> String {
    v.take(wire::required_text("agent_id", id, wire::ID))
        .unwrap_or_default()
}

/// An assignment, as the request gives it once checked.
struct Assignment {
    key: String,
    dossier: DossierKey,
    agent_id: String,
    task: pb::AgentTask,
    start: NaiveDate,
    end: Option<NaiveDate>,
}

impl TryFrom<&pb::AssignDossierAgentRequest> for Assignment {
    type Error = ServiceError;

    fn try_from(req: &pb::AssignDossierAgentRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let agent_id = agent(&mut v, &req.agent_id);
        let task = task(&mut v, req.task);
        let start = v
            .take_all(wire::optional_date_from_pb(
                "start_date",
                req.start_date.as_ref(),
            ))
            .flatten()
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        let end = v
            .take_all(wire::optional_date_from_pb(
                "end_date",
                req.end_date.as_ref(),
            ))
            .flatten();
        if end.is_some_and(|e| e < start) {
            v.add("end_date", "cannot be before start_date");
        }
        v.finish(|| {
            Some(Assignment {
                key: key?,
                dossier: dossier?,
                agent_id,
                task,
                start,
                end,
            })
        })
    }
}

/// The end of an assignment, as the request gives it once checked.
struct Unassignment {
    key: String,
    dossier: DossierKey,
    agent_id: String,
    task: pb::AgentTask,
    end: NaiveDate,
}

impl TryFrom<&pb::UnassignDossierAgentRequest> for Unassignment {
    type Error = ServiceError;

    fn try_from(req: &pb::UnassignDossierAgentRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.dossier(req.dossier.as_ref());
        let agent_id = agent(&mut v, &req.agent_id);
        let task = task(&mut v, req.task);
        let end = v
            .take_all(wire::optional_date_from_pb(
                "end_date",
                req.end_date.as_ref(),
            ))
            .flatten()
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        v.finish(|| {
            Some(Unassignment {
                key: key?,
                dossier: dossier?,
                agent_id,
                task,
                end,
            })
        })
    }
}

/// Assigns the agent to the locked dossier, unless the dossier is final or the agent
/// already has the task there in an overlapping period.
async fn assign(
    conn: &mut PgConnection,
    row: &DossierRow,
    a: &Assignment,
    caller: &Caller,
) -> ServiceResult<()> {
    if matches!(row.status(), S::Refused | S::Closed) {
        return Err(ServiceError::failed_precondition(
            "DOSSIER_FINAL",
            format!(
                "a dossier in status {} takes no assignment",
                row.status().as_str_name()
            ),
        ));
    }
    no_overlapping_assignment(conn, row.id, a).await?;
    sqlx::query(
        "INSERT INTO dossier_agents (dossier_id, agent_id, task, start_date, end_date,
                                     assigned_by, assigned_via)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(&a.agent_id)
    .bind(a.task as i16)
    .bind(a.start)
    .bind(a.end)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    store::set_status(conn, row.id, row.status(), caller).await?;
    store::append_history(
        conn,
        row.id,
        Entry::other(
            caller,
            pb::DossierHistoryKind::AgentAssigned,
            format!(
                "{} for {} from {}",
                a.agent_id,
                a.task.as_str_name(),
                a.start
            ),
        ),
    )
    .await
}

async fn no_overlapping_assignment(
    conn: &mut PgConnection,
    dossier_id: i64,
    a: &Assignment,
) -> ServiceResult<()> {
    let overlapping: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM dossier_agents
          WHERE dossier_id = $1 AND agent_id = $2 AND task = $3
            AND (end_date IS NULL OR end_date >= $4) AND ($5::date IS NULL OR start_date <= $5)
          LIMIT 1",
    )
    .bind(dossier_id)
    .bind(&a.agent_id)
    .bind(a.task as i16)
    .bind(a.start)
    .bind(a.end)
    .fetch_optional(&mut *conn)
    .await?;
    match overlapping {
        Some(_) => Err(ServiceError::failed_precondition(
            "ALREADY_ASSIGNED",
            "the agent is already assigned to this dossier for this task in that period",
        )),
        None => Ok(()),
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn assign_dossier_agent(
        &self,
        caller: &Caller,
        req: pb::AssignDossierAgentRequest,
    ) -> ServiceResult<pb::AssignDossierAgentResponse> {
        let a = Assignment::try_from(&req)?;
        const M: &str = "AssignDossierAgent";
        let (mut tx, row) = match self.begin(caller, M, &a.key, &req, &a.dossier, 0).await? {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        assign(&mut tx, &row, &a, caller).await?;
        let resp = pb::AssignDossierAgentResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &a.key, &resp).await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn unassign_dossier_agent(
        &self,
        caller: &Caller,
        req: pb::UnassignDossierAgentRequest,
    ) -> ServiceResult<pb::UnassignDossierAgentResponse> {
        let Unassignment {
            key,
            dossier,
            agent_id,
            task,
            end,
        } = Unassignment::try_from(&req)?;
        const M: &str = "UnassignDossierAgent";
        let (mut tx, row) = match self.begin(caller, M, &key, &req, &dossier, 0).await? {
            Begun::Replay(r) => return Ok(r),
            Begun::Go(tx, row) => (tx, row),
        };
        let current: Option<(i64, NaiveDate)> = sqlx::query_as(
            "SELECT id, start_date FROM dossier_agents
              WHERE dossier_id = $1 AND agent_id = $2 AND task = $3
                AND (end_date IS NULL OR end_date > $4)
              ORDER BY id DESC LIMIT 1",
        )
        .bind(row.id)
        .bind(&agent_id)
        .bind(task as i16)
        .bind(end)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((assignment, start)) = current else {
            return Err(ServiceError::failed_precondition(
                "NOT_ASSIGNED",
                "the agent has no current assignment to this dossier for this task",
            ));
        };
        if end < start {
            return Err(ServiceError::invalid_field(
                "end_date",
                format!("cannot be before the assignment's start ({start})"),
            ));
        }
        sqlx::query("UPDATE dossier_agents SET end_date = $2 WHERE id = $1")
            .bind(assignment)
            .bind(end)
            .execute(&mut *tx)
            .await?;
        store::set_status(&mut tx, row.id, row.status(), caller).await?;
        store::append_history(
            &mut tx,
            row.id,
            Entry::other(
                caller,
                pb::DossierHistoryKind::AgentUnassigned,
                format!("{agent_id} for {} until {end}", task.as_str_name()),
            ),
        )
        .await?;
        let resp = pb::UnassignDossierAgentResponse {
            dossier: Some(reload(&mut tx, row.id).await?),
        };
        finish(tx, M, &key, &resp).await?;
        Ok(resp)
    }
}

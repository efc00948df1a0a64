//! A dossier row read back as the contract's `Dossier`, with its form, parties and agents.

use chrono::{DateTime, NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{ServiceResult, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{DossierRow, UnknownStored, current_form, json_opt, stamp};
use crate::pbjson;

struct PartyRow {
    public_id: Uuid,
    role: String,
    creditor_key: String,
    registered_by: String,
    registered_via: Option<String>,
    registered_at: DateTime<Utc>,
}

/// An agent assignment, from [`Attached`].
struct AgentRow {
    agent_id: String,
    task: i16,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    assigned_by: String,
    assigned_via: Option<String>,
    assigned_at: DateTime<Utc>,
}

/// A dossier's parties and agents as the dossier's read gives them (`store::find_whole`): a
/// column per field, each in display order, so that the dossier, its form, its parties and
/// its agents come in one round trip.
#[derive(sqlx::FromRow)]
pub(crate) struct Attached {
    party_ids: Vec<Uuid>,
    party_roles: Vec<String>,
    party_creditor_keys: Vec<String>,
    party_bys: Vec<String>,
    party_vias: Vec<Option<String>>,
    party_ats: Vec<DateTime<Utc>>,
    agent_ids: Vec<String>,
    agent_tasks: Vec<i16>,
    agent_starts: Vec<NaiveDate>,
    agent_ends: Vec<Option<NaiveDate>>,
    agent_bys: Vec<String>,
    agent_vias: Vec<Option<String>>,
    agent_ats: Vec<DateTime<Utc>>,
}

/// The columns of [`Attached`] (joined by [`attached_joins`]).
macro_rules! attached_columns {
    () => {
        "pa.party_ids, pa.party_roles, pa.party_creditor_keys, pa.party_bys, pa.party_vias, \
         pa.party_ats, ag.agent_ids, ag.agent_tasks, ag.agent_starts, ag.agent_ends, ag.agent_bys, \
         ag.agent_vias, ag.agent_ats"
    };
}
pub(crate) use attached_columns;

/// The parties of `d` aggregated as [`Attached`] takes them, in display order, from
/// `$parties`: the table, or the RETURNING of the statement that inserts them (rows a
/// statement inserts are not in its own snapshot of the table).
macro_rules! party_joins {
    ($parties:literal) => {
        concat!(
            " CROSS JOIN LATERAL (
             SELECT COALESCE(array_agg(p.public_id ORDER BY dp.role, dp.creditor_key, p.id), '{}') AS party_ids,
                    COALESCE(array_agg(dp.role ORDER BY dp.role, dp.creditor_key, p.id), '{}') AS party_roles,
                    COALESCE(array_agg(dp.creditor_key ORDER BY dp.role, dp.creditor_key, p.id), '{}') AS party_creditor_keys,
                    COALESCE(array_agg(dp.registered_by ORDER BY dp.role, dp.creditor_key, p.id), '{}') AS party_bys,
                    COALESCE(array_agg(dp.registered_via ORDER BY dp.role, dp.creditor_key, p.id), '{}') AS party_vias,
                    COALESCE(array_agg(dp.registered_at ORDER BY dp.role, dp.creditor_key, p.id), '{}') AS party_ats
               FROM ",
            $parties,
            " dp JOIN persons p ON p.id = dp.person_id
              WHERE dp.dossier_id = d.id) pa "
        )
    };
}
pub(crate) use party_joins;

/// A new dossier's agents: none can be assigned to it yet.
macro_rules! no_agents {
    () => {
        " CROSS JOIN LATERAL (
             SELECT '{}'::text[] AS agent_ids, '{}'::smallint[] AS agent_tasks,
                    '{}'::date[] AS agent_starts, '{}'::date[] AS agent_ends,
                    '{}'::text[] AS agent_bys, '{}'::text[] AS agent_vias,
                    '{}'::timestamptz[] AS agent_ats) ag "
    };
}
pub(crate) use no_agents;

/// The parties and agents of `d`, aggregated in the orders the dossier's reads use.
macro_rules! attached_joins {
    () => {
        concat!(
            crate::store::view::party_joins!("dossier_parties"),
            " CROSS JOIN LATERAL (
             SELECT COALESCE(array_agg(agent_id ORDER BY id), '{}') AS agent_ids,
                    COALESCE(array_agg(task ORDER BY id), '{}') AS agent_tasks,
                    COALESCE(array_agg(start_date ORDER BY id), '{}') AS agent_starts,
                    COALESCE(array_agg(end_date ORDER BY id), '{}') AS agent_ends,
                    COALESCE(array_agg(assigned_by ORDER BY id), '{}') AS agent_bys,
                    COALESCE(array_agg(assigned_via ORDER BY id), '{}') AS agent_vias,
                    COALESCE(array_agg(assigned_at ORDER BY id), '{}') AS agent_ats
               FROM dossier_agents WHERE dossier_id = d.id) ag "
        )
    };
}
pub(crate) use attached_joins;

impl Attached {
    fn into_rows(self) -> (Vec<PartyRow>, Vec<AgentRow>) {
        let parties = self
            .party_ids
            .into_iter()
            .zip(self.party_roles)
            .zip(self.party_creditor_keys)
            .zip(self.party_bys)
            .zip(self.party_vias)
            .zip(self.party_ats)
            .map(
                |(
                    ((((public_id, role), creditor_key), registered_by), registered_via),
                    registered_at,
                )| {
                    PartyRow {
                        public_id,
                        role,
                        creditor_key,
                        registered_by,
                        registered_via,
                        registered_at,
                    }
                },
            )
            .collect();
        let agents = self
            .agent_ids
            .into_iter()
            .zip(self.agent_tasks)
            .zip(self.agent_starts)
            .zip(self.agent_ends)
            .zip(self.agent_bys)
            .zip(self.agent_vias)
            .zip(self.agent_ats)
            .map(
                |(
                    (((((agent_id, task), start_date), end_date), assigned_by), assigned_via),
                    assigned_at,
                )| {
                    AgentRow {
                        agent_id,
                        task,
                        start_date,
                        end_date,
                        assigned_by,
                        assigned_via,
                        assigned_at,
                    }
                },
            )
            .collect();
        (parties, agents)
    }
}

/// The dossier as one read gave it (`store::find_whole`).
pub(crate) fn whole(
    row: &DossierRow,
    form: pb::ApplicationForm,
    attached: Attached,
) -> ServiceResult<pb::Dossier> {
    let (parties, agents) = attached.into_rows();
    assemble(row, form, parties, agents)
}

pub(crate) fn role_from_db(s: &str) -> Result<pb::DossierRole, UnknownStored> {
    pb::DossierRole::from_str_name(&format!("DOSSIER_ROLE_{s}"))
        .filter(|role| *role != pb::DossierRole::Unspecified)
        .ok_or_else(|| UnknownStored::new("dossier role", s))
}

/// The whole dossier as the contract shows it.
pub(crate) async fn load(conn: &mut PgConnection, row: &DossierRow) -> ServiceResult<pb::Dossier> {
    let form = current_form(conn, row.id).await?;
    load_with(conn, row, form).await
}

/// The dossier with its current form given (just written), not read back.
#[tracing::instrument(skip_all)]
pub(crate) async fn load_with(
    conn: &mut PgConnection,
    row: &DossierRow,
    form: pb::ApplicationForm,
) -> ServiceResult<pb::Dossier> {
    // The parties and agents as GetDossier reads them (`attached_joins`), in one statement.
    let attached: Attached = sqlx::query_as(concat!(
        "SELECT ",
        attached_columns!(),
        " FROM dossiers d",
        attached_joins!(),
        " WHERE d.id = $1"
    ))
    .bind(row.id)
    .fetch_one(&mut *conn)
    .await?;
    whole(row, form, attached)
}

fn assemble(
    row: &DossierRow,
    form: pb::ApplicationForm,
    parties: Vec<PartyRow>,
    agents: Vec<AgentRow>,
) -> ServiceResult<pb::Dossier> {
    let missing: Vec<pb::FieldViolation> = match row.missing_items.0.as_array() {
        Some(items) => items
            .iter()
            .map(|v| pbjson::from_json(pbjson::FIELD_VIOLATION, v))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(pb::Dossier {
        application_id: row.application_id.to_string(),
        // Empty until the dossier is accepted, as the contract says.
        dossier_number: row.dossier_number.clone().unwrap_or_default(),
        status: row.status() as i32,
        version: row.version,
        form: Some(form),
        form_revision: row.form_revision,
        received_on: Some(wire::date_to_pb(row.received_on)),
        completed_on: row.completed_on.map(wire::date_to_pb),
        decision_deadline: row.decision_deadline.map(wire::date_to_pb),
        missing_items: missing,
        admissibility: Some(pbjson::from_json(
            pbjson::ADMISSIBILITY,
            &row.admissibility.0,
        )?),
        debtor_notification: json_opt(pbjson::NOTIFICATION, &row.debtor_notification)?,
        decision: json_opt(pbjson::DECISION, &row.decision)?,
        mandate: json_opt(pbjson::MANDATE, &row.mandate)?,
        active_from: row.active_from.map(wire::date_to_pb),
        closure: json_opt(pbjson::CLOSURE, &row.closure)?,
        parties: parties
            .into_iter()
            .map(|p| {
                Ok(pb::DossierParty {
                    person_id: p.public_id.to_string(),
                    role: role_from_db(&p.role)? as i32,
                    creditor_key: p.creditor_key,
                    registered: Some(stamp(
                        &p.registered_by,
                        p.registered_via.as_deref(),
                        p.registered_at,
                    )),
                })
            })
            .collect::<Result<_, UnknownStored>>()?,
        agents: agents
            .into_iter()
            .map(|a| pb::DossierAgentAssignment {
                agent_id: a.agent_id,
                task: i32::from(a.task),
                start_date: Some(wire::date_to_pb(a.start_date)),
                end_date: a.end_date.map(wire::date_to_pb),
                assigned: Some(stamp(
                    &a.assigned_by,
                    a.assigned_via.as_deref(),
                    a.assigned_at,
                )),
            })
            .collect(),
        created: Some(stamp(
            &row.created_by,
            row.created_via.as_deref(),
            row.created_at,
        )),
        last_changed: Some(stamp(
            &row.changed_by,
            row.changed_via.as_deref(),
            row.changed_at,
        )),
        allowed_steps: super::allowed_steps(row.status()),
    })
}

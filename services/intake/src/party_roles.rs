//! A person's roles in dossiers, and whether a person is in a dossier active on a date (the
//! data-exchange service asks before every income look-up).

use chrono::NaiveDate;
use secal_domain::NationalNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    api::IntakeApi,
    persons::parse_national_number,
    registry::today,
    store::{self, role_from_db, stamp},
};

#[derive(sqlx::FromRow)]
struct RoleRow {
    cursor: i64,
    application_id: Uuid,
    dossier_number: Option<String>,
    role: String,
    status: String,
    creditor_key: String,
    registered_by: String,
    registered_via: Option<String>,
    registered_at: chrono::DateTime<chrono::Utc>,
    active_from: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    public_id: Uuid,
}

impl RoleRow {
    fn into_pb(self) -> ServiceResult<pb::PersonDossierRole> {
        Ok(pb::PersonDossierRole {
            person_id: self.public_id.to_string(),
            application_id: self.application_id.to_string(),
            // Empty until the dossier is accepted, as the contract says.
            dossier_number: self.dossier_number.unwrap_or_default(),
            role: role_from_db(&self.role)? as i32,
            dossier_status: store::status_from_db(&self.status)? as i32,
            creditor_key: self.creditor_key,
            registered: Some(stamp(
                &self.registered_by,
                self.registered_via.as_deref(),
                self.registered_at,
            )),
            active_from: self.active_from.map(wire::date_to_pb),
            closed_on: self.closed_on.map(wire::date_to_pb),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ActiveRow {
    dossier_id: i64,
    application_id: Uuid,
    dossier_number: Option<String>,
    role: String,
    active_from: Option<NaiveDate>,
    registered_by: String,
}

impl ActiveRow {
    /// `under_way`: asked by application, whose number is empty until it is accepted.
    fn into_pb(
        self,
        agent_tasks: Vec<i16>,
        under_way: bool,
    ) -> ServiceResult<pb::ActiveDossierRole> {
        // A dossier that has been active was accepted, so it has a number; the
        // data-exchange service files its look-up under it.
        let dossier_number = match self.dossier_number {
            Some(n) => n,
            None if under_way => String::new(),
            None => {
                return Err(ServiceError::internal(format!(
                    "dossier {} was active but has no dossier number",
                    self.dossier_id
                )));
            }
        };
        Ok(pb::ActiveDossierRole {
            dossier_number,
            role: role_from_db(&self.role)? as i32,
            active_from: self.active_from.map(wire::date_to_pb),
            registered_by_agent_id: self.registered_by,
            agent_assigned: !agent_tasks.is_empty(),
            agent_tasks: agent_tasks.into_iter().map(i32::from).collect(),
            application_id: self.application_id.to_string(),
        })
    }
}

/// The tasks `agent` holds in the dossier on `on`; none asked when no agent is named.
async fn agent_tasks(
    conn: &mut PgConnection,
    dossier_id: i64,
    agent: &str,
    on: NaiveDate,
) -> ServiceResult<Vec<i16>> {
    if agent.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT task FROM dossier_agents
          WHERE dossier_id = $1 AND agent_id = $2 AND start_date <= $3
            AND (end_date IS NULL OR end_date >= $3) ORDER BY task",
    )
    .bind(dossier_id)
    .bind(agent)
    .bind(on)
    .fetch_all(&mut *conn)
    .await?)
}

/// A person named by registry id or by national number.
enum PersonKey {
    Id(Uuid),
    NationalNumber(NationalNumber),
}

/// ListPersonDossierRoles: a page of a person's roles.
struct RolesQuery {
    page: wire::Page,
    person: PersonKey,
}

impl TryFrom<&pb::ListPersonDossierRolesRequest> for RolesQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPersonDossierRolesRequest) -> ServiceResult<Self> {
        use pb::list_person_dossier_roles_request::Person;
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let person = match &req.person {
            Some(Person::PersonId(id)) => v
                .take(
                    Uuid::parse_str(id.trim())
                        .map_err(|_| FieldViolation::new("person_id", "not a person id")),
                )
                .map(PersonKey::Id),
            Some(Person::NationalNumber(nn)) => v
                .take(parse_national_number("national_number", Some(nn)))
                .map(PersonKey::NationalNumber),
            None => {
                v.add("person", "give person_id or national_number");
                None
            }
        };
        v.finish(|| {
            Some(RolesQuery {
                page: page?,
                person: person?,
            })
        })
    }
}

/// CheckPersonActiveDossier: whether a person is in a dossier active on a date.
struct ActiveDossierQuery {
    nn: NationalNumber,
    on: NaiveDate,
    /// Only this dossier, when given (its canonical form).
    number: Option<String>,
    /// This application instead, under way or active (the advances income check).
    application: Option<Uuid>,
}

impl TryFrom<&pb::CheckPersonActiveDossierRequest> for ActiveDossierQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::CheckPersonActiveDossierRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let nn = v.take(parse_national_number(
            "national_number",
            req.national_number.as_ref(),
        ));
        let on = v.take_all(wire::optional_date_from_pb("on_date", req.on_date.as_ref()));
        let number = match req.dossier_number.trim() {
            "" => Some(None),
            n => v
                .take(
                    n.parse::<secal_domain::DossierNumber>()
                        .map_err(|e| FieldViolation::new("dossier_number", e.to_string())),
                )
                .map(|n| Some(n.to_string())),
        };
        let application =
            match req.application_id.trim() {
                "" => Some(None),
                _ if !req.dossier_number.trim().is_empty() => {
                    v.add(
                        "application_id",
                        "give dossier_number or application_id, not both",
                    );
                    None
                }
                a => v
                    .take(Uuid::parse_str(a).map_err(|_| {
                        FieldViolation::new("application_id", "not an application id")
                    }))
                    .map(Some),
            };
        v.finish(|| {
            Some(ActiveDossierQuery {
                nn: nn?,
                on: on?.unwrap_or_else(today),
                number: number?,
                application: application?,
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_person_dossier_roles(
        &self,
        _caller: &Caller,
        req: pb::ListPersonDossierRolesRequest,
    ) -> ServiceResult<pb::ListPersonDossierRolesResponse> {
        let RolesQuery { page, person } = RolesQuery::try_from(&req)?;
        let (by_id, by_nn) = match person {
            PersonKey::Id(id) => (Some(id), None),
            PersonKey::NationalNumber(nn) => (None, Some(nn)),
        };
        // The cursor orders a dossier's roles: dossier id × 4 + the role's rank.
        let rows: Vec<RoleRow> = sqlx::query_as(
            "SELECT d.id * 4 + CASE dp.role WHEN 'APPLICANT' THEN 1 WHEN 'CREDITOR' THEN 2 ELSE 3 END
                        AS cursor,
                    d.application_id, d.dossier_number, dp.role, d.status, dp.creditor_key,
                    dp.registered_by, dp.registered_via, dp.registered_at, d.active_from,
                    d.closed_on, p.public_id
               FROM persons p
               JOIN dossier_parties dp ON dp.person_id = p.id
               JOIN dossiers d ON d.id = dp.dossier_id
              WHERE (p.public_id = $1 OR p.national_number = $2)
                AND ($3::bigint IS NULL OR d.id * 4 + CASE dp.role WHEN 'APPLICANT' THEN 1
                     WHEN 'CREDITOR' THEN 2 ELSE 3 END > $3)
              ORDER BY cursor LIMIT $4",
        )
        .bind(by_id)
        .bind(by_nn.as_ref().map(|n| n.as_digits()))
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        Ok(pb::ListPersonDossierRolesResponse {
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.cursor),
            )),
            roles: rows
                .into_iter()
                .map(RoleRow::into_pb)
                .collect::<ServiceResult<_>>()?,
        })
    }

    #[tracing::instrument(skip_all, fields(in_active_dossier))]
    pub(crate) async fn check_person_active_dossier(
        &self,
        _caller: &Caller,
        req: pb::CheckPersonActiveDossierRequest,
    ) -> ServiceResult<pb::CheckPersonActiveDossierResponse> {
        let query = ActiveDossierQuery::try_from(&req)?;
        let (nn, on) = (&query.nn, query.on);
        let mut conn = self.pool.acquire().await?;
        let person: Option<(i64, Uuid, String)> = sqlx::query_as(
            "SELECT id, public_id, registered_by FROM persons WHERE national_number = $1",
        )
        .bind(nn.as_digits())
        .fetch_optional(&mut *conn)
        .await?;
        let Some((person_db_id, public_id, registered_by)) = person else {
            return Ok(pb::CheckPersonActiveDossierResponse::default());
        };
        let rows = active_rows(&mut conn, person_db_id, &query).await?;
        let agent = req.agent_id.trim();
        let mut roles = Vec::with_capacity(rows.len());
        for r in rows {
            let tasks = agent_tasks(&mut conn, r.dossier_id, agent, on).await?;
            roles.push(r.into_pb(tasks, query.application.is_some())?);
        }
        tracing::Span::current().record("in_active_dossier", !roles.is_empty());
        Ok(pb::CheckPersonActiveDossierResponse {
            in_active_dossier: !roles.is_empty(),
            roles,
            person_id: public_id.to_string(),
            registered_by_agent_id: registered_by,
        })
    }
}

/// The person's roles the look-up may rest on. By dossier: in dossiers active on D —
/// activated on or before D and not closed by then (a dossier closed on D no longer justifies
/// a look-up that day). By application: in that application while it is under way or active
/// (submitted, not refused nor closed), for the advances income check that precedes the
/// dossier's activation.
async fn active_rows(
    conn: &mut PgConnection,
    person_db_id: i64,
    q: &ActiveDossierQuery,
) -> ServiceResult<Vec<ActiveRow>> {
    if let Some(application) = q.application {
        return Ok(sqlx::query_as(
            "SELECT d.id AS dossier_id, d.application_id, d.dossier_number, dp.role,
                    d.active_from, dp.registered_by
               FROM dossier_parties dp JOIN dossiers d ON d.id = dp.dossier_id
              WHERE dp.person_id = $1 AND d.application_id = $2
                AND d.status NOT IN ('REFUSED', 'CLOSED')
              ORDER BY d.id, dp.role",
        )
        .bind(person_db_id)
        .bind(application)
        .fetch_all(&mut *conn)
        .await?);
    }
    Ok(sqlx::query_as(
        "SELECT d.id AS dossier_id, d.application_id, d.dossier_number, dp.role, d.active_from,
                dp.registered_by
           FROM dossier_parties dp JOIN dossiers d ON d.id = dp.dossier_id
          WHERE dp.person_id = $1 AND d.status IN ('ACTIVE', 'CLOSED')
            AND d.active_from <= $2 AND (d.closed_on IS NULL OR d.closed_on > $2)
            AND ($3::text IS NULL OR d.dossier_number = $3)
          ORDER BY d.id, dp.role",
    )
    .bind(person_db_id)
    .bind(q.on)
    .bind(q.number.as_deref())
    .fetch_all(&mut *conn)
    .await?)
}

//! Reading dossiers: one by reference, searches (newest first), the deadline list (overdue
//! first) and the history. Pages are keyset pages: the token is the last row's key.

use chrono::NaiveDate;
use secal_domain::NationalNumber;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};

use crate::{
    api::IntakeApi,
    persons::parse_national_number,
    registry::today,
    store::{self, DossierKey, DossierRow, dossier_columns, status_db},
};

#[derive(sqlx::FromRow)]
struct HistoryRow {
    sequence: i64,
    kind: i16,
    from_status: Option<String>,
    to_status: Option<String>,
    effective_on: Option<NaiveDate>,
    actor: String,
    via: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
    note: String,
    form_revision: i32,
    dossier_version: i64,
}

impl HistoryRow {
    fn into_pb(self) -> ServiceResult<pb::DossierHistoryEntry> {
        // Only transitions have statuses; other entries leave them UNSPECIFIED.
        let status = |s: Option<String>| -> ServiceResult<i32> {
            Ok(match s {
                Some(s) => store::status_from_db(&s)? as i32,
                None => pb::DossierStatus::Unspecified as i32,
            })
        };
        Ok(pb::DossierHistoryEntry {
            sequence: self.sequence,
            kind: i32::from(self.kind),
            from_status: status(self.from_status)?,
            to_status: status(self.to_status)?,
            effective_on: self.effective_on.map(wire::date_to_pb),
            stamp: Some(store::stamp(&self.actor, self.via.as_deref(), self.at)),
            note: self.note,
            form_revision: self.form_revision,
            dossier_version: self.dossier_version,
        })
    }
}

/// A dossier awaiting its decision, with how late it is on `as_of` (negative: days left).
fn deadline_pb(r: &DossierRow, as_of: NaiveDate) -> ServiceResult<pb::DossierDeadline> {
    // Only COMPLETE and DEBTOR_NOTIFIED dossiers are listed, and the table holds a deadline
    // for both: without one the row is corrupt, not "due today".
    let deadline = r.decision_deadline.ok_or_else(|| {
        ServiceError::internal(format!(
            "dossier {} awaits a decision but has no decision deadline",
            r.id
        ))
    })?;
    let days = (as_of - deadline).num_days();
    Ok(pb::DossierDeadline {
        dossier: Some(r.summary()),
        decision_deadline: Some(wire::date_to_pb(deadline)),
        // Dates of the contract lie in the years 1900-2999: the difference fits.
        days_overdue: i32::try_from(days).unwrap_or(i32::MAX),
    })
}

fn role_db(r: pb::DossierRole) -> Option<&'static str> {
    match r {
        pb::DossierRole::Unspecified => None,
        pb::DossierRole::Applicant => Some("APPLICANT"),
        pb::DossierRole::Creditor => Some("CREDITOR"),
        pb::DossierRole::Debtor => Some("DEBTOR"),
    }
}

/// GetDossier: one dossier by reference.
struct DossierQuery {
    key: DossierKey,
}

impl TryFrom<&pb::GetDossierRequest> for DossierQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::GetDossierRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.take_all(store::dossier_key("dossier", req.dossier.as_ref()));
        v.finish(|| Some(DossierQuery { key: key? }))
    }
}

/// SearchDossiers: every criterion narrows the search.
struct SearchQuery {
    page: wire::Page,
    /// The dossier number in its canonical form.
    number: Option<String>,
    nn: Option<NationalNumber>,
    /// The role's stored name; only with a national number.
    role: Option<&'static str>,
    /// The stored statuses (none: every status).
    statuses: Vec<&'static str>,
}

impl TryFrom<&pb::SearchDossiersRequest> for SearchQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::SearchDossiersRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let number = match req.dossier_number.trim() {
            "" => Some(None),
            n => v
                .take(
                    n.parse::<secal_domain::DossierNumber>()
                        .map_err(|e| FieldViolation::new("dossier_number", e.to_string())),
                )
                .map(|n| Some(n.to_string())),
        };
        let nn = match &req.national_number {
            Some(n) if !n.value.trim().is_empty() => v
                .take(parse_national_number("national_number", Some(n)))
                .map(Some),
            _ => Some(None),
        };
        // An undeclared role must not widen the search to every role.
        let role = v
            .take(wire::optional_enum::<pb::DossierRole>("role", req.role))
            .map(|r| r.and_then(role_db));
        // Only a national number that parsed shows whether one was given: a role with a
        // bad national number is refused for the number alone, as before.
        if let (Some(Some(_)), Some(None)) = (role, &nn) {
            v.add("role", "a role narrows a search by national number");
        }
        let mut statuses = Vec::new();
        for (i, s) in req.statuses.iter().enumerate() {
            match pb::DossierStatus::try_from(*s) {
                Ok(pb::DossierStatus::Unspecified | pb::DossierStatus::Received) | Err(_) => {
                    v.add(format!("statuses[{i}]"), "not a stored status")
                }
                Ok(s) => statuses.push(status_db(s)),
            }
        }
        v.finish(|| {
            Some(SearchQuery {
                page: page?,
                number: number?,
                nn: nn?,
                role: role?,
                statuses,
            })
        })
    }
}

/// ListDossiersByDecisionDeadline: the dossiers awaiting a decision on a date.
struct DeadlineQuery {
    page: wire::Page,
    as_of: NaiveDate,
    /// Empty: any agent.
    agent: String,
}

impl TryFrom<&pb::ListDossiersByDecisionDeadlineRequest> for DeadlineQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListDossiersByDecisionDeadlineRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let as_of = v.take_all(wire::optional_date_from_pb("as_of", req.as_of.as_ref()));
        let agent = v.take(wire::optional_text(
            "assigned_agent_id",
            &req.assigned_agent_id,
            wire::ID,
        ));
        v.finish(|| {
            Some(DeadlineQuery {
                page: page?,
                as_of: as_of?.unwrap_or_else(today),
                agent: agent?.unwrap_or_default(),
            })
        })
    }
}

/// ListDossierHistory: a page of one dossier's history.
struct HistoryQuery {
    key: DossierKey,
    page: wire::Page,
}

impl TryFrom<&pb::ListDossierHistoryRequest> for HistoryQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListDossierHistoryRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.take_all(store::dossier_key("dossier", req.dossier.as_ref()));
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| {
            Some(HistoryQuery {
                key: key?,
                page: page?,
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn get_dossier(
        &self,
        _caller: &Caller,
        req: pb::GetDossierRequest,
    ) -> ServiceResult<pb::GetDossierResponse> {
        let DossierQuery { key } = DossierQuery::try_from(&req)?;
        let mut conn = self.pool.acquire().await?;
        Ok(pb::GetDossierResponse {
            dossier: Some(store::find_whole(&mut conn, &key).await?),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn search_dossiers(
        &self,
        _caller: &Caller,
        req: pb::SearchDossiersRequest,
    ) -> ServiceResult<pb::SearchDossiersResponse> {
        let SearchQuery {
            page,
            number,
            nn,
            role,
            statuses,
        } = SearchQuery::try_from(&req)?;
        let rows: Vec<DossierRow> = sqlx::query_as(concat!(
            "SELECT ",
            dossier_columns!(),
            " FROM dossiers d
              WHERE ($1::text IS NULL OR d.dossier_number = $1)
                AND ($2::text IS NULL OR EXISTS (
                     SELECT 1 FROM dossier_parties dp JOIN persons p ON p.id = dp.person_id
                      WHERE dp.dossier_id = d.id AND p.national_number = $2
                        AND ($3::text IS NULL OR dp.role = $3)))
                AND (cardinality($4::text[]) = 0 OR d.status = ANY($4))
                AND ($5::bigint IS NULL OR d.id < $5)
              ORDER BY d.id DESC LIMIT $6"
        ))
        .bind(number)
        .bind(nn.as_ref().map(|n| n.as_digits()))
        .bind(role)
        .bind(&statuses)
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        Ok(pb::SearchDossiersResponse {
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.id),
            )),
            dossiers: rows.iter().map(DossierRow::summary).collect(),
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_dossiers_by_decision_deadline(
        &self,
        _caller: &Caller,
        req: pb::ListDossiersByDecisionDeadlineRequest,
    ) -> ServiceResult<pb::ListDossiersByDecisionDeadlineResponse> {
        let DeadlineQuery { page, as_of, agent } = DeadlineQuery::try_from(&req)?;
        // Ascending deadlines put the most overdue first, then the nearest.
        let rows: Vec<DossierRow> = sqlx::query_as(concat!(
            "SELECT ",
            dossier_columns!(),
            " FROM dossiers d
              WHERE d.status IN ('COMPLETE', 'DEBTOR_NOTIFIED')
                AND (NOT $1 OR d.decision_deadline < $2)
                AND ($3 = '' OR EXISTS (
                     SELECT 1 FROM dossier_agents a WHERE a.dossier_id = d.id AND a.agent_id = $3
                        AND a.start_date <= $2 AND (a.end_date IS NULL OR a.end_date >= $2)))
                AND ($4::bigint IS NULL OR (d.decision_deadline, d.id) >
                     (SELECT decision_deadline, id FROM dossiers WHERE id = $4))
              ORDER BY d.decision_deadline, d.id LIMIT $5"
        ))
        .bind(req.overdue_only)
        .bind(as_of)
        .bind(&agent)
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        Ok(pb::ListDossiersByDecisionDeadlineResponse {
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.id),
            )),
            dossiers: rows
                .iter()
                .map(|r| deadline_pb(r, as_of))
                .collect::<ServiceResult<_>>()?,
        })
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_dossier_history(
        &self,
        _caller: &Caller,
        req: pb::ListDossierHistoryRequest,
    ) -> ServiceResult<pb::ListDossierHistoryResponse> {
        let HistoryQuery { key, page } = HistoryQuery::try_from(&req)?;
        let mut conn = self.pool.acquire().await?;
        let dossier = store::find(&mut conn, &key, false).await?;
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT sequence, kind, from_status, to_status, effective_on, actor, via, at, note,
                    form_revision, dossier_version
               FROM dossier_history WHERE dossier_id = $1 AND sequence > $2
              ORDER BY sequence LIMIT $3",
        )
        .bind(dossier.id)
        // No page token: from the first entry (sequences start at 1).
        .bind(page.after.unwrap_or(0))
        .bind(page.size)
        .fetch_all(&mut *conn)
        .await?;
        Ok(pb::ListDossierHistoryResponse {
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.sequence),
            )),
            entries: rows
                .into_iter()
                .map(HistoryRow::into_pb)
                .collect::<ServiceResult<_>>()?,
        })
    }
}

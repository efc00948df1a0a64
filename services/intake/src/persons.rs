//! The persons registry.

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::NationalNumber;
use secal_proto::v1::{self as pb, intake_service_server::IntakeService};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

pub struct IntakeApi {
    pool: PgPool,
}

impl IntakeApi {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    public_id: Uuid,
    national_number: String,
    family_name: String,
    given_names: String,
    birth_date: Option<NaiveDate>,
    registered_by: String,
    registered_via: Option<String>,
    registered_at: DateTime<Utc>,
}

impl PersonRow {
    fn into_pb(self) -> pb::Person {
        pb::Person {
            person_id: self.public_id.to_string(),
            national_number: Some(pb::NationalNumber {
                value: self.national_number,
            }),
            family_name: self.family_name,
            given_names: self.given_names,
            birth_date: self.birth_date.map(wire::date_to_pb),
            registered: Some(pb::AuditStamp {
                actor: self.registered_by,
                at: wire::timestamp(self.registered_at),
                via: self.registered_via.unwrap_or_default(),
            }),
            ..Default::default()
        }
    }
}

// A macro, not a const, so that queries stay `&'static str` (sqlx refuses built strings).
macro_rules! person_columns {
    () => {
        "public_id, national_number, family_name, given_names, birth_date, \
         registered_by, registered_via, registered_at"
    };
}

fn parse_national_number(
    field: &str,
    nn: Option<&pb::NationalNumber>,
) -> Result<NationalNumber, FieldViolation> {
    let raw = nn.map(|n| n.value.as_str()).unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(FieldViolation::new(field, "a national number is required"));
    }
    raw.parse::<NationalNumber>()
        .map_err(|e| FieldViolation::new(field, e.to_string()))
}

fn required_name(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> String {
    let v = value.trim();
    if v.is_empty() {
        violations.push(FieldViolation::new(field, "is required"));
    } else if v.chars().count() > 200 {
        violations.push(FieldViolation::new(field, "at most 200 characters"));
    } else if v.chars().any(char::is_control) {
        violations.push(FieldViolation::new(
            field,
            "control characters are not allowed",
        ));
    }
    v.to_owned()
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    async fn register_person(
        &self,
        caller: Caller,
        req: pb::RegisterPersonRequest,
    ) -> ServiceResult<pb::RegisterPersonResponse> {
        let mut violations = Vec::new();
        let key = idempotency::validate_key(req.idempotency_key.as_ref(), "idempotency_key")
            .map_err(|e| violations.extend(e.violations().iter().cloned()))
            .ok();
        let nn = parse_national_number("national_number", req.national_number.as_ref())
            .map_err(|v| violations.push(v))
            .ok();
        let family_name = required_name("family_name", &req.family_name, &mut violations);
        let given_names = required_name("given_names", &req.given_names, &mut violations);
        let (Some(key), Some(nn), true) = (key, nn, violations.is_empty()) else {
            return Err(ServiceError::invalid(violations));
        };

        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, "RegisterPerson", &key, &req).await?
        {
            return Ok(resp);
        }
        let actor = caller.actor().id.clone();
        let inserted: Option<PersonRow> = sqlx::query_as(concat!(
            "INSERT INTO persons (public_id, national_number, family_name, given_names, birth_date,
                                  registered_by, registered_via)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (national_number) DO NOTHING
             RETURNING ",
            person_columns!()
        ))
        .bind(Uuid::new_v4())
        .bind(nn.as_digits())
        .bind(&family_name)
        .bind(&given_names)
        .bind(nn.birth_date())
        .bind(&actor)
        .bind(caller.via())
        .fetch_optional(&mut *tx)
        .await?;
        let (row, created) = match inserted {
            Some(row) => (row, true),
            None => {
                let row = sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM persons WHERE national_number = $1"
                ))
                .bind(nn.as_digits())
                .fetch_one(&mut *tx)
                .await?;
                (row, false)
            }
        };
        let resp = pb::RegisterPersonResponse {
            person: Some(row.into_pb()),
            created,
        };
        idempotency::complete(&mut tx, "RegisterPerson", &key, &resp).await?;
        tx.commit().await?;
        tracing::info!(person = %nn, created, "person registered");
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    async fn get_person(&self, req: pb::GetPersonRequest) -> ServiceResult<pb::GetPersonResponse> {
        use pb::get_person_request::Lookup;
        let row: Option<PersonRow> = match req.lookup {
            Some(Lookup::PersonId(id)) => {
                let id = Uuid::parse_str(id.trim())
                    .map_err(|_| ServiceError::invalid_field("person_id", "not a person id"))?;
                sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM persons WHERE public_id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            }
            Some(Lookup::NationalNumber(nn)) => {
                let nn = parse_national_number("national_number", Some(&nn))
                    .map_err(|v| ServiceError::invalid(vec![v]))?;
                sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM persons WHERE national_number = $1"
                ))
                .bind(nn.as_digits())
                .fetch_optional(&self.pool)
                .await?
            }
            None => {
                return Err(ServiceError::invalid_field(
                    "lookup",
                    "give person_id or national_number",
                ));
            }
        };
        let row = row.ok_or_else(|| ServiceError::not_found("no such person"))?;
        Ok(pb::GetPersonResponse {
            person: Some(row.into_pb()),
        })
    }
}

#[tonic::async_trait]
impl IntakeService for IntakeApi {
    async fn register_person(
        &self,
        request: Request<pb::RegisterPersonRequest>,
    ) -> Result<Response<pb::RegisterPersonResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.register_person(caller, request.into_inner()).await?,
        ))
    }

    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::GetPersonResponse>, Status> {
        Ok(Response::new(self.get_person(request.into_inner()).await?))
    }
}

//! The persons registry.

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::NationalNumber;
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::api::IntakeApi;

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub id: i64,
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
    pub fn into_pb(self) -> pb::Person {
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
                // A direct call has no "via": the contract shows it empty.
                via: self.registered_via.unwrap_or_default(),
            }),
            ..Default::default()
        }
    }
}

// A macro, not a const, so that queries stay `&'static str` (sqlx refuses built strings).
macro_rules! person_columns {
    () => {
        "id, public_id, national_number, family_name, given_names, birth_date, \
         registered_by, registered_via, registered_at"
    };
}
pub(crate) use person_columns;

pub(crate) fn parse_national_number(
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

/// A name, by the one text parser: one line of at most 200 characters.
fn required_name(field: &str, value: &str, violations: &mut Violations) -> String {
    violations
        .take(wire::required_text(field, value, wire::LINE))
        .unwrap_or_default()
}

/// A person to register, as the request gives it once checked.
struct NewPerson {
    key: String,
    nn: NationalNumber,
    family_name: String,
    given_names: String,
    /// The date sent, else the one the national number gives.
    birth_date: Option<NaiveDate>,
}

/// The birth date sent, checked against the national number's: a number that gives one
/// (most do) must agree with it, never be silently preferred to what the caller said.
fn birth_date(
    sent: Option<&pb::Date>,
    nn: Option<&NationalNumber>,
    v: &mut Violations,
) -> Option<NaiveDate> {
    let sent = v.take_all(wire::optional_date_from_pb("birth_date", sent))?;
    let from_nn = nn.and_then(NationalNumber::birth_date);
    match (sent, from_nn) {
        (Some(d), Some(n)) if d != n => {
            v.add(
                "birth_date",
                format!("BIRTH_DATE_MISMATCH: the national number gives {n}"),
            );
            None
        }
        (d, n) => d.or(n),
    }
}

/// The request checked whole, every problem reported at once.
impl TryFrom<&pb::RegisterPersonRequest> for NewPerson {
    type Error = ServiceError;

    fn try_from(req: &pb::RegisterPersonRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let nn = v.take(parse_national_number(
            "national_number",
            req.national_number.as_ref(),
        ));
        let family_name = required_name("family_name", &req.family_name, &mut v);
        let given_names = required_name("given_names", &req.given_names, &mut v);
        let birth_date = birth_date(req.birth_date.as_ref(), nn.as_ref(), &mut v);
        // The first address is stored as the person's first change: the same checks.
        if let Some(a) = &req.address {
            crate::registry::texts(&mut v, "address", "secal.v1.Address", a);
        }
        v.take(wire::optional_enum::<pb::AddressKind>(
            "address_kind",
            req.address_kind,
        ));
        v.finish(|| {
            Some(NewPerson {
                key: key?,
                nn: nn?,
                family_name,
                given_names,
                birth_date,
            })
        })
    }
}

/// The person as registered now, or as already registered (never overwritten): the
/// national number is the registry's key. `true` when registered now.
async fn insert_or_find(
    conn: &mut PgConnection,
    p: &NewPerson,
    caller: &Caller,
) -> ServiceResult<(PersonRow, bool)> {
    let inserted: Option<PersonRow> = sqlx::query_as(concat!(
        "INSERT INTO persons (public_id, national_number, family_name, given_names, birth_date,
                              registered_by, registered_via)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (national_number) DO NOTHING
         RETURNING ",
        person_columns!()
    ))
    .bind(Uuid::new_v4())
    .bind(p.nn.as_digits())
    .bind(&p.family_name)
    .bind(&p.given_names)
    .bind(p.birth_date)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = inserted {
        return Ok((row, true));
    }
    let row = sqlx::query_as(concat!(
        "SELECT ",
        person_columns!(),
        " FROM persons WHERE national_number = $1"
    ))
    .bind(p.nn.as_digits())
    .fetch_one(&mut *conn)
    .await?;
    Ok((row, false))
}

/// The address given at registration, kept as the person's first dated change.
async fn record_first_address(
    conn: &mut PgConnection,
    row: &PersonRow,
    address: pb::Address,
    address_kind: i32,
    caller: &Caller,
) -> ServiceResult<()> {
    let today = chrono::Utc::now().date_naive();
    let change = pb::PersonChange {
        person_id: row.public_id.to_string(),
        kind: pb::PersonChangeKind::Address as i32,
        effective_from: Some(wire::date_to_pb(today)),
        value: Some(pb::person_change::Value::Address(address)),
        address_kind,
        source: pb::ChangeSource::CaseOfficer as i32,
        note: "address at registration".into(),
        ..Default::default()
    };
    crate::registry::append_change(conn, row.id, today, change, caller).await?;
    Ok(())
}

impl IntakeApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn register_person(
        &self,
        caller: &Caller,
        req: pb::RegisterPersonRequest,
    ) -> ServiceResult<pb::RegisterPersonResponse> {
        let new = NewPerson::try_from(&req)?;

        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, caller, "RegisterPerson", &new.key, &req).await?
        {
            return Ok(resp);
        }
        let (row, created) = insert_or_find(&mut tx, &new, caller).await?;
        // An existing person's address changes only through RecordPersonChange.
        if created && let Some(address) = req.address.clone() {
            record_first_address(&mut tx, &row, address, req.address_kind, caller).await?;
        }
        let person_db_id = row.id;
        let mut person = row.into_pb();
        crate::registry::fill_current(&mut tx, person_db_id, &mut person).await?;
        let resp = pb::RegisterPersonResponse {
            person: Some(person),
            created,
        };
        idempotency::complete(&mut tx, "RegisterPerson", &new.key, &resp).await?;
        tx.commit().await?;
        tracing::info!(person = %new.nn, created, "person registered");
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn get_person(
        &self,
        _caller: &Caller,
        req: pb::GetPersonRequest,
    ) -> ServiceResult<pb::GetPersonResponse> {
        let row: Option<PersonRow> = match PersonQuery::try_from(&req)? {
            PersonQuery::Id(id) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM persons WHERE public_id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            }
            PersonQuery::NationalNumber(nn) => {
                sqlx::query_as(concat!(
                    "SELECT ",
                    person_columns!(),
                    " FROM persons WHERE national_number = $1"
                ))
                .bind(nn.as_digits())
                .fetch_optional(&self.pool)
                .await?
            }
        };
        let row = row.ok_or_else(|| ServiceError::not_found("no such person"))?;
        let person_db_id = row.id;
        let mut person = row.into_pb();
        let mut conn = self.pool.acquire().await?;
        crate::registry::fill_current(&mut conn, person_db_id, &mut person).await?;
        Ok(pb::GetPersonResponse {
            person: Some(person),
        })
    }
}

/// GetPerson: one person, by registry id or by national number.
pub(crate) enum PersonQuery {
    Id(Uuid),
    NationalNumber(NationalNumber),
}

impl TryFrom<&pb::GetPersonRequest> for PersonQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::GetPersonRequest) -> ServiceResult<Self> {
        use pb::get_person_request::Lookup;
        let mut v = Violations::new();
        let query = match &req.lookup {
            Some(Lookup::PersonId(id)) => v
                .take(
                    Uuid::parse_str(id.trim())
                        .map_err(|_| FieldViolation::new("person_id", "not a person id")),
                )
                .map(PersonQuery::Id),
            Some(Lookup::NationalNumber(nn)) => v
                .take(parse_national_number("national_number", Some(nn)))
                .map(PersonQuery::NationalNumber),
            None => {
                v.add("lookup", "give person_id or national_number");
                None
            }
        };
        v.finish(|| query)
    }
}

/// Registry ids by national number for several persons, registering the new ones (by the
/// submitting agent) in one statement; existing persons are never overwritten. Callers pass
/// persons in one fixed order so that concurrent transactions cannot deadlock.
#[tracing::instrument(skip_all)]
pub(crate) async fn ensure_all(
    conn: &mut PgConnection,
    people: &[(&NationalNumber, &str, &str)],
    caller: &Caller,
) -> ServiceResult<std::collections::HashMap<String, i64>> {
    let ids: Vec<Uuid> = people.iter().map(|_| Uuid::new_v4()).collect();
    let digits: Vec<&str> = people.iter().map(|p| p.0.as_digits()).collect();
    let family: Vec<&str> = people.iter().map(|p| p.1).collect();
    let given: Vec<&str> = people.iter().map(|p| p.2).collect();
    let births: Vec<Option<chrono::NaiveDate>> = people.iter().map(|p| p.0.birth_date()).collect();
    // One round trip: the persons this statement registers, and those registered before it
    // (a row inserted by the CTE is not in the statement's snapshot, so none comes twice).
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "WITH new AS (
             INSERT INTO persons (public_id, national_number, family_name, given_names,
                                  birth_date, registered_by, registered_via)
             SELECT DISTINCT ON (n) i, n, f, g, b, $6, $7
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[])
                    AS u(i, n, f, g, b)
              ORDER BY n
             ON CONFLICT (national_number) DO NOTHING
             RETURNING national_number, id)
         SELECT national_number, id FROM new
         UNION ALL
         SELECT national_number, id FROM persons WHERE national_number = ANY($2)",
    )
    .bind(&ids)
    .bind(&digits)
    .bind(&family)
    .bind(&given)
    .bind(&births)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .fetch_all(&mut *conn)
    .await?;
    let mut found: std::collections::HashMap<String, i64> = rows.into_iter().collect();
    if digits.iter().all(|d| found.contains_key(*d)) {
        return Ok(found);
    }
    // A person registered by a transaction that committed after this statement began (its
    // insert waited for that one, then did nothing): a new statement sees it.
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT national_number, id FROM persons WHERE national_number = ANY($1)")
            .bind(&digits)
            .fetch_all(&mut *conn)
            .await?;
    found.extend(rows);
    Ok(found)
}

//! The persons registry beyond registration: dated changes (appended, never overwritten),
//! current values derived from them, roles in dossiers, and "is this person in an active
//! dossier on date D" for the data-exchange service.

use chrono::{NaiveDate, Utc};
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::{
    api::IntakeApi,
    outbox, pbjson, persons,
    store::{self, Entry},
};

/// Current address, account, employer and profession: the latest change of each kind in
/// force today.
pub(crate) async fn fill_current(
    conn: &mut PgConnection,
    person_db_id: i64,
    person: &mut pb::Person,
) -> ServiceResult<()> {
    use pb::person_change::Value;
    let rows: Vec<(Json<serde_json::Value>,)> = sqlx::query_as(
        "SELECT DISTINCT ON (kind) change FROM person_changes
          WHERE person_id = $1 AND effective_from <= current_date
          ORDER BY kind, effective_from DESC, id DESC",
    )
    .bind(person_db_id)
    .fetch_all(&mut *conn)
    .await?;
    for (json,) in rows {
        let change: pb::PersonChange = pbjson::from_json(pbjson::PERSON_CHANGE, &json.0)?;
        match change.value {
            Some(Value::Address(a)) => {
                person.current_address = Some(a);
                person.current_address_kind = change.address_kind;
            }
            Some(Value::BankAccount(b)) => person.current_bank_account = Some(b),
            Some(Value::Employer(e)) => person.current_employer = Some(e),
            Some(Value::EmploymentEnded(_)) => person.current_employer = None,
            Some(Value::Profession(p)) => person.current_profession = p,
            None => {}
        }
    }
    Ok(())
}

/// Appends one change; `change.change_id` and `recorded` are set here.
#[tracing::instrument(skip_all)]
pub(crate) async fn append_change(
    conn: &mut PgConnection,
    person_db_id: i64,
    effective_from: NaiveDate,
    mut change: pb::PersonChange,
    caller: &Caller,
) -> ServiceResult<pb::PersonChange> {
    let kind = i16::try_from(change.kind).map_err(|_| {
        ServiceError::internal(format!("person change kind {} out of range", change.kind))
    })?;
    let id = Uuid::new_v4();
    change.change_id = id.to_string();
    change.recorded = Some(store::caller_stamp(caller));
    sqlx::query(
        "INSERT INTO person_changes (public_id, person_id, kind, effective_from, change,
                                     recorded_by, recorded_via)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(person_db_id)
    .bind(kind)
    .bind(effective_from)
    .bind(Json(pbjson::to_json(pbjson::PERSON_CHANGE, &change)?))
    .bind(&caller.actor().id)
    .bind(caller.via())
    .execute(&mut *conn)
    .await?;
    Ok(change)
}

fn person_uuid(field: &str, raw: &str) -> ServiceResult<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| ServiceError::invalid_field(field, "not a person id"))
}

async fn person_row(conn: &mut PgConnection, id: Uuid) -> ServiceResult<persons::PersonRow> {
    let row: Option<persons::PersonRow> = sqlx::query_as(concat!(
        "SELECT ",
        persons::person_columns!(),
        " FROM persons WHERE public_id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(|| ServiceError::not_found("no such person"))
}

/// A change to record, as the request gives it once checked.
struct NewChange {
    key: String,
    person_id: Uuid,
    effective_from: NaiveDate,
    kind: pb::PersonChangeKind,
    value: pb::person_change::Value,
    address_kind: i32,
    source: pb::ChangeSource,
    note: String,
}

/// The request checked whole, every problem reported at once.
impl TryFrom<&pb::RecordPersonChangeRequest> for NewChange {
    type Error = ServiceError;

    fn try_from(req: &pb::RecordPersonChangeRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let person_id = v.take_all(person_uuid("person_id", &req.person_id));
        let effective_from = v.take_all(wire::date_from_pb(
            "effective_from",
            req.effective_from.as_ref(),
        ));
        let (kind, value) = change_value(&mut v, req);
        let source = v.take(wire::required_enum::<pb::ChangeSource>(
            "source", req.source,
        ));
        let note = v.take(wire::optional_text("note", &req.note, wire::NOTE));
        // Stored with any change; required (below) with an address.
        if !matches!(
            req.value,
            Some(pb::record_person_change_request::Value::Address(_))
        ) {
            v.take(wire::optional_enum::<pb::AddressKind>(
                "address_kind",
                req.address_kind,
            ));
        }
        v.finish(|| {
            Some(NewChange {
                key: key?,
                person_id: person_id?,
                effective_from: effective_from?,
                kind,
                value: value?,
                address_kind: req.address_kind,
                source: source?,
                note: note?.unwrap_or_default(),
            })
        })
    }
}

/// What changes, in the stored form; `None` when the request's value is unusable.
fn change_value(
    v: &mut Violations,
    req: &pb::RecordPersonChangeRequest,
) -> (pb::PersonChangeKind, Option<pb::person_change::Value>) {
    use pb::{
        PersonChangeKind as K, person_change::Value, record_person_change_request::Value as V,
    };
    match &req.value {
        None => {
            v.add(
                "value",
                "give an address, bank account, employer or profession",
            );
            (K::Unspecified, None)
        }
        Some(V::Address(a)) => {
            // Official, former or residence: unspecified or undeclared is refused.
            v.take(wire::required_enum::<pb::AddressKind>(
                "address_kind",
                req.address_kind,
            ));
            if a.municipality.trim().is_empty() && a.extra_lines.is_empty() {
                v.add("address.municipality", "an address names a place");
            }
            texts(v, "address", "secal.v1.Address", a);
            (K::Address, Some(Value::Address(a.clone())))
        }
        Some(V::BankAccount(b)) => {
            texts(v, "bank_account", "secal.v1.BankAccount", b);
            (K::BankAccount, bank_account(v, b).map(Value::BankAccount))
        }
        Some(V::Employer(e)) => {
            if e.name.trim().is_empty() {
                v.add("employer.name", "the employer's name is required");
            }
            texts(v, "employer", "secal.v1.Employer", e);
            (K::Employer, Some(Value::Employer(e.clone())))
        }
        Some(V::EmploymentEnded(e)) => {
            texts(v, "employment_ended", "secal.v1.EmploymentEnded", e);
            (K::Employer, Some(Value::EmploymentEnded(e.clone())))
        }
        Some(V::Profession(s)) => match wire::required_text("profession", s, wire::LINE) {
            Ok(p) => (K::Profession, Some(Value::Profession(p))),
            Err(e) => {
                v.add(e.field, e.description);
                (K::Profession, None)
            }
        },
    }
}

/// Every text of a change's value (`full_name` its contract type) through the one text
/// parser (one line, 200 characters).
pub(crate) fn texts<M: prost::Message>(v: &mut Violations, path: &str, full_name: &str, value: &M) {
    v.extend(secal_runtime::syntax::text_violations(
        path, full_name, value,
    ));
}

/// The account with its IBAN in electronic form, so that stored IBANs compare as equal.
fn bank_account(v: &mut Violations, b: &pb::BankAccount) -> Option<pb::BankAccount> {
    // An absent IBAN is refused below like a malformed one.
    let raw: String = b
        .iban
        .as_ref()
        .map(|i| i.value.chars().filter(|c| !c.is_whitespace()).collect())
        .unwrap_or_default();
    match raw.to_ascii_uppercase().parse::<secal_domain::Iban>() {
        Ok(iban) => Some(pb::BankAccount {
            iban: Some(pb::Iban {
                value: iban.electronic().to_owned(),
            }),
            ..b.clone()
        }),
        Err(e) => {
            v.add("bank_account.iban", format!("IBAN_INVALID: {e}"));
            None
        }
    }
}

/// Appends the change to the person's registry and tells every active dossier of the
/// person; returns the change as stored and the numbers of the dossiers told.
async fn record_change(
    conn: &mut PgConnection,
    person_db_id: i64,
    c: &NewChange,
    caller: &Caller,
) -> ServiceResult<(pb::PersonChange, Vec<String>)> {
    let change = pb::PersonChange {
        person_id: c.person_id.to_string(),
        kind: c.kind as i32,
        effective_from: Some(wire::date_to_pb(c.effective_from)),
        value: Some(c.value.clone()),
        address_kind: c.address_kind,
        source: c.source as i32,
        note: c.note.clone(),
        ..Default::default()
    };
    let change = append_change(conn, person_db_id, c.effective_from, change, caller).await?;
    let notified =
        notify_active_dossiers(conn, person_db_id, c.kind, c.effective_from, caller).await?;
    Ok((change, notified))
}

/// Payments acts on addresses and accounts, so every active dossier of the person hears of
/// the change, once per dossier whatever the person's roles in it.
async fn notify_active_dossiers(
    conn: &mut PgConnection,
    person_db_id: i64,
    kind: pb::PersonChangeKind,
    effective_from: NaiveDate,
    caller: &Caller,
) -> ServiceResult<Vec<String>> {
    let active: Vec<(i64, String)> = sqlx::query_as(
        "SELECT d.id, dp.role FROM dossiers d
           JOIN dossier_parties dp ON dp.dossier_id = d.id
          WHERE dp.person_id = $1 AND d.status = 'ACTIVE' ORDER BY d.id, dp.role
            FOR UPDATE OF d",
    )
    .bind(person_db_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut notified = Vec::new();
    let mut last = None;
    for (dossier_id, role) in active {
        if last == Some(dossier_id) {
            continue;
        }
        last = Some(dossier_id);
        let number = notify_dossier(conn, dossier_id, &role, kind, effective_from, caller).await?;
        notified.extend(number);
    }
    Ok(notified)
}

/// One dossier told of a change of a party: a new version, a history entry and a CHANGED
/// event; returns the dossier's number.
async fn notify_dossier(
    conn: &mut PgConnection,
    dossier_id: i64,
    role: &str,
    kind: pb::PersonChangeKind,
    effective_from: NaiveDate,
    caller: &Caller,
) -> ServiceResult<Option<String>> {
    let row = store::find_by_id(conn, dossier_id).await?;
    store::set_status(conn, dossier_id, row.status(), caller).await?;
    store::append_history(
        conn,
        dossier_id,
        Entry::other(
            caller,
            pb::DossierHistoryKind::FormRevised,
            format!(
                "{} of a party ({role}) changed from {effective_from}",
                kind.as_str_name()
            ),
        ),
    )
    .await?;
    // The applicant's account is the payout account, which payments must confirm.
    let change_kind = if kind == pb::PersonChangeKind::BankAccount && role == "APPLICANT" {
        pb::DossierChangeKind::PayoutAccount
    } else {
        pb::DossierChangeKind::PartyDetails
    };
    let mut e = outbox::Emit::new(pb::DossierEventType::Changed, effective_from, caller);
    e.changes = vec![change_kind];
    outbox::emit(conn, dossier_id, e).await?;
    Ok(row.dossier_number)
}

/// ListPersonChanges: a page of one person's changes, of one kind or all.
struct ChangesQuery {
    person_id: Uuid,
    page: wire::Page,
    kind: Option<pb::PersonChangeKind>,
}

impl TryFrom<&pb::ListPersonChangesRequest> for ChangesQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPersonChangesRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let person_id = v.take_all(person_uuid("person_id", &req.person_id));
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        // An undeclared kind must not widen the list to every kind.
        let kind = v.take(wire::optional_enum::<pb::PersonChangeKind>(
            "kind", req.kind,
        ));
        v.finish(|| {
            Some(ChangesQuery {
                person_id: person_id?,
                page: page?,
                kind: kind?,
            })
        })
    }
}

impl IntakeApi {
    #[tracing::instrument(skip_all, fields(kind))]
    pub(crate) async fn record_person_change(
        &self,
        caller: &Caller,
        req: pb::RecordPersonChangeRequest,
    ) -> ServiceResult<pb::RecordPersonChangeResponse> {
        let change = NewChange::try_from(&req)?;
        tracing::Span::current().record("kind", change.kind.as_str_name());

        const M: &str = "RecordPersonChange";
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(r) = idempotency::claim(&mut tx, caller, M, &change.key, &req).await? {
            return Ok(r);
        }
        let person = person_row(&mut tx, change.person_id).await?;
        let person_db_id = person.id;
        let (recorded, notified) = record_change(&mut tx, person_db_id, &change, caller).await?;
        let mut person_pb = person.into_pb();
        fill_current(&mut tx, person_db_id, &mut person_pb).await?;
        let resp = pb::RecordPersonChangeResponse {
            change: Some(recorded),
            person: Some(person_pb),
            notified_dossier_numbers: notified,
        };
        idempotency::complete(&mut tx, M, &change.key, &resp).await?;
        tx.commit().await?;
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list_person_changes(
        &self,
        _caller: &Caller,
        req: pb::ListPersonChangesRequest,
    ) -> ServiceResult<pb::ListPersonChangesResponse> {
        let ChangesQuery {
            person_id,
            page,
            kind,
        } = ChangesQuery::try_from(&req)?;
        let mut conn = self.pool.acquire().await?;
        let person = person_row(&mut conn, person_id).await?;
        // Oldest effective date first; the page token is the last change's row id.
        let rows: Vec<(i64, Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT c.id, c.change FROM person_changes c
              WHERE c.person_id = $1 AND ($2 = 0 OR c.kind = $2)
                AND ($3::bigint IS NULL OR (c.effective_from, c.id) >
                     (SELECT effective_from, id FROM person_changes WHERE id = $3))
              ORDER BY c.effective_from, c.id LIMIT $4",
        )
        .bind(person.id)
        .bind(kind.map_or(0, |k| k as i16))
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&mut *conn)
        .await?;
        let changes = rows
            .iter()
            .map(|(_, j)| pbjson::from_json(pbjson::PERSON_CHANGE, &j.0))
            .collect::<Result<Vec<pb::PersonChange>, _>>()?;
        Ok(pb::ListPersonChangesResponse {
            changes,
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.0),
            )),
        })
    }
}

/// Today, for reads that default to it.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

//! A debtor's dossiers, as payments knows them from intake's dossier events: what a plan or a
//! suspension may cover.

use secal_runtime::{FieldViolation, ServiceError, ServiceResult, Violations};
use sqlx::PgConnection;

/// The request's dossier numbers, each valid and listed once; the violations go to `v`
/// (fields `dossier_numbers[i]`).
pub fn parse_numbers(numbers: &[String], v: &mut Violations) -> Vec<String> {
    let mut dossiers: Vec<String> = Vec::new();
    for (i, d) in numbers.iter().enumerate() {
        let field = format!("dossier_numbers[{i}]");
        match crate::receipts::payments::dossier(&field, d) {
            Ok(d) if dossiers.contains(&d.to_string()) => v.add(field, "listed twice"),
            Ok(d) => dossiers.push(d.to_string()),
            Err(e) => {
                v.take::<()>(Err(e));
            }
        }
    }
    dossiers
}

/// Every dossier is known and names `person` as its debtor; INVALID_ARGUMENT on
/// `dossier_numbers[i]` otherwise.
pub async fn check_owned(
    conn: &mut PgConnection,
    person: &str,
    dossiers: &[String],
) -> ServiceResult<()> {
    let owners: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT dossier_number, debtor_person_id FROM dossier_states WHERE dossier_number = ANY($1)",
    )
    .bind(dossiers)
    .fetch_all(&mut *conn)
    .await?;
    let mut v = Vec::new();
    for (i, d) in dossiers.iter().enumerate() {
        let field = format!("dossier_numbers[{i}]");
        match owners.iter().find(|(n, _)| n == d) {
            None => v.push(FieldViolation::new(field, "unknown dossier")),
            Some((_, owner)) if owner.as_deref() != Some(person) => {
                v.push(FieldViolation::new(field, "not a dossier of this debtor"));
            }
            Some(_) => {}
        }
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::invalid(v))
    }
}

/// The numbers of the dossiers naming `person` as their debtor, in order.
pub async fn dossiers_of(conn: &mut PgConnection, person: &str) -> ServiceResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT dossier_number FROM dossier_states WHERE debtor_person_id = $1 ORDER BY dossier_number",
    )
    .bind(person)
    .fetch_all(conn)
    .await?)
}

/// Takes, for the caller's transaction, the lock under which a debtor's plans and suspensions
/// are decided one at a time (no plan slips in beside a suspension, no two suspensions at
/// once).
pub async fn lock(conn: &mut PgConnection, person: &str) -> ServiceResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('debtor-plans:' || $1))")
        .bind(person)
        .execute(conn)
        .await?;
    Ok(())
}

/// The debtor's suspension in force (granted, not lifted), if any.
pub async fn suspension_in_force(
    conn: &mut PgConnection,
    person: &str,
) -> ServiceResult<Option<uuid::Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM suspensions WHERE debtor_person_id = $1 AND lifted_on IS NULL",
    )
    .bind(person)
    .fetch_optional(conn)
    .await?)
}

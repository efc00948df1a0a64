//! AddReferenceValue: a new value, possibly ending an open-ended one or correcting one, in
//! one transaction with its audit rows and idempotency record. Also the writes of an import
//! (`insert_numbers`): this module is the one writer of `reference_values` and its audit.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use secal_proto::v1 as pb;
use secal_rules::{RefKind, RefPayload};
use secal_runtime::{
    Caller, ServiceError, ServiceResult,
    idempotency::{self, Claim},
};
use sqlx::PgConnection;

use super::{ValueRow, read::describe_key, validate::NewValue};
use crate::api::CalculationApi;

const METHOD: &str = "AddReferenceValue";

/// What is written for one value: the checked request, or the copy that ends an open value.
struct Insert<'a> {
    kind: &'a str,
    key: &'a str,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    payload: &'a RefPayload,
    source: &'a str,
    supersedes: Option<i64>,
    reason: &'a str,
}

impl CalculationApi {
    #[tracing::instrument(skip_all, fields(actor = %caller.actor().id, kind, key))]
    pub(crate) async fn add_reference_value(
        &self,
        caller: &Caller,
        req: pb::AddReferenceValueRequest,
    ) -> ServiceResult<pb::AddReferenceValueResponse> {
        let new = NewValue::try_from(&req)?;
        tracing::Span::current()
            .record("kind", new.kind.as_str())
            .record("key", new.key.as_str());
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, caller, METHOD, &new.idempotency_key, &req).await?
        {
            return Ok(resp);
        }
        // Adds are serialised on the version row, so the overlap check below cannot race
        // another add (the exclusion constraint is the backstop).
        sqlx::query("SELECT version FROM reference_data_version FOR UPDATE")
            .execute(&mut *tx)
            .await?;
        let resp = add_locked(&mut tx, caller, &new).await?;
        idempotency::complete(&mut tx, METHOD, &new.idempotency_key, &resp).await?;
        tx.commit().await?;
        self.references.changed();
        tracing::info!(
            value = %resp.value.as_ref().map(|v| v.reference_value_id.as_str()).unwrap_or_default(),
            affected = resp.affected.len(),
            "reference value added"
        );
        Ok(resp)
    }
}

async fn add_locked(
    conn: &mut PgConnection,
    caller: &Caller,
    new: &NewValue,
) -> ServiceResult<pb::AddReferenceValueResponse> {
    let mut affected = Vec::new();
    if let Some(open_id) = new.end_open {
        let open = replaced_value(conn, open_id, new, "end_open_value_id").await?;
        if open.valid_to.is_some() {
            return Err(ServiceError::failed_precondition(
                "REFERENCE_VALUE_NOT_OPEN_ENDED",
                format!("{} is not open-ended; nothing to end", describe(&open)?),
            ));
        }
        let Some(ends_on) = new
            .valid_from
            .checked_sub_days(Days::new(1))
            .filter(|d| *d >= open.valid_from)
        else {
            return Err(ServiceError::failed_precondition(
                "REFERENCE_VALUE_ENDS_BEFORE_IT_STARTS",
                format!(
                    "{} starts on or after {}: ending it the day before would leave nothing",
                    describe(&open)?,
                    new.valid_from
                ),
            ));
        };
        let open_rule = open.to_rule_value()?;
        let ending = insert(
            conn,
            caller,
            &Insert {
                kind: &open.kind,
                key: &open.key,
                valid_from: open.valid_from,
                valid_to: Some(ends_on),
                payload: &open_rule.payload,
                source: &open.source,
                supersedes: Some(open.id),
                reason: &new.reason,
            },
        )
        .await?;
        audit(conn, caller, new, "end", &ending, Some(open.id)).await?;
        affected.push(reload(conn, open.id).await?.to_pb()?);
        affected.push(ending.to_pb()?);
    }
    let corrected = match new.supersedes {
        Some(id) => Some(replaced_value(conn, id, new, "supersedes_reference_value_id").await?),
        None => None,
    };
    refuse_overlap(conn, new, corrected.as_ref().map(|c| c.id)).await?;
    let added = insert(
        conn,
        caller,
        &Insert {
            kind: new.kind.as_str(),
            key: &new.key,
            valid_from: new.valid_from,
            valid_to: new.valid_to,
            payload: &new.payload,
            source: &new.source,
            supersedes: corrected.as_ref().map(|c| c.id),
            reason: &new.reason,
        },
    )
    .await?;
    match &corrected {
        Some(c) => {
            audit(conn, caller, new, "correct", &added, Some(c.id)).await?;
            affected.push(reload(conn, c.id).await?.to_pb()?);
        }
        None => audit(conn, caller, new, "add", &added, None).await?,
    }
    Ok(pb::AddReferenceValueResponse {
        value: Some(added.to_pb()?),
        affected,
    })
}

fn describe(row: &ValueRow) -> ServiceResult<String> {
    Ok(format!("stored value {}", row.to_rule_value()?.describe()))
}

async fn reload(conn: &mut PgConnection, id: i64) -> ServiceResult<ValueRow> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        value_columns!(),
        " FROM reference_values v WHERE v.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

/// The live value of the same kind and key that the new value ends or corrects.
async fn replaced_value(
    conn: &mut PgConnection,
    id: i64,
    new: &NewValue,
    field: &str,
) -> ServiceResult<ValueRow> {
    let row: Option<ValueRow> = sqlx::query_as(concat!(
        "SELECT ",
        value_columns!(),
        " FROM reference_values v WHERE v.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| {
        ServiceError::not_found(format!("{field}: no reference value with id {id}"))
    })?;
    if row.kind != new.kind.as_str() || row.key != new.key {
        return Err(ServiceError::failed_precondition(
            "REFERENCE_VALUE_OTHER_SERIES",
            format!(
                "{field}: {} is not a {} value with {}",
                describe(&row)?,
                new.kind,
                describe_key(&new.key)
            ),
        ));
    }
    if let Some(by) = row.superseded_by {
        return Err(ServiceError::failed_precondition(
            "REFERENCE_VALUE_SUPERSEDED",
            format!(
                "{field}: {} was already superseded by value {by}",
                describe(&row)?
            ),
        ));
    }
    Ok(row)
}

/// A live value of the same kind and key whose validity meets the new one's is refused,
/// naming it, except the value being corrected.
async fn refuse_overlap(
    conn: &mut PgConnection,
    new: &NewValue,
    corrected: Option<i64>,
) -> ServiceResult<()> {
    let clash: Option<ValueRow> = sqlx::query_as(concat!(
        "SELECT ",
        value_columns!(),
        " FROM reference_values v JOIN reference_live l ON l.value_id = v.id
         WHERE v.kind = $1 AND v.key = $2
           AND l.validity && daterange($3, $4, '[]')
           AND v.id IS DISTINCT FROM $5
         ORDER BY v.valid_from
         LIMIT 1"
    ))
    .bind(new.kind.as_str())
    .bind(&new.key)
    .bind(new.valid_from)
    .bind(new.valid_to)
    .bind(corrected)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(clash) = clash else {
        return Ok(());
    };
    let hint = if clash.valid_to.is_none() && clash.valid_from < new.valid_from {
        format!("; to follow it, give end_open_value_id {}", clash.id)
    } else {
        format!(
            "; to correct it, give supersedes_reference_value_id {}",
            clash.id
        )
    };
    Err(ServiceError::failed_precondition(
        "REFERENCE_VALUE_OVERLAP",
        format!("the new value overlaps {}{hint}", describe(&clash)?),
    ))
}

async fn insert(
    conn: &mut PgConnection,
    caller: &Caller,
    v: &Insert<'_>,
) -> ServiceResult<ValueRow> {
    let (value, brackets, surcharge) = match v.payload {
        RefPayload::Number(n) => (Some(*n), None, None),
        RefPayload::Brackets(b) => (None, Some(b), None),
        RefPayload::Surcharge(s) => (None, None, Some(s)),
        RefPayload::Abolished => (None, None, None),
    };
    let threshold = |f: fn(&secal_rules::SeizureBrackets) -> secal_domain::Money| {
        brackets.map(|b| f(b).amount())
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reference_values
            (kind, key, valid_from, valid_to, value, threshold_a, threshold_b, threshold_c,
             threshold_d, child_increment, debtor_percent, creditor_percent, abolished, source,
             supersedes_id, reason, recorded_by, recorded_via)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         RETURNING id",
    )
    .bind(v.kind)
    .bind(v.key)
    .bind(v.valid_from)
    .bind(v.valid_to)
    .bind(value)
    .bind(threshold(|b| b.a))
    .bind(threshold(|b| b.b))
    .bind(threshold(|b| b.c))
    .bind(threshold(|b| b.d))
    .bind(threshold(|b| b.child_increment))
    .bind(surcharge.map(|s| s.debtor_percent))
    .bind(surcharge.map(|s| s.creditor_percent))
    .bind(matches!(v.payload, RefPayload::Abolished))
    .bind(v.source)
    .bind(v.supersedes)
    .bind(v.reason)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .fetch_one(&mut *conn)
    .await
    .map_err(overlap_backstop)?;
    reload(conn, id).await
}

/// The exclusion constraint only fires if a write bypassed the locked check; still a
/// refusal the caller can act on, not an internal error.
fn overlap_backstop(e: sqlx::Error) -> ServiceError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01") => {
            ServiceError::failed_precondition(
                "REFERENCE_VALUE_OVERLAP",
                "the new value overlaps a stored value of the same kind and key",
            )
            .with_source(e)
        }
        _ => e.into(),
    }
}

async fn audit(
    conn: &mut PgConnection,
    caller: &Caller,
    new: &NewValue,
    action: &str,
    written: &ValueRow,
    affected: Option<i64>,
) -> ServiceResult<()> {
    let detail = written.to_rule_value()?.describe();
    sqlx::query(
        "INSERT INTO reference_audit
            (actor, via, action, value_id, affected_value_id, reason, idempotency_key, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&caller.actor().id)
    .bind(caller.via())
    .bind(action)
    .bind(written.id)
    .bind(affected)
    .bind(&new.reason)
    .bind(&new.idempotency_key)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A single-number value written by an import (`import`): the same row `insert` writes, with
/// the stored value it supersedes, if any.
pub(super) struct NumberValue {
    pub kind: RefKind,
    pub key: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub value: Decimal,
    pub source: String,
    pub supersedes: Option<i64>,
}

/// Why a batch was written, as each value and its audit row keep it.
pub(super) struct AuditNote<'a> {
    pub reason: &'a str,
    pub idempotency_key: &'a str,
    /// Appended to each value's description in the audit (e.g. the file's checksum).
    pub detail_suffix: &'a str,
}

/// Writes many values and their audit rows ("add", or "correct" naming the superseded
/// value) in two statements: an import of a whole publisher's file is thousands of values,
/// one round trip each would take most of a request's time. Returns the ids in order.
#[tracing::instrument(skip_all, fields(values = values.len()))]
pub(super) async fn insert_numbers(
    conn: &mut PgConnection,
    caller: &Caller,
    values: &[NumberValue],
    note: &AuditNote<'_>,
) -> ServiceResult<Vec<i64>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: fn(&NumberValue) -> String| values.iter().map(f).collect::<Vec<_>>();
    let written: Vec<(i64, String, String)> = sqlx::query_as(
        "INSERT INTO reference_values
            (kind, key, valid_from, valid_to, value, source, supersedes_id, reason, recorded_by,
             recorded_via)
         SELECT n.kind, n.key, n.valid_from, n.valid_to, n.value, n.source, n.supersedes, $8, $9,
                $10
         FROM UNNEST($1::text[], $2::text[], $3::date[], $4::date[], $5::numeric[], $6::text[],
                     $7::int8[]) WITH ORDINALITY
              AS n (kind, key, valid_from, valid_to, value, source, supersedes, ord)
         ORDER BY n.ord
         RETURNING id, kind, key",
    )
    .bind(column(|v| v.kind.as_str().to_owned()))
    .bind(column(|v| v.key.clone()))
    .bind(values.iter().map(|v| v.valid_from).collect::<Vec<_>>())
    .bind(values.iter().map(|v| v.valid_to).collect::<Vec<_>>())
    .bind(values.iter().map(|v| v.value).collect::<Vec<_>>())
    .bind(column(|v| v.source.clone()))
    .bind(values.iter().map(|v| v.supersedes).collect::<Vec<_>>())
    .bind(note.reason)
    .bind(&caller.actor().id)
    .bind(caller.via())
    .fetch_all(&mut *conn)
    .await
    .map_err(overlap_backstop)?;
    // RETURNING promises no order: each row is found again by its kind and key, which are
    // unique within a batch.
    let ids: std::collections::HashMap<(String, String), i64> = written
        .into_iter()
        .map(|(id, kind, key)| ((kind, key), id))
        .collect();
    let ids = values
        .iter()
        .map(|v| {
            ids.get(&(v.kind.as_str().to_owned(), v.key.clone()))
                .copied()
                .ok_or_else(|| {
                    ServiceError::internal(std::io::Error::other(
                        "a written value was not returned",
                    ))
                })
        })
        .collect::<ServiceResult<Vec<i64>>>()?;
    audit_numbers(conn, caller, values, &ids, note).await?;
    Ok(ids)
}

async fn audit_numbers(
    conn: &mut PgConnection,
    caller: &Caller,
    values: &[NumberValue],
    ids: &[i64],
    note: &AuditNote<'_>,
) -> ServiceResult<()> {
    let details: Vec<String> = values
        .iter()
        .zip(ids)
        .map(|(v, id)| {
            let described = secal_rules::RefValue {
                id: id.to_string(),
                kind: v.kind,
                key: v.key.clone(),
                valid_from: v.valid_from,
                valid_to: v.valid_to,
                payload: RefPayload::Number(v.value),
                source: v.source.clone(),
            }
            .describe();
            format!("{described}{}", note.detail_suffix)
        })
        .collect();
    sqlx::query(
        "INSERT INTO reference_audit
            (actor, via, action, value_id, affected_value_id, reason, idempotency_key, detail)
         SELECT $1, $2, CASE WHEN n.affected IS NULL THEN 'add' ELSE 'correct' END, n.id,
                n.affected, $3, $4, n.detail
         FROM UNNEST($5::int8[], $6::int8[], $7::text[]) WITH ORDINALITY
              AS n (id, affected, detail, ord)
         ORDER BY n.ord",
    )
    .bind(&caller.actor().id)
    .bind(caller.via())
    .bind(note.reason)
    .bind(note.idempotency_key)
    .bind(ids)
    .bind(values.iter().map(|v| v.supersedes).collect::<Vec<_>>())
    .bind(details)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

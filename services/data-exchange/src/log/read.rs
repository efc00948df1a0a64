//! Reading the log back (auditors only; the handler logs the read first).

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, AccessAction, AccessOutcome, IncomeSource, LookupPurpose};
use secal_runtime::{ServiceError, ServiceResult, wire};

use super::{AccessLog, CHECKPOINT_COLUMNS, COLUMNS, Checkpoint, Entry};

#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub subject_digest: Option<Vec<u8>>,
    pub agent_id: Option<String>,
    pub dossier_number: Option<String>,
    pub purpose: Option<String>,
    pub outcome: Option<String>,
    pub action: Option<String>,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub flagged_only: bool,
}

impl AccessLog {
    pub async fn list(&self, f: &EntryFilter, page: &wire::Page) -> ServiceResult<Vec<Entry>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM access_log
              WHERE ($1::bigint IS NULL OR sequence < $1)
                AND ($2::bytea IS NULL OR subject_digest = $2)
                AND ($3::text IS NULL OR agent_id = $3)
                AND ($4::text IS NULL OR dossier_number = $4)
                AND ($5::text IS NULL OR purpose = $5)
                AND ($6::text IS NULL OR outcome = $6)
                AND ($7::text IS NULL OR action = $7)
                AND ($8::date IS NULL OR at >= $8::date)
                AND ($9::date IS NULL OR at < $9::date + 1)
                AND (NOT $10 OR flagged_unusual_volume)
              ORDER BY sequence DESC LIMIT $11"
        )))
        .bind(page.after)
        .bind(&f.subject_digest)
        .bind(&f.agent_id)
        .bind(&f.dossier_number)
        .bind(&f.purpose)
        .bind(&f.outcome)
        .bind(&f.action)
        .bind(f.from_date)
        .bind(f.to_date)
        .bind(f.flagged_only)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn list_checkpoints(
        &self,
        from: i64,
        to: i64,
        page: &wire::Page,
    ) -> ServiceResult<Vec<(i64, Checkpoint)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            #[sqlx(flatten)]
            cp: Checkpoint,
        }
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, {CHECKPOINT_COLUMNS} FROM access_log_checkpoints
              WHERE ($1::bigint IS NULL OR id < $1) AND sequence >= $2
                AND ($3 = 0 OR sequence <= $3)
              ORDER BY id DESC LIMIT $4"
        )))
        .bind(page.after)
        .bind(from)
        .bind(to)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.cp)).collect())
    }

    pub async fn list_keys(&self) -> ServiceResult<Vec<pb::SigningKey>> {
        type Row = (
            String,
            String,
            Vec<u8>,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
        );
        // The head is rewritten at every append; checkpoints are kept: together they hold the
        // last signature made with each key.
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT k.key_id, k.algorithm, k.public_key, k.valid_from,
                    GREATEST((SELECT max(c.at) FROM access_log_checkpoints c WHERE c.key_id = k.key_id),
                             (SELECT h.at FROM access_log_head h WHERE h.key_id = k.key_id))
               FROM signing_keys k ORDER BY k.valid_from DESC, k.key_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(key_id, algorithm, public_key, from, last)| pb::SigningKey {
                    key_id,
                    algorithm,
                    public_key,
                    valid_from: wire::timestamp(from),
                    last_signed_at: last.map(wire::timestamp).unwrap_or_default(),
                },
            )
            .collect())
    }
}

/// Stored entries are written by this service from its own enums and dates; a value it
/// cannot read back is a corrupt row, reported as such rather than shown as another value.
fn corrupt(sequence: i64, what: &str, value: &str) -> ServiceError {
    ServiceError::internal(format!(
        "access-log entry {sequence}: cannot read its {what} {value:?}"
    ))
}

fn stored<E>(
    e: &Entry,
    what: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<E>,
) -> ServiceResult<E> {
    parse(value).ok_or_else(|| corrupt(e.sequence, what, value))
}

/// A source is logged by name, or, when a refused request named no known source, as the
/// number it gave, which the entry reports as asked.
fn stored_source(e: &Entry, s: &str) -> ServiceResult<i32> {
    match IncomeSource::from_str_name(s) {
        Some(source) => Ok(source as i32),
        None => s.parse().map_err(|_| corrupt(e.sequence, "source", s)),
    }
}

fn stored_outcome(e: &Entry, o: &str) -> ServiceResult<pb::SourceOutcome> {
    let (source, status) = o
        .split_once('=')
        .ok_or_else(|| corrupt(e.sequence, "source outcome", o))?;
    Ok(pb::SourceOutcome {
        source: stored(e, "source outcome", source, IncomeSource::from_str_name)? as i32,
        status: stored(e, "source outcome", status, pb::SourceStatus::from_str_name)? as i32,
    })
}

fn stored_month(e: &Entry, d: Option<NaiveDate>) -> ServiceResult<Option<pb::YearMonth>> {
    d.map(|d| {
        secal_domain::YearMonth::from_date(d)
            .map(wire::year_month_to_pb)
            .map_err(|_| corrupt(e.sequence, "period month", &d.to_string()))
    })
    .transpose()
}

/// The entry as the contract shows it. The optional columns (via system, dossier, refusal
/// rule, result digest) are absent for some entries by design, and the contract's empty
/// string says so.
pub fn entry_to_pb(e: Entry) -> ServiceResult<pb::AccessLogEntry> {
    let period = match e.period_from {
        Some(_) => Some(pb::MonthRange {
            first_month: stored_month(&e, e.period_from)?,
            last_month: stored_month(&e, e.period_to)?,
        }),
        None => None,
    };
    let purpose = stored(&e, "purpose", &e.purpose, LookupPurpose::from_str_name)?;
    let outcome = stored(&e, "outcome", &e.outcome, |o| match o {
        "granted" => Some(AccessOutcome::Granted),
        "refused" => Some(AccessOutcome::Refused),
        _ => None,
    })?;
    let action = stored(&e, "action", &e.action, AccessAction::from_str_name)?;
    let sources = e
        .sources
        .iter()
        .map(|s| stored_source(&e, s))
        .collect::<ServiceResult<_>>()?;
    let source_outcomes = e
        .source_outcomes
        .iter()
        .map(|o| stored_outcome(&e, o))
        .collect::<ServiceResult<_>>()?;
    Ok(pb::AccessLogEntry {
        sequence: e.sequence,
        at: wire::timestamp(e.at),
        agent_id: e.agent_id,
        via_system: e.via_system.unwrap_or_default(),
        subject_masked: e.subject_masked,
        purpose: purpose as i32,
        dossier_number: e.dossier_number.unwrap_or_default(),
        outcome: outcome as i32,
        refusal_rule: e.refusal_rule.unwrap_or_default(),
        result_digest: e.result_digest.map(hex::encode).unwrap_or_default(),
        entry_hash: hex::encode(e.entry_hash),
        previous_hash: hex::encode(e.prev_hash),
        action: action as i32,
        sources,
        source_outcomes,
        period,
        situation_on: e.situation_on.map(wire::date_to_pb),
        last_known_situation: e.last_known,
        flagged_unusual_volume: e.flagged_unusual_volume,
        justification: e.justification,
        trace_id: e.trace_id,
    })
}

#[cfg(test)]
mod tests {
    use secal_runtime::ErrorCode;

    use super::*;

    fn refused_lookup() -> Entry {
        Entry {
            sequence: 7,
            action: AccessAction::IncomeLookup.as_str_name().into(),
            purpose: LookupPurpose::Unspecified.as_str_name().into(),
            outcome: "refused".into(),
            sources: vec!["INCOME_SOURCE_PENSIONS".into(), "99".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_source_a_refused_request_named_by_number_reads_back_as_that_number() {
        let e = entry_to_pb(refused_lookup()).unwrap();
        assert_eq!(e.sources, vec![IncomeSource::Pensions as i32, 99]);
        assert_eq!(e.purpose, LookupPurpose::Unspecified as i32);
    }

    #[test]
    fn a_stored_value_that_names_nothing_known_is_an_internal_error() {
        let corruptions: [fn(&mut Entry); 5] = [
            |e| e.purpose = "GRANT".into(),
            |e| e.outcome = "maybe".into(),
            |e| e.action = "".into(),
            |e| e.sources = vec!["PAYSLIPS".into()],
            |e| e.source_outcomes = vec!["INCOME_SOURCE_PENSIONS".into()],
        ];
        for corrupt in corruptions {
            let mut e = refused_lookup();
            corrupt(&mut e);
            let err = entry_to_pb(e).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Internal);
        }
    }
}

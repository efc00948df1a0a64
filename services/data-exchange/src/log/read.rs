//! Reading the log back (auditors only; the handler logs the read first).

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, AccessAction, AccessOutcome, IncomeSource, LookupPurpose};
use secal_runtime::{ServiceResult, wire};

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
        let rows: Vec<(String, String, Vec<u8>, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT key_id, algorithm, public_key, valid_from FROM signing_keys ORDER BY valid_from DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key_id, algorithm, public_key, from)| pb::SigningKey {
                key_id,
                algorithm,
                public_key,
                valid_from: wire::timestamp(from),
                valid_to: String::new(),
            })
            .collect())
    }
}

fn name_to<E>(v: &str, parse: impl Fn(&str) -> Option<E>, default: E) -> E {
    parse(v).unwrap_or(default)
}

pub fn entry_to_pb(e: Entry) -> pb::AccessLogEntry {
    let month = |d: Option<NaiveDate>| {
        d.and_then(|d| secal_domain::YearMonth::from_date(d).ok())
            .map(wire::year_month_to_pb)
    };
    let period = e.period_from.map(|_| pb::MonthRange {
        first_month: month(e.period_from),
        last_month: month(e.period_to),
    });
    pb::AccessLogEntry {
        sequence: e.sequence,
        at: wire::timestamp(e.at),
        agent_id: e.agent_id,
        via_system: e.via_system.unwrap_or_default(),
        subject_masked: e.subject_masked,
        purpose: name_to(
            &e.purpose,
            LookupPurpose::from_str_name,
            LookupPurpose::Unspecified,
        ) as i32,
        dossier_number: e.dossier_number.unwrap_or_default(),
        outcome: name_to(
            &e.outcome,
            |o| match o {
                "granted" => Some(AccessOutcome::Granted),
                "refused" => Some(AccessOutcome::Refused),
                _ => None,
            },
            AccessOutcome::Unspecified,
        ) as i32,
        refusal_rule: e.refusal_rule.unwrap_or_default(),
        result_digest: e.result_digest.map(hex::encode).unwrap_or_default(),
        entry_hash: hex::encode(e.entry_hash),
        previous_hash: hex::encode(e.prev_hash),
        action: name_to(
            &e.action,
            AccessAction::from_str_name,
            AccessAction::Unspecified,
        ) as i32,
        sources: e
            .sources
            .iter()
            .filter_map(|s| IncomeSource::from_str_name(s))
            .map(|s| s as i32)
            .collect(),
        source_outcomes: e
            .source_outcomes
            .iter()
            .filter_map(|o| {
                let (s, st) = o.split_once('=')?;
                Some(pb::SourceOutcome {
                    source: IncomeSource::from_str_name(s)? as i32,
                    status: pb::SourceStatus::from_str_name(st)? as i32,
                })
            })
            .collect(),
        period,
        situation_on: e.situation_on.map(wire::date_to_pb),
        last_known_situation: e.last_known,
        flagged_unusual_volume: e.flagged_unusual_volume,
        justification: e.justification,
        trace_id: e.trace_id,
    }
}

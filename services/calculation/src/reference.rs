//! Dated reference data.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_proto::v1::{self as pb, ReferenceKind, calculation_service_server::CalculationService};
use secal_runtime::{ServiceError, ServiceResult, wire};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

pub struct CalculationApi {
    pool: PgPool,
}

impl CalculationApi {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
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
    async fn list_reference_values(
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

#[tonic::async_trait]
impl CalculationService for CalculationApi {
    async fn list_reference_values(
        &self,
        request: Request<pb::ListReferenceValuesRequest>,
    ) -> Result<Response<pb::ListReferenceValuesResponse>, Status> {
        Ok(Response::new(
            self.list_reference_values(request.into_inner()).await?,
        ))
    }
}

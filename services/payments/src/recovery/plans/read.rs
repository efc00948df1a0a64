//! GetPaymentPlan and ListPaymentPlans.

use secal_proto::v1 as pb;
use secal_runtime::Caller;
use secal_runtime::{ServiceError, ServiceResult, wire};

use super::{PLAN_COLUMNS, PlanRow, load, plan_id, to_pb, today};
use crate::api::PaymentsApi;

#[tracing::instrument(skip_all)]
pub(crate) async fn get(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetPaymentPlanRequest,
) -> ServiceResult<pb::GetPaymentPlanResponse> {
    let pool = &api.pool;
    let id = plan_id(&req.plan_id)?;
    let mut conn = pool.acquire().await?;
    let row = load(&mut conn, id, false).await?;
    Ok(pb::GetPaymentPlanResponse {
        plan: Some(to_pb(&mut conn, &row, today()).await?),
    })
}

#[tracing::instrument(skip_all)]
pub(crate) async fn list(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListPaymentPlansRequest,
) -> ServiceResult<pb::ListPaymentPlansResponse> {
    let pool = &api.pool;
    let page = wire::page_from_pb("page", req.page.as_ref())?;
    let status = match pb::PaymentPlanStatus::try_from(req.status) {
        Ok(pb::PaymentPlanStatus::Unspecified) => None,
        Ok(s) => Some(s as i16),
        Err(_) => return Err(ServiceError::invalid_field("status", "unknown status")),
    };
    let dossier = match req.dossier_number.trim() {
        "" => None,
        d => Some(
            crate::receipts::payments::dossier("dossier_number", d)
                .map_err(|v| ServiceError::invalid(vec![v]))?
                .to_string(),
        ),
    };
    let person = Some(req.debtor_person_id.trim()).filter(|p| !p.is_empty());
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM payment_plans
         WHERE ($1::text IS NULL OR debtor_person_id = $1)
           AND ($2::text IS NULL OR dossier_numbers @> ARRAY[$2::text])
           AND ($3::smallint IS NULL OR status = $3)
           AND ($4::bigint IS NULL OR seq > $4)
         ORDER BY seq LIMIT $5"
    );
    let mut conn = pool.acquire().await?;
    let rows: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(person)
        .bind(dossier)
        .bind(status)
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&mut *conn)
        .await?;
    let mut plans = Vec::with_capacity(rows.len());
    for r in &rows {
        plans.push(to_pb(&mut conn, r, today()).await?);
    }
    Ok(pb::ListPaymentPlansResponse {
        plans,
        page: Some(wire::page_to_pb(
            &page,
            rows.len(),
            rows.last().map(|r| r.seq),
        )),
    })
}

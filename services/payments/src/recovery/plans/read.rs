//! GetPaymentPlan and ListPaymentPlans.

use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use uuid::Uuid;

use super::{PLAN_COLUMNS, PlanRow, load, plan_id, to_pb, today};
use crate::api::PaymentsApi;

/// GetPaymentPlan, parsed.
struct GetCommand {
    id: Uuid,
}

impl TryFrom<&pb::GetPaymentPlanRequest> for GetCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetPaymentPlanRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let id = v.take_all(plan_id(&req.plan_id));
        v.finish(|| Some(GetCommand { id: id? }))
    }
}

/// ListPaymentPlans, parsed.
struct ListCommand {
    page: wire::Page,
    status: Option<i16>,
    dossier: Option<String>,
    person: Option<String>,
}

impl TryFrom<&pb::ListPaymentPlansRequest> for ListCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListPaymentPlansRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let status = match pb::PaymentPlanStatus::try_from(req.status) {
            Ok(pb::PaymentPlanStatus::Unspecified) => Some(None),
            Ok(s) => Some(Some(s as i16)),
            Err(_) => {
                v.add("status", "unknown status");
                None
            }
        };
        let dossier = match req.dossier_number.trim() {
            "" => Some(None),
            d => v
                .take(crate::receipts::payments::dossier("dossier_number", d))
                .map(|d| Some(d.to_string())),
        };
        let person = v.take(wire::optional_text(
            "debtor_person_id",
            &req.debtor_person_id,
            wire::ID,
        ));
        v.finish(|| {
            Some(ListCommand {
                page: page?,
                status: status?,
                dossier: dossier?,
                person: person?,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn get(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetPaymentPlanRequest,
) -> ServiceResult<pb::GetPaymentPlanResponse> {
    let GetCommand { id } = GetCommand::try_from(&req)?;
    let mut conn = api.pool.acquire().await?;
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
    let ListCommand {
        page,
        status,
        dossier,
        person,
    } = ListCommand::try_from(&req)?;
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM payment_plans
         WHERE ($1::text IS NULL OR debtor_person_id = $1)
           AND ($2::text IS NULL OR dossier_numbers @> ARRAY[$2::text])
           AND ($3::smallint IS NULL OR status = $3)
           AND ($4::bigint IS NULL OR seq > $4)
         ORDER BY seq LIMIT $5"
    );
    let mut conn = api.pool.acquire().await?;
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

//! GetPaymentAllocation: how a recorded debtor payment (or confirmed tax-refund offset) was
//! allocated, read back from what recording stored: the allocation lines in
//! `payment_allocations` and the ledger transfers that booked them.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_rules::allocation::ORDER_VERSION;
use secal_runtime::Caller;
use secal_runtime::{FieldViolation, ServiceError, ServiceResult, Violations};
use uuid::Uuid;

use crate::api::PaymentsApi;
use crate::ledger::{cents_pb, month_pb};

#[derive(sqlx::FromRow)]
struct LineRow {
    position: i32,
    target: i16,
    for_month: Option<NaiveDate>,
    creditor: Option<String>,
    amount_cents: i64,
    beneficiary: i16,
    order_version: String,
}

impl LineRow {
    fn to_pb(&self) -> pb::AllocationLine {
        pb::AllocationLine {
            position: self.position,
            target: i32::from(self.target),
            month: self.for_month.map(month_pb),
            // No creditor: a line of no one creditor (the surcharge), empty on the wire.
            creditor_person_id: self.creditor.clone().unwrap_or_default(),
            amount: Some(cents_pb(self.amount_cents)),
            beneficiary: i32::from(self.beneficiary),
        }
    }
}

/// GetPaymentAllocation, parsed.
struct AllocationQuery {
    id: Uuid,
}

impl TryFrom<&pb::GetPaymentAllocationRequest> for AllocationQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::GetPaymentAllocationRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let id = v.take(
            req.payment_id
                .trim()
                .parse::<Uuid>()
                .map_err(|_| FieldViolation::new("payment_id", "not a payment id")),
        );
        v.finish(|| Some(AllocationQuery { id: id? }))
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn get(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetPaymentAllocationRequest,
) -> ServiceResult<pb::GetPaymentAllocationResponse> {
    let pool = &api.pool;
    let AllocationQuery { id } = AllocationQuery::try_from(&req)?;
    let mut conn = pool.acquire().await?;
    let payment: Option<(String, i64)> = sqlx::query_as(
        "SELECT dossier_number, amount_cents FROM debtor_payments WHERE public_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (dossier, cents) =
        payment.ok_or_else(|| ServiceError::not_found(format!("no debtor payment {id}")))?;
    let payment_id = id.to_string();
    let lines: Vec<LineRow> = sqlx::query_as(
        "SELECT position, target, for_month, creditor, amount_cents, beneficiary, order_version
         FROM payment_allocations WHERE payment_id = $1 ORDER BY position",
    )
    .bind(&payment_id)
    .fetch_all(&mut *conn)
    .await?;
    // The receipt (a recorded payment's own transfer, or the posted hold of a tax-refund
    // offset), then each line's transfers, in the order recording created them. Ids are
    // rebuilt from the booking conventions so the lookup stays on the unique index.
    let refund: Option<String> = sqlx::query_scalar(
        "SELECT refund_id FROM tax_refund_offsets WHERE $1 = ANY(debtor_payment_ids)",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut candidates = vec![match &refund {
        Some(r) => format!("taxrefund/{r}/{dossier}/post"),
        None => format!("pay/{payment_id}"),
    }];
    for l in &lines {
        candidates.push(format!("alloc/{payment_id}/a{}", l.position));
        candidates.push(format!("alloc/{payment_id}/c{}", l.position));
    }
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT transfer_id FROM ledger_transfers WHERE transfer_id = ANY($1)")
            .bind(&candidates)
            .fetch_all(&mut *conn)
            .await?;
    let transfer_ids = candidates
        .into_iter()
        .filter(|c| existing.contains(c))
        .collect();
    let allocated: i64 = lines.iter().map(|l| l.amount_cents).sum();
    Ok(pb::GetPaymentAllocationResponse {
        allocation: Some(pb::PaymentAllocation {
            payment_id,
            amount: Some(cents_pb(cents)),
            lines: lines.iter().map(LineRow::to_pb).collect(),
            unallocated: Some(cents_pb(cents - allocated)),
            transfer_ids,
            // The order the lines were allocated under; nothing allocated (the whole
            // payment left over): the order in force, which found nothing to pay.
            allocation_order_version: lines
                .first()
                .map_or(ORDER_VERSION, |l| l.order_version.as_str())
                .to_owned(),
        }),
    })
}

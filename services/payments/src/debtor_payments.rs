//! Money received from debtors.

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::{DossierNumber, Money, YearMonth};
use secal_proto::v1::{self as pb, payments_service_server::PaymentsService};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

pub struct PaymentsApi {
    pool: PgPool,
}

impl PaymentsApi {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: i64,
    public_id: Uuid,
    dossier_number: String,
    amount_cents: i64,
    received_on: NaiveDate,
    for_month: Option<NaiveDate>,
    recorded_by: String,
    recorded_via: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl PaymentRow {
    fn to_pb(&self) -> pb::DebtorPayment {
        pb::DebtorPayment {
            payment_id: self.public_id.to_string(),
            dossier_number: self.dossier_number.clone(),
            amount: Some(pb::Money {
                amount: Money::from_cents(self.amount_cents).to_string(),
            }),
            received_on: Some(wire::date_to_pb(self.received_on)),
            for_month: self
                .for_month
                .and_then(|d| YearMonth::from_date(d).ok())
                .map(|m| pb::YearMonth {
                    year: m.year(),
                    month: m.month() as i32,
                }),
            recorded: Some(pb::AuditStamp {
                actor: self.recorded_by.clone(),
                at: wire::timestamp(self.recorded_at),
                via: self.recorded_via.clone().unwrap_or_default(),
            }),
            ..Default::default()
        }
    }
}

macro_rules! payment_columns {
    () => {
        "id, public_id, dossier_number, amount_cents, received_on, for_month, recorded_by, \
         recorded_via, recorded_at"
    };
}

fn dossier(field: &str, raw: &str) -> Result<DossierNumber, FieldViolation> {
    raw.trim()
        .parse::<DossierNumber>()
        .map_err(|e| FieldViolation::new(field, e.to_string()))
}

struct ValidPayment {
    key: String,
    dossier: DossierNumber,
    cents: i64,
    received_on: NaiveDate,
    for_month: Option<YearMonth>,
}

fn validate(req: &pb::RecordDebtorPaymentRequest) -> ServiceResult<ValidPayment> {
    let mut v = Vec::new();
    let key = idempotency::validate_key(req.idempotency_key.as_ref(), "idempotency_key")
        .map_err(|e| v.extend(e.violations().iter().cloned()))
        .ok();
    let dossier = dossier("dossier_number", &req.dossier_number)
        .map_err(|e| v.push(e))
        .ok();
    let cents = match req.amount.as_ref().map(|m| m.amount.parse::<Money>()) {
        None => {
            v.push(FieldViolation::new("amount", "an amount is required"));
            None
        }
        Some(Err(e)) => {
            v.push(FieldViolation::new("amount.amount", e.to_string()));
            None
        }
        Some(Ok(m)) if !m.is_positive() => {
            v.push(FieldViolation::new(
                "amount.amount",
                "must be more than zero",
            ));
            None
        }
        Some(Ok(m)) => match m.to_cents() {
            Ok(c) => Some(c),
            Err(e) => {
                v.push(FieldViolation::new("amount.amount", e.to_string()));
                None
            }
        },
    };
    let received_on = wire::date_from_pb("received_on", req.received_on.as_ref())
        .map_err(|e| v.extend(e.violations().iter().cloned()))
        .ok();
    let for_month = match &req.for_month {
        None => Some(None),
        Some(m) => match (u32::try_from(m.month).ok()).map(|mm| YearMonth::new(m.year, mm)) {
            Some(Ok(ym)) => Some(Some(ym)),
            _ => {
                v.push(FieldViolation::new("for_month", "not a month"));
                None
            }
        },
    };
    match (key, dossier, cents, received_on, for_month) {
        (Some(key), Some(dossier), Some(cents), Some(received_on), Some(for_month))
            if v.is_empty() =>
        {
            Ok(ValidPayment {
                key,
                dossier,
                cents,
                received_on,
                for_month,
            })
        }
        _ => Err(ServiceError::invalid(v)),
    }
}

impl PaymentsApi {
    #[tracing::instrument(skip_all)]
    async fn record(
        &self,
        caller: Caller,
        req: pb::RecordDebtorPaymentRequest,
    ) -> ServiceResult<pb::RecordDebtorPaymentResponse> {
        let p = validate(&req)?;
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, "RecordDebtorPayment", &p.key, &req).await?
        {
            return Ok(resp);
        }
        let row: PaymentRow = sqlx::query_as(concat!(
            "INSERT INTO debtor_payments (public_id, dossier_number, amount_cents, received_on,
                                          for_month, recorded_by, recorded_via)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
            payment_columns!()
        ))
        .bind(Uuid::new_v4())
        .bind(p.dossier.to_string())
        .bind(p.cents)
        .bind(p.received_on)
        .bind(p.for_month.map(|m| m.first_day()))
        .bind(&caller.actor().id)
        .bind(caller.via())
        .fetch_one(&mut *tx)
        .await?;
        let resp = pb::RecordDebtorPaymentResponse {
            payment: Some(row.to_pb()),
        };
        idempotency::complete(&mut tx, "RecordDebtorPayment", &p.key, &resp).await?;
        tx.commit().await?;
        tracing::info!(dossier = %p.dossier, cents = p.cents, "debtor payment recorded");
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    async fn list(
        &self,
        req: pb::ListDebtorPaymentsRequest,
    ) -> ServiceResult<pb::ListDebtorPaymentsResponse> {
        let dossier = dossier("dossier_number", &req.dossier_number)
            .map_err(|v| ServiceError::invalid(vec![v]))?;
        let page = wire::page_from_pb("page", req.page.as_ref())?;
        let rows: Vec<PaymentRow> = sqlx::query_as(concat!(
            "SELECT ",
            payment_columns!(),
            " FROM debtor_payments WHERE dossier_number = $1 AND ($2::bigint IS NULL OR id > $2)
              ORDER BY id LIMIT $3"
        ))
        .bind(dossier.to_string())
        .bind(page.after)
        .bind(page.size)
        .fetch_all(&self.pool)
        .await?;
        Ok(pb::ListDebtorPaymentsResponse {
            payments: rows.iter().map(PaymentRow::to_pb).collect(),
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.id),
            )),
        })
    }
}

#[tonic::async_trait]
impl PaymentsService for PaymentsApi {
    async fn record_debtor_payment(
        &self,
        request: Request<pb::RecordDebtorPaymentRequest>,
    ) -> Result<Response<pb::RecordDebtorPaymentResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.record(caller, request.into_inner()).await?,
        ))
    }

    async fn list_debtor_payments(
        &self,
        request: Request<pb::ListDebtorPaymentsRequest>,
    ) -> Result<Response<pb::ListDebtorPaymentsResponse>, Status> {
        Ok(Response::new(self.list(request.into_inner()).await?))
    }

    async fn receive_dossier_event(
        &self,
        request: Request<pb::ReceiveDossierEventRequest>,
    ) -> Result<Response<pb::ReceiveDossierEventResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::dossier_events::receive(&self.pool, &caller, request.into_inner()).await?,
        ))
    }
}

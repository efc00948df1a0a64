//! Money received from debtors.

use crate::api::PaymentsApi;
use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::{DossierNumber, Money, StructuredReference, YearMonth};
use secal_proto::v1 as pb;
use secal_rules::allocation::{self, Line};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult,
    idempotency::{self, Claim},
    wire,
};

use crate::ledger::booking;
use crate::ledger::{self, AccountKey, AccountKind as K, NewTransfer};
use uuid::Uuid;

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
    channel: i16,
    structured_reference: String,
    bank_reference: String,
    note: String,
    statement_line_id: Option<Uuid>,
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
            channel: i32::from(self.channel),
            structured_reference: self.structured_reference.clone(),
            bank_reference: self.bank_reference.clone(),
            statement_line_id: self
                .statement_line_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            note: self.note.clone(),
            ..Default::default()
        }
    }
}

/// The wire form of an allocation (lines in the order they were filled).
pub(crate) fn allocation_pb(
    payment_id: &str,
    cents: i64,
    lines: &[Line],
    rest: i64,
    transfer_ids: Vec<String>,
) -> pb::PaymentAllocation {
    pb::PaymentAllocation {
        payment_id: payment_id.to_owned(),
        amount: Some(ledger::cents_pb(cents)),
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, l)| pb::AllocationLine {
                position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                target: l.target as i32,
                month: l.month.map(ledger::month_pb),
                creditor_person_id: l.creditor.clone().unwrap_or_default(),
                amount: Some(ledger::cents_pb(l.cents)),
                beneficiary: if l.to_service {
                    pb::AllocationBeneficiary::Service
                } else {
                    pb::AllocationBeneficiary::Creditor
                } as i32,
            })
            .collect(),
        unallocated: Some(ledger::cents_pb(rest)),
        transfer_ids,
        allocation_order_version: allocation::ORDER_VERSION.to_owned(),
    }
}

/// A payment as stored; a payment imported from a bank statement takes its references from
/// its statement line (`l`, joined where it is read).
macro_rules! payment_columns {
    () => {
        "id, public_id, dossier_number, amount_cents, received_on, for_month, recorded_by, \
         recorded_via, recorded_at, channel, structured_reference, bank_reference, note"
    };
}

/// The same columns of `debtor_payments p LEFT JOIN statement_lines l`.
macro_rules! listed_payment_columns {
    () => {
        "p.id, p.public_id, p.dossier_number, p.amount_cents, p.received_on, p.for_month, \
         p.recorded_by, p.recorded_via, p.recorded_at, p.channel, \
         CASE WHEN l.id IS NULL THEN p.structured_reference ELSE l.structured_reference END \
           AS structured_reference, \
         CASE WHEN l.id IS NULL THEN p.bank_reference ELSE l.bank_reference END AS bank_reference, \
         p.note, l.public_id AS statement_line_id"
    };
}

/// Longest bank reference: camt.053's AcctSvcrRef is a Max35Text.
const BANK_REFERENCE: wire::TextLimit = wire::TextLimit {
    max_chars: 35,
    multiline: false,
};
const NOTE: wire::TextLimit = wire::TextLimit {
    max_chars: 1000,
    multiline: true,
};

/// What the caller said about the money, kept with the payment.
#[derive(Default)]
pub(crate) struct PaymentDetails {
    pub channel: Option<pb::DebtorPaymentChannel>,
    pub structured_reference: Option<StructuredReference>,
    pub bank_reference: Option<String>,
    pub note: Option<String>,
}

impl PaymentDetails {
    /// Every violation of the four fields, for a payment to `dossier` (when it parsed).
    fn read(
        req: &pb::RecordDebtorPaymentRequest,
        dossier: Option<&DossierNumber>,
        v: &mut Vec<FieldViolation>,
    ) -> Self {
        let channel = match wire::optional_enum("channel", req.channel) {
            Ok(Some(pb::DebtorPaymentChannel::TaxRefundOffset)) => {
                v.push(FieldViolation::new(
                    "channel",
                    "TAX_REFUND_OFFSET: an offset is booked by ConfirmTaxRefundOffset, with its refund",
                ));
                None
            }
            Ok(c) => c,
            Err(e) => {
                v.push(e);
                None
            }
        };
        Self {
            channel,
            structured_reference: structured_reference(&req.structured_reference, dossier, v),
            bank_reference: wire::optional_text(
                "bank_reference",
                &req.bank_reference,
                BANK_REFERENCE,
            )
            .map_err(|e| v.push(e))
            .ok()
            .flatten(),
            note: wire::optional_text("note", &req.note, NOTE)
                .map_err(|e| v.push(e))
                .ok()
                .flatten(),
        }
    }
}

/// The dossier's own structured communication, in any of its written forms; a reference of
/// another dossier is refused (the money would be booked where its payer did not send it).
fn structured_reference(
    raw: &str,
    dossier: Option<&DossierNumber>,
    v: &mut Vec<FieldViolation>,
) -> Option<StructuredReference> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = match raw.parse::<StructuredReference>() {
        Ok(r) => r,
        Err(e) => {
            v.push(FieldViolation::new(
                "structured_reference",
                format!("not a Belgian structured communication: {e}"),
            ));
            return None;
        }
    };
    let own = dossier.and_then(|d| crate::receipts::statements::dossier_reference(d).ok());
    match own {
        Some(own) if own != parsed => {
            v.push(FieldViolation::new(
                "structured_reference",
                format!("OTHER_DOSSIER: this dossier's reference is {own}"),
            ));
            None
        }
        _ => Some(parsed),
    }
}

pub(crate) fn dossier(field: &str, raw: &str) -> Result<DossierNumber, FieldViolation> {
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
    details: PaymentDetails,
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
    let details = PaymentDetails::read(req, dossier.as_ref(), &mut v);
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
                details,
            })
        }
        _ => Err(ServiceError::invalid(v)),
    }
}

/// A debtor payment to book: `from` is where the money sits now (the bank account, or
/// suspense for a statement line a person assigned).
pub(crate) struct NewPayment {
    pub public_id: Uuid,
    pub dossier: String,
    pub cents: i64,
    pub received_on: NaiveDate,
    pub for_month: Option<NaiveDate>,
    pub from: AccountKey,
    pub details: PaymentDetails,
}

/// The one path by which money becomes a debtor payment: the record, the receipt transfer
/// and its allocation, and the certified debt, inside the caller's transaction.
pub(crate) async fn book_payment(
    tx: &mut sqlx::PgConnection,
    actor: &str,
    via: Option<&str>,
    p: NewPayment,
) -> ServiceResult<pb::DebtorPayment> {
    let row: PaymentRow = sqlx::query_as(concat!(
        "INSERT INTO debtor_payments (public_id, dossier_number, amount_cents, received_on,
                                      for_month, recorded_by, recorded_via, channel,
                                      structured_reference, bank_reference, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
        payment_columns!(),
        ", NULL::uuid AS statement_line_id"
    ))
    .bind(p.public_id)
    .bind(&p.dossier)
    .bind(p.cents)
    .bind(p.received_on)
    .bind(p.for_month)
    .bind(actor)
    .bind(via)
    .bind(p.details.channel.map_or(0, |c| c as i16))
    .bind(
        p.details
            .structured_reference
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    )
    .bind(p.details.bank_reference.as_deref().unwrap_or_default())
    .bind(p.details.note.as_deref().unwrap_or_default())
    .fetch_one(&mut *tx)
    .await?;
    let payment_id = row.public_id.to_string();
    let dossier = &p.dossier;
    let receipt = NewTransfer {
        reference: payment_id.clone(),
        for_month: row.for_month,
        ..NewTransfer::posted(
            format!("pay/{payment_id}"),
            p.from,
            AccountKey::dossier(K::MoneyReceived, dossier),
            p.cents,
            pb::TransferCode::DebtorPayment,
            p.received_on,
        )
    };
    ledger::create_transfers(&mut *tx, actor, std::slice::from_ref(&receipt)).await?;
    let (lines, rest, mut ids) = booking::allocate_received(
        &mut *tx,
        actor,
        dossier,
        &payment_id,
        p.cents,
        row.for_month,
        p.received_on,
    )
    .await?;
    ids.insert(0, receipt.id.clone());
    booking::refresh_certified_debt(&mut *tx, dossier).await?;
    let mut payment = row.to_pb();
    payment.allocation = Some(allocation_pb(&payment_id, p.cents, &lines, rest, ids));
    Ok(payment)
}

impl PaymentsApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn record(
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
        let payment = book_payment(
            &mut tx,
            &caller.actor().id,
            caller.via(),
            NewPayment {
                public_id: Uuid::new_v4(),
                dossier: p.dossier.to_string(),
                cents: p.cents,
                received_on: p.received_on,
                for_month: p.for_month.map(|m| m.first_day()),
                from: AccountKey::service(K::Bank),
                details: p.details,
            },
        )
        .await?;
        let resp = pb::RecordDebtorPaymentResponse {
            payment: Some(payment),
        };
        idempotency::complete(&mut tx, "RecordDebtorPayment", &p.key, &resp).await?;
        tx.commit().await?;
        tracing::info!(dossier = %p.dossier, cents = p.cents, "debtor payment recorded");
        Ok(resp)
    }

    #[tracing::instrument(skip_all)]
    pub(crate) async fn list(
        &self,
        req: pb::ListDebtorPaymentsRequest,
    ) -> ServiceResult<pb::ListDebtorPaymentsResponse> {
        let dossier = dossier("dossier_number", &req.dossier_number)
            .map_err(|v| ServiceError::invalid(vec![v]))?;
        let page = wire::page_from_pb("page", req.page.as_ref())?;
        let rows: Vec<PaymentRow> = sqlx::query_as(concat!(
            "SELECT ",
            listed_payment_columns!(),
            " FROM debtor_payments p
              LEFT JOIN statement_lines l ON l.debtor_payment_id = p.public_id
             WHERE p.dossier_number = $1 AND ($2::bigint IS NULL OR p.id > $2)
             ORDER BY p.id LIMIT $3"
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

//! Money received from debtors: the one module that writes `debtor_payments` (a payment
//! recorded, imported from a statement or assigned from suspense through [`book_payment`]; a
//! tax-refund offset's part through [`book_offset_payment`]).

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::{DossierNumber, Money, StructuredReference, YearMonth};
use secal_proto::v1 as pb;
use secal_rules::allocation::{self, Line};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgConnection;

use crate::api::PaymentsApi;
use crate::ledger::booking::{self, Booking};
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
    fn to_pb(&self) -> ServiceResult<pb::DebtorPayment> {
        // A stored month outside YearMonth's range is corrupt data, not "no month".
        let for_month = self
            .for_month
            .map(|d| {
                YearMonth::from_date(d).map_err(|e| {
                    ServiceError::internal(std::io::Error::other(format!(
                        "debtor payment {}: stored for_month {d}: {e}",
                        self.public_id
                    )))
                })
            })
            .transpose()?;
        Ok(pb::DebtorPayment {
            payment_id: self.public_id.to_string(),
            dossier_number: self.dossier_number.clone(),
            amount: Some(pb::Money {
                amount: Money::from_cents(self.amount_cents).to_string(),
            }),
            received_on: Some(wire::date_to_pb(self.received_on)),
            for_month: for_month.map(wire::year_month_to_pb),
            recorded: Some(pb::AuditStamp {
                actor: self.recorded_by.clone(),
                at: wire::timestamp(self.recorded_at),
                // Optional: recorded by a caller that came through no other service.
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
        })
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
        v: &mut Violations,
    ) -> Self {
        let channel = match v.take(wire::optional_enum("channel", req.channel)) {
            Some(Some(pb::DebtorPaymentChannel::TaxRefundOffset)) => {
                v.add(
                    "channel",
                    "TAX_REFUND_OFFSET: an offset is booked by ConfirmTaxRefundOffset, with its refund",
                );
                None
            }
            Some(c) => c,
            None => None,
        };
        Self {
            channel,
            structured_reference: structured_reference(&req.structured_reference, dossier, v),
            bank_reference: v
                .take(wire::optional_text(
                    "bank_reference",
                    &req.bank_reference,
                    BANK_REFERENCE,
                ))
                .flatten(),
            note: v
                .take(wire::optional_text("note", &req.note, NOTE))
                .flatten(),
        }
    }
}

/// The dossier's own structured communication, in any of its written forms; a reference of
/// another dossier is refused (the money would be booked where its payer did not send it).
fn structured_reference(
    raw: &str,
    dossier: Option<&DossierNumber>,
    v: &mut Violations,
) -> Option<StructuredReference> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = match raw.parse::<StructuredReference>() {
        Ok(r) => r,
        Err(e) => {
            v.add(
                "structured_reference",
                format!("not a Belgian structured communication: {e}"),
            );
            return None;
        }
    };
    match dossier.map(DossierNumber::payment_reference) {
        Some(own) if own != parsed => {
            v.add(
                "structured_reference",
                format!("OTHER_DOSSIER: this dossier's reference is {own}"),
            );
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

/// A positive amount in whole cents, its violations named `amount` / `amount.amount`.
fn payment_cents(amount: Option<&pb::Money>) -> Result<i64, FieldViolation> {
    let bad = |e: String| FieldViolation::new("amount.amount", e);
    let Some(raw) = amount else {
        return Err(FieldViolation::new("amount", "an amount is required"));
    };
    // The one amount parser; its violation renamed to this method's documented path.
    match wire::money_from_pb("amount.amount", Some(raw)) {
        Err(e) => Err(bad(e
            .violations()
            .first()
            .map_or_else(|| e.to_string(), |v| v.description.clone()))),
        Ok(m) if !m.is_positive() => Err(bad("must be more than zero".into())),
        Ok(m) => m.to_cents().map_err(|e| bad(e.to_string())),
    }
}

/// The month the payment is for, when one is named.
impl TryFrom<&pb::RecordDebtorPaymentRequest> for ValidPayment {
    type Error = ServiceError;

    fn try_from(req: &pb::RecordDebtorPaymentRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.take(dossier("dossier_number", &req.dossier_number));
        let cents = v.take(payment_cents(req.amount.as_ref()));
        let received_on = v.take_all(wire::date_from_pb("received_on", req.received_on.as_ref()));
        let for_month = v.take_all(wire::optional_year_month_from_pb(
            "for_month",
            req.for_month.as_ref(),
        ));
        let details = PaymentDetails::read(req, dossier.as_ref(), &mut v);
        v.finish(|| {
            Some(ValidPayment {
                key: key?,
                dossier: dossier?,
                cents: cents?,
                received_on: received_on?,
                for_month: for_month?,
                details,
            })
        })
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
/// and its allocation, inside the caller's unit of work (which brings the certified debt in
/// step when it commits).
pub(crate) async fn book_payment(
    tx: &mut Booking,
    actor: &str,
    via: Option<&str>,
    p: NewPayment,
) -> ServiceResult<pb::DebtorPayment> {
    let row = insert_payment(&mut *tx, actor, via, &p).await?;
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
    tx.touch_dossier(dossier);
    let mut payment = row.to_pb()?;
    payment.allocation = Some(allocation_pb(&payment_id, p.cents, &lines, rest, ids));
    Ok(payment)
}

/// The debtor payment's record, as [`book_payment`] stores it.
#[tracing::instrument(skip_all)]
async fn insert_payment(
    conn: &mut PgConnection,
    actor: &str,
    via: Option<&str>,
    p: &NewPayment,
) -> ServiceResult<PaymentRow> {
    Ok(sqlx::query_as(concat!(
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
    .fetch_one(conn)
    .await?)
}

/// The part of a confirmed tax-refund offset on one dossier, booked as a debtor payment: the
/// record and its allocation, in the caller's transaction. Its receipt is the offset's hold,
/// which the caller has just posted (tax-offset-clearing -> money-received), so no receipt
/// transfer is written here; the caller touches the dossier in its unit of work.
#[tracing::instrument(skip_all)]
pub(crate) async fn book_offset_payment(
    conn: &mut PgConnection,
    actor: &str,
    dossier: &str,
    cents: i64,
    paid_on: NaiveDate,
) -> ServiceResult<Uuid> {
    let id = Uuid::new_v4();
    insert_offset_payment(&mut *conn, id, dossier, cents, paid_on, actor).await?;
    booking::allocate_received(
        &mut *conn,
        actor,
        dossier,
        &id.to_string(),
        cents,
        None,
        paid_on,
    )
    .await?;
    Ok(id)
}

/// A tax-refund offset's debtor payment record: no month, channel or references, recorded
/// via `tax-refund-offset`.
#[tracing::instrument(skip_all)]
async fn insert_offset_payment(
    conn: &mut PgConnection,
    id: Uuid,
    dossier: &str,
    cents: i64,
    paid_on: NaiveDate,
    actor: &str,
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO debtor_payments (public_id, dossier_number, amount_cents, received_on, recorded_by, recorded_via)
         VALUES ($1, $2, $3, $4, $5, 'tax-refund-offset')",
    )
    .bind(id)
    .bind(dossier)
    .bind(cents)
    .bind(paid_on)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// ListDebtorPayments, parsed.
struct ListCommand {
    dossier: DossierNumber,
    page: wire::Page,
    /// Received on or after, on or before (the filters were read by no one before).
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl TryFrom<&pb::ListDebtorPaymentsRequest> for ListCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListDebtorPaymentsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier = v.take(dossier("dossier_number", &req.dossier_number));
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let from = v.take_all(wire::optional_date_from_pb(
            "from_date",
            req.from_date.as_ref(),
        ));
        let to = v.take_all(wire::optional_date_from_pb("to_date", req.to_date.as_ref()));
        if let (Some(Some(f)), Some(Some(t))) = (from, to)
            && t < f
        {
            v.add("to_date", "must not be before from_date");
        }
        v.finish(|| {
            Some(ListCommand {
                dossier: dossier?,
                page: page?,
                from: from?,
                to: to?,
            })
        })
    }
}

impl PaymentsApi {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn record(
        &self,
        caller: &Caller,
        req: pb::RecordDebtorPaymentRequest,
    ) -> ServiceResult<pb::RecordDebtorPaymentResponse> {
        let p = ValidPayment::try_from(&req)?;
        let mut tx = Booking::begin(&self.pool).await?;
        if let Claim::Replay(resp) =
            idempotency::claim(&mut tx, caller, "RecordDebtorPayment", &p.key, &req).await?
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
        _caller: &Caller,
        req: pb::ListDebtorPaymentsRequest,
    ) -> ServiceResult<pb::ListDebtorPaymentsResponse> {
        let ListCommand {
            dossier,
            page,
            from,
            to,
        } = ListCommand::try_from(&req)?;
        let rows: Vec<PaymentRow> = sqlx::query_as(concat!(
            "SELECT ",
            listed_payment_columns!(),
            " FROM debtor_payments p
              LEFT JOIN statement_lines l ON l.debtor_payment_id = p.public_id
             WHERE p.dossier_number = $1 AND ($2::bigint IS NULL OR p.id > $2)
               AND ($4::date IS NULL OR p.received_on >= $4)
               AND ($5::date IS NULL OR p.received_on <= $5)
             ORDER BY p.id LIMIT $3"
        ))
        .bind(dossier.to_string())
        .bind(page.after)
        .bind(page.size)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(pb::ListDebtorPaymentsResponse {
            payments: rows
                .iter()
                .map(PaymentRow::to_pb)
                .collect::<ServiceResult<_>>()?,
            page: Some(wire::page_to_pb(
                &page,
                rows.len(),
                rows.last().map(|r| r.id),
            )),
        })
    }
}

//! Tax-refund compensation: the tax administration asks how much of a refund is offset
//! against the taxpayer's maintenance debts (a pending hold), then confirms (post, allocate
//! like a debtor payment) or cancels (void). Idempotent by refund id.
//!
//! House choices: a taxpayer's dossiers are served oldest dossier number first; the hold
//! lasts 30 days (the tax administration pays within that window, else it expires); what is
//! offsettable on a dossier is its enforceable debt on the day of the proposal (debt not yet
//! due that day is never taken, see [`crate::recovery::debt`]) minus money already received
//! and not allocated and minus other open holds.

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::NationalNumber;
use secal_proto::v1::{self as pb, TaxRefundOffsetState as S, TaxRefundZeroReason as Z};
use secal_runtime::{Caller, FieldViolation, ServiceError, ServiceResult, Violations, wire};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::api::PaymentsApi;
use crate::casework;
use crate::db_enum::sql_enum;
use crate::ledger::booking::{self, Booking};
use crate::ledger::{self, AccountKey, AccountKind as K, NewTransfer, Settle};
use crate::receipts;
use crate::recovery::{debt, offset_notices};

const HOLD_SECS: i64 = 30 * 86_400;

#[derive(sqlx::FromRow)]
struct Row {
    refund_id: String,
    taxpayer: String,
    assessment_year: i32,
    refund_cents: i64,
    offset_cents: i64,
    state: i16,
    zero_reason: i16,
    hold_expires_at: Option<DateTime<Utc>>,
    proposed_by: String,
    proposed_at: DateTime<Utc>,
    settled_by: Option<String>,
    settled_at: Option<DateTime<Utc>>,
    debtor_payment_ids: Vec<Uuid>,
    cancel_reason: Option<String>,
}

fn hold_id(refund: &str, dossier: &str) -> String {
    format!("taxrefund/{refund}/{dossier}")
}

async fn load(
    conn: &mut PgConnection,
    refund_id: &str,
) -> ServiceResult<Option<pb::TaxRefundOffset>> {
    let Some(r) = sqlx::query_as::<_, Row>("SELECT * FROM tax_refund_offsets WHERE refund_id = $1")
        .bind(refund_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let parts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT dossier_number, amount_cents FROM tax_refund_offset_parts WHERE refund_id = $1 ORDER BY dossier_number",
    )
    .bind(refund_id)
    .fetch_all(&mut *conn)
    .await?;
    let stamp = |actor: &str, at: DateTime<Utc>| pb::AuditStamp {
        actor: actor.to_owned(),
        at: wire::timestamp(at),
        via: String::new(),
    };
    Ok(Some(pb::TaxRefundOffset {
        refund_id: r.refund_id.clone(),
        taxpayer: Some(pb::NationalNumber { value: r.taxpayer }),
        assessment_year: r.assessment_year,
        refund_amount: Some(ledger::cents_pb(r.refund_cents)),
        offset_amount: Some(ledger::cents_pb(r.offset_cents)),
        remainder: Some(ledger::cents_pb(r.refund_cents - r.offset_cents)),
        state: i32::from(r.state),
        zero_reason: i32::from(r.zero_reason),
        parts: parts
            .into_iter()
            .map(|(d, c)| pb::TaxRefundOffsetPart {
                pending_transfer_id: hold_id(&r.refund_id, &d),
                dossier_number: d,
                amount: Some(ledger::cents_pb(c)),
            })
            .collect(),
        // No hold (nothing offset): the expiry is unset.
        hold_expires_at: r.hold_expires_at.map(wire::timestamp).unwrap_or_default(),
        proposed: Some(stamp(&r.proposed_by, r.proposed_at)),
        settled: r
            .settled_by
            .as_deref()
            .zip(r.settled_at)
            .map(|(a, t)| stamp(a, t)),
        debtor_payment_ids: r.debtor_payment_ids.iter().map(Uuid::to_string).collect(),
        pre_offset_notices_sent: offset_notices::pre_notices_sent(conn, &r.refund_id).await?,
        cancel_reason: r.cancel_reason.unwrap_or_default(),
    }))
}

fn refund_id(raw: &str) -> ServiceResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 100 || !id.bytes().all(|b| b.is_ascii_graphic() && b != b'/') {
        return Err(ServiceError::invalid_field(
            "refund_id",
            "1 to 100 printable ASCII characters, no '/'",
        ));
    }
    Ok(id.to_owned())
}

/// What can still be offset on a dossier on `today`, the day of the proposal: its enforceable
/// debt that day, less what is received and not yet allocated, less the open holds.
async fn offsettable(
    conn: &mut PgConnection,
    dossier: &str,
    today: NaiveDate,
) -> ServiceResult<i64> {
    let dossiers = [dossier.to_owned()];
    let enforceable = debt::total_enforceable_on(&mut *conn, &dossiers, today).await?;
    // Also never beyond what allocation can apply the money to (a credit dated after the
    // proposal day already lowers the open debt).
    let open = booking::open_debts(&mut *conn, dossier)
        .await?
        .total()
        .min(enforceable);
    let held: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT credits_posted, debits_posted, credits_pending FROM ledger_accounts WHERE code = $1 FOR UPDATE",
    )
    .bind(AccountKey::dossier(K::MoneyReceived, dossier).code())
    .fetch_optional(&mut *conn)
    .await?;
    // No money-received account yet: nothing received nor held on the dossier.
    let (cp, dp, pend) = held.unwrap_or_default();
    Ok((open - (cp - dp) - pend).max(0))
}

/// A proposal, checked.
struct Proposal {
    refund: String,
    /// The taxpayer's national number, digits only.
    nn: String,
    cents: i64,
    assessment_year: i32,
    /// The pre-offset notice tells the debtor to object before it.
    planned_on: Option<NaiveDate>,
}

impl TryFrom<&pb::ProposeTaxRefundOffsetRequest> for Proposal {
    type Error = ServiceError;

    fn try_from(req: &pb::ProposeTaxRefundOffsetRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        v.idempotency_key(req.idempotency_key.as_ref());
        let refund = v.take_all(refund_id(&req.refund_id));
        let nn = match &req.taxpayer {
            None => {
                v.add("taxpayer", "required");
                None
            }
            Some(t) => v.take(
                t.value
                    .parse::<NationalNumber>()
                    .map(|nn| nn.as_digits().to_owned())
                    .map_err(|e| FieldViolation::new("taxpayer.value", e.to_string())),
            ),
        };
        let cents = v.take_all(crate::ledger::rpcs::cents(
            "refund_amount",
            req.refund_amount.as_ref(),
        ));
        if !(2000..=2999).contains(&req.assessment_year) {
            v.add("assessment_year", "a year 2000-2999");
        }
        let planned_on = v.take_all(wire::optional_date_from_pb(
            "planned_payment_date",
            req.planned_payment_date.as_ref(),
        ));
        v.finish(|| {
            Some(Proposal {
                refund: refund?,
                nn: nn?,
                cents: cents?,
                planned_on: planned_on?,
                assessment_year: req.assessment_year,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn propose(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ProposeTaxRefundOffsetRequest,
) -> ServiceResult<pb::ProposeTaxRefundOffsetResponse> {
    let pool = &api.pool;
    let p = Proposal::try_from(&req)?;
    let mut tx = pool.begin().await?;
    // One taxpayer's proposals in turn, so that two refunds never hold the same debt.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('taxrefund:' || $1))")
        .bind(&p.nn)
        .execute(&mut *tx)
        .await?;
    if let Some(first) = load(&mut tx, &p.refund).await? {
        return replayed(first, &p);
    }
    ledger::expire_due(&mut tx).await?;
    let (dossiers, suspended) = debtor_dossiers(&mut tx, &p.nn).await?;
    let mut parts = Vec::new();
    // Each part's dossier's offsettable debt before the offset, for its notice.
    let mut debts = Vec::new();
    let mut left = p.cents;
    let today = Utc::now().date_naive();
    if !suspended {
        for d in &dossiers {
            let debt = offsettable(&mut tx, d, today).await?;
            let c = debt.min(left);
            if c > 0 {
                left -= c;
                parts.push((d.clone(), c));
                debts.push(debt);
            }
        }
    }
    let offset = p.cents - left;
    let reason = match () {
        _ if offset > 0 => Z::Unspecified,
        _ if dossiers.is_empty() => Z::NotADebtor,
        _ if suspended => Z::IndefiniteSuspension,
        _ => Z::NoEnforceableDebt,
    };
    let expires_at = hold(&mut tx, &caller.actor().id, &p.refund, &parts).await?;
    let recorded = Recorded {
        offset,
        reason,
        expires_at,
    };
    record_proposal(&mut tx, &caller.actor().id, &p, &recorded, &parts).await?;
    // The debtor is told before the refund is taken: one notice per dossier part, requested
    // last (the case-work feed's lock is held to the commit).
    for ((dossier, cents), debt) in parts.iter().zip(&debts) {
        let notice = offset_notices::PartNotice {
            refund: &p.refund,
            assessment_year: p.assessment_year,
            refund_cents: p.cents,
            dossier,
            offset_cents: *cents,
            debt_before_cents: *debt,
        };
        let by = casework::By::of(caller);
        offset_notices::request_pre(&mut tx, &notice, today, p.planned_on, by).await?;
    }
    let offset = load(&mut tx, &p.refund).await?;
    tx.commit().await?;
    tracing::info!(
        offset_cents = offset.as_ref().map(|_| p.cents - left),
        "tax refund offset proposed"
    );
    Ok(pb::ProposeTaxRefundOffsetResponse { offset })
}

/// A refund proposed before is answered as then, if it is the same refund.
fn replayed(
    first: pb::TaxRefundOffset,
    p: &Proposal,
) -> ServiceResult<pb::ProposeTaxRefundOffsetResponse> {
    let same = first.taxpayer.as_ref().map(|t| t.value.as_str()) == Some(p.nn.as_str())
        && first.refund_amount == Some(ledger::cents_pb(p.cents))
        && first.assessment_year == p.assessment_year;
    if !same {
        return Err(ServiceError::new(
            secal_runtime::ErrorCode::AlreadyExists,
            format!(
                "refund {} was proposed with another taxpayer, amount or year",
                p.refund
            ),
        ));
    }
    Ok(pb::ProposeTaxRefundOffsetResponse {
        offset: Some(first),
    })
}

/// The taxpayer's active dossiers as debtor (oldest first), and whether a suspension of
/// recovery is in force for the debtor.
async fn debtor_dossiers(conn: &mut PgConnection, nn: &str) -> ServiceResult<(Vec<String>, bool)> {
    let dossiers: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT dossier_number, debtor_person_id FROM dossier_states
         WHERE debtor_national_number = $1 AND status = $2 ORDER BY dossier_number",
    )
    .bind(nn)
    .bind(pb::DossierStatus::Active as i16)
    .fetch_all(&mut *conn)
    .await?;
    let suspended: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM suspensions WHERE debtor_person_id = ANY($1)
                        AND lifted_on IS NULL AND effective_from <= current_date)",
    )
    .bind(
        dossiers
            .iter()
            .filter_map(|(_, p)| p.clone())
            .collect::<Vec<_>>(),
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((dossiers.into_iter().map(|(d, _)| d).collect(), suspended))
}

/// Holds each part as a pending transfer; returns when the holds expire.
async fn hold(
    conn: &mut PgConnection,
    actor: &str,
    refund: &str,
    parts: &[(String, i64)],
) -> ServiceResult<Option<DateTime<Utc>>> {
    let today = Utc::now().date_naive();
    let holds: Vec<NewTransfer> = parts
        .iter()
        .map(|(d, c)| NewTransfer {
            pending_timeout_secs: Some(HOLD_SECS),
            reference: refund.to_owned(),
            ..NewTransfer::posted(
                hold_id(refund, d),
                AccountKey::service(K::TaxOffsetClearing),
                AccountKey::dossier(K::MoneyReceived, d),
                *c,
                pb::TransferCode::TaxRefundOffset,
                today,
            )
        })
        .collect();
    let created = ledger::create_transfers(conn, actor, &holds).await?;
    Ok(created.first().and_then(|t| t.expires_at))
}

/// The outcome of a proposal as stored.
struct Recorded {
    offset: i64,
    reason: Z,
    expires_at: Option<DateTime<Utc>>,
}

async fn record_proposal(
    conn: &mut PgConnection,
    actor: &str,
    p: &Proposal,
    r: &Recorded,
    parts: &[(String, i64)],
) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO tax_refund_offsets (refund_id, taxpayer, assessment_year, refund_cents, offset_cents,
             state, zero_reason, hold_expires_at, proposed_by)
         VALUES ($1, $2, $3, $4, $5, $9, $6, $7, $8)",
    )
    .bind(&p.refund)
    .bind(&p.nn)
    .bind(p.assessment_year)
    .bind(p.cents)
    .bind(r.offset)
    .bind(r.reason as i16)
    .bind(r.expires_at)
    .bind(actor)
    .bind(S::Proposed as i16)
    .execute(&mut *conn)
    .await?;
    for (d, c) in parts {
        sqlx::query("INSERT INTO tax_refund_offset_parts (refund_id, dossier_number, amount_cents) VALUES ($1, $2, $3)")
            .bind(&p.refund)
            .bind(d)
            .bind(c)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// ConfirmTaxRefundOffset (`paid_on` set) or CancelTaxRefundOffset (`None`), parsed.
struct SettleCommand {
    refund: String,
    paid_on: Option<NaiveDate>,
    /// Cancellation: the reason given.
    reason: Option<String>,
}

impl TryFrom<&pb::ConfirmTaxRefundOffsetRequest> for SettleCommand {
    type Error = ServiceError;

    fn try_from(r: &pb::ConfirmTaxRefundOffsetRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let paid_on = v.take_all(wire::date_from_pb("paid_on", r.paid_on.as_ref()));
        v.idempotency_key(r.idempotency_key.as_ref());
        let refund = v.take_all(refund_id(&r.refund_id));
        v.finish(|| {
            Some(SettleCommand {
                refund: refund?,
                paid_on: Some(paid_on?),
                reason: None,
            })
        })
    }
}

impl TryFrom<&pb::CancelTaxRefundOffsetRequest> for SettleCommand {
    type Error = ServiceError;

    fn try_from(r: &pb::CancelTaxRefundOffsetRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        v.idempotency_key(r.idempotency_key.as_ref());
        let refund = v.take_all(refund_id(&r.refund_id));
        let reason = v
            .take(wire::optional_text("reason", &r.reason, wire::NOTE))
            .flatten();
        v.finish(|| {
            Some(SettleCommand {
                refund: refund?,
                paid_on: None,
                reason,
            })
        })
    }
}

/// ConfirmTaxRefundOffset: the refund was paid out net of the offset on `paid_on`.
pub async fn confirm(
    api: &PaymentsApi,
    caller: &Caller,
    r: pb::ConfirmTaxRefundOffsetRequest,
) -> ServiceResult<pb::ConfirmTaxRefundOffsetResponse> {
    let c = SettleCommand::try_from(&r)?;
    let offset = settle(&api.pool, caller, c).await?;
    Ok(pb::ConfirmTaxRefundOffsetResponse {
        offset: Some(offset),
    })
}

/// CancelTaxRefundOffset: the proposal is dropped and the debts it held are released.
pub async fn cancel(
    api: &PaymentsApi,
    caller: &Caller,
    r: pb::CancelTaxRefundOffsetRequest,
) -> ServiceResult<pb::CancelTaxRefundOffsetResponse> {
    let c = SettleCommand::try_from(&r)?;
    let offset = settle(&api.pool, caller, c).await?;
    Ok(pb::CancelTaxRefundOffsetResponse {
        offset: Some(offset),
    })
}

/// Confirms (`Some(paid_on)`) or cancels (`None`) a proposed offset.
#[tracing::instrument(skip_all)]
async fn settle(
    pool: &PgPool,
    caller: &Caller,
    c: SettleCommand,
) -> ServiceResult<pb::TaxRefundOffset> {
    let SettleCommand {
        refund,
        paid_on,
        reason,
    } = c;
    let actor = &caller.actor().id;
    let wanted = if paid_on.is_some() {
        S::Confirmed
    } else {
        S::Cancelled
    };
    let mut tx = Booking::begin(pool).await?;
    let state = locked_state(&mut tx, &refund).await?;
    if state == wanted as i16 {
        return load(&mut tx, &refund)
            .await?
            .ok_or_else(|| ServiceError::not_found("offset"));
    }
    if state != S::Proposed as i16 {
        let now = S::try_from(i32::from(state))
            .map_err(|e| {
                ServiceError::internal(std::io::Error::other(format!(
                    "tax refund offset {refund} has the unknown state {state}: {e}"
                )))
            })?
            .as_str_name();
        return Err(ServiceError::failed_precondition(
            "OFFSET_SETTLED",
            format!("refund {refund} is {now}"),
        ));
    }
    if paid_on.is_some() {
        offset_notices::require_pre_notices_sent(&mut tx, &refund).await?;
    }
    let parts: Vec<(String, i64)> = sqlx::query_as("SELECT dossier_number, amount_cents FROM tax_refund_offset_parts WHERE refund_id = $1 ORDER BY dossier_number")
        .bind(&refund)
        .fetch_all(&mut *tx)
        .await?;
    let mut payment_ids = Vec::new();
    for (d, c) in &parts {
        let hold = hold_id(&refund, d);
        match paid_on {
            Some(paid_on) => {
                let Some(id) = confirm_part(&mut tx, actor, &hold, (d, *c), paid_on).await? else {
                    drop(tx);
                    return expired(pool, &refund).await;
                };
                payment_ids.push(id);
            }
            None => {
                ledger::settle_pending(
                    &mut tx,
                    actor,
                    &hold,
                    &format!("{hold}/void"),
                    Settle::Void,
                    reason.as_deref().unwrap_or("refund not offset"),
                )
                .await?;
            }
        }
        tx.touch_dossier(d);
    }
    sqlx::query("UPDATE tax_refund_offsets SET state = $2, settled_by = $3, settled_at = now(), debtor_payment_ids = $4, cancel_reason = $5 WHERE refund_id = $1")
        .bind(&refund)
        .bind(wanted as i16)
        .bind(actor)
        .bind(&payment_ids)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
    request_post_notices(&mut tx, caller, &refund, &parts, paid_on).await?;
    let out = load(&mut tx, &refund)
        .await?
        .ok_or_else(|| ServiceError::not_found("offset"))?;
    tx.commit().await?;
    Ok(out)
}

/// After the refund was paid (`Some(paid_on)`): each part's post-offset notice (what was
/// taken, what is left); after a cancellation (`None`): each announced part's cancellation
/// notice (the debt unchanged). Requested last (the case-work feed's lock is held to the
/// commit).
async fn request_post_notices(
    conn: &mut PgConnection,
    caller: &Caller,
    refund: &str,
    parts: &[(String, i64)],
    paid_on: Option<NaiveDate>,
) -> ServiceResult<()> {
    let (year, refund_cents): (i32, i64) = sqlx::query_as(
        "SELECT assessment_year, refund_cents FROM tax_refund_offsets WHERE refund_id = $1",
    )
    .bind(refund)
    .fetch_one(&mut *conn)
    .await?;
    let today = Utc::now().date_naive();
    // A cancellation writes only to the debtors of the parts a pre-offset notice announced.
    let announced: Vec<String> = match paid_on {
        Some(_) => Vec::new(),
        None => {
            sqlx::query_scalar(
                "SELECT dossier_number FROM tax_refund_offset_parts
                  WHERE refund_id = $1 AND pre_notice_sequence IS NOT NULL",
            )
            .bind(refund)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    for (dossier, cents) in parts {
        if paid_on.is_none() && !announced.contains(dossier) {
            continue;
        }
        let now = offsettable(conn, dossier, today).await?;
        let by = casework::By::of(caller);
        let mut notice = offset_notices::PartNotice {
            refund,
            assessment_year: year,
            refund_cents,
            dossier,
            offset_cents: *cents,
            debt_before_cents: now,
        };
        match paid_on {
            Some(paid_on) => {
                // The debt before the offset: what is offsettable now, plus what it took.
                notice.debt_before_cents = now + cents;
                offset_notices::request_post(conn, &notice, today, paid_on, by).await?;
            }
            None => offset_notices::request_cancelled(conn, &notice, today, by).await?,
        }
    }
    Ok(())
}

/// The offset's state, its row locked for the settlement.
async fn locked_state(conn: &mut PgConnection, refund: &str) -> ServiceResult<i16> {
    let state: Option<i16> =
        sqlx::query_scalar("SELECT state FROM tax_refund_offsets WHERE refund_id = $1 FOR UPDATE")
            .bind(refund)
            .fetch_optional(conn)
            .await?;
    state.ok_or_else(|| ServiceError::not_found(format!("no offset proposed for refund {refund}")))
}

/// Posts a part's hold and books it as a debtor payment on its dossier; `None` when the
/// hold expired meanwhile (the caller records the offset as expired, outside this
/// transaction).
async fn confirm_part(
    conn: &mut PgConnection,
    actor: &str,
    hold: &str,
    (dossier, cents): (&str, i64),
    paid_on: NaiveDate,
) -> ServiceResult<Option<Uuid>> {
    let settled = ledger::settle_pending(
        &mut *conn,
        actor,
        hold,
        &format!("{hold}/post"),
        Settle::Post(None),
        "refund paid",
    )
    .await;
    if let Err(ledger::LedgerError::NotPending { .. }) = settled {
        return Ok(None);
    }
    settled?;
    let id = receipts::payments::book_offset_payment(conn, actor, dossier, cents, paid_on).await?;
    Ok(Some(id))
}

/// The hold timed out before confirmation: recorded as expired, and the caller is told.
async fn expired(pool: &PgPool, refund: &str) -> ServiceResult<pb::TaxRefundOffset> {
    sqlx::query(concat!(
        "UPDATE tax_refund_offsets SET state = $2, settled_by = 'ledger', settled_at = now()
         WHERE refund_id = $1 AND state = ",
        sql_enum!(TaxRefundOffsetState::Proposed),
    ))
    .bind(refund)
    .bind(S::Expired as i16)
    .execute(pool)
    .await?;
    Err(ServiceError::failed_precondition(
        "OFFSET_EXPIRED",
        format!("the hold of refund {refund} expired; propose again"),
    ))
}

/// GetTaxRefundOffset, parsed.
struct GetCommand {
    refund: String,
}

impl TryFrom<&pb::GetTaxRefundOffsetRequest> for GetCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetTaxRefundOffsetRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let refund = v.take_all(refund_id(&req.refund_id));
        v.finish(|| Some(GetCommand { refund: refund? }))
    }
}

pub async fn get(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetTaxRefundOffsetRequest,
) -> ServiceResult<pb::GetTaxRefundOffsetResponse> {
    let GetCommand { refund } = GetCommand::try_from(&req)?;
    let mut conn = api.pool.acquire().await?;
    let offset = load(&mut conn, &refund)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("no offset for refund {refund}")))?;
    Ok(pb::GetTaxRefundOffsetResponse {
        offset: Some(offset),
    })
}

//! The ledger RPCs: create/post/void transfers, balances and histories, debt recognition.

use chrono::{NaiveDate, Utc};
use secal_domain::Money;
use secal_proto::v1::{self as pb, TransferCode};
use secal_runtime::{
    Caller, ServiceError, ServiceResult,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgPool;

use crate::api::PaymentsApi;
use crate::ledger::booking::Booking;
use crate::ledger::{self, AccountKey, AccountKind as K, NewTransfer, Settle};

/// A positive amount in whole cents.
pub fn cents(field: &str, m: Option<&pb::Money>) -> ServiceResult<i64> {
    let money: Money = wire::money_from_pb(field, m)?;
    if !money.is_positive() {
        return Err(ServiceError::invalid_field(field, "must be more than zero"));
    }
    money
        .to_cents()
        .map_err(|e| ServiceError::invalid_field(field, e.to_string()))
}

fn account(field: &str, raw: &str) -> ServiceResult<AccountKey> {
    AccountKey::parse(raw).map_err(|e| ServiceError::invalid_field(field, e))
}

fn month(field: &str, m: Option<&pb::YearMonth>) -> ServiceResult<Option<NaiveDate>> {
    Ok(wire::optional_year_month_from_pb(field, m)?.map(|m| m.first_day()))
}

fn spec(i: usize, s: &pb::LedgerTransferSpec) -> ServiceResult<NewTransfer> {
    let f = |name: &str| format!("transfers[{i}].{name}");
    let code = TransferCode::try_from(s.code).unwrap_or_default();
    if code == TransferCode::Unspecified {
        return Err(ServiceError::invalid_field(
            f("code"),
            "a transfer code is required",
        ));
    }
    Ok(NewTransfer {
        id: s.transfer_id.trim().to_owned(),
        debit: account(&f("debit_account_id"), &s.debit_account_id)?,
        credit: account(&f("credit_account_id"), &s.credit_account_id)?,
        cents: cents(&f("amount"), s.amount.as_ref())?,
        code,
        value_date: wire::date_from_pb(&f("value_date"), s.value_date.as_ref())?,
        pending_timeout_secs: s.pending.then_some(i64::from(s.timeout_seconds)),
        corrects: Some(s.corrects_transfer_id.trim().to_owned()).filter(|c| !c.is_empty()),
        for_month: month(&f("for_month"), s.for_month.as_ref())?,
        reference: s.reference.clone(),
        description: s.description.clone(),
    })
}

#[tracing::instrument(skip_all, fields(count = req.transfers.len()))]
pub async fn create(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::CreateLedgerTransfersRequest,
) -> ServiceResult<pb::CreateLedgerTransfersResponse> {
    let pool = &api.pool;
    let key = idempotency::validate_key(req.idempotency_key.as_ref(), "idempotency_key")?;
    if req.transfers.is_empty() || req.transfers.len() > 1000 {
        return Err(ServiceError::invalid_field(
            "transfers",
            "1 to 1,000 transfers",
        ));
    }
    let specs = req
        .transfers
        .iter()
        .enumerate()
        .map(|(i, s)| spec(i, s))
        .collect::<ServiceResult<Vec<_>>>()?;
    let mut tx = Booking::begin(pool).await?;
    if let Claim::Replay(resp) =
        idempotency::claim(&mut tx, "CreateLedgerTransfers", &key, &req).await?
    {
        return Ok(resp);
    }
    let created = ledger::create_transfers(&mut tx, &caller.actor().id, &specs).await?;
    for d in specs
        .iter()
        .filter_map(|s| s.debit.dossier.as_ref().or(s.credit.dossier.as_ref()))
    {
        tx.touch_dossier(d);
    }
    let resp = pb::CreateLedgerTransfersResponse {
        transfers: created.iter().map(|t| t.to_pb(None)).collect(),
    };
    idempotency::complete(&mut tx, "CreateLedgerTransfers", &key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

#[tracing::instrument(skip_all)]
async fn settle(
    pool: &PgPool,
    caller: &Caller,
    key: Option<&pb::IdempotencyKey>,
    pending_id: &str,
    settlement_id: &str,
    how: Settle,
    note: &str,
) -> ServiceResult<pb::LedgerTransfer> {
    idempotency::validate_key(key, "idempotency_key")?;
    if pending_id.trim().is_empty() {
        return Err(ServiceError::invalid_field(
            "pending_transfer_id",
            "required",
        ));
    }
    if settlement_id.trim().is_empty() {
        return Err(ServiceError::invalid_field("transfer_id", "required"));
    }
    let mut tx = Booking::begin(pool).await?;
    let t = ledger::settle_pending(
        &mut tx,
        &caller.actor().id,
        pending_id.trim(),
        settlement_id.trim(),
        how,
        note,
    )
    .await?;
    if let Some(d) = &t.dossier_number {
        tx.touch_dossier(d);
    }
    tx.commit().await?;
    Ok(t.to_pb(None))
}

fn settle_amount(m: Option<&pb::Money>) -> ServiceResult<Option<i64>> {
    match m {
        None => Ok(None),
        Some(m) if m.amount.trim().is_empty() => Ok(None),
        Some(m) => cents("amount", Some(m)).map(Some),
    }
}

/// PostPendingTransfer: settles a pending transfer, for its amount or less.
pub async fn post_pending(
    api: &PaymentsApi,
    caller: &Caller,
    r: pb::PostPendingTransferRequest,
) -> ServiceResult<pb::PostPendingTransferResponse> {
    let how = Settle::Post(settle_amount(r.amount.as_ref())?);
    let t = settle(
        &api.pool,
        caller,
        r.idempotency_key.as_ref(),
        &r.pending_transfer_id,
        &r.transfer_id,
        how,
        "",
    )
    .await?;
    Ok(pb::PostPendingTransferResponse { transfer: Some(t) })
}

/// VoidPendingTransfer: releases a pending transfer, saying why.
pub async fn void_pending(
    api: &PaymentsApi,
    caller: &Caller,
    r: pb::VoidPendingTransferRequest,
) -> ServiceResult<pb::VoidPendingTransferResponse> {
    let t = settle(
        &api.pool,
        caller,
        r.idempotency_key.as_ref(),
        &r.pending_transfer_id,
        &r.transfer_id,
        Settle::Void,
        &r.reason,
    )
    .await?;
    Ok(pb::VoidPendingTransferResponse { transfer: Some(t) })
}

fn as_of(d: Option<&pb::Date>) -> ServiceResult<NaiveDate> {
    Ok(wire::optional_date_from_pb("as_of", d)?.unwrap_or_else(|| Utc::now().date_naive()))
}

pub async fn get_account(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetLedgerAccountRequest,
) -> ServiceResult<pb::GetLedgerAccountResponse> {
    let pool = &api.pool;
    let key = account("account_id", &req.account_id)?;
    let as_of = as_of(req.as_of.as_ref())?;
    let mut conn = pool.acquire().await?;
    let b = ledger::account_balance(&mut conn, &key.code(), as_of).await?;
    Ok(pb::GetLedgerAccountResponse {
        account: Some(b.to_pb(as_of)),
    })
}

/// An account's history (with running balances) or every transfer of a dossier. Both are
/// ordered by value date, which is not the insertion order, so the page token is the
/// position reached (an offset), not a row id.
pub async fn list_transfers(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListLedgerTransfersRequest,
) -> ServiceResult<pb::ListLedgerTransfersResponse> {
    let pool = &api.pool;
    let page = wire::page_from_pb("page", req.page.as_ref())?;
    let range = req.value_dates.as_ref();
    let from = wire::optional_date_from_pb(
        "value_dates.start_date",
        range.and_then(|r| r.start_date.as_ref()),
    )?;
    let to = wire::optional_date_from_pb(
        "value_dates.end_date",
        range.and_then(|r| r.end_date.as_ref()),
    )?;
    if from.zip(to).is_some_and(|(f, t)| f > t) {
        return Err(ServiceError::invalid_field(
            "value_dates.end_date",
            "must not be before the start date",
        ));
    }
    let offset = page.after.unwrap_or(0);
    let mut conn = pool.acquire().await?;
    let transfers: Vec<pb::LedgerTransfer> =
        match (req.account_id.trim(), req.dossier_number.trim()) {
            ("", "") => {
                return Err(ServiceError::invalid_field(
                    "account_id",
                    "set account_id or dossier_number",
                ));
            }
            (a, "") => {
                let key = account("account_id", a)?;
                ledger::account_history(&mut conn, &key.code(), from, to, offset, page.size)
                    .await?
                    .iter()
                    .map(|(t, run)| t.to_pb(Some(*run)))
                    .collect()
            }
            ("", d) => {
                let dossier = crate::receipts::payments::dossier("dossier_number", d)
                    .map_err(|v| ServiceError::invalid(vec![v]))?
                    .to_string();
                ledger::dossier_history(&mut conn, &dossier, from, to, offset, page.size)
                    .await?
                    .iter()
                    .map(|t| t.to_pb(None))
                    .collect()
            }
            _ => {
                return Err(ServiceError::invalid_field(
                    "dossier_number",
                    "set account_id or dossier_number, not both",
                ));
            }
        };
    let reached = offset.saturating_add(i64::try_from(transfers.len()).unwrap_or(i64::MAX));
    Ok(pb::ListLedgerTransfersResponse {
        page: Some(wire::page_to_pb(&page, transfers.len(), Some(reached))),
        transfers,
    })
}

pub async fn dossier_ledger(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetDossierLedgerRequest,
) -> ServiceResult<pb::GetDossierLedgerResponse> {
    let pool = &api.pool;
    let dossier = crate::receipts::payments::dossier("dossier_number", &req.dossier_number)
        .map_err(|v| ServiceError::invalid(vec![v]))?
        .to_string();
    let as_of = as_of(req.as_of.as_ref())?;
    let mut conn = pool.acquire().await?;
    let accounts = ledger::dossier_accounts(&mut conn, &dossier, as_of).await?;
    let mut creditors: std::collections::BTreeMap<String, pb::CreditorPosition> =
        Default::default();
    let mut debtor = 0;
    for a in &accounts {
        let kind = K::from_i16(a.kind);
        if matches!(
            kind,
            Some(K::DebtorPrincipal | K::DebtorInterest | K::DebtorSurcharge)
        ) {
            debtor += a.balance();
        }
        let Some(party) = &a.party_person_id else {
            continue;
        };
        let pos = creditors
            .entry(party.clone())
            .or_insert_with(|| pb::CreditorPosition {
                creditor_person_id: party.clone(),
                ..Default::default()
            });
        let value = Some(ledger::cents_pb(a.balance()));
        match kind {
            Some(K::CreditorClaim) => pos.claim_outstanding = value,
            Some(K::ServiceAdvanceClaim) => pos.advances_outstanding = value,
            Some(K::Payable) => pos.payable = value,
            Some(K::PaidOut) => pos.paid_out = value,
            _ => {}
        }
    }
    Ok(pb::GetDossierLedgerResponse {
        dossier_number: dossier,
        as_of: Some(wire::date_to_pb(as_of)),
        structured_reference: String::new(),
        accounts: accounts.iter().map(|a| a.to_pb(as_of)).collect(),
        creditors: creditors.into_values().collect(),
        debtor_outstanding: Some(ledger::cents_pb(debtor)),
    })
}

/// Debt items become transfers `debt/<key>/<n>`: principal and interest are owed to the
/// creditor named; the surcharge is SECAL's fee.
#[tracing::instrument(skip_all, fields(items = req.items.len()))]
pub async fn recognize(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RecognizeDebtorDebtRequest,
) -> ServiceResult<pb::RecognizeDebtorDebtResponse> {
    let pool = &api.pool;
    let key = idempotency::validate_key(req.idempotency_key.as_ref(), "idempotency_key")?;
    let dossier = crate::receipts::payments::dossier("dossier_number", &req.dossier_number)
        .map_err(|v| ServiceError::invalid(vec![v]))?
        .to_string();
    if req.items.is_empty() || req.items.len() > 1000 {
        return Err(ServiceError::invalid_field("items", "1 to 1,000 items"));
    }
    let specs = req
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| debt_item(&key, &dossier, &req.basis, i, item))
        .collect::<ServiceResult<Vec<_>>>()?;
    let mut tx = Booking::begin(pool).await?;
    if let Claim::Replay(resp) =
        idempotency::claim(&mut tx, "RecognizeDebtorDebt", &key, &req).await?
    {
        return Ok(resp);
    }
    let created = ledger::create_transfers(&mut tx, &caller.actor().id, &specs).await?;
    tx.touch_dossier(&dossier);
    let resp = pb::RecognizeDebtorDebtResponse {
        transfers: created.iter().map(|t| t.to_pb(None)).collect(),
    };
    idempotency::complete(&mut tx, "RecognizeDebtorDebt", &key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

/// The transfer recognising item `i` of the request (numbered from 1 in its id).
fn debt_item(
    key: &str,
    dossier: &str,
    basis: &str,
    i: usize,
    item: &pb::DebtItem,
) -> ServiceResult<NewTransfer> {
    let f = |n: &str| format!("items[{i}].{n}");
    let cents = cents(&f("amount"), item.amount.as_ref())?;
    let since = wire::date_from_pb(&f("enforceable_since"), item.enforceable_since.as_ref())?;
    let creditor = item.creditor_person_id.trim();
    let comp = pb::DebtComponent::try_from(item.component).unwrap_or_default();
    let needs_creditor = matches!(
        comp,
        pb::DebtComponent::Principal | pb::DebtComponent::Interest
    );
    if needs_creditor && creditor.is_empty() {
        return Err(ServiceError::invalid_field(
            f("creditor_person_id"),
            "required for principal and interest",
        ));
    }
    let for_month = month(&f("month"), item.month.as_ref())?;
    let (debit, credit, code) = match comp {
        pb::DebtComponent::Principal if for_month.is_none() => {
            return Err(ServiceError::invalid_field(
                f("month"),
                "required for principal",
            ));
        }
        pb::DebtComponent::Principal => (
            K::DebtorPrincipal,
            AccountKey::party(K::CreditorClaim, dossier, creditor),
            TransferCode::DebtRecognition,
        ),
        pb::DebtComponent::Interest => (
            K::DebtorInterest,
            AccountKey::party(K::CreditorClaim, dossier, creditor),
            TransferCode::Interest,
        ),
        pb::DebtComponent::Surcharge => (
            K::DebtorSurcharge,
            AccountKey::service(K::FeeIncome),
            TransferCode::Surcharge,
        ),
        pb::DebtComponent::Unspecified => {
            return Err(ServiceError::invalid_field(
                f("component"),
                "principal, interest or surcharge",
            ));
        }
    };
    Ok(NewTransfer {
        for_month,
        reference: basis.to_owned(),
        ..NewTransfer::posted(
            format!("debt/{key}/{}", i + 1),
            AccountKey::dossier(debit, dossier),
            credit,
            cents,
            code,
            since,
        )
    })
}

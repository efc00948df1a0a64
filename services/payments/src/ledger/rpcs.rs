//! The ledger RPCs: create/post/void transfers, balances and histories, debt recognition.
//! Each request is parsed once into its command (every violation answered together).

use chrono::{NaiveDate, Utc};
use secal_domain::Money;
use secal_proto::v1::{self as pb, TransferCode};
use secal_runtime::{
    Caller, FieldViolation, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
    wire,
};
use sqlx::PgPool;

use crate::api::PaymentsApi;
use crate::ledger::booking::Booking;
use crate::ledger::{self, AccountKey, AccountKind as K, NewTransfer, Settle};

/// At most this many transfers (or debt items) in one request.
const MAX_ITEMS: usize = 1000;

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

fn account(field: &str, raw: &str) -> Result<AccountKey, FieldViolation> {
    AccountKey::parse(raw).map_err(|e| FieldViolation::new(field, e))
}

fn month(field: &str, m: Option<&pb::YearMonth>) -> ServiceResult<Option<NaiveDate>> {
    Ok(wire::optional_year_month_from_pb(field, m)?.map(|m| m.first_day()))
}

fn dossier(field: &str, raw: &str) -> Result<String, FieldViolation> {
    crate::receipts::payments::dossier(field, raw).map(|d| d.to_string())
}

/// Item `i` of CreateLedgerTransfers: every violation of the transfer, each field named
/// (`transfers[i].<field>`); every transfer is checked. Its texts go through the one text
/// parser (a NUL in a description was INTERNAL from PostgreSQL).
fn spec(i: usize, s: &pb::LedgerTransferSpec) -> ServiceResult<NewTransfer> {
    let f = |name: &str| format!("transfers[{i}].{name}");
    let mut v = Violations::new();
    let text = |v: &mut Violations, name: &str, raw: &str, limit: wire::TextLimit| {
        v.take(wire::optional_text(&f(name), raw, limit))
            .map(Option::unwrap_or_default)
    };
    let id = text(&mut v, "transfer_id", &s.transfer_id, wire::LINE);
    let code = v.take(wire::required_enum::<TransferCode>(&f("code"), s.code));
    let debit = v.take(account(&f("debit_account_id"), &s.debit_account_id));
    let credit = v.take(account(&f("credit_account_id"), &s.credit_account_id));
    let cents = v.take_all(cents(&f("amount"), s.amount.as_ref()));
    let value_date = v.take_all(wire::date_from_pb(&f("value_date"), s.value_date.as_ref()));
    let corrects = text(
        &mut v,
        "corrects_transfer_id",
        &s.corrects_transfer_id,
        wire::LINE,
    );
    let for_month = v.take_all(month(&f("for_month"), s.for_month.as_ref()));
    let reference = text(&mut v, "reference", &s.reference, wire::LINE);
    let description = text(&mut v, "description", &s.description, wire::NOTE);
    v.finish(|| {
        Some(NewTransfer {
            id: id?,
            debit: debit?,
            credit: credit?,
            cents: cents?,
            code: code?,
            value_date: value_date?,
            pending_timeout_secs: s.pending.then_some(i64::from(s.timeout_seconds)),
            corrects: corrects.map(|c| Some(c).filter(|c| !c.is_empty()))?,
            for_month: for_month?,
            reference: reference?,
            description: description?,
        })
    })
}

/// CreateLedgerTransfers, parsed.
struct CreateTransfersCommand {
    key: String,
    transfers: Vec<NewTransfer>,
}

impl TryFrom<&pb::CreateLedgerTransfersRequest> for CreateTransfersCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::CreateLedgerTransfersRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let mut transfers = Vec::new();
        if req.transfers.is_empty() || req.transfers.len() > MAX_ITEMS {
            v.add("transfers", "1 to 1,000 transfers");
        } else {
            transfers = req
                .transfers
                .iter()
                .enumerate()
                .map(|(i, s)| v.take_all(spec(i, s)))
                .collect();
        }
        v.finish(|| {
            Some(CreateTransfersCommand {
                key: key?,
                transfers: transfers.into_iter().collect::<Option<Vec<_>>>()?,
            })
        })
    }
}

#[tracing::instrument(skip_all, fields(count = req.transfers.len()))]
pub async fn create(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::CreateLedgerTransfersRequest,
) -> ServiceResult<pb::CreateLedgerTransfersResponse> {
    let pool = &api.pool;
    let c = CreateTransfersCommand::try_from(&req)?;
    let mut tx = Booking::begin(pool).await?;
    if let Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, "CreateLedgerTransfers", &c.key, &req).await?
    {
        return Ok(resp);
    }
    let created = ledger::create_transfers(&mut tx, &caller.actor().id, &c.transfers).await?;
    for d in c
        .transfers
        .iter()
        .filter_map(|s| s.debit.dossier.as_ref().or(s.credit.dossier.as_ref()))
    {
        tx.touch_dossier(d);
    }
    let resp = pb::CreateLedgerTransfersResponse {
        transfers: created.iter().map(|t| t.to_pb(None)).collect(),
    };
    idempotency::complete(&mut tx, "CreateLedgerTransfers", &c.key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

/// PostPendingTransfer or VoidPendingTransfer, parsed.
struct SettleCommand {
    pending_id: String,
    settlement_id: String,
    how: Settle,
    note: String,
}

impl SettleCommand {
    /// The parts both requests share; `how` is `None` when it did not parse.
    fn parse(
        mut v: Violations,
        key: Option<&pb::IdempotencyKey>,
        pending_id: &str,
        settlement_id: &str,
        how: Option<Settle>,
        note: &str,
    ) -> ServiceResult<Self> {
        v.idempotency_key(key);
        // The one text parser: ids are one line (as CreateLedgerTransfers' ids), the note up
        // to 2,000 characters; a NUL is refused here, never sent to the database.
        let pending = v.take(wire::required_text(
            "pending_transfer_id",
            pending_id,
            wire::LINE,
        ));
        let settlement = v.take(wire::required_text(
            "transfer_id",
            settlement_id,
            wire::LINE,
        ));
        let note = v.take(wire::optional_text("reason", note, wire::NOTE));
        v.finish(|| {
            Some(SettleCommand {
                pending_id: pending?,
                settlement_id: settlement?,
                how: how?,
                note: note?.unwrap_or_default(),
            })
        })
    }
}

impl TryFrom<&pb::PostPendingTransferRequest> for SettleCommand {
    type Error = ServiceError;

    fn try_from(r: &pb::PostPendingTransferRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let amount = v.take_all(settle_amount(r.amount.as_ref()));
        SettleCommand::parse(
            v,
            r.idempotency_key.as_ref(),
            &r.pending_transfer_id,
            &r.transfer_id,
            amount.map(Settle::Post),
            "",
        )
    }
}

impl TryFrom<&pb::VoidPendingTransferRequest> for SettleCommand {
    type Error = ServiceError;

    fn try_from(r: &pb::VoidPendingTransferRequest) -> ServiceResult<Self> {
        SettleCommand::parse(
            Violations::new(),
            r.idempotency_key.as_ref(),
            &r.pending_transfer_id,
            &r.transfer_id,
            Some(Settle::Void),
            &r.reason,
        )
    }
}

#[tracing::instrument(skip_all)]
async fn settle(
    pool: &PgPool,
    caller: &Caller,
    c: SettleCommand,
) -> ServiceResult<pb::LedgerTransfer> {
    let mut tx = Booking::begin(pool).await?;
    let t = ledger::settle_pending(
        &mut tx,
        &caller.actor().id,
        &c.pending_id,
        &c.settlement_id,
        c.how,
        &c.note,
    )
    .await?;
    if let Some(d) = &t.dossier_number {
        tx.touch_dossier(d);
    }
    tx.commit().await?;
    Ok(t.to_pb(None))
}

/// The amount to post: none (or an empty amount) posts the whole pending amount.
fn settle_amount(m: Option<&pb::Money>) -> ServiceResult<Option<i64>> {
    match wire::optional_money_from_pb("amount", m)? {
        None => Ok(None),
        Some(_) => cents("amount", m).map(Some),
    }
}

/// PostPendingTransfer: settles a pending transfer, for its amount or less.
pub async fn post_pending(
    api: &PaymentsApi,
    caller: &Caller,
    r: pb::PostPendingTransferRequest,
) -> ServiceResult<pb::PostPendingTransferResponse> {
    let c = SettleCommand::try_from(&r)?;
    let t = settle(&api.pool, caller, c).await?;
    Ok(pb::PostPendingTransferResponse { transfer: Some(t) })
}

/// VoidPendingTransfer: releases a pending transfer, saying why.
pub async fn void_pending(
    api: &PaymentsApi,
    caller: &Caller,
    r: pb::VoidPendingTransferRequest,
) -> ServiceResult<pb::VoidPendingTransferResponse> {
    let c = SettleCommand::try_from(&r)?;
    let t = settle(&api.pool, caller, c).await?;
    Ok(pb::VoidPendingTransferResponse { transfer: Some(t) })
}

/// `as_of` is optional by the contract: unset reads as of today.
fn as_of(d: Option<&pb::Date>) -> ServiceResult<NaiveDate> {
    Ok(wire::optional_date_from_pb("as_of", d)?.unwrap_or_else(|| Utc::now().date_naive()))
}

/// GetLedgerAccount, parsed.
struct GetAccountCommand {
    account: AccountKey,
    as_of: NaiveDate,
}

impl TryFrom<&pb::GetLedgerAccountRequest> for GetAccountCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetLedgerAccountRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let account = v.take(account("account_id", &req.account_id));
        let as_of = v.take_all(as_of(req.as_of.as_ref()));
        v.finish(|| {
            Some(GetAccountCommand {
                account: account?,
                as_of: as_of?,
            })
        })
    }
}

pub async fn get_account(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetLedgerAccountRequest,
) -> ServiceResult<pb::GetLedgerAccountResponse> {
    let c = GetAccountCommand::try_from(&req)?;
    let mut conn = api.pool.acquire().await?;
    let b = ledger::account_balance(&mut conn, &c.account.code(), c.as_of).await?;
    Ok(pb::GetLedgerAccountResponse {
        account: Some(b.to_pb(c.as_of)),
    })
}

/// Whose transfers ListLedgerTransfers lists.
enum History {
    Account(AccountKey),
    Dossier(String),
}

/// ListLedgerTransfers, parsed.
struct ListTransfersCommand {
    page: wire::Page,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    of: History,
}

impl TryFrom<&pb::ListLedgerTransfersRequest> for ListTransfersCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ListLedgerTransfersRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        let range = req.value_dates.as_ref();
        let from = v.take_all(wire::optional_date_from_pb(
            "value_dates.start_date",
            range.and_then(|r| r.start_date.as_ref()),
        ));
        let to = v.take_all(wire::optional_date_from_pb(
            "value_dates.end_date",
            range.and_then(|r| r.end_date.as_ref()),
        ));
        if from.flatten().zip(to.flatten()).is_some_and(|(f, t)| f > t) {
            v.add("value_dates.end_date", "must not be before the start date");
        }
        let of = match (req.account_id.trim(), req.dossier_number.trim()) {
            ("", "") => {
                v.add("account_id", "set account_id or dossier_number");
                None
            }
            (a, "") => v.take(account("account_id", a)).map(History::Account),
            ("", d) => v.take(dossier("dossier_number", d)).map(History::Dossier),
            _ => {
                v.add(
                    "dossier_number",
                    "set account_id or dossier_number, not both",
                );
                None
            }
        };
        v.finish(|| {
            Some(ListTransfersCommand {
                page: page?,
                from: from?,
                to: to?,
                of: of?,
            })
        })
    }
}

/// An account's history (with running balances) or every transfer of a dossier. Both are
/// ordered by value date, which is not the insertion order, so the page token is the
/// position reached (an offset), not a row id.
pub async fn list_transfers(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListLedgerTransfersRequest,
) -> ServiceResult<pb::ListLedgerTransfersResponse> {
    let c = ListTransfersCommand::try_from(&req)?;
    let (page, from, to) = (&c.page, c.from, c.to);
    // No page token (the first page) starts at the first position.
    let offset = page.after.unwrap_or(0);
    let mut conn = api.pool.acquire().await?;
    let transfers: Vec<pb::LedgerTransfer> = match &c.of {
        History::Account(key) => {
            ledger::account_history(&mut conn, &key.code(), from, to, offset, page.size)
                .await?
                .iter()
                .map(|(t, run)| t.to_pb(Some(*run)))
                .collect()
        }
        History::Dossier(dossier) => {
            ledger::dossier_history(&mut conn, dossier, from, to, offset, page.size)
                .await?
                .iter()
                .map(|t| t.to_pb(None))
                .collect()
        }
    };
    // A page holds at most MAX_PAGE_SIZE transfers: the conversion cannot saturate.
    let reached = offset.saturating_add(i64::try_from(transfers.len()).unwrap_or(i64::MAX));
    Ok(pb::ListLedgerTransfersResponse {
        page: Some(wire::page_to_pb(page, transfers.len(), Some(reached))),
        transfers,
    })
}

/// GetDossierLedger, parsed.
struct DossierLedgerCommand {
    dossier: String,
    as_of: NaiveDate,
}

impl TryFrom<&pb::GetDossierLedgerRequest> for DossierLedgerCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetDossierLedgerRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let dossier = v.take(dossier("dossier_number", &req.dossier_number));
        let as_of = v.take_all(as_of(req.as_of.as_ref()));
        v.finish(|| {
            Some(DossierLedgerCommand {
                dossier: dossier?,
                as_of: as_of?,
            })
        })
    }
}

pub async fn dossier_ledger(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetDossierLedgerRequest,
) -> ServiceResult<pb::GetDossierLedgerResponse> {
    let DossierLedgerCommand { dossier, as_of } = DossierLedgerCommand::try_from(&req)?;
    // The command checked the number, so it reads again; the debtor's reference derives from it.
    let reference = dossier
        .parse::<secal_domain::DossierNumber>()
        .map_err(ServiceError::internal)?
        .payment_reference();
    let mut conn = api.pool.acquire().await?;
    let accounts = ledger::dossier_accounts(&mut conn, &dossier, as_of).await?;
    // A dossier payments never heard of (no state from intake's events, no ledger account)
    // is NOT_FOUND: answering 0.00 would tell a mistyped number owes and is owed nothing.
    if accounts.is_empty() {
        let known: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM dossier_states WHERE dossier_number = $1)",
        )
        .bind(&dossier)
        .fetch_one(&mut *conn)
        .await?;
        if !known {
            return Err(ServiceError::not_found(format!("no dossier {dossier}")));
        }
    }
    let mut creditors: std::collections::BTreeMap<String, pb::CreditorPosition> =
        Default::default();
    let mut debtor = 0;
    for a in &accounts {
        let kind = K::from_i16(a.kind).ok_or_else(|| {
            ServiceError::internal(std::io::Error::other(format!(
                "ledger account {} has the unknown kind {}",
                a.code, a.kind
            )))
        })?;
        if matches!(
            kind,
            K::DebtorPrincipal | K::DebtorInterest | K::DebtorSurcharge
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
            K::CreditorClaim => pos.claim_outstanding = value,
            K::ServiceAdvanceClaim => pos.advances_outstanding = value,
            K::Payable => pos.payable = value,
            K::PaidOut => pos.paid_out = value,
            _ => {}
        }
    }
    Ok(pb::GetDossierLedgerResponse {
        dossier_number: dossier,
        as_of: Some(wire::date_to_pb(as_of)),
        structured_reference: reference.to_string(),
        accounts: accounts.iter().map(|a| a.to_pb(as_of)).collect(),
        creditors: creditors.into_values().collect(),
        debtor_outstanding: Some(ledger::cents_pb(debtor)),
    })
}

/// One debt item of RecognizeDebtorDebt, checked.
struct DebtItem {
    cents: i64,
    since: NaiveDate,
    /// Empty for a surcharge (SECAL's fee).
    creditor: String,
    component: Component,
    for_month: Option<NaiveDate>,
}

/// What a debt item is (`secal.v1.DebtComponent` but UNSPECIFIED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Component {
    Principal,
    Interest,
    Surcharge,
}

/// RecognizeDebtorDebt, parsed.
struct RecognizeCommand {
    key: String,
    dossier: String,
    basis: String,
    items: Vec<DebtItem>,
}

impl TryFrom<&pb::RecognizeDebtorDebtRequest> for RecognizeCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::RecognizeDebtorDebtRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let dossier = v.take(dossier("dossier_number", &req.dossier_number));
        let mut items = Vec::new();
        if req.items.is_empty() || req.items.len() > MAX_ITEMS {
            v.add("items", "1 to 1,000 items");
        } else {
            items = req
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| debt_item(&mut v, i, item))
                .collect();
        }
        v.finish(|| {
            Some(RecognizeCommand {
                key: key?,
                dossier: dossier?,
                basis: req.basis.clone(),
                items: items.into_iter().collect::<Option<Vec<_>>>()?,
            })
        })
    }
}

/// Item `i` of the request, its violations recorded in `v`.
fn debt_item(v: &mut Violations, i: usize, item: &pb::DebtItem) -> Option<DebtItem> {
    let f = |n: &str| format!("items[{i}].{n}");
    let cents = v.take_all(cents(&f("amount"), item.amount.as_ref()));
    let since = v.take_all(wire::date_from_pb(
        &f("enforceable_since"),
        item.enforceable_since.as_ref(),
    ));
    let creditor = item.creditor_person_id.trim();
    let component = match pb::DebtComponent::try_from(item.component) {
        Ok(pb::DebtComponent::Principal) => Some(Component::Principal),
        Ok(pb::DebtComponent::Interest) => Some(Component::Interest),
        Ok(pb::DebtComponent::Surcharge) => Some(Component::Surcharge),
        Ok(pb::DebtComponent::Unspecified) | Err(_) => None,
    };
    let needs_creditor = matches!(component, Some(Component::Principal | Component::Interest));
    if needs_creditor && creditor.is_empty() {
        v.add(
            f("creditor_person_id"),
            "required for principal and interest",
        );
    }
    let for_month = v.take_all(month(&f("month"), item.month.as_ref()));
    if component == Some(Component::Principal) && for_month == Some(None) {
        v.add(f("month"), "required for principal");
    }
    if component.is_none() {
        v.add(f("component"), "principal, interest or surcharge");
    }
    Some(DebtItem {
        cents: cents?,
        since: since?,
        creditor: creditor.to_owned(),
        component: component?,
        for_month: for_month?,
    })
}

impl RecognizeCommand {
    /// The transfer recognising item `i` (numbered from 1 in its id): principal and interest
    /// are owed to the creditor named; the surcharge is SECAL's fee.
    fn transfer(&self, i: usize, item: &DebtItem) -> NewTransfer {
        let dossier = &self.dossier;
        let (debit, credit, code) = match item.component {
            Component::Principal => (
                K::DebtorPrincipal,
                AccountKey::party(K::CreditorClaim, dossier, &item.creditor),
                TransferCode::DebtRecognition,
            ),
            Component::Interest => (
                K::DebtorInterest,
                AccountKey::party(K::CreditorClaim, dossier, &item.creditor),
                TransferCode::Interest,
            ),
            Component::Surcharge => (
                K::DebtorSurcharge,
                AccountKey::service(K::FeeIncome),
                TransferCode::Surcharge,
            ),
        };
        NewTransfer {
            for_month: item.for_month,
            reference: self.basis.clone(),
            ..NewTransfer::posted(
                format!("debt/{}/{}", self.key, i + 1),
                AccountKey::dossier(debit, dossier),
                credit,
                item.cents,
                code,
                item.since,
            )
        }
    }
}

/// Debt items become transfers `debt/<key>/<n>`.
#[tracing::instrument(skip_all, fields(items = req.items.len()))]
pub async fn recognize(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RecognizeDebtorDebtRequest,
) -> ServiceResult<pb::RecognizeDebtorDebtResponse> {
    let c = RecognizeCommand::try_from(&req)?;
    let specs: Vec<NewTransfer> = c
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| c.transfer(i, item))
        .collect();
    let mut tx = Booking::begin(&api.pool).await?;
    if let Claim::Replay(resp) =
        idempotency::claim(&mut tx, caller, "RecognizeDebtorDebt", &c.key, &req).await?
    {
        return Ok(resp);
    }
    // Under the dossier's lock, as a claim-account booking is: none can start in between.
    ledger::booking::lock_dossier(&mut tx, &c.dossier).await?;
    crate::claims::book::refuse_if_the_account_keeps_the_debt(&mut tx, &c.dossier).await?;
    let created = ledger::create_transfers(&mut tx, &caller.actor().id, &specs).await?;
    tx.touch_dossier(&c.dossier);
    let resp = pb::RecognizeDebtorDebtResponse {
        transfers: created.iter().map(|t| t.to_pb(None)).collect(),
    };
    idempotency::complete(&mut tx, "RecognizeDebtorDebt", &c.key, &resp).await?;
    tx.commit().await?;
    Ok(resp)
}

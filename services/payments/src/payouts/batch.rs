//! A pain.001 batch: one pending ledger transfer payable -> paid-out per payable account with
//! a positive available balance and a usable payout account. The database balance rule
//! refuses any payout beyond what is payable.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use secal_iso20022::{CreditTransfer, CreditTransferInitiation, Debtor, Remittance, write_pain001};
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tracing::instrument;

use super::accounts::{self, ACTIVE};
use super::new_account::holder_allowed;
use super::rows::payouts_of;
use super::{audit, debtor_setting, new_id, own_iban, run_once, store};
use crate::api::PaymentsApi;
use crate::db_enum::sql_enum;
use crate::ledger::{self, AccountKey, AccountKind, NewTransfer};

/// A payout stays pending this long at most: the bank answers within days.
pub(super) const PENDING_TIMEOUT_SECS: i64 = 90 * 24 * 3600;

pub(super) fn debtor() -> ServiceResult<Debtor> {
    let name = debtor_setting("SECAL_PAYOUT_DEBTOR_NAME", "SECAL - SPF Finances");
    let bic = debtor_setting("SECAL_PAYOUT_DEBTOR_BIC", "BPOTBEB1");
    let bad = |what: &str| ServiceError::internal(std::io::Error::other(format!("bad {what}")));
    Ok(Debtor {
        name,
        iban: own_iban()?,
        bic: bic.parse().map_err(|_| bad("SECAL_PAYOUT_DEBTOR_BIC"))?,
    })
}

#[derive(sqlx::FromRow)]
struct Payable {
    code: String,
    dossier_number: String,
    party_person_id: String,
    available: i64,
}

/// CreatePayoutBatch, parsed.
struct CreateCommand {
    key: String,
    exec: NaiveDate,
    /// At most this many payouts; `None`: every payable (0 on the wire).
    limit: Option<usize>,
}

impl TryFrom<&pb::CreatePayoutBatchRequest> for CreateCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::CreatePayoutBatchRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let exec = v
            .take_all(wire::date_from_pb(
                "requested_execution_date",
                req.requested_execution_date.as_ref(),
            ))
            .and_then(|exec| {
                // A bank refuses an execution date in the past; a year ahead is the usual
                // limit.
                let today = Utc::now().date_naive();
                if exec < today {
                    v.add("requested_execution_date", "in the past");
                    return None;
                }
                if today
                    .checked_add_days(Days::new(365))
                    .is_some_and(|latest| exec > latest)
                {
                    v.add("requested_execution_date", "more than a year ahead");
                    return None;
                }
                Some(exec)
            });
        let limit = match usize::try_from(req.max_payouts) {
            Ok(0) => Some(None),
            Ok(n) => Some(Some(n)),
            Err(_) => {
                v.add("max_payouts", "must not be negative");
                None
            }
        };
        v.finish(|| {
            Some(CreateCommand {
                key: key?,
                exec: exec?,
                limit: limit?,
            })
        })
    }
}

#[instrument(skip_all, fields(method = "CreatePayoutBatch"))]
pub async fn create_batch(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::CreatePayoutBatchRequest,
) -> ServiceResult<pb::CreatePayoutBatchResponse> {
    let pool = &api.pool;
    let cmd = CreateCommand::try_from(&req)?;
    let debtor = debtor()?;
    let actor = caller.actor().id.clone();
    let mut tx = pool.begin().await?;
    let resp = run_once(
        &mut tx,
        caller,
        "CreatePayoutBatch",
        &cmd.key,
        &req,
        async |conn| build(conn, &actor, &req.dossier_numbers, &cmd, debtor).await,
    )
    .await?;
    tx.commit().await?;
    Ok(resp)
}

async fn build(
    conn: &mut PgConnection,
    actor: &str,
    dossiers: &[String],
    cmd: &CreateCommand,
    debtor: Debtor,
) -> ServiceResult<pb::CreatePayoutBatchResponse> {
    let exec = cmd.exec;
    // One batch at a time: a concurrent one would reserve the same payable amounts and fail
    // on the balance rule as a whole.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('payments.payout_batch'))")
        .execute(&mut *conn)
        .await?;
    ledger::expire_due(conn).await?;
    let payables = payables(conn, dossiers).await?;
    let batch_id = new_id("pb");
    let mut staging = Staging::default();
    let mut holder_checked: HashMap<String, bool> = HashMap::new();
    for p in payables {
        if cmd.limit.is_some_and(|limit| staging.staged.len() >= limit) {
            break;
        }
        match payable_account(conn, &p, &mut holder_checked).await? {
            Ok(acct) => staging.add(&p, &acct, exec)?,
            Err(reason) => staging.skip(&p, reason),
        }
    }
    let Staging {
        staged,
        transfers,
        skipped,
        specs,
    } = staging;
    if staged.is_empty() {
        return Ok(pb::CreatePayoutBatchResponse {
            skipped,
            ..Default::default()
        });
    }
    let message_id = format!("SECAL-{}", &batch_id[2..26]);
    let doc = write_pain001(&CreditTransferInitiation {
        message_id: message_id.clone(),
        created_at: Utc::now(),
        debtor,
        requested_execution_date: exec,
        batch_booking: false,
        payments: specs,
    })
    .map_err(|e| ServiceError::invalid_field("payouts", e.to_string()))?;
    ledger::create_transfers(conn, actor, &transfers).await?;
    let batch = NewBatch {
        id: &batch_id,
        message_id: &message_id,
        exec,
        xml: &doc.xml,
    };
    insert_batch(conn, actor, &batch, &staged).await?;
    store::insert_payouts(conn, actor, &batch_id, &staged).await?;
    tracing::info!(payouts = staged.len(), "payout batch created");
    Ok(pb::CreatePayoutBatchResponse {
        batch: Some(batch_pb(conn, &batch_id).await?.0),
        pain001: doc.xml.into_bytes(),
        payouts: payouts_of(conn, &batch_id).await?,
        skipped,
    })
}

/// The payable accounts with money available (of the dossiers asked for, else all).
async fn payables(conn: &mut PgConnection, dossiers: &[String]) -> ServiceResult<Vec<Payable>> {
    Ok(sqlx::query_as(
        "SELECT code, dossier_number, party_person_id, \
                credits_posted - debits_posted - debits_pending AS available \
         FROM ledger_accounts WHERE kind = $1 \
           AND (cardinality($2::text[]) = 0 OR dossier_number = ANY($2)) \
           AND credits_posted - debits_posted - debits_pending > 0 ORDER BY code",
    )
    .bind(AccountKind::Payable as i16)
    .bind(dossiers)
    .fetch_all(&mut *conn)
    .await?)
}

/// The account a payable may be paid to now, or why it is skipped this time.
async fn payable_account(
    conn: &mut PgConnection,
    p: &Payable,
    holder_checked: &mut HashMap<String, bool>,
) -> ServiceResult<Result<accounts::AccountRow, pb::PayoutSkipReason>> {
    // The literal state lets the planner use the partial index of pending payouts.
    let pending: bool = sqlx::query_scalar(concat!(
        "SELECT EXISTS (SELECT 1 FROM payouts WHERE dossier_number = $1 AND creditor = $2 \
         AND state = ",
        sql_enum!(PayoutState::Pending),
        ")"
    ))
    .bind(&p.dossier_number)
    .bind(&p.party_person_id)
    .fetch_one(&mut *conn)
    .await?;
    if pending {
        return Ok(Err(pb::PayoutSkipReason::PayoutPending));
    }
    let Some(acct) = accounts::current(conn, &p.dossier_number).await? else {
        return Ok(Err(pb::PayoutSkipReason::NoConfirmedAccount));
    };
    if acct.status != ACTIVE {
        return Ok(Err(pb::PayoutSkipReason::AccountBlocked));
    }
    // One look at the dossier's snapshot per account, not per creditor paid to it.
    let allowed = match holder_checked.get(&acct.id) {
        Some(allowed) => *allowed,
        None => {
            let allowed = holder_allowed(conn, &acct).await?;
            holder_checked.insert(acct.id.clone(), allowed);
            allowed
        }
    };
    if !allowed {
        return Ok(Err(pb::PayoutSkipReason::HolderNotAllowed));
    }
    Ok(Ok(acct))
}

/// What the batch will hold: its payouts, their pending transfers and credit transfers, and
/// the payables skipped.
#[derive(Default)]
struct Staging {
    staged: Vec<Staged>,
    transfers: Vec<NewTransfer>,
    skipped: Vec<pb::SkippedPayable>,
    specs: Vec<CreditTransfer>,
}

impl Staging {
    fn skip(&mut self, p: &Payable, reason: pb::PayoutSkipReason) {
        self.skipped.push(pb::SkippedPayable {
            dossier_number: p.dossier_number.clone(),
            creditor_person_id: p.party_person_id.clone(),
            amount: Some(ledger::cents_pb(p.available)),
            reason: reason as i32,
        });
    }

    fn add(
        &mut self,
        p: &Payable,
        acct: &accounts::AccountRow,
        exec: NaiveDate,
    ) -> ServiceResult<()> {
        // Every payout to an account nothing was confirmed to yet is flagged for a check.
        let first = !acct.has_received_payout;
        let s = Staged {
            payout_id: new_id("po"),
            e2e: new_id("E"),
            dossier: p.dossier_number.clone(),
            creditor: p.party_person_id.clone(),
            account_id: acct.id.clone(),
            cents: p.available,
            remittance: format!("SECAL {}", p.dossier_number),
            first,
        };
        let debit = AccountKey::parse(&p.code).map_err(|e| internal(&e))?;
        self.transfers.push(NewTransfer {
            pending_timeout_secs: Some(PENDING_TIMEOUT_SECS),
            reference: s.e2e.clone(),
            description: "payout".into(),
            ..NewTransfer::posted(
                s.pending_id(),
                debit,
                AccountKey::party(AccountKind::PaidOut, &s.dossier, &s.creditor),
                s.cents,
                pb::TransferCode::Payout,
                // The money leaves on the execution date the file asks the bank for.
                exec,
            )
        });
        self.specs.push(CreditTransfer {
            end_to_end_id: s.e2e.clone(),
            amount: Decimal::new(s.cents, 2),
            creditor_name: acct.holder_name.clone(),
            creditor_iban: acct.iban.parse().map_err(|_| internal("stored IBAN"))?,
            creditor_bic: match acct.bic.as_str() {
                // The BIC is optional by the contract (the IBAN is enough in SEPA).
                "" => None,
                bic => Some(bic.parse().map_err(|_| internal("stored BIC"))?),
            },
            remittance: Some(Remittance::Unstructured(s.remittance.clone())),
        });
        self.staged.push(s);
        Ok(())
    }
}

/// The batch's identity and its pain.001 file.
pub(super) struct NewBatch<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    pub exec: NaiveDate,
    pub xml: &'a str,
}

pub(super) async fn insert_batch(
    conn: &mut PgConnection,
    actor: &str,
    batch: &NewBatch<'_>,
    staged: &[Staged],
) -> ServiceResult<()> {
    let total: i64 = staged.iter().map(|s| s.cents).sum();
    let firsts = staged.iter().filter(|s| s.first).count();
    sqlx::query(
        "INSERT INTO payout_batches (id, message_id, requested_execution_date, payout_count, \
         control_sum_cents, first_payout_count, file_name, file_sha256, xml, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(batch.id)
    .bind(batch.message_id)
    .bind(batch.exec)
    .bind(i32::try_from(staged.len()).unwrap_or(i32::MAX))
    .bind(total)
    .bind(i32::try_from(firsts).unwrap_or(i32::MAX))
    .bind(format!("{}.xml", batch.message_id))
    .bind(hex::encode(Sha256::digest(batch.xml.as_bytes())))
    .bind(batch.xml)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A payout of the batch, before it is stored.
pub(super) struct Staged {
    pub payout_id: String,
    pub e2e: String,
    pub dossier: String,
    pub creditor: String,
    pub account_id: String,
    pub cents: i64,
    pub remittance: String,
    pub first: bool,
}

impl Staged {
    pub(super) fn pending_id(&self) -> String {
        format!("payout/{}", self.payout_id)
    }
}

pub(super) fn internal(what: &str) -> ServiceError {
    ServiceError::internal(std::io::Error::other(what.to_owned()))
}

/// The batch and its file; its state follows from its payouts' states.
pub(super) async fn batch_pb(
    conn: &mut PgConnection,
    id: &str,
) -> ServiceResult<(pb::PayoutBatch, String)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        message_id: String,
        requested_execution_date: NaiveDate,
        payout_count: i32,
        control_sum_cents: i64,
        first_payout_count: i32,
        file_name: String,
        file_sha256: String,
        xml: String,
        created_by: String,
        created_at: chrono::DateTime<Utc>,
        pending: i64,
    }
    let r: Row = sqlx::query_as(concat!(
        "SELECT b.message_id, b.requested_execution_date, b.payout_count, b.control_sum_cents, \
                b.first_payout_count, b.file_name, b.file_sha256, b.xml, b.created_by, \
                b.created_at, \
                (SELECT count(*) FROM payouts p WHERE p.batch_id = b.id AND p.state = ",
        sql_enum!(PayoutState::Pending),
        ") AS pending \
         FROM payout_batches b WHERE b.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ServiceError::not_found(format!("no payout batch {id}")))?;
    let state = match r.pending {
        0 => pb::PayoutBatchState::Settled,
        n if n == i64::from(r.payout_count) => pb::PayoutBatchState::Pending,
        _ => pb::PayoutBatchState::PartlySettled,
    };
    Ok((
        pb::PayoutBatch {
            batch_id: id.to_owned(),
            message_id: r.message_id,
            requested_execution_date: Some(wire::date_to_pb(r.requested_execution_date)),
            payout_count: r.payout_count,
            control_sum: Some(ledger::cents_pb(r.control_sum_cents)),
            first_payout_count: r.first_payout_count,
            state: state as i32,
            file_name: r.file_name,
            file_sha256: r.file_sha256,
            created: Some(audit(&r.created_by, r.created_at)),
        },
        r.xml,
    ))
}

/// GetPayoutBatch, parsed.
struct GetCommand {
    batch_id: String,
    include_file: bool,
}

impl TryFrom<&pb::GetPayoutBatchRequest> for GetCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::GetPayoutBatchRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let batch_id = v.take(wire::required_text("batch_id", &req.batch_id, wire::ID));
        v.finish(|| {
            Some(GetCommand {
                batch_id: batch_id?,
                include_file: req.include_file,
            })
        })
    }
}

#[instrument(skip_all, fields(method = "GetPayoutBatch"))]
pub async fn get_batch(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetPayoutBatchRequest,
) -> ServiceResult<pb::GetPayoutBatchResponse> {
    let pool = &api.pool;
    let cmd = GetCommand::try_from(&req)?;
    let mut conn = pool.acquire().await?;
    let (batch, xml) = batch_pb(&mut conn, &cmd.batch_id).await?;
    Ok(pb::GetPayoutBatchResponse {
        batch: Some(batch),
        pain001: if cmd.include_file {
            xml.into_bytes()
        } else {
            Vec::new()
        },
    })
}

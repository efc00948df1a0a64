//! A statement line returned to its sender: its money leaves suspense by a payout to the
//! account the bank line came from, in a pain.001 file of its own. The pending transfer
//! suspense -> bank is posted when the bank confirms the payout (ConfirmPayouts) and goes
//! back to suspense if the bank returns it (RecordPayoutReturn, or a camt.053 return).

use chrono::Utc;
use rust_decimal::Decimal;
use secal_domain::Iban;
use secal_iso20022::{CreditTransfer, CreditTransferInitiation, Remittance, write_pain001};
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgConnection;
use uuid::Uuid;

use super::batch::{NewBatch, PENDING_TIMEOUT_SECS, Staged, debtor, insert_batch};
use super::rows::{PAYOUT_SELECT, PayoutRow};
use super::{new_id, own_iban, store};
use crate::ledger::{self, AccountKey, AccountKind, NewTransfer};

/// The bank line whose money goes back, as the statement reported it.
pub(crate) struct Sender<'a> {
    pub line_id: Uuid,
    pub bank_reference: &'a str,
    pub name: &'a str,
    /// The counterparty account of the line; empty when the bank named none.
    pub iban: &'a str,
    pub cents: i64,
}

/// Longest payee name written: the pain.001 limit is 70 characters after transliteration,
/// which can double a character (ß -> ss).
const NAME_CHARS: usize = 35;

/// Books the refund of the line, in the caller's transaction: a pending transfer suspense ->
/// bank and a payout to the sender's account in a pain.001 file of one. A line is refunded
/// once: the payout is unique per line and so is its transfer.
#[tracing::instrument(skip_all)]
pub(crate) async fn pay_back(
    conn: &mut PgConnection,
    actor: &str,
    sender: &Sender<'_>,
) -> ServiceResult<pb::Payout> {
    let iban = sender_account(sender.iban)?;
    let name = match sender.name.trim() {
        // The bank may name no one; the account is what the money goes to.
        "" => iban.electronic().to_owned(),
        n => n.chars().take(NAME_CHARS).collect(),
    };
    let exec = Utc::now().date_naive();
    let batch_id = new_id("pb");
    let s = Staged {
        payout_id: new_id("po"),
        e2e: new_id("E"),
        dossier: String::new(),
        creditor: String::new(),
        account_id: String::new(),
        cents: sender.cents,
        remittance: format!("SECAL refund {}", sender.bank_reference),
        first: false,
    };
    let message_id = format!("SECAL-{}", &batch_id[2..26]);
    let xml = refund_file(&s, &message_id, &name, iban, exec)?;
    let transfer = NewTransfer {
        pending_timeout_secs: Some(PENDING_TIMEOUT_SECS),
        reference: s.e2e.clone(),
        description: format!("returned to sender (bank line {})", sender.bank_reference),
        ..NewTransfer::posted(
            s.pending_id(),
            AccountKey::service(AccountKind::Suspense),
            AccountKey::service(AccountKind::Bank),
            s.cents,
            pb::TransferCode::Payout,
            exec,
        )
    };
    ledger::create_transfers(conn, actor, std::slice::from_ref(&transfer)).await?;
    let batch = NewBatch {
        id: &batch_id,
        message_id: &message_id,
        exec,
        xml: &xml,
    };
    insert_batch(conn, actor, &batch, std::slice::from_ref(&s)).await?;
    let payee = store::Payee {
        line: sender.line_id,
        iban: iban.electronic(),
        name: &name,
    };
    store::insert_refund(conn, actor, &batch_id, &s, &payee).await?;
    let sql = format!("{PAYOUT_SELECT} WHERE p.id = $1");
    let row: PayoutRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&s.payout_id)
        .fetch_one(&mut *conn)
        .await?;
    tracing::info!("refund to sender booked");
    Ok(row.to_pb())
}

/// The pain.001 file of the one refund: a bank refuses a name or text it cannot carry, so
/// such a line cannot be paid back by transfer.
fn refund_file(
    s: &Staged,
    message_id: &str,
    name: &str,
    iban: Iban,
    exec: chrono::NaiveDate,
) -> ServiceResult<String> {
    let doc = write_pain001(&CreditTransferInitiation {
        message_id: message_id.to_owned(),
        created_at: Utc::now(),
        debtor: debtor()?,
        requested_execution_date: exec,
        batch_booking: false,
        payments: vec![CreditTransfer {
            end_to_end_id: s.e2e.clone(),
            amount: Decimal::new(s.cents, 2),
            creditor_name: name.to_owned(),
            creditor_iban: iban,
            creditor_bic: None,
            remittance: Some(Remittance::Unstructured(s.remittance.clone())),
        }],
    })
    .map_err(|e| {
        ServiceError::failed_precondition(
            "REFUND_NOT_PAYABLE",
            format!("the sender cannot be paid back by a credit transfer: {e}"),
        )
    })?;
    Ok(doc.xml)
}

/// The account the money came from: a line without one, or from the service's own account,
/// cannot be paid back by transfer.
fn sender_account(iban: &str) -> ServiceResult<Iban> {
    let iban: Iban = iban.parse().map_err(|_| {
        ServiceError::failed_precondition(
            "NO_SENDER_ACCOUNT",
            "the statement line names no account the money could go back to",
        )
    })?;
    if iban == own_iban()? {
        return Err(ServiceError::failed_precondition(
            "NO_SENDER_ACCOUNT",
            "the statement line came from the service's own account",
        ));
    }
    Ok(iban)
}

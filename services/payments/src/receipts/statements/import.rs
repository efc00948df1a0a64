//! ImportBankStatement: parse, store every booked line once, book matched credits as debtor
//! payments, returned payouts back to payable (the RecordPayoutReturn path), and unmatched
//! credits to suspense.

use chrono::Utc;
use secal_domain::DossierNumber;
use secal_iso20022::CreditorReference;
use secal_proto::v1 as pb;
use secal_runtime::{
    Caller, ServiceError, ServiceResult, Violations,
    idempotency::{self, Claim},
};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tonic_prost::prost::Message;

use super::store::{self, StoredLine};
use super::{LineKind, ParsedLine, lines_of, stable_id};
use crate::api::PaymentsApi;
use crate::casework::{self, By};
use crate::ledger::booking::Booking;
use crate::ledger::{self, AccountKey, AccountKind as K, NewTransfer};
use crate::payouts::{PayoutBy, PayoutReturn, own_iban, return_payout};
use crate::receipts::payments::{NewPayment, PaymentDetails, book_payment};

const METHOD: &str = "ImportBankStatement";

fn parse(
    req: &pb::ImportBankStatementRequest,
) -> ServiceResult<(String, secal_iso20022::camt053::Statement)> {
    let doc = secal_iso20022::parse_camt053_bytes(&req.camt053).map_err(|e| {
        let field = match e.path() {
            Some(path) => format!("camt053: {path}"),
            None => "camt053".to_owned(),
        };
        ServiceError::invalid_field(field, e.to_string())
    })?;
    let mut statements = doc.statements.into_iter();
    match (statements.next(), statements.next()) {
        (Some(s), None) => Ok((doc.message_id, s)),
        _ => Err(ServiceError::invalid_field(
            "camt053: BkToCstmrStmt/Stmt",
            "exactly one statement per file is accepted",
        )),
    }
}

/// Why a credit does not lead to a dossier, or the dossier it leads to.
async fn match_credit(
    conn: &mut PgConnection,
    line: &ParsedLine,
) -> ServiceResult<Result<String, String>> {
    if line.several_references {
        return Ok(Err("several different structured references".to_owned()));
    }
    let reference = match &line.reference {
        None => return Ok(Err("no structured reference".to_owned())),
        Some(CreditorReference::Iso(_)) => {
            return Ok(Err(
                "an RF reference: SECAL issues Belgian structured communications".to_owned(),
            ));
        }
        Some(CreditorReference::Belgian(r)) => r,
    };
    let Some(dossier) = DossierNumber::from_payment_reference(reference) else {
        return Ok(Err(
            "the structured communication is not a SECAL dossier reference".to_owned(),
        ));
    };
    let dossier = dossier.to_string();
    let known: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM dossier_states WHERE dossier_number = $1)",
    )
    .bind(&dossier)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if known {
        Ok(dossier)
    } else {
        Err("no dossier with this structured communication".to_owned())
    })
}

/// What a line becomes.
enum Outcome {
    /// Not money in to process (a debit, a reversed credit, zero).
    Ignored,
    /// A credit matched to a dossier: a debtor payment.
    Payment(String),
    /// One of our payouts came back; `already` when it was recorded as returned before (by
    /// RecordPayoutReturn or an earlier statement).
    PayoutReturn { payout_id: String, already: bool },
    /// Waiting for a person, with why.
    Unmatched(String),
}

/// A returned credit transfer is one of our payouts when its end-to-end id is one our
/// pain.001 files gave and the whole amount came back; otherwise a person looks at it.
async fn match_return(conn: &mut PgConnection, line: &ParsedLine) -> ServiceResult<Outcome> {
    let Some(e2e) = line.end_to_end_id.as_deref() else {
        return Ok(Outcome::Unmatched(
            "a returned payment without an end-to-end id".to_owned(),
        ));
    };
    let payout: Option<(String, i64, i16)> = sqlx::query_as(
        "SELECT id, amount_cents, state FROM payouts WHERE end_to_end_id = $1 FOR UPDATE",
    )
    .bind(e2e)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match payout {
        None => Outcome::Unmatched(format!(
            "a returned payment matching none of our payouts (end-to-end id {e2e})"
        )),
        Some((id, cents, _)) if cents != line.cents => Outcome::Unmatched(format!(
            "returned {} but payout {id} was {}",
            ledger::cents_pb(line.cents).amount,
            ledger::cents_pb(cents).amount
        )),
        Some((payout_id, _, state)) => Outcome::PayoutReturn {
            payout_id,
            already: state == pb::PayoutState::Returned as i16,
        },
    })
}

/// The return reason to record: the bank's ISO code, or NARR (reason given as text).
fn return_code(line: &ParsedLine) -> &str {
    line.return_reason
        .as_deref()
        .filter(|c| c.len() == 4 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("NARR")
}

/// An import request, checked: the one statement of the file and its booked lines.
struct ImportCommand {
    key: String,
    message_id: String,
    stmt: secal_iso20022::camt053::Statement,
    lines: Vec<ParsedLine>,
    not_booked: usize,
    /// The statement's account (electronic IBAN).
    account: String,
    statement_id: uuid::Uuid,
}

impl TryFrom<&pb::ImportBankStatementRequest> for ImportCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::ImportBankStatementRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let parsed = v.take_all(parse(req));
        // The lines are read from the statement, once it parsed.
        let lines = parsed
            .as_ref()
            .and_then(|(_, stmt)| v.take_all(lines_of(stmt)));
        v.finish(|| {
            let (message_id, stmt) = parsed?;
            let (lines, not_booked) = lines?;
            let account = stmt.account_iban.electronic().to_owned();
            let statement_id = stable_id("statement", &[&account, &stmt.id]);
            Some(ImportCommand {
                key: key?,
                message_id,
                stmt,
                lines,
                not_booked,
                account,
                statement_id,
            })
        })
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn import(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::ImportBankStatementRequest,
) -> ServiceResult<pb::ImportBankStatementResponse> {
    let pool = &api.pool;
    let cmd = ImportCommand::try_from(&req)?;
    of_own_account(&cmd)?;
    let actor = &caller.actor().id;
    let mut tx = Booking::begin(pool).await?;
    if let Claim::Replay(resp) = idempotency::claim(&mut tx, caller, METHOD, &cmd.key, &req).await?
    {
        return Ok(resp);
    }
    if !claim_statement(&mut tx, &cmd, actor).await? {
        let resp = first_import(&mut tx, cmd.statement_id).await?;
        idempotency::complete(&mut tx, METHOD, &cmd.key, &resp).await?;
        tx.commit().await?;
        return Ok(resp);
    }
    let mut summary = summary_of(&cmd);
    let mut tally = Tally::default();
    for line in &cmd.lines {
        import_line(&mut tx, caller, &cmd, line, &mut summary, &mut tally).await?;
    }
    // The lines left for a person and the payouts that came back, as case work: after
    // every line is booked, as the feed's writers must (`casework::write`).
    let events = std::mem::take(&mut tally.casework);
    casework::write(&mut tx, events, By::of(caller)).await?;
    let resp = answer(&mut tx, caller, &req.camt053, summary, tally).await?;
    record_answer(&mut tx, cmd.statement_id, &req.file_name, &resp).await?;
    idempotency::complete(&mut tx, METHOD, &cmd.key, &resp).await?;
    tx.commit().await?;
    tracing::info!(
        lines = cmd.lines.len(),
        matched = resp.statement.as_ref().map_or(0, |s| s.matched_count),
        "bank statement imported"
    );
    Ok(resp)
}

/// A statement of another account is refused before anything is stored: its credits are
/// not money the service received, and booking them would clear debts nobody paid.
/// INVALID_ARGUMENT (not FAILED_PRECONDITION): no change of state makes that file importable,
/// the operator picked the wrong file.
fn of_own_account(cmd: &ImportCommand) -> ServiceResult<()> {
    let own = own_iban()?;
    if cmd.account == own.electronic() {
        return Ok(());
    }
    Err(ServiceError::invalid_field(
        "camt053: BkToCstmrStmt/Stmt/Acct/Id/IBAN",
        format!(
            "a statement of account {}, not of the service's own account {}",
            cmd.stmt.account_iban.masked(),
            own.masked()
        ),
    ))
}

/// Claims the statement for this import; `false` when it was imported before. The same
/// statement imported again (under another key) is answered as the first time; a
/// concurrent import of it waits here on the unique key.
async fn claim_statement(
    conn: &mut PgConnection,
    cmd: &ImportCommand,
    actor: &str,
) -> ServiceResult<bool> {
    let claimed = sqlx::query(
        "INSERT INTO bank_statements (public_id, account_iban, statement_identification, message_id,
                                      file_sha256, file_name, response, imported_by)
         VALUES ($1, $2, $3, '', '', '', '', $4) ON CONFLICT DO NOTHING",
    )
    .bind(cmd.statement_id)
    .bind(&cmd.account)
    .bind(&cmd.stmt.id)
    .bind(actor)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(claimed != 0)
}

/// The answer the first import of the statement gave.
async fn first_import(
    conn: &mut PgConnection,
    statement_id: uuid::Uuid,
) -> ServiceResult<pb::ImportBankStatementResponse> {
    let first: Vec<u8> =
        sqlx::query_scalar("SELECT response FROM bank_statements WHERE public_id = $1")
            .bind(statement_id)
            .fetch_one(conn)
            .await?;
    pb::ImportBankStatementResponse::decode(first.as_slice()).map_err(ServiceError::internal)
}

/// The statement's summary before its lines are booked: counts of the file itself.
fn summary_of(cmd: &ImportCommand) -> pb::BankStatement {
    let mut summary = pb::BankStatement {
        statement_id: cmd.statement_id.to_string(),
        message_id: cmd.message_id.clone(),
        statement_identification: cmd.stmt.id.clone(),
        account: Some(pb::Iban {
            value: cmd.account.clone(),
        }),
        entry_count: i32::try_from(cmd.stmt.entries.len()).unwrap_or(i32::MAX),
        ignored_count: i32::try_from(cmd.not_booked).unwrap_or(i32::MAX),
        ..Default::default()
    };
    let dates: Vec<_> = cmd
        .lines
        .iter()
        .filter_map(|l| l.booking_date.or(l.value_date))
        .collect();
    if let (Some(from), Some(to)) = (dates.iter().min(), dates.iter().max()) {
        summary.period = Some(pb::DateRange {
            start_date: Some(secal_runtime::wire::date_to_pb(*from)),
            end_date: Some(secal_runtime::wire::date_to_pb(*to)),
        });
    }
    summary
}

/// The amounts booked so far, the lines left for a person, and the case work they make.
#[derive(Default)]
struct Tally {
    matched_cents: i64,
    unmatched_cents: i64,
    unmatched: Vec<uuid::Uuid>,
    casework: Vec<casework::Event>,
}

/// Stores one line (once per bank reference) and books what it became.
async fn import_line(
    tx: &mut Booking,
    caller: &Caller,
    cmd: &ImportCommand,
    line: &ParsedLine,
    summary: &mut pb::BankStatement,
    tally: &mut Tally,
) -> ServiceResult<()> {
    let line_id = stable_id("line", &[&cmd.account, &line.bank_reference]);
    let payment_id = stable_id("payment", &[&cmd.account, &line.bank_reference]);
    let outcome = outcome_of(tx, line).await?;
    let (status, reason, payment) = line_status(&outcome, line, payment_id);
    let stored = StoredLine {
        line_id,
        statement_id: cmd.statement_id,
        account: &cmd.account,
        status,
        reason: &reason,
        payment,
    };
    if !store::insert_line(tx, line, &stored).await? {
        summary.duplicate_count += 1;
        return Ok(());
    }
    let on = line
        .value_date
        .or(line.booking_date)
        .unwrap_or_else(|| Utc::now().date_naive());
    let actor = &caller.actor().id;
    match outcome {
        Outcome::Ignored => summary.ignored_count += 1,
        Outcome::Payment(dossier) => {
            book_payment(
                tx,
                actor,
                caller.via(),
                NewPayment {
                    public_id: payment_id,
                    dossier,
                    cents: line.cents,
                    received_on: on,
                    for_month: None,
                    from: AccountKey::service(K::Bank),
                    details: PaymentDetails::default(),
                },
            )
            .await?;
            summary.matched_count += 1;
            tally.matched_cents += line.cents;
        }
        Outcome::PayoutReturn { payout_id, already } => {
            if !already {
                book_return(tx, actor, line, &payout_id, on, &mut tally.casework).await?;
            }
            summary.matched_count += 1;
            tally.matched_cents += line.cents;
        }
        Outcome::Unmatched(_) => {
            park(tx, actor, line, line_id, on).await?;
            summary.unmatched_count += 1;
            tally.unmatched_cents += line.cents;
            tally.unmatched.push(line_id);
            tally.casework.push(unmatched_line(line_id, line.cents, on));
        }
    }
    Ok(())
}

async fn outcome_of(conn: &mut PgConnection, line: &ParsedLine) -> ServiceResult<Outcome> {
    Ok(match line.kind {
        LineKind::Credit if line.cents > 0 => match match_credit(conn, line).await? {
            Ok(dossier) => Outcome::Payment(dossier),
            Err(why) => Outcome::Unmatched(why),
        },
        LineKind::Return if line.incoming && line.cents > 0 => match_return(conn, line).await?,
        _ => Outcome::Ignored,
    })
}

/// The status, reason and debtor payment a line is stored with.
fn line_status(
    outcome: &Outcome,
    line: &ParsedLine,
    payment_id: uuid::Uuid,
) -> (pb::StatementLineStatus, String, Option<uuid::Uuid>) {
    match outcome {
        Outcome::Ignored => (pb::StatementLineStatus::Ignored, String::new(), None),
        Outcome::Payment(_) => (
            pb::StatementLineStatus::Matched,
            String::new(),
            Some(payment_id),
        ),
        Outcome::PayoutReturn { payout_id, already } => (
            pb::StatementLineStatus::Matched,
            if *already {
                format!("payout {payout_id} returned; recorded before")
            } else {
                format!("payout {payout_id} returned ({})", return_code(line))
            },
            None,
        ),
        Outcome::Unmatched(why) => (pb::StatementLineStatus::Unmatched, why.clone(), None),
    }
}

/// A line left for a person, as case work: due in 5 working days (7 calendar days), listed
/// at once. Its reason is not in the summary: it may quote the sender's end-to-end id, a
/// text a third party wrote (ListUnmatchedStatementLines gives it to the agent).
fn unmatched_line(line_id: uuid::Uuid, cents: i64, on: chrono::NaiveDate) -> casework::Event {
    casework::Event::Opened(casework::Opening {
        kind: pb::TaskKind::UnmatchedBankLine,
        subject: casework::subject::statement_line(line_id),
        dossier_number: String::new(),
        listed_from: casework::today(),
        due_on: casework::in_days(7),
        summary: format!(
            "A bank statement line of EUR {} received on {on} matched no dossier: assign it \
             to a dossier, return it to its sender or mark it as not a debtor payment \
             (ResolveStatementLine)",
            ledger::cents_pb(cents).amount
        ),
    })
}

/// A payout that came back: back to payable, as RecordPayoutReturn would (its case work
/// added to `casework`).
async fn book_return(
    conn: &mut PgConnection,
    actor: &str,
    line: &ParsedLine,
    payout_id: &str,
    on: chrono::NaiveDate,
    casework: &mut Vec<casework::Event>,
) -> ServiceResult<()> {
    let text = match line.return_text.trim() {
        "" => "returned, reported in a bank statement",
        t => t,
    };
    let back = PayoutReturn {
        returned_on: on,
        amount: Some(line.cents),
        reason_code: return_code(line),
        reason_text: text,
    };
    return_payout(conn, actor, PayoutBy::Id(payout_id), &back, casework).await?;
    Ok(())
}

/// Money nobody could place waits in suspense until a person resolves the line.
async fn park(
    conn: &mut PgConnection,
    actor: &str,
    line: &ParsedLine,
    line_id: uuid::Uuid,
    on: chrono::NaiveDate,
) -> ServiceResult<()> {
    let parked = NewTransfer {
        reference: line_id.to_string(),
        ..NewTransfer::posted(
            format!("susp/{line_id}"),
            AccountKey::service(K::Bank),
            AccountKey::service(K::Suspense),
            line.cents,
            pb::TransferCode::UnmatchedReceipt,
            on,
        )
    };
    ledger::create_transfers(conn, actor, std::slice::from_ref(&parked)).await?;
    Ok(())
}

async fn answer(
    conn: &mut PgConnection,
    caller: &Caller,
    camt053: &[u8],
    mut summary: pb::BankStatement,
    tally: Tally,
) -> ServiceResult<pb::ImportBankStatementResponse> {
    summary.matched_amount = Some(ledger::cents_pb(tally.matched_cents));
    summary.unmatched_amount = Some(ledger::cents_pb(tally.unmatched_cents));
    summary.file_sha256 = hex::encode(Sha256::digest(camt053));
    summary.imported = Some(pb::AuditStamp {
        actor: caller.actor().id.clone(),
        at: secal_runtime::wire::timestamp(Utc::now()),
        via: caller.via().unwrap_or_default().to_owned(),
    });
    Ok(pb::ImportBankStatementResponse {
        statement: Some(summary),
        unmatched_lines: super::resolve::lines_by_id(conn, &tally.unmatched).await?,
    })
}

/// Keeps the answer, so that a re-import of the statement gets it.
async fn record_answer(
    conn: &mut PgConnection,
    statement_id: uuid::Uuid,
    file_name: &str,
    resp: &pb::ImportBankStatementResponse,
) -> ServiceResult<()> {
    sqlx::query(
        "UPDATE bank_statements SET file_sha256 = $2, file_name = $3, response = $4 WHERE public_id = $1",
    )
    .bind(statement_id)
    .bind(resp.statement.as_ref().map(|s| s.file_sha256.clone()).unwrap_or_default())
    .bind(file_name)
    .bind(resp.encode_to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

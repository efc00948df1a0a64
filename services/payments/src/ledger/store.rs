//! Writing transfers. Every function takes the caller's transaction: a group of transfers is
//! linked simply by being created in one transaction (all or none).

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::{AccountKey, LedgerError, NewTransfer, State, Transfer};

/// 24 hours, the default timeout of a pending transfer.
const DEFAULT_TIMEOUT_SECS: i64 = 86_400;

pub(crate) const TRANSFER_COLUMNS: &str = "t.id, t.transfer_id, da.code AS debit_code, \
     ca.code AS credit_code, t.amount, t.code, t.value_date, t.state, \
     p.transfer_id AS pending_transfer_id, t.linked_group, t.expires_at, \
     c.transfer_id AS corrects_transfer_id, t.for_month, t.reference, t.description, \
     t.dossier_number, t.recorded_by, t.recorded_at";

// What every read of transfers joins to `t`, the ledger table or the rows an insert returns.
macro_rules! transfer_joins {
    () => {
        "JOIN ledger_accounts da ON da.id = t.debit_account \
         JOIN ledger_accounts ca ON ca.id = t.credit_account \
         LEFT JOIN ledger_transfers p ON p.id = t.pending_id \
         LEFT JOIN ledger_transfers c ON c.id = t.corrects_id"
    };
}

pub(crate) const TRANSFER_FROM: &str = concat!("ledger_transfers t ", transfer_joins!());

async fn by_ids(conn: &mut PgConnection, ids: &[String]) -> Result<Vec<Transfer>, LedgerError> {
    let sql =
        format!("SELECT {TRANSFER_COLUMNS} FROM {TRANSFER_FROM} WHERE t.transfer_id = ANY($1)");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(conn)
        .await?)
}

/// Opens the accounts that do not exist yet and returns every key's account row id.
/// Most exist already (a monthly run touches the same accounts every month), so they are
/// read first and only the missing ones are inserted.
async fn open_accounts<'k>(
    conn: &mut PgConnection,
    actor: &str,
    keys: &HashSet<&'k AccountKey>,
) -> Result<HashMap<&'k AccountKey, i64>, LedgerError> {
    // Dossier accounts are found through their dossiers: one index descent per dossier
    // instead of one per account code (a monthly advances run names 4 accounts per child;
    // measured 4x cheaper). The dossiers' other accounts come along and are ignored.
    let mut dossiers: Vec<&str> = keys.iter().filter_map(|k| k.dossier.as_deref()).collect();
    dossiers.sort_unstable();
    dossiers.dedup();
    let service: Vec<String> = keys
        .iter()
        .filter(|k| k.dossier.is_none())
        .map(|k| k.code())
        .collect();
    let found: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT code, id FROM ledger_accounts WHERE dossier_number = ANY($1)
         UNION ALL
         SELECT code, id FROM ledger_accounts WHERE code = ANY($2)",
    )
    .bind(&dossiers)
    .bind(&service)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut ids = HashMap::with_capacity(keys.len());
    let mut missing = Vec::new();
    for k in keys {
        let code = k.code();
        match found.get(&code) {
            Some(id) => {
                ids.insert(*k, *id);
            }
            None => missing.push((*k, code)),
        }
    }
    if missing.is_empty() {
        return Ok(ids);
    }
    let codes: Vec<&str> = missing.iter().map(|(_, c)| c.as_str()).collect();
    let kinds: Vec<i16> = missing.iter().map(|(k, _)| k.kind as i16).collect();
    let dossiers: Vec<Option<&str>> = missing.iter().map(|(k, _)| k.dossier.as_deref()).collect();
    let parties: Vec<Option<&str>> = missing.iter().map(|(k, _)| k.party.as_deref()).collect();
    let rules: Vec<i16> = missing.iter().map(|(k, _)| k.kind.balance_rule()).collect();
    // Inserted in code order so that concurrent openers lock in the same order; an account
    // another transaction opened meanwhile is read back below.
    sqlx::query(
        "INSERT INTO ledger_accounts (code, kind, dossier_number, party_person_id, balance_rule, opened_by)
         SELECT * , $6 FROM unnest($1::text[], $2::smallint[], $3::text[], $4::text[], $5::smallint[])
         ORDER BY 1
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(&codes)
    .bind(&kinds)
    .bind(&dossiers)
    .bind(&parties)
    .bind(&rules)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    let opened: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT code, id FROM ledger_accounts WHERE code = ANY($1)",
    )
    .bind(&codes)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    for (k, code) in missing {
        if let Some(id) = opened.get(&code) {
            ids.insert(k, *id);
        }
    }
    Ok(ids)
}

fn validate(specs: &[NewTransfer]) -> Result<(), LedgerError> {
    let mut seen = HashSet::with_capacity(specs.len());
    for (i, s) in specs.iter().enumerate() {
        let f = |name: &str| format!("transfers[{i}].{name}");
        if s.id.trim().is_empty() || s.id.len() > 200 || !s.id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(LedgerError::invalid(
                f("transfer_id"),
                "1 to 200 printable ASCII characters",
            ));
        }
        if !seen.insert(s.id.as_str()) {
            return Err(LedgerError::invalid(
                f("transfer_id"),
                "appears twice in the request",
            ));
        }
        if s.cents <= 0 {
            return Err(LedgerError::invalid(f("amount"), "must be more than zero"));
        }
        if s.debit == s.credit {
            return Err(LedgerError::invalid(
                f("credit_account_id"),
                "must differ from the debit account",
            ));
        }
        if s.pending_timeout_secs
            .is_some_and(|t| !(0..=31_536_000).contains(&t))
        {
            return Err(LedgerError::invalid(f("timeout_seconds"), "0 to 31536000"));
        }
        if (s.code == secal_proto::v1::TransferCode::Correction) != s.corrects.is_some() {
            return Err(LedgerError::invalid(
                f("corrects_transfer_id"),
                "required with TRANSFER_CODE_CORRECTION, and only with it",
            ));
        }
    }
    Ok(())
}

/// Creates transfers, all or none. A transfer whose id exists already with the same content
/// is returned as stored (a retry); with other content it is [`LedgerError::Conflict`]. The
/// new ones come back from their insert itself: no read after the write, which is the part of
/// the transaction that holds the accounts' rows locked.
pub async fn create_transfers(
    conn: &mut PgConnection,
    actor: &str,
    specs: &[NewTransfer],
) -> Result<Vec<Transfer>, LedgerError> {
    validate(specs)?;
    let (mut all, new) = existing_and_new(conn, specs).await?;
    if !new.is_empty() {
        let rows = insert(conn, actor, &new, Returning::Transfers).await?;
        all.extend(rows.into_iter().map(|t| (t.transfer_id.clone(), t)));
    }
    specs
        .iter()
        .map(|s| {
            all.remove(&s.id)
                .ok_or_else(|| LedgerError::TransferNotFound(s.id.clone()))
        })
        .collect()
}

/// The transfers of `specs` that exist already (a retry: checked to be the same), and the
/// specs still to write.
async fn existing_and_new<'s>(
    conn: &mut PgConnection,
    specs: &'s [NewTransfer],
) -> Result<(HashMap<String, Transfer>, Vec<&'s NewTransfer>), LedgerError> {
    let ids: Vec<String> = specs.iter().map(|s| s.id.clone()).collect();
    let existing: HashMap<String, Transfer> = by_ids(conn, &ids)
        .await?
        .into_iter()
        .map(|t| (t.transfer_id.clone(), t))
        .collect();
    let mut new = Vec::new();
    for s in specs {
        match existing.get(&s.id) {
            Some(t) if t.same_as(s) => {}
            Some(_) => return Err(LedgerError::Conflict(s.id.clone())),
            None => new.push(s),
        }
    }
    Ok((existing, new))
}

/// As [`create_transfers`], without returning the transfers (bulk writers such as the
/// advances run); returns how many were new.
pub async fn create_unreturned(
    conn: &mut PgConnection,
    actor: &str,
    specs: &[NewTransfer],
) -> Result<usize, LedgerError> {
    validate(specs)?;
    let (_, new) = existing_and_new(conn, specs).await?;
    if !new.is_empty() {
        insert(conn, actor, &new, Returning::Nothing).await?;
    }
    Ok(new.len())
}

/// Bulk writers that know their transfers are new (the advances run: its ids are derived from
/// children not yet done, checked under the month's lock in the same transaction) skip the
/// read-back of existing ids; should one exist after all, the unique index fails the whole
/// transaction, so nothing is written twice.
pub async fn create_new(
    conn: &mut PgConnection,
    actor: &str,
    specs: &[NewTransfer],
) -> Result<(), LedgerError> {
    validate(specs)?;
    let new: Vec<&NewTransfer> = specs.iter().collect();
    if new.iter().any(|s| s.pending_timeout_secs.is_some()) {
        // A pending transfer's expiry is the database's clock plus its timeout.
        insert(conn, actor, &new, Returning::Nothing).await?;
    } else {
        copy(conn, actor, &new).await?;
    }
    Ok(())
}

/// As `insert` with [`Returning::Nothing`], for posted transfers, through `COPY`
/// (`crate::copy` says why): the balance trigger reads the rows from the `COPY`'s transition
/// table as from an insert's.
async fn copy(
    conn: &mut PgConnection,
    actor: &str,
    new: &[&NewTransfer],
) -> Result<(), LedgerError> {
    let cols = resolved_columns(conn, actor, new).await?;
    let rows = copy_rows(&cols, &Uuid::new_v4().to_string(), actor);
    rows.send(
        conn,
        "COPY ledger_transfers (transfer_id, debit_account, credit_account, amount, code,
                 value_date, state, corrects_id, for_month, reference, description,
                 dossier_number, linked_group, recorded_by) FROM STDIN (FORMAT text)",
    )
    .await?;
    Ok(())
}

/// The rows of `cols` for [`copy`].
fn copy_rows(cols: &Columns, group: &str, actor: &str) -> crate::copy::CopyRows {
    let mut rows = crate::copy::CopyRows::with_capacity(cols.id.len() * 160);
    for i in 0..cols.id.len() {
        rows.text(&cols.id[i])
            .value(cols.debit[i])
            .value(cols.credit[i])
            .value(cols.amount[i])
            .value(cols.code[i])
            .value(cols.value_date[i])
            .value(cols.state[i])
            .opt(cols.corrects[i])
            .opt(cols.for_month[i])
            .text(&cols.reference[i])
            .text(&cols.description[i])
            .opt_text(cols.dossier[i].as_deref())
            .text(group)
            .text(actor);
        rows.end_row();
    }
    rows
}

/// What an insert gives back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Returning {
    /// Nothing (bulk writers, which do not need their transfers back).
    Nothing,
    /// The new transfers, read from the insert itself.
    Transfers,
}

// A macro, not a const, so that the statement stays `&'static str` where it can.
macro_rules! insert_transfers {
    () => {
        "INSERT INTO ledger_transfers (transfer_id, debit_account, credit_account, amount, code,
             value_date, state, expires_at, corrects_id, for_month, reference, description,
             dossier_number, linked_group, recorded_by)
         SELECT n.id, n.debit, n.credit, n.amount, n.code, n.value_date, n.state,
                CASE WHEN n.timeout IS NULL THEN NULL ELSE now() + make_interval(secs => n.timeout) END,
                n.corrects, n.for_month, n.reference, n.description, n.dossier, $14, $15
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::smallint[],
                     $6::date[], $7::smallint[], $8::bigint[], $9::bigint[], $10::date[],
                     $11::text[], $12::text[], $13::text[])
              AS n(id, debit, credit, amount, code, value_date, state, timeout, corrects,
                   for_month, reference, description, dossier)"
    };
}

/// Binds the columns of [`insert_transfers`] to a query of either kind.
macro_rules! bind_columns {
    ($query:expr, $cols:expr, $group:expr, $actor:expr) => {
        $query
            .bind(&$cols.id)
            .bind(&$cols.debit)
            .bind(&$cols.credit)
            .bind(&$cols.amount)
            .bind(&$cols.code)
            .bind(&$cols.value_date)
            .bind(&$cols.state)
            .bind(&$cols.timeout)
            .bind(&$cols.corrects)
            .bind(&$cols.for_month)
            .bind(&$cols.reference)
            .bind(&$cols.description)
            .bind(&$cols.dossier)
            .bind($group)
            .bind($actor)
    };
}

async fn insert(
    conn: &mut PgConnection,
    actor: &str,
    new: &[&NewTransfer],
    returning: Returning,
) -> Result<Vec<Transfer>, LedgerError> {
    let cols = resolved_columns(conn, actor, new).await?;
    let group = Uuid::new_v4();
    let (written, rows) = match returning {
        Returning::Nothing => {
            let done = bind_columns!(sqlx::query(insert_transfers!()), cols, group, actor)
                .execute(&mut *conn)
                .await?;
            (done.rows_affected(), Vec::new())
        }
        Returning::Transfers => {
            // The accounts and the transfers a new one refers to were written by earlier
            // statements, so the statement's own snapshot sees them.
            let sql = format!(
                "WITH t AS ({} RETURNING *) SELECT {TRANSFER_COLUMNS} FROM t {}",
                insert_transfers!(),
                transfer_joins!()
            );
            let rows: Vec<Transfer> =
                bind_columns!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), cols, group, actor)
                    .fetch_all(&mut *conn)
                    .await?;
            (rows.len() as u64, rows)
        }
    };
    if written != new.len() as u64 {
        return Err(LedgerError::Db(sqlx::Error::RowNotFound));
    }
    Ok(rows)
}

/// The columns of `new` as [`columns`] gives them, its accounts opened or found and the
/// transfers it corrects looked up first: what an insert and a `COPY` both write.
async fn resolved_columns(
    conn: &mut PgConnection,
    actor: &str,
    new: &[&NewTransfer],
) -> Result<Columns, LedgerError> {
    let keys: HashSet<&AccountKey> = new.iter().flat_map(|s| [&s.debit, &s.credit]).collect();
    let accounts = open_accounts(conn, actor, &keys).await?;
    let corrected = corrected_ids(conn, new).await?;
    columns(new, &accounts, &corrected)
}

/// The statement's columns, one entry per new transfer, accounts and corrected transfers
/// resolved to their row ids.
fn columns(
    new: &[&NewTransfer],
    accounts: &HashMap<&AccountKey, i64>,
    corrected: &HashMap<String, i64>,
) -> Result<Columns, LedgerError> {
    let account = |k: &AccountKey| {
        accounts
            .get(k)
            .copied()
            .ok_or_else(|| LedgerError::AccountNotFound(k.code()))
    };
    let mut cols = Columns::default();
    for s in new {
        cols.id.push(s.id.clone());
        cols.debit.push(account(&s.debit)?);
        cols.credit.push(account(&s.credit)?);
        cols.amount.push(s.cents);
        cols.code.push(s.code as i16);
        cols.value_date.push(s.value_date);
        let pending = s
            .pending_timeout_secs
            .map(|t| if t == 0 { DEFAULT_TIMEOUT_SECS } else { t });
        cols.state.push(if pending.is_some() {
            State::Pending
        } else {
            State::Posted
        } as i16);
        cols.timeout.push(pending);
        cols.corrects
            .push(s.corrects.as_ref().and_then(|c| corrected.get(c).copied()));
        cols.for_month.push(s.for_month);
        cols.reference.push(s.reference.clone());
        cols.description.push(s.description.clone());
        cols.dossier.push(s.dossier().map(str::to_owned));
    }
    Ok(cols)
}

/// The row ids of the transfers the corrections name; a correction must name an existing
/// transfer. Resolved before the insert rather than joined in it: a join against the whole
/// ledger, planned for a statement of thousands of rows, grew with the ledger.
async fn corrected_ids(
    conn: &mut PgConnection,
    new: &[&NewTransfer],
) -> Result<HashMap<String, i64>, LedgerError> {
    let names: Vec<String> = new.iter().filter_map(|s| s.corrects.clone()).collect();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let found: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT transfer_id, id FROM ledger_transfers WHERE transfer_id = ANY($1)",
    )
    .bind(&names)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    match names.iter().find(|n| !found.contains_key(*n)) {
        Some(c) => Err(LedgerError::invalid(
            "corrects_transfer_id",
            format!("transfer {c} does not exist"),
        )),
        None => Ok(found),
    }
}

#[derive(Default)]
struct Columns {
    id: Vec<String>,
    debit: Vec<i64>,
    credit: Vec<i64>,
    amount: Vec<i64>,
    code: Vec<i16>,
    value_date: Vec<chrono::NaiveDate>,
    state: Vec<i16>,
    timeout: Vec<Option<i64>>,
    corrects: Vec<Option<i64>>,
    for_month: Vec<Option<chrono::NaiveDate>>,
    reference: Vec<String>,
    description: Vec<String>,
    dossier: Vec<Option<String>>,
}

/// The second phase of a pending transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Post this many cents (`None`: the full amount); the rest is released.
    Post(Option<i64>),
    Void,
}

/// Voids the pending transfers whose timeout passed; returns how many.
pub async fn expire_due(conn: &mut PgConnection) -> Result<i32, LedgerError> {
    Ok(sqlx::query_scalar("SELECT ledger_expire_due()")
        .fetch_one(conn)
        .await?)
}

/// Posts or voids a pending transfer with a new transfer `settlement_id`. A retry (same
/// settlement id, same decision) returns the first result.
pub async fn settle_pending(
    conn: &mut PgConnection,
    actor: &str,
    pending_id: &str,
    settlement_id: &str,
    how: Settle,
    description: &str,
) -> Result<Transfer, LedgerError> {
    expire_due(conn).await?;
    let pending = locked_pending(conn, pending_id).await?;
    let state = match how {
        Settle::Post(_) => State::Posted,
        Settle::Void => State::Voided,
    };
    let amount = match how {
        Settle::Post(Some(c)) if c <= 0 || c > pending.amount => {
            return Err(LedgerError::invalid(
                "amount",
                format!("must be 0.01 to the pending {} cents", pending.amount),
            ));
        }
        Settle::Post(Some(c)) => c,
        _ => pending.amount,
    };
    let settlement = Settlement {
        id: settlement_id,
        state,
        amount,
    };
    if let Some(done) = earlier_settlement(conn, pending_id, &settlement).await? {
        return Ok(done);
    }
    if !by_ids(conn, &[settlement_id.to_owned()]).await?.is_empty() {
        return Err(LedgerError::Conflict(settlement_id.to_owned()));
    }
    sqlx::query(
        "INSERT INTO ledger_transfers (transfer_id, debit_account, credit_account, amount, code,
             value_date, state, pending_id, linked_group, for_month, reference, description,
             dossier_number, recorded_by)
         SELECT $1, debit_account, credit_account, $2, code, value_date, $3, id,
                linked_group, for_month, reference, $4, dossier_number, $5
         FROM ledger_transfers WHERE id = $6",
    )
    .bind(settlement_id)
    .bind(amount)
    .bind(state as i16)
    .bind(description)
    .bind(actor)
    .bind(pending.id)
    .execute(&mut *conn)
    .await?;
    by_ids(conn, &[settlement_id.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| LedgerError::TransferNotFound(settlement_id.to_owned()))
}

/// The pending transfer, locked; an error when it was created posted.
async fn locked_pending(
    conn: &mut PgConnection,
    pending_id: &str,
) -> Result<Transfer, LedgerError> {
    let sql = format!(
        "SELECT {TRANSFER_COLUMNS} FROM {TRANSFER_FROM} WHERE t.transfer_id = $1 FOR UPDATE OF t"
    );
    let pending: Transfer = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(pending_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| LedgerError::TransferNotFound(pending_id.to_owned()))?;
    if pending.state != State::Pending as i16 {
        return Err(LedgerError::NotPending {
            id: pending_id.to_owned(),
            why: "it was created posted".into(),
        });
    }
    Ok(pending)
}

/// The settlement asked for.
struct Settlement<'a> {
    id: &'a str,
    state: State,
    amount: i64,
}

/// The transfer that already settled the pending one: `Some` when it is this very settlement
/// (a retry), an error when it is another; `None` while the transfer is still pending.
async fn earlier_settlement(
    conn: &mut PgConnection,
    pending_id: &str,
    asked: &Settlement<'_>,
) -> Result<Option<Transfer>, LedgerError> {
    let settled =
        format!("SELECT {TRANSFER_COLUMNS} FROM {TRANSFER_FROM} WHERE p.transfer_id = $1");
    let Some(done) = sqlx::query_as::<_, Transfer>(sqlx::AssertSqlSafe(settled))
        .bind(pending_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    if done.transfer_id == asked.id
        && done.state == asked.state as i16
        && done.amount == asked.amount
    {
        return Ok(Some(done));
    }
    let why = match done.state {
        s if s == State::Posted as i16 => "already posted",
        s if s == State::Voided as i16 => "already voided",
        _ => "expired: its timeout passed",
    };
    Err(LedgerError::NotPending {
        id: pending_id.to_owned(),
        why: format!("{why} by {}", done.transfer_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_transfer_has_its_columns_in_the_statements_order() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
        let cols = Columns {
            id: vec!["t1".into()],
            debit: vec![1],
            credit: vec![2],
            amount: vec![15_000],
            code: vec![1],
            value_date: vec![day],
            state: vec![2],
            timeout: vec![None],
            corrects: vec![Some(7)],
            for_month: vec![None],
            reference: vec!["dues-run/2026-12-06".into()],
            description: vec!["maintenance due".into()],
            dossier: vec![None],
        };
        let rows = copy_rows(&cols, "g", "actor");
        assert_eq!(
            rows.into_string(),
            "t1\t1\t2\t15000\t1\t2026-12-01\t2\t7\t\\N\tdues-run/2026-12-06\tmaintenance due\t\\N\tg\tactor\n"
        );
    }
}

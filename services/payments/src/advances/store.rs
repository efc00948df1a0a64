//! The run's tables and its batch transaction.

use secal_runtime::Caller;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use secal_domain::YearMonth;
use secal_proto::v1::{self as pb, AdvancesRunState as RunState, TransferCode};
use secal_runtime::{ServiceError, ServiceResult, Violations, wire};
use sqlx::PgPool;

use super::{Child, Outcome, Shard, dues};
use crate::api::PaymentsApi;
use crate::db_enum::sql_enum;
use crate::ledger::{self, AccountKey, AccountKind as K, NewTransfer, cents_pb};

pub async fn start(pool: &PgPool, month: YearMonth, actor: &str) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO advances_runs (month, state, first_started_by) VALUES ($1, $3, $2)
         ON CONFLICT (month) DO UPDATE SET attempts = advances_runs.attempts + 1, state = $3,
                started_at = now(), finished_at = NULL",
    )
    .bind(month.first_day())
    .bind(actor)
    .bind(RunState::Running as i16)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_total(pool: &PgPool, month: YearMonth, total: i64) -> ServiceResult<()> {
    sqlx::query("UPDATE advances_runs SET children_total = $2 WHERE month = $1")
        .bind(month.first_day())
        .bind(total)
        .execute(pool)
        .await?;
    Ok(())
}

/// What the month's items say of a batch's children: done (paid or judged not eligible)
/// and failed (retried by this start).
#[derive(Default)]
pub struct Recorded {
    done: HashSet<(String, String)>,
    failed: HashSet<(String, String)>,
}

impl Recorded {
    /// Usually nothing of a batch is recorded yet: then no key is built.
    fn has(set: &HashSet<(String, String)>, c: &Child) -> bool {
        !set.is_empty() && set.contains(&(c.dossier.clone(), c.child.clone()))
    }

    /// Paid or judged not eligible.
    pub fn done(&self, c: &Child) -> bool {
        Self::has(&self.done, c)
    }

    /// Failed at an earlier start (its item is rewritten).
    fn failed(&self, c: &Child) -> bool {
        Self::has(&self.failed, c)
    }

    pub fn done_count(&self) -> usize {
        self.done.len()
    }
}

async fn recorded_in(
    conn: &mut sqlx::PgConnection,
    month: YearMonth,
    batch: &[Child],
) -> ServiceResult<Recorded> {
    let mut dossiers: Vec<&str> = batch.iter().map(|c| c.dossier.as_str()).collect();
    dossiers.dedup();
    // A join on the primary key, one probe per dossier: `dossier_number = ANY($2)` was
    // planned as a scan of the month's items, each compared with the whole array.
    let rows: Vec<(String, String, i16)> = sqlx::query_as(
        "SELECT i.dossier_number, i.child, i.status FROM unnest($2::text[]) AS d(n)
         JOIN advances_run_items i ON i.month = $1 AND i.dossier_number = d.n",
    )
    .bind(month.first_day())
    .bind(&dossiers)
    .fetch_all(conn)
    .await?;
    let mut r = Recorded::default();
    for (dossier, child, status) in rows {
        if status == pb::AdvancesRunItemStatus::Failed as i16 {
            r.failed.insert((dossier, child));
        } else {
            r.done.insert((dossier, child));
        }
    }
    Ok(r)
}

/// What the month's items say of the batch's children.
pub async fn recorded(pool: &PgPool, month: YearMonth, batch: &[Child]) -> ServiceResult<Recorded> {
    let mut conn = pool.acquire().await?;
    recorded_in(&mut conn, month, batch).await
}

fn transfer_base(month: YearMonth, c: &Child) -> String {
    format!(
        "advance/{:04}-{:02}/{}/{}",
        month.year(),
        month.month(),
        c.dossier,
        c.child
    )
}

/// The batch's transfers and items in one transaction; children another start finished in
/// the meantime are skipped (returned as the count of raced children).
pub async fn write_batch(
    pool: &PgPool,
    month: YearMonth,
    shard: Shard,
    actor: &str,
    todo: &[Child],
    outcomes: &[Outcome],
) -> ServiceResult<(Vec<Outcome>, i64)> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('advances:' || $1 || ':' || $2 || '/' || $3))",
    )
    .bind(month.first_day().to_string())
    .bind(shard.index)
    .bind(shard.of)
    .execute(&mut *tx)
    .await?;
    let recorded = recorded_in(&mut tx, month, todo).await?;
    // The month's dues of the children to pay, read under the shard's lock and in the
    // transaction that writes their advances: two starts never step into the same open part.
    let to_pay: Vec<(usize, &Child)> = todo
        .iter()
        .zip(outcomes)
        .enumerate()
        .filter(|(_, (c, o))| matches!(o, Outcome::Paid { .. }) && !recorded.done(c))
        .map(|(i, (c, _))| (i, c))
        .collect();
    let open = dues::open_parts(&mut tx, month, &to_pay).await?;
    let first = month.first_day();
    let mut transfers = Vec::new();
    let mut written = Vec::new();
    let mut raced = 0;
    // New items, and items of children that failed at an earlier start (rewritten).
    let (mut new_items, mut retried) = (ItemCols::default(), ItemCols::default());
    for (i, (c, o)) in todo.iter().zip(outcomes).enumerate() {
        if recorded.done(c) {
            raced += 1;
            continue;
        }
        let cols = if recorded.failed(c) {
            &mut retried
        } else {
            &mut new_items
        };
        let o = dues::settle(month, o, open.get(&i).copied());
        transfers.extend(advance_transfers(month, c, &o));
        cols.push(c, item_of(&transfer_base(month, c), &o));
        written.push(o);
    }
    new_items.insert(&mut tx, first).await?;
    retried.rewrite_failed(&mut tx, first).await?;
    // The transfers last: their balance trigger locks the advances funding account, which
    // every batch of every shard updates, until the commit.
    ledger::create_new(&mut tx, actor, &transfers).await?;
    tx.commit().await?;
    Ok((written, raced))
}

/// A child's transfers for an advance: SECAL stepping into the creditor's claim on the
/// month's dues, and the payable. Nothing for a child not paid (the run books no debt).
fn advance_transfers(month: YearMonth, c: &Child, o: &Outcome) -> Vec<NewTransfer> {
    let Outcome::Paid { cents } = o else {
        return Vec::new();
    };
    let first = month.first_day();
    let reference = format!("advances-run/{first}");
    let base = transfer_base(month, c);
    let t = |id: String, d: AccountKey, cr: AccountKey| NewTransfer {
        for_month: Some(first),
        reference: reference.clone(),
        ..NewTransfer::posted(id, d, cr, *cents, TransferCode::Advance, first)
    };
    vec![
        t(
            format!("{base}/sub"),
            AccountKey::party(K::CreditorClaim, &c.dossier, &c.child),
            AccountKey::party(K::ServiceAdvanceClaim, &c.dossier, &c.child),
        ),
        t(
            format!("{base}/pay"),
            AccountKey::service(K::AdvancesFunding),
            AccountKey::party(K::Payable, &c.dossier, &c.child),
        ),
    ]
}

/// A child's run item: status, amount, reasons (a SQL array literal), transfer, error.
type Item = (i16, i64, String, Option<String>, Option<String>);

fn item_of(base: &str, o: &Outcome) -> Item {
    use pb::AdvancesRunItemStatus as S;
    match o {
        Outcome::Paid { cents } => (
            S::Paid as i16,
            *cents,
            "{}".to_owned(),
            Some(format!("{base}/pay")),
            None,
        ),
        Outcome::NotEligible { reasons } => {
            let r = reasons
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            (S::NotEligible as i16, 0, format!("{{{r}}}"), None, None)
        }
        Outcome::Failed(e) => (S::Failed as i16, 0, "{}".to_owned(), None, Some(e.clone())),
    }
}

/// The items of a batch, column by column (one statement ... unnest).
#[derive(Default)]
#[allow(clippy::type_complexity)]
struct ItemCols(
    Vec<String>,
    Vec<String>,
    Vec<i16>,
    Vec<i64>,
    Vec<String>,
    Vec<Option<String>>,
    Vec<Option<String>>,
);

impl ItemCols {
    fn push(&mut self, c: &Child, (status, cents, reasons, transfer, error): Item) {
        self.0.push(c.dossier.clone());
        self.1.push(c.child.clone());
        self.2.push(status);
        self.3.push(cents);
        self.4.push(reasons);
        self.5.push(transfer);
        self.6.push(error);
    }

    /// The items' columns bound as $2..$8 (after the month, $1); rows affected.
    async fn execute(
        &self,
        tx: &mut sqlx::PgConnection,
        month: NaiveDate,
        sql: &'static str,
    ) -> ServiceResult<u64> {
        Ok(sqlx::query(sql)
            .bind(month)
            .bind(&self.0)
            .bind(&self.1)
            .bind(&self.2)
            .bind(&self.3)
            .bind(&self.4)
            .bind(&self.5)
            .bind(&self.6)
            .execute(tx)
            .await?
            .rows_affected())
    }

    /// A plain INSERT, not INSERT ... ON CONFLICT: the children are new under the shard's
    /// lock (a duplicate fails the batch, never passes), and the speculative insertion of
    /// ON CONFLICT cost more per row than the rest of the item.
    async fn insert(&self, tx: &mut sqlx::PgConnection, month: NaiveDate) -> ServiceResult<()> {
        if !self.0.is_empty() {
            self.execute(tx, month,
                "INSERT INTO advances_run_items (month, dossier_number, child, status, amount_cents, reasons, transfer_id, error)
                 SELECT $1, d, c, s, a, r::smallint[], t, e
                 FROM unnest($2::text[], $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS u(d, c, s, a, r, t, e)",
            )
            .await?;
        }
        Ok(())
    }

    /// Items of children that failed at an earlier start, rewritten with this start's
    /// outcome; each must still be a failed item (the shard's lock guarantees it).
    async fn rewrite_failed(
        &self,
        tx: &mut sqlx::PgConnection,
        month: NaiveDate,
    ) -> ServiceResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let rewritten = self.execute(tx, month, concat!(
            "UPDATE advances_run_items i
                SET status = u.s, amount_cents = u.a, reasons = u.r::smallint[], transfer_id = u.t, error = u.e
               FROM unnest($2::text[], $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS u(d, c, s, a, r, t, e)
              WHERE i.month = $1 AND i.dossier_number = u.d AND i.child = u.c AND i.status = ",
            sql_enum!(AdvancesRunItemStatus::Failed),
        ))
        .await?;
        if rewritten != self.0.len() as u64 {
            return Err(ServiceError::internal(format!(
                "{rewritten} of {} failed run items rewritten",
                self.0.len()
            )));
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct RunRow {
    month: NaiveDate,
    state: i16,
    attempts: i32,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    first_started_by: String,
    first_started_at: DateTime<Utc>,
}

async fn load(pool: &PgPool, month: NaiveDate) -> ServiceResult<Option<pb::AdvancesRun>> {
    let Some(r) = sqlx::query_as::<_, RunRow>("SELECT month, state, attempts, started_at, finished_at, first_started_by, first_started_at FROM advances_runs WHERE month = $1")
        .bind(month)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let (paid, not_eligible, failed, cents, total): (i64, i64, i64, i64, i64) =
        sqlx::query_as(concat!(
            "SELECT count(*) FILTER (WHERE status = ",
            sql_enum!(AdvancesRunItemStatus::Paid),
            "), count(*) FILTER (WHERE status = ",
            sql_enum!(AdvancesRunItemStatus::NotEligible),
            "),
                count(*) FILTER (WHERE status = ",
            sql_enum!(AdvancesRunItemStatus::Failed),
            "), COALESCE(sum(amount_cents) FILTER (WHERE status = ",
            sql_enum!(AdvancesRunItemStatus::Paid),
            "), 0)::bigint,
                count(*)
         FROM advances_run_items WHERE month = $1"
        ))
        .bind(month)
        .fetch_one(pool)
        .await?;
    // The ledger's side of the control totals: the month's advances paid out of the
    // advances funding account (the legs into payable). Found by the funding account, not
    // by the payable accounts' kind: a join to each leg's account cost 3.4 s at the end of
    // a run of 1,000,000 children, while one core waited.
    let (ledger_count, ledger_cents): (i64, i64) = sqlx::query_as(concat!(
        "SELECT count(*), COALESCE(sum(t.amount), 0)::bigint FROM ledger_transfers t
         WHERE t.for_month = $1 AND t.code = $2 AND t.state = ",
        sql_enum!(TransferState::Posted),
        "
           AND t.debit_account = (SELECT id FROM ledger_accounts WHERE code = $3)"
    ))
    .bind(month)
    .bind(TransferCode::Advance as i16)
    .bind(AccountKey::service(K::AdvancesFunding).code())
    .fetch_one(pool)
    .await?;
    Ok(Some(pb::AdvancesRun {
        run_id: format!("advances-run/{month}"),
        month: crate::ledger::month_pb(r.month).into(),
        state: i32::from(r.state),
        attempts: r.attempts,
        started_at: wire::timestamp(r.started_at),
        // Empty while the run has not finished (the contract's "not set").
        finished_at: r.finished_at.map(wire::timestamp).unwrap_or_default(),
        totals: Some(pb::AdvancesRunTotals {
            children_considered: total,
            advances_paid: paid,
            not_eligible,
            failed,
            amount_paid: Some(cents_pb(cents)),
            ledger_transfer_count: ledger_count,
            ledger_amount: Some(cents_pb(ledger_cents)),
            reconciled: ledger_count == paid && ledger_cents == cents,
        }),
        first_started: Some(pb::AuditStamp {
            actor: r.first_started_by,
            at: wire::timestamp(r.first_started_at),
            via: String::new(),
        }),
    }))
}

pub async fn finish(pool: &PgPool, month: YearMonth) -> ServiceResult<pb::AdvancesRun> {
    let failed: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM advances_run_items WHERE month = $1 AND status = ",
        sql_enum!(AdvancesRunItemStatus::Failed),
    ))
    .bind(month.first_day())
    .fetch_one(pool)
    .await?;
    let state = if failed > 0 {
        RunState::CompletedWithFailures
    } else {
        RunState::Completed
    };
    sqlx::query("UPDATE advances_runs SET state = $2, finished_at = now() WHERE month = $1")
        .bind(month.first_day())
        .bind(state as i16)
        .execute(pool)
        .await?;
    load(pool, month.first_day())
        .await?
        .ok_or_else(|| ServiceError::not_found("advances run"))
}

/// GetAdvancesRun, parsed.
struct RunQuery {
    month: YearMonth,
}

impl TryFrom<&pb::GetAdvancesRunRequest> for RunQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::GetAdvancesRunRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let month = v.take_all(wire::year_month_from_pb("month", req.month.as_ref()));
        v.finish(|| Some(RunQuery { month: month? }))
    }
}

pub async fn get_run(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::GetAdvancesRunRequest,
) -> ServiceResult<pb::GetAdvancesRunResponse> {
    let pool = &api.pool;
    let RunQuery { month } = RunQuery::try_from(&req)?;
    let run = load(pool, month.first_day())
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("no advances run for {month}")))?;
    Ok(pb::GetAdvancesRunResponse { run: Some(run) })
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    dossier_number: String,
    child: String,
    status: i16,
    amount_cents: i64,
    reasons: Vec<i16>,
    transfer_id: Option<String>,
    error: Option<String>,
}

/// ListAdvancesRunItems, parsed: empty filters select everything.
struct ItemsQuery {
    month: YearMonth,
    /// `None`: every status.
    status: Option<pb::AdvancesRunItemStatus>,
    dossier: String,
    page: wire::Page,
}

impl TryFrom<&pb::ListAdvancesRunItemsRequest> for ItemsQuery {
    type Error = ServiceError;

    fn try_from(req: &pb::ListAdvancesRunItemsRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let month = v.take_all(wire::year_month_from_pb("month", req.month.as_ref()));
        let status = v.take(wire::optional_enum("status", req.status));
        let page = v.take_all(wire::page_from_pb("page", req.page.as_ref()));
        v.finish(|| {
            Some(ItemsQuery {
                month: month?,
                status: status?,
                dossier: req.dossier_number.trim().to_owned(),
                page: page?,
            })
        })
    }
}

pub async fn list_items(
    api: &PaymentsApi,
    _caller: &Caller,
    req: pb::ListAdvancesRunItemsRequest,
) -> ServiceResult<pb::ListAdvancesRunItemsResponse> {
    let pool = &api.pool;
    let ItemsQuery {
        month,
        status,
        dossier,
        page,
    } = ItemsQuery::try_from(&req)?;
    // No cursor: the first page (the token of this listing is an offset).
    let offset = page.after.unwrap_or(0);
    let rows: Vec<ItemRow> = sqlx::query_as(
        "SELECT dossier_number, child, status, amount_cents, reasons, transfer_id, error FROM advances_run_items
         WHERE month = $1 AND ($2 = 0 OR status = $2) AND ($3 = '' OR dossier_number = $3)
         ORDER BY dossier_number, child OFFSET $4 LIMIT $5",
    )
    .bind(month.first_day())
    .bind(status.map_or(0, |s| s as i16))
    .bind(&dossier)
    .bind(offset)
    .bind(page.size)
    .fetch_all(pool)
    .await?;
    let m = wire::year_month_to_pb(month);
    Ok(pb::ListAdvancesRunItemsResponse {
        items: rows
            .iter()
            .map(|r| pb::AdvancesRunItem {
                dossier_number: r.dossier_number.clone(),
                child_person_id: r.child.clone(),
                month: Some(m),
                status: i32::from(r.status),
                amount: Some(cents_pb(r.amount_cents)),
                reasons: r.reasons.iter().map(|x| i32::from(*x)).collect(),
                // Only a paid item has a transfer, only a failed one an error.
                transfer_id: r.transfer_id.clone().unwrap_or_default(),
                error: r.error.clone().unwrap_or_default(),
                explanation: None,
            })
            .collect(),
        page: Some(wire::page_to_pb(
            &page,
            rows.len(),
            Some(offset + rows.len() as i64),
        )),
    })
}

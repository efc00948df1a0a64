//! RunMonthlyDues: every active dossier's claim account booked to the run date — each
//! creditor's dues and fees of every month due and not yet booked, the interest to the date,
//! the lines that became time-barred.
//!
//! Exactly once rests on the bookings themselves, not on the run's memory. Most dossiers take
//! the fast path (`fast`): their new months booked in bulk, a chunk of dossiers per
//! transaction under their accounts' row locks, without a call to the calculation service;
//! the others get a full booking each (`book`), in its own transaction under the dossier's
//! lock, which books only the difference between the rules and the ledger. Either way a
//! crash loses at most the chunks in flight, and a restart or a second concurrent start books
//! nothing twice: a dossier already booked to the run date or later (by this run, an event or
//! an act) is skipped. A dossier that cannot be booked (e.g. its title needs a CPI month not
//! yet published) is listed with the reason and retried by the next start.

use chrono::NaiveDate;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tonic::Status;

use super::book::{self, Order, not_future};
use super::target::Totals;
use crate::api::PaymentsApi;
use crate::calc_client::Calculation;
use crate::ledger::booking::Booking;

/// The progress of a run, then its end.
pub type RunStream = tonic::codegen::BoxStream<pb::RunMonthlyDuesResponse>;
type Sink = mpsc::Sender<Result<pb::RunMonthlyDuesResponse, Status>>;

/// Chunks booked at once (each holds a connection; a full booking waits on the calculation
/// service).
const WORKERS: usize = 4;
/// Failures listed in the last message.
const MAX_FAILURES: i64 = 100;

/// RunMonthlyDues, parsed.
struct RunCommand {
    key: String,
    run_date: NaiveDate,
}

impl TryFrom<&pb::RunMonthlyDuesRequest> for RunCommand {
    type Error = ServiceError;

    fn try_from(req: &pb::RunMonthlyDuesRequest) -> ServiceResult<Self> {
        let mut v = Violations::new();
        let key = v.idempotency_key(req.idempotency_key.as_ref());
        let run_date = v.take_all(not_future("run_date", req.run_date.as_ref()));
        v.finish(|| {
            Some(RunCommand {
                key: key?,
                run_date: run_date?,
            })
        })
    }
}

/// Starts the run in the background and answers its stream; the run goes on if the client
/// goes away.
pub(crate) async fn run_monthly(
    api: &PaymentsApi,
    caller: &Caller,
    req: pb::RunMonthlyDuesRequest,
) -> ServiceResult<RunStream> {
    let cmd = RunCommand::try_from(&req)?;
    let (pool, calc, actor, chunk) = (
        api.pool.clone(),
        api.calculation.clone(),
        caller.actor().id.clone(),
        api.dues_run_chunk,
    );
    Ok(crate::api::background_run(|sink| {
        run(pool, calc, actor, cmd, chunk, sink)
    }))
}

/// What became of one dossier.
enum Done {
    Skipped,
    Unchanged,
    Booked(Totals),
    Failed(String),
}

#[derive(Default)]
struct Counters {
    done: i64,
    booked: i64,
    failed: i64,
    totals: Totals,
}

impl Counters {
    fn add(&mut self, d: &Done) {
        self.done += 1;
        match d {
            Done::Booked(t) => {
                self.booked += 1;
                self.totals.principal += t.principal;
                self.totals.fee += t.fee;
                self.totals.interest += t.interest;
                self.totals.time_barred += t.time_barred;
            }
            Done::Failed(_) => self.failed += 1,
            Done::Skipped | Done::Unchanged => {}
        }
    }

    fn message(
        &self,
        run_date: NaiveDate,
        total: i64,
        state: pb::DuesRunState,
    ) -> pb::RunMonthlyDuesResponse {
        let m = |c| Some(crate::ledger::cents_pb(c));
        pb::RunMonthlyDuesResponse {
            run_date: Some(secal_runtime::wire::date_to_pb(run_date)),
            state: state as i32,
            dossiers_total: total,
            dossiers_done: self.done,
            dossiers_booked: self.booked,
            dossiers_failed: self.failed,
            principal: m(self.totals.principal),
            fee: m(self.totals.fee),
            interest: m(self.totals.interest),
            time_barred: m(self.totals.time_barred),
            reconciled: false,
            failures: Vec::new(),
        }
    }
}

#[tracing::instrument(skip_all, fields(run_date = %cmd.run_date))]
async fn run(
    pool: PgPool,
    calc: Option<Calculation>,
    actor: String,
    cmd: RunCommand,
    chunk: usize,
    sink: Sink,
) -> ServiceResult<()> {
    let dossiers = start(&pool, &cmd, &actor).await?;
    let total = i64::try_from(dossiers.len()).map_err(ServiceError::internal)?;
    // Dossiers per chunk: one fast-path transaction, and one progress message.
    let chunks: Vec<Vec<String>> = dossiers.chunks(chunk).map(<[String]>::to_vec).collect();
    let (results, mut done) = mpsc::channel::<Vec<(String, Done)>>(16);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let mine: Vec<Vec<String>> = chunks.iter().skip(w).step_by(WORKERS).cloned().collect();
        let worker = Worker {
            pool: pool.clone(),
            calc: calc.clone(),
            actor: actor.clone(),
            run_date: cmd.run_date,
        };
        let results = results.clone();
        workers.spawn(async move {
            for chunk in mine {
                if results.send(worker.chunk(chunk).await).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(results);
    let mut counters = Counters::default();
    while let Some(outcomes) = done.recv().await {
        record_outcomes(&pool, cmd.run_date, &outcomes).await?;
        for (_, outcome) in &outcomes {
            counters.add(outcome);
        }
        let progress = counters.message(cmd.run_date, total, pb::DuesRunState::Running);
        let _ = sink.send(Ok(progress)).await;
    }
    while workers.join_next().await.is_some() {}
    let last = finish(&pool, cmd.run_date, total, &counters).await?;
    // The gauge is a convenience: a failure to refresh it must not fail the run.
    if let Err(e) = super::watch::refresh_at_risk_metric(&pool).await {
        tracing::warn!(error = %e, "the prescription gauge was not refreshed");
    }
    // The watch's tasks likewise: the next run refreshes them again.
    if let Err(e) = refresh_watch_tasks(&pool, &actor).await {
        tracing::warn!(error = %e, "the prescription watch's tasks were not refreshed");
    }
    let _ = sink.send(Ok(last)).await;
    Ok(())
}

/// What a worker needs to book its chunks.
struct Worker {
    pool: PgPool,
    calc: Option<Calculation>,
    actor: String,
    run_date: NaiveDate,
}

impl Worker {
    /// One chunk: the fast path for what it can book in one transaction, the full booking
    /// for the rest, one dossier after the other.
    async fn chunk(&self, chunk: Vec<String>) -> Vec<(String, Done)> {
        let fast = match self.fast(&chunk).await {
            Ok(booked) => booked,
            Err(e) => {
                tracing::warn!(error = %e, "dues run: a fast batch failed; its dossiers are booked in full");
                Vec::new()
            }
        };
        let mut out: Vec<(String, Done)> = Vec::with_capacity(chunk.len());
        let fast_done: std::collections::HashSet<&str> =
            fast.iter().map(|b| b.dossier.as_str()).collect();
        for d in &chunk {
            if !fast_done.contains(d.as_str()) {
                let outcome = book_one(
                    &self.pool,
                    self.calc.as_ref(),
                    &self.actor,
                    d,
                    self.run_date,
                )
                .await;
                out.push((d.clone(), outcome));
            }
        }
        out.extend(fast.into_iter().map(|b| {
            let done = b.totals.map_or(Done::Unchanged, Done::Booked);
            (b.dossier, done)
        }));
        out
    }

    async fn fast(&self, chunk: &[String]) -> ServiceResult<Vec<super::fast::Booked>> {
        let mut tx = Booking::begin(&self.pool).await?;
        let booked = super::fast::book_batch(&mut tx, &self.actor, chunk, self.run_date).await?;
        tx.commit().await?;
        Ok(booked)
    }
}

/// Records the start and lists the active dossiers not yet booked to the run date.
async fn start(pool: &PgPool, cmd: &RunCommand, actor: &str) -> ServiceResult<Vec<String>> {
    sqlx::query(
        "INSERT INTO dues_runs (run_date, state, started_by, last_key) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_date) DO UPDATE SET state = $2, last_key = $4, finished_at = NULL",
    )
    .bind(cmd.run_date)
    .bind(pb::DuesRunState::Running as i16)
    .bind(actor)
    .bind(&cmd.key)
    .execute(pool)
    .await?;
    let dossiers: Vec<String> = sqlx::query_scalar(
        "SELECT s.dossier_number FROM dossier_states s
           LEFT JOIN claim_accounts a ON a.dossier_number = s.dossier_number
          WHERE s.status = $1 AND (a.booked_to IS NULL OR a.booked_to < $2)
          ORDER BY s.dossier_number",
    )
    .bind(pb::DossierStatus::Active as i16)
    .bind(cmd.run_date)
    .fetch_all(pool)
    .await?;
    sqlx::query("UPDATE dues_runs SET dossiers_total = $2 WHERE run_date = $1")
        .bind(cmd.run_date)
        .bind(i64::try_from(dossiers.len()).map_err(ServiceError::internal)?)
        .execute(pool)
        .await?;
    Ok(dossiers)
}

/// One dossier booked in its own transaction.
async fn book_one(
    pool: &PgPool,
    calc: Option<&Calculation>,
    actor: &str,
    dossier: &str,
    run_date: NaiveDate,
) -> Done {
    let attempt = async {
        let mut tx = Booking::begin(pool).await?;
        let order = Order {
            dossier,
            booked_to: run_date,
            kind: pb::ClaimBookingKind::DuesRun,
            reason: format!("dues run of {run_date}"),
            run_date: Some(run_date),
            actor,
        };
        let out = book::book(&mut tx, calc, order).await?;
        tx.commit().await?;
        ServiceResult::Ok(out)
    };
    match attempt.await {
        Ok(out) if out.booked_to.is_none() => Done::Skipped,
        Ok(out) if out.booking.is_none() => Done::Unchanged,
        Ok(out) => Done::Booked(out.totals),
        Err(e) => Done::Failed(e.to_string()),
    }
}

/// Failures kept with their reason (in the run and on the account), successes cleared, in
/// two statements per chunk.
async fn record_outcomes(
    pool: &PgPool,
    run_date: NaiveDate,
    outcomes: &[(String, Done)],
) -> ServiceResult<()> {
    let failed = |(_, d): &&(String, Done)| matches!(d, Done::Failed(_));
    let ok: Vec<&str> = outcomes
        .iter()
        .filter(|o| !failed(o))
        .map(|(d, _)| d.as_str())
        .collect();
    sqlx::query("DELETE FROM dues_run_failures WHERE run_date = $1 AND dossier_number = ANY($2)")
        .bind(run_date)
        .bind(&ok)
        .execute(pool)
        .await?;
    for (dossier, d) in outcomes.iter().filter(failed) {
        let Done::Failed(reason) = d else { continue };
        tracing::warn!(dossier, "dues run: dossier not booked");
        sqlx::query(
            "INSERT INTO dues_run_failures (run_date, dossier_number, reason) VALUES ($1, $2, $3)
             ON CONFLICT (run_date, dossier_number) DO UPDATE SET reason = $3, failed_at = now()",
        )
        .bind(run_date)
        .bind(dossier)
        .bind(reason)
        .execute(pool)
        .await?;
        let mut conn = pool.acquire().await?;
        book::record_failure(&mut conn, dossier, reason).await?;
    }
    Ok(())
}

/// The end of a start: the run's state, its control totals reconciled with the ledger, the
/// failures still open.
async fn finish(
    pool: &PgPool,
    run_date: NaiveDate,
    total: i64,
    c: &Counters,
) -> ServiceResult<pb::RunMonthlyDuesResponse> {
    let failures: Vec<(String, String)> = sqlx::query_as(
        "SELECT dossier_number, reason FROM dues_run_failures WHERE run_date = $1
          ORDER BY dossier_number LIMIT $2",
    )
    .bind(run_date)
    .bind(MAX_FAILURES)
    .fetch_all(pool)
    .await?;
    let state = if failures.is_empty() {
        pb::DuesRunState::Completed
    } else {
        pb::DuesRunState::CompletedWithFailures
    };
    sqlx::query("UPDATE dues_runs SET state = $2, finished_at = now() WHERE run_date = $1")
        .bind(run_date)
        .bind(state as i16)
        .execute(pool)
        .await?;
    let mut last = c.message(run_date, total, state);
    last.reconciled = reconciled(pool, run_date).await?;
    last.failures = failures
        .into_iter()
        .map(|(dossier_number, reason)| pb::DuesRunFailure {
            dossier_number,
            reason,
        })
        .collect();
    Ok(last)
}

/// Whether the run's bookings (every start) sum to the transfers they wrote, in number and in
/// signed amount (a correction counts negative).
async fn reconciled(pool: &PgPool, run_date: NaiveDate) -> ServiceResult<bool> {
    let (count_b, sum_b): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(sum(transfers), 0)::bigint,
                COALESCE(sum(principal_cents + fee_cents + interest_cents + barred_cents), 0)::bigint
           FROM claim_bookings WHERE run_date = $1",
    )
    .bind(run_date)
    .fetch_one(pool)
    .await?;
    let (count_t, sum_t): (i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(sum(CASE WHEN code = $2 THEN -amount ELSE amount END), 0)::bigint
           FROM ledger_transfers WHERE reference = $1",
    )
    .bind(format!("dues-run/{run_date}"))
    .bind(pb::TransferCode::Correction as i16)
    .fetch_one(pool)
    .await?;
    Ok(count_b == count_t && sum_b == sum_t)
}

/// Every dossier's prescription-watch task as the run's bookings left the lines.
async fn refresh_watch_tasks(pool: &PgPool, actor: &str) -> ServiceResult<()> {
    let mut tx = pool.begin().await?;
    let by = crate::casework::By::actor(actor);
    super::watch::refresh_watch_tasks(&mut tx, None, "RunMonthlyDues", by).await?;
    tx.commit().await?;
    Ok(())
}

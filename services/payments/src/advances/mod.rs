//! The monthly advances run: every eligible child of every active dossier gets its advance
//! exactly once per child and month.
//!
//! Exactly once rests on the database, not on the run's memory: each batch is one
//! transaction that writes the children's run items (primary key month+dossier+child) and
//! their ledger transfers (ids `advance/<YYYY-MM>/<dossier>/<child>/...`), under a
//! transaction lock of the month's shard, after re-reading which children are done. A crash
//! loses at most the batches in flight (rolled back); a restart, or a second concurrent
//! start, skips what is done. Eligibility and amounts come from the calculation service in
//! batches.
//!
//! Speed: the dossiers are split into shards by a hash of their number, written in parallel
//! (one connection each), and within a shard the next batch is read and assessed while the
//! current one is written. The transfer ids being new, the ledger skips its read-back (a
//! duplicate would fail the batch on the unique index, never pass).
//!
//! When every child is done, the grants and ends of the month are noted and the applicants'
//! letters requested (see `notices`).
//!
//! Dues first, then advances: the run books no debt. The claim account books each month's
//! maintenance (RunMonthlyDues, the activation's mandate); the run reads it from the ledger in
//! each batch's transaction and pays a child only on its month's dues, never more than the
//! creditor's open part of them (see `dues`). A child whose month is not booked yet fails, so
//! a start after the dues run pays it.

mod batches;
mod children;
mod dues;
mod notices;
mod store;

pub use children::count_of as children_count;
pub use store::{get_run, list_items};

use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::{Caller, ServiceError, ServiceResult, Violations, wire};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tonic::Status;

use crate::api::PaymentsApi;
use crate::calc_client::Calculation;
use batches::{Batches, Shard};
use children::Child;

/// Children per batch (one ComputeAdvances call and one transaction each).
const BATCH: usize = 5_000;
/// Shards written in parallel (two database connections at a time).
const SHARDS: i32 = 2;
const _: () = assert!(BATCH <= crate::calc_client::MAX_BATCH);

pub type Sink = mpsc::Sender<Result<pb::RunMonthlyAdvancesResponse, Status>>;

/// What became of one child.
#[derive(Debug, Clone)]
pub enum Outcome {
    Paid { cents: i64 },
    NotEligible { reasons: Vec<i32> },
    Failed(String),
}

#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    processed: i64,
    paid: i64,
    not_eligible: i64,
    failed: i64,
    cents: i64,
    already_done: i64,
}

fn cents_of(m: Option<&pb::Money>) -> Option<i64> {
    m.and_then(|m| m.amount.parse::<secal_domain::Money>().ok())
        .and_then(|m| m.to_cents().ok())
}

/// The children's cases are moved into the request (nothing reads them afterwards).
async fn assess(calc: Option<&Calculation>, todo: &mut [Child]) -> Vec<Outcome> {
    let items: Vec<pb::AdvanceBatchItem> = todo
        .iter_mut()
        .enumerate()
        .filter_map(|(i, c)| {
            c.case.take().map(|case| pb::AdvanceBatchItem {
                item_id: i.to_string(),
                advance_case: Some(case),
            })
        })
        .collect();
    let assessed: Vec<usize> = items
        .iter()
        .filter_map(|item| item.item_id.parse().ok())
        .collect();
    let mut out: Vec<Outcome> = todo
        .iter()
        .map(|_| Outcome::NotEligible {
            reasons: vec![pb::AdvanceIneligibilityReason::NoMaintenanceDue as i32],
        })
        .collect();
    if items.is_empty() {
        return out;
    }
    let results = match calc {
        None => Err(Status::failed_precondition(
            "no calculation service configured",
        )),
        Some(calc) => calc.compute_advances(items).await,
    };
    match results {
        Err(status) => {
            tracing::warn!(code = ?status.code(), "advance assessment failed for a batch");
            for i in assessed {
                if let Some(o) = out.get_mut(i) {
                    *o = Outcome::Failed(format!("calculation service: {:?}", status.code()));
                }
            }
        }
        Ok(results) => {
            for r in results {
                let Some(slot) = r.item_id.parse::<usize>().ok().and_then(|i| out.get_mut(i))
                else {
                    continue;
                };
                *slot = match r.assessment {
                    None => Outcome::Failed(
                        r.violations
                            .iter()
                            .map(|v| format!("{}: {}", v.field, v.description))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    Some(a) => match (a.eligible, cents_of(a.amount.as_ref())) {
                        (true, Some(c)) if c > 0 => Outcome::Paid { cents: c },
                        (true, _) => Outcome::Failed("eligible without an amount".into()),
                        (false, _) => Outcome::NotEligible { reasons: a.reasons },
                    },
                };
            }
        }
    }
    out
}

fn progress(month: YearMonth, total: i64, c: &Counters) -> pb::RunMonthlyAdvancesResponse {
    pb::RunMonthlyAdvancesResponse {
        update: Some(pb::run_monthly_advances_response::Update::Progress(
            pb::AdvancesRunProgress {
                month: Some(secal_runtime::wire::year_month_to_pb(month)),
                processed: c.processed,
                children_total: total,
                paid: c.paid,
                not_eligible: c.not_eligible,
                failed: c.failed,
                amount_so_far: Some(crate::ledger::cents_pb(c.cents)),
                already_done: c.already_done,
            },
        )),
    }
}

/// A batch ready to be written: the children not done yet and what became of them.
struct Prepared {
    todo: Vec<Child>,
    outcomes: Vec<Outcome>,
    already_done: i64,
}

/// The next batch, filtered and assessed. Nothing is written, so preparing the next batch
/// while the current one is written changes nothing to exactly once; it only keeps the
/// calculation service and the database busy at the same time.
async fn prepare(
    pool: &PgPool,
    batches: &mut Batches,
    calc: Option<&Calculation>,
    month: YearMonth,
) -> ServiceResult<Option<Prepared>> {
    let Some(batch) = batches.next().await? else {
        return Ok(None);
    };
    let recorded = store::recorded(pool, month, &batch).await?;
    let mut todo: Vec<Child> = batch.into_iter().filter(|ch| !recorded.done(ch)).collect();
    let outcomes = assess(calc, &mut todo).await;
    Ok(Some(Prepared {
        todo,
        outcomes,
        already_done: recorded.done_count() as i64,
    }))
}

/// What the shards share: the counters and where progress goes.
struct Shared {
    month: YearMonth,
    total: i64,
    every: i64,
    actor: String,
    counters: std::sync::Mutex<(Counters, i64)>,
    sink: Sink,
}

impl Shared {
    /// Adds a written batch to the counters; the progress message when one is due.
    fn add(
        &self,
        already_done: i64,
        written: &[Outcome],
    ) -> Option<pb::RunMonthlyAdvancesResponse> {
        let mut guard = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (c, next_report) = &mut *guard;
        c.already_done += already_done;
        c.processed += already_done;
        for o in written {
            c.processed += 1;
            match o {
                Outcome::Paid { cents } => {
                    c.paid += 1;
                    c.cents += cents;
                    business_metrics().paid(*cents);
                }
                Outcome::NotEligible { .. } => c.not_eligible += 1,
                Outcome::Failed(_) => c.failed += 1,
            }
        }
        (c.processed >= *next_report).then(|| {
            *next_report = c.processed + self.every;
            progress(self.month, self.total, c)
        })
    }
}

/// One shard, batch after batch, the next batch prepared while the current one is written.
async fn run_shard(
    pool: PgPool,
    calc: Option<Calculation>,
    shard: Shard,
    shared: std::sync::Arc<Shared>,
) -> ServiceResult<()> {
    let month = shared.month;
    let mut batches = Batches::new(pool.clone(), shard, month);
    let mut next = prepare(&pool, &mut batches, calc.as_ref(), month).await?;
    while let Some(cur) = next {
        let write =
            store::write_batch(&pool, month, shard, &shared.actor, &cur.todo, &cur.outcomes);
        let ahead = prepare(&pool, &mut batches, calc.as_ref(), month);
        let (written, ahead) = tokio::join!(write, ahead);
        let (written, raced) = written?;
        next = ahead?;
        if let Some(p) = shared.add(cur.already_done + raced, &written) {
            // A client that went away does not stop the run.
            let _ = shared.sink.send(Ok(p)).await;
        }
    }
    Ok(())
}

/// RunMonthlyAdvances, parsed: the month to run and how often to report progress.
pub struct RunCommand {
    pub month: YearMonth,
    pub every: i64,
}

impl TryFrom<&pb::RunMonthlyAdvancesRequest> for RunCommand {
    type Error = ServiceError;

    fn try_from(r: &pb::RunMonthlyAdvancesRequest) -> ServiceResult<Self> {
        Self::parse(r, chrono::Utc::now().date_naive())
    }
}

impl RunCommand {
    /// The request as of `today` (the services' UTC clock).
    fn parse(r: &pb::RunMonthlyAdvancesRequest, today: chrono::NaiveDate) -> ServiceResult<Self> {
        let mut v = Violations::new();
        v.idempotency_key(r.idempotency_key.as_ref());
        let month = v
            .take_all(wire::year_month_from_pb("month", r.month.as_ref()))
            .filter(|m| {
                // No advance before its month: its dues cannot be booked yet either.
                let started = m.first_day() <= today;
                if !started {
                    v.add(
                        "month",
                        format!("{m} has not started yet: no advance before its month"),
                    );
                }
                started
            });
        let every = match r.progress_every {
            0 => Some(1_000),
            n if n > 0 => Some(i64::from(n)),
            _ => {
                v.add("progress_every", "must not be negative");
                None
            }
        };
        v.finish(|| {
            Some(RunCommand {
                month: month?,
                every: every?,
            })
        })
    }
}

/// The progress of a run, then the run itself.
pub type RunStream = tonic::codegen::BoxStream<pb::RunMonthlyAdvancesResponse>;

/// RunMonthlyAdvances: starts the run in the background and answers its stream. The run goes
/// on if the client goes away; its end is recorded in the database.
pub async fn run_monthly(
    api: &PaymentsApi,
    caller: &Caller,
    request: pb::RunMonthlyAdvancesRequest,
) -> ServiceResult<RunStream> {
    let cmd = RunCommand::try_from(&request)?;
    let (pool, calc, actor) = (
        api.pool.clone(),
        api.calculation.clone(),
        caller.actor().id.clone(),
    );
    Ok(crate::api::background_run(|sink| {
        run(pool, calc, actor, cmd.month, cmd.every, sink)
    }))
}

/// Runs (or resumes, or follows) the month's run, streaming progress then the final run.
#[tracing::instrument(skip_all, fields(month = %month))]
pub async fn run(
    pool: PgPool,
    calc: Option<Calculation>,
    actor: String,
    month: YearMonth,
    every: i64,
    sink: Sink,
) -> ServiceResult<()> {
    store::start(&pool, month, &actor).await?;
    let started = std::time::Instant::now();
    let total = batches::children_total(&pool).await?;
    store::set_total(&pool, month, total).await?;
    let shared = std::sync::Arc::new(Shared {
        month,
        total,
        every,
        actor,
        counters: std::sync::Mutex::new((Counters::default(), every)),
        sink: sink.clone(),
    });
    let mut shards = tokio::task::JoinSet::new();
    for index in 0..SHARDS {
        let shard = Shard { index, of: SHARDS };
        shards.spawn(run_shard(pool.clone(), calc.clone(), shard, shared.clone()));
    }
    // Every shard runs to its end even if another fails: what one wrote stays written and
    // the run is marked by the first failure.
    let mut failure = None;
    while let Some(done) = shards.join_next().await {
        match done.map_err(ServiceError::internal).and_then(|r| r) {
            Ok(()) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    notices::note(&pool, month, &shared.actor).await?;
    let run = store::finish(&pool, month).await?;
    tracing::info!(
        children = total,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "advances run finished"
    );
    let _ = sink
        .send(Ok(pb::RunMonthlyAdvancesResponse {
            update: Some(pb::run_monthly_advances_response::Update::Run(run)),
        }))
        .await;
    Ok(())
}

/// Advances paid, exported with the RPC metrics (only what this run wrote: a child already
/// paid by an earlier attempt is not counted twice).
struct BusinessMetrics {
    paid: opentelemetry::metrics::Counter<u64>,
    cents: opentelemetry::metrics::Counter<u64>,
}

impl BusinessMetrics {
    fn paid(&self, cents: i64) {
        self.paid.add(1, &[]);
        // A paid advance is more than zero (see `assess`): the fallback is never taken.
        self.cents.add(u64::try_from(cents).unwrap_or(0), &[]);
    }
}

fn business_metrics() -> &'static BusinessMetrics {
    static METRICS: std::sync::OnceLock<BusinessMetrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(|| {
        let meter = secal_runtime::telemetry::meter();
        BusinessMetrics {
            paid: meter
                .u64_counter("secal.advances.paid")
                .with_description("advances paid to children")
                .build(),
            cents: meter
                .u64_counter("secal.advances.paid_cents")
                .with_unit("cent")
                .with_description("euro cents of advances paid")
                .build(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(year: i32, month: i32) -> pb::RunMonthlyAdvancesRequest {
        pb::RunMonthlyAdvancesRequest {
            idempotency_key: Some(pb::IdempotencyKey {
                value: "run-1".into(),
            }),
            month: Some(pb::YearMonth { year, month }),
            progress_every: 0,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_month_that_has_started_is_run() {
        let today = day(2026, 5, 1);
        for (y, m) in [(2026, 5), (2026, 4), (2024, 5)] {
            let cmd = RunCommand::parse(&request(y, m), today).unwrap();
            assert_eq!(cmd.month, YearMonth::new(y, m as u32).unwrap());
        }
    }

    #[test]
    fn a_month_that_has_not_started_is_refused_by_name() {
        let e = RunCommand::parse(&request(2026, 6), day(2026, 5, 31))
            .err()
            .unwrap();
        let fields: Vec<&str> = e.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["month"], "{e}");
        assert_eq!(tonic::Status::from(e).code(), tonic::Code::InvalidArgument);
    }
}

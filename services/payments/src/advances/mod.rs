//! The monthly advances run: every eligible child of every active dossier gets its advance
//! exactly once per child and month.
//!
//! Exactly once rests on the database, not on the run's memory: each batch is one
//! transaction that writes the children's run items (primary key month+dossier+child) and
//! their ledger transfers (ids `advance/<YYYY-MM>/<dossier>/<child>/...`), under a
//! transaction lock of the month, after re-reading which children are done. A crash loses
//! at most the batch in flight (rolled back); a restart, or a second concurrent start, skips
//! what is done. Eligibility and amounts come from the calculation service in batches.
//!
//! Per child with maintenance due, the run also recognizes the month's maintenance as the
//! debtor's debt (debtor-principal -> creditor-claim), so the month's advance is always
//! covered by the creditor's claim it steps into.

mod children;
mod store;

pub use store::{get_run, list_items};

use secal_domain::YearMonth;
use secal_proto::v1 as pb;
use secal_runtime::{ServiceError, ServiceResult};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tonic::Status;
use tonic_prost::prost::Message;

use crate::calc_client::Calculation;
use children::Child;

/// Children per batch (one ComputeAdvances call and one transaction each).
const BATCH: usize = 2_000;
const _: () = assert!(BATCH <= crate::calc_client::MAX_BATCH);

pub type Sink = mpsc::Sender<Result<pb::RunMonthlyAdvancesResponse, Status>>;

/// What became of one child.
#[derive(Debug, Clone)]
pub enum Outcome {
    Paid { cents: i64, due: i64 },
    NotEligible { reasons: Vec<i32>, due: i64 },
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

async fn assess(calc: Option<&Calculation>, todo: &[Child]) -> Vec<Outcome> {
    let items: Vec<pb::AdvanceBatchItem> = todo
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.case.clone().map(|case| pb::AdvanceBatchItem {
                item_id: i.to_string(),
                advance_case: Some(case),
            })
        })
        .collect();
    let mut out: Vec<Outcome> = todo
        .iter()
        .map(|_| Outcome::NotEligible {
            reasons: vec![pb::AdvanceIneligibilityReason::NoMaintenanceDue as i32],
            due: 0,
        })
        .collect();
    if items.is_empty() {
        return out;
    }
    let results = match calc {
        None => Err(Status::failed_precondition(
            "no calculation service configured",
        )),
        Some(calc) => calc.compute_advances(items.clone()).await,
    };
    match results {
        Err(status) => {
            tracing::warn!(code = ?status.code(), "advance assessment failed for a batch");
            for item in &items {
                if let Some(o) = item
                    .item_id
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| out.get_mut(i))
                {
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
                    Some(a) => {
                        let due = cents_of(a.maintenance_due.as_ref()).unwrap_or(0);
                        match (a.eligible, cents_of(a.amount.as_ref())) {
                            (true, Some(c)) if c > 0 => Outcome::Paid { cents: c, due },
                            (true, _) => Outcome::Failed("eligible without an amount".into()),
                            (false, _) => Outcome::NotEligible {
                                reasons: a.reasons,
                                due,
                            },
                        }
                    }
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

/// Active dossiers page by page (keyset on the dossier number).
async fn dossier_page(pool: &PgPool, after: &str) -> ServiceResult<Vec<(String, Vec<u8>)>> {
    Ok(sqlx::query_as(
        "SELECT dossier_number, snapshot FROM dossier_states WHERE status = $1 AND dossier_number > $2
         ORDER BY dossier_number LIMIT 1000",
    )
    .bind(pb::DossierStatus::Active as i16)
    .bind(after)
    .fetch_all(pool)
    .await?)
}

/// The children of active dossiers, batch by batch.
struct Batches<'a> {
    pool: &'a PgPool,
    month: YearMonth,
    after: String,
    pending: Vec<Child>,
    exhausted: bool,
}

impl<'a> Batches<'a> {
    fn new(pool: &'a PgPool, month: YearMonth) -> Self {
        Self {
            pool,
            month,
            after: String::new(),
            pending: Vec::new(),
            exhausted: false,
        }
    }

    async fn next(&mut self) -> ServiceResult<Option<Vec<Child>>> {
        while !self.exhausted && self.pending.len() < BATCH {
            let page = dossier_page(self.pool, &self.after).await?;
            match page.last() {
                None => self.exhausted = true,
                Some((last, _)) => self.after = last.clone(),
            }
            for (dossier, snapshot) in &page {
                let s = pb::DossierSnapshot::decode(snapshot.as_slice())
                    .map_err(ServiceError::internal)?;
                self.pending
                    .extend(children::children_of(dossier, &s, self.month));
            }
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        let rest = self.pending.split_off(BATCH.min(self.pending.len()));
        Ok(Some(std::mem::replace(&mut self.pending, rest)))
    }
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
    let mut total = 0i64;
    let mut count = Batches::new(&pool, month);
    while let Some(b) = count.next().await? {
        total += b.len() as i64;
    }
    store::set_total(&pool, month, total).await?;
    let mut c = Counters::default();
    let mut next_report = every;
    let mut batches = Batches::new(&pool, month);
    while let Some(batch) = batches.next().await? {
        let done = store::done(&pool, month, &batch).await?;
        let todo: Vec<Child> = batch
            .into_iter()
            .filter(|ch| !done.contains(&(ch.dossier.clone(), ch.child.clone())))
            .collect();
        c.already_done += done.len() as i64;
        c.processed += done.len() as i64;
        let outcomes = assess(calc.as_ref(), &todo).await;
        let (written, raced) = store::write_batch(&pool, month, &actor, &todo, &outcomes).await?;
        c.already_done += raced;
        c.processed += raced;
        for o in written {
            c.processed += 1;
            match o {
                Outcome::Paid { cents, .. } => {
                    c.paid += 1;
                    c.cents += cents;
                    business_metrics().paid(cents);
                }
                Outcome::NotEligible { .. } => c.not_eligible += 1,
                Outcome::Failed(_) => c.failed += 1,
            }
        }
        if c.processed >= next_report {
            next_report = c.processed + every;
            // A client that went away does not stop the run.
            let _ = sink.send(Ok(progress(month, total, &c))).await;
        }
    }
    let run = store::finish(&pool, month).await?;
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

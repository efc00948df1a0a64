//! A bounded mixed workload across the suite: submissions to intake (mutating, idempotent by
//! key, retried with the same key through failures), reads of submitted dossiers, arrears
//! calculations, and ledger bookings at payments (an advance funded and paid out, as one
//! all-or-none group under caller-chosen transfer ids), and — when given an assigned agent —
//! income look-ups at data-exchange. Latencies go into HDR histograms per operation; every acknowledged
//! submission is remembered so that a test can check none was lost or duplicated.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use secal_proto::v1::{
    self as pb, calculation_service_client::CalculationServiceClient,
    data_exchange_service_client::DataExchangeServiceClient,
    intake_service_client::IntakeServiceClient, ledger_service_client::LedgerServiceClient,
};
use tonic::{Code, Status, transport::Channel};

use super::form;

/// A lazily connected channel to `addr` (host:port), as every client of the load holds.
pub fn channel(addr: &str) -> anyhow::Result<Channel> {
    Ok(
        tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .connect_lazy(),
    )
}

/// Income look-ups by an agent assigned to a dossier (each one is logged).
#[derive(Clone)]
pub struct Lookups {
    pub data_exchange: Channel,
    pub token: String,
    pub request: pb::LookUpIncomesRequest,
}

/// An active dossier with an agent assigned to look up incomes, and the look-up (of the
/// debtor) that the load repeats.
// Used by the fault test and the floor bench; `secal-load` itself takes no look-ups.
#[allow(dead_code)]
pub async fn set_up_lookups(
    suite: &secal_testkit::Suite,
    intake: tonic::transport::Channel,
    data_exchange: tonic::transport::Channel,
) -> anyhow::Result<Lookups> {
    use chrono::Datelike;
    let mut client = IntakeServiceClient::new(intake.clone());
    let officer = suite.agent_token("agent-officer", &[secal_runtime::roles::CASE_OFFICER])?;
    let submitted = client
        .submit_application(
            suite.request(&officer, form::submit("faults-dx", form::mother_of_three())),
        )
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let active = form::to_active(&intake, suite, &officer, &submitted.application_id, "fx")
        .await?
        .dossier
        .unwrap_or_default();
    let dossier = active.dossier_number;
    client
        .assign_dossier_agent(suite.request(
            &officer,
            pb::AssignDossierAgentRequest {
                idempotency_key: form::key("faults-assign"),
                dossier: Some(pb::DossierRef {
                    id: Some(pb::dossier_ref::Id::DossierNumber(dossier.clone())),
                }),
                agent_id: "agent-lookup".into(),
                task: pb::AgentTask::IncomeLookup as i32,
                start_date: form::date(2007, 10, 1),
                end_date: None,
            },
        ))
        .await?;
    let year = chrono::Utc::now().year() - 1;
    Ok(Lookups {
        data_exchange,
        token: suite.agent_token("agent-lookup", &[secal_runtime::roles::INCOME_LOOKUP])?,
        request: pb::LookUpIncomesRequest {
            subject: form::nn(form::DEBTOR),
            dossier_number: dossier,
            purpose: pb::LookupPurpose::RecoveryStrategy as i32,
            sources: Vec::new(),
            scope: Some(pb::look_up_incomes_request::Scope::Period(pb::MonthRange {
                first_month: Some(pb::YearMonth { year, month: 1 }),
                last_month: Some(pb::YearMonth { year, month: 6 }),
            })),
            justification: "load under faults".into(),
            application_id: String::new(),
        },
    })
}

#[derive(Clone)]
pub struct Targets {
    pub intake: Channel,
    pub calculation: Channel,
    pub payments: Channel,
    /// A token with the case-officer and payments-operator roles.
    pub token: String,
    /// An arrears request (the seed's example 1).
    pub arrears: pb::ComputeArrearsRequest,
    pub lookups: Option<Lookups>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// At most this many operations …
    pub requests: u64,
    /// … and no longer than this.
    pub duration: Duration,
    pub concurrency: usize,
    /// In the idempotency keys, so that runs do not collide.
    pub run: u32,
    /// How long one operation is retried through unavailability before it counts as failed.
    pub retry_for: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Submit,
    GetDossier,
    ComputeArrears,
    LedgerBooking,
    LookUpIncomes,
}

/// The dossier the load books on, and the creditor account of booking `i`.
pub const LOAD_DOSSIER_SEQ: u32 = 999_001;

pub fn booking_ids(run: u32, i: u64) -> (String, String) {
    (
        format!("load-{run}-{i}-fund"),
        format!("load-{run}-{i}-payout"),
    )
}

/// Booking `i` of run `run`: an advance funded and paid out to one of the load dossier's
/// creditors, as one all-or-none group under caller-chosen transfer ids.
pub fn booking_request(run: u32, i: u64) -> Result<pb::CreateLedgerTransfersRequest, Status> {
    let dossier = load_dossier()?;
    let creditor = format!("child-{}", i % 4);
    let payable = format!("payable/{dossier}/{creditor}");
    let (fund, payout) = booking_ids(run, i);
    let leg =
        |id: String, debit: &str, credit: &str, code: pb::TransferCode| pb::LedgerTransferSpec {
            transfer_id: id,
            debit_account_id: debit.to_owned(),
            credit_account_id: credit.to_owned(),
            amount: Some(pb::Money {
                amount: "1.75".into(),
            }),
            code: code as i32,
            value_date: Some(pb::Date {
                year: 2024,
                month: 5,
                day: 2,
            }),
            reference: format!("load run {run}"),
            ..Default::default()
        };
    Ok(pb::CreateLedgerTransfersRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: fund.clone(),
        }),
        transfers: vec![
            leg(
                fund,
                "advances-funding",
                &payable,
                pb::TransferCode::Advance,
            ),
            leg(
                payout,
                &payable,
                &format!("paid-out/{dossier}/{creditor}"),
                pb::TransferCode::Payout,
            ),
        ],
    })
}

/// The dossier number the load books on.
pub fn load_dossier() -> Result<String, Status> {
    secal_domain::DossierNumber::new(2024, LOAD_DOSSIER_SEQ)
        .map(|d| d.to_string())
        .map_err(|e| Status::internal(e.to_string()))
}

pub struct OpStats {
    pub ok: u64,
    pub failed: u64,
    pub retries: u64,
    /// Microseconds, from the first attempt to the answer.
    pub latency: Histogram<u64>,
}

impl OpStats {
    fn new() -> Self {
        Self {
            ok: 0,
            failed: 0,
            retries: 0,
            latency: Histogram::new_with_bounds(1, 120_000_000, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
        }
    }
}

pub struct Report {
    pub elapsed: Duration,
    pub ops: BTreeMap<Op, OpStats>,
    /// (idempotency key, application id) of every submission answered OK.
    pub acknowledged: Vec<(String, String)>,
    /// Operation numbers of the ledger bookings answered OK.
    pub booked: Vec<u64>,
    /// Failures' codes and messages, first few only.
    pub errors: Vec<String>,
}

impl Report {
    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64().max(f64::EPSILON);
        let total: u64 = self.ops.values().map(|s| s.ok).sum();
        println!(
            "{total} operations in {secs:.1} s: {:.0} ops/s",
            total as f64 / secs
        );
        println!(
            "{:<16} {:>7} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9}",
            "operation", "ok", "failed", "retries", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        for (op, s) in &self.ops {
            let ms = |q: f64| s.latency.value_at_quantile(q) as f64 / 1000.0;
            println!(
                "{:<16} {:>7} {:>6} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                format!("{op:?}"),
                s.ok,
                s.failed,
                s.retries,
                ms(0.5),
                ms(0.9),
                ms(0.99),
                s.latency.max() as f64 / 1000.0
            );
        }
        for e in &self.errors {
            println!("  error: {e}");
        }
    }
}

struct Shared {
    targets: Targets,
    plan: Plan,
    next: AtomicU64,
    started: Instant,
    stats: Mutex<BTreeMap<Op, OpStats>>,
    acknowledged: Mutex<Vec<(String, String)>>,
    booked: Mutex<Vec<u64>>,
    errors: Mutex<Vec<String>>,
}

/// What a retry cannot make worse: the server did not answer, or answered "try again".
fn transient(s: &Status) -> bool {
    matches!(
        s.code(),
        Code::Unavailable
            | Code::Unknown
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::ResourceExhausted
            | Code::Internal
            | Code::Aborted
    )
}

fn with_token<T>(token: &str, message: T) -> Result<tonic::Request<T>, Status> {
    let mut r = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| Status::internal("token is not ASCII"))?;
    r.metadata_mut().insert("authorization", value);
    Ok(r)
}

impl Shared {
    fn pick(&self, i: u64) -> Op {
        let has_some = !self
            .acknowledged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        match i % 10 {
            0..=2 => Op::Submit,
            3..=4 if has_some => Op::GetDossier,
            3..=5 => Op::ComputeArrears,
            9 if self.targets.lookups.is_some() => Op::LookUpIncomes,
            _ => Op::LedgerBooking,
        }
    }

    async fn attempt(&self, op: Op, i: u64) -> Result<(), Status> {
        let t = &self.targets;
        match op {
            Op::Submit => {
                let key = format!("load-{}-{i}", self.plan.run);
                // The same persons for the same i in every run (the registry keeps one
                // record per national number); the birth dates stay plausible up to 50,000.
                let n = usize::try_from(i % 50_000).unwrap_or(0);
                let request = form::submit(&key, form::form_for(n));
                let answer = IntakeServiceClient::new(t.intake.clone())
                    .submit_application(with_token(&t.token, request)?)
                    .await?
                    .into_inner();
                let id = answer.dossier.map(|d| d.application_id).unwrap_or_default();
                self.acknowledged
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((key, id));
            }
            Op::GetDossier => {
                let id = {
                    let acked = self
                        .acknowledged
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    let k = usize::try_from(i).unwrap_or(0) % acked.len().max(1);
                    acked.get(k).map(|(_, id)| id.clone()).unwrap_or_default()
                };
                let request = pb::GetDossierRequest {
                    dossier: form::by_id(&id),
                };
                IntakeServiceClient::new(t.intake.clone())
                    .get_dossier(with_token(&t.token, request)?)
                    .await?;
            }
            Op::LedgerBooking => {
                let request = booking_request(self.plan.run, i)?;
                LedgerServiceClient::new(t.payments.clone())
                    .create_ledger_transfers(with_token(&t.token, request)?)
                    .await?;
                self.booked
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(i);
            }
            Op::LookUpIncomes => {
                let Some(l) = &t.lookups else {
                    return Ok(());
                };
                DataExchangeServiceClient::new(l.data_exchange.clone())
                    .look_up_incomes(with_token(&l.token, l.request.clone())?)
                    .await?;
            }
            Op::ComputeArrears => {
                CalculationServiceClient::new(t.calculation.clone())
                    .max_decoding_message_size(64 << 20)
                    .compute_arrears(with_token(&t.token, t.arrears.clone())?)
                    .await?;
            }
        }
        Ok(())
    }

    async fn one(&self, i: u64) {
        let op = self.pick(i);
        let start = Instant::now();
        let mut retries = 0;
        let outcome = loop {
            match self.attempt(op, i).await {
                Ok(()) => break Ok(()),
                Err(s) if transient(&s) && start.elapsed() < self.plan.retry_for => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(50 * retries.min(10))).await;
                }
                Err(s) => break Err(s),
            }
        };
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let s = stats.entry(op).or_insert_with(OpStats::new);
        s.retries += retries;
        match outcome {
            Ok(()) => {
                s.ok += 1;
                let _ = s.latency.record(micros.max(1));
            }
            Err(status) => {
                s.failed += 1;
                let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
                if errors.len() < 10 {
                    errors.push(format!(
                        "{op:?} #{i}: {:?} {}",
                        status.code(),
                        status.message()
                    ));
                }
            }
        }
    }
}

fn take<T: Default>(m: &Mutex<T>) -> T {
    std::mem::take(&mut *m.lock().unwrap_or_else(PoisonError::into_inner))
}

pub async fn run(targets: Targets, plan: Plan) -> Report {
    let shared = Arc::new(Shared {
        targets,
        plan: plan.clone(),
        next: AtomicU64::new(0),
        started: Instant::now(),
        stats: Mutex::new(BTreeMap::new()),
        acknowledged: Mutex::new(Vec::new()),
        booked: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
    });
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move {
                loop {
                    let i = shared.next.fetch_add(1, Ordering::Relaxed);
                    if i >= shared.plan.requests || shared.started.elapsed() >= shared.plan.duration
                    {
                        break;
                    }
                    shared.one(i).await;
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    Report {
        elapsed: shared.started.elapsed(),
        ops: take(&shared.stats),
        acknowledged: take(&shared.acknowledged),
        booked: take(&shared.booked),
        errors: take(&shared.errors),
    }
}

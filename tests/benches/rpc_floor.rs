//! Every service against its own floor: for each of the four services, a representative
//! read and write RPC next to `grpc.health.v1.Health/Check` on the same server, through the
//! same client, in the same run — first one call at a time on one connection, then 16 in
//! flight. Prints rates, p50/p99 latencies and the ratios to Health/Check, and the issue's
//! goals next to them.
//!
//! Health/Check is the floor because it pays for everything the stack adds to every call
//! (HTTP/2, the tower stack, TCP over loopback) and nothing of the work. A baseline that
//! shares a defect of the stack (a precomputed answer of the same size, the same look-up
//! without the log) would hide it: the 40 ms delayed-ACK wait on every answer larger than a
//! TCP segment went unseen that way.
//!
//! Run: `cargo bench -p secal-e2e --bench rpc_floor`
//! (`SECAL_BENCH_CALLS`, default 2,000 per RPC and mode, bounded at 100,000; writes that
//! cost more run a quarter of it. `SECAL_BENCH_PROFILE=1` also prints, for each RPC, the
//! statements one sequential call runs: pg_stat_statements calls and time per RPC call.
//! `SECAL_BENCH_ONLY=intake` (or another service) measures that service alone.)

// A benchmark stops on the first failure; that is what `expect` does here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(dead_code)]
#[path = "../load/engine.rs"]
mod engine;
#[path = "../e2e_intake_form.rs"]
mod form;

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use hdrhistogram::Histogram;
use secal_proto::v1::{
    self as pb, calculation_service_client::CalculationServiceClient,
    data_exchange_service_client::DataExchangeServiceClient,
    intake_service_client::IntakeServiceClient, ledger_service_client::LedgerServiceClient,
};
use secal_runtime::roles;
use secal_testkit::{Options, Suite, Svc, json::fixture};
use tokio::sync::Semaphore;
use tonic::{Status, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// The answer's encoded size.
type Answer = Pin<Box<dyn Future<Output = Result<usize, Status>> + Send>>;
/// One call of an RPC; `i` is unique across the probe's calls (writes key on it).
type Call = Arc<dyn Fn(u64) -> Answer + Send + Sync>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Floor,
    Read,
    Write,
}

struct Probe {
    service: &'static str,
    rpc: &'static str,
    kind: Kind,
    /// Share of the calls this probe makes (writes that take milliseconds run fewer).
    share: u64,
    /// One of `secal-load`'s operations: the goals are about those.
    in_load_mix: bool,
    call: Call,
}

#[derive(Clone, Copy)]
struct Measured {
    bytes: usize,
    rate: f64,
    p50_us: u64,
    p99_us: u64,
}

fn calls_setting() -> u64 {
    std::env::var("SECAL_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000u64)
        .clamp(10, 100_000)
}

fn size<M: prost::Message>(answer: tonic::Response<M>) -> usize {
    answer.get_ref().encoded_len()
}

fn request<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii token"),
    );
    r
}

fn health(channel: &Channel, service: &'static str) -> Call {
    let client = HealthClient::new(channel.clone());
    Arc::new(move |_| {
        let mut client = client.clone();
        Box::pin(async move {
            client
                .check(HealthCheckRequest {
                    service: service.to_owned(),
                })
                .await
                .map(size)
        })
    })
}

/// `n` calls, at most `in_flight` at once, each timed from send to answer.
async fn measure(call: &Call, next: &AtomicU64, n: u64, in_flight: usize) -> Measured {
    let gate = Arc::new(Semaphore::new(in_flight));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..n {
        let permit = gate.clone().acquire_owned().await.expect("gate");
        let i = next.fetch_add(1, Ordering::Relaxed);
        let answer = call(i);
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let mut result = answer.await;
            // "A concurrent change won": retried with the same request (and key), as a
            // caller does; the retry counts in the call's latency.
            for _ in 0..20 {
                match &result {
                    Err(s) if s.code() == tonic::Code::Aborted => result = call(i).await,
                    _ => break,
                }
            }
            let bytes = result.expect("the call succeeds");
            drop(permit);
            (
                u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX),
                bytes,
            )
        }));
    }
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
    let mut bytes = 0;
    for t in tasks {
        let (micros, size) = t.await.expect("task");
        latencies.record(micros.max(1)).expect("record");
        bytes = size;
    }
    let elapsed = started.elapsed().as_secs_f64().max(f64::EPSILON);
    Measured {
        bytes,
        rate: n as f64 / elapsed,
        p50_us: latencies.value_at_quantile(0.5),
        p99_us: latencies.value_at_quantile(0.99),
    }
}

struct Fixture {
    suite: Suite,
    token: String,
    dossier: String,
    lookups: engine::Lookups,
}

/// The statements of one probe's sequential calls (`SECAL_BENCH_PROFILE=1`).
struct Profile(Option<sqlx::PgPool>);

impl Profile {
    async fn start(suite: &Suite) -> Self {
        if !secal_testkit::profile::wanted() {
            return Self(None);
        }
        Self(Some(suite.admin_pool().await.expect("admin pool")))
    }

    async fn reset(&self) {
        if let Some(admin) = &self.0 {
            secal_testkit::profile::reset(admin).await.expect("reset");
        }
    }

    /// Statements per RPC call and database time per RPC call, top-level and nested.
    async fn print(&self, rpc_calls: u64) {
        let Some(admin) = &self.0 else { return };
        let rows: Vec<(String, i64, f64, bool)> = sqlx::query_as(
            "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 100), calls, total_exec_time,
                    toplevel
             FROM pg_stat_statements
             WHERE query NOT LIKE '%pg_stat_statements%'
             ORDER BY toplevel DESC, total_exec_time DESC",
        )
        .fetch_all(admin)
        .await
        .expect("statements");
        let n = rpc_calls.max(1) as f64;
        for (query, calls, ms, top) in rows {
            println!(
                "      {:>6.2} × {:>7.3} ms {} {query}",
                calls as f64 / n,
                ms / calls.max(1) as f64,
                if top { " " } else { "↳" }
            );
        }
    }
}

async fn fixture_suite() -> Fixture {
    secal_testkit::profile::start_pg_if_wanted().expect("postgres with statistics");
    let suite = Suite::start_with(
        &[
            Svc::Calculation,
            Svc::Payments,
            Svc::Intake,
            Svc::DataExchange,
        ],
        Options {
            unthrottled_lookups: true,
        },
    )
    .await
    .expect("suite");
    let token = suite
        .agent_token(
            "bench-agent",
            &[
                roles::CASE_OFFICER,
                roles::CALCULATION_USER,
                roles::PAYMENTS_OPERATOR,
                roles::AUDITOR,
            ],
        )
        .expect("token");
    let lookups = engine::set_up_lookups(
        &suite,
        suite.channel(Svc::Intake).await.expect("intake"),
        suite
            .channel(Svc::DataExchange)
            .await
            .expect("data-exchange"),
    )
    .await
    .expect("an agent assigned to look up incomes");
    let mut intake = IntakeServiceClient::new(suite.channel(Svc::Intake).await.expect("intake"));
    let dossier = intake
        .submit_application(request(
            &token,
            form::submit("floor-read", form::mother_of_three()),
        ))
        .await
        .expect("a dossier to read")
        .into_inner()
        .dossier
        .expect("dossier")
        .application_id;
    // A registry and dossiers to start from, with statistics, as a database in service has
    // (a fresh, never analysed one plans whole-table scans of tables that grow under the run).
    for i in 0..300 {
        let form = form::form_for(40_000 + i);
        intake
            .submit_application(request(
                &token,
                form::submit(&format!("floor-warm-{i}"), form),
            ))
            .await
            .expect("warm-up submission");
    }
    suite.analyze().await.expect("analyze");
    Fixture {
        suite,
        token,
        dossier,
        lookups,
    }
}

fn intake_probes(f: &Fixture, ch: &Channel) -> Vec<Probe> {
    let client = IntakeServiceClient::new(ch.clone()).max_decoding_message_size(64 << 20);
    let (c, token, id) = (client.clone(), f.token.clone(), f.dossier.clone());
    let read: Call = Arc::new(move |_| {
        let mut c = c.clone();
        let r = request(
            &token,
            pb::GetDossierRequest {
                dossier: form::by_id(&id),
            },
        );
        Box::pin(async move { c.get_dossier(r).await.map(size) })
    });
    let (c, token) = (client, f.token.clone());
    let write: Call = Arc::new(move |i| {
        let mut c = c.clone();
        // Persons of their own per call (form_for keeps them distinct below 50,000).
        let form = form::form_for(usize::try_from(i % 50_000).unwrap_or(0));
        let r = request(&token, form::submit(&format!("floor-{i}"), form));
        Box::pin(async move { c.submit_application(r).await.map(size) })
    });
    vec![
        probe("intake", "GetDossier", Kind::Read, 1, read),
        probe("intake", "SubmitApplication", Kind::Write, 4, write),
    ]
}

fn calculation_probes(f: &Fixture, ch: &Channel) -> Vec<Probe> {
    let client = CalculationServiceClient::new(ch.clone()).max_decoding_message_size(64 << 20);
    let seed: pb::ComputeArrearsRequest = fixture(
        "secal.v1.ComputeArrearsRequest",
        "calculation/seed_example_1.json",
    )
    .expect("seed example 1");
    let (c, token) = (client.clone(), f.token.clone());
    let arrears: Call = Arc::new(move |_| {
        let mut c = c.clone();
        let r = request(&token, seed.clone());
        Box::pin(async move { c.compute_arrears(r).await.map(size) })
    });
    let (c, token) = (client, f.token.clone());
    let surcharge: Call = Arc::new(move |_| {
        let mut c = c.clone();
        let r = request(
            &token,
            pb::ListReferenceValuesRequest {
                kind: pb::ReferenceKind::LegalInterestRate as i32,
                ..Default::default()
            },
        );
        Box::pin(async move { c.list_reference_values(r).await.map(size) })
    });
    vec![
        probe(
            "calculation",
            "ComputeArrears (seed 1)",
            Kind::Read,
            1,
            arrears,
        ),
        probe(
            "calculation",
            "ListReferenceValues",
            Kind::Read,
            1,
            surcharge,
        ),
    ]
}

fn data_exchange_probes(f: &Fixture, ch: &Channel) -> Vec<Probe> {
    let client = DataExchangeServiceClient::new(ch.clone());
    let (c, token) = (client.clone(), f.token.clone());
    let read: Call = Arc::new(move |_| {
        let mut c = c.clone();
        let r = request(
            &token,
            pb::ListAccessLogEntriesRequest {
                page: Some(pb::PageRequest {
                    page_size: 20,
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        Box::pin(async move { c.list_access_log_entries(r).await.map(size) })
    });
    let (c, l) = (client, f.lookups.clone());
    let write: Call = Arc::new(move |_| {
        let mut c = c.clone();
        let r = request(&l.token, l.request.clone());
        Box::pin(async move { c.look_up_incomes(r).await.map(size) })
    });
    vec![
        probe("data-exchange", "ListAccessLogEntries", Kind::Read, 1, read),
        probe("data-exchange", "LookUpIncomes", Kind::Write, 1, write),
    ]
}

fn payments_probes(f: &Fixture, ch: &Channel) -> Vec<Probe> {
    let client = LedgerServiceClient::new(ch.clone());
    let (c, token) = (client.clone(), f.token.clone());
    let dossier = engine::load_dossier().expect("dossier number");
    let read: Call = Arc::new(move |_| {
        let mut c = c.clone();
        let r = request(
            &token,
            pb::GetDossierLedgerRequest {
                dossier_number: dossier.clone(),
                as_of: None,
            },
        );
        Box::pin(async move { c.get_dossier_ledger(r).await.map(size) })
    });
    let (c, token) = (client, f.token.clone());
    let write: Call = Arc::new(move |i| {
        let mut c = c.clone();
        let r = engine::booking_request(7, i).map(|b| request(&token, b));
        Box::pin(async move { c.create_ledger_transfers(r?).await.map(size) })
    });
    vec![
        probe("payments", "CreateLedgerTransfers", Kind::Write, 1, write),
        probe("payments", "GetDossierLedger", Kind::Read, 1, read),
    ]
}

fn probe(service: &'static str, rpc: &'static str, kind: Kind, share: u64, call: Call) -> Probe {
    const LOAD_MIX: [&str; 5] = [
        "SubmitApplication",
        "GetDossier",
        "ComputeArrears (seed 1)",
        "CreateLedgerTransfers",
        "LookUpIncomes",
    ];
    Probe {
        service,
        rpc,
        kind,
        share,
        in_load_mix: LOAD_MIX.contains(&rpc),
        call,
    }
}

fn print_row(p: &Probe, mode: &str, m: &Measured, floor: &Measured) {
    println!(
        "{:<14} {:<26} {:<5} {:>8} {:>9.0} {:>8.3} {:>8.3} {:>9.3} {:>9.2}",
        p.service,
        p.rpc,
        mode,
        m.bytes,
        m.rate,
        m.p50_us as f64 / 1000.0,
        m.p99_us as f64 / 1000.0,
        m.rate / floor.rate,
        m.p50_us as f64 / floor.p50_us.max(1) as f64,
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let n = calls_setting();
        let f = fixture_suite().await;
        let mut groups = Vec::new();
        for (svc, probes) in [
            (
                Svc::Intake,
                intake_probes as fn(&Fixture, &Channel) -> Vec<Probe>,
            ),
            (Svc::Calculation, calculation_probes),
            (Svc::DataExchange, data_exchange_probes),
            (Svc::Payments, payments_probes),
        ] {
            let name = svc.grpc_name();
            if std::env::var("SECAL_BENCH_ONLY").is_ok_and(|only| only != svc_label(svc)) {
                continue;
            }
            // One client (one HTTP/2 connection) per service, as a caller holds.
            let ch = f.suite.channel(svc).await.expect("channel");
            let mut all = vec![probe(
                svc_label(svc),
                "Health/Check",
                Kind::Floor,
                1,
                health(&ch, name),
            )];
            all.extend(probes(&f, &ch));
            groups.push(all);
        }
        groups.push(vec![postgres_round_trip(&f.suite).await]);
        println!(
            "\n{:<14} {:<26} {:<5} {:>8} {:>9} {:>8} {:>8} {:>9} {:>9}",
            "service", "rpc", "mode", "bytes", "calls/s", "p50 ms", "p99 ms", "rate÷hc", "p50÷hc"
        );
        let mut verdicts = Vec::new();
        let profile = Profile::start(&f.suite).await;
        for group in &groups {
            for (mode, in_flight) in [("seq", 1usize), ("16", 16)] {
                let mut floor = None;
                for p in group {
                    let next = AtomicU64::new(u64::from(in_flight == 16) * 1_000_000);
                    let count = (n / p.share).max(10);
                    // A short warm-up: connections, prepared statements, caches.
                    measure(&p.call, &next, count.min(50), in_flight).await;
                    profile.reset().await;
                    let m = measure(&p.call, &next, count, in_flight).await;
                    let base = *floor.get_or_insert(m);
                    print_row(p, mode, &m, &base);
                    if in_flight == 1 && p.kind != Kind::Floor {
                        profile.print(count).await;
                    }
                    if mode == "seq" && p.in_load_mix {
                        verdicts.push(verdict(p, &m, &base));
                    }
                }
            }
        }
        println!("\ngoals (sequential, one connection):");
        for v in verdicts {
            println!("  {v}");
        }
    });
}

/// One database round trip (`SELECT 1` through a pool like the services'), for reading the
/// other figures: a call that runs N statements costs at least N of these.
async fn postgres_round_trip(suite: &Suite) -> Probe {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .test_before_acquire(false)
        .connect(&suite.role_url(Svc::Intake).expect("url"))
        .await
        .expect("pool");
    let call: Call = Arc::new(move |_| {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query("SELECT 1")
                .execute(&pool)
                .await
                .map(|_| 0)
                .map_err(|e| Status::internal(e.to_string()))
        })
    });
    probe("postgres", "SELECT 1", Kind::Floor, 1, call)
}

fn svc_label(svc: Svc) -> &'static str {
    match svc {
        Svc::Intake => "intake",
        Svc::Calculation => "calculation",
        Svc::DataExchange => "data-exchange",
        Svc::Payments => "payments",
    }
}

/// The goals: ComputeArrears at ≥ 0.5 × the Health/Check rate, every other RPC of
/// the load mix at p50 ≤ 5 × Health/Check's.
fn verdict(p: &Probe, m: &Measured, floor: &Measured) -> String {
    if p.rpc.starts_with("ComputeArrears") {
        let ratio = m.rate / floor.rate;
        let met = if ratio >= 0.5 { "met" } else { "NOT met" };
        format!(
            "{} {}: rate {ratio:.2} × Health/Check (goal ≥ 0.50): {met}",
            p.service, p.rpc
        )
    } else {
        let ratio = m.p50_us as f64 / floor.p50_us.max(1) as f64;
        let met = if ratio <= 5.0 { "met" } else { "NOT met" };
        format!(
            "{} {}: p50 {ratio:.2} × Health/Check (goal ≤ 5): {met}",
            p.service, p.rpc
        )
    }
}

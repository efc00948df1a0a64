//! Look-ups with the access log against the same look-ups with logging switched off, side by
//! side in one run: two data-exchange servers on the same database, intake and simulator,
//! measured in alternating rounds. Prints both rates and their ratio (goal: >= 0.5), and the
//! logged look-ups against the stack's floor, `Health/Check` of the same server at the same
//! concurrency (the two look-up paths share every cost of the stack, so their ratio alone
//! cannot show one).
//!
//! Run: `cargo bench -p secal-data-exchange --bench lookups`
//! (SECAL_BENCH_LOOKUPS, SECAL_BENCH_CONCURRENCY and SECAL_BENCH_ROUNDS change the size.)

// A benchmark stops on the first failure; that is what `expect` does here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

// The service binaries run on mimalloc; so do the services this bench runs in-process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../../../tests/e2e_intake_form.rs"]
mod form;
// The dossier, the assigned agent and the look-up are the load engine's (one set-up for the
// fault test, the floor bench and this one).
#[allow(dead_code)]
#[path = "../../../tests/load/engine.rs"]
mod engine;

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use secal_proto::v1::{self as pb, data_exchange_service_client::DataExchangeServiceClient};
use secal_runtime::{auth::PrincipalKind, service::ServiceContext};
use secal_testkit::{Options, Suite, Svc};
use tokio::sync::Semaphore;
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .clamp(1, 100_000)
}

async fn instance(suite: &Suite, with_log: bool) -> (DataExchangeServiceClient<Channel>, Channel) {
    let spec = secal_data_exchange::SPEC;
    let pool = secal_runtime::db::connect_and_migrate(
        &suite.role_url(Svc::DataExchange).unwrap(),
        spec.schema,
        10,
        spec.migrator,
    )
    .await
    .unwrap();
    let peers = HashMap::from([(Svc::Intake, suite.addr(Svc::Intake).unwrap())]);
    let mut config = Svc::data_exchange_config(&peers, Some(suite.simulator().unwrap().addr()));
    Options {
        unthrottled_lookups: true,
    }
    .apply(&mut config);
    config.source_timeout = Duration::from_secs(5);
    config.bench_without_access_log = !with_log;
    let ctx = ServiceContext {
        pool,
        settings: suite.server_settings().unwrap(),
        service_token: Some(
            suite
                .token("secal-data-exchange", PrincipalKind::System, &["service"])
                .unwrap(),
        ),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(secal_data_exchange::serve(
        ctx,
        config,
        listener,
        std::future::pending(),
    ));
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
    for _ in 0..50 {
        if let Ok(ch) = endpoint.connect().await {
            return (DataExchangeServiceClient::new(ch.clone()), ch);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("data-exchange did not start");
}

async fn run(
    suite: &Suite,
    client: &DataExchangeServiceClient<Channel>,
    token: &str,
    request: &pb::LookUpIncomesRequest,
    n: usize,
    concurrency: usize,
) -> Duration {
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let mut c = client.clone();
        let req = suite.request(token, request.clone());
        tasks.push(tokio::spawn(async move {
            let r = c.look_up_incomes(req).await;
            drop(permit);
            r.expect("look-up");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// `n` Health/Check calls, `concurrency` at a time.
async fn health(channel: &Channel, n: usize, concurrency: usize) -> Duration {
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let mut c = HealthClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            let r = c
                .check(HealthCheckRequest {
                    service: secal_proto::v1::data_exchange_service_server::SERVICE_NAME.into(),
                })
                .await;
            drop(permit);
            r.expect("health");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let n = setting("SECAL_BENCH_LOOKUPS", 2000);
        let concurrency = setting("SECAL_BENCH_CONCURRENCY", 8);
        let rounds = setting("SECAL_BENCH_ROUNDS", 4);
        let suite = Suite::start(&[
            Svc::Calculation,
            Svc::Payments,
            Svc::Intake,
            Svc::DataExchange,
        ])
        .await
        .unwrap();
        let set_up = engine::set_up_lookups(
            &suite,
            suite.channel(Svc::Intake).await.unwrap(),
            suite.channel(Svc::DataExchange).await.unwrap(),
        )
        .await
        .unwrap();
        let (token, request) = (set_up.token, set_up.request);
        let (logged, logged_channel) = instance(&suite, true).await;
        let (unlogged, _) = instance(&suite, false).await;
        // Warm-up of both paths.
        run(&suite, &logged, &token, &request, 50, concurrency).await;
        run(&suite, &unlogged, &token, &request, 50, concurrency).await;
        let per_round = n.div_ceil(rounds);
        let (mut with_log, mut without_log) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..rounds {
            without_log += run(&suite, &unlogged, &token, &request, per_round, concurrency).await;
            with_log += run(&suite, &logged, &token, &request, per_round, concurrency).await;
        }
        let floor = health(&logged_channel, per_round * rounds, concurrency).await;
        let total = (per_round * rounds) as f64;
        let rate_floor = total / floor.as_secs_f64();
        let rate_on = total / with_log.as_secs_f64();
        let rate_off = total / without_log.as_secs_f64();
        println!(
            "look-ups: {total} each way, concurrency {concurrency}, {rounds} alternating rounds"
        );
        println!("  with access log:    {rate_on:>9.1} look-ups/s");
        println!("  without access log: {rate_off:>9.1} look-ups/s");
        println!(
            "  ratio with/without: {:.3} (goal >= 0.5)",
            rate_on / rate_off
        );
        println!("  Health/Check:       {rate_floor:>9.1} calls/s (same server, same concurrency)");
        println!(
            "  ratio with log / Health/Check: {:.3}",
            rate_on / rate_floor
        );
    });
}

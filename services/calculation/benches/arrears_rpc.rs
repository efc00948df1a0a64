//! ComputeArrears through the running service over loopback, against a baseline server of
//! the same kind (same runtime, tower stack and authentication) whose handler returns a
//! precomputed response of the same size. The goal (issue 3): the service answers at no less
//! than half the baseline's rate. Both are measured in the same run; the summary prints both
//! rates and their ratio.
//!
//! Run: `cargo bench -p secal-calculation --bench arrears_rpc`

// A benchmark stops on the first failure; that is what `expect` does here.
#![allow(clippy::expect_used)]

mod case;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use secal_proto::v1::{
    self as pb,
    calculation_service_client::CalculationServiceClient,
    calculation_service_server::{CalculationService, CalculationServiceServer},
};
use secal_runtime::{AuthPolicy, roles, server};
use secal_testkit::{Suite, Svc};
use tonic::{Request, Response, Status, transport::Channel};

/// Answers ComputeArrears with a response computed once beforehand.
struct Baseline(pb::ComputeArrearsResponse);

#[tonic::async_trait]
impl CalculationService for Baseline {
    async fn compute_arrears(
        &self,
        _request: Request<pb::ComputeArrearsRequest>,
    ) -> Result<Response<pb::ComputeArrearsResponse>, Status> {
        Ok(Response::new(self.0.clone()))
    }
}

struct Setup {
    _suite: Suite,
    service: CalculationServiceClient<Channel>,
    baseline: CalculationServiceClient<Channel>,
    token: String,
    request: pb::ComputeArrearsRequest,
    response_bytes: usize,
}

async fn setup() -> Setup {
    let suite = Suite::start(&[Svc::Calculation]).await.expect("suite");
    let token = suite
        .agent_token("bench", &[roles::CALCULATION_USER])
        .expect("token");
    let mut service =
        CalculationServiceClient::new(suite.channel(Svc::Calculation).await.expect("channel"))
            .max_decoding_message_size(64 << 20);
    let request = case::request();
    let response = service
        .compute_arrears(suite.request(&token, request.clone()))
        .await
        .expect("the bench case computes")
        .into_inner();
    let lines: usize = response.creditors.iter().map(|c| c.lines.len()).sum();
    assert_eq!(lines, 960, "20 years × 12 months × 4 creditors");
    let response_bytes = response.encoded_len();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let policy = AuthPolicy::new().allow(
        "secal.v1.CalculationService",
        "ComputeArrears",
        &[roles::CALCULATION_USER],
    );
    let routes = tonic::service::Routes::new(CalculationServiceServer::new(Baseline(response)));
    let settings = suite.server_settings().expect("settings");
    tokio::spawn(server::serve(
        settings,
        policy,
        routes,
        &["secal.v1.CalculationService"],
        listener,
        std::future::pending(),
    ));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("baseline connects");
    let baseline = CalculationServiceClient::new(channel).max_decoding_message_size(64 << 20);
    Setup {
        _suite: suite,
        service,
        baseline,
        token,
        request,
        response_bytes,
    }
}

#[derive(Default)]
struct Tally {
    calls: u64,
    elapsed: Duration,
}

impl Tally {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

fn rpc(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let setup = rt.block_on(setup());
    let tallies = [
        Arc::new(Mutex::new(Tally::default())),
        Arc::new(Mutex::new(Tally::default())),
    ];
    let mut group = c.benchmark_group("compute_arrears_960_lines");
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    for (name, client, tally) in [
        ("service", &setup.service, &tallies[0]),
        ("baseline_precomputed", &setup.baseline, &tallies[1]),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let mut client = client.clone();
                let tally = tally.clone();
                let token = setup.token.clone();
                let request = setup.request.clone();
                async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut r = Request::new(request.clone());
                        r.metadata_mut().insert(
                            "authorization",
                            format!("Bearer {token}").parse().expect("ascii"),
                        );
                        client.compute_arrears(r).await.expect("answer");
                    }
                    let elapsed = start.elapsed();
                    let mut t = tally.lock().expect("tally");
                    t.calls += iters;
                    t.elapsed += elapsed;
                    elapsed
                }
            })
        });
    }
    group.finish();
    let service = tallies[0].lock().expect("tally").rate();
    let baseline = tallies[1].lock().expect("tally").rate();
    println!(
        "\nComputeArrears (960 lines, response {} bytes): service {service:.1} calls/s, \
         precomputed baseline {baseline:.1} calls/s, ratio {:.2} (goal ≥ 0.50)\n",
        setup.response_bytes,
        service / baseline
    );
}

criterion_group!(benches, rpc);
criterion_main!(benches);

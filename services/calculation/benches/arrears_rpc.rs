//! ComputeArrears through the running service over loopback, against the floor of the same
//! server: `grpc.health.v1.Health/Check`, through the same client, in the same run. Two cases:
//! seed example 1 (47 lines; goal: at least half the Health/Check rate, one call at a time)
//! and a 20-year table of 4 creditors (960 lines; goal: 500 calls/s with the default summary
//! explanation). Each case is measured at every explanation level, and the answer's size is
//! printed next to it.
//!
//! A baseline must not share the cost it is meant to reveal: an earlier version of this bench
//! compared the service with a precomputed answer of the same size, and both waited the same
//! 40 ms for a delayed ACK on every answer.
//!
//! Run: `cargo bench -p secal-calculation --bench arrears_rpc`
//! (`SECAL_BENCH_SECONDS`, default 3, is the time given to each measurement.)

// A benchmark stops on the first failure; that is what `expect` does here.
#![allow(clippy::expect_used)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod case;

use std::time::{Duration, Instant};

use prost::Message;
use secal_proto::v1::{self as pb, calculation_service_client::CalculationServiceClient};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc, json::fixture};
use tonic::{Request, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

fn seconds() -> Duration {
    let s = std::env::var("SECAL_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3u64)
        .clamp(1, 60);
    Duration::from_secs(s)
}

/// Calls per second of `call`, repeated one at a time for `time` (at most 1,000,000 calls).
async fn rate<F, Fut>(time: Duration, mut call: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..20 {
        call().await;
    }
    let started = Instant::now();
    let mut calls = 0u32;
    while started.elapsed() < time && calls < 1_000_000 {
        call().await;
        calls += 1;
    }
    f64::from(calls) / started.elapsed().as_secs_f64()
}

fn with_token<T>(token: &str, message: T) -> Request<T> {
    let mut r = Request::new(message);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    r
}

struct Bench {
    client: CalculationServiceClient<Channel>,
    token: String,
    time: Duration,
    health_rate: f64,
}

impl Bench {
    /// Measures one case at every explanation level; returns the summary's rate.
    async fn case(&self, name: &str, request: &pb::ComputeArrearsRequest) -> f64 {
        use pb::ArrearsExplanationLevel as L;
        let mut summary_rate = 0.0;
        for level in [L::Unspecified, L::Steps, L::Full] {
            let mut req = request.clone();
            req.explanation = level as i32;
            let answer = self
                .client
                .clone()
                .compute_arrears(with_token(&self.token, req.clone()))
                .await
                .expect("the case computes")
                .into_inner();
            let size = answer.encoded_len();
            let part = |n: usize| n * 100 / size.max(1);
            let lines: usize = answer
                .creditors
                .iter()
                .flat_map(|c| &c.lines)
                .map(Message::encoded_len)
                .sum();
            let composition = format!(
                "lines {}%, payment applications {}%, explanation {}%",
                part(lines),
                part(
                    answer
                        .payment_applications
                        .iter()
                        .map(Message::encoded_len)
                        .sum()
                ),
                part(answer.explanation.as_ref().map_or(0, Message::encoded_len)),
            );
            let r = rate(self.time, || {
                let mut c = self.client.clone();
                let r = with_token(&self.token, req.clone());
                async move {
                    c.compute_arrears(r).await.expect("answer");
                }
            })
            .await;
            if level == L::Unspecified {
                summary_rate = r;
            }
            println!(
                "{name:<22} {:<9} {:>9} {:>10.0} {:>10.3}  ({composition})",
                level
                    .as_str_name()
                    .trim_start_matches("ARREARS_EXPLANATION_LEVEL_")
                    .replace("UNSPECIFIED", "(default)"),
                size,
                r,
                r / self.health_rate
            );
        }
        summary_rate
    }
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let suite = Suite::start(&[Svc::Calculation]).await.expect("suite");
        let token = suite
            .agent_token("bench", &[roles::CALCULATION_USER])
            .expect("token");
        let channel = suite.channel(Svc::Calculation).await.expect("channel");
        let health = HealthClient::new(channel.clone());
        let time = seconds();
        let health_rate = rate(time, || {
            let mut h = health.clone();
            async move {
                h.check(HealthCheckRequest {
                    service: secal_proto::v1::calculation_service_server::SERVICE_NAME.into(),
                })
                .await
                .expect("health");
            }
        })
        .await;
        let bench = Bench {
            client: CalculationServiceClient::new(channel).max_decoding_message_size(64 << 20),
            token,
            time,
            health_rate,
        };
        println!(
            "\n{:<22} {:<9} {:>9} {:>10} {:>10}",
            "case", "level", "bytes", "calls/s", "÷ health"
        );
        println!(
            "{:<22} {:<9} {:>9} {:>10.0} {:>10.3}",
            "Health/Check", "", "", health_rate, 1.0
        );
        let seed: pb::ComputeArrearsRequest = fixture(
            "secal.v1.ComputeArrearsRequest",
            "calculation/seed_example_1.json",
        )
        .expect("seed example 1");
        let seed_rate = bench.case("seed 1 (47 lines)", &seed).await;
        let big_rate = bench.case("20 y × 4 (960 lines)", &case::request()).await;
        println!(
            "\ngoals: seed 1 at {:.2} × Health/Check (≥ 0.50); 960 lines at {big_rate:.0} calls/s \
             (≥ 500), one call at a time\n",
            seed_rate / health_rate
        );
    });
}

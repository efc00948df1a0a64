//! `secal-load`: a bounded mixed workload against a running suite (e.g. the local stack:
//! `source .secal/stack.env; target/debug/secal-load`), printing rates and latency
//! percentiles per operation. Submissions are idempotent by key and retried through
//! failures, so the run can be combined with killing services.

#[path = "../e2e_intake_form.rs"]
mod form;

mod engine;

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use secal_proto::v1 as pb;

#[derive(Debug, Parser)]
#[command(
    name = "secal-load",
    version,
    about = "Mixed gRPC load on the SECAL suite"
)]
struct Args {
    /// Intake address (host:port).
    #[arg(long, env = "SECAL_INTAKE_ADDR")]
    intake: String,
    /// Calculation address (host:port).
    #[arg(long, env = "SECAL_CALCULATION_ADDR")]
    calculation: String,
    /// Payments address (host:port).
    #[arg(long, env = "SECAL_PAYMENTS_ADDR")]
    payments: String,
    /// A token allowed to submit applications, compute and book (the local stack's
    /// SECAL_TOKEN).
    #[arg(long, env = "SECAL_TOKEN", hide_env_values = true)]
    token: String,
    /// Most operations to run.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    requests: u64,
    /// Longest run, in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    seconds: u64,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1_024))]
    concurrency: u64,
    /// Run number (idempotency keys and synthetic persons); defaults to the clock.
    #[arg(long)]
    run: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let arrears: pb::ComputeArrearsRequest = secal_testkit::json::fixture(
        "secal.v1.ComputeArrearsRequest",
        "calculation/seed_example_1.json",
    )
    .context("reading the arrears request")?;
    let run = args.run.unwrap_or_else(|| {
        let secs = chrono::Utc::now().timestamp().unsigned_abs();
        u32::try_from(secs % 40_000).unwrap_or(0)
    });
    let targets = engine::Targets {
        intake: engine::channel(&args.intake)?,
        calculation: engine::channel(&args.calculation)?,
        payments: engine::channel(&args.payments)?,
        token: args.token,
        arrears,
        // Look-ups need an agent assigned to a dossier: the fault test sets one up.
        lookups: None,
    };
    let plan = engine::Plan {
        requests: args.requests,
        duration: Duration::from_secs(args.seconds),
        concurrency: usize::try_from(args.concurrency)?,
        run,
        retry_for: Duration::from_secs(30),
    };
    println!(
        "secal-load run {run}: up to {} operations, {} s, {} in flight",
        plan.requests, args.seconds, plan.concurrency
    );
    let report = engine::run(targets, plan).await;
    report.print();
    println!(
        "{} submissions acknowledged, {} ledger bookings",
        report.acknowledged.len(),
        report.booked.len()
    );
    let failed: u64 = report.ops.values().map(|s| s.failed).sum();
    anyhow::ensure!(failed == 0, "{failed} operations failed");
    Ok(())
}

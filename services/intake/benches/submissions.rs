//! 10,000 SubmitApplication calls over gRPC (with some concurrency) against the in-process
//! intake service on a throwaway PostgreSQL, then a count of the stored rows: no application
//! lost, none duplicated (a sample is also retried). The same run measures a plain
//! single-row INSERT rate on the same PostgreSQL, at the same concurrency, and prints both
//! rates and their ratio.
//!
//! Run: `cargo bench -p secal-intake --bench submissions`
//! (SECAL_BENCH_SUBMISSIONS and SECAL_BENCH_CONCURRENCY change the size; bounded at 100,000.
//! SECAL_BENCH_PROFILE=1 prints where the submissions' database time went, by statement.)

// A benchmark stops on the first failure; that is what `expect` does here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

// The service binaries run on mimalloc; so do the services this bench runs in-process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../../../tests/e2e_intake_form.rs"]
mod form;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use secal_proto::v1::intake_service_client::IntakeServiceClient;
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use tokio::sync::Semaphore;
use tonic::Code;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .clamp(1, 100_000)
}

async fn submit_all(
    client: &IntakeServiceClient<tonic::transport::Channel>,
    suite: &Suite,
    token: &str,
    ids: impl Iterator<Item = usize>,
    concurrency: usize,
) -> (usize, Duration) {
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in ids {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let mut client = client.clone();
        let request = form::submit(&format!("bench-{i}"), form::form_for(i));
        let mut attempt = suite.request(token, request.clone());
        let token = token.to_owned();
        let retry = move || {
            let mut r = tonic::Request::new(request.clone());
            r.metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            r
        };
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            // A shed or aborted call is retried with the same key, as a client would.
            for _ in 0..20 {
                match client.submit_application(attempt).await {
                    Ok(_) => return true,
                    Err(s)
                        if matches!(
                            s.code(),
                            Code::Unavailable | Code::ResourceExhausted | Code::Aborted
                        ) =>
                    {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        attempt = retry();
                    }
                    Err(s) => {
                        eprintln!("submission {i} failed: {s:?}");
                        return false;
                    }
                }
            }
            false
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() {
            ok += 1;
        }
    }
    (ok, started.elapsed())
}

/// Plain single-row INSERTs, one statement per row, autocommit, same concurrency.
async fn baseline(pool: &sqlx::PgPool, n: usize, concurrency: usize) -> Duration {
    sqlx::query(
        "CREATE TABLE public.bench_plain_insert (
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             key text NOT NULL UNIQUE,
             created_at timestamptz NOT NULL DEFAULT now())",
    )
    .execute(pool)
    .await
    .unwrap();
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            sqlx::query("INSERT INTO public.bench_plain_insert (key) VALUES ($1)")
                .bind(format!("plain-{i}"))
                .execute(&pool)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let n = setting("SECAL_BENCH_SUBMISSIONS", 10_000);
    let concurrency = setting("SECAL_BENCH_CONCURRENCY", 16);
    // SECAL_BENCH_WITHOUT_CALCULATION=1 leaves admissibility out (to see what it costs).
    let services: &[Svc] = if std::env::var_os("SECAL_BENCH_WITHOUT_CALCULATION").is_some() {
        &[Svc::Payments, Svc::Intake]
    } else {
        &[Svc::Calculation, Svc::Payments, Svc::Intake]
    };
    secal_testkit::profile::start_pg_if_wanted().expect("postgres with statistics");
    let suite = Suite::start(services).await.expect("suite");
    let token = suite
        .agent_token("bench-officer", &[roles::CASE_OFFICER])
        .expect("token");
    let client = IntakeServiceClient::new(suite.channel(Svc::Intake).await.expect("channel"))
        .max_decoding_message_size(64 << 20);
    // A registry and dossiers to start from, with statistics, as a database in service has:
    // the plans of a fresh, never analysed database scan whole tables that grow under the
    // run (autovacuum's first analyse comes a minute later).
    let warm = (n / 5).clamp(100, 2_000);
    let (warmed, _) = submit_all(&client, &suite, &token, n..n + warm, concurrency).await;
    assert_eq!(warmed, warm, "warm-up");
    suite.analyze().await.expect("analyze");
    if secal_testkit::profile::wanted() {
        let admin = suite.admin_pool().await.expect("admin pool");
        secal_testkit::profile::reset(&admin).await.expect("reset");
    }

    println!("submitting {n} applications, {concurrency} at a time ...");
    let (ok, took) = submit_all(&client, &suite, &token, 0..n, concurrency).await;
    let rate = n as f64 / took.as_secs_f64();
    if secal_testkit::profile::wanted() {
        println!("database time of the submissions, by statement:");
        let admin = suite.admin_pool().await.expect("admin pool");
        secal_testkit::profile::print_top(&admin, 15)
            .await
            .expect("profile");
    }
    // Retry a sample with the same keys: answered from the stored result, never stored twice.
    let (retried_ok, _) =
        submit_all(&client, &suite, &token, (0..n).step_by(100), concurrency).await;

    let admin = suite.admin_pool().await.expect("admin pool");
    let (rows, distinct_keys, forms): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM intake.dossiers),
                (SELECT count(*) FROM intake.idempotency_keys WHERE method = 'SubmitApplication'),
                (SELECT count(*) FROM intake.application_forms)",
    )
    .fetch_one(&admin)
    .await
    .expect("count");
    let complete: i64 =
        sqlx::query_scalar("SELECT count(*) FROM intake.dossiers WHERE status = 'COMPLETE'")
            .fetch_one(&admin)
            .await
            .expect("count");

    // As many connections as the service's own pool in the suite, so that both sides have
    // the same share of the database.
    let (form_bytes, admissibility_bytes, response_bytes): (f64, f64, f64) = sqlx::query_as(
        "SELECT (SELECT avg(pg_column_size(form_protobuf))::float8 FROM intake.application_forms),
                (SELECT avg(pg_column_size(admissibility))::float8 FROM intake.dossiers),
                (SELECT avg(pg_column_size(response))::float8 FROM intake.idempotency_keys)",
    )
    .fetch_one(&admin)
    .await
    .expect("sizes");
    let plain_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(Suite::SERVICE_POOL_SIZE)
        .connect(&suite.admin_url().expect("admin url"))
        .await
        .expect("plain pool");
    let plain = baseline(&plain_pool, n, concurrency).await;
    let plain_rate = n as f64 / plain.as_secs_f64();

    println!("accepted:        {ok}/{n} (+{retried_ok} retries answered from the stored result)");
    println!(
        "stored:          {rows} applications, {forms} forms, {distinct_keys} keys, {complete} complete"
    );
    println!(
        "stored sizes:    form {form_bytes:.0} B, admissibility {admissibility_bytes:.0} B, \
         replay response {response_bytes:.0} B (after compression)"
    );
    println!(
        "submissions:     {rate:.0}/s ({n} in {:.2}s)",
        took.as_secs_f64()
    );
    println!(
        "plain INSERT:    {plain_rate:.0}/s ({n} in {:.2}s)",
        plain.as_secs_f64()
    );
    println!(
        "ratio:           {:.3} (submission rate / plain single-row INSERT rate)",
        rate / plain_rate
    );
    let (n, stored) = (n as i64, (n + warm) as i64);
    assert_eq!(
        (ok as i64, rows, forms, distinct_keys),
        (n, stored, stored, stored),
        "lost or duplicated"
    );
    assert_eq!(complete, stored);
}

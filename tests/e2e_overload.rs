//! Overload: `SECAL_MAX_CONCURRENT_REQUESTS` holds for the whole service process, over all
//! its connections. Many clients with one call each (the issue: 2,000 connections × 1 call)
//! get RESOURCE_EXHAUSTED at once for every call beyond the limit, never a pool time-out
//! (UNAVAILABLE) or INTERNAL; health and reflection still answer while the service is full;
//! and right after, ordinary calls succeed.
//!
//! The calls admitted are held inside the database (the test locks the table they read), so
//! exactly `limit` calls are in flight while the others arrive: the outcome does not depend
//! on the machine's speed. The number of connections is `SECAL_OVERLOAD_CONNECTIONS`
//! (default 2,000, the figure).
//!
//! Needs the service binaries (`cargo build --bins`), as the other process tests do.

mod common;

use std::{sync::Arc, time::Duration};

use anyhow::{Context, ensure};
use secal_proto::v1::{self as pb, calculation_service_client::CalculationServiceClient};
use secal_runtime::roles;
use secal_testkit::{
    Suite, Svc,
    process::{ServiceProcess, free_addr, service_binary},
};
use tokio::sync::{Semaphore, mpsc, watch};
use tonic::{Code, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Calls admitted at once by the service under test.
const LIMIT: usize = 4;
/// Its pool: larger than the limit, so that an admitted call never waits for a connection.
const POOL: usize = 8;
/// Each client's deadline. Shed calls must come back long before it; it only bounds the
/// test when shedding is broken (then calls end DEADLINE_EXCEEDED or UNAVAILABLE and the
/// test fails on their codes).
const DEADLINE: Duration = Duration::from_secs(20);

fn connections() -> anyhow::Result<usize> {
    match std::env::var("SECAL_OVERLOAD_CONNECTIONS") {
        Ok(v) => v
            .parse()
            .with_context(|| format!("SECAL_OVERLOAD_CONNECTIONS={v}")),
        Err(_) => Ok(2_000),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_process_limit_are_shed_at_once_and_the_service_recovers()
-> anyhow::Result<()> {
    let n = connections()?;
    ensure!(n > LIMIT, "SECAL_OVERLOAD_CONNECTIONS must exceed {LIMIT}");
    let suite = Suite::start(&[]).await?;
    let dir = tempfile::tempdir()?;
    let service = ServiceProcess::start_with_env(
        &service_binary(Svc::Calculation)?,
        &suite,
        Svc::Calculation,
        dir.path(),
        free_addr()?,
        &[
            ("SECAL_MAX_CONCURRENT_REQUESTS".into(), LIMIT.to_string()),
            ("SECAL_DB_MAX_CONNECTIONS".into(), POOL.to_string()),
        ],
    )
    .await?;
    let token = suite.agent_token("agent-overload", &[roles::CALCULATION_USER])?;
    let channels = connect_all(&service, n).await?;

    // Hold every admitted call inside the database until the shed ones have all answered.
    let admin = suite.admin_pool().await?;
    let mut lock = admin.begin().await?;
    sqlx::query("LOCK TABLE calculation.reference_values IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await?;

    let (go, mut results) = fire(&channels, &token);
    let _ = go.send(true);
    let mut shed_while_full = Vec::with_capacity(n - LIMIT);
    while shed_while_full.len() < n - LIMIT {
        match results.recv().await {
            Some(code) => shed_while_full.push(code),
            None => break,
        }
    }
    let misfits: Vec<_> = shed_while_full
        .iter()
        .filter(|c| **c != Code::ResourceExhausted)
        .collect();
    assert!(
        misfits.is_empty() && shed_while_full.len() == n - LIMIT,
        "{} of {} calls beyond the limit of {LIMIT} came back; not RESOURCE_EXHAUSTED: {}",
        shed_while_full.len(),
        n - LIMIT,
        summary(&misfits)
    );
    probe_while_full(&service, &channels[0], &token).await?;

    lock.rollback().await?;
    let mut admitted = Vec::with_capacity(LIMIT);
    while let Some(code) = results.recv().await {
        admitted.push(code);
    }
    assert_eq!(admitted, vec![Code::Ok; LIMIT], "the admitted calls");

    ordinary_calls_succeed(&channels, &token).await
}

/// One connection per client, opened a few at a time (the listen backlog is finite).
async fn connect_all(service: &ServiceProcess, n: usize) -> anyhow::Result<Vec<Channel>> {
    let gate = Arc::new(Semaphore::new(64));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let gate = gate.clone();
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", service.addr))?;
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            anyhow::Ok((i, endpoint.connect().await?))
        });
    }
    let mut channels: Vec<Option<Channel>> = vec![None; n];
    while let Some(joined) = tasks.join_next().await {
        let (i, channel) = joined??;
        channels[i] = Some(channel);
    }
    channels
        .into_iter()
        .map(|c| c.context("a connection was not opened"))
        .collect()
}

/// One call per connection, all released together by the returned sender; each call's
/// code arrives on the receiver as it completes.
fn fire(channels: &[Channel], token: &str) -> (watch::Sender<bool>, mpsc::Receiver<Code>) {
    let (go, ready) = watch::channel(false);
    let (tx, rx) = mpsc::channel(channels.len());
    for channel in channels {
        let mut ready = ready.clone();
        let tx = tx.clone();
        let mut client = CalculationServiceClient::new(channel.clone());
        let request = read_request(token);
        tokio::spawn(async move {
            let _ = ready.wait_for(|go| *go).await;
            let code = match client.list_reference_values(request).await {
                Ok(_) => Code::Ok,
                Err(status) => status.code(),
            };
            let _ = tx.send(code).await;
        });
    }
    (go, rx)
}

/// An ordinary read that goes to the database.
fn read_request(token: &str) -> tonic::Request<pb::ListReferenceValuesRequest> {
    let mut request = tonic::Request::new(pb::ListReferenceValuesRequest {
        kind: pb::ReferenceKind::LegalInterestRate as i32,
        ..Default::default()
    });
    request.set_timeout(DEADLINE);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// While every permit is taken: health and reflection answer on a new connection, and one
/// more call is shed with the reason and retry hint a client can act on.
async fn probe_while_full(
    service: &ServiceProcess,
    busy: &Channel,
    token: &str,
) -> anyhow::Result<()> {
    use tonic_types::StatusExt;
    let fresh = service.channel().await?;
    let health = HealthClient::new(fresh.clone())
        .check(HealthCheckRequest {
            service: Svc::Calculation.grpc_name().into(),
        })
        .await?
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);
    assert!(
        reflected_services(fresh)
            .await?
            .iter()
            .any(|s| s == Svc::Calculation.grpc_name()),
        "reflection did not answer while the service was full"
    );

    let status = CalculationServiceClient::new(busy.clone())
        .list_reference_values(read_request(token))
        .await
        .err()
        .context("a call beyond the limit succeeded")?;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(common::reason(&status), "SERVER_OVERLOADED");
    let retry = status.get_error_details().retry_info().cloned();
    assert!(
        retry.and_then(|r| r.retry_delay).is_some(),
        "no retry hint: {status:?}"
    );
    assert!(
        status.message().contains(&LIMIT.to_string()),
        "{}",
        status.message()
    );
    Ok(())
}

async fn reflected_services(channel: Channel) -> anyhow::Result<Vec<String>> {
    use tokio_stream::StreamExt;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::once(request))
        .await?
        .into_inner();
    match stream
        .next()
        .await
        .transpose()?
        .and_then(|r| r.message_response)
    {
        Some(MessageResponse::ListServicesResponse(list)) => {
            Ok(list.service.into_iter().map(|s| s.name).collect())
        }
        other => anyhow::bail!("unexpected reflection reply: {other:?}"),
    }
}

/// Right after the burst, the limit is free again: a full batch of calls in parallel over
/// the same connections, then one after the other, all succeed.
async fn ordinary_calls_succeed(channels: &[Channel], token: &str) -> anyhow::Result<()> {
    let mut batch = tokio::task::JoinSet::new();
    for channel in channels.iter().take(LIMIT) {
        let mut client = CalculationServiceClient::new(channel.clone());
        let request = read_request(token);
        batch.spawn(async move { client.list_reference_values(request).await.map(|_| ()) });
    }
    while let Some(joined) = batch.join_next().await {
        joined?.map_err(|s| anyhow::anyhow!("a call right after the burst failed: {s:?}"))?;
    }
    for channel in channels.iter().rev().take(20) {
        CalculationServiceClient::new(channel.clone())
            .list_reference_values(read_request(token))
            .await
            .map_err(|s| anyhow::anyhow!("a call right after the burst failed: {s:?}"))?;
    }
    Ok(())
}

fn summary(codes: &[&Code]) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for code in codes {
        *counts.entry(format!("{code:?}")).or_default() += 1;
    }
    format!("{counts:?}")
}

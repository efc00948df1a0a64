//! Faults under load: intake, calculation, payments and data-exchange (with the network
//! simulator) run as their real binaries while the
//! load generator's mixed workload runs; each service in turn is killed (SIGKILL) and
//! restarted on its address, then the PostgreSQL server itself is killed and restarted.
//! The server runs with full durability, as in production. Afterwards: every operation
//! eventually succeeded (callers retry with the same idempotency key), every acknowledged
//! submission and ledger booking is stored, none twice, the ledger balances, every answered
//! look-up is in the access log and its hash chain verifies.
//! Bounded: 400 operations, 8 in flight.
//!
//! The service binaries must be built (`cargo build --bins`; `scripts/test` does it).

#[path = "load/engine.rs"]
mod engine;
#[path = "e2e_intake_form.rs"]
mod form;

use std::{collections::HashSet, time::Duration};

use secal_proto::v1::{self as pb, data_exchange_service_client::DataExchangeServiceClient};
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{
    Suite, Svc,
    json::fixture,
    pg,
    process::{ServiceProcess, free_addr, service_binary},
};

struct Service {
    svc: Svc,
    addr: std::net::SocketAddr,
    env: Vec<(String, String)>,
    process: Option<ServiceProcess>,
}

impl Service {
    async fn start(
        suite: &Suite,
        svc: Svc,
        dir: &std::path::Path,
        env: Vec<(String, String)>,
        addr: std::net::SocketAddr,
    ) -> anyhow::Result<Self> {
        let process =
            ServiceProcess::start_with_env(&service_binary(svc)?, suite, svc, dir, addr, &env)
                .await?;
        Ok(Self {
            svc,
            addr,
            env,
            process: Some(process),
        })
    }

    async fn crash_and_restart(
        &mut self,
        suite: &Suite,
        dir: &std::path::Path,
    ) -> anyhow::Result<()> {
        if let Some(p) = self.process.take() {
            p.kill9().await?;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.process = Some(
            ServiceProcess::start_with_env(
                &service_binary(self.svc)?,
                suite,
                self.svc,
                dir,
                self.addr,
                &self.env,
            )
            .await?,
        );
        Ok(())
    }
}

/// The social-security network simulator, as its own process.
async fn start_simulator(addr: std::net::SocketAddr) -> anyhow::Result<tokio::process::Child> {
    let binary = service_binary(Svc::DataExchange)?.with_file_name("secal-ssn-simulator");
    let child = tokio::process::Command::new(binary)
        .arg("--listen")
        .arg(addr.to_string())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(child);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the simulator did not listen on {addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_acknowledged_is_lost_or_duplicated_through_crashes() -> anyhow::Result<()> {
    // What the product runs on: a server that keeps what it acknowledged through a crash.
    let server = pg()?;
    server.stop()?;
    server.start_durable()?;
    let suite = Suite::start(&[]).await?;
    let dir = tempfile::tempdir()?;
    let (calc_addr, pay_addr, intake_addr) = (free_addr()?, free_addr()?, free_addr()?);
    let token_file = dir.path().join("intake.token");
    std::fs::write(
        &token_file,
        suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let mut calculation =
        Service::start(&suite, Svc::Calculation, dir.path(), vec![], calc_addr).await?;
    let mut payments = Service::start(&suite, Svc::Payments, dir.path(), vec![], pay_addr).await?;
    let intake_env = vec![
        ("SECAL_CALCULATION_ADDR".to_owned(), calc_addr.to_string()),
        ("SECAL_PAYMENTS_ADDR".to_owned(), pay_addr.to_string()),
        (
            "SECAL_SERVICE_TOKEN_FILE".to_owned(),
            token_file.display().to_string(),
        ),
    ];
    let mut intake =
        Service::start(&suite, Svc::Intake, dir.path(), intake_env, intake_addr).await?;
    let (ssn_addr, dx_addr) = (free_addr()?, free_addr()?);
    let _simulator = start_simulator(ssn_addr).await?;
    let dx_token = dir.path().join("dx.token");
    std::fs::write(
        &dx_token,
        suite.token(
            "secal-data-exchange",
            PrincipalKind::System,
            &[roles::SERVICE],
        )?,
    )?;
    let dx_env = vec![
        ("SECAL_INTAKE_ADDR".to_owned(), intake_addr.to_string()),
        ("SECAL_SSN_ADDR".to_owned(), ssn_addr.to_string()),
        (
            "SECAL_SERVICE_TOKEN_FILE".to_owned(),
            dx_token.display().to_string(),
        ),
        // Fixed keys: the log's checkpoints stay verifiable across the restart.
        ("SECAL_ACCESS_LOG_SIGNING_SEED".to_owned(), "11".repeat(32)),
        ("SECAL_ACCESS_LOG_SUBJECT_KEY".to_owned(), "22".repeat(32)),
        (
            "SECAL_ACCESS_LOG_CHECKPOINT_EVERY".to_owned(),
            "10".to_owned(),
        ),
    ];
    let mut data_exchange =
        Service::start(&suite, Svc::DataExchange, dir.path(), dx_env, dx_addr).await?;

    let channel = |addr: std::net::SocketAddr| engine::channel(&addr.to_string());
    let targets = engine::Targets {
        intake: channel(intake_addr)?,
        calculation: channel(calc_addr)?,
        payments: channel(pay_addr)?,
        token: suite.agent_token(
            "agent-load",
            &[roles::CASE_OFFICER, roles::PAYMENTS_OPERATOR],
        )?,
        arrears: fixture::<pb::ComputeArrearsRequest>(
            "secal.v1.ComputeArrearsRequest",
            "calculation/seed_example_1.json",
        )?,
        lookups: Some(
            engine::set_up_lookups(&suite, channel(intake_addr)?, channel(dx_addr)?).await?,
        ),
    };
    let plan = engine::Plan {
        requests: 400,
        duration: Duration::from_secs(240),
        concurrency: 8,
        run: 1,
        retry_for: Duration::from_secs(60),
    };
    let load = tokio::spawn(engine::run(targets, plan));

    for service in [
        &mut calculation,
        &mut intake,
        &mut payments,
        &mut data_exchange,
    ] {
        tokio::time::sleep(Duration::from_millis(700)).await;
        service.crash_and_restart(&suite, dir.path()).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.start_durable()?;

    let report = load.await?;
    report.print();
    let failed: u64 = report.ops.values().map(|s| s.failed).sum();
    assert_eq!(
        failed, 0,
        "every operation succeeded in the end: {:?}",
        report.errors
    );
    let retried: u64 = report.ops.values().map(|s| s.retries).sum();
    assert!(retried > 0, "the faults were felt by the load");

    let admin = suite.admin_pool().await?;
    let stored: Vec<(String,)> = sqlx::query_as("SELECT application_id::text FROM intake.dossiers")
        .fetch_all(&admin)
        .await?;
    let stored: HashSet<String> = stored.into_iter().map(|(id,)| id).collect();
    let keys: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM intake.idempotency_keys WHERE method = 'SubmitApplication'",
    )
    .fetch_one(&admin)
    .await?;
    let acked: HashSet<&str> = report
        .acknowledged
        .iter()
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(
        acked.len(),
        report.acknowledged.len(),
        "one application per key"
    );
    assert!(!acked.is_empty());
    for id in &acked {
        assert!(
            stored.contains(*id),
            "acknowledged application {id} was lost"
        );
    }
    assert_eq!(
        i64::try_from(stored.len())?,
        keys,
        "each submission key stored one application, no more"
    );

    // The ledger: every acknowledged booking is there, once, with both its legs; nothing
    // stored beyond what was asked; and it balances.
    assert!(!report.booked.is_empty());
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT transfer_id FROM payments.ledger_transfers WHERE transfer_id LIKE 'load-%'",
    )
    .fetch_all(&admin)
    .await?;
    let ids: HashSet<String> = ids.into_iter().map(|(id,)| id).collect();
    for i in &report.booked {
        let (fund, payout) = engine::booking_ids(1, *i);
        assert!(
            ids.contains(&fund) && ids.contains(&payout),
            "booking {i} lost"
        );
    }
    let funds = ids.iter().filter(|id| id.ends_with("-fund")).count();
    assert_eq!(funds * 2, ids.len(), "legs stored all or none");
    let (debits, credits, posted): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(debits_posted) FROM payments.ledger_account_totals)::bigint,
                (SELECT sum(credits_posted) FROM payments.ledger_account_totals)::bigint,
                (SELECT COALESCE(sum(amount), 0) FROM payments.ledger_transfers
                  WHERE state = 2)::bigint",
    )
    .fetch_one(&admin)
    .await?;
    assert_eq!((debits, credits), (posted, posted), "the ledger balances");
    assert_eq!(posted, i64::try_from(ids.len())? * 175, "1.75 a leg");

    // The access log: every acknowledged look-up logged, and the chain intact through the
    // crashes of data-exchange and of PostgreSQL.
    let looked_up = report
        .ops
        .get(&engine::Op::LookUpIncomes)
        .map_or(0, |s| s.ok);
    assert!(looked_up > 0);
    let auditor = suite.agent_token("agent-auditor", &[roles::AUDITOR])?;
    let verified = DataExchangeServiceClient::new(channel(dx_addr)?)
        .verify_access_log(suite.request(&auditor, pb::VerifyAccessLogRequest::default()))
        .await?
        .into_inner();
    assert!(verified.intact, "{verified:?}");
    let granted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM data_exchange.access_log WHERE outcome = 'granted'",
    )
    .fetch_one(&admin)
    .await?;
    assert!(
        granted >= i64::try_from(looked_up)?,
        "{granted} logged, {looked_up} answered"
    );
    Ok(())
}

//! The outbox survives a crash: an event committed with a dossier change but not yet
//! delivered (the relay held by a setting) is delivered after a kill -9 and restart, and
//! arrives once in effect at payments.

use std::{net::SocketAddr, path::Path, process::Stdio, time::Duration};

use secal_proto::v1::intake_service_client::IntakeServiceClient;
use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{Suite, Svc, process::service_env};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_secal-intake");

#[path = "../../../tests/e2e_intake_form.rs"]
mod form;

/// The intake binary with the suite's settings plus `extra`.
async fn start(
    suite: &Suite,
    dir: &Path,
    addr: SocketAddr,
    extra: &[(&str, String)],
) -> anyhow::Result<Child> {
    let mut env = service_env(suite, Svc::Intake, dir, addr)?;
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let child = Command::new(BIN)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    for _ in 0..200 {
        if let Ok(ch) = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
            .connect()
            .await
        {
            use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
            if HealthClient::new(ch)
                .check(HealthCheckRequest {
                    service: Svc::Intake.grpc_name().into(),
                })
                .await
                .is_ok()
            {
                return Ok(child);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("intake did not start")
}

#[tokio::test]
async fn an_event_committed_before_a_kill_9_is_delivered_once_after_restart() -> anyhow::Result<()>
{
    let suite = Suite::start(&[Svc::Calculation, Svc::Payments]).await?;
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("intake.jwt");
    std::fs::write(
        &token_file,
        suite.token("secal-intake", PrincipalKind::System, &[roles::SERVICE])?,
    )?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut settings = vec![
        ("SECAL_SERVICE_TOKEN_FILE", token_file.display().to_string()),
        (
            "SECAL_CALCULATION_ADDR",
            suite.addr(Svc::Calculation)?.to_string(),
        ),
        (
            "SECAL_PAYMENTS_ADDR",
            suite.addr(Svc::Payments)?.to_string(),
        ),
        ("SECAL_OUTBOX_POLL_INTERVAL", "100ms".to_owned()),
        ("SECAL_OUTBOX_RELAY_PAUSED", "true".to_owned()),
    ];
    let mut child = start(&suite, dir.path(), addr, &settings).await?;
    let officer = suite.agent_token("agent-officer", &[roles::CASE_OFFICER])?;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut client = IntakeServiceClient::new(channel.clone());
    let d = client
        .submit_application(suite.request(&officer, form::submit("p-1", form::mother_of_three())))
        .await?
        .into_inner()
        .dossier
        .unwrap_or_default();
    let activated = form::to_active(&channel, &suite, &officer, &d.application_id, "p").await?;
    let admin = suite.admin_pool().await?;
    let pending = || async {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT (SELECT count(*) FROM intake.dossier_events WHERE delivered_at IS NULL),
                    (SELECT count(*) FROM payments.dossier_events)",
        )
        .fetch_one(&admin)
        .await
    };
    assert_eq!(pending().await?, (1, 0), "committed, not delivered");

    child.kill().await?;
    settings.retain(|(k, _)| *k != "SECAL_OUTBOX_RELAY_PAUSED");
    let mut child = start(&suite, dir.path(), addr, &settings).await?;
    let mut state = (1, 0);
    for _ in 0..100 {
        state = pending().await?;
        if state == (0, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, (0, 1), "delivered after the restart, once");
    let received: String = sqlx::query_scalar("SELECT event_id::text FROM payments.dossier_events")
        .fetch_one(&admin)
        .await?;
    assert_eq!(received, activated.event_id);

    // A redelivery (as after a crash between delivery and marking) changes nothing.
    sqlx::query("UPDATE intake.dossier_events SET delivered_at = NULL")
        .execute(&admin)
        .await?;
    for _ in 0..100 {
        if pending().await?.0 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        pending().await?,
        (0, 1),
        "redelivered and ignored by event id"
    );
    let applied: i64 = sqlx::query_scalar("SELECT dossier_version FROM payments.dossier_states")
        .fetch_one(&admin)
        .await?;
    assert_eq!(Some(applied), activated.dossier.map(|d| d.version));

    let pid = child.id().map(|p| p.to_string()).unwrap_or_default();
    Command::new("kill").arg("-TERM").arg(&pid).status().await?;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await??;
    assert!(
        status.success(),
        "SIGTERM stops the relay and the server cleanly: {status}"
    );
    Ok(())
}

//! The real `secal-intake` binary: a kill -9 loses nothing acknowledged, bad start-up
//! settings give one clear line, SIGTERM stops it cleanly.

use std::path::Path;

use secal_proto::v1::{self as pb, persons_service_client::PersonsServiceClient};
use secal_runtime::roles;
use secal_testkit::{
    Suite, Svc,
    process::{ServiceProcess, run_to_exit, service_env},
};

const BIN: &str = env!("CARGO_BIN_EXE_secal-intake");

fn register(key: &str, nn: &str) -> pb::RegisterPersonRequest {
    pb::RegisterPersonRequest {
        idempotency_key: Some(pb::IdempotencyKey { value: key.into() }),
        national_number: Some(pb::NationalNumber { value: nn.into() }),
        family_name: "Janssens".into(),
        given_names: "An".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn kill_9_and_restart_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let suite = Suite::start(&[]).await?;
    let dir = tempfile::tempdir()?;
    let token = suite.agent_token("agent-reg", &[roles::REGISTRAR])?;

    let process = ServiceProcess::start(Path::new(BIN), &suite, Svc::Intake, dir.path()).await?;
    let addr = process.addr;
    let mut client = PersonsServiceClient::new(process.channel().await?);
    let acknowledged = client
        .register_person(suite.request(&token, register("crash-1", "85073003328")))
        .await?
        .into_inner();
    process.kill9().await?;

    let process =
        ServiceProcess::start_on(Path::new(BIN), &suite, Svc::Intake, dir.path(), addr).await?;
    let mut client = PersonsServiceClient::new(process.channel().await?);
    let found = client
        .get_person(suite.request(
            &token,
            pb::GetPersonRequest {
                lookup: Some(pb::get_person_request::Lookup::NationalNumber(
                    pb::NationalNumber {
                        value: "85073003328".into(),
                    },
                )),
            },
        ))
        .await?
        .into_inner();
    assert_eq!(found.person, acknowledged.person);
    // The retry after the crash is answered from the stored result, not done twice.
    let retried = client
        .register_person(suite.request(&token, register("crash-1", "85073003328")))
        .await?
        .into_inner();
    assert_eq!(retried, acknowledged);

    let status = process.terminate().await?;
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    Ok(())
}

fn one_line(stderr: &str) -> &str {
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(lines.len() <= 3, "a short message, not a trace: {stderr}");
    lines.first().copied().unwrap_or_default()
}

#[tokio::test]
async fn bad_settings_stop_the_service_with_one_clear_line() -> anyhow::Result<()> {
    let suite = Suite::start(&[]).await?;
    let dir = tempfile::tempdir()?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let good = service_env(&suite, Svc::Intake, dir.path(), addr)?;
    let with = |key: &str, value: &str| -> Vec<(String, String)> {
        let mut env: Vec<_> = good.iter().filter(|(k, _)| k != key).cloned().collect();
        env.push((key.into(), value.into()));
        env
    };

    let cases = [
        (with("SECAL_LISTEN_ADDR", "not-an-address"), "--listen"),
        (
            with("SECAL_REQUEST_TIMEOUT", "30 parsecs"),
            "--request-timeout",
        ),
        (
            with(
                "SECAL_DATABASE_URL",
                "postgres://secal_intake@127.0.0.1:1/secal",
            ),
            "cannot connect to the database",
        ),
        (
            with("SECAL_DATABASE_URL", "postgres://127.0.0.1/secal"),
            "must name the user",
        ),
        (
            with("SECAL_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
            "token public key",
        ),
        (
            good.iter()
                .filter(|(k, _)| k != "SECAL_DATABASE_URL")
                .cloned()
                .collect(),
            "SECAL_DATABASE_URL",
        ),
    ];
    // Outside the local stack a service needs its certificate.
    let no_tls: Vec<_> = good
        .iter()
        .filter(|(k, _)| k != "SECAL_PLAINTEXT")
        .cloned()
        .collect();
    let cases = cases.into_iter().chain([(no_tls, "SECAL_TLS_CERT_FILE")]);
    for (env, expected) in cases {
        let (ok, stderr) = run_to_exit(Path::new(BIN), &env, &[]).await?;
        assert!(!ok, "must not start: {expected}");
        let first = one_line(&stderr);
        assert!(stderr.contains(expected), "{expected:?} not in {first:?}");
    }

    // The key file exists but holds no key.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a key")?;
    let (ok, stderr) = run_to_exit(
        Path::new(BIN),
        &with("SECAL_JWT_PUBLIC_KEY_FILE", &junk.display().to_string()),
        &[],
    )
    .await?;
    assert!(!ok);
    assert!(one_line(&stderr).contains("token public key"), "{stderr}");
    Ok(())
}

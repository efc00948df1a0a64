//! A client that no one here wrote — `buf curl`, which learns the API by reflection — lists
//! and calls all four services; without a token it is refused. `scripts/install-deps`
//! installs `buf` (PyPI `buf-bin`).

#![allow(clippy::expect_used)] // test helpers: a failure is the test failing

use std::net::SocketAddr;

use secal_runtime::{auth::PrincipalKind, roles};
use secal_testkit::{Suite, Svc};
use tokio::process::Command;

struct BufOutput {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn buf_curl(
    addr: SocketAddr,
    token: Option<&str>,
    path: &str,
    body: Option<&str>,
) -> BufOutput {
    let mut cmd = Command::new("buf");
    cmd.args(["curl", "--protocol", "grpc", "--http2-prior-knowledge"]);
    if let Some(token) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    if let Some(body) = body {
        cmd.args(["-d", body]);
    }
    if path.is_empty() {
        cmd.arg("--list-methods");
    }
    cmd.arg(format!("http://{addr}{path}"));
    let out = cmd
        .output()
        .await
        .expect("`buf` must be on PATH: run scripts/install-deps (pip install buf-bin)");
    BufOutput {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn buf_curl_lists_and_calls_every_service_by_reflection() -> anyhow::Result<()> {
    let suite = Suite::start(&Svc::ALL).await?;
    let admin = suite.token("ops-admin", PrincipalKind::Agent, &[roles::ADMIN])?;

    let calls = [
        (
            Svc::Intake,
            "RegisterPerson",
            r#"{"idempotencyKey":{"value":"buf-1"},"nationalNumber":{"value":"85073003328"},"familyName":"Dupont","givenNames":"Marie"}"#,
            "\"created\": true",
        ),
        (
            Svc::Calculation,
            "ListReferenceValues",
            r#"{"kind":"REFERENCE_KIND_LEGAL_INTEREST_RATE"}"#,
            "\"values\"",
        ),
        (
            Svc::DataExchange,
            "ListAccessLogEntries",
            "{}",
            "\"entries\"",
        ),
        (
            Svc::Payments,
            "ListDebtorPayments",
            r#"{"dossierNumber":"SEC-2026-000001-05"}"#,
            "{",
        ),
    ];
    for (svc, method, body, expected) in calls {
        let addr = suite.addr(svc)?;
        let listed = buf_curl(addr, None, "", None).await;
        assert!(listed.ok, "{svc:?}: {}", listed.stderr);
        let service = svc.service_of(method).expect("a declared method");
        let full = format!("{service}/{method}");
        assert!(
            listed.stdout.lines().any(|l| l.trim() == full),
            "{svc:?}: {}",
            listed.stdout
        );

        let path = format!("/{full}");
        let refused = buf_curl(addr, None, &path, Some(body)).await;
        assert!(!refused.ok, "{svc:?} answered without a token");
        assert!(
            refused.stderr.contains("unauthenticated"),
            "{svc:?}: {}",
            refused.stderr
        );

        let called = buf_curl(addr, Some(&admin), &path, Some(body)).await;
        assert!(called.ok, "{svc:?} {method}: {}", called.stderr);
        assert!(
            called.stdout.contains(expected),
            "{svc:?} {method}: {}",
            called.stdout
        );
    }
    Ok(())
}

//! A service run as its real binary, for tests of what only a process shows: kill -9 and
//! restart, start-up errors, SIGTERM draining.

use std::{net::SocketAddr, path::Path, process::Stdio, time::Duration};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::suite::{ISSUER, Suite, Svc};

pub struct ServiceProcess {
    pub addr: SocketAddr,
    child: Child,
}

/// The environment a service binary needs to run against the suite's database, with the
/// public key written into `dir`.
pub fn service_env(
    suite: &Suite,
    svc: Svc,
    dir: &Path,
    addr: SocketAddr,
) -> anyhow::Result<Vec<(String, String)>> {
    let key = dir.join("issuer.pub.pem");
    std::fs::write(&key, suite.issuer_public_pem()?)?;
    Ok(vec![
        ("SECAL_LISTEN_ADDR".into(), addr.to_string()),
        ("SECAL_DATABASE_URL".into(), suite.role_url(svc)?),
        (
            "SECAL_JWT_PUBLIC_KEY_FILE".into(),
            key.display().to_string(),
        ),
        ("SECAL_JWT_ISSUER".into(), ISSUER.into()),
        ("SECAL_LOG_FORMAT".into(), "text".into()),
        ("SECAL_PLAINTEXT".into(), "true".into()),
        ("RUST_LOG".into(), "warn".into()),
    ])
}

/// The built binary of `svc`, beside the running test's folder (`target/<profile>/deps`).
/// Integration tests of another package get no `CARGO_BIN_EXE_*`; `cargo build --bins`
/// (which `scripts/test` runs) puts the binaries there.
pub fn service_binary(svc: Svc) -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .context("no target folder")?;
    let path = dir.join(format!("secal-{}", svc.spec().name));
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build the services first (cargo build --bins)",
        path.display()
    );
    Ok(path)
}

pub fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

impl ServiceProcess {
    /// Starts `binary` and waits until its health service reports SERVING.
    pub async fn start(binary: &Path, suite: &Suite, svc: Svc, dir: &Path) -> anyhow::Result<Self> {
        let addr = free_addr()?;
        Self::start_on(binary, suite, svc, dir, addr).await
    }

    pub async fn start_on(
        binary: &Path,
        suite: &Suite,
        svc: Svc,
        dir: &Path,
        addr: SocketAddr,
    ) -> anyhow::Result<Self> {
        Self::start_with_env(binary, suite, svc, dir, addr, &[]).await
    }

    /// As `start_on`, with settings of its own (peers' addresses, OTLP endpoint, …) added;
    /// an empty value unsets a variable. With `SECAL_HEALTH_LISTEN_ADDR` among them, readiness
    /// is read there (a server with mutual TLS answers no plaintext probe).
    pub async fn start_with_env(
        binary: &Path,
        suite: &Suite,
        svc: Svc,
        dir: &Path,
        addr: SocketAddr,
        extra: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(binary);
        command.envs(service_env(suite, svc, dir, addr)?);
        for (k, v) in extra {
            if v.is_empty() {
                command.env_remove(k);
            } else {
                command.env(k, v);
            }
        }
        let probe = extra
            .iter()
            .find(|(k, v)| k == "SECAL_HEALTH_LISTEN_ADDR" && !v.is_empty())
            .map(|(_, v)| v.parse::<SocketAddr>())
            .transpose()?
            .unwrap_or(addr);
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut process = Self { addr, child };
        process.wait_serving(svc, probe).await?;
        Ok(process)
    }

    async fn wait_serving(&mut self, svc: Svc, probe: SocketAddr) -> anyhow::Result<()> {
        wait_serving(&mut self.child, probe, svc, Duration::from_millis(50), 200)
            .await
            .with_context(|| format!("{svc:?}"))
    }

    pub async fn channel(&self) -> anyhow::Result<tonic::transport::Channel> {
        Ok(
            tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr))?
                .connect()
                .await?,
        )
    }

    /// SIGKILL: no chance to flush or drain, as in a crash.
    pub async fn kill9(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(mut self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().context("process already gone")?;
        Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await?;
        Ok(tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await??)
    }
}

/// Runs `binary` with `env` (plus `args`) and returns its exit success and stderr.
pub async fn run_to_exit(
    binary: &Path,
    env: &[(String, String)],
    args: &[&str],
) -> anyhow::Result<(bool, String)> {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(binary)
            .env_clear()
            .envs(env.iter().cloned())
            .args(args)
            .stdin(Stdio::null())
            .output(),
    )
    .await??;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Waits until `child`, serving on `probe`, reports `svc` SERVING by gRPC health, asking
/// every `every` at most `attempts` times; fails as soon as the process exits. The one wait
/// of the test kit and the local stack.
pub async fn wait_serving(
    child: &mut Child,
    probe: SocketAddr,
    svc: Svc,
    every: Duration,
    attempts: u32,
) -> anyhow::Result<()> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    for _ in 0..attempts {
        if let Some(status) = child.try_wait()? {
            bail!("exited while starting: {status}");
        }
        if let Ok(ch) = tonic::transport::Endpoint::from_shared(format!("http://{probe}"))?
            .connect()
            .await
        {
            let reply = HealthClient::new(ch)
                .check(HealthCheckRequest {
                    service: svc.grpc_name().into(),
                })
                .await;
            if reply.is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving) {
                return Ok(());
            }
        }
        tokio::time::sleep(every).await;
    }
    bail!("did not report SERVING on {probe}")
}

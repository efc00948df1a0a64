//! `secal-dev up`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, bail};
use secal_runtime::auth::{PrincipalKind, roles};
use secal_testkit::{PgServer, Svc};
use tokio::process::{Child, Command};

use crate::{
    access_log_keys::{self, AccessLogKeys},
    postgres::{PgState, PgWatch},
    tokens,
};

const DATABASE: &str = "secal";

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Port of the local PostgreSQL.
    #[arg(long, env = "SECAL_DEV_PG_PORT", default_value_t = 55432)]
    pub pg_port: u16,
    /// First gRPC port: intake, calculation, data-exchange and payments take four in a row,
    /// the social-security network simulator the fifth.
    #[arg(long, env = "SECAL_DEV_BASE_PORT", default_value_t = 50051)]
    pub base_port: u16,
    /// Address the services listen on.
    #[arg(long, env = "SECAL_DEV_HOST", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
}

fn binary(svc: Svc) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .context("no folder for the current executable")?;
    let path = dir.join(format!("secal-{}", svc.spec().name));
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build the services first (cargo build --bins)",
        path.display()
    );
    Ok(path)
}

struct Supervised {
    svc: Svc,
    addr: SocketAddr,
    child: Child,
    restarts: u32,
}

struct Stack {
    dir: PathBuf,
    pg: PgServer,
    pg_watch: PgWatch,
    /// data-exchange's keys, the same at every start (see `access_log_keys`).
    access_log_keys: AccessLogKeys,
    children: Vec<Supervised>,
    /// Every service's address, known before any starts, so that each is told where the
    /// services it calls are (intake: calculation and payments).
    addrs: HashMap<Svc, SocketAddr>,
    /// The social-security network SIMULATOR (synthetic people) data-exchange talks to.
    simulator: Option<(SocketAddr, Child)>,
}

/// Starts `secal-ssn-simulator` (synthetic data only) next to the services.
fn spawn_simulator(dir: &Path, addr: SocketAddr) -> anyhow::Result<Child> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .context("no folder for the current executable")?
        .join("secal-ssn-simulator");
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build the services first (cargo build --bins)",
        path.display()
    );
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs.join("ssn-simulator.log"))?;
    Command::new(path)
        .arg("--listen")
        .arg(addr.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .context("starting secal-ssn-simulator")
}

/// A service's JSON over HTTP listener: its gRPC port + 10 (50061 for intake's 50051).
pub(crate) fn http_addr(grpc: SocketAddr) -> SocketAddr {
    SocketAddr::new(grpc.ip(), grpc.port() + 10)
}

pub(crate) fn env_name(svc: Svc) -> &'static str {
    match svc {
        Svc::Intake => "SECAL_INTAKE_ADDR",
        Svc::Calculation => "SECAL_CALCULATION_ADDR",
        Svc::DataExchange => "SECAL_DATA_EXCHANGE_ADDR",
        Svc::Payments => "SECAL_PAYMENTS_ADDR",
    }
}

impl Stack {
    fn spawn(&self, svc: Svc, addr: SocketAddr) -> anyhow::Result<Child> {
        let name = svc.spec().name;
        let logs = self.dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logs.join(format!("{name}.log")))?;
        let mut cmd = Command::new(binary(svc)?);
        cmd.env("SECAL_LISTEN_ADDR", addr.to_string())
            .env("SECAL_HTTP_LISTEN_ADDR", http_addr(addr).to_string())
            // The local stack is the one place without mutual TLS.
            .env("SECAL_PLAINTEXT", "true")
            .env("SECAL_DATABASE_URL", self.pg.role_url(DATABASE, svc.role()))
            .env(
                "SECAL_JWT_PUBLIC_KEY_FILE",
                tokens::public_key_path(&self.dir),
            )
            .env(
                "SECAL_SERVICE_TOKEN_FILE",
                self.dir.join(format!("tokens/{name}.jwt")),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        if let Some((ssn, _)) = &self.simulator {
            cmd.env("SECAL_SSN_ADDR", ssn.to_string());
        }
        if svc == Svc::DataExchange {
            cmd.envs(self.access_log_keys.env());
        }
        for (other, other_addr) in &self.addrs {
            if *other != svc {
                cmd.env(env_name(*other), other_addr.to_string());
            }
        }
        cmd.spawn()
            .with_context(|| format!("starting secal-{name}"))
    }

    /// Sends SIGTERM so that each service drains, then waits a while before killing.
    async fn stop_children(&mut self) {
        for c in &self.children {
            if let Some(pid) = c.child.id() {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(pid.to_string())
                    .status()
                    .await;
            }
        }
        for c in &mut self.children {
            if tokio::time::timeout(Duration::from_secs(25), c.child.wait())
                .await
                .is_err()
            {
                let _ = c.child.kill().await;
            }
        }
    }
}

async fn wait_serving(
    dir: &Path,
    svc: Svc,
    addr: SocketAddr,
    child: &mut Child,
) -> anyhow::Result<()> {
    let name = svc.spec().name;
    secal_testkit::process::wait_serving(child, addr, svc, Duration::from_millis(200), 150)
        .await
        .with_context(|| {
            let log = dir.join(format!("logs/{name}.log"));
            format!("secal-{name}: see {}", log.display())
        })
}

fn write_tokens(dir: &Path) -> anyhow::Result<String> {
    let signer = tokens::signer(dir)?;
    std::fs::create_dir_all(dir.join("tokens"))?;
    for svc in Svc::ALL {
        let name = svc.spec().name;
        let token = signer.mint(
            &format!("secal-{name}"),
            PrincipalKind::System,
            &[roles::SERVICE],
            30 * 24 * 3600,
        )?;
        tokens::write_private(&dir.join(format!("tokens/{name}.jwt")), &token)?;
    }
    Ok(signer.mint(
        "dev-admin",
        PrincipalKind::Agent,
        &[roles::ADMIN],
        24 * 3600,
    )?)
}

pub async fn up(dir: &Path, args: UpArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    tokens::ensure_keys(&dir)?;
    let access_log_keys = access_log_keys::ensure(&dir)?;
    let admin_token = write_tokens(&dir)?;

    println!(
        "Starting PostgreSQL (data in {}) ...",
        dir.join("pgdata").display()
    );
    let pg = PgServer::start_persistent(&dir.join("pgdata"), args.pg_port)?;
    let mut stack = Stack {
        dir: dir.clone(),
        pg,
        pg_watch: PgWatch::default(),
        access_log_keys,
        children: Vec::new(),
        addrs: HashMap::new(),
        simulator: None,
    };
    let result = run_stack(&mut stack, &args, &admin_token).await;
    stack.stop_children().await;
    println!("Stopping PostgreSQL ...");
    if crate::postgres::postmaster_alive(&dir.join("pgdata")) {
        stack.pg.stop()?;
    }
    println!("Stopped. Data kept in {}.", dir.display());
    result
}

async fn run_stack(stack: &mut Stack, args: &UpArgs, admin_token: &str) -> anyhow::Result<()> {
    stack.pg.provision(DATABASE).await?;
    let mut addrs = HashMap::new();
    for (i, svc) in Svc::ALL.into_iter().enumerate() {
        let addr = SocketAddr::new(args.host, args.base_port + i as u16);
        for taken in [addr, http_addr(addr)] {
            if std::net::TcpListener::bind(taken).is_err() {
                bail!("port {taken} is taken: stop what uses it or pass --base-port");
            }
        }
        addrs.insert(svc, addr);
    }
    stack.addrs = addrs.clone();
    let ssn = SocketAddr::new(args.host, args.base_port + Svc::ALL.len() as u16);
    if std::net::TcpListener::bind(ssn).is_err() {
        bail!("port {ssn} (social-security network simulator) is taken: pass --base-port");
    }
    stack.simulator = Some((ssn, spawn_simulator(&stack.dir, ssn)?));
    println!("Social-security network SIMULATOR (synthetic data) on {ssn}");
    // Called services first: intake asks calculation and relays to payments on start-up.
    let mut order = Svc::ALL.to_vec();
    order.sort_by_key(|s| s.start_rank());
    for svc in order {
        let addr = addrs[&svc];
        let mut child = stack.spawn(svc, addr)?;
        wait_serving(&stack.dir, svc, addr, &mut child).await?;
        stack.children.push(Supervised {
            svc,
            addr,
            child,
            restarts: 0,
        });
    }
    write_env(&stack.dir, &addrs, admin_token)?;
    crate::banner::print(&stack.dir, &addrs, admin_token);

    let shutdown = secal_runtime::server::shutdown_signal();
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = &mut shutdown => {
                println!("\nStopping services ...");
                return Ok(());
            }
            _ = tick.tick() => supervise(stack).await?,
        }
    }
}

/// PostgreSQL first (the services need it to start), then every service: what died
/// (crash, kill -9) is started again, up to a limit.
async fn supervise(stack: &mut Stack) -> anyhow::Result<()> {
    let data = stack.dir.join("pgdata");
    let (pg, watch) = (&stack.pg, &mut stack.pg_watch);
    // pg_ctl waits for the server synchronously; nothing else in the stack can go on
    // without it, but the runtime's other threads must.
    match tokio::task::block_in_place(|| watch.keep_up(pg, &data))? {
        PgState::Running => {}
        PgState::Restarted => println!("PostgreSQL had stopped; started again"),
        PgState::StillDown(why) => {
            println!("PostgreSQL is down and did not start yet ({why}); trying again");
            return Ok(());
        }
    }
    for i in 0..stack.children.len() {
        let Some(status) = stack.children[i].child.try_wait()? else {
            continue;
        };
        let (svc, addr, restarts) = {
            let c = &stack.children[i];
            (c.svc, c.addr, c.restarts)
        };
        let name = svc.spec().name;
        if restarts >= 5 {
            bail!(
                "secal-{name} keeps exiting ({status}); see {}/logs/{name}.log",
                stack.dir.display()
            );
        }
        println!("secal-{name} exited ({status}); restarting");
        let mut child = stack.spawn(svc, addr)?;
        wait_serving(&stack.dir, svc, addr, &mut child).await?;
        stack.children[i].child = child;
        stack.children[i].restarts = restarts + 1;
    }
    Ok(())
}

fn write_env(
    dir: &Path,
    addrs: &HashMap<Svc, SocketAddr>,
    admin_token: &str,
) -> anyhow::Result<()> {
    let mut env = String::new();
    for svc in Svc::ALL {
        env.push_str(&format!("{}={}\n", env_name(svc), addrs[&svc]));
        env.push_str(&format!(
            "{}={}\n",
            crate::demo::http_env_name(svc),
            http_addr(addrs[&svc])
        ));
    }
    env.push_str(&format!("SECAL_TOKEN={admin_token}\n"));
    tokens::write_private(&dir.join("stack.env"), &env)
}

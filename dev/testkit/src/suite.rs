//! Services started in-process for a test.

use std::{collections::HashMap, net::SocketAddr, sync::OnceLock};

use anyhow::{Context, anyhow};
use secal_proto::v1 as pb;
use secal_runtime::{
    auth::{PrincipalKind, TokenSigner, TokenVerifier},
    server::{ServeError, ServerSettings},
    service::{ServiceContext, ServiceSpec},
};
use sqlx::PgPool;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;

use crate::postgres::{PgServer, SERVICE_ROLES};

/// One of our services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Svc {
    Intake,
    Calculation,
    DataExchange,
    Payments,
}

impl Svc {
    pub const ALL: [Svc; 4] = [
        Svc::Intake,
        Svc::Calculation,
        Svc::DataExchange,
        Svc::Payments,
    ];

    pub fn spec(self) -> ServiceSpec {
        match self {
            Svc::Intake => secal_intake::SPEC,
            Svc::Calculation => secal_calculation::SPEC,
            Svc::DataExchange => secal_data_exchange::SPEC,
            Svc::Payments => secal_payments::SPEC,
        }
    }

    /// The Postgres role the service connects as.
    pub fn role(self) -> &'static str {
        let schema = self.spec().schema;
        SERVICE_ROLES
            .iter()
            .find(|(s, _)| *s == schema)
            .map(|(_, r)| *r)
            .unwrap_or("missing-role")
    }

    /// The full names of the gRPC services the process serves.
    pub fn grpc_names(self) -> &'static [&'static str] {
        match self {
            Svc::Intake => &[
                pb::intake_service_server::SERVICE_NAME,
                pb::persons_service_server::SERVICE_NAME,
                pb::correspondence_service_server::SERVICE_NAME,
                pb::work_queue_service_server::SERVICE_NAME,
            ],
            Svc::Calculation => &[pb::calculation_service_server::SERVICE_NAME],
            Svc::DataExchange => &[pb::data_exchange_service_server::SERVICE_NAME],
            Svc::Payments => &[
                pb::ledger_service_server::SERVICE_NAME,
                pb::receipts_service_server::SERVICE_NAME,
                pb::advances_service_server::SERVICE_NAME,
                pb::payouts_service_server::SERVICE_NAME,
                pb::recovery_service_server::SERVICE_NAME,
                pb::claim_account_service_server::SERVICE_NAME,
                pb::casework_feed_service_server::SERVICE_NAME,
            ],
        }
    }

    /// The process that serves a gRPC service of the contract (by its full name).
    pub fn serving(service: &str) -> Option<Svc> {
        Svc::ALL
            .into_iter()
            .find(|svc| svc.grpc_names().contains(&service))
    }

    /// The first of them: the one a readiness check names.
    pub fn grpc_name(self) -> &'static str {
        self.grpc_names()[0]
    }

    /// The full name of the service among `grpc_names` that declares `method`.
    pub fn service_of(self, method: &str) -> Option<&'static str> {
        self.grpc_names().iter().copied().find(|s| {
            secal_proto::contract::methods(s).is_some_and(|ms| ms.iter().any(|m| m == method))
        })
    }

    /// Services a service calls come first, so that it can be given their addresses.
    pub fn start_rank(self) -> u8 {
        match self {
            Svc::Calculation => 0,
            Svc::Payments => 1,
            Svc::Intake => 2,
            Svc::DataExchange => 3,
        }
    }

    /// The intake service's settings: the addresses of the services it calls, and a quick
    /// outbox relay for tests.
    pub fn intake_config(peers: &HashMap<Svc, SocketAddr>) -> secal_intake::Config {
        secal_intake::Config {
            calculation_addr: peers.get(&Svc::Calculation).map(ToString::to_string),
            payments_addr: peers.get(&Svc::Payments).map(ToString::to_string),
            outbox_poll_interval: std::time::Duration::from_millis(100),
            outbox_max_backoff: std::time::Duration::from_secs(2),
            casework_poll_interval: std::time::Duration::from_millis(100),
            ..Default::default()
        }
    }

    /// The data-exchange service's settings: intake and the social-security network
    /// simulator's addresses, fixed test keys, frequent checkpoints and quick source timeouts.
    pub fn data_exchange_config(
        peers: &HashMap<Svc, SocketAddr>,
        ssn: Option<SocketAddr>,
    ) -> secal_data_exchange::Config {
        secal_data_exchange::Config {
            intake_addr: peers.get(&Svc::Intake).map(ToString::to_string),
            ssn_addr: ssn.map(|a| a.to_string()),
            signing_seed_hex: Some("11".repeat(32)),
            subject_key_hex: Some("22".repeat(32)),
            checkpoint_every: 5,
            lookup_flag_per_hour: 10,
            lookup_limit_per_hour: 15,
            source_timeout: std::time::Duration::from_millis(500),
            source_attempts: 2,
            breaker_threshold: 3,
            breaker_cooldown: std::time::Duration::from_secs(1),
            ..Default::default()
        }
    }

    fn serve(
        self,
        ctx: ServiceContext,
        listener: TcpListener,
        shutdown: oneshot::Receiver<()>,
        peers: &HashMap<Svc, SocketAddr>,
        options: Options,
        ssn: Option<SocketAddr>,
    ) -> JoinHandle<Result<(), ServeError>> {
        let stop = async move {
            let _ = shutdown.await;
        };
        match self {
            Svc::Intake => tokio::spawn(secal_intake::serve(
                ctx,
                Self::intake_config(peers),
                listener,
                stop,
            )),
            Svc::Calculation => tokio::spawn(secal_calculation::serve(
                ctx,
                Default::default(),
                listener,
                stop,
            )),
            Svc::DataExchange => {
                let mut config = Self::data_exchange_config(peers, ssn);
                options.apply(&mut config);
                tokio::spawn(secal_data_exchange::serve(ctx, config, listener, stop))
            }
            Svc::Payments => tokio::spawn(secal_payments::serve(
                ctx,
                secal_payments::Config {
                    calculation_addr: peers.get(&Svc::Calculation).map(ToString::to_string),
                    ..secal_payments::Config::default()
                },
                listener,
                stop,
            )),
        }
    }
}

struct Running {
    addr: SocketAddr,
    /// Its JSON over HTTP listener.
    http_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServeError>>,
}

struct Issuer {
    signer: TokenSigner,
    verifier: TokenVerifier,
    public_pem: String,
}

/// The `iss` of test tokens.
pub const ISSUER: &str = "secal-test";

fn issuer() -> anyhow::Result<&'static Issuer> {
    static ISSUER_KEYS: OnceLock<Result<Issuer, String>> = OnceLock::new();
    ISSUER_KEYS
        .get_or_init(|| {
            let (private, public) = crate::keys::generate().map_err(|e| e.to_string())?;
            Ok(Issuer {
                signer: TokenSigner::from_private_pem(private.as_bytes(), ISSUER)
                    .map_err(|e| e.to_string())?,
                verifier: TokenVerifier::from_public_pem(public.as_bytes(), ISSUER)
                    .map_err(|e| e.to_string())?,
                public_pem: public,
            })
        })
        .as_ref()
        .map_err(|e| anyhow!("{e}"))
}

static PG: OnceLock<Result<PgServer, String>> = OnceLock::new();

/// The Postgres server of this test process, started on first use.
pub fn pg() -> anyhow::Result<&'static PgServer> {
    PG.get_or_init(|| PgServer::start_throwaway().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| anyhow!("{e}"))
}

/// Starts this process's Postgres server with `settings` (see
/// [`PgServer::start_throwaway_with`]); an error if it is already running, since the
/// settings would silently not apply.
pub fn start_pg_with(settings: &[(&str, &str)]) -> anyhow::Result<&'static PgServer> {
    let mut fresh = false;
    let server = PG.get_or_init(|| {
        fresh = true;
        PgServer::start_throwaway_with(settings).map_err(|e| e.to_string())
    });
    anyhow::ensure!(fresh, "the test Postgres server was already started");
    server.as_ref().map_err(|e| anyhow!("{e}"))
}

/// How a suite's services differ from the tests' defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// No per-agent look-up limit, checkpoints every 100 entries: for benchmarks that
    /// repeat one agent's look-ups thousands of times.
    pub unthrottled_lookups: bool,
}

impl Options {
    /// The data-exchange settings these options change (for benches that start their own
    /// data-exchange server, too).
    pub fn apply(self, config: &mut secal_data_exchange::Config) {
        if self.unthrottled_lookups {
            config.checkpoint_every = 100;
            config.lookup_flag_per_hour = u32::MAX;
            config.lookup_limit_per_hour = u32::MAX;
        }
    }
}

/// A database of its own and the services a test asked for.
pub struct Suite {
    database: String,
    options: Options,
    running: HashMap<Svc, Running>,
    /// The social-security network simulator, started with data-exchange.
    simulator: Option<secal_data_exchange::simulator::Simulator>,
}

impl Suite {
    /// Database connections of each in-process service.
    pub const SERVICE_POOL_SIZE: u32 = 5;

    /// Creates a fresh database and starts `services` in-process.
    pub async fn start(services: &[Svc]) -> anyhow::Result<Suite> {
        Self::start_with(services, Options::default()).await
    }

    /// [`Suite::start`], with services set up as `options` say.
    pub async fn start_with(services: &[Svc], options: Options) -> anyhow::Result<Suite> {
        let pg = pg()?;
        let database = format!("t_{}", uuid::Uuid::new_v4().simple());
        pg.provision(&database)
            .await
            .context("provisioning the test database")?;
        let mut suite = Suite {
            database,
            options,
            running: HashMap::new(),
            simulator: None,
        };
        let mut ordered = services.to_vec();
        ordered.sort_by_key(|s| s.start_rank());
        ordered.dedup();
        for svc in ordered {
            suite.start_service(svc).await?;
        }
        Ok(suite)
    }

    /// Starts (or starts again) one service: connects as its role, migrates, serves.
    pub async fn start_service(&mut self, svc: Svc) -> anyhow::Result<SocketAddr> {
        let pg = pg()?;
        let spec = svc.spec();
        let pool = secal_runtime::db::connect_and_migrate(
            &pg.role_url(&self.database, svc.role()),
            spec.schema,
            Self::SERVICE_POOL_SIZE,
            spec.migrator,
        )
        .await
        .with_context(|| format!("starting {}", spec.name))?;
        let verifier = issuer()?.verifier.clone();
        let service_token = self.token(
            &format!("secal-{}", spec.name),
            PrincipalKind::System,
            &["service"],
        )?;
        if svc == Svc::DataExchange && self.simulator.is_none() {
            let sim = TcpListener::bind("127.0.0.1:0").await?;
            self.simulator = Some(secal_data_exchange::simulator::Simulator::start(sim)?);
        }
        let ssn = self.simulator.as_ref().map(|s| s.addr());
        let peers: HashMap<Svc, SocketAddr> =
            self.running.iter().map(|(s, r)| (*s, r.addr)).collect();
        // The JSON listener binds its address itself, a port found free a moment before: under
        // a full parallel run another test may take it in between, and the service then stops
        // at once. Started again on other ports when that happens.
        let mut attempt = 0;
        let (addr, http_addr, stop, task) = loop {
            attempt += 1;
            let mut settings = ServerSettings::with_verifier(verifier.clone());
            let http_addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            settings.http_listen = Some(http_addr);
            let ctx = ServiceContext {
                pool: pool.clone(),
                settings,
                service_token: Some(service_token.clone()),
            };
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let (stop, rx) = oneshot::channel();
            let task = svc.serve(ctx, listener, rx, &peers, self.options, ssn);
            for _ in 0..250 {
                if task.is_finished() || tokio::net::TcpStream::connect(http_addr).await.is_ok() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            // A listener of someone else's answers too: a service that failed has stopped.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if !task.is_finished() {
                break (addr, http_addr, stop, task);
            }
            let ended = task.await;
            if attempt >= 5 {
                anyhow::bail!("{svc:?} stopped at its start five times; last: {ended:?}");
            }
        };
        self.running.insert(
            svc,
            Running {
                addr,
                http_addr,
                stop,
                task,
            },
        );
        Ok(addr)
    }

    /// Stops one service gracefully and waits until it has drained.
    pub async fn stop_service(&mut self, svc: Svc) -> anyhow::Result<()> {
        let running = self
            .running
            .remove(&svc)
            .ok_or_else(|| anyhow!("{svc:?} is not running"))?;
        let _ = running.stop.send(());
        running.task.await??;
        Ok(())
    }

    /// The social-security network simulator (running once data-exchange was started).
    pub fn simulator(&self) -> anyhow::Result<&secal_data_exchange::simulator::Simulator> {
        self.simulator
            .as_ref()
            .ok_or_else(|| anyhow!("the simulator is not running"))
    }

    /// Stops the whole simulator: the social-security network is down.
    pub async fn stop_simulator(&mut self) -> anyhow::Result<()> {
        let sim = self
            .simulator
            .take()
            .ok_or_else(|| anyhow!("the simulator is not running"))?;
        sim.stop().await;
        Ok(())
    }

    pub fn addr(&self, svc: Svc) -> anyhow::Result<SocketAddr> {
        self.running
            .get(&svc)
            .map(|r| r.addr)
            .ok_or_else(|| anyhow!("{svc:?} is not running"))
    }

    /// The JSON over HTTP address of a running service.
    pub fn http_addr(&self, svc: Svc) -> anyhow::Result<SocketAddr> {
        self.running
            .get(&svc)
            .map(|r| r.http_addr)
            .ok_or_else(|| anyhow!("{svc:?} is not running"))
    }

    /// A channel to a running service.
    pub async fn channel(&self, svc: Svc) -> anyhow::Result<Channel> {
        let addr = self.addr(svc)?;
        Ok(
            tonic::transport::Endpoint::from_shared(format!("http://{addr}"))?
                .connect()
                .await?,
        )
    }

    /// A token signed by the issuer the services trust.
    pub fn token(
        &self,
        subject: &str,
        kind: PrincipalKind,
        roles: &[&str],
    ) -> anyhow::Result<String> {
        Ok(issuer()?.signer.mint(subject, kind, roles, 3600)?)
    }

    /// An agent's token.
    pub fn agent_token(&self, agent: &str, roles: &[&str]) -> anyhow::Result<String> {
        self.token(agent, PrincipalKind::Agent, roles)
    }

    /// Wraps a message with `authorization: Bearer <token>`.
    pub fn request<T>(&self, token: &str, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        if let Ok(v) = format!("Bearer {token}").parse() {
            r.metadata_mut().insert("authorization", v);
        }
        r
    }

    /// Settings of a server that trusts the suite's tokens (for extra servers a test or a
    /// benchmark builds itself, e.g. a baseline).
    pub fn server_settings(&self) -> anyhow::Result<ServerSettings> {
        Ok(ServerSettings::with_verifier(issuer()?.verifier.clone()))
    }

    /// The issuer's public key (PEM), for service processes started outside the test.
    pub fn issuer_public_pem(&self) -> anyhow::Result<&'static str> {
        Ok(&issuer()?.public_pem)
    }

    /// The URL a service's own role connects with.
    pub fn role_url(&self, svc: Svc) -> anyhow::Result<String> {
        Ok(pg()?.role_url(&self.database, svc.role()))
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// The superuser's URL of this test's database (for pools a benchmark sizes itself).
    pub fn admin_url(&self) -> anyhow::Result<String> {
        Ok(pg()?.admin_url(&self.database))
    }

    /// The superuser's pool on this test's database: for checks and deliberate tampering
    /// that no service role may do.
    pub async fn admin_pool(&self) -> anyhow::Result<PgPool> {
        Ok(PgPool::connect(&pg()?.admin_url(&self.database)).await?)
    }

    /// Gathers statistics of every table (ANALYZE), as autovacuum does in a database in
    /// service: benchmarks measure on planned queries, not on the first minute's guesses.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        sqlx::query("ANALYZE")
            .execute(&self.admin_pool().await?)
            .await?;
        Ok(())
    }

    /// A pool connected as a service's own role (to test what that role may not do).
    pub async fn role_pool(&self, svc: Svc) -> anyhow::Result<PgPool> {
        Ok(PgPool::connect(&pg()?.role_url(&self.database, svc.role())).await?)
    }
}

impl Drop for Suite {
    fn drop(&mut self) {
        for (_, r) in self.running.drain() {
            let _ = r.stop.send(());
            r.task.abort();
        }
        // The end-to-end binary runs hundreds of suites on one server: each test's database
        // goes with it, or their files fill the disk. On a thread of its own, since this may
        // run on the test's (possibly single-threaded) runtime.
        if let Ok(pg) = pg() {
            let url = pg.admin_url("postgres");
            let database = std::mem::take(&mut self.database);
            let _ = std::thread::spawn(move || drop_database(&url, &database)).join();
        }
    }
}

/// `DROP DATABASE … WITH (FORCE)`: connections still open (a pool being torn down, a
/// killed service's) are closed by the server. Failures only leave a database behind.
fn drop_database(admin_url: &str, database: &str) {
    use sqlx::{AssertSqlSafe, Connection, raw_sql};
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        if let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await {
            // The name is the suite's own (`t_<uuid>`), never input.
            let sql = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
            if let Err(e) = raw_sql(AssertSqlSafe(sql)).execute(&mut admin).await {
                eprintln!("test database {database} left behind: {e}");
            }
            let _ = admin.close().await;
        }
    });
}

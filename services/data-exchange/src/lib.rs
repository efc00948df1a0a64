//! The data-exchange service: income look-ups in social-security sources under access
//! control, with a tamper-evident access log.

mod api;
mod audit;
pub mod clock;
pub mod connectors;
mod intake;
pub mod keys;
pub mod log;
mod lookup;
mod rate_limit;
mod rules;
pub mod simulator;

use std::{future::Future, time::Duration};

use secal_proto::v1::data_exchange_service_server::{DataExchangeServiceServer, SERVICE_NAME};
use secal_runtime::{
    AuthPolicy, roles,
    server::{self, ServeError},
    service::{ServiceContext, ServiceSpec},
};
use tokio::net::TcpListener;

pub use clock::Clock;

use api::DataExchangeApi;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "data-exchange",
    schema: "data_exchange",
    migrator: &MIGRATOR,
};

pub fn policy() -> AuthPolicy {
    use roles::*;
    // Every role reaches the look-up handler, so that the handler refuses (naming the rule)
    // and logs the attempt; a gateway refusal would leave no access-log entry.
    let lookup_callers: &[&'static str] = &[
        INCOME_LOOKUP,
        REGISTRAR,
        CASE_OFFICER,
        PERSONAL_DATA_READER,
        AUDITOR,
        SERVICE,
        REFERENCE_DATA_ADMIN,
        CALCULATION_USER,
        PAYMENTS_OPERATOR,
        TAX_REFUND_SYSTEM,
    ];
    AuthPolicy::for_service(SERVICE_NAME)
        .allow("LookUpIncomes", lookup_callers)
        .allow_all(
            &[
                "ListAccessLogEntries",
                "VerifyAccessLog",
                "ExportAccessLog",
                "PurgeAccessLog",
                "ListAccessLogCheckpoints",
                "ListSigningKeys",
            ],
            &[AUDITOR],
        )
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num.parse().map_err(|_| format!("bad duration '{s}'"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("bad duration unit in '{s}' (ms, s, m)")),
    }
}

/// Service-specific settings.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address of the intake service, asked before every look-up (host:port).
    #[arg(long, env = "SECAL_INTAKE_ADDR")]
    pub intake_addr: Option<String>,
    /// Address of the social-security network (in dev and tests: the simulator).
    #[arg(long, env = "SECAL_SSN_ADDR")]
    pub ssn_addr: Option<String>,
    /// Hex Ed25519 seed (32 bytes) signing checkpoints and exports. Without it an ephemeral
    /// key is generated (dev only: a warning is logged).
    #[arg(long, env = "SECAL_ACCESS_LOG_SIGNING_SEED", hide_env_values = true)]
    pub signing_seed_hex: Option<String>,
    /// Hex key (32 bytes) of the keyed digest of national numbers in the log (export by
    /// person). Without it an ephemeral key is generated (dev only: a warning is logged).
    #[arg(long, env = "SECAL_ACCESS_LOG_SUBJECT_KEY", hide_env_values = true)]
    pub subject_key_hex: Option<String>,
    /// A signed checkpoint every this many entries.
    #[arg(long, env = "SECAL_ACCESS_LOG_CHECKPOINT_EVERY", default_value_t = 100)]
    pub checkpoint_every: i64,
    /// Look-ups per agent per hour that are flagged as unusual volume.
    #[arg(long, env = "SECAL_LOOKUP_FLAG_PER_HOUR", default_value_t = 30)]
    pub lookup_flag_per_hour: u32,
    /// Look-ups per agent per hour beyond which look-ups are refused.
    #[arg(long, env = "SECAL_LOOKUP_LIMIT_PER_HOUR", default_value_t = 100)]
    pub lookup_limit_per_hour: u32,
    /// Time allowed to one attempt at a source.
    #[arg(long, env = "SECAL_SOURCE_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub source_timeout: Duration,
    /// Attempts at a source before it is reported unavailable.
    #[arg(long, env = "SECAL_SOURCE_ATTEMPTS", default_value_t = 3)]
    pub source_attempts: u32,
    /// Consecutive failed look-ups at a source that open its circuit breaker.
    #[arg(long, env = "SECAL_SOURCE_BREAKER_THRESHOLD", default_value_t = 5)]
    pub breaker_threshold: u32,
    /// How long an open circuit stays open before one trial call.
    #[arg(long, env = "SECAL_SOURCE_BREAKER_COOLDOWN", default_value = "30s", value_parser = parse_duration)]
    pub breaker_cooldown: Duration,
    /// Shifts the service's clock by this many days (tests and retention drills only).
    #[arg(
        long,
        env = "SECAL_CLOCK_OFFSET_DAYS",
        default_value_t = 0,
        hide = true
    )]
    pub clock_offset_days: i64,
    /// Benchmarks only: look-ups are not written to the access log (never in production;
    /// not settable from the command line).
    #[arg(skip)]
    pub bench_without_access_log: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            intake_addr: None,
            ssn_addr: None,
            signing_seed_hex: None,
            subject_key_hex: None,
            checkpoint_every: 100,
            lookup_flag_per_hour: 30,
            lookup_limit_per_hour: 100,
            source_timeout: Duration::from_secs(2),
            source_attempts: 3,
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            clock_offset_days: 0,
            bench_without_access_log: false,
        }
    }
}

pub async fn serve(
    ctx: ServiceContext,
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let setup = |what: &str, e: String| ServeError::Transport(format!("{what}: {e}"));
    let clock = Clock::offset_days(config.clock_offset_days);
    let keys = keys::Keys::from_config(&config).map_err(|e| setup("access-log keys", e))?;
    keys.register(&ctx.pool, clock.now())
        .await
        .map_err(|e| setup("registering the signing key", e.to_string()))?;
    let intake = match (&config.intake_addr, ctx.service_token.as_deref()) {
        (Some(addr), Some(token)) => Some(
            intake::Intake::new(addr, token).map_err(|e| setup("intake client", e.to_string()))?,
        ),
        _ => {
            tracing::warn!("no intake address or service token: every look-up will be refused");
            None
        }
    };
    let sources = match &config.ssn_addr {
        Some(addr) => Some(
            connectors::Connectors::new(addr, connectors::ConnectorSettings::from(&config))
                .map_err(|e| setup("source connectors", e))?,
        ),
        None => {
            tracing::warn!("no social-security network address: every source is unavailable");
            None
        }
    };
    let api = DataExchangeApi {
        log: log::AccessLog::new(ctx.pool.clone(), keys, config.checkpoint_every),
        clock,
        intake,
        sources,
        rate: rate_limit::RateLimiter::new(
            config.lookup_flag_per_hour,
            config.lookup_limit_per_hour,
        ),
        log_lookups: !config.bench_without_access_log,
    };
    let routes = tonic::service::Routes::new(DataExchangeServiceServer::new(api));
    server::serve(ctx.settings, policy(), routes, listener, shutdown).await
}

#[cfg(test)]
mod policy_tests {
    #[test]
    fn every_method_of_the_contract_has_roles_and_the_policy_names_no_other() {
        assert_eq!(super::policy().check(), Ok(()));
    }
}

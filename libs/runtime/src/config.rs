//! Settings every service shares, from flags or `SECAL_*` environment variables. A bad
//! value stops the service with one line naming the setting.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use crate::telemetry::LogFormat;

#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Address the gRPC server listens on.
    #[arg(long, env = "SECAL_LISTEN_ADDR", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// PostgreSQL URL of this service's own role, e.g. postgres://intake@127.0.0.1:5432/secal
    #[arg(long, env = "SECAL_DATABASE_URL")]
    pub database_url: String,

    #[arg(long, env = "SECAL_DB_MAX_CONNECTIONS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub db_max_connections: u32,

    /// PEM file with the token issuer's Ed25519 public key.
    #[arg(long, env = "SECAL_JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: PathBuf,

    /// Expected `iss` of caller tokens.
    #[arg(long, env = "SECAL_JWT_ISSUER", default_value = crate::auth::DEFAULT_ISSUER)]
    pub jwt_issuer: String,

    /// File holding this service's own token, sent on the calls it makes to other services.
    #[arg(long, env = "SECAL_SERVICE_TOKEN_FILE")]
    pub service_token_file: Option<PathBuf>,

    /// Longest time one RPC may take (e.g. 30s, 500ms, 2m).
    #[arg(long, env = "SECAL_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Requests this process handles at once, over all connections (health and reflection
    /// excepted); beyond it new requests are shed at once with RESOURCE_EXHAUSTED. Default:
    /// 8 per database connection (SECAL_DB_MAX_CONNECTIONS).
    #[arg(long = "max-concurrent-requests", env = "SECAL_MAX_CONCURRENT_REQUESTS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_requests_setting: Option<u32>,

    /// How long in-flight calls may run after SIGTERM before the server stops anyway.
    #[arg(long, env = "SECAL_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    #[arg(long, env = "SECAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,

    /// PEM certificate of this workload (URI SAN spiffe://secal/<identity>), for mutual TLS.
    #[arg(long, env = "SECAL_TLS_CERT_FILE", requires_all = ["tls_key_file", "tls_ca_file"])]
    pub tls_cert_file: Option<PathBuf>,

    /// PEM private key of that certificate.
    #[arg(long, env = "SECAL_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<PathBuf>,

    /// PEM certificate of the CA that peers' certificates must chain to.
    #[arg(long, env = "SECAL_TLS_CA_FILE", requires = "tls_cert_file")]
    pub tls_ca_file: Option<PathBuf>,

    /// Client systems (certificate identities) that may call any method, besides the suite's
    /// own services (which may call only what ARCHITECTURE.md draws). Comma-separated.
    #[arg(long, env = "SECAL_TLS_CLIENTS", value_delimiter = ',')]
    pub tls_clients: Vec<String>,

    /// Serve and call without TLS. For the local stack only: without it, a service with no
    /// certificate refuses to start.
    #[arg(long, env = "SECAL_PLAINTEXT", default_value_t = false, action = clap::ArgAction::Set,
          conflicts_with = "tls_cert_file")]
    pub plaintext: bool,

    /// A plaintext listener serving only grpc.health.v1 (for kubelet probes, which cannot
    /// present a client certificate).
    #[arg(long, env = "SECAL_HEALTH_LISTEN_ADDR")]
    pub health_listen: Option<SocketAddr>,

    /// JSON over HTTP for every RPC of the service (`POST /secal.v1.<Service>/<Method>`),
    /// beside gRPC: same tokens, roles, limits; mutual TLS when gRPC has it. None: not served.
    #[arg(long, env = "SECAL_HTTP_LISTEN_ADDR")]
    pub http_listen: Option<SocketAddr>,
}

/// Admitted calls beyond the pool's connections wait for one, for at most the pool's
/// acquire time-out (10 s). Eight calls per connection keep that wait far below it at the
/// suite's call times (a few ms of database time each, tens under load), so that excess
/// calls are shed at the door rather than failing UNAVAILABLE after queueing.
pub const DEFAULT_CONCURRENT_REQUESTS_PER_DB_CONNECTION: u32 = 8;

impl CommonArgs {
    /// `SECAL_MAX_CONCURRENT_REQUESTS`, or its default derived from the pool size.
    pub fn max_concurrent_requests(&self) -> u32 {
        self.max_concurrent_requests_setting.unwrap_or(
            self.db_max_connections
                .saturating_mul(DEFAULT_CONCURRENT_REQUESTS_PER_DB_CONNECTION),
        )
    }
}

/// Parses the command line and environment; on a bad or missing setting, prints one line
/// naming the flag and its environment variable and exits with status 2. `--help` and
/// `--version` print as usual.
pub fn parse_or_exit<T: clap::Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let command = T::command();
            eprintln!("{}: {}", command.get_name(), one_line_error(&command, &e));
            std::process::exit(2);
        }
    }
}

/// clap's message without its usage block, on one line, with the environment variable of
/// every flag it names.
fn one_line_error(command: &clap::Command, error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let mut text = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(rest) = text.strip_prefix("error: ") {
        text = rest.to_owned();
    }
    let envs: Vec<String> = command
        .get_arguments()
        .filter_map(|arg| {
            let long = arg.get_long()?;
            let env = arg.get_env()?.to_string_lossy().into_owned();
            text.contains(&format!("--{long}"))
                .then(|| format!("--{long} or {env}"))
        })
        .collect();
    if envs.is_empty() {
        text
    } else {
        format!("{text} (set {})", envs.join(", "))
    }
}

/// Parses `250ms`, `30s`, `5m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("'{s}' has no unit (use ms, s, m or h)"))?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' does not start with a number"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => return Err(format!("unknown unit '{other}' (use ms, s, m or h)")),
    };
    if d.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Args {
        #[command(flatten)]
        common: CommonArgs,
    }

    #[test]
    fn durations_parse_with_units_only() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Args::try_parse_from([
            "svc",
            "--database-url=postgres://x@h/db",
            "--jwt-public-key-file=/k.pem",
            "--listen=nonsense",
        ])
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(err.contains("--listen"), "{err}");
    }

    #[test]
    fn the_request_limit_defaults_to_a_multiple_of_the_pool() {
        let base = [
            "svc",
            "--database-url=postgres://x@h/db",
            "--jwt-public-key-file=/k.pem",
        ];
        let args = Args::try_parse_from(base.iter().chain(&["--db-max-connections=10"]))
            .map(|a| a.common)
            .unwrap();
        assert_eq!(args.max_concurrent_requests(), 80);
        let args = Args::try_parse_from(base.iter().chain(&["--max-concurrent-requests=3"]))
            .map(|a| a.common)
            .unwrap();
        assert_eq!(args.max_concurrent_requests(), 3);
        assert!(Args::try_parse_from(base.iter().chain(&["--max-concurrent-requests=0"])).is_err());
    }

    #[test]
    fn a_missing_setting_is_one_line_naming_its_variable() {
        let command = <Args as clap::CommandFactory>::command();
        let err = Args::try_parse_from(["svc", "--jwt-public-key-file=/k.pem"])
            .map(|_| ())
            .unwrap_err();
        let line = one_line_error(&command, &err);
        assert!(!line.contains('\n'), "{line}");
        assert!(line.contains("SECAL_DATABASE_URL"), "{line}");
        assert!(!line.contains("Usage"), "{line}");
    }
}

//! Start-up of a service binary: settings, telemetry, database, then the service's own
//! routes. `main.rs` of each service is a call to `run`.

use std::{future::Future, pin::Pin};

use sqlx::{PgPool, migrate::Migrator};
use tokio::net::TcpListener;

use crate::{
    config::CommonArgs,
    server::{ServeError, ServerSettings},
};

/// What makes a service itself.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// Short name: logs, metrics, the OTLP service name (`secal-<name>`).
    pub name: &'static str,
    /// Its Postgres schema, owned by its own role.
    pub schema: &'static str,
    pub migrator: &'static Migrator,
}

/// Everything a service's `serve` needs; built by `run` in production and by the test kit
/// in tests.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    pub pool: PgPool,
    pub settings: ServerSettings,
    /// This service's own token for calls to other services, if it makes any.
    pub service_token: Option<String>,
}

pub type ServeFuture = Pin<Box<dyn Future<Output = Result<(), ServeError>> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Telemetry(#[from] crate::telemetry::TelemetryError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("cannot read the service token {path}: {reason}")]
    Token { path: String, reason: String },
}

/// Runs a service until SIGTERM or Ctrl-C. `serve` gets the context, the bound listener and
/// the shutdown signal.
pub async fn run<A>(
    spec: ServiceSpec,
    common: &CommonArgs,
    args: A,
    serve: impl FnOnce(ServiceContext, A, TcpListener) -> ServeFuture,
) -> Result<(), StartError> {
    let _telemetry = crate::telemetry::init(spec.name, common.log_format)?;
    let settings = ServerSettings::from_args(common)?;
    let service_token = match &common.service_token_file {
        None => None,
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map(|t| t.trim().to_owned())
                .map_err(|e| StartError::Token {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?,
        ),
    };
    let pool = crate::db::connect_and_migrate(
        &common.database_url,
        spec.schema,
        common.db_max_connections,
        spec.migrator,
    )
    .await?;
    let listener = crate::server::bind(common.listen).await?;
    tracing::info!(service = spec.name, addr = %common.listen, "serving");
    let ctx = ServiceContext {
        pool,
        settings,
        service_token,
    };
    serve(ctx, args, listener).await?;
    tracing::info!(service = spec.name, "stopped");
    Ok(())
}

/// Prints a start-up error as one line and gives the exit code.
pub fn exit_code(name: &str, result: Result<(), StartError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("secal-{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

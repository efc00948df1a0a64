//! The data-exchange service: income look-ups in social-security sources under access
//! control, with a tamper-evident access log.

mod access_log;

use std::future::Future;

use secal_proto::v1::data_exchange_service_server::DataExchangeServiceServer;
use secal_runtime::{
    AuthPolicy, roles,
    server::{self, ServeError},
    service::{ServiceContext, ServiceSpec},
};
use tokio::net::TcpListener;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "data-exchange",
    schema: "data_exchange",
    migrator: &MIGRATOR,
};

const GRPC_SERVICE: &str = "secal.v1.DataExchangeService";

pub fn policy() -> AuthPolicy {
    AuthPolicy::new().allow(GRPC_SERVICE, "ListAccessLogEntries", &[roles::AUDITOR])
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Config {}

pub async fn serve(
    ctx: ServiceContext,
    _config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let api = access_log::DataExchangeApi::new(ctx.pool.clone());
    let routes = tonic::service::Routes::new(DataExchangeServiceServer::new(api));
    server::serve(
        ctx.settings,
        policy(),
        routes,
        &[GRPC_SERVICE],
        listener,
        shutdown,
    )
    .await
}

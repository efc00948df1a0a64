//! The calculation service: the rules engine of maintenance claims and the dated
//! reference data it owns.

mod reference;

use std::future::Future;

use secal_proto::v1::calculation_service_server::CalculationServiceServer;
use secal_runtime::{
    AuthPolicy, roles,
    server::{self, ServeError},
    service::{ServiceContext, ServiceSpec},
};
use tokio::net::TcpListener;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "calculation",
    schema: "calculation",
    migrator: &MIGRATOR,
};

const GRPC_SERVICE: &str = "secal.v1.CalculationService";

pub fn policy() -> AuthPolicy {
    AuthPolicy::new().allow(
        GRPC_SERVICE,
        "ListReferenceValues",
        &[
            roles::CALCULATION_USER,
            roles::REFERENCE_DATA_ADMIN,
            roles::CASE_OFFICER,
            roles::SERVICE,
        ],
    )
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Config {}

pub async fn serve(
    ctx: ServiceContext,
    _config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let api = reference::CalculationApi::new(ctx.pool.clone());
    let routes = tonic::service::Routes::new(CalculationServiceServer::new(api));
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

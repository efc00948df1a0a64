//! The intake service: applications, dossiers and the persons registry.

mod persons;

use std::future::Future;

use secal_proto::v1::intake_service_server::IntakeServiceServer;
use secal_runtime::{
    AuthPolicy, roles,
    server::{self, ServeError},
    service::{ServiceContext, ServiceSpec},
};
use tokio::net::TcpListener;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "intake",
    schema: "intake",
    migrator: &MIGRATOR,
};

const GRPC_SERVICE: &str = "secal.v1.IntakeService";

/// Who may call what. Reading personal data needs a role that is entitled to it.
pub fn policy() -> AuthPolicy {
    AuthPolicy::new()
        .allow(GRPC_SERVICE, "RegisterPerson", &[roles::REGISTRAR])
        .allow(
            GRPC_SERVICE,
            "GetPerson",
            &[
                roles::REGISTRAR,
                roles::CASE_OFFICER,
                roles::PERSONAL_DATA_READER,
                roles::SERVICE,
            ],
        )
}

/// Service-specific settings.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Config {}

pub async fn serve(
    ctx: ServiceContext,
    _config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let api = persons::IntakeApi::new(ctx.pool.clone());
    let routes = tonic::service::Routes::new(IntakeServiceServer::new(api));
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

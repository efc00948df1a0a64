//! The payments service: ledger, advances runs, debtor payments, payouts and tax-refund
//! compensation.

mod debtor_payments;
mod dossier_events;

use std::future::Future;

use secal_proto::v1::payments_service_server::PaymentsServiceServer;
use secal_runtime::{
    AuthPolicy, roles,
    server::{self, ServeError},
    service::{ServiceContext, ServiceSpec},
};
use tokio::net::TcpListener;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "payments",
    schema: "payments",
    migrator: &MIGRATOR,
};

const GRPC_SERVICE: &str = "secal.v1.PaymentsService";

pub fn policy() -> AuthPolicy {
    AuthPolicy::new()
        .allow(
            GRPC_SERVICE,
            "RecordDebtorPayment",
            &[roles::PAYMENTS_OPERATOR],
        )
        .allow(GRPC_SERVICE, "ReceiveDossierEvent", &[roles::SERVICE])
        .allow(
            GRPC_SERVICE,
            "ListDebtorPayments",
            &[roles::PAYMENTS_OPERATOR, roles::CASE_OFFICER],
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
    let api = debtor_payments::PaymentsApi::new(ctx.pool.clone());
    let routes = tonic::service::Routes::new(PaymentsServiceServer::new(api));
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

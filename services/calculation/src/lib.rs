//! The calculation service: the rules engine of maintenance claims and the dated
//! reference data it owns.

mod api;
mod arrears_api;
mod collect;
mod convert;
mod income_api;
pub mod offline;
mod reference;

pub use api::CalculationApi;
pub use reference::ReferenceStore;

use std::future::Future;

use secal_proto::v1::calculation_service_server::{CalculationServiceServer, SERVICE_NAME};
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

/// Who may call what. Calculations are pure and open to every internal user of the rules;
/// changing reference data is for its administrators only.
pub fn policy() -> AuthPolicy {
    const READERS: &[&str] = &[
        roles::CALCULATION_USER,
        roles::REFERENCE_DATA_ADMIN,
        roles::CASE_OFFICER,
        roles::SERVICE,
    ];
    const CALCULATORS: &[&str] = &[roles::CALCULATION_USER, roles::CASE_OFFICER, roles::SERVICE];
    AuthPolicy::for_service(SERVICE_NAME)
        .allow_all(&["ListReferenceValues", "GetReferenceValue"], READERS)
        .allow_all(
            &["AddReferenceValue", "ImportPriceIndexFile"],
            &[roles::REFERENCE_DATA_ADMIN],
        )
        .allow_all(
            &[
                "IndexAmount",
                "ComputeArrears",
                "ComputePrescription",
                "ComputeInterest",
                "CheckAdmissibility",
                "ComputeAdvance",
                "ComputeAdvances",
                "ComputeSeizableIncome",
                "ComputeSurcharge",
            ],
            CALCULATORS,
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
    let api = CalculationApi::new(ctx.pool.clone());
    // Hears of reference data changes for as long as the server runs (also when the serving
    // future is dropped rather than finished).
    let _watching = AbortOnDrop(api.references.watch_changes());
    let routes = tonic::service::Routes::new(CalculationServiceServer::new(api));
    server::serve(ctx.settings, policy(), routes, listener, shutdown).await
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod policy_tests {
    #[test]
    fn every_method_of_the_contract_has_roles_and_the_policy_names_no_other() {
        assert_eq!(super::policy().check(), Ok(()));
    }
}

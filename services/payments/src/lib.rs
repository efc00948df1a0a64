//! The payments service: ledger, advances runs, debtor payments, payouts and tax-refund
//! compensation.

mod advances;
mod allocation;
mod allocation_query;
mod api;
mod booking;
mod calc_client;
mod certified;
mod debtor_payments;
mod debtors;
mod dossier_events;
pub mod ledger;
mod ledger_api;
mod payouts;
mod plans;
pub mod statements;
mod suspensions;
mod tax_refund;

use std::future::Future;

use secal_proto::v1::payments_service_server::{PaymentsServiceServer, SERVICE_NAME};
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

pub fn policy() -> AuthPolicy {
    AuthPolicy::for_service(SERVICE_NAME)
        .allow("RecordDebtorPayment", &[roles::PAYMENTS_OPERATOR])
        .allow("ReceiveDossierEvent", &[roles::SERVICE])
        .allow_all(
            &["ImportBankStatement", "ResolveStatementLine"],
            &[roles::PAYMENTS_OPERATOR],
        )
        .allow(
            "ListUnmatchedStatementLines",
            &[roles::PAYMENTS_OPERATOR, roles::AUDITOR],
        )
        .allow(
            "ListDebtorPayments",
            &[roles::PAYMENTS_OPERATOR, roles::CASE_OFFICER],
        )
        .allow(
            "GetPaymentAllocation",
            &[
                roles::PAYMENTS_OPERATOR,
                roles::CASE_OFFICER,
                roles::AUDITOR,
            ],
        )
        .allow_all(
            &[
                "CreateLedgerTransfers",
                "PostPendingTransfer",
                "VoidPendingTransfer",
                "RecognizeDebtorDebt",
                "GrantSuspension",
                "RunMonthlyAdvances",
            ],
            &[roles::PAYMENTS_OPERATOR, roles::SERVICE],
        )
        .allow_all(
            &[
                "CreatePaymentPlan",
                "DetectMissedPlanInstalments",
                "EndPaymentPlan",
                "ReviewSuspension",
            ],
            &[roles::PAYMENTS_OPERATOR, roles::SERVICE],
        )
        .allow_all(
            &["GetPaymentPlan", "ListPaymentPlans", "ListSuspensions"],
            &[
                roles::PAYMENTS_OPERATOR,
                roles::CASE_OFFICER,
                roles::AUDITOR,
            ],
        )
        .allow_all(
            &[
                "GetLedgerAccount",
                "ListLedgerTransfers",
                "GetDossierLedger",
                "GetAdvancesRun",
                "ListAdvancesRunItems",
            ],
            &[
                roles::PAYMENTS_OPERATOR,
                roles::CASE_OFFICER,
                roles::AUDITOR,
            ],
        )
        .allow_all(
            &[
                "ProposeTaxRefundOffset",
                "ConfirmTaxRefundOffset",
                "CancelTaxRefundOffset",
                "GetTaxRefundOffset",
                "ListCertifiedDebts",
            ],
            &[roles::TAX_REFUND_SYSTEM, roles::PAYMENTS_OPERATOR],
        )
        .allow_all(
            &[
                "CreatePayoutBatch",
                "ConfirmPayouts",
                "RecordPayoutReturn",
                "RequestPayoutAccountChange",
                "ConfirmPayoutAccountChange",
                "RejectPayoutAccountChange",
            ],
            &[roles::PAYMENTS_OPERATOR],
        )
        .allow_all(
            &["GetPayoutBatch", "ListPayouts", "ListPayoutAccounts"],
            &[roles::PAYMENTS_OPERATOR, roles::AUDITOR],
        )
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Config {
    /// Address of the calculation service, asked for advance eligibility (host:port).
    #[arg(long, env = "SECAL_CALCULATION_ADDR")]
    pub calculation_addr: Option<String>,
}

/// Voids pending transfers whose timeout passed, every 10 seconds, so that balances release
/// them even when nobody posts or voids (settling also expires due ones first).
async fn expire_pending_transfers(pool: sqlx::PgPool) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    while !pool.is_closed() {
        tick.tick().await;
        if let Ok(mut conn) = pool.acquire().await {
            match ledger::expire_due(&mut conn).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "pending transfers expired"),
                Err(e) => tracing::warn!(error = %e, "expiring pending transfers failed"),
            }
        }
    }
}

pub async fn serve(
    ctx: ServiceContext,
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let calculation = match (&config.calculation_addr, ctx.service_token.as_deref()) {
        (Some(addr), Some(token)) => Some(
            calc_client::Calculation::new(addr, token)
                .map_err(|e| ServeError::Transport(format!("calculation client: {e}")))?,
        ),
        _ => {
            tracing::warn!("no calculation address or service token: advances runs cannot assess");
            None
        }
    };
    tokio::spawn(expire_pending_transfers(ctx.pool.clone()));
    let api = debtor_payments::PaymentsApi::new(ctx.pool.clone(), calculation);
    let routes = tonic::service::Routes::new(PaymentsServiceServer::new(api));
    server::serve(ctx.settings, policy(), routes, listener, shutdown).await
}

#[cfg(test)]
mod policy_tests {
    #[test]
    fn every_method_of_the_contract_has_roles_and_the_policy_names_no_other() {
        assert_eq!(super::policy().check(), Ok(()));
    }
}

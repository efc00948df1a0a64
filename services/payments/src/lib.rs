//! The payments service: ledger, advances runs, debtor payments, payouts and tax-refund
//! compensation, and the feed of the case work its conditions need (`casework`).

// One folder per gRPC service of the contract (its RPCs in `api/<service>.rs`).
mod advances;
mod api;
mod calc_client;
mod casework;
mod claims;
mod copy;
mod db_enum;
pub mod ledger;
mod payouts;
mod receipts;
mod recovery;

use std::future::Future;

use secal_proto::v1::{
    advances_service_server::{self, AdvancesServiceServer},
    casework_feed_service_server::{self, CaseworkFeedServiceServer},
    claim_account_service_server::{self, ClaimAccountServiceServer},
    ledger_service_server::{self, LedgerServiceServer},
    payouts_service_server::{self, PayoutsServiceServer},
    receipts_service_server::{self, ReceiptsServiceServer},
    recovery_service_server::{self, RecoveryServiceServer},
};
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

/// Who may call what, per service of the payments contract. Operators work the money;
/// case officers and auditors read it; the tax administration works its offsets; intake's
/// events and the runs come as "service", and so does intake's pump of the case-work feed.
pub fn policy() -> AuthPolicy {
    use roles::{AUDITOR, CASE_OFFICER, PAYMENTS_OPERATOR, SERVICE, TAX_REFUND_SYSTEM};
    const READERS: &[&str] = &[PAYMENTS_OPERATOR, CASE_OFFICER, AUDITOR];
    let policy = AuthPolicy::for_service(ledger_service_server::SERVICE_NAME)
        .allow("ReceiveDossierEvent", &[SERVICE])
        .allow_all(
            &[
                "CreateLedgerTransfers",
                "PostPendingTransfer",
                "VoidPendingTransfer",
                "RecognizeDebtorDebt",
            ],
            &[PAYMENTS_OPERATOR, SERVICE],
        )
        .allow_all(
            &[
                "GetLedgerAccount",
                "ListLedgerTransfers",
                "GetDossierLedger",
            ],
            READERS,
        )
        .and_service(receipts_service_server::SERVICE_NAME)
        .allow_all(
            &[
                "RecordDebtorPayment",
                "ImportBankStatement",
                "ResolveStatementLine",
            ],
            &[PAYMENTS_OPERATOR],
        )
        .allow("ListUnmatchedStatementLines", &[PAYMENTS_OPERATOR, AUDITOR])
        .allow("ListDebtorPayments", &[PAYMENTS_OPERATOR, CASE_OFFICER])
        .allow("GetPaymentAllocation", READERS)
        .and_service(advances_service_server::SERVICE_NAME)
        .allow("RunMonthlyAdvances", &[PAYMENTS_OPERATOR, SERVICE])
        .allow_all(&["GetAdvancesRun", "ListAdvancesRunItems"], READERS)
        .and_service(payouts_service_server::SERVICE_NAME)
        .allow_all(
            &[
                "CreatePayoutBatch",
                "ConfirmPayouts",
                "RecordPayoutReturn",
                "RequestPayoutAccountChange",
                "ConfirmPayoutAccountChange",
                "RejectPayoutAccountChange",
            ],
            &[PAYMENTS_OPERATOR],
        )
        .allow_all(
            &["GetPayoutBatch", "ListPayouts", "ListPayoutAccounts"],
            &[PAYMENTS_OPERATOR, AUDITOR],
        )
        .and_service(recovery_service_server::SERVICE_NAME)
        .allow_all(
            &[
                "ProposeTaxRefundOffset",
                "ConfirmTaxRefundOffset",
                "CancelTaxRefundOffset",
                "GetTaxRefundOffset",
                "ListCertifiedDebts",
            ],
            &[TAX_REFUND_SYSTEM, PAYMENTS_OPERATOR],
        )
        .allow_all(
            &[
                "CreatePaymentPlan",
                "DetectMissedPlanInstalments",
                "EndPaymentPlan",
                "GrantSuspension",
                "ReviewSuspension",
            ],
            &[PAYMENTS_OPERATOR, SERVICE],
        )
        .allow_all(
            &["GetPaymentPlan", "ListPaymentPlans", "ListSuspensions"],
            READERS,
        )
        .and_service(casework_feed_service_server::SERVICE_NAME)
        .allow("ListCaseworkEvents", &[SERVICE, AUDITOR])
        // Declared by the contract for the letters payments' steps will request; until that
        // lands the generated stub answers UNIMPLEMENTED (intake's pump only logs it).
        .allow("AcknowledgeCaseworkEvents", &[SERVICE]);
    claim_account_policy(policy)
}

/// The claim account's part of [`policy`]: operators and the runs book, case officers record
/// acts, everyone who reads money reads it.
fn claim_account_policy(policy: AuthPolicy) -> AuthPolicy {
    use roles::{AUDITOR, CASE_OFFICER, PAYMENTS_OPERATOR, SERVICE};
    const READERS: &[&str] = &[PAYMENTS_OPERATOR, CASE_OFFICER, AUDITOR];
    policy
        .and_service(claim_account_service_server::SERVICE_NAME)
        .allow_all(
            &["RunMonthlyDues", "BookClaimAccount"],
            &[PAYMENTS_OPERATOR, SERVICE],
        )
        .allow("RecordLegalAct", &[PAYMENTS_OPERATOR, CASE_OFFICER])
        .allow_all(&["GetClaimAccount", "ListPrescriptionWatch"], READERS)
        // Intake asks for them (role service) to issue the statements parties ask for.
        .allow_all(
            &["GetDebtorStatement", "GetCreditorStatement"],
            &[PAYMENTS_OPERATOR, CASE_OFFICER, AUDITOR, SERVICE],
        )
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address of the calculation service, asked for advance eligibility (host:port).
    #[arg(long, env = "SECAL_CALCULATION_ADDR")]
    pub calculation_addr: Option<String>,
    /// Dossiers the monthly dues run books per transaction (its fast path) and per progress
    /// message. Larger chunks cost fewer statements per dossier; each holds its dossiers'
    /// claim accounts locked for its transaction (a few tenths of a second at 1,000).
    #[arg(long, env = "SECAL_DUES_RUN_CHUNK", default_value_t = DUES_RUN_CHUNK,
          value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub dues_run_chunk: u16,
}

/// The default of [`Config::dues_run_chunk`]. Measured once each with `claims_dues` at
/// 100,000 dossiers (README): 16.3 s of database CPU at 1,000 dossiers per transaction,
/// 19.0 s at 200.
pub const DUES_RUN_CHUNK: u16 = 1_000;

impl Default for Config {
    fn default() -> Self {
        Self {
            calculation_addr: None,
            dues_run_chunk: DUES_RUN_CHUNK,
        }
    }
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
    let api = api::PaymentsApi::new(ctx.pool.clone(), calculation, config.dues_run_chunk);
    // One process, one schema, seven services of one contract: each server shares the state.
    let api = std::sync::Arc::new(api);
    let routes = tonic::service::Routes::new(LedgerServiceServer::from_arc(api.clone()))
        .add_service(ReceiptsServiceServer::from_arc(api.clone()))
        .add_service(AdvancesServiceServer::from_arc(api.clone()))
        .add_service(PayoutsServiceServer::from_arc(api.clone()))
        .add_service(RecoveryServiceServer::from_arc(api.clone()))
        .add_service(CaseworkFeedServiceServer::from_arc(api.clone()))
        .add_service(ClaimAccountServiceServer::from_arc(api));
    server::serve(ctx.settings, policy(), routes, listener, shutdown).await
}

#[cfg(test)]
mod policy_tests {
    #[test]
    fn every_method_of_the_contract_has_roles_and_the_policy_names_no_other() {
        assert_eq!(super::policy().check(), Ok(()));
    }
}

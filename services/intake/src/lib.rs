//! The intake service: applications, dossiers and the persons registry.

mod admissibility;
mod api;
mod applications;
mod casework;
mod lifecycle;
mod outbox;
mod party_roles;
mod pbjson;
mod persons;
mod registry;
mod relay;
mod search;
mod store;
mod validate;

use std::{future::Future, time::Duration};

use secal_proto::v1::{
    correspondence_service_server::{self, CorrespondenceServiceServer},
    intake_service_server::{self, IntakeServiceServer},
    persons_service_server::{self, PersonsServiceServer},
    work_queue_service_server::{self, WorkQueueServiceServer},
};
use secal_runtime::{
    AuthPolicy,
    config::parse_duration,
    roles,
    server::{self, ServeError},
    service::{ServiceContext, ServiceSpec},
};
use tokio::net::TcpListener;

pub use relay::RelaySettings;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec {
    name: "intake",
    schema: "intake",
    migrator: &MIGRATOR,
};

/// Who may call what. Reading personal data needs a role that is entitled to it; dossier
/// work is the case officers'; the data-exchange service asks as "service".
pub fn policy() -> AuthPolicy {
    use roles::{
        AUDITOR, CASE_OFFICER, PAYMENTS_OPERATOR, PERSONAL_DATA_READER, REGISTRAR, SERVICE,
        TEAM_LEAD,
    };
    const DOSSIER_WORK: &[&str] = &[
        "SubmitApplication",
        "CompleteApplication",
        "MarkApplicationIncomplete",
        "NotifyDebtor",
        "AcceptApplication",
        "RefuseApplication",
        "ProposeMandate",
        "RecordMandateSigned",
        "ActivateDossier",
        "CloseDossier",
        "AmendDossier",
        "AssignDossierAgent",
        "UnassignDossierAgent",
    ];
    const PERSONAL_READERS: &[&str] = &[REGISTRAR, CASE_OFFICER, PERSONAL_DATA_READER, SERVICE];
    AuthPolicy::for_service(intake_service_server::SERVICE_NAME)
        .allow("ListDossiersByDecisionDeadline", &[CASE_OFFICER, AUDITOR])
        .allow("ListDossierEvents", &[SERVICE, AUDITOR])
        .allow_all(DOSSIER_WORK, &[CASE_OFFICER])
        .allow_all(
            &["GetDossier", "SearchDossiers", "ListDossierHistory"],
            PERSONAL_READERS,
        )
        .and_service(persons_service_server::SERVICE_NAME)
        .allow("RegisterPerson", &[REGISTRAR])
        .allow("RecordPersonChange", &[REGISTRAR, CASE_OFFICER])
        .allow("CheckPersonActiveDossier", &[SERVICE])
        .allow_all(
            &["GetPerson", "ListPersonChanges", "ListPersonDossierRoles"],
            PERSONAL_READERS,
        )
        // Letters hold personal data: the case officers who work the dossiers and auditors.
        .and_service(correspondence_service_server::SERVICE_NAME)
        .allow_all(
            &["ListLetters", "GetLetter", "VerifyLetter"],
            &[CASE_OFFICER, AUDITOR],
        )
        .allow_all(
            &[
                "RecordLetterDelivery",
                "IssueStatement",
                "IssueYearlyStatements",
            ],
            &[CASE_OFFICER],
        )
        .and_service(work_queue_service_server::SERVICE_NAME)
        // The queue is every agent's: case officers and payments operators work its tasks.
        .allow_all(
            &["ListTasks", "GetTask"],
            &[CASE_OFFICER, PAYMENTS_OPERATOR, TEAM_LEAD, AUDITOR],
        )
        .allow_all(
            &["ClaimTask", "ReassignTask"],
            &[CASE_OFFICER, PAYMENTS_OPERATOR, TEAM_LEAD],
        )
}

fn parse_addr(s: &str) -> Result<String, String> {
    let s = s.trim();
    secal_runtime::client::channel(s, Default::default())
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

/// Service-specific settings.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address of the calculation service, asked for admissibility (host:port).
    #[arg(long, env = "SECAL_CALCULATION_ADDR", value_parser = parse_addr)]
    pub calculation_addr: Option<String>,
    /// Address of the payments service, to which dossier events are relayed (host:port).
    #[arg(long, env = "SECAL_PAYMENTS_ADDR", value_parser = parse_addr)]
    pub payments_addr: Option<String>,
    /// Holds outbox events undelivered (they stay stored and are relayed once unpaused).
    #[arg(long, env = "SECAL_OUTBOX_RELAY_PAUSED", default_value_t = false,
          action = clap::ArgAction::Set)]
    pub outbox_relay_paused: bool,
    /// Pause of the outbox relay when nothing is due (e.g. 500ms).
    #[arg(long, env = "SECAL_OUTBOX_POLL_INTERVAL", default_value = "500ms",
          value_parser = parse_duration)]
    pub outbox_poll_interval: Duration,
    /// Longest wait before an undelivered event is retried.
    #[arg(long, env = "SECAL_OUTBOX_MAX_BACKOFF", default_value = "30s",
          value_parser = parse_duration)]
    pub outbox_max_backoff: Duration,
    /// Pause of the pump that brings payments' case work into the work queue when it found
    /// nothing new (e.g. 2s).
    #[arg(long, env = "SECAL_CASEWORK_POLL_INTERVAL", default_value = "2s",
          value_parser = parse_duration)]
    pub casework_poll_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            calculation_addr: None,
            payments_addr: None,
            outbox_relay_paused: false,
            outbox_poll_interval: Duration::from_millis(500),
            outbox_max_backoff: Duration::from_secs(30),
            casework_poll_interval: Duration::from_secs(2),
        }
    }
}

pub async fn serve(
    ctx: ServiceContext,
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let token = ctx.service_token.as_deref();
    let client_error = |what: &str, e: secal_runtime::client::ClientError| {
        ServeError::Transport(format!("{what}: {e}"))
    };
    let calculation = match (&config.calculation_addr, token) {
        (Some(addr), Some(token)) => Some(
            admissibility::Calculation::new(addr, token)
                .map_err(|e| client_error("calculation client", e))?,
        ),
        (Some(_), None) => {
            tracing::warn!("no service token: admissibility will not be assessed");
            None
        }
        (None, _) => None,
    };
    let payments = match (&config.payments_addr, token) {
        (Some(addr), Some(token)) => Some(
            relay::Payments::new(addr, token).map_err(|e| client_error("payments client", e))?,
        ),
        _ => {
            tracing::warn!(
                "no payments address or service token: dossier events stay in the outbox"
            );
            None
        }
    };
    let feed = match (&config.payments_addr, token) {
        (Some(addr), Some(token)) => Some(
            casework::feed::Feed::new(addr, token)
                .map_err(|e| client_error("payments feed client", e))?,
        ),
        _ => None,
    };
    let (stop_relay, stopped) = tokio::sync::watch::channel(false);
    // Payments' case work reaches the work queue only with payments configured.
    let pump = feed.clone().map(|feed| {
        tokio::spawn(casework::feed::run(
            ctx.pool.clone(),
            feed,
            config.casework_poll_interval,
            stopped.clone(),
        ))
    });
    let relay = match payments {
        Some(payments) if !config.outbox_relay_paused => Some(tokio::spawn(relay::run(
            ctx.pool.clone(),
            payments,
            RelaySettings {
                poll_interval: config.outbox_poll_interval,
                max_backoff: config.outbox_max_backoff,
                batch: 100,
            },
            stopped,
        ))),
        _ => None,
    };
    let api = api::IntakeApi::new(ctx.pool.clone(), calculation, feed.clone());
    // Two services of one process and schema; both servers share the state.
    let api = std::sync::Arc::new(api);
    let routes = tonic::service::Routes::new(IntakeServiceServer::from_arc(api.clone()))
        .add_service(PersonsServiceServer::from_arc(api.clone()))
        .add_service(CorrespondenceServiceServer::from_arc(api.clone()))
        .add_service(WorkQueueServiceServer::from_arc(api));
    let served = server::serve(ctx.settings, policy(), routes, listener, shutdown).await;
    let _ = stop_relay.send(true);
    if let Some(relay) = relay {
        let _ = relay.await;
    }
    if let Some(pump) = pump {
        let _ = pump.await;
    }
    served
}

#[cfg(test)]
mod policy_tests {
    #[test]
    fn every_method_of_the_contract_has_roles_and_the_policy_names_no_other() {
        assert_eq!(super::policy().check(), Ok(()));
    }
}

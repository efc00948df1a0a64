//! An active dossier (the seed's mother of three) with look-up agents assigned, and helpers
//! for the data-exchange end-to-end tests.
#![allow(dead_code)]

use chrono::{Datelike, Utc};
use secal_proto::v1::{
    self as pb, data_exchange_service_client::DataExchangeServiceClient,
    intake_service_client::IntakeServiceClient,
};
use secal_runtime::roles;
use secal_testkit::{Suite, Svc};
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;

pub(crate) use crate::form;

pub use form::{CHILDREN, DEBTOR, MOTHER, date, key, nn};

pub const OFFICER: &str = "agent-officer";
pub const LOOKUP: &str = "agent-lookup";
pub const BUSY: &str = "agent-busy";

pub struct Fx {
    pub suite: Suite,
    pub dx: DataExchangeServiceClient<Channel>,
    pub intake: IntakeServiceClient<Channel>,
    pub dossier: String,
    pub officer: String,
}

pub fn by_number(n: &str) -> Option<pb::DossierRef> {
    Some(pb::DossierRef {
        id: Some(pb::dossier_ref::Id::DossierNumber(n.into())),
    })
}

impl Fx {
    pub async fn start() -> anyhow::Result<Fx> {
        let suite = Suite::start(&[
            Svc::Calculation,
            Svc::Payments,
            Svc::Intake,
            Svc::DataExchange,
        ])
        .await?;
        let intake_channel = suite.channel(Svc::Intake).await?;
        let mut intake = IntakeServiceClient::new(intake_channel.clone());
        let officer = suite.agent_token(OFFICER, &[roles::CASE_OFFICER])?;
        let d = intake
            .submit_application(
                suite.request(&officer, form::submit("dx-1", form::mother_of_three())),
            )
            .await?
            .into_inner()
            .dossier
            .unwrap_or_default();
        let active = form::to_active(&intake_channel, &suite, &officer, &d.application_id, "dx")
            .await?
            .dossier
            .unwrap_or_default();
        let dx = DataExchangeServiceClient::new(suite.channel(Svc::DataExchange).await?);
        let fx = Fx {
            suite,
            dx,
            intake,
            dossier: active.dossier_number,
            officer,
        };
        for agent in [LOOKUP, BUSY] {
            fx.assign(agent).await?;
        }
        Ok(fx)
    }

    pub async fn assign(&self, agent: &str) -> anyhow::Result<()> {
        self.intake
            .clone()
            .assign_dossier_agent(self.suite.request(
                &self.officer,
                pb::AssignDossierAgentRequest {
                    idempotency_key: key(&format!("assign-{agent}")),
                    dossier: by_number(&self.dossier),
                    agent_id: agent.into(),
                    task: pb::AgentTask::IncomeLookup as i32,
                    start_date: date(2007, 10, 1),
                    end_date: None,
                },
            ))
            .await?;
        Ok(())
    }

    pub fn token(&self, agent: &str, roles: &[&str]) -> String {
        self.suite.agent_token(agent, roles).unwrap_or_default()
    }

    pub fn lookup_token(&self) -> String {
        self.token(LOOKUP, &[roles::INCOME_LOOKUP])
    }

    pub fn auditor(&self) -> String {
        self.token("agent-auditor", &[roles::AUDITOR])
    }

    /// A lawful look-up of `who` over the first half of last year.
    pub fn request(&self, who: &str) -> pb::LookUpIncomesRequest {
        let y = Utc::now().year() - 1;
        pb::LookUpIncomesRequest {
            subject: nn(who),
            dossier_number: self.dossier.clone(),
            purpose: pb::LookupPurpose::RecoveryStrategy as i32,
            sources: Vec::new(),
            scope: Some(pb::look_up_incomes_request::Scope::Period(pb::MonthRange {
                first_month: Some(pb::YearMonth { year: y, month: 1 }),
                last_month: Some(pb::YearMonth { year: y, month: 6 }),
            })),
            justification: "debtor's means for the recovery plan".into(),
            application_id: String::new(),
        }
    }

    pub async fn look_up(
        &self,
        token: &str,
        req: pb::LookUpIncomesRequest,
    ) -> Result<pb::LookUpIncomesResponse, Status> {
        self.dx
            .clone()
            .look_up_incomes(self.suite.request(token, req))
            .await
            .map(|r| r.into_inner())
    }

    /// All entries, oldest first (the read itself is logged too).
    pub async fn entries(&self) -> anyhow::Result<Vec<pb::AccessLogEntry>> {
        let mut all = self
            .dx
            .clone()
            .list_access_log_entries(self.suite.request(
                &self.auditor(),
                pb::ListAccessLogEntriesRequest {
                    page: Some(pb::PageRequest {
                        page_size: 500,
                        page_token: String::new(),
                    }),
                    audit_reference: "e2e".into(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .entries;
        all.reverse();
        Ok(all)
    }

    pub async fn verify(&self) -> anyhow::Result<pb::VerifyAccessLogResponse> {
        Ok(self
            .dx
            .clone()
            .verify_access_log(
                self.suite
                    .request(&self.auditor(), pb::VerifyAccessLogRequest::default()),
            )
            .await?
            .into_inner())
    }
}

/// The access-log sequence a failed call names in its ErrorInfo, and the reason.
pub fn logged_failure(status: &Status) -> (String, i64) {
    let details = status.get_error_details();
    let info = details.error_info();
    (
        info.map(|i| i.reason.clone()).unwrap_or_default(),
        info.and_then(|i| i.metadata.get("access_log_sequence"))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    )
}

/// Asserts a refusal by `rule` and returns the access-log sequence it names.
pub fn refused<T: std::fmt::Debug>(result: Result<T, Status>, rule: pb::AccessRule) -> i64 {
    refused_with(result, rule, Code::PermissionDenied)
}

/// A refusal by `rule` answered with `code` (UNAVAILABLE when a check could not be made).
pub fn refused_with<T: std::fmt::Debug>(
    result: Result<T, Status>,
    rule: pb::AccessRule,
    code: Code,
) -> i64 {
    let status = match result {
        Ok(v) => panic!("expected a refusal by {rule:?}, got {v:?}"),
        Err(s) => s,
    };
    assert_eq!(status.code(), code, "{status:?}");
    let (reason, seq) = logged_failure(&status);
    assert_eq!(reason, rule.as_str_name(), "{status:?}");
    assert!(seq > 0, "the refusal names its log entry: {status:?}");
    seq
}

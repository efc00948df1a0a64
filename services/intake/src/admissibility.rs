//! Admissibility asked of the calculation service. The call is pure, so it is retried; when
//! the service cannot answer, the application is still stored, "not assessed", with why.

use std::time::Duration;

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, calculation_service_client::CalculationServiceClient};
use secal_runtime::{
    Caller,
    client::{self, ClientError, Credentials, RetryPolicy},
    wire,
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::store;

#[derive(Clone)]
pub struct Calculation(client::Peer);

impl Calculation {
    pub fn new(addr: &str, service_token: &str) -> Result<Self, ClientError> {
        client::Peer::connect(addr, service_token, Duration::from_secs(5)).map(Self)
    }

    fn client(
        &self,
        caller: &Caller,
    ) -> CalculationServiceClient<InterceptedService<Channel, Credentials>> {
        self.0.client_for_agent(
            caller.agent_token(),
            CalculationServiceClient::with_interceptor,
        )
    }
}

const RETRIES: RetryPolicy = RetryPolicy {
    attempts: 3,
    first_backoff: Duration::from_millis(100),
    max_backoff: Duration::from_millis(800),
};

fn not_assessed(caller: &Caller, reason: impl Into<String>) -> pb::AdmissibilityAssessment {
    pb::AdmissibilityAssessment {
        outcome: pb::AdmissibilityOutcome::NotAssessed as i32,
        not_assessed_reason: reason.into(),
        assessed: Some(store::caller_stamp(caller)),
        ..Default::default()
    }
}

/// The declared table (frame 4) as the calculation service takes it.
fn request(
    form: &pb::ApplicationForm,
    arrears: &pb::ArrearsFrame,
    received_on: NaiveDate,
) -> pb::CheckAdmissibilityRequest {
    pb::CheckAdmissibilityRequest {
        application_date: Some(wire::date_to_pb(received_on)),
        basis: Some(pb::check_admissibility_request::Basis::DeclaredArrears(
            pb::DeclaredArrears {
                // A form still without its title: 0, which the contract reads as the 1st.
                due_day: form.title.as_ref().map(|t| t.due_day).unwrap_or_default(),
                months: arrears
                    .unpaid_months
                    .iter()
                    .cloned()
                    .map(|m| pb::DeclaredUnpaidMonth {
                        creditor_id: m.creditor_key,
                        month: m.month,
                        unpaid: m.unpaid,
                    })
                    .collect(),
            },
        )),
    }
}

/// Asks the calculation service; never fails: an unanswered question is "not assessed".
#[tracing::instrument(skip_all, fields(admissible))]
pub async fn assess(
    calculation: Option<&Calculation>,
    caller: &Caller,
    form: &pb::ApplicationForm,
    received_on: NaiveDate,
) -> pb::AdmissibilityAssessment {
    let Some(calculation) = calculation else {
        return not_assessed(caller, "no calculation service is configured");
    };
    let Some(arrears) = form
        .arrears
        .as_ref()
        .filter(|a| !a.unpaid_months.is_empty())
    else {
        return not_assessed(caller, "the table of unpaid months is not given yet");
    };
    let req = request(form, arrears, received_on);
    let answer = client::with_retries(RETRIES, || {
        let mut c = calculation.client(caller);
        let req = req.clone();
        async move { c.check_admissibility(req).await }
    })
    .await;
    match answer {
        Ok(resp) => {
            let r = resp.into_inner();
            tracing::Span::current().record("admissible", r.admissible);
            pb::AdmissibilityAssessment {
                admissible: r.admissible,
                unpaid_month_count: r.unpaid_month_count,
                unpaid_months: r.unpaid_months,
                explanation: r.explanation,
                assessed: Some(store::caller_stamp(caller)),
                outcome: if r.admissible {
                    pb::AdmissibilityOutcome::Admissible
                } else {
                    pb::AdmissibilityOutcome::NotAdmissible
                } as i32,
                not_assessed_reason: String::new(),
            }
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), "admissibility not assessed");
            not_assessed(
                caller,
                format!(
                    "the calculation service did not answer ({:?}: {})",
                    status.code(),
                    status.message()
                ),
            )
        }
    }
}

impl Calculation {
    /// ComputeArrears, retried like every pure call.
    pub async fn compute_arrears(
        &self,
        caller: &Caller,
        req: pb::ComputeArrearsRequest,
    ) -> Result<pb::ComputeArrearsResponse, tonic::Status> {
        client::with_retries(RETRIES, || {
            let mut c = self.client(caller);
            let req = req.clone();
            async move { c.compute_arrears(req).await }
        })
        .await
        .map(tonic::Response::into_inner)
    }
}

/// Whether an assessment is a real answer.
pub fn is_assessed(a: &pb::AdmissibilityAssessment) -> bool {
    matches!(
        pb::AdmissibilityOutcome::try_from(a.outcome).unwrap_or_default(),
        pb::AdmissibilityOutcome::Admissible | pb::AdmissibilityOutcome::NotAdmissible
    )
}

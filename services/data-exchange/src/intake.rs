//! What the intake service says about a person and a dossier at the time of a look-up.

use std::time::Duration;

use chrono::NaiveDate;
use secal_proto::v1::{self as pb, persons_service_client::PersonsServiceClient};
use secal_runtime::{
    client::{self, ClientError, Credentials, RetryPolicy},
    wire,
};
use tonic::{Status, service::interceptor::InterceptedService, transport::Channel};

#[derive(Clone)]
pub struct Intake(client::Peer);

const RETRIES: RetryPolicy = RetryPolicy {
    attempts: 3,
    first_backoff: Duration::from_millis(50),
    max_backoff: Duration::from_millis(400),
};

/// The facts the access rules need, as intake knows them on the day of the request.
#[derive(Debug, Clone, Default)]
pub struct DossierFacts {
    /// The person's creditor or debtor role in the dossier, active on the day.
    pub party_in_active_dossier: bool,
    /// The person is a creditor or debtor of the dossier, whether it is active or not.
    pub party_to_dossier: bool,
    pub agent_assigned_for_lookups: bool,
    /// Who registered the person, and who added the person to the dossier.
    pub registered_by: Vec<String>,
    /// Asked by application (the advances income check): `party_in_active_dossier` then
    /// means the person is the applicant of that application, under way or active.
    pub by_application: bool,
}

impl Intake {
    pub fn new(addr: &str, service_token: &str) -> Result<Self, ClientError> {
        client::Peer::connect(addr, service_token, Duration::from_secs(5)).map(Self)
    }

    /// The persons registry, served by the intake process.
    fn client(&self) -> PersonsServiceClient<InterceptedService<Channel, Credentials>> {
        self.0.client(PersonsServiceClient::with_interceptor)
    }

    /// `(dossier_number, application_id)`: one of them is empty.
    #[tracing::instrument(skip_all)]
    pub async fn facts(
        &self,
        subject: &pb::NationalNumber,
        (dossier_number, application_id): (&str, &str),
        agent_id: &str,
        on: NaiveDate,
    ) -> Result<DossierFacts, Status> {
        let check = pb::CheckPersonActiveDossierRequest {
            national_number: Some(subject.clone()),
            on_date: Some(wire::date_to_pb(on)),
            dossier_number: dossier_number.to_owned(),
            agent_id: agent_id.to_owned(),
            application_id: application_id.to_owned(),
        };
        let answer = client::with_retries(RETRIES, || {
            let mut c = self.client();
            let req = check.clone();
            async move { c.check_person_active_dossier(req).await }
        })
        .await?
        .into_inner();
        let by_application = !application_id.is_empty();
        let party = |r: i32| is_party(r, by_application);
        let roles: Vec<&pb::ActiveDossierRole> = answer
            .roles
            .iter()
            .filter(|r| match by_application {
                true => r.application_id == application_id,
                false => r.dossier_number == dossier_number,
            })
            .collect();
        let mut facts = DossierFacts {
            party_in_active_dossier: roles.iter().any(|r| party(r.role)),
            party_to_dossier: roles.iter().any(|r| party(r.role)),
            agent_assigned_for_lookups: roles.iter().any(|r| {
                r.agent_assigned
                    && r.agent_tasks
                        .contains(&(pb::AgentTask::IncomeLookup as i32))
            }),
            registered_by: std::iter::once(answer.registered_by_agent_id.clone())
                .chain(roles.iter().map(|r| r.registered_by_agent_id.clone()))
                .filter(|a| !a.is_empty())
                .collect(),
            by_application,
        };
        if !facts.party_in_active_dossier && !answer.person_id.is_empty() && !by_application {
            // Not in the dossier today: is it that the dossier is not active, or that the
            // person is not in it at all? Only the refusal path asks.
            let list = pb::ListPersonDossierRolesRequest {
                person: Some(
                    pb::list_person_dossier_roles_request::Person::NationalNumber(subject.clone()),
                ),
                page: Some(pb::PageRequest {
                    page_size: 500,
                    page_token: String::new(),
                }),
            };
            let all = client::with_retries(RETRIES, || {
                let mut c = self.client();
                let req = list.clone();
                async move { c.list_person_dossier_roles(req).await }
            })
            .await?
            .into_inner();
            facts.party_to_dossier = all
                .roles
                .iter()
                .any(|r| r.dossier_number == dossier_number && party(r.role));
        }
        Ok(facts)
    }
}

/// The roles a look-up may be about: a creditor or the debtor of a dossier; on an application
/// only its applicant, whose means the advances income check weighs.
fn is_party(role: i32, by_application: bool) -> bool {
    if by_application {
        role == pb::DossierRole::Applicant as i32
    } else {
        role == pb::DossierRole::Creditor as i32 || role == pb::DossierRole::Debtor as i32
    }
}

//! The gRPC face of the service: each RPC takes the verified caller and delegates.

use secal_proto::v1::{self as pb, intake_service_server::IntakeService};
use secal_runtime::Caller;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::admissibility::Calculation;

pub struct IntakeApi {
    pub(crate) pool: PgPool,
    pub(crate) calculation: Option<Calculation>,
}

impl IntakeApi {
    pub fn new(pool: PgPool, calculation: Option<Calculation>) -> Self {
        Self { pool, calculation }
    }
}

// The trait impl is generated whole, so that `async_trait` sees the expanded methods.
macro_rules! rpcs {
    (
        with_caller: [$($m:ident($req:ident) -> $resp:ident,)*]
        without: [$($n:ident($nreq:ident) -> $nresp:ident,)*]
    ) => {
        #[tonic::async_trait]
        impl IntakeService for IntakeApi {
            $(
                async fn $m(
                    &self,
                    request: Request<pb::$req>,
                ) -> Result<Response<pb::$resp>, Status> {
                    let caller = Caller::of(&request)?;
                    Ok(Response::new(IntakeApi::$m(self, caller, request.into_inner()).await?))
                }
            )*
            $(
                async fn $n(
                    &self,
                    request: Request<pb::$nreq>,
                ) -> Result<Response<pb::$nresp>, Status> {
                    Ok(Response::new(IntakeApi::$n(self, request.into_inner()).await?))
                }
            )*
        }
    };
}

rpcs! {
    with_caller: [
        register_person(RegisterPersonRequest) -> RegisterPersonResponse,
        record_person_change(RecordPersonChangeRequest) -> RecordPersonChangeResponse,
        submit_application(SubmitApplicationRequest) -> SubmitApplicationResponse,
        complete_application(CompleteApplicationRequest) -> CompleteApplicationResponse,
        mark_application_incomplete(MarkApplicationIncompleteRequest) -> MarkApplicationIncompleteResponse,
        notify_debtor(NotifyDebtorRequest) -> NotifyDebtorResponse,
        accept_application(AcceptApplicationRequest) -> AcceptApplicationResponse,
        refuse_application(RefuseApplicationRequest) -> RefuseApplicationResponse,
        propose_mandate(ProposeMandateRequest) -> ProposeMandateResponse,
        record_mandate_signed(RecordMandateSignedRequest) -> RecordMandateSignedResponse,
        activate_dossier(ActivateDossierRequest) -> ActivateDossierResponse,
        close_dossier(CloseDossierRequest) -> CloseDossierResponse,
        amend_dossier(AmendDossierRequest) -> AmendDossierResponse,
        assign_dossier_agent(AssignDossierAgentRequest) -> AssignDossierAgentResponse,
        unassign_dossier_agent(UnassignDossierAgentRequest) -> UnassignDossierAgentResponse,
    ]
    without: [
        get_person(GetPersonRequest) -> GetPersonResponse,
        list_person_changes(ListPersonChangesRequest) -> ListPersonChangesResponse,
        list_person_dossier_roles(ListPersonDossierRolesRequest) -> ListPersonDossierRolesResponse,
        check_person_active_dossier(CheckPersonActiveDossierRequest) -> CheckPersonActiveDossierResponse,
        get_dossier(GetDossierRequest) -> GetDossierResponse,
        search_dossiers(SearchDossiersRequest) -> SearchDossiersResponse,
        list_dossiers_by_decision_deadline(ListDossiersByDecisionDeadlineRequest) -> ListDossiersByDecisionDeadlineResponse,
        list_dossier_history(ListDossierHistoryRequest) -> ListDossierHistoryResponse,
        list_dossier_events(ListDossierEventsRequest) -> ListDossierEventsResponse,
    ]
}

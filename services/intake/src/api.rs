//! The gRPC face of the service: `grpc_service!` verifies the caller and hands each request
//! to its use case, which lives in the module that owns the work.

use secal_proto::v1::{
    correspondence_service_server::CorrespondenceService, intake_service_server::IntakeService,
    persons_service_server::PersonsService, work_queue_service_server::WorkQueueService,
};
use sqlx::PgPool;

use crate::admissibility::Calculation;

pub struct IntakeApi {
    pub(crate) pool: PgPool,
    pub(crate) calculation: Option<Calculation>,
    /// The payments service, for the statements of account letters state.
    pub(crate) payments: Option<crate::casework::feed::Feed>,
}

impl IntakeApi {
    pub fn new(
        pool: PgPool,
        calculation: Option<Calculation>,
        payments: Option<crate::casework::feed::Feed>,
    ) -> Self {
        Self {
            pool,
            calculation,
            payments,
        }
    }
}

secal_runtime::grpc_service! {
    impl IntakeService for IntakeApi {
        submit_application(SubmitApplicationRequest) -> SubmitApplicationResponse
            => IntakeApi::submit_application,
        complete_application(CompleteApplicationRequest) -> CompleteApplicationResponse
            => IntakeApi::complete_application,
        mark_application_incomplete(MarkApplicationIncompleteRequest)
            -> MarkApplicationIncompleteResponse => IntakeApi::mark_application_incomplete,
        notify_debtor(NotifyDebtorRequest) -> NotifyDebtorResponse => IntakeApi::notify_debtor,
        accept_application(AcceptApplicationRequest) -> AcceptApplicationResponse
            => IntakeApi::accept_application,
        refuse_application(RefuseApplicationRequest) -> RefuseApplicationResponse
            => IntakeApi::refuse_application,
        propose_mandate(ProposeMandateRequest) -> ProposeMandateResponse
            => IntakeApi::propose_mandate,
        record_mandate_signed(RecordMandateSignedRequest) -> RecordMandateSignedResponse
            => IntakeApi::record_mandate_signed,
        activate_dossier(ActivateDossierRequest) -> ActivateDossierResponse
            => IntakeApi::activate_dossier,
        close_dossier(CloseDossierRequest) -> CloseDossierResponse => IntakeApi::close_dossier,
        amend_dossier(AmendDossierRequest) -> AmendDossierResponse => IntakeApi::amend_dossier,
        assign_dossier_agent(AssignDossierAgentRequest) -> AssignDossierAgentResponse
            => IntakeApi::assign_dossier_agent,
        unassign_dossier_agent(UnassignDossierAgentRequest) -> UnassignDossierAgentResponse
            => IntakeApi::unassign_dossier_agent,
        get_dossier(GetDossierRequest) -> GetDossierResponse => IntakeApi::get_dossier,
        search_dossiers(SearchDossiersRequest) -> SearchDossiersResponse
            => IntakeApi::search_dossiers,
        list_dossiers_by_decision_deadline(ListDossiersByDecisionDeadlineRequest)
            -> ListDossiersByDecisionDeadlineResponse
            => IntakeApi::list_dossiers_by_decision_deadline,
        list_dossier_history(ListDossierHistoryRequest) -> ListDossierHistoryResponse
            => IntakeApi::list_dossier_history,
        list_dossier_events(ListDossierEventsRequest) -> ListDossierEventsResponse
            => IntakeApi::list_dossier_events,
    }
}

secal_runtime::grpc_service! {
    impl PersonsService for IntakeApi {
        register_person(RegisterPersonRequest) -> RegisterPersonResponse
            => IntakeApi::register_person,
        get_person(GetPersonRequest) -> GetPersonResponse => IntakeApi::get_person,
        record_person_change(RecordPersonChangeRequest) -> RecordPersonChangeResponse
            => IntakeApi::record_person_change,
        list_person_changes(ListPersonChangesRequest) -> ListPersonChangesResponse
            => IntakeApi::list_person_changes,
        list_person_dossier_roles(ListPersonDossierRolesRequest) -> ListPersonDossierRolesResponse
            => IntakeApi::list_person_dossier_roles,
        check_person_active_dossier(CheckPersonActiveDossierRequest)
            -> CheckPersonActiveDossierResponse => IntakeApi::check_person_active_dossier,
    }
}

secal_runtime::grpc_service! {
    impl CorrespondenceService for IntakeApi {
        list_letters(ListLettersRequest) -> ListLettersResponse => IntakeApi::list_letters,
        get_letter(GetLetterRequest) -> GetLetterResponse => IntakeApi::get_letter,
        record_letter_delivery(RecordLetterDeliveryRequest) -> RecordLetterDeliveryResponse
            => IntakeApi::record_letter_delivery,
        verify_letter(VerifyLetterRequest) -> VerifyLetterResponse => IntakeApi::verify_letter,
        issue_statement(IssueStatementRequest) -> IssueStatementResponse
            => IntakeApi::issue_statement,
        issue_yearly_statements(IssueYearlyStatementsRequest) -> IssueYearlyStatementsResponse
            => IntakeApi::issue_yearly_statements,
    }
}

secal_runtime::grpc_service! {
    impl WorkQueueService for IntakeApi {
        list_tasks(ListTasksRequest) -> ListTasksResponse => IntakeApi::list_tasks,
        get_task(GetTaskRequest) -> GetTaskResponse => IntakeApi::get_task,
        claim_task(ClaimTaskRequest) -> ClaimTaskResponse => IntakeApi::claim_task,
        reassign_task(ReassignTaskRequest) -> ReassignTaskResponse => IntakeApi::reassign_task,
    }
}

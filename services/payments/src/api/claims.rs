//! `ClaimAccountService`: each RPC handed to its use case; the dues run streams its progress.

use secal_proto::v1::{self as pb, claim_account_service_server::ClaimAccountService};
use secal_runtime::Caller;
use tonic::{Request, Response, Status};

use super::PaymentsApi;
use crate::claims::{account, acts, book, dues_run, statements, watch};

secal_runtime::grpc_service! {
    impl ClaimAccountService for PaymentsApi {
        get_claim_account(GetClaimAccountRequest) -> GetClaimAccountResponse
            => account::get,
        record_legal_act(RecordLegalActRequest) -> RecordLegalActResponse
            => acts::record,
        book_claim_account(BookClaimAccountRequest) -> BookClaimAccountResponse
            => book::on_request,
        list_prescription_watch(ListPrescriptionWatchRequest) -> ListPrescriptionWatchResponse
            => watch::list,
        get_debtor_statement(GetDebtorStatementRequest) -> GetDebtorStatementResponse
            => statements::debtor,
        get_creditor_statement(GetCreditorStatementRequest) -> GetCreditorStatementResponse
            => statements::creditor,
    }
    streaming: {
        async fn run_monthly_dues(
            &self,
            request: Request<pb::RunMonthlyDuesRequest>,
        ) -> Result<Response<dues_run::RunStream>, Status> {
            let caller = Caller::of(&request)?;
            secal_runtime::syntax::refuse_texts_beyond_every_limit(
                "secal.v1.RunMonthlyDuesRequest",
                request.get_ref(),
            )?;
            let stream = dues_run::run_monthly(self, &caller, request.into_inner()).await?;
            Ok(Response::new(stream))
        }
    }
}

//! `ReceiptsService`: each RPC delegates to its module.

use secal_proto::v1::{self as pb, receipts_service_server::ReceiptsService};
use secal_runtime::Caller;
use tonic::{Request, Response};

use super::PaymentsApi;
use super::Reply;

#[tonic::async_trait]
impl ReceiptsService for PaymentsApi {
    async fn record_debtor_payment(
        &self,
        request: Request<pb::RecordDebtorPaymentRequest>,
    ) -> Reply<pb::RecordDebtorPaymentResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.record(caller, request.into_inner()).await?,
        ))
    }

    async fn list_debtor_payments(
        &self,
        request: Request<pb::ListDebtorPaymentsRequest>,
    ) -> Reply<pb::ListDebtorPaymentsResponse> {
        Ok(Response::new(self.list(request.into_inner()).await?))
    }

    async fn get_payment_allocation(
        &self,
        request: Request<pb::GetPaymentAllocationRequest>,
    ) -> Reply<pb::GetPaymentAllocationResponse> {
        Ok(Response::new(
            crate::receipts::allocation_query::get(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn import_bank_statement(
        &self,
        request: Request<pb::ImportBankStatementRequest>,
    ) -> Reply<pb::ImportBankStatementResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::receipts::statements::import(&self.pool, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_unmatched_statement_lines(
        &self,
        request: Request<pb::ListUnmatchedStatementLinesRequest>,
    ) -> Reply<pb::ListUnmatchedStatementLinesResponse> {
        Ok(Response::new(
            crate::receipts::statements::list_unmatched(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn resolve_statement_line(
        &self,
        request: Request<pb::ResolveStatementLineRequest>,
    ) -> Reply<pb::ResolveStatementLineResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            crate::receipts::statements::resolve(&self.pool, &caller, request.into_inner()).await?,
        ))
    }
}

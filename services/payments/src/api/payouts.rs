//! `PayoutsService`: each RPC delegates to its module.

use secal_proto::v1::{self as pb, payouts_service_server::PayoutsService};
use secal_runtime::Caller;
use tonic::{Request, Response};

use super::PaymentsApi;
use super::Reply;

#[tonic::async_trait]
impl PayoutsService for PaymentsApi {
    async fn create_payout_batch(
        &self,
        request: Request<pb::CreatePayoutBatchRequest>,
    ) -> Reply<pb::CreatePayoutBatchResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::create_batch(&self.pool, &caller, r).await?,
        ))
    }

    async fn get_payout_batch(
        &self,
        request: Request<pb::GetPayoutBatchRequest>,
    ) -> Reply<pb::GetPayoutBatchResponse> {
        Ok(Response::new(
            crate::payouts::get_batch(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn confirm_payouts(
        &self,
        request: Request<pb::ConfirmPayoutsRequest>,
    ) -> Reply<pb::ConfirmPayoutsResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::confirm(&self.pool, &caller, r).await?,
        ))
    }

    async fn record_payout_return(
        &self,
        request: Request<pb::RecordPayoutReturnRequest>,
    ) -> Reply<pb::RecordPayoutReturnResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::record_return(&self.pool, &caller, r).await?,
        ))
    }

    async fn list_payouts(
        &self,
        request: Request<pb::ListPayoutsRequest>,
    ) -> Reply<pb::ListPayoutsResponse> {
        Ok(Response::new(
            crate::payouts::list_payouts(&self.pool, request.into_inner()).await?,
        ))
    }

    async fn request_payout_account_change(
        &self,
        request: Request<pb::RequestPayoutAccountChangeRequest>,
    ) -> Reply<pb::RequestPayoutAccountChangeResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::accounts::request(&self.pool, &caller, r).await?,
        ))
    }

    async fn confirm_payout_account_change(
        &self,
        request: Request<pb::ConfirmPayoutAccountChangeRequest>,
    ) -> Reply<pb::ConfirmPayoutAccountChangeResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::accounts::confirm(&self.pool, &caller, r).await?,
        ))
    }

    async fn reject_payout_account_change(
        &self,
        request: Request<pb::RejectPayoutAccountChangeRequest>,
    ) -> Reply<pb::RejectPayoutAccountChangeResponse> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        Ok(Response::new(
            crate::payouts::accounts::reject(&self.pool, &caller, r).await?,
        ))
    }

    async fn list_payout_accounts(
        &self,
        request: Request<pb::ListPayoutAccountsRequest>,
    ) -> Reply<pb::ListPayoutAccountsResponse> {
        Ok(Response::new(
            crate::payouts::accounts::list(&self.pool, request.into_inner()).await?,
        ))
    }
}

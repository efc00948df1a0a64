//! `PayoutsService`: each RPC handed to its use case.

use secal_proto::v1::payouts_service_server::PayoutsService;

use super::PaymentsApi;
use crate::payouts::{self, accounts};

secal_runtime::grpc_service! {
    impl PayoutsService for PaymentsApi {
        create_payout_batch(CreatePayoutBatchRequest) -> CreatePayoutBatchResponse
            => payouts::create_batch,
        get_payout_batch(GetPayoutBatchRequest) -> GetPayoutBatchResponse
            => payouts::get_batch,
        confirm_payouts(ConfirmPayoutsRequest) -> ConfirmPayoutsResponse
            => payouts::confirm,
        record_payout_return(RecordPayoutReturnRequest) -> RecordPayoutReturnResponse
            => payouts::record_return,
        list_payouts(ListPayoutsRequest) -> ListPayoutsResponse
            => payouts::list_payouts,
        request_payout_account_change(RequestPayoutAccountChangeRequest)
            -> RequestPayoutAccountChangeResponse => accounts::request,
        confirm_payout_account_change(ConfirmPayoutAccountChangeRequest)
            -> ConfirmPayoutAccountChangeResponse => accounts::confirm,
        reject_payout_account_change(RejectPayoutAccountChangeRequest)
            -> RejectPayoutAccountChangeResponse => accounts::reject,
        list_payout_accounts(ListPayoutAccountsRequest) -> ListPayoutAccountsResponse
            => accounts::list,
    }
}
